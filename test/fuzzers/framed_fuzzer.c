/*
 * Fuzzes RFC 4571 framing (p2p/framed_socket.h): the input is what a peer
 * sends on an ICE-TCP connection, cut into reads whose sizes the input
 * also chooses. Every packet that comes out is echoed back; the bytes the
 * framed socket sends must be exactly the frames of the packets, in order,
 * whatever room the stream gives it, and the packets must be exactly the
 * non-empty frames of the input read so far. Nothing is left allocated.
 *
 * Input: byte 0 picks how reads are cut (bits 0-5: the base size, 1..64;
 * bit 6: sizes vary), byte 1 the stream's room per send (0: unlimited);
 * the rest is the stream's bytes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2p/framed_socket.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/sim_time.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

typedef struct fake_stream {
  rtc_stream_socket base;
  uint8_t* sent;
  size_t sent_len;
  size_t sent_cap;
  size_t room; /* per call; 0: unlimited */
  bool destroyed;
} fake_stream;

static rtc_error fake_send(rtc_stream_socket* s,
                           const uint8_t* data,
                           size_t size,
                           size_t* accepted) {
  fake_stream* f = (fake_stream*)s;
  size_t n = f->room && size > f->room ? f->room : size;
  if (f->sent_len + n > f->sent_cap) {
    size_t cap = f->sent_cap ? f->sent_cap : 1024;
    while (cap < f->sent_len + n)
      cap *= 2;
    uint8_t* bigger = rtc_realloc(f->sent, cap);
    RTC_CHECK(bigger);
    f->sent = bigger;
    f->sent_cap = cap;
  }
  memcpy(f->sent + f->sent_len, data, n);
  f->sent_len += n;
  *accepted = n;
  return RTC_OK;
}

static rtc_error fake_address(rtc_stream_socket* s, rtc_socket_address* out) {
  (void)s;
  rtc_socket_address_set_ipv4(out, 0x0a000001u, 5000);
  return RTC_OK;
}

static void fake_destroy(rtc_stream_socket* s) {
  ((fake_stream*)s)->destroyed = true;
}

static const rtc_stream_socket_vtable kFakeVtable = {
    fake_send, fake_address, fake_address, fake_destroy};

typedef struct expect {
  /* The packets that came out, framed again (what the echo must send). */
  uint8_t* frames;
  size_t len;
  size_t cap;
  size_t packets;
} expect;

static expect g_expect;

static void on_packets(void* user,
                       rtc_packet_socket* socket,
                       const rtc_received_packet* packets,
                       size_t count) {
  (void)user;
  for (size_t i = 0; i < count; i++) {
    const rtc_received_packet* p = &packets[i];
    RTC_CHECK(p->size > 0 && p->size <= RTC_FRAMED_MAX_PACKET);
    expect* e = &g_expect;
    if (e->len + 2 + p->size > e->cap) {
      size_t cap = e->cap ? e->cap : 1024;
      while (cap < e->len + 2 + p->size)
        cap *= 2;
      uint8_t* bigger = rtc_realloc(e->frames, cap);
      RTC_CHECK(bigger);
      e->frames = bigger;
      e->cap = cap;
    }
    e->frames[e->len++] = (uint8_t)(p->size >> 8);
    e->frames[e->len++] = (uint8_t)p->size;
    memcpy(e->frames + e->len, p->data, p->size);
    e->len += p->size;
    e->packets++;
    /* Echo: a stream with little room blocks; the packet is then not
     * echoed and not expected. */
    rtc_error err =
        rtc_packet_socket_send_to(socket, p->data, p->size, &p->source);
    if (err == RTC_ERR_WOULD_BLOCK)
      e->len -= 2 + p->size;
    else
      RTC_CHECK(err == RTC_OK);
  }
}

static void on_writable(void* user, rtc_packet_socket* socket) {
  (void)user;
  (void)socket;
}

static const rtc_packet_socket_observer kObserver = {on_packets, on_writable,
                                                     NULL};

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  uint8_t cut = data[0];
  size_t room = data[1];
  data += 2;
  size -= 2;
  rtc_sim_time* time = NULL;
  rtc_task_queue* queue = NULL;
  RTC_CHECK(rtc_sim_time_create(0, &time) == RTC_OK);
  RTC_CHECK(rtc_sim_time_create_queue(time, "framed", &queue) == RTC_OK);
  rtc_task_queue* previous = rtc_task_queue_set_current(queue);
  memset(&g_expect, 0, sizeof(g_expect));
  fake_stream stream;
  memset(&stream, 0, sizeof(stream));
  stream.base.vtable = &kFakeVtable;
  stream.base.queue = queue;
  stream.room = room;
  rtc_packet_socket* socket = NULL;
  RTC_CHECK(rtc_framed_socket_create(&stream.base, &kObserver, NULL, &socket) ==
            RTC_OK);
  size_t base = (size_t)(cut & 0x3f) + 1;
  size_t at = 0;
  for (unsigned i = 0; at < size; i++) {
    size_t n = cut & 0x40 ? 1 + (base * (i + 1) * 7919) % (4 * base) : base;
    if (n > size - at)
      n = size - at;
    stream.base.observer->on_data(stream.base.observer_user, &stream.base,
                                  data + at, n);
    at += n;
    /* Room again: a frame taken in part is finished. */
    if (room)
      stream.base.observer->on_writable(stream.base.observer_user,
                                        &stream.base);
  }
  /* Everything the echo got through went out as whole frames, in order:
   * what was sent is a prefix of the expected frames (the last one may
   * still be on its way through a small room) and never more. */
  RTC_CHECK(stream.sent_len <= g_expect.len);
  RTC_CHECK(stream.sent_len == 0 ||
            memcmp(stream.sent, g_expect.frames, stream.sent_len) == 0);
  if (!room)
    RTC_CHECK(stream.sent_len == g_expect.len);
  rtc_packet_socket_destroy(socket);
  RTC_CHECK(stream.destroyed);
  rtc_free(stream.sent);
  rtc_free(g_expect.frames);
  rtc_task_queue_set_current(previous);
  rtc_task_queue_destroy(queue);
  rtc_sim_time_destroy(time);
  RTC_CHECK(rtc_alloc_live_count() == 0);
  return 0;
}
