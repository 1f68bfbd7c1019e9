#!/bin/sh
# The executable Playwright starts instead of Chromium in the interop tests
# (test/interop/support.js): runs Chromium in a network namespace of its
# own, joined to the caller's by a veth pair, so that rtcbox (in the
# caller's namespace) and Chromium reach each other only over that link,
# mDNS multicast included.
#
#   Caller's namespace:   rtcboxa  10.77.1.1/24, default route via it
#   Chromium's namespace: lo up;  rtcboxb  10.77.1.2/24, default route
#                         via it (Chromium picks its host address from
#                         the default route)
#
# The pair is created here, before Chromium starts, and vanishes with
# Chromium's namespace (a veth pair dies with either end), which dies with
# Chromium's last process: nothing is left to remove. Settings, from the
# environment (Playwright passes its `env`):
#   RTCBOX_INTEROP_CHROMIUM  the real Chromium (default /usr/bin/chromium)
# Exits 125 when the namespace cannot be set up.
set -u
real=${RTCBOX_INTEROP_CHROMIUM:-/usr/bin/chromium}
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1-}" = --inside ]; then
  # In Chromium's new namespace: wait for our end of the pair (the parent
  # moves it here), configure it, become Chromium.
  ready=$2
  shift 2
  # Tell the parent that we are in the new namespace.
  echo ready >"$ready" || exit 125
  # (`ip link show`, not /sys/class/net: sysfs shows the namespace it was
  # mounted in.)
  i=0
  while ! ip link show rtcboxb >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 500 ]; then
      echo "chromium_netns.sh: the veth end never arrived" >&2
      exit 125
    fi
    sleep 0.01
  done
  ip link set lo up &&
    ip addr add 10.77.1.2/24 dev rtcboxb &&
    ip link set rtcboxb up &&
    ip route add default dev rtcboxb || exit 125
  exec "$real" "$@"
fi

# A pair left by an earlier run whose namespace is still going away.
ip link del rtcboxa 2>/dev/null
# unshare(2) must have happened before the end is moved into the child's
# namespace (else it would land in ours): the child says so through a FIFO.
# (/proc/<pid>/ns/net cannot tell: /proc may be the host's while we run in
# a PID namespace of our own.)
fifo_dir=$(mktemp -d) || exit 125
ready=$fifo_dir/ready
mkfifo "$ready" || exit 125
unshare --net -- "$here/chromium_netns.sh" --inside "$ready" "$@" &
child=$!
# Opening the FIFO blocks until the child opens it, or forever if the
# child died first: a timeout guards it.
if ! timeout 10 cat "$ready" >/dev/null; then
  echo "chromium_netns.sh: the child never entered a new namespace" >&2
  kill "$child" 2>/dev/null
  rm -rf "$fifo_dir"
  exit 125
fi
rm -rf "$fifo_dir"
if ! { ip link add rtcboxa type veth peer name rtcboxb netns "$child" &&
  ip addr add 10.77.1.1/24 dev rtcboxa &&
  ip link set rtcboxa up &&
  { ip route replace default dev rtcboxa; }; }; then
  echo "chromium_netns.sh: cannot create the veth pair" >&2
  kill "$child" 2>/dev/null
  exit 125
fi
wait "$child"
