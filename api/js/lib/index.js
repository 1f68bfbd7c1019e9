'use strict';
// The rtcbox package: `require('rtcbox')`. Loads the native addon with
// RTLD_DEEPBIND (see loader.js and DESIGN.md, "Loading") and exports its
// interfaces (RTCPeerConnection, ...).

const { findAddon, loadPackage } = require('./loader.js');

module.exports = loadPackage(findAddon());
