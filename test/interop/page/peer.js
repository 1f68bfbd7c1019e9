'use strict';
// Chromium's side of the interop tests: its own RTCPeerConnection, driven
// from Node (test/interop/support.js) through Playwright: Node calls
// window.interop.<method>(...) with page.evaluate(), and the page reports
// events by calling window.interopEvent(event), which support.js exposes
// (page.exposeFunction). Signaling therefore travels over Playwright's
// pipe to Chromium, not over the network: the veth link between the two
// namespaces carries only WebRTC's own traffic.
//
// Data channels are known by label. A channel's received messages are
// handled by its mode: 'report' (each message goes to Node as an event:
// for short test messages), 'echo' (sent back as they came, and checked
// against InteropMessages), 'check' (checked only) or 'bench' (counted
// and checked by InteropBench.receive, page/bench.js, for the plan given to
// benchPlan(); reported once as a 'bench-done' event).
//
// The benchmark's reference, Chromium to Chromium, has a second pair of
// RTCPeerConnections of its own (loopbackOpen/loopbackRun/loopbackClose),
// connected to each other inside the page.

(function() {
  const report = (event) => window.interopEvent(event);
  let pc = null;
  const channels = new Map();
  let benchPlan = null;
  let loopback = null;

  function describe(dc) {
    return {label: dc.label, id: dc.id, ordered: dc.ordered, maxRetransmits: dc.maxRetransmits,
      maxPacketLifeTime: dc.maxPacketLifeTime, negotiated: dc.negotiated, protocol: dc.protocol,
      readyState: dc.readyState, bufferedAmount: dc.bufferedAmount};
  }

  // Echoing keeps the channel's send queue bounded, as an application
  // must: Chromium's send() throws once 16 MiB are queued ("RTCDataChannel
  // send queue is full"), which happened when the echoes went out faster
  // than the peer took them (measured: 951 of 1,000 echoes sent).
  const ECHO_HIGH = 4 << 20;
  function echo(state, data) {
    if (state.pending.length > 0 || state.dc.bufferedAmount > ECHO_HIGH) {
      state.pending.push(data);
      return;
    }
    state.dc.send(data);
  }
  function drain(state) {
    while (state.pending.length > 0 && state.dc.bufferedAmount <= ECHO_HIGH) {
      state.dc.send(state.pending.shift());
    }
  }

  function adopt(dc, mode) {
    const state = {dc, mode, received: 0, bytes: 0, errors: [], pending: []};
    dc.bufferedAmountLowThreshold = 1 << 20;
    channels.set(dc.label, state);
    dc.binaryType = 'arraybuffer';
    for (const type of ['open', 'closing', 'close', 'error']) {
      dc.addEventListener(type, (e) => report({type: `channel-${type}`, channel: describe(dc),
        error: e.error ? String(e.error.message || e.error) : undefined}));
    }
    if (mode === 'bench') {
      if (!benchPlan) throw new Error('bench mode without a benchPlan()');
      state.bench = InteropBench.receive(dc, benchPlan, (result) => report({type: 'bench-done', label: dc.label, result}));
      return state;
    }
    dc.addEventListener('message', (e) => {
      const i = state.received++;
      state.bytes += InteropMessages.byteLength(e.data);
      if (state.mode === 'report') {
        report({type: 'message', label: dc.label,
          data: typeof e.data === 'string' ? e.data : {binary: Array.from(new Uint8Array(e.data))}});
        return;
      }
      if (state.errors.length < 5) {
        const error = InteropMessages.check(i, e.data);
        if (error) state.errors.push(error);
      }
      if (state.mode === 'echo') echo(state, e.data);
    });
    dc.addEventListener('bufferedamountlow', () => drain(state));
    return state;
  }

  function channel(label) {
    const state = channels.get(label);
    if (!state) throw new Error(`no channel "${label}"`);
    return state;
  }

  window.interop = {
    create(config) {
      pc = new RTCPeerConnection(config);
      pc.addEventListener('icecandidate', (e) => report({type: 'icecandidate',
        candidate: e.candidate ? e.candidate.toJSON() : null}));
      for (const type of ['connectionstatechange', 'iceconnectionstatechange', 'icegatheringstatechange']) {
        pc.addEventListener(type, () => report({type, connectionState: pc.connectionState,
          iceConnectionState: pc.iceConnectionState, iceGatheringState: pc.iceGatheringState}));
      }
      pc.addEventListener('negotiationneeded', () => report({type: 'negotiationneeded'}));
      pc.addEventListener('datachannel', (e) => {
        const mode = window.interop.datachannelMode || 'report';
        adopt(e.channel, mode);
        report({type: 'datachannel', channel: describe(e.channel)});
      });
    },
    // The mode of channels the peer announces (datachannel event).
    datachannelMode: 'report',
    setDatachannelMode(mode) {
      window.interop.datachannelMode = mode;
    },
    async offer() {
      await pc.setLocalDescription(await pc.createOffer());
      return pc.localDescription.toJSON();
    },
    async answer() {
      await pc.setLocalDescription(await pc.createAnswer());
      return pc.localDescription.toJSON();
    },
    async setRemote(description) {
      await pc.setRemoteDescription(description);
    },
    async addCandidate(candidate) {
      await pc.addIceCandidate(candidate);
    },
    createChannel(label, init, mode) {
      return describe(adopt(pc.createDataChannel(label, init), mode || 'report').dc);
    },
    setMode(label, mode) {
      channel(label).mode = mode;
    },
    // Sends a short string, or binary given as {binary: [bytes]}.
    send(label, data) {
      channel(label).dc.send(typeof data === 'string' ? data : new Uint8Array(data.binary));
    },
    // Sends InteropMessages 0..count-1, keeping bufferedAmount bounded;
    // resolves once all are handed to the channel.
    async sendGenerated(label, count) {
      const {dc} = channel(label);
      dc.bufferedAmountLowThreshold = 1 << 20;
      for (let i = 0; i < count; i++) {
        if (dc.bufferedAmount > (4 << 20)) {
          await new Promise((resolve) => dc.addEventListener('bufferedamountlow', resolve, {once: true}));
        }
        dc.send(InteropMessages.message(i));
      }
    },
    // The plan ({count, size}) of the channels adopted in 'bench' mode.
    benchPlan(plan) {
      benchPlan = plan;
    },
    // Sends a benchmark run (page/bench.js) on a channel; resolves with the
    // sender's figures once the last message is handed to the channel.
    benchSend(label, plan) {
      return InteropBench.send(channel(label).dc, plan);
    },
    // What a 'bench' channel has received so far (for a run that stalls).
    benchReceived(label) {
      const {messages, bytes, errors} = channel(label).bench;
      return {messages, bytes, errors};
    },
    // Two RTCPeerConnections of the page connected to each other (full
    // offer and answer once gathering is complete: no trickle), with a
    // reliable ordered channel from the first to the second, open at both
    // ends; the second counts and checks a benchmark run of `plan`.
    async loopbackOpen(plan, config) {
      if (loopback) throw new Error('a loopback pair is already open');
      const a = new RTCPeerConnection(config);
      const b = new RTCPeerConnection(config);
      loopback = {a, b, dc: null, done: null};
      const gathered = (p) => new Promise((resolve) => {
        if (p.iceGatheringState === 'complete') return resolve();
        p.addEventListener('icegatheringstatechange', () => {
          if (p.iceGatheringState === 'complete') resolve();
        });
      });
      const opened = (dc) => new Promise((resolve) => {
        if (dc.readyState === 'open') return resolve();
        dc.addEventListener('open', resolve, {once: true});
      });
      const received = new Promise((resolve) => b.addEventListener('datachannel', (e) => {
        loopback.done = new Promise((finish) => InteropBench.receive(e.channel, plan, finish));
        resolve(e.channel);
      }, {once: true}));
      loopback.dc = a.createDataChannel('bench');
      await a.setLocalDescription(await a.createOffer());
      await gathered(a);
      await b.setRemoteDescription(a.localDescription);
      await b.setLocalDescription(await b.createAnswer());
      await gathered(b);
      await a.setRemoteDescription(b.localDescription);
      await Promise.all([opened(loopback.dc), received.then(opened)]);
    },
    // Sends the run on the loopback pair; resolves with the receiver's
    // result and the sender's figures.
    async loopbackRun(plan) {
      const [sender, result] = await Promise.all([InteropBench.send(loopback.dc, plan), loopback.done]);
      return {result, sender};
    },
    loopbackClose() {
      if (!loopback) return;
      loopback.a.close();
      loopback.b.close();
      loopback = null;
    },
    // What a channel received: count, UTF-8/binary bytes, first errors.
    received(label) {
      const {received, bytes, errors} = channel(label);
      return {received, bytes, errors};
    },
    channel(label) {
      return describe(channel(label).dc);
    },
    closeChannel(label) {
      channel(label).dc.close();
    },
    state() {
      return {connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState,
        signalingState: pc.signalingState};
    },
    // RTCSctpTransport's figures (null before there is one).
    sctp() {
      const t = pc.sctp;
      return t && {state: t.state, maxChannels: t.maxChannels, maxMessageSize: t.maxMessageSize};
    },
    close() {
      if (pc) pc.close();
    },
    restartIce() {
      pc.restartIce();
    },
    // Adds a transceiver (no track) and returns its direction.
    addTransceiver(kind, init) {
      return pc.addTransceiver(kind, init).direction;
    },
    transceivers() {
      return pc.getTransceivers().map((t) => ({mid: t.mid, kind: t.receiver.track.kind,
        direction: t.direction, currentDirection: t.currentDirection}));
    },
    descriptions() {
      const json = (d) => (d ? d.toJSON() : null);
      return {local: json(pc.currentLocalDescription), remote: json(pc.currentRemoteDescription)};
    },
    // The ICE side of getStats, for a failing test to show: the
    // transports, every candidate pair and every candidate.
    async iceStats() {
      const report = await pc.getStats();
      return [...report.values()].filter((s) =>
        ['transport', 'candidate-pair', 'local-candidate', 'remote-candidate'].includes(s.type));
    },
    // The DTLS side of getStats (webrtc-stats §8.14, §8.12): the transport
    // with a selected pair, its selected pair and both certificates.
    async dtlsStats() {
      const report = await pc.getStats();
      const stats = [...report.values()];
      const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      if (!transport) return {transport: null, stats};
      return {transport, pair: report.get(transport.selectedCandidatePairId) || null,
        localCertificate: report.get(transport.localCertificateId) || null,
        remoteCertificate: report.get(transport.remoteCertificateId) || null};
    },
  };
})();
