'use strict';
// rtcbox and headless Chromium connect, each as the offerer, with
// Chromium's default mDNS host candidates (`<uuid>.local`, which rtcbox
// resolves by multicast DNS over the veth link) and with mDNS off
// (Chromium's raw addresses). On each connection a data channel from the
// offerer carries a message each way. Every test closes both peers and
// checks that no Chromium process and no veth pair is left
// (support.js, Chromium.close()).

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { whySkip, once, withTimeout, startChromium, newRtcbox, connect } = require('./support.js');

const skip = whySkip();
const opts = { skip, timeout: 60000 };

// The address field of a candidate attribute (RFC 8839 §5.1).
function address(candidate) {
  return candidate.candidate.split(' ')[4];
}

function checkCandidates(t, { fromChromium, fromRtcbox }, mdns) {
  const errors = fromChromium.filter((c) => c.error);
  assert.deepEqual(errors, [], 'rtcbox refused candidates of Chromium');
  assert.deepEqual(fromRtcbox.filter((c) => c.error), [], 'Chromium refused candidates of rtcbox');
  const addresses = fromChromium.map(address);
  t.diagnostic(`Chromium's candidates: ${addresses.join(' ')}`);
  assert.ok(addresses.length > 0, 'Chromium sent no candidate');
  if (mdns) {
    assert.ok(addresses.every((a) => /^[0-9a-f-]{36}\.local$/.test(a)),
        `expected only .local names from Chromium, got ${addresses.join(' ')}`);
  } else {
    assert.ok(addresses.includes('10.77.1.2'), `expected Chromium's address 10.77.1.2, got ${addresses.join(' ')}`);
  }
}

// The offerer's channel 'hello' and its remote end carry one message each
// way.
async function exchange(pc, c, offerer) {
  if (offerer === 'rtcbox') {
    const dc = pc.__hello;
    if (dc.readyState !== 'open') await once(dc, 'open', 'rtcbox channel open');
    await c.waitFor((e) => e.type === 'channel-open' && e.channel.label === 'hello', 'channel open');
    const reply = once(dc, 'message', 'the reply from Chromium');
    dc.send('ping from rtcbox');
    const got = await c.waitFor((e) => e.type === 'message' && e.label === 'hello', 'ping');
    assert.equal(got.data, 'ping from rtcbox');
    await c.call('send', 'hello', 'pong from Chromium');
    assert.equal((await reply).data, 'pong from Chromium');
  } else {
    const dc = await pc.__channel;
    if (dc.readyState !== 'open') await once(dc, 'open', 'rtcbox channel open');
    await c.waitFor((e) => e.type === 'channel-open' && e.channel.label === 'hello', 'channel open');
    const ping = once(dc, 'message', 'the ping from Chromium');
    await c.call('send', 'hello', 'ping from Chromium');
    assert.equal((await ping).data, 'ping from Chromium');
    dc.send('pong from rtcbox');
    const got = await c.waitFor((e) => e.type === 'message' && e.label === 'hello', 'pong');
    assert.equal(got.data, 'pong from rtcbox');
  }
}

// The remote candidate of rtcbox's selected candidate pair (getStats).
async function selectedRemote(pc) {
  const report = await pc.getStats();
  const stats = [...report.values()];
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  assert.ok(transport, `no transport with a selected pair: ${JSON.stringify(stats)}`);
  const pair = report.get(transport.selectedCandidatePairId);
  return report.get(pair.remoteCandidateId);
}

async function run(t, offerer, mdns) {
  const c = await startChromium(t, { mdns });
  const pc = newRtcbox(t);
  if (offerer === 'rtcbox') {
    pc.__hello = pc.createDataChannel('hello');
  } else {
    await c.call('createChannel', 'hello', {}, 'report');
    pc.__channel = withTimeout(new Promise((resolve) => pc.addEventListener('datachannel',
        (e) => resolve(e.channel), { once: true })), 'the datachannel event');
  }
  const started = performance.now();
  const candidates = await connect(pc, c, offerer);
  const connectedMs = performance.now() - started;
  await exchange(pc, c, offerer);
  // rtcbox announces 1,024 streams each way (pc/sctp_transport.h), Chromium
  // 65,535: both see the smaller.
  assert.equal(pc.sctp.maxChannels, 1024);
  assert.equal((await c.call('sctp')).maxChannels, 1024);
  t.diagnostic(`connected in ${connectedMs.toFixed(0)} ms; messages exchanged at ` +
      `${(performance.now() - started).toFixed(0)} ms`);
  checkCandidates(t, candidates, mdns);
  assert.ok(candidates.fromRtcbox.length > 0, 'rtcbox sent no candidate');
  // The pair rtcbox selected ends at Chromium's signaled host candidate
  // (with mDNS, the .local name, once rtcbox has resolved it: until then,
  // Chromium's checks may have made it a peer-reflexive candidate, which
  // the resolved host candidate then replaces, as in libwebrtc).
  const polled = performance.now();
  let remote = await selectedRemote(pc);
  while (remote.candidateType !== 'host' && performance.now() - polled < 10000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    remote = await selectedRemote(pc);
  }
  t.diagnostic(`rtcbox's selected remote candidate: ${remote.candidateType} ${remote.address}:${remote.port}` +
      ` (${(performance.now() - polled).toFixed(0)} ms after both were connected)`);
  assert.equal(remote.candidateType, 'host');
  if (mdns) assert.match(String(remote.address), /^[0-9a-f-]{36}\.local$/);
  else assert.equal(remote.address, '10.77.1.2');
  assert.deepEqual(c.pageErrors, []);
}

test('rtcbox offers, Chromium answers (mDNS host candidates)', opts, (t) => run(t, 'rtcbox', true));
test('rtcbox offers, Chromium answers (mDNS off)', opts, (t) => run(t, 'rtcbox', false));
test('Chromium offers, rtcbox answers (mDNS host candidates)', opts, (t) => run(t, 'chromium', true));
test('Chromium offers, rtcbox answers (mDNS off)', opts, (t) => run(t, 'chromium', false));
