/*
 * Internals of the ICE agent, shared by ice_agent.c (lifecycle, API,
 * events, demultiplexing, transactions, states), ice_gather.c (local
 * candidates) and ice_checks.c (remote candidates, check lists, checks,
 * nomination, consent). Not an API.
 */
#ifndef P2P_ICE_AGENT_INTERNAL_H_
#define P2P_ICE_AGENT_INTERNAL_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/candidate.h"
#include "p2p/ice_agent.h"
#include "p2p/mdns.h"
#include "p2p/stun.h"
#include "rtc_base/random.h"
#include "rtc_base/safety_flag.h"
#include "rtc_base/timer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ICE_MAX_LOCAL 64
#define ICE_MAX_REMOTE 128
#define ICE_MAX_HELD 32
#define ICE_MAX_EARLY_REQUESTS 16
#define ICE_MAX_RELAYS 16
#define ICE_MAX_HOST_BASES 16
#define ICE_MAX_BASES (ICE_MAX_HOST_BASES + ICE_MAX_RELAYS)
/* ICE-TCP (RFC 6544): TCP connections an agent holds at once (made and
 * accepted), and of them accepted ones that have not yet carried an
 * authenticated check: a peer that connects and stays silent or sends
 * garbage holds at most this many sockets, each for at most
 * ICE_TCP_IDLE_TIMEOUT_US. */
#define ICE_TCP_MAX_CONNECTIONS 16
#define ICE_TCP_MAX_UNCHECKED 8
#define ICE_TCP_IDLE_TIMEOUT_US (10 * 1000 * 1000)
/* The largest request we build: header 20, USERNAME of two 256-char ufrags
 * and ':' (4 + 516), PRIORITY 8, ICE-CONTROLLING 12, USE-CANDIDATE 4,
 * MESSAGE-INTEGRITY 24, FINGERPRINT 8 = 596 bytes (ice_checks.c asserts
 * it). */
#define ICE_STUN_BUFFER 600

/* RFC 8489 §6.2.1 / RFC 8445 §14.3 */
#define ICE_DEFAULT_TA_US (50 * 1000)
#define ICE_MIN_TA_US (5 * 1000)
#define ICE_MIN_RTO_US (500 * 1000)
#define ICE_CHECK_TRANSMISSIONS 7 /* Rc */
#define ICE_LAST_WAIT_FACTOR 16   /* Rm */
/* Server-reflexive gathering gives up sooner than checks (as browsers do:
 * a dead STUN server must not hold gathering for 39.5 s). */
#define ICE_SRFLX_TRANSMISSIONS 5
#define ICE_SRFLX_TIMEOUT_US (9500 * 1000)
/* Consent (RFC 7675): a check unanswered after this (or 4 RTTs) is a miss;
 * this many misses in a row mean disconnected. */
#define ICE_CONSENT_RESPONSE_TIMEOUT_US (1000 * 1000)
#define ICE_CONSENT_MISSES_DISCONNECTED 3

/* The first size of a generation's candidate and pair arrays: an idle
 * bundled connection has about three candidates of each side and two
 * pairs. */
#define ICE_ARRAY_FIRST 4

typedef struct ice_base ice_base;
typedef struct ice_local ice_local;
typedef struct ice_remote ice_remote;
typedef struct ice_pair ice_pair;
typedef struct ice_generation ice_generation;
typedef struct ice_transaction ice_transaction;
typedef struct ice_relay ice_relay;
typedef struct ice_tcp_conn ice_tcp_conn;

/* A local socket, the base of host, srflx and prflx candidates; or a TURN
 * allocation, the base of a relayed candidate (RFC 8445 §5.1.1.2: "the
 * base of a relayed candidate is that candidate itself"); or one ICE-TCP
 * connection (RFC 6544), the transport of one pair: its local candidate is
 * the active or passive TCP candidate of the host base whose address it
 * uses. Connection bases live outside agent->bases (ice_tcp.c). Each one
 * is an allocation of its own: pairs, candidates, relays and transactions
 * point at it, so it never moves. */
struct ice_base {
  rtc_ice_agent* agent;
  rtc_packet_socket* socket; /* NULL for a relay and a TCP connection */
  ice_relay* relay;          /* the allocation, or NULL */
  ice_tcp_conn* tcp;         /* the TCP connection, or NULL */
  /* A UDP host base: its TCP listener (the passive candidate's port). */
  rtc_stream_listener* tcp_listener;
  bool tcp_unavailable; /* the factory has no TCP: no TCP candidates */
  /* UDP TURN clients whose server talks to this socket. */
  size_t udp_relay_count;
  rtc_socket_address address; /* bound IP and port; relayed address */
  rtc_network_interface iface;
  uint32_t local_preference;
  char mdns_name[RTC_MDNS_NAME_SIZE]; /* "" when not obfuscated */
  bool mdns_registered;
  /* Mode 3 keeps private host candidates unannounced. */
  bool announce_host;
};

struct ice_local {
  rtc_candidate c;            /* as signaled */
  rtc_socket_address address; /* the real transport address */
  ice_base* base;
  rtc_socket_address server; /* srflx: the STUN server */
};

struct ice_remote {
  rtc_ice_agent* agent;
  ice_generation* gen;
  rtc_candidate c;            /* as signaled (prflx: learned) */
  rtc_socket_address address; /* resolved transport address */
  bool resolved;
  rtc_mdns_query* query; /* pending mDNS resolution */
};

typedef enum ice_pair_state {
  ICE_PAIR_FROZEN = 0,
  ICE_PAIR_WAITING,
  ICE_PAIR_IN_PROGRESS,
  ICE_PAIR_SUCCEEDED,
  ICE_PAIR_FAILED,
} ice_pair_state;

/* The counters of rtc_ice_pair_info, which ice_pair_info() completes with
 * the candidates: a pair holding a whole rtc_ice_pair_info carried two
 * candidates it never read (2.8 KB of its 3 KB). */
typedef struct ice_pair_counters {
  int64_t total_rtt_us;
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
} ice_pair_counters;

struct ice_pair {
  ice_generation* gen;
  ice_base* base;
  ice_local* local; /* the host candidate of the base */
  ice_remote* remote;
  uint64_t priority;
  ice_pair_state state;
  bool valid;     /* succeeded: usable for data (RFC 8445 §7.2.5.3.2) */
  bool nominated; /* RFC 8445 §8 */
  /* Controlling: the next check carries USE-CANDIDATE. */
  bool nominating;
  /* Controlled: USE-CANDIDATE arrived before the pair succeeded. */
  bool nominate_on_success;
  bool triggered;         /* in the triggered-check queue */
  ice_transaction* check; /* in flight, or NULL */
  /* The priority of the local candidate the check found (RFC 8445
   * §7.2.5.3.2: host, srflx or prflx), and the valid pair's priority. */
  uint32_t valid_local_priority;
  uint64_t valid_priority;
  rtc_socket_address mapped; /* what the peer saw (XOR-MAPPED-ADDRESS) */
  int64_t rtt_us;            /* -1 unknown */
  int64_t last_received_us;
  ice_pair_counters stats;
};

typedef struct ice_early_request {
  ice_base* base;
  rtc_socket_address source;
  uint32_t priority;
  bool use_candidate;
  char remote_ufrag[RTC_ICE_UFRAG_SIZE];
} ice_early_request;

/* One set of credentials with its candidates and check list (ICE restart
 * makes a new one). */
struct ice_generation {
  uint32_t id;
  char local_ufrag[RTC_ICE_UFRAG_SIZE];
  char local_pwd[RTC_ICE_PWD_SIZE];
  char remote_ufrag[RTC_ICE_UFRAG_SIZE];
  char remote_pwd[RTC_ICE_PWD_SIZE];
  bool has_remote_credentials;
  bool gather_started;
  bool gather_done;
  bool remote_end_of_candidates;
  /* The arrays grow as candidates and pairs come (rtc_grow_array, from
   * ICE_ARRAY_FIRST), up to ICE_MAX_LOCAL, ICE_MAX_REMOTE and
   * RTC_ICE_MAX_PAIRS: room for the limits was 3.2 KB a generation, where an
   * idle one has a few of each. */
  ice_local** locals;
  size_t local_count;
  size_t local_capacity;
  ice_remote** remotes;
  size_t remote_count;
  size_t remote_capacity;
  ice_pair** pairs;
  size_t pair_count;
  size_t pair_capacity;
  /* FIFO of pairs of `pairs`, each at most once: ice_add_pair keeps room
   * for every pair, so queuing one never allocates. */
  ice_pair** triggered;
  size_t triggered_count;
  size_t triggered_capacity;
  ice_pair* selected;
  bool nominated; /* controlling: a nomination is under way or done */
  bool checks_started;
  bool pac_expired;
  int64_t pac_deadline_us;
  /* Gathering still under way: srflx transactions and allocations. */
  size_t pending_srflx;
  /* [ICE_MAX_EARLY_REQUESTS], allocated by the first (rare: a check that
   * came before the peer's description) and freed once they are
   * processed: 4.9 KB that most generations never use. */
  ice_early_request* early;
  size_t early_count;
};

typedef enum ice_transaction_kind {
  ICE_TX_CHECK,
  ICE_TX_CONSENT,
  ICE_TX_SRFLX,
} ice_transaction_kind;

struct ice_transaction {
  ice_transaction* next;
  ice_transaction_kind kind;
  uint8_t id[RTC_STUN_TRANSACTION_ID_SIZE];
  ice_base* base;
  rtc_socket_address destination;
  uint8_t message[ICE_STUN_BUFFER];
  size_t length;
  int transmissions;     /* sent so far */
  int max_transmissions; /* Rc */
  int64_t rto_us;
  int64_t next_send_us; /* INT64_MAX: no more sends */
  int64_t timeout_us;   /* give up */
  int64_t first_sent_us;
  int64_t last_sent_us;
  /* A cancelled check waits for a response but is not retransmitted and
   * its timeout is not a failure (RFC 8445 §7.2.5.4). */
  bool cancelled;
  ice_pair* pair;      /* CHECK, CONSENT */
  bool use_candidate;  /* CHECK */
  rtc_ice_role role;   /* the role the request claimed */
  ice_generation* gen; /* SRFLX: whose candidates it gathers */
};

typedef enum ice_event_kind {
  ICE_EVENT_GATHERING_STATE,
  ICE_EVENT_CANDIDATE,
  ICE_EVENT_END_OF_CANDIDATES,
  ICE_EVENT_CANDIDATE_ERROR,
  ICE_EVENT_STATE,
  ICE_EVENT_SELECTED_PAIR,
  ICE_EVENT_WRITABLE,
} ice_event_kind;

typedef struct ice_event {
  ice_event_kind kind;
  union {
    rtc_ice_gathering_state gathering_state;
    rtc_ice_transport_state state;
    rtc_candidate candidate;
    rtc_ice_candidate_error error;
    rtc_ice_pair_info pair;
  } u;
} ice_event;

struct rtc_ice_agent {
  rtc_socket_factory* factory;
  rtc_task_queue* queue;
  rtc_ice_agent_config config;
  rtc_socket_address stun_servers[RTC_ICE_MAX_STUN_SERVERS];
  size_t stun_server_count;
  /* [stun_name_count], NULL when none (the usual case: names are 2 KB
   * that most agents would carry for nothing). */
  rtc_ice_server_name* stun_names;
  size_t stun_name_count;
  struct ice_stun_lookup* stun_lookups; /* running, for any generation */
  rtc_ice_turn_server* turn_servers;    /* [turn_server_count] */
  size_t turn_server_count;
  char* tls_ca_file; /* or NULL */
  /* One allocation per TURN server (kept across generations). */
  ice_relay* relays[ICE_MAX_RELAYS];
  size_t relay_count;
  const rtc_ice_agent_observer* observer;
  void* user;

  rtc_ice_role role;
  uint64_t tie_breaker;
  rtc_prng jitter;

  /* Each allocated when made (idle agents have a few of the 32), freed by
   * ice_bases_destroy. */
  ice_base* bases[ICE_MAX_BASES];
  size_t base_count;
  bool bases_created;

  ice_generation* current;
  ice_generation* previous; /* during a restart: holds the selected pair */
  uint32_t next_generation_id;
  ice_pair* selected; /* the pair carrying data (current or previous gen) */
  /* Candidates the peer trickled for a generation of its own that ours
   * has not reached yet (a ufrag other than the current generation's
   * remote one: the peer restarted first, RFC 8445 §9). The generation
   * that learns their ufrag takes them (set_remote_credentials). */
  rtc_candidate* held[ICE_MAX_HELD];
  size_t held_count;

  ice_transaction* transactions;

  rtc_timer pacing_timer;
  rtc_timer transaction_timer;
  rtc_timer consent_timer;
  rtc_timer nomination_timer;
  rtc_timer pac_timer;
  int64_t last_check_sent_us;

  /* ICE-TCP connections (ice_tcp.c) and the timer that closes idle and
   * unused ones and frees closed ones. */
  ice_tcp_conn* tcp_conns[ICE_TCP_MAX_CONNECTIONS];
  size_t tcp_conn_count;
  rtc_timer tcp_timer;

  /* Consent of the selected pair (RFC 7675). */
  int64_t consent_ok_us;
  int consent_misses;
  bool consent_lost;
  ice_transaction* consent_check;

  rtc_ice_transport_state state;
  rtc_ice_gathering_state gathering_state;
  bool closed;

  rtc_mdns* mdns;
  bool owns_mdns;
  bool mdns_failed;

  ice_event* events;
  size_t event_count;
  size_t event_capacity;
  rtc_safety_flag* flag;
  bool flush_posted;
  /* Set while events are delivered: destroy() marks it. */
  bool* destroyed;
};

/* ice_agent.c */
extern const rtc_packet_socket_observer kIceSocketObserver;
void ice_emit(rtc_ice_agent* agent, const ice_event* event);
void ice_emit_state_changes(rtc_ice_agent* agent);
/* Delivers queued events; false when the agent was destroyed meanwhile. */
bool ice_flush_events(rtc_ice_agent* agent);
/* Posts a flush (events raised by API calls). */
void ice_post_flush(rtc_ice_agent* agent);
ice_transaction* ice_transaction_new(rtc_ice_agent* agent,
                                     ice_transaction_kind kind,
                                     ice_base* base,
                                     const rtc_socket_address* destination);
/* Builds the request into tx->message: type, id, then `add` fills
 * attributes. Sends it and arms retransmissions. */
rtc_error ice_transaction_start(rtc_ice_agent* agent,
                                ice_transaction* tx,
                                int max_transmissions,
                                int64_t rto_us,
                                int64_t timeout_us);
void ice_transaction_free(rtc_ice_agent* agent, ice_transaction* tx);
ice_transaction* ice_transaction_find(rtc_ice_agent* agent, const uint8_t* id);
void ice_schedule_transactions(rtc_ice_agent* agent);
/* ICE-09: a destination nothing is ever sent to (webrtc-pc
 * "administratively prohibited"): Fetch's bad ports, multicast and
 * broadcast addresses. */
bool ice_address_prohibited(const rtc_socket_address* to);
/* Fetch's bad ports (ICE-09), whatever the address. */
bool ice_port_prohibited(uint16_t port);
/* ICE-TCP connects to no port below 1024 but 80 and 443, nor to a bad
 * port (ice_tcp.c). */
bool ice_tcp_port_allowed(uint16_t port);
/* Sends a STUN message; to a prohibited destination, drops it silently. */
rtc_error ice_send_stun(ice_base* base,
                        const rtc_socket_address* to,
                        const uint8_t* data,
                        size_t len);
int64_t ice_now(const rtc_ice_agent* agent);
void ice_generation_free(rtc_ice_agent* agent, ice_generation* gen);
ice_generation* ice_generation_new(rtc_ice_agent* agent);

/* ice_gather.c */
rtc_error ice_gather_start(rtc_ice_agent* agent, ice_generation* gen);
/* The mDNS service: the embedder's, or one made on first use (NULL when
 * none can be made). */
rtc_mdns* ice_get_mdns(rtc_ice_agent* agent);
void ice_srflx_response(rtc_ice_agent* agent,
                        ice_transaction* tx,
                        const rtc_stun_message* msg);
void ice_srflx_failed(rtc_ice_agent* agent,
                      ice_transaction* tx,
                      int code,
                      const char* text);
void ice_gather_check_done(rtc_ice_agent* agent, ice_generation* gen);
void ice_bases_destroy(rtc_ice_agent* agent);
/* webrtc-pc icecandidateerror for `gen` (nothing unless it is the current
 * generation): the server (may be NULL), its URL, the STUN code or 701,
 * the reason, and the local base only when its address is exposed (`base`
 * NULL: none). */
void ice_emit_candidate_error(rtc_ice_agent* agent,
                              const ice_generation* gen,
                              const rtc_socket_address* server,
                              const char* url,
                              int code,
                              const char* text,
                              const ice_base* base);
/* Cancels the STUN server lookups of `gen` (NULL: all of them). */
void ice_stun_lookups_cancel(rtc_ice_agent* agent, const ice_generation* gen);
ice_local* ice_local_for_base(ice_generation* gen, const ice_base* base);
/* The relayed candidate of an allocation (its base) for `gen`: announced
 * and paired. */
void ice_add_relay_local(rtc_ice_agent* agent,
                         ice_generation* gen,
                         ice_base* base,
                         const rtc_socket_address* server,
                         rtc_ice_relay_protocol protocol,
                         const rtc_socket_address* mapped);

/* ice_relay.c: TURN allocations. */
/* Starts (or reuses) an allocation on every configured TURN server for
 * `gen`: each one that is allocated adds its relayed candidate; each one
 * still allocating counts in gen->pending_srflx until it is done. */
void ice_relays_gather(rtc_ice_agent* agent, ice_generation* gen);
/* Deallocates and frees every allocation (agent destroy). */
void ice_relays_destroy(rtc_ice_agent* agent);
/* A generation goes: no allocation waits for it any more. */
void ice_relays_forget_generation(rtc_ice_agent* agent, ice_generation* gen);
/* A datagram on `base`'s socket from one of its UDP TURN servers: true
 * when a TURN client took it (then `*destroyed` tells whether the agent
 * went away while delivering what it carried). */
bool ice_relay_take_datagram(rtc_ice_agent* agent,
                             ice_base* base,
                             const rtc_received_packet* packet,
                             bool* destroyed);
/* Sends application data (a check, DTLS) through the allocation. */
rtc_error ice_relay_send(ice_relay* relay,
                         const rtc_socket_address* to,
                         const uint8_t* data,
                         size_t size);
/* The host base whose socket carries a UDP relay's datagrams (NULL for
 * TCP and TLS). */
ice_base* ice_relay_via(const ice_relay* relay);
/* A pair with this relay was formed: the server needs a permission for
 * the peer before anything it sends gets through (RFC 8656 §9). */
void ice_relay_pair_formed(ice_relay* relay, const rtc_socket_address* peer);
/* A pair with this relay succeeded: a channel makes its packets 36 bytes
 * shorter (RFC 8656 §12). */
void ice_relay_pair_valid(ice_relay* relay, const rtc_socket_address* peer);

/* ice_tcp.c: ICE-TCP (RFC 6544). */
/* The priority of a TCP candidate of host base `host` (§4.2), with type
 * preference `type_preference`. */
uint32_t ice_tcp_priority(uint32_t type_preference,
                          rtc_tcp_type tcp_type,
                          const ice_base* host);
/* Type preferences: host TCP candidates, and the PRIORITY of checks over
 * TCP (a peer-reflexive TCP candidate), as libwebrtc has them. */
#define ICE_TCP_HOST_TYPE_PREFERENCE 90
#define ICE_TCP_PRFLX_TYPE_PREFERENCE 80
/* The PRIORITY of a check over the connection: a peer-reflexive TCP
 * candidate of its direction. */
uint32_t ice_tcp_check_priority(const ice_base* base);
/* Makes the host base's listener if it has none. Errors:
 * RTC_ERR_NOT_SUPPORTED (a factory without TCP) and the factory's. */
rtc_error ice_tcp_listen(rtc_ice_agent* agent, ice_base* host);
/* The TCP candidate (of `gen`) a connection base carries. */
ice_local* ice_tcp_local_for_conn(ice_generation* gen, const ice_base* base);
/* A TCP local candidate was added: active ones connect to every remote
 * passive candidate (§6.2). */
void ice_tcp_local_added(rtc_ice_agent* agent,
                         ice_generation* gen,
                         ice_local* local);
/* A TCP remote candidate is known (resolved): a passive one gets a
 * connection from every local active candidate (§6.2). */
void ice_tcp_pair_remote(rtc_ice_agent* agent,
                         ice_generation* gen,
                         ice_remote* remote);
/* One frame on the connection (RFC 4571). */
rtc_error ice_tcp_send(ice_base* base,
                       const rtc_socket_address* to,
                       const uint8_t* data,
                       size_t size);
/* An authenticated check arrived on the connection. */
void ice_tcp_checked(ice_base* base);
/* Pairs or their generation went: unused connections are closed soon. */
void ice_tcp_sweep_soon(rtc_ice_agent* agent);
/* The agent's tcp_timer. */
void ice_on_tcp_timer(void* arg);
/* Closes every connection and listener (agent destroy). */
void ice_tcp_destroy(rtc_ice_agent* agent);

/* ice_agent.c: a packet that arrived on `base` (from its socket, or from
 * the peer through its relay). */
void ice_receive(rtc_ice_agent* agent,
                 ice_base* base,
                 const rtc_received_packet* packet,
                 bool* destroyed);
/* Sends through the base's socket or relay. */
rtc_error ice_base_send(ice_base* base,
                        const rtc_socket_address* to,
                        const uint8_t* data,
                        size_t size);
/* The selected pair's base became writable again. */
void ice_base_writable(rtc_ice_agent* agent, ice_base* base);

/* ice_checks.c */
void ice_handle_stun(rtc_ice_agent* agent,
                     ice_base* base,
                     const rtc_received_packet* packet);
rtc_error ice_add_remote(rtc_ice_agent* agent,
                         ice_generation* gen,
                         const rtc_candidate* c);
void ice_pair_local_added(rtc_ice_agent* agent,
                          ice_generation* gen,
                          ice_local* local);
/* Forms the pair of `base` and `remote` in `gen` (or finds it); NULL when
 * they cannot be paired or there is no room. */
ice_pair* ice_add_pair(rtc_ice_agent* agent,
                       ice_generation* gen,
                       ice_base* base,
                       ice_remote* remote);
/* Whether a local and a remote address can form a pair (family, and
 * loopback and link-local with their kind). */
bool ice_addresses_compatible(const rtc_socket_address* local,
                              const rtc_socket_address* remote);
/* The pair's transport is gone (its TCP connection closed): it fails, and
 * the selected pair loses consent at once. */
void ice_pair_transport_closed(rtc_ice_agent* agent, ice_pair* pair);
void ice_remote_free(rtc_ice_agent* agent, ice_remote* remote);
void ice_checks_kick(rtc_ice_agent* agent);
void ice_on_pacing_timer(void* arg);
void ice_on_nomination_timer(void* arg);
void ice_on_pac_timer(void* arg);
void ice_on_consent_timer(void* arg);
void ice_check_response(rtc_ice_agent* agent,
                        ice_transaction* tx,
                        const rtc_stun_message* msg,
                        const rtc_received_packet* packet,
                        ice_base* base);
void ice_check_timeout(rtc_ice_agent* agent, ice_transaction* tx);
void ice_consent_response(rtc_ice_agent* agent,
                          ice_transaction* tx,
                          const rtc_stun_message* msg);
void ice_consent_timeout(rtc_ice_agent* agent, ice_transaction* tx);
void ice_process_early_requests(rtc_ice_agent* agent, ice_generation* gen);
ice_pair* ice_find_valid_pair(rtc_ice_agent* agent,
                              const ice_base* base,
                              const rtc_socket_address* remote);
void ice_pair_info(const ice_pair* pair, rtc_ice_pair_info* out);
/* The remote candidate as the API may show it (IP-06). */
void ice_remote_exposed(const ice_remote* remote, rtc_candidate* out);
/* Sets the role and recomputes pair priorities (RFC 8445 §6.1.2.3). */
void ice_set_role(rtc_ice_agent* agent, rtc_ice_role role);
void ice_start_pac(rtc_ice_agent* agent, ice_generation* gen);
rtc_ice_transport_state ice_compute_state(const rtc_ice_agent* agent);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_ICE_AGENT_INTERNAL_H_
