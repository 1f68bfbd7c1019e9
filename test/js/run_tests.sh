#!/bin/bash
# Runs the JavaScript tests (test/js/*.test.js) with Node's test runner
# against the addons of one build folder, and appends
# "<label> <passed> <failed> <skipped>" to <results>, as test/run_gtests.sh
# does for GoogleTest binaries.
#
#   test/js/run_tests.sh <out dir> <label> <results file>
#
# Counts come from the TAP summary of `node --test` (# pass, # fail,
# # cancelled, # skipped, # todo; cancelled counts as failed, todo as
# skipped). A run that ends without a summary, or exits non-zero without a
# failed test, counts as one more failure. The log is kept in
# <out>/test-logs/js.log. JS_TEST_TIMEOUT (seconds, default 900) bounds the
# run.
#
# An ASan build's addons need the ASan runtime in the host: node runs with
# it preloaded (LD_PRELOAD), and with LeakSanitizer off, since node itself
# does not free everything when it exits through an uncaught exception; the
# tests check rtcbox's own allocations with rtc_alloc_live_count(). Tests
# of addons linked to BoringSSL skip themselves there (the ASan runtime
# refuses RTLD_DEEPBIND; test/js/support.js).
set -u
cd "$(dirname "$0")/../.." || exit 1
out=$1 label=$2 results=$3
timeout_s=${JS_TEST_TIMEOUT:-900}
logs=$out/test-logs
log=$logs/js.log
mkdir -p "$logs"

shopt -s nullglob
files=(test/js/*.test.js)
if [ "${#files[@]}" -eq 0 ] || ! command -v node >/dev/null; then
  echo "[$label] no node or no test/js/*.test.js"
  echo "$label 0 1 0" >>"$results"
  exit 1
fi

preload=()
if grep -qE '^ *is_asan *= *true' "$out/args.gn" 2>/dev/null; then
  preload=(env "LD_PRELOAD=$(clang -print-file-name=libclang_rt.asan-x86_64.so)"
    "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
fi

# The WebRTC tests connect peers over host candidates hidden behind mDNS
# names, which needs an interface with multicast, and their traffic must
# stay off the machine's network: they run in a network namespace of their
# own (test/netns.sh).
. test/netns.sh
netns_enter "$label"

start=${EPOCHREALTIME/./}
RTCBOX_TEST_OUT=$out "${preload[@]}" timeout -k 10 "$timeout_s" \
  "${NETNS_EXEC[@]}" node --test --test-reporter=tap "${files[@]}" >"$log" 2>&1
rc=$?
elapsed_ms=$(((${EPOCHREALTIME/./} - start) / 1000))
secs=$(printf '%d.%01d' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100)))

. test/node_test_report.sh
node_test_report "$label" "node --test test/js" "$log" "$rc" "$timeout_s" "$secs" "$results"
