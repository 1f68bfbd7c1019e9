#!/usr/bin/env python3
"""Writes the jsep_fuzzer seed corpus (test/fuzzers/corpus/jsep/) from the
real SDPs of /work/shared/fixtures/sdp (Chromium, Firefox, aiortc, wrtc,
libdatachannel, werift; a copy of them is in test/fuzzers/corpus/sdp) and
the hand-written Safari-shaped and simulcast offers of corpus/sdp.

Each seed is a jsep_fuzzer script (see jsep_fuzzer.c): operations
introduced by "==== <op>" lines, a description or candidate after each.

    test/fuzzers/seeds/make_jsep_seeds.py [fixtures dir]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SDP_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "corpus", "sdp")
FIXTURES = "/work/shared/fixtures/sdp"
OUT = os.path.join(HERE, "..", "corpus", "jsep")

STACKS = ["chromium-156.0.8078.108", "firefox-153.8.0", "aiortc-1.4.0",
          "wrtc-0.10.0", "ndc-0.33.4", "werift-0.24.4"]


def sdp(name):
    path = os.path.join(SDP_DIR, name)
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return f.read()


def candidates(stack):
    path = os.path.join(FIXTURES, stack.split("-")[0] + "-candidates.txt")
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return [l for l in f.read().splitlines() if l.startswith(b"candidate:")][:3]


def script(ops):
    out = b""
    for op, text in ops:
        out += b"==== " + op.encode() + b"\n" + (text or b"")
        if text and not text.endswith(b"\n"):
            out += b"\n"
    return out


def write(name, ops):
    if any(text is None for _, text in ops):
        return
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(script(ops))


def main():
    os.makedirs(OUT, exist_ok=True)
    for stack in STACKS:
        short = stack.split("-")[0]
        offer = sdp(stack + "-datachannel-offer.sdp")
        gathered = sdp(stack + "-datachannel-gathered-offer.sdp")
        av = sdp(stack + "-av-datachannel-offer.sdp")
        restart = sdp(stack + "-icerestart-offer.sdp")
        answer = sdp(stack + "-datachannel-answer.sdp")
        av_answer = sdp(stack + "-av-datachannel-answer.sdp")
        # We answer their offer.
        write(short + "-answer-offer", [("remote-offer", offer), ("answer", b"")])
        write(short + "-answer-gathered-offer",
              [("remote-offer", gathered), ("answer", b"")])
        # Renegotiation: their offer again (media added), then an ICE restart.
        write(short + "-renegotiate-av-then-restart",
              [("remote-offer", offer), ("answer", b""), ("remote-offer", av),
               ("answer", b"")] +
              ([("remote-offer", restart), ("answer", b"")] if restart else []))
        # Their offer, trickled candidates, our provisional then final answer.
        write(short + "-candidates-pranswer",
              [("remote-offer", offer)] +
              [("candidate", c) for c in candidates(stack)] +
              [("pranswer", b""), ("answer", b""), ("candidate", b"")])
        # We offer a data channel (and media), they answer.
        write(short + "-offer-channel-remote-answer",
              [("channel", b"chat"), ("offer", b""), ("remote-answer", answer)])
        write(short + "-offer-av-remote-answer",
              [("audio", b""), ("video", b""), ("channel", b"chat"),
               ("offer", b""), ("remote-pranswer", av_answer),
               ("remote-answer", av_answer), ("restart", b""),
               ("offer", b""), ("remote-answer", av_answer)])
        # Rollbacks: their offer rolled back, our offer rolled back (glare).
        write(short + "-rollbacks",
              [("remote-offer", av), ("remote-rollback", b""),
               ("channel", b"x"), ("offer", b""), ("local-rollback", b""),
               ("remote-offer", offer), ("implicit", b""),
               ("remote-offer", av), ("remote-rollback", b""),
               ("implicit", b"")])
    for name in ["synthetic-safari-offer-handwritten",
                 "synthetic-chrome-simulcast-offer",
                 "synthetic-sdes-crypto-and-rtcp-fb-wildcard",
                 "synthetic-session-level-transport"]:
        write(name, [("remote-offer", sdp(name)), ("answer", b""),
                     ("remote-offer", sdp(name)), ("answer", b"")])


if __name__ == "__main__":
    main()
