#include "rtc_base/socket_address.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstring>
#include <string>

namespace {

rtc_socket_address Parse(const std::string& text) {
  rtc_socket_address addr;
  EXPECT_EQ(rtc_socket_address_parse(text.data(), text.size(), &addr), RTC_OK)
      << text;
  return addr;
}

std::string Format(const rtc_socket_address& addr) {
  char buf[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_socket_address_format(&addr, buf, sizeof(buf));
  return buf;
}

std::string FormatIp(const rtc_socket_address& addr) {
  char buf[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_ip_address_format(&addr, buf, sizeof(buf));
  return buf;
}

TEST(SocketAddress, ParsesIpv4WithAndWithoutPort) {
  rtc_socket_address a = Parse("192.0.2.1:3478");
  EXPECT_EQ(a.family, RTC_AF_INET);
  EXPECT_EQ(a.port, 3478);
  EXPECT_EQ(rtc_socket_address_ipv4(&a), 0xC0000201u);
  EXPECT_EQ(Format(a), "192.0.2.1:3478");
  rtc_socket_address b = Parse("10.0.0.1");
  EXPECT_EQ(b.port, 0);
  EXPECT_EQ(FormatIp(b), "10.0.0.1");
  EXPECT_EQ(Format(Parse("255.255.255.255:65535")), "255.255.255.255:65535");
}

TEST(SocketAddress, ParsesIpv6Forms) {
  rtc_socket_address a = Parse("[2001:db8::1]:443");
  EXPECT_EQ(a.family, RTC_AF_INET6);
  EXPECT_EQ(a.port, 443);
  EXPECT_EQ(a.addr[0], 0x20);
  EXPECT_EQ(a.addr[15], 1);
  EXPECT_EQ(Format(a), "[2001:db8::1]:443");
  EXPECT_EQ(Parse("2001:db8::1").port, 0);
  EXPECT_EQ(Parse("[::1]").port, 0);
  EXPECT_EQ(FormatIp(Parse("2001:DB8:0:0:0:0:0:1")), "2001:db8::1");
  EXPECT_EQ(FormatIp(Parse("::ffff:10.1.2.3")), "::ffff:10.1.2.3");
}

TEST(SocketAddress, ParsesScopeIds) {
  rtc_socket_address a = Parse("fe80::1%7");
  EXPECT_EQ(a.scope_id, 7u);
  EXPECT_EQ(FormatIp(a), "fe80::1%7");
  rtc_socket_address b = Parse("[fe80::1%12]:5353");
  EXPECT_EQ(b.scope_id, 12u);
  EXPECT_EQ(b.port, 5353);
  EXPECT_EQ(Format(b), "[fe80::1%12]:5353");
  unsigned lo = if_nametoindex("lo");
  ASSERT_NE(lo, 0u);
  EXPECT_EQ(Parse("fe80::1%lo").scope_id, lo);
}

TEST(SocketAddress, RejectsMalformedText) {
  const char* bad[] = {
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "0x1.2.3.4",
      "1.2.3.4:",
      "1.2.3.4:65536",
      "1.2.3.4:123456",
      "1.2.3.4:-1",
      "1.2.3.4:+80",
      "1.2.3.4: 80",
      " 1.2.3.4",
      "1.2.3.4 ",
      "1.2.3.4%1",
      "[1.2.3.4]:80",
      "[::1",
      "::1]",
      "[::1]80",
      "[::1]:",
      "[::1]:x",
      ":::",
      "1::2::3",
      "fe80::1%",
      "fe80::1%0",
      "fe80::1%99999999999",
      "fe80::1%no-such-if0",
      "[fe80::1%]:80",
      "host.example:80",
      "abc.local",
      "12345678901234567890123456789012345678901234567890123456789012345678",
  };
  for (const char* text : bad) {
    rtc_socket_address addr;
    std::memset(&addr, 0xAB, sizeof(addr));
    EXPECT_EQ(rtc_socket_address_parse(text, std::strlen(text), &addr),
              RTC_ERR_SYNTAX)
        << text;
    EXPECT_EQ(addr.family, RTC_AF_UNSPEC) << text;
  }
}

TEST(SocketAddress, RejectsEmbeddedNulAndUsesOnlyTheGivenLength) {
  const char with_nul[] = "1.2.3.4\0:80";
  rtc_socket_address addr;
  EXPECT_EQ(rtc_socket_address_parse(with_nul, sizeof(with_nul) - 1, &addr),
            RTC_ERR_SYNTAX);
  // The length ends the text: "1.2.3.4:8" of "1.2.3.4:80".
  EXPECT_EQ(rtc_socket_address_parse("1.2.3.4:80", 9, &addr), RTC_OK);
  EXPECT_EQ(addr.port, 8);
}

TEST(SocketAddress, IpParseRejectsPorts) {
  rtc_socket_address addr;
  EXPECT_EQ(rtc_ip_address_parse("1.2.3.4:80", 10, &addr), RTC_ERR_SYNTAX);
  EXPECT_EQ(rtc_ip_address_parse("[::1]", 5, &addr), RTC_ERR_SYNTAX);
  EXPECT_EQ(rtc_ip_address_parse("::1", 3, &addr), RTC_OK);
}

TEST(SocketAddress, SockaddrRoundTrip) {
  for (const char* text :
       {"192.0.2.1:3478", "[2001:db8::5]:9", "[fe80::1%3]:1"}) {
    rtc_socket_address a = Parse(text);
    sockaddr_storage ss;
    socklen_t len = rtc_socket_address_to_sockaddr(&a, &ss);
    ASSERT_GT(len, 0u);
    rtc_socket_address b;
    ASSERT_EQ(rtc_socket_address_from_sockaddr(reinterpret_cast<sockaddr*>(&ss),
                                               len, &b),
              RTC_OK);
    EXPECT_TRUE(rtc_socket_address_equal(&a, &b)) << text;
  }
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(80);
  sin.sin_addr.s_addr = htonl(0x7f000001);
  rtc_socket_address c;
  ASSERT_EQ(rtc_socket_address_from_sockaddr(reinterpret_cast<sockaddr*>(&sin),
                                             sizeof(sin), &c),
            RTC_OK);
  EXPECT_EQ(Format(c), "127.0.0.1:80");
}

TEST(SocketAddress, SockaddrConversionRejectsShortAndForeign) {
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  rtc_socket_address a;
  EXPECT_EQ(rtc_socket_address_from_sockaddr(reinterpret_cast<sockaddr*>(&sin),
                                             sizeof(sin) - 1, &a),
            RTC_ERR_INVALID_ARGUMENT);
  sockaddr_storage ss = {};
  ss.ss_family = AF_UNIX;
  EXPECT_EQ(rtc_socket_address_from_sockaddr(reinterpret_cast<sockaddr*>(&ss),
                                             sizeof(ss), &a),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtc_socket_address_from_sockaddr(nullptr, 0, &a),
            RTC_ERR_INVALID_ARGUMENT);
  rtc_socket_address unspec;
  rtc_socket_address_clear(&unspec);
  EXPECT_EQ(rtc_socket_address_to_sockaddr(&unspec, &ss), 0u);
}

TEST(SocketAddress, EqualityCompareAndHash) {
  rtc_socket_address a = Parse("10.0.0.1:1");
  rtc_socket_address b = Parse("10.0.0.1:2");
  rtc_socket_address c = Parse("10.0.0.2:1");
  rtc_socket_address d = Parse("[::a00:1]:1");
  EXPECT_FALSE(rtc_socket_address_equal(&a, &b));
  EXPECT_TRUE(rtc_ip_address_equal(&a, &b));
  EXPECT_FALSE(rtc_ip_address_equal(&a, &c));
  EXPECT_FALSE(rtc_ip_address_equal(&a, &d));
  EXPECT_LT(rtc_socket_address_compare(&a, &b), 0);
  EXPECT_LT(rtc_socket_address_compare(&a, &c), 0);
  EXPECT_LT(rtc_socket_address_compare(&a, &d), 0);
  EXPECT_EQ(rtc_socket_address_compare(&a, &a), 0);
  EXPECT_GT(rtc_socket_address_compare(&d, &a), 0);
  rtc_socket_address a2 = Parse("10.0.0.1:1");
  EXPECT_EQ(rtc_socket_address_hash(&a), rtc_socket_address_hash(&a2));
  EXPECT_NE(rtc_socket_address_hash(&a), rtc_socket_address_hash(&b));
  rtc_socket_address s1 = Parse("[fe80::1%1]:1");
  rtc_socket_address s2 = Parse("[fe80::1%2]:1");
  EXPECT_FALSE(rtc_socket_address_equal(&s1, &s2));
}

using Predicate = bool (*)(const rtc_socket_address*);

bool Is(Predicate predicate, const char* text) {
  rtc_socket_address addr = Parse(text);
  return predicate(&addr);
}

TEST(SocketAddress, Classification) {
  EXPECT_TRUE(Is(rtc_socket_address_is_any, "0.0.0.0"));
  EXPECT_TRUE(Is(rtc_socket_address_is_any, "::"));
  EXPECT_FALSE(Is(rtc_socket_address_is_any, "0.0.0.1"));
  EXPECT_TRUE(Is(rtc_socket_address_is_loopback, "127.1.2.3"));
  EXPECT_TRUE(Is(rtc_socket_address_is_loopback, "::1"));
  EXPECT_TRUE(Is(rtc_socket_address_is_loopback, "::ffff:127.0.0.1"));
  EXPECT_FALSE(Is(rtc_socket_address_is_loopback, "::2"));
  EXPECT_TRUE(Is(rtc_socket_address_is_link_local, "169.254.1.1"));
  EXPECT_TRUE(Is(rtc_socket_address_is_link_local, "fe80::1"));
  EXPECT_TRUE(Is(rtc_socket_address_is_link_local, "febf::1"));
  EXPECT_FALSE(Is(rtc_socket_address_is_link_local, "fec0::1"));
  for (const char* p : {"10.1.1.1", "172.16.0.1", "172.31.255.255",
                        "192.168.1.1", "100.64.0.1", "fd00::1", "fc00::1"})
    EXPECT_TRUE(Is(rtc_socket_address_is_private, p)) << p;
  for (const char* p : {"172.32.0.1", "8.8.8.8", "100.128.0.1", "2001:db8::1"})
    EXPECT_FALSE(Is(rtc_socket_address_is_private, p)) << p;
  EXPECT_TRUE(Is(rtc_socket_address_is_multicast, "224.0.0.251"));
  EXPECT_TRUE(Is(rtc_socket_address_is_multicast, "ff02::fb"));
  EXPECT_FALSE(Is(rtc_socket_address_is_multicast, "223.0.0.1"));
}

TEST(SocketAddress, UnmapsV4MappedAddresses) {
  rtc_socket_address mapped = Parse("[::ffff:192.0.2.7]:99");
  EXPECT_TRUE(rtc_socket_address_is_v4_mapped(&mapped));
  rtc_socket_address v4 = rtc_socket_address_unmapped(&mapped);
  EXPECT_EQ(Format(v4), "192.0.2.7:99");
  rtc_socket_address plain = Parse("[2001:db8::1]:1");
  rtc_socket_address same = rtc_socket_address_unmapped(&plain);
  EXPECT_TRUE(rtc_socket_address_equal(&plain, &same));
}

TEST(SocketAddress, SettersAndFormattingIntoSmallBuffers) {
  rtc_socket_address a;
  rtc_socket_address_set_ipv4(&a, 0x7f000001, 8080);
  EXPECT_EQ(Format(a), "127.0.0.1:8080");
  char small[6];
  EXPECT_EQ(rtc_socket_address_format(&a, small, sizeof(small)), 14u);
  EXPECT_STREQ(small, "127.0");
  const uint8_t bytes[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0,
                             0,    0,    0, 0, 0, 0, 0, 9};
  rtc_socket_address_set_ipv6(&a, bytes, 1, 4);
  EXPECT_EQ(Format(a), "[fe80::9%4]:1");
  rtc_socket_address_clear(&a);
  EXPECT_EQ(Format(a), "(unspecified)");
  EXPECT_EQ(rtc_socket_address_ipv4(&a), 0u);
}

}  // namespace
