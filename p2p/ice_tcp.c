/*
 * ICE-TCP (RFC 6544): TCP host candidates and the connections that carry
 * TCP pairs.
 *
 *   - Each UDP host base gets a listener on its address: the passive
 *     candidate's port. The active candidate (port 9) has no socket of its
 *     own: it connects.
 *   - Local active with remote passive (§6.2): one connection per pair,
 *     from the host base's address to the remote candidate, made when the
 *     pair is formed; its checks wait for it (a check sent while it
 *     connects is lost, and sent again once it is up).
 *   - Local passive with remote active: the peer connects; each accepted
 *     connection is a base with no pair until its first check, which
 *     makes a peer-reflexive remote candidate (its source) and the pair
 *     (§7.2, ice_checks.c process_request).
 *   - Every connection is an ice_base of its own (base->tcp), framed by
 *     RFC 4571 (p2p/framed_socket.h): ice_base_send writes one frame;
 *     what arrives goes to ice_receive like a datagram.
 *
 * Limits: ICE_TCP_MAX_CONNECTIONS at once; accepted connections that have
 * not carried an authenticated check at most ICE_TCP_MAX_UNCHECKED, each
 * closed when its first packet is anything else, or when it has no pair
 * ICE_TCP_IDLE_TIMEOUT_US after it came. Buffering is the framed socket's
 * (one frame each way) and the stream socket's (RTC_STREAM_SEND_BUFFER);
 * a full stream refuses packets (RTC_ERR_WOULD_BLOCK, then on_writable).
 *
 * A connection that closes fails its pairs (the selected one loses
 * consent at once). Sockets are destroyed and connections freed only from
 * the agent's tcp_timer (never inside a socket's callback), a connection
 * once no pair of the current or previous generation refers to it.
 */
#include <string.h>

#include "p2p/framed_socket.h"
#include "p2p/ice_agent_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"

struct ice_tcp_conn {
  ice_base base;  /* first: pairs refer to it */
  ice_base* host; /* the UDP host base whose address it uses */
  /* The direction of our candidate: ACTIVE, we connected; PASSIVE, we
   * accepted. */
  rtc_tcp_type type;
  rtc_stream_socket* stream; /* connecting (active ones), or NULL */
  rtc_packet_socket* framed; /* once up, or NULL */
  rtc_socket_address remote; /* the peer's end */
  int64_t created_us;
  bool checked; /* an authenticated check came on it */
  /* Over: its pairs failed, its sockets go at the next sweep. */
  bool closed;
};

static const rtc_packet_socket_observer kFramedObserver;
static const rtc_stream_socket_observer kConnectObserver;

/* RFC 6544 §4.2: local preference = 2^13 * direction-pref + other-pref.
 * Host candidates: direction-pref 6 for active, 4 for passive, 2 for
 * simultaneous-open (active first: it needs no hole in the peer's
 * firewall for our side's connection, and connects as soon as the peer's
 * passive candidate is known). other-pref: the 13 low bits of the host
 * base's local preference (65535 - index: 8191 - index), distinct per
 * address as the RFC requires. The type preference (90 for a host TCP
 * candidate, 80 for the peer-reflexive one a check claims, as libwebrtc
 * has them) keeps every TCP candidate below the UDP host (126), prflx
 * (110) and srflx (100) ones, and above relayed ones (0): TCP is the way
 * through a firewall that stops UDP, never the first choice. */
uint32_t ice_tcp_priority(uint32_t type_preference,
                          rtc_tcp_type tcp_type,
                          const ice_base* host) {
  uint32_t direction = tcp_type == RTC_TCP_TYPE_ACTIVE    ? 6
                       : tcp_type == RTC_TCP_TYPE_PASSIVE ? 4
                                                          : 2;
  uint32_t local_preference =
      (direction << 13) | (host->local_preference & 0x1fff);
  return (type_preference << 24) | (local_preference << 8) | (256 - 1);
}

uint32_t ice_tcp_check_priority(const ice_base* base) {
  const ice_tcp_conn* conn = base->tcp;
  return ice_tcp_priority(ICE_TCP_PRFLX_TYPE_PREFERENCE, conn->type,
                          conn->host);
}

ice_local* ice_tcp_local_for_conn(ice_generation* gen, const ice_base* base) {
  const ice_tcp_conn* conn = base->tcp;
  for (size_t i = 0; i < gen->local_count; i++) {
    ice_local* l = gen->locals[i];
    if (l->base == conn->host && l->c.protocol == RTC_ICE_PROTOCOL_TCP &&
        l->c.tcp_type == conn->type)
      return l;
  }
  return NULL;
}

/* --- Connections --- */

static size_t count_unchecked(const rtc_ice_agent* agent) {
  size_t n = 0;
  for (size_t i = 0; i < agent->tcp_conn_count; i++) {
    const ice_tcp_conn* c = agent->tcp_conns[i];
    n += c->type == RTC_TCP_TYPE_PASSIVE && !c->checked && !c->closed;
  }
  return n;
}

static ice_tcp_conn* conn_new(rtc_ice_agent* agent,
                              ice_base* host,
                              rtc_tcp_type type) {
  if (agent->tcp_conn_count == ICE_TCP_MAX_CONNECTIONS)
    return NULL;
  ice_tcp_conn* conn = rtc_calloc(1, sizeof(*conn));
  if (!conn)
    return NULL;
  conn->base.agent = agent;
  conn->base.tcp = conn;
  conn->base.address = host->address;
  conn->base.address.port = 0;
  conn->base.iface = host->iface;
  conn->base.local_preference = host->local_preference;
  conn->base.announce_host = host->announce_host;
  conn->host = host;
  conn->type = type;
  conn->created_us = ice_now(agent);
  agent->tcp_conns[agent->tcp_conn_count++] = conn;
  return conn;
}

/* Which pair of a generation runs on the connection. */
static bool conn_used(const rtc_ice_agent* agent, const ice_tcp_conn* conn) {
  const ice_generation* gens[2] = {agent->current, agent->previous};
  for (int g = 0; g < 2; g++) {
    for (size_t i = 0; gens[g] && i < gens[g]->pair_count; i++) {
      if (gens[g]->pairs[i]->base == &conn->base)
        return true;
    }
  }
  return false;
}

static void close_sockets(ice_tcp_conn* conn) {
  rtc_packet_socket_destroy(conn->framed);
  conn->framed = NULL;
  rtc_stream_socket_destroy(conn->stream);
  conn->stream = NULL;
}

/* Frees an unused connection (nothing may refer to it but early requests
 * of a generation without remote credentials yet: they go too). */
static void conn_free(rtc_ice_agent* agent, size_t index) {
  ice_tcp_conn* conn = agent->tcp_conns[index];
  close_sockets(conn);
  ice_generation* gens[2] = {agent->current, agent->previous};
  for (int g = 0; g < 2; g++) {
    ice_generation* gen = gens[g];
    if (!gen)
      continue;
    size_t kept = 0;
    for (size_t i = 0; i < gen->early_count; i++) {
      if (gen->early[i].base != &conn->base)
        gen->early[kept++] = gen->early[i];
    }
    gen->early_count = kept;
  }
  ice_transaction** link = &agent->transactions;
  while (*link) {
    ice_transaction* tx = *link;
    if (tx->base == &conn->base) {
      ice_transaction_free(agent, tx);
    } else {
      link = &tx->next;
    }
  }
  agent->tcp_conns[index] = agent->tcp_conns[--agent->tcp_conn_count];
  rtc_free(conn);
}

/* The connection is over: its pairs fail; the sockets go at the sweep. */
static void conn_closed(ice_tcp_conn* conn, rtc_error why) {
  rtc_ice_agent* agent = conn->base.agent;
  if (conn->closed)
    return;
  conn->closed = true;
  char text[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_socket_address_format(&conn->remote, text, sizeof(text));
  RTC_LOG(INFO, "ICE: TCP connection (%s) with %s closed: %s",
          conn->type == RTC_TCP_TYPE_ACTIVE ? "made" : "accepted", text,
          rtc_error_name(why));
  ice_generation* gens[2] = {agent->current, agent->previous};
  for (int g = 0; g < 2; g++) {
    ice_generation* gen = gens[g];
    for (size_t i = 0; gen && i < gen->pair_count; i++) {
      ice_pair* p = gen->pairs[i];
      if (p->base == &conn->base && p->state != ICE_PAIR_FAILED)
        ice_pair_transport_closed(agent, p);
    }
  }
  ice_tcp_sweep_soon(agent);
}

void ice_tcp_sweep_soon(rtc_ice_agent* agent) {
  if (agent->tcp_conn_count > 0)
    rtc_timer_start_before(&agent->tcp_timer, ice_now(agent));
}

void ice_on_tcp_timer(void* arg) {
  rtc_ice_agent* agent = arg;
  int64_t now = ice_now(agent);
  int64_t next = INT64_MAX;
  for (size_t i = agent->tcp_conn_count; i-- > 0;) {
    ice_tcp_conn* conn = agent->tcp_conns[i];
    bool used = conn_used(agent, conn);
    if (!conn->closed && !used) {
      if (conn->type == RTC_TCP_TYPE_ACTIVE) {
        /* Its pair was pruned, or its generation is over. */
        conn_closed(conn, RTC_OK);
      } else if (now - conn->created_us >= ICE_TCP_IDLE_TIMEOUT_US) {
        /* Accepted, and no pair came of it in time: a silent or bogus
         * peer must not hold the socket. */
        conn_closed(conn, RTC_ERR_TIMEOUT);
      } else if (conn->created_us + ICE_TCP_IDLE_TIMEOUT_US < next) {
        next = conn->created_us + ICE_TCP_IDLE_TIMEOUT_US;
      }
    }
    if (!conn->closed)
      continue;
    if (used) {
      /* Its failed pairs still name it: the sockets go now, the base
       * when they do. */
      close_sockets(conn);
    } else {
      conn_free(agent, i);
    }
  }
  if (next != INT64_MAX)
    rtc_timer_start_at(&agent->tcp_timer, next);
  ice_emit_state_changes(agent);
  ice_flush_events(agent);
}

/* Sends the checks in flight on a connection that just came up: what was
 * sent while it connected is lost. */
static void resend_checks(rtc_ice_agent* agent, ice_base* base) {
  for (ice_transaction* tx = agent->transactions; tx; tx = tx->next) {
    if (tx->base == base && !tx->cancelled)
      ice_send_stun(base, &tx->destination, tx->message, tx->length);
  }
}

/* Delivers the agent's events after a socket callback; false when the
 * agent was destroyed meanwhile. */
static bool after_callback(rtc_ice_agent* agent) {
  ice_emit_state_changes(agent);
  return ice_flush_events(agent);
}

static void on_connect_connected(void* user, rtc_stream_socket* stream) {
  ice_tcp_conn* conn = user;
  rtc_ice_agent* agent = conn->base.agent;
  conn->stream = NULL;
  /* The framed socket takes the stream (and destroys it on failure). */
  rtc_error err =
      rtc_framed_socket_create(stream, &kFramedObserver, conn, &conn->framed);
  if (err != RTC_OK) {
    conn->framed = NULL;
    conn_closed(conn, err);
    after_callback(agent);
    return;
  }
  rtc_socket_address local;
  if (rtc_stream_socket_local_address(stream, &local) == RTC_OK)
    conn->base.address = local;
  resend_checks(agent, &conn->base);
  after_callback(agent);
}

static void on_connect_data(void* user,
                            rtc_stream_socket* stream,
                            const uint8_t* data,
                            size_t size) {
  /* Nothing arrives before on_connected. */
  (void)user;
  (void)stream;
  (void)data;
  (void)size;
}

static void on_connect_closed(void* user,
                              rtc_stream_socket* stream,
                              rtc_error error) {
  ice_tcp_conn* conn = user;
  (void)stream;
  conn_closed(conn, error == RTC_OK ? RTC_ERR_CLOSED : error);
  after_callback(conn->base.agent);
}

static const rtc_stream_socket_observer kConnectObserver = {
    .on_connected = on_connect_connected,
    .on_data = on_connect_data,
    .on_closed = on_connect_closed,
};

static void on_framed_packets(void* user,
                              rtc_packet_socket* socket,
                              const rtc_received_packet* packets,
                              size_t count) {
  ice_tcp_conn* conn = user;
  rtc_ice_agent* agent = conn->base.agent;
  (void)socket;
  bool destroyed = false;
  for (size_t i = 0; i < count && !destroyed && !conn->closed; i++) {
    const rtc_received_packet* p = &packets[i];
    bool must_check = conn->type == RTC_TCP_TYPE_PASSIVE && !conn->checked;
    /* An accepted connection starts with the peer's check (RFC 6544
     * §7.1: the active side checks first); anything else, or a check
     * that does not authenticate, says it is not the peer. */
    if (must_check && rtc_demux_classify(p->data, p->size) != RTC_PACKET_STUN) {
      conn_closed(conn, RTC_ERR_MALFORMED);
      break;
    }
    ice_receive(agent, &conn->base, p, &destroyed);
    if (!destroyed && must_check && !conn->checked)
      conn_closed(conn, RTC_ERR_MALFORMED);
  }
  if (!destroyed)
    after_callback(agent);
}

static void on_framed_writable(void* user, rtc_packet_socket* socket) {
  ice_tcp_conn* conn = user;
  (void)socket;
  ice_base_writable(conn->base.agent, &conn->base);
}

static void on_framed_closed(void* user,
                             rtc_packet_socket* socket,
                             rtc_error error) {
  ice_tcp_conn* conn = user;
  (void)socket;
  conn_closed(conn, error);
  after_callback(conn->base.agent);
}

static const rtc_packet_socket_observer kFramedObserver = {
    .on_packets = on_framed_packets,
    .on_writable = on_framed_writable,
    .on_closed = on_framed_closed,
};

void ice_tcp_checked(ice_base* base) {
  base->tcp->checked = true;
}

rtc_error ice_tcp_send(ice_base* base,
                       const rtc_socket_address* to,
                       const uint8_t* data,
                       size_t size) {
  ice_tcp_conn* conn = base->tcp;
  if (conn->closed)
    return RTC_ERR_CLOSED;
  /* Still connecting: lost like a datagram (checks are sent again once
   * the connection is up). */
  if (!conn->framed)
    return RTC_ERR_WOULD_BLOCK;
  if (!rtc_socket_address_equal(to, &conn->remote))
    return RTC_ERR_INVALID_ARGUMENT;
  return rtc_packet_socket_send_to(conn->framed, data, size, to);
}

/* --- Active: connecting to remote passive candidates (§6.2) --- */

/* What we never connect to: the destinations no ICE packet goes to
 * (ICE-09), and, since a page chooses both the port and much of what is
 * written (the ufrag in every check), ports below 1024 but 80 and 443,
 * where other protocols listen (as for TURN servers). */
bool ice_tcp_port_allowed(uint16_t port) {
  return (port >= 1024 || port == 80 || port == 443) &&
         !ice_port_prohibited(port);
}

static bool connect_allowed(const rtc_socket_address* to) {
  return ice_tcp_port_allowed(to->port) && !ice_address_prohibited(to) &&
         !rtc_socket_address_is_any(to);
}

static bool has_active_pair(const ice_generation* gen,
                            const ice_base* host,
                            const ice_remote* remote) {
  for (size_t i = 0; i < gen->pair_count; i++) {
    const ice_pair* p = gen->pairs[i];
    if (p->remote == remote && p->base->tcp && p->base->tcp->host == host &&
        p->base->tcp->type == RTC_TCP_TYPE_ACTIVE)
      return true;
  }
  return false;
}

static void connect_pair(rtc_ice_agent* agent,
                         ice_generation* gen,
                         ice_local* local,
                         ice_remote* remote) {
  ice_base* host = local->base;
  if (!remote->resolved || remote->c.tcp_type != RTC_TCP_TYPE_PASSIVE ||
      has_active_pair(gen, host, remote) ||
      !ice_addresses_compatible(&host->address, &remote->address) ||
      !connect_allowed(&remote->address))
    return;
  ice_tcp_conn* conn = conn_new(agent, host, RTC_TCP_TYPE_ACTIVE);
  if (!conn) {
    RTC_LOG(INFO, "ICE: no room for another TCP connection");
    return;
  }
  conn->remote = remote->address;
  ice_pair* pair = ice_add_pair(agent, gen, &conn->base, remote);
  if (!pair) {
    conn_free(agent, agent->tcp_conn_count - 1);
    return;
  }
  rtc_socket_address from = host->address;
  from.port = 0;
  rtc_error err = rtc_socket_factory_connect_tcp(
      agent->factory, agent->queue, &from, &remote->address, &kConnectObserver,
      conn, &conn->stream);
  if (err != RTC_OK) {
    conn->stream = NULL;
    conn_closed(conn, err);
  }
}

void ice_tcp_local_added(rtc_ice_agent* agent,
                         ice_generation* gen,
                         ice_local* local) {
  if (local->c.tcp_type != RTC_TCP_TYPE_ACTIVE)
    return; /* passive: the peer connects */
  for (size_t i = 0; i < gen->remote_count; i++) {
    ice_remote* r = gen->remotes[i];
    if (r->c.protocol == RTC_ICE_PROTOCOL_TCP)
      connect_pair(agent, gen, local, r);
  }
}

void ice_tcp_pair_remote(rtc_ice_agent* agent,
                         ice_generation* gen,
                         ice_remote* remote) {
  if (remote->c.tcp_type != RTC_TCP_TYPE_PASSIVE)
    return; /* active: it connects to us */
  for (size_t i = 0; i < gen->local_count; i++) {
    ice_local* l = gen->locals[i];
    if (l->c.protocol == RTC_ICE_PROTOCOL_TCP &&
        l->c.tcp_type == RTC_TCP_TYPE_ACTIVE)
      connect_pair(agent, gen, l, remote);
  }
}

/* --- Passive: the listener --- */

static void on_accept(void* user,
                      rtc_stream_listener* listener,
                      rtc_stream_socket* stream) {
  ice_base* host = user;
  rtc_ice_agent* agent = host->agent;
  (void)listener;
  rtc_socket_address peer;
  if (count_unchecked(agent) >= ICE_TCP_MAX_UNCHECKED ||
      rtc_stream_socket_remote_address(stream, &peer) != RTC_OK) {
    RTC_LOG(INFO, "ICE: a TCP connection refused (limit)");
    rtc_stream_socket_destroy(stream);
    return;
  }
  ice_tcp_conn* conn = conn_new(agent, host, RTC_TCP_TYPE_PASSIVE);
  if (!conn) {
    RTC_LOG(INFO, "ICE: a TCP connection refused (limit)");
    rtc_stream_socket_destroy(stream);
    return;
  }
  conn->remote = peer;
  rtc_socket_address local;
  if (rtc_stream_socket_local_address(stream, &local) == RTC_OK)
    conn->base.address = local;
  if (rtc_framed_socket_create(stream, &kFramedObserver, conn, &conn->framed) !=
      RTC_OK) {
    conn->framed = NULL;
    conn_free(agent, agent->tcp_conn_count - 1);
    return;
  }
  rtc_timer_start_before(&agent->tcp_timer,
                         conn->created_us + ICE_TCP_IDLE_TIMEOUT_US);
}

static const rtc_stream_listener_observer kListenerObserver = {
    .on_accept = on_accept,
};

rtc_error ice_tcp_listen(rtc_ice_agent* agent, ice_base* host) {
  if (host->tcp_listener)
    return RTC_OK;
  rtc_socket_address local = host->address;
  local.port = 0;
  rtc_error err = rtc_socket_factory_listen_tcp(agent->factory, agent->queue,
                                                &local, &kListenerObserver,
                                                host, &host->tcp_listener);
  if (err != RTC_OK)
    host->tcp_listener = NULL;
  return err;
}

void ice_tcp_destroy(rtc_ice_agent* agent) {
  /* The generations and transactions are gone already. */
  for (size_t i = 0; i < agent->tcp_conn_count; i++) {
    close_sockets(agent->tcp_conns[i]);
    rtc_free(agent->tcp_conns[i]);
  }
  agent->tcp_conn_count = 0;
  for (size_t i = 0; i < agent->base_count; i++) {
    rtc_stream_listener_destroy(agent->bases[i]->tcp_listener);
    agent->bases[i]->tcp_listener = NULL;
  }
  rtc_timer_stop(&agent->tcp_timer);
}
