#!/bin/bash
# Runs the web-platform-tests of webrtc/ against the rtcbox addon of one
# build folder (test/wpt/run.js), and appends "<label> <passed> <failed>
# <skipped>" to <results> as the other runners do: passed = subtests that
# pass, failed = regressions (subtests expected to pass that did not, files
# that crashed), skipped = subtests expected not to pass (known failures,
# listed in test/wpt/expectations.json).
#
#   test/wpt/run_wpt.sh <out dir> <label> [<results file>] [run.js options]
#
# Fetches the pinned WPT files into their cache first when they are not
# there (test/wpt/fetch_wpt.sh). The tests run in a network namespace of
# their own (test/netns.sh): their peers use mDNS. Reports go to
# <out>/wpt/report.txt and report.json. RTCBOX_WPT_TIMEOUT (seconds, default
# 1500) bounds the whole run.
set -u
cd "$(dirname "$0")/../.." || exit 1
out=$1 label=$2
results=${3:-}
shift $(($# < 3 ? $# : 3))
timeout_s=${RTCBOX_WPT_TIMEOUT:-1500}

record() {
  [ -n "$results" ] && echo "$label $1 $2 $3" >>"$results"
  return 0
}

# The runner's own tests (test/wpt/runner.test.js on test/wpt/fixtures/),
# recorded as "<label>-runner".
runner_tests() {
  local log=$report_dir/runner-tests.log start=$SECONDS
  RTCBOX_WPT_ROOT=$wpt RTCBOX_ADDON=$out/rtcbox.node timeout -k 10 300 \
    "${NETNS_EXEC[@]}" node --test --test-reporter=tap test/wpt/runner.test.js >"$log" 2>&1
  local rc=$?
  node_test_report "$label-runner" "node --test runner.test.js" "$log" "$rc" 300 \
    "$((SECONDS - start))" "$results" || true
}

if ! command -v node >/dev/null || [ ! -f "$out/rtcbox.node" ]; then
  echo "[$label] no node or no $out/rtcbox.node"
  record 0 1 0
  exit 1
fi

fetch_log=$(mktemp)
if ! wpt=$(test/wpt/fetch_wpt.sh 2>"$fetch_log" | tail -1) || [ ! -d "$wpt" ]; then
  echo "[$label] test/wpt/fetch_wpt.sh failed:"
  tail -20 "$fetch_log"
  rm -f "$fetch_log"
  record 0 1 0
  exit 1
fi
rm -f "$fetch_log"

. test/netns.sh
. test/node_test_report.sh
netns_enter "$label"

report_dir=$out/wpt
mkdir -p "$report_dir"
runner_tests
log=$report_dir/run.log
# Some files create many peer connections (each holds sockets).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
start=$SECONDS
timeout -k 10 "$timeout_s" "${NETNS_EXEC[@]}" \
  node test/wpt/run.js --wpt "$wpt" --addon "$out/rtcbox.node" --out "$report_dir" "$@" \
  >"$log" 2>&1
rc=$?

# The summary (from the "WPT <version>" line before it), the comparison,
# and the counts line.
awk '/^WPT / { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$log" |
  grep -v '^wpt [0-9]' | sed "s/^/[$label] /"
counts=$(grep -E '^wpt [0-9]+ [0-9]+ [0-9]+$' "$log" | tail -1)
if [ -z "$counts" ]; then
  echo "[$label] run.js ended without a result (exit status $rc); last lines of $log:"
  tail -30 "$log"
  record 0 1 0
  exit 1
fi
read -r _ pass fail skip <<<"$counts"
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
  fail=1
fi
status=ok
[ "$fail" -eq 0 ] || status=FAILED
printf '[%s] %-32s %4d passed %3d failed %3d skipped  %6ss  %s\n' \
  "$label" "web-platform-tests webrtc/" "$pass" "$fail" "$skip" "$((SECONDS - start))" "$status"
record "$pass" "$fail" "$skip"
[ "$fail" -eq 0 ]
