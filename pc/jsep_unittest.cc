// JSEP on the peer connection: the signaling state machine, every error the
// spec names, descriptions, transceivers, rollback and negotiationneeded.
// No transport needs to connect for these: they run on simulated time with
// a simulated network that carries nothing.

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "api/rtc_peer_connection.h"
#include "p2p/certificate.h"
#include "pc/sdp.h"
#include "rtc_base/alloc.h"
#include "rtc_base/clock.h"
#include "rtc_base/sim_time.h"
#include "test/network/sim_network.h"

namespace {

rtc_error PostFn(rtc_task_queue* q, std::function<void()> fn) {
  auto* heap_fn = new std::function<void()>(std::move(fn));
  rtc_task task = {
      [](void* arg) { (*static_cast<std::function<void()>*>(arg))(); },
      [](void* arg) { delete static_cast<std::function<void()>*>(arg); },
      heap_fn};
  return rtc_task_queue_post(q, task);
}

struct Result {
  bool done = false;
  rtc_error err = RTC_ERR_INTERNAL;
  std::string message;
  int line = 0;
  std::string sdp;
  rtc_sdp_type type = RTC_SDP_OFFER;
};

void OnDescription(void* u,
                   rtc_error err,
                   const rtc_error_info* info,
                   const rtc_session_description* d) {
  auto* r = static_cast<Result*>(u);
  r->done = true;
  r->err = err;
  r->message = info ? info->message : "";
  r->line = info ? info->sdp_line_number : 0;
  if (d) {
    r->sdp = d->sdp;
    r->type = d->type;
  }
}

void OnVoid(void* u, rtc_error err, const rtc_error_info* info) {
  OnDescription(u, err, info, nullptr);
}

struct Events {
  int negotiation_needed = 0;
  std::vector<rtc_signaling_state> signaling;
};

const rtc_peer_connection_observer kObserver = {
    [](void* u) { static_cast<Events*>(u)->negotiation_needed++; },
    nullptr,
    nullptr,
    [](void* u, rtc_signaling_state s) {
      static_cast<Events*>(u)->signaling.push_back(s);
    },
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,  // on_remote_tracks
};

class JsepTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(rtc_sim_time_create(0, &time_), RTC_OK);
    ASSERT_EQ(rtc_sim_network_create(time_, 1, &net_), RTC_OK);
    rtc_socket_address ip;
    ASSERT_EQ(rtc_socket_address_parse("203.0.113.1", 11, &ip), RTC_OK);
    ASSERT_EQ(rtc_sim_network_add_host(net_, nullptr, &ip, &host_), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "signaling", &signaling_),
              RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "network", &network_), RTC_OK);
    ASSERT_EQ(rtc_sim_time_create_queue(time_, "worker", &worker_), RTC_OK);
    rtc_context_config cc;
    rtc_context_config_init(&cc);
    cc.network_queue = network_;
    cc.worker_queue = worker_;
    cc.socket_factory = rtc_sim_host_socket_factory(host_);
    ASSERT_EQ(rtc_context_create(&cc, &context_), RTC_OK);
    a_ = NewPc(&ea_);
    b_ = NewPc(&eb_);
  }

  void TearDown() override {
    Run([&] {
      rtc_peer_connection_destroy(a_);
      rtc_peer_connection_destroy(b_);
    });
    rtc_sim_time_advance_us(time_, 60 * RTC_US_PER_SEC);
    rtc_context_destroy(context_);
    rtc_task_queue_destroy(signaling_);
    rtc_task_queue_destroy(network_);
    rtc_task_queue_destroy(worker_);
    rtc_sim_network_destroy(net_);
    rtc_sim_time_destroy(time_);
  }

  void Run(std::function<void()> fn) {
    ASSERT_EQ(PostFn(signaling_, std::move(fn)), RTC_OK);
    rtc_sim_time_run_until_idle(time_);
  }

  rtc_peer_connection* NewPc(Events* events,
                             const rtc_configuration* config = nullptr) {
    rtc_peer_connection* pc = nullptr;
    Run([&] {
      rtc_error_info info;
      ASSERT_EQ(rtc_peer_connection_create(context_, signaling_, config,
                                           &kObserver, events, &pc, &info),
                RTC_OK);
    });
    return pc;
  }

  // An operation the call itself refused (webrtc-pc §4.4.1.2: on an
  // empty chain its first steps run within the call) is done at once.
  static void Start(Result& r, rtc_error err) {
    if (err != RTC_OK) {
      r.done = true;
      r.err = err;
    }
  }

  Result CreateOffer(rtc_peer_connection* pc, bool ice_restart = false) {
    Result r;
    Run([&] {
      rtc_offer_options options = {ice_restart};
      Start(r,
            rtc_peer_connection_create_offer(pc, &options, OnDescription, &r));
    });
    EXPECT_TRUE(r.done);
    return r;
  }

  Result CreateAnswer(rtc_peer_connection* pc) {
    Result r;
    Run([&] {
      Start(r, rtc_peer_connection_create_answer(pc, OnDescription, &r));
    });
    EXPECT_TRUE(r.done);
    return r;
  }

  Result SetLocal(rtc_peer_connection* pc,
                  rtc_sdp_type type,
                  const std::string& sdp) {
    Result r;
    Run([&] {
      rtc_session_description d = {type, sdp.c_str()};
      Start(r, rtc_peer_connection_set_local_description(pc, &d, OnVoid, &r));
    });
    EXPECT_TRUE(r.done);
    return r;
  }

  Result SetLocalImplicit(rtc_peer_connection* pc) {
    Result r;
    Run([&] {
      Start(r,
            rtc_peer_connection_set_local_description(pc, nullptr, OnVoid, &r));
    });
    EXPECT_TRUE(r.done);
    return r;
  }

  Result SetRemote(rtc_peer_connection* pc,
                   rtc_sdp_type type,
                   const std::string& sdp) {
    Result r;
    Run([&] {
      rtc_session_description d = {type, sdp.c_str()};
      Start(r, rtc_peer_connection_set_remote_description(pc, &d, OnVoid, &r));
    });
    EXPECT_TRUE(r.done);
    return r;
  }

  rtc_signaling_state State(rtc_peer_connection* pc) {
    return rtc_peer_connection_signaling_state(pc);
  }

  // An offer from a_ with one data channel, applied locally.
  std::string OfferWithChannel() {
    rtc_data_channel* c = nullptr;
    Run([&] {
      rtc_error_info info;
      ASSERT_EQ(
          rtc_peer_connection_create_data_channel(a_, "x", nullptr, &c, &info),
          RTC_OK);
    });
    rtc_data_channel_unref(c);
    return CreateOffer(a_).sdp;
  }

  std::string Description(rtc_peer_connection* pc, rtc_description_kind kind) {
    rtc_session_description d;
    if (rtc_peer_connection_description(pc, kind, &d) != RTC_OK)
      return "";
    std::string s = d.sdp;
    rtc_free(const_cast<char*>(d.sdp));
    return s;
  }

  rtc_sim_time* time_ = nullptr;
  rtc_sim_network* net_ = nullptr;
  rtc_sim_host* host_ = nullptr;
  rtc_task_queue* signaling_ = nullptr;
  rtc_task_queue* network_ = nullptr;
  rtc_task_queue* worker_ = nullptr;
  rtc_context* context_ = nullptr;
  rtc_peer_connection* a_ = nullptr;
  rtc_peer_connection* b_ = nullptr;
  Events ea_, eb_;
};

std::string Replace(std::string s,
                    const std::string& from,
                    const std::string& to) {
  size_t pos = s.find(from);
  if (pos != std::string::npos)
    s.replace(pos, from.size(), to);
  return s;
}

std::string RemoveLines(std::string s, const std::string& prefix) {
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find("\r\n", pos);
    std::string line = s.substr(pos, end - pos);
    if (line.compare(0, prefix.size(), prefix) != 0)
      out += line + "\r\n";
    pos = end + 2;
  }
  return out;
}

TEST_F(JsepTest, OfferAnswerWalksTheSignalingStates) {
  std::string offer = OfferWithChannel();
  EXPECT_NE(offer.find("m=application 9 UDP/DTLS/SCTP webrtc-datachannel"),
            std::string::npos);
  EXPECT_NE(offer.find("a=setup:actpass"), std::string::npos);
  EXPECT_NE(offer.find("a=fingerprint:sha-256 "), std::string::npos);
  EXPECT_NE(offer.find("a=sctp-port:5000"), std::string::npos);
  EXPECT_NE(offer.find("a=max-message-size:262144"), std::string::npos);
  EXPECT_EQ(offer.find("a=crypto"), std::string::npos);  // SEC-04
  EXPECT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  EXPECT_EQ(State(a_), RTC_SIGNALING_HAVE_LOCAL_OFFER);
  EXPECT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  EXPECT_EQ(State(b_), RTC_SIGNALING_HAVE_REMOTE_OFFER);
  Result answer = CreateAnswer(b_);
  ASSERT_EQ(answer.err, RTC_OK);
  EXPECT_EQ(answer.type, RTC_SDP_ANSWER);
  EXPECT_NE(answer.sdp.find("a=setup:active"), std::string::npos);
  EXPECT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer.sdp).err, RTC_OK);
  EXPECT_EQ(State(b_), RTC_SIGNALING_STABLE);
  EXPECT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer.sdp).err, RTC_OK);
  EXPECT_EQ(State(a_), RTC_SIGNALING_STABLE);
  EXPECT_EQ(ea_.signaling,
            (std::vector<rtc_signaling_state>{RTC_SIGNALING_HAVE_LOCAL_OFFER,
                                              RTC_SIGNALING_STABLE}));
  EXPECT_FALSE(Description(a_, RTC_DESCRIPTION_CURRENT_LOCAL).empty());
  EXPECT_TRUE(Description(a_, RTC_DESCRIPTION_PENDING_LOCAL).empty());
  EXPECT_FALSE(Description(a_, RTC_DESCRIPTION_CURRENT_REMOTE).empty());
  EXPECT_EQ(rtc_peer_connection_can_trickle_ice_candidates(a_), 1);
}

TEST_F(JsepTest, PranswerThenAnswer) {
  std::string offer = OfferWithChannel();
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  std::string answer = CreateAnswer(b_).sdp;
  EXPECT_EQ(SetRemote(a_, RTC_SDP_PRANSWER, answer).err, RTC_OK);
  EXPECT_EQ(State(a_), RTC_SIGNALING_HAVE_REMOTE_PRANSWER);
  EXPECT_EQ(SetRemote(a_, RTC_SDP_PRANSWER, answer).err, RTC_OK);
  EXPECT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  EXPECT_EQ(State(a_), RTC_SIGNALING_STABLE);
  EXPECT_EQ(SetLocal(b_, RTC_SDP_PRANSWER, answer).err, RTC_OK);
  EXPECT_EQ(State(b_), RTC_SIGNALING_HAVE_LOCAL_PRANSWER);
  EXPECT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  EXPECT_EQ(State(b_), RTC_SIGNALING_STABLE);
}

TEST_F(JsepTest, WrongStateTransitionsAreInvalidStateError) {
  std::string offer = OfferWithChannel();
  // An answer with no offer, either way.
  EXPECT_EQ(SetRemote(a_, RTC_SDP_ANSWER, offer).err, RTC_ERR_INVALID_STATE);
  EXPECT_EQ(SetLocal(a_, RTC_SDP_ANSWER, offer).err, RTC_ERR_INVALID_STATE);
  EXPECT_EQ(SetRemote(a_, RTC_SDP_PRANSWER, offer).err, RTC_ERR_INVALID_STATE);
  EXPECT_EQ(CreateAnswer(a_).err, RTC_ERR_INVALID_STATE);
  // Rollback in stable.
  EXPECT_EQ(SetLocal(a_, RTC_SDP_ROLLBACK, "").err, RTC_ERR_INVALID_STATE);
  EXPECT_EQ(SetRemote(a_, RTC_SDP_ROLLBACK, "").err, RTC_ERR_INVALID_STATE);
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  // In have-local-offer: no local answer (a remote rollback is allowed:
  // jsep_conformance_unittest.cc RollbackWithTheOtherSetterToo).
  EXPECT_EQ(SetLocal(a_, RTC_SDP_ANSWER, offer).err, RTC_ERR_INVALID_STATE);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  // In have-remote-offer: no remote answer.
  EXPECT_EQ(SetRemote(b_, RTC_SDP_ANSWER, offer).err, RTC_ERR_INVALID_STATE);
  EXPECT_EQ(SetLocal(b_, RTC_SDP_OFFER, CreateOffer(b_).sdp).err,
            RTC_ERR_INVALID_STATE);
}

TEST_F(JsepTest, API01_ModifiedLocalDescriptionIsInvalidModificationError) {
  std::string offer = OfferWithChannel();
  std::string munged = Replace(offer, "a=sctp-port:5000", "a=sctp-port:5001");
  EXPECT_EQ(SetLocal(a_, RTC_SDP_OFFER, munged).err,
            RTC_ERR_INVALID_MODIFICATION);
  EXPECT_EQ(State(a_), RTC_SIGNALING_STABLE);
  // An answer that is not the last one created.
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  std::string answer = CreateAnswer(b_).sdp;
  EXPECT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer + "a=x-y:z\r\n").err,
            RTC_ERR_INVALID_MODIFICATION);
  EXPECT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer).err, RTC_OK);
}

TEST_F(JsepTest, ImplicitSetLocalDescriptionMakesOfferAndAnswer) {
  rtc_data_channel* c = nullptr;
  Run([&] {
    rtc_error_info info;
    ASSERT_EQ(
        rtc_peer_connection_create_data_channel(a_, "x", nullptr, &c, &info),
        RTC_OK);
  });
  rtc_data_channel_unref(c);
  ASSERT_EQ(SetLocalImplicit(a_).err, RTC_OK);
  EXPECT_EQ(State(a_), RTC_SIGNALING_HAVE_LOCAL_OFFER);
  std::string offer = Description(a_, RTC_DESCRIPTION_LOCAL);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  ASSERT_EQ(SetLocalImplicit(b_).err, RTC_OK);
  EXPECT_EQ(State(b_), RTC_SIGNALING_STABLE);
  std::string answer = Description(b_, RTC_DESCRIPTION_LOCAL);
  EXPECT_NE(answer.find("a=setup:active"), std::string::npos);
  EXPECT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer).err, RTC_OK);
}

TEST_F(JsepTest, API03_MalformedRemoteSdpIsSdpSyntaxErrorWithLine) {
  Result r = SetRemote(a_, RTC_SDP_OFFER,
                       "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nbogus\r\n");
  EXPECT_EQ(r.err, RTC_ERR_SDP_SYNTAX);
  EXPECT_EQ(r.line, 3);
  // The parser's reason, then the line: not an empty reason.
  EXPECT_GT(r.message.size(), std::string(" (line 3)").size()) << r.message;
  EXPECT_NE(r.message.find("(line 3)"), std::string::npos) << r.message;
  EXPECT_NE(r.message.rfind(" (line 3)", 0), 0u) << r.message;
  EXPECT_EQ(State(a_), RTC_SIGNALING_STABLE);
  EXPECT_EQ(SetRemote(a_, RTC_SDP_OFFER, "").err, RTC_ERR_SDP_SYNTAX);
}

TEST_F(JsepTest, SEC04_RemoteDescriptionsWithoutDtlsAreRejected) {
  std::string offer = OfferWithChannel();
  // SEC-04: SDES only (a=crypto, no fingerprint) is InvalidAccessError.
  std::string sdes = RemoveLines(offer, "a=fingerprint:");
  sdes = Replace(sdes, "a=mid:",
                 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                 "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\na=mid:");
  Result r = SetRemote(b_, RTC_SDP_OFFER, sdes);
  EXPECT_EQ(r.err, RTC_ERR_INVALID_ACCESS);
  EXPECT_NE(r.message.find("SDES"), std::string::npos);
  // No fingerprint at all.
  EXPECT_EQ(
      SetRemote(b_, RTC_SDP_OFFER, RemoveLines(offer, "a=fingerprint:")).err,
      RTC_ERR_INVALID_ACCESS);
  // SEC-20: a weak hash is an SDP error.
  std::string md5 =
      Replace(offer, "a=fingerprint:sha-256", "a=fingerprint:md5");
  EXPECT_EQ(SetRemote(b_, RTC_SDP_OFFER, md5).err, RTC_ERR_SDP_SYNTAX);
  EXPECT_EQ(State(b_), RTC_SIGNALING_STABLE);
  // With a fingerprint, an extra a=crypto is ignored (SEC-04 c).
  std::string both = Replace(offer, "a=mid:",
                             "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                             "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
                             "\r\na=mid:");
  EXPECT_EQ(SetRemote(b_, RTC_SDP_OFFER, both).err, RTC_OK);
  EXPECT_EQ(CreateAnswer(b_).sdp.find("a=crypto"), std::string::npos);
}

TEST_F(JsepTest, ICE01_BadIceCredentialsAreInvalidAccessError) {
  std::string offer = OfferWithChannel();
  size_t at = offer.find("a=ice-ufrag:");
  size_t end = offer.find("\r\n", at);
  std::string shorter = offer.substr(0, at) + "a=ice-ufrag:abc" +
                        offer.substr(end);  // ICE-01: 3 characters
  EXPECT_EQ(SetRemote(b_, RTC_SDP_OFFER, shorter).err, RTC_ERR_INVALID_ACCESS);
  at = offer.find("a=ice-pwd:");
  end = offer.find("\r\n", at);
  std::string short_pwd = offer.substr(0, at) +
                          "a=ice-pwd:aaaaaaaaaaaaaaaaaaaaa" + offer.substr(end);
  EXPECT_EQ(SetRemote(b_, RTC_SDP_OFFER, short_pwd).err,
            RTC_ERR_INVALID_ACCESS);
}

TEST_F(JsepTest, SEC22_AnswerWithActpassIsRejected) {
  std::string offer = OfferWithChannel();
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  std::string answer = CreateAnswer(b_).sdp;
  // SEC-22: an answer must say active or passive.
  EXPECT_EQ(SetRemote(a_, RTC_SDP_ANSWER,
                      Replace(answer, "a=setup:active", "a=setup:actpass"))
                .err,
            RTC_ERR_INVALID_ACCESS);
  EXPECT_EQ(State(a_), RTC_SIGNALING_HAVE_LOCAL_OFFER);
  EXPECT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer).err, RTC_OK);
}

TEST_F(JsepTest, AnswerMustMatchTheOffersSections) {
  std::string offer = OfferWithChannel();
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  std::string answer = CreateAnswer(b_).sdp;
  EXPECT_EQ(
      SetRemote(a_, RTC_SDP_ANSWER, Replace(answer, "a=mid:0", "a=mid:9")).err,
      RTC_ERR_INVALID_ACCESS);
}

TEST_F(JsepTest, RollbackUndoesALocalOffer) {
  rtc_rtp_transceiver* t = nullptr;
  Run([&] {
    rtc_error_info info;
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_, RTC_MEDIA_AUDIO, nullptr,
                                                  &t, &info),
              RTC_OK);
  });
  std::string offer = CreateOffer(a_).sdp;
  EXPECT_EQ(rtc_rtp_transceiver_mid(t),
            nullptr);  // set by SLD, not createOffer
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  ASSERT_NE(rtc_rtp_transceiver_mid(t), nullptr);
  EXPECT_EQ(SetLocal(a_, RTC_SDP_ROLLBACK, "").err, RTC_OK);
  EXPECT_EQ(State(a_), RTC_SIGNALING_STABLE);
  EXPECT_EQ(rtc_rtp_transceiver_mid(t), nullptr);
  EXPECT_TRUE(Description(a_, RTC_DESCRIPTION_LOCAL).empty());
  rtc_rtp_transceiver_unref(t);
}

TEST_F(JsepTest, RemoteRollbackRemovesTransceiversItCreated) {
  rtc_rtp_transceiver* t = nullptr;
  Run([&] {
    rtc_error_info info;
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_, RTC_MEDIA_VIDEO, nullptr,
                                                  &t, &info),
              RTC_OK);
  });
  rtc_rtp_transceiver_unref(t);
  std::string offer = CreateOffer(a_).sdp;
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  rtc_rtp_transceiver* list[4];
  size_t n = 0;
  Run([&] { n = rtc_peer_connection_transceivers(b_, list, 4); });
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(rtc_rtp_transceiver_direction(list[0]), RTC_DIRECTION_RECVONLY);
  rtc_rtp_transceiver_unref(list[0]);
  EXPECT_EQ(SetRemote(b_, RTC_SDP_ROLLBACK, "").err, RTC_OK);
  Run([&] { n = rtc_peer_connection_transceivers(b_, list, 4); });
  EXPECT_EQ(n, 0u);
}

TEST_F(JsepTest, GlareRollsBackImplicitly) {
  // Perfect negotiation: an offer arriving in have-local-offer wins.
  std::string offer_a = OfferWithChannel();
  rtc_data_channel* c = nullptr;
  Run([&] {
    rtc_error_info info;
    ASSERT_EQ(
        rtc_peer_connection_create_data_channel(b_, "y", nullptr, &c, &info),
        RTC_OK);
  });
  rtc_data_channel_unref(c);
  std::string offer_b = CreateOffer(b_).sdp;
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer_a).err, RTC_OK);
  ASSERT_EQ(SetLocal(b_, RTC_SDP_OFFER, offer_b).err, RTC_OK);
  EXPECT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer_a).err, RTC_OK);
  EXPECT_EQ(State(b_), RTC_SIGNALING_HAVE_REMOTE_OFFER);
  std::string answer = CreateAnswer(b_).sdp;
  EXPECT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  EXPECT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  EXPECT_EQ(State(a_), RTC_SIGNALING_STABLE);
}

TEST_F(JsepTest, TransceiversNegotiateMidsDirectionsAndCodecs) {
  rtc_rtp_transceiver *audio = nullptr, *video = nullptr;
  Run([&] {
    rtc_error_info info;
    rtc_rtp_transceiver_init init;
    rtc_rtp_transceiver_init_defaults(&init);
    init.direction = RTC_DIRECTION_SENDONLY;
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_, RTC_MEDIA_AUDIO, &init,
                                                  &audio, &info),
              RTC_OK);
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_, RTC_MEDIA_VIDEO, nullptr,
                                                  &video, &info),
              RTC_OK);
  });
  EXPECT_GE(ea_.negotiation_needed, 1);
  std::string offer = CreateOffer(a_).sdp;
  EXPECT_NE(offer.find("m=audio 9 UDP/TLS/RTP/SAVPF 111"), std::string::npos);
  EXPECT_NE(offer.find("a=rtpmap:111 opus/48000/2"), std::string::npos);
  EXPECT_NE(offer.find("a=rtpmap:96 VP8/90000"), std::string::npos);
  EXPECT_NE(offer.find("a=rtpmap:98 VP9/90000"), std::string::npos);
  EXPECT_NE(offer.find("a=fmtp:97 apt=96"), std::string::npos);
  EXPECT_NE(offer.find("a=sendonly"), std::string::npos);
  EXPECT_NE(offer.find("a=group:BUNDLE 0 1"), std::string::npos);
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  std::string answer = CreateAnswer(b_).sdp;
  // b has recvonly transceivers: the answer receives audio, and video is
  // recvonly too (b sends nothing).
  EXPECT_NE(answer.find("a=recvonly"), std::string::npos);
  ASSERT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  ASSERT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  EXPECT_STREQ(rtc_rtp_transceiver_mid(audio), "0");
  EXPECT_STREQ(rtc_rtp_transceiver_mid(video), "1");
  rtc_transceiver_direction d;
  ASSERT_TRUE(rtc_rtp_transceiver_current_direction(audio, &d));
  EXPECT_EQ(d, RTC_DIRECTION_SENDONLY);
  ASSERT_TRUE(rtc_rtp_transceiver_current_direction(video, &d));
  EXPECT_EQ(d, RTC_DIRECTION_SENDONLY);
  // The answerer's side.
  rtc_rtp_transceiver* list[4];
  size_t n = 0;
  Run([&] { n = rtc_peer_connection_transceivers(b_, list, 4); });
  ASSERT_EQ(n, 2u);
  EXPECT_STREQ(rtc_rtp_transceiver_mid(list[0]), "0");
  ASSERT_TRUE(rtc_rtp_transceiver_current_direction(list[0], &d));
  EXPECT_EQ(d, RTC_DIRECTION_RECVONLY);
  for (size_t i = 0; i < n; i++)
    rtc_rtp_transceiver_unref(list[i]);
  rtc_rtp_transceiver_unref(audio);
  rtc_rtp_transceiver_unref(video);
}

TEST_F(JsepTest, StoppedTransceiverIsRejectedAndItsSectionRecycled) {
  rtc_rtp_transceiver* audio = nullptr;
  Run([&] {
    rtc_error_info info;
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_, RTC_MEDIA_AUDIO, nullptr,
                                                  &audio, &info),
              RTC_OK);
  });
  std::string offer = CreateOffer(a_).sdp;
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  std::string answer = CreateAnswer(b_).sdp;
  ASSERT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  ASSERT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  int before = ea_.negotiation_needed;
  Run([&] { rtc_rtp_transceiver_stop(audio); });
  rtc_sim_time_run_until_idle(time_);
  EXPECT_EQ(ea_.negotiation_needed, before + 1);
  std::string offer2 = CreateOffer(a_).sdp;
  EXPECT_NE(offer2.find("m=audio 0 "), std::string::npos);
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer2).err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer2).err, RTC_OK);
  std::string answer2 = CreateAnswer(b_).sdp;
  ASSERT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer2).err, RTC_OK);
  ASSERT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer2).err, RTC_OK);
  EXPECT_TRUE(rtc_rtp_transceiver_stopped(audio));
  // A new video transceiver takes the rejected audio section's place.
  rtc_rtp_transceiver* video = nullptr;
  Run([&] {
    rtc_error_info info;
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_, RTC_MEDIA_VIDEO, nullptr,
                                                  &video, &info),
              RTC_OK);
  });
  std::string offer3 = CreateOffer(a_).sdp;
  EXPECT_EQ(offer3.find("m=audio"), std::string::npos);
  EXPECT_NE(offer3.find("m=video 9 "), std::string::npos);
  rtc_rtp_transceiver_unref(audio);
  rtc_rtp_transceiver_unref(video);
}

TEST_F(JsepTest, NegotiationNeededFiresOnceUntilNegotiated) {
  rtc_data_channel *c1 = nullptr, *c2 = nullptr;
  Run([&] {
    rtc_error_info info;
    ASSERT_EQ(
        rtc_peer_connection_create_data_channel(a_, "1", nullptr, &c1, &info),
        RTC_OK);
    ASSERT_EQ(
        rtc_peer_connection_create_data_channel(a_, "2", nullptr, &c2, &info),
        RTC_OK);
  });
  rtc_sim_time_run_until_idle(time_);
  EXPECT_EQ(ea_.negotiation_needed, 1);
  rtc_data_channel_unref(c1);
  rtc_data_channel_unref(c2);
  std::string offer = CreateOffer(a_).sdp;
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  std::string answer = CreateAnswer(b_).sdp;
  ASSERT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  ASSERT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  rtc_sim_time_run_until_idle(time_);
  EXPECT_EQ(ea_.negotiation_needed, 1);
  // A third channel needs no renegotiation (the data section exists).
  rtc_data_channel* c3 = nullptr;
  Run([&] {
    rtc_error_info info;
    ASSERT_EQ(
        rtc_peer_connection_create_data_channel(a_, "3", nullptr, &c3, &info),
        RTC_OK);
  });
  rtc_sim_time_run_until_idle(time_);
  EXPECT_EQ(ea_.negotiation_needed, 1);
  rtc_data_channel_unref(c3);
  // restartIce() does.
  Run([&] { rtc_peer_connection_restart_ice(a_); });
  rtc_sim_time_run_until_idle(time_);
  EXPECT_EQ(ea_.negotiation_needed, 2);
}

// RFC 9429 §4.1.18: a changed ICE candidate policy (or STUN/TURN servers)
// once gathering began sets "needs-ice-restart": the next offer has new
// credentials. No negotiationneeded (that is restartIce()'s), and an
// unchanged configuration restarts nothing.
TEST_F(JsepTest, ORG07_ChangedIcePolicyRestartsIceInTheNextOffer) {
  auto ufrag = [](const std::string& sdp) {
    size_t at = sdp.find("a=ice-ufrag:") + 12;
    return sdp.substr(at, sdp.find("\r\n", at) - at);
  };
  std::string offer = OfferWithChannel();
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  std::string answer = CreateAnswer(b_).sdp;
  ASSERT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  ASSERT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  rtc_sim_time_run_until_idle(time_);
  int negotiation_needed = ea_.negotiation_needed;
  rtc_configuration config;
  rtc_configuration_init(&config);
  rtc_error_info info;
  Run([&] {
    ASSERT_EQ(rtc_peer_connection_set_configuration(a_, &config, &info),
              RTC_OK);
  });
  EXPECT_EQ(ufrag(CreateOffer(a_).sdp), ufrag(offer)) << "nothing changed";
  config.ice_transport_policy = RTC_ICE_POLICY_RELAY;
  Run([&] {
    ASSERT_EQ(rtc_peer_connection_set_configuration(a_, &config, &info),
              RTC_OK);
  });
  rtc_sim_time_run_until_idle(time_);
  EXPECT_EQ(ea_.negotiation_needed, negotiation_needed);
  std::string restart = CreateOffer(a_).sdp;
  EXPECT_NE(ufrag(restart), ufrag(offer));
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, restart).err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, restart).err, RTC_OK);
  std::string answer2 = CreateAnswer(b_).sdp;
  ASSERT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer2).err, RTC_OK);
  ASSERT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer2).err, RTC_OK);
  // Restarted once: the next offer keeps the new credentials.
  EXPECT_EQ(ufrag(CreateOffer(a_).sdp), ufrag(restart));
  // The answerer's change does not alter its next answer.
  Run([&] {
    ASSERT_EQ(rtc_peer_connection_set_configuration(b_, &config, &info),
              RTC_OK);
  });
  std::string offer3 = CreateOffer(a_).sdp;
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer3).err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer3).err, RTC_OK);
  EXPECT_EQ(ufrag(CreateAnswer(b_).sdp), ufrag(answer2));
}

// STUN and TURN servers beyond what the ICE agents take (the first 8 of
// each kind) are accepted, the lists compare equal when unchanged (no
// restart) and differ when one server changes; setConfiguration without
// memory fails whole and keeps the configuration in effect.
TEST_F(JsepTest, ManyIceServersAreKeptComparedAndFailWholeWithoutMemory) {
  auto ufrag = [](const std::string& sdp) {
    size_t at = sdp.find("a=ice-ufrag:") + 12;
    return sdp.substr(at, sdp.find("\r\n", at) - at);
  };
  std::string offer = OfferWithChannel();
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  rtc_sim_time_run_until_idle(time_);
  std::vector<std::string> urls;
  for (int i = 1; i <= 10; i++) {
    urls.push_back("stun:198.51.100." + std::to_string(i) + ":3478");
    urls.push_back("stun:stun" + std::to_string(i) + ".example.org");
    urls.push_back("turn:203.0.113." + std::to_string(i) + "?transport=tcp");
  }
  std::vector<const char*> ptrs;
  for (const std::string& u : urls)
    ptrs.push_back(u.c_str());
  rtc_ice_server servers[2] = {
      {ptrs.data(), 15, "user", "secret"},
      {ptrs.data() + 15, ptrs.size() - 15, "user", "secret"},
  };
  rtc_configuration config;
  rtc_configuration_init(&config);
  config.ice_servers = servers;
  config.ice_server_count = 2;
  rtc_error_info info;
  Run([&] {
    ASSERT_EQ(rtc_peer_connection_set_configuration(a_, &config, &info),
              RTC_OK);
  });
  std::string restart = CreateOffer(a_).sdp;
  EXPECT_NE(ufrag(restart), ufrag(offer)) << "servers changed";
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, restart).err, RTC_OK);
  rtc_sim_time_run_until_idle(time_);
  Run([&] {
    ASSERT_EQ(rtc_peer_connection_set_configuration(a_, &config, &info),
              RTC_OK);
  });
  EXPECT_EQ(ufrag(CreateOffer(a_).sdp), ufrag(restart)) << "same servers";
  // One TURN server's credential changes: each allocation of the call fails
  // in turn (a failure it survives still counts as done only without one).
  servers[1].credential = "other";
  bool done = false;
  for (uint64_t n = 1; n < 100 && !done; n++) {
    Run([&] {
      uint64_t injected = rtc_alloc_injected_failure_count();
      rtc_alloc_fail_nth(n, 0);
      rtc_error err = rtc_peer_connection_set_configuration(a_, &config, &info);
      rtc_alloc_clear_failure();
      if (err != RTC_OK) {
        EXPECT_EQ(err, RTC_ERR_NO_MEMORY) << n;
        rtc_configuration* copy = nullptr;
        ASSERT_EQ(rtc_peer_connection_get_configuration(a_, &copy), RTC_OK);
        ASSERT_EQ(copy->ice_server_count, 2u);
        EXPECT_STREQ(copy->ice_servers[1].credential, "secret") << n;
        rtc_configuration_free(copy);
        return;
      }
      done = rtc_alloc_injected_failure_count() == injected;
    });
  }
  EXPECT_TRUE(done);
  rtc_sim_time_run_until_idle(time_);
  EXPECT_NE(ufrag(CreateOffer(a_).sdp), ufrag(restart)) << "credential";
}

TEST_F(JsepTest, IceRestartChangesCredentials) {
  std::string offer = OfferWithChannel();
  auto ufrag = [](const std::string& sdp) {
    size_t at = sdp.find("a=ice-ufrag:") + 12;
    return sdp.substr(at, sdp.find("\r\n", at) - at);
  };
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, offer).err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  std::string answer = CreateAnswer(b_).sdp;
  ASSERT_EQ(SetLocal(b_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  ASSERT_EQ(SetRemote(a_, RTC_SDP_ANSWER, answer).err, RTC_OK);
  EXPECT_EQ(ufrag(CreateOffer(a_).sdp), ufrag(offer));
  std::string restart = CreateOffer(a_, true).sdp;
  EXPECT_NE(ufrag(restart), ufrag(offer));
  ASSERT_EQ(SetLocal(a_, RTC_SDP_OFFER, restart).err, RTC_OK);
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, restart).err, RTC_OK);
  std::string answer2 = CreateAnswer(b_).sdp;
  // The answerer restarts too.
  EXPECT_NE(ufrag(answer2), ufrag(answer));
}

TEST_F(JsepTest, AddIceCandidateErrors) {
  Result r;
  rtc_ice_candidate_init c = {
      "candidate:1 1 udp 2122260223 203.0.113.9 5000 typ host", "0", -1,
      nullptr};
  // No remote description: InvalidStateError (at once: the chain is
  // empty).
  Run([&] {
    EXPECT_EQ(rtc_peer_connection_add_ice_candidate(a_, &c, OnVoid, &r),
              RTC_ERR_INVALID_STATE);
  });
  EXPECT_FALSE(r.done);
  // Neither mid nor index: TypeError at once.
  rtc_ice_candidate_init neither = {c.candidate, nullptr, -1, nullptr};
  Run([&] {
    EXPECT_EQ(rtc_peer_connection_add_ice_candidate(a_, &neither, OnVoid, &r),
              RTC_ERR_INVALID_ARGUMENT);
  });
  std::string offer = OfferWithChannel();
  ASSERT_EQ(SetRemote(b_, RTC_SDP_OFFER, offer).err, RTC_OK);
  auto add = [&](rtc_ice_candidate_init init) {
    Result out;
    Run([&] {
      ASSERT_EQ(rtc_peer_connection_add_ice_candidate(b_, &init, OnVoid, &out),
                RTC_OK);
    });
    return out;
  };
  EXPECT_EQ(add(c).err, RTC_OK);
  EXPECT_EQ(add({c.candidate, "nope", -1, nullptr}).err, RTC_ERR_OPERATION);
  EXPECT_EQ(add({c.candidate, nullptr, 7, nullptr}).err, RTC_ERR_OPERATION);
  EXPECT_EQ(add({"candidate:garbage", "0", -1, nullptr}).err,
            RTC_ERR_OPERATION);
  EXPECT_EQ(add({c.candidate, "0", -1, "zzzz"}).err, RTC_ERR_OPERATION);
  EXPECT_EQ(add({"", "0", -1, nullptr}).err, RTC_OK);  // end-of-candidates
  // webrtc-pc addIceCandidate: "If candidate.usernameFragment is not null,
  // and is not equal to any username fragment present in the corresponding
  // media description of an applied remote description", OperationError;
  // an end-of-candidates with neither mid nor index corresponds to every
  // media description.
  size_t at = offer.find("a=ice-ufrag:") + 12;
  std::string offer_ufrag = offer.substr(at, offer.find("\r\n", at) - at);
  EXPECT_EQ(add({"", nullptr, -1, "no such ufrag"}).err, RTC_ERR_OPERATION);
  EXPECT_EQ(add({"", nullptr, -1, offer_ufrag.c_str()}).err, RTC_OK);
  EXPECT_EQ(add({"", nullptr, -1, nullptr}).err, RTC_OK);
  // The remote description lists what was added.
  std::string remote = Description(b_, RTC_DESCRIPTION_REMOTE);
  EXPECT_NE(remote.find("a=candidate:1 1 udp 2122260223 203.0.113.9 5000"),
            std::string::npos);
  EXPECT_NE(remote.find("a=end-of-candidates"), std::string::npos);
}

TEST_F(JsepTest, CloseStopsEverythingAndOperationsFail) {
  rtc_rtp_transceiver* t = nullptr;
  Run([&] {
    rtc_error_info info;
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_, RTC_MEDIA_AUDIO, nullptr,
                                                  &t, &info),
              RTC_OK);
  });
  Result pending;
  Run([&] {
    ASSERT_EQ(
        rtc_peer_connection_create_offer(a_, nullptr, OnDescription, &pending),
        RTC_OK);
    rtc_peer_connection_close(a_);
  });
  // webrtc-pc: an operation chained before close() never settles.
  EXPECT_FALSE(pending.done);
  EXPECT_EQ(State(a_), RTC_SIGNALING_CLOSED);
  EXPECT_EQ(rtc_peer_connection_connection_state(a_), RTC_PC_STATE_CLOSED);
  EXPECT_EQ(rtc_peer_connection_ice_connection_state(a_),
            RTC_ICE_TRANSPORT_CLOSED);
  EXPECT_TRUE(rtc_rtp_transceiver_stopped(t));
  Run([&] {
    Result r;
    EXPECT_EQ(rtc_peer_connection_create_offer(a_, nullptr, OnDescription, &r),
              RTC_ERR_INVALID_STATE);
    rtc_data_channel* c = nullptr;
    rtc_error_info info;
    EXPECT_EQ(
        rtc_peer_connection_create_data_channel(a_, "x", nullptr, &c, &info),
        RTC_ERR_INVALID_STATE);
    rtc_rtp_transceiver* t2 = nullptr;
    EXPECT_EQ(rtc_peer_connection_add_transceiver(a_, RTC_MEDIA_AUDIO, nullptr,
                                                  &t2, &info),
              RTC_ERR_INVALID_STATE);
  });
  // No events after close (the close itself is silent too).
  EXPECT_TRUE(ea_.signaling.empty());
  rtc_rtp_transceiver_unref(t);
}

TEST_F(JsepTest, ConfigurationRules) {
  Run([&] {
    rtc_configuration config;
    rtc_configuration_init(&config);
    rtc_error_info info;
    // Unchanged: fine.
    EXPECT_EQ(rtc_peer_connection_set_configuration(a_, &config, &info),
              RTC_OK);
    config.bundle_policy = RTC_BUNDLE_POLICY_MAX_BUNDLE;
    EXPECT_EQ(rtc_peer_connection_set_configuration(a_, &config, &info),
              RTC_ERR_INVALID_MODIFICATION);
    config.bundle_policy = RTC_BUNDLE_POLICY_BALANCED;
    const char* bad_urls[] = {"stun:"};
    rtc_ice_server bad = {bad_urls, 1, nullptr, nullptr};
    config.ice_servers = &bad;
    config.ice_server_count = 1;
    EXPECT_EQ(rtc_peer_connection_set_configuration(a_, &config, &info),
              RTC_ERR_SYNTAX);
    const char* http[] = {"http://example.com"};
    rtc_ice_server other = {http, 1, nullptr, nullptr};
    config.ice_servers = &other;
    // "validate an ICE server URL": a scheme other than stun(s)/turn(s).
    EXPECT_EQ(rtc_peer_connection_set_configuration(a_, &config, &info),
              RTC_ERR_SYNTAX);
    const char* turn[] = {"turn:turn.example.org"};
    rtc_ice_server no_credentials = {turn, 1, nullptr, nullptr};
    config.ice_servers = &no_credentials;
    EXPECT_EQ(rtc_peer_connection_set_configuration(a_, &config, &info),
              RTC_ERR_INVALID_ACCESS);
    const char* stun[] = {"stun:198.51.100.1:3478"};
    rtc_ice_server good = {stun, 1, nullptr, nullptr};
    config.ice_servers = &good;
    EXPECT_EQ(rtc_peer_connection_set_configuration(a_, &config, &info),
              RTC_OK);
    rtc_configuration* copy = nullptr;
    ASSERT_EQ(rtc_peer_connection_get_configuration(a_, &copy), RTC_OK);
    ASSERT_EQ(copy->ice_server_count, 1u);
    EXPECT_STREQ(copy->ice_servers[0].urls[0], "stun:198.51.100.1:3478");
    EXPECT_EQ(copy->certificate_count, 1u);  // the generated certificate
    // Another certificate: InvalidModificationError.
    rtc_certificate* other_cert = nullptr;
    rtc_certificate_params params;
    rtc_certificate_params_init(&params);
    ASSERT_EQ(rtc_certificate_generate(&params, 1700000000000, &other_cert),
              RTC_OK);
    config.certificates = &other_cert;
    config.certificate_count = 1;
    EXPECT_EQ(rtc_peer_connection_set_configuration(a_, &config, &info),
              RTC_ERR_INVALID_MODIFICATION);
    config.certificates = copy->certificates;
    EXPECT_EQ(rtc_peer_connection_set_configuration(a_, &config, &info),
              RTC_OK);
    rtc_certificate_unref(other_cert);
    rtc_configuration_free(copy);
  });
}

// RFC 9429 §5.2.1: "An "a=fingerprint" line for each of the endpoint's
// certificates"; webrtc-pc certificates: "Although any given DTLS connection
// will use only one certificate, this attribute allows the caller to
// provide multiple certificates". And setConfiguration with the same set
// is no modification.
TEST_F(JsepTest, OfferHasAFingerprintOfEveryCertificate) {
  rtc_certificate* certs[2] = {nullptr, nullptr};
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  int64_t now_ms = rtc_time_utc_us() / 1000;
  ASSERT_EQ(rtc_certificate_generate(&params, now_ms, &certs[0]), RTC_OK);
  params.type = RTC_KEY_RSA;
  ASSERT_EQ(rtc_certificate_generate(&params, now_ms, &certs[1]), RTC_OK);
  rtc_configuration config;
  rtc_configuration_init(&config);
  config.certificates = certs;
  config.certificate_count = 2;
  Events events;
  rtc_peer_connection* pc = NewPc(&events, &config);
  ASSERT_NE(pc, nullptr);
  Run([&] {
    rtc_error_info info;
    rtc_data_channel* c = nullptr;
    ASSERT_EQ(
        rtc_peer_connection_create_data_channel(pc, "x", nullptr, &c, &info),
        RTC_OK);
    rtc_data_channel_unref(c);
  });
  std::string offer = CreateOffer(pc).sdp;
  size_t lines = 0;
  for (size_t at = offer.find("a=fingerprint:"); at != std::string::npos;
       at = offer.find("a=fingerprint:", at + 1))
    lines++;
  EXPECT_EQ(lines, 2u) << offer;
  for (rtc_certificate* cert : certs) {
    rtc_fingerprint fp;
    ASSERT_EQ(rtc_certificate_fingerprint(cert, RTC_HASH_SHA256, &fp), RTC_OK);
    char text[RTC_FINGERPRINT_TEXT_SIZE];
    rtc_fingerprint_format(&fp, text, sizeof(text));
    EXPECT_NE(offer.find(std::string("a=fingerprint:") + text),
              std::string::npos)
        << text;
  }
  Run([&] {
    rtc_error_info info;
    EXPECT_EQ(rtc_peer_connection_set_configuration(pc, &config, &info), RTC_OK)
        << info.message;
    // Fewer certificates than the pc was made with: a modification.
    config.certificate_count = 1;
    EXPECT_EQ(rtc_peer_connection_set_configuration(pc, &config, &info),
              RTC_ERR_INVALID_MODIFICATION);
    // None: the ones the pc has are kept.
    config.certificate_count = 0;
    EXPECT_EQ(rtc_peer_connection_set_configuration(pc, &config, &info),
              RTC_OK);
    rtc_configuration* copy = nullptr;
    ASSERT_EQ(rtc_peer_connection_get_configuration(pc, &copy), RTC_OK);
    EXPECT_EQ(copy->certificate_count, 2u);
    rtc_configuration_free(copy);
  });
  std::string again = CreateOffer(pc).sdp;
  EXPECT_NE(again.find("a=fingerprint:", again.find("a=fingerprint:") + 1),
            std::string::npos)
      << "both fingerprints after setConfiguration({})";
  Run([&] { rtc_peer_connection_destroy(pc); });
  rtc_certificate_unref(certs[0]);
  rtc_certificate_unref(certs[1]);
}

TEST_F(JsepTest, SEC13_ExpiredCertificateIsInvalidAccessError) {
  rtc_certificate* cert = nullptr;
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  params.expires_ms = 1000;
  // Valid from 2000-01-01 for one second: long expired.
  ASSERT_EQ(rtc_certificate_generate(&params, 946684800000, &cert), RTC_OK);
  Run([&] {
    rtc_configuration config;
    rtc_configuration_init(&config);
    config.certificates = &cert;
    config.certificate_count = 1;
    rtc_peer_connection* pc = nullptr;
    rtc_error_info info;
    EXPECT_EQ(rtc_peer_connection_create(context_, signaling_, &config,
                                         &kObserver, nullptr, &pc, &info),
              RTC_ERR_INVALID_ACCESS);
    EXPECT_EQ(pc, nullptr);
  });
  rtc_certificate_unref(cert);
}

TEST_F(JsepTest, DataChannelInitErrors) {
  Run([&] {
    rtc_error_info info;
    rtc_data_channel* c = nullptr;
    rtc_data_channel_init init;
    rtc_data_channel_init_defaults(&init);
    init.max_packet_lifetime = 10;
    init.max_retransmits = 1;
    EXPECT_EQ(
        rtc_peer_connection_create_data_channel(a_, "x", &init, &c, &info),
        RTC_ERR_INVALID_ARGUMENT);
    rtc_data_channel_init_defaults(&init);
    init.negotiated = true;
    EXPECT_EQ(
        rtc_peer_connection_create_data_channel(a_, "x", &init, &c, &info),
        RTC_ERR_INVALID_ARGUMENT);
    init.id = 65535;
    EXPECT_EQ(
        rtc_peer_connection_create_data_channel(a_, "x", &init, &c, &info),
        RTC_ERR_INVALID_ARGUMENT);
    init.id = 7;
    ASSERT_EQ(
        rtc_peer_connection_create_data_channel(a_, "x", &init, &c, &info),
        RTC_OK);
    EXPECT_EQ(rtc_data_channel_id(c), 7);
    EXPECT_TRUE(rtc_data_channel_negotiated(c));
    rtc_data_channel* dup = nullptr;
    EXPECT_EQ(
        rtc_peer_connection_create_data_channel(a_, "y", &init, &dup, &info),
        RTC_ERR_OPERATION);
    rtc_data_channel_unref(c);
    std::string long_label(65536, 'a');
    EXPECT_EQ(rtc_peer_connection_create_data_channel(a_, long_label.c_str(),
                                                      nullptr, &c, &info),
              RTC_ERR_INVALID_ARGUMENT);
    // In-band channels have a null id until the DTLS role is known.
    ASSERT_EQ(
        rtc_peer_connection_create_data_channel(a_, "z", nullptr, &c, &info),
        RTC_OK);
    EXPECT_EQ(rtc_data_channel_id(c), -1);
    EXPECT_EQ(rtc_data_channel_ready_state(c), RTC_DATA_CHANNEL_CONNECTING);
    EXPECT_EQ(rtc_data_channel_send(c, false,
                                    reinterpret_cast<const uint8_t*>("a"), 1),
              RTC_ERR_INVALID_STATE);
    rtc_data_channel_unref(c);
  });
}

// --- Security rows of shared/reference/security-checklist.md §1A ---

// The m= sections of `sdp`, each with the session part before the first.
std::vector<std::string> MediaSections(const std::string& sdp,
                                       std::string* session) {
  std::vector<std::string> sections;
  size_t at = sdp.find("\nm=");
  *session = sdp.substr(0, at);
  while (at != std::string::npos) {
    size_t next = sdp.find("\nm=", at + 1);
    sections.push_back(sdp.substr(
        at + 1, next == std::string::npos ? std::string::npos : next - at - 1));
    at = next;
  }
  return sections;
}

// SEC-03. RFC 8827 §6.5: "All media channels MUST be secured via SRTP and
// SRTCP", keyed by DTLS-SRTP. JSEP §5.2.1 (initial offers): each m= section
// (or the session) has "An "a=fingerprint" line for each of the endpoint's
// certificates" and "An "a=setup" line ... The role value in the offer MUST
// be "actpass""; RTP sections use the proto UDP/TLS/RTP/SAVPF, data
// UDP/DTLS/SCTP. No a=crypto (SEC-04).
TEST_F(JsepTest, SEC03_EveryOfferedSectionOffersDtlsSrtp) {
  rtc_rtp_transceiver *audio = nullptr, *video = nullptr;
  Run([&] {
    rtc_error_info info;
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_, RTC_MEDIA_AUDIO, nullptr,
                                                  &audio, &info),
              RTC_OK);
    ASSERT_EQ(rtc_peer_connection_add_transceiver(a_, RTC_MEDIA_VIDEO, nullptr,
                                                  &video, &info),
              RTC_OK);
  });
  std::string offer = OfferWithChannel();
  std::string session;
  std::vector<std::string> sections = MediaSections(offer, &session);
  ASSERT_EQ(sections.size(), 3u) << offer;
  for (const std::string& m : sections) {
    SCOPED_TRACE(m.substr(0, m.find('\r')));
    if (m.rfind("m=application ", 0) == 0)
      EXPECT_EQ(m.find("m=application 9 UDP/DTLS/SCTP "), 0u);
    else
      EXPECT_NE(m.find(" UDP/TLS/RTP/SAVPF "), std::string::npos);
    bool fingerprint =
        m.find("\na=fingerprint:sha-256 ") != std::string::npos ||
        session.find("\na=fingerprint:sha-256 ") != std::string::npos;
    EXPECT_TRUE(fingerprint);
    bool actpass = m.find("\na=setup:actpass") != std::string::npos ||
                   session.find("\na=setup:actpass") != std::string::npos;
    EXPECT_TRUE(actpass);
    EXPECT_EQ(m.find("\na=setup:active"), std::string::npos);
    EXPECT_EQ(m.find("\na=setup:passive"), std::string::npos);
    EXPECT_EQ(m.find("\na=crypto"), std::string::npos);
  }
  rtc_rtp_transceiver_unref(audio);
  rtc_rtp_transceiver_unref(video);
}

std::string FirstFingerprint(const std::string& sdp) {
  size_t at = sdp.find("a=fingerprint:");
  if (at == std::string::npos)
    return "";
  return sdp.substr(at, sdp.find('\r', at) - at);
}

// SEC-11. RFC 8827 §6.5: by default a new key pair per call, so that calls
// cannot be linked: two connections without `certificates` offer
// different fingerprints.
TEST_F(JsepTest, SEC11_ConnectionsWithoutCertificatesHaveDifferentKeys) {
  std::string offer_a = OfferWithChannel();
  Run([&] {
    rtc_error_info info;
    rtc_data_channel* c = nullptr;
    ASSERT_EQ(
        rtc_peer_connection_create_data_channel(b_, "x", nullptr, &c, &info),
        RTC_OK);
    rtc_data_channel_unref(c);
  });
  std::string offer_b = CreateOffer(b_).sdp;
  ASSERT_FALSE(FirstFingerprint(offer_a).empty());
  ASSERT_FALSE(FirstFingerprint(offer_b).empty());
  EXPECT_NE(FirstFingerprint(offer_a), FirstFingerprint(offer_b));
}

// SEC-12. RFC 8827 §6.5: the API must allow a key pair to be reused
// (generateCertificate() and RTCConfiguration.certificates): the same
// certificate in two connections gives the same fingerprint in both
// offers. And (SEC-13) webrtc-pc setConfiguration(): "If
// configuration.certificates is set and the set of certificates differs
// from the ones used when connection was constructed, throw an
// InvalidModificationError."
TEST_F(JsepTest, SEC12_OneCertificateInTwoConnectionsGivesOneFingerprint) {
  rtc_certificate* cert = nullptr;
  rtc_certificate* other = nullptr;
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  int64_t now_ms = rtc_time_utc_us() / 1000;
  ASSERT_EQ(rtc_certificate_generate(&params, now_ms, &cert), RTC_OK);
  ASSERT_EQ(rtc_certificate_generate(&params, now_ms, &other), RTC_OK);
  rtc_configuration config;
  rtc_configuration_init(&config);
  config.certificates = &cert;
  config.certificate_count = 1;
  Events e1, e2;
  rtc_peer_connection* pcs[2] = {NewPc(&e1, &config), NewPc(&e2, &config)};
  std::string fingerprints[2];
  for (int i = 0; i < 2; ++i) {
    ASSERT_NE(pcs[i], nullptr);
    Run([&] {
      rtc_error_info info;
      rtc_data_channel* c = nullptr;
      ASSERT_EQ(rtc_peer_connection_create_data_channel(pcs[i], "x", nullptr,
                                                        &c, &info),
                RTC_OK);
      rtc_data_channel_unref(c);
    });
    fingerprints[i] = FirstFingerprint(CreateOffer(pcs[i]).sdp);
  }
  rtc_fingerprint fp;
  ASSERT_EQ(rtc_certificate_fingerprint(cert, RTC_HASH_SHA256, &fp), RTC_OK);
  char text[RTC_FINGERPRINT_TEXT_SIZE];
  rtc_fingerprint_format(&fp, text, sizeof(text));
  EXPECT_EQ(fingerprints[0], std::string("a=fingerprint:") + text);
  EXPECT_EQ(fingerprints[1], fingerprints[0]);
  Run([&] {
    rtc_configuration changed;
    rtc_configuration_init(&changed);
    changed.certificates = &other;
    changed.certificate_count = 1;
    rtc_error_info info;
    EXPECT_EQ(rtc_peer_connection_set_configuration(pcs[0], &changed, &info),
              RTC_ERR_INVALID_MODIFICATION);
  });
  Run([&] {
    for (rtc_peer_connection* pc : pcs)
      rtc_peer_connection_destroy(pc);
  });
  rtc_certificate_unref(cert);
  rtc_certificate_unref(other);
}

}  // namespace
