# shellcheck shell=bash disable=SC2034  # (INTEROP_NETNS, INTEROP_ENV: for the sourcing script)
# Sourced by the runners that drive headless Chromium against rtcbox
# (test/interop/run_tests.sh, test/bench/run_chromium.sh).
#
# interop_netns <label> <what happens without>: sets INTEROP_NETNS to the
# command prefix that runs a program in new network and PID namespaces
# (unshare) with only the loopback up, and INTEROP_ENV to the environment
# that tells test/interop/support.js so (RTCBOX_INTEROP_NETNS=1): each
# Chromium then gets a namespace of its own joined to that one by a veth
# pair (chromium_netns.sh). Everything ends with the program: the kernel
# kills what is left in the PID namespace when its first process exits.
# Without the privileges for namespaces it says so, leaves both empty and
# returns 1.
INTEROP_NETNS=()
INTEROP_ENV=()

interop_netns() {
  local label=$1 without=$2
  local prefix=(unshare --net --pid --fork --kill-child -- sh -c 'ip link set lo up && exec "$@"' netns)
  if ! "${prefix[@]}" true 2>/dev/null; then
    echo "[$label] cannot create a network namespace (not root?): $without"
    return 1
  fi
  INTEROP_NETNS=("${prefix[@]}")
  INTEROP_ENV=(RTCBOX_INTEROP_NETNS=1)
}
