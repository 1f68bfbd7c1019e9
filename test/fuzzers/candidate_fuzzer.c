/*
 * Fuzzes rtc_candidate_parse(): hostile text never crashes; a rejected
 * candidate leaves `out` reset; what parses formats to text that parses to
 * the same candidate, field by field, and formats the same way again; a
 * short buffer gets a NUL-terminated prefix of that text.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "p2p/candidate.h"
#include "rtc_base/checks.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static void check_same(const rtc_candidate* a, const rtc_candidate* b) {
  RTC_CHECK(strcmp(a->foundation, b->foundation) == 0);
  RTC_CHECK(a->component == b->component);
  RTC_CHECK(a->protocol == b->protocol);
  RTC_CHECK(a->priority == b->priority);
  RTC_CHECK(rtc_socket_address_equal(&a->address, &b->address));
  RTC_CHECK(strcmp(a->hostname, b->hostname) == 0);
  RTC_CHECK(a->type == b->type);
  RTC_CHECK(a->has_related == b->has_related);
  RTC_CHECK(rtc_socket_address_equal(&a->related_address, &b->related_address));
  RTC_CHECK(strcmp(a->related_hostname, b->related_hostname) == 0);
  RTC_CHECK(a->tcp_type == b->tcp_type);
  RTC_CHECK(a->generation == b->generation);
  RTC_CHECK(strcmp(a->ufrag, b->ufrag) == 0);
  RTC_CHECK(a->network_id == b->network_id);
  RTC_CHECK(a->network_cost == b->network_cost);
  RTC_CHECK(strcmp(a->extensions, b->extensions) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rtc_candidate c;
  rtc_error_info info;
  rtc_error_info_init(&info);
  rtc_error err = rtc_candidate_parse((const char*)data, size, &c, &info);
  if (err != RTC_OK) {
    RTC_CHECK(err == RTC_ERR_SYNTAX);
    RTC_CHECK(info.code == RTC_ERR_SYNTAX);
    RTC_CHECK(info.message[0] != '\0');
    rtc_candidate initial;
    rtc_candidate_init(&initial);
    check_same(&c, &initial);
    return 0;
  }
  RTC_CHECK(c.component >= 1 && c.component <= 256);
  RTC_CHECK(c.hostname[0] == '\0' || c.address.family == RTC_AF_UNSPEC);
  RTC_CHECK(rtc_candidate_is_mdns(&c) == false || c.hostname[0] != '\0');

  char text[RTC_CANDIDATE_MAX_LENGTH + 16];
  size_t len = rtc_candidate_format(&c, text, sizeof(text));
  RTC_CHECK(len < sizeof(text));
  RTC_CHECK(strlen(text) == len);

  rtc_candidate again;
  rtc_error_info_init(&info);
  RTC_CHECK_MSG(rtc_candidate_parse(text, len, &again, &info) == RTC_OK,
                "formatted '%s' does not parse: %s", text, info.message);
  check_same(&c, &again);

  char text2[RTC_CANDIDATE_MAX_LENGTH + 16];
  size_t len2 = rtc_candidate_format(&again, text2, sizeof(text2));
  RTC_CHECK(len2 == len && memcmp(text, text2, len) == 0);

  /* Truncation: a prefix, NUL-terminated, same returned length. */
  char small[17];
  size_t cut = size % sizeof(small);
  memset(small, '#', sizeof(small));
  RTC_CHECK(rtc_candidate_format(&c, small, cut) == len);
  if (cut > 0) {
    size_t kept = len < cut - 1 ? len : cut - 1;
    RTC_CHECK(memcmp(small, text, kept) == 0 && small[kept] == '\0');
  }
  for (size_t i = cut; i < sizeof(small); i++)
    RTC_CHECK(small[i] == '#');
  return 0;
}
