/*
 * ICE gathering: local sockets (bases), host candidates (mDNS names unless
 * obfuscation is off), server-reflexive candidates, the RFC 8828 IP
 * handling modes, end-of-candidates.
 */
#include <stdio.h>
#include <string.h>

#include "p2p/ice_agent_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"

#define MAX_INTERFACES 64

static void set_gathering_state(rtc_ice_agent* agent,
                                rtc_ice_gathering_state state) {
  if (agent->gathering_state == state)
    return;
  agent->gathering_state = state;
  ice_event e = {.kind = ICE_EVENT_GATHERING_STATE, .u.gathering_state = state};
  ice_emit(agent, &e);
}

static bool is_public(const rtc_socket_address* a) {
  return !rtc_socket_address_is_private(a) &&
         !rtc_socket_address_is_link_local(a) &&
         !rtc_socket_address_is_loopback(a) && !rtc_socket_address_is_any(a);
}

/* The mDNS service, made on first use when the embedder gave none. */
rtc_mdns* ice_get_mdns(rtc_ice_agent* agent) {
  if (agent->mdns || agent->mdns_failed)
    return agent->mdns;
  rtc_mdns_options options;
  rtc_mdns_options_init(&options);
  options.interfaces = agent->config.interfaces;
  options.group = agent->config.mdns_group;
  if (rtc_mdns_create(agent->factory, agent->queue, &options, &agent->mdns) !=
      RTC_OK) {
    RTC_LOG(WARNING, "ICE: no mDNS service: host names cannot be resolved");
    agent->mdns = NULL;
    agent->mdns_failed = true;
    return NULL;
  }
  agent->owns_mdns = true;
  return agent->mdns;
}

/* RFC 8828 §5.2 and IP-09 (prefer RFC 4941 temporary IPv6 addresses):
 * which interface addresses may carry host candidates. */
static size_t allowed_addresses(rtc_ice_agent* agent,
                                rtc_network_interface* out) {
  const rtc_ice_agent_config* cfg = &agent->config;
  /* RFC 8828 mode 4 (Chrome's disable_non_proxied_udp): no UDP socket at
   * all; only TURN over TCP or TLS reaches out. */
  if (cfg->ip_handling == RTC_IP_HANDLING_RELAY_ONLY)
    return 0;
  size_t count = 0;
  if (rtc_socket_factory_list_interfaces(agent->factory, &cfg->interfaces, out,
                                         MAX_INTERFACES, &count) != RTC_OK)
    return 0;
  if (count > MAX_INTERFACES)
    count = MAX_INTERFACES;

  bool default_route_only =
      cfg->ip_handling == RTC_IP_HANDLING_DEFAULT_ROUTE ||
      cfg->ip_handling == RTC_IP_HANDLING_DEFAULT_ROUTE_PUBLIC_ONLY;
  rtc_socket_address route4, route6;
  bool has4 = rtc_socket_factory_default_route_address(
                  agent->factory, RTC_AF_INET, &route4) == RTC_OK;
  bool has6 = rtc_socket_factory_default_route_address(
                  agent->factory, RTC_AF_INET6, &route6) == RTC_OK;
  size_t kept = 0;
  for (size_t i = 0; i < count; i++) {
    const rtc_network_interface* iface = &out[i];
    const rtc_socket_address* a = &iface->address;
    if (default_route_only) {
      bool on_route = (has4 && rtc_ip_address_equal(a, &route4)) ||
                      (has6 && rtc_ip_address_equal(a, &route6));
      if (!on_route)
        continue;
    }
    if (a->family == RTC_AF_INET6 && !iface->ipv6_temporary &&
        !rtc_socket_address_is_link_local(a)) {
      /* A temporary address on the same interface is preferred. */
      bool has_temporary = false;
      for (size_t j = 0; j < count; j++)
        has_temporary |= out[j].index == iface->index && out[j].ipv6_temporary;
      if (has_temporary)
        continue;
    }
    out[kept++] = *iface;
  }
  return kept;
}

/* RFC 8421 (dual stack): IPv6 first; otherwise enumeration order. */
static void order_addresses(rtc_network_interface* list, size_t n) {
  for (size_t i = 1; i < n; i++) {
    rtc_network_interface v = list[i];
    size_t j = i;
    while (j > 0 && v.address.family == RTC_AF_INET6 &&
           list[j - 1].address.family == RTC_AF_INET) {
      list[j] = list[j - 1];
      j--;
    }
    list[j] = v;
  }
}

static void make_name(rtc_ice_agent* agent, ice_base* base) {
  rtc_mdns* mdns = ice_get_mdns(agent);
  if (mdns &&
      rtc_mdns_register(mdns, &base->address, base->mdns_name) == RTC_OK) {
    base->mdns_registered = true;
    return;
  }
  /* IP-02: the candidate is offered even when registration fails; the name
   * is still random and still hides the address. */
  char uuid[37];
  rtc_random_uuid_v4(uuid);
  snprintf(base->mdns_name, sizeof(base->mdns_name), "%s.local", uuid);
}

static void create_bases(rtc_ice_agent* agent) {
  agent->bases_created = true;
  rtc_network_interface list[MAX_INTERFACES];
  size_t n = allowed_addresses(agent, list);
  order_addresses(list, n);
  for (size_t i = 0; i < n && agent->base_count < ICE_MAX_HOST_BASES; i++) {
    ice_base* base = rtc_calloc(1, sizeof(*base));
    if (!base) {
      RTC_LOG(WARNING, "ICE: out of memory for a base");
      break;
    }
    base->agent = agent;
    base->iface = list[i];
    rtc_socket_address bind = list[i].address;
    bind.port = 0;
    rtc_error err = rtc_socket_factory_create_udp(
        agent->factory, agent->queue, &bind, &agent->config.udp,
        &kIceSocketObserver, base, &base->socket);
    if (err != RTC_OK) {
      char text[RTC_SOCKET_ADDRESS_STRLEN];
      rtc_ip_address_format(&bind, text, sizeof(text));
      RTC_LOG(WARNING, "ICE: no socket on %s: %s", text, rtc_error_name(err));
      rtc_free(base);
      continue;
    }
    if (rtc_packet_socket_local_address(base->socket, &base->address) !=
        RTC_OK) {
      rtc_packet_socket_destroy(base->socket);
      rtc_free(base);
      continue;
    }
    /* Distinct local preferences, highest for the first address. */
    base->local_preference = 65535 - (uint32_t)agent->base_count;
    base->announce_host = agent->config.ip_handling !=
                              RTC_IP_HANDLING_DEFAULT_ROUTE_PUBLIC_ONLY ||
                          is_public(&base->address);
    agent->bases[agent->base_count++] = base;
  }
}

void ice_bases_destroy(rtc_ice_agent* agent) {
  ice_tcp_destroy(agent);
  ice_relays_destroy(agent);
  for (size_t i = 0; i < agent->base_count; i++) {
    ice_base* base = agent->bases[i];
    rtc_packet_socket_destroy(base->socket);
    if (base->mdns_registered && agent->mdns)
      rtc_mdns_unregister(agent->mdns, base->mdns_name);
    rtc_free(base);
    agent->bases[i] = NULL;
  }
  agent->base_count = 0;
}

ice_local* ice_local_for_base(ice_generation* gen, const ice_base* base) {
  /* The candidate pairs are formed with (RFC 8445 §6.1.2.2: a reflexive
   * candidate is replaced by its base): the host candidate of a socket,
   * the relayed candidate of an allocation, the TCP candidate of a
   * connection. */
  if (base->tcp)
    return ice_tcp_local_for_conn(gen, base);
  rtc_candidate_type type =
      base->relay ? RTC_CANDIDATE_RELAY : RTC_CANDIDATE_HOST;
  for (size_t i = 0; i < gen->local_count; i++) {
    ice_local* l = gen->locals[i];
    if (l->base == base && l->c.type == type &&
        l->c.protocol == RTC_ICE_PROTOCOL_UDP)
      return l;
  }
  return NULL;
}

/* `tcp_type`: RTC_TCP_TYPE_NONE for a UDP candidate. */
static ice_local* add_local(rtc_ice_agent* agent,
                            ice_generation* gen,
                            ice_base* base,
                            rtc_candidate_type type,
                            const rtc_socket_address* address,
                            const rtc_socket_address* server,
                            rtc_tcp_type tcp_type) {
  if (gen->local_count == ICE_MAX_LOCAL)
    return NULL;
  ice_local** locals =
      rtc_grow_array(gen->locals, &gen->local_capacity, gen->local_count,
                     ICE_ARRAY_FIRST, ICE_MAX_LOCAL, sizeof(*locals));
  if (!locals)
    return NULL;
  gen->locals = locals;
  ice_local* l = rtc_calloc(1, sizeof(*l));
  if (!l)
    return NULL;
  l->base = base;
  l->address = *address;
  if (server)
    l->server = *server;
  rtc_candidate* c = &l->c;
  rtc_candidate_init(c);
  rtc_ice_protocol protocol = tcp_type == RTC_TCP_TYPE_NONE
                                  ? RTC_ICE_PROTOCOL_UDP
                                  : RTC_ICE_PROTOCOL_TCP;
  rtc_candidate_foundation(type, protocol, &base->address, server,
                           c->foundation);
  c->component = 1;
  c->type = type;
  c->protocol = protocol;
  c->tcp_type = tcp_type;
  c->priority =
      tcp_type == RTC_TCP_TYPE_NONE
          ? rtc_candidate_priority(type, base->local_preference, 1)
          : ice_tcp_priority(ICE_TCP_HOST_TYPE_PREFERENCE, tcp_type, base);
  snprintf(c->ufrag, sizeof(c->ufrag), "%s", gen->local_ufrag);
  bool hidden = base->mdns_name[0] != '\0';
  if (type == RTC_CANDIDATE_HOST && hidden) {
    /* draft-ietf-mmusic-mdns-ice-candidates: the name replaces the IP. */
    rtc_socket_address_clear(&c->address);
    c->address.port = address->port;
    snprintf(c->hostname, sizeof(c->hostname), "%s", base->mdns_name);
  } else {
    c->address = *address;
  }
  if (type != RTC_CANDIDATE_HOST) {
    c->has_related = true;
    if (hidden || !base->announce_host) {
      /* IP-04: a reflexive candidate of a hidden host address carries no
       * related address: 0.0.0.0 or :: and port 9. */
      rtc_socket_address_clear(&c->related_address);
      c->related_address.family = address->family;
      c->related_address.port = 9;
    } else {
      c->related_address = base->address;
    }
  }
  gen->locals[gen->local_count++] = l;
  (void)agent;
  return l;
}

static void announce(rtc_ice_agent* agent,
                     ice_generation* gen,
                     const ice_local* l) {
  if (gen != agent->current)
    return;
  if (l->c.type == RTC_CANDIDATE_HOST && !l->base->announce_host)
    return;
  ice_event e = {.kind = ICE_EVENT_CANDIDATE, .u.candidate = l->c};
  ice_emit(agent, &e);
}

void rtc_ice_relay_foundation(const rtc_socket_address* relayed,
                              const rtc_socket_address* server,
                              rtc_ice_relay_protocol protocol,
                              char out[RTC_CANDIDATE_MAX_FOUNDATION + 1]) {
  /* RFC 8445 §5.1.1.3: the foundation differs with the protocol to the
   * server too (a relay over TCP and one over UDP of the same server are
   * not alike): it goes in with the server's port. */
  rtc_socket_address identity = *server;
  identity.port ^= (uint16_t)((unsigned)protocol << 14);
  rtc_candidate_foundation(RTC_CANDIDATE_RELAY, RTC_ICE_PROTOCOL_UDP, relayed,
                           &identity, out);
}

void ice_add_relay_local(rtc_ice_agent* agent,
                         ice_generation* gen,
                         ice_base* base,
                         const rtc_socket_address* server,
                         rtc_ice_relay_protocol protocol,
                         const rtc_socket_address* mapped) {
  if (ice_local_for_base(gen, base))
    return;
  ice_local* l = add_local(agent, gen, base, RTC_CANDIDATE_RELAY,
                           &base->address, server, RTC_TCP_TYPE_NONE);
  if (!l)
    return;
  rtc_ice_relay_foundation(&base->address, server, protocol, l->c.foundation);
  /* RFC 8839 §5.1: a relayed candidate's raddr is the mapped address the
   * server saw. Under the relay policy no reflexive address may be
   * revealed (webrtc-pc, RFC 9429 §4.1.1): 0.0.0.0 and port 0, as
   * browsers send. */
  rtc_candidate* c = &l->c;
  c->has_related = true;
  if (agent->config.transport_policy == RTC_ICE_POLICY_RELAY ||
      agent->config.ip_handling == RTC_IP_HANDLING_RELAY_ONLY ||
      mapped->family == RTC_AF_UNSPEC) {
    rtc_socket_address_clear(&c->related_address);
    c->related_address.family = base->address.family;
    c->related_address.port = 0;
  } else {
    c->related_address = rtc_socket_address_unmapped(mapped);
  }
  announce(agent, gen, l);
  ice_pair_local_added(agent, gen, l);
}

/* RFC 6544 §5.1: the TCP host candidates of a UDP host base (same address,
 * same mDNS name): a passive one on a listener's port and an active one.
 * Server-reflexive TCP candidates are not gathered (browsers do not: a
 * NAT's TCP mapping is per connection, so a STUN server's answer says
 * nothing about the next one), nor are simultaneous-open (`so`) ones. */
static void gather_tcp(rtc_ice_agent* agent,
                       ice_generation* gen,
                       ice_base* base) {
  if (base->tcp_unavailable)
    return;
  rtc_error err = ice_tcp_listen(agent, base);
  if (err != RTC_OK) {
    /* A factory without TCP: no TCP candidates on this base, and no new
     * attempt. Otherwise (no port, no memory) none in this generation. */
    if (err == RTC_ERR_NOT_SUPPORTED)
      base->tcp_unavailable = true;
    else
      RTC_LOG(WARNING, "ICE: no TCP listener: %s", rtc_error_name(err));
    return;
  }
  rtc_socket_address passive = base->address;
  rtc_socket_address bound;
  if (rtc_stream_listener_local_address(base->tcp_listener, &bound) != RTC_OK)
    return;
  passive.port = bound.port;
  /* RFC 6544 §4.5: "the port of an active candidate ... MUST be set to 9,
   * the discard port". */
  rtc_socket_address active = base->address;
  active.port = 9;
  const struct {
    rtc_tcp_type type;
    const rtc_socket_address* address;
  } kinds[] = {{RTC_TCP_TYPE_ACTIVE, &active},
               {RTC_TCP_TYPE_PASSIVE, &passive}};
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    ice_local* l = add_local(agent, gen, base, RTC_CANDIDATE_HOST,
                             kinds[i].address, NULL, kinds[i].type);
    if (!l)
      return;
    announce(agent, gen, l);
    ice_pair_local_added(agent, gen, l);
  }
}

static void start_srflx(rtc_ice_agent* agent,
                        ice_generation* gen,
                        ice_base* base,
                        const rtc_socket_address* server) {
  ice_transaction* tx = ice_transaction_new(agent, ICE_TX_SRFLX, base, server);
  if (!tx)
    return;
  tx->gen = gen;
  rtc_stun_builder b;
  rtc_stun_builder_init(&b, tx->message, sizeof(tx->message),
                        RTC_STUN_BINDING_REQUEST, tx->id);
  rtc_stun_add_fingerprint(&b);
  if (rtc_stun_builder_finish(&b, &tx->length) != RTC_OK) {
    rtc_free(tx);
    return;
  }
  gen->pending_srflx++;
  /* RFC 8489 §6.2.1 with Rc = 5 and a 9.5 s cap (see the header). */
  ice_transaction_start(agent, tx, ICE_SRFLX_TRANSMISSIONS, ICE_MIN_RTO_US,
                        ICE_SRFLX_TIMEOUT_US);
}

/* A STUN server is asked from the host bases that can reach it: same
 * family, and loopback only from loopback. */
static void srflx_from_bases(rtc_ice_agent* agent,
                             ice_generation* gen,
                             const rtc_socket_address* server) {
  for (size_t i = 0; i < agent->base_count; i++) {
    ice_base* base = agent->bases[i];
    if (base->socket && !base->relay && !base->tcp &&
        ice_local_for_base(gen, base) &&
        server->family == base->address.family &&
        rtc_socket_address_is_loopback(server) ==
            rtc_socket_address_is_loopback(&base->address))
      start_srflx(agent, gen, base, server);
  }
}

/* --- STUN servers by name --- */

typedef struct ice_stun_lookup {
  struct ice_stun_lookup* next;
  rtc_ice_agent* agent;
  ice_generation* gen;
  rtc_ice_server_name name;
  rtc_resolve_request* request;
} ice_stun_lookup;

static void stun_lookup_unlink(rtc_ice_agent* agent, ice_stun_lookup* l) {
  for (ice_stun_lookup** link = &agent->stun_lookups; *link;
       link = &(*link)->next) {
    if (*link == l) {
      *link = l->next;
      return;
    }
  }
}

static void stun_name_failed(rtc_ice_agent* agent,
                             ice_generation* gen,
                             const rtc_ice_server_name* name,
                             rtc_error error) {
  RTC_LOG(WARNING, "ICE: STUN server %s not resolved: %s", name->host,
          rtc_error_name(error));
  /* webrtc-pc icecandidateerror: 701 when the server cannot be reached. */
  char url[RTC_ICE_URL_SIZE];
  char text[128];
  snprintf(url, sizeof(url), "stun:%s:%u", name->host, (unsigned)name->port);
  snprintf(text, sizeof(text), "STUN host lookup failed (%s)",
           rtc_error_name(error));
  ice_emit_candidate_error(agent, gen, NULL, url, 701, text, NULL);
}

static void on_stun_resolved(void* user, const rtc_resolve_result* result) {
  ice_stun_lookup* l = user;
  rtc_ice_agent* agent = l->agent;
  ice_generation* gen = l->gen;
  stun_lookup_unlink(agent, l);
  if (result->error != RTC_OK) {
    stun_name_failed(agent, gen, &l->name, result->error);
  } else {
    /* The first address of each family: one request per base. */
    bool seen4 = false, seen6 = false;
    for (size_t i = 0; i < result->count; i++) {
      rtc_socket_address server = result->addresses[i];
      bool* seen = server.family == RTC_AF_INET ? &seen4 : &seen6;
      if (*seen)
        continue;
      *seen = true;
      server.port = l->name.port;
      if (!ice_address_prohibited(&server))
        srflx_from_bases(agent, gen, &server);
    }
  }
  rtc_free(l);
  if (gen->pending_srflx > 0)
    gen->pending_srflx--;
  ice_gather_check_done(agent, gen);
  ice_emit_state_changes(agent);
  ice_flush_events(agent);
}

static void start_stun_lookups(rtc_ice_agent* agent, ice_generation* gen) {
  for (size_t i = 0; i < agent->stun_name_count; i++) {
    ice_stun_lookup* l = rtc_calloc(1, sizeof(*l));
    if (!l)
      return;
    l->agent = agent;
    l->gen = gen;
    l->name = agent->stun_names[i];
    rtc_error err = rtc_socket_factory_resolve(
        agent->factory, agent->queue, l->name.host, RTC_AF_UNSPEC,
        on_stun_resolved, l, &l->request);
    if (err != RTC_OK) {
      stun_name_failed(agent, gen, &l->name, err);
      rtc_free(l);
      continue;
    }
    l->next = agent->stun_lookups;
    agent->stun_lookups = l;
    gen->pending_srflx++;
  }
}

void ice_stun_lookups_cancel(rtc_ice_agent* agent, const ice_generation* gen) {
  ice_stun_lookup** link = &agent->stun_lookups;
  while (*link) {
    ice_stun_lookup* l = *link;
    if (!gen || l->gen == gen) {
      *link = l->next;
      rtc_resolve_request_cancel(l->request);
      rtc_free(l);
    } else {
      link = &l->next;
    }
  }
}

rtc_error ice_gather_start(rtc_ice_agent* agent, ice_generation* gen) {
  gen->gather_started = true;
  set_gathering_state(agent, RTC_ICE_GATHERING_GATHERING);
  /* RFC 9429 §4.1.1 ICE candidate policy "relay" (and RFC 8828 mode 4):
   * only relay candidates may be gathered. The sockets are made all the
   * same: TURN over UDP leaves from them, and a later phase under "all"
   * may announce them. */
  bool relay_only = agent->config.transport_policy == RTC_ICE_POLICY_RELAY ||
                    agent->config.ip_handling == RTC_IP_HANDLING_RELAY_ONLY;
  if (!agent->bases_created)
    create_bases(agent);
  for (size_t i = 0; i < agent->base_count && !relay_only; i++) {
    ice_base* base = agent->bases[i];
    if (!base->socket)
      continue; /* a relay: below */
    /* The name is registered (and announced on the link) only once a host
     * candidate is gathered: never under the relay policy. */
    if (agent->config.obfuscate_host_addresses && !base->mdns_name[0])
      make_name(agent, base);
    ice_local* host = add_local(agent, gen, base, RTC_CANDIDATE_HOST,
                                &base->address, NULL, RTC_TCP_TYPE_NONE);
    if (!host)
      continue;
    announce(agent, gen, host);
    ice_pair_local_added(agent, gen, host);
    if (agent->config.tcp_candidates)
      gather_tcp(agent, gen, base);
    for (size_t s = 0; s < agent->stun_server_count; s++) {
      /* A server is asked from the bases that can reach it: same family,
       * and loopback only from loopback. */
      const rtc_socket_address* server = &agent->stun_servers[s];
      if (server->family == base->address.family &&
          rtc_socket_address_is_loopback(server) ==
              rtc_socket_address_is_loopback(&base->address))
        start_srflx(agent, gen, base, server);
    }
  }
  if (!relay_only)
    start_stun_lookups(agent, gen);
  ice_relays_gather(agent, gen);
  ice_gather_check_done(agent, gen);
  ice_checks_kick(agent);
  return RTC_OK;
}

void ice_gather_check_done(rtc_ice_agent* agent, ice_generation* gen) {
  if (!gen->gather_started || gen->gather_done || gen->pending_srflx > 0)
    return;
  gen->gather_done = true;
  if (gen != agent->current)
    return;
  ice_event e = {.kind = ICE_EVENT_END_OF_CANDIDATES};
  ice_emit(agent, &e);
  set_gathering_state(agent, RTC_ICE_GATHERING_COMPLETE);
}

static void srflx_done(rtc_ice_agent* agent, ice_transaction* tx) {
  ice_generation* gen = tx->gen;
  ice_transaction_free(agent, tx);
  if (gen->pending_srflx > 0)
    gen->pending_srflx--;
  ice_gather_check_done(agent, gen);
}

void ice_srflx_response(rtc_ice_agent* agent,
                        ice_transaction* tx,
                        const rtc_stun_message* msg) {
  ice_generation* gen = tx->gen;
  ice_base* base = tx->base;
  if (rtc_stun_class(msg->type) == RTC_STUN_CLASS_ERROR) {
    int code = 0;
    const char* reason = NULL;
    size_t reason_len = 0;
    char text[128] = "STUN error response";
    if (rtc_stun_get_error_code(msg, &code, &reason, &reason_len) == RTC_OK)
      snprintf(text, sizeof(text), "%.*s", (int)reason_len, reason);
    ice_srflx_failed(agent, tx, code, text);
    return;
  }
  rtc_socket_address mapped;
  if (rtc_stun_get_xor_mapped_address(msg, &mapped) != RTC_OK &&
      rtc_stun_get_mapped_address(msg, &mapped) != RTC_OK) {
    ice_srflx_failed(agent, tx, 0, "no mapped address in the response");
    return;
  }
  mapped = rtc_socket_address_unmapped(&mapped);
  /* RFC 8445 §5.1.3: a reflexive candidate equal to its base is redundant,
   * unless the host address is hidden (IP-04: then it tells the peer the
   * public address the name stands for). A hidden private or link-local
   * address is never signaled, though, even when a STUN server on the LAN
   * reflects it (IP-05, RFC 8828 mode 3); loopback tells nothing. */
  bool hidden = base->mdns_name[0] || !base->announce_host;
  bool revealing = rtc_socket_address_is_private(&base->address) ||
                   rtc_socket_address_is_link_local(&base->address);
  bool redundant = rtc_socket_address_equal(&mapped, &base->address) &&
                   (!hidden || revealing);
  for (size_t i = 0; i < gen->local_count && !redundant; i++) {
    const ice_local* l = gen->locals[i];
    redundant = l->base == base && l->c.type == RTC_CANDIDATE_SRFLX &&
                rtc_socket_address_equal(&l->address, &mapped);
  }
  if (!redundant && mapped.family == base->address.family) {
    ice_local* l = add_local(agent, gen, base, RTC_CANDIDATE_SRFLX, &mapped,
                             &tx->destination, RTC_TCP_TYPE_NONE);
    if (l)
      announce(agent, gen, l);
  }
  srflx_done(agent, tx);
}

void ice_srflx_failed(rtc_ice_agent* agent,
                      ice_transaction* tx,
                      int code,
                      const char* text) {
  char server[RTC_SOCKET_ADDRESS_STRLEN];
  char url[RTC_ICE_URL_SIZE];
  rtc_socket_address_format(&tx->destination, server, sizeof(server));
  snprintf(url, sizeof(url), "stun:%s", server);
  ice_emit_candidate_error(agent, tx->gen, &tx->destination, url, code, text,
                           tx->base);
  srflx_done(agent, tx);
}

void ice_emit_candidate_error(rtc_ice_agent* agent,
                              const ice_generation* gen,
                              const rtc_socket_address* server,
                              const char* url,
                              int code,
                              const char* text,
                              const ice_base* base) {
  if (gen != agent->current)
    return;
  ice_event e = {.kind = ICE_EVENT_CANDIDATE_ERROR};
  if (server)
    e.u.error.server = *server;
  snprintf(e.u.error.url, sizeof(e.u.error.url), "%s", url);
  e.u.error.error_code = code;
  snprintf(e.u.error.error_text, sizeof(e.u.error.error_text), "%s", text);
  /* webrtc-pc: the address is given only when it is exposed (a host
   * candidate signaled as an IP; never under the relay policy). */
  if (base && !base->mdns_name[0] && base->announce_host &&
      agent->config.transport_policy != RTC_ICE_POLICY_RELAY)
    e.u.error.local = base->address;
  ice_emit(agent, &e);
}
