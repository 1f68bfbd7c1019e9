/*
 * RTCDataChannel, the signaling-thread side (webrtc-pc §6.2). The SCTP
 * side is pc/sctp_transport.c on the network thread, reached through
 * pc_network.
 */
#include "api/rtc_data_channel.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pc/peer_connection_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"

/* webrtc-pc "bufferedAmount would exceed": what send() may queue. */
#define MAX_BUFFERED (16u * 1024 * 1024)

const char* rtc_data_channel_state_name(rtc_data_channel_state state) {
  static const char* const names[] = {"connecting", "open", "closing",
                                      "closed"};
  return (int)state >= 0 && state <= RTC_DATA_CHANNEL_CLOSED ? names[state]
                                                             : "closed";
}

void rtc_data_channel_init_defaults(rtc_data_channel_init* init) {
  memset(init, 0, sizeof(*init));
  init->ordered = true;
  init->max_packet_lifetime = -1;
  init->max_retransmits = -1;
  init->id = -1;
}

static bool valid_priority(const char* p) {
  return !p || strcmp(p, "very-low") == 0 || strcmp(p, "low") == 0 ||
         strcmp(p, "medium") == 0 || strcmp(p, "high") == 0;
}

/* RFC 8831 §6.4 priority values for RTCPriorityType. */
static uint16_t priority_value(const char* p) {
  if (strcmp(p, "very-low") == 0)
    return 128;
  if (strcmp(p, "medium") == 0)
    return 512;
  if (strcmp(p, "high") == 0)
    return 1024;
  return 256;
}

static const char* priority_name(uint16_t v) {
  if (v <= 128)
    return "very-low";
  if (v <= 256)
    return "low";
  if (v <= 512)
    return "medium";
  return "high";
}

static void channel_free(rtc_data_channel* c) {
  rtc_safety_flag_set_not_alive(c->flag);
  rtc_safety_flag_unref(c->flag);
  rtc_free(c->label);
  rtc_free(c->protocol);
  rtc_free(c);
}

void rtc_data_channel_ref(rtc_data_channel* c) {
  rtc_refcount_inc(&c->refs);
}

void rtc_data_channel_unref(rtc_data_channel* c) {
  if (c && rtc_refcount_dec(&c->refs))
    channel_free(c);
}

void rtc_data_channel_set_observer(rtc_data_channel* c,
                                   const rtc_data_channel_observer* observer,
                                   void* user) {
  c->observer = observer;
  c->user = user;
}

static rtc_data_channel* channel_new(const char* label,
                                     const char* protocol,
                                     const char* priority) {
  rtc_data_channel* c = rtc_calloc(1, sizeof(*c));
  if (!c)
    return NULL;
  rtc_refcount_init(&c->refs);
  c->label = rtc_strdup(label);
  c->protocol = rtc_strdup(protocol);
  snprintf(c->priority, sizeof(c->priority), "%s", priority);
  c->id = -1;
  c->max_packet_lifetime = -1;
  c->max_retransmits = -1;
  if (!c->label || !c->protocol || rtc_safety_flag_create(&c->flag) != RTC_OK) {
    rtc_free(c->label);
    rtc_free(c->protocol);
    rtc_free(c);
    return NULL;
  }
  return c;
}

static rtc_data_channel* find(rtc_peer_connection* pc, int32_t id) {
  for (size_t i = 0; i < pc->channel_count; i++) {
    if (pc->channels[i]->id == id)
      return pc->channels[i];
  }
  return NULL;
}

static rtc_error add(rtc_peer_connection* pc, rtc_data_channel* c) {
  if (pc->channel_count == pc->channel_capacity) {
    size_t cap = pc->channel_capacity ? pc->channel_capacity * 2 : 8;
    rtc_data_channel** grown =
        rtc_realloc_array(pc->channels, cap, sizeof(*grown));
    if (!grown)
      return RTC_ERR_NO_MEMORY;
    pc->channels = grown;
    pc->channel_capacity = cap;
  }
  pc->channels[pc->channel_count++] = c;
  c->pc = pc;
  return RTC_OK;
}

/* Drops the pc's reference (the channel is closed). */
static void remove_channel(rtc_peer_connection* pc, rtc_data_channel* c) {
  for (size_t i = 0; i < pc->channel_count; i++) {
    if (pc->channels[i] == c) {
      /* webrtc-stats dataChannelsClosed: those that left the open state. */
      if (c->was_open)
        pc->data_channels_closed++;
      memmove(&pc->channels[i], &pc->channels[i + 1],
              (pc->channel_count - i - 1) * sizeof(pc->channels[0]));
      pc->channel_count--;
      c->pc = NULL;
      rtc_data_channel_unref(c);
      return;
    }
  }
}

/* RFC 8832 §6: the DTLS client uses even stream ids, the server odd. */
static int32_t free_id(rtc_peer_connection* pc) {
  int32_t start = pc->dtls_role == RTC_DTLS_ROLE_CLIENT ? 0 : 1;
  uint32_t limit = pc->sctp_max_channels ? pc->sctp_max_channels : 65535;
  for (int32_t id = start; id < (int32_t)limit && id < 65535; id += 2) {
    if (!find(pc, id))
      return id;
  }
  return -1;
}

static bool needs_open(const rtc_peer_connection* pc,
                       const rtc_data_channel* c);
static rtc_error open_on_network(rtc_peer_connection* pc, rtc_data_channel* c);
static void close_on_network(rtc_peer_connection* pc, rtc_data_channel* c);

rtc_error pc_data_channel_create(rtc_peer_connection* pc,
                                 const char* label,
                                 const rtc_data_channel_init* init,
                                 rtc_data_channel** out,
                                 rtc_error_info* info) {
  rtc_data_channel_init defaults;
  if (!init) {
    rtc_data_channel_init_defaults(&defaults);
    init = &defaults;
  }
  if (!label)
    label = "";
  const char* protocol = init->protocol ? init->protocol : "";
  /* webrtc-pc createDataChannel() steps. */
  if (strlen(label) > 65535)
    return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                         "label is longer than 65535 bytes");
  if (strlen(protocol) > 65535)
    return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                         "protocol is longer than 65535 bytes");
  if (init->max_packet_lifetime >= 0 && init->max_retransmits >= 0)
    return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                         "maxPacketLifeTime and maxRetransmits are exclusive");
  if (init->max_packet_lifetime > 65535 || init->max_retransmits > 65535)
    return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                         "value out of range for unsigned short");
  if (init->negotiated && init->id < 0)
    return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                         "a negotiated channel needs an id");
  if (init->negotiated && init->id >= 65535)
    return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                         "id 65535 is not allowed");
  if (!valid_priority(init->priority))
    return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT, "invalid priority");
  int32_t id = init->negotiated ? init->id : -1;
  if (id >= 0 && find(pc, id))
    return rtc_error_set(info, RTC_ERR_OPERATION, "id %d is in use", (int)id);
  if (id >= 0 && pc->sctp_max_channels && id >= pc->sctp_max_channels)
    return rtc_error_set(info, RTC_ERR_OPERATION,
                         "id %d is beyond the transport's streams", (int)id);
  if (id < 0 && pc->dtls_role >= 0) {
    id = free_id(pc);
    if (id < 0)
      return rtc_error_set(info, RTC_ERR_OPERATION, "no free stream id");
  }
  rtc_data_channel* c =
      channel_new(label, protocol, init->priority ? init->priority : "low");
  if (!c)
    return rtc_error_set(info, RTC_ERR_NO_MEMORY, NULL);
  c->ordered = init->ordered;
  c->max_packet_lifetime = init->max_packet_lifetime;
  c->max_retransmits = init->max_retransmits;
  c->negotiated = init->negotiated;
  c->id = id;
  c->state = RTC_DATA_CHANNEL_CONNECTING;
  if (add(pc, c) != RTC_OK) {
    channel_free(c);
    return rtc_error_set(info, RTC_ERR_NO_MEMORY, NULL);
  }
  /* The transport is up: announce the channel now, or fail. A channel
   * returned with nothing posted would stay connecting until some later
   * event happened to retry (data_channel_unittest
   * CreateDataChannelWithoutMemoryFailsOrOpens). */
  if (needs_open(pc, c) && open_on_network(pc, c) != RTC_OK) {
    pc->channel_count--; /* the last one: add() appended it */
    c->pc = NULL;
    channel_free(c);
    return rtc_error_set(info, RTC_ERR_NO_MEMORY, NULL);
  }
  rtc_data_channel_ref(c);
  *out = c;
  pc_data_channels_open_pending(pc);
  return RTC_OK;
}

void pc_data_channels_assign_ids(rtc_peer_connection* pc) {
  if (pc->dtls_role < 0)
    return;
  for (size_t i = 0; i < pc->channel_count; i++) {
    rtc_data_channel* c = pc->channels[i];
    if (c->id < 0)
      c->id = free_id(pc);
  }
}

typedef struct open_args {
  uint16_t stream_id;
  rtc_data_channel_params params;
  char* label;
  char* protocol;
} open_args;

static void free_open_args(void* arg) {
  open_args* a = arg;
  rtc_free(a->label);
  rtc_free(a->protocol);
  rtc_free(a);
}

static void net_open(pc_network* net, void* arg) {
  open_args* a = arg;
  a->params.label = a->label;
  a->params.protocol = a->protocol;
  rtc_error err = pc_network_open_channel(net, a->stream_id, &a->params);
  if (err != RTC_OK)
    RTC_LOG(WARNING, "data channel %u: %s", a->stream_id, rtc_error_name(err));
}

static bool needs_open(const rtc_peer_connection* pc,
                       const rtc_data_channel* c) {
  return pc->data_negotiated && !pc->closed && !c->opened_on_network &&
         c->id >= 0 && c->state == RTC_DATA_CHANNEL_CONNECTING;
}

/* Posts the channel's opening to the network thread. Errors:
 * RTC_ERR_NO_MEMORY (the channel stays to be opened). */
static rtc_error open_on_network(rtc_peer_connection* pc, rtc_data_channel* c) {
  open_args* a = rtc_calloc(1, sizeof(*a));
  if (!a)
    return RTC_ERR_NO_MEMORY;
  a->stream_id = (uint16_t)c->id;
  a->params.ordered = c->ordered;
  a->params.max_retransmits = c->max_retransmits;
  a->params.max_packet_lifetime = c->max_packet_lifetime;
  a->params.priority = priority_value(c->priority);
  a->params.negotiated = c->negotiated;
  a->label = rtc_strdup(c->label);
  a->protocol = rtc_strdup(c->protocol);
  if (!a->label || !a->protocol) {
    free_open_args(a);
    return RTC_ERR_NO_MEMORY;
  }
  rtc_error err = pc_post_to_network(pc, net_open, a, free_open_args);
  if (err != RTC_OK)
    return err;
  c->opened_on_network = true;
  return RTC_OK;
}

void pc_data_channels_open_pending(rtc_peer_connection* pc) {
  for (size_t i = 0; i < pc->channel_count; i++) {
    rtc_data_channel* c = pc->channels[i];
    /* Without memory the channel waits for the next call. */
    if (needs_open(pc, c))
      open_on_network(pc, c);
    else if (c->close_requested && c->state == RTC_DATA_CHANNEL_CLOSING)
      close_on_network(pc, c);
  }
}

/* --- Events to the observer --- */

typedef enum channel_event {
  CHANNEL_OPEN,
  CHANNEL_CLOSE,
} channel_event;

typedef struct posted_event {
  rtc_data_channel* channel;
  channel_event kind;
} posted_event;

static void fire_open(rtc_data_channel* c) {
  if (c->observer && c->observer->on_open)
    c->observer->on_open(c->user);
}

static void fire_close(rtc_data_channel* c) {
  if (c->observer && c->observer->on_close)
    c->observer->on_close(c->user);
}

static void posted_run(void* arg) {
  posted_event* e = arg;
  rtc_data_channel* c = e->channel;
  if (e->kind == CHANNEL_OPEN && c->state == RTC_DATA_CHANNEL_OPEN)
    fire_open(c);
  else if (e->kind == CHANNEL_CLOSE)
    fire_close(c);
}

static void posted_free(void* arg) {
  posted_event* e = arg;
  rtc_data_channel_unref(e->channel);
  rtc_free(e);
}

static void post_event(rtc_peer_connection* pc,
                       rtc_data_channel* c,
                       channel_event kind) {
  posted_event* e = rtc_malloc(sizeof(*e));
  if (!e)
    return;
  e->channel = c;
  e->kind = kind;
  rtc_data_channel_ref(c);
  rtc_task task = {posted_run, posted_free, e};
  rtc_task_queue_post_guarded(pc->signaling, c->flag, 0, task);
}

void pc_data_channel_on_open(rtc_peer_connection* pc, uint16_t stream_id) {
  rtc_data_channel* c = find(pc, stream_id);
  if (!c || c->state != RTC_DATA_CHANNEL_CONNECTING)
    return;
  c->state = RTC_DATA_CHANNEL_OPEN;
  c->was_open = true;
  pc->data_channels_opened++;
  fire_open(c);
}

void pc_data_channel_on_peer_open(rtc_peer_connection* pc,
                                  uint16_t stream_id,
                                  const char* label,
                                  const char* protocol,
                                  const rtc_data_channel_params* params) {
  if (find(pc, stream_id)) {
    RTC_LOG(WARNING, "the peer opened stream %u, already in use", stream_id);
    return;
  }
  rtc_data_channel* c =
      channel_new(label, protocol, priority_name(params->priority));
  if (!c)
    return;
  c->ordered = params->ordered;
  c->max_retransmits = params->max_retransmits;
  c->max_packet_lifetime = params->max_packet_lifetime;
  c->id = stream_id;
  c->opened_on_network = true;
  /* webrtc-pc §6.2 "announce the data channel": open, then the
   * datachannel event, then the open event. */
  c->state = RTC_DATA_CHANNEL_OPEN;
  if (add(pc, c) != RTC_OK) {
    channel_free(c);
    return;
  }
  c->was_open = true;
  pc->data_channels_opened++;
  post_event(pc, c, CHANNEL_OPEN);
  if (pc->observer->on_data_channel) {
    rtc_data_channel_ref(c);
    pc->observer->on_data_channel(pc->user, c);
  }
}

void pc_data_channel_on_message(rtc_peer_connection* pc,
                                uint16_t stream_id,
                                bool binary,
                                const uint8_t* data,
                                size_t size) {
  rtc_data_channel* c = find(pc, stream_id);
  if (!c || c->state != RTC_DATA_CHANNEL_OPEN)
    return;
  c->messages_received++;
  c->bytes_received += size;
  if (c->observer && c->observer->on_message)
    c->observer->on_message(c->user, binary, data, size);
}

void pc_data_channel_on_sent(rtc_peer_connection* pc,
                             uint16_t stream_id,
                             uint64_t total_sent) {
  rtc_data_channel* c = find(pc, stream_id);
  if (!c || total_sent <= c->sent)
    return;
  uint64_t before = c->submitted - c->sent;
  c->sent = total_sent;
  uint64_t after = c->submitted - c->sent;
  /* webrtc-pc: bufferedamountlow when it falls to the threshold or
   * below. */
  if (before > c->low_threshold && after <= c->low_threshold && c->observer &&
      c->observer->on_buffered_amount_low)
    c->observer->on_buffered_amount_low(c->user);
}

void pc_data_channel_on_closed(rtc_peer_connection* pc, uint16_t stream_id) {
  rtc_data_channel* c = find(pc, stream_id);
  if (!c)
    return;
  rtc_data_channel_ref(c);
  if (c->state != RTC_DATA_CHANNEL_CLOSING) {
    /* Closed by the peer: closing first (webrtc-pc §6.2). */
    c->state = RTC_DATA_CHANNEL_CLOSING;
    if (c->observer && c->observer->on_closing)
      c->observer->on_closing(c->user);
  }
  c->state = RTC_DATA_CHANNEL_CLOSED;
  remove_channel(pc, c);
  fire_close(c);
  rtc_data_channel_unref(c);
}

void pc_data_channels_on_sctp_error(rtc_peer_connection* pc,
                                    const rtc_error_info* error) {
  while (pc->channel_count > 0) {
    rtc_data_channel* c = pc->channels[0];
    rtc_data_channel_ref(c);
    c->state = RTC_DATA_CHANNEL_CLOSED;
    remove_channel(pc, c);
    if (c->observer && c->observer->on_error)
      c->observer->on_error(c->user, error);
    fire_close(c);
    rtc_data_channel_unref(c);
  }
}

void pc_data_channels_close_all(rtc_peer_connection* pc, bool fire_events) {
  while (pc->channel_count > 0) {
    rtc_data_channel* c = pc->channels[0];
    rtc_data_channel_ref(c);
    c->state = RTC_DATA_CHANNEL_CLOSED;
    remove_channel(pc, c);
    if (fire_events)
      fire_close(c);
    rtc_data_channel_unref(c);
  }
}

/* --- API --- */

const char* rtc_data_channel_label(const rtc_data_channel* c) {
  return c->label;
}

const char* rtc_data_channel_protocol(const rtc_data_channel* c) {
  return c->protocol;
}

bool rtc_data_channel_ordered(const rtc_data_channel* c) {
  return c->ordered;
}

int32_t rtc_data_channel_max_packet_lifetime(const rtc_data_channel* c) {
  return c->max_packet_lifetime;
}

int32_t rtc_data_channel_max_retransmits(const rtc_data_channel* c) {
  return c->max_retransmits;
}

bool rtc_data_channel_negotiated(const rtc_data_channel* c) {
  return c->negotiated;
}

int32_t rtc_data_channel_id(const rtc_data_channel* c) {
  return c->id;
}

const char* rtc_data_channel_priority(const rtc_data_channel* c) {
  return c->priority;
}

rtc_data_channel_state rtc_data_channel_ready_state(const rtc_data_channel* c) {
  return c->state;
}

uint64_t rtc_data_channel_buffered_amount(const rtc_data_channel* c) {
  return c->submitted - c->sent;
}

uint64_t rtc_data_channel_buffered_amount_low_threshold(
    const rtc_data_channel* c) {
  return c->low_threshold;
}

void rtc_data_channel_set_buffered_amount_low_threshold(rtc_data_channel* c,
                                                        uint64_t threshold) {
  c->low_threshold = threshold;
}

/* The bytes are copied once, here on the signaling thread, into the
 * message that the SCTP transport queues: the network thread, which every
 * connection shares, does not copy them again. */
typedef struct send_args {
  uint16_t stream_id;
  bool binary;
  rtc_sctp_message* message; /* NULL once the network thread took it */
} send_args;

static void send_args_drop(void* arg) {
  send_args* a = arg;
  rtc_sctp_message_free(a->message);
}

static void net_send(pc_network* net, void* arg) {
  send_args* a = arg;
  rtc_sctp_message* message = a->message;
  a->message = NULL;
  rtc_error err =
      pc_network_send_message(net, a->stream_id, a->binary, message);
  if (err != RTC_OK)
    RTC_LOG(WARNING, "data channel %u: send failed: %s", a->stream_id,
            rtc_error_name(err));
}

rtc_error rtc_data_channel_check_send(const rtc_data_channel* c,
                                      uint64_t size,
                                      uint64_t extra_buffered) {
  rtc_peer_connection* pc = c->pc;
  /* webrtc-pc §6.2 send(): "If channel.[[ReadyState]] is not "open",
   * throw an InvalidStateError." */
  if (c->state != RTC_DATA_CHANNEL_OPEN || !pc)
    return RTC_ERR_INVALID_STATE;
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  /* "If the byte size of data exceeds the value of maxMessageSize on
   * channel's associated RTCSctpTransport, throw a TypeError." */
  uint64_t max = pc->sctp_max_message_size ? pc->sctp_max_message_size
                                           : pc->remote_max_message_size;
  if (max && size > max)
    return RTC_ERR_INVALID_ARGUMENT;
  /* "If [[BufferedAmount]] increased by the byte size of data is above
   * [[MaxBufferSize]], throw an OperationError" (a buffer we bound). */
  uint64_t buffered = (c->submitted - c->sent) + extra_buffered;
  if (buffered > MAX_BUFFERED || size > MAX_BUFFERED - buffered)
    return RTC_ERR_OPERATION;
  return RTC_OK;
}

rtc_error rtc_data_channel_send(rtc_data_channel* c,
                                bool binary,
                                const uint8_t* data,
                                size_t size) {
  rtc_error check = rtc_data_channel_check_send(c, size, 0);
  if (check != RTC_OK)
    return check;
  rtc_peer_connection* pc = c->pc;
  rtc_sctp_message* message = rtc_sctp_message_new(size);
  if (!message)
    return RTC_ERR_NO_MEMORY;
  if (size)
    memcpy(rtc_sctp_message_data(message), data, size);
  send_args* a = pc_network_call_new(pc, net_send, sizeof(*a));
  if (!a) {
    rtc_sctp_message_free(message);
    return RTC_ERR_NO_MEMORY;
  }
  a->stream_id = (uint16_t)c->id;
  a->binary = binary;
  a->message = message;
  pc_network_call_on_drop(a, send_args_drop);
  rtc_error err = pc_post_network_call(pc, a);
  if (err != RTC_OK)
    return err;
  c->submitted += size;
  c->messages_sent++;
  return RTC_OK;
}

static void net_close(pc_network* net, void* arg) {
  pc_network_close_channel(net, (uint16_t)(uintptr_t)arg);
}

/* Posts the stream reset (RFC 8831 §6.7). Without memory the channel stays
 * closing (its stream is still in use on the network: its id must not be
 * reused) and pc_data_channels_open_pending() tries again. */
static void close_on_network(rtc_peer_connection* pc, rtc_data_channel* c) {
  c->close_requested =
      pc_post_to_network(pc, net_close, (void*)(uintptr_t)c->id, NULL) !=
      RTC_OK;
}

void rtc_data_channel_close(rtc_data_channel* c) {
  /* webrtc-pc §6.2 close(). */
  if (c->state == RTC_DATA_CHANNEL_CLOSING ||
      c->state == RTC_DATA_CHANNEL_CLOSED)
    return;
  rtc_peer_connection* pc = c->pc;
  c->state = RTC_DATA_CHANNEL_CLOSING;
  if (!pc)
    return;
  if (c->opened_on_network && c->id >= 0) {
    close_on_network(pc, c);
    return;
  }
  /* Never reached the network: closed at once, the event as a task. */
  c->state = RTC_DATA_CHANNEL_CLOSED;
  rtc_data_channel_ref(c);
  remove_channel(pc, c);
  post_event(pc, c, CHANNEL_CLOSE);
  rtc_data_channel_unref(c);
}
