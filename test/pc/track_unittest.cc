// Remote tracks (webrtc-pc §4.4.1.6 "process remote tracks", reported by
// the observer's on_remote_tracks), addTrack/removeTrack and the sender's
// stream ids, and what the descriptions negotiate for getParameters.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/rtc_peer_connection.h"
#include "api/rtc_rtp_transceiver.h"
#include "rtc_base/alloc.h"
#include "test/pc/pc_test_util.h"

namespace rtc_test {
namespace {

struct Update {
  rtc_rtp_transceiver* transceiver;
  std::vector<std::string> streams;
  bool add_track;
  bool remove_track;
  bool stopped;
};

class TrackTest : public PeerConnectionTest {
 protected:
  void SetUp() override {
    PeerConnectionTest::SetUp();
    current_ = this;
    observer_ = Peer::kObserver;
    observer_.on_remote_tracks = [](void* u, const rtc_remote_track_update* up,
                                    size_t n) {
      Peer* p = static_cast<Peer*>(u);
      p->log.push_back("tracks");
      auto& list =
          p == &current_->a_ ? current_->a_updates_ : current_->b_updates_;
      for (size_t i = 0; i < n; i++) {
        Update u2{up[i].transceiver,
                  {},
                  up[i].add_track,
                  up[i].remove_track,
                  up[i].stopped};
        for (size_t k = 0; k < up[i].stream_id_count; k++)
          u2.streams.push_back(up[i].stream_ids[k]);
        list.push_back(u2);
      }
    };
    MakeTrackPeer(a_, "a", "10.0.0.1");
    MakeTrackPeer(b_, "b", "10.0.0.2");
    a_.other = &b_;
    b_.other = &a_;
  }

  void TearDown() override {
    PeerConnectionTest::TearDown();
    current_ = nullptr;
  }

  void MakeTrackPeer(Peer& p, const char* name, const char* ip) {
    MakeContext(p, name, ip);
    rtc_configuration config;
    rtc_configuration_init(&config);
    config.obfuscate_host_addresses = false;
    OnQueue(p.signaling, [&] {
      rtc_error_info info;
      ASSERT_EQ(rtc_peer_connection_create(p.context, p.signaling, &config,
                                           &observer_, &p, &p.pc, &info),
                RTC_OK)
          << info.message;
    });
  }

  // addTrack; the transceiver is released (the pc keeps it).
  rtc_rtp_transceiver* AddTrack(Peer& p,
                                rtc_media_kind kind,
                                std::vector<const char*> streams = {}) {
    rtc_rtp_transceiver* t = nullptr;
    OnQueue(p.signaling, [&] {
      rtc_error_info info;
      ASSERT_EQ(rtc_peer_connection_add_track(p.pc, kind, streams.data(),
                                              streams.size(), &t, &info),
                RTC_OK)
          << info.message;
    });
    rtc_rtp_transceiver_unref(t);
    return t;
  }

  rtc_rtp_transceiver* AddTransceiver(Peer& p,
                                      rtc_media_kind kind,
                                      rtc_transceiver_direction d) {
    rtc_rtp_transceiver* t = nullptr;
    OnQueue(p.signaling, [&] {
      rtc_rtp_transceiver_init init;
      rtc_rtp_transceiver_init_defaults(&init);
      init.direction = d;
      rtc_error_info info;
      ASSERT_EQ(
          rtc_peer_connection_add_transceiver(p.pc, kind, &init, &t, &info),
          RTC_OK);
    });
    rtc_rtp_transceiver_unref(t);
    return t;
  }

  std::vector<rtc_rtp_transceiver*> Transceivers(Peer& p) {
    std::vector<rtc_rtp_transceiver*> out(16);
    size_t n = 0;
    OnQueue(p.signaling, [&] {
      n = rtc_peer_connection_transceivers(p.pc, out.data(), 16);
    });
    out.resize(n);
    for (rtc_rtp_transceiver* t : out)
      rtc_rtp_transceiver_unref(t);  // the pc keeps them
    return out;
  }

  std::string Create(Peer& p, bool offer) {
    std::string sdp;
    OnQueue(p.signaling, [&] {
      auto done = [](void* u, rtc_error err, const rtc_error_info* info,
                     const rtc_session_description* d) {
        ASSERT_EQ(err, RTC_OK) << info->message;
        *static_cast<std::string*>(u) = d->sdp;
      };
      ASSERT_EQ(
          offer ? rtc_peer_connection_create_offer(p.pc, nullptr, done, &sdp)
                : rtc_peer_connection_create_answer(p.pc, done, &sdp),
          RTC_OK);
    });
    return sdp;
  }

  // offerer's offer to answerer, answerer's answer back.
  void Exchange(Peer& offerer, Peer& answerer) {
    std::string offer = Create(offerer, true);
    ASSERT_EQ(SetDescription(offerer, true, RTC_SDP_OFFER, offer), RTC_OK);
    ASSERT_EQ(SetDescription(answerer, false, RTC_SDP_OFFER, offer), RTC_OK);
    std::string answer = Create(answerer, false);
    ASSERT_EQ(SetDescription(answerer, true, RTC_SDP_ANSWER, answer), RTC_OK);
    ASSERT_EQ(SetDescription(offerer, false, RTC_SDP_ANSWER, answer), RTC_OK);
  }

  rtc_rtp_negotiated Negotiated(Peer& p, rtc_rtp_transceiver* t, bool send) {
    rtc_rtp_negotiated n;
    OnQueue(p.signaling, [&] { rtc_rtp_transceiver_negotiated(t, send, &n); });
    return n;
  }

  static TrackTest* current_;
  rtc_peer_connection_observer observer_;
  std::vector<Update> a_updates_, b_updates_;
};

TrackTest* TrackTest::current_ = nullptr;

TEST_F(TrackTest, RemoteOfferThatSendsReportsATrackWithItsStreams) {
  AddTrack(a_, RTC_MEDIA_AUDIO, {"s1", "s2"});
  Exchange(a_, b_);
  ASSERT_EQ(b_updates_.size(), 1u);
  const Update& u = b_updates_[0];
  EXPECT_TRUE(u.add_track);
  EXPECT_FALSE(u.remove_track);
  EXPECT_FALSE(u.stopped);
  EXPECT_EQ(u.streams, (std::vector<std::string>{"s1", "s2"}));
  std::vector<rtc_rtp_transceiver*> bt = Transceivers(b_);
  ASSERT_EQ(bt.size(), 1u);
  EXPECT_EQ(u.transceiver, bt[0]);
  // b answered recvonly: a receives nothing.
  EXPECT_TRUE(a_updates_.empty());
}

TEST_F(TrackTest, TrackWithoutStreamHasNoStreamIds) {
  AddTrack(a_, RTC_MEDIA_VIDEO);
  Exchange(a_, b_);
  ASSERT_EQ(b_updates_.size(), 1u);
  EXPECT_TRUE(b_updates_[0].add_track);
  EXPECT_TRUE(b_updates_[0].streams.empty());  // a=msid:- <id>
}

// RFC 8830 §3.2 / JSEP §5.10: a peer that signals no MSID at all (no
// a=msid line in any section, e.g. a legacy endpoint) still gets its
// tracks into a MediaStream: one default stream of the connection, with a
// random id, shared by every such section (WPT
// setRemoteDescription-nomsid, protocol/msid-parse "no msid",
// RTCTrackEvent-fire "When a=msid is absent"). One a=msid line anywhere
// keeps the sections without one streamless.
TEST_F(TrackTest, DescriptionWithoutMsidPutsTracksInADefaultStream) {
  AddTrack(a_, RTC_MEDIA_AUDIO, {"s1"});
  AddTrack(a_, RTC_MEDIA_VIDEO, {"s1"});
  std::string offer = Create(a_, true);
  std::string stripped;
  size_t start = 0;
  while (start < offer.size()) {
    size_t end = offer.find("\r\n", start);
    std::string line = offer.substr(start, end - start);
    if (line.rfind("a=msid:", 0) != 0)
      stripped += line + "\r\n";
    start = end + 2;
  }
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, stripped), RTC_OK);
  ASSERT_EQ(b_updates_.size(), 2u);
  ASSERT_EQ(b_updates_[0].streams.size(), 1u);
  EXPECT_EQ(b_updates_[0].streams[0].size(), 36u);  // a UUID
  EXPECT_EQ(b_updates_[1].streams, b_updates_[0].streams);
  EXPECT_TRUE(b_updates_[0].add_track);
}

// Peers that predate RFC 8830's media-level a=msid (Plan B era Chrome, some
// gateways) name the stream in a=ssrc:<ssrc> msid:<stream> <track>: with no
// media-level a=msid in the section, the track goes into that stream.
TEST_F(TrackTest, SourceLevelMsidNamesTheStreamWhenMediaLevelIsAbsent) {
  AddTrack(a_, RTC_MEDIA_AUDIO, {"s1"});
  AddTrack(a_, RTC_MEDIA_VIDEO, {"s1"});
  std::string offer = Create(a_, true);
  std::string edited;
  size_t start = 0;
  int section = -1;
  while (start < offer.size()) {
    size_t end = offer.find("\r\n", start);
    std::string line = offer.substr(start, end - start);
    start = end + 2;
    if (line.rfind("m=", 0) == 0)
      section++;
    if (line.rfind("a=msid:", 0) == 0) {
      // Section 0 keeps nothing; section 1 keeps its media-level a=msid
      // and gets a contradicting source-level one, which is ignored.
      if (section == 1)
        edited += line + "\r\n" + "a=ssrc:7 msid:ignored t\r\n";
      else
        edited += "a=ssrc:3 cname:x\r\na=ssrc:3 msid:legacy track0\r\n";
      continue;
    }
    edited += line + "\r\n";
  }
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, edited), RTC_OK);
  ASSERT_EQ(b_updates_.size(), 2u);
  EXPECT_EQ(b_updates_[0].streams, (std::vector<std::string>{"legacy"}));
  EXPECT_EQ(b_updates_[1].streams, (std::vector<std::string>{"s1"}));
}

TEST_F(TrackTest, UpdatesComeAfterSignalingChangeAndBeforeCompletion) {
  AddTrack(a_, RTC_MEDIA_AUDIO, {"s"});
  std::string offer = Create(a_, true);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  b_.log.clear();
  OnQueue(b_.signaling, [&] {
    rtc_session_description d = {RTC_SDP_OFFER, offer.c_str()};
    ASSERT_EQ(rtc_peer_connection_set_remote_description(
                  b_.pc, &d,
                  [](void* u, rtc_error err, const rtc_error_info*) {
                    static_cast<Peer*>(u)->log.push_back(
                        err == RTC_OK ? "done" : "failed");
                  },
                  &b_),
              RTC_OK);
  });
  std::vector<std::string> order;
  for (const std::string& e : b_.log) {
    if (e == "signaling:have-remote-offer" || e == "tracks" || e == "done")
      order.push_back(e);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"signaling:have-remote-offer",
                                             "tracks", "done"}));
}

TEST_F(TrackTest, AnswererThatAddsATrackIsHeardByTheOfferer) {
  AddTrack(a_, RTC_MEDIA_AUDIO, {"a-stream"});
  std::string offer = Create(a_, true);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer), RTC_OK);
  // addTrack reuses the recvonly transceiver the offer created.
  rtc_rtp_transceiver* t = AddTrack(b_, RTC_MEDIA_AUDIO, {"b-stream"});
  EXPECT_EQ(Transceivers(b_).size(), 1u);
  EXPECT_EQ(rtc_rtp_transceiver_direction(t), RTC_DIRECTION_SENDRECV);
  std::string answer = Create(b_, false);
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_ANSWER, answer), RTC_OK);
  ASSERT_EQ(SetDescription(a_, false, RTC_SDP_ANSWER, answer), RTC_OK);
  ASSERT_EQ(a_updates_.size(), 1u);
  EXPECT_TRUE(a_updates_[0].add_track);
  EXPECT_EQ(a_updates_[0].streams, (std::vector<std::string>{"b-stream"}));
  // b's own answer keeps receiving: nothing more for b.
  EXPECT_EQ(b_updates_.size(), 1u);
}

TEST_F(TrackTest, ALocalAnswerThatDoesNotReceiveRemovesTheTrack) {
  AddTrack(a_, RTC_MEDIA_AUDIO, {"s"});
  std::string offer = Create(a_, true);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer), RTC_OK);
  ASSERT_EQ(b_updates_.size(), 1u);
  EXPECT_TRUE(b_updates_[0].add_track);
  // b refuses to receive: its answer is inactive.
  rtc_rtp_transceiver* t = b_updates_[0].transceiver;
  OnQueue(b_.signaling, [&] {
    EXPECT_EQ(rtc_rtp_transceiver_set_direction(t, RTC_DIRECTION_INACTIVE),
              RTC_OK);
  });
  std::string answer = Create(b_, false);
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_ANSWER, answer), RTC_OK);
  ASSERT_EQ(b_updates_.size(), 2u);
  EXPECT_TRUE(b_updates_[1].remove_track);
  EXPECT_FALSE(b_updates_[1].add_track);
  EXPECT_TRUE(b_updates_[1].streams.empty());
}

TEST_F(TrackTest, RemoveTrackIsReportedAsARemovalOnRenegotiation) {
  rtc_rtp_transceiver* t = AddTrack(a_, RTC_MEDIA_AUDIO, {"s"});
  Exchange(a_, b_);
  ASSERT_EQ(b_updates_.size(), 1u);
  OnQueue(a_.signaling, [&] {
    rtc_error_info info;
    EXPECT_EQ(rtc_peer_connection_remove_track(a_.pc, t, &info), RTC_OK);
  });
  EXPECT_EQ(rtc_rtp_transceiver_direction(t), RTC_DIRECTION_RECVONLY);
  EXPECT_FALSE(rtc_rtp_transceiver_sender_has_track(t));
  Exchange(a_, b_);
  ASSERT_EQ(b_updates_.size(), 2u);
  EXPECT_TRUE(b_updates_[1].remove_track);
  EXPECT_FALSE(b_updates_[1].add_track);
  EXPECT_TRUE(b_updates_[1].streams.empty());
}

TEST_F(TrackTest, RenegotiationWithoutChangesReportsNothing) {
  AddTrack(a_, RTC_MEDIA_AUDIO, {"s"});
  Exchange(a_, b_);
  Exchange(a_, b_);
  Exchange(b_, a_);
  EXPECT_EQ(b_updates_.size(), 1u);
  EXPECT_TRUE(a_updates_.empty());
}

TEST_F(TrackTest, NewStreamReportsTheTrackAgain) {
  rtc_rtp_transceiver* t = AddTrack(a_, RTC_MEDIA_AUDIO, {"s1"});
  Exchange(a_, b_);
  int before = a_.negotiation_needed;
  OnQueue(a_.signaling, [&] {
    const char* ids[] = {"s1", "s2"};
    EXPECT_EQ(rtc_rtp_transceiver_set_stream_ids(t, ids, 2), RTC_OK);
  });
  EXPECT_GT(a_.negotiation_needed, before);
  Exchange(a_, b_);
  ASSERT_EQ(b_updates_.size(), 2u);
  // "the previous step increased the length of addList".
  EXPECT_TRUE(b_updates_[1].add_track);
  EXPECT_EQ(b_updates_[1].streams, (std::vector<std::string>{"s1", "s2"}));
  // A stream going away alone is an update without a track event.
  OnQueue(a_.signaling, [&] {
    const char* ids[] = {"s2"};
    EXPECT_EQ(rtc_rtp_transceiver_set_stream_ids(t, ids, 1), RTC_OK);
  });
  Exchange(a_, b_);
  ASSERT_EQ(b_updates_.size(), 3u);
  EXPECT_FALSE(b_updates_[2].add_track);
  EXPECT_FALSE(b_updates_[2].remove_track);
  EXPECT_EQ(b_updates_[2].streams, (std::vector<std::string>{"s2"}));
}

TEST_F(TrackTest, AnAnswerThatCouldNotSendNeedsNegotiation) {
  // a only sends, so b's sendrecv transceiver answers recvonly: its
  // section has no a=msid line, and b has to offer to send.
  AddTransceiver(a_, RTC_MEDIA_AUDIO, RTC_DIRECTION_SENDONLY);
  std::string offer = Create(a_, true);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer), RTC_OK);
  std::vector<rtc_rtp_transceiver*> bt = Transceivers(b_);
  ASSERT_EQ(bt.size(), 1u);
  OnQueue(b_.signaling, [&] {
    EXPECT_EQ(rtc_rtp_transceiver_set_direction(bt[0], RTC_DIRECTION_SENDRECV),
              RTC_OK);
  });
  std::string answer = Create(b_, false);
  EXPECT_EQ(answer.find("a=msid:"), std::string::npos);
  int before = b_.negotiation_needed;
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_ANSWER, answer), RTC_OK);
  rtc_sim_time_run_until_idle(time_);
  EXPECT_GT(b_.negotiation_needed, before);
}

TEST_F(TrackTest, SameStreamIdsNeedNoNegotiation) {
  rtc_rtp_transceiver* t = AddTrack(a_, RTC_MEDIA_AUDIO, {"s1", "s2"});
  Exchange(a_, b_);
  rtc_sim_time_run_until_idle(time_);
  int before = a_.negotiation_needed;
  OnQueue(a_.signaling, [&] {
    const char* ids[] = {"s2", "s1", "s2"};
    EXPECT_EQ(rtc_rtp_transceiver_set_stream_ids(t, ids, 3), RTC_OK);
  });
  EXPECT_EQ(a_.negotiation_needed, before);
}

TEST_F(TrackTest, RollbackOfARemoteOfferRemovesItsTrack) {
  AddTrack(a_, RTC_MEDIA_AUDIO, {"s"});
  std::string offer = Create(a_, true);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer), RTC_OK);
  ASSERT_EQ(b_updates_.size(), 1u);
  rtc_rtp_transceiver* created = b_updates_[0].transceiver;
  rtc_rtp_transceiver_ref(created);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_ROLLBACK, ""), RTC_OK);
  ASSERT_EQ(b_updates_.size(), 2u);
  EXPECT_EQ(b_updates_[1].transceiver, created);
  EXPECT_TRUE(b_updates_[1].remove_track);
  EXPECT_TRUE(b_updates_[1].stopped);
  EXPECT_TRUE(rtc_rtp_transceiver_stopped(created));
  EXPECT_TRUE(Transceivers(b_).empty());
  rtc_rtp_transceiver_unref(created);
}

TEST_F(TrackTest, RollbackKeepsATransceiverAddTrackUsed) {
  AddTrack(a_, RTC_MEDIA_AUDIO);
  std::string offer = Create(a_, true);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer), RTC_OK);
  rtc_rtp_transceiver* t = AddTrack(b_, RTC_MEDIA_AUDIO);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_ROLLBACK, ""), RTC_OK);
  std::vector<rtc_rtp_transceiver*> bt = Transceivers(b_);
  ASSERT_EQ(bt.size(), 1u);
  EXPECT_EQ(bt[0], t);
  EXPECT_FALSE(rtc_rtp_transceiver_stopped(t));
  EXPECT_EQ(rtc_rtp_transceiver_mid(t), nullptr);
  EXPECT_EQ(rtc_rtp_transceiver_direction(t), RTC_DIRECTION_SENDRECV);
  ASSERT_EQ(b_updates_.size(), 2u);
  EXPECT_TRUE(b_updates_[1].remove_track);
  EXPECT_FALSE(b_updates_[1].stopped);
}

TEST_F(TrackTest, GlareRollbackThenNewOfferReportsOnce) {
  AddTrack(a_, RTC_MEDIA_AUDIO, {"s"});
  AddTrack(b_, RTC_MEDIA_VIDEO);
  std::string offer_b = Create(b_, true);
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_OFFER, offer_b), RTC_OK);
  std::string offer_a = Create(a_, true);
  // b is in have-local-offer: a's offer rolls b's back first.
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer_a), RTC_OK);
  ASSERT_EQ(b_updates_.size(), 1u);
  EXPECT_TRUE(b_updates_[0].add_track);
  EXPECT_EQ(b_updates_[0].streams, (std::vector<std::string>{"s"}));
}

TEST_F(TrackTest, AddTrackReusesARecvonlyTransceiverOnce) {
  rtc_rtp_transceiver* r =
      AddTransceiver(a_, RTC_MEDIA_AUDIO, RTC_DIRECTION_RECVONLY);
  rtc_rtp_transceiver* i =
      AddTransceiver(a_, RTC_MEDIA_VIDEO, RTC_DIRECTION_INACTIVE);
  EXPECT_EQ(AddTrack(a_, RTC_MEDIA_AUDIO), r);
  EXPECT_EQ(rtc_rtp_transceiver_direction(r), RTC_DIRECTION_SENDRECV);
  EXPECT_EQ(AddTrack(a_, RTC_MEDIA_VIDEO), i);
  EXPECT_EQ(rtc_rtp_transceiver_direction(i), RTC_DIRECTION_SENDONLY);
  rtc_rtp_transceiver* fresh = AddTrack(a_, RTC_MEDIA_AUDIO);
  EXPECT_NE(fresh, r);
  EXPECT_EQ(rtc_rtp_transceiver_direction(fresh), RTC_DIRECTION_SENDRECV);
  EXPECT_EQ(Transceivers(a_).size(), 3u);
}

TEST_F(TrackTest, AddTrackSkipsStoppingTransceiversAndOtherKinds) {
  rtc_rtp_transceiver* v =
      AddTransceiver(a_, RTC_MEDIA_VIDEO, RTC_DIRECTION_RECVONLY);
  rtc_rtp_transceiver* s =
      AddTransceiver(a_, RTC_MEDIA_AUDIO, RTC_DIRECTION_RECVONLY);
  OnQueue(a_.signaling, [&] { rtc_rtp_transceiver_stop(s); });
  EXPECT_TRUE(rtc_rtp_transceiver_stopping(s));
  rtc_rtp_transceiver* t = AddTrack(a_, RTC_MEDIA_AUDIO);
  EXPECT_NE(t, v);
  EXPECT_NE(t, s);
}

TEST_F(TrackTest, AddTrackDoesNotReuseASenderThatHasSent) {
  rtc_rtp_transceiver* t = AddTrack(a_, RTC_MEDIA_AUDIO);
  Exchange(a_, b_);
  OnQueue(a_.signaling, [&] {
    rtc_error_info info;
    EXPECT_EQ(rtc_peer_connection_remove_track(a_.pc, t, &info), RTC_OK);
  });
  Exchange(a_, b_);
  rtc_transceiver_direction current;
  ASSERT_TRUE(rtc_rtp_transceiver_current_direction(t, &current));
  EXPECT_EQ(current, RTC_DIRECTION_INACTIVE);  // b answered recvonly
  EXPECT_NE(AddTrack(a_, RTC_MEDIA_AUDIO), t);
  EXPECT_EQ(Transceivers(a_).size(), 2u);
}

TEST_F(TrackTest, ARemoteOfferTakesOverAnAddTrackTransceiver) {
  rtc_rtp_transceiver* mine = AddTrack(b_, RTC_MEDIA_AUDIO, {"b"});
  AddTrack(a_, RTC_MEDIA_AUDIO, {"a"});
  Exchange(a_, b_);
  std::vector<rtc_rtp_transceiver*> bt = Transceivers(b_);
  ASSERT_EQ(bt.size(), 1u);
  EXPECT_EQ(bt[0], mine);
  EXPECT_NE(rtc_rtp_transceiver_mid(mine), nullptr);
  // Both send: each side hears the other.
  ASSERT_EQ(a_updates_.size(), 1u);
  EXPECT_EQ(a_updates_[0].streams, (std::vector<std::string>{"b"}));
  ASSERT_EQ(b_updates_.size(), 1u);
  EXPECT_EQ(b_updates_[0].streams, (std::vector<std::string>{"a"}));
}

TEST_F(TrackTest, AddTrackAndRemoveTrackOnAClosedConnectionFail) {
  rtc_rtp_transceiver* t = AddTrack(a_, RTC_MEDIA_AUDIO);
  OnQueue(a_.signaling, [&] {
    rtc_peer_connection_close(a_.pc);
    rtc_rtp_transceiver* out = nullptr;
    rtc_error_info info;
    EXPECT_EQ(rtc_peer_connection_add_track(a_.pc, RTC_MEDIA_AUDIO, nullptr, 0,
                                            &out, &info),
              RTC_ERR_INVALID_STATE);
    EXPECT_EQ(out, nullptr);
    EXPECT_EQ(rtc_peer_connection_remove_track(a_.pc, t, &info),
              RTC_ERR_INVALID_STATE);
    const char* ids[] = {"x"};
    EXPECT_EQ(rtc_rtp_transceiver_set_stream_ids(t, ids, 1),
              RTC_ERR_INVALID_STATE);
  });
}

TEST_F(TrackTest, RemoveTrackOfAnotherConnectionIsInvalidAccess) {
  rtc_rtp_transceiver* t = AddTrack(a_, RTC_MEDIA_AUDIO);
  OnQueue(b_.signaling, [&] {
    rtc_error_info info;
    EXPECT_EQ(rtc_peer_connection_remove_track(b_.pc, t, &info),
              RTC_ERR_INVALID_ACCESS);
  });
  EXPECT_TRUE(rtc_rtp_transceiver_sender_has_track(t));
}

TEST_F(TrackTest, RemoveTrackWithoutATrackChangesNothing) {
  rtc_rtp_transceiver* t =
      AddTransceiver(a_, RTC_MEDIA_AUDIO, RTC_DIRECTION_SENDRECV);
  EXPECT_FALSE(rtc_rtp_transceiver_sender_has_track(t));
  OnQueue(a_.signaling, [&] {
    rtc_error_info info;
    EXPECT_EQ(rtc_peer_connection_remove_track(a_.pc, t, &info), RTC_OK);
  });
  EXPECT_EQ(rtc_rtp_transceiver_direction(t), RTC_DIRECTION_SENDRECV);
  // replaceTrack(track) gives it one; removeTrack then takes it away.
  rtc_rtp_transceiver_set_sender_has_track(t, true);
  OnQueue(a_.signaling, [&] {
    rtc_error_info info;
    EXPECT_EQ(rtc_peer_connection_remove_track(a_.pc, t, &info), RTC_OK);
  });
  EXPECT_EQ(rtc_rtp_transceiver_direction(t), RTC_DIRECTION_RECVONLY);
}

TEST_F(TrackTest, AddTrackOutOfMemoryLeavesNoTransceiver) {
  for (uint64_t n = 1; n < 50; n++) {
    rtc_error err = RTC_OK;
    OnQueue(a_.signaling, [&] {
      const char* ids[] = {"s1", "s2"};
      rtc_rtp_transceiver* t = nullptr;
      rtc_error_info info;
      rtc_alloc_fail_nth(n, 0);
      err = rtc_peer_connection_add_track(a_.pc, RTC_MEDIA_VIDEO, ids, 2, &t,
                                          &info);
      rtc_alloc_fail_nth(0, 0);
      if (err == RTC_OK) {
        rtc_rtp_transceiver_unref(t);
      } else {
        EXPECT_EQ(err, RTC_ERR_NO_MEMORY);
        EXPECT_EQ(t, nullptr);
      }
    });
    if (err == RTC_OK) {
      EXPECT_EQ(Transceivers(a_).size(), 1u);
      return;
    }
    EXPECT_TRUE(Transceivers(a_).empty());
  }
  FAIL() << "addTrack never succeeded";
}

TEST_F(TrackTest, AnswerGivesTheNegotiatedCodecsAndExtensions) {
  rtc_rtp_transceiver* t = AddTrack(a_, RTC_MEDIA_VIDEO);
  EXPECT_EQ(Negotiated(a_, t, true).codec_count, 0u);
  std::string offer = Create(a_, true);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  // Sending and receiving wait for the answer: an offer alone negotiates
  // nothing.
  EXPECT_EQ(Negotiated(a_, t, true).codec_count, 0u);
  EXPECT_EQ(Negotiated(a_, t, false).codec_count, 0u);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer), RTC_OK);
  std::vector<rtc_rtp_transceiver*> offered = Transceivers(b_);
  ASSERT_EQ(offered.size(), 1u);
  EXPECT_EQ(Negotiated(b_, offered[0], false).codec_count, 0u);
  std::string answer = Create(b_, false);
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_ANSWER, answer), RTC_OK);
  ASSERT_EQ(SetDescription(a_, false, RTC_SDP_ANSWER, answer), RTC_OK);
  rtc_rtp_negotiated send = Negotiated(a_, t, true);
  ASSERT_EQ(send.codec_count, 4u);
  EXPECT_EQ(send.codecs[0].payload_type, 96);
  EXPECT_STREQ(send.codecs[0].codec.mime_type, "video/VP8");
  EXPECT_EQ(send.codecs[0].codec.clock_rate, 90000u);
  EXPECT_EQ(send.codecs[0].codec.channels, 0);
  EXPECT_STREQ(send.codecs[1].codec.mime_type, "video/rtx");
  EXPECT_STREQ(send.codecs[1].codec.sdp_fmtp_line, "apt=96");
  EXPECT_STREQ(send.codecs[2].codec.sdp_fmtp_line, "profile-id=0");
  EXPECT_TRUE(send.reduced_size);
  ASSERT_GT(send.extension_count, 0u);
  bool mid = false;
  for (size_t i = 0; i < send.extension_count; i++)
    mid |= std::string(send.extensions[i].uri) ==
               "urn:ietf:params:rtp-hdrext:sdes:mid" &&
           send.extensions[i].id == 4;
  EXPECT_TRUE(mid);
  // a sends only (b answered recvonly): a's receiver has no codecs.
  EXPECT_EQ(Negotiated(a_, t, false).codec_count, 0u);
  std::vector<rtc_rtp_transceiver*> bt = Transceivers(b_);
  ASSERT_EQ(bt.size(), 1u);
  rtc_rtp_negotiated recv = Negotiated(b_, bt[0], false);
  EXPECT_EQ(recv.codec_count, 4u);
}

TEST_F(TrackTest, OfferOnlyCodecsThatAreNotOursAreLeftOut) {
  rtc_rtp_transceiver* t = AddTrack(a_, RTC_MEDIA_AUDIO);
  munge_offer = [](std::string& sdp) {
    size_t at = sdp.find("m=audio 9 UDP/TLS/RTP/SAVPF 111");
    ASSERT_NE(at, std::string::npos);
    sdp.replace(at, 31, "m=audio 9 UDP/TLS/RTP/SAVPF 0 111");
    at = sdp.find("a=rtpmap:111");
    sdp.insert(at, "a=rtpmap:0 PCMU/8000\r\n");
  };
  Negotiate(a_, b_);
  std::vector<rtc_rtp_transceiver*> bt = Transceivers(b_);
  ASSERT_EQ(bt.size(), 1u);
  rtc_rtp_negotiated recv = Negotiated(b_, bt[0], false);
  ASSERT_EQ(recv.codec_count, 1u);
  EXPECT_STREQ(recv.codecs[0].codec.mime_type, "audio/opus");
  EXPECT_EQ(recv.codecs[0].codec.channels, 2);
  EXPECT_EQ(Negotiated(a_, t, true).codec_count, 1u);
}

TEST_F(TrackTest, ARejectedSectionStopsAndRemovesTheTrack) {
  AddTrack(a_, RTC_MEDIA_AUDIO, {"a"});
  std::string offer = Create(a_, true);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer), RTC_OK);
  AddTrack(b_, RTC_MEDIA_AUDIO, {"b"});
  std::string answer = Create(b_, false);
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_ANSWER, answer), RTC_OK);
  ASSERT_EQ(SetDescription(a_, false, RTC_SDP_ANSWER, answer), RTC_OK);
  ASSERT_EQ(a_updates_.size(), 1u);
  // b stops its transceiver; its offer rejects the section.
  std::vector<rtc_rtp_transceiver*> bt = Transceivers(b_);
  ASSERT_EQ(bt.size(), 1u);
  OnQueue(b_.signaling, [&] { rtc_rtp_transceiver_stop(bt[0]); });
  Exchange(b_, a_);
  ASSERT_GE(a_updates_.size(), 2u);
  bool removed = false, stopped = false;
  for (size_t i = 1; i < a_updates_.size(); i++) {
    removed |= a_updates_[i].remove_track;
    stopped |= a_updates_[i].stopped;
  }
  EXPECT_TRUE(removed);
  EXPECT_TRUE(stopped);
}

TEST_F(TrackTest, SendersCarryTheConnectionsCnameReceiversNone) {
  rtc_rtp_transceiver* audio = AddTrack(a_, RTC_MEDIA_AUDIO);
  rtc_rtp_transceiver* video = AddTrack(a_, RTC_MEDIA_VIDEO);
  rtc_rtp_transceiver* other = AddTrack(b_, RTC_MEDIA_AUDIO);
  // webrtc-pc getParameters: "rtcp.cname is set to the CNAME of the
  // associated RTCPeerConnection", before any negotiation; RFC 7022: at
  // least 96 random bits (16 base64 characters).
  std::string cname = Negotiated(a_, audio, true).cname;
  EXPECT_GE(cname.size(), 16u);
  EXPECT_EQ(cname.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                    "opqrstuvwxyz0123456789+/"),
            std::string::npos);
  EXPECT_EQ(cname, Negotiated(a_, video, true).cname);
  EXPECT_NE(cname, Negotiated(b_, other, true).cname);
  // "rtcp.cname is left undefined" for a receiver.
  EXPECT_STREQ(Negotiated(a_, audio, false).cname, "");
  Exchange(a_, b_);
  EXPECT_EQ(cname, Negotiated(a_, audio, true).cname);
  EXPECT_STREQ(Negotiated(a_, audio, false).cname, "");
}

// The format parameters of each side say what it receives (RFC 7741
// §6.1 max-fr, max-fs): the answerer sends with the offer's, receives with
// its own answer's; the offerer the other way round.
TEST_F(TrackTest, SendCodecsTakeTheRemoteFormatParameters) {
  rtc_rtp_transceiver* t = AddTrack(a_, RTC_MEDIA_VIDEO);
  munge_offer = [](std::string& sdp) {
    size_t at = sdp.find("a=rtpmap:96 VP8/90000\r\n");
    ASSERT_NE(at, std::string::npos);
    sdp.insert(at, "a=fmtp:96 max-fr=30;max-fs=3600\r\n");
  };
  Negotiate(a_, b_);
  std::vector<rtc_rtp_transceiver*> bt = Transceivers(b_);
  ASSERT_EQ(bt.size(), 1u);
  rtc_rtp_negotiated send = Negotiated(b_, bt[0], true);
  ASSERT_GT(send.codec_count, 0u);
  EXPECT_STREQ(send.codecs[0].codec.mime_type, "video/VP8");
  EXPECT_STREQ(send.codecs[0].codec.sdp_fmtp_line, "max-fr=30;max-fs=3600");
  rtc_rtp_negotiated recv = Negotiated(b_, bt[0], false);
  ASSERT_GT(recv.codec_count, 0u);
  EXPECT_STREQ(recv.codecs[0].codec.sdp_fmtp_line, "");
  // The offerer sends with the answer's parameters (none).
  EXPECT_STREQ(Negotiated(a_, t, true).codecs[0].codec.sdp_fmtp_line, "");
}

// RFC 5761 §4: with rtcp-mux, "payload type values in the range 64-95
// MUST NOT be used"; 35-63 and 96-127 are fine.
TEST_F(TrackTest, RemotePayloadTypesThatCollideWithRtcpAreInvalidAccess) {
  AddTrack(a_, RTC_MEDIA_AUDIO);
  std::string offer = Create(a_, true);
  auto with_pt = [&](const char* pt) {
    std::string sdp = offer;
    size_t at = sdp.find("m=audio 9 UDP/TLS/RTP/SAVPF 111");
    EXPECT_NE(at, std::string::npos);
    sdp.replace(at, 31, std::string("m=audio 9 UDP/TLS/RTP/SAVPF ") + pt);
    for (std::string key : {"a=rtpmap:111", "a=rtcp-fb:111", "a=fmtp:111"}) {
      for (size_t p = sdp.find(key); p != std::string::npos;
           p = sdp.find(key, p))
        sdp.replace(p + key.size() - 3, 3, pt);
    }
    return sdp;
  };
  EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, with_pt("64")),
            RTC_ERR_INVALID_ACCESS);
  EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, with_pt("95")),
            RTC_ERR_INVALID_ACCESS);
  EXPECT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, with_pt("63")), RTC_OK);
  std::string answer = Create(b_, false);
  EXPECT_NE(answer.find("a=rtpmap:63 opus/48000/2"), std::string::npos);
}

// RFC 8285 §6: "Identifier values in the valid range MUST NOT be altered
// (remapped)" by a session update; a session update may drop or add
// extensions.
TEST_F(TrackTest, ARemoteUpdateThatRemapsAHeaderExtensionIsInvalidAccess) {
  AddTrack(a_, RTC_MEDIA_AUDIO);
  Exchange(a_, b_);
  std::string offer = Create(a_, true);
  ASSERT_EQ(SetDescription(a_, true, RTC_SDP_OFFER, offer), RTC_OK);
  ASSERT_EQ(SetDescription(b_, false, RTC_SDP_OFFER, offer), RTC_OK);
  std::string answer = Create(b_, false);
  const std::string level = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
  const std::string mid = "urn:ietf:params:rtp-hdrext:sdes:mid";
  size_t l = answer.find(level), m = answer.find(mid);
  ASSERT_NE(l, std::string::npos);
  ASSERT_NE(m, std::string::npos);
  std::string swapped = answer;
  swapped.replace(m, mid.size(), level);
  swapped.replace(l, level.size(), mid);
  EXPECT_EQ(SetDescription(a_, false, RTC_SDP_ANSWER, swapped),
            RTC_ERR_INVALID_ACCESS);
  // Dropping one is a session update that is allowed.
  std::string dropped = answer;
  size_t line = dropped.rfind("a=extmap:", l);
  dropped.erase(line, dropped.find("\r\n", line) + 2 - line);
  EXPECT_EQ(SetDescription(a_, false, RTC_SDP_ANSWER, dropped), RTC_OK);
}

// Our subsequent offers keep the ids the answer negotiated, though the
// first offer (the remote's) used others.
TEST_F(TrackTest, ASubsequentOfferKeepsTheNegotiatedExtensionIds) {
  AddTrack(a_, RTC_MEDIA_AUDIO);
  munge_offer = [](std::string& sdp) {
    size_t at = sdp.find("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid");
    ASSERT_NE(at, std::string::npos);
    sdp.replace(at, 10, "a=extmap:7");
  };
  Negotiate(a_, b_);
  munge_offer = nullptr;
  std::string offer = Create(b_, true);
  EXPECT_NE(offer.find("a=extmap:7 urn:ietf:params:rtp-hdrext:sdes:mid"),
            std::string::npos)
      << offer;
  ASSERT_EQ(SetDescription(b_, true, RTC_SDP_OFFER, offer), RTC_OK);
  EXPECT_EQ(SetDescription(a_, false, RTC_SDP_OFFER, offer), RTC_OK);
}

TEST(RtpCapabilitiesTest, ListsTheHeaderExtensionsOfEachKind) {
  const char* uris[16];
  size_t audio =
      rtc_rtp_capabilities_header_extensions(RTC_MEDIA_AUDIO, uris, 16);
  ASSERT_EQ(audio, 3u);
  EXPECT_STREQ(uris[0], "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  size_t video =
      rtc_rtp_capabilities_header_extensions(RTC_MEDIA_VIDEO, uris, 2);
  EXPECT_EQ(video, 6u);  // the count, though only 2 were written
  EXPECT_STREQ(uris[1],
               "http://www.ietf.org/id/"
               "draft-holmer-rmcat-transport-wide-cc-extensions-01");
  EXPECT_EQ(rtc_rtp_capabilities_header_extensions(RTC_MEDIA_VIDEO, nullptr, 0),
            6u);
  // RFC 8834 §5.2.5: video orientation (CVO) is REQUIRED.
  ASSERT_EQ(rtc_rtp_capabilities_header_extensions(RTC_MEDIA_VIDEO, uris, 16),
            6u);
  EXPECT_STREQ(uris[5], "urn:3gpp:video-orientation");
}

}  // namespace
}  // namespace rtc_test
