/*
 * The SDP serializer: RFC 8866 §5 line order, libwebrtc's attribute order
 * (rtc_sdp_slot), CRLF line ends.
 *
 * Every string is checked before it is written: a CR or LF in a field
 * (an id that came from JavaScript, say) would otherwise inject lines into
 * the description, and a space in a one-token field would change how it
 * parses back.
 */
#include <string.h>

#include "pc/sdp.h"
#include "pc/sdp_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

typedef struct writer {
  char* buf;
  size_t len;
  size_t cap;
  bool oom;
  const char* invalid; /* the first field that cannot be written */
} writer;

static bool failed(const writer* w) {
  return w->oom || w->invalid;
}

static void set_invalid(writer* w, const char* what) {
  if (!w->invalid)
    w->invalid = what;
}

/* Room for n more bytes and a NUL. */
static bool reserve(writer* w, size_t n) {
  if (failed(w))
    return false;
  if (w->cap - w->len > n)
    return true;
  size_t cap = w->cap ? w->cap : 4096;
  while (cap - w->len <= n) {
    if (cap > SIZE_MAX / 2) {
      w->oom = true;
      return false;
    }
    cap *= 2;
  }
  char* bigger = rtc_realloc(w->buf, cap);
  if (!bigger) {
    w->oom = true;
    return false;
  }
  w->buf = bigger;
  w->cap = cap;
  return true;
}

static void put(writer* w, const char* s, size_t n) {
  if (!reserve(w, n))
    return;
  memcpy(w->buf + w->len, s, n);
  w->len += n;
  w->buf[w->len] = '\0';
}

static void put_str(writer* w, const char* s) {
  put(w, s, strlen(s));
}

static void put_u64(writer* w, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(w, tmp + sizeof(tmp) - n, n);
}

static void eol(writer* w) {
  put(w, "\r\n", 2);
}

static bool is_control(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* Text: anything but control characters (tab is allowed, as when
 * parsing). */
static bool text_ok(const char* s) {
  for (; *s; s++) {
    if (is_control((unsigned char)*s))
      return false;
  }
  return true;
}

static void put_text(writer* w, const char* s, const char* what) {
  if (!s || !text_ok(s)) {
    set_invalid(w, what);
    return;
  }
  put_str(w, s);
}

/* A field the parser reads as one SP-separated word. */
static void put_word(writer* w, const char* s, const char* what) {
  if (!s || !*s || strchr(s, ' ') || !text_ok(s)) {
    set_invalid(w, what);
    return;
  }
  put_str(w, s);
}

/* A field the grammar makes a token (RFC 8866 §9). */
static void put_token(writer* w, const char* s, const char* what) {
  if (!rtc_sdp_is_token(s)) {
    set_invalid(w, what);
    return;
  }
  put_str(w, s);
}

static void put_line(writer* w, const char* s) {
  put_str(w, s);
  eol(w);
}

static void put_connection(writer* w,
                           const rtc_sdp_connection* c,
                           const char* what) {
  put_word(w, c->nettype, what);
  put_str(w, " ");
  put_word(w, c->addrtype, what);
  put_str(w, " ");
  put_word(w, c->address, what);
}

static void write_bandwidths(writer* w,
                             const rtc_sdp_bandwidth* bws,
                             size_t n) {
  for (size_t i = 0; i < n; i++) {
    put_str(w, "b=");
    put_token(w, bws[i].type, "b= bandwidth type");
    put_str(w, ":");
    put_u64(w, bws[i].value);
    eol(w);
  }
}

/* ---------------------------------------------------------------------- */
/* Attributes of both levels                                              */

typedef struct view {
  const char* ice_ufrag;
  const char* ice_pwd;
  const char* ice_options;
  const char* tls_id;
  const rtc_fingerprint* fingerprints;
  size_t num_fingerprints;
  rtc_sdp_setup setup;
  const rtc_sdp_extmap* extmaps;
  size_t num_extmaps;
  bool extmap_allow_mixed;
  rtc_sdp_direction direction;
  bool end_of_candidates;
  const rtc_sdp_attribute* attributes;
  size_t num_attributes;
} view;

#define VIEW_OF(x)                                                          \
  {                                                                         \
    (x)->ice_ufrag, (x)->ice_pwd, (x)->ice_options, (x)->tls_id,            \
        (x)->fingerprints, (x)->num_fingerprints, (x)->setup, (x)->extmaps, \
        (x)->num_extmaps, (x)->extmap_allow_mixed, (x)->direction,          \
        (x)->end_of_candidates, (x)->attributes, (x)->num_attributes,       \
  }

static size_t digest_size(rtc_hash_algorithm algorithm) {
  switch (algorithm) {
    case RTC_HASH_SHA1:
      return 20;
    case RTC_HASH_SHA224:
      return 28;
    case RTC_HASH_SHA256:
      return 32;
    case RTC_HASH_SHA384:
      return 48;
    case RTC_HASH_SHA512:
      return 64;
  }
  return 0;
}

static void write_fingerprint(writer* w, const rtc_fingerprint* fp) {
  size_t size = digest_size(fp->algorithm);
  if (size == 0 || fp->digest_len != size) {
    set_invalid(w, "a=fingerprint");
    return;
  }
  char text[RTC_FINGERPRINT_TEXT_SIZE];
  size_t n = rtc_fingerprint_format(fp, text, sizeof(text));
  RTC_CHECK(n < sizeof(text));
  put_str(w, "a=fingerprint:");
  put(w, text, n);
  eol(w);
}

static bool direction_ok(rtc_sdp_direction d) {
  return d >= RTC_SDP_DIRECTION_NONE && d <= RTC_SDP_DIRECTION_INACTIVE;
}

static void write_extmap(writer* w, const rtc_sdp_extmap* e) {
  if (e->id < 1 || e->id > 255 || !direction_ok(e->direction)) {
    set_invalid(w, "a=extmap");
    return;
  }
  put_str(w, "a=extmap:");
  put_u64(w, e->id);
  if (e->direction != RTC_SDP_DIRECTION_NONE) {
    put_str(w, "/");
    put_str(w, rtc_sdp_direction_name(e->direction));
  }
  put_str(w, " ");
  put_word(w, e->uri, "a=extmap URI");
  if (e->attributes && *e->attributes) {
    put_str(w, " ");
    put_text(w, e->attributes, "a=extmap attributes");
  }
  eol(w);
}

/* Writes the attributes of `slot` that both levels have; false when the
 * slot is not one of them. */
static bool write_common_slot(writer* w, const view* v, rtc_sdp_slot slot) {
  switch (slot) {
    case RTC_SDP_SLOT_ICE_UFRAG:
      if (v->ice_ufrag) {
        put_str(w, "a=ice-ufrag:");
        put_word(w, v->ice_ufrag, "a=ice-ufrag");
        eol(w);
      }
      return true;
    case RTC_SDP_SLOT_ICE_PWD:
      if (v->ice_pwd) {
        put_str(w, "a=ice-pwd:");
        put_word(w, v->ice_pwd, "a=ice-pwd");
        eol(w);
      }
      return true;
    case RTC_SDP_SLOT_ICE_OPTIONS:
      if (v->ice_options) {
        put_str(w, "a=ice-options:");
        put_text(w, v->ice_options, "a=ice-options");
        eol(w);
      }
      return true;
    case RTC_SDP_SLOT_FINGERPRINT:
      for (size_t i = 0; i < v->num_fingerprints; i++)
        write_fingerprint(w, &v->fingerprints[i]);
      return true;
    case RTC_SDP_SLOT_SETUP:
      if (v->setup < RTC_SDP_SETUP_NONE || v->setup > RTC_SDP_SETUP_HOLDCONN) {
        set_invalid(w, "a=setup");
      } else if (v->setup != RTC_SDP_SETUP_NONE) {
        put_str(w, "a=setup:");
        put_line(w, rtc_sdp_setup_name(v->setup));
      }
      return true;
    case RTC_SDP_SLOT_TLS_ID:
      if (v->tls_id) {
        put_str(w, "a=tls-id:");
        put_word(w, v->tls_id, "a=tls-id");
        eol(w);
      }
      return true;
    case RTC_SDP_SLOT_EXTMAP_ALLOW_MIXED:
      if (v->extmap_allow_mixed)
        put_line(w, "a=extmap-allow-mixed");
      return true;
    case RTC_SDP_SLOT_EXTMAP:
      for (size_t i = 0; i < v->num_extmaps; i++)
        write_extmap(w, &v->extmaps[i]);
      return true;
    case RTC_SDP_SLOT_DIRECTION:
      if (!direction_ok(v->direction)) {
        set_invalid(w, "direction");
      } else if (v->direction != RTC_SDP_DIRECTION_NONE) {
        put_str(w, "a=");
        put_line(w, rtc_sdp_direction_name(v->direction));
      }
      return true;
    case RTC_SDP_SLOT_END_OF_CANDIDATES:
      if (v->end_of_candidates)
        put_line(w, "a=end-of-candidates");
      return true;
    default:
      return false;
  }
}

/* The verbatim attributes whose `after` has write rank `rank`. */
static void write_others(writer* w,
                         const view* v,
                         const uint8_t* rank_of,
                         int rank) {
  for (size_t i = 0; i < v->num_attributes; i++) {
    const rtc_sdp_attribute* a = &v->attributes[i];
    unsigned after = (unsigned)a->after;
    int r = rank_of[after < RTC_SDP_SLOT_COUNT ? after : RTC_SDP_SLOT_END];
    if (r != rank)
      continue;
    put_str(w, "a=");
    put_token(w, a->name, "attribute name");
    if (a->value) {
      put_str(w, ":");
      put_text(w, a->value, "attribute value");
    }
    eol(w);
  }
}

/* Each slot of the level's order, each followed by the verbatim attributes
 * placed after it, then those placed at the end. */
static void write_attributes(
    writer* w,
    const view* v,
    bool media_level,
    void (*write_slot)(writer*, const void*, const view*, rtc_sdp_slot),
    const void* section) {
  uint8_t rank_of[RTC_SDP_SLOT_COUNT];
  for (int slot = 0; slot < RTC_SDP_SLOT_COUNT; slot++)
    rank_of[slot] = (uint8_t)rtc_sdp_slot_rank(media_level, (rtc_sdp_slot)slot);
  const rtc_sdp_slot* order;
  size_t n = rtc_sdp_slot_order(media_level, &order);
  for (size_t i = 0; i < n && !failed(w); i++) {
    if (!write_common_slot(w, v, order[i]))
      write_slot(w, section, v, order[i]);
    if (v->num_attributes)
      write_others(w, v, rank_of, (int)i);
  }
  if (v->num_attributes)
    write_others(w, v, rank_of, (int)n);
}

/* ---------------------------------------------------------------------- */
/* Session level                                                          */

static void write_session_slot(writer* w,
                               const void* section,
                               const view* v,
                               rtc_sdp_slot slot) {
  const rtc_sdp_session* s = section;
  switch (slot) {
    case RTC_SDP_SLOT_GROUP:
      /* RFC 5888 §5 */
      for (size_t i = 0; i < s->num_groups; i++) {
        const rtc_sdp_group* g = &s->groups[i];
        put_str(w, "a=group:");
        put_token(w, g->semantics, "a=group semantics");
        for (size_t j = 0; j < g->num_mids; j++) {
          put_str(w, " ");
          put_token(w, g->mids[j], "a=group mid");
        }
        eol(w);
      }
      break;
    case RTC_SDP_SLOT_MSID_SEMANTIC:
      for (size_t i = 0; i < s->num_msid_semantics; i++) {
        const rtc_sdp_msid_semantic* ms = &s->msid_semantics[i];
        put_str(w, ms->space_before ? "a=msid-semantic: " : "a=msid-semantic:");
        put_token(w, ms->semantic, "a=msid-semantic");
        for (size_t j = 0; j < ms->num_ids; j++) {
          put_str(w, " ");
          put_word(w, ms->ids[j], "a=msid-semantic id");
        }
        eol(w);
      }
      break;
    case RTC_SDP_SLOT_ICE_LITE:
      if (s->ice_lite)
        put_line(w, "a=ice-lite");
      break;
    default:
      break;
  }
}

/* ---------------------------------------------------------------------- */
/* Media level                                                            */

static void write_candidate(writer* w, const rtc_candidate* c) {
  put_str(w, "a=");
  size_t n = rtc_candidate_format(c, NULL, 0);
  if (!reserve(w, n))
    return;
  size_t written = rtc_candidate_format(c, w->buf + w->len, n + 1);
  RTC_CHECK(written == n);
  /* The strings of a hand-built candidate could hold a line break. */
  for (size_t i = 0; i < n; i++) {
    if (is_control((unsigned char)w->buf[w->len + i])) {
      set_invalid(w, "a=candidate");
      return;
    }
  }
  w->len += n;
  eol(w);
}

static void write_codecs(writer* w, const rtc_sdp_media* m) {
  if (!m->num_rtpmaps && !m->num_fmtps && !m->num_rtcp_fbs)
    return;
  rtc_sdp_codec_order order;
  rtc_sdp_codec_order_init(m, &order);
  /* Chrome's grouping (BuildRtpMap): per payload type its rtpmap, its
   * rtcp-fb lines, its fmtp. */
  for (size_t b = 0; b <= RTC_SDP_CODEC_BUCKETS && !failed(w); b++) {
    for (size_t i = 0; i < m->num_rtpmaps; i++) {
      const rtc_sdp_rtpmap* r = &m->rtpmaps[i];
      if (rtc_sdp_codec_bucket(&order, r->pt) != b)
        continue;
      if (r->pt > 127)
        set_invalid(w, "a=rtpmap payload type");
      put_str(w, "a=rtpmap:");
      put_u64(w, r->pt);
      put_str(w, " ");
      put_token(w, r->encoding, "a=rtpmap encoding name");
      put_str(w, "/");
      put_u64(w, r->clock_rate);
      if (r->channels) {
        put_str(w, "/");
        put_u64(w, r->channels);
      }
      eol(w);
    }
    for (size_t i = 0; i < m->num_rtcp_fbs; i++) {
      const rtc_sdp_rtcp_fb* fb = &m->rtcp_fbs[i];
      if (rtc_sdp_codec_bucket(&order, fb->pt) != b)
        continue;
      if (fb->pt != RTC_SDP_PT_ANY && (fb->pt < 0 || fb->pt > 127))
        set_invalid(w, "a=rtcp-fb payload type");
      put_str(w, "a=rtcp-fb:");
      if (fb->pt == RTC_SDP_PT_ANY)
        put_str(w, "*");
      else
        put_u64(w, (uint64_t)fb->pt);
      put_str(w, " ");
      if (!fb->value || !*fb->value)
        set_invalid(w, "a=rtcp-fb value");
      put_text(w, fb->value, "a=rtcp-fb value");
      eol(w);
    }
    for (size_t i = 0; i < m->num_fmtps; i++) {
      const rtc_sdp_fmtp* f = &m->fmtps[i];
      if (rtc_sdp_codec_bucket(&order, f->pt) != b)
        continue;
      if (f->pt > 127)
        set_invalid(w, "a=fmtp payload type");
      put_str(w, "a=fmtp:");
      put_u64(w, f->pt);
      if (f->params && *f->params) {
        put_str(w, " ");
        put_text(w, f->params, "a=fmtp parameters");
      }
      eol(w);
    }
  }
}

static bool rid_id_ok(const char* s) {
  if (!s || !*s)
    return false;
  for (; *s; s++) {
    char c = *s;
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
          (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
      return false;
  }
  return true;
}

static void write_media_slot(writer* w,
                             const void* section,
                             const view* v,
                             rtc_sdp_slot slot) {
  const rtc_sdp_media* m = section;
  switch (slot) {
    case RTC_SDP_SLOT_BUNDLE_ONLY:
      if (m->bundle_only)
        put_line(w, "a=bundle-only");
      break;
    case RTC_SDP_SLOT_RTCP:
      if (m->has_rtcp) {
        put_str(w, "a=rtcp:");
        put_u64(w, m->rtcp.port);
        if (m->rtcp.connection.nettype) {
          put_str(w, " ");
          put_connection(w, &m->rtcp.connection, "a=rtcp address");
        }
        eol(w);
      }
      break;
    case RTC_SDP_SLOT_CANDIDATE:
      for (size_t i = 0; i < m->num_candidates; i++)
        write_candidate(w, &m->candidates[i]);
      break;
    case RTC_SDP_SLOT_MID:
      if (m->mid) {
        put_str(w, "a=mid:");
        put_token(w, m->mid, "a=mid");
        eol(w);
      }
      break;
    case RTC_SDP_SLOT_SCTP_PORT:
      if (m->has_sctp_port) {
        if (m->sctp_port == 0) /* RFC 9260 §3.1: never port 0 */
          set_invalid(w, "a=sctp-port");
        put_str(w, "a=sctp-port:");
        put_u64(w, m->sctp_port);
        eol(w);
      }
      break;
    case RTC_SDP_SLOT_SCTPMAP:
      if (m->has_sctpmap) {
        if (m->sctpmap.port == 0)
          set_invalid(w, "a=sctpmap port");
        put_str(w, "a=sctpmap:");
        put_u64(w, m->sctpmap.port);
        put_str(w, " ");
        put_word(w, m->sctpmap.app, "a=sctpmap protocol");
        if (m->sctpmap.streams) {
          put_str(w, " ");
          put_u64(w, m->sctpmap.streams);
        }
        eol(w);
      }
      break;
    case RTC_SDP_SLOT_MAX_MESSAGE_SIZE:
      if (m->has_max_message_size) {
        put_str(w, "a=max-message-size:");
        put_u64(w, m->max_message_size);
        eol(w);
      }
      break;
    case RTC_SDP_SLOT_MSID:
      for (size_t i = 0; i < m->num_msids; i++) {
        put_str(w, "a=msid:");
        put_word(w, m->msids[i].stream_id, "a=msid stream id");
        if (m->msids[i].track_id) {
          put_str(w, " ");
          put_word(w, m->msids[i].track_id, "a=msid track id");
        }
        eol(w);
      }
      break;
    case RTC_SDP_SLOT_RTCP_MUX:
      if (m->rtcp_mux)
        put_line(w, "a=rtcp-mux");
      break;
    case RTC_SDP_SLOT_RTCP_MUX_ONLY:
      if (m->rtcp_mux_only)
        put_line(w, "a=rtcp-mux-only");
      break;
    case RTC_SDP_SLOT_RTCP_RSIZE:
      if (m->rtcp_rsize)
        put_line(w, "a=rtcp-rsize");
      break;
    case RTC_SDP_SLOT_CRYPTO:
      for (size_t i = 0; i < m->num_cryptos; i++) {
        put_str(w, "a=crypto:");
        put_text(w, m->cryptos[i], "a=crypto");
        eol(w);
      }
      break;
    case RTC_SDP_SLOT_CODECS:
      write_codecs(w, m);
      break;
    case RTC_SDP_SLOT_SSRC_GROUP:
      for (size_t i = 0; i < m->num_ssrc_groups; i++) {
        const rtc_sdp_ssrc_group* g = &m->ssrc_groups[i];
        put_str(w, "a=ssrc-group:");
        put_token(w, g->semantics, "a=ssrc-group semantics");
        for (size_t j = 0; j < g->num_ssrcs; j++) {
          put_str(w, " ");
          put_u64(w, g->ssrcs[j]);
        }
        eol(w);
      }
      break;
    case RTC_SDP_SLOT_SSRC:
      for (size_t i = 0; i < m->num_ssrcs; i++) {
        const rtc_sdp_ssrc* e = &m->ssrcs[i];
        put_str(w, "a=ssrc:");
        put_u64(w, e->ssrc);
        put_str(w, " ");
        put_token(w, e->attribute, "a=ssrc attribute");
        if (e->value) {
          put_str(w, ":");
          put_text(w, e->value, "a=ssrc value");
        }
        eol(w);
      }
      break;
    case RTC_SDP_SLOT_RID:
      for (size_t i = 0; i < m->num_rids; i++) {
        const rtc_sdp_rid* r = &m->rids[i];
        if (!rid_id_ok(r->id))
          set_invalid(w, "a=rid id");
        put_str(w, "a=rid:");
        put_word(w, r->id, "a=rid id");
        put_str(w, r->send ? " send" : " recv");
        if (r->params && *r->params) {
          put_str(w, " ");
          put_text(w, r->params, "a=rid parameters");
        }
        eol(w);
      }
      break;
    case RTC_SDP_SLOT_SIMULCAST:
      if (m->simulcast.send || m->simulcast.recv) {
        put_str(w, "a=simulcast:");
        if (m->simulcast.send) {
          put_str(w, "send ");
          put_word(w, m->simulcast.send, "a=simulcast send list");
        }
        if (m->simulcast.recv) {
          put_str(w, m->simulcast.send ? " recv " : "recv ");
          put_word(w, m->simulcast.recv, "a=simulcast recv list");
        }
        eol(w);
      }
      break;
    default:
      break;
  }
}

/* RFC 8866 §5.14 and §9: m= i= c= b= [k=] a= (k= is never written). */
static void write_media(writer* w, const rtc_sdp_media* m) {
  put_str(w, "m=");
  put_token(w, m->type, "m= media type");
  put_str(w, " ");
  put_u64(w, m->port);
  if (m->num_ports) {
    put_str(w, "/");
    put_u64(w, m->num_ports);
  }
  put_str(w, " ");
  put_word(w, m->proto, "m= proto");
  if (m->num_fmts == 0)
    set_invalid(w, "m= fmt");
  bool rtp = m->proto && rtc_sdp_proto_is_rtp(m->proto);
  for (size_t i = 0; i < m->num_fmts; i++) {
    uint8_t pt;
    if (rtp && !rtc_sdp_parse_pt(m->fmts[i], &pt))
      set_invalid(w, "m= payload type");
    put_str(w, " ");
    put_token(w, m->fmts[i], "m= fmt");
  }
  eol(w);
  if (m->information) {
    put_str(w, "i=");
    put_text(w, m->information, "i=");
    eol(w);
  }
  if (m->connection.nettype) {
    put_str(w, "c=");
    put_connection(w, &m->connection, "c=");
    eol(w);
  }
  write_bandwidths(w, m->bandwidths, m->num_bandwidths);
  view v = VIEW_OF(m);
  write_attributes(w, &v, true, write_media_slot, m);
}

/* ---------------------------------------------------------------------- */
/* Session                                                                */

static bool is_digits(const char* s, size_t min, size_t max) {
  size_t n = strlen(s);
  return n >= min && n <= max && strspn(s, "0123456789") == n;
}

/* RFC 8866 §5: v= o= s= [i=] [u=] *e= *p= [c=] *b= 1*(t= *r= [z=]) [k=]
 * *a= *m-section. */
static void write_session(writer* w, const rtc_sdp_session* s) {
  put_line(w, "v=0");

  const rtc_sdp_origin* o = &s->origin;
  put_str(w, "o=");
  put_word(w, o->username, "o= username");
  put_str(w, " ");
  if (o->session_id) {
    if (!is_digits(o->session_id, 1, 20))
      set_invalid(w, "o= session id");
    put_str(w, o->session_id);
  } else {
    put_u64(w, o->session_id_value);
  }
  put_str(w, " ");
  put_u64(w, o->session_version);
  put_str(w, " ");
  put_word(w, o->nettype, "o= nettype");
  put_str(w, " ");
  put_word(w, o->addrtype, "o= addrtype");
  put_str(w, " ");
  put_word(w, o->address, "o= address");
  eol(w);

  put_str(w, "s=");
  put_text(w, s->name, "s=");
  eol(w);
  if (s->information) {
    put_str(w, "i=");
    put_text(w, s->information, "i=");
    eol(w);
  }
  if (s->uri) {
    put_str(w, "u=");
    put_text(w, s->uri, "u=");
    eol(w);
  }
  for (size_t i = 0; i < s->num_emails; i++) {
    put_str(w, "e=");
    put_text(w, s->emails[i], "e=");
    eol(w);
  }
  for (size_t i = 0; i < s->num_phones; i++) {
    put_str(w, "p=");
    put_text(w, s->phones[i], "p=");
    eol(w);
  }
  if (s->connection.nettype) {
    put_str(w, "c=");
    put_connection(w, &s->connection, "c=");
    eol(w);
  }
  write_bandwidths(w, s->bandwidths, s->num_bandwidths);
  if (s->num_times == 0)
    set_invalid(w, "t=");
  for (size_t i = 0; i < s->num_times; i++) {
    const rtc_sdp_time* t = &s->times[i];
    put_str(w, "t=");
    put_u64(w, t->start);
    put_str(w, " ");
    put_u64(w, t->stop);
    eol(w);
    for (size_t j = 0; j < t->num_repeats; j++) {
      put_str(w, "r=");
      put_text(w, t->repeats[j], "r=");
      eol(w);
    }
    if (t->zone) {
      put_str(w, "z=");
      put_text(w, t->zone, "z=");
      eol(w);
    }
  }
  view v = VIEW_OF(s);
  write_attributes(w, &v, false, write_session_slot, s);
  for (size_t i = 0; i < s->num_media && !failed(w); i++) {
    if (!s->media[i]) {
      set_invalid(w, "media section");
      break;
    }
    write_media(w, s->media[i]);
  }
}

rtc_error rtc_sdp_serialize(const rtc_sdp_session* session,
                            char** out,
                            size_t* out_len,
                            rtc_error_info* info) {
  RTC_DCHECK(session != NULL);
  RTC_DCHECK(out != NULL);
  *out = NULL;
  if (out_len)
    *out_len = 0;
  writer w = {0};
  write_session(&w, session);
  if (!failed(&w))
    reserve(&w, 0); /* an empty description still gets its NUL */
  if (w.invalid) {
    rtc_free(w.buf);
    return rtc_error_set(info, RTC_ERR_INVALID_ARGUMENT,
                         "cannot serialize the description: invalid or "
                         "missing %s",
                         w.invalid);
  }
  if (w.oom) {
    rtc_free(w.buf);
    return rtc_error_set(info, RTC_ERR_NO_MEMORY, NULL);
  }
  *out = w.buf;
  if (out_len)
    *out_len = w.len;
  return RTC_OK;
}
