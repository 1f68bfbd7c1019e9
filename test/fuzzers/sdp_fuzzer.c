/*
 * Fuzzes rtc_sdp_parse(): hostile text never crashes and a rejection says
 * which line; what parses serializes, parses again to an equal model and
 * serializes to the same bytes (stability); a clone is equal; nothing
 * leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pc/sdp.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int64_t live = rtc_alloc_live_count();
  rtc_error_info info;
  rtc_error_info_init(&info);
  rtc_sdp_session* session = NULL;
  rtc_error err = rtc_sdp_parse((const char*)data, size, &session, &info);
  if (err != RTC_OK) {
    RTC_CHECK(err == RTC_ERR_SDP_SYNTAX);
    RTC_CHECK(session == NULL);
    RTC_CHECK(info.code == RTC_ERR_SDP_SYNTAX);
    RTC_CHECK(info.message[0] != '\0');
    RTC_CHECK(info.sdp_line_number >= 1);
    RTC_CHECK(rtc_alloc_live_count() == live);
    return 0;
  }

  char* text = NULL;
  size_t len = 0;
  rtc_error_info_init(&info);
  err = rtc_sdp_serialize(session, &text, &len, &info);
  RTC_CHECK_MSG(err == RTC_OK, "parsed description does not serialize: %s",
                info.message);
  RTC_CHECK(strlen(text) == len);

  rtc_sdp_session* again = NULL;
  rtc_error_info_init(&info);
  err = rtc_sdp_parse(text, len, &again, &info);
  RTC_CHECK_MSG(err == RTC_OK,
                "serialized description does not parse: "
                "line %d: %s",
                (int)info.sdp_line_number, info.message);
  RTC_CHECK_MSG(rtc_sdp_session_equal(session, again),
                "parse(serialize(x)) differs from x");

  char* text2 = NULL;
  size_t len2 = 0;
  RTC_CHECK(rtc_sdp_serialize(again, &text2, &len2, NULL) == RTC_OK);
  RTC_CHECK_MSG(len2 == len && memcmp(text, text2, len) == 0,
                "serialization is not stable");

  rtc_sdp_session* copy = NULL;
  RTC_CHECK(rtc_sdp_session_clone(session, &copy) == RTC_OK);
  RTC_CHECK(rtc_sdp_session_equal(session, copy));

  rtc_sdp_session_destroy(copy);
  rtc_free(text2);
  rtc_sdp_session_destroy(again);
  rtc_free(text);
  rtc_sdp_session_destroy(session);
  RTC_CHECK(rtc_alloc_live_count() == live);
  return 0;
}
