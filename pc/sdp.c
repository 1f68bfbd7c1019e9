/*
 * The SDP model: names, building, cloning, comparing and looking up.
 * The parser is in sdp_parse.c, the serializer in sdp_write.c.
 */
#include "pc/sdp.h"

#include <string.h>

#include "pc/sdp_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

/* ---------------------------------------------------------------------- */
/* Names                                                                  */

const char* rtc_sdp_direction_name(rtc_sdp_direction direction) {
  switch (direction) {
    case RTC_SDP_DIRECTION_SENDRECV:
      return "sendrecv";
    case RTC_SDP_DIRECTION_SENDONLY:
      return "sendonly";
    case RTC_SDP_DIRECTION_RECVONLY:
      return "recvonly";
    case RTC_SDP_DIRECTION_INACTIVE:
      return "inactive";
    case RTC_SDP_DIRECTION_NONE:
      break;
  }
  return "";
}

const char* rtc_sdp_setup_name(rtc_sdp_setup setup) {
  switch (setup) {
    case RTC_SDP_SETUP_ACTPASS:
      return "actpass";
    case RTC_SDP_SETUP_ACTIVE:
      return "active";
    case RTC_SDP_SETUP_PASSIVE:
      return "passive";
    case RTC_SDP_SETUP_HOLDCONN:
      return "holdconn";
    case RTC_SDP_SETUP_NONE:
      break;
  }
  return "";
}

const char* rtc_sdp_slot_name(rtc_sdp_slot slot) {
  static const char* const kNames[RTC_SDP_SLOT_COUNT] = {
      [RTC_SDP_SLOT_END] = "(end)",
      [RTC_SDP_SLOT_START] = "(start)",
      [RTC_SDP_SLOT_GROUP] = "group",
      [RTC_SDP_SLOT_MSID_SEMANTIC] = "msid-semantic",
      [RTC_SDP_SLOT_ICE_LITE] = "ice-lite",
      [RTC_SDP_SLOT_BUNDLE_ONLY] = "bundle-only",
      [RTC_SDP_SLOT_RTCP] = "rtcp",
      [RTC_SDP_SLOT_CANDIDATE] = "candidate",
      [RTC_SDP_SLOT_END_OF_CANDIDATES] = "end-of-candidates",
      [RTC_SDP_SLOT_ICE_UFRAG] = "ice-ufrag",
      [RTC_SDP_SLOT_ICE_PWD] = "ice-pwd",
      [RTC_SDP_SLOT_ICE_OPTIONS] = "ice-options",
      [RTC_SDP_SLOT_FINGERPRINT] = "fingerprint",
      [RTC_SDP_SLOT_SETUP] = "setup",
      [RTC_SDP_SLOT_TLS_ID] = "tls-id",
      [RTC_SDP_SLOT_MID] = "mid",
      [RTC_SDP_SLOT_SCTP_PORT] = "sctp-port",
      [RTC_SDP_SLOT_SCTPMAP] = "sctpmap",
      [RTC_SDP_SLOT_MAX_MESSAGE_SIZE] = "max-message-size",
      [RTC_SDP_SLOT_EXTMAP_ALLOW_MIXED] = "extmap-allow-mixed",
      [RTC_SDP_SLOT_EXTMAP] = "extmap",
      [RTC_SDP_SLOT_DIRECTION] = "sendrecv",
      [RTC_SDP_SLOT_MSID] = "msid",
      [RTC_SDP_SLOT_RTCP_MUX] = "rtcp-mux",
      [RTC_SDP_SLOT_RTCP_MUX_ONLY] = "rtcp-mux-only",
      [RTC_SDP_SLOT_RTCP_RSIZE] = "rtcp-rsize",
      [RTC_SDP_SLOT_CRYPTO] = "crypto",
      [RTC_SDP_SLOT_CODECS] = "rtpmap",
      [RTC_SDP_SLOT_SSRC_GROUP] = "ssrc-group",
      [RTC_SDP_SLOT_SSRC] = "ssrc",
      [RTC_SDP_SLOT_RID] = "rid",
      [RTC_SDP_SLOT_SIMULCAST] = "simulcast",
  };
  if ((unsigned)slot >= RTC_SDP_SLOT_COUNT)
    return "(end)";
  return kNames[slot];
}

/* ---------------------------------------------------------------------- */
/* Shared with the parser and the serializer                              */

bool rtc_sdp_is_token_char(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b ||
         c == 0x2d || c == 0x2e || (c >= 0x30 && c <= 0x39) ||
         (c >= 0x41 && c <= 0x5a) || (c >= 0x5e && c <= 0x7e);
}

bool rtc_sdp_is_token(const char* s) {
  if (!s || !*s)
    return false;
  for (; *s; s++) {
    if (!rtc_sdp_is_token_char((unsigned char)*s))
      return false;
  }
  return true;
}

/* libwebrtc's write order (SdpSerialize, BuildMediaDescription,
 * BuildRtpContentAttributes in pc/webrtc_sdp.cc), see rtc_sdp_slot. */
static const rtc_sdp_slot kSessionOrder[] = {
    RTC_SDP_SLOT_START,
    RTC_SDP_SLOT_GROUP,
    RTC_SDP_SLOT_EXTMAP_ALLOW_MIXED,
    RTC_SDP_SLOT_MSID_SEMANTIC,
    RTC_SDP_SLOT_ICE_LITE,
    RTC_SDP_SLOT_ICE_UFRAG,
    RTC_SDP_SLOT_ICE_PWD,
    RTC_SDP_SLOT_ICE_OPTIONS,
    RTC_SDP_SLOT_FINGERPRINT,
    RTC_SDP_SLOT_SETUP,
    RTC_SDP_SLOT_TLS_ID,
    RTC_SDP_SLOT_EXTMAP,
    RTC_SDP_SLOT_DIRECTION,
    RTC_SDP_SLOT_END_OF_CANDIDATES,
};

static const rtc_sdp_slot kMediaOrder[] = {
    RTC_SDP_SLOT_START,
    RTC_SDP_SLOT_BUNDLE_ONLY,
    RTC_SDP_SLOT_RTCP,
    RTC_SDP_SLOT_CANDIDATE,
    RTC_SDP_SLOT_END_OF_CANDIDATES,
    RTC_SDP_SLOT_ICE_UFRAG,
    RTC_SDP_SLOT_ICE_PWD,
    RTC_SDP_SLOT_ICE_OPTIONS,
    RTC_SDP_SLOT_FINGERPRINT,
    RTC_SDP_SLOT_SETUP,
    RTC_SDP_SLOT_TLS_ID,
    RTC_SDP_SLOT_MID,
    RTC_SDP_SLOT_SCTP_PORT,
    RTC_SDP_SLOT_SCTPMAP,
    RTC_SDP_SLOT_MAX_MESSAGE_SIZE,
    RTC_SDP_SLOT_EXTMAP_ALLOW_MIXED,
    RTC_SDP_SLOT_EXTMAP,
    RTC_SDP_SLOT_DIRECTION,
    RTC_SDP_SLOT_MSID,
    RTC_SDP_SLOT_RTCP_MUX,
    RTC_SDP_SLOT_RTCP_MUX_ONLY,
    RTC_SDP_SLOT_RTCP_RSIZE,
    RTC_SDP_SLOT_CRYPTO,
    RTC_SDP_SLOT_CODECS,
    RTC_SDP_SLOT_SSRC_GROUP,
    RTC_SDP_SLOT_SSRC,
    RTC_SDP_SLOT_RID,
    RTC_SDP_SLOT_SIMULCAST,
};

_Static_assert(sizeof(kMediaOrder) / sizeof(kMediaOrder[0]) <
                   RTC_SDP_SLOT_RANKS,
               "ranks fit");

size_t rtc_sdp_slot_order(bool media_level, const rtc_sdp_slot** order) {
  if (media_level) {
    *order = kMediaOrder;
    return sizeof(kMediaOrder) / sizeof(kMediaOrder[0]);
  }
  *order = kSessionOrder;
  return sizeof(kSessionOrder) / sizeof(kSessionOrder[0]);
}

int rtc_sdp_slot_rank(bool media_level, rtc_sdp_slot slot) {
  const rtc_sdp_slot* order;
  size_t n = rtc_sdp_slot_order(media_level, &order);
  for (size_t i = 0; i < n; i++) {
    if (order[i] == slot)
      return (int)i;
  }
  return (int)n;
}

bool rtc_sdp_parse_pt(const char* s, uint8_t* pt) {
  unsigned v = 0;
  if (!s || !*s)
    return false;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return false;
    v = v * 10 + (unsigned)(*s - '0');
    if (v > 127)
      return false;
  }
  *pt = (uint8_t)v;
  return true;
}

void rtc_sdp_codec_order_init(const rtc_sdp_media* media,
                              rtc_sdp_codec_order* order) {
  for (int pt = 0; pt < 128; pt++)
    order->bucket_of_pt[pt] = (uint16_t)(1 + 128 + pt);
  uint16_t next = 1;
  for (size_t i = 0; i < media->num_fmts; i++) {
    uint8_t pt;
    if (rtc_sdp_parse_pt(media->fmts[i], &pt) && order->bucket_of_pt[pt] > 128)
      order->bucket_of_pt[pt] = next++;
  }
}

size_t rtc_sdp_codec_bucket(const rtc_sdp_codec_order* order, int pt) {
  if (pt == RTC_SDP_PT_ANY)
    return 0;
  if (pt < 0 || pt > 127)
    return RTC_SDP_CODEC_BUCKETS;
  return order->bucket_of_pt[pt];
}

/* ---------------------------------------------------------------------- */
/* Lifetime                                                               */

rtc_sdp_session* rtc_sdp_session_new(size_t chunk_size) {
  rtc_arena arena;
  rtc_arena_init(&arena, chunk_size);
  rtc_sdp_session* s = rtc_arena_alloc(&arena, sizeof(*s));
  if (!s) {
    rtc_arena_reset(&arena);
    return NULL;
  }
  /* From here on the arena lives in the session it holds. */
  s->arena = arena;
  return s;
}

void rtc_sdp_session_destroy(rtc_sdp_session* session) {
  if (!session)
    return;
  /* The session is inside its own arena: copy the arena out first. */
  rtc_arena arena = session->arena;
  rtc_arena_reset(&arena);
}

char* rtc_sdp_strdup(rtc_sdp_session* session, const char* str) {
  return rtc_arena_strdup(&session->arena, str);
}

rtc_error rtc_sdp_set_string(rtc_sdp_session* session,
                             const char** field,
                             const char* value) {
  if (!value) {
    *field = NULL;
    return RTC_OK;
  }
  char* copy = rtc_arena_strdup(&session->arena, value);
  if (!copy)
    return RTC_ERR_NO_MEMORY;
  *field = copy;
  return RTC_OK;
}

void* rtc_sdp_push(rtc_sdp_session* session,
                   void* items,
                   size_t* count,
                   size_t* capacity,
                   size_t size) {
  /* An array the caller set up by hand has no room: growing copies it. */
  if (*count > *capacity)
    *capacity = *count;
  return rtc_arena_push(&session->arena, (void**)items, count, capacity, size);
}

static size_t format_u64(uint64_t v, char out[21]) {
  char tmp[21];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  out[n] = '\0';
  return n;
}

rtc_error rtc_sdp_session_set_id(rtc_sdp_session* session, uint64_t id) {
  char text[21];
  format_u64(id, text);
  rtc_error err =
      rtc_sdp_set_string(session, &session->origin.session_id, text);
  if (err != RTC_OK)
    return err;
  session->origin.session_id_fits = true;
  session->origin.session_id_value = id;
  return RTC_OK;
}

/* RFC 9429 §5.2.1: "o=- <sess-id> <sess-version> IN IP4 127.0.0.1 ...
 * s=- ... t=0 0" (the session id is set by the caller). */
rtc_error rtc_sdp_session_create(rtc_sdp_session** out) {
  *out = NULL;
  rtc_sdp_session* s = rtc_sdp_session_new(0);
  if (!s)
    return RTC_ERR_NO_MEMORY;
  rtc_sdp_time* t = RTC_SDP_PUSH(s, s, times);
  if (!t || rtc_sdp_set_string(s, &s->origin.username, "-") != RTC_OK ||
      rtc_sdp_session_set_id(s, 0) != RTC_OK ||
      rtc_sdp_set_string(s, &s->origin.nettype, "IN") != RTC_OK ||
      rtc_sdp_set_string(s, &s->origin.addrtype, "IP4") != RTC_OK ||
      rtc_sdp_set_string(s, &s->origin.address, "127.0.0.1") != RTC_OK ||
      rtc_sdp_set_string(s, &s->name, "-") != RTC_OK) {
    rtc_sdp_session_destroy(s);
    return RTC_ERR_NO_MEMORY;
  }
  *out = s;
  return RTC_OK;
}

/* ---------------------------------------------------------------------- */
/* Clone                                                                  */

typedef struct cloner {
  rtc_arena* arena;
  bool failed;
} cloner;

static const char* clone_str(cloner* c, const char* s) {
  if (!s)
    return NULL;
  char* copy = rtc_arena_strdup(c->arena, s);
  if (!copy)
    c->failed = true;
  return copy;
}

/* A copy of count elements (capacity = count); NULL when count is 0. */
static void* clone_array(cloner* c,
                         const void* items,
                         size_t count,
                         size_t size) {
  if (count == 0)
    return NULL;
  void* copy = rtc_arena_alloc_array(c->arena, count, size);
  if (!copy) {
    c->failed = true;
    return NULL;
  }
  memcpy(copy, items, count * size);
  return copy;
}

#define CLONE_ARRAY(c, dst, src, list)                             \
  do {                                                             \
    (dst)->list = clone_array((c), (src)->list, (src)->num_##list, \
                              sizeof(*(src)->list));               \
    (dst)->num_##list = (dst)->list ? (src)->num_##list : 0;       \
    (dst)->cap_##list = (dst)->num_##list;                         \
  } while (0)

static void clone_strings(cloner* c,
                          const char*** dst,
                          size_t* num,
                          size_t* cap,
                          const char* const* src,
                          size_t n) {
  *dst = clone_array(c, src, n, sizeof(*src));
  *num = *cap = *dst ? n : 0;
  for (size_t i = 0; i < *num; i++)
    (*dst)[i] = clone_str(c, src[i]);
}

#define CLONE_STRINGS(c, dst, src, list)                                   \
  clone_strings((c), &(dst)->list, &(dst)->num_##list, &(dst)->cap_##list, \
                (src)->list, (src)->num_##list)

static void clone_connection(cloner* c, rtc_sdp_connection* conn) {
  conn->nettype = clone_str(c, conn->nettype);
  conn->addrtype = clone_str(c, conn->addrtype);
  conn->address = clone_str(c, conn->address);
}

static void clone_attributes(cloner* c, rtc_sdp_attribute* attrs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    attrs[i].name = clone_str(c, attrs[i].name);
    attrs[i].value = clone_str(c, attrs[i].value);
  }
}

static void clone_extmaps(cloner* c, rtc_sdp_extmap* extmaps, size_t n) {
  for (size_t i = 0; i < n; i++) {
    extmaps[i].uri = clone_str(c, extmaps[i].uri);
    extmaps[i].attributes = clone_str(c, extmaps[i].attributes);
  }
}

static void clone_bandwidths(cloner* c, rtc_sdp_bandwidth* bws, size_t n) {
  for (size_t i = 0; i < n; i++)
    bws[i].type = clone_str(c, bws[i].type);
}

static rtc_sdp_media* clone_media(cloner* c, const rtc_sdp_media* src) {
  rtc_sdp_media* m = rtc_arena_alloc(c->arena, sizeof(*m));
  if (!m) {
    c->failed = true;
    return NULL;
  }
  *m = *src; /* scalars; every pointer is replaced below */
  m->type = clone_str(c, src->type);
  m->proto = clone_str(c, src->proto);
  CLONE_STRINGS(c, m, src, fmts);
  m->information = clone_str(c, src->information);
  clone_connection(c, &m->connection);
  CLONE_ARRAY(c, m, src, bandwidths);
  clone_bandwidths(c, m->bandwidths, m->num_bandwidths);
  m->mid = clone_str(c, src->mid);
  m->ice_ufrag = clone_str(c, src->ice_ufrag);
  m->ice_pwd = clone_str(c, src->ice_pwd);
  m->ice_options = clone_str(c, src->ice_options);
  CLONE_ARRAY(c, m, src, fingerprints);
  m->tls_id = clone_str(c, src->tls_id);
  CLONE_ARRAY(c, m, src, candidates);
  clone_connection(c, &m->rtcp.connection);
  CLONE_ARRAY(c, m, src, msids);
  for (size_t i = 0; i < m->num_msids; i++) {
    m->msids[i].stream_id = clone_str(c, m->msids[i].stream_id);
    m->msids[i].track_id = clone_str(c, m->msids[i].track_id);
  }
  CLONE_ARRAY(c, m, src, extmaps);
  clone_extmaps(c, m->extmaps, m->num_extmaps);
  CLONE_ARRAY(c, m, src, rtpmaps);
  for (size_t i = 0; i < m->num_rtpmaps; i++)
    m->rtpmaps[i].encoding = clone_str(c, m->rtpmaps[i].encoding);
  CLONE_ARRAY(c, m, src, fmtps);
  for (size_t i = 0; i < m->num_fmtps; i++)
    m->fmtps[i].params = clone_str(c, m->fmtps[i].params);
  CLONE_ARRAY(c, m, src, rtcp_fbs);
  for (size_t i = 0; i < m->num_rtcp_fbs; i++)
    m->rtcp_fbs[i].value = clone_str(c, m->rtcp_fbs[i].value);
  CLONE_ARRAY(c, m, src, ssrcs);
  for (size_t i = 0; i < m->num_ssrcs; i++) {
    m->ssrcs[i].attribute = clone_str(c, m->ssrcs[i].attribute);
    m->ssrcs[i].value = clone_str(c, m->ssrcs[i].value);
  }
  CLONE_ARRAY(c, m, src, ssrc_groups);
  for (size_t i = 0; i < m->num_ssrc_groups; i++) {
    rtc_sdp_ssrc_group* g = &m->ssrc_groups[i];
    g->semantics = clone_str(c, g->semantics);
    const uint32_t* ssrcs = g->ssrcs;
    g->ssrcs = clone_array(c, ssrcs, g->num_ssrcs, sizeof(*ssrcs));
    g->num_ssrcs = g->cap_ssrcs = g->ssrcs ? g->num_ssrcs : 0;
  }
  CLONE_ARRAY(c, m, src, rids);
  for (size_t i = 0; i < m->num_rids; i++) {
    m->rids[i].id = clone_str(c, m->rids[i].id);
    m->rids[i].params = clone_str(c, m->rids[i].params);
  }
  m->simulcast.send = clone_str(c, src->simulcast.send);
  m->simulcast.recv = clone_str(c, src->simulcast.recv);
  m->sctpmap.app = clone_str(c, src->sctpmap.app);
  CLONE_STRINGS(c, m, src, cryptos);
  CLONE_ARRAY(c, m, src, attributes);
  clone_attributes(c, m->attributes, m->num_attributes);
  return m;
}

rtc_error rtc_sdp_session_clone(const rtc_sdp_session* src,
                                rtc_sdp_session** out) {
  *out = NULL;
  rtc_sdp_session* s = rtc_sdp_session_new(src->arena.chunk_size);
  if (!s)
    return RTC_ERR_NO_MEMORY;
  rtc_arena arena = s->arena;
  *s = *src; /* scalars; every pointer is replaced below */
  s->arena = arena;
  cloner c = {&s->arena, false};

  rtc_sdp_origin* o = &s->origin;
  o->username = clone_str(&c, src->origin.username);
  o->session_id = clone_str(&c, src->origin.session_id);
  o->nettype = clone_str(&c, src->origin.nettype);
  o->addrtype = clone_str(&c, src->origin.addrtype);
  o->address = clone_str(&c, src->origin.address);
  s->name = clone_str(&c, src->name);
  s->information = clone_str(&c, src->information);
  s->uri = clone_str(&c, src->uri);
  CLONE_STRINGS(&c, s, src, emails);
  CLONE_STRINGS(&c, s, src, phones);
  clone_connection(&c, &s->connection);
  CLONE_ARRAY(&c, s, src, bandwidths);
  clone_bandwidths(&c, s->bandwidths, s->num_bandwidths);
  CLONE_ARRAY(&c, s, src, times);
  for (size_t i = 0; i < s->num_times; i++) {
    rtc_sdp_time* t = &s->times[i];
    const char** repeats = t->repeats;
    clone_strings(&c, &t->repeats, &t->num_repeats, &t->cap_repeats, repeats,
                  t->num_repeats);
    t->zone = clone_str(&c, t->zone);
  }
  CLONE_ARRAY(&c, s, src, groups);
  for (size_t i = 0; i < s->num_groups; i++) {
    rtc_sdp_group* g = &s->groups[i];
    g->semantics = clone_str(&c, g->semantics);
    const char** mids = g->mids;
    clone_strings(&c, &g->mids, &g->num_mids, &g->cap_mids, mids, g->num_mids);
  }
  CLONE_ARRAY(&c, s, src, msid_semantics);
  for (size_t i = 0; i < s->num_msid_semantics; i++) {
    rtc_sdp_msid_semantic* ms = &s->msid_semantics[i];
    ms->semantic = clone_str(&c, ms->semantic);
    const char** ids = ms->ids;
    clone_strings(&c, &ms->ids, &ms->num_ids, &ms->cap_ids, ids, ms->num_ids);
  }
  s->ice_ufrag = clone_str(&c, src->ice_ufrag);
  s->ice_pwd = clone_str(&c, src->ice_pwd);
  s->ice_options = clone_str(&c, src->ice_options);
  CLONE_ARRAY(&c, s, src, fingerprints);
  s->tls_id = clone_str(&c, src->tls_id);
  CLONE_ARRAY(&c, s, src, extmaps);
  clone_extmaps(&c, s->extmaps, s->num_extmaps);
  CLONE_ARRAY(&c, s, src, attributes);
  clone_attributes(&c, s->attributes, s->num_attributes);
  CLONE_ARRAY(&c, s, src, media);
  for (size_t i = 0; i < s->num_media; i++)
    s->media[i] = clone_media(&c, src->media[i]);

  if (c.failed) {
    rtc_sdp_session_destroy(s);
    return RTC_ERR_NO_MEMORY;
  }
  *out = s;
  return RTC_OK;
}

/* ---------------------------------------------------------------------- */
/* Equality                                                               */

static bool str_eq(const char* a, const char* b) {
  if (!a || !b)
    return a == b;
  return strcmp(a, b) == 0;
}

static bool strings_eq(const char* const* a,
                       size_t na,
                       const char* const* b,
                       size_t nb) {
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++) {
    if (!str_eq(a[i], b[i]))
      return false;
  }
  return true;
}

#define STRINGS_EQ(a, b, list) \
  strings_eq((a)->list, (a)->num_##list, (b)->list, (b)->num_##list)

static bool connection_eq(const rtc_sdp_connection* a,
                          const rtc_sdp_connection* b) {
  return str_eq(a->nettype, b->nettype) && str_eq(a->addrtype, b->addrtype) &&
         str_eq(a->address, b->address);
}

static bool bandwidths_eq(const rtc_sdp_bandwidth* a,
                          size_t na,
                          const rtc_sdp_bandwidth* b,
                          size_t nb) {
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++) {
    if (!str_eq(a[i].type, b[i].type) || a[i].value != b[i].value)
      return false;
  }
  return true;
}

static bool attributes_eq(const rtc_sdp_attribute* a,
                          size_t na,
                          const rtc_sdp_attribute* b,
                          size_t nb) {
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++) {
    if (!str_eq(a[i].name, b[i].name) || !str_eq(a[i].value, b[i].value) ||
        a[i].after != b[i].after)
      return false;
  }
  return true;
}

static bool extmaps_eq(const rtc_sdp_extmap* a,
                       size_t na,
                       const rtc_sdp_extmap* b,
                       size_t nb) {
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++) {
    if (a[i].id != b[i].id || a[i].direction != b[i].direction ||
        !str_eq(a[i].uri, b[i].uri) ||
        !str_eq(a[i].attributes, b[i].attributes))
      return false;
  }
  return true;
}

static bool fingerprints_eq(const rtc_fingerprint* a,
                            size_t na,
                            const rtc_fingerprint* b,
                            size_t nb) {
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++) {
    if (!rtc_fingerprint_equal(&a[i], &b[i]))
      return false;
  }
  return true;
}

static bool fixed_str_eq(const char* a, const char* b, size_t size) {
  return strncmp(a, b, size) == 0;
}

static bool candidate_eq(const rtc_candidate* a, const rtc_candidate* b) {
  return fixed_str_eq(a->foundation, b->foundation, sizeof(a->foundation)) &&
         a->component == b->component && a->protocol == b->protocol &&
         a->priority == b->priority &&
         rtc_socket_address_equal(&a->address, &b->address) &&
         fixed_str_eq(a->hostname, b->hostname, sizeof(a->hostname)) &&
         a->type == b->type && a->has_related == b->has_related &&
         rtc_socket_address_equal(&a->related_address, &b->related_address) &&
         fixed_str_eq(a->related_hostname, b->related_hostname,
                      sizeof(a->related_hostname)) &&
         a->tcp_type == b->tcp_type && a->generation == b->generation &&
         fixed_str_eq(a->ufrag, b->ufrag, sizeof(a->ufrag)) &&
         a->network_id == b->network_id && a->network_cost == b->network_cost &&
         fixed_str_eq(a->extensions, b->extensions, sizeof(a->extensions));
}

static bool media_eq(const rtc_sdp_media* a, const rtc_sdp_media* b) {
  if (!str_eq(a->type, b->type) || a->port != b->port ||
      a->num_ports != b->num_ports || !str_eq(a->proto, b->proto) ||
      !STRINGS_EQ(a, b, fmts) || !str_eq(a->information, b->information) ||
      !connection_eq(&a->connection, &b->connection) ||
      !bandwidths_eq(a->bandwidths, a->num_bandwidths, b->bandwidths,
                     b->num_bandwidths) ||
      !str_eq(a->mid, b->mid) || a->bundle_only != b->bundle_only ||
      !str_eq(a->ice_ufrag, b->ice_ufrag) || !str_eq(a->ice_pwd, b->ice_pwd) ||
      !str_eq(a->ice_options, b->ice_options) ||
      !fingerprints_eq(a->fingerprints, a->num_fingerprints, b->fingerprints,
                       b->num_fingerprints) ||
      a->setup != b->setup || !str_eq(a->tls_id, b->tls_id) ||
      a->num_candidates != b->num_candidates ||
      a->end_of_candidates != b->end_of_candidates ||
      a->has_rtcp != b->has_rtcp || a->rtcp_mux != b->rtcp_mux ||
      a->rtcp_mux_only != b->rtcp_mux_only || a->rtcp_rsize != b->rtcp_rsize ||
      a->direction != b->direction || a->num_msids != b->num_msids ||
      a->extmap_allow_mixed != b->extmap_allow_mixed ||
      !extmaps_eq(a->extmaps, a->num_extmaps, b->extmaps, b->num_extmaps) ||
      a->num_rtpmaps != b->num_rtpmaps || a->num_fmtps != b->num_fmtps ||
      a->num_rtcp_fbs != b->num_rtcp_fbs || a->num_ssrcs != b->num_ssrcs ||
      a->num_ssrc_groups != b->num_ssrc_groups || a->num_rids != b->num_rids ||
      !str_eq(a->simulcast.send, b->simulcast.send) ||
      !str_eq(a->simulcast.recv, b->simulcast.recv) ||
      a->has_sctp_port != b->has_sctp_port ||
      a->has_sctpmap != b->has_sctpmap ||
      a->has_max_message_size != b->has_max_message_size ||
      !STRINGS_EQ(a, b, cryptos) ||
      !attributes_eq(a->attributes, a->num_attributes, b->attributes,
                     b->num_attributes))
    return false;
  for (size_t i = 0; i < a->num_candidates; i++) {
    if (!candidate_eq(&a->candidates[i], &b->candidates[i]))
      return false;
  }
  if (a->has_rtcp && (a->rtcp.port != b->rtcp.port ||
                      !connection_eq(&a->rtcp.connection, &b->rtcp.connection)))
    return false;
  for (size_t i = 0; i < a->num_msids; i++) {
    if (!str_eq(a->msids[i].stream_id, b->msids[i].stream_id) ||
        !str_eq(a->msids[i].track_id, b->msids[i].track_id))
      return false;
  }
  for (size_t i = 0; i < a->num_rtpmaps; i++) {
    const rtc_sdp_rtpmap* x = &a->rtpmaps[i];
    const rtc_sdp_rtpmap* y = &b->rtpmaps[i];
    if (x->pt != y->pt || !str_eq(x->encoding, y->encoding) ||
        x->clock_rate != y->clock_rate || x->channels != y->channels)
      return false;
  }
  for (size_t i = 0; i < a->num_fmtps; i++) {
    if (a->fmtps[i].pt != b->fmtps[i].pt ||
        !str_eq(a->fmtps[i].params, b->fmtps[i].params))
      return false;
  }
  for (size_t i = 0; i < a->num_rtcp_fbs; i++) {
    if (a->rtcp_fbs[i].pt != b->rtcp_fbs[i].pt ||
        !str_eq(a->rtcp_fbs[i].value, b->rtcp_fbs[i].value))
      return false;
  }
  for (size_t i = 0; i < a->num_ssrcs; i++) {
    if (a->ssrcs[i].ssrc != b->ssrcs[i].ssrc ||
        !str_eq(a->ssrcs[i].attribute, b->ssrcs[i].attribute) ||
        !str_eq(a->ssrcs[i].value, b->ssrcs[i].value))
      return false;
  }
  for (size_t i = 0; i < a->num_ssrc_groups; i++) {
    const rtc_sdp_ssrc_group* x = &a->ssrc_groups[i];
    const rtc_sdp_ssrc_group* y = &b->ssrc_groups[i];
    if (!str_eq(x->semantics, y->semantics) || x->num_ssrcs != y->num_ssrcs ||
        (x->num_ssrcs &&
         memcmp(x->ssrcs, y->ssrcs, x->num_ssrcs * sizeof(*x->ssrcs)) != 0))
      return false;
  }
  for (size_t i = 0; i < a->num_rids; i++) {
    if (!str_eq(a->rids[i].id, b->rids[i].id) ||
        a->rids[i].send != b->rids[i].send ||
        !str_eq(a->rids[i].params, b->rids[i].params))
      return false;
  }
  if (a->has_sctp_port && a->sctp_port != b->sctp_port)
    return false;
  if (a->has_sctpmap && (a->sctpmap.port != b->sctpmap.port ||
                         !str_eq(a->sctpmap.app, b->sctpmap.app) ||
                         a->sctpmap.streams != b->sctpmap.streams))
    return false;
  if (a->has_max_message_size && a->max_message_size != b->max_message_size)
    return false;
  return true;
}

bool rtc_sdp_session_equal(const rtc_sdp_session* a, const rtc_sdp_session* b) {
  const rtc_sdp_origin* oa = &a->origin;
  const rtc_sdp_origin* ob = &b->origin;
  if (!str_eq(oa->username, ob->username) ||
      !str_eq(oa->session_id, ob->session_id) ||
      oa->session_id_fits != ob->session_id_fits ||
      oa->session_id_value != ob->session_id_value ||
      oa->session_version != ob->session_version ||
      !str_eq(oa->nettype, ob->nettype) ||
      !str_eq(oa->addrtype, ob->addrtype) || !str_eq(oa->address, ob->address))
    return false;
  if (!str_eq(a->name, b->name) || !str_eq(a->information, b->information) ||
      !str_eq(a->uri, b->uri) || !STRINGS_EQ(a, b, emails) ||
      !STRINGS_EQ(a, b, phones) ||
      !connection_eq(&a->connection, &b->connection) ||
      !bandwidths_eq(a->bandwidths, a->num_bandwidths, b->bandwidths,
                     b->num_bandwidths) ||
      a->num_times != b->num_times || a->num_groups != b->num_groups ||
      a->num_msid_semantics != b->num_msid_semantics ||
      a->ice_lite != b->ice_lite || !str_eq(a->ice_ufrag, b->ice_ufrag) ||
      !str_eq(a->ice_pwd, b->ice_pwd) ||
      !str_eq(a->ice_options, b->ice_options) ||
      !fingerprints_eq(a->fingerprints, a->num_fingerprints, b->fingerprints,
                       b->num_fingerprints) ||
      a->setup != b->setup || !str_eq(a->tls_id, b->tls_id) ||
      a->extmap_allow_mixed != b->extmap_allow_mixed ||
      !extmaps_eq(a->extmaps, a->num_extmaps, b->extmaps, b->num_extmaps) ||
      a->direction != b->direction ||
      a->end_of_candidates != b->end_of_candidates ||
      !attributes_eq(a->attributes, a->num_attributes, b->attributes,
                     b->num_attributes) ||
      a->num_media != b->num_media)
    return false;
  for (size_t i = 0; i < a->num_times; i++) {
    const rtc_sdp_time* x = &a->times[i];
    const rtc_sdp_time* y = &b->times[i];
    if (x->start != y->start || x->stop != y->stop ||
        !STRINGS_EQ(x, y, repeats) || !str_eq(x->zone, y->zone))
      return false;
  }
  for (size_t i = 0; i < a->num_groups; i++) {
    if (!str_eq(a->groups[i].semantics, b->groups[i].semantics) ||
        !STRINGS_EQ(&a->groups[i], &b->groups[i], mids))
      return false;
  }
  for (size_t i = 0; i < a->num_msid_semantics; i++) {
    const rtc_sdp_msid_semantic* x = &a->msid_semantics[i];
    const rtc_sdp_msid_semantic* y = &b->msid_semantics[i];
    if (!str_eq(x->semantic, y->semantic) || !STRINGS_EQ(x, y, ids) ||
        x->space_before != y->space_before)
      return false;
  }
  for (size_t i = 0; i < a->num_media; i++) {
    if (!media_eq(a->media[i], b->media[i]))
      return false;
  }
  return true;
}

/* ---------------------------------------------------------------------- */
/* Builders                                                               */

rtc_sdp_media* rtc_sdp_session_add_media(rtc_sdp_session* session,
                                         const char* type,
                                         uint16_t port,
                                         const char* proto) {
  rtc_sdp_media* m = rtc_arena_alloc(&session->arena, sizeof(*m));
  if (!m || rtc_sdp_set_string(session, &m->type, type) != RTC_OK ||
      rtc_sdp_set_string(session, &m->proto, proto) != RTC_OK)
    return NULL;
  m->port = port;
  rtc_sdp_media** slot = RTC_SDP_PUSH(session, session, media);
  if (!slot)
    return NULL;
  *slot = m;
  return m;
}

rtc_error rtc_sdp_media_add_fmt(rtc_sdp_session* session,
                                rtc_sdp_media* media,
                                const char* fmt) {
  char* copy = rtc_sdp_strdup(session, fmt);
  if (!copy)
    return RTC_ERR_NO_MEMORY;
  const char** slot = RTC_SDP_PUSH(session, media, fmts);
  if (!slot)
    return RTC_ERR_NO_MEMORY;
  *slot = copy;
  return RTC_OK;
}

rtc_error rtc_sdp_media_add_codec(rtc_sdp_session* session,
                                  rtc_sdp_media* media,
                                  uint8_t pt,
                                  const char* encoding,
                                  uint32_t clock_rate,
                                  uint32_t channels) {
  char text[21];
  format_u64(pt, text);
  char* encoding_copy = rtc_sdp_strdup(session, encoding);
  if (!encoding_copy)
    return RTC_ERR_NO_MEMORY;
  /* The rtpmap first: if adding the fmt fails, pop it again. */
  rtc_sdp_rtpmap* map = RTC_SDP_PUSH(session, media, rtpmaps);
  if (!map)
    return RTC_ERR_NO_MEMORY;
  map->pt = pt;
  map->encoding = encoding_copy;
  map->clock_rate = clock_rate;
  map->channels = channels;
  rtc_error err = rtc_sdp_media_add_fmt(session, media, text);
  if (err != RTC_OK)
    media->num_rtpmaps--;
  return err;
}

rtc_error rtc_sdp_media_add_fmtp(rtc_sdp_session* session,
                                 rtc_sdp_media* media,
                                 uint8_t pt,
                                 const char* params) {
  char* copy = rtc_sdp_strdup(session, params ? params : "");
  if (!copy)
    return RTC_ERR_NO_MEMORY;
  rtc_sdp_fmtp* f = RTC_SDP_PUSH(session, media, fmtps);
  if (!f)
    return RTC_ERR_NO_MEMORY;
  f->pt = pt;
  f->params = copy;
  return RTC_OK;
}

rtc_error rtc_sdp_media_add_rtcp_fb(rtc_sdp_session* session,
                                    rtc_sdp_media* media,
                                    int pt,
                                    const char* value) {
  RTC_DCHECK(pt == RTC_SDP_PT_ANY || (pt >= 0 && pt <= 127));
  char* copy = rtc_sdp_strdup(session, value);
  if (!copy)
    return RTC_ERR_NO_MEMORY;
  rtc_sdp_rtcp_fb* fb = RTC_SDP_PUSH(session, media, rtcp_fbs);
  if (!fb)
    return RTC_ERR_NO_MEMORY;
  fb->pt = (int16_t)pt;
  fb->value = copy;
  return RTC_OK;
}

rtc_error rtc_sdp_media_add_ssrc(rtc_sdp_session* session,
                                 rtc_sdp_media* media,
                                 uint32_t ssrc,
                                 const char* attribute,
                                 const char* value) {
  char* attribute_copy = rtc_sdp_strdup(session, attribute);
  char* value_copy = rtc_sdp_strdup(session, value);
  if (!attribute_copy || (value && !value_copy))
    return RTC_ERR_NO_MEMORY;
  rtc_sdp_ssrc* e = RTC_SDP_PUSH(session, media, ssrcs);
  if (!e)
    return RTC_ERR_NO_MEMORY;
  e->ssrc = ssrc;
  e->attribute = attribute_copy;
  e->value = value_copy;
  return RTC_OK;
}

rtc_error rtc_sdp_media_add_msid(rtc_sdp_session* session,
                                 rtc_sdp_media* media,
                                 const char* stream_id,
                                 const char* track_id) {
  char* stream_copy = rtc_sdp_strdup(session, stream_id);
  char* track_copy = rtc_sdp_strdup(session, track_id);
  if (!stream_copy || (track_id && !track_copy))
    return RTC_ERR_NO_MEMORY;
  rtc_sdp_msid* e = RTC_SDP_PUSH(session, media, msids);
  if (!e)
    return RTC_ERR_NO_MEMORY;
  e->stream_id = stream_copy;
  e->track_id = track_copy;
  return RTC_OK;
}

rtc_error rtc_sdp_media_add_candidate(rtc_sdp_session* session,
                                      rtc_sdp_media* media,
                                      const rtc_candidate* candidate) {
  rtc_candidate* e = RTC_SDP_PUSH(session, media, candidates);
  if (!e)
    return RTC_ERR_NO_MEMORY;
  *e = *candidate;
  return RTC_OK;
}

rtc_error rtc_sdp_add_fingerprint(rtc_sdp_session* session,
                                  rtc_sdp_media* media,
                                  const rtc_fingerprint* fingerprint) {
  rtc_fingerprint* e = media ? RTC_SDP_PUSH(session, media, fingerprints)
                             : RTC_SDP_PUSH(session, session, fingerprints);
  if (!e)
    return RTC_ERR_NO_MEMORY;
  *e = *fingerprint;
  return RTC_OK;
}

rtc_error rtc_sdp_add_extmap(rtc_sdp_session* session,
                             rtc_sdp_media* media,
                             uint16_t id,
                             rtc_sdp_direction direction,
                             const char* uri,
                             const char* attributes) {
  char* uri_copy = rtc_sdp_strdup(session, uri);
  char* attributes_copy = rtc_sdp_strdup(session, attributes);
  if (!uri_copy || (attributes && !attributes_copy))
    return RTC_ERR_NO_MEMORY;
  rtc_sdp_extmap* e = media ? RTC_SDP_PUSH(session, media, extmaps)
                            : RTC_SDP_PUSH(session, session, extmaps);
  if (!e)
    return RTC_ERR_NO_MEMORY;
  e->id = id;
  e->direction = direction;
  e->uri = uri_copy;
  e->attributes = attributes_copy;
  return RTC_OK;
}

rtc_error rtc_sdp_add_attribute(rtc_sdp_session* session,
                                rtc_sdp_media* media,
                                const char* name,
                                const char* value) {
  char* name_copy = rtc_sdp_strdup(session, name);
  char* value_copy = rtc_sdp_strdup(session, value);
  if (!name_copy || (value && !value_copy))
    return RTC_ERR_NO_MEMORY;
  rtc_sdp_attribute* e = media ? RTC_SDP_PUSH(session, media, attributes)
                               : RTC_SDP_PUSH(session, session, attributes);
  if (!e)
    return RTC_ERR_NO_MEMORY;
  e->name = name_copy;
  e->value = value_copy;
  e->after = RTC_SDP_SLOT_END;
  return RTC_OK;
}

rtc_error rtc_sdp_session_add_group(rtc_sdp_session* session,
                                    const char* semantics,
                                    const char* const* mids,
                                    size_t num_mids) {
  rtc_sdp_group group = {0};
  group.semantics = rtc_sdp_strdup(session, semantics);
  if (!group.semantics)
    return RTC_ERR_NO_MEMORY;
  for (size_t i = 0; i < num_mids; i++) {
    char* mid = rtc_sdp_strdup(session, mids[i]);
    const char** slot = mid ? RTC_SDP_PUSH(session, &group, mids) : NULL;
    if (!slot)
      return RTC_ERR_NO_MEMORY;
    *slot = mid;
  }
  rtc_sdp_group* e = RTC_SDP_PUSH(session, session, groups);
  if (!e)
    return RTC_ERR_NO_MEMORY;
  *e = group;
  return RTC_OK;
}

/* ---------------------------------------------------------------------- */
/* Lookups                                                                */

const rtc_sdp_rtpmap* rtc_sdp_media_find_rtpmap(const rtc_sdp_media* media,
                                                uint8_t pt) {
  for (size_t i = 0; i < media->num_rtpmaps; i++) {
    if (media->rtpmaps[i].pt == pt)
      return &media->rtpmaps[i];
  }
  return NULL;
}

const rtc_sdp_fmtp* rtc_sdp_media_find_fmtp(const rtc_sdp_media* media,
                                            uint8_t pt) {
  for (size_t i = 0; i < media->num_fmtps; i++) {
    if (media->fmtps[i].pt == pt)
      return &media->fmtps[i];
  }
  return NULL;
}

rtc_sdp_media* rtc_sdp_session_find_media(const rtc_sdp_session* session,
                                          const char* mid) {
  for (size_t i = 0; i < session->num_media; i++) {
    if (str_eq(session->media[i]->mid, mid))
      return session->media[i];
  }
  return NULL;
}

const rtc_sdp_attribute* rtc_sdp_find_attribute(const rtc_sdp_session* session,
                                                const rtc_sdp_media* media,
                                                const char* name) {
  const rtc_sdp_attribute* attrs =
      media ? media->attributes : session->attributes;
  size_t n = media ? media->num_attributes : session->num_attributes;
  for (size_t i = 0; i < n; i++) {
    if (str_eq(attrs[i].name, name))
      return &attrs[i];
  }
  return NULL;
}

static bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

static char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* RFC 4855 §3: fmtp parameters are "<name>=<value>" separated by ";". */
bool rtc_sdp_fmtp_param(const char* params,
                        const char* key,
                        const char** value,
                        size_t* value_len) {
  if (!params || !key)
    return false;
  size_t key_len = strlen(key);
  const char* p = params;
  while (*p) {
    const char* end = strchr(p, ';');
    if (!end)
      end = p + strlen(p);
    const char* eq = memchr(p, '=', (size_t)(end - p));
    if (eq) {
      const char* k = p;
      const char* k_end = eq;
      while (k < k_end && is_blank(*k))
        k++;
      while (k_end > k && is_blank(k_end[-1]))
        k_end--;
      bool match = (size_t)(k_end - k) == key_len;
      for (size_t i = 0; match && i < key_len; i++)
        match = ascii_lower(k[i]) == ascii_lower(key[i]);
      if (match) {
        const char* v = eq + 1;
        const char* v_end = end;
        while (v < v_end && is_blank(*v))
          v++;
        while (v_end > v && is_blank(v_end[-1]))
          v_end--;
        if (value)
          *value = v;
        if (value_len)
          *value_len = (size_t)(v_end - v);
        return true;
      }
    }
    p = *end ? end + 1 : end;
  }
  return false;
}

/* Splits `list` on any of `separators` and looks for `item`. */
static bool list_has(const char* list,
                     const char* separators,
                     const char* item) {
  if (!list || !item)
    return false;
  size_t item_len = strlen(item);
  const char* p = list;
  while (*p) {
    size_t n = strcspn(p, separators);
    if (n == item_len && n > 0 && memcmp(p, item, n) == 0)
      return true;
    p += n;
    if (*p)
      p++;
  }
  return false;
}

bool rtc_sdp_ice_options_has(const char* ice_options, const char* option) {
  return list_has(ice_options, " ,", option);
}

bool rtc_sdp_proto_is_rtp(const char* proto) {
  return list_has(proto, "/", "RTP");
}
