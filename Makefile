# rtcbox. Two commands: `make test` (all tests) and, with the JS package,
# `make demo`. Both install what they need on a fresh Debian 12 as root.
#
#   make demo         two rtcbox peers (two Node processes) send a 64 MiB file
#                     over a data channel on this machine; ARGS='--size 8MiB
#                     --verbose' passes options to demo/run.js (README.md)
#   make demo-chromium the same with headless Chromium as the receiver
#                     (installs Debian's chromium when missing)
#   make              build the default configuration (out/clang)
#   make test         checks, clang/gcc/ASan+UBSan builds, every test runner
#                     (each fuzz target for FUZZ_SECONDS=30 s, two at a time);
#                     ends with "N passed, N failed, N skipped"
#   make wpt          web-platform-tests webrtc/ against the default build, in
#                     Node (fetches the pinned WPT files once; test/wpt/);
#                     WPT_ARGS='webrtc/protocol/' runs part of it
#   make fuzz         libFuzzer on every fuzz target, FUZZ_SECONDS each (60),
#                     two at a time (FUZZ_JOBS)
#   make memcheck     valgrind memcheck: the C embedder example and every
#                     WebRTC API test file of test/js (make test runs one)
#   make bench        benchmarks of the optimised build (out/release):
#                     BENCH=peers: rtcbox beside libwebrtc (npm @roamhq/wrtc)
#                     and libdatachannel (npm node-datachannel), installed
#                     into test/bench/node_modules only (table, JSON and plot
#                     in out/bench/; test/bench/run.js); BENCH=chromium:
#                     data-channel goodput rtcbox <-> headless Chromium and
#                     Chromium <-> Chromium (out/bench/dc_chromium.md;
#                     test/bench/dc_chromium.js); BENCH=all (default): both.
#                     BENCH_ARGS passes options to the one chosen, with all
#                     to the peers' (e.g. BENCH_ARGS=--quick: 1 run each)
#   make format       reformat C/C++ and GN files in place
#   make deps         install missing Debian packages
#   make clean        remove out/

FUZZ_SECONDS ?= 60
BENCH ?= all

.PHONY: all deps build test fuzz memcheck wpt bench format clean demo demo-chromium

all: build

deps:
	@build/install-deps.sh

build: deps
	@test/run_all.sh build clang

test: deps
	@test/run_all.sh test

fuzz: deps
	@test/run_all.sh fuzz $(FUZZ_SECONDS)

memcheck: deps
	@test/run_all.sh memcheck

wpt: deps
	@test/run_all.sh wpt $(WPT_ARGS)

bench: deps
	@case "$(BENCH)" in \
	  peers) test/bench/run_peers.sh $(BENCH_ARGS) ;; \
	  chromium) test/bench/run_chromium.sh $(BENCH_ARGS) ;; \
	  all) test/bench/run_peers.sh $(BENCH_ARGS); a=$$?; test/bench/run_chromium.sh; exit $$((a | $$?)) ;; \
	  *) echo "make bench: BENCH=$(BENCH): expected peers, chromium or all" >&2; exit 2 ;; \
	esac

demo: deps
	@demo/setup.sh $(ARGS)
	@node demo/run.js $(ARGS)

demo-chromium: deps
	@demo/setup.sh --chromium $(ARGS)
	@node demo/run.js --chromium $(ARGS)

format:
	@git ls-files --cached --others --exclude-standard -- '*.c' '*.h' '*.cc' | xargs -r clang-format -i --style=file
	@git ls-files --cached --others --exclude-standard -- '*.gn' '*.gni' | xargs -r gn format

clean:
	rm -rf out
