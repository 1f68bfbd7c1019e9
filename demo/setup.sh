#!/bin/sh
# What `make demo` needs besides build/install-deps.sh (which `make deps`
# runs first: Debian's build tools, Node.js and npm, and `npm ci` for ws and
# playwright-core): the rtcbox addon built in out/clang, and, with
# --chromium, Debian's chromium (installed as root when missing).
#
#   demo/setup.sh [run.js arguments...]
#
# Takes run.js's arguments and looks only for --chromium among them.
# RTCBOX_DEMO_IMPL other than rtcbox (for example wrtc) skips the build;
# RTCBOX_DEMO_CHROMIUM names another Chromium executable (never installed).
set -eu
cd "$(dirname "$0")/.."

chromium=0
for arg in "$@"; do
  [ "$arg" = --chromium ] && chromium=1
done

if [ "${RTCBOX_DEMO_IMPL:-rtcbox}" = rtcbox ]; then
  [ -f out/clang/build.ninja ] || gn gen out/clang
  if ! ninja -C out/clang -n rtcbox.node | grep -q '^ninja: no work to do'; then
    echo "demo: building out/clang/rtcbox.node"
    ninja -C out/clang rtcbox.node
  fi
fi

if [ "$chromium" = 1 ]; then
  exe=${RTCBOX_DEMO_CHROMIUM:-/usr/bin/chromium}
  if [ ! -x "$exe" ]; then
    if [ -n "${RTCBOX_DEMO_CHROMIUM:-}" ]; then
      echo "demo: RTCBOX_DEMO_CHROMIUM is $exe, which is not an executable" >&2
      exit 1
    fi
    if [ "$(id -u)" != 0 ]; then
      echo "demo: --chromium needs Debian's chromium: run as root, or apt-get install chromium" >&2
      exit 1
    fi
    echo "demo: installing Debian's chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends chromium
  fi
fi
