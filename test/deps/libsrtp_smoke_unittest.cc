// Smoke test of //third_party/libsrtp: SRTP and SRTCP with AEAD_AES_128_GCM
// (RFC 7714), the profile rtcbox negotiates first. Debian builds libsrtp2
// with the NSS crypto backend; GCM must work with it.

#include <srtp2/srtp.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

constexpr size_t kRtpHeaderLength = 12;
constexpr size_t kGcmTagLength = 16;
// RFC 7714 section 9: SRTCP adds the tag after the encrypted part, then the
// 4-byte E flag and SRTCP index.
constexpr size_t kSrtcpTrailerLength = kGcmTagLength + 4;
constexpr uint32_t kSsrc = 0x11223344;

// srtp_init()/srtp_shutdown() bracket every test of the suite, in pairs.
class LibSrtpSmoke : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(srtp_err_status_ok, srtp_init());
    initialized_ = true;

    // 16-byte master key followed by the 12-byte master salt.
    for (size_t i = 0; i < sizeof(key_); ++i) {
      key_[i] = static_cast<uint8_t>(0xa0 + i);
    }
    ASSERT_EQ(srtp_err_status_ok, CreateSession(ssrc_any_outbound, &sender_));
    ASSERT_EQ(srtp_err_status_ok, CreateSession(ssrc_any_inbound, &receiver_));
  }

  void TearDown() override {
    if (sender_ != nullptr) {
      EXPECT_EQ(srtp_err_status_ok, srtp_dealloc(sender_));
    }
    if (receiver_ != nullptr) {
      EXPECT_EQ(srtp_err_status_ok, srtp_dealloc(receiver_));
    }
    if (initialized_) {
      EXPECT_EQ(srtp_err_status_ok, srtp_shutdown());
    }
  }

  srtp_err_status_t CreateSession(srtp_ssrc_type_t direction, srtp_t* out) {
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof(policy));
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    policy.ssrc.type = direction;
    policy.key = key_;
    policy.window_size = 1024;
    policy.allow_repeat_tx = 0;
    policy.next = nullptr;
    return srtp_create(out, &policy);
  }

  // An RTP packet (RFC 3550 section 5.1): V=2, PT=111, the given sequence
  // number, then |payload_length| payload bytes. The vector has room for the
  // SRTP trailer, which srtp_protect() writes after the packet.
  static std::vector<uint8_t> MakeRtpPacket(uint16_t sequence_number,
                                            size_t payload_length) {
    std::vector<uint8_t> packet(kRtpHeaderLength + payload_length +
                                SRTP_MAX_TRAILER_LEN);
    packet[0] = 0x80;
    packet[1] = 111;
    packet[2] = static_cast<uint8_t>(sequence_number >> 8);
    packet[3] = static_cast<uint8_t>(sequence_number);
    const uint32_t timestamp = 960u * sequence_number;
    for (int i = 0; i < 4; ++i) {
      packet[4 + i] = static_cast<uint8_t>(timestamp >> (24 - 8 * i));
      packet[8 + i] = static_cast<uint8_t>(kSsrc >> (24 - 8 * i));
    }
    for (size_t i = 0; i < payload_length; ++i) {
      packet[kRtpHeaderLength + i] = static_cast<uint8_t>(i * 7 + 3);
    }
    return packet;
  }

  bool initialized_ = false;
  uint8_t key_[SRTP_AES_GCM_128_KEY_LEN_WSALT] = {};
  srtp_t sender_ = nullptr;
  srtp_t receiver_ = nullptr;
};

TEST_F(LibSrtpSmoke, AesGcm128RtpRoundTripsAndRejectsTamperedPacket) {
  constexpr size_t kPayloadLength = 160;
  const int plain_length = static_cast<int>(kRtpHeaderLength + kPayloadLength);
  const std::vector<uint8_t> original = MakeRtpPacket(1000, kPayloadLength);

  std::vector<uint8_t> packet = original;
  int length = plain_length;
  ASSERT_EQ(srtp_err_status_ok, srtp_protect(sender_, packet.data(), &length));
  EXPECT_EQ(plain_length + static_cast<int>(kGcmTagLength), length);
  // The header stays in the clear, the payload is encrypted.
  EXPECT_TRUE(std::equal(original.begin(), original.begin() + kRtpHeaderLength,
                         packet.begin()));
  EXPECT_FALSE(std::equal(original.begin() + kRtpHeaderLength,
                          original.begin() + plain_length,
                          packet.begin() + kRtpHeaderLength));

  ASSERT_EQ(srtp_err_status_ok,
            srtp_unprotect(receiver_, packet.data(), &length));
  ASSERT_EQ(plain_length, length);
  EXPECT_TRUE(std::equal(original.begin(), original.begin() + plain_length,
                         packet.begin()));

  // A second packet with one payload bit flipped fails authentication (the
  // first one would be caught earlier, by the replay check).
  std::vector<uint8_t> next = MakeRtpPacket(1001, kPayloadLength);
  int next_length = plain_length;
  ASSERT_EQ(srtp_err_status_ok,
            srtp_protect(sender_, next.data(), &next_length));
  std::vector<uint8_t> tampered = next;
  int tampered_length = next_length;
  tampered[kRtpHeaderLength + 5] ^= 0x01;
  EXPECT_EQ(srtp_err_status_auth_fail,
            srtp_unprotect(receiver_, tampered.data(), &tampered_length));

  // The failure did not advance the replay window: the genuine packet is
  // still accepted.
  EXPECT_EQ(srtp_err_status_ok,
            srtp_unprotect(receiver_, next.data(), &next_length));
  EXPECT_EQ(plain_length, next_length);
}

TEST_F(LibSrtpSmoke, AesGcm128RtcpRoundTrips) {
  // A receiver report with no report blocks (RFC 3550 section 6.4.2):
  // V=2, RC=0, PT=201, length 1 (two 32-bit words), SSRC.
  const std::vector<uint8_t> original = {0x80, 201,  0x00, 0x01,
                                         0x11, 0x22, 0x33, 0x44};
  const int plain_length = static_cast<int>(original.size());
  // srtp_protect_rtcp() may write SRTP_MAX_TRAILER_LEN + 4 bytes after it.
  std::vector<uint8_t> packet(original.size() + SRTP_MAX_TRAILER_LEN + 4);
  std::copy(original.begin(), original.end(), packet.begin());

  int length = plain_length;
  ASSERT_EQ(srtp_err_status_ok,
            srtp_protect_rtcp(sender_, packet.data(), &length));
  EXPECT_EQ(plain_length + static_cast<int>(kSrtcpTrailerLength), length);

  std::vector<uint8_t> tampered(packet.begin(), packet.begin() + length);
  int tampered_length = length;
  tampered[length - 4 - 1] ^= 0x80;  // The tag's last byte.
  EXPECT_EQ(srtp_err_status_auth_fail,
            srtp_unprotect_rtcp(receiver_, tampered.data(), &tampered_length));

  ASSERT_EQ(srtp_err_status_ok,
            srtp_unprotect_rtcp(receiver_, packet.data(), &length));
  ASSERT_EQ(plain_length, length);
  EXPECT_TRUE(std::equal(original.begin(), original.end(), packet.begin()));
}

}  // namespace
