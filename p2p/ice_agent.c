/*
 * ICE agent: lifecycle, the API, events, demultiplexing, STUN transactions
 * and the transport state. Gathering is in ice_gather.c, checks, nomination
 * and consent in ice_checks.c.
 */
#include "p2p/ice_agent.h"

#include <stdio.h>
#include <string.h>

#include "p2p/ice_agent_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"

/* ice-char (RFC 8839 §5.4): ALPHA / DIGIT / "+" / "/" */
static const char kIceChars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const char* rtc_ice_role_name(rtc_ice_role role) {
  return role == RTC_ICE_ROLE_CONTROLLING ? "controlling" : "controlled";
}

const char* rtc_ice_transport_state_name(rtc_ice_transport_state state) {
  static const char* const names[] = {"new",       "checking",     "connected",
                                      "completed", "disconnected", "failed",
                                      "closed"};
  if ((int)state < 0 || state > RTC_ICE_TRANSPORT_CLOSED)
    return "unknown";
  return names[state];
}

const char* rtc_ice_gathering_state_name(rtc_ice_gathering_state state) {
  static const char* const names[] = {"new", "gathering", "complete"};
  if ((int)state < 0 || state > RTC_ICE_GATHERING_COMPLETE)
    return "unknown";
  return names[state];
}

void rtc_ice_agent_config_init(rtc_ice_agent_config* config) {
  memset(config, 0, sizeof(*config));
  config->role = RTC_ICE_ROLE_CONTROLLING;
  config->obfuscate_host_addresses = true;
  config->tcp_candidates = true;
  rtc_interface_filter_init(&config->interfaces);
  config->udp.receive_buffer_size = RTC_ICE_UDP_RECEIVE_BUFFER;
}

int64_t ice_now(const rtc_ice_agent* agent) {
  return rtc_task_queue_now_us(agent->queue);
}

/* RFC 8839 §5.4: ice-ufrag 4..256 ice-chars, ice-pwd 22..256 ice-chars. */
static bool valid_credential(const char* s, size_t min, size_t max) {
  if (!s)
    return false;
  size_t len = strnlen(s, max + 1);
  if (len < min || len > max)
    return false;
  for (size_t i = 0; i < len; i++) {
    if (!memchr(kIceChars, s[i], sizeof(kIceChars) - 1))
      return false;
  }
  return true;
}

/* RFC 8445 §5.3: at least 24 bits of randomness in the ufrag and 128 in
 * the password; we use 8 and 24 ice-chars (48 and 144 bits). */
static void new_credentials(ice_generation* gen) {
  rtc_random_string(gen->local_ufrag, 8, kIceChars, sizeof(kIceChars) - 1);
  rtc_random_string(gen->local_pwd, 24, kIceChars, sizeof(kIceChars) - 1);
}

ice_generation* ice_generation_new(rtc_ice_agent* agent) {
  ice_generation* gen = rtc_calloc(1, sizeof(*gen));
  if (!gen)
    return NULL;
  gen->id = agent->next_generation_id++;
  gen->pac_deadline_us = INT64_MAX;
  new_credentials(gen);
  return gen;
}

void ice_generation_free(rtc_ice_agent* agent, ice_generation* gen) {
  if (!gen)
    return;
  ice_relays_forget_generation(agent, gen);
  ice_stun_lookups_cancel(agent, gen);
  /* Transactions that point into this generation go first. */
  ice_transaction** link = &agent->transactions;
  while (*link) {
    ice_transaction* tx = *link;
    bool owned = tx->gen == gen || (tx->pair && tx->pair->gen == gen);
    if (owned) {
      *link = tx->next;
      if (tx == agent->consent_check)
        agent->consent_check = NULL;
      rtc_free(tx);
    } else {
      link = &tx->next;
    }
  }
  if (agent->selected && agent->selected->gen == gen)
    agent->selected = NULL;
  for (size_t i = 0; i < gen->pair_count; i++)
    rtc_free(gen->pairs[i]);
  for (size_t i = 0; i < gen->remote_count; i++)
    ice_remote_free(agent, gen->remotes[i]);
  for (size_t i = 0; i < gen->local_count; i++)
    rtc_free(gen->locals[i]);
  rtc_free(gen->pairs);
  rtc_free(gen->triggered);
  rtc_free(gen->remotes);
  rtc_free(gen->locals);
  rtc_free(gen->early);
  rtc_free(gen);
  /* Connections its pairs used may be unused now. */
  ice_tcp_sweep_soon(agent);
}

/* --- Events --- */

void ice_emit(rtc_ice_agent* agent, const ice_event* event) {
  if (agent->event_count == agent->event_capacity) {
    size_t capacity = agent->event_capacity ? agent->event_capacity * 2 : 8;
    ice_event* events =
        rtc_realloc_array(agent->events, capacity, sizeof(*events));
    if (!events) {
      /* Out of memory: the event is lost; state is re-derived later. */
      RTC_LOG(ERROR, "ICE: out of memory, event %d dropped", event->kind);
      return;
    }
    agent->events = events;
    agent->event_capacity = capacity;
  }
  agent->events[agent->event_count++] = *event;
}

/* Queues state events for whatever changed. */
void ice_emit_state_changes(rtc_ice_agent* agent) {
  rtc_ice_transport_state state = ice_compute_state(agent);
  if (state != agent->state) {
    /* webrtc-pc reaches completed through connected: when both come at
     * once (everything checked by the time a pair is selected), say both. */
    if (state == RTC_ICE_TRANSPORT_COMPLETED &&
        agent->state != RTC_ICE_TRANSPORT_CONNECTED) {
      ice_event e = {.kind = ICE_EVENT_STATE,
                     .u.state = RTC_ICE_TRANSPORT_CONNECTED};
      ice_emit(agent, &e);
    }
    RTC_LOG(INFO, "ICE state %s -> %s",
            rtc_ice_transport_state_name(agent->state),
            rtc_ice_transport_state_name(state));
    agent->state = state;
    ice_event e = {.kind = ICE_EVENT_STATE, .u.state = state};
    ice_emit(agent, &e);
  }
}

static void deliver(rtc_ice_agent* agent, const ice_event* e) {
  const rtc_ice_agent_observer* o = agent->observer;
  switch (e->kind) {
    case ICE_EVENT_GATHERING_STATE:
      if (o->on_gathering_state)
        o->on_gathering_state(agent->user, e->u.gathering_state);
      break;
    case ICE_EVENT_CANDIDATE:
      if (o->on_candidate)
        o->on_candidate(agent->user, &e->u.candidate);
      break;
    case ICE_EVENT_END_OF_CANDIDATES:
      if (o->on_candidate)
        o->on_candidate(agent->user, NULL);
      break;
    case ICE_EVENT_CANDIDATE_ERROR:
      if (o->on_candidate_error)
        o->on_candidate_error(agent->user, &e->u.error);
      break;
    case ICE_EVENT_STATE:
      if (o->on_state)
        o->on_state(agent->user, e->u.state);
      break;
    case ICE_EVENT_SELECTED_PAIR:
      if (o->on_selected_pair)
        o->on_selected_pair(agent->user, &e->u.pair);
      break;
    case ICE_EVENT_WRITABLE:
      if (o->on_writable)
        o->on_writable(agent->user);
      break;
  }
}

bool ice_flush_events(rtc_ice_agent* agent) {
  bool destroyed = false;
  bool* outer = agent->destroyed;
  agent->destroyed = &destroyed;
  size_t next = 0;
  while (next < agent->event_count) {
    /* Copy: the observer may queue more and move the array. */
    ice_event e = agent->events[next++];
    deliver(agent, &e);
    if (destroyed) {
      if (outer)
        *outer = true;
      return false;
    }
  }
  /* An idle agent keeps no event array (a burst of gathered candidates
   * grows it to some 20 KiB). */
  agent->event_count = 0;
  rtc_free(agent->events);
  agent->events = NULL;
  agent->event_capacity = 0;
  agent->destroyed = outer;
  return true;
}

static void flush_task(void* arg) {
  rtc_ice_agent* agent = arg;
  agent->flush_posted = false;
  ice_flush_events(agent);
}

void ice_post_flush(rtc_ice_agent* agent) {
  if (agent->flush_posted || agent->event_count == 0)
    return;
  rtc_task task = {flush_task, NULL, agent};
  if (rtc_task_queue_post_guarded(agent->queue, agent->flag, 0, task) == RTC_OK)
    agent->flush_posted = true;
}

/* --- STUN transactions (RFC 8489 §6.2.1) --- */

/* Fetch, "bad port": the ports a user agent never connects to. */
static const uint16_t kBadPorts[] = {
    0,    1,    7,    9,    11,   13,   15,   17,   19,   20,   21,    22,
    23,   25,   37,   42,   43,   53,   69,   77,   79,   87,   95,    101,
    102,  103,  104,  109,  110,  111,  113,  115,  117,  119,  123,   135,
    137,  139,  143,  161,  179,  389,  427,  465,  512,  513,  514,   515,
    526,  530,  531,  532,  540,  548,  554,  556,  563,  587,  601,   636,
    989,  990,  993,  995,  1719, 1720, 1723, 2049, 3659, 4045, 4190,  5060,
    5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
};

bool ice_port_prohibited(uint16_t port) {
  for (size_t i = 0; i < sizeof(kBadPorts) / sizeof(kBadPorts[0]); i++) {
    if (port == kBadPorts[i])
      return true;
  }
  return false;
}

bool ice_address_prohibited(const rtc_socket_address* to) {
  if (ice_port_prohibited(to->port))
    return true;
  /* Multicast and broadcast destinations: a check would reach every host
   * of a LAN, or the mDNS group (ICE-09). */
  if (rtc_socket_address_is_multicast(to))
    return true;
  const uint8_t* v4 = NULL;
  if (to->family == RTC_AF_INET)
    v4 = to->addr;
  else if (rtc_socket_address_is_v4_mapped(to))
    v4 = to->addr + 12;
  if (v4 && ((v4[0] & 0xf0) == 224 ||
             (v4[0] == 255 && v4[1] == 255 && v4[2] == 255 && v4[3] == 255)))
    return true;
  return false;
}

rtc_error ice_base_send(ice_base* base,
                        const rtc_socket_address* to,
                        const uint8_t* data,
                        size_t size) {
  if (base->tcp)
    return ice_tcp_send(base, to, data, size);
  if (base->socket)
    return rtc_packet_socket_send_to(base->socket, data, size, to);
  if (base->relay)
    return ice_relay_send(base->relay, to, data, size);
  return RTC_ERR_INVALID_STATE; /* a relay that is gone */
}

rtc_error ice_send_stun(ice_base* base,
                        const rtc_socket_address* to,
                        const uint8_t* data,
                        size_t len) {
  /* webrtc-pc addIceCandidate: "A candidate is administratively prohibited
   * if the UA has decided not to allow connection attempts to this
   * address. For privacy reasons, there is no indication to the developer
   * about whether or not an address/port is blocked; it behaves exactly as
   * if there was no response from the address. The UA MUST prohibit
   * connections to addresses on the [Fetch] block bad port list, and MAY
   * choose to prohibit connections to other addresses." The packet is
   * dropped here, after all the bookkeeping of a packet sent: pairs,
   * retransmissions and timeouts run as for a host that never answers. */
  if (ice_address_prohibited(to))
    return RTC_OK;
  rtc_error err = ice_base_send(base, to, data, len);
  /* A STUN packet that cannot be sent now is a lost packet:
   * retransmissions and the next checks cover it. */
  if (err == RTC_ERR_WOULD_BLOCK || err == RTC_ERR_NETWORK)
    return RTC_OK;
  return err;
}

ice_transaction* ice_transaction_new(rtc_ice_agent* agent,
                                     ice_transaction_kind kind,
                                     ice_base* base,
                                     const rtc_socket_address* destination) {
  ice_transaction* tx = rtc_calloc(1, sizeof(*tx));
  if (!tx)
    return NULL;
  tx->kind = kind;
  tx->base = base;
  tx->destination = *destination;
  tx->role = agent->role;
  rtc_stun_new_transaction_id(tx->id);
  return tx;
}

rtc_error ice_transaction_start(rtc_ice_agent* agent,
                                ice_transaction* tx,
                                int max_transmissions,
                                int64_t rto_us,
                                int64_t timeout_us) {
  int64_t now = ice_now(agent);
  tx->max_transmissions = max_transmissions;
  tx->rto_us = rto_us;
  tx->first_sent_us = tx->last_sent_us = now;
  tx->transmissions = 1;
  tx->next_send_us = max_transmissions > 1 ? now + rto_us : INT64_MAX;
  tx->timeout_us = now + timeout_us;
  tx->next = agent->transactions;
  agent->transactions = tx;
  rtc_error err =
      ice_send_stun(tx->base, &tx->destination, tx->message, tx->length);
  ice_schedule_transactions(agent);
  return err;
}

void ice_transaction_free(rtc_ice_agent* agent, ice_transaction* tx) {
  for (ice_transaction** link = &agent->transactions; *link;
       link = &(*link)->next) {
    if (*link == tx) {
      *link = tx->next;
      break;
    }
  }
  if (tx == agent->consent_check)
    agent->consent_check = NULL;
  if (tx->pair && tx->pair->check == tx)
    tx->pair->check = NULL;
  rtc_free(tx);
}

ice_transaction* ice_transaction_find(rtc_ice_agent* agent, const uint8_t* id) {
  for (ice_transaction* tx = agent->transactions; tx; tx = tx->next) {
    if (memcmp(tx->id, id, RTC_STUN_TRANSACTION_ID_SIZE) == 0)
      return tx;
  }
  return NULL;
}

void ice_schedule_transactions(rtc_ice_agent* agent) {
  int64_t next = INT64_MAX;
  for (ice_transaction* tx = agent->transactions; tx; tx = tx->next) {
    int64_t due = tx->cancelled
                      ? tx->timeout_us
                      : (tx->next_send_us < tx->timeout_us ? tx->next_send_us
                                                           : tx->timeout_us);
    if (due < next)
      next = due;
  }
  if (next == INT64_MAX)
    rtc_timer_stop(&agent->transaction_timer);
  else
    rtc_timer_start_at(&agent->transaction_timer, next);
}

static void transaction_timed_out(rtc_ice_agent* agent, ice_transaction* tx) {
  switch (tx->kind) {
    case ICE_TX_CHECK:
      ice_check_timeout(agent, tx);
      break;
    case ICE_TX_CONSENT:
      ice_consent_timeout(agent, tx);
      break;
    case ICE_TX_SRFLX:
      ice_srflx_failed(agent, tx, 701, "STUN binding request timed out");
      break;
  }
}

static void on_transaction_timer(void* arg) {
  rtc_ice_agent* agent = arg;
  int64_t now = ice_now(agent);
  /* Handle one due transaction at a time: handlers free and add some. */
  for (;;) {
    ice_transaction* due = NULL;
    bool timed_out = false;
    for (ice_transaction* tx = agent->transactions; tx; tx = tx->next) {
      if (now >= tx->timeout_us) {
        due = tx;
        timed_out = true;
        break;
      }
      if (!tx->cancelled && now >= tx->next_send_us) {
        due = tx;
        break;
      }
    }
    if (!due)
      break;
    if (timed_out) {
      transaction_timed_out(agent, due);
      continue;
    }
    /* RFC 8489 §6.2.1: the RTO doubles after each retransmission. */
    ice_send_stun(due->base, &due->destination, due->message, due->length);
    due->transmissions++;
    due->last_sent_us = now;
    due->rto_us *= 2;
    due->next_send_us = due->transmissions < due->max_transmissions
                            ? now + due->rto_us
                            : INT64_MAX;
    if (due->kind == ICE_TX_CHECK && due->pair)
      due->pair->stats.requests_sent++;
  }
  ice_schedule_transactions(agent);
  ice_emit_state_changes(agent);
  ice_flush_events(agent);
}

/* --- Receiving --- */

static void deliver_data(rtc_ice_agent* agent,
                         ice_base* base,
                         const rtc_received_packet* p,
                         bool* destroyed) {
  /* SEC-29, made stricter: DTLS and SRTP see only packets of the selected
   * pair. Before selection nothing is delivered; a packet on another valid
   * pair (the peer has not switched yet, or a late one from a pair it left)
   * is dropped, and DTLS's own retransmission recovers. */
  ice_pair* pair = agent->selected;
  if (!pair || pair->base != base ||
      !rtc_socket_address_equal(&pair->remote->address, &p->source)) {
    RTC_LOG(VERBOSE, "ICE: dropped %zu bytes from outside the selected pair",
            p->size);
    return;
  }
  pair->stats.packets_received++;
  pair->stats.bytes_received += p->size;
  pair->last_received_us = p->arrival_us;
  if (!ice_flush_events(agent)) {
    *destroyed = true;
    return;
  }
  if (!agent->observer->on_packet)
    return;
  agent->destroyed = destroyed;
  agent->observer->on_packet(agent->user, p->data, p->size, p->arrival_us);
  if (!*destroyed)
    agent->destroyed = NULL;
}

/* Under the relay policy a socket only talks to TURN servers: nothing
 * the peer sends to it directly is answered (its address was never
 * signaled, but a check would confirm it). */
static bool base_unannounced(const rtc_ice_agent* agent, ice_base* base) {
  if ((!base->socket && !base->tcp) ||
      (agent->config.transport_policy != RTC_ICE_POLICY_RELAY &&
       agent->config.ip_handling != RTC_IP_HANDLING_RELAY_ONLY))
    return false;
  return !ice_local_for_base(agent->current, base) &&
         !(agent->previous && ice_local_for_base(agent->previous, base));
}

void ice_receive(rtc_ice_agent* agent,
                 ice_base* base,
                 const rtc_received_packet* p,
                 bool* destroyed) {
  /* RFC 7983 §7: the first byte tells what a packet is. */
  switch (rtc_demux_classify(p->data, p->size)) {
    case RTC_PACKET_STUN:
      if (base_unannounced(agent, base))
        break;
      ice_handle_stun(agent, base, p);
      ice_emit_state_changes(agent);
      if (!ice_flush_events(agent))
        *destroyed = true;
      break;
    case RTC_PACKET_DTLS:
    case RTC_PACKET_RTP:
      deliver_data(agent, base, p, destroyed);
      break;
    case RTC_PACKET_TURN_CHANNEL:
    case RTC_PACKET_UNKNOWN:
      RTC_LOG(VERBOSE, "ICE: dropped a packet of unknown kind (%zu bytes)",
              p->size);
      break;
  }
}

static void on_socket_packets(void* user,
                              rtc_packet_socket* socket,
                              const rtc_received_packet* packets,
                              size_t count) {
  ice_base* base = user;
  rtc_ice_agent* agent = base->agent;
  (void)socket;
  bool destroyed = false;
  for (size_t i = 0; i < count && !destroyed; i++) {
    const rtc_received_packet* p = &packets[i];
    /* What a TURN server of a UDP allocation sends to this socket is its
     * client's. */
    if (base->udp_relay_count > 0 &&
        ice_relay_take_datagram(agent, base, p, &destroyed))
      continue;
    ice_receive(agent, base, p, &destroyed);
  }
}

void ice_base_writable(rtc_ice_agent* agent, ice_base* base) {
  if (!agent->selected || agent->selected->base != base)
    return;
  ice_event e = {.kind = ICE_EVENT_WRITABLE};
  ice_emit(agent, &e);
  ice_flush_events(agent);
}

static void on_socket_writable(void* user, rtc_packet_socket* socket) {
  ice_base* base = user;
  rtc_ice_agent* agent = base->agent;
  (void)socket;
  ice_base* selected = agent->selected ? agent->selected->base : NULL;
  /* The selected pair's socket, or the one its UDP relay leaves from. */
  if (selected && (selected == base ||
                   (selected->relay && ice_relay_via(selected->relay) == base)))
    ice_base_writable(agent, selected);
}

const rtc_packet_socket_observer kIceSocketObserver = {
    .on_packets = on_socket_packets,
    .on_writable = on_socket_writable,
};

/* --- Lifecycle --- */

/* A copy of `names` (NULL when count is 0), terminated whatever the caller
 * left in the arrays; NULL with count > 0: out of memory. */
static rtc_ice_server_name* copy_stun_names(const rtc_ice_server_name* names,
                                            size_t count) {
  if (count == 0)
    return NULL;
  rtc_ice_server_name* copy = rtc_malloc_array(count, sizeof(*copy));
  if (!copy)
    return NULL;
  for (size_t i = 0; i < count; i++) {
    copy[i] = names[i];
    copy[i].host[sizeof(copy[i].host) - 1] = '\0';
  }
  return copy;
}

static void set_stun_names(rtc_ice_agent* agent,
                           rtc_ice_server_name* copy,
                           size_t count) {
  rtc_free(agent->stun_names);
  agent->stun_names = copy;
  agent->stun_name_count = count;
}

static rtc_error set_turn_servers(rtc_ice_agent* agent,
                                  const rtc_ice_turn_server* servers,
                                  size_t count) {
  rtc_ice_turn_server* copy = NULL;
  if (count > 0) {
    copy = rtc_malloc_array(count, sizeof(*copy));
    if (!copy)
      return RTC_ERR_NO_MEMORY;
    for (size_t i = 0; i < count; i++) {
      copy[i] = servers[i];
      /* Terminated whatever the caller left in the arrays. */
      copy[i].username[sizeof(copy[i].username) - 1] = '\0';
      copy[i].password[sizeof(copy[i].password) - 1] = '\0';
      copy[i].server_name[sizeof(copy[i].server_name) - 1] = '\0';
      copy[i].url[sizeof(copy[i].url) - 1] = '\0';
      if (!copy[i].url[0]) {
        char text[RTC_SOCKET_ADDRESS_STRLEN];
        rtc_socket_address_format(&copy[i].address, text, sizeof(text));
        snprintf(copy[i].url, sizeof(copy[i].url), "%s:%s%s",
                 copy[i].protocol == RTC_ICE_RELAY_TLS ? "turns" : "turn", text,
                 copy[i].protocol == RTC_ICE_RELAY_TCP ? "?transport=tcp" : "");
      }
    }
  }
  rtc_free(agent->turn_servers);
  agent->turn_servers = copy;
  agent->turn_server_count = count;
  return RTC_OK;
}

rtc_error rtc_ice_agent_create(rtc_socket_factory* factory,
                               rtc_task_queue* queue,
                               const rtc_ice_agent_config* config,
                               const rtc_ice_agent_observer* observer,
                               void* user,
                               rtc_ice_agent** out) {
  *out = NULL;
  RTC_DCHECK(rtc_task_queue_is_current(queue));
  if ((config->ufrag && !valid_credential(config->ufrag, 4, 256)) ||
      (config->pwd && !valid_credential(config->pwd, 22, 256)) ||
      config->stun_server_count > RTC_ICE_MAX_STUN_SERVERS ||
      (config->stun_server_count && !config->stun_servers) ||
      config->turn_server_count > RTC_ICE_MAX_TURN_SERVERS ||
      (config->turn_server_count && !config->turn_servers) ||
      config->stun_server_name_count > RTC_ICE_MAX_STUN_SERVERS ||
      (config->stun_server_name_count && !config->stun_server_names))
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_ice_agent* agent = rtc_calloc(1, sizeof(*agent));
  if (!agent)
    return RTC_ERR_NO_MEMORY;
  agent->factory = factory;
  agent->queue = queue;
  agent->config = *config;
  agent->config.ufrag = agent->config.pwd = NULL;
  agent->config.stun_servers = NULL;
  agent->config.turn_servers = NULL;
  agent->config.tls_ca_file = NULL;
  for (size_t i = 0; i < config->stun_server_count; i++)
    agent->stun_servers[i] = config->stun_servers[i];
  agent->stun_server_count = config->stun_server_count;
  agent->config.stun_server_names = NULL;
  rtc_error err = RTC_OK;
  rtc_ice_server_name* names = copy_stun_names(config->stun_server_names,
                                               config->stun_server_name_count);
  if (!names && config->stun_server_name_count) {
    err = RTC_ERR_NO_MEMORY;
    goto free_agent;
  }
  set_stun_names(agent, names, config->stun_server_name_count);
  err =
      set_turn_servers(agent, config->turn_servers, config->turn_server_count);
  if (err != RTC_OK)
    goto free_agent;
  if (config->tls_ca_file) {
    agent->tls_ca_file = rtc_strdup(config->tls_ca_file);
    if (!agent->tls_ca_file) {
      err = RTC_ERR_NO_MEMORY;
      goto free_agent;
    }
  }
  if (agent->config.ta_us <= 0)
    agent->config.ta_us = ICE_DEFAULT_TA_US;
  if (agent->config.ta_us < ICE_MIN_TA_US)
    agent->config.ta_us = ICE_MIN_TA_US;
  if (agent->config.consent_interval_us <= 0)
    agent->config.consent_interval_us = 5 * RTC_US_PER_SEC;
  if (agent->config.consent_timeout_us <= 0)
    agent->config.consent_timeout_us = 30 * RTC_US_PER_SEC;
  if (agent->config.pac_timeout_us <= 0)
    agent->config.pac_timeout_us = 39500 * RTC_US_PER_MS;
  if (agent->config.nomination_delay_us <= 0)
    agent->config.nomination_delay_us = 250 * RTC_US_PER_MS;
  agent->observer = observer;
  agent->user = user;
  agent->role = config->role;
  agent->tie_breaker = rtc_random_u64();
  rtc_prng_seed(&agent->jitter,
                config->jitter_seed ? config->jitter_seed : rtc_random_u64());
  agent->mdns = config->mdns;
  /* The first check goes out at once (Ta paces the following ones). */
  agent->last_check_sent_us = INT64_MIN / 2;
  rtc_timer_init(&agent->pacing_timer, queue, ice_on_pacing_timer, agent);
  rtc_timer_init(&agent->transaction_timer, queue, on_transaction_timer, agent);
  rtc_timer_init(&agent->consent_timer, queue, ice_on_consent_timer, agent);
  rtc_timer_init(&agent->nomination_timer, queue, ice_on_nomination_timer,
                 agent);
  rtc_timer_init(&agent->pac_timer, queue, ice_on_pac_timer, agent);
  rtc_timer_init(&agent->tcp_timer, queue, ice_on_tcp_timer, agent);

  err = rtc_safety_flag_create(&agent->flag);
  if (err != RTC_OK)
    goto free_agent;
  agent->current = ice_generation_new(agent);
  if (!agent->current) {
    err = RTC_ERR_NO_MEMORY;
    goto free_flag;
  }
  if (config->ufrag)
    snprintf(agent->current->local_ufrag, RTC_ICE_UFRAG_SIZE, "%s",
             config->ufrag);
  if (config->pwd)
    snprintf(agent->current->local_pwd, RTC_ICE_PWD_SIZE, "%s", config->pwd);
  if (agent->config.mdns_group)
    rtc_mdns_group_ref(agent->config.mdns_group);
  *out = agent;
  return RTC_OK;

free_flag:
  rtc_safety_flag_unref(agent->flag);
free_agent:
  rtc_free(agent->stun_names);
  rtc_free(agent->turn_servers);
  rtc_free(agent->tls_ca_file);
  rtc_free(agent);
  return err;
}

static void release_held(rtc_ice_agent* agent) {
  for (size_t i = 0; i < agent->held_count; i++)
    rtc_free(agent->held[i]);
  agent->held_count = 0;
}

void rtc_ice_agent_destroy(rtc_ice_agent* agent) {
  if (!agent)
    return;
  RTC_DCHECK(rtc_task_queue_is_current(agent->queue));
  if (agent->destroyed)
    *agent->destroyed = true;
  rtc_timer_stop(&agent->pacing_timer);
  rtc_timer_stop(&agent->transaction_timer);
  rtc_timer_stop(&agent->consent_timer);
  rtc_timer_stop(&agent->nomination_timer);
  rtc_timer_stop(&agent->pac_timer);
  rtc_timer_stop(&agent->tcp_timer);
  rtc_safety_flag_set_not_alive(agent->flag);
  rtc_safety_flag_unref(agent->flag);
  ice_generation_free(agent, agent->previous);
  ice_generation_free(agent, agent->current);
  release_held(agent);
  while (agent->transactions)
    ice_transaction_free(agent, agent->transactions);
  ice_bases_destroy(agent);
  if (agent->owns_mdns)
    rtc_mdns_destroy(agent->mdns);
  rtc_mdns_group_unref(agent->config.mdns_group);
  rtc_free(agent->stun_names);
  rtc_free(agent->turn_servers);
  rtc_free(agent->tls_ca_file);
  rtc_free(agent->events);
  rtc_free(agent);
}

/* --- API --- */

void rtc_ice_agent_local_credentials(const rtc_ice_agent* agent,
                                     char ufrag[RTC_ICE_UFRAG_SIZE],
                                     char pwd[RTC_ICE_PWD_SIZE]) {
  memcpy(ufrag, agent->current->local_ufrag, RTC_ICE_UFRAG_SIZE);
  memcpy(pwd, agent->current->local_pwd, RTC_ICE_PWD_SIZE);
}

rtc_error rtc_ice_agent_gather(rtc_ice_agent* agent) {
  RTC_DCHECK(rtc_task_queue_is_current(agent->queue));
  if (agent->closed || agent->current->gather_started)
    return RTC_ERR_INVALID_STATE;
  rtc_error err = ice_gather_start(agent, agent->current);
  ice_emit_state_changes(agent);
  ice_post_flush(agent);
  return err;
}

rtc_error rtc_ice_agent_set_remote_credentials(rtc_ice_agent* agent,
                                               const char* ufrag,
                                               const char* pwd) {
  RTC_DCHECK(rtc_task_queue_is_current(agent->queue));
  if (!valid_credential(ufrag, 4, 256) || !valid_credential(pwd, 22, 256))
    return RTC_ERR_INVALID_ARGUMENT;
  ice_generation* gen = agent->current;
  if (gen->has_remote_credentials) {
    if (strcmp(gen->remote_ufrag, ufrag) == 0 &&
        strcmp(gen->remote_pwd, pwd) == 0)
      return RTC_OK;
    return RTC_ERR_INVALID_STATE;
  }
  snprintf(gen->remote_ufrag, sizeof(gen->remote_ufrag), "%s", ufrag);
  snprintf(gen->remote_pwd, sizeof(gen->remote_pwd), "%s", pwd);
  gen->has_remote_credentials = true;
  /* Candidates that named another ufrag do not belong here. */
  size_t kept = 0;
  for (size_t i = 0; i < gen->remote_count; i++) {
    ice_remote* r = gen->remotes[i];
    if (r->c.ufrag[0] && strcmp(r->c.ufrag, ufrag) != 0) {
      bool used = false;
      for (size_t p = 0; p < gen->pair_count; p++)
        used |= gen->pairs[p]->remote == r;
      if (!used) {
        ice_remote_free(agent, r);
        continue;
      }
    }
    gen->remotes[kept++] = r;
  }
  gen->remote_count = kept;
  /* The candidates the peer trickled for this generation before it
   * started; held ones of any other ufrag are stale by now. */
  for (size_t i = 0; i < agent->held_count; i++) {
    if (strcmp(agent->held[i]->ufrag, ufrag) == 0 &&
        ice_add_remote(agent, gen, agent->held[i]) != RTC_OK)
      RTC_LOG(WARNING, "ICE: a held remote candidate was dropped");
  }
  release_held(agent);
  ice_start_pac(agent, gen);
  ice_process_early_requests(agent, gen);
  ice_checks_kick(agent);
  ice_emit_state_changes(agent);
  ice_post_flush(agent);
  return RTC_OK;
}

rtc_error rtc_ice_agent_add_remote_candidate(rtc_ice_agent* agent,
                                             const rtc_candidate* candidate) {
  RTC_DCHECK(rtc_task_queue_is_current(agent->queue));
  if (agent->closed)
    return RTC_ERR_INVALID_STATE;
  ice_generation* gen = agent->current;
  /* RFC 8445 §9: a peer that restarts first trickles its new generation's
   * candidates (its ufrag) while ours is still the old one: hold them for
   * the generation our restart starts. Late ones of the previous
   * generation are no use. */
  if (candidate->ufrag[0] && gen->has_remote_credentials &&
      strcmp(candidate->ufrag, gen->remote_ufrag) != 0) {
    ice_generation* prev = agent->previous;
    if ((prev && prev->has_remote_credentials &&
         strcmp(candidate->ufrag, prev->remote_ufrag) == 0) ||
        agent->held_count == ICE_MAX_HELD)
      return RTC_OK;
    rtc_candidate* copy = rtc_malloc(sizeof(*copy));
    if (!copy)
      return RTC_ERR_NO_MEMORY;
    *copy = *candidate;
    agent->held[agent->held_count++] = copy;
    return RTC_OK;
  }
  rtc_error err = ice_add_remote(agent, gen, candidate);
  ice_emit_state_changes(agent);
  ice_post_flush(agent);
  return err;
}

void rtc_ice_agent_end_of_remote_candidates(rtc_ice_agent* agent) {
  RTC_DCHECK(rtc_task_queue_is_current(agent->queue));
  agent->current->remote_end_of_candidates = true;
  ice_emit_state_changes(agent);
  ice_post_flush(agent);
}

void rtc_ice_agent_set_role(rtc_ice_agent* agent, rtc_ice_role role) {
  RTC_DCHECK(rtc_task_queue_is_current(agent->queue));
  ice_set_role(agent, role);
}

rtc_ice_role rtc_ice_agent_role(const rtc_ice_agent* agent) {
  return agent->role;
}

rtc_error rtc_ice_agent_set_gathering_config(
    rtc_ice_agent* agent,
    rtc_ice_transport_policy policy,
    const rtc_socket_address* stun_servers,
    size_t stun_server_count,
    const rtc_ice_server_name* stun_server_names,
    size_t stun_server_name_count,
    const rtc_ice_turn_server* turn_servers,
    size_t turn_server_count) {
  RTC_DCHECK(rtc_task_queue_is_current(agent->queue));
  if (stun_server_count > RTC_ICE_MAX_STUN_SERVERS ||
      (stun_server_count && !stun_servers) ||
      stun_server_name_count > RTC_ICE_MAX_STUN_SERVERS ||
      (stun_server_name_count && !stun_server_names) ||
      turn_server_count > RTC_ICE_MAX_TURN_SERVERS ||
      (turn_server_count && !turn_servers))
    return RTC_ERR_INVALID_ARGUMENT;
  /* Copied first: out of memory, the configuration stays as it was. */
  rtc_ice_server_name* names =
      copy_stun_names(stun_server_names, stun_server_name_count);
  if (!names && stun_server_name_count)
    return RTC_ERR_NO_MEMORY;
  rtc_error err = set_turn_servers(agent, turn_servers, turn_server_count);
  if (err != RTC_OK) {
    rtc_free(names);
    return err;
  }
  set_stun_names(agent, names, stun_server_name_count);
  agent->config.transport_policy = policy;
  for (size_t i = 0; i < stun_server_count; i++)
    agent->stun_servers[i] = stun_servers[i];
  agent->stun_server_count = stun_server_count;
  return RTC_OK;
}

rtc_error rtc_ice_agent_restart(rtc_ice_agent* agent,
                                const char* ufrag,
                                const char* pwd) {
  RTC_DCHECK(rtc_task_queue_is_current(agent->queue));
  if (agent->closed)
    return RTC_ERR_INVALID_STATE;
  if ((ufrag && !valid_credential(ufrag, 4, 256)) ||
      (pwd && !valid_credential(pwd, 22, 256)))
    return RTC_ERR_INVALID_ARGUMENT;
  ice_generation* gen = ice_generation_new(agent);
  if (!gen)
    return RTC_ERR_NO_MEMORY;
  if (ufrag)
    snprintf(gen->local_ufrag, sizeof(gen->local_ufrag), "%s", ufrag);
  if (pwd)
    snprintf(gen->local_pwd, sizeof(gen->local_pwd), "%s", pwd);
  /* Keep the generation that carries data until the new one selects. */
  ice_generation* keep = agent->selected ? agent->selected->gen : NULL;
  if (agent->previous && agent->previous != keep) {
    ice_generation_free(agent, agent->previous);
    agent->previous = NULL;
  }
  if (agent->current == keep) {
    agent->previous = agent->current;
  } else {
    ice_generation_free(agent, agent->current);
  }
  agent->current = gen;
  rtc_timer_stop(&agent->nomination_timer);
  rtc_timer_stop(&agent->pac_timer);
  /* webrtc-pc RTCIceGathererState "complete": "It will not gather
   * candidates again until an ICE restart causes it to restart": the
   * gathering state stays until rtc_ice_agent_gather starts the new
   * generation's gathering ("gathering"); it does not go back to "new". */
  ice_emit_state_changes(agent);
  ice_post_flush(agent);
  return RTC_OK;
}

rtc_error rtc_ice_agent_send(rtc_ice_agent* agent,
                             const uint8_t* data,
                             size_t size) {
  RTC_DCHECK(rtc_task_queue_is_current(agent->queue));
  ice_pair* pair = agent->selected;
  /* RFC 7675 §5.1: no consent, no sending. */
  if (!pair || agent->consent_lost || agent->closed)
    return RTC_ERR_INVALID_STATE;
  if (size > RTC_MAX_PACKET_SIZE)
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_error err = ice_base_send(pair->base, &pair->remote->address, data, size);
  if (err == RTC_OK || err == RTC_ERR_NETWORK) {
    pair->stats.packets_sent++;
    pair->stats.bytes_sent += size;
    return RTC_OK;
  }
  return err;
}

rtc_ice_transport_state rtc_ice_agent_state(const rtc_ice_agent* agent) {
  return agent->state;
}

rtc_ice_gathering_state rtc_ice_agent_gathering_state(
    const rtc_ice_agent* agent) {
  return agent->gathering_state;
}

rtc_error rtc_ice_agent_selected_pair(const rtc_ice_agent* agent,
                                      rtc_ice_pair_info* out) {
  if (!agent->selected)
    return RTC_ERR_NOT_FOUND;
  ice_pair_info(agent->selected, out);
  return RTC_OK;
}

size_t rtc_ice_agent_pairs(const rtc_ice_agent* agent,
                           rtc_ice_pair_info* out,
                           size_t capacity) {
  const ice_generation* gen = agent->current;
  for (size_t i = 0; i < gen->pair_count && i < capacity; i++)
    ice_pair_info(gen->pairs[i], &out[i]);
  return gen->pair_count;
}

size_t rtc_ice_agent_local_candidates(const rtc_ice_agent* agent,
                                      rtc_candidate* out,
                                      size_t capacity) {
  const ice_generation* gen = agent->current;
  size_t n = 0;
  for (size_t i = 0; i < gen->local_count; i++) {
    const ice_local* l = gen->locals[i];
    if (l->c.type == RTC_CANDIDATE_HOST && !l->base->announce_host)
      continue;
    if (n < capacity)
      out[n] = l->c;
    n++;
  }
  return n;
}

size_t rtc_ice_agent_remote_candidates(const rtc_ice_agent* agent,
                                       rtc_candidate* out,
                                       size_t capacity) {
  const ice_generation* gen = agent->current;
  for (size_t i = 0; i < gen->remote_count && i < capacity; i++)
    ice_remote_exposed(gen->remotes[i], &out[i]);
  return gen->remote_count;
}
