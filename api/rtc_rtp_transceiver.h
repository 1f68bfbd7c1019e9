/*
 * RTCRtpTransceiver (webrtc-pc §5.4) as a C API: what JSEP negotiates for
 * audio and video m= sections. Media does not flow yet; directions, mids,
 * codecs and stopping are negotiated as the spec says.
 *
 * Reference-counted; calls and callbacks on the peer connection's
 * signaling queue.
 */
#ifndef API_RTC_RTP_TRANSCEIVER_H_
#define API_RTC_RTP_TRANSCEIVER_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_rtp_transceiver rtc_rtp_transceiver;

typedef enum rtc_media_kind {
  RTC_MEDIA_AUDIO = 0,
  RTC_MEDIA_VIDEO,
} rtc_media_kind;

/* RTCRtpTransceiverDirection */
typedef enum rtc_transceiver_direction {
  RTC_DIRECTION_SENDRECV = 0,
  RTC_DIRECTION_SENDONLY,
  RTC_DIRECTION_RECVONLY,
  RTC_DIRECTION_INACTIVE,
  RTC_DIRECTION_STOPPED,
} rtc_transceiver_direction;

const char* rtc_media_kind_name(rtc_media_kind kind);
const char* rtc_transceiver_direction_name(rtc_transceiver_direction d);
/* Errors: RTC_ERR_INVALID_ARGUMENT (TypeError: not an enum value). */
rtc_error rtc_media_kind_from_name(const char* name, rtc_media_kind* out);
rtc_error rtc_transceiver_direction_from_name(const char* name,
                                              rtc_transceiver_direction* out);

/* RTCRtpCodec (webrtc-pc §5.2). */
typedef struct rtc_rtp_codec {
  char mime_type[64]; /* "audio/opus" */
  uint32_t clock_rate;
  uint16_t channels;       /* 0: absent */
  char sdp_fmtp_line[256]; /* "" : absent */
} rtc_rtp_codec;

/* RTCRtpSender/Receiver.getCapabilities(kind): the codecs rtcbox
 * negotiates (Opus; VP8, VP9 with RTX), at most capacity; returns how
 * many. */
size_t rtc_rtp_capabilities_codecs(rtc_media_kind kind,
                                   rtc_rtp_codec* out,
                                   size_t capacity);

/* ... and the URIs of the RTP header extensions it negotiates for `kind`
 * (static strings), at most capacity; returns how many. */
size_t rtc_rtp_capabilities_header_extensions(rtc_media_kind kind,
                                              const char** out,
                                              size_t capacity);

typedef struct rtc_rtp_encoding_parameters {
  const char* rid; /* NULL: absent */
  bool active;
  int32_t max_bitrate;             /* -1 absent */
  double scale_resolution_down_by; /* 0 absent */
} rtc_rtp_encoding_parameters;

/* RTCRtpTransceiverInit */
typedef struct rtc_rtp_transceiver_init {
  rtc_transceiver_direction direction; /* default sendrecv */
  const char* const* stream_ids;
  size_t stream_id_count;
  const rtc_rtp_encoding_parameters* send_encodings;
  size_t send_encoding_count;
} rtc_rtp_transceiver_init;

void rtc_rtp_transceiver_init_defaults(rtc_rtp_transceiver_init* init);

void rtc_rtp_transceiver_ref(rtc_rtp_transceiver* transceiver);
void rtc_rtp_transceiver_unref(rtc_rtp_transceiver* transceiver);

rtc_media_kind rtc_rtp_transceiver_kind(const rtc_rtp_transceiver* t);
/* NULL while null. (transfer none) */
const char* rtc_rtp_transceiver_mid(const rtc_rtp_transceiver* t);
rtc_transceiver_direction rtc_rtp_transceiver_direction(
    const rtc_rtp_transceiver* t);
/* webrtc-pc: InvalidStateError when stopping or stopped; TypeError for
 * "stopped". Fires negotiationneeded when it changes. */
rtc_error rtc_rtp_transceiver_set_direction(rtc_rtp_transceiver* t,
                                            rtc_transceiver_direction d);
/* currentDirection: false when null. */
bool rtc_rtp_transceiver_current_direction(const rtc_rtp_transceiver* t,
                                           rtc_transceiver_direction* out);
/* webrtc-pc stop(). */
void rtc_rtp_transceiver_stop(rtc_rtp_transceiver* t);
bool rtc_rtp_transceiver_stopped(const rtc_rtp_transceiver* t);
/* setCodecPreferences(): an empty list resets to the default. Errors:
 * RTC_ERR_INVALID_MODIFICATION (a codec not in the capabilities, or only
 * RTX/RED/FEC codecs). */
rtc_error rtc_rtp_transceiver_set_codec_preferences(rtc_rtp_transceiver* t,
                                                    const rtc_rtp_codec* codecs,
                                                    size_t count);
/* [[Stopping]] (webrtc-pc §5.4): stop() was called, or a description
 * stopped it. */
bool rtc_rtp_transceiver_stopping(const rtc_rtp_transceiver* t);

/* --- The sender (webrtc-pc §5.2); tracks themselves live in the embedder
 * --- */

/* Whether the sender has a track ([[SenderTrack]] is not null). The core
 * keeps only this bit: addTrack() reuses a sender without a track
 * (rtc_peer_connection_add_track), removeTrack() clears it. The embedder
 * sets it for addTransceiver(track) and replaceTrack(). */
bool rtc_rtp_transceiver_sender_has_track(const rtc_rtp_transceiver* t);
void rtc_rtp_transceiver_set_sender_has_track(rtc_rtp_transceiver* t,
                                              bool has_track);
/* RTCRtpSender.setStreams(): [[AssociatedMediaStreamIds]], the stream ids
 * the sender's a=msid lines announce (duplicates dropped, order kept), and
 * "update the negotiation-needed flag". The strings are copied. Errors:
 * RTC_ERR_INVALID_STATE (the peer connection is closed or gone),
 * RTC_ERR_NO_MEMORY (the ids are then unchanged). */
rtc_error rtc_rtp_transceiver_set_stream_ids(rtc_rtp_transceiver* t,
                                             const char* const* stream_ids,
                                             size_t count);

/* --- What the descriptions negotiated (getParameters) --- */

/* RTCRtpCodecParameters. */
typedef struct rtc_rtp_codec_parameters {
  uint8_t payload_type;
  rtc_rtp_codec codec; /* mime_type from the description ("video/VP8"),
                          sdp_fmtp_line its a=fmtp parameters */
} rtc_rtp_codec_parameters;

/* RTCRtpHeaderExtensionParameters. */
typedef struct rtc_rtp_header_extension_parameters {
  char uri[256];
  uint16_t id;
  bool encrypted;
} rtc_rtp_header_extension_parameters;

/* What the descriptions in effect negotiate for t (webrtc-pc §4.4.1.6),
 * from the answer or provisional answer in effect (empty before one; an
 * offer alone negotiates nothing): for sending ([[SendCodecs]]) or for
 * receiving ([[ReceiveCodecs]]: empty while that answer does not let t
 * receive). Only what rtcbox supports, in the description's order. Both
 * empty for a rejected or missing media section. */
typedef struct rtc_rtp_negotiated {
  rtc_rtp_codec_parameters codecs[16];
  size_t codec_count;
  rtc_rtp_header_extension_parameters extensions[16];
  size_t extension_count;
  bool reduced_size; /* a=rtcp-rsize */
  /* The sender's rtcp.cname: the CNAME of the peer connection (webrtc-pc
   * §5.2 getParameters; RFC 7022), before and after negotiation. "" for
   * the receiver ("rtcp.cname is left undefined"). */
  char cname[32];
} rtc_rtp_negotiated;

/* Fills *out (send: the sender's parameters, else the receiver's). Signaling
 * thread. */
void rtc_rtp_transceiver_negotiated(const rtc_rtp_transceiver* t,
                                    bool send,
                                    rtc_rtp_negotiated* out);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // API_RTC_RTP_TRANSCEIVER_H_
