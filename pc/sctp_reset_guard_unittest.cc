// The bound on deferred stream reset requests (pc/sctp_reset_guard.h), on
// hand-made packets.

#include "pc/sctp_reset_guard.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

void Put16(std::vector<uint8_t>& v, uint32_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}
void Put32(std::vector<uint8_t>& v, uint32_t x) {
  Put16(v, x >> 16);
  Put16(v, x & 0xffff);
}

// A packet: the common header (its checksum is not looked at), then the
// chunks.
std::vector<uint8_t> Packet(const std::vector<std::vector<uint8_t>>& chunks) {
  std::vector<uint8_t> p(12, 0);
  for (const auto& c : chunks)
    p.insert(p.end(), c.begin(), c.end());
  return p;
}

std::vector<uint8_t> Chunk(uint8_t type, const std::vector<uint8_t>& value) {
  std::vector<uint8_t> c = {type, 0};
  Put16(c, static_cast<uint32_t>(4 + value.size()));
  c.insert(c.end(), value.begin(), value.end());
  while (c.size() % 4)
    c.push_back(0);
  return c;
}

// RFC 9260 §3.3.4: a SACK with no gaps.
std::vector<uint8_t> Sack(uint32_t cum) {
  std::vector<uint8_t> v;
  Put32(v, cum);
  Put32(v, 1 << 20);
  Put16(v, 0);
  Put16(v, 0);
  return Chunk(3, v);
}

// RFC 9260 §3.3.2: an INIT with the given initial TSN.
std::vector<uint8_t> Init(uint8_t type, uint32_t initial_tsn) {
  std::vector<uint8_t> v;
  Put32(v, 0x1234);  // initiate tag
  Put32(v, 1 << 20);
  Put16(v, 1024);
  Put16(v, 1024);
  Put32(v, initial_tsn);
  return Chunk(type, v);
}

// RFC 6525 §4.1: a RE-CONFIG chunk with one Outgoing SSN Reset Request
// per (sequence number, last TSN).
std::vector<uint8_t> Reconfig(
    const std::vector<std::pair<uint32_t, uint32_t>>& requests) {
  std::vector<uint8_t> v;
  for (const auto& [seq, last_tsn] : requests) {
    Put16(v, 13);
    Put16(v, 18);
    Put32(v, seq);
    Put32(v, 7);  // response sequence number
    Put32(v, last_tsn);
    Put16(v, 1);  // stream 1
    Put16(v, 0);  // padding
  }
  return Chunk(130, v);
}

class SctpResetGuardTest : public testing::Test {
 protected:
  void SetUp() override { rtc_sctp_reset_guard_init(&guard_); }
  bool In(const std::vector<uint8_t>& p) {
    return rtc_sctp_reset_guard_incoming(&guard_, p.data(), p.size());
  }
  void Out(const std::vector<uint8_t>& p) {
    rtc_sctp_reset_guard_outgoing(&guard_, p.data(), p.size());
  }
  rtc_sctp_reset_guard guard_;
};

TEST_F(SctpResetGuardTest, RequestsWhoseTsnArrivedAreNeverCounted) {
  Out(Packet({Sack(5000)}));
  for (uint32_t seq = 1; seq < 1000; seq++)
    EXPECT_TRUE(In(Packet({Reconfig({{seq, 5000 - (seq % 3)}})}))) << seq;
  EXPECT_EQ(guard_.count, 0u);
}

TEST_F(SctpResetGuardTest, OneDeferredRequestTooManyDropsItsPacket) {
  Out(Packet({Sack(5000)}));
  for (uint32_t seq = 1; seq <= RTC_SCTP_MAX_DEFERRED_RESETS; seq++)
    EXPECT_TRUE(In(Packet({Reconfig({{seq, 6000}})}))) << seq;
  EXPECT_FALSE(In(Packet({Reconfig({{100, 6000}})})));
  // Retransmissions of a counted request still pass.
  EXPECT_TRUE(In(Packet({Reconfig({{3, 6000}})})));
  // Once our SACK acknowledges TSN 6000 they are performed: room again.
  Out(Packet({Sack(6000)}));
  EXPECT_EQ(guard_.count, 0u);
  EXPECT_TRUE(In(Packet({Reconfig({{100, 6000}})})));
}

TEST_F(SctpResetGuardTest, APacketOverTheLimitCountsNoneOfItsRequests) {
  Out(Packet({Sack(10)}));
  std::vector<std::pair<uint32_t, uint32_t>> many;
  for (uint32_t seq = 1; seq <= RTC_SCTP_MAX_DEFERRED_RESETS + 1; seq++)
    many.push_back({seq, 20});
  EXPECT_FALSE(In(Packet({Reconfig(many)})));
  EXPECT_EQ(guard_.count, 0u);
  many.pop_back();
  EXPECT_TRUE(In(Packet({Reconfig(many)})));
  EXPECT_EQ(guard_.count, size_t{RTC_SCTP_MAX_DEFERRED_RESETS});
}

TEST_F(SctpResetGuardTest, BeforeAnySackTheInitialTsnDecides) {
  // Nothing known: every request counts.
  rtc_sctp_reset_guard fresh = guard_;
  EXPECT_TRUE(In(Packet({Reconfig({{1, 0}})})));
  EXPECT_EQ(guard_.count, 1u);
  guard_ = fresh;
  // The peer's INIT ACK: its first TSN is 1000, so "999" has arrived.
  EXPECT_TRUE(In(Packet({Init(2, 1000)})));
  EXPECT_TRUE(In(Packet({Reconfig({{1, 999}})})));
  EXPECT_EQ(guard_.count, 0u);
  EXPECT_TRUE(In(Packet({Reconfig({{2, 1000}})})));
  EXPECT_EQ(guard_.count, 1u);
}

TEST_F(SctpResetGuardTest, AnInitMayOnlyMoveThePointBack) {
  Out(Packet({Sack(5000)}));
  EXPECT_TRUE(In(Packet({Init(1, 900000)})));  // forged: ignored
  EXPECT_TRUE(In(Packet({Reconfig({{1, 6000}})})));
  EXPECT_EQ(guard_.count, 1u);
  EXPECT_TRUE(In(Packet({Init(1, 100)})));  // a restart: back to 99
  EXPECT_TRUE(In(Packet({Reconfig({{2, 4000}})})));
  EXPECT_EQ(guard_.count, 2u);
  // Our SACK is the truth, also backwards.
  Out(Packet({Sack(4000)}));
  EXPECT_EQ(guard_.count, 1u);
}

TEST_F(SctpResetGuardTest, TsnsCompareAcrossTheWrap) {
  Out(Packet({Sack(0xfffffff0u)}));
  EXPECT_TRUE(In(Packet({Reconfig({{1, 5}})})));  // after the wrap: later
  EXPECT_EQ(guard_.count, 1u);
  Out(Packet({Sack(10)}));
  EXPECT_EQ(guard_.count, 0u);
}

TEST_F(SctpResetGuardTest, MalformedInputIsLeftToUsrsctp) {
  Out(Packet({Sack(5000)}));
  const std::vector<std::vector<uint8_t>> bad = {
      {},
      std::vector<uint8_t>(11, 0),
      Packet({{130, 0, 0, 2}}),               // chunk length below its header
      Packet({{130, 0, 0xff, 0xff}}),         // chunk past the packet
      Packet({{130, 0, 0, 8, 0, 13, 0, 2}}),  // parameter below its header
      Packet({{130, 0, 0, 12, 0, 13, 0, 8, 0, 0, 0, 1}}),  // request cut
  };
  for (const auto& p : bad)
    EXPECT_TRUE(In(p));
  EXPECT_EQ(guard_.count, 0u);
  Out(Packet({{3, 0, 0, 6, 0, 0}}));  // a SACK too short: ignored
  EXPECT_EQ(guard_.cum_tsn, 5000u);
}

}  // namespace
