#!/bin/bash
# Runs rtcbox beside libwebrtc (npm @roamhq/wrtc) and libdatachannel (npm
# node-datachannel) (test/bench/run.js; `make bench`, BENCH=peers or all)
# against the optimised build out/release, which it builds first when needed
# (gn gen with is_debug=false, then ninja: a no-op when it is up to date),
# with the C programs of the ceilings (test/bench/BUILD.gn).
#
#   test/bench/run_peers.sh [run.js options: --runs 5 --quick --only DC-BULK-64K ...]
#
# The peers are npm packages with prebuilt binaries, pinned by
# test/bench/package.json and package-lock.json: installed into
# test/bench/node_modules (npm ci) when it is missing or older than the
# lockfile, never into the package's node_modules (make test does not need
# them). Everything runs in new network and PID namespaces with the loopback
# and a veth pair up (test/netns.sh): host candidates on 10.77.0.x, mDNS on
# the veth. RTCBOX_BENCH_OUT=<dir> uses another build folder. Prints a
# table and writes out/bench/results.json, README-table.md and goodput.png.
set -u
cd "$(dirname "$0")/../.." || exit 1
out=${RTCBOX_BENCH_OUT:-out/release}

if [ ! -f "$out/build.ninja" ]; then
  gn gen "$out" --args='is_debug=false' || exit 1
fi
ninja -C "$out" rtcbox.node sctp_ceiling udp_ceiling idle_pairs || {
  echo "run_peers.sh: building $out/rtcbox.node and the ceilings failed" >&2
  exit 1
}

if [ ! -f test/bench/node_modules/.package-lock.json ] ||
  [ -n "$(find test/bench/package-lock.json -newer test/bench/node_modules/.package-lock.json)" ]; then
  echo "run_peers.sh: npm ci --prefix test/bench"
  npm ci --prefix test/bench --no-audit --no-fund || exit 1
fi

# IDLE-500 opens 1000 RTCPeerConnections in one process: @roamhq/wrtc
# needs some 43 fds for each, over the 20000 a process may open by default
# on our machines. Raising the hard limit needs root, as the namespaces do.
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt 131072 ]; then
  ulimit -Hn 131072 2>/dev/null ||
    echo "run_peers.sh: cannot raise RLIMIT_NOFILE to 131072: IDLE-500 may fail for @roamhq/wrtc" >&2
fi
ulimit -n "$(ulimit -Hn)"

. test/netns.sh
netns_enter bench
exec "${NETNS_EXEC[@]}" node test/bench/run.js --build "$out" "$@"
