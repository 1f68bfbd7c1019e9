'use strict';
// RTCPeerConnection, RTCSessionDescription, RTCCertificate and
// RTCStatsReport (webrtc-pc §4, §4.9, §8) through the JS bindings
// (api/js/impl/peer_connection.c): the constructor and its configuration,
// offer/answer between two connections of this process over the loopback
// interface (icecandidate events exchanged in JS), events and their order,
// description getters, certificates, stats, close(), the legacy callback
// forms, and when Node may exit.
//
// Waiting: every wait is on an event or a promise, bounded by a generous
// timeout that fails the test (no sleeps). "Nothing happened" is checked
// after a getStats() round trip, which the core answers after anything
// queued before it.

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

// Resolves with 'pending' if `promise` has not settled once `after` has.
async function stillPending(promise, after) {
  const marker = Symbol('pending');
  const first = await Promise.race([promise.then(() => 'resolved', () => 'rejected'), after.then(() => marker)]);
  return first === marker ? 'pending' : first;
}

function newPc(t, config) {
  const pc = new (rtc().RTCPeerConnection)(config);
  t.after(() => pc.close());
  return pc;
}

const EVENTS = ['negotiationneeded', 'signalingstatechange', 'icegatheringstatechange',
  'iceconnectionstatechange', 'connectionstatechange', 'icecandidate', 'icecandidateerror',
  'datachannel'];
const STATE_OF = {
  signalingstatechange: 'signalingState',
  icegatheringstatechange: 'iceGatheringState',
  iceconnectionstatechange: 'iceConnectionState',
  connectionstatechange: 'connectionState',
};

// Records every event of `pc` as "type" or "type:state-at-dispatch".
function record(pc) {
  const seen = [];
  for (const type of EVENTS) {
    pc.addEventListener(type, (e) => {
      if (STATE_OF[type]) seen.push(`${type}:${pc[STATE_OF[type]]}`);
      else if (type === 'icecandidate') seen.push(`icecandidate:${e.candidate === null ? 'null' : e.candidate.candidate === '' ? 'end' : 'candidate'}`);
      else seen.push(type);
    });
  }
  return seen;
}

function stateReached(pc, attribute, event, value) {
  if (pc[attribute] === value) return Promise.resolve();
  return withTimeout(new Promise((resolve) => {
    const check = () => {
      if (pc[attribute] === value) {
        pc.removeEventListener(event, check);
        resolve();
      }
    };
    pc.addEventListener(event, check);
  }), `${attribute} ${value}`);
}

// Trickles candidates both ways, then offer/answer with the parameterless
// setLocalDescription(); resolves once both are connected. pc1 must have
// something to negotiate (a data channel).
async function connect(pc1, pc2) {
  for (const [from, to] of [[pc1, pc2], [pc2, pc1]]) {
    from.addEventListener('icecandidate', (e) => {
      if (e.candidate) to.addIceCandidate(e.candidate).catch((err) => assert.fail(`addIceCandidate: ${err}`));
    });
  }
  await pc1.setLocalDescription();
  await pc2.setRemoteDescription(pc1.localDescription);
  await pc2.setLocalDescription();
  await pc1.setRemoteDescription(pc2.localDescription);
  await Promise.all([
    stateReached(pc1, 'connectionState', 'connectionstatechange', 'connected'),
    stateReached(pc2, 'connectionState', 'connectionstatechange', 'connected'),
  ]);
}

function fingerprintOf(sdp) {
  const m = /a=fingerprint:(\S+) (\S+)/.exec(sdp);
  return m && { algorithm: m[1].toLowerCase(), value: m[2].toLowerCase() };
}

// --- Interface shape ---------------------------------------------------

test('RTCPeerConnection is an EventTarget whose on<event> handlers fire', opts, (t) => {
  const pc = newPc(t);
  assert.ok(pc instanceof EventTarget);
  assert.equal(Object.prototype.toString.call(pc), '[object RTCPeerConnection]');
  for (const type of EVENTS.filter((e) => e !== 'datachannel')) assert.equal(pc[`on${type}`], null, type);
  let calls = 0;
  pc.onnegotiationneeded = function (e) {
    assert.equal(this, pc);
    assert.equal(e.type, 'negotiationneeded');
    calls++;
  };
  pc.dispatchEvent(new Event('negotiationneeded'));
  pc.onnegotiationneeded = null;
  pc.dispatchEvent(new Event('negotiationneeded'));
  assert.equal(calls, 1);
  assert.throws(() => rtc().RTCPeerConnection(), TypeError, 'needs new');
  assert.throws(() => rtc().RTCPeerConnection.prototype.createDataChannel.call({}, 'x'), /Illegal invocation/);
});

test('a new connection: its states, no descriptions, no sctp', opts, (t) => {
  const pc = newPc(t);
  assert.equal(pc.signalingState, 'stable');
  assert.equal(pc.iceGatheringState, 'new');
  assert.equal(pc.iceConnectionState, 'new');
  assert.equal(pc.connectionState, 'new');
  assert.equal(pc.canTrickleIceCandidates, null);
  for (const d of ['localDescription', 'currentLocalDescription', 'pendingLocalDescription',
    'remoteDescription', 'currentRemoteDescription', 'pendingRemoteDescription']) {
    assert.equal(pc[d], null, d);
  }
  assert.equal(pc.sctp, null);
});

// --- Configuration -------------------------------------------------------

test('the constructor rejects bad configurations with the spec\'s errors', opts, () => {
  const { RTCPeerConnection } = rtc();
  const cases = [
    [{ iceServers: [{ urls: 'foo' }] }, 'SyntaxError'],
    // "validate an ICE server URL": a scheme other than stun(s)/turn(s).
    [{ iceServers: [{ urls: 'http://example.com' }] }, 'SyntaxError'],
    [{ iceServers: [{ urls: ['stun:a.example', 'stun:'] }] }, 'SyntaxError'],
    [{ iceServers: [{ urls: [] }] }, 'SyntaxError'],
    [{ iceServers: [{ urls: 'stun:a.example\0' }] }, 'SyntaxError'],
    [{ iceServers: [{ urls: 'turn:turn.example' }] }, 'InvalidAccessError'],
    [{ iceServers: [{ urls: 'turn:turn.example', username: 'u' }] }, 'InvalidAccessError'],
    [{ iceServers: [{}] }, TypeError],
    [{ bundlePolicy: 'most' }, TypeError],
    [{ iceTransportPolicy: 'none' }, TypeError],
    [{ rtcpMuxPolicy: 'negotiate' }, TypeError],
    [{ iceCandidatePoolSize: 256 }, TypeError],
    [{ iceCandidatePoolSize: -1 }, TypeError],
    [{ certificates: [{}] }, TypeError],
  ];
  for (const [config, expected] of cases) {
    const what = JSON.stringify(config);
    if (typeof expected === 'string') {
      assert.throws(() => new RTCPeerConnection(config), (e) => e instanceof DOMException && e.name === expected, what);
    } else {
      assert.throws(() => new RTCPeerConnection(config), expected, what);
    }
  }
  assert.throws(() => new RTCPeerConnection({ iceServers: [{ urls: 'turn:turn.example' }] }),
    /^InvalidAccessError: Failed to construct 'RTCPeerConnection': /);
  // What the spec accepts.
  for (const config of [undefined, null, {}, { iceCandidatePoolSize: 255 },
    { iceServers: [{ urls: 'turn:turn.example?transport=tcp', username: 'u', credential: 'c' }] },
    { bundlePolicy: 'max-compat', iceTransportPolicy: 'relay' }]) {
    new RTCPeerConnection(config).close();
  }
});

test('getConfiguration() gives the configuration back, urls as a list, with the same certificates', opts, async (t) => {
  const { RTCPeerConnection } = rtc();
  const cert = await withTimeout(RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' }), 'a certificate');
  const pc = newPc(t, {
    iceServers: [
      { urls: 'stun:stun.example:3478' },
      { urls: ['turn:turn.example', 'turns:turn.example:5349'], username: 'user', credential: 'pass' },
    ],
    iceTransportPolicy: 'relay',
    bundlePolicy: 'max-bundle',
    certificates: [cert],
    iceCandidatePoolSize: 2,
  });
  const c = pc.getConfiguration();
  // webrtc-pc, set a configuration: "If urls is a string, set urls to a
  // list consisting of just that string."
  assert.deepEqual(c.iceServers, [
    { urls: ['stun:stun.example:3478'] },
    { urls: ['turn:turn.example', 'turns:turn.example:5349'], username: 'user', credential: 'pass' },
  ]);
  assert.equal(c.iceTransportPolicy, 'relay');
  assert.equal(c.bundlePolicy, 'max-bundle');
  assert.equal(c.rtcpMuxPolicy, 'require');
  assert.equal(c.iceCandidatePoolSize, 2);
  assert.equal(c.certificates.length, 1);
  assert.equal(c.certificates[0], cert);
  assert.notEqual(pc.getConfiguration(), c, 'a new dictionary each time');

  // Without certificates: the generated one, the same object every time.
  const pc2 = newPc(t);
  const generated = pc2.getConfiguration().certificates;
  assert.equal(generated.length, 1);
  assert.ok(generated[0] instanceof rtc().RTCCertificate);
  assert.equal(pc2.getConfiguration().certificates[0], generated[0]);
  assert.deepEqual(pc2.getConfiguration().iceServers, []);
});

test('setConfiguration() changes the servers and refuses what may not change', opts, async (t) => {
  const pc = newPc(t, { bundlePolicy: 'max-bundle' });
  pc.setConfiguration({ bundlePolicy: 'max-bundle', iceServers: [{ urls: ['stun:a.example'] }] });
  assert.deepEqual(pc.getConfiguration().iceServers, [{ urls: ['stun:a.example'] }]);
  const invalidModification = (e) => e instanceof DOMException && e.name === 'InvalidModificationError';
  assert.throws(() => pc.setConfiguration({ bundlePolicy: 'balanced' }), invalidModification);
  const other = await withTimeout(rtc().RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' }), 'a certificate');
  assert.throws(() => pc.setConfiguration({ bundlePolicy: 'max-bundle', certificates: [other] }), invalidModification);
  assert.throws(() => pc.setConfiguration({ bundlePolicy: 'max-bundle', iceServers: [{ urls: 'bad' }] }),
    (e) => e instanceof DOMException && e.name === 'SyntaxError');
  assert.throws(() => pc.setConfiguration({ bundlePolicy: 'max-bundle', iceServers: [{ urls: 'turn:t.example' }] }),
    (e) => e instanceof DOMException && e.name === 'InvalidAccessError');
  assert.throws(() => pc.setConfiguration({ bundlePolicy: 'nope' }), TypeError);
  // A failed call changed nothing.
  assert.deepEqual(pc.getConfiguration().iceServers, [{ urls: ['stun:a.example'] }]);
  assert.equal(pc.getConfiguration().bundlePolicy, 'max-bundle');
  // iceCandidatePoolSize may change until setLocalDescription.
  pc.setConfiguration({ bundlePolicy: 'max-bundle', iceCandidatePoolSize: 1 });
  pc.createDataChannel('x');
  await pc.setLocalDescription();
  assert.throws(() => pc.setConfiguration({ bundlePolicy: 'max-bundle', iceCandidatePoolSize: 3 }), invalidModification);
  pc.close();
  assert.throws(() => pc.setConfiguration({ bundlePolicy: 'max-bundle' }),
    (e) => e instanceof DOMException && e.name === 'InvalidStateError');
  // getConfiguration() still works once closed.
  assert.equal(pc.getConfiguration().bundlePolicy, 'max-bundle');
});

// --- Offer/answer ---------------------------------------------------------

test('two connections reach "connected" with trickled candidates; events in the spec\'s order', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const seen1 = record(pc1);
  const seen2 = record(pc2);
  const candidates = [];
  pc1.addEventListener('icecandidate', (e) => candidates.push(e));
  pc1.createDataChannel('negotiate');
  await withTimeout(connect(pc1, pc2), 'connected');

  // signalingstatechange: offerer and answerer.
  assert.deepEqual(seen1.filter((e) => e.startsWith('signaling')),
    ['signalingstatechange:have-local-offer', 'signalingstatechange:stable']);
  assert.deepEqual(seen2.filter((e) => e.startsWith('signaling')),
    ['signalingstatechange:have-remote-offer', 'signalingstatechange:stable']);
  for (const seen of [seen1, seen2]) {
    // Gathering: gathering, candidates, then complete and the null
    // candidate last (webrtc-pc §4.4.1.4).
    const g = seen.filter((e) => e.startsWith('icegathering') || e.startsWith('icecandidate:'));
    assert.equal(g[0], 'icegatheringstatechange:gathering');
    assert.ok(g.includes('icecandidate:candidate'), g.join());
    assert.deepEqual(g.slice(-2), ['icegatheringstatechange:complete', 'icecandidate:null']);
    // The end of candidates of the transport ("" candidate) comes first.
    assert.ok(g.includes('icecandidate:end'), g.join());
    assert.ok(g.indexOf('icecandidate:end') < g.indexOf('icegatheringstatechange:complete'));
    // Connection: checking before connected; connecting before connected;
    // the ICE state changes before the connection state that it causes.
    const ice = seen.filter((e) => e.startsWith('iceconnection'));
    assert.equal(ice[0], 'iceconnectionstatechange:checking');
    assert.ok(ice.includes('iceconnectionstatechange:connected'), ice.join());
    const conn = seen.filter((e) => e.startsWith('connectionstate'));
    assert.deepEqual(conn, ['connectionstatechange:connecting', 'connectionstatechange:connected']);
    assert.ok(seen.indexOf('iceconnectionstatechange:checking') < seen.indexOf('connectionstatechange:connecting'));
    assert.ok(!seen.includes('icecandidateerror'));
  }
  // The answerer's gathering starts with its local description.
  assert.ok(seen2.indexOf('signalingstatechange:stable') < seen2.indexOf('icegatheringstatechange:gathering'));

  // The candidate events.
  const { RTCIceCandidate, RTCPeerConnectionIceEvent } = rtc();
  const real = candidates.filter((e) => e.candidate && e.candidate.candidate);
  assert.ok(real.length > 0);
  for (const e of real) {
    assert.ok(e instanceof RTCPeerConnectionIceEvent);
    assert.ok(e.candidate instanceof RTCIceCandidate);
    assert.match(e.candidate.candidate, /^candidate:/);
    assert.equal(typeof e.candidate.sdpMid, 'string');
    assert.equal(e.candidate.sdpMLineIndex, 0);
    assert.equal(e.url, null, 'host candidates come from no server');
  }
  assert.equal(candidates[candidates.length - 1].candidate, null);

  assert.equal(pc1.iceGatheringState, 'complete');
  assert.equal(pc1.canTrickleIceCandidates, true);
  assert.ok(['connected', 'completed'].includes(pc1.iceConnectionState));
});

test('the description getters follow the offer/answer, the same object while unchanged', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const { RTCSessionDescription } = rtc();
  pc1.createDataChannel('x');
  const offer = await pc1.createOffer();
  assert.deepEqual(Object.keys(offer).sort(), ['sdp', 'type']);
  assert.equal(offer.type, 'offer');
  assert.match(offer.sdp, /^v=0\r\n/);
  assert.equal(pc1.localDescription, null, 'createOffer sets nothing');

  await pc1.setLocalDescription(offer);
  const local = pc1.localDescription;
  assert.ok(local instanceof RTCSessionDescription);
  assert.equal(local.type, 'offer');
  assert.equal(pc1.pendingLocalDescription, local, 'localDescription is pendingLocalDescription');
  assert.equal(pc1.currentLocalDescription, null);
  assert.equal(pc1.localDescription, pc1.localDescription, 'same object while unchanged');
  assert.deepEqual(local.toJSON(), { type: 'offer', sdp: local.sdp });

  await pc2.setRemoteDescription(offer);
  assert.equal(pc2.remoteDescription.type, 'offer');
  assert.equal(pc2.pendingRemoteDescription, pc2.remoteDescription);
  assert.equal(pc2.currentRemoteDescription, null);
  assert.equal(pc2.signalingState, 'have-remote-offer');

  const answer = await pc2.createAnswer();
  assert.equal(answer.type, 'answer');
  await pc2.setLocalDescription(answer);
  assert.equal(pc2.pendingRemoteDescription, null);
  assert.equal(pc2.currentRemoteDescription.type, 'offer');
  assert.equal(pc2.currentLocalDescription.type, 'answer');
  await pc1.setRemoteDescription(answer);
  assert.equal(pc1.signalingState, 'stable');
  assert.equal(pc1.currentRemoteDescription.type, 'answer');
  assert.equal(pc1.currentLocalDescription.type, 'offer');
  assert.equal(pc1.pendingLocalDescription, null);
  assert.equal(pc1.remoteDescription, pc1.currentRemoteDescription);
  // Gathered candidates show in the local description.
  await stateReached(pc1, 'iceGatheringState', 'icegatheringstatechange', 'complete');
  assert.match(pc1.localDescription.sdp, /a=candidate:/);
  assert.match(pc1.localDescription.sdp, /a=end-of-candidates/);
  pc1.close();
  // The descriptions stay after close().
  assert.equal(pc1.currentLocalDescription.type, 'offer');
});

test('setLocalDescription: type-only, parameterless and rollback forms; errors', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  pc1.createDataChannel('x');
  // A type without sdp creates that description.
  await pc1.setLocalDescription({ type: 'offer' });
  assert.equal(pc1.signalingState, 'have-local-offer');
  assert.equal(pc1.localDescription.type, 'offer');
  // Rollback.
  await pc1.setLocalDescription({ type: 'rollback' });
  assert.equal(pc1.signalingState, 'stable');
  assert.equal(pc1.localDescription, null);
  // Parameterless: an offer in stable, an answer in have-remote-offer.
  await pc1.setLocalDescription();
  assert.equal(pc1.localDescription.type, 'offer');
  await pc2.setRemoteDescription(pc1.localDescription);
  await pc2.setLocalDescription();
  assert.equal(pc2.localDescription.type, 'answer');
  assert.equal(pc2.signalingState, 'stable');
  // A modified description.
  const pc3 = newPc(t);
  pc3.createDataChannel('x');
  const offer = await pc3.createOffer();
  await assert.rejects(pc3.setLocalDescription({ type: 'offer', sdp: offer.sdp.replace(/a=ice-ufrag:\S+/, 'a=ice-ufrag:abcdefgh') }),
    (e) => e instanceof DOMException && e.name === 'InvalidModificationError' &&
      /^Failed to execute 'setLocalDescription' on 'RTCPeerConnection': /.test(e.message));
  // An answer in stable.
  await assert.rejects(pc3.setLocalDescription({ type: 'answer' }),
    (e) => e instanceof DOMException && e.name === 'InvalidStateError');
  // Rollback in stable.
  await assert.rejects(pc3.setRemoteDescription({ type: 'rollback' }),
    (e) => e instanceof DOMException && e.name === 'InvalidStateError');
  // Missing type of setRemoteDescription: TypeError from the conversion.
  await assert.rejects(pc3.setRemoteDescription({ sdp: offer.sdp }), TypeError);
});

test('setRemoteDescription with bad SDP rejects with RTCError sdp-syntax-error and its line', opts, async (t) => {
  const pc = newPc(t);
  const err = await pc.setRemoteDescription({ type: 'offer', sdp: 'v=0\r\nthis is not sdp\r\n' }).then(
    () => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof rtc().RTCError, String(err));
  assert.ok(err instanceof DOMException);
  assert.equal(err.name, 'OperationError');
  assert.equal(err.errorDetail, 'sdp-syntax-error');
  assert.equal(typeof err.sdpLineNumber, 'number');
  assert.ok(err.sdpLineNumber >= 1);
  assert.match(err.message, /^Failed to execute 'setRemoteDescription' on 'RTCPeerConnection': /);
  assert.equal(pc.signalingState, 'stable');
});

test('addIceCandidate: TypeError without sdpMid and sdpMLineIndex; InvalidStateError without a remote description', opts, async (t) => {
  const pc = newPc(t);
  const line = 'candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host';
  await assert.rejects(pc.addIceCandidate({ candidate: line }),
    (e) => e instanceof TypeError && /sdpMid and sdpMLineIndex/.test(e.message));
  await assert.rejects(pc.addIceCandidate({ candidate: line, sdpMid: '0' }),
    (e) => e instanceof DOMException && e.name === 'InvalidStateError');
  // An RTCIceCandidate works as the dictionary.
  const pc1 = newPc(t);
  pc1.createDataChannel('x');
  await pc.setRemoteDescription(await pc1.createOffer());
  const c = new (rtc().RTCIceCandidate)({ candidate: line, sdpMLineIndex: 0 });
  await pc.addIceCandidate(c);
  // End of candidates (no argument, or an empty candidate).
  await pc.addIceCandidate();
  await pc.addIceCandidate({ candidate: '', sdpMid: null, sdpMLineIndex: null });
  pc.close();
  // TypeError comes before the closed check (webrtc-pc step order).
  await assert.rejects(pc.addIceCandidate({ candidate: line }), TypeError);
  await assert.rejects(pc.addIceCandidate({ candidate: line, sdpMid: '0' }),
    (e) => e instanceof DOMException && e.name === 'InvalidStateError');
});

test('createOffer with the legacy offerToReceive options adds receive-only transceivers', opts, async (t) => {
  const pc = newPc(t);
  const offer = await pc.createOffer({ offerToReceiveAudio: true, offerToReceiveVideo: true });
  assert.equal((offer.sdp.match(/^m=audio/mg) || []).length, 1);
  assert.equal((offer.sdp.match(/^m=video/mg) || []).length, 1);
  assert.match(offer.sdp, /a=recvonly/);
  const again = await pc.createOffer({ offerToReceiveAudio: true });
  assert.equal((again.sdp.match(/^m=audio/mg) || []).length, 1, 'not a second one');
  const none = await pc.createOffer({ offerToReceiveAudio: false });
  assert.match(none.sdp, /m=audio[^]*a=inactive/);
});

test('the datachannel event carries the peer\'s channel; pc.sctp is the same object each time', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const { RTCDataChannel, RTCDataChannelEvent, RTCSctpTransport } = rtc();
  pc1.createDataChannel('hello', { protocol: 'p1' });
  const announced = withTimeout(new Promise((resolve) => { pc2.ondatachannel = resolve; }), 'datachannel');
  await withTimeout(connect(pc1, pc2), 'connected');
  const e = await announced;
  assert.ok(e instanceof RTCDataChannelEvent);
  assert.ok(e.channel instanceof RTCDataChannel);
  assert.equal(e.channel.label, 'hello');
  assert.equal(e.channel.protocol, 'p1');
  assert.ok(pc1.sctp instanceof RTCSctpTransport);
  assert.equal(pc1.sctp, pc1.sctp);
  assert.equal(pc2.sctp, pc2.sctp);
  assert.equal(pc1.sctp.transport, pc1.sctp.transport);
});

test('createDataChannel() returns a channel, refuses bad init, and throws InvalidStateError when closed', opts, (t) => {
  const pc = newPc(t);
  const dc = pc.createDataChannel('label', { ordered: false, maxRetransmits: 2, protocol: 'proto' });
  assert.ok(dc instanceof rtc().RTCDataChannel);
  assert.equal(dc.label, 'label');
  assert.equal(dc.ordered, false);
  assert.equal(dc.maxRetransmits, 2);
  assert.equal(dc.protocol, 'proto');
  assert.equal(dc.readyState, 'connecting');
  assert.throws(() => pc.createDataChannel('x', { maxRetransmits: 1, maxPacketLifeTime: 1 }), TypeError);
  assert.throws(() => pc.createDataChannel('x', { negotiated: true }), TypeError);
  assert.throws(() => pc.createDataChannel(), TypeError);
  pc.close();
  assert.equal(dc.readyState, 'closed');
  assert.throws(() => pc.createDataChannel('x'), (e) => e instanceof DOMException && e.name === 'InvalidStateError');
});

test('negotiationneeded fires once the operations chain is empty', opts, async (t) => {
  const pc = newPc(t);
  const fired = withTimeout(new Promise((resolve) => { pc.onnegotiationneeded = resolve; }), 'negotiationneeded');
  pc.createDataChannel('x');
  const e = await fired;
  assert.equal(e.type, 'negotiationneeded');
  assert.equal(e.constructor, Event);
});

// The state of `promise` after the microtasks queued now have run (no task
// in between): what webrtc-pc's "chain an operation" decides within the
// call shows here.
async function stateThisTask(promise) {
  let state = 'pending';
  promise.then(() => { state = 'fulfilled'; }, () => { state = 'rejected'; });
  for (let i = 0; i < 10; i++) await null;
  return state;
}

test('on an empty operations chain the first steps reject in the same task; behind another operation they wait', opts, async (t) => {
  const pc = newPc(t);
  // Empty chain: rejected before any task runs.
  const early = [
    pc.createAnswer(),
    pc.setLocalDescription({ type: 'rollback' }),
    pc.setRemoteDescription({ type: 'rollback' }),
    pc.addIceCandidate(),
  ];
  for (const p of early) {
    assert.equal(await stateThisTask(p), 'rejected');
    await assert.rejects(p, (e) => e.name === 'InvalidStateError');
  }
  // A createOffer that succeeds stays on the chain until its own task:
  // what is chained behind it is still pending in this task.
  const offer = pc.createOffer();
  const answer = pc.createAnswer();
  assert.equal(await stateThisTask(answer), 'pending');
  assert.equal(await stateThisTask(offer), 'pending');
  await withTimeout(offer, 'createOffer');
  await assert.rejects(answer, (e) => e.name === 'InvalidStateError');
  // Once it settled the chain is empty again.
  const again = pc.createAnswer();
  assert.equal(await stateThisTask(again), 'rejected');
  await assert.rejects(again, (e) => e.name === 'InvalidStateError');
});

// --- Certificates -----------------------------------------------------

test('generateCertificate(ECDSA P-256): expires, getFingerprints(), usable in a configuration', opts, async (t) => {
  const { RTCPeerConnection, RTCCertificate } = rtc();
  const before = Date.now();
  const cert = await withTimeout(RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' }), 'ECDSA');
  assert.ok(cert instanceof RTCCertificate);
  // Default lifetime: 30 days.
  const days = (cert.expires - before) / 86400000;
  assert.ok(days > 29.9 && days < 30.1, `${days} days`);
  const fps = cert.getFingerprints();
  assert.equal(fps.length, 1);
  assert.equal(fps[0].algorithm, 'sha-256');
  // webrtc-pc RTCDtlsFingerprint.value: lowercase hex, RFC 4572 syntax.
  assert.match(fps[0].value, /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
  assert.notEqual(cert.getFingerprints(), fps, 'a new array each time');

  // Used by a connection: its fingerprint is in the SDP.
  const pc = newPc(t, { certificates: [cert] });
  pc.createDataChannel('x');
  const offer = await pc.createOffer();
  assert.deepEqual(fingerprintOf(offer.sdp), fps[0]);

  // expires (ms from now) in the algorithm.
  const short = await withTimeout(RTCPeerConnection.generateCertificate({ name: 'ecdsa', namedCurve: 'P-256', expires: 3600000 }), 'short');
  const hours = (short.expires - before) / 3600000;
  assert.ok(hours > 0.99 && hours < 1.01, `${hours} hours`);
  // An expired certificate is refused by the constructor.
  const expired = await withTimeout(RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256', expires: 1 }), 'expired');
  await withTimeout((async () => {
    while (Date.now() <= expired.expires) await new Promise((resolve) => setImmediate(resolve));
  })(), 'the expiry');
  assert.throws(() => new RTCPeerConnection({ certificates: [expired] }),
    (e) => e instanceof DOMException && e.name === 'InvalidAccessError');
  // expires: 0 is expired at once: cert.expires is the time of generation,
  // never after Date.now() (it was 1 ms after it, later than Date.now()
  // when generation took under a millisecond).
  for (let i = 0; i < 20; i++) {
    const zero = await withTimeout(RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256', expires: 0 }), 'expires 0');
    assert.ok(zero.expires <= Date.now(), `${zero.expires} <= ${Date.now()}`);
  }
});

test('generateCertificate(RSASSA-PKCS1-v1_5 2048) works and connects', opts, async (t) => {
  const { RTCPeerConnection } = rtc();
  const rsa = await withTimeout(RTCPeerConnection.generateCertificate({
    name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256',
  }), 'RSA', 15000);
  assert.match(rsa.getFingerprints()[0].value, /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
  const pc1 = newPc(t, { certificates: [rsa] });
  const pc2 = newPc(t);
  pc1.createDataChannel('negotiate');
  await withTimeout(connect(pc1, pc2), 'connected');
  assert.deepEqual(fingerprintOf(pc1.localDescription.sdp), rsa.getFingerprints()[0]);
});

test('generateCertificate rejects unsupported algorithms with NotSupportedError', opts, async () => {
  const { RTCPeerConnection } = rtc();
  const notSupported = (e) => e instanceof DOMException && e.name === 'NotSupportedError';
  const rsa = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  for (const alg of ['ECDSA', 'AES-GCM', { name: 'ECDSA' }, { name: 'ECDSA', namedCurve: 'P-384' },
    { name: 'ECDSA', namedCurve: 'p-256' }, { name: 'Ed25519' }, {},
    { ...rsa, modulusLength: 1024 }, { ...rsa, publicExponent: new Uint8Array([3]) },
    { ...rsa, hash: 'SHA-1' }, { ...rsa, hash: undefined }]) {
    await assert.rejects(RTCPeerConnection.generateCertificate(alg), notSupported, JSON.stringify(alg));
  }
  // Conversion errors are TypeErrors.
  await assert.rejects(RTCPeerConnection.generateCertificate(), TypeError);
  await assert.rejects(RTCPeerConnection.generateCertificate({ ...rsa, publicExponent: [1, 0, 1] }), TypeError);
  await assert.rejects(RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256', expires: -1 }), TypeError);
  // hash as an object, and the name of the algorithm in any case.
  const ok = await withTimeout(RTCPeerConnection.generateCertificate({ ...rsa, name: 'rsassa-pkcs1-v1_5', hash: { name: 'sha-256' } }), 'RSA', 15000);
  assert.ok(ok instanceof rtc().RTCCertificate);
});

// --- Stats ----------------------------------------------------------------

test('getStats() resolves with a maplike RTCStatsReport of the connection', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  pc1.createDataChannel('negotiate');
  await withTimeout(connect(pc1, pc2), 'connected');
  const report = await withTimeout(pc1.getStats(), 'getStats');
  assert.ok(report instanceof rtc().RTCStatsReport);
  assert.equal(Object.prototype.toString.call(report), '[object RTCStatsReport]');
  const types = new Set();
  let count = 0;
  report.forEach((value, key, map) => {
    assert.equal(map, report);
    assert.equal(value.id, key);
    assert.equal(typeof value.timestamp, 'number');
    types.add(value.type);
    count++;
  });
  assert.equal(report.size, count);
  for (const type of ['peer-connection', 'transport', 'candidate-pair', 'local-candidate', 'remote-candidate', 'certificate', 'data-channel']) {
    assert.ok(types.has(type), `${type} in ${[...types]}`);
  }
  const [firstKey, firstValue] = [...report][0];
  assert.ok(report.has(firstKey));
  assert.deepEqual(report.get(firstKey), firstValue);
  assert.equal(report.get('no such id'), undefined);
  assert.equal(report.has('no such id'), false);
  assert.deepEqual([...report.keys()].sort(), [...report.entries()].map(([k]) => k).sort());
  const pcStats = [...report.values()].find((s) => s.type === 'peer-connection');
  assert.equal(pcStats.dataChannelsOpened >= 0, true);
  // Still answers after close().
  pc1.close();
  const after = await withTimeout(pc1.getStats(), 'getStats after close');
  assert.ok(after.size > 0);
  // A null selector is the whole connection.
  assert.ok((await withTimeout(pc2.getStats(null), 'getStats(null)')).size > 0);
});

test('getStats(track): InvalidAccessError unless the track is one of the connection\'s', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  pc1.addTransceiver('audio');
  pc2.addTransceiver('video');
  const own = pc1.getReceivers()[0].track;
  const foreign = pc2.getReceivers()[0].track;
  assert.ok((await withTimeout(pc1.getStats(own), 'getStats(track)')) instanceof rtc().RTCStatsReport);
  await assert.rejects(pc1.getStats(foreign), (e) => e instanceof DOMException && e.name === 'InvalidAccessError');
  await assert.rejects(pc1.getStats({}), TypeError);
});

// --- close() ---------------------------------------------------------------

test('close(): closed states, no events after, operations reject InvalidStateError, pending ones never settle', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  pc1.createDataChannel('negotiate');
  await withTimeout(connect(pc1, pc2), 'connected');
  const seen = record(pc1);
  const dc = pc1.createDataChannel('late');
  // An operation queued behind another, then close() before they ran.
  const offer = pc1.createOffer();
  const sld = pc1.setLocalDescription({ type: 'rollback' });
  pc1.close();
  assert.equal(pc1.signalingState, 'closed');
  assert.equal(pc1.iceConnectionState, 'closed');
  assert.equal(pc1.connectionState, 'closed');
  assert.equal(dc.readyState, 'closed');
  pc1.close(); // again: nothing
  // getStats still settles: by then the chain's operations have run.
  const stats = pc1.getStats();
  assert.equal(await stillPending(offer, stats), 'pending');
  assert.equal(await stillPending(sld, stats), 'pending');
  const invalidState = (e) => e instanceof DOMException && e.name === 'InvalidStateError';
  for (const op of [() => pc1.createOffer(), () => pc1.createAnswer(), () => pc1.setLocalDescription(),
    () => pc1.setRemoteDescription({ type: 'offer', sdp: '' }), () => pc1.addIceCandidate({ candidate: '' })]) {
    await assert.rejects(op(), invalidState, op.toString());
  }
  assert.throws(() => pc1.createDataChannel('x'), invalidState);
  pc1.restartIce(); // no error
  // The peer notices nothing synchronously; pc1 fires nothing at all.
  await withTimeout(pc2.getStats(), 'stats');
  await withTimeout(pc1.getStats(), 'stats');
  assert.deepEqual(seen, []);
});

test('close() from an event handler: nothing fires afterwards', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  const seen = record(pc1);
  pc1.addEventListener('icegatheringstatechange', () => pc1.close(), { once: true });
  pc1.createDataChannel('x');
  await pc1.setLocalDescription().catch(() => {});
  await withTimeout(new Promise((resolve) => {
    if (pc1.signalingState === 'closed') resolve();
    else pc1.addEventListener('icegatheringstatechange', resolve, { once: true });
  }), 'gathering');
  await withTimeout(pc1.getStats(), 'stats');
  await withTimeout(pc2.getStats(), 'stats');
  const at = seen.indexOf('icegatheringstatechange:gathering');
  assert.ok(at >= 0, seen.join());
  assert.deepEqual(seen.slice(at + 1), [], 'nothing after close()');
});

// --- Legacy callbacks -------------------------------------------------------

test('the legacy callback forms call back and return a promise resolved with undefined', opts, async (t) => {
  const pc1 = newPc(t);
  const pc2 = newPc(t);
  pc1.createDataChannel('x');
  const call = (fn) => withTimeout(new Promise((resolve, reject) => {
    const returned = fn(resolve, reject);
    assert.ok(returned instanceof Promise);
    returned.then((v) => assert.equal(v, undefined));
  }), 'a callback');
  const offer = await call((ok, fail) => pc1.createOffer(ok, fail));
  assert.equal(offer.type, 'offer');
  await call((ok, fail) => pc1.setLocalDescription(offer, ok, fail));
  await call((ok, fail) => pc2.setRemoteDescription(offer, ok, fail));
  const answer = await call((ok, fail) => pc2.createAnswer(ok, fail));
  assert.equal(answer.type, 'answer');
  await call((ok, fail) => pc2.setLocalDescription(answer, ok, fail));
  await call((ok, fail) => pc1.setRemoteDescription(answer, ok, fail));
  await call((ok, fail) => pc1.addIceCandidate({ candidate: '' }, ok, fail));
  assert.equal(pc1.signalingState, 'stable');
  // Failures go to the failure callback; the returned promise still
  // resolves with undefined.
  const failed = await withTimeout(new Promise((resolve) => {
    pc1.setRemoteDescription({ type: 'offer', sdp: 'garbage' }, () => assert.fail('succeeded'), resolve)
      .then((v) => assert.equal(v, undefined));
  }), 'failure callback');
  assert.ok(failed instanceof rtc().RTCError);
  assert.equal(failed.errorDetail, 'sdp-syntax-error');
  const typeError = await withTimeout(new Promise((resolve) => {
    pc1.addIceCandidate({ candidate: 'candidate:1 1 udp 1 192.0.2.1 1 typ host' }, () => assert.fail('succeeded'), resolve);
  }), 'failure callback');
  assert.ok(typeError instanceof TypeError);
  pc1.close();
  const closed = await withTimeout(new Promise((resolve) => { pc1.createOffer(() => assert.fail('succeeded'), resolve); }), 'failure callback');
  assert.equal(closed.name, 'InvalidStateError');
  // A non-function callback is a TypeError of the returned promise.
  await assert.rejects(pc2.createOffer(() => {}, 'not a function'), TypeError);
});

// --- RTCSessionDescription ---------------------------------------------------

test('RTCSessionDescription: constructor, attributes, toJSON', opts, () => {
  const { RTCSessionDescription } = rtc();
  const d = new RTCSessionDescription({ type: 'answer', sdp: 'v=0\r\n' });
  assert.equal(d.type, 'answer');
  assert.equal(d.sdp, 'v=0\r\n');
  assert.deepEqual(d.toJSON(), { type: 'answer', sdp: 'v=0\r\n' });
  assert.equal(JSON.stringify(d), '{"type":"answer","sdp":"v=0\\r\\n"}');
  assert.equal(new RTCSessionDescription({ type: 'rollback' }).sdp, '');
  assert.throws(() => new RTCSessionDescription({ sdp: 'x' }), TypeError);
  assert.throws(() => new RTCSessionDescription({ type: 'bogus' }), TypeError);
  assert.throws(() => new RTCSessionDescription(), TypeError);
  assert.deepEqual(Object.keys(RTCSessionDescription.prototype).sort(), ['sdp', 'toJSON', 'type']);
});

// --- Lifetime: when Node exits --------------------------------------------

const LOAD = `process.env.RTCBOX_ADDON = ${JSON.stringify(addonPath('rtcbox'))};
const { RTCPeerConnection } = require(${JSON.stringify(ROOT)});`;

function runScript(body) {
  return runNode(['-e', `${LOAD}\n${body}`], { timeoutMs: 20000 });
}

test('Node exits with an unclosed connection nobody used', opts, () => {
  const result = runScript(`
    globalThis.keep = new RTCPeerConnection();
    console.log('created');`);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'created\n');
});

test('Node stays alive until negotiationneeded fired for a script that waits for it, then exits', opts, () => {
  // No listener calls setLocalDescription: once the event has fired,
  // nothing more can happen and Node exits without close().
  const result = runScript(`
    const pc = new RTCPeerConnection();
    pc.onnegotiationneeded = () => console.log('negotiationneeded');
    pc.createDataChannel('x');
    console.log('created');`);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'created\nnegotiationneeded\n');
  // With an operation pending the check comes once the chain is empty.
  const again = runScript(`
    const pc = new RTCPeerConnection();
    pc.onnegotiationneeded = () => console.log('negotiationneeded');
    pc.createDataChannel('x');
    pc.createOffer().then(() => console.log('offer'));`);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout, 'offer\nnegotiationneeded\n');
  // restartIce() before any negotiation: nothing to fire; Node exits.
  const restart = runScript(`
    const pc = new RTCPeerConnection();
    pc.onnegotiationneeded = () => console.log('negotiationneeded');
    pc.restartIce();
    console.log('restarted');`);
  assert.equal(restart.status, 0, restart.stderr);
  assert.equal(restart.stdout, 'restarted\n');
});

test('Node stays alive while an operation is pending and while a used connection is open', opts, () => {
  // The operation settles after the script ended; then the open connection
  // keeps Node alive until it is closed from an event.
  const result = runScript(`
    const pc = new RTCPeerConnection();
    pc.createDataChannel('x');
    pc.onicegatheringstatechange = () => {
      console.log('gathering', pc.iceGatheringState);
      if (pc.iceGatheringState === 'complete') setImmediate(() => { pc.close(); console.log('closed'); });
    };
    pc.createOffer().then((o) => { console.log('offer', o.type); return pc.setLocalDescription(o); })
      .then(() => console.log('set'));`);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'offer offer\nset\ngathering gathering\ngathering complete\nclosed\n');
});

test('Node stays alive for generateCertificate() and getStats()', opts, () => {
  const result = runScript(`
    RTCPeerConnection.generateCertificate({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' })
      .then((c) => console.log('certificate', c.getFingerprints()[0].algorithm));
    const pc = new RTCPeerConnection();
    pc.close();
    pc.getStats().then((r) => console.log('stats', r.size > 0));`);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n').sort(), ['certificate sha-256', 'stats true']);
});

test('a connection is collectable once closed, not before; finalizing it frees its objects', opts, () => {
  const result = runNode(['--expose-gc', '-e', `${LOAD}
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    (async () => {
      let closed = new RTCPeerConnection();
      closed.createDataChannel('x');
      const desc = (await closed.setLocalDescription(), closed.localDescription);
      const cert = closed.getConfiguration().certificates[0];
      closed.close();
      const closedRef = new WeakRef(closed);
      let open = new RTCPeerConnection();
      const openRef = new WeakRef(open);
      closed = null;
      open = null;
      for (let i = 0; i < 4; i++) { await tick(); globalThis.gc(); }
      // The objects it handed out outlive it.
      console.log(closedRef.deref() === undefined, openRef.deref() !== undefined,
                  desc.type, cert.getFingerprints().length);
      openRef.deref().close();
    })();`], { timeoutMs: 20000 });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'true true offer 1\n');
});

test('a worker that exits with connections in use and a certificate in progress tears down cleanly', opts, async () => {
  const { Worker } = require('node:worker_threads');
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    ${LOAD}
    const pc1 = new RTCPeerConnection(), pc2 = new RTCPeerConnection();
    pc1.onicecandidate = (e) => e.candidate && pc2.addIceCandidate(e.candidate).catch(() => {});
    pc2.onicecandidate = (e) => e.candidate && pc1.addIceCandidate(e.candidate).catch(() => {});
    pc1.createDataChannel('x');
    RTCPeerConnection.generateCertificate({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 4096,
        publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }).then(() => {});
    (async () => {
      await pc1.setLocalDescription();
      await pc2.setRemoteDescription(pc1.localDescription);
      await pc2.setLocalDescription();
      await pc1.setRemoteDescription(pc2.localDescription);
      pc1.getStats(); pc2.createOffer();
      parentPort.postMessage('negotiated');
      process.exit(0);
    })();`, { eval: true });
  const message = withTimeout(new Promise((resolve) => worker.once('message', resolve)), 'the worker');
  const exited = withTimeout(new Promise((resolve) => worker.once('exit', resolve)), 'the worker\'s exit');
  assert.equal(await message, 'negotiated');
  assert.equal(await exited, 0);
  // This env still works afterwards.
  const { RTCPeerConnection } = rtc();
  const pc = new RTCPeerConnection();
  pc.createDataChannel('x');
  assert.equal((await pc.createOffer()).type, 'offer');
  pc.close();
});


test('closed peer connections are collected without gc() from JS: V8 is told about their native memory', opts, () => {
  // A pc's JS object is small, its C side is not (~60 KB): unless the
  // bindings report that memory (napi_adjust_external_memory), V8 sees no
  // pressure and keeps thousands of closed pcs (and their memory) alive.
  const result = runNode(['-e', `${LOAD}
    let finalized = 0;
    const registry = new FinalizationRegistry(() => finalized++);
    (async () => {
      for (let i = 0; i < 3000; i++) {
        const pc = new RTCPeerConnection();
        registry.register(pc, i);
        pc.close();
        if (i % 100 === 99) await new Promise((r) => setImmediate(r));
      }
      for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
      console.log(finalized);
    })();
  `], { timeoutMs: 60000 });
  assert.equal(result.status, 0, result.stderr);
  assert.ok(Number(result.stdout) >= 1000, `finalized ${result.stdout.trim()} of 3000`);
});
