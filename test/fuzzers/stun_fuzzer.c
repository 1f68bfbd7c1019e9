/*
 * Fuzzes the STUN codec (p2p/stun.h) with arbitrary datagrams:
 *   - parse; on success call every getter and check both integrity kinds
 *     with a fixed key, checking that every result is one the header
 *     allows;
 *   - rebuild the message from its parsed attributes with the builder
 *     (integrity recomputed with the fixed key, FINGERPRINT recomputed),
 *     re-parse it (must succeed unless the recomputed integrity made it too
 *     long for the 16-bit length field), and check that the re-parsed
 *     message has the same attributes, answers every getter the same way,
 *     and verifies with the key.
 * Each input is also tried with its header repaired (see fuzz_repaired).
 * Any violated expectation aborts (RTC_CHECK), which libFuzzer reports.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2p/stun.h"
#include "rtc_base/checks.h"
#include "rtc_base/socket_address.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static const uint8_t kKey[] = {'f', 'u', 'z', 'z', '-', 'k', 'e', 'y'};

/* Room for the largest message: header + 0xFFFC + what a rebuild adds. */
static uint8_t g_rebuilt[RTC_STUN_HEADER_SIZE + 0x10000 + 64];

static bool is_getter_result(rtc_error err) {
  return err == RTC_OK || err == RTC_ERR_NOT_FOUND || err == RTC_ERR_MALFORMED;
}

/* Everything the getters say about a message, comparable with memcmp. */
typedef struct getters {
  rtc_error username_err, xor_err, mapped_err, error_code_err, unknown_err,
      priority_err, controlling_err, controlled_err, software_err;
  size_t username_len, reason_len, unknown_count, software_len;
  rtc_socket_address xor_addr, mapped_addr;
  int code;
  uint16_t unknown[8];
  uint32_t priority;
  uint64_t controlling, controlled;
  bool use_candidate;
} getters;

static void read_getters(const rtc_stun_message* msg, getters* g) {
  memset(g, 0, sizeof(*g));
  const char* text = NULL;
  g->username_err = rtc_stun_get_username(msg, &text, &g->username_len);
  RTC_CHECK(g->username_err != RTC_OK ||
            g->username_len <= RTC_STUN_MAX_USERNAME);
  g->xor_err = rtc_stun_get_xor_mapped_address(msg, &g->xor_addr);
  g->mapped_err = rtc_stun_get_mapped_address(msg, &g->mapped_addr);
  RTC_CHECK(g->xor_err != RTC_OK || g->xor_addr.family != RTC_AF_UNSPEC);
  g->error_code_err =
      rtc_stun_get_error_code(msg, &g->code, &text, &g->reason_len);
  RTC_CHECK(g->error_code_err != RTC_OK ||
            (g->code >= 300 && g->code <= 699 &&
             g->reason_len <= RTC_STUN_MAX_REASON));
  g->unknown_err =
      rtc_stun_get_unknown_attributes(msg, g->unknown, 8, &g->unknown_count);
  RTC_CHECK(g->unknown_count <= 8);
  g->priority_err = rtc_stun_get_priority(msg, &g->priority);
  g->use_candidate = rtc_stun_has_use_candidate(msg);
  g->controlling_err = rtc_stun_get_ice_controlling(msg, &g->controlling);
  g->controlled_err = rtc_stun_get_ice_controlled(msg, &g->controlled);
  g->software_err = rtc_stun_get_software(msg, &text, &g->software_len);
  RTC_CHECK(
      is_getter_result(g->username_err) && is_getter_result(g->xor_err) &&
      is_getter_result(g->mapped_err) && is_getter_result(g->error_code_err) &&
      is_getter_result(g->unknown_err) && is_getter_result(g->priority_err) &&
      is_getter_result(g->controlling_err) &&
      is_getter_result(g->controlled_err) && is_getter_result(g->software_err));
}

static void check_integrity_results(const rtc_stun_message* msg) {
  rtc_error sha1 = rtc_stun_check_integrity(msg, kKey, sizeof(kKey));
  rtc_error sha256 = rtc_stun_check_integrity_sha256(msg, kKey, sizeof(kKey));
  RTC_CHECK(sha1 == RTC_OK || sha1 == RTC_ERR_NOT_FOUND ||
            sha1 == RTC_ERR_SECURITY);
  RTC_CHECK(sha256 == RTC_OK || sha256 == RTC_ERR_NOT_FOUND ||
            sha256 == RTC_ERR_SECURITY);
}

/* The size the rebuild of `msg` takes: every attribute as is, except the
 * integrity attributes at their full length. */
static size_t rebuilt_size(const rtc_stun_message* msg) {
  size_t size = RTC_STUN_HEADER_SIZE;
  for (size_t i = 0; i < msg->attribute_count; i++) {
    const rtc_stun_attribute* a = &msg->attributes[i];
    size_t len = a->length;
    if (a->type == RTC_STUN_ATTR_MESSAGE_INTEGRITY)
      len = 20;
    else if (a->type == RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
      len = 32;
    size += 4 + ((len + 3) & ~(size_t)3);
  }
  return size;
}

static rtc_error rebuild(const rtc_stun_message* msg, size_t* len) {
  rtc_stun_builder b;
  rtc_stun_builder_init(&b, g_rebuilt, sizeof(g_rebuilt), msg->type,
                        msg->transaction_id);
  for (size_t i = 0; i < msg->attribute_count; i++) {
    const rtc_stun_attribute* a = &msg->attributes[i];
    switch (a->type) {
      case RTC_STUN_ATTR_MESSAGE_INTEGRITY:
        rtc_stun_add_message_integrity(&b, kKey, sizeof(kKey));
        break;
      case RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
        rtc_stun_add_message_integrity_sha256(&b, kKey, sizeof(kKey));
        break;
      case RTC_STUN_ATTR_FINGERPRINT:
        rtc_stun_add_fingerprint(&b);
        break;
      default:
        rtc_stun_add_attribute(&b, a->type, rtc_stun_value(msg, a), a->length);
        break;
    }
  }
  return rtc_stun_builder_finish(&b, len);
}

/* The rebuilt message says what the original says. */
static void check_same(const rtc_stun_message* a, const rtc_stun_message* b) {
  RTC_CHECK(a->type == b->type);
  RTC_CHECK(memcmp(a->transaction_id, b->transaction_id,
                   RTC_STUN_TRANSACTION_ID_SIZE) == 0);
  RTC_CHECK(a->attribute_count == b->attribute_count);
  RTC_CHECK(a->has_fingerprint == b->has_fingerprint);
  RTC_CHECK(a->unknown_required_count == b->unknown_required_count);
  RTC_CHECK(memcmp(a->unknown_required, b->unknown_required,
                   a->unknown_required_count * sizeof(uint16_t)) == 0);
  for (size_t i = 0; i < a->attribute_count; i++) {
    const rtc_stun_attribute* x = &a->attributes[i];
    const rtc_stun_attribute* y = &b->attributes[i];
    RTC_CHECK(x->type == y->type);
    if (x->type == RTC_STUN_ATTR_MESSAGE_INTEGRITY ||
        x->type == RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 ||
        x->type == RTC_STUN_ATTR_FINGERPRINT)
      continue; /* recomputed (padding bytes may differ, lengths too) */
    RTC_CHECK(x->length == y->length);
    RTC_CHECK(memcmp(rtc_stun_value(a, x), rtc_stun_value(b, y), x->length) ==
              0);
  }
  getters ga, gb;
  read_getters(a, &ga);
  read_getters(b, &gb);
  RTC_CHECK(memcmp(&ga, &gb, sizeof(ga)) == 0);
}

static void check_rebuild(const rtc_stun_message* msg) {
  size_t len = 0;
  rtc_error err = rebuild(msg, &len);
  /* A MESSAGE-INTEGRITY(-SHA256) shorter than its full length grows when
   * recomputed, which can push the message past the 16-bit length. */
  if (rebuilt_size(msg) - RTC_STUN_HEADER_SIZE > 0xFFFC) {
    RTC_CHECK(err == RTC_ERR_INVALID_ARGUMENT);
    return;
  }
  RTC_CHECK(err == RTC_OK);
  RTC_CHECK(len == rebuilt_size(msg));
  rtc_stun_message again;
  RTC_CHECK(rtc_stun_parse(g_rebuilt, len, &again) == RTC_OK);
  check_same(msg, &again);
  bool has_sha1 = rtc_stun_find(msg, RTC_STUN_ATTR_MESSAGE_INTEGRITY) != NULL;
  bool has_sha256 =
      rtc_stun_find(msg, RTC_STUN_ATTR_MESSAGE_INTEGRITY_SHA256) != NULL;
  RTC_CHECK((rtc_stun_check_integrity(&again, kKey, sizeof(kKey)) == RTC_OK) ==
            has_sha1);
  RTC_CHECK((rtc_stun_check_integrity_sha256(&again, kKey, sizeof(kKey)) ==
             RTC_OK) == has_sha256);
}

static void fuzz_message(const uint8_t* data, size_t size) {
  rtc_packet_kind kind = rtc_demux_classify(data, size);
  RTC_CHECK(rtc_packet_kind_name(kind) != NULL);
  bool looks = rtc_stun_looks_like_stun(data, size);
  rtc_stun_message msg;
  if (rtc_stun_parse(data, size, &msg) != RTC_OK)
    return;
  RTC_CHECK(looks);
  RTC_CHECK(msg.attribute_count <= RTC_STUN_MAX_ATTRIBUTES);
  RTC_CHECK(msg.unknown_required_count <= RTC_STUN_MAX_UNKNOWN);
  for (size_t i = 0; i < msg.attribute_count; i++) {
    const rtc_stun_attribute* a = &msg.attributes[i];
    RTC_CHECK((size_t)a->offset + a->length <= size);
    RTC_CHECK(rtc_stun_find(&msg, a->type) != NULL);
  }
  getters g;
  read_getters(&msg, &g);
  check_integrity_results(&msg);
  check_rebuild(&msg);
}

/* Most mutations break the header (length field, cookie) and stop at its
 * first check. A repaired copy (top bits cleared, cookie set, size rounded
 * down to a multiple of 4 and written into the length field) takes the
 * same bytes on to the attribute parsers. It is an exact-size heap copy so
 * that ASan still sees reads past its end. */
static void fuzz_repaired(const uint8_t* data, size_t size) {
  size_t n = size & ~(size_t)3;
  if (n < RTC_STUN_HEADER_SIZE || n - RTC_STUN_HEADER_SIZE > 0xFFFC)
    return;
  uint8_t* copy = malloc(n);
  if (copy == NULL)
    return;
  memcpy(copy, data, n);
  copy[0] &= 0x3F;
  copy[2] = (uint8_t)((n - RTC_STUN_HEADER_SIZE) >> 8);
  copy[3] = (uint8_t)(n - RTC_STUN_HEADER_SIZE);
  copy[4] = 0x21;
  copy[5] = 0x12;
  copy[6] = 0xA4;
  copy[7] = 0x42;
  fuzz_message(copy, n);
  free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_message(data, size);
  fuzz_repaired(data, size);
  return 0;
}
