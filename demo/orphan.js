'use strict';
// How a child process of run.js (relay.js, peer.js, chromium.js) ends when
// run.js is gone, even killed with SIGKILL: run.js keeps a pipe open on the
// child's standard input, which closes when run.js exits, however it exits.
//
// exitWithStdin(stop) calls stop() when that happens. Once the process then
// exits (after its own 'exit' listeners, registered earlier, have removed
// its files), it removes run.js's temporary folder, RTCBOX_DEMO_RUN_DIR,
// if that is empty by then: whichever child goes last removes it.

const fs = require('node:fs');

function exitWithStdin(stop) {
  let orphaned = false;
  const onEnd = () => {
    if (orphaned) return;
    orphaned = true;
    process.on('exit', () => {
      const dir = process.env.RTCBOX_DEMO_RUN_DIR;
      if (!dir) return;
      try {
        fs.rmdirSync(dir);
      } catch (error) {
        // Not empty (another child still has files there) or gone already.
      }
    });
    stop();
  };
  process.stdin.on('end', onEnd).on('error', onEnd).resume();
}

module.exports = {exitWithStdin};
