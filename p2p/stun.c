/*
 * STUN message codec (RFC 8489) with the ICE attributes (RFC 8445 §16).
 *
 * Every length that comes from the wire is compared with the bytes that
 * remain before it is used, and every attribute getter checks the length
 * of the value against its fixed part before reading it (the lesson of
 * pjsip's CVE-2021-37706). Nothing here allocates through rtc_malloc;
 * BoringSSL's HMAC may allocate internally.
 */
#include "p2p/stun.h"

#include <openssl/crypto.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <string.h>

#include "rtc_base/checks.h"
#include "rtc_base/random.h"

#define ATTR_HEADER_SIZE 4
#define MI_SHA1_SIZE 20
#define MI_SHA256_SIZE 32
#define MI_SHA256_MIN_SIZE 16
#define FINGERPRINT_SIZE 4
#define FINGERPRINT_XOR 0x5354554Eu
#define ADDRESS_FIXED_SIZE 4 /* reserved, family, port */
#define ERROR_CODE_FIXED_SIZE 4
#define FAMILY_IPV4 0x01
#define FAMILY_IPV6 0x02
/* The largest message length field: 16 bits and a multiple of 4. */
#define MAX_MESSAGE_LENGTH 0xFFFCu
#define MAX_ATTRIBUTE_LENGTH 0xFFFFu

/* --- Bytes --- */

static uint16_t get_u16(const uint8_t* p) {
  return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static uint32_t get_u32(const uint8_t* p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static uint64_t get_u64(const uint8_t* p) {
  return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

static void put_u16(uint8_t* p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void put_u32(uint8_t* p, uint32_t v) {
  put_u16(p, (uint16_t)(v >> 16));
  put_u16(p + 2, (uint16_t)v);
}

static void put_u64(uint8_t* p, uint64_t v) {
  put_u32(p, (uint32_t)(v >> 32));
  put_u32(p + 4, (uint32_t)v);
}

/* RFC 8489 §14: values are padded to a multiple of 4 bytes. Callers pass
 * lengths of at most 0xFFFF, so this never wraps. */
static size_t padded(size_t len) {
  return (len + 3) & ~(size_t)3;
}

/* --- Message types (RFC 8489 §5) --- */

/* The type is 0b00 M11..M7 C1 M6..M4 C0 M3..M0. */
uint16_t rtc_stun_class(uint16_t type) {
  return type & 0x0110;
}

uint16_t rtc_stun_method(uint16_t type) {
  return (uint16_t)((type & 0x000F) | ((type & 0x00E0) >> 1) |
                    ((type & 0x3E00) >> 2));
}

uint16_t rtc_stun_type(uint16_t method, uint16_t klass) {
  return (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) |
                    ((method & 0x0F80) << 2) | (klass & 0x0110));
}

/* --- FINGERPRINT (RFC 8489 §14.7) --- */

/* CRC-32 of ISO/IEC 13239 / ITU-T V.42 (reflected polynomial 0xEDB88320),
 * as used by zlib and Ethernet. */
static const uint32_t kCrc32Table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u,
    0x706af48fu, 0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u,
    0xe0d5e91eu, 0x97d2d988u, 0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u,
    0x90bf1d91u, 0x1db71064u, 0x6ab020f2u, 0xf3b97148u, 0x84be41deu,
    0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u, 0x136c9856u,
    0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u,
    0xa2677172u, 0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu,
    0x35b5a8fau, 0x42b2986cu, 0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u,
    0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u, 0x26d930acu, 0x51de003au,
    0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u, 0xcfba9599u,
    0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u,
    0x01db7106u, 0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu,
    0x9fbfe4a5u, 0xe8b8d433u, 0x7807c9a2u, 0x0f00f934u, 0x9609a88eu,
    0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du, 0x91646c97u, 0xe6635c01u,
    0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu, 0x6c0695edu,
    0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u,
    0xfbd44c65u, 0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u,
    0x4adfa541u, 0x3dd895d7u, 0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au,
    0x346ed9fcu, 0xad678846u, 0xda60b8d0u, 0x44042d73u, 0x33031de5u,
    0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau, 0xbe0b1010u,
    0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u,
    0x2eb40d81u, 0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u,
    0x03b6e20cu, 0x74b1d29au, 0xead54739u, 0x9dd277afu, 0x04db2615u,
    0x73dc1683u, 0xe3630b12u, 0x94643b84u, 0x0d6d6a3eu, 0x7a6a5aa8u,
    0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u, 0xf00f9344u,
    0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au,
    0x67dd4accu, 0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u,
    0xd6d6a3e8u, 0xa1d1937eu, 0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u,
    0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu, 0xd80d2bdau, 0xaf0a1b4cu,
    0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u, 0x316e8eefu,
    0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu,
    0xb2bd0b28u, 0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u,
    0x2cd99e8bu, 0x5bdeae1du, 0x9b64c2b0u, 0xec63f226u, 0x756aa39cu,
    0x026d930au, 0x9c0906a9u, 0xeb0e363fu, 0x72076785u, 0x05005713u,
    0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u, 0x92d28e9bu,
    0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u,
    0x18b74777u, 0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu,
    0x8f659effu, 0xf862ae69u, 0x616bffd3u, 0x166ccf45u, 0xa00ae278u,
    0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u, 0xa7672661u, 0xd06016f7u,
    0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu, 0x40df0b66u,
    0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u,
    0xcdd70693u, 0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u,
    0x5d681b02u, 0x2a6f2b94u, 0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu,
    0x2d02ef8du};

static uint32_t crc32(const uint8_t* data, size_t len) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++)
    crc = kCrc32Table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

/* RFC 8489 §14.7: "the CRC-32 of the STUN message up to (but excluding)
 * the FINGERPRINT attribute itself, XOR'ed with the 32-bit value
 * 0x5354554e". */
static uint32_t fingerprint_of(const uint8_t* data, size_t len) {
  return crc32(data, len) ^ FINGERPRINT_XOR;
}

/* --- MESSAGE-INTEGRITY(-SHA256) (RFC 8489 §14.5, §14.6) --- */

/* HMAC of the first `prefix_len` bytes of `msg` (the message up to, not
 * including, the integrity attribute), with the header's length field
 * replaced by `length_field`. RFC 8489 §14.5: "The Length MUST then be set
 * to point to the length of the message up to, and including, the
 * MESSAGE-INTEGRITY attribute itself, but excluding any attributes after
 * it"; "when validating the MESSAGE-INTEGRITY, the length field should be
 * adjusted to point to the end of the MESSAGE-INTEGRITY attribute prior to
 * calculating the HMAC". False when BoringSSL fails (it
 * allocates). */
static bool stun_hmac(const EVP_MD* md,
                      const uint8_t* key,
                      size_t key_len,
                      const uint8_t* msg,
                      size_t prefix_len,
                      uint16_t length_field,
                      uint8_t out[EVP_MAX_MD_SIZE]) {
  static const uint8_t kEmptyKey[1] = {0};
  RTC_CHECK(prefix_len >= RTC_STUN_HEADER_SIZE);
  uint8_t header[RTC_STUN_HEADER_SIZE];
  memcpy(header, msg, sizeof(header));
  put_u16(header + 2, length_field);
  HMAC_CTX ctx;
  HMAC_CTX_init(&ctx);
  unsigned out_len = 0;
  bool ok =
      HMAC_Init_ex(&ctx, key_len > 0 ? key : kEmptyKey, key_len, md, NULL) &&
      HMAC_Update(&ctx, header, sizeof(header)) &&
      HMAC_Update(&ctx, msg + RTC_STUN_HEADER_SIZE,
                  prefix_len - RTC_STUN_HEADER_SIZE) &&
      HMAC_Final(&ctx, out, &out_len);
  HMAC_CTX_cleanup(&ctx);
  return ok && out_len == EVP_MD_size(md);
}

/* Checks the first attribute of `type` (whose value must be min_len to
 * max_len bytes, a multiple of 4) against the HMAC with `md`. */
static rtc_error check_integrity(const rtc_stun_message* msg,
                                 uint16_t type,
                                 const EVP_MD* md,
                                 size_t min_len,
                                 size_t max_len,
                                 const uint8_t* key,
                                 size_t key_len) {
  if (key == NULL && key_len > 0)
    return RTC_ERR_INVALID_ARGUMENT;
  const rtc_stun_attribute* attr = rtc_stun_find(msg, type);
  if (attr == NULL)
    return RTC_ERR_NOT_FOUND;
  /* RFC 8489 §14.5: the HMAC-SHA1 is 20 bytes. §14.6: the HMAC-SHA256 "MUST
   * be at least 16 bytes and MUST be a multiple of 4 bytes", at most 32.
   * Anything else cannot be verified: it fails the check. */
  if (attr->length < min_len || attr->length > max_len || attr->length % 4 != 0)
    return RTC_ERR_SECURITY;
  size_t attr_start = attr->offset - ATTR_HEADER_SIZE;
  size_t attr_end = attr->offset + attr->length;
  RTC_CHECK(attr->offset >= RTC_STUN_HEADER_SIZE + ATTR_HEADER_SIZE &&
            attr_end <= msg->size);
  uint8_t mac[EVP_MAX_MD_SIZE];
  if (!stun_hmac(md, key, key_len, msg->data, attr_start,
                 (uint16_t)(attr_end - RTC_STUN_HEADER_SIZE), mac))
    return RTC_ERR_NO_MEMORY;
  /* Constant time: no timing oracle on how many bytes matched. */
  if (CRYPTO_memcmp(mac, msg->data + attr->offset, attr->length) != 0)
    return RTC_ERR_SECURITY;
  return RTC_OK;
}

rtc_error rtc_stun_check_integrity(const rtc_stun_message* msg,
                                   const uint8_t* key,
                                   size_t key_len) {
  return check_integrity(msg, RTC_STUN_ATTR_MESSAGE_INTEGRITY, EVP_sha1(),
                         MI_SHA1_SIZE, MI_SHA1_SIZE, key, key_len);
}

rtc_error rtc_stun_check_integrity_sha256(const rtc_stun_message* msg,
                                          const uint8_t* key,
                                          size_t key_len) {
  return check_integrity(msg, RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256,
                         EVP_sha256(), MI_SHA256_MIN_SIZE, MI_SHA256_SIZE, key,
                         key_len);
}

/* --- Parsing --- */

bool rtc_stun_looks_like_stun(const uint8_t* data, size_t size) {
  if (data == NULL || size < RTC_STUN_HEADER_SIZE)
    return false;
  if ((data[0] & 0xC0) != 0)
    return false;
  if (get_u32(data + 4) != RTC_STUN_MAGIC_COOKIE)
    return false;
  return get_u16(data + 2) == size - RTC_STUN_HEADER_SIZE;
}

static rtc_error parse_header(const uint8_t* data,
                              size_t size,
                              rtc_stun_message* out) {
  /* RFC 8489 §5: "STUN messages are encoded in binary using network-oriented
   * format", beginning with a 20-byte header. */
  if (data == NULL || size < RTC_STUN_HEADER_SIZE)
    return RTC_ERR_MALFORMED;
  /* RFC 8489 §5: "The most significant 2 bits of every STUN message MUST be
   * zeroes." */
  if ((data[0] & 0xC0) != 0)
    return RTC_ERR_MALFORMED;
  /* RFC 8489 §5: "The Magic Cookie field MUST contain the fixed value
   * 0x2112A442". */
  if (get_u32(data + 4) != RTC_STUN_MAGIC_COOKIE)
    return RTC_ERR_MALFORMED;
  /* RFC 8489 §5: "The message length MUST contain the size of the message
   * in bytes, not including the 20-byte STUN header. Since all STUN
   * attributes are padded to a multiple of 4 bytes, the last 2 bits of this
   * field are always zero." */
  size_t length = get_u16(data + 2);
  if (length != size - RTC_STUN_HEADER_SIZE || length % 4 != 0)
    return RTC_ERR_MALFORMED;
  out->data = data;
  out->size = size;
  out->type = get_u16(data);
  memcpy(out->transaction_id, data + 8, RTC_STUN_TRANSACTION_ID_SIZE);
  return RTC_OK;
}

/* Where the walk is relative to the integrity attributes. */
typedef enum parse_phase {
  PHASE_BEFORE_INTEGRITY,
  PHASE_AFTER_SHA1,   /* after MESSAGE-INTEGRITY */
  PHASE_AFTER_SHA256, /* after MESSAGE-INTEGRITY-SHA256 */
} parse_phase;

/* Comprehension-required attributes (0x0000-0x7FFF) this codec knows: the
 * ones RFC 8489 §14 and RFC 8445 §16.1 define that stun.h names. */
static bool is_known_required(uint16_t type) {
  switch (type) {
    case RTC_STUN_ATTR_MAPPED_ADDRESS:
    case RTC_STUN_ATTR_USERNAME:
    case RTC_STUN_ATTR_MESSAGE_INTEGRITY:
    case RTC_STUN_ATTR_ERROR_CODE:
    case RTC_STUN_ATTR_UNKNOWN_ATTRIBUTES:
    case RTC_STUN_ATTR_REALM:
    case RTC_STUN_ATTR_NONCE:
    case RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
    case RTC_STUN_ATTR_PASSWORD_ALGORITHM:
    case RTC_STUN_ATTR_USERHASH:
    case RTC_STUN_ATTR_XOR_MAPPED_ADDRESS:
    case RTC_STUN_ATTR_PRIORITY:
    case RTC_STUN_ATTR_USE_CANDIDATE:
      return true;
    default:
      return false;
  }
}

/* RFC 8489 §14: "Attributes with type values between 0x0000 and 0x7FFF are
 * comprehension-required attributes, which means that the STUN agent cannot
 * successfully process the message unless it understands the attribute."
 * §6.3.1, §6.3.1.1: a server answers a request holding unknown ones with a
 * 420 whose UNKNOWN-ATTRIBUTES lists them, so they are collected (once
 * each, at most RTC_STUN_MAX_UNKNOWN). "Attributes with type values between
 * 0x8000 and 0xFFFF are comprehension-optional attributes, which means that
 * those attributes can be ignored by the STUN agent if it does not
 * understand them." */
static void note_if_unknown(rtc_stun_message* msg, uint16_t type) {
  if (type >= 0x8000 || is_known_required(type))
    return;
  for (size_t i = 0; i < msg->unknown_required_count; i++) {
    if (msg->unknown_required[i] == type)
      return;
  }
  if (msg->unknown_required_count < RTC_STUN_MAX_UNKNOWN)
    msg->unknown_required[msg->unknown_required_count++] = type;
}

static rtc_error record_attribute(rtc_stun_message* msg,
                                  uint16_t type,
                                  uint16_t len,
                                  size_t value_offset) {
  if (msg->attribute_count == RTC_STUN_MAX_ATTRIBUTES)
    return RTC_ERR_MALFORMED;
  rtc_stun_attribute* attr = &msg->attributes[msg->attribute_count++];
  attr->type = type;
  attr->length = len;
  attr->offset = (uint32_t)value_offset;
  return RTC_OK;
}

/* RFC 8489 §14.7: "When present, the FINGERPRINT attribute MUST be the last
 * attribute in the message"; its value is 32 bits. */
static rtc_error check_fingerprint(const rtc_stun_message* msg,
                                   size_t attr_start,
                                   uint16_t len,
                                   size_t attr_end) {
  if (attr_end != msg->size || len != FINGERPRINT_SIZE)
    return RTC_ERR_MALFORMED;
  uint32_t value = get_u32(msg->data + attr_start + ATTR_HEADER_SIZE);
  if (value != fingerprint_of(msg->data, attr_start))
    return RTC_ERR_MALFORMED;
  return RTC_OK;
}

/* One attribute whose value and padding lie inside the message. */
static rtc_error accept_attribute(rtc_stun_message* msg,
                                  parse_phase* phase,
                                  uint16_t type,
                                  uint16_t len,
                                  size_t attr_start,
                                  size_t attr_end) {
  size_t value_offset = attr_start + ATTR_HEADER_SIZE;
  if (type == RTC_STUN_ATTR_FINGERPRINT) {
    rtc_error err = check_fingerprint(msg, attr_start, len, attr_end);
    if (err != RTC_OK)
      return err;
    msg->has_fingerprint = true;
    return record_attribute(msg, type, len, value_offset);
  }
  switch (*phase) {
    case PHASE_AFTER_SHA256:
      /* RFC 8489 §14.6: "With the exception of the FINGERPRINT attribute,
       * which appears after MESSAGE-INTEGRITY-SHA256, agents MUST ignore all
       * other attributes that follow MESSAGE-INTEGRITY-SHA256." */
      return RTC_OK;
    case PHASE_AFTER_SHA1:
      /* RFC 8489 §14.5: "With the exception of the MESSAGE-INTEGRITY-SHA256
       * and FINGERPRINT attributes, which appear after MESSAGE-INTEGRITY,
       * agents MUST ignore all other attributes that follow
       * MESSAGE-INTEGRITY." */
      if (type != RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
        return RTC_OK;
      *phase = PHASE_AFTER_SHA256;
      return record_attribute(msg, type, len, value_offset);
    case PHASE_BEFORE_INTEGRITY:
      break;
  }
  if (type == RTC_STUN_ATTR_MESSAGE_INTEGRITY)
    *phase = PHASE_AFTER_SHA1;
  else if (type == RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
    *phase = PHASE_AFTER_SHA256;
  note_if_unknown(msg, type);
  return record_attribute(msg, type, len, value_offset);
}

static rtc_error parse_attributes(rtc_stun_message* msg) {
  parse_phase phase = PHASE_BEFORE_INTEGRITY;
  size_t pos = RTC_STUN_HEADER_SIZE;
  while (pos < msg->size) {
    /* RFC 8489 §14: each attribute is Type (16 bits), Length (16 bits) and
     * the value. The header check makes size - pos a multiple of 4, so
     * this always holds; it is here so that the reads below are obviously
     * in bounds. */
    if (msg->size - pos < ATTR_HEADER_SIZE)
      return RTC_ERR_MALFORMED;
    uint16_t type = get_u16(msg->data + pos);
    uint16_t len = get_u16(msg->data + pos + 2);
    size_t value_offset = pos + ATTR_HEADER_SIZE;
    /* RFC 8489 §14: "The value in the length field MUST contain the length
     * of the Value part of the attribute, prior to padding"; "each STUN
     * attribute MUST end on a 32-bit boundary". The value and its padding
     * must both lie inside the message. */
    if (padded(len) > msg->size - value_offset)
      return RTC_ERR_MALFORMED;
    size_t attr_end = value_offset + padded(len);
    rtc_error err = accept_attribute(msg, &phase, type, len, pos, attr_end);
    if (err != RTC_OK)
      return err;
    pos = attr_end;
  }
  return RTC_OK;
}

rtc_error rtc_stun_parse(const uint8_t* data,
                         size_t size,
                         rtc_stun_message* out) {
  memset(out, 0, sizeof(*out));
  rtc_error err = parse_header(data, size, out);
  if (err == RTC_OK)
    err = parse_attributes(out);
  if (err != RTC_OK)
    memset(out, 0, sizeof(*out));
  return err;
}

/* --- Reading attributes --- */

const rtc_stun_attribute* rtc_stun_find(const rtc_stun_message* msg,
                                        uint16_t type) {
  size_t count = msg->attribute_count;
  if (count > RTC_STUN_MAX_ATTRIBUTES)
    count = RTC_STUN_MAX_ATTRIBUTES;
  for (size_t i = 0; i < count; i++) {
    if (msg->attributes[i].type == type)
      return &msg->attributes[i];
  }
  return NULL;
}

const uint8_t* rtc_stun_value(const rtc_stun_message* msg,
                              const rtc_stun_attribute* attr) {
  RTC_CHECK((size_t)attr->offset + attr->length <= msg->size);
  return msg->data + attr->offset;
}

/* The value of the first attribute of `type`. */
static rtc_error find_value(const rtc_stun_message* msg,
                            uint16_t type,
                            const uint8_t** value,
                            size_t* len) {
  const rtc_stun_attribute* attr = rtc_stun_find(msg, type);
  if (attr == NULL)
    return RTC_ERR_NOT_FOUND;
  *value = rtc_stun_value(msg, attr);
  *len = attr->length;
  return RTC_OK;
}

/* The value of the first attribute of `type`, which must be exactly
 * `expected` bytes long. */
static rtc_error find_fixed(const rtc_stun_message* msg,
                            uint16_t type,
                            size_t expected,
                            const uint8_t** value) {
  size_t len = 0;
  rtc_error err = find_value(msg, type, value, &len);
  if (err != RTC_OK)
    return err;
  return len == expected ? RTC_OK : RTC_ERR_MALFORMED;
}

/* A text value of at most `max_len` bytes. */
static rtc_error find_text(const rtc_stun_message* msg,
                           uint16_t type,
                           size_t max_len,
                           const char** text,
                           size_t* len) {
  const uint8_t* value = NULL;
  size_t n = 0;
  *text = NULL;
  *len = 0;
  rtc_error err = find_value(msg, type, &value, &n);
  if (err != RTC_OK)
    return err;
  if (n > max_len)
    return RTC_ERR_MALFORMED;
  *text = (const char*)value;
  *len = n;
  return RTC_OK;
}

rtc_error rtc_stun_get_username(const rtc_stun_message* msg,
                                const char** name,
                                size_t* len) {
  /* RFC 8489 §14.3 asks for fewer than 509 bytes (and for 763 to be
   * parsed); ICE usernames are two ufrags of up to 256 characters joined
   * by ':' (RFC 8445 §7.2.2, RFC 8839 §5.4): at most 513 bytes. */
  return find_text(msg, RTC_STUN_ATTR_USERNAME, RTC_STUN_MAX_USERNAME, name,
                   len);
}

rtc_error rtc_stun_get_software(const rtc_stun_message* msg,
                                const char** text,
                                size_t* len) {
  /* RFC 8489 §14.14: "fewer than 128 characters"; like the reason phrase
   * of §14.8, up to 763 bytes when decoding them. */
  return find_text(msg, RTC_STUN_ATTR_SOFTWARE, RTC_STUN_MAX_SOFTWARE, text,
                   len);
}

/* RFC 8489 §14.1 (MAPPED-ADDRESS), §14.2 (XOR-MAPPED-ADDRESS):
 *   0 (8 bits) | Family (8 bits) | Port (16 bits) | Address (32 or 128 bits)
 * `mask` is XOR'ed over port and address: zeros for MAPPED-ADDRESS; the
 * magic cookie and transaction id for XOR-MAPPED-ADDRESS ("X-Port is
 * computed by XOR'ing the mapped port with the most significant 16 bits of
 * the magic cookie"; an IPv4 address with the cookie; an IPv6 address with
 * "the concatenation of the magic cookie and the 96-bit transaction ID"). */
static rtc_error decode_address(const uint8_t* value,
                                size_t len,
                                const uint8_t mask[16],
                                rtc_socket_address* out) {
  rtc_socket_address_clear(out);
  if (len < ADDRESS_FIXED_SIZE)
    return RTC_ERR_MALFORMED;
  size_t addr_len = 0;
  if (value[1] == FAMILY_IPV4)
    addr_len = 4;
  else if (value[1] == FAMILY_IPV6)
    addr_len = 16;
  else
    return RTC_ERR_MALFORMED;
  if (len != ADDRESS_FIXED_SIZE + addr_len)
    return RTC_ERR_MALFORMED;
  uint16_t port = (uint16_t)(get_u16(value + 2) ^ get_u16(mask));
  uint8_t addr[16];
  for (size_t i = 0; i < addr_len; i++)
    addr[i] = value[ADDRESS_FIXED_SIZE + i] ^ mask[i];
  if (addr_len == 4)
    rtc_socket_address_set_ipv4(out, get_u32(addr), port);
  else
    rtc_socket_address_set_ipv6(out, addr, port, 0);
  return RTC_OK;
}

/* Writes the address value into `out` (20 bytes); returns its length, 0
 * when the family is neither IPv4 nor IPv6. */
static size_t encode_address(const rtc_socket_address* addr,
                             const uint8_t mask[16],
                             uint8_t out[ADDRESS_FIXED_SIZE + 16]) {
  size_t addr_len = 0;
  if (addr->family == RTC_AF_INET)
    addr_len = 4;
  else if (addr->family == RTC_AF_INET6)
    addr_len = 16;
  else
    return 0;
  out[0] = 0;
  out[1] = addr_len == 4 ? FAMILY_IPV4 : FAMILY_IPV6;
  put_u16(out + 2, (uint16_t)(addr->port ^ get_u16(mask)));
  for (size_t i = 0; i < addr_len; i++)
    out[ADDRESS_FIXED_SIZE + i] = addr->addr[i] ^ mask[i];
  return ADDRESS_FIXED_SIZE + addr_len;
}

static void xor_mask(const uint8_t transaction_id[RTC_STUN_TRANSACTION_ID_SIZE],
                     uint8_t mask[16]) {
  put_u32(mask, RTC_STUN_MAGIC_COOKIE);
  memcpy(mask + 4, transaction_id, RTC_STUN_TRANSACTION_ID_SIZE);
}

static rtc_error get_address(const rtc_stun_message* msg,
                             uint16_t type,
                             const uint8_t mask[16],
                             rtc_socket_address* out) {
  const uint8_t* value = NULL;
  size_t len = 0;
  rtc_socket_address_clear(out);
  rtc_error err = find_value(msg, type, &value, &len);
  if (err != RTC_OK)
    return err;
  return decode_address(value, len, mask, out);
}

rtc_error rtc_stun_get_xor_mapped_address(const rtc_stun_message* msg,
                                          rtc_socket_address* out) {
  uint8_t mask[16];
  xor_mask(msg->transaction_id, mask);
  return get_address(msg, RTC_STUN_ATTR_XOR_MAPPED_ADDRESS, mask, out);
}

rtc_error rtc_stun_get_mapped_address(const rtc_stun_message* msg,
                                      rtc_socket_address* out) {
  static const uint8_t kNoMask[16] = {0};
  return get_address(msg, RTC_STUN_ATTR_MAPPED_ADDRESS, kNoMask, out);
}

/* RFC 8656 §18.3 (XOR-PEER-ADDRESS), §18.5 (XOR-RELAYED-ADDRESS): "encoded
 * in the same way as the XOR-MAPPED-ADDRESS". */
rtc_error rtc_stun_get_xor_address(const rtc_stun_message* msg,
                                   uint16_t type,
                                   rtc_socket_address* out) {
  uint8_t mask[16];
  xor_mask(msg->transaction_id, mask);
  return get_address(msg, type, mask, out);
}

rtc_error rtc_stun_get_u32(const rtc_stun_message* msg,
                           uint16_t type,
                           uint32_t* out) {
  const uint8_t* value = NULL;
  *out = 0;
  rtc_error err = find_fixed(msg, type, 4, &value);
  if (err != RTC_OK)
    return err;
  *out = get_u32(value);
  return RTC_OK;
}

rtc_error rtc_stun_get_channel_number(const rtc_stun_message* msg,
                                      uint16_t* out) {
  const uint8_t* value = NULL;
  *out = 0;
  /* RFC 8656 §18.1: "a 16-bit unsigned integer followed by a two-octet
   * RFFU (Reserved For Future Use) field". */
  rtc_error err = find_fixed(msg, RTC_STUN_ATTR_CHANNEL_NUMBER, 4, &value);
  if (err != RTC_OK)
    return err;
  *out = get_u16(value);
  return RTC_OK;
}

rtc_error rtc_stun_get_text(const rtc_stun_message* msg,
                            uint16_t type,
                            size_t max_len,
                            const char** text,
                            size_t* len) {
  return find_text(msg, type, max_len, text, len);
}

rtc_error rtc_stun_get_error_code(const rtc_stun_message* msg,
                                  int* code,
                                  const char** reason,
                                  size_t* reason_len) {
  const uint8_t* value = NULL;
  size_t len = 0;
  *code = 0;
  if (reason)
    *reason = NULL;
  if (reason_len)
    *reason_len = 0;
  rtc_error err = find_value(msg, RTC_STUN_ATTR_ERROR_CODE, &value, &len);
  if (err != RTC_OK)
    return err;
  /* RFC 8489 §14.8: Reserved (21 bits; "Receivers MUST ignore these
   * bits"), Class (3 bits), Number (8 bits), Reason Phrase. The fixed part
   * is checked before anything is read. */
  if (len < ERROR_CODE_FIXED_SIZE)
    return RTC_ERR_MALFORMED;
  /* "The Class represents the hundreds digit of the error code. The value
   * MUST be between 3 and 6. The Number represents the binary encoding of
   * the error code modulo 100, and its value MUST be between 0 and 99." */
  int klass = value[2] & 0x07;
  int number = value[3];
  if (klass < 3 || klass > 6 || number > 99)
    return RTC_ERR_MALFORMED;
  /* "The reason phrase MUST be a UTF-8-encoded [RFC3629] sequence of fewer
   * than 128 characters (which can be as long as 509 bytes when encoding
   * them or 763 bytes when decoding them)." */
  size_t text_len = len - ERROR_CODE_FIXED_SIZE;
  if (text_len > RTC_STUN_MAX_REASON)
    return RTC_ERR_MALFORMED;
  *code = klass * 100 + number;
  if (reason)
    *reason = (const char*)value + ERROR_CODE_FIXED_SIZE;
  if (reason_len)
    *reason_len = text_len;
  return RTC_OK;
}

rtc_error rtc_stun_get_unknown_attributes(const rtc_stun_message* msg,
                                          uint16_t* types,
                                          size_t capacity,
                                          size_t* count) {
  const uint8_t* value = NULL;
  size_t len = 0;
  RTC_DCHECK(types != NULL || capacity == 0);
  *count = 0;
  rtc_error err =
      find_value(msg, RTC_STUN_ATTR_UNKNOWN_ATTRIBUTES, &value, &len);
  if (err != RTC_OK)
    return err;
  /* RFC 8489 §14.9: "a list of 16-bit values, each of which represents an
   * attribute type": the length is even. */
  if (len % 2 != 0)
    return RTC_ERR_MALFORMED;
  size_t n = len / 2;
  if (n > capacity)
    n = capacity;
  for (size_t i = 0; i < n; i++)
    types[i] = get_u16(value + 2 * i);
  *count = n;
  return RTC_OK;
}

rtc_error rtc_stun_get_priority(const rtc_stun_message* msg, uint32_t* out) {
  const uint8_t* value = NULL;
  *out = 0;
  /* RFC 8445 §16.1: PRIORITY is a 32-bit unsigned integer. */
  rtc_error err = find_fixed(msg, RTC_STUN_ATTR_PRIORITY, 4, &value);
  if (err == RTC_OK)
    *out = get_u32(value);
  return err;
}

bool rtc_stun_has_use_candidate(const rtc_stun_message* msg) {
  const uint8_t* value = NULL;
  /* RFC 8445 §16.1: "The USE-CANDIDATE attribute ... has no content (the
   * Length field of the attribute is zero)". One with content is malformed
   * and does not nominate. */
  return find_fixed(msg, RTC_STUN_ATTR_USE_CANDIDATE, 0, &value) == RTC_OK;
}

/* RFC 8445 §16.1: ICE-CONTROLLING and ICE-CONTROLLED hold a 64-bit
 * unsigned tie-breaker. */
static rtc_error get_tie_breaker(const rtc_stun_message* msg,
                                 uint16_t type,
                                 uint64_t* out) {
  const uint8_t* value = NULL;
  *out = 0;
  rtc_error err = find_fixed(msg, type, 8, &value);
  if (err == RTC_OK)
    *out = get_u64(value);
  return err;
}

rtc_error rtc_stun_get_ice_controlling(const rtc_stun_message* msg,
                                       uint64_t* tie_breaker) {
  return get_tie_breaker(msg, RTC_STUN_ATTR_ICE_CONTROLLING, tie_breaker);
}

rtc_error rtc_stun_get_ice_controlled(const rtc_stun_message* msg,
                                      uint64_t* tie_breaker) {
  return get_tie_breaker(msg, RTC_STUN_ATTR_ICE_CONTROLLED, tie_breaker);
}

/* --- Building --- */

static void builder_fail(rtc_stun_builder* b, rtc_error err) {
  if (b->error == RTC_OK)
    b->error = err;
}

void rtc_stun_builder_init(
    rtc_stun_builder* b,
    uint8_t* buf,
    size_t capacity,
    uint16_t type,
    const uint8_t transaction_id[RTC_STUN_TRANSACTION_ID_SIZE]) {
  memset(b, 0, sizeof(*b));
  b->buf = buf;
  b->capacity = capacity;
  /* RFC 8489 §5: the top two bits of the type are zero. */
  if (buf == NULL || transaction_id == NULL || (type & 0xC000) != 0) {
    builder_fail(b, RTC_ERR_INVALID_ARGUMENT);
    return;
  }
  if (capacity < RTC_STUN_HEADER_SIZE) {
    builder_fail(b, RTC_ERR_BUFFER_TOO_SMALL);
    return;
  }
  put_u16(buf, type);
  put_u16(buf + 2, 0);
  put_u32(buf + 4, RTC_STUN_MAGIC_COOKIE);
  memcpy(buf + 8, transaction_id, RTC_STUN_TRANSACTION_ID_SIZE);
  b->length = RTC_STUN_HEADER_SIZE;
}

/* Whether the builder already holds an attribute of `type`. Walks what it
 * wrote, staying inside `length` even if the caller changed the bytes. */
static bool builder_contains(const rtc_stun_builder* b, uint16_t type) {
  size_t pos = RTC_STUN_HEADER_SIZE;
  while (pos <= b->length && b->length - pos >= ATTR_HEADER_SIZE) {
    if (get_u16(b->buf + pos) == type)
      return true;
    pos += ATTR_HEADER_SIZE + padded(get_u16(b->buf + pos + 2));
  }
  return false;
}

/* RFC 8489 §14.7: "the FINGERPRINT attribute MUST be the last attribute".
 * §14.5: only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may follow
 * MESSAGE-INTEGRITY; §14.6: only FINGERPRINT may follow
 * MESSAGE-INTEGRITY-SHA256 (anything else would be ignored by receivers). */
static bool may_add(const rtc_stun_builder* b, uint16_t type) {
  if (b->has_fingerprint)
    return false;
  if (!b->has_integrity || type == RTC_STUN_ATTR_FINGERPRINT)
    return true;
  return type == RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 &&
         !builder_contains(b, RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256);
}

/* Appends an attribute header for a `len`-byte value and its zero padding,
 * updates the message length field, and returns where the value goes; NULL
 * (with b->error set) when it cannot be added. */
static uint8_t* builder_append(rtc_stun_builder* b, uint16_t type, size_t len) {
  if (b->error != RTC_OK)
    return NULL;
  if (!may_add(b, type)) {
    builder_fail(b, RTC_ERR_INVALID_STATE);
    return NULL;
  }
  /* RFC 8489 §5, §14: the attribute and message lengths are 16 bits. */
  size_t body = b->length - RTC_STUN_HEADER_SIZE;
  if (len > MAX_ATTRIBUTE_LENGTH ||
      ATTR_HEADER_SIZE + padded(len) > MAX_MESSAGE_LENGTH - body) {
    builder_fail(b, RTC_ERR_INVALID_ARGUMENT);
    return NULL;
  }
  if (ATTR_HEADER_SIZE + padded(len) > b->capacity - b->length) {
    builder_fail(b, RTC_ERR_BUFFER_TOO_SMALL);
    return NULL;
  }
  uint8_t* attr = b->buf + b->length;
  put_u16(attr, type);
  put_u16(attr + 2, (uint16_t)len);
  memset(attr + ATTR_HEADER_SIZE + len, 0, padded(len) - len);
  b->length += ATTR_HEADER_SIZE + padded(len);
  put_u16(b->buf + 2, (uint16_t)(b->length - RTC_STUN_HEADER_SIZE));
  return attr + ATTR_HEADER_SIZE;
}

static void add_value(rtc_stun_builder* b,
                      uint16_t type,
                      const void* value,
                      size_t len) {
  if (value == NULL && len > 0) {
    builder_fail(b, RTC_ERR_INVALID_ARGUMENT);
    return;
  }
  uint8_t* dst = builder_append(b, type, len);
  if (dst != NULL && len > 0)
    memcpy(dst, value, len);
}

void rtc_stun_add_attribute(rtc_stun_builder* b,
                            uint16_t type,
                            const void* value,
                            size_t len) {
  /* The integrity and fingerprint attributes are computed, never copied:
   * use their own functions. */
  if (type == RTC_STUN_ATTR_MESSAGE_INTEGRITY ||
      type == RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 ||
      type == RTC_STUN_ATTR_FINGERPRINT) {
    builder_fail(b, RTC_ERR_INVALID_ARGUMENT);
    return;
  }
  add_value(b, type, value, len);
}

void rtc_stun_add_username(rtc_stun_builder* b, const char* name, size_t len) {
  if (len > RTC_STUN_MAX_USERNAME) {
    builder_fail(b, RTC_ERR_INVALID_ARGUMENT);
    return;
  }
  add_value(b, RTC_STUN_ATTR_USERNAME, name, len);
}

static void add_address(rtc_stun_builder* b,
                        uint16_t type,
                        const rtc_socket_address* addr,
                        const uint8_t mask[16]) {
  uint8_t value[ADDRESS_FIXED_SIZE + 16];
  size_t len = addr != NULL ? encode_address(addr, mask, value) : 0;
  if (len == 0) {
    builder_fail(b, RTC_ERR_INVALID_ARGUMENT);
    return;
  }
  add_value(b, type, value, len);
}

void rtc_stun_add_xor_address(rtc_stun_builder* b,
                              uint16_t type,
                              const rtc_socket_address* addr) {
  if (b->error != RTC_OK)
    return; /* the transaction id may not be in the buffer */
  uint8_t mask[16];
  xor_mask(b->buf + 8, mask);
  add_address(b, type, addr, mask);
}

void rtc_stun_add_u32(rtc_stun_builder* b, uint16_t type, uint32_t value) {
  uint8_t bytes[4];
  put_u32(bytes, value);
  add_value(b, type, bytes, sizeof(bytes));
}

void rtc_stun_add_channel_number(rtc_stun_builder* b, uint16_t channel) {
  uint8_t bytes[4] = {0};
  put_u16(bytes, channel);
  add_value(b, RTC_STUN_ATTR_CHANNEL_NUMBER, bytes, sizeof(bytes));
}

void rtc_stun_add_requested_transport(rtc_stun_builder* b, uint8_t protocol) {
  /* RFC 8656 §18.7: "Protocol | RFFU" (8 + 24 bits). */
  uint8_t bytes[4] = {protocol, 0, 0, 0};
  add_value(b, RTC_STUN_ATTR_REQUESTED_TRANSPORT, bytes, sizeof(bytes));
}

void rtc_stun_add_xor_mapped_address(rtc_stun_builder* b,
                                     const rtc_socket_address* addr) {
  if (b->error != RTC_OK)
    return; /* the transaction id may not be in the buffer */
  uint8_t mask[16];
  xor_mask(b->buf + 8, mask);
  add_address(b, RTC_STUN_ATTR_XOR_MAPPED_ADDRESS, addr, mask);
}

void rtc_stun_add_mapped_address(rtc_stun_builder* b,
                                 const rtc_socket_address* addr) {
  static const uint8_t kNoMask[16] = {0};
  add_address(b, RTC_STUN_ATTR_MAPPED_ADDRESS, addr, kNoMask);
}

/* RFC 8489 §14.8 and RFC 8445 §7.3.1.1 name these. */
static const char* standard_reason(int code) {
  switch (code) {
    case RTC_STUN_ERROR_TRY_ALTERNATE:
      return "Try Alternate";
    case RTC_STUN_ERROR_BAD_REQUEST:
      return "Bad Request";
    case RTC_STUN_ERROR_UNAUTHORIZED:
      return "Unauthorized";
    case RTC_STUN_ERROR_FORBIDDEN:
      return "Forbidden";
    case RTC_STUN_ERROR_UNKNOWN_ATTRIBUTE:
      return "Unknown Attribute";
    case RTC_STUN_ERROR_STALE_NONCE:
      return "Stale Nonce";
    case RTC_STUN_ERROR_ROLE_CONFLICT:
      return "Role Conflict";
    case RTC_STUN_ERROR_SERVER_ERROR:
      return "Server Error";
    /* RFC 8656 §19. */
    case RTC_STUN_ERROR_ALLOCATION_MISMATCH:
      return "Allocation Mismatch";
    case RTC_STUN_ERROR_ADDRESS_FAMILY_NOT_SUPPORTED:
      return "Address Family not Supported";
    case RTC_STUN_ERROR_WRONG_CREDENTIALS:
      return "Wrong Credentials";
    case RTC_STUN_ERROR_UNSUPPORTED_TRANSPORT:
      return "Unsupported Transport Protocol";
    case RTC_STUN_ERROR_PEER_ADDRESS_FAMILY_MISMATCH:
      return "Peer Address Family Mismatch";
    case RTC_STUN_ERROR_ALLOCATION_QUOTA_REACHED:
      return "Allocation Quota Reached";
    case RTC_STUN_ERROR_INSUFFICIENT_CAPACITY:
      return "Insufficient Capacity";
    default:
      return "";
  }
}

void rtc_stun_add_error_code(rtc_stun_builder* b,
                             int code,
                             const char* reason) {
  /* RFC 8489 §14.8: class 3 to 6, number 0 to 99. */
  if (code < 300 || code > 699) {
    builder_fail(b, RTC_ERR_INVALID_ARGUMENT);
    return;
  }
  if (reason == NULL)
    reason = standard_reason(code);
  size_t reason_len = strlen(reason);
  if (reason_len > RTC_STUN_MAX_REASON) {
    builder_fail(b, RTC_ERR_INVALID_ARGUMENT);
    return;
  }
  uint8_t* value = builder_append(b, RTC_STUN_ATTR_ERROR_CODE,
                                  ERROR_CODE_FIXED_SIZE + reason_len);
  if (value == NULL)
    return;
  value[0] = 0;
  value[1] = 0;
  value[2] = (uint8_t)(code / 100);
  value[3] = (uint8_t)(code % 100);
  memcpy(value + ERROR_CODE_FIXED_SIZE, reason, reason_len);
}

void rtc_stun_add_unknown_attributes(rtc_stun_builder* b,
                                     const uint16_t* types,
                                     size_t count) {
  if ((types == NULL && count > 0) || count > MAX_ATTRIBUTE_LENGTH / 2) {
    builder_fail(b, RTC_ERR_INVALID_ARGUMENT);
    return;
  }
  /* RFC 8489 §14.9: a list of 16-bit attribute types. */
  uint8_t* value =
      builder_append(b, RTC_STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * count);
  if (value == NULL)
    return;
  for (size_t i = 0; i < count; i++)
    put_u16(value + 2 * i, types[i]);
}

void rtc_stun_add_priority(rtc_stun_builder* b, uint32_t priority) {
  uint8_t* value = builder_append(b, RTC_STUN_ATTR_PRIORITY, 4);
  if (value != NULL)
    put_u32(value, priority);
}

void rtc_stun_add_use_candidate(rtc_stun_builder* b) {
  builder_append(b, RTC_STUN_ATTR_USE_CANDIDATE, 0);
}

void rtc_stun_add_ice_controlling(rtc_stun_builder* b, uint64_t tie_breaker) {
  uint8_t* value = builder_append(b, RTC_STUN_ATTR_ICE_CONTROLLING, 8);
  if (value != NULL)
    put_u64(value, tie_breaker);
}

void rtc_stun_add_ice_controlled(rtc_stun_builder* b, uint64_t tie_breaker) {
  uint8_t* value = builder_append(b, RTC_STUN_ATTR_ICE_CONTROLLED, 8);
  if (value != NULL)
    put_u64(value, tie_breaker);
}

void rtc_stun_add_software(rtc_stun_builder* b, const char* text) {
  size_t len = text != NULL ? strlen(text) : 0;
  if (text == NULL || len > RTC_STUN_MAX_SOFTWARE) {
    builder_fail(b, RTC_ERR_INVALID_ARGUMENT);
    return;
  }
  add_value(b, RTC_STUN_ATTR_SOFTWARE, text, len);
}

/* RFC 8489 §14.5/§14.6: the HMAC covers the message so far, with the
 * length field already counting the integrity attribute (builder_append
 * has set it). */
static void add_integrity(rtc_stun_builder* b,
                          uint16_t type,
                          const EVP_MD* md,
                          size_t mac_len,
                          const uint8_t* key,
                          size_t key_len) {
  if (key == NULL && key_len > 0) {
    builder_fail(b, RTC_ERR_INVALID_ARGUMENT);
    return;
  }
  size_t prefix_len = b->length;
  uint8_t* value = builder_append(b, type, mac_len);
  if (value == NULL)
    return;
  uint8_t mac[EVP_MAX_MD_SIZE];
  if (!stun_hmac(md, key, key_len, b->buf, prefix_len,
                 (uint16_t)(b->length - RTC_STUN_HEADER_SIZE), mac)) {
    builder_fail(b, RTC_ERR_NO_MEMORY);
    return;
  }
  memcpy(value, mac, mac_len);
  b->has_integrity = true;
}

void rtc_stun_add_message_integrity(rtc_stun_builder* b,
                                    const uint8_t* key,
                                    size_t key_len) {
  add_integrity(b, RTC_STUN_ATTR_MESSAGE_INTEGRITY, EVP_sha1(), MI_SHA1_SIZE,
                key, key_len);
}

void rtc_stun_add_message_integrity_sha256(rtc_stun_builder* b,
                                           const uint8_t* key,
                                           size_t key_len) {
  add_integrity(b, RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, EVP_sha256(),
                MI_SHA256_SIZE, key, key_len);
}

void rtc_stun_add_fingerprint(rtc_stun_builder* b) {
  size_t prefix_len = b->length;
  uint8_t* value =
      builder_append(b, RTC_STUN_ATTR_FINGERPRINT, FINGERPRINT_SIZE);
  if (value == NULL)
    return;
  put_u32(value, fingerprint_of(b->buf, prefix_len));
  b->has_fingerprint = true;
}

rtc_error rtc_stun_builder_finish(rtc_stun_builder* b, size_t* len) {
  if (b->error != RTC_OK) {
    *len = 0;
    return b->error;
  }
  *len = b->length;
  return RTC_OK;
}

void rtc_stun_new_transaction_id(uint8_t out[RTC_STUN_TRANSACTION_ID_SIZE]) {
  /* RFC 8489 §5: "The transaction ID MUST be uniformly and randomly chosen
   * from the interval 0 .. 2**96-1 and MUST be cryptographically random." */
  rtc_random_bytes(out, RTC_STUN_TRANSACTION_ID_SIZE);
}

/* --- RFC 7983 demultiplexing --- */

rtc_packet_kind rtc_demux_classify(const uint8_t* data, size_t size) {
  if (data == NULL || size == 0)
    return RTC_PACKET_UNKNOWN;
  uint8_t b = data[0];
  /* RFC 7983 §7:
   *   [0..3] -+--> forward to STUN
   *   [16..19] -> ZRTP (not used by WebRTC: dropped)
   *   [20..63] -> forward to DTLS
   *   [64..79] -> forward to TURN Channel
   *   [128..191] -> forward to RTP/RTCP */
  if (b <= 3)
    return RTC_PACKET_STUN;
  if (b >= 20 && b <= 63)
    return RTC_PACKET_DTLS;
  if (b >= 64 && b <= 79)
    return RTC_PACKET_TURN_CHANNEL;
  if (b >= 128 && b <= 191)
    return RTC_PACKET_RTP;
  return RTC_PACKET_UNKNOWN;
}

const char* rtc_packet_kind_name(rtc_packet_kind kind) {
  switch (kind) {
    case RTC_PACKET_STUN:
      return "stun";
    case RTC_PACKET_DTLS:
      return "dtls";
    case RTC_PACKET_TURN_CHANNEL:
      return "turn-channel";
    case RTC_PACKET_RTP:
      return "rtp";
    case RTC_PACKET_UNKNOWN:
      break;
  }
  return "unknown";
}
