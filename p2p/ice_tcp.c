/*
 * ICE-TCP (RFC 6544): host TCP candidates and the connections that carry
 * checks and data between them.
 *
 *   - Each host base gets a listener on its address: the passive candidate
 *     (its port); and an active candidate, port 9 (§4.5: "the port number
 *     MUST be set to 9 (discard)"). No simultaneous-open ("so") ones.
 *   - A remote passive candidate gets a connection from each base with an
 *     active candidate (§6.2: active pairs with passive only); a remote
 *     active candidate is never connected to: its connection comes to our
 *     listener, and the first check on it makes a peer-reflexive remote
 *     candidate (§7.2).
 *   - Each connection is a base of its own (`ice_base.tcp`) whose socket is
 *     an RFC 4571 framed socket (p2p/framed_socket.h): checks, consent and
 *     data go over it like over UDP, each packet in a frame (§3).
 *   - Connections are bounded (ICE_MAX_TCP_CONNECTIONS, slots reused once
 *     no pair needs them); an accepted one that carries no valid check for
 *     ICE_TCP_IDLE_TIMEOUT_US is closed; a closed one fails its pairs.
 */
#include <stdio.h>
#include <string.h>

#include "p2p/framed_socket.h"
#include "p2p/ice_agent_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"

/* RFC 6544 §4.2: local preference = 2^13 * direction-pref + other-pref,
 * direction-pref 6 (active), 4 (passive) for host candidates; other-pref
 * tells the bases apart (highest for the first). */
static uint32_t tcp_local_preference(const ice_base* host, rtc_tcp_type type) {
  uint32_t direction = type == RTC_TCP_TYPE_ACTIVE ? 6 : 4;
  uint32_t other = host->local_preference & 0x1FFF;
  return (direction << 13) | other;
}

static uint32_t tcp_priority(uint32_t type_preference,
                             uint32_t local_preference) {
  /* RFC 8445 §5.1.2.1, component 1. */
  return (type_preference << 24) | (local_preference << 8) | 255;
}

static void add_tcp_local(rtc_ice_agent* agent,
                          ice_generation* gen,
                          ice_base* host,
                          rtc_tcp_type type,
                          uint16_t port) {
  if (gen->local_count == ICE_MAX_LOCAL)
    return;
  ice_local* l = rtc_calloc(1, sizeof(*l));
  if (!l)
    return;
  l->base = host;
  l->address = host->address;
  l->address.port = port;
  rtc_candidate* c = &l->c;
  rtc_candidate_init(c);
  rtc_candidate_foundation(RTC_CANDIDATE_HOST, RTC_ICE_PROTOCOL_TCP,
                           &host->address, NULL, c->foundation);
  c->component = 1;
  c->protocol = RTC_ICE_PROTOCOL_TCP;
  c->tcp_type = type;
  c->type = RTC_CANDIDATE_HOST;
  c->priority = tcp_priority(ICE_TYPE_PREFERENCE_HOST_TCP,
                             tcp_local_preference(host, type));
  snprintf(c->ufrag, sizeof(c->ufrag), "%s", gen->local_ufrag);
  if (host->mdns_name[0]) {
    rtc_socket_address_clear(&c->address);
    c->address.port = port;
    snprintf(c->hostname, sizeof(c->hostname), "%s", host->mdns_name);
  } else {
    c->address = l->address;
  }
  gen->locals[gen->local_count++] = l;
  if (gen == agent->current && host->announce_host) {
    ice_event e = {.kind = ICE_EVENT_CANDIDATE, .u.candidate = l->c};
    ice_emit(agent, &e);
  }
}

static ice_local* tcp_local(ice_generation* gen,
                            const ice_base* host,
                            rtc_tcp_type type) {
  for (size_t i = 0; i < gen->local_count; i++) {
    ice_local* l = gen->locals[i];
    if (l->base == host && l->c.protocol == RTC_ICE_PROTOCOL_TCP &&
        l->c.tcp_type == type)
      return l;
  }
  return NULL;
}

/* --- Connection bases --- */

/* A slot for a connection: a new one, or one whose connection is over and
 * that no pair uses any more. */
static ice_base* connection_slot(rtc_ice_agent* agent) {
  size_t live = 0;
  ice_base* reusable = NULL;
  for (size_t i = 0; i < agent->base_count; i++) {
    ice_base* b = &agent->bases[i];
    if (!b->tcp)
      continue;
    if (!b->tcp_dead)
      live++;
    else if (!reusable && !b->socket && !b->connecting &&
             !ice_base_in_use(agent, b))
      reusable = b;
  }
  if (live >= ICE_MAX_TCP_CONNECTIONS)
    return NULL;
  if (reusable)
    return reusable;
  if (agent->base_count == ICE_MAX_BASES)
    return NULL;
  return &agent->bases[agent->base_count++];
}

static void close_connection(rtc_ice_agent* agent, ice_base* b) {
  (void)agent;
  b->tcp_dead = true;
  rtc_stream_socket_destroy(b->connecting);
  b->connecting = NULL;
  rtc_packet_socket_destroy(b->socket);
  b->socket = NULL;
}

static void dead_task(void* arg) {
  ice_base* b = arg;
  rtc_ice_agent* agent = b->agent;
  if (b->tcp_dead && (b->socket || b->connecting))
    close_connection(agent, b);
}

void ice_tcp_closed(rtc_ice_agent* agent, ice_base* b) {
  if (b->tcp_dead)
    return;
  b->tcp_dead = true;
  char text[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_socket_address_format(&b->peer, text, sizeof(text));
  RTC_LOG(INFO, "ICE-TCP: connection with %s over", text);
  ice_base_failed(agent, b);
  /* Not from inside the socket's own callback. */
  rtc_task task = {dead_task, NULL, b};
  rtc_task_queue_post_guarded(agent->queue, agent->flag, 0, task);
}

static ice_base* new_connection(rtc_ice_agent* agent,
                                ice_base* host,
                                rtc_tcp_type type,
                                const rtc_socket_address* peer) {
  ice_base* b = connection_slot(agent);
  if (!b) {
    RTC_LOG(WARNING, "ICE-TCP: too many connections");
    return NULL;
  }
  memset(b, 0, sizeof(*b));
  b->agent = agent;
  b->tcp = true;
  b->tcp_type = type;
  b->parent = host;
  b->iface = host->iface;
  b->address = host->address;
  b->peer = *peer;
  b->local_preference = tcp_local_preference(host, type);
  b->announce_host = host->announce_host;
  snprintf(b->mdns_name, sizeof(b->mdns_name), "%s", host->mdns_name);
  return b;
}

static void active_connected(void* user, rtc_stream_socket* stream) {
  ice_base* b = user;
  rtc_ice_agent* agent = b->agent;
  b->connecting = NULL;
  rtc_socket_address local;
  if (rtc_stream_socket_local_address(stream, &local) == RTC_OK)
    b->address = local;
  /* The framed socket takes the stream over (and destroys it on
   * failure). */
  if (rtc_framed_socket_create(stream, &kIceSocketObserver, b, &b->socket) !=
      RTC_OK) {
    b->socket = NULL;
    ice_tcp_closed(agent, b);
    ice_emit_state_changes(agent);
    ice_flush_events(agent);
    return;
  }
  ice_base_ready(agent, b);
  ice_emit_state_changes(agent);
  ice_flush_events(agent);
}

static void active_data(void* user,
                        rtc_stream_socket* stream,
                        const uint8_t* data,
                        size_t size) {
  /* Nothing arrives before on_connected hands the stream over. */
  (void)user;
  (void)stream;
  (void)data;
  (void)size;
}

static void active_closed(void* user, rtc_stream_socket* stream, rtc_error e) {
  ice_base* b = user;
  rtc_ice_agent* agent = b->agent;
  (void)stream;
  (void)e;
  ice_tcp_closed(agent, b);
  ice_emit_state_changes(agent);
  ice_flush_events(agent);
}

static const rtc_stream_socket_observer kActiveObserver = {
    .on_connected = active_connected,
    .on_data = active_data,
    .on_closed = active_closed,
};

static bool reachable(const ice_base* host, const rtc_socket_address* peer) {
  return host->address.family == peer->family &&
         rtc_socket_address_is_loopback(&host->address) ==
             rtc_socket_address_is_loopback(peer) &&
         rtc_socket_address_is_link_local(&host->address) ==
             rtc_socket_address_is_link_local(peer);
}

/* Our active candidate of `host` with the peer's passive `remote`: one
 * connection, one pair. */
static void connect_to(rtc_ice_agent* agent,
                       ice_generation* gen,
                       ice_base* host,
                       ice_remote* remote) {
  if (!reachable(host, &remote->address) ||
      ice_address_prohibited(&remote->address))
    return;
  /* One connection per (base, peer address), shared by generations. */
  for (size_t i = 0; i < agent->base_count; i++) {
    ice_base* b = &agent->bases[i];
    if (b->tcp && !b->tcp_dead && b->parent == host &&
        b->tcp_type == RTC_TCP_TYPE_ACTIVE &&
        rtc_socket_address_equal(&b->peer, &remote->address)) {
      ice_add_pair(agent, gen, b, remote);
      return;
    }
  }
  ice_base* b =
      new_connection(agent, host, RTC_TCP_TYPE_ACTIVE, &remote->address);
  if (!b)
    return;
  rtc_socket_address local = host->address;
  local.port = 0;
  rtc_error err = rtc_socket_factory_connect_tcp(
      agent->factory, agent->queue, &local, &remote->address, &kActiveObserver,
      b, &b->connecting);
  if (err != RTC_OK) {
    b->connecting = NULL;
    b->tcp_dead = true;
    return;
  }
  /* The pair waits (its first check is held in the framed socket's
   * place: sends fail until the connection is up, ice_base_ready then
   * checks at once). */
  ice_add_pair(agent, gen, b, remote);
}

void ice_tcp_remote_added(rtc_ice_agent* agent,
                          ice_generation* gen,
                          ice_remote* remote) {
  if (remote->c.tcp_type != RTC_TCP_TYPE_PASSIVE)
    return; /* §6.2: active and so ones come to us (so: not supported) */
  for (size_t i = 0; i < agent->base_count; i++) {
    ice_base* host = &agent->bases[i];
    if (host->listener && tcp_local(gen, host, RTC_TCP_TYPE_ACTIVE))
      connect_to(agent, gen, host, remote);
  }
}

/* --- Passive side --- */

static void schedule_idle(rtc_ice_agent* agent) {
  int64_t next = INT64_MAX;
  for (size_t i = 0; i < agent->base_count; i++) {
    const ice_base* b = &agent->bases[i];
    if (b->tcp && !b->tcp_dead && b->tcp_type == RTC_TCP_TYPE_PASSIVE &&
        !ice_base_in_use(agent, b) &&
        b->accepted_us + ICE_TCP_IDLE_TIMEOUT_US < next)
      next = b->accepted_us + ICE_TCP_IDLE_TIMEOUT_US;
  }
  if (next == INT64_MAX)
    rtc_timer_stop(&agent->tcp_idle_timer);
  else
    rtc_timer_start_at(&agent->tcp_idle_timer, next);
}

void ice_tcp_on_idle_timer(void* arg) {
  rtc_ice_agent* agent = arg;
  int64_t now = ice_now(agent);
  for (size_t i = 0; i < agent->base_count; i++) {
    ice_base* b = &agent->bases[i];
    if (b->tcp && !b->tcp_dead && b->tcp_type == RTC_TCP_TYPE_PASSIVE &&
        !ice_base_in_use(agent, b) &&
        now >= b->accepted_us + ICE_TCP_IDLE_TIMEOUT_US) {
      RTC_LOG(INFO, "ICE-TCP: an accepted connection carried no check");
      close_connection(agent, b);
    }
  }
  schedule_idle(agent);
}

static void on_accept(void* user,
                      rtc_stream_listener* listener,
                      rtc_stream_socket* stream) {
  ice_base* host = user;
  rtc_ice_agent* agent = host->agent;
  (void)listener;
  rtc_socket_address peer;
  ice_base* b = NULL;
  if (rtc_stream_socket_remote_address(stream, &peer) == RTC_OK)
    b = new_connection(agent, host, RTC_TCP_TYPE_PASSIVE, &peer);
  if (!b) {
    rtc_stream_socket_destroy(stream);
    return;
  }
  rtc_socket_address local;
  if (rtc_stream_socket_local_address(stream, &local) == RTC_OK)
    b->address = local;
  b->accepted_us = ice_now(agent);
  if (rtc_framed_socket_create(stream, &kIceSocketObserver, b, &b->socket) !=
      RTC_OK) {
    b->socket = NULL;
    b->tcp_dead = true;
    return;
  }
  schedule_idle(agent);
}

static const rtc_stream_listener_observer kListenerObserver = {
    .on_accept = on_accept,
};

void ice_tcp_gather(rtc_ice_agent* agent, ice_generation* gen, ice_base* host) {
  if (!agent->config.tcp_candidates || host->relay || host->tcp)
    return;
  if (!host->listener) {
    rtc_socket_address bind = host->address;
    bind.port = 0;
    if (rtc_socket_factory_listen_tcp(agent->factory, agent->queue, &bind,
                                      &kListenerObserver, host,
                                      &host->listener) != RTC_OK) {
      host->listener = NULL;
      return; /* no TCP here: no TCP candidates */
    }
  }
  rtc_socket_address bound;
  if (rtc_stream_listener_local_address(host->listener, &bound) != RTC_OK)
    return;
  add_tcp_local(agent, gen, host, RTC_TCP_TYPE_PASSIVE, bound.port);
  add_tcp_local(agent, gen, host, RTC_TCP_TYPE_ACTIVE, 9);
  /* Remote passive candidates already known. */
  for (size_t i = 0; i < gen->remote_count; i++) {
    ice_remote* r = gen->remotes[i];
    if (r->resolved && r->c.protocol == RTC_ICE_PROTOCOL_TCP &&
        r->c.tcp_type == RTC_TCP_TYPE_PASSIVE)
      connect_to(agent, gen, host, r);
  }
}

void ice_tcp_destroy(rtc_ice_agent* agent) {
  rtc_timer_stop(&agent->tcp_idle_timer);
  for (size_t i = 0; i < agent->base_count; i++) {
    ice_base* b = &agent->bases[i];
    rtc_stream_listener_destroy(b->listener);
    b->listener = NULL;
    if (b->tcp)
      close_connection(agent, b);
  }
}
