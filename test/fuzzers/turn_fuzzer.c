/*
 * Fuzzes the TURN client (p2p/turn_client.h) with bytes from a hostile
 * server, in each state it can be in.
 *
 * Input: a header byte, then operations.
 *   header bit 0      framing: 0 datagram (UDP), 1 stream (TCP/TLS)
 *   header bits 1-3   the state to reach first, with well-formed answers
 *                     from a scripted server: 0 allocating (unauthenticated
 *                     Allocate in flight), 1 allocating (authenticated),
 *                     2 allocated, 3 allocated with a permission and a
 *                     bound channel, 4 closing (deallocation in flight)
 *   operations        [op][len hi][len lo][len bytes], op & 7:
 *                     0  the bytes from the server as they are (a datagram,
 *                        or the next stream bytes)
 *                     1  the bytes as a STUN message "repaired": header
 *                        fixed, the transaction id of the client's last
 *                        request, its method, MESSAGE-INTEGRITY with the
 *                        key (so that it reaches the response handlers)
 *                     2  time passes: len * 37 ms
 *                     3  send the bytes to a peer
 *                     4  create a permission / bind a channel (len & 1)
 *                        for a peer chosen by len
 *                     5  close
 *                     6  the stream closes
 *                     7  as 0, split in two at the first byte's value
 * Checks: nothing crashes or reads out of bounds (ASan), every event and
 * state is one the header allows, sends are well-formed (STUN or
 * ChannelData), nothing leaks (the rtc_malloc count comes back).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2p/stun.h"
#include "p2p/turn_client.h"
#include "p2p/turn_message.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#define US_PER_MS 1000
#define MAX_LAST 4096

typedef struct fuzz_state {
  rtc_turn_client* client;
  rtc_turn_framing framing;
  int64_t now_us;
  uint8_t key[RTC_TURN_KEY_SIZE];
  /* The client's last STUN request (for responses). */
  uint8_t last[MAX_LAST];
  size_t last_len;
  bool have_last;
  int events;
} fuzz_state;

static uint8_t g_buf[RTC_STUN_HEADER_SIZE + 0x10000 + 64];

static rtc_error on_send(void* user, const uint8_t* data, size_t size) {
  fuzz_state* s = user;
  RTC_CHECK(size > 0);
  if ((data[0] >> 6) == 1) {
    uint16_t channel = 0;
    const uint8_t* payload = NULL;
    size_t len = 0;
    RTC_CHECK(rtc_turn_channel_data_parse(data, size, s->framing, &channel,
                                          &payload, &len) == RTC_OK);
    return RTC_OK;
  }
  rtc_stun_message msg;
  RTC_CHECK(rtc_stun_parse(data, size, &msg) == RTC_OK);
  if (rtc_stun_class(msg.type) == RTC_STUN_CLASS_REQUEST && size <= MAX_LAST) {
    memcpy(s->last, data, size);
    s->last_len = size;
    s->have_last = true;
  }
  return RTC_OK;
}

static void on_event(void* user, const rtc_turn_event* ev) {
  fuzz_state* s = user;
  s->events++;
  RTC_CHECK(ev->type >= RTC_TURN_EVENT_ALLOCATED &&
            ev->type <= RTC_TURN_EVENT_CLOSED);
  RTC_CHECK(strlen(rtc_turn_event_type_name(ev->type)) > 0);
  RTC_CHECK(memchr(ev->reason, '\0', sizeof(ev->reason)) != NULL);
  RTC_CHECK(ev->stun_error_code == 0 ||
            (ev->stun_error_code >= 300 && ev->stun_error_code <= 699));
  if (ev->type == RTC_TURN_EVENT_DATA) {
    RTC_CHECK(ev->data != NULL || ev->size == 0);
    /* Touch every byte (ASan). */
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < ev->size; i++)
      sum ^= ev->data[i];
    (void)sum;
  }
  if (ev->type == RTC_TURN_EVENT_ALLOCATED)
    RTC_CHECK(ev->relayed.family == RTC_AF_INET);
}

static void deliver(fuzz_state* s, const uint8_t* data, size_t size) {
  if (s->framing == RTC_TURN_FRAMING_STREAM) {
    rtc_error err =
        rtc_turn_client_handle_stream(s->client, data, size, s->now_us);
    RTC_CHECK(err == RTC_OK || err == RTC_ERR_MALFORMED ||
              err == RTC_ERR_NO_MEMORY);
  } else {
    RTC_CHECK(rtc_turn_client_handle_datagram(s->client, data, size,
                                              s->now_us) == RTC_OK);
  }
}

/* A response to the client's last request, with `attrs` raw attribute
 * bytes from the input (each [type:2][len:2][value], as on the wire) and
 * MESSAGE-INTEGRITY with the key. */
static void respond(fuzz_state* s,
                    uint16_t klass,
                    const uint8_t* attrs,
                    size_t attrs_len,
                    bool integrity) {
  if (!s->have_last)
    return;
  rtc_stun_message req;
  if (rtc_stun_parse(s->last, s->last_len, &req) != RTC_OK)
    return;
  rtc_stun_builder b;
  rtc_stun_builder_init(&b, g_buf, sizeof(g_buf),
                        rtc_stun_type(rtc_stun_method(req.type), klass),
                        req.transaction_id);
  size_t off = 0;
  while (off + 4 <= attrs_len) {
    uint16_t type = (uint16_t)((attrs[off] << 8) | attrs[off + 1]);
    size_t len = (size_t)((attrs[off + 2] << 8) | attrs[off + 3]);
    off += 4;
    if (len > attrs_len - off)
      len = attrs_len - off;
    if (type != RTC_STUN_ATTR_MESSAGE_INTEGRITY &&
        type != RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 &&
        type != RTC_STUN_ATTR_FINGERPRINT)
      rtc_stun_add_attribute(&b, type, attrs + off, len);
    off += (len + 3) & ~(size_t)3;
  }
  if (integrity)
    rtc_stun_add_message_integrity(&b, s->key, sizeof(s->key));
  size_t len = 0;
  if (rtc_stun_builder_finish(&b, &len) != RTC_OK)
    return;
  deliver(s, g_buf, len);
}

/* Well-formed answers that walk the client to a state. */
static void respond_401(fuzz_state* s) {
  static const uint8_t kAttrs[] = {
      0x00, 0x09, 0x00, 0x04, 0x00, 0x00, 0x04, 0x01, /* ERROR-CODE 401 */
      0x00, 0x14, 0x00, 0x04, 'r',  'e',  'a',  'l',  /* REALM */
      0x00, 0x15, 0x00, 0x04, 'n',  'o',  'n',  'c',  /* NONCE */
  };
  respond(s, RTC_STUN_CLASS_ERROR, kAttrs, sizeof(kAttrs), false);
}

static void respond_allocated(fuzz_state* s) {
  uint8_t attrs[64];
  size_t n = 0;
  /* XOR-RELAYED-ADDRESS 192.0.2.1:3000 (XOR'ed with the cookie). */
  const uint8_t relayed[] = {0x00,       0x16,     0x00,        0x08,
                             0x00,       0x01,     0x0B ^ 0x21, 0xB8 ^ 0x12,
                             192 ^ 0x21, 0 ^ 0x12, 2 ^ 0xA4,    1 ^ 0x42};
  memcpy(attrs + n, relayed, sizeof(relayed));
  n += sizeof(relayed);
  const uint8_t lifetime[] = {0x00, 0x0D, 0x00, 0x04, 0, 0, 0x02, 0x58};
  memcpy(attrs + n, lifetime, sizeof(lifetime));
  n += sizeof(lifetime);
  respond(s, RTC_STUN_CLASS_SUCCESS, attrs, n, true);
}

static rtc_socket_address peer_for(uint16_t n) {
  rtc_socket_address a;
  rtc_socket_address_set_ipv4(&a, 0xC6336400u | (n & 3), (uint16_t)(5000 + n));
  return a;
}

static void reach_state(fuzz_state* s, int target) {
  RTC_CHECK(rtc_turn_client_start(s->client, s->now_us) == RTC_OK);
  if (target == 0)
    return;
  respond_401(s);
  if (target == 1)
    return;
  respond_allocated(s);
  if (target == 2)
    return;
  if (target == 3) {
    rtc_socket_address peer = peer_for(0);
    if (rtc_turn_client_bind_channel(s->client, &peer, s->now_us, NULL) ==
        RTC_OK)
      respond(s, RTC_STUN_CLASS_SUCCESS, NULL, 0, true);
    return;
  }
  rtc_turn_client_close(s->client, s->now_us);
}

/* op 1: the input's attributes in a response of the class its first byte
 * picks, to the last request. */
static void repaired(fuzz_state* s, const uint8_t* data, size_t size) {
  if (size == 0)
    return;
  uint16_t klass =
      (data[0] & 1) ? RTC_STUN_CLASS_ERROR : RTC_STUN_CLASS_SUCCESS;
  bool integrity = (data[0] & 2) == 0;
  respond(s, klass, data + 1, size - 1, integrity);
}

static void run_timeouts(fuzz_state* s, int64_t until_us) {
  for (int guard = 0; guard < 1000; guard++) {
    int64_t next = rtc_turn_client_next_deadline_us(s->client);
    if (next > until_us)
      break;
    if (next > s->now_us)
      s->now_us = next;
    rtc_turn_client_handle_timeout(s->client, s->now_us);
    /* Whatever was due has run: the next deadline is in the future. */
    RTC_CHECK(rtc_turn_client_next_deadline_us(s->client) > s->now_us);
  }
  s->now_us = until_us;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  int64_t live_before = rtc_alloc_live_count();
  fuzz_state s;
  memset(&s, 0, sizeof(s));
  s.framing =
      (data[0] & 1) ? RTC_TURN_FRAMING_STREAM : RTC_TURN_FRAMING_DATAGRAM;
  int target = (data[0] >> 1) & 7;
  if (target > 4)
    target = 4;
  s.now_us = 1000000;
  RTC_CHECK(rtc_turn_long_term_key("user", 4, "real", 4, "pass", 4, s.key) ==
            RTC_OK);
  rtc_turn_client_config config;
  rtc_turn_client_config_init(&config);
  config.framing = s.framing;
  config.username = "user";
  config.password = "pass";
  static const rtc_turn_client_observer kObserver = {&on_send, &on_event};
  if (rtc_turn_client_create(&config, &kObserver, &s, &s.client) != RTC_OK)
    return 0;
  reach_state(&s, target);

  size_t off = 1;
  while (off + 3 <= size) {
    uint8_t op = data[off] & 7;
    size_t len = (size_t)((data[off + 1] << 8) | data[off + 2]);
    off += 3;
    size_t avail = size - off;
    const uint8_t* bytes = data + off;
    size_t n = len < avail ? len : avail;
    switch (op) {
      case 0:
        deliver(&s, bytes, n);
        off += n;
        break;
      case 1:
        repaired(&s, bytes, n);
        off += n;
        break;
      case 2:
        run_timeouts(&s, s.now_us + (int64_t)len * 37 * US_PER_MS);
        break;
      case 3: {
        rtc_socket_address peer = peer_for((uint16_t)len);
        rtc_error err =
            rtc_turn_client_send(s.client, &peer, bytes, n, s.now_us);
        RTC_CHECK(err == RTC_OK || err == RTC_ERR_INVALID_STATE ||
                  err == RTC_ERR_OUT_OF_RANGE);
        off += n;
        break;
      }
      case 4: {
        rtc_socket_address peer = peer_for((uint16_t)(len >> 1));
        if (len & 1)
          (void)rtc_turn_client_bind_channel(s.client, &peer, s.now_us, NULL);
        else
          (void)rtc_turn_client_create_permission(s.client, &peer, s.now_us);
        break;
      }
      case 5:
        rtc_turn_client_close(s.client, s.now_us);
        break;
      case 6:
        if (s.framing == RTC_TURN_FRAMING_STREAM)
          rtc_turn_client_handle_stream_closed(s.client, s.now_us);
        break;
      case 7: {
        size_t cut = n > 0 ? bytes[0] % (n + 1) : 0;
        deliver(&s, bytes, cut);
        deliver(&s, bytes + cut, n - cut);
        off += n;
        break;
      }
    }
    rtc_turn_state state = rtc_turn_client_state(s.client);
    RTC_CHECK(state >= RTC_TURN_STATE_NEW && state <= RTC_TURN_STATE_FAILED);
    RTC_CHECK(strlen(rtc_turn_state_name(state)) > 0);
    RTC_CHECK(rtc_turn_client_next_deadline_us(s.client) >= 0);
  }
  /* Twenty minutes more: refreshes and timeouts run out. */
  run_timeouts(&s, s.now_us + 20 * 60 * 1000000LL);
  rtc_turn_client_destroy(s.client);
  RTC_CHECK(rtc_alloc_live_count() == live_before);
  return 0;
}
