/*
 * The kernel's sockets (p2p/udp_socket.h): real UDP sockets, multicast
 * sockets for mDNS, and the factory (its interface listing and default
 * route are in network_interfaces.c, TCP in tcp_socket.c). Linux only.
 *
 * Receiving. A readable socket is read with recvmmsg() in batches of
 * RECV_BATCH buffers, at most RECV_MAX_BATCHES batches per wake-up, so
 * that one busy socket cannot starve the other sockets and tasks of its
 * event loop (readiness is level-triggered: what is left wakes the loop
 * again). Sockets ask for UDP GRO (UDP_GRO, best effort): the kernel may
 * then hand over several datagrams of one sender in one buffer, with a
 * UDP_GRO control message giving the segment size (every datagram of the
 * buffer has that size but the last, which may be shorter). Such a buffer
 * is split into its datagrams here, so observers never see the
 * difference. The datagrams of a batch are delivered in order, at most
 * RECV_PACKETS per on_packets call (one batch may take several calls).
 *
 * Receive buffers. Datagrams must never be truncated silently, and a
 * datagram may be as large as RTC_MAX_PACKET_SIZE (an IPv6 one even a
 * little larger, which is then dropped as oversized), so every slot of a
 * batch holds RECV_SLOT_SIZE (64 KiB), which is also the most a GRO
 * buffer holds. Slots sized for the usual ~1200-byte WebRTC packet with
 * MSG_TRUNC detection would lose the rare large datagram for good (a
 * truncated datagram cannot be read again), and a single large slot would
 * give up batching. 32 slots of 64 KiB are 2 MiB, too much for every
 * socket; but a socket's data is only needed while its on_packets call
 * runs, and an event loop runs one callback at a time, so every socket
 * living on the same thread shares one receive arena (recv_arena):
 * allocated with the first socket of a thread, freed with the last. The
 * arena is address space more than memory: a page is only backed once a
 * datagram reaches it, so the usual small packets touch the first page of
 * each slot.
 *
 * Sending. On the thread of an event loop (rtc_event_loop_defer), a send
 * does not reach the kernel at once: the packets are copied into the
 * socket's send queue, and the queues of every socket of the thread are
 * flushed once, at the end of the loop round (flush_all, deferred once
 * per round per thread; a thread-local list holds the sockets with
 * queued packets, and destroy takes a socket off it). One round's
 * packets, often a burst of same-size DTLS records to one peer, then
 * leave in few syscalls: consecutive packets to the same destination and
 * of the same size (the last of a run may be shorter) go as one message
 * with a UDP_SEGMENT control message (UDP GSO: the kernel cuts it into
 * datagrams), at most GSO_MAX_SEGMENTS datagrams and GSO_MAX_BYTES bytes;
 * the messages of a flush go together through sendmmsg(). Order is kept:
 * a socket's packets leave in the order they were sent.
 *
 * A queue holds at most SEND_QUEUE_PACKETS packets or SEND_QUEUE_BYTES
 * bytes; a send that finds it full flushes it at once. When the kernel
 * says EAGAIN (or ENOBUFS), what is left stays queued, the socket waits
 * for writable and flushes then; while it waits, sends still queue, and
 * a send that finds the queue full fails with RTC_ERR_WOULD_BLOCK
 * (on_writable follows once the queue is flushed). Off an event loop
 * thread, or when the round already holds its 32 deferred calls, packets
 * go to the kernel at once, as they always did (unless packets wait in
 * the queue: they go first).
 *
 * What this changes for callers: a queued packet counts as sent. An
 * error the kernel gives for it later (unreachable, a firewall, port 0:
 * the per-packet errors that a direct send reports as RTC_ERR_NETWORK) is
 * no longer reported to the caller; the packet is dropped, logged and
 * counted (rtc_system_udp_stats.send_dropped). UDP promises no delivery
 * anyway, and every caller counts such a packet as sent and lost already.
 * Invalid packets (wrong family, too large) are still refused by the send
 * call itself.
 *
 * GSO fallback. Sockets use UDP_SEGMENT when the kernel has it (4.18;
 * probed once per process with getsockopt). A UDP_SEGMENT message the
 * kernel refuses is never lost: its datagrams are sent again without it.
 * EIO, ENOPROTOOPT or EOPNOTSUPP (a route or device without the offload)
 * turn GSO off for the socket; EINVAL or EMSGSIZE (a segment larger than
 * the path's MTU allows) turn it off for segments of that size and
 * larger, once the datagrams went out without it.
 *
 * Destroying from a callback. An observer may destroy the socket from
 * on_packets or on_writable. While a callback runs, the socket points at a
 * `destroyed` flag on the dispatching stack frame; destroy sets it, and
 * the dispatcher then leaves the (freed) socket alone. The dispatcher
 * holds its own reference on the arena, so the packets of the current
 * call stay valid even if that destroy released the thread's last socket.
 * Destroy flushes what the socket still has queued (a final send before a
 * close is not lost), once, without waiting for writable.
 *
 * Kernel features relied on: recvmmsg/sendmmsg (2.6.33/3.0),
 * SOCK_NONBLOCK|SOCK_CLOEXEC (2.6.27), IP_PKTINFO and IPV6_RECVPKTINFO,
 * ip_mreqn with imr_ifindex, SO_REUSEPORT (3.9), IP_MULTICAST_ALL (2.6.31)
 * and IPV6_MULTICAST_ALL (4.20; best effort), SO_BINDTOIFINDEX (5.0;
 * falling back to SO_BINDTODEVICE, best effort), UDP_SEGMENT (4.18; used
 * when present), UDP_GRO (5.0; best effort).
 */
#include "p2p/udp_socket.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "p2p/system_factory_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/event_loop.h"
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
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define RECV_BATCH 32
#define RECV_SLOT_SIZE 65536
#define RECV_MAX_BATCHES 4
/* Datagrams per on_packets call: a batch of GRO buffers may hold more. */
#define RECV_PACKETS 128
#define SEND_CHUNK 64
/* The send queue of a socket (see "Sending" above). */
#define SEND_QUEUE_PACKETS 64
#define SEND_QUEUE_BYTES (128 * 1024)
#define SEND_QUEUE_INITIAL_BYTES 4096
/* One UDP_SEGMENT message: the kernel takes at most 64 segments (128
 * since 6.9), and the whole must fit one IP packet. */
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_BYTES 65000

_Static_assert(RECV_SLOT_SIZE > RTC_MAX_PACKET_SIZE,
               "a slot holds the largest datagram accepted");
_Static_assert(SEND_QUEUE_BYTES >= RTC_MAX_PACKET_SIZE,
               "the send queue holds the largest datagram");
_Static_assert(SEND_QUEUE_PACKETS <= SEND_CHUNK,
               "a flush builds its messages at once");
_Static_assert(RECV_PACKETS >= RECV_BATCH, "a batch of plain datagrams fits");

/* Room for one IPv4 or IPv6 packet-info control message and the UDP_GRO
 * segment size. Too small a buffer would lose the UDP_GRO message
 * (MSG_CTRUNC) and make a GRO buffer look like one datagram. */
typedef union control_buffer {
  struct cmsghdr align;
  uint8_t bytes[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
                CMSG_SPACE(sizeof(struct in_pktinfo)) +
                CMSG_SPACE(sizeof(int))];
} control_buffer;

/* Room for one UDP_SEGMENT control message. */
typedef union gso_control {
  struct cmsghdr align;
  uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
} gso_control;

/* The receive buffers of every socket of one thread (see above). */
typedef struct recv_arena {
  int refs;
  struct mmsghdr msgs[RECV_BATCH];
  struct iovec iov[RECV_BATCH];
  struct sockaddr_storage names[RECV_BATCH];
  control_buffer control[RECV_BATCH];
  rtc_received_packet packets[RECV_PACKETS];
  uint8_t data[RECV_BATCH][RECV_SLOT_SIZE];
} recv_arena;

static _Thread_local recv_arena* tls_arena;

typedef rtc_system_factory system_factory;

/* A packet waiting in a socket's send queue. */
typedef struct queued_packet {
  uint32_t offset; /* of its bytes in send_queue.data */
  uint32_t size;
  rtc_socket_address destination;
} queued_packet;

/* The packets of a socket not yet handed to the kernel, in order; their
 * bytes follow each other in `data` (a GSO run is one iovec). */
typedef struct send_queue {
  queued_packet packets[SEND_QUEUE_PACKETS];
  size_t count;
  size_t bytes;    /* used in `data` */
  size_t capacity; /* of `data`, grown up to SEND_QUEUE_BYTES */
  uint8_t* data;
} send_queue;

typedef struct udp_socket {
  rtc_packet_socket base; /* first */
  system_factory* factory;
  recv_arena* arena; /* a reference */
  rtc_fd_watch* watch;
  int fd;
  int family;             /* AF_INET or AF_INET6 */
  uint16_t port;          /* bound port, for each packet's `destination` */
  uint32_t if_index;      /* multicast: deliver only what arrived here */
  bool watching_writable; /* the watch asks for RTC_FD_WRITABLE */
  bool owe_writable; /* a send gave RTC_ERR_WOULD_BLOCK: on_writable owed */
  bool blocked;      /* the queue waits for writable (the kernel said EAGAIN) */
  bool closed;       /* failed for good (on_closed was called) */
  bool* destroyed;   /* while a callback runs: set by destroy */
  bool gso;          /* UDP_SEGMENT may be used */
  bool gro;          /* UDP_GRO is on */
  /* Segments of this size or larger go without GSO (an earlier refusal). */
  uint32_t gso_size_limit;
  send_queue* queue; /* NULL until the first queued send */
  /* In this thread's list of sockets to flush at the end of the round. */
  bool flush_linked;
  struct udp_socket* flush_prev;
  struct udp_socket* flush_next;
  rtc_system_udp_stats stats; /* the counters (flags are filled on demand) */
  rtc_system_udp_faults faults;
} udp_socket;

/* The sockets of this thread with packets to flush at the end of the
 * round, in the order they queued their first packet. */
typedef struct flush_list {
  udp_socket* head;
  udp_socket* tail;
  bool scheduled; /* flush_all is deferred for this round */
} flush_list;

static _Thread_local flush_list tls_flush;

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

int rtc_system_kernel_family(rtc_address_family family) {
  return family == RTC_AF_INET ? AF_INET : AF_INET6;
}

rtc_error rtc_system_socket_errno_to_error(int e) {
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

/* What a datagram's control messages say. */
typedef struct control_info {
  rtc_socket_address destination; /* header destination, else unspecified */
  uint32_t if_index;              /* the interface it arrived on, else 0 */
  size_t gro_segment; /* a GRO buffer: the size of its datagrams, else 0 */
} control_info;

/* Reads the packet-info control message (the header destination address
 * and the interface the datagram arrived on) and the UDP_GRO one. */
static void parse_control(const udp_socket* s,
                          struct msghdr* hdr,
                          control_info* out) {
  rtc_socket_address_clear(&out->destination);
  out->if_index = 0;
  out->gro_segment = 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(hdr); c; c = CMSG_NXTHDR(hdr, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
        c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
      struct in_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof(info));
      out->destination.family = RTC_AF_INET;
      out->destination.port = s->port;
      memcpy(out->destination.addr, &info.ipi_addr, 4);
      out->if_index = (uint32_t)info.ipi_ifindex;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof(info));
      uint32_t scope = 0;
      if (IN6_IS_ADDR_LINKLOCAL(&info.ipi6_addr) ||
          IN6_IS_ADDR_MC_LINKLOCAL(&info.ipi6_addr) ||
          IN6_IS_ADDR_MC_NODELOCAL(&info.ipi6_addr))
        scope = info.ipi6_ifindex;
      rtc_socket_address_set_ipv6(&out->destination, info.ipi6_addr.s6_addr,
                                  s->port, scope);
      out->if_index = info.ipi6_ifindex;
    } else if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO &&
               c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int segment;
      memcpy(&segment, CMSG_DATA(c), sizeof(segment));
      out->gro_segment = segment > 0 ? (size_t)segment : 0;
    }
  }
}

static void drop_queue(udp_socket* s, const char* why);

/* The socket failed for good: stop watching, tell the observer. */
static void fail_socket(udp_socket* s, rtc_error error) {
  s->closed = true;
  drop_queue(s, "the socket failed");
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

/* The datagrams collected for the next on_packets call. */
typedef struct delivery {
  udp_socket* s;
  recv_arena* a;
  const bool* destroyed;
  size_t count; /* in a->packets */
} delivery;

/* Hands the collected datagrams to the observer. False when the socket
 * was destroyed or failed meanwhile: reading stops. */
static bool deliver(delivery* d) {
  if (d->count == 0)
    return true;
  size_t count = d->count;
  d->count = 0;
  udp_socket* s = d->s;
  s->stats.datagrams_received += count;
  s->base.observer->on_packets(s->base.observer_user, &s->base, d->a->packets,
                               count);
  return !*d->destroyed && !s->closed;
}

/* Collects the datagrams of one received buffer (a GRO buffer holds
 * several), delivering whenever RECV_PACKETS are collected. False: stop. */
static bool collect_buffer(delivery* d, int slot, int64_t now) {
  udp_socket* s = d->s;
  recv_arena* a = d->a;
  struct msghdr* hdr = &a->msgs[slot].msg_hdr;
  size_t size = a->msgs[slot].msg_len;
  control_info info;
  parse_control(s, hdr, &info);
  size_t segment = info.gro_segment;
  if (s->gro && (hdr->msg_flags & MSG_CTRUNC)) {
    /* The UDP_GRO message may be what was cut off: whether this is one
     * datagram or several cannot be told. (The buffer has room for every
     * message asked for, so this does not happen.) */
    s->stats.dropped_oversized++;
    RTC_LOG(WARNING,
            "udp socket %d: dropped a buffer of %zu bytes whose "
            "control messages were truncated",
            s->fd, size);
    return true;
  }
  if (segment == 0 || segment >= size) {
    /* One datagram. */
    if ((hdr->msg_flags & MSG_TRUNC) || size > RTC_MAX_PACKET_SIZE) {
      s->stats.dropped_oversized++;
      RTC_LOG(VERBOSE, "udp socket %d: dropped a datagram over %d bytes", s->fd,
              RTC_MAX_PACKET_SIZE);
      return true;
    }
    segment = size;
  } else {
    /* A GRO buffer: datagrams of `segment` bytes, the last maybe shorter. */
    s->stats.gro_buffers++;
    if (segment > RTC_MAX_PACKET_SIZE) {
      s->stats.dropped_oversized += (size + segment - 1) / segment;
      return true;
    }
    if (hdr->msg_flags & MSG_TRUNC) {
      /* Longer than a slot (cannot happen: a GRO buffer is one IP packet).
       * The whole datagrams that were read are intact; the rest is lost. */
      size -= size % segment;
      s->stats.dropped_oversized++;
      RTC_LOG(WARNING, "udp socket %d: a GRO buffer was truncated", s->fd);
    }
  }
  rtc_socket_address source;
  if (rtc_socket_address_from_sockaddr(hdr->msg_name, hdr->msg_namelen,
                                       &source) != RTC_OK)
    return true;
  if (s->if_index != 0 && info.if_index != s->if_index) {
    /* Sockets of other interfaces share this port (RFC 6762 §15). */
    s->stats.dropped_other_interface +=
        segment == 0 ? 1 : (size + segment - 1) / segment;
    return true;
  }
  size_t offset = 0;
  do {
    size_t len = size - offset < segment ? size - offset : segment;
    rtc_received_packet* p = &a->packets[d->count++];
    p->data = a->data[slot] + offset;
    p->size = len;
    p->source = source;
    p->destination = info.destination;
    p->arrival_us = now;
    offset += len;
    if (d->count == RECV_PACKETS && !deliver(d))
      return false;
  } while (offset < size);
  return true;
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
    delivery d = {.s = s, .a = a, .destroyed = destroyed};
    int64_t now = rtc_task_queue_now_us(s->base.queue);
    bool go_on = true;
    for (int i = 0; i < n && go_on; i++)
      go_on = collect_buffer(&d, i, now);
    if (go_on)
      go_on = deliver(&d);
    if (!go_on)
      break;
    if (n < RECV_BATCH)
      break; /* drained (what arrives meanwhile wakes the loop again) */
  }
  arena_release(a);
}

static void flush_queue(udp_socket* s);

/* Writable again: flush what waited, then tell the observer if a send was
 * refused. */
static void on_writable_event(udp_socket* s) {
  if (s->blocked) {
    s->blocked = false;
    flush_queue(s); /* may block again: then it keeps watching */
    if (s->blocked)
      return;
  }
  s->watching_writable = false;
  rtc_fd_watch_set_events(s->watch, RTC_FD_READABLE);
  if (s->owe_writable) {
    s->owe_writable = false;
    if (s->base.observer->on_writable)
      s->base.observer->on_writable(s->base.observer_user, &s->base);
  }
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
      s->watching_writable)
    on_writable_event(s);
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

static bool is_would_block(int e) {
  return e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS;
}

/* Asks the loop for writable events; false if it cannot. */
static bool watch_writable(udp_socket* s) {
  if (s->watching_writable)
    return true;
  if (!s->watch)
    return false;
  rtc_error err =
      rtc_fd_watch_set_events(s->watch, RTC_FD_READABLE | RTC_FD_WRITABLE);
  if (err != RTC_OK) {
    RTC_LOG(ERROR, "udp socket %d: cannot watch for writable: %s", s->fd,
            rtc_error_name(err));
    return false;
  }
  s->watching_writable = true;
  return true;
}

/* The one place that hands messages to the kernel (or to the test's
 * faults). `spans[i]` is how many datagrams message i carries (more than
 * one: a UDP_SEGMENT message; NULL: one each). Returns how many messages
 * went, or -1 with errno. */
static int send_messages(udp_socket* s,
                         struct mmsghdr* msgs,
                         const size_t* spans,
                         size_t n) {
  if (s->faults.eagain_sends > 0) {
    s->faults.eagain_sends--;
    errno = EAGAIN;
    return -1;
  }
  if (s->faults.gso_errno != 0 && spans) {
    for (size_t i = 0; i < n; i++) {
      if (spans[i] > 1) {
        if (i == 0) {
          errno = s->faults.gso_errno;
          return -1;
        }
        n = i; /* those before it go */
        break;
      }
    }
  }
  s->stats.send_calls++;
  if (n == 1)
    return sendmsg(s->fd, &msgs[0].msg_hdr, MSG_DONTWAIT) < 0 ? -1 : 1;
  return sendmmsg(s->fd, msgs, (unsigned)n, MSG_DONTWAIT);
}

/* Sends `n` prepared one-datagram messages; *done says how many went or
 * were dropped. */
static rtc_error send_prepared(udp_socket* s,
                               struct mmsghdr* msgs,
                               size_t n,
                               size_t* done,
                               bool* dropped) {
  *done = 0;
  while (*done < n) {
    int r = send_messages(s, &msgs[*done], NULL, n - *done);
    if (r > 0) {
      *done += (size_t)r;
      s->stats.datagrams_sent += (uint64_t)r;
      continue;
    }
    int e = r == 0 ? EIO : errno;
    if (e == EINTR)
      continue;
    if (is_would_block(e)) {
      if (watch_writable(s))
        s->owe_writable = true;
      return RTC_ERR_WOULD_BLOCK;
    }
    if (is_per_packet_error(e)) {
      RTC_LOG(VERBOSE, "udp socket %d: datagram dropped: %s", s->fd,
              strerror(e));
      s->stats.send_dropped++;
      *dropped = true;
      (*done)++;
      continue;
    }
    RTC_LOG(ERROR, "udp socket %d: send: %s", s->fd, strerror(e));
    return RTC_ERR_IO;
  }
  return RTC_OK;
}

/* Sends at once (off an event loop thread, or when nothing can be
 * deferred this round): the way every send went before the queue. */
static rtc_error send_now(udp_socket* s,
                          const rtc_outgoing_packet* packets,
                          size_t count,
                          size_t* sent) {
  *sent = 0;
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

/* --- The send queue --- */

/* Whether the kernel has UDP GSO, probed once per process: 0 not yet
 * known, 1 yes, -1 no. */
static atomic_int g_kernel_gso;

static bool kernel_has_gso(int fd) {
  int known = atomic_load_explicit(&g_kernel_gso, memory_order_relaxed);
  if (known != 0)
    return known > 0;
  int value = 0;
  socklen_t len = sizeof(value);
  if (getsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &value, &len) == 0) {
    atomic_store_explicit(&g_kernel_gso, 1, memory_order_relaxed);
    return true;
  }
  /* Before 4.18 the option is unknown; a kernel that ignored the control
   * message would send a run as one large datagram, so never guess. */
  if (errno == ENOPROTOOPT) {
    atomic_store_explicit(&g_kernel_gso, -1, memory_order_relaxed);
    RTC_LOG(INFO, "UDP GSO not available: %s", strerror(errno));
  }
  return false;
}

static void flush_link(udp_socket* s) {
  if (s->flush_linked)
    return;
  s->flush_prev = tls_flush.tail;
  s->flush_next = NULL;
  if (tls_flush.tail)
    tls_flush.tail->flush_next = s;
  else
    tls_flush.head = s;
  tls_flush.tail = s;
  s->flush_linked = true;
}

static void flush_unlink(udp_socket* s) {
  if (!s->flush_linked)
    return;
  if (s->flush_prev)
    s->flush_prev->flush_next = s->flush_next;
  else
    tls_flush.head = s->flush_next;
  if (s->flush_next)
    s->flush_next->flush_prev = s->flush_prev;
  else
    tls_flush.tail = s->flush_prev;
  s->flush_prev = s->flush_next = NULL;
  s->flush_linked = false;
}

/* End of the loop round: flushes every socket of the thread that queued
 * packets. No observer is called from here. */
static void flush_all(void* arg) {
  (void)arg;
  tls_flush.scheduled = false;
  while (tls_flush.head) {
    udp_socket* s = tls_flush.head;
    flush_unlink(s);
    if (!s->blocked)
      flush_queue(s);
  }
}

/* True when a flush_all will run at the end of this round on this thread
 * (deferring it now if need be). */
static bool flush_scheduled(void) {
  if (tls_flush.scheduled)
    return true;
  if (!rtc_event_loop_defer(flush_all, NULL))
    return false;
  tls_flush.scheduled = true;
  return true;
}

static size_t queued_count(const udp_socket* s) {
  return s->queue ? s->queue->count : 0;
}

/* Forgets the queued packets (they are lost). */
static void drop_queue(udp_socket* s, const char* why) {
  flush_unlink(s);
  s->blocked = false;
  if (!s->queue || s->queue->count == 0)
    return;
  RTC_LOG(WARNING, "udp socket %d: %zu queued datagrams dropped: %s", s->fd,
          s->queue->count, why);
  s->stats.send_dropped += s->queue->count;
  s->queue->count = 0;
  s->queue->bytes = 0;
}

/* Takes the first `done` packets out of the queue (they went). */
static void queue_consume(send_queue* q, size_t done) {
  if (done == 0)
    return;
  if (done >= q->count) {
    q->count = 0;
    q->bytes = 0;
    return;
  }
  uint32_t shift = q->packets[done].offset;
  memmove(q->packets, q->packets + done,
          (q->count - done) * sizeof(q->packets[0]));
  q->count -= done;
  if (shift == 0)
    return; /* only empty datagrams went */
  for (size_t i = 0; i < q->count; i++)
    q->packets[i].offset -= shift;
  memmove(q->data, q->data + shift, q->bytes - shift);
  q->bytes -= shift;
}

/* How many queued packets from `first` on can go as one UDP_SEGMENT
 * message: 1 when none can join the first. */
static size_t gso_run(const udp_socket* s, const send_queue* q, size_t first) {
  const queued_packet* p = &q->packets[first];
  uint32_t segment = p->size;
  /* Multicast (mDNS) gains nothing from it: not worth the kernel's
   * less-travelled multicast-loopback path. */
  if (!s->gso || segment == 0 || segment >= s->gso_size_limit ||
      rtc_socket_address_is_multicast(&p->destination))
    return 1;
  size_t total = segment;
  size_t n = 1;
  while (first + n < q->count && n < GSO_MAX_SEGMENTS) {
    const queued_packet* next = &q->packets[first + n];
    if (next->size == 0 || next->size > segment ||
        total + next->size > GSO_MAX_BYTES ||
        !rtc_socket_address_equal(&next->destination, &p->destination))
      break;
    RTC_DCHECK(next->offset == p->offset + total);
    total += next->size;
    n++;
    if (next->size < segment)
      break; /* a shorter one ends the run */
  }
  return n;
}

/* Prepares the messages for the queued packets from `first` on: runs of
 * GSO where allowed (not before `plain_until`). Returns how many. */
static size_t build_messages(const udp_socket* s,
                             send_queue* q,
                             size_t first,
                             size_t plain_until,
                             struct mmsghdr* msgs,
                             struct iovec* iov,
                             struct sockaddr_storage* names,
                             gso_control* control,
                             size_t* spans) {
  size_t n = 0;
  for (size_t i = first; i < q->count && n < SEND_CHUNK; n++) {
    const queued_packet* p = &q->packets[i];
    size_t span = i < plain_until ? 1 : gso_run(s, q, i);
    size_t bytes = 0;
    for (size_t k = 0; k < span; k++)
      bytes += q->packets[i + k].size;
    /* No buffer yet when only empty datagrams were queued. */
    iov[n].iov_base = q->data ? q->data + p->offset : NULL;
    iov[n].iov_len = bytes;
    socklen_t len = rtc_socket_address_to_sockaddr(&p->destination, &names[n]);
    msgs[n] = (struct mmsghdr){
        .msg_hdr = {.msg_name = &names[n],
                    .msg_namelen = len,
                    .msg_iov = &iov[n],
                    .msg_iovlen = 1},
    };
    if (span > 1) {
      memset(&control[n], 0, sizeof(control[n]));
      struct msghdr* hdr = &msgs[n].msg_hdr;
      hdr->msg_control = control[n].bytes;
      hdr->msg_controllen = sizeof(control[n].bytes);
      struct cmsghdr* c = CMSG_FIRSTHDR(hdr);
      c->cmsg_level = IPPROTO_UDP; /* SOL_UDP */
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t segment = (uint16_t)p->size;
      memcpy(CMSG_DATA(c), &segment, sizeof(segment));
    }
    spans[n] = span;
    i += span;
  }
  return n;
}

/* A UDP_SEGMENT message of `segment`-byte datagrams was refused with `e`
 * (its datagrams are sent again without it). */
static void gso_refused(udp_socket* s, int e, uint32_t segment) {
  s->stats.gso_refused++;
  switch (e) {
    case EIO:         /* no checksum offload on the route's device, IPsec */
    case ENOPROTOOPT: /* a kernel without UDP_SEGMENT */
    case EOPNOTSUPP:
      RTC_LOG(INFO, "udp socket %d: UDP GSO refused (%s): off for the socket",
              s->fd, strerror(e));
      s->gso = false;
      break;
    default:
      RTC_LOG(VERBOSE, "udp socket %d: UDP GSO of %u-byte segments refused: %s",
              s->fd, (unsigned)segment, strerror(e));
      break;
  }
}

/* A refused GSO run is sent again without GSO (its datagrams, up to
 * `plain_until`, one message each). If one of them then goes, GSO was what
 * the kernel refused for EINVAL or EMSGSIZE (not the destination), and
 * segments that large stop using it. */
typedef struct gso_refusal {
  size_t plain_until; /* 0: none under way */
  uint32_t segment;
  bool for_size; /* EINVAL or EMSGSIZE */
  bool plain_went;
} gso_refusal;

/* The queue's first `next` packets are done: settles the refusal once the
 * run it covered is. */
static void refusal_settle(udp_socket* s, gso_refusal* r, size_t next) {
  if (r->plain_until == 0 || next < r->plain_until)
    return;
  if (r->for_size && r->plain_went && r->segment < s->gso_size_limit) {
    RTC_LOG(VERBOSE, "udp socket %d: no GSO for segments of %u bytes and more",
            s->fd, (unsigned)r->segment);
    s->gso_size_limit = r->segment;
  }
  r->plain_until = 0;
}

/* Hands the queued packets to the kernel, in order. What the kernel
 * refuses for good is dropped (counted); on EAGAIN or ENOBUFS the rest
 * stays queued, the socket is `blocked` and watches for writable. Never
 * calls an observer. */
static void flush_queue(udp_socket* s) {
  send_queue* q = s->queue;
  if (!q || q->count == 0)
    return;
  size_t next = 0; /* the first packet neither sent nor dropped */
  gso_refusal refusal = {0};
  while (next < q->count) {
    struct mmsghdr msgs[SEND_CHUNK];
    struct iovec iov[SEND_CHUNK];
    struct sockaddr_storage names[SEND_CHUNK];
    gso_control control[SEND_CHUNK];
    size_t spans[SEND_CHUNK];
    size_t n = build_messages(s, q, next, refusal.plain_until, msgs, iov, names,
                              control, spans);
    size_t done = 0;
    while (done < n) {
      int r = send_messages(s, &msgs[done], &spans[done], n - done);
      if (r > 0) {
        for (int k = 0; k < r; k++, done++) {
          if (spans[done] > 1)
            s->stats.gso_sends++;
          else if (next < refusal.plain_until)
            refusal.plain_went = true;
          s->stats.datagrams_sent += spans[done];
          next += spans[done];
          refusal_settle(s, &refusal, next);
        }
        continue;
      }
      int e = r == 0 ? EIO : errno;
      if (e == EINTR)
        continue;
      if (is_would_block(e)) {
        queue_consume(q, next);
        if (watch_writable(s)) {
          s->blocked = true;
          flush_unlink(s);
        } else {
          drop_queue(s, "cannot wait for writable");
        }
        return;
      }
      if (spans[done] > 1) {
        /* Never lost: built again, this run without GSO. */
        gso_refused(s, e, q->packets[next].size);
        refusal = (gso_refusal){
            .plain_until = next + spans[done],
            .segment = q->packets[next].size,
            .for_size = e == EINVAL || e == EMSGSIZE,
        };
        break;
      }
      if (is_per_packet_error(e))
        RTC_LOG(VERBOSE, "udp socket %d: datagram dropped: %s", s->fd,
                strerror(e));
      else
        RTC_LOG(ERROR, "udp socket %d: send: %s (datagram dropped)", s->fd,
                strerror(e));
      s->stats.send_dropped++;
      next++;
      done++;
      refusal_settle(s, &refusal, next);
    }
  }
  queue_consume(q, next);
}

/* Whether the queue has room for one more packet of `size` bytes. */
static bool queue_has_room(const send_queue* q, size_t size) {
  return q->count < SEND_QUEUE_PACKETS && q->bytes + size <= SEND_QUEUE_BYTES;
}

/* Grows the queue's buffer to hold `bytes`; false when out of memory. */
static bool queue_reserve(send_queue* q, size_t bytes) {
  if (bytes <= q->capacity)
    return true;
  size_t capacity = q->capacity ? q->capacity : SEND_QUEUE_INITIAL_BYTES;
  while (capacity < bytes)
    capacity *= 2;
  if (capacity > SEND_QUEUE_BYTES)
    capacity = SEND_QUEUE_BYTES;
  uint8_t* data = rtc_realloc(q->data, capacity);
  if (!data)
    return false;
  q->data = data;
  q->capacity = capacity;
  return true;
}

/* Queues one checked packet for the end of the round. RTC_OK (queued, or
 * sent at once when memory ran out), RTC_ERR_WOULD_BLOCK (the queue is
 * full and waits for writable), or what send_now gave. */
static rtc_error queue_packet(udp_socket* s, const rtc_outgoing_packet* p) {
  if (!s->queue) {
    s->queue = rtc_calloc(1, sizeof(*s->queue));
    if (!s->queue) {
      size_t sent;
      return send_now(s, p, 1, &sent); /* nothing queued: order holds */
    }
  }
  send_queue* q = s->queue;
  if (!queue_has_room(q, p->size) && !s->blocked)
    flush_queue(s);
  if (!queue_has_room(q, p->size) || !queue_reserve(q, q->bytes + p->size)) {
    if (q->count > 0 && !s->blocked)
      flush_queue(s); /* out of memory: make room */
    if (q->count == 0) {
      size_t sent;
      return send_now(s, p, 1, &sent);
    }
    if (s->blocked) {
      s->owe_writable = true;
      return RTC_ERR_WOULD_BLOCK;
    }
    /* Unreachable: a flush that leaves packets behind blocks. */
    return RTC_ERR_NO_MEMORY;
  }
  queued_packet* entry = &q->packets[q->count++];
  entry->offset = (uint32_t)q->bytes;
  entry->size = (uint32_t)p->size;
  entry->destination = p->destination;
  if (p->size > 0)
    memcpy(q->data + q->bytes, p->data, p->size);
  q->bytes += p->size;
  if (!s->blocked)
    flush_link(s);
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
  /* Queued packets go first, whatever the thread: a socket with some is
   * either on this thread's flush list or waiting for writable. */
  if (queued_count(s) == 0 && !flush_scheduled())
    return send_now(s, packets, count, sent);
  bool dropped = false;
  for (size_t i = 0; i < count; i++) {
    rtc_error err = check_packet(s, &packets[i]);
    if (err == RTC_OK)
      err = queue_packet(s, &packets[i]);
    if (err == RTC_ERR_NETWORK) {
      dropped = true; /* sent at once, and dropped: counts as sent */
      err = RTC_OK;
    }
    if (err != RTC_OK)
      return err;
    (*sent)++;
  }
  return dropped ? RTC_ERR_NETWORK : RTC_OK;
}

void rtc_system_udp_socket_stats(rtc_packet_socket* socket,
                                 rtc_system_udp_stats* out) {
  udp_socket* s = (udp_socket*)socket;
  RTC_CHECK(socket->vtable->send == udp_send);
  RTC_DCHECK(rtc_task_queue_is_current(s->base.queue));
  *out = s->stats;
  out->gso = s->gso;
  out->gro = s->gro;
  out->queued = queued_count(s);
  out->blocked = s->blocked;
}

void rtc_system_udp_socket_set_faults(rtc_packet_socket* socket,
                                      const rtc_system_udp_faults* faults) {
  udp_socket* s = (udp_socket*)socket;
  RTC_CHECK(socket->vtable->send == udp_send);
  RTC_DCHECK(rtc_task_queue_is_current(s->base.queue));
  s->faults = *faults;
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
  /* A final send before the close must not be lost: one flush, now (if
   * the kernel has no room for it, it is dropped). */
  flush_unlink(s);
  if (!s->closed)
    flush_queue(s);
  drop_queue(s, "the socket was destroyed");
  if (s->watch)
    rtc_fd_watch_destroy(s->watch);
  close(s->fd);
  if (s->stats.dropped_oversized || s->stats.dropped_other_interface ||
      s->stats.send_dropped)
    RTC_LOG(VERBOSE,
            "udp socket %d: dropped %llu oversized datagrams, %llu from "
            "other interfaces and %llu to send",
            s->fd, (unsigned long long)s->stats.dropped_oversized,
            (unsigned long long)s->stats.dropped_other_interface,
            (unsigned long long)s->stats.send_dropped);
  if (s->queue) {
    rtc_free(s->queue->data);
    rtc_free(s->queue);
  }
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
    err = rtc_system_socket_errno_to_error(errno);
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
  /* Best effort: without it (before 5.0) datagrams come one by one. */
  s->gro = set_int_option(s->fd, IPPROTO_UDP, UDP_GRO, 1) == 0;
  s->gso = kernel_has_gso(s->fd);
  s->gso_size_limit = UINT32_MAX;
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
  rtc_error err =
      socket_open((system_factory*)factory, queue,
                  rtc_system_kernel_family(local->family), observer, user, &s);
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
  int family = rtc_system_kernel_family(group->family);
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

/* --- The factory --- */

static const rtc_socket_factory_vtable kSystemFactoryVtable = {
    .list_interfaces = rtc_system_list_interfaces,
    .default_route_address = rtc_system_default_route_address,
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
