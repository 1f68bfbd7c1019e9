/*
 * getStats() (webrtc-pc §8, webrtc-stats): a snapshot of the network side
 * taken on the network thread, turned into the report's JSON on the
 * signaling thread. Every id is stable for the life of the object it
 * names.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pc/peer_connection_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/clock.h"

#define MAX_PAIRS RTC_ICE_MAX_PAIRS

typedef struct stats_transport {
  char name[PC_TRANSPORT_NAME_SIZE];
  pc_transport_stats stats;
  rtc_ice_pair_info* pairs;
  size_t pair_count;
} stats_transport;

typedef struct stats_request {
  pc_bridge* bridge;
  rtc_stats_callback done;
  void* user;
  size_t transport_count;
  stats_transport transports[PC_MAX_TRANSPORTS];
} stats_request;

/* --- A small JSON writer --- */

typedef struct json {
  char* buf;
  size_t len;
  size_t cap;
  bool failed;
  bool first; /* no comma before the next member */
} json;

static void raw(json* j, const char* s, size_t n) {
  if (j->failed)
    return;
  if (j->len + n + 1 > j->cap) {
    size_t cap = j->cap ? j->cap * 2 : 4096;
    while (cap < j->len + n + 1)
      cap *= 2;
    char* grown = rtc_realloc(j->buf, cap);
    if (!grown) {
      j->failed = true;
      return;
    }
    j->buf = grown;
    j->cap = cap;
  }
  memcpy(j->buf + j->len, s, n);
  j->len += n;
  j->buf[j->len] = '\0';
}

static void text(json* j, const char* s) {
  raw(j, s, strlen(s));
}

static void printf_raw(json* j, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void printf_raw(json* j, const char* fmt, ...) {
  char tmp[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  if (n > 0)
    raw(j, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A JSON string (RFC 8259 §7): quotes, backslashes and control characters
 * escaped; UTF-8 passes through. */
static void string(json* j, const char* s) {
  raw(j, "\"", 1);
  for (const unsigned char* p = (const unsigned char*)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      char esc[2] = {'\\', (char)*p};
      raw(j, esc, 2);
    } else if (*p < 0x20) {
      printf_raw(j, "\\u%04x", *p);
    } else {
      raw(j, (const char*)p, 1);
    }
  }
  raw(j, "\"", 1);
}

static void key(json* j, const char* name) {
  if (!j->first)
    raw(j, ",", 1);
  j->first = false;
  string(j, name);
  raw(j, ":", 1);
}

static void member_string(json* j, const char* name, const char* value) {
  key(j, name);
  if (value)
    string(j, value);
  else
    text(j, "null");
}

static void member_u64(json* j, const char* name, uint64_t value) {
  key(j, name);
  printf_raw(j, "%" PRIu64, value);
}

static void member_i64(json* j, const char* name, int64_t value) {
  key(j, name);
  printf_raw(j, "%" PRId64, value);
}

static void member_double(json* j, const char* name, double value) {
  key(j, name);
  printf_raw(j, "%.6f", value);
}

static void member_bool(json* j, const char* name, bool value) {
  key(j, name);
  text(j, value ? "true" : "false");
}

/* Starts the stats object `id` of `type`. */
static void begin(json* j, const char* id, const char* type, double now) {
  key(j, id);
  raw(j, "{", 1);
  j->first = true;
  member_string(j, "id", id);
  member_string(j, "type", type);
  member_double(j, "timestamp", now);
}

static void end(json* j) {
  raw(j, "}", 1);
  j->first = false;
}

/* --- Report --- */

static void candidate_stats(json* j,
                            const char* id,
                            const char* type,
                            const char* transport_id,
                            const rtc_candidate* c,
                            double now) {
  begin(j, id, type, now);
  member_string(j, "transportId", transport_id);
  char address[RTC_SOCKET_ADDRESS_STRLEN] = "";
  bool has_ip = c->address.family != RTC_AF_UNSPEC;
  if (has_ip)
    rtc_ip_address_format(&c->address, address, sizeof(address));
  /* webrtc-stats: the address of an mDNS or hidden candidate is null (the
   * mDNS draft, "Statistics"). */
  member_string(j, "address", has_ip ? address : NULL);
  member_i64(j, "port", c->address.port);
  member_string(j, "protocol", rtc_ice_protocol_name(c->protocol));
  member_string(j, "candidateType", rtc_candidate_type_name(c->type));
  member_u64(j, "priority", c->priority);
  member_string(j, "foundation", c->foundation);
  member_string(j, "usernameFragment", c->ufrag[0] ? c->ufrag : NULL);
  member_string(j, "url", NULL);
  end(j);
}

static void build(rtc_peer_connection* pc, stats_request* r, json* j) {
  double now = (double)rtc_time_utc_us() / 1000.0;
  raw(j, "{", 1);
  j->first = true;

  begin(j, "P", "peer-connection", now);
  member_u64(j, "dataChannelsOpened", pc->data_channels_opened);
  member_u64(j, "dataChannelsClosed", pc->data_channels_closed);
  end(j);

  char fingerprint[RTC_FINGERPRINT_TEXT_SIZE];
  rtc_fingerprint_format_value(&pc->fingerprint, fingerprint,
                               sizeof(fingerprint));
  begin(j, "CFlocal", "certificate", now);
  member_string(j, "fingerprint", fingerprint);
  member_string(j, "fingerprintAlgorithm",
                rtc_hash_algorithm_name(pc->fingerprint.algorithm));
  member_string(j, "base64Certificate", "");
  end(j);

  for (size_t t = 0; t < r->transport_count; t++) {
    stats_transport* st = &r->transports[t];
    char tid[PC_TRANSPORT_NAME_SIZE + 4];
    snprintf(tid, sizeof(tid), "T%s", st->name);
    bool has_remote_cert = st->stats.remote_fingerprint[0] != '\0';
    if (has_remote_cert) {
      char cid[PC_TRANSPORT_NAME_SIZE + 8];
      snprintf(cid, sizeof(cid), "CFremote%s", st->name);
      /* "sha-256 AB:CD..." -> algorithm and value */
      const char* space = strchr(st->stats.remote_fingerprint, ' ');
      char algorithm[16] = "";
      if (space &&
          (size_t)(space - st->stats.remote_fingerprint) < sizeof(algorithm))
        memcpy(algorithm, st->stats.remote_fingerprint,
               (size_t)(space - st->stats.remote_fingerprint));
      begin(j, cid, "certificate", now);
      member_string(j, "fingerprint", space ? space + 1 : "");
      member_string(j, "fingerprintAlgorithm", algorithm);
      member_string(j, "base64Certificate", "");
      end(j);
    }
    uint64_t sent = 0, received = 0;
    char selected[PC_TRANSPORT_NAME_SIZE + 32] = "";
    for (size_t p = 0; p < st->pair_count; p++) {
      rtc_ice_pair_info* info = &st->pairs[p];
      sent += info->bytes_sent;
      received += info->bytes_received;
      char pid[PC_TRANSPORT_NAME_SIZE + 32];
      char lid[PC_TRANSPORT_NAME_SIZE + 32];
      char rid[PC_TRANSPORT_NAME_SIZE + 32];
      snprintf(pid, sizeof(pid), "CP%s_%zu", st->name, p);
      snprintf(lid, sizeof(lid), "IL%s_%zu", st->name, p);
      snprintf(rid, sizeof(rid), "IR%s_%zu", st->name, p);
      if (info->nominated && st->stats.has_selected_pair &&
          info->priority == st->stats.selected.priority)
        snprintf(selected, sizeof(selected), "%s", pid);
      candidate_stats(j, lid, "local-candidate", tid, &info->local, now);
      candidate_stats(j, rid, "remote-candidate", tid, &info->remote, now);
      begin(j, pid, "candidate-pair", now);
      member_string(j, "transportId", tid);
      member_string(j, "localCandidateId", lid);
      member_string(j, "remoteCandidateId", rid);
      member_string(j, "state", info->state ? info->state : "frozen");
      member_bool(j, "nominated", info->nominated);
      member_u64(j, "priority", info->priority);
      member_u64(j, "packetsSent", info->packets_sent);
      member_u64(j, "packetsReceived", info->packets_received);
      member_u64(j, "bytesSent", info->bytes_sent);
      member_u64(j, "bytesReceived", info->bytes_received);
      member_double(j, "totalRoundTripTime", (double)info->total_rtt_us / 1e6);
      if (info->current_rtt_us >= 0)
        member_double(j, "currentRoundTripTime",
                      (double)info->current_rtt_us / 1e6);
      member_u64(j, "responsesReceived", info->responses_received);
      member_u64(j, "requestsSent", info->requests_sent);
      member_u64(j, "requestsReceived", info->requests_received);
      member_u64(j, "responsesSent", info->responses_sent);
      member_u64(j, "consentRequestsSent", info->consent_requests_sent);
      end(j);
    }
    begin(j, tid, "transport", now);
    member_u64(j, "bytesSent", sent);
    member_u64(j, "bytesReceived", received);
    member_string(j, "iceState",
                  rtc_ice_transport_state_name(st->stats.ice_state));
    member_string(j, "iceRole", pc->is_offerer ? "controlling" : "controlled");
    member_string(j, "iceLocalUsernameFragment", pc->ice_ufrag);
    member_string(j, "dtlsState", rtc_dtls_state_name(st->stats.dtls_state));
    if (st->stats.dtls_state == RTC_DTLS_CONNECTED) {
      member_string(
          j, "dtlsRole",
          st->stats.dtls_role == RTC_DTLS_ROLE_CLIENT ? "client" : "server");
      member_string(j, "tlsVersion", st->stats.dtls.tls_version);
      member_string(j, "dtlsCipher", st->stats.dtls.cipher);
      member_string(
          j, "srtpCipher",
          st->stats.dtls.srtp_cipher[0] ? st->stats.dtls.srtp_cipher : NULL);
    }
    member_string(j, "selectedCandidatePairId", selected[0] ? selected : NULL);
    member_string(j, "localCertificateId", "CFlocal");
    if (has_remote_cert) {
      char cid[PC_TRANSPORT_NAME_SIZE + 8];
      snprintf(cid, sizeof(cid), "CFremote%s", st->name);
      member_string(j, "remoteCertificateId", cid);
    }
    end(j);
  }

  for (size_t i = 0; i < pc->channel_count; i++) {
    rtc_data_channel* c = pc->channels[i];
    char id[32];
    snprintf(id, sizeof(id), "D%zu", i);
    begin(j, id, "data-channel", now);
    member_string(j, "label", c->label);
    member_string(j, "protocol", c->protocol);
    if (c->id >= 0)
      member_i64(j, "dataChannelIdentifier", c->id);
    member_string(j, "state", rtc_data_channel_state_name(c->state));
    member_u64(j, "messagesSent", c->messages_sent);
    member_u64(j, "bytesSent", c->submitted);
    member_u64(j, "messagesReceived", c->messages_received);
    member_u64(j, "bytesReceived", c->bytes_received);
    end(j);
  }
  raw(j, "}", 1);
}

static void request_free(void* arg) {
  stats_request* r = arg;
  for (size_t t = 0; t < r->transport_count; t++)
    rtc_free(r->transports[t].pairs);
  /* The bridge reference is dropped by whoever owns r last. */
  rtc_free(r);
}

static void deliver(void* arg) {
  stats_request* r = arg;
  if (!rtc_safety_flag_alive(r->bridge->flag))
    return;
  rtc_peer_connection* pc = r->bridge->pc;
  json j = {0};
  build(pc, r, &j);
  r->done(r->user, j.failed ? "{}" : j.buf);
  rtc_free(j.buf);
}

static void deliver_free(void* arg) {
  stats_request* r = arg;
  pc_bridge* b = r->bridge;
  request_free(r);
  /* Drop the reference taken in rtc_peer_connection_get_stats. */
  if (rtc_refcount_dec(&b->refs)) {
    rtc_safety_flag_unref(b->flag);
    rtc_free(b);
  }
}

static void snapshot(pc_network* net, void* arg) {
  stats_request* r = arg;
  char names[PC_MAX_TRANSPORTS][PC_TRANSPORT_NAME_SIZE];
  size_t n = pc_network_transports(net, names, PC_MAX_TRANSPORTS);
  if (n > PC_MAX_TRANSPORTS)
    n = PC_MAX_TRANSPORTS;
  for (size_t i = 0; i < n; i++) {
    stats_transport* st = &r->transports[r->transport_count];
    memcpy(st->name, names[i], sizeof(st->name));
    if (pc_network_transport_stats(net, names[i], &st->stats) != RTC_OK)
      continue;
    size_t pairs = pc_network_pairs(net, names[i], NULL, 0);
    if (pairs > MAX_PAIRS)
      pairs = MAX_PAIRS;
    if (pairs) {
      st->pairs = rtc_calloc(pairs, sizeof(*st->pairs));
      if (st->pairs)
        st->pair_count = pc_network_pairs(net, names[i], st->pairs, pairs);
      if (st->pair_count > pairs)
        st->pair_count = pairs;
    }
    r->transport_count++;
  }
}

/* After the snapshot (network thread): on to the signaling thread. */
static void snapshot_done(void* arg) {
  stats_request* r = arg;
  rtc_task task = {deliver, deliver_free, r};
  rtc_task_queue_post(r->bridge->signaling, task);
}

rtc_error rtc_peer_connection_get_stats(rtc_peer_connection* pc,
                                        rtc_stats_callback done,
                                        void* user) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  if (!done)
    return RTC_ERR_INVALID_ARGUMENT;
  stats_request* r = rtc_calloc(1, sizeof(*r));
  if (!r)
    return RTC_ERR_NO_MEMORY;
  r->bridge = pc->bridge;
  rtc_refcount_inc(&pc->bridge->refs);
  r->done = done;
  r->user = user;
  /* Snapshot on the network thread; its arg free hands r on to the
   * signaling thread (the task's destroy runs right after it ran). */
  return pc_post_to_network(pc, snapshot, r, snapshot_done);
}
