/*
 * Process-wide usrsctp state for the SCTP transports (see
 * sctp_transport_internal.h).
 *
 * usrsctp is process-wide. It is initialized (usrsctp_init_nothreads: no
 * timer thread, no raw sockets) when the first transport is created and
 * finished when the last one is destroyed, if usrsctp_finish() agrees (it
 * refuses while it still holds sockets being torn down; usrsctp then stays
 * initialized and the next transport reuses it). Every call into usrsctp is
 * made holding rtc_sctp_usrsctp_mu, whichever queue (thread) makes it:
 * transports may live on several queues.
 *
 * usrsctp calls back from inside those calls: conn_output() for each packet
 * to send and the socket upcall when a socket has something to read or room
 * to write. Those callbacks run with rtc_sctp_usrsctp_mu held (except on
 * usrsctp's iterator thread, which usrsctp always starts), possibly on the
 * thread of another transport (the timer's), so they only append to the
 * transport's inbox under g_state_mu (a leaf lock) and make sure the owner
 * queue looks at it: the owner drains the inbox itself when the callback
 * comes from its own usrsctp call, otherwise a guarded task is posted to
 * its queue.
 *
 * Each transport has an AF_CONN address: a process-unique id (never 0,
 * never reused while registered) that usrsctp hands back to conn_output.
 * The id is looked up in the registry under g_state_mu, so a callback for a
 * transport destroyed meanwhile finds nothing. The lookup is made for every
 * packet, so it goes through a fixed table of buckets (ids are handed out
 * in sequence: consecutive ids fall in different buckets) and costs the
 * same with thousands of transports as with two.
 *
 * Timers: one process-wide timer calls usrsctp_handle_timers() with the
 * milliseconds elapsed on the clock of the queue driving it (the oldest live
 * transport's queue; the next one takes over when it dies), every 10 ms
 * while at least one association is starting or up; with none, no task is
 * left. Lock order: rtc_sctp_usrsctp_mu, then g_state_mu, then the task
 * queues' own locks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <usrsctp.h>

#include "pc/sctp_crc32c.h"
#include "pc/sctp_transport.h"
#include "pc/sctp_transport_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/clock.h"
#include "rtc_base/logging.h"
#include "rtc_base/mutex.h"

#define TICK_US (10 * RTC_US_PER_MS)

/* Every usrsctp call, and the two below. */
rtc_mutex rtc_sctp_usrsctp_mu = RTC_MUTEX_INIT;
static int g_users RTC_GUARDED_BY(rtc_sctp_usrsctp_mu);
static bool g_initialized RTC_GUARDED_BY(rtc_sctp_usrsctp_mu);

/* The registry of live transports, their inboxes and the timer. */
static rtc_mutex g_state_mu = RTC_MUTEX_INIT;
static rtc_sctp_transport* g_head RTC_GUARDED_BY(g_state_mu);
static rtc_sctp_transport* g_tail RTC_GUARDED_BY(g_state_mu);
static uintptr_t g_next_id RTC_GUARDED_BY(g_state_mu);
/* The id index: the live transports by id, chained through id_next. */
#define ID_BUCKETS 1024
static rtc_sctp_transport* g_by_id[ID_BUCKETS] RTC_GUARDED_BY(g_state_mu);
static size_t g_active RTC_GUARDED_BY(g_state_mu);
static uintptr_t g_timer_gen RTC_GUARDED_BY(g_state_mu);
static bool g_tick_pending RTC_GUARDED_BY(g_state_mu);
static int64_t g_last_tick_us RTC_GUARDED_BY(g_state_mu);

static void state_lock(void) RTC_ACQUIRE(g_state_mu) {
  rtc_mutex_lock(&g_state_mu);
}

static void state_unlock(void) RTC_RELEASE(g_state_mu) {
  rtc_mutex_unlock(&g_state_mu);
}

void rtc_sctp_usrsctp_lock(rtc_sctp_transport* t) {
  if (t)
    t->in_call = true;
  rtc_mutex_lock(&rtc_sctp_usrsctp_mu);
}

void rtc_sctp_usrsctp_unlock(rtc_sctp_transport* t) {
  rtc_mutex_unlock(&rtc_sctp_usrsctp_mu);
  if (t)
    t->in_call = false;
}

static rtc_sctp_transport** id_bucket(uintptr_t id) RTC_REQUIRES(g_state_mu) {
  return &g_by_id[id % ID_BUCKETS];
}

static rtc_sctp_transport* find_locked(uintptr_t id) RTC_REQUIRES(g_state_mu) {
  for (rtc_sctp_transport* t = *id_bucket(id); t; t = t->id_next) {
    if (t->id == id)
      return t;
  }
  return NULL;
}

/* Makes sure the owner looks at the inbox of `t`. */
static void schedule_drain_locked(rtc_sctp_transport* t)
    RTC_REQUIRES(g_state_mu) {
  /* The owner itself is in a usrsctp call: it looks after the call. */
  if (rtc_task_queue_is_current(t->queue) && t->in_call)
    return;
  if (t->drain_posted)
    return;
  rtc_task task = {rtc_sctp_drain_task, NULL, t};
  rtc_error err = rtc_task_queue_post_guarded(t->queue, t->flag, 0, task);
  if (err == RTC_OK)
    t->drain_posted = true;
  else if (err == RTC_ERR_CLOSED) /* its network thread is stopping */
    RTC_LOG(VERBOSE, "sctp: the transport's queue is stopping");
  else
    RTC_LOG(WARNING, "sctp: cannot post to the transport's queue (%s)",
            rtc_error_name(err));
}

/* usrsctp's packet output (AF_CONN). `addr` is the transport id. */
static int conn_output(void* addr,
                       void* buffer,
                       size_t length,
                       uint8_t tos,
                       uint8_t set_df) {
  (void)tos;
  (void)set_df;
  rtc_sctp_packet* p = rtc_malloc(sizeof(*p) + length);
  if (!p)
    return ENOMEM; /* usrsctp counts it lost and retransmits */
  p->next = NULL;
  p->size = length;
  memcpy(p->data, buffer, length);
  rtc_sctp_set_checksum(p->data, length);
  state_lock();
  rtc_sctp_transport* t = find_locked((uintptr_t)addr);
  if (t) {
    *t->out_tail = p;
    t->out_tail = &p->next;
    schedule_drain_locked(t);
    p = NULL;
  }
  state_unlock();
  rtc_free(p); /* the transport is gone */
  return 0;
}

/* The socket upcall: something to read, room to write, or an error. */
static void socket_upcall(struct socket* sock, void* arg, int flags) {
  (void)sock;
  (void)flags;
  state_lock();
  rtc_sctp_transport* t = find_locked((uintptr_t)arg);
  if (t)
    schedule_drain_locked(t);
  state_unlock();
}

bool rtc_sctp_set_upcall(rtc_sctp_transport* t) {
  return usrsctp_set_upcall(t->sock, socket_upcall, (void*)t->id) == 0;
}

static void debug_printf(const char* format, ...)
    __attribute__((format(printf, 1, 2)));
static void debug_printf(const char* format, ...) {
  if (!rtc_log_is_enabled(RTC_LOG_VERBOSE, __FILE__))
    return;
  char line[256];
  va_list ap;
  va_start(ap, format);
  vsnprintf(line, sizeof(line), format, ap);
  va_end(ap);
  RTC_LOG(VERBOSE, "usrsctp: %s", line);
}

void rtc_sctp_configure_usrsctp(void) {
  /* We compute the checksum of what we send (conn_output: with the CPU's
   * crc32 instruction, usrsctp's loop is slow) and usrsctp checks none of
   * what it receives: DTLS has (pc/sctp_crc32c.h). */
  usrsctp_enable_crc32c_offload();
  /* As libwebrtc: no ECN, and neither ASCONF nor AUTH, which data channels
   * do not use (less attack surface). */
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  usrsctp_sysctl_set_sctp_asconf_enable(0);
  usrsctp_sysctl_set_sctp_auth_enable(0);
  /* Security checklist DC-07: a peer that starts messages and never ends
   * them fills the reassembly queues. usrsctp holds at most this many
   * chunks there per association (its default, made explicit: the bound
   * must not depend on how a distribution builds it). */
  usrsctp_sysctl_set_sctp_max_chunks_on_queue(512);
  usrsctp_sysctl_set_sctp_nr_outgoing_streams_default(RTC_SCTP_DEFAULT_STREAMS);
}

void rtc_sctp_usrsctp_acquire(void) {
  rtc_sctp_usrsctp_lock(NULL);
  if (!g_initialized) {
    usrsctp_init_nothreads(0, conn_output, debug_printf);
    rtc_sctp_configure_usrsctp();
    g_initialized = true;
  }
  g_users++;
  rtc_sctp_usrsctp_unlock(NULL);
}

void rtc_sctp_usrsctp_release(void) {
  rtc_sctp_usrsctp_lock(NULL);
  if (--g_users == 0) {
    if (usrsctp_finish() == 0)
      g_initialized = false;
    else
      RTC_LOG(INFO, "sctp: usrsctp busy tearing down; it stays initialized");
  }
  rtc_sctp_usrsctp_unlock(NULL);
}

/* --- The process-wide timer --- */

static void tick_task(void* arg);

static void tick_schedule_locked(void) RTC_REQUIRES(g_state_mu) {
  if (g_tick_pending || g_active == 0 || !g_head)
    return;
  rtc_task task = {tick_task, NULL, (void*)g_timer_gen};
  rtc_error err = rtc_task_queue_post_delayed(g_head->queue, TICK_US, task);
  if (err == RTC_OK)
    g_tick_pending = true;
  else if (err == RTC_ERR_CLOSED)
    /* The driver's network thread is stopping (its context is being
     * destroyed): its transports go with it, and the registry's next
     * driver restarts the timer (timer_restart_locked). */
    RTC_LOG(VERBOSE, "sctp: the timer's queue is stopping");
  else
    RTC_LOG(WARNING, "sctp: cannot post the timer (%s)", rtc_error_name(err));
}

static void tick_task(void* arg) {
  uintptr_t gen = (uintptr_t)arg;
  state_lock();
  if (gen != g_timer_gen || !g_head) {
    state_unlock(); /* a previous driver's tick */
    return;
  }
  g_tick_pending = false;
  int64_t now = rtc_task_queue_now_us(g_head->queue);
  int64_t elapsed_ms = (now - g_last_tick_us) / RTC_US_PER_MS;
  if (elapsed_ms < 0)
    elapsed_ms = 0;
  if (elapsed_ms > UINT32_MAX)
    elapsed_ms = UINT32_MAX;
  g_last_tick_us += elapsed_ms * RTC_US_PER_MS;
  state_unlock();
  if (elapsed_ms > 0) {
    rtc_sctp_usrsctp_lock(NULL);
    if (g_initialized)
      usrsctp_handle_timers((uint32_t)elapsed_ms);
    rtc_sctp_usrsctp_unlock(NULL);
  }
  state_lock();
  if (gen == g_timer_gen)
    tick_schedule_locked();
  state_unlock();
}

/* The driver changed: the old driver's pending tick becomes stale. */
static void timer_restart_locked(void) RTC_REQUIRES(g_state_mu) {
  g_timer_gen++;
  g_tick_pending = false;
  if (g_head)
    g_last_tick_us = rtc_task_queue_now_us(g_head->queue);
  tick_schedule_locked();
}

void rtc_sctp_set_timer_active(rtc_sctp_transport* t, bool active) {
  state_lock();
  if (t->timer_active != active) {
    t->timer_active = active;
    if (active) {
      if (g_active++ == 0 && !g_tick_pending && g_head)
        g_last_tick_us = rtc_task_queue_now_us(g_head->queue);
      tick_schedule_locked();
    } else {
      g_active--;
    }
  }
  state_unlock();
}

/* --- The registry --- */

void rtc_sctp_registry_add(rtc_sctp_transport* t) {
  state_lock();
  do {
    if (++g_next_id == 0)
      g_next_id = 1; /* usrsctp_connect refuses address 0 */
  } while (find_locked(g_next_id));
  t->id = g_next_id;
  rtc_sctp_transport** bucket = id_bucket(t->id);
  t->id_next = *bucket;
  *bucket = t;
  t->reg_prev = g_tail;
  t->reg_next = NULL;
  if (g_tail)
    g_tail->reg_next = t;
  else
    g_head = t;
  g_tail = t;
  state_unlock();
}

rtc_sctp_packet* rtc_sctp_registry_remove(rtc_sctp_transport* t) {
  state_lock();
  if (t->timer_active) {
    t->timer_active = false;
    g_active--;
  }
  bool was_driver = g_head == t;
  if (t->reg_prev)
    t->reg_prev->reg_next = t->reg_next;
  else
    g_head = t->reg_next;
  if (t->reg_next)
    t->reg_next->reg_prev = t->reg_prev;
  else
    g_tail = t->reg_prev;
  t->reg_next = t->reg_prev = NULL;
  for (rtc_sctp_transport** p = id_bucket(t->id); *p; p = &(*p)->id_next) {
    if (*p == t) {
      *p = t->id_next;
      break;
    }
  }
  t->id_next = NULL;
  if (was_driver)
    timer_restart_locked();
  rtc_sctp_packet* packets = t->out_head;
  t->out_head = NULL;
  t->out_tail = &t->out_head;
  state_unlock();
  return packets;
}

rtc_sctp_packet* rtc_sctp_take_packets(rtc_sctp_transport* t) {
  state_lock();
  rtc_sctp_packet* packets = t->out_head;
  t->out_head = NULL;
  t->out_tail = &t->out_head;
  state_unlock();
  return packets;
}

bool rtc_sctp_has_packets(rtc_sctp_transport* t) {
  state_lock();
  bool any = t->out_head != NULL;
  state_unlock();
  return any;
}

void rtc_sctp_drain_started(rtc_sctp_transport* t) {
  state_lock();
  t->drain_posted = false;
  state_unlock();
}
