/*
 * A TURN server (RFC 8656) for tests on the simulated network, where
 * coturn cannot go: it runs on one simulated host (its socket factory and a
 * queue of the simulated time), listening on UDP and TCP at one address.
 *
 * What it does: long-term credentials (RFC 8489 §9.2: 401 with REALM and
 * NONCE, MESSAGE-INTEGRITY checked with MD5(user:realm:password), 438 for
 * a stale nonce), Allocate (UDP relays, one per 5-tuple; over TCP each
 * connection is a 5-tuple and closing it deletes its allocation), Refresh
 * and expiry on simulated time, CreatePermission (300 s), ChannelBind
 * (600 s), Send and Data indications, ChannelData (padded over TCP), and
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

typedef struct rtc_sim_turn_server_config {
  /* Where it listens (UDP and TCP): an address of the host, and a port. */
  rtc_socket_address address;
  const char* realm;    /* copied */
  const char* username; /* copied */
  const char* password; /* copied */
  /* The longest lifetime granted (default 3600 s). */
  uint32_t max_lifetime_s;
} rtc_sim_turn_server_config;

typedef struct rtc_sim_turn_stats {
  uint64_t allocations; /* made */
  uint64_t allocations_alive;
  uint64_t tcp_allocations;    /* made over TCP */
  uint64_t expired;            /* allocations that were not refreshed */
  uint64_t deallocated;        /* by Refresh(0) or the connection closing */
  uint64_t refreshes;          /* Refresh requests that kept an allocation */
  uint64_t permissions;        /* CreatePermission requests served */
  uint64_t channel_binds;      /* ChannelBind requests served */
  uint64_t unauthorized;       /* 401 answers */
  uint64_t stale_nonce;        /* 438 answers */
  uint64_t to_peers;           /* packets relayed to peers */
  uint64_t to_clients;         /* packets relayed to clients */
  uint64_t to_clients_channel; /* of which as ChannelData */
  uint64_t dropped;            /* no permission, no allocation, malformed */
} rtc_sim_turn_stats;

/* Errors: RTC_ERR_INVALID_ARGUMENT (missing credentials), what the
 * factory returns for the sockets, RTC_ERR_NO_MEMORY. */
rtc_error rtc_sim_turn_server_create(rtc_socket_factory* factory,
                                     rtc_task_queue* queue,
                                     const rtc_sim_turn_server_config* config,
                                     rtc_sim_turn_server** out);
/* Closes every socket. NULL is ignored. */
void rtc_sim_turn_server_destroy(rtc_sim_turn_server* server);

void rtc_sim_turn_server_get_stats(const rtc_sim_turn_server* server,
                                   rtc_sim_turn_stats* out);
/* While silent, nothing that arrives is answered or relayed (a dead
 * server). */
void rtc_sim_turn_server_set_silent(rtc_sim_turn_server* server, bool silent);
/* Nonces older than this are stale (438); default one hour. */
void rtc_sim_turn_server_set_nonce_lifetime(rtc_sim_turn_server* server,
                                            int64_t lifetime_us);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // TEST_NETWORK_SIM_TURN_SERVER_H_
