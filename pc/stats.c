/*
 * getStats() (webrtc-pc §8, webrtc-stats): a snapshot of the network side
 * taken on the network thread, turned into the report's JSON on the
 * signaling thread.
 *
 * What the report holds (webrtc-pc §8.6 "Mandatory To Implement Stats",
 * with the fields listed there whenever they are valid, plus the optional
 * ones we have data for):
 *   peer-connection   always;
 *   data-channel      one per data channel of the pc;
 *   transport         one per ICE/DTLS transport on the network side
 *                     (after close(), the signaling side's view of them,
 *                     without the counters, which went with the network
 *                     half);
 *   candidate-pair    every pair of a transport's current ICE generation,
 *                     and the selected pair even when it is an older one;
 *   local-candidate   the candidates of those pairs, and the candidates the
 *   remote-candidate  transport gathered in its current generation;
 *   certificate       ours once a transport uses it, and the peer's chain
 *                     (RTCDtlsTransport.getRemoteCertificates()) once DTLS
 *                     verified it.
 *
 * Not there (no data for them yet): data channels that have closed (the pc
 * drops them), pairs and candidates after close(), lastPacket*Timestamp.
 *
 * Ids (webrtc-pc §8.4 RTCStats.id): stable for the life of the object they
 * name and not predictable by the application: each is a keyed hash
 * (SipHash-2-4 with a process-wide secret key) of the pc's session id and
 * the object's internal name, behind a short type prefix.
 *
 * Timestamps (DOMHighResTimeStamp, ms): the task queues' clock plus a
 * process-wide offset to the Unix epoch taken once, so that they never go
 * backwards (as Performance.timeOrigin + Performance.now()) and follow
 * simulated time in tests.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pc/peer_connection_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/clock.h"
#include "rtc_base/logging.h"
#include "rtc_base/mutex.h"
#include "rtc_base/random.h"

#define MAX_PAIRS RTC_ICE_MAX_PAIRS
/* A type prefix of at most 3 characters, 16 hex digits, NUL. */
#define STATS_ID_SIZE 24

typedef struct stats_transport {
  char name[PC_TRANSPORT_NAME_SIZE];
  /* From the network side. False for a transport of a closed pc, whose
   * network half is gone: only the signaling side's view is left. */
  bool live;
  pc_transport_stats stats;
  rtc_ice_pair_info* pairs;
  size_t pair_count;
  rtc_candidate* remotes; /* the current generation's remote candidates */
  size_t remote_count;
} stats_transport;

/* Shared by the network task that fills it and the signaling task that
 * reports it: whichever releases it last frees it. */
typedef struct stats_request {
  rtc_refcount refs;
  pc_bridge* bridge; /* one reference */
  rtc_stats_callback done;
  void* user;
  int64_t snapshot_us; /* the network queue's clock */
  bool failed;         /* out of memory in the snapshot */
  size_t transport_count;
  stats_transport transports[PC_MAX_TRANSPORTS];
} stats_request;

/* --- Process-wide secrets --- */

/* The key of the id hash and the epoch offset are the same for every pc
 * of the process; they are made once, on first use, from whichever
 * thread gets there first. */
static rtc_mutex g_secrets_mutex = RTC_MUTEX_INIT;
static bool g_secrets_ready RTC_GUARDED_BY(g_secrets_mutex);
static uint8_t g_id_key[16] RTC_GUARDED_BY(g_secrets_mutex);
static int64_t g_epoch_offset_us RTC_GUARDED_BY(g_secrets_mutex);

static void process_secrets(uint8_t key[16], int64_t* epoch_offset_us) {
  rtc_mutex_lock(&g_secrets_mutex);
  if (!g_secrets_ready) {
    rtc_random_bytes(g_id_key, sizeof(g_id_key));
    g_epoch_offset_us = rtc_time_utc_us() - rtc_time_monotonic_us();
    g_secrets_ready = true;
  }
  memcpy(key, g_id_key, sizeof(g_id_key));
  *epoch_offset_us = g_epoch_offset_us;
  rtc_mutex_unlock(&g_secrets_mutex);
}

/* --- SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012) --- */

static uint64_t rotl64(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

static uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

#define SIPROUND(v0, v1, v2, v3) \
  do {                           \
    v0 += v1;                    \
    v1 = rotl64(v1, 13);         \
    v1 ^= v0;                    \
    v0 = rotl64(v0, 32);         \
    v2 += v3;                    \
    v3 = rotl64(v3, 16);         \
    v3 ^= v2;                    \
    v0 += v3;                    \
    v3 = rotl64(v3, 21);         \
    v3 ^= v0;                    \
    v2 += v1;                    \
    v1 = rotl64(v1, 17);         \
    v1 ^= v2;                    \
    v2 = rotl64(v2, 32);         \
  } while (0)

static uint64_t siphash24(const uint8_t key[16],
                          const uint8_t* data,
                          size_t len) {
  uint64_t k0 = load_le64(key);
  uint64_t k1 = load_le64(key + 8);
  uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
  uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
  uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
  uint64_t v3 = k1 ^ 0x7465646279746573ULL;
  size_t full = len - len % 8;
  for (size_t i = 0; i < full; i += 8) {
    uint64_t m = load_le64(data + i);
    v3 ^= m;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    v0 ^= m;
  }
  uint64_t b = (uint64_t)len << 56;
  for (size_t i = 0; i < len % 8; i++)
    b |= (uint64_t)data[full + i] << (8 * i);
  v3 ^= b;
  SIPROUND(v0, v1, v2, v3);
  SIPROUND(v0, v1, v2, v3);
  v0 ^= b;
  v2 ^= 0xff;
  for (int i = 0; i < 4; i++)
    SIPROUND(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

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

/* The length of the well-formed UTF-8 sequence at p (RFC 3629 §4), or 0. */
static size_t utf8_sequence(const unsigned char* p) {
  if (p[0] < 0x80)
    return 1;
  size_t n;
  uint32_t cp;
  if (p[0] >= 0xC2 && p[0] <= 0xDF) {
    n = 2;
    cp = p[0] & 0x1F;
  } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
    n = 3;
    cp = p[0] & 0x0F;
  } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
    n = 4;
    cp = p[0] & 0x07;
  } else {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) /* also stops at the NUL */
      return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  /* No overlong forms, no surrogates, nothing above U+10FFFF. */
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
    return 0;
  return n;
}

/* A JSON string (RFC 8259 §7): quotes, backslashes and control characters
 * escaped. Labels and protocols may come from the peer: bytes that are not
 * well-formed UTF-8 become U+FFFD, as a USVString conversion would make
 * them (RFC 8259 §8.1: the text must be UTF-8). */
static void string(json* j, const char* s) {
  raw(j, "\"", 1);
  const unsigned char* p = (const unsigned char*)s;
  while (*p) {
    size_t n = utf8_sequence(p);
    if (n == 0) {
      text(j, "\\ufffd");
      p++;
    } else if (*p == '"' || *p == '\\') {
      char esc[2] = {'\\', (char)*p};
      raw(j, esc, 2);
      p++;
    } else if (*p < 0x20) {
      printf_raw(j, "\\u%04x", *p);
      p++;
    } else {
      raw(j, (const char*)p, n);
      p += n;
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
  string(j, value);
}

static void member_null(json* j, const char* name) {
  key(j, name);
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

/* RFC 4648 §4 base64, padded. */
static void member_base64(json* j,
                          const char* name,
                          const uint8_t* data,
                          size_t len) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  key(j, name);
  raw(j, "\"", 1);
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)data[i] << 16;
    if (i + 1 < len)
      v |= (uint32_t)data[i + 1] << 8;
    if (i + 2 < len)
      v |= data[i + 2];
    char out[4] = {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63],
                   i + 1 < len ? kAlphabet[(v >> 6) & 63] : '=',
                   i + 2 < len ? kAlphabet[v & 63] : '='};
    raw(j, out, 4);
  }
  raw(j, "\"", 1);
}

/* --- Report --- */

/* Ids already in the report (objects reached twice are written once). */
typedef struct id_set {
  char (*ids)[STATS_ID_SIZE];
  size_t count;
  size_t capacity;
} id_set;

typedef struct report {
  json j;
  id_set written;
  uint8_t key[16];
  uint64_t salt; /* the pc's session id: unique to the pc */
  int64_t epoch_offset_us;
  const rtc_peer_connection* pc;
} report;

static bool id_set_contains(const id_set* s, const char* id) {
  for (size_t i = 0; i < s->count; i++) {
    if (strcmp(s->ids[i], id) == 0)
      return true;
  }
  return false;
}

/* False when `id` is already there (or on OOM, which fails the report). */
static bool id_set_add(report* r, const char* id) {
  id_set* s = &r->written;
  if (id_set_contains(s, id))
    return false;
  if (s->count == s->capacity) {
    size_t capacity = s->capacity ? s->capacity * 2 : 32;
    char(*grown)[STATS_ID_SIZE] =
        rtc_realloc_array(s->ids, capacity, sizeof(*grown));
    if (!grown) {
      r->j.failed = true;
      return false;
    }
    s->ids = grown;
    s->capacity = capacity;
  }
  snprintf(s->ids[s->count++], STATS_ID_SIZE, "%s", id);
  return true;
}

/* The id of the object named by `prefix` and `name` (its internal name,
 * unique among objects of that prefix in this pc). */
static void make_id(const report* r,
                    const char* prefix,
                    const char* name,
                    char out[STATS_ID_SIZE]) {
  uint8_t message[8 + 4 + 1024];
  size_t len = 0;
  for (int i = 0; i < 8; i++)
    message[len++] = (uint8_t)(r->salt >> (8 * i));
  size_t prefix_len = strlen(prefix);
  RTC_DCHECK(prefix_len <= 3);
  memcpy(message + len, prefix, prefix_len);
  len += prefix_len;
  message[len++] = '\0';
  size_t name_len = strlen(name);
  if (name_len > sizeof(message) - len)
    name_len = sizeof(message) - len;
  memcpy(message + len, name, name_len);
  len += name_len;
  uint64_t h = siphash24(r->key, message, len);
  snprintf(out, STATS_ID_SIZE, "%s%016" PRIx64, prefix, h);
}

static double timestamp_ms(const report* r, int64_t queue_now_us) {
  return (double)(r->epoch_offset_us + queue_now_us) / 1000.0;
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

/* The connection address as the candidate was signaled: an IP, or a host
 * name (an mDNS `.local` name), or "" when it is not exposed. */
static void candidate_address(const rtc_candidate* c,
                              char out[RTC_CANDIDATE_MAX_HOSTNAME + 1]) {
  out[0] = '\0';
  if (c->hostname[0])
    snprintf(out, RTC_CANDIDATE_MAX_HOSTNAME + 1, "%s", c->hostname);
  else if (c->address.family != RTC_AF_UNSPEC)
    rtc_ip_address_format(&c->address, out, RTC_CANDIDATE_MAX_HOSTNAME + 1);
}

static void candidate_id(const report* r,
                         bool local,
                         const char* transport,
                         const rtc_candidate* c,
                         char out[STATS_ID_SIZE]) {
  char address[RTC_CANDIDATE_MAX_HOSTNAME + 1];
  candidate_address(c, address);
  /* The ufrag tells generations apart: after an ICE restart the same
   * address makes new candidates (and pairs), with new ids (webrtc-stats:
   * a deleted object's id is never reused). */
  char name[1024];
  snprintf(name, sizeof(name), "%s\x1f%s\x1f%s\x1f%s\x1f%u\x1f%s\x1f%s",
           transport, rtc_candidate_type_name(c->type),
           rtc_ice_protocol_name(c->protocol), address,
           (unsigned)c->address.port, c->foundation, c->ufrag);
  make_id(r, local ? "IL" : "IR", name, out);
}

/* RTCIceCandidateStats (webrtc-stats §RTCIceCandidateStats). */
static void candidate_stats(report* r,
                            const char* id,
                            bool local,
                            const char* transport_id,
                            const rtc_candidate* c,
                            double now) {
  json* j = &r->j;
  begin(j, id, local ? "local-candidate" : "remote-candidate", now);
  member_string(j, "transportId", transport_id);
  /* webrtc-stats address: the candidate's address as signaled, which is
   * the mDNS name of an obfuscated host candidate (never its IP). "By
   * default, the user agent MUST leave the address member as null in the
   * RTCIceCandidateStats dictionary of any remote candidate" until the
   * application has given that address with addIceCandidate(): a
   * peer-reflexive remote candidate learned from a check has none. */
  char address[RTC_CANDIDATE_MAX_HOSTNAME + 1];
  candidate_address(c, address);
  if (address[0])
    member_string(j, "address", address);
  else
    member_null(j, "address");
  member_i64(j, "port", c->address.port);
  member_string(j, "protocol", rtc_ice_protocol_name(c->protocol));
  member_string(j, "candidateType", rtc_candidate_type_name(c->type));
  member_i64(j, "priority", c->priority);
  /* url: "For local candidates of type srflx or type relay this is the URL
   * of the ICE server from which the candidate was obtained ... For remote
   * candidates, this property MUST NOT be present." */
  /* relayProtocol: "the protocol used by the endpoint to communicate with
   * the TURN server"; "Only present for local relay candidates." */
  rtc_ice_relay_protocol relay_protocol;
  const char* url =
      local ? pc_candidate_server_url(r->pc, c, &relay_protocol) : NULL;
  if (url)
    member_string(j, "url", url);
  if (url && c->type == RTC_CANDIDATE_RELAY)
    member_string(j, "relayProtocol",
                  rtc_ice_relay_protocol_name(relay_protocol));
  if (c->foundation[0])
    member_string(j, "foundation", c->foundation);
  /* relatedAddress/relatedPort: "Only set for serverreflexive,
   * peerreflexive and relay candidates." */
  if (c->type != RTC_CANDIDATE_HOST && c->has_related) {
    char related[RTC_CANDIDATE_MAX_HOSTNAME + 1] = "";
    if (c->related_hostname[0])
      snprintf(related, sizeof(related), "%s", c->related_hostname);
    else if (c->related_address.family != RTC_AF_UNSPEC)
      rtc_ip_address_format(&c->related_address, related, sizeof(related));
    if (related[0]) {
      member_string(j, "relatedAddress", related);
      member_i64(j, "relatedPort", c->related_address.port);
    }
  }
  if (c->ufrag[0])
    member_string(j, "usernameFragment", c->ufrag);
  if (c->protocol == RTC_ICE_PROTOCOL_TCP && c->tcp_type != RTC_TCP_TYPE_NONE)
    member_string(j, "tcpType", rtc_tcp_type_name(c->tcp_type));
  end(j);
}

static void pair_id(const report* r,
                    const char* local_id,
                    const char* remote_id,
                    char out[STATS_ID_SIZE]) {
  char name[2 * STATS_ID_SIZE + 2];
  snprintf(name, sizeof(name), "%s\x1f%s", local_id, remote_id);
  make_id(r, "CP", name, out);
}

/* The pair's id, from its candidates' ids. */
static void pair_info_id(const report* r,
                         const char* transport,
                         const rtc_ice_pair_info* info,
                         char out[STATS_ID_SIZE]) {
  char lid[STATS_ID_SIZE], rid[STATS_ID_SIZE];
  candidate_id(r, true, transport, &info->local, lid);
  candidate_id(r, false, transport, &info->remote, rid);
  pair_id(r, lid, rid, out);
}

/* RTCIceCandidatePairStats, and the candidates it references. */
static void pair_stats(report* r,
                       const char* transport,
                       const char* transport_id,
                       const rtc_ice_pair_info* info,
                       double now) {
  json* j = &r->j;
  char lid[STATS_ID_SIZE], rid[STATS_ID_SIZE], pid[STATS_ID_SIZE];
  candidate_id(r, true, transport, &info->local, lid);
  candidate_id(r, false, transport, &info->remote, rid);
  pair_id(r, lid, rid, pid);
  if (!id_set_add(r, pid))
    return;
  if (id_set_add(r, lid))
    candidate_stats(r, lid, true, transport_id, &info->local, now);
  if (id_set_add(r, rid))
    candidate_stats(r, rid, false, transport_id, &info->remote, now);
  begin(j, pid, "candidate-pair", now);
  member_string(j, "transportId", transport_id);
  member_string(j, "localCandidateId", lid);
  member_string(j, "remoteCandidateId", rid);
  member_string(j, "state", info->state ? info->state : "frozen");
  member_bool(j, "nominated", info->nominated);
  member_u64(j, "packetsSent", info->packets_sent);
  member_u64(j, "packetsReceived", info->packets_received);
  member_u64(j, "bytesSent", info->bytes_sent);
  member_u64(j, "bytesReceived", info->bytes_received);
  /* totalRoundTripTime: a cumulative measure, 0 before any response. */
  member_double(j, "totalRoundTripTime", (double)info->total_rtt_us / 1e6);
  /* currentRoundTripTime: an instantaneous measure, absent until it was
   * sampled (webrtc-stats "Guidelines for implementing stats objects"). */
  if (info->current_rtt_us >= 0)
    member_double(j, "currentRoundTripTime",
                  (double)info->current_rtt_us / 1e6);
  member_u64(j, "requestsReceived", info->requests_received);
  member_u64(j, "requestsSent", info->requests_sent);
  member_u64(j, "responsesReceived", info->responses_received);
  member_u64(j, "responsesSent", info->responses_sent);
  member_u64(j, "consentRequestsSent", info->consent_requests_sent);
  end(j);
}

/* webrtc-stats tlsVersion: "represented as four upper case hexadecimal
 * digits, representing the two bytes of the version" (RFC 6347 §4.1:
 * DTLS 1.2 is {254, 253}). */
static const char* tls_version_hex(const char* name) {
  if (strcmp(name, "DTLSv1.2") == 0)
    return "FEFD";
  if (strcmp(name, "DTLSv1") == 0 || strcmp(name, "DTLSv1.0") == 0)
    return "FEFF";
  if (strcmp(name, "DTLSv1.3") == 0)
    return "FEFC";
  return NULL;
}

/* webrtc-stats srtpCipher: the "Profile" column of the IANA DTLS-SRTP
 * protection profile registry (RFC 5764 §4.1.2, RFC 7714 §14.2), which
 * names 0x0001 SRTP_AES128_CM_HMAC_SHA1_80 where BoringSSL says
 * SRTP_AES128_CM_SHA1_80. */
static const char* srtp_profile_iana_name(const char* name) {
  static const struct {
    const char* from;
    const char* to;
  } kNames[] = {
      {"SRTP_AES128_CM_SHA1_80", "SRTP_AES128_CM_HMAC_SHA1_80"},
      {"SRTP_AES128_CM_SHA1_32", "SRTP_AES128_CM_HMAC_SHA1_32"},
      {"SRTP_AEAD_AES_128_GCM", "SRTP_AEAD_AES_128_GCM"},
      {"SRTP_AEAD_AES_256_GCM", "SRTP_AEAD_AES_256_GCM"},
  };
  for (size_t i = 0; i < sizeof(kNames) / sizeof(kNames[0]); i++) {
    if (strcmp(name, kNames[i].from) == 0)
      return kNames[i].to;
  }
  return NULL;
}

static const pc_transport_state* find_transport(const rtc_peer_connection* pc,
                                                const char* name) {
  for (size_t i = 0; i < pc->transport_count; i++) {
    if (strcmp(pc->transports[i].name, name) == 0)
      return &pc->transports[i];
  }
  return NULL;
}

/* Mirrors jsep.c: the offerer controls unless the peer is ICE-lite. */
static const char* ice_role_name(const rtc_peer_connection* pc) {
  const rtc_sdp_session* remote = pc_remote_description(pc);
  if ((remote && remote->ice_lite) || pc->is_offerer)
    return "controlling";
  return "controlled";
}

static void local_certificate_stats(report* r, const char* id, double now) {
  json* j = &r->j;
  const rtc_peer_connection* pc = r->pc;
  /* fingerprint: "Only use the fingerprint value as defined in Section 5
   * of [RFC4572]": upper case hex pairs, as in a=fingerprint. */
  char text_fp[RTC_FINGERPRINT_TEXT_SIZE];
  rtc_fingerprint_format(&pc->fingerprint, text_fp, sizeof(text_fp));
  const char* space = strchr(text_fp, ' ');
  size_t der_len = 0;
  const uint8_t* der = rtc_certificate_der(pc->certificate, &der_len);
  begin(j, id, "certificate", now);
  member_string(j, "fingerprint", space ? space + 1 : text_fp);
  member_string(j, "fingerprintAlgorithm",
                rtc_hash_algorithm_name(pc->fingerprint.algorithm));
  member_base64(j, "base64Certificate", der, der ? der_len : 0);
  /* issuerCertificateId: not set for a self-signed certificate (the end of
   * its chain), which ours always is. */
  end(j);
}

/* The fingerprint of `der` with `algorithm`, as RFC 4572 §5 writes the
 * value (upper case hex pairs); "" on failure. */
static void der_fingerprint(const uint8_t* der,
                            size_t len,
                            rtc_hash_algorithm algorithm,
                            char out[RTC_FINGERPRINT_TEXT_SIZE]) {
  out[0] = '\0';
  rtc_fingerprint fp;
  if (rtc_fingerprint_of_der(der, len, algorithm, &fp) == RTC_OK)
    rtc_fingerprint_format(&fp, out, RTC_FINGERPRINT_TEXT_SIZE);
}

static void remote_certificate_id(const report* r,
                                  const char* fingerprint_text,
                                  char out[STATS_ID_SIZE]) {
  char name[RTC_FINGERPRINT_TEXT_SIZE + 8];
  snprintf(name, sizeof(name), "remote\x1f%s", fingerprint_text);
  make_id(r, "CF", name, out);
}

/* One RTCCertificateStats of the peer's chain. `fingerprint_text` is
 * "<algorithm> <value>". */
static void remote_certificate_stats(report* r,
                                     const char* id,
                                     const char* fingerprint_text,
                                     const uint8_t* der,
                                     size_t der_len,
                                     const char* issuer_id,
                                     double now) {
  json* j = &r->j;
  const char* space = strchr(fingerprint_text, ' ');
  char algorithm[16] = "";
  if (space && (size_t)(space - fingerprint_text) < sizeof(algorithm))
    memcpy(algorithm, fingerprint_text, (size_t)(space - fingerprint_text));
  begin(j, id, "certificate", now);
  member_string(j, "fingerprint", space ? space + 1 : fingerprint_text);
  member_string(j, "fingerprintAlgorithm", algorithm);
  if (der)
    member_base64(j, "base64Certificate", der, der_len);
  /* issuerCertificateId: "the stats object that contains the next
   * certificate in the certificate chain. If the current certificate is at
   * the end of the chain (i.e. a self-signed certificate), this will not be
   * set." */
  if (issuer_id)
    member_string(j, "issuerCertificateId", issuer_id);
  end(j);
}

/* The peer's certificates of transport `st`, once DTLS verified them (the
 * chain RTCDtlsTransport.getRemoteCertificates() returns, leaf first);
 * writes the leaf's id to `leaf_id`, or "" when there is none yet. */
static void remote_certificates(report* r,
                                const stats_transport* st,
                                const pc_transport_state* state,
                                char leaf_id[STATS_ID_SIZE],
                                double now) {
  leaf_id[0] = '\0';
  const uint8_t* der[PC_MAX_REMOTE_CERTIFICATES];
  size_t der_len[PC_MAX_REMOTE_CERTIFICATES];
  size_t count = 0;
  if (state && state->object) {
    count = rtc_pc_dtls_transport_remote_certificates(
        state->object, der, der_len, PC_MAX_REMOTE_CERTIFICATES);
    if (count > PC_MAX_REMOTE_CERTIFICATES)
      count = PC_MAX_REMOTE_CERTIFICATES;
  }
  if (count == 0) {
    /* Not copied to the signaling side (out of memory there): the
     * fingerprint the handshake matched still names the certificate. */
    if (st->live && st->stats.dtls.cipher[0] &&
        st->stats.remote_fingerprint[0]) {
      remote_certificate_id(r, st->stats.remote_fingerprint, leaf_id);
      if (id_set_add(r, leaf_id))
        remote_certificate_stats(r, leaf_id, st->stats.remote_fingerprint, NULL,
                                 0, NULL, now);
    }
    return;
  }
  /* The hash of the peer's a=fingerprint (SHA-256 if unknown). */
  rtc_hash_algorithm algorithm = RTC_HASH_SHA256;
  const char* space = strchr(st->stats.remote_fingerprint, ' ');
  if (space)
    rtc_hash_algorithm_from_name(st->stats.remote_fingerprint,
                                 (size_t)(space - st->stats.remote_fingerprint),
                                 &algorithm);
  /* From the root down, so that each knows its issuer's id. */
  char issuer[STATS_ID_SIZE] = "";
  for (size_t k = count; k-- > 0;) {
    char fingerprint_text[RTC_FINGERPRINT_TEXT_SIZE];
    der_fingerprint(der[k], der_len[k], algorithm, fingerprint_text);
    if (!fingerprint_text[0]) {
      r->j.failed = true;
      return;
    }
    char id[STATS_ID_SIZE];
    remote_certificate_id(r, fingerprint_text, id);
    /* A self-signed certificate ends the chain even if more follow. */
    bool has_issuer = issuer[0] && strcmp(issuer, id) != 0;
    if (id_set_add(r, id))
      remote_certificate_stats(r, id, fingerprint_text, der[k], der_len[k],
                               has_issuer ? issuer : NULL, now);
    memcpy(issuer, id, sizeof(issuer));
  }
  memcpy(leaf_id, issuer, STATS_ID_SIZE);
}

static void transport_stats(report* r,
                            stats_transport* st,
                            const char* local_cert_id,
                            double now) {
  json* j = &r->j;
  const rtc_peer_connection* pc = r->pc;
  char tid[STATS_ID_SIZE];
  make_id(r, "T", st->name, tid);
  if (!id_set_add(r, tid))
    return;

  const pc_transport_state* state = find_transport(pc, st->name);
  /* The peer's certificate, once DTLS has verified it. */
  char rcid[STATS_ID_SIZE];
  remote_certificates(r, st, state, rcid, now);

  /* The pairs of the current generation, and the selected pair, which may
   * still be one of the previous generation after an ICE restart. */
  uint64_t bytes_sent = 0, bytes_received = 0;
  uint64_t packets_sent = 0, packets_received = 0;
  char selected[STATS_ID_SIZE] = "";
  if (st->stats.has_selected_pair)
    pair_info_id(r, st->name, &st->stats.selected, selected);
  bool selected_listed = false;
  for (size_t p = 0; p < st->pair_count; p++) {
    const rtc_ice_pair_info* info = &st->pairs[p];
    char pid[STATS_ID_SIZE];
    pair_info_id(r, st->name, info, pid);
    if (id_set_contains(&r->written, pid))
      continue;
    if (selected[0] && strcmp(pid, selected) == 0)
      selected_listed = true;
    bytes_sent += info->bytes_sent;
    bytes_received += info->bytes_received;
    packets_sent += info->packets_sent;
    packets_received += info->packets_received;
    pair_stats(r, st->name, tid, info, now);
  }
  if (selected[0] && !selected_listed &&
      !id_set_contains(&r->written, selected)) {
    const rtc_ice_pair_info* info = &st->stats.selected;
    bytes_sent += info->bytes_sent;
    bytes_received += info->bytes_received;
    packets_sent += info->packets_sent;
    packets_received += info->packets_received;
    pair_stats(r, st->name, tid, info, now);
  }

  /* Local candidates gathered in the current generation that are in no
   * pair yet (no remote candidate so far). */
  const char* ufrag = state ? state->local_ufrag : pc->ice_ufrag;
  for (size_t i = 0; i < pc->local_candidate_count; i++) {
    const pc_local_candidate* lc = &pc->local_candidates[i];
    if (strcmp(lc->transport, st->name) != 0 ||
        strcmp(lc->candidate.ufrag, ufrag) != 0)
      continue;
    char lid[STATS_ID_SIZE];
    candidate_id(r, true, st->name, &lc->candidate, lid);
    if (id_set_add(r, lid))
      candidate_stats(r, lid, true, tid, &lc->candidate, now);
  }

  /* draft-ietf-mmusic-mdns-ice-candidates, "Statistics": "the
   * RTCIceCandidateStats ... should not reveal whether the mDNS name was
   * resolved": every remote mDNS candidate is reported, also one that no
   * pair uses because its name never resolved (IP-06). Its address is the
   * name, as for a resolved one. */
  for (size_t i = 0; i < st->remote_count; i++) {
    const rtc_candidate* c = &st->remotes[i];
    if (!c->hostname[0])
      continue;
    char rid[STATS_ID_SIZE];
    candidate_id(r, false, st->name, c, rid);
    if (id_set_add(r, rid))
      candidate_stats(r, rid, false, tid, c, now);
  }

  begin(j, tid, "transport", now);
  /* The counters went with the network half of a closed pc: absent rather
   * than restarted from 0. */
  if (st->live) {
    member_u64(j, "packetsSent", packets_sent);
    member_u64(j, "packetsReceived", packets_received);
    member_u64(j, "bytesSent", bytes_sent);
    member_u64(j, "bytesReceived", bytes_received);
  }
  member_string(j, "iceRole", ice_role_name(pc));
  if (ufrag[0])
    member_string(j, "iceLocalUsernameFragment", ufrag);
  member_string(j, "dtlsState", rtc_dtls_state_name(st->stats.dtls_state));
  member_string(j, "iceState",
                rtc_ice_transport_state_name(st->stats.ice_state));
  if (selected[0])
    member_string(j, "selectedCandidatePairId", selected);
  /* selectedCandidatePairChanges: "The number of times that the selected
   * candidate pair of this transport has changed. ... It is initially zero
   * and becomes one when an initial candidate pair is selected." */
  if (st->live)
    member_u64(j, "selectedCandidatePairChanges",
               st->stats.selected_pair_changes);
  member_string(j, "localCertificateId", local_cert_id);
  if (rcid[0])
    member_string(j, "remoteCertificateId", rcid);
  /* tlsVersion, dtlsCipher, srtpCipher: "Only exists after DTLS
   * negotiation is complete." */
  if (st->stats.dtls.cipher[0]) {
    const char* version = tls_version_hex(st->stats.dtls.tls_version);
    if (version)
      member_string(j, "tlsVersion", version);
    /* The IANA TLS cipher suite registry's "Description" (BoringSSL's
     * standard name). */
    member_string(j, "dtlsCipher", st->stats.dtls.cipher);
    const char* srtp = srtp_profile_iana_name(st->stats.dtls.srtp_cipher);
    if (srtp)
      member_string(j, "srtpCipher", srtp);
  }
  /* dtlsRole: "unknown before the DTLS negotiation starts"; RTCDtlsRole
   * "unknown": "The DTLS role of the RTCPeerConnection has not been
   * determined yet". The applied answer's a=setup determines it (RFC 8842
   * §5), before the handshake begins. */
  const char* role = "unknown";
  if (pc->dtls_role >= 0)
    role = pc->dtls_role == RTC_DTLS_ROLE_CLIENT ? "client" : "server";
  member_string(j, "dtlsRole", role);
  end(j);
}

static void data_channel_stats(report* r,
                               const rtc_data_channel* c,
                               double now) {
  json* j = &r->j;
  /* The channel object is the only stable thing that names it (its id is
   * null until the DTLS role is known). */
  char name[32];
  snprintf(name, sizeof(name), "%p", (const void*)c);
  char id[STATS_ID_SIZE];
  make_id(r, "D", name, id);
  if (!id_set_add(r, id))
    return;
  begin(j, id, "data-channel", now);
  member_string(j, "label", c->label);
  member_string(j, "protocol", c->protocol);
  /* dataChannelIdentifier: the id attribute, absent while it is null. */
  if (c->id >= 0)
    member_i64(j, "dataChannelIdentifier", c->id);
  member_string(j, "state", rtc_data_channel_state_name(c->state));
  member_u64(j, "messagesSent", c->messages_sent);
  member_u64(j, "bytesSent", c->submitted);
  member_u64(j, "messagesReceived", c->messages_received);
  member_u64(j, "bytesReceived", c->bytes_received);
  end(j);
}

static void build(report* r, stats_request* req, int64_t now_us) {
  json* j = &r->j;
  const rtc_peer_connection* pc = r->pc;
  double now = timestamp_ms(r, now_us);
  double net_now = timestamp_ms(r, req->snapshot_us);
  raw(j, "{", 1);
  j->first = true;

  char pid[STATS_ID_SIZE];
  make_id(r, "P", "peer-connection", pid);
  id_set_add(r, pid);
  begin(j, pid, "peer-connection", now);
  member_u64(j, "dataChannelsOpened", pc->data_channels_opened);
  member_u64(j, "dataChannelsClosed", pc->data_channels_closed);
  end(j);

  /* webrtc-stats "certificate": "Information about a certificate used by
   * an RTCIceTransport": ours, once a transport exists. */
  char local_cert_id[STATS_ID_SIZE];
  make_id(r, "CF", "local", local_cert_id);
  if (req->transport_count > 0 && id_set_add(r, local_cert_id))
    local_certificate_stats(r, local_cert_id, now);

  for (size_t t = 0; t < req->transport_count; t++)
    transport_stats(r, &req->transports[t], local_cert_id, net_now);

  /* webrtc-stats "Lifetime considerations": transports and certificates
   * stay "visible in getStats() after pc.close()". close() took the
   * network half down (its counters and pairs with it); what the
   * signaling side knows is reported. */
  if (pc->closed && req->transport_count == 0) {
    for (size_t t = 0; t < pc->transport_count; t++) {
      const pc_transport_state* state = &pc->transports[t];
      if (!state->created)
        continue;
      stats_transport* st = rtc_calloc(1, sizeof(*st));
      if (!st) {
        j->failed = true;
        break;
      }
      snprintf(st->name, sizeof(st->name), "%s", state->name);
      st->live = false;
      st->stats.ice_state = state->ice;
      st->stats.dtls_state = state->dtls;
      if (id_set_add(r, local_cert_id))
        local_certificate_stats(r, local_cert_id, now);
      transport_stats(r, st, local_cert_id, now);
      rtc_free(st);
    }
  }

  for (size_t i = 0; i < pc->channel_count; i++)
    data_channel_stats(r, pc->channels[i], now);
  raw(j, "}", 1);
}

static void request_release(void* arg) {
  stats_request* r = arg;
  if (!rtc_refcount_dec(&r->refs))
    return;
  for (size_t t = 0; t < r->transport_count; t++) {
    rtc_free(r->transports[t].pairs);
    rtc_free(r->transports[t].remotes);
  }
  pc_bridge* b = r->bridge;
  rtc_free(r);
  /* The bridge reference taken in rtc_peer_connection_get_stats. */
  if (rtc_refcount_dec(&b->refs)) {
    rtc_safety_flag_unref(b->flag);
    rtc_free(b);
  }
}

/* On the signaling thread: the report, unless the pc is gone. */
static void deliver(void* arg) {
  stats_request* req = arg;
  if (!rtc_safety_flag_alive(req->bridge->flag))
    return;
  report r = {0};
  r.pc = req->bridge->pc;
  r.salt = r.pc->session_id;
  process_secrets(r.key, &r.epoch_offset_us);
  r.j.failed = req->failed;
  build(&r, req, rtc_task_queue_now_us(r.pc->signaling));
  rtc_free(r.written.ids);
  if (r.j.failed)
    RTC_LOG(ERROR, "getStats: out of memory writing the report");
  /* The callback has no error path: an empty report stands for one that
   * could not be written. */
  req->done(req->user, r.j.failed ? "{}" : r.j.buf);
  rtc_free(r.j.buf);
}

/* On the network thread: copy what the transports know, then hand the
 * request to the signaling thread. */
static void snapshot(pc_network* net, void* arg) {
  stats_request* r = arg;
  r->snapshot_us = rtc_task_queue_now_us(r->bridge->network);
  char names[PC_MAX_TRANSPORTS][PC_TRANSPORT_NAME_SIZE];
  size_t n = pc_network_transports(net, names, PC_MAX_TRANSPORTS);
  if (n > PC_MAX_TRANSPORTS)
    n = PC_MAX_TRANSPORTS;
  for (size_t i = 0; i < n; i++) {
    stats_transport* st = &r->transports[r->transport_count];
    memcpy(st->name, names[i], sizeof(st->name));
    st->live = true;
    if (pc_network_transport_stats(net, names[i], &st->stats) != RTC_OK)
      continue;
    size_t pairs = pc_network_pairs(net, names[i], NULL, 0);
    if (pairs > MAX_PAIRS)
      pairs = MAX_PAIRS;
    if (pairs) {
      st->pairs = rtc_calloc(pairs, sizeof(*st->pairs));
      if (st->pairs)
        st->pair_count = pc_network_pairs(net, names[i], st->pairs, pairs);
      else
        r->failed = true; /* a report without the pairs would be wrong */
      if (st->pair_count > pairs)
        st->pair_count = pairs;
    }
    size_t remotes = pc_network_remote_candidates(net, names[i], NULL, 0);
    if (remotes > MAX_PAIRS)
      remotes = MAX_PAIRS;
    if (remotes) {
      st->remotes = rtc_calloc(remotes, sizeof(*st->remotes));
      if (st->remotes)
        st->remote_count =
            pc_network_remote_candidates(net, names[i], st->remotes, remotes);
      else
        r->failed = true;
      if (st->remote_count > remotes)
        st->remote_count = remotes;
    }
    r->transport_count++;
  }
  /* The signaling task holds its own reference: the network task's is
   * dropped by its destroy (request_release) right after this returns,
   * possibly after the signaling thread already ran. */
  rtc_refcount_inc(&r->refs);
  rtc_task task = {deliver, request_release, r};
  pc_bridge_post_signaling(r->bridge, task);
}

rtc_error rtc_peer_connection_get_stats(rtc_peer_connection* pc,
                                        rtc_stats_callback done,
                                        void* user) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  if (!done)
    return RTC_ERR_INVALID_ARGUMENT;
  /* webrtc-pc §8.2 getStats(): no step looks at [[IsClosed]]: a closed pc
   * still reports (its objects stay visible after close()). */
  stats_request* r = rtc_calloc(1, sizeof(*r));
  if (!r)
    return RTC_ERR_NO_MEMORY;
  rtc_refcount_init(&r->refs);
  r->bridge = pc->bridge;
  rtc_refcount_inc(&pc->bridge->refs);
  r->done = done;
  r->user = user;
  /* On failure pc_post_to_network has released r (request_release), and
   * the callback is never called. */
  return pc_post_to_network(pc, snapshot, r, request_release);
}
