/*
 * The ICE agent (RFC 8445) of one ICE transport, as webrtc-pc's
 * RTCIceTransport needs it: one component (rtcp-mux and BUNDLE are always
 * on), UDP, full ICE, trickle (RFC 8838), consent freshness (RFC 7675),
 * mDNS-obfuscated host candidates and the RFC 8828 IP-handling modes.
 *
 * What it does:
 *   - gathers host candidates on the interfaces the IP-handling policy
 *     allows (as `<uuid>.local` mDNS names unless obfuscation is off),
 *     server-reflexive candidates from the configured STUN servers and
 *     relayed candidates from the configured TURN servers (RFC 8656, over
 *     UDP, TCP or TLS: one allocation per server, kept for the agent's
 *     life and deallocated when it is destroyed), trickling each one and
 *     then end-of-candidates; under the "relay" transport policy only the
 *     relayed ones; with each host candidate, ICE-TCP ones (RFC 6544): a
 *     passive one (a listener on the same address) and an active one;
 *   - takes remote candidates, UDP and TCP (resolving `.local` names
 *     through mDNS and ignoring any other host name, with no DNS lookup);
 *     TCP pairs run over one RFC 4571-framed connection each (made to a
 *     remote passive candidate, or accepted on the listener and learned
 *     as peer-reflexive from its first check); forms and prunes
 *     pairs (at most RTC_ICE_MAX_PAIRS), runs connectivity checks paced by
 *     Ta with triggered checks, learns peer-reflexive candidates, resolves
 *     role conflicts (487), nominates (regular nomination) when
 *     controlling, and selects a pair;
 *   - keeps consent on the selected pair (a check every 4-6 s; none answered
 *     for 30 s: sending stops, state failed) which also keeps NAT bindings
 *     alive (RFC 8445 §11);
 *   - restarts (new ufrag/pwd) while traffic keeps flowing on the old
 *     selected pair until the new generation selects one;
 *   - demultiplexes (RFC 7983): STUN is ICE's; DTLS and RTP/RTCP from a
 *     validated pair go to the observer; everything else is dropped.
 *
 * Threads: the agent lives on one task queue (the network thread): create,
 * call and destroy it there; every observer callback comes from there, never
 * from inside an API call.
 */
#ifndef P2P_ICE_AGENT_H_
#define P2P_ICE_AGENT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/candidate.h"
#include "p2p/socket_factory.h"
#include "rtc_base/error.h"
#include "rtc_base/socket_address.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SO_RCVBUF of the agent's UDP sockets: the kernel's default (208 KiB,
 * about 90 full-size datagrams with their overhead) overflowed under the
 * bursts of an SCTP window of 1 MiB (pc/sctp_transport.c), and every drop
 * cost a retransmission timeout: 64 KiB bulk between two processes went
 * from 170-180 MB/s to 280-320 with 1 MiB. Memory is charged only while
 * datagrams wait. */
#define RTC_ICE_UDP_RECEIVE_BUFFER (1 << 20)

typedef struct rtc_mdns rtc_mdns;
typedef struct rtc_mdns_group rtc_mdns_group;
typedef struct rtc_ice_agent rtc_ice_agent;

#define RTC_ICE_MAX_PAIRS 100  /* RFC 8445 §6.1.2.5 default */
#define RTC_ICE_UFRAG_SIZE 257 /* up to 256 chars + NUL (RFC 8839) */
#define RTC_ICE_PWD_SIZE 257

typedef enum rtc_ice_role {
  RTC_ICE_ROLE_CONTROLLING = 0,
  RTC_ICE_ROLE_CONTROLLED,
} rtc_ice_role;

/* RTCIceTransportState */
typedef enum rtc_ice_transport_state {
  RTC_ICE_TRANSPORT_NEW = 0,
  RTC_ICE_TRANSPORT_CHECKING,
  RTC_ICE_TRANSPORT_CONNECTED,
  RTC_ICE_TRANSPORT_COMPLETED,
  RTC_ICE_TRANSPORT_DISCONNECTED,
  RTC_ICE_TRANSPORT_FAILED,
  RTC_ICE_TRANSPORT_CLOSED,
} rtc_ice_transport_state;

/* RTCIceGathererState / RTCIceGatheringState */
typedef enum rtc_ice_gathering_state {
  RTC_ICE_GATHERING_NEW = 0,
  RTC_ICE_GATHERING_GATHERING,
  RTC_ICE_GATHERING_COMPLETE,
} rtc_ice_gathering_state;

/* RTCIceTransportPolicy */
typedef enum rtc_ice_transport_policy {
  RTC_ICE_POLICY_ALL = 0,
  RTC_ICE_POLICY_RELAY,
} rtc_ice_transport_policy;

/* RFC 8828 §5.2 modes. */
typedef enum rtc_ip_handling_policy {
  /* Mode 1: every allowed interface. */
  RTC_IP_HANDLING_ALL_INTERFACES = 0,
  /* Mode 2: only the interface of the default route (its host candidate
   * and what STUN reflects from it). */
  RTC_IP_HANDLING_DEFAULT_ROUTE,
  /* Mode 3: the default route, and no private address is ever signaled:
   * the host candidate is used for checks but not announced. */
  RTC_IP_HANDLING_DEFAULT_ROUTE_PUBLIC_ONLY,
  /* Mode 4 (Chrome's disable_non_proxied_udp): no UDP socket at all;
   * only relayed candidates from TURN servers over TCP or TLS. */
  RTC_IP_HANDLING_RELAY_ONLY,
} rtc_ip_handling_policy;

const char* rtc_ice_role_name(rtc_ice_role role);
const char* rtc_ice_transport_state_name(rtc_ice_transport_state state);
const char* rtc_ice_gathering_state_name(rtc_ice_gathering_state state);

/* How a TURN client reaches its server (RFC 8656 §3.1; `turn:` with
 * ?transport=udp or tcp, `turns:`). */
typedef enum rtc_ice_relay_protocol {
  RTC_ICE_RELAY_UDP = 0,
  RTC_ICE_RELAY_TCP,
  RTC_ICE_RELAY_TLS,
} rtc_ice_relay_protocol;

/* "udp", "tcp", "tls" (RTCIceCandidate.relayProtocol). */
const char* rtc_ice_relay_protocol_name(rtc_ice_relay_protocol protocol);

/* The foundation of the relayed candidate with address `relayed` that an
 * allocation over `protocol` on the TURN server at `server` gives (RFC 8445
 * §5.1.1.3: the protocol to the server counts too). Stats use it to tell
 * which server a relayed candidate came from. */
void rtc_ice_relay_foundation(const rtc_socket_address* relayed,
                              const rtc_socket_address* server,
                              rtc_ice_relay_protocol protocol,
                              char out[RTC_CANDIDATE_MAX_FOUNDATION + 1]);

#define RTC_ICE_MAX_STUN_SERVERS 8
#define RTC_ICE_MAX_TURN_SERVERS 8
/* A server URL as configured (RTCIceServer.urls entries), NUL included. */
#define RTC_ICE_URL_SIZE 300
#define RTC_ICE_TURN_USERNAME_SIZE 514 /* RFC 8489 §14.3: < 514 bytes */
#define RTC_ICE_TURN_PASSWORD_SIZE 257
#define RTC_ICE_SERVER_NAME_SIZE 254 /* a DNS name or an IP literal */

/* A STUN server named in its URL: looked up (through the socket factory)
 * when a gathering starts. */
typedef struct rtc_ice_server_name {
  char host[RTC_ICE_SERVER_NAME_SIZE];
  uint16_t port;
} rtc_ice_server_name;

/* One TURN server: a plain value (copied wherever it goes). */
typedef struct rtc_ice_turn_server {
  rtc_socket_address address; /* IP and port */
  rtc_ice_relay_protocol protocol;
  char username[RTC_ICE_TURN_USERNAME_SIZE];
  char password[RTC_ICE_TURN_PASSWORD_SIZE];
  /* TLS: the name the server's certificate must carry (the URL's host);
   * "": the address. */
  char server_name[RTC_ICE_SERVER_NAME_SIZE];
  /* For icecandidateerror and stats; "": made from the address. */
  char url[RTC_ICE_URL_SIZE];
} rtc_ice_turn_server;

typedef struct rtc_ice_agent_config {
  rtc_ice_role role;
  rtc_ice_transport_policy transport_policy;
  rtc_ip_handling_policy ip_handling;
  /* Host candidates as mDNS names (default true). */
  bool obfuscate_host_addresses;
  /* ICE-TCP (RFC 6544): with every host candidate, a TCP passive one (a
   * listener on its address) and a TCP active one, both below every UDP
   * candidate in priority; remote TCP candidates are paired (active with
   * passive). Default true, as Chromium and Firefox gather them: they
   * connect where only TCP gets through a firewall, and cost nothing where
   * UDP works (UDP pairs win). A factory without TCP gives none. */
  bool tcp_candidates;
  /* Which interfaces (tests include loopback). */
  rtc_interface_filter interfaces;
  /* The sockets' options. rtc_ice_agent_config_init asks for a receive
   * buffer of RTC_ICE_UDP_RECEIVE_BUFFER (the kernel caps it at
   * net.core.rmem_max). */
  rtc_udp_options udp;
  /* STUN servers, by address (transfer none: copied; at most
   * RTC_ICE_MAX_STUN_SERVERS). */
  const rtc_socket_address* stun_servers;
  size_t stun_server_count;
  /* STUN servers by name (transfer none: copied; at most
   * RTC_ICE_MAX_STUN_SERVERS). */
  const rtc_ice_server_name* stun_server_names;
  size_t stun_server_name_count;
  /* TURN servers (transfer none: copied; at most
   * RTC_ICE_MAX_TURN_SERVERS). */
  const rtc_ice_turn_server* turn_servers;
  size_t turn_server_count;
  /* The CA certificates (a PEM file) TURN servers over TLS must chain to;
   * NULL: the system's bundle. (transfer none: copied) */
  const char* tls_ca_file;
  /* Shared mDNS responder/resolver on the same queue, or NULL: the agent
   * makes its own when it needs one. (transfer none) */
  rtc_mdns* mdns;
  /* When the agent makes its own mDNS service: the limit it shares with
   * every other one of the process (IP-08), or NULL. (the agent takes a
   * reference) */
  rtc_mdns_group* mdns_group;
  /* Timing; 0 means the default. */
  int64_t ta_us;               /* check pacing, default 50 ms, min 5 ms */
  int64_t consent_interval_us; /* default 5 s (sent at 0.8x..1.2x) */
  int64_t consent_timeout_us;  /* default 30 s */
  int64_t pac_timeout_us;      /* RFC 8863 PAC, default 39.5 s */
  int64_t nomination_delay_us; /* wait for better pairs, default 250 ms */
  /* Seed for the jitter of consent checks (0: from the CSPRNG). Tests set
   * it for repeatable runs. Secrets never come from it. */
  uint64_t jitter_seed;
  /* Local credentials (NULL: random ones, RFC 8445 §5.3 lengths). */
  const char* ufrag;
  const char* pwd;
} rtc_ice_agent_config;

void rtc_ice_agent_config_init(rtc_ice_agent_config* config);

/* webrtc-pc RTCPeerConnectionIceErrorEvent: a STUN or TURN server that
 * did not answer or refused. */
typedef struct rtc_ice_candidate_error {
  rtc_socket_address server; /* the STUN or TURN server */
  /* "stun:192.0.2.1:3478", or the TURN server's URL as configured. */
  char url[RTC_ICE_URL_SIZE];
  /* A STUN error code (300-699, e.g. 401 for wrong TURN credentials), or
   * 701: no response, or the server could not be reached. */
  int error_code;
  char error_text[128];
  /* The local base (absent when host addresses are obfuscated). */
  rtc_socket_address local;
} rtc_ice_candidate_error;

typedef struct rtc_ice_pair_info {
  rtc_candidate local;  /* as signaled (mDNS name when obfuscated) */
  rtc_candidate remote; /* as signaled; prflx ones have no address here */
  uint64_t priority;
  /* RTCStatsIceCandidatePairState: "frozen", "waiting", "in-progress",
   * "succeeded", "failed". */
  const char* state;
  bool nominated;
  int64_t current_rtt_us; /* -1 when unknown */
  int64_t total_rtt_us;   /* sum over the responses counted */
  uint64_t rtt_measurements;
  uint64_t requests_sent;
  uint64_t responses_received;
  uint64_t requests_received;
  uint64_t responses_sent;
  uint64_t consent_requests_sent;
  uint64_t packets_sent;
  uint64_t packets_received;
  uint64_t bytes_sent;
  uint64_t bytes_received;
} rtc_ice_pair_info;

typedef struct rtc_ice_agent_observer {
  void (*on_gathering_state)(void* user, rtc_ice_gathering_state state);
  /* A new local candidate (trickle), or NULL for end-of-candidates. */
  void (*on_candidate)(void* user, const rtc_candidate* candidate);
  void (*on_candidate_error)(void* user, const rtc_ice_candidate_error* error);
  void (*on_state)(void* user, rtc_ice_transport_state state);
  void (*on_selected_pair)(void* user, const rtc_ice_pair_info* pair);
  /* A non-STUN packet (DTLS, RTP/RTCP) from a validated pair. */
  void (*on_packet)(void* user,
                    const uint8_t* data,
                    size_t size,
                    int64_t arrival_us);
  /* Sending may work again after RTC_ERR_WOULD_BLOCK. */
  void (*on_writable)(void* user);
} rtc_ice_agent_observer;

/* Creates an idle agent (state new, gathering new). Nothing is sent until
 * rtc_ice_agent_gather() and remote information arrive.
 * (factory: transfer none, must outlive the agent; observer: transfer none,
 * user passed back)
 * Errors: RTC_ERR_NO_MEMORY, RTC_ERR_INVALID_ARGUMENT (bad credentials:
 * ufrag 4..256, pwd 22..256 ice-chars). */
rtc_error rtc_ice_agent_create(rtc_socket_factory* factory,
                               rtc_task_queue* queue,
                               const rtc_ice_agent_config* config,
                               const rtc_ice_agent_observer* observer,
                               void* user,
                               rtc_ice_agent** out);
/* Closes sockets, cancels every timer and query, unregisters mDNS names;
 * no callback after it returns. NULL is ignored. */
void rtc_ice_agent_destroy(rtc_ice_agent* agent);

/* The current generation's local credentials. */
void rtc_ice_agent_local_credentials(const rtc_ice_agent* agent,
                                     char ufrag[RTC_ICE_UFRAG_SIZE],
                                     char pwd[RTC_ICE_PWD_SIZE]);

/* Starts gathering (once per generation). Errors: RTC_ERR_INVALID_STATE
 * (already gathering or gathered in this generation). */
rtc_error rtc_ice_agent_gather(rtc_ice_agent* agent);

/* The peer's credentials for the current generation. Setting the same ones
 * again is a no-op. Errors: RTC_ERR_INVALID_ARGUMENT (lengths or
 * characters, RFC 8839 §5.4), RTC_ERR_INVALID_STATE (different ones are
 * already set: a remote restart needs rtc_ice_agent_restart first). */
rtc_error rtc_ice_agent_set_remote_credentials(rtc_ice_agent* agent,
                                               const char* ufrag,
                                               const char* pwd);

/* A remote candidate. Candidates of other components, of unsupported
 * protocols, with a host name other than an mDNS `.local` name, or of the
 * previous generation are ignored (RTC_OK: webrtc-pc resolves
 * addIceCandidate for them). One with a ufrag other than the current
 * generation's remote one (the peer restarted before us) is held (at most
 * 32) for the generation that learns that ufrag by
 * rtc_ice_agent_set_remote_credentials after rtc_ice_agent_restart.
 * Errors: RTC_ERR_NO_MEMORY. */
rtc_error rtc_ice_agent_add_remote_candidate(rtc_ice_agent* agent,
                                             const rtc_candidate* candidate);
/* The peer has no more candidates in this generation. */
void rtc_ice_agent_end_of_remote_candidates(rtc_ice_agent* agent);

/* Controlling or controlled, before checks begin (a role conflict may flip
 * it later). */
void rtc_ice_agent_set_role(rtc_ice_agent* agent, rtc_ice_role role);
rtc_ice_role rtc_ice_agent_role(const rtc_ice_agent* agent);

/* Replaces the ICE transport policy and the STUN and TURN servers (copied,
 * at most 8 of each) for the next gathering phase (webrtc-pc "set a
 * configuration": "no action will be taken until the next gathering
 * phase"): the candidates gathered so far stay. Agent's queue. Errors:
 * RTC_ERR_INVALID_ARGUMENT (more than 8 servers, or a count without
 * servers), RTC_ERR_NO_MEMORY (the configuration is then unchanged). */
rtc_error rtc_ice_agent_set_gathering_config(
    rtc_ice_agent* agent,
    rtc_ice_transport_policy policy,
    const rtc_socket_address* stun_servers,
    size_t stun_server_count,
    const rtc_ice_server_name* stun_server_names,
    size_t stun_server_name_count,
    const rtc_ice_turn_server* turn_servers,
    size_t turn_server_count);

/* ICE restart: new local credentials (`ufrag` and `pwd`, or random ones
 * for NULL) and a new gathering (call rtc_ice_agent_gather again; the
 * gathering state stays what it was until then), new
 * remote credentials and candidates expected; the selected pair keeps
 * carrying data (with the old credentials for consent) until the new
 * generation selects a pair. Errors: RTC_ERR_NO_MEMORY,
 * RTC_ERR_INVALID_ARGUMENT (credentials as in the config),
 * RTC_ERR_INVALID_STATE (closed). */
rtc_error rtc_ice_agent_restart(rtc_ice_agent* agent,
                                const char* ufrag,
                                const char* pwd);

/* Sends one packet on the selected pair. Errors: RTC_ERR_INVALID_STATE (no
 * selected pair, or consent lost), RTC_ERR_WOULD_BLOCK (on_writable
 * follows), RTC_ERR_INVALID_ARGUMENT (too large). */
rtc_error rtc_ice_agent_send(rtc_ice_agent* agent,
                             const uint8_t* data,
                             size_t size);

rtc_ice_transport_state rtc_ice_agent_state(const rtc_ice_agent* agent);
rtc_ice_gathering_state rtc_ice_agent_gathering_state(
    const rtc_ice_agent* agent);
/* Errors: RTC_ERR_NOT_FOUND (no selected pair). */
rtc_error rtc_ice_agent_selected_pair(const rtc_ice_agent* agent,
                                      rtc_ice_pair_info* out);
/* Every pair of the current generation (at most capacity); returns how
 * many exist. */
size_t rtc_ice_agent_pairs(const rtc_ice_agent* agent,
                           rtc_ice_pair_info* out,
                           size_t capacity);
/* Local and remote candidates of the current generation, as signaled. */
size_t rtc_ice_agent_local_candidates(const rtc_ice_agent* agent,
                                      rtc_candidate* out,
                                      size_t capacity);
size_t rtc_ice_agent_remote_candidates(const rtc_ice_agent* agent,
                                       rtc_candidate* out,
                                       size_t capacity);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_ICE_AGENT_H_
