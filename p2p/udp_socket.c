/*
 * The kernel's sockets (p2p/udp_socket.h): real UDP sockets, multicast
 * sockets for mDNS, interface enumeration over netlink and the
 * default-route address. Linux only.
 *
 * Receiving. A readable socket is read with recvmmsg() in batches of
 * RECV_BATCH datagrams, each batch delivered by one on_packets call; at
 * most RECV_MAX_BATCHES batches per wake-up, so that one busy socket
 * cannot starve the other sockets and tasks of its event loop (readiness
 * is level-triggered: what is left wakes the loop again).
 *
 * Receive buffers. Datagrams must never be truncated silently, and a
 * datagram may be as large as RTC_MAX_PACKET_SIZE (an IPv6 one even a
 * little larger, which is then dropped as oversized), so every slot of a
 * batch holds RECV_SLOT_SIZE (64 KiB). Slots sized for the usual ~1200-byte
 * WebRTC packet with MSG_TRUNC detection would lose the rare large
 * datagram for good (a truncated datagram cannot be read again), and a
 * single large slot would give up batching. 32 slots of 64 KiB are 2 MiB,
 * too much for every socket; but a socket's data is only needed while its
 * on_packets call runs, and an event loop runs one callback at a time, so
 * every socket living on the same thread shares one receive arena
 * (recv_arena): allocated with the first socket of a thread, freed with
 * the last. The arena is address space more than memory: a page is only
 * backed once a datagram reaches it, so the usual small packets touch the
 * first page of each slot.
 *
 * Destroying from a callback. An observer may destroy the socket from
 * on_packets or on_writable. While a callback runs, the socket points at a
 * `destroyed` flag on the dispatching stack frame; destroy sets it, and
 * the dispatcher then leaves the (freed) socket alone. The dispatcher
 * holds its own reference on the arena, so the packets of the current
 * call stay valid even if that destroy released the thread's last socket.
 *
 * Kernel features relied on: recvmmsg/sendmmsg (2.6.33/3.0),
 * SOCK_NONBLOCK|SOCK_CLOEXEC (2.6.27), IP_PKTINFO and IPV6_RECVPKTINFO,
 * ip_mreqn with imr_ifindex, SO_REUSEPORT (3.9), IP_MULTICAST_ALL (2.6.31)
 * and IPV6_MULTICAST_ALL (4.20; best effort), SO_BINDTOIFINDEX (5.0;
 * falling back to SO_BINDTODEVICE, best effort), NETLINK_ROUTE dumps
 * (RTM_GETLINK, RTM_GETADDR with IFA_FLAGS) and sysfs.
 */
#include "p2p/udp_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "p2p/system_factory_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"
#include "rtc_base/random.h"

/* Older libc headers may lack these (values from the kernel's uapi). */
#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL 49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif
#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif

#define RECV_BATCH 32
#define RECV_SLOT_SIZE 65536
#define RECV_MAX_BATCHES 4
#define SEND_CHUNK 64

_Static_assert(RECV_SLOT_SIZE > RTC_MAX_PACKET_SIZE,
               "a slot holds the largest datagram accepted");

/* Room for one IPv4 or IPv6 packet-info control message. */
typedef union control_buffer {
  struct cmsghdr align;
  uint8_t bytes[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
                CMSG_SPACE(sizeof(struct in_pktinfo))];
} control_buffer;

/* The receive buffers of every socket of one thread (see above). */
typedef struct recv_arena {
  int refs;
  struct mmsghdr msgs[RECV_BATCH];
  struct iovec iov[RECV_BATCH];
  struct sockaddr_storage names[RECV_BATCH];
  control_buffer control[RECV_BATCH];
  rtc_received_packet packets[RECV_BATCH];
  uint8_t data[RECV_BATCH][RECV_SLOT_SIZE];
} recv_arena;

static _Thread_local recv_arena* tls_arena;

typedef rtc_system_factory system_factory;

typedef struct udp_socket {
  rtc_packet_socket base; /* first */
  system_factory* factory;
  recv_arena* arena; /* a reference */
  rtc_fd_watch* watch;
  int fd;
  int family;        /* AF_INET or AF_INET6 */
  uint16_t port;     /* bound port, for each packet's `destination` */
  uint32_t if_index; /* multicast: deliver only what arrived here */
  bool want_writable;
  bool closed;     /* failed for good (on_closed was called) */
  bool* destroyed; /* while a callback runs: set by destroy */
  uint64_t dropped_oversized;
  uint64_t dropped_other_interface;
} udp_socket;

/* --- The receive arena --- */

static recv_arena* arena_acquire(void) {
  if (!tls_arena) {
    tls_arena = rtc_malloc(sizeof(recv_arena));
    if (!tls_arena)
      return NULL;
    tls_arena->refs = 0;
  }
  tls_arena->refs++;
  return tls_arena;
}

static void arena_release(recv_arena* arena) {
  RTC_CHECK(arena == tls_arena && arena->refs > 0);
  if (--arena->refs == 0) {
    tls_arena = NULL;
    rtc_free(arena);
  }
}

/* --- Helpers --- */

static int set_int_option(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value));
}

static int to_family(rtc_address_family family) {
  return family == RTC_AF_INET ? AF_INET : AF_INET6;
}

static rtc_error socket_errno_to_error(int e) {
  switch (e) {
    case ENOMEM:
    case ENOBUFS:
      return RTC_ERR_NO_MEMORY;
    case EAFNOSUPPORT: /* no IPv6 in this kernel: not an address we have */
      return RTC_ERR_INVALID_ARGUMENT;
    default:
      return RTC_ERR_IO;
  }
}

static rtc_error bind_errno_to_error(int e) {
  switch (e) {
    case EADDRINUSE:
    case EACCES: /* a privileged port: not free for us */
      return RTC_ERR_NOT_FOUND;
    case EADDRNOTAVAIL: /* the address is not on this host */
    case EINVAL:        /* e.g. IPv6 link-local without a scope */
    case ENODEV:        /* a scope naming no interface */
      return RTC_ERR_INVALID_ARGUMENT;
    case ENOMEM:
    case ENOBUFS:
      return RTC_ERR_NO_MEMORY;
    default:
      return RTC_ERR_IO;
  }
}

/* --- Receiving --- */

/* Reads the packet-info control message: the header destination address
 * and the interface the datagram arrived on. */
static void parse_control(const udp_socket* s,
                          struct msghdr* hdr,
                          rtc_socket_address* destination,
                          uint32_t* if_index) {
  rtc_socket_address_clear(destination);
  *if_index = 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(hdr); c; c = CMSG_NXTHDR(hdr, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
        c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
      struct in_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof(info));
      destination->family = RTC_AF_INET;
      destination->port = s->port;
      memcpy(destination->addr, &info.ipi_addr, 4);
      *if_index = (uint32_t)info.ipi_ifindex;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof(info));
      uint32_t scope = 0;
      if (IN6_IS_ADDR_LINKLOCAL(&info.ipi6_addr) ||
          IN6_IS_ADDR_MC_LINKLOCAL(&info.ipi6_addr) ||
          IN6_IS_ADDR_MC_NODELOCAL(&info.ipi6_addr))
        scope = info.ipi6_ifindex;
      rtc_socket_address_set_ipv6(destination, info.ipi6_addr.s6_addr, s->port,
                                  scope);
      *if_index = info.ipi6_ifindex;
    }
  }
}

/* The socket failed for good: stop watching, tell the observer. */
static void fail_socket(udp_socket* s, rtc_error error) {
  s->closed = true;
  if (s->watch) {
    rtc_fd_watch_destroy(s->watch);
    s->watch = NULL;
  }
  if (s->base.observer->on_closed)
    s->base.observer->on_closed(s->base.observer_user, &s->base, error);
}

/* An error the kernel reports on a UDP socket for an earlier datagram
 * (ICMP): reading it consumed it; there is nothing else to do. */
static bool is_reported_icmp_error(int e) {
  switch (e) {
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
    case EMSGSIZE:
    case EPROTO:
    case ETIMEDOUT:
    case ENOPROTOOPT:
    case EACCES:
    case EPERM:
      return true;
    default:
      return false;
  }
}

/* A pending socket error (SO_ERROR) or error-queue entries (only present
 * if someone set IP_RECVERR) make the socket report an error on every
 * poll: consume them so that a level-triggered loop does not spin. */
static void consume_errors(udp_socket* s) {
  int pending = 0;
  socklen_t len = sizeof(pending);
  if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &pending, &len) == 0 &&
      pending != 0)
    RTC_LOG(VERBOSE, "udp socket %d: %s", s->fd, strerror(pending));
  for (int i = 0; i < RECV_BATCH; i++) {
    uint8_t discard[64];
    control_buffer control;
    struct iovec iov = {discard, sizeof(discard)};
    struct msghdr hdr = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.bytes,
        .msg_controllen = sizeof(control.bytes),
    };
    if (recvmsg(s->fd, &hdr, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
      break;
  }
}

/* Fills the batch, returns how many passed the checks. */
static size_t collect_packets(udp_socket* s, recv_arena* a, int n) {
  int64_t now = rtc_task_queue_now_us(s->base.queue);
  size_t count = 0;
  for (int i = 0; i < n; i++) {
    struct msghdr* hdr = &a->msgs[i].msg_hdr;
    size_t size = a->msgs[i].msg_len;
    if ((hdr->msg_flags & MSG_TRUNC) || size > RTC_MAX_PACKET_SIZE) {
      s->dropped_oversized++;
      RTC_LOG(VERBOSE, "udp socket %d: dropped a datagram over %d bytes", s->fd,
              RTC_MAX_PACKET_SIZE);
      continue;
    }
    rtc_received_packet* p = &a->packets[count];
    if (rtc_socket_address_from_sockaddr(hdr->msg_name, hdr->msg_namelen,
                                         &p->source) != RTC_OK)
      continue;
    uint32_t arrived_on;
    parse_control(s, hdr, &p->destination, &arrived_on);
    if (s->if_index != 0 && arrived_on != s->if_index) {
      /* Sockets of other interfaces share this port (RFC 6762 §15). */
      s->dropped_other_interface++;
      continue;
    }
    p->data = a->data[i];
    p->size = size;
    p->arrival_us = now;
    count++;
  }
  return count;
}

/* Reads until the socket is drained, at most RECV_MAX_BATCHES batches. */
static void read_packets(udp_socket* s, const bool* destroyed) {
  recv_arena* a = s->arena;
  a->refs++; /* the packets outlive a destroy from on_packets */
  for (int batch = 0; batch < RECV_MAX_BATCHES; batch++) {
    for (int i = 0; i < RECV_BATCH; i++) {
      a->iov[i].iov_base = a->data[i];
      a->iov[i].iov_len = RECV_SLOT_SIZE;
      a->msgs[i].msg_hdr = (struct msghdr){
          .msg_name = &a->names[i],
          .msg_namelen = sizeof(a->names[i]),
          .msg_iov = &a->iov[i],
          .msg_iovlen = 1,
          .msg_control = a->control[i].bytes,
          .msg_controllen = sizeof(a->control[i].bytes),
      };
      a->msgs[i].msg_len = 0;
    }
    int n = recvmmsg(s->fd, a->msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      int e = errno;
      if (e == EAGAIN || e == EWOULDBLOCK || e == ENOMEM || e == ENOBUFS)
        break;
      if (e == EINTR || is_reported_icmp_error(e))
        continue; /* consumed; datagrams may follow */
      RTC_LOG(ERROR, "udp socket %d: recvmmsg: %s", s->fd, strerror(e));
      fail_socket(s, RTC_ERR_IO);
      break;
    }
    size_t count = collect_packets(s, a, n);
    if (count > 0) {
      s->base.observer->on_packets(s->base.observer_user, &s->base, a->packets,
                                   count);
      if (*destroyed || s->closed)
        break;
    }
    if (n < RECV_BATCH)
      break; /* drained (what arrives meanwhile wakes the loop again) */
  }
  arena_release(a);
}

static void on_fd_ready(void* arg, int fd, uint32_t events) {
  (void)fd;
  udp_socket* s = arg;
  bool destroyed = false;
  s->destroyed = &destroyed;
  if (events & (RTC_FD_ERROR | RTC_FD_HANGUP))
    consume_errors(s);
  if (events & (RTC_FD_READABLE | RTC_FD_ERROR))
    read_packets(s, &destroyed);
  if (!destroyed && !s->closed && (events & RTC_FD_WRITABLE) &&
      s->want_writable) {
    s->want_writable = false;
    rtc_fd_watch_set_events(s->watch, RTC_FD_READABLE);
    if (s->base.observer->on_writable)
      s->base.observer->on_writable(s->base.observer_user, &s->base);
  }
  if (!destroyed)
    s->destroyed = NULL;
}

/* --- Sending --- */

/* Why a packet cannot be sent at all (it is not sent and sending stops). */
static rtc_error check_packet(const udp_socket* s,
                              const rtc_outgoing_packet* p) {
  if (p->size > RTC_MAX_PACKET_SIZE || (!p->data && p->size > 0))
    return RTC_ERR_INVALID_ARGUMENT;
  if (s->family == AF_INET && p->destination.family != RTC_AF_INET)
    return RTC_ERR_INVALID_ARGUMENT;
  if (s->family == AF_INET6 &&
      (p->destination.family != RTC_AF_INET6 ||
       /* IPv6 sockets are IPV6_V6ONLY: a mapped address reaches nothing. */
       rtc_socket_address_is_v4_mapped(&p->destination)))
    return RTC_ERR_INVALID_ARGUMENT;
  return RTC_OK;
}

/* Errors of one datagram: it is dropped and sending continues. */
static bool is_per_packet_error(int e) {
  switch (e) {
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
    case ENODEV: /* the interface of the route went away (a network change) */
    case EACCES: /* broadcast without SO_BROADCAST */
    case EPERM:  /* a firewall rule */
    case EINVAL: /* port 0, link-local without scope, ... */
    case EADDRNOTAVAIL: /* no route from the bound address */
    case EMSGSIZE:
    case ECONNREFUSED: /* an earlier ICMP error reported here */
    case ENOMEM:
    case EAFNOSUPPORT:
      return true;
    default:
      return false;
  }
}

static void watch_writable(udp_socket* s) {
  if (s->want_writable || !s->watch)
    return;
  rtc_error err =
      rtc_fd_watch_set_events(s->watch, RTC_FD_READABLE | RTC_FD_WRITABLE);
  if (err == RTC_OK)
    s->want_writable = true;
  else
    RTC_LOG(ERROR, "udp socket %d: cannot watch for writable: %s", s->fd,
            rtc_error_name(err));
}

/* Sends `n` prepared messages; *done says how many went or were dropped. */
static rtc_error send_prepared(udp_socket* s,
                               struct mmsghdr* msgs,
                               size_t n,
                               size_t* done,
                               bool* dropped) {
  *done = 0;
  while (*done < n) {
    int r;
    if (n - *done == 1)
      r = sendmsg(s->fd, &msgs[*done].msg_hdr, MSG_DONTWAIT) < 0 ? -1 : 1;
    else
      r = sendmmsg(s->fd, &msgs[*done], (unsigned)(n - *done), MSG_DONTWAIT);
    if (r > 0) {
      *done += (size_t)r;
      continue;
    }
    int e = r == 0 ? EIO : errno;
    if (e == EINTR)
      continue;
    if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
      watch_writable(s);
      return RTC_ERR_WOULD_BLOCK;
    }
    if (is_per_packet_error(e)) {
      RTC_LOG(VERBOSE, "udp socket %d: datagram dropped: %s", s->fd,
              strerror(e));
      *dropped = true;
      (*done)++;
      continue;
    }
    RTC_LOG(ERROR, "udp socket %d: send: %s", s->fd, strerror(e));
    return RTC_ERR_IO;
  }
  return RTC_OK;
}

static rtc_error udp_send(rtc_packet_socket* base,
                          const rtc_outgoing_packet* packets,
                          size_t count,
                          size_t* sent) {
  udp_socket* s = (udp_socket*)base;
  *sent = 0;
  if (s->closed)
    return RTC_ERR_CLOSED;
  bool dropped = false;
  size_t i = 0;
  while (i < count) {
    struct mmsghdr msgs[SEND_CHUNK];
    struct iovec iov[SEND_CHUNK];
    struct sockaddr_storage names[SEND_CHUNK];
    size_t n = 0;
    rtc_error invalid = RTC_OK;
    for (; n < SEND_CHUNK && i + n < count; n++) {
      const rtc_outgoing_packet* p = &packets[i + n];
      invalid = check_packet(s, p);
      if (invalid != RTC_OK)
        break;
      iov[n].iov_base = (void*)p->data;
      iov[n].iov_len = p->size;
      socklen_t len =
          rtc_socket_address_to_sockaddr(&p->destination, &names[n]);
      msgs[n] = (struct mmsghdr){
          .msg_hdr = {.msg_name = &names[n],
                      .msg_namelen = len,
                      .msg_iov = &iov[n],
                      .msg_iovlen = 1},
      };
    }
    size_t done = 0;
    rtc_error err = send_prepared(s, msgs, n, &done, &dropped);
    *sent = i + done;
    if (err != RTC_OK)
      return err;
    i += n;
    if (invalid != RTC_OK)
      return invalid;
  }
  return dropped ? RTC_ERR_NETWORK : RTC_OK;
}

static rtc_error udp_local_address(rtc_packet_socket* base,
                                   rtc_socket_address* out) {
  udp_socket* s = (udp_socket*)base;
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(s->fd, (struct sockaddr*)&ss, &len) != 0) {
    rtc_socket_address_clear(out);
    return RTC_ERR_IO;
  }
  return rtc_socket_address_from_sockaddr((struct sockaddr*)&ss, len, out);
}

static void udp_destroy(rtc_packet_socket* base) {
  udp_socket* s = (udp_socket*)base;
  RTC_CHECK(rtc_task_queue_is_current(s->base.queue));
  if (s->destroyed)
    *s->destroyed = true;
  if (s->watch)
    rtc_fd_watch_destroy(s->watch);
  close(s->fd);
  if (s->dropped_oversized || s->dropped_other_interface)
    RTC_LOG(VERBOSE,
            "udp socket %d: dropped %llu oversized datagrams and %llu from "
            "other interfaces",
            s->fd, (unsigned long long)s->dropped_oversized,
            (unsigned long long)s->dropped_other_interface);
  arena_release(s->arena);
  atomic_fetch_sub(&s->factory->live_sockets, 1);
  rtc_free(s);
}

static const rtc_packet_socket_vtable kUdpSocketVtable = {
    .send = udp_send,
    .local_address = udp_local_address,
    .destroy = udp_destroy,
};

/* --- Creating sockets --- */

/* Allocates the socket and its kernel socket with the options every UDP
 * socket has. On failure everything is undone. */
static rtc_error socket_open(system_factory* f,
                             rtc_task_queue* queue,
                             int family,
                             const rtc_packet_socket_observer* observer,
                             void* user,
                             udp_socket** out) {
  /* The receive arena is per thread: a socket made off its queue's thread
   * would share another thread's buffers (memory safety, so CHECK). */
  RTC_CHECK_MSG(rtc_task_queue_is_current(queue),
                "sockets are created on the queue they live on");
  udp_socket* s = rtc_calloc(1, sizeof(*s));
  if (!s)
    return RTC_ERR_NO_MEMORY;
  rtc_error err = RTC_ERR_NO_MEMORY;
  s->arena = arena_acquire();
  if (!s->arena)
    goto free_socket;
  s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0) {
    err = socket_errno_to_error(errno);
    goto release_arena;
  }
  err = RTC_ERR_IO;
  if (family == AF_INET6) {
    if (set_int_option(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) != 0 ||
        set_int_option(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) != 0)
      goto close_fd;
  } else if (set_int_option(s->fd, IPPROTO_IP, IP_PKTINFO, 1) != 0) {
    goto close_fd;
  }
  s->base.vtable = &kUdpSocketVtable;
  s->base.queue = queue;
  s->base.observer = observer;
  s->base.observer_user = user;
  s->factory = f;
  s->family = family;
  *out = s;
  return RTC_OK;

close_fd:
  close(s->fd);
release_arena:
  arena_release(s->arena);
free_socket:
  rtc_free(s);
  return err;
}

/* After a successful bind: learns the port, starts watching. */
static rtc_error socket_start(udp_socket* s) {
  rtc_socket_address local;
  if (udp_local_address(&s->base, &local) != RTC_OK)
    return RTC_ERR_IO;
  s->port = local.port;
  rtc_error err = rtc_task_queue_watch_fd(s->base.queue, s->fd, RTC_FD_READABLE,
                                          on_fd_ready, s, &s->watch);
  if (err != RTC_OK)
    return err == RTC_ERR_NO_MEMORY ? RTC_ERR_NO_MEMORY : RTC_ERR_IO;
  atomic_fetch_add(&s->factory->live_sockets, 1);
  return RTC_OK;
}

/* Undoes socket_open() for a socket that never started. */
static void socket_abandon(udp_socket* s) {
  close(s->fd);
  arena_release(s->arena);
  rtc_free(s);
}

static rtc_error bind_to(int fd, const rtc_socket_address* local) {
  struct sockaddr_storage ss;
  socklen_t len = rtc_socket_address_to_sockaddr(local, &ss);
  if (bind(fd, (struct sockaddr*)&ss, len) == 0)
    return RTC_OK;
  return bind_errno_to_error(errno);
}

/* Binds to `local`, or to a free port of [min_port, max_port] tried from a
 * random start (ports then are not predictable from one call to the
 * next). */
static rtc_error bind_in_range(int fd,
                               const rtc_socket_address* local,
                               uint16_t min_port,
                               uint16_t max_port) {
  if (local->port != 0 || (min_port == 0 && max_port == 0))
    return bind_to(fd, local);
  if (min_port == 0)
    min_port = 1;
  uint32_t span = (uint32_t)max_port - min_port + 1;
  uint32_t start = rtc_random_below(span);
  rtc_socket_address addr = *local;
  for (uint32_t k = 0; k < span; k++) {
    addr.port = (uint16_t)(min_port + (start + k) % span);
    rtc_error err = bind_to(fd, &addr);
    if (err != RTC_ERR_NOT_FOUND)
      return err; /* bound, or an error no other port will cure */
  }
  return RTC_ERR_NOT_FOUND;
}

static rtc_error sys_create_udp(rtc_socket_factory* factory,
                                rtc_task_queue* queue,
                                const rtc_socket_address* local,
                                const rtc_udp_options* options,
                                const rtc_packet_socket_observer* observer,
                                void* user,
                                rtc_packet_socket** out) {
  *out = NULL;
  rtc_udp_options defaults = {0};
  if (!options)
    options = &defaults;
  if (!local ||
      (local->family != RTC_AF_INET && local->family != RTC_AF_INET6) ||
      rtc_socket_address_is_v4_mapped(local) ||
      options->min_port > options->max_port ||
      options->receive_buffer_size < 0 || options->send_buffer_size < 0)
    return RTC_ERR_INVALID_ARGUMENT;
  udp_socket* s;
  rtc_error err = socket_open((system_factory*)factory, queue,
                              to_family(local->family), observer, user, &s);
  if (err != RTC_OK)
    return err;
  /* The kernel clamps the sizes to its limits (net.core.rmem_max ...). */
  if (options->receive_buffer_size > 0 &&
      set_int_option(s->fd, SOL_SOCKET, SO_RCVBUF,
                     options->receive_buffer_size) != 0)
    RTC_LOG(WARNING, "SO_RCVBUF %d: %s", options->receive_buffer_size,
            strerror(errno));
  if (options->send_buffer_size > 0 &&
      set_int_option(s->fd, SOL_SOCKET, SO_SNDBUF, options->send_buffer_size) !=
          0)
    RTC_LOG(WARNING, "SO_SNDBUF %d: %s", options->send_buffer_size,
            strerror(errno));
  err = bind_in_range(s->fd, local, options->min_port, options->max_port);
  if (err == RTC_OK)
    err = socket_start(s);
  if (err != RTC_OK) {
    socket_abandon(s);
    return err;
  }
  *out = &s->base;
  return RTC_OK;
}

/* RFC 6762 §11: "All Multicast DNS responses (including responses sent
 * via unicast) SHOULD be sent with IP TTL set to 255." */
#define MDNS_TTL 255

/* Options of an IPv4 multicast socket; returns the error of the first
 * that fails (errno-based), or RTC_OK. */
static rtc_error set_multicast_options_v4(int fd,
                                          const rtc_socket_address* group,
                                          uint32_t if_index) {
  struct ip_mreqn mreq = {.imr_ifindex = (int)if_index};
  memcpy(&mreq.imr_multiaddr, group->addr, 4);
  if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0)
    return errno == ENODEV ? RTC_ERR_INVALID_ARGUMENT : RTC_ERR_IO;
  struct ip_mreqn iface = {.imr_ifindex = (int)if_index};
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &iface, sizeof(iface)) != 0 ||
      set_int_option(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 1) != 0 ||
      set_int_option(fd, IPPROTO_IP, IP_MULTICAST_TTL, MDNS_TTL) != 0 ||
      set_int_option(fd, IPPROTO_IP, IP_TTL, MDNS_TTL) != 0)
    return RTC_ERR_IO;
  /* Linux delivers a group's datagrams to every socket bound to the port
   * once any socket joined it, unless this is off. Best effort: the
   * interface filter on IP_PKTINFO catches the rest. */
  if (set_int_option(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0) != 0)
    RTC_LOG(VERBOSE, "IP_MULTICAST_ALL: %s", strerror(errno));
  return RTC_OK;
}

static rtc_error set_multicast_options_v6(int fd,
                                          const rtc_socket_address* group,
                                          uint32_t if_index) {
  struct ipv6_mreq mreq = {.ipv6mr_interface = if_index};
  memcpy(&mreq.ipv6mr_multiaddr, group->addr, 16);
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof(mreq)) != 0)
    return errno == ENODEV ? RTC_ERR_INVALID_ARGUMENT : RTC_ERR_IO;
  if (set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int)if_index) != 0 ||
      set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 1) != 0 ||
      set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, MDNS_TTL) != 0 ||
      set_int_option(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, MDNS_TTL) != 0)
    return RTC_ERR_IO;
  if (set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0) != 0)
    RTC_LOG(VERBOSE, "IPV6_MULTICAST_ALL: %s", strerror(errno));
  return RTC_OK;
}

/* Binds the socket to the interface, so that the kernel gives it only
 * datagrams that arrived there. This matters for unicast to the shared
 * port (RFC 6762 §5.4 unicast responses, §6.7 legacy queries): the kernel
 * hands a unicast datagram to one socket of the port only, and without
 * this it may pick the socket of another interface, whose IP_PKTINFO
 * filter then drops it. Best effort (kernels before 5.7 want CAP_NET_RAW);
 * the IP_PKTINFO filter stays either way. */
static void bind_to_interface(int fd, uint32_t if_index) {
  if (set_int_option(fd, SOL_SOCKET, SO_BINDTOIFINDEX, (int)if_index) == 0)
    return;
  char name[IF_NAMESIZE];
  if (if_indextoname(if_index, name) &&
      setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name,
                 (socklen_t)strlen(name)) == 0)
    return;
  RTC_LOG(VERBOSE, "SO_BINDTODEVICE %u: %s", if_index, strerror(errno));
}

static rtc_error sys_create_multicast_udp(
    rtc_socket_factory* factory,
    rtc_task_queue* queue,
    const rtc_socket_address* group,
    uint32_t if_index,
    const rtc_packet_socket_observer* observer,
    void* user,
    rtc_packet_socket** out) {
  *out = NULL;
  if (!group ||
      (group->family != RTC_AF_INET && group->family != RTC_AF_INET6) ||
      !rtc_socket_address_is_multicast(group) || group->port == 0 ||
      if_index == 0 || if_index > INT32_MAX)
    return RTC_ERR_INVALID_ARGUMENT;
  int family = to_family(group->family);
  udp_socket* s;
  rtc_error err =
      socket_open((system_factory*)factory, queue, family, observer, user, &s);
  if (err != RTC_OK)
    return err;
  err = RTC_ERR_IO;
  /* Other mDNS responders of this host share the port (RFC 6762 §15). */
  if (set_int_option(s->fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0)
    goto abandon;
  if (set_int_option(s->fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0)
    RTC_LOG(VERBOSE, "SO_REUSEPORT: %s", strerror(errno));
  bind_to_interface(s->fd, if_index);
  err = family == AF_INET ? set_multicast_options_v4(s->fd, group, if_index)
                          : set_multicast_options_v6(s->fd, group, if_index);
  if (err != RTC_OK)
    goto abandon;
  rtc_socket_address any;
  rtc_socket_address_clear(&any);
  any.family = group->family;
  any.port = group->port;
  err = bind_to(s->fd, &any);
  if (err != RTC_OK)
    goto abandon;
  s->if_index = if_index;
  err = socket_start(s);
  if (err != RTC_OK)
    goto abandon;
  *out = &s->base;
  return RTC_OK;

abandon:
  socket_abandon(s);
  return err;
}

/* --- The default route --- */

static rtc_error sys_default_route_address(rtc_socket_factory* factory,
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
  int fd = socket(to_family(family), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return errno == EAFNOSUPPORT ? RTC_ERR_NOT_FOUND
                                 : socket_errno_to_error(errno);
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
    return socket_errno_to_error(errno);
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

static rtc_error sys_list_interfaces(rtc_socket_factory* factory,
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

/* --- The factory --- */

static const rtc_socket_factory_vtable kSystemFactoryVtable = {
    .list_interfaces = sys_list_interfaces,
    .default_route_address = sys_default_route_address,
    .create_udp = sys_create_udp,
    .create_multicast_udp = sys_create_multicast_udp,
    .connect_tcp = rtc_system_connect_tcp,
    .listen_tcp = rtc_system_listen_tcp,
    .resolve = rtc_system_resolve,
};

rtc_error rtc_system_socket_factory_create(rtc_socket_factory** out) {
  *out = NULL;
  system_factory* f = rtc_calloc(1, sizeof(*f));
  if (!f)
    return RTC_ERR_NO_MEMORY;
  f->base.vtable = &kSystemFactoryVtable;
  atomic_init(&f->live_sockets, 0);
  rtc_error err = rtc_system_resolver_create(&f->resolver);
  if (err != RTC_OK) {
    rtc_free(f);
    return err;
  }
  *out = &f->base;
  return RTC_OK;
}

void rtc_system_socket_factory_destroy(rtc_socket_factory* factory) {
  if (!factory)
    return;
  system_factory* f = (system_factory*)factory;
  RTC_DCHECK_MSG(atomic_load(&f->live_sockets) == 0,
                 "%d sockets outlive their factory",
                 atomic_load(&f->live_sockets));
  rtc_system_resolver_destroy(f->resolver);
  rtc_free(f);
}
