/*
 * The RTP media API of webrtc-pc (§5) for the JavaScript bindings:
 * RTCRtpTransceiver, RTCRtpSender, RTCRtpReceiver, RTCDTMFSender, the
 * RTP members of RTCPeerConnection (addTrack, removeTrack, addTransceiver,
 * getSenders, getReceivers, getTransceivers) and the `track` event.
 *
 * One group (impl.h) per core transceiver holds the four objects, the
 * receiver's track, the sender's track and [[SendEncodings]]; the peer
 * connection's registry (rtcbox_pc_rtp_group) gives the same group, so the
 * same JS objects, each time. The core negotiates (directions, mids,
 * codecs, stopping, the sender's streams); media does not flow yet, so no
 * RTP statistics exist, receivers never unmute and DTMF cannot be sent
 * (no telephone-event is negotiated).
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "api/js/impl/impl.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"

static const char kClosed[] =
    "The RTCPeerConnection's signalingState is "
    "'closed'.";

/* An entry of [[SendEncodings]]. */
struct rtcbox_rtp_encoding {
  char* rid; /* NULL: absent */
  bool active;
  bool has_max_bitrate;
  uint32_t max_bitrate;
  bool has_max_framerate;
  double max_framerate;
  bool has_scale;
  double scale;
  bool has_codec;
  rtc_rtp_codec codec;
};

typedef struct rtcbox_rtp_encoding rtp_encoding;

static void encodings_free(rtp_encoding* e, size_t n) {
  for (size_t i = 0; i < n; i++)
    rtc_free(e[i].rid);
  rtc_free(e);
}

/* ------------------------------------------------------------------------
 * Enums and codecs
 * --------------------------------------------------------------------- */

static rtcbox_RTCRtpTransceiverDirection to_js_direction(
    rtc_transceiver_direction d) {
  switch (d) {
    case RTC_DIRECTION_SENDRECV:
      return RTCBOX_RTCRtpTransceiverDirection_sendrecv;
    case RTC_DIRECTION_SENDONLY:
      return RTCBOX_RTCRtpTransceiverDirection_sendonly;
    case RTC_DIRECTION_RECVONLY:
      return RTCBOX_RTCRtpTransceiverDirection_recvonly;
    case RTC_DIRECTION_INACTIVE:
      return RTCBOX_RTCRtpTransceiverDirection_inactive;
    case RTC_DIRECTION_STOPPED:
      break;
  }
  return RTCBOX_RTCRtpTransceiverDirection_stopped;
}

static rtc_transceiver_direction from_js_direction(
    rtcbox_RTCRtpTransceiverDirection d) {
  switch (d) {
    case RTCBOX_RTCRtpTransceiverDirection_sendrecv:
      return RTC_DIRECTION_SENDRECV;
    case RTCBOX_RTCRtpTransceiverDirection_sendonly:
      return RTC_DIRECTION_SENDONLY;
    case RTCBOX_RTCRtpTransceiverDirection_recvonly:
      return RTC_DIRECTION_RECVONLY;
    case RTCBOX_RTCRtpTransceiverDirection_inactive:
      return RTC_DIRECTION_INACTIVE;
    case RTCBOX_RTCRtpTransceiverDirection_stopped:
      break;
  }
  return RTC_DIRECTION_STOPPED;
}

static bool has_send(rtc_transceiver_direction d) {
  return d == RTC_DIRECTION_SENDRECV || d == RTC_DIRECTION_SENDONLY;
}

/* "audio" / "video" (the kind argument of getCapabilities, the kind of
 * addTransceiver). */
static bool kind_from_string(rtcbox_string s, rtc_media_kind* out) {
  if (s.length == 5 && memcmp(s.data, "audio", 5) == 0) {
    *out = RTC_MEDIA_AUDIO;
    return true;
  }
  if (s.length == 5 && memcmp(s.data, "video", 5) == 0) {
    *out = RTC_MEDIA_VIDEO;
    return true;
  }
  return false;
}

/* An RTCRtpCodec from JS as the core's; false when it cannot be one of
 * ours (a string longer than the core keeps). */
static bool codec_from_js(const rtcbox_RTCRtpCodec* in, rtc_rtp_codec* out) {
  memset(out, 0, sizeof(*out));
  if (in->mimeType.length >= sizeof(out->mime_type) ||
      (in->has_sdpFmtpLine &&
       in->sdpFmtpLine.length >= sizeof(out->sdp_fmtp_line)))
    return false;
  memcpy(out->mime_type, in->mimeType.data, in->mimeType.length);
  out->clock_rate = in->clockRate;
  out->channels = in->has_channels ? in->channels : 0;
  if (in->has_sdpFmtpLine)
    memcpy(out->sdp_fmtp_line, in->sdpFmtpLine.data, in->sdpFmtpLine.length);
  return true;
}

static void codec_to_js(rtcbox_ctx* ctx,
                        const rtc_rtp_codec* in,
                        rtcbox_RTCRtpCodec* out) {
  rtcbox_RTCRtpCodec_init(out);
  out->mimeType = rtcbox_ctx_strdup(ctx, in->mime_type);
  out->clockRate = in->clock_rate;
  out->has_channels = in->channels != 0;
  out->channels = in->channels;
  out->has_sdpFmtpLine = in->sdp_fmtp_line[0] != '\0';
  if (out->has_sdpFmtpLine)
    out->sdpFmtpLine = rtcbox_ctx_strdup(ctx, in->sdp_fmtp_line);
}

/* webrtc-pc "codec dictionary match" (mimeType ASCII case-insensitive,
 * clockRate, channels and sdpFmtpLine present in both or neither and
 * equal). */
static bool codec_match(const rtc_rtp_codec* a, const rtc_rtp_codec* b) {
  return strcasecmp(a->mime_type, b->mime_type) == 0 &&
         a->clock_rate == b->clock_rate && a->channels == b->channels &&
         strcmp(a->sdp_fmtp_line, b->sdp_fmtp_line) == 0;
}

/* The codec is one RTCRtpSender.getCapabilities(kind) lists. */
static bool codec_implemented(rtc_media_kind kind, const rtc_rtp_codec* c) {
  rtc_rtp_codec caps[16];
  size_t n = rtc_rtp_capabilities_codecs(kind, caps, 16);
  for (size_t i = 0; i < n && i < 16; i++) {
    if (codec_match(&caps[i], c))
      return true;
  }
  return false;
}

static rtc_error capabilities(rtcbox_ctx* ctx,
                              rtcbox_string kind,
                              rtcbox_nullable_RTCRtpCapabilities* result) {
  /* webrtc-pc getCapabilities(kind): "If kind is neither "video" nor
   * "audio" return null." */
  rtc_media_kind k;
  if (!kind_from_string(kind, &k)) {
    result->is_null = true;
    return RTC_OK;
  }
  result->is_null = false;
  rtcbox_RTCRtpCapabilities_init(&result->value);
  rtc_rtp_codec codecs[16];
  size_t n = rtc_rtp_capabilities_codecs(k, codecs, 16);
  if (n > 16)
    n = 16;
  const char* uris[32];
  size_t m = rtc_rtp_capabilities_header_extensions(k, uris, 32);
  if (m > 32)
    m = 32;
  rtcbox_RTCRtpCodec* c = rtcbox_ctx_alloc(ctx, (n ? n : 1) * sizeof(*c));
  rtcbox_RTCRtpHeaderExtensionCapability* e =
      rtcbox_ctx_alloc(ctx, (m ? m : 1) * sizeof(*e));
  if (!c || !e)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  for (size_t i = 0; i < n; i++)
    codec_to_js(ctx, &codecs[i], &c[i]);
  for (size_t i = 0; i < m; i++)
    e[i].uri = rtcbox_string_from_cstr(uris[i]);
  result->value.codecs = (rtcbox_seq_RTCRtpCodec){c, n};
  result->value.headerExtensions =
      (rtcbox_seq_RTCRtpHeaderExtensionCapability){e, m};
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * The group
 * --------------------------------------------------------------------- */

static bool pc_gone(const rtcbox_rtp_group* g) {
  return !g->pc || !g->pc->pc || g->pc->closed;
}

static void group_free(rtcbox_impl_header* h) {
  rtcbox_rtp_group* g = (rtcbox_rtp_group*)h;
  rtcbox_impl_unref(g->sender_track ? &g->sender_track->h : NULL);
  rtcbox_impl_unref(g->receiver_track ? &g->receiver_track->h : NULL);
  for (size_t i = 0; i < g->remote_stream_count; i++)
    rtcbox_impl_unref(&g->remote_streams[i]->h);
  rtc_free(g->remote_streams);
  encodings_free(g->encodings, g->encoding_count);
  rtcbox_impl_unref(g->transport ? &g->transport->h : NULL);
  rtc_rtp_transceiver_unref(g->transceiver);
  rtc_free(g);
}

rtcbox_rtp_group* rtcbox_rtp_group_new(rtcbox_RTCPeerConnection* pc,
                                       rtc_rtp_transceiver* transceiver,
                                       rtcbox_MediaStreamTrack* sender_track) {
  rtcbox_rtp_group* g = rtc_calloc(1, sizeof(*g));
  if (!g)
    return NULL;
  /* webrtc-pc "create an RTCRtpReceiver": "Let track be a new
   * MediaStreamTrack ... Initialize track.muted to true." Chrome labels a
   * remote track with its id. */
  g->receiver_track = rtcbox_track_new(
      rtc_rtp_transceiver_kind(transceiver) == RTC_MEDIA_VIDEO, NULL, true);
  /* "create an RTCRtpSender": "If sendEncodings is given ... and is
   * non-empty, set the [[SendEncodings]] slot to sendEncodings. Otherwise,
   * set it to a list containing a single new RTCRtpEncodingParameters
   * dictionary, and if kind is "video", add a scaleResolutionDownBy member
   * with the value 1.0" (active is true by default). */
  g->encodings = rtc_calloc(1, sizeof(*g->encodings));
  if (!g->receiver_track || !g->encodings) {
    rtcbox_impl_unref(g->receiver_track ? &g->receiver_track->h : NULL);
    rtc_free(g->encodings);
    rtc_free(g);
    return NULL;
  }
  g->encodings[0].active = true;
  if (rtc_rtp_transceiver_kind(transceiver) == RTC_MEDIA_VIDEO) {
    g->encodings[0].has_scale = true;
    g->encodings[0].scale = 1.0;
  }
  g->encoding_count = 1;
  g->receiver_track->muted = true;
  rtcbox_impl_init(&g->h, 0, group_free);
  rtcbox_impl_init_embedded(&g->t.h, RTCBOX_CLASS_RTCRtpTransceiver, &g->h);
  rtcbox_impl_init_embedded(&g->sender.h, RTCBOX_CLASS_RTCRtpSender, &g->h);
  rtcbox_impl_init_embedded(&g->receiver.h, RTCBOX_CLASS_RTCRtpReceiver, &g->h);
  rtcbox_impl_init_embedded(&g->dtmf.h, RTCBOX_CLASS_RTCDTMFSender, &g->h);
  g->t.group = g->sender.group = g->receiver.group = g->dtmf.group = g;
  rtc_rtp_transceiver_ref(transceiver);
  g->transceiver = transceiver;
  g->pc = pc;
  if (sender_track) {
    rtcbox_impl_ref(&sender_track->h);
    g->sender_track = sender_track;
  }
  /* It can fire mute and ended while the connection is open. */
  if (pc && !pc->closed)
    rtcbox_wrapper_set_strong(&g->receiver_track->h.wrapper, true);
  return g;
}

void rtcbox_rtp_group_pc_closed(rtcbox_rtp_group* g) {
  /* webrtc-pc close(): "stop the RTCRtpTransceiver with disappear set to
   * true": the receiver's track ends without an event. */
  rtcbox_track_end(g->receiver_track, false);
  rtcbox_RTCPeerConnection* pc = g->pc;
  for (size_t i = 0; pc && i < pc->remote_stream_count; i++)
    rtcbox_wrapper_set_strong(&pc->remote_streams[i]->h.wrapper, false);
}

static void set_sender_track(rtcbox_rtp_group* g, rtcbox_MediaStreamTrack* t) {
  if (t)
    rtcbox_impl_ref(&t->h);
  rtcbox_impl_unref(g->sender_track ? &g->sender_track->h : NULL);
  g->sender_track = t;
}

/* sender.transport and receiver.transport: the core's while the
 * transceiver is in a live connection, else the last one seen. */
static rtcbox_RTCDtlsTransport* transport_of(rtcbox_rtp_group* g) {
  if (g->pc && g->pc->pc && !rtc_rtp_transceiver_stopped(g->transceiver)) {
    rtc_pc_dtls_transport* core = rtc_rtp_transceiver_transport(g->transceiver);
    rtcbox_RTCDtlsTransport* t =
        core ? rtcbox_pc_dtls_transport(g->pc, core) : NULL;
    if (t != g->transport) {
      if (t)
        rtcbox_impl_ref(&t->h);
      rtcbox_impl_unref(g->transport ? &g->transport->h : NULL);
      g->transport = t;
    }
  }
  return g->transport;
}

/* A posted step that holds the group. */
typedef struct group_task {
  rtcbox_rtp_group* group;        /* referenced */
  rtcbox_promise* promise;        /* NULL: none */
  rtcbox_MediaStreamTrack* track; /* replaceTrack: referenced or NULL */
  rtp_encoding* encodings;        /* setParameters */
  size_t encoding_count;
} group_task;

static void group_task_destroy(void* arg) {
  group_task* t = arg;
  if (t->promise)
    rtcbox_promise_drop(t->promise);
  rtcbox_impl_unref(t->track ? &t->track->h : NULL);
  encodings_free(t->encodings, t->encoding_count);
  rtcbox_impl_unref(&t->group->h);
  rtc_free(t);
}

/* Posts run(task) on the env's queue. Errors: RTC_ERR_NO_MEMORY,
 * RTC_ERR_INVALID_STATE; `promise` is then untouched. */
static rtc_error post_group_task(rtcbox_ctx* ctx,
                                 rtcbox_rtp_group* g,
                                 rtc_task_fn run,
                                 rtcbox_promise* promise,
                                 group_task** out) {
  group_task* t = rtc_calloc(1, sizeof(*t));
  if (!t)
    return RTC_ERR_NO_MEMORY;
  rtcbox_impl_ref(&g->h);
  t->group = g;
  if (out)
    *out = t;
  rtc_task task = {run, group_task_destroy, t};
  rtc_error err = rtcbox_media_post_task(ctx->env, task);
  if (err == RTC_OK)
    t->promise = promise;
  return err;
}

/* ------------------------------------------------------------------------
 * RTCRtpTransceiver (webrtc-pc §5.4)
 * --------------------------------------------------------------------- */

void rtcbox_RTCRtpTransceiver_finalize(rtcbox_RTCRtpTransceiver* self) {
  rtcbox_impl_unref(&self->h);
}

rtc_error rtcbox_RTCRtpTransceiver_get_mid(rtcbox_ctx* ctx,
                                           rtcbox_RTCRtpTransceiver* self,
                                           rtcbox_string* result) {
  *result =
      rtcbox_ctx_strdup(ctx, rtc_rtp_transceiver_mid(self->group->transceiver));
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpTransceiver_get_sender(rtcbox_ctx* ctx,
                                              rtcbox_RTCRtpTransceiver* self,
                                              rtcbox_RTCRtpSender** result) {
  (void)ctx;
  *result = RTCBOX_OUT(&self->group->sender);
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpTransceiver_get_receiver(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpTransceiver* self,
    rtcbox_RTCRtpReceiver** result) {
  (void)ctx;
  *result = RTCBOX_OUT(&self->group->receiver);
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpTransceiver_get_direction(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpTransceiver* self,
    rtcbox_RTCRtpTransceiverDirection* result) {
  (void)ctx;
  /* "If transceiver.[[Stopping]] is true, return "stopped"." */
  rtc_rtp_transceiver* t = self->group->transceiver;
  *result = rtc_rtp_transceiver_stopping(t)
                ? RTCBOX_RTCRtpTransceiverDirection_stopped
                : to_js_direction(rtc_rtp_transceiver_direction(t));
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpTransceiver_set_direction(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpTransceiver* self,
    rtcbox_RTCRtpTransceiverDirection value) {
  rtcbox_rtp_group* g = self->group;
  /* webrtc-pc direction setter: "If connection.[[IsClosed]] is true,
   * throw an InvalidStateError. If transceiver.[[Stopping]] is true,
   * throw an InvalidStateError." */
  if (pc_gone(g))
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE, kClosed);
  if (rtc_rtp_transceiver_stopping(g->transceiver))
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE,
                           "The transceiver is stopping.");
  rtc_transceiver_direction d = from_js_direction(value);
  /* "If newDirection is equal to transceiver.[[Direction]], abort these
   * steps. If newDirection is equal to "stopped", throw a TypeError." */
  if (d == rtc_rtp_transceiver_direction(g->transceiver))
    return RTC_OK;
  if (d == RTC_DIRECTION_STOPPED)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_ARGUMENT,
                           "The direction 'stopped' cannot be set.");
  rtc_error err = rtc_rtp_transceiver_set_direction(g->transceiver, d);
  if (err != RTC_OK)
    return rtcbox_ctx_fail(ctx, err, NULL);
  rtcbox_pc_negotiation_probe(g->pc);
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpTransceiver_get_currentDirection(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpTransceiver* self,
    rtcbox_nullable_RTCRtpTransceiverDirection* result) {
  (void)ctx;
  rtc_rtp_transceiver* t = self->group->transceiver;
  rtc_transceiver_direction d;
  /* "If transceiver.[[Stopped]] is true, return "stopped"." */
  if (rtc_rtp_transceiver_stopped(t)) {
    result->is_null = false;
    result->value = RTCBOX_RTCRtpTransceiverDirection_stopped;
  } else if (rtc_rtp_transceiver_current_direction(t, &d)) {
    result->is_null = false;
    result->value = to_js_direction(d);
  } else {
    result->is_null = true;
  }
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpTransceiver_stop(rtcbox_ctx* ctx,
                                        rtcbox_RTCRtpTransceiver* self) {
  rtcbox_rtp_group* g = self->group;
  /* webrtc-pc stop(): "If connection.[[IsClosed]] is true, throw an
   * InvalidStateError. If transceiver.[[Stopping]] is true, abort these
   * steps. Stop sending and receiving with transceiver." */
  if (pc_gone(g))
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE, kClosed);
  if (rtc_rtp_transceiver_stopping(g->transceiver))
    return RTC_OK;
  rtc_rtp_transceiver_stop(g->transceiver);
  rtcbox_pc_negotiation_probe(g->pc);
  /* "stop sending and receiving": "execute the steps for
   * receiver.[[ReceiverTrack]] to be ended. This fires an event." */
  rtcbox_track_end(g->receiver_track, true);
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpTransceiver_setCodecPreferences(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpTransceiver* self,
    rtcbox_seq_RTCRtpCodec codecs) {
  rtc_rtp_codec* list = NULL;
  if (codecs.length) {
    list = rtcbox_ctx_alloc(ctx, codecs.length * sizeof(*list));
    if (!list)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  }
  for (size_t i = 0; i < codecs.length; i++) {
    /* Longer than any of ours: "If codec does not match any codec in
     * codecCapabilities, throw InvalidModificationError." */
    if (!codec_from_js(&codecs.items[i], &list[i]))
      return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_MODIFICATION,
                             "Invalid codec preferences: missing codec from "
                             "codec capabilities.");
  }
  rtc_error err = rtc_rtp_transceiver_set_codec_preferences(
      self->group->transceiver, list, codecs.length);
  if (err == RTC_ERR_INVALID_MODIFICATION)
    return rtcbox_ctx_fail(ctx, err,
                           "Invalid codec preferences: a codec is not in the "
                           "capabilities, or only RTX, RED or FEC codecs "
                           "are given.");
  return err == RTC_OK ? RTC_OK : rtcbox_ctx_fail(ctx, err, NULL);
}

/* ------------------------------------------------------------------------
 * Parameters (webrtc-pc §5.2 getParameters, §5.3 receiver)
 * --------------------------------------------------------------------- */

/* The negotiated codecs, header extensions and rtcp as JS dictionaries. */
static rtc_error parameters_to_js(
    rtcbox_ctx* ctx,
    const rtc_rtp_negotiated* n,
    rtcbox_seq_RTCRtpCodecParameters* codecs,
    rtcbox_seq_RTCRtpHeaderExtensionParameters* ext,
    rtcbox_RTCRtcpParameters* rtcp) {
  rtcbox_RTCRtpCodecParameters* c =
      rtcbox_ctx_alloc(ctx, (n->codec_count + 1) * sizeof(*c));
  rtcbox_RTCRtpHeaderExtensionParameters* e =
      rtcbox_ctx_alloc(ctx, (n->extension_count + 1) * sizeof(*e));
  if (!c || !e)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  for (size_t i = 0; i < n->codec_count; i++) {
    rtcbox_RTCRtpCodec codec;
    codec_to_js(ctx, &n->codecs[i].codec, &codec);
    rtcbox_RTCRtpCodecParameters_init(&c[i]);
    c[i].payloadType = n->codecs[i].payload_type;
    c[i].mimeType = codec.mimeType;
    c[i].clockRate = codec.clockRate;
    c[i].has_channels = codec.has_channels;
    c[i].channels = codec.channels;
    c[i].has_sdpFmtpLine = codec.has_sdpFmtpLine;
    c[i].sdpFmtpLine = codec.sdpFmtpLine;
  }
  for (size_t i = 0; i < n->extension_count; i++) {
    rtcbox_RTCRtpHeaderExtensionParameters_init(&e[i]);
    e[i].uri = rtcbox_ctx_strdup(ctx, n->extensions[i].uri);
    e[i].id = n->extensions[i].id;
    e[i].encrypted = n->extensions[i].encrypted;
  }
  *codecs = (rtcbox_seq_RTCRtpCodecParameters){c, n->codec_count};
  *ext = (rtcbox_seq_RTCRtpHeaderExtensionParameters){e, n->extension_count};
  rtcbox_RTCRtcpParameters_init(rtcp);
  /* "rtcp.cname is set to the CNAME of the associated RTCPeerConnection.
   * rtcp.reducedSize is set to true if reduced-size RTCP has been
   * negotiated"; the receiver's cname is left undefined (n->cname ""). */
  rtcp->has_reducedSize = true;
  rtcp->reducedSize = n->reduced_size;
  rtcp->has_cname = n->cname[0] != '\0';
  if (rtcp->has_cname)
    rtcp->cname = rtcbox_ctx_strdup(ctx, n->cname);
  return RTC_OK;
}

static void clear_last_returned(void* arg) {
  group_task* t = arg;
  /* getParameters(): "Queue a task that sets
   * sender.[[LastReturnedParameters]] to null." */
  t->group->transaction_id[0] = '\0';
  t->group->clear_posted = false;
}

rtc_error rtcbox_RTCRtpSender_getParameters(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpSender* self,
    rtcbox_RTCRtpSendParameters* result) {
  rtcbox_rtp_group* g = self->group;
  rtcbox_RTCRtpSendParameters_init(result);
  rtc_rtp_negotiated n;
  rtc_rtp_transceiver_negotiated(g->transceiver, true, &n);
  rtc_error err = parameters_to_js(ctx, &n, &result->codecs,
                                   &result->headerExtensions, &result->rtcp);
  if (err != RTC_OK)
    return err;
  rtcbox_RTCRtpEncodingParameters* e =
      rtcbox_ctx_alloc(ctx, g->encoding_count * sizeof(*e));
  if (!e)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  for (size_t i = 0; i < g->encoding_count; i++) {
    const rtp_encoding* s = &g->encodings[i];
    rtcbox_RTCRtpEncodingParameters_init(&e[i]);
    e[i].has_rid = s->rid != NULL;
    e[i].rid = rtcbox_ctx_strdup(ctx, s->rid);
    e[i].active = s->active;
    e[i].has_maxBitrate = s->has_max_bitrate;
    e[i].maxBitrate = s->max_bitrate;
    e[i].has_maxFramerate = s->has_max_framerate;
    e[i].maxFramerate = s->max_framerate;
    e[i].has_scaleResolutionDownBy = s->has_scale;
    e[i].scaleResolutionDownBy = s->scale;
    e[i].has_codec = s->has_codec;
    if (s->has_codec)
      codec_to_js(ctx, &s->codec, &e[i].codec);
  }
  result->encodings =
      (rtcbox_seq_RTCRtpEncodingParameters){e, g->encoding_count};
  /* "If sender.[[LastReturnedParameters]] is not null, return [it]":
   * the same values until the queued task nulls it; else "transactionId
   * is set to a new unique identifier". */
  if (!g->transaction_id[0]) {
    if (!g->clear_posted) {
      group_task* t = NULL;
      err = post_group_task(ctx, g, clear_last_returned, NULL, &t);
      if (err != RTC_OK)
        return rtcbox_ctx_fail(ctx, err, NULL);
      g->clear_posted = true;
    }
    rtcbox_impl_uuid(g->transaction_id);
  }
  result->transactionId = rtcbox_ctx_strdup(ctx, g->transaction_id);
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpReceiver_getParameters(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpReceiver* self,
    rtcbox_RTCRtpReceiveParameters* result) {
  rtcbox_RTCRtpReceiveParameters_init(result);
  rtc_rtp_negotiated n;
  rtc_rtp_transceiver_negotiated(self->group->transceiver, false, &n);
  return parameters_to_js(ctx, &n, &result->codecs, &result->headerExtensions,
                          &result->rtcp);
}

static bool same_string(rtcbox_string s, const char* c) {
  return c && s.data && s.length == strlen(c) &&
         memcmp(s.data, c, s.length) == 0;
}

/* setParameters: is `p` what getParameters returned for the read-only
 * members (webrtc-pc: codecs, headerExtensions, rtcp)? */
static bool read_only_unchanged(const rtcbox_RTCRtpSendParameters* p,
                                const rtc_rtp_negotiated* n) {
  if (p->codecs.length != n->codec_count ||
      p->headerExtensions.length != n->extension_count)
    return false;
  for (size_t i = 0; i < n->codec_count; i++) {
    const rtcbox_RTCRtpCodecParameters* c = &p->codecs.items[i];
    rtcbox_RTCRtpCodec as_codec = {.has_channels = c->has_channels,
                                   .channels = c->channels,
                                   .clockRate = c->clockRate,
                                   .mimeType = c->mimeType,
                                   .has_sdpFmtpLine = c->has_sdpFmtpLine,
                                   .sdpFmtpLine = c->sdpFmtpLine};
    rtc_rtp_codec mine;
    if (c->payloadType != n->codecs[i].payload_type ||
        !codec_from_js(&as_codec, &mine) ||
        strcmp(mine.mime_type, n->codecs[i].codec.mime_type) != 0 ||
        !codec_match(&mine, &n->codecs[i].codec))
      return false;
  }
  for (size_t i = 0; i < n->extension_count; i++) {
    const rtcbox_RTCRtpHeaderExtensionParameters* e =
        &p->headerExtensions.items[i];
    if (e->id != n->extensions[i].id ||
        e->encrypted != n->extensions[i].encrypted ||
        e->uri.length != strlen(n->extensions[i].uri) ||
        memcmp(e->uri.data, n->extensions[i].uri, e->uri.length) != 0)
      return false;
  }
  /* rtcp as Chrome reads it: an absent reducedSize is false. The cname
   * is read-only too: a changed or removed one is a modification. */
  bool reduced = p->rtcp.has_reducedSize && p->rtcp.reducedSize;
  return p->rtcp.has_cname && same_string(p->rtcp.cname, n->cname) &&
         reduced == n->reduced_size;
}

static void set_parameters_run(void* arg) {
  group_task* t = arg;
  rtcbox_rtp_group* g = t->group;
  /* "Set sender.[[LastReturnedParameters]] to null. Set
   * sender.[[SendEncodings]] to parameters.encodings. Resolve p." */
  g->transaction_id[0] = '\0';
  encodings_free(g->encodings, g->encoding_count);
  g->encodings = t->encodings;
  g->encoding_count = t->encoding_count;
  t->encodings = NULL;
  t->encoding_count = 0;
  rtcbox_promise_resolve_undefined(t->promise);
  t->promise = NULL;
}

rtc_error rtcbox_RTCRtpSender_setParameters(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpSender* self,
    const rtcbox_RTCRtpSendParameters* parameters,
    const rtcbox_RTCSetParameterOptions* setParameterOptions,
    rtcbox_promise* promise) {
  (void)setParameterOptions;
  rtcbox_rtp_group* g = self->group;
  rtc_rtp_transceiver* t = g->transceiver;
  /* webrtc-pc setParameters(). */
  if (rtc_rtp_transceiver_stopping(t) || pc_gone(g))
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE,
                           "The transceiver is stopping.");
  if (!g->transaction_id[0])
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE,
                           "getParameters() needs to be called before "
                           "setParameters().");
  const rtcbox_seq_RTCRtpEncodingParameters* enc = &parameters->encodings;
  rtc_rtp_negotiated n;
  rtc_rtp_transceiver_negotiated(t, true, &n);
  /* "encodings.length is different from N", "encodings has been
   * re-ordered", a read-only parameter (such as RID, transactionId)
   * changed: InvalidModificationError. */
  bool modified = !same_string(parameters->transactionId, g->transaction_id) ||
                  enc->length != g->encoding_count ||
                  !read_only_unchanged(parameters, &n);
  for (size_t i = 0; !modified && i < enc->length; i++) {
    const char* rid = g->encodings[i].rid;
    modified = enc->items[i].has_rid != (rid != NULL) ||
               (rid && !same_string(enc->items[i].rid, rid));
  }
  if (modified)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_MODIFICATION,
                           "Read-only field modified in setParameters().");
  rtc_media_kind kind = rtc_rtp_transceiver_kind(t);
  rtp_encoding* next = rtc_calloc(enc->length, sizeof(*next));
  if (!next)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  rtc_error err = RTC_OK;
  for (size_t i = 0; i < enc->length && err == RTC_OK; i++) {
    const rtcbox_RTCRtpEncodingParameters* in = &enc->items[i];
    rtp_encoding* out = &next[i];
    if (g->encodings[i].rid) {
      out->rid = rtc_strdup(g->encodings[i].rid);
      if (!out->rid) {
        err = rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
        break;
      }
    }
    out->active = in->active;
    out->has_max_bitrate = in->has_maxBitrate;
    out->max_bitrate = in->maxBitrate;
    /* "Any encoding in encodings contains a codec not found in
     * choosableCodecs" (parameters.codecs, or the implemented send codecs
     * when empty): InvalidModificationError. */
    if (in->has_codec) {
      bool found = false;
      if (codec_from_js(&in->codec, &out->codec)) {
        for (size_t k = 0; k < n.codec_count && !found; k++)
          found = codec_match(&out->codec, &n.codecs[k].codec);
        if (n.codec_count == 0)
          found = codec_implemented(kind, &out->codec);
      }
      if (!found) {
        err =
            rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_MODIFICATION,
                            "The codec of encoding %zu is not negotiated.", i);
        break;
      }
      out->has_codec = true;
    }
    /* "If transceiver kind is "audio", remove the scaleResolutionDownBy
     * and maxFramerate members"; for video a missing
     * scaleResolutionDownBy is 1.0, and one below 1.0 a RangeError; "a
     * maxFramerate member whose value is greater than or equal to 0.0"
     * else RangeError. */
    if (kind == RTC_MEDIA_VIDEO) {
      out->has_scale = true;
      out->scale =
          in->has_scaleResolutionDownBy ? in->scaleResolutionDownBy : 1.0;
      if (out->scale < 1.0)
        err = rtcbox_ctx_fail(ctx, RTC_ERR_OUT_OF_RANGE,
                              "scaleResolutionDownBy must be >= 1.0");
      out->has_max_framerate = in->has_maxFramerate;
      out->max_framerate = in->maxFramerate;
      if (in->has_maxFramerate && !(in->maxFramerate >= 0.0))
        err = rtcbox_ctx_fail(ctx, RTC_ERR_OUT_OF_RANGE,
                              "maxFramerate must be >= 0.0");
    }
  }
  if (err != RTC_OK) {
    encodings_free(next, enc->length);
    return err;
  }
  /* "In parallel, configure the media stack ... queue a task" (nothing to
   * configure: no media flows yet). */
  group_task* task = NULL;
  err = post_group_task(ctx, g, set_parameters_run, promise, &task);
  if (err != RTC_OK) {
    encodings_free(next, enc->length);
    return rtcbox_ctx_fail(ctx, err, NULL);
  }
  task->encodings = next;
  task->encoding_count = enc->length;
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * RTCRtpSender (webrtc-pc §5.2)
 * --------------------------------------------------------------------- */

void rtcbox_RTCRtpSender_finalize(rtcbox_RTCRtpSender* self) {
  rtcbox_impl_unref(&self->h);
}

rtc_error rtcbox_RTCRtpSender_get_track(rtcbox_ctx* ctx,
                                        rtcbox_RTCRtpSender* self,
                                        rtcbox_MediaStreamTrack** result) {
  (void)ctx;
  *result = RTCBOX_OUT(self->group->sender_track);
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpSender_get_transport(rtcbox_ctx* ctx,
                                            rtcbox_RTCRtpSender* self,
                                            rtcbox_RTCDtlsTransport** result) {
  (void)ctx;
  rtcbox_RTCDtlsTransport* t = transport_of(self->group);
  *result = RTCBOX_OUT(t);
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpSender_get_dtmf(rtcbox_ctx* ctx,
                                       rtcbox_RTCRtpSender* self,
                                       rtcbox_RTCDTMFSender** result) {
  (void)ctx;
  /* "The [[Dtmf]] internal slot is set when the kind of an
   * RTCRtpSender's [[SenderTrack]] is "audio"" (Chrome: audio senders
   * have one with or without a track). */
  rtcbox_rtp_group* g = self->group;
  *result = rtc_rtp_transceiver_kind(g->transceiver) == RTC_MEDIA_AUDIO
                ? RTCBOX_OUT(&g->dtmf)
                : NULL;
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpSender_getCapabilities(
    rtcbox_ctx* ctx,
    rtcbox_string kind,
    rtcbox_nullable_RTCRtpCapabilities* result) {
  return capabilities(ctx, kind, result);
}

static void replace_track_run(void* arg, rtcbox_promise* promise) {
  group_task* t = arg;
  rtcbox_rtp_group* g = t->group;
  t->promise = promise;
  /* "If connection.[[IsClosed]] is true, abort these steps" (p stays
   * pending). */
  if (pc_gone(g))
    return;
  /* The chained steps: "If transceiver.[[Stopping]] is true, return a
   * promise rejected with a newly created InvalidStateError." */
  if (rtc_rtp_transceiver_stopping(g->transceiver)) {
    rtcbox_promise_reject(t->promise, RTC_ERR_INVALID_STATE, NULL);
    t->promise = NULL;
    return;
  }
  /* "Set sender.[[SenderTrack]] to withTrack. ... resolve p". */
  set_sender_track(g, t->track);
  rtc_rtp_transceiver_set_sender_has_track(g->transceiver, t->track != NULL);
  rtcbox_promise_resolve_undefined(t->promise);
  t->promise = NULL;
}

rtc_error rtcbox_RTCRtpSender_replaceTrack(rtcbox_ctx* ctx,
                                           rtcbox_RTCRtpSender* self,
                                           rtcbox_MediaStreamTrack* withTrack,
                                           rtcbox_promise* promise) {
  rtcbox_rtp_group* g = self->group;
  rtc_rtp_transceiver* t = g->transceiver;
  /* webrtc-pc replaceTrack(): "If withTrack is non-null and
   * withTrack.kind differs from the transceiver kind of transceiver,
   * return a promise rejected with a newly created TypeError." */
  if (withTrack &&
      withTrack->is_video != (rtc_rtp_transceiver_kind(t) == RTC_MEDIA_VIDEO))
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_ARGUMENT,
                           "The track's kind does not match the sender's.");
  /* Chaining on a closed connection is an InvalidStateError. The rest
   * is chained (webrtc-pc §4.4.1.2): on an empty chain its first step
   * runs now, "If transceiver.[[Stopping]] is true, return a promise
   * rejected with a newly created InvalidStateError." */
  if (pc_gone(g))
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE, kClosed);
  if (rtc_rtp_transceiver_stopping(t))
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE,
                           "The transceiver is stopping.");
  /* Nothing is being sent, so every track fits the negotiated envelope. */
  group_task* task = rtc_calloc(1, sizeof(*task));
  if (!task)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  rtcbox_impl_ref(&g->h);
  task->group = g;
  if (withTrack) {
    rtcbox_impl_ref(&withTrack->h);
    task->track = withTrack;
  }
  rtc_error err =
      rtcbox_pc_chain_operation(g->pc, "replaceTrack", promise,
                                replace_track_run, group_task_destroy, task);
  if (err != RTC_OK) {
    group_task_destroy(task);
    return rtcbox_ctx_fail(ctx, err,
                           err == RTC_ERR_INVALID_STATE ? kClosed : NULL);
  }
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpSender_setStreams(rtcbox_ctx* ctx,
                                         rtcbox_RTCRtpSender* self,
                                         rtcbox_seq_MediaStream streams) {
  rtcbox_rtp_group* g = self->group;
  /* webrtc-pc setStreams(): "If connection.[[IsClosed]] is true, throw an
   * InvalidStateError." The core keeps [[AssociatedMediaStreamIds]]. */
  if (pc_gone(g))
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE, kClosed);
  const char** ids = NULL;
  if (streams.length) {
    ids = rtcbox_ctx_alloc(ctx, streams.length * sizeof(*ids));
    if (!ids)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  }
  for (size_t i = 0; i < streams.length; i++)
    ids[i] = streams.items[i]->id;
  rtc_error err =
      rtc_rtp_transceiver_set_stream_ids(g->transceiver, ids, streams.length);
  if (err == RTC_ERR_INVALID_STATE)
    return rtcbox_ctx_fail(ctx, err, kClosed);
  return err == RTC_OK ? RTC_OK : rtcbox_ctx_fail(ctx, err, NULL);
}

static void stats_run(void* arg) {
  group_task* t = arg;
  /* The stats selection algorithm (webrtc-stats): the RTP stream stats
   * of the sender or receiver and what they reference. rtcbox sends and
   * receives no RTP yet, so there are none: an empty report. */
  rtcbox_RTCStatsReport* report = rtcbox_stats_report_new("{}");
  if (!report) {
    rtcbox_promise_reject(t->promise, RTC_ERR_NO_MEMORY, NULL);
  } else {
    rtcbox_promise_resolve_RTCStatsReport(t->promise, RTCBOX_OUT(report));
    rtcbox_impl_out_unused(&report->h, false);
    rtcbox_impl_unref(&report->h);
  }
  t->promise = NULL;
}

static rtc_error get_stats(rtcbox_ctx* ctx,
                           rtcbox_rtp_group* g,
                           rtcbox_promise* promise) {
  rtc_error err = post_group_task(ctx, g, stats_run, promise, NULL);
  return err == RTC_OK ? RTC_OK : rtcbox_ctx_fail(ctx, err, NULL);
}

rtc_error rtcbox_RTCRtpSender_getStats(rtcbox_ctx* ctx,
                                       rtcbox_RTCRtpSender* self,
                                       rtcbox_promise* promise) {
  return get_stats(ctx, self->group, promise);
}

/* ------------------------------------------------------------------------
 * RTCRtpReceiver (webrtc-pc §5.3)
 * --------------------------------------------------------------------- */

void rtcbox_RTCRtpReceiver_finalize(rtcbox_RTCRtpReceiver* self) {
  rtcbox_impl_unref(&self->h);
}

rtc_error rtcbox_RTCRtpReceiver_get_track(rtcbox_ctx* ctx,
                                          rtcbox_RTCRtpReceiver* self,
                                          rtcbox_MediaStreamTrack** result) {
  (void)ctx;
  *result = RTCBOX_OUT(self->group->receiver_track);
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpReceiver_get_transport(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpReceiver* self,
    rtcbox_RTCDtlsTransport** result) {
  (void)ctx;
  rtcbox_RTCDtlsTransport* t = transport_of(self->group);
  *result = RTCBOX_OUT(t);
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpReceiver_get_jitterBufferTarget(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpReceiver* self,
    rtcbox_nullable_double* result) {
  (void)ctx;
  result->is_null = !self->group->has_jitter_buffer_target;
  result->value = self->group->jitter_buffer_target;
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpReceiver_set_jitterBufferTarget(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpReceiver* self,
    rtcbox_nullable_double value) {
  /* "If target is negative or larger than 4000 milliseconds, then throw a
   * RangeError." */
  if (!value.is_null && (value.value < 0 || value.value > 4000))
    return rtcbox_ctx_fail(ctx, RTC_ERR_OUT_OF_RANGE,
                           "The jitterBufferTarget must be between 0 and "
                           "4000 milliseconds.");
  self->group->has_jitter_buffer_target = !value.is_null;
  self->group->jitter_buffer_target = value.is_null ? 0 : value.value;
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpReceiver_getContributingSources(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpReceiver* self,
    rtcbox_seq_RTCRtpContributingSource* result) {
  (void)ctx;
  (void)self;
  /* No RTP received in the last 10 seconds: none. */
  result->items = NULL;
  result->length = 0;
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpReceiver_getSynchronizationSources(
    rtcbox_ctx* ctx,
    rtcbox_RTCRtpReceiver* self,
    rtcbox_seq_RTCRtpSynchronizationSource* result) {
  (void)ctx;
  (void)self;
  result->items = NULL;
  result->length = 0;
  return RTC_OK;
}

rtc_error rtcbox_RTCRtpReceiver_getStats(rtcbox_ctx* ctx,
                                         rtcbox_RTCRtpReceiver* self,
                                         rtcbox_promise* promise) {
  return get_stats(ctx, self->group, promise);
}

rtc_error rtcbox_RTCRtpReceiver_getCapabilities(
    rtcbox_ctx* ctx,
    rtcbox_string kind,
    rtcbox_nullable_RTCRtpCapabilities* result) {
  return capabilities(ctx, kind, result);
}

/* ------------------------------------------------------------------------
 * RTCDTMFSender (webrtc-pc §7)
 * --------------------------------------------------------------------- */

void rtcbox_RTCDTMFSender_finalize(rtcbox_RTCDTMFSender* self) {
  rtcbox_impl_unref(&self->h);
}

/* webrtc-pc "determine if DTMF can be sent". */
static bool can_send_dtmf(rtcbox_rtp_group* g) {
  rtc_rtp_transceiver* t = g->transceiver;
  rtc_transceiver_direction current;
  /* "If connection's RTCPeerConnectionState is not "connected" return
   * false. If transceiver.[[Stopping]] is true return false. If
   * sender.[[SenderTrack]] is null return false. If
   * transceiver.[[CurrentDirection]] is neither "sendrecv" nor "sendonly"
   * return false. If sender.[[SendEncodings]][0].active is false return
   * false." */
  if (pc_gone(g) ||
      rtc_peer_connection_connection_state(g->pc->pc) !=
          RTC_PC_STATE_CONNECTED ||
      rtc_rtp_transceiver_stopping(t) || !g->sender_track ||
      !rtc_rtp_transceiver_current_direction(t, &current) ||
      !has_send(current) || !g->encodings[0].active)
    return false;
  /* "If no codec with mimetype "audio/telephone-event" has been negotiated
   * for sending with this sender, return false." rtcbox does not
   * negotiate it yet, so this is where it stops. */
  rtc_rtp_negotiated n;
  rtc_rtp_transceiver_negotiated(t, true, &n);
  for (size_t i = 0; i < n.codec_count; i++) {
    if (strcasecmp(n.codecs[i].codec.mime_type, "audio/telephone-event") == 0)
      return true;
  }
  return false;
}

rtc_error rtcbox_RTCDTMFSender_get_canInsertDTMF(rtcbox_ctx* ctx,
                                                 rtcbox_RTCDTMFSender* self,
                                                 bool* result) {
  (void)ctx;
  *result = can_send_dtmf(self->group);
  return RTC_OK;
}

rtc_error rtcbox_RTCDTMFSender_get_toneBuffer(rtcbox_ctx* ctx,
                                              rtcbox_RTCDTMFSender* self,
                                              rtcbox_string* result) {
  (void)ctx;
  (void)self;
  /* Nothing was ever accepted by insertDTMF (see there). */
  *result = RTCBOX_STRING_LITERAL("");
  return RTC_OK;
}

rtc_error rtcbox_RTCDTMFSender_insertDTMF(rtcbox_ctx* ctx,
                                          rtcbox_RTCDTMFSender* self,
                                          rtcbox_string tones,
                                          uint32_t duration,
                                          uint32_t interToneGap) {
  (void)duration;
  (void)interToneGap;
  /* webrtc-pc insertDTMF(): "If determine if DTMF can be sent for dtmf
   * returns false, throw an InvalidStateError." */
  if (!can_send_dtmf(self->group))
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE,
                           "The DTMF sender can't insert DTMF.");
  /* "If tones contains any unrecognized characters, throw an
   * InvalidCharacterError": only 0-9, A-D (a-d), #, * and ','. */
  for (size_t i = 0; i < tones.length; i++) {
    char c = tones.data[i];
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'D') ||
          (c >= 'a' && c <= 'd') || c == '#' || c == '*' || c == ','))
      return rtcbox_ctx_fail(
          ctx, RTC_ERR_INVALID_CHARACTER, "Invalid DTMF tones: '%.*s'",
          (int)(tones.length < 64 ? tones.length : 64), tones.data);
  }
  /* Unreachable until telephone-event is negotiated (can_send_dtmf):
   * the tone buffer and its playout come with the media work. */
  return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE,
                         "The DTMF sender can't insert DTMF.");
}

/* ------------------------------------------------------------------------
 * RTCPeerConnection: transceivers, senders, receivers (webrtc-pc §5.1)
 * --------------------------------------------------------------------- */

/* CollectTransceivers: the groups of the connection's transceivers, in
 * insertion order, in the call's arena. */
static rtc_error collect(rtcbox_ctx* ctx,
                         rtcbox_RTCPeerConnection* self,
                         rtcbox_rtp_group*** out,
                         size_t* count) {
  *out = NULL;
  *count = 0;
  if (!self->pc)
    return RTC_OK;
  size_t n = rtc_peer_connection_transceivers(self->pc, NULL, 0);
  if (n == 0)
    return RTC_OK;
  rtc_rtp_transceiver** list = rtcbox_ctx_alloc(ctx, n * sizeof(*list));
  rtcbox_rtp_group** groups = rtcbox_ctx_alloc(ctx, n * sizeof(*groups));
  if (!list || !groups)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  n = rtc_peer_connection_transceivers(self->pc, list, n);
  rtc_error err = RTC_OK;
  for (size_t i = 0; i < n; i++) {
    if (err == RTC_OK) {
      groups[i] = rtcbox_pc_rtp_group(self, list[i]);
      if (!groups[i])
        err = rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
    }
    rtc_rtp_transceiver_unref(list[i]);
  }
  if (err != RTC_OK)
    return err;
  *out = groups;
  *count = n;
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_getTransceivers(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_seq_RTCRtpTransceiver* result) {
  rtcbox_rtp_group** groups;
  size_t n;
  rtc_error err = collect(ctx, self, &groups, &n);
  if (err != RTC_OK)
    return err;
  result->items = n ? rtcbox_ctx_alloc(ctx, n * sizeof(*result->items)) : NULL;
  if (n && !result->items)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  for (size_t i = 0; i < n; i++)
    result->items[i] = RTCBOX_OUT(&groups[i]->t);
  result->length = n;
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_getSenders(rtcbox_ctx* ctx,
                                              rtcbox_RTCPeerConnection* self,
                                              rtcbox_seq_RTCRtpSender* result) {
  rtcbox_rtp_group** groups;
  size_t n;
  rtc_error err = collect(ctx, self, &groups, &n);
  if (err != RTC_OK)
    return err;
  result->items = n ? rtcbox_ctx_alloc(ctx, n * sizeof(*result->items)) : NULL;
  if (n && !result->items)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  result->length = 0;
  /* CollectSenders: "If transceiver.[[Stopped]] is false, add
   * transceiver.[[Sender]]". */
  for (size_t i = 0; i < n; i++) {
    if (!rtc_rtp_transceiver_stopped(groups[i]->transceiver))
      result->items[result->length++] = RTCBOX_OUT(&groups[i]->sender);
  }
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_getReceivers(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    rtcbox_seq_RTCRtpReceiver* result) {
  rtcbox_rtp_group** groups;
  size_t n;
  rtc_error err = collect(ctx, self, &groups, &n);
  if (err != RTC_OK)
    return err;
  result->items = n ? rtcbox_ctx_alloc(ctx, n * sizeof(*result->items)) : NULL;
  if (n && !result->items)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  result->length = 0;
  for (size_t i = 0; i < n; i++) {
    if (!rtc_rtp_transceiver_stopped(groups[i]->transceiver))
      result->items[result->length++] = RTCBOX_OUT(&groups[i]->receiver);
  }
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_addTrack(rtcbox_ctx* ctx,
                                            rtcbox_RTCPeerConnection* self,
                                            rtcbox_MediaStreamTrack* track,
                                            rtcbox_seq_MediaStream streams,
                                            rtcbox_RTCRtpSender** result) {
  /* webrtc-pc addTrack(): "If connection.[[IsClosed]] is true, throw an
   * InvalidStateError." */
  if (self->closed || !self->pc)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE, kClosed);
  /* "If an RTCRtpSender for track already exists in senders, throw an
   * InvalidAccessError." */
  for (size_t i = 0; i < self->rtp_count; i++) {
    rtcbox_rtp_group* g = self->rtp[i];
    if (g->sender_track == track &&
        !rtc_rtp_transceiver_stopped(g->transceiver))
      return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_ACCESS,
                             "A sender already exists for the track.");
  }
  const char** ids = NULL;
  if (streams.length) {
    ids = rtcbox_ctx_alloc(ctx, streams.length * sizeof(*ids));
    if (!ids)
      return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  }
  for (size_t i = 0; i < streams.length; i++)
    ids[i] = streams.items[i]->id;
  /* The rest (reuse a sender, or a new sendrecv transceiver) is the
   * core's. */
  rtc_rtp_transceiver* t = NULL;
  rtc_error err = rtc_peer_connection_add_track(
      self->pc, track->is_video ? RTC_MEDIA_VIDEO : RTC_MEDIA_AUDIO, ids,
      streams.length, &t, &ctx->error);
  if (err != RTC_OK)
    return err;
  rtcbox_rtp_group* g = rtcbox_pc_rtp_group(self, t);
  rtc_rtp_transceiver_unref(t);
  if (!g)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  set_sender_track(g, track);
  rtcbox_pc_negotiation_probe(self);
  *result = RTCBOX_OUT(&g->sender);
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_removeTrack(rtcbox_ctx* ctx,
                                               rtcbox_RTCPeerConnection* self,
                                               rtcbox_RTCRtpSender* sender) {
  rtcbox_rtp_group* g = sender->group;
  /* webrtc-pc removeTrack(): InvalidStateError when closed,
   * InvalidAccessError for a sender of another connection. */
  if (self->closed || !self->pc)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE, kClosed);
  if (g->pc != self)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_ACCESS,
                           "The sender was not created by this connection.");
  rtc_error err =
      rtc_peer_connection_remove_track(self->pc, g->transceiver, &ctx->error);
  if (err != RTC_OK)
    return err;
  /* "Set sender.[[SenderTrack]] to null" when the core did (it aborts
   * for a stopping or removed transceiver). */
  if (!rtc_rtp_transceiver_sender_has_track(g->transceiver))
    set_sender_track(g, NULL);
  rtcbox_pc_negotiation_probe(self);
  return RTC_OK;
}

/* webrtc-pc: a rid conforms to "the grammar requirements specified in
 * Section 10 of [RFC8851]". RFC 8851's rid-id allows '-' and '_', but a
 * rid is sent as an RTP RtpStreamId, and RFC 8852 §3.1 says those "are
 * constrained to contain only alphanumeric characters": RFC 8851 erratum
 * 7132 and webrtc-pc issue 2732 align the grammar with that, as browsers
 * do. Browsers also keep webrtc-pc's former limit of 16 characters (RFC
 * 8852 allows 255; WPT RTCPeerConnection-addTransceiver checks 17 is a
 * TypeError), and so does the core. */
static bool valid_rid(rtcbox_string rid) {
  if (rid.length == 0 || rid.length > 16)
    return false;
  for (size_t i = 0; i < rid.length; i++) {
    char c = rid.data[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9')))
      return false;
  }
  return true;
}

/* The most encodings rtcbox sends for a kind (libwebrtc's simulcast
 * limit for video; no audio simulcast). */
static size_t max_encodings(rtc_media_kind kind) {
  return kind == RTC_MEDIA_VIDEO ? 3 : 1;
}

/* webrtc-pc addTransceiver "sendEncodings validation steps" and what
 * follows them: the [[SendEncodings]] of the new sender (rtc_malloc'd),
 * or an error. */
static rtc_error send_encodings(rtcbox_ctx* ctx,
                                rtc_media_kind kind,
                                const rtcbox_seq_RTCRtpEncodingParameters* in,
                                rtp_encoding** out,
                                size_t* count) {
  *out = NULL;
  *count = 0;
  /* "If any of the following conditions are met, throw a TypeError: Any
   * encoding contains a rid member whose value does not conform to the
   * grammar ... Some but not all encodings contain a rid member. Any
   * encoding contains a rid ... the same as that ... in another
   * encoding." */
  size_t with_rid = 0;
  for (size_t i = 0; i < in->length; i++) {
    const rtcbox_RTCRtpEncodingParameters* e = &in->items[i];
    if (!e->has_rid)
      continue;
    with_rid++;
    if (!valid_rid(e->rid))
      return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_ARGUMENT, "Invalid rid.");
    for (size_t k = 0; k < i; k++) {
      const rtcbox_RTCRtpEncodingParameters* o = &in->items[k];
      if (o->has_rid && o->rid.length == e->rid.length &&
          memcmp(o->rid.data, e->rid.data, e->rid.length) == 0)
        return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_ARGUMENT,
                               "The rid values must be unique.");
    }
  }
  if (with_rid != 0 && with_rid != in->length)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_ARGUMENT,
                           "Either all or none of the encodings need a rid.");
  /* "If any encoding contains a codec member whose value does not match
   * any codec in RTCRtpSender.getCapabilities(kind).codecs, throw an
   * OperationError." */
  for (size_t i = 0; i < in->length; i++) {
    rtc_rtp_codec c;
    if (in->items[i].has_codec && (!codec_from_js(&in->items[i].codec, &c) ||
                                   !codec_implemented(kind, &c)))
      return rtcbox_ctx_fail(ctx, RTC_ERR_OPERATION,
                             "The codec of encoding %zu is not supported.", i);
  }
  /* "If kind is "audio", remove the scaleResolutionDownBy and maxFramerate
   * members"; a scaleResolutionDownBy below 1.0, or a negative
   * maxFramerate: RangeError. The step reads "greater than 0.0" for
   * maxFramerate, but the member's own text makes 0 meaningful ("setting
   * the max frame rate to zero thus has the effect of freezing the
   * video"), setParameters takes "greater than or equal to 0.0", and
   * Chrome, Firefox and Safari take 0 here too. */
  bool any_scale = false;
  for (size_t i = 0; i < in->length && kind == RTC_MEDIA_VIDEO; i++) {
    const rtcbox_RTCRtpEncodingParameters* e = &in->items[i];
    if (e->has_scaleResolutionDownBy && !(e->scaleResolutionDownBy >= 1.0))
      return rtcbox_ctx_fail(ctx, RTC_ERR_OUT_OF_RANGE,
                             "scaleResolutionDownBy must be >= 1.0");
    any_scale |= e->has_scaleResolutionDownBy;
  }
  for (size_t i = 0; i < in->length && kind == RTC_MEDIA_VIDEO; i++) {
    const rtcbox_RTCRtpEncodingParameters* e = &in->items[i];
    if (e->has_maxFramerate && !(e->maxFramerate >= 0.0))
      return rtcbox_ctx_fail(ctx, RTC_ERR_OUT_OF_RANGE,
                             "maxFramerate must be >= 0.0");
  }
  /* "If the number of encodings ... exceeds maxN, then trim sendEncodings
   * from the tail"; none given: one active encoding. */
  size_t n = in->length;
  if (n > max_encodings(kind))
    n = max_encodings(kind);
  rtp_encoding* e = rtc_calloc(n ? n : 1, sizeof(*e));
  if (!e)
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  if (n == 0) {
    /* "create an RTCRtpSender": the default encoding (see group_new). */
    e[0].active = true;
    e[0].has_scale = kind == RTC_MEDIA_VIDEO;
    e[0].scale = 1.0;
    *out = e;
    *count = 1;
    return RTC_OK;
  }
  for (size_t i = 0; i < n; i++) {
    const rtcbox_RTCRtpEncodingParameters* s = &in->items[i];
    /* "If the number of encodings now stored in sendEncodings is 1, then
     * remove any rid member from the lone entry." */
    if (s->has_rid && n > 1) {
      e[i].rid = rtcbox_impl_strdup(s->rid);
      if (!e[i].rid) {
        encodings_free(e, n);
        return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
      }
    }
    e[i].active = s->active;
    e[i].has_max_bitrate = s->has_maxBitrate;
    e[i].max_bitrate = s->maxBitrate;
    if (s->has_codec) {
      e[i].has_codec = true;
      codec_from_js(&s->codec, &e[i].codec);
    }
    if (kind == RTC_MEDIA_VIDEO) {
      e[i].has_max_framerate = s->has_maxFramerate;
      e[i].max_framerate = s->maxFramerate;
      /* "If any encoding contains a scaleResolutionDownBy member, then
       * for each encoding without one, add [one] with the value 1.0."
       * None: "2^(length of sendEncodings - encoding index - 1)". */
      e[i].has_scale = true;
      if (any_scale)
        e[i].scale =
            s->has_scaleResolutionDownBy ? s->scaleResolutionDownBy : 1.0;
      else
        e[i].scale = ldexp(1.0, (int)(n - i - 1));
    }
  }
  *out = e;
  *count = n;
  return RTC_OK;
}

rtc_error rtcbox_RTCPeerConnection_addTransceiver(
    rtcbox_ctx* ctx,
    rtcbox_RTCPeerConnection* self,
    const rtcbox_MediaStreamTrack_or_string* trackOrKind,
    const rtcbox_RTCRtpTransceiverInit* init,
    rtcbox_RTCRtpTransceiver** result) {
  /* webrtc-pc addTransceiver(): "If kind is neither "audio" nor "video",
   * throw a TypeError." */
  rtcbox_MediaStreamTrack* track = NULL;
  rtc_media_kind kind;
  if (trackOrKind->type == RTCBOX_MediaStreamTrack_or_string_MediaStreamTrack) {
    track = trackOrKind->as_MediaStreamTrack;
    kind = track->is_video ? RTC_MEDIA_VIDEO : RTC_MEDIA_AUDIO;
  } else if (!kind_from_string(trackOrKind->as_string, &kind)) {
    return rtcbox_ctx_fail(
        ctx, RTC_ERR_INVALID_ARGUMENT,
        "The provided value '%.*s' is not a valid enum "
        "value of type MediaStreamTrackKind.",
        (int)(trackOrKind->as_string.length < 64 ? trackOrKind->as_string.length
                                                 : 64),
        trackOrKind->as_string.data);
  }
  if (self->closed || !self->pc)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_STATE, kClosed);
  if (init->direction == RTCBOX_RTCRtpTransceiverDirection_stopped)
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_ARGUMENT,
                           "The direction 'stopped' cannot be set.");
  rtp_encoding* encodings;
  size_t encoding_count;
  rtc_error err = send_encodings(ctx, kind, &init->sendEncodings, &encodings,
                                 &encoding_count);
  if (err != RTC_OK)
    return err;
  rtc_rtp_transceiver_init core;
  rtc_rtp_transceiver_init_defaults(&core);
  core.direction = from_js_direction(init->direction);
  const char** ids =
      init->streams.length
          ? rtcbox_ctx_alloc(ctx, init->streams.length * sizeof(*ids))
          : NULL;
  rtc_rtp_encoding_parameters* ce =
      rtcbox_ctx_alloc(ctx, encoding_count * sizeof(*ce));
  if ((init->streams.length && !ids) || !ce) {
    encodings_free(encodings, encoding_count);
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  }
  for (size_t i = 0; i < init->streams.length; i++)
    ids[i] = init->streams.items[i]->id;
  core.stream_ids = ids;
  core.stream_id_count = init->streams.length;
  for (size_t i = 0; i < encoding_count; i++) {
    ce[i].rid = encodings[i].rid;
    ce[i].active = encodings[i].active;
    ce[i].max_bitrate =
        encodings[i].has_max_bitrate ? (int32_t)encodings[i].max_bitrate : -1;
    ce[i].scale_resolution_down_by =
        encodings[i].has_scale ? encodings[i].scale : 0;
  }
  /* Only what was given goes to the core (it checks it again). */
  core.send_encodings = init->sendEncodings.length ? ce : NULL;
  core.send_encoding_count = init->sendEncodings.length ? encoding_count : 0;
  rtc_rtp_transceiver* t = NULL;
  err = rtc_peer_connection_add_transceiver(self->pc, kind, &core, &t,
                                            &ctx->error);
  if (err != RTC_OK) {
    encodings_free(encodings, encoding_count);
    return err;
  }
  rtcbox_rtp_group* g = rtcbox_pc_rtp_group(self, t);
  rtc_rtp_transceiver_unref(t);
  if (!g) {
    encodings_free(encodings, encoding_count);
    return rtcbox_ctx_fail(ctx, RTC_ERR_NO_MEMORY, NULL);
  }
  encodings_free(g->encodings, g->encoding_count);
  g->encodings = encodings;
  g->encoding_count = encoding_count;
  if (track) {
    set_sender_track(g, track);
    rtc_rtp_transceiver_set_sender_has_track(g->transceiver, true);
  }
  rtcbox_pc_negotiation_probe(self);
  *result = RTCBOX_OUT(&g->t);
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * Remote tracks and the `track` event (webrtc-pc §4.4.1.6)
 * --------------------------------------------------------------------- */

/* The connection's MediaStream for a remote stream id: "unless a
 * MediaStream object has previously been created with that id for this
 * connection, create a MediaStream object with that id". (transfer none)
 */
static rtcbox_MediaStream* remote_stream(rtcbox_RTCPeerConnection* pc,
                                         const char* id) {
  for (size_t i = 0; i < pc->remote_stream_count; i++) {
    if (strcmp(pc->remote_streams[i]->id, id) == 0)
      return pc->remote_streams[i];
  }
  if (pc->remote_stream_count == pc->remote_stream_capacity) {
    size_t cap =
        pc->remote_stream_capacity ? pc->remote_stream_capacity * 2 : 4;
    rtcbox_MediaStream** grown =
        rtc_realloc_array(pc->remote_streams, cap, sizeof(*grown));
    if (!grown)
      return NULL;
    pc->remote_streams = grown;
    pc->remote_stream_capacity = cap;
  }
  rtcbox_MediaStream* s = rtcbox_media_stream_new(id);
  if (!s)
    return NULL;
  /* It fires addtrack/removetrack while the connection is open. */
  if (!pc->closed)
    rtcbox_wrapper_set_strong(&s->h.wrapper, true);
  pc->remote_streams[pc->remote_stream_count++] = s;
  return s;
}

static bool has_stream(rtcbox_MediaStream* const* list,
                       size_t n,
                       const rtcbox_MediaStream* s) {
  for (size_t i = 0; i < n; i++) {
    if (list[i] == s)
      return true;
  }
  return false;
}

typedef struct track_change {
  const rtc_remote_track_update* update;
  rtcbox_rtp_group* group;      /* referenced */
  rtcbox_MediaStream** streams; /* the new associated streams (referenced) */
  size_t stream_count;
} track_change;

static void fire_track(rtcbox_RTCPeerConnection* pc, rtcbox_rtp_group* g) {
  /* "fire an event named track using the RTCTrackEvent interface with its
   * receiver attribute initialized to entry.receiver, its track ...,
   * streams ... and transceiver" (streams: the receiver's
   * [[AssociatedRemoteMediaStreams]]). */
  size_t n = g->remote_stream_count;
  rtcbox_MediaStream** streams = NULL;
  bool* streams_had_js = NULL;
  if (n) {
    streams = rtc_calloc(n, sizeof(*streams));
    streams_had_js = rtc_calloc(n, sizeof(*streams_had_js));
    if (!streams || !streams_had_js) {
      rtc_free(streams);
      rtc_free(streams_had_js);
      RTC_LOG(ERROR, "track: out of memory, event not fired");
      return;
    }
  }
  /* Which objects have a JS object already: the others get theirs from
   * the event, or their reference back when it cannot fire. */
  rtcbox_impl_header* fixed[] = {&g->receiver.h, &g->receiver_track->h,
                                 &g->t.h};
  bool had_js[3];
  for (size_t i = 0; i < 3; i++)
    had_js[i] = fixed[i]->wrapper.link != NULL;
  rtcbox_RTCTrackEventInit init;
  rtcbox_RTCTrackEventInit_init(&init);
  for (size_t i = 0; i < n; i++) {
    streams_had_js[i] = g->remote_streams[i]->h.wrapper.link != NULL;
    streams[i] = RTCBOX_OUT(g->remote_streams[i]);
  }
  init.streams = (rtcbox_seq_MediaStream){streams, n};
  init.receiver = RTCBOX_OUT(&g->receiver);
  init.track = RTCBOX_OUT(g->receiver_track);
  init.transceiver = RTCBOX_OUT(&g->t);
  rtcbox_fire_RTCTrackEvent(&pc->h.wrapper, "track", &init);
  for (size_t i = 0; i < 3; i++)
    rtcbox_impl_out_unused(fixed[i], had_js[i]);
  for (size_t i = 0; i < n; i++)
    rtcbox_impl_out_unused(&g->remote_streams[i]->h, streams_had_js[i]);
  rtc_free(streams_had_js);
  rtc_free(streams);
}

void rtcbox_rtp_on_track(void* user,
                         const rtc_remote_track_update* updates,
                         size_t count) {
  rtcbox_RTCPeerConnection* pc = user;
  if (pc->closed || !pc->pc || count == 0)
    return;
  track_change* changes = rtc_calloc(count, sizeof(*changes));
  if (!changes) {
    RTC_LOG(ERROR, "track: out of memory, remote tracks not updated");
    return;
  }
  size_t n = 0;
  for (size_t i = 0; i < count; i++) {
    const rtc_remote_track_update* u = &updates[i];
    rtcbox_rtp_group* g = rtcbox_pc_rtp_group(pc, u->transceiver);
    rtcbox_MediaStream** streams =
        u->stream_id_count ? rtc_calloc(u->stream_id_count, sizeof(*streams))
                           : NULL;
    if (!g || (u->stream_id_count && !streams)) {
      rtc_free(streams);
      RTC_LOG(ERROR, "track: out of memory, a remote track not updated");
      continue;
    }
    track_change* c = &changes[n++];
    c->update = u;
    rtcbox_impl_ref(&g->h);
    c->group = g;
    c->streams = streams;
    for (size_t k = 0; k < u->stream_id_count; k++) {
      rtcbox_MediaStream* s = remote_stream(pc, u->stream_ids[k]);
      if (!s) {
        RTC_LOG(ERROR, "track: out of memory, a remote stream left out");
        continue;
      }
      rtcbox_impl_ref(&s->h);
      c->streams[c->stream_count++] = s;
    }
  }
  /* A transceiver a rejected section or a rollback stopped: "stop the
   * RTCRtpTransceiver" ends the receiver's track, with an event. */
  for (size_t i = 0; i < n; i++) {
    if (changes[i].update->stopped)
      rtcbox_track_end(changes[i].group->receiver_track, true);
  }
  /* "For each track in muteTracks, set the muted state of track to the
   * value true." */
  for (size_t i = 0; i < n; i++) {
    if (changes[i].update->remove_track)
      rtcbox_track_set_muted(changes[i].group->receiver_track, true);
  }
  /* "For each stream and track pair in removeList, remove the track track
   * from stream." */
  for (size_t i = 0; i < n; i++) {
    rtcbox_rtp_group* g = changes[i].group;
    for (size_t k = 0; k < g->remote_stream_count; k++) {
      rtcbox_MediaStream* s = g->remote_streams[k];
      if (!has_stream(changes[i].streams, changes[i].stream_count, s))
        rtcbox_media_stream_remove(s, g->receiver_track, true);
    }
  }
  /* "For each stream and track pair in addList, add the track track to
   * stream." Then the receiver's [[AssociatedRemoteMediaStreams]] are the
   * new ones. */
  for (size_t i = 0; i < n; i++) {
    track_change* c = &changes[i];
    rtcbox_rtp_group* g = c->group;
    for (size_t k = 0; k < c->stream_count; k++) {
      if (!has_stream(g->remote_streams, g->remote_stream_count,
                      c->streams[k]) &&
          rtcbox_media_stream_add(c->streams[k], g->receiver_track, true) !=
              RTC_OK)
        RTC_LOG(ERROR, "track: out of memory, a remote track not added");
    }
    rtcbox_MediaStream** old = g->remote_streams;
    size_t old_count = g->remote_stream_count;
    g->remote_streams = c->streams;
    g->remote_stream_count = c->stream_count;
    c->streams = old;
    c->stream_count = old_count;
  }
  /* "For each entry entry in trackEventInits, fire an event named
   * track". Not once the connection closed meanwhile (a listener). */
  for (size_t i = 0; i < n; i++) {
    if (changes[i].update->add_track && !pc->closed)
      fire_track(pc, changes[i].group);
  }
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < changes[i].stream_count; k++)
      rtcbox_impl_unref(&changes[i].streams[k]->h);
    rtc_free(changes[i].streams);
    rtcbox_impl_unref(&changes[i].group->h);
  }
  rtc_free(changes);
}
