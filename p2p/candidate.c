/*
 * The ICE `candidate` attribute (RFC 8839 §5.1, RFC 6544 §4.5), candidate
 * priorities (RFC 8445 §5.1.2), foundations (RFC 8445 §5.1.1.3) and pair
 * priorities (RFC 8445 §6.1.2.3).
 *
 * The parser is strict where browsers are (one space between fields, known
 * keywords case-sensitive) and tolerant where they are (transport case, the
 * "a=" and "candidate:" prefixes, a trailing line end). It never allocates.
 */
#include "p2p/candidate.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rtc_base/checks.h"

/* ---------------------------------------------------------------------- */
/* Names                                                                  */

const char* rtc_candidate_type_name(rtc_candidate_type type) {
  switch (type) {
    case RTC_CANDIDATE_HOST:
      return "host";
    case RTC_CANDIDATE_SRFLX:
      return "srflx";
    case RTC_CANDIDATE_PRFLX:
      return "prflx";
    case RTC_CANDIDATE_RELAY:
      return "relay";
  }
  return "unknown";
}

const char* rtc_ice_protocol_name(rtc_ice_protocol protocol) {
  switch (protocol) {
    case RTC_ICE_PROTOCOL_UDP:
      return "udp";
    case RTC_ICE_PROTOCOL_TCP:
      return "tcp";
  }
  return "unknown";
}

const char* rtc_tcp_type_name(rtc_tcp_type type) {
  switch (type) {
    case RTC_TCP_TYPE_NONE:
      return "";
    case RTC_TCP_TYPE_ACTIVE:
      return "active";
    case RTC_TCP_TYPE_PASSIVE:
      return "passive";
    case RTC_TCP_TYPE_SO:
      return "so";
  }
  return "unknown";
}

void rtc_candidate_init(rtc_candidate* c) {
  RTC_DCHECK(c != NULL);
  memset(c, 0, sizeof(*c));
  c->component = 1;
  c->protocol = RTC_ICE_PROTOCOL_UDP;
  rtc_socket_address_clear(&c->address);
  c->type = RTC_CANDIDATE_HOST;
  rtc_socket_address_clear(&c->related_address);
  c->tcp_type = RTC_TCP_TYPE_NONE;
  c->generation = -1;
  c->network_id = -1;
  c->network_cost = -1;
}

/* ---------------------------------------------------------------------- */
/* Character classes                                                      */

static bool is_digit(char ch) {
  return ch >= '0' && ch <= '9';
}

static bool is_alpha(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* RFC 8839 §5.1: ice-char = ALPHA / DIGIT / "+" / "/" */
static bool is_ice_char(char ch) {
  return is_alpha(ch) || is_digit(ch) || ch == '+' || ch == '/';
}

/* RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" /
 * "+" / "`" / "'" / "~") */
static bool is_token_char(char ch) {
  return is_alpha(ch) || is_digit(ch) ||
         (ch != '\0' && strchr("-.!%*_+`'~", ch) != NULL);
}

/* RFC 5234 Appendix B.1: VCHAR = %x21-7E */
static bool is_vchar(char ch) {
  return ch >= 0x21 && ch <= 0x7e;
}

static char ascii_lower(char ch) {
  return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

/* ---------------------------------------------------------------------- */
/* Tokens                                                                 */

typedef struct token {
  const char* p;
  size_t len;
} token;

typedef struct cursor {
  const char* text;
  size_t len;
  size_t pos;
  bool started;
} cursor;

static bool token_is(token t, const char* word) {
  size_t n = strlen(word);
  return t.len == n && memcmp(t.p, word, n) == 0;
}

static bool token_is_nocase(token t, const char* word) {
  size_t n = strlen(word);
  if (t.len != n)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (ascii_lower(t.p[i]) != word[i])
      return false;
  }
  return true;
}

/* A printable copy of (at most the start of) a token for error messages:
 * bytes outside VCHAR become '?'. */
#define QUOTE_MAX 40
static void quote(token t, char out[QUOTE_MAX + 4]) {
  size_t n = t.len < QUOTE_MAX ? t.len : QUOTE_MAX;
  for (size_t i = 0; i < n; i++)
    out[i] = is_vchar(t.p[i]) ? t.p[i] : '?';
  if (t.len > QUOTE_MAX) {
    memcpy(out + n, "...", 3);
    n += 3;
  }
  out[n] = '\0';
}

static bool at_end(const cursor* c) {
  return c->pos >= c->len;
}

/* The next field: fields are separated by exactly one SP (RFC 8839 §5.1
 * writes SP, not 1*SP). The text never ends in a space (trailing
 * whitespace is stripped first), so only "  " and a leading space make an
 * empty field. */
static rtc_error next_token(cursor* c,
                            const char* what,
                            token* t,
                            rtc_error_info* info) {
  if (at_end(c))
    return rtc_error_set(info, RTC_ERR_SYNTAX, "candidate ends before the %s",
                         what);
  if (c->started) {
    RTC_DCHECK(c->text[c->pos] == ' ');
    c->pos++;
  }
  c->started = true;
  size_t start = c->pos;
  while (c->pos < c->len && c->text[c->pos] != ' ')
    c->pos++;
  t->p = c->text + start;
  t->len = c->pos - start;
  if (t->len == 0) {
    return rtc_error_set(info, RTC_ERR_SYNTAX,
                         "extra space before the %s at offset %zu (fields are "
                         "separated by a single space)",
                         what, start);
  }
  return RTC_OK;
}

/* Whether the next field is `word` (without consuming it). */
static bool peek_is(const cursor* c, const char* word) {
  if (at_end(c))
    return false;
  cursor copy = *c;
  token t;
  if (next_token(&copy, "field", &t, NULL) != RTC_OK)
    return false;
  return token_is(t, word);
}

/* 1 to max_digits decimal digits, at most `max`. */
static bool parse_number(token t,
                         size_t max_digits,
                         uint64_t max,
                         uint64_t* out) {
  if (t.len == 0 || t.len > max_digits)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < t.len; i++) {
    if (!is_digit(t.p[i]))
      return false;
    v = v * 10 + (uint64_t)(t.p[i] - '0');
  }
  if (v > max)
    return false;
  *out = v;
  return true;
}

/* ---------------------------------------------------------------------- */
/* Fields                                                                 */

/* RFC 8839 §5.1: foundation = 1*32ice-char */
static rtc_error parse_foundation(token t,
                                  rtc_candidate* out,
                                  rtc_error_info* info) {
  char q[QUOTE_MAX + 4];
  quote(t, q);
  if (t.len > RTC_CANDIDATE_MAX_FOUNDATION) {
    return rtc_error_set(info, RTC_ERR_SYNTAX,
                         "foundation '%s' is %zu characters long, more than %d",
                         q, t.len, RTC_CANDIDATE_MAX_FOUNDATION);
  }
  for (size_t i = 0; i < t.len; i++) {
    if (!is_ice_char(t.p[i])) {
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "foundation '%s' has a character other than "
                           "letters, digits, '+' and '/' at position %zu",
                           q, i);
    }
  }
  memcpy(out->foundation, t.p, t.len);
  out->foundation[t.len] = '\0';
  return RTC_OK;
}

/* RFC 8839 §5.1: component-id = 1*3DIGIT, "a positive integer between 1
 * and 256 (inclusive)". */
static rtc_error parse_component(token t,
                                 rtc_candidate* out,
                                 rtc_error_info* info) {
  uint64_t v;
  if (!parse_number(t, 3, 256, &v) || v == 0) {
    char q[QUOTE_MAX + 4];
    quote(t, q);
    return rtc_error_set(info, RTC_ERR_SYNTAX,
                         "component-id '%s' is not a number from 1 to 256", q);
  }
  out->component = (uint32_t)v;
  return RTC_OK;
}

/* RFC 8839 §5.1: transport = "UDP" / transport-extension; RFC 6544 §4.5
 * adds "TCP". Tokens compare case-insensitively (Firefox writes "UDP",
 * Chrome "udp"). rtcbox speaks only these two. */
static rtc_error parse_transport(token t,
                                 rtc_candidate* out,
                                 rtc_error_info* info) {
  if (token_is_nocase(t, "udp")) {
    out->protocol = RTC_ICE_PROTOCOL_UDP;
    return RTC_OK;
  }
  if (token_is_nocase(t, "tcp")) {
    out->protocol = RTC_ICE_PROTOCOL_TCP;
    return RTC_OK;
  }
  char q[QUOTE_MAX + 4];
  quote(t, q);
  return rtc_error_set(info, RTC_ERR_SYNTAX,
                       "unsupported transport '%s' (only UDP and TCP)", q);
}

/* RFC 8839 §5.1: priority = 1*10DIGIT. The RFC says 1 to 2^31-1; like
 * libwebrtc we take any value that fits 32 bits. */
static rtc_error parse_priority(token t,
                                rtc_candidate* out,
                                rtc_error_info* info) {
  uint64_t v;
  if (!parse_number(t, 10, UINT32_MAX, &v)) {
    char q[QUOTE_MAX + 4];
    quote(t, q);
    return rtc_error_set(info, RTC_ERR_SYNTAX,
                         "priority '%s' is not a number from 0 to 4294967295",
                         q);
  }
  out->priority = (uint32_t)v;
  return RTC_OK;
}

/* RFC 4566 §9: port = 1*DIGIT, here at most 65535. */
static rtc_error parse_port(token t,
                            const char* what,
                            uint16_t* port,
                            rtc_error_info* info) {
  uint64_t v;
  if (!parse_number(t, 5, 65535, &v)) {
    char q[QUOTE_MAX + 4];
    quote(t, q);
    return rtc_error_set(info, RTC_ERR_SYNTAX,
                         "%s '%s' is not a number from 0 to 65535", what, q);
  }
  *port = (uint16_t)v;
  return RTC_OK;
}

/* A host name (RFC 1123 §2.1, RFC 3696 §2): labels of letters, digits and
 * hyphens, 1 to 63 long, not starting or ending with a hyphen, at most 253
 * in all, the last label not all digits. Returns NULL when valid, else
 * what is wrong. */
static const char* hostname_problem(token t) {
  if (t.len > RTC_CANDIDATE_MAX_HOSTNAME)
    return "is longer than 253 characters";
  size_t label_start = 0;
  bool all_digits = true;
  for (size_t i = 0; i <= t.len; i++) {
    if (i == t.len || t.p[i] == '.') {
      size_t label_len = i - label_start;
      if (label_len == 0)
        return "has an empty label";
      if (label_len > 63)
        return "has a label longer than 63 characters";
      if (t.p[label_start] == '-' || t.p[i - 1] == '-')
        return "has a label that starts or ends with '-'";
      if (i == t.len && all_digits)
        return "ends with an all-numeric label";
      label_start = i + 1;
      all_digits = true;
      continue;
    }
    char ch = t.p[i];
    if (!is_alpha(ch) && !is_digit(ch) && ch != '-')
      return "has a character other than letters, digits, '-' and '.'";
    if (!is_digit(ch))
      all_digits = false;
  }
  return NULL;
}

/* RFC 8839 §5.1: connection-address (RFC 4566 §9) is an IPv4 address, an
 * IPv6 address (told apart by the colon, written bare) or an FQDN. An IP
 * goes to `addr`; a name to `hostname` with `addr` left unspecified. */
static rtc_error parse_connection_address(token t,
                                          const char* what,
                                          rtc_socket_address* addr,
                                          char* hostname,
                                          rtc_error_info* info) {
  char q[QUOTE_MAX + 4];
  quote(t, q);
  if (memchr(t.p, ':', t.len)) {
    /* IPv6: RFC 4566 has neither brackets nor a zone index (RFC 6874);
     * a zone names one of the sender's interfaces, useless to us. */
    if (memchr(t.p, '%', t.len)) {
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "%s '%s' has an IPv6 zone index, which candidates "
                           "do not carry",
                           what, q);
    }
    if (t.p[0] == '[') {
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "%s '%s' is bracketed; candidates write IPv6 "
                           "addresses bare",
                           what, q);
    }
    if (rtc_ip_address_parse(t.p, t.len, addr) != RTC_OK ||
        addr->family != RTC_AF_INET6) {
      rtc_socket_address_clear(addr);
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "%s '%s' is not a valid IPv6 address", what, q);
    }
    return RTC_OK;
  }
  bool dotted_digits = true;
  for (size_t i = 0; i < t.len; i++) {
    if (!is_digit(t.p[i]) && t.p[i] != '.')
      dotted_digits = false;
  }
  if (dotted_digits) {
    if (rtc_ip_address_parse(t.p, t.len, addr) != RTC_OK ||
        addr->family != RTC_AF_INET) {
      rtc_socket_address_clear(addr);
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "%s '%s' is not a valid IPv4 address", what, q);
    }
    return RTC_OK;
  }
  const char* problem = hostname_problem(t);
  if (problem) {
    return rtc_error_set(info, RTC_ERR_SYNTAX,
                         "%s '%s' is not an IP address, and as a host name it "
                         "%s",
                         what, q, problem);
  }
  rtc_socket_address_clear(addr);
  memcpy(hostname, t.p, t.len);
  hostname[t.len] = '\0';
  return RTC_OK;
}

/* RFC 8839 §5.1: cand-type = "typ" SP candidate-types */
static rtc_error parse_type(token t, rtc_candidate* out, rtc_error_info* info) {
  static const struct {
    const char* name;
    rtc_candidate_type type;
  } kTypes[] = {
      {"host", RTC_CANDIDATE_HOST},
      {"srflx", RTC_CANDIDATE_SRFLX},
      {"prflx", RTC_CANDIDATE_PRFLX},
      {"relay", RTC_CANDIDATE_RELAY},
  };
  for (size_t i = 0; i < sizeof(kTypes) / sizeof(kTypes[0]); i++) {
    if (token_is(t, kTypes[i].name)) {
      out->type = kTypes[i].type;
      return RTC_OK;
    }
  }
  char q[QUOTE_MAX + 4];
  quote(t, q);
  return rtc_error_set(info, RTC_ERR_SYNTAX,
                       "unknown candidate type '%s' (host, srflx, prflx or "
                       "relay)",
                       q);
}

/* A non-negative int32 extension value (generation, network-id,
 * network-cost); `*field` is -1 until set. */
static rtc_error parse_int_extension(token name,
                                     token value,
                                     int32_t* field,
                                     rtc_error_info* info) {
  char qn[QUOTE_MAX + 4];
  quote(name, qn);
  if (*field >= 0) {
    return rtc_error_set(info, RTC_ERR_SYNTAX, "'%s' appears more than once",
                         qn);
  }
  uint64_t v;
  if (!parse_number(value, 10, INT32_MAX, &v)) {
    char qv[QUOTE_MAX + 4];
    quote(value, qv);
    return rtc_error_set(info, RTC_ERR_SYNTAX,
                         "%s '%s' is not a number from 0 to 2147483647", qn,
                         qv);
  }
  *field = (int32_t)v;
  return RTC_OK;
}

/* RFC 8839 §5.1: cand-extension = extension-att-name SP
 * extension-att-value, with extension-att-name = token and
 * extension-att-value = *VCHAR. Known ones go to their fields; the rest are
 * kept as " name value". */
static rtc_error parse_extension(token name,
                                 token value,
                                 rtc_candidate* out,
                                 rtc_error_info* info) {
  char qn[QUOTE_MAX + 4];
  char qv[QUOTE_MAX + 4];
  quote(name, qn);
  quote(value, qv);
  for (size_t i = 0; i < name.len; i++) {
    if (!is_token_char(name.p[i])) {
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "extension name '%s' has a character not allowed "
                           "in a token at position %zu",
                           qn, i);
    }
  }
  for (size_t i = 0; i < value.len; i++) {
    if (!is_vchar(value.p[i])) {
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "value '%s' of extension '%s' has a byte that is "
                           "not a visible character at position %zu",
                           qv, qn, i);
    }
  }
  /* RFC 8839 §5.1: rel-addr and rel-port come right after cand-type, and
   * cand-type once; anywhere else they are mistakes, not extensions. */
  if (token_is(name, "raddr") || token_is(name, "rport") ||
      token_is(name, "typ")) {
    return rtc_error_set(info, RTC_ERR_SYNTAX,
                         "'%s' is only allowed once, right after the %s", qn,
                         token_is(name, "typ") ? "port" : "candidate type");
  }
  /* RFC 6544 §4.5: "tcptype" SP tcp-type, tcp-type = "active" / "passive"
   * / "so". */
  if (token_is(name, "tcptype")) {
    if (out->tcp_type != RTC_TCP_TYPE_NONE)
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "'tcptype' appears more than once");
    if (token_is(value, "active")) {
      out->tcp_type = RTC_TCP_TYPE_ACTIVE;
    } else if (token_is(value, "passive")) {
      out->tcp_type = RTC_TCP_TYPE_PASSIVE;
    } else if (token_is(value, "so")) {
      out->tcp_type = RTC_TCP_TYPE_SO;
    } else {
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "tcptype '%s' is not active, passive or so", qv);
    }
    return RTC_OK;
  }
  /* The extensions libwebrtc writes (and reads): generation, ufrag,
   * network-id, network-cost. */
  if (token_is(name, "generation"))
    return parse_int_extension(name, value, &out->generation, info);
  if (token_is(name, "network-id"))
    return parse_int_extension(name, value, &out->network_id, info);
  if (token_is(name, "network-cost"))
    return parse_int_extension(name, value, &out->network_cost, info);
  if (token_is(name, "ufrag")) {
    if (out->ufrag[0] != '\0')
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "'ufrag' appears more than once");
    /* RFC 8839 §5.4: ufrag = 4*256ice-char; the short ones some stacks
     * send are accepted, since only a match with ice-ufrag matters. */
    if (value.len > RTC_CANDIDATE_MAX_UFRAG) {
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "ufrag '%s' is %zu characters long, more than %d",
                           qv, value.len, RTC_CANDIDATE_MAX_UFRAG);
    }
    for (size_t i = 0; i < value.len; i++) {
      if (!is_ice_char(value.p[i])) {
        return rtc_error_set(info, RTC_ERR_SYNTAX,
                             "ufrag '%s' has a character other than letters, "
                             "digits, '+' and '/' at position %zu",
                             qv, i);
      }
    }
    memcpy(out->ufrag, value.p, value.len);
    out->ufrag[value.len] = '\0';
    return RTC_OK;
  }
  /* RFC 8839 §5.1: "An implementation MUST ignore any name/value pairs it
   * doesn't understand": kept, to be serialized back. */
  size_t used = strlen(out->extensions);
  size_t need = 1 + name.len + 1 + value.len;
  if (need > RTC_CANDIDATE_MAX_EXTENSIONS - used) {
    return rtc_error_set(info, RTC_ERR_SYNTAX,
                         "unknown extensions take more than %d bytes (at '%s')",
                         RTC_CANDIDATE_MAX_EXTENSIONS, qn);
  }
  char* dst = out->extensions + used;
  *dst++ = ' ';
  memcpy(dst, name.p, name.len);
  dst += name.len;
  *dst++ = ' ';
  memcpy(dst, value.p, value.len);
  dst += value.len;
  *dst = '\0';
  return RTC_OK;
}

static bool is_trailing_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static bool has_prefix(const char* text, size_t len, const char* prefix) {
  size_t n = strlen(prefix);
  return len >= n && memcmp(text, prefix, n) == 0;
}

static rtc_error parse_candidate(const char* text,
                                 size_t len,
                                 rtc_candidate* out,
                                 rtc_error_info* info) {
  const char* nul = memchr(text, '\0', len);
  if (nul) {
    return rtc_error_set(info, RTC_ERR_SYNTAX, "NUL byte at offset %zu",
                         (size_t)(nul - text));
  }
  while (len > 0 && is_trailing_space(text[len - 1]))
    len--;
  /* RFC 4566 §5.13: the SDP line is "a=candidate:<value>"; webrtc-pc's
   * RTCIceCandidate.candidate is "candidate:<value>". */
  if (has_prefix(text, len, "a=")) {
    text += 2;
    len -= 2;
    if (!has_prefix(text, len, "candidate:")) {
      return rtc_error_set(info, RTC_ERR_SYNTAX,
                           "an SDP line that is not a=candidate:");
    }
  }
  if (has_prefix(text, len, "candidate:")) {
    text += 10;
    len -= 10;
  }
  if (len == 0)
    return rtc_error_set(info, RTC_ERR_SYNTAX, "empty candidate");
  if (len > RTC_CANDIDATE_MAX_LENGTH) {
    return rtc_error_set(info, RTC_ERR_SYNTAX,
                         "candidate is %zu bytes long, more than %d", len,
                         RTC_CANDIDATE_MAX_LENGTH);
  }

  cursor cur = {text, len, 0, false};
  token t;
  rtc_error err;
#define NEXT(what)                            \
  do {                                        \
    err = next_token(&cur, (what), &t, info); \
    if (err != RTC_OK)                        \
      return err;                             \
  } while (0)
#define TRY(expr)      \
  do {                 \
    err = (expr);      \
    if (err != RTC_OK) \
      return err;      \
  } while (0)

  /* RFC 8839 §5.1: foundation SP component-id SP transport SP priority SP
   * connection-address SP port SP cand-type */
  NEXT("foundation");
  TRY(parse_foundation(t, out, info));
  NEXT("component-id");
  TRY(parse_component(t, out, info));
  NEXT("transport");
  TRY(parse_transport(t, out, info));
  NEXT("priority");
  TRY(parse_priority(t, out, info));
  NEXT("connection address");
  TRY(parse_connection_address(t, "connection address", &out->address,
                               out->hostname, info));
  NEXT("port");
  TRY(parse_port(t, "port", &out->address.port, info));
  NEXT("'typ'");
  if (!token_is(t, "typ")) {
    char q[QUOTE_MAX + 4];
    quote(t, q);
    return rtc_error_set(info, RTC_ERR_SYNTAX,
                         "expected 'typ' after the port, found '%s'", q);
  }
  NEXT("candidate type");
  TRY(parse_type(t, out, info));

  /* RFC 8839 §5.1: [SP rel-addr] [SP rel-port], rel-addr = "raddr" SP
   * connection-address, rel-port = "rport" SP port. Like every stack we
   * take them as a pair, in this order, whatever the candidate type. */
  if (peek_is(&cur, "rport"))
    return rtc_error_set(info, RTC_ERR_SYNTAX, "rport without raddr");
  if (peek_is(&cur, "raddr")) {
    NEXT("raddr");
    NEXT("related address");
    TRY(parse_connection_address(t, "related address", &out->related_address,
                                 out->related_hostname, info));
    if (!peek_is(&cur, "rport"))
      return rtc_error_set(info, RTC_ERR_SYNTAX, "raddr without rport");
    NEXT("rport");
    NEXT("related port");
    TRY(parse_port(t, "related port", &out->related_address.port, info));
    out->has_related = true;
  }

  /* RFC 8839 §5.1: *(SP cand-extension) */
  while (!at_end(&cur)) {
    NEXT("extension name");
    token name = t;
    if (at_end(&cur)) {
      char q[QUOTE_MAX + 4];
      quote(name, q);
      return rtc_error_set(info, RTC_ERR_SYNTAX, "extension '%s' has no value",
                           q);
    }
    NEXT("extension value");
    TRY(parse_extension(name, t, out, info));
  }
#undef NEXT
#undef TRY

  /* RFC 6544 §4.5: tcptype belongs to TCP candidates. */
  if (out->tcp_type != RTC_TCP_TYPE_NONE &&
      out->protocol != RTC_ICE_PROTOCOL_TCP) {
    return rtc_error_set(info, RTC_ERR_SYNTAX,
                         "tcptype on a candidate whose transport is not TCP");
  }
  return RTC_OK;
}

rtc_error rtc_candidate_parse(const char* text,
                              size_t len,
                              rtc_candidate* out,
                              rtc_error_info* info) {
  RTC_DCHECK(out != NULL);
  RTC_DCHECK(text != NULL || len == 0);
  rtc_candidate_init(out);
  if (text == NULL)
    return rtc_error_set(info, RTC_ERR_SYNTAX, "empty candidate");
  rtc_error err = parse_candidate(text, len, out, info);
  if (err != RTC_OK)
    rtc_candidate_init(out);
  return err;
}

/* ---------------------------------------------------------------------- */
/* Formatting                                                             */

/* Appends to buf as snprintf would: what fits, always NUL-terminated when
 * size > 0, counting the full length. */
typedef struct writer {
  char* buf;
  size_t size;
  size_t len;
} writer;

static void put(writer* w, const char* s, size_t n) {
  if (w->size > 0 && w->len < w->size - 1) {
    size_t room = w->size - 1 - w->len;
    memcpy(w->buf + w->len, s, n < room ? n : room);
  }
  w->len += n;
}

static void put_str(writer* w, const char* s) {
  put(w, s, strlen(s));
}

/* A char array field that should hold a string; never reads past it. */
static void put_field(writer* w, const char* field, size_t field_size) {
  put(w, field, strnlen(field, field_size));
}

static void put_u64(writer* w, uint64_t v) {
  char digits[24];
  int n = snprintf(digits, sizeof(digits), "%" PRIu64, v);
  if (n > 0)
    put(w, digits, (size_t)n);
}

/* A host name when there is one, else the IP without its zone (which only
 * means something to the host that wrote it). An address without either is
 * written 0.0.0.0, RFC 8839 §5.1's stand-in for an address not revealed. */
static void put_address(writer* w,
                        const rtc_socket_address* addr,
                        const char* hostname,
                        size_t hostname_size) {
  if (strnlen(hostname, hostname_size) > 0) {
    put_field(w, hostname, hostname_size);
    return;
  }
  if (addr->family != RTC_AF_INET && addr->family != RTC_AF_INET6) {
    put_str(w, "0.0.0.0");
    return;
  }
  rtc_socket_address bare = *addr;
  bare.scope_id = 0;
  char ip[RTC_SOCKET_ADDRESS_STRLEN];
  size_t n = rtc_ip_address_format(&bare, ip, sizeof(ip));
  RTC_CHECK(n < sizeof(ip));
  put(w, ip, n);
}

size_t rtc_candidate_format(const rtc_candidate* c, char* buf, size_t size) {
  RTC_DCHECK(c != NULL);
  RTC_DCHECK(buf != NULL || size == 0);
  writer w = {buf, size, 0};
  /* The order libwebrtc writes (and that Firefox, aiortc, werift and
   * libdatachannel follow for the fields they have): RFC 8839 §5.1 fields,
   * RFC 6544 tcptype, then extensions. */
  put_str(&w, "candidate:");
  put_field(&w, c->foundation, sizeof(c->foundation));
  put_str(&w, " ");
  put_u64(&w, c->component);
  put_str(&w, " ");
  put_str(&w, rtc_ice_protocol_name(c->protocol));
  put_str(&w, " ");
  put_u64(&w, c->priority);
  put_str(&w, " ");
  put_address(&w, &c->address, c->hostname, sizeof(c->hostname));
  put_str(&w, " ");
  put_u64(&w, c->address.port);
  put_str(&w, " typ ");
  put_str(&w, rtc_candidate_type_name(c->type));
  if (c->has_related) {
    put_str(&w, " raddr ");
    put_address(&w, &c->related_address, c->related_hostname,
                sizeof(c->related_hostname));
    put_str(&w, " rport ");
    put_u64(&w, c->related_address.port);
  }
  if (c->tcp_type != RTC_TCP_TYPE_NONE) {
    put_str(&w, " tcptype ");
    put_str(&w, rtc_tcp_type_name(c->tcp_type));
  }
  if (c->generation >= 0) {
    put_str(&w, " generation ");
    put_u64(&w, (uint64_t)c->generation);
  }
  if (strnlen(c->ufrag, sizeof(c->ufrag)) > 0) {
    put_str(&w, " ufrag ");
    put_field(&w, c->ufrag, sizeof(c->ufrag));
  }
  if (c->network_id >= 0) {
    put_str(&w, " network-id ");
    put_u64(&w, (uint64_t)c->network_id);
  }
  if (c->network_cost >= 0) {
    put_str(&w, " network-cost ");
    put_u64(&w, (uint64_t)c->network_cost);
  }
  put_field(&w, c->extensions, sizeof(c->extensions));
  if (size > 0)
    buf[w.len < size ? w.len : size - 1] = '\0';
  return w.len;
}

/* draft-ietf-mmusic-mdns-ice-candidates §3.1.1: the name is
 * "<uuid>.local". */
bool rtc_candidate_is_mdns(const rtc_candidate* c) {
  static const char kSuffix[] = ".local";
  const size_t suffix_len = sizeof(kSuffix) - 1;
  size_t n = strnlen(c->hostname, sizeof(c->hostname));
  if (n <= suffix_len)
    return false;
  const char* tail = c->hostname + n - suffix_len;
  for (size_t i = 0; i < suffix_len; i++) {
    if (ascii_lower(tail[i]) != kSuffix[i])
      return false;
  }
  return true;
}

/* ---------------------------------------------------------------------- */
/* Priorities and foundations                                             */

/* RFC 8445 §5.1.2.2: "The RECOMMENDED values for type preferences are 126
 * for host candidates, 110 for peer-reflexive candidates, 100 for
 * server-reflexive candidates, and 0 for relayed candidates." */
uint32_t rtc_candidate_type_preference(rtc_candidate_type type) {
  switch (type) {
    case RTC_CANDIDATE_HOST:
      return 126;
    case RTC_CANDIDATE_PRFLX:
      return 110;
    case RTC_CANDIDATE_SRFLX:
      return 100;
    case RTC_CANDIDATE_RELAY:
      return 0;
  }
  return 0;
}

/* RFC 8445 §5.1.2.1: priority = (2^24)*(type preference) + (2^8)*(local
 * preference) + (2^0)*(256 - component ID). Out-of-range arguments are
 * clamped (local preference to 65535, component to 1..256) so that one
 * field never spills into another. */
uint32_t rtc_candidate_priority(rtc_candidate_type type,
                                uint32_t local_preference,
                                uint32_t component) {
  if (local_preference > 65535)
    local_preference = 65535;
  if (component < 1)
    component = 1;
  if (component > 256)
    component = 256;
  return (rtc_candidate_type_preference(type) << 24) + (local_preference << 8) +
         (256 - component);
}

typedef struct fnv1a {
  uint32_t h;
} fnv1a;

static void fnv_byte(fnv1a* f, uint8_t b) {
  f->h = (f->h ^ b) * 16777619u;
}

static void fnv_u32(fnv1a* f, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    fnv_byte(f, (uint8_t)(v >> shift));
}

/* Family, address bytes and scope: what rtc_ip_address_equal compares. */
static void fnv_ip(fnv1a* f, const rtc_socket_address* a) {
  size_t n = a->family == RTC_AF_INET ? 4 : a->family == RTC_AF_INET6 ? 16 : 0;
  fnv_byte(f, (uint8_t)a->family);
  for (size_t i = 0; i < n; i++)
    fnv_byte(f, a->addr[i]);
  fnv_u32(f, a->scope_id);
}

/* RFC 8445 §5.1.1.3: "the same foundation [for] two candidates [that]
 * have the same type, base IP address, protocol (UDP, TCP, etc.), and
 * STUN or TURN server". A 32-bit FNV-1a hash of a fixed-layout encoding of
 * exactly those, written in decimal like Chrome's CRC32-based
 * foundations. Distinct inputs can collide in principle (2^-32 per pair);
 * a collision only makes ICE unfreeze two pairs together. */
void rtc_candidate_foundation(rtc_candidate_type type,
                              rtc_ice_protocol protocol,
                              const rtc_socket_address* base,
                              const rtc_socket_address* server,
                              char out[RTC_CANDIDATE_MAX_FOUNDATION + 1]) {
  RTC_DCHECK(base != NULL);
  fnv1a f = {2166136261u};
  fnv_u32(&f, (uint32_t)type);
  fnv_u32(&f, (uint32_t)protocol);
  fnv_ip(&f, base); /* the base's port plays no part */
  if (server) {
    fnv_byte(&f, 1);
    fnv_ip(&f, server);
    fnv_byte(&f, (uint8_t)(server->port >> 8));
    fnv_byte(&f, (uint8_t)server->port);
  } else {
    fnv_byte(&f, 0);
  }
  int n = snprintf(out, RTC_CANDIDATE_MAX_FOUNDATION + 1, "%" PRIu32, f.h);
  RTC_CHECK(n > 0 && n <= 10);
}

/* RFC 8445 §6.1.2.3: pair priority = 2^32*MIN(G,D) + 2*MAX(G,D) +
 * (G>D?1:0). Candidate priorities are at most 2^31-1 (RFC 8839 §5.1), for
 * which this fits 64 bits; the one larger input that would not
 * (G = D = 2^32-1) saturates to UINT64_MAX instead of wrapping. */
uint64_t rtc_candidate_pair_priority(uint32_t controlling_priority,
                                     uint32_t controlled_priority) {
  uint64_t g = controlling_priority;
  uint64_t d = controlled_priority;
  uint64_t high = (g < d ? g : d) << 32;
  uint64_t low = 2 * (g > d ? g : d) + (g > d ? 1 : 0);
  if (high > UINT64_MAX - low)
    return UINT64_MAX;
  return high + low;
}
