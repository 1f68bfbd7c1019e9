/*
 * A test addon for api/js/runtime/napi_task_queue.c, driven by
 * test/js/napi_task_queue.test.js (node --test). The tests need a real
 * Node process: the queue runs tasks on Node's JS thread.
 *
 * Exports (all on the JS thread of the env that loaded the addon):
 *   createQueue()                   rtc_error: creates the env's queue
 *   isCurrent()                     the queue is current on this thread
 *   post(fn, delayMs = 0)           rtc_error; the task calls
 *                                   fn(lateMs, wasCurrent, deadlineMs):
 *                                   how late it runs, whether the queue
 *                                   was current, its deadline (monotonic)
 *   postCancelable(fn, delayMs)     an id (> 0), or a negative rtc_error
 *   cancel(id)                      rtc_task_queue_cancel's result
 *   isPending(id)                   rtc_task_handle_pending
 *   postFromThreads(threads, perThread, delayUs, done?)
 *                                   each thread posts perThread C tasks;
 *                                   with `done`, holds a keep-alive count
 *                                   until they all ran, then calls
 *                                   done({ran, outOfOrder, notCurrent,
 *                                   postErrors}); without it, waits for
 *                                   the threads and returns {postErrors}
 *   startChain(n, done)             a task that posts itself n times in
 *                                   all, then calls done(n)
 *   chainCount()                    how many times it ran so far
 *   keepAlive(delta), keepAliveCount(), pendingCount()
 *   liveAllocs()                    rtc_alloc_live_count()
 *   allocFailNth(n), allocClearFailure()
 *   destroyCount(), runCount()      tasks of post/postCancelable/
 *                                   postFromThreads destroyed / run, in
 *                                   every env of the process
 *
 * With RTCBOX_TEST_REPORT_AT_EXIT set, prints at process exit (after Node
 * has torn down its main env): "at exit: destroyed=N live=N".
 *
 * The addon's own bookkeeping (the per-env state, thread runs) uses the C
 * allocator, so that rtc_alloc_live_count() counts only the queue and the
 * tasks under test (records allocated with rtc_malloc).
 */
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/js/runtime/napi_task_queue.h"
#include "rtc_base/alloc.h"
#include "rtc_base/clock.h"
#include "rtc_base/error.h"
#include "rtc_base/event_loop.h"
#include "rtc_base/task_queue.h"

#define MAX_THREADS 16

static atomic_int_fast64_t g_destroys;
static atomic_int_fast64_t g_runs;

typedef struct js_record js_record;
typedef struct thread_run thread_run;

typedef struct addon_state {
  napi_env env;
  rtc_task_queue* queue;
  js_record* records; /* tasks of post/postCancelable not yet destroyed */
  int64_t next_id;
  thread_run* runs; /* postFromThreads runs, freed with the state */
  int64_t chain_count;
  int64_t chain_target;
  napi_ref chain_done;
} addon_state;

struct js_record {
  addon_state* state;
  napi_ref fn;
  int64_t deadline_us;
  int64_t id;
  rtc_task_handle handle;
  js_record* prev;
  js_record* next;
};

typedef struct thread_task {
  thread_run* run;
  int thread;
  int64_t seq;
} thread_task;

typedef struct thread_arg {
  thread_run* run;
  int index;
} thread_arg;

struct thread_run {
  addon_state* state;
  thread_run* next;
  int threads;
  int64_t per_thread;
  int64_t delay_us;
  pthread_t ids[MAX_THREADS];
  thread_arg args[MAX_THREADS];
  int64_t next_seq[MAX_THREADS]; /* JS thread: the seq expected next */
  int64_t ran;
  int64_t out_of_order;
  int64_t not_current;
  atomic_int_fast64_t post_errors;
  bool joined;
  napi_ref done; /* NULL: synchronous */
};

#define NAPI_OR_THROW(env, call)            \
  do {                                      \
    if ((call) != napi_ok) {                \
      napi_throw_error((env), NULL, #call); \
      return NULL;                          \
    }                                       \
  } while (0)

static addon_state* get_state(napi_env env) {
  void* data = NULL;
  napi_get_instance_data(env, &data);
  return data;
}

/* The state, with a queue; throws and returns NULL without one. */
static addon_state* get_queue_state(napi_env env) {
  addon_state* state = get_state(env);
  if (!state || !state->queue) {
    napi_throw_error(env, NULL, "call createQueue() first");
    return NULL;
  }
  return state;
}

static napi_value make_int(napi_env env, int64_t value) {
  napi_value result;
  napi_create_int64(env, value, &result);
  return result;
}

static napi_value make_bool(napi_env env, bool value) {
  napi_value result;
  napi_get_boolean(env, value, &result);
  return result;
}

static napi_value undefined(napi_env env) {
  napi_value result;
  napi_get_undefined(env, &result);
  return result;
}

/* Reads up to `max` arguments; missing ones are undefined. */
static bool get_args(napi_env env,
                     napi_callback_info info,
                     size_t max,
                     napi_value* argv) {
  size_t argc = max;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)
    return false;
  for (size_t i = argc; i < max; i++)
    argv[i] = undefined(env);
  return true;
}

static bool is_type(napi_env env, napi_value value, napi_valuetype type) {
  napi_valuetype actual;
  return napi_typeof(env, value, &actual) == napi_ok && actual == type;
}

/* A number argument, or `fallback` when undefined. */
static int64_t get_int(napi_env env, napi_value value, int64_t fallback) {
  int64_t result = fallback;
  if (is_type(env, value, napi_number))
    napi_get_value_int64(env, value, &result);
  return result;
}

static void call_function(napi_env env,
                          napi_ref ref,
                          size_t argc,
                          const napi_value* argv) {
  napi_value fn;
  if (napi_get_reference_value(env, ref, &fn) != napi_ok)
    return;
  /* If fn throws, the exception stays pending: the queue reports it. */
  napi_call_function(env, undefined(env), fn, argc, argv, NULL);
}

/* --- post / postCancelable --- */

static void js_task_run(void* arg) {
  js_record* record = arg;
  napi_env env = record->state->env;
  atomic_fetch_add(&g_runs, 1);
  int64_t late_us = rtc_time_monotonic_us() - record->deadline_us;
  napi_value argv[3];
  napi_create_double(env, (double)late_us / 1000.0, &argv[0]);
  argv[1] = make_bool(env, rtc_task_queue_is_current(record->state->queue));
  napi_create_double(env, (double)record->deadline_us / 1000.0, &argv[2]);
  call_function(env, record->fn, 3, argv);
}

static void js_task_destroy(void* arg) {
  js_record* record = arg;
  addon_state* state = record->state;
  if (record->prev)
    record->prev->next = record->next;
  else
    state->records = record->next;
  if (record->next)
    record->next->prev = record->prev;
  napi_delete_reference(state->env, record->fn);
  rtc_free(record);
  atomic_fetch_add(&g_destroys, 1);
}

/* Posts fn; returns the record's id or a negative rtc_error. */
static int64_t post_js(napi_env env,
                       addon_state* state,
                       napi_value fn,
                       int64_t delay_ms,
                       bool cancelable) {
  js_record* record = rtc_malloc(sizeof(*record));
  if (!record)
    return RTC_ERR_NO_MEMORY;
  *record = (js_record){.state = state, .id = ++state->next_id};
  if (napi_create_reference(env, fn, 1, &record->fn) != napi_ok) {
    rtc_free(record);
    return RTC_ERR_INTERNAL;
  }
  record->next = state->records;
  if (state->records)
    state->records->prev = record;
  state->records = record;
  int64_t id = record->id;
  int64_t delay_us = delay_ms * RTC_US_PER_MS;
  record->deadline_us = rtc_time_monotonic_us() + delay_us;
  rtc_task task = {js_task_run, js_task_destroy, record};
  /* On failure the task has been dropped: the record is gone. */
  rtc_error err =
      cancelable ? rtc_task_queue_post_cancelable(state->queue, delay_us, task,
                                                  &record->handle)
                 : rtc_task_queue_post_delayed(state->queue, delay_us, task);
  return err == RTC_OK ? id : err;
}

static napi_value Post(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  NAPI_OR_THROW(env, get_args(env, info, 2, argv) ? napi_ok : napi_invalid_arg);
  addon_state* state = get_queue_state(env);
  if (!state)
    return NULL;
  int64_t result =
      post_js(env, state, argv[0], get_int(env, argv[1], 0), false);
  return make_int(env, result > 0 ? RTC_OK : result);
}

static napi_value PostCancelable(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  NAPI_OR_THROW(env, get_args(env, info, 2, argv) ? napi_ok : napi_invalid_arg);
  addon_state* state = get_queue_state(env);
  if (!state)
    return NULL;
  return make_int(env,
                  post_js(env, state, argv[0], get_int(env, argv[1], 0), true));
}

static js_record* find_record(addon_state* state, int64_t id) {
  for (js_record* r = state->records; r; r = r->next) {
    if (r->id == id)
      return r;
  }
  return NULL;
}

static napi_value Cancel(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  NAPI_OR_THROW(env, get_args(env, info, 1, argv) ? napi_ok : napi_invalid_arg);
  addon_state* state = get_queue_state(env);
  if (!state)
    return NULL;
  js_record* record = find_record(state, get_int(env, argv[0], 0));
  return make_bool(
      env, record && rtc_task_queue_cancel(state->queue, &record->handle));
}

static napi_value IsPending(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  NAPI_OR_THROW(env, get_args(env, info, 1, argv) ? napi_ok : napi_invalid_arg);
  addon_state* state = get_queue_state(env);
  if (!state)
    return NULL;
  js_record* record = find_record(state, get_int(env, argv[0], 0));
  return make_bool(env, record && rtc_task_handle_pending(&record->handle));
}

/* --- postFromThreads --- */

static void join_threads(thread_run* run) {
  if (run->joined)
    return;
  for (int i = 0; i < run->threads; i++)
    pthread_join(run->ids[i], NULL);
  run->joined = true;
}

static void set_named_int(napi_env env,
                          napi_value object,
                          const char* name,
                          int64_t value) {
  napi_set_named_property(env, object, name, make_int(env, value));
}

static void finish_run(thread_run* run) {
  addon_state* state = run->state;
  napi_env env = state->env;
  join_threads(run);
  napi_value result;
  napi_create_object(env, &result);
  set_named_int(env, result, "ran", run->ran);
  set_named_int(env, result, "outOfOrder", run->out_of_order);
  set_named_int(env, result, "notCurrent", run->not_current);
  set_named_int(env, result, "postErrors", atomic_load(&run->post_errors));
  napi_ref done = run->done;
  run->done = NULL;
  rtcbox_napi_queue_keep_alive(state->queue, -1);
  call_function(env, done, 1, &result);
  napi_delete_reference(env, done);
}

static void thread_task_run(void* arg) {
  thread_task* task = arg;
  thread_run* run = task->run;
  atomic_fetch_add(&g_runs, 1);
  if (!rtc_task_queue_is_current(run->state->queue))
    run->not_current++;
  if (task->seq != run->next_seq[task->thread])
    run->out_of_order++;
  run->next_seq[task->thread] = task->seq + 1;
  run->ran++;
  if (run->done && run->ran == run->threads * run->per_thread)
    finish_run(run);
}

static void thread_task_destroy(void* arg) {
  rtc_free(arg);
  atomic_fetch_add(&g_destroys, 1);
}

static void* poster_main(void* arg) {
  thread_arg* targ = arg;
  thread_run* run = targ->run;
  for (int64_t seq = 0; seq < run->per_thread; seq++) {
    thread_task* task = rtc_malloc(sizeof(*task));
    if (!task) {
      atomic_fetch_add(&run->post_errors, 1);
      continue;
    }
    *task = (thread_task){run, targ->index, seq};
    rtc_task t = {thread_task_run, thread_task_destroy, task};
    if (rtc_task_queue_post_delayed(run->state->queue, run->delay_us, t) !=
        RTC_OK)
      atomic_fetch_add(&run->post_errors, 1);
  }
  return NULL;
}

static napi_value PostFromThreads(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  NAPI_OR_THROW(env, get_args(env, info, 4, argv) ? napi_ok : napi_invalid_arg);
  addon_state* state = get_queue_state(env);
  if (!state)
    return NULL;
  int64_t threads = get_int(env, argv[0], 0);
  if (threads < 1 || threads > MAX_THREADS) {
    napi_throw_range_error(env, NULL, "threads: 1 to 16");
    return NULL;
  }
  thread_run* run = calloc(1, sizeof(*run));
  if (!run) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  run->state = state;
  run->threads = (int)threads;
  run->per_thread = get_int(env, argv[1], 0);
  run->delay_us = get_int(env, argv[2], 0);
  run->next = state->runs;
  state->runs = run;
  bool async = is_type(env, argv[3], napi_function);
  if (async) {
    NAPI_OR_THROW(env, napi_create_reference(env, argv[3], 1, &run->done));
    rtcbox_napi_queue_keep_alive(state->queue, +1);
  }
  for (int i = 0; i < run->threads; i++) {
    run->args[i] = (thread_arg){run, i};
    if (pthread_create(&run->ids[i], NULL, poster_main, &run->args[i]) != 0)
      abort();
  }
  if (async)
    return undefined(env);
  join_threads(run);
  napi_value result;
  napi_create_object(env, &result);
  set_named_int(env, result, "postErrors", atomic_load(&run->post_errors));
  return result;
}

/* --- startChain --- */

static void chain_run(void* arg) {
  addon_state* state = arg;
  state->chain_count++;
  if (state->chain_count < state->chain_target) {
    rtc_task next = {chain_run, NULL, state};
    rtc_task_queue_post(state->queue, next);
    return;
  }
  napi_ref done = state->chain_done;
  state->chain_done = NULL;
  rtcbox_napi_queue_keep_alive(state->queue, -1);
  napi_value count = make_int(state->env, state->chain_count);
  call_function(state->env, done, 1, &count);
  napi_delete_reference(state->env, done);
}

static napi_value StartChain(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  NAPI_OR_THROW(env, get_args(env, info, 2, argv) ? napi_ok : napi_invalid_arg);
  addon_state* state = get_queue_state(env);
  if (!state)
    return NULL;
  if (state->chain_done) {
    napi_throw_error(env, NULL, "a chain is running");
    return NULL;
  }
  state->chain_count = 0;
  state->chain_target = get_int(env, argv[0], 1);
  NAPI_OR_THROW(env,
                napi_create_reference(env, argv[1], 1, &state->chain_done));
  rtcbox_napi_queue_keep_alive(state->queue, +1);
  rtc_task first = {chain_run, NULL, state};
  return make_int(env, rtc_task_queue_post(state->queue, first));
}

static napi_value ChainCount(napi_env env, napi_callback_info info) {
  addon_state* state = get_queue_state(env);
  return state ? make_int(env, state->chain_count) : NULL;
}

/* --- postBurstFromEventLoop --- */

typedef struct burst_run {
  addon_state* state;
  rtc_task_queue* loop;
  int64_t count;
  int64_t wait_us;
  _Atomic int64_t ran;
  int64_t ran_in_round; /* tasks that ran before the posting round ended */
  int64_t out_of_order;
  int64_t post_errors;
  uint64_t wakes_before;
  napi_ref done;
} burst_run;

typedef struct burst_task {
  burst_run* run;
  int64_t seq;
} burst_task;

static void burst_task_run(void* arg) {
  burst_task* task = arg;
  burst_run* run = task->run;
  if (task->seq != atomic_load(&run->ran))
    run->out_of_order++;
  if (atomic_fetch_add(&run->ran, 1) + 1 != run->count)
    return;
  addon_state* state = run->state;
  napi_env env = state->env;
  /* The loop's thread is done with its task: this joins it. */
  rtc_task_queue_destroy(run->loop);
  napi_value result;
  napi_create_object(env, &result);
  set_named_int(env, result, "ran", atomic_load(&run->ran));
  set_named_int(env, result, "ranInRound", run->ran_in_round);
  set_named_int(env, result, "outOfOrder", run->out_of_order);
  set_named_int(env, result, "postErrors", run->post_errors);
  set_named_int(env, result, "wakes",
                (int64_t)(rtcbox_napi_queue_wake_count(state->queue) -
                          run->wakes_before));
  napi_ref done = run->done;
  rtcbox_napi_queue_keep_alive(state->queue, -1);
  call_function(env, done, 1, &result);
  napi_delete_reference(env, done);
  free(run);
}

/* On the event loop's thread: the whole burst in one task (one round),
 * waiting up to wait_us after each post for the JS thread to run it. */
static void burst_post_all(void* arg) {
  burst_run* run = arg;
  for (int64_t seq = 0; seq < run->count; seq++) {
    int64_t until = rtc_time_monotonic_us() + run->wait_us;
    while (seq > 0 && atomic_load(&run->ran) < seq &&
           rtc_time_monotonic_us() < until) {
      sched_yield();
    }
    burst_task* task = rtc_malloc(sizeof(*task));
    if (!task) {
      run->post_errors++;
      continue;
    }
    *task = (burst_task){run, seq};
    rtc_task t = {burst_task_run, rtc_free, task};
    if (rtc_task_queue_post(run->state->queue, t) != RTC_OK)
      run->post_errors++;
  }
  run->ran_in_round = atomic_load(&run->ran);
}

/* postBurstFromEventLoop(count, waitMs, done): a new event loop's thread
 * posts `count` tasks in one task of its own, giving the JS thread up to
 * waitMs to run each before it posts the next; done({ran, ranInRound,
 * outOfOrder, postErrors, wakes}) once they all ran, `wakes` being how
 * many times posts woke the JS thread meanwhile. */
static napi_value PostBurstFromEventLoop(napi_env env,
                                         napi_callback_info info) {
  napi_value argv[3];
  NAPI_OR_THROW(env, get_args(env, info, 3, argv) ? napi_ok : napi_invalid_arg);
  addon_state* state = get_queue_state(env);
  if (!state)
    return NULL;
  burst_run* run = calloc(1, sizeof(*run));
  if (!run) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  run->state = state;
  run->count = get_int(env, argv[0], 0);
  run->wait_us = get_int(env, argv[1], 0) * 1000;
  if (run->count < 1 ||
      rtc_event_loop_create("test-burst", &run->loop) != RTC_OK) {
    free(run);
    napi_throw_error(env, NULL, "count < 1, or no event loop");
    return NULL;
  }
  NAPI_OR_THROW(env, napi_create_reference(env, argv[2], 1, &run->done));
  rtcbox_napi_queue_keep_alive(state->queue, +1);
  run->wakes_before = rtcbox_napi_queue_wake_count(state->queue);
  rtc_task t = {burst_post_all, NULL, run};
  return make_int(env, rtc_task_queue_post(run->loop, t));
}

/* --- the queue itself and accounting --- */

static napi_value CreateQueue(napi_env env, napi_callback_info info) {
  addon_state* state = get_state(env);
  if (state->queue) {
    napi_throw_error(env, NULL, "the queue exists already");
    return NULL;
  }
  return make_int(env, rtcbox_napi_queue_create(env, &state->queue));
}

static napi_value IsCurrent(napi_env env, napi_callback_info info) {
  addon_state* state = get_queue_state(env);
  return state ? make_bool(env, rtc_task_queue_is_current(state->queue)) : NULL;
}

static napi_value KeepAlive(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  NAPI_OR_THROW(env, get_args(env, info, 1, argv) ? napi_ok : napi_invalid_arg);
  addon_state* state = get_queue_state(env);
  if (!state)
    return NULL;
  rtcbox_napi_queue_keep_alive(state->queue, (int)get_int(env, argv[0], 0));
  return make_int(env, rtcbox_napi_queue_keep_alive_count(state->queue));
}

static napi_value KeepAliveCount(napi_env env, napi_callback_info info) {
  addon_state* state = get_queue_state(env);
  return state ? make_int(env, rtcbox_napi_queue_keep_alive_count(state->queue))
               : NULL;
}

static napi_value PendingCount(napi_env env, napi_callback_info info) {
  addon_state* state = get_queue_state(env);
  return state
             ? make_int(env,
                        (int64_t)rtcbox_napi_queue_pending_count(state->queue))
             : NULL;
}

static napi_value LiveAllocs(napi_env env, napi_callback_info info) {
  return make_int(env, rtc_alloc_live_count());
}

static napi_value AllocFailNth(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  NAPI_OR_THROW(env, get_args(env, info, 1, argv) ? napi_ok : napi_invalid_arg);
  rtc_alloc_fail_nth((uint64_t)get_int(env, argv[0], 0), 0);
  return undefined(env);
}

static napi_value AllocClearFailure(napi_env env, napi_callback_info info) {
  rtc_alloc_clear_failure();
  return undefined(env);
}

static napi_value DestroyCount(napi_env env, napi_callback_info info) {
  return make_int(env, atomic_load(&g_destroys));
}

static napi_value RunCount(napi_env env, napi_callback_info info) {
  return make_int(env, atomic_load(&g_runs));
}

/* Runs when the env is deleted, after the queue's teardown. */
static void free_state(napi_env env, void* data, void* hint) {
  addon_state* state = data;
  while (state->runs) {
    thread_run* run = state->runs;
    state->runs = run->next;
    join_threads(run);
    free(run);
  }
  free(state);
}

static void report_at_exit(void) {
  fprintf(stderr, "at exit: destroyed=%lld live=%lld\n",
          (long long)atomic_load(&g_destroys),
          (long long)rtc_alloc_live_count());
}

NAPI_MODULE_EXPORT int32_t node_api_module_get_api_version_v1(void);

NAPI_MODULE_INIT() {
  static atomic_flag report_registered = ATOMIC_FLAG_INIT;
  if (getenv("RTCBOX_TEST_REPORT_AT_EXIT") &&
      !atomic_flag_test_and_set(&report_registered))
    atexit(report_at_exit);

  addon_state* state = calloc(1, sizeof(*state));
  if (!state) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  state->env = env;
  if (napi_set_instance_data(env, state, free_state, NULL) != napi_ok) {
    free(state);
    napi_throw_error(env, NULL, "napi_set_instance_data");
    return NULL;
  }
  static const struct {
    const char* name;
    napi_callback fn;
  } kFunctions[] = {
      {"createQueue", CreateQueue},
      {"isCurrent", IsCurrent},
      {"post", Post},
      {"postCancelable", PostCancelable},
      {"cancel", Cancel},
      {"isPending", IsPending},
      {"postFromThreads", PostFromThreads},
      {"startChain", StartChain},
      {"postBurstFromEventLoop", PostBurstFromEventLoop},
      {"chainCount", ChainCount},
      {"keepAlive", KeepAlive},
      {"keepAliveCount", KeepAliveCount},
      {"pendingCount", PendingCount},
      {"liveAllocs", LiveAllocs},
      {"allocFailNth", AllocFailNth},
      {"allocClearFailure", AllocClearFailure},
      {"destroyCount", DestroyCount},
      {"runCount", RunCount},
  };
  for (size_t i = 0; i < sizeof(kFunctions) / sizeof(kFunctions[0]); i++) {
    napi_value fn;
    NAPI_OR_THROW(
        env, napi_create_function(env, kFunctions[i].name, NAPI_AUTO_LENGTH,
                                  kFunctions[i].fn, NULL, &fn));
    NAPI_OR_THROW(
        env, napi_set_named_property(env, exports, kFunctions[i].name, fn));
  }
  return exports;
}
