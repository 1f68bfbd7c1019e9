/*
 * The implementation of the WebRTC interfaces for the JavaScript bindings
 * (api/js/DESIGN.md): what the generated glue (bindings.h) calls, on top of
 * the C API (api/rtc_*.h). C types only; everything runs on the JS thread
 * of one env.
 *
 * Files:
 *   common.c          per-env state, the process-wide rtc_context, the
 *                     object header below, small helpers
 *   peer_connection.c RTCPeerConnection, RTCSessionDescription,
 *                     RTCCertificate, RTCStatsReport
 *   data_channel.c    RTCDataChannel (send queue with Blobs, events)
 *   ice.c             RTCIceCandidate, RTCIceCandidatePair
 *   transports.c      RTCIceTransport, RTCDtlsTransport, RTCSctpTransport
 *   rtp.c             RTCRtpTransceiver, RTCRtpSender, RTCRtpReceiver,
 *                     RTCDTMFSender, and RTCPeerConnection's addTrack,
 *                     removeTrack, addTransceiver, getSenders,
 *                     getReceivers, getTransceivers and `track` events
 *   media_stream.c    MediaStream, MediaStreamTrack
 *
 * Object lifetime. Every implementation struct starts with an
 * rtcbox_impl_header (which starts with the rtcbox_wrapper the runtime
 * wants). `refs` counts the owners of the C object: its JS object (one
 * reference, taken when the object is handed to JS without having a JS
 * object: rtcbox_impl_out), and C owners (a peer connection's registry,
 * a parent object). The JS object's reference is released by
 * rtcbox_<X>_finalize (rtcbox_impl_unref). At zero, `free_fn` frees the
 * object. An object embedded in another (the sender of a transceiver)
 * has `parent`: it holds one reference on the parent while its own count
 * is above zero, and its free_fn does not free memory.
 *
 * Identity: one C object per core object, so that one JS object stands
 * for it while that JS object lives (pc.sctp === pc.sctp). The peer
 * connection keeps a registry (transceivers, DTLS transports, the SCTP
 * transport) holding a reference on each; a DTLS transport holds its ICE
 * transport. The registry is released when the peer connection's C
 * object is freed; children keep their core objects (referenced) so
 * their getters keep working ("closed" states) after that.
 *
 * Strong and weak: an object that can still fire events holds its JS
 * object strongly (rtcbox_wrapper_set_strong): a peer connection until
 * close(), a data channel until "closed", transports and tracks while
 * their peer connection is not closed.
 *
 * Env teardown: the env cleanup hook of common.c (registered after the
 * signaling queue's, so it runs first) destroys the core peer connections
 * of the env (rtcbox_pc_env_teardown) so that nothing posts to the queue
 * after it is gone; finalizers run later and find pc->pc == NULL.
 */
#ifndef API_JS_IMPL_IMPL_H_
#define API_JS_IMPL_IMPL_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/js/bindings.h"
#include "api/js/runtime/runtime.h"
#include "api/rtc_context.h"
#include "api/rtc_data_channel.h"
#include "api/rtc_peer_connection.h"
#include "api/rtc_rtp_transceiver.h"
#include "api/rtc_transports.h"
#include "p2p/certificate.h"
#include "rtc_base/error.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Object header (common.c)
 * --------------------------------------------------------------------- */

typedef struct rtcbox_impl_header rtcbox_impl_header;
struct rtcbox_impl_header {
  rtcbox_wrapper wrapper; /* first: the runtime's */
  int refs;
  void (*free_fn)(rtcbox_impl_header* self);
  rtcbox_impl_header* parent; /* embedded objects: see above */
};

/* refs = 1 (the caller's), class_id set, free_fn. */
void rtcbox_impl_init(rtcbox_impl_header* h,
                      int32_t class_id,
                      void (*free_fn)(rtcbox_impl_header* self));
/* An embedded object: refs = 0; the parent is referenced while refs > 0. */
void rtcbox_impl_init_embedded(rtcbox_impl_header* h,
                               int32_t class_id,
                               rtcbox_impl_header* parent);
void rtcbox_impl_ref(rtcbox_impl_header* h);
/* NULL ignored. */
void rtcbox_impl_unref(rtcbox_impl_header* h);
/* Before handing `h` to JS (a result, a promise value, an event member):
 * takes the reference of the JS object the glue will create if there is
 * none yet. Returns h (NULL stays NULL). */
void* rtcbox_impl_out(rtcbox_impl_header* h);
/* For an object handed to JS in an event or a promise value, after the
 * event was fired or the promise settled: RTCBOX_OUT took the reference
 * of the JS object to come, but none comes when the event cannot fire (its
 * target has no JS object) or the promise cannot settle (its env is
 * going away); then that reference goes back. `had_js`: whether `h` had a
 * JS object before RTCBOX_OUT. NULL is ignored. */
void rtcbox_impl_out_unused(rtcbox_impl_header* h, bool had_js);
#define RTCBOX_OUT(obj) \
  ((obj) ? (__typeof__(obj))rtcbox_impl_out(&(obj)->h) : NULL)

/* ------------------------------------------------------------------------
 * Per-env state and the process-wide context (common.c)
 * --------------------------------------------------------------------- */

typedef struct rtcbox_impl_env {
  napi_env env;
  rtc_task_queue* queue; /* the signaling queue (napi_task_queue) */
  bool tearing_down;
  /* Live peer connections of the env (a doubly linked list through
   * rtcbox_RTCPeerConnection.env_prev/env_next). */
  struct rtcbox_RTCPeerConnection* pcs;
  struct rtcbox_impl_env* next; /* the process's list of envs */
} rtcbox_impl_env;

/* The addon's init (addon_init.c): the signaling queue, the env's state,
 * the cleanup hook, then rtcbox_bindings_init. NULL with an exception
 * pending on failure. */
napi_value rtcbox_impl_addon_init(napi_env env, napi_value exports);
/* The state of `env`; NULL if the addon was not initialized there. */
rtcbox_impl_env* rtcbox_impl_env_get(napi_env env);

/* The process-wide rtc_context (created by the first user, destroyed when
 * the last releases it). Errors: those of rtc_context_create. */
rtc_error rtcbox_impl_context_acquire(rtc_context** out);
void rtcbox_impl_context_release(rtc_context* context);

/* Copies into malloc'd memory (rtc_malloc); NULL for the null string or
 * out of memory (check s.data to tell them apart). */
char* rtcbox_impl_strdup(rtcbox_string s);
/* A random UUID v4 string (36 chars + NUL) for track and stream ids. */
void rtcbox_impl_uuid(char out[37]);

/* ------------------------------------------------------------------------
 * Objects
 * --------------------------------------------------------------------- */

typedef struct rtcbox_rtp_group rtcbox_rtp_group;

struct rtcbox_RTCPeerConnection {
  rtcbox_impl_header h;
  rtcbox_impl_env* ienv;
  struct rtcbox_RTCPeerConnection* env_prev;
  struct rtcbox_RTCPeerConnection* env_next;
  rtc_context* context;    /* acquired */
  rtc_peer_connection* pc; /* NULL once destroyed (finalize, env teardown) */
  bool closed;
  int keep_alive; /* keep-alive counts held on ienv->queue */
  /* The registry (each entry holds a reference). */
  rtcbox_rtp_group** rtp;
  size_t rtp_count, rtp_capacity;
  struct rtcbox_RTCDtlsTransport** dtls;
  size_t dtls_count, dtls_capacity;
  struct rtcbox_RTCSctpTransport* sctp;
  /* Data channels alive (no reference: a channel takes itself out when it
   * is freed). */
  struct rtcbox_RTCDataChannel** channels;
  size_t channel_count, channel_capacity;
  /* Cached RTCSessionDescription objects by rtc_description_kind (each
   * holds a reference), reused while their SDP is unchanged. */
  struct rtcbox_RTCSessionDescription* descriptions[6];
  /* Stream objects the remote side announced, by id (ontrack's streams). */
  struct rtcbox_MediaStream** remote_streams;
  size_t remote_stream_count, remote_stream_capacity;
};

struct rtcbox_RTCSessionDescription {
  rtcbox_impl_header h;
  rtcbox_RTCSdpType type;
  char* sdp; /* never NULL */
};

struct rtcbox_RTCCertificate {
  rtcbox_impl_header h;
  rtc_certificate* certificate; /* referenced */
};

struct rtcbox_RTCStatsReport {
  rtcbox_impl_header h;
  char* json; /* the report (rtc_stats_callback's) */
};

struct rtcbox_RTCDataChannel {
  rtcbox_impl_header h;
  rtc_data_channel* channel;           /* referenced */
  struct rtcbox_RTCPeerConnection* pc; /* weak; NULL once it is freed */
  rtcbox_BinaryType binary_type;
  /* The send queue (data_channel.c): messages waiting behind a Blob read,
   * in send() order, and their bytes (part of bufferedAmount). */
  struct rtcbox_dc_pending* pending_head;
  struct rtcbox_dc_pending* pending_tail;
  uint64_t pending_bytes;
  bool observing;       /* the core's observer is set */
  bool detached;        /* rtcbox_data_channel_pc_closed ran: "closed" */
  bool close_requested; /* close() was called ("closing") */
  bool close_sent;      /* ... and reached the core (the queue drained) */
  bool close_fired;     /* the close event fired (or cannot any more) */
  bool low_armed;       /* bufferedAmount went above the threshold */
};

struct rtcbox_RTCIceCandidate {
  rtcbox_impl_header h;
  /* Owned copies (rtc_malloc), with their lengths so that every DOMString
   * round-trips (NULs included); data NULL: null. */
  rtcbox_string candidate; /* "candidate:..." or "" (never null) */
  rtcbox_string sdp_mid;
  int32_t sdp_mline_index;         /* -1: null */
  rtcbox_string username_fragment; /* the init's, else the line's ufrag */
  rtcbox_string url;
  int32_t relay_protocol; /* rtcbox_RTCIceServerTransportProtocol, -1: null */
  /* `candidate` parsed (p2p/candidate.h), owned; NULL when it is empty,
   * does not parse, or has a value the attributes cannot hold (webrtc-pc
   * §4.8.1.1): foundation ... relatedPort are then null. */
  struct rtc_candidate* parsed;
  /* A remote candidate whose address the core did not reveal (a
   * peer-reflexive one, written 0.0.0.0): `address` is null (webrtc-pc
   * §4.8.1.1, address). */
  bool hide_address;
};

struct rtcbox_RTCIceCandidatePair {
  rtcbox_impl_header h;
  struct rtcbox_RTCIceCandidate* local;  /* referenced */
  struct rtcbox_RTCIceCandidate* remote; /* referenced */
};

struct rtcbox_RTCIceTransport {
  rtcbox_impl_header h;
  rtc_pc_ice_transport* transport; /* referenced */
  bool observing;
  /* getSelectedCandidatePair(): the same pair object while the pair is
   * unchanged (referenced). */
  struct rtcbox_RTCIceCandidatePair* selected;
  /* Candidates seen on the transport (getLocalCandidates /
   * getRemoteCandidates), referenced: those of the selected pairs, without
   * peer-reflexive ones (the C API lists no others; transports.c). */
  struct rtcbox_RTCIceCandidate** local;
  size_t local_count, local_capacity;
  struct rtcbox_RTCIceCandidate** remote;
  size_t remote_count, remote_capacity;
};

struct rtcbox_RTCDtlsTransport {
  rtcbox_impl_header h;
  rtc_pc_dtls_transport* transport;   /* referenced */
  struct rtcbox_RTCIceTransport* ice; /* [SameObject], referenced */
  bool observing;
};

struct rtcbox_RTCSctpTransport {
  rtcbox_impl_header h;
  rtc_pc_sctp_transport* transport;     /* referenced */
  struct rtcbox_RTCDtlsTransport* dtls; /* referenced */
  bool observing;
};

struct rtcbox_MediaStreamTrack {
  rtcbox_impl_header h;
  char id[37];
  bool is_video;
  char* label; /* never NULL */
  bool enabled;
  bool muted;
  bool ended;
  bool remote; /* a receiver's track (strong while it can fire events) */
  /* getConstraints(): what applyConstraints() last applied (NULL: {}),
   * in its own arena. */
  rtc_arena constraints_arena;
  struct rtcbox_MediaTrackConstraints* constraints;
};

struct rtcbox_MediaStream {
  rtcbox_impl_header h;
  char* id;
  struct rtcbox_MediaStreamTrack** tracks; /* referenced */
  size_t track_count, track_capacity;
};

/* RTCRtpSender, RTCRtpReceiver, RTCRtpTransceiver and RTCDTMFSender of one
 * core transceiver share one allocation (embedded, see above). */
struct rtcbox_RTCRtpSender {
  rtcbox_impl_header h;
  rtcbox_rtp_group* group;
};
struct rtcbox_RTCRtpReceiver {
  rtcbox_impl_header h;
  rtcbox_rtp_group* group;
};
struct rtcbox_RTCRtpTransceiver {
  rtcbox_impl_header h;
  rtcbox_rtp_group* group;
};
struct rtcbox_RTCDTMFSender {
  rtcbox_impl_header h;
  rtcbox_rtp_group* group;
};

struct rtcbox_rtp_group {
  rtcbox_impl_header h;             /* the group's own count (no JS object) */
  rtc_rtp_transceiver* transceiver; /* referenced */
  struct rtcbox_RTCPeerConnection* pc; /* weak; NULL once it is freed */
  struct rtcbox_RTCRtpTransceiver t;
  struct rtcbox_RTCRtpSender sender;
  struct rtcbox_RTCRtpReceiver receiver;
  struct rtcbox_RTCDTMFSender dtmf;
  struct rtcbox_MediaStreamTrack* sender_track;   /* referenced, or NULL */
  struct rtcbox_MediaStreamTrack* receiver_track; /* referenced */
  /* The receiver's [[AssociatedRemoteMediaStreams]] (referenced). */
  struct rtcbox_MediaStream** remote_streams;
  size_t remote_stream_count;
  /* The sender's [[SendEncodings]] (rtp.c), never empty. */
  struct rtcbox_rtp_encoding* encodings;
  size_t encoding_count;
  /* [[LastReturnedParameters]]: its transactionId, "" while null. */
  char transaction_id[37];
  bool clear_posted; /* the task that nulls it is queued */
  /* The receiver's [[JitterBufferTarget]]. */
  bool has_jitter_buffer_target;
  double jitter_buffer_target;
  /* The last transport seen while the peer connection lived (referenced),
   * for the getters once it is freed. */
  struct rtcbox_RTCDtlsTransport* transport;
};

/* ------------------------------------------------------------------------
 * Between the files
 * --------------------------------------------------------------------- */

/* peer_connection.c */
/* The group of a core transceiver, created (and registered) on first use.
 * NULL when out of memory. (transfer none) */
rtcbox_rtp_group* rtcbox_pc_rtp_group(rtcbox_RTCPeerConnection* pc,
                                      rtc_rtp_transceiver* transceiver);
/* The wrapper of a core DTLS transport (created, registered). NULL for
 * NULL or out of memory. (transfer none) */
rtcbox_RTCDtlsTransport* rtcbox_pc_dtls_transport(rtcbox_RTCPeerConnection* pc,
                                                  rtc_pc_dtls_transport* t);
/* Destroys every core peer connection of the env (cleanup hook). */
void rtcbox_pc_env_teardown(rtcbox_impl_env* ienv);
/* A new RTCStatsReport from the core's JSON (transfer full: refs 1). */
rtcbox_RTCStatsReport* rtcbox_stats_report_new(const char* json);
/* A data channel took itself out / a group was freed. */
void rtcbox_pc_forget_channel(rtcbox_RTCPeerConnection* pc,
                              rtcbox_RTCDataChannel* channel);
/* Call after a change that may make negotiationneeded fire (addTrack,
 * removeTrack, addTransceiver, a transceiver's direction or stop(), ...):
 * Node stays alive until the core's negotiation check (a task it queued)
 * has run, so that a script waiting for negotiationneeded gets it. Nothing
 * once closed; NULL is ignored. */
void rtcbox_pc_negotiation_probe(rtcbox_RTCPeerConnection* pc);
/* Chains an operation on the connection's operations chain (webrtc-pc
 * §4.4.1.2; replaceTrack): once the operations before it are done,
 * run(arg, promise) settles `promise` (transfer full), in a task of its
 * own. destroy(arg) follows run, or comes alone when the operation is
 * dropped (close(): its promise never settles; the core destroyed).
 * Errors: RTC_ERR_INVALID_STATE (closed), RTC_ERR_NO_MEMORY; then neither
 * is called and `promise` is untouched. */
rtc_error rtcbox_pc_chain_operation(rtcbox_RTCPeerConnection* pc,
                                    const char* name,
                                    rtcbox_promise* promise,
                                    void (*run)(void* arg,
                                                rtcbox_promise* promise),
                                    void (*destroy)(void* arg),
                                    void* arg);

/* data_channel.c */
/* The wrapper of a core channel (transfer full: refs 1, a new C object
 * each call: the caller hands it to JS once). Takes its own reference on
 * `channel` (the caller keeps its own) and sets the observer; held strongly
 * until the channel is closed. `pc` is not referenced: the channel calls
 * rtcbox_pc_forget_channel(pc, channel) when it is freed while
 * channel->pc is not NULL (the pc sets channel->pc = NULL when its own C
 * object is freed first). NULL when out of memory. */
rtcbox_RTCDataChannel* rtcbox_data_channel_new(rtcbox_RTCPeerConnection* pc,
                                               rtc_data_channel* channel);
/* The peer connection closed or went away: the channel is closed without
 * events (webrtc-pc close()), weak, and detached from the core; its queue
 * is dropped. Idempotent; does not change channel->pc. */
void rtcbox_data_channel_pc_closed(rtcbox_RTCDataChannel* channel);

/* ice.c */
/* A new candidate (transfer full: refs 1); NULL when out of memory. The
 * strings are copied (NULL: null; sdp_mline_index -1: null); `candidate`
 * "" is the end-of-candidates candidate. usernameFragment NULL takes the
 * candidate line's ufrag; a relay candidate's relayProtocol comes from its
 * TURN `url` (RFC 7065). */
rtcbox_RTCIceCandidate* rtcbox_ice_candidate_new(const char* candidate,
                                                 const char* sdp_mid,
                                                 int32_t sdp_mline_index,
                                                 const char* username_fragment,
                                                 const char* url);
/* A new pair (transfer full: refs 1) holding a reference on each
 * candidate; NULL when out of memory. */
rtcbox_RTCIceCandidatePair* rtcbox_ice_candidate_pair_new(
    rtcbox_RTCIceCandidate* local,
    rtcbox_RTCIceCandidate* remote);

/* transports.c */
/* New wrappers (transfer full: refs 1) that observe the core object and
 * fire its events. */
rtcbox_RTCDtlsTransport* rtcbox_dtls_transport_new(rtc_pc_dtls_transport* t);
rtcbox_RTCSctpTransport* rtcbox_sctp_transport_new(
    rtcbox_RTCDtlsTransport* dtls,
    rtc_pc_sctp_transport* t);
/* The peer connection closed: no more events; weak. */
void rtcbox_dtls_transport_pc_closed(rtcbox_RTCDtlsTransport* t);
void rtcbox_sctp_transport_pc_closed(rtcbox_RTCSctpTransport* t);

/* rtp.c */
/* A new group for a core transceiver (transfer full: the group's refs 1).
 * `sender_track` (may be NULL) is referenced; a receiver track is made
 * (muted, label its id as in Chrome). NULL when out of memory. */
rtcbox_rtp_group* rtcbox_rtp_group_new(rtcbox_RTCPeerConnection* pc,
                                       rtc_rtp_transceiver* transceiver,
                                       rtcbox_MediaStreamTrack* sender_track);
/* The peer connection closed: receiver tracks end (no events), the
 * receiver tracks and the remote streams go weak. */
void rtcbox_rtp_group_pc_closed(rtcbox_rtp_group* group);
/* rtc_peer_connection_observer.on_remote_tracks for the observer of
 * peer_connection.c; `user` is the rtcbox_RTCPeerConnection (or a struct
 * that starts with it). Mutes, ends and moves receiver tracks between the
 * remote streams (pc->remote_streams, one per id) and fires `track`
 * (webrtc-pc §4.4.1.6, last steps). */
void rtcbox_rtp_on_track(void* user,
                         const rtc_remote_track_update* updates,
                         size_t count);

/* media_stream.c */
/* A new track (transfer full: refs 1); label NULL: the track's id (what
 * Chrome shows for remote tracks). NULL when out of memory. */
rtcbox_MediaStreamTrack* rtcbox_track_new(bool is_video,
                                          const char* label,
                                          bool remote);
/* Ends a track (readyState "ended"), firing `ended` when fire is true;
 * the track goes weak. Nothing for an ended track. */
void rtcbox_track_end(rtcbox_MediaStreamTrack* track, bool fire);
/* "Set the muted state" (mediacapture-main): fires `mute` or `unmute` when
 * it changes (not on an ended track). */
void rtcbox_track_set_muted(rtcbox_MediaStreamTrack* track, bool muted);
/* A new stream with `id` (NULL: a new UUID) (transfer full). NULL when out
 * of memory. */
rtcbox_MediaStream* rtcbox_media_stream_new(const char* id);
/* Adds a track (referenced) if not there, firing `addtrack` when fire is
 * true (the remote cases: an Event with a `track` property, as the IDL has
 * no MediaStreamTrackEvent yet). Errors: RTC_ERR_NO_MEMORY. */
rtc_error rtcbox_media_stream_add(rtcbox_MediaStream* stream,
                                  rtcbox_MediaStreamTrack* track,
                                  bool fire);
/* Removes a track if there, firing `removetrack` when fire is true. */
void rtcbox_media_stream_remove(rtcbox_MediaStream* stream,
                                rtcbox_MediaStreamTrack* track,
                                bool fire);
/* Posts `task` to the signaling queue of `env` ("queue a task"),
 * keeping the host's event loop alive until it ran or was dropped (a
 * promise waits on it). On failure the task is dropped (its destroy ran).
 * Errors: RTC_ERR_INVALID_STATE (no queue: env torn down),
 * RTC_ERR_NO_MEMORY. */
rtc_error rtcbox_media_post_task(napi_env env, rtc_task task);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // API_JS_IMPL_IMPL_H_
