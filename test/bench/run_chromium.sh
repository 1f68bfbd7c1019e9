#!/bin/bash
# Runs the data-channel benchmark rtcbox <-> headless Chromium
# (test/bench/dc_chromium.js; `make bench`) against the optimised build
# out/release, which it builds first when needed (gn gen with
# is_debug=false, then ninja: a no-op when it is up to date).
#
#   test/bench/run_chromium.sh [dc_chromium.js options: --size 256MiB --runs 5 ...]
#
# The benchmark runs in the namespaces of the interop tests
# (test/interop/netns.sh, as test/interop/run_tests.sh does): rtcbox in new
# network and PID namespaces with only the loopback up, Chromium in one of
# its own joined to it by a veth pair. RTCBOX_BENCH_OUT=<dir> uses another
# build folder. Prints a table and writes out/bench/dc_chromium.md.
set -u
cd "$(dirname "$0")/../.." || exit 1
out=${RTCBOX_BENCH_OUT:-out/release}

if [ ! -f "$out/build.ninja" ]; then
  gn gen "$out" --args='is_debug=false' || exit 1
fi
ninja -C "$out" rtcbox.node || {
  echo "run_chromium.sh: building $out/rtcbox.node failed" >&2
  exit 1
}

. test/interop/netns.sh
interop_netns bench "the benchmark cannot run" || exit 1

exec env "${INTEROP_ENV[@]}" "${INTEROP_NETNS[@]}" node test/bench/dc_chromium.js --build "$out" "$@"
