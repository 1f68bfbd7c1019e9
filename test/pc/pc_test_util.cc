#include "test/pc/pc_test_util.h"

namespace rtc_test {

rtc_error PostFn(rtc_task_queue* q,
                 std::function<void()> fn,
                 int64_t delay_us) {
  auto* heap_fn = new std::function<void()>(std::move(fn));
  rtc_task task = {
      [](void* arg) { (*static_cast<std::function<void()>*>(arg))(); },
      [](void* arg) { delete static_cast<std::function<void()>*>(arg); },
      heap_fn};
  return rtc_task_queue_post_delayed(q, delay_us, task);
}

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

namespace {

Peer* P(void* u) {
  return static_cast<Peer*>(u);
}

}  // namespace

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
    nullptr,  // on_remote_tracks
};

}  // namespace rtc_test
