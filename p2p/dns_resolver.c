/*
 * The kernel factory's name resolver (p2p/socket_factory.h, "Name
 * resolution"): getaddrinfo() on worker threads, so that the network
 * thread never blocks.
 *
 * Workers. Up to RTC_SYSTEM_RESOLVER_THREADS event loops
 * (rtc_base/event_loop.h), started on first need and joined by the
 * factory's destroy. A lookup is queued on the resolver; when fewer
 * workers are busy than the limit, an idle one is given a task that takes
 * lookups from the queue until it is empty. Idle workers sleep in epoll.
 *
 * A request (dns_job) has two references: the caller's, dropped when the
 * answer has been delivered or the request is cancelled; and the
 * worker's, dropped when a queued job is cancelled, or when the lookup is
 * over (cancelled meanwhile), or handed to the delivery task posted on the
 * request's queue, which drops it in its `destroy`. The job is freed by
 * whoever drops the last one, on whichever thread.
 *
 * Cancellation against completion (the race). `cancelled` is written only
 * on the request's queue (cancel), under `mu`; the worker reads it under
 * `mu` and posts the delivery task while still holding `mu`. So either
 * cancel takes `mu` first (the worker sees `cancelled` and posts nothing:
 * the queue, which may be destroyed right after the cancel, is never
 * touched again), or the worker posts first (the queue is alive: a request
 * not yet cancelled keeps it alive, by contract), and the delivery task,
 * on the same thread as cancel, skips the callback when it runs after a
 * cancel. The delivery task reads `cancelled` without the lock: it runs on
 * the only thread that writes it. The result is written by the worker
 * before the post and read by the task after it: the queue's lock orders
 * them. Posting under `mu` is the one call made while holding it: a post
 * never runs the task and takes only the queue's own lock, and if it fails
 * the task's `destroy` drops a reference that cannot be the last (the
 * caller's is still held), so nothing re-enters the resolver.
 *
 * getaddrinfo() cannot be interrupted: a cancelled lookup keeps its worker
 * until the system resolver gives up (resolv.conf: timeout x attempts per
 * server), and its result is dropped. That is why workers are few and
 * lookups bounded: a page cannot pile up threads with names that never
 * answer.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "p2p/system_factory_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/event_loop.h"
#include "rtc_base/mutex.h"
#include "rtc_base/refcount.h"

typedef struct dns_job dns_job;

typedef struct dns_worker {
  rtc_system_resolver* resolver;
  rtc_task_queue* loop; /* NULL until first needed */
  bool busy;            /* guarded by resolver->mu */
} dns_worker;

struct rtc_system_resolver {
  /* Guards the queue, the workers' state and the jobs' `next`, `queued`
   * and `cancelled`. */
  rtc_mutex mu;
  dns_job* head; /* waiting for a worker, oldest first */
  dns_job* tail;
  size_t waiting;
  size_t running; /* lookups taken by a worker and not over */
  size_t peak_running;
  size_t busy_workers; /* given a task that has not returned */
  dns_worker workers[RTC_SYSTEM_RESOLVER_THREADS];
  /* getaddrinfo() and freeaddrinfo(), or a test's (guarded by mu). */
  rtc_getaddrinfo_fn lookup;
  rtc_freeaddrinfo_fn release;
  atomic_int requests; /* neither answered nor cancelled */
};

struct dns_job {
  rtc_resolve_request base; /* first */
  rtc_refcount refs;
  rtc_system_resolver* resolver;
  rtc_task_queue* queue;
  rtc_resolve_callback callback;
  void* user;
  rtc_address_family family;
  dns_job* next;             /* guarded by resolver->mu */
  bool queued;               /* guarded by resolver->mu: in the waiting queue */
  bool cancelled;            /* written under resolver->mu on `queue` only */
  bool in_callback;          /* `queue` only */
  rtc_resolve_result result; /* the worker's until the delivery post */
  char host[256];
};

static void job_unref(dns_job* job) {
  if (rtc_refcount_dec(&job->refs))
    rtc_free(job);
}

/* --- The worker side --- */

static rtc_error error_from_gai(int rc) {
  switch (rc) {
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
      return RTC_ERR_NOT_FOUND;
    case EAI_AGAIN:
    case EAI_FAIL:
      return RTC_ERR_NETWORK;
    case EAI_MEMORY:
      return RTC_ERR_NO_MEMORY;
    default:
      return RTC_ERR_IO;
  }
}

/* On a worker, without the lock. */
static void run_lookup(rtc_getaddrinfo_fn lookup,
                       rtc_freeaddrinfo_fn release,
                       dns_job* job) {
  rtc_resolve_result* result = &job->result;
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = job->family == RTC_AF_INET    ? AF_INET
                    : job->family == RTC_AF_INET6 ? AF_INET6
                                                  : AF_UNSPEC;
  /* One entry per address (not one per socket type), and only the
   * families this host has an address of (RFC 3493 AI_ADDRCONFIG). */
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_ADDRCONFIG;
  struct addrinfo* list = NULL;
  int rc = lookup(job->host, NULL, &hints, &list);
  if (rc != 0) {
    result->error = error_from_gai(rc);
    return;
  }
  /* getaddrinfo's order is RFC 6724's (glibc: gai.conf); keep it, drop
   * repeats (/etc/hosts may list an address twice). */
  for (const struct addrinfo* ai = list;
       ai && result->count < RTC_RESOLVE_MAX_ADDRESSES; ai = ai->ai_next) {
    rtc_socket_address a;
    if (!ai->ai_addr || rtc_socket_address_from_sockaddr(
                            ai->ai_addr, ai->ai_addrlen, &a) != RTC_OK)
      continue;
    a.port = 0;
    bool seen = false;
    for (size_t i = 0; i < result->count && !seen; i++)
      seen = rtc_ip_address_equal(&result->addresses[i], &a);
    if (!seen)
      result->addresses[result->count++] = a;
  }
  if (list)
    release(list);
  result->error = result->count > 0 ? RTC_OK : RTC_ERR_NOT_FOUND;
}

/* On the request's queue: owns the worker's reference. */
static void deliver_run(void* arg) {
  dns_job* job = arg;
  if (job->cancelled)
    return;
  job->in_callback = true;
  /* The callback may destroy the factory: leave the resolver before. */
  atomic_fetch_sub(&job->resolver->requests, 1);
  job->callback(job->user, &job->result);
  job_unref(job); /* the caller's */
}

static void deliver_destroy(void* arg) {
  job_unref(arg);
}

/* A worker's task: lookups until none waits. */
static void worker_run(void* arg) {
  dns_worker* w = arg;
  rtc_system_resolver* r = w->resolver;
  for (;;) {
    rtc_mutex_lock(&r->mu);
    dns_job* job = r->head;
    if (!job) {
      w->busy = false;
      r->busy_workers--;
      rtc_mutex_unlock(&r->mu);
      return;
    }
    r->head = job->next;
    if (!r->head)
      r->tail = NULL;
    job->next = NULL;
    job->queued = false;
    r->waiting--;
    r->running++;
    if (r->running > r->peak_running)
      r->peak_running = r->running;
    rtc_getaddrinfo_fn lookup = r->lookup;
    rtc_freeaddrinfo_fn release = r->release;
    rtc_mutex_unlock(&r->mu);

    run_lookup(lookup, release, job);

    rtc_mutex_lock(&r->mu);
    bool handed_over = !job->cancelled;
    if (handed_over) {
      /* Under the lock: see the race above. The task takes the worker's
       * reference. If the post fails (the queue is shutting down, or out
       * of memory) the task was dropped with it, and the request is never
       * answered: its owner cancels it, as one that never ends. */
      rtc_task task = {deliver_run, deliver_destroy, job};
      (void)rtc_task_queue_post(job->queue, task);
    }
    r->running--;
    rtc_mutex_unlock(&r->mu);
    if (!handed_over)
      job_unref(job); /* the worker's */
  }
}

/* --- The caller side --- */

static void job_cancel(rtc_resolve_request* request) {
  dns_job* job = (dns_job*)request;
  if (job->in_callback)
    return;
  rtc_system_resolver* r = job->resolver;
  bool unqueued = false;
  rtc_mutex_lock(&r->mu);
  job->cancelled = true;
  if (job->queued) {
    dns_job** link = &r->head;
    dns_job* prev = NULL;
    while (*link != job) {
      prev = *link;
      link = &(*link)->next;
    }
    *link = job->next;
    if (r->tail == job)
      r->tail = prev;
    job->next = NULL;
    job->queued = false;
    r->waiting--;
    unqueued = true;
  }
  rtc_mutex_unlock(&r->mu);
  atomic_fetch_sub(&r->requests, 1);
  if (unqueued)
    job_unref(job); /* the worker's: it never started */
  job_unref(job);   /* the caller's */
}

/* Gives the queue a worker if one may start and is needed: busy workers
 * not in a lookup are about to take one from the queue. Under the lock. */
static rtc_error start_worker(rtc_system_resolver* r) RTC_REQUIRES(r->mu) {
  if (r->busy_workers >= RTC_SYSTEM_RESOLVER_THREADS ||
      r->busy_workers - r->running >= r->waiting)
    return RTC_OK; /* a busy worker will take it */
  dns_worker* w = NULL;
  for (size_t i = 0; i < RTC_SYSTEM_RESOLVER_THREADS && !w; i++) {
    if (!r->workers[i].busy)
      w = &r->workers[i];
  }
  RTC_CHECK(w);
  if (!w->loop) {
    char name[16];
    snprintf(name, sizeof(name), "rtc-dns-%d", (int)(w - r->workers));
    rtc_error err = rtc_event_loop_create(name, &w->loop);
    if (err != RTC_OK) {
      w->loop = NULL;
      return err;
    }
  }
  rtc_task task = {worker_run, NULL, w};
  rtc_error err = rtc_task_queue_post(w->loop, task);
  if (err != RTC_OK)
    return err;
  w->busy = true;
  r->busy_workers++;
  return RTC_OK;
}

rtc_error rtc_system_resolve(rtc_socket_factory* factory,
                             rtc_task_queue* queue,
                             const char* host,
                             rtc_address_family family,
                             rtc_resolve_callback callback,
                             void* user,
                             rtc_resolve_request** out) {
  rtc_system_resolver* r = ((rtc_system_factory*)factory)->resolver;
  *out = NULL;
  size_t len = strlen(host);
  dns_job* job = rtc_calloc(1, sizeof(*job));
  if (!job)
    return RTC_ERR_NO_MEMORY;
  /* Checked by the wrapper: at most 254 characters. */
  RTC_CHECK(len < sizeof(job->host));
  memcpy(job->host, host, len + 1);
  job->base.cancel = job_cancel;
  rtc_refcount_init(&job->refs);
  rtc_refcount_inc(&job->refs); /* the worker's */
  job->resolver = r;
  job->queue = queue;
  job->callback = callback;
  job->user = user;
  job->family = family;

  rtc_error err = RTC_OK;
  rtc_mutex_lock(&r->mu);
  if (r->waiting + r->running >= RTC_SYSTEM_RESOLVER_MAX_LOOKUPS) {
    err = RTC_ERR_WOULD_BLOCK;
    goto unlock;
  }
  job->queued = true;
  if (r->tail)
    r->tail->next = job;
  else
    r->head = job;
  r->tail = job;
  r->waiting++;
  err = start_worker(r);
  if (err != RTC_OK && r->busy_workers == 0) {
    /* Nobody would ever take it: take it back (it is the last). */
    RTC_CHECK(r->tail == job);
    dns_job* prev = NULL;
    for (dns_job* j = r->head; j != job; j = j->next)
      prev = j;
    if (prev)
      prev->next = NULL;
    else
      r->head = NULL;
    r->tail = prev;
    r->waiting--;
  } else {
    err = RTC_OK; /* a busy worker will take it */
  }
unlock:
  rtc_mutex_unlock(&r->mu);
  if (err != RTC_OK) {
    rtc_free(job);
    return err;
  }
  atomic_fetch_add(&r->requests, 1);
  *out = &job->base;
  return RTC_OK;
}

/* --- The resolver --- */

rtc_error rtc_system_resolver_create(rtc_system_resolver** out) {
  *out = NULL;
  rtc_system_resolver* r = rtc_calloc(1, sizeof(*r));
  if (!r)
    return RTC_ERR_NO_MEMORY;
  rtc_mutex_init(&r->mu);
  for (size_t i = 0; i < RTC_SYSTEM_RESOLVER_THREADS; i++)
    r->workers[i].resolver = r;
  r->lookup = getaddrinfo;
  r->release = freeaddrinfo;
  atomic_init(&r->requests, 0);
  *out = r;
  return RTC_OK;
}

void rtc_system_resolver_destroy(rtc_system_resolver* r) {
  if (!r)
    return;
  RTC_DCHECK_MSG(atomic_load(&r->requests) == 0,
                 "%d name lookups outlive their factory",
                 atomic_load(&r->requests));
  /* Without the lock: workers take it. Each join waits for the lookup its
   * worker may be running (a cancelled one). */
  for (size_t i = 0; i < RTC_SYSTEM_RESOLVER_THREADS; i++) {
    if (r->workers[i].loop)
      rtc_task_queue_destroy(r->workers[i].loop);
  }
  rtc_mutex_destroy(&r->mu);
  rtc_free(r);
}

void rtc_system_socket_factory_set_getaddrinfo(rtc_socket_factory* factory,
                                               rtc_getaddrinfo_fn lookup,
                                               rtc_freeaddrinfo_fn release) {
  rtc_system_resolver* r = ((rtc_system_factory*)factory)->resolver;
  rtc_mutex_lock(&r->mu);
  r->lookup = lookup;
  r->release = release;
  rtc_mutex_unlock(&r->mu);
}

void rtc_system_socket_factory_resolver_stats(rtc_socket_factory* factory,
                                              rtc_system_resolver_stats* out) {
  rtc_system_resolver* r = ((rtc_system_factory*)factory)->resolver;
  memset(out, 0, sizeof(*out));
  rtc_mutex_lock(&r->mu);
  out->waiting = r->waiting;
  out->running = r->running;
  out->peak_running = r->peak_running;
  for (size_t i = 0; i < RTC_SYSTEM_RESOLVER_THREADS; i++)
    out->threads += r->workers[i].loop != NULL;
  rtc_mutex_unlock(&r->mu);
  out->requests = (size_t)atomic_load(&r->requests);
}
