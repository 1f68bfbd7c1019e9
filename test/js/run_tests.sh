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

# The last summary of the log (top level, not indented).
count() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$log" | tail -1; }
pass=$(count pass) fail=$(count fail) cancelled=$(count cancelled)
skip=$(count skipped) todo=$(count todo)
note=""
if [ -z "$pass" ]; then
  note=" (no summary)"
fi
pass=${pass:-0} fail=$((${fail:-0} + ${cancelled:-0})) skip=$((${skip:-0} + ${todo:-0}))
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
  fail=1
  case $rc in
    124|137) note="$note (timed out after ${timeout_s}s)" ;;
    *) note="$note (exit status $rc)" ;;
  esac
fi
status=ok
[ "$fail" -eq 0 ] || status=FAILED
printf '[%s] %-32s %4d passed %3d failed %3d skipped  %6ss  %s%s\n' \
  "$label" "node --test test/js" "$pass" "$fail" "$skip" "$secs" "$status" "$note"
if [ "$fail" -ne 0 ]; then
  grep -E '^ *not ok ' "$log" | head -40
  echo "---- last lines of $log ----"
  tail -40 "$log"
  echo "----"
fi
echo "$label $pass $fail $skip" >>"$results"
[ "$fail" -eq 0 ]
