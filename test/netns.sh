# Sourced by test runners whose tests send traffic that must stay on this
# machine (mDNS is multicast; browsers pick their local address from the
# default route). netns_enter <label> sets NETNS_EXEC to the command prefix
# that runs a program in new network and PID namespaces (unshare), where
# test/netns_run.sh first brings up a veth pair (this kernel has no dummy
# devices) whose ends carry 10.77.0.1/24 and 10.77.0.2/24, and a default
# route. The namespaces end with the program: the kernel kills whatever it
# left behind when the PID namespace's first process exits, and the network
# namespace goes with its last process. unshare, unlike `ip netns`, needs no
# mount propagation, so this works in a chroot too. Without the privileges
# for it, it says so and NETNS_EXEC stays empty (run in place).

NETNS_EXEC=()

netns_enter() {
  local label=$1
  local run
  run=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/netns_run.sh
  local prefix=(unshare --net --pid --fork --kill-child -- "$run")
  if [ "${RTCBOX_JS_NETNS:-1}" != 1 ]; then
    echo "[$label] RTCBOX_JS_NETNS=${RTCBOX_JS_NETNS}: running in this network namespace"
  elif "${prefix[@]}" true 2>/dev/null; then
    NETNS_EXEC=("${prefix[@]}")
  else
    echo "[$label] cannot create a network namespace (not root?): running in this one"
  fi
}
