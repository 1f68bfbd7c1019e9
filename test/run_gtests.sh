#!/bin/bash
# Runs every GoogleTest binary listed in <out>/tests.txt and appends
# "<label> <passed> <failed> <skipped>" to <results>.
#
#   test/run_gtests.sh <out dir> <label> <results file> [gtest flags...]
#
# A binary that crashes, hangs (TEST_TIMEOUT seconds, default 600) or exits
# non-zero without a failed test (a leak report, a sanitizer error) counts
# as one more failure. Logs are kept in <out>/test-logs/.
set -u
out=$1 label=$2 results=$3
shift 3
timeout_s=${TEST_TIMEOUT:-600}
logs=$out/test-logs
mkdir -p "$logs"

total_pass=0 total_fail=0 total_skip=0
if [ ! -f "$out/tests.txt" ]; then
  echo "[$label] no $out/tests.txt: was the build run?"
  echo "$label 0 1 0" >>"$results"
  exit 1
fi

while read -r name; do
  [ -n "$name" ] || continue
  log=$logs/$name.log
  start=${EPOCHREALTIME/./}
  timeout -k 10 "$timeout_s" "$out/$name" "$@" >"$log" 2>&1
  rc=$?
  elapsed_ms=$(((${EPOCHREALTIME/./} - start) / 1000))
  secs=$(printf '%d.%01d' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100)))
  if grep -q '^\[==========\] .* ran\.' "$log"; then
    pass=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\?\..*/\1/p' "$log" | tail -1)
    fail=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) tests\?, listed below:.*/\1/p' "$log" | tail -1)
    skip=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\?, listed below:.*/\1/p' "$log" | tail -1)
  else
    # Did not finish: count what did.
    pass=$(grep -c '^\[       OK \]' "$log")
    fail=$(grep -c '^\[  FAILED  \] .* ([0-9]* ms)$' "$log")
    skip=$(grep -c '^\[  SKIPPED \] .* ([0-9]* ms)$' "$log")
  fi
  pass=${pass:-0} fail=${fail:-0} skip=${skip:-0}
  note=""
  if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    fail=1
    case $rc in
      124|137) note=" (timed out after ${timeout_s}s)" ;;
      *) note=" (exit status $rc)" ;;
    esac
  fi
  status=ok
  [ "$fail" -eq 0 ] || status=FAILED
  printf '[%s] %-32s %4d passed %3d failed %3d skipped  %6ss  %s%s\n' \
    "$label" "$name" "$pass" "$fail" "$skip" "$secs" "$status" "$note"
  if [ "$fail" -ne 0 ]; then
    # The failures and what the binary said last.
    grep -E '^\[  FAILED  \]|^\[  LEAKED  \]|ERROR: |runtime error|Check failed' "$log" | head -40
    echo "---- last lines of $log ----"
    tail -25 "$log"
    echo "----"
  fi
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  total_skip=$((total_skip + skip))
done <"$out/tests.txt"

echo "$label $total_pass $total_fail $total_skip" >>"$results"
[ "$total_fail" -eq 0 ]
