/*
 * RTCDataChannel (webrtc-pc §6.2) for the JavaScript bindings: the
 * attributes, send() with its queue behind Blob reads, close(), and the
 * events of the core channel (api/rtc_data_channel.h) fired on the JS
 * object. Everything runs on the JS thread (the core's observer is called
 * from the signaling queue, which is the napi task queue).
 *
 * The send queue (api/js/DESIGN.md "Blobs"). send(Blob) returns at once:
 * its checks use the Blob's size, bufferedAmount grows at once, and the
 * bytes are read with rtcbox_blob_read. While a read is pending, every
 * later send() waits behind it in the queue (its checks made at send()
 * time), so that messages leave in send() order. close() with a non-empty
 * queue lets the queued messages leave first (webrtc-pc closing procedure:
 * "finish sending all currently pending messages"; Chrome does the same),
 * readyState being "closing" meanwhile. When the channel closes otherwise
 * (the peer, the transport, pc.close()) the queue is dropped.
 *
 * A Blob that cannot be read: Chrome logs "Couldn't read Blob content,
 * skipping message." to the console and skips the message, leaving the
 * channel open (RTCDataChannel::BlobReader::DidFail); Firefox drops it too.
 * We do the same (a warning in the log) and take its size out of
 * bufferedAmount (Chrome leaves it counted forever).
 */
#include <math.h>
#include <string.h>

#include "api/js/impl/impl.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"

/* A message waiting in the send queue. */
struct rtcbox_dc_pending {
  struct rtcbox_dc_pending* next;
  /* The channel whose queue holds it; NULL once the queue was dropped
   * while its Blob read is pending (the read's callback frees it). */
  rtcbox_RTCDataChannel* channel;
  bool binary;
  bool reading;  /* a Blob read is pending */
  bool failed;   /* the read failed: skipped */
  uint64_t size; /* what it adds to pending_bytes */
  uint8_t* data; /* rtc_malloc'd (NULL for 0 bytes or before the read) */
  size_t length;
};

/* --- State --- */

static rtcbox_RTCDataChannelState ready_state(const rtcbox_RTCDataChannel* s) {
  if (s->detached)
    return RTCBOX_RTCDataChannelState_closed;
  rtc_data_channel_state state = rtc_data_channel_ready_state(s->channel);
  /* webrtc-pc close() step 3: readyState is "closing" from close() until
   * the closed procedure ran (its close event), also while our queue
   * drains and when the core closed a channel that never reached the
   * network (it posts the close event). */
  if (s->close_requested && !s->close_fired)
    return RTCBOX_RTCDataChannelState_closing;
  switch (state) {
    case RTC_DATA_CHANNEL_CONNECTING:
      return RTCBOX_RTCDataChannelState_connecting;
    case RTC_DATA_CHANNEL_OPEN:
      return RTCBOX_RTCDataChannelState_open;
    case RTC_DATA_CHANNEL_CLOSING:
      return RTCBOX_RTCDataChannelState_closing;
    case RTC_DATA_CHANNEL_CLOSED:
      break;
  }
  return RTCBOX_RTCDataChannelState_closed;
}

static uint64_t buffered_amount(const rtcbox_RTCDataChannel* s) {
  return rtc_data_channel_buffered_amount(s->channel) + s->pending_bytes;
}

/* The associated RTCSctpTransport's maxMessageSize, for messages (INFINITY
 * without one). */
static double max_message_size(const rtcbox_RTCDataChannel* s) {
  if (!s->pc || !s->pc->pc)
    return INFINITY;
  rtc_pc_sctp_transport* t = rtc_peer_connection_sctp(s->pc->pc);
  return t ? rtc_pc_sctp_transport_max_message_size(t) : INFINITY;
}

/* --- Events --- */

static void set_weak(rtcbox_RTCDataChannel* s) {
  rtcbox_wrapper_set_strong(&s->h.wrapper, false);
}

/* Fires bufferedamountlow when bufferedAmount (the core's and our queue's)
 * came down to the threshold or below since it was above it. */
static void maybe_fire_low(rtcbox_RTCDataChannel* s) {
  if (!s->low_armed ||
      buffered_amount(s) >
          rtc_data_channel_buffered_amount_low_threshold(s->channel))
    return;
  s->low_armed = false;
  rtcbox_fire_event(&s->h.wrapper, "bufferedamountlow", false, false);
}

static void arm_low(rtcbox_RTCDataChannel* s) {
  if (buffered_amount(s) >
      rtc_data_channel_buffered_amount_low_threshold(s->channel))
    s->low_armed = true;
}

/* `new MessageEvent("message", init)`, or where the host has no
 * MessageEvent, an Event with MessageEvent's attributes as read-only own
 * properties (data, origin "", lastEventId "", source null, ports []). */
static rtc_error fire_message_event(rtcbox_RTCDataChannel* s,
                                    napi_env env,
                                    napi_value data) {
  rtc_error fired = rtcbox_fire_message(&s->h.wrapper, data);
  if (fired != RTC_ERR_NOT_SUPPORTED)
    return fired;
  /* A host without MessageEvent: an Event (the realm's) with
   * MessageEvent's attributes. */
  napi_value event_ctor, argv[1], event, origin, last_event_id, source, ports;
  if (!rtcbox_get_realm_global(env, "Event", &event_ctor) ||
      napi_create_string_utf8(env, "message", NAPI_AUTO_LENGTH, &argv[0]) !=
          napi_ok ||
      napi_new_instance(env, event_ctor, 1, argv, &event) != napi_ok ||
      napi_create_string_utf8(env, "", 0, &origin) != napi_ok ||
      napi_create_string_utf8(env, "", 0, &last_event_id) != napi_ok ||
      napi_get_null(env, &source) != napi_ok ||
      napi_create_array_with_length(env, 0, &ports) != napi_ok ||
      napi_object_freeze(env, ports) != napi_ok)
    return RTC_ERR_INTERNAL;
  const napi_property_descriptor props[] = {
      {"data", NULL, NULL, NULL, NULL, data, napi_enumerable, NULL},
      {"origin", NULL, NULL, NULL, NULL, origin, napi_enumerable, NULL},
      {"lastEventId", NULL, NULL, NULL, NULL, last_event_id, napi_enumerable,
       NULL},
      {"source", NULL, NULL, NULL, NULL, source, napi_enumerable, NULL},
      {"ports", NULL, NULL, NULL, NULL, ports, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, event, sizeof(props) / sizeof(props[0]),
                             props) != napi_ok)
    return RTC_ERR_INTERNAL;
  return rtcbox_dispatch_event(&s->h.wrapper, event);
}

/* webrtc-pc §6.2 "Receiving messages on a data channel". */
static void fire_message(rtcbox_RTCDataChannel* s,
                         bool binary,
                         const uint8_t* bytes,
                         size_t size) {
  napi_env env = rtcbox_wrapper_env(&s->h.wrapper);
  if (!env)
    return;
  rtcbox_scope scope;
  if (!rtcbox_scope_open(&scope, env))
    return;
  rtc_error err = RTC_OK;
  /* No JS object: nothing can listen. */
  if (!rtcbox_wrapper_object(&s->h.wrapper))
    goto done;
  err = RTC_ERR_INTERNAL;
  napi_value data;
  if (!binary) {
    /* "a DOMString that represents the result of decoding rawData as
     * UTF-8" (V8 decodes as the Encoding Standard does: U+FFFD for each
     * maximal invalid subpart). */
    if (napi_create_string_utf8(env, size ? (const char*)bytes : "", size,
                                &data) != napi_ok)
      goto done;
  } else {
    data = rtcbox_new_array_buffer_copy(env, bytes, size);
    if (!data)
      goto done;
    if (s->binary_type == RTCBOX_BinaryType_blob) {
      /* binaryType "blob": "a new Blob object containing rawData as its raw
       * data source" (the realm's Blob). */
      data = rtcbox_new_blob(env, data);
      if (!data)
        goto done;
    }
  }
  err = fire_message_event(s, env, data);
done:
  if (err != RTC_OK) {
    rtcbox_clear_exception(env);
    RTC_LOG(WARNING, "data channel: message event not fired: %s",
            rtc_error_name(err));
  }
  rtcbox_scope_close(&scope);
}

/* An RTCErrorEvent named "error" whose error is the RTCError of `info`. */
static void fire_error(rtcbox_RTCDataChannel* s, const rtc_error_info* info) {
  napi_env env = rtcbox_wrapper_env(&s->h.wrapper);
  if (!env)
    return;
  rtcbox_scope scope;
  if (!rtcbox_scope_open(&scope, env))
    return;
  if (!rtcbox_wrapper_object(&s->h.wrapper))
    goto done;
  rtc_error_info e = *info;
  /* The event's error is an RTCError: a code of another kind becomes
   * "data-channel-failure" (its message kept). */
  if (rtc_error_js_kind(e.code) != RTC_JS_RTC_ERROR)
    e.code = RTC_ERR_DATA_CHANNEL_FAILURE;
  rtcbox_RTCErrorEventInit init;
  rtcbox_RTCErrorEventInit_init(&init);
  init.error = rtcbox_error_create(env, &e);
  if (!init.error) {
    rtcbox_clear_exception(env);
    goto done;
  }
  rtcbox_fire_RTCErrorEvent(&s->h.wrapper, "error", &init);
done:
  rtcbox_scope_close(&scope);
}

/* --- The send queue --- */

static void pending_free(struct rtcbox_dc_pending* p) {
  rtc_free(p->data);
  rtc_free(p);
}

static void queue_append(rtcbox_RTCDataChannel* s,
                         struct rtcbox_dc_pending* p) {
  if (s->pending_tail)
    s->pending_tail->next = p;
  else
    s->pending_head = p;
  s->pending_tail = p;
}

/* Drops every queued message (the channel closed). An entry whose Blob
 * read is pending is left to the read's callback. The dropped bytes stay
 * in bufferedAmount: webrtc-pc says it does not reset when the channel
 * closes. */
static void queue_drop(rtcbox_RTCDataChannel* s) {
  struct rtcbox_dc_pending* p = s->pending_head;
  s->pending_head = s->pending_tail = NULL;
  while (p) {
    struct rtcbox_dc_pending* next = p->next;
    p->next = NULL;
    if (p->reading)
      p->channel = NULL;
    else
      pending_free(p);
    p = next;
  }
}

static void close_core(rtcbox_RTCDataChannel* s) {
  if (s->close_sent)
    return;
  s->close_sent = true;
  rtc_data_channel_close(s->channel);
}

/* Hands the messages at the head of the queue to the core, up to the
 * first pending Blob read; then the deferred close(), if any. `fire`:
 * bufferedamountlow may fire (false when JS may not run). */
static void queue_run(rtcbox_RTCDataChannel* s, bool fire) {
  while (s->pending_head && !s->pending_head->reading) {
    struct rtcbox_dc_pending* p = s->pending_head;
    s->pending_head = p->next;
    if (!s->pending_head)
      s->pending_tail = NULL;
    s->pending_bytes -= p->size;
    if (!p->failed) {
      rtc_error err =
          rtc_data_channel_send(s->channel, p->binary, p->data, p->length);
      /* Its checks were made at send() time; what fails now (out of
       * memory, a channel the transport closed meanwhile) is lost. */
      if (err != RTC_OK)
        RTC_LOG(WARNING, "data channel: a queued message was dropped: %s",
                rtc_error_name(err));
    }
    pending_free(p);
  }
  if (!s->pending_head && s->close_requested)
    close_core(s);
  if (fire)
    maybe_fire_low(s);
}

static void on_blob_read(void* user_data,
                         rtc_error status,
                         const uint8_t* data,
                         size_t length) {
  struct rtcbox_dc_pending* p = user_data;
  rtcbox_RTCDataChannel* s = p->channel;
  p->reading = false;
  if (!s) { /* dropped meanwhile */
    pending_free(p);
    return;
  }
  if (status == RTC_OK && length > 0) {
    p->data = rtc_malloc(length);
    if (p->data) {
      memcpy(p->data, data, length);
      p->length = length;
    } else {
      status = RTC_ERR_NO_MEMORY;
    }
  }
  if (status != RTC_OK) {
    /* As Chrome: the message is skipped, the channel stays open. */
    RTC_LOG(WARNING,
            "data channel: couldn't read Blob content (%s), "
            "skipping message",
            rtc_error_name(status));
    p->failed = true;
  }
  rtcbox_impl_ref(&s->h);
  /* RTC_ERR_ABORT: the env is being torn down, no JS may run. */
  queue_run(s, status != RTC_ERR_ABORT);
  rtcbox_impl_unref(&s->h);
}

/* webrtc-pc send() steps 2-3 and the size checks, for a message that
 * cannot go to the core now (a Blob, or anything behind a pending read). */
static rtc_error check_send(rtcbox_ctx* ctx,
                            rtcbox_RTCDataChannel* s,
                            uint64_t size) {
  /* "If channel.[[ReadyState]] is not "open", throw an
   * InvalidStateError." */
  if (ready_state(s) != RTCBOX_RTCDataChannelState_open)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE,
                           "RTCDataChannel.readyState is not 'open'");
  /* The size checks (maxMessageSize: TypeError; the send buffer:
   * OperationError) as the core makes them, counting what waits here. */
  rtc_error err =
      rtc_data_channel_check_send(s->channel, size, s->pending_bytes);
  switch (err) {
    case RTC_OK:
      break;
    case RTC_ERR_INVALID_ARGUMENT:
      return rtcbox_ctx_fail(ctx, err,
                             "The message (%llu bytes) is larger than the "
                             "transport's maxMessageSize (%.0f bytes).",
                             (unsigned long long)size, max_message_size(s));
    case RTC_ERR_OPERATION:
      return rtcbox_ctx_fail(ctx, err, "RTCDataChannel send queue is full");
    case RTC_ERR_INVALID_STATE:
      return rtcbox_ctx_fail(ctx, err,
                             "RTCDataChannel.readyState is not 'open'");
    default:
      return err;
  }
  return RTC_OK;
}

/* send() of a string (as UTF-8) or of bytes. */
static rtc_error send_bytes(rtcbox_ctx* ctx,
                            rtcbox_RTCDataChannel* s,
                            bool binary,
                            const uint8_t* data,
                            size_t size) {
  if (!s->pending_head) {
    if (ready_state(s) != RTCBOX_RTCDataChannelState_open)
      return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE,
                             "RTCDataChannel.readyState is not 'open'");
    rtc_error err = rtc_data_channel_send(s->channel, binary, data, size);
    switch (err) {
      case RTC_OK:
        arm_low(s);
        return RTC_OK;
      case RTC_ERR_INVALID_STATE:
        return rtcbox_ctx_fail(ctx, err,
                               "RTCDataChannel.readyState is not 'open'");
      case RTC_ERR_INVALID_ARGUMENT:
        return rtcbox_ctx_fail(ctx, err,
                               "The message (%zu bytes) is larger than the "
                               "transport's maxMessageSize.",
                               size);
      case RTC_ERR_OPERATION:
        return rtcbox_ctx_fail(ctx, err, "RTCDataChannel send queue is full");
      default:
        return err;
    }
  }
  rtc_error err = check_send(ctx, s, size);
  if (err != RTC_OK)
    return err;
  struct rtcbox_dc_pending* p = rtc_calloc(1, sizeof(*p));
  if (!p)
    return RTC_ERR_NO_MEMORY;
  if (size) {
    p->data = rtc_malloc(size);
    if (!p->data) {
      rtc_free(p);
      return RTC_ERR_NO_MEMORY;
    }
    memcpy(p->data, data, size);
  }
  p->channel = s;
  p->binary = binary;
  p->size = size;
  p->length = size;
  queue_append(s, p);
  s->pending_bytes += size;
  arm_low(s);
  return RTC_OK;
}

/* --- Core observer --- */

static void obs_open(void* user) {
  rtcbox_RTCDataChannel* s = user;
  rtcbox_fire_event(&s->h.wrapper, "open", false, false);
}

static void obs_message(void* user,
                        bool binary,
                        const uint8_t* data,
                        size_t size) {
  rtcbox_RTCDataChannel* s = user;
  /* "If channel.[[ReadyState]] is not "open", abort these steps and
   * discard rawData." (ours is "closing" from close() on.) */
  if (ready_state(s) != RTCBOX_RTCDataChannelState_open)
    return;
  rtcbox_impl_ref(&s->h);
  fire_message(s, binary, data, size);
  rtcbox_impl_unref(&s->h);
}

static void obs_buffered_amount_low(void* user) {
  rtcbox_RTCDataChannel* s = user;
  /* The core's amount crossed the threshold; ours also counts the queue. */
  s->low_armed = true;
  rtcbox_impl_ref(&s->h);
  maybe_fire_low(s);
  rtcbox_impl_unref(&s->h);
}

static void obs_error(void* user, const rtc_error_info* error) {
  rtcbox_RTCDataChannel* s = user;
  queue_drop(s);
  rtcbox_impl_ref(&s->h);
  fire_error(s, error);
  rtcbox_impl_unref(&s->h);
}

static void obs_closing(void* user) {
  rtcbox_RTCDataChannel* s = user;
  /* The peer closes the channel: nothing queued can leave any more. */
  queue_drop(s);
  /* webrtc-pc closing procedure: "Unless the procedure was initiated by
   * channel.close, set [[ReadyState]] to "closing" and fire an event named
   * closing at channel." */
  if (s->close_requested)
    return;
  rtcbox_fire_event(&s->h.wrapper, "closing", false, false);
}

static void obs_close(void* user) {
  rtcbox_RTCDataChannel* s = user;
  queue_drop(s);
  if (s->close_fired)
    return;
  s->close_fired = true;
  rtcbox_impl_ref(&s->h);
  /* webrtc-pc "announce the data channel as closed": readyState "closed"
   * (the core's), then the close event. No event can follow: weak. */
  rtcbox_fire_event(&s->h.wrapper, "close", false, false);
  set_weak(s);
  rtcbox_impl_unref(&s->h);
}

static const rtc_data_channel_observer kObserver = {
    .on_open = obs_open,
    .on_message = obs_message,
    .on_buffered_amount_low = obs_buffered_amount_low,
    .on_error = obs_error,
    .on_closing = obs_closing,
    .on_close = obs_close,
};

/* --- Lifetime --- */

static void detach(rtcbox_RTCDataChannel* s) {
  if (s->observing) {
    rtc_data_channel_set_observer(s->channel, NULL, NULL);
    s->observing = false;
  }
}

static void channel_free(rtcbox_impl_header* h) {
  rtcbox_RTCDataChannel* s = (rtcbox_RTCDataChannel*)h;
  queue_drop(s);
  detach(s);
  rtc_data_channel_unref(s->channel);
  if (s->pc)
    rtcbox_pc_forget_channel(s->pc, s);
  rtc_free(s);
}

rtcbox_RTCDataChannel* rtcbox_data_channel_new(rtcbox_RTCPeerConnection* pc,
                                               rtc_data_channel* channel) {
  RTC_CHECK(channel);
  rtcbox_RTCDataChannel* s = rtc_calloc(1, sizeof(*s));
  if (!s)
    return NULL;
  rtcbox_impl_init(&s->h, RTCBOX_CLASS_RTCDataChannel, channel_free);
  rtc_data_channel_ref(channel);
  s->channel = channel;
  s->pc = pc;
  /* webrtc-pc: "When an RTCDataChannel object is created, the binaryType
   * attribute MUST be initialized to the string "arraybuffer"." (It was
   * "blob" until 2023; Chrome has always used "arraybuffer".) */
  s->binary_type = RTCBOX_BinaryType_arraybuffer;
  rtc_data_channel_set_observer(channel, &kObserver, s);
  s->observing = true;
  if (rtc_data_channel_ready_state(channel) == RTC_DATA_CHANNEL_CLOSED) {
    s->close_fired = true; /* nothing more can happen */
  } else {
    rtcbox_wrapper_set_strong(&s->h.wrapper, true);
  }
  return s;
}

void rtcbox_data_channel_pc_closed(rtcbox_RTCDataChannel* s) {
  /* webrtc-pc "close the connection": "Set the [[ReadyState]] slot of each
   * of connection's RTCDataChannels to "closed". The RTCDataChannels will
   * be closed abruptly and the closing procedure will not be invoked." No
   * event fires (w3c/webrtc-pc#3085 asks whether close should). */
  s->detached = true;
  queue_drop(s);
  detach(s);
  set_weak(s);
}

void rtcbox_RTCDataChannel_finalize(rtcbox_RTCDataChannel* self) {
  rtcbox_impl_unref(&self->h);
}

/* --- Operations --- */

rtc_error rtcbox_RTCDataChannel_close(rtcbox_ctx* ctx,
                                      rtcbox_RTCDataChannel* self) {
  (void)ctx;
  rtcbox_RTCDataChannelState state = ready_state(self);
  /* webrtc-pc close() 2: "If channel.[[ReadyState]] is "closing" or
   * "closed", then abort these steps." */
  if (state == RTCBOX_RTCDataChannelState_closing ||
      state == RTCBOX_RTCDataChannelState_closed)
    return RTC_OK;
  /* 3-5: [[ReadyState]] "closing"; start the closing procedure, which
   * first finishes sending the queued messages. */
  self->close_requested = true;
  if (!self->pending_head)
    close_core(self);
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_send(rtcbox_ctx* ctx,
                                     rtcbox_RTCDataChannel* self,
                                     rtcbox_string data) {
  /* "string object: Let data be a byte buffer that represents the result
   * of encoding the method's argument as UTF-8." (a USVString: UTF-8.) */
  return send_bytes(ctx, self, false, (const uint8_t*)data.data, data.length);
}

rtc_error rtcbox_RTCDataChannel_send_Blob(rtcbox_ctx* ctx,
                                          rtcbox_RTCDataChannel* self,
                                          rtcbox_blob* data) {
  /* "Blob object: Let data be the raw data represented by the Blob
   * object." Its retrieval is asynchronous; "the byte size of data needs
   * to be known synchronously". */
  uint64_t size = rtcbox_blob_size(data);
  rtc_error err = check_send(ctx, self, size);
  if (err != RTC_OK)
    return err;
  struct rtcbox_dc_pending* p = rtc_calloc(1, sizeof(*p));
  if (!p)
    return RTC_ERR_NO_MEMORY;
  p->channel = self;
  p->binary = true;
  p->reading = true;
  p->size = size;
  struct rtcbox_dc_pending* prev_tail = self->pending_tail;
  queue_append(self, p);
  self->pending_bytes += size;
  err = rtcbox_blob_read(data, on_blob_read, p);
  if (err != RTC_OK) {
    /* The callback will not run: take the entry back out. */
    self->pending_tail = prev_tail;
    if (prev_tail)
      prev_tail->next = NULL;
    else
      self->pending_head = NULL;
    self->pending_bytes -= size;
    rtc_free(p);
    return rtcbox_ctx_fail(ctx,
                           err == RTC_ERR_NO_MEMORY ? err : RTC_ERR_OPERATION,
                           "The Blob cannot be read.");
  }
  arm_low(self);
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_send_ArrayBuffer(rtcbox_ctx* ctx,
                                                 rtcbox_RTCDataChannel* self,
                                                 rtcbox_bytes data) {
  return send_bytes(ctx, self, true, data.data, data.length);
}

rtc_error rtcbox_RTCDataChannel_send_ArrayBufferView(
    rtcbox_ctx* ctx,
    rtcbox_RTCDataChannel* self,
    rtcbox_bytes data) {
  /* "the data stored in the section of the buffer ... that the
   * ArrayBufferView object references" (the glue copied just that). */
  return send_bytes(ctx, self, true, data.data, data.length);
}

/* --- Attributes --- */

rtc_error rtcbox_RTCDataChannel_get_label(rtcbox_ctx* ctx,
                                          rtcbox_RTCDataChannel* self,
                                          rtcbox_string* result) {
  (void)ctx;
  *result = rtcbox_string_from_cstr(rtc_data_channel_label(self->channel));
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_get_ordered(rtcbox_ctx* ctx,
                                            rtcbox_RTCDataChannel* self,
                                            bool* result) {
  (void)ctx;
  *result = rtc_data_channel_ordered(self->channel);
  return RTC_OK;
}

static void nullable_u16(int32_t v, rtcbox_nullable_uint16* out) {
  out->is_null = v < 0 || v > 65535;
  out->value = out->is_null ? 0 : (uint16_t)v;
}

rtc_error rtcbox_RTCDataChannel_get_maxPacketLifeTime(
    rtcbox_ctx* ctx,
    rtcbox_RTCDataChannel* self,
    rtcbox_nullable_uint16* result) {
  (void)ctx;
  nullable_u16(rtc_data_channel_max_packet_lifetime(self->channel), result);
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_get_maxRetransmits(
    rtcbox_ctx* ctx,
    rtcbox_RTCDataChannel* self,
    rtcbox_nullable_uint16* result) {
  (void)ctx;
  nullable_u16(rtc_data_channel_max_retransmits(self->channel), result);
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_get_protocol(rtcbox_ctx* ctx,
                                             rtcbox_RTCDataChannel* self,
                                             rtcbox_string* result) {
  (void)ctx;
  *result = rtcbox_string_from_cstr(rtc_data_channel_protocol(self->channel));
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_get_negotiated(rtcbox_ctx* ctx,
                                               rtcbox_RTCDataChannel* self,
                                               bool* result) {
  (void)ctx;
  *result = rtc_data_channel_negotiated(self->channel);
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_get_id(rtcbox_ctx* ctx,
                                       rtcbox_RTCDataChannel* self,
                                       rtcbox_nullable_uint16* result) {
  (void)ctx;
  /* null until the DTLS role gives an in-band channel its id. */
  nullable_u16(rtc_data_channel_id(self->channel), result);
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_get_readyState(
    rtcbox_ctx* ctx,
    rtcbox_RTCDataChannel* self,
    rtcbox_RTCDataChannelState* result) {
  (void)ctx;
  *result = ready_state(self);
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_get_bufferedAmount(rtcbox_ctx* ctx,
                                                   rtcbox_RTCDataChannel* self,
                                                   uint32_t* result) {
  (void)ctx;
  uint64_t amount = buffered_amount(self);
  *result = amount > UINT32_MAX ? UINT32_MAX : (uint32_t)amount;
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_get_bufferedAmountLowThreshold(
    rtcbox_ctx* ctx,
    rtcbox_RTCDataChannel* self,
    uint32_t* result) {
  (void)ctx;
  uint64_t t = rtc_data_channel_buffered_amount_low_threshold(self->channel);
  *result = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_set_bufferedAmountLowThreshold(
    rtcbox_ctx* ctx,
    rtcbox_RTCDataChannel* self,
    uint32_t value) {
  (void)ctx;
  rtc_data_channel_set_buffered_amount_low_threshold(self->channel, value);
  /* bufferedamountlow fires when the amount comes down past the new
   * threshold, not for setting it. */
  self->low_armed = buffered_amount(self) > value;
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_get_binaryType(rtcbox_ctx* ctx,
                                               rtcbox_RTCDataChannel* self,
                                               rtcbox_BinaryType* result) {
  (void)ctx;
  *result = self->binary_type;
  return RTC_OK;
}

rtc_error rtcbox_RTCDataChannel_set_binaryType(rtcbox_ctx* ctx,
                                               rtcbox_RTCDataChannel* self,
                                               rtcbox_BinaryType value) {
  (void)ctx;
  /* (A value outside the enum never gets here: the glue ignores it, as
   * WebIDL says for enumeration attributes.) */
  self->binary_type = value;
  return RTC_OK;
}
