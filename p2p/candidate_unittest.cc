#include "p2p/candidate.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

// Field-by-field equality (the same comparison the fuzzer makes).
void ExpectSameCandidate(const rtc_candidate& a, const rtc_candidate& b) {
  EXPECT_STREQ(a.foundation, b.foundation);
  EXPECT_EQ(a.component, b.component);
  EXPECT_EQ(a.protocol, b.protocol);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_TRUE(rtc_socket_address_equal(&a.address, &b.address));
  EXPECT_STREQ(a.hostname, b.hostname);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.has_related, b.has_related);
  EXPECT_TRUE(rtc_socket_address_equal(&a.related_address, &b.related_address));
  EXPECT_STREQ(a.related_hostname, b.related_hostname);
  EXPECT_EQ(a.tcp_type, b.tcp_type);
  EXPECT_EQ(a.generation, b.generation);
  EXPECT_STREQ(a.ufrag, b.ufrag);
  EXPECT_EQ(a.network_id, b.network_id);
  EXPECT_EQ(a.network_cost, b.network_cost);
  EXPECT_STREQ(a.extensions, b.extensions);
}

rtc_candidate Parse(const std::string& text) {
  rtc_candidate c;
  rtc_error_info info;
  rtc_error_info_init(&info);
  EXPECT_EQ(rtc_candidate_parse(text.data(), text.size(), &c, &info), RTC_OK)
      << text << ": " << info.message;
  return c;
}

std::string Format(const rtc_candidate& c) {
  char buf[RTC_CANDIDATE_MAX_LENGTH + 64];
  size_t n = rtc_candidate_format(&c, buf, sizeof(buf));
  EXPECT_LT(n, sizeof(buf));
  return std::string(buf);
}

rtc_socket_address Ip(const std::string& text, uint16_t port = 0) {
  rtc_socket_address a;
  EXPECT_EQ(rtc_ip_address_parse(text.data(), text.size(), &a), RTC_OK) << text;
  a.port = port;
  return a;
}

std::string IpText(const rtc_socket_address& a) {
  char buf[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_ip_address_format(&a, buf, sizeof(buf));
  return buf;
}

// The attribute value as the formatter writes it: no "a=", no line end,
// and the transport in lower case (Firefox and libdatachannel write "UDP").
std::string Canonical(std::string line) {
  if (line.compare(0, 2, "a=") == 0)
    line.erase(0, 2);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.pop_back();
  size_t first = line.find(' ');
  size_t second = line.find(' ', first + 1);
  size_t third = line.find(' ', second + 1);
  for (size_t i = second + 1; i < third; i++)
    line[i] =
        static_cast<char>(std::tolower(static_cast<unsigned char>(line[i])));
  return line;
}

// Every distinct candidate line in /work/shared/fixtures/sdp: the trickled
// `*-candidates.txt` strings as the stacks gave them and the a=candidate
// lines of the captured offers and answers (with their CRLF).
const char* const kFixtureLines[] = {
    // chromium
    "a=candidate:1396526112 1 udp 2122260223 127.0.0.1 46211 typ host "
    "generation 0 network-id 1 network-cost 50\r\n",
    "a=candidate:3995851221 1 udp 2122194687 198.18.0.1 45173 typ host "
    "generation 0 network-id 2\r\n",
    "a=candidate:786973238 1 udp 2122260223 127.0.0.1 37968 typ host "
    "generation 0 network-id 1 network-cost 50\r\n",
    "a=candidate:2482952131 1 udp 2122194687 198.18.0.1 50794 typ host "
    "generation 0 network-id 2\r\n",
    "a=candidate:3494024866 1 tcp 1518280447 127.0.0.1 9 typ host tcptype "
    "active generation 0 network-id 1 network-cost 50\r\n",
    "a=candidate:1834222423 1 tcp 1518214911 198.18.0.1 9 typ host tcptype "
    "active generation 0 network-id 2\r\n",
    "candidate:3932292767 1 udp 2122260223 127.0.0.1 41302 typ host generation "
    "0 ufrag ivSh network-id 1 network-cost 50",
    "candidate:1090908015 1 udp 2122194687 198.18.0.1 45528 typ host "
    "generation 0 ufrag ivSh network-id 2",
    "candidate:2494424071 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active "
    "generation 0 ufrag ivSh network-id 1 network-cost 50",
    "candidate:1070206455 1 tcp 1518214911 198.18.0.1 9 typ host tcptype "
    "active generation 0 ufrag ivSh network-id 2",
    "candidate:635778563 1 udp 2122260223 127.0.0.1 45139 typ host generation "
    "0 ufrag 9DW5 network-id 1 network-cost 50",
    "candidate:2566104054 1 udp 2122194687 198.18.0.1 40505 typ host "
    "generation 0 ufrag 9DW5 network-id 2",
    "candidate:2262867091 1 udp 2122260223 127.0.0.1 59119 typ host generation "
    "0 ufrag CEoY network-id 1 network-cost 50",
    "candidate:763852131 1 udp 2122194687 198.18.0.1 43470 typ host generation "
    "0 ufrag CEoY network-id 2",
    "candidate:2262867091 1 udp 2122260223 127.0.0.1 38872 typ host generation "
    "0 ufrag CEoY network-id 1 network-cost 50",
    "candidate:763852131 1 udp 2122194687 198.18.0.1 57081 typ host generation "
    "0 ufrag CEoY network-id 2",
    "candidate:2262867091 1 udp 2122260223 127.0.0.1 47094 typ host generation "
    "0 ufrag CEoY network-id 1 network-cost 50",
    "candidate:763852131 1 udp 2122194687 198.18.0.1 42080 typ host generation "
    "0 ufrag CEoY network-id 2",
    "candidate:4163862027 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active "
    "generation 0 ufrag CEoY network-id 1 network-cost 50",
    "candidate:1397266427 1 tcp 1518214911 198.18.0.1 9 typ host tcptype "
    "active generation 0 ufrag CEoY network-id 2",
    "candidate:1833023110 1 udp 2122260223 127.0.0.1 47320 typ host generation "
    "0 ufrag WX6J network-id 1 network-cost 50",
    "candidate:3324403574 1 udp 2122194687 198.18.0.1 33095 typ host "
    "generation 0 ufrag WX6J network-id 2",
    "candidate:2227171168 1 udp 2122260223 127.0.0.1 48258 typ host generation "
    "0 ufrag y9wE network-id 1 network-cost 50",
    "candidate:802686608 1 udp 2122194687 198.18.0.1 42588 typ host generation "
    "0 ufrag y9wE network-id 2",
    "candidate:3985860739 1 udp 2122260223 127.0.0.1 45575 typ host generation "
    "0 ufrag SEob network-id 1 network-cost 50",
    "candidate:1350958454 1 udp 2122194687 198.18.0.1 48455 typ host "
    "generation 0 ufrag SEob network-id 2",
    "candidate:2227171168 1 udp 2122260223 127.0.0.1 46178 typ host generation "
    "1 ufrag 85nw network-id 1 network-cost 50",
    "candidate:802686608 1 udp 2122194687 198.18.0.1 49080 typ host generation "
    "1 ufrag 85nw network-id 2",
    "candidate:3985860739 1 udp 2122260223 127.0.0.1 56718 typ host generation "
    "1 ufrag 2Zje network-id 1 network-cost 50",
    "candidate:1350958454 1 udp 2122194687 198.18.0.1 38060 typ host "
    "generation 1 ufrag 2Zje network-id 2",
    // firefox
    "a=candidate:0 1 UDP 2122121471 127.0.0.1 35343 typ host\r\n",
    "a=candidate:1 1 UDP 2122187007 ::1 46674 typ host\r\n",
    "a=candidate:2 1 UDP 2122252543 198.18.0.1 60940 typ host\r\n",
    "a=candidate:3 1 TCP 2105393407 127.0.0.1 9 typ host tcptype active\r\n",
    "a=candidate:4 1 TCP 2105458943 ::1 9 typ host tcptype active\r\n",
    "a=candidate:5 1 TCP 2105524479 198.18.0.1 9 typ host tcptype active\r\n",
    "a=candidate:0 1 UDP 2122121471 127.0.0.1 44328 typ host\r\n",
    "a=candidate:1 1 UDP 2122187007 ::1 47082 typ host\r\n",
    "a=candidate:2 1 UDP 2122252543 198.18.0.1 60459 typ host\r\n",
    "candidate:0 1 UDP 2122121471 127.0.0.1 44474 typ host",
    "candidate:1 1 UDP 2122187007 ::1 33439 typ host",
    "candidate:2 1 UDP 2122252543 198.18.0.1 55200 typ host",
    "candidate:3 1 TCP 2105393407 127.0.0.1 9 typ host tcptype active",
    "candidate:4 1 TCP 2105458943 ::1 9 typ host tcptype active",
    "candidate:5 1 TCP 2105524479 198.18.0.1 9 typ host tcptype active",
    "candidate:0 1 UDP 2122121471 127.0.0.1 50824 typ host",
    "candidate:1 1 UDP 2122187007 ::1 45202 typ host",
    "candidate:2 1 UDP 2122252543 198.18.0.1 53719 typ host",
    "candidate:0 1 UDP 2122121471 127.0.0.1 35338 typ host",
    "candidate:1 1 UDP 2122187007 ::1 33864 typ host",
    "candidate:2 1 UDP 2122252543 198.18.0.1 44297 typ host",
    "candidate:0 2 UDP 2122121470 127.0.0.1 35536 typ host",
    "candidate:1 2 UDP 2122187006 ::1 48585 typ host",
    "candidate:2 2 UDP 2122252542 198.18.0.1 41141 typ host",
    "candidate:3 2 TCP 2105393406 127.0.0.1 9 typ host tcptype active",
    "candidate:4 2 TCP 2105458942 ::1 9 typ host tcptype active",
    "candidate:5 2 TCP 2105524478 198.18.0.1 9 typ host tcptype active",
    "candidate:0 1 UDP 2122121471 127.0.0.1 58003 typ host",
    "candidate:1 1 UDP 2122187007 ::1 35525 typ host",
    "candidate:2 1 UDP 2122252543 198.18.0.1 53741 typ host",
    "candidate:0 2 UDP 2122121470 127.0.0.1 60439 typ host",
    "candidate:1 2 UDP 2122187006 ::1 42667 typ host",
    "candidate:2 2 UDP 2122252542 198.18.0.1 56684 typ host",
    "candidate:0 1 UDP 2122121471 127.0.0.1 49142 typ host",
    "candidate:1 1 UDP 2122187007 ::1 34149 typ host",
    "candidate:2 1 UDP 2122252543 198.18.0.1 37680 typ host",
    "candidate:0 1 UDP 2122121471 127.0.0.1 47016 typ host",
    "candidate:1 1 UDP 2122187007 ::1 45911 typ host",
    "candidate:2 1 UDP 2122252543 198.18.0.1 35607 typ host",
    "candidate:0 1 UDP 2122121471 127.0.0.1 43572 typ host",
    "candidate:1 1 UDP 2122187007 ::1 52951 typ host",
    "candidate:2 1 UDP 2122252543 198.18.0.1 55738 typ host",
    "candidate:0 1 UDP 2122121471 127.0.0.1 37601 typ host",
    "candidate:1 1 UDP 2122187007 ::1 51386 typ host",
    "candidate:2 1 UDP 2122252543 198.18.0.1 41797 typ host",
    "candidate:0 1 UDP 2122121471 127.0.0.1 52558 typ host",
    "candidate:1 1 UDP 2122187007 ::1 58798 typ host",
    "candidate:2 1 UDP 2122252543 198.18.0.1 52562 typ host",
    "candidate:0 1 UDP 2122121471 127.0.0.1 34855 typ host",
    "candidate:1 1 UDP 2122187007 ::1 54660 typ host",
    "candidate:2 1 UDP 2122252543 198.18.0.1 42141 typ host",
    // wrtc
    "a=candidate:891985923 1 udp 2122260223 198.18.0.1 34028 typ host "
    "generation 0 network-id 3 network-cost 50\r\n",
    "a=candidate:559267639 1 udp 2122202367 ::1 53426 typ host generation 0 "
    "network-id 2\r\n",
    "a=candidate:1510613869 1 udp 2122129151 127.0.0.1 56868 typ host "
    "generation 0 network-id 1\r\n",
    "a=candidate:891985923 1 udp 2122260223 198.18.0.1 40483 typ host "
    "generation 0 network-id 3 network-cost 50\r\n",
    "a=candidate:559267639 1 udp 2122202367 ::1 58798 typ host generation 0 "
    "network-id 2\r\n",
    "a=candidate:1510613869 1 udp 2122129151 127.0.0.1 36388 typ host "
    "generation 0 network-id 1\r\n",
    "a=candidate:891985923 1 udp 2122260223 198.18.0.1 43414 typ host "
    "generation 0 network-id 3 network-cost 50\r\n",
    "a=candidate:559267639 1 udp 2122202367 ::1 38001 typ host generation 0 "
    "network-id 2\r\n",
    "a=candidate:1510613869 1 udp 2122129151 127.0.0.1 42002 typ host "
    "generation 0 network-id 1\r\n",
    "a=candidate:891985923 1 udp 2122260223 198.18.0.1 36815 typ host "
    "generation 0 network-id 3 network-cost 50\r\n",
    "a=candidate:559267639 1 udp 2122202367 ::1 59666 typ host generation 0 "
    "network-id 2\r\n",
    "a=candidate:1510613869 1 udp 2122129151 127.0.0.1 39759 typ host "
    "generation 0 network-id 1\r\n",
    "a=candidate:891985923 1 udp 2122260223 198.18.0.1 38969 typ host "
    "generation 0 network-id 3 network-cost 50\r\n",
    "a=candidate:891985923 1 udp 2122260223 198.18.0.1 48550 typ host "
    "generation 0 network-id 3 network-cost 50\r\n",
    "a=candidate:559267639 1 udp 2122202367 ::1 40586 typ host generation 0 "
    "network-id 2\r\n",
    "a=candidate:1510613869 1 udp 2122129151 127.0.0.1 49356 typ host "
    "generation 0 network-id 1\r\n",
    "a=candidate:891985923 1 udp 2122260223 198.18.0.1 36791 typ host "
    "generation 0 network-id 3 network-cost 50\r\n",
    "a=candidate:559267639 1 udp 2122202367 ::1 56050 typ host generation 0 "
    "network-id 2\r\n",
    "a=candidate:1510613869 1 udp 2122129151 127.0.0.1 42185 typ host "
    "generation 0 network-id 1\r\n",
    "a=candidate:891985923 1 udp 2122260223 198.18.0.1 51674 typ host "
    "generation 0 network-id 3 network-cost 50\r\n",
    "a=candidate:559267639 1 udp 2122202367 ::1 47587 typ host generation 0 "
    "network-id 2\r\n",
    "a=candidate:1510613869 1 udp 2122129151 127.0.0.1 50790 typ host "
    "generation 0 network-id 1\r\n",
    "a=candidate:2074696947 1 tcp 1518280447 198.18.0.1 44129 typ host tcptype "
    "passive generation 0 network-id 3 network-cost 50\r\n",
    "a=candidate:1876313031 1 tcp 1518222591 ::1 44377 typ host tcptype "
    "passive generation 0 network-id 2\r\n",
    "a=candidate:344579997 1 tcp 1518149375 127.0.0.1 54593 typ host tcptype "
    "passive generation 0 network-id 1\r\n",
    "a=candidate:891985923 1 udp 2122260223 198.18.0.1 59898 typ host "
    "generation 1 network-id 3 network-cost 50\r\n",
    "a=candidate:559267639 1 udp 2122202367 ::1 60846 typ host generation 1 "
    "network-id 2\r\n",
    "a=candidate:1510613869 1 udp 2122129151 127.0.0.1 49291 typ host "
    "generation 1 network-id 1\r\n",
    "a=candidate:891985923 1 udp 2122260223 198.18.0.1 41202 typ host "
    "generation 1 network-id 3 network-cost 50\r\n",
    "candidate:891985923 1 udp 2122260223 198.18.0.1 47409 typ host generation "
    "0 ufrag llo5 network-id 3 network-cost 50",
    "candidate:559267639 1 udp 2122202367 ::1 34465 typ host generation 0 "
    "ufrag llo5 network-id 2",
    "candidate:1510613869 1 udp 2122129151 127.0.0.1 40460 typ host generation "
    "0 ufrag llo5 network-id 1",
    "candidate:891985923 1 udp 2122260223 198.18.0.1 48550 typ host generation "
    "0 ufrag 7Z80 network-id 3 network-cost 50",
    "candidate:559267639 1 udp 2122202367 ::1 40586 typ host generation 0 "
    "ufrag 7Z80 network-id 2",
    "candidate:1510613869 1 udp 2122129151 127.0.0.1 49356 typ host generation "
    "0 ufrag 7Z80 network-id 1",
    "candidate:891985923 1 udp 2122260223 198.18.0.1 40483 typ host generation "
    "0 ufrag AJG8 network-id 3 network-cost 50",
    "candidate:559267639 1 udp 2122202367 ::1 58798 typ host generation 0 "
    "ufrag AJG8 network-id 2",
    "candidate:1510613869 1 udp 2122129151 127.0.0.1 36388 typ host generation "
    "0 ufrag AJG8 network-id 1",
    "candidate:891985923 1 udp 2122260223 198.18.0.1 43414 typ host generation "
    "0 ufrag AJG8 network-id 3 network-cost 50",
    "candidate:559267639 1 udp 2122202367 ::1 38001 typ host generation 0 "
    "ufrag AJG8 network-id 2",
    "candidate:1510613869 1 udp 2122129151 127.0.0.1 42002 typ host generation "
    "0 ufrag AJG8 network-id 1",
    "candidate:891985923 1 udp 2122260223 198.18.0.1 36815 typ host generation "
    "0 ufrag AJG8 network-id 3 network-cost 50",
    "candidate:559267639 1 udp 2122202367 ::1 59666 typ host generation 0 "
    "ufrag AJG8 network-id 2",
    "candidate:1510613869 1 udp 2122129151 127.0.0.1 39759 typ host generation "
    "0 ufrag AJG8 network-id 1",
    "candidate:891985923 1 udp 2122260223 198.18.0.1 34028 typ host generation "
    "0 ufrag U55Q network-id 3 network-cost 50",
    "candidate:559267639 1 udp 2122202367 ::1 53426 typ host generation 0 "
    "ufrag U55Q network-id 2",
    "candidate:1510613869 1 udp 2122129151 127.0.0.1 56868 typ host generation "
    "0 ufrag U55Q network-id 1",
    "candidate:891985923 1 udp 2122260223 198.18.0.1 46308 typ host generation "
    "0 ufrag PY7y network-id 3 network-cost 50",
    "candidate:559267639 1 udp 2122202367 ::1 44947 typ host generation 0 "
    "ufrag PY7y network-id 2",
    "candidate:1510613869 1 udp 2122129151 127.0.0.1 49910 typ host generation "
    "0 ufrag PY7y network-id 1",
    "candidate:891985923 1 udp 2122260223 198.18.0.1 48213 typ host generation "
    "0 ufrag +LQc network-id 3 network-cost 50",
    "candidate:559267639 1 udp 2122202367 ::1 42756 typ host generation 0 "
    "ufrag +LQc network-id 2",
    "candidate:1510613869 1 udp 2122129151 127.0.0.1 41898 typ host generation "
    "0 ufrag +LQc network-id 1",
    "candidate:891985923 1 udp 2122260223 198.18.0.1 41202 typ host generation "
    "1 ufrag jSmp network-id 3 network-cost 50",
    "candidate:559267639 1 udp 2122202367 ::1 57377 typ host generation 1 "
    "ufrag jSmp network-id 2",
    "candidate:1510613869 1 udp 2122129151 127.0.0.1 33143 typ host generation "
    "1 ufrag jSmp network-id 1",
    "candidate:891985923 1 udp 2122260223 198.18.0.1 59898 typ host generation "
    "1 ufrag kwCT network-id 3 network-cost 50",
    "candidate:559267639 1 udp 2122202367 ::1 60846 typ host generation 1 "
    "ufrag kwCT network-id 2",
    "candidate:1510613869 1 udp 2122129151 127.0.0.1 49291 typ host generation "
    "1 ufrag kwCT network-id 1",
    // werift
    "a=candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 43025 "
    "typ host generation 0 ufrag 5698\r\n",
    "a=candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 49461 "
    "typ host generation 0 ufrag 7b6a\r\n",
    "a=candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 43758 "
    "typ host generation 0 ufrag 7b6a\r\n",
    "a=candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 39317 "
    "typ host generation 0 ufrag 7b6a\r\n",
    "a=candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 49321 "
    "typ host generation 0 ufrag f6e4\r\n",
    "a=candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 56314 "
    "typ host generation 0 ufrag c3b6\r\n",
    "a=candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 34068 "
    "typ host generation 0 ufrag 7d47\r\n",
    "a=candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 52312 "
    "typ host generation 0 ufrag c070\r\n",
    "a=candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 56747 "
    "typ host generation 0 ufrag 24bc\r\n",
    "a=candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 60216 "
    "typ host generation 1 ufrag 6480\r\n",
    "a=candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 53613 "
    "typ host generation 1 ufrag 264b\r\n",
    "candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 56747 typ "
    "host generation 0 ufrag 24bc",
    "candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 56314 typ "
    "host generation 0 ufrag c3b6",
    "candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 49461 typ "
    "host generation 0 ufrag 7b6a",
    "candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 43758 typ "
    "host generation 0 ufrag 7b6a",
    "candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 39317 typ "
    "host generation 0 ufrag 7b6a",
    "candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 43025 typ "
    "host generation 0 ufrag 5698",
    "candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 53613 typ "
    "host generation 0 ufrag e96d",
    "candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 60216 typ "
    "host generation 0 ufrag a787",
    "candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 53613 typ "
    "host generation 1 ufrag 264b",
    "candidate:78a0a46a9078ad428e1f0a8e5 1 udp 2116026367 198.18.0.1 60216 typ "
    "host generation 1 ufrag 6480",
    // ndc
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 58671 typ host\r\n",
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 48723 typ host\r\n",
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 47468 typ host\r\n",
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 39341 typ host\r\n",
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 49282 typ host\r\n",
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 57247 typ host\r\n",
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 43359 typ host\r\n",
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 43359 typ host",
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 39341 typ host",
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 48723 typ host",
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 58671 typ host",
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 40308 typ host",
    "a=candidate:1 1 UDP 2114977791 198.18.0.1 37296 typ host",
    // aiortc
    "a=candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "44153 typ host\r\n",
    "a=candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "55842 typ host\r\n",
    "a=candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "59224 typ host\r\n",
    "a=candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "54304 typ host\r\n",
    "a=candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "55046 typ host\r\n",
    "a=candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "40426 typ host\r\n",
    "a=candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "48754 typ host\r\n",
    "a=candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "52208 typ host\r\n",
    "a=candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "40276 typ host\r\n",
    "candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "40276 typ host",
    "candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "40426 typ host",
    "candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "55842 typ host",
    "candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "59224 typ host",
    "candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "54304 typ host",
    "candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "44153 typ host",
    "candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "50023 typ host",
    "candidate:9cb20c778a0a46a9078ad428e1f0a8e5 1 udp 2130706431 198.18.0.1 "
    "47188 typ host",
};

TEST(CandidateFixtures, EveryFixtureLineParsesAndFormatsBackExactly) {
  size_t count = 0;
  for (const char* line : kFixtureLines) {
    SCOPED_TRACE(line);
    rtc_candidate c = Parse(line);
    // Byte for byte, except the transport's case.
    EXPECT_EQ(Format(c), Canonical(line));
    rtc_candidate again = Parse(Format(c));
    ExpectSameCandidate(c, again);
    count++;
  }
  EXPECT_EQ(count, sizeof(kFixtureLines) / sizeof(kFixtureLines[0]));
  EXPECT_GT(count, 150u);
}

TEST(CandidateFixtures, FixturesCoverEveryImplementationShape) {
  // Guards the table above against losing the interesting cases.
  bool tcp = false, ipv6 = false, component2 = false, ufrag = false,
       uppercase = false, sdp_line = false, long_foundation = false;
  for (const char* line : kFixtureLines) {
    std::string s = line;
    rtc_candidate c = Parse(s);
    tcp |= c.protocol == RTC_ICE_PROTOCOL_TCP;
    ipv6 |= c.address.family == RTC_AF_INET6;
    component2 |= c.component == 2;
    ufrag |= c.ufrag[0] != '\0';
    uppercase |= s.find(" UDP ") != std::string::npos;
    sdp_line |= s.compare(0, 2, "a=") == 0;
    long_foundation |= strlen(c.foundation) == RTC_CANDIDATE_MAX_FOUNDATION;
  }
  EXPECT_TRUE(tcp);
  EXPECT_TRUE(ipv6);
  EXPECT_TRUE(component2);
  EXPECT_TRUE(ufrag);
  EXPECT_TRUE(uppercase);
  EXPECT_TRUE(sdp_line);
  EXPECT_TRUE(long_foundation);
}

// ---------------------------------------------------------------------------
// Fields

TEST(CandidateParse, ReadsEveryFieldOfAChromeHostCandidate) {
  rtc_candidate c = Parse(
      "candidate:3932292767 1 udp 2122260223 127.0.0.1 41302 typ host "
      "generation 0 ufrag ivSh network-id 1 network-cost 50");
  EXPECT_STREQ(c.foundation, "3932292767");
  EXPECT_EQ(c.component, 1u);
  EXPECT_EQ(c.protocol, RTC_ICE_PROTOCOL_UDP);
  EXPECT_EQ(c.priority, 2122260223u);
  EXPECT_EQ(c.address.family, RTC_AF_INET);
  EXPECT_EQ(rtc_socket_address_ipv4(&c.address), 0x7f000001u);
  EXPECT_EQ(c.address.port, 41302);
  EXPECT_STREQ(c.hostname, "");
  EXPECT_EQ(c.type, RTC_CANDIDATE_HOST);
  EXPECT_FALSE(c.has_related);
  EXPECT_EQ(c.related_address.family, RTC_AF_UNSPEC);
  EXPECT_EQ(c.tcp_type, RTC_TCP_TYPE_NONE);
  EXPECT_EQ(c.generation, 0);
  EXPECT_STREQ(c.ufrag, "ivSh");
  EXPECT_EQ(c.network_id, 1);
  EXPECT_EQ(c.network_cost, 50);
  EXPECT_STREQ(c.extensions, "");
  EXPECT_FALSE(rtc_candidate_is_mdns(&c));
}

TEST(CandidateParse, ReadsFirefoxIpv6AndUppercaseTransport) {
  rtc_candidate c = Parse("candidate:1 2 UDP 2122187006 ::1 48585 typ host");
  EXPECT_STREQ(c.foundation, "1");
  EXPECT_EQ(c.component, 2u);
  EXPECT_EQ(c.protocol, RTC_ICE_PROTOCOL_UDP);
  EXPECT_EQ(c.address.family, RTC_AF_INET6);
  EXPECT_EQ(IpText(c.address), "::1");
  EXPECT_EQ(c.address.port, 48585);
  EXPECT_EQ(c.generation, -1);
  EXPECT_STREQ(c.ufrag, "");
  EXPECT_EQ(c.network_id, -1);
  EXPECT_EQ(c.network_cost, -1);
  // Written back in lower case, as Chrome writes it.
  EXPECT_EQ(Format(c), "candidate:1 2 udp 2122187006 ::1 48585 typ host");
}

TEST(CandidateParse, AcceptsTransportInAnyCase) {
  EXPECT_EQ(Parse("candidate:1 1 Udp 1 192.0.2.1 1 typ host").protocol,
            RTC_ICE_PROTOCOL_UDP);
  EXPECT_EQ(Parse("candidate:1 1 tCp 1 192.0.2.1 9 typ host").protocol,
            RTC_ICE_PROTOCOL_TCP);
}

TEST(CandidateParse, ReadsTcpTypes) {
  struct {
    const char* text;
    rtc_tcp_type type;
  } cases[] = {
      // Firefox
      {"candidate:3 1 TCP 2105393407 127.0.0.1 9 typ host tcptype active",
       RTC_TCP_TYPE_ACTIVE},
      // Chromium SDP
      {"a=candidate:1876313031 1 tcp 1518222591 ::1 44377 typ host tcptype "
       "passive generation 0 network-id 2\r\n",
       RTC_TCP_TYPE_PASSIVE},
      // RFC 6544 §4.5 simultaneous open
      {"candidate:7 1 tcp 1518149375 192.0.2.5 50000 typ host tcptype so",
       RTC_TCP_TYPE_SO},
      // Allowed without tcptype (libwebrtc accepts it for compatibility).
      {"candidate:7 1 tcp 1518149375 192.0.2.5 50000 typ host",
       RTC_TCP_TYPE_NONE},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.text);
    rtc_candidate c = Parse(tc.text);
    EXPECT_EQ(c.protocol, RTC_ICE_PROTOCOL_TCP);
    EXPECT_EQ(c.tcp_type, tc.type);
  }
}

TEST(CandidateParse, ReadsServerReflexiveWithRelatedAddress) {
  // The header's example: Chrome's layout of a srflx candidate.
  const char* text =
      "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx "
      "raddr 0.0.0.0 rport 0 generation 0 ufrag EEtu network-id 3 "
      "network-cost 10";
  rtc_candidate c = Parse(text);
  EXPECT_EQ(c.type, RTC_CANDIDATE_SRFLX);
  EXPECT_TRUE(c.has_related);
  EXPECT_EQ(c.related_address.family, RTC_AF_INET);
  EXPECT_TRUE(rtc_socket_address_is_any(&c.related_address));
  EXPECT_EQ(c.related_address.port, 0);
  EXPECT_STREQ(c.related_hostname, "");
  EXPECT_EQ(c.network_id, 3);
  EXPECT_EQ(c.network_cost, 10);
  EXPECT_EQ(Format(c), text);
}

TEST(CandidateParse, ReadsRelayAndPeerReflexiveCandidates) {
  const char* relay =
      "candidate:1234567890 1 udp 41885439 198.51.100.20 3478 typ relay "
      "raddr 203.0.113.7 rport 61665 generation 0 ufrag EEtu network-id 3 "
      "network-cost 10";
  rtc_candidate c = Parse(relay);
  EXPECT_EQ(c.type, RTC_CANDIDATE_RELAY);
  EXPECT_EQ(IpText(c.related_address), "203.0.113.7");
  EXPECT_EQ(c.related_address.port, 61665);
  EXPECT_EQ(Format(c), relay);

  // RFC 8839 §5.1's own example, with Firefox-style uppercase transport.
  rtc_candidate r = Parse(
      "a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr "
      "10.0.1.1 rport 8998");
  EXPECT_EQ(Format(r),
            "candidate:2 1 udp 1694498815 192.0.2.3 45664 typ srflx raddr "
            "10.0.1.1 rport 8998");

  rtc_candidate p = Parse(
      "candidate:4 1 udp 1853824767 2001:db8::5 50001 typ prflx raddr "
      "2001:db8::4 rport 50000");
  EXPECT_EQ(p.type, RTC_CANDIDATE_PRFLX);
  EXPECT_EQ(p.related_address.family, RTC_AF_INET6);
  EXPECT_EQ(IpText(p.related_address), "2001:db8::4");
}

TEST(CandidateParse, ReadsMdnsHostCandidate) {
  const char* text =
      "candidate:1510613869 1 udp 2122129151 "
      "1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54134 typ host generation "
      "0 ufrag 7Z80 network-id 1";
  rtc_candidate c = Parse(text);
  EXPECT_EQ(c.address.family, RTC_AF_UNSPEC);
  EXPECT_EQ(c.address.port, 54134);
  EXPECT_STREQ(c.hostname, "1f4712db-ea17-4bcf-a596-105139dfd8bf.local");
  EXPECT_TRUE(rtc_candidate_is_mdns(&c));
  EXPECT_EQ(Format(c), text);
}

TEST(CandidateParse, ReadsHostNameAsRelatedAddress) {
  // A srflx candidate whose base is an mDNS name (an older Chrome).
  const char* text =
      "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx "
      "raddr 1f4712db-ea17-4bcf-a596-105139dfd8bf.local rport 54134";
  rtc_candidate c = Parse(text);
  EXPECT_TRUE(c.has_related);
  EXPECT_EQ(c.related_address.family, RTC_AF_UNSPEC);
  EXPECT_EQ(c.related_address.port, 54134);
  EXPECT_STREQ(c.related_hostname,
               "1f4712db-ea17-4bcf-a596-105139dfd8bf.local");
  // is_mdns looks at the connection address only.
  EXPECT_FALSE(rtc_candidate_is_mdns(&c));
  EXPECT_EQ(Format(c), text);
}

TEST(CandidateParse, KeepsOtherHostNames) {
  rtc_candidate c = Parse(
      "candidate:1 1 udp 1 turn-1.Example.COM 3478 typ relay raddr "
      "0.0.0.0 rport 0");
  EXPECT_STREQ(c.hostname, "turn-1.Example.COM");
  EXPECT_FALSE(rtc_candidate_is_mdns(&c));
  EXPECT_STREQ(Parse("candidate:1 1 udp 1 localhost 9 typ host").hostname,
               "localhost");
}

TEST(CandidateParse, ReadsFullAndMappedIpv6) {
  rtc_candidate c = Parse(
      "candidate:1 1 udp 1 2001:0db8:0000:0000:0000:0000:0000:0001 9 typ "
      "host");
  EXPECT_EQ(IpText(c.address), "2001:db8::1");
  EXPECT_EQ(Format(c), "candidate:1 1 udp 1 2001:db8::1 9 typ host");
  rtc_candidate m = Parse("candidate:1 1 udp 1 ::ffff:192.0.2.1 9 typ host");
  EXPECT_TRUE(rtc_socket_address_is_v4_mapped(&m.address));
  ExpectSameCandidate(m, Parse(Format(m)));
}

TEST(CandidateParse, KeepsUnknownExtensionsVerbatimAndWritesThemLast) {
  rtc_candidate c = Parse(
      "candidate:1 1 udp 1 192.0.2.1 9 typ host foo bar generation 2 "
      "x-Weird!~ {\"v\":1} ufrag abcd");
  EXPECT_EQ(c.generation, 2);
  EXPECT_STREQ(c.ufrag, "abcd");
  EXPECT_STREQ(c.extensions, " foo bar x-Weird!~ {\"v\":1}");
  EXPECT_EQ(Format(c),
            "candidate:1 1 udp 1 192.0.2.1 9 typ host generation 2 ufrag abcd "
            "foo bar x-Weird!~ {\"v\":1}");
  ExpectSameCandidate(c, Parse(Format(c)));
}

TEST(CandidateParse, KeepsRepeatedUnknownExtensions) {
  rtc_candidate c =
      Parse("candidate:1 1 udp 1 192.0.2.1 9 typ host foo 1 foo 2");
  EXPECT_STREQ(c.extensions, " foo 1 foo 2");
}

TEST(CandidateParse, TakesKnownExtensionsInAnyOrderAndWritesChromeOrder) {
  rtc_candidate c = Parse(
      "candidate:1 1 tcp 1 192.0.2.1 9 typ host network-cost 10 network-id "
      "3 ufrag EEtu generation 1 tcptype active");
  EXPECT_EQ(Format(c),
            "candidate:1 1 tcp 1 192.0.2.1 9 typ host tcptype active "
            "generation 1 ufrag EEtu network-id 3 network-cost 10");
}

TEST(CandidateParse, AcceptsBoundaryValues) {
  rtc_candidate c = Parse(
      "candidate:0123456789abcdefABCDEF+/01234567 256 udp 4294967295 "
      "192.0.2.1 65535 typ host generation 2147483647 network-id 0 "
      "network-cost 2147483647");
  EXPECT_EQ(strlen(c.foundation), 32u);
  EXPECT_EQ(c.component, 256u);
  EXPECT_EQ(c.priority, 4294967295u);
  EXPECT_EQ(c.address.port, 65535);
  EXPECT_EQ(c.generation, INT32_MAX);
  EXPECT_EQ(c.network_id, 0);
  EXPECT_EQ(c.network_cost, INT32_MAX);
  rtc_candidate z = Parse("candidate:1 1 udp 0 0.0.0.0 0 typ host");
  EXPECT_EQ(z.priority, 0u);
  EXPECT_EQ(z.address.port, 0);
}

TEST(CandidateParse, AcceptsLeadingZerosAndWritesThemWithout) {
  rtc_candidate c = Parse(
      "candidate:1 001 udp 0000000007 192.0.2.1 00009 typ host generation "
      "0000000003");
  EXPECT_EQ(c.component, 1u);
  EXPECT_EQ(c.priority, 7u);
  EXPECT_EQ(c.address.port, 9);
  EXPECT_EQ(c.generation, 3);
  EXPECT_EQ(Format(c), "candidate:1 1 udp 7 192.0.2.1 9 typ host generation 3");
}

TEST(CandidateParse, AcceptsLongestHostNameAndUfrag) {
  std::string label(63, 'a');
  std::string name = label + "." + label + "." + label + "." +
                     std::string(61, 'b');  // 253 characters
  ASSERT_EQ(name.size(), 253u);
  rtc_candidate c = Parse("candidate:1 1 udp 1 " + name + " 9 typ host");
  EXPECT_EQ(c.hostname, name);
  std::string ufrag(RTC_CANDIDATE_MAX_UFRAG, 'u');
  rtc_candidate u =
      Parse("candidate:1 1 udp 1 192.0.2.1 9 typ host ufrag " + ufrag);
  EXPECT_EQ(u.ufrag, ufrag);
}

TEST(CandidateParse, AcceptsPrefixesAndStripsTrailingLineEnd) {
  const std::string value = "1 1 udp 7 192.0.2.1 9 typ host";
  const std::string expected = "candidate:" + value;
  for (const std::string& text :
       {value, "candidate:" + value, "a=candidate:" + value,
        "a=candidate:" + value + "\r\n", "candidate:" + value + "\n",
        "candidate:" + value + " \t \r\n"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Format(Parse(text)), expected);
  }
}

TEST(CandidateParse, ExtensionsUpToTheLimitAreKept) {
  // " x " + value: fill exactly RTC_CANDIDATE_MAX_EXTENSIONS bytes.
  std::string value(RTC_CANDIDATE_MAX_EXTENSIONS - 3, 'v');
  rtc_candidate c =
      Parse("candidate:1 1 udp 1 192.0.2.1 9 typ host x " + value);
  EXPECT_EQ(strlen(c.extensions), size_t{RTC_CANDIDATE_MAX_EXTENSIONS});
  ExpectSameCandidate(c, Parse(Format(c)));
}

// ---------------------------------------------------------------------------
// Errors

struct BadCase {
  std::string text;
  const char* message;  // a part of info.message
};

std::vector<BadCase> BadCases() {
  const std::string v = "candidate:1 1 udp 7 ";
  const std::string host = "candidate:1 1 udp 7 192.0.2.1 9 typ host";
  const std::string tcp = "candidate:1 1 tcp 7 192.0.2.1 9 typ host";
  const std::string srflx = "candidate:1 1 udp 7 192.0.2.1 9 typ srflx";
  return {
      // Missing fields.
      {"", "empty candidate"},
      {"candidate:", "empty candidate"},
      {"a=candidate:\r\n", "empty candidate"},
      {"candidate:1", "ends before the component-id"},
      {"candidate:1 1", "ends before the transport"},
      {"candidate:1 1 udp", "ends before the priority"},
      {"candidate:1 1 udp 7", "ends before the connection address"},
      {v + "192.0.2.1", "ends before the port"},
      {v + "192.0.2.1 9", "ends before the 'typ'"},
      {v + "192.0.2.1 9 typ", "ends before the candidate type"},
      // Separators.
      {"candidate:1  1 udp 7 192.0.2.1 9 typ host", "extra space"},
      {" candidate:1 1 udp 7 192.0.2.1 9 typ host", "extra space"},
      {"candidate: 1 1 udp 7 192.0.2.1 9 typ host", "extra space"},
      {"candidate:1\t1 udp 7 192.0.2.1 9 typ host", "foundation"},
      {host + "  generation 0", "extra space"},
      // Prefixes.
      {"a=ice-ufrag:abcd", "not a=candidate:"},
      {"A=candidate:1 1 udp 7 192.0.2.1 9 typ host", "foundation"},
      {"Candidate:1 1 udp 7 192.0.2.1 9 typ host", "foundation"},
      // Foundation.
      {"candidate:" + std::string(33, 'f') + " 1 udp 7 192.0.2.1 9 typ host",
       "33 characters long"},
      {"candidate:ab-c 1 udp 7 192.0.2.1 9 typ host", "foundation 'ab-c'"},
      {"candidate:a_b 1 udp 7 192.0.2.1 9 typ host", "foundation"},
      {"candidate:a:b 1 udp 7 192.0.2.1 9 typ host", "foundation"},
      {"candidate:\xc3\xa9 1 udp 7 192.0.2.1 9 typ host", "foundation '?\?'"},
      // Component.
      {"candidate:1 x udp 7 192.0.2.1 9 typ host", "component-id 'x'"},
      {"candidate:1 0 udp 7 192.0.2.1 9 typ host", "component-id '0'"},
      {"candidate:1 257 udp 7 192.0.2.1 9 typ host", "component-id '257'"},
      {"candidate:1 0001 udp 7 192.0.2.1 9 typ host", "component-id"},
      {"candidate:1 -1 udp 7 192.0.2.1 9 typ host", "component-id"},
      {"candidate:1 +1 udp 7 192.0.2.1 9 typ host", "component-id"},
      // Transport.
      {"candidate:1 1 sctp 7 192.0.2.1 9 typ host",
       "unsupported transport 'sctp'"},
      {"candidate:1 1 tls 7 192.0.2.1 9 typ host", "unsupported transport"},
      {"candidate:1 1 udpx 7 192.0.2.1 9 typ host", "unsupported transport"},
      // Priority.
      {"candidate:1 1 udp 4294967296 192.0.2.1 9 typ host",
       "priority '4294967296'"},
      {"candidate:1 1 udp 99999999999 192.0.2.1 9 typ host", "priority"},
      {"candidate:1 1 udp -1 192.0.2.1 9 typ host", "priority"},
      {"candidate:1 1 udp 1e5 192.0.2.1 9 typ host", "priority"},
      // Port.
      {v + "192.0.2.1 65536 typ host", "port '65536'"},
      {v + "192.0.2.1 123456 typ host", "port"},
      {v + "192.0.2.1 -9 typ host", "port"},
      {v + "192.0.2.1 9a typ host", "port '9a'"},
      // Connection address.
      {v + "192.0.2.256 9 typ host", "not a valid IPv4 address"},
      {v + "192.0.2 9 typ host", "not a valid IPv4 address"},
      {v + "::g 9 typ host", "not a valid IPv6 address"},
      {v + "1:2:3:4:5:6:7:8:9 9 typ host", "not a valid IPv6 address"},
      {v + "[::1] 9 typ host", "bracketed"},
      {v + "fe80::1%eth0 9 typ host", "zone index"},
      {v + "fe80::1%1 9 typ host", "zone index"},
      {v + "192.0.2.1:9 9 typ host", "IPv6"},
      {v + "foo_bar.local 9 typ host", "letters, digits, '-' and '.'"},
      {v + "foo..local 9 typ host", "empty label"},
      {v + ".local 9 typ host", "empty label"},
      {v + "foo.local. 9 typ host", "empty label"},
      {v + "-foo.local 9 typ host", "starts or ends with '-'"},
      {v + "foo-.local 9 typ host", "starts or ends with '-'"},
      {v + std::string(64, 'a') + ".local 9 typ host", "label longer than 63"},
      {v + std::string(63, 'a') + "." + std::string(63, 'a') + "." +
           std::string(63, 'a') + "." + std::string(62, 'a') + " 9 typ host",
       "longer than 253"},
      {v + "host.123 9 typ host", "all-numeric label"},
      {v + "h\xc3\xb6st.local 9 typ host", "host name"},
      // typ and the type.
      {v + "192.0.2.1 9 host", "expected 'typ' after the port, found 'host'"},
      {v + "192.0.2.1 9 type host", "expected 'typ'"},
      {v + "192.0.2.1 9 TYP host", "expected 'typ'"},
      {v + "192.0.2.1 9 typ hst", "unknown candidate type 'hst'"},
      {v + "192.0.2.1 9 typ HOST", "unknown candidate type"},
      {host + " typ relay", "'typ' is only allowed once"},
      // raddr / rport.
      {srflx + " raddr 10.0.0.1", "raddr without rport"},
      {srflx + " raddr 10.0.0.1 generation 0", "raddr without rport"},
      {srflx + " raddr", "ends before the related address"},
      {srflx + " rport 5000", "rport without raddr"},
      {srflx + " raddr 10.0.0.1 rport", "ends before the related port"},
      {srflx + " raddr 10.0.0.1 rport 70000", "related port '70000'"},
      {srflx + " raddr 10.0.0.256 rport 1", "related address '10.0.0.256'"},
      {srflx + " raddr 10.0.0.1 rport 1 raddr 10.0.0.2 rport 2",
       "'raddr' is only allowed once"},
      {srflx + " generation 0 raddr 10.0.0.1 rport 1",
       "'raddr' is only allowed once, right after the candidate type"},
      {srflx + " rport 1 raddr 10.0.0.1", "rport without raddr"},
      // Extensions.
      {host + " generation", "extension 'generation' has no value"},
      {host + " foo", "extension 'foo' has no value"},
      {host + " generation 0 network-id", "'network-id' has no value"},
      {host + " generation 0 generation 1",
       "'generation' appears more than once"},
      {host + " ufrag abcd ufrag efgh", "'ufrag' appears more than once"},
      {host + " network-id 1 network-id 1",
       "'network-id' appears more than once"},
      {host + " network-cost 1 network-cost 1",
       "'network-cost' appears more than once"},
      {tcp + " tcptype active tcptype passive",
       "'tcptype' appears more than once"},
      {tcp + " tcptype sideways", "tcptype 'sideways'"},
      {tcp + " tcptype ACTIVE", "tcptype 'ACTIVE'"},
      {host + " tcptype active", "not TCP"},
      {host + " generation -1", "generation '-1'"},
      {host + " generation x", "generation 'x'"},
      {host + " generation 2147483648", "generation '2147483648'"},
      {host + " network-id 1.5", "network-id '1.5'"},
      {host + " network-cost 99999999999", "network-cost"},
      {host + " ufrag ab-c", "ufrag 'ab-c'"},
      {host + " ufrag " + std::string(RTC_CANDIDATE_MAX_UFRAG + 1, 'u'),
       "257 characters long"},
      {host + " gen(eration 0", "extension name 'gen(eration'"},
      {host + " foo ba\x01r", "value 'ba?r' of extension 'foo'"},
      {host + " foo ba\x7fr", "not a visible character"},
      {host + " foo \xff", "not a visible character"},
      {host + " foo\tbar baz", "extension name"},
      {host + " foo bar\tbaz", "not a visible character"},
      {host + " x " + std::string(RTC_CANDIDATE_MAX_EXTENSIONS - 2, 'v'),
       "unknown extensions take more than 512 bytes"},
  };
}

TEST(CandidateParse, RejectsMalformedCandidatesWithAHelpfulMessage) {
  rtc_candidate initial;
  rtc_candidate_init(&initial);
  for (const BadCase& bc : BadCases()) {
    SCOPED_TRACE(bc.text);
    rtc_candidate c;
    memset(&c, 0x5a, sizeof(c));
    rtc_error_info info;
    rtc_error_info_init(&info);
    EXPECT_EQ(rtc_candidate_parse(bc.text.data(), bc.text.size(), &c, &info),
              RTC_ERR_SYNTAX);
    EXPECT_EQ(info.code, RTC_ERR_SYNTAX);
    EXPECT_NE(std::string(info.message).find(bc.message), std::string::npos)
        << "message: " << info.message;
    // `out` is reset.
    EXPECT_EQ(memcmp(&c, &initial, sizeof(c)), 0);
  }
}

TEST(CandidateParse, RejectsWithoutInfo) {
  for (const BadCase& bc : BadCases()) {
    SCOPED_TRACE(bc.text);
    rtc_candidate c;
    EXPECT_EQ(rtc_candidate_parse(bc.text.data(), bc.text.size(), &c, nullptr),
              RTC_ERR_SYNTAX);
  }
}

TEST(CandidateParse, LeavesInfoUntouchedOnSuccess) {
  rtc_error_info info;
  rtc_error_info_init(&info);
  rtc_candidate c;
  std::string text = "candidate:1 1 udp 7 192.0.2.1 9 typ host";
  EXPECT_EQ(rtc_candidate_parse(text.data(), text.size(), &c, &info), RTC_OK);
  EXPECT_EQ(info.code, RTC_OK);
  EXPECT_STREQ(info.message, "");
}

TEST(CandidateParse, RejectsEmbeddedNul) {
  std::string text("candidate:1 1 udp 7 192.0.2.1 9 typ host", 40);
  ASSERT_EQ(Format(Parse(text)), text);
  for (size_t at : {size_t{0}, size_t{12}, text.size() - 1, text.size()}) {
    std::string bad = text;
    if (at == text.size())
      bad.push_back('\0');
    else
      bad[at] = '\0';
    rtc_candidate c;
    rtc_error_info info;
    rtc_error_info_init(&info);
    EXPECT_EQ(rtc_candidate_parse(bad.data(), bad.size(), &c, &info),
              RTC_ERR_SYNTAX);
    EXPECT_EQ(std::string(info.message),
              "NUL byte at offset " + std::to_string(at));
  }
}

TEST(CandidateParse, ReadsOnlyLenBytes) {
  std::string text = "candidate:1 1 udp 7 192.0.2.1 9 typ host generation 0";
  rtc_candidate c;
  // The first 40 bytes are a complete candidate without the extension.
  EXPECT_EQ(rtc_candidate_parse(text.data(), 40, &c, nullptr), RTC_OK);
  EXPECT_EQ(c.generation, -1);
  // A cut in the middle of a field is that field's value.
  EXPECT_EQ(rtc_candidate_parse(text.data(), 39, &c, nullptr), RTC_ERR_SYNTAX);
  EXPECT_EQ(rtc_candidate_parse(nullptr, 0, &c, nullptr), RTC_ERR_SYNTAX);
}

TEST(CandidateParse, RejectsLinesLongerThanTheLimit) {
  std::string base = "candidate:1 1 udp 7 192.0.2.1 9 typ host";
  // Padding made of unknown extensions would also overflow `extensions`;
  // leading zeros would overflow digit limits. Only the length check sees
  // a line this long first.
  std::string text = base + " x " + std::string(RTC_CANDIDATE_MAX_LENGTH, 'v');
  rtc_candidate c;
  rtc_error_info info;
  rtc_error_info_init(&info);
  EXPECT_EQ(rtc_candidate_parse(text.data(), text.size(), &c, &info),
            RTC_ERR_SYNTAX);
  EXPECT_NE(std::string(info.message).find("more than 2048"), std::string::npos)
      << info.message;
  // The limit is on the value: prefixes and the line end do not count.
  std::string value(RTC_CANDIDATE_MAX_LENGTH, '1');
  std::string at_limit = "a=candidate:" + value + "\r\n";
  rtc_error_info_init(&info);
  EXPECT_EQ(rtc_candidate_parse(at_limit.data(), at_limit.size(), &c, &info),
            RTC_ERR_SYNTAX);
  EXPECT_NE(std::string(info.message).find("foundation"), std::string::npos)
      << info.message;
  std::string over = "a=candidate:" + value + "1\r\n";
  rtc_error_info_init(&info);
  EXPECT_EQ(rtc_candidate_parse(over.data(), over.size(), &c, &info),
            RTC_ERR_SYNTAX);
  EXPECT_NE(std::string(info.message).find("2049 bytes long"),
            std::string::npos)
      << info.message;
}

// ---------------------------------------------------------------------------
// Formatting

TEST(CandidateFormat, TruncatesSafelyAndReturnsTheFullLength) {
  rtc_candidate c = Parse(
      "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx "
      "raddr 0.0.0.0 rport 0 generation 0 ufrag EEtu network-id 3 "
      "network-cost 10 foo bar");
  const std::string full = Format(c);
  EXPECT_EQ(rtc_candidate_format(&c, nullptr, 0), full.size());
  for (size_t size = 0; size <= full.size() + 2; size++) {
    SCOPED_TRACE(size);
    std::vector<char> buf(size + 1, '#');  // one guard byte
    EXPECT_EQ(rtc_candidate_format(&c, buf.data(), size), full.size());
    EXPECT_EQ(buf[size], '#');
    if (size == 0)
      continue;
    size_t kept = std::min(size - 1, full.size());
    EXPECT_EQ(std::string(buf.data()), full.substr(0, kept));
  }
}

TEST(CandidateFormat, WritesAnInitializedCandidate) {
  rtc_candidate c;
  rtc_candidate_init(&c);
  EXPECT_STREQ(c.foundation, "");
  EXPECT_EQ(c.component, 1u);
  EXPECT_EQ(c.protocol, RTC_ICE_PROTOCOL_UDP);
  EXPECT_EQ(c.type, RTC_CANDIDATE_HOST);
  EXPECT_EQ(c.address.family, RTC_AF_UNSPEC);
  EXPECT_FALSE(c.has_related);
  EXPECT_EQ(c.tcp_type, RTC_TCP_TYPE_NONE);
  EXPECT_EQ(c.generation, -1);
  EXPECT_EQ(c.network_id, -1);
  EXPECT_EQ(c.network_cost, -1);
  // No address: 0.0.0.0, RFC 8839's placeholder.
  EXPECT_EQ(Format(c), "candidate: 1 udp 0 0.0.0.0 0 typ host");
  snprintf(c.foundation, sizeof(c.foundation), "%s", "7");
  EXPECT_EQ(Format(c), "candidate:7 1 udp 0 0.0.0.0 0 typ host");
}

TEST(CandidateFormat, WritesAFilledInCandidate) {
  rtc_candidate c;
  rtc_candidate_init(&c);
  snprintf(c.foundation, sizeof(c.foundation), "%s", "4242");
  c.component = 2;
  c.protocol = RTC_ICE_PROTOCOL_TCP;
  c.priority = rtc_candidate_priority(RTC_CANDIDATE_RELAY, 1000, 2);
  c.address = Ip("2001:db8::7", 443);
  c.type = RTC_CANDIDATE_RELAY;
  c.has_related = true;
  c.related_address = Ip("198.51.100.1", 50000);
  c.tcp_type = RTC_TCP_TYPE_PASSIVE;
  c.generation = 1;
  snprintf(c.ufrag, sizeof(c.ufrag), "%s", "Ab+/");
  c.network_cost = 900;
  EXPECT_EQ(Format(c),
            "candidate:4242 2 tcp 256254 2001:db8::7 443 typ relay raddr "
            "198.51.100.1 rport 50000 tcptype passive generation 1 ufrag "
            "Ab+/ network-cost 900");
  ExpectSameCandidate(c, Parse(Format(c)));
}

TEST(CandidateFormat, OmitsTheIpv6Zone) {
  rtc_candidate c;
  rtc_candidate_init(&c);
  snprintf(c.foundation, sizeof(c.foundation), "%s", "1");
  c.address = Ip("fe80::1%3", 5000);
  ASSERT_EQ(c.address.scope_id, 3u);
  EXPECT_EQ(Format(c), "candidate:1 1 udp 0 fe80::1 5000 typ host");
}

TEST(CandidateFormat, PrefersTheHostNameAndNeverReadsPastAField) {
  rtc_candidate c;
  rtc_candidate_init(&c);
  c.address = Ip("192.0.2.1", 9);
  snprintf(c.hostname, sizeof(c.hostname), "%s", "x.local");
  // Fields without their NUL are cut at the array's end.
  memset(c.foundation, 'F', sizeof(c.foundation));
  memset(c.ufrag, 'u', sizeof(c.ufrag));
  std::string s = Format(c);
  EXPECT_EQ(
      s.compare(0, 10 + sizeof(c.foundation) + 1,
                "candidate:" + std::string(sizeof(c.foundation), 'F') + " "),
      0)
      << s;
  EXPECT_NE(s.find(" x.local 9 typ host"), std::string::npos) << s;
  EXPECT_NE(s.find(" ufrag " + std::string(sizeof(c.ufrag), 'u')),
            std::string::npos);
}

// ---------------------------------------------------------------------------
// Names and mDNS

TEST(CandidateNames, NamesEveryEnumValue) {
  EXPECT_STREQ(rtc_candidate_type_name(RTC_CANDIDATE_HOST), "host");
  EXPECT_STREQ(rtc_candidate_type_name(RTC_CANDIDATE_SRFLX), "srflx");
  EXPECT_STREQ(rtc_candidate_type_name(RTC_CANDIDATE_PRFLX), "prflx");
  EXPECT_STREQ(rtc_candidate_type_name(RTC_CANDIDATE_RELAY), "relay");
  EXPECT_STREQ(rtc_candidate_type_name(static_cast<rtc_candidate_type>(9)),
               "unknown");
  EXPECT_STREQ(rtc_ice_protocol_name(RTC_ICE_PROTOCOL_UDP), "udp");
  EXPECT_STREQ(rtc_ice_protocol_name(RTC_ICE_PROTOCOL_TCP), "tcp");
  EXPECT_STREQ(rtc_ice_protocol_name(static_cast<rtc_ice_protocol>(9)),
               "unknown");
  EXPECT_STREQ(rtc_tcp_type_name(RTC_TCP_TYPE_NONE), "");
  EXPECT_STREQ(rtc_tcp_type_name(RTC_TCP_TYPE_ACTIVE), "active");
  EXPECT_STREQ(rtc_tcp_type_name(RTC_TCP_TYPE_PASSIVE), "passive");
  EXPECT_STREQ(rtc_tcp_type_name(RTC_TCP_TYPE_SO), "so");
  EXPECT_STREQ(rtc_tcp_type_name(static_cast<rtc_tcp_type>(9)), "unknown");
}

TEST(CandidateMdns, RecognizesDotLocalNamesInAnyCase) {
  struct {
    const char* hostname;
    bool mdns;
  } cases[] = {
      {"1f4712db-ea17-4bcf-a596-105139dfd8bf.local", true},
      {"x.local", true},
      {"X.LOCAL", true},
      {"a.b.LoCaL", true},
      {"local", false},
      {".local", false},
      {"xlocal", false},
      {"x.local.example", false},
      {"x.locale", false},
      {"", false},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.hostname);
    rtc_candidate c;
    rtc_candidate_init(&c);
    snprintf(c.hostname, sizeof(c.hostname), "%s", tc.hostname);
    EXPECT_EQ(rtc_candidate_is_mdns(&c), tc.mdns);
  }
  // An IP address is never mDNS.
  rtc_candidate ip = Parse("candidate:1 1 udp 1 ::1 9 typ host");
  EXPECT_FALSE(rtc_candidate_is_mdns(&ip));
}

// ---------------------------------------------------------------------------
// Priorities

TEST(CandidatePriority, UsesTheRecommendedTypePreferences) {
  EXPECT_EQ(rtc_candidate_type_preference(RTC_CANDIDATE_HOST), 126u);
  EXPECT_EQ(rtc_candidate_type_preference(RTC_CANDIDATE_PRFLX), 110u);
  EXPECT_EQ(rtc_candidate_type_preference(RTC_CANDIDATE_SRFLX), 100u);
  EXPECT_EQ(rtc_candidate_type_preference(RTC_CANDIDATE_RELAY), 0u);
}

TEST(CandidatePriority, ComputesTheFormula) {
  struct {
    rtc_candidate_type type;
    uint32_t local_preference;
    uint32_t component;
    uint32_t priority;
  } cases[] = {
      {RTC_CANDIDATE_HOST, 65535, 1, (126u << 24) + (65535u << 8) + 255},
      {RTC_CANDIDATE_HOST, 0, 256, 126u << 24},
      {RTC_CANDIDATE_PRFLX, 1, 2, (110u << 24) + 256 + 254},
      {RTC_CANDIDATE_SRFLX, 65535, 1, 1694498815u},  // RFC 8839 §5.1 example
      {RTC_CANDIDATE_RELAY, 0, 1, 255},
      {RTC_CANDIDATE_RELAY, 0, 256, 0},
      {RTC_CANDIDATE_RELAY, 65535, 1, 16777215},
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(
        rtc_candidate_priority(tc.type, tc.local_preference, tc.component),
        tc.priority);
  }
}

TEST(CandidatePriority, MatchesFixturesThatFollowTheFormula) {
  // UDP host candidates from the fixtures: priority, the local preference
  // it encodes, component. (TCP ones use other type preferences: Chrome 90,
  // Firefox 125.)
  struct {
    const char* who;
    uint32_t priority;
    uint32_t local_preference;
    uint32_t component;
  } cases[] = {
      {"aiortc", 2130706431u, 65535, 1},
      {"chromium loopback", 2122260223u, 32542, 1},
      {"chromium 198.18.0.1", 2122194687u, 32286, 1},
      {"firefox 127.0.0.1", 2122121471u, 32000, 1},
      {"firefox ::1", 2122187007u, 32256, 1},
      {"firefox 198.18.0.1", 2122252543u, 32512, 1},
      {"firefox RTCP", 2122121470u, 32000, 2},
      {"firefox ::1 RTCP", 2122187006u, 32256, 2},
      {"wrtc ::1", 2122202367u, 32316, 1},
      {"wrtc 127.0.0.1", 2122129151u, 32030, 1},
      {"werift", 2116026367u, 8191, 1},
      {"libdatachannel", 2114977791u, 4095, 1},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.who);
    EXPECT_EQ(tc.priority >> 24, 126u);
    EXPECT_EQ(rtc_candidate_priority(RTC_CANDIDATE_HOST, tc.local_preference,
                                     tc.component),
              tc.priority);
  }
}

TEST(CandidatePriority, ClampsOutOfRangeArguments) {
  EXPECT_EQ(rtc_candidate_priority(RTC_CANDIDATE_HOST, 65536, 1),
            rtc_candidate_priority(RTC_CANDIDATE_HOST, 65535, 1));
  EXPECT_EQ(rtc_candidate_priority(RTC_CANDIDATE_RELAY, UINT32_MAX, 1),
            16777215u);  // never spills into the type preference
  EXPECT_EQ(rtc_candidate_priority(RTC_CANDIDATE_HOST, 0, 0),
            rtc_candidate_priority(RTC_CANDIDATE_HOST, 0, 1));
  EXPECT_EQ(rtc_candidate_priority(RTC_CANDIDATE_HOST, 7, 257),
            rtc_candidate_priority(RTC_CANDIDATE_HOST, 7, 256));
  EXPECT_EQ(rtc_candidate_priority(RTC_CANDIDATE_HOST, 7, UINT32_MAX),
            rtc_candidate_priority(RTC_CANDIDATE_HOST, 7, 256));
}

TEST(CandidatePriority, OrdersTypesAboveAnyLocalPreference) {
  EXPECT_GT(rtc_candidate_priority(RTC_CANDIDATE_HOST, 0, 256),
            rtc_candidate_priority(RTC_CANDIDATE_PRFLX, 65535, 1));
  EXPECT_GT(rtc_candidate_priority(RTC_CANDIDATE_PRFLX, 0, 256),
            rtc_candidate_priority(RTC_CANDIDATE_SRFLX, 65535, 1));
  EXPECT_GT(rtc_candidate_priority(RTC_CANDIDATE_SRFLX, 0, 256),
            rtc_candidate_priority(RTC_CANDIDATE_RELAY, 65535, 1));
  EXPECT_GT(rtc_candidate_priority(RTC_CANDIDATE_HOST, 1, 256),
            rtc_candidate_priority(RTC_CANDIDATE_HOST, 0, 1));
}

TEST(CandidatePairPriority, ComputesTheFormula) {
  const uint64_t k32 = uint64_t{1} << 32;
  struct {
    uint32_t g, d;
    uint64_t expected;
  } cases[] = {
      {1, 1, k32 + 2},
      {0, 0, 0},
      {5, 3, 3 * k32 + 10 + 1},  // G > D
      {3, 5, 3 * k32 + 10},      // G < D
      {2130706431u, 2130706431u, 2130706431u * k32 + 2 * 2130706431u},
      // The largest RFC 8839 priorities (2^31 - 1).
      {0x7fffffffu, 0x7fffffffu, 0x7fffffffu * k32 + 2 * uint64_t{0x7fffffff}},
      {UINT32_MAX, 0, 2 * uint64_t{UINT32_MAX} + 1},
      {0, UINT32_MAX, 2 * uint64_t{UINT32_MAX}},
      {UINT32_MAX, 1, k32 + 2 * uint64_t{UINT32_MAX} + 1},
      // Exactly UINT64_MAX without saturating.
      {UINT32_MAX, UINT32_MAX - 1, UINT64_MAX},
      {UINT32_MAX - 1, UINT32_MAX, UINT64_MAX - 1},
      // The one input whose value does not fit: saturated.
      {UINT32_MAX, UINT32_MAX, UINT64_MAX},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(testing::Message() << tc.g << " " << tc.d);
    EXPECT_EQ(rtc_candidate_pair_priority(tc.g, tc.d), tc.expected);
  }
}

TEST(CandidatePairPriority, ControllingSideBreaksTiesByOne) {
  for (uint32_t a : {1u, 100u, 2122260223u, 0x7fffffffu}) {
    for (uint32_t b : {2u, 99u, 1677729535u}) {
      if (a == b)
        continue;
      uint32_t hi = a > b ? a : b, lo = a > b ? b : a;
      EXPECT_EQ(rtc_candidate_pair_priority(hi, lo),
                rtc_candidate_pair_priority(lo, hi) + 1);
    }
  }
  EXPECT_EQ(rtc_candidate_pair_priority(77, 77),
            rtc_candidate_pair_priority(77, 77));
}

TEST(CandidatePairPriority, OrdersPairsByTheirWorseCandidateFirst) {
  // MIN dominates: (high, low) ranks below (mid, mid).
  EXPECT_LT(rtc_candidate_pair_priority(0x7fffffffu, 10),
            rtc_candidate_pair_priority(11, 11));
}

// ---------------------------------------------------------------------------
// Foundations

std::string Foundation(rtc_candidate_type type,
                       rtc_ice_protocol protocol,
                       const rtc_socket_address& base,
                       const rtc_socket_address* server) {
  char out[RTC_CANDIDATE_MAX_FOUNDATION + 1];
  memset(out, '#', sizeof(out));
  rtc_candidate_foundation(type, protocol, &base, server, out);
  return out;
}

TEST(CandidateFoundation, IsADecimalStringOfAtMostTenDigits) {
  rtc_socket_address base = Ip("192.0.2.1", 5000);
  std::string f =
      Foundation(RTC_CANDIDATE_HOST, RTC_ICE_PROTOCOL_UDP, base, nullptr);
  EXPECT_GE(f.size(), 1u);
  EXPECT_LE(f.size(), 10u);
  EXPECT_EQ(f.find_first_not_of("0123456789"), std::string::npos) << f;
  // Usable in a candidate line.
  rtc_candidate c = Parse("candidate:" + f + " 1 udp 1 192.0.2.1 9 typ host");
  EXPECT_EQ(c.foundation, f);
}

TEST(CandidateFoundation, IsDeterministicAndIgnoresTheBasePort) {
  rtc_socket_address server = Ip("198.51.100.1", 3478);
  EXPECT_EQ(Foundation(RTC_CANDIDATE_SRFLX, RTC_ICE_PROTOCOL_UDP,
                       Ip("192.0.2.1", 5000), &server),
            Foundation(RTC_CANDIDATE_SRFLX, RTC_ICE_PROTOCOL_UDP,
                       Ip("192.0.2.1", 6000), &server));
  EXPECT_EQ(Foundation(RTC_CANDIDATE_HOST, RTC_ICE_PROTOCOL_TCP,
                       Ip("2001:db8::1", 1), nullptr),
            Foundation(RTC_CANDIDATE_HOST, RTC_ICE_PROTOCOL_TCP,
                       Ip("2001:db8::1", 2), nullptr));
}

TEST(CandidateFoundation, DiffersWhenAnyInputDiffers) {
  rtc_socket_address base = Ip("192.0.2.1", 5000);
  rtc_socket_address server = Ip("198.51.100.1", 3478);
  rtc_socket_address other_port = Ip("198.51.100.1", 3479);
  rtc_socket_address other_server = Ip("198.51.100.2", 3478);
  std::string f =
      Foundation(RTC_CANDIDATE_SRFLX, RTC_ICE_PROTOCOL_UDP, base, &server);
  EXPECT_NE(
      f, Foundation(RTC_CANDIDATE_RELAY, RTC_ICE_PROTOCOL_UDP, base, &server));
  EXPECT_NE(
      f, Foundation(RTC_CANDIDATE_SRFLX, RTC_ICE_PROTOCOL_TCP, base, &server));
  EXPECT_NE(f, Foundation(RTC_CANDIDATE_SRFLX, RTC_ICE_PROTOCOL_UDP,
                          Ip("192.0.2.2", 5000), &server));
  EXPECT_NE(f, Foundation(RTC_CANDIDATE_SRFLX, RTC_ICE_PROTOCOL_UDP, base,
                          &other_port));
  EXPECT_NE(f, Foundation(RTC_CANDIDATE_SRFLX, RTC_ICE_PROTOCOL_UDP, base,
                          &other_server));
  EXPECT_NE(
      f, Foundation(RTC_CANDIDATE_SRFLX, RTC_ICE_PROTOCOL_UDP, base, nullptr));
  // IPv4 vs its IPv4-mapped IPv6 form, and the zone of a link-local base.
  EXPECT_NE(Foundation(RTC_CANDIDATE_HOST, RTC_ICE_PROTOCOL_UDP, base, nullptr),
            Foundation(RTC_CANDIDATE_HOST, RTC_ICE_PROTOCOL_UDP,
                       Ip("::ffff:192.0.2.1", 5000), nullptr));
  EXPECT_NE(Foundation(RTC_CANDIDATE_HOST, RTC_ICE_PROTOCOL_UDP,
                       Ip("fe80::1%1"), nullptr),
            Foundation(RTC_CANDIDATE_HOST, RTC_ICE_PROTOCOL_UDP,
                       Ip("fe80::1%2"), nullptr));
}

TEST(CandidateFoundation, ThousandsOfDistinctInputsGiveDistinctFoundations) {
  std::vector<rtc_socket_address> bases;
  for (int i = 0; i < 256; i++)
    bases.push_back(Ip("192.0.2." + std::to_string(i), 1000));
  for (int i = 0; i < 64; i++) {
    std::ostringstream s;
    s << "2001:db8::" << std::hex << (i + 1);
    bases.push_back(Ip(s.str(), 1000));
  }
  rtc_socket_address servers[] = {Ip("198.51.100.1", 3478),
                                  Ip("198.51.100.1", 3479),
                                  Ip("198.51.100.2", 3478)};
  std::set<std::string> seen;
  size_t inputs = 0;
  for (rtc_candidate_type type : {RTC_CANDIDATE_HOST, RTC_CANDIDATE_SRFLX,
                                  RTC_CANDIDATE_PRFLX, RTC_CANDIDATE_RELAY}) {
    for (rtc_ice_protocol protocol :
         {RTC_ICE_PROTOCOL_UDP, RTC_ICE_PROTOCOL_TCP}) {
      for (const rtc_socket_address& base : bases) {
        seen.insert(Foundation(type, protocol, base, nullptr));
        inputs++;
        for (const rtc_socket_address& server : servers) {
          seen.insert(Foundation(type, protocol, base, &server));
          inputs++;
        }
      }
    }
  }
  EXPECT_EQ(inputs, 4u * 2u * 320u * 4u);
  EXPECT_EQ(seen.size(), inputs);
}

}  // namespace
