/*
 * TURN framing (RFC 8656): ChannelData messages (§12.4), the frames of a
 * TCP or TLS connection to the server (STUN messages and ChannelData back
 * to back, §12.5), and the long-term credential key (RFC 8489 §9.2.2).
 * Sans-I/O: bytes in, bytes out.
 *
 * Threads: the functions are pure; a stream reader belongs to one thread.
 */
#ifndef P2P_TURN_MESSAGE_H_
#define P2P_TURN_MESSAGE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 8656 §12: "0x4000 through 0x4FFF: These values are the allowed
 * channel numbers (4096 possible values)." */
#define RTC_TURN_CHANNEL_MIN 0x4000
#define RTC_TURN_CHANNEL_MAX 0x4FFF
#define RTC_TURN_CHANNEL_HEADER_SIZE 4
/* The largest frame on a stream: a STUN message with a 0xFFFC length
 * (20 + 65532) is larger than a padded ChannelData message (4 + 65536). */
#define RTC_TURN_MAX_FRAME_SIZE (20 + 0xFFFC)
/* The long-term credential key: an MD5 digest (RFC 8489 §9.2.2). */
#define RTC_TURN_KEY_SIZE 16

typedef enum rtc_turn_framing {
  /* UDP: one message per datagram; ChannelData padding optional. */
  RTC_TURN_FRAMING_DATAGRAM = 0,
  /* TCP or TLS: messages back to back; ChannelData padded to 4 bytes. */
  RTC_TURN_FRAMING_STREAM,
} rtc_turn_framing;

/* True for a channel number a client may bind (0x4000-0x4FFF). */
bool rtc_turn_channel_is_valid(uint16_t channel);

/* Parses a ChannelData message (RFC 8656 §12.4). For a datagram, bytes
 * after the payload (padding) are ignored; for a stream, `size` must be
 * the frame's length (payload padded to a multiple of 4). *payload points
 * into `data`. Errors: RTC_ERR_MALFORMED (shorter than its length field
 * says, channel number outside 0x4000-0x4FFF, a stream frame of the wrong
 * size). */
rtc_error rtc_turn_channel_data_parse(const uint8_t* data,
                                      size_t size,
                                      rtc_turn_framing framing,
                                      uint16_t* channel,
                                      const uint8_t** payload,
                                      size_t* payload_len);

/* The size rtc_turn_channel_data_write() needs. */
size_t rtc_turn_channel_data_size(size_t payload_len, rtc_turn_framing framing);

/* Writes a ChannelData message into `out` (padded with zeros for a
 * stream). Errors: RTC_ERR_INVALID_ARGUMENT (bad channel, payload longer
 * than 65535 bytes), RTC_ERR_BUFFER_TOO_SMALL. */
rtc_error rtc_turn_channel_data_write(uint16_t channel,
                                      const uint8_t* payload,
                                      size_t payload_len,
                                      rtc_turn_framing framing,
                                      uint8_t* out,
                                      size_t capacity,
                                      size_t* written);

/* The length of the frame that starts `data` on a stream. Errors:
 * RTC_ERR_WOULD_BLOCK (not enough bytes yet to tell), RTC_ERR_MALFORMED
 * (neither STUN nor ChannelData: the stream is garbage). */
rtc_error rtc_turn_frame_length(const uint8_t* data,
                                size_t size,
                                size_t* frame_len);

/* The long-term credential key (RFC 8489 §9.2.2):
 *   key = MD5(username ":" OpaqueString(realm) ":" OpaqueString(password))
 * The strings are used as given (no OpaqueString/SASLprep processing:
 * ASCII credentials are unchanged by it). Errors: RTC_ERR_INTERNAL. */
rtc_error rtc_turn_long_term_key(const char* username,
                                 size_t username_len,
                                 const char* realm,
                                 size_t realm_len,
                                 const char* password,
                                 size_t password_len,
                                 uint8_t key[RTC_TURN_KEY_SIZE]);

/* --- Reassembling a stream --- */

typedef struct rtc_turn_stream_reader rtc_turn_stream_reader;

/* Errors: RTC_ERR_NO_MEMORY. (out: transfer full) */
rtc_error rtc_turn_stream_reader_create(rtc_turn_stream_reader** out);
/* NULL is ignored. */
void rtc_turn_stream_reader_destroy(rtc_turn_stream_reader* reader);

/* Called once per complete frame, in order; `frame` is valid during the
 * call only. The callback must not feed or destroy the reader. */
typedef void (*rtc_turn_frame_callback)(void* user,
                                        const uint8_t* frame,
                                        size_t size);

/* Takes the next `size` bytes of the stream, whatever the split points,
 * and calls on_frame for each frame they complete. Frames wholly inside
 * `data` are not copied; a partial frame is kept (up to
 * RTC_TURN_MAX_FRAME_SIZE bytes). Errors: RTC_ERR_MALFORMED (a frame that
 * is neither STUN nor ChannelData: the stream cannot be resynchronised
 * and must be closed; sticky, later feeds fail the same way),
 * RTC_ERR_NO_MEMORY (the bytes were not taken; sticky as well, since a
 * stream with a hole is garbage). */
rtc_error rtc_turn_stream_reader_feed(rtc_turn_stream_reader* reader,
                                      const uint8_t* data,
                                      size_t size,
                                      rtc_turn_frame_callback on_frame,
                                      void* user);

/* Bytes of a partial frame being held. */
size_t rtc_turn_stream_reader_buffered(const rtc_turn_stream_reader* reader);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_TURN_MESSAGE_H_
