'use strict';
// The receiver of `make demo ARGS=--chromium`, in the page the relay serves:
// session.js with the browser's own RTCPeerConnection and WebSocket. Events
// go to window.rtcboxEmit (chromium.js exposes it; without it, as when the
// page is opened by hand, they are only shown on the page).
//
// The browser has no incremental SHA-256, so the received bytes are kept
// and hashed with crypto.subtle.digest() once complete.

(function() {
  const log = document.getElementById('log');
  function emit(event) {
    if (typeof window.rtcboxEmit === 'function') window.rtcboxEmit(event);
    if (event.type !== 'progress') log.textContent += `${JSON.stringify(event)}\n`;
  }

  function subtleHash() {
    const chunks = [];
    return {
      update(bytes) {
        chunks.push(bytes);
      },
      async digest() {
        const all = await new Blob(chunks).arrayBuffer();
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
        return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      },
    };
  }

  async function main() {
    const demo = window.RtcboxDemo;
    const params = new URLSearchParams(location.search);
    const room = params.get('room') || 'demo';
    const timeoutMs = Number(params.get('timeout') || 120000);
    const version = (navigator.userAgent.match(/(?:Headless)?Chrome\/[\d.]+/) || [navigator.userAgent])[0];
    emit({type: 'info', peer: 'receiver', t: demo.now(), impl: `${version} (its own RTCPeerConnection)`,
      host: 'Chromium page', secureContext: window.isSecureContext});
    const signaling = await demo.openSignaling(WebSocket,
        `ws://${location.host}/?room=${encodeURIComponent(room)}&role=receiver`);
    const {ok} = await demo.runPeer({
      role: 'receiver',
      RTCPeerConnection,
      signaling,
      emit,
      createHash: subtleHash,
      timeoutMs,
    });
    signaling.close();
    emit({type: 'done', code: ok ? 0 : 1});
  }

  main().catch((error) => {
    emit({type: 'error', peer: 'receiver', message: String(error && error.stack ? error.stack : error)});
    emit({type: 'done', code: 1});
  });
})();
