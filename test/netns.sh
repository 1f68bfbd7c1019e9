# Sourced by test runners whose tests send traffic that must stay on this
# machine (mDNS is multicast; browsers pick their local address from the
# default route). netns_enter <name> <label> creates a network namespace with
# a veth pair (this kernel has no dummy devices) whose ends carry
# 10.77.0.1/24 and 10.77.0.2/24, and a default route, and sets NETNS_EXEC to
# the command prefix that runs a program inside it. Without the privileges
# for it, it says so and NETNS_EXEC stays empty (run in place).
# netns_leave kills what was left in the namespace and removes it; it also
# runs at exit.

NETNS_NAME=""
NETNS_EXEC=()

netns_leave() {
  [ -n "$NETNS_NAME" ] || return 0
  ip netns pids "$NETNS_NAME" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$NETNS_NAME" 2>/dev/null || true
  NETNS_NAME=""
  NETNS_EXEC=()
  trap - EXIT
}

netns_enter() {
  local name=$1 label=$2
  if [ "${RTCBOX_JS_NETNS:-1}" != 1 ] || ! ip netns add "$name" 2>/dev/null; then
    echo "[$label] no network namespace (not root?): running in this one"
    return 0
  fi
  NETNS_NAME=$name
  trap netns_leave EXIT
  if ip -n "$name" link set lo up &&
    ip -n "$name" link add rtcbox0 type veth peer name rtcbox1 &&
    ip -n "$name" addr add 10.77.0.1/24 dev rtcbox0 &&
    ip -n "$name" addr add 10.77.0.2/24 dev rtcbox1 &&
    ip -n "$name" link set rtcbox0 up && ip -n "$name" link set rtcbox1 up &&
    ip -n "$name" route add default dev rtcbox0; then
    NETNS_EXEC=(ip netns exec "$name")
  else
    echo "[$label] cannot configure the network namespace: running in this one"
    netns_leave
  fi
}
