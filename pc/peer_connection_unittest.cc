// Peer connections end to end on the simulated network and simulated time:
// offer/answer, trickle ICE, DTLS, SCTP and data channels.

#include "api/rtc_peer_connection.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "api/rtc_transports.h"
#include "p2p/certificate.h"
#include "test/pc/pc_test_util.h"

namespace {

using rtc_test::Channel;
using rtc_test::kMs;
using rtc_test::kSec;
using rtc_test::Peer;
using rtc_test::PeerConnectionTest;

TEST_F(PeerConnectionTest, DataChannelOpensAndCarriesMessagesBothWays) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  Channel ca;
  OnQueue(a_.signaling, [&] {
    rtc_data_channel* c = nullptr;
    rtc_error_info info;
    ASSERT_EQ(rtc_peer_connection_create_data_channel(a_.pc, "chat", nullptr,
                                                      &c, &info),
              RTC_OK);
    ca.Attach(c);
  });
  EXPECT_EQ(a_.negotiation_needed, 1);
  int64_t start = rtc_sim_time_now_us(time_);
  Negotiate(a_, b_);
  ASSERT_TRUE(RunUntil(
      [&] {
        return ca.state() == RTC_DATA_CHANNEL_OPEN &&
               !b_.remote_channels.empty() &&
               b_.remote_channels[0]->state() == RTC_DATA_CHANNEL_OPEN;
      },
      10 * kSec))
      << "a: " << testing::PrintToString(a_.log)
      << "\nb: " << testing::PrintToString(b_.log);
  printf("[ measure  ] simulated: createOffer to channel open %.1f ms\n",
         (rtc_sim_time_now_us(time_) - start) / 1000.0);
  Channel* cb = b_.remote_channels[0].get();
  EXPECT_STREQ(rtc_data_channel_label(cb->channel), "chat");
  EXPECT_EQ(rtc_data_channel_id(ca.channel), rtc_data_channel_id(cb->channel));
  OnQueue(a_.signaling, [&] {
    ASSERT_EQ(
        rtc_data_channel_send(ca.channel, false,
                              reinterpret_cast<const uint8_t*>("hello"), 5),
        RTC_OK);
  });
  OnQueue(b_.signaling, [&] {
    const uint8_t bytes[3] = {0, 1, 2};
    ASSERT_EQ(rtc_data_channel_send(cb->channel, true, bytes, 3), RTC_OK);
  });
  ASSERT_TRUE(RunUntil(
      [&] { return cb->messages.size() == 1 && ca.messages.size() == 1; },
      5 * kSec));
  EXPECT_EQ(cb->messages[0], "hello");
  EXPECT_FALSE(cb->binary[0]);
  EXPECT_EQ(ca.messages[0], std::string("\0\1\2", 3));
  EXPECT_TRUE(ca.binary[0]);
  EXPECT_EQ(a_.state, RTC_PC_STATE_CONNECTED);
  EXPECT_EQ(b_.state, RTC_PC_STATE_CONNECTED);
}

// --- A lossy, slow path: 5% loss each way and 100 ms round trip ---

// Message i of a stream: "i:" then a pattern that depends on i, `size`
// bytes in all (at least the prefix).
std::string Payload(int i, size_t size) {
  std::string s = std::to_string(i) + ":";
  for (size_t j = s.size(); j < size; j++)
    s.push_back(static_cast<char>('a' + (i * 7 + j) % 26));
  return s;
}

int IndexOf(const std::string& message) {
  return std::stoi(message.substr(0, message.find(':')));
}

class LossyPeerConnectionTest : public PeerConnectionTest {
 protected:
  // Connects a and b over links with 25 ms one-way delay and ~2.5% loss
  // per host link: 50 ms and ~5% loss each way end to end, 100 ms RTT.
  // Returns b's end of a channel a creates with `init`.
  Channel* ConnectLossy(Channel** a_end, const rtc_data_channel_init* init) {
    MakePeer(a_, "a", "203.0.113.1");
    MakePeer(b_, "b", "203.0.113.2");
    const double per_link_loss = 1 - std::sqrt(0.95);
    SetLink(a_, 25 * kMs, per_link_loss);
    SetLink(b_, 25 * kMs, per_link_loss);
    channel_ = CreateChannel(a_, "lossy", init);
    *a_end = channel_.get();
    Negotiate(a_, b_);
    Channel* remote = WaitOpen(*channel_, b_, 0, 30 * kSec);
    EXPECT_NE(remote, nullptr) << "a: " << testing::PrintToString(a_.log)
                               << "\nb: " << testing::PrintToString(b_.log);
    return remote;
  }

  // Sends messages 0..n-1 (size_of(i) bytes; binary when i is odd) on c,
  // keeping bufferedAmount under 1 MiB as an application would.
  void SendStream(Channel& c,
                  int n,
                  const std::function<size_t(int)>& size_of) {
    const uint64_t kHighWater = 1 << 20;
    int next = 0;
    while (next < n) {
      OnQueue(a_.signaling, [&] {
        while (next < n &&
               rtc_data_channel_buffered_amount(c.channel) < kHighWater) {
          std::string m = Payload(next, size_of(next));
          ASSERT_EQ(rtc_data_channel_send(
                        c.channel, next % 2 == 1,
                        reinterpret_cast<const uint8_t*>(m.data()), m.size()),
                    RTC_OK)
              << "message " << next;
          next++;
        }
      });
      if (HasFatalFailure())
        return;
      ASSERT_TRUE(RunUntil(
          [&] {
            return rtc_data_channel_buffered_amount(c.channel) < kHighWater / 2;
          },
          120 * kSec))
          << "stalled at message " << next;
    }
  }

  std::unique_ptr<Channel> channel_;
};

TEST_F(LossyPeerConnectionTest,
       ReliableOrderedDeliversEveryMessageOnceInOrder) {
  Channel* ca = nullptr;
  Channel* cb = ConnectLossy(&ca, nullptr);
  ASSERT_NE(cb, nullptr);
  // Mixed sizes: mostly up to 8 KiB, every 250th message 256 KiB.
  auto size_of = [](int i) -> size_t {
    return i % 250 == 3 ? 256 * 1024 : static_cast<size_t>(i) * 7919 % 8192 + 1;
  };
  const int kCount = 1000;
  int64_t start = rtc_sim_time_now_us(time_);
  SendStream(*ca, kCount, size_of);
  ASSERT_TRUE(
      RunUntil([&] { return cb->messages.size() >= kCount; }, 600 * kSec))
      << cb->messages.size() << " of " << kCount;
  RunUntil([] { return false; }, 2 * kSec);  // nothing more may arrive
  ASSERT_EQ(cb->messages.size(), static_cast<size_t>(kCount));
  uint64_t bytes = 0;
  for (int i = 0; i < kCount; i++) {
    ASSERT_EQ(cb->messages[i], Payload(i, size_of(i))) << "message " << i;
    EXPECT_EQ(cb->binary[i], i % 2 == 1);
    bytes += cb->messages[i].size();
  }
  rtc_sim_stats stats;
  rtc_sim_host_get_stats(b_.host, &stats);
  printf(
      "[ measure  ] %d messages, %.1f MB in %.1f simulated s; %llu packets "
      "lost on b's link\n",
      kCount, bytes / 1e6, (rtc_sim_time_now_us(time_) - start) / 1e6,
      static_cast<unsigned long long>(stats.packets_lost));
  EXPECT_GT(stats.packets_lost, 0u);
}

TEST_F(LossyPeerConnectionTest, ReliableUnorderedDeliversEveryMessageOnce) {
  rtc_data_channel_init init;
  rtc_data_channel_init_defaults(&init);
  init.ordered = false;
  Channel* ca = nullptr;
  Channel* cb = ConnectLossy(&ca, &init);
  ASSERT_NE(cb, nullptr);
  auto size_of = [](int i) -> size_t {
    return static_cast<size_t>(i) * 7919 % 4096 + 1;
  };
  const int kCount = 1000;
  SendStream(*ca, kCount, size_of);
  ASSERT_TRUE(
      RunUntil([&] { return cb->messages.size() >= kCount; }, 600 * kSec));
  RunUntil([] { return false; }, 2 * kSec);
  ASSERT_EQ(cb->messages.size(), static_cast<size_t>(kCount));
  std::vector<int> seen(kCount, 0);
  bool reordered = false;
  int last = -1;
  for (size_t k = 0; k < cb->messages.size(); k++) {
    int i = IndexOf(cb->messages[k]);
    ASSERT_GE(i, 0);
    ASSERT_LT(i, kCount);
    EXPECT_EQ(cb->messages[k], Payload(i, size_of(i)));
    EXPECT_EQ(cb->binary[k], i % 2 == 1);
    seen[i]++;
    reordered |= i < last;
    last = i;
  }
  for (int i = 0; i < kCount; i++)
    EXPECT_EQ(seen[i], 1) << "message " << i;
  // With loss, an unordered channel delivers what arrives without waiting
  // for retransmissions of earlier messages.
  EXPECT_TRUE(reordered);
}

// Partially reliable channels: every message that arrives is intact and
// arrives once; some are lost; an ordered one never goes backwards.
struct PartialCase {
  const char* name;
  bool ordered;
  int32_t max_retransmits;
  int32_t max_packet_lifetime;
};

class PartiallyReliableTest : public LossyPeerConnectionTest,
                              public testing::WithParamInterface<PartialCase> {
};

TEST_P(PartiallyReliableTest, LosesOnlyWhatItMayAndNeverDuplicates) {
  const PartialCase& param = GetParam();
  rtc_data_channel_init init;
  rtc_data_channel_init_defaults(&init);
  init.ordered = param.ordered;
  init.max_retransmits = param.max_retransmits;
  init.max_packet_lifetime = param.max_packet_lifetime;
  Channel* ca = nullptr;
  Channel* cb = ConnectLossy(&ca, &init);
  ASSERT_NE(cb, nullptr);
  EXPECT_EQ(rtc_data_channel_ordered(cb->channel), param.ordered);
  EXPECT_EQ(rtc_data_channel_max_retransmits(cb->channel),
            param.max_retransmits);
  EXPECT_EQ(rtc_data_channel_max_packet_lifetime(cb->channel),
            param.max_packet_lifetime);
  // Small messages, one per packet, sent 10 ms apart: a loss is a lost
  // message unless the channel may retransmit it.
  const int kCount = 1000;
  auto size_of = [](int i) -> size_t {
    return static_cast<size_t>(i) % 900 + 8;
  };
  for (int i = 0; i < kCount; i++) {
    ASSERT_EQ(Send(a_, *ca, Payload(i, size_of(i)), i % 2 == 1), RTC_OK);
    rtc_sim_time_advance_us(time_, 10 * kMs);
  }
  RunUntil([] { return false; }, 10 * kSec);  // let everything settle
  std::vector<int> seen(kCount, 0);
  int last = -1;
  for (size_t k = 0; k < cb->messages.size(); k++) {
    int i = IndexOf(cb->messages[k]);
    ASSERT_GE(i, 0);
    ASSERT_LT(i, kCount);
    EXPECT_EQ(cb->messages[k], Payload(i, size_of(i)));
    EXPECT_EQ(cb->binary[k], i % 2 == 1);
    seen[i]++;
    if (param.ordered) {
      EXPECT_GT(i, last) << "went backwards";
    }
    last = i;
  }
  int lost = 0;
  for (int i = 0; i < kCount; i++) {
    EXPECT_LE(seen[i], 1) << "message " << i << " delivered twice";
    lost += seen[i] == 0;
  }
  printf("[ measure  ] %s: %d of %d messages lost\n", param.name, lost, kCount);
  // ~5% of packets are lost; with no or few retransmissions some
  // messages must be missing, and most must arrive.
  EXPECT_GT(lost, 0);
  EXPECT_LT(lost, kCount / 5);
  EXPECT_EQ(ca->state(), RTC_DATA_CHANNEL_OPEN);
  EXPECT_EQ(cb->state(), RTC_DATA_CHANNEL_OPEN);
}

INSTANTIATE_TEST_SUITE_P(
    Lossy,
    PartiallyReliableTest,
    testing::Values(PartialCase{"UnorderedMaxRetransmits0", false, 0, -1},
                    PartialCase{"OrderedMaxRetransmits0", true, 0, -1},
                    // 100 ms: less than one retransmission timeout.
                    PartialCase{"UnorderedMaxPacketLifeTime100", false, -1,
                                100}),
    [](const testing::TestParamInfo<PartialCase>& param_info) {
      return std::string(param_info.param.name);
    });

// --- Closing releases everything ---

// What a context holds with no peer connection: its sockets, pending
// tasks and live allocations.
struct Footprint {
  size_t sockets_a, sockets_b;
  int64_t next_deadline_us;  // INT64_MAX: nothing pending
  int64_t allocations;
};

class PeerConnectionReleaseTest : public PeerConnectionTest,
                                  public testing::WithParamInterface<bool> {
 protected:
  Footprint Measure() {
    rtc_sim_time_run_until_idle(time_);
    return {rtc_sim_host_socket_count(a_.host),
            rtc_sim_host_socket_count(b_.host),
            rtc_sim_time_next_deadline_us(time_), rtc_alloc_live_count()};
  }
};

// With close() first (GetParam() true) or destroy straight away, on a
// connected pair with channels open and messages in flight.
TEST_P(PeerConnectionReleaseTest, ReleasesEverySocketTaskAndAllocation) {
  const bool close_first = GetParam();
  MakeContext(a_, "a", "203.0.113.1");
  MakeContext(b_, "b", "203.0.113.2");
  SetLink(a_, 20 * kMs, 0);
  // A simulated queue keeps its task array once it has held a task: use
  // each one first so that the array is not counted against the peers.
  for (Peer* p : {&a_, &b_}) {
    for (rtc_task_queue* q : {p->signaling, p->network, p->worker})
      OnQueue(q, [] {});
  }
  Footprint before = Measure();
  EXPECT_EQ(before.sockets_a, 0u);
  EXPECT_EQ(before.next_deadline_us, INT64_MAX);
  {
    CreatePc(a_);
    CreatePc(b_);
    auto ca = CreateChannel(a_, "one", nullptr);
    rtc_data_channel_init init;
    rtc_data_channel_init_defaults(&init);
    init.ordered = false;
    init.max_retransmits = 0;
    auto ca2 = CreateChannel(a_, "two", &init);
    Negotiate(a_, b_);
    ASSERT_NE(WaitOpen(*ca, b_, 0, 10 * kSec), nullptr);
    ASSERT_NE(WaitOpen(*ca2, b_, 1, 10 * kSec), nullptr);
    EXPECT_GT(rtc_sim_host_socket_count(a_.host), 0u);
    EXPECT_GT(rtc_sim_host_socket_count(b_.host), 0u);
    // Data in flight both ways when the connections go.
    for (int i = 0; i < 50; i++) {
      ASSERT_EQ(Send(a_, *ca, std::string(10000, 'x'), true), RTC_OK);
      ASSERT_EQ(Send(b_, *b_.remote_channels[0], "y", false), RTC_OK);
    }
    rtc_sim_time_advance_us(time_, 25 * kMs);
    if (close_first) {
      OnQueue(a_.signaling, [&] { rtc_peer_connection_close(a_.pc); });
      OnQueue(b_.signaling, [&] { rtc_peer_connection_close(b_.pc); });
      // close() alone gives back the sockets (webrtc-pc: transports stop).
      Footprint closed = Measure();
      EXPECT_EQ(closed.sockets_a, 0u);
      EXPECT_EQ(closed.sockets_b, 0u);
      EXPECT_EQ(ca->state(), RTC_DATA_CHANNEL_CLOSED);
    }
    // The application still holds channel references when it destroys the
    // connections; they are dropped after.
    DestroyPeer(a_);
    DestroyPeer(b_);
  }
  // Packets already on the 20 ms link still arrive (and are dropped); no
  // timer of the connections may remain: stopped timers leave the queues
  // at once, so there is no need to wait for their deadlines (ICE's 39.5 s
  // PAC timer was the longest).
  rtc_sim_time_advance_us(time_, 100 * kMs);
  Footprint after = Measure();
  EXPECT_EQ(after.sockets_a, 0u);
  EXPECT_EQ(after.sockets_b, 0u);
  EXPECT_EQ(after.next_deadline_us, INT64_MAX) << "a task is still pending";
  EXPECT_EQ(after.allocations, before.allocations);
}

INSTANTIATE_TEST_SUITE_P(CloseFirstOrNot,
                         PeerConnectionReleaseTest,
                         testing::Bool(),
                         [](const testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "CloseThenDestroy"
                                                   : "DestroyWhileConnected";
                         });

// --- RTCIceTransport, RTCDtlsTransport, RTCSctpTransport ---

// Records the events of a peer's transport objects into its log, next to
// the peer connection's own events.
struct TransportEvents {
  Peer* peer = nullptr;
  std::vector<rtc_error_info> errors;
  static const rtc_pc_ice_transport_observer kIce;
  static const rtc_pc_dtls_transport_observer kDtls;
  static const rtc_pc_sctp_transport_observer kSctp;
};

TransportEvents* TE(void* u) {
  return static_cast<TransportEvents*>(u);
}

const rtc_pc_ice_transport_observer TransportEvents::kIce = {
    [](void* u) { TE(u)->peer->log.push_back("ice-transport:statechange"); },
    [](void* u) {
      TE(u)->peer->log.push_back("ice-transport:gatheringstatechange");
    },
    [](void* u) {
      TE(u)->peer->log.push_back("ice-transport:selectedcandidatepairchange");
    },
};
const rtc_pc_dtls_transport_observer TransportEvents::kDtls = {
    [](void* u) { TE(u)->peer->log.push_back("dtls-transport:statechange"); },
    [](void* u, const rtc_error_info* e) {
      TE(u)->errors.push_back(*e);
      TE(u)->peer->log.push_back("dtls-transport:error");
    },
};
const rtc_pc_sctp_transport_observer TransportEvents::kSctp = {
    [](void* u) { TE(u)->peer->log.push_back("sctp-transport:statechange"); },
};

// The first index of `event` in the log, or -1.
int Position(const std::vector<std::string>& log, const std::string& event) {
  for (size_t i = 0; i < log.size(); i++) {
    if (log[i] == event)
      return static_cast<int>(i);
  }
  return -1;
}

std::string Attribute(const std::string& sdp, const std::string& name) {
  size_t at = sdp.find("a=" + name + ":");
  if (at == std::string::npos)
    return "";
  at += name.size() + 3;
  return sdp.substr(at, sdp.find("\r\n", at) - at);
}

class TransportObjectsTest : public PeerConnectionTest {
 protected:
  // Connects a and b with a data channel; the transport objects' events of
  // both are recorded from the moment they exist.
  void Connect() {
    MakePeer(a_, "a", "203.0.113.1");
    MakePeer(b_, "b", "203.0.113.2");
    channel_ = CreateChannel(a_, "chat", nullptr);
    OnQueue(a_.signaling,
            [&] { EXPECT_EQ(rtc_peer_connection_sctp(a_.pc), nullptr); });
    // Observe the objects as soon as the descriptions create them: hook the
    // answerer after it sets the offer, the offerer after its own offer.
    a_events_.peer = &a_;
    b_events_.peer = &b_;
    munge_offer = [&](std::string&) { Observe(a_, a_events_); };
    munge_answer = [&](std::string&) { Observe(b_, b_events_); };
    Negotiate(a_, b_);
    ASSERT_NE(WaitOpen(*channel_, b_, 0, 10 * kSec), nullptr);
  }

  void Observe(Peer& p, TransportEvents& events) {
    OnQueue(p.signaling, [&] {
      rtc_pc_sctp_transport* sctp = rtc_peer_connection_sctp(p.pc);
      if (!sctp)
        return;  // not before the answer
      rtc_pc_sctp_transport_set_observer(sctp, &TransportEvents::kSctp,
                                         &events);
      rtc_pc_dtls_transport* dtls = rtc_pc_sctp_transport_transport(sctp);
      rtc_pc_dtls_transport_set_observer(dtls, &TransportEvents::kDtls,
                                         &events);
      rtc_pc_ice_transport_set_observer(
          rtc_pc_dtls_transport_ice_transport(dtls), &TransportEvents::kIce,
          &events);
    });
  }

  std::unique_ptr<Channel> channel_;
  TransportEvents a_events_, b_events_;
};

TEST_F(TransportObjectsTest, ShowTheConnectedTransportsAndTheirParameters) {
  Connect();
  // The answerer's objects exist once it applied its answer, before the
  // transports connect: its events are all there.
  for (Peer* p : {&a_, &b_}) {
    OnQueue(p->signaling, [&] {
      rtc_pc_sctp_transport* sctp = rtc_peer_connection_sctp(p->pc);
      ASSERT_NE(sctp, nullptr);
      EXPECT_EQ(rtc_pc_sctp_transport_state(sctp), RTC_PC_SCTP_CONNECTED);
      EXPECT_EQ(rtc_pc_sctp_transport_max_message_size(sctp), 262144.0);
      EXPECT_GT(rtc_pc_sctp_transport_max_channels(sctp), 0);
      rtc_pc_dtls_transport* dtls = rtc_pc_sctp_transport_transport(sctp);
      EXPECT_EQ(rtc_pc_dtls_transport_state(dtls), RTC_DTLS_CONNECTED);
      rtc_pc_ice_transport* ice = rtc_pc_dtls_transport_ice_transport(dtls);
      EXPECT_STREQ(rtc_pc_ice_transport_component(ice), "rtp");
      rtc_ice_transport_state state = rtc_pc_ice_transport_state(ice);
      EXPECT_TRUE(state == RTC_ICE_TRANSPORT_CONNECTED ||
                  state == RTC_ICE_TRANSPORT_COMPLETED)
          << rtc_ice_transport_state_name(state);
      EXPECT_EQ(rtc_pc_ice_transport_role(ice),
                p == &a_ ? RTC_ICE_TRANSPORT_ROLE_CONTROLLING
                         : RTC_ICE_TRANSPORT_ROLE_CONTROLLED);
      const char* local = nullptr;
      const char* remote = nullptr;
      ASSERT_TRUE(rtc_pc_ice_transport_selected_pair(ice, &local, &remote));
      EXPECT_EQ(std::string(local).rfind("candidate:", 0), 0u) << local;
      EXPECT_EQ(std::string(remote).rfind("candidate:", 0), 0u) << remote;
      // The parameters are those of the descriptions.
      rtc_session_description mine, theirs;
      ASSERT_EQ(
          rtc_peer_connection_description(p->pc, RTC_DESCRIPTION_LOCAL, &mine),
          RTC_OK);
      ASSERT_EQ(rtc_peer_connection_description(p->pc, RTC_DESCRIPTION_REMOTE,
                                                &theirs),
                RTC_OK);
      const char* ufrag = nullptr;
      const char* pwd = nullptr;
      ASSERT_TRUE(rtc_pc_ice_transport_local_parameters(ice, &ufrag, &pwd));
      EXPECT_EQ(Attribute(mine.sdp, "ice-ufrag"), ufrag);
      EXPECT_EQ(Attribute(mine.sdp, "ice-pwd"), pwd);
      ASSERT_TRUE(rtc_pc_ice_transport_remote_parameters(ice, &ufrag, &pwd));
      EXPECT_EQ(Attribute(theirs.sdp, "ice-ufrag"), ufrag);
      EXPECT_EQ(Attribute(theirs.sdp, "ice-pwd"), pwd);
      // getRemoteCertificates(): the certificate the peer's fingerprint
      // names.
      const uint8_t* der[4];
      size_t len[4];
      ASSERT_EQ(rtc_pc_dtls_transport_remote_certificates(dtls, der, len, 4),
                1u);
      std::string fp_text = Attribute(theirs.sdp, "fingerprint");
      rtc_fingerprint fp;
      ASSERT_EQ(rtc_fingerprint_parse(fp_text.c_str(), fp_text.size(), &fp),
                RTC_OK);
      EXPECT_TRUE(rtc_fingerprint_matches(&fp, der[0], len[0]));
      rtc_free(const_cast<char*>(mine.sdp));
      rtc_free(const_cast<char*>(theirs.sdp));
    });
  }
  // b observed from before its transports started: each object's
  // statechange comes before the peer connection's aggregate event.
  const std::vector<std::string>& log = b_.log;
  int ice = Position(log, "ice-transport:statechange");
  int ice_pc = Position(log, "ice:checking");
  int selected = Position(log, "ice-transport:selectedcandidatepairchange");
  int dtls = Position(log, "dtls-transport:statechange");
  int connected = Position(log, "connection:connected");
  int sctp = Position(log, "sctp-transport:statechange");
  ASSERT_GE(ice, 0) << testing::PrintToString(log);
  EXPECT_LT(ice, ice_pc) << testing::PrintToString(log);
  EXPECT_GE(selected, 0);
  EXPECT_GE(dtls, 0);
  EXPECT_LT(dtls, connected) << testing::PrintToString(log);
  EXPECT_GT(sctp, dtls);
  EXPECT_TRUE(b_events_.errors.empty());
  OnQueue(b_.signaling, [&] {
    rtc_pc_ice_transport* b_ice = rtc_pc_dtls_transport_ice_transport(
        rtc_pc_sctp_transport_transport(rtc_peer_connection_sctp(b_.pc)));
    EXPECT_EQ(rtc_pc_ice_transport_gathering_state(b_ice),
              RTC_ICE_GATHERING_COMPLETE);
  });
}

TEST_F(TransportObjectsTest, CloseLeavesEveryTransportClosedWithoutEvents) {
  Connect();
  rtc_pc_sctp_transport* sctp = nullptr;
  OnQueue(a_.signaling, [&] {
    sctp = rtc_peer_connection_sctp(a_.pc);
    ASSERT_NE(sctp, nullptr);
    rtc_pc_sctp_transport_ref(sctp);  // as a JS wrapper would
  });
  ASSERT_NE(sctp, nullptr);
  size_t events = a_.log.size();
  OnQueue(a_.signaling, [&] { rtc_peer_connection_close(a_.pc); });
  rtc_sim_time_advance_us(time_, kSec);
  EXPECT_EQ(a_.log.size(), events) << testing::PrintToString(a_.log);
  rtc_pc_dtls_transport* dtls = rtc_pc_sctp_transport_transport(sctp);
  EXPECT_EQ(rtc_pc_sctp_transport_state(sctp), RTC_PC_SCTP_CLOSED);
  EXPECT_EQ(rtc_pc_dtls_transport_state(dtls), RTC_DTLS_CLOSED);
  EXPECT_EQ(
      rtc_pc_ice_transport_state(rtc_pc_dtls_transport_ice_transport(dtls)),
      RTC_ICE_TRANSPORT_CLOSED);
  // The object outlives the peer connection for whoever holds it.
  DestroyPeer(a_);
  EXPECT_EQ(rtc_pc_sctp_transport_state(sctp), RTC_PC_SCTP_CLOSED);
  rtc_pc_sctp_transport_unref(sctp);
}

TEST_F(TransportObjectsTest,
       SEC17_FingerprintMismatchFiresErrorThenStateChange) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  channel_ = CreateChannel(a_, "chat", nullptr);
  a_events_.peer = &a_;
  b_events_.peer = &b_;
  // The offer's fingerprint is flipped: b (the answerer) detects it.
  munge_offer = [&](std::string& sdp) {
    size_t at = sdp.find("a=fingerprint:sha-256 ");
    ASSERT_NE(at, std::string::npos);
    at += strlen("a=fingerprint:sha-256 ");
    sdp[at] = sdp[at] == 'A' ? 'B' : 'A';
  };
  munge_answer = [&](std::string&) { Observe(b_, b_events_); };
  Negotiate(a_, b_);
  ASSERT_TRUE(
      RunUntil([&] { return b_.state == RTC_PC_STATE_FAILED; }, 30 * kSec))
      << testing::PrintToString(b_.log);
  ASSERT_EQ(b_events_.errors.size(), 1u);
  EXPECT_EQ(b_events_.errors[0].code, RTC_ERR_FINGERPRINT_FAILURE);
  // webrtc-pc §5.5.1: error, then statechange, then connectionstatechange.
  int error = Position(b_.log, "dtls-transport:error");
  ASSERT_GE(error, 0);
  ASSERT_LT(error + 2, static_cast<int>(b_.log.size()));
  EXPECT_EQ(b_.log[error + 1], "dtls-transport:statechange");
  EXPECT_LT(error + 1, Position(b_.log, "connection:failed"));
  OnQueue(b_.signaling, [&] {
    rtc_pc_dtls_transport* dtls =
        rtc_pc_sctp_transport_transport(rtc_peer_connection_sctp(b_.pc));
    EXPECT_EQ(rtc_pc_dtls_transport_state(dtls), RTC_DTLS_FAILED);
    const uint8_t* der[1];
    size_t len[1];
    EXPECT_EQ(rtc_pc_dtls_transport_remote_certificates(dtls, der, len, 1), 0u);
  });
}

// webrtc-pc allows pc.close() from any event handler; close() ends every
// transport's events: the statechange that would follow the error must not
// fire (the object is "closed" by then, and says so silently).
TEST_F(TransportObjectsTest, CloseInsideDtlsErrorHandlerFiresNoStateChange) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  channel_ = CreateChannel(a_, "chat", nullptr);
  b_events_.peer = &b_;
  static const rtc_pc_dtls_transport_observer kCloseOnError = {
      [](void* u) { TE(u)->peer->log.push_back("dtls-transport:statechange"); },
      [](void* u, const rtc_error_info* e) {
        TE(u)->errors.push_back(*e);
        TE(u)->peer->log.push_back("dtls-transport:error");
        rtc_peer_connection_close(TE(u)->peer->pc);
      },
  };
  munge_offer = [&](std::string& sdp) {
    size_t at = sdp.find("a=fingerprint:sha-256 ");
    ASSERT_NE(at, std::string::npos);
    at += strlen("a=fingerprint:sha-256 ");
    sdp[at] = sdp[at] == 'A' ? 'B' : 'A';
  };
  rtc_pc_dtls_transport* dtls = nullptr;
  munge_answer = [&](std::string&) {
    OnQueue(b_.signaling, [&] {
      rtc_pc_sctp_transport* sctp = rtc_peer_connection_sctp(b_.pc);
      ASSERT_NE(sctp, nullptr);
      dtls = rtc_pc_sctp_transport_transport(sctp);
      rtc_pc_dtls_transport_ref(dtls);
      rtc_pc_dtls_transport_set_observer(dtls, &kCloseOnError, &b_events_);
    });
  };
  Negotiate(a_, b_);
  ASSERT_NE(dtls, nullptr);
  ASSERT_TRUE(RunUntil([&] { return !b_events_.errors.empty(); }, 30 * kSec))
      << testing::PrintToString(b_.log);
  size_t events = b_.log.size();
  rtc_sim_time_advance_us(time_, 5 * kSec);
  EXPECT_EQ(b_.log.back(), "dtls-transport:error")
      << testing::PrintToString(b_.log);
  EXPECT_EQ(b_.log.size(), events) << testing::PrintToString(b_.log);
  EXPECT_EQ(rtc_pc_dtls_transport_state(dtls), RTC_DTLS_CLOSED);
  OnQueue(b_.signaling, [&] {
    EXPECT_EQ(rtc_peer_connection_connection_state(b_.pc), RTC_PC_STATE_CLOSED);
  });
  rtc_pc_dtls_transport_unref(dtls);
}

// A transport that a description drops may still have events on their way
// from the network thread, posted before the network side forgot it. They
// must not bring the transport back on the signaling side: a transport
// nobody runs any more would hold the aggregate states (gathering, ICE,
// connection) where its last stray event left them, and fire icecandidate
// events for it.
//
// Here b first answers an offer without BUNDLE (a transport per section),
// then at once takes a re-offer that bundles and answers it: the second
// transport goes while its ICE agent is just starting.
TEST_F(TransportObjectsTest, LateEventsOfADroppedTransportAreIgnored) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  a_.other = &b_;
  b_.other = &a_;
  channel_ = CreateChannel(a_, "chat", nullptr);
  OnQueue(a_.signaling, [&] {
    rtc_rtp_transceiver* audio = nullptr;
    rtc_error_info info;
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_.pc, RTC_MEDIA_AUDIO,
                                                  nullptr, &audio, &info),
              RTC_OK);
    rtc_rtp_transceiver_unref(audio);
  });
  auto keep = [](void* u, rtc_error err, const rtc_error_info* info,
                 const rtc_session_description* d) {
    ASSERT_EQ(err, RTC_OK) << info->message;
    *static_cast<std::string*>(u) = d->sdp;
  };
  std::string offer, answer, reoffer;
  OnQueue(a_.signaling, [&] {
    ASSERT_EQ(rtc_peer_connection_create_offer(a_.pc, nullptr, keep, &offer),
              RTC_OK);
  });
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  // b sees an offer without BUNDLE, and answers without it.
  std::string unbundled = offer;
  size_t group = unbundled.find("a=group:BUNDLE");
  ASSERT_NE(group, std::string::npos);
  unbundled.erase(group, unbundled.find("\r\n", group) + 2 - group);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, unbundled), RTC_OK);
  OnQueue(b_.signaling, [&] {
    ASSERT_EQ(rtc_peer_connection_create_answer(b_.pc, keep, &answer), RTC_OK);
  });
  ASSERT_EQ(answer.find("a=group:BUNDLE"), std::string::npos) << answer;
  ASSERT_EQ(SetDescription(a_, false, RTC_SDP_ANSWER, answer), RTC_OK);
  // a re-offers; b sees the re-offer with BUNDLE (added if a's bundle
  // policy left it out after the refusal).
  OnQueue(a_.signaling, [&] {
    ASSERT_EQ(rtc_peer_connection_create_offer(a_.pc, nullptr, keep, &reoffer),
              RTC_OK);
  });
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, reoffer), RTC_OK);
  if (reoffer.find("a=group:BUNDLE") == std::string::npos) {
    size_t after_t = reoffer.find("t=0 0\r\n");
    ASSERT_NE(after_t, std::string::npos);
    reoffer.insert(after_t + strlen("t=0 0\r\n"), "a=group:BUNDLE 0 1\r\n");
  }
  ASSERT_NE(reoffer.find("a=group:BUNDLE 0 1"), std::string::npos) << reoffer;
  // In one go on b, as a page would: its answer (two transports start),
  // the re-offer and the answer to it (the second transport goes).
  OnQueue(b_.signaling, [&] {
    rtc_session_description d = {RTC_SDP_ANSWER, answer.c_str()};
    ASSERT_EQ(
        rtc_peer_connection_set_local_description(b_.pc, &d, nullptr, nullptr),
        RTC_OK);
    rtc_session_description o = {RTC_SDP_OFFER, reoffer.c_str()};
    ASSERT_EQ(
        rtc_peer_connection_set_remote_description(b_.pc, &o, nullptr, nullptr),
        RTC_OK);
    ASSERT_EQ(rtc_peer_connection_set_local_description(b_.pc, nullptr, nullptr,
                                                        nullptr),
              RTC_OK);
  });
  std::string reanswer;
  OnQueue(b_.signaling, [&] {
    rtc_session_description d;
    ASSERT_EQ(rtc_peer_connection_description(b_.pc, RTC_DESCRIPTION_LOCAL, &d),
              RTC_OK);
    reanswer = d.sdp;
    rtc_free(const_cast<char*>(d.sdp));
  });
  // b bundles: its second transport is gone. (Whether a takes this answer
  // does not matter to b: its first transport keeps the credentials, the
  // candidates and the DTLS roles it has, and connects.)
  ASSERT_NE(reanswer.find("a=group:BUNDLE 0 1"), std::string::npos) << reanswer;
  ASSERT_TRUE(RunUntil(
      [&] {
        return b_.state == RTC_PC_STATE_CONNECTED &&
               (b_.ice_state == RTC_ICE_TRANSPORT_CONNECTED ||
                b_.ice_state == RTC_ICE_TRANSPORT_COMPLETED);
      },
      10 * kSec))
      << testing::PrintToString(b_.log);
  rtc_sim_time_advance_us(time_, 5 * kSec);
  OnQueue(b_.signaling, [&] {
    EXPECT_EQ(rtc_peer_connection_signaling_state(b_.pc), RTC_SIGNALING_STABLE);
    EXPECT_EQ(rtc_peer_connection_connection_state(b_.pc),
              RTC_PC_STATE_CONNECTED);
    EXPECT_EQ(rtc_peer_connection_ice_gathering_state(b_.pc),
              RTC_ICE_GATHERING_COMPLETE);
  });
}

// webrtc-pc §5.6: the transport's state, then the peer connection's
// iceConnectionState and connectionState are all set before the first of
// the events fires: a statechange handler on the RTCIceTransport already
// reads the peer connection's new states.
TEST_F(TransportObjectsTest, IceStateChangeHandlerSeesThePeerConnectionStates) {
  struct Seen {
    Peer* peer;
    std::vector<std::string> states;
  };
  static const rtc_pc_ice_transport_observer kRecord = {
      [](void* u) {
        auto* seen = static_cast<Seen*>(u);
        rtc_peer_connection* pc = seen->peer->pc;
        rtc_pc_ice_transport* ice = rtc_pc_dtls_transport_ice_transport(
            rtc_pc_sctp_transport_transport(rtc_peer_connection_sctp(pc)));
        seen->states.push_back(
            std::string(
                rtc_ice_transport_state_name(rtc_pc_ice_transport_state(ice))) +
            "/" +
            rtc_ice_transport_state_name(
                rtc_peer_connection_ice_connection_state(pc)));
      },
      nullptr,
      nullptr,
  };
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  channel_ = CreateChannel(a_, "chat", nullptr);
  Seen seen{&b_, {}};
  munge_answer = [&](std::string&) {
    OnQueue(b_.signaling, [&] {
      rtc_pc_ice_transport_set_observer(
          rtc_pc_dtls_transport_ice_transport(
              rtc_pc_sctp_transport_transport(rtc_peer_connection_sctp(b_.pc))),
          &kRecord, &seen);
    });
  };
  Negotiate(a_, b_);
  ASSERT_NE(WaitOpen(*channel_, b_, 0, 10 * kSec), nullptr);
  // One transport (everything bundled): the aggregate is its state.
  ASSERT_FALSE(seen.states.empty());
  for (const std::string& s : seen.states) {
    size_t slash = s.find('/');
    EXPECT_EQ(s.substr(0, slash), s.substr(slash + 1))
        << testing::PrintToString(seen.states);
  }
  OnQueue(b_.signaling, [&] {
    rtc_pc_ice_transport_set_observer(
        rtc_pc_dtls_transport_ice_transport(
            rtc_pc_sctp_transport_transport(rtc_peer_connection_sctp(b_.pc))),
        nullptr, nullptr);
  });
}

// webrtc-pc lets a page call pc.close() from any event handler. Whichever
// transport event it closes from, nothing fires after close() (neither the
// transport objects nor the peer connection), and the objects read
// "closed".
class CloseFromTransportEventTest
    : public TransportObjectsTest,
      public testing::WithParamInterface<const char*> {};

struct Closer {
  Peer* peer;
  std::string event;  // the one that closes
  bool closed = false;
  void On(const std::string& name) {
    peer->log.push_back(name);
    if (!closed && name == event) {
      closed = true;
      rtc_peer_connection_close(peer->pc);
    }
  }
};

Closer* CL(void* u) {
  return static_cast<Closer*>(u);
}

TEST_P(CloseFromTransportEventTest, NothingFiresAfterClose) {
  static const rtc_pc_ice_transport_observer kIce = {
      [](void* u) { CL(u)->On("ice-transport:statechange"); },
      [](void* u) { CL(u)->On("ice-transport:gatheringstatechange"); },
      [](void* u) { CL(u)->On("ice-transport:selectedcandidatepairchange"); },
  };
  static const rtc_pc_dtls_transport_observer kDtls = {
      [](void* u) { CL(u)->On("dtls-transport:statechange"); },
      [](void* u, const rtc_error_info*) { CL(u)->On("dtls-transport:error"); },
  };
  static const rtc_pc_sctp_transport_observer kSctp = {
      [](void* u) { CL(u)->On("sctp-transport:statechange"); },
  };
  struct Hook {
    Closer closer;
    rtc_rtp_transceiver* audio = nullptr;
    rtc_pc_dtls_transport* dtls = nullptr;  // referenced
    rtc_pc_sctp_transport* sctp = nullptr;  // referenced
  };
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  a_.other = &b_;
  b_.other = &a_;
  channel_ = CreateChannel(a_, "chat", nullptr);
  Hook hook{{&a_, GetParam()}};
  OnQueue(a_.signaling, [&] {
    rtc_error_info info;
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_.pc, RTC_MEDIA_AUDIO,
                                                  nullptr, &hook.audio, &info),
              RTC_OK);
  });
  auto keep = [](void* u, rtc_error err, const rtc_error_info* info,
                 const rtc_session_description* d) {
    ASSERT_EQ(err, RTC_OK) << info->message;
    *static_cast<std::string*>(u) = d->sdp;
  };
  std::string offer, answer;
  OnQueue(a_.signaling, [&] {
    ASSERT_EQ(rtc_peer_connection_create_offer(a_.pc, nullptr, keep, &offer),
              RTC_OK);
  });
  // a's objects are observed from the moment its descriptions create them:
  // in the description callbacks, before the network thread starts them.
  OnQueue(a_.signaling, [&] {
    rtc_session_description d = {RTC_SDP_OFFER, offer.c_str()};
    ASSERT_EQ(rtc_peer_connection_set_local_description(
                  a_.pc, &d,
                  [](void* u, rtc_error err, const rtc_error_info*) {
                    ASSERT_EQ(err, RTC_OK);
                    auto* h = static_cast<Hook*>(u);
                    h->dtls = rtc_rtp_transceiver_transport(h->audio);
                    ASSERT_NE(h->dtls, nullptr);
                    rtc_pc_dtls_transport_ref(h->dtls);
                    rtc_pc_dtls_transport_set_observer(h->dtls, &kDtls,
                                                       &h->closer);
                    rtc_pc_ice_transport_set_observer(
                        rtc_pc_dtls_transport_ice_transport(h->dtls), &kIce,
                        &h->closer);
                  },
                  &hook),
              RTC_OK);
  });
  ASSERT_NE(hook.dtls, nullptr);
  // Closing in the first gatheringstatechange ends the exchange here.
  if (!hook.closer.closed) {
    ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer), RTC_OK);
    OnQueue(b_.signaling, [&] {
      ASSERT_EQ(rtc_peer_connection_create_answer(b_.pc, keep, &answer),
                RTC_OK);
    });
    ASSERT_EQ(SetDescription(b_, true, RTC_SDP_ANSWER, answer), RTC_OK);
    OnQueue(a_.signaling, [&] {
      rtc_session_description d = {RTC_SDP_ANSWER, answer.c_str()};
      ASSERT_EQ(
          rtc_peer_connection_set_remote_description(
              a_.pc, &d,
              [](void* u, rtc_error err, const rtc_error_info*) {
                auto* h = static_cast<Hook*>(u);
                if (h->closer.closed)
                  return;
                ASSERT_EQ(err, RTC_OK);
                h->sctp = rtc_peer_connection_sctp(h->closer.peer->pc);
                ASSERT_NE(h->sctp, nullptr);
                rtc_pc_sctp_transport_ref(h->sctp);
                rtc_pc_sctp_transport_set_observer(h->sctp, &kSctp, &h->closer);
                // BUNDLE: the data channels run on the audio
                // section's transport, the one observed already.
                EXPECT_EQ(rtc_pc_sctp_transport_transport(h->sctp), h->dtls);
              },
              &hook),
          RTC_OK);
    });
  }
  ASSERT_TRUE(RunUntil([&] { return hook.closer.closed; }, 10 * kSec))
      << testing::PrintToString(a_.log);
  size_t events = a_.log.size();
  rtc_sim_time_advance_us(time_, 5 * kSec);
  EXPECT_EQ(a_.log.size(), events) << testing::PrintToString(a_.log);
  EXPECT_EQ(a_.log.back(), hook.closer.event) << testing::PrintToString(a_.log);
  EXPECT_EQ(rtc_pc_dtls_transport_state(hook.dtls), RTC_DTLS_CLOSED);
  EXPECT_EQ(rtc_pc_ice_transport_state(
                rtc_pc_dtls_transport_ice_transport(hook.dtls)),
            RTC_ICE_TRANSPORT_CLOSED);
  if (hook.sctp) {
    EXPECT_EQ(rtc_pc_sctp_transport_state(hook.sctp), RTC_PC_SCTP_CLOSED);
  }
  rtc_pc_sctp_transport_unref(hook.sctp);
  rtc_pc_dtls_transport_unref(hook.dtls);
  OnQueue(a_.signaling, [&] { rtc_rtp_transceiver_unref(hook.audio); });
}

INSTANTIATE_TEST_SUITE_P(
    EveryTransportEvent,
    CloseFromTransportEventTest,
    testing::Values("ice-transport:gatheringstatechange",
                    "ice-transport:statechange",
                    "ice-transport:selectedcandidatepairchange",
                    "dtls-transport:statechange",
                    "sctp-transport:statechange"),
    [](const testing::TestParamInfo<const char*>& event) {
      std::string name;
      for (const char* c = event.param; *c; c++) {
        if (std::isalnum(static_cast<unsigned char>(*c)))
          name += *c;
      }
      return name;
    });

TEST_F(TransportObjectsTest, BundledTransceiversShareTheDataChannelsTransport) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  channel_ = CreateChannel(a_, "chat", nullptr);
  rtc_rtp_transceiver* audio = nullptr;
  rtc_rtp_transceiver* video = nullptr;
  OnQueue(a_.signaling, [&] {
    rtc_error_info info;
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_.pc, RTC_MEDIA_AUDIO,
                                                  nullptr, &audio, &info),
              RTC_OK);
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_.pc, RTC_MEDIA_VIDEO,
                                                  nullptr, &video, &info),
              RTC_OK);
    EXPECT_EQ(rtc_rtp_transceiver_transport(audio), nullptr);
  });
  Negotiate(a_, b_);
  ASSERT_NE(WaitOpen(*channel_, b_, 0, 10 * kSec), nullptr);
  OnQueue(a_.signaling, [&] {
    rtc_pc_dtls_transport* data =
        rtc_pc_sctp_transport_transport(rtc_peer_connection_sctp(a_.pc));
    EXPECT_EQ(rtc_rtp_transceiver_transport(audio), data);
    EXPECT_EQ(rtc_rtp_transceiver_transport(video), data);
    EXPECT_EQ(rtc_pc_dtls_transport_state(data), RTC_DTLS_CONNECTED);
    rtc_rtp_transceiver_unref(audio);
    rtc_rtp_transceiver_unref(video);
  });
}

// api/rtc_peer_connection.h: once destroy returned, nothing more reaches
// the signaling queue, so the embedder may destroy it at once, even while
// the network thread still holds events for the connection (packets in
// flight, the network half not yet torn down).
TEST_F(PeerConnectionTest, SignalingQueueMayGoRightAfterDestroy) {
  MakePeer(a_, "a", "203.0.113.1");
  MakePeer(b_, "b", "203.0.113.2");
  SetLink(a_, 20 * kMs, 0);
  auto ca = CreateChannel(a_, "chat", nullptr);
  Negotiate(a_, b_);
  Channel* cb = WaitOpen(*ca, b_, 0, 10 * kSec);
  ASSERT_NE(cb, nullptr);
  // b's messages are on the wire towards a when a goes.
  for (int i = 0; i < 20; i++)
    ASSERT_EQ(Send(b_, *cb, "to a", false), RTC_OK);
  rtc_sim_time_advance_us(time_, 15 * kMs);
  ca.reset();
  DestroyPeer(a_);
  rtc_task_queue_destroy(a_.signaling);
  a_.signaling = nullptr;
  // The network thread delivers what arrives, then tears a's half down.
  rtc_sim_time_advance_us(time_, kSec);
  EXPECT_EQ(rtc_sim_host_socket_count(a_.host), 0u);
}

}  // namespace
