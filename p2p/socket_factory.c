#include "p2p/socket_factory.h"

#include <string.h>

#include "rtc_base/alloc.h"

const char* rtc_adapter_type_name(rtc_adapter_type type) {
  switch (type) {
    case RTC_ADAPTER_ETHERNET:
      return "ethernet";
    case RTC_ADAPTER_WIFI:
      return "wifi";
    case RTC_ADAPTER_CELLULAR:
      return "cellular";
    case RTC_ADAPTER_VPN:
      return "vpn";
    case RTC_ADAPTER_LOOPBACK:
      return "loopback";
    case RTC_ADAPTER_UNKNOWN:
      break;
  }
  return "unknown";
}

void rtc_interface_filter_init(rtc_interface_filter* filter) {
  memset(filter, 0, sizeof(*filter));
  filter->include_ipv6 = true;
}

static bool passes(const rtc_interface_filter* filter,
                   const rtc_network_interface* iface) {
  const rtc_socket_address* a = &iface->address;
  if (iface->type == RTC_ADAPTER_LOOPBACK || rtc_socket_address_is_loopback(a))
    return filter->include_loopback;
  if (rtc_socket_address_is_link_local(a) && !filter->include_link_local)
    return false;
  if (a->family == RTC_AF_INET6 && !filter->include_ipv6)
    return false;
  if (iface->ipv6_deprecated && !filter->include_deprecated)
    return false;
  return a->family == RTC_AF_INET || a->family == RTC_AF_INET6;
}

rtc_error rtc_socket_factory_list_interfaces(rtc_socket_factory* factory,
                                             const rtc_interface_filter* filter,
                                             rtc_network_interface* out,
                                             size_t capacity,
                                             size_t* count) {
  rtc_interface_filter defaults;
  if (!filter) {
    rtc_interface_filter_init(&defaults);
    filter = &defaults;
  }
  /* Ask for everything, then keep what passes, in order. */
  size_t total = 0;
  rtc_error err = factory->vtable->list_interfaces(factory, NULL, 0, &total);
  if (err != RTC_OK)
    return err;
  rtc_network_interface all[64];
  if (total > 64)
    total = 64;
  err = factory->vtable->list_interfaces(factory, all, total, &total);
  if (err != RTC_OK)
    return err;
  if (total > 64)
    total = 64;
  size_t n = 0;
  for (size_t i = 0; i < total; i++) {
    if (!passes(filter, &all[i]))
      continue;
    if (n < capacity)
      out[n] = all[i];
    n++;
  }
  *count = n;
  return RTC_OK;
}

rtc_error rtc_socket_factory_default_route_address(rtc_socket_factory* factory,
                                                   rtc_address_family family,
                                                   rtc_socket_address* out) {
  return factory->vtable->default_route_address(factory, family, out);
}

rtc_error rtc_socket_factory_create_udp(
    rtc_socket_factory* factory,
    rtc_task_queue* queue,
    const rtc_socket_address* local,
    const rtc_udp_options* options,
    const rtc_packet_socket_observer* observer,
    void* user,
    rtc_packet_socket** out) {
  *out = NULL;
  if (!observer || !observer->on_packets)
    return RTC_ERR_INVALID_ARGUMENT;
  return factory->vtable->create_udp(factory, queue, local, options, observer,
                                     user, out);
}

rtc_error rtc_socket_factory_create_multicast_udp(
    rtc_socket_factory* factory,
    rtc_task_queue* queue,
    const rtc_socket_address* group,
    uint32_t if_index,
    const rtc_packet_socket_observer* observer,
    void* user,
    rtc_packet_socket** out) {
  *out = NULL;
  if (!observer || !observer->on_packets ||
      !rtc_socket_address_is_multicast(group))
    return RTC_ERR_INVALID_ARGUMENT;
  if (!factory->vtable->create_multicast_udp)
    return RTC_ERR_NOT_SUPPORTED;
  return factory->vtable->create_multicast_udp(factory, queue, group, if_index,
                                               observer, user, out);
}

rtc_error rtc_socket_factory_connect_tcp(
    rtc_socket_factory* factory,
    rtc_task_queue* queue,
    const rtc_socket_address* local,
    const rtc_socket_address* remote,
    const rtc_stream_socket_observer* observer,
    void* user,
    rtc_stream_socket** out) {
  *out = NULL;
  if (!observer || !observer->on_data || !observer->on_closed || !local ||
      !remote)
    return RTC_ERR_INVALID_ARGUMENT;
  if (!factory->vtable->connect_tcp)
    return RTC_ERR_NOT_SUPPORTED;
  return factory->vtable->connect_tcp(factory, queue, local, remote, observer,
                                      user, out);
}

rtc_error rtc_socket_factory_listen_tcp(
    rtc_socket_factory* factory,
    rtc_task_queue* queue,
    const rtc_socket_address* local,
    const rtc_stream_listener_observer* observer,
    void* user,
    rtc_stream_listener** out) {
  *out = NULL;
  if (!observer || !observer->on_accept || !local)
    return RTC_ERR_INVALID_ARGUMENT;
  if (!factory->vtable->listen_tcp)
    return RTC_ERR_NOT_SUPPORTED;
  return factory->vtable->listen_tcp(factory, queue, local, observer, user,
                                     out);
}

/* --- Name resolution --- */

static bool is_ldh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-';
}

static bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

/* The WHATWG URL "ends in a number" test for the last label: all digits,
 * or "0x"/"0X" and hex digits. inet_aton() (and so getaddrinfo) reads such
 * names as IPv4 addresses ("127.1", "0x7f000001"). */
static bool label_is_number(const char* label, size_t len) {
  size_t i = 0;
  bool hex =
      len >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X');
  if (hex)
    i = 2;
  for (; i < len; i++) {
    if (hex ? !is_hex(label[i]) : !(label[i] >= '0' && label[i] <= '9'))
      return false;
  }
  return true;
}

static bool label_equals(const char* label, size_t len, const char* word) {
  size_t n = strlen(word);
  if (len != n)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = label[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != word[i])
      return false;
  }
  return true;
}

rtc_error rtc_resolve_check_host(const char* host,
                                 rtc_resolve_host_kind* kind,
                                 rtc_socket_address* literal) {
  rtc_socket_address_clear(literal);
  *kind = RTC_RESOLVE_HOST_NAME;
  if (!host)
    return RTC_ERR_INVALID_ARGUMENT;
  /* 253 characters and a final dot; one more to see it is longer. */
  size_t len = strnlen(host, 255);
  if (len == 0 || len > 254)
    return RTC_ERR_INVALID_ARGUMENT;
  if (rtc_ip_address_parse(host, len, literal) == RTC_OK) {
    *kind = RTC_RESOLVE_HOST_IP_LITERAL;
    return RTC_OK;
  }
  /* RFC 1035 §2.3.1 (LDH labels, as RFC 1123 §2.1 relaxed for a leading
   * digit) and §2.3.4 (63 per label, 253 in text form). */
  size_t n = host[len - 1] == '.' ? len - 1 : len;
  if (n == 0 || n > 253)
    return RTC_ERR_INVALID_ARGUMENT;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && host[i] != '.') {
      if (!is_ldh(host[i]))
        return RTC_ERR_INVALID_ARGUMENT;
      continue;
    }
    size_t label_len = i - start;
    if (label_len == 0 || label_len > 63 || host[start] == '-' ||
        host[i - 1] == '-')
      return RTC_ERR_INVALID_ARGUMENT;
    if (i < n)
      start = i + 1;
  }
  const char* last = host + start;
  size_t last_len = n - start;
  if (label_is_number(last, last_len))
    return RTC_ERR_INVALID_ARGUMENT;
  /* RFC 6762 §3: ".local" names are mDNS's, never DNS's; and ICE-07: no
   * lookup for candidates, which are the only place such names come from. */
  if (label_equals(last, last_len, "local"))
    return RTC_ERR_NOT_ALLOWED;
  /* RFC 6761 §6.4: "invalid" names never exist; resolvers "SHOULD always
   * return immediately with a negative response". */
  if (label_equals(last, last_len, "invalid"))
    *kind = RTC_RESOLVE_HOST_INVALID_TLD;
  return RTC_OK;
}

/* The answer to an IP literal or an ".invalid" name: no lookup, a task on
 * the queue. Everything happens on the queue's thread (cancel and the
 * task), so a flag is enough; the task owns the request and frees it in
 * its `destroy`, whether it ran, was skipped or was dropped. */
typedef struct immediate_request {
  rtc_resolve_request base; /* first */
  rtc_resolve_callback callback;
  void* user;
  bool cancelled;
  rtc_resolve_result result;
} immediate_request;

static void immediate_run(void* arg) {
  immediate_request* r = arg;
  if (!r->cancelled)
    r->callback(r->user, &r->result);
}

static void immediate_destroy(void* arg) {
  rtc_free(arg);
}

static void immediate_cancel(rtc_resolve_request* request) {
  /* From inside the callback too: the task frees it when it returns. */
  ((immediate_request*)request)->cancelled = true;
}

static rtc_error answer_now(rtc_task_queue* queue,
                            rtc_resolve_host_kind kind,
                            const rtc_socket_address* literal,
                            rtc_address_family family,
                            rtc_resolve_callback callback,
                            void* user,
                            rtc_resolve_request** out) {
  immediate_request* r = rtc_calloc(1, sizeof(*r));
  if (!r)
    return RTC_ERR_NO_MEMORY;
  r->base.cancel = immediate_cancel;
  r->callback = callback;
  r->user = user;
  r->result.error = RTC_ERR_NOT_FOUND;
  if (kind == RTC_RESOLVE_HOST_IP_LITERAL &&
      (family == RTC_AF_UNSPEC || family == literal->family)) {
    r->result.error = RTC_OK;
    r->result.count = 1;
    r->result.addresses[0] = *literal;
  }
  rtc_task task = {immediate_run, immediate_destroy, r};
  /* On failure the queue has dropped the task, which freed r. */
  rtc_error err = rtc_task_queue_post(queue, task);
  if (err != RTC_OK)
    return err;
  *out = &r->base;
  return RTC_OK;
}

rtc_error rtc_socket_factory_resolve(rtc_socket_factory* factory,
                                     rtc_task_queue* queue,
                                     const char* host,
                                     rtc_address_family family,
                                     rtc_resolve_callback callback,
                                     void* user,
                                     rtc_resolve_request** out) {
  if (!out)
    return RTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!factory || !queue || !callback ||
      (family != RTC_AF_UNSPEC && family != RTC_AF_INET &&
       family != RTC_AF_INET6))
    return RTC_ERR_INVALID_ARGUMENT;
  if (!factory->vtable->resolve)
    return RTC_ERR_NOT_SUPPORTED;
  rtc_resolve_host_kind kind;
  rtc_socket_address literal;
  rtc_error err = rtc_resolve_check_host(host, &kind, &literal);
  if (err != RTC_OK)
    return err;
  if (kind != RTC_RESOLVE_HOST_NAME)
    return answer_now(queue, kind, &literal, family, callback, user, out);
  return factory->vtable->resolve(factory, queue, host, family, callback, user,
                                  out);
}

void rtc_resolve_request_cancel(rtc_resolve_request* request) {
  if (request)
    request->cancel(request);
}
