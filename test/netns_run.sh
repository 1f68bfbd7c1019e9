#!/bin/sh
# Runs inside the namespaces test/netns.sh creates (unshare): brings up the
# loopback and a veth pair whose ends carry 10.77.0.1/24 and 10.77.0.2/24,
# with a default route, then runs the command. Exits 125 when the network
# cannot be set up.
#
#   test/netns_run.sh <command> [args...]
set -u
ip link set lo up &&
  ip link add rtcbox0 type veth peer name rtcbox1 &&
  ip addr add 10.77.0.1/24 dev rtcbox0 &&
  ip addr add 10.77.0.2/24 dev rtcbox1 &&
  ip link set rtcbox0 up && ip link set rtcbox1 up &&
  ip route add default dev rtcbox0 || {
  echo "netns_run.sh: cannot set up the network namespace" >&2
  exit 125
}
exec "$@"
