'use strict';
// The WebRTC half of `make demo`, shared by the Node peer (peer.js) and the
// Chromium peer (browser/receiver.js): browser JavaScript that uses only the
// standard API (RTCPeerConnection, RTCDataChannel, the transports,
// getStats), so that it runs unchanged on rtcbox, on another Node
// implementation and in a browser. What differs between hosts (the
// RTCPeerConnection constructor, the WebSocket, the file, the hash, where
// events go) is passed in.
//
// The flow (no perfect negotiation): the sender creates the data channel
// and the offer, the receiver answers; both trickle their ICE candidates
// over the relay (relay.js). The sender announces the file (name, size,
// SHA-256) in a first text message, streams it in 64 KiB binary messages
// with bufferedAmount back-pressure (bufferedAmountLowThreshold and the
// bufferedamountlow event), the receiver hashes what arrives and answers
// with a text message saying whether the SHA-256 matched. Both then report
// their getStats() and close.
//
// No STUN or TURN server is configured: the candidates are the host
// candidates each implementation gathers on this machine (rtcbox, like a
// browser, names its addresses with random mDNS .local names; Chromium runs
// with flags that make it offer its addresses, loopback included), all
// signaled as they are, so the traffic stays on this machine.
//
// Everything the peer has to say goes through `emit` as one JSON-able
// object: {type: 'timeline' | 'progress' | 'info' | 'result' | 'stats' |
// 'error' | 'done', peer: 'sender' | 'receiver', t: ms since the epoch, ...}.
// run.js merges both peers' events.

(function(root, factory) {
  if (typeof module === 'object' && module.exports) {
    module.exports = factory();
  } else {
    root.RtcboxDemo = factory();
  }
})(typeof globalThis !== 'undefined' ? globalThis : this, function() {
  // A failure that its message explains (reported without a stack trace).
  class DemoFailure extends Error {}

  const CHUNK_SIZE = 64 * 1024;
  // Sending stops while more than HIGH_WATER bytes are buffered and resumes
  // at bufferedAmountLowThreshold (LOW_WATER). Chromium refuses send() past
  // 16 MiB buffered.
  const HIGH_WATER = 4 * 1024 * 1024;
  const LOW_WATER = 1024 * 1024;
  // While waiting for bufferedamountlow, bufferedAmount is also looked at
  // every POLL_MS, in case an implementation never fires the event.
  const POLL_MS = 50;
  // The DTLS state is polled from getStats() this often when the
  // implementation has no RTCDtlsTransport objects.
  const DTLS_POLL_MS = 10;
  const PROGRESS_MS = 100;
  // How long after the end of gathering no candidate at all is a failure.
  const GATHER_GRACE_MS = 2000;

  // Milliseconds since the epoch, sub-millisecond: comparable between the
  // processes of one machine (Node and Chromium alike).
  function now() {
    return performance.timeOrigin + performance.now();
  }

  // The fields of an a=candidate value: "candidate:<foundation> <component>
  // <transport> <priority> <address> <port> typ <type> ...".
  function parseCandidate(line) {
    const fields = String(line || '').replace(/^a=/, '').replace(/^candidate:/, '').trim().split(/\s+/);
    if (fields.length < 8 || fields[6] !== 'typ') return null;
    return {transport: fields[2].toLowerCase(), address: fields[4], port: Number(fields[5]), type: fields[7]};
  }

  // "host IPv4 loopback", "host mDNS", "srflx IPv6", "host IPv4 tcp"...
  function describeCandidate(line) {
    const c = parseCandidate(line);
    if (!c) return 'unparsed';
    const family = /\.local$/i.test(c.address) ? 'mDNS' : c.address.includes(':') ? 'IPv6' : 'IPv4';
    const loopback = /^127\./.test(c.address) || c.address === '::1' ? ' loopback' : '';
    const transport = c.transport === 'udp' ? '' : ` ${c.transport}`;
    return `${c.type} ${family}${loopback}${transport}`;
  }

  function candidateInit(c) {
    const init = {candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex};
    if (c.usernameFragment) init.usernameFragment = c.usernameFragment;
    return init;
  }

  // The signaling channel: JSON messages over a WebSocket to relay.js.
  // Resolves once open; messages that arrive before a handler is set wait.
  // The relay's own {type: 'peer'} messages (the other side arrived or
  // left) are not passed on: `peerPresent` resolves when the other side is
  // there, onPeerLeft(fn) calls fn({done}) when it leaves, or
  // fn({relayGone: true}) when the connection to the relay closes.
  function openSignaling(WebSocketImpl, url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocketImpl(url);
      const waiting = [];
      let handler = null;
      let opened = false;
      let present;
      const peerPresent = new Promise((r) => {
        present = r;
      });
      let left = null;
      let onLeft = null;
      ws.onmessage = (event) => {
        const msg = JSON.parse(typeof event.data === 'string' ? event.data : String(event.data));
        if (msg.type === 'peer') {
          if (msg.present) {
            present();
          } else {
            left = {done: Boolean(msg.done)};
            if (onLeft) onLeft(left);
          }
        } else if (handler) {
          handler(msg);
        } else {
          waiting.push(msg);
        }
      };
      ws.onerror = () => {
        if (!opened) reject(new DemoFailure(`cannot connect to the signaling relay at ${url}`));
      };
      ws.onclose = () => {
        // The relay went away (a peer's own close() comes after its end).
        left = left || {done: false, relayGone: true};
        if (opened && onLeft) onLeft(left);
      };
      ws.onopen = () => {
        opened = true;
        resolve({
          peerPresent,
          send(msg) {
            if (ws.readyState === 1) ws.send(JSON.stringify(msg));
          },
          onMessage(fn) {
            handler = fn;
            while (waiting.length > 0) fn(waiting.shift());
          },
          onPeerLeft(fn) {
            onLeft = fn;
            if (left) fn(left);
          },
          close() {
            ws.close();
          },
        });
      };
    });
  }

  // The selected candidate pair and the byte counts, from getStats().
  async function collectStats(pc) {
    const report = await pc.getStats();
    const all = [];
    report.forEach((s) => all.push(s));
    const byId = new Map(all.map((s) => [s.id, s]));
    const transports = all.filter((s) => s.type === 'transport');
    const transport = transports.find((s) => s.selectedCandidatePairId) || transports[0] || null;
    let pair = transport && transport.selectedCandidatePairId ? byId.get(transport.selectedCandidatePairId) : undefined;
    let pairFrom = 'transport.selectedCandidatePairId';
    if (!pair) {
      pair = all.find((s) => s.type === 'candidate-pair' && s.selected === true) ||
          all.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
      pairFrom = 'the nominated, succeeded candidate-pair';
    }
    const candidate = (id) => {
      const c = byId.get(id);
      if (!c) return null;
      return {
        type: c.candidateType,
        address: c.address !== undefined ? c.address : c.ip,
        port: c.port,
        protocol: c.protocol,
      };
    };
    const channels = all.filter((s) => s.type === 'data-channel');
    const sum = (list, key) => list.reduce((n, s) => (typeof s[key] === 'number' ? n + s[key] : n), 0);
    const has = (list, key) => list.some((s) => typeof s[key] === 'number');
    return {
      pair: pair ? {
        from: pairFrom,
        local: candidate(pair.localCandidateId),
        remote: candidate(pair.remoteCandidateId),
        currentRoundTripTime: pair.currentRoundTripTime,
        totalRoundTripTime: pair.totalRoundTripTime,
        responsesReceived: pair.responsesReceived,
      } : null,
      transport: transport ? {
        bytesSent: transport.bytesSent,
        bytesReceived: transport.bytesReceived,
        dtlsState: transport.dtlsState,
        dtlsCipher: transport.dtlsCipher,
        tlsVersion: transport.tlsVersion,
        dtlsRole: transport.dtlsRole,
      } : null,
      dataChannel: {
        count: channels.length,
        bytesSent: has(channels, 'bytesSent') ? sum(channels, 'bytesSent') : undefined,
        bytesReceived: has(channels, 'bytesReceived') ? sum(channels, 'bytesReceived') : undefined,
        messagesSent: has(channels, 'messagesSent') ? sum(channels, 'messagesSent') : undefined,
        messagesReceived: has(channels, 'messagesReceived') ? sum(channels, 'messagesReceived') : undefined,
      },
      types: [...new Set(all.map((s) => s.type))].sort(),
    };
  }

  // Runs one peer to the end. Resolves to {ok}; never rejects (a failure is
  // emitted as {type: 'error'} and resolves {ok: false}).
  //
  //   role               'sender' | 'receiver'
  //   RTCPeerConnection  the constructor under test
  //   signaling          from openSignaling()
  //   emit(event)        where events go
  //   file               sender: {name, size, sha256, read(): Promise<Uint8Array|null>}
  //   createHash()       receiver: () => {update(bytes), digest(): Promise<hex>}
  //   timeoutMs          give up after this long
  async function runPeer(options) {
    const {role, RTCPeerConnection, signaling, emit} = options;
    const peer = role;
    const other = role === 'sender' ? 'receiver' : 'sender';
    const seen = new Map();
    const mark = (name, detail) => emit({type: 'timeline', peer, name, t: now(), detail});
    // Marks "<what>: <state>" once per state change.
    const markState = (what, state, detail) => {
      if (seen.get(what) === state) return;
      seen.set(what, state);
      mark(`${what}: ${state}`, detail);
    };
    const info = (fields) => emit({type: 'info', peer, t: now(), ...fields});
    // What was gathered and signaled, and what came from the other side.
    const candidates = {gathered: {}, received: {}};
    const count = (table, line) => {
      const kind = describeCandidate(line);
      table[kind] = (table[kind] || 0) + 1;
    };

    let pc = null;
    let channel = null;
    let settled = false;
    let failed = false;
    let finish;
    const finished = new Promise((resolve) => {
      finish = (ok) => {
        settled = true;
        resolve(ok);
      };
    });
    const fail = (error) => {
      if (settled) return;
      failed = true;
      const message = error instanceof DemoFailure || !(error && error.stack) ? String(error && error.message || error) : error.stack;
      emit({type: 'error', peer, t: now(), message});
      finish(false);
    };
    const timer = setTimeout(() => fail(new DemoFailure(`gave up after ${options.timeoutMs} ms`)), options.timeoutMs);
    signaling.onPeerLeft(({done, relayGone}) => {
      if (relayGone) {
        fail(new DemoFailure('the connection to the signaling relay closed before the end'));
      } else {
        fail(new DemoFailure(`the ${other} left the signaling relay before the end` +
            (done ? '' : ' (without saying done: it failed or was stopped)')));
      }
    });

    try {
      if (role === 'sender') {
        // Negotiation starts once the receiver is there (relay.js), so that
        // the timeline does not count the time the receiver takes to start.
        await Promise.race([signaling.peerPresent, finished]);
        if (settled) throw new DemoFailure('no receiver');
        mark('receiver present');
      }
      pc = new RTCPeerConnection({iceServers: []});
      mark('RTCPeerConnection created');
      watchPeerConnection(pc, markState);

      const pending = [];
      const addCandidate = async (init) => {
        if (init.candidate) count(candidates.received, init.candidate);
        await pc.addIceCandidate(init);
      };
      const sendDescription = () => {
        const d = pc.localDescription;
        signaling.send({type: 'description', description: {type: d.type, sdp: d.sdp}});
      };
      const handleSignal = async (msg) => {
        if (msg.type === 'candidate') {
          if (pc.remoteDescription) {
            await addCandidate(msg.candidate);
          } else {
            pending.push(msg.candidate);
          }
        } else if (msg.type === 'description') {
          const d = msg.description;
          mark(`signaling: ${d.type} received`);
          await pc.setRemoteDescription(d);
          if (d.type === 'offer') {
            await pc.setLocalDescription(await pc.createAnswer());
            mark('signaling: answer sent');
            sendDescription();
          }
          // The SCTP transport exists once an answer is applied (webrtc-pc
          // §4.4.1.6), on both sides by now.
          watchTransports(pc, markState, info, () => settled);
          while (pending.length > 0) await addCandidate(pending.shift());
        }
      };

      pc.addEventListener('icecandidate', (event) => {
        const c = event.candidate;
        if (!c) {
          // The end of gathering (webrtc-pc §4.8.2: a null candidate).
          // Nothing gathered at all ends the run, after a grace period
          // (@roamhq/wrtc delivers the null candidate before the others).
          setTimeout(() => {
            if (Object.keys(candidates.gathered).length === 0 && !/^(connected|completed)$/.test(pc.iceConnectionState)) {
              fail(new DemoFailure('ICE gathering ended without a single candidate (rtcbox and browsers ' +
                  'gather on network interfaces other than loopback: is there one that is up?)'));
            }
          }, GATHER_GRACE_MS);
          return;
        }
        if (!c.candidate) return;
        count(candidates.gathered, c.candidate);
        signaling.send({type: 'candidate', candidate: candidateInit(c)});
      });
      // ICE or the connection failing ends the run at once too.
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'failed') {
          fail(new DemoFailure(`the connection failed (connectionState "failed": ICE or DTLS)`));
        }
      });
      pc.addEventListener('iceconnectionstatechange', () => {
        if (pc.iceConnectionState === 'failed') {
          fail(new DemoFailure(`ICE failed: no candidate pair worked (candidates gathered ` +
              `${JSON.stringify(candidates.gathered)}, received ${JSON.stringify(candidates.received)})`));
        }
      });

      if (role === 'sender') {
        const dc = pc.createDataChannel('file', {ordered: true});
        channel = dc;
        dc.binaryType = 'arraybuffer';
        dc.addEventListener('open', () => {
          mark('data channel: open');
          sendFile(dc, options.file, mark, emit, info).catch(fail);
        });
        dc.addEventListener('message', (event) => {
          if (typeof event.data !== 'string') return;
          const result = JSON.parse(event.data);
          if (result.type !== 'result') return;
          mark(result.ok ? 'receiver says: SHA-256 matched' : 'receiver says: SHA-256 MISMATCH');
          emit({type: 'result', peer, t: now(), ok: result.ok, sha256: result.sha256, bytes: result.bytes});
          finish(result.ok);
        });
        dc.addEventListener('close', () => {
          fail(new DemoFailure('the data channel closed before the receiver answered'));
        });
      } else {
        pc.addEventListener('datachannel', (event) => {
          const dc = event.channel;
          channel = dc;
          dc.binaryType = 'arraybuffer';
          if (dc.readyState === 'open') {
            mark('data channel: open', 'already open in the datachannel event');
          } else {
            dc.addEventListener('open', () => mark('data channel: open'));
          }
          receiveFile(dc, options.createHash, mark, emit, peer).then(finish, fail);
        });
      }

      signaling.onMessage((msg) => {
        handleSignal(msg).catch(fail);
      });
      if (role === 'sender') {
        await pc.setLocalDescription(await pc.createOffer());
        mark('signaling: offer sent');
        sendDescription();
      }

      const ok = await finished;
      clearTimeout(timer);
      info({candidates});
      if (!failed) {
        emit({type: 'stats', peer, t: now(), ...(await collectStats(pc))});
      }
      if (role === 'receiver' && !failed && channel) {
        // The sender closes first, once it has the verdict; the receiver
        // waits for that a while.
        await waitForClose(channel, 2000);
      }
      pc.close();
      mark('closed');
      signaling.send({type: 'done', ok});
      return {ok};
    } catch (error) {
      fail(error);
      clearTimeout(timer);
      info({candidates});
      if (pc) pc.close();
      signaling.send({type: 'done', ok: false});
      return {ok: false};
    }
  }

  function waitForClose(dc, ms) {
    return new Promise((resolve) => {
      if (dc.readyState === 'closed') {
        resolve();
        return;
      }
      const t = setTimeout(resolve, ms);
      dc.addEventListener('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  function watchPeerConnection(pc, markState) {
    pc.addEventListener('icegatheringstatechange', () => markState('ICE gathering', pc.iceGatheringState));
    pc.addEventListener('iceconnectionstatechange', () => markState('ICE', pc.iceConnectionState));
    pc.addEventListener('connectionstatechange', () => markState('connection', pc.connectionState));
  }

  // DTLS and SCTP states: from the transport objects' statechange events
  // (pc.sctp, pc.sctp.transport) when the implementation has them, else the
  // DTLS state from getStats() polling. Says which through info().
  function watchTransports(pc, markState, info, stopped) {
    const sctp = pc.sctp;
    const dtls = sctp && sctp.transport;
    if (dtls && typeof dtls.state === 'string' && typeof dtls.addEventListener === 'function') {
      info({dtlsSource: 'RTCDtlsTransport statechange (pc.sctp.transport)'});
      markState('DTLS', dtls.state, 'state when first observed');
      dtls.addEventListener('statechange', () => markState('DTLS', dtls.state));
    } else {
      info({dtlsSource: `getStats() transport.dtlsState, polled every ${DTLS_POLL_MS} ms (no pc.sctp.transport)`});
      const poll = async () => {
        if (stopped() || pc.connectionState === 'closed') return;
        const report = await pc.getStats();
        let state;
        report.forEach((s) => {
          if (s.type === 'transport' && s.dtlsState) state = s.dtlsState;
        });
        if (state) markState('DTLS', state);
        if (state !== 'connected' && state !== 'failed' && state !== 'closed') setTimeout(poll, DTLS_POLL_MS);
      };
      poll().catch(() => {});
    }
    if (sctp && typeof sctp.state === 'string' && typeof sctp.addEventListener === 'function') {
      info({sctpSource: 'RTCSctpTransport statechange (pc.sctp)', maxMessageSize: sctp.maxMessageSize});
      markState('SCTP', sctp.state, 'state when first observed');
      sctp.addEventListener('statechange', () => markState('SCTP', sctp.state));
    } else {
      info({sctpSource: 'none (no pc.sctp): the data channel\'s open event stands for it'});
    }
  }

  // The sender: the file header, then the file in CHUNK_SIZE messages with
  // bufferedAmount back-pressure.
  async function sendFile(dc, file, mark, emit, info) {
    dc.send(JSON.stringify({type: 'file', name: file.name, size: file.size, sha256: file.sha256}));
    dc.bufferedAmountLowThreshold = LOW_WATER;
    let sent = 0;
    let lastProgress = 0;
    let maxBuffered = 0;
    let waits = 0;
    let wokenByEvent = 0;
    let wokenByPoll = 0;
    // How many send() calls raised bufferedAmount by the message's size
    // at once, as webrtc-pc §6.2 (send(), step 4) says they must.
    let sends = 0;
    let grewOnSend = 0;

    const waitLow = () => new Promise((resolve) => {
      let poller = null;
      const done = (byEvent) => {
        dc.removeEventListener('bufferedamountlow', onLow);
        clearInterval(poller);
        if (byEvent) {
          wokenByEvent++;
        } else {
          wokenByPoll++;
        }
        resolve();
      };
      const onLow = () => done(true);
      dc.addEventListener('bufferedamountlow', onLow);
      poller = setInterval(() => {
        if (dc.bufferedAmount <= LOW_WATER || dc.readyState !== 'open') done(false);
      }, POLL_MS);
    });

    while (sent < file.size) {
      if (dc.readyState !== 'open') throw new DemoFailure(`the data channel is ${dc.readyState} after ${sent} bytes`);
      if (dc.bufferedAmount > HIGH_WATER) {
        waits++;
        await waitLow();
        continue;
      }
      const chunk = await file.read();
      if (!chunk || chunk.byteLength === 0) throw new DemoFailure(`the file ended after ${sent} of ${file.size} bytes`);
      const before = dc.bufferedAmount;
      dc.send(chunk);
      sends++;
      if (dc.bufferedAmount >= before + chunk.byteLength) grewOnSend++;
      maxBuffered = Math.max(maxBuffered, dc.bufferedAmount);
      if (sent === 0) mark('first byte sent');
      sent += chunk.byteLength;
      const t = now();
      if (t - lastProgress >= PROGRESS_MS || sent === file.size) {
        lastProgress = t;
        emit({type: 'progress', peer: 'sender', t, bytes: sent, total: file.size, bufferedAmount: dc.bufferedAmount});
      }
    }
    mark('last byte queued', `bufferedAmount ${dc.bufferedAmount}`);
    info({
      backPressure: {
        sends,
        grewOnSend,
        highWater: HIGH_WATER,
        lowThreshold: LOW_WATER,
        maxBufferedAmount: maxBuffered,
        waits,
        wokenByEvent,
        wokenByPoll,
      },
    });
  }

  // The receiver: the header, then bytes until the announced size; hashes as
  // they arrive, answers with the verdict. Resolves to whether it matched.
  function receiveFile(dc, createHash, mark, emit, peer) {
    return new Promise((resolve, reject) => {
      let header = null;
      let hash = null;
      let received = 0;
      let messages = 0;
      let lastProgress = 0;
      let finished = false;
      dc.addEventListener('message', (event) => {
        try {
          if (typeof event.data === 'string') {
            const msg = JSON.parse(event.data);
            if (msg.type === 'file') {
              header = msg;
              hash = createHash();
              emit({type: 'info', peer, t: now(), file: {name: msg.name, size: msg.size, sha256: msg.sha256}});
            }
            return;
          }
          if (!header) throw new DemoFailure('binary data before the file header');
          const bytes = new Uint8Array(event.data);
          if (received === 0) mark('first byte');
          received += bytes.byteLength;
          messages++;
          if (received > header.size) throw new DemoFailure(`more than the announced ${header.size} bytes`);
          hash.update(bytes);
          const t = now();
          if (t - lastProgress >= PROGRESS_MS || received === header.size) {
            lastProgress = t;
            emit({type: 'progress', peer, t, bytes: received, total: header.size});
          }
          if (received === header.size) {
            mark('last byte', `${messages} messages`);
            finished = true;
            Promise.resolve(hash.digest()).then((digest) => {
              const ok = digest === header.sha256;
              mark(ok ? 'SHA-256 matched' : 'SHA-256 MISMATCH');
              emit({type: 'result', peer, t: now(), ok, sha256: digest, expected: header.sha256, bytes: received, messages});
              dc.send(JSON.stringify({type: 'result', ok, sha256: digest, bytes: received}));
              resolve(ok);
            }, reject);
          }
        } catch (error) {
          reject(error);
        }
      });
      dc.addEventListener('close', () => {
        if (!finished) reject(new DemoFailure(`the data channel closed after ${received} bytes`));
      });
    });
  }

  return {
    CHUNK_SIZE,
    HIGH_WATER,
    LOW_WATER,
    now,
    parseCandidate,
    describeCandidate,
    openSignaling,
    collectStats,
    runPeer,
  };
});
