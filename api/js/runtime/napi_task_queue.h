/*
 * The signaling task queue of a Node-API host (ARCHITECTURE.md §2): an
 * rtc_task_queue whose tasks run on the JS thread of one napi_env.
 *
 *   - Any thread may post. A posted task waits in the queue's timer heap
 *     (one heap for ready and delayed tasks, ordered by deadline then post
 *     order, as task_queue.h requires); when it is due the JS thread is
 *     woken through one napi_threadsafe_function, whose callback runs it.
 *   - Each wake-up of the JS thread runs exactly one task, so that the
 *     host's microtask checkpoint (promise reactions, process.nextTick)
 *     runs after every task, as after every task of an HTML event loop.
 *     Node dispatches at most 1000 such calls per turn of its event loop
 *     before it polls I/O again (src/node_api.cc, kMaxIterationCount), so a
 *     flood of tasks, or a task that keeps posting itself, cannot starve
 *     I/O or timers.
 *   - Delayed tasks: a timer thread (one per queue) sleeps until the
 *     earliest deadline, then wakes the JS thread.
 *   - The queue is current (rtc_task_queue_is_current) on the JS thread for
 *     the whole life of the env, not only while a task runs: JS calls the
 *     API directly on that thread, and API functions check that they run on
 *     their signaling queue.
 *   - Keep-alive: the queue does not keep the host's event loop alive by
 *     itself. A task that is only waiting (delayed, or posted while nothing
 *     else keeps the loop running) does not stop Node from exiting. Whoever
 *     can still post a task the application waits for (an open peer
 *     connection, a pending promise) holds a keep-alive count with
 *     rtcbox_napi_queue_keep_alive(); while the count is above zero the
 *     loop stays alive. Tasks still pending at teardown are dropped.
 *   - Lifetime: the queue belongs to its env. An env cleanup hook drops the
 *     pending tasks (their destroy runs, on the JS thread, with the queue
 *     current), stops the timer thread, releases the threadsafe function
 *     and frees the queue. Never call rtc_task_queue_destroy() on it.
 *     Cleanup hooks run in reverse order of registration, so objects
 *     created after the queue (peer connections, the network thread's
 *     users) are torn down first; they must stop posting to the queue by
 *     then: a post after teardown is a use after free, as for any queue.
 *   - Cancellation (rtc_task_queue_post_cancelable/_cancel) is supported;
 *     cancel on the JS thread only. File descriptors are not
 *     (rtc_task_queue_watch_fd returns RTC_ERR_NOT_SUPPORTED).
 *   - Deadlines are measured on rtc_clock_monotonic().
 *
 * Node-API only (no V8 or libuv headers), NAPI_VERSION 8.
 */
#ifndef API_JS_RUNTIME_NAPI_TASK_QUEUE_H_
#define API_JS_RUNTIME_NAPI_TASK_QUEUE_H_

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

#include "rtc_base/error.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Creates the signaling queue of `env` and makes it current on the calling
 * thread, which must be env's JS thread (call it from the addon's init).
 * One queue per env: a second one would take "current" from the first.
 * The queue lives until env's teardown (see above); *out is valid until
 * then. (out: transfer none, owned by env)
 * Errors: RTC_ERR_NO_MEMORY, RTC_ERR_INTERNAL (a Node-API call failed),
 * RTC_ERR_IO (the timer thread could not start). */
rtc_error rtcbox_napi_queue_create(napi_env env, rtc_task_queue** out);

/* Adds `delta` (+1 or -1, any value) to the keep-alive count of `queue`
 * (from rtcbox_napi_queue_create). The host's event loop is kept alive
 * while the count is above zero. The count never goes below zero (checked).
 * JS thread only. */
void rtcbox_napi_queue_keep_alive(rtc_task_queue* queue, int delta);

/* The keep-alive count. JS thread only. */
int rtcbox_napi_queue_keep_alive_count(const rtc_task_queue* queue);

/* Tasks pending on `queue`: posted and neither taken out to run, cancelled
 * nor dropped. For tests and diagnostics. Any thread (from another thread
 * the count may be out of date by the time it returns). */
size_t rtcbox_napi_queue_pending_count(rtc_task_queue* queue);

/* How many times posts woke the JS thread (the JS thread then runs the
 * due tasks one per wake-up of its own, which this does not count). A
 * burst of tasks posted in one round of an event loop's thread
 * (rtc_event_loop_create) wakes it once, when the round is over. For tests
 * and diagnostics. Any thread. */
uint64_t rtcbox_napi_queue_wake_count(rtc_task_queue* queue);

/* True when `queue` was made by rtcbox_napi_queue_create(). Any thread. */
bool rtcbox_napi_queue_is_napi(const rtc_task_queue* queue);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // API_JS_RUNTIME_NAPI_TASK_QUEUE_H_
