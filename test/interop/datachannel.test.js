'use strict';
// Data channels between rtcbox and headless Chromium (webrtc-pc §6.2,
// RFC 8831/8832): a reliable ordered channel, an unordered one with
// maxRetransmits 0, a negotiated id, 1,000 messages of mixed sizes up to
// 256 KiB (strings and binary, page/messages.js) echoed byte-exact in each
// direction, and closing from either side firing `close` on both. Each
// test connects a fresh pair (rtcbox offers, but Chromium when only it has
// a channel; Chromium with its default mDNS candidates) and closes everything after (support.js).

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { whySkip, once, withTimeout, startChromium, newRtcbox, connect } = require('./support.js');
const M = require('./page/messages.js');

const skip = whySkip();
const opts = { skip, timeout: 120000 };
const COUNT = 1000;

function opened(dc, what) {
  return dc.readyState === 'open' ? Promise.resolve() : once(dc, 'open', what);
}

// A connected pair; `setup(pc, c)` creates channels before `offerer`
// ('rtcbox' or 'chromium') makes the offer (which must have a channel for
// the offer to have an m=application section).
async function pair(t, setup, offerer = 'rtcbox') {
  const c = await startChromium(t);
  const pc = newRtcbox(t);
  await setup(pc, c);
  const started = performance.now();
  await connect(pc, c, offerer);
  t.diagnostic(`connected in ${(performance.now() - started).toFixed(0)} ms`);
  return { c, pc };
}

// The channel of rtcbox's next datachannel event with this label.
function announced(pc, label) {
  return withTimeout(new Promise((resolve) => {
    const on = (e) => {
      if (e.channel.label !== label) return;
      pc.removeEventListener('datachannel', on);
      resolve(e.channel);
    };
    pc.addEventListener('datachannel', on);
  }), `rtcbox's datachannel event for "${label}"`);
}

test('a reliable ordered channel: the same properties on both sides, messages in order both ways', opts, async (t) => {
  let dc;
  const { c } = await pair(t, (pc) => {
    dc = pc.createDataChannel('reliable');
  });
  await opened(dc, 'rtcbox channel open');
  const seen = await c.waitFor((e) => e.type === 'datachannel' && e.channel.label === 'reliable', 'datachannel');
  assert.equal(seen.channel.ordered, true);
  assert.equal(seen.channel.maxRetransmits, null);
  assert.equal(seen.channel.maxPacketLifeTime, null);
  assert.equal(seen.channel.negotiated, false);
  assert.equal(seen.channel.id, dc.id);
  assert.equal(dc.ordered, true);
  await c.waitFor((e) => e.type === 'channel-open' && e.channel.label === 'reliable', 'channel open');
  const got = [];
  const all = withTimeout(new Promise((resolve) => dc.addEventListener('message', (e) => {
    got.push(e.data);
    if (got.length === 100) resolve();
  })), '100 messages from Chromium');
  for (let i = 0; i < 100; i++) dc.send(`r${i}`);
  await c.waitFor((e) => e.type === 'message' && e.data === 'r99', 'r99');
  const atChromium = c.events.filter((e) => e.type === 'message').map((e) => e.data);
  assert.deepEqual(atChromium, Array.from({ length: 100 }, (_, i) => `r${i}`));
  for (let i = 0; i < 100; i++) await c.call('send', 'reliable', `c${i}`);
  await all;
  assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => `c${i}`));
});

test('an unordered channel with maxRetransmits 0, opened by either side: the same properties on both', opts, async (t) => {
  let dc;
  const init = { ordered: false, maxRetransmits: 0 };
  let fromChromium;
  const { c, pc } = await pair(t, async (pc, c) => {
    dc = pc.createDataChannel('lossy-r', init);
    await c.call('createChannel', 'lossy-c', init, 'report');
    fromChromium = announced(pc, 'lossy-c');
  });
  const seen = await c.waitFor((e) => e.type === 'datachannel' && e.channel.label === 'lossy-r', 'datachannel');
  assert.equal(seen.channel.ordered, false);
  assert.equal(seen.channel.maxRetransmits, 0);
  assert.equal(seen.channel.maxPacketLifeTime, null);
  const theirs = await fromChromium;
  assert.equal(theirs.ordered, false);
  assert.equal(theirs.maxRetransmits, 0);
  assert.equal(theirs.maxPacketLifeTime, null);
  assert.equal(pc.connectionState, 'connected');
  // A lossless link: every message arrives, in some order.
  await opened(dc, 'rtcbox channel open');
  await opened(theirs, 'rtcbox\'s end of the Chromium channel open');
  await c.waitFor((e) => e.type === 'channel-open' && e.channel.label === 'lossy-r', 'channel open');
  for (let i = 0; i < 50; i++) dc.send(`u${i}`);
  await c.waitFor(() => c.events.filter((e) => e.type === 'message' && e.label === 'lossy-r').length === 50, '50 messages');
  const got = c.events.filter((e) => e.type === 'message' && e.label === 'lossy-r').map((e) => e.data).sort();
  assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => `u${i}`).sort());
  const back = [];
  const all = withTimeout(new Promise((resolve) => theirs.addEventListener('message', (e) => {
    back.push(e.data);
    if (back.length === 50) resolve();
  })), '50 messages from Chromium');
  for (let i = 0; i < 50; i++) await c.call('send', 'lossy-c', `v${i}`);
  await all;
  assert.deepEqual(back.sort(), Array.from({ length: 50 }, (_, i) => `v${i}`).sort());
});

test('a negotiated channel with id 7 opens on both sides without DCEP and carries messages', opts, async (t) => {
  let dc;
  const init = { negotiated: true, id: 7 };
  const { c, pc } = await pair(t, async (pc, c) => {
    dc = pc.createDataChannel('agreed', init);
    await c.call('createChannel', 'agreed', init, 'report');
  });
  let announcedAtRtcbox = false;
  pc.addEventListener('datachannel', () => {
    announcedAtRtcbox = true;
  });
  await opened(dc, 'rtcbox channel open');
  const open = await c.waitFor((e) => e.type === 'channel-open' && e.channel.label === 'agreed', 'channel open');
  assert.equal(open.channel.id, 7);
  assert.equal(open.channel.negotiated, true);
  assert.equal(dc.id, 7);
  assert.equal(dc.negotiated, true);
  const reply = once(dc, 'message', 'the message from Chromium');
  dc.send('to Chromium on 7');
  assert.equal((await c.waitFor((e) => e.type === 'message', 'message')).data, 'to Chromium on 7');
  await c.call('send', 'agreed', 'to rtcbox on 7');
  assert.equal((await reply).data, 'to rtcbox on 7');
  assert.equal(announcedAtRtcbox, false);
  assert.equal(c.events.some((e) => e.type === 'datachannel'), false);
});

// Ids far above the first streams, made before connecting: rtcbox
// announces the streams they need (65,535 here: pc/sctp_transport.h,
// RTC_SCTP_DEFAULT_STREAMS otherwise), and Chromium's SCTP offers 65,535
// each way.
test('negotiated channels with ids 300, 1023, 4000 and 65534 carry messages both ways', opts, async (t) => {
  const ids = [300, 1023, 4000, 65534];
  const dcs = [];
  const { c, pc } = await pair(t, async (pc, c) => {
    for (const id of ids) {
      const init = { negotiated: true, id };
      dcs.push(pc.createDataChannel(`id${id}`, init));
      await c.call('createChannel', `id${id}`, init, 'report');
    }
  });
  for (let i = 0; i < ids.length; i++) {
    const dc = dcs[i];
    await opened(dc, `rtcbox channel ${ids[i]} open`);
    const label = `id${ids[i]}`;
    await c.waitFor((e) => e.type === 'channel-open' && e.channel.label === label, `Chromium's channel ${ids[i]} open`);
    const reply = once(dc, 'message', `the message from Chromium on ${ids[i]}`);
    dc.send(`to Chromium on ${ids[i]}`);
    const got = await c.waitFor((e) => e.type === 'message' && e.label === label, `message on ${ids[i]}`);
    assert.equal(got.data, `to Chromium on ${ids[i]}`);
    await c.call('send', label, `to rtcbox on ${ids[i]}`);
    assert.equal((await reply).data, `to rtcbox on ${ids[i]}`);
  }
  assert.equal(pc.sctp.maxChannels, 65535);
  assert.equal((await c.call('sctp')).maxChannels, 65535);
});

// Sends messages 0..COUNT-1 on `dc`, keeping bufferedAmount bounded.
async function sendGenerated(dc) {
  dc.bufferedAmountLowThreshold = 1 << 20;
  for (let i = 0; i < COUNT; i++) {
    if (dc.bufferedAmount > (4 << 20)) await once(dc, 'bufferedamountlow', `bufferedamountlow (message ${i})`);
    dc.send(M.message(i));
  }
}

function totalBytes() {
  let n = 0;
  for (let i = 0; i < COUNT; i++) n += M.sizeOf(i);
  return n;
}

test('1,000 messages up to 256 KiB, strings and binary, rtcbox → Chromium, echoed byte-exact', opts, async (t) => {
  let dc;
  const { c, pc } = await pair(t, async (pc, c) => {
    await c.call('setDatachannelMode', 'echo');
    dc = pc.createDataChannel('bulk');
    dc.binaryType = 'arraybuffer';
  });
  await opened(dc, 'rtcbox channel open');
  const errors = [];
  let received = 0;
  const started = performance.now();
  const done = withTimeout(new Promise((resolve) => dc.addEventListener('message', (e) => {
    const error = M.check(received++, e.data);
    if (error && errors.length < 5) errors.push(error);
    if (received === COUNT) resolve();
  })), `${COUNT} echoes`, 60000);
  await sendGenerated(dc);
  await done.catch(async (error) => {
    // Where it stopped, for the log.
    const stats = [...(await pc.getStats()).values()].filter((s) =>
      s.type === 'data-channel' || s.type === 'transport' || s.type === 'candidate-pair');
    t.diagnostic(`rtcbox: ${received} echoes back, readyState ${dc.readyState}, bufferedAmount ` +
        `${dc.bufferedAmount}; stats ${JSON.stringify(stats)}`);
    t.diagnostic(`Chromium: ${JSON.stringify(await c.call('received', 'bulk'))}, ` +
        `channel ${JSON.stringify(await c.call('channel', 'bulk'))}, page errors ${JSON.stringify(c.pageErrors)}`);
    throw error;
  });
  const ms = performance.now() - started;
  assert.deepEqual(errors, []);
  const atChromium = await c.call('received', 'bulk');
  assert.deepEqual(atChromium, { received: COUNT, bytes: totalBytes(), errors: [] });
  t.diagnostic(`${COUNT} messages, ${(totalBytes() / 1048576).toFixed(1)} MiB each way, echoed in ${ms.toFixed(0)} ms`);
});

test('1,000 messages up to 256 KiB, strings and binary, Chromium → rtcbox, echoed byte-exact', opts, async (t) => {
  let theirs;
  const { c } = await pair(t, async (pc, c) => {
    await c.call('createChannel', 'bulk', {}, 'check');
    theirs = announced(pc, 'bulk');
  }, 'chromium');
  const dc = await theirs;
  dc.binaryType = 'arraybuffer';
  const errors = [];
  let received = 0;
  // The echo keeps rtcbox's send queue bounded, as the page does.
  const pending = [];
  const drain = () => {
    while (pending.length > 0 && dc.bufferedAmount <= (4 << 20)) dc.send(pending.shift());
  };
  dc.bufferedAmountLowThreshold = 1 << 20;
  dc.addEventListener('bufferedamountlow', drain);
  dc.addEventListener('message', (e) => {
    const error = M.check(received++, e.data);
    if (error && errors.length < 5) errors.push(error);
    pending.push(e.data);
    drain();
  });
  await opened(dc, 'rtcbox channel open');
  await c.waitFor((e) => e.type === 'channel-open' && e.channel.label === 'bulk', 'channel open');
  const started = performance.now();
  await c.call('sendGenerated', 'bulk', COUNT);
  let atChromium;
  const deadline = performance.now() + 60000;
  for (;;) {
    atChromium = await c.call('received', 'bulk');
    if (atChromium.received >= COUNT || atChromium.errors.length > 0 || performance.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const ms = performance.now() - started;
  assert.deepEqual(errors, []);
  assert.equal(received, COUNT);
  assert.deepEqual(atChromium, { received: COUNT, bytes: totalBytes(), errors: [] });
  t.diagnostic(`${COUNT} messages, ${(totalBytes() / 1048576).toFixed(1)} MiB each way, echoed in ${ms.toFixed(0)} ms`);
});

async function closeTest(t, closer) {
  let dc;
  const { c, pc } = await pair(t, (pc) => {
    dc = pc.createDataChannel('to-close');
  });
  await opened(dc, 'rtcbox channel open');
  await c.waitFor((e) => e.type === 'channel-open' && e.channel.label === 'to-close', 'channel open');
  const closed = once(dc, 'close', 'close at rtcbox');
  if (closer === 'rtcbox') dc.close();
  else await c.call('closeChannel', 'to-close');
  await closed;
  await c.waitFor((e) => e.type === 'channel-close' && e.channel.label === 'to-close', 'close at Chromium');
  assert.equal(dc.readyState, 'closed');
  assert.equal((await c.call('channel', 'to-close')).readyState, 'closed');
  // The connection stays up: a new channel still opens.
  const next = pc.createDataChannel('after');
  await opened(next, 'a channel after the close');
  assert.equal(pc.connectionState, 'connected');
}

test('closing a channel at rtcbox fires close on both sides', opts, (t) => closeTest(t, 'rtcbox'));
test('closing a channel at Chromium fires close on both sides', opts, (t) => closeTest(t, 'chromium'));
