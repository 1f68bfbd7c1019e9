#include "pc/dcep.h"

#include <string.h>

/* RFC 8832 §5.1: the fixed part of DATA_CHANNEL_OPEN.
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  | Message Type  |  Channel Type |            Priority           |
 *  |                    Reliability Parameter                      |
 *  |         Label Length          |       Protocol Length         |
 *  \                             Label                             /
 *  \                            Protocol                           /
 */
#define DCEP_OPEN_HEADER_SIZE 12

static bool is_channel_type(uint8_t type) {
  switch (type) {
    case RTC_DCEP_RELIABLE:
    case RTC_DCEP_PARTIAL_RELIABLE_REXMIT:
    case RTC_DCEP_PARTIAL_RELIABLE_TIMED:
    case RTC_DCEP_RELIABLE_UNORDERED:
    case RTC_DCEP_PARTIAL_RELIABLE_REXMIT_UNORDERED:
    case RTC_DCEP_PARTIAL_RELIABLE_TIMED_UNORDERED:
      return true;
    default:
      return false;
  }
}

static uint16_t read_u16(const uint8_t* p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t read_u32(const uint8_t* p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void write_u16(uint8_t* p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void write_u32(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

rtc_error rtc_dcep_parse(const uint8_t* data,
                         size_t size,
                         uint8_t* message_type,
                         rtc_dcep_open* open) {
  if (!data || size < 1)
    return RTC_ERR_MALFORMED;
  uint8_t type = data[0];
  /* RFC 8832 §5.2: DATA_CHANNEL_ACK is the message type alone. Trailing
   * bytes are ignored, as Chrome and Firefox do. */
  if (type == RTC_DCEP_ACK) {
    *message_type = type;
    return RTC_OK;
  }
  /* RFC 8832 §8.2.1: 0x03 is the only other message type. */
  if (type != RTC_DCEP_OPEN)
    return RTC_ERR_MALFORMED;
  if (size < DCEP_OPEN_HEADER_SIZE)
    return RTC_ERR_MALFORMED;
  /* RFC 8832 §8.2.2: the channel types in use. */
  if (!is_channel_type(data[1]))
    return RTC_ERR_MALFORMED;
  size_t label_len = read_u16(data + 8);
  size_t protocol_len = read_u16(data + 10);
  /* Both strings must lie inside the message; bytes after them are
   * ignored (a longer message is not an error in RFC 8832). */
  if (label_len + protocol_len > size - DCEP_OPEN_HEADER_SIZE)
    return RTC_ERR_MALFORMED;
  *message_type = type;
  if (open) {
    open->channel_type = (rtc_dcep_channel_type)data[1];
    open->priority = read_u16(data + 2);
    open->reliability = read_u32(data + 4);
    open->label = (const char*)data + DCEP_OPEN_HEADER_SIZE;
    open->label_len = label_len;
    open->protocol = (const char*)data + DCEP_OPEN_HEADER_SIZE + label_len;
    open->protocol_len = protocol_len;
  }
  return RTC_OK;
}

rtc_error rtc_dcep_build_open(const rtc_dcep_open* open,
                              uint8_t* buf,
                              size_t capacity,
                              size_t* len) {
  *len = 0;
  if (!open || !is_channel_type((uint8_t)open->channel_type))
    return RTC_ERR_INVALID_ARGUMENT;
  if (open->label_len > RTC_DCEP_MAX_STRING ||
      open->protocol_len > RTC_DCEP_MAX_STRING)
    return RTC_ERR_INVALID_ARGUMENT;
  if ((open->label_len && !open->label) ||
      (open->protocol_len && !open->protocol))
    return RTC_ERR_INVALID_ARGUMENT;
  size_t needed = DCEP_OPEN_HEADER_SIZE + open->label_len + open->protocol_len;
  if (!buf || capacity < needed) {
    *len = needed;
    return RTC_ERR_BUFFER_TOO_SMALL;
  }
  buf[0] = RTC_DCEP_OPEN;
  buf[1] = (uint8_t)open->channel_type;
  write_u16(buf + 2, open->priority);
  write_u32(buf + 4, open->reliability);
  write_u16(buf + 8, (uint16_t)open->label_len);
  write_u16(buf + 10, (uint16_t)open->protocol_len);
  if (open->label_len)
    memcpy(buf + DCEP_OPEN_HEADER_SIZE, open->label, open->label_len);
  if (open->protocol_len)
    memcpy(buf + DCEP_OPEN_HEADER_SIZE + open->label_len, open->protocol,
           open->protocol_len);
  *len = needed;
  return RTC_OK;
}

uint8_t rtc_dcep_ack_byte(void) {
  return RTC_DCEP_ACK;
}
