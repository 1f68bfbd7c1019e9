'use strict';
// The RTP media API (webrtc-pc §5, §7) and MediaStream/MediaStreamTrack
// (mediacapture-main) through the JS bindings (api/js/impl/rtp.c,
// media_stream.c): addTransceiver and its init, getTransceivers/getSenders/
// getReceivers identity, mid and currentDirection through negotiation, the
// direction setter, stop(), setCodecPreferences, getCapabilities, addTrack/
// removeTrack with a receiver's track, the track event and the remote
// streams, replaceTrack, getParameters/setParameters, DTMF, and the streams
// and tracks themselves. rtcbox has no media yet: tracks come from
// receivers, stay muted, and DTMF cannot be sent.
//
// Waiting: every wait is on an event or a promise, bounded by a generous
// timeout that fails the test (no sleeps).

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { DEEPBIND_SKIP, ROOT, addonPath, runNode } = require('./support.js');

const TIMEOUT_MS = 10000;
const opts = { skip: DEEPBIND_SKIP, timeout: 20000 };

let api = null;
function rtc() {
  if (!api) {
    process.env.RTCBOX_ADDON = addonPath('rtcbox');
    api = require('../..');
  }
  return api;
}

function withTimeout(promise, what, ms = TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function newPc(t) {
  const pc = new (rtc().RTCPeerConnection)();
  t.after(() => pc.close());
  return pc;
}

// Offer/answer only (no candidates: enough for what is negotiated).
async function negotiate(offerer, answerer) {
  await offerer.setLocalDescription(await offerer.createOffer());
  await answerer.setRemoteDescription(offerer.localDescription);
  await answerer.setLocalDescription(await answerer.createAnswer());
  await offerer.setRemoteDescription(answerer.localDescription);
}

// Offer/answer with candidates trickled both ways: the connection comes up.
async function connect(pc1, pc2) {
  const trickle = (from, to) => {
    const held = [];
    let ready = false;
    from.addEventListener('icecandidate', (e) => {
      if (!e.candidate) return;
      if (ready) to.addIceCandidate(e.candidate).catch(() => {});
      else held.push(e.candidate);
    });
    return () => {
      ready = true;
      for (const c of held.splice(0)) to.addIceCandidate(c).catch(() => {});
    };
  };
  const release1to2 = trickle(pc1, pc2);
  const release2to1 = trickle(pc2, pc1);
  await pc1.setLocalDescription(await pc1.createOffer());
  await pc2.setRemoteDescription(pc1.localDescription);
  release1to2();
  await pc2.setLocalDescription(await pc2.createAnswer());
  await pc1.setRemoteDescription(pc2.localDescription);
  release2to1();
}

function connected(pc) {
  if (pc.connectionState === 'connected') return Promise.resolve();
  return withTimeout(new Promise((resolve) => {
    pc.addEventListener('connectionstatechange', function f() {
      if (pc.connectionState !== 'connected') return;
      pc.removeEventListener('connectionstatechange', f);
      resolve();
    });
  }), 'connectionState "connected"');
}

// A live audio (or video) track: the receiver's track of a transceiver of
// a connection that stays open for the test.
function remoteTrack(t, kind = 'audio') {
  return newPc(t).addTransceiver(kind).receiver.track;
}

async function rejectsWith(promise, name) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.name, name, e.message);
    return true;
  });
}

function throwsWith(fn, name) {
  assert.throws(fn, (e) => {
    assert.equal(e.name, name, e.message);
    return true;
  });
}

// ---------------------------------------------------------------------------
// addTransceiver and getTransceivers

test('addTransceiver: kinds, directions, and what it returns', opts, (t) => {
  const { RTCRtpTransceiver, RTCRtpSender, RTCRtpReceiver, MediaStreamTrack } = rtc();
  const pc = newPc(t);
  const audio = pc.addTransceiver('audio');
  assert.ok(audio instanceof RTCRtpTransceiver);
  assert.ok(audio.sender instanceof RTCRtpSender);
  assert.ok(audio.receiver instanceof RTCRtpReceiver);
  assert.equal(audio.direction, 'sendrecv');
  assert.equal(audio.currentDirection, null);
  assert.equal(audio.mid, null);
  assert.equal(audio.sender.track, null);
  assert.equal(audio.sender.transport, null);
  assert.equal(audio.receiver.transport, null);
  const track = audio.receiver.track;
  assert.ok(track instanceof MediaStreamTrack);
  assert.equal(track.kind, 'audio');
  assert.equal(track.muted, true);
  assert.equal(track.readyState, 'live');
  assert.equal(track.enabled, true);
  assert.match(track.id, /^[0-9a-f-]{36}$/);
  assert.equal(track.label, track.id); // as Chrome labels remote tracks
  for (const direction of ['sendonly', 'recvonly', 'inactive']) {
    const v = pc.addTransceiver('video', { direction });
    assert.equal(v.direction, direction);
    assert.equal(v.receiver.track.kind, 'video');
  }
  throwsWith(() => pc.addTransceiver('data'), 'TypeError');
  throwsWith(() => pc.addTransceiver('audio', { direction: 'sideways' }), 'TypeError');
  throwsWith(() => pc.addTransceiver('audio', { direction: 'stopped' }), 'TypeError');
  // With a track: the sender has it, of its kind.
  const withTrack = pc.addTransceiver(remoteTrack(t, 'video'));
  assert.equal(withTrack.sender.track.kind, 'video');
  assert.equal(withTrack.receiver.track.kind, 'video');
  assert.equal(pc.getTransceivers().length, 5);
  pc.close();
  throwsWith(() => pc.addTransceiver('audio'), 'InvalidStateError');
  // Still a TypeError for a bad kind once closed (checked first).
  throwsWith(() => pc.addTransceiver('data'), 'TypeError');
});

test('addTransceiver: sendEncodings are validated and completed', opts, (t) => {
  const pc = newPc(t);
  const encodings = (init, kind = 'video') => pc.addTransceiver(kind, init).sender.getParameters().encodings;
  // create an RTCRtpSender: a lone default encoding, with
  // scaleResolutionDownBy 1.0 for video.
  assert.deepEqual(encodings({}), [{ active: true, scaleResolutionDownBy: 1 }]);
  assert.deepEqual(encodings({ sendEncodings: [] }), [{ active: true, scaleResolutionDownBy: 1 }]);
  assert.deepEqual(encodings({}, 'audio'), [{ active: true }]);
  assert.deepEqual(pc.addTrack(remoteTrack(t, 'video')).getParameters().encodings,
    [{ active: true, scaleResolutionDownBy: 1 }]);
  // Video: smaller to larger resolutions, and at most 3 layers.
  assert.deepEqual(encodings({ sendEncodings: [{ rid: 'a' }, { rid: 'b' }, { rid: 'c' }, { rid: 'd' }] }),
    [{ rid: 'a', active: true, scaleResolutionDownBy: 4 },
      { rid: 'b', active: true, scaleResolutionDownBy: 2 },
      { rid: 'c', active: true, scaleResolutionDownBy: 1 }]);
  assert.deepEqual(encodings({ sendEncodings: [{ rid: 'a', scaleResolutionDownBy: 2 }, { rid: 'b', active: false }] }),
    [{ rid: 'a', active: true, scaleResolutionDownBy: 2 },
      { rid: 'b', active: false, scaleResolutionDownBy: 1 }]);
  // A lone encoding loses its rid; audio loses scale and frame rate.
  assert.deepEqual(encodings({ sendEncodings: [{ rid: 'x', maxBitrate: 5000 }] }),
    [{ active: true, maxBitrate: 5000, scaleResolutionDownBy: 1 }]);
  assert.deepEqual(encodings({ sendEncodings: [{ scaleResolutionDownBy: 0.5, maxFramerate: -1 }] }, 'audio'),
    [{ active: true }]);
  const n = pc.getTransceivers().length;
  throwsWith(() => pc.addTransceiver('video', { sendEncodings: [{ rid: 'a' }, { rid: 'a' }] }), 'TypeError');
  throwsWith(() => pc.addTransceiver('video', { sendEncodings: [{ rid: 'a' }, {}] }), 'TypeError');
  throwsWith(() => pc.addTransceiver('video', { sendEncodings: [{ rid: 'a b' }] }), 'TypeError');
  // RFC 8852 §3.1 (RFC 8851 erratum 7132): alphanumeric; at most 16.
  throwsWith(() => pc.addTransceiver('video', { sendEncodings: [{ rid: 'foo-bar' }] }), 'TypeError');
  throwsWith(() => pc.addTransceiver('video', { sendEncodings: [{ rid: 'foo_bar' }] }), 'TypeError');
  throwsWith(() => pc.addTransceiver('video', { sendEncodings: [{ rid: 'a'.repeat(17) }] }), 'TypeError');
  throwsWith(() => pc.addTransceiver('video', { sendEncodings: [{ scaleResolutionDownBy: 0.5 }] }), 'RangeError');
  throwsWith(() => pc.addTransceiver('video', { sendEncodings: [{ maxFramerate: -1 }] }), 'RangeError');
  throwsWith(() => pc.addTransceiver('video', {
    sendEncodings: [{ codec: { mimeType: 'video/H265', clockRate: 90000 } }],
  }), 'OperationError');
  assert.equal(pc.getTransceivers().length, n, 'nothing added by a failed call');
  assert.equal(encodings({ sendEncodings: [{ rid: 'a'.repeat(16) }, { rid: 'b' }] })[0].rid, 'a'.repeat(16));
  // A maxFramerate of 0 freezes the video (as setParameters takes it).
  assert.deepEqual(encodings({ sendEncodings: [{ maxFramerate: 0 }] }),
    [{ active: true, maxFramerate: 0, scaleResolutionDownBy: 1 }]);
  // A codec of the capabilities is taken.
  const vp8 = { mimeType: 'video/VP8', clockRate: 90000 };
  assert.deepEqual(encodings({ sendEncodings: [{ codec: vp8 }] })[0].codec, vp8);
});

test('getTransceivers, getSenders, getReceivers give the same objects', opts, (t) => {
  const pc = newPc(t);
  const t1 = pc.addTransceiver('audio');
  const t2 = pc.addTransceiver('video');
  assert.deepEqual(pc.getTransceivers(), [t1, t2]);
  assert.ok(pc.getTransceivers()[0] === t1);
  assert.ok(pc.getSenders()[1] === t2.sender);
  assert.ok(pc.getReceivers()[0] === t1.receiver);
  assert.ok(t1.sender === t1.sender && t1.receiver === t1.receiver);
  assert.ok(t1.receiver.track === pc.getReceivers()[0].track);
  assert.ok(t1.sender.dtmf === t1.sender.dtmf);
  assert.equal(t2.sender.dtmf, null);
});

// ---------------------------------------------------------------------------
// Negotiation: mid, currentDirection, direction, stop

test('mid and currentDirection follow the negotiation', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const sendonly = pc1.addTransceiver('audio', { direction: 'sendonly' });
  const video = pc1.addTransceiver('video');
  await pc1.setLocalDescription(await pc1.createOffer());
  assert.equal(sendonly.mid, '0');
  assert.equal(video.mid, '1');
  assert.equal(sendonly.currentDirection, null);
  await pc2.setRemoteDescription(pc1.localDescription);
  const [r1, r2] = pc2.getTransceivers();
  assert.equal(r1.mid, '0');
  assert.equal(r1.direction, 'recvonly');
  assert.equal(r2.receiver.track.kind, 'video');
  await pc2.setLocalDescription(await pc2.createAnswer());
  assert.equal(r1.currentDirection, 'recvonly');
  assert.equal(r2.currentDirection, 'recvonly');
  await pc1.setRemoteDescription(pc2.localDescription);
  assert.equal(sendonly.currentDirection, 'sendonly');
  assert.equal(video.currentDirection, 'sendonly');
  // Both sides now have the transport of the bundle.
  assert.ok(sendonly.sender.transport instanceof rtc().RTCDtlsTransport);
  assert.ok(sendonly.sender.transport === video.receiver.transport);
  // direction: a change needs negotiation, and the answer narrows it.
  const needed = new Promise((resolve) => pc2.addEventListener('negotiationneeded', resolve, { once: true }));
  r2.direction = 'sendrecv';
  assert.equal(r2.direction, 'sendrecv');
  assert.equal(r2.currentDirection, 'recvonly');
  await withTimeout(needed, 'negotiationneeded');
  await negotiate(pc2, pc1);
  assert.equal(r2.currentDirection, 'sendrecv');
  assert.equal(video.currentDirection, 'sendrecv');
  throwsWith(() => { r2.direction = 'stopped'; }, 'TypeError');
  r2.direction = 'bogus'; // not an enum value: ignored (WebIDL)
  assert.equal(r2.direction, 'sendrecv');
});

test('stop(): stopping at once, stopped after negotiation', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const tr = pc1.addTransceiver('audio');
  await negotiate(pc1, pc2);
  const remote = pc2.getTransceivers()[0];
  const ended = [];
  tr.receiver.track.onended = () => ended.push('local');
  remote.receiver.track.onended = () => ended.push('remote');
  tr.stop();
  assert.equal(tr.direction, 'stopped');
  assert.equal(tr.currentDirection, 'sendonly'); // until negotiated
  assert.equal(tr.receiver.track.readyState, 'ended');
  assert.deepEqual(ended, ['local']);
  throwsWith(() => { tr.direction = 'sendrecv'; }, 'InvalidStateError');
  tr.stop(); // again: nothing
  await negotiate(pc1, pc2);
  assert.equal(tr.currentDirection, 'stopped');
  assert.equal(remote.currentDirection, 'stopped');
  assert.equal(remote.receiver.track.readyState, 'ended');
  assert.deepEqual(ended, ['local', 'remote']);
  // Stopped and rejected in both descriptions: gone from the lists.
  assert.equal(pc1.getTransceivers().length, 0);
  assert.equal(pc1.getSenders().length, 0);
  pc1.close();
  throwsWith(() => tr.stop(), 'InvalidStateError');
});

test('close(): receiver tracks end without an event', opts, (t) => {
  const pc = newPc(t);
  const tr = pc.addTransceiver('video');
  let ended = 0;
  tr.receiver.track.onended = () => ended++;
  pc.close();
  assert.equal(tr.receiver.track.readyState, 'ended');
  assert.equal(tr.currentDirection, 'stopped');
  assert.equal(tr.direction, 'stopped');
  assert.equal(pc.getSenders().length, 0);
  assert.deepEqual(pc.getTransceivers(), [tr]);
  assert.equal(ended, 0);
});

// ---------------------------------------------------------------------------
// Codecs

test('getCapabilities: codecs and header extensions, null for other kinds', opts, () => {
  const { RTCRtpSender, RTCRtpReceiver } = rtc();
  const audio = RTCRtpSender.getCapabilities('audio');
  assert.deepEqual(audio.codecs, [{ mimeType: 'audio/opus', clockRate: 48000, channels: 2, sdpFmtpLine: 'minptime=10;useinbandfec=1' }]);
  assert.ok(audio.headerExtensions.some((e) => e.uri === 'urn:ietf:params:rtp-hdrext:sdes:mid'));
  const video = RTCRtpReceiver.getCapabilities('video');
  assert.deepEqual(video.codecs.map((c) => c.mimeType), ['video/VP8', 'video/rtx', 'video/VP9', 'video/rtx']);
  assert.deepEqual(video.codecs[1], { mimeType: 'video/rtx', clockRate: 90000, sdpFmtpLine: 'apt=96' });
  assert.equal(RTCRtpSender.getCapabilities('data'), null);
  assert.equal(RTCRtpReceiver.getCapabilities('Audio'), null);
});

test('setCodecPreferences: capabilities only, and the offer follows', opts, async (t) => {
  const { RTCRtpSender } = rtc();
  const pc = newPc(t);
  const tr = pc.addTransceiver('video');
  const codecs = RTCRtpSender.getCapabilities('video').codecs;
  const vp9 = codecs.filter((c) => c.mimeType === 'video/VP9' || c.sdpFmtpLine === 'apt=98');
  tr.setCodecPreferences(vp9);
  const offer = await pc.createOffer();
  assert.match(offer.sdp, /m=video 9 UDP\/TLS\/RTP\/SAVPF 98 99\r\n/);
  tr.setCodecPreferences([]);
  assert.match((await pc.createOffer()).sdp, /m=video 9 UDP\/TLS\/RTP\/SAVPF 96 97 98 99\r\n/);
  throwsWith(() => tr.setCodecPreferences([{ mimeType: 'video/H264', clockRate: 90000 }]), 'InvalidModificationError');
  throwsWith(() => tr.setCodecPreferences([codecs[1]]), 'InvalidModificationError'); // RTX alone
  throwsWith(() => tr.setCodecPreferences(RTCRtpSender.getCapabilities('audio').codecs), 'InvalidModificationError');
  throwsWith(() => tr.setCodecPreferences([{ mimeType: 'x'.repeat(100), clockRate: 1 }]), 'InvalidModificationError');
  assert.throws(() => tr.setCodecPreferences([{ mimeType: 'video/VP8' }]), TypeError); // clockRate required
});

test('getParameters: negotiated codecs and extensions; setParameters checks', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const tr = pc1.addTransceiver('audio');
  const sender = tr.sender;
  const before = sender.getParameters();
  assert.deepEqual(before.codecs, []);
  assert.deepEqual(before.headerExtensions, []);
  assert.equal(typeof before.transactionId, 'string');
  // The same transactionId within a task, a new one after.
  assert.equal(sender.getParameters().transactionId, before.transactionId);
  await new Promise((resolve) => setImmediate(resolve));
  assert.notEqual(sender.getParameters().transactionId, before.transactionId);
  await negotiate(pc1, pc2);
  const p = sender.getParameters();
  assert.deepEqual(p.codecs, [{ payloadType: 111, mimeType: 'audio/opus', clockRate: 48000, channels: 2, sdpFmtpLine: 'minptime=10;useinbandfec=1' }]);
  assert.ok(p.headerExtensions.some((e) => e.uri === 'urn:ietf:params:rtp-hdrext:sdes:mid' && e.id === 4 && e.encrypted === false));
  // rtcp.cname: the connection's CNAME (RFC 7022: >= 96 random bits).
  assert.equal(p.rtcp.reducedSize, true);
  assert.match(p.rtcp.cname, /^[A-Za-z0-9+/]{16,}$/);
  assert.equal(p.rtcp.cname, before.rtcp.cname);
  assert.deepEqual(p.encodings, [{ active: true }]);
  const rp = pc2.getReceivers()[0].getParameters();
  assert.deepEqual(rp.codecs, p.codecs);
  assert.equal(rp.transactionId, undefined);
  assert.deepEqual(rp.rtcp, { reducedSize: true });
  assert.notEqual(pc2.getSenders()[0].getParameters().rtcp.cname, p.rtcp.cname);
  assert.equal(pc1.addTransceiver('video').sender.getParameters().rtcp.cname, p.rtcp.cname);
  // setParameters: the parameters of this task.
  p.encodings[0].active = false;
  p.encodings[0].maxBitrate = 64000;
  await sender.setParameters(p);
  assert.deepEqual(sender.getParameters().encodings, [{ active: false, maxBitrate: 64000 }]);
  await new Promise((resolve) => setImmediate(resolve));
  const q = sender.getParameters();
  await rejectsWith(sender.setParameters({ ...q, transactionId: 'other' }), 'InvalidModificationError');
  await rejectsWith(sender.setParameters({ ...q, encodings: [] }), 'InvalidModificationError');
  await rejectsWith(sender.setParameters({ ...q, codecs: [] }), 'InvalidModificationError');
  await rejectsWith(sender.setParameters({ ...q, rtcp: { ...q.rtcp, cname: 'other' } }), 'InvalidModificationError');
  await rejectsWith(sender.setParameters({ ...q, rtcp: { reducedSize: true } }), 'InvalidModificationError');
  await rejectsWith(sender.setParameters({ ...q, encodings: [{ rid: 'x' }] }), 'InvalidModificationError');
  await rejectsWith(sender.setParameters({
    ...q, encodings: [{ codec: { mimeType: 'audio/PCMU', clockRate: 8000 } }],
  }), 'InvalidModificationError');
  const stale = sender.getParameters();
  await new Promise((resolve) => setImmediate(resolve));
  await rejectsWith(sender.setParameters(stale), 'InvalidStateError');
  // A missing transactionId is a TypeError (a required member).
  await assert.rejects(sender.setParameters({ encodings: [], codecs: [], headerExtensions: [], rtcp: {} }), TypeError);
  tr.stop();
  await rejectsWith(sender.setParameters(sender.getParameters()), 'InvalidStateError');
});

test('receiver codecs: none until the exchange completes', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const receiver1 = pc1.addTransceiver('video', { direction: 'recvonly' }).receiver;
  const codecs = (r) => r.getParameters().codecs.map((c) => c.mimeType);
  await pc1.setLocalDescription(await pc1.createOffer());
  // webrtc-pc [[ReceiveCodecs]]: "the codecs that description negotiates
  // for receiving": an offer alone negotiates none.
  assert.deepEqual(codecs(receiver1), []);
  await pc2.setRemoteDescription(pc1.localDescription);
  const receiver2 = pc2.getReceivers()[0];
  assert.deepEqual(codecs(receiver2), []);
  pc2.getTransceivers()[0].direction = 'sendonly';
  await pc2.setLocalDescription(await pc2.createAnswer());
  await pc1.setRemoteDescription(pc2.localDescription);
  assert.deepEqual(codecs(receiver1), ['video/VP8', 'video/rtx', 'video/VP9', 'video/rtx']);
  // pc2 only sends: "the receiver is not prepared to receive anything".
  assert.deepEqual(codecs(receiver2), []);
  // A new offer keeps what the last exchange negotiated until answered.
  await pc1.setLocalDescription(await pc1.createOffer());
  assert.equal(codecs(receiver1).length, 4);
});

test('setParameters on video: scale and frame rate ranges', opts, async (t) => {
  const pc = newPc(t);
  const sender = pc.addTransceiver('video').sender;
  let p = sender.getParameters();
  p.encodings[0].scaleResolutionDownBy = 0.5;
  await rejectsWith(sender.setParameters(p), 'RangeError');
  p = sender.getParameters();
  p.encodings[0].maxFramerate = -1;
  await rejectsWith(sender.setParameters(p), 'RangeError');
  p = sender.getParameters();
  delete p.encodings[0].scaleResolutionDownBy;
  p.encodings[0].maxFramerate = 0;
  await sender.setParameters(p);
  assert.deepEqual(sender.getParameters().encodings, [{ active: true, maxFramerate: 0, scaleResolutionDownBy: 1 }]);
});

test('receivers: no sources, jitterBufferTarget, stats', opts, async (t) => {
  const { RTCStatsReport } = rtc();
  const pc = newPc(t);
  const tr = pc.addTransceiver('audio');
  const receiver = tr.receiver;
  assert.deepEqual(receiver.getContributingSources(), []);
  assert.deepEqual(receiver.getSynchronizationSources(), []);
  assert.equal(receiver.jitterBufferTarget, null);
  receiver.jitterBufferTarget = 250;
  assert.equal(receiver.jitterBufferTarget, 250);
  throwsWith(() => { receiver.jitterBufferTarget = 4001; }, 'RangeError');
  throwsWith(() => { receiver.jitterBufferTarget = -1; }, 'RangeError');
  assert.equal(receiver.jitterBufferTarget, 250);
  receiver.jitterBufferTarget = 0;
  assert.equal(receiver.jitterBufferTarget, 0);
  receiver.jitterBufferTarget = null;
  assert.equal(receiver.jitterBufferTarget, null);
  // No RTP streams yet: the selection algorithm finds nothing.
  const r = await withTimeout(receiver.getStats(), 'receiver.getStats()');
  assert.ok(r instanceof RTCStatsReport);
  assert.equal(r.size, 0);
  const s = await withTimeout(tr.sender.getStats(), 'sender.getStats()');
  assert.equal(s.size, 0);
});

// ---------------------------------------------------------------------------
// addTrack, removeTrack, the track event

test('addTrack and removeTrack with a receiver\'s track', opts, async (t) => {
  const { MediaStream } = rtc();
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  // A live audio track: the receiver's track of an audio transceiver
  // negotiated between two connections.
  pc1.addTransceiver('audio');
  await negotiate(pc1, pc2);
  const track = pc2.getReceivers()[0].track;
  const pc = newPc(t);
  const recvonly = pc.addTransceiver('audio', { direction: 'recvonly' });
  const stream = new MediaStream();
  const sender = pc.addTrack(track, stream);
  // Reuses the transceiver that never sent, now sendrecv.
  assert.ok(sender === recvonly.sender);
  assert.ok(sender.track === track);
  assert.equal(recvonly.direction, 'sendrecv');
  throwsWith(() => pc.addTrack(track), 'InvalidAccessError');
  throwsWith(() => pc2.removeTrack(sender), 'InvalidAccessError');
  const video = pc.addTrack(remoteTrack(t, 'video'));
  assert.equal(pc.getTransceivers().length, 2);
  assert.equal(video.track.kind, 'video');
  assert.match((await pc.createOffer()).sdp, new RegExp(`a=msid:${stream.id} `));
  pc.removeTrack(sender);
  assert.equal(sender.track, null);
  assert.equal(recvonly.direction, 'recvonly');
  pc.removeTrack(sender); // no track: nothing
  assert.equal(recvonly.direction, 'recvonly');
  // The sender without a track (never used to send) takes the next one.
  assert.ok(pc.addTrack(track) === sender);
  pc.close();
  throwsWith(() => pc.addTrack(remoteTrack(t)), 'InvalidStateError');
  throwsWith(() => pc.removeTrack(sender), 'InvalidStateError');
});

test('the answerer gets a track event with the offer\'s streams', opts, async (t) => {
  const { MediaStream, RTCTrackEvent } = rtc();
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const stream = new MediaStream();
  const other = new MediaStream();
  pc1.addTrack(remoteTrack(t), stream, other);
  pc1.addTrack(remoteTrack(t, 'video')); // no stream
  const order = [];
  const events = [];
  pc2.onsignalingstatechange = () => order.push(`signaling:${pc2.signalingState}`);
  pc2.ontrack = (e) => {
    order.push(`track:${e.track.kind}`);
    events.push(e);
  };
  await pc1.setLocalDescription(await pc1.createOffer());
  await pc2.setRemoteDescription(pc1.localDescription).then(() => order.push('resolved'));
  assert.deepEqual(order, ['signaling:have-remote-offer', 'track:audio', 'track:video', 'resolved']);
  const [audio, video] = events;
  assert.ok(audio instanceof RTCTrackEvent);
  assert.ok(audio.receiver === audio.transceiver.receiver);
  assert.ok(audio.track === audio.receiver.track);
  assert.ok(audio.transceiver === pc2.getTransceivers()[0]);
  assert.equal(audio.track.muted, true);
  assert.deepEqual(audio.streams.map((s) => s.id), [stream.id, other.id]);
  assert.deepEqual(audio.streams[0].getTracks(), [audio.track]);
  assert.equal(audio.streams[0].active, true);
  assert.deepEqual(video.streams, []);
  // The same stream object for an id, in every event of this connection.
  await pc2.setLocalDescription(await pc2.createAnswer());
  await pc1.setRemoteDescription(pc2.localDescription);
  assert.equal(events.length, 2, 'nothing new for an unchanged remote side');
  // The offerer hears nothing: the answer is recvonly.
  let offererEvents = 0;
  pc1.ontrack = () => offererEvents++;
  await negotiate(pc1, pc2);
  assert.equal(offererEvents, 0);
  assert.equal(events.length, 2);
});

test('removal on the remote side: removetrack, and the track event again on re-adding', opts, async (t) => {
  const { MediaStream } = rtc();
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const stream = new MediaStream();
  const sender = pc1.addTrack(remoteTrack(t), stream);
  const tracks = [];
  pc2.ontrack = (e) => tracks.push(e);
  await negotiate(pc1, pc2);
  assert.equal(tracks.length, 1);
  const remoteStream = tracks[0].streams[0];
  const track = tracks[0].track;
  const log = [];
  remoteStream.onremovetrack = (e) => log.push(`removetrack:${e.track === track}`);
  remoteStream.onaddtrack = (e) => log.push(`addtrack:${e.track.id}`);
  track.onmute = () => log.push('mute');
  pc1.removeTrack(sender);
  await negotiate(pc1, pc2);
  // Already muted (no media ever came): no mute event.
  assert.deepEqual(log, ['removetrack:true']);
  assert.deepEqual(remoteStream.getTracks(), []);
  assert.equal(remoteStream.active, false);
  assert.equal(track.readyState, 'live');
  // A later addTrack reuses nothing that sent: a new m= section, a new
  // track event with the same stream object.
  pc1.addTrack(remoteTrack(t), stream);
  await negotiate(pc1, pc2);
  assert.equal(tracks.length, 2);
  assert.ok(tracks[1].streams[0] === remoteStream);
  assert.notEqual(tracks[1].track, track);
  assert.deepEqual(log, ['removetrack:true', `addtrack:${tracks[1].track.id}`]);
  assert.deepEqual(remoteStream.getTracks(), [tracks[1].track]);
});

test('setStreams announces new streams: addtrack and a new track event', opts, async (t) => {
  const { MediaStream } = rtc();
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const s1 = new MediaStream();
  const s2 = new MediaStream();
  const sender = pc1.addTrack(remoteTrack(t), s1);
  const events = [];
  pc2.ontrack = (e) => events.push(e);
  await negotiate(pc1, pc2);
  const first = events[0].streams[0];
  const log = [];
  first.onremovetrack = () => log.push('removetrack:s1');
  const needed = new Promise((resolve) => pc1.addEventListener('negotiationneeded', resolve, { once: true }));
  sender.setStreams(s2);
  await withTimeout(needed, 'negotiationneeded after setStreams');
  await negotiate(pc1, pc2);
  assert.equal(events.length, 2);
  assert.deepEqual(events[1].streams.map((s) => s.id), [s2.id]);
  assert.deepEqual(log, ['removetrack:s1']);
  assert.ok(events[1].track === events[0].track);
  pc1.close();
  throwsWith(() => sender.setStreams(), 'InvalidStateError');
});

test('rollback of a remote offer ends the track it created', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  pc1.addTrack(remoteTrack(t));
  const events = [];
  pc2.ontrack = (e) => events.push(e);
  await pc1.setLocalDescription(await pc1.createOffer());
  await pc2.setRemoteDescription(pc1.localDescription);
  assert.equal(events.length, 1);
  const { track, transceiver } = events[0];
  let ended = 0;
  track.onended = () => ended++;
  await pc2.setRemoteDescription({ type: 'rollback' });
  assert.equal(track.readyState, 'ended');
  assert.equal(ended, 1);
  assert.equal(transceiver.currentDirection, 'stopped');
  assert.deepEqual(pc2.getTransceivers(), []);
});

test('replaceTrack: kinds must match; the sender takes the track', opts, async (t) => {
  const pc = newPc(t);
  const tr = pc.addTransceiver('audio');
  const audio = remoteTrack(t, 'audio');
  await rejectsWith(tr.sender.replaceTrack(remoteTrack(t, 'video')), 'TypeError');
  await withTimeout(tr.sender.replaceTrack(audio), 'replaceTrack');
  assert.ok(tr.sender.track === audio);
  // A sender with a track: addTrack of that track fails, of another makes
  // a new transceiver.
  throwsWith(() => pc.addTrack(audio), 'InvalidAccessError');
  await withTimeout(tr.sender.replaceTrack(null), 'replaceTrack(null)');
  assert.equal(tr.sender.track, null);
  tr.stop();
  await rejectsWith(tr.sender.replaceTrack(audio), 'InvalidStateError');
  const other = pc.addTransceiver('audio');
  pc.close();
  await rejectsWith(other.sender.replaceTrack(null), 'InvalidStateError');
});

test('replaceTrack is chained behind the connection\'s operations (webrtc-pc §4.4.1.2)', opts, async (t) => {
  const pc = newPc(t);
  const tr = pc.addTransceiver('audio');
  const order = [];
  const offer = pc.createOffer().then(() => order.push('createOffer'));
  const replaced = tr.sender.replaceTrack(null).then(() => order.push('replaceTrack'));
  // replaceTrack occupies the chain: createAnswer behind it waits too, and
  // rejects once its turn comes.
  const answer = pc.createAnswer().catch((e) => order.push(e.name));
  await withTimeout(Promise.all([offer, replaced, answer]), 'the chain');
  assert.deepEqual(order, ['createOffer', 'replaceTrack', 'InvalidStateError']);
  // Stopped while waiting on the chain: InvalidStateError then.
  const later = pc.createOffer();
  const stopped = tr.sender.replaceTrack(null);
  tr.stop();
  await withTimeout(later, 'createOffer');
  await rejectsWith(stopped, 'InvalidStateError');
});

test('DTMF: audio senders only; nothing can be sent without media', opts, async (t) => {
  const { RTCDTMFSender } = rtc();
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const sender = pc1.addTrack(remoteTrack(t));
  const dtmf = sender.dtmf;
  assert.ok(dtmf instanceof RTCDTMFSender);
  assert.ok(dtmf instanceof EventTarget);
  assert.equal(dtmf.canInsertDTMF, false);
  assert.equal(dtmf.toneBuffer, '');
  throwsWith(() => dtmf.insertDTMF('123'), 'InvalidStateError');
  assert.equal(pc1.addTransceiver('video').sender.dtmf, null);
  // Connected and sending: still no telephone-event negotiated.
  await connect(pc1, pc2);
  await connected(pc1);
  assert.equal(sender.transport.state, 'connected');
  assert.equal(pc1.getTransceivers()[0].currentDirection, 'sendonly');
  assert.equal(dtmf.canInsertDTMF, false);
  throwsWith(() => dtmf.insertDTMF('1'), 'InvalidStateError');
  throwsWith(() => dtmf.insertDTMF('1', 50, 50), 'InvalidStateError');
});

// ---------------------------------------------------------------------------
// MediaStream and MediaStreamTrack

test('MediaStream: constructors, track lists, no events for script changes', opts, (t) => {
  const { MediaStream } = rtc();
  const a = remoteTrack(t, 'audio');
  const v = remoteTrack(t, 'video');
  const empty = new MediaStream();
  assert.match(empty.id, /^[0-9a-f-]{36}$/);
  assert.equal(empty.active, false);
  assert.deepEqual(empty.getTracks(), []);
  const s = new MediaStream([v, a, a]);
  assert.notEqual(s.id, empty.id);
  assert.deepEqual(s.getTracks(), [a, v]); // audio first, as in Chrome
  assert.deepEqual(s.getAudioTracks(), [a]);
  assert.deepEqual(s.getVideoTracks(), [v]);
  assert.ok(s.getTrackById(v.id) === v);
  assert.equal(s.getTrackById('nope'), null);
  assert.equal(s.active, true);
  const copy = new MediaStream(s);
  assert.notEqual(copy.id, s.id);
  assert.deepEqual(copy.getTracks(), [a, v]);
  let events = 0;
  empty.onaddtrack = () => events++;
  empty.onremovetrack = () => events++;
  empty.addTrack(a);
  empty.addTrack(a);
  assert.deepEqual(empty.getTracks(), [a]);
  empty.removeTrack(v);
  empty.removeTrack(a);
  assert.deepEqual(empty.getTracks(), []);
  assert.equal(events, 0);
  const clone = s.clone();
  assert.notEqual(clone.id, s.id);
  assert.equal(clone.getTracks().length, 2);
  assert.ok(clone.getTracks().every((c, i) => c !== s.getTracks()[i] && c.kind === s.getTracks()[i].kind));
  a.stop();
  v.stop();
  assert.equal(s.active, false);
  assert.equal(clone.active, true);
  assert.throws(() => new MediaStream([{}]), TypeError);
});

test('MediaStreamTrack: no constructor, clone, stop, constraints without a source', opts, async (t) => {
  const { MediaStreamTrack } = rtc();
  assert.throws(() => new MediaStreamTrack(), TypeError);
  const track = remoteTrack(t, 'video');
  track.enabled = false;
  const clone = track.clone();
  assert.notEqual(clone.id, track.id);
  assert.equal(clone.kind, 'video');
  assert.equal(clone.label, track.label);
  assert.equal(clone.enabled, false);
  assert.equal(clone.muted, true);
  assert.deepEqual(track.getCapabilities(), {});
  assert.deepEqual(track.getSettings(), {});
  assert.deepEqual(track.getConstraints(), {});
  await withTimeout(track.applyConstraints(), 'applyConstraints()');
  // Ideal values and advanced sets ask nothing of a source.
  const ideal = { width: 640, facingMode: 'user', advanced: [{ height: { exact: 480 } }] };
  await withTimeout(track.applyConstraints(ideal), 'applyConstraints(ideal)');
  assert.deepEqual(track.getConstraints(), ideal);
  await rejectsWith(track.applyConstraints({ width: { exact: 640 } }), 'OverconstrainedError');
  await rejectsWith(track.applyConstraints({ deviceId: { exact: 'x' } }), 'OverconstrainedError');
  await rejectsWith(track.applyConstraints({ frameRate: { min: 1 } }), 'OverconstrainedError');
  assert.deepEqual(track.getConstraints(), ideal, 'a failed call changes nothing');
  assert.deepEqual(track.clone().getConstraints(), ideal);
  let ended = 0;
  track.onended = () => ended++;
  track.stop();
  assert.equal(track.readyState, 'ended');
  assert.equal(clone.readyState, 'live');
  track.stop();
  assert.equal(ended, 0); // stop() fires nothing
  assert.equal(track.clone().readyState, 'ended');
});

// ---------------------------------------------------------------------------
// Lifetime

test('unreferenced remote tracks and streams still fire their events', opts, async (t) => {
  const v8 = require('node:v8');
  const vm = require('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const { MediaStream } = rtc();
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const sender = pc1.addTrack(remoteTrack(t), new MediaStream());
  const removed = new Promise((resolve) => {
    pc2.ontrack = (e) => {
      e.streams[0].onremovetrack = () => resolve('removetrack');
    };
  });
  await negotiate(pc1, pc2);
  pc2.ontrack = null;
  gc();
  pc1.removeTrack(sender);
  await negotiate(pc1, pc2);
  assert.equal(await withTimeout(removed, 'removetrack on an unreferenced stream'), 'removetrack');
  const ended = new Promise((resolve) => {
    pc2.ontrack = (e) => {
      e.track.onended = () => resolve('ended');
    };
  });
  const again = pc1.addTrack(remoteTrack(t));
  await negotiate(pc1, pc2);
  pc2.ontrack = null;
  gc();
  pc1.getTransceivers().find((tr) => tr.sender === again).stop();
  await negotiate(pc1, pc2);
  assert.equal(await withTimeout(ended, 'ended on an unreferenced track'), 'ended');
});

test('Node stays alive for the promises of tracks and senders, then exits', opts, () => {
  const result = runNode(['-e', `
    process.env.RTCBOX_ADDON = ${JSON.stringify(addonPath('rtcbox'))};
    const { RTCPeerConnection } = require(${JSON.stringify(ROOT)});
    const pc = new RTCPeerConnection();
    const tr = pc.addTransceiver('audio');
    const track = tr.receiver.track;
    track.applyConstraints({}).then(() => console.log('applied'));
    tr.sender.replaceTrack(track).then(() => console.log('replaced', tr.sender.track === track));
    tr.sender.getStats().then((r) => console.log('stats', r.size));
    const p = tr.sender.getParameters();
    tr.sender.setParameters(p).then(() => { console.log('set'); pc.close(); });`], { timeoutMs: 20000 });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n').sort(), ['applied', 'replaced true', 'set', 'stats 0']);
});

test('a worker that exits with RTP objects and pending promises tears down cleanly', opts, async () => {
  const { Worker } = require('node:worker_threads');
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    process.env.RTCBOX_ADDON = ${JSON.stringify(addonPath('rtcbox'))};
    const { RTCPeerConnection, MediaStream } = require(${JSON.stringify(ROOT)});
    const pc1 = new RTCPeerConnection(), pc2 = new RTCPeerConnection();
    const track = pc1.addTransceiver('video').receiver.track;
    pc1.addTrack(track, new MediaStream([track]));
    pc2.ontrack = (e) => { globalThis.keep = e.streams; };
    (async () => {
      await pc1.setLocalDescription();
      await pc2.setRemoteDescription(pc1.localDescription);
      track.applyConstraints({ width: 1 });
      pc1.getSenders()[0].replaceTrack(null);
      pc1.getSenders()[0].getStats();
      parentPort.postMessage(String(globalThis.keep.length));
      process.exit(0);
    })();`, { eval: true });
  const message = withTimeout(new Promise((resolve) => worker.once('message', resolve)), 'the worker');
  const exited = withTimeout(new Promise((resolve) => worker.once('exit', resolve)), 'the worker\'s exit');
  assert.equal(await message, '1');
  assert.equal(await exited, 0);
});

test('a script that only adds a transceiver or changes its direction gets negotiationneeded before Node exits', { skip: DEEPBIND_SKIP }, () => {
  for (const step of [
    "pc.addTransceiver('audio')",
    "pc.addTransceiver('video', { direction: 'recvonly' })",
  ]) {
    const result = runNode(['-e', `
      const { RTCPeerConnection } = require(${JSON.stringify(ROOT)});
      const pc = new RTCPeerConnection();
      pc.onnegotiationneeded = () => { console.log('negotiationneeded'); pc.close(); };
      ${step};
    `], { env: { RTCBOX_ADDON: addonPath('rtcbox') } });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'negotiationneeded', step);
  }
});
