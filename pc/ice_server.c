#include "pc/ice_server.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool starts_with_ci(const char* s, const char* prefix) {
  return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* A DNS name (RFC 1123 §2.1): labels of 1..63 letters, digits and '-',
 * not starting or ending with '-', separated by dots. */
static bool valid_hostname(const char* host, size_t len) {
  if (len == 0 || len > RTC_ICE_URL_MAX_HOST)
    return false;
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && host[i] != '.') {
      char c = host[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-'))
        return false;
      continue;
    }
    size_t label = i - start;
    if (label == 0 || label > 63 || host[start] == '-' || host[i - 1] == '-')
      return false;
    start = i + 1;
  }
  return true;
}

static bool parse_port(const char* s, size_t len, uint16_t* out) {
  if (len == 0 || len > 5)
    return false;
  uint32_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (uint32_t)(s[i] - '0');
  }
  if (v == 0 || v > 65535)
    return false;
  *out = (uint16_t)v;
  return true;
}

rtc_error rtc_ice_url_parse(const char* url, rtc_ice_url* out) {
  memset(out, 0, sizeof(*out));
  if (!url)
    return RTC_ERR_SYNTAX;
  /* RFC 7064 §3.1 / RFC 7065 §3.1: scheme ":" host [":" port]
   * (turn: ["?transport=" ...]). */
  const char* p;
  if (starts_with_ci(url, "stuns:")) {
    out->scheme = RTC_ICE_URL_STUNS;
    p = url + 6;
  } else if (starts_with_ci(url, "stun:")) {
    out->scheme = RTC_ICE_URL_STUN;
    p = url + 5;
  } else if (starts_with_ci(url, "turns:")) {
    out->scheme = RTC_ICE_URL_TURNS;
    p = url + 6;
  } else if (starts_with_ci(url, "turn:")) {
    out->scheme = RTC_ICE_URL_TURN;
    p = url + 5;
  } else {
    /* webrtc-pc, validate an ICE server URL, step 2: "If any of the
     * following conditions apply, then throw a SyntaxError: ...
     * parsedURL's scheme is neither "stun", "stuns", "turn", nor
     * "turns"". */
    return RTC_ERR_SYNTAX;
  }
  bool secure =
      out->scheme == RTC_ICE_URL_STUNS || out->scheme == RTC_ICE_URL_TURNS;
  out->port = secure ? 5349 : 3478;

  const char* query = strchr(p, '?');
  size_t authority_len = query ? (size_t)(query - p) : strlen(p);
  if (query) {
    /* Only turn/turns take a query, and only ?transport=udp|tcp. */
    if (!rtc_ice_url_is_turn(out))
      return RTC_ERR_SYNTAX;
    if (strcasecmp(query, "?transport=udp") == 0)
      out->transport = RTC_ICE_URL_TRANSPORT_UDP;
    else if (strcasecmp(query, "?transport=tcp") == 0)
      out->transport = RTC_ICE_URL_TRANSPORT_TCP;
    else
      return RTC_ERR_SYNTAX;
  }
  const char* host = p;
  size_t host_len;
  const char* port = NULL;
  size_t port_len = 0;
  if (authority_len > 0 && host[0] == '[') {
    const char* close = memchr(host, ']', authority_len);
    if (!close)
      return RTC_ERR_SYNTAX;
    host++;
    host_len = (size_t)(close - host);
    size_t rest = authority_len - (size_t)(close + 1 - p);
    if (rest > 0) {
      if (close[1] != ':')
        return RTC_ERR_SYNTAX;
      port = close + 2;
      port_len = rest - 1;
    }
    if (rtc_ip_address_parse(host, host_len, &out->address) != RTC_OK ||
        out->address.family != RTC_AF_INET6)
      return RTC_ERR_SYNTAX;
    out->host_is_ip = true;
  } else {
    const char* colon = memchr(host, ':', authority_len);
    host_len = colon ? (size_t)(colon - host) : authority_len;
    if (colon) {
      port = colon + 1;
      port_len = authority_len - host_len - 1;
    }
    if (rtc_ip_address_parse(host, host_len, &out->address) == RTC_OK)
      out->host_is_ip = true;
    else if (!valid_hostname(host, host_len))
      return RTC_ERR_SYNTAX;
  }
  if (port && !parse_port(port, port_len, &out->port))
    return RTC_ERR_SYNTAX;
  if (host_len > RTC_ICE_URL_MAX_HOST)
    return RTC_ERR_SYNTAX;
  memcpy(out->host, host, host_len);
  out->host[host_len] = '\0';
  out->address.port = out->port;
  return RTC_OK;
}

bool rtc_ice_url_is_turn(const rtc_ice_url* url) {
  return url->scheme == RTC_ICE_URL_TURN || url->scheme == RTC_ICE_URL_TURNS;
}
