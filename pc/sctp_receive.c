/*
 * What usrsctp hands an SCTP transport (see sctp_transport_internal.h):
 * messages, reassembled and sorted by PPID (RFC 8831 §8), DCEP messages
 * (RFC 8832), and notifications: the association coming up or going down,
 * stream resets (RFC 8831 §6.7). Everything here faces the peer: it is
 * validated, never asserted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <usrsctp.h>

#include "pc/dcep.h"
#include "pc/sctp_transport.h"
#include "pc/sctp_transport_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/logging.h"

/* The largest DCEP message: an OPEN with two 65535-byte strings. */
#define MAX_DCEP_SIZE (12 + 2 * RTC_DCEP_MAX_STRING)

/* Both directions of the stream are reset: the channel is closed and its
 * id free again. */
static void maybe_closed(rtc_sctp_transport* t, rtc_sctp_channel* ch) {
  if (!ch->in_reset_done || !ch->out_reset_done)
    return;
  bool announced = ch->announced;
  uint16_t sid = ch->id;
  rtc_sctp_channel_free(t, ch);
  if (announced)
    rtc_sctp_emit_simple(t, RTC_SCTP_EV_CLOSED, sid);
}

static void mark_open(rtc_sctp_transport* t, rtc_sctp_channel* ch) {
  ch->state = RTC_SCTP_CH_OPEN;
  ch->peer_heard = true;
  rtc_sctp_emit_simple(t, RTC_SCTP_EV_OPEN, ch->id);
}

/* RFC 8832 §6: an OPEN we cannot accept closes the stream, without ACK. */
static void reject_stream(rtc_sctp_transport* t, uint16_t sid) {
  rtc_sctp_channel* ch = rtc_sctp_channel_find(t, sid);
  if (!ch) {
    ch = rtc_sctp_channel_new(t, sid);
    if (!ch) {
      rtc_sctp_fail(t, "out of memory");
      return;
    }
    ch->state = RTC_SCTP_CH_OPEN;
    ch->announced = false;
  }
  rtc_sctp_channel_close(t, ch);
}

static void handle_open(rtc_sctp_transport* t,
                        uint16_t sid,
                        const rtc_dcep_open* open) {
  /* Our params carry NUL-terminated strings: a label or protocol with a
   * NUL byte cannot be represented; such an OPEN is refused. */
  if (memchr(open->label, 0, open->label_len) ||
      memchr(open->protocol, 0, open->protocol_len)) {
    RTC_LOG(WARNING, "sctp: OPEN on stream %u with a NUL byte: refused", sid);
    reject_stream(t, sid);
    return;
  }
  size_t extra = open->label_len + 1 + open->protocol_len + 1;
  rtc_sctp_event* ev =
      rtc_sctp_event_new(RTC_SCTP_EV_OPENED_BY_PEER, sid, extra);
  rtc_sctp_pending* ack = NULL;
  rtc_sctp_channel* ch = NULL;
  if (ev)
    ack = rtc_sctp_pending_new(sid, RTC_PPID_DCEP,
                               (const uint8_t[]){RTC_DCEP_ACK}, 1);
  if (ack)
    ch = rtc_sctp_channel_new(t, sid);
  if (!ch) {
    rtc_sctp_event_free(ev);
    rtc_sctp_message_free(ack);
    rtc_sctp_fail(t, "out of memory");
    return;
  }
  uint8_t type = (uint8_t)open->channel_type;
  ch->state = RTC_SCTP_CH_OPEN;
  ch->announced = true;
  ch->peer_heard = true; /* the OPEN itself */
  ch->ordered = !(type & 0x80);
  ch->pr_policy = 0;
  ch->pr_value = 0;
  int32_t rtx = -1, lifetime = -1;
  /* RFC 8832 §5.1: the reliability parameter is ignored on reliable
   * channels. */
  if ((type & 0x7f) == RTC_DCEP_PARTIAL_RELIABLE_REXMIT) {
    ch->pr_policy = SCTP_PR_SCTP_RTX;
    ch->pr_value = rtc_sctp_clamp_pr(open->reliability);
    rtx = (int32_t)ch->pr_value;
  } else if ((type & 0x7f) == RTC_DCEP_PARTIAL_RELIABLE_TIMED) {
    ch->pr_policy = SCTP_PR_SCTP_TTL;
    ch->pr_value = rtc_sctp_clamp_pr(open->reliability);
    lifetime = (int32_t)ch->pr_value;
  }
  /* RFC 8832 §6: "a corresponding DATA_CHANNEL_ACK message is sent on the
   * stream with the same stream identifier". */
  ch->queued++;
  ack->control = true;
  rtc_sctp_enqueue(t, ack);

  char* label = (char*)ev->inline_data;
  memcpy(label, open->label, open->label_len);
  label[open->label_len] = '\0';
  char* protocol = label + open->label_len + 1;
  memcpy(protocol, open->protocol, open->protocol_len);
  protocol[open->protocol_len] = '\0';
  ev->u.params.label = label;
  ev->u.params.protocol = protocol;
  ev->u.params.ordered = ch->ordered;
  ev->u.params.max_retransmits = rtx;
  ev->u.params.max_packet_lifetime = lifetime;
  ev->u.params.priority = open->priority;
  ev->u.params.negotiated = false;
  rtc_sctp_push_event(t, ev);
}

static void handle_dcep(rtc_sctp_transport* t,
                        uint16_t sid,
                        const uint8_t* data,
                        size_t size) {
  rtc_sctp_channel* ch = rtc_sctp_channel_find(t, sid);
  uint8_t type = 0;
  rtc_dcep_open open;
  if (rtc_dcep_parse(data, size, &type, &open) != RTC_OK) {
    RTC_LOG(WARNING, "sctp: malformed DCEP message on stream %u", sid);
    /* RFC 8832 §6: a DATA_CHANNEL_OPEN that is not well formed closes
     * the channel. */
    if (!ch && size > 0 && data[0] == RTC_DCEP_OPEN)
      reject_stream(t, sid);
    return;
  }
  if (type == RTC_DCEP_ACK) {
    if (ch && ch->state == RTC_SCTP_CH_OPENING)
      mark_open(t, ch);
    else if (ch)
      ch->peer_heard = true;
    return;
  }
  if (ch) {
    /* RFC 8832 §6: "a DATA_CHANNEL_OPEN message is received on an already
     * used stream": close it. */
    RTC_LOG(WARNING, "sctp: OPEN on stream %u in use: closing it", sid);
    rtc_sctp_channel_close(t, ch);
    return;
  }
  /* RFC 8832 §6: "The DTLS role of the SCTP transport determines whether
   * the stream identifier is odd or even: the DTLS client MUST use streams
   * with an even stream identifier, the DTLS server MUST use streams with
   * an odd stream identifier." An OPEN in our half would take an id we
   * hand out ourselves: refused like an OPEN we cannot accept. */
  if (t->dtls_role_known && (sid % 2 == 0) == t->dtls_client) {
    RTC_LOG(WARNING, "sctp: OPEN on stream %u of our parity: refused", sid);
    reject_stream(t, sid);
    return;
  }
  handle_open(t, sid, &open);
}

/* A whole message from the peer. */
static void handle_message(rtc_sctp_transport* t,
                           uint16_t sid,
                           uint32_t ppid,
                           const uint8_t* data,
                           size_t size) {
  bool binary = false;
  switch (ppid) {
    case RTC_PPID_DCEP:
      handle_dcep(t, sid, data, size);
      return;
    case RTC_PPID_STRING:
    case RTC_PPID_STRING_PARTIAL: /* deprecated: taken as whole messages */
      break;
    case RTC_PPID_BINARY:
    case RTC_PPID_BINARY_PARTIAL:
      binary = true;
      break;
    /* RFC 8831 §6.6: the payload of an empty message is ignored. */
    case RTC_PPID_STRING_EMPTY:
      size = 0;
      break;
    case RTC_PPID_BINARY_EMPTY:
      binary = true;
      size = 0;
      break;
    default:
      RTC_LOG(WARNING, "sctp: unknown PPID %u on stream %u: dropped", ppid,
              sid);
      return;
  }
  rtc_sctp_channel* ch = rtc_sctp_channel_find(t, sid);
  if (!ch || !ch->announced || ch->in_reset_done) {
    RTC_LOG(WARNING, "sctp: message on unused stream %u: dropped", sid);
    return;
  }
  /* RFC 8832 §6: any message on the channel means the peer saw our OPEN
   * (its ACK may still be on the way, unordered messages overtake). */
  if (ch->state == RTC_SCTP_CH_OPENING)
    mark_open(t, ch);
  ch->peer_heard = true;
  rtc_sctp_event* ev = rtc_sctp_event_new(RTC_SCTP_EV_MESSAGE, sid, 0);
  rtc_sctp_message* message = ev ? rtc_sctp_message_new(size) : NULL;
  if (!message) {
    rtc_sctp_event_free(ev);
    rtc_sctp_fail(t, "out of memory");
    return;
  }
  if (size)
    memcpy(rtc_sctp_message_data(message), data, size);
  ev->binary = binary;
  ev->message = message;
  rtc_sctp_push_event(t, ev);
}

static void handle_data(rtc_sctp_transport* t,
                        const struct sctp_rcvinfo* rcv,
                        const uint8_t* data,
                        size_t size,
                        bool eor) {
  uint16_t sid = rcv->rcv_sid;
  uint32_t ppid = ntohl(rcv->rcv_ppid);
  /* A DCEP OPEN may carry two 65535-byte strings, whatever our limit. */
  uint64_t limit =
      ppid == RTC_PPID_DCEP && t->config.max_message_size < MAX_DCEP_SIZE
          ? MAX_DCEP_SIZE
          : t->config.max_message_size;
  if (t->partial_active && sid != t->partial_sid) {
    /* Without I-DATA (RFC 8260) usrsctp never interleaves messages. */
    RTC_LOG(WARNING, "sctp: stream %u interrupts a message on stream %u", sid,
            t->partial_sid);
    t->partial_len = 0;
    t->partial_active = false;
  }
  if (!t->partial_active && eor) {
    if (size > limit) {
      rtc_sctp_fail(t, "message larger than our max-message-size");
      return;
    }
    handle_message(t, sid, ppid, data, size);
    return;
  }
  /* A message bigger than we announced in a=max-message-size: libwebrtc
   * handed such messages out in pieces with a TODO to abort instead; we
   * abort the association (sctp-failure), which keeps messages whole. */
  if (size > limit || t->partial_len > limit - size) {
    rtc_sctp_fail(t, "message larger than our max-message-size");
    return;
  }
  if (!t->partial_active) {
    t->partial_active = true;
    t->partial_sid = sid;
    t->partial_ppid = ppid;
    t->partial_len = 0;
  }
  size_t needed = t->partial_len + size;
  if (needed > t->partial_cap) {
    size_t cap = t->partial_cap ? t->partial_cap : RTC_SCTP_RECV_BUFFER_SIZE;
    while (cap < needed)
      cap *= 2;
    if (cap > limit)
      cap = (size_t)limit;
    uint8_t* bigger = rtc_realloc(t->partial, cap);
    if (!bigger) {
      rtc_sctp_fail(t, "out of memory");
      return;
    }
    t->partial = bigger;
    t->partial_cap = cap;
  }
  memcpy(t->partial + t->partial_len, data, size);
  t->partial_len += size;
  if (!eor)
    return;
  uint8_t* whole = t->partial;
  size_t whole_len = t->partial_len;
  uint32_t whole_ppid = t->partial_ppid;
  t->partial = NULL;
  t->partial_len = t->partial_cap = 0;
  t->partial_active = false;
  handle_message(t, sid, whole_ppid, whole, whole_len);
  rtc_free(whole);
}

static void on_assoc_change(rtc_sctp_transport* t,
                            const struct sctp_assoc_change* sac);
static void on_stream_reset(rtc_sctp_transport* t,
                            const struct sctp_stream_reset_event* ev,
                            size_t size);

static void handle_notification(rtc_sctp_transport* t,
                                const uint8_t* data,
                                size_t size) {
  union sctp_notification n;
  if (size < sizeof(n.sn_header))
    return;
  memcpy(&n.sn_header, data, sizeof(n.sn_header));
  if (n.sn_header.sn_length != size) {
    RTC_LOG(WARNING, "sctp: notification length %u, got %zu",
            n.sn_header.sn_length, size);
    return;
  }
  switch (n.sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE:
      if (size < sizeof(struct sctp_assoc_change))
        return;
      memcpy(&n.sn_assoc_change, data, sizeof(struct sctp_assoc_change));
      on_assoc_change(t, &n.sn_assoc_change);
      break;
    case SCTP_STREAM_RESET_EVENT:
      on_stream_reset(t, (const struct sctp_stream_reset_event*)data, size);
      break;
    case SCTP_SENDER_DRY_EVENT:
      /* Queued messages are pushed after every read anyway. */
      break;
    case SCTP_SEND_FAILED_EVENT:
      RTC_LOG(VERBOSE, "sctp: a message was abandoned (partial reliability)");
      break;
    case SCTP_REMOTE_ERROR:
      RTC_LOG(INFO, "sctp: remote error");
      break;
    case SCTP_SHUTDOWN_EVENT:
      RTC_LOG(INFO, "sctp: the peer shuts down");
      break;
    case SCTP_PEER_ADDR_CHANGE:
    case SCTP_ADAPTATION_INDICATION:
    case SCTP_STREAM_CHANGE_EVENT:
      break;
    default:
      RTC_LOG(VERBOSE, "sctp: notification %u", n.sn_header.sn_type);
      break;
  }
}

void rtc_sctp_announce_channel(rtc_sctp_transport* t, rtc_sctp_channel* ch) {
  if (ch->state != RTC_SCTP_CH_WAITING)
    return;
  if (ch->id >= t->max_channels) {
    /* The association has fewer streams than this id needs. */
    uint16_t sid = ch->id;
    bool announced = ch->announced;
    rtc_sctp_channel_free(t, ch);
    if (announced)
      rtc_sctp_emit_simple(t, RTC_SCTP_EV_CLOSED, sid);
    return;
  }
  if (ch->negotiated) {
    mark_open(t, ch);
    return;
  }
  ch->state = RTC_SCTP_CH_OPENING;
  rtc_sctp_pending* open = ch->deferred_open;
  ch->deferred_open = NULL;
  rtc_sctp_enqueue(t, open);
}

static void on_assoc_change(rtc_sctp_transport* t,
                            const struct sctp_assoc_change* sac) {
  switch (sac->sac_state) {
    case SCTP_COMM_UP: {
      if (t->state != RTC_SCTP_CONNECTING)
        return;
      t->state = RTC_SCTP_CONNECTED;
      uint16_t streams = sac->sac_outbound_streams < sac->sac_inbound_streams
                             ? sac->sac_outbound_streams
                             : sac->sac_inbound_streams;
      t->max_channels = streams; /* at most 65535: RTC_SCTP_MAX_STREAMS */
      rtc_sctp_event* ev = rtc_sctp_event_new(RTC_SCTP_EV_STATE, 0, 0);
      if (ev)
        ev->state = RTC_SCTP_CONNECTED;
      rtc_sctp_emit(t, ev);
      if (t->state == RTC_SCTP_CONNECTED)
        rtc_sctp_for_each_channel(t, rtc_sctp_announce_channel);
      break;
    }
    case SCTP_COMM_LOST:
      rtc_sctp_set_closed(t, RTC_ERR_SCTP_FAILURE,
                          sac->sac_error ? (int32_t)sac->sac_error : -1,
                          "SCTP association lost");
      break;
    case SCTP_CANT_STR_ASSOC:
      rtc_sctp_set_closed(t, RTC_ERR_SCTP_FAILURE,
                          sac->sac_error ? (int32_t)sac->sac_error : -1,
                          "SCTP association could not start");
      break;
    case SCTP_SHUTDOWN_COMP:
      rtc_sctp_set_closed(t, RTC_OK, -1, NULL);
      break;
    case SCTP_RESTART:
      RTC_LOG(WARNING, "sctp: the peer restarted the association");
      break;
    default:
      break;
  }
}

static void on_stream_reset(rtc_sctp_transport* t,
                            const struct sctp_stream_reset_event* ev,
                            size_t size) {
  struct sctp_stream_reset_event head;
  if (size < sizeof(head))
    return;
  memcpy(&head, ev, sizeof(head));
  size_t count = (size - sizeof(head)) / sizeof(uint16_t);
  const uint8_t* list = (const uint8_t*)ev + sizeof(head);
  if (head.strreset_flags &
      (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
    /* Ask again for every reset not yet done (libwebrtc does the same:
     * the stream list of a failure is not reliable). */
    for (size_t p = 0; p < RTC_SCTP_PAGE_COUNT; p++) {
      for (size_t s = 0; t->pages[p] && s < RTC_SCTP_PAGE_SLOTS; s++) {
        rtc_sctp_channel* ch = t->pages[p]->slot[s];
        if (ch && ch->out_reset_sent && !ch->out_reset_done) {
          ch->out_reset_sent = false;
          t->resets_wanted++;
        }
      }
    }
    return;
  }
  for (size_t i = 0; i < count; i++) {
    uint16_t sid;
    memcpy(&sid, list + i * sizeof(uint16_t), sizeof(sid));
    rtc_sctp_channel* ch = rtc_sctp_channel_find(t, sid);
    if (!ch)
      continue;
    if (head.strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) {
      /* RFC 8831 §6.7: "When the peer sees that an incoming stream was
       * reset, it also resets its corresponding outgoing stream." */
      ch->in_reset_done = true;
      rtc_sctp_channel_close(t, ch);
    }
    if (head.strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN) {
      if (rtc_sctp_channel_needs_reset(ch))
        t->resets_wanted--;
      ch->out_reset_done = true;
    }
    maybe_closed(t, ch);
  }
}

void rtc_sctp_read_socket(rtc_sctp_transport* t) {
  /* On the stack, not in the transport: an idle association holds no
   * receive buffer (64 KiB each). Nothing keeps a pointer into it: data
   * and notifications are copied into events or the reassembly buffer. */
  uint8_t buf[RTC_SCTP_RECV_BUFFER_SIZE];
  while (t->sock) {
    struct sctp_rcvinfo rcv;
    memset(&rcv, 0, sizeof(rcv));
    socklen_t infolen = (socklen_t)sizeof(rcv);
    unsigned int infotype = SCTP_RECVV_NOINFO;
    int flags = 0;
    rtc_sctp_usrsctp_lock(t);
    ssize_t n = usrsctp_recvv(t->sock, buf, sizeof(buf), NULL, NULL, &rcv,
                              &infolen, &infotype, &flags);
    int err = errno;
    rtc_sctp_usrsctp_unlock(t);
    if (n < 0) {
      if (err != EWOULDBLOCK && err != EAGAIN)
        RTC_LOG(VERBOSE, "sctp: usrsctp_recvv: %s", strerror(err));
      return;
    }
    if (n == 0)
      return;
    bool eor = (flags & MSG_EOR) != 0;
    if (flags & MSG_NOTIFICATION) {
      /* Notifications bigger than our buffer (a stream reset of thousands
       * of streams, a failed send with its data) are skipped. */
      if (t->skip_notification || !eor) {
        if (!t->skip_notification)
          RTC_LOG(WARNING, "sctp: notification too big: skipped");
        t->skip_notification = !eor;
        continue;
      }
      handle_notification(t, buf, (size_t)n);
    } else if (infotype == SCTP_RECVV_RCVINFO) {
      handle_data(t, &rcv, buf, (size_t)n, eor);
    } else {
      RTC_LOG(WARNING, "sctp: data without receive info: dropped");
    }
    if (t->state == RTC_SCTP_CLOSED)
      return;
  }
}
