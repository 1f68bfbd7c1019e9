/*
 * A TURN server (RFC 8656) for tests on the simulated network, where
 * coturn cannot go: it runs on one simulated host (its socket factory and a
 * queue of the simulated time), listening on UDP and TCP at one address.
 *
 * What it does: long-term credentials (RFC 8489 §9.2: 401 with REALM and
 * NONCE, MESSAGE-INTEGRITY checked with MD5(user:realm:password), 438 for
 * a stale nonce, 441 for another user's allocation; every answer to an
 * authenticated request carries MESSAGE-INTEGRITY, every answer
 * FINGERPRINT), Allocate (REQUESTED-TRANSPORT UDP or 442, IPv4 or 440;
 * UDP relays, one per 5-tuple, else 437; over TCP each connection is a
 * 5-tuple and closing it deletes its allocation), Refresh and expiry on
 * simulated time, CreatePermission (300 s), ChannelBind (600 s; rebinding
 * a number or a peer to something else is a 400), Send and Data
 * indications, ChannelData (padded over TCP), and
 * Binding requests (so that it can be a STUN server too). What arrives at
 * a relay from a peer without a permission is dropped.
 *
 * Not here: TLS, IPv6 relays, EVEN-PORT, RESERVATION-TOKEN, DONT-FRAGMENT,
 * ALTERNATE-SERVER, quotas.
 *
 * Threads: the queue's (the simulated network's single thread).
 */
#ifndef TEST_NETWORK_SIM_TURN_SERVER_H_
#define TEST_NETWORK_SIM_TURN_SERVER_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/socket_factory.h"
#include "rtc_base/error.h"
#include "rtc_base/socket_address.h"
#include "rtc_base/task_queue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_sim_turn_server rtc_sim_turn_server;

/* A long-term credential (RFC 8489 §9.2). */
typedef struct rtc_sim_turn_user {
  const char* username; /* copied */
  const char* password; /* copied */
} rtc_sim_turn_user;

/* Zero-initialize, then fill in: zero fields take the defaults. */
typedef struct rtc_sim_turn_server_config {
  /* Where it listens (UDP and TCP): an address of the host, and a port. */
  rtc_socket_address address;
  const char* realm; /* copied */
  /* One user (may be NULL when `users` has some)... */
  const char* username; /* copied */
  const char* password; /* copied */
  /* ...and/or more of them (copied). */
  const rtc_sim_turn_user* users;
  size_t user_count;
  /* Lifetimes granted are clamped to [min_lifetime_s, max_lifetime_s].
   * RFC 8656 §7.2: a lifetime below the default (600 s) gets the default,
   * so min_lifetime_s 0 means 600; tests of expiry set it lower. */
  uint32_t min_lifetime_s;
  uint32_t max_lifetime_s; /* 0: 3600 */
} rtc_sim_turn_server_config;

typedef struct rtc_sim_turn_stats {
  uint64_t allocations; /* made */
  uint64_t allocations_alive;
  uint64_t tcp_allocations;   /* made over TCP */
  uint64_t expired;           /* allocations that were not refreshed */
  uint64_t deallocated;       /* by Refresh(0) or the connection closing */
  uint64_t refreshes;         /* Refresh requests that kept an allocation */
  uint64_t permissions;       /* CreatePermission requests served */
  uint64_t channel_binds;     /* ChannelBind requests served */
  uint64_t permissions_alive; /* installed and not expired, all allocations */
  uint64_t channels_alive;    /* bound and not expired, all allocations */
  /* Requests received, by method (answered or not, before any check). */
  uint64_t binding_requests;
  uint64_t allocate_requests;
  uint64_t refresh_requests;
  uint64_t create_permission_requests;
  uint64_t channel_bind_requests;
  uint64_t send_indications;
  uint64_t unauthorized;       /* 401 answers */
  uint64_t stale_nonce;        /* 438 answers */
  uint64_t wrong_credentials;  /* 441 answers */
  uint64_t bad_requests;       /* 400 answers */
  uint64_t mismatches;         /* 437 answers to squatted 5-tuples */
  uint64_t tcp_connections;    /* accepted */
  uint64_t to_peers;           /* packets relayed to peers */
  uint64_t to_peers_channel;   /* of which came as ChannelData */
  uint64_t to_clients;         /* packets relayed to clients */
  uint64_t to_clients_channel; /* of which as ChannelData */
  uint64_t dropped;            /* no permission, no allocation, malformed */
} rtc_sim_turn_stats;

/* Creates the server and its UDP socket and TCP listener on `factory`'s
 * host at config->address, delivering on `queue` (a queue of the
 * simulated time the host's network runs on). Run on `queue`.
 * Errors: RTC_ERR_INVALID_ARGUMENT (no realm, no user, a user without a
 * password), what the factory returns for the sockets, RTC_ERR_NO_MEMORY.
 * (factory, queue: transfer none, must outlive the server;
 * out: transfer full) */
rtc_error rtc_sim_turn_server_create(rtc_socket_factory* factory,
                                     rtc_task_queue* queue,
                                     const rtc_sim_turn_server_config* config,
                                     rtc_sim_turn_server** out);
/* Closes every socket (listener, UDP, connections, relays) and cancels
 * its timers and tasks. On the queue. NULL is ignored. */
void rtc_sim_turn_server_destroy(rtc_sim_turn_server* server);

/* The counters so far. On the queue. */
void rtc_sim_turn_server_get_stats(const rtc_sim_turn_server* server,
                                   rtc_sim_turn_stats* out);
/* While silent, nothing that arrives is answered or relayed (a dead
 * server). */
void rtc_sim_turn_server_set_silent(rtc_sim_turn_server* server, bool silent);
/* Nonces older than this are stale (438); default one hour. */
void rtc_sim_turn_server_set_nonce_lifetime(rtc_sim_turn_server* server,
                                            int64_t lifetime_us);
/* Makes the current nonce stale now: the next authenticated request gets
 * a 438 with a new NONCE (RFC 8489 §9.2.4). */
void rtc_sim_turn_server_expire_nonce(rtc_sim_turn_server* server);
/* The next `count` client transport addresses (over UDP or TCP) whose
 * Allocate comes without an allocation of their own have their 5-tuples
 * taken, as by an allocation the server still holds (another client's on
 * that port before, a NAT mapping reused): every Allocate from them, now
 * and later, is answered 437 (Allocation Mismatch). At most 64 in all. */
void rtc_sim_turn_server_squat_next_clients(rtc_sim_turn_server* server,
                                            size_t count);
/* How many allocations are alive (shorthand for the stats). */
size_t rtc_sim_turn_server_allocation_count(const rtc_sim_turn_server* server);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // TEST_NETWORK_SIM_TURN_SERVER_H_
