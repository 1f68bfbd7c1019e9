// The wall clock (gettimeofday) of a test binary that runs usrsctp on
// simulated time. usrsctp reads gettimeofday besides the timer ticks rtcbox
// gives it (RTT samples, which chunks a T3 timeout retransmits, heartbeats,
// PR-SCTP lifetimes): on simulated time that clock must be the simulated
// one. Linking this library interposes gettimeofday for the whole binary;
// it follows the real clock unless a test asks it to follow a simulated
// time, and it never goes backwards. Production code never links it.
// Usable from C (the SCTP fuzz target links it too).
#ifndef TEST_SUPPORT_SIM_WALL_CLOCK_H_
#define TEST_SUPPORT_SIM_WALL_CLOCK_H_

#include "rtc_base/sim_time.h"

#ifdef __cplusplus
extern "C" {
#endif

// From now on gettimeofday moves with `time` (until unfollow).
void rtc_test_wall_clock_follow(rtc_sim_time* time);
// Back to the real clock (continuing from where the simulated one was).
void rtc_test_wall_clock_unfollow(void);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // TEST_SUPPORT_SIM_WALL_CLOCK_H_
