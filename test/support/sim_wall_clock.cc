#include "test/support/sim_wall_clock.h"

#include <sys/time.h>
#include <time.h>

#include <cstdint>
#include <mutex>

// usrsctp reads the wall clock (gettimeofday) besides the timer ticks we
// give it: for RTT samples, for which chunks a T3 timeout may retransmit
// (only those older than the RTO), for heartbeats and for PR-SCTP
// lifetimes. On simulated time that clock must be the simulated one, or a
// T3 timeout that comes after a simulated second finds every chunk a few
// real microseconds old and retransmits nothing. This binary therefore
// interposes gettimeofday (usrsctp is a shared library: the executable's
// definition wins): while a test runs on simulated time, time moves with
// the simulated clock; otherwise it is the real clock. It never goes
// backwards.
namespace {

std::mutex mu;
rtc_sim_time* sim = nullptr;  // guarded by mu
int64_t sim_base_us = 0;      // guarded by mu
int64_t real_offset_us = 0;   // guarded by mu
int64_t last_us = 0;          // guarded by mu

int64_t RealUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int64_t NowLocked() {
  int64_t t =
      sim ? sim_base_us + rtc_sim_time_now_us(sim) : RealUs() + real_offset_us;
  if (t < last_us)
    t = last_us;
  last_us = t;
  return t;
}

void FollowLocked(rtc_sim_time* time) {
  int64_t now = NowLocked();
  sim_base_us = now - rtc_sim_time_now_us(time);
  sim = time;
}

void UnfollowLocked() {
  int64_t now = NowLocked();
  sim = nullptr;
  real_offset_us = now - RealUs();
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int gettimeofday(
    struct timeval* __restrict tv,
    void* __restrict tz) noexcept {
  (void)tz;
  int64_t us;
  {
    std::lock_guard<std::mutex> lock(mu);
    us = NowLocked();
  }
  tv->tv_sec = static_cast<time_t>(us / 1000000);
  tv->tv_usec = static_cast<suseconds_t>(us % 1000000);
  return 0;
}

void rtc_test_wall_clock_follow(rtc_sim_time* time) {
  std::lock_guard<std::mutex> lock(mu);
  FollowLocked(time);
}

void rtc_test_wall_clock_unfollow(void) {
  std::lock_guard<std::mutex> lock(mu);
  UnfollowLocked();
}
