#include "rtc_base/error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

struct Entry {
  int value;
  const char* id;
  rtc_js_error_kind kind;
  const char* js_name;
  const char* detail;
};

const Entry kAll[] = {
#define ENTRY(id, value, kind, js_name, detail, desc) \
  {value, #id, kind, js_name, detail},
    RTC_ERROR_LIST(ENTRY)
#undef ENTRY
};

TEST(Error, ValuesAndNamesAreUnique) {
  std::set<int> values;
  std::set<std::string> names;
  for (const Entry& e : kAll) {
    EXPECT_TRUE(values.insert(e.value).second) << e.id;
    EXPECT_TRUE(names.insert(e.id).second) << e.id;
    if (e.value == 0)
      EXPECT_STREQ(e.id, "RTC_OK");
    else
      EXPECT_LT(e.value, 0) << e.id;
  }
}

TEST(Error, LookupsMatchTheTable) {
  for (const Entry& e : kAll) {
    auto err = static_cast<rtc_error>(e.value);
    EXPECT_STREQ(rtc_error_name(err), e.id);
    EXPECT_EQ(rtc_error_js_kind(err), e.kind);
    if (e.js_name)
      EXPECT_STREQ(rtc_error_js_name(err), e.js_name);
    else
      EXPECT_EQ(rtc_error_js_name(err), nullptr);
    EXPECT_TRUE(rtc_error_is_known(e.value));
    EXPECT_STRNE(rtc_error_description(err), "");
  }
}

TEST(Error, JsNamesAreOnesTheBindingsCanThrow) {
  // DOMException names from WebIDL's error names table, plus the JS
  // constructors the bindings use.
  const std::set<std::string> dom_exception_names = {
      "OperationError",     "InvalidStateError",
      "InvalidAccessError", "InvalidModificationError",
      "NotSupportedError",  "SyntaxError",
      "NotFoundError",      "NotAllowedError",
      "NotReadableError",   "AbortError",
      "TimeoutError",       "NetworkError",
      "SecurityError",      "TypeMismatchError",
      "DataError",          "InvalidCharacterError"};
  const std::set<std::string> detail_types = {
      "data-channel-failure",  "dtls-failure",
      "fingerprint-failure",   "sctp-failure",
      "sdp-syntax-error",      "hardware-encoder-not-available",
      "hardware-encoder-error"};
  for (const Entry& e : kAll) {
    switch (e.kind) {
      case RTC_JS_NONE:
        EXPECT_EQ(e.value, 0);
        break;
      case RTC_JS_DOMEXCEPTION:
        EXPECT_TRUE(dom_exception_names.count(e.js_name)) << e.id;
        EXPECT_EQ(e.detail, nullptr) << e.id;
        break;
      case RTC_JS_TYPE_ERROR:
        EXPECT_STREQ(e.js_name, "TypeError");
        break;
      case RTC_JS_RANGE_ERROR:
        EXPECT_STREQ(e.js_name, "RangeError");
        break;
      case RTC_JS_RTC_ERROR:
        // RTCError is a DOMException named "OperationError".
        EXPECT_STREQ(e.js_name, "OperationError");
        ASSERT_NE(e.detail, nullptr) << e.id;
        EXPECT_TRUE(detail_types.count(e.detail)) << e.id;
        EXPECT_STREQ(rtc_error_detail_type(static_cast<rtc_error>(e.value)),
                     e.detail);
        break;
      case RTC_JS_OVERCONSTRAINED:
        EXPECT_STREQ(e.js_name, "OverconstrainedError");
        break;
    }
  }
}

TEST(Error, UnknownValuesGetSafeDefaults) {
  auto err = static_cast<rtc_error>(-9999);
  EXPECT_FALSE(rtc_error_is_known(-9999));
  EXPECT_STREQ(rtc_error_name(err), "RTC_ERR_UNKNOWN");
  EXPECT_STREQ(rtc_error_js_name(err), "OperationError");
  EXPECT_EQ(rtc_error_js_kind(err), RTC_JS_DOMEXCEPTION);
  EXPECT_EQ(rtc_error_detail_type(err), nullptr);
}

TEST(Error, InfoStartsWithAbsentFields) {
  rtc_error_info info;
  rtc_error_info_init(&info);
  EXPECT_EQ(info.code, RTC_OK);
  EXPECT_STREQ(info.message, "");
  EXPECT_EQ(info.sdp_line_number, 0);
  EXPECT_EQ(info.sctp_cause_code, -1);
  EXPECT_EQ(info.received_alert, -1);
  EXPECT_EQ(info.sent_alert, -1);
  EXPECT_EQ(info.http_request_status_code, 0);
}

TEST(Error, SetRecordsCodeAndMessage) {
  rtc_error_info info;
  rtc_error_info_init(&info);
  EXPECT_EQ(rtc_error_set(&info, RTC_ERR_SDP_SYNTAX, "bad line %d", 7),
            RTC_ERR_SDP_SYNTAX);
  EXPECT_EQ(info.code, RTC_ERR_SDP_SYNTAX);
  EXPECT_STREQ(info.message, "bad line 7");
  EXPECT_EQ(rtc_error_set(&info, RTC_ERR_INVALID_STATE, nullptr),
            RTC_ERR_INVALID_STATE);
  EXPECT_STREQ(info.message, "invalid state");
}

TEST(Error, SetWithoutInfoOnlyReturnsTheCode) {
  EXPECT_EQ(rtc_error_set(nullptr, RTC_ERR_NO_MEMORY, "x"), RTC_ERR_NO_MEMORY);
}

TEST(Error, LongMessagesAreTruncatedSafely) {
  rtc_error_info info;
  rtc_error_info_init(&info);
  std::string longer(1000, 'a');
  rtc_error_set(&info, RTC_ERR_OPERATION, "%s", longer.c_str());
  EXPECT_EQ(std::string(info.message).size(), sizeof(info.message) - 1);
}

}  // namespace
