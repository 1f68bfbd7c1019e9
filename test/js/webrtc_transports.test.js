'use strict';
// RTCIceTransport, RTCDtlsTransport and RTCSctpTransport (webrtc-pc §5.5,
// §5.6, §6.1.1) of the rtcbox bindings (api/js/impl/transports.c), on two
// RTCPeerConnections of this process connected to each other over
// loopback.
//
// The offer/answer exchange does not trickle: each side waits for
// "complete" gathering and sends its whole description, so that every
// step is deterministic. Listeners go on a transport as soon as JS can
// reach it (pc.sctp after the answer); events run as tasks of the
// signaling queue, one per wake-up of the JS thread, so none of them can
// slip between a promise's resolution and its continuation.

const assert = require('node:assert/strict');
const { X509Certificate } = require('node:crypto');
const { test } = require('node:test');
const { DEEPBIND_SKIP, addonPath } = require('./support.js');

const TIMEOUT_MS = 10000;

let rtc = null;
function api() {
  if (!rtc) {
    process.env.RTCBOX_ADDON = addonPath('rtcbox');
    rtc = require('../..');
  }
  return rtc;
}

// The next event `type` on `target` for which pred(event) holds; rejects
// after `ms`. Checks `already()` first (a state reached before we wait).
function when(target, type, { pred = () => true, already = () => false, ms = TIMEOUT_MS } = {}) {
  if (already())
    return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.removeEventListener(type, on);
      reject(new Error(`no ${type} event within ${ms} ms`));
    }, ms);
    function on(event) {
      if (!pred(event))
        return;
      clearTimeout(timer);
      target.removeEventListener(type, on);
      resolve(event);
    }
    target.addEventListener(type, on);
  });
}

function gathered(pc) {
  return when(pc, 'icegatheringstatechange', {
    pred: () => pc.iceGatheringState === 'complete',
    already: () => pc.iceGatheringState === 'complete',
  });
}

// "a=<name>:<value>" of the data m-section (or the session), first one.
function sdpAttribute(sdp, name) {
  const m = sdp.match(new RegExp(`^a=${name}:(.*?)\\r?$`, 'm'));
  assert.ok(m, `no a=${name} in\n${sdp}`);
  return m[1];
}

function sdpCandidates(sdp) {
  return sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:')).map((l) => l.slice(2));
}

// Transport events, with the state each target had when it fired.
class Recorder {
  constructor() {
    this.log = [];
  }

  watch(name, target, types) {
    for (const type of types) {
      target.addEventListener(type, () => {
        this.log.push({ name, type, state: target.state, gathering: target.gatheringState });
      });
    }
  }

  watchTransports(side, sctp) {
    const dtls = sctp.transport;
    const ice = dtls.iceTransport;
    this.watch(`${side}.sctp`, sctp, ['statechange']);
    this.watch(`${side}.dtls`, dtls, ['statechange', 'error']);
    this.watch(`${side}.ice`, ice, ['statechange', 'gatheringstatechange', 'selectedcandidatepairchange']);
    return { sctp, dtls, ice, initial: { sctp: sctp.state, dtls: dtls.state, ice: ice.state } };
  }

  watchPc(side, pc) {
    for (const type of ['iceconnectionstatechange', 'connectionstatechange']) {
      pc.addEventListener(type, () => {
        this.log.push({ name: `${side}.pc`, type,
          state: type === 'connectionstatechange' ? pc.connectionState : pc.iceConnectionState });
      });
    }
  }

  states(name, type = 'statechange') {
    return this.log.filter((e) => e.name === name && e.type === type).map((e) => e.state);
  }

  index(name, type, state) {
    return this.log.findIndex((e) => e.name === name && e.type === type && (state === undefined || e.state === state));
  }
}

// Transitions a transport goes through on the way to "connected", in the
// order of each enum's life cycle.
const PATHS = {
  sctp: ['connecting', 'connected'],
  dtls: ['new', 'connecting', 'connected'],
  ice: ['new', 'checking', 'connected', 'completed'],
};

function assertPath(kind, initial, states, label) {
  const path = PATHS[kind];
  let at = path.indexOf(initial);
  assert.ok(at >= 0, `${label}: initial state ${initial}`);
  for (const s of states) {
    const next = path.indexOf(s);
    assert.ok(next > at, `${label}: ${[initial, ...states].join(' -> ')} goes back or repeats`);
    at = next;
  }
}

// Connects pc1 (offerer, with a data channel) and pc2. `mangleAnswer`
// edits the answer's SDP before pc1 applies it; onSide1/onSide2(side, pc,
// recorder) run as soon as that side's transports are reachable. Returns
// the pcs, the channel, the recorder and each side's transports.
async function connectPair(t, { config1 = {}, config2 = {}, mangleAnswer = null, onSide1 = null, onSide2 = null } = {}) {
  const { RTCPeerConnection } = api();
  const pc1 = new RTCPeerConnection(config1);
  const pc2 = new RTCPeerConnection(config2);
  t.after(() => {
    pc1.close();
    pc2.close();
  });
  const rec = new Recorder();
  rec.watchPc('pc1', pc1);
  rec.watchPc('pc2', pc2);
  const dc1 = pc1.createDataChannel('chat');
  dc1.addEventListener('open', () => rec.log.push({ name: 'pc1.dc', type: 'open' }));
  pc2.addEventListener('datachannel', (e) => {
    rec.log.push({ name: 'pc2.pc', type: 'datachannel' });
    e.channel.addEventListener('open', () => rec.log.push({ name: 'pc2.dc', type: 'open' }));
  });
  assert.equal(pc1.sctp, null, 'pc1.sctp before negotiation');
  assert.equal(pc2.sctp, null, 'pc2.sctp before negotiation');

  await pc1.setLocalDescription(await pc1.createOffer());
  await gathered(pc1);
  await pc2.setRemoteDescription(pc1.localDescription);
  await pc2.setLocalDescription(await pc2.createAnswer());
  assert.ok(pc2.sctp, 'pc2.sctp after its answer');
  const side2 = rec.watchTransports('pc2', pc2.sctp);
  if (onSide2)
    onSide2(side2, pc2, rec);
  await gathered(pc2);
  let answer = pc2.localDescription;
  if (mangleAnswer)
    answer = { type: 'answer', sdp: mangleAnswer(answer.sdp) };
  await pc1.setRemoteDescription(answer);
  assert.ok(pc1.sctp, 'pc1.sctp after the answer');
  const side1 = rec.watchTransports('pc1', pc1.sctp);
  if (onSide1)
    onSide1(side1, pc1, rec);
  return { pc1, pc2, dc1, rec, side1, side2 };
}

async function connected(pair) {
  const { side1, side2, pc1, pc2 } = pair;
  for (const [side, pc] of [[side1, pc1], [side2, pc2]]) {
    await when(side.sctp, 'statechange', {
      pred: () => side.sctp.state === 'connected',
      already: () => side.sctp.state === 'connected',
    });
    await when(pc, 'connectionstatechange', {
      pred: () => pc.connectionState === 'connected',
      already: () => pc.connectionState === 'connected',
    });
  }
}

test('interface objects: no JS constructor, EventTargets with on<event> handlers', { skip: DEEPBIND_SKIP }, () => {
  const { RTCIceTransport, RTCDtlsTransport, RTCSctpTransport } = api();
  for (const C of [RTCIceTransport, RTCDtlsTransport, RTCSctpTransport]) {
    assert.throws(() => new C(), /Illegal constructor/, C.name);
    assert.ok(C.prototype instanceof EventTarget, C.name);
    assert.equal(typeof Object.getOwnPropertyDescriptor(C.prototype, 'onstatechange').set, 'function');
  }
  for (const k of ['ongatheringstatechange', 'onselectedcandidatepairchange', 'getLocalCandidates',
    'getRemoteCandidates', 'getSelectedCandidatePair', 'getLocalParameters', 'getRemoteParameters'])
    assert.ok(k in RTCIceTransport.prototype, k);
  assert.ok('onerror' in RTCDtlsTransport.prototype);
  assert.ok('getRemoteCertificates' in RTCDtlsTransport.prototype);
});

test('a connected pair: objects, states, events in order, certificates, pair, parameters, close', { skip: DEEPBIND_SKIP, timeout: 30000 }, async (t) => {
  const { RTCPeerConnection, RTCSctpTransport, RTCDtlsTransport, RTCIceTransport, RTCIceCandidatePair,
    RTCIceCandidate } = api();
  const cert1 = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' });
  const cert2 = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' });
  let early = null;
  const pair = await connectPair(t, {
    config1: { certificates: [cert1] },
    config2: { certificates: [cert2] },
    onSide1: (side) => {
      // Right after the answer, before any task of the signaling queue ran.
      early = {
        pair: side.ice.getSelectedCandidatePair(),
        certificates: side.dtls.getRemoteCertificates(),
        maxChannels: side.sctp.maxChannels,
        state: side.ice.state,
      };
    },
  });
  const { pc1, pc2, rec, side1, side2 } = pair;

  await t.test('the objects: types and [SameObject] identities', () => {
    for (const [pc, side] of [[pc1, side1], [pc2, side2]]) {
      assert.ok(side.sctp instanceof RTCSctpTransport);
      assert.ok(side.dtls instanceof RTCDtlsTransport);
      assert.ok(side.ice instanceof RTCIceTransport);
      assert.equal(pc.sctp, side.sctp, 'pc.sctp is the same object each time');
      assert.equal(pc.sctp.transport, side.dtls, 'sctp.transport is the same object each time');
      assert.equal(side.dtls.iceTransport, side.ice, 'iceTransport is [SameObject]');
      assert.equal(Object.prototype.toString.call(side.sctp), '[object RTCSctpTransport]');
    }
    assert.notEqual(side1.sctp, side2.sctp);
    assert.equal(side1.ice.component, 'rtp');
    assert.equal(side2.ice.component, 'rtp');
  });

  await t.test('before connecting: no selected pair, no certificates, maxChannels null', () => {
    assert.equal(early.state, 'new');
    assert.equal(early.pair, null);
    assert.deepEqual(early.certificates, []);
    assert.equal(early.maxChannels, null);
  });

  await connected(pair);
  // The channel opens in a task after the SCTP transport's statechange.
  await when(pair.dc1, 'open', { already: () => pair.dc1.readyState === 'open' });
  await when(pair.pc2, 'datachannel', { already: () => pair.rec.index('pc2.pc', 'datachannel') >= 0 });

  await t.test('the states reach connected', () => {
    for (const side of [side1, side2]) {
      assert.equal(side.sctp.state, 'connected');
      assert.equal(side.dtls.state, 'connected');
      assert.ok(['connected', 'completed'].includes(side.ice.state), side.ice.state);
      assert.equal(side.ice.gatheringState, 'complete');
    }
  });

  await t.test('statechange events fire in order, each with the new state already set', () => {
    assert.deepEqual(side1.initial, { sctp: 'connecting', dtls: 'new', ice: 'new' });
    // pc1 could not start ICE before the answer: its whole story is here.
    assert.deepEqual(rec.states('pc1.sctp'), ['connected']);
    assert.deepEqual(rec.states('pc1.dtls'), ['connecting', 'connected']);
    const ice1 = rec.states('pc1.ice');
    assert.deepEqual(ice1.slice(0, 2), ['checking', 'connected'], ice1.join());
    for (const side of ['pc1', 'pc2']) {
      const s = side === 'pc1' ? side1 : side2;
      for (const kind of ['sctp', 'dtls', 'ice'])
        assertPath(kind, s.initial[kind], rec.states(`${side}.${kind}`), `${side}.${kind}`);
      assert.equal(rec.states(`${side}.dtls`, 'error').length, 0, 'no DTLS error');
      // ICE connected, then DTLS connected, then SCTP connected, then the
      // channel opens.
      const iceUp = Math.min(...['connected', 'completed'].map((st) => rec.index(`${side}.ice`, 'statechange', st))
        .filter((i) => i >= 0));
      const dtlsUp = rec.index(`${side}.dtls`, 'statechange', 'connected');
      const sctpUp = rec.index(`${side}.sctp`, 'statechange', 'connected');
      // pc1's channel opens; pc2's is announced by a datachannel event.
      const open = side === 'pc1' ? rec.index('pc1.dc', 'open') : rec.index('pc2.pc', 'datachannel');
      assert.ok(sctpUp < open, `${side}: SCTP statechange before the channel opens`);
      // A transport's statechange comes before the peer connection's
      // aggregate events it causes (webrtc-pc §5.6, §4.4.1.x).
      const pcUp = rec.index(`${side}.pc`, 'connectionstatechange', 'connected');
      assert.ok(dtlsUp < pcUp, `${side}: DTLS connected before connectionstatechange connected`);
    }
    // pc2 gathers once its answer is set, after we started listening.
    assert.deepEqual(rec.log.filter((e) => e.name === 'pc2.ice' && e.type === 'gatheringstatechange')
      .map((e) => e.gathering), ['gathering', 'complete']);
    const pcIce = rec.index('pc1.pc', 'iceconnectionstatechange', 'connected');
    assert.ok(rec.index('pc1.ice', 'statechange', 'connected') < pcIce);
  });

  await t.test('selectedcandidatepairchange fired before ICE was connected', () => {
    const change = rec.index('pc1.ice', 'selectedcandidatepairchange');
    assert.ok(change >= 0, 'pc1 saw its pair selected');
    assert.ok(change < rec.index('pc1.ice', 'statechange', 'connected'));
    assert.ok(rec.index('pc2.ice', 'selectedcandidatepairchange') >= 0, 'pc2 saw its pair selected');
  });

  await t.test('getRemoteCertificates() returns the peer\'s certificate (DER)', () => {
    for (const [side, cert, peerSdp] of [[side1, cert2, pc2.localDescription.sdp], [side2, cert1, pc1.localDescription.sdp]]) {
      const got = side.dtls.getRemoteCertificates();
      assert.ok(Array.isArray(got));
      assert.ok(got.length >= 1);
      assert.ok(got[0] instanceof ArrayBuffer);
      const x509 = new X509Certificate(Buffer.from(got[0]));
      const fp = cert.getFingerprints().find((f) => f.algorithm === 'sha-256');
      assert.ok(fp, 'the RTCCertificate has a sha-256 fingerprint');
      assert.equal(x509.fingerprint256.toLowerCase(), fp.value.toLowerCase());
      assert.equal(`sha-256 ${x509.fingerprint256}`.toLowerCase(), sdpAttribute(peerSdp, 'fingerprint').toLowerCase());
      assert.notEqual(side.dtls.getRemoteCertificates()[0], got[0], 'a new ArrayBuffer each call');
    }
  });

  await t.test('ICE roles and parameters match the descriptions', () => {
    assert.equal(side1.ice.role, 'controlling');
    assert.equal(side2.ice.role, 'controlled');
    const p1 = { usernameFragment: sdpAttribute(pc1.localDescription.sdp, 'ice-ufrag'),
      password: sdpAttribute(pc1.localDescription.sdp, 'ice-pwd') };
    const p2 = { usernameFragment: sdpAttribute(pc2.localDescription.sdp, 'ice-ufrag'),
      password: sdpAttribute(pc2.localDescription.sdp, 'ice-pwd') };
    assert.deepEqual({ ...side1.ice.getLocalParameters() }, p1);
    assert.deepEqual({ ...side1.ice.getRemoteParameters() }, p2);
    assert.deepEqual({ ...side2.ice.getLocalParameters() }, p2);
    assert.deepEqual({ ...side2.ice.getRemoteParameters() }, p1);
  });

  await t.test('the selected pair: same object while unchanged, candidates of both descriptions', () => {
    const pair1 = side1.ice.getSelectedCandidatePair();
    const pair2 = side2.ice.getSelectedCandidatePair();
    assert.ok(pair1 instanceof RTCIceCandidatePair);
    assert.ok(pair2 instanceof RTCIceCandidatePair);
    assert.equal(side1.ice.getSelectedCandidatePair(), pair1, 'the same pair object');
    assert.ok(pair1.local instanceof RTCIceCandidate);
    assert.equal(pair1.local, pair1.local);
    assert.equal(pair1.remote, pair1.remote);
    // Each side's local candidate is the other's remote one (same address
    // and port), and a candidate of the descriptions unless peer-reflexive.
    assert.equal(pair1.local.port, pair2.remote.port);
    assert.equal(pair1.remote.port, pair2.local.port);
    assert.equal(pair1.local.protocol, 'udp');
    // A remote candidate's address is null unless the application gave it
    // (webrtc-pc §4.8.1.1): a peer-reflexive one learned from a check.
    for (const [remote, local] of [[pair1.remote, pair2.local], [pair2.remote, pair1.local]]) {
      if (remote.type === 'prflx')
        assert.equal(remote.address, null, remote.candidate);
      else
        assert.equal(remote.address, local.address);
    }
    // The candidates carry the ufrags of the descriptions.
    const ufrag1 = sdpAttribute(pc1.localDescription.sdp, 'ice-ufrag');
    const ufrag2 = sdpAttribute(pc2.localDescription.sdp, 'ice-ufrag');
    assert.equal(pair1.local.usernameFragment, ufrag1);
    assert.equal(pair1.remote.usernameFragment, ufrag2);
    assert.equal(pair2.local.usernameFragment, ufrag2);
    assert.equal(pair2.remote.usernameFragment, ufrag1);
    const inSdp = (c, sdp) => sdpCandidates(sdp).some((line) => {
      const d = new RTCIceCandidate({ candidate: line, sdpMid: '0' });
      return d.address === c.address && d.port === c.port && d.protocol === c.protocol;
    });
    for (const [c, sdp] of [[pair1.local, pc1.localDescription.sdp], [pair1.remote, pc2.localDescription.sdp],
      [pair2.local, pc2.localDescription.sdp], [pair2.remote, pc1.localDescription.sdp]]) {
      assert.ok(c.type === 'prflx' || inSdp(c, sdp), `${c.candidate} is in\n${sdp}`);
      assert.equal(c.component, 'rtp');
      assert.equal(c.sdpMid, null);
      assert.equal(c.sdpMLineIndex, null);
    }
    // The candidates seen: the selected pair's (not peer-reflexive ones).
    if (pair1.local.type !== 'prflx')
      assert.ok(side1.ice.getLocalCandidates().includes(pair1.local));
    if (pair1.remote.type !== 'prflx')
      assert.ok(side1.ice.getRemoteCandidates().includes(pair1.remote));
    for (const c of [...side1.ice.getLocalCandidates(), ...side1.ice.getRemoteCandidates()])
      assert.notEqual(c.type, 'prflx');
  });

  await t.test('maxMessageSize is 262144 and maxChannels 1024 once connected', () => {
    // 1,024: the streams each side announces unless a channel made before
    // connecting needs more (pc/sctp_transport.h).
    for (const side of [side1, side2]) {
      assert.equal(side.sctp.maxMessageSize, 262144);
      assert.equal(side.sctp.maxChannels, 1024);
    }
  });

  await t.test('after pc.close() the states are closed and no event fires', async () => {
    const before = rec.log.filter((e) => e.name.startsWith('pc1.')).length;
    pc1.close();
    assert.equal(side1.sctp.state, 'closed');
    assert.equal(side1.dtls.state, 'closed');
    assert.equal(side1.ice.state, 'closed');
    assert.equal(side1.ice.getSelectedCandidatePair(), null, 'null once closed');
    assert.equal(side1.dtls.iceTransport, side1.ice);
    assert.equal(side1.sctp.transport, side1.dtls);
    // Wait until pc2 notices that its peer went away (its transports may
    // fire: pc2 is not closed), then check that pc1's fired nothing.
    await when(side2.sctp, 'statechange', {
      pred: () => side2.sctp.state === 'closed',
      already: () => side2.sctp.state === 'closed',
    });
    const after = rec.log.filter((e) => e.name.startsWith('pc1.')).length;
    assert.equal(after, before, JSON.stringify(rec.log.slice(-5)));
    pc2.close();
    assert.equal(side2.sctp.state, 'closed');
    assert.equal(side2.dtls.state, 'closed');
    assert.equal(side2.ice.state, 'closed');
  });
});

test('pc.close() inside a transport statechange handler: nothing fires after it', { skip: DEEPBIND_SKIP, timeout: 20000 }, async (t) => {
  let closedAt = -1;
  const { side1, side2, rec, dc1 } = await connectPair(t, {
    onSide1: (side, pc1, recorder) => {
      // After the recorder's own listener (added first).
      side.dtls.addEventListener('statechange', () => {
        if (side.dtls.state === 'connected' && closedAt < 0) {
          pc1.close();
          closedAt = recorder.log.length;
        }
      });
    },
  });
  // pc2 notices that its peer went away: pc1's close() ends the DTLS
  // association (close_notify) it has just set up.
  await when(side2.dtls, 'statechange', {
    pred: () => side2.dtls.state === 'closed',
    already: () => side2.dtls.state === 'closed',
  });
  assert.ok(closedAt >= 0, 'the handler closed pc1');
  assert.equal(rec.log[closedAt - 1].name, 'pc1.dtls');
  assert.deepEqual(rec.log.slice(closedAt).filter((e) => e.name.startsWith('pc1.')), []);
  assert.equal(dc1.readyState, 'closed');
  assert.equal(side1.sctp.state, 'closed');
  assert.equal(side1.dtls.state, 'closed');
  assert.equal(side1.ice.state, 'closed');
});

test('a wrong fingerprint: error (fingerprint-failure) then statechange "failed"', { skip: DEEPBIND_SKIP, timeout: 20000 }, async (t) => {
  const { RTCErrorEvent, RTCError } = api();
  // Flip one hex digit of the answer's certificate fingerprint.
  const mangle = (sdp) => sdp.replace(/^(a=fingerprint:sha-256 )([0-9A-Fa-f])/m,
    (_, p, d) => p + (d === '0' ? '1' : '0'));
  const errors = [];
  const peerErrors = [];
  const pair = await connectPair(t, {
    mangleAnswer: mangle,
    onSide1: (side) => {
      side.dtls.onerror = (e) => errors.push({ e, state: side.dtls.state });
    },
    onSide2: (side) => {
      side.dtls.onerror = (e) => peerErrors.push({ e, state: side.dtls.state });
    },
  });
  const { side1, side2, rec } = pair;
  await when(side1.dtls, 'statechange', {
    pred: () => side1.dtls.state === 'failed',
    already: () => side1.dtls.state === 'failed',
  });
  assert.equal(errors.length, 1);
  const { e } = errors[0];
  assert.equal(errors[0].state, 'failed', 'the state is "failed" when error fires (webrtc-pc §5.5)');
  assert.ok(e instanceof RTCErrorEvent);
  assert.equal(e.type, 'error');
  assert.ok(e.error instanceof RTCError);
  assert.ok(e.error instanceof DOMException);
  assert.equal(e.error.name, 'OperationError');
  assert.equal(e.error.errorDetail, 'fingerprint-failure');
  assert.equal(e.error.sdpLineNumber, null);
  // error first, then statechange to "failed".
  const err = rec.index('pc1.dtls', 'error');
  const failed = rec.index('pc1.dtls', 'statechange', 'failed');
  assert.ok(err >= 0 && err < failed);
  assert.equal(rec.index('pc1.dtls', 'statechange', 'connected'), -1);
  assert.equal(rec.index('pc1.sctp', 'statechange', 'connected'), -1);
  // [[RemoteCertificates]] is set when the transport gets connected only.
  assert.deepEqual(side1.dtls.getRemoteCertificates(), []);
  // The peer is told with a fatal alert (bad_certificate, RFC 5246
  // §7.2.2): its DTLS fails with "dtls-failure" and receivedAlert.
  await when(side2.dtls, 'statechange', {
    pred: () => side2.dtls.state === 'failed',
    already: () => side2.dtls.state === 'failed',
  });
  assert.equal(peerErrors.length, 1);
  const pe = peerErrors[0];
  assert.ok(pe.e instanceof RTCErrorEvent);
  assert.equal(pe.e.error.errorDetail, 'dtls-failure');
  assert.equal(pe.e.error.receivedAlert, 42);
  assert.equal(pe.e.error.sentAlert, null);
  assert.equal(pe.state, 'failed', 'the state is "failed" when error fires (webrtc-pc §5.5)');
  const err2 = rec.index('pc2.dtls', 'error');
  assert.ok(err2 >= 0 && err2 < rec.index('pc2.dtls', 'statechange', 'failed'));
  assert.equal(rec.index('pc2.sctp', 'statechange', 'connected'), -1);
});
