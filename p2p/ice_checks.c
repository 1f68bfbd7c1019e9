/*
 * ICE connectivity: remote candidates, the check list (RFC 8445 §6.1.2),
 * paced and triggered checks (§6.1.4, §7.2, §7.3), role conflicts
 * (§7.3.1.1), nomination (§8), selection, consent freshness (RFC 7675) and
 * the transport state (webrtc-pc RTCIceTransportState).
 */
#include <stdio.h>
#include <string.h>

#include "p2p/ice_agent_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"

/* --- Priorities --- */

static uint32_t prflx_priority(const ice_base* base) {
  /* RFC 6544 §4.2 and §7.1: a check over TCP claims a peer-reflexive TCP
   * candidate, which stays below every UDP one too. */
  if (base->tcp)
    return ice_tcp_check_priority(base);
  return rtc_candidate_priority(RTC_CANDIDATE_PRFLX, base->local_preference, 1);
}

static uint64_t pair_priority(const rtc_ice_agent* agent,
                              uint32_t local,
                              uint32_t remote) {
  /* RFC 8445 §6.1.2.3: G is the controlling agent's candidate. */
  if (agent->role == RTC_ICE_ROLE_CONTROLLING)
    return rtc_candidate_pair_priority(local, remote);
  return rtc_candidate_pair_priority(remote, local);
}

static void sort_pairs(ice_generation* gen) {
  for (size_t i = 1; i < gen->pair_count; i++) {
    ice_pair* p = gen->pairs[i];
    size_t j = i;
    while (j > 0 && gen->pairs[j - 1]->priority < p->priority) {
      gen->pairs[j] = gen->pairs[j - 1];
      j--;
    }
    gen->pairs[j] = p;
  }
}

static void recompute_priorities(rtc_ice_agent* agent, ice_generation* gen) {
  if (!gen)
    return;
  for (size_t i = 0; i < gen->pair_count; i++) {
    ice_pair* p = gen->pairs[i];
    p->priority =
        pair_priority(agent, p->local->c.priority, p->remote->c.priority);
    p->valid_priority =
        pair_priority(agent, p->valid_local_priority, p->remote->c.priority);
  }
  sort_pairs(gen);
}

/* A peer-reflexive remote candidate is now signaled (RFC 8445 §7.3.1.3
 * learned it first): it takes the signaled candidate (type, priority, and
 * an mDNS name that hides the address). When it is in the selected pair,
 * the pair's remote candidate changed: the selected pair is announced
 * again, so that RTCIceTransport's pair names the signaled candidate. */
static void prflx_signaled(rtc_ice_agent* agent,
                           ice_generation* gen,
                           ice_remote* known,
                           const rtc_candidate* signaled) {
  known->c = *signaled;
  recompute_priorities(agent, gen);
  if (agent->selected && agent->selected->remote == known) {
    ice_event e = {.kind = ICE_EVENT_SELECTED_PAIR};
    ice_pair_info(agent->selected, &e.u.pair);
    ice_emit(agent, &e);
  }
}

void ice_set_role(rtc_ice_agent* agent, rtc_ice_role role) {
  if (agent->role == role)
    return;
  agent->role = role;
  /* §6.1.2.3: G is the controlling agent's priority, so pair priorities
   * (and the check order) depend on the role. */
  recompute_priorities(agent, agent->current);
  recompute_priorities(agent, agent->previous);
}

static void switch_role(rtc_ice_agent* agent) {
  ice_set_role(agent, agent->role == RTC_ICE_ROLE_CONTROLLING
                          ? RTC_ICE_ROLE_CONTROLLED
                          : RTC_ICE_ROLE_CONTROLLING);
  RTC_LOG(INFO, "ICE: role conflict, now %s", rtc_ice_role_name(agent->role));
}

/* --- Pairs --- */

bool ice_addresses_compatible(const rtc_socket_address* local,
                              const rtc_socket_address* remote) {
  return local->family == remote->family &&
         rtc_socket_address_is_loopback(local) ==
             rtc_socket_address_is_loopback(remote) &&
         rtc_socket_address_is_link_local(local) ==
             rtc_socket_address_is_link_local(remote);
}

static bool same_foundation(const ice_pair* a, const ice_pair* b) {
  return strcmp(a->local->c.foundation, b->local->c.foundation) == 0 &&
         strcmp(a->remote->c.foundation, b->remote->c.foundation) == 0;
}

/* A pair with this pair's foundation is Waiting or In-Progress. */
static bool foundation_active(const ice_generation* gen, const ice_pair* pair) {
  for (size_t i = 0; i < gen->pair_count; i++) {
    const ice_pair* p = gen->pairs[i];
    if (p != pair && same_foundation(p, pair) &&
        (p->state == ICE_PAIR_WAITING || p->state == ICE_PAIR_IN_PROGRESS))
      return true;
  }
  return false;
}

static ice_pair* find_pair(const ice_generation* gen,
                           const ice_base* base,
                           const ice_remote* remote) {
  for (size_t i = 0; i < gen->pair_count; i++) {
    ice_pair* p = gen->pairs[i];
    if (p->base == base && p->remote == remote)
      return p;
  }
  return NULL;
}

static void remove_triggered(ice_generation* gen, const ice_pair* pair) {
  size_t kept = 0;
  for (size_t i = 0; i < gen->triggered_count; i++) {
    if (gen->triggered[i] != pair)
      gen->triggered[kept++] = gen->triggered[i];
  }
  gen->triggered_count = kept;
}

static void remove_pair(rtc_ice_agent* agent,
                        ice_generation* gen,
                        ice_pair* pair) {
  remove_triggered(gen, pair);
  /* Every transaction of the pair goes: the live check and any cancelled
   * ones still waiting for a late response (§7.3.1.4). */
  ice_transaction** link = &agent->transactions;
  while (*link) {
    ice_transaction* tx = *link;
    if (tx->pair == pair) {
      ice_transaction_free(agent, tx); /* unlinks: *link is the next one */
    } else {
      link = &tx->next;
    }
  }
  RTC_CHECK(agent->selected != pair);
  if (pair->nominating)
    gen->nominated = false;
  size_t kept = 0;
  for (size_t i = 0; i < gen->pair_count; i++) {
    if (gen->pairs[i] != pair)
      gen->pairs[kept++] = gen->pairs[i];
  }
  gen->pair_count = kept;
  /* A TCP connection is one pair's: without it, it goes. */
  if (pair->base->tcp)
    ice_tcp_sweep_soon(agent);
  rtc_free(pair);
}

ice_pair* ice_add_pair(rtc_ice_agent* agent,
                       ice_generation* gen,
                       ice_base* base,
                       ice_remote* remote) {
  ice_pair* existing = find_pair(gen, base, remote);
  if (existing)
    return existing;
  ice_local* local = ice_local_for_base(gen, base);
  /* RFC 6544 §6.2: UDP candidates pair with UDP ones, TCP with TCP. */
  if (!local || !remote->resolved || local->c.protocol != remote->c.protocol ||
      !ice_addresses_compatible(&base->address, &remote->address))
    return NULL;
  /* IP-07: a remote mDNS candidate is never paired with a local relay. */
  if (remote->c.hostname[0] && local->c.type == RTC_CANDIDATE_RELAY)
    return NULL;
  uint64_t priority =
      pair_priority(agent, local->c.priority, remote->c.priority);
  if (gen->pair_count == RTC_ICE_MAX_PAIRS) {
    /* RFC 8445 §6.1.2.5: keep the highest-priority pairs; only a pair not
     * yet checked may give way (a Waiting pair may have been checked: the
     * peer's requests put In-Progress and Failed pairs back to Waiting,
     * §7.3.1.4). */
    ice_pair* victim = NULL;
    for (size_t i = gen->pair_count; i-- > 0;) {
      ice_pair* p = gen->pairs[i];
      if ((p->state == ICE_PAIR_FROZEN || p->state == ICE_PAIR_WAITING) &&
          p->stats.requests_sent == 0 && p->stats.requests_received == 0 &&
          p->priority < priority && p != gen->selected) {
        victim = p;
        break;
      }
    }
    if (!victim)
      return NULL;
    remove_pair(agent, gen, victim);
  }
  /* Room for the pair in the check list and in the triggered-check queue
   * (enqueue_triggered then never fails for want of memory). */
  ice_pair** pairs =
      rtc_grow_array(gen->pairs, &gen->pair_capacity, gen->pair_count,
                     ICE_ARRAY_FIRST, RTC_ICE_MAX_PAIRS, sizeof(*pairs));
  if (!pairs)
    return NULL;
  gen->pairs = pairs;
  ice_pair** triggered =
      rtc_grow_array(gen->triggered, &gen->triggered_capacity, gen->pair_count,
                     ICE_ARRAY_FIRST, RTC_ICE_MAX_PAIRS, sizeof(*triggered));
  if (!triggered)
    return NULL;
  gen->triggered = triggered;
  ice_pair* pair = rtc_calloc(1, sizeof(*pair));
  if (!pair)
    return NULL;
  pair->gen = gen;
  pair->base = base;
  pair->local = local;
  pair->remote = remote;
  pair->priority = priority;
  pair->rtt_us = -1;
  pair->valid_local_priority = local->c.priority;
  pair->valid_priority = priority;
  /* RFC 8445 §6.1.2.6 (and RFC 8838 §10 for pairs trickled later): one
   * Waiting pair per foundation, the others Frozen. */
  pair->state =
      foundation_active(gen, pair) ? ICE_PAIR_FROZEN : ICE_PAIR_WAITING;
  gen->pairs[gen->pair_count++] = pair;
  sort_pairs(gen);
  /* RFC 8656 §9: the server relays nothing from a peer without a
   * permission; asked for now, it is in place before the first check. */
  if (base->relay)
    ice_relay_pair_formed(base->relay, &remote->address);
  return pair;
}

static void pair_remote(rtc_ice_agent* agent,
                        ice_generation* gen,
                        ice_remote* remote) {
  if (remote->c.protocol == RTC_ICE_PROTOCOL_TCP) {
    ice_tcp_pair_remote(agent, gen, remote);
    return;
  }
  for (size_t i = 0; i < agent->base_count; i++)
    ice_add_pair(agent, gen, agent->bases[i], remote);
}

void ice_pair_local_added(rtc_ice_agent* agent,
                          ice_generation* gen,
                          ice_local* local) {
  if (local->c.protocol == RTC_ICE_PROTOCOL_TCP) {
    ice_tcp_local_added(agent, gen, local);
    return;
  }
  for (size_t i = 0; i < gen->remote_count; i++)
    ice_add_pair(agent, gen, local->base, gen->remotes[i]);
}

ice_pair* ice_find_valid_pair(rtc_ice_agent* agent,
                              const ice_base* base,
                              const rtc_socket_address* remote) {
  if (agent->selected && agent->selected->base == base &&
      rtc_socket_address_equal(&agent->selected->remote->address, remote))
    return agent->selected;
  ice_generation* gens[2] = {agent->current, agent->previous};
  for (int g = 0; g < 2; g++) {
    ice_generation* gen = gens[g];
    for (size_t i = 0; gen && i < gen->pair_count; i++) {
      ice_pair* p = gen->pairs[i];
      if (p->valid && p->base == base &&
          rtc_socket_address_equal(&p->remote->address, remote))
        return p;
    }
  }
  return NULL;
}

static void hide_address(rtc_candidate* c) {
  uint16_t port = c->address.port;
  rtc_socket_address_clear(&c->address);
  c->address.port = port;
}

void ice_remote_exposed(const ice_remote* remote, rtc_candidate* out) {
  *out = remote->c;
  /* IP-06: a peer-reflexive address learned from a check, not from
   * signaling, is not exposed. */
  if (remote->c.type == RTC_CANDIDATE_PRFLX)
    hide_address(out);
}

void ice_pair_info(const ice_pair* pair, rtc_ice_pair_info* out) {
  const ice_pair_counters* s = &pair->stats;
  *out = (rtc_ice_pair_info){
      .total_rtt_us = s->total_rtt_us,
      .rtt_measurements = s->rtt_measurements,
      .requests_sent = s->requests_sent,
      .responses_received = s->responses_received,
      .requests_received = s->requests_received,
      .responses_sent = s->responses_sent,
      .consent_requests_sent = s->consent_requests_sent,
      .packets_sent = s->packets_sent,
      .packets_received = s->packets_received,
      .bytes_sent = s->bytes_sent,
      .bytes_received = s->bytes_received,
  };
  out->local = pair->local->c;
  /* RFC 8828 mode 3: a host candidate that is never signaled (a private
   * address) does not show up in stats either. */
  if (out->local.type == RTC_CANDIDATE_HOST && !pair->base->announce_host)
    hide_address(&out->local);
  ice_remote_exposed(pair->remote, &out->remote);
  out->priority = pair->priority;
  static const char* const kStates[] = {"frozen", "waiting", "in-progress",
                                        "succeeded", "failed"};
  out->state = kStates[pair->state];
  out->nominated = pair->nominated;
  out->current_rtt_us = pair->rtt_us;
}

/* --- Remote candidates --- */

/* Room for one more remote candidate (below ICE_MAX_REMOTE). */
static bool reserve_remote(ice_generation* gen) {
  ice_remote** remotes =
      rtc_grow_array(gen->remotes, &gen->remote_capacity, gen->remote_count,
                     ICE_ARRAY_FIRST, ICE_MAX_REMOTE, sizeof(*remotes));
  if (!remotes)
    return false;
  gen->remotes = remotes;
  return true;
}

void ice_remote_free(rtc_ice_agent* agent, ice_remote* remote) {
  if (remote->query && agent->mdns)
    rtc_mdns_cancel(agent->mdns, remote->query);
  rtc_free(remote);
}

static ice_remote* find_remote(const ice_generation* gen,
                               const rtc_socket_address* address,
                               rtc_ice_protocol protocol) {
  for (size_t i = 0; i < gen->remote_count; i++) {
    ice_remote* r = gen->remotes[i];
    if (r->resolved && r->c.protocol == protocol &&
        rtc_socket_address_equal(&r->address, address))
      return r;
  }
  return NULL;
}

/* Takes an unpaired remote candidate out of the generation. */
static void remove_remote(ice_generation* gen, const ice_remote* remote) {
  size_t kept = 0;
  for (size_t i = 0; i < gen->remote_count; i++) {
    if (gen->remotes[i] != remote)
      gen->remotes[kept++] = gen->remotes[i];
  }
  gen->remote_count = kept;
}

static void on_resolved(void* user,
                        rtc_error result,
                        const rtc_socket_address* address) {
  ice_remote* remote = user;
  rtc_ice_agent* agent = remote->agent;
  remote->query = NULL;
  if (result != RTC_OK) {
    RTC_LOG(INFO, "ICE: mDNS candidate %s not resolved (%s): ignored",
            remote->c.hostname, rtc_error_name(result));
    return;
  }
  ice_generation* gen = remote->gen;
  rtc_socket_address resolved = *address;
  resolved.port = remote->c.address.port;
  ice_remote* known = find_remote(gen, &resolved, remote->c.protocol);
  if (known) {
    /* A check from that address came first: the peer-reflexive candidate
     * it made is this one (it takes the name, which hides the address,
     * and the signaled priority). Otherwise the address was signaled
     * twice: keep one. */
    if (known->c.type == RTC_CANDIDATE_PRFLX)
      prflx_signaled(agent, gen, known, &remote->c);
    remove_remote(gen, remote);
    ice_remote_free(agent, remote);
    ice_emit_state_changes(agent);
    ice_flush_events(agent);
    return;
  }
  remote->address = resolved;
  remote->resolved = true;
  pair_remote(agent, gen, remote);
  ice_checks_kick(agent);
  ice_emit_state_changes(agent);
  ice_flush_events(agent);
}

rtc_error ice_add_remote(rtc_ice_agent* agent,
                         ice_generation* gen,
                         const rtc_candidate* c) {
  /* One component (rtcp-mux): others are ignored, and addIceCandidate
   * still succeeds (webrtc-pc). RFC 6544: TCP candidates are active or
   * passive ones (paired with each other, §6.2); simultaneous-open (`so`)
   * ones are ignored, as are TCP candidates without a tcptype, and all of
   * them when this agent gathers no TCP candidates. */
  bool tcp = c->protocol == RTC_ICE_PROTOCOL_TCP;
  if (c->component != 1 || (tcp && (!agent->config.tcp_candidates ||
                                    (c->tcp_type != RTC_TCP_TYPE_ACTIVE &&
                                     c->tcp_type != RTC_TCP_TYPE_PASSIVE))))
    return RTC_OK;
  /* RFC 6544 §4.5: an active candidate's port is 9 (or 0 from some
   * implementations); nothing connects to it, so it is kept unpaired (it
   * shows in the remote candidates) and its name is not resolved. */
  bool active = tcp && c->tcp_type == RTC_TCP_TYPE_ACTIVE;
  /* A passive candidate we would never connect to (a port of another
   * protocol, a bad port) is ignored at once, as one of an unsupported
   * kind: no pair, no state change (as browsers do: WPT
   * RTCPeerConnection-addTcpIceCandidate). */
  if (tcp && !active && !ice_tcp_port_allowed(c->address.port))
    return RTC_OK;
  if (c->ufrag[0] && gen->has_remote_credentials &&
      strcmp(c->ufrag, gen->remote_ufrag) != 0)
    return RTC_OK;
  bool mdns_name = c->hostname[0] != '\0';
  if (mdns_name) {
    /* ICE-07: no DNS for candidates; only `<name>.local` through mDNS, and
     * IP-07: never under the relay policy. The draft ("Processing")
     * resolves only names of the UUID form, so that candidates cannot make
     * ICE probe the LAN for names such as `printer.local`. */
    if (!rtc_candidate_is_mdns(c) ||
        !rtc_mdns_is_uuid_name(c->hostname, strlen(c->hostname)) ||
        !rtc_mdns_is_resolvable_name(c->hostname, strlen(c->hostname)) ||
        agent->config.transport_policy == RTC_ICE_POLICY_RELAY)
      return RTC_OK;
  } else if (c->address.family == RTC_AF_UNSPEC ||
             rtc_socket_address_is_any(&c->address) ||
             (c->address.port == 0 && !active)) {
    return RTC_OK;
  }
  if (!mdns_name && !active) {
    ice_remote* known = find_remote(gen, &c->address, c->protocol);
    if (known) {
      /* A peer-reflexive candidate now signaled: take the signaled type and
       * priority (RFC 8445 §7.3.1.3 learned it before signaling did). */
      if (known->c.type == RTC_CANDIDATE_PRFLX)
        prflx_signaled(agent, gen, known, c);
      return RTC_OK;
    }
  }
  if (gen->remote_count == ICE_MAX_REMOTE)
    return RTC_OK;
  if (!reserve_remote(gen))
    return RTC_ERR_NO_MEMORY;
  ice_remote* remote = rtc_calloc(1, sizeof(*remote));
  if (!remote)
    return RTC_ERR_NO_MEMORY;
  remote->agent = agent;
  remote->gen = gen;
  remote->c = *c;
  gen->remotes[gen->remote_count++] = remote;
  if (active) {
    /* Learned as peer-reflexive from the checks of the connections it
     * makes to our passive candidates (RFC 6544 §7.2). */
  } else if (mdns_name) {
    rtc_mdns* mdns = ice_get_mdns(agent);
    if (mdns)
      rtc_mdns_resolve(mdns, c->hostname, strlen(c->hostname), 0, on_resolved,
                       remote, &remote->query);
  } else {
    remote->address = c->address;
    remote->resolved = true;
    pair_remote(agent, gen, remote);
  }
  ice_start_pac(agent, gen);
  ice_checks_kick(agent);
  return RTC_OK;
}

/* --- Checks (RFC 8445 §7.2) --- */

static size_t count_state(const ice_generation* gen, ice_pair_state state) {
  size_t n = 0;
  for (size_t i = 0; i < gen->pair_count; i++)
    n += gen->pairs[i]->state == state;
  return n;
}

/* RFC 8839 allows 256-char ufrags on both sides: the longest check must
 * fit the transaction's buffer (RTC_STUN_HEADER_SIZE + attributes). */
_Static_assert(RTC_STUN_HEADER_SIZE + 4 +
                       ((2 * (RTC_ICE_UFRAG_SIZE - 1) + 1 + 3) / 4) * 4 + 8 +
                       12 + 4 + 24 + 8 <=
                   ICE_STUN_BUFFER,
               "ICE_STUN_BUFFER cannot hold a check with the longest ufrags");

static void build_request(rtc_ice_agent* agent,
                          ice_transaction* tx,
                          const ice_generation* gen,
                          bool use_candidate) {
  char username[2 * RTC_ICE_UFRAG_SIZE];
  int ulen = snprintf(username, sizeof(username), "%s:%s", gen->remote_ufrag,
                      gen->local_ufrag);
  rtc_stun_builder b;
  rtc_stun_builder_init(&b, tx->message, sizeof(tx->message),
                        RTC_STUN_BINDING_REQUEST, tx->id);
  rtc_stun_add_username(&b, username, (size_t)ulen);
  rtc_stun_add_priority(&b, prflx_priority(tx->base));
  if (agent->role == RTC_ICE_ROLE_CONTROLLING)
    rtc_stun_add_ice_controlling(&b, agent->tie_breaker);
  else
    rtc_stun_add_ice_controlled(&b, agent->tie_breaker);
  if (use_candidate)
    rtc_stun_add_use_candidate(&b);
  rtc_stun_add_message_integrity(&b, (const uint8_t*)gen->remote_pwd,
                                 strlen(gen->remote_pwd));
  rtc_stun_add_fingerprint(&b);
  tx->role = agent->role;
  tx->use_candidate = use_candidate;
  RTC_CHECK(rtc_stun_builder_finish(&b, &tx->length) == RTC_OK);
}

static void send_check(rtc_ice_agent* agent, ice_pair* pair) {
  ice_generation* gen = pair->gen;
  if (pair->check) {
    /* §7.3.1.4: the in-progress transaction is cancelled: no more
     * retransmissions, but a late response still counts. */
    pair->check->cancelled = true;
    pair->check->next_send_us = INT64_MAX;
    pair->check = NULL;
  }
  ice_transaction* tx = ice_transaction_new(agent, ICE_TX_CHECK, pair->base,
                                            &pair->remote->address);
  if (!tx)
    return;
  tx->pair = pair;
  bool use_candidate =
      agent->role == RTC_ICE_ROLE_CONTROLLING && pair->nominating;
  build_request(agent, tx, gen, use_candidate);
  /* §14.3: RTO = MAX(500 ms, Ta * (Waiting + In-Progress)). */
  int64_t rto =
      agent->config.ta_us * (int64_t)(count_state(gen, ICE_PAIR_WAITING) +
                                      count_state(gen, ICE_PAIR_IN_PROGRESS));
  if (rto < ICE_MIN_RTO_US)
    rto = ICE_MIN_RTO_US;
  pair->state = ICE_PAIR_IN_PROGRESS;
  pair->check = tx;
  pair->stats.requests_sent++;
  gen->checks_started = true;
  ice_start_pac(agent, gen);
  /* RFC 8489 §6.2.1: Rc = 7 transmissions, then Rm = 16 RTOs of waiting:
   * the RTO sum is (1+2+...+32+16) = 79 RTOs (39.5 s at 500 ms). */
  ice_transaction_start(
      agent, tx, ICE_CHECK_TRANSMISSIONS, rto,
      rto * ((1 << (ICE_CHECK_TRANSMISSIONS - 1)) - 1 + ICE_LAST_WAIT_FACTOR));
}

static void enqueue_triggered(ice_generation* gen, ice_pair* pair) {
  RTC_DCHECK(pair->gen == gen);
  for (size_t i = 0; i < gen->triggered_count; i++) {
    if (gen->triggered[i] == pair)
      return;
  }
  if (gen->triggered_count < RTC_ICE_MAX_PAIRS) {
    /* Distinct pairs of the check list, which has room for them all. */
    RTC_CHECK(gen->triggered_count < gen->triggered_capacity);
    gen->triggered[gen->triggered_count++] = pair;
  }
}

/* §6.1.4.2: the next ordinary check. */
static ice_pair* next_ordinary(ice_generation* gen) {
  if (gen->selected)
    return NULL; /* §8: once nominated, no new ordinary checks */
  for (size_t i = 0; i < gen->pair_count; i++) {
    if (gen->pairs[i]->state == ICE_PAIR_WAITING)
      return gen->pairs[i];
  }
  for (size_t i = 0; i < gen->pair_count; i++) {
    ice_pair* p = gen->pairs[i];
    if (p->state == ICE_PAIR_FROZEN && !foundation_active(gen, p)) {
      p->state = ICE_PAIR_WAITING;
      return p;
    }
  }
  for (size_t i = 0; i < gen->pair_count; i++) {
    ice_pair* p = gen->pairs[i];
    if (p->state == ICE_PAIR_FROZEN) {
      p->state = ICE_PAIR_WAITING;
      return p;
    }
  }
  return NULL;
}

static bool has_work(const ice_generation* gen) {
  if (!gen->has_remote_credentials)
    return false;
  if (gen->triggered_count > 0)
    return true;
  if (gen->selected)
    return false;
  return count_state(gen, ICE_PAIR_WAITING) +
             count_state(gen, ICE_PAIR_FROZEN) >
         0;
}

void ice_checks_kick(rtc_ice_agent* agent) {
  if (rtc_timer_is_running(&agent->pacing_timer) || !has_work(agent->current))
    return;
  int64_t earliest = agent->last_check_sent_us + agent->config.ta_us;
  int64_t now = ice_now(agent);
  rtc_timer_start_at(&agent->pacing_timer, earliest > now ? earliest : now);
}

void ice_on_pacing_timer(void* arg) {
  rtc_ice_agent* agent = arg;
  ice_generation* gen = agent->current;
  if (!has_work(gen))
    return;
  ice_pair* pair = NULL;
  while (!pair && gen->triggered_count > 0) {
    pair = gen->triggered[0];
    memmove(gen->triggered, gen->triggered + 1,
            (gen->triggered_count - 1) * sizeof(gen->triggered[0]));
    gen->triggered_count--;
    /* A pair that succeeded meanwhile (the cancelled check's response came
     * back) needs no new check, unless it carries our nomination: checking
     * it again would make both sides trigger each other forever. */
    if (pair->state == ICE_PAIR_SUCCEEDED &&
        !(pair->nominating && !pair->nominated &&
          agent->role == RTC_ICE_ROLE_CONTROLLING))
      pair = NULL;
  }
  if (!pair)
    pair = next_ordinary(gen);
  if (pair) {
    send_check(agent, pair);
    agent->last_check_sent_us = ice_now(agent);
    if (has_work(gen))
      rtc_timer_start(&agent->pacing_timer, agent->config.ta_us);
  }
  ice_emit_state_changes(agent);
  ice_flush_events(agent);
}

/* --- Nomination and selection (RFC 8445 §8) --- */

static ice_pair* best_valid(const ice_generation* gen) {
  ice_pair* best = NULL;
  for (size_t i = 0; i < gen->pair_count; i++) {
    ice_pair* p = gen->pairs[i];
    if (p->valid && p->state != ICE_PAIR_FAILED &&
        (!best || p->valid_priority > best->valid_priority))
      best = p;
  }
  return best;
}

static void start_consent(rtc_ice_agent* agent);

static void select_pair(rtc_ice_agent* agent, ice_generation* gen) {
  ice_pair* best = NULL;
  for (size_t i = 0; i < gen->pair_count; i++) {
    ice_pair* p = gen->pairs[i];
    if (p->nominated && p->valid &&
        (!best || p->valid_priority > best->valid_priority))
      best = p;
  }
  if (!best || gen->selected == best)
    return;
  gen->selected = best;
  rtc_timer_stop(&agent->nomination_timer);
  if (gen != agent->current)
    return;
  agent->selected = best;
  if (agent->previous) {
    /* The restart is done: the old generation goes. */
    ice_generation_free(agent, agent->previous);
    agent->previous = NULL;
  }
  start_consent(agent);
  ice_event e = {.kind = ICE_EVENT_SELECTED_PAIR};
  ice_pair_info(best, &e.u.pair);
  ice_emit(agent, &e);
}

static void nominate(rtc_ice_agent* agent,
                     ice_generation* gen,
                     ice_pair* pair) {
  gen->nominated = true;
  pair->nominating = true;
  /* §8.1.1: a new check with USE-CANDIDATE on the valid pair. It goes out
   * at once, not on the next Ta tick: Ta paces the checks that open new
   * NAT bindings (§14.1), and this one reuses a 5-tuple that works, so
   * waiting would only add up to Ta to every connection's setup. */
  if (pair->valid && pair->state == ICE_PAIR_SUCCEEDED) {
    /* §7.3.1.4: this check is the pair's triggered check too, if the
     * peer's request queued one: the next tick must not send the
     * nomination again (cancelling this one). */
    remove_triggered(gen, pair);
    send_check(agent, pair);
    return;
  }
  enqueue_triggered(gen, pair);
  ice_checks_kick(agent);
}

static void maybe_nominate(rtc_ice_agent* agent, ice_generation* gen) {
  if (agent->role != RTC_ICE_ROLE_CONTROLLING || gen->nominated ||
      gen->selected || gen != agent->current)
    return;
  ice_pair* best = best_valid(gen);
  if (!best)
    return;
  /* Wait while a better pair may still succeed, but not forever. */
  bool better_pending = false;
  for (size_t i = 0; i < gen->pair_count; i++) {
    const ice_pair* p = gen->pairs[i];
    if (p->priority > best->valid_priority &&
        (p->state == ICE_PAIR_FROZEN || p->state == ICE_PAIR_WAITING ||
         p->state == ICE_PAIR_IN_PROGRESS))
      better_pending = true;
  }
  if (!better_pending) {
    nominate(agent, gen, best);
    return;
  }
  if (!rtc_timer_is_running(&agent->nomination_timer))
    rtc_timer_start(&agent->nomination_timer,
                    agent->config.nomination_delay_us);
}

void ice_on_nomination_timer(void* arg) {
  rtc_ice_agent* agent = arg;
  ice_generation* gen = agent->current;
  if (agent->role == RTC_ICE_ROLE_CONTROLLING && !gen->nominated &&
      !gen->selected) {
    ice_pair* best = best_valid(gen);
    if (best)
      nominate(agent, gen, best);
  }
  ice_emit_state_changes(agent);
  ice_flush_events(agent);
}

static void pair_failed(rtc_ice_agent* agent, ice_pair* pair) {
  ice_generation* gen = pair->gen;
  pair->state = ICE_PAIR_FAILED;
  pair->valid = false;
  if (pair->nominating) {
    /* The nomination did not go through: nominate another valid pair. */
    pair->nominating = false;
    gen->nominated = false;
    maybe_nominate(agent, gen);
  }
  ice_checks_kick(agent);
}

/* --- Responses to our checks (§7.2.5) --- */

static uint32_t found_local_priority(const ice_generation* gen,
                                     const ice_pair* pair,
                                     const rtc_socket_address* mapped) {
  /* §7.2.5.3.1: the local candidate equal to the mapped address, or a new
   * peer-reflexive one with the priority the request carried. */
  /* RFC 6544 §7.2.2: over TCP the mapped address is the connection's
   * source (an ephemeral port, or the NAT's mapping of it), not a
   * candidate that could be used again: the pair's own candidate stands. */
  if (pair->base->tcp)
    return pair->local->c.priority;
  for (size_t i = 0; i < gen->local_count; i++) {
    const ice_local* l = gen->locals[i];
    if (l->base == pair->base && rtc_socket_address_equal(&l->address, mapped))
      return l->c.priority;
  }
  return prflx_priority(pair->base);
}

void ice_check_response(rtc_ice_agent* agent,
                        ice_transaction* tx,
                        const rtc_stun_message* msg,
                        const rtc_received_packet* packet,
                        ice_base* base) {
  ice_pair* pair = tx->pair;
  ice_generation* gen = pair->gen;
  /* ICE-02, RFC 8489 §9.1.4: a response that does not authenticate is
   * discarded before it can change anything (the transaction goes on). */
  if (rtc_stun_check_integrity(msg, (const uint8_t*)gen->remote_pwd,
                               strlen(gen->remote_pwd)) != RTC_OK)
    return;
  /* §7.2.5.2.1: the response must come from where the request went, to
   * where it came from. */
  if (base != tx->base ||
      !rtc_socket_address_equal(&packet->source, &tx->destination)) {
    ice_transaction_free(agent, tx);
    pair_failed(agent, pair);
    return;
  }
  int64_t now = ice_now(agent);
  pair->stats.responses_received++;
  pair->last_received_us = now;
  if (rtc_stun_class(msg->type) == RTC_STUN_CLASS_ERROR) {
    int code = 0;
    rtc_stun_get_error_code(msg, &code, NULL, NULL);
    bool was_use_candidate = tx->use_candidate;
    rtc_ice_role claimed = tx->role;
    ice_transaction_free(agent, tx);
    if (code == RTC_STUN_ERROR_ROLE_CONFLICT) {
      /* §7.2.5.1: switch role (unless done already) and check again. */
      if (claimed == agent->role)
        switch_role(agent);
      pair->state = ICE_PAIR_WAITING;
      if (was_use_candidate && agent->role != RTC_ICE_ROLE_CONTROLLING) {
        pair->nominating = false;
        gen->nominated = false;
      }
      enqueue_triggered(gen, pair);
      ice_checks_kick(agent);
      return;
    }
    pair_failed(agent, pair);
    return;
  }
  rtc_socket_address mapped;
  if (rtc_stun_get_xor_mapped_address(msg, &mapped) != RTC_OK) {
    ice_transaction_free(agent, tx);
    pair_failed(agent, pair);
    return;
  }
  /* RFC 6298 §3 (Karn): a retransmitted request gives no RTT sample: the
   * response may answer any of its transmissions. */
  if (tx->transmissions == 1) {
    pair->rtt_us = now - tx->last_sent_us;
    pair->stats.total_rtt_us += pair->rtt_us;
    pair->stats.rtt_measurements++;
  }
  bool use_candidate = tx->use_candidate;
  ice_transaction_free(agent, tx);
  pair->mapped = rtc_socket_address_unmapped(&mapped);
  pair->valid_local_priority = found_local_priority(gen, pair, &pair->mapped);
  pair->valid_priority = pair_priority(agent, pair->valid_local_priority,
                                       pair->remote->c.priority);
  pair->state = ICE_PAIR_SUCCEEDED;
  pair->valid = true;
  if (pair->base->relay)
    ice_relay_pair_valid(pair->base->relay, &pair->remote->address);
  /* §7.2.5.3.3: the success unfreezes pairs of the same foundation. */
  for (size_t i = 0; i < gen->pair_count; i++) {
    ice_pair* p = gen->pairs[i];
    if (p->state == ICE_PAIR_FROZEN && same_foundation(p, pair))
      p->state = ICE_PAIR_WAITING;
  }
  /* §7.2.5.3.4 (controlling: our USE-CANDIDATE check succeeded) and
   * §7.3.1.5 (controlled: USE-CANDIDATE came before this success). */
  if ((use_candidate && agent->role == RTC_ICE_ROLE_CONTROLLING) ||
      (pair->nominate_on_success && agent->role == RTC_ICE_ROLE_CONTROLLED)) {
    pair->nominated = true;
    select_pair(agent, gen);
  }
  maybe_nominate(agent, gen);
  ice_checks_kick(agent);
}

void ice_check_timeout(rtc_ice_agent* agent, ice_transaction* tx) {
  ice_pair* pair = tx->pair;
  bool cancelled = tx->cancelled;
  ice_transaction_free(agent, tx);
  /* §7.2.5.4: a cancelled transaction's timeout is not a failure. */
  if (!cancelled && pair)
    pair_failed(agent, pair);
}

/* --- Requests from the peer (§7.3) --- */

static void send_response(rtc_ice_agent* agent,
                          ice_base* base,
                          const rtc_socket_address* to,
                          const rtc_stun_message* request,
                          int error_code,
                          const char* key,
                          const uint16_t* unknown,
                          size_t unknown_count) {
  uint8_t buf[ICE_STUN_BUFFER];
  rtc_stun_builder b;
  uint16_t type =
      error_code ? RTC_STUN_BINDING_ERROR : RTC_STUN_BINDING_SUCCESS;
  rtc_stun_builder_init(&b, buf, sizeof(buf), type, request->transaction_id);
  if (error_code) {
    rtc_stun_add_error_code(&b, error_code, NULL);
    if (unknown_count)
      rtc_stun_add_unknown_attributes(&b, unknown, unknown_count);
  } else {
    rtc_stun_add_xor_mapped_address(&b, to);
  }
  /* RFC 8489 §9.1.3: 400 and 401 answers cannot be authenticated. */
  if (key)
    rtc_stun_add_message_integrity(&b, (const uint8_t*)key, strlen(key));
  rtc_stun_add_fingerprint(&b);
  size_t len;
  if (rtc_stun_builder_finish(&b, &len) == RTC_OK)
    ice_send_stun(base, to, buf, len);
  (void)agent;
}

/* §7.3.1.3-§7.3.1.5 for a request that authenticated. */
static void process_request(rtc_ice_agent* agent,
                            ice_generation* gen,
                            ice_base* base,
                            const rtc_socket_address* source,
                            uint32_t priority,
                            bool use_candidate) {
  rtc_ice_protocol protocol =
      base->tcp ? RTC_ICE_PROTOCOL_TCP : RTC_ICE_PROTOCOL_UDP;
  ice_remote* remote = find_remote(gen, source, protocol);
  if (!remote) {
    /* §7.3.1.3: a peer-reflexive remote candidate. */
    if (gen->remote_count == ICE_MAX_REMOTE || !reserve_remote(gen))
      return;
    remote = rtc_calloc(1, sizeof(*remote));
    if (!remote)
      return;
    remote->agent = agent;
    remote->gen = gen;
    rtc_candidate_init(&remote->c);
    remote->c.type = RTC_CANDIDATE_PRFLX;
    remote->c.priority = priority;
    /* RFC 6544 §7.2: a check on a connection we accepted comes from the
     * peer's active side; one on a connection we made, from its passive
     * side (a signaled candidate: found above). */
    remote->c.protocol = protocol;
    if (base->tcp) {
      const ice_local* l = ice_local_for_base(gen, base);
      remote->c.tcp_type = l && l->c.tcp_type == RTC_TCP_TYPE_PASSIVE
                               ? RTC_TCP_TYPE_ACTIVE
                               : RTC_TCP_TYPE_PASSIVE;
    }
    remote->c.address = *source;
    snprintf(remote->c.ufrag, sizeof(remote->c.ufrag), "%s", gen->remote_ufrag);
    /* An arbitrary foundation, unique to this candidate. */
    snprintf(remote->c.foundation, sizeof(remote->c.foundation), "prflx%u",
             (unsigned)rtc_random_u32());
    remote->address = *source;
    remote->resolved = true;
    gen->remotes[gen->remote_count++] = remote;
  }
  ice_pair* pair = ice_add_pair(agent, gen, base, remote);
  if (!pair)
    return;
  pair->stats.requests_received++;
  pair->stats.responses_sent++;
  pair->last_received_us = ice_now(agent);
  /* §7.3.1.4: triggered checks. */
  switch (pair->state) {
    case ICE_PAIR_SUCCEEDED:
      break;
    case ICE_PAIR_IN_PROGRESS:
    case ICE_PAIR_FROZEN:
    case ICE_PAIR_WAITING:
    case ICE_PAIR_FAILED:
      if (!gen->selected || pair->state != ICE_PAIR_FAILED) {
        pair->state = ICE_PAIR_WAITING;
        enqueue_triggered(gen, pair);
      }
      break;
  }
  /* §7.3.1.5: the controlled agent learns the nomination. */
  if (use_candidate && agent->role == RTC_ICE_ROLE_CONTROLLED) {
    if (pair->state == ICE_PAIR_SUCCEEDED && pair->valid) {
      pair->nominated = true;
      select_pair(agent, gen);
    } else {
      pair->nominate_on_success = true;
    }
  }
  ice_start_pac(agent, gen);
  ice_checks_kick(agent);
}

void ice_process_early_requests(rtc_ice_agent* agent, ice_generation* gen) {
  for (size_t i = 0; i < gen->early_count; i++) {
    ice_early_request* r = &gen->early[i];
    if (strcmp(r->remote_ufrag, gen->remote_ufrag) == 0)
      process_request(agent, gen, r->base, &r->source, r->priority,
                      r->use_candidate);
  }
  gen->early_count = 0;
  rtc_free(gen->early);
  gen->early = NULL;
}

static void handle_request(rtc_ice_agent* agent,
                           ice_base* base,
                           const rtc_received_packet* packet,
                           const rtc_stun_message* msg) {
  const rtc_socket_address* source = &packet->source;
  /* ICE checks carry FINGERPRINT (RFC 8445 §7.2.2); without it this is not
   * an ICE request. */
  if (!msg->has_fingerprint)
    return;
  const char* username;
  size_t username_len;
  bool has_integrity = rtc_stun_find(msg, RTC_STUN_ATTR_MESSAGE_INTEGRITY);
  if (rtc_stun_get_username(msg, &username, &username_len) != RTC_OK ||
      !has_integrity) {
    /* RFC 8489 §9.1.3: 400 without USERNAME or MESSAGE-INTEGRITY. */
    send_response(agent, base, source, msg, RTC_STUN_ERROR_BAD_REQUEST, NULL,
                  NULL, 0);
    return;
  }
  /* USERNAME = "<our ufrag>:<their ufrag>" (RFC 8445 §7.2.2). */
  const char* colon = memchr(username, ':', username_len);
  ice_generation* gen = NULL;
  size_t local_len = colon ? (size_t)(colon - username) : 0;
  ice_generation* gens[2] = {agent->current, agent->previous};
  for (int g = 0; g < 2 && colon && !gen; g++) {
    if (gens[g] && strlen(gens[g]->local_ufrag) == local_len &&
        memcmp(gens[g]->local_ufrag, username, local_len) == 0)
      gen = gens[g];
  }
  if (!gen || rtc_stun_check_integrity(msg, (const uint8_t*)gen->local_pwd,
                                       strlen(gen->local_pwd)) != RTC_OK) {
    send_response(agent, base, source, msg, RTC_STUN_ERROR_UNAUTHORIZED, NULL,
                  NULL, 0);
    return;
  }
  /* An accepted TCP connection has proven it comes from the peer. */
  if (base->tcp)
    ice_tcp_checked(base);
  if (msg->unknown_required_count > 0) {
    /* RFC 8489 §6.3.1.1 */
    send_response(agent, base, source, msg, RTC_STUN_ERROR_UNKNOWN_ATTRIBUTE,
                  gen->local_pwd, msg->unknown_required,
                  msg->unknown_required_count);
    return;
  }
  const char* remote_ufrag = colon + 1;
  size_t remote_len = username_len - local_len - 1;
  if (gen->has_remote_credentials &&
      (strlen(gen->remote_ufrag) != remote_len ||
       memcmp(gen->remote_ufrag, remote_ufrag, remote_len) != 0)) {
    /* Our ufrag of this generation beside a ufrag of the peer that is not
     * this generation's: the peer paired a candidate of ours of one
     * generation with its own of another (Chromium, after it restarts:
     * its new sockets check our old candidates before our answer). No
     * pair of ours is made of those, and our next generation's candidates
     * have the same addresses: a success would let the peer nominate a
     * pair we do not have, keep it instead of the one with our new
     * candidate (one per address), and send data we drop. 400 makes
     * libwebrtc destroy the pair (it retries after a 401). The peer's
     * requests that came before its description are kept above. */
    send_response(agent, base, source, msg, RTC_STUN_ERROR_BAD_REQUEST,
                  gen->local_pwd, NULL, 0);
    return;
  }
  uint32_t priority;
  if (rtc_stun_get_priority(msg, &priority) != RTC_OK) {
    send_response(agent, base, source, msg, RTC_STUN_ERROR_BAD_REQUEST,
                  gen->local_pwd, NULL, 0);
    return;
  }
  /* §7.3.1.1: role conflicts. */
  uint64_t tie_breaker;
  if (agent->role == RTC_ICE_ROLE_CONTROLLING &&
      rtc_stun_get_ice_controlling(msg, &tie_breaker) == RTC_OK) {
    if (agent->tie_breaker >= tie_breaker) {
      send_response(agent, base, source, msg, RTC_STUN_ERROR_ROLE_CONFLICT,
                    gen->local_pwd, NULL, 0);
      return;
    }
    switch_role(agent);
  } else if (agent->role == RTC_ICE_ROLE_CONTROLLED &&
             rtc_stun_get_ice_controlled(msg, &tie_breaker) == RTC_OK) {
    if (agent->tie_breaker >= tie_breaker) {
      switch_role(agent);
    } else {
      send_response(agent, base, source, msg, RTC_STUN_ERROR_ROLE_CONFLICT,
                    gen->local_pwd, NULL, 0);
      return;
    }
  }
  send_response(agent, base, source, msg, 0, gen->local_pwd, NULL, 0);

  bool use_candidate = rtc_stun_has_use_candidate(msg);
  if (gen != agent->current) {
    /* The old generation only keeps its selected pair alive. */
    ice_pair* p = ice_find_valid_pair(agent, base, source);
    if (p)
      p->last_received_us = ice_now(agent);
    return;
  }
  if (!gen->has_remote_credentials) {
    /* RFC 8445 §7.3: before the peer's description, remember the request
     * to check back once the credentials are known. */
    if (!gen->early && remote_len < RTC_ICE_UFRAG_SIZE)
      gen->early =
          rtc_malloc_array(ICE_MAX_EARLY_REQUESTS, sizeof(*gen->early));
    /* Without memory the request is not remembered, as when the list is
     * full: the peer retransmits it. */
    if (gen->early && gen->early_count < ICE_MAX_EARLY_REQUESTS &&
        remote_len < RTC_ICE_UFRAG_SIZE) {
      ice_early_request* r = &gen->early[gen->early_count++];
      r->base = base;
      r->source = *source;
      r->priority = priority;
      r->use_candidate = use_candidate;
      memcpy(r->remote_ufrag, remote_ufrag, remote_len);
      r->remote_ufrag[remote_len] = '\0';
    }
    return;
  }
  process_request(agent, gen, base, source, priority, use_candidate);
}

void ice_handle_stun(rtc_ice_agent* agent,
                     ice_base* base,
                     const rtc_received_packet* packet) {
  rtc_stun_message msg;
  if (!rtc_stun_looks_like_stun(packet->data, packet->size) ||
      rtc_stun_parse(packet->data, packet->size, &msg) != RTC_OK)
    return;
  if (rtc_stun_method(msg.type) != RTC_STUN_METHOD_BINDING)
    return;
  uint16_t klass = rtc_stun_class(msg.type);
  if (klass == RTC_STUN_CLASS_REQUEST) {
    handle_request(agent, base, packet, &msg);
    return;
  }
  if (klass == RTC_STUN_CLASS_INDICATION) {
    ice_pair* p = ice_find_valid_pair(agent, base, &packet->source);
    if (p)
      p->last_received_us = packet->arrival_us;
    return;
  }
  /* ICE-03: a response must match a transaction of ours. */
  ice_transaction* tx = ice_transaction_find(agent, msg.transaction_id);
  if (!tx)
    return;
  switch (tx->kind) {
    case ICE_TX_CHECK:
      ice_check_response(agent, tx, &msg, packet, base);
      break;
    case ICE_TX_CONSENT:
      if (base == tx->base &&
          rtc_socket_address_equal(&packet->source, &tx->destination))
        ice_consent_response(agent, tx, &msg);
      break;
    case ICE_TX_SRFLX:
      if (base == tx->base &&
          rtc_socket_address_equal(&packet->source, &tx->destination))
        ice_srflx_response(agent, tx, &msg);
      break;
  }
  ice_schedule_transactions(agent);
}

/* --- Consent freshness (RFC 7675) --- */

/* RFC 7675 §5.1: a basic interval randomized to 0.8..1.2 times. */
static int64_t consent_interval(rtc_ice_agent* agent) {
  double f = 0.8 + 0.4 * rtc_prng_uniform(&agent->jitter);
  return (int64_t)((double)agent->config.consent_interval_us * f);
}

static void schedule_consent(rtc_ice_agent* agent, int64_t next_check) {
  int64_t expiry = agent->consent_ok_us + agent->config.consent_timeout_us;
  rtc_timer_start_at(&agent->consent_timer,
                     next_check < expiry ? next_check : expiry);
}

/* Drops every consent request still out (the current one and those that
 * missed their response timeout but may still be answered). */
static void drop_consent_transactions(rtc_ice_agent* agent) {
  ice_transaction** link = &agent->transactions;
  while (*link) {
    ice_transaction* tx = *link;
    if (tx->kind == ICE_TX_CONSENT) {
      ice_transaction_free(agent, tx); /* unlinks: *link is the next one */
    } else {
      link = &tx->next;
    }
  }
}

static void start_consent(rtc_ice_agent* agent) {
  drop_consent_transactions(agent);
  agent->consent_ok_us = ice_now(agent);
  agent->consent_misses = 0;
  agent->consent_lost = false;
  schedule_consent(agent, agent->consent_ok_us + consent_interval(agent));
}

static void lose_consent(rtc_ice_agent* agent) {
  if (agent->consent_lost)
    return;
  RTC_LOG(WARNING, "ICE: consent expired: sending stops");
  agent->consent_lost = true;
  rtc_timer_stop(&agent->consent_timer);
  drop_consent_transactions(agent);
}

static void send_consent(rtc_ice_agent* agent) {
  ice_pair* pair = agent->selected;
  if (!pair || agent->consent_check)
    return;
  ice_transaction* tx = ice_transaction_new(agent, ICE_TX_CONSENT, pair->base,
                                            &pair->remote->address);
  if (!tx)
    return;
  tx->pair = pair;
  build_request(agent, tx, pair->gen, false);
  int64_t timeout = ICE_CONSENT_RESPONSE_TIMEOUT_US;
  if (pair->rtt_us > 0 && 4 * pair->rtt_us > timeout)
    timeout = 4 * pair->rtt_us;
  agent->consent_check = tx;
  pair->stats.consent_requests_sent++;
  pair->stats.requests_sent++;
  /* Consent checks are not retransmitted: the next check is the retry. */
  ice_transaction_start(agent, tx, 1, timeout, timeout);
}

void ice_on_consent_timer(void* arg) {
  rtc_ice_agent* agent = arg;
  if (!agent->selected || agent->consent_lost)
    return;
  int64_t now = ice_now(agent);
  /* §5.1: no authenticated response for 30 s: consent expired. */
  if (now - agent->consent_ok_us >= agent->config.consent_timeout_us) {
    lose_consent(agent);
  } else {
    send_consent(agent);
    schedule_consent(agent, now + consent_interval(agent));
  }
  ice_emit_state_changes(agent);
  ice_flush_events(agent);
}

void ice_consent_response(rtc_ice_agent* agent,
                          ice_transaction* tx,
                          const rtc_stun_message* msg) {
  ice_pair* pair = tx->pair;
  const char* pwd = pair->gen->remote_pwd;
  /* CON-02: only authenticated responses refresh consent. */
  if (rtc_stun_check_integrity(msg, (const uint8_t*)pwd, strlen(pwd)) != RTC_OK)
    return;
  int64_t now = ice_now(agent);
  pair->stats.responses_received++;
  pair->last_received_us = now;
  if (rtc_stun_class(msg->type) == RTC_STUN_CLASS_ERROR) {
    int code = 0;
    rtc_stun_get_error_code(msg, &code, NULL, NULL);
    /* Read what the transaction knows before it goes. */
    rtc_ice_role claimed = tx->role;
    ice_transaction_free(agent, tx);
    /* RFC 7675 §5.2: an authenticated 403 revokes consent at once. */
    if (code == RTC_STUN_ERROR_FORBIDDEN && pair == agent->selected)
      lose_consent(agent);
    else if (code == RTC_STUN_ERROR_ROLE_CONFLICT && claimed == agent->role)
      switch_role(agent);
    return;
  }
  /* Consent requests are sent once: the round trip is unambiguous. */
  pair->rtt_us = now - tx->last_sent_us;
  pair->stats.total_rtt_us += pair->rtt_us;
  pair->stats.rtt_measurements++;
  int64_t sent = tx->first_sent_us;
  ice_transaction_free(agent, tx);
  if (pair == agent->selected && !agent->consent_lost) {
    /* RFC 7675 §5.1: consent runs for 30 s from the sending of a request
     * that was answered (a late answer to an older one moves nothing). */
    if (sent > agent->consent_ok_us)
      agent->consent_ok_us = sent;
    agent->consent_misses = 0;
  }
}

void ice_consent_timeout(rtc_ice_agent* agent, ice_transaction* tx) {
  if (tx->cancelled || agent->consent_lost || tx->pair != agent->selected) {
    /* The time in which an answer still counts is over. */
    ice_transaction_free(agent, tx);
    return;
  }
  /* No answer within the response timeout: a miss (three in a row mean
   * disconnected). RFC 7675 §5.1: an answer to any request sent in the last
   * 30 s still keeps consent, so the request waits for one until then. */
  tx->cancelled = true;
  tx->timeout_us = tx->first_sent_us + agent->config.consent_timeout_us;
  if (agent->consent_check == tx)
    agent->consent_check = NULL;
  agent->consent_misses++;
  /* Check again now rather than at the next interval. */
  if (ice_now(agent) - agent->consent_ok_us < agent->config.consent_timeout_us)
    send_consent(agent);
}

void ice_pair_transport_closed(rtc_ice_agent* agent, ice_pair* pair) {
  ice_generation* gen = pair->gen;
  remove_triggered(gen, pair);
  /* Its transactions go: nothing they send can arrive any more. */
  ice_transaction** link = &agent->transactions;
  while (*link) {
    ice_transaction* tx = *link;
    if (tx->pair == pair) {
      ice_transaction_free(agent, tx); /* unlinks: *link is the next one */
    } else {
      link = &tx->next;
    }
  }
  pair_failed(agent, pair);
  /* The selected pair cannot carry anything again (a TCP connection is
   * not made twice for a pair): consent is lost now rather than after
   * 30 s of unanswered checks (RFC 7675 §5.1 allows stopping at once);
   * an ICE restart finds another pair. */
  if (pair == agent->selected)
    lose_consent(agent);
}

/* --- PAC timer (RFC 8863) and state --- */

void ice_start_pac(rtc_ice_agent* agent, ice_generation* gen) {
  if (gen->pac_deadline_us != INT64_MAX || gen != agent->current)
    return;
  gen->pac_deadline_us = ice_now(agent) + agent->config.pac_timeout_us;
  rtc_timer_start_at(&agent->pac_timer, gen->pac_deadline_us);
}

void ice_on_pac_timer(void* arg) {
  rtc_ice_agent* agent = arg;
  agent->current->pac_expired = true;
  ice_emit_state_changes(agent);
  ice_flush_events(agent);
}

/* webrtc-pc RTCIceTransportState "failed": "finished gathering, received
 * an indication that there are no more remote candidates, finished
 * checking all candidate pairs, and all pairs have either failed
 * connectivity checks or lost consent, and either zero local candidates
 * were gathered or the PAC timer has expired [RFC8863]". PAC expiry
 * alone does not fail: without the peer's end-of-candidates the
 * transport is "disconnected" (generation_stalled). `pending`: the
 * generation's checks in progress and triggered. */
static bool generation_failed(const ice_generation* gen, size_t pending) {
  pending +=
      count_state(gen, ICE_PAIR_WAITING) + count_state(gen, ICE_PAIR_FROZEN);
  return pending == 0 && best_valid(gen) == NULL && gen->gather_done &&
         gen->remote_end_of_candidates &&
         (gen->local_count == 0 || gen->pac_expired);
}

/* webrtc-pc RTCIceTransportState "disconnected": "the RTCIceTransport has
 * finished checking all existing candidates pairs and not found a
 * connection ..., but it is still gathering and/or waiting for additional
 * remote candidates". */
static bool generation_stalled(const ice_generation* gen, size_t pending) {
  pending +=
      count_state(gen, ICE_PAIR_WAITING) + count_state(gen, ICE_PAIR_FROZEN);
  return pending == 0 && best_valid(gen) == NULL &&
         count_state(gen, ICE_PAIR_FAILED) > 0 &&
         (!gen->gather_done || !gen->remote_end_of_candidates);
}

rtc_ice_transport_state ice_compute_state(const rtc_ice_agent* agent) {
  const ice_generation* gen = agent->current;
  if (agent->closed)
    return RTC_ICE_TRANSPORT_CLOSED;
  size_t pending =
      count_state(gen, ICE_PAIR_IN_PROGRESS) + gen->triggered_count;
  /* webrtc-pc `checking`: "consent checks have failed on all previously
   * successful candidate pairs" and an ICE restart checks new ones. */
  bool restarting_after_failure =
      agent->selected && agent->consent_lost && agent->selected->gen != gen;
  /* The same from `disconnected` (the selected pair gets no consent
   * responses), once the new generation has something to check; until
   * then the transport stays `disconnected`. */
  if (agent->selected && agent->selected->gen != gen &&
      agent->consent_misses >= ICE_CONSENT_MISSES_DISCONNECTED &&
      (gen->remote_count > 0 || gen->checks_started))
    restarting_after_failure = true;
  /* A restart whose generation failed (below) has failed, though a pair
   * of the generation before still carries data. */
  bool restart_failed = agent->selected && agent->selected->gen != gen &&
                        generation_failed(gen, pending);
  if (restart_failed)
    return RTC_ICE_TRANSPORT_FAILED;
  if (agent->selected && !restarting_after_failure) {
    if (agent->consent_lost)
      return RTC_ICE_TRANSPORT_FAILED;
    if (agent->consent_misses >= ICE_CONSENT_MISSES_DISCONNECTED)
      return RTC_ICE_TRANSPORT_DISCONNECTED;
    /* webrtc-pc: completed = gathering finished, end-of-candidates
     * received, all checks done, a connection found. */
    if (agent->selected->gen == gen && gen->gather_done &&
        gen->remote_end_of_candidates && pending == 0)
      return RTC_ICE_TRANSPORT_COMPLETED;
    return RTC_ICE_TRANSPORT_CONNECTED;
  }
  if (gen->remote_count == 0 && !gen->checks_started) {
    /* No pair at all: "failed" all the same once the peer said it has no
     * more candidates and the PAC timer expired (or nothing was gathered
     * here). */
    if (agent->state == RTC_ICE_TRANSPORT_FAILED ||
        generation_failed(gen, pending))
      return RTC_ICE_TRANSPORT_FAILED;
    return RTC_ICE_TRANSPORT_NEW;
  }
  if (generation_failed(gen, pending))
    return RTC_ICE_TRANSPORT_FAILED;
  if (generation_stalled(gen, pending))
    return RTC_ICE_TRANSPORT_DISCONNECTED;
  return RTC_ICE_TRANSPORT_CHECKING;
}
