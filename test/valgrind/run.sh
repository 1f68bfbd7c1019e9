#!/bin/bash
# valgrind memcheck runs (issue 8, item 3), on the gcc build (valgrind
# 3.19 cannot read clang 14's DWARF 5 in rtcbox.node; no sanitizer runtime
# in the way either):
#
#   test/valgrind/run.sh <out dir> <label> <results file> [test/js files...]
#
# 1. test/examples/embedder_example: a whole connect/exchange/close cycle
#    through the C API with real sockets, DTLS and SCTP. Fails on any
#    memcheck error and on any definitely, indirectly or possibly lost
#    block (still-reachable one-time globals of the libraries are shown in
#    the log only).
# 2. Each JS test file given (the WebRTC API through the Node bindings,
#    which the ASan build cannot run: Node needs RTLD_DEEPBIND for
#    BoringSSL and the ASan runtime refuses it), under `node --test` with
#    every node process traced: fails on any memcheck error or a failing
#    test. No leak check there (V8 keeps its heap to the end);
#    test/valgrind/node.supp silences Node's own false positives only.
#
# Appends "<label> <passed> <failed> 0" to <results>; logs in
# <out>/test-logs/memcheck-*.log.
set -u
cd "$(dirname "$0")/../.." || exit 1
out=$1 label=$2 results=$3
shift 3
logs=$out/test-logs
mkdir -p "$logs"
pass=0 fail=0

if ! command -v valgrind >/dev/null; then
  echo "[$label] valgrind is not installed (make deps)"
  echo "$label 0 1 0" >>"$results"
  exit 1
fi

report() { # <name> <log> <ok 0|1> <seconds>
  if [ "$3" = 0 ]; then
    pass=$((pass + 1))
    printf '[%s] %-36s ok  %2d process(es), 0 errors %5ss\n' "$label" "$1" \
      "$(grep -c 'ERROR SUMMARY: 0 errors' "$2")" "$4"
  else
    fail=$((fail + 1))
    printf '[%s] %-36s FAILED %5ss (log %s)\n' "$label" "$1" "$4" "$2"
    grep -E 'ERROR SUMMARY: [1-9]|^not ok|lost: [1-9]' "$2" | head -20
    grep -m1 -B2 -A25 -E '==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched)' "$2" | head -40
  fi
}

vg=(valgrind --tool=memcheck --error-exitcode=99 "--suppressions=$PWD/test/valgrind/node.supp")

log=$logs/memcheck-embedder_example.log
start=$SECONDS
timeout -k 10 300 "${vg[@]}" --leak-check=full --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect,possible "$out/embedder_example" >"$log" 2>&1
rc=$?
grep -q 'definitely lost: 0 bytes\|All heap blocks were freed' "$log" || rc=1
report embedder_example "$log" "$([ $rc = 0 ] && echo 0 || echo 1)" $((SECONDS - start))

if [ $# -gt 0 ]; then
  . test/netns.sh
  netns_enter memcheck
fi
for file in "$@"; do
  name=$(basename "$file" .test.js)
  log=$logs/memcheck-$name.log
  start=$SECONDS
  RTCBOX_TEST_OUT=$out timeout -k 10 1200 "${NETNS_EXEC[@]}" "${vg[@]}" --leak-check=no \
    --trace-children=yes --trace-children-skip='*/sh,*/bash,*/ip,*/unshare' \
    node --test --test-concurrency=1 --test-reporter=tap "$file" >"$log" 2>&1
  rc=$?
  grep -qE 'ERROR SUMMARY: [1-9]' "$log" && rc=1
  grep -qE '^# fail 0$' "$log" || rc=1
  report "$name" "$log" "$([ $rc = 0 ] && echo 0 || echo 1)" $((SECONDS - start))
done

echo "$label $pass $fail 0" >>"$results"
[ "$fail" = 0 ]
