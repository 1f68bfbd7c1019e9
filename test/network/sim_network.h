/*
 * A simulated network for deterministic tests of everything above sockets
 * (ICE, DTLS, SCTP, media): hosts with interfaces, links with delay,
 * jitter, loss, reordering, duplication and a bandwidth cap, and NATs with
 * the four classic behaviours. It runs on simulated time (rtc_sim_time):
 * packets are delivered by tasks on the receiving socket's queue, so a run
 * is the same every time for the same seed.
 *
 * Topology: one public "internet" and any number of private LANs, each
 * behind one NAT. A host sits on the internet or on one LAN. Hosts on the
 * same LAN reach each other directly (and share multicast, for mDNS); hosts
 * on different LANs or on the internet go through NATs.
 *
 *   rtc_sim_network* net;      rtc_sim_network_create(time, 42, &net);
 *   rtc_sim_nat* nat;          rtc_sim_network_add_nat(net, &public_ip,
 *                                  RTC_SIM_NAT_PORT_RESTRICTED, &nat);
 *   rtc_sim_host* alice;       rtc_sim_network_add_host(net, nat, &lan_ip,
 *                                  &alice);
 *   rtc_socket_factory* f = rtc_sim_host_socket_factory(alice);
 *
 * Link conditions apply per host, to its packets in each direction (the
 * "access link"): a packet from A to B takes A's uplink then B's downlink.
 *
 * Threads: one (the test's, driving the rtc_sim_time). Sockets (and name
 * lookups) must live on queues of the same rtc_sim_time.
 */
#ifndef TEST_NETWORK_SIM_NETWORK_H_
#define TEST_NETWORK_SIM_NETWORK_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/socket_factory.h"
#include "rtc_base/error.h"
#include "rtc_base/sim_time.h"
#include "rtc_base/socket_address.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_sim_network rtc_sim_network;
typedef struct rtc_sim_nat rtc_sim_nat;
typedef struct rtc_sim_host rtc_sim_host;

typedef enum rtc_sim_nat_type {
  /* Endpoint-independent mapping and filtering. */
  RTC_SIM_NAT_FULL_CONE,
  /* Endpoint-independent mapping; inbound only from IPs the inside host
   * has sent to. */
  RTC_SIM_NAT_ADDRESS_RESTRICTED,
  /* Endpoint-independent mapping; inbound only from IP:ports sent to. */
  RTC_SIM_NAT_PORT_RESTRICTED,
  /* A new mapping (public port) per destination IP:port; inbound only
   * from that destination. */
  RTC_SIM_NAT_SYMMETRIC,
} rtc_sim_nat_type;

const char* rtc_sim_nat_type_name(rtc_sim_nat_type type);

typedef struct rtc_sim_link {
  int64_t delay_us;  /* one-way propagation delay */
  int64_t jitter_us; /* extra delay, uniform in [0, jitter_us] */
  double loss;       /* probability a packet is dropped, 0..1 */
  double duplicate;  /* probability a packet is delivered twice */
  /* Probability a packet is held back by an extra reorder_delay_us, so
   * that later packets overtake it. */
  double reorder;
  int64_t reorder_delay_us;
  /* Serialization at this rate (bits per second); 0 = unlimited. Packets
   * beyond queue_bytes of backlog are dropped (tail drop). */
  uint64_t bandwidth_bps;
  size_t queue_bytes; /* 0 = 64 KiB when bandwidth_bps is set */
} rtc_sim_link;

/* A perfect link: no delay, no loss. */
void rtc_sim_link_init(rtc_sim_link* link);

typedef struct rtc_sim_stats {
  uint64_t packets_sent;
  uint64_t packets_delivered;
  uint64_t packets_lost;       /* link loss */
  uint64_t packets_queue_drop; /* bandwidth queue full */
  uint64_t packets_filtered;   /* dropped by a NAT's filter or no listener */
  uint64_t packets_duplicated;
  uint64_t bytes_delivered;
} rtc_sim_stats;

/* `seed` drives every random decision (loss, jitter, NAT port choice).
 * (time: transfer none, must outlive the network) */
rtc_error rtc_sim_network_create(rtc_sim_time* time,
                                 uint64_t seed,
                                 rtc_sim_network** out);
/* Every socket of every host must have been destroyed. */
void rtc_sim_network_destroy(rtc_sim_network* net);

/* A NAT with public address `public_ip` (port ignored) in front of a new
 * LAN. UDP mappings expire after mapping_timeout_us without outbound
 * traffic (default 120 s; see rtc_sim_nat_set_mapping_timeout). */
rtc_error rtc_sim_network_add_nat(rtc_sim_network* net,
                                  const rtc_socket_address* public_ip,
                                  rtc_sim_nat_type type,
                                  rtc_sim_nat** out);
void rtc_sim_nat_set_mapping_timeout(rtc_sim_nat* nat, int64_t timeout_us);
/* Hairpinning: a host behind the NAT reaching the NAT's own public
 * mappings. Default off. */
void rtc_sim_nat_set_hairpinning(rtc_sim_nat* nat, bool enabled);
/* A firewall: no UDP crosses the NAT either way (TCP still does: the
 * networks where only TURN over TCP or TLS gets through). Default off. */
void rtc_sim_nat_set_udp_blocked(rtc_sim_nat* nat, bool blocked);

/* A host with one interface "eth0" holding `ip` (port ignored), on the
 * internet (nat == NULL) or on the LAN behind `nat`. More addresses (also
 * IPv6) with rtc_sim_host_add_address. */
rtc_error rtc_sim_network_add_host(rtc_sim_network* net,
                                   rtc_sim_nat* nat,
                                   const rtc_socket_address* ip,
                                   rtc_sim_host** out);
/* Another interface address (interface name "eth<N>"; the first address
 * of each family is its default route). */
rtc_error rtc_sim_host_add_address(rtc_sim_host* host,
                                   const rtc_socket_address* ip);

/* The host's socket factory. (transfer none, lives as long as the
 * network) Its sockets deliver on the queue they were created with. */
rtc_socket_factory* rtc_sim_host_socket_factory(rtc_sim_host* host);

/* Link conditions of the host's uplink (packets it sends) and downlink
 * (packets it receives); either may be NULL to leave it. Changes apply to
 * packets sent from then on. */
void rtc_sim_host_set_link(rtc_sim_host* host,
                           const rtc_sim_link* up,
                           const rtc_sim_link* down);

/* Counters for the host's packets (sent: by it; delivered/lost: to it). */
void rtc_sim_host_get_stats(const rtc_sim_host* host, rtc_sim_stats* out);
/* How many of the host's sockets are open (tests of close() use it). */
size_t rtc_sim_host_socket_count(const rtc_sim_host* host);
/* How many of its TCP sockets are open: listeners, and both ends of
 * connections (an accepted end counts from the caller's connect). */
size_t rtc_sim_host_tcp_socket_count(const rtc_sim_host* host);
/* Counters for the whole network. */
void rtc_sim_network_get_stats(const rtc_sim_network* net, rtc_sim_stats* out);

/* DNS. The hosts' factories resolve names (rtc_socket_factory_resolve)
 * from this table, for every host alike: `name` gets `ip` (port ignored)
 * as one more address; a name may have several, answered in the order
 * added (IPv6 and IPv4 as added), filtered by the family asked for, at most
 * RTC_RESOLVE_MAX_ADDRESSES. Names compare without case and without a
 * final dot. A lookup is answered after the DNS delay on the request's
 * queue; unknown names (or none of the family) with RTC_ERR_NOT_FOUND.
 * IP literals and ".invalid" names are answered by the wrapper, without a
 * lookup. Errors: RTC_ERR_INVALID_ARGUMENT (not a name
 * rtc_resolve_check_host accepts as a name to look up, or `ip` not IPv4 or
 * IPv6), RTC_ERR_NO_MEMORY. (name: transfer none, copied) */
rtc_error rtc_sim_network_add_dns_name(rtc_sim_network* net,
                                       const char* name,
                                       const rtc_socket_address* ip);
/* The simulated time every lookup takes: default 5 ms. Negative: lookups
 * never answer (a DNS server that does not reply), until cancelled. Applies
 * to lookups made from then on. */
void rtc_sim_network_set_dns_delay(rtc_sim_network* net, int64_t delay_us);
/* How many names the hosts' factories have been asked to look up (IP
 * literals and ".invalid" names, answered by the wrapper, do not count). */
uint64_t rtc_sim_network_dns_query_count(const rtc_sim_network* net);

/* A capture of every datagram a socket sends (what a pcap on the sender's
 * interface would show), called as it is sent, before link conditions or
 * NATs, with the sender's host, its source and destination. NULL stops it.
 * (data: transfer none, valid during the call) */
typedef void (*rtc_sim_capture_fn)(void* user,
                                   const rtc_sim_host* host,
                                   const rtc_socket_address* source,
                                   const rtc_socket_address* destination,
                                   const uint8_t* data,
                                   size_t size);
void rtc_sim_network_set_capture(rtc_sim_network* net,
                                 rtc_sim_capture_fn capture,
                                 void* user);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // TEST_NETWORK_SIM_NETWORK_H_
