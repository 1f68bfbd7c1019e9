/*
 * The network-thread half of a peer connection: its transports (one ICE
 * agent and one DTLS transport per transport name: the BUNDLE group's tag
 * mid, or an unbundled section's own mid) and the SCTP transport of the
 * data channels. The signaling half (peer_connection.c) drives it with
 * tasks posted to the network queue and hears from it through `events`,
 * which are called on the network queue (the peer connection posts them on
 * to the signaling queue).
 *
 * Wiring per transport: ICE's non-STUN packets go to DTLS; DTLS's
 * application data goes to SCTP (when this transport carries the data
 * section); DTLS starts when ICE first selects a pair and both the DTLS role
 * and the peer's fingerprints are known; SCTP starts when DTLS connects and
 * the peer's sctp-port is known.
 *
 * Threads: everything here runs on the network queue.
 */
#ifndef PC_PC_NETWORK_H_
#define PC_PC_NETWORK_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/candidate.h"
#include "p2p/certificate.h"
#include "p2p/dtls_transport.h"
#include "p2p/ice_agent.h"
#include "p2p/socket_factory.h"
#include "pc/sctp_transport.h"
#include "rtc_base/error.h"
#include "rtc_base/refcount.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PC_TRANSPORT_NAME_SIZE 64

typedef struct pc_network pc_network;

typedef struct pc_network_events {
  void (*on_candidate)(void* user,
                       const char* transport,
                       const rtc_candidate* candidate); /* NULL: end */
  void (*on_candidate_error)(void* user,
                             const char* transport,
                             const rtc_ice_candidate_error* error);
  void (*on_gathering_state)(void* user,
                             const char* transport,
                             rtc_ice_gathering_state state);
  void (*on_ice_state)(void* user,
                       const char* transport,
                       rtc_ice_transport_state state);
  /* ICE selected a pair (again after a restart). */
  void (*on_selected_pair)(void* user,
                           const char* transport,
                           const rtc_ice_pair_info* pair);
  /* The peer's certificate chain (DER), just before on_dtls_state reports
   * connected. The buffers are valid during the call. */
  void (*on_remote_certificates)(void* user,
                                 const char* transport,
                                 const uint8_t* const* der,
                                 const size_t* der_len,
                                 size_t count);
  void (*on_dtls_state)(void* user,
                        const char* transport,
                        rtc_dtls_state state,
                        const rtc_error_info* error);
  void (*on_sctp_state)(void* user,
                        rtc_sctp_state state,
                        uint64_t max_message_size,
                        uint16_t max_channels);
  void (*on_channel_opened_by_peer)(void* user,
                                    uint16_t stream_id,
                                    const rtc_data_channel_params* params);
  void (*on_channel_open)(void* user, uint16_t stream_id);
  /* Takes the message (rtc_sctp_transport_observer.on_message). */
  void (*on_message)(void* user,
                     uint16_t stream_id,
                     bool binary,
                     rtc_sctp_message* message);
  /* Total bytes of this channel that SCTP has taken since it opened. */
  void (*on_sent)(void* user, uint16_t stream_id, uint64_t total_sent);
  void (*on_channel_closed)(void* user, uint16_t stream_id);
  /* The association ended (the peer's ABORT or SHUTDOWN, or the DTLS
   * transport under it went "closed" or "failed", which also ends it for
   * good on this transport): on_sctp_state(closed) comes first, so that the
   * channels' error and close handlers read the transport closed
   * (webrtc-pc §6.1.2), then this. */
  void (*on_sctp_error)(void* user, const rtc_error_info* error);
} pc_network_events;

/* The STUN and TURN servers of an RTCConfiguration, as the ICE agents take
 * them. 13 KB, never changed once filled, so shared by reference: the
 * signaling half of a peer connection and its network half hold the same
 * one, and a configuration without servers holds none (NULL) at all.
 * Threads: any (the count is atomic). */
typedef struct pc_ice_servers {
  rtc_refcount refs;
  rtc_socket_address stun[RTC_ICE_MAX_STUN_SERVERS];
  size_t stun_count;
  rtc_ice_server_name stun_names[RTC_ICE_MAX_STUN_SERVERS];
  size_t stun_name_count;
  rtc_ice_turn_server turn[RTC_ICE_MAX_TURN_SERVERS];
  size_t turn_count;
} pc_ice_servers;

/* An empty list with one reference; NULL without memory. */
pc_ice_servers* pc_ice_servers_new(void);
/* Both take NULL; ref returns its argument. */
pc_ice_servers* pc_ice_servers_ref(pc_ice_servers* servers);
void pc_ice_servers_unref(pc_ice_servers* servers);
/* NULL is the empty list. */
bool pc_ice_servers_equal(const pc_ice_servers* a, const pc_ice_servers* b);

typedef struct pc_network_config {
  rtc_socket_factory* factory;
  rtc_certificate* certificate; /* referenced */
  /* ICE settings shared by every transport (role, credentials and the
   * jitter seed are per transport). */
  rtc_ice_agent_config ice;
  pc_ice_servers* servers; /* (transfer none: referenced) NULL: none */
} pc_network_config;

rtc_error pc_network_create(rtc_task_queue* queue,
                            const pc_network_config* config,
                            const pc_network_events* events,
                            void* user,
                            pc_network** out);
void pc_network_destroy(pc_network* net);

/* Makes (if absent) the transport `name` with local ICE credentials and
 * role, and starts gathering. */
rtc_error pc_network_ensure_transport(pc_network* net,
                                      const char* name,
                                      const char* ufrag,
                                      const char* pwd,
                                      rtc_ice_role role);
/* ICE restart of `name` with new local credentials; gathering again. */
rtc_error pc_network_restart_transport(pc_network* net,
                                       const char* name,
                                       const char* ufrag,
                                       const char* pwd);
/* The peer's side of `name`: ICE credentials, fingerprints and our DTLS
 * role. ice_lite: the peer is ICE-lite (we must control). */
rtc_error pc_network_set_remote(pc_network* net,
                                const char* name,
                                const char* ufrag,
                                const char* pwd,
                                const rtc_fingerprint* fingerprints,
                                size_t fingerprint_count,
                                rtc_dtls_role role,
                                rtc_ice_role ice_role);
rtc_error pc_network_add_remote_candidate(pc_network* net,
                                          const char* name,
                                          const rtc_candidate* candidate);
void pc_network_end_of_candidates(pc_network* net, const char* name);
/* Drops transports whose names are not in `keep`. */
void pc_network_retain(pc_network* net,
                       const char* const* keep,
                       size_t keep_count);

/* The data channels ride transport `name`; the SCTP association starts
 * when its DTLS is connected. */
rtc_error pc_network_set_sctp(pc_network* net,
                              const char* name,
                              uint16_t local_port,
                              uint16_t remote_port,
                              uint64_t remote_max_message_size);
rtc_error pc_network_open_channel(pc_network* net,
                                  uint16_t stream_id,
                                  const rtc_data_channel_params* params);
/* Network thread. Queues a message whose bytes were written in place
 * (rtc_sctp_message_new) on the channel (transfer full: taken whatever it
 * returns); the errors of rtc_sctp_transport_send_message, and
 * RTC_ERR_INVALID_STATE without an SCTP transport. The bytes it hands to
 * SCTP are reported (on_sent) by pc_network_uncork when corked, from a
 * task otherwise: a peer in this process may have the message first. */
rtc_error pc_network_send_message(pc_network* net,
                                  uint16_t stream_id,
                                  bool binary,
                                  rtc_sctp_message* message);
rtc_error pc_network_close_channel(pc_network* net, uint16_t stream_id);
/* Network thread. Between pc_network_cork and pc_network_uncork, messages
 * sent are handed to SCTP together (rtc_sctp_transport_cork): for a run of
 * calls made in one task. Uncork reports the bytes they handed to SCTP
 * (on_sent) before it returns. */
void pc_network_cork(pc_network* net);
void pc_network_uncork(pc_network* net);

/* A new ICE transport policy and STUN and TURN servers (transfer none:
 * referenced; NULL: none) for the
 * next gathering phase of every transport, existing or future. */
void pc_network_set_gathering_config(pc_network* net,
                                     rtc_ice_transport_policy policy,
                                     pc_ice_servers* servers);

/* Stops every transport (close_notify, SCTP abort) without events. */
void pc_network_close(pc_network* net);

/* Stats snapshot of transport `name`. */
typedef struct pc_transport_stats {
  rtc_ice_transport_state ice_state;
  rtc_ice_gathering_state gathering_state;
  rtc_dtls_state dtls_state;
  rtc_dtls_role dtls_role;
  rtc_dtls_info dtls;
  bool has_selected_pair;
  rtc_ice_pair_info selected;
  /* How many times ICE selected a pair (the agent reports each change of
   * its selected pair once). */
  uint64_t selected_pair_changes;
  char local_fingerprint[RTC_FINGERPRINT_TEXT_SIZE];
  char remote_fingerprint[RTC_FINGERPRINT_TEXT_SIZE];
} pc_transport_stats;

/* Transport names, at most capacity; returns how many exist. */
size_t pc_network_transports(const pc_network* net,
                             char (*names)[PC_TRANSPORT_NAME_SIZE],
                             size_t capacity);
rtc_error pc_network_transport_stats(const pc_network* net,
                                     const char* name,
                                     pc_transport_stats* out);
/* Every candidate pair of transport `name` (at most capacity); returns how
 * many exist. */
size_t pc_network_pairs(const pc_network* net,
                        const char* name,
                        rtc_ice_pair_info* out,
                        size_t capacity);
/* The remote candidates of transport `name`'s current ICE generation, as
 * the API may show them (at most capacity); returns how many exist. None
 * after close. */
size_t pc_network_remote_candidates(const pc_network* net,
                                    const char* name,
                                    rtc_candidate* out,
                                    size_t capacity);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // PC_PC_NETWORK_H_
