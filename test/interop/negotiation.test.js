'use strict';
// What rtcbox and headless Chromium negotiate beyond the first connection:
// the DTLS parameters both report in getStats (webrtc-stats §8.14), an ICE
// restart from either side (RFC 8445 §9, webrtc-pc §4.4.1.6 restartIce)
// under a data channel that must stay open and delivering, and the
// renegotiation of added transceivers (JSEP §5.2.2, §5.3.1) ending with
// the same mids and complementary directions on both sides. Each test
// connects a fresh pair and closes everything after (support.js).

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { whySkip, once, withTimeout, startChromium, newRtcbox, connect, bothConnected } = require('./support.js');

const skip = whySkip();
const opts = { skip, timeout: 90000 };

function opened(dc, what) {
  return dc.readyState === 'open' ? Promise.resolve() : once(dc, 'open', what);
}

// rtcbox's getStats, shaped as the page's dtlsStats().
async function rtcboxDtlsStats(pc) {
  const report = await pc.getStats();
  const stats = [...report.values()];
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  if (!transport) return { transport: null, stats };
  return {
    transport,
    pair: report.get(transport.selectedCandidatePairId) || null,
    localCertificate: report.get(transport.localCertificateId) || null,
    remoteCertificate: report.get(transport.remoteCertificateId) || null,
  };
}

// Both sides' ICE as getStats shows it, and the candidates signaled, as
// diagnostics: what a test that waited in vain prints before it fails.
async function diagnoseIce(t, pc, c, signaling) {
  const brief = (s) => {
    switch (s.type) {
      case 'transport':
        return `transport ${s.id} ice ${s.iceState} dtls ${s.dtlsState} role ${s.iceRole} ` +
            `ufrag ${s.iceLocalUsernameFragment} selected ${s.selectedCandidatePairId} ` +
            `changes ${s.selectedCandidatePairChanges}`;
      case 'candidate-pair':
        return `pair ${s.id} ${s.state}${s.nominated ? ' nominated' : ''} ${s.localCandidateId} -> ` +
            `${s.remoteCandidateId} req ${s.requestsSent}/${s.requestsReceived} ` +
            `resp ${s.responsesSent}/${s.responsesReceived} bytes ${s.bytesSent}/${s.bytesReceived}`;
      default:
        return `${s.type} ${s.id} ${s.candidateType} ${s.protocol} ${s.address}:${s.port}` +
            `${s.usernameFragment ? ' ufrag ' + s.usernameFragment : ''}`;
    }
  };
  const ours = [...(await pc.getStats()).values()].filter((s) =>
    ['transport', 'candidate-pair', 'local-candidate', 'remote-candidate'].includes(s.type));
  const theirs = await c.call('iceStats').catch((e) => [{ type: 'error', id: String(e) }]);
  for (const s of ours) t.diagnostic(`rtcbox   ${brief(s)}`);
  for (const s of theirs) t.diagnostic(`Chromium ${brief(s)}`);
  for (const x of signaling.fromChromium) t.diagnostic(`Chromium -> rtcbox ${JSON.stringify(x)}`);
  for (const x of signaling.fromRtcbox) t.diagnostic(`rtcbox -> Chromium ${JSON.stringify(x)}`);
}

// The ufrag of the local candidate of the pair Chromium selected.
async function chromiumSelectedLocalUfrag(c) {
  const stats = await c.call('iceStats');
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const pair = transport && stats.find((s) => s.id === transport.selectedCandidatePairId);
  const local = pair && stats.find((s) => s.id === pair.localCandidateId);
  return local ? local.usernameFragment : null;
}

// Polls `get` until `ok(value)`, at most `ms`; returns the last value.
async function poll(get, ok, ms = 10000) {
  const started = performance.now();
  let value = await get();
  while (!ok(value) && performance.now() - started < ms) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await get();
  }
  return value;
}

// The a=ice-ufrag values of an SDP, in order.
function ufrags(sdp) {
  return [...sdp.matchAll(/^a=ice-ufrag:(\S+)\r?$/gm)].map((m) => m[1]);
}

// A connected pair with a data channel "main" from `offerer`, open on
// both sides: { c, pc, dc (rtcbox's end), signaling }.
async function pairWithChannel(t, offerer, { mdns = true, beforeOffer } = {}) {
  const c = await startChromium(t, { mdns });
  const pc = newRtcbox(t);
  let dc;
  let announced;
  if (offerer === 'rtcbox') {
    dc = pc.createDataChannel('main');
  } else {
    await c.call('createChannel', 'main', {}, 'report');
    announced = withTimeout(new Promise((resolve) => pc.addEventListener('datachannel',
        (e) => resolve(e.channel), { once: true })), "rtcbox's datachannel event");
  }
  if (beforeOffer) await beforeOffer(pc, c);
  const started = performance.now();
  const signaling = await connect(pc, c, offerer);
  if (!dc) dc = await announced;
  await opened(dc, 'rtcbox channel open');
  await c.waitFor((e) => e.type === 'channel-open' && e.channel.label === 'main', 'channel open');
  t.diagnostic(`connected and channel open in ${(performance.now() - started).toFixed(0)} ms`);
  return { c, pc, dc, signaling };
}

// `count` messages each way over "main", in order, tagged with `tag`.
async function exchange(c, dc, tag, count = 20) {
  const got = [];
  const all = withTimeout(new Promise((resolve) => {
    const on = (e) => {
      got.push(e.data);
      if (got.length === count) {
        dc.removeEventListener('message', on);
        resolve();
      }
    };
    dc.addEventListener('message', on);
  }), `${count} messages from Chromium (${tag})`);
  const before = c.events.filter((e) => e.type === 'message' && e.label === 'main').length;
  for (let i = 0; i < count; i++) dc.send(`${tag} rtcbox ${i}`);
  await c.waitFor((e) => e.type === 'message' && e.data === `${tag} rtcbox ${count - 1}`, `${tag}: last message`);
  const atChromium = c.events.filter((e) => e.type === 'message' && e.label === 'main').slice(before).map((e) => e.data);
  assert.deepEqual(atChromium, Array.from({ length: count }, (_, i) => `${tag} rtcbox ${i}`));
  for (let i = 0; i < count; i++) await c.call('send', 'main', `${tag} chromium ${i}`);
  await all;
  assert.deepEqual(got, Array.from({ length: count }, (_, i) => `${tag} chromium ${i}`));
}

const SDES_STYLE = {
  AES_CM_128_HMAC_SHA1_80: 'SRTP_AES128_CM_HMAC_SHA1_80',
  AES_CM_128_HMAC_SHA1_32: 'SRTP_AES128_CM_HMAC_SHA1_32',
  AEAD_AES_128_GCM: 'SRTP_AEAD_AES_128_GCM',
  AEAD_AES_256_GCM: 'SRTP_AEAD_AES_256_GCM',
};
const ianaProfile = (name) => SDES_STYLE[name] || name;

async function checkDtls(t, offerer) {
  // An audio transceiver beside the channel, so that the handshake also
  // negotiates DTLS-SRTP (RFC 5764 use_srtp) as it would for a call.
  const { c, pc } = await pairWithChannel(t, offerer, {
    mdns: false,
    beforeOffer: async (pc, c) => {
      if (offerer === 'rtcbox') pc.addTransceiver('audio');
      else await c.call('addTransceiver', 'audio', {});
    },
  });
  const ours = await poll(() => rtcboxDtlsStats(pc), (s) => s.transport && s.transport.dtlsState === 'connected');
  const theirs = await poll(() => c.call('dtlsStats'),
      (s) => s.transport && s.transport.dtlsState === 'connected' && s.transport.srtpCipher);
  assert.ok(ours.transport, `rtcbox: no transport with a selected pair: ${JSON.stringify(ours.stats)}`);
  assert.ok(theirs.transport, `Chromium: no transport with a selected pair: ${JSON.stringify(theirs.stats)}`);
  const a = ours.transport;
  const b = theirs.transport;
  t.diagnostic(`rtcbox:   dtlsState ${a.dtlsState}, role ${a.dtlsRole}, tlsVersion ${a.tlsVersion}, ` +
      `dtlsCipher ${a.dtlsCipher}, srtpCipher ${a.srtpCipher}`);
  t.diagnostic(`Chromium: dtlsState ${b.dtlsState}, role ${b.dtlsRole}, tlsVersion ${b.tlsVersion}, ` +
      `dtlsCipher ${b.dtlsCipher}, srtpCipher ${b.srtpCipher}`);
  assert.equal(a.dtlsState, 'connected');
  assert.equal(b.dtlsState, 'connected');
  assert.ok(a.dtlsCipher, 'rtcbox reports no dtlsCipher');
  assert.ok(a.srtpCipher, 'rtcbox reports no srtpCipher');
  assert.equal(a.dtlsCipher, b.dtlsCipher, 'the DTLS cipher suite');
  // webrtc-stats: srtpCipher is the name in the "Profile" column of IANA's
  // DTLS-SRTP protection profile registry (SRTP_AES128_CM_HMAC_SHA1_80,
  // SRTP_AEAD_AES_128_GCM), as rtcbox and Chromium 156 report; Debian
  // bookworm's Chromium 150 reported the SDES-style names
  // (AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM) for the same profiles.
  assert.match(a.srtpCipher, /^SRTP_/, 'rtcbox names the profile as IANA does');
  assert.equal(a.srtpCipher, ianaProfile(b.srtpCipher), 'the SRTP protection profile');
  assert.equal(String(a.tlsVersion).toUpperCase(), String(b.tlsVersion).toUpperCase(), 'the DTLS version');
  // RFC 8842 §5.3: the answerer chose its role with a=setup; the
  // offerer's actpass takes the other one.
  const answerer = offerer === 'rtcbox' ? b : a;
  const offererSide = offerer === 'rtcbox' ? a : b;
  assert.ok(['client', 'server'].includes(a.dtlsRole), `rtcbox dtlsRole ${a.dtlsRole}`);
  assert.notEqual(answerer.dtlsRole, offererSide.dtlsRole, 'one client, one server');
  // Each side's remote certificate is the other's local one.
  assert.ok(ours.localCertificate && ours.remoteCertificate, 'rtcbox certificate stats');
  assert.ok(theirs.localCertificate && theirs.remoteCertificate, 'Chromium certificate stats');
  assert.equal(ours.remoteCertificate.fingerprint.toUpperCase(), theirs.localCertificate.fingerprint.toUpperCase());
  assert.equal(theirs.remoteCertificate.fingerprint.toUpperCase(), ours.localCertificate.fingerprint.toUpperCase());
  assert.equal(ours.remoteCertificate.fingerprintAlgorithm, theirs.localCertificate.fingerprintAlgorithm);
}

test('DTLS with rtcbox as the offerer: the same version, cipher suite and SRTP profile in both getStats', opts,
    (t) => checkDtls(t, 'rtcbox'));
test('DTLS with Chromium as the offerer: the same version, cipher suite and SRTP profile in both getStats', opts,
    (t) => checkDtls(t, 'chromium'));

// restartIce() on `restarter`'s side (which then makes the offer), with
// the channel made by `offerer` at the first connection.
async function iceRestart(t, restarter, mdns) {
  const { c, pc, dc, signaling } = await pairWithChannel(t, restarter === 'rtcbox' ? 'chromium' : 'rtcbox', { mdns });
  const closed = [];
  dc.addEventListener('close', () => closed.push('rtcbox'));
  await exchange(c, dc, 'before');
  const before = await c.call('descriptions');
  const oldUfrags = { chromium: ufrags(before.local.sdp), rtcbox: ufrags(before.remote.sdp) };
  const ourPairsBefore = (await rtcboxDtlsStats(pc)).transport.selectedCandidatePairChanges;

  const started = performance.now();
  if (restarter === 'rtcbox') {
    const negotiationNeeded = once(pc, 'negotiationneeded', "rtcbox's negotiationneeded");
    pc.restartIce();
    await negotiationNeeded;
  } else {
    const seen = c.events.filter((e) => e.type === 'negotiationneeded').length;
    await c.call('restartIce');
    await c.waitFor((e) => e.type === 'negotiationneeded' &&
        c.events.filter((x) => x.type === 'negotiationneeded').indexOf(e) >= seen, "Chromium's negotiationneeded");
  }
  const { offer, answer } = await signaling.negotiate(restarter);
  const offerUfrags = ufrags(offer.sdp);
  const answerUfrags = ufrags(answer.sdp);
  const oldOfferer = restarter === 'rtcbox' ? oldUfrags.rtcbox : oldUfrags.chromium;
  const oldAnswerer = restarter === 'rtcbox' ? oldUfrags.chromium : oldUfrags.rtcbox;
  assert.ok(offerUfrags.length > 0 && answerUfrags.length > 0);
  for (const u of offerUfrags) assert.ok(!oldOfferer.includes(u), `the restart offer kept ufrag ${u}`);
  // RFC 8839 §4.4.1.1.1: the answer to a restart offer has new credentials.
  for (const u of answerUfrags) assert.ok(!oldAnswerer.includes(u), `the answer to the restart kept ufrag ${u}`);

  // Both sides check the new credentials and select a pair with them.
  const ourNew = await poll(() => rtcboxDtlsStats(pc), (s) => s.transport &&
      s.transport.iceLocalUsernameFragment === (restarter === 'rtcbox' ? offerUfrags[0] : answerUfrags[0]) &&
      s.transport.selectedCandidatePairChanges > ourPairsBefore);
  const switched = ourNew.transport.selectedCandidatePairChanges > ourPairsBefore;
  if (!switched || process.env.RTCBOX_INTEROP_DIAGNOSE) await diagnoseIce(t, pc, c, signaling);
  assert.equal(ourNew.transport.iceLocalUsernameFragment,
      restarter === 'rtcbox' ? offerUfrags[0] : answerUfrags[0], 'rtcbox uses the new local ufrag');
  if (switched) {
    t.diagnostic(`rtcbox selected a pair with the new ufrag ${ourNew.transport.iceLocalUsernameFragment} ` +
        `${(performance.now() - started).toFixed(0)} ms after restartIce() ` +
        `(selectedCandidatePairChanges ${ourPairsBefore} -> ${ourNew.transport.selectedCandidatePairChanges})`);
  } else {
    // Chromium, controlling after its own restart, chooses the pair. About
    // one run in thirty it leaves the restart half done: the new pairs
    // checked (rtcbox's checks on them succeeded; see the diagnostics) but
    // none nominated in 10 s, its selected pair still the old
    // generation's. rtcbox, controlled, then rightly keeps the old pair
    // too. That is all this run can show: both sides on the same, old
    // pair, and data flowing (below). rtcbox failing to follow a pair
    // Chromium did select still fails here.
    const theirs = await chromiumSelectedLocalUfrag(c);
    assert.equal(restarter, 'chromium', 'rtcbox restarted, controlling, and selected no new pair');
    assert.ok(oldUfrags.chromium.includes(theirs),
        `Chromium selected a pair with its new ufrag ${theirs}; rtcbox did not follow`);
    t.diagnostic(`Chromium nominated no pair of its new generation in 10 s (its selected pair's local ufrag is ` +
        `still ${theirs}): both sides kept the old pair`);
  }
  // The new pair ends at the candidate Chromium signaled for its new
  // generation, not at one learned from its checks (peer-reflexive): the
  // candidates it trickled before rtcbox's answer were kept.
  const remote = await poll(async () => {
    const s = await rtcboxDtlsStats(pc);
    return s.pair ? (await pc.getStats()).get(s.pair.remoteCandidateId) : null;
  }, (r) => r && r.candidateType === 'host');
  t.diagnostic(`rtcbox's selected remote candidate after the restart: ${remote && remote.candidateType} ` +
      `${remote && remote.address}`);
  assert.equal(remote && remote.candidateType, 'host');
  if (mdns) assert.match(String(remote.address), /^[0-9a-f-]{36}\.local$/);
  else assert.equal(remote.address, '10.77.1.2');
  await bothConnected(pc, c);
  await exchange(c, dc, 'after');
  assert.equal(dc.readyState, 'open');
  assert.equal((await c.call('channel', 'main')).readyState, 'open');
  assert.deepEqual(closed, []);
  assert.deepEqual(c.events.filter((e) => e.type === 'channel-close'), []);
  assert.deepEqual(signaling.fromChromium.filter((x) => x.error), [], 'rtcbox refused candidates of Chromium');
  assert.deepEqual(signaling.fromRtcbox.filter((x) => x.error), [], 'Chromium refused candidates of rtcbox');
  assert.deepEqual(c.pageErrors, []);
}

test('ICE restart from rtcbox keeps the data channel open and delivering (mDNS)', opts, (t) => iceRestart(t, 'rtcbox', true));
test('ICE restart from Chromium keeps the data channel open and delivering (mDNS)', opts, (t) => iceRestart(t, 'chromium', true));
test('ICE restart from rtcbox keeps the data channel open and delivering (mDNS off)', opts, (t) => iceRestart(t, 'rtcbox', false));
test('ICE restart from Chromium keeps the data channel open and delivering (mDNS off)', opts, (t) => iceRestart(t, 'chromium', false));

// The directions the answerer's transceiver gets for an offered direction
// when the answerer's own transceiver (created by setRemoteDescription)
// is recvonly (JSEP §5.3.1: the answer's direction is the intersection).
const ANSWER = { sendrecv: 'recvonly', sendonly: 'recvonly', recvonly: 'inactive', inactive: 'inactive' };
const REVERSE = { sendrecv: 'sendrecv', sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' };

async function addTransceivers(t, adder) {
  const { c, pc, dc, signaling } = await pairWithChannel(t, adder === 'rtcbox' ? 'chromium' : 'rtcbox', { mdns: false });
  const added = [['audio', 'sendrecv'], ['video', 'sendonly'], ['video', 'recvonly'], ['audio', 'inactive']];
  if (adder === 'rtcbox') {
    const needed = once(pc, 'negotiationneeded', "rtcbox's negotiationneeded");
    for (const [kind, direction] of added) pc.addTransceiver(kind, { direction });
    await needed;
  } else {
    for (const [kind, direction] of added) await c.call('addTransceiver', kind, { direction });
    await c.waitFor((e) => e.type === 'negotiationneeded', "Chromium's negotiationneeded");
  }
  await signaling.negotiate(adder);
  const ours = pc.getTransceivers().map((x) => ({ mid: x.mid, kind: x.receiver.track.kind,
    direction: x.direction, currentDirection: x.currentDirection }));
  const theirs = await c.call('transceivers');
  t.diagnostic(`rtcbox:   ${ours.map((x) => `${x.mid} ${x.kind} ${x.direction}/${x.currentDirection}`).join(', ')}`);
  t.diagnostic(`Chromium: ${theirs.map((x) => `${x.mid} ${x.kind} ${x.direction}/${x.currentDirection}`).join(', ')}`);
  const adderSide = adder === 'rtcbox' ? ours : theirs;
  const answerSide = adder === 'rtcbox' ? theirs : ours;
  assert.equal(adderSide.length, added.length);
  assert.equal(answerSide.length, added.length);
  // The data channel's section came first (mid 0); the transceivers take
  // the next mids, the same on both sides.
  const mids = adderSide.map((x) => x.mid);
  assert.equal(new Set(mids).size, mids.length, `distinct mids: ${mids}`);
  assert.ok(mids.every((m) => m !== null), `every transceiver has a mid: ${mids}`);
  for (let i = 0; i < added.length; i++) {
    const [kind, direction] = added[i];
    const mine = adderSide[i];
    const other = answerSide.find((x) => x.mid === mine.mid);
    assert.ok(other, `the answerer has no transceiver with mid ${mine.mid}`);
    assert.equal(mine.kind, kind);
    assert.equal(other.kind, kind, `mid ${mine.mid}: kind`);
    assert.equal(mine.direction, direction);
    assert.equal(other.direction, 'recvonly', `mid ${mine.mid}: a transceiver made by setRemoteDescription`);
    assert.equal(other.currentDirection, ANSWER[direction], `mid ${mine.mid}: the answerer's currentDirection`);
    assert.equal(mine.currentDirection, REVERSE[ANSWER[direction]], `mid ${mine.mid}: the offerer's currentDirection`);
  }
  await exchange(c, dc, 'after renegotiation');
  assert.deepEqual(c.pageErrors, []);
}

test('transceivers added by rtcbox renegotiate: the same mids, complementary directions', opts,
    (t) => addTransceivers(t, 'rtcbox'));
test('transceivers added by Chromium renegotiate: the same mids, complementary directions', opts,
    (t) => addTransceivers(t, 'chromium'));
