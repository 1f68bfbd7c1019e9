/*
 * Fuzzes the DCEP codec (pc/dcep.h) with arbitrary SCTP payloads:
 *   - parse; a parsed OPEN's strings must lie inside the input;
 *   - rebuild a parsed OPEN (into an exact-size heap buffer, so that ASan
 *     sees any write past it), re-parse it: it must parse to the same
 *     fields, and be exactly the input minus any trailing bytes;
 *   - a buffer one byte short must be refused.
 * Any violated expectation aborts (RTC_CHECK), which libFuzzer reports.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc/dcep.h"
#include "rtc_base/checks.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static bool same_open(const rtc_dcep_open* a, const rtc_dcep_open* b) {
  return a->channel_type == b->channel_type && a->priority == b->priority &&
         a->reliability == b->reliability && a->label_len == b->label_len &&
         a->protocol_len == b->protocol_len &&
         memcmp(a->label, b->label, a->label_len) == 0 &&
         memcmp(a->protocol, b->protocol, a->protocol_len) == 0;
}

static void check_open(const uint8_t* data,
                       size_t size,
                       const rtc_dcep_open* open) {
  const char* begin = (const char*)data;
  const char* end = begin + size;
  RTC_CHECK(open->label >= begin && open->label + open->label_len <= end);
  RTC_CHECK(open->protocol >= begin &&
            open->protocol + open->protocol_len <= end);
  RTC_CHECK(open->label_len <= RTC_DCEP_MAX_STRING &&
            open->protocol_len <= RTC_DCEP_MAX_STRING);

  size_t needed = 0;
  RTC_CHECK(rtc_dcep_build_open(open, NULL, 0, &needed) ==
            RTC_ERR_BUFFER_TOO_SMALL);
  RTC_CHECK(needed == 12 + open->label_len + open->protocol_len);
  RTC_CHECK(needed <= size);
  uint8_t* buf = malloc(needed);
  if (!buf)
    return;
  size_t len = 0;
  RTC_CHECK(rtc_dcep_build_open(open, buf, needed - 1, &len) ==
            RTC_ERR_BUFFER_TOO_SMALL);
  RTC_CHECK(rtc_dcep_build_open(open, buf, needed, &len) == RTC_OK);
  RTC_CHECK(len == needed);
  /* The input's bytes, trailing bytes aside, are the canonical form. */
  RTC_CHECK(memcmp(buf, data, len) == 0);

  uint8_t type = 0;
  rtc_dcep_open again;
  RTC_CHECK(rtc_dcep_parse(buf, len, &type, &again) == RTC_OK);
  RTC_CHECK(type == RTC_DCEP_OPEN);
  RTC_CHECK(same_open(open, &again));
  free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t type = 0;
  rtc_dcep_open open;
  memset(&open, 0, sizeof(open));
  rtc_error err = rtc_dcep_parse(data, size, &type, &open);
  if (err != RTC_OK) {
    RTC_CHECK(err == RTC_ERR_MALFORMED);
    return 0;
  }
  RTC_CHECK(size >= 1 && type == data[0]);
  if (type == RTC_DCEP_ACK) {
    RTC_CHECK(data[0] == rtc_dcep_ack_byte());
    return 0;
  }
  RTC_CHECK(type == RTC_DCEP_OPEN);
  check_open(data, size, &open);
  return 0;
}
