// Smoke test of //third_party/googletest:gmock: a mock built with MOCK_METHOD
// records and checks calls.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

// A stand-in for the kind of interface rtcbox tests mock: something that
// receives packets.
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual bool OnPacket(const std::vector<uint8_t>& packet) = 0;
};

class MockPacketSink : public PacketSink {
 public:
  MOCK_METHOD(bool, OnPacket, (const std::vector<uint8_t>& packet), (override));
};

// Forwards the packets that are not empty; returns how many were accepted.
int ForwardNonEmpty(const std::vector<std::vector<uint8_t>>& packets,
                    PacketSink* sink) {
  int accepted = 0;
  for (const auto& packet : packets) {
    if (!packet.empty() && sink->OnPacket(packet)) {
      accepted++;
    }
  }
  return accepted;
}

TEST(GmockSmoke, MockRecordsExpectedCallsInOrder) {
  using testing::ElementsAre;
  using testing::Return;

  MockPacketSink sink;
  testing::InSequence in_sequence;
  EXPECT_CALL(sink, OnPacket(ElementsAre(1, 2, 3))).WillOnce(Return(true));
  EXPECT_CALL(sink, OnPacket(ElementsAre(4))).WillOnce(Return(false));

  EXPECT_EQ(1, ForwardNonEmpty({{1, 2, 3}, {}, {4}}, &sink));
}

}  // namespace
