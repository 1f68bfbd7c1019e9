// Running code on a task queue from a test: post a function, or post it and
// wait until it has run (queues on real threads).
#ifndef TEST_SUPPORT_RUN_ON_H_
#define TEST_SUPPORT_RUN_ON_H_

#include <functional>

#include "rtc_base/error.h"
#include "rtc_base/task_queue.h"

namespace rtc_test {

// Posts fn to run on q.
rtc_error PostFunction(rtc_task_queue* q, std::function<void()> fn);

// Runs fn on q and waits for it (a test failure after `timeout_ms`).
void RunOn(rtc_task_queue* q,
           const std::function<void()>& fn,
           int timeout_ms = 10000);

}  // namespace rtc_test

#endif  // TEST_SUPPORT_RUN_ON_H_
