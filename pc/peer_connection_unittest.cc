// Peer connections end to end on the simulated network and simulated time:
// offer/answer, trickle ICE, DTLS, SCTP and data channels.

#include "api/rtc_peer_connection.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rtc_base/alloc.h"
#include "rtc_base/sim_time.h"
#include "test/network/sim_network.h"
#include "test/support/sim_wall_clock.h"

namespace {

constexpr int64_t kSec = RTC_US_PER_SEC;
constexpr int64_t kMs = RTC_US_PER_MS;

rtc_error PostFn(rtc_task_queue* q,
                 std::function<void()> fn,
                 int64_t delay_us = 0) {
  auto* heap_fn = new std::function<void()>(std::move(fn));
  rtc_task task = {
      [](void* arg) { (*static_cast<std::function<void()>*>(arg))(); },
      [](void* arg) { delete static_cast<std::function<void()>*>(arg); },
      heap_fn};
  return rtc_task_queue_post_delayed(q, delay_us, task);
}

// A data channel's events, recorded.
struct Channel {
  rtc_data_channel* channel = nullptr;
  std::vector<std::string> events;
  std::vector<std::string> messages;
  std::vector<bool> binary;
  static const rtc_data_channel_observer kObserver;

  void Attach(rtc_data_channel* c) {
    channel = c;
    rtc_data_channel_set_observer(c, &kObserver, this);
  }
  ~Channel() { rtc_data_channel_unref(channel); }
  rtc_data_channel_state state() const {
    return rtc_data_channel_ready_state(channel);
  }
};

const rtc_data_channel_observer Channel::kObserver = {
    [](void* u) { static_cast<Channel*>(u)->events.push_back("open"); },
    [](void* u, bool is_binary, const uint8_t* data, size_t size) {
      auto* c = static_cast<Channel*>(u);
      c->messages.emplace_back(reinterpret_cast<const char*>(data), size);
      c->binary.push_back(is_binary);
    },
    [](void* u) {
      static_cast<Channel*>(u)->events.push_back("bufferedamountlow");
    },
    [](void* u, const rtc_error_info*) {
      static_cast<Channel*>(u)->events.push_back("error");
    },
    [](void* u) { static_cast<Channel*>(u)->events.push_back("closing"); },
    [](void* u) { static_cast<Channel*>(u)->events.push_back("close"); },
};

// One endpoint: a context on its simulated host and a peer connection.
struct Peer {
  std::string name;
  rtc_task_queue* signaling = nullptr;
  rtc_task_queue* network = nullptr;
  rtc_task_queue* worker = nullptr;
  rtc_context* context = nullptr;
  rtc_peer_connection* pc = nullptr;
  Peer* other = nullptr;
  int64_t signaling_delay_us = 10 * kMs;

  std::vector<std::string> log;  // events in order
  std::vector<std::unique_ptr<Channel>> remote_channels;
  int negotiation_needed = 0;
  bool gathering_complete = false;
  int candidates = 0;
  rtc_peer_connection_state state = RTC_PC_STATE_NEW;
  rtc_ice_connection_state ice_state = RTC_ICE_TRANSPORT_NEW;

  static const rtc_peer_connection_observer kObserver;
};

Peer* P(void* u) {
  return static_cast<Peer*>(u);
}

const rtc_peer_connection_observer Peer::kObserver = {
    [](void* u) {
      P(u)->negotiation_needed++;
      P(u)->log.push_back("negotiationneeded");
    },
    [](void* u, const rtc_ice_candidate_event* e) {
      Peer* self = P(u);
      if (!e->candidate) {
        self->gathering_complete = true;
        self->log.push_back("icecandidate:null");
        return;
      }
      self->candidates++;
      Peer* peer = self->other;
      if (!peer)
        return;
      std::string candidate = e->candidate;
      std::string mid = e->sdp_mid ? e->sdp_mid : "";
      int index = e->sdp_mline_index;
      PostFn(
          peer->signaling,
          [peer, candidate, mid, index] {
            if (!peer->pc)
              return;
            rtc_ice_candidate_init init = {candidate.c_str(), mid.c_str(),
                                           index, nullptr};
            rtc_peer_connection_add_ice_candidate(
                peer->pc, &init,
                [](void* user, rtc_error err, const rtc_error_info* info) {
                  if (err != RTC_OK)
                    static_cast<Peer*>(user)->log.push_back(
                        std::string("addIceCandidate failed: ") +
                        info->message);
                },
                peer);
          },
          self->signaling_delay_us);
    },
    nullptr,
    [](void* u, rtc_signaling_state s) {
      P(u)->log.push_back(std::string("signaling:") +
                          rtc_signaling_state_name(s));
    },
    [](void* u, rtc_ice_gathering_state s) {
      P(u)->log.push_back(std::string("gathering:") +
                          rtc_ice_gathering_state_name(s));
    },
    [](void* u, rtc_ice_connection_state s) {
      P(u)->ice_state = s;
      P(u)->log.push_back(std::string("ice:") +
                          rtc_ice_transport_state_name(s));
    },
    [](void* u, rtc_peer_connection_state s) {
      P(u)->state = s;
      P(u)->log.push_back(std::string("connection:") +
                          rtc_peer_connection_state_name(s));
    },
    [](void* u, rtc_data_channel* c) {
      auto ch = std::make_unique<Channel>();
      ch->Attach(c);
      P(u)->remote_channels.push_back(std::move(ch));
      P(u)->log.push_back("datachannel");
    },
};

class PeerConnectionTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_sim_time_create(0, &time_), RTC_OK);
    ASSERT_EQ(rtc_sim_network_create(time_, 7, &net_), RTC_OK);
    rtc_test_wall_clock_follow(time_);
  }

  void TearDown() override {
    for (Peer* p : {&a_, &b_})
      DestroyPeer(*p);
    rtc_sim_time_advance_us(time_, 100 * kSec);
    for (Peer* p : {&a_, &b_}) {
      rtc_context_destroy(p->context);
      for (rtc_task_queue* q : {p->signaling, p->network, p->worker})
        rtc_task_queue_destroy(q);
    }
    rtc_sim_network_destroy(net_);
    rtc_test_wall_clock_unfollow();
    rtc_sim_time_destroy(time_);
  }

  void OnQueue(rtc_task_queue* q, std::function<void()> fn) {
    ASSERT_EQ(PostFn(q, std::move(fn)), RTC_OK);
    rtc_sim_time_run_until_idle(time_);
  }

  bool RunUntil(std::function<bool()> done, int64_t timeout_us) {
    return rtc_sim_time_run_until(
        time_,
        [](void* arg) { return (*static_cast<std::function<bool()>*>(arg))(); },
        &done, timeout_us);
  }

  void MakePeer(Peer& p,
                const char* name,
                const char* ip,
                rtc_configuration* config = nullptr) {
    p.name = name;
    rtc_socket_address addr;
    ASSERT_EQ(rtc_socket_address_parse(ip, strlen(ip), &addr), RTC_OK);
    rtc_sim_host* host;
    ASSERT_EQ(rtc_sim_network_add_host(net_, nullptr, &addr, &host), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "signaling", &p.signaling),
              RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "network", &p.network), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "worker", &p.worker), RTC_OK);
    rtc_context_config cc;
    rtc_context_config_init(&cc);
    cc.network_queue = p.network;
    cc.worker_queue = p.worker;
    cc.socket_factory = rtc_sim_host_socket_factory(host);
    ASSERT_EQ(rtc_context_create(&cc, &p.context), RTC_OK);
    rtc_configuration defaults;
    rtc_configuration_init(&defaults);
    defaults.obfuscate_host_addresses = false;
    OnQueue(p.signaling, [&] {
      rtc_error_info info;
      ASSERT_EQ(rtc_peer_connection_create(p.context, p.signaling,
                                           config ? config : &defaults,
                                           &Peer::kObserver, &p, &p.pc, &info),
                RTC_OK)
          << info.message;
    });
  }

  void DestroyPeer(Peer& p) {
    if (!p.pc)
      return;
    OnQueue(p.signaling, [&] {
      p.remote_channels.clear();
      rtc_peer_connection_destroy(p.pc);
      p.pc = nullptr;
    });
  }

  // The whole offer/answer exchange, a offering; waits for both to finish.
  void Negotiate(Peer& offerer, Peer& answerer) {
    offerer.other = &answerer;
    answerer.other = &offerer;
    std::string offer, answer;
    bool done = false;
    OnQueue(offerer.signaling, [&] {
      ASSERT_EQ(rtc_peer_connection_create_offer(
                    offerer.pc, nullptr,
                    [](void* u, rtc_error err, const rtc_error_info* info,
                       const rtc_session_description* d) {
                      ASSERT_EQ(err, RTC_OK) << info->message;
                      *static_cast<std::string*>(u) = d->sdp;
                    },
                    &offer),
                RTC_OK);
    });
    ASSERT_FALSE(offer.empty());
    SetDescription(offerer, true, RTC_SDP_OFFER, offer);
    SetDescription(answerer, false, RTC_SDP_OFFER, offer);
    OnQueue(answerer.signaling, [&] {
      ASSERT_EQ(rtc_peer_connection_create_answer(
                    answerer.pc,
                    [](void* u, rtc_error err, const rtc_error_info* info,
                       const rtc_session_description* d) {
                      ASSERT_EQ(err, RTC_OK) << info->message;
                      *static_cast<std::string*>(u) = d->sdp;
                    },
                    &answer),
                RTC_OK);
    });
    ASSERT_FALSE(answer.empty());
    SetDescription(answerer, true, RTC_SDP_ANSWER, answer);
    SetDescription(offerer, false, RTC_SDP_ANSWER, answer);
    done = true;
    ASSERT_TRUE(done);
  }

  rtc_error SetDescription(Peer& p,
                           bool local,
                           rtc_sdp_type type,
                           const std::string& sdp,
                           std::string* message = nullptr) {
    rtc_error result = RTC_ERR_INTERNAL;
    struct Out {
      rtc_error* result;
      std::string* message;
    } out{&result, message};
    OnQueue(p.signaling, [&] {
      rtc_session_description d = {type, sdp.c_str()};
      auto done = [](void* u, rtc_error err, const rtc_error_info* info) {
        auto* o = static_cast<Out*>(u);
        *o->result = err;
        if (o->message)
          *o->message = info->message;
      };
      rtc_error err = local ? rtc_peer_connection_set_local_description(
                                  p.pc, &d, done, &out)
                            : rtc_peer_connection_set_remote_description(
                                  p.pc, &d, done, &out);
      if (err != RTC_OK)
        result = err;
    });
    return result;
  }

  rtc_sim_time* time_ = nullptr;
  rtc_sim_network* net_ = nullptr;
  Peer a_, b_;
};

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

}  // namespace
