#include "p2p/socket_factory.h"

#include <string.h>

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
