/*
 * STUN message codec (RFC 8489) with the ICE attributes (RFC 8445 §16).
 * Sans-I/O: bytes in, bytes out.
 *
 * Parsing validates the framing completely before anything is read:
 * header, magic cookie, message length, every attribute length and its
 * padding, FINGERPRINT (if present: last, and correct) and the position of
 * MESSAGE-INTEGRITY / MESSAGE-INTEGRITY-SHA256 (only those and FINGERPRINT
 * may follow; attributes after them are ignored, RFC 8489 §14.5). Unknown
 * comprehension-optional attributes (0x8000-0xFFFF) are skipped; unknown
 * comprehension-required ones (0x0000-0x7FFF) are listed so that a server
 * answers the request with 420 (RFC 8489 §6.3.1.1).
 *
 * The parsed message is a view into the caller's bytes (no copies, no
 * allocation): keep the bytes alive while using it.
 *
 * Threads: any (no shared state).
 */
#ifndef P2P_STUN_H_
#define P2P_STUN_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"
#include "rtc_base/socket_address.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RTC_STUN_HEADER_SIZE 20
#define RTC_STUN_MAGIC_COOKIE 0x2112A442u
#define RTC_STUN_TRANSACTION_ID_SIZE 12
/* Attributes kept per parsed message; more is RTC_ERR_MALFORMED. */
#define RTC_STUN_MAX_ATTRIBUTES 48
/* Unknown comprehension-required attributes listed per message. */
#define RTC_STUN_MAX_UNKNOWN 16

/* Classes (RFC 8489 §5). */
#define RTC_STUN_CLASS_REQUEST 0x000
#define RTC_STUN_CLASS_INDICATION 0x010
#define RTC_STUN_CLASS_SUCCESS 0x100
#define RTC_STUN_CLASS_ERROR 0x110

/* Methods. */
#define RTC_STUN_METHOD_BINDING 0x001
/* TURN (RFC 8656 §17). */
#define RTC_STUN_METHOD_ALLOCATE 0x003
#define RTC_STUN_METHOD_REFRESH 0x004
#define RTC_STUN_METHOD_SEND 0x006
#define RTC_STUN_METHOD_DATA 0x007
#define RTC_STUN_METHOD_CREATE_PERMISSION 0x008
#define RTC_STUN_METHOD_CHANNEL_BIND 0x009

/* Message types = method | class. */
#define RTC_STUN_BINDING_REQUEST 0x0001
#define RTC_STUN_BINDING_INDICATION 0x0011
#define RTC_STUN_BINDING_SUCCESS 0x0101
#define RTC_STUN_BINDING_ERROR 0x0111

/* Attributes. */
#define RTC_STUN_ATTR_MAPPED_ADDRESS 0x0001
#define RTC_STUN_ATTR_USERNAME 0x0006
#define RTC_STUN_ATTR_MESSAGE_INTEGRITY 0x0008
#define RTC_STUN_ATTR_ERROR_CODE 0x0009
#define RTC_STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define RTC_STUN_ATTR_REALM 0x0014
#define RTC_STUN_ATTR_NONCE 0x0015
#define RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 0x001C
#define RTC_STUN_ATTR_PASSWORD_ALGORITHM 0x001D
#define RTC_STUN_ATTR_USERHASH 0x001E
#define RTC_STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define RTC_STUN_ATTR_PRIORITY 0x0024
#define RTC_STUN_ATTR_USE_CANDIDATE 0x0025
#define RTC_STUN_ATTR_PASSWORD_ALGORITHMS 0x8002
#define RTC_STUN_ATTR_ALTERNATE_DOMAIN 0x8003
#define RTC_STUN_ATTR_SOFTWARE 0x8022
#define RTC_STUN_ATTR_ALTERNATE_SERVER 0x8023
#define RTC_STUN_ATTR_FINGERPRINT 0x8028
#define RTC_STUN_ATTR_ICE_CONTROLLED 0x8029
#define RTC_STUN_ATTR_ICE_CONTROLLING 0x802A
/* TURN (RFC 8656 §18). */
#define RTC_STUN_ATTR_CHANNEL_NUMBER 0x000C
#define RTC_STUN_ATTR_LIFETIME 0x000D
#define RTC_STUN_ATTR_XOR_PEER_ADDRESS 0x0012
#define RTC_STUN_ATTR_DATA 0x0013
#define RTC_STUN_ATTR_XOR_RELAYED_ADDRESS 0x0016
#define RTC_STUN_ATTR_REQUESTED_ADDRESS_FAMILY 0x0017
#define RTC_STUN_ATTR_EVEN_PORT 0x0018
#define RTC_STUN_ATTR_REQUESTED_TRANSPORT 0x0019
#define RTC_STUN_ATTR_DONT_FRAGMENT 0x001A
#define RTC_STUN_ATTR_RESERVATION_TOKEN 0x0022
#define RTC_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY 0x8000
#define RTC_STUN_ATTR_ADDRESS_ERROR_CODE 0x8001
#define RTC_STUN_ATTR_ICMP 0x8004
/* Chrome's, comprehension-optional; parsed only to be skipped. */
#define RTC_STUN_ATTR_GOOG_NETWORK_INFO 0xC057

/* Error codes used by ICE. */
#define RTC_STUN_ERROR_TRY_ALTERNATE 300
#define RTC_STUN_ERROR_BAD_REQUEST 400
#define RTC_STUN_ERROR_UNAUTHORIZED 401
#define RTC_STUN_ERROR_FORBIDDEN 403
#define RTC_STUN_ERROR_UNKNOWN_ATTRIBUTE 420
#define RTC_STUN_ERROR_STALE_NONCE 438
#define RTC_STUN_ERROR_ROLE_CONFLICT 487
#define RTC_STUN_ERROR_SERVER_ERROR 500
/* Error codes of TURN (RFC 8656 §19). */
#define RTC_STUN_ERROR_ALLOCATION_MISMATCH 437
#define RTC_STUN_ERROR_ADDRESS_FAMILY_NOT_SUPPORTED 440
#define RTC_STUN_ERROR_WRONG_CREDENTIALS 441
#define RTC_STUN_ERROR_UNSUPPORTED_TRANSPORT 442
#define RTC_STUN_ERROR_PEER_ADDRESS_FAMILY_MISMATCH 443
#define RTC_STUN_ERROR_ALLOCATION_QUOTA_REACHED 486
#define RTC_STUN_ERROR_INSUFFICIENT_CAPACITY 508

/* Limits from RFC 8489 §14. */
#define RTC_STUN_MAX_USERNAME 513 /* bytes */
#define RTC_STUN_MAX_REASON 763   /* bytes */
#define RTC_STUN_MAX_SOFTWARE 763 /* bytes */
#define RTC_STUN_MAX_REALM 763    /* bytes */
#define RTC_STUN_MAX_NONCE 763    /* bytes */

typedef struct rtc_stun_attribute {
  uint16_t type;
  uint16_t length; /* value length, without padding */
  uint32_t offset; /* of the value, from the start of the message */
} rtc_stun_attribute;

typedef struct rtc_stun_message {
  const uint8_t* data; /* (transfer none) the whole message */
  size_t size;
  uint16_t type; /* method | class */
  uint8_t transaction_id[RTC_STUN_TRANSACTION_ID_SIZE];
  /* Attributes before MESSAGE-INTEGRITY(-SHA256), then the integrity and
   * FINGERPRINT attributes themselves; ones after integrity are ignored. */
  rtc_stun_attribute attributes[RTC_STUN_MAX_ATTRIBUTES];
  size_t attribute_count;
  uint16_t unknown_required[RTC_STUN_MAX_UNKNOWN];
  size_t unknown_required_count;
  bool has_fingerprint; /* present (and, having parsed, correct) */
} rtc_stun_message;

/* The class and method of a message type. */
uint16_t rtc_stun_class(uint16_t type);
uint16_t rtc_stun_method(uint16_t type);
uint16_t rtc_stun_type(uint16_t method, uint16_t klass);

/* A quick test for demultiplexing (RFC 7983): the first two bits are zero,
 * the magic cookie is there and the length field matches `size`. Does not
 * validate attributes. */
bool rtc_stun_looks_like_stun(const uint8_t* data, size_t size);

/* Parses and validates `data` (see above). Errors: RTC_ERR_MALFORMED
 * (anything wrong with the framing, a FINGERPRINT that does not match, more
 * than RTC_STUN_MAX_ATTRIBUTES attributes). */
rtc_error rtc_stun_parse(const uint8_t* data,
                         size_t size,
                         rtc_stun_message* out);

/* Checks MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) with `key` (for
 * ICE: the password, RFC 8445 §7.2.2). Errors: RTC_ERR_NOT_FOUND (no
 * MESSAGE-INTEGRITY), RTC_ERR_SECURITY (does not match). */
rtc_error rtc_stun_check_integrity(const rtc_stun_message* msg,
                                   const uint8_t* key,
                                   size_t key_len);
/* The same for MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6); a truncated HMAC
 * (16 to 32 bytes, a multiple of 4) is accepted. */
rtc_error rtc_stun_check_integrity_sha256(const rtc_stun_message* msg,
                                          const uint8_t* key,
                                          size_t key_len);

/* The first attribute of `type` (NULL when absent). */
const rtc_stun_attribute* rtc_stun_find(const rtc_stun_message* msg,
                                        uint16_t type);
/* Its value bytes. */
const uint8_t* rtc_stun_value(const rtc_stun_message* msg,
                              const rtc_stun_attribute* attr);

/* Typed getters. Errors: RTC_ERR_NOT_FOUND (absent), RTC_ERR_MALFORMED
 * (present with a bad value: wrong length, bad family, too long). */
rtc_error rtc_stun_get_username(const rtc_stun_message* msg,
                                const char** name,
                                size_t* len);
rtc_error rtc_stun_get_xor_mapped_address(const rtc_stun_message* msg,
                                          rtc_socket_address* out);
rtc_error rtc_stun_get_mapped_address(const rtc_stun_message* msg,
                                      rtc_socket_address* out);
/* code is 300..699; reason is UTF-8, not NUL-terminated. */
rtc_error rtc_stun_get_error_code(const rtc_stun_message* msg,
                                  int* code,
                                  const char** reason,
                                  size_t* reason_len);
/* The attribute types listed in UNKNOWN-ATTRIBUTES (at most `capacity`). */
rtc_error rtc_stun_get_unknown_attributes(const rtc_stun_message* msg,
                                          uint16_t* types,
                                          size_t capacity,
                                          size_t* count);
rtc_error rtc_stun_get_priority(const rtc_stun_message* msg, uint32_t* out);
bool rtc_stun_has_use_candidate(const rtc_stun_message* msg);
rtc_error rtc_stun_get_ice_controlling(const rtc_stun_message* msg,
                                       uint64_t* tie_breaker);
rtc_error rtc_stun_get_ice_controlled(const rtc_stun_message* msg,
                                      uint64_t* tie_breaker);
rtc_error rtc_stun_get_software(const rtc_stun_message* msg,
                                const char** text,
                                size_t* len);
/* An XOR'ed address attribute of any type (XOR-MAPPED-ADDRESS,
 * XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS: RFC 8656 §18.3, §18.5). */
rtc_error rtc_stun_get_xor_address(const rtc_stun_message* msg,
                                   uint16_t type,
                                   rtc_socket_address* out);
/* A 32-bit value (LIFETIME, RFC 8656 §18.2). */
rtc_error rtc_stun_get_u32(const rtc_stun_message* msg,
                           uint16_t type,
                           uint32_t* out);
/* CHANNEL-NUMBER (RFC 8656 §18.1): the number, then two RFFU bytes. */
rtc_error rtc_stun_get_channel_number(const rtc_stun_message* msg,
                                      uint16_t* out);
/* A text attribute of at most `max_len` bytes (REALM, NONCE: RFC 8489
 * §14.9/§14.10 allow 763). Not NUL-terminated. */
rtc_error rtc_stun_get_text(const rtc_stun_message* msg,
                            uint16_t type,
                            size_t max_len,
                            const char** text,
                            size_t* len);

/* --- Building --- */

/* Writes a message into a caller buffer. Errors are sticky: once an add
 * fails (RTC_ERR_BUFFER_TOO_SMALL, RTC_ERR_INVALID_ARGUMENT, or an add
 * after integrity/fingerprint that RFC 8489 forbids), later adds do
 * nothing and rtc_stun_builder_finish() returns the first error. */
typedef struct rtc_stun_builder {
  uint8_t* buf;
  size_t capacity;
  size_t length; /* bytes written so far */
  rtc_error error;
  bool has_integrity;
  bool has_fingerprint;
} rtc_stun_builder;

void rtc_stun_builder_init(
    rtc_stun_builder* b,
    uint8_t* buf,
    size_t capacity,
    uint16_t type,
    const uint8_t transaction_id[RTC_STUN_TRANSACTION_ID_SIZE]);
/* A raw attribute (padding added). */
void rtc_stun_add_attribute(rtc_stun_builder* b,
                            uint16_t type,
                            const void* value,
                            size_t len);
void rtc_stun_add_username(rtc_stun_builder* b, const char* name, size_t len);
void rtc_stun_add_xor_mapped_address(rtc_stun_builder* b,
                                     const rtc_socket_address* addr);
void rtc_stun_add_mapped_address(rtc_stun_builder* b,
                                 const rtc_socket_address* addr);
/* code 300..699; reason may be NULL (a standard phrase is used). */
void rtc_stun_add_error_code(rtc_stun_builder* b, int code, const char* reason);
void rtc_stun_add_unknown_attributes(rtc_stun_builder* b,
                                     const uint16_t* types,
                                     size_t count);
void rtc_stun_add_priority(rtc_stun_builder* b, uint32_t priority);
void rtc_stun_add_use_candidate(rtc_stun_builder* b);
void rtc_stun_add_ice_controlling(rtc_stun_builder* b, uint64_t tie_breaker);
void rtc_stun_add_ice_controlled(rtc_stun_builder* b, uint64_t tie_breaker);
void rtc_stun_add_software(rtc_stun_builder* b, const char* text);
/* An XOR'ed address attribute of any type (see rtc_stun_get_xor_address). */
void rtc_stun_add_xor_address(rtc_stun_builder* b,
                              uint16_t type,
                              const rtc_socket_address* addr);
/* A 32-bit value (LIFETIME). */
void rtc_stun_add_u32(rtc_stun_builder* b, uint16_t type, uint32_t value);
/* CHANNEL-NUMBER with its RFFU bytes zero. */
void rtc_stun_add_channel_number(rtc_stun_builder* b, uint16_t channel);
/* REQUESTED-TRANSPORT (RFC 8656 §18.7): the IANA protocol number (17 for
 * UDP), then three RFFU bytes. */
void rtc_stun_add_requested_transport(rtc_stun_builder* b, uint8_t protocol);
/* MESSAGE-INTEGRITY (HMAC-SHA1) over everything so far. */
void rtc_stun_add_message_integrity(rtc_stun_builder* b,
                                    const uint8_t* key,
                                    size_t key_len);
/* MESSAGE-INTEGRITY-SHA256 (full 32 bytes). */
void rtc_stun_add_message_integrity_sha256(rtc_stun_builder* b,
                                           const uint8_t* key,
                                           size_t key_len);
/* FINGERPRINT (CRC-32 XOR 0x5354554e); must be last. */
void rtc_stun_add_fingerprint(rtc_stun_builder* b);
/* The first error, or RTC_OK with *len = the message length. */
rtc_error rtc_stun_builder_finish(rtc_stun_builder* b, size_t* len);

/* A fresh transaction id from the CSPRNG (RFC 8489 §6). */
void rtc_stun_new_transaction_id(uint8_t out[RTC_STUN_TRANSACTION_ID_SIZE]);

/* --- RFC 7983 demultiplexing --- */

typedef enum rtc_packet_kind {
  RTC_PACKET_STUN,         /* first byte 0..3 */
  RTC_PACKET_DTLS,         /* 20..63 */
  RTC_PACKET_TURN_CHANNEL, /* 64..79 */
  RTC_PACKET_RTP,          /* 128..191 (RTP and RTCP) */
  RTC_PACKET_UNKNOWN,      /* anything else, or empty: drop */
} rtc_packet_kind;

rtc_packet_kind rtc_demux_classify(const uint8_t* data, size_t size);
const char* rtc_packet_kind_name(rtc_packet_kind kind);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_STUN_H_
