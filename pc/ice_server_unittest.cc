#include "pc/ice_server.h"

#include <gtest/gtest.h>

#include <string>

namespace {

TEST(IceUrl, ParsesStunAndTurnForms) {
  rtc_ice_url u;
  ASSERT_EQ(rtc_ice_url_parse("stun:stun.example.org", &u), RTC_OK);
  EXPECT_EQ(u.scheme, RTC_ICE_URL_STUN);
  EXPECT_STREQ(u.host, "stun.example.org");
  EXPECT_FALSE(u.host_is_ip);
  EXPECT_EQ(u.port, 3478);
  ASSERT_EQ(rtc_ice_url_parse("stuns:1.2.3.4:5000", &u), RTC_OK);
  EXPECT_EQ(u.scheme, RTC_ICE_URL_STUNS);
  EXPECT_TRUE(u.host_is_ip);
  EXPECT_EQ(u.port, 5000);
  EXPECT_EQ(u.address.port, 5000);
  ASSERT_EQ(rtc_ice_url_parse("turns:turn.example.org", &u), RTC_OK);
  EXPECT_EQ(u.port, 5349);
  EXPECT_TRUE(rtc_ice_url_is_turn(&u));
  ASSERT_EQ(rtc_ice_url_parse("turn:[2001:db8::1]:3479?transport=tcp", &u),
            RTC_OK);
  EXPECT_EQ(u.address.family, RTC_AF_INET6);
  EXPECT_EQ(u.port, 3479);
  EXPECT_EQ(u.transport, RTC_ICE_URL_TRANSPORT_TCP);
  ASSERT_EQ(rtc_ice_url_parse("TURN:host?transport=UDP", &u), RTC_OK);
  EXPECT_EQ(u.transport, RTC_ICE_URL_TRANSPORT_UDP);
}

TEST(IceUrl, RejectsMalformedUrlsWithSyntaxError) {
  for (const char* bad :
       {"", "stun:", "stun:host:", "stun:host:0", "stun:host:65536",
        "stun:host:port", "stun:[::1", "stun:[1.2.3.4]", "stun:ho st",
        "stun:host?transport=udp", "turn:host?transport=sctp", "turn:host?x=y",
        "stun:a..b", "stun:-", "stun://host", "1stun:host", "stun:[::1]x"}) {
    rtc_ice_url u;
    EXPECT_EQ(rtc_ice_url_parse(bad, &u), RTC_ERR_SYNTAX) << bad;
  }
  rtc_ice_url u;
  EXPECT_EQ(rtc_ice_url_parse(nullptr, &u), RTC_ERR_SYNTAX);
  EXPECT_EQ(rtc_ice_url_parse(
                (std::string("stun:") + std::string(300, 'a')).c_str(), &u),
            RTC_ERR_SYNTAX);
}

// webrtc-pc "validate an ICE server URL": a scheme that is neither stun,
// stuns, turn nor turns is a SyntaxError (NotSupportedError is only for one
// of these four that the user agent does not implement).
TEST(IceUrl, OtherSchemesAreSyntaxErrors) {
  rtc_ice_url u;
  EXPECT_EQ(rtc_ice_url_parse("http://example.com", &u), RTC_ERR_SYNTAX);
  EXPECT_EQ(rtc_ice_url_parse("relay:example.com", &u), RTC_ERR_SYNTAX);
}

}  // namespace
