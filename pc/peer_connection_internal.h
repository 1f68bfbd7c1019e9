/*
 * Internals of the peer connection (signaling thread): shared by
 * peer_connection.c (lifecycle, operations chain, events, states), jsep.c
 * (offers, answers, applying descriptions), data_channel.c and
 * transceiver.c. Not an API.
 */
#ifndef PC_PEER_CONNECTION_INTERNAL_H_
#define PC_PEER_CONNECTION_INTERNAL_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/rtc_peer_connection.h"
#include "api/rtc_transports.h"
#include "pc/pc_network.h"
#include "pc/sdp.h"
#include "rtc_base/mutex.h"
#include "rtc_base/refcount.h"
#include "rtc_base/safety_flag.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PC_MAX_TRANSPORTS 16
#define PC_MID_SIZE 32
#define PC_CNAME_SIZE 32

/* --- Data channels (signaling side) --- */

struct rtc_data_channel {
  rtc_refcount refs;
  rtc_peer_connection* pc; /* NULL once the pc is gone */
  char* label;
  char* protocol;
  char priority[16];
  bool ordered;
  int32_t max_packet_lifetime;
  int32_t max_retransmits;
  bool negotiated;
  int32_t id; /* -1: null */
  rtc_data_channel_state state;
  uint64_t submitted; /* bytes given to send() */
  uint64_t sent;      /* bytes SCTP has taken */
  uint64_t messages_sent;
  uint64_t messages_received;
  uint64_t bytes_received;
  uint64_t low_threshold;
  bool opened_on_network; /* open_channel posted */
  bool was_open;          /* reached "open" (webrtc-stats counts) */
  bool close_requested;
  const rtc_data_channel_observer* observer;
  void* user;
  rtc_safety_flag* flag; /* for events posted to the observer */
};

/* --- Transport objects (transports.c) --- */

#define PC_MAX_REMOTE_CERTIFICATES 8

struct rtc_pc_ice_transport {
  rtc_refcount refs;
  rtc_ice_transport_role role;
  rtc_ice_transport_state state;
  rtc_ice_gathering_state gathering_state;
  char* selected_local; /* NULL: no selected pair */
  char* selected_remote;
  char local_ufrag[RTC_ICE_UFRAG_SIZE];
  char local_pwd[RTC_ICE_PWD_SIZE];
  char remote_ufrag[RTC_ICE_UFRAG_SIZE];
  char remote_pwd[RTC_ICE_PWD_SIZE];
  const rtc_pc_ice_transport_observer* observer;
  void* user;
};

struct rtc_pc_dtls_transport {
  rtc_refcount refs;
  rtc_pc_ice_transport* ice; /* owned */
  rtc_dtls_state state;
  uint8_t* certificates[PC_MAX_REMOTE_CERTIFICATES];
  size_t certificate_sizes[PC_MAX_REMOTE_CERTIFICATES];
  size_t certificate_count;
  const rtc_pc_dtls_transport_observer* observer;
  void* user;
};

struct rtc_pc_sctp_transport {
  rtc_refcount refs;
  rtc_pc_dtls_transport* dtls; /* referenced */
  rtc_pc_sctp_state state;
  double max_message_size;
  int32_t max_channels; /* -1: null */
  const rtc_pc_sctp_transport_observer* observer;
  void* user;
};

/* A DTLS transport (and its ICE transport) in state new; one reference. */
rtc_pc_dtls_transport* pc_dtls_transport_new(void);
/* An SCTP transport over `dtls` (referenced), connecting; one reference. */
rtc_pc_sctp_transport* pc_sctp_transport_new(rtc_pc_dtls_transport* dtls);
/* These fire the object's events when something changed. */
void pc_ice_transport_update_state(rtc_pc_ice_transport* t,
                                   rtc_ice_transport_state state);
void pc_ice_transport_update_gathering(rtc_pc_ice_transport* t,
                                       rtc_ice_gathering_state state);
rtc_error pc_ice_transport_update_selected(rtc_pc_ice_transport* t,
                                           const char* local,
                                           const char* remote);
/* No event: role and the parameters of the descriptions in effect (NULL
 * strings leave a side as it is). */
void pc_ice_transport_set_parameters(rtc_pc_ice_transport* t,
                                     rtc_ice_role role,
                                     const char* local_ufrag,
                                     const char* local_pwd,
                                     const char* remote_ufrag,
                                     const char* remote_pwd);
void pc_dtls_transport_update_state(rtc_pc_dtls_transport* t,
                                    rtc_dtls_state state,
                                    const rtc_error_info* error);
rtc_error pc_dtls_transport_set_remote_certificates(rtc_pc_dtls_transport* t,
                                                    const uint8_t* const* der,
                                                    const size_t* der_len,
                                                    size_t count);
void pc_sctp_transport_update(rtc_pc_sctp_transport* t,
                              rtc_pc_sctp_state state,
                              double max_message_size,
                              int32_t max_channels);
void pc_dtls_transport_close_silently(rtc_pc_dtls_transport* t);
/* A transport the descriptions no longer use (a BUNDLE answer, a stopped
 * transceiver, a rollback): its RTCIceTransport and RTCDtlsTransport go
 * "closed", firing statechange, in a task of their own (not inside the
 * setLocalDescription/setRemoteDescription that dropped it). Takes the
 * caller's reference to `object`. */
void pc_close_transport_later(rtc_peer_connection* pc,
                              rtc_pc_dtls_transport* object);
void pc_sctp_transport_close_silently(rtc_pc_sctp_transport* t);
/* maxMessageSize from the peer's a=max-message-size and what we can send
 * (0: no limit). */
double pc_max_message_size(uint64_t remote, uint64_t can_send);

/* --- Transceivers --- */

struct rtc_rtp_transceiver {
  rtc_refcount refs;
  rtc_peer_connection* pc;
  rtc_media_kind kind;
  char mid[PC_MID_SIZE]; /* "" : null */
  rtc_transceiver_direction direction;
  bool has_current_direction;
  rtc_transceiver_direction current_direction;
  bool stopping;
  bool stopped;
  /* The m= line it is associated with in the local/remote description;
   * -1 none. */
  int mline_index;
  /* Added by addTransceiver (true) or created by a remote offer. */
  bool added_by_api;
  /* Made by addTrack: a remote offer may take it over (JSEP §5.10). */
  bool created_by_add_track;
  /* The mid createOffer proposed for it ("" : none yet). */
  char offer_mid[PC_MID_SIZE];
  /* Set by the pending description (undone by a rollback). */
  bool mid_from_pending;
  bool created_by_pending_remote;
  rtc_rtp_codec preferences[16];
  size_t preference_count;
  char** stream_ids;
  size_t stream_id_count;
  char sender_id[40];
  /* The RTCP CNAME of its pc (kept when the pc is gone). */
  char cname[PC_CNAME_SIZE];
  /* [[SenderTrack]] is not null. */
  bool sender_has_track;
  /* [[CurrentDirection]] has once been sendrecv or sendonly (webrtc-pc
   * addTrack: "The sender has never been used to send"). */
  bool used_to_send;
};

/* --- The peer connection --- */

typedef enum pc_op_kind {
  PC_OP_CREATE_OFFER,
  PC_OP_CREATE_ANSWER,
  PC_OP_SET_LOCAL,
  PC_OP_SET_REMOTE,
  PC_OP_ADD_CANDIDATE,
  PC_OP_CALLBACK, /* rtc_peer_connection_chain_operation */
} pc_op_kind;

typedef struct pc_op {
  struct pc_op* next;
  pc_op_kind kind;
  rtc_offer_options offer;
  bool has_description;
  rtc_sdp_type type;
  char* sdp;
  /* add candidate */
  bool end_of_candidates;
  char* candidate;
  char* mid;
  int32_t mline_index;
  char* ufrag;
  rtc_description_callback description_done;
  rtc_void_callback void_done;
  void* user;
} pc_op;

/* A shared block that tasks crossing threads hold, so that nothing
 * dereferences a peer connection that is gone. */
typedef struct pc_sent_total {
  uint16_t stream_id;
  uint64_t total;
} pc_sent_total;

typedef struct pc_bridge {
  rtc_refcount refs;
  rtc_safety_flag* flag;   /* alive while the pc is */
  rtc_peer_connection* pc; /* only when the flag is alive (signaling) */
  /* Posts to the signaling queue go through pc_bridge_post_signaling():
   * once the pc is destroyed the embedder may destroy that queue, so the
   * network thread must not touch it any more. */
  rtc_mutex mu;
  rtc_task_queue* signaling RTC_GUARDED_BY(mu); /* NULL once destroyed */
  /* Data sent (RTCDataChannel bufferedAmount), by stream: the latest
   * totals the network side reported and the signaling side has not
   * applied yet, applied by one task however many reports came (SCTP
   * reports after every packet it takes: 30 a 64 KiB message). */
  struct pc_sent_total* sent RTC_GUARDED_BY(mu);
  size_t sent_count RTC_GUARDED_BY(mu);
  size_t sent_capacity RTC_GUARDED_BY(mu);
  bool sent_posted RTC_GUARDED_BY(mu);
  rtc_task_queue* network;
  /* Calls for the network half (pc_post_to_network, pc_post_network_call),
   * in the order the signaling thread made them: one task on the network
   * queue runs all that are there when it starts (out_posted: that task is
   * posted and has not taken them yet). One task per call cost the network
   * thread a lock, a heap push and pop and a wake-up check for every
   * RTCDataChannel.send(). */
  rtc_mutex out_mu;
  struct net_call* out_head RTC_GUARDED_BY(out_mu);
  struct net_call* out_tail RTC_GUARDED_BY(out_mu);
  bool out_posted RTC_GUARDED_BY(out_mu);
  /* The network half: set, used and destroyed on the network thread only.
   * It lives here, not in the pc, because network tasks may run after the
   * pc is freed. */
  pc_network* net;
} pc_bridge;

typedef struct pc_transport_state {
  char name[PC_TRANSPORT_NAME_SIZE];
  bool created;                          /* on the network side */
  char local_ufrag[RTC_ICE_UFRAG_SIZE];  /* as last posted */
  char remote_ufrag[RTC_ICE_UFRAG_SIZE]; /* as last posted, "" none */
  size_t remote_candidates_posted;
  rtc_ice_transport_state ice;
  rtc_ice_gathering_state gathering;
  /* Told to gather (created or restarted), no gathering state heard
   * since: keeps the peer connection's "gathering" from ending while
   * another transport finishes first. */
  bool gather_pending;
  rtc_dtls_state dtls;
  bool end_of_candidates_sent;
  /* What JavaScript sees (the pc's reference; NULL if it could not be
   * allocated). */
  rtc_pc_dtls_transport* object;
} pc_transport_state;

typedef struct pc_local_candidate {
  char transport[PC_TRANSPORT_NAME_SIZE];
  rtc_candidate candidate;
} pc_local_candidate;

struct rtc_peer_connection {
  rtc_context* context;
  rtc_task_queue* signaling;
  rtc_task_queue* network;
  const rtc_peer_connection_observer* observer;
  void* user;
  pc_bridge* bridge;

  /* Configuration (deep copy). */
  rtc_configuration config;
  rtc_certificate* certificate;
  rtc_fingerprint fingerprint;
  pc_ice_servers* servers; /* from config.ice_servers (NULL: none) */
  uint64_t jitter_seed;    /* tests */

  bool closed;
  rtc_signaling_state signaling_state;
  rtc_ice_gathering_state gathering_state;
  rtc_ice_connection_state ice_connection_state;
  rtc_peer_connection_state connection_state;

  /* Descriptions (RFC 9429 §4.1.12-14). */
  rtc_sdp_session* current_local;
  rtc_sdp_session* pending_local;
  rtc_sdp_session* current_remote;
  rtc_sdp_session* pending_remote;
  rtc_sdp_type current_local_type, pending_local_type;
  rtc_sdp_type current_remote_type, pending_remote_type;
  char* last_offer;  /* [[LastCreatedOffer]] */
  char* last_answer; /* [[LastCreatedAnswer]] */
  uint64_t session_id;
  uint64_t session_version;
  /* The RTCP CNAME of every RTP stream it sends (pc_new_cname). */
  char cname[PC_CNAME_SIZE];

  /* ICE. */
  /* The credentials of the current local description, and those the last
   * created offer/answer carries (new after an ICE restart). */
  char ice_ufrag[RTC_ICE_UFRAG_SIZE];
  char ice_pwd[RTC_ICE_PWD_SIZE];
  char next_ufrag[RTC_ICE_UFRAG_SIZE];
  char next_pwd[RTC_ICE_PWD_SIZE];
  bool transports_created;
  bool ice_restart_pending; /* restartIce() or iceRestart: true */
  /* RFC 9429 §4.1.18 "needs-ice-restart": setConfiguration changed the ICE
   * servers or policy after gathering began; the next offer restarts ICE
   * (without negotiationneeded, unlike restartIce()). */
  bool needs_ice_restart;
  bool is_offerer; /* ICE role: controlling */
  /* At most PC_MAX_TRANSPORTS, grown as needed (one with BUNDLE): a
   * pointer into it is good until the next pc_transport(). */
  pc_transport_state* transports;
  size_t transport_count;
  size_t transport_capacity;
  pc_local_candidate* local_candidates;
  size_t local_candidate_count;
  size_t local_candidate_capacity;
  int can_trickle; /* -1 null */

  /* DTLS role once negotiated: -1 unknown. */
  int dtls_role;

  /* Media sections. */
  rtc_rtp_transceiver** transceivers;
  size_t transceiver_count;
  size_t transceiver_capacity;
  /* The data m= section ("application"), once one exists. */
  char data_mid[PC_MID_SIZE]; /* "" : none */
  char data_offer_mid[PC_MID_SIZE];
  bool data_mid_from_pending;
  bool sctp_from_pending; /* sctp_object made by the pending offer */
  /* The id of the stream of tracks whose description has no a=msid at
   * all ("" until one needs it). */
  char default_stream_id[37];
  bool data_negotiated;
  uint16_t remote_sctp_port;
  uint64_t remote_max_message_size;
  rtc_sctp_state sctp_state;
  rtc_pc_sctp_transport* sctp_object; /* pc.sctp (the pc's reference) */
  uint64_t sctp_max_message_size;
  uint16_t sctp_max_channels;
  uint32_t next_mid;

  rtc_data_channel** channels;
  size_t channel_count;
  size_t channel_capacity;
  /* webrtc-stats RTCPeerConnectionStats. */
  uint32_t data_channels_opened;
  uint32_t data_channels_closed;

  /* Operations chain (webrtc-pc §4.4.1.2). */
  pc_op* ops_head;
  pc_op* ops_tail;
  bool op_running;

  /* negotiationneeded (webrtc-pc §4.7.3). */
  bool negotiation_needed;
  bool negotiation_check_posted;
};

/* peer_connection.c */
/* Any thread: posts to the pc's signaling queue unless the pc was
 * destroyed (then drops the task, RTC_ERR_CLOSED). */
rtc_error pc_bridge_post_signaling(pc_bridge* bridge, rtc_task task);
rtc_error pc_post_to_network(rtc_peer_connection* pc,
                             void (*fn)(pc_network* net, void* arg),
                             void* arg,
                             void (*free_arg)(void* arg));
/* A call of fn on the network thread whose argument, `arg_size` bytes
 * (max_align_t-aligned, uninitialised), lives in the call's own allocation:
 * one allocation and one free per call, for the calls made per message.
 * Fill *arg, then post it with pc_post_network_call (which takes it, also
 * when it fails). NULL without memory. */
void* pc_network_call_new(rtc_peer_connection* pc,
                          void (*fn)(pc_network* net, void* arg),
                          size_t arg_size);
rtc_error pc_post_network_call(rtc_peer_connection* pc, void* arg);
/* free_arg(arg) runs when the call is dropped or done, after fn if it ran:
 * for what *arg owns until fn takes it. */
void pc_network_call_on_drop(void* arg, void (*free_arg)(void* arg));
void pc_update_negotiation_needed(rtc_peer_connection* pc);
void pc_set_signaling_state(rtc_peer_connection* pc, rtc_signaling_state s);
/* The signaling-side state of transport `name`, made if absent; NULL when
 * PC_MAX_TRANSPORTS exist or without memory. */
pc_transport_state* pc_transport(rtc_peer_connection* pc, const char* name);
void pc_recompute_states(rtc_peer_connection* pc);
const rtc_sdp_session* pc_local_description(const rtc_peer_connection* pc);
const rtc_sdp_session* pc_remote_description(const rtc_peer_connection* pc);
rtc_error pc_description_text(const rtc_peer_connection* pc,
                              const rtc_sdp_session* session,
                              bool local,
                              char** out);

/* jsep.c */
rtc_error pc_jsep_create_offer(rtc_peer_connection* pc,
                               const rtc_offer_options* options,
                               char** sdp,
                               rtc_error_info* info);
rtc_error pc_jsep_create_answer(rtc_peer_connection* pc,
                                char** sdp,
                                rtc_error_info* info);
rtc_error pc_jsep_set_description(rtc_peer_connection* pc,
                                  bool local,
                                  rtc_sdp_type type,
                                  const char* sdp,
                                  rtc_error_info* info);
/* The implicit rollback of a local offer that a remote offer starts with
 * (fires signalingstatechange "stable"). */
void pc_jsep_implicit_rollback(rtc_peer_connection* pc);
rtc_error pc_jsep_add_ice_candidate(rtc_peer_connection* pc,
                                    const pc_op* op,
                                    rtc_error_info* info);
/* The transport name a media section of the current local/remote
 * description uses (its BUNDLE tag or itself). */
const char* pc_jsep_transport_for_mid(const rtc_peer_connection* pc,
                                      const char* mid);
/* The m= line index of `mid` in the local description, or -1. */
int pc_jsep_mline_index(const rtc_peer_connection* pc, const char* mid);
bool pc_jsep_negotiation_needed(const rtc_peer_connection* pc);

/* data_channel.c */
rtc_error pc_data_channel_create(rtc_peer_connection* pc,
                                 const char* label,
                                 const rtc_data_channel_init* init,
                                 rtc_data_channel** out,
                                 rtc_error_info* info);
/* The DTLS role is known: give ids to channels waiting for one. */
void pc_data_channels_assign_ids(rtc_peer_connection* pc);
/* SCTP is up (or was negotiated): open channels on the network side. */
void pc_data_channels_open_pending(rtc_peer_connection* pc);
void pc_data_channel_on_open(rtc_peer_connection* pc, uint16_t stream_id);
void pc_data_channel_on_peer_open(rtc_peer_connection* pc,
                                  uint16_t stream_id,
                                  const char* label,
                                  const char* protocol,
                                  const rtc_data_channel_params* params);
void pc_data_channel_on_message(rtc_peer_connection* pc,
                                uint16_t stream_id,
                                bool binary,
                                const uint8_t* data,
                                size_t size);
void pc_data_channel_on_sent(rtc_peer_connection* pc,
                             uint16_t stream_id,
                             uint64_t total_sent);
void pc_data_channel_on_closed(rtc_peer_connection* pc, uint16_t stream_id);
void pc_data_channels_on_sctp_error(rtc_peer_connection* pc,
                                    const rtc_error_info* error);
/* close(): every channel to closed without events; drops the pc's refs. */
void pc_data_channels_close_all(rtc_peer_connection* pc, bool fire_events);

/* transceiver.c */
/* A new RTCP CNAME for a peer connection: RFC 7022 §4.2, a random
 * identifier of at least 96 bits, base64 (NUL-terminated). */
void pc_new_cname(char out[PC_CNAME_SIZE]);
rtc_rtp_transceiver* pc_transceiver_new(rtc_peer_connection* pc,
                                        rtc_media_kind kind,
                                        const rtc_rtp_transceiver_init* init);
rtc_error pc_transceiver_add(rtc_peer_connection* pc, rtc_rtp_transceiver* t);
void pc_transceivers_release(rtc_peer_connection* pc);
/* Writes the local codecs of t (preferences applied) into `media`. */
rtc_error pc_transceiver_write_codecs(rtc_sdp_session* session,
                                      rtc_sdp_media* media,
                                      const rtc_rtp_transceiver* t,
                                      const rtc_sdp_media* remote);

/* The URL of the STUN or TURN server a local candidate came from (NULL
 * for host and prflx ones, or when it cannot be told); for a relayed one,
 * also the protocol that reaches the server (relay_protocol may be
 * NULL). */
const char* pc_candidate_server_url(const rtc_peer_connection* pc,
                                    const rtc_candidate* c,
                                    rtc_ice_relay_protocol* relay_protocol);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // PC_PEER_CONNECTION_INTERNAL_H_
