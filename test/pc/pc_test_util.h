// Test support for peer connections on the simulated network and simulated
// time: observers that record what peer connections and data channels
// report, and a fixture that builds endpoints and negotiates between them.

#ifndef TEST_PC_PC_TEST_UTIL_H_
#define TEST_PC_PC_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/rtc_data_channel.h"
#include "api/rtc_peer_connection.h"
#include "rtc_base/alloc.h"
#include "rtc_base/sim_time.h"
#include "test/network/sim_network.h"
#include "test/support/sim_wall_clock.h"

namespace rtc_test {

constexpr int64_t kSec = RTC_US_PER_SEC;
constexpr int64_t kMs = RTC_US_PER_MS;

// Posts fn to q after delay_us.
rtc_error PostFn(rtc_task_queue* q,
                 std::function<void()> fn,
                 int64_t delay_us = 0);

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
  // Detaches first: the channel may outlive this record.
  ~Channel() {
    if (channel)
      rtc_data_channel_set_observer(channel, nullptr, nullptr);
    rtc_data_channel_unref(channel);
  }
  rtc_data_channel_state state() const {
    return rtc_data_channel_ready_state(channel);
  }
};

// One endpoint: a context on its simulated host and a peer connection.
struct Peer {
  std::string name;
  rtc_task_queue* signaling = nullptr;
  rtc_task_queue* network = nullptr;
  rtc_task_queue* worker = nullptr;
  rtc_context* context = nullptr;
  rtc_peer_connection* pc = nullptr;
  rtc_sim_host* host = nullptr;
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
    MakeContext(p, name, ip);
    CreatePc(p, config);
  }

  // p's host, queues and context, without a peer connection yet
  // (mdns_messages_per_second 0: the context's default).
  void MakeContext(Peer& p,
                   const char* name,
                   const char* ip,
                   uint32_t mdns_messages_per_second = 0) {
    p.name = name;
    rtc_socket_address addr;
    ASSERT_EQ(rtc_socket_address_parse(ip, strlen(ip), &addr), RTC_OK);
    rtc_sim_host* host;
    ASSERT_EQ(rtc_sim_network_add_host(net_, nullptr, &addr, &host), RTC_OK);
    p.host = host;
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "signaling", &p.signaling),
              RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "network", &p.network), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "worker", &p.worker), RTC_OK);
    rtc_context_config cc;
    rtc_context_config_init(&cc);
    cc.network_queue = p.network;
    cc.worker_queue = p.worker;
    cc.socket_factory = rtc_sim_host_socket_factory(host);
    cc.mdns_messages_per_second = mdns_messages_per_second;
    ASSERT_EQ(rtc_context_create(&cc, &p.context), RTC_OK);
  }

  // p's peer connection (config NULL: defaults, host addresses shown).
  void CreatePc(Peer& p, rtc_configuration* config = nullptr) {
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
    ASSERT_EQ(SetDescription(offerer, true, RTC_SDP_OFFER, offer), RTC_OK);
    if (munge_offer)
      munge_offer(offer);
    ASSERT_EQ(SetDescription(answerer, false, RTC_SDP_OFFER, offer), RTC_OK);
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
    ASSERT_EQ(SetDescription(answerer, true, RTC_SDP_ANSWER, answer), RTC_OK);
    if (munge_answer)
      munge_answer(answer);
    ASSERT_EQ(SetDescription(offerer, false, RTC_SDP_ANSWER, answer), RTC_OK);
  }

  // Both directions of p's link: one-way delay and loss.
  void SetLink(Peer& p, int64_t delay_us, double loss) {
    rtc_sim_link link;
    rtc_sim_link_init(&link);
    link.delay_us = delay_us;
    link.loss = loss;
    rtc_sim_host_set_link(p.host, &link, &link);
  }

  // createDataChannel on p (init may be NULL for the defaults).
  std::unique_ptr<Channel> CreateChannel(Peer& p,
                                         const char* label,
                                         const rtc_data_channel_init* init) {
    auto ch = std::make_unique<Channel>();
    OnQueue(p.signaling, [&] {
      rtc_data_channel* c = nullptr;
      rtc_error_info info;
      rtc_error err =
          rtc_peer_connection_create_data_channel(p.pc, label, init, &c, &info);
      EXPECT_EQ(err, RTC_OK) << info.message;
      if (err == RTC_OK)
        ch->Attach(c);
    });
    return ch;
  }

  // Waits until `local` is open and `remote` announced its index-th channel,
  // open too; returns that channel (or NULL on timeout).
  Channel* WaitOpen(Channel& local,
                    Peer& remote,
                    size_t index,
                    int64_t timeout_us) {
    bool ok = RunUntil(
        [&] {
          return local.state() == RTC_DATA_CHANNEL_OPEN &&
                 remote.remote_channels.size() > index &&
                 remote.remote_channels[index]->state() ==
                     RTC_DATA_CHANNEL_OPEN;
        },
        timeout_us);
    return ok ? remote.remote_channels[index].get() : nullptr;
  }

  // RTCDataChannel.send() on the channel's signaling queue.
  rtc_error Send(Peer& p, Channel& c, const std::string& data, bool binary) {
    rtc_error result = RTC_ERR_INTERNAL;
    OnQueue(p.signaling, [&] {
      result = rtc_data_channel_send(
          c.channel, binary, reinterpret_cast<const uint8_t*>(data.data()),
          data.size());
    });
    return result;
  }

  // getStats() as JSON.
  std::string GetStats(Peer& p) {
    std::string json;
    OnQueue(p.signaling, [&] {
      ASSERT_EQ(
          rtc_peer_connection_get_stats(
              p.pc,
              [](void* u, const char* j) { *static_cast<std::string*>(u) = j; },
              &json),
          RTC_OK);
    });
    RunUntil([&] { return !json.empty(); }, 5 * kSec);
    return json;
  }

  // Applied to the offer (answer) before the remote side sets it.
  std::function<void(std::string&)> munge_offer, munge_answer;

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

}  // namespace rtc_test

#endif  // TEST_PC_PC_TEST_UTIL_H_
