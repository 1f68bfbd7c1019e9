/*
 * The SDP parser (RFC 8866 §5 and §9, the attributes JSEP uses, RFC 9429
 * §5.8).
 *
 * The input is copied once into the session's arena and cut up in place:
 * every string of the parsed model points into that copy, so a parse makes
 * a handful of large allocations rather than one per field.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pc/sdp.h"
#include "pc/sdp_internal.h"
#include "rtc_base/arena.h"
#include "rtc_base/checks.h"

enum {
  LEVEL_SESSION = 1,
  LEVEL_MEDIA = 2,
  LEVEL_BOTH = 3,
};

/* Ranks of the RFC 8866 §5 session-level line types: lines must come in
 * non-decreasing rank order (and strictly increasing for the types that
 * appear at most once). RFC 8866 §9:
 *   session-description = version-field origin-field session-name-field
 *     [information-field] [uri-field] *email-field *phone-field
 *     [connection-field] *bandwidth-field 1*time-description [key-field]
 *     *attribute-field *media-description
 *   time-description = time-field [repeat-description]
 *   repeat-description = 1*repeat-field [zone-field] */
enum {
  RANK_V = 0,
  RANK_O,
  RANK_S,
  RANK_I,
  RANK_U,
  RANK_E,
  RANK_P,
  RANK_C,
  RANK_B,
  RANK_T,
  RANK_R,
  RANK_Z,
  RANK_K,
  RANK_A,
};

/* RFC 8866 §9: media-description = media-field [information-field]
 *   *connection-field *bandwidth-field [key-field] *attribute-field */
enum {
  MRANK_M = 0,
  MRANK_I,
  MRANK_C,
  MRANK_B,
  MRANK_K,
  MRANK_A,
};

typedef struct parser {
  rtc_sdp_session* s;
  rtc_sdp_media* m; /* the current media section, NULL at session level */
  rtc_error_info* info;
  uint32_t line; /* 1-based number of the current line */

  /* Line order. */
  int rank;  /* of the previous line in the current section */
  char prev; /* type letter of the previous line */
  bool have_time;

  /* Per section. */
  rtc_sdp_slot last_slot; /* last known attribute: where unknown ones go */
  /* The first value of each single-valued attribute (a copy), to accept
   * identical repeats and reject conflicting ones. */
  const char* seen[RTC_SDP_SLOT_COUNT];
  uint8_t rtpmap_pts[128 / 8];
  uint8_t extmap_ids[256 / 8];

  size_t num_candidates;
  /* The description's size with CRLF line ends, counting lines as long as
   * the serializer will write them (see account_written). */
  size_t size;
  size_t line_len; /* of the current line, blanks trimmed */
} parser;

static rtc_error fail(parser* p, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* RTC_ERR_SDP_SYNTAX at the current line. */
static rtc_error fail(parser* p, const char* fmt, ...) {
  if (p->info) {
    char message[sizeof(p->info->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    rtc_error_set(p->info, RTC_ERR_SDP_SYNTAX, "%s", message);
    p->info->sdp_line_number = (int32_t)p->line;
  }
  return RTC_ERR_SDP_SYNTAX;
}

/* A line the serializer writes `written` bytes long (a formatted candidate
 * or fingerprint) may be longer than the line read: count the difference,
 * so that whatever parses still fits the limit once re-serialized. */
static rtc_error account_written(parser* p, size_t written) {
  if (written <= p->line_len)
    return RTC_OK;
  p->size += written - p->line_len;
  if (p->size > RTC_SDP_MAX_SIZE)
    return fail(p, "description larger than %u bytes", RTC_SDP_MAX_SIZE);
  return RTC_OK;
}

static rtc_error oom(parser* p) {
  return rtc_error_set(p->info, RTC_ERR_NO_MEMORY, NULL);
}

/* ---------------------------------------------------------------------- */
/* Tokens                                                                 */

/* The next SP-separated field of *cur (runs of spaces are one separator),
 * NUL-terminated in place; NULL at the end. */
static char* next_field(char** cur) {
  char* p = *cur;
  while (*p == ' ')
    p++;
  if (!*p) {
    *cur = p;
    return NULL;
  }
  char* start = p;
  while (*p && *p != ' ')
    p++;
  if (*p)
    *p++ = '\0';
  *cur = p;
  return start;
}

/* What is left of *cur after leading spaces, verbatim; NULL if nothing. */
static char* rest(char** cur) {
  char* p = *cur;
  while (*p == ' ')
    p++;
  *cur = p + strlen(p);
  return *p ? p : NULL;
}

/* Decimal digits only, at most `max`. */
static bool parse_u64(const char* s, uint64_t max, uint64_t* out) {
  uint64_t v = 0;
  if (!s || !*s)
    return false;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return false;
    uint64_t d = (uint64_t)(*s - '0');
    if (v > (max - d) / 10 || d > max)
      return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

static bool parse_u32(const char* s, uint32_t* out) {
  uint64_t v;
  if (!parse_u64(s, UINT32_MAX, &v))
    return false;
  *out = (uint32_t)v;
  return true;
}

static bool parse_port(const char* s, uint16_t* out) {
  uint64_t v;
  if (!parse_u64(s, 65535, &v))
    return false;
  *out = (uint16_t)v;
  return true;
}

static bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

/* Only characters of `extra` besides ALPHA / DIGIT, length in [min, max]. */
static bool is_word(const char* s, const char* extra, size_t min, size_t max) {
  size_t n = 0;
  for (; s[n]; n++) {
    if (!is_alnum(s[n]) && !strchr(extra, s[n]))
      return false;
  }
  return n >= min && n <= max;
}

static bool bit_test_and_set(uint8_t* bits, unsigned i) {
  bool was = bits[i / 8] & (1u << (i % 8));
  bits[i / 8] |= (uint8_t)(1u << (i % 8));
  return was;
}

static bool parse_direction(const char* s, rtc_sdp_direction* out) {
  for (int d = RTC_SDP_DIRECTION_SENDRECV; d <= RTC_SDP_DIRECTION_INACTIVE;
       d++) {
    if (strcmp(s, rtc_sdp_direction_name((rtc_sdp_direction)d)) == 0) {
      *out = (rtc_sdp_direction)d;
      return true;
    }
  }
  return false;
}

/* ---------------------------------------------------------------------- */
/* Attributes                                                             */

/* The fields an attribute allowed at both levels writes to. */
typedef struct level {
  const char** ice_ufrag;
  const char** ice_pwd;
  const char** ice_options;
  const char** tls_id;
  rtc_fingerprint** fingerprints;
  size_t* num_fingerprints;
  size_t* cap_fingerprints;
  rtc_sdp_setup* setup;
  rtc_sdp_extmap** extmaps;
  size_t* num_extmaps;
  size_t* cap_extmaps;
  bool* extmap_allow_mixed;
  rtc_sdp_direction* direction;
  bool* end_of_candidates;
  rtc_sdp_attribute** attributes;
  size_t* num_attributes;
  size_t* cap_attributes;
} level;

#define LEVEL_OF(x)                                                         \
  {                                                                         \
    &(x)->ice_ufrag, &(x)->ice_pwd, &(x)->ice_options, &(x)->tls_id,        \
        &(x)->fingerprints, &(x)->num_fingerprints, &(x)->cap_fingerprints, \
        &(x)->setup, &(x)->extmaps, &(x)->num_extmaps, &(x)->cap_extmaps,   \
        &(x)->extmap_allow_mixed, &(x)->direction, &(x)->end_of_candidates, \
        &(x)->attributes, &(x)->num_attributes, &(x)->cap_attributes,       \
  }

#define PUSH(p, owner, list) RTC_SDP_PUSH((p)->s, owner, list)

typedef rtc_error (*attr_fn)(parser* p, level* lv, const char* name, char* v);

/* RFC 5888 §5: group-attribute = "a=group:" semantics
 *   *(SP identification-tag) */
static rtc_error attr_group(parser* p, level* lv, const char* name, char* v) {
  char* semantics = next_field(&v);
  if (!rtc_sdp_is_token(semantics))
    return fail(p, "a=group: missing or invalid semantics");
  rtc_sdp_group* g = PUSH(p, p->s, groups);
  if (!g)
    return oom(p);
  g->semantics = semantics;
  for (char* mid; (mid = next_field(&v));) {
    if (!rtc_sdp_is_token(mid))
      return fail(p, "a=group: invalid identification tag '%.40s'", mid);
    const char** e = PUSH(p, g, mids);
    if (!e)
      return oom(p);
    *e = mid;
  }
  return RTC_OK;
}

/* draft-ietf-mmusic-msid-05 §3: "a=msid-semantic:" token *(SP msid-list)
 * (Chrome writes a space after the colon, which is kept). */
static rtc_error attr_msid_semantic(parser* p,
                                    level* lv,
                                    const char* name,
                                    char* v) {
  bool space_before = v[0] == ' ';
  char* semantic = next_field(&v);
  if (!rtc_sdp_is_token(semantic))
    return fail(p, "a=msid-semantic: missing or invalid semantic");
  rtc_sdp_msid_semantic* ms = PUSH(p, p->s, msid_semantics);
  if (!ms)
    return oom(p);
  ms->semantic = semantic;
  ms->space_before = space_before;
  for (char* id; (id = next_field(&v));) {
    const char** e = PUSH(p, ms, ids);
    if (!e)
      return oom(p);
    *e = id;
  }
  return RTC_OK;
}

static rtc_error attr_ice_lite(parser* p,
                               level* lv,
                               const char* name,
                               char* v) {
  p->s->ice_lite = true;
  return RTC_OK;
}

/* RFC 8839 §5.4: ice-pwd-att = "ice-pwd:" password, ice-ufrag-att =
 * "ice-ufrag:" ufrag, password = 22*256ice-char, ufrag = 4*256ice-char,
 * ice-char = ALPHA / DIGIT / "+" / "/". The parser takes any single token:
 * JSEP checks the lengths and characters (RFC 9429 §5.8) and webrtc-pc
 * names that failure InvalidAccessError, not a syntax error (WPT
 * protocol/ice-ufragpwd.html). */
static rtc_error attr_ice_ufrag(parser* p,
                                level* lv,
                                const char* name,
                                char* v) {
  if (!v[0] || strpbrk(v, " \t"))
    return fail(p, "a=ice-ufrag: not one token");
  *lv->ice_ufrag = v;
  return RTC_OK;
}

static rtc_error attr_ice_pwd(parser* p, level* lv, const char* name, char* v) {
  if (!v[0] || strpbrk(v, " \t"))
    return fail(p, "a=ice-pwd: not one token");
  *lv->ice_pwd = v;
  return RTC_OK;
}

/* RFC 8839 §5.6: "ice-options:" ice-option-tag *(SP ice-option-tag). Kept
 * verbatim: libdatachannel writes "ice2,trickle". */
static rtc_error attr_ice_options(parser* p,
                                  level* lv,
                                  const char* name,
                                  char* v) {
  *lv->ice_options = v;
  return RTC_OK;
}

/* RFC 8122 §5: fingerprint-attribute = "fingerprint" ":" hash-func SP
 * fingerprint. md5 (and md2, and unknown hashes) are refused (RFC 8122 §5
 * and RFC 8827 §6.5: SHA-256 or stronger is what endpoints use). */
static rtc_error attr_fingerprint(parser* p,
                                  level* lv,
                                  const char* name,
                                  char* v) {
  rtc_fingerprint fp;
  rtc_error err = rtc_fingerprint_parse(v, strlen(v), &fp);
  if (err == RTC_ERR_NOT_SUPPORTED)
    return fail(p, "unsupported fingerprint hash");
  if (err != RTC_OK)
    return fail(p, "invalid a=fingerprint");
  char text[RTC_FINGERPRINT_TEXT_SIZE];
  err = account_written(p, strlen("a=fingerprint:") +
                               rtc_fingerprint_format(&fp, text, sizeof(text)));
  if (err != RTC_OK)
    return err;
  rtc_fingerprint* e =
      rtc_sdp_push(p->s, lv->fingerprints, lv->num_fingerprints,
                   lv->cap_fingerprints, sizeof(*e));
  if (!e)
    return oom(p);
  *e = fp;
  return RTC_OK;
}

/* RFC 4145 §4: setup-attr = "a=setup:" role, role = "active" / "passive" /
 * "actpass" / "holdconn". */
static rtc_error attr_setup(parser* p, level* lv, const char* name, char* v) {
  for (int r = RTC_SDP_SETUP_ACTPASS; r <= RTC_SDP_SETUP_HOLDCONN; r++) {
    if (strcmp(v, rtc_sdp_setup_name((rtc_sdp_setup)r)) == 0) {
      *lv->setup = (rtc_sdp_setup)r;
      return RTC_OK;
    }
  }
  return fail(p, "a=setup: unknown role '%.40s'", v);
}

/* RFC 8842 §4: tls-id-value = 20*255(tls-id-char), tls-id-char = ALPHA /
 * DIGIT / "+" / "/" / "-" / "_". */
static rtc_error attr_tls_id(parser* p, level* lv, const char* name, char* v) {
  if (!is_word(v, "+/-_", 20, 255))
    return fail(p, "a=tls-id: not 20 to 255 tls-id-chars");
  *lv->tls_id = v;
  return RTC_OK;
}

/* RFC 8285 §8: a=extmap:<value>["/"<direction>] <URI> <extensionattributes>;
 * the value is in the valid range: 1-14 for the one-byte form (15 is
 * reserved there), 1-255 for the two-byte form (§4.2, §4.3). Which form is
 * used is negotiated (extmap-allow-mixed), so 1..255 parses. Each ID is
 * used once per media section, or once if at session level (§7). */
static rtc_error attr_extmap(parser* p, level* lv, const char* name, char* v) {
  char* id_text = next_field(&v);
  if (!id_text)
    return fail(p, "a=extmap: missing id");
  rtc_sdp_direction direction = RTC_SDP_DIRECTION_NONE;
  char* slash = strchr(id_text, '/');
  if (slash) {
    *slash = '\0';
    if (!parse_direction(slash + 1, &direction))
      return fail(p, "a=extmap: unknown direction '%.40s'", slash + 1);
  }
  uint64_t id;
  if (!parse_u64(id_text, 255, &id) || id == 0)
    return fail(p, "a=extmap: id '%.40s' not in 1..255", id_text);
  char* uri = next_field(&v);
  if (!uri)
    return fail(p, "a=extmap: missing URI");
  if (bit_test_and_set(p->extmap_ids, (unsigned)id))
    return fail(p, "a=extmap: id %u used twice", (unsigned)id);
  rtc_sdp_extmap* e = rtc_sdp_push(p->s, lv->extmaps, lv->num_extmaps,
                                   lv->cap_extmaps, sizeof(*e));
  if (!e)
    return oom(p);
  e->id = (uint16_t)id;
  e->direction = direction;
  e->uri = uri;
  e->attributes = rest(&v);
  return RTC_OK;
}

/* RFC 8285 §6: a=extmap-allow-mixed (session or media level). */
static rtc_error attr_extmap_allow_mixed(parser* p,
                                         level* lv,
                                         const char* name,
                                         char* v) {
  *lv->extmap_allow_mixed = true;
  return RTC_OK;
}

/* RFC 8866 §6.7.1-6.7.4: a=sendrecv, a=sendonly, a=recvonly, a=inactive
 * (session or media level). */
static rtc_error attr_direction(parser* p,
                                level* lv,
                                const char* name,
                                char* v) {
  RTC_CHECK(parse_direction(name, lv->direction));
  return RTC_OK;
}

/* RFC 8838 §8.2: a=end-of-candidates (session or media level). */
static rtc_error attr_end_of_candidates(parser* p,
                                        level* lv,
                                        const char* name,
                                        char* v) {
  *lv->end_of_candidates = true;
  return RTC_OK;
}

/* RFC 5888 §4: mid-attribute = "a=mid:" identification-tag,
 * identification-tag = token. */
static rtc_error attr_mid(parser* p, level* lv, const char* name, char* v) {
  if (!rtc_sdp_is_token(v))
    return fail(p, "a=mid: invalid identification tag '%.40s'", v);
  p->m->mid = v;
  return RTC_OK;
}

/* RFC 8843 §6: a=bundle-only. */
static rtc_error attr_bundle_only(parser* p,
                                  level* lv,
                                  const char* name,
                                  char* v) {
  p->m->bundle_only = true;
  return RTC_OK;
}

/* RFC 3605 §2.1: rtcp-attribute = "a=rtcp:" port [nettype space addrtype
 * space connection-address] CRLF */
static rtc_error attr_rtcp(parser* p, level* lv, const char* name, char* v) {
  rtc_sdp_rtcp rtcp = {0};
  if (!parse_port(next_field(&v), &rtcp.port))
    return fail(p, "a=rtcp: invalid port");
  rtcp.connection.nettype = next_field(&v);
  if (rtcp.connection.nettype) {
    rtcp.connection.addrtype = next_field(&v);
    rtcp.connection.address = next_field(&v);
    if (!rtcp.connection.address)
      return fail(p,
                  "a=rtcp: expected <port> [<nettype> <addrtype> "
                  "<address>]");
  }
  if (next_field(&v))
    return fail(p, "a=rtcp: too many fields");
  p->m->has_rtcp = true;
  p->m->rtcp = rtcp;
  return RTC_OK;
}

/* RFC 8839 §5.1, parsed by rtc_candidate_parse. */
static rtc_error attr_candidate(parser* p,
                                level* lv,
                                const char* name,
                                char* v) {
  if (p->num_candidates >= RTC_SDP_MAX_CANDIDATES)
    return fail(p, "more than %u a=candidate lines", RTC_SDP_MAX_CANDIDATES);
  rtc_candidate* c = PUSH(p, p->m, candidates);
  if (!c)
    return oom(p);
  rtc_error_info ci;
  rtc_error_info_init(&ci);
  if (rtc_candidate_parse(v, strlen(v), c, &ci) != RTC_OK)
    return fail(p, "invalid a=candidate: %s", ci.message);
  p->num_candidates++;
  return account_written(p, strlen("a=") + rtc_candidate_format(c, NULL, 0));
}

/* RFC 8841 §5.1: sctp-port-attr = "a=sctp-port:" portnumber; an SCTP
 * port: RFC 9260 §3.1, "The port number 0 MUST NOT be used" (DC-08). */
static rtc_error attr_sctp_port(parser* p,
                                level* lv,
                                const char* name,
                                char* v) {
  if (!parse_port(v, &p->m->sctp_port) || p->m->sctp_port == 0)
    return fail(p, "a=sctp-port: invalid port '%.40s'", v);
  p->m->has_sctp_port = true;
  return RTC_OK;
}

/* draft-ietf-mmusic-sctp-sdp-05 §4.1: sctpmap-attr = "a=sctpmap:"
 * sctpmap-number SP app [SP max-num-of-streams]. */
static rtc_error attr_sctpmap(parser* p, level* lv, const char* name, char* v) {
  rtc_sdp_sctpmap map = {0};
  if (!parse_port(next_field(&v), &map.port) || map.port == 0)
    return fail(p, "a=sctpmap: invalid port");
  map.app = next_field(&v);
  if (!map.app)
    return fail(p, "a=sctpmap: missing protocol");
  char* streams = next_field(&v);
  if (streams && !parse_u32(streams, &map.streams))
    return fail(p, "a=sctpmap: invalid number of streams '%.40s'", streams);
  if (next_field(&v))
    return fail(p, "a=sctpmap: too many fields");
  p->m->has_sctpmap = true;
  p->m->sctpmap = map;
  return RTC_OK;
}

/* RFC 8841 §6.1: max-message-size-value = 1*DIGIT. */
static rtc_error attr_max_message_size(parser* p,
                                       level* lv,
                                       const char* name,
                                       char* v) {
  if (!parse_u64(v, UINT64_MAX, &p->m->max_message_size))
    return fail(p, "a=max-message-size: invalid size '%.40s'", v);
  p->m->has_max_message_size = true;
  return RTC_OK;
}

/* RFC 8830 §2: msid-value = msid-id [ SP msid-appdata ]. */
static rtc_error attr_msid(parser* p, level* lv, const char* name, char* v) {
  char* stream = next_field(&v);
  if (!stream)
    return fail(p, "a=msid: missing stream id");
  char* track = next_field(&v);
  if (next_field(&v))
    return fail(p, "a=msid: too many fields");
  rtc_sdp_msid* e = PUSH(p, p->m, msids);
  if (!e)
    return oom(p);
  e->stream_id = stream;
  e->track_id = track;
  return RTC_OK;
}

static rtc_error attr_rtcp_mux(parser* p,
                               level* lv,
                               const char* name,
                               char* v) {
  p->m->rtcp_mux = true;
  return RTC_OK;
}

static rtc_error attr_rtcp_mux_only(parser* p,
                                    level* lv,
                                    const char* name,
                                    char* v) {
  p->m->rtcp_mux_only = true;
  return RTC_OK;
}

static rtc_error attr_rtcp_rsize(parser* p,
                                 level* lv,
                                 const char* name,
                                 char* v) {
  p->m->rtcp_rsize = true;
  return RTC_OK;
}

/* RFC 4568 §9.1: kept verbatim, so that JSEP sees SDES was offered. */
static rtc_error attr_crypto(parser* p, level* lv, const char* name, char* v) {
  const char** e = PUSH(p, p->m, cryptos);
  if (!e)
    return oom(p);
  *e = v;
  return RTC_OK;
}

/* RFC 8866 §6.6: a=rtpmap:<payload type> <encoding name>/<clock rate>
 * [/<encoding parameters>]. One rtpmap per payload type: a second one
 * would make the codec ambiguous. */
static rtc_error attr_rtpmap(parser* p, level* lv, const char* name, char* v) {
  rtc_sdp_rtpmap map = {0};
  char* pt = next_field(&v);
  if (!rtc_sdp_parse_pt(pt, &map.pt))
    return fail(p, "a=rtpmap: payload type '%.40s' not in 0..127",
                pt ? pt : "");
  char* codec = next_field(&v);
  if (!codec || next_field(&v))
    return fail(p,
                "a=rtpmap: expected <payload type> <encoding>/<clock "
                "rate>[/<channels>]");
  char* clock = strchr(codec, '/');
  if (!clock)
    return fail(p, "a=rtpmap: missing clock rate");
  *clock++ = '\0';
  char* channels = strchr(clock, '/');
  if (channels)
    *channels++ = '\0';
  if (!rtc_sdp_is_token(codec))
    return fail(p, "a=rtpmap: invalid encoding name '%.40s'", codec);
  if (!parse_u32(clock, &map.clock_rate))
    return fail(p, "a=rtpmap: invalid clock rate '%.40s'", clock);
  if (channels && !parse_u32(channels, &map.channels))
    return fail(p, "a=rtpmap: invalid encoding parameters '%.40s'", channels);
  if (bit_test_and_set(p->rtpmap_pts, map.pt))
    return fail(p, "a=rtpmap: payload type %u mapped twice", map.pt);
  map.encoding = codec;
  rtc_sdp_rtpmap* e = PUSH(p, p->m, rtpmaps);
  if (!e)
    return oom(p);
  *e = map;
  return RTC_OK;
}

/* RFC 8866 §6.15: a=fmtp:<format> <format specific parameters>. */
static rtc_error attr_fmtp(parser* p, level* lv, const char* name, char* v) {
  uint8_t pt;
  char* format = next_field(&v);
  if (!rtc_sdp_parse_pt(format, &pt))
    return fail(p, "a=fmtp: payload type '%.40s' not in 0..127",
                format ? format : "");
  char* params = rest(&v);
  rtc_sdp_fmtp* e = PUSH(p, p->m, fmtps);
  if (!e)
    return oom(p);
  e->pt = pt;
  e->params = params ? params : "";
  return RTC_OK;
}

/* RFC 4585 §4.2: rtcp-fb-syntax = "a=rtcp-fb:" rtcp-fb-pt SP rtcp-fb-val,
 * rtcp-fb-pt = "*" / fmt. */
static rtc_error attr_rtcp_fb(parser* p, level* lv, const char* name, char* v) {
  int16_t pt = RTC_SDP_PT_ANY;
  char* format = next_field(&v);
  uint8_t value;
  if (format && strcmp(format, "*") == 0) {
    pt = RTC_SDP_PT_ANY;
  } else if (rtc_sdp_parse_pt(format, &value)) {
    pt = value;
  } else {
    return fail(p, "a=rtcp-fb: payload type '%.40s' not '*' or in 0..127",
                format ? format : "");
  }
  char* feedback = rest(&v);
  if (!feedback)
    return fail(p, "a=rtcp-fb: missing feedback type");
  rtc_sdp_rtcp_fb* e = PUSH(p, p->m, rtcp_fbs);
  if (!e)
    return oom(p);
  e->pt = pt;
  e->value = feedback;
  return RTC_OK;
}

/* RFC 5576 §4.2: ssrc-group-attr = "ssrc-group:" semantics *(SP ssrc-id);
 * ssrc-id = integer ; 0 .. 2**32 - 1 */
static rtc_error attr_ssrc_group(parser* p,
                                 level* lv,
                                 const char* name,
                                 char* v) {
  char* semantics = next_field(&v);
  if (!rtc_sdp_is_token(semantics))
    return fail(p, "a=ssrc-group: missing or invalid semantics");
  rtc_sdp_ssrc_group* g = PUSH(p, p->m, ssrc_groups);
  if (!g)
    return oom(p);
  g->semantics = semantics;
  for (char* id; (id = next_field(&v));) {
    uint32_t ssrc;
    if (!parse_u32(id, &ssrc))
      return fail(p, "a=ssrc-group: invalid ssrc '%.40s'", id);
    uint32_t* e = PUSH(p, g, ssrcs);
    if (!e)
      return oom(p);
    *e = ssrc;
  }
  return RTC_OK;
}

/* RFC 5576 §4.1: ssrc-attr = "ssrc:" ssrc-id SP attribute; attribute as in
 * RFC 8866: att-field [":" att-value]. */
static rtc_error attr_ssrc(parser* p, level* lv, const char* name, char* v) {
  rtc_sdp_ssrc e = {0};
  char* id = next_field(&v);
  if (!parse_u32(id, &e.ssrc))
    return fail(p, "a=ssrc: invalid ssrc '%.40s'", id ? id : "");
  char* attribute = rest(&v);
  if (!attribute)
    return fail(p, "a=ssrc: missing attribute");
  char* colon = strchr(attribute, ':');
  if (colon) {
    *colon = '\0';
    e.value = colon + 1;
  }
  if (!rtc_sdp_is_token(attribute))
    return fail(p, "a=ssrc: invalid attribute name '%.40s'", attribute);
  e.attribute = attribute;
  rtc_sdp_ssrc* slot = PUSH(p, p->m, ssrcs);
  if (!slot)
    return oom(p);
  *slot = e;
  return RTC_OK;
}

/* RFC 8851 §10: rid-syntax = %s"a=rid:" rid-id SP rid-dir
 *   [ rid-pt-param-list / rid-param-list ];
 * rid-id = 1*(alpha-numeric / "-" / "_"); rid-dir = %s"send" / %s"recv" */
static rtc_error attr_rid(parser* p, level* lv, const char* name, char* v) {
  char* id = next_field(&v);
  if (!id || !is_word(id, "-_", 1, SIZE_MAX))
    return fail(p, "a=rid: missing or invalid rid-id");
  char* dir = next_field(&v);
  bool send;
  if (dir && strcmp(dir, "send") == 0) {
    send = true;
  } else if (dir && strcmp(dir, "recv") == 0) {
    send = false;
  } else {
    return fail(p, "a=rid: direction must be send or recv");
  }
  rtc_sdp_rid* e = PUSH(p, p->m, rids);
  if (!e)
    return oom(p);
  e->id = id;
  e->send = send;
  e->params = rest(&v);
  return RTC_OK;
}

/* RFC 8853 §5.1: sc-value = ( sc-send [SP sc-recv] ) / ( sc-recv [SP
 * sc-send] ); sc-send = %s"send" SP sc-str-list; sc-recv = %s"recv" SP
 * sc-str-list. The lists are kept verbatim. */
static rtc_error attr_simulcast(parser* p,
                                level* lv,
                                const char* name,
                                char* v) {
  rtc_sdp_simulcast sc = {0};
  for (int i = 0; i < 2; i++) {
    char* dir = next_field(&v);
    if (!dir && i > 0)
      break;
    char* list = next_field(&v);
    const char** slot = NULL;
    if (dir && strcmp(dir, "send") == 0)
      slot = &sc.send;
    else if (dir && strcmp(dir, "recv") == 0)
      slot = &sc.recv;
    if (!slot || *slot || !list)
      return fail(p, "a=simulcast: expected send <list> and/or recv <list>");
    *slot = list;
  }
  if (next_field(&v))
    return fail(p, "a=simulcast: too many fields");
  p->m->simulcast = sc;
  return RTC_OK;
}

enum {
  KIND_VALUE = 0, /* a=<name>:<value> */
  KIND_FLAG = 1,  /* a=<name> */
};

typedef struct attr_def {
  const char* name;
  uint8_t levels;
  uint8_t kind;
  bool single; /* at most once per section (identical repeats tolerated) */
  rtc_sdp_slot slot;
  attr_fn fn;
} attr_def;

static const attr_def kAttributes[] = {
    {"group", LEVEL_SESSION, KIND_VALUE, false, RTC_SDP_SLOT_GROUP, attr_group},
    {"msid-semantic", LEVEL_SESSION, KIND_VALUE, false,
     RTC_SDP_SLOT_MSID_SEMANTIC, attr_msid_semantic},
    {"ice-lite", LEVEL_SESSION, KIND_FLAG, false, RTC_SDP_SLOT_ICE_LITE,
     attr_ice_lite},
    {"ice-ufrag", LEVEL_BOTH, KIND_VALUE, true, RTC_SDP_SLOT_ICE_UFRAG,
     attr_ice_ufrag},
    {"ice-pwd", LEVEL_BOTH, KIND_VALUE, true, RTC_SDP_SLOT_ICE_PWD,
     attr_ice_pwd},
    {"ice-options", LEVEL_BOTH, KIND_VALUE, true, RTC_SDP_SLOT_ICE_OPTIONS,
     attr_ice_options},
    {"fingerprint", LEVEL_BOTH, KIND_VALUE, false, RTC_SDP_SLOT_FINGERPRINT,
     attr_fingerprint},
    {"setup", LEVEL_BOTH, KIND_VALUE, true, RTC_SDP_SLOT_SETUP, attr_setup},
    {"tls-id", LEVEL_BOTH, KIND_VALUE, true, RTC_SDP_SLOT_TLS_ID, attr_tls_id},
    {"extmap", LEVEL_BOTH, KIND_VALUE, false, RTC_SDP_SLOT_EXTMAP, attr_extmap},
    {"extmap-allow-mixed", LEVEL_BOTH, KIND_FLAG, false,
     RTC_SDP_SLOT_EXTMAP_ALLOW_MIXED, attr_extmap_allow_mixed},
    {"sendrecv", LEVEL_BOTH, KIND_FLAG, true, RTC_SDP_SLOT_DIRECTION,
     attr_direction},
    {"sendonly", LEVEL_BOTH, KIND_FLAG, true, RTC_SDP_SLOT_DIRECTION,
     attr_direction},
    {"recvonly", LEVEL_BOTH, KIND_FLAG, true, RTC_SDP_SLOT_DIRECTION,
     attr_direction},
    {"inactive", LEVEL_BOTH, KIND_FLAG, true, RTC_SDP_SLOT_DIRECTION,
     attr_direction},
    {"end-of-candidates", LEVEL_BOTH, KIND_FLAG, false,
     RTC_SDP_SLOT_END_OF_CANDIDATES, attr_end_of_candidates},
    {"mid", LEVEL_MEDIA, KIND_VALUE, true, RTC_SDP_SLOT_MID, attr_mid},
    {"bundle-only", LEVEL_MEDIA, KIND_FLAG, false, RTC_SDP_SLOT_BUNDLE_ONLY,
     attr_bundle_only},
    {"rtcp", LEVEL_MEDIA, KIND_VALUE, true, RTC_SDP_SLOT_RTCP, attr_rtcp},
    {"candidate", LEVEL_MEDIA, KIND_VALUE, false, RTC_SDP_SLOT_CANDIDATE,
     attr_candidate},
    {"sctp-port", LEVEL_MEDIA, KIND_VALUE, true, RTC_SDP_SLOT_SCTP_PORT,
     attr_sctp_port},
    {"sctpmap", LEVEL_MEDIA, KIND_VALUE, true, RTC_SDP_SLOT_SCTPMAP,
     attr_sctpmap},
    {"max-message-size", LEVEL_MEDIA, KIND_VALUE, true,
     RTC_SDP_SLOT_MAX_MESSAGE_SIZE, attr_max_message_size},
    {"msid", LEVEL_MEDIA, KIND_VALUE, false, RTC_SDP_SLOT_MSID, attr_msid},
    {"rtcp-mux", LEVEL_MEDIA, KIND_FLAG, false, RTC_SDP_SLOT_RTCP_MUX,
     attr_rtcp_mux},
    {"rtcp-mux-only", LEVEL_MEDIA, KIND_FLAG, false, RTC_SDP_SLOT_RTCP_MUX_ONLY,
     attr_rtcp_mux_only},
    {"rtcp-rsize", LEVEL_MEDIA, KIND_FLAG, false, RTC_SDP_SLOT_RTCP_RSIZE,
     attr_rtcp_rsize},
    {"crypto", LEVEL_MEDIA, KIND_VALUE, false, RTC_SDP_SLOT_CRYPTO,
     attr_crypto},
    {"rtpmap", LEVEL_MEDIA, KIND_VALUE, false, RTC_SDP_SLOT_CODECS,
     attr_rtpmap},
    {"fmtp", LEVEL_MEDIA, KIND_VALUE, false, RTC_SDP_SLOT_CODECS, attr_fmtp},
    {"rtcp-fb", LEVEL_MEDIA, KIND_VALUE, false, RTC_SDP_SLOT_CODECS,
     attr_rtcp_fb},
    {"ssrc-group", LEVEL_MEDIA, KIND_VALUE, false, RTC_SDP_SLOT_SSRC_GROUP,
     attr_ssrc_group},
    {"ssrc", LEVEL_MEDIA, KIND_VALUE, false, RTC_SDP_SLOT_SSRC, attr_ssrc},
    {"rid", LEVEL_MEDIA, KIND_VALUE, false, RTC_SDP_SLOT_RID, attr_rid},
    {"simulcast", LEVEL_MEDIA, KIND_VALUE, true, RTC_SDP_SLOT_SIMULCAST,
     attr_simulcast},
};

static const attr_def* find_attribute(const char* name) {
  for (size_t i = 0; i < sizeof(kAttributes) / sizeof(kAttributes[0]); i++) {
    if (strcmp(kAttributes[i].name, name) == 0)
      return &kAttributes[i];
  }
  return NULL;
}

/* rtpmap, fmtp and rtcp-fb name a format; in a section that is not RTP the
 * formats are not payload types (RFC 8866 §5.14), so a format that is not
 * one makes the attribute one we keep verbatim (old data channel drafts
 * wrote "a=fmtp:webrtc-datachannel max-message-size=..."). */
static bool is_non_rtp_format_attribute(const parser* p,
                                        const attr_def* def,
                                        const char* value) {
  if (def->slot != RTC_SDP_SLOT_CODECS || rtc_sdp_proto_is_rtp(p->m->proto))
    return false;
  size_t n = strcspn(value, " ");
  char format[4];
  uint8_t pt;
  if (n >= sizeof(format))
    return true;
  memcpy(format, value, n);
  format[n] = '\0';
  return !rtc_sdp_parse_pt(format, &pt);
}

/* RFC 8866 §5.13: attribute = (attribute-name ":" attribute-value) /
 * attribute-name; attribute-name = token. */
static rtc_error parse_attribute(parser* p, char* line) {
  char* name = line;
  char* value = NULL;
  char* colon = strchr(line, ':');
  if (colon) {
    *colon = '\0';
    value = colon + 1;
  }
  if (!rtc_sdp_is_token(name))
    return fail(p, "invalid attribute name '%.40s'", name);

  level lv_session = LEVEL_OF(p->s);
  level lv_media;
  level* lv = &lv_session;
  if (p->m) {
    lv_media = (level)LEVEL_OF(p->m);
    lv = &lv_media;
  }

  const attr_def* def = find_attribute(name);
  if (def && !(def->levels & (p->m ? LEVEL_MEDIA : LEVEL_SESSION)))
    def = NULL; /* a known attribute at a level where it means nothing */
  if (def && value && is_non_rtp_format_attribute(p, def, value))
    def = NULL;
  if (!def) {
    /* RFC 8866 §5.13: "An SDP parser MUST ignore any attribute it doesn't
     * understand": kept verbatim for re-serialization. */
    rtc_sdp_attribute* e =
        rtc_sdp_push(p->s, lv->attributes, lv->num_attributes,
                     lv->cap_attributes, sizeof(*e));
    if (!e)
      return oom(p);
    e->name = name;
    e->value = value;
    e->after = p->last_slot;
    return RTC_OK;
  }

  if (def->kind == KIND_FLAG && value)
    return fail(p, "a=%s takes no value", name);
  if (def->kind == KIND_VALUE && !value)
    return fail(p, "a=%s needs a value", name);

  if (def->single) {
    const char* key = def->kind == KIND_FLAG ? def->name : value;
    const char* seen = p->seen[def->slot];
    if (seen) {
      if (strcmp(seen, key) != 0 && def->slot == RTC_SDP_SLOT_DIRECTION)
        return fail(p, "conflicting a=%s after a=%s", name, seen);
      if (strcmp(seen, key) != 0)
        return fail(p, "conflicting a=%s: another value came before", name);
      p->last_slot = def->slot;
      return RTC_OK; /* an identical repeat */
    }
    if (def->kind == KIND_VALUE) {
      /* The handler cuts the value up in place: keep a copy. */
      key = rtc_arena_strdup(&p->s->arena, value);
      if (!key)
        return oom(p);
    }
    p->seen[def->slot] = key;
  }

  rtc_error err = def->fn(p, lv, name, value);
  if (err != RTC_OK)
    return err;
  p->last_slot = def->slot;
  return RTC_OK;
}

/* ---------------------------------------------------------------------- */
/* Lines                                                                  */

/* RFC 8866 §5.2: o=<username> <sess-id> <sess-version> <nettype>
 * <addrtype> <unicast-address>; sess-id and sess-version are numeric. */
static rtc_error parse_origin(parser* p, char* v) {
  rtc_sdp_origin* o = &p->s->origin;
  o->username = next_field(&v);
  o->session_id = next_field(&v);
  char* version = next_field(&v);
  o->nettype = next_field(&v);
  o->addrtype = next_field(&v);
  o->address = next_field(&v);
  if (!o->address || next_field(&v))
    return fail(p,
                "o=: expected <username> <sess-id> <sess-version> "
                "<nettype> <addrtype> <unicast-address>");
  size_t id_len = strlen(o->session_id);
  if (id_len > 20 || strspn(o->session_id, "0123456789") != id_len)
    return fail(p, "o=: session id '%.40s' is not 1 to 20 digits",
                o->session_id);
  o->session_id_fits =
      parse_u64(o->session_id, UINT64_MAX, &o->session_id_value);
  if (!parse_u64(version, UINT64_MAX, &o->session_version))
    return fail(p, "o=: invalid session version '%.40s'", version);
  return RTC_OK;
}

/* RFC 8866 §5.7: c=<nettype> <addrtype> <connection-address>. */
static rtc_error parse_connection(parser* p, char* v, rtc_sdp_connection* c) {
  c->nettype = next_field(&v);
  c->addrtype = next_field(&v);
  c->address = next_field(&v);
  if (!c->address || next_field(&v))
    return fail(p, "c=: expected <nettype> <addrtype> <connection-address>");
  return RTC_OK;
}

/* RFC 8866 §5.8: b=<bwtype>:<bandwidth>; bwtype = token, bandwidth =
 * 1*DIGIT. */
static rtc_error parse_bandwidth(parser* p, char* v) {
  char* colon = strchr(v, ':');
  if (!colon)
    return fail(p, "b=: expected <bwtype>:<bandwidth>");
  *colon = '\0';
  rtc_sdp_bandwidth bw = {v, 0};
  if (!rtc_sdp_is_token(v))
    return fail(p, "b=: invalid bandwidth type '%.40s'", v);
  if (!parse_u64(colon + 1, UINT64_MAX, &bw.value))
    return fail(p, "b=: invalid bandwidth '%.40s'", colon + 1);
  rtc_sdp_bandwidth* e =
      p->m ? PUSH(p, p->m, bandwidths) : PUSH(p, p->s, bandwidths);
  if (!e)
    return oom(p);
  *e = bw;
  return RTC_OK;
}

/* RFC 8866 §5.9: t=<start-time> <stop-time>. */
static rtc_error parse_time(parser* p, char* v) {
  rtc_sdp_time t = {0};
  char* start = next_field(&v);
  char* stop = next_field(&v);
  if (!stop || next_field(&v) || !parse_u64(start, UINT64_MAX, &t.start) ||
      !parse_u64(stop, UINT64_MAX, &t.stop))
    return fail(p, "t=: expected <start-time> <stop-time>");
  rtc_sdp_time* e = PUSH(p, p->s, times);
  if (!e)
    return oom(p);
  *e = t;
  return RTC_OK;
}

static rtc_error push_string(parser* p,
                             const char*** items,
                             size_t* count,
                             size_t* capacity,
                             const char* value) {
  const char** e = rtc_sdp_push(p->s, items, count, capacity, sizeof(*e));
  if (!e)
    return oom(p);
  *e = value;
  return RTC_OK;
}

/* proto = token *("/" token) (RFC 8866 §9). */
static bool is_proto(const char* s) {
  bool after_slash = true;
  for (; *s; s++) {
    if (*s == '/') {
      if (after_slash)
        return false;
      after_slash = true;
    } else if (rtc_sdp_is_token_char((unsigned char)*s)) {
      after_slash = false;
    } else {
      return false;
    }
  }
  return !after_slash;
}

/* RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...;
 * for RTP profiles the fmts are payload types (0..127, RFC 3550 §5.1). */
static rtc_error parse_media(parser* p, char* v) {
  if (p->s->num_media >= RTC_SDP_MAX_MEDIA)
    return fail(p, "more than %u m= sections", RTC_SDP_MAX_MEDIA);
  rtc_sdp_media* m = rtc_arena_alloc(&p->s->arena, sizeof(*m));
  rtc_sdp_media** slot = m ? PUSH(p, p->s, media) : NULL;
  if (!slot)
    return oom(p);
  *slot = m;
  p->m = m;

  m->type = next_field(&v);
  char* port = next_field(&v);
  m->proto = next_field(&v);
  if (!rtc_sdp_is_token(m->type))
    return fail(p, "m=: missing or invalid media type");
  if (!port)
    return fail(p, "m=: missing port");
  char* num_ports = strchr(port, '/');
  if (num_ports)
    *num_ports++ = '\0';
  if (!parse_port(port, &m->port))
    return fail(p, "m=: invalid port '%.40s'", port);
  if (num_ports && (!parse_u32(num_ports, &m->num_ports) || m->num_ports == 0))
    return fail(p, "m=: invalid number of ports '%.40s'", num_ports);
  if (!m->proto || !is_proto(m->proto))
    return fail(p, "m=: missing or invalid proto");
  bool rtp = rtc_sdp_proto_is_rtp(m->proto);
  for (char* fmt; (fmt = next_field(&v));) {
    uint8_t pt;
    if (!rtc_sdp_is_token(fmt))
      return fail(p, "m=: invalid fmt '%.40s'", fmt);
    if (rtp && !rtc_sdp_parse_pt(fmt, &pt))
      return fail(p, "m=: payload type '%.40s' not in 0..127", fmt);
    rtc_error err = push_string(p, &m->fmts, &m->num_fmts, &m->cap_fmts, fmt);
    if (err != RTC_OK)
      return err;
  }
  if (m->num_fmts == 0)
    return fail(p, "m=: no fmt");
  return RTC_OK;
}

static void start_section(parser* p) {
  p->last_slot = RTC_SDP_SLOT_START;
  memset(p->seen, 0, sizeof(p->seen));
  memset(p->rtpmap_pts, 0, sizeof(p->rtpmap_pts));
  memset(p->extmap_ids, 0, sizeof(p->extmap_ids));
}

/* A session-level line (RFC 8866 §5 order). */
static rtc_error parse_session_line(parser* p, char type, char* v) {
  rtc_sdp_session* s = p->s;
  int rank;
  bool repeatable = false;
  switch (type) {
    case 'i':
      rank = RANK_I;
      break;
    case 'u':
      rank = RANK_U;
      break;
    case 'e':
      rank = RANK_E, repeatable = true;
      break;
    case 'p':
      rank = RANK_P, repeatable = true;
      break;
    case 'c':
      rank = RANK_C;
      break;
    case 'b':
      rank = RANK_B, repeatable = true;
      break;
    case 't':
      /* A new time description may follow t=, r= or z=. */
      if (p->rank > RANK_Z)
        return fail(p, "t= after the attributes");
      p->rank = RANK_T;
      p->have_time = true;
      return parse_time(p, v);
    case 'r':
    case 'z': {
      /* RFC 8866 §9: repeat-description = 1*repeat-field [zone-field];
       * z= directly after t= is accepted too (RFC 4566 allowed it). */
      if (p->prev != 't' && p->prev != 'r')
        return fail(p, "%c= must follow t= or r=", type);
      rtc_sdp_time* t = &s->times[s->num_times - 1];
      p->rank = type == 'r' ? RANK_R : RANK_Z;
      if (type == 'z') {
        t->zone = v;
        return RTC_OK;
      }
      return push_string(p, &t->repeats, &t->num_repeats, &t->cap_repeats, v);
    }
    case 'k':
      rank = RANK_K;
      break;
    case 'a':
      rank = RANK_A, repeatable = true;
      break;
    case 'v':
    case 'o':
    case 's':
      return fail(p, "duplicate %c= line", type);
    default:
      return fail(p, "unknown line type '%c='", type);
  }
  if (rank < p->rank || (rank == p->rank && !repeatable))
    return fail(p, "%c= line out of order", type);
  if (rank > RANK_T && !p->have_time)
    return fail(p, "missing t= line before %c=", type);
  p->rank = rank;
  switch (type) {
    case 'i':
      s->information = v;
      return RTC_OK;
    case 'u':
      s->uri = v;
      return RTC_OK;
    case 'e':
      return push_string(p, &s->emails, &s->num_emails, &s->cap_emails, v);
    case 'p':
      return push_string(p, &s->phones, &s->num_phones, &s->cap_phones, v);
    case 'c':
      return parse_connection(p, v, &s->connection);
    case 'b':
      return parse_bandwidth(p, v);
    case 'k':
      /* RFC 8866 §5.12: obsolete, "MUST discard it if it is received". */
      return RTC_OK;
    default:
      return parse_attribute(p, v);
  }
}

/* A line inside a media section. */
static rtc_error parse_media_line(parser* p, char type, char* v) {
  int rank;
  bool repeatable = false;
  switch (type) {
    case 'i':
      rank = MRANK_I;
      break;
    case 'c':
      rank = MRANK_C;
      break;
    case 'b':
      rank = MRANK_B, repeatable = true;
      break;
    case 'k':
      rank = MRANK_K;
      break;
    case 'a':
      rank = MRANK_A, repeatable = true;
      break;
    case 'v':
    case 'o':
    case 's':
    case 'u':
    case 'e':
    case 'p':
    case 't':
    case 'r':
    case 'z':
      return fail(p, "%c= line not allowed in a media section", type);
    default:
      return fail(p, "unknown line type '%c='", type);
  }
  if (rank < p->rank || (rank == p->rank && !repeatable)) {
    /* RFC 8866 §5.7 allows several c= lines for layered multicast, which
     * WebRTC does not use. */
    if (type == 'c' && rank == p->rank)
      return fail(p, "more than one c= line in a media section");
    return fail(p, "%c= line out of order", type);
  }
  p->rank = rank;
  switch (type) {
    case 'i':
      p->m->information = v;
      return RTC_OK;
    case 'c':
      return parse_connection(p, v, &p->m->connection);
    case 'b':
      return parse_bandwidth(p, v);
    case 'k':
      return RTC_OK; /* RFC 8866 §5.12 */
    default:
      return parse_attribute(p, v);
  }
}

/* RFC 8866 §5: "An SDP description consists of a number of lines of text
 * of the form: <type>=<value> where <type> is exactly one case-significant
 * character and <value> is structured text". */
static rtc_error parse_line(parser* p, char* line, size_t len) {
  char type = line[0];
  if (len < 2 || line[1] != '=' ||
      !((type >= 'a' && type <= 'z') || (type >= 'A' && type <= 'Z')))
    return fail(p, "expected <type>=<value>");
  char* v = line + 2;
  rtc_error err;

  /* RFC 8866 §5: v=, o=, s= are the first three lines, in that order. */
  if (p->line == 1) {
    if (type != 'v')
      return fail(p, "the description must start with v=0");
    /* RFC 8866 §5.1: "v=0" (there is no other version). */
    if (strcmp(v, "0") != 0)
      return fail(p, "unsupported SDP version '%.40s'", v);
    p->rank = RANK_V;
    err = RTC_OK;
  } else if (p->line == 2) {
    if (type != 'o')
      return fail(p, "expected o= as the second line");
    p->rank = RANK_O;
    err = parse_origin(p, v);
  } else if (p->line == 3) {
    if (type != 's')
      return fail(p, "expected s= as the third line");
    p->rank = RANK_S;
    p->s->name = v; /* RFC 8866 §5.3: text, kept verbatim */
    err = RTC_OK;
  } else if (type == 'm') {
    if (!p->have_time)
      return fail(p, "missing t= line before m=");
    start_section(p);
    p->rank = MRANK_M;
    err = parse_media(p, v);
  } else if (!p->m) {
    err = parse_session_line(p, type, v);
  } else {
    err = parse_media_line(p, type, v);
  }
  p->prev = type;
  return err;
}

/* ---------------------------------------------------------------------- */
/* Canonical order                                                        */

/* Reorders the verbatim attributes of a section into write order (stable),
 * so that what the serializer writes parses back to the same arrays. */
static rtc_error sort_attributes(parser* p,
                                 bool media_level,
                                 rtc_sdp_attribute** attrs,
                                 size_t n,
                                 size_t* capacity) {
  uint8_t rank_of[RTC_SDP_SLOT_COUNT];
  for (int slot = 0; slot < RTC_SDP_SLOT_COUNT; slot++)
    rank_of[slot] = (uint8_t)rtc_sdp_slot_rank(media_level, (rtc_sdp_slot)slot);
  bool sorted = true;
  for (size_t i = 1; i < n && sorted; i++)
    sorted = rank_of[(*attrs)[i - 1].after] <= rank_of[(*attrs)[i].after];
  if (sorted)
    return RTC_OK;
  rtc_sdp_attribute* out = rtc_arena_alloc_array(&p->s->arena, n, sizeof(*out));
  if (!out)
    return oom(p);
  size_t k = 0;
  for (int rank = 0; rank < RTC_SDP_SLOT_RANKS; rank++) {
    for (size_t i = 0; i < n; i++) {
      if (rank_of[(*attrs)[i].after] == rank)
        out[k++] = (*attrs)[i];
    }
  }
  RTC_CHECK(k == n);
  *attrs = out;
  *capacity = n;
  return RTC_OK;
}

#define BUCKET_OF(order, list, i, field) \
  rtc_sdp_codec_bucket((order), (list)[(i)].field)

/* The codec arrays of one media section into write order (see
 * rtc_sdp_slot, CODECS). */
#define SORT_CODEC_ARRAY(p, m, order, list, type)                           \
  do {                                                                      \
    size_t n_ = (m)->num_##list;                                            \
    bool sorted_ = true;                                                    \
    for (size_t i_ = 1; i_ < n_ && sorted_; i_++)                           \
      sorted_ = BUCKET_OF(order, (m)->list, i_ - 1, pt) <=                  \
                BUCKET_OF(order, (m)->list, i_, pt);                        \
    if (!sorted_) {                                                         \
      type* out_ = rtc_arena_alloc_array(&(p)->s->arena, n_, sizeof(type)); \
      if (!out_)                                                            \
        return oom(p);                                                      \
      size_t k_ = 0;                                                        \
      for (size_t b_ = 0; b_ <= RTC_SDP_CODEC_BUCKETS; b_++) {              \
        for (size_t i_ = 0; i_ < n_; i_++) {                                \
          if (BUCKET_OF(order, (m)->list, i_, pt) == b_)                    \
            out_[k_++] = (m)->list[i_];                                     \
        }                                                                   \
      }                                                                     \
      RTC_CHECK(k_ == n_);                                                  \
      (m)->list = out_;                                                     \
      (m)->cap_##list = n_;                                                 \
    }                                                                       \
  } while (0)

static rtc_error canonicalize(parser* p) {
  rtc_sdp_session* s = p->s;
  rtc_error err = sort_attributes(p, false, &s->attributes, s->num_attributes,
                                  &s->cap_attributes);
  if (err != RTC_OK)
    return err;
  for (size_t i = 0; i < s->num_media; i++) {
    rtc_sdp_media* m = s->media[i];
    err = sort_attributes(p, true, &m->attributes, m->num_attributes,
                          &m->cap_attributes);
    if (err != RTC_OK)
      return err;
    rtc_sdp_codec_order order;
    rtc_sdp_codec_order_init(m, &order);
    SORT_CODEC_ARRAY(p, m, &order, rtpmaps, rtc_sdp_rtpmap);
    SORT_CODEC_ARRAY(p, m, &order, fmtps, rtc_sdp_fmtp);
    SORT_CODEC_ARRAY(p, m, &order, rtcp_fbs, rtc_sdp_rtcp_fb);
  }
  return RTC_OK;
}

/* ---------------------------------------------------------------------- */
/* Entry point                                                            */

/* The number of the line holding byte `offset`. */
static uint32_t line_of(const char* text, size_t offset) {
  uint32_t line = 1;
  for (size_t i = 0; i < offset; i++) {
    if (text[i] == '\n')
      line++;
  }
  return line;
}

static bool is_control(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

rtc_error rtc_sdp_parse(const char* text,
                        size_t len,
                        rtc_sdp_session** out,
                        rtc_error_info* info) {
  RTC_DCHECK(out != NULL);
  RTC_DCHECK(text != NULL || len == 0);
  *out = NULL;
  parser p;
  memset(&p, 0, sizeof(p));
  p.info = info;
  if (len > RTC_SDP_MAX_SIZE) {
    p.line = line_of(text, RTC_SDP_MAX_SIZE);
    return fail(&p, "description larger than %u bytes", RTC_SDP_MAX_SIZE);
  }

  /* Chunks large enough that a typical offer takes a few allocations, but
   * not much more than a small one needs: a session lives as long as its
   * description is current, and a data-only description of some 1 KiB
   * parses into about 4.5 KiB (media sections into more: some 10 to 20
   * KiB for 1 KiB of text). */
  size_t chunk = len * 4 + 2048;
  if (chunk < 4096)
    chunk = 4096;
  if (chunk > 16 * 1024)
    chunk = 16 * 1024;
  p.s = rtc_sdp_session_new(chunk);
  if (!p.s)
    return oom(&p);
  rtc_error err = RTC_OK;
  char* buf = rtc_arena_alloc(&p.s->arena, len + 1);
  if (!buf) {
    err = oom(&p);
    goto fail_session;
  }
  if (len)
    memcpy(buf, text, len);
  start_section(&p);

  size_t pos = 0;
  while (pos < len) {
    p.line++;
    if (p.line > RTC_SDP_MAX_LINES) {
      err = fail(&p, "more than %u lines", RTC_SDP_MAX_LINES);
      goto fail_session;
    }
    char* line = buf + pos;
    char* newline = memchr(line, '\n', len - pos);
    size_t n = newline ? (size_t)(newline - line) : len - pos;
    pos += n + (newline ? 1 : 0);
    /* RFC 8866 §5: lines end with CRLF; "parsers SHOULD be tolerant and
     * also accept records terminated with a single newline character". */
    if (n > 0 && line[n - 1] == '\r')
      n--;
    p.size += n + 2;
    if (p.size > RTC_SDP_MAX_SIZE) {
      err = fail(&p, "description larger than %u bytes", RTC_SDP_MAX_SIZE);
      goto fail_session;
    }
    if (n > RTC_SDP_MAX_LINE_LENGTH) {
      err = fail(&p, "line longer than %u bytes", RTC_SDP_MAX_LINE_LENGTH);
      goto fail_session;
    }
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)line[i];
      if (c == 0) {
        err = fail(&p, "NUL byte at column %zu", i + 1);
        goto fail_session;
      }
      if (is_control(c)) {
        err = fail(&p, "control character 0x%02x at column %zu", c, i + 1);
        goto fail_session;
      }
    }
    /* Trailing blanks are not part of the grammar; browsers' munged SDP
     * has them. */
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
      n--;
    line[n] = '\0';
    p.line_len = n;
    if (n == 0) {
      err = fail(&p, "empty line");
      goto fail_session;
    }
    err = parse_line(&p, line, n);
    if (err != RTC_OK)
      goto fail_session;
  }

  /* RFC 8866 §5: v=, o=, s= and at least one t= are required. */
  p.line++;
  if (p.line <= 3) {
    static const char* const kMissing[] = {"v=0", "o=", "s="};
    err = fail(&p, "missing %s line", kMissing[p.line - 1]);
    goto fail_session;
  }
  if (!p.have_time) {
    err = fail(&p, "missing t= line");
    goto fail_session;
  }
  p.line = 0;
  err = canonicalize(&p);
  if (err != RTC_OK)
    goto fail_session;
  *out = p.s;
  return RTC_OK;

fail_session:
  rtc_sdp_session_destroy(p.s);
  return err;
}
