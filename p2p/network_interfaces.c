/*
 * The kernel factory's view of the host's network (p2p/udp_socket.h):
 * interfaces from netlink (RTM_GETLINK and RTM_GETADDR dumps; IFA_FLAGS
 * tells IPv6 temporary and deprecated addresses apart), their adapter type
 * from sysfs, and the default-route address (a connected UDP socket, which
 * sends nothing). Linux only.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "p2p/system_factory_internal.h"
#include "rtc_base/alloc.h"

/* --- The default route --- */

rtc_error rtc_system_default_route_address(rtc_socket_factory* factory,
                                           rtc_address_family family,
                                           rtc_socket_address* out) {
  (void)factory;
  rtc_socket_address_clear(out);
  /* RFC 8828 §5.2: the address the OS would use to reach the public
   * internet; a connected UDP socket makes the kernel choose it (a route
   * lookup, nothing is sent). Google's public DNS, as libwebrtc does. */
  static const uint8_t kPublicV6[16] = {
      0x20, 0x01, 0x48, 0x60, 0x48, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0x88, 0x88};
  rtc_socket_address remote;
  if (family == RTC_AF_INET)
    rtc_socket_address_set_ipv4(&remote, 0x08080808u, 53);
  else if (family == RTC_AF_INET6)
    rtc_socket_address_set_ipv6(&remote, kPublicV6, 53, 0);
  else
    return RTC_ERR_INVALID_ARGUMENT;
  int fd =
      socket(rtc_system_kernel_family(family), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return errno == EAFNOSUPPORT ? RTC_ERR_NOT_FOUND
                                 : rtc_system_socket_errno_to_error(errno);
  rtc_error err = RTC_OK;
  struct sockaddr_storage ss;
  socklen_t len = rtc_socket_address_to_sockaddr(&remote, &ss);
  if (connect(fd, (struct sockaddr*)&ss, len) != 0) {
    switch (errno) {
      case ENETUNREACH:
      case EHOSTUNREACH:
      case ENETDOWN:
      case EADDRNOTAVAIL:
      case EACCES:
      case EPERM:
        err = RTC_ERR_NOT_FOUND;
        break;
      default:
        err = RTC_ERR_IO;
        break;
    }
    goto close_fd;
  }
  len = sizeof(ss);
  if (getsockname(fd, (struct sockaddr*)&ss, &len) != 0 ||
      rtc_socket_address_from_sockaddr((struct sockaddr*)&ss, len, out) !=
          RTC_OK) {
    err = RTC_ERR_IO;
    goto close_fd;
  }
  out->port = 0;
  if (rtc_socket_address_is_any(out)) {
    rtc_socket_address_clear(out);
    err = RTC_ERR_NOT_FOUND;
  }

close_fd:
  close(fd);
  return err;
}

/* --- Interfaces (netlink) --- */

#define NL_BUFFER_SIZE 32768
#define NL_ATTEMPTS 3

typedef struct link_info {
  uint32_t index;
  uint32_t flags; /* IFF_* */
  rtc_adapter_type type;
  char name[IF_NAMESIZE];
} link_info;

typedef struct interface_list {
  link_info* links;
  size_t link_count;
  size_t link_capacity;
  rtc_network_interface* out;
  size_t capacity;
  size_t count;
} interface_list;

typedef rtc_error (*nl_handler)(interface_list* list,
                                const uint8_t* payload,
                                size_t size);

/* Walks the route attributes that follow a message's fixed header. */
typedef struct attr_iter {
  const uint8_t* payload;
  size_t size;
  size_t offset;
} attr_iter;

static bool next_attr(attr_iter* it,
                      uint16_t* type,
                      const uint8_t** data,
                      size_t* len) {
  if (it->offset > it->size || it->size - it->offset < sizeof(struct rtattr))
    return false;
  struct rtattr a;
  memcpy(&a, it->payload + it->offset, sizeof(a));
  if (a.rta_len < sizeof(a) || a.rta_len > it->size - it->offset)
    return false;
  *type = a.rta_type;
  *data = it->payload + it->offset + RTA_LENGTH(0);
  *len = a.rta_len - RTA_LENGTH(0);
  it->offset += RTA_ALIGN(a.rta_len);
  return true;
}

static bool sysfs_exists(const char* name, const char* entry) {
  char path[96];
  int n = snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, entry);
  if (n < 0 || (size_t)n >= sizeof(path))
    return false;
  struct stat st;
  return stat(path, &st) == 0;
}

static bool sysfs_uevent_has(const char* name, const char* line) {
  char path[96];
  int n = snprintf(path, sizeof(path), "/sys/class/net/%s/uevent", name);
  if (n < 0 || (size_t)n >= sizeof(path))
    return false;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  char text[1024];
  ssize_t got = read(fd, text, sizeof(text) - 1);
  close(fd);
  if (got <= 0)
    return false;
  text[got] = '\0';
  return strstr(text, line) != NULL;
}

static bool has_prefix(const char* name, const char* prefix) {
  return strncmp(name, prefix, strlen(prefix)) == 0;
}

static rtc_adapter_type adapter_type(const link_info* link, uint16_t arp) {
  const char* name = link->name;
  if ((link->flags & IFF_LOOPBACK) || arp == ARPHRD_LOOPBACK)
    return RTC_ADAPTER_LOOPBACK;
  /* Interface names never contain '/', but the name goes into a path. */
  bool safe = name[0] != '\0' && !strchr(name, '/') && strcmp(name, ".") != 0 &&
              strcmp(name, "..") != 0;
  if (safe &&
      (sysfs_exists(name, "wireless") || sysfs_exists(name, "phy80211")))
    return RTC_ADAPTER_WIFI;
  if ((safe && sysfs_uevent_has(name, "DEVTYPE=wwan\n")) ||
      has_prefix(name, "wwan") || has_prefix(name, "rmnet"))
    return RTC_ADAPTER_CELLULAR;
  if ((safe && sysfs_exists(name, "tun_flags")) || arp == ARPHRD_NONE ||
      has_prefix(name, "wg") || has_prefix(name, "tun") ||
      has_prefix(name, "tap") || has_prefix(name, "ppp") ||
      has_prefix(name, "ipsec"))
    return RTC_ADAPTER_VPN;
  if (arp == ARPHRD_ETHER)
    return RTC_ADAPTER_ETHERNET;
  return RTC_ADAPTER_UNKNOWN;
}

static rtc_error on_link(interface_list* list,
                         const uint8_t* payload,
                         size_t size) {
  struct ifinfomsg ifi;
  if (size < sizeof(ifi))
    return RTC_OK;
  memcpy(&ifi, payload, sizeof(ifi));
  link_info link = {.index = (uint32_t)ifi.ifi_index, .flags = ifi.ifi_flags};
  attr_iter it = {payload, size, NLMSG_ALIGN(sizeof(ifi))};
  uint16_t type;
  const uint8_t* data;
  size_t len;
  while (next_attr(&it, &type, &data, &len)) {
    if (type == IFLA_IFNAME && len > 0) {
      size_t n = strnlen((const char*)data, len);
      if (n >= sizeof(link.name))
        n = sizeof(link.name) - 1;
      memcpy(link.name, data, n);
      link.name[n] = '\0';
    }
  }
  link.type = adapter_type(&link, ifi.ifi_type);
  if (list->link_count == list->link_capacity) {
    size_t capacity = list->link_capacity ? 2 * list->link_capacity : 16;
    link_info* links =
        rtc_realloc_array(list->links, capacity, sizeof(link_info));
    if (!links)
      return RTC_ERR_NO_MEMORY;
    list->links = links;
    list->link_capacity = capacity;
  }
  list->links[list->link_count++] = link;
  return RTC_OK;
}

static const link_info* find_link(const interface_list* list, uint32_t index) {
  for (size_t i = 0; i < list->link_count; i++) {
    if (list->links[i].index == index)
      return &list->links[i];
  }
  return NULL;
}

static rtc_error on_address(interface_list* list,
                            const uint8_t* payload,
                            size_t size) {
  struct ifaddrmsg ifa;
  if (size < sizeof(ifa))
    return RTC_OK;
  memcpy(&ifa, payload, sizeof(ifa));
  size_t addr_len = ifa.ifa_family == AF_INET    ? 4
                    : ifa.ifa_family == AF_INET6 ? 16
                                                 : 0;
  if (addr_len == 0)
    return RTC_OK;
  const link_info* link = find_link(list, ifa.ifa_index);
  if (!link || (link->flags & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING))
    return RTC_OK; /* down (or appeared between the two dumps) */
  uint32_t flags = ifa.ifa_flags;
  const uint8_t* address = NULL;
  const uint8_t* local = NULL;
  attr_iter it = {payload, size, NLMSG_ALIGN(sizeof(ifa))};
  uint16_t type;
  const uint8_t* data;
  size_t len;
  while (next_attr(&it, &type, &data, &len)) {
    if (type == IFA_ADDRESS && len == addr_len)
      address = data;
    else if (type == IFA_LOCAL && len == addr_len)
      local = data;
    else if (type == IFA_FLAGS && len == sizeof(uint32_t))
      memcpy(&flags, data, sizeof(flags));
  }
  /* On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours. */
  if (local)
    address = local;
  /* An address still under (or failed) duplicate address detection
   * cannot be bound yet. */
  if (!address || (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)))
    return RTC_OK;
  rtc_network_interface iface = {
      .index = link->index,
      .type = link->type,
      .prefix_length = ifa.ifa_prefixlen,
      .ipv6_temporary = (flags & IFA_F_TEMPORARY) != 0,
      .ipv6_deprecated = (flags & IFA_F_DEPRECATED) != 0,
      .multicast = (link->flags & IFF_MULTICAST) != 0,
  };
  memcpy(iface.name, link->name, sizeof(iface.name));
  if (ifa.ifa_family == AF_INET) {
    rtc_socket_address_clear(&iface.address);
    iface.address.family = RTC_AF_INET;
    memcpy(iface.address.addr, address, 4);
  } else {
    rtc_socket_address_set_ipv6(&iface.address, address, 0, 0);
    if (rtc_socket_address_is_link_local(&iface.address))
      iface.address.scope_id = link->index;
  }
  if (list->count < list->capacity)
    list->out[list->count] = iface;
  list->count++;
  return RTC_OK;
}

/* Runs one dump request and hands each answer to `handler`. */
static rtc_error nl_dump(int fd,
                         uint16_t type,
                         uint32_t seq,
                         uint8_t* buffer,
                         nl_handler handler,
                         interface_list* list,
                         bool* interrupted) {
  struct {
    struct nlmsghdr header;
    union {
      struct ifinfomsg link;
      struct ifaddrmsg addr;
    } body;
  } request;
  memset(&request, 0, sizeof(request));
  request.header.nlmsg_len =
      NLMSG_LENGTH(type == RTM_GETLINK ? sizeof(struct ifinfomsg)
                                       : sizeof(struct ifaddrmsg));
  request.header.nlmsg_type = type;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = seq;
  if (type == RTM_GETLINK)
    request.body.link.ifi_family = AF_UNSPEC;
  else
    request.body.addr.ifa_family = AF_UNSPEC;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  while (sendto(fd, &request, request.header.nlmsg_len, 0,
                (struct sockaddr*)&kernel, sizeof(kernel)) < 0) {
    if (errno != EINTR)
      return RTC_ERR_IO;
  }
  for (;;) {
    struct sockaddr_nl from;
    struct iovec iov = {buffer, NL_BUFFER_SIZE};
    struct msghdr msg = {
        .msg_name = &from,
        .msg_namelen = sizeof(from),
        .msg_iov = &iov,
        .msg_iovlen = 1,
    };
    ssize_t got = recvmsg(fd, &msg, 0);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return errno == ENOBUFS ? RTC_ERR_NO_MEMORY : RTC_ERR_IO;
    }
    if (msg.msg_flags & MSG_TRUNC)
      return RTC_ERR_IO;
    if (msg.msg_namelen < sizeof(from) || from.nl_pid != 0)
      continue; /* not from the kernel */
    size_t size = (size_t)got;
    for (size_t off = 0; off + sizeof(struct nlmsghdr) <= size;) {
      struct nlmsghdr h;
      memcpy(&h, buffer + off, sizeof(h));
      if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > size - off)
        return RTC_ERR_IO;
      const uint8_t* payload = buffer + off + NLMSG_HDRLEN;
      size_t payload_size =
          h.nlmsg_len > NLMSG_HDRLEN ? h.nlmsg_len - NLMSG_HDRLEN : 0;
      off += NLMSG_ALIGN(h.nlmsg_len);
      if (h.nlmsg_seq != seq)
        continue;
      if (h.nlmsg_flags & NLM_F_DUMP_INTR)
        *interrupted = true;
      if (h.nlmsg_type == NLMSG_DONE) {
        int status = 0;
        if (payload_size >= sizeof(status))
          memcpy(&status, payload, sizeof(status));
        return status < 0 ? RTC_ERR_IO : RTC_OK;
      }
      if (h.nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr e = {0};
        if (payload_size >= sizeof(e))
          memcpy(&e, payload, sizeof(e));
        return e.error == 0 ? RTC_OK : RTC_ERR_IO;
      }
      rtc_error err = handler(list, payload, payload_size);
      if (err != RTC_OK)
        return err;
    }
  }
}

static rtc_error list_once(interface_list* list, bool* interrupted) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return rtc_system_socket_errno_to_error(errno);
  rtc_error err = RTC_ERR_NO_MEMORY;
  uint8_t* buffer = rtc_malloc(NL_BUFFER_SIZE);
  if (!buffer)
    goto close_fd;
  err = nl_dump(fd, RTM_GETLINK, 1, buffer, on_link, list, interrupted);
  if (err == RTC_OK)
    err = nl_dump(fd, RTM_GETADDR, 2, buffer, on_address, list, interrupted);
  rtc_free(buffer);
close_fd:
  close(fd);
  return err;
}

rtc_error rtc_system_list_interfaces(rtc_socket_factory* factory,
                                     rtc_network_interface* out,
                                     size_t capacity,
                                     size_t* count) {
  (void)factory;
  *count = 0;
  if (!out)
    capacity = 0;
  rtc_error err = RTC_OK;
  for (int attempt = 0; attempt < NL_ATTEMPTS; attempt++) {
    interface_list list = {.out = out, .capacity = capacity};
    bool interrupted = false;
    err = list_once(&list, &interrupted);
    rtc_free(list.links);
    *count = list.count;
    /* A dump that raced with a change may be inconsistent: ask again (the
     * last answer stands if changes keep coming). */
    if (err != RTC_OK || !interrupted)
      break;
  }
  if (err != RTC_OK)
    *count = 0;
  return err;
}
