#include "test/ice/ice_test_util.h"

#include <cstdio>
#include <cstring>
#include <utility>

#include "p2p/packet_socket.h"
#include "p2p/stun.h"

namespace rtc_test {

rtc_error PostTo(rtc_task_queue* q,
                 std::function<void()> fn,
                 int64_t delay_us) {
  auto* heap_fn = new std::function<void()>(std::move(fn));
  rtc_task task = {
      [](void* arg) { (*static_cast<std::function<void()>*>(arg))(); },
      [](void* arg) { delete static_cast<std::function<void()>*>(arg); },
      heap_fn};
  return rtc_task_queue_post_delayed(q, delay_us, task);
}

std::string CandidateString(const rtc_candidate& c) {
  char buf[RTC_CANDIDATE_MAX_LENGTH + 1];
  rtc_candidate_format(&c, buf, sizeof(buf));
  return buf;
}

std::string AddressString(const rtc_socket_address& a) {
  char buf[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_socket_address_format(&a, buf, sizeof(buf));
  return buf;
}

namespace {

IcePeer* Self(void* user) {
  return static_cast<IcePeer*>(user);
}

void Notify(void* user) {
  IcePeer* self = Self(user);
  if (self->on_event)
    self->on_event();
}

void OnGatheringState(void* user, rtc_ice_gathering_state state) {
  Self(user)->gathering_states.push_back(state);
  Notify(user);
}

void OnCandidate(void* user, const rtc_candidate* candidate) {
  IcePeer* self = Self(user);
  if (!candidate) {
    self->end_of_candidates = true;
  } else {
    self->candidates.push_back(*candidate);
  }
  Notify(user);
  IcePeer* other = self->other;
  if (!self->trickle || !other ||
      (candidate && self->signal_filter && !self->signal_filter(*candidate)))
    return;
  if (!candidate) {
    PostTo(
        other->queue,
        [other] {
          if (other->agent)
            rtc_ice_agent_end_of_remote_candidates(other->agent);
        },
        self->signaling_delay_us);
    return;
  }
  rtc_candidate copy = *candidate;
  PostTo(
      other->queue,
      [other, copy] {
        if (other->agent)
          rtc_ice_agent_add_remote_candidate(other->agent, &copy);
      },
      self->signaling_delay_us);
}

void OnCandidateError(void* user, const rtc_ice_candidate_error* error) {
  Self(user)->candidate_errors.push_back(*error);
  Notify(user);
}

void OnState(void* user, rtc_ice_transport_state state) {
  IcePeer* self = Self(user);
  self->states.push_back(state);
  self->state_times.push_back(rtc_task_queue_now_us(self->queue));
  Notify(user);
}

void OnSelectedPair(void* user, const rtc_ice_pair_info* pair) {
  IcePeer* self = Self(user);
  self->selected_count++;
  if (self->selected_at_us < 0)
    self->selected_at_us = rtc_task_queue_now_us(self->queue);
  self->selected = *pair;
  Notify(user);
}

void OnPacket(void* user, const uint8_t* data, size_t size, int64_t) {
  IcePeer* self = Self(user);
  std::string packet(reinterpret_cast<const char*>(data), size);
  self->received.push_back(packet);
  if (self->on_packet)
    self->on_packet(packet);
  Notify(user);
}

void OnWritable(void* user) {
  Self(user)->writable_count++;
  Notify(user);
}

}  // namespace

const rtc_ice_agent_observer IcePeer::kObserver = {
    OnGatheringState, OnCandidate, OnCandidateError, OnState,
    OnSelectedPair,   OnPacket,    OnWritable,
};

rtc_error IcePeer::Create(const rtc_ice_agent_config& config) {
  return rtc_ice_agent_create(factory, queue, &config, &kObserver, this,
                              &agent);
}

void IcePeer::Destroy() {
  rtc_ice_agent_destroy(agent);
  agent = nullptr;
}

bool IcePeer::ReachedState(rtc_ice_transport_state s) const {
  for (auto state : states) {
    if (state == s)
      return true;
  }
  return false;
}

void ExchangeCredentials(IcePeer& a, IcePeer& b) {
  char ufrag[RTC_ICE_UFRAG_SIZE], pwd[RTC_ICE_PWD_SIZE];
  rtc_ice_agent_local_credentials(a.agent, ufrag, pwd);
  std::string au = ufrag, ap = pwd;
  rtc_ice_agent_local_credentials(b.agent, ufrag, pwd);
  std::string bu = ufrag, bp = pwd;
  IcePeer* pa = &a;
  IcePeer* pb = &b;
  PostTo(a.queue, [pa, bu, bp] {
    rtc_ice_agent_set_remote_credentials(pa->agent, bu.c_str(), bp.c_str());
  });
  PostTo(b.queue, [pb, au, ap] {
    rtc_ice_agent_set_remote_credentials(pb->agent, au.c_str(), ap.c_str());
  });
}

rtc_error StunServer::Start(rtc_socket_factory* factory,
                            rtc_task_queue* q,
                            const rtc_socket_address& address) {
  static const rtc_packet_socket_observer observer = {&StunServer::OnPackets,
                                                      nullptr, nullptr};
  rtc_error err = rtc_socket_factory_create_udp(factory, q, &address, nullptr,
                                                &observer, this, &socket_);
  if (err != RTC_OK)
    return err;
  return rtc_packet_socket_local_address(socket_, &address_);
}

void StunServer::Stop() {
  rtc_packet_socket_destroy(socket_);
  socket_ = nullptr;
}

void StunServer::OnPackets(void* user,
                           rtc_packet_socket* socket,
                           const rtc_received_packet* packets,
                           size_t count) {
  auto* self = static_cast<StunServer*>(user);
  for (size_t i = 0; i < count; i++) {
    rtc_stun_message msg;
    if (rtc_stun_parse(packets[i].data, packets[i].size, &msg) != RTC_OK ||
        msg.type != RTC_STUN_BINDING_REQUEST)
      continue;
    self->requests_++;
    if (!self->answer)
      continue;
    uint8_t buf[256];
    rtc_stun_builder b;
    rtc_stun_builder_init(&b, buf, sizeof(buf), RTC_STUN_BINDING_SUCCESS,
                          msg.transaction_id);
    rtc_stun_add_xor_mapped_address(&b, &packets[i].source);
    rtc_stun_add_fingerprint(&b);
    size_t len;
    if (rtc_stun_builder_finish(&b, &len) == RTC_OK)
      rtc_packet_socket_send_to(socket, buf, len, &packets[i].source);
  }
}

}  // namespace rtc_test

namespace rtc_test {

rtc_error ScriptedIcePeer::Start(rtc_socket_factory* factory,
                                 rtc_task_queue* q,
                                 const rtc_socket_address& address,
                                 std::string ufrag,
                                 std::string pwd) {
  static const rtc_packet_socket_observer observer = {
      &ScriptedIcePeer::OnPackets, nullptr, nullptr};
  queue_ = q;
  ufrag_ = std::move(ufrag);
  pwd_ = std::move(pwd);
  rtc_error err = rtc_socket_factory_create_udp(factory, q, &address, nullptr,
                                                &observer, this, &socket_);
  if (err != RTC_OK)
    return err;
  rtc_socket_address any = address;
  any.port = 0;
  err = rtc_socket_factory_create_udp(factory, q, &any, nullptr, &observer,
                                      this, &other_socket_);
  if (err != RTC_OK)
    return err;
  return rtc_packet_socket_local_address(socket_, &address_);
}

void ScriptedIcePeer::Stop() {
  rtc_packet_socket_destroy(socket_);
  rtc_packet_socket_destroy(other_socket_);
  socket_ = other_socket_ = nullptr;
}

rtc_candidate ScriptedIcePeer::Candidate() const {
  rtc_candidate c;
  rtc_candidate_init(&c);
  snprintf(c.foundation, sizeof(c.foundation), "1");
  c.priority = rtc_candidate_priority(RTC_CANDIDATE_HOST, 65535, 1);
  c.address = address_;
  return c;
}

void ScriptedIcePeer::SendRequest(const rtc_socket_address& to,
                                  const std::string& username,
                                  const std::string& key,
                                  bool fingerprint,
                                  bool from_second) {
  uint8_t buf[512];
  uint8_t id[RTC_STUN_TRANSACTION_ID_SIZE];
  rtc_stun_new_transaction_id(id);
  rtc_stun_builder b;
  rtc_stun_builder_init(&b, buf, sizeof(buf), RTC_STUN_BINDING_REQUEST, id);
  if (!username.empty())
    rtc_stun_add_username(&b, username.data(), username.size());
  rtc_stun_add_priority(&b, 1853824767);
  rtc_stun_add_ice_controlled(&b, 1);
  if (!key.empty())
    rtc_stun_add_message_integrity(
        &b, reinterpret_cast<const uint8_t*>(key.data()), key.size());
  if (fingerprint)
    rtc_stun_add_fingerprint(&b);
  size_t len;
  if (rtc_stun_builder_finish(&b, &len) == RTC_OK)
    rtc_packet_socket_send_to(from_second ? other_socket_ : socket_, buf, len,
                              &to);
}

rtc_candidate ScriptedIcePeer::SecondCandidate() const {
  rtc_candidate c = Candidate();
  snprintf(c.foundation, sizeof(c.foundation), "2");
  c.priority = rtc_candidate_priority(RTC_CANDIDATE_HOST, 1000, 1);
  rtc_packet_socket_local_address(other_socket_, &c.address);
  return c;
}

void ScriptedIcePeer::SendRaw(const rtc_socket_address& to,
                              const std::string& bytes,
                              bool from_second) {
  rtc_packet_socket_send_to(from_second ? other_socket_ : socket_,
                            reinterpret_cast<const uint8_t*>(bytes.data()),
                            bytes.size(), &to);
}

void ScriptedIcePeer::OnPackets(void* user,
                                rtc_packet_socket* socket,
                                const rtc_received_packet* packets,
                                size_t count) {
  auto* self = static_cast<ScriptedIcePeer*>(user);
  for (size_t i = 0; i < count; i++) {
    rtc_stun_message msg;
    if (rtc_stun_parse(packets[i].data, packets[i].size, &msg) != RTC_OK)
      continue;
    uint16_t klass = rtc_stun_class(msg.type);
    if (klass == RTC_STUN_CLASS_REQUEST) {
      self->Answer(socket, packets[i], msg);
    } else if (klass == RTC_STUN_CLASS_SUCCESS ||
               klass == RTC_STUN_CLASS_ERROR) {
      int code = 0;
      rtc_stun_get_error_code(&msg, &code, nullptr, nullptr);
      self->responses.push_back({msg.type, code});
    }
  }
}

void ScriptedIcePeer::Answer(rtc_packet_socket* received_on,
                             const rtc_received_packet& packet,
                             const rtc_stun_message& msg) {
  Request r;
  r.at_us = rtc_task_queue_now_us(queue_);
  r.use_candidate = rtc_stun_has_use_candidate(&msg);
  uint64_t tb;
  r.controlling = rtc_stun_get_ice_controlling(&msg, &tb) == RTC_OK;
  r.priority = 0;
  rtc_stun_get_priority(&msg, &r.priority);
  const char* name;
  size_t name_len;
  if (rtc_stun_get_username(&msg, &name, &name_len) == RTC_OK)
    r.username.assign(name, name_len);
  requests.push_back(r);
  // The agent signs its requests with our password.
  if (rtc_stun_check_integrity(&msg,
                               reinterpret_cast<const uint8_t*>(pwd_.data()),
                               pwd_.size()) != RTC_OK)
    return;
  if (mode == Mode::kSilent)
    return;
  uint8_t buf[512];
  rtc_stun_builder b;
  int error_code = 0;
  if (mode == Mode::kForbidden)
    error_code = RTC_STUN_ERROR_FORBIDDEN;
  if (mode == Mode::kRoleConflict)
    error_code = RTC_STUN_ERROR_ROLE_CONFLICT;
  uint8_t transaction_id[RTC_STUN_TRANSACTION_ID_SIZE];
  memcpy(transaction_id, msg.transaction_id, sizeof(transaction_id));
  if (mode == Mode::kUnknownTransactionId)
    transaction_id[0] ^= 1;
  rtc_stun_builder_init(
      &b, buf, sizeof(buf),
      error_code ? RTC_STUN_BINDING_ERROR : RTC_STUN_BINDING_SUCCESS,
      transaction_id);
  if (error_code)
    rtc_stun_add_error_code(&b, error_code, nullptr);
  else
    rtc_stun_add_xor_mapped_address(&b, &packet.source);
  bool forged =
      mode == Mode::kBadIntegrity || mode == Mode::kForgedFromOtherSocket;
  std::string key = forged ? pwd_ + "x" : pwd_;
  rtc_stun_add_message_integrity(
      &b, reinterpret_cast<const uint8_t*>(key.data()), key.size());
  rtc_stun_add_fingerprint(&b);
  size_t len;
  if (rtc_stun_builder_finish(&b, &len) != RTC_OK)
    return;
  rtc_packet_socket* other = received_on == socket_ ? other_socket_ : socket_;
  rtc_packet_socket* from =
      mode == Mode::kFromOtherSocket || mode == Mode::kForgedFromOtherSocket
          ? other
          : received_on;
  rtc_packet_socket_send_to(from, buf, len, &packet.source);
  responses_sent++;
}

}  // namespace rtc_test
