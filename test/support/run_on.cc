#include "test/support/run_on.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>

namespace rtc_test {

rtc_error PostFunction(rtc_task_queue* q, std::function<void()> fn) {
  auto* heap_fn = new std::function<void()>(std::move(fn));
  rtc_task task = {
      [](void* arg) { (*static_cast<std::function<void()>*>(arg))(); },
      [](void* arg) { delete static_cast<std::function<void()>*>(arg); },
      heap_fn};
  return rtc_task_queue_post(q, task);
}

void RunOn(rtc_task_queue* q, const std::function<void()>& fn, int timeout_ms) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  ASSERT_EQ(PostFunction(q,
                         [&] {
                           fn();
                           std::lock_guard<std::mutex> lock(mu);
                           done = true;
                           cv.notify_all();
                         }),
            RTC_OK);
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                          [&] { return done; }));
}

}  // namespace rtc_test
