'use strict';
// RTCIceCandidate (webrtc-pc §4.8.1) and RTCIceCandidatePair (§5.6.1) of
// the rtcbox bindings (api/js/impl/ice.c): the constructor, parsing of the
// candidate-attribute grammar into the attributes, toJSON().
//
// Real candidates come from captures of the stacks, copied byte for byte
// from the project's shared fixtures: the *-candidates.txt files into
// test/js/fixtures/candidates/, the SDPs in the SDP fuzzer's seed corpus
// test/fuzzers/corpus/sdp/ (each test checks that its line is in the file
// it names); srflx, relay, prflx and mDNS
// candidates, which those captures do not have, come from the candidate
// fuzzer's seed corpus (test/fuzzers/corpus/candidate/synthetic-*), which
// follows Chromium's and Firefox's formats.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const { ROOT, DEEPBIND_SKIP, addonPath } = require('./support.js');

// Where fixture `file` is in the tree.
function fixturePath(file) {
  const dir = file.endsWith('.sdp') ? 'test/fuzzers/corpus/sdp' : 'test/js/fixtures/candidates';
  return path.join(ROOT, dir, file);
}
const CORPUS = path.join(ROOT, 'test/fuzzers/corpus/candidate');

let rtc = null;
function api() {
  if (!rtc) {
    process.env.RTCBOX_ADDON = addonPath('rtcbox');
    rtc = require('../..');
  }
  return rtc;
}

const PARSED = ['foundation', 'component', 'priority', 'address', 'protocol', 'port', 'type',
  'tcpType', 'relatedAddress', 'relatedPort'];
const ALL = ['candidate', 'sdpMid', 'sdpMLineIndex', ...PARSED, 'usernameFragment', 'relayProtocol',
  'url'];

function attributes(c) {
  return Object.fromEntries(ALL.map((k) => [k, c[k]]));
}

// `line` must be one of the lines of fixture `file` (after an optional
// "a=" when the fixture is an SDP): what we test is what a stack sent.
function fixtureLine(file, line, t) {
  const full = fixturePath(file);
  const lines = fs.readFileSync(full, 'utf8').split(/\r?\n/);
  assert.ok(lines.includes(line) || lines.includes(`a=${line}`), `${line} is not in ${file}`);
  return line;
}

function corpusLine(name) {
  return fs.readFileSync(path.join(CORPUS, name), 'utf8').replace(/\r?\n$/, '');
}

function parsedNull(c) {
  for (const k of PARSED)
    assert.equal(c[k], null, k);
}

test('the constructor throws a TypeError when sdpMid and sdpMLineIndex are both null', { skip: DEEPBIND_SKIP }, () => {
  const { RTCIceCandidate } = api();
  const line = 'candidate:3932292767 1 udp 2122260223 127.0.0.1 41302 typ host';
  for (const args of [[], [undefined], [null], [{}], [{ candidate: line }],
    [{ candidate: line, sdpMid: null, sdpMLineIndex: null }], [{ candidate: '' }]]) {
    assert.throws(() => new RTCIceCandidate(...args), (e) => {
      assert.equal(e.constructor, TypeError);
      assert.match(e.message, /^Failed to construct 'RTCIceCandidate': .*sdpMid.*sdpMLineIndex/);
      return true;
    }, JSON.stringify(args));
  }
});

test('either sdpMid or sdpMLineIndex is enough, and 0 and "" are not null', { skip: DEEPBIND_SKIP }, () => {
  const { RTCIceCandidate } = api();
  const a = new RTCIceCandidate({ sdpMid: '' });
  assert.equal(a.sdpMid, '');
  assert.equal(a.sdpMLineIndex, null);
  const b = new RTCIceCandidate({ sdpMLineIndex: 0 });
  assert.equal(b.sdpMid, null);
  assert.equal(b.sdpMLineIndex, 0);
  const c = new RTCIceCandidate({ sdpMid: 'data', sdpMLineIndex: 65535 });
  assert.equal(c.sdpMid, 'data');
  assert.equal(c.sdpMLineIndex, 65535);
  // unsigned short without [EnforceRange]: modulo 2^16.
  assert.equal(new RTCIceCandidate({ sdpMLineIndex: 65537 }).sdpMLineIndex, 1);
});

test('an end-of-candidates candidate ("") has every parsed attribute null', { skip: DEEPBIND_SKIP }, () => {
  const { RTCIceCandidate } = api();
  const c = new RTCIceCandidate({ candidate: '', sdpMid: '0', sdpMLineIndex: 0 });
  assert.equal(c.candidate, '');
  parsedNull(c);
  assert.equal(c.usernameFragment, null);
  assert.equal(c.relayProtocol, null);
  assert.equal(c.url, null);
});

test('Chromium host candidate: every attribute; usernameFragment from the init only, not the line', { skip: DEEPBIND_SKIP }, (t) => {
  const { RTCIceCandidate } = api();
  const line = fixtureLine('chromium-candidates.txt',
    'candidate:3932292767 1 udp 2122260223 127.0.0.1 41302 typ host generation 0 ufrag ivSh network-id 1 network-cost 50', t);
  if (!line)
    return;
  const c = new RTCIceCandidate({ candidate: line, sdpMid: '0', sdpMLineIndex: 0 });
  assert.deepEqual(attributes(c), {
    candidate: line,
    sdpMid: '0',
    sdpMLineIndex: 0,
    foundation: '3932292767',
    component: 'rtp',
    priority: 2122260223,
    address: '127.0.0.1',
    protocol: 'udp',
    port: 41302,
    type: 'host',
    tcpType: null,
    relatedAddress: null,
    relatedPort: null,
    // webrtc-pc "create an RTCIceCandidate": usernameFragment is the init's
    // (null here); the line's "ufrag ivSh" fills no slot.
    usernameFragment: null,
    relayProtocol: null,
    url: null,
  });
});

test('Chromium TCP active candidate (port 9) has tcpType "active"', { skip: DEEPBIND_SKIP }, (t) => {
  const { RTCIceCandidate } = api();
  const line = fixtureLine('chromium-candidates.txt',
    'candidate:2494424071 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0 ufrag ivSh network-id 1 network-cost 50', t);
  if (!line)
    return;
  const c = new RTCIceCandidate({ candidate: line, sdpMid: '0' });
  assert.equal(c.protocol, 'tcp');
  assert.equal(c.tcpType, 'active');
  assert.equal(c.port, 9);
  assert.equal(c.priority, 1518280447);
  assert.equal(c.foundation, '2494424071');
});

test('libwebrtc TCP passive candidate over IPv6 (wrtc gathered offer)', { skip: DEEPBIND_SKIP }, (t) => {
  const { RTCIceCandidate } = api();
  const line = fixtureLine('wrtc-0.10.0-datachannel-gathered-offer.sdp',
    'candidate:1876313031 1 tcp 1518222591 ::1 44377 typ host tcptype passive generation 0 network-id 2', t);
  if (!line)
    return;
  const c = new RTCIceCandidate({ candidate: line, sdpMid: '0' });
  assert.equal(c.address, '::1');
  assert.equal(c.port, 44377);
  assert.equal(c.protocol, 'tcp');
  assert.equal(c.tcpType, 'passive');
  assert.equal(c.usernameFragment, null, 'no ufrag on the line, none in the init');
});

test('Firefox candidates: upper-case transport, IPv6, component 2 is "rtcp", TCP active', { skip: DEEPBIND_SKIP }, (t) => {
  const { RTCIceCandidate } = api();
  const cases = [
    ['candidate:1 1 UDP 2122187007 ::1 33439 typ host',
      { foundation: '1', component: 'rtp', protocol: 'udp', address: '::1', port: 33439, priority: 2122187007 }],
    ['candidate:0 2 UDP 2122121470 127.0.0.1 35536 typ host',
      { foundation: '0', component: 'rtcp', protocol: 'udp', address: '127.0.0.1', port: 35536 }],
    ['candidate:4 1 TCP 2105458943 ::1 9 typ host tcptype active',
      { foundation: '4', protocol: 'tcp', tcpType: 'active', address: '::1', port: 9 }],
  ];
  for (const [raw, want] of cases) {
    const line = fixtureLine('firefox-candidates.txt', raw, t);
    if (!line)
      return;
    const c = new RTCIceCandidate({ candidate: line, sdpMLineIndex: 0 });
    for (const [k, v] of Object.entries(want))
      assert.equal(c[k], v, `${k} of ${line}`);
    assert.equal(c.type, 'host');
    assert.equal(c.relatedAddress, null);
  }
});

test('aiortc (32-hex-digit foundation) and werift candidates', { skip: DEEPBIND_SKIP }, (t) => {
  const { RTCIceCandidate } = api();
  const aiortc = fixtureLine('aiortc-candidates.txt',
    'candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 40276 typ host', t);
  const werift = fixtureLine('werift-candidates.txt',
    'candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 56747 typ host generation 0 ufrag 24bc', t);
  if (!aiortc || !werift)
    return;
  const a = new RTCIceCandidate({ candidate: aiortc, sdpMid: '0' });
  assert.equal(a.foundation, '9cb20c778a0a46a9078ad428e1f0a8e5');
  assert.equal(a.address, '198.18.0.1');
  assert.equal(a.port, 40276);
  const w = new RTCIceCandidate({ candidate: werift, sdpMid: '0' });
  assert.equal(w.foundation, '78a0a46a9078ad428e1f0a8e5');
  assert.equal(w.usernameFragment, null, 'the line\'s ufrag is not the init\'s');
});

test('the value parses without "candidate:" and with the SDP line\'s "a=" (ndc)', { skip: DEEPBIND_SKIP }, (t) => {
  const { RTCIceCandidate } = api();
  const full = fixtureLine('chromium-candidates.txt',
    'candidate:1090908015 1 udp 2122194687 198.18.0.1 45528 typ host generation 0 ufrag ivSh network-id 2', t);
  const ndc = fixtureLine('ndc-candidates.txt', 'a=candidate:1 1 UDP 2114977791 198.18.0.1 43359 typ host', t);
  if (!full || !ndc)
    return;
  const withPrefix = new RTCIceCandidate({ candidate: full, sdpMid: '0' });
  const bare = new RTCIceCandidate({ candidate: full.slice('candidate:'.length), sdpMid: '0' });
  assert.equal(bare.candidate, full.slice('candidate:'.length), 'candidate is kept as given');
  for (const k of [...PARSED, 'usernameFragment'])
    assert.equal(bare[k], withPrefix[k], k);
  assert.equal(bare.foundation, '1090908015');
  const n = new RTCIceCandidate({ candidate: ndc, sdpMid: '0' });
  assert.equal(n.candidate, ndc);
  assert.equal(n.foundation, '1');
  assert.equal(n.priority, 2114977791);
  assert.equal(n.port, 43359);
});

test('srflx, relay and prflx candidates have relatedAddress and relatedPort', { skip: DEEPBIND_SKIP }, () => {
  const { RTCIceCandidate } = api();
  const cases = [
    ['synthetic-chrome-srflx', { type: 'srflx', address: '203.0.113.7', port: 61665,
      relatedAddress: '0.0.0.0', relatedPort: 0, usernameFragment: null, foundation: '842163049' }],
    ['synthetic-firefox-srflx', { type: 'srflx', address: '203.0.113.7', port: 51000,
      relatedAddress: '192.168.1.2', relatedPort: 51000, usernameFragment: null }],
    ['synthetic-chrome-relay', { type: 'relay', address: '198.51.100.20', port: 3478,
      relatedAddress: '203.0.113.7', relatedPort: 61665, priority: 41885439 }],
    ['synthetic-chrome-relay-ipv6', { type: 'relay', address: '2001:db8:1::20', port: 50302,
      relatedAddress: '2001:db8:2::7', relatedPort: 61666 }],
    ['synthetic-chrome-prflx', { type: 'prflx', address: '2001:db8::5', port: 50001,
      relatedAddress: '2001:db8::4', relatedPort: 50000, priority: 1853824767 }],
    ['synthetic-rfc8839-example', { type: 'srflx', address: '192.0.2.3', port: 45664,
      relatedAddress: '203.0.113.141', relatedPort: 8998, protocol: 'udp' }],
  ];
  for (const [file, want] of cases) {
    const line = corpusLine(file);
    const c = new RTCIceCandidate({ candidate: line, sdpMid: '0' });
    for (const [k, v] of Object.entries(want))
      assert.equal(c[k], v, `${k} of ${file}`);
    assert.equal(c.tcpType, null);
    assert.equal(c.relayProtocol, null, 'a constructed candidate takes relayProtocol from the init only');
  }
});

test('mDNS candidates: address is the .local name, also as raddr', { skip: DEEPBIND_SKIP }, () => {
  const { RTCIceCandidate } = api();
  const host = new RTCIceCandidate({ candidate: corpusLine('synthetic-chrome-mdns-host'), sdpMid: '0' });
  assert.equal(host.address, '1f4712db-ea17-4bcf-a596-105139dfd8bf.local');
  assert.equal(host.port, 54134);
  assert.equal(host.type, 'host');
  const tcp = new RTCIceCandidate({ candidate: corpusLine('synthetic-chrome-mdns-tcp-active'), sdpMid: '0' });
  assert.equal(tcp.address, '8c9a2b39-2e4b-4d8c-9a1f-0c3f1e2d4b5a.local');
  assert.equal(tcp.tcpType, 'active');
  const ff = new RTCIceCandidate({ candidate: corpusLine('synthetic-firefox-mdns-host'), sdpMid: '0' });
  assert.equal(ff.address, '7ba3d1e0-7b7c-4d2a-8a2e-5b6a1f0d3c21.local');
  const srflx = new RTCIceCandidate({ candidate: corpusLine('synthetic-chrome-srflx-mdns-raddr'), sdpMid: '0' });
  assert.equal(srflx.relatedAddress, '1f4712db-ea17-4bcf-a596-105139dfd8bf.local');
  assert.equal(srflx.relatedPort, 54134);
});

test('tcptype so and passive, IPv6 link-local and IPv4-mapped addresses', { skip: DEEPBIND_SKIP }, () => {
  const { RTCIceCandidate } = api();
  const so = new RTCIceCandidate({ candidate: corpusLine('synthetic-chrome-tcp-so'), sdpMid: '0' });
  assert.equal(so.tcpType, 'so');
  const passive = new RTCIceCandidate({ candidate: corpusLine('synthetic-firefox-tcp-passive'), sdpMid: '0' });
  assert.equal(passive.tcpType, 'passive');
  assert.equal(passive.protocol, 'tcp');
  const ll = new RTCIceCandidate({ candidate: corpusLine('synthetic-firefox-ipv6-link-local'), sdpMid: '0' });
  assert.equal(ll.address, 'fe80::1c2d:3e4f:5a6b:7c8d');
  const mapped = new RTCIceCandidate({ candidate: corpusLine('synthetic-ipv4-mapped'), sdpMid: '0' });
  assert.equal(mapped.address, '::ffff:192.0.2.1');
  const ext = new RTCIceCandidate({ candidate: corpusLine('synthetic-unknown-extensions'), sdpMid: '0' });
  assert.equal(ext.foundation, '1', 'unknown extensions do not stop parsing');
});

test('an unparsable candidate is kept with null attributes, not an error', { skip: DEEPBIND_SKIP }, () => {
  const { RTCIceCandidate } = api();
  const bad = [
    'garbage',
    'candidate:',
    'candidate:1 1 udp 2122260223 127.0.0.1',
    'candidate:1 1 udp 2122260223 127.0.0.1 41302 host',
    'candidate:1 3 udp 2122260223 127.0.0.1 41302 typ host', // component 3: no RTCIceComponent
    'candidate:1 1 sctp 2122260223 127.0.0.1 41302 typ host', // no RTCIceProtocol
    'candidate:1 1 udp 2122260223 127.0.0.1 70000 typ host', // port
    'candidate:1 1 udp 4294967296 127.0.0.1 41302 typ host', // priority
    'candidate:1 1 udp 2122260223 127.0.0.1 41302 typ relayed',
    'candidate:1 1 udp 2122260223 127.0.0.1 41302 typ host tcptype active', // tcptype on UDP
    'candidate:1 1 udp 2122260223 127.0.0.1 41302 typ host generation',
    'candidate:1 1 udp 2122260223 127.0.0.1 41302 typ host\0',
    'a=fingerprint:sha-256 00',
    'candidate:1 1 udp 2122260223 127.0.0.1 41302 typ host ufrag \ud800',
  ];
  for (const line of bad) {
    const c = new RTCIceCandidate({ candidate: line, sdpMid: 'x', usernameFragment: 'abcd' });
    assert.equal(c.candidate, line);
    parsedNull(c);
    assert.equal(c.usernameFragment, 'abcd');
    assert.equal(c.sdpMid, 'x');
  }
});

test('usernameFragment, relayProtocol and url come from the init', { skip: DEEPBIND_SKIP }, () => {
  const { RTCIceCandidate } = api();
  const line = corpusLine('synthetic-chrome-relay');
  const c = new RTCIceCandidate({ candidate: line, sdpMid: '1', usernameFragment: 'Zz9+',
    relayProtocol: 'tls', url: 'turns:turn.example.org:443?transport=tcp' });
  assert.equal(c.usernameFragment, 'Zz9+', "the init's ufrag wins over the line's");
  assert.equal(c.relayProtocol, 'tls');
  assert.equal(c.url, 'turns:turn.example.org:443?transport=tcp');
  assert.equal(new RTCIceCandidate({ sdpMid: '1', relayProtocol: 'udp' }).relayProtocol, 'udp');
  assert.throws(() => new RTCIceCandidate({ sdpMid: '1', relayProtocol: 'sctp' }), TypeError);
  // url is a USVString: a lone surrogate becomes U+FFFD.
  assert.equal(new RTCIceCandidate({ sdpMid: '1', url: 'stun:a\ud800' }).url, 'stun:a\ufffd');
});

test('DOMString attributes round-trip exactly (NULs, lone surrogates)', { skip: DEEPBIND_SKIP }, () => {
  const { RTCIceCandidate } = api();
  const odd = 'a\0b\ud800c\udfffd\u{1F600}';
  const c = new RTCIceCandidate({ candidate: odd, sdpMid: odd, usernameFragment: odd });
  assert.equal(c.candidate, odd);
  assert.equal(c.sdpMid, odd);
  assert.equal(c.usernameFragment, odd);
  parsedNull(c);
});

test('toJSON() gives candidate, sdpMid, sdpMLineIndex, usernameFragment, and round-trips', { skip: DEEPBIND_SKIP }, (t) => {
  const { RTCIceCandidate } = api();
  const line = fixtureLine('wrtc-candidates.txt',
    'candidate:559267639 1 udp 2122202367 ::1 34465 typ host generation 0 ufrag llo5 network-id 2', t);
  if (!line)
    return;
  const c = new RTCIceCandidate({ candidate: line, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'llo5',
    url: 'stun:x', relayProtocol: 'udp' });
  const json = c.toJSON();
  assert.equal(Object.getPrototypeOf(json), Object.prototype);
  assert.deepEqual(Object.keys(json).sort(), ['candidate', 'sdpMLineIndex', 'sdpMid', 'usernameFragment']);
  assert.deepEqual(json, { candidate: line, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'llo5' });
  const parsed = JSON.parse(JSON.stringify(c));
  assert.deepEqual(parsed, json);
  const again = new RTCIceCandidate(parsed);
  for (const k of ['candidate', 'sdpMid', 'sdpMLineIndex', ...PARSED, 'usernameFragment'])
    assert.equal(again[k], c[k], k);
  assert.equal(again.url, null);
  const nulls = new RTCIceCandidate({ sdpMid: 'a' }).toJSON();
  assert.deepEqual(nulls, { candidate: '', sdpMid: 'a', sdpMLineIndex: null, usernameFragment: null });
});

test('interface shape: attributes on the prototype, readonly, brand-checked', { skip: DEEPBIND_SKIP }, () => {
  const { RTCIceCandidate, RTCIceCandidatePair } = api();
  assert.equal(RTCIceCandidate.length, 0);
  const proto = RTCIceCandidate.prototype;
  for (const k of ALL) {
    const d = Object.getOwnPropertyDescriptor(proto, k);
    assert.equal(typeof d.get, 'function', k);
    assert.equal(d.set, undefined, k);
    assert.equal(d.enumerable, true, k);
  }
  assert.equal(typeof proto.toJSON, 'function');
  assert.equal(Object.prototype.toString.call(new RTCIceCandidate({ sdpMid: '' })), '[object RTCIceCandidate]');
  assert.throws(() => Object.getOwnPropertyDescriptor(proto, 'port').get.call({}), TypeError);
  assert.throws(() => proto.toJSON.call({}), TypeError);
  const c = new RTCIceCandidate({ sdpMid: 'm' });
  assert.throws(() => { c.sdpMid = 'changed'; }, TypeError, 'readonly (strict mode)');
  assert.equal(c.sdpMid, 'm');
  assert.throws(() => new RTCIceCandidatePair(), /Illegal constructor/);
  assert.throws(() => RTCIceCandidate({ sdpMid: '' }), TypeError, 'needs new');
});

test('icecandidate events carry parsed candidates with the description\'s mid and ufrag', { skip: DEEPBIND_SKIP, timeout: 20000 }, async (t) => {
  const { RTCPeerConnection, RTCIceCandidate } = api();
  const pc = new RTCPeerConnection();
  t.after(() => pc.close());
  pc.createDataChannel('x');
  const candidates = [];
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gathering did not complete')), 10000);
    pc.addEventListener('icecandidate', (e) => {
      if (e.candidate)
        candidates.push(e.candidate);
      else {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await pc.setLocalDescription(await pc.createOffer());
  await done;
  const sdp = pc.localDescription.sdp;
  const mid = sdp.match(/^a=mid:(.*?)\r?$/m)[1];
  const ufrag = sdp.match(/^a=ice-ufrag:(.*?)\r?$/m)[1];
  const real = candidates.filter((c) => c.candidate !== '');
  assert.ok(real.length >= 1, 'gathered at least one candidate');
  for (const c of real) {
    assert.ok(c instanceof RTCIceCandidate);
    assert.equal(c.sdpMid, mid);
    assert.equal(c.sdpMLineIndex, 0);
    assert.equal(c.usernameFragment, ufrag);
    assert.ok(sdp.includes(`a=${c.candidate}`), `${c.candidate} is in the description`);
    // The attributes are those of the line.
    const [foundation, component, protocol, priority, address, port, , type] = c.candidate.split(' ');
    assert.equal(c.foundation, foundation.slice('candidate:'.length));
    assert.equal(c.component, component === '1' ? 'rtp' : 'rtcp');
    assert.equal(c.protocol, protocol.toLowerCase());
    assert.equal(c.priority, Number(priority));
    assert.equal(c.address, address);
    assert.equal(c.port, Number(port));
    assert.equal(c.type, type);
    assert.equal(c.url, null, 'no STUN or TURN server');
    assert.equal(c.relayProtocol, null);
    assert.deepEqual(c.toJSON(), { candidate: c.candidate, sdpMid: mid, sdpMLineIndex: 0, usernameFragment: ufrag });
  }
});
