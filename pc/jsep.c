/*
 * JSEP (RFC 9429) for the peer connection: creating offers and answers,
 * checking and applying local and remote descriptions, ICE candidates.
 * Runs on the signaling thread, inside the operations chain.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pc/peer_connection_internal.h"
#include "pc/transceiver_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/logging.h"
#include "rtc_base/random.h"

static const char kIceChars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* --- Reading descriptions --- */

static const char* media_ufrag(const rtc_sdp_session* s,
                               const rtc_sdp_media* m) {
  return m->ice_ufrag ? m->ice_ufrag : s->ice_ufrag;
}

static const char* media_pwd(const rtc_sdp_session* s, const rtc_sdp_media* m) {
  return m->ice_pwd ? m->ice_pwd : s->ice_pwd;
}

static const rtc_fingerprint* media_fingerprints(const rtc_sdp_session* s,
                                                 const rtc_sdp_media* m,
                                                 size_t* count) {
  if (m->num_fingerprints) {
    *count = m->num_fingerprints;
    return m->fingerprints;
  }
  *count = s->num_fingerprints;
  return s->fingerprints;
}

static rtc_sdp_setup media_setup(const rtc_sdp_session* s,
                                 const rtc_sdp_media* m) {
  return m->setup != RTC_SDP_SETUP_NONE ? m->setup : s->setup;
}

static rtc_sdp_direction media_direction(const rtc_sdp_session* s,
                                         const rtc_sdp_media* m) {
  if (m->direction != RTC_SDP_DIRECTION_NONE)
    return m->direction;
  if (s->direction != RTC_SDP_DIRECTION_NONE)
    return s->direction;
  return RTC_SDP_DIRECTION_SENDRECV;
}

static const rtc_sdp_group* bundle_group(const rtc_sdp_session* s) {
  for (size_t i = 0; s && i < s->num_groups; i++) {
    if (strcasecmp(s->groups[i].semantics, "BUNDLE") == 0)
      return &s->groups[i];
  }
  return NULL;
}

static bool group_has(const rtc_sdp_group* g, const char* mid) {
  for (size_t i = 0; g && i < g->num_mids; i++) {
    if (strcmp(g->mids[i], mid) == 0)
      return true;
  }
  return false;
}

static bool is_rejected(const rtc_sdp_media* m) {
  return m->port == 0 && !m->bundle_only;
}

static bool is_data(const rtc_sdp_media* m) {
  return strcmp(m->type, "application") == 0 && strstr(m->proto, "SCTP");
}

static bool is_rtp(const rtc_sdp_media* m) {
  return (strcmp(m->type, "audio") == 0 || strcmp(m->type, "video") == 0) &&
         rtc_sdp_proto_is_rtp(m->proto);
}

/* The section whose transport parameters (ICE, DTLS, rtcp-mux) apply to
 * `m`: `m` itself, or for a bundled section without ICE credentials of its
 * own the group's tagged section (RFC 8843 §7.1.3: attributes of category
 * IDENTICAL and TRANSPORT appear only in the tagged section; §6: a
 * bundle-only section has none; RFC 9429 §5.2.2: a bundled section "MUST
 * NOT contain any ICE credentials"). */
static const rtc_sdp_media* transport_section(const rtc_sdp_session* s,
                                              const rtc_sdp_media* m) {
  if (media_ufrag(s, m) || !m->mid)
    return m;
  const rtc_sdp_group* g = bundle_group(s);
  if (!g || g->num_mids == 0 || !group_has(g, m->mid))
    return m;
  const rtc_sdp_media* tag = rtc_sdp_session_find_media(s, g->mids[0]);
  return tag ? tag : m;
}

/* The ICE credentials of a description (rtcbox uses one pair for every
 * section): those of its first accepted section that has them, or the
 * session's. */
static const char* session_ufrag(const rtc_sdp_session* s) {
  for (size_t i = 0; s && i < s->num_media; i++) {
    if (!is_rejected(s->media[i]) && media_ufrag(s, s->media[i]))
      return media_ufrag(s, s->media[i]);
  }
  return s ? s->ice_ufrag : NULL;
}

static const char* session_pwd(const rtc_sdp_session* s) {
  for (size_t i = 0; s && i < s->num_media; i++) {
    if (!is_rejected(s->media[i]) && media_pwd(s, s->media[i]))
      return media_pwd(s, s->media[i]);
  }
  return s ? s->ice_pwd : NULL;
}

static rtc_transceiver_direction from_sdp_direction(rtc_sdp_direction d) {
  switch (d) {
    case RTC_SDP_DIRECTION_SENDONLY:
      return RTC_DIRECTION_SENDONLY;
    case RTC_SDP_DIRECTION_RECVONLY:
      return RTC_DIRECTION_RECVONLY;
    case RTC_SDP_DIRECTION_INACTIVE:
      return RTC_DIRECTION_INACTIVE;
    default:
      return RTC_DIRECTION_SENDRECV;
  }
}

static rtc_sdp_direction to_sdp_direction(rtc_transceiver_direction d) {
  switch (d) {
    case RTC_DIRECTION_SENDONLY:
      return RTC_SDP_DIRECTION_SENDONLY;
    case RTC_DIRECTION_RECVONLY:
      return RTC_SDP_DIRECTION_RECVONLY;
    case RTC_DIRECTION_INACTIVE:
    case RTC_DIRECTION_STOPPED:
      return RTC_SDP_DIRECTION_INACTIVE;
    default:
      return RTC_SDP_DIRECTION_SENDRECV;
  }
}

static bool has_send(rtc_transceiver_direction d) {
  return d == RTC_DIRECTION_SENDRECV || d == RTC_DIRECTION_SENDONLY;
}

static bool has_recv(rtc_transceiver_direction d) {
  return d == RTC_DIRECTION_SENDRECV || d == RTC_DIRECTION_RECVONLY;
}

static rtc_transceiver_direction make_direction(bool send, bool recv) {
  if (send && recv)
    return RTC_DIRECTION_SENDRECV;
  if (send)
    return RTC_DIRECTION_SENDONLY;
  if (recv)
    return RTC_DIRECTION_RECVONLY;
  return RTC_DIRECTION_INACTIVE;
}

/* The direction seen from the other side. */
static rtc_transceiver_direction reverse(rtc_transceiver_direction d) {
  return make_direction(has_recv(d), has_send(d));
}

static rtc_rtp_transceiver* transceiver_for_mid(const rtc_peer_connection* pc,
                                                const char* mid) {
  for (size_t i = 0; mid && i < pc->transceiver_count; i++) {
    if (strcmp(pc->transceivers[i]->mid, mid) == 0)
      return pc->transceivers[i];
  }
  return NULL;
}

/* --- Transports --- */

/* RFC 8843 §6: "bundle-only" with a zero port is a section offered only
 * for a BUNDLE group, not a rejected one. */
static bool is_bundle_only(const rtc_sdp_media* m) {
  return m->port == 0 && m->bundle_only;
}

static bool is_offer_slot(const rtc_peer_connection* pc,
                          const rtc_sdp_session* s) {
  return s &&
         ((s == pc->pending_local && pc->pending_local_type == RTC_SDP_OFFER) ||
          (s == pc->pending_remote &&
           pc->pending_remote_type == RTC_SDP_OFFER));
}

/* The answer of the last completed offer/answer exchange, or NULL. */
static const rtc_sdp_session* current_answer(const rtc_peer_connection* pc) {
  if (pc->current_local && pc->current_local_type == RTC_SDP_ANSWER)
    return pc->current_local;
  if (pc->current_remote && pc->current_remote_type == RTC_SDP_ANSWER)
    return pc->current_remote;
  return NULL;
}

/* The BUNDLE group the last answer accepted (RFC 8843 §7.3), or NULL. */
static const rtc_sdp_group* negotiated_bundle(const rtc_peer_connection* pc) {
  const rtc_sdp_group* g = bundle_group(current_answer(pc));
  return g && g->num_mids > 0 ? g : NULL;
}

/* The description that decides bundling now: a provisional answer while
 * one is in effect, else a pending offer, else the current answer. */
static const rtc_sdp_session* bundle_source(const rtc_peer_connection* pc) {
  if (pc->pending_local && pc->pending_local_type == RTC_SDP_PRANSWER)
    return pc->pending_local;
  if (pc->pending_remote && pc->pending_remote_type == RTC_SDP_PRANSWER)
    return pc->pending_remote;
  if (pc->pending_local)
    return pc->pending_local;
  if (pc->pending_remote)
    return pc->pending_remote;
  const rtc_sdp_session* answer = current_answer(pc);
  return answer ? answer : pc->current_local;
}

const char* pc_jsep_transport_for_mid(const rtc_peer_connection* pc,
                                      const char* mid) {
  const rtc_sdp_session* s = bundle_source(pc);
  const rtc_sdp_group* g = bundle_group(s);
  if (!g || g->num_mids == 0 || !group_has(g, mid))
    return mid;
  /* RFC 8843 §7: a bundled section uses the transport of the group's first
   * (tagged) mid. */
  const char* tag = g->mids[0];
  if (!is_offer_slot(pc, s) || strcmp(tag, mid) == 0)
    return tag; /* an answer: the group is what was agreed */
  /* An offer, before its answer. RFC 9429 §3.5.1: "if an "m=" section is
   * bundled (either by a successful bundle negotiation or by being marked
   * as bundle-only), then candidates will be gathered and exchanged for
   * that "m=" section if and only if its MID item is a BUNDLE-tag". */
  const rtc_sdp_media* m = rtc_sdp_session_find_media(s, mid);
  if (m && is_bundle_only(m))
    return tag;
  /* §5.2.2: "if bundling has been negotiated, unbundling is no longer
   * possible": a re-offer keeping the negotiated tag keeps every member,
   * new ones included, on the tag's transport. */
  if (group_has(negotiated_bundle(pc), tag))
    return tag;
  /* Offered with transport parameters of its own (max-compat, the first
   * section of a type with balanced): its own transport until the answer
   * says whether the peer bundles. */
  return mid;
}

int pc_jsep_mline_index(const rtc_peer_connection* pc, const char* mid) {
  const rtc_sdp_session* s = pc_local_description(pc);
  if (!s)
    s = pc_remote_description(pc);
  for (size_t i = 0; s && i < s->num_media; i++) {
    if (s->media[i]->mid && mid && strcmp(s->media[i]->mid, mid) == 0)
      return (int)i;
  }
  return -1;
}

/* --- Writing descriptions --- */

static void new_credentials(char* ufrag, char* pwd) {
  /* RFC 8445 §5.3: >= 24 bits in the ufrag, >= 128 in the password. */
  rtc_random_string(ufrag, 8, kIceChars, sizeof(kIceChars) - 1);
  rtc_random_string(pwd, 24, kIceChars, sizeof(kIceChars) - 1);
}

static rtc_error write_transport(rtc_peer_connection* pc,
                                 rtc_sdp_session* sdp,
                                 rtc_sdp_media* m,
                                 rtc_sdp_setup setup) {
  m->connection.nettype = "IN";
  m->connection.addrtype = "IP4";
  m->connection.address = "0.0.0.0";
  if (rtc_sdp_set_string(sdp, &m->ice_ufrag, pc->next_ufrag) != RTC_OK ||
      rtc_sdp_set_string(sdp, &m->ice_pwd, pc->next_pwd) != RTC_OK ||
      rtc_sdp_set_string(sdp, &m->ice_options, "trickle") != RTC_OK)
    return RTC_ERR_NO_MEMORY;
  m->setup = setup;
  /* RFC 9429 §5.2.1: "An "a=fingerprint" line for each of the endpoint's
   * certificates": the one DTLS uses (the first of the configuration's)
   * and the others given (webrtc-pc: "Although any given DTLS connection
   * will use only one certificate, this attribute allows the caller to
   * provide multiple certificates"). */
  rtc_error err = rtc_sdp_add_fingerprint(sdp, m, &pc->fingerprint);
  for (size_t i = 0; err == RTC_OK && i < pc->config.certificate_count; i++) {
    const rtc_certificate* c = pc->config.certificates[i];
    bool listed = c == pc->certificate;
    for (size_t k = 0; k < i; k++)
      listed = listed || pc->config.certificates[k] == c;
    if (listed)
      continue;
    rtc_fingerprint fp;
    err = rtc_certificate_fingerprint(c, RTC_HASH_SHA256, &fp);
    if (err == RTC_OK)
      err = rtc_sdp_add_fingerprint(sdp, m, &fp);
  }
  return err;
}

/* RFC 9429 §5.2.1: "If the "m=" section is marked as bundle-only, then
 * the <port> value MUST be set to zero", with an "a=bundle-only" line, and
 * "Bundle-only "m=" sections MUST NOT contain any ICE credentials"; the
 * other attributes of category TRANSPORT (fingerprint, setup, a=rtcp) "MUST
 * appear only in "m=" sections that either have a unique address or are
 * associated with the BUNDLE-tag". */
static void write_bundle_only(rtc_sdp_media* m) {
  m->port = 0;
  m->bundle_only = true;
  m->connection.nettype = "IN";
  m->connection.addrtype = "IP4";
  m->connection.address = "0.0.0.0";
}

/* RFC 9429 §5.3.1, answers: "The <proto> field MUST be set to exactly
 * match the <proto> field for the corresponding "m=" line in the offer"
 * (§5.1.3 lists the profile names an answerer takes as equivalent to the
 * ones it offers). `offered`: the offer's section, NULL in an offer. */
static const char* section_proto(const rtc_sdp_media* offered,
                                 const char* ours) {
  return offered && offered->proto ? offered->proto : ours;
}

static rtc_error write_data_section(rtc_peer_connection* pc,
                                    rtc_sdp_session* sdp,
                                    const char* mid,
                                    rtc_sdp_setup setup,
                                    bool rejected,
                                    bool bundle_only,
                                    const rtc_sdp_media* offered) {
  rtc_sdp_media* m =
      rtc_sdp_session_add_media(sdp, "application", rejected ? 0 : 9,
                                section_proto(offered, "UDP/DTLS/SCTP"));
  if (!m || rtc_sdp_media_add_fmt(sdp, m, "webrtc-datachannel") != RTC_OK ||
      rtc_sdp_set_string(sdp, &m->mid, mid) != RTC_OK)
    return RTC_ERR_NO_MEMORY;
  if (rejected)
    return RTC_OK;
  rtc_error err = RTC_OK;
  if (bundle_only)
    write_bundle_only(m);
  else
    err = write_transport(pc, sdp, m, setup);
  if (err != RTC_OK)
    return err;
  /* RFC 8841 §5.1 and §6.1. */
  m->has_sctp_port = true;
  m->sctp_port = RTC_SCTP_DEFAULT_PORT;
  m->has_max_message_size = true;
  m->max_message_size = RTC_SCTP_MAX_MESSAGE_SIZE;
  return RTC_OK;
}

/* A section for a rejected or stopped transceiver (RFC 9429 §5.2.2: port
 * 0, the same media type, a codec kept). */
static rtc_error write_rejected_rtp(rtc_peer_connection* pc,
                                    rtc_sdp_session* sdp,
                                    rtc_media_kind kind,
                                    const char* mid,
                                    const rtc_sdp_media* remote) {
  rtc_sdp_media* m = rtc_sdp_session_add_media(sdp, rtc_media_kind_name(kind),
                                               0, "UDP/TLS/RTP/SAVPF");
  if (!m || rtc_sdp_set_string(sdp, &m->mid, mid) != RTC_OK)
    return RTC_ERR_NO_MEMORY;
  m->connection.nettype = "IN";
  m->connection.addrtype = "IP4";
  m->connection.address = "0.0.0.0";
  m->direction = RTC_SDP_DIRECTION_INACTIVE;
  (void)pc;
  if (remote && remote->num_fmts)
    return rtc_sdp_media_add_fmt(sdp, m, remote->fmts[0]);
  return rtc_sdp_media_add_codec(sdp, m, kind == RTC_MEDIA_AUDIO ? 111 : 96,
                                 kind == RTC_MEDIA_AUDIO ? "opus" : "VP8",
                                 kind == RTC_MEDIA_AUDIO ? 48000 : 90000,
                                 kind == RTC_MEDIA_AUDIO ? 2 : 0);
}

static rtc_error write_rtp_section(rtc_peer_connection* pc,
                                   rtc_sdp_session* sdp,
                                   rtc_rtp_transceiver* t,
                                   const char* mid,
                                   rtc_transceiver_direction direction,
                                   rtc_sdp_setup setup,
                                   const rtc_sdp_media* remote,
                                   bool bundle_only) {
  rtc_sdp_media* m =
      rtc_sdp_session_add_media(sdp, rtc_media_kind_name(t->kind), 9,
                                section_proto(remote, "UDP/TLS/RTP/SAVPF"));
  if (!m || rtc_sdp_set_string(sdp, &m->mid, mid) != RTC_OK)
    return RTC_ERR_NO_MEMORY;
  rtc_error err = RTC_OK;
  if (bundle_only) {
    write_bundle_only(m);
  } else {
    err = write_transport(pc, sdp, m, setup);
    if (err != RTC_OK)
      return err;
    m->has_rtcp = true;
    m->rtcp.port = 9;
    m->rtcp.connection.nettype = "IN";
    m->rtcp.connection.addrtype = "IP4";
    m->rtcp.connection.address = "0.0.0.0";
  }
  m->direction = to_sdp_direction(direction);
  m->rtcp_mux = true;
  m->rtcp_rsize = true;
  if (has_send(direction)) {
    /* RFC 8830: the sender's streams and its id. */
    if (t->stream_id_count == 0) {
      err = rtc_sdp_media_add_msid(sdp, m, "-", t->sender_id);
    } else {
      for (size_t i = 0; i < t->stream_id_count && err == RTC_OK; i++)
        err = rtc_sdp_media_add_msid(sdp, m, t->stream_ids[i], t->sender_id);
    }
    if (err != RTC_OK)
      return err;
  }
  return pc_transceiver_write_codecs(sdp, m, t, remote);
}

static rtc_error new_session(rtc_peer_connection* pc, rtc_sdp_session** out) {
  rtc_sdp_session* sdp = NULL;
  rtc_error err = rtc_sdp_session_create(&sdp);
  if (err != RTC_OK)
    return err;
  err = rtc_sdp_session_set_id(sdp, pc->session_id);
  if (err != RTC_OK) {
    rtc_sdp_session_destroy(sdp);
    return err;
  }
  /* RFC 9429 §5.2.2: the version goes up with each new description. */
  sdp->origin.session_version = ++pc->session_version;
  sdp->extmap_allow_mixed = true;
  rtc_sdp_msid_semantic* ms = RTC_SDP_PUSH(sdp, sdp, msid_semantics);
  if (!ms) {
    rtc_sdp_session_destroy(sdp);
    return RTC_ERR_NO_MEMORY;
  }
  ms->semantic = "WMS";
  ms->space_before = true;
  *out = sdp;
  return RTC_OK;
}

static bool mid_in_use(const rtc_peer_connection* pc, const char* mid) {
  if (strcmp(pc->data_mid, mid) == 0 || strcmp(pc->data_offer_mid, mid) == 0)
    return true;
  for (size_t i = 0; i < pc->transceiver_count; i++) {
    if (strcmp(pc->transceivers[i]->mid, mid) == 0 ||
        strcmp(pc->transceivers[i]->offer_mid, mid) == 0)
      return true;
  }
  const rtc_sdp_session* descs[4] = {pc->current_local, pc->pending_local,
                                     pc->current_remote, pc->pending_remote};
  for (int d = 0; d < 4; d++) {
    for (size_t i = 0; descs[d] && i < descs[d]->num_media; i++) {
      if (descs[d]->media[i]->mid && strcmp(descs[d]->media[i]->mid, mid) == 0)
        return true;
    }
  }
  return false;
}

/* RFC 9429 §5.2.1: a new mid, unique among every description and
 * transceiver (the destination may itself be a slot mid_in_use reads). */
static void new_mid(rtc_peer_connection* pc, char out[PC_MID_SIZE]) {
  char mid[PC_MID_SIZE];
  out[0] = '\0';
  do {
    snprintf(mid, sizeof(mid), "%u", (unsigned)pc->next_mid++);
  } while (mid_in_use(pc, mid));
  memcpy(out, mid, sizeof(mid));
}

static bool wants_data_section(const rtc_peer_connection* pc) {
  return pc->channel_count > 0 || pc->data_mid[0];
}

/* A transceiver the pending local offer gave its mid (none of the current
 * descriptions has it): RFC 9429 §5.2.2, in "have-local-offer" "an offer is
 * generated by following the steps in the "stable" state", so a new offer
 * writes it again, with that mid. */
static bool added_by_pending_offer(const rtc_peer_connection* pc,
                                   const rtc_sdp_session* prev,
                                   const rtc_rtp_transceiver* t) {
  return t->mid[0] && t->mid_from_pending && pc->pending_local &&
         pc->pending_local_type == RTC_SDP_OFFER &&
         !(prev && rtc_sdp_session_find_media(prev, t->mid));
}

/* The BUNDLE group the last answer accepted, if one of its sections is
 * still in use (not stopped, not rejected): its transport carries on. */
static const rtc_sdp_group* live_bundle(const rtc_peer_connection* pc) {
  const rtc_sdp_group* n = negotiated_bundle(pc);
  for (size_t i = 0; n && i < n->num_mids; i++) {
    const char* mid = n->mids[i];
    if (strcmp(mid, pc->data_mid) == 0 && wants_data_section(pc))
      return n;
    const rtc_rtp_transceiver* t = transceiver_for_mid(pc, mid);
    if (t && !t->stopping && !t->stopped)
      return n;
  }
  return NULL;
}

/* Whether the section `mid` of the offer being written goes in its BUNDLE
 * group. RFC 9429 §5.2.1: the initial offer's group "MUST include the mid
 * identifiers of each "m=" section"; §5.2.2, once an answer is in: "the
 * bundle attribute MUST contain all "m=" sections that were previously
 * bundled, as long as they are still alive, as well as any new "m="
 * sections": a section the answer accepted outside its group stays out
 * (and keeps its own transport). */
static bool in_offer_group(const rtc_peer_connection* pc, const char* mid) {
  const rtc_sdp_session* answer = current_answer(pc);
  const rtc_sdp_media* am =
      answer && mid ? rtc_sdp_session_find_media(answer, mid) : NULL;
  if (!am || is_rejected(am))
    return true; /* new, or re-enabled */
  return group_has(negotiated_bundle(pc), mid);
}

/* Whether a section this offer adds, of media `type`, is bundle-only
 * (RFC 9429 §4.1.1, §5.2.1: "If (1) the bundle policy for this
 * PeerConnection is set to "must-bundle" and this is not the first "m="
 * section or (2) the bundle policy is set to "balanced" and this is not the
 * first "m=" section for this media type, an "a=bundle-only" line"). The
 * sections already written (`sdp`) come first in the offer; those with a
 * nonzero port in the offer's group carry the transport parameters it can
 * be bundled into. WebRTC's "max-bundle" is RFC 8829's max-bundle, which
 * RFC 9429 renamed "must-bundle" (§1.3).
 *
 * Once BUNDLE is negotiated (`bundled`), §5.2.2: "An "a=bundle-only" line
 * ... MUST NOT be added", and "if bundling has been negotiated, unbundling
 * is no longer possible": a new section joins the negotiated group and its
 * transport (§3.5.1), whatever the policy. */
static bool offer_bundle_only(const rtc_peer_connection* pc,
                              const rtc_sdp_session* sdp,
                              const char* type,
                              const rtc_sdp_group* bundled) {
  rtc_bundle_policy policy = pc->config.bundle_policy;
  if (bundled || policy == RTC_BUNDLE_POLICY_MAX_COMPAT)
    return false;
  for (size_t i = 0; i < sdp->num_media; i++) {
    const rtc_sdp_media* m = sdp->media[i];
    if (m->port == 0 || !in_offer_group(pc, m->mid))
      continue; /* rejected, bundle-only, or outside the group */
    if (policy == RTC_BUNDLE_POLICY_MAX_BUNDLE || strcmp(m->type, type) == 0)
      return true;
  }
  return false;
}

/* The BUNDLE group of an offer (see in_offer_group). RFC 8843 §7.2.1: the
 * first mid is the offerer-tagged section, whose transport parameters the
 * others share: the negotiated tag (or another member of the negotiated
 * group) while one lives, so that its transport carries on; else the first
 * section with transport parameters (never a bundle-only one). */
static rtc_error write_offer_bundle(const rtc_peer_connection* pc,
                                    rtc_sdp_session* sdp) {
  const rtc_sdp_group* negotiated = negotiated_bundle(pc);
  const char* mids[RTC_SDP_MAX_MEDIA];
  size_t n = 0;
  size_t tag = RTC_SDP_MAX_MEDIA;
  size_t first_transport = RTC_SDP_MAX_MEDIA;
  for (size_t i = 0; i < sdp->num_media && n < RTC_SDP_MAX_MEDIA; i++) {
    const rtc_sdp_media* m = sdp->media[i];
    if (is_rejected(m) || !m->mid || !in_offer_group(pc, m->mid))
      continue;
    if (m->port != 0 && first_transport == RTC_SDP_MAX_MEDIA)
      first_transport = n;
    mids[n++] = m->mid;
  }
  if (n == 0)
    return RTC_OK;
  for (size_t k = 0; negotiated && k < negotiated->num_mids; k++) {
    for (size_t j = 0; j < n && tag == RTC_SDP_MAX_MEDIA; j++) {
      if (strcmp(mids[j], negotiated->mids[k]) == 0)
        tag = j;
    }
  }
  if (tag == RTC_SDP_MAX_MEDIA)
    tag = first_transport;
  if (tag == RTC_SDP_MAX_MEDIA)
    return RTC_ERR_INTERNAL; /* every member bundle-only: cannot happen */
  const char* tag_mid = mids[tag];
  memmove(&mids[1], &mids[0], tag * sizeof(mids[0]));
  mids[0] = tag_mid;
  return rtc_sdp_session_add_group(sdp, "BUNDLE", mids, n);
}

rtc_error pc_jsep_create_offer(rtc_peer_connection* pc,
                               const rtc_offer_options* options,
                               char** out,
                               rtc_error_info* info) {
  *out = NULL;
  /* webrtc-pc "create an offer" step 1: "If connection.[[SignalingState]]
   * is neither "stable" nor "have-local-offer", return a promise rejected
   * with a newly created InvalidStateError." */
  if (pc->signaling_state != RTC_SIGNALING_STABLE &&
      pc->signaling_state != RTC_SIGNALING_HAVE_LOCAL_OFFER)
    return rtc_error_set(info, RTC_ERR_INVALID_STATE,
                         "createOffer is not allowed in state %s",
                         rtc_signaling_state_name(pc->signaling_state));
  /* JSEP §5.2.1/§5.2.2: credentials stay unless ICE restarts. */
  bool restart = (options && options->ice_restart) || pc->ice_restart_pending ||
                 pc->needs_ice_restart;
  if (!pc->ice_ufrag[0] || restart) {
    new_credentials(pc->next_ufrag, pc->next_pwd);
  } else {
    memcpy(pc->next_ufrag, pc->ice_ufrag, sizeof(pc->next_ufrag));
    memcpy(pc->next_pwd, pc->ice_pwd, sizeof(pc->next_pwd));
  }
  rtc_sdp_session* sdp = NULL;
  rtc_error err = new_session(pc, &sdp);
  if (err != RTC_OK)
    return rtc_error_set(info, err, NULL);
  /* JSEP §5.2.1: this offer gives each unassociated transceiver (and a
   * new data section) a new mid. One an earlier, never applied offer
   * proposed may since have been taken by a remote offer: forget them, so
   * that "placed" below only means "placed in this offer". */
  for (size_t i = 0; i < pc->transceiver_count; i++) {
    if (!pc->transceivers[i]->mid[0])
      pc->transceivers[i]->offer_mid[0] = '\0';
  }
  if (!pc->data_mid[0])
    pc->data_offer_mid[0] = '\0';
  /* RFC 9429 §5.2.2: existing sections keep their place; rejected ones
   * may be recycled by new transceivers. */
  const rtc_sdp_session* prev = pc->current_local;
  if (!prev && pc->current_remote)
    prev = pc->current_remote;
  const rtc_sdp_group* bundled = live_bundle(pc);
  bool data_written = false;
  size_t next_new = 0; /* next transceiver to consider for recycling */
  for (size_t i = 0; prev && i < prev->num_media && err == RTC_OK; i++) {
    const rtc_sdp_media* pm = prev->media[i];
    const char* mid = pm->mid ? pm->mid : "";
    if (is_data(pm) && strcmp(mid, pc->data_mid) == 0) {
      err = write_data_section(pc, sdp, mid, RTC_SDP_SETUP_ACTPASS,
                               !wants_data_section(pc), false, NULL);
      data_written = true;
      continue;
    }
    rtc_rtp_transceiver* t = transceiver_for_mid(pc, mid);
    if (t && !t->stopping && !t->stopped) {
      err = write_rtp_section(pc, sdp, t, mid, t->direction,
                              RTC_SDP_SETUP_ACTPASS, NULL, false);
      continue;
    }
    /* A rejected section: recycle it for a new transceiver if one waits. */
    rtc_rtp_transceiver* fresh = NULL;
    if (is_rejected(pm) || (t && t->stopped)) {
      for (; next_new < pc->transceiver_count && !fresh; next_new++) {
        rtc_rtp_transceiver* c = pc->transceivers[next_new];
        if ((!c->mid[0] || added_by_pending_offer(pc, prev, c)) &&
            !c->stopping && !c->stopped)
          fresh = c;
      }
    }
    if (fresh) {
      if (!fresh->mid[0])
        new_mid(pc, fresh->offer_mid);
      const char* fresh_mid = fresh->mid[0] ? fresh->mid : fresh->offer_mid;
      bool only =
          offer_bundle_only(pc, sdp, rtc_media_kind_name(fresh->kind), bundled);
      err = write_rtp_section(pc, sdp, fresh, fresh_mid, fresh->direction,
                              RTC_SDP_SETUP_ACTPASS, NULL, only);
      continue;
    }
    if (is_data(pm)) {
      err = write_data_section(pc, sdp, mid, RTC_SDP_SETUP_ACTPASS, true, false,
                               NULL);
    } else {
      rtc_media_kind kind =
          strcmp(pm->type, "video") == 0 ? RTC_MEDIA_VIDEO : RTC_MEDIA_AUDIO;
      err = write_rejected_rtp(pc, sdp, kind, mid, pm);
    }
  }
  /* New transceivers, then the data section. */
  for (size_t i = 0; i < pc->transceiver_count && err == RTC_OK; i++) {
    rtc_rtp_transceiver* t = pc->transceivers[i];
    if ((t->mid[0] && !added_by_pending_offer(pc, prev, t)) || t->stopping ||
        t->stopped)
      continue;
    const char* mid = t->mid[0] ? t->mid : t->offer_mid;
    bool placed = false;
    for (size_t m = 0; m < sdp->num_media && !placed; m++)
      placed =
          mid[0] && sdp->media[m]->mid && strcmp(sdp->media[m]->mid, mid) == 0;
    if (placed)
      continue;
    if (!t->mid[0]) {
      new_mid(pc, t->offer_mid);
      mid = t->offer_mid;
    }
    bool only =
        offer_bundle_only(pc, sdp, rtc_media_kind_name(t->kind), bundled);
    err = write_rtp_section(pc, sdp, t, mid, t->direction,
                            RTC_SDP_SETUP_ACTPASS, NULL, only);
  }
  if (err == RTC_OK && !data_written && wants_data_section(pc)) {
    if (!pc->data_mid[0] && !pc->data_offer_mid[0])
      new_mid(pc, pc->data_offer_mid);
    err = write_data_section(
        pc, sdp, pc->data_mid[0] ? pc->data_mid : pc->data_offer_mid,
        RTC_SDP_SETUP_ACTPASS, false,
        offer_bundle_only(pc, sdp, "application", bundled), NULL);
  }
  if (err == RTC_OK)
    err = write_offer_bundle(pc, sdp);
  char* text = NULL;
  if (err == RTC_OK)
    err = rtc_sdp_serialize(sdp, &text, NULL, info);
  rtc_sdp_session_destroy(sdp);
  if (err != RTC_OK)
    return rtc_error_set(info, err, NULL);
  rtc_free(pc->last_offer);
  pc->last_offer = rtc_strdup(text);
  *out = text;
  return RTC_OK;
}

/* JSEP §5.3.1: the setup of an answer: active unless the offer is. */
static rtc_sdp_setup answer_setup(const rtc_peer_connection* pc,
                                  rtc_sdp_setup offered) {
  if (pc->dtls_role == RTC_DTLS_ROLE_CLIENT)
    return RTC_SDP_SETUP_ACTIVE; /* keep the role (RFC 8842 §5.5) */
  if (pc->dtls_role == RTC_DTLS_ROLE_SERVER)
    return RTC_SDP_SETUP_PASSIVE;
  return offered == RTC_SDP_SETUP_ACTIVE ? RTC_SDP_SETUP_PASSIVE
                                         : RTC_SDP_SETUP_ACTIVE;
}

/* RFC 9429 §5.3.1: an offered section "MUST be marked as rejected" if
 * "The bundle policy is "must-bundle", and this is not the first "m="
 * section or in the same bundle group as the first "m=" section" or "The
 * bundle policy is "balanced", and this is not the first "m=" section for
 * this media type or in the same bundle group as the first "m=" section for
 * this media type" (webrtc-pc RTCBundlePolicy: "If the remote endpoint is
 * not bundle-aware, negotiate only one audio and video track on separate
 * transports" / "only one media track"). WebRTC's "max-bundle" is RFC 9429's
 * "must-bundle". Sections the offer rejects do not count as first. */
static bool policy_allows(const rtc_peer_connection* pc,
                          const rtc_sdp_session* offer,
                          const rtc_sdp_group* g,
                          const rtc_sdp_media* om) {
  rtc_bundle_policy policy = pc->config.bundle_policy;
  if (policy == RTC_BUNDLE_POLICY_MAX_COMPAT)
    return true;
  const rtc_sdp_media* first = NULL;
  for (size_t i = 0; i < offer->num_media && !first; i++) {
    const rtc_sdp_media* m = offer->media[i];
    if (!is_rejected(m) && (policy == RTC_BUNDLE_POLICY_MAX_BUNDLE ||
                            strcmp(m->type, om->type) == 0))
      first = m;
  }
  if (!first || first == om)
    return true;
  return first->mid && om->mid && group_has(g, first->mid) &&
         group_has(g, om->mid);
}

/* One section of the answer to `om`; `allowed` false rejects it. */
static rtc_error write_answer_section(rtc_peer_connection* pc,
                                      rtc_sdp_session* sdp,
                                      const rtc_sdp_session* offer,
                                      const rtc_sdp_media* om,
                                      bool allowed) {
  const char* mid = om->mid ? om->mid : "";
  /* A bundled section may leave a=setup to its tag (RFC 8843 §7.1.3). */
  rtc_sdp_setup offered_setup = media_setup(offer, om);
  if (offered_setup == RTC_SDP_SETUP_NONE)
    offered_setup = media_setup(offer, transport_section(offer, om));
  rtc_sdp_setup setup = answer_setup(pc, offered_setup);
  rtc_error err = RTC_OK;
  if (is_data(om)) {
    bool accept = allowed && !is_rejected(om) && strcmp(mid, pc->data_mid) == 0;
    return write_data_section(pc, sdp, mid, setup, !accept, false, om);
  }
  rtc_rtp_transceiver* t = transceiver_for_mid(pc, mid);
  if (allowed && is_rtp(om) && !is_rejected(om) && t && !t->stopping &&
      !t->stopped) {
    /* JSEP §5.3.1: our direction within what the offer allows. */
    rtc_transceiver_direction offered =
        reverse(from_sdp_direction(media_direction(offer, om)));
    rtc_transceiver_direction d =
        make_direction(has_send(t->direction) && has_send(offered),
                       has_recv(t->direction) && has_recv(offered));
    err = write_rtp_section(pc, sdp, t, mid, d, setup, om, false);
    if (err == RTC_ERR_NOT_FOUND) {
      /* No codec in common: reject the section (JSEP §5.3.1). */
      sdp->num_media--;
      err = write_rejected_rtp(pc, sdp, t->kind, mid, om);
    }
    return err;
  }
  /* Unsupported, rejected or stopped: reject with the same type. */
  rtc_sdp_media* m = rtc_sdp_session_add_media(sdp, om->type, 0, om->proto);
  if (!m || rtc_sdp_set_string(sdp, &m->mid, om->mid) != RTC_OK)
    return RTC_ERR_NO_MEMORY;
  m->connection.nettype = "IN";
  m->connection.addrtype = "IP4";
  m->connection.address = "0.0.0.0";
  for (size_t f = 0; f < om->num_fmts && f < 1 && err == RTC_OK; f++)
    err = rtc_sdp_media_add_fmt(sdp, m, om->fmts[f]);
  return err;
}

/* Whether the answer accepts `om` (written to a scratch description: the
 * codecs decide too). */
static rtc_error answer_accepts(rtc_peer_connection* pc,
                                const rtc_sdp_session* offer,
                                const rtc_sdp_group* g,
                                const rtc_sdp_media* om,
                                bool* accepted) {
  *accepted = false;
  if (!policy_allows(pc, offer, g, om) || is_rejected(om) || is_bundle_only(om))
    return RTC_OK;
  rtc_sdp_session* scratch = NULL;
  rtc_error err = rtc_sdp_session_create(&scratch);
  if (err != RTC_OK)
    return err;
  err = write_answer_section(pc, scratch, offer, om, true);
  if (err == RTC_OK && scratch->num_media == 1)
    *accepted = !is_rejected(scratch->media[0]);
  rtc_sdp_session_destroy(scratch);
  return err;
}

/* RFC 9429 §5.3.1: the group "MUST include all mid identifiers from the
 * offered bundle groups that have not been rejected"; in the offer's order,
 * so that the offerer-tagged section is the answerer-tagged one (RFC 8843
 * §7.3.1). "regardless of the presence of "a=bundle-only" in the offer,
 * all "m=" sections in the answer MUST NOT have an "a=bundle-only" line". */
static rtc_error write_answer_bundle(rtc_sdp_session* sdp,
                                     const rtc_sdp_group* offered) {
  const char* mids[RTC_SDP_MAX_MEDIA];
  size_t n = 0;
  for (size_t i = 0; i < offered->num_mids && n < RTC_SDP_MAX_MEDIA; i++) {
    const rtc_sdp_media* m = rtc_sdp_session_find_media(sdp, offered->mids[i]);
    if (m && !is_rejected(m) && m->mid) {
      bool listed = false;
      for (size_t k = 0; k < n && !listed; k++)
        listed = strcmp(mids[k], m->mid) == 0;
      if (!listed)
        mids[n++] = m->mid;
    }
  }
  if (n == 0)
    return RTC_OK;
  return rtc_sdp_session_add_group(sdp, "BUNDLE", mids, n);
}

rtc_error pc_jsep_create_answer(rtc_peer_connection* pc,
                                char** out,
                                rtc_error_info* info) {
  *out = NULL;
  if (pc->signaling_state != RTC_SIGNALING_HAVE_REMOTE_OFFER &&
      pc->signaling_state != RTC_SIGNALING_HAVE_LOCAL_PRANSWER)
    return rtc_error_set(info, RTC_ERR_INVALID_STATE,
                         "createAnswer needs a remote offer");
  const rtc_sdp_session* offer = pc->pending_remote;
  if (!offer)
    return rtc_error_set(info, RTC_ERR_INVALID_STATE, "no remote offer");
  /* A remote ICE restart (new ufrag) restarts ours too (RFC 9429
   * §5.3.1). Only that: restartIce() asks for new credentials in the next
   * offer (webrtc-pc restartIce: "Subsequent calls to createOffer will
   * create descriptions that will restart ICE"), and an answer to an offer
   * that keeps its credentials keeps ours (WPT RTCPeerConnection-restartIce
   * "restartIce() works in have-remote-offer"). */
  bool restart = false;
  if (pc->current_remote) {
    const char* before = session_ufrag(pc->current_remote);
    const char* now = session_ufrag(offer);
    if (before && now && strcmp(before, now) != 0)
      restart = true;
  }
  if (!pc->ice_ufrag[0] || restart) {
    new_credentials(pc->next_ufrag, pc->next_pwd);
  } else {
    memcpy(pc->next_ufrag, pc->ice_ufrag, sizeof(pc->next_ufrag));
    memcpy(pc->next_pwd, pc->ice_pwd, sizeof(pc->next_pwd));
  }
  rtc_sdp_session* sdp = NULL;
  rtc_error err = new_session(pc, &sdp);
  if (err != RTC_OK)
    return rtc_error_set(info, err, NULL);
  const rtc_sdp_group* g = bundle_group(offer);
  bool tag_accepted = false;
  if (g && g->num_mids > 0) {
    const rtc_sdp_media* tm = rtc_sdp_session_find_media(offer, g->mids[0]);
    if (tm)
      err = answer_accepts(pc, offer, g, tm, &tag_accepted);
  }
  for (size_t i = 0; i < offer->num_media && err == RTC_OK; i++) {
    const rtc_sdp_media* om = offer->media[i];
    bool allowed = policy_allows(pc, offer, g, om);
    /* RFC 8843 §6: a bundle-only section has no transport parameters of
     * its own: accepted only into the BUNDLE group, whose offerer-tagged
     * section must then be accepted too (RFC 9429 §5.3.1: "This "m="
     * section is in a bundle group, and the group's offerer tagged "m="
     * section is being rejected ... This requires all "m=" sections in the
     * bundle group to be rejected"). */
    if (is_bundle_only(om) &&
        !(om->mid && group_has(g, om->mid) && tag_accepted))
      allowed = false;
    err = write_answer_section(pc, sdp, offer, om, allowed);
  }
  if (err == RTC_OK && g)
    err = write_answer_bundle(sdp, g);
  char* text = NULL;
  if (err == RTC_OK)
    err = rtc_sdp_serialize(sdp, &text, NULL, info);
  rtc_sdp_session_destroy(sdp);
  if (err != RTC_OK)
    return rtc_error_set(info, err, NULL);
  rtc_free(pc->last_answer);
  pc->last_answer = rtc_strdup(text);
  *out = text;
  return RTC_OK;
}

/* --- Checking remote descriptions (RFC 9429 §5.8, webrtc-pc §4.4.1.5) --- */

static bool ice_chars(const char* s, size_t min, size_t max) {
  if (!s)
    return false;
  size_t len = strlen(s);
  if (len < min || len > max)
    return false;
  for (size_t i = 0; i < len; i++) {
    if (!memchr(kIceChars, s[i], sizeof(kIceChars) - 1))
      return false;
  }
  return true;
}

static bool fingerprint_listed(const rtc_fingerprint* fp,
                               const rtc_fingerprint* set,
                               size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (rtc_fingerprint_equal(fp, &set[i]))
      return true;
  }
  return false;
}

static bool same_fingerprints(const rtc_fingerprint* a,
                              size_t a_count,
                              const rtc_fingerprint* b,
                              size_t b_count) {
  for (size_t i = 0; i < a_count; i++) {
    if (!fingerprint_listed(&a[i], b, b_count))
      return false;
  }
  for (size_t i = 0; i < b_count; i++) {
    if (!fingerprint_listed(&b[i], a, a_count))
      return false;
  }
  return true;
}

/* RFC 9429 §5.11: "If the remote DTLS fingerprint has been changed ...,
 * tear down the DTLS connection. ... If a DTLS connection needs to be torn
 * down but the answer does not indicate an ICE restart or, in the case of
 * "have-remote-pranswer", new ICE credentials, an error MUST be
 * generated." WPT fingerprint-change-requires-ice-restart.html applies
 * this to re-offers too (InvalidAccessError): a section that keeps its
 * remote ufrag must keep its fingerprints (SEC-21). Without this check a
 * changed fingerprint was accepted and silently ignored: the association
 * authenticated by the old one carried on under a description naming
 * another certificate. */
static const char* media_tls_id(const rtc_sdp_session* s,
                                const rtc_sdp_media* m) {
  return m->tls_id ? m->tls_id : s->tls_id;
}

/* Whether a continued association's remote a=setup would give us another
 * DTLS role than the one it runs with (pc->dtls_role is ours). */
static bool flips_dtls_role(const rtc_peer_connection* pc,
                            rtc_sdp_setup remote_setup) {
  if (pc->dtls_role < 0)
    return false;
  bool we_are_client = pc->dtls_role == RTC_DTLS_ROLE_CLIENT;
  /* The active side is the DTLS client (RFC 4145 §4, RFC 5763 §5). An
   * answer's a=setup decides the roles; an offer's active or passive asks
   * for one (actpass leaves it to us, and we keep ours). */
  if (remote_setup == RTC_SDP_SETUP_ACTIVE)
    return we_are_client;
  if (remote_setup == RTC_SDP_SETUP_PASSIVE)
    return !we_are_client;
  return false;
}

static rtc_error check_fingerprint_change(const rtc_peer_connection* pc,
                                          const rtc_sdp_session* s,
                                          rtc_sdp_type type,
                                          rtc_error_info* info) {
  /* The remote description in effect: a pranswer while one is pending,
   * else the current one. */
  const rtc_sdp_session* prev = type != RTC_SDP_OFFER && pc->pending_remote
                                    ? pc->pending_remote
                                    : pc->current_remote;
  for (size_t i = 0; prev && i < s->num_media; i++) {
    const rtc_sdp_media* m = s->media[i];
    if (is_rejected(m) || !m->mid)
      continue;
    const rtc_sdp_media* pm = rtc_sdp_session_find_media(prev, m->mid);
    if (!pm || is_rejected(pm))
      continue;
    const char* ufrag = media_ufrag(s, m);
    const char* prev_ufrag = media_ufrag(prev, pm);
    if (!ufrag || !prev_ufrag || strcmp(ufrag, prev_ufrag) != 0)
      continue; /* an ICE restart: a new fingerprint is allowed */
    size_t n = 0, prev_n = 0;
    const rtc_fingerprint* fps = media_fingerprints(s, m, &n);
    const rtc_fingerprint* prev_fps = media_fingerprints(prev, pm, &prev_n);
    if (!same_fingerprints(fps, n, prev_fps, prev_n))
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "the DTLS fingerprint of a=mid:%s changed without "
                           "an ICE restart",
                           m->mid);
    /* SEC-23. RFC 9429 §5.11: "If an ICE restart is performed without a
     * change in the tls-id value or fingerprint, then the same DTLS
     * connection is continued"; a new tls-id asks for a new DTLS
     * association (RFC 8842 §5), which, like a new fingerprint, is only
     * allowed together with an ICE restart (JSEP §5.8.3 semantics
     * verification). */
    const char* tls_id = media_tls_id(s, m);
    const char* prev_tls_id = media_tls_id(prev, pm);
    if (tls_id && prev_tls_id && strcmp(tls_id, prev_tls_id) != 0)
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "the a=tls-id of a=mid:%s changed without an ICE "
                           "restart",
                           m->mid);
    /* SEC-22. RFC 8842 §5: the DTLS roles of an association are fixed
     * when it is established; another role needs a new association (a new
     * tls-id, here with an ICE restart). A continued association whose
     * remote a=setup would flip the roles is refused, instead of running
     * on with both ends in the same role. */
    rtc_sdp_setup setup = media_setup(s, m);
    if (setup == RTC_SDP_SETUP_NONE)
      setup = media_setup(s, transport_section(s, m));
    if (flips_dtls_role(pc, setup))
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "a=setup of a=mid:%s changes the DTLS role of the "
                           "running association",
                           m->mid);
  }
  return RTC_OK;
}

static rtc_error check_remote(const rtc_peer_connection* pc,
                              const rtc_sdp_session* s,
                              rtc_sdp_type type,
                              rtc_error_info* info) {
  for (size_t i = 0; i < s->num_media; i++) {
    const rtc_sdp_media* m = s->media[i];
    for (size_t j = 0; j < i; j++) {
      if (m->mid && s->media[j]->mid && strcmp(m->mid, s->media[j]->mid) == 0)
        return rtc_error_set(info, RTC_ERR_INVALID_ACCESS, "duplicate a=mid:%s",
                             m->mid);
    }
    if (is_rejected(m))
      continue;
    if (!m->mid)
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "m= section %zu has no a=mid", i);
    /* RFC 8843 §6: a bundle-only section is only usable in a BUNDLE group:
     * an offer's outside one is rejected by the answer; an answer never
     * has one there (RFC 9429 §5.3.1). */
    const rtc_sdp_media* tm = transport_section(s, m);
    if (is_bundle_only(m) && tm == m) {
      if (type == RTC_SDP_OFFER)
        continue;
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "bundle-only section %s is in no BUNDLE group",
                           m->mid);
    }
    /* ICE-01, RFC 8839 §5.4: ufrag 4..256, pwd 22..256 ice-chars. */
    const char* ufrag = media_ufrag(s, tm);
    const char* pwd = media_pwd(s, tm);
    if (!ufrag || !pwd)
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "m= section %zu has no ICE credentials", i);
    if (!ice_chars(ufrag, 4, 256) || !ice_chars(pwd, 22, 256))
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "invalid ice-ufrag or ice-pwd in section %zu", i);
    /* RFC 8827 §6.5: DTLS-SRTP only; SDES (a=crypto without a
     * fingerprint) is refused (SEC-04). */
    size_t fp_count = 0;
    media_fingerprints(s, m, &fp_count);
    if (fp_count == 0)
      media_fingerprints(s, tm, &fp_count);
    if (fp_count == 0) {
      if (m->num_cryptos > 0)
        return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                             "SDES (a=crypto) is not supported: DTLS-SRTP "
                             "with a fingerprint is required");
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "m= section %zu has no a=fingerprint", i);
    }
    rtc_sdp_setup setup = media_setup(s, m);
    if (setup == RTC_SDP_SETUP_NONE)
      setup = media_setup(s, tm);
    if (type != RTC_SDP_OFFER &&
        (setup == RTC_SDP_SETUP_ACTPASS || setup == RTC_SDP_SETUP_HOLDCONN))
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "an answer must use a=setup:active or passive");
    if (type == RTC_SDP_OFFER && setup == RTC_SDP_SETUP_HOLDCONN)
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "a=setup:holdconn is not supported");
    /* rtcpMuxPolicy "require" (webrtc-pc §4.2.4, JSEP §5.8). */
    if (is_rtp(m) && !m->rtcp_mux && !tm->rtcp_mux)
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "m= section %zu lacks a=rtcp-mux", i);
    if (is_rtp(m)) {
      rtc_error err = pc_transceiver_check_remote_rtp(pc, m, info);
      if (err != RTC_OK)
        return err;
    }
  }
  const rtc_sdp_group* g = bundle_group(s);
  for (size_t i = 0; g && i < g->num_mids; i++) {
    if (!rtc_sdp_session_find_media(s, g->mids[i]))
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "BUNDLE names an unknown mid %s", g->mids[i]);
  }
  if (g && g->num_mids > 0) {
    /* RFC 8843 §7.2.1: the offerer-tagged section (the first mid) carries
     * the transport parameters the group shares, so it is never
     * bundle-only; §7.3.1: an answer's group lists accepted sections. */
    const rtc_sdp_media* tag = rtc_sdp_session_find_media(s, g->mids[0]);
    bool bad = type == RTC_SDP_OFFER ? is_bundle_only(tag) : is_rejected(tag);
    if (bad)
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "the BUNDLE tag %s is %s", g->mids[0],
                           type == RTC_SDP_OFFER ? "bundle-only" : "rejected");
  }
  rtc_error err = check_fingerprint_change(pc, s, type, info);
  if (err != RTC_OK)
    return err;
  if (type != RTC_SDP_OFFER) {
    /* JSEP §5.8: an answer mirrors the offer's sections. */
    const rtc_sdp_session* offer = pc->pending_local;
    if (!offer)
      return rtc_error_set(info, RTC_ERR_INVALID_STATE, "no local offer");
    if (offer->num_media != s->num_media)
      return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                           "the answer has %zu m= sections, the offer %zu",
                           s->num_media, offer->num_media);
    for (size_t i = 0; i < s->num_media; i++) {
      const rtc_sdp_media* a = s->media[i];
      const rtc_sdp_media* o = offer->media[i];
      if (strcmp(a->type, o->type) != 0 ||
          (!is_rejected(a) && (!a->mid || !o->mid || strcmp(a->mid, o->mid))))
        return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                             "answer section %zu does not match the offer", i);
      /* RFC 8843 §7.3.1: a section offered bundle-only is accepted only
       * into the BUNDLE group (it has no transport of its own). */
      if (is_bundle_only(o) && !is_rejected(a) && !group_has(g, a->mid))
        return rtc_error_set(info, RTC_ERR_INVALID_ACCESS,
                             "answer accepts bundle-only section %s outside "
                             "the BUNDLE group",
                             a->mid);
    }
  }
  return RTC_OK;
}

/* --- Applying --- */

typedef struct remote_params {
  const char* name;
  const char* ufrag;
  const char* pwd;
  rtc_fingerprint fingerprints[8];
  size_t fingerprint_count;
  rtc_dtls_role role;
  rtc_ice_role ice_role;
} remote_params;

static void net_set_remote(pc_network* net, void* arg) {
  remote_params* p = arg;
  rtc_error err =
      pc_network_set_remote(net, p->name, p->ufrag, p->pwd, p->fingerprints,
                            p->fingerprint_count, p->role, p->ice_role);
  if (err != RTC_OK)
    RTC_LOG(WARNING, "remote transport parameters of %s: %s", p->name,
            rtc_error_name(err));
}

typedef struct transport_args {
  char name[PC_TRANSPORT_NAME_SIZE];
  char ufrag[RTC_ICE_UFRAG_SIZE];
  char pwd[RTC_ICE_PWD_SIZE];
  rtc_ice_role role;
  bool restart;
} transport_args;

static void net_ensure(pc_network* net, void* arg) {
  transport_args* a = arg;
  rtc_error err =
      a->restart ? pc_network_restart_transport(net, a->name, a->ufrag, a->pwd)
                 : pc_network_ensure_transport(net, a->name, a->ufrag, a->pwd,
                                               a->role);
  if (err != RTC_OK)
    RTC_LOG(WARNING, "transport %s: %s", a->name, rtc_error_name(err));
}

typedef struct candidate_args {
  char name[PC_TRANSPORT_NAME_SIZE];
  bool end;
  rtc_candidate candidate;
} candidate_args;

static void net_candidate(pc_network* net, void* arg) {
  candidate_args* a = arg;
  if (a->end)
    pc_network_end_of_candidates(net, a->name);
  else
    pc_network_add_remote_candidate(net, a->name, &a->candidate);
}

typedef struct sctp_args {
  char name[PC_TRANSPORT_NAME_SIZE];
  uint16_t remote_port;
  uint64_t remote_max_message_size;
} sctp_args;

static void net_set_sctp(pc_network* net, void* arg) {
  sctp_args* a = arg;
  rtc_error err =
      pc_network_set_sctp(net, a->name, RTC_SCTP_DEFAULT_PORT, a->remote_port,
                          a->remote_max_message_size);
  if (err != RTC_OK)
    RTC_LOG(WARNING, "SCTP transport: %s", rtc_error_name(err));
}

typedef struct retain_args {
  char names[PC_MAX_TRANSPORTS][PC_TRANSPORT_NAME_SIZE];
  size_t count;
} retain_args;

static void net_retain(pc_network* net, void* arg) {
  retain_args* a = arg;
  const char* keep[PC_MAX_TRANSPORTS];
  for (size_t i = 0; i < a->count; i++)
    keep[i] = a->names[i];
  pc_network_retain(net, keep, a->count);
}

static void* copy_args(const void* args, size_t size) {
  return rtc_memdup(args, size);
}

static rtc_ice_role ice_role(const rtc_peer_connection* pc) {
  const rtc_sdp_session* remote = pc_remote_description(pc);
  /* RFC 8445 §6.1.1: the offerer controls, unless the peer is lite
   * (then we must control). */
  if (remote && remote->ice_lite)
    return RTC_ICE_ROLE_CONTROLLING;
  return pc->is_offerer ? RTC_ICE_ROLE_CONTROLLING : RTC_ICE_ROLE_CONTROLLED;
}

/* Posts the remote candidates of `m` not posted yet, and its end. */
static void post_remote_candidates(rtc_peer_connection* pc,
                                   pc_transport_state* t,
                                   const rtc_sdp_media* m) {
  for (size_t c = 0; c < m->num_candidates; c++) {
    candidate_args a = {.end = false, .candidate = m->candidates[c]};
    snprintf(a.name, sizeof(a.name), "%s", t->name);
    pc_post_to_network(pc, net_candidate, copy_args(&a, sizeof(a)), rtc_free);
  }
  if (m->end_of_candidates) {
    candidate_args a = {.end = true};
    snprintf(a.name, sizeof(a.name), "%s", t->name);
    pc_post_to_network(pc, net_candidate, copy_args(&a, sizeof(a)), rtc_free);
  }
}

/* Keeps the transports named in `keep`, closes the others (network side
 * and signaling side). When some went, the peer connection's aggregate
 * states are updated at once: webrtc-pc RTCIceGatheringState "new": "...
 * or there are no transports" (a renegotiation or a rollback that closes
 * every transport shows "new" when its promise resolves). */
static void retain_transports(rtc_peer_connection* pc,
                              const retain_args* keep) {
  pc_post_to_network(pc, net_retain, copy_args(keep, sizeof(*keep)), rtc_free);
  /* Forget the signaling-side state of transports that went. */
  size_t kept = 0;
  for (size_t i = 0; i < pc->transport_count; i++) {
    bool wanted = false;
    for (size_t k = 0; k < keep->count && !wanted; k++)
      wanted = strcmp(keep->names[k], pc->transports[i].name) == 0;
    if (wanted) {
      pc->transports[kept++] = pc->transports[i];
    } else if (pc->transports[i].object) {
      /* Those who hold it see a transport that stopped, once this
       * description is set (not "immediately", WPT RTCIceTransport). */
      pc_close_transport_later(pc, pc->transports[i].object);
    }
  }
  bool removed = kept < pc->transport_count;
  pc->transport_count = kept;
  if (removed)
    pc_recompute_states(pc);
}

/* Creates the transports the local description needs, restarts them when
 * the credentials changed, and hands them the peer's side once both
 * descriptions are there. */
/* The transport section `lm` of the local description uses, added to
 * `keep` once; NULL for a rejected section, one without a mid, or one the
 * peer rejected: such a section needs no transport (RFC 9429 §5.10: "If
 * the "m=" section is rejected ... discard any ... transport"), e.g. one
 * offered with transport parameters of its own that an answer without
 * BUNDLE refused. */
static const char* keep_section_transport(rtc_peer_connection* pc,
                                          const rtc_sdp_media* lm,
                                          const rtc_sdp_session* remote,
                                          retain_args* keep) {
  if (is_rejected(lm) || !lm->mid)
    return NULL;
  const rtc_sdp_media* peer =
      remote ? rtc_sdp_session_find_media(remote, lm->mid) : NULL;
  if (peer && is_rejected(peer))
    return NULL;
  const char* name = pc_jsep_transport_for_mid(pc, lm->mid);
  bool listed = false;
  for (size_t k = 0; k < keep->count && !listed; k++)
    listed = strcmp(keep->names[k], name) == 0;
  if (!listed && keep->count < PC_MAX_TRANSPORTS)
    snprintf(keep->names[keep->count++], PC_TRANSPORT_NAME_SIZE, "%s", name);
  return name;
}

static void update_transports(rtc_peer_connection* pc) {
  const rtc_sdp_session* local = pc_local_description(pc);
  const rtc_sdp_session* remote = pc_remote_description(pc);
  if (!local)
    return;
  retain_args keep = {.count = 0};
  for (size_t i = 0; i < local->num_media; i++) {
    const rtc_sdp_media* lm = local->media[i];
    const char* name = keep_section_transport(pc, lm, remote, &keep);
    if (!name)
      continue;
    if (strcmp(name, lm->mid) != 0)
      continue; /* bundled: the tagged section sets the transport up */
    pc_transport_state* t = pc_transport(pc, name);
    if (!t)
      continue;
    /* The tag's credentials; rtcbox uses one pair in every section, so a
     * tag the answer moved to a section we offered bundle-only takes the
     * description's. */
    const char* ufrag = media_ufrag(local, lm);
    const char* pwd = media_pwd(local, lm);
    if (!ufrag || !pwd) {
      ufrag = session_ufrag(local);
      pwd = session_pwd(local);
    }
    if (!ufrag || !pwd)
      continue;
    if (!t->created || strcmp(t->local_ufrag, ufrag) != 0) {
      transport_args a = {.role = ice_role(pc), .restart = t->created};
      snprintf(a.name, sizeof(a.name), "%s", name);
      snprintf(a.ufrag, sizeof(a.ufrag), "%s", ufrag);
      snprintf(a.pwd, sizeof(a.pwd), "%s", pwd);
      pc_post_to_network(pc, net_ensure, copy_args(&a, sizeof(a)), rtc_free);
      if (t->created)
        t->remote_ufrag[0] = '\0'; /* a restart needs the new remote side */
      /* A restarted transport keeps its gathering state until its new
       * generation starts gathering (complete -> gathering, webrtc-pc
       * RTCIceGathererState); a new one starts at "new" (pc_transport). */
      t->created = true;
      t->gather_pending = true;
      t->end_of_candidates_sent = false;
      snprintf(t->local_ufrag, sizeof(t->local_ufrag), "%s", ufrag);
      if (t->object)
        pc_ice_transport_set_parameters(t->object->ice, ice_role(pc), ufrag,
                                        pwd, NULL, NULL);
    }
    const rtc_sdp_media* rm =
        remote ? rtc_sdp_session_find_media(remote, lm->mid) : NULL;
    if (!rm || is_rejected(rm) || pc->dtls_role < 0)
      continue;
    /* RFC 8839 §4.4.1.1.1: an offer of ours that restarts ICE starts a new
     * generation; the remote description in effect is from before it and
     * its credentials (and candidates) belong to the previous generation:
     * the answer brings the new ones. Handing the old ones to the new
     * generation made the answer's credentials bounce off it (the ICE
     * agent keeps the first it is given), so the restarted transport
     * paired with stale credentials and the answerer never reconnected. */
    if (remote == pc->current_remote && local == pc->pending_local &&
        pc->pending_local_type == RTC_SDP_OFFER && pc->current_local) {
      const rtc_sdp_media* cm =
          rtc_sdp_session_find_media(pc->current_local, lm->mid);
      const char* before = cm ? media_ufrag(pc->current_local, cm) : NULL;
      if (before && strcmp(before, ufrag) != 0)
        continue;
    }
    const rtc_sdp_media* rtm = transport_section(remote, rm);
    const char* rufrag = media_ufrag(remote, rtm);
    const char* rpwd = media_pwd(remote, rtm);
    if (!rufrag || !rpwd)
      continue;
    /* The other side of the case above: a remote offer that restarts ICE
     * (a new ufrag) is for the generation our answer starts (RFC 8839
     * §4.4.1.1.1: the answerer restarts too); the running one keeps the
     * credentials it has until then. Candidates trickled for the new one
     * meanwhile wait in the ICE agent. */
    if (remote == pc->pending_remote &&
        pc->pending_remote_type == RTC_SDP_OFFER &&
        local == pc->current_local && t->remote_ufrag[0] &&
        strcmp(t->remote_ufrag, rufrag) != 0)
      continue;
    if (strcmp(t->remote_ufrag, rufrag) != 0) {
      remote_params p = {.role = (rtc_dtls_role)pc->dtls_role,
                         .ice_role = ice_role(pc)};
      p.name = t->name;
      p.ufrag = rufrag;
      p.pwd = rpwd;
      size_t n = 0;
      const rtc_fingerprint* fps = media_fingerprints(remote, rm, &n);
      if (n == 0)
        fps = media_fingerprints(remote, rtm, &n);
      if (n > 8)
        n = 8;
      memcpy(p.fingerprints, fps, n * sizeof(*fps));
      p.fingerprint_count = n;
      /* The strings live in the remote description, which outlives the
       * task only if copied: copy them into the args block. */
      remote_params* copy =
          rtc_malloc(sizeof(*copy) + 2 * RTC_ICE_UFRAG_SIZE + RTC_ICE_PWD_SIZE +
                     PC_TRANSPORT_NAME_SIZE);
      if (!copy)
        continue;
      *copy = p;
      char* strings = (char*)(copy + 1);
      snprintf(strings, PC_TRANSPORT_NAME_SIZE, "%s", t->name);
      copy->name = strings;
      strings += PC_TRANSPORT_NAME_SIZE;
      snprintf(strings, RTC_ICE_UFRAG_SIZE, "%s", rufrag);
      copy->ufrag = strings;
      strings += RTC_ICE_UFRAG_SIZE;
      snprintf(strings, RTC_ICE_PWD_SIZE, "%s", rpwd);
      copy->pwd = strings;
      pc_post_to_network(pc, net_set_remote, copy, rtc_free);
      snprintf(t->remote_ufrag, sizeof(t->remote_ufrag), "%s", rufrag);
      if (t->object)
        pc_ice_transport_set_parameters(t->object->ice, ice_role(pc), NULL,
                                        NULL, rufrag, rpwd);
      post_remote_candidates(pc, t, rtm);
    }
  }
  retain_transports(pc, &keep);
}

/* The DTLS role once an answer is known (RFC 8842 §5.1, JSEP §5.10). */
static void learn_dtls_role(rtc_peer_connection* pc,
                            const rtc_sdp_session* answer,
                            bool local_answer) {
  for (size_t i = 0; i < answer->num_media; i++) {
    const rtc_sdp_media* m = answer->media[i];
    if (is_rejected(m))
      continue;
    /* A bundled section may leave a=setup to its tag (RFC 8843 §7.1.3). */
    rtc_sdp_setup setup = media_setup(answer, transport_section(answer, m));
    bool answer_active = setup == RTC_SDP_SETUP_ACTIVE;
    /* The active side is the DTLS client. */
    bool we_are_client = local_answer ? answer_active : !answer_active;
    pc->dtls_role = we_are_client ? RTC_DTLS_ROLE_CLIENT : RTC_DTLS_ROLE_SERVER;
    return;
  }
}

static void drop_sctp_object(rtc_peer_connection* pc) {
  if (pc->sctp_object) {
    pc_sctp_transport_close_silently(pc->sctp_object);
    rtc_pc_sctp_transport_unref(pc->sctp_object);
    pc->sctp_object = NULL;
  }
  pc->sctp_from_pending = false;
}

/* [[SctpTransport]] for the data section `mid` over its transport now,
 * `remote_max` the peer's a=max-message-size as far as known (RFC 8841
 * §6.1: absent is 64 KiB). An object over another transport (an offer's
 * own transport that the answer bundled) is replaced. Returns whether a
 * new one was made. */
static bool ensure_sctp_object(rtc_peer_connection* pc,
                               const char* mid,
                               uint64_t remote_max) {
  pc_transport_state* ts = pc_transport(pc, pc_jsep_transport_for_mid(pc, mid));
  if (!ts || !ts->object)
    return false;
  if (pc->sctp_object && pc->sctp_object->dtls == ts->object)
    return false;
  drop_sctp_object(pc);
  pc->sctp_object = pc_sctp_transport_new(ts->object);
  if (!pc->sctp_object)
    return false;
  pc->sctp_object->max_message_size =
      pc_max_message_size(remote_max, pc->sctp_max_message_size);
  return true;
}

/* webrtc-pc §4.4.1.6 (w3c/webrtc-pc#3094, "Expose pc.sctp transport in
 * have-(local|remote)-offer"): an offer, local or remote, whose data
 * section is not rejected sets [[SctpTransport]] if it is null; a rollback
 * takes it back (rollback()), the answer keeps or drops it
 * (finish_negotiation). */
static void offer_sctp_object(rtc_peer_connection* pc,
                              const rtc_sdp_session* offer,
                              bool local) {
  if (pc->sctp_object || !pc->data_mid[0])
    return;
  const rtc_sdp_media* m = rtc_sdp_session_find_media(offer, pc->data_mid);
  if (!m || !is_data(m) || is_rejected(m))
    return;
  uint64_t remote_max = 65536;
  if (!local && m->has_max_message_size)
    remote_max = m->max_message_size;
  if (ensure_sctp_object(pc, m->mid, remote_max))
    pc->sctp_from_pending = true;
}

/* An answer became current: directions, stopped transceivers, the data
 * channels' transport (webrtc-pc §4.4.1.5, "set the description" steps for
 * answers). */
static void finish_negotiation(rtc_peer_connection* pc, bool local_answer) {
  const rtc_sdp_session* answer =
      local_answer ? pc->current_local : pc->current_remote;
  const rtc_sdp_session* remote = pc->current_remote;
  for (size_t i = 0; i < answer->num_media; i++) {
    const rtc_sdp_media* m = answer->media[i];
    if (!m->mid)
      continue;
    if (is_data(m)) {
      if (strcmp(m->mid, pc->data_mid) != 0)
        continue;
      const rtc_sdp_media* rm = rtc_sdp_session_find_media(remote, m->mid);
      if (is_rejected(m) || !rm || is_rejected(rm)) {
        pc->data_negotiated = false;
        /* webrtc-pc: [[SctpTransport]] becomes null. */
        drop_sctp_object(pc);
        continue;
      }
      uint16_t port = RTC_SCTP_DEFAULT_PORT;
      if (rm->has_sctp_port)
        port = rm->sctp_port;
      else if (rm->has_sctpmap)
        port = rm->sctpmap.port;
      /* RFC 8841 §6.1: no a=max-message-size means 64 KiB. */
      uint64_t max = rm->has_max_message_size ? rm->max_message_size : 65536;
      pc->remote_sctp_port = port;
      pc->remote_max_message_size = max;
      /* webrtc-pc §4.4.1.6: the description negotiates an SCTP
       * association: [[SctpTransport]] is a new RTCSctpTransport unless the
       * offer made it; "update the data max message size" from the peer's
       * a=max-message-size of this negotiation. */
      pc->sctp_from_pending = false;
      if (!ensure_sctp_object(pc, m->mid, max) && pc->sctp_object)
        pc->sctp_object->max_message_size =
            pc_max_message_size(max, pc->sctp_max_message_size);
      if (!pc->data_negotiated) {
        pc->data_negotiated = true;
        /* RFC 8841 §6: 0 is "no limit": the SCTP transport reads 0 as
         * "absent" (64 KiB), so no limit goes down as UINT64_MAX. */
        sctp_args a = {.remote_port = port,
                       .remote_max_message_size = max ? max : UINT64_MAX};
        snprintf(a.name, sizeof(a.name), "%s",
                 pc_jsep_transport_for_mid(pc, m->mid));
        pc_post_to_network(pc, net_set_sctp, copy_args(&a, sizeof(a)),
                           rtc_free);
      }
      continue;
    }
    rtc_rtp_transceiver* t = transceiver_for_mid(pc, m->mid);
    if (!t)
      continue;
    if (is_rejected(m)) {
      t->stopping = t->stopped = true;
      t->direction = RTC_DIRECTION_STOPPED;
      t->has_current_direction = true;
      t->current_direction = RTC_DIRECTION_STOPPED;
      continue;
    }
    rtc_transceiver_direction d =
        from_sdp_direction(media_direction(answer, m));
    t->has_current_direction = true;
    t->current_direction = local_answer ? d : reverse(d);
  }
  pc_data_channels_assign_ids(pc);
  pc_data_channels_open_pending(pc);
}

static void replace(rtc_sdp_session** slot, rtc_sdp_session* value) {
  if (*slot != value)
    rtc_sdp_session_destroy(*slot);
  *slot = value;
}

/* A remote offer's media sections get transceivers (JSEP §5.10). */
static rtc_error associate_remote_offer(rtc_peer_connection* pc,
                                        const rtc_sdp_session* offer) {
  for (size_t i = 0; i < offer->num_media; i++) {
    const rtc_sdp_media* m = offer->media[i];
    if (!m->mid)
      continue;
    if (is_data(m)) {
      if (!pc->data_mid[0] && !is_rejected(m)) {
        snprintf(pc->data_mid, sizeof(pc->data_mid), "%s", m->mid);
        pc->data_mid_from_pending = true;
      }
      continue;
    }
    if (!is_rtp(m) || is_rejected(m) || transceiver_for_mid(pc, m->mid))
      continue;
    rtc_media_kind kind =
        strcmp(m->type, "video") == 0 ? RTC_MEDIA_VIDEO : RTC_MEDIA_AUDIO;
    /* JSEP §5.10: an unassociated transceiver of the same kind "that was
     * added to the PeerConnection by addTrack" (never one of
     * addTransceiver's), or a new recvonly one. */
    rtc_rtp_transceiver* t = NULL;
    for (size_t k = 0; k < pc->transceiver_count && !t; k++) {
      rtc_rtp_transceiver* c = pc->transceivers[k];
      if (!c->mid[0] && c->kind == kind && !c->stopping && !c->stopped &&
          c->created_by_add_track)
        t = c;
    }
    if (!t) {
      rtc_rtp_transceiver_init init;
      rtc_rtp_transceiver_init_defaults(&init);
      init.direction = RTC_DIRECTION_RECVONLY;
      t = pc_transceiver_new(pc, kind, &init);
      if (!t)
        return RTC_ERR_NO_MEMORY;
      rtc_error err = pc_transceiver_add(pc, t);
      if (err != RTC_OK) {
        rtc_rtp_transceiver_unref(t);
        return err;
      }
      t->created_by_pending_remote = true;
    }
    snprintf(t->mid, sizeof(t->mid), "%s", m->mid);
    t->mid_from_pending = true;
  }
  return RTC_OK;
}

static void associate_local_offer(rtc_peer_connection* pc,
                                  const rtc_sdp_session* offer) {
  for (size_t i = 0; i < offer->num_media; i++) {
    const rtc_sdp_media* m = offer->media[i];
    if (!m->mid)
      continue;
    if (is_data(m)) {
      if (!pc->data_mid[0] && strcmp(m->mid, pc->data_offer_mid) == 0) {
        snprintf(pc->data_mid, sizeof(pc->data_mid), "%s", m->mid);
        pc->data_mid_from_pending = true;
      }
      continue;
    }
    for (size_t k = 0; k < pc->transceiver_count; k++) {
      rtc_rtp_transceiver* t = pc->transceivers[k];
      if (!t->mid[0] && strcmp(t->offer_mid, m->mid) == 0) {
        snprintf(t->mid, sizeof(t->mid), "%s", m->mid);
        t->mid_from_pending = true;
      }
    }
  }
}

static void commit_pending_mids(rtc_peer_connection* pc) {
  for (size_t k = 0; k < pc->transceiver_count; k++) {
    pc->transceivers[k]->mid_from_pending = false;
    pc->transceivers[k]->created_by_pending_remote = false;
  }
  pc->data_mid_from_pending = false;
}

/* webrtc-pc: an answer empties [[LocalIceCredentialsToReplace]] "if none
 * of the ICE credentials in [it] are present in the newly set
 * [[CurrentLocalDescription]]". rtcbox keeps the set as
 * ice_restart_pending, meaning "the credentials of the current local
 * description": true when `next` (the new current one) has others. */
static bool ice_credentials_replaced(const rtc_sdp_session* current,
                                     const rtc_sdp_session* next) {
  const char* before = session_ufrag(current);
  const char* after = session_ufrag(next);
  return !before || !after || strcmp(before, after) != 0;
}

/* webrtc-pc §4.4.1.6, for an answer or a pranswer: "Set
 * transceiver.[[CurrentDirection]] to direction" (the direction the
 * description negotiates, seen from here). finish_negotiation does the
 * rest for a final answer. */
static void set_current_directions(rtc_peer_connection* pc,
                                   const rtc_sdp_session* answer,
                                   bool local_answer) {
  for (size_t i = 0; i < answer->num_media; i++) {
    const rtc_sdp_media* m = answer->media[i];
    rtc_rtp_transceiver* t = m->mid ? transceiver_for_mid(pc, m->mid) : NULL;
    if (!t || is_rejected(m) || !is_rtp(m))
      continue;
    rtc_transceiver_direction d =
        from_sdp_direction(media_direction(answer, m));
    t->has_current_direction = true;
    t->current_direction = local_answer ? d : reverse(d);
  }
}

/* webrtc-pc §4.4.1.6, answer: "If transceiver is stopped, associated with
 * an m= section and the associated m= section is rejected in
 * connection.[[CurrentLocalDescription]] or
 * connection.[[CurrentRemoteDescription]], remove the transceiver from the
 * connection's set of transceivers." Its mid stays reserved (mid_in_use
 * reads the descriptions) and its m= line can be recycled. */
static void remove_stopped_transceivers(rtc_peer_connection* pc) {
  size_t kept = 0;
  for (size_t k = 0; k < pc->transceiver_count; k++) {
    rtc_rtp_transceiver* t = pc->transceivers[k];
    const rtc_sdp_media* lm =
        t->mid[0] && pc->current_local
            ? rtc_sdp_session_find_media(pc->current_local, t->mid)
            : NULL;
    const rtc_sdp_media* rm =
        t->mid[0] && pc->current_remote
            ? rtc_sdp_session_find_media(pc->current_remote, t->mid)
            : NULL;
    if (t->stopped && ((lm && is_rejected(lm)) || (rm && is_rejected(rm)))) {
      t->pc = NULL;
      rtc_rtp_transceiver_unref(t);
      continue;
    }
    pc->transceivers[kept++] = t;
  }
  pc->transceiver_count = kept;
}

/* webrtc-pc §4.4.1.5 rollback ("discard any proposed changes"): the
 * transports that only the rolled-back description used go; the others
 * stay as they are (a rolled-back ICE restart changes no state: the
 * transport keeps what it gathered). */
static void rollback_transports(rtc_peer_connection* pc) {
  const rtc_sdp_session* local = pc->current_local;
  const rtc_sdp_session* remote = pc->current_remote;
  retain_args keep = {.count = 0};
  for (size_t i = 0; local && i < local->num_media; i++)
    keep_section_transport(pc, local->media[i], remote, &keep);
  retain_transports(pc, &keep);
}

static void rollback(rtc_peer_connection* pc) {
  /* webrtc-pc §4.4.1.5 rollback: undo what the pending description did. */
  size_t kept = 0;
  for (size_t k = 0; k < pc->transceiver_count; k++) {
    rtc_rtp_transceiver* t = pc->transceivers[k];
    /* "If transceiver was created when pendingDescription was set, and a
     * track has never been attached to it via addTrack(), then stop the
     * RTCRtpTransceiver transceiver, and remove it". */
    if (t->created_by_pending_remote && !t->created_by_add_track) {
      /* It was not associated before either: its [[Mid]] is null. */
      t->mid[0] = '\0';
      t->mid_from_pending = false;
      t->stopping = t->stopped = true;
      t->direction = RTC_DIRECTION_STOPPED;
      t->has_current_direction = false;
      t->pc = NULL;
      rtc_rtp_transceiver_unref(t);
      continue;
    }
    t->created_by_pending_remote = false;
    /* "If transceiver was not associated with a media description prior
     * to pendingDescription being set, disassociate it and set ...
     * [[Mid]] to null." */
    if (t->mid_from_pending) {
      t->mid[0] = '\0';
      t->mid_from_pending = false;
    }
    pc->transceivers[kept++] = t;
  }
  pc->transceiver_count = kept;
  if (pc->data_mid_from_pending) {
    pc->data_mid[0] = '\0';
    pc->data_mid_from_pending = false;
  }
  /* [[SctpTransport]] back to null if the rolled-back offer set it. */
  if (pc->sctp_from_pending)
    drop_sctp_object(pc);
  replace(&pc->pending_local, NULL);
  replace(&pc->pending_remote, NULL);
  rollback_transports(pc);
  /* RTCOfferOptions.iceRestart: without a restart the next offer has "the
   * same ICE credentials as the current value from the
   * currentLocalDescription attribute": a rolled-back offer's new ones are
   * forgotten (restartIce() stays pending: ice_restart_pending is not
   * touched). */
  const char* ufrag = session_ufrag(pc->current_local);
  const char* pwd = session_pwd(pc->current_local);
  if (ufrag && pwd) {
    snprintf(pc->ice_ufrag, sizeof(pc->ice_ufrag), "%s", ufrag);
    snprintf(pc->ice_pwd, sizeof(pc->ice_pwd), "%s", pwd);
  }
  pc_set_signaling_state(pc, RTC_SIGNALING_STABLE);
  /* webrtc-pc §4.4.1.6: back in stable, "clear the negotiation-needed
   * flag and update the negotiation-needed flag" (the update runs once the
   * operations chain is empty), so what the rollback undid is announced
   * again. */
  pc->negotiation_needed = false;
}

void pc_jsep_implicit_rollback(rtc_peer_connection* pc) {
  if (pc->signaling_state == RTC_SIGNALING_HAVE_LOCAL_OFFER)
    rollback(pc);
}

static rtc_error parse_description(const char* sdp,
                                   rtc_sdp_session** out,
                                   rtc_error_info* info) {
  rtc_error err = rtc_sdp_parse(sdp, strlen(sdp), out, info);
  if (err != RTC_ERR_SDP_SYNTAX || !info)
    return err;
  /* rtc_error_set writes info->message: format from a copy. */
  char reason[sizeof(info->message)];
  snprintf(reason, sizeof(reason), "%s",
           info->message[0] ? info->message : "invalid SDP");
  return rtc_error_set(info, RTC_ERR_SDP_SYNTAX, "%s (line %d)", reason,
                       (int)info->sdp_line_number);
}

static rtc_error set_description(rtc_peer_connection* pc,
                                 bool local,
                                 rtc_sdp_type type,
                                 const char* sdp,
                                 rtc_error_info* info);

rtc_error pc_jsep_set_description(rtc_peer_connection* pc,
                                  bool local,
                                  rtc_sdp_type type,
                                  const char* sdp,
                                  rtc_error_info* info) {
  /* webrtc-pc §4.4.1.6: what the description does to receivers ("process
   * remote tracks") is reported once it is applied, after the signaling
   * state changed and before the operation resolves. */
  pc_remote_tracks* before = NULL;
  rtc_error err = pc_remote_tracks_begin(pc, &before);
  if (err != RTC_OK)
    return rtc_error_set(info, err, NULL);
  err = set_description(pc, local, type, sdp, info);
  pc_remote_tracks_finish(pc, before, err == RTC_OK);
  return err;
}

static rtc_error set_description(rtc_peer_connection* pc,
                                 bool local,
                                 rtc_sdp_type type,
                                 const char* sdp,
                                 rtc_error_info* info) {
  rtc_signaling_state state = pc->signaling_state;
  /* The parameterless setLocalDescription() (webrtc-pc §4.4.1.5 step 4):
   * an implicit offer or answer. */
  char* implicit = NULL;
  if (local && (!sdp || !sdp[0]) && type != RTC_SDP_ROLLBACK) {
    /* A type without sdp keeps its type (webrtc-pc setLocalDescription:
     * "If sdp is the empty string, and type is "answer" or "pranswer"
     * ... create an answer"); a fresh description always "accurately
     * represents" the state, so one is created rather than reusing
     * [[LastCreatedOffer]]/[[LastCreatedAnswer]]. */
    bool answer = sdp ? type != RTC_SDP_OFFER
                      : state == RTC_SIGNALING_HAVE_REMOTE_OFFER ||
                            state == RTC_SIGNALING_HAVE_LOCAL_PRANSWER;
    rtc_error err = answer ? pc_jsep_create_answer(pc, &implicit, info)
                           : pc_jsep_create_offer(pc, NULL, &implicit, info);
    if (err != RTC_OK)
      return err;
    if (!sdp)
      type = answer ? RTC_SDP_ANSWER : RTC_SDP_OFFER;
    sdp = implicit;
  }
  if (type == RTC_SDP_ROLLBACK) {
    /* webrtc-pc §4.4.1.6: rollback fails in stable and in the pranswer
     * states. JSEP §4.1.10.2 (RFC 9429): a rollback goes "to the setLD/setRD
     * that was most recently used": setLocalDescription rolls back a local
     * offer, setRemoteDescription a remote one; the other is an
     * InvalidStateError (the description's type "is invalid for the
     * current signaling state"), as in Chromium and Firefox. */
    bool ok = local ? state == RTC_SIGNALING_HAVE_LOCAL_OFFER
                    : state == RTC_SIGNALING_HAVE_REMOTE_OFFER;
    if (!ok)
      return rtc_error_set(info, RTC_ERR_INVALID_STATE,
                           "cannot roll back in state %s",
                           rtc_signaling_state_name(state));
    rollback(pc);
    return RTC_OK;
  }
  /* The signaling state machine (webrtc-pc §4.3.1). */
  bool allowed;
  if (local) {
    allowed = type == RTC_SDP_OFFER
                  ? (state == RTC_SIGNALING_STABLE ||
                     state == RTC_SIGNALING_HAVE_LOCAL_OFFER)
                  : (state == RTC_SIGNALING_HAVE_REMOTE_OFFER ||
                     state == RTC_SIGNALING_HAVE_LOCAL_PRANSWER);
  } else if (type == RTC_SDP_OFFER) {
    allowed = state == RTC_SIGNALING_STABLE ||
              state == RTC_SIGNALING_HAVE_REMOTE_OFFER ||
              state == RTC_SIGNALING_HAVE_LOCAL_OFFER; /* implicit rollback */
  } else {
    allowed = state == RTC_SIGNALING_HAVE_LOCAL_OFFER ||
              state == RTC_SIGNALING_HAVE_REMOTE_PRANSWER;
  }
  if (!allowed) {
    rtc_free(implicit);
    return rtc_error_set(
        info, RTC_ERR_INVALID_STATE, "%s %s is not allowed in state %s",
        local ? "setLocalDescription" : "setRemoteDescription",
        rtc_sdp_type_name(type), rtc_signaling_state_name(state));
  }
  /* webrtc-pc: a local description must be the last one created. */
  if (local) {
    const char* last = type == RTC_SDP_OFFER ? pc->last_offer : pc->last_answer;
    if (!implicit && (!last || strcmp(last, sdp) != 0))
      return rtc_error_set(info, RTC_ERR_INVALID_MODIFICATION,
                           "the description was modified or not created by "
                           "this connection");
  }
  rtc_sdp_session* parsed = NULL;
  rtc_error err = parse_description(sdp, &parsed, info);
  rtc_free(implicit);
  if (err != RTC_OK)
    return err;
  if (!local) {
    if (type == RTC_SDP_OFFER && state == RTC_SIGNALING_HAVE_LOCAL_OFFER) {
      /* Perfect negotiation: an incoming offer rolls ours back. */
      rollback(pc);
    }
    err = check_remote(pc, parsed, type, info);
    if (err != RTC_OK) {
      rtc_sdp_session_destroy(parsed);
      return err;
    }
  }

  if (type == RTC_SDP_OFFER) {
    if (local) {
      replace(&pc->pending_local, parsed);
      pc->pending_local_type = type;
      pc->is_offerer = true;
      associate_local_offer(pc, parsed);
      memcpy(pc->ice_ufrag, pc->next_ufrag, sizeof(pc->ice_ufrag));
      memcpy(pc->ice_pwd, pc->next_pwd, sizeof(pc->ice_pwd));
      /* [[LocalIceCredentialsToReplace]] empties when an answer makes the
       * new credentials current (below), not here: a restart survives a
       * rollback. Before any local description restartIce() has nothing
       * to replace, and an initial offer is fresh anyway. */
      if (!pc->current_local) {
        pc->ice_restart_pending = false;
        pc->needs_ice_restart = false;
      }
      pc_set_signaling_state(pc, RTC_SIGNALING_HAVE_LOCAL_OFFER);
    } else {
      replace(&pc->pending_remote, parsed);
      pc->pending_remote_type = type;
      pc->is_offerer = false;
      err = associate_remote_offer(pc, parsed);
      if (err != RTC_OK)
        return rtc_error_set(info, err, NULL);
      const rtc_sdp_media* first = parsed->num_media ? parsed->media[0] : NULL;
      const char* options = first && first->ice_options ? first->ice_options
                                                        : parsed->ice_options;
      pc->can_trickle = rtc_sdp_ice_options_has(options, "trickle") ? 1 : 0;
      pc_set_signaling_state(pc, RTC_SIGNALING_HAVE_REMOTE_OFFER);
    }
  } else if (local) {
    memcpy(pc->ice_ufrag, pc->next_ufrag, sizeof(pc->ice_ufrag));
    memcpy(pc->ice_pwd, pc->next_pwd, sizeof(pc->ice_pwd));
    if (type == RTC_SDP_ANSWER &&
        ice_credentials_replaced(pc->current_local, parsed)) {
      pc->ice_restart_pending = false;
      pc->needs_ice_restart = false;
    }
    learn_dtls_role(pc, parsed, true);
    if (type == RTC_SDP_ANSWER) {
      replace(&pc->current_remote, pc->pending_remote);
      pc->current_remote_type = pc->pending_remote_type;
      pc->pending_remote = NULL;
      replace(&pc->current_local, parsed);
      pc->current_local_type = type;
      replace(&pc->pending_local, NULL);
      commit_pending_mids(pc);
      pc_set_signaling_state(pc, RTC_SIGNALING_STABLE);
    } else {
      replace(&pc->pending_local, parsed);
      pc->pending_local_type = type;
      pc_set_signaling_state(pc, RTC_SIGNALING_HAVE_LOCAL_PRANSWER);
    }
  } else {
    learn_dtls_role(pc, parsed, false);
    if (type == RTC_SDP_ANSWER) {
      if (pc->current_local &&
          ice_credentials_replaced(pc->current_local, pc->pending_local)) {
        pc->ice_restart_pending = false;
        pc->needs_ice_restart = false;
      }
      replace(&pc->current_local, pc->pending_local);
      pc->current_local_type = pc->pending_local_type;
      pc->pending_local = NULL;
      replace(&pc->current_remote, parsed);
      pc->current_remote_type = type;
      replace(&pc->pending_remote, NULL);
      commit_pending_mids(pc);
      pc_set_signaling_state(pc, RTC_SIGNALING_STABLE);
    } else {
      replace(&pc->pending_remote, parsed);
      pc->pending_remote_type = type;
      pc_set_signaling_state(pc, RTC_SIGNALING_HAVE_REMOTE_PRANSWER);
    }
    /* canTrickleIceCandidates (JSEP §4.1.17): what the remote description
     * says, an answer as much as an offer. */
    const rtc_sdp_media* first = parsed->num_media ? parsed->media[0] : NULL;
    const char* options =
        first && first->ice_options ? first->ice_options : parsed->ice_options;
    pc->can_trickle = rtc_sdp_ice_options_has(options, "trickle") ? 1 : 0;
  }
  update_transports(pc);
  if (type == RTC_SDP_OFFER)
    offer_sctp_object(pc, parsed, local);
  if (type == RTC_SDP_ANSWER) {
    finish_negotiation(pc, local);
    remove_stopped_transceivers(pc);
  } else if (type == RTC_SDP_PRANSWER) {
    set_current_directions(pc, parsed, local);
  }
  /* webrtc-pc §4.4.1.6: "If connection.[[SignalingState]] is now stable
   * ... Clear the negotiation-needed flag and update the
   * negotiation-needed flag" (the update runs once the operations chain is
   * empty): a change made during the negotiation fires again. */
  if (pc->signaling_state == RTC_SIGNALING_STABLE)
    pc->negotiation_needed = false;
  return RTC_OK;
}

/* --- addIceCandidate (webrtc-pc §4.4.1.? "add ICE candidate") --- */

/* The signaling-side state of transport `name`, or NULL (pc_transport()
 * makes one when it is missing). */
static pc_transport_state* find_transport(rtc_peer_connection* pc,
                                          const char* name) {
  for (size_t i = 0; i < pc->transport_count; i++) {
    if (strcmp(pc->transports[i].name, name) == 0)
      return &pc->transports[i];
  }
  return NULL;
}

/* Whether our description in effect rejects the section `mid`. */
static bool locally_rejected(const rtc_peer_connection* pc, const char* mid) {
  const rtc_sdp_session* local = pc_local_description(pc);
  const rtc_sdp_media* lm =
      local ? rtc_sdp_session_find_media(local, mid) : NULL;
  return lm && is_rejected(lm);
}

/* Whether `ufrag` is the username fragment of a media description of `s`:
 * of the one with `mid` (a section without a mid has none), or of any when
 * `any`. */
static bool has_ufrag(const rtc_sdp_session* s,
                      const char* mid,
                      bool any,
                      const char* ufrag) {
  for (size_t i = 0; s && i < s->num_media; i++) {
    const rtc_sdp_media* each = s->media[i];
    if (!any && (!mid || !each->mid || strcmp(each->mid, mid) != 0))
      continue;
    const char* u = media_ufrag(s, transport_section(s, each));
    if (u && strcmp(u, ufrag) == 0)
      return true;
  }
  return false;
}

rtc_error pc_jsep_add_ice_candidate(rtc_peer_connection* pc,
                                    const pc_op* op,
                                    rtc_error_info* info) {
  rtc_sdp_session* remote =
      pc->pending_remote ? pc->pending_remote : pc->current_remote;
  if (!remote)
    return rtc_error_set(info, RTC_ERR_INVALID_STATE,
                         "addIceCandidate needs a remote description");
  rtc_sdp_media* m = NULL;
  if (op->mid) {
    m = rtc_sdp_session_find_media(remote, op->mid);
    if (!m)
      return rtc_error_set(info, RTC_ERR_OPERATION, "no m= section with mid %s",
                           op->mid);
  } else if (op->mline_index >= 0) {
    if ((size_t)op->mline_index >= remote->num_media)
      return rtc_error_set(info, RTC_ERR_OPERATION,
                           "sdpMLineIndex %d is out of range",
                           (int)op->mline_index);
    m = remote->media[op->mline_index];
  }
  /* "If candidate.usernameFragment is not null, and is not equal to any
   * username fragment present in the corresponding media description of an
   * applied remote description, return a promise rejected with a newly
   * created OperationError." Applied: the pending and the current one. With
   * neither mid nor index (an end-of-candidates for all sections), every
   * media description corresponds. */
  if (op->ufrag) {
    const char* mid = m ? m->mid : NULL;
    bool in_pending =
        has_ufrag(pc->pending_remote, m ? mid : NULL, !m, op->ufrag);
    bool in_current =
        has_ufrag(pc->current_remote, m ? mid : NULL, !m, op->ufrag);
    if (!in_pending && !in_current)
      return rtc_error_set(info, RTC_ERR_OPERATION,
                           "usernameFragment %s matches no remote description",
                           op->ufrag);
    /* A candidate of the generation the pending description (a remote ICE
     * restart) replaces: the ICE agent checks only the new generation, so
     * it is accepted and has nothing to do. */
    if (remote == pc->pending_remote && !in_pending)
      return RTC_OK;
  }
  if (op->end_of_candidates) {
    for (size_t i = 0; i < remote->num_media; i++) {
      rtc_sdp_media* each = remote->media[i];
      if ((m && each != m) || is_rejected(each) || !each->mid)
        continue;
      each->end_of_candidates = true;
      candidate_args a = {.end = true};
      snprintf(a.name, sizeof(a.name), "%s",
               pc_jsep_transport_for_mid(pc, each->mid));
      pc_transport_state* t = find_transport(pc, a.name);
      if (t && t->remote_ufrag[0])
        pc_post_to_network(pc, net_candidate, copy_args(&a, sizeof(a)),
                           rtc_free);
    }
    return RTC_OK;
  }
  if (!m)
    return rtc_error_set(info, RTC_ERR_OPERATION,
                         "the candidate names no m= section");
  rtc_candidate c;
  rtc_error_info parse_info;
  rtc_error_info_init(&parse_info);
  if (rtc_candidate_parse(op->candidate, strlen(op->candidate), &c,
                          &parse_info) != RTC_OK)
    return rtc_error_set(info, RTC_ERR_OPERATION, "invalid candidate: %s",
                         parse_info.message);
  /* A rejected section takes no candidates: one the peer offered and our
   * answer rejects (a policy or a codec) has no transport either. */
  if (is_rejected(m) || !m->mid || locally_rejected(pc, m->mid))
    return RTC_OK;
  if (rtc_sdp_media_add_candidate(remote, m, &c) != RTC_OK)
    return rtc_error_set(info, RTC_ERR_NO_MEMORY, NULL);
  candidate_args a = {.end = false, .candidate = c};
  snprintf(a.name, sizeof(a.name), "%s", pc_jsep_transport_for_mid(pc, m->mid));
  /* Not pc_transport(): a lookup that made a transport the descriptions
   * do not use left the connection "new"/"connecting" for good. The
   * candidate waits in the remote description until update_transports
   * hands the transport its remote side. */
  pc_transport_state* t = find_transport(pc, a.name);
  if (t && t->remote_ufrag[0])
    pc_post_to_network(pc, net_candidate, copy_args(&a, sizeof(a)), rtc_free);
  return RTC_OK;
}

/* --- negotiationneeded (webrtc-pc §4.7.3 "check if negotiation is
 * needed") --- */

bool pc_jsep_negotiation_needed(const rtc_peer_connection* pc) {
  /* "If connection.[[LocalIceCredentialsToReplace]] is not empty, return
   * true": restartIce() fills it from the current and pending local
   * descriptions, so with neither there is nothing to replace. */
  if (pc->ice_restart_pending && (pc->current_local || pc->pending_local))
    return true;
  const rtc_sdp_session* local = pc->current_local;
  const rtc_sdp_session* remote = pc->current_remote;
  /* A data channel and no negotiated data section. */
  if (pc->channel_count > 0 && !pc->data_mid[0])
    return true;
  for (size_t i = 0; i < pc->transceiver_count; i++) {
    const rtc_rtp_transceiver* t = pc->transceivers[i];
    if (t->stopped)
      continue;
    if (!t->mid[0])
      return !t->stopping;
    const rtc_sdp_media* lm =
        local ? rtc_sdp_session_find_media(local, t->mid) : NULL;
    if (!lm)
      return true;
    if (t->stopping)
      return !is_rejected(lm);
    rtc_transceiver_direction in_local =
        from_sdp_direction(media_direction(local, lm));
    /* "If transceiver.[[Direction]] is "sendrecv" or "sendonly", and the
     * ... MSID values ... differ from what is in
     * transceiver.sender.[[AssociatedMediaStreamIds]], return true". */
    if (has_send(t->direction) && !pc_transceiver_msids_match(t, lm))
      return true;
    if (pc->current_local_type == RTC_SDP_OFFER) {
      if (in_local != t->direction)
        return true;
      const rtc_sdp_media* rm =
          remote ? rtc_sdp_session_find_media(remote, t->mid) : NULL;
      if (rm) {
        rtc_transceiver_direction in_remote =
            reverse(from_sdp_direction(media_direction(remote, rm)));
        rtc_transceiver_direction expected =
            make_direction(has_send(t->direction) && has_send(in_remote),
                           has_recv(t->direction) && has_recv(in_remote));
        if (t->has_current_direction && t->current_direction != expected)
          return true;
      }
    } else {
      const rtc_sdp_media* rm =
          remote ? rtc_sdp_session_find_media(remote, t->mid) : NULL;
      rtc_transceiver_direction in_remote =
          rm ? reverse(from_sdp_direction(media_direction(remote, rm)))
             : RTC_DIRECTION_SENDRECV;
      rtc_transceiver_direction expected =
          make_direction(has_send(t->direction) && has_send(in_remote),
                         has_recv(t->direction) && has_recv(in_remote));
      if (in_local != expected)
        return true;
    }
  }
  return false;
}
