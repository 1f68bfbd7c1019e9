/*
 * RTCPeerConnection: lifecycle, configuration, the operations chain, events
 * from the network thread, aggregate states. JSEP itself is in jsep.c.
 */
#include "api/rtc_peer_connection.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pc/ice_server.h"
#include "pc/peer_connection_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/clock.h"
#include "rtc_base/logging.h"
#include "rtc_base/random.h"

/* --- Names --- */

const char* rtc_bundle_policy_name(rtc_bundle_policy policy) {
  switch (policy) {
    case RTC_BUNDLE_POLICY_BALANCED:
      return "balanced";
    case RTC_BUNDLE_POLICY_MAX_COMPAT:
      return "max-compat";
    case RTC_BUNDLE_POLICY_MAX_BUNDLE:
      return "max-bundle";
  }
  return "balanced";
}

const char* rtc_sdp_type_name(rtc_sdp_type type) {
  static const char* const names[] = {"offer", "pranswer", "answer",
                                      "rollback"};
  return (int)type >= 0 && type <= RTC_SDP_ROLLBACK ? names[type] : "offer";
}

const char* rtc_signaling_state_name(rtc_signaling_state state) {
  static const char* const names[] = {"stable",
                                      "have-local-offer",
                                      "have-remote-offer",
                                      "have-local-pranswer",
                                      "have-remote-pranswer",
                                      "closed"};
  return (int)state >= 0 && state <= RTC_SIGNALING_CLOSED ? names[state]
                                                          : "stable";
}

const char* rtc_peer_connection_state_name(rtc_peer_connection_state state) {
  static const char* const names[] = {"new",          "connecting", "connected",
                                      "disconnected", "failed",     "closed"};
  return (int)state >= 0 && state <= RTC_PC_STATE_CLOSED ? names[state] : "new";
}

rtc_error rtc_sdp_type_from_name(const char* name, rtc_sdp_type* out) {
  for (int i = 0; i <= RTC_SDP_ROLLBACK; i++) {
    if (name && strcmp(name, rtc_sdp_type_name((rtc_sdp_type)i)) == 0) {
      *out = (rtc_sdp_type)i;
      return RTC_OK;
    }
  }
  return RTC_ERR_INVALID_ARGUMENT;
}

rtc_error rtc_bundle_policy_from_name(const char* name,
                                      rtc_bundle_policy* out) {
  for (int i = 0; i <= RTC_BUNDLE_POLICY_MAX_BUNDLE; i++) {
    if (name &&
        strcmp(name, rtc_bundle_policy_name((rtc_bundle_policy)i)) == 0) {
      *out = (rtc_bundle_policy)i;
      return RTC_OK;
    }
  }
  return RTC_ERR_INVALID_ARGUMENT;
}

/* --- Configuration --- */

void rtc_configuration_init(rtc_configuration* config) {
  memset(config, 0, sizeof(*config));
  config->bundle_policy = RTC_BUNDLE_POLICY_BALANCED;
  /* Security checklist IP-01 and IP-10, RFC 8828 §6: without capture
   * permission a page gets mode 2, the default route's interface only,
   * its address behind an mDNS name: one host candidate per address
   * family, whatever the number of interfaces. An embedder that knows the
   * page may capture (Chromium's rule) chooses mode 1. */
  config->ip_handling = RTC_IP_HANDLING_DEFAULT_ROUTE;
  config->obfuscate_host_addresses = true;
  config->tcp_candidates = true;
  rtc_interface_filter_init(&config->interfaces);
}

/* A TURN URL's server for the ICE agents; false when it cannot be used
 * (said in the log). */
static bool turn_server_from_url(const rtc_ice_url* url,
                                 const char* text,
                                 const rtc_ice_server* server,
                                 rtc_ice_turn_server* out) {
  memset(out, 0, sizeof(*out));
  if (url->scheme == RTC_ICE_URL_TURNS) {
    /* RFC 7065 §3: turns is TURN over TLS (TCP); over DTLS nobody
     * deploys it. */
    if (url->transport == RTC_ICE_URL_TRANSPORT_UDP) {
      RTC_LOG(WARNING, "TURN over DTLS is not supported: %s ignored", text);
      return false;
    }
    out->protocol = RTC_ICE_RELAY_TLS;
  } else {
    out->protocol = url->transport == RTC_ICE_URL_TRANSPORT_TCP
                        ? RTC_ICE_RELAY_TCP
                        : RTC_ICE_RELAY_UDP;
  }
  if (strlen(server->username) >= sizeof(out->username) ||
      strlen(server->credential) >= sizeof(out->password) ||
      strlen(text) >= sizeof(out->url)) {
    RTC_LOG(WARNING, "TURN username, credential or URL too long: %s ignored",
            text);
    return false;
  }
  if (url->host_is_ip) {
    out->address = url->address;
  } else {
    /* A name: the ICE agents resolve it when they gather (through the
     * socket factory), and TLS verifies the certificate against it. */
    rtc_socket_address_clear(&out->address);
    out->address.port = url->port;
  }
  snprintf(out->username, sizeof(out->username), "%s", server->username);
  snprintf(out->password, sizeof(out->password), "%s", server->credential);
  snprintf(out->server_name, sizeof(out->server_name), "%s", url->host);
  snprintf(out->url, sizeof(out->url), "%s", text);
  return true;
}

/* The server list *servers, made on first use. */
static pc_ice_servers* servers_made(pc_ice_servers** servers) {
  if (!*servers)
    *servers = pc_ice_servers_new();
  return *servers;
}

/* validate_configuration, which may leave a list behind on failure. */
static rtc_error check_configuration(const rtc_configuration* config,
                                     pc_ice_servers** list,
                                     rtc_error_info* info) {
  int64_t now_ms = rtc_time_utc_us() / 1000;
  for (size_t i = 0; i < config->certificate_count; i++) {
    const rtc_certificate* c = config->certificates[i];
    if (!c)
      return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                           "certificates[%zu] is null", i);
    if (rtc_certificate_expires_ms(c) <= now_ms)
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "certificates[%zu] has expired", i);
  }
  for (size_t s = 0; s < config->ice_server_count; s++) {
    const rtc_ice_server* server = &config->ice_servers[s];
    if (server->url_count == 0)
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "iceServers[%zu].urls is empty", s);
    for (size_t u = 0; u < server->url_count; u++) {
      rtc_ice_url url;
      rtc_error err = rtc_ice_url_parse(server->urls[u], &url);
      if (err == RTC_ERR_NOT_SUPPORTED)
        return rtc_error_set(info, RTC_ERR_NOT_SUPPORTED,
                             "unsupported ICE server URL scheme: %s",
                             server->urls[u]);
      if (err != RTC_OK)
        return rtc_error_set(info, RTC_ERR_SYNTAX,
                             "malformed ICE server URL: %s",
                             server->urls[u] ? server->urls[u] : "(null)");
      if (rtc_ice_url_is_turn(&url)) {
        if (!server->username || !server->credential)
          return rtc_error_set(
              info, RTC_ERR_INVALID_ACCESS,
              "TURN server %s needs a username and a credential",
              server->urls[u]);
        pc_ice_servers* servers = servers_made(list);
        if (!servers)
          return rtc_error_set(info, RTC_ERR_NO_MEMORY, NULL);
        if (servers->turn_count < RTC_ICE_MAX_TURN_SERVERS &&
            turn_server_from_url(&url, server->urls[u], server,
                                 &servers->turn[servers->turn_count]))
          servers->turn_count++;
        continue;
      }
      pc_ice_servers* servers = servers_made(list);
      if (!servers)
        return rtc_error_set(info, RTC_ERR_NO_MEMORY, NULL);
      if (!url.host_is_ip) {
        /* Looked up by the ICE agents when they gather (through the
         * socket factory). */
        if (servers->stun_name_count < RTC_ICE_MAX_STUN_SERVERS) {
          rtc_ice_server_name* n =
              &servers->stun_names[servers->stun_name_count++];
          snprintf(n->host, sizeof(n->host), "%s", url.host);
          n->port = url.port;
        }
        continue;
      }
      if (servers->stun_count < RTC_ICE_MAX_STUN_SERVERS)
        servers->stun[servers->stun_count++] = url.address;
    }
  }
  return RTC_OK;
}

/* webrtc-pc §4.4.1.6 "set a configuration", the checks that do not depend
 * on the current configuration. Makes the STUN and TURN server list
 * (*servers: one reference; NULL when no server is configured, and on
 * failure). */
static rtc_error validate_configuration(const rtc_configuration* config,
                                        pc_ice_servers** servers,
                                        rtc_error_info* info) {
  *servers = NULL;
  rtc_error err = check_configuration(config, servers, info);
  if (err != RTC_OK) {
    pc_ice_servers_unref(*servers);
    *servers = NULL;
  }
  return err;
}

static char* dup_or_null(const char* s) {
  return s ? rtc_strdup(s) : NULL;
}

/* A deep copy of `config` (rtc_configuration_free it). */
static rtc_error copy_configuration(const rtc_configuration* src,
                                    rtc_configuration* dst) {
  *dst = *src;
  dst->ice_servers = NULL;
  dst->ice_server_count = 0;
  dst->certificates = NULL;
  dst->certificate_count = 0;
  if (src->ice_server_count) {
    rtc_ice_server* servers =
        rtc_calloc(src->ice_server_count, sizeof(*servers));
    if (!servers)
      return RTC_ERR_NO_MEMORY;
    dst->ice_servers = servers;
    for (size_t i = 0; i < src->ice_server_count; i++) {
      const rtc_ice_server* from = &src->ice_servers[i];
      rtc_ice_server* to = &servers[i];
      dst->ice_server_count++;
      char** urls =
          rtc_calloc(from->url_count ? from->url_count : 1, sizeof(*urls));
      if (!urls)
        return RTC_ERR_NO_MEMORY;
      to->urls = (const char* const*)urls;
      for (size_t u = 0; u < from->url_count; u++) {
        urls[u] = dup_or_null(from->urls[u]);
        if (from->urls[u] && !urls[u])
          return RTC_ERR_NO_MEMORY;
        to->url_count++;
      }
      to->username = dup_or_null(from->username);
      to->credential = dup_or_null(from->credential);
      if ((from->username && !to->username) ||
          (from->credential && !to->credential))
        return RTC_ERR_NO_MEMORY;
    }
  }
  if (src->certificate_count) {
    rtc_certificate** certs =
        rtc_calloc(src->certificate_count, sizeof(*certs));
    if (!certs)
      return RTC_ERR_NO_MEMORY;
    for (size_t i = 0; i < src->certificate_count; i++) {
      certs[i] = src->certificates[i];
      rtc_certificate_ref(certs[i]);
    }
    dst->certificates = (rtc_certificate* const*)certs;
    dst->certificate_count = src->certificate_count;
  }
  return RTC_OK;
}

static void clear_configuration(rtc_configuration* config) {
  for (size_t i = 0; i < config->ice_server_count; i++) {
    const rtc_ice_server* s = &config->ice_servers[i];
    for (size_t u = 0; u < s->url_count; u++)
      rtc_free((char*)s->urls[u]);
    rtc_free((char**)s->urls);
    rtc_free((char*)s->username);
    rtc_free((char*)s->credential);
  }
  rtc_free((rtc_ice_server*)config->ice_servers);
  for (size_t i = 0; i < config->certificate_count; i++)
    rtc_certificate_unref(config->certificates[i]);
  rtc_free((rtc_certificate**)config->certificates);
  config->ice_servers = NULL;
  config->ice_server_count = 0;
  config->certificates = NULL;
  config->certificate_count = 0;
}

void rtc_configuration_free(rtc_configuration* config) {
  if (!config)
    return;
  clear_configuration(config);
  rtc_free(config);
}

rtc_error rtc_peer_connection_get_configuration(const rtc_peer_connection* pc,
                                                rtc_configuration** out) {
  *out = NULL;
  rtc_configuration* copy = rtc_calloc(1, sizeof(*copy));
  if (!copy)
    return RTC_ERR_NO_MEMORY;
  rtc_error err = copy_configuration(&pc->config, copy);
  if (err != RTC_OK) {
    rtc_configuration_free(copy);
    return err;
  }
  /* The generated certificate shows in getConfiguration(). */
  if (copy->certificate_count == 0 && pc->certificate) {
    rtc_certificate** certs = rtc_calloc(1, sizeof(*certs));
    if (!certs) {
      rtc_configuration_free(copy);
      return RTC_ERR_NO_MEMORY;
    }
    certs[0] = pc->certificate;
    rtc_certificate_ref(certs[0]);
    copy->certificates = (rtc_certificate* const*)certs;
    copy->certificate_count = 1;
  }
  *out = copy;
  return RTC_OK;
}

static bool certificate_listed(const rtc_certificate* c,
                               rtc_certificate* const* set,
                               size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (set[i] == c)
      return true;
  }
  return false;
}

/* webrtc-pc "set a configuration": "If configuration.certificates is set
 * and the set of certificates differs from the ones used when connection
 * was constructed, throw an InvalidModificationError." */
static bool same_certificates(const rtc_peer_connection* pc,
                              const rtc_configuration* config) {
  if (config->certificate_count == 0)
    return true; /* webrtc-pc: absent means "keep" */
  rtc_certificate* const* mine = pc->config.certificates;
  size_t mine_count = pc->config.certificate_count;
  if (mine_count == 0) {
    /* The generated one. */
    mine = &pc->certificate;
    mine_count = 1;
  }
  for (size_t i = 0; i < config->certificate_count; i++) {
    if (!certificate_listed(config->certificates[i], mine, mine_count))
      return false;
  }
  for (size_t i = 0; i < mine_count; i++) {
    if (!certificate_listed(mine[i], config->certificates,
                            config->certificate_count))
      return false;
  }
  return true;
}

typedef struct gathering_args {
  rtc_ice_transport_policy policy;
  pc_ice_servers* servers; /* referenced */
} gathering_args;

static void net_set_gathering(pc_network* net, void* arg) {
  gathering_args* a = arg;
  pc_network_set_gathering_config(net, a->policy, a->servers);
}

static void gathering_args_free(void* arg) {
  gathering_args* a = arg;
  pc_ice_servers_unref(a->servers);
  rtc_free(a);
}

/* Whether the ICE servers or the ICE transports setting of `config` (with
 * its servers `servers`) differ from what the pc gathers with. */
static bool gathering_changed(const rtc_peer_connection* pc,
                              const rtc_configuration* config,
                              const pc_ice_servers* servers) {
  if (config->ice_transport_policy != pc->config.ice_transport_policy ||
      !pc_ice_servers_equal(servers, pc->servers) ||
      config->ice_server_count != pc->config.ice_server_count)
    return true;
  for (size_t i = 0; i < config->ice_server_count; i++) {
    const rtc_ice_server* a = &config->ice_servers[i];
    const rtc_ice_server* b = &pc->config.ice_servers[i];
    if (a->url_count != b->url_count)
      return true;
    for (size_t u = 0; u < a->url_count; u++) {
      if (strcmp(a->urls[u], b->urls[u]) != 0)
        return true;
    }
  }
  return false;
}

rtc_error rtc_peer_connection_set_configuration(rtc_peer_connection* pc,
                                                const rtc_configuration* config,
                                                rtc_error_info* info) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  if (pc->closed)
    return rtc_error_set(info, RTC_ERR_INVALID_STATE,
                         "the connection is closed");
  /* webrtc-pc §4.4.1.6: what may not change. */
  if (!same_certificates(pc, config))
    return rtc_error_set(info, RTC_ERR_INVALID_MODIFICATION,
                         "certificates cannot be changed");
  if (config->bundle_policy != pc->config.bundle_policy)
    return rtc_error_set(info, RTC_ERR_INVALID_MODIFICATION,
                         "bundlePolicy cannot be changed");
  if (config->rtcp_mux_policy != pc->config.rtcp_mux_policy)
    return rtc_error_set(info, RTC_ERR_INVALID_MODIFICATION,
                         "rtcpMuxPolicy cannot be changed");
  if (config->ice_candidate_pool_size != pc->config.ice_candidate_pool_size &&
      (pc->current_local || pc->pending_local))
    return rtc_error_set(info, RTC_ERR_INVALID_MODIFICATION,
                         "iceCandidatePoolSize cannot change after "
                         "setLocalDescription");
  pc_ice_servers* servers;
  rtc_error err = validate_configuration(config, &servers, info);
  if (err != RTC_OK)
    return err;
  rtc_configuration copy;
  err = copy_configuration(config, &copy);
  if (err != RTC_OK) {
    clear_configuration(&copy);
    pc_ice_servers_unref(servers);
    return rtc_error_set(info, err, NULL);
  }
  /* webrtc-pc "set a configuration": a new ICE transports setting or ICE
   * servers list: "no action will be taken until the next gathering
   * phase". RFC 9429 §4.1.18: "If an ICE gathering phase has already
   * started or completed, the "needs-ice-restart" bit mentioned above will
   * be set. This will cause the next call to createOffer to generate new
   * ICE credentials, for the purpose of forcing an ICE restart and kicking
   * off a new gathering phase". */
  if (gathering_changed(pc, config, servers)) {
    gathering_args* g = rtc_calloc(1, sizeof(*g));
    if (!g) {
      clear_configuration(&copy);
      pc_ice_servers_unref(servers);
      return rtc_error_set(info, RTC_ERR_NO_MEMORY, NULL);
    }
    g->policy = config->ice_transport_policy;
    g->servers = pc_ice_servers_ref(servers);
    pc_post_to_network(pc, net_set_gathering, g, gathering_args_free);
    if (pc->current_local || pc->pending_local)
      pc->needs_ice_restart = true;
  }
  /* Absent certificates keep the ones the pc was made with (every one of
   * them has a fingerprint in our descriptions). */
  if (copy.certificate_count == 0) {
    copy.certificates = pc->config.certificates;
    copy.certificate_count = pc->config.certificate_count;
    pc->config.certificates = NULL;
    pc->config.certificate_count = 0;
  }
  clear_configuration(&pc->config);
  pc->config = copy;
  pc_ice_servers_unref(pc->servers);
  pc->servers = servers;
  return RTC_OK;
}

/* --- Cross-thread plumbing --- */

static void bridge_unref(pc_bridge* b) {
  if (b && rtc_refcount_dec(&b->refs)) {
    rtc_free(b->sent);
    rtc_safety_flag_unref(b->flag);
    RTC_DCHECK(!b->out_head);
    rtc_mutex_destroy(&b->out_mu);
    rtc_mutex_destroy(&b->mu);
    rtc_free(b);
  }
}

rtc_error pc_bridge_post_signaling(pc_bridge* b, rtc_task task) {
  /* Under the lock so that destroy cannot finish (and the embedder free
   * the queue) between the check and the post; posting never runs the
   * task inline, so no callback runs under the lock. */
  rtc_mutex_lock(&b->mu);
  rtc_task_queue* q = b->signaling;
  /* A failed post drops the task itself. */
  rtc_error err = q ? rtc_task_queue_post(q, task) : RTC_ERR_CLOSED;
  rtc_mutex_unlock(&b->mu);
  if (!q)
    rtc_task_drop(&task);
  return err;
}

typedef struct close_later {
  pc_bridge* bridge;
  rtc_pc_dtls_transport* object;
} close_later;

static void close_later_run(void* arg) {
  close_later* c = arg;
  rtc_pc_dtls_transport* t = c->object;
  if (!rtc_safety_flag_alive(c->bridge->flag) || c->bridge->pc->closed) {
    pc_dtls_transport_close_silently(t);
    return;
  }
  /* webrtc-pc RTCIceTransportState "closed" ("The RTCIceTransport has
   * shut down and is no longer responding to STUN requests") and
   * RTCDtlsTransportState "closed": the ICE transport's statechange, then
   * the DTLS transport's. A handler may close the peer connection. */
  pc_ice_transport_update_state(t->ice, RTC_ICE_TRANSPORT_CLOSED);
  if (rtc_safety_flag_alive(c->bridge->flag) && !c->bridge->pc->closed)
    pc_dtls_transport_update_state(t, RTC_DTLS_CLOSED, NULL);
  else
    pc_dtls_transport_close_silently(t);
}

static void close_later_destroy(void* arg) {
  close_later* c = arg;
  /* Dropped unrun (the queue is going away): closed all the same. */
  if (c->object->state != RTC_DTLS_CLOSED)
    pc_dtls_transport_close_silently(c->object);
  rtc_pc_dtls_transport_unref(c->object);
  bridge_unref(c->bridge);
  rtc_free(c);
}

void pc_close_transport_later(rtc_peer_connection* pc,
                              rtc_pc_dtls_transport* object) {
  close_later* c = rtc_malloc(sizeof(*c));
  if (!c) {
    pc_dtls_transport_close_silently(object);
    rtc_pc_dtls_transport_unref(object);
    return;
  }
  c->bridge = pc->bridge;
  rtc_refcount_inc(&pc->bridge->refs);
  c->object = object;
  rtc_task task = {close_later_run, close_later_destroy, c};
  pc_bridge_post_signaling(pc->bridge, task);
}

typedef struct net_call {
  struct net_call* next; /* in the bridge's outbox */
  pc_bridge* bridge;
  void (*fn)(pc_network* net, void* arg);
  void* arg; /* `inline_arg` for pc_network_call_new */
  void (*free_arg)(void* arg);
  bool handoff; /* from rtc_handoff_malloc (pc_network_call_new) */
  max_align_t inline_arg[];
} net_call;

static void net_call_free(net_call* c) {
  if (c->free_arg)
    c->free_arg(c->arg);
  bridge_unref(c->bridge);
  if (c->handoff)
    rtc_handoff_free(c);
  else
    rtc_free(c);
}

/* Frees a list of calls without running them. */
static void net_calls_drop(net_call* c) {
  while (c) {
    net_call* next = c->next;
    net_call_free(c);
    c = next;
  }
}

/* Everything in the outbox, in order; the next call posts a new task. */
static net_call* take_outbox(pc_bridge* b) {
  rtc_mutex_lock(&b->out_mu);
  net_call* list = b->out_head;
  b->out_head = b->out_tail = NULL;
  b->out_posted = false;
  rtc_mutex_unlock(&b->out_mu);
  return list;
}

/* The network task that runs the outbox. */
typedef struct outbox_task {
  pc_bridge* bridge;
  bool ran;
} outbox_task;

static void outbox_run(void* arg) {
  outbox_task* t = arg;
  t->ran = true;
  pc_bridge* b = t->bridge;
  net_call* c = take_outbox(b);
  /* The messages of a run of send() calls go to SCTP together, and what
   * they handed to SCTP leaves bufferedAmount when uncork returns, before
   * a peer in this process can fire its message event (WPT
   * RTCDataChannel-bufferedAmount): corked for one call too. A call may
   * replace or destroy the SCTP transport: uncork uncorks the one there is
   * at the end (a transport made meanwhile was never corked; one destroyed
   * took its queue with it). */
  if (b->net && c)
    pc_network_cork(b->net);
  while (c) {
    net_call* next = c->next;
    if (b->net)
      c->fn(b->net, c->arg);
    net_call_free(c);
    c = next;
  }
  if (b->net)
    pc_network_uncork(b->net);
}

static void outbox_destroy(void* arg) {
  outbox_task* t = arg;
  /* Dropped without running (the network queue is closing, or the post
   * failed): the calls it would have run are dropped with it. */
  if (!t->ran)
    net_calls_drop(take_outbox(t->bridge));
  bridge_unref(t->bridge);
  rtc_handoff_free(t);
}

/* Appends `c` to the outbox and posts the task that runs it if none is
 * waiting. Signaling thread (the one producer). On failure `c` is
 * dropped (its free_arg runs), as a task whose post failed. */
static rtc_error post_call(rtc_peer_connection* pc, net_call* c) {
  pc_bridge* b = pc->bridge;
  c->next = NULL;
  rtc_mutex_lock(&b->out_mu);
  if (b->out_tail)
    b->out_tail->next = c;
  else
    b->out_head = c;
  b->out_tail = c;
  bool post = !b->out_posted;
  b->out_posted = true;
  rtc_mutex_unlock(&b->out_mu);
  if (!post)
    return RTC_OK;
  /* No task waits: the outbox held nothing before `c` (only this thread
   * adds to it). */
  outbox_task* t = rtc_handoff_malloc(sizeof(*t));
  if (!t) {
    net_calls_drop(take_outbox(b)); /* `c` alone */
    return RTC_ERR_NO_MEMORY;
  }
  t->bridge = b;
  t->ran = false;
  rtc_refcount_inc(&b->refs);
  rtc_task task = {outbox_run, outbox_destroy, t};
  /* A failed post drops the task: outbox_destroy drops `c`. */
  return rtc_task_queue_post(pc->network, task);
}

rtc_error pc_post_to_network(rtc_peer_connection* pc,
                             void (*fn)(pc_network* net, void* arg),
                             void* arg,
                             void (*free_arg)(void* arg)) {
  net_call* c = rtc_malloc(sizeof(*c));
  if (!c) {
    if (free_arg)
      free_arg(arg);
    return RTC_ERR_NO_MEMORY;
  }
  c->bridge = pc->bridge;
  rtc_refcount_inc(&pc->bridge->refs);
  c->fn = fn;
  c->arg = arg;
  c->free_arg = free_arg;
  c->handoff = false;
  return post_call(pc, c);
}

void* pc_network_call_new(rtc_peer_connection* pc,
                          void (*fn)(pc_network* net, void* arg),
                          size_t arg_size) {
  if (arg_size > SIZE_MAX - sizeof(net_call))
    return NULL;
  net_call* c = rtc_handoff_malloc(sizeof(*c) + arg_size);
  if (!c)
    return NULL;
  c->bridge = pc->bridge;
  rtc_refcount_inc(&pc->bridge->refs);
  c->fn = fn;
  c->arg = c->inline_arg;
  c->free_arg = NULL;
  c->handoff = true;
  return c->inline_arg;
}

void pc_network_call_on_drop(void* arg, void (*free_arg)(void* arg)) {
  net_call* c = (net_call*)((char*)arg - offsetof(net_call, inline_arg));
  RTC_DCHECK(c->arg == arg);
  c->free_arg = free_arg;
}

rtc_error pc_post_network_call(rtc_peer_connection* pc, void* arg) {
  net_call* c = (net_call*)((char*)arg - offsetof(net_call, inline_arg));
  RTC_DCHECK(c->arg == arg && c->bridge == pc->bridge);
  return post_call(pc, c);
}

/* --- Events from the network thread --- */

typedef enum net_event_kind {
  EV_CANDIDATE,
  EV_END_OF_CANDIDATES,
  EV_CANDIDATE_ERROR,
  EV_GATHERING,
  EV_ICE_STATE,
  EV_DTLS_STATE,
  EV_SELECTED_PAIR,
  EV_REMOTE_CERTIFICATES,
  EV_SCTP_STATE,
  EV_PEER_CHANNEL,
  EV_CHANNEL_OPEN,
  EV_CHANNEL_CLOSED,
  EV_SCTP_ERROR,
} net_event_kind;

typedef struct net_event {
  pc_bridge* bridge;
  net_event_kind kind;
  char transport[PC_TRANSPORT_NAME_SIZE];
  int state;
  rtc_candidate candidate;
  rtc_candidate remote_candidate; /* EV_SELECTED_PAIR */
  size_t certificate_sizes[PC_MAX_REMOTE_CERTIFICATES];
  rtc_ice_candidate_error error;
  rtc_error_info info;
  bool has_info;
  uint16_t stream_id;
  bool binary;
  uint64_t number;
  uint16_t max_channels;
  rtc_data_channel_params params;
  char* label;
  char* protocol;
  uint8_t* data;
  size_t size;
} net_event;

static void handle_event(rtc_peer_connection* pc, net_event* e);

static void event_run(void* arg) {
  net_event* e = arg;
  if (rtc_safety_flag_alive(e->bridge->flag))
    handle_event(e->bridge->pc, e);
}

static void event_destroy(void* arg) {
  net_event* e = arg;
  bridge_unref(e->bridge);
  rtc_free(e->label);
  rtc_free(e->protocol);
  rtc_free(e->data);
  rtc_free(e);
}

static net_event* new_event(pc_bridge* b,
                            net_event_kind kind,
                            const char* transport) {
  net_event* e = rtc_calloc(1, sizeof(*e));
  if (!e)
    return NULL;
  e->bridge = b;
  rtc_refcount_inc(&b->refs);
  e->kind = kind;
  if (transport)
    snprintf(e->transport, sizeof(e->transport), "%s", transport);
  return e;
}

static void post_event(net_event* e) {
  rtc_task task = {event_run, event_destroy, e};
  rtc_error err = pc_bridge_post_signaling(e->bridge, task);
  if (err != RTC_OK && err != RTC_ERR_CLOSED)
    RTC_LOG(WARNING, "peer connection: an event was lost");
}

static void ev_candidate(void* user,
                         const char* transport,
                         const rtc_candidate* c) {
  net_event* e =
      new_event(user, c ? EV_CANDIDATE : EV_END_OF_CANDIDATES, transport);
  if (!e)
    return;
  if (c)
    e->candidate = *c;
  post_event(e);
}

static void ev_candidate_error(void* user,
                               const char* transport,
                               const rtc_ice_candidate_error* error) {
  net_event* e = new_event(user, EV_CANDIDATE_ERROR, transport);
  if (!e)
    return;
  e->error = *error;
  post_event(e);
}

static void ev_state(void* user,
                     net_event_kind kind,
                     const char* transport,
                     int state,
                     const rtc_error_info* info) {
  net_event* e = new_event(user, kind, transport);
  if (!e)
    return;
  e->state = state;
  if (info) {
    e->info = *info;
    e->has_info = true;
  }
  post_event(e);
}

static void ev_gathering(void* user,
                         const char* transport,
                         rtc_ice_gathering_state state) {
  ev_state(user, EV_GATHERING, transport, state, NULL);
}

static void ev_ice_state(void* user,
                         const char* transport,
                         rtc_ice_transport_state state) {
  ev_state(user, EV_ICE_STATE, transport, state, NULL);
}

static void ev_dtls_state(void* user,
                          const char* transport,
                          rtc_dtls_state state,
                          const rtc_error_info* error) {
  ev_state(user, EV_DTLS_STATE, transport, state, error);
}

static void ev_selected_pair(void* user,
                             const char* transport,
                             const rtc_ice_pair_info* pair) {
  net_event* e = new_event(user, EV_SELECTED_PAIR, transport);
  if (!e)
    return;
  e->candidate = pair->local;
  e->remote_candidate = pair->remote;
  post_event(e);
}

static void ev_remote_certificates(void* user,
                                   const char* transport,
                                   const uint8_t* const* der,
                                   const size_t* der_len,
                                   size_t count) {
  if (count > PC_MAX_REMOTE_CERTIFICATES)
    count = PC_MAX_REMOTE_CERTIFICATES;
  size_t total = 0;
  for (size_t i = 0; i < count; i++)
    total += der_len[i];
  net_event* e = new_event(user, EV_REMOTE_CERTIFICATES, transport);
  if (!e)
    return;
  e->data = rtc_malloc(total ? total : 1);
  if (!e->data) {
    event_destroy(e);
    return;
  }
  size_t at = 0;
  for (size_t i = 0; i < count; i++) {
    memcpy(e->data + at, der[i], der_len[i]);
    at += der_len[i];
    e->certificate_sizes[i] = der_len[i];
  }
  e->size = total;
  e->number = count;
  post_event(e);
}

static void ev_sctp_state(void* user,
                          rtc_sctp_state state,
                          uint64_t max_message_size,
                          uint16_t max_channels) {
  net_event* e = new_event(user, EV_SCTP_STATE, NULL);
  if (!e)
    return;
  e->state = state;
  e->number = max_message_size;
  e->max_channels = max_channels;
  post_event(e);
}

static void ev_peer_channel(void* user,
                            uint16_t stream_id,
                            const rtc_data_channel_params* params) {
  net_event* e = new_event(user, EV_PEER_CHANNEL, NULL);
  if (!e)
    return;
  e->stream_id = stream_id;
  e->params = *params;
  e->label = rtc_strdup(params->label ? params->label : "");
  e->protocol = rtc_strdup(params->protocol ? params->protocol : "");
  if (!e->label || !e->protocol) {
    event_destroy(e);
    return;
  }
  post_event(e);
}

static void ev_stream(void* user, net_event_kind kind, uint16_t stream_id) {
  net_event* e = new_event(user, kind, NULL);
  if (!e)
    return;
  e->stream_id = stream_id;
  post_event(e);
}

static void ev_channel_open(void* user, uint16_t stream_id) {
  ev_stream(user, EV_CHANNEL_OPEN, stream_id);
}

static void ev_channel_closed(void* user, uint16_t stream_id) {
  ev_stream(user, EV_CHANNEL_CLOSED, stream_id);
}

/* A received message on its way to the signaling thread: its bytes stay
 * in the SCTP transport's message, copied once out of usrsctp (messages are
 * the one event that comes at the network's rate; a net_event is 3.8 KB),
 * and the bridge, stream and type go in its tag: handing it on allocates
 * nothing (an allocation that failed here lost the message, its channel
 * left open: DataChannelSendWithoutMemoryTest). */
static void message_event_run(void* arg) {
  rtc_sctp_message* message = arg;
  const rtc_sctp_message_tag* tag = rtc_sctp_message_tag_of(message);
  pc_bridge* b = tag->owner;
  /* As handle_event: nothing after close. */
  if (rtc_safety_flag_alive(b->flag) && !b->pc->closed)
    pc_data_channel_on_message(b->pc, tag->stream_id, tag->binary,
                               rtc_sctp_message_data(message),
                               rtc_sctp_message_size(message));
}

static void message_event_destroy(void* arg) {
  rtc_sctp_message* message = arg;
  pc_bridge* b = rtc_sctp_message_tag_of(message)->owner;
  rtc_sctp_message_free(message);
  bridge_unref(b);
}

static void ev_message(void* user,
                       uint16_t stream_id,
                       bool binary,
                       rtc_sctp_message* message) {
  pc_bridge* b = user;
  rtc_sctp_message_tag* tag = rtc_sctp_message_tag_of(message);
  tag->owner = b;
  tag->stream_id = stream_id;
  tag->binary = binary;
  rtc_refcount_inc(&b->refs);
  rtc_task task = {message_event_run, message_event_destroy, message};
  rtc_error err = pc_bridge_post_signaling(b, task);
  if (err != RTC_OK && err != RTC_ERR_CLOSED)
    RTC_LOG(WARNING, "peer connection: a message was lost (%s)",
            rtc_error_name(err));
}

/* Applies the sent totals gathered since it was posted (signaling). */
static void sent_run(void* arg) {
  pc_bridge* b = arg;
  rtc_mutex_lock(&b->mu);
  pc_sent_total* totals = b->sent;
  size_t count = b->sent_count;
  b->sent = NULL;
  b->sent_count = b->sent_capacity = 0;
  b->sent_posted = false;
  rtc_mutex_unlock(&b->mu);
  for (size_t i = 0; i < count && rtc_safety_flag_alive(b->flag); i++)
    pc_data_channel_on_sent(b->pc, totals[i].stream_id, totals[i].total);
  rtc_free(totals);
}

static void sent_destroy(void* arg) {
  bridge_unref(arg);
}

static void ev_sent(void* user, uint16_t stream_id, uint64_t total_sent) {
  pc_bridge* b = user;
  bool post = false;
  rtc_mutex_lock(&b->mu);
  size_t i = 0;
  while (i < b->sent_count && b->sent[i].stream_id != stream_id)
    i++;
  if (i == b->sent_count && b->sent_count == b->sent_capacity) {
    size_t capacity = b->sent_capacity ? 2 * b->sent_capacity : 4;
    pc_sent_total* bigger = rtc_realloc(b->sent, capacity * sizeof(*bigger));
    if (!bigger) {
      rtc_mutex_unlock(&b->mu);
      RTC_LOG(WARNING, "peer connection: a bufferedAmount update was lost");
      return;
    }
    b->sent = bigger;
    b->sent_capacity = capacity;
  }
  if (i == b->sent_count)
    b->sent[b->sent_count++].stream_id = stream_id;
  b->sent[i].total = total_sent;
  if (!b->sent_posted)
    post = b->sent_posted = true;
  rtc_mutex_unlock(&b->mu);
  if (!post)
    return;
  rtc_refcount_inc(&b->refs);
  rtc_task task = {sent_run, sent_destroy, b};
  /* A failed post drops the task (and its reference); the totals wait
   * for the next report. */
  if (pc_bridge_post_signaling(b, task) != RTC_OK) {
    rtc_mutex_lock(&b->mu);
    b->sent_posted = false;
    rtc_mutex_unlock(&b->mu);
  }
}

static void ev_sctp_error(void* user, const rtc_error_info* error) {
  net_event* e = new_event(user, EV_SCTP_ERROR, NULL);
  if (!e)
    return;
  e->info = *error;
  e->has_info = true;
  post_event(e);
}

static const pc_network_events kNetworkEvents = {
    .on_candidate = ev_candidate,
    .on_candidate_error = ev_candidate_error,
    .on_gathering_state = ev_gathering,
    .on_ice_state = ev_ice_state,
    .on_selected_pair = ev_selected_pair,
    .on_remote_certificates = ev_remote_certificates,
    .on_dtls_state = ev_dtls_state,
    .on_sctp_state = ev_sctp_state,
    .on_channel_opened_by_peer = ev_peer_channel,
    .on_channel_open = ev_channel_open,
    .on_message = ev_message,
    .on_sent = ev_sent,
    .on_channel_closed = ev_channel_closed,
    .on_sctp_error = ev_sctp_error,
};

/* --- States --- */

static pc_transport_state* find_transport(rtc_peer_connection* pc,
                                          const char* name) {
  for (size_t i = 0; i < pc->transport_count; i++) {
    if (strcmp(pc->transports[i].name, name) == 0)
      return &pc->transports[i];
  }
  return NULL;
}

pc_transport_state* pc_transport(rtc_peer_connection* pc, const char* name) {
  pc_transport_state* found = find_transport(pc, name);
  if (found)
    return found;
  /* From one: with BUNDLE, one is used. */
  pc_transport_state* grown =
      rtc_grow_array(pc->transports, &pc->transport_capacity,
                     pc->transport_count, 1, PC_MAX_TRANSPORTS, sizeof(*grown));
  if (!grown)
    return NULL;
  pc->transports = grown;
  pc_transport_state* t = &pc->transports[pc->transport_count++];
  memset(t, 0, sizeof(*t));
  snprintf(t->name, sizeof(t->name), "%s", name);
  t->ice = RTC_ICE_TRANSPORT_NEW;
  t->gathering = RTC_ICE_GATHERING_NEW;
  t->dtls = RTC_DTLS_NEW;
  /* RTCDtlsTransport / RTCIceTransport; without them (no memory) the
   * transport still works, only sender.transport stays null. */
  t->object = pc_dtls_transport_new();
  return t;
}

static rtc_ice_gathering_state aggregate_gathering(
    const rtc_peer_connection* pc) {
  /* webrtc-pc RTCIceGatheringState. */
  if (pc->transport_count == 0)
    return RTC_ICE_GATHERING_NEW;
  bool any_gathering = false, all_complete = true;
  /* A transport told to gather (a new one, or an ICE restart) whose ICE
   * agent has not said so yet keeps a "gathering" peer connection
   * gathering: the transports of one description start gathering
   * together, and one finishing before another has begun shows no
   * "complete" (or "new") in between. */
  bool gathering = pc->gathering_state == RTC_ICE_GATHERING_GATHERING;
  for (size_t i = 0; i < pc->transport_count; i++) {
    const pc_transport_state* t = &pc->transports[i];
    bool g = t->gathering == RTC_ICE_GATHERING_GATHERING ||
             (gathering && t->gather_pending);
    any_gathering |= g;
    all_complete &= t->gathering == RTC_ICE_GATHERING_COMPLETE;
  }
  if (any_gathering)
    return RTC_ICE_GATHERING_GATHERING;
  if (all_complete)
    return RTC_ICE_GATHERING_COMPLETE;
  return RTC_ICE_GATHERING_NEW;
}

static rtc_ice_connection_state aggregate_ice(const rtc_peer_connection* pc) {
  /* webrtc-pc §4.3.3 RTCIceConnectionState. */
  size_t n = pc->transport_count;
  size_t counts[RTC_ICE_TRANSPORT_CLOSED + 1] = {0};
  for (size_t i = 0; i < n; i++)
    counts[pc->transports[i].ice]++;
  if (counts[RTC_ICE_TRANSPORT_FAILED])
    return RTC_ICE_TRANSPORT_FAILED;
  if (counts[RTC_ICE_TRANSPORT_DISCONNECTED])
    return RTC_ICE_TRANSPORT_DISCONNECTED;
  if (counts[RTC_ICE_TRANSPORT_NEW] + counts[RTC_ICE_TRANSPORT_CLOSED] == n)
    return RTC_ICE_TRANSPORT_NEW;
  if (counts[RTC_ICE_TRANSPORT_NEW] || counts[RTC_ICE_TRANSPORT_CHECKING])
    return RTC_ICE_TRANSPORT_CHECKING;
  if (counts[RTC_ICE_TRANSPORT_COMPLETED] + counts[RTC_ICE_TRANSPORT_CLOSED] ==
      n)
    return RTC_ICE_TRANSPORT_COMPLETED;
  return RTC_ICE_TRANSPORT_CONNECTED;
}

static rtc_peer_connection_state aggregate_connection(
    const rtc_peer_connection* pc) {
  /* webrtc-pc §4.3.4 RTCPeerConnectionState. */
  bool any_failed = false, any_disconnected = false, all_new = true,
       any_connecting = false, all_connected = true;
  for (size_t i = 0; i < pc->transport_count; i++) {
    const pc_transport_state* t = &pc->transports[i];
    any_failed |=
        t->ice == RTC_ICE_TRANSPORT_FAILED || t->dtls == RTC_DTLS_FAILED;
    any_disconnected |= t->ice == RTC_ICE_TRANSPORT_DISCONNECTED;
    bool ice_new =
        t->ice == RTC_ICE_TRANSPORT_NEW || t->ice == RTC_ICE_TRANSPORT_CLOSED;
    bool dtls_new = t->dtls == RTC_DTLS_NEW || t->dtls == RTC_DTLS_CLOSED;
    all_new &= ice_new && dtls_new;
    any_connecting |= t->ice == RTC_ICE_TRANSPORT_NEW ||
                      t->ice == RTC_ICE_TRANSPORT_CHECKING ||
                      t->dtls == RTC_DTLS_NEW || t->dtls == RTC_DTLS_CONNECTING;
    bool ice_up = t->ice == RTC_ICE_TRANSPORT_CONNECTED ||
                  t->ice == RTC_ICE_TRANSPORT_COMPLETED ||
                  t->ice == RTC_ICE_TRANSPORT_CLOSED;
    bool dtls_up = t->dtls == RTC_DTLS_CONNECTED || t->dtls == RTC_DTLS_CLOSED;
    all_connected &= ice_up && dtls_up;
  }
  if (any_failed)
    return RTC_PC_STATE_FAILED;
  if (any_disconnected)
    return RTC_PC_STATE_DISCONNECTED;
  if (all_new)
    return RTC_PC_STATE_NEW;
  if (any_connecting)
    return RTC_PC_STATE_CONNECTING;
  if (all_connected)
    return RTC_PC_STATE_CONNECTED;
  return RTC_PC_STATE_CONNECTING;
}

void pc_recompute_states(rtc_peer_connection* pc) {
  if (pc->closed)
    return;
  const rtc_peer_connection_observer* o = pc->observer;
  rtc_ice_gathering_state g = aggregate_gathering(pc);
  if (g != pc->gathering_state) {
    pc->gathering_state = g;
    if (o->on_ice_gathering_state_change)
      o->on_ice_gathering_state_change(pc->user, g);
    if (g == RTC_ICE_GATHERING_COMPLETE && o->on_ice_candidate && !pc->closed) {
      /* webrtc-pc §5.6: the null candidate after gathering completes. */
      rtc_ice_candidate_event e = {0};
      e.sdp_mline_index = -1;
      o->on_ice_candidate(pc->user, &e);
    }
  }
  if (pc->closed)
    return;
  rtc_ice_connection_state ice = aggregate_ice(pc);
  if (ice != pc->ice_connection_state) {
    pc->ice_connection_state = ice;
    if (o->on_ice_connection_state_change)
      o->on_ice_connection_state_change(pc->user, ice);
  }
  if (pc->closed)
    return;
  rtc_peer_connection_state cs = aggregate_connection(pc);
  if (cs != pc->connection_state) {
    pc->connection_state = cs;
    if (o->on_connection_state_change)
      o->on_connection_state_change(pc->user, cs);
  }
}

void pc_set_signaling_state(rtc_peer_connection* pc, rtc_signaling_state s) {
  if (pc->signaling_state == s)
    return;
  pc->signaling_state = s;
  if (pc->observer->on_signaling_state_change)
    pc->observer->on_signaling_state_change(pc->user, s);
}

/* The URL of the STUN server a local server-reflexive candidate came from.
 * The candidate does not say which server it was, so this is only known
 * when a single STUN URL is configured. */
static const char* srflx_url(const rtc_peer_connection* pc) {
  const char* found = NULL;
  for (size_t s = 0; s < pc->config.ice_server_count; s++) {
    const rtc_ice_server* server = &pc->config.ice_servers[s];
    for (size_t u = 0; u < server->url_count; u++) {
      const char* url = server->urls[u];
      if (strncmp(url, "stun:", 5) != 0 && strncmp(url, "stuns:", 6) != 0)
        continue;
      if (found)
        return NULL;
      found = url;
    }
  }
  return found;
}

/* The TURN server a local relayed candidate came from: the one whose
 * allocation gives the candidate's foundation. */
static const rtc_ice_turn_server* relay_server(const rtc_peer_connection* pc,
                                               const rtc_candidate* c) {
  if (c->type != RTC_CANDIDATE_RELAY || c->address.family == RTC_AF_UNSPEC)
    return NULL;
  for (size_t i = 0; pc->servers && i < pc->servers->turn_count; i++) {
    const rtc_ice_turn_server* s = &pc->servers->turn[i];
    char foundation[RTC_CANDIDATE_MAX_FOUNDATION + 1];
    rtc_ice_relay_foundation(&c->address, &s->address, s->protocol, foundation);
    if (strcmp(foundation, c->foundation) == 0)
      return s;
  }
  return NULL;
}

const char* pc_candidate_server_url(const rtc_peer_connection* pc,
                                    const rtc_candidate* c,
                                    rtc_ice_relay_protocol* relay_protocol) {
  if (c->type == RTC_CANDIDATE_SRFLX)
    return srflx_url(pc);
  const rtc_ice_turn_server* turn = relay_server(pc, c);
  if (!turn)
    return NULL;
  if (relay_protocol)
    *relay_protocol = turn->protocol;
  return turn->url;
}

static void fire_candidate(rtc_peer_connection* pc,
                           const char* transport,
                           const rtc_candidate* c) {
  const char* mid = transport;
  int index = pc_jsep_mline_index(pc, mid);
  char text[RTC_CANDIDATE_MAX_LENGTH + 1] = "";
  if (c)
    rtc_candidate_format(c, text, sizeof(text));
  if (!pc->observer->on_ice_candidate)
    return;
  rtc_ice_candidate_event e = {
      .candidate = text,
      .sdp_mid = mid,
      .sdp_mline_index = index,
      .username_fragment = pc->ice_ufrag,
      /* webrtc-pc RTCPeerConnectionIceEvent.url: the STUN or TURN server
       * of a reflexive or relayed candidate. */
      .url = c ? pc_candidate_server_url(pc, c, NULL) : NULL,
  };
  pc->observer->on_ice_candidate(pc->user, &e);
}

static void add_local_candidate(rtc_peer_connection* pc,
                                const char* transport,
                                const rtc_candidate* c) {
  /* From one: a candidate is 1.4 KiB and a bundled connection gathers
   * few (a host candidate per interface and protocol). */
  pc_local_candidate* grown = rtc_grow_array(
      pc->local_candidates, &pc->local_candidate_capacity,
      pc->local_candidate_count, 1, SIZE_MAX / sizeof(*grown), sizeof(*grown));
  if (!grown)
    return;
  pc->local_candidates = grown;
  pc_local_candidate* lc = &pc->local_candidates[pc->local_candidate_count++];
  snprintf(lc->transport, sizeof(lc->transport), "%s", transport);
  lc->candidate = *c;
}

/* webrtc-pc §5.6 (an RTCIceTransport's state changed): the transport's
 * state, the peer connection's ICE connection state and its connection
 * state all change first, then statechange fires at the transport, then
 * iceconnectionstatechange and connectionstatechange at the peer
 * connection (each if that state changed). A handler may close the peer
 * connection: nothing fires after that. */
static void ice_state_changed(rtc_peer_connection* pc, pc_transport_state* t) {
  const rtc_peer_connection_observer* o = pc->observer;
  rtc_ice_connection_state ice = aggregate_ice(pc);
  rtc_peer_connection_state cs = aggregate_connection(pc);
  bool ice_changed = ice != pc->ice_connection_state;
  bool cs_changed = cs != pc->connection_state;
  pc->ice_connection_state = ice;
  pc->connection_state = cs;
  if (t->object)
    pc_ice_transport_update_state(t->object->ice, t->ice);
  if (pc->closed)
    return;
  if (ice_changed && o->on_ice_connection_state_change)
    o->on_ice_connection_state_change(pc->user, ice);
  if (pc->closed)
    return;
  if (cs_changed && o->on_connection_state_change)
    o->on_connection_state_change(pc->user, cs);
}

/* webrtc-pc §5.6 (the ICE agent finished gathering / began gathering a
 * new generation), as amended by w3c/webrtc-pc#2894: in one task, set the
 * transport's [[IceGathererState]], then the peer connection's
 * [[IceGatheringState]], then fire gatheringstatechange at the transport,
 * then icegatheringstatechange at the peer connection (if that state
 * changed), then, on completion, the null icecandidate. Each listener thus
 * sees both states already changed. A handler may close the peer
 * connection: nothing fires after that. */
static void gathering_state_changed(rtc_peer_connection* pc,
                                    pc_transport_state* t,
                                    rtc_ice_gathering_state state) {
  const rtc_peer_connection_observer* o = pc->observer;
  t->gathering = state;
  t->gather_pending = false;
  rtc_ice_gathering_state g = aggregate_gathering(pc);
  bool changed = g != pc->gathering_state;
  pc->gathering_state = g;
  if (t->object)
    pc_ice_transport_update_gathering(t->object->ice, state);
  if (pc->closed || !changed)
    return;
  if (o->on_ice_gathering_state_change)
    o->on_ice_gathering_state_change(pc->user, g);
  if (pc->closed)
    return;
  if (g == RTC_ICE_GATHERING_COMPLETE && o->on_ice_candidate) {
    /* webrtc-pc §5.6: the null candidate after gathering completes. */
    rtc_ice_candidate_event e = {0};
    e.sdp_mline_index = -1;
    o->on_ice_candidate(pc->user, &e);
  }
}

static void handle_event(rtc_peer_connection* pc, net_event* e) {
  if (pc->closed)
    return;
  /* Only the transports the descriptions use: an event of one that a
   * description dropped (posted before the network side forgot it) must
   * not bring it back. */
  pc_transport_state* t = NULL;
  if (e->transport[0]) {
    t = find_transport(pc, e->transport);
    if (!t)
      return;
  }
  switch (e->kind) {
    case EV_CANDIDATE:
      add_local_candidate(pc, e->transport, &e->candidate);
      fire_candidate(pc, e->transport, &e->candidate);
      break;
    case EV_END_OF_CANDIDATES:
      if (t && !t->end_of_candidates_sent) {
        t->end_of_candidates_sent = true;
        /* webrtc-pc: an end-of-candidates indication per media (empty
         * candidate string) before the null candidate. */
        fire_candidate(pc, e->transport, NULL);
      }
      break;
    case EV_CANDIDATE_ERROR:
      if (pc->observer->on_ice_candidate_error) {
        char address[RTC_SOCKET_ADDRESS_STRLEN] = "";
        bool exposed = e->error.local.family != RTC_AF_UNSPEC;
        if (exposed)
          rtc_ip_address_format(&e->error.local, address, sizeof(address));
        rtc_ice_candidate_error_event ev = {
            .address = exposed ? address : NULL,
            .port = exposed ? e->error.local.port : -1,
            .url = e->error.url,
            .error_code = (uint16_t)e->error.error_code,
            .error_text = e->error.error_text,
        };
        pc->observer->on_ice_candidate_error(pc->user, &ev);
      }
      break;
    /* The transport's own event first, then the peer connection's
     * aggregate ones (webrtc-pc §5.6 and §5.5.1). */
    case EV_GATHERING:
      if (t)
        gathering_state_changed(pc, t, (rtc_ice_gathering_state)e->state);
      break;
    case EV_ICE_STATE:
      if (t) {
        t->ice = (rtc_ice_transport_state)e->state;
        ice_state_changed(pc, t);
      }
      break;
    case EV_SELECTED_PAIR:
      if (t && t->object) {
        char local[RTC_CANDIDATE_MAX_LENGTH + 1];
        char remote[RTC_CANDIDATE_MAX_LENGTH + 1];
        rtc_candidate_format(&e->candidate, local, sizeof(local));
        rtc_candidate_format(&e->remote_candidate, remote, sizeof(remote));
        pc_ice_transport_update_selected(t->object->ice, local, remote);
      }
      return;
    case EV_REMOTE_CERTIFICATES:
      if (t && t->object) {
        const uint8_t* der[PC_MAX_REMOTE_CERTIFICATES];
        size_t at = 0;
        for (size_t i = 0; i < e->number; i++) {
          der[i] = e->data + at;
          at += e->certificate_sizes[i];
        }
        pc_dtls_transport_set_remote_certificates(
            t->object, der, e->certificate_sizes, (size_t)e->number);
      }
      return;
    case EV_DTLS_STATE:
      if (e->state == RTC_DTLS_FAILED && e->has_info)
        RTC_LOG(WARNING, "DTLS failed on %s: %s", e->transport,
                e->info.message);
      if (t) {
        t->dtls = (rtc_dtls_state)e->state;
        if (t->object)
          pc_dtls_transport_update_state(t->object, t->dtls,
                                         e->has_info ? &e->info : NULL);
        if (pc->closed)
          return;
      }
      break;
    case EV_SCTP_STATE:
      pc->sctp_state = (rtc_sctp_state)e->state;
      pc->sctp_max_message_size = e->number;
      pc->sctp_max_channels = e->max_channels;
      if (pc->sctp_object) {
        rtc_pc_sctp_state s = RTC_PC_SCTP_CONNECTING;
        if (e->state == RTC_SCTP_CONNECTED)
          s = RTC_PC_SCTP_CONNECTED;
        else if (e->state == RTC_SCTP_CLOSED)
          s = RTC_PC_SCTP_CLOSED;
        pc_sctp_transport_update(
            pc->sctp_object, s,
            pc_max_message_size(pc->remote_max_message_size, e->number),
            e->max_channels);
        if (pc->closed)
          return;
      }
      if (e->state == RTC_SCTP_CONNECTED)
        pc_data_channels_open_pending(pc);
      break;
    case EV_PEER_CHANNEL:
      pc_data_channel_on_peer_open(pc, e->stream_id, e->label, e->protocol,
                                   &e->params);
      return;
    case EV_CHANNEL_OPEN:
      pc_data_channel_on_open(pc, e->stream_id);
      return;
    case EV_CHANNEL_CLOSED:
      pc_data_channel_on_closed(pc, e->stream_id);
      return;
    case EV_SCTP_ERROR:
      pc_data_channels_on_sctp_error(pc, &e->info);
      return;
  }
  pc_recompute_states(pc);
}

/* --- Lifecycle --- */

typedef struct create_net_args {
  pc_network_config config;
  pc_bridge* bridge;
} create_net_args;

static void create_net_task(void* arg) {
  create_net_args* a = arg;
  pc_bridge* b = a->bridge;
  pc_network* net = NULL;
  /* Runs on the network thread: only the bridge may be touched (the pc
   * may be gone already; then the destroy task that follows cleans up). */
  if (pc_network_create(b->network, &a->config, &kNetworkEvents, b, &net) ==
      RTC_OK) {
    rtc_refcount_inc(&b->refs); /* the network side's reference */
    b->net = net;
  }
}

static void create_net_destroy(void* arg) {
  create_net_args* a = arg;
  rtc_certificate_unref(a->config.certificate);
  rtc_mdns_group_unref(a->config.ice.mdns_group);
  pc_ice_servers_unref(a->config.servers);
  bridge_unref(a->bridge);
  rtc_free(a);
}

rtc_error rtc_peer_connection_create(
    rtc_context* context,
    rtc_task_queue* signaling,
    const rtc_configuration* config,
    const rtc_peer_connection_observer* observer,
    void* user,
    rtc_peer_connection** out,
    rtc_error_info* info) {
  *out = NULL;
  RTC_DCHECK(rtc_task_queue_is_current(signaling));
  rtc_configuration defaults;
  if (!config) {
    rtc_configuration_init(&defaults);
    config = &defaults;
  }
  rtc_peer_connection* pc = rtc_calloc(1, sizeof(*pc));
  if (!pc)
    return rtc_error_set(info, RTC_ERR_NO_MEMORY, NULL);
  rtc_error err = validate_configuration(config, &pc->servers, info);
  if (err != RTC_OK) {
    rtc_free(pc);
    return err;
  }
  pc->context = context;
  pc->signaling = signaling;
  pc->network = rtc_context_network_queue(context);
  pc->observer = observer;
  pc->user = user;
  pc->can_trickle = -1;
  pc->dtls_role = -1;
  pc->session_id = rtc_random_u64() >> 2; /* < 2^62, RFC 9429 §5.2.1 */
  pc_new_cname(pc->cname);
  err = copy_configuration(config, &pc->config);
  if (err != RTC_OK)
    goto free_pc;
  /* webrtc-pc §4.4.1.1: the first certificate given, or a new ECDSA one. */
  if (config->certificate_count > 0) {
    pc->certificate = config->certificates[0];
    rtc_certificate_ref(pc->certificate);
  } else {
    rtc_certificate_params params;
    rtc_certificate_params_init(&params);
    err = rtc_certificate_generate(&params, rtc_time_utc_us() / 1000,
                                   &pc->certificate);
    if (err != RTC_OK)
      goto free_config;
  }
  err = rtc_certificate_fingerprint(pc->certificate, RTC_HASH_SHA256,
                                    &pc->fingerprint);
  if (err != RTC_OK)
    goto free_certificate;
  pc->bridge = rtc_calloc(1, sizeof(*pc->bridge));
  if (!pc->bridge) {
    err = RTC_ERR_NO_MEMORY;
    goto free_certificate;
  }
  rtc_refcount_init(&pc->bridge->refs);
  rtc_mutex_init(&pc->bridge->mu);
  rtc_mutex_init(&pc->bridge->out_mu);
  pc->bridge->pc = pc;
  pc->bridge->signaling = signaling;
  pc->bridge->network = pc->network;
  err = rtc_safety_flag_create(&pc->bridge->flag);
  if (err != RTC_OK)
    goto free_bridge;

  create_net_args* a = rtc_calloc(1, sizeof(*a));
  if (!a) {
    err = RTC_ERR_NO_MEMORY;
    goto free_bridge;
  }
  a->bridge = pc->bridge;
  rtc_refcount_inc(&pc->bridge->refs);
  a->config.factory = rtc_context_socket_factory(context);
  a->config.certificate = pc->certificate;
  rtc_certificate_ref(pc->certificate);
  rtc_ice_agent_config_init(&a->config.ice);
  a->config.ice.transport_policy = config->ice_transport_policy;
  a->config.ice.ip_handling = config->ip_handling;
  a->config.ice.obfuscate_host_addresses = config->obfuscate_host_addresses;
  a->config.ice.tcp_candidates = config->tcp_candidates;
  a->config.ice.interfaces = config->interfaces;
  a->config.ice.mdns_group = rtc_context_mdns_group(context);
  rtc_mdns_group_ref(a->config.ice.mdns_group);
  a->config.ice.tls_ca_file = rtc_context_tls_ca_file(context);
  a->config.servers = pc_ice_servers_ref(pc->servers);
  rtc_task task = {create_net_task, create_net_destroy, a};
  err = rtc_task_queue_post(pc->network, task);
  if (err != RTC_OK)
    goto free_bridge;
  *out = pc;
  return RTC_OK;

free_bridge:
  if (pc->bridge) {
    if (pc->bridge->flag)
      rtc_safety_flag_set_not_alive(pc->bridge->flag);
    bridge_unref(pc->bridge);
  }
free_certificate:
  rtc_certificate_unref(pc->certificate);
free_config:
  clear_configuration(&pc->config);
free_pc:
  pc_ice_servers_unref(pc->servers);
  rtc_free(pc);
  return rtc_error_set(info, err, NULL);
}

static void close_net(pc_network* net, void* arg) {
  (void)arg;
  pc_network_close(net);
}

void rtc_peer_connection_close(rtc_peer_connection* pc) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  /* webrtc-pc §4.4.1.3 close the connection. */
  if (pc->closed)
    return;
  pc->closed = true;
  pc->signaling_state = RTC_SIGNALING_CLOSED;
  for (size_t i = 0; i < pc->transceiver_count; i++) {
    rtc_rtp_transceiver* t = pc->transceivers[i];
    t->stopping = t->stopped = true;
    t->has_current_direction = true;
    t->current_direction = RTC_DIRECTION_STOPPED;
    t->direction = RTC_DIRECTION_STOPPED;
  }
  pc_data_channels_close_all(pc, false);
  pc_post_to_network(pc, close_net, NULL, NULL);
  for (size_t i = 0; i < pc->transport_count; i++) {
    pc->transports[i].ice = RTC_ICE_TRANSPORT_CLOSED;
    pc->transports[i].dtls = RTC_DTLS_CLOSED;
    if (pc->transports[i].object)
      pc_dtls_transport_close_silently(pc->transports[i].object);
  }
  if (pc->sctp_object)
    pc_sctp_transport_close_silently(pc->sctp_object);
  pc->ice_connection_state = RTC_ICE_TRANSPORT_CLOSED;
  pc->connection_state = RTC_PC_STATE_CLOSED;
  pc->sctp_state = RTC_SCTP_CLOSED;
}

/* Tears the network half down. It is the task's destroy function, not its
 * run function, so that it also happens when the network queue drops the
 * task at shutdown (rtc_context_destroy): the sockets must close either
 * way. Runs on the network thread. */
static void destroy_net(void* arg) {
  pc_bridge* b = arg;
  if (b->net) {
    pc_network_destroy(b->net);
    b->net = NULL;
    bridge_unref(b); /* the network side's reference */
  }
  bridge_unref(b); /* the task's reference */
}

static void free_ops(rtc_peer_connection* pc) {
  pc_op* op = pc->ops_head;
  while (op) {
    pc_op* next = op->next;
    rtc_free(op->sdp);
    rtc_free(op->candidate);
    rtc_free(op->mid);
    rtc_free(op->ufrag);
    rtc_free(op);
    op = next;
  }
  pc->ops_head = pc->ops_tail = NULL;
}

void rtc_peer_connection_destroy(rtc_peer_connection* pc) {
  if (!pc)
    return;
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  rtc_peer_connection_close(pc);
  /* Nothing posted to the signaling queue for this pc runs any more, and
   * nothing more is posted there: the embedder may destroy the queue as
   * soon as this returns. */
  rtc_safety_flag_set_not_alive(pc->bridge->flag);
  rtc_mutex_lock(&pc->bridge->mu);
  pc->bridge->signaling = NULL;
  rtc_mutex_unlock(&pc->bridge->mu);
  pc_data_channels_close_all(pc, false);
  pc_transceivers_release(pc);
  free_ops(pc);
  rtc_sdp_session_destroy(pc->current_local);
  rtc_sdp_session_destroy(pc->pending_local);
  rtc_sdp_session_destroy(pc->current_remote);
  rtc_sdp_session_destroy(pc->pending_remote);
  rtc_free(pc->last_offer);
  rtc_free(pc->last_answer);
  rtc_free(pc->local_candidates);
  pc_ice_servers_unref(pc->servers);
  rtc_free(pc->transceivers);
  rtc_free(pc->channels);
  for (size_t i = 0; i < pc->transport_count; i++)
    rtc_pc_dtls_transport_unref(pc->transports[i].object);
  rtc_free(pc->transports);
  rtc_pc_sctp_transport_unref(pc->sctp_object);
  clear_configuration(&pc->config);
  rtc_certificate_unref(pc->certificate);
  /* The network half goes on its thread, after every task posted there
   * before. */
  rtc_refcount_inc(&pc->bridge->refs);
  rtc_task task = {NULL, destroy_net, pc->bridge};
  rtc_task_queue_post(pc->network, task);
  bridge_unref(pc->bridge);
  rtc_free(pc);
}

/* --- Operations chain (webrtc-pc §4.4.1.2) --- */

static void run_op_task(void* arg);

static void post_run_ops(rtc_peer_connection* pc) {
  rtc_task task = {run_op_task, NULL, pc};
  rtc_task_queue_post_guarded(pc->signaling, pc->bridge->flag, 0, task);
}

static void free_op(pc_op* op) {
  rtc_free(op->sdp);
  rtc_free(op->candidate);
  rtc_free(op->mid);
  rtc_free(op->ufrag);
  rtc_free(op);
}

static void execute(rtc_peer_connection* pc, pc_op* op) {
  rtc_error_info info;
  rtc_error_info_init(&info);
  rtc_error err = RTC_OK;
  char* sdp = NULL;
  switch (op->kind) {
    case PC_OP_CREATE_OFFER:
      err = pc_jsep_create_offer(pc, &op->offer, &sdp, &info);
      break;
    case PC_OP_CREATE_ANSWER:
      err = pc_jsep_create_answer(pc, &sdp, &info);
      break;
    case PC_OP_SET_LOCAL:
      err = pc_jsep_set_description(
          pc, true, op->type, op->has_description ? op->sdp : NULL, &info);
      break;
    case PC_OP_SET_REMOTE:
      err = pc_jsep_set_description(pc, false, op->type, op->sdp, &info);
      break;
    case PC_OP_ADD_CANDIDATE:
      err = pc_jsep_add_ice_candidate(pc, op, &info);
      break;
    case PC_OP_CALLBACK:
      break;
  }
  if (err != RTC_OK && info.code == RTC_OK)
    rtc_error_set(&info, err, NULL);
  /* webrtc-pc: an operation that ends after close() never settles. */
  if (!pc->closed) {
    if (op->description_done) {
      rtc_session_description d = {
          op->kind == PC_OP_CREATE_OFFER ? RTC_SDP_OFFER : RTC_SDP_ANSWER, sdp};
      op->description_done(op->user, err, &info, err == RTC_OK ? &d : NULL);
    } else if (op->void_done) {
      op->void_done(op->user, err, &info);
    }
  }
  rtc_free(sdp);
}

static void run_op_task(void* arg) {
  rtc_peer_connection* pc = arg;
  pc_op* op = pc->ops_head;
  if (!op || pc->op_running)
    return;
  /* webrtc-pc §4.4.1.6 set the session description, a remote offer in
   * have-local-offer: the local offer is first rolled back (JSEP §5.10
   * implicit rollback), which is observable on its own: signalingstatechange
   * fires "stable" with both pending descriptions null, and the offer is
   * applied in a later task (it may still fail; the rollback stays). The
   * operation keeps its place at the head of the chain meanwhile. */
  if (op->kind == PC_OP_SET_REMOTE && op->has_description &&
      op->type == RTC_SDP_OFFER &&
      pc->signaling_state == RTC_SIGNALING_HAVE_LOCAL_OFFER && !pc->closed) {
    rtc_safety_flag* flag = pc->bridge->flag;
    rtc_safety_flag_ref(flag);
    pc->op_running = true;
    pc_jsep_implicit_rollback(pc);
    if (rtc_safety_flag_alive(flag)) {
      pc->op_running = false;
      post_run_ops(pc);
    }
    rtc_safety_flag_unref(flag);
    return;
  }
  pc->ops_head = op->next;
  if (!pc->ops_head)
    pc->ops_tail = NULL;
  pc->op_running = true;
  /* The callback may destroy the pc: watch the flag. */
  rtc_safety_flag* flag = pc->bridge->flag;
  rtc_safety_flag_ref(flag);
  execute(pc, op);
  free_op(op);
  if (rtc_safety_flag_alive(flag)) {
    pc->op_running = false;
    if (pc->ops_head)
      post_run_ops(pc);
    else
      pc_update_negotiation_needed(pc);
  }
  rtc_safety_flag_unref(flag);
}

/* The steps an operation runs before its first "in parallel" step, those
 * that "return a promise rejected with a newly created InvalidStateError"
 * (the operations themselves repeat them when they run from the chain). */
static rtc_error first_steps(const rtc_peer_connection* pc, const pc_op* op) {
  rtc_signaling_state s = pc->signaling_state;
  switch (op->kind) {
    case PC_OP_CREATE_OFFER:
      /* createOffer: "If connection.[[SignalingState]] is neither "stable"
       * nor "have-local-offer", return a promise rejected with a newly
       * created InvalidStateError." */
      if (s != RTC_SIGNALING_STABLE && s != RTC_SIGNALING_HAVE_LOCAL_OFFER)
        return RTC_ERR_INVALID_STATE;
      break;
    case PC_OP_CREATE_ANSWER:
      /* createAnswer: "If connection.[[SignalingState]] is neither
       * "have-remote-offer" nor "have-local-pranswer", return a promise
       * rejected with a newly created InvalidStateError." */
      if (s != RTC_SIGNALING_HAVE_REMOTE_OFFER &&
          s != RTC_SIGNALING_HAVE_LOCAL_PRANSWER)
        return RTC_ERR_INVALID_STATE;
      break;
    case PC_OP_SET_LOCAL:
    case PC_OP_SET_REMOTE:
      /* Set the session description: "If description.type is "rollback"
       * and connection.[[SignalingState]] is either "stable",
       * "have-local-pranswer", or "have-remote-pranswer", then reject p
       * with a newly created InvalidStateError". */
      if (op->has_description && op->type == RTC_SDP_ROLLBACK &&
          (s == RTC_SIGNALING_STABLE ||
           s == RTC_SIGNALING_HAVE_LOCAL_PRANSWER ||
           s == RTC_SIGNALING_HAVE_REMOTE_PRANSWER))
        return RTC_ERR_INVALID_STATE;
      break;
    case PC_OP_ADD_CANDIDATE:
      /* addIceCandidate: "If remoteDescription is null return a promise
       * rejected with a newly created InvalidStateError." */
      if (!pc->pending_remote && !pc->current_remote)
        return RTC_ERR_INVALID_STATE;
      break;
    case PC_OP_CALLBACK:
      break;
  }
  return RTC_OK;
}

static rtc_error chain(rtc_peer_connection* pc, pc_op* op) {
  if (pc->closed) {
    free_op(op);
    return RTC_ERR_INVALID_STATE;
  }
  /* webrtc-pc §4.4.1.2 chain an operation: "If the length of
   * [[Operations]] is exactly 1, execute operation": on an empty chain the
   * operation starts within the call, so what it rejects at once is
   * rejected in the caller's task (returned here; the callback is never
   * called). The rest of it runs in a task of its own, as its "in
   * parallel" steps and their queued task would. */
  if (!pc->ops_head && !pc->op_running) {
    rtc_error err = first_steps(pc, op);
    if (err != RTC_OK) {
      free_op(op);
      return err;
    }
  }
  op->next = NULL;
  if (pc->ops_tail)
    pc->ops_tail->next = op;
  else
    pc->ops_head = op;
  pc->ops_tail = op;
  if (!pc->op_running && pc->ops_head == op)
    post_run_ops(pc);
  return RTC_OK;
}

static pc_op* new_op(pc_op_kind kind, void* user) {
  pc_op* op = rtc_calloc(1, sizeof(*op));
  if (op) {
    op->kind = kind;
    op->user = user;
    op->mline_index = -1;
  }
  return op;
}

rtc_error rtc_peer_connection_create_offer(rtc_peer_connection* pc,
                                           const rtc_offer_options* options,
                                           rtc_description_callback done,
                                           void* user) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  pc_op* op = new_op(PC_OP_CREATE_OFFER, user);
  if (!op)
    return RTC_ERR_NO_MEMORY;
  if (options)
    op->offer = *options;
  op->description_done = done;
  return chain(pc, op);
}

rtc_error rtc_peer_connection_create_answer(rtc_peer_connection* pc,
                                            rtc_description_callback done,
                                            void* user) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  pc_op* op = new_op(PC_OP_CREATE_ANSWER, user);
  if (!op)
    return RTC_ERR_NO_MEMORY;
  op->description_done = done;
  return chain(pc, op);
}

static rtc_error chain_description(rtc_peer_connection* pc,
                                   pc_op_kind kind,
                                   const rtc_session_description* d,
                                   rtc_void_callback done,
                                   void* user) {
  pc_op* op = new_op(kind, user);
  if (!op)
    return RTC_ERR_NO_MEMORY;
  op->void_done = done;
  if (d) {
    op->has_description = true;
    op->type = d->type;
    op->sdp = rtc_strdup(d->sdp ? d->sdp : "");
    if (!op->sdp) {
      free_op(op);
      return RTC_ERR_NO_MEMORY;
    }
  }
  return chain(pc, op);
}

rtc_error rtc_peer_connection_set_local_description(
    rtc_peer_connection* pc,
    const rtc_session_description* description,
    rtc_void_callback done,
    void* user) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  return chain_description(pc, PC_OP_SET_LOCAL, description, done, user);
}

rtc_error rtc_peer_connection_set_remote_description(
    rtc_peer_connection* pc,
    const rtc_session_description* description,
    rtc_void_callback done,
    void* user) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  if (!description)
    return RTC_ERR_INVALID_ARGUMENT;
  return chain_description(pc, PC_OP_SET_REMOTE, description, done, user);
}

rtc_error rtc_peer_connection_add_ice_candidate(
    rtc_peer_connection* pc,
    const rtc_ice_candidate_init* candidate,
    rtc_void_callback done,
    void* user) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  /* webrtc-pc addIceCandidate step: neither sdpMid nor sdpMLineIndex for a
   * real candidate is a TypeError. */
  if (candidate && candidate->candidate && candidate->candidate[0] &&
      !candidate->sdp_mid && candidate->sdp_mline_index < 0)
    return RTC_ERR_INVALID_ARGUMENT;
  pc_op* op = new_op(PC_OP_ADD_CANDIDATE, user);
  if (!op)
    return RTC_ERR_NO_MEMORY;
  op->void_done = done;
  if (!candidate || !candidate->candidate || !candidate->candidate[0])
    op->end_of_candidates = true;
  if (candidate) {
    op->candidate =
        rtc_strdup(candidate->candidate ? candidate->candidate : "");
    op->mid = candidate->sdp_mid ? rtc_strdup(candidate->sdp_mid) : NULL;
    op->ufrag = candidate->username_fragment
                    ? rtc_strdup(candidate->username_fragment)
                    : NULL;
    op->mline_index = candidate->sdp_mline_index;
    if (!op->candidate || (candidate->sdp_mid && !op->mid) ||
        (candidate->username_fragment && !op->ufrag)) {
      free_op(op);
      return RTC_ERR_NO_MEMORY;
    }
  }
  return chain(pc, op);
}

rtc_error rtc_peer_connection_chain_operation(rtc_peer_connection* pc,
                                              rtc_void_callback run,
                                              void* user) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  pc_op* op = new_op(PC_OP_CALLBACK, user);
  if (!op)
    return RTC_ERR_NO_MEMORY;
  op->void_done = run;
  return chain(pc, op);
}

void rtc_peer_connection_restart_ice(rtc_peer_connection* pc) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  /* webrtc-pc §4.4.1.? restartIce(): the next offer restarts ICE. */
  if (pc->closed)
    return;
  pc->ice_restart_pending = true;
  pc_update_negotiation_needed(pc);
}

/* --- negotiationneeded (webrtc-pc §4.7.3) --- */

static void negotiation_task(void* arg) {
  rtc_peer_connection* pc = arg;
  pc->negotiation_check_posted = false;
  if (pc->closed || pc->ops_head || pc->op_running ||
      pc->signaling_state != RTC_SIGNALING_STABLE)
    return;
  if (!pc_jsep_negotiation_needed(pc)) {
    pc->negotiation_needed = false;
    return;
  }
  if (pc->negotiation_needed)
    return;
  pc->negotiation_needed = true;
  if (pc->observer->on_negotiation_needed)
    pc->observer->on_negotiation_needed(pc->user);
}

void pc_update_negotiation_needed(rtc_peer_connection* pc) {
  if (pc->closed)
    return;
  if (pc->signaling_state == RTC_SIGNALING_STABLE && !pc->ops_head &&
      !pc->op_running && !pc_jsep_negotiation_needed(pc)) {
    pc->negotiation_needed = false;
    return;
  }
  if (pc->negotiation_check_posted)
    return;
  rtc_task task = {negotiation_task, NULL, pc};
  if (rtc_task_queue_post_guarded(pc->signaling, pc->bridge->flag, 0, task) ==
      RTC_OK)
    pc->negotiation_check_posted = true;
}

/* --- Attributes --- */

rtc_signaling_state rtc_peer_connection_signaling_state(
    const rtc_peer_connection* pc) {
  return pc->signaling_state;
}

rtc_ice_gathering_state rtc_peer_connection_ice_gathering_state(
    const rtc_peer_connection* pc) {
  return pc->gathering_state;
}

rtc_ice_connection_state rtc_peer_connection_ice_connection_state(
    const rtc_peer_connection* pc) {
  return pc->ice_connection_state;
}

rtc_peer_connection_state rtc_peer_connection_connection_state(
    const rtc_peer_connection* pc) {
  return pc->connection_state;
}

int rtc_peer_connection_can_trickle_ice_candidates(
    const rtc_peer_connection* pc) {
  return pc->can_trickle;
}

const rtc_sdp_session* pc_local_description(const rtc_peer_connection* pc) {
  return pc->pending_local ? pc->pending_local : pc->current_local;
}

const rtc_sdp_session* pc_remote_description(const rtc_peer_connection* pc) {
  return pc->pending_remote ? pc->pending_remote : pc->current_remote;
}

rtc_error rtc_peer_connection_description(const rtc_peer_connection* pc,
                                          rtc_description_kind kind,
                                          rtc_session_description* out) {
  out->sdp = NULL;
  const rtc_sdp_session* s = NULL;
  rtc_sdp_type type = RTC_SDP_OFFER;
  bool local = kind <= RTC_DESCRIPTION_PENDING_LOCAL;
  switch (kind) {
    case RTC_DESCRIPTION_LOCAL:
      s = pc_local_description(pc);
      type =
          pc->pending_local ? pc->pending_local_type : pc->current_local_type;
      break;
    case RTC_DESCRIPTION_CURRENT_LOCAL:
      s = pc->current_local;
      type = pc->current_local_type;
      break;
    case RTC_DESCRIPTION_PENDING_LOCAL:
      s = pc->pending_local;
      type = pc->pending_local_type;
      break;
    case RTC_DESCRIPTION_REMOTE:
      s = pc_remote_description(pc);
      type = pc->pending_remote ? pc->pending_remote_type
                                : pc->current_remote_type;
      break;
    case RTC_DESCRIPTION_CURRENT_REMOTE:
      s = pc->current_remote;
      type = pc->current_remote_type;
      break;
    case RTC_DESCRIPTION_PENDING_REMOTE:
      s = pc->pending_remote;
      type = pc->pending_remote_type;
      break;
  }
  if (!s)
    return RTC_ERR_NOT_FOUND;
  char* text = NULL;
  rtc_error err = pc_description_text(pc, s, local, &text);
  if (err != RTC_OK)
    return err;
  out->type = type;
  out->sdp = text;
  return RTC_OK;
}

/* A local description as SDP, with the candidates gathered so far added
 * to the sections of their transport (RFC 9429 §4.1.12). */
rtc_error pc_description_text(const rtc_peer_connection* pc,
                              const rtc_sdp_session* session,
                              bool local,
                              char** out) {
  if (!local)
    return rtc_sdp_serialize(session, out, NULL, NULL);
  rtc_sdp_session* copy = NULL;
  rtc_error err = rtc_sdp_session_clone(session, &copy);
  if (err != RTC_OK)
    return err;
  for (size_t m = 0; m < copy->num_media; m++) {
    rtc_sdp_media* media = copy->media[m];
    if (!media->mid || media->port == 0)
      continue;
    const char* transport = pc_jsep_transport_for_mid(pc, media->mid);
    if (!transport || strcmp(transport, media->mid) != 0)
      continue; /* bundled: candidates go in the tagged section */
    for (size_t i = 0; i < pc->local_candidate_count; i++) {
      const pc_local_candidate* lc = &pc->local_candidates[i];
      if (strcmp(lc->transport, transport) == 0 &&
          strcmp(lc->candidate.ufrag,
                 media->ice_ufrag ? media->ice_ufrag : "") == 0)
        rtc_sdp_media_add_candidate(copy, media, &lc->candidate);
    }
    for (size_t t = 0; t < pc->transport_count; t++) {
      if (strcmp(pc->transports[t].name, transport) == 0 &&
          pc->transports[t].gathering == RTC_ICE_GATHERING_COMPLETE)
        media->end_of_candidates = true;
    }
  }
  err = rtc_sdp_serialize(copy, out, NULL, NULL);
  rtc_sdp_session_destroy(copy);
  return err;
}

/* --- Data channels and transceivers --- */

rtc_error rtc_peer_connection_create_data_channel(
    rtc_peer_connection* pc,
    const char* label,
    const rtc_data_channel_init* init,
    rtc_data_channel** out,
    rtc_error_info* info) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  *out = NULL;
  if (pc->closed)
    return rtc_error_set(info, RTC_ERR_INVALID_STATE,
                         "the connection is closed");
  rtc_error err = pc_data_channel_create(pc, label, init, out, info);
  if (err == RTC_OK)
    pc_update_negotiation_needed(pc);
  return err;
}

rtc_error rtc_peer_connection_add_transceiver(
    rtc_peer_connection* pc,
    rtc_media_kind kind,
    const rtc_rtp_transceiver_init* init,
    rtc_rtp_transceiver** out,
    rtc_error_info* info) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  *out = NULL;
  if (pc->closed)
    return rtc_error_set(info, RTC_ERR_INVALID_STATE,
                         "the connection is closed");
  rtc_rtp_transceiver_init defaults;
  if (!init) {
    rtc_rtp_transceiver_init_defaults(&defaults);
    init = &defaults;
  }
  /* webrtc-pc §4.4.1.7 addTransceiver(): the kind is "audio" or "video"
   * (TypeError). */
  if (kind != RTC_MEDIA_AUDIO && kind != RTC_MEDIA_VIDEO)
    return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                         "kind must be audio or video");
  if ((int)init->direction < 0 || init->direction > RTC_DIRECTION_INACTIVE)
    return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                         "direction must be sendrecv, sendonly, recvonly or "
                         "inactive");
  /* "add transceiver" sendEncodings steps: rids on all encodings or none,
   * no two alike (TypeError); audio drops scaleResolutionDownBy before the
   * RangeError check. */
  size_t with_rid = 0;
  for (size_t i = 0; i < init->send_encoding_count; i++) {
    const rtc_rtp_encoding_parameters* e = &init->send_encodings[i];
    if (kind == RTC_MEDIA_VIDEO && e->scale_resolution_down_by != 0 &&
        e->scale_resolution_down_by < 1.0)
      return rtc_error_set(info, RTC_ERR_OUT_OF_RANGE,
                           "scaleResolutionDownBy must be at least 1");
    if (e->rid) {
      with_rid++;
      for (size_t k = 0; k < i; k++) {
        const char* other = init->send_encodings[k].rid;
        if (other && strcmp(other, e->rid) == 0)
          return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                               "rid '%s' appears twice", e->rid);
      }
    }
  }
  if (with_rid != 0 && with_rid != init->send_encoding_count)
    return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                         "either every encoding has a rid or none has");
  for (size_t i = 0; i < init->send_encoding_count; i++) {
    const rtc_rtp_encoding_parameters* e = &init->send_encodings[i];
    if (e->rid) {
      /* RFC 8851 §10 as RFC 8852 §3.1 constrains an RtpStreamId (erratum
       * 7132): alphanumeric characters; at most 16, as browsers take. */
      size_t len = strlen(e->rid);
      if (len == 0 || len > 16)
        return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT, "invalid rid");
      for (size_t c = 0; c < len; c++) {
        char ch = e->rid[c];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9')))
          return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT, "invalid rid");
      }
    }
  }
  rtc_rtp_transceiver* t = pc_transceiver_new(pc, kind, init);
  if (!t)
    return rtc_error_set(info, RTC_ERR_NO_MEMORY, NULL);
  t->added_by_api = true;
  rtc_error err = pc_transceiver_add(pc, t);
  if (err != RTC_OK) {
    rtc_rtp_transceiver_unref(t);
    return rtc_error_set(info, err, NULL);
  }
  rtc_rtp_transceiver_ref(t);
  *out = t;
  pc_update_negotiation_needed(pc);
  return RTC_OK;
}

size_t rtc_peer_connection_transceivers(rtc_peer_connection* pc,
                                        rtc_rtp_transceiver** out,
                                        size_t capacity) {
  size_t n = 0;
  for (size_t i = 0; i < pc->transceiver_count; i++) {
    if (n < capacity) {
      out[n] = pc->transceivers[i];
      rtc_rtp_transceiver_ref(out[n]);
    }
    n++;
  }
  return n;
}
