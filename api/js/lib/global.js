'use strict';
// `require('rtcbox/global')`: installs every export of the package on
// globalThis as browsers define interface objects (WebIDL §3.7: writable,
// configurable, not enumerable), so that code written for browsers finds
// RTCPeerConnection and the rest as globals. Exports the same object as
// `require('rtcbox')`.

const rtcbox = require('./index.js');

for (const name of Object.keys(rtcbox)) {
  Object.defineProperty(globalThis, name, {
    value: rtcbox[name],
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

module.exports = rtcbox;
