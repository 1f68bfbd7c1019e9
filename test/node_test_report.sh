# Sourced by the runners of `node --test` suites (test/js, test/interop,
# test/wpt's runner tests).
#
# node_test_report <label> <what> <log> <exit status> <timeout s> <seconds> [results]
#
# Counts the last top-level TAP summary of <log> (# pass, # fail,
# # cancelled, # skipped, # todo; cancelled counts as failed, todo as
# skipped). A run that ends without a summary, or exits non-zero without a
# failed test, counts as one more failure. Prints one line, and the failures
# with the end of the log when there are some; appends
# "<label> <passed> <failed> <skipped>" to [results] when given. Returns
# non-zero when something failed.
node_test_report() {
  local label=$1 what=$2 log=$3 rc=$4 timeout_s=$5 secs=$6 results=${7:-}
  count() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$log" | tail -1; }
  local pass fail cancelled skip todo note=""
  pass=$(count pass) fail=$(count fail) cancelled=$(count cancelled)
  skip=$(count skipped) todo=$(count todo)
  [ -n "$pass" ] || note=" (no summary)"
  pass=${pass:-0} fail=$((${fail:-0} + ${cancelled:-0})) skip=$((${skip:-0} + ${todo:-0}))
  if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    fail=1
    case $rc in
      124|137) note="$note (timed out after ${timeout_s}s)" ;;
      *) note="$note (exit status $rc)" ;;
    esac
  fi
  local status=ok
  [ "$fail" -eq 0 ] || status=FAILED
  printf '[%s] %-32s %4d passed %3d failed %3d skipped  %6ss  %s%s\n' \
    "$label" "$what" "$pass" "$fail" "$skip" "$secs" "$status" "$note"
  if [ "$fail" -ne 0 ]; then
    grep -E '^ *not ok ' "$log" | head -40
    # Each failed test with what it printed: the YAML block after its
    # "not ok" (the error, expected and actual, the stack) and the
    # diagnostics, which the TAP reporter writes after that block.
    echo "---- failed tests in $log ----"
    awk '/^ *not ok / { st = 1; print; next }
         st == 1 { print; if ($0 ~ /^ *\.\.\.$/) st = 2; next }
         st == 2 && /^ *(# Subtest:|ok |not ok |1\.\.|# tests )/ { st = 0 }
         st == 2 { print }' "$log" | head -300
    echo "---- last lines of $log ----"
    tail -40 "$log"
    echo "----"
  fi
  [ -z "$results" ] || echo "$label $pass $fail $skip" >>"$results"
  [ "$fail" -eq 0 ]
}
