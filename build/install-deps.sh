#!/bin/sh
# Installs what rtcbox needs to build and test, from Debian's packages
# (ARCHITECTURE.md §5), when something is missing. Quick when everything is
# there: one dpkg-query, no network.
set -eu

# chromium: the browser peer of the interop tests (test/interop/) and of
# `make demo-chromium`, driven through npm playwright-core. valgrind: the
# memcheck run of make test (test/run_all.sh run_memcheck).
PACKAGES="
  ca-certificates
  coturn
  iproute2
  clang
  clang-format
  g++
  gcc
  generate-ninja
  git
  libclang-rt-14-dev
  make
  ninja-build
  pkg-config
  android-libboringssl-dev
  libsrtp2-dev
  libusrsctp-dev
  libopus-dev
  libvpx-dev
  libyuv-dev
  libgtest-dev
  libgmock-dev
  chromium
  valgrind
"

# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $PACKAGES 2>/dev/null |
  awk '$2 == "installed" { print $1 }')
missing=""
for p in $PACKAGES; do
  echo "$installed" | grep -qx "$p" || missing="$missing $p"
done

# Node.js and npm, for the JavaScript package (Debian 12: Node 18, npm 9).
# Only when the commands are missing: a node from elsewhere (NodeSource's
# nodejs package brings its own npm, and Debian's npm conflicts with it)
# does as well.
command -v node >/dev/null || missing="$missing nodejs"
command -v npm >/dev/null || missing="$missing npm"

if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "install-deps: run as root: apt-get install$missing" >&2
    exit 1
  fi
  echo "install-deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
fi

# The npm packages of package.json (Node-API headers, the WebIDL parser),
# exactly as package-lock.json pins them, when node_modules is missing or
# older than the lockfile. --prefer-offline: once npm's cache has them, no
# network is needed.
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] ||
  [ -n "$(find package-lock.json -newer node_modules/.package-lock.json)" ]; then
  echo "install-deps: npm ci"
  npm ci --prefer-offline --no-audit --no-fund
fi
