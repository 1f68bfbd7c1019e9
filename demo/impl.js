'use strict';
// Which WebRTC implementation the demo's Node peers use:
// $RTCBOX_DEMO_IMPL, by default `rtcbox` (require('rtcbox'), this
// repository's package). `wrtc` is npm @roamhq/wrtc (libwebrtc, prebuilt),
// which the demo was developed against while rtcbox's bindings were being
// written; it is not a dependency of the repository: install it elsewhere
// and put its node_modules on NODE_PATH. Anything else is a module name or
// a path to require(), which must export RTCPeerConnection.

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

class DemoError extends Error {}

function describeRtcboxAddon() {
  try {
    return require(path.join(ROOT, 'api', 'js', 'lib', 'loader.js')).findAddon();
  } catch (error) {
    return null;
  }
}

function requireModule(name, hint) {
  const isPath = name.startsWith('.') || path.isAbsolute(name);
  const id = isPath ? path.resolve(name) : name;
  try {
    return {module: require(id), file: require.resolve(id)};
  } catch (error) {
    if (error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(`'${id}'`)) {
      throw new DemoError(`cannot find the module ${id}${hint ? `: ${hint}` : ''}`);
    }
    throw new DemoError(`require('${id}') failed: ${error.message}`);
  }
}

// Returns {name, RTCPeerConnection, file, description} or throws a
// DemoError whose message says what to do.
function loadImpl(name = process.env.RTCBOX_DEMO_IMPL || 'rtcbox') {
  let loaded;
  let description;
  if (name === 'rtcbox') {
    try {
      loaded = {module: require('rtcbox'), file: require.resolve('rtcbox')};
    } catch (error) {
      throw new DemoError(`require('rtcbox') failed: ${error.message}`);
    }
    const addon = describeRtcboxAddon();
    description = `rtcbox (${addon ? path.relative(process.cwd(), addon) || addon : 'addon'})`;
    if (typeof loaded.module.RTCPeerConnection !== 'function') {
      throw new DemoError(
          `require('rtcbox') loaded ${addon || 'the addon'}, which exports no RTCPeerConnection: ` +
          'rtcbox\'s JavaScript bindings (api/js/DESIGN.md) are not built yet. ' +
          'To run the demo on another implementation meanwhile: RTCBOX_DEMO_IMPL=wrtc ' +
          'with npm @roamhq/wrtc on NODE_PATH (README.md, "The demo").');
    }
  } else if (name === 'wrtc') {
    loaded = requireModule('@roamhq/wrtc',
        'RTCBOX_DEMO_IMPL=wrtc needs npm @roamhq/wrtc, which is not a dependency of rtcbox: ' +
        '`npm install --prefix /tmp/demo-dev @roamhq/wrtc` and NODE_PATH=/tmp/demo-dev/node_modules');
    let version = '';
    try {
      const pkg = path.join(path.dirname(loaded.file), '..', 'package.json');
      version = ` ${JSON.parse(fs.readFileSync(pkg, 'utf8')).version}`;
    } catch (error) {
      // The version is only for the report.
    }
    description = `@roamhq/wrtc${version} (libwebrtc)`;
  } else {
    loaded = requireModule(name);
    description = name;
  }
  if (typeof loaded.module.RTCPeerConnection !== 'function') {
    throw new DemoError(`${description} exports no RTCPeerConnection`);
  }
  return {name, RTCPeerConnection: loaded.module.RTCPeerConnection, file: loaded.file, description};
}

module.exports = {loadImpl, DemoError, ROOT};
