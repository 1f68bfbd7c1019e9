// Tests of the DCEP codec (RFC 8832): DATA_CHANNEL_OPEN and
// DATA_CHANNEL_ACK, built and parsed, and every way a hostile message can
// be malformed.

#include "pc/dcep.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

// The strings must outlive the result: pass literals or named strings.
rtc_dcep_open Open(rtc_dcep_channel_type type,
                   uint16_t priority,
                   uint32_t reliability,
                   const char* label,
                   const char* protocol) {
  rtc_dcep_open open;
  std::memset(&open, 0, sizeof(open));
  open.channel_type = type;
  open.priority = priority;
  open.reliability = reliability;
  open.label = label;
  open.label_len = std::strlen(label);
  open.protocol = protocol;
  open.protocol_len = std::strlen(protocol);
  return open;
}

std::vector<uint8_t> Build(const rtc_dcep_open& open) {
  std::vector<uint8_t> buf(12 + open.label_len + open.protocol_len);
  size_t len = 0;
  EXPECT_EQ(rtc_dcep_build_open(&open, buf.data(), buf.size(), &len), RTC_OK);
  EXPECT_EQ(len, buf.size());
  return buf;
}

rtc_error Parse(const std::vector<uint8_t>& bytes,
                uint8_t* type,
                rtc_dcep_open* open) {
  return rtc_dcep_parse(bytes.data(), bytes.size(), type, open);
}

// An OPEN as Chrome sends it for createDataChannel("chat") with
// {ordered: false, maxRetransmits: 3, protocol: "json"}.
const std::vector<uint8_t> kChromeOpen = {
    0x03, 0x81, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x04,
    0x00, 0x04, 'c',  'h',  'a',  't',  'j',  's',  'o',  'n'};

TEST(DcepTest, AckByteIsTwo) {
  EXPECT_EQ(rtc_dcep_ack_byte(), 0x02);
}

TEST(DcepTest, ParsesAck) {
  uint8_t type = 0;
  std::vector<uint8_t> ack = {rtc_dcep_ack_byte()};
  EXPECT_EQ(Parse(ack, &type, nullptr), RTC_OK);
  EXPECT_EQ(type, RTC_DCEP_ACK);
}

TEST(DcepTest, AcceptsAckWithTrailingBytes) {
  uint8_t type = 0;
  EXPECT_EQ(Parse({0x02, 0x00, 0x55}, &type, nullptr), RTC_OK);
  EXPECT_EQ(type, RTC_DCEP_ACK);
}

TEST(DcepTest, ParsesChromeOpen) {
  uint8_t type = 0;
  rtc_dcep_open open;
  ASSERT_EQ(Parse(kChromeOpen, &type, &open), RTC_OK);
  EXPECT_EQ(type, RTC_DCEP_OPEN);
  EXPECT_EQ(open.channel_type, RTC_DCEP_PARTIAL_RELIABLE_REXMIT_UNORDERED);
  EXPECT_EQ(open.priority, 256);
  EXPECT_EQ(open.reliability, 3u);
  EXPECT_EQ(std::string(open.label, open.label_len), "chat");
  EXPECT_EQ(std::string(open.protocol, open.protocol_len), "json");
}

TEST(DcepTest, BuildsOpenInRfcLayout) {
  rtc_dcep_open open =
      Open(RTC_DCEP_PARTIAL_RELIABLE_REXMIT_UNORDERED, 256, 3, "chat", "json");
  EXPECT_EQ(Build(open), kChromeOpen);
}

TEST(DcepTest, WritesPriorityAndReliabilityBigEndian) {
  std::string label = "a", protocol;
  rtc_dcep_open open = Open(RTC_DCEP_PARTIAL_RELIABLE_TIMED, 0x1234, 0xA1B2C3D4,
                            label.c_str(), protocol.c_str());
  std::vector<uint8_t> bytes = Build(open);
  ASSERT_EQ(bytes.size(), 13u);
  EXPECT_EQ(bytes[1], 0x02);
  EXPECT_EQ(bytes[2], 0x12);
  EXPECT_EQ(bytes[3], 0x34);
  EXPECT_EQ(bytes[4], 0xA1);
  EXPECT_EQ(bytes[5], 0xB2);
  EXPECT_EQ(bytes[6], 0xC3);
  EXPECT_EQ(bytes[7], 0xD4);
  EXPECT_EQ(bytes[8], 0x00);
  EXPECT_EQ(bytes[9], 0x01);
  EXPECT_EQ(bytes[10], 0x00);
  EXPECT_EQ(bytes[11], 0x00);
  EXPECT_EQ(bytes[12], 'a');
}

TEST(DcepTest, RoundTripsEveryChannelType) {
  const rtc_dcep_channel_type types[] = {
      RTC_DCEP_RELIABLE,
      RTC_DCEP_PARTIAL_RELIABLE_REXMIT,
      RTC_DCEP_PARTIAL_RELIABLE_TIMED,
      RTC_DCEP_RELIABLE_UNORDERED,
      RTC_DCEP_PARTIAL_RELIABLE_REXMIT_UNORDERED,
      RTC_DCEP_PARTIAL_RELIABLE_TIMED_UNORDERED,
  };
  std::string label = "label \xc3\xa9", protocol = "proto";
  uint16_t priority = 128;
  for (rtc_dcep_channel_type t : types) {
    SCOPED_TRACE(static_cast<int>(t));
    rtc_dcep_open in =
        Open(t, priority, 1000u + priority, label.c_str(), protocol.c_str());
    std::vector<uint8_t> bytes = Build(in);
    uint8_t type = 0;
    rtc_dcep_open out;
    ASSERT_EQ(Parse(bytes, &type, &out), RTC_OK);
    EXPECT_EQ(type, RTC_DCEP_OPEN);
    EXPECT_EQ(out.channel_type, t);
    EXPECT_EQ(out.priority, priority);
    EXPECT_EQ(out.reliability, 1000u + priority);
    EXPECT_EQ(std::string(out.label, out.label_len), label);
    EXPECT_EQ(std::string(out.protocol, out.protocol_len), protocol);
    priority = static_cast<uint16_t>(priority * 2);
  }
}

TEST(DcepTest, RoundTripsEmptyAndLongestStrings) {
  for (size_t n : {size_t{0}, size_t{RTC_DCEP_MAX_STRING}}) {
    std::string label(n, 'l'), protocol(n, 'p');
    rtc_dcep_open in =
        Open(RTC_DCEP_RELIABLE, 256, 0, label.c_str(), protocol.c_str());
    std::vector<uint8_t> bytes = Build(in);
    EXPECT_EQ(bytes.size(), 12 + 2 * n);
    uint8_t type = 0;
    rtc_dcep_open out;
    ASSERT_EQ(Parse(bytes, &type, &out), RTC_OK);
    EXPECT_EQ(out.label_len, n);
    EXPECT_EQ(out.protocol_len, n);
    EXPECT_EQ(std::string(out.label, out.label_len), label);
    EXPECT_EQ(std::string(out.protocol, out.protocol_len), protocol);
  }
}

TEST(DcepTest, IgnoresBytesAfterTheStrings) {
  std::vector<uint8_t> bytes = kChromeOpen;
  bytes.push_back(0xEE);
  uint8_t type = 0;
  rtc_dcep_open open;
  ASSERT_EQ(Parse(bytes, &type, &open), RTC_OK);
  EXPECT_EQ(std::string(open.protocol, open.protocol_len), "json");
}

TEST(DcepTest, ParsesOpenWithoutOutputStruct) {
  uint8_t type = 0;
  EXPECT_EQ(Parse(kChromeOpen, &type, nullptr), RTC_OK);
  EXPECT_EQ(type, RTC_DCEP_OPEN);
}

TEST(DcepTest, RejectsEmptyMessage) {
  uint8_t type = 0;
  rtc_dcep_open open;
  EXPECT_EQ(rtc_dcep_parse(nullptr, 0, &type, &open), RTC_ERR_MALFORMED);
  uint8_t byte = 0x03;
  EXPECT_EQ(rtc_dcep_parse(&byte, 0, &type, &open), RTC_ERR_MALFORMED);
}

TEST(DcepTest, RejectsOpenShorterThanItsHeader) {
  for (size_t n = 1; n < 12; n++) {
    SCOPED_TRACE(n);
    std::vector<uint8_t> bytes(kChromeOpen.begin(), kChromeOpen.begin() + n);
    bytes[0] = RTC_DCEP_OPEN;
    uint8_t type = 0;
    rtc_dcep_open open;
    EXPECT_EQ(Parse(bytes, &type, &open), RTC_ERR_MALFORMED);
  }
}

TEST(DcepTest, DC04_RejectsLabelLengthPastTheEnd) {
  std::vector<uint8_t> bytes = kChromeOpen;
  bytes[9] = 9;  // label 9 + protocol 4 > 8 bytes left
  uint8_t type = 0;
  rtc_dcep_open open;
  EXPECT_EQ(Parse(bytes, &type, &open), RTC_ERR_MALFORMED);
  bytes[8] = 0xFF;
  bytes[9] = 0xFF;
  EXPECT_EQ(Parse(bytes, &type, &open), RTC_ERR_MALFORMED);
}

TEST(DcepTest, DC04_RejectsProtocolLengthPastTheEnd) {
  std::vector<uint8_t> bytes = kChromeOpen;
  bytes[11] = 5;  // one byte more than there is
  uint8_t type = 0;
  rtc_dcep_open open;
  EXPECT_EQ(Parse(bytes, &type, &open), RTC_ERR_MALFORMED);
  // A truncated message with correct lengths is short too.
  std::vector<uint8_t> cut(kChromeOpen.begin(), kChromeOpen.end() - 1);
  EXPECT_EQ(Parse(cut, &type, &open), RTC_ERR_MALFORMED);
}

TEST(DcepTest, RejectsUnknownMessageType) {
  for (int t = 0; t < 256; t++) {
    if (t == RTC_DCEP_OPEN || t == RTC_DCEP_ACK)
      continue;
    std::vector<uint8_t> bytes = kChromeOpen;
    bytes[0] = static_cast<uint8_t>(t);
    uint8_t type = 0;
    rtc_dcep_open open;
    EXPECT_EQ(Parse(bytes, &type, &open), RTC_ERR_MALFORMED) << t;
    EXPECT_EQ(Parse({static_cast<uint8_t>(t)}, &type, &open), RTC_ERR_MALFORMED)
        << t;
  }
}

TEST(DcepTest, RejectsUnknownChannelType) {
  for (int t = 0; t < 256; t++) {
    bool known = t == 0x00 || t == 0x01 || t == 0x02 || t == 0x80 ||
                 t == 0x81 || t == 0x82;
    std::vector<uint8_t> bytes = kChromeOpen;
    bytes[1] = static_cast<uint8_t>(t);
    uint8_t type = 0;
    rtc_dcep_open open;
    EXPECT_EQ(Parse(bytes, &type, &open) == RTC_OK, known) << t;
  }
}

TEST(DcepTest, BuildRejectsStringsLongerThanTheLimit) {
  std::string big(RTC_DCEP_MAX_STRING + 1, 'x');
  std::vector<uint8_t> buf(2 * big.size() + 12);
  size_t len = 0;
  rtc_dcep_open open = Open(RTC_DCEP_RELIABLE, 256, 0, big.c_str(), "");
  EXPECT_EQ(rtc_dcep_build_open(&open, buf.data(), buf.size(), &len),
            RTC_ERR_INVALID_ARGUMENT);
  open = Open(RTC_DCEP_RELIABLE, 256, 0, "", big.c_str());
  EXPECT_EQ(rtc_dcep_build_open(&open, buf.data(), buf.size(), &len),
            RTC_ERR_INVALID_ARGUMENT);
}

TEST(DcepTest, BuildRejectsUnknownChannelType) {
  rtc_dcep_open open =
      Open(static_cast<rtc_dcep_channel_type>(0x03), 256, 0, "label", "");
  uint8_t buf[64];
  size_t len = 0;
  EXPECT_EQ(rtc_dcep_build_open(&open, buf, sizeof(buf), &len),
            RTC_ERR_INVALID_ARGUMENT);
}

TEST(DcepTest, BuildReportsTheSizeItNeeds) {
  rtc_dcep_open open =
      Open(RTC_DCEP_PARTIAL_RELIABLE_REXMIT_UNORDERED, 256, 3, "chat", "json");
  uint8_t buf[19];
  size_t len = 0;
  EXPECT_EQ(rtc_dcep_build_open(&open, buf, sizeof(buf), &len),
            RTC_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(len, 20u);
  EXPECT_EQ(rtc_dcep_build_open(&open, nullptr, 0, &len),
            RTC_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(len, 20u);
}

}  // namespace
