/*
 * Simulated time: a simulated clock and the task queues that run on it,
 * all driven from one thread (the test's). Nothing happens until the test
 * says so; then tasks of every queue run in (deadline, post order), the
 * clock jumping to each deadline. Runs are deterministic: the same posts
 * give the same order, whatever the machine.
 *
 *   rtc_sim_time* time;   rtc_sim_time_create(0, &time);
 *   rtc_task_queue* net;  rtc_sim_time_create_queue(time, "network", &net);
 *   ... post tasks, create objects on `net` ...
 *   rtc_sim_time_advance_us(time, 30 * RTC_US_PER_SEC);
 *
 * Posting is thread-safe (a library thread such as usrsctp's may post);
 * everything else is for the driving thread, which is every simulated
 * queue's thread (rtc_task_queue_cancel may be called there, inside or
 * outside a task). Simulated queues have no file
 * descriptor support (rtc_task_queue_watch_fd gives RTC_ERR_NOT_SUPPORTED):
 * simulated networks do not use file descriptors.
 */
#ifndef RTC_BASE_SIM_TIME_H_
#define RTC_BASE_SIM_TIME_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/clock.h"
#include "rtc_base/error.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_sim_time rtc_sim_time;

/* Errors: RTC_ERR_NO_MEMORY, RTC_ERR_INVALID_ARGUMENT (start_us < 0). */
rtc_error rtc_sim_time_create(int64_t start_us, rtc_sim_time** out);
/* Every queue must have been destroyed. */
void rtc_sim_time_destroy(rtc_sim_time* time);

/* (transfer none; valid until rtc_sim_time_destroy) */
const rtc_clock* rtc_sim_time_clock(rtc_sim_time* time);
int64_t rtc_sim_time_now_us(rtc_sim_time* time);

/* A queue on simulated time; destroy it with rtc_task_queue_destroy().
 * `name` is for logs. Errors: RTC_ERR_NO_MEMORY. */
rtc_error rtc_sim_time_create_queue(rtc_sim_time* time,
                                    const char* name,
                                    rtc_task_queue** out);

/* Runs every task that is due now, and those they post that are due now,
 * without moving the clock. Returns how many ran. */
size_t rtc_sim_time_run_until_idle(rtc_sim_time* time);

/* Moves the clock forward by delta_us >= 0, running each task when its
 * deadline comes. Returns how many ran. */
size_t rtc_sim_time_advance_us(rtc_sim_time* time, int64_t delta_us);

/* Runs tasks (moving the clock) until done(arg) is true, checked before
 * the first task and after each one, or until timeout_us has passed.
 * Returns done(arg). */
bool rtc_sim_time_run_until(rtc_sim_time* time,
                            bool (*done)(void* arg),
                            void* arg,
                            int64_t timeout_us);

/* The earliest pending deadline, or INT64_MAX when nothing is pending. */
int64_t rtc_sim_time_next_deadline_us(rtc_sim_time* time);

/* How many tasks are pending on all of time's queues: posted and neither
 * run, cancelled (rtc_task_queue_cancel) nor dropped. For tests: a stopped
 * rtc_timer or a closed object leaves nothing behind. */
size_t rtc_sim_time_pending_count(rtc_sim_time* time);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // RTC_BASE_SIM_TIME_H_
