/*
 * SCTP over DTLS with usrsctp (RFC 8261), data channels (RFC 8831) and DCEP
 * (RFC 8832): the API, the send queue, stream resets, the events to the
 * observer and the transport's lifetime. See sctp_transport_internal.h for
 * how the files share the work, sctp_usrsctp.c for how usrsctp is driven.
 *
 * Observer callbacks run on the owner queue with no lock held, from a queue
 * of events (deliver()), never from inside a usrsctp call nor from inside
 * an API call other than rtc_sctp_transport_receive(): the other calls
 * post a task for their events.
 *
 * Caveat: usrsctp reads the wall clock (gettimeofday) for RTT samples, for
 * which chunks a T3 timeout retransmits, for heartbeats and for PR-SCTP
 * lifetimes (maxPacketLifeTime); only its timers run on the queue's clock.
 * That is right on real queues; tests on simulated time make usrsctp's
 * wall clock follow the simulated one.
 */
#include "pc/sctp_transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <usrsctp.h>

#include "pc/dcep.h"
#include "pc/sctp_transport_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"
#include "rtc_base/mutex.h"
#include "rtc_base/safety_flag.h"

/* The biggest SCTP packet, as in libwebrtc: a 1280-byte IPv6 MTU minus
 * IPv6 (40), UDP (8), GCM (24), DTLS record header (13) and TURN
 * ChannelData (4). usrsctp's path MTU excludes the 12-byte common header. */
#define SCTP_MTU 1191
/* RFC 8841 §6.1: without a=max-message-size, assume 64 KiB. */
#define DEFAULT_REMOTE_MAX_MESSAGE_SIZE (64 * 1024)
#define DEFAULT_MAX_BUFFERED_AMOUNT ((size_t)16 * 1024 * 1024)
#define RESET_BATCH 64

/* ------------------------------------------------------------------ */
/* Channels                                                           */
/* ------------------------------------------------------------------ */

rtc_sctp_channel* rtc_sctp_channel_find(const rtc_sctp_transport* t,
                                        uint16_t sid) {
  const rtc_sctp_channel_page* page = t->pages[sid >> RTC_SCTP_PAGE_BITS];
  return page ? page->slot[sid & (RTC_SCTP_PAGE_SLOTS - 1)] : NULL;
}

rtc_sctp_channel* rtc_sctp_channel_new(rtc_sctp_transport* t, uint16_t sid) {
  rtc_sctp_channel_page** page = &t->pages[sid >> RTC_SCTP_PAGE_BITS];
  bool new_page = false;
  if (!*page) {
    *page = rtc_calloc(1, sizeof(**page));
    if (!*page)
      return NULL;
    new_page = true;
  }
  rtc_sctp_channel* ch = rtc_calloc(1, sizeof(*ch));
  if (!ch) {
    if (new_page) {
      rtc_free(*page);
      *page = NULL;
    }
    return NULL;
  }
  ch->id = sid;
  ch->ordered = true;
  (*page)->slot[sid & (RTC_SCTP_PAGE_SLOTS - 1)] = ch;
  (*page)->count++;
  return ch;
}

bool rtc_sctp_channel_needs_reset(const rtc_sctp_channel* ch) {
  return ch->closing && !ch->out_reset_sent && !ch->out_reset_done;
}

void rtc_sctp_channel_free(rtc_sctp_transport* t, rtc_sctp_channel* ch) {
  if (ch->dirty) {
    for (rtc_sctp_channel** p = &t->dirty_head; *p; p = &(*p)->next_dirty) {
      if (*p == ch) {
        *p = ch->next_dirty;
        break;
      }
    }
  }
  if (rtc_sctp_channel_needs_reset(ch))
    t->resets_wanted--;
  rtc_sctp_channel_page** page = &t->pages[ch->id >> RTC_SCTP_PAGE_BITS];
  (*page)->slot[ch->id & (RTC_SCTP_PAGE_SLOTS - 1)] = NULL;
  if (--(*page)->count == 0) {
    rtc_free(*page);
    *page = NULL;
  }
  rtc_sctp_message_free(ch->deferred_open);
  rtc_free(ch);
}

void rtc_sctp_for_each_channel(rtc_sctp_transport* t,
                               void (*fn)(rtc_sctp_transport*,
                                          rtc_sctp_channel*)) {
  for (size_t p = 0; p < RTC_SCTP_PAGE_COUNT; p++) {
    for (size_t s = 0; t->pages[p] && s < RTC_SCTP_PAGE_SLOTS; s++) {
      rtc_sctp_channel* ch = t->pages[p]->slot[s];
      if (ch)
        fn(t, ch);
    }
  }
}

void rtc_sctp_channel_close(rtc_sctp_transport* t, rtc_sctp_channel* ch) {
  if (ch->closing)
    return;
  ch->closing = true;
  if (rtc_sctp_channel_needs_reset(ch))
    t->resets_wanted++;
}

static void mark_dirty(rtc_sctp_transport* t, rtc_sctp_channel* ch) {
  if (ch->dirty)
    return;
  ch->dirty = true;
  ch->next_dirty = t->dirty_head;
  t->dirty_head = ch;
}

/* ------------------------------------------------------------------ */
/* Events                                                             */
/* ------------------------------------------------------------------ */

rtc_sctp_event* rtc_sctp_event_new(rtc_sctp_event_type type,
                                   uint16_t sid,
                                   size_t extra) {
  if (extra > SIZE_MAX - sizeof(rtc_sctp_event))
    return NULL;
  rtc_sctp_event* ev = rtc_malloc(sizeof(rtc_sctp_event) + extra);
  if (!ev)
    return NULL;
  memset(ev, 0, sizeof(*ev));
  ev->type = type;
  ev->sid = sid;
  return ev;
}

void rtc_sctp_event_free(rtc_sctp_event* ev) {
  if (!ev)
    return;
  rtc_sctp_message_free(ev->message);
  rtc_free(ev);
}

void rtc_sctp_push_event(rtc_sctp_transport* t, rtc_sctp_event* ev) {
  ev->next = NULL;
  *t->ev_tail = ev;
  t->ev_tail = &ev->next;
}

static void drop_pending(rtc_sctp_transport* t);
static void close_socket(rtc_sctp_transport* t);

/* The association is over: CLOSED, nothing more goes out. With `error`
 * (RTC_OK: a clean end), on_error comes before on_state(CLOSED). */
void rtc_sctp_set_closed(rtc_sctp_transport* t,
                         rtc_error error,
                         int32_t cause,
                         const char* message) {
  if (t->state == RTC_SCTP_CLOSED)
    return;
  t->state = RTC_SCTP_CLOSED;
  rtc_sctp_set_timer_active(t, false);
  drop_pending(t);
  rtc_free(t->partial);
  t->partial = NULL;
  t->partial_len = t->partial_cap = 0;
  t->partial_active = false;
  if (error != RTC_OK && t->error_ev) {
    rtc_sctp_event* ev = t->error_ev;
    t->error_ev = NULL;
    rtc_error_info_init(&ev->u.error);
    rtc_error_set(&ev->u.error, error, "%s", message);
    ev->u.error.sctp_cause_code = cause;
    rtc_sctp_push_event(t, ev);
  }
  if (t->closed_ev) {
    rtc_sctp_event* ev = t->closed_ev;
    t->closed_ev = NULL;
    ev->state = RTC_SCTP_CLOSED;
    rtc_sctp_push_event(t, ev);
  }
  /* Abort whatever is left (SO_LINGER 0 sends an ABORT, User-Initiated
   * Abort cause, if the association is still up) and free usrsctp's
   * association now. */
  close_socket(t);
}

/* A failure on our side (out of memory, a message over our limit): abort
 * the association. The ABORT carries cause 12, User-Initiated Abort. */
void rtc_sctp_fail(rtc_sctp_transport* t, const char* message) {
  RTC_LOG(WARNING, "sctp: aborting the association: %s", message);
  rtc_sctp_set_closed(t, RTC_ERR_SCTP_FAILURE, 12, message);
}

/* Queues an event; without memory the association fails (the failure
 * itself needs none). */
void rtc_sctp_emit(rtc_sctp_transport* t, rtc_sctp_event* ev) {
  if (!ev) {
    rtc_sctp_fail(t, "out of memory");
    return;
  }
  rtc_sctp_push_event(t, ev);
}

void rtc_sctp_emit_simple(rtc_sctp_transport* t,
                          rtc_sctp_event_type type,
                          uint16_t sid) {
  rtc_sctp_emit(t, rtc_sctp_event_new(type, sid, 0));
}

/* ------------------------------------------------------------------ */
/* usrsctp I/O on the owner queue                                     */
/* ------------------------------------------------------------------ */

static void close_socket(rtc_sctp_transport* t) {
  if (!t->sock)
    return;
  rtc_sctp_usrsctp_lock(t);
  usrsctp_close(t->sock);
  rtc_sctp_usrsctp_unlock(t);
  t->sock = NULL;
  t->nagle = false; /* a new socket starts with SCTP_NODELAY on */
}

/* Messages are made on the signaling thread and freed on the network
 * thread: rtc_handoff_malloc, whose blocks go back to their own thread. */
rtc_sctp_message* rtc_sctp_message_new(size_t size) {
  size_t wire = size ? size : 1;
  if (wire > SIZE_MAX - sizeof(rtc_sctp_pending))
    return NULL;
  rtc_sctp_pending* m = rtc_handoff_malloc(sizeof(rtc_sctp_pending) + wire);
  if (!m)
    return NULL;
  memset(m, 0, sizeof(*m));
  m->size = wire;
  m->empty = size == 0;
  if (!size)
    m->data[0] = 0; /* RFC 8831 §6.6: an empty message is one zero byte */
  return m;
}

uint8_t* rtc_sctp_message_data(rtc_sctp_message* message) {
  return message->data;
}

size_t rtc_sctp_message_size(const rtc_sctp_message* message) {
  return message->empty ? 0 : message->size;
}

void rtc_sctp_message_free(rtc_sctp_message* message) {
  rtc_handoff_free(message);
}

rtc_sctp_message_tag* rtc_sctp_message_tag_of(rtc_sctp_message* message) {
  return &message->tag;
}

rtc_sctp_pending* rtc_sctp_pending_new(uint16_t sid,
                                       uint32_t ppid,
                                       const uint8_t* data,
                                       size_t size) {
  rtc_sctp_pending* m = rtc_sctp_message_new(size);
  if (!m)
    return NULL;
  m->sid = sid;
  m->ppid = ppid;
  if (size && data)
    memcpy(m->data, data, size);
  return m;
}

void rtc_sctp_enqueue(rtc_sctp_transport* t, rtc_sctp_pending* m) {
  m->next = NULL;
  *t->send_tail = m;
  t->send_tail = &m->next;
}

static void drop_pending(rtc_sctp_transport* t) {
  rtc_sctp_pending* m = t->send_head;
  while (m) {
    rtc_sctp_pending* next = m->next;
    rtc_sctp_channel* ch = rtc_sctp_channel_find(t, m->sid);
    if (ch) {
      ch->queued = 0;
      ch->buffered = 0;
    }
    rtc_sctp_message_free(m);
    m = next;
  }
  t->send_head = NULL;
  t->send_tail = &t->send_head;
}

/* The largest message (what is left of it) handed to usrsctp with Nagle
 * on when more follow: two fit in a packet (SCTP_MTU). */
#define NAGLE_MAX_SIZE 512

/* SCTP_NODELAY off (`nagle`) or on. usrsctp's Nagle holds data back only
 * while some is in flight and less than a packet is waiting; a send with
 * SCTP_NODELAY on sends everything waiting. */
static void set_nagle(rtc_sctp_transport* t, bool nagle) {
  if (t->nagle == nagle || !t->sock)
    return;
  const uint32_t nodelay = nagle ? 0 : 1;
  rtc_sctp_usrsctp_lock(t);
  int ret = usrsctp_setsockopt(t->sock, IPPROTO_SCTP, SCTP_NODELAY, &nodelay,
                               sizeof(nodelay));
  int err = errno;
  rtc_sctp_usrsctp_unlock(t);
  if (ret < 0) {
    RTC_LOG(WARNING, "sctp: SCTP_NODELAY %u: %s", nodelay, strerror(err));
    return;
  }
  t->nagle = nagle;
}

/* push_pending's loop. */
static void push_pending_messages(rtc_sctp_transport* t) {
  while (t->send_head && t->sock && t->state == RTC_SCTP_CONNECTED) {
    rtc_sctp_pending* m = t->send_head;
    /* Nagle only where two messages can share a packet: bigger ones fill
     * their own (and each switch is a setsockopt, made again for every
     * SACK while a long queue drains). */
    set_nagle(t, m->next != NULL && m->size - m->offset <= NAGLE_MAX_SIZE);
    rtc_sctp_channel* ch = rtc_sctp_channel_find(t, m->sid);
    RTC_CHECK(ch); /* a channel outlives its queued messages */
    if (!m->started) {
      m->snd_flags = SCTP_EOR;
      /* RFC 8832 §6: "before the DATA_CHANNEL_ACK message or any other
       * message has been received on a data channel, all other messages
       * containing user data and belonging to this data channel MUST be
       * sent ordered, no matter whether the data channel is ordered or
       * not." */
      if (!m->control && !ch->ordered && ch->peer_heard)
        m->snd_flags |= SCTP_UNORDERED;
      m->started = true;
    }
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof(spa));
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = m->sid;
    spa.sendv_sndinfo.snd_ppid = htonl(m->ppid);
    /* With SCTP_EXPLICIT_EOR usrsctp may take part of the message; the
     * rest goes in later calls, the last one ending it (SCTP_EOR). */
    spa.sendv_sndinfo.snd_flags = m->snd_flags;
    if (!m->control && ch->pr_policy) {
      spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
      spa.sendv_prinfo.pr_policy = ch->pr_policy;
      spa.sendv_prinfo.pr_value = ch->pr_value;
    }
    rtc_sctp_usrsctp_lock(t);
    ssize_t n =
        usrsctp_sendv(t->sock, m->data + m->offset, m->size - m->offset, NULL,
                      0, &spa, (socklen_t)sizeof(spa), SCTP_SENDV_SPA, 0);
    int err = errno;
    rtc_sctp_usrsctp_unlock(t);
    size_t accepted = 0;
    if (n < 0) {
      if (err == EWOULDBLOCK || err == EAGAIN)
        return; /* the upcall tells when there is room */
      RTC_LOG(WARNING, "sctp: usrsctp_sendv on stream %u: %s (dropped)", m->sid,
              strerror(err));
      accepted = m->size - m->offset;
    } else {
      accepted = (size_t)n;
    }
    if (accepted > m->size - m->offset)
      accepted = m->size - m->offset;
    m->offset += accepted;
    if (m->counted && accepted) {
      ch->buffered -= accepted;
      ch->bytes_sent += accepted;
      mark_dirty(t, ch);
    }
    if (m->offset < m->size)
      return; /* usrsctp is full */
    t->send_head = m->next;
    if (!t->send_head)
      t->send_tail = &t->send_head;
    ch->queued--;
    rtc_sctp_message_free(m);
  }
}

/* Hands queued messages to usrsctp until it has no room. Every message but
 * the last goes with Nagle on, so that usrsctp bundles what fits in a
 * packet; the last one with SCTP_NODELAY, which sends it all. */
static void push_pending(rtc_sctp_transport* t) {
  push_pending_messages(t);
  /* Whatever stopped the loop: nothing is held back afterwards (what
   * usrsctp still holds goes with the SACKs of what is in flight). */
  set_nagle(t, false);
}

/* RFC 8831 §6.7: "Closing of a data channel MUST be signaled by resetting
 * the corresponding outgoing streams", once what was queued on it went
 * out (usrsctp itself holds the reset until its own queue drained). */
static void send_resets(rtc_sctp_transport* t) {
  if (!t->resets_wanted || !t->sock || t->state != RTC_SCTP_CONNECTED)
    return;
  union {
    struct sctp_reset_streams srs;
    uint8_t bytes[sizeof(struct sctp_reset_streams) +
                  RESET_BATCH * sizeof(uint16_t)];
  } buf;
  rtc_sctp_channel* batch[RESET_BATCH];
  size_t count = 0;
  for (size_t p = 0; p < RTC_SCTP_PAGE_COUNT && count < RESET_BATCH; p++) {
    for (size_t s = 0;
         t->pages[p] && s < RTC_SCTP_PAGE_SLOTS && count < RESET_BATCH; s++) {
      rtc_sctp_channel* ch = t->pages[p]->slot[s];
      if (ch && rtc_sctp_channel_needs_reset(ch) && ch->queued == 0)
        batch[count++] = ch;
    }
  }
  if (count == 0)
    return;
  memset(&buf, 0, sizeof(buf));
  buf.srs.srs_assoc_id = SCTP_ALL_ASSOC;
  buf.srs.srs_flags = SCTP_STREAM_RESET_OUTGOING;
  buf.srs.srs_number_streams = (uint16_t)count;
  for (size_t i = 0; i < count; i++)
    buf.srs.srs_stream_list[i] = batch[i]->id;
  socklen_t len =
      (socklen_t)(sizeof(struct sctp_reset_streams) + count * sizeof(uint16_t));
  rtc_sctp_usrsctp_lock(t);
  int ret = usrsctp_setsockopt(t->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS,
                               &buf.srs, len);
  int err = errno;
  rtc_sctp_usrsctp_unlock(t);
  if (ret < 0) {
    /* Retried the next time this transport processes input. */
    RTC_LOG(VERBOSE, "sctp: SCTP_RESET_STREAMS: %s", strerror(err));
    return;
  }
  for (size_t i = 0; i < count; i++) {
    batch[i]->out_reset_sent = true;
    t->resets_wanted--;
  }
}

/* Sends the packets usrsctp produced for us. `send` must not destroy the
 * transport. */
static void flush_packets(rtc_sctp_transport* t) {
  for (;;) {
    rtc_sctp_packet* p = rtc_sctp_take_packets(t);
    if (!p)
      return;
    while (p) {
      rtc_sctp_packet* next = p->next;
      rtc_sctp_reset_guard_outgoing(&t->reset_guard, p->data, p->size);
      t->config.send(t->config.send_user, p->data, p->size);
      rtc_free(p);
      p = next;
    }
  }
}

static void emit_buffered(rtc_sctp_transport* t) {
  while (t->dirty_head) {
    rtc_sctp_channel* ch = t->dirty_head;
    t->dirty_head = ch->next_dirty;
    ch->dirty = false;
    ch->next_dirty = NULL;
    rtc_sctp_event* ev = rtc_sctp_event_new(RTC_SCTP_EV_BUFFERED, ch->id, 0);
    if (ev)
      ev->size = ch->buffered;
    rtc_sctp_emit(t, ev);
  }
}

/* Runs usrsctp's side of things: sends its packets, reads what it has,
 * feeds it our queued messages and stream resets. Owner queue. */
static void process(rtc_sctp_transport* t) {
  if (t->processing) {
    t->process_again = true;
    return;
  }
  t->processing = true;
  do {
    t->process_again = false;
    flush_packets(t);
    if (t->sock && t->started) {
      rtc_sctp_read_socket(t);
      push_pending(t);
      send_resets(t);
    }
    flush_packets(t);
  } while (t->process_again || rtc_sctp_has_packets(t));
  emit_buffered(t);
  t->processing = false;
}

static void transport_free(rtc_sctp_transport* t);

static void dispatch(rtc_sctp_transport* t, rtc_sctp_event* ev) {
  const rtc_sctp_transport_observer* o = &t->observer;
  switch (ev->type) {
    case RTC_SCTP_EV_STATE:
      if (o->on_state)
        o->on_state(t->user, ev->state);
      break;
    case RTC_SCTP_EV_OPENED_BY_PEER:
      if (o->on_channel_opened_by_peer)
        o->on_channel_opened_by_peer(t->user, ev->sid, &ev->u.params);
      break;
    case RTC_SCTP_EV_OPEN:
      if (o->on_channel_open)
        o->on_channel_open(t->user, ev->sid);
      break;
    case RTC_SCTP_EV_MESSAGE:
      if (o->on_message) {
        rtc_sctp_message* message = ev->message;
        ev->message = NULL;
        o->on_message(t->user, ev->sid, ev->binary, message);
      }
      break;
    case RTC_SCTP_EV_BUFFERED: {
      /* The amount at delivery, not when the event was queued: events of
       * an API call are posted, so sends accepted in between already count
       * in what the observer was told (rtc_sctp_transport_send returned
       * OK), and a stale, smaller amount would make it take those sends
       * for sent (pc_network turned it into bufferedAmount 0 with 2 MiB
       * still queued: data_channel_unittest
       * BufferedAmountGrowsBySendAndFallsAsDataLeaves). */
      const rtc_sctp_channel* ch = rtc_sctp_channel_find(t, ev->sid);
      size_t amount = ch ? ch->buffered : ev->size;
      if (o->on_buffered_amount)
        o->on_buffered_amount(t->user, ev->sid, amount);
      break;
    }
    case RTC_SCTP_EV_CLOSED:
      if (o->on_channel_closed)
        o->on_channel_closed(t->user, ev->sid);
      break;
    case RTC_SCTP_EV_ERROR:
      if (o->on_error)
        o->on_error(t->user, &ev->u.error);
      break;
  }
}

/* Calls the observer for every queued event. Returns true when the
 * observer destroyed the transport (it is freed then). */
static bool deliver(rtc_sctp_transport* t) {
  if (t->delivering || t->destroyed)
    return false;
  t->delivering = true;
  while (t->ev_head) {
    rtc_sctp_event* ev = t->ev_head;
    t->ev_head = ev->next;
    if (!t->ev_head)
      t->ev_tail = &t->ev_head;
    dispatch(t, ev);
    rtc_sctp_event_free(ev);
    if (t->destroyed) {
      transport_free(t);
      return true;
    }
  }
  t->delivering = false;
  return false;
}

static void deliver_task(void* arg) {
  rtc_sctp_transport* t = arg;
  t->deliver_posted = false;
  deliver(t);
}

/* After an API call: events go out from a task, never from inside the
 * call. */
static void post_deliver(rtc_sctp_transport* t) {
  if (!t->ev_head || t->delivering || t->deliver_posted)
    return;
  rtc_task task = {deliver_task, NULL, t};
  rtc_error err = rtc_task_queue_post_guarded(t->queue, t->flag, 0, task);
  if (err == RTC_OK)
    t->deliver_posted = true;
  else if (err == RTC_ERR_CLOSED) /* its network thread is stopping */
    RTC_LOG(VERBOSE, "sctp: the queue of the events is stopping");
  else
    RTC_LOG(WARNING, "sctp: cannot post events (%s)", rtc_error_name(err));
}

void rtc_sctp_drain_task(void* arg) {
  rtc_sctp_transport* t = arg;
  rtc_sctp_drain_started(t);
  process(t);
  deliver(t);
}

/* ------------------------------------------------------------------ */
/* API                                                                */
/* ------------------------------------------------------------------ */

void rtc_sctp_transport_config_init(rtc_sctp_transport_config* config) {
  memset(config, 0, sizeof(*config));
  config->local_port = RTC_SCTP_DEFAULT_PORT;
  config->max_message_size = RTC_SCTP_MAX_MESSAGE_SIZE;
  config->max_buffered_amount = DEFAULT_MAX_BUFFERED_AMOUNT;
}

static struct sockaddr_conn conn_address(const rtc_sctp_transport* t,
                                         uint16_t port) {
  struct sockaddr_conn sconn;
  memset(&sconn, 0, sizeof(sconn));
  sconn.sconn_family = AF_CONN;
  sconn.sconn_port = htons(port);
  sconn.sconn_addr = (void*)t->id;
  return sconn;
}

static bool set_option(struct socket* sock,
                       int level,
                       int name,
                       const void* value,
                       socklen_t len) RTC_REQUIRES(rtc_sctp_usrsctp_mu) {
  if (usrsctp_setsockopt(sock, level, name, value, len) == 0)
    return true;
  RTC_LOG(ERROR, "sctp: setsockopt(%d, 0x%x): %s", level, name,
          strerror(errno));
  return false;
}

bool rtc_sctp_configure_socket(struct socket* sock) {
  if (usrsctp_set_non_blocking(sock, 1) < 0)
    return false;
  /* Closing aborts the association: nothing lingers after destroy. */
  const struct linger abort_on_close = {1, 0};
  const struct sctp_assoc_value reset = {SCTP_FUTURE_ASSOC,
                                         SCTP_ENABLE_RESET_STREAM_REQ};
  const uint32_t on = 1;
  const int int_on = 1;
  const int interleave = 0;
  const struct sctp_initmsg init = {RTC_SCTP_DEFAULT_STREAMS,
                                    RTC_SCTP_DEFAULT_STREAMS, 0, 0};
  /* usrsctp's default send and receive buffers (256 KiB, whatever a
   * distribution's build says) bound the window: 1 MiB each way, as
   * Firefox. They are limits, not allocations. */
  const int buffer = RTC_SCTP_SOCKET_BUFFER;
  if (!set_option(sock, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer)) ||
      !set_option(sock, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer)) ||
      !set_option(sock, SOL_SOCKET, SO_LINGER, &abort_on_close,
                  sizeof(abort_on_close)) ||
      !set_option(sock, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset,
                  sizeof(reset)) ||
      !set_option(sock, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on)) ||
      !set_option(sock, IPPROTO_SCTP, SCTP_EXPLICIT_EOR, &on, sizeof(on)) ||
      !set_option(sock, IPPROTO_SCTP, SCTP_RECVRCVINFO, &int_on,
                  sizeof(int_on)) ||
      !set_option(sock, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, &interleave,
                  sizeof(interleave)) ||
      !set_option(sock, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init)))
    return false;
  static const uint16_t kEvents[] = {
      SCTP_ASSOC_CHANGE,          SCTP_PEER_ADDR_CHANGE,
      SCTP_REMOTE_ERROR,          SCTP_SHUTDOWN_EVENT,
      SCTP_ADAPTATION_INDICATION, SCTP_SEND_FAILED_EVENT,
      SCTP_STREAM_RESET_EVENT,    SCTP_SENDER_DRY_EVENT,
      SCTP_STREAM_CHANGE_EVENT,
  };
  for (size_t i = 0; i < sizeof(kEvents) / sizeof(kEvents[0]); i++) {
    struct sctp_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.se_assoc_id = SCTP_FUTURE_ASSOC;
    ev.se_type = kEvents[i];
    ev.se_on = 1;
    if (!set_option(sock, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev)))
      return false;
  }
  return true;
}

bool rtc_sctp_configure_path(struct socket* sock,
                             const struct sockaddr_conn* remote) {
  /* The MTU for DTLS over UDP, without path MTU discovery (usrsctp has
   * none without ICMP); only effective once connecting. */
  struct sctp_paddrparams params;
  memset(&params, 0, sizeof(params));
  memcpy(&params.spp_address, remote, sizeof(*remote));
  params.spp_flags = SPP_PMTUD_DISABLE;
  params.spp_pathmtu = SCTP_MTU - sizeof(struct sctp_common_header);
  return set_option(sock, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &params,
                    sizeof(params));
}

static void teardown(rtc_sctp_transport* t);

static void free_channel_cb(rtc_sctp_transport* t, rtc_sctp_channel* ch) {
  rtc_sctp_channel_free(t, ch);
}

/* Frees what is left of a transport whose socket and registration are
 * gone. */
static void transport_free(rtc_sctp_transport* t) {
  drop_pending(t);
  rtc_sctp_for_each_channel(t, free_channel_cb);
  while (t->ev_head) {
    rtc_sctp_event* ev = t->ev_head;
    t->ev_head = ev->next;
    rtc_sctp_event_free(ev);
  }
  rtc_sctp_event_free(t->error_ev);
  rtc_sctp_event_free(t->closed_ev);
  rtc_free(t->partial);
  rtc_safety_flag_unref(t->flag);
  rtc_free(t);
}

rtc_error rtc_sctp_transport_create(rtc_task_queue* queue,
                                    const rtc_sctp_transport_config* config,
                                    const rtc_sctp_transport_observer* observer,
                                    void* user,
                                    rtc_sctp_transport** out) {
  if (out)
    *out = NULL;
  if (!queue || !config || !observer || !out || !config->send ||
      config->local_port == 0 || config->max_message_size == 0 ||
      config->max_buffered_amount == 0)
    return RTC_ERR_INVALID_ARGUMENT;
  RTC_DCHECK(rtc_task_queue_is_current(queue));
  rtc_sctp_transport* t = rtc_calloc(1, sizeof(*t));
  if (!t)
    return RTC_ERR_NO_MEMORY;
  t->queue = queue;
  t->config = *config;
  t->observer = *observer;
  t->user = user;
  t->state = RTC_SCTP_NEW;
  t->max_message_size = config->max_message_size;
  t->out_tail = &t->out_head;
  t->send_tail = &t->send_head;
  t->ev_tail = &t->ev_head;
  if (rtc_safety_flag_create(&t->flag) != RTC_OK)
    goto fail_alloc;
  t->error_ev = rtc_sctp_event_new(RTC_SCTP_EV_ERROR, 0, 0);
  t->closed_ev = rtc_sctp_event_new(RTC_SCTP_EV_STATE, 0, 0);
  if (!t->error_ev || !t->closed_ev)
    goto fail_alloc;

  rtc_sctp_usrsctp_acquire();
  rtc_sctp_registry_add(t);
  rtc_sctp_usrsctp_lock(t);
  usrsctp_register_address((void*)t->id);
  t->registered = true;
  t->sock =
      usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
  bool ok =
      t->sock && rtc_sctp_configure_socket(t->sock) && rtc_sctp_set_upcall(t);
  rtc_sctp_usrsctp_unlock(t);
  if (!ok) {
    RTC_LOG(ERROR, "sctp: usrsctp refused the socket: %s", strerror(errno));
    t->destroyed = true;
    teardown(t);
    transport_free(t);
    return RTC_ERR_SCTP_FAILURE;
  }
  *out = t;
  return RTC_OK;

fail_alloc:
  rtc_sctp_event_free(t->error_ev);
  rtc_sctp_event_free(t->closed_ev);
  rtc_safety_flag_unref(t->flag);
  rtc_free(t);
  return RTC_ERR_NO_MEMORY;
}

/* Closes the socket (SO_LINGER 0: usrsctp_close aborts the association
 * and the ABORT goes through conn_output into our inbox, still
 * registered), forgets the address and leaves the registry, then sends
 * what usrsctp left for us. */
static void teardown(rtc_sctp_transport* t) {
  rtc_safety_flag_set_not_alive(t->flag);
  close_socket(t);
  if (t->registered) {
    rtc_sctp_usrsctp_lock(t);
    usrsctp_deregister_address((void*)t->id);
    rtc_sctp_usrsctp_unlock(t);
    t->registered = false;
  }
  rtc_sctp_packet* p = rtc_sctp_registry_remove(t);
  while (p) {
    rtc_sctp_packet* next = p->next;
    t->config.send(t->config.send_user, p->data, p->size);
    rtc_free(p);
    p = next;
  }
  rtc_sctp_usrsctp_release();
}

void rtc_sctp_transport_destroy(rtc_sctp_transport* t) {
  if (!t)
    return;
  RTC_DCHECK(rtc_task_queue_is_current(t->queue));
  /* `send` must not destroy the transport: process() is not reentrant. */
  RTC_CHECK(!t->processing);
  if (t->destroyed)
    return;
  t->destroyed = true;
  teardown(t);
  if (t->delivering)
    return; /* deliver() frees it when the observer returns */
  transport_free(t);
}

/* The highest stream id of a channel, or -1 without channels. */
static int32_t highest_channel_id(const rtc_sctp_transport* t) {
  for (size_t p = RTC_SCTP_PAGE_COUNT; p-- > 0;) {
    for (size_t s = RTC_SCTP_PAGE_SLOTS; t->pages[p] && s-- > 0;) {
      if (t->pages[p]->slot[s])
        return (int32_t)t->pages[p]->slot[s]->id;
    }
  }
  return -1;
}

/* The streams the INIT announces each way (RTC_SCTP_DEFAULT_STREAMS). */
static uint16_t streams_to_announce(const rtc_sctp_transport* t) {
  int32_t needed = highest_channel_id(t) + 1;
  return needed > RTC_SCTP_DEFAULT_STREAMS ? (uint16_t)needed
                                           : RTC_SCTP_DEFAULT_STREAMS;
}

rtc_error rtc_sctp_transport_start(rtc_sctp_transport* t,
                                   uint16_t remote_port,
                                   uint64_t remote_max_message_size) {
  RTC_DCHECK(rtc_task_queue_is_current(t->queue));
  if (t->started || t->state != RTC_SCTP_NEW)
    return RTC_ERR_INVALID_STATE;
  if (remote_port == 0)
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_sctp_event* ev = rtc_sctp_event_new(RTC_SCTP_EV_STATE, 0, 0);
  if (!ev)
    return RTC_ERR_NO_MEMORY;
  ev->state = RTC_SCTP_CONNECTING;
  uint64_t remote = remote_max_message_size ? remote_max_message_size
                                            : DEFAULT_REMOTE_MAX_MESSAGE_SIZE;
  t->max_message_size =
      remote < t->config.max_message_size ? remote : t->config.max_message_size;
  t->remote_port = remote_port;
  t->started = true;

  /* As libwebrtc does: both sides bind their port and connect to the
   * peer's (simultaneous open, SCTP's INIT collision handling sorts it
   * out); packets before start() are dropped, so no INIT reaches a side
   * that has not connected yet. */
  struct sockaddr_conn local = conn_address(t, t->config.local_port);
  struct sockaddr_conn remote_addr = conn_address(t, remote_port);
  /* usrsctp sizes the association's stream arrays when connect() makes
   * it, from SCTP_INITMSG. */
  uint16_t streams = streams_to_announce(t);
  const struct sctp_initmsg init = {streams, streams, 0, 0};
  rtc_sctp_usrsctp_lock(t);
  bool ok =
      set_option(t->sock, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init)) &&
      usrsctp_bind(t->sock, (struct sockaddr*)&local, sizeof(local)) == 0;
  if (ok) {
    int ret = usrsctp_connect(t->sock, (struct sockaddr*)&remote_addr,
                              sizeof(remote_addr));
    ok = ret == 0 || errno == EINPROGRESS;
  }
  if (ok)
    rtc_sctp_configure_path(t->sock, &remote_addr);
  int err = errno;
  rtc_sctp_usrsctp_unlock(t);
  if (!ok) {
    RTC_LOG(ERROR, "sctp: cannot start the association: %s", strerror(err));
    rtc_sctp_event_free(ev);
    t->state = RTC_SCTP_CLOSED;
    close_socket(t);
    return RTC_ERR_SCTP_FAILURE;
  }
  t->state = RTC_SCTP_CONNECTING;
  rtc_sctp_push_event(t, ev);
  rtc_sctp_set_timer_active(t, true);
  process(t);
  post_deliver(t);
  return RTC_OK;
}

/* The common header (RFC 9260 §3.1) and the fixed part of an INIT or INIT
 * ACK chunk, chunk header included (§3.3.2, §3.3.3). */
#define SCTP_COMMON_HEADER_SIZE 12
#define SCTP_INIT_FIXED_SIZE 20
#define SCTP_CHUNK_INIT 1
#define SCTP_CHUNK_INIT_ACK 2

static size_t read_u16(const uint8_t* p) {
  return ((size_t)p[0] << 8) | p[1];
}

/* The parameters of the INIT or INIT ACK chunk at `off`, `len` bytes,
 * are well formed as far as a walk like usrsctp's goes. */
static bool init_params_valid(const uint8_t* data,
                              size_t size,
                              size_t off,
                              size_t len) {
  size_t end = off + len;
  /* usrsctp 0.9.5 walks an INIT's parameters (sctp_are_there_new_addresses,
   * for an INIT into an existing association) up to the end of the packet,
   * not of the chunk: so does this. */
  for (size_t at = off + SCTP_INIT_FIXED_SIZE; size >= 4 && at <= size - 4;) {
    /* RFC 9260 §3.2.1: "The Parameter Length field contains the size of
     * the parameter in bytes, including the Parameter Type, Parameter
     * Length, and Parameter Value fields. Thus, a parameter with a
     * zero-length Parameter Value field would have a Parameter Length
     * field of 4." Anything shorter, or longer than what is left of its
     * chunk, is malformed: the packet is dropped (DC-01: a malformed INIT
     * is ignored). usrsctp 0.9.5 never gets past a zero-length parameter
     * (an endless loop; fixed upstream in usrsctp c08562e, issue #570). */
    size_t plen = read_u16(data + at + 2);
    if (plen < 4 || (at < end && plen > end - at))
      return false;
    /* §3.2: each parameter is padded to a multiple of 4 bytes. */
    at += (plen + 3) & ~(size_t)3;
  }
  return true;
}

bool rtc_sctp_packet_params_valid(const uint8_t* data, size_t size) {
  size_t off = SCTP_COMMON_HEADER_SIZE;
  while (size >= 4 && off <= size - 4) {
    uint8_t type = data[off];
    size_t len = read_u16(data + off + 2);
    /* A chunk shorter than its header or past the packet: usrsctp's to
     * refuse. */
    if (len < 4 || len > size - off)
      return true;
    if ((type == SCTP_CHUNK_INIT || type == SCTP_CHUNK_INIT_ACK) &&
        len >= SCTP_INIT_FIXED_SIZE && !init_params_valid(data, size, off, len))
      return false;
    off += (len + 3) & ~(size_t)3;
  }
  return true;
}

void rtc_sctp_transport_set_dtls_role(rtc_sctp_transport* t, bool dtls_client) {
  RTC_DCHECK(rtc_task_queue_is_current(t->queue));
  t->dtls_role_known = true;
  t->dtls_client = dtls_client;
}

void rtc_sctp_transport_receive(rtc_sctp_transport* t,
                                const uint8_t* data,
                                size_t size) {
  RTC_DCHECK(rtc_task_queue_is_current(t->queue));
  /* Before start() the INIT would meet a socket that is not connecting. */
  if (!t->started || !t->sock || !data || size == 0)
    return;
  if (!rtc_sctp_packet_params_valid(data, size)) {
    RTC_LOG(WARNING, "sctp: dropped a packet with a malformed INIT parameter");
    return;
  }
  if (!rtc_sctp_reset_guard_incoming(&t->reset_guard, data, size)) {
    RTC_LOG(VERBOSE, "sctp: dropped a packet: too many deferred stream resets");
    return;
  }
  rtc_sctp_usrsctp_lock(t);
  usrsctp_conninput((void*)t->id, data, size, 0);
  rtc_sctp_usrsctp_unlock(t);
  process(t);
  deliver(t);
}

rtc_sctp_state rtc_sctp_transport_state(const rtc_sctp_transport* t) {
  return t->state;
}

uint64_t rtc_sctp_transport_max_message_size(const rtc_sctp_transport* t) {
  return t->max_message_size;
}

uint16_t rtc_sctp_transport_max_channels(const rtc_sctp_transport* t) {
  return t->state == RTC_SCTP_NEW || t->state == RTC_SCTP_CONNECTING
             ? 0
             : t->max_channels;
}

static uint8_t channel_type(const rtc_data_channel_params* p) {
  uint8_t type = RTC_DCEP_RELIABLE;
  if (p->max_retransmits >= 0)
    type = RTC_DCEP_PARTIAL_RELIABLE_REXMIT;
  else if (p->max_packet_lifetime >= 0)
    type = RTC_DCEP_PARTIAL_RELIABLE_TIMED;
  if (!p->ordered)
    type |= 0x80;
  return type;
}

rtc_error rtc_sctp_transport_open_channel(
    rtc_sctp_transport* t,
    uint16_t stream_id,
    const rtc_data_channel_params* params) {
  RTC_DCHECK(rtc_task_queue_is_current(t->queue));
  if (!params || stream_id >= RTC_SCTP_MAX_STREAMS)
    return RTC_ERR_INVALID_ARGUMENT;
  if (params->max_retransmits >= 0 && params->max_packet_lifetime >= 0)
    return RTC_ERR_INVALID_ARGUMENT;
  const char* label = params->label ? params->label : "";
  const char* protocol = params->protocol ? params->protocol : "";
  size_t label_len = strlen(label);
  size_t protocol_len = strlen(protocol);
  if (label_len > RTC_DCEP_MAX_STRING || protocol_len > RTC_DCEP_MAX_STRING)
    return RTC_ERR_INVALID_ARGUMENT;
  if (t->state == RTC_SCTP_CLOSED || rtc_sctp_channel_find(t, stream_id))
    return RTC_ERR_INVALID_STATE;
  if (t->state == RTC_SCTP_CONNECTED && stream_id >= t->max_channels)
    return RTC_ERR_INVALID_ARGUMENT;

  uint32_t pr_value = 0;
  uint16_t pr_policy = 0;
  if (params->max_retransmits >= 0) {
    pr_policy = SCTP_PR_SCTP_RTX;
    pr_value = rtc_sctp_clamp_pr((uint32_t)params->max_retransmits);
  } else if (params->max_packet_lifetime >= 0) {
    pr_policy = SCTP_PR_SCTP_TTL;
    pr_value = rtc_sctp_clamp_pr((uint32_t)params->max_packet_lifetime);
  }
  rtc_sctp_pending* open = NULL;
  rtc_sctp_event* ev = NULL;
  if (!params->negotiated) {
    /* RFC 8832 §5.1 */
    rtc_dcep_open msg = {
        .channel_type = (rtc_dcep_channel_type)channel_type(params),
        .priority = params->priority,
        .reliability = pr_value,
        .label = label,
        .label_len = label_len,
        .protocol = protocol,
        .protocol_len = protocol_len,
    };
    size_t len = 0;
    rtc_dcep_build_open(&msg, NULL, 0, &len);
    open = rtc_sctp_pending_new(stream_id, RTC_PPID_DCEP, NULL, len);
    if (!open)
      return RTC_ERR_NO_MEMORY;
    rtc_error err = rtc_dcep_build_open(&msg, open->data, len, &len);
    RTC_CHECK(err == RTC_OK);
    open->control = true;
  } else if (t->state == RTC_SCTP_CONNECTED) {
    ev = rtc_sctp_event_new(RTC_SCTP_EV_OPEN, stream_id, 0);
    if (!ev)
      return RTC_ERR_NO_MEMORY;
  }
  rtc_sctp_channel* ch = rtc_sctp_channel_new(t, stream_id);
  if (!ch) {
    rtc_sctp_message_free(open);
    rtc_sctp_event_free(ev);
    return RTC_ERR_NO_MEMORY;
  }
  ch->state = RTC_SCTP_CH_WAITING;
  ch->ordered = params->ordered;
  ch->pr_policy = pr_policy;
  ch->pr_value = pr_value;
  ch->negotiated = params->negotiated;
  ch->announced = true;
  if (open) {
    ch->deferred_open = open;
    ch->queued = 1;
  }
  if (t->state == RTC_SCTP_CONNECTED) {
    if (ev) {
      ch->state = RTC_SCTP_CH_OPEN;
      ch->peer_heard = true;
      rtc_sctp_push_event(t, ev);
    } else {
      rtc_sctp_announce_channel(t, ch);
    }
    process(t);
    post_deliver(t);
  }
  return RTC_OK;
}

/* The checks of rtc_sctp_transport_send, before anything is copied. */
static rtc_error check_send(rtc_sctp_transport* t,
                            uint16_t stream_id,
                            size_t size,
                            rtc_sctp_channel** out) {
  RTC_DCHECK(rtc_task_queue_is_current(t->queue));
  rtc_sctp_channel* ch = rtc_sctp_channel_find(t, stream_id);
  /* RFC 8832 §6: "the sender MAY start sending messages containing user
   * data without waiting for the reception of the corresponding
   * DATA_CHANNEL_ACK message". */
  if (!ch || !ch->announced || ch->closing ||
      ch->state == RTC_SCTP_CH_WAITING || t->state != RTC_SCTP_CONNECTED)
    return RTC_ERR_INVALID_STATE;
  if (size > t->max_message_size)
    return RTC_ERR_INVALID_ARGUMENT;
  if (size > t->config.max_buffered_amount - ch->buffered)
    return RTC_ERR_OPERATION;
  *out = ch;
  return RTC_OK;
}

static void queue_message(rtc_sctp_transport* t,
                          rtc_sctp_channel* ch,
                          bool binary,
                          rtc_sctp_pending* m) {
  size_t size = rtc_sctp_message_size(m);
  m->sid = ch->id;
  m->ppid = binary ? (size ? RTC_PPID_BINARY : RTC_PPID_BINARY_EMPTY)
                   : (size ? RTC_PPID_STRING : RTC_PPID_STRING_EMPTY);
  m->counted = size > 0;
  ch->buffered += size;
  ch->queued++;
  rtc_sctp_enqueue(t, m);
  if (t->corked)
    return;
  process(t);
  post_deliver(t);
}

void rtc_sctp_transport_cork(rtc_sctp_transport* t) {
  RTC_DCHECK(rtc_task_queue_is_current(t->queue));
  t->corked = true;
}

void rtc_sctp_transport_uncork(rtc_sctp_transport* t) {
  RTC_DCHECK(rtc_task_queue_is_current(t->queue));
  if (!t->corked)
    return;
  t->corked = false;
  process(t);
  /* Delivered now, not from a task: the packets of these sends may reach
   * a peer in this process, on this thread, before a posted task would
   * run, and it hands its message event on at once (as every received
   * packet's events go). The bytes that left must have left
   * bufferedAmount by then (webrtc-pc: the message event finds the
   * sender's bufferedAmount down; WPT RTCDataChannel-bufferedAmount). */
  deliver(t);
}

rtc_error rtc_sctp_transport_send(rtc_sctp_transport* t,
                                  uint16_t stream_id,
                                  bool binary,
                                  const uint8_t* data,
                                  size_t size) {
  rtc_sctp_channel* ch = NULL;
  rtc_error err = check_send(t, stream_id, size, &ch);
  if (err != RTC_OK)
    return err;
  if (size && !data)
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_sctp_pending* m = rtc_sctp_message_new(size);
  if (!m)
    return RTC_ERR_NO_MEMORY;
  if (size)
    memcpy(m->data, data, size);
  queue_message(t, ch, binary, m);
  return RTC_OK;
}

rtc_error rtc_sctp_transport_send_message(rtc_sctp_transport* t,
                                          uint16_t stream_id,
                                          bool binary,
                                          rtc_sctp_message* message) {
  if (!message)
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_sctp_channel* ch = NULL;
  rtc_error err = check_send(t, stream_id, rtc_sctp_message_size(message), &ch);
  if (err != RTC_OK) {
    rtc_sctp_message_free(message);
    return err;
  }
  queue_message(t, ch, binary, message);
  return RTC_OK;
}

size_t rtc_sctp_transport_buffered_amount(const rtc_sctp_transport* t,
                                          uint16_t stream_id) {
  RTC_DCHECK(rtc_task_queue_is_current(t->queue));
  const rtc_sctp_channel* ch = rtc_sctp_channel_find(t, stream_id);
  return ch ? ch->buffered : 0;
}

uint64_t rtc_sctp_transport_bytes_sent(const rtc_sctp_transport* t,
                                       uint16_t stream_id) {
  RTC_DCHECK(rtc_task_queue_is_current(t->queue));
  const rtc_sctp_channel* ch = rtc_sctp_channel_find(t, stream_id);
  return ch ? ch->bytes_sent : 0;
}

rtc_error rtc_sctp_transport_close_channel(rtc_sctp_transport* t,
                                           uint16_t stream_id) {
  RTC_DCHECK(rtc_task_queue_is_current(t->queue));
  rtc_sctp_channel* ch = rtc_sctp_channel_find(t, stream_id);
  if (!ch || !ch->announced)
    return RTC_ERR_INVALID_STATE;
  if (ch->closing)
    return RTC_OK;
  if (ch->state == RTC_SCTP_CH_WAITING || t->state != RTC_SCTP_CONNECTED) {
    /* Nothing went on the wire, or nothing can: closed at once. */
    rtc_sctp_event* ev = rtc_sctp_event_new(RTC_SCTP_EV_CLOSED, stream_id, 0);
    if (!ev)
      return RTC_ERR_NO_MEMORY;
    rtc_sctp_channel_free(t, ch);
    rtc_sctp_push_event(t, ev);
    post_deliver(t);
    return RTC_OK;
  }
  rtc_sctp_channel_close(t, ch);
  process(t);
  post_deliver(t);
  return RTC_OK;
}
