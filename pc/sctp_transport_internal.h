/*
 * Internals of the SCTP transport (pc/sctp_transport.h), shared by its
 * files:
 *   sctp_transport.c  the API, sending, stream resets, events to the
 *                     observer, the transport's lifetime
 *   sctp_receive.c    what usrsctp hands us: data (reassembly, PPIDs),
 *                     DCEP, notifications (association, stream resets)
 *   sctp_usrsctp.c    process-wide usrsctp state: init/finish, the lock
 *                     around every usrsctp call, the registry of
 *                     transports that usrsctp's callbacks go through, and
 *                     the timer
 *
 * Threads: everything here runs on the transport's queue unless it says
 * otherwise.
 */
#ifndef PC_SCTP_TRANSPORT_INTERNAL_H_
#define PC_SCTP_TRANSPORT_INTERNAL_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc/sctp_reset_guard.h"
#include "pc/sctp_transport.h"
#include "rtc_base/error.h"
#include "rtc_base/mutex.h"
#include "rtc_base/safety_flag.h"
#include "rtc_base/task_queue.h"
#include "rtc_base/thread_annotations.h"

struct socket; /* usrsctp's */

/* The buffer usrsctp_recvv() reads into (on the stack). */
#define RTC_SCTP_RECV_BUFFER_SIZE (64 * 1024)
/* webrtc-pc: maxRetransmits and maxPacketLifeTime are unsigned shorts. */
#define RTC_SCTP_MAX_PR_VALUE 65535
/* Channels live in pages of a two-level table indexed by stream id. */
#define RTC_SCTP_PAGE_BITS 8
#define RTC_SCTP_PAGE_SLOTS (1 << RTC_SCTP_PAGE_BITS)
#define RTC_SCTP_PAGE_COUNT (65536 / RTC_SCTP_PAGE_SLOTS)

/* A message waiting to be handed to usrsctp. */
typedef struct rtc_sctp_pending {
  struct rtc_sctp_pending* next;
  uint16_t sid;
  uint32_t ppid;
  bool control; /* DCEP: ordered, reliable, not in bufferedAmount */
  bool counted; /* its bytes are in the channel's bufferedAmount */
  bool started; /* a first part went to usrsctp: snd_flags are fixed */
  bool empty;   /* an empty message: its one byte is not the application's */
  uint16_t snd_flags;
  size_t size; /* on the wire (1 for an empty message) */
  size_t offset;
  rtc_sctp_message_tag tag; /* a received message's taker's */
  uint8_t data[];
} rtc_sctp_pending;

typedef enum rtc_sctp_channel_state {
  RTC_SCTP_CH_WAITING, /* the association is not up yet */
  RTC_SCTP_CH_OPENING, /* in-band: OPEN queued, waiting for the ACK */
  RTC_SCTP_CH_OPEN,
} rtc_sctp_channel_state;

typedef struct rtc_sctp_channel {
  uint16_t id;
  rtc_sctp_channel_state state;
  bool ordered;
  uint16_t pr_policy; /* 0, SCTP_PR_SCTP_RTX or SCTP_PR_SCTP_TTL */
  uint32_t pr_value;
  bool negotiated;
  bool announced;  /* the observer knows this stream id */
  bool peer_heard; /* RFC 8832 §6: ACK or any message received */
  rtc_sctp_pending* deferred_open; /* OPEN waiting for the association */
  size_t buffered;                 /* user bytes queued, not yet in usrsctp */
  uint64_t bytes_sent;             /* user bytes handed to usrsctp, ever */
  size_t queued;                   /* our messages queued on this stream */
  bool dirty;                      /* buffered went down: report it */
  struct rtc_sctp_channel* next_dirty;
  bool closing; /* we want our outgoing stream reset */
  bool out_reset_sent;
  bool out_reset_done;
  bool in_reset_done;
} rtc_sctp_channel;

typedef struct rtc_sctp_channel_page {
  rtc_sctp_channel* slot[RTC_SCTP_PAGE_SLOTS];
  size_t count;
} rtc_sctp_channel_page;

typedef struct rtc_sctp_packet {
  struct rtc_sctp_packet* next;
  size_t size;
  uint8_t data[];
} rtc_sctp_packet;

typedef enum rtc_sctp_event_type {
  RTC_SCTP_EV_STATE,
  RTC_SCTP_EV_OPENED_BY_PEER,
  RTC_SCTP_EV_OPEN,
  RTC_SCTP_EV_MESSAGE,
  RTC_SCTP_EV_BUFFERED,
  RTC_SCTP_EV_CLOSED,
  RTC_SCTP_EV_ERROR,
} rtc_sctp_event_type;

typedef struct rtc_sctp_event {
  struct rtc_sctp_event* next;
  rtc_sctp_event_type type;
  uint16_t sid;
  rtc_sctp_state state;
  bool binary;
  size_t size;               /* RTC_SCTP_EV_BUFFERED: the amount */
  rtc_sctp_message* message; /* RTC_SCTP_EV_MESSAGE's, until dispatched */
  union {
    rtc_data_channel_params params;
    rtc_error_info error;
  } u;
  uint8_t inline_data[]; /* channel strings */
} rtc_sctp_event;

struct rtc_sctp_transport {
  /* Guarded by the registry lock (sctp_usrsctp.c). */
  rtc_sctp_transport* reg_next;
  rtc_sctp_transport* reg_prev;
  rtc_sctp_transport* id_next; /* the next in its bucket of the id index */
  uintptr_t id;
  rtc_sctp_packet* out_head;
  rtc_sctp_packet** out_tail;
  bool drain_posted;
  bool timer_active;

  /* Owner queue only. */
  rtc_task_queue* queue;
  rtc_safety_flag* flag;
  rtc_sctp_transport_config config;
  rtc_sctp_transport_observer observer;
  void* user;
  struct socket* sock;
  bool registered; /* address known to usrsctp */
  bool in_call;    /* inside one of our usrsctp calls */
  rtc_sctp_state state;
  bool started;
  /* RFC 8832 §6 stream parity: set once the DTLS role is known. */
  bool dtls_role_known;
  bool dtls_client;
  uint16_t remote_port;
  uint64_t max_message_size;
  uint16_t max_channels;
  rtc_sctp_channel_page* pages[RTC_SCTP_PAGE_COUNT];
  size_t resets_wanted;
  rtc_sctp_pending* send_head;
  rtc_sctp_pending** send_tail;
  rtc_sctp_channel* dirty_head;
  uint8_t* partial;
  size_t partial_len;
  size_t partial_cap;
  uint16_t partial_sid;
  uint32_t partial_ppid;
  bool partial_active;
  bool skip_notification;
  rtc_sctp_reset_guard reset_guard; /* DC-07: deferred stream resets */
  rtc_sctp_event* ev_head;
  rtc_sctp_event** ev_tail;
  /* Preallocated: a failure is reported even without memory. */
  rtc_sctp_event* error_ev;
  rtc_sctp_event* closed_ev; /* preallocated on_state(CLOSED) */
  bool processing;
  bool process_again;
  /* Between rtc_sctp_transport_cork and _uncork: sends are queued, not
   * handed to usrsctp. */
  bool corked;
  /* SCTP_NODELAY is off on the socket (push_pending: while more messages
   * follow, usrsctp may bundle them). */
  bool nagle;
  bool delivering;
  bool deliver_posted;
  bool destroyed;
};

/* --- sctp_usrsctp.c (any thread unless said otherwise) --- */

/* Held around every call into usrsctp. */
extern rtc_mutex rtc_sctp_usrsctp_mu;

/* Takes rtc_sctp_usrsctp_mu. `t` (may be NULL) is the transport making the
 * call, on its queue: usrsctp's callbacks for it are then left to it (it
 * runs process() after the call) instead of posting a task. */
void rtc_sctp_usrsctp_lock(rtc_sctp_transport* t)
    RTC_ACQUIRE(rtc_sctp_usrsctp_mu);
void rtc_sctp_usrsctp_unlock(rtc_sctp_transport* t)
    RTC_RELEASE(rtc_sctp_usrsctp_mu);
/* Initializes usrsctp for the first user; the last release finishes it
 * (when usrsctp_finish() agrees). */
void rtc_sctp_usrsctp_acquire(void) RTC_EXCLUDES(rtc_sctp_usrsctp_mu);
void rtc_sctp_usrsctp_release(void) RTC_EXCLUDES(rtc_sctp_usrsctp_mu);

struct socket;        /* usrsctp's */
struct sockaddr_conn; /* usrsctp's */

/* How rtcbox runs usrsctp, in three parts that test/bench/sctp_ceiling
 * shares so that its ceilings run usrsctp exactly as rtcbox does: the
 * stack's settings (once, after usrsctp_init_nothreads), a new socket's
 * options, and the path to the peer (after connect). False (logged) when
 * usrsctp refuses an option. */
void rtc_sctp_configure_usrsctp(void) RTC_REQUIRES(rtc_sctp_usrsctp_mu);
bool rtc_sctp_configure_socket(struct socket* sock)
    RTC_REQUIRES(rtc_sctp_usrsctp_mu);
bool rtc_sctp_configure_path(struct socket* sock,
                             const struct sockaddr_conn* remote)
    RTC_REQUIRES(rtc_sctp_usrsctp_mu);

/* Makes usrsctp tell `t` (its socket) when the socket has something to
 * read, room to write or an error. */
bool rtc_sctp_set_upcall(rtc_sctp_transport* t)
    RTC_REQUIRES(rtc_sctp_usrsctp_mu);
/* Gives `t` its id (its AF_CONN address) and makes usrsctp's callbacks
 * find it. */
void rtc_sctp_registry_add(rtc_sctp_transport* t);
/* The callbacks no longer find `t`; the timer moves to the next transport
 * if `t` drove it. Returns the packets left for `t` (transfer full). */
rtc_sctp_packet* rtc_sctp_registry_remove(rtc_sctp_transport* t);
/* Takes the packets usrsctp produced for `t` (transfer full). */
rtc_sctp_packet* rtc_sctp_take_packets(rtc_sctp_transport* t);
bool rtc_sctp_has_packets(rtc_sctp_transport* t);
/* The drain task of `t` started: the next callback posts a new one. */
void rtc_sctp_drain_started(rtc_sctp_transport* t);
/* Counts `t` among the associations the timer runs for. */
void rtc_sctp_set_timer_active(rtc_sctp_transport* t, bool active);

/* --- sctp_transport.c --- */

/* The task the callbacks post: process() and deliver(). */
void rtc_sctp_drain_task(void* arg);

rtc_sctp_channel* rtc_sctp_channel_find(const rtc_sctp_transport* t,
                                        uint16_t sid);
/* NULL without memory. */
rtc_sctp_channel* rtc_sctp_channel_new(rtc_sctp_transport* t, uint16_t sid);
void rtc_sctp_channel_free(rtc_sctp_transport* t, rtc_sctp_channel* ch);
/* Calls fn on every channel in stream id order; fn may free the channel it
 * is given. */
void rtc_sctp_for_each_channel(rtc_sctp_transport* t,
                               void (*fn)(rtc_sctp_transport*,
                                          rtc_sctp_channel*));
/* Wants the channel's outgoing stream reset (RFC 8831 §6.7). */
void rtc_sctp_channel_close(rtc_sctp_transport* t, rtc_sctp_channel* ch);
bool rtc_sctp_channel_needs_reset(const rtc_sctp_channel* ch);

/* A message for the send queue: `size` bytes of `data` (NULL: left
 * uninitialized), or one zero byte when size is 0. NULL without memory.
 * Freed with rtc_sctp_message_free (it is an rtc_sctp_message). */
rtc_sctp_pending* rtc_sctp_pending_new(uint16_t sid,
                                       uint32_t ppid,
                                       const uint8_t* data,
                                       size_t size);
void rtc_sctp_enqueue(rtc_sctp_transport* t, rtc_sctp_pending* m);

/* An event with `extra` bytes of inline_data; NULL without memory. */
rtc_sctp_event* rtc_sctp_event_new(rtc_sctp_event_type type,
                                   uint16_t sid,
                                   size_t extra);
void rtc_sctp_event_free(rtc_sctp_event* ev);
void rtc_sctp_push_event(rtc_sctp_transport* t, rtc_sctp_event* ev);
/* Queues `ev`; NULL (no memory) fails the association instead. */
void rtc_sctp_emit(rtc_sctp_transport* t, rtc_sctp_event* ev);
void rtc_sctp_emit_simple(rtc_sctp_transport* t,
                          rtc_sctp_event_type type,
                          uint16_t sid);

/* The association is over: state CLOSED, queues dropped, socket closed
 * (aborting the association if it is still up). Unless `error` is RTC_OK,
 * on_error comes first. */
void rtc_sctp_set_closed(rtc_sctp_transport* t,
                         rtc_error error,
                         int32_t cause,
                         const char* message);
/* A failure on our side: aborts the association (sctp-failure). */
void rtc_sctp_fail(rtc_sctp_transport* t, const char* message);

/* --- sctp_receive.c --- */

/* Reads and handles everything usrsctp has for `t`. */
void rtc_sctp_read_socket(rtc_sctp_transport* t);
/* The association is up: opens `ch` (negotiated) or sends its OPEN. */
void rtc_sctp_announce_channel(rtc_sctp_transport* t, rtc_sctp_channel* ch);

static inline uint32_t rtc_sctp_clamp_pr(uint32_t value) {
  return value > RTC_SCTP_MAX_PR_VALUE ? RTC_SCTP_MAX_PR_VALUE : value;
}

#endif  // PC_SCTP_TRANSPORT_INTERNAL_H_
