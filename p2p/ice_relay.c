/*
 * ICE relays: one TURN allocation (RFC 8656) per configured TURN server,
 * the base of a relayed candidate. The TURN client (p2p/turn_client.h) is
 * sans-I/O; this file gives it its transport and its time:
 *   - UDP: the datagrams go out of a host base's socket, and what comes
 *     back from the server's address to that socket comes here
 *     (ice_relay_take_datagram);
 *   - TCP: a connection from the host base's address to the server, the
 *     client reading the stream;
 *   - TLS: the same connection with an rtc_tls_stream between them, the
 *     server's certificate verified against the configured CAs and name.
 *
 * Data from peers (Data indications, ChannelData) is what arrives on the
 * relay base: ICE checks and DTLS, demultiplexed as for a socket. The
 * client's callbacks may not re-enter it, so they only record: what they
 * recorded is handled once the client call returns (relay_process).
 */
#include <stdio.h>
#include <string.h>

#include "p2p/ice_agent_internal.h"
#include "p2p/tls_stream.h"
#include "p2p/turn_client.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"

/* What a stream may hold beyond what its socket took before new data is
 * refused (RTC_ERR_WOULD_BLOCK: the sender waits for on_writable).
 * Requests of the TURN client always fit: they are small, and the limit
 * applies to what is already waiting. */
#define RELAY_STREAM_BACKLOG (256 * 1024)

/* Allocate requests answered 437 (Allocation Mismatch) that are made
 * again from another local port: three Allocates in all. */
#define MAX_MISMATCH_RETRIES 2

struct ice_relay {
  rtc_ice_agent* agent;
  rtc_ice_turn_server server;    /* its address resolved when named */
  rtc_socket_address configured; /* the address as configured */
  /* The host base that reaches the server (its socket carries UDP), or
   * NULL for a stream from the wildcard address (mode 4: no UDP sockets). */
  ice_base* via;
  ice_base* base; /* the relayed candidate's base, once allocated */
  rtc_turn_client* client;
  rtc_timer timer;
  /* UDP after a 437: a socket of its own on via's address (the shared
   * socket's 5-tuple is taken on the server). NULL while it shares via's. */
  rtc_packet_socket* own_socket;
  bool on_via_socket; /* UDP on via's socket (counted in udp_relay_count) */
  int mismatch_retries;
  bool mismatch_pending; /* a 437 seen: allocate again from the timer */

  /* TCP and TLS. */
  rtc_stream_socket* stream;
  rtc_tls_stream* tls;
  uint8_t* backlog; /* bytes the socket has not taken yet */
  size_t backlog_size;
  size_t backlog_capacity;
  bool blocked; /* a send was refused: on_writable owed */
  bool stream_ended;
  char stream_error[128];

  /* The lookup of the server's name, while it runs. */
  rtc_resolve_request* dns;

  /* The generation whose gathering waits for the allocation. */
  ice_generation* waiting;
  bool allocated_pending; /* ALLOCATED seen, not handled yet */
  rtc_socket_address mapped;
  bool failed;
  bool failure_pending; /* FAILED seen, not reported yet */
  int failure_code;
  char failure_text[128];
  bool closing;

  /* DATA events recorded during a client call: [peer][size][bytes]... */
  uint8_t* inbox;
  size_t inbox_size;
  size_t inbox_capacity;
};

typedef struct inbox_header {
  rtc_socket_address peer;
  size_t size;
  int64_t arrival_us;
} inbox_header;

const char* rtc_ice_relay_protocol_name(rtc_ice_relay_protocol protocol) {
  switch (protocol) {
    case RTC_ICE_RELAY_UDP:
      return "udp";
    case RTC_ICE_RELAY_TCP:
      return "tcp";
    case RTC_ICE_RELAY_TLS:
      return "tls";
  }
  return "unknown";
}

static bool reserve(uint8_t** buf, size_t* capacity, size_t used, size_t more) {
  if (used + more <= *capacity)
    return true;
  size_t want = *capacity ? *capacity : 2048;
  while (want < used + more)
    want *= 2;
  uint8_t* grown = rtc_realloc(*buf, want);
  if (!grown)
    return false;
  *buf = grown;
  *capacity = want;
  return true;
}

/* --- Failure and the candidate error --- */

static void record_failure(ice_relay* relay, int code, const char* text) {
  if (relay->failed)
    return;
  relay->failed = true;
  relay->failure_pending = true;
  relay->failure_code = code;
  snprintf(relay->failure_text, sizeof(relay->failure_text), "%s", text);
}

/* webrtc-pc "icecandidateerror" for a TURN server that failed while a
 * gathering waited for it. */
static void report_failure(ice_relay* relay) {
  rtc_ice_agent* agent = relay->agent;
  relay->failure_pending = false;
  RTC_LOG(WARNING, "ICE: TURN server %s failed: %d %s", relay->server.url,
          relay->failure_code, relay->failure_text);
  ice_generation* gen = relay->waiting;
  if (!gen)
    return; /* an allocation lost later: its pairs fail by themselves */
  relay->waiting = NULL;
  ice_emit_candidate_error(agent, gen, &relay->server.address,
                           relay->server.url, relay->failure_code,
                           relay->failure_text, relay->via);
  if (gen->pending_srflx > 0)
    gen->pending_srflx--;
  ice_gather_check_done(agent, gen);
}

static void failure_from_event(ice_relay* relay, const rtc_turn_event* ev) {
  char text[128];
  int code = ev->stun_error_code;
  if (code >= 300 && code <= 699) {
    snprintf(text, sizeof(text), "%s",
             ev->reason[0] ? ev->reason : "TURN error response");
  } else {
    /* webrtc-pc: 701 when no STUN error code applies (no response, the
     * server unreachable). */
    code = 701;
    switch (ev->error) {
      case RTC_ERR_TIMEOUT:
        snprintf(text, sizeof(text), "TURN allocation timed out");
        break;
      case RTC_ERR_CLOSED:
        snprintf(text, sizeof(text), "TURN server connection closed%s%.90s",
                 relay->stream_error[0] ? ": " : "", relay->stream_error);
        break;
      default:
        snprintf(text, sizeof(text), "TURN allocation failed: %s",
                 rtc_error_name(ev->error));
        break;
    }
  }
  record_failure(relay, code, text);
}

/* --- The client's callbacks (record only) --- */

static rtc_error stream_write(ice_relay* relay,
                              const uint8_t* data,
                              size_t size);

static rtc_error client_send(void* user, const uint8_t* data, size_t size) {
  ice_relay* relay = user;
  switch (relay->server.protocol) {
    case RTC_ICE_RELAY_UDP: {
      rtc_packet_socket* socket = relay->own_socket;
      if (!socket && relay->via)
        socket = relay->via->socket;
      if (!socket)
        return RTC_ERR_INVALID_STATE;
      return rtc_packet_socket_send_to(socket, data, size,
                                       &relay->server.address);
    }
    case RTC_ICE_RELAY_TCP:
    case RTC_ICE_RELAY_TLS:
      if (relay->stream_ended || !relay->stream)
        return RTC_ERR_CLOSED;
      /* Whole frames or nothing: a frame cut short would break the
       * stream's framing. */
      if (relay->backlog_size > RELAY_STREAM_BACKLOG) {
        relay->blocked = true;
        return RTC_ERR_WOULD_BLOCK;
      }
      if (relay->tls)
        return rtc_tls_stream_write(relay->tls, data, size);
      return stream_write(relay, data, size);
  }
  return RTC_ERR_INVALID_ARGUMENT;
}

static void client_event(void* user, const rtc_turn_event* ev) {
  ice_relay* relay = user;
  if (relay->closing)
    return;
  switch (ev->type) {
    case RTC_TURN_EVENT_ALLOCATED:
      relay->allocated_pending = true;
      relay->mapped = ev->mapped;
      break;
    case RTC_TURN_EVENT_FAILED:
      /* RFC 8656 §7.4: a 437 to an Allocate means the server sees the
       * 5-tuple in use (an allocation from this port that it still holds:
       * a port the system handed out again, a NAT's mapping reused); the
       * client "MAY start a new allocation using a different 5-tuple".
       * Only before an allocation exists: a 437 to a Refresh means it is
       * gone. */
      if (ev->stun_error_code == RTC_STUN_ERROR_ALLOCATION_MISMATCH &&
          !relay->base && relay->mismatch_retries < MAX_MISMATCH_RETRIES) {
        relay->mismatch_pending = true;
        break;
      }
      failure_from_event(relay, ev);
      break;
    case RTC_TURN_EVENT_DATA: {
      inbox_header h = {.peer = ev->peer,
                        .size = ev->size,
                        .arrival_us = ice_now(relay->agent)};
      if (!reserve(&relay->inbox, &relay->inbox_capacity, relay->inbox_size,
                   sizeof(h) + ev->size)) {
        RTC_LOG(ERROR, "ICE: out of memory, a relayed packet dropped");
        break;
      }
      memcpy(relay->inbox + relay->inbox_size, &h, sizeof(h));
      memcpy(relay->inbox + relay->inbox_size + sizeof(h), ev->data, ev->size);
      relay->inbox_size += sizeof(h) + ev->size;
      break;
    }
    case RTC_TURN_EVENT_PERMISSION_FAILED:
    case RTC_TURN_EVENT_CHANNEL_FAILED:
      RTC_LOG(INFO, "ICE: TURN %s failed: %d %s",
              rtc_turn_event_type_name(ev->type), ev->stun_error_code,
              ev->reason);
      break;
    case RTC_TURN_EVENT_PERMISSION_CREATED:
    case RTC_TURN_EVENT_CHANNEL_BOUND:
    case RTC_TURN_EVENT_CLOSED:
      break;
  }
}

static const rtc_turn_client_observer kClientObserver = {
    .send = client_send,
    .on_event = client_event,
};

/* --- After every client call --- */

static void on_allocated(ice_relay* relay);

/* Handles what the client's callbacks recorded, re-arms the timer and
 * delivers relayed packets. Returns false when the agent was destroyed
 * meanwhile (then nothing of it may be touched). */
static bool relay_process(ice_relay* relay) {
  rtc_ice_agent* agent = relay->agent;
  if (relay->allocated_pending) {
    relay->allocated_pending = false;
    on_allocated(relay);
  }
  if (relay->failure_pending)
    report_failure(relay);
  /* A new allocation after a 437 starts from the timer: sockets are not
   * replaced inside their own callbacks. */
  int64_t next = relay->mismatch_pending ? ice_now(agent)
                 : relay->client
                     ? rtc_turn_client_next_deadline_us(relay->client)
                     : INT64_MAX;
  if (next == INT64_MAX)
    rtc_timer_stop(&relay->timer);
  else
    rtc_timer_start_at(&relay->timer, next);
  ice_emit_state_changes(agent);
  if (!ice_flush_events(agent))
    return false;
  while (relay->inbox_size > 0) {
    /* Take the inbox: delivering may record more (a send that fails). */
    uint8_t* box = relay->inbox;
    size_t size = relay->inbox_size;
    relay->inbox = NULL;
    relay->inbox_size = relay->inbox_capacity = 0;
    bool destroyed = false;
    for (size_t at = 0; at < size && !destroyed;) {
      inbox_header h;
      memcpy(&h, box + at, sizeof(h));
      rtc_received_packet p = {.data = box + at + sizeof(h),
                               .size = h.size,
                               .source = h.peer,
                               .arrival_us = h.arrival_us};
      at += sizeof(h) + h.size;
      if (relay->base)
        ice_receive(agent, relay->base, &p, &destroyed);
    }
    rtc_free(box);
    if (destroyed)
      return false;
  }
  return true;
}

/* A call that may have added a request (a permission, a channel): the
 * timer must not fire after its deadline. */
static void rearm_before(ice_relay* relay) {
  if (!relay->client)
    return;
  int64_t next = rtc_turn_client_next_deadline_us(relay->client);
  if (next != INT64_MAX)
    rtc_timer_start_before(&relay->timer, next);
}

static void allocate_again(ice_relay* relay);

static void on_timer(void* arg) {
  ice_relay* relay = arg;
  if (relay->mismatch_pending) {
    relay->mismatch_pending = false;
    allocate_again(relay);
    relay_process(relay);
    return;
  }
  if (!relay->client)
    return;
  rtc_turn_client_handle_timeout(relay->client, ice_now(relay->agent));
  relay_process(relay);
}

/* --- The allocation is up: the relayed candidate --- */

static ice_base* add_relay_base(ice_relay* relay) {
  rtc_ice_agent* agent = relay->agent;
  if (agent->base_count == ICE_MAX_BASES)
    return NULL;
  ice_base* base = rtc_calloc(1, sizeof(*base));
  if (!base)
    return NULL;
  agent->bases[agent->base_count++] = base;
  base->agent = agent;
  base->relay = relay;
  base->address = rtc_turn_client_relayed_address(relay->client);
  if (relay->via)
    base->iface = relay->via->iface;
  base->announce_host = true;
  /* RFC 8445 §5.1.2.1: distinct local preferences; a relay reached over
   * UDP before TCP before TLS (each adds latency and head-of-line
   * blocking), as browsers order them. */
  uint32_t rank = (uint32_t)(RTC_ICE_RELAY_TLS - relay->server.protocol + 1);
  size_t index = 0;
  while (index < agent->relay_count && agent->relays[index] != relay)
    index++;
  base->local_preference = rank * 16384 - 1 - (uint32_t)index;
  return base;
}

static void on_allocated(ice_relay* relay) {
  rtc_ice_agent* agent = relay->agent;
  char text[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_socket_address relayed = rtc_turn_client_relayed_address(relay->client);
  rtc_socket_address_format(&relayed, text, sizeof(text));
  RTC_LOG(INFO, "ICE: TURN allocation %s over %s", text,
          rtc_ice_relay_protocol_name(relay->server.protocol));
  if (!relay->base)
    relay->base = add_relay_base(relay);
  ice_generation* gen = relay->waiting;
  relay->waiting = NULL;
  if (!relay->base) {
    RTC_LOG(WARNING, "ICE: no room for another relay");
  } else if (agent->current->gather_started) {
    ice_add_relay_local(agent, agent->current, relay->base,
                        &relay->server.address, relay->server.protocol,
                        &relay->mapped);
    ice_checks_kick(agent);
  }
  if (gen) {
    if (gen->pending_srflx > 0)
      gen->pending_srflx--;
    ice_gather_check_done(agent, gen);
  }
}

/* --- Streams (TCP and TLS) --- */

static rtc_error stream_write(ice_relay* relay,
                              const uint8_t* data,
                              size_t size) {
  if (relay->backlog_size == 0) {
    size_t accepted = 0;
    rtc_error err =
        rtc_stream_socket_send(relay->stream, data, size, &accepted);
    if (err != RTC_OK)
      return err;
    data += accepted;
    size -= accepted;
    if (size == 0)
      return RTC_OK;
  }
  if (!reserve(&relay->backlog, &relay->backlog_capacity, relay->backlog_size,
               size))
    return RTC_ERR_NO_MEMORY;
  memcpy(relay->backlog + relay->backlog_size, data, size);
  relay->backlog_size += size;
  return RTC_OK;
}

static rtc_error tls_send(void* user, const uint8_t* data, size_t size) {
  ice_relay* relay = user;
  if (relay->stream_ended || !relay->stream)
    return RTC_ERR_CLOSED;
  return stream_write(relay, data, size);
}

static void tls_connected(void* user) {
  ice_relay* relay = user;
  if (rtc_turn_client_start(relay->client, ice_now(relay->agent)) != RTC_OK)
    record_failure(relay, 701, "TURN allocation could not start");
}

static void tls_data(void* user, const uint8_t* data, size_t size) {
  ice_relay* relay = user;
  if (rtc_turn_client_handle_stream(relay->client, data, size,
                                    ice_now(relay->agent)) != RTC_OK)
    relay->stream_ended = true; /* garbage: the client failed */
}

static void tls_failed(void* user, rtc_error error, const char* reason) {
  ice_relay* relay = user;
  (void)error;
  relay->stream_ended = true;
  snprintf(relay->stream_error, sizeof(relay->stream_error), "TLS: %s",
           reason ? reason : "failed");
  if (rtc_turn_client_state(relay->client) == RTC_TURN_STATE_NEW)
    record_failure(relay, 701, relay->stream_error);
  else
    rtc_turn_client_handle_stream_closed(relay->client, ice_now(relay->agent));
}

static const rtc_tls_stream_observer kTlsObserver = {
    .send = tls_send,
    .on_connected = tls_connected,
    .on_data = tls_data,
    .on_failed = tls_failed,
};

static void stream_connected(void* user, rtc_stream_socket* socket) {
  ice_relay* relay = user;
  (void)socket;
  if (relay->tls) {
    if (rtc_tls_stream_start(relay->tls) != RTC_OK)
      record_failure(relay, 701, "TLS could not start");
  } else if (rtc_turn_client_start(relay->client, ice_now(relay->agent)) !=
             RTC_OK) {
    record_failure(relay, 701, "TURN allocation could not start");
  }
  relay_process(relay);
}

static void stream_data(void* user,
                        rtc_stream_socket* socket,
                        const uint8_t* data,
                        size_t size) {
  ice_relay* relay = user;
  (void)socket;
  if (relay->stream_ended)
    return;
  if (relay->tls) {
    rtc_tls_stream_receive(relay->tls, data, size);
  } else if (rtc_turn_client_handle_stream(relay->client, data, size,
                                           ice_now(relay->agent)) != RTC_OK) {
    relay->stream_ended = true;
  }
  relay_process(relay);
}

static void stream_writable(void* user, rtc_stream_socket* socket) {
  ice_relay* relay = user;
  while (relay->backlog_size > 0) {
    size_t accepted = 0;
    if (rtc_stream_socket_send(socket, relay->backlog, relay->backlog_size,
                               &accepted) != RTC_OK ||
        accepted == 0)
      break;
    memmove(relay->backlog, relay->backlog + accepted,
            relay->backlog_size - accepted);
    relay->backlog_size -= accepted;
  }
  if (relay->blocked && relay->backlog_size <= RELAY_STREAM_BACKLOG) {
    relay->blocked = false;
    if (relay->base)
      ice_base_writable(relay->agent, relay->base);
  }
}

static void stream_closed(void* user, rtc_stream_socket* socket, rtc_error e) {
  ice_relay* relay = user;
  (void)socket;
  relay->stream_ended = true;
  if (!relay->stream_error[0])
    snprintf(relay->stream_error, sizeof(relay->stream_error), "%s",
             e == RTC_OK ? "closed by the server" : rtc_error_name(e));
  if (rtc_turn_client_state(relay->client) == RTC_TURN_STATE_NEW) {
    char text[160];
    snprintf(text, sizeof(text), "TURN server unreachable (%s)",
             relay->stream_error);
    record_failure(relay, 701, text);
  } else {
    rtc_turn_client_handle_stream_closed(relay->client, ice_now(relay->agent));
  }
  relay_process(relay);
}

static const rtc_stream_socket_observer kStreamObserver = {
    .on_connected = stream_connected,
    .on_data = stream_data,
    .on_writable = stream_writable,
    .on_closed = stream_closed,
};

/* --- Lifecycle --- */

/* Lets go of the client and whatever carries it to the server (the shared
 * socket's count, a socket of its own, a stream and its TLS), as at the
 * end and before a new allocation from another port. */
static void drop_transport(ice_relay* relay) {
  if (relay->on_via_socket && relay->via->udp_relay_count > 0)
    relay->via->udp_relay_count--;
  relay->on_via_socket = false;
  rtc_packet_socket_destroy(relay->own_socket);
  relay->own_socket = NULL;
  rtc_turn_client_destroy(relay->client);
  relay->client = NULL;
  rtc_tls_stream_destroy(relay->tls);
  relay->tls = NULL;
  rtc_stream_socket_destroy(relay->stream);
  relay->stream = NULL;
  relay->backlog_size = 0;
  relay->blocked = false;
  relay->stream_ended = false;
  relay->stream_error[0] = '\0';
}

static void relay_free(ice_relay* relay) {
  rtc_timer_stop(&relay->timer);
  rtc_resolve_request_cancel(relay->dns);
  relay->dns = NULL;
  drop_transport(relay);
  rtc_free(relay->backlog);
  rtc_free(relay->inbox);
  rtc_free(relay);
}

/* The host base the server is reached from: the first (most preferred) of
 * the server's family, loopback for a server on loopback when there is
 * one (the kernel routes to loopback from any local address too, which is
 * how a server on this host is reached under the default-route modes). */
static ice_base* via_base(rtc_ice_agent* agent,
                          const rtc_socket_address* server) {
  ice_base* any = NULL;
  for (size_t i = 0; i < agent->base_count; i++) {
    ice_base* b = agent->bases[i];
    if (!b->socket || b->address.family != server->family)
      continue;
    if (rtc_socket_address_is_loopback(&b->address) ==
        rtc_socket_address_is_loopback(server))
      return b;
    if (!any && !rtc_socket_address_is_loopback(&b->address))
      any = b;
  }
  return any;
}

static rtc_error create_client(ice_relay* relay) {
  const rtc_ice_turn_server* server = &relay->server;
  rtc_turn_client_config config;
  rtc_turn_client_config_init(&config);
  config.framing = server->protocol == RTC_ICE_RELAY_UDP
                       ? RTC_TURN_FRAMING_DATAGRAM
                       : RTC_TURN_FRAMING_STREAM;
  config.username = server->username;
  config.password = server->password;
  config.relay_family = RTC_AF_INET;
  return rtc_turn_client_create(&config, &kClientObserver, relay,
                                &relay->client);
}

/* Makes the allocation's client for `server` (not started). */
static ice_relay* relay_create(rtc_ice_agent* agent,
                               const rtc_ice_turn_server* server) {
  ice_relay* relay = rtc_calloc(1, sizeof(*relay));
  if (!relay)
    return NULL;
  relay->agent = agent;
  relay->server = *server;
  relay->configured = server->address;
  rtc_timer_init(&relay->timer, agent->queue, on_timer, relay);
  if (create_client(relay) != RTC_OK) {
    rtc_free(relay);
    return NULL;
  }
  return relay;
}

/* Starts the allocation on the server's address, from `via`; failures to
 * start are recorded (reported by relay_process). */
static void relay_connect(ice_relay* relay, ice_base* via) {
  rtc_ice_agent* agent = relay->agent;
  const rtc_ice_turn_server* server = &relay->server;
  relay->via = via;
  if (server->protocol == RTC_ICE_RELAY_UDP) {
    via->udp_relay_count++;
    relay->on_via_socket = true;
    if (rtc_turn_client_start(relay->client, ice_now(agent)) != RTC_OK)
      record_failure(relay, 701, "TURN allocation could not start");
    return;
  }
  if (server->protocol == RTC_ICE_RELAY_TLS) {
    rtc_tls_stream_config tls;
    char name[RTC_SOCKET_ADDRESS_STRLEN];
    rtc_ip_address_format(&server->address, name, sizeof(name));
    tls.server_name = server->server_name[0] ? server->server_name : name;
    tls.ca_file = agent->tls_ca_file;
    rtc_error err =
        rtc_tls_stream_create(&tls, &kTlsObserver, relay, &relay->tls);
    if (err != RTC_OK) {
      record_failure(relay, 701,
                     err == RTC_ERR_NOT_FOUND
                         ? "TLS: no CA certificates to verify the server"
                         : "TLS could not start");
      return;
    }
  }
  rtc_socket_address local;
  if (via) {
    local = via->address;
  } else {
    rtc_socket_address_clear(&local);
    local.family = server->address.family;
  }
  local.port = 0;
  rtc_error err = rtc_socket_factory_connect_tcp(
      agent->factory, agent->queue, &local, &server->address, &kStreamObserver,
      relay, &relay->stream);
  if (err != RTC_OK) {
    relay->stream = NULL;
    char text[128];
    snprintf(text, sizeof(text), "TURN server unreachable (%s)",
             rtc_error_name(err));
    record_failure(relay, 701, text);
  }
}

/* What the server sends to an allocation's own socket; anything else that
 * arrives there is dropped. */
static void own_socket_packets(void* user,
                               rtc_packet_socket* socket,
                               const rtc_received_packet* packets,
                               size_t count) {
  ice_relay* relay = user;
  (void)socket;
  for (size_t i = 0; i < count; i++) {
    if (!rtc_socket_address_equal(&relay->server.address, &packets[i].source))
      continue;
    rtc_turn_client_handle_datagram(relay->client, packets[i].data,
                                    packets[i].size, ice_now(relay->agent));
    if (!relay_process(relay))
      return; /* the agent is gone */
  }
}

static void own_socket_writable(void* user, rtc_packet_socket* socket) {
  ice_relay* relay = user;
  (void)socket;
  if (relay->base)
    ice_base_writable(relay->agent, relay->base);
}

static const rtc_packet_socket_observer kOwnSocketObserver = {
    .on_packets = own_socket_packets,
    .on_writable = own_socket_writable,
};

/* After a 437: a new client, and a new 5-tuple for it (a socket of its
 * own for UDP, a new connection for TCP and TLS). Failures are recorded. */
static void allocate_again(ice_relay* relay) {
  rtc_ice_agent* agent = relay->agent;
  relay->mismatch_retries++;
  RTC_LOG(INFO,
          "ICE: TURN server %s: 437 (Allocation Mismatch): allocating again "
          "from another port (%d of %d)",
          relay->server.url, relay->mismatch_retries, MAX_MISMATCH_RETRIES);
  /* Whatever else arrives from the server on the shared socket is then
   * ICE's (nothing: the server answers a 5-tuple no client of ours uses). */
  drop_transport(relay);
  if (create_client(relay) != RTC_OK) {
    record_failure(relay, 701, "out of memory for a TURN allocation");
    return;
  }
  if (relay->server.protocol != RTC_ICE_RELAY_UDP) {
    relay_connect(relay, relay->via);
    return;
  }
  rtc_socket_address local = relay->via->address;
  local.port = 0;
  rtc_error err = rtc_socket_factory_create_udp(
      agent->factory, agent->queue, &local, &agent->config.udp,
      &kOwnSocketObserver, relay, &relay->own_socket);
  if (err != RTC_OK) {
    relay->own_socket = NULL;
    /* The shared socket is not used again: its 5-tuple is taken. */
    char text[128];
    snprintf(text, sizeof(text), "no socket for a new TURN allocation (%s)",
             rtc_error_name(err));
    record_failure(relay, 701, text);
    return;
  }
  if (rtc_turn_client_start(relay->client, ice_now(agent)) != RTC_OK)
    record_failure(relay, 701, "TURN allocation could not start");
}

static bool same_server(const ice_relay* relay, const rtc_ice_turn_server* b) {
  const rtc_ice_turn_server* a = &relay->server;
  return rtc_socket_address_equal(&relay->configured, &b->address) &&
         a->protocol == b->protocol && strcmp(a->username, b->username) == 0 &&
         strcmp(a->password, b->password) == 0 &&
         strcmp(a->server_name, b->server_name) == 0;
}

/* A page names TURN servers, and TURN over TCP writes what the page sends
 * (as a username, as relayed data) to whatever listens there: ports of
 * other protocols below 1024 are refused (browsers allow 53, 80 and 443
 * there), as are the addresses and ports no ICE packet goes to (ICE-09). */
static bool turn_server_allowed(const rtc_socket_address* server) {
  uint16_t port = server->port;
  if (port < 1024 && port != 53 && port != 80 && port != 443)
    return false;
  return !ice_address_prohibited(server) && !rtc_socket_address_is_any(server);
}

static ice_relay* udp_relay_of(rtc_ice_agent* agent,
                               const ice_base* via,
                               const rtc_socket_address* server) {
  for (size_t i = 0; i < agent->relay_count; i++) {
    ice_relay* r = agent->relays[i];
    if (r->via == via && r->server.protocol == RTC_ICE_RELAY_UDP &&
        rtc_socket_address_equal(&r->server.address, server))
      return r;
  }
  return NULL;
}

static const char kNoLocalAddress[] = "no local address of the server's family";

/* Whether an allocation may go to `address`, and from which host base
 * (*via; NULL for a stream from the wildcard address). NULL when it may;
 * otherwise why not. */
static const char* usable(rtc_ice_agent* agent,
                          const rtc_socket_address* address,
                          rtc_ice_relay_protocol protocol,
                          ice_base** via) {
  *via = NULL;
  if (!turn_server_allowed(address))
    return "not allowed (port or address)";
  bool udp = protocol == RTC_ICE_RELAY_UDP;
  if (udp && agent->config.ip_handling == RTC_IP_HANDLING_RELAY_ONLY)
    return "no UDP under RFC 8828 mode 4";
  *via = via_base(agent, address);
  if (udp && !*via)
    return kNoLocalAddress;
  /* Its datagrams could not be told from the other's. */
  if (udp && udp_relay_of(agent, *via, address))
    return "that server is already used over UDP";
  return NULL;
}

/* The server's name resolved (through the socket factory: the broker's,
 * in a sandbox): the first address the allocation may use. */
static void on_resolved(void* user, const rtc_resolve_result* result) {
  ice_relay* relay = user;
  rtc_ice_agent* agent = relay->agent;
  relay->dns = NULL;
  if (result->error != RTC_OK) {
    char text[128];
    snprintf(text, sizeof(text), "TURN host lookup failed (%s)",
             rtc_error_name(result->error));
    record_failure(relay, 701, text);
    relay_process(relay);
    return;
  }
  const char* why = "no address";
  for (size_t i = 0; i < result->count; i++) {
    rtc_socket_address address = result->addresses[i];
    address.port = relay->server.address.port;
    ice_base* via = NULL;
    why = usable(agent, &address, relay->server.protocol, &via);
    if (!why) {
      relay->server.address = address;
      relay_connect(relay, via);
      relay_process(relay);
      return;
    }
  }
  char text[128];
  snprintf(text, sizeof(text), "TURN server address unusable: %s", why);
  record_failure(relay, 701, text);
  relay_process(relay);
}

static void start_lookup(ice_relay* relay) {
  rtc_ice_agent* agent = relay->agent;
  rtc_error err = rtc_socket_factory_resolve(
      agent->factory, agent->queue, relay->server.server_name, RTC_AF_UNSPEC,
      on_resolved, relay, &relay->dns);
  if (err != RTC_OK) {
    relay->dns = NULL;
    char text[128];
    snprintf(text, sizeof(text), "TURN host lookup failed (%s)",
             rtc_error_name(err));
    record_failure(relay, 701, text);
  }
}

static void wait_for(ice_relay* relay, ice_generation* gen) {
  ice_generation* before = relay->waiting;
  if (before == gen)
    return;
  relay->waiting = gen;
  gen->pending_srflx++;
  if (before) {
    /* An older generation stops waiting (a restart came first). */
    if (before->pending_srflx > 0)
      before->pending_srflx--;
    ice_gather_check_done(relay->agent, before);
  }
}

void ice_relays_gather(rtc_ice_agent* agent, ice_generation* gen) {
  for (size_t s = 0; s < agent->turn_server_count; s++) {
    const rtc_ice_turn_server* server = &agent->turn_servers[s];
    ice_relay* relay = NULL;
    for (size_t i = 0; i < agent->relay_count && !relay; i++) {
      ice_relay* r = agent->relays[i];
      if (!r->failed && same_server(r, server))
        relay = r;
    }
    if (relay) {
      if (relay->base && !relay->failed) {
        ice_add_relay_local(agent, gen, relay->base, &relay->server.address,
                            relay->server.protocol, &relay->mapped);
      } else {
        wait_for(relay, gen);
      }
      continue;
    }
    bool by_name = server->address.family == RTC_AF_UNSPEC;
    ice_base* via = NULL;
    if (!by_name) {
      const char* why = usable(agent, &server->address, server->protocol, &via);
      if (why) {
        RTC_LOG(WARNING, "ICE: TURN server %s: %s", server->url, why);
        /* No socket of the server's family: it cannot be reached
         * (webrtc-pc: 701). The other refusals are policy: silent. */
        if (why == kNoLocalAddress)
          ice_emit_candidate_error(agent, gen, &server->address, server->url,
                                   701, why, NULL);
        continue;
      }
    }
    if (agent->relay_count == ICE_MAX_RELAYS) {
      RTC_LOG(WARNING, "ICE: too many TURN allocations; %s ignored",
              server->url);
      continue;
    }
    relay = relay_create(agent, server);
    if (!relay) {
      RTC_LOG(ERROR, "ICE: out of memory for a TURN allocation");
      continue;
    }
    agent->relays[agent->relay_count++] = relay;
    wait_for(relay, gen);
    if (by_name)
      start_lookup(relay);
    else
      relay_connect(relay, via);
    /* A failure to start is reported now (events are queued). */
    if (relay->failure_pending)
      report_failure(relay);
    rearm_before(relay);
  }
}

void ice_relays_forget_generation(rtc_ice_agent* agent, ice_generation* gen) {
  for (size_t i = 0; i < agent->relay_count; i++) {
    if (agent->relays[i]->waiting == gen)
      agent->relays[i]->waiting = NULL;
  }
}

void ice_relays_destroy(rtc_ice_agent* agent) {
  int64_t now = ice_now(agent);
  for (size_t i = 0; i < agent->relay_count; i++) {
    ice_relay* relay = agent->relays[i];
    relay->closing = true;
    /* RFC 8656 §7: a Refresh with LIFETIME 0 deletes the allocation now
     * rather than when it expires (over TCP, closing the connection does
     * too). Nobody waits for the answer. */
    if (relay->client && !relay->stream_ended)
      rtc_turn_client_close(relay->client, now);
    if (relay->tls && !relay->stream_ended)
      rtc_tls_stream_close(relay->tls);
    if (relay->base)
      relay->base->relay = NULL;
    relay_free(relay);
  }
  agent->relay_count = 0;
}

/* --- Data --- */

bool ice_relay_take_datagram(rtc_ice_agent* agent,
                             ice_base* base,
                             const rtc_received_packet* packet,
                             bool* destroyed) {
  for (size_t i = 0; i < agent->relay_count; i++) {
    ice_relay* relay = agent->relays[i];
    if (relay->via != base || relay->server.protocol != RTC_ICE_RELAY_UDP ||
        !relay->on_via_socket ||
        !rtc_socket_address_equal(&relay->server.address, &packet->source))
      continue;
    if (!rtc_turn_is_turn_datagram(packet->data, packet->size))
      return false;
    /* The server may be a STUN server of ours too: a response to one of
     * our Binding requests is ICE's. */
    if (packet->size >= RTC_STUN_HEADER_SIZE &&
        rtc_stun_looks_like_stun(packet->data, packet->size) &&
        ice_transaction_find(agent, packet->data + 8))
      return false;
    rtc_turn_client_handle_datagram(relay->client, packet->data, packet->size,
                                    ice_now(agent));
    if (!relay_process(relay))
      *destroyed = true;
    return true;
  }
  return false;
}

rtc_error ice_relay_send(ice_relay* relay,
                         const rtc_socket_address* to,
                         const uint8_t* data,
                         size_t size) {
  rtc_error err = rtc_turn_client_send(relay->client, to, data, size,
                                       ice_now(relay->agent));
  /* A send may ask for a permission: its deadline. */
  rearm_before(relay);
  return err;
}

ice_base* ice_relay_via(const ice_relay* relay) {
  return relay->on_via_socket ? relay->via : NULL;
}

void ice_relay_pair_formed(ice_relay* relay, const rtc_socket_address* peer) {
  if (rtc_turn_client_state(relay->client) != RTC_TURN_STATE_ALLOCATED)
    return;
  rtc_error err = rtc_turn_client_create_permission(relay->client, peer,
                                                    ice_now(relay->agent));
  if (err != RTC_OK)
    RTC_LOG(INFO, "ICE: no TURN permission for a peer: %s",
            rtc_error_name(err));
  rearm_before(relay);
}

void ice_relay_pair_valid(ice_relay* relay, const rtc_socket_address* peer) {
  if (rtc_turn_client_state(relay->client) != RTC_TURN_STATE_ALLOCATED ||
      rtc_turn_client_has_channel(relay->client, peer))
    return;
  rtc_error err = rtc_turn_client_bind_channel(relay->client, peer,
                                               ice_now(relay->agent), NULL);
  if (err != RTC_OK)
    RTC_LOG(INFO, "ICE: no TURN channel for a peer: %s", rtc_error_name(err));
  rearm_before(relay);
}
