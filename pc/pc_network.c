/*
 * The network-thread half of a peer connection (see pc_network.h).
 */
#include "pc/pc_network.h"

#include <stdio.h>
#include <string.h>

#include "p2p/mdns.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"

#define MAX_TRANSPORTS 16

typedef struct pc_transport {
  pc_network* net;
  char name[PC_TRANSPORT_NAME_SIZE];
  rtc_ice_agent* ice;
  rtc_dtls_transport* dtls;
  bool has_remote;
  bool ice_selected;              /* ICE has selected a pair at least once */
  uint64_t selected_pair_changes; /* pairs ICE selected, one after another */
  bool dtls_started;
  rtc_dtls_role role;
  rtc_ice_transport_state ice_state;
  rtc_ice_gathering_state gathering_state;
  rtc_dtls_state dtls_state;
  char remote_fingerprint[RTC_FINGERPRINT_TEXT_SIZE];
} pc_transport;

/* What a transport looked like when close() stopped it: getStats() keeps
 * reporting it (webrtc-stats: stats outlive the closing). */
typedef struct closed_transport {
  char name[PC_TRANSPORT_NAME_SIZE];
  pc_transport_stats stats;
  rtc_ice_pair_info* pairs;
  size_t pair_count;
} closed_transport;

struct pc_network {
  rtc_task_queue* queue;
  pc_network_config config;
  const pc_network_events* events;
  void* user;
  pc_transport* transports[MAX_TRANSPORTS];
  size_t transport_count;

  /* Data channels. */
  rtc_sctp_transport* sctp;
  char sctp_transport[PC_TRANSPORT_NAME_SIZE];
  uint16_t sctp_remote_port;
  uint64_t sctp_remote_max_message_size;
  bool sctp_started;
  /* on_sctp_state(CLOSED) went out: the association is over. */
  bool sctp_closed_reported;
  /* The DTLS transport below ended the association (end_sctp). */
  bool sctp_ended;
  bool closed;
  closed_transport* closed_transports;
  size_t closed_count;
};

static const closed_transport* find_closed(const pc_network* net,
                                           const char* name) {
  for (size_t i = 0; i < net->closed_count; i++) {
    if (strcmp(net->closed_transports[i].name, name) == 0)
      return &net->closed_transports[i];
  }
  return NULL;
}

static pc_transport* find_transport(const pc_network* net, const char* name) {
  for (size_t i = 0; i < net->transport_count; i++) {
    if (strcmp(net->transports[i]->name, name) == 0)
      return net->transports[i];
  }
  return NULL;
}

/* --- SCTP --- */

static rtc_error sctp_send(void* user, const uint8_t* data, size_t size) {
  pc_network* net = user;
  pc_transport* t = find_transport(net, net->sctp_transport);
  if (!t || !t->dtls)
    return RTC_ERR_INVALID_STATE;
  return rtc_dtls_transport_send(t->dtls, data, size);
}

/* The channel's bytes that left its queue so far: what the signaling
 * thread takes from bufferedAmount. Looked up in the SCTP transport, so
 * neither a send nor a report needs memory here (a failure would lose the
 * message, or leave bufferedAmount high for ever). */
static void report_sent(pc_network* net, uint16_t stream_id) {
  if (!net->sctp || !net->events->on_sent)
    return;
  net->events->on_sent(net->user, stream_id,
                       rtc_sctp_transport_bytes_sent(net->sctp, stream_id));
}

static void report_sctp_state(pc_network* net,
                              rtc_sctp_state state,
                              uint64_t max_message_size,
                              uint16_t max_channels) {
  if (state == RTC_SCTP_CLOSED) {
    if (net->sctp_closed_reported)
      return;
    net->sctp_closed_reported = true;
  }
  if (net->events->on_sctp_state)
    net->events->on_sctp_state(net->user, state, max_message_size,
                               max_channels);
}

static void on_sctp_state(void* user, rtc_sctp_state state) {
  pc_network* net = user;
  report_sctp_state(net, state, rtc_sctp_transport_max_message_size(net->sctp),
                    rtc_sctp_transport_max_channels(net->sctp));
}

static void on_sctp_peer_channel(void* user,
                                 uint16_t stream_id,
                                 const rtc_data_channel_params* params) {
  pc_network* net = user;
  if (net->events->on_channel_opened_by_peer)
    net->events->on_channel_opened_by_peer(net->user, stream_id, params);
}

static void on_sctp_channel_open(void* user, uint16_t stream_id) {
  pc_network* net = user;
  if (net->events->on_channel_open)
    net->events->on_channel_open(net->user, stream_id);
}

static void on_sctp_message(void* user,
                            uint16_t stream_id,
                            bool binary,
                            rtc_sctp_message* message) {
  pc_network* net = user;
  if (net->events->on_message)
    net->events->on_message(net->user, stream_id, binary, message);
  else
    rtc_sctp_message_free(message);
}

static void on_sctp_buffered(void* user, uint16_t stream_id, size_t amount) {
  (void)amount;
  report_sent(user, stream_id);
}

static void on_sctp_channel_closed(void* user, uint16_t stream_id) {
  pc_network* net = user;
  if (net->events->on_channel_closed)
    net->events->on_channel_closed(net->user, stream_id);
}

static void on_sctp_error(void* user, const rtc_error_info* error) {
  pc_network* net = user;
  /* The SCTP transport reports a failed association as on_error, then
   * on_state(CLOSED). The peer connection hears of the transport first:
   * webrtc-pc §6.1.2 "closed": "A task is queued to update the
   * [[SctpTransportState]] slot to "closed" when a SHUTDOWN or ABORT chunk
   * is received", and the data channels then close because of it (the
   * sctp-failure error, then close, §6.2): by then, pc.sctp.state is
   * "closed". */
  if (rtc_sctp_transport_state(net->sctp) == RTC_SCTP_CLOSED)
    on_sctp_state(net, RTC_SCTP_CLOSED);
  if (net->events->on_sctp_error)
    net->events->on_sctp_error(net->user, error);
}

static const rtc_sctp_transport_observer kSctpObserver = {
    .on_state = on_sctp_state,
    .on_channel_opened_by_peer = on_sctp_peer_channel,
    .on_channel_open = on_sctp_channel_open,
    .on_message = on_sctp_message,
    .on_buffered_amount = on_sctp_buffered,
    .on_channel_closed = on_sctp_channel_closed,
    .on_error = on_sctp_error,
};

static void maybe_start_sctp(pc_network* net) {
  if (!net->sctp || net->sctp_started)
    return;
  pc_transport* t = find_transport(net, net->sctp_transport);
  if (!t || t->dtls_state != RTC_DTLS_CONNECTED)
    return;
  /* RFC 8832 §6: stream parity follows the DTLS role; the peer's OPENs on
   * ours are refused. */
  rtc_sctp_transport_set_dtls_role(net->sctp, t->role == RTC_DTLS_ROLE_CLIENT);
  if (rtc_sctp_transport_start(net->sctp, net->sctp_remote_port,
                               net->sctp_remote_max_message_size) == RTC_OK)
    net->sctp_started = true;
}

/* --- DTLS --- */

static rtc_error dtls_send(void* user, const uint8_t* data, size_t size) {
  pc_transport* t = user;
  if (!t->ice)
    return RTC_ERR_INVALID_STATE;
  return rtc_ice_agent_send(t->ice, data, size);
}

/* The DTLS association under the SCTP one is over (the peer's close_notify,
 * or a failure): so is the SCTP association, whatever state it was in, and
 * the data channels with it. webrtc-pc RTCDtlsTransportState "closed":
 * "The transport has been closed intentionally as the result of receipt
 * of a close_notify alert"; RFC 5246 §7.2.1: nothing is read after it, so
 * no SCTP chunk (an ABORT or a SHUTDOWN that was lost or never sent) will
 * ever end the association in band, and SCTP would otherwise stay
 * "connecting" (it never connected) or "connected" until its heartbeats
 * failed. libwebrtc does the same (SctpTransport::OnDtlsStateChange:
 * closed or failed DTLS, SCTP "closed"). The channels get sctp-failure and
 * close. The association is not renewed on this transport. */
static void end_sctp(pc_network* net, const char* why) {
  if (!net->sctp || net->sctp_ended)
    return;
  uint64_t max_message_size = rtc_sctp_transport_max_message_size(net->sctp);
  uint16_t max_channels = rtc_sctp_transport_max_channels(net->sctp);
  bool was_closed = rtc_sctp_transport_state(net->sctp) == RTC_SCTP_CLOSED;
  /* No callback after this; its ABORT has no DTLS to go out on. */
  rtc_sctp_transport_destroy(net->sctp);
  net->sctp = NULL;
  net->sctp_started = false;
  net->sctp_ended = true;
  if (was_closed)
    return; /* already reported, channels and all */
  RTC_LOG(INFO, "sctp: the association ends with its DTLS transport (%s)", why);
  report_sctp_state(net, RTC_SCTP_CLOSED, max_message_size, max_channels);
  rtc_error_info info;
  rtc_error_info_init(&info);
  rtc_error_set(&info, RTC_ERR_SCTP_FAILURE, "the DTLS transport %s", why);
  if (net->events->on_sctp_error)
    net->events->on_sctp_error(net->user, &info);
}

static void on_dtls_state(void* user,
                          rtc_dtls_state state,
                          const rtc_error_info* error) {
  pc_transport* t = user;
  pc_network* net = t->net;
  t->dtls_state = state;
  if (state == RTC_DTLS_CONNECTED && net->events->on_remote_certificates) {
    /* getRemoteCertificates(): the chain the peer proved it holds. */
    const uint8_t* der[8];
    size_t len[8];
    size_t n = rtc_dtls_transport_remote_certificates(t->dtls, der, len, 8);
    net->events->on_remote_certificates(net->user, t->name, der, len,
                                        n < 8 ? n : 8);
  }
  if (net->events->on_dtls_state)
    net->events->on_dtls_state(net->user, t->name, state, error);
  if (strcmp(t->name, net->sctp_transport) != 0)
    return;
  if (state == RTC_DTLS_CONNECTED)
    maybe_start_sctp(net);
  else if (state == RTC_DTLS_CLOSED)
    end_sctp(net, "was closed by the peer");
  else if (state == RTC_DTLS_FAILED)
    end_sctp(net, "failed");
}

static void on_dtls_data(void* user, const uint8_t* data, size_t size) {
  pc_transport* t = user;
  pc_network* net = t->net;
  if (net->sctp && net->sctp_started &&
      strcmp(t->name, net->sctp_transport) == 0)
    rtc_sctp_transport_receive(net->sctp, data, size);
}

static void on_dtls_rtp(void* user, const uint8_t* data, size_t size) {
  /* Media does not flow yet: SRTP sessions come with the media work. */
  (void)user;
  (void)data;
  (void)size;
}

static const rtc_dtls_transport_observer kDtlsObserver = {
    .on_state = on_dtls_state,
    .on_data = on_dtls_data,
    .on_rtp = on_dtls_rtp,
};

static void maybe_start_dtls(pc_transport* t) {
  if (t->dtls_started || !t->has_remote || !t->ice_selected || !t->dtls)
    return;
  if (rtc_dtls_transport_start(t->dtls, t->role) == RTC_OK)
    t->dtls_started = true;
}

/* --- ICE --- */

static void on_ice_gathering(void* user, rtc_ice_gathering_state state) {
  pc_transport* t = user;
  t->gathering_state = state;
  if (t->net->events->on_gathering_state)
    t->net->events->on_gathering_state(t->net->user, t->name, state);
}

static void on_ice_candidate(void* user, const rtc_candidate* candidate) {
  pc_transport* t = user;
  if (t->net->events->on_candidate)
    t->net->events->on_candidate(t->net->user, t->name, candidate);
}

static void on_ice_candidate_error(void* user,
                                   const rtc_ice_candidate_error* error) {
  pc_transport* t = user;
  if (t->net->events->on_candidate_error)
    t->net->events->on_candidate_error(t->net->user, t->name, error);
}

static void on_ice_state(void* user, rtc_ice_transport_state state) {
  pc_transport* t = user;
  t->ice_state = state;
  if (t->net->events->on_ice_state)
    t->net->events->on_ice_state(t->net->user, t->name, state);
}

static void on_ice_selected(void* user, const rtc_ice_pair_info* pair) {
  pc_transport* t = user;
  t->ice_selected = true;
  t->selected_pair_changes++;
  if (t->net->events->on_selected_pair)
    t->net->events->on_selected_pair(t->net->user, t->name, pair);
  maybe_start_dtls(t);
}

static void on_ice_packet(void* user,
                          const uint8_t* data,
                          size_t size,
                          int64_t arrival_us) {
  pc_transport* t = user;
  (void)arrival_us;
  if (t->dtls)
    rtc_dtls_transport_receive(t->dtls, data, size);
}

static const rtc_ice_agent_observer kIceObserver = {
    .on_gathering_state = on_ice_gathering,
    .on_candidate = on_ice_candidate,
    .on_candidate_error = on_ice_candidate_error,
    .on_state = on_ice_state,
    .on_selected_pair = on_ice_selected,
    .on_packet = on_ice_packet,
};

/* --- Transports --- */

static rtc_error create_dtls(pc_transport* t, rtc_dtls_transport** out) {
  rtc_dtls_transport_config dtls;
  rtc_dtls_transport_config_init(&dtls);
  dtls.certificate = t->net->config.certificate;
  dtls.send = dtls_send;
  dtls.send_user = t;
  return rtc_dtls_transport_create(t->net->queue, &dtls, &kDtlsObserver, t,
                                   out);
}

/* RFC 9429 §5.11: "If the remote DTLS fingerprint has been changed ...,
 * tear down the DTLS connection" and "If no valid DTLS connection exists,
 * prepare to start a DTLS connection, using the specified roles and
 * fingerprints". The description checks (jsep.c) allow a new fingerprint
 * only with an ICE restart, which is how it reaches here. The association
 * the old fingerprint authenticated must not carry anything more: it is
 * closed (close_notify) and replaced by a new DTLS transport that verifies
 * the peer against the new fingerprints (SEC-17, SEC-21). Before this, the
 * new fingerprints were refused by the connected transport, the refusal
 * only logged, and the old association went on carrying data under a
 * description that named another certificate.
 *
 * The SCTP association is not renewed: it stays bound to this transport and
 * gets data again only from a new association that verified the peer. */
static rtc_error renew_dtls(pc_transport* t,
                            const rtc_fingerprint* fingerprints,
                            size_t fingerprint_count) {
  rtc_dtls_transport* fresh = NULL;
  rtc_error err = create_dtls(t, &fresh);
  if (err != RTC_OK)
    return err;
  err = rtc_dtls_transport_set_remote_fingerprints(fresh, fingerprints,
                                                   fingerprint_count);
  if (err != RTC_OK) {
    rtc_dtls_transport_destroy(fresh);
    return err;
  }
  rtc_dtls_transport_close(t->dtls);
  rtc_dtls_transport_destroy(t->dtls);
  t->dtls = fresh;
  t->dtls_started = false;
  t->dtls_state = RTC_DTLS_NEW;
  pc_network* net = t->net;
  if (net->events->on_dtls_state)
    net->events->on_dtls_state(net->user, t->name, RTC_DTLS_NEW, NULL);
  return RTC_OK;
}

static void transport_destroy(pc_transport* t) {
  rtc_dtls_transport_destroy(t->dtls);
  rtc_ice_agent_destroy(t->ice);
  rtc_free(t);
}

/* Gathering from now on uses `servers` (referenced). */
static void use_servers(pc_network* net, pc_ice_servers* servers) {
  pc_ice_servers_ref(servers);
  pc_ice_servers_unref(net->config.servers);
  net->config.servers = servers;
  rtc_ice_agent_config* ice = &net->config.ice;
  ice->stun_servers = servers ? servers->stun : NULL;
  ice->stun_server_count = servers ? servers->stun_count : 0;
  ice->turn_servers = servers ? servers->turn : NULL;
  ice->turn_server_count = servers ? servers->turn_count : 0;
  ice->stun_server_names = servers ? servers->stun_names : NULL;
  ice->stun_server_name_count = servers ? servers->stun_name_count : 0;
}

rtc_error pc_network_create(rtc_task_queue* queue,
                            const pc_network_config* config,
                            const pc_network_events* events,
                            void* user,
                            pc_network** out) {
  *out = NULL;
  pc_network* net = rtc_calloc(1, sizeof(*net));
  if (!net)
    return RTC_ERR_NO_MEMORY;
  net->queue = queue;
  net->config = *config;
  net->config.servers = NULL;
  use_servers(net, config->servers);
  net->events = events;
  net->user = user;
  rtc_certificate_ref(config->certificate);
  if (config->ice.mdns_group)
    rtc_mdns_group_ref(config->ice.mdns_group);
  *out = net;
  return RTC_OK;
}

pc_ice_servers* pc_ice_servers_new(void) {
  pc_ice_servers* servers = rtc_calloc(1, sizeof(*servers));
  if (servers)
    rtc_refcount_init(&servers->refs);
  return servers;
}

pc_ice_servers* pc_ice_servers_ref(pc_ice_servers* servers) {
  if (servers)
    rtc_refcount_inc(&servers->refs);
  return servers;
}

void pc_ice_servers_unref(pc_ice_servers* servers) {
  if (servers && rtc_refcount_dec(&servers->refs))
    rtc_free(servers);
}

bool pc_ice_servers_equal(const pc_ice_servers* a, const pc_ice_servers* b) {
  static const pc_ice_servers kNone;
  if (!a)
    a = &kNone;
  if (!b)
    b = &kNone;
  if (a->stun_count != b->stun_count || a->turn_count != b->turn_count ||
      a->stun_name_count != b->stun_name_count)
    return false;
  for (size_t i = 0; i < a->stun_name_count; i++) {
    if (strcmp(a->stun_names[i].host, b->stun_names[i].host) != 0 ||
        a->stun_names[i].port != b->stun_names[i].port)
      return false;
  }
  for (size_t i = 0; i < a->stun_count; i++) {
    if (!rtc_socket_address_equal(&a->stun[i], &b->stun[i]))
      return false;
  }
  for (size_t i = 0; i < a->turn_count; i++) {
    const rtc_ice_turn_server* x = &a->turn[i];
    const rtc_ice_turn_server* y = &b->turn[i];
    if (!rtc_socket_address_equal(&x->address, &y->address) ||
        x->protocol != y->protocol || strcmp(x->username, y->username) != 0 ||
        strcmp(x->password, y->password) != 0 ||
        strcmp(x->server_name, y->server_name) != 0 ||
        strcmp(x->url, y->url) != 0)
      return false;
  }
  return true;
}

void pc_network_set_gathering_config(pc_network* net,
                                     rtc_ice_transport_policy policy,
                                     pc_ice_servers* servers) {
  RTC_DCHECK(rtc_task_queue_is_current(net->queue));
  use_servers(net, servers);
  const rtc_ice_agent_config* ice = &net->config.ice;
  net->config.ice.transport_policy = policy;
  for (size_t i = 0; i < net->transport_count; i++) {
    rtc_ice_agent_set_gathering_config(
        net->transports[i]->ice, policy, ice->stun_servers,
        ice->stun_server_count, ice->stun_server_names,
        ice->stun_server_name_count, ice->turn_servers, ice->turn_server_count);
  }
}

void pc_network_close(pc_network* net) {
  if (net->closed)
    return;
  /* The last stats first; without memory, getStats() just loses them. */
  net->closed_transports =
      rtc_calloc(net->transport_count ? net->transport_count : 1,
                 sizeof(*net->closed_transports));
  for (size_t i = 0; net->closed_transports && i < net->transport_count; i++) {
    closed_transport* c = &net->closed_transports[net->closed_count];
    pc_transport* t = net->transports[i];
    snprintf(c->name, sizeof(c->name), "%s", t->name);
    if (pc_network_transport_stats(net, t->name, &c->stats) != RTC_OK)
      continue;
    c->stats.ice_state = RTC_ICE_TRANSPORT_CLOSED;
    c->stats.dtls_state = RTC_DTLS_CLOSED;
    size_t n = rtc_ice_agent_pairs(t->ice, NULL, 0);
    if (n > 0) {
      c->pairs = rtc_calloc(n, sizeof(*c->pairs));
      if (c->pairs)
        c->pair_count = rtc_ice_agent_pairs(t->ice, c->pairs, n);
    }
    net->closed_count++;
  }
  net->closed = true;
  rtc_sctp_transport_destroy(net->sctp);
  net->sctp = NULL;
  for (size_t i = 0; i < net->transport_count; i++) {
    pc_transport* t = net->transports[i];
    if (t->dtls)
      rtc_dtls_transport_close(t->dtls);
  }
  for (size_t i = 0; i < net->transport_count; i++)
    transport_destroy(net->transports[i]);
  net->transport_count = 0;
}

void pc_network_destroy(pc_network* net) {
  if (!net)
    return;
  pc_network_close(net);
  for (size_t i = 0; i < net->closed_count; i++)
    rtc_free(net->closed_transports[i].pairs);
  rtc_free(net->closed_transports);
  rtc_certificate_unref(net->config.certificate);
  rtc_mdns_group_unref(net->config.ice.mdns_group);
  pc_ice_servers_unref(net->config.servers);
  rtc_free(net);
}

rtc_error pc_network_ensure_transport(pc_network* net,
                                      const char* name,
                                      const char* ufrag,
                                      const char* pwd,
                                      rtc_ice_role role) {
  if (net->closed)
    return RTC_ERR_INVALID_STATE;
  if (find_transport(net, name))
    return RTC_OK;
  if (net->transport_count == MAX_TRANSPORTS ||
      strlen(name) >= PC_TRANSPORT_NAME_SIZE)
    return RTC_ERR_INVALID_ARGUMENT;
  pc_transport* t = rtc_calloc(1, sizeof(*t));
  if (!t)
    return RTC_ERR_NO_MEMORY;
  t->net = net;
  snprintf(t->name, sizeof(t->name), "%s", name);
  rtc_ice_agent_config ice = net->config.ice;
  ice.role = role;
  ice.ufrag = ufrag;
  ice.pwd = pwd;
  rtc_error err = rtc_ice_agent_create(net->config.factory, net->queue, &ice,
                                       &kIceObserver, t, &t->ice);
  if (err != RTC_OK)
    goto free_transport;
  err = create_dtls(t, &t->dtls);
  if (err != RTC_OK)
    goto destroy_ice;
  err = rtc_ice_agent_gather(t->ice);
  if (err != RTC_OK)
    goto destroy_dtls;
  net->transports[net->transport_count++] = t;
  return RTC_OK;

destroy_dtls:
  rtc_dtls_transport_destroy(t->dtls);
destroy_ice:
  rtc_ice_agent_destroy(t->ice);
free_transport:
  rtc_free(t);
  return err;
}

rtc_error pc_network_restart_transport(pc_network* net,
                                       const char* name,
                                       const char* ufrag,
                                       const char* pwd) {
  pc_transport* t = find_transport(net, name);
  if (!t)
    return RTC_ERR_NOT_FOUND;
  rtc_error err = rtc_ice_agent_restart(t->ice, ufrag, pwd);
  if (err != RTC_OK)
    return err;
  return rtc_ice_agent_gather(t->ice);
}

rtc_error pc_network_set_remote(pc_network* net,
                                const char* name,
                                const char* ufrag,
                                const char* pwd,
                                const rtc_fingerprint* fingerprints,
                                size_t fingerprint_count,
                                rtc_dtls_role role,
                                rtc_ice_role ice_role) {
  pc_transport* t = find_transport(net, name);
  if (!t)
    return RTC_ERR_NOT_FOUND;
  rtc_ice_agent_set_role(t->ice, ice_role);
  rtc_error err = rtc_ice_agent_set_remote_credentials(t->ice, ufrag, pwd);
  if (err != RTC_OK)
    return err;
  err = rtc_dtls_transport_set_remote_fingerprints(t->dtls, fingerprints,
                                                   fingerprint_count);
  /* Other fingerprints than those the association was verified with (or
   * failed with): a new association (see renew_dtls). */
  if (err == RTC_ERR_INVALID_STATE)
    err = renew_dtls(t, fingerprints, fingerprint_count);
  if (err != RTC_OK)
    return err;
  if (fingerprint_count > 0)
    rtc_fingerprint_format(&fingerprints[0], t->remote_fingerprint,
                           sizeof(t->remote_fingerprint));
  t->role = role;
  t->has_remote = true;
  maybe_start_dtls(t);
  return RTC_OK;
}

rtc_error pc_network_add_remote_candidate(pc_network* net,
                                          const char* name,
                                          const rtc_candidate* candidate) {
  pc_transport* t = find_transport(net, name);
  if (!t)
    return RTC_ERR_NOT_FOUND;
  return rtc_ice_agent_add_remote_candidate(t->ice, candidate);
}

void pc_network_end_of_candidates(pc_network* net, const char* name) {
  pc_transport* t = find_transport(net, name);
  if (t)
    rtc_ice_agent_end_of_remote_candidates(t->ice);
}

void pc_network_retain(pc_network* net,
                       const char* const* keep,
                       size_t keep_count) {
  size_t kept = 0;
  for (size_t i = 0; i < net->transport_count; i++) {
    pc_transport* t = net->transports[i];
    bool wanted = false;
    for (size_t k = 0; k < keep_count && !wanted; k++)
      wanted = strcmp(keep[k], t->name) == 0;
    if (wanted) {
      net->transports[kept++] = t;
      continue;
    }
    if (strcmp(t->name, net->sctp_transport) == 0) {
      rtc_sctp_transport_destroy(net->sctp);
      net->sctp = NULL;
      net->sctp_started = false;
      net->sctp_closed_reported = false;
      net->sctp_ended = false;
      net->sctp_transport[0] = '\0';
    }
    if (t->dtls)
      rtc_dtls_transport_close(t->dtls);
    transport_destroy(t);
  }
  net->transport_count = kept;
}

rtc_error pc_network_set_sctp(pc_network* net,
                              const char* name,
                              uint16_t local_port,
                              uint16_t remote_port,
                              uint64_t remote_max_message_size) {
  if (net->closed)
    return RTC_ERR_INVALID_STATE;
  if (net->sctp || net->sctp_ended) {
    /* A renegotiation keeps the association (or its end: see end_sctp). */
    return RTC_OK;
  }
  rtc_sctp_transport_config config;
  rtc_sctp_transport_config_init(&config);
  config.send = sctp_send;
  config.send_user = net;
  config.local_port = local_port;
  rtc_error err = rtc_sctp_transport_create(net->queue, &config, &kSctpObserver,
                                            net, &net->sctp);
  if (err != RTC_OK)
    return err;
  snprintf(net->sctp_transport, sizeof(net->sctp_transport), "%s", name);
  net->sctp_remote_port = remote_port;
  net->sctp_remote_max_message_size = remote_max_message_size;
  maybe_start_sctp(net);
  return RTC_OK;
}

rtc_error pc_network_open_channel(pc_network* net,
                                  uint16_t stream_id,
                                  const rtc_data_channel_params* params) {
  if (!net->sctp)
    return RTC_ERR_INVALID_STATE;
  return rtc_sctp_transport_open_channel(net->sctp, stream_id, params);
}

rtc_error pc_network_send_message(pc_network* net,
                                  uint16_t stream_id,
                                  bool binary,
                                  rtc_sctp_message* message) {
  if (!message)
    return RTC_ERR_INVALID_ARGUMENT;
  if (!net->sctp) {
    rtc_sctp_message_free(message);
    return RTC_ERR_INVALID_STATE;
  }
  return rtc_sctp_transport_send_message(net->sctp, stream_id, binary, message);
}

void pc_network_cork(pc_network* net) {
  if (net->sctp)
    rtc_sctp_transport_cork(net->sctp);
}

void pc_network_uncork(pc_network* net) {
  if (net->sctp)
    rtc_sctp_transport_uncork(net->sctp);
}

rtc_error pc_network_close_channel(pc_network* net, uint16_t stream_id) {
  if (!net->sctp)
    return RTC_ERR_INVALID_STATE;
  return rtc_sctp_transport_close_channel(net->sctp, stream_id);
}

size_t pc_network_transports(const pc_network* net,
                             char (*names)[PC_TRANSPORT_NAME_SIZE],
                             size_t capacity) {
  if (net->closed) {
    for (size_t i = 0; i < net->closed_count && i < capacity; i++)
      snprintf(names[i], PC_TRANSPORT_NAME_SIZE, "%s",
               net->closed_transports[i].name);
    return net->closed_count;
  }
  for (size_t i = 0; i < net->transport_count && i < capacity; i++)
    snprintf(names[i], PC_TRANSPORT_NAME_SIZE, "%s", net->transports[i]->name);
  return net->transport_count;
}

rtc_error pc_network_transport_stats(const pc_network* net,
                                     const char* name,
                                     pc_transport_stats* out) {
  if (net->closed) {
    const closed_transport* c = find_closed(net, name);
    if (!c)
      return RTC_ERR_NOT_FOUND;
    *out = c->stats;
    return RTC_OK;
  }
  const pc_transport* t = find_transport(net, name);
  if (!t)
    return RTC_ERR_NOT_FOUND;
  memset(out, 0, sizeof(*out));
  out->ice_state = rtc_ice_agent_state(t->ice);
  out->gathering_state = rtc_ice_agent_gathering_state(t->ice);
  out->dtls_state = rtc_dtls_transport_state(t->dtls);
  out->dtls_role = t->role;
  out->selected_pair_changes = t->selected_pair_changes;
  rtc_dtls_transport_info(t->dtls, &out->dtls);
  out->has_selected_pair =
      rtc_ice_agent_selected_pair(t->ice, &out->selected) == RTC_OK;
  rtc_fingerprint fp;
  if (rtc_certificate_fingerprint(net->config.certificate, RTC_HASH_SHA256,
                                  &fp) == RTC_OK)
    rtc_fingerprint_format(&fp, out->local_fingerprint,
                           sizeof(out->local_fingerprint));
  snprintf(out->remote_fingerprint, sizeof(out->remote_fingerprint), "%s",
           t->remote_fingerprint);
  return RTC_OK;
}

size_t pc_network_pairs(const pc_network* net,
                        const char* name,
                        rtc_ice_pair_info* out,
                        size_t capacity) {
  if (net->closed) {
    const closed_transport* c = find_closed(net, name);
    if (!c)
      return 0;
    for (size_t i = 0; i < c->pair_count && i < capacity; i++)
      out[i] = c->pairs[i];
    return c->pair_count;
  }
  const pc_transport* t = find_transport(net, name);
  if (!t)
    return 0;
  return rtc_ice_agent_pairs(t->ice, out, capacity);
}

size_t pc_network_remote_candidates(const pc_network* net,
                                    const char* name,
                                    rtc_candidate* out,
                                    size_t capacity) {
  if (net->closed)
    return 0;
  const pc_transport* t = find_transport(net, name);
  if (!t || !t->ice)
    return 0;
  return rtc_ice_agent_remote_candidates(t->ice, out, capacity);
}
