#!/bin/bash
# Runs the interop tests (test/interop/*.test.js: rtcbox in Node against
# headless Chromium) with Node's test runner against the addon of one build
# folder, and appends "<label> <passed> <failed> <skipped>" to <results>,
# as test/js/run_tests.sh does.
#
#   test/interop/run_tests.sh <out dir> <label> <results file>
#
# Counts come from the TAP summary of `node --test` (cancelled counts as
# failed, todo as skipped). A run that ends without a summary, or exits
# non-zero without a failed test, counts as one more failure. The log is
# kept in <out>/test-logs/interop.log. INTEROP_TEST_TIMEOUT (seconds,
# default 600) bounds the run.
#
# Namespaces (test/interop/netns.sh): node runs in new network and PID
# namespaces (unshare) with only the loopback up, and RTCBOX_INTEROP_NETNS=1
# tells the tests so: each test then puts its Chromium in a namespace of
# its own joined to this one by a veth pair (test/interop/chromium_netns.sh,
# support.js). The files
# run one at a time (--test-concurrency=1), since each Chromium's pair has
# the same name and addresses. Everything ends with node: the kernel kills
# what is left in the PID namespace when its first process exits. Without
# the privileges for namespaces every test skips, saying why.
#
# Under ASan the tests skip (rtcbox.node needs RTLD_DEEPBIND, which the
# ASan runtime refuses).
set -u
cd "$(dirname "$0")/../.." || exit 1
out=$1 label=$2 results=$3
timeout_s=${INTEROP_TEST_TIMEOUT:-600}
logs=$out/test-logs
log=$logs/interop.log
mkdir -p "$logs"

shopt -s nullglob
files=(test/interop/*.test.js)
if [ "${#files[@]}" -eq 0 ] || ! command -v node >/dev/null; then
  echo "[$label] no node or no test/interop/*.test.js"
  echo "$label 0 1 0" >>"$results"
  exit 1
fi

preload=()
if grep -qE '^ *is_asan *= *true' "$out/args.gn" 2>/dev/null; then
  preload=(env "LD_PRELOAD=$(clang -print-file-name=libclang_rt.asan-x86_64.so)"
    "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
fi

. test/interop/netns.sh
interop_netns "$label" "the interop tests skip"

start=${EPOCHREALTIME/./}
env RTCBOX_TEST_OUT="$out" "${INTEROP_ENV[@]}" "${preload[@]}" timeout -k 10 "$timeout_s" \
  "${INTEROP_NETNS[@]}" node --test --test-concurrency=1 --test-reporter=tap "${files[@]}" >"$log" 2>&1
rc=$?
elapsed_ms=$(((${EPOCHREALTIME/./} - start) / 1000))
secs=$(printf '%d.%01d' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100)))

. test/node_test_report.sh
node_test_report "$label" "node --test test/interop" "$log" "$rc" "$timeout_s" "$secs" "$results"
