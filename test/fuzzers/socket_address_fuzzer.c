/*
 * Fuzzes rtc_socket_address_parse(): hostile text never crashes, and what
 * parses formats to text that parses to the same address.
 */
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/checks.h"
#include "rtc_base/socket_address.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rtc_socket_address addr;
  if (rtc_socket_address_parse((const char*)data, size, &addr) != RTC_OK) {
    RTC_CHECK(addr.family == RTC_AF_UNSPEC);
    return 0;
  }
  char text[RTC_SOCKET_ADDRESS_STRLEN];
  size_t len = rtc_socket_address_format(&addr, text, sizeof(text));
  RTC_CHECK(len < sizeof(text));
  rtc_socket_address again;
  RTC_CHECK(rtc_socket_address_parse(text, len, &again) == RTC_OK);
  RTC_CHECK(rtc_socket_address_equal(&addr, &again));
  RTC_CHECK(rtc_socket_address_hash(&addr) == rtc_socket_address_hash(&again));

  struct sockaddr_storage ss;
  socklen_t ss_len = rtc_socket_address_to_sockaddr(&addr, &ss);
  RTC_CHECK(ss_len > 0);
  RTC_CHECK(rtc_socket_address_from_sockaddr((struct sockaddr*)&ss, ss_len,
                                             &again) == RTC_OK);
  RTC_CHECK(rtc_socket_address_equal(&addr, &again));
  return 0;
}
