// CRC32c for SCTP (pc/sctp_crc32c.h): the check values of RFC 3720
// Appendix B.4, both implementations agreeing with each other and with
// usrsctp's on every length and alignment, and the checksum's place.

#include "pc/sctp_crc32c.h"

#include <gtest/gtest.h>
#include <usrsctp.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace {

TEST(Crc32cTest, MatchesTheIscsiCheckValues) {
  // RFC 3720 Appendix B.4 (as the CRC register, before SCTP's byte order).
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xff), up(32), down(32);
  for (int i = 0; i < 32; i++) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  for (auto fn : {rtc_crc32c, rtc_crc32c_portable}) {
    EXPECT_EQ(fn(zeros.data(), 32), 0x8a9136aau);
    EXPECT_EQ(fn(ones.data(), 32), 0x62a8ab43u);
    EXPECT_EQ(fn(up.data(), 32), 0x46dd794eu);
    EXPECT_EQ(fn(down.data(), 32), 0x113fdb5cu);
    EXPECT_EQ(fn(reinterpret_cast<const uint8_t*>("123456789"), 9),
              0xe3069283u);
    EXPECT_EQ(fn(nullptr, 0), 0u);
  }
}

TEST(Crc32cTest, AgreesWithUsrsctpOnEveryLengthAndAlignment) {
  // Up to 4,000 bytes: the instruction's three streams of 128 bytes join
  // once per 384 bytes, with any tail.
  std::vector<uint8_t> buf(4000 + 8);
  uint32_t x = 12345;
  for (auto& b : buf) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  for (size_t offset = 0; offset < 8; offset++) {
    for (size_t len = 0; len <= 4000; len += (len < 400 ? 1 : 37)) {
      const uint8_t* p = buf.data() + offset;
      uint32_t theirs =
          usrsctp_crc32c(const_cast<uint8_t*>(p), static_cast<size_t>(len));
      // usrsctp returns the value as the packet stores it (little-endian
      // bytes of the CRC): the same number on this machine.
      EXPECT_EQ(rtc_crc32c(p, len), theirs) << offset << " " << len;
      EXPECT_EQ(rtc_crc32c_portable(p, len), theirs) << offset << " " << len;
    }
  }
}

TEST(Crc32cTest, ChecksumGoesInTheCommonHeaderLeastSignificantByteFirst) {
  std::vector<uint8_t> packet(64);
  for (size_t i = 0; i < packet.size(); i++)
    packet[i] = static_cast<uint8_t>(i * 7);
  rtc_sctp_set_checksum(packet.data(), packet.size());
  std::vector<uint8_t> zeroed = packet;
  std::memset(&zeroed[8], 0, 4);
  uint32_t crc = usrsctp_crc32c(zeroed.data(), zeroed.size());
  uint8_t expected[4];
  std::memcpy(expected, &crc, 4);
  EXPECT_EQ(0, std::memcmp(&packet[8], expected, 4));
  EXPECT_EQ(packet[8], static_cast<uint8_t>(rtc_crc32c(zeroed.data(), 64)));
  // Too short for a common header: left alone.
  std::vector<uint8_t> tiny(11, 0xaa);
  rtc_sctp_set_checksum(tiny.data(), tiny.size());
  EXPECT_EQ(tiny, std::vector<uint8_t>(11, 0xaa));
}

}  // namespace
