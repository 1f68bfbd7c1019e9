// RTCDataChannel behaviour end to end (webrtc-pc §6, RFC 8831, RFC 8832):
// two peer connections on the simulated network and simulated time.

#include "api/rtc_data_channel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/rtc_peer_connection.h"
#include "test/pc/pc_test_util.h"

namespace {

using rtc_test::Channel;
using rtc_test::kMs;
using rtc_test::kSec;
using rtc_test::Peer;
using rtc_test::PeerConnectionTest;

// What we advertise in a=max-message-size (RTC_SCTP_MAX_MESSAGE_SIZE in
// pc/sctp_transport.h, which this test does not depend on).
constexpr size_t kMaxMessageSize = 256 * 1024;
// RFC 8841 §6.1: the peer said nothing.
constexpr size_t kDefaultRemoteMaxMessageSize = 64 * 1024;

// Every event and message of one channel in a single ordered log
// ("open", "closing", "close", "error", "bufferedamountlow", "msg:<data>"
// or "bin:<size>"), with bufferedAmount at each bufferedamountlow.
struct Trace {
  rtc_data_channel* channel = nullptr;
  std::vector<std::string> log;
  std::vector<uint64_t> buffered_at_low;
  static const rtc_data_channel_observer kObserver;

  size_t Count(const std::string& entry) const {
    return static_cast<size_t>(std::count(log.begin(), log.end(), entry));
  }
};

const rtc_data_channel_observer Trace::kObserver = {
    [](void* u) { static_cast<Trace*>(u)->log.push_back("open"); },
    [](void* u, bool binary, const uint8_t* data, size_t size) {
      auto* t = static_cast<Trace*>(u);
      if (binary)
        t->log.push_back("bin:" + std::to_string(size));
      else
        t->log.push_back(
            "msg:" + std::string(reinterpret_cast<const char*>(data), size));
    },
    [](void* u) {
      auto* t = static_cast<Trace*>(u);
      t->log.push_back("bufferedamountlow");
      t->buffered_at_low.push_back(
          rtc_data_channel_buffered_amount(t->channel));
    },
    [](void* u, const rtc_error_info*) {
      static_cast<Trace*>(u)->log.push_back("error");
    },
    [](void* u) { static_cast<Trace*>(u)->log.push_back("closing"); },
    [](void* u) { static_cast<Trace*>(u)->log.push_back("close"); },
};

rtc_data_channel_init Init() {
  rtc_data_channel_init init;
  rtc_data_channel_init_defaults(&init);
  return init;
}

rtc_data_channel_init Negotiated(int32_t id) {
  rtc_data_channel_init init = Init();
  init.negotiated = true;
  init.id = id;
  return init;
}

// Pseudo-random bytes (lower-case letters when `text`), different for each
// seed: a misplaced, repeated or dropped chunk shows.
std::string Pattern(size_t size, bool text, uint32_t seed) {
  std::string s(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < size; i++) {
    x = x * 1103515245u + 12345u;
    uint8_t b = static_cast<uint8_t>(x >> 16);
    s[i] = text ? static_cast<char>('a' + b % 26) : static_cast<char>(b);
  }
  return s;
}

// Replaces the value of every "a=<attr>:" line ("" removes the lines).
void SetAttribute(std::string& sdp,
                  const std::string& attr,
                  const std::string& value) {
  std::string key = "a=" + attr + ":";
  size_t pos = 0;
  while ((pos = sdp.find(key, pos)) != std::string::npos) {
    size_t end = sdp.find("\r\n", pos);
    ASSERT_NE(end, std::string::npos);
    if (value.empty()) {
      sdp.erase(pos, end + 2 - pos);
    } else {
      sdp.replace(pos, end - pos, key + value);
      pos += key.size() + value.size();
    }
  }
}

class DataChannelTest : public PeerConnectionTest {
 protected:
  void TearDown() override {
    // Channels and traces outlive the peer connections: no event can reach
    // a recorder that is gone.
    for (auto& c : channels_) {
      if (c->channel)
        rtc_data_channel_set_observer(c->channel, nullptr, nullptr);
    }
    PeerConnectionTest::TearDown();
    channels_.clear();
  }

  // createDataChannel on p; the channel lives until the end of the test.
  // Returns NULL when it fails (*err says why).
  Channel* TryNew(Peer& p,
                  const char* label,
                  const rtc_data_channel_init* init,
                  rtc_error* err,
                  std::string* message = nullptr) {
    auto ch = std::make_unique<Channel>();
    OnQueue(p.signaling, [&] {
      rtc_data_channel* c = nullptr;
      rtc_error_info info;
      rtc_error_info_init(&info);
      *err =
          rtc_peer_connection_create_data_channel(p.pc, label, init, &c, &info);
      if (message)
        *message = info.message;
      // In the same task: the channel may open before the next one.
      if (*err == RTC_OK)
        ch->Attach(c);
    });
    if (*err != RTC_OK)
      return nullptr;
    channels_.push_back(std::move(ch));
    return channels_.back().get();
  }

  Channel& New(Peer& p,
               const char* label,
               const rtc_data_channel_init* init = nullptr) {
    rtc_error err = RTC_ERR_INTERNAL;
    std::string message;
    Channel* c = TryNew(p, label, init, &err, &message);
    EXPECT_EQ(err, RTC_OK) << message;
    if (!c) {
      // Keeps the test going to its failure without a null reference.
      channels_.push_back(std::make_unique<Channel>());
      return *channels_.back();
    }
    return *c;
  }

  // Records c's events in a trace instead of its Channel from now on.
  Trace& TraceOf(Channel& c) {
    traces_.emplace_back();
    Trace& t = traces_.back();
    t.channel = c.channel;
    rtc_data_channel_set_observer(c.channel, &Trace::kObserver, &t);
    return t;
  }

  // a's and b's peer connections with a channel "boot" from a, open on
  // both sides.
  void Connect() {
    MakePeer(a_, "a", "203.0.113.1");
    MakePeer(b_, "b", "203.0.113.2");
    boot_ = &New(a_, "boot");
    Negotiate(a_, b_);
    boot_remote_ = WaitOpen(*boot_, b_, 0, 10 * kSec);
    ASSERT_NE(boot_remote_, nullptr)
        << "a: " << testing::PrintToString(a_.log)
        << "\nb: " << testing::PrintToString(b_.log);
  }

  // maxChannels of p's SCTP transport (-1: null, or no transport).
  int32_t MaxChannels(Peer& p) {
    int32_t n = -1;
    OnQueue(p.signaling, [&] {
      rtc_pc_sctp_transport* sctp = rtc_peer_connection_sctp(p.pc);
      if (sctp)
        n = rtc_pc_sctp_transport_max_channels(sctp);
    });
    return n;
  }

  // The channel p's peer announced with `label` (NULL if none).
  static Channel* Announced(Peer& p, const std::string& label) {
    for (auto& c : p.remote_channels) {
      if (label == rtc_data_channel_label(c->channel))
        return c.get();
    }
    return nullptr;
  }

  bool WaitFor(std::function<bool()> done, int64_t timeout_us = 10 * kSec) {
    return RunUntil(std::move(done), timeout_us);
  }

  // c's events but bufferedamountlow, which fires whenever what send()
  // queued drains below the threshold (0 by default).
  static std::vector<std::string> Lifecycle(const Channel& c) {
    std::vector<std::string> out;
    for (const std::string& e : c.events) {
      if (e != "bufferedamountlow")
        out.push_back(e);
    }
    return out;
  }

  static bool IsOpen(const Channel& c) {
    return c.channel && c.state() == RTC_DATA_CHANNEL_OPEN;
  }

  // Sends `data` on tx and checks that rx receives exactly it, once.
  void ExpectCarries(Peer& from,
                     Channel& tx,
                     Channel& rx,
                     const std::string& data,
                     bool binary) {
    size_t before = rx.messages.size();
    ASSERT_EQ(Send(from, tx, data, binary), RTC_OK);
    ASSERT_TRUE(WaitFor([&] { return rx.messages.size() > before; }))
        << "size " << data.size();
    ASSERT_EQ(rx.messages.size(), before + 1);
    EXPECT_TRUE(rx.messages.back() == data) << "size " << data.size();
    EXPECT_EQ(rx.binary.back(), binary);
  }

  // a=max-message-size of the answer b sends, before a applies it.
  void AnswerMaxMessageSize(const std::string& value) {
    munge_answer = [value](std::string& sdp) {
      ASSERT_NE(sdp.find("a=max-message-size:"), std::string::npos);
      SetAttribute(sdp, "max-message-size", value);
    };
  }

  std::vector<std::unique_ptr<Channel>> channels_;
  std::deque<Trace> traces_;
  Channel* boot_ = nullptr;
  Channel* boot_remote_ = nullptr;
};

// --- 1. Closing (webrtc-pc §6.2 close() and the closing procedure, RFC
// 8831 §6.7) ---

TEST_F(DataChannelTest, CloseByCreatorClosesBothEnds) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  Channel& x = New(a_, "x");
  Channel* xb = WaitOpen(x, b_, 1, 10 * kSec);
  ASSERT_NE(xb, nullptr);
  OnQueue(a_.signaling, [&] {
    rtc_data_channel_close(x.channel);
    // close() step 3: closing at once, no event for the closer.
    EXPECT_EQ(x.state(), RTC_DATA_CHANNEL_CLOSING);
    const uint8_t byte = 1;
    EXPECT_EQ(rtc_data_channel_send(x.channel, true, &byte, 1),
              RTC_ERR_INVALID_STATE);
  });
  ASSERT_TRUE(WaitFor([&] {
    return x.state() == RTC_DATA_CHANNEL_CLOSED &&
           xb->state() == RTC_DATA_CHANNEL_CLOSED;
  }));
  // Closing procedure step 4: "closing" fires only where close() was not
  // called.
  EXPECT_EQ(Lifecycle(x), (std::vector<std::string>{"open", "close"}));
  EXPECT_EQ(Lifecycle(*xb),
            (std::vector<std::string>{"open", "closing", "close"}));
  EXPECT_EQ(Send(a_, x, "late", false), RTC_ERR_INVALID_STATE);
  EXPECT_EQ(Send(b_, *xb, "late", false), RTC_ERR_INVALID_STATE);
  // Closing again does nothing.
  OnQueue(a_.signaling, [&] { rtc_data_channel_close(x.channel); });
  OnQueue(b_.signaling, [&] { rtc_data_channel_close(xb->channel); });
  rtc_sim_time_advance_us(time_, 1 * kSec);
  EXPECT_EQ(Lifecycle(x).size(), 2u);
  EXPECT_EQ(Lifecycle(*xb).size(), 3u);
  EXPECT_TRUE(IsOpen(*boot_));
  EXPECT_TRUE(IsOpen(*boot_remote_));
}

TEST_F(DataChannelTest, CloseByReceiverClosesBothEnds) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  Channel& x = New(a_, "x");
  Channel* xb = WaitOpen(x, b_, 1, 10 * kSec);
  ASSERT_NE(xb, nullptr);
  OnQueue(b_.signaling, [&] {
    rtc_data_channel_close(xb->channel);
    EXPECT_EQ(xb->state(), RTC_DATA_CHANNEL_CLOSING);
  });
  EXPECT_EQ(Send(b_, *xb, "late", false), RTC_ERR_INVALID_STATE);
  ASSERT_TRUE(WaitFor([&] {
    return x.state() == RTC_DATA_CHANNEL_CLOSED &&
           xb->state() == RTC_DATA_CHANNEL_CLOSED;
  }));
  EXPECT_EQ(Lifecycle(*xb), (std::vector<std::string>{"open", "close"}));
  EXPECT_EQ(Lifecycle(x),
            (std::vector<std::string>{"open", "closing", "close"}));
  EXPECT_EQ(Send(a_, x, "late", false), RTC_ERR_INVALID_STATE);
}

// webrtc-pc closing procedure step 5: "Finish sending all currently pending
// messages of the channel" before the stream is reset.
TEST_F(DataChannelTest, MessagesSentBeforeCloseArriveBeforeTheCloseEvent) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  SetLink(a_, 20 * kMs, 0);
  Channel& x = New(a_, "x");
  Channel* xb = WaitOpen(x, b_, 1, 10 * kSec);
  ASSERT_NE(xb, nullptr);
  Trace& tb = TraceOf(*xb);
  std::vector<std::string> expected;
  OnQueue(a_.signaling, [&] {
    for (int i = 0; i < 40; i++) {
      // Some big enough to stay queued for a while.
      std::string m =
          std::to_string(i) +
          std::string(i % 4 == 0 ? 60000 : 10, static_cast<char>('A' + i % 26));
      ASSERT_EQ(rtc_data_channel_send(
                    x.channel, false,
                    reinterpret_cast<const uint8_t*>(m.data()), m.size()),
                RTC_OK);
      expected.push_back("msg:" + m);
    }
    EXPECT_GT(rtc_data_channel_buffered_amount(x.channel), 0u);
    rtc_data_channel_close(x.channel);
  });
  ASSERT_TRUE(WaitFor([&] {
    return x.state() == RTC_DATA_CHANNEL_CLOSED &&
           xb->state() == RTC_DATA_CHANNEL_CLOSED;
  }));
  expected.push_back("closing");
  expected.push_back("close");
  ASSERT_EQ(tb.log.size(), expected.size());
  EXPECT_TRUE(tb.log == expected);
  EXPECT_EQ(Lifecycle(x), (std::vector<std::string>{"open", "close"}));
}

TEST_F(DataChannelTest, MessagesSentBeforeReceiverClosesArriveToo) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  SetLink(b_, 20 * kMs, 0);
  Channel& x = New(a_, "x");
  Channel* xb = WaitOpen(x, b_, 1, 10 * kSec);
  ASSERT_NE(xb, nullptr);
  Trace& ta = TraceOf(x);
  OnQueue(b_.signaling, [&] {
    for (int i = 0; i < 10; i++) {
      std::string m = "m" + std::to_string(i);
      ASSERT_EQ(rtc_data_channel_send(
                    xb->channel, false,
                    reinterpret_cast<const uint8_t*>(m.data()), m.size()),
                RTC_OK);
    }
    rtc_data_channel_close(xb->channel);
  });
  ASSERT_TRUE(WaitFor([&] {
    return x.state() == RTC_DATA_CHANNEL_CLOSED &&
           xb->state() == RTC_DATA_CHANNEL_CLOSED;
  }));
  std::vector<std::string> expected;
  for (int i = 0; i < 10; i++)
    expected.push_back("msg:m" + std::to_string(i));
  expected.push_back("closing");
  expected.push_back("close");
  EXPECT_EQ(ta.log, expected);
}

TEST_F(DataChannelTest, ClosingOneChannelLeavesTheOthersWorking) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  Channel& x = New(a_, "x");
  Channel& y = New(a_, "y");
  Channel& z = New(a_, "z");
  ASSERT_TRUE(WaitFor([&] { return b_.remote_channels.size() == 4; }));
  Channel* xb = Announced(b_, "x");
  Channel* yb = Announced(b_, "y");
  Channel* zb = Announced(b_, "z");
  ASSERT_TRUE(xb && yb && zb);
  ASSERT_TRUE(WaitFor([&] { return IsOpen(x) && IsOpen(y) && IsOpen(z); }));
  OnQueue(a_.signaling, [&] { rtc_data_channel_close(y.channel); });
  ASSERT_TRUE(WaitFor([&] {
    return y.state() == RTC_DATA_CHANNEL_CLOSED &&
           yb->state() == RTC_DATA_CHANNEL_CLOSED;
  }));
  for (Channel* c : {&x, &z, boot_, xb, zb, boot_remote_}) {
    EXPECT_TRUE(IsOpen(*c)) << rtc_data_channel_label(c->channel);
    EXPECT_EQ(std::count(c->events.begin(), c->events.end(), "close"), 0);
  }
  ExpectCarries(a_, x, *xb, "to x", false);
  ExpectCarries(b_, *zb, z, "from z", true);
  ExpectCarries(a_, *boot_, *boot_remote_, "boot", false);
  EXPECT_TRUE(y.messages.empty());
  EXPECT_TRUE(yb->messages.empty());
  // A channel made afterwards opens and works as well.
  Channel& w = New(a_, "w");
  ASSERT_TRUE(WaitFor([&] { return IsOpen(w) && Announced(b_, "w"); }));
  Channel* wb = Announced(b_, "w");
  ASSERT_TRUE(WaitFor([&] { return IsOpen(*wb); }));
  ExpectCarries(b_, *wb, w, "w", false);
}

TEST_F(DataChannelTest, CloseWhileConnectingClosesBothEnds) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  SetLink(a_, 30 * kMs, 0);
  Channel& x = New(a_, "x");
  OnQueue(a_.signaling, [&] {
    EXPECT_EQ(x.state(), RTC_DATA_CHANNEL_CONNECTING);
    rtc_data_channel_close(x.channel);
    EXPECT_EQ(x.state(), RTC_DATA_CHANNEL_CLOSING);
  });
  ASSERT_TRUE(WaitFor([&] {
    Channel* xb = Announced(b_, "x");
    return x.state() == RTC_DATA_CHANNEL_CLOSED && xb &&
           xb->state() == RTC_DATA_CHANNEL_CLOSED;
  }));
  // Never open on a: no open event; the peer saw it open, then closed.
  EXPECT_EQ(Lifecycle(x), (std::vector<std::string>{"close"}));
  EXPECT_EQ(Lifecycle(*Announced(b_, "x")),
            (std::vector<std::string>{"open", "closing", "close"}));
  // The stream id is free again on both ends.
  Channel& y = New(a_, "y");
  EXPECT_EQ(rtc_data_channel_id(y.channel), rtc_data_channel_id(x.channel));
  ASSERT_TRUE(WaitFor([&] { return IsOpen(y) && Announced(b_, "y"); }));
  ExpectCarries(a_, y, *Announced(b_, "y"), "y", false);
}

TEST_F(DataChannelTest, ChannelClosedBeforeNegotiationNeverReachesThePeer) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  Channel& keep = New(a_, "keep");
  Channel& drop = New(a_, "drop");
  OnQueue(a_.signaling, [&] {
    rtc_data_channel_close(drop.channel);
    EXPECT_EQ(drop.state(), RTC_DATA_CHANNEL_CLOSED);
    // The close event is a task, not fired inside close().
    EXPECT_TRUE(drop.events.empty());
  });
  EXPECT_EQ(drop.events, (std::vector<std::string>{"close"}));
  Negotiate(a_, b_);
  ASSERT_NE(WaitOpen(keep, b_, 0, 10 * kSec), nullptr);
  rtc_sim_time_advance_us(time_, 1 * kSec);
  ASSERT_EQ(b_.remote_channels.size(), 1u);
  EXPECT_STREQ(rtc_data_channel_label(b_.remote_channels[0]->channel), "keep");
  EXPECT_EQ(drop.events, (std::vector<std::string>{"close"}));
}

// --- 2. Negotiated channels (webrtc-pc §6.1 createDataChannel) ---

TEST_F(DataChannelTest, NegotiatedChannelsTalkWithoutDcep) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  rtc_data_channel_init init = Negotiated(7);
  init.protocol = "p";
  Channel& na = New(a_, "neg", &init);
  Channel& nb = New(b_, "neg", &init);
  EXPECT_EQ(rtc_data_channel_id(na.channel), 7);
  EXPECT_EQ(rtc_data_channel_id(nb.channel), 7);
  Negotiate(a_, b_);
  ASSERT_TRUE(WaitFor([&] { return IsOpen(na) && IsOpen(nb); }))
      << "a: " << testing::PrintToString(a_.log)
      << "\nb: " << testing::PrintToString(b_.log);
  ExpectCarries(a_, na, nb, "hello b", false);
  ExpectCarries(b_, nb, na, std::string("\0\1", 2), true);
  rtc_sim_time_advance_us(time_, 1 * kSec);
  // No DATA_CHANNEL_OPEN went out: neither side announced a channel.
  for (Peer* p : {&a_, &b_}) {
    EXPECT_TRUE(p->remote_channels.empty()) << p->name;
    EXPECT_EQ(std::count(p->log.begin(), p->log.end(), "datachannel"), 0);
  }
  EXPECT_TRUE(rtc_data_channel_negotiated(na.channel));
  EXPECT_EQ(Lifecycle(na), (std::vector<std::string>{"open"}));
  EXPECT_EQ(Lifecycle(nb), (std::vector<std::string>{"open"}));
}

TEST_F(DataChannelTest, NegotiatedChannelsMadeAfterConnectingOpenAtOnce) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  // Any id, whatever the DTLS role: 2 is even (b's parity), 1023 the
  // largest the association has (RTC_SCTP_DEFAULT_STREAMS).
  for (int32_t id : {2, 1023}) {
    rtc_data_channel_init init = Negotiated(id);
    init.ordered = false;
    Channel& na = New(a_, "neg", &init);
    Channel& nb = New(b_, "neg", &init);
    ASSERT_TRUE(WaitFor([&] { return IsOpen(na) && IsOpen(nb); })) << id;
    ExpectCarries(a_, na, nb, "to b " + std::to_string(id), false);
    ExpectCarries(b_, nb, na, "to a " + std::to_string(id), false);
  }
  EXPECT_EQ(b_.remote_channels.size(), 1u);
  EXPECT_EQ(a_.remote_channels.size(), 0u);
}

// webrtc-pc createDataChannel: once the SCTP transport is connected, an id
// not below its maxChannels fails with OperationError.
TEST_F(DataChannelTest, NegotiatedIdBeyondMaxChannelsFailsWithOperationError) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  for (Peer* p : {&a_, &b_})
    EXPECT_EQ(MaxChannels(*p), 1024) << p->name;
  for (int32_t id : {1024, 65534}) {
    rtc_data_channel_init init = Negotiated(id);
    rtc_error err = RTC_OK;
    EXPECT_EQ(TryNew(a_, "far", &init, &err), nullptr) << id;
    EXPECT_EQ(err, RTC_ERR_OPERATION) << id;
  }
}

// Made before connecting, a negotiated channel with the largest id gets
// the streams it needs: the association has 65,535 (RFC 8831 §6.2).
TEST_F(DataChannelTest, NegotiatedId65534MadeBeforeConnectingOpens) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  rtc_data_channel_init init = Negotiated(65534);
  Channel& na = New(a_, "top", &init);
  Channel& nb = New(b_, "top", &init);
  Negotiate(a_, b_);
  ASSERT_TRUE(WaitFor([&] { return IsOpen(na) && IsOpen(nb); }))
      << "a: " << testing::PrintToString(a_.log)
      << "\nb: " << testing::PrintToString(b_.log);
  ExpectCarries(a_, na, nb, "to b on 65534", false);
  ExpectCarries(b_, nb, na, "to a on 65534", true);
  for (Peer* p : {&a_, &b_})
    EXPECT_EQ(MaxChannels(*p), 65535) << p->name;
}

TEST_F(DataChannelTest, NegotiatedIdInUseFailsWithOperationError) {
  MakePeer(a_, "a", "203.0.113.1");
  rtc_data_channel_init init = Negotiated(3);
  New(a_, "first", &init);
  rtc_error err = RTC_OK;
  EXPECT_EQ(TryNew(a_, "second", &init, &err), nullptr);
  EXPECT_EQ(err, RTC_ERR_OPERATION);
  EXPECT_STREQ(rtc_error_js_name(err), "OperationError");
}

TEST_F(DataChannelTest, NegotiatedIdOfAnInBandChannelFailsWithOperationError) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  // Both the channel a created and the one b learnt of use this id.
  rtc_data_channel_init init = Negotiated(rtc_data_channel_id(boot_->channel));
  rtc_error err = RTC_OK;
  EXPECT_EQ(TryNew(a_, "dup", &init, &err), nullptr);
  EXPECT_EQ(err, RTC_ERR_OPERATION);
  EXPECT_EQ(TryNew(b_, "dup", &init, &err), nullptr);
  EXPECT_EQ(err, RTC_ERR_OPERATION);
  ExpectCarries(a_, *boot_, *boot_remote_, "still fine", false);
}

TEST_F(DataChannelTest, NegotiatedIdAbove65534FailsWithTypeError) {
  MakePeer(a_, "a", "203.0.113.1");
  for (int32_t id : {65535, 65536, 100000}) {
    rtc_data_channel_init init = Negotiated(id);
    rtc_error err = RTC_OK;
    EXPECT_EQ(TryNew(a_, "big", &init, &err), nullptr) << id;
    EXPECT_EQ(err, RTC_ERR_INVALID_ARGUMENT) << id;
    EXPECT_STREQ(rtc_error_js_name(err), "TypeError");
  }
  rtc_data_channel_init init = Negotiated(65534);
  Channel& c = New(a_, "largest", &init);
  EXPECT_EQ(rtc_data_channel_id(c.channel), 65534);
}

TEST_F(DataChannelTest, NegotiatedWithoutIdFailsWithTypeError) {
  MakePeer(a_, "a", "203.0.113.1");
  rtc_data_channel_init init = Negotiated(-1);
  rtc_error err = RTC_OK;
  EXPECT_EQ(TryNew(a_, "noid", &init, &err), nullptr);
  EXPECT_EQ(err, RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(a_.negotiation_needed, 0);
}

TEST_F(DataChannelTest, IdWithoutNegotiatedIsIgnored) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  // webrtc-pc: [[DataChannelId]] takes options.id only when negotiated.
  rtc_data_channel_init init = Init();
  init.id = 10;  // even: not a's parity
  Channel& c = New(a_, "c", &init);
  EXPECT_EQ(rtc_data_channel_id(c.channel) % 2, 1);
  EXPECT_FALSE(rtc_data_channel_negotiated(c.channel));
}

TEST_F(DataChannelTest, CreateDataChannelRejectsInvalidInitWithTypeError) {
  MakePeer(a_, "a", "203.0.113.1");
  rtc_error err = RTC_OK;
  rtc_data_channel_init both = Init();
  both.max_retransmits = 1;
  both.max_packet_lifetime = 1;
  EXPECT_EQ(TryNew(a_, "both", &both, &err), nullptr);
  EXPECT_EQ(err, RTC_ERR_INVALID_ARGUMENT);
  rtc_data_channel_init priority = Init();
  priority.priority = "urgent";
  EXPECT_EQ(TryNew(a_, "priority", &priority, &err), nullptr);
  EXPECT_EQ(err, RTC_ERR_INVALID_ARGUMENT);
  std::string long_label(65536, 'l');
  EXPECT_EQ(TryNew(a_, long_label.c_str(), nullptr, &err), nullptr);
  EXPECT_EQ(err, RTC_ERR_INVALID_ARGUMENT);
  rtc_data_channel_init protocol = Init();
  std::string long_protocol(65536, 'p');
  protocol.protocol = long_protocol.c_str();
  EXPECT_EQ(TryNew(a_, "protocol", &protocol, &err), nullptr);
  EXPECT_EQ(err, RTC_ERR_INVALID_ARGUMENT);
  // Nothing was created: nothing to negotiate.
  OnQueue(a_.signaling, [] {});
  EXPECT_EQ(a_.negotiation_needed, 0);
}

TEST_F(DataChannelTest, SendBeforeOpenFailsWithInvalidStateError) {
  MakePeer(a_, "a", "203.0.113.1");
  Channel& c = New(a_, "early");
  EXPECT_EQ(c.state(), RTC_DATA_CHANNEL_CONNECTING);
  rtc_error err = Send(a_, c, "too early", false);
  EXPECT_EQ(err, RTC_ERR_INVALID_STATE);
  EXPECT_STREQ(rtc_error_js_name(err), "InvalidStateError");
  EXPECT_EQ(rtc_data_channel_buffered_amount(c.channel), 0u);
}

TEST_F(DataChannelTest, LongestLabelAndProtocolArriveWhole) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  // RFC 8832 §5.1: 16-bit lengths; webrtc-pc allows 65535 bytes each.
  std::string label = Pattern(65535, true, 1);
  std::string protocol = Pattern(65535, true, 2);
  rtc_data_channel_init init = Init();
  init.protocol = protocol.c_str();
  Channel& c = New(a_, label.c_str(), &init);
  Channel* theirs = WaitOpen(c, b_, 1, 10 * kSec);
  ASSERT_NE(theirs, nullptr);
  EXPECT_TRUE(label == rtc_data_channel_label(theirs->channel));
  EXPECT_TRUE(protocol == rtc_data_channel_protocol(theirs->channel));
  ExpectCarries(b_, *theirs, c, "ok", false);
}

// --- 3. Stream id parity (RFC 8832 §6) and channels made early ---

class StreamIdTest : public DataChannelTest,
                     public testing::WithParamInterface<bool> {};

// Param: the offerer (a) is the DTLS client (b answers a=setup:passive);
// otherwise b, answering active, is.
TEST_P(StreamIdTest, ChannelsMadeBeforeNegotiationGetIdsOfTheirRoleAndOpen) {
  bool a_is_client = GetParam();
  if (a_is_client) {
    // An offer that says active gets a passive answer (JSEP §5.3.1): a is
    // the client on both ends' books.
    munge_offer = [](std::string& sdp) {
      ASSERT_NE(sdp.find("a=setup:actpass"), std::string::npos);
      SetAttribute(sdp, "setup", "active");
    };
  }
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  struct Spec {
    Peer* peer;
    const char* label;
    const char* protocol;
    bool ordered;
    int32_t rtx;
    int32_t lifetime;
    const char* priority;
  };
  const Spec specs[] = {
      {&a_, "a-reliable", "chat", true, -1, -1, "high"},
      {&a_, "a-rtx", "", false, 3, -1, "very-low"},
      {&a_, "a-ttl", "json", true, -1, 250, "medium"},
      {&b_, "b-reliable", "x", false, -1, -1, "low"},
      {&b_, "b-rtx", "", true, 0, -1, "high"},
  };
  std::vector<Channel*> mine;
  for (const Spec& s : specs) {
    rtc_data_channel_init init = Init();
    init.protocol = s.protocol;
    init.ordered = s.ordered;
    init.max_retransmits = s.rtx;
    init.max_packet_lifetime = s.lifetime;
    init.priority = s.priority;
    mine.push_back(&New(*s.peer, s.label, &init));
    // webrtc-pc createDataChannel step 15: null until the DTLS role is
    // known.
    EXPECT_EQ(rtc_data_channel_id(mine.back()->channel), -1);
  }
  Negotiate(a_, b_);
  std::set<int32_t> ids;
  for (size_t i = 0; i < mine.size(); i++) {
    int32_t id = rtc_data_channel_id(mine[i]->channel);
    bool client = (specs[i].peer == &a_) == a_is_client;
    EXPECT_GE(id, 0) << specs[i].label;
    EXPECT_EQ(id % 2, client ? 0 : 1) << specs[i].label;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), mine.size());
  ASSERT_TRUE(WaitFor([&] {
    if (a_.remote_channels.size() != 2 || b_.remote_channels.size() != 3)
      return false;
    for (Channel* c : mine) {
      if (!IsOpen(*c))
        return false;
    }
    for (Peer* p : {&a_, &b_}) {
      for (auto& c : p->remote_channels) {
        if (!IsOpen(*c))
          return false;
      }
    }
    return true;
  })) << "a: "
      << testing::PrintToString(a_.log)
      << "\nb: " << testing::PrintToString(b_.log);
  for (size_t i = 0; i < mine.size(); i++) {
    const Spec& s = specs[i];
    Peer& other = s.peer == &a_ ? b_ : a_;
    Channel* theirs = Announced(other, s.label);
    ASSERT_NE(theirs, nullptr) << s.label;
    rtc_data_channel* l = mine[i]->channel;
    rtc_data_channel* r = theirs->channel;
    EXPECT_EQ(rtc_data_channel_id(r), rtc_data_channel_id(l)) << s.label;
    EXPECT_STREQ(rtc_data_channel_protocol(r), s.protocol);
    EXPECT_STREQ(rtc_data_channel_protocol(l), s.protocol);
    EXPECT_EQ(rtc_data_channel_ordered(r), s.ordered) << s.label;
    EXPECT_EQ(rtc_data_channel_ordered(l), s.ordered) << s.label;
    EXPECT_EQ(rtc_data_channel_max_retransmits(r), s.rtx) << s.label;
    EXPECT_EQ(rtc_data_channel_max_retransmits(l), s.rtx) << s.label;
    EXPECT_EQ(rtc_data_channel_max_packet_lifetime(r), s.lifetime) << s.label;
    EXPECT_EQ(rtc_data_channel_max_packet_lifetime(l), s.lifetime) << s.label;
    EXPECT_STREQ(rtc_data_channel_priority(r), s.priority);
    EXPECT_STREQ(rtc_data_channel_priority(l), s.priority);
    EXPECT_FALSE(rtc_data_channel_negotiated(r));
    EXPECT_EQ(Lifecycle(*mine[i]), (std::vector<std::string>{"open"}));
    EXPECT_EQ(Lifecycle(*theirs), (std::vector<std::string>{"open"}));
    ExpectCarries(*s.peer, *mine[i], *theirs, s.label, false);
    ExpectCarries(other, *theirs, *mine[i], s.label, true);
  }
}

INSTANTIATE_TEST_SUITE_P(DtlsRole,
                         StreamIdTest,
                         testing::Bool(),
                         [](const testing::TestParamInfo<bool>& param) {
                           return param.param ? "OffererIsClient"
                                              : "AnswererIsClient";
                         });

TEST_F(DataChannelTest, ChannelMadeWhileSctpConnectsGetsItsIdAndOpens) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  SetLink(a_, 50 * kMs, 0);
  Channel& first = New(a_, "first");
  Negotiate(a_, b_);
  // The answer is applied (the DTLS role is known), the association is
  // not up yet.
  ASSERT_EQ(first.state(), RTC_DATA_CHANNEL_CONNECTING);
  Channel& second = New(a_, "second");
  Channel& from_b = New(b_, "from-b");
  EXPECT_EQ(rtc_data_channel_id(second.channel) % 2, 1);
  EXPECT_EQ(rtc_data_channel_id(from_b.channel) % 2, 0);
  EXPECT_EQ(second.state(), RTC_DATA_CHANNEL_CONNECTING);
  ASSERT_TRUE(WaitFor([&] {
    return IsOpen(first) && IsOpen(second) && IsOpen(from_b) &&
           Announced(b_, "second") && Announced(a_, "from-b");
  }));
  ExpectCarries(a_, second, *Announced(b_, "second"), "2nd", false);
  ExpectCarries(b_, from_b, *Announced(a_, "from-b"), "b", true);
}

TEST_F(DataChannelTest, ChannelsMadeAfterConnectingGetIdsAtOnce) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  // b answered a=setup:active: b is the DTLS client.
  EXPECT_EQ(rtc_data_channel_id(boot_->channel) % 2, 1);
  // A negotiated channel on the next odd id: in-band ids skip it.
  int32_t next_odd = rtc_data_channel_id(boot_->channel) + 2;
  rtc_data_channel_init init = Negotiated(next_odd);
  New(a_, "neg", &init);
  std::set<int32_t> a_ids = {rtc_data_channel_id(boot_->channel), next_odd};
  std::set<int32_t> b_ids;
  for (int i = 0; i < 4; i++) {
    Channel& ca = New(a_, "a");
    Channel& cb = New(b_, "b");
    int32_t ia = rtc_data_channel_id(ca.channel);
    int32_t ib = rtc_data_channel_id(cb.channel);
    EXPECT_EQ(ia % 2, 1);
    EXPECT_EQ(ib % 2, 0);
    EXPECT_TRUE(a_ids.insert(ia).second) << ia;
    EXPECT_TRUE(b_ids.insert(ib).second) << ib;
  }
  ASSERT_TRUE(WaitFor([&] {
    return b_.remote_channels.size() == 5 && a_.remote_channels.size() == 4;
  }));
}

// --- 4. Message sizes (RFC 8831 §6.6, RFC 8841, webrtc-pc §6.2 send()) ---

TEST_F(DataChannelTest, MessagesUpTo256KiBArriveByteExact) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  const size_t sizes[] = {1,     1000,  1191,   4096,   65535,
                          65536, 65537, 100000, 200000, kMaxMessageSize};
  uint32_t seed = 0;
  for (size_t size : sizes) {
    for (bool binary : {false, true}) {
      std::string m = Pattern(size, !binary, seed++);
      ExpectCarries(a_, *boot_, *boot_remote_, m, binary);
      ExpectCarries(b_, *boot_remote_, *boot_, m, binary);
    }
  }
}

TEST_F(DataChannelTest, ManyLargeMessagesInARowArriveInOrder) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  SetLink(a_, 5 * kMs, 0);
  std::vector<std::string> sent;
  OnQueue(a_.signaling, [&] {
    for (uint32_t i = 0; i < 16; i++) {
      sent.push_back(Pattern(kMaxMessageSize - i, false, i));
      ASSERT_EQ(rtc_data_channel_send(
                    boot_->channel, true,
                    reinterpret_cast<const uint8_t*>(sent.back().data()),
                    sent.back().size()),
                RTC_OK);
    }
  });
  ASSERT_TRUE(
      WaitFor([&] { return boot_remote_->messages.size() == 16; }, 60 * kSec));
  for (size_t i = 0; i < sent.size(); i++) {
    EXPECT_TRUE(boot_remote_->messages[i] == sent[i]) << i;
    EXPECT_TRUE(boot_remote_->binary[i]);
  }
}

TEST_F(DataChannelTest, EmptyMessagesArrive) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  // RFC 8831 §6.6: PPIDs 56 (empty string) and 57 (empty binary).
  ASSERT_EQ(Send(a_, *boot_, "", false), RTC_OK);
  ASSERT_EQ(Send(a_, *boot_, "", true), RTC_OK);
  ASSERT_EQ(Send(a_, *boot_, "x", false), RTC_OK);
  ASSERT_EQ(Send(b_, *boot_remote_, "", true), RTC_OK);
  ASSERT_EQ(Send(b_, *boot_remote_, "", false), RTC_OK);
  ASSERT_TRUE(WaitFor([&] {
    return boot_remote_->messages.size() == 3 && boot_->messages.size() == 2;
  }));
  EXPECT_EQ(boot_remote_->messages, (std::vector<std::string>{"", "", "x"}));
  EXPECT_EQ(boot_remote_->binary, (std::vector<bool>{false, true, false}));
  EXPECT_EQ(boot_->messages, (std::vector<std::string>{"", ""}));
  EXPECT_EQ(boot_->binary, (std::vector<bool>{true, false}));
  // An empty message adds nothing to bufferedAmount.
  OnQueue(a_.signaling, [&] {
    ASSERT_EQ(rtc_data_channel_send(boot_->channel, false, nullptr, 0), RTC_OK);
    EXPECT_EQ(rtc_data_channel_buffered_amount(boot_->channel), 0u);
  });
}

TEST_F(DataChannelTest, DC06_SendLargerThanMaxMessageSizeFailsWithTypeError) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  std::string big(kMaxMessageSize + 1, 'x');
  for (bool binary : {false, true}) {
    rtc_error err = Send(a_, *boot_, big, binary);
    EXPECT_EQ(err, RTC_ERR_INVALID_ARGUMENT);
    EXPECT_STREQ(rtc_error_js_name(err), "TypeError");
    EXPECT_EQ(Send(b_, *boot_remote_, big, binary), RTC_ERR_INVALID_ARGUMENT);
  }
  // Refused before queuing: the channel stays open and nothing was counted.
  EXPECT_TRUE(IsOpen(*boot_));
  EXPECT_EQ(rtc_data_channel_buffered_amount(boot_->channel), 0u);
  ExpectCarries(a_, *boot_, *boot_remote_, "after", false);
  rtc_sim_time_advance_us(time_, 1 * kSec);
  EXPECT_EQ(boot_remote_->messages.size(), 1u);
}

// rtc_data_channel_check_send: send()'s checks without sending, counting
// bytes the caller holds back (the bindings' Blob queue) as buffered.
TEST_F(DataChannelTest, CheckSendGivesSendsErrorsWithoutSending) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  const uint64_t kLimit = 16u * 1024 * 1024;  // the send buffer we bound
  rtc_error ok = RTC_ERR_INTERNAL, too_big = RTC_ERR_INTERNAL,
            full = RTC_ERR_INTERNAL, exactly_full = RTC_ERR_INTERNAL,
            overflow = RTC_ERR_INTERNAL;
  OnQueue(a_.signaling, [&] {
    rtc_data_channel* c = boot_->channel;
    ok = rtc_data_channel_check_send(c, kMaxMessageSize, 0);
    too_big = rtc_data_channel_check_send(c, kMaxMessageSize + 1, 0);
    exactly_full = rtc_data_channel_check_send(c, 1000, kLimit - 1000);
    full = rtc_data_channel_check_send(c, 1000, kLimit - 999);
    overflow = rtc_data_channel_check_send(c, 10, UINT64_MAX - 5);
  });
  EXPECT_EQ(ok, RTC_OK);
  EXPECT_EQ(too_big, RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(exactly_full, RTC_OK);
  EXPECT_EQ(full, RTC_ERR_OPERATION);
  EXPECT_EQ(overflow, RTC_ERR_OPERATION);
  // Nothing was sent or counted.
  EXPECT_EQ(rtc_data_channel_buffered_amount(boot_->channel), 0u);
  rtc_sim_time_advance_us(time_, 1 * kSec);
  EXPECT_TRUE(boot_remote_->messages.empty());
  rtc_error closing = RTC_ERR_INTERNAL;
  OnQueue(a_.signaling, [&] {
    rtc_data_channel_close(boot_->channel);
    closing = rtc_data_channel_check_send(boot_->channel, 1, 0);
  });
  EXPECT_EQ(closing, RTC_ERR_INVALID_STATE);
}

TEST_F(DataChannelTest, SendHonoursTheSmallerMaxMessageSizeOfTheAnswer) {
  AnswerMaxMessageSize("1000");
  ASSERT_NO_FATAL_FAILURE(Connect());
  // a may send b at most 1000 bytes.
  EXPECT_EQ(Send(a_, *boot_, std::string(1001, 'x'), false),
            RTC_ERR_INVALID_ARGUMENT);
  ExpectCarries(a_, *boot_, *boot_remote_, std::string(1000, 'y'), false);
  ExpectCarries(a_, *boot_, *boot_remote_, std::string(1000, 'z'), true);
  // b's limit is a's offer: 256 KiB.
  ExpectCarries(b_, *boot_remote_, *boot_, std::string(kMaxMessageSize, 'b'),
                true);
}

TEST_F(DataChannelTest, SendHonoursTheSmallerMaxMessageSizeOfTheOffer) {
  munge_offer = [](std::string& sdp) {
    SetAttribute(sdp, "max-message-size", "2000");
  };
  ASSERT_NO_FATAL_FAILURE(Connect());
  EXPECT_EQ(Send(b_, *boot_remote_, std::string(2001, 'x'), true),
            RTC_ERR_INVALID_ARGUMENT);
  ExpectCarries(b_, *boot_remote_, *boot_, std::string(2000, 'y'), true);
  ExpectCarries(a_, *boot_, *boot_remote_, std::string(kMaxMessageSize, 'a'),
                false);
}

TEST_F(DataChannelTest, PeerWithoutMaxMessageSizeGets64KiB) {
  AnswerMaxMessageSize("");
  ASSERT_NO_FATAL_FAILURE(Connect());
  // RFC 8841 §6.1: absent means 64 KiB.
  EXPECT_EQ(Send(a_, *boot_, std::string(kDefaultRemoteMaxMessageSize + 1, 'x'),
                 true),
            RTC_ERR_INVALID_ARGUMENT);
  ExpectCarries(a_, *boot_, *boot_remote_,
                std::string(kDefaultRemoteMaxMessageSize, 'y'), true);
}

// RFC 8841 §6: "The max-message-size value of 0 indicates that the SCTP
// endpoint will handle messages of any size, subject to memory capacity";
// webrtc-pc "update the data max message size": remote 0 means our own
// limit (RFC 8841 §6), not the 64 KiB of an absent attribute.
TEST_F(DataChannelTest, PeerMaxMessageSizeZeroMeansOurOwnLimit) {
  AnswerMaxMessageSize("0");
  ASSERT_NO_FATAL_FAILURE(Connect());
  ExpectCarries(a_, *boot_, *boot_remote_,
                std::string(kDefaultRemoteMaxMessageSize + 1, 'x'), true);
  ExpectCarries(a_, *boot_, *boot_remote_, std::string(kMaxMessageSize, 'y'),
                false);
  EXPECT_EQ(Send(a_, *boot_, std::string(kMaxMessageSize + 1, 'z'), true),
            RTC_ERR_INVALID_ARGUMENT);
}

// --- 5. bufferedAmount and bufferedamountlow (webrtc-pc §6.2) ---

TEST_F(DataChannelTest, BufferedAmountGrowsBySendAndFallsAsDataLeaves) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  SetLink(a_, 25 * kMs, 0);
  constexpr size_t kChunk = 64 * 1024;
  constexpr int kCount = 32;
  int64_t start = rtc_sim_time_now_us(time_);
  OnQueue(a_.signaling, [&] {
    uint64_t expected = rtc_data_channel_buffered_amount(boot_->channel);
    EXPECT_EQ(expected, 0u);
    std::string m(kChunk, 'q');
    for (int i = 0; i < kCount; i++) {
      ASSERT_EQ(rtc_data_channel_send(
                    boot_->channel, true,
                    reinterpret_cast<const uint8_t*>(m.data()), m.size()),
                RTC_OK);
      expected += kChunk;
      // Synchronously, by exactly the message's size.
      EXPECT_EQ(rtc_data_channel_buffered_amount(boot_->channel), expected);
    }
  });
  std::vector<uint64_t> samples;
  ASSERT_TRUE(WaitFor(
      [&] {
        uint64_t now = rtc_data_channel_buffered_amount(boot_->channel);
        if (samples.empty() || samples.back() != now)
          samples.push_back(now);
        return now == 0 && boot_remote_->messages.size() == kCount;
      },
      60 * kSec));
  // Never up, and down in several steps (SCTP takes it as the window
  // allows, not all at once).
  EXPECT_TRUE(std::is_sorted(samples.rbegin(), samples.rend()))
      << testing::PrintToString(samples);
  EXPECT_GT(samples.size(), 3u) << testing::PrintToString(samples);
  EXPECT_EQ(samples.back(), 0u);
  printf(
      "[ measure  ] simulated: 2 MiB at 25 ms one-way: bufferedAmount %llu "
      "after the send task, %zu distinct values, all delivered in %.1f ms\n",
      static_cast<unsigned long long>(samples.front()), samples.size(),
      (rtc_sim_time_now_us(time_) - start) / 1000.0);
}

TEST_F(DataChannelTest, BufferedAmountLowFiresOncePerCrossing) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  SetLink(a_, 25 * kMs, 0);
  Trace& t = TraceOf(*boot_);
  constexpr uint64_t kThreshold = 100 * 1024;
  constexpr size_t kChunk = 32 * 1024;
  OnQueue(a_.signaling, [&] {
    rtc_data_channel_set_buffered_amount_low_threshold(boot_->channel,
                                                       kThreshold);
    EXPECT_EQ(rtc_data_channel_buffered_amount_low_threshold(boot_->channel),
              kThreshold);
  });
  auto burst = [&](int count) {
    OnQueue(a_.signaling, [&] {
      std::string m(kChunk, 'b');
      for (int i = 0; i < count; i++)
        ASSERT_EQ(rtc_data_channel_send(
                      boot_->channel, false,
                      reinterpret_cast<const uint8_t*>(m.data()), m.size()),
                  RTC_OK);
    });
  };
  auto drained = [&] {
    return WaitFor(
        [&] { return rtc_data_channel_buffered_amount(boot_->channel) == 0; },
        60 * kSec);
  };
  burst(64);  // 2 MiB
  // Queued, not sent: SCTP's window lets a little out per round trip.
  EXPECT_GT(rtc_data_channel_buffered_amount(boot_->channel), kThreshold);
  EXPECT_EQ(t.Count("bufferedamountlow"), 0u);
  ASSERT_TRUE(drained());
  rtc_sim_time_advance_us(time_, 1 * kSec);
  EXPECT_EQ(t.Count("bufferedamountlow"), 1u);
  ASSERT_EQ(t.buffered_at_low.size(), 1u);
  EXPECT_LE(t.buffered_at_low[0], kThreshold);
  // Below the threshold all along: no crossing, no event.
  burst(1);
  ASSERT_TRUE(drained());
  rtc_sim_time_advance_us(time_, 1 * kSec);
  EXPECT_EQ(t.Count("bufferedamountlow"), 1u);
  // A second crossing, a second event.
  burst(64);
  ASSERT_TRUE(drained());
  rtc_sim_time_advance_us(time_, 1 * kSec);
  EXPECT_EQ(t.Count("bufferedamountlow"), 2u);
  ASSERT_TRUE(
      WaitFor([&] { return boot_remote_->messages.size() == 129; }, 60 * kSec));
}

TEST_F(DataChannelTest, BufferedAmountLowWithZeroThresholdFiresWhenEmpty) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  SetLink(a_, 25 * kMs, 0);
  Trace& t = TraceOf(*boot_);
  // The default threshold is 0.
  EXPECT_EQ(rtc_data_channel_buffered_amount_low_threshold(boot_->channel), 0u);
  OnQueue(a_.signaling, [&] {
    std::string m(64 * 1024, 'z');
    for (int i = 0; i < 16; i++)
      ASSERT_EQ(rtc_data_channel_send(
                    boot_->channel, true,
                    reinterpret_cast<const uint8_t*>(m.data()), m.size()),
                RTC_OK);
  });
  ASSERT_TRUE(WaitFor(
      [&] { return rtc_data_channel_buffered_amount(boot_->channel) == 0; },
      60 * kSec));
  rtc_sim_time_advance_us(time_, 1 * kSec);
  EXPECT_EQ(t.Count("bufferedamountlow"), 1u);
  EXPECT_EQ(t.buffered_at_low, (std::vector<uint64_t>{0}));
}

// --- 6. Many channels ---

TEST_F(DataChannelTest, HundredChannelsOpenAtOnceAndEachCarriesItsMessage) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  constexpr int kChannels = 100;
  std::vector<Channel*> mine;
  for (int i = 0; i < kChannels; i++)
    mine.push_back(&New(a_, ("ch" + std::to_string(i)).c_str()));
  ASSERT_TRUE(WaitFor([&] {
    if (b_.remote_channels.size() != kChannels + 1)
      return false;
    for (Channel* c : mine) {
      if (!IsOpen(*c))
        return false;
    }
    return true;
  })) << b_.remote_channels.size();
  std::set<int32_t> ids;
  for (int i = 0; i < kChannels; i++)
    ids.insert(rtc_data_channel_id(mine[i]->channel));
  EXPECT_EQ(ids.size(), static_cast<size_t>(kChannels));
  // Every channel at once, both ways.
  OnQueue(a_.signaling, [&] {
    for (int i = 0; i < kChannels; i++) {
      std::string m = "to b on ch" + std::to_string(i);
      ASSERT_EQ(rtc_data_channel_send(
                    mine[i]->channel, false,
                    reinterpret_cast<const uint8_t*>(m.data()), m.size()),
                RTC_OK);
    }
  });
  OnQueue(b_.signaling, [&] {
    for (auto& c : b_.remote_channels) {
      std::string m =
          std::string("to a on ") + rtc_data_channel_label(c->channel);
      ASSERT_EQ(rtc_data_channel_send(
                    c->channel, true,
                    reinterpret_cast<const uint8_t*>(m.data()), m.size()),
                RTC_OK);
    }
  });
  ASSERT_TRUE(WaitFor([&] {
    for (Channel* c : mine) {
      if (c->messages.empty())
        return false;
    }
    for (auto& c : b_.remote_channels) {
      if (c.get() != boot_remote_ && c->messages.empty())
        return false;
    }
    return true;
  }));
  for (int i = 0; i < kChannels; i++) {
    std::string label = "ch" + std::to_string(i);
    Channel* theirs = Announced(b_, label);
    ASSERT_NE(theirs, nullptr) << label;
    EXPECT_EQ(rtc_data_channel_id(theirs->channel),
              rtc_data_channel_id(mine[i]->channel));
    EXPECT_EQ(theirs->messages, (std::vector<std::string>{"to b on " + label}));
    EXPECT_EQ(mine[i]->messages,
              (std::vector<std::string>{"to a on " + label}));
    EXPECT_EQ(Lifecycle(*mine[i]), (std::vector<std::string>{"open"}));
  }
}

TEST_F(DataChannelTest, HundredChannelsMadeBeforeNegotiationAllOpen) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  constexpr int kChannels = 100;
  std::vector<Channel*> mine;
  for (int i = 0; i < kChannels; i++)
    mine.push_back(&New(a_, ("ch" + std::to_string(i)).c_str()));
  Negotiate(a_, b_);
  ASSERT_TRUE(WaitFor([&] {
    if (b_.remote_channels.size() != kChannels)
      return false;
    for (Channel* c : mine) {
      if (!IsOpen(*c))
        return false;
    }
    return true;
  })) << b_.remote_channels.size();
  for (int i = 0; i < kChannels; i++) {
    std::string label = "ch" + std::to_string(i);
    ASSERT_EQ(Send(a_, *mine[i], label, false), RTC_OK);
  }
  ASSERT_TRUE(WaitFor([&] {
    for (auto& c : b_.remote_channels) {
      if (c->messages.empty())
        return false;
    }
    return true;
  }));
  for (auto& c : b_.remote_channels)
    EXPECT_EQ(c->messages,
              (std::vector<std::string>{rtc_data_channel_label(c->channel)}));
}

// --- 7. Unordered and partially reliable channels (RFC 8831 §6.1) ---

TEST_F(DataChannelTest,
       UnorderedAndPartiallyReliableLoseNothingOnAPerfectLink) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  struct Spec {
    const char* label;
    bool ordered;
    int32_t rtx;
    int32_t lifetime;
  };
  const Spec specs[] = {
      {"unordered", false, -1, -1},     {"rtx0", true, 0, -1},
      {"unordered-rtx0", false, 0, -1}, {"rtx5", false, 5, -1},
      {"ttl1000", true, -1, 1000},      {"unordered-ttl1000", false, -1, 1000},
  };
  constexpr int kMessages = 200;
  std::vector<Channel*> mine;
  for (const Spec& s : specs) {
    rtc_data_channel_init init = Init();
    init.ordered = s.ordered;
    init.max_retransmits = s.rtx;
    init.max_packet_lifetime = s.lifetime;
    mine.push_back(&New(a_, s.label, &init));
  }
  ASSERT_TRUE(WaitFor([&] {
    for (const Spec& s : specs) {
      Channel* c = Announced(b_, s.label);
      if (!c || !IsOpen(*c))
        return false;
    }
    for (Channel* c : mine) {
      if (!IsOpen(*c))
        return false;
    }
    return true;
  }));
  for (size_t i = 0; i < mine.size(); i++) {
    const Spec& s = specs[i];
    Channel* theirs = Announced(b_, s.label);
    for (rtc_data_channel* c : {mine[i]->channel, theirs->channel}) {
      EXPECT_EQ(rtc_data_channel_ordered(c), s.ordered) << s.label;
      EXPECT_EQ(rtc_data_channel_max_retransmits(c), s.rtx) << s.label;
      EXPECT_EQ(rtc_data_channel_max_packet_lifetime(c), s.lifetime) << s.label;
    }
  }
  // Every channel sends at once, interleaved.
  OnQueue(a_.signaling, [&] {
    for (int n = 0; n < kMessages; n++) {
      for (size_t i = 0; i < mine.size(); i++) {
        std::string m = std::to_string(n) + ":" + std::string(500, 'm');
        ASSERT_EQ(rtc_data_channel_send(
                      mine[i]->channel, false,
                      reinterpret_cast<const uint8_t*>(m.data()), m.size()),
                  RTC_OK);
      }
    }
  });
  ASSERT_TRUE(WaitFor([&] {
    for (const Spec& s : specs) {
      if (Announced(b_, s.label)->messages.size() < kMessages)
        return false;
    }
    return true;
  })) <<
      [&] {
        std::string counts;
        for (const Spec& s : specs)
          counts += std::string(s.label) + "=" +
                    std::to_string(Announced(b_, s.label)->messages.size()) +
                    " ";
        return counts;
      }();
  for (const Spec& s : specs) {
    Channel* theirs = Announced(b_, s.label);
    ASSERT_EQ(theirs->messages.size(), static_cast<size_t>(kMessages));
    std::set<std::string> got(theirs->messages.begin(), theirs->messages.end());
    EXPECT_EQ(got.size(), static_cast<size_t>(kMessages)) << s.label;
    for (int n = 0; n < kMessages; n++) {
      std::string m = std::to_string(n) + ":" + std::string(500, 'm');
      EXPECT_EQ(got.count(m), 1u) << s.label << " " << n;
      if (s.ordered) {
        EXPECT_EQ(theirs->messages[static_cast<size_t>(n)], m) << s.label;
      }
    }
  }
}

// --- Out of memory ---

TEST_F(DataChannelTest, CreateDataChannelWithoutMemoryFailsOrOpens) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  bool succeeded_without_failure = false;
  size_t made = 0;
  for (uint64_t n = 1; n < 200 && !succeeded_without_failure; n++) {
    rtc_error err = RTC_OK;
    Channel* c = nullptr;
    uint64_t injected = rtc_alloc_injected_failure_count();
    OnQueue(a_.signaling, [&] {
      rtc_data_channel* out = nullptr;
      rtc_error_info info;
      rtc_error_info_init(&info);
      rtc_alloc_fail_nth(n, 0);
      err = rtc_peer_connection_create_data_channel(a_.pc, "oom", nullptr, &out,
                                                    &info);
      rtc_alloc_clear_failure();
      if (err == RTC_OK) {
        channels_.push_back(std::make_unique<Channel>());
        channels_.back()->Attach(out);
        c = channels_.back().get();
      }
    });
    if (err != RTC_OK) {
      EXPECT_EQ(err, RTC_ERR_NO_MEMORY) << n;
      continue;
    }
    made++;
    succeeded_without_failure = rtc_alloc_injected_failure_count() == injected;
    // A channel createDataChannel returned opens on its own, even when
    // announcing it ran out of memory (nothing else happens meanwhile).
    EXPECT_TRUE(WaitFor([&] { return IsOpen(*c); })) << "n = " << n;
  }
  EXPECT_TRUE(succeeded_without_failure);
  EXPECT_TRUE(WaitFor([&] { return b_.remote_channels.size() == made + 1; }));
}

// send() makes the message and the network call that carries it: without
// memory for either it fails with nothing counted or left allocated, and
// the send that finally succeeds arrives once.
TEST_F(DataChannelTest, SendWithoutMemoryFailsWithNothingLeftBehind) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  const std::string m(1000, 'm');
  bool succeeded_without_failure = false;
  int failures = 0;
  for (uint64_t n = 1; n < 20 && !succeeded_without_failure; n++) {
    rtc_error err = RTC_OK;
    uint64_t injected = rtc_alloc_injected_failure_count();
    OnQueue(a_.signaling, [&] {
      int64_t live = rtc_alloc_live_count();
      rtc_alloc_fail_nth(n, 0);
      err = rtc_data_channel_send(boot_->channel, true,
                                  reinterpret_cast<const uint8_t*>(m.data()),
                                  m.size());
      rtc_alloc_clear_failure();
      if (err != RTC_OK) {
        EXPECT_EQ(rtc_alloc_live_count(), live) << n;
        EXPECT_EQ(rtc_data_channel_buffered_amount(boot_->channel), 0u) << n;
      }
    });
    if (err != RTC_OK) {
      EXPECT_EQ(err, RTC_ERR_NO_MEMORY) << n;
      failures++;
      continue;
    }
    succeeded_without_failure = rtc_alloc_injected_failure_count() == injected;
  }
  EXPECT_TRUE(succeeded_without_failure);
  EXPECT_GE(failures, 2);  // the message, then the call
  ASSERT_TRUE(WaitFor([&] { return !boot_remote_->messages.empty(); }));
  ASSERT_TRUE(WaitFor(
      [&] { return rtc_data_channel_buffered_amount(boot_->channel) == 0; }));
  EXPECT_EQ(boot_remote_->messages.size(), 1u);
}

// Once send() has returned OK the message is the network's to deliver:
// when an allocation on its way fails (the n-th after send() returned), it
// still arrives, or its channel ends with an error. It is never dropped
// with the channel left open. The channel under test is the ninth that
// sends on its connection: the first send of a stream must not need to
// grow a table on the network thread (it did, from 8 streams to 16, and a
// failure there lost the message).
class DataChannelSendWithoutMemoryTest
    : public DataChannelTest,
      public testing::WithParamInterface<uint64_t> {};

TEST_P(DataChannelSendWithoutMemoryTest, AcceptedMessageArrivesOrChannelFails) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  for (int i = 0; i < 8; i++) {
    Channel& w = New(a_, ("warm" + std::to_string(i)).c_str());
    Channel* wb = WaitOpen(w, b_, 1 + i, 10 * kSec);
    ASSERT_NE(wb, nullptr);
    ExpectCarries(a_, w, *wb, "w", true);
  }
  Channel& x = New(a_, "x");
  Channel* xb = WaitOpen(x, b_, 9, 10 * kSec);
  ASSERT_NE(xb, nullptr);
  const std::string m(1000, 'x');
  uint64_t injected = rtc_alloc_injected_failure_count();
  OnQueue(a_.signaling, [&] {
    ASSERT_EQ(rtc_data_channel_send(x.channel, true,
                                    reinterpret_cast<const uint8_t*>(m.data()),
                                    m.size()),
              RTC_OK);
    rtc_alloc_fail_nth(GetParam(), 0);
  });
  ASSERT_TRUE(WaitFor(
      [&] { return rtc_alloc_injected_failure_count() > injected; }, 1 * kSec))
      << "no allocation failed: the range of the test is too wide";
  rtc_alloc_clear_failure();
  ASSERT_TRUE(WaitFor(
      [&] {
        return !xb->messages.empty() || x.state() == RTC_DATA_CHANNEL_CLOSED;
      },
      60 * kSec))
      << "the message was neither delivered nor its channel closed";
  if (xb->messages.empty()) {
    std::vector<std::string> events = Lifecycle(x);
    EXPECT_NE(std::find(events.begin(), events.end(), "error"), events.end());
  } else {
    EXPECT_EQ(xb->messages, std::vector<std::string>{m});
  }
}

// 1 to 15: every allocation after send() returned, on the sending network
// thread, then on the receiving side, until the message event (with 16 no
// allocation fails, and the test says the range is too wide; one more
// allocation on the way needs the range widened). One of them was the
// receiving peer connection's event for the message, dropped, its channel
// left open, when it could not be allocated; the message carries it now.
INSTANTIATE_TEST_SUITE_P(EachAllocation,
                         DataChannelSendWithoutMemoryTest,
                         testing::Range<uint64_t>(1, 16));

// Closing an open channel needs a task to the network thread. Without
// memory for it the channel stays closing (its stream is still in use: the
// id is not reused) and the next createDataChannel() posts the reset.
TEST_F(DataChannelTest, CloseWithoutMemoryStaysClosingUntilRetried) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  Channel& x = New(a_, "x");
  Channel* xb = WaitOpen(x, b_, 1, 10 * kSec);
  ASSERT_NE(xb, nullptr);
  int32_t id = rtc_data_channel_id(x.channel);
  OnQueue(a_.signaling, [&] {
    rtc_alloc_fail_nth(1, 1);
    rtc_data_channel_close(x.channel);
    rtc_alloc_clear_failure();
  });
  rtc_sim_time_advance_us(time_, 1 * kSec);
  EXPECT_EQ(x.state(), RTC_DATA_CHANNEL_CLOSING);
  EXPECT_TRUE(IsOpen(*xb));
  Channel& y = New(a_, "y");
  EXPECT_NE(rtc_data_channel_id(y.channel), id);
  ASSERT_TRUE(WaitFor([&] {
    return x.state() == RTC_DATA_CHANNEL_CLOSED &&
           xb->state() == RTC_DATA_CHANNEL_CLOSED && IsOpen(y);
  }));
  EXPECT_EQ(Lifecycle(x), (std::vector<std::string>{"open", "close"}));
}

// The same without a later call to retry: the close should still happen.
// DISABLED_: the only allocation left in close() is the task
// pc_post_to_network() (pc/peer_connection.c, not ours) makes; the channel
// cannot make it infallible. Proposed fix: let a channel preallocate its
// close task when it is opened on the network (e.g. pc_network_call_new()
// returning a net_call, and pc_post_prepared() that posts it without
// allocating, used by rtc_data_channel_close()).
TEST_F(DataChannelTest, DISABLED_CloseWithoutMemoryClosesBothEnds) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  Channel& x = New(a_, "x");
  Channel* xb = WaitOpen(x, b_, 1, 10 * kSec);
  ASSERT_NE(xb, nullptr);
  OnQueue(a_.signaling, [&] {
    rtc_alloc_fail_nth(1, 1);
    rtc_data_channel_close(x.channel);
    rtc_alloc_clear_failure();
  });
  EXPECT_TRUE(WaitFor([&] {
    return x.state() == RTC_DATA_CHANNEL_CLOSED &&
           xb->state() == RTC_DATA_CHANNEL_CLOSED;
  }));
}

}  // namespace
