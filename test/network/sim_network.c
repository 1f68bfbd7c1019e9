/*
 * The simulated network (sim_network.h).
 *
 * A packet goes through up to three steps, so that each decision is taken
 * at the simulated time it would be taken on a real network:
 *
 *   1. send (sender's queue, time t0): validation, loopback, multicast
 *      loopback, then the sender's uplink (bandwidth queue, loss,
 *      propagation delay, jitter, reordering, duplication) decides when the
 *      packet (and its duplicate) leaves the access link: t1.
 *   2. core (the network's own simulated queue, at t1): routing and NATs.
 *      The outbound NAT creates or refreshes its mapping at t1 and the
 *      inbound NAT filters at t1 (NATs and the "internet" add no delay).
 *      Then the receiver's downlink decides the arrival time t2, and the
 *      receiving socket is looked up.
 *   3. delivery (the receiving socket's queue, at t2): a task guarded by
 *      the socket's safety flag calls on_packets with one packet.
 *
 * Choices (documented here and in the report of the tests):
 *   - Jitter never reorders: a packet never arrives on a link before the
 *     previous packet of that link (FIFO per link), so a packet drawn with a
 *     small jitter behind one with a large jitter waits for it. Only the
 *     `reorder` probability lets later packets overtake (the held-back
 *     packet does not move the link's FIFO mark).
 *   - Bandwidth: a packet occupies the link for size * 8 / bps (rounded up
 *     to a microsecond) after the packets before it; it is tail-dropped
 *     when the backlog (bytes still to serialize) plus its size exceeds
 *     queue_bytes, except that an idle link always takes a packet. Lost
 *     packets still used the link (loss happens on the wire, after the
 *     queue). A duplicate arrives together with the original and uses no
 *     bandwidth.
 *   - send never returns RTC_ERR_WOULD_BLOCK (there is no send buffer):
 *     packets the link cannot take are tail-dropped. Packets dropped by
 *     loss, queues, NATs, routing or for want of a listener count as sent
 *     (RTC_OK), as UDP does. An allocation failure inside the simulation
 *     drops the packet and counts it as lost.
 *   - NAT public ports: the private port is kept when no live mapping of
 *     the NAT uses it (port preservation, as many home NATs do); otherwise
 *     a port drawn from the network's PRNG in [1024, 65535]. Each mapping
 *     has its own port, so every symmetric mapping has a distinct one.
 *   - NAT mappings expire after mapping_timeout_us without outbound
 *     traffic; inbound traffic does not refresh them (like most NATs).
 *     A mapping is expired when now - last_outbound >= timeout.
 *   - Restricted NATs filter inbound packets by the addresses the mapping
 *     sent to during its life; hairpinned packets (when enabled) are
 *     translated (source = the sender's public mapping) and pass the same
 *     filter as packets from the internet.
 *   - A NAT translates only its public address's family: other-family
 *     packets from its LAN to elsewhere are dropped (filtered).
 *   - Multicast: a packet to a group reaches every multicast socket of that
 *     group and port on every host of the sender's segment (its LAN, or the
 *     internet for hosts without NAT), including every member socket of
 *     the sending host and the sending socket itself (IP_MULTICAST_LOOP,
 *     Linux's default), which get it at once without link conditions. The
 *     received destination is the group address and port (what IP_PKTINFO
 *     reports). Multicast never crosses a NAT.
 *   - Unicast lookup on a host: the socket bound to that address or to the
 *     wildcard with that port; else the multicast socket of that port
 *     whose interface has that address, else the first such multicast
 *     socket (SO_REUSEADDR sockets get unicast one at a time).
 *   - Ports: IPv4 and IPv6 ports are separate (IPv6 sockets are V6ONLY).
 *     Ephemeral ports are the first free one from a per-host cursor that
 *     moves forward (49152..65535 by default, or the options' range), so a
 *     port just closed is not handed out again at once.
 *   - Stats: a host's packets_sent are the packets it sent; delivered and
 *     bytes are what its sockets got; losses, queue drops and duplicates
 *     count on the host whose uplink or downlink caused them; filtered
 *     counts on the receiving host when the drop happened there (no
 *     listener, socket closed with the packet in flight), else (routing,
 *     NATs) on the sender.
 *   - Interfaces: the address added N-th (from 0) is interface "eth<N>" with
 *     index N + 1. An IPv6 link-local address gets that index as its
 *     scope. Routing compares addresses without scope.
 */
#include "test/network/sim_network.h"

#include <stdio.h>
#include <string.h>

#include "p2p/packet_socket.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"
#include "rtc_base/random.h"
#include "rtc_base/safety_flag.h"
#include "rtc_base/task_queue.h"
#include "test/network/sim_dns_internal.h"

#define DEFAULT_MAPPING_TIMEOUT_US (120 * 1000 * 1000LL)
#define DEFAULT_QUEUE_BYTES (64 * 1024)
#define EPHEMERAL_MIN_PORT 49152
#define EPHEMERAL_MAX_PORT 65535
#define NAT_MIN_PORT 1024
#define NAT_PORT_COUNT (65536 - NAT_MIN_PORT)
#define NAT_RANDOM_PORT_TRIES 64

typedef struct sim_socket sim_socket;

typedef struct sim_link_state {
  rtc_sim_link config;
  int64_t busy_until_us;   /* serialization: the link is busy until then */
  int64_t last_arrival_us; /* FIFO: no in-order packet arrives earlier */
} sim_link_state;

struct rtc_sim_host {
  rtc_socket_factory factory; /* first: the factory's object is the host */
  rtc_sim_network* net;
  rtc_sim_nat* nat;              /* NULL: on the internet */
  rtc_socket_address* addresses; /* port 0; [i] is "eth<i>", index i + 1 */
  size_t address_count;
  size_t address_cap;
  sim_link_state up;
  sim_link_state down;
  rtc_sim_stats stats;
  sim_socket* sockets; /* in creation order */
  sim_socket* last_socket;
  uint32_t next_port; /* ephemeral port cursor */
  /* TCP: listeners, and how many stream sockets are alive. */
  struct sim_tcp_listener* listeners;
  size_t tcp_sockets;
  uint32_t next_tcp_port;
};

typedef struct sim_mapping {
  rtc_socket_address internal; /* private ip:port */
  rtc_socket_address remote;   /* symmetric: its one destination */
  uint16_t public_port;
  int64_t last_outbound_us;
  /* Restricted types: the ip:ports this mapping sent to. */
  rtc_socket_address* permits;
  size_t permit_count;
  size_t permit_cap;
} sim_mapping;

struct rtc_sim_nat {
  rtc_sim_network* net;
  rtc_socket_address public_ip; /* port 0 */
  rtc_sim_nat_type type;
  int64_t mapping_timeout_us;
  bool hairpinning;
  bool udp_blocked;       /* a firewall: no UDP crosses it */
  uint32_t next_tcp_port; /* TCP mappings: one public port a connection */
  sim_mapping* mappings;
  size_t mapping_count;
  size_t mapping_cap;
};

struct rtc_sim_network {
  rtc_sim_time* time;
  rtc_task_queue* queue; /* the core step runs here */
  rtc_prng prng;
  rtc_sim_host** hosts; /* in creation order */
  size_t host_count;
  size_t host_cap;
  rtc_sim_nat** nats;
  size_t nat_count;
  size_t nat_cap;
  rtc_sim_stats stats;
  rtc_sim_capture_fn capture;
  void* capture_user;
  rtc_sim_dns* dns; /* sim_dns.c */
};

struct sim_socket {
  rtc_packet_socket base; /* first */
  rtc_sim_host* host;
  /* The bound address and port; the wildcard address for wildcard and
   * multicast sockets. */
  rtc_socket_address local;
  bool multicast;
  rtc_socket_address group;     /* multicast: the group (port 0) */
  rtc_socket_address interface; /* multicast: its interface's address */
  rtc_safety_flag* alive;       /* guards the deliveries to this socket */
  uint64_t pending;             /* deliveries posted, not yet run */
  sim_socket* prev;
  sim_socket* next;
};

/* A packet between the uplink and the core step. */
typedef struct sim_packet {
  rtc_sim_network* net;
  rtc_sim_host* from;
  rtc_socket_address source;
  rtc_socket_address destination;
  bool multicast;
  size_t size;
  uint8_t data[];
} sim_packet;

/* A packet on its way to one socket. */
typedef struct sim_delivery {
  sim_socket* socket; /* valid while the task's safety flag is alive */
  rtc_socket_address source;
  rtc_socket_address destination;
  size_t size;
  uint8_t data[];
} sim_delivery;

/* Counts an event on a host and on the whole network. */
#define SIM_COUNT(host, field)  \
  do {                          \
    (host)->stats.field++;      \
    (host)->net->stats.field++; \
  } while (0)

/* --- Small helpers --- */

static size_t ip_length(rtc_address_family family) {
  return family == RTC_AF_INET ? 4 : family == RTC_AF_INET6 ? 16 : 0;
}

/* Same family and address; scope and port ignored. */
static bool same_ip(const rtc_socket_address* a, const rtc_socket_address* b) {
  return a->family == b->family &&
         memcmp(a->addr, b->addr, ip_length(a->family)) == 0;
}

static bool same_endpoint(const rtc_socket_address* a,
                          const rtc_socket_address* b) {
  return same_ip(a, b) && a->port == b->port;
}

static rtc_socket_address wildcard(rtc_address_family family, uint16_t port) {
  rtc_socket_address a;
  memset(&a, 0, sizeof(a));
  a.family = family;
  a.port = port;
  return a;
}

/* An address a host interface or a NAT may hold. */
static bool valid_unicast_ip(const rtc_socket_address* ip) {
  return ip && (ip->family == RTC_AF_INET || ip->family == RTC_AF_INET6) &&
         !rtc_socket_address_is_any(ip) && !rtc_socket_address_is_multicast(ip);
}

/* Room for one more element in a growing array: returns the (maybe moved)
 * array, or NULL (the old one untouched) when out of memory. */
static void* reserve(void* items, size_t count, size_t* cap, size_t size) {
  if (count < *cap)
    return items;
  size_t n = *cap ? *cap * 2 : 4;
  void* p = rtc_realloc_array(items, n, size);
  if (p)
    *cap = n;
  return p;
}

static int64_t now_us(const rtc_sim_network* net) {
  return rtc_sim_time_now_us(net->time);
}

static void free_task_arg(void* arg) {
  rtc_free(arg);
}

static void log_drop(const char* why,
                     const rtc_socket_address* source,
                     const rtc_socket_address* destination) {
  if (!rtc_log_is_enabled(RTC_LOG_VERBOSE, __FILE__))
    return;
  char src[RTC_SOCKET_ADDRESS_STRLEN];
  char dst[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_socket_address_format(source, src, sizeof(src));
  rtc_socket_address_format(destination, dst, sizeof(dst));
  RTC_LOG(VERBOSE, "sim: %s -> %s dropped: %s", src, dst, why);
}

/* --- Topology --- */

static const rtc_socket_address* host_find_address(
    const rtc_sim_host* host,
    const rtc_socket_address* ip) {
  for (size_t i = 0; i < host->address_count; i++) {
    if (same_ip(&host->addresses[i], ip))
      return &host->addresses[i];
  }
  return NULL;
}

static const rtc_socket_address* host_first_address(const rtc_sim_host* host,
                                                    rtc_address_family family) {
  for (size_t i = 0; i < host->address_count; i++) {
    if (host->addresses[i].family == family)
      return &host->addresses[i];
  }
  return NULL;
}

/* The host of segment `nat` (NULL: the internet) holding `ip`. */
static rtc_sim_host* find_host(const rtc_sim_network* net,
                               const rtc_sim_nat* nat,
                               const rtc_socket_address* ip) {
  for (size_t i = 0; i < net->host_count; i++) {
    rtc_sim_host* host = net->hosts[i];
    if (host->nat == nat && host_find_address(host, ip))
      return host;
  }
  return NULL;
}

static rtc_sim_nat* find_nat(const rtc_sim_network* net,
                             const rtc_socket_address* ip) {
  for (size_t i = 0; i < net->nat_count; i++) {
    if (same_ip(&net->nats[i]->public_ip, ip))
      return net->nats[i];
  }
  return NULL;
}

/* True when `ip` is already taken on segment `nat` (NULL: the internet,
 * where NATs' public addresses count too). */
static bool segment_has_ip(const rtc_sim_network* net,
                           const rtc_sim_nat* nat,
                           const rtc_socket_address* ip) {
  return find_host(net, nat, ip) || (!nat && find_nat(net, ip));
}

/* --- Link conditions --- */

static void link_state_init(sim_link_state* link) {
  memset(link, 0, sizeof(*link));
  rtc_sim_link_init(&link->config);
}

/* Passes a packet of `size` bytes entering `link` (of `owner`) at `now`.
 * Returns how many copies come out (0, 1 or 2) with their arrival times. */
static size_t link_transit(rtc_sim_host* owner,
                           sim_link_state* link,
                           size_t size,
                           int64_t now,
                           int64_t arrivals[2]) {
  rtc_sim_network* net = owner->net;
  const rtc_sim_link* c = &link->config;
  int64_t t = now;
  if (c->bandwidth_bps > 0) {
    size_t limit = c->queue_bytes ? c->queue_bytes : DEFAULT_QUEUE_BYTES;
    int64_t start = link->busy_until_us > now ? link->busy_until_us : now;
    /* Bytes still to serialize ahead of this packet. */
    double backlog =
        (double)(start - now) * (double)c->bandwidth_bps / 8.0 / 1e6;
    if (start > now && backlog + (double)size > (double)limit) {
      SIM_COUNT(owner, packets_queue_drop);
      return 0;
    }
    uint64_t bits_us = (uint64_t)size * 8u * 1000000u;
    uint64_t tx_us = (bits_us + c->bandwidth_bps - 1) / c->bandwidth_bps;
    link->busy_until_us = start + (int64_t)tx_us;
    t = link->busy_until_us;
  }
  if (c->loss > 0 && rtc_prng_uniform(&net->prng) < c->loss) {
    SIM_COUNT(owner, packets_lost);
    return 0;
  }
  t += c->delay_us;
  if (c->jitter_us > 0) {
    int64_t j =
        (int64_t)(rtc_prng_uniform(&net->prng) * ((double)c->jitter_us + 1.0));
    t += j > c->jitter_us ? c->jitter_us : j;
  }
  /* Jitter alone keeps the link FIFO. */
  if (t < link->last_arrival_us)
    t = link->last_arrival_us;
  if (c->reorder > 0 && rtc_prng_uniform(&net->prng) < c->reorder) {
    /* Held back: later packets overtake it. */
    t += c->reorder_delay_us;
  } else {
    link->last_arrival_us = t;
  }
  arrivals[0] = t;
  if (c->duplicate > 0 && rtc_prng_uniform(&net->prng) < c->duplicate) {
    SIM_COUNT(owner, packets_duplicated);
    arrivals[1] = t;
    return 2;
  }
  return 1;
}

/* --- Delivery (step 3) --- */

static void delivery_run(void* arg) {
  sim_delivery* d = arg;
  sim_socket* s = d->socket;
  RTC_DCHECK_GT(s->pending, 0u);
  s->pending--;
  SIM_COUNT(s->host, packets_delivered);
  s->host->stats.bytes_delivered += d->size;
  s->host->net->stats.bytes_delivered += d->size;
  rtc_received_packet packet = {
      .data = d->data,
      .size = d->size,
      .source = d->source,
      .destination = d->destination,
      .arrival_us = rtc_task_queue_now_us(s->base.queue),
  };
  /* The observer may destroy the socket: nothing touches it after. */
  s->base.observer->on_packets(s->base.observer_user, &s->base, &packet, 1);
}

/* Posts the packet to `s`, arriving at `arrival_us`. */
static void post_delivery(sim_socket* s,
                          const rtc_socket_address* source,
                          const rtc_socket_address* destination,
                          const uint8_t* data,
                          size_t size,
                          int64_t arrival_us) {
  rtc_sim_host* host = s->host;
  sim_delivery* d = rtc_malloc(sizeof(*d) + size);
  if (!d) {
    SIM_COUNT(host, packets_lost);
    return;
  }
  d->socket = s;
  d->source = *source;
  d->destination = *destination;
  d->size = size;
  if (size)
    memcpy(d->data, data, size);
  rtc_task task = {delivery_run, free_task_arg, d};
  int64_t delay = arrival_us - rtc_task_queue_now_us(s->base.queue);
  if (rtc_task_queue_post_guarded(s->base.queue, s->alive, delay, task) !=
      RTC_OK) {
    SIM_COUNT(host, packets_lost);
    return;
  }
  s->pending++;
}

/* The socket of `host` that receives unicast sent to `destination`. */
static sim_socket* lookup_socket(const rtc_sim_host* host,
                                 const rtc_socket_address* destination) {
  sim_socket* first_multicast = NULL;
  for (sim_socket* s = host->sockets; s; s = s->next) {
    if (s->local.family != destination->family ||
        s->local.port != destination->port)
      continue;
    if (!s->multicast) {
      if (rtc_socket_address_is_any(&s->local) ||
          same_ip(&s->local, destination))
        return s;
      continue;
    }
    if (same_ip(&s->interface, destination))
      return s;
    if (!first_multicast)
      first_multicast = s;
  }
  return first_multicast;
}

static void deliver_unicast_on_host(rtc_sim_host* host,
                                    const rtc_socket_address* source,
                                    const rtc_socket_address* destination,
                                    const uint8_t* data,
                                    size_t size,
                                    int64_t arrival_us) {
  sim_socket* s = lookup_socket(host, destination);
  if (!s) {
    log_drop("no socket", source, destination);
    SIM_COUNT(host, packets_filtered);
    return;
  }
  post_delivery(s, source, destination, data, size, arrival_us);
}

static void deliver_multicast_on_host(rtc_sim_host* host,
                                      const rtc_socket_address* source,
                                      const rtc_socket_address* group,
                                      const uint8_t* data,
                                      size_t size,
                                      int64_t arrival_us) {
  /* Posting never runs a task inline: the list stays as it is. */
  for (sim_socket* s = host->sockets; s; s = s->next) {
    if (s->multicast && same_ip(&s->group, group) &&
        s->local.port == group->port)
      post_delivery(s, source, group, data, size, arrival_us);
  }
}

/* The receiver's downlink, then delivery. */
static void downlink(rtc_sim_host* host,
                     const rtc_socket_address* source,
                     const rtc_socket_address* destination,
                     bool multicast,
                     const uint8_t* data,
                     size_t size) {
  int64_t now = now_us(host->net);
  int64_t arrivals[2];
  size_t copies = link_transit(host, &host->down, size, now, arrivals);
  for (size_t i = 0; i < copies; i++) {
    if (multicast) {
      deliver_multicast_on_host(host, source, destination, data, size,
                                arrivals[i]);
    } else {
      deliver_unicast_on_host(host, source, destination, data, size,
                              arrivals[i]);
    }
  }
}

/* --- NATs --- */

static void nat_expire(rtc_sim_nat* nat, int64_t now) {
  for (size_t i = 0; i < nat->mapping_count;) {
    sim_mapping* m = &nat->mappings[i];
    if (now - m->last_outbound_us >= nat->mapping_timeout_us) {
      rtc_free(m->permits);
      nat->mappings[i] = nat->mappings[--nat->mapping_count];
    } else {
      i++;
    }
  }
}

static sim_mapping* nat_find_public(rtc_sim_nat* nat, uint16_t port) {
  for (size_t i = 0; i < nat->mapping_count; i++) {
    if (nat->mappings[i].public_port == port)
      return &nat->mappings[i];
  }
  return NULL;
}

/* A free public port. RFC 4787 §4.2.1: many NATs preserve the internal
 * port when they can, so `preferred` when no mapping uses it; else a port
 * from the PRNG in [1024, 65535]. 0 when every port is taken. */
static uint16_t nat_choose_port(rtc_sim_nat* nat, uint16_t preferred) {
  if (preferred != 0 && !nat_find_public(nat, preferred))
    return preferred;
  rtc_prng* prng = &nat->net->prng;
  for (int i = 0; i < NAT_RANDOM_PORT_TRIES; i++) {
    uint16_t port =
        (uint16_t)(NAT_MIN_PORT + rtc_prng_below(prng, NAT_PORT_COUNT));
    if (!nat_find_public(nat, port))
      return port;
  }
  uint32_t start = rtc_prng_below(prng, NAT_PORT_COUNT);
  for (uint32_t i = 0; i < NAT_PORT_COUNT; i++) {
    uint16_t port = (uint16_t)(NAT_MIN_PORT + (start + i) % NAT_PORT_COUNT);
    if (!nat_find_public(nat, port))
      return port;
  }
  return 0;
}

static rtc_error mapping_permit(sim_mapping* m,
                                const rtc_socket_address* remote) {
  for (size_t i = 0; i < m->permit_count; i++) {
    if (same_endpoint(&m->permits[i], remote))
      return RTC_OK;
  }
  rtc_socket_address* permits =
      reserve(m->permits, m->permit_count, &m->permit_cap, sizeof(*permits));
  if (!permits)
    return RTC_ERR_NO_MEMORY;
  m->permits = permits;
  m->permits[m->permit_count++] = *remote;
  return RTC_OK;
}

/* Translates an outbound packet's source (private -> public), creating or
 * refreshing the mapping. Errors: RTC_ERR_NO_MEMORY, RTC_ERR_NOT_FOUND (no
 * free public port, or a family the NAT does not translate). */
static rtc_error nat_outbound(rtc_sim_nat* nat,
                              rtc_socket_address* source,
                              const rtc_socket_address* destination,
                              int64_t now) {
  if (source->family != nat->public_ip.family)
    return RTC_ERR_NOT_FOUND;
  nat_expire(nat, now);
  bool symmetric = nat->type == RTC_SIM_NAT_SYMMETRIC;
  sim_mapping* m = NULL;
  for (size_t i = 0; i < nat->mapping_count; i++) {
    sim_mapping* candidate = &nat->mappings[i];
    if (same_endpoint(&candidate->internal, source) &&
        (!symmetric || same_endpoint(&candidate->remote, destination))) {
      m = candidate;
      break;
    }
  }
  if (!m) {
    /* RFC 4787 §4.1: endpoint-independent mapping for the cone types, a
     * mapping per destination (address and port dependent) for
     * symmetric. */
    uint16_t port = nat_choose_port(nat, source->port);
    if (port == 0)
      return RTC_ERR_NOT_FOUND;
    sim_mapping* mappings = reserve(nat->mappings, nat->mapping_count,
                                    &nat->mapping_cap, sizeof(*mappings));
    if (!mappings)
      return RTC_ERR_NO_MEMORY;
    nat->mappings = mappings;
    m = &nat->mappings[nat->mapping_count++];
    memset(m, 0, sizeof(*m));
    m->internal = *source;
    m->remote = *destination;
    m->public_port = port;
  }
  /* RFC 4787 §4.3 (REQ-6): outbound packets refresh the mapping. Inbound
   * refresh is optional there; here, as on most NATs, inbound packets do
   * not refresh. */
  m->last_outbound_us = now;
  if (nat->type == RTC_SIM_NAT_ADDRESS_RESTRICTED ||
      nat->type == RTC_SIM_NAT_PORT_RESTRICTED) {
    rtc_error err = mapping_permit(m, destination);
    if (err != RTC_OK)
      return err;
  }
  *source = nat->public_ip;
  source->port = m->public_port;
  return RTC_OK;
}

/* Translates an inbound packet's destination (public -> private) when a
 * live mapping exists and its filter lets `source` in. */
static bool nat_inbound(rtc_sim_nat* nat,
                        const rtc_socket_address* source,
                        rtc_socket_address* destination,
                        int64_t now) {
  nat_expire(nat, now);
  sim_mapping* m = nat_find_public(nat, destination->port);
  if (!m)
    return false;
  /* RFC 4787 §5: endpoint-independent filtering (full cone),
   * address-dependent (address-restricted), address and port-dependent
   * (port-restricted; symmetric, for its one destination). */
  bool pass = false;
  switch (nat->type) {
    case RTC_SIM_NAT_FULL_CONE:
      pass = true;
      break;
    case RTC_SIM_NAT_ADDRESS_RESTRICTED:
      for (size_t i = 0; i < m->permit_count && !pass; i++)
        pass = same_ip(&m->permits[i], source);
      break;
    case RTC_SIM_NAT_PORT_RESTRICTED:
      for (size_t i = 0; i < m->permit_count && !pass; i++)
        pass = same_endpoint(&m->permits[i], source);
      break;
    case RTC_SIM_NAT_SYMMETRIC:
      pass = same_endpoint(&m->remote, source);
      break;
  }
  if (!pass)
    return false;
  *destination = m->internal;
  return true;
}

/* --- Routing (step 2) --- */

/* Counts a drop on the path (routing, NATs) against the sender. */
static void route_drop(rtc_sim_host* from,
                       rtc_error why,
                       const rtc_socket_address* source,
                       const rtc_socket_address* destination) {
  if (why == RTC_ERR_NO_MEMORY) {
    SIM_COUNT(from, packets_lost);
    return;
  }
  log_drop(rtc_error_description(why), source, destination);
  SIM_COUNT(from, packets_filtered);
}

static void route_multicast(sim_packet* pkt) {
  rtc_sim_network* net = pkt->net;
  /* Multicast stays on the sender's segment: it never crosses a NAT. */
  for (size_t i = 0; i < net->host_count; i++) {
    rtc_sim_host* host = net->hosts[i];
    if (host != pkt->from && host->nat == pkt->from->nat) {
      downlink(host, &pkt->source, &pkt->destination, true, pkt->data,
               pkt->size);
    }
  }
}

/* From the internet to `destination`: an internet host, or a NAT. */
static void route_internet(sim_packet* pkt,
                           const rtc_socket_address* source,
                           rtc_socket_address destination,
                           int64_t now) {
  rtc_sim_network* net = pkt->net;
  rtc_sim_host* host = find_host(net, NULL, &destination);
  if (!host) {
    rtc_sim_nat* nat = find_nat(net, &destination);
    if (!nat) {
      route_drop(pkt->from, RTC_ERR_NOT_FOUND, source, &destination);
      return;
    }
    if (nat->udp_blocked || !nat_inbound(nat, source, &destination, now)) {
      route_drop(pkt->from, RTC_ERR_NOT_ALLOWED, source, &destination);
      return;
    }
    host = find_host(net, nat, &destination);
    if (!host) {
      route_drop(pkt->from, RTC_ERR_NOT_FOUND, source, &destination);
      return;
    }
  }
  downlink(host, source, &destination, false, pkt->data, pkt->size);
}

static void route_unicast(sim_packet* pkt) {
  rtc_sim_network* net = pkt->net;
  int64_t now = now_us(net);
  rtc_socket_address source = pkt->source;
  rtc_socket_address destination = pkt->destination;
  rtc_sim_nat* nat = pkt->from->nat;
  if (!nat) {
    route_internet(pkt, &source, destination, now);
    return;
  }
  /* Hosts of one LAN reach each other directly. */
  rtc_sim_host* host = find_host(net, nat, &destination);
  if (host) {
    downlink(host, &source, &destination, false, pkt->data, pkt->size);
    return;
  }
  if (nat->udp_blocked) {
    route_drop(pkt->from, RTC_ERR_NOT_ALLOWED, &source, &destination);
    return;
  }
  bool hairpin = same_ip(&destination, &nat->public_ip);
  if (hairpin && !nat->hairpinning) {
    route_drop(pkt->from, RTC_ERR_NOT_SUPPORTED, &source, &destination);
    return;
  }
  rtc_error err = nat_outbound(nat, &source, &destination, now);
  if (err != RTC_OK) {
    route_drop(pkt->from, err, &pkt->source, &destination);
    return;
  }
  if (!hairpin) {
    route_internet(pkt, &source, destination, now);
    return;
  }
  /* RFC 4787 §6 (REQ-9): hairpinning, with the source translated to the
   * sender's public mapping. */
  if (!nat_inbound(nat, &source, &destination, now)) {
    route_drop(pkt->from, RTC_ERR_NOT_ALLOWED, &source, &destination);
    return;
  }
  host = find_host(net, nat, &destination);
  if (!host) {
    route_drop(pkt->from, RTC_ERR_NOT_FOUND, &source, &destination);
    return;
  }
  downlink(host, &source, &destination, false, pkt->data, pkt->size);
}

static void core_run(void* arg) {
  sim_packet* pkt = arg;
  if (pkt->multicast)
    route_multicast(pkt);
  else
    route_unicast(pkt);
}

/* --- Sending (step 1) --- */

/* The sender's uplink, then the core step at the time it leaves it. */
static void uplink(rtc_sim_host* host,
                   const rtc_socket_address* source,
                   const rtc_socket_address* destination,
                   bool multicast,
                   const uint8_t* data,
                   size_t size) {
  rtc_sim_network* net = host->net;
  int64_t now = now_us(net);
  int64_t arrivals[2];
  size_t copies = link_transit(host, &host->up, size, now, arrivals);
  for (size_t i = 0; i < copies; i++) {
    sim_packet* pkt = rtc_malloc(sizeof(*pkt) + size);
    if (!pkt) {
      SIM_COUNT(host, packets_lost);
      continue;
    }
    pkt->net = net;
    pkt->from = host;
    pkt->source = *source;
    pkt->destination = *destination;
    pkt->multicast = multicast;
    pkt->size = size;
    if (size)
      memcpy(pkt->data, data, size);
    rtc_task task = {core_run, free_task_arg, pkt};
    if (rtc_task_queue_post_delayed(net->queue, arrivals[i] - now, task) !=
        RTC_OK)
      SIM_COUNT(host, packets_lost);
  }
}

/* The address a socket's packets come from. */
static rtc_socket_address socket_source(const sim_socket* s) {
  rtc_socket_address source;
  if (s->multicast) {
    source = s->interface;
  } else if (rtc_socket_address_is_any(&s->local)) {
    /* Wildcard sockets send from the first address of their family. */
    const rtc_socket_address* first =
        host_first_address(s->host, s->local.family);
    source = first ? *first : s->local;
  } else {
    source = s->local;
  }
  source.port = s->local.port;
  return source;
}

static void send_one(sim_socket* s, const rtc_outgoing_packet* packet) {
  rtc_sim_host* host = s->host;
  const rtc_socket_address* destination = &packet->destination;
  rtc_socket_address source = socket_source(s);
  int64_t now = now_us(host->net);
  SIM_COUNT(host, packets_sent);
  if (host->net->capture)
    host->net->capture(host->net->capture_user, host, &source, destination,
                       packet->data, packet->size);
  if (rtc_socket_address_is_multicast(destination)) {
    /* IP_MULTICAST_LOOP: every member socket of this host gets a copy at
     * once, the sender included. */
    deliver_multicast_on_host(host, &source, destination, packet->data,
                              packet->size, now);
    uplink(host, &source, destination, true, packet->data, packet->size);
    return;
  }
  if (host_find_address(host, destination)) {
    /* Loopback: no link conditions. */
    deliver_unicast_on_host(host, &source, destination, packet->data,
                            packet->size, now);
    return;
  }
  uplink(host, &source, destination, false, packet->data, packet->size);
}

/* --- Sockets --- */

static sim_socket* socket_from_base(rtc_packet_socket* base) {
  return (sim_socket*)base;
}

static rtc_error sim_socket_send(rtc_packet_socket* base,
                                 const rtc_outgoing_packet* packets,
                                 size_t count,
                                 size_t* sent) {
  sim_socket* s = socket_from_base(base);
  *sent = 0;
  for (size_t i = 0; i < count; i++) {
    const rtc_outgoing_packet* packet = &packets[i];
    if (packet->size > RTC_MAX_PACKET_SIZE || (packet->size && !packet->data))
      return RTC_ERR_INVALID_ARGUMENT;
    if (packet->destination.family != s->local.family)
      return RTC_ERR_INVALID_ARGUMENT;
    send_one(s, packet);
    *sent = i + 1;
  }
  return RTC_OK;
}

static rtc_error sim_socket_local_address(rtc_packet_socket* base,
                                          rtc_socket_address* out) {
  *out = socket_from_base(base)->local;
  return RTC_OK;
}

static void sim_socket_destroy(rtc_packet_socket* base) {
  sim_socket* s = socket_from_base(base);
  rtc_sim_host* host = s->host;
  if (s->prev)
    s->prev->next = s->next;
  else
    host->sockets = s->next;
  if (s->next)
    s->next->prev = s->prev;
  else
    host->last_socket = s->prev;
  /* Packets still on their way find no listener. */
  host->stats.packets_filtered += s->pending;
  host->net->stats.packets_filtered += s->pending;
  rtc_safety_flag_set_not_alive(s->alive);
  rtc_safety_flag_unref(s->alive);
  rtc_free(s);
}

static const rtc_packet_socket_vtable kSimSocketVtable = {
    .send = sim_socket_send,
    .local_address = sim_socket_local_address,
    .destroy = sim_socket_destroy,
};

static rtc_error socket_create(rtc_sim_host* host,
                               rtc_task_queue* queue,
                               const rtc_socket_address* local,
                               const rtc_socket_address* group,
                               const rtc_socket_address* interface,
                               const rtc_packet_socket_observer* observer,
                               void* user,
                               rtc_packet_socket** out) {
  sim_socket* s = rtc_calloc(1, sizeof(*s));
  if (!s)
    return RTC_ERR_NO_MEMORY;
  if (rtc_safety_flag_create(&s->alive) != RTC_OK) {
    rtc_free(s);
    return RTC_ERR_NO_MEMORY;
  }
  s->base.vtable = &kSimSocketVtable;
  s->base.queue = queue;
  s->base.observer = observer;
  s->base.observer_user = user;
  s->host = host;
  s->local = *local;
  if (group) {
    s->multicast = true;
    s->group = *group;
    s->group.port = 0;
    s->interface = *interface;
  }
  s->prev = host->last_socket;
  if (host->last_socket)
    host->last_socket->next = s;
  else
    host->sockets = s;
  host->last_socket = s;
  *out = &s->base;
  return RTC_OK;
}

/* True when binding `local` (a normal socket when !multicast) would clash
 * with a socket of the host (no SO_REUSEADDR except between multicast
 * sockets). */
static bool port_in_use(const rtc_sim_host* host,
                        const rtc_socket_address* local,
                        bool multicast) {
  for (const sim_socket* s = host->sockets; s; s = s->next) {
    if (s->local.family != local->family || s->local.port != local->port)
      continue;
    if (multicast && s->multicast)
      continue;
    if (multicast || s->multicast || rtc_socket_address_is_any(local) ||
        rtc_socket_address_is_any(&s->local) || same_ip(&s->local, local))
      return true;
  }
  return false;
}

static bool port_free(const rtc_sim_host* host,
                      rtc_address_family family,
                      uint16_t port) {
  for (const sim_socket* s = host->sockets; s; s = s->next) {
    if (s->local.family == family && s->local.port == port)
      return false;
  }
  return true;
}

/* An ephemeral port: the first free one from the host's cursor, in the
 * options' range or 49152..65535. The cursor moves once a socket took it
 * (take_port). */
static rtc_error choose_port(rtc_sim_host* host,
                             rtc_address_family family,
                             const rtc_udp_options* options,
                             uint16_t* out) {
  uint32_t lo = EPHEMERAL_MIN_PORT;
  uint32_t hi = EPHEMERAL_MAX_PORT;
  if (options && (options->min_port || options->max_port)) {
    lo = options->min_port ? options->min_port : 1;
    hi = options->max_port ? options->max_port : 65535;
    if (lo > hi)
      return RTC_ERR_INVALID_ARGUMENT;
  }
  uint32_t n = hi - lo + 1;
  uint32_t start =
      host->next_port >= lo && host->next_port <= hi ? host->next_port - lo : 0;
  for (uint32_t i = 0; i < n; i++) {
    uint16_t port = (uint16_t)(lo + (start + i) % n);
    if (port_free(host, family, port)) {
      *out = port;
      return RTC_OK;
    }
  }
  return RTC_ERR_NOT_FOUND;
}

/* Creates the socket, choosing an ephemeral port when local->port is 0
 * (multicast: is a member of `group` on `interface`). */
static rtc_error bind_socket(rtc_sim_host* host,
                             rtc_task_queue* queue,
                             rtc_socket_address local,
                             const rtc_udp_options* options,
                             const rtc_socket_address* group,
                             const rtc_socket_address* interface,
                             const rtc_packet_socket_observer* observer,
                             void* user,
                             rtc_packet_socket** out) {
  bool ephemeral = local.port == 0;
  if (ephemeral) {
    rtc_error err = choose_port(host, local.family, options, &local.port);
    if (err != RTC_OK)
      return err;
  } else if (port_in_use(host, &local, group != NULL)) {
    return RTC_ERR_IO; /* EADDRINUSE */
  }
  rtc_error err =
      socket_create(host, queue, &local, group, interface, observer, user, out);
  if (err == RTC_OK && ephemeral)
    host->next_port = (uint32_t)local.port + 1;
  return err;
}

/* --- The socket factory --- */

static rtc_sim_host* host_from_factory(rtc_socket_factory* factory) {
  return (rtc_sim_host*)factory;
}

static rtc_error host_list_interfaces(rtc_socket_factory* factory,
                                      rtc_network_interface* out,
                                      size_t capacity,
                                      size_t* count) {
  rtc_sim_host* host = host_from_factory(factory);
  for (size_t i = 0; i < host->address_count && i < capacity; i++) {
    rtc_network_interface* iface = &out[i];
    memset(iface, 0, sizeof(*iface));
    snprintf(iface->name, sizeof(iface->name), "eth%u", (unsigned)i);
    iface->index = (uint32_t)i + 1;
    iface->type = RTC_ADAPTER_ETHERNET;
    iface->address = host->addresses[i];
    iface->prefix_length = iface->address.family == RTC_AF_INET ? 24 : 64;
    iface->multicast = true;
  }
  *count = host->address_count;
  return RTC_OK;
}

static rtc_error host_default_route_address(rtc_socket_factory* factory,
                                            rtc_address_family family,
                                            rtc_socket_address* out) {
  rtc_sim_host* host = host_from_factory(factory);
  const rtc_socket_address* first = host_first_address(host, family);
  if (!first) {
    rtc_socket_address_clear(out);
    return RTC_ERR_NOT_FOUND;
  }
  *out = *first;
  return RTC_OK;
}

static rtc_error host_create_udp(rtc_socket_factory* factory,
                                 rtc_task_queue* queue,
                                 const rtc_socket_address* local,
                                 const rtc_udp_options* options,
                                 const rtc_packet_socket_observer* observer,
                                 void* user,
                                 rtc_packet_socket** out) {
  rtc_sim_host* host = host_from_factory(factory);
  *out = NULL;
  if (!queue || !local || !observer || !observer->on_packets)
    return RTC_ERR_INVALID_ARGUMENT;
  RTC_DCHECK_MSG(queue->clock == rtc_sim_time_clock(host->net->time),
                 "sockets must live on a queue of the network's rtc_sim_time");
  if (local->family != RTC_AF_INET && local->family != RTC_AF_INET6)
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_socket_address bound;
  if (rtc_socket_address_is_any(local)) {
    /* A wildcard socket sends from the first address of its family. */
    if (!host_first_address(host, local->family))
      return RTC_ERR_INVALID_ARGUMENT;
    bound = wildcard(local->family, local->port);
  } else {
    const rtc_socket_address* ip = host_find_address(host, local);
    if (!ip)
      return RTC_ERR_INVALID_ARGUMENT;
    bound = *ip;
    bound.port = local->port;
  }
  return bind_socket(host, queue, bound, options, NULL, NULL, observer, user,
                     out);
}

static rtc_error host_create_multicast_udp(
    rtc_socket_factory* factory,
    rtc_task_queue* queue,
    const rtc_socket_address* group,
    uint32_t if_index,
    const rtc_packet_socket_observer* observer,
    void* user,
    rtc_packet_socket** out) {
  rtc_sim_host* host = host_from_factory(factory);
  *out = NULL;
  if (!queue || !group || !observer || !observer->on_packets ||
      !rtc_socket_address_is_multicast(group))
    return RTC_ERR_INVALID_ARGUMENT;
  RTC_DCHECK_MSG(queue->clock == rtc_sim_time_clock(host->net->time),
                 "sockets must live on a queue of the network's rtc_sim_time");
  /* The membership needs an interface with an address of the group's
   * family, to send from. */
  if (if_index == 0 || if_index > host->address_count ||
      host->addresses[if_index - 1].family != group->family)
    return RTC_ERR_INVALID_ARGUMENT;
  return bind_socket(host, queue, wildcard(group->family, group->port), NULL,
                     group, &host->addresses[if_index - 1], observer, user,
                     out);
}

/* --- TCP ---
 *
 * A connection is modelled, not its segments: reliable and in order,
 * each write arriving one way later (the sender's uplink delay plus the
 * receiver's downlink delay; loss and jitter are TCP's to hide), never
 * earlier than the write before it. Setting up takes a round trip: the
 * listener accepts after one way, the caller is connected after two. A
 * host behind a NAT reaches the internet through a mapping of its own (a
 * new public port a connection); nothing from the internet reaches into a
 * NAT. A caller whose destination has no host gets RTC_ERR_NETWORK after
 * SIM_TCP_CONNECT_TIMEOUT_US, one with no listener after a round trip (a
 * reset). Up to RTC_STREAM_SEND_BUFFER bytes may be on the way; each
 * write's acknowledgement frees its room a round trip after it was sent.
 * Closing (destroy) reaches the other end after the last bytes. */

#define SIM_TCP_CONNECT_TIMEOUT_US (5 * RTC_US_PER_SEC)
#define SIM_TCP_FIRST_PORT 40000

typedef struct sim_tcp_conn sim_tcp_conn;

typedef struct sim_tcp_end {
  rtc_stream_socket base; /* first */
  rtc_sim_host* host;
  sim_tcp_conn* conn;
  int side;                  /* 0: the caller, 1: the accepted one */
  rtc_socket_address local;  /* as this end sees itself */
  rtc_socket_address remote; /* as this end sees the other */
  bool connected;
  bool closed; /* on_closed was delivered */
  bool notify_writable;
  size_t in_flight;        /* sent, not yet acknowledged */
  int64_t last_arrival_us; /* of its last write at the other end */
} sim_tcp_end;

/* Both ends; freed when neither end nor any task refers to it. */
struct sim_tcp_conn {
  rtc_sim_network* net;
  sim_tcp_end* ends[2]; /* NULL once destroyed */
  int64_t one_way_us;
  int refs;
};

typedef struct sim_tcp_listener {
  rtc_stream_listener base; /* first */
  rtc_sim_host* host;
  rtc_socket_address local; /* address (maybe wildcard) and port */
  rtc_safety_flag* alive;
  struct sim_tcp_listener* next;
} sim_tcp_listener;

typedef enum sim_tcp_event {
  SIM_TCP_ACCEPT,    /* at the listener */
  SIM_TCP_CONNECTED, /* at the caller */
  SIM_TCP_DATA,      /* at the receiving end */
  SIM_TCP_ACK,       /* at the sending end: `size` bytes acknowledged */
  SIM_TCP_CLOSED,    /* at the other end */
} sim_tcp_event;

typedef struct sim_tcp_task {
  sim_tcp_conn* conn; /* a reference */
  sim_tcp_event event;
  int to;                     /* the end it is for */
  rtc_error error;            /* SIM_TCP_CLOSED */
  sim_tcp_listener* listener; /* SIM_TCP_ACCEPT, while alive */
  rtc_safety_flag* listener_alive;
  size_t acked; /* SIM_TCP_ACK */
  size_t size;
  uint8_t data[];
} sim_tcp_task;

static const rtc_stream_socket_vtable kSimTcpVtable;

static void conn_unref(sim_tcp_conn* conn) {
  if (--conn->refs == 0)
    rtc_free(conn);
}

static void tcp_task_destroy(void* arg) {
  sim_tcp_task* t = arg;
  if (t->listener_alive)
    rtc_safety_flag_unref(t->listener_alive);
  conn_unref(t->conn);
  rtc_free(t);
}

static void tcp_task_run(void* arg);

/* Posts `event` for end `to` of `conn` at `at_us` on `queue`: bytes
 * (SIM_TCP_DATA), how many were acknowledged (SIM_TCP_ACK), why
 * (SIM_TCP_CLOSED), the listener (SIM_TCP_ACCEPT). */
typedef struct sim_tcp_args {
  const uint8_t* data;
  size_t size;
  size_t acked;
  rtc_error error;
  sim_tcp_listener* listener;
} sim_tcp_args;

static void tcp_post(sim_tcp_conn* conn,
                     rtc_task_queue* queue,
                     sim_tcp_event event,
                     int to,
                     int64_t at_us,
                     sim_tcp_args args) {
  sim_tcp_task* t = rtc_calloc(1, sizeof(*t) + args.size);
  if (!t) {
    RTC_LOG(ERROR, "sim tcp: out of memory: an event was lost");
    return;
  }
  t->conn = conn;
  conn->refs++;
  t->event = event;
  t->to = to;
  t->error = args.error;
  t->acked = args.acked;
  t->size = args.size;
  if (args.size)
    memcpy(t->data, args.data, args.size);
  if (args.listener) {
    t->listener = args.listener;
    t->listener_alive = args.listener->alive;
    rtc_safety_flag_ref(t->listener_alive);
  }
  int64_t delay = at_us - now_us(conn->net);
  rtc_task task = {tcp_task_run, tcp_task_destroy, t};
  if (rtc_task_queue_post_delayed(queue, delay > 0 ? delay : 0, task) != RTC_OK)
    RTC_LOG(ERROR, "sim tcp: cannot post an event");
}

static void end_closed(sim_tcp_end* e, rtc_error error) {
  if (e->closed)
    return;
  e->closed = true;
  e->base.observer->on_closed(e->base.observer_user, &e->base, error);
}

static void tcp_task_run(void* arg) {
  sim_tcp_task* t = arg;
  sim_tcp_conn* conn = t->conn;
  sim_tcp_end* e = conn->ends[t->to];
  switch (t->event) {
    case SIM_TCP_ACCEPT:
      if (!e)
        return; /* the caller is gone already */
      if (!rtc_safety_flag_alive(t->listener_alive)) {
        /* The listener went away: the caller gets a reset. */
        sim_tcp_end* caller = conn->ends[0];
        conn->ends[1] = NULL;
        e->host->tcp_sockets--;
        rtc_free(e);
        conn_unref(conn); /* the end's (the task still holds one) */
        if (caller)
          tcp_post(conn, caller->base.queue, SIM_TCP_CLOSED, 0,
                   now_us(conn->net) + conn->one_way_us,
                   (sim_tcp_args){.error = RTC_ERR_NETWORK});
        return;
      }
      e->connected = true;
      t->listener->base.observer->on_accept(t->listener->base.observer_user,
                                            &t->listener->base, &e->base);
      return;
    case SIM_TCP_CONNECTED:
      if (!e || e->closed)
        return;
      e->connected = true;
      if (e->base.observer->on_connected)
        e->base.observer->on_connected(e->base.observer_user, &e->base);
      return;
    case SIM_TCP_DATA:
      if (!e || e->closed || !e->base.observer)
        return;
      e->base.observer->on_data(e->base.observer_user, &e->base, t->data,
                                t->size);
      return;
    case SIM_TCP_ACK:
      if (!e)
        return;
      e->in_flight -= t->acked < e->in_flight ? t->acked : e->in_flight;
      if (e->notify_writable && !e->closed) {
        e->notify_writable = false;
        if (e->base.observer->on_writable)
          e->base.observer->on_writable(e->base.observer_user, &e->base);
      }
      return;
    case SIM_TCP_CLOSED:
      if (!e || !e->base.observer)
        return;
      end_closed(e, t->error);
      return;
  }
}

static rtc_error sim_tcp_send(rtc_stream_socket* socket,
                              const uint8_t* data,
                              size_t size,
                              size_t* accepted) {
  sim_tcp_end* e = (sim_tcp_end*)socket;
  if (e->closed)
    return RTC_ERR_CLOSED;
  if (!e->connected)
    return RTC_ERR_INVALID_STATE;
  sim_tcp_conn* conn = e->conn;
  sim_tcp_end* other = conn->ends[1 - e->side];
  size_t room = RTC_STREAM_SEND_BUFFER - e->in_flight;
  size_t n = size < room ? size : room;
  *accepted = n;
  if (n < size)
    e->notify_writable = true;
  if (n == 0)
    return RTC_OK;
  e->in_flight += n;
  int64_t now = now_us(conn->net);
  int64_t at = now + conn->one_way_us;
  if (at < e->last_arrival_us)
    at = e->last_arrival_us;
  e->last_arrival_us = at;
  if (other)
    tcp_post(conn, other->base.queue, SIM_TCP_DATA, 1 - e->side, at,
             (sim_tcp_args){.data = data, .size = n});
  /* Acknowledged when it arrived, known a way later. */
  tcp_post(conn, e->base.queue, SIM_TCP_ACK, e->side, at + conn->one_way_us,
           (sim_tcp_args){.acked = n});
  return RTC_OK;
}

static rtc_error sim_tcp_local_address(rtc_stream_socket* socket,
                                       rtc_socket_address* out) {
  *out = ((sim_tcp_end*)socket)->local;
  return RTC_OK;
}

static rtc_error sim_tcp_remote_address(rtc_stream_socket* socket,
                                        rtc_socket_address* out) {
  *out = ((sim_tcp_end*)socket)->remote;
  return RTC_OK;
}

static void sim_tcp_destroy(rtc_stream_socket* socket) {
  sim_tcp_end* e = (sim_tcp_end*)socket;
  sim_tcp_conn* conn = e->conn;
  sim_tcp_end* other = conn->ends[1 - e->side];
  conn->ends[e->side] = NULL;
  if (other && !e->closed) {
    /* The FIN, after the last bytes. */
    int64_t at = now_us(conn->net) + conn->one_way_us;
    if (at < e->last_arrival_us)
      at = e->last_arrival_us;
    tcp_post(conn, other->base.queue, SIM_TCP_CLOSED, 1 - e->side, at,
             (sim_tcp_args){.error = RTC_OK});
  }
  e->host->tcp_sockets--;
  rtc_free(e);
  conn_unref(conn);
}

static const rtc_stream_socket_vtable kSimTcpVtable = {
    .send = sim_tcp_send,
    .local_address = sim_tcp_local_address,
    .remote_address = sim_tcp_remote_address,
    .destroy = sim_tcp_destroy,
};

static sim_tcp_end* tcp_end_new(rtc_sim_host* host,
                                rtc_task_queue* queue,
                                sim_tcp_conn* conn,
                                int side) {
  sim_tcp_end* e = rtc_calloc(1, sizeof(*e));
  if (!e)
    return NULL;
  e->base.vtable = &kSimTcpVtable;
  e->base.queue = queue;
  e->host = host;
  e->conn = conn;
  e->side = side;
  conn->ends[side] = e;
  conn->refs++;
  host->tcp_sockets++;
  return e;
}

static bool tcp_port_in_use(const rtc_sim_host* host, uint16_t port) {
  for (const sim_tcp_listener* l = host->listeners; l; l = l->next) {
    if (l->local.port == port)
      return true;
  }
  return false;
}

static uint16_t tcp_choose_port(rtc_sim_host* host) {
  for (uint32_t i = 0; i < 20000; i++) {
    uint16_t port =
        (uint16_t)(SIM_TCP_FIRST_PORT + (host->next_tcp_port++ % 20000));
    if (!tcp_port_in_use(host, port))
      return port;
  }
  return 0;
}

static sim_tcp_listener* find_listener(rtc_sim_host* host,
                                       const rtc_socket_address* to) {
  for (sim_tcp_listener* l = host->listeners; l; l = l->next) {
    if (l->local.port == to->port && l->local.family == to->family &&
        (rtc_socket_address_is_any(&l->local) || same_ip(&l->local, to)))
      return l;
  }
  return NULL;
}

/* The local address a socket binds: `local` itself, or the host's first
 * address of its family for the wildcard. NULL when not this host's. */
static const rtc_socket_address* bind_address(rtc_sim_host* host,
                                              const rtc_socket_address* local) {
  if (rtc_socket_address_is_any(local))
    return host_first_address(host, local->family);
  return host_find_address(host, local);
}

static rtc_error host_connect_tcp(rtc_socket_factory* factory,
                                  rtc_task_queue* queue,
                                  const rtc_socket_address* local,
                                  const rtc_socket_address* remote,
                                  const rtc_stream_socket_observer* observer,
                                  void* user,
                                  rtc_stream_socket** out) {
  rtc_sim_host* host = host_from_factory(factory);
  rtc_sim_network* net = host->net;
  if (remote->family != local->family || remote->port == 0 ||
      !valid_unicast_ip(remote))
    return RTC_ERR_INVALID_ARGUMENT;
  const rtc_socket_address* ip = bind_address(host, local);
  if (!ip)
    return RTC_ERR_INVALID_ARGUMENT;
  uint16_t port = tcp_choose_port(host);
  if (port == 0)
    return RTC_ERR_NOT_FOUND;
  sim_tcp_conn* conn = rtc_calloc(1, sizeof(*conn));
  if (!conn)
    return RTC_ERR_NO_MEMORY;
  conn->net = net;
  conn->refs = 0;
  sim_tcp_end* caller = tcp_end_new(host, queue, conn, 0);
  if (!caller) {
    rtc_free(conn);
    return RTC_ERR_NO_MEMORY;
  }
  caller->base.observer = observer;
  caller->base.observer_user = user;
  caller->local = *ip;
  caller->local.port = port;
  caller->remote = *remote;

  /* Where it goes, and the source the other end sees. */
  rtc_socket_address seen = caller->local;
  rtc_sim_host* dest = NULL;
  if (host->nat) {
    dest = find_host(net, host->nat, remote);
    if (!dest && !find_nat(net, remote)) {
      dest = find_host(net, NULL, remote);
      if (dest) {
        /* A mapping of its own (endpoint-dependent, as for TCP on most
         * NATs). */
        seen = host->nat->public_ip;
        seen.port = (uint16_t)(SIM_TCP_FIRST_PORT +
                               (host->nat->next_tcp_port++ % 20000));
      }
    }
  } else if (!find_nat(net, remote)) {
    dest = find_host(net, NULL, remote);
  }
  int64_t now = now_us(net);
  sim_tcp_listener* listener = dest ? find_listener(dest, remote) : NULL;
  if (!dest) {
    conn->one_way_us = 0;
    tcp_post(conn, queue, SIM_TCP_CLOSED, 0, now + SIM_TCP_CONNECT_TIMEOUT_US,
             (sim_tcp_args){.error = RTC_ERR_NETWORK});
  } else {
    conn->one_way_us = host->up.config.delay_us + dest->down.config.delay_us;
    if (!listener) {
      tcp_post(conn, queue, SIM_TCP_CLOSED, 0, now + 2 * conn->one_way_us,
               (sim_tcp_args){.error = RTC_ERR_NETWORK});
    } else {
      sim_tcp_end* accepted = tcp_end_new(dest, listener->base.queue, conn, 1);
      if (!accepted) {
        sim_tcp_destroy(&caller->base);
        return RTC_ERR_NO_MEMORY;
      }
      accepted->local = *remote;
      accepted->remote = seen;
      tcp_post(conn, listener->base.queue, SIM_TCP_ACCEPT, 1,
               now + conn->one_way_us, (sim_tcp_args){.listener = listener});
      tcp_post(conn, queue, SIM_TCP_CONNECTED, 0, now + 2 * conn->one_way_us,
               (sim_tcp_args){.error = RTC_OK});
    }
  }
  *out = &caller->base;
  return RTC_OK;
}

static rtc_error sim_listener_local_address(rtc_stream_listener* listener,
                                            rtc_socket_address* out) {
  *out = ((sim_tcp_listener*)listener)->local;
  return RTC_OK;
}

static void sim_listener_destroy(rtc_stream_listener* listener) {
  sim_tcp_listener* l = (sim_tcp_listener*)listener;
  for (sim_tcp_listener** pp = &l->host->listeners; *pp; pp = &(*pp)->next) {
    if (*pp == l) {
      *pp = l->next;
      break;
    }
  }
  rtc_safety_flag_set_not_alive(l->alive);
  rtc_safety_flag_unref(l->alive);
  l->host->tcp_sockets--;
  rtc_free(l);
}

static const rtc_stream_listener_vtable kSimListenerVtable = {
    .local_address = sim_listener_local_address,
    .destroy = sim_listener_destroy,
};

static rtc_error host_listen_tcp(rtc_socket_factory* factory,
                                 rtc_task_queue* queue,
                                 const rtc_socket_address* local,
                                 const rtc_stream_listener_observer* observer,
                                 void* user,
                                 rtc_stream_listener** out) {
  rtc_sim_host* host = host_from_factory(factory);
  if (!rtc_socket_address_is_any(local) && !host_find_address(host, local))
    return RTC_ERR_INVALID_ARGUMENT;
  uint16_t port = local->port;
  if (port == 0)
    port = tcp_choose_port(host);
  else if (tcp_port_in_use(host, port))
    return RTC_ERR_NOT_FOUND;
  if (port == 0)
    return RTC_ERR_NOT_FOUND;
  sim_tcp_listener* l = rtc_calloc(1, sizeof(*l));
  if (!l)
    return RTC_ERR_NO_MEMORY;
  if (rtc_safety_flag_create(&l->alive) != RTC_OK) {
    rtc_free(l);
    return RTC_ERR_NO_MEMORY;
  }
  l->base.vtable = &kSimListenerVtable;
  l->base.queue = queue;
  l->base.observer = observer;
  l->base.observer_user = user;
  l->host = host;
  l->local = *local;
  l->local.port = port;
  l->next = host->listeners;
  host->listeners = l;
  host->tcp_sockets++;
  *out = &l->base;
  return RTC_OK;
}

static rtc_error host_resolve(rtc_socket_factory* factory,
                              rtc_task_queue* queue,
                              const char* name,
                              rtc_address_family family,
                              rtc_resolve_callback callback,
                              void* user,
                              rtc_resolve_request** out) {
  return rtc_sim_dns_resolve(host_from_factory(factory)->net->dns, queue, name,
                             family, callback, user, out);
}

static const rtc_socket_factory_vtable kSimFactoryVtable = {
    .list_interfaces = host_list_interfaces,
    .default_route_address = host_default_route_address,
    .create_udp = host_create_udp,
    .create_multicast_udp = host_create_multicast_udp,
    .connect_tcp = host_connect_tcp,
    .listen_tcp = host_listen_tcp,
    .resolve = host_resolve,
};

/* --- Public API --- */

const char* rtc_sim_nat_type_name(rtc_sim_nat_type type) {
  switch (type) {
    case RTC_SIM_NAT_FULL_CONE:
      return "full-cone";
    case RTC_SIM_NAT_ADDRESS_RESTRICTED:
      return "address-restricted";
    case RTC_SIM_NAT_PORT_RESTRICTED:
      return "port-restricted";
    case RTC_SIM_NAT_SYMMETRIC:
      return "symmetric";
  }
  return "unknown";
}

void rtc_sim_link_init(rtc_sim_link* link) {
  memset(link, 0, sizeof(*link));
}

rtc_error rtc_sim_network_create(rtc_sim_time* time,
                                 uint64_t seed,
                                 rtc_sim_network** out) {
  *out = NULL;
  if (!time)
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_sim_network* net = rtc_calloc(1, sizeof(*net));
  if (!net)
    return RTC_ERR_NO_MEMORY;
  rtc_error err = rtc_sim_dns_create(&net->dns);
  if (err != RTC_OK) {
    rtc_free(net);
    return err;
  }
  err = rtc_sim_time_create_queue(time, "sim_network", &net->queue);
  if (err != RTC_OK) {
    rtc_sim_dns_destroy(net->dns);
    rtc_free(net);
    return err;
  }
  net->time = time;
  rtc_prng_seed(&net->prng, seed);
  *out = net;
  return RTC_OK;
}

void rtc_sim_network_destroy(rtc_sim_network* net) {
  if (!net)
    return;
  for (size_t i = 0; i < net->host_count; i++) {
    RTC_CHECK_MSG(!net->hosts[i]->sockets && !net->hosts[i]->tcp_sockets,
                  "a simulated host still has sockets");
  }
  /* Drops the packets between uplink and downlink. */
  rtc_task_queue_destroy(net->queue);
  for (size_t i = 0; i < net->host_count; i++) {
    rtc_free(net->hosts[i]->addresses);
    rtc_free(net->hosts[i]);
  }
  for (size_t i = 0; i < net->nat_count; i++) {
    rtc_sim_nat* nat = net->nats[i];
    for (size_t j = 0; j < nat->mapping_count; j++)
      rtc_free(nat->mappings[j].permits);
    rtc_free(nat->mappings);
    rtc_free(nat);
  }
  rtc_free(net->hosts);
  rtc_free(net->nats);
  rtc_sim_dns_destroy(net->dns);
  rtc_free(net);
}

rtc_error rtc_sim_network_add_dns_name(rtc_sim_network* net,
                                       const char* name,
                                       const rtc_socket_address* ip) {
  return rtc_sim_dns_add(net->dns, name, ip);
}

void rtc_sim_network_set_dns_delay(rtc_sim_network* net, int64_t delay_us) {
  rtc_sim_dns_set_delay(net->dns, delay_us);
}

uint64_t rtc_sim_network_dns_query_count(const rtc_sim_network* net) {
  return rtc_sim_dns_query_count(net->dns);
}

rtc_error rtc_sim_network_add_nat(rtc_sim_network* net,
                                  const rtc_socket_address* public_ip,
                                  rtc_sim_nat_type type,
                                  rtc_sim_nat** out) {
  *out = NULL;
  if (!valid_unicast_ip(public_ip) || (int)type < RTC_SIM_NAT_FULL_CONE ||
      (int)type > RTC_SIM_NAT_SYMMETRIC || segment_has_ip(net, NULL, public_ip))
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_sim_nat* nat = rtc_calloc(1, sizeof(*nat));
  if (!nat)
    return RTC_ERR_NO_MEMORY;
  rtc_sim_nat** nats =
      reserve(net->nats, net->nat_count, &net->nat_cap, sizeof(*nats));
  if (!nats) {
    rtc_free(nat);
    return RTC_ERR_NO_MEMORY;
  }
  net->nats = nats;
  nat->net = net;
  nat->public_ip = *public_ip;
  nat->public_ip.port = 0;
  nat->public_ip.scope_id = 0;
  nat->type = type;
  nat->mapping_timeout_us = DEFAULT_MAPPING_TIMEOUT_US;
  net->nats[net->nat_count++] = nat;
  *out = nat;
  return RTC_OK;
}

void rtc_sim_nat_set_mapping_timeout(rtc_sim_nat* nat, int64_t timeout_us) {
  RTC_DCHECK_GT(timeout_us, 0);
  nat->mapping_timeout_us = timeout_us > 0 ? timeout_us : 1;
}

void rtc_sim_nat_set_udp_blocked(rtc_sim_nat* nat, bool blocked) {
  nat->udp_blocked = blocked;
}

void rtc_sim_nat_set_hairpinning(rtc_sim_nat* nat, bool enabled) {
  nat->hairpinning = enabled;
}

/* Appends `ip` to the host's addresses (room must have been reserved). */
static void host_push_address(rtc_sim_host* host,
                              const rtc_socket_address* ip) {
  RTC_CHECK_LT(host->address_count, host->address_cap);
  rtc_socket_address* a = &host->addresses[host->address_count++];
  *a = *ip;
  a->port = 0;
  if (a->family == RTC_AF_INET6 && rtc_socket_address_is_link_local(a))
    a->scope_id = (uint32_t)host->address_count; /* its interface index */
  else
    a->scope_id = a->family == RTC_AF_INET6 ? ip->scope_id : 0;
}

rtc_error rtc_sim_network_add_host(rtc_sim_network* net,
                                   rtc_sim_nat* nat,
                                   const rtc_socket_address* ip,
                                   rtc_sim_host** out) {
  *out = NULL;
  RTC_DCHECK(!nat || nat->net == net);
  if (!valid_unicast_ip(ip) || segment_has_ip(net, nat, ip))
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_sim_host* host = rtc_calloc(1, sizeof(*host));
  if (!host)
    return RTC_ERR_NO_MEMORY;
  host->addresses =
      reserve(NULL, 0, &host->address_cap, sizeof(*host->addresses));
  rtc_sim_host** hosts =
      host->addresses
          ? reserve(net->hosts, net->host_count, &net->host_cap, sizeof(*hosts))
          : NULL;
  if (!hosts) {
    rtc_free(host->addresses);
    rtc_free(host);
    return RTC_ERR_NO_MEMORY;
  }
  net->hosts = hosts;
  host->factory.vtable = &kSimFactoryVtable;
  host->net = net;
  host->nat = nat;
  host->next_port = EPHEMERAL_MIN_PORT;
  link_state_init(&host->up);
  link_state_init(&host->down);
  host_push_address(host, ip);
  net->hosts[net->host_count++] = host;
  *out = host;
  return RTC_OK;
}

rtc_error rtc_sim_host_add_address(rtc_sim_host* host,
                                   const rtc_socket_address* ip) {
  if (!valid_unicast_ip(ip) || segment_has_ip(host->net, host->nat, ip))
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_socket_address* addresses =
      reserve(host->addresses, host->address_count, &host->address_cap,
              sizeof(*addresses));
  if (!addresses)
    return RTC_ERR_NO_MEMORY;
  host->addresses = addresses;
  host_push_address(host, ip);
  return RTC_OK;
}

rtc_socket_factory* rtc_sim_host_socket_factory(rtc_sim_host* host) {
  return &host->factory;
}

static void link_configure(sim_link_state* link, const rtc_sim_link* config) {
  RTC_DCHECK(config->delay_us >= 0 && config->jitter_us >= 0 &&
             config->reorder_delay_us >= 0);
  RTC_DCHECK(config->loss >= 0 && config->loss <= 1);
  RTC_DCHECK(config->duplicate >= 0 && config->duplicate <= 1);
  RTC_DCHECK(config->reorder >= 0 && config->reorder <= 1);
  link->config = *config;
  if (link->config.delay_us < 0)
    link->config.delay_us = 0;
  if (link->config.jitter_us < 0)
    link->config.jitter_us = 0;
  if (link->config.reorder_delay_us < 0)
    link->config.reorder_delay_us = 0;
}

void rtc_sim_host_set_link(rtc_sim_host* host,
                           const rtc_sim_link* up,
                           const rtc_sim_link* down) {
  if (up)
    link_configure(&host->up, up);
  if (down)
    link_configure(&host->down, down);
}

void rtc_sim_host_get_stats(const rtc_sim_host* host, rtc_sim_stats* out) {
  *out = host->stats;
}

size_t rtc_sim_host_socket_count(const rtc_sim_host* host) {
  size_t n = 0;
  for (const sim_socket* s = host->sockets; s; s = s->next)
    n++;
  return n;
}

size_t rtc_sim_host_tcp_socket_count(const rtc_sim_host* host) {
  return host->tcp_sockets;
}

void rtc_sim_network_get_stats(const rtc_sim_network* net, rtc_sim_stats* out) {
  *out = net->stats;
}

void rtc_sim_network_set_capture(rtc_sim_network* net,
                                 rtc_sim_capture_fn capture,
                                 void* user) {
  net->capture = capture;
  net->capture_user = user;
}
