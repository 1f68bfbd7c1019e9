/*
 * RFC 4571 framing over a stream socket (see framed_socket.h).
 */
#include "p2p/framed_socket.h"

#include <string.h>

#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

#define FRAME_HEADER 2
#define MAX_FRAME (FRAME_HEADER + RTC_FRAMED_MAX_PACKET)
/* The send buffer a socket keeps between frames: room for the STUN, DTLS
 * and SCTP packets that make up nearly all traffic. A larger frame gets a
 * buffer of its own size, freed once the stream has taken it, so that an
 * idle connection (ICE-TCP keeps two per peer connection) does not hold
 * 64 KiB. */
#define OUT_KEEP 2048

typedef struct framed_socket {
  rtc_packet_socket base; /* first */
  rtc_stream_socket* stream;
  rtc_socket_address local;
  rtc_socket_address remote;
  /* A frame arriving in pieces (allocated with the first one). */
  uint8_t* in;
  size_t in_len;
  /* A frame the stream took only part of: out[out_sent..out_len).
   * Allocated by the first send, out_capacity bytes. */
  uint8_t* out;
  size_t out_capacity;
  size_t out_len;
  size_t out_sent;
  bool blocked; /* a send was refused: on_writable once the frame is out */
  bool closed;
  bool* destroyed; /* set while a callback runs */
} framed_socket;

static size_t frame_length(const uint8_t* header) {
  return ((size_t)header[0] << 8) | header[1];
}

/* One packet to the owner; false when it destroyed us or we closed. */
static bool deliver(framed_socket* f, const uint8_t* data, size_t size) {
  /* RFC 4571 §2: a frame of length 0 carries no packet. */
  if (size == 0)
    return true;
  rtc_received_packet p = {
      .data = data,
      .size = size,
      .source = f->remote,
      .destination = f->local,
      .arrival_us = rtc_task_queue_now_us(f->base.queue),
  };
  bool destroyed = false;
  f->destroyed = &destroyed;
  f->base.observer->on_packets(f->base.observer_user, &f->base, &p, 1);
  if (destroyed)
    return false;
  f->destroyed = NULL;
  return !f->closed;
}

static void on_stream_data(void* user,
                           rtc_stream_socket* stream,
                           const uint8_t* data,
                           size_t size) {
  (void)stream;
  framed_socket* f = user;
  while (size > 0) {
    if (f->in_len > 0 || size < FRAME_HEADER) {
      /* Completing a frame that came in pieces. */
      if (!f->in) {
        f->in = rtc_malloc(MAX_FRAME);
        if (!f->in) {
          /* Its bytes are lost: what follows would be read out of step. */
          f->closed = true;
          f->base.observer->on_closed(f->base.observer_user, &f->base,
                                      RTC_ERR_NO_MEMORY);
          return;
        }
      }
      size_t need = f->in_len < FRAME_HEADER
                        ? FRAME_HEADER - f->in_len
                        : FRAME_HEADER + frame_length(f->in) - f->in_len;
      size_t take = need < size ? need : size;
      memcpy(f->in + f->in_len, data, take);
      f->in_len += take;
      data += take;
      size -= take;
      if (f->in_len >= FRAME_HEADER &&
          f->in_len == FRAME_HEADER + frame_length(f->in)) {
        f->in_len = 0;
        if (!deliver(f, f->in + FRAME_HEADER, frame_length(f->in)))
          return;
      }
      continue;
    }
    size_t length = frame_length(data);
    if (size < FRAME_HEADER + length) {
      /* The rest of this frame comes later: the branch above. */
      if (!f->in && !(f->in = rtc_malloc(MAX_FRAME))) {
        f->closed = true;
        f->base.observer->on_closed(f->base.observer_user, &f->base,
                                    RTC_ERR_NO_MEMORY);
        return;
      }
      memcpy(f->in, data, size);
      f->in_len = size;
      return;
    }
    if (!deliver(f, data + FRAME_HEADER, length))
      return;
    data += FRAME_HEADER + length;
    size -= FRAME_HEADER + length;
  }
}

/* A buffer for a frame of `size` bytes; false without memory. */
static bool reserve_out(framed_socket* f, size_t size) {
  if (size <= f->out_capacity)
    return true;
  size_t capacity = size > OUT_KEEP ? size : OUT_KEEP;
  /* Nothing in it is pending (the caller flushed): no copy needed. */
  uint8_t* out = rtc_malloc(capacity);
  if (!out)
    return false;
  rtc_free(f->out);
  f->out = out;
  f->out_capacity = capacity;
  return true;
}

/* The stream has taken the whole frame: a buffer larger than what is kept
 * goes. */
static void out_drained(framed_socket* f) {
  if (f->out_capacity <= OUT_KEEP)
    return;
  rtc_free(f->out);
  f->out = NULL;
  f->out_capacity = 0;
  f->out_len = 0;
  f->out_sent = 0;
}

/* Hands the stream what is left of a frame; true when nothing is left. */
static bool flush(framed_socket* f) {
  if (f->out_sent == f->out_len)
    return true;
  size_t accepted = 0;
  rtc_error err = rtc_stream_socket_send(f->stream, f->out + f->out_sent,
                                         f->out_len - f->out_sent, &accepted);
  if (err != RTC_OK)
    return false;
  f->out_sent += accepted;
  if (f->out_sent != f->out_len)
    return false;
  out_drained(f);
  return true;
}

static void on_stream_writable(void* user, rtc_stream_socket* stream) {
  (void)stream;
  framed_socket* f = user;
  if (!flush(f) || !f->blocked)
    return;
  f->blocked = false;
  if (f->base.observer->on_writable)
    f->base.observer->on_writable(f->base.observer_user, &f->base);
}

static void on_stream_connected(void* user, rtc_stream_socket* stream) {
  on_stream_writable(user, stream);
}

static void on_stream_closed(void* user,
                             rtc_stream_socket* stream,
                             rtc_error error) {
  (void)stream;
  framed_socket* f = user;
  if (f->closed)
    return;
  f->closed = true;
  if (f->base.observer->on_closed)
    f->base.observer->on_closed(f->base.observer_user, &f->base,
                                error == RTC_OK ? RTC_ERR_CLOSED : error);
}

static const rtc_stream_socket_observer kStreamObserver = {
    .on_connected = on_stream_connected,
    .on_data = on_stream_data,
    .on_writable = on_stream_writable,
    .on_closed = on_stream_closed,
};

static rtc_error framed_send(rtc_packet_socket* socket,
                             const rtc_outgoing_packet* packets,
                             size_t count,
                             size_t* sent) {
  framed_socket* f = (framed_socket*)socket;
  *sent = 0;
  for (size_t i = 0; i < count; i++) {
    const rtc_outgoing_packet* p = &packets[i];
    if (f->closed)
      return RTC_ERR_CLOSED;
    if (p->size > RTC_FRAMED_MAX_PACKET || (!p->data && p->size > 0) ||
        !rtc_socket_address_equal(&p->destination, &f->remote))
      return RTC_ERR_INVALID_ARGUMENT;
    /* The frame before must be out whole first. */
    if (!flush(f)) {
      f->blocked = true;
      return RTC_ERR_WOULD_BLOCK;
    }
    if (!reserve_out(f, FRAME_HEADER + p->size))
      return RTC_ERR_NO_MEMORY; /* nothing of it sent: framing holds */
    f->out[0] = (uint8_t)(p->size >> 8);
    f->out[1] = (uint8_t)p->size;
    if (p->size)
      memcpy(f->out + FRAME_HEADER, p->data, p->size);
    f->out_len = FRAME_HEADER + p->size;
    f->out_sent = 0;
    size_t accepted = 0;
    rtc_error err =
        rtc_stream_socket_send(f->stream, f->out, f->out_len, &accepted);
    if (err == RTC_ERR_CLOSED) {
      f->out_len = 0;
      return RTC_ERR_CLOSED;
    }
    if (err == RTC_ERR_INVALID_STATE) {
      /* Not connected yet: the frame waits for on_connected. */
      accepted = 0;
    } else if (err != RTC_OK) {
      f->out_len = 0;
      return err;
    }
    f->out_sent = accepted;
    if (accepted == f->out_len)
      out_drained(f);
    /* Taken in part or not at all: it is ours to finish, so the packet
     * counts as sent. */
    (*sent)++;
  }
  return RTC_OK;
}

static rtc_error framed_local_address(rtc_packet_socket* socket,
                                      rtc_socket_address* out) {
  *out = ((framed_socket*)socket)->local;
  return RTC_OK;
}

static void framed_destroy(rtc_packet_socket* socket) {
  framed_socket* f = (framed_socket*)socket;
  if (f->destroyed)
    *f->destroyed = true;
  rtc_stream_socket_destroy(f->stream);
  rtc_free(f->in);
  rtc_free(f->out);
  rtc_free(f);
}

static const rtc_packet_socket_vtable kFramedVtable = {
    .send = framed_send,
    .local_address = framed_local_address,
    .destroy = framed_destroy,
};

rtc_error rtc_framed_socket_create(rtc_stream_socket* stream,
                                   const rtc_packet_socket_observer* observer,
                                   void* user,
                                   rtc_packet_socket** out) {
  *out = NULL;
  if (!stream)
    return RTC_ERR_INVALID_ARGUMENT;
  rtc_error err = RTC_ERR_INVALID_ARGUMENT;
  framed_socket* f = NULL;
  if (!observer || !observer->on_packets)
    goto fail;
  err = RTC_ERR_NO_MEMORY;
  f = rtc_calloc(1, sizeof(*f));
  if (!f)
    goto fail;
  if (rtc_stream_socket_local_address(stream, &f->local) != RTC_OK ||
      rtc_stream_socket_remote_address(stream, &f->remote) != RTC_OK) {
    err = RTC_ERR_INVALID_ARGUMENT;
    goto fail;
  }
  f->base.vtable = &kFramedVtable;
  f->base.queue = stream->queue;
  f->base.observer = observer;
  f->base.observer_user = user;
  f->stream = stream;
  rtc_stream_socket_set_observer(stream, &kStreamObserver, f);
  *out = &f->base;
  return RTC_OK;

fail:
  rtc_free(f);
  rtc_stream_socket_destroy(stream);
  return err;
}

rtc_stream_socket* rtc_framed_socket_stream(rtc_packet_socket* socket) {
  RTC_DCHECK(socket->vtable == &kFramedVtable);
  return ((framed_socket*)socket)->stream;
}
