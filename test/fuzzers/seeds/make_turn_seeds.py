#!/usr/bin/env python3
"""Writes the seed corpus of turn_fuzzer (test/fuzzers/corpus/turn).

Each seed is the fuzzer's input format (see test/fuzzers/turn_fuzzer.c): a
header byte (framing, state to reach) and operations. The server messages
are modelled on what coturn 4.6 sends (its attribute sets, reason phrases
and SOFTWARE), with documentation addresses: op 1 ("repaired") gives them the client's transaction id and
MESSAGE-INTEGRITY.

  python3 test/fuzzers/seeds/make_turn_seeds.py
"""
import os
import struct

COOKIE = 0x2112A442
OUT = os.path.join(os.path.dirname(__file__), "..", "corpus", "turn")


def attr(t, v):
    pad = (4 - len(v) % 4) % 4
    return struct.pack(">HH", t, len(v)) + v + b"\0" * pad


def xor_addr(t, ip, port, tid=b"\0" * 12):
    a = bytes(int(x) for x in ip.split("."))
    ck = struct.pack(">I", COOKIE)
    xa = bytes(x ^ y for x, y in zip(a, ck))
    return attr(t, struct.pack(">BBH", 0, 1, port ^ (COOKIE >> 16)) + xa)


def error_code(code, reason):
    return attr(0x0009, struct.pack(">HBB", 0, code // 100, code % 100) +
                reason.encode())


def op(code, payload=b"", length=None):
    n = len(payload) if length is None else length
    return bytes([code]) + struct.pack(">H", n) + payload


def repaired(attrs, error=False, integrity=True):
    flags = (1 if error else 0) | (0 if integrity else 2)
    return op(1, bytes([flags]) + attrs)


def stun(msg_type, attrs, tid=b"\x01" * 12):
    return struct.pack(">HHI", msg_type, len(attrs), COOKIE) + tid + attrs


def channel_data(ch, data, stream):
    body = struct.pack(">HH", ch, len(data)) + data
    if stream:
        body += b"\0" * ((4 - len(body) % 4) % 4)
    return body


SOFTWARE = attr(0x8022, b"Coturn-4.6.1 'Gorst'")
REALM = attr(0x0014, b"real")
ALLOC_OK = (xor_addr(0x0016, "127.0.0.1", 59263) +
            xor_addr(0x0020, "127.0.0.1", 44368) +
            attr(0x000D, struct.pack(">I", 600)) +
            attr(0x0022, b"\0" * 8) + SOFTWARE)
E401 = error_code(401, "Unauthorized") + REALM + attr(0x0015, b"nonc") + SOFTWARE
E438 = error_code(438, "Wrong nonce") + REALM + attr(0x0015, b"newnonce")
E437 = error_code(437, "Mismatched allocation: wrong transaction ID")
E403 = error_code(403, "Forbidden IP")
LIFETIME_OK = attr(0x000D, struct.pack(">I", 600)) + SOFTWARE
PEER = xor_addr(0x0012, "198.51.100.0", 5000)


def data_indication(data):
    return stun(0x0017, PEER + attr(0x0013, data))


def seeds():
    out = {}
    for stream in (0, 1):
        f = "tcp" if stream else "udp"
        # From the start: 401, the authenticated Allocate, a permission,
        # data both ways, a channel, ChannelData, refreshes, close.
        out[f"{f}_full_session"] = (
            bytes([stream | (0 << 1)]) + repaired(E401, True, False) +
            repaired(ALLOC_OK) + op(4, length=0) + repaired(SOFTWARE) +
            op(3, b"hello peer", length=10) +
            op(0, data_indication(b"hello back")) + op(4, length=1) +
            repaired(SOFTWARE) +
            op(0, channel_data(0x4000, b"over the channel", stream)) +
            op(2, length=15000) + repaired(LIFETIME_OK) + op(5) +
            repaired(attr(0x000D, b"\0\0\0\0")))
        out[f"{f}_wrong_password"] = (bytes([stream | (1 << 1)]) +
                                      repaired(E401, True, False))
        out[f"{f}_stale_nonce"] = (bytes([stream | (1 << 1)]) +
                                   repaired(E438, True, False) +
                                   repaired(ALLOC_OK))
        out[f"{f}_retransmit_timeout"] = (bytes([stream | (1 << 1)]) +
                                          op(2, length=1100))
        out[f"{f}_allocated_data"] = (
            bytes([stream | (2 << 1)]) + op(4, length=0) + repaired(E403, True) +
            op(4, length=2) + repaired(SOFTWARE) +
            op(0, data_indication(b"x" * 33)) +
            op(7, channel_data(0x4000, b"split", stream)))
        out[f"{f}_refresh_437"] = (bytes([stream | (2 << 1)]) +
                                   op(2, length=14600) + repaired(E437, True))
        out[f"{f}_channel_bound"] = (
            bytes([stream | (3 << 1)]) +
            op(0, channel_data(0x4000, b"a" * 7, stream)) +
            op(0, channel_data(0x4001, b"unbound", stream)) +
            op(0, b"\x40\x00\x00\x09ab") + op(3, b"via channel", length=0) +
            op(2, length=14600))
        out[f"{f}_closing"] = (bytes([stream | (4 << 1)]) +
                               repaired(E438, True, False) + repaired(E437, True))
        out[f"{f}_garbage"] = (bytes([stream | (2 << 1)]) +
                               op(0, b"\x16\x03\x01\x00\x10garbage...") +
                               op(6))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
