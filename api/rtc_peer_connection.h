/*
 * RTCPeerConnection as a C API (webrtc-pc, JSEP RFC 9429). The JavaScript
 * bindings wrap it one to one; a custom browser may call it directly.
 *
 * Threads: a peer connection belongs to the signaling task queue given at
 * creation (the embedder's JS thread). Every function here is called on
 * it, and every callback (observer events, operation completions) comes on
 * it, never from inside the call that caused it. Transport work happens on
 * the context's network thread.
 *
 * Operations: create_offer, create_answer, set_local_description,
 * set_remote_description and add_ice_candidate are queued on the
 * operations chain (webrtc-pc §4.4.1.2) and complete through their
 * callback exactly once — unless the call itself returns an error, in
 * which case the callback is never called (STYLE.md). On an empty chain
 * an operation starts at once: the InvalidStateError its first steps
 * raise (createOffer/createAnswer in the wrong signaling state, a
 * rollback in stable or a pranswer state, addIceCandidate without a
 * remote description) is returned by the call itself. After close(), new
 * operations fail with RTC_ERR_INVALID_STATE and pending ones never
 * complete (webrtc-pc: their promises stay pending).
 *
 * Errors name the DOMException the bindings throw (rtc_base/error.h):
 * RTC_ERR_INVALID_STATE (InvalidStateError), RTC_ERR_INVALID_ACCESS,
 * RTC_ERR_INVALID_MODIFICATION, RTC_ERR_OPERATION, RTC_ERR_SYNTAX,
 * RTC_ERR_SDP_SYNTAX (RTCError "sdp-syntax-error" with the line number),
 * RTC_ERR_INVALID_ARGUMENT (TypeError), RTC_ERR_OUT_OF_RANGE (RangeError).
 */
#ifndef API_RTC_PEER_CONNECTION_H_
#define API_RTC_PEER_CONNECTION_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/rtc_context.h"
#include "api/rtc_data_channel.h"
#include "api/rtc_rtp_transceiver.h"
#include "api/rtc_transports.h"
#include "p2p/certificate.h"
#include "p2p/ice_agent.h"
#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_peer_connection rtc_peer_connection;

/* --- Enums (webrtc-pc), each with its spec string --- */

typedef enum rtc_bundle_policy {
  RTC_BUNDLE_POLICY_BALANCED = 0,
  RTC_BUNDLE_POLICY_MAX_COMPAT,
  RTC_BUNDLE_POLICY_MAX_BUNDLE,
} rtc_bundle_policy;

typedef enum rtc_rtcp_mux_policy {
  RTC_RTCP_MUX_POLICY_REQUIRE = 0,
} rtc_rtcp_mux_policy;

typedef enum rtc_sdp_type {
  RTC_SDP_OFFER = 0,
  RTC_SDP_PRANSWER,
  RTC_SDP_ANSWER,
  RTC_SDP_ROLLBACK,
} rtc_sdp_type;

typedef enum rtc_signaling_state {
  RTC_SIGNALING_STABLE = 0,
  RTC_SIGNALING_HAVE_LOCAL_OFFER,
  RTC_SIGNALING_HAVE_REMOTE_OFFER,
  RTC_SIGNALING_HAVE_LOCAL_PRANSWER,
  RTC_SIGNALING_HAVE_REMOTE_PRANSWER,
  RTC_SIGNALING_CLOSED,
} rtc_signaling_state;

/* RTCIceConnectionState: the RTCIceTransportState values. */
typedef rtc_ice_transport_state rtc_ice_connection_state;

typedef enum rtc_peer_connection_state {
  RTC_PC_STATE_NEW = 0,
  RTC_PC_STATE_CONNECTING,
  RTC_PC_STATE_CONNECTED,
  RTC_PC_STATE_DISCONNECTED,
  RTC_PC_STATE_FAILED,
  RTC_PC_STATE_CLOSED,
} rtc_peer_connection_state;

const char* rtc_bundle_policy_name(rtc_bundle_policy policy);
const char* rtc_sdp_type_name(rtc_sdp_type type);
const char* rtc_signaling_state_name(rtc_signaling_state state);
const char* rtc_peer_connection_state_name(rtc_peer_connection_state state);
/* Parse a spec string ("offer", "max-bundle", ...). Errors:
 * RTC_ERR_INVALID_ARGUMENT (TypeError: not a value of the enum). */
rtc_error rtc_sdp_type_from_name(const char* name, rtc_sdp_type* out);
rtc_error rtc_bundle_policy_from_name(const char* name, rtc_bundle_policy* out);

/* --- Configuration (RTCConfiguration) --- */

typedef struct rtc_ice_server {
  const char* const* urls; /* "stun:host:port", "turn:...", "turns:..." */
  size_t url_count;
  const char* username;   /* NULL: absent */
  const char* credential; /* NULL: absent */
} rtc_ice_server;

typedef struct rtc_configuration {
  const rtc_ice_server* ice_servers;
  size_t ice_server_count;
  rtc_ice_transport_policy ice_transport_policy;
  rtc_bundle_policy bundle_policy;
  rtc_rtcp_mux_policy rtcp_mux_policy;
  rtc_certificate* const* certificates; /* (transfer none) */
  size_t certificate_count;
  uint8_t ice_candidate_pool_size;
  /* rtcbox, for embedders (not in RTCConfiguration): */
  rtc_ip_handling_policy ip_handling;
  bool obfuscate_host_addresses; /* default true */
  /* ICE-TCP host candidates (RFC 6544), as browsers gather them: default
   * true. */
  bool tcp_candidates;
  rtc_interface_filter interfaces;
} rtc_configuration;

void rtc_configuration_init(rtc_configuration* config);

/* --- Descriptions, candidates --- */

typedef struct rtc_session_description {
  rtc_sdp_type type;
  const char* sdp; /* NUL-terminated */
} rtc_session_description;

/* RTCIceCandidateInit. */
typedef struct rtc_ice_candidate_init {
  const char* candidate;         /* "" means end-of-candidates */
  const char* sdp_mid;           /* NULL: absent */
  int32_t sdp_mline_index;       /* -1: absent */
  const char* username_fragment; /* NULL: absent */
} rtc_ice_candidate_init;

/* --- Offer/answer options --- */

typedef struct rtc_offer_options {
  bool ice_restart;
} rtc_offer_options;

/* --- Observer --- */

typedef struct rtc_ice_candidate_event {
  /* NULL for the end-of-candidates event (webrtc-pc: null candidate). */
  const char* candidate; /* "candidate:..." */
  const char* sdp_mid;
  int32_t sdp_mline_index;
  const char* username_fragment;
  const char* url; /* the STUN/TURN URL it came from, or NULL */
} rtc_ice_candidate_event;

typedef struct rtc_ice_candidate_error_event {
  const char* address; /* NULL when not exposed */
  int32_t port;        /* -1 when not exposed */
  const char* url;
  uint16_t error_code;
  const char* error_text;
} rtc_ice_candidate_error_event;

/* What applying a description did to one transceiver's receiver (webrtc-pc
 * §4.4.1.6 "process remote tracks", §5.1.1). */
typedef struct rtc_remote_track_update {
  rtc_rtp_transceiver* transceiver; /* (transfer none) */
  /* The ids of the receiver's [[AssociatedRemoteMediaStreams]] now: those
   * of the media description's a=msid lines while the transceiver
   * receives (RFC 8830; "-" is no stream), else none. */
  const char* const* stream_ids;
  size_t stream_id_count;
  /* "process the addition of a remote track": the receiver starts to
   * receive, or gained a stream; the embedder fires `track`. */
  bool add_track;
  /* "process the removal of a remote track": it stopped receiving; the
   * embedder mutes the receiver's track. */
  bool remove_track;
  /* The transceiver became stopped ("stop the RTCRtpTransceiver": a
   * rejected media section, or a rolled-back remote offer removed it): its
   * receiver's track ends, with an `ended` event. */
  bool stopped;
} rtc_remote_track_update;

typedef struct rtc_peer_connection_observer {
  void (*on_negotiation_needed)(void* user);
  void (*on_ice_candidate)(void* user, const rtc_ice_candidate_event* event);
  void (*on_ice_candidate_error)(void* user,
                                 const rtc_ice_candidate_error_event* event);
  void (*on_signaling_state_change)(void* user, rtc_signaling_state state);
  void (*on_ice_gathering_state_change)(void* user,
                                        rtc_ice_gathering_state state);
  void (*on_ice_connection_state_change)(void* user,
                                         rtc_ice_connection_state state);
  void (*on_connection_state_change)(void* user,
                                     rtc_peer_connection_state state);
  /* A channel the peer opened (RTCDataChannelEvent). The callee takes one
   * reference on `channel` (rtc_data_channel_unref when done). */
  void (*on_data_channel)(void* user, rtc_data_channel* channel);
  /* A description was applied (setRemoteDescription of any type, or
   * setLocalDescription of an answer or provisional answer, or a
   * rollback) and changed what receivers receive: one entry per
   * transceiver whose remote streams, receiving state or stopped state
   * changed, in the order of the transceivers (removed ones last). Called
   * after the signaling state changed and before the operation completes
   * (webrtc-pc §4.4.1.6: mute tracks, update the streams, then fire
   * `track`, then resolve). The array and strings are valid during the
   * call; the transceivers until it returns (take a reference to keep
   * one). May be NULL. */
  void (*on_remote_tracks)(void* user,
                           const rtc_remote_track_update* updates,
                           size_t count);
} rtc_peer_connection_observer;

/* --- Lifetime --- */

/* webrtc-pc §4.4.1.1 constructor steps: validates the configuration
 * (RTC_ERR_SYNTAX for a bad URL, RTC_ERR_INVALID_ACCESS for TURN without
 * credentials or an expired certificate, RTC_ERR_NOT_SUPPORTED), generates
 * an ECDSA certificate if none is given. (context: transfer none, must
 * outlive the pc; signaling: transfer none; observer: transfer none)
 * Errors as listed, and RTC_ERR_NO_MEMORY. */
rtc_error rtc_peer_connection_create(
    rtc_context* context,
    rtc_task_queue* signaling,
    const rtc_configuration* config,
    const rtc_peer_connection_observer* observer,
    void* user,
    rtc_peer_connection** out,
    rtc_error_info* info);
/* close() if not closed, then frees everything once the network thread has
 * released its part; no callback after it returns, and nothing more is
 * posted to the signaling queue: the embedder may destroy that queue as
 * soon as its last peer connection is destroyed. Not from inside one of
 * this pc's callbacks. NULL is ignored. */
void rtc_peer_connection_destroy(rtc_peer_connection* pc);

/* webrtc-pc close(): states to closed, transports stopped, data channels
 * closed; no events fire for these changes. */
void rtc_peer_connection_close(rtc_peer_connection* pc);

/* --- JSEP operations (asynchronous) --- */

/* `sdp` is valid during the call only. On error, result != RTC_OK and
 * `info` says more; `sdp` is NULL. */
typedef void (*rtc_description_callback)(void* user,
                                         rtc_error result,
                                         const rtc_error_info* info,
                                         const rtc_session_description* sdp);
typedef void (*rtc_void_callback)(void* user,
                                  rtc_error result,
                                  const rtc_error_info* info);

rtc_error rtc_peer_connection_create_offer(rtc_peer_connection* pc,
                                           const rtc_offer_options* options,
                                           rtc_description_callback done,
                                           void* user);
rtc_error rtc_peer_connection_create_answer(rtc_peer_connection* pc,
                                            rtc_description_callback done,
                                            void* user);
/* description NULL: the parameterless form (implicit offer or answer). */
rtc_error rtc_peer_connection_set_local_description(
    rtc_peer_connection* pc,
    const rtc_session_description* description,
    rtc_void_callback done,
    void* user);
rtc_error rtc_peer_connection_set_remote_description(
    rtc_peer_connection* pc,
    const rtc_session_description* description,
    rtc_void_callback done,
    void* user);
/* candidate NULL or candidate->candidate "" with no mid/index: end of
 * candidates for all media. */
rtc_error rtc_peer_connection_add_ice_candidate(
    rtc_peer_connection* pc,
    const rtc_ice_candidate_init* candidate,
    rtc_void_callback done,
    void* user);
/* Chains an operation of the embedder's (webrtc-pc §4.4.1.2: replaceTrack
 * uses the chain): `run` is called with RTC_OK once the operations before
 * it are done, in a task of its own, and the next operation waits until
 * it returns. Errors: RTC_ERR_INVALID_STATE when closed (`run` is never
 * called then), RTC_ERR_NO_MEMORY. Signaling thread. */
rtc_error rtc_peer_connection_chain_operation(rtc_peer_connection* pc,
                                              rtc_void_callback run,
                                              void* user);
void rtc_peer_connection_restart_ice(rtc_peer_connection* pc);

/* --- Configuration --- */

/* webrtc-pc setConfiguration(): RTC_ERR_INVALID_MODIFICATION for a changed
 * bundle policy, rtcp-mux policy, certificates, or pool size after
 * setLocalDescription; plus the constructor's errors. */
rtc_error rtc_peer_connection_set_configuration(rtc_peer_connection* pc,
                                                const rtc_configuration* config,
                                                rtc_error_info* info);
/* A copy the caller frees with rtc_configuration_free. */
rtc_error rtc_peer_connection_get_configuration(const rtc_peer_connection* pc,
                                                rtc_configuration** out);
void rtc_configuration_free(rtc_configuration* config);

/* --- State (attributes) --- */

rtc_signaling_state rtc_peer_connection_signaling_state(
    const rtc_peer_connection* pc);
rtc_ice_gathering_state rtc_peer_connection_ice_gathering_state(
    const rtc_peer_connection* pc);
rtc_ice_connection_state rtc_peer_connection_ice_connection_state(
    const rtc_peer_connection* pc);
rtc_peer_connection_state rtc_peer_connection_connection_state(
    const rtc_peer_connection* pc);
/* canTrickleIceCandidates: -1 null, 0 false, 1 true. */
int rtc_peer_connection_can_trickle_ice_candidates(
    const rtc_peer_connection* pc);

typedef enum rtc_description_kind {
  RTC_DESCRIPTION_LOCAL = 0, /* localDescription */
  RTC_DESCRIPTION_CURRENT_LOCAL,
  RTC_DESCRIPTION_PENDING_LOCAL,
  RTC_DESCRIPTION_REMOTE, /* remoteDescription */
  RTC_DESCRIPTION_CURRENT_REMOTE,
  RTC_DESCRIPTION_PENDING_REMOTE,
} rtc_description_kind;

/* The description, as SDP with the candidates gathered so far (for local
 * ones); RTC_ERR_NOT_FOUND when null. (out->sdp: transfer full, rtc_free) */
rtc_error rtc_peer_connection_description(const rtc_peer_connection* pc,
                                          rtc_description_kind kind,
                                          rtc_session_description* out);

/* --- Data channels --- */

/* webrtc-pc createDataChannel(). Errors: RTC_ERR_INVALID_STATE (closed),
 * RTC_ERR_INVALID_ARGUMENT (TypeError: label or protocol longer than
 * 65535 bytes, both maxPacketLifeTime and maxRetransmits, negotiated
 * without an id, id 65535), RTC_ERR_OPERATION (id in use, or no free id).
 * (out: transfer full, one reference) */
rtc_error rtc_peer_connection_create_data_channel(
    rtc_peer_connection* pc,
    const char* label,
    const rtc_data_channel_init* init,
    rtc_data_channel** out,
    rtc_error_info* info);

/* --- Transceivers --- */

/* webrtc-pc addTransceiver(kind, init). Errors: RTC_ERR_INVALID_STATE
 * (closed), RTC_ERR_INVALID_ARGUMENT (TypeError: bad rid), RTC_ERR_OUT_OF_RANGE
 * (RangeError: scaleResolutionDownBy < 1), RTC_ERR_INVALID_ACCESS.
 * (out: transfer full, one reference) */
rtc_error rtc_peer_connection_add_transceiver(
    rtc_peer_connection* pc,
    rtc_media_kind kind,
    const rtc_rtp_transceiver_init* init,
    rtc_rtp_transceiver** out,
    rtc_error_info* info);
/* webrtc-pc addTrack() for a track of `kind` (the embedder keeps the
 * track; it checks that the track has no sender yet): reuses the first
 * transceiver whose sender has no track, of this kind, not stopping, whose
 * [[CurrentDirection]] never was sendrecv or sendonly (its direction goes
 * recvonly -> sendrecv, inactive -> sendonly), else adds a sendrecv
 * transceiver that a remote offer may take over (RFC 9429 §5.10). Either
 * way the sender now has a track and `stream_ids` (copied, duplicates
 * dropped) as [[AssociatedMediaStreamIds]]; negotiationneeded is updated.
 * Errors: RTC_ERR_INVALID_STATE (closed), RTC_ERR_NO_MEMORY.
 * (out: transfer full, one reference) */
rtc_error rtc_peer_connection_add_track(rtc_peer_connection* pc,
                                        rtc_media_kind kind,
                                        const char* const* stream_ids,
                                        size_t stream_id_count,
                                        rtc_rtp_transceiver** out,
                                        rtc_error_info* info);
/* webrtc-pc removeTrack() for t's sender: nothing when t is stopping, no
 * longer one of pc's transceivers, or its sender has no track; else the
 * sender loses its track and the direction goes sendrecv -> recvonly,
 * sendonly -> inactive; negotiationneeded is updated. Errors:
 * RTC_ERR_INVALID_STATE (closed), RTC_ERR_INVALID_ACCESS (t belongs to
 * another peer connection). */
rtc_error rtc_peer_connection_remove_track(rtc_peer_connection* pc,
                                           rtc_rtp_transceiver* t,
                                           rtc_error_info* info);
/* getTransceivers(): at most capacity, each with one new reference;
 * returns how many there are. */
size_t rtc_peer_connection_transceivers(rtc_peer_connection* pc,
                                        rtc_rtp_transceiver** out,
                                        size_t capacity);

/* --- Stats --- */

/* The stats report as JSON (an object keyed by stats id, webrtc-stats
 * dictionaries), for the bindings to turn into a maplike RTCStatsReport.
 * `json` valid during the call. */
typedef void (*rtc_stats_callback)(void* user, const char* json);
rtc_error rtc_peer_connection_get_stats(rtc_peer_connection* pc,
                                        rtc_stats_callback done,
                                        void* user);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // API_RTC_PEER_CONNECTION_H_
