#include "rtc_base/socket_address.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "rtc_base/checks.h"

static const uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0,    0,
                                            0, 0, 0, 0, 0xff, 0xff};

void rtc_socket_address_clear(rtc_socket_address* addr) {
  memset(addr, 0, sizeof(*addr));
}

void rtc_socket_address_set_ipv4(rtc_socket_address* addr,
                                 uint32_t ipv4,
                                 uint16_t port) {
  rtc_socket_address_clear(addr);
  addr->family = RTC_AF_INET;
  addr->port = port;
  addr->addr[0] = (uint8_t)(ipv4 >> 24);
  addr->addr[1] = (uint8_t)(ipv4 >> 16);
  addr->addr[2] = (uint8_t)(ipv4 >> 8);
  addr->addr[3] = (uint8_t)ipv4;
}

void rtc_socket_address_set_ipv6(rtc_socket_address* addr,
                                 const uint8_t bytes[16],
                                 uint16_t port,
                                 uint32_t scope_id) {
  rtc_socket_address_clear(addr);
  addr->family = RTC_AF_INET6;
  addr->port = port;
  addr->scope_id = scope_id;
  memcpy(addr->addr, bytes, 16);
}

uint32_t rtc_socket_address_ipv4(const rtc_socket_address* addr) {
  if (addr->family != RTC_AF_INET)
    return 0;
  return (uint32_t)addr->addr[0] << 24 | (uint32_t)addr->addr[1] << 16 |
         (uint32_t)addr->addr[2] << 8 | addr->addr[3];
}

/* 1 to 5 decimal digits, at most 65535. */
static bool parse_port(const char* s, size_t len, uint16_t* out) {
  if (len == 0 || len > 5)
    return false;
  uint32_t port = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    port = port * 10 + (uint32_t)(s[i] - '0');
  }
  if (port > 65535)
    return false;
  *out = (uint16_t)port;
  return true;
}

/* An interface index (decimal, 1 to UINT32_MAX) or an interface name. */
static bool parse_scope(const char* s, size_t len, uint32_t* out) {
  if (len == 0 || len >= IF_NAMESIZE)
    return false;
  bool numeric = true;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      numeric = false;
    if (s[i] == '\0' || s[i] == '/' || s[i] == '%' || s[i] == ']' ||
        s[i] == '[' || s[i] == ':')
      return false;
  }
  if (numeric) {
    if (len > 10)
      return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++)
      v = v * 10 + (uint64_t)(s[i] - '0');
    if (v == 0 || v > UINT32_MAX)
      return false;
    *out = (uint32_t)v;
    return true;
  }
  char name[IF_NAMESIZE];
  memcpy(name, s, len);
  name[len] = '\0';
  unsigned index = if_nametoindex(name);
  if (index == 0)
    return false;
  *out = index;
  return true;
}

rtc_error rtc_ip_address_parse(const char* text,
                               size_t len,
                               rtc_socket_address* out) {
  rtc_socket_address_clear(out);
  /* The longest valid form is an IPv6 address with an interface name. */
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
  if (len == 0 || len >= sizeof(buf) || memchr(text, '\0', len))
    return RTC_ERR_SYNTAX;
  const char* percent = memchr(text, '%', len);
  size_t addr_len = percent ? (size_t)(percent - text) : len;
  if (addr_len >= INET6_ADDRSTRLEN)
    return RTC_ERR_SYNTAX;
  memcpy(buf, text, addr_len);
  buf[addr_len] = '\0';
  if (!memchr(buf, ':', addr_len)) {
    if (percent || inet_pton(AF_INET, buf, out->addr) != 1)
      goto fail;
    out->family = RTC_AF_INET;
    return RTC_OK;
  }
  if (inet_pton(AF_INET6, buf, out->addr) != 1)
    goto fail;
  if (percent && !parse_scope(percent + 1, len - addr_len - 1, &out->scope_id))
    goto fail;
  out->family = RTC_AF_INET6;
  return RTC_OK;

fail:
  rtc_socket_address_clear(out);
  return RTC_ERR_SYNTAX;
}

rtc_error rtc_socket_address_parse(const char* text,
                                   size_t len,
                                   rtc_socket_address* out) {
  rtc_socket_address_clear(out);
  if (len == 0)
    return RTC_ERR_SYNTAX;
  const char* host = text;
  size_t host_len = len;
  const char* port = NULL;
  size_t port_len = 0;
  if (text[0] == '[') {
    /* "[v6]" or "[v6]:port" */
    const char* close = memchr(text, ']', len);
    if (!close)
      return RTC_ERR_SYNTAX;
    host = text + 1;
    host_len = (size_t)(close - host);
    size_t rest = len - (size_t)(close - text) - 1;
    if (rest > 0) {
      if (close[1] != ':')
        return RTC_ERR_SYNTAX;
      port = close + 2;
      port_len = rest - 1;
    }
    if (!memchr(host, ':', host_len))
      return RTC_ERR_SYNTAX; /* brackets are for IPv6 only */
  } else {
    const char* colon = memchr(text, ':', len);
    if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - text) - 1)) {
      /* One colon: "v4:port". */
      host_len = (size_t)(colon - text);
      port = colon + 1;
      port_len = len - host_len - 1;
    }
  }
  rtc_error err = rtc_ip_address_parse(host, host_len, out);
  if (err != RTC_OK)
    return err;
  if (port && !parse_port(port, port_len, &out->port)) {
    rtc_socket_address_clear(out);
    return RTC_ERR_SYNTAX;
  }
  return RTC_OK;
}

size_t rtc_ip_address_format(const rtc_socket_address* addr,
                             char* buf,
                             size_t size) {
  char text[INET6_ADDRSTRLEN + 12];
  switch (addr->family) {
    case RTC_AF_INET:
      RTC_CHECK(inet_ntop(AF_INET, addr->addr, text, sizeof(text)));
      break;
    case RTC_AF_INET6: {
      RTC_CHECK(inet_ntop(AF_INET6, addr->addr, text, INET6_ADDRSTRLEN));
      if (addr->scope_id) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof(text) - used, "%%%u",
                 (unsigned)addr->scope_id);
      }
      break;
    }
    default:
      snprintf(text, sizeof(text), "(unspecified)");
      break;
  }
  int n = snprintf(buf, size, "%s", text);
  return n < 0 ? 0 : (size_t)n;
}

size_t rtc_socket_address_format(const rtc_socket_address* addr,
                                 char* buf,
                                 size_t size) {
  char ip[INET6_ADDRSTRLEN + 12];
  rtc_ip_address_format(addr, ip, sizeof(ip));
  int n;
  if (addr->family == RTC_AF_INET6)
    n = snprintf(buf, size, "[%s]:%u", ip, (unsigned)addr->port);
  else if (addr->family == RTC_AF_INET)
    n = snprintf(buf, size, "%s:%u", ip, (unsigned)addr->port);
  else
    n = snprintf(buf, size, "%s", ip);
  return n < 0 ? 0 : (size_t)n;
}

rtc_error rtc_socket_address_from_sockaddr(const struct sockaddr* sa,
                                           socklen_t len,
                                           rtc_socket_address* out) {
  rtc_socket_address_clear(out);
  if (!sa || len < (socklen_t)sizeof(sa_family_t))
    return RTC_ERR_INVALID_ARGUMENT;
  if (sa->sa_family == AF_INET &&
      len >= (socklen_t)sizeof(struct sockaddr_in)) {
    struct sockaddr_in sin;
    memcpy(&sin, sa, sizeof(sin));
    out->family = RTC_AF_INET;
    out->port = ntohs(sin.sin_port);
    memcpy(out->addr, &sin.sin_addr, 4);
    return RTC_OK;
  }
  if (sa->sa_family == AF_INET6 &&
      len >= (socklen_t)sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 sin6;
    memcpy(&sin6, sa, sizeof(sin6));
    out->family = RTC_AF_INET6;
    out->port = ntohs(sin6.sin6_port);
    out->scope_id = sin6.sin6_scope_id;
    memcpy(out->addr, &sin6.sin6_addr, 16);
    return RTC_OK;
  }
  return RTC_ERR_INVALID_ARGUMENT;
}

socklen_t rtc_socket_address_to_sockaddr(const rtc_socket_address* addr,
                                         struct sockaddr_storage* out) {
  memset(out, 0, sizeof(*out));
  if (addr->family == RTC_AF_INET) {
    struct sockaddr_in* sin = (struct sockaddr_in*)out;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(addr->port);
    memcpy(&sin->sin_addr, addr->addr, 4);
    return sizeof(*sin);
  }
  if (addr->family == RTC_AF_INET6) {
    struct sockaddr_in6* sin6 = (struct sockaddr_in6*)out;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(addr->port);
    sin6->sin6_scope_id = addr->scope_id;
    memcpy(&sin6->sin6_addr, addr->addr, 16);
    return sizeof(*sin6);
  }
  return 0;
}

static size_t addr_len(const rtc_socket_address* addr) {
  return addr->family == RTC_AF_INET    ? 4
         : addr->family == RTC_AF_INET6 ? 16
                                        : 0;
}

int rtc_socket_address_compare(const rtc_socket_address* a,
                               const rtc_socket_address* b) {
  if (a->family != b->family)
    return a->family < b->family ? -1 : 1;
  int c = memcmp(a->addr, b->addr, addr_len(a));
  if (c != 0)
    return c < 0 ? -1 : 1;
  if (a->scope_id != b->scope_id)
    return a->scope_id < b->scope_id ? -1 : 1;
  if (a->port != b->port)
    return a->port < b->port ? -1 : 1;
  return 0;
}

bool rtc_ip_address_equal(const rtc_socket_address* a,
                          const rtc_socket_address* b) {
  return a->family == b->family && a->scope_id == b->scope_id &&
         memcmp(a->addr, b->addr, addr_len(a)) == 0;
}

bool rtc_socket_address_equal(const rtc_socket_address* a,
                              const rtc_socket_address* b) {
  return rtc_ip_address_equal(a, b) && a->port == b->port;
}

uint32_t rtc_socket_address_hash(const rtc_socket_address* addr) {
  /* FNV-1a over the fields that equality compares. */
  uint32_t h = 2166136261u;
#define MIX(byte) (h = (h ^ (uint8_t)(byte)) * 16777619u)
  MIX(addr->family);
  for (size_t i = 0; i < addr_len(addr); i++)
    MIX(addr->addr[i]);
  for (int i = 0; i < 32; i += 8)
    MIX(addr->scope_id >> i);
  MIX(addr->port >> 8);
  MIX(addr->port);
#undef MIX
  return h;
}

bool rtc_socket_address_is_v4_mapped(const rtc_socket_address* addr) {
  return addr->family == RTC_AF_INET6 &&
         memcmp(addr->addr, kV4MappedPrefix, sizeof(kV4MappedPrefix)) == 0;
}

rtc_socket_address rtc_socket_address_unmapped(const rtc_socket_address* addr) {
  rtc_socket_address result = *addr;
  if (rtc_socket_address_is_v4_mapped(addr)) {
    rtc_socket_address_clear(&result);
    result.family = RTC_AF_INET;
    result.port = addr->port;
    memcpy(result.addr, addr->addr + 12, 4);
  }
  return result;
}

bool rtc_socket_address_is_any(const rtc_socket_address* addr) {
  static const uint8_t zero[16];
  size_t n = addr_len(addr);
  return n > 0 && memcmp(addr->addr, zero, n) == 0;
}

bool rtc_socket_address_is_loopback(const rtc_socket_address* addr) {
  static const uint8_t v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                          0, 0, 0, 0, 0, 0, 0, 1};
  if (addr->family == RTC_AF_INET)
    return addr->addr[0] == 127;
  if (addr->family == RTC_AF_INET6)
    return memcmp(addr->addr, v6_loopback, 16) == 0 ||
           (rtc_socket_address_is_v4_mapped(addr) && addr->addr[12] == 127);
  return false;
}

bool rtc_socket_address_is_link_local(const rtc_socket_address* addr) {
  if (addr->family == RTC_AF_INET)
    return addr->addr[0] == 169 && addr->addr[1] == 254;
  if (addr->family == RTC_AF_INET6)
    return addr->addr[0] == 0xfe && (addr->addr[1] & 0xc0) == 0x80;
  return false;
}

bool rtc_socket_address_is_private(const rtc_socket_address* addr) {
  if (addr->family == RTC_AF_INET) {
    const uint8_t* a = addr->addr;
    return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
           (a[0] == 192 && a[1] == 168) ||
           (a[0] == 100 && (a[1] & 0xc0) == 64); /* 100.64/10, RFC 6598 */
  }
  if (addr->family == RTC_AF_INET6)
    return (addr->addr[0] & 0xfe) == 0xfc;
  return false;
}

bool rtc_socket_address_is_multicast(const rtc_socket_address* addr) {
  if (addr->family == RTC_AF_INET)
    return (addr->addr[0] & 0xf0) == 224;
  if (addr->family == RTC_AF_INET6)
    return addr->addr[0] == 0xff;
  return false;
}
