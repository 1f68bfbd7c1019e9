// Helpers for ICE tests: agents on simulated (or real) task queues with
// their callbacks recorded, trickle signaling between two of them, and a
// STUN server on any socket factory.
#ifndef TEST_ICE_ICE_TEST_UTIL_H_
#define TEST_ICE_ICE_TEST_UTIL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "p2p/candidate.h"
#include "p2p/ice_agent.h"
#include "p2p/socket_factory.h"
#include "p2p/stun.h"
#include "rtc_base/task_queue.h"

namespace rtc_test {

// Posts fn to run on q.
rtc_error PostTo(rtc_task_queue* q,
                 std::function<void()> fn,
                 int64_t delay_us = 0);

// One side of an ICE session: an agent and what it reported.
struct IcePeer {
  std::string name;
  rtc_task_queue* queue = nullptr;
  rtc_socket_factory* factory = nullptr;
  rtc_ice_agent* agent = nullptr;
  IcePeer* other = nullptr;
  // Trickle local candidates to `other` (after signaling_delay_us).
  bool trickle = true;
  int64_t signaling_delay_us = 0;
  // When set: only the candidates it accepts are trickled (all of them are
  // still recorded in `candidates`).
  std::function<bool(const rtc_candidate&)> signal_filter;

  std::vector<rtc_candidate> candidates;
  bool end_of_candidates = false;
  std::vector<rtc_ice_candidate_error> candidate_errors;
  std::vector<rtc_ice_transport_state> states;
  std::vector<int64_t> state_times;
  std::vector<rtc_ice_gathering_state> gathering_states;
  int selected_count = 0;
  int64_t selected_at_us = -1;
  rtc_ice_pair_info selected;
  int writable_count = 0;  // on_writable calls
  std::vector<std::string> received;
  std::function<void(const std::string&)> on_packet;
  // Called after every observer callback (on the agent's queue).
  std::function<void()> on_event;

  static const rtc_ice_agent_observer kObserver;

  // Creates the agent (on its queue: call from there).
  rtc_error Create(const rtc_ice_agent_config& config);
  void Destroy();
  rtc_ice_transport_state state() const {
    return states.empty() ? RTC_ICE_TRANSPORT_NEW : states.back();
  }
  bool connected() const {
    rtc_ice_transport_state s = state();
    return s == RTC_ICE_TRANSPORT_CONNECTED || s == RTC_ICE_TRANSPORT_COMPLETED;
  }
  bool ReachedState(rtc_ice_transport_state s) const;
};

// Gives each peer the other's credentials (on their queues).
void ExchangeCredentials(IcePeer& a, IcePeer& b);

// Answers STUN Binding requests with XOR-MAPPED-ADDRESS: a STUN server.
class StunServer {
 public:
  // Binds on `address` (port 0: any) on q. Call on q.
  rtc_error Start(rtc_socket_factory* factory,
                  rtc_task_queue* q,
                  const rtc_socket_address& address);
  void Stop();  // on q
  rtc_socket_address address() const { return address_; }
  int requests() const { return requests_; }
  bool answer = true;  // false: stays silent

 private:
  static void OnPackets(void* user,
                        rtc_packet_socket* socket,
                        const rtc_received_packet* packets,
                        size_t count);
  rtc_packet_socket* socket_ = nullptr;
  rtc_socket_address address_{};
  int requests_ = 0;
};

std::string CandidateString(const rtc_candidate& c);
std::string AddressString(const rtc_socket_address& a);

}  // namespace rtc_test

namespace rtc_test {

// A minimal scripted ICE peer on one socket: answers checks with the
// credentials it was given (or misbehaves as told), records the requests it
// gets, and sends crafted requests.
class ScriptedIcePeer {
 public:
  enum class Mode {
    kAnswer,           // success responses, properly authenticated
    kSilent,           // no responses
    kBadIntegrity,     // responses signed with the wrong key
    kForbidden,        // authenticated 403 error responses
    kFromOtherSocket,  // responses sent from another port
    kRoleConflict,     // authenticated 487 (Role Conflict) error responses
    // Responses from another port that do not authenticate (an off-path
    // forger that learned the transaction id).
    kForgedFromOtherSocket,
    // Authenticated success responses whose transaction id matches no
    // request (one bit of it flipped).
    kUnknownTransactionId,
  };
  struct Request {
    int64_t at_us;
    bool use_candidate;
    bool controlling;
    uint32_t priority;
    std::string username;
  };
  struct Response {
    uint16_t type;
    int error_code;
  };

  rtc_error Start(rtc_socket_factory* factory,
                  rtc_task_queue* q,
                  const rtc_socket_address& address,
                  std::string ufrag,
                  std::string pwd);
  void Stop();
  rtc_socket_address address() const { return address_; }
  // The host candidate that describes this peer.
  rtc_candidate Candidate() const;
  // A second host candidate: the peer's other socket, lower priority.
  rtc_candidate SecondCandidate() const;
  // Sends a Binding request to `to`: username and integrity key may be
  // empty to leave them out. Sent from the second socket when asked.
  void SendRequest(const rtc_socket_address& to,
                   const std::string& username,
                   const std::string& key,
                   bool fingerprint = true,
                   bool from_second = false);
  // Sends raw bytes to `to` (from the second socket when asked).
  void SendRaw(const rtc_socket_address& to,
               const std::string& bytes,
               bool from_second = false);

  Mode mode = Mode::kAnswer;
  std::vector<Request> requests;
  std::vector<Response> responses;
  std::string remote_pwd;  // to check the integrity of responses we get
  int responses_sent = 0;  // responses (of any mode) sent

 private:
  static void OnPackets(void* user,
                        rtc_packet_socket* socket,
                        const rtc_received_packet* packets,
                        size_t count);
  void Answer(rtc_packet_socket* received_on,
              const rtc_received_packet& packet,
              const rtc_stun_message& msg);
  rtc_task_queue* queue_ = nullptr;
  rtc_packet_socket* socket_ = nullptr;
  rtc_packet_socket* other_socket_ = nullptr;
  rtc_socket_address address_{};
  std::string ufrag_, pwd_;
};

}  // namespace rtc_test

#endif  // TEST_ICE_ICE_TEST_UTIL_H_
