#!/bin/bash
# Fetches the web-platform-tests that the WPT runner needs, offline-friendly:
# the WPT tree vendored in Debian's firefox-esr source package
# (testing/web-platform/tests), of which only resources/, common/,
# interfaces/, webrtc*/ and mediacapture-*/ are extracted into a cache folder
# outside the repository. See test/wpt/README.md and
# ../shared/reference/wpt.md §0 and §7.
#
#   test/wpt/fetch_wpt.sh     prints the version, the wpt commit and, as the
#                             last line of stdout, the path of the cache
#
# Environment:
#   RTCBOX_WPT_CACHE   the cache folder (default /var/cache/rtcbox/wpt-<ver>)
#   RTCBOX_WPT_MIRROR  a Debian mirror to try first (the URL of the folder
#                      holding pool/, e.g. http://ftp.de.debian.org/debian)
#
# A cache is complete when its stamp file (.complete, written last) names the
# pinned version; it is then reused without any network access. Anything else
# is rebuilt: the files are extracted into a temporary sibling folder that is
# renamed into place only once complete.
#
# The .dsc is checked against the SHA-256 pinned here and the orig tarball
# against the .dsc's Checksums-Sha256 before anything is extracted, so plain
# http is enough for the transfer.
set -euo pipefail

# --- Pinned source -----------------------------------------------------------
# Debian bookworm main, firefox-esr 140.12.0esr-1~deb12u1 (Firefox ESR 140).
readonly PKG_VERSION=140.12.0esr-1~deb12u1
readonly DSC_NAME=firefox-esr_140.12.0esr-1~deb12u1.dsc
readonly DSC_SHA256=c6541044028a0d778e55480ee9f0228b76cd13a7e4af267eff3df799db068d3d
readonly DSC_SHA1=7ee773bcb190a07a18721195d457637aeb300963
readonly ORIG_NAME=firefox-esr_140.12.0esr.orig.tar.xz
# The folder every member of the orig tarball is under.
readonly SRC_TOP=firefox-140.12.0
# Upstream wpt commit of that tree (testing/web-platform/meta/mozilla-sync);
# checked against the tarball.
readonly WPT_COMMIT=faf875d9b84f4319ac950cd51ef03a3dcf466a7f
readonly POOL_PATH=pool/main/f/firefox-esr
# Mirrors tried in order. snapshot.debian.org (by SHA-1) keeps the files once
# the version has left the live archive.
readonly DEFAULT_MIRROR=http://deb.debian.org/debian
readonly SNAPSHOT=http://snapshot.debian.org/file

# What is extracted, relative to testing/web-platform/tests.
readonly WANTED=(resources common interfaces 'webrtc*' 'mediacapture-*')

cache=${RTCBOX_WPT_CACHE:-/var/cache/rtcbox/wpt-$PKG_VERSION}
cache=${cache%/}
case $cache in
  "") echo "fetch_wpt: error: RTCBOX_WPT_CACHE is /" >&2 && exit 1 ;;
  /*) ;;
  *) cache=$PWD/$cache ;; # printed paths are absolute
esac
readonly CACHE=$cache
readonly STAMP=.complete

# --- Helpers -----------------------------------------------------------------
die() {
  echo "fetch_wpt: error: $*" >&2
  exit 1
}
say() { echo "fetch_wpt: $*" >&2; }

print_result() {
  echo "firefox-esr $PKG_VERSION"
  echo "wpt commit $WPT_COMMIT"
  echo "$CACHE"
}

cache_is_complete() {
  [ -f "$CACHE/$STAMP" ] && [ "$(cat "$CACHE/$STAMP")" = "$PKG_VERSION" ]
}

# Installs the missing commands from Debian's packages, as
# build/install-deps.sh does.
ensure_tools() {
  local missing=""
  if ! command -v curl >/dev/null && ! command -v wget >/dev/null; then
    missing="$missing curl"
  fi
  command -v xz >/dev/null || missing="$missing xz-utils"
  command -v flock >/dev/null || missing="$missing util-linux"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    die "missing Debian packages:$missing (run as root: apt-get install$missing)"
  fi
  say "installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 || die "apt-get update failed"
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing >&2 ||
    die "apt-get install$missing failed"
}

# download URL FILE: fails quietly (non-zero) so the next mirror can be tried.
download() {
  local url=$1 out=$2
  say "downloading $url"
  if command -v curl >/dev/null; then
    local progress=-sS
    [ -t 2 ] && progress=--progress-bar
    curl -fL "$progress" --retry 3 --connect-timeout 20 -o "$out" "$url" &
  else
    wget -q --tries=3 --timeout=60 -O "$out" "$url" &
  fi
  wait $!
}

# fetch NAME SHA1 SHA256 DIR: downloads NAME from the first mirror that serves
# a copy with the expected SHA-256.
fetch() {
  local name=$1 sha1=$2 sha256=$3 dir=$4 url
  local urls=()
  [ -n "${RTCBOX_WPT_MIRROR:-}" ] && urls+=("${RTCBOX_WPT_MIRROR%/}/$POOL_PATH/$name")
  urls+=("$DEFAULT_MIRROR/$POOL_PATH/$name")
  [ -n "$sha1" ] && urls+=("$SNAPSHOT/$sha1")
  for url in "${urls[@]}"; do
    rm -f "$dir/$name"
    if ! download "$url" "$dir/$name"; then
      say "could not download $url"
      continue
    fi
    if echo "$sha256  $dir/$name" | sha256sum -c --status -; then
      return 0
    fi
    say "checksum mismatch for $url"
  done
  rm -f "$dir/$name"
  die "could not get a verified $name (tried: ${urls[*]})"
}

# dsc_field DSC FIELD NAME: the first word of NAME's line in the .dsc's
# checksum FIELD (e.g. Checksums-Sha256).
dsc_field() {
  awk -v field="$2:" -v name="$3" '
    $0 == field { inside = 1; next }
    /^[^ ]/ { inside = 0 }
    inside && $3 == name { print $1; exit }' "$1"
}

# --- Main --------------------------------------------------------------------
if cache_is_complete; then
  say "reusing $CACHE"
  print_result
  exit 0
fi

ensure_tools

parent=$(dirname "$CACHE")
mkdir -p "$parent" || die "cannot create $parent"
[ -w "$parent" ] || die "$parent is not writable"

# One fetch at a time per cache folder.
exec 9>"$CACHE.lock" || die "cannot create $CACHE.lock"
flock 9 || die "cannot lock $CACHE.lock"
if cache_is_complete; then # another run finished it while we waited
  say "reusing $CACHE"
  print_result
  exit 0
fi

# Downloads and the staging folder live next to the cache (same file system,
# so the final rename is atomic; /tmp may be a small tmpfs). The trap removes
# them on every exit path.
work=$(mktemp -d "$CACHE.tmp.XXXXXX") || die "cannot create a folder in $parent"
# Long-running commands run in the background with `wait`, so that a signal
# is acted on at once; the cleanup stops them before removing their files.
cleanup() {
  local pids
  pids=$(jobs -p)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null || true
    wait
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Staging folders of runs that were killed (the lock says none is running).
for old in "$CACHE".tmp.*; do
  if [ -d "$old" ] && [ "$old" != "$work" ] && [ -f "$old/.rtcbox-wpt-staging" ]; then
    rm -rf "$old"
  fi
done
touch "$work/.rtcbox-wpt-staging"

# looks_like_cache DIR: DIR holds nothing but what a cache holds.
looks_like_cache() {
  local entry w
  [ -d "$1" ] || return 1
  for entry in "$1"/* "$1"/.[!.]*; do
    [ -e "$entry" ] || continue
    entry=${entry##*/}
    case $entry in
      VERSION | "$STAMP" | mozilla-sync) continue ;;
    esac
    for w in "${WANTED[@]}"; do
      # shellcheck disable=SC2254 # the pattern is meant to match
      case $entry in $w) continue 2 ;; esac
    done
    return 1
  done
}

# A folder at $CACHE without a valid stamp is a partial or outdated cache:
# redone, but only removed when it holds nothing else than a cache would.
if [ -e "$CACHE" ]; then
  looks_like_cache "$CACHE" ||
    die "$CACHE exists and is not an rtcbox WPT cache; remove it or set RTCBOX_WPT_CACHE"
  say "removing the incomplete or outdated cache $CACHE"
  rm -rf "$CACHE" || die "cannot remove $CACHE"
fi

fetch "$DSC_NAME" "$DSC_SHA1" "$DSC_SHA256" "$work"
orig_sha256=$(dsc_field "$work/$DSC_NAME" Checksums-Sha256 "$ORIG_NAME")
orig_sha1=$(dsc_field "$work/$DSC_NAME" Checksums-Sha1 "$ORIG_NAME")
[ -n "$orig_sha256" ] || die "$DSC_NAME lists no SHA-256 for $ORIG_NAME"
fetch "$ORIG_NAME" "$orig_sha1" "$orig_sha256" "$work"
say "verified $ORIG_NAME (sha256 $orig_sha256)"

# Extract only the wanted folders (and the sync record), streaming the
# decompressed tar through; nothing else is written.
stage=$work/stage
mkdir "$stage"
patterns=()
for w in "${WANTED[@]}"; do
  patterns+=("$SRC_TOP/testing/web-platform/tests/$w")
done
patterns+=("$SRC_TOP/testing/web-platform/meta/mozilla-sync")
say "extracting ${WANTED[*]}"
# tar stops reading at the archive's end-of-archive blocks, before the
# end of the decompressed stream: what follows is drained, so that xz never
# writes into a closed pipe (it would fail with EPIPE, depending on timing).
# The tarball's checksum is verified, so xz has nothing else to report.
set +e
xz -dc -T0 "$work/$ORIG_NAME" | {
  tar -x -C "$stage" --no-same-owner --wildcards --strip-components=4 \
    -f - "${patterns[@]}"
  rc=$?
  cat >/dev/null
  exit "$rc"
}
statuses=("${PIPESTATUS[@]}")
set -e
[ "${statuses[1]}" -eq 0 ] || die "extracting from $ORIG_NAME failed (tar)"
[ "${statuses[0]}" -eq 0 ] || die "decompressing $ORIG_NAME failed (xz)"
rm -f "$work/$ORIG_NAME"

for w in "${WANTED[@]}"; do
  compgen -G "$stage/$w" >/dev/null || die "$ORIG_NAME has no testing/web-platform/tests/$w"
done
[ -f "$stage/mozilla-sync" ] || die "$ORIG_NAME has no testing/web-platform/meta/mozilla-sync"
grep -q "$WPT_COMMIT" "$stage/mozilla-sync" ||
  die "testing/web-platform/meta/mozilla-sync does not record wpt commit $WPT_COMMIT"
rm -f "$stage/mozilla-sync"

cat >"$stage/VERSION" <<EOF
firefox-esr $PKG_VERSION
wpt commit $WPT_COMMIT
source $DEFAULT_MIRROR/$POOL_PATH/$ORIG_NAME
sha256 $orig_sha256
paths testing/web-platform/tests/{${WANTED[*]}}
EOF
# The stamp is written last: only a complete cache has it.
echo "$PKG_VERSION" >"$stage/$STAMP"
mv "$stage" "$CACHE" || die "cannot move the extracted files to $CACHE"
say "cache ready: $CACHE"
print_result
