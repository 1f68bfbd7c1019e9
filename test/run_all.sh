#!/bin/bash
# The whole of `make test`: checks, four builds, every test runner, then one
# summary line "N passed, N failed, N skipped" counting every test of every
# runner. Exits non-zero on any failure. Keeps going after a failure so that
# one run shows everything that is wrong.
#
#   test/run_all.sh            everything (make test)
#   test/run_all.sh build CFG  gn gen + ninja of one configuration (make)
#   test/run_all.sh fuzz SECS  libFuzzer on every target for SECS seconds
#                              (make test: FUZZ_SECONDS, default 30; two
#                              targets at a time, FUZZ_JOBS)
#   test/run_all.sh wpt [OPT]  build clang, run web-platform-tests webrtc/
#   test/run_all.sh memcheck   build gcc, valgrind memcheck: the embedder
#                              example and every test/js WebRTC API file
#
# Configurations (out/<name>):
#   clang   the default: clang, debug, DCHECKs on
#   gcc     gcc, debug
#   asan    clang with AddressSanitizer (+LeakSanitizer) and UBSan
#   fuzz    clang with libFuzzer, ASan and UBSan (fuzz targets only)
set -u
cd "$(dirname "$0")/.."

declare -A GN_ARGS=(
  [clang]=''
  [gcc]='is_clang=false'
  [asan]='is_asan=true is_ubsan=true'
  [fuzz]='use_fuzzer=true is_asan=true is_ubsan=true is_debug=false dcheck_always_on=true'
)
declare -A TARGETS=([clang]=all [gcc]=all [asan]=all [fuzz]=test/fuzzers:fuzzers)

RESULTS=out/test-results.txt
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
# The JS test files make test also runs under valgrind memcheck (each takes
# ~1 minute there); `make memcheck` runs all of them.
MEMCHECK_JS=${MEMCHECK_JS:-test/js/webrtc_data_channel.test.js}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

section() { printf '\n== %s\n' "$*"; }

# check <label> <command...>: one test that passes when the command does.
check() {
  local label=$1
  shift
  local log
  log=$(mktemp)
  if "$@" >"$log" 2>&1; then
    printf '[check] %-40s ok\n' "$label"
    echo "check 1 0 0" >>"$RESULTS"
    rm -f "$log"
    return 0
  fi
  printf '[check] %-40s FAILED\n' "$label"
  tail -40 "$log"
  echo "check 0 1 0" >>"$RESULTS"
  rm -f "$log"
  return 1
}

gen() {
  local cfg=$1
  gn gen "out/$cfg" --args="${GN_ARGS[$cfg]}"
}

build() {
  local cfg=$1
  [ -f "out/$cfg/build.ninja" ] || gen "$cfg" || return 1
  ninja -C "out/$cfg" "${TARGETS[$cfg]}"
}

# Files the format checks cover: tracked and new files, not ignored ones.
source_files() {
  git ls-files --cached --others --exclude-standard -- "$@" 2>/dev/null |
    while read -r f; do [ -f "$f" ] && echo "$f"; done
}

format_check_c() {
  local files
  files=$(source_files '*.c' '*.h' '*.cc')
  [ -z "$files" ] && return 0
  # shellcheck disable=SC2086
  clang-format --dry-run -Werror --style=file $files
}

format_check_gn() {
  local files
  files=$(source_files '*.gn' '*.gni')
  [ -z "$files" ] && return 0
  # shellcheck disable=SC2086
  gn format --dry-run $files
}

# Replays each fuzz target's seed corpus (out/<cfg> built without libFuzzer).
run_corpora() {
  local cfg=$1 pass=0 fail=0 name corpus
  while read -r name corpus; do
    [ -n "$name" ] || continue
    if "out/$cfg/$name" "$corpus" >"out/$cfg/test-logs/$name.log" 2>&1; then
      pass=$((pass + 1))
      printf '[corpus-%s] %-32s %s\n' "$cfg" "$name" "$(tail -1 "out/$cfg/test-logs/$name.log")"
    else
      fail=$((fail + 1))
      printf '[corpus-%s] %-32s FAILED\n' "$cfg" "$name"
      tail -30 "out/$cfg/test-logs/$name.log"
    fi
  done <"out/$cfg/fuzzers.txt"
  echo "corpus-$cfg $pass $fail 0" >>"$RESULTS"
}

# Runs each test program of out/<cfg>/programs.txt; exit status 0 passes.
run_programs() {
  local cfg=$1 pass=0 fail=0 name log
  [ -f "out/$cfg/programs.txt" ] || return 0
  mkdir -p "out/$cfg/test-logs"
  while read -r name; do
    [ -n "$name" ] || continue
    log=out/$cfg/test-logs/$name.log
    if timeout -k 10 120 "out/$cfg/$name" >"$log" 2>&1; then
      pass=$((pass + 1))
      printf '[program-%s] %-32s ok\n' "$cfg" "$name"
    else
      fail=$((fail + 1))
      printf '[program-%s] %-32s FAILED\n' "$cfg" "$name"
      tail -30 "$log"
    fi
  done <"out/$cfg/programs.txt"
  echo "programs-$cfg $pass $fail 0" >>"$RESULTS"
}

# Fuzzes target $1 (seed corpus $2) with libFuzzer for $3 seconds, starting
# from a copy of its seed corpus; its exit status goes to
# out/fuzz/test-logs/<name>.rc.
fuzz_one() {
  local name=$1 corpus=$2 seconds=$3 work=out/fuzz/corpus/$1 rc=0
  mkdir -p "$work"
  [ -n "$corpus" ] && cp -n "$corpus"/* "$work"/ 2>/dev/null
  "out/fuzz/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="out/fuzz/$name-" "$work" \
    >"out/fuzz/test-logs/$name.log" 2>&1 || rc=$?
  echo "$rc" >"out/fuzz/test-logs/$name.rc"
}

# Fuzzes each target with libFuzzer for $1 seconds, FUZZ_JOBS (default 2:
# the CI machine's cores) targets at a time; reports in the list's order.
run_fuzzers() {
  local seconds=$1 jobs=${FUZZ_JOBS:-2} pass=0 fail=0 running=0 name corpus
  local started=$SECONDS names=()
  mkdir -p out/fuzz/test-logs
  while read -r name corpus; do
    [ -n "$name" ] || continue
    names+=("$name")
    rm -f "out/fuzz/test-logs/$name.rc"
    if ((running >= jobs)); then
      wait -n
      running=$((running - 1))
    fi
    fuzz_one "$name" "$corpus" "$seconds" &
    running=$((running + 1))
  done <"out/fuzz/fuzzers.txt"
  wait
  for name in "${names[@]}"; do
    if [ "$(cat "out/fuzz/test-logs/$name.rc" 2>/dev/null)" = 0 ]; then
      pass=$((pass + 1))
      printf '[fuzz] %-32s %s\n' "$name" \
        "$(grep -m1 'stat::number_of_executed_units' "out/fuzz/test-logs/$name.log" | awk '{print $2 " runs"}') in ${seconds}s, $(grep -o 'cov: [0-9]* ft: [0-9]*' "out/fuzz/test-logs/$name.log" | tail -1), no crash"
    else
      fail=$((fail + 1))
      printf '[fuzz] %-32s FAILED (crash input: out/fuzz/%s-*)\n' "$name" "$name"
      tail -40 "out/fuzz/test-logs/$name.log"
    fi
  done
  echo "[fuzz] ${#names[@]} targets, ${seconds}s each, $jobs at a time: $((SECONDS - started))s"
  echo "fuzz $pass $fail 0" >>"$RESULTS"
}

summary() {
  section "summary"
  awk '
    { p[$1] += $2; f[$1] += $3; s[$1] += $4; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
    END {
      for (i = 0; i < n; i++) {
        k = order[i]
        printf "  %-14s %5d passed %4d failed %4d skipped\n", k, p[k], f[k], s[k]
        tp += p[k]; tf += f[k]; ts += s[k]
      }
      printf "%d passed, %d failed, %d skipped\n", tp, tf, ts
      exit (tf > 0)
    }' "$RESULTS"
}

run_everything() {
  mkdir -p out
  : >"$RESULTS"
  local started=$SECONDS

  section "generate and check"
  for cfg in clang gcc asan fuzz; do
    check "gn gen out/$cfg" gen "$cfg"
  done
  check "gn gen --check (dependency rules)" gn gen --check out/clang
  check "gn format --dry-run" format_check_gn
  check "clang-format" format_check_c

  section "build"
  local built=()
  for cfg in clang gcc asan fuzz; do
    check "build $cfg" build "$cfg" && built+=("$cfg")
  done

  for cfg in clang gcc asan; do
    if [[ " ${built[*]} " == *" $cfg "* ]]; then
      section "unit tests ($cfg)"
      test/run_gtests.sh "out/$cfg" "$cfg" "$RESULTS"
      section "JavaScript tests ($cfg)"
      test/js/run_tests.sh "out/$cfg" "js-$cfg" "$RESULTS"
      section "test programs ($cfg)"
      run_programs "$cfg"
      section "fuzz corpora replayed ($cfg)"
      run_corpora "$cfg"
    fi
  done

  if [[ " ${built[*]} " == *" gcc "* ]]; then
    section "valgrind memcheck (gcc)"
    test/valgrind/run.sh out/gcc memcheck "$RESULTS" $MEMCHECK_JS
  fi

  if [[ " ${built[*]} " == *" clang "* ]]; then
    section "interop with headless Chromium (clang)"
    test/interop/run_tests.sh out/clang interop "$RESULTS"
    section "web-platform-tests webrtc/ (clang)"
    test/wpt/run_wpt.sh out/clang wpt "$RESULTS" --quiet
  fi

  if [[ " ${built[*]} " == *" fuzz "* ]]; then
    section "fuzzing (${FUZZ_SECONDS}s per target)"
    run_fuzzers "$FUZZ_SECONDS"
  fi

  echo
  echo "make test took $((SECONDS - started))s"
  summary
}

case ${1:-test} in
  test) run_everything ;;
  build)
    cfg=${2:-clang}
    build "$cfg"
    ;;
  fuzz)
    mkdir -p out
    : >"$RESULTS"
    FUZZ_SECONDS=${2:-$FUZZ_SECONDS}
    check "build fuzz" build fuzz && run_fuzzers "$FUZZ_SECONDS"
    summary
    ;;
  memcheck)
    mkdir -p out
    : >"$RESULTS"
    check "build gcc" build gcc &&
      test/valgrind/run.sh out/gcc memcheck "$RESULTS" test/js/webrtc_*.test.js
    summary
    ;;
  wpt)
    # make wpt: the whole webrtc/ directory against the default build,
    # every file listed; more run.js options in $2...
    shift
    build clang && test/wpt/run_wpt.sh out/clang wpt "" "$@"
    ;;
  *)
    echo "usage: $0 [test | build CONFIG | fuzz SECONDS | wpt [run.js options]]" >&2
    exit 2
    ;;
esac
