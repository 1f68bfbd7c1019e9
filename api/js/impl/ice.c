/*
 * RTCIceCandidate (webrtc-pc §4.8.1) and RTCIceCandidatePair (§5.6.1).
 *
 * A candidate keeps the strings it was created with, exactly (DOMStrings
 * round-trip, NULs included), and the result of parsing `candidate` with
 * the candidate-attribute grammar (p2p/candidate.h), from which the
 * attributes foundation ... relatedPort are read.
 */
#include <string.h>

#include "api/js/impl/impl.h"
#include "p2p/candidate.h"
#include "rtc_base/alloc.h"
#include "rtc_base/socket_address.h"

/* --- RTCIceCandidate --- */

static void free_string(rtcbox_string* s) {
  rtc_free((void*)s->data);
  s->data = NULL;
  s->length = 0;
}

/* An owned copy of `s` (the null string stays null). False when out of
 * memory. */
static bool copy_string(rtcbox_string s, rtcbox_string* out) {
  out->data = NULL;
  out->length = 0;
  if (!s.data)
    return true;
  char* copy = rtcbox_impl_strdup(s);
  if (!copy)
    return false;
  out->data = copy;
  out->length = s.length;
  return true;
}

static void candidate_free(rtcbox_impl_header* h) {
  rtcbox_RTCIceCandidate* self = (rtcbox_RTCIceCandidate*)h;
  free_string(&self->candidate);
  free_string(&self->sdp_mid);
  free_string(&self->username_fragment);
  free_string(&self->url);
  rtc_free(self->parsed);
  rtc_free(self);
}

/* webrtc-pc §4.8.1.1 "create an RTCIceCandidate", step 4: if candidate is
 * not empty, parse it using the candidate-attribute grammar; if parsing
 * failed, or "any field in the parse result represents an invalid value
 * for the corresponding attribute", abort (the attributes stay null).
 * Returns NULL for those cases, and when out of memory (*oom set). */
static rtc_candidate* parse_candidate(rtcbox_string text, bool* oom) {
  *oom = false;
  if (text.length == 0)
    return NULL;
  rtc_candidate* c = rtc_malloc(sizeof(*c));
  if (!c) {
    *oom = true;
    return NULL;
  }
  /* The parser takes the grammar's value with or without "candidate:"
   * (and the SDP line's "a=" before it, which libwebrtc accepts too). */
  if (rtc_candidate_parse(text.data, text.length, c, NULL) != RTC_OK)
    goto invalid;
  /* RTCIceComponent has "rtp" (1) and "rtcp" (2) only. */
  if (c->component != 1 && c->component != 2)
    goto invalid;
  return c;
invalid:
  rtc_free(c);
  return NULL;
}

static bool ascii_prefix_ci(const char* s, size_t len, const char* prefix) {
  size_t n = strlen(prefix);
  if (len < n)
    return false;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (ch >= 'A' && ch <= 'Z')
      ch = (char)(ch - 'A' + 'a');
    if (ch != prefix[i])
      return false;
  }
  return true;
}

/* webrtc-pc relayProtocol: for a local relay candidate, the protocol the
 * endpoint uses to reach its TURN server. The core tells which server URL
 * a candidate came from; RFC 7065 §3.1 says what that URL means: "turns:"
 * is TURN over TLS, "turn:" is UDP unless "?transport=tcp". -1 when the
 * URL is no TURN URL. */
static int32_t relay_protocol_from_url(rtcbox_string url) {
  if (!url.data)
    return -1;
  if (ascii_prefix_ci(url.data, url.length, "turns:"))
    return RTCBOX_RTCIceServerTransportProtocol_tls;
  if (!ascii_prefix_ci(url.data, url.length, "turn:"))
    return -1;
  const char* query = memchr(url.data, '?', url.length);
  if (query) {
    size_t rest = url.length - (size_t)(query - url.data);
    if (ascii_prefix_ci(query, rest, "?transport=tcp") &&
        rest == strlen("?transport=tcp"))
      return RTCBOX_RTCIceServerTransportProtocol_tcp;
  }
  return RTCBOX_RTCIceServerTransportProtocol_udp;
}

/* webrtc-pc §4.8.1.1 "create an RTCIceCandidate" from an
 * RTCLocalIceCandidateInit's members. `ufrag_from_line`: with no
 * username_fragment, take the ufrag the candidate line carries (for the
 * candidates rtcbox makes itself, not for the constructor's). NULL when out
 * of memory. */
static rtcbox_RTCIceCandidate* candidate_create(rtcbox_string candidate,
                                                rtcbox_string sdp_mid,
                                                int32_t sdp_mline_index,
                                                rtcbox_string username_fragment,
                                                bool ufrag_from_line,
                                                int32_t relay_protocol,
                                                rtcbox_string url) {
  rtcbox_RTCIceCandidate* self = rtc_calloc(1, sizeof(*self));
  if (!self)
    return NULL;
  rtcbox_impl_init(&self->h, RTCBOX_CLASS_RTCIceCandidate, candidate_free);
  self->sdp_mline_index = sdp_mline_index;
  self->relay_protocol = relay_protocol;
  if (!candidate.data)
    candidate = RTCBOX_STRING_LITERAL("");
  bool oom;
  /* Steps 2-3: the attributes from the dictionary. */
  if (!copy_string(candidate, &self->candidate) ||
      !copy_string(sdp_mid, &self->sdp_mid) ||
      !copy_string(username_fragment, &self->username_fragment) ||
      !copy_string(url, &self->url))
    goto fail;
  /* Step 4: the attributes from the candidate line. */
  self->parsed = parse_candidate(self->candidate, &oom);
  if (oom)
    goto fail;
  /* usernameFragment: for the constructor, only the dictionary's: step 3
   * initializes the usernameFragment slot from candidateInitDict, and step
   * 4 sets only the slots initialized to null in step 2 (foundation ...
   * relatedPort) from the line. For the candidates of icecandidate events
   * and getLocalCandidates(), the line's ufrag (as libwebrtc does). */
  if (ufrag_from_line && !self->username_fragment.data && self->parsed &&
      self->parsed->ufrag[0]) {
    rtcbox_string ufrag = rtcbox_string_from_cstr(self->parsed->ufrag);
    if (!copy_string(ufrag, &self->username_fragment))
      goto fail;
  }
  return self;
fail:
  rtcbox_impl_unref(&self->h);
  return NULL;
}

rtcbox_RTCIceCandidate* rtcbox_ice_candidate_new(const char* candidate,
                                                 const char* sdp_mid,
                                                 int32_t sdp_mline_index,
                                                 const char* username_fragment,
                                                 const char* url) {
  rtcbox_string url_s = rtcbox_string_from_cstr(url);
  rtcbox_RTCIceCandidate* self = candidate_create(
      rtcbox_string_from_cstr(candidate ? candidate : ""),
      rtcbox_string_from_cstr(sdp_mid),
      sdp_mline_index >= 0 && sdp_mline_index <= UINT16_MAX ? sdp_mline_index
                                                            : -1,
      rtcbox_string_from_cstr(username_fragment), true, -1, url_s);
  if (self && self->parsed && self->parsed->type == RTC_CANDIDATE_RELAY)
    self->relay_protocol = relay_protocol_from_url(url_s);
  return self;
}

void rtcbox_RTCIceCandidate_finalize(rtcbox_RTCIceCandidate* self) {
  rtcbox_impl_unref(&self->h);
}

rtc_error rtcbox_RTCIceCandidate_constructor(
    rtcbox_ctx* ctx,
    const rtcbox_RTCLocalIceCandidateInit* candidateInitDict,
    rtcbox_RTCIceCandidate** result) {
  const rtcbox_RTCLocalIceCandidateInit* init = candidateInitDict;
  /* webrtc-pc §4.8.1.1 constructor step 1: "If both the sdpMid and
   * sdpMLineIndex dictionary members are null, throw a TypeError." */
  if (!init->sdpMid.data && init->sdpMLineIndex.is_null) {
    return rtcbox_ctx_fail(ctx, RTC_ERR_INVALID_ARGUMENT,
                           "sdpMid and sdpMLineIndex are both null.");
  }
  rtcbox_RTCIceCandidate* self = candidate_create(
      init->candidate, init->sdpMid,
      init->sdpMLineIndex.is_null ? -1 : (int32_t)init->sdpMLineIndex.value,
      init->usernameFragment, false,
      init->relayProtocol.is_null ? -1 : (int32_t)init->relayProtocol.value,
      init->url);
  if (!self)
    return RTC_ERR_NO_MEMORY;
  *result = RTCBOX_OUT(self);
  rtcbox_impl_unref(&self->h);
  return RTC_OK;
}

/* webrtc-pc §4.8.1.1 toJSON(): candidate, sdpMid, sdpMLineIndex and
 * usernameFragment, each the attribute's value. */
rtc_error rtcbox_RTCIceCandidate_toJSON(rtcbox_ctx* ctx,
                                        rtcbox_RTCIceCandidate* self,
                                        rtcbox_RTCIceCandidateInit* result) {
  (void)ctx;
  result->candidate = self->candidate;
  result->sdpMid = self->sdp_mid;
  result->sdpMLineIndex.is_null = self->sdp_mline_index < 0;
  result->sdpMLineIndex.value =
      self->sdp_mline_index < 0 ? 0 : (uint16_t)self->sdp_mline_index;
  result->usernameFragment = self->username_fragment;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_candidate(rtcbox_ctx* ctx,
                                               rtcbox_RTCIceCandidate* self,
                                               rtcbox_string* result) {
  (void)ctx;
  *result = self->candidate;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_sdpMid(rtcbox_ctx* ctx,
                                            rtcbox_RTCIceCandidate* self,
                                            rtcbox_string* result) {
  (void)ctx;
  *result = self->sdp_mid;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_sdpMLineIndex(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceCandidate* self,
    rtcbox_nullable_uint16* result) {
  (void)ctx;
  result->is_null = self->sdp_mline_index < 0;
  result->value =
      self->sdp_mline_index < 0 ? 0 : (uint16_t)self->sdp_mline_index;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_foundation(rtcbox_ctx* ctx,
                                                rtcbox_RTCIceCandidate* self,
                                                rtcbox_string* result) {
  (void)ctx;
  *result =
      rtcbox_string_from_cstr(self->parsed ? self->parsed->foundation : NULL);
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_component(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceCandidate* self,
    rtcbox_nullable_RTCIceComponent* result) {
  (void)ctx;
  result->is_null = !self->parsed;
  result->value = self->parsed && self->parsed->component == 2
                      ? RTCBOX_RTCIceComponent_rtcp
                      : RTCBOX_RTCIceComponent_rtp;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_priority(rtcbox_ctx* ctx,
                                              rtcbox_RTCIceCandidate* self,
                                              rtcbox_nullable_uint32* result) {
  (void)ctx;
  result->is_null = !self->parsed;
  result->value = self->parsed ? self->parsed->priority : 0;
  return RTC_OK;
}

/* A connection address as the attributes show it: the name when it is one
 * (an mDNS ".local" name), else the IP without a zone (which means
 * something only to the host that wrote it), in the call's arena. */
static rtc_error address_string(rtcbox_ctx* ctx,
                                const rtc_socket_address* addr,
                                const char* hostname,
                                rtcbox_string* result) {
  if (hostname[0]) {
    *result = rtcbox_string_from_cstr(hostname);
    return RTC_OK;
  }
  char* buf = rtcbox_ctx_alloc(ctx, RTC_SOCKET_ADDRESS_STRLEN);
  if (!buf)
    return RTC_ERR_NO_MEMORY;
  rtc_socket_address bare = *addr;
  bare.scope_id = 0;
  size_t n = rtc_ip_address_format(&bare, buf, RTC_SOCKET_ADDRESS_STRLEN);
  if (n >= RTC_SOCKET_ADDRESS_STRLEN)
    return RTC_ERR_INTERNAL;
  result->data = buf;
  result->length = n;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_address(rtcbox_ctx* ctx,
                                             rtcbox_RTCIceCandidate* self,
                                             rtcbox_string* result) {
  *result = rtcbox_string_from_cstr(NULL);
  if (!self->parsed || self->hide_address)
    return RTC_OK;
  return address_string(ctx, &self->parsed->address, self->parsed->hostname,
                        result);
}

rtc_error rtcbox_RTCIceCandidate_get_protocol(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceCandidate* self,
    rtcbox_nullable_RTCIceProtocol* result) {
  (void)ctx;
  result->is_null = !self->parsed;
  result->value = self->parsed && self->parsed->protocol == RTC_ICE_PROTOCOL_TCP
                      ? RTCBOX_RTCIceProtocol_tcp
                      : RTCBOX_RTCIceProtocol_udp;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_port(rtcbox_ctx* ctx,
                                          rtcbox_RTCIceCandidate* self,
                                          rtcbox_nullable_uint16* result) {
  (void)ctx;
  result->is_null = !self->parsed;
  result->value = self->parsed ? self->parsed->address.port : 0;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_type(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceCandidate* self,
    rtcbox_nullable_RTCIceCandidateType* result) {
  (void)ctx;
  result->is_null = !self->parsed;
  result->value = RTCBOX_RTCIceCandidateType_host;
  if (!self->parsed)
    return RTC_OK;
  switch (self->parsed->type) {
    case RTC_CANDIDATE_HOST:
      result->value = RTCBOX_RTCIceCandidateType_host;
      break;
    case RTC_CANDIDATE_SRFLX:
      result->value = RTCBOX_RTCIceCandidateType_srflx;
      break;
    case RTC_CANDIDATE_PRFLX:
      result->value = RTCBOX_RTCIceCandidateType_prflx;
      break;
    case RTC_CANDIDATE_RELAY:
      result->value = RTCBOX_RTCIceCandidateType_relay;
      break;
  }
  return RTC_OK;
}

/* webrtc-pc tcpType: null unless protocol is "tcp" (and the line has a
 * tcptype, RFC 6544 §4.5). */
rtc_error rtcbox_RTCIceCandidate_get_tcpType(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceCandidate* self,
    rtcbox_nullable_RTCIceTcpCandidateType* result) {
  (void)ctx;
  result->is_null = true;
  result->value = RTCBOX_RTCIceTcpCandidateType_active;
  if (!self->parsed || self->parsed->protocol != RTC_ICE_PROTOCOL_TCP)
    return RTC_OK;
  switch (self->parsed->tcp_type) {
    case RTC_TCP_TYPE_NONE:
      break;
    case RTC_TCP_TYPE_ACTIVE:
      result->is_null = false;
      result->value = RTCBOX_RTCIceTcpCandidateType_active;
      break;
    case RTC_TCP_TYPE_PASSIVE:
      result->is_null = false;
      result->value = RTCBOX_RTCIceTcpCandidateType_passive;
      break;
    case RTC_TCP_TYPE_SO:
      result->is_null = false;
      result->value = RTCBOX_RTCIceTcpCandidateType_so;
      break;
  }
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_relatedAddress(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceCandidate* self,
    rtcbox_string* result) {
  *result = rtcbox_string_from_cstr(NULL);
  if (!self->parsed || !self->parsed->has_related)
    return RTC_OK;
  return address_string(ctx, &self->parsed->related_address,
                        self->parsed->related_hostname, result);
}

rtc_error rtcbox_RTCIceCandidate_get_relatedPort(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceCandidate* self,
    rtcbox_nullable_uint16* result) {
  (void)ctx;
  bool has = self->parsed && self->parsed->has_related;
  result->is_null = !has;
  result->value = has ? self->parsed->related_address.port : 0;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_usernameFragment(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceCandidate* self,
    rtcbox_string* result) {
  (void)ctx;
  *result = self->username_fragment;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_relayProtocol(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceCandidate* self,
    rtcbox_nullable_RTCIceServerTransportProtocol* result) {
  (void)ctx;
  result->is_null = self->relay_protocol < 0;
  result->value =
      self->relay_protocol < 0
          ? RTCBOX_RTCIceServerTransportProtocol_udp
          : (rtcbox_RTCIceServerTransportProtocol)self->relay_protocol;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidate_get_url(rtcbox_ctx* ctx,
                                         rtcbox_RTCIceCandidate* self,
                                         rtcbox_string* result) {
  (void)ctx;
  *result = self->url;
  return RTC_OK;
}

/* --- RTCIceCandidatePair --- */

static void pair_free(rtcbox_impl_header* h) {
  rtcbox_RTCIceCandidatePair* self = (rtcbox_RTCIceCandidatePair*)h;
  rtcbox_impl_unref(&self->local->h);
  rtcbox_impl_unref(&self->remote->h);
  rtc_free(self);
}

/* webrtc-pc §5.6.1 "create an RTCIceCandidatePair" with local and
 * remote. */
rtcbox_RTCIceCandidatePair* rtcbox_ice_candidate_pair_new(
    rtcbox_RTCIceCandidate* local,
    rtcbox_RTCIceCandidate* remote) {
  rtcbox_RTCIceCandidatePair* self = rtc_calloc(1, sizeof(*self));
  if (!self)
    return NULL;
  rtcbox_impl_init(&self->h, RTCBOX_CLASS_RTCIceCandidatePair, pair_free);
  rtcbox_impl_ref(&local->h);
  rtcbox_impl_ref(&remote->h);
  self->local = local;
  self->remote = remote;
  return self;
}

void rtcbox_RTCIceCandidatePair_finalize(rtcbox_RTCIceCandidatePair* self) {
  rtcbox_impl_unref(&self->h);
}

rtc_error rtcbox_RTCIceCandidatePair_get_local(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceCandidatePair* self,
    rtcbox_RTCIceCandidate** result) {
  (void)ctx;
  *result = RTCBOX_OUT(self->local);
  return RTC_OK;
}

rtc_error rtcbox_RTCIceCandidatePair_get_remote(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceCandidatePair* self,
    rtcbox_RTCIceCandidate** result) {
  (void)ctx;
  *result = RTCBOX_OUT(self->remote);
  return RTC_OK;
}
