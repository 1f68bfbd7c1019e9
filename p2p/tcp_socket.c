/*
 * The kernel's TCP sockets (stream_socket.h): non-blocking connections
 * and listeners on the socket's task queue, each watched for readiness.
 *
 * Sending: bytes go straight to the kernel; what it does not take waits in
 * the socket's own buffer (RTC_STREAM_SEND_BUFFER), which the writable
 * watch drains. Receiving: everything readable is read in 64 KiB pieces
 * and handed over in order; end of stream (after the last bytes) or an
 * error ends the connection with on_closed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "p2p/system_factory_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"

#define READ_CHUNK (64 * 1024)
#define LISTEN_BACKLOG 16

typedef struct tcp_socket {
  rtc_stream_socket base; /* first */
  rtc_system_factory* factory;
  int fd;
  rtc_fd_watch* watch;
  bool connecting;
  bool closed;          /* on_closed was delivered (or is on its way) */
  bool notify_writable; /* a send took less than it was given */
  uint32_t events;      /* what the watch asks for */
  uint8_t* out;         /* bytes the kernel has not taken yet */
  size_t out_len;
  size_t out_cap;
  bool* destroyed; /* set while a callback runs */
} tcp_socket;

typedef struct tcp_listener {
  rtc_stream_listener base; /* first */
  rtc_system_factory* factory;
  int fd;
  rtc_fd_watch* watch;
  bool* destroyed;
} tcp_listener;

static const rtc_stream_socket_vtable kSocketVtable;
static const rtc_stream_listener_vtable kListenerVtable;

/* Why a connection failed: the peer or the path (RTC_ERR_NETWORK), or this
 * host (RTC_ERR_IO). */
static rtc_error connection_error(int e) {
  switch (e) {
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
    case ETIMEDOUT:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
      return RTC_ERR_NETWORK;
    default:
      return RTC_ERR_IO;
  }
}

static rtc_error setup_errno_to_error(int e) {
  switch (e) {
    case EADDRINUSE:
    case EACCES:
      return RTC_ERR_NOT_FOUND;
    case EADDRNOTAVAIL:
    case EINVAL:
    case ENODEV:
    case EAFNOSUPPORT:
      return RTC_ERR_INVALID_ARGUMENT;
    case ENOMEM:
    case ENOBUFS:
      return RTC_ERR_NO_MEMORY;
    default:
      return RTC_ERR_IO;
  }
}

/* A non-blocking socket of `local`'s family bound to it. */
static rtc_error open_bound(const rtc_socket_address* local, int* fd_out) {
  *fd_out = -1;
  if (local->family != RTC_AF_INET && local->family != RTC_AF_INET6)
    return RTC_ERR_INVALID_ARGUMENT;
  int fd = socket(local->family == RTC_AF_INET ? AF_INET : AF_INET6,
                  SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return setup_errno_to_error(errno);
  const int on = 1;
  if (local->family == RTC_AF_INET6)
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  /* Small packets (STUN, ChannelData) go out at once. */
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  struct sockaddr_storage ss;
  socklen_t len = rtc_socket_address_to_sockaddr(local, &ss);
  if (bind(fd, (struct sockaddr*)&ss, len) != 0) {
    rtc_error err = setup_errno_to_error(errno);
    close(fd);
    return err;
  }
  *fd_out = fd;
  return RTC_OK;
}

static rtc_error address_of(int fd, bool peer, rtc_socket_address* out) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  int r = peer ? getpeername(fd, (struct sockaddr*)&ss, &len)
               : getsockname(fd, (struct sockaddr*)&ss, &len);
  if (r != 0)
    return peer ? RTC_ERR_INVALID_STATE : RTC_ERR_IO;
  return rtc_socket_address_from_sockaddr((struct sockaddr*)&ss, len, out);
}

/* --- Connections --- */

static void set_events(tcp_socket* s, uint32_t events) {
  if (s->events == events || !s->watch)
    return;
  if (rtc_fd_watch_set_events(s->watch, events) == RTC_OK)
    s->events = events;
}

/* Ends the connection: no more watching, on_closed once. */
static void finish(tcp_socket* s, rtc_error error) {
  if (s->closed)
    return;
  s->closed = true;
  rtc_fd_watch_destroy(s->watch);
  s->watch = NULL;
  s->base.observer->on_closed(s->base.observer_user, &s->base, error);
}

/* Hands the kernel what waits; false when the connection failed. */
static bool flush(tcp_socket* s) {
  size_t done = 0;
  while (done < s->out_len) {
    ssize_t n = send(s->fd, s->out + done, s->out_len - done,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    finish(s, connection_error(n < 0 ? errno : EPIPE));
    return false;
  }
  memmove(s->out, s->out + done, s->out_len - done);
  s->out_len -= done;
  return true;
}

static void read_all(tcp_socket* s, bool* destroyed) {
  uint8_t buf[READ_CHUNK];
  for (;;) {
    ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      s->base.observer->on_data(s->base.observer_user, &s->base, buf,
                                (size_t)n);
      if (*destroyed || s->closed)
        return;
      if ((size_t)n < sizeof(buf))
        return; /* drained: the watch says when more comes */
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    /* 0: the peer's FIN, after its last bytes (delivered above). */
    finish(s, n == 0 ? RTC_OK : connection_error(errno));
    return;
  }
}

static void on_socket_ready(void* arg, int fd, uint32_t events) {
  (void)fd;
  tcp_socket* s = arg;
  if (!s->base.observer) {
    /* An accepted socket whose owner kept it without an observer (the
     * contract says otherwise): stop watching rather than spin. */
    RTC_LOG(ERROR, "tcp socket %d: no observer", s->fd);
    rtc_fd_watch_destroy(s->watch);
    s->watch = NULL;
    return;
  }
  bool destroyed = false;
  s->destroyed = &destroyed;
  if (s->connecting) {
    int error = 0;
    socklen_t len = sizeof(error);
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
      error = errno;
    if (error == 0 && !(events & (RTC_FD_ERROR | RTC_FD_HANGUP)) &&
        !(events & RTC_FD_WRITABLE))
      goto done; /* not yet */
    s->connecting = false;
    if (error != 0 || (events & RTC_FD_ERROR)) {
      finish(s, connection_error(error ? error : ECONNREFUSED));
      goto done;
    }
    set_events(s, RTC_FD_READABLE | (s->out_len ? RTC_FD_WRITABLE : 0));
    if (s->base.observer->on_connected)
      s->base.observer->on_connected(s->base.observer_user, &s->base);
    goto done;
  }
  if (events & (RTC_FD_READABLE | RTC_FD_ERROR | RTC_FD_HANGUP)) {
    read_all(s, &destroyed);
    if (destroyed || s->closed)
      goto done;
  }
  if (events & RTC_FD_WRITABLE) {
    if (!flush(s) || destroyed)
      goto done;
    if (s->out_len == 0) {
      set_events(s, RTC_FD_READABLE);
      if (s->notify_writable) {
        s->notify_writable = false;
        if (s->base.observer->on_writable)
          s->base.observer->on_writable(s->base.observer_user, &s->base);
      }
    }
  }
done:
  if (!destroyed)
    s->destroyed = NULL;
}

static rtc_error socket_send(rtc_stream_socket* socket,
                             const uint8_t* data,
                             size_t size,
                             size_t* accepted) {
  tcp_socket* s = (tcp_socket*)socket;
  if (s->closed)
    return RTC_ERR_CLOSED;
  if (s->connecting)
    return RTC_ERR_INVALID_STATE;
  size_t direct = 0;
  if (s->out_len == 0) {
    while (direct < size) {
      ssize_t n = send(s->fd, data + direct, size - direct,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        direct += (size_t)n;
        continue;
      }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      /* Reset or broken: the read side reports it (the watch fires with
       * an error or end of stream); nothing more goes out. */
      return RTC_ERR_CLOSED;
    }
  }
  size_t rest = size - direct;
  size_t room = RTC_STREAM_SEND_BUFFER - s->out_len;
  size_t take = rest < room ? rest : room;
  if (take > 0) {
    if (s->out_len + take > s->out_cap) {
      size_t cap = s->out_cap ? s->out_cap : 16 * 1024;
      while (cap < s->out_len + take)
        cap *= 2;
      if (cap > RTC_STREAM_SEND_BUFFER)
        cap = RTC_STREAM_SEND_BUFFER;
      uint8_t* bigger = rtc_realloc(s->out, cap);
      if (!bigger) {
        take = 0;
      } else {
        s->out = bigger;
        s->out_cap = cap;
      }
    }
    memcpy(s->out + s->out_len, data + direct, take);
    s->out_len += take;
  }
  *accepted = direct + take;
  if (*accepted < size)
    s->notify_writable = true;
  if (s->out_len > 0)
    set_events(s, RTC_FD_READABLE | RTC_FD_WRITABLE);
  return RTC_OK;
}

static rtc_error socket_local_address(rtc_stream_socket* socket,
                                      rtc_socket_address* out) {
  return address_of(((tcp_socket*)socket)->fd, false, out);
}

static rtc_error socket_remote_address(rtc_stream_socket* socket,
                                       rtc_socket_address* out) {
  return address_of(((tcp_socket*)socket)->fd, true, out);
}

static void socket_destroy(rtc_stream_socket* socket) {
  tcp_socket* s = (tcp_socket*)socket;
  RTC_DCHECK(rtc_task_queue_is_current(s->base.queue));
  if (s->destroyed)
    *s->destroyed = true;
  rtc_fd_watch_destroy(s->watch);
  if (s->out_len > 0) {
    /* Bytes the peer would never get: a reset, not an orderly end that
     * would pass a truncated stream for a whole one. */
    const struct linger reset = {1, 0};
    (void)setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  }
  close(s->fd);
  rtc_free(s->out);
  atomic_fetch_sub(&s->factory->live_sockets, 1);
  rtc_free(s);
}

static const rtc_stream_socket_vtable kSocketVtable = {
    .send = socket_send,
    .local_address = socket_local_address,
    .remote_address = socket_remote_address,
    .destroy = socket_destroy,
};

/* A socket around `fd` (taken: closed on failure). */
static rtc_error wrap_socket(rtc_system_factory* factory,
                             rtc_task_queue* queue,
                             int fd,
                             bool connecting,
                             const rtc_stream_socket_observer* observer,
                             void* user,
                             tcp_socket** out) {
  *out = NULL;
  tcp_socket* s = rtc_calloc(1, sizeof(*s));
  if (!s) {
    close(fd);
    return RTC_ERR_NO_MEMORY;
  }
  s->base.vtable = &kSocketVtable;
  s->base.queue = queue;
  s->base.observer = observer;
  s->base.observer_user = user;
  s->factory = factory;
  s->fd = fd;
  s->connecting = connecting;
  s->events = connecting ? RTC_FD_WRITABLE : RTC_FD_READABLE;
  rtc_error err = rtc_task_queue_watch_fd(queue, fd, s->events, on_socket_ready,
                                          s, &s->watch);
  if (err != RTC_OK) {
    close(fd);
    rtc_free(s);
    return err == RTC_ERR_NO_MEMORY ? RTC_ERR_NO_MEMORY : RTC_ERR_IO;
  }
  atomic_fetch_add(&factory->live_sockets, 1);
  *out = s;
  return RTC_OK;
}

rtc_error rtc_system_connect_tcp(rtc_socket_factory* factory,
                                 rtc_task_queue* queue,
                                 const rtc_socket_address* local,
                                 const rtc_socket_address* remote,
                                 const rtc_stream_socket_observer* observer,
                                 void* user,
                                 rtc_stream_socket** out) {
  RTC_DCHECK(rtc_task_queue_is_current(queue));
  if (remote->family != local->family || remote->port == 0 ||
      rtc_socket_address_is_any(remote))
    return RTC_ERR_INVALID_ARGUMENT;
  int fd;
  rtc_error err = open_bound(local, &fd);
  if (err != RTC_OK)
    return err;
  struct sockaddr_storage ss;
  socklen_t len = rtc_socket_address_to_sockaddr(remote, &ss);
  if (connect(fd, (struct sockaddr*)&ss, len) != 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    return e == EADDRNOTAVAIL || e == EINVAL || e == EAFNOSUPPORT
               ? RTC_ERR_INVALID_ARGUMENT
               : setup_errno_to_error(e);
  }
  /* Even a connection completed at once (loopback) is reported from the
   * watch, never from within this call. */
  tcp_socket* s;
  err = wrap_socket((rtc_system_factory*)factory, queue, fd, true, observer,
                    user, &s);
  if (err != RTC_OK)
    return err;
  *out = &s->base;
  return RTC_OK;
}

/* --- Listeners --- */

static void on_listener_ready(void* arg, int fd, uint32_t events) {
  (void)fd;
  (void)events;
  tcp_listener* l = arg;
  bool destroyed = false;
  l->destroyed = &destroyed;
  for (;;) {
    int c = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        RTC_LOG(WARNING, "tcp listener %d: accept: %s", l->fd, strerror(errno));
      break;
    }
    const int on = 1;
    (void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    tcp_socket* s;
    if (wrap_socket(l->factory, l->base.queue, c, false, NULL, NULL, &s) !=
        RTC_OK) {
      RTC_LOG(WARNING, "tcp listener %d: a connection was dropped", l->fd);
      continue;
    }
    l->base.observer->on_accept(l->base.observer_user, &l->base, &s->base);
    if (destroyed)
      return;
  }
  l->destroyed = NULL;
}

static rtc_error listener_local_address(rtc_stream_listener* listener,
                                        rtc_socket_address* out) {
  return address_of(((tcp_listener*)listener)->fd, false, out);
}

static void listener_destroy(rtc_stream_listener* listener) {
  tcp_listener* l = (tcp_listener*)listener;
  RTC_DCHECK(rtc_task_queue_is_current(l->base.queue));
  if (l->destroyed)
    *l->destroyed = true;
  rtc_fd_watch_destroy(l->watch);
  close(l->fd);
  atomic_fetch_sub(&l->factory->live_sockets, 1);
  rtc_free(l);
}

static const rtc_stream_listener_vtable kListenerVtable = {
    .local_address = listener_local_address,
    .destroy = listener_destroy,
};

rtc_error rtc_system_listen_tcp(rtc_socket_factory* factory,
                                rtc_task_queue* queue,
                                const rtc_socket_address* local,
                                const rtc_stream_listener_observer* observer,
                                void* user,
                                rtc_stream_listener** out) {
  RTC_DCHECK(rtc_task_queue_is_current(queue));
  int fd;
  rtc_error err = open_bound(local, &fd);
  if (err != RTC_OK)
    return err;
  if (listen(fd, LISTEN_BACKLOG) != 0) {
    err = setup_errno_to_error(errno);
    close(fd);
    return err;
  }
  tcp_listener* l = rtc_calloc(1, sizeof(*l));
  if (!l) {
    close(fd);
    return RTC_ERR_NO_MEMORY;
  }
  l->base.vtable = &kListenerVtable;
  l->base.queue = queue;
  l->base.observer = observer;
  l->base.observer_user = user;
  l->factory = (rtc_system_factory*)factory;
  l->fd = fd;
  err = rtc_task_queue_watch_fd(queue, fd, RTC_FD_READABLE, on_listener_ready,
                                l, &l->watch);
  if (err != RTC_OK) {
    close(fd);
    rtc_free(l);
    return err == RTC_ERR_NO_MEMORY ? RTC_ERR_NO_MEMORY : RTC_ERR_IO;
  }
  atomic_fetch_add(&l->factory->live_sockets, 1);
  *out = &l->base;
  return RTC_OK;
}
