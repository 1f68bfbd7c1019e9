// Peer connections end to end on the simulated network and simulated time:
// offer/answer, trickle ICE, DTLS, SCTP and data channels.

#include "api/rtc_peer_connection.h"

#include <gtest/gtest.h>

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

TEST_F(TransportObjectsTest, FingerprintMismatchFiresErrorThenStateChange) {
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

}  // namespace
