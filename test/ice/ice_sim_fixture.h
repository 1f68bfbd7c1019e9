// A GoogleTest fixture for ICE agents on the simulated network: simulated
// time, a network, a queue for helpers (STUN servers, scripted peers), two
// agents a_ and b_ with their callbacks recorded, trickle signaling between
// them. The ICE unit tests (p2p/ice_agent_unittest.cc) and the ICE rows of
// the security suite (test/security/net/) derive from it.
#ifndef TEST_ICE_ICE_SIM_FIXTURE_H_
#define TEST_ICE_ICE_SIM_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "p2p/ice_agent.h"
#include "rtc_base/sim_time.h"
#include "test/ice/ice_test_util.h"
#include "test/network/sim_network.h"

namespace rtc_test {

class IceSimFixture : public testing::Test {
 protected:
  // `seed`: the simulated network's (its loss and jitter draws).
  explicit IceSimFixture(uint64_t seed) : seed_(seed) {}

  void SetUp() override {
    ASSERT_EQ(rtc_sim_time_create(0, &time_), RTC_OK);
    ASSERT_EQ(rtc_sim_network_create(time_, seed_, &net_), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "helpers", &helper_queue_),
              RTC_OK);
  }

  // Destroys the agents and the scripted peers, then checks that nothing
  // is still scheduled (by the agents or the sockets).
  void TearDown() override {
    for (IcePeer* p : {&a_, &b_})
      DestroyPeer(*p);
    for (ScriptedIcePeer* s : scripted_) {
      OnQueue(helper_queue_, [s] { s->Stop(); });
      delete s;
    }
    scripted_.clear();
    rtc_sim_time_advance_us(time_, 100 * RTC_US_PER_SEC);
    EXPECT_EQ(rtc_sim_time_next_deadline_us(time_), INT64_MAX);
    rtc_task_queue_destroy(helper_queue_);
    rtc_sim_network_destroy(net_);
    rtc_sim_time_destroy(time_);
  }

  // Runs fn on q, and whatever is due with it.
  void OnQueue(rtc_task_queue* q, std::function<void()> fn) {
    ASSERT_EQ(PostTo(q, std::move(fn)), RTC_OK);
    rtc_sim_time_run_until_idle(time_);
  }

  void Run(int64_t us) { rtc_sim_time_advance_us(time_, us); }

  bool RunUntil(std::function<bool()> done, int64_t timeout_us) {
    return rtc_sim_time_run_until(
        time_,
        [](void* arg) { return (*static_cast<std::function<bool()>*>(arg))(); },
        &done, timeout_us);
  }

  // A host at `ip` on the internet (nat nullptr) or behind `nat`.
  rtc_sim_host* AddHostOnNat(rtc_sim_nat* nat, const char* ip) {
    rtc_socket_address addr;
    EXPECT_EQ(rtc_socket_address_parse(ip, strlen(ip), &addr), RTC_OK) << ip;
    rtc_sim_host* host = nullptr;
    EXPECT_EQ(rtc_sim_network_add_host(net_, nat, &addr, &host), RTC_OK);
    return host;
  }

  void MakePeer(IcePeer& p,
                const char* name,
                rtc_sim_host* host,
                const rtc_ice_agent_config& config) {
    p.name = name;
    ASSERT_EQ(rtc_sim_time_create_queue(time_, name, &p.queue), RTC_OK);
    p.factory = rtc_sim_host_socket_factory(host);
    OnQueue(p.queue, [&] { ASSERT_EQ(p.Create(config), RTC_OK); });
  }

  void DestroyPeer(IcePeer& p) {
    if (!p.queue)
      return;
    OnQueue(p.queue, [&] { p.Destroy(); });
    rtc_task_queue_destroy(p.queue);
    p.queue = nullptr;
  }

  // Wires a and b for trickle signaling (b_signaling_delay_us < 0: the
  // same delay both ways) and starts both gathering.
  void Start(int64_t signaling_delay_us = 10 * RTC_US_PER_MS,
             int64_t b_signaling_delay_us = -1) {
    a_.other = &b_;
    b_.other = &a_;
    a_.signaling_delay_us = b_.signaling_delay_us = signaling_delay_us;
    if (b_signaling_delay_us >= 0)
      b_.signaling_delay_us = b_signaling_delay_us;
    ExchangeCredentials(a_, b_);
    rtc_sim_time_run_until_idle(time_);
    start_us_ = rtc_sim_time_now_us(time_);
    OnQueue(a_.queue,
            [&] { ASSERT_EQ(rtc_ice_agent_gather(a_.agent), RTC_OK); });
    OnQueue(b_.queue,
            [&] { ASSERT_EQ(rtc_ice_agent_gather(b_.agent), RTC_OK); });
  }

  bool BothConnected(int64_t timeout_us) {
    return RunUntil(
        [&] {
          return a_.selected_count > 0 && b_.selected_count > 0 &&
                 a_.connected() && b_.connected();
        },
        timeout_us);
  }

  // Sends `text` from p to its peer over the selected pair.
  rtc_error Send(IcePeer& p, const std::string& text) {
    rtc_error result = RTC_ERR_INTERNAL;
    // RFC 7983: data must look like DTLS or RTP to reach the other side.
    std::string packet = std::string(1, '\x17') + text;
    OnQueue(p.queue, [&] {
      result = rtc_ice_agent_send(
          p.agent, reinterpret_cast<const uint8_t*>(packet.data()),
          packet.size());
    });
    return result;
  }

  // A scripted peer at `address` on `host`, with these credentials.
  ScriptedIcePeer* AddScripted(rtc_sim_host* host,
                               const char* address,
                               const char* ufrag,
                               const char* pwd) {
    auto* s = new ScriptedIcePeer;
    scripted_.push_back(s);
    rtc_socket_address addr;
    EXPECT_EQ(rtc_socket_address_parse(address, strlen(address), &addr),
              RTC_OK);
    OnQueue(helper_queue_, [&] {
      ASSERT_EQ(s->Start(rtc_sim_host_socket_factory(host), helper_queue_, addr,
                         ufrag, pwd),
                RTC_OK);
    });
    return s;
  }

  // Points peer p at a scripted peer: its credentials and candidate.
  void ConnectTo(IcePeer& p,
                 ScriptedIcePeer* s,
                 const char* ufrag,
                 const char* pwd) {
    rtc_candidate c = s->Candidate();
    OnQueue(p.queue, [&] {
      ASSERT_EQ(rtc_ice_agent_set_remote_credentials(p.agent, ufrag, pwd),
                RTC_OK);
      ASSERT_EQ(rtc_ice_agent_gather(p.agent), RTC_OK);
      ASSERT_EQ(rtc_ice_agent_add_remote_candidate(p.agent, &c), RTC_OK);
    });
  }

  uint64_t seed_;
  rtc_sim_time* time_ = nullptr;
  rtc_sim_network* net_ = nullptr;
  rtc_task_queue* helper_queue_ = nullptr;
  IcePeer a_, b_;
  std::vector<ScriptedIcePeer*> scripted_;
  int64_t start_us_ = 0;
};

}  // namespace rtc_test

#endif  // TEST_ICE_ICE_SIM_FIXTURE_H_
