/*
 * TURN framing (RFC 8656 §12) and the long-term credential key.
 *
 * Every length from the wire is checked against the bytes that are there
 * before it is used. The stream reader holds at most one partial frame.
 */
#include "p2p/turn_message.h"

#include <openssl/md5.h>
#include <string.h>

#include "p2p/stun.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

struct rtc_turn_stream_reader {
  uint8_t* buf; /* a partial frame; RTC_TURN_MAX_FRAME_SIZE bytes */
  size_t length;
  rtc_error error; /* sticky */
};

static uint16_t get_u16(const uint8_t* p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}

static size_t pad4(size_t n) {
  return (n + 3) & ~(size_t)3;
}

bool rtc_turn_channel_is_valid(uint16_t channel) {
  return channel >= RTC_TURN_CHANNEL_MIN && channel <= RTC_TURN_CHANNEL_MAX;
}

rtc_error rtc_turn_channel_data_parse(const uint8_t* data,
                                      size_t size,
                                      rtc_turn_framing framing,
                                      uint16_t* channel,
                                      const uint8_t** payload,
                                      size_t* payload_len) {
  *channel = 0;
  *payload = NULL;
  *payload_len = 0;
  if (data == NULL || size < RTC_TURN_CHANNEL_HEADER_SIZE)
    return RTC_ERR_MALFORMED;
  uint16_t number = get_u16(data);
  size_t len = get_u16(data + 2);
  /* RFC 8656 §12.4: "If the ChannelData message is received on a channel
   * that is not bound to any peer, then the message MUST be silently
   * discarded" — the caller checks binding; numbers outside the range can
   * never be bound. */
  if (!rtc_turn_channel_is_valid(number))
    return RTC_ERR_MALFORMED;
  if (framing == RTC_TURN_FRAMING_STREAM) {
    /* RFC 8656 §12.5: "over TCP and TLS-over-TCP, the ChannelData message
     * MUST be padded to a multiple of four bytes". */
    if (size != pad4(RTC_TURN_CHANNEL_HEADER_SIZE + len))
      return RTC_ERR_MALFORMED;
  } else if (size < RTC_TURN_CHANNEL_HEADER_SIZE + len) {
    /* RFC 8656 §12.5: "If the UDP datagram is shorter than 4 + Length
     * bytes, then the message MUST be silently discarded"; padding (or
     * anything else) after the payload is ignored. */
    return RTC_ERR_MALFORMED;
  }
  *channel = number;
  *payload = data + RTC_TURN_CHANNEL_HEADER_SIZE;
  *payload_len = len;
  return RTC_OK;
}

size_t rtc_turn_channel_data_size(size_t payload_len,
                                  rtc_turn_framing framing) {
  size_t n = RTC_TURN_CHANNEL_HEADER_SIZE + payload_len;
  return framing == RTC_TURN_FRAMING_STREAM ? pad4(n) : n;
}

rtc_error rtc_turn_channel_data_write(uint16_t channel,
                                      const uint8_t* payload,
                                      size_t payload_len,
                                      rtc_turn_framing framing,
                                      uint8_t* out,
                                      size_t capacity,
                                      size_t* written) {
  *written = 0;
  if (!rtc_turn_channel_is_valid(channel) || payload_len > 0xFFFF ||
      (payload == NULL && payload_len > 0) || out == NULL)
    return RTC_ERR_INVALID_ARGUMENT;
  size_t total = rtc_turn_channel_data_size(payload_len, framing);
  if (total > capacity)
    return RTC_ERR_BUFFER_TOO_SMALL;
  /* RFC 8656 §12.4:
   *   Channel Number (16 bits) | Length (16 bits) | Application Data
   * "The Length field specifies the length in bytes of the application
   * data field (i.e., it does not include the size of the ChannelData
   * header)." */
  out[0] = (uint8_t)(channel >> 8);
  out[1] = (uint8_t)channel;
  out[2] = (uint8_t)(payload_len >> 8);
  out[3] = (uint8_t)payload_len;
  if (payload_len > 0)
    memcpy(out + RTC_TURN_CHANNEL_HEADER_SIZE, payload, payload_len);
  size_t used = RTC_TURN_CHANNEL_HEADER_SIZE + payload_len;
  memset(out + used, 0, total - used);
  *written = total;
  return RTC_OK;
}

rtc_error rtc_turn_frame_length(const uint8_t* data,
                                size_t size,
                                size_t* frame_len) {
  *frame_len = 0;
  if (size == 0)
    return RTC_ERR_WOULD_BLOCK;
  /* RFC 8656 §12: "the first two bits of a STUN message are always 0b00
   * and the first two bits of a ChannelData message are 0b01"; anything
   * else on a stream from the server is garbage (RFC 6544 §3 style: the
   * framing cannot be recovered). */
  uint8_t top = data[0] >> 6;
  if (top == 0) {
    if (size < 4)
      return RTC_ERR_WOULD_BLOCK;
    size_t len = get_u16(data + 2);
    /* RFC 8489 §5: "the message length MUST contain a size that is a
     * multiple of 4", and the magic cookie follows. */
    if (len % 4 != 0)
      return RTC_ERR_MALFORMED;
    if (size >= 8) {
      uint32_t cookie = ((uint32_t)data[4] << 24) | ((uint32_t)data[5] << 16) |
                        ((uint32_t)data[6] << 8) | data[7];
      if (cookie != RTC_STUN_MAGIC_COOKIE)
        return RTC_ERR_MALFORMED;
    }
    *frame_len = RTC_STUN_HEADER_SIZE + len;
    return RTC_OK;
  }
  if (top == 1) {
    if (size < 2)
      return RTC_ERR_WOULD_BLOCK;
    /* 0x5000-0x7FFF are reserved (RFC 8656 §12, RFC 7983). */
    if (!rtc_turn_channel_is_valid(get_u16(data)))
      return RTC_ERR_MALFORMED;
    if (size < RTC_TURN_CHANNEL_HEADER_SIZE)
      return RTC_ERR_WOULD_BLOCK;
    *frame_len = pad4(RTC_TURN_CHANNEL_HEADER_SIZE + get_u16(data + 2));
    return RTC_OK;
  }
  return RTC_ERR_MALFORMED;
}

rtc_error rtc_turn_long_term_key(const char* username,
                                 size_t username_len,
                                 const char* realm,
                                 size_t realm_len,
                                 const char* password,
                                 size_t password_len,
                                 uint8_t key[RTC_TURN_KEY_SIZE]) {
  /* RFC 8489 §9.2.2: "key = MD5(username ":" OpaqueString(realm) ":"
   * OpaqueString(password))". */
  MD5_CTX ctx;
  if (!MD5_Init(&ctx))
    return RTC_ERR_INTERNAL;
  if (username_len > 0)
    MD5_Update(&ctx, username, username_len);
  MD5_Update(&ctx, ":", 1);
  if (realm_len > 0)
    MD5_Update(&ctx, realm, realm_len);
  MD5_Update(&ctx, ":", 1);
  if (password_len > 0)
    MD5_Update(&ctx, password, password_len);
  MD5_Final(key, &ctx);
  return RTC_OK;
}

/* --- The stream reader --- */

rtc_error rtc_turn_stream_reader_create(rtc_turn_stream_reader** out) {
  *out = NULL;
  rtc_turn_stream_reader* r = rtc_calloc(1, sizeof(*r));
  if (r == NULL)
    return RTC_ERR_NO_MEMORY;
  *out = r;
  return RTC_OK;
}

void rtc_turn_stream_reader_destroy(rtc_turn_stream_reader* reader) {
  if (reader == NULL)
    return;
  rtc_free(reader->buf);
  rtc_free(reader);
}

size_t rtc_turn_stream_reader_buffered(const rtc_turn_stream_reader* reader) {
  return reader->length;
}

/* Moves up to `want - r->length` bytes from *data into the buffer. */
static void take(rtc_turn_stream_reader* r,
                 size_t want,
                 const uint8_t** data,
                 size_t* size) {
  size_t n = want > r->length ? want - r->length : 0;
  if (n > *size)
    n = *size;
  memcpy(r->buf + r->length, *data, n);
  r->length += n;
  *data += n;
  *size -= n;
}

rtc_error rtc_turn_stream_reader_feed(rtc_turn_stream_reader* r,
                                      const uint8_t* data,
                                      size_t size,
                                      rtc_turn_frame_callback on_frame,
                                      void* user) {
  if (r->error != RTC_OK)
    return r->error;
  if (data == NULL && size > 0)
    return RTC_ERR_INVALID_ARGUMENT;
  /* First complete the held partial frame. */
  while (r->length > 0 && size > 0) {
    size_t frame_len = 0;
    rtc_error err = rtc_turn_frame_length(r->buf, r->length, &frame_len);
    if (err == RTC_ERR_MALFORMED) {
      r->error = err;
      return err;
    }
    /* Not yet known: the header grows a byte at a time (at most 8). */
    size_t want = err == RTC_OK ? frame_len : r->length + 1;
    take(r, want, &data, &size);
    if (err == RTC_OK && r->length == frame_len) {
      r->length = 0;
      on_frame(user, r->buf, frame_len);
    }
  }
  if (r->length > 0) {
    /* Still partial; a cookie that arrived byte by byte is checked here. */
    size_t frame_len = 0;
    if (rtc_turn_frame_length(r->buf, r->length, &frame_len) ==
        RTC_ERR_MALFORMED) {
      r->error = RTC_ERR_MALFORMED;
      return r->error;
    }
    return RTC_OK;
  }
  /* Then whole frames straight from the caller's bytes. */
  while (size > 0) {
    size_t frame_len = 0;
    rtc_error err = rtc_turn_frame_length(data, size, &frame_len);
    if (err == RTC_ERR_MALFORMED) {
      r->error = err;
      return err;
    }
    if (err == RTC_OK && frame_len <= size) {
      on_frame(user, data, frame_len);
      data += frame_len;
      size -= frame_len;
      continue;
    }
    /* A partial frame: keep it. */
    if (r->buf == NULL) {
      r->buf = rtc_malloc(RTC_TURN_MAX_FRAME_SIZE);
      if (r->buf == NULL) {
        r->error = RTC_ERR_NO_MEMORY;
        return r->error;
      }
    }
    RTC_CHECK(size < RTC_TURN_MAX_FRAME_SIZE);
    memcpy(r->buf, data, size);
    r->length = size;
    size = 0;
  }
  return RTC_OK;
}
