/*
 * The Data Channel Establishment Protocol (RFC 8832): DATA_CHANNEL_OPEN and
 * DATA_CHANNEL_ACK messages, sent with PPID 50 on the channel's stream.
 * Sans-I/O codec; parsing faces hostile input.
 *
 * Threads: any.
 */
#ifndef PC_DCEP_H_
#define PC_DCEP_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SCTP payload protocol identifiers (RFC 8831 §8, RFC 8832 §8.1). */
#define RTC_PPID_DCEP 50
#define RTC_PPID_STRING 51
#define RTC_PPID_BINARY_PARTIAL 52 /* deprecated, accepted */
#define RTC_PPID_BINARY 53
#define RTC_PPID_STRING_PARTIAL 54 /* deprecated, accepted */
#define RTC_PPID_STRING_EMPTY 56
#define RTC_PPID_BINARY_EMPTY 57

/* Message types (RFC 8832 §8.2.1). */
#define RTC_DCEP_OPEN 0x03
#define RTC_DCEP_ACK 0x02

/* Channel types (RFC 8832 §5.1). */
typedef enum rtc_dcep_channel_type {
  RTC_DCEP_RELIABLE = 0x00,
  RTC_DCEP_PARTIAL_RELIABLE_REXMIT = 0x01,
  RTC_DCEP_PARTIAL_RELIABLE_TIMED = 0x02,
  RTC_DCEP_RELIABLE_UNORDERED = 0x80,
  RTC_DCEP_PARTIAL_RELIABLE_REXMIT_UNORDERED = 0x81,
  RTC_DCEP_PARTIAL_RELIABLE_TIMED_UNORDERED = 0x82,
} rtc_dcep_channel_type;

/* The longest label or protocol we accept (RFC 8832 allows 65535; webrtc-pc
 * limits both to 65535 bytes of UTF-8). */
#define RTC_DCEP_MAX_STRING 65535

typedef struct rtc_dcep_open {
  rtc_dcep_channel_type channel_type;
  uint16_t priority;
  uint32_t reliability; /* retransmissions or lifetime in ms */
  const char* label;    /* not NUL-terminated: label_len bytes */
  size_t label_len;
  const char* protocol;
  size_t protocol_len;
} rtc_dcep_open;

/* Parses a DCEP message (the payload of a PPID 50 message). For an OPEN,
 * fills *open with pointers into `data`. Errors: RTC_ERR_MALFORMED (short,
 * lengths past the end, unknown message or channel type). */
rtc_error rtc_dcep_parse(const uint8_t* data,
                         size_t size,
                         uint8_t* message_type,
                         rtc_dcep_open* open);

/* Writes a DATA_CHANNEL_OPEN into buf; *len = its size. Errors:
 * RTC_ERR_BUFFER_TOO_SMALL, RTC_ERR_INVALID_ARGUMENT (label or protocol
 * longer than RTC_DCEP_MAX_STRING). */
rtc_error rtc_dcep_build_open(const rtc_dcep_open* open,
                              uint8_t* buf,
                              size_t capacity,
                              size_t* len);
/* A DATA_CHANNEL_ACK is one byte. */
uint8_t rtc_dcep_ack_byte(void);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // PC_DCEP_H_
