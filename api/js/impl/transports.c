/*
 * RTCIceTransport, RTCDtlsTransport and RTCSctpTransport (webrtc-pc §5.6,
 * §5.5, §6.1.1): wrappers over the core's transport objects
 * (api/rtc_transports.h). Each wrapper holds a reference on its core
 * object, sets itself as the core object's observer and fires the events
 * the observer reports, until its peer connection closes
 * (rtcbox_*_transport_pc_closed): then it detaches, goes weak, and fires
 * nothing more. The getters keep reading the core object, which keeps its
 * last state ("closed").
 *
 * getLocalCandidates() / getRemoteCandidates(): the C API does not list the
 * candidates of a transport (rtc_transports.h has no such call), so these
 * return the candidates this wrapper has seen in the transport's selected
 * pairs, in the order they were first selected, without peer-reflexive
 * ones (which were neither surfaced in icecandidate nor given to
 * addIceCandidate(), webrtc-pc §5.6).
 */
#include <string.h>

#include "api/js/impl/impl.h"
#include "p2p/candidate.h"
#include "rtc_base/alloc.h"

/* ------------------------------------------------------------------------
 * RTCIceTransport
 * --------------------------------------------------------------------- */

static void ice_on_state_change(void* user);
static void ice_on_gathering_state_change(void* user);
static void ice_on_selected_candidate_pair_change(void* user);

static const rtc_pc_ice_transport_observer kIceObserver = {
    .on_state_change = ice_on_state_change,
    .on_gathering_state_change = ice_on_gathering_state_change,
    .on_selected_candidate_pair_change = ice_on_selected_candidate_pair_change,
};

static void ice_detach(rtcbox_RTCIceTransport* self) {
  if (!self->observing)
    return;
  self->observing = false;
  rtc_pc_ice_transport_set_observer(self->transport, NULL, NULL);
  rtcbox_wrapper_set_strong(&self->h.wrapper, false);
}

static void ice_free(rtcbox_impl_header* h) {
  rtcbox_RTCIceTransport* self = (rtcbox_RTCIceTransport*)h;
  ice_detach(self);
  if (self->selected)
    rtcbox_impl_unref(&self->selected->h);
  for (size_t i = 0; i < self->local_count; i++)
    rtcbox_impl_unref(&self->local[i]->h);
  for (size_t i = 0; i < self->remote_count; i++)
    rtcbox_impl_unref(&self->remote[i]->h);
  rtc_free(self->local);
  rtc_free(self->remote);
  rtc_pc_ice_transport_unref(self->transport);
  rtc_free(self);
}

/* (transfer full) NULL when out of memory. */
static rtcbox_RTCIceTransport* ice_new(rtc_pc_ice_transport* t) {
  rtcbox_RTCIceTransport* self = rtc_calloc(1, sizeof(*self));
  if (!self)
    return NULL;
  rtcbox_impl_init(&self->h, RTCBOX_CLASS_RTCIceTransport, ice_free);
  rtc_pc_ice_transport_ref(t);
  self->transport = t;
  self->observing = true;
  rtc_pc_ice_transport_set_observer(t, &kIceObserver, self);
  rtcbox_wrapper_set_strong(&self->h.wrapper, true);
  return self;
}

/* The candidate of `list` whose string is `text`, else NULL. */
static rtcbox_RTCIceCandidate* find_candidate(rtcbox_RTCIceCandidate** list,
                                              size_t count,
                                              const char* text) {
  size_t len = strlen(text);
  for (size_t i = 0; i < count; i++) {
    rtcbox_string s = list[i]->candidate;
    if (s.length == len && memcmp(s.data, text, len) == 0)
      return list[i];
  }
  return NULL;
}

/* The candidate object for `text`: the one already in the list, else a new
 * one, appended to the list unless it is peer-reflexive (see the top).
 * (transfer full) NULL when out of memory. */
static rtcbox_RTCIceCandidate* seen_candidate(rtcbox_RTCIceCandidate*** list,
                                              size_t* count,
                                              size_t* capacity,
                                              const char* text,
                                              bool remote) {
  rtcbox_RTCIceCandidate* c = find_candidate(*list, *count, text);
  if (c) {
    rtcbox_impl_ref(&c->h);
    return c;
  }
  /* The pair's candidates belong to no m-section in particular: sdpMid and
   * sdpMLineIndex are null; usernameFragment is the line's ufrag. */
  c = rtcbox_ice_candidate_new(text, NULL, -1, NULL, NULL);
  if (!c)
    return NULL;
  /* webrtc-pc §4.8.1.1 address: "the user agent MUST leave the address
   * attribute as null for any exposed remote candidate" unless the
   * application told it that address. The core writes the address of a
   * remote candidate it learned only from a check (peer-reflexive) as
   * 0.0.0.0 (RFC 8839 §5.1's "not revealed"); the ones from the remote
   * description or addIceCandidate() it writes as they were given. */
  if (remote && c->parsed && !c->parsed->hostname[0] &&
      (c->parsed->address.family == RTC_AF_UNSPEC ||
       rtc_socket_address_is_any(&c->parsed->address)))
    c->hide_address = true;
  if (c->parsed && c->parsed->type == RTC_CANDIDATE_PRFLX)
    return c;
  if (*count == *capacity) {
    size_t n = *capacity ? *capacity * 2 : 4;
    rtcbox_RTCIceCandidate** grown =
        rtc_realloc_array(*list, n, sizeof(**list));
    if (!grown)
      return c; /* not listed; still usable in the pair */
    *list = grown;
    *capacity = n;
  }
  rtcbox_impl_ref(&c->h);
  (*list)[(*count)++] = c;
  return c;
}

/* webrtc-pc §5.6 [[SelectedCandidatePair]]: brings `selected` in line with
 * the core's pair; the same object while the pair is unchanged. Returns
 * false when out of memory (then `selected` is NULL). */
static bool ice_sync_selected(rtcbox_RTCIceTransport* self) {
  const char* local = NULL;
  const char* remote = NULL;
  if (!rtc_pc_ice_transport_selected_pair(self->transport, &local, &remote)) {
    if (self->selected) {
      rtcbox_impl_unref(&self->selected->h);
      self->selected = NULL;
    }
    return true;
  }
  if (self->selected) {
    rtcbox_string l = self->selected->local->candidate;
    rtcbox_string r = self->selected->remote->candidate;
    if (l.length == strlen(local) && memcmp(l.data, local, l.length) == 0 &&
        r.length == strlen(remote) && memcmp(r.data, remote, r.length) == 0)
      return true;
    rtcbox_impl_unref(&self->selected->h);
    self->selected = NULL;
  }
  rtcbox_RTCIceCandidate* lc = seen_candidate(
      &self->local, &self->local_count, &self->local_capacity, local, false);
  rtcbox_RTCIceCandidate* rc = seen_candidate(
      &self->remote, &self->remote_count, &self->remote_capacity, remote, true);
  if (lc && rc)
    self->selected = rtcbox_ice_candidate_pair_new(lc, rc);
  if (lc)
    rtcbox_impl_unref(&lc->h);
  if (rc)
    rtcbox_impl_unref(&rc->h);
  return self->selected != NULL;
}

static void ice_fire(rtcbox_RTCIceTransport* self, const char* type) {
  if (!self->observing)
    return;
  rtcbox_impl_ref(&self->h); /* alive across JS */
  rtcbox_fire_event(&self->h.wrapper, type, false, false);
  rtcbox_impl_unref(&self->h);
}

static void ice_on_state_change(void* user) {
  ice_fire(user, "statechange");
}

static void ice_on_gathering_state_change(void* user) {
  ice_fire(user, "gatheringstatechange");
}

/* webrtc-pc §5.6 "change the selected candidate pair and state": set
 * [[SelectedCandidatePair]] to a new pair, then fire
 * selectedcandidatepairchange. */
static void ice_on_selected_candidate_pair_change(void* user) {
  rtcbox_RTCIceTransport* self = user;
  if (!self->observing)
    return;
  /* Out of memory: getSelectedCandidatePair() tries again; the event
   * still says that the pair changed. */
  ice_sync_selected(self);
  ice_fire(self, "selectedcandidatepairchange");
}

void rtcbox_RTCIceTransport_finalize(rtcbox_RTCIceTransport* self) {
  rtcbox_impl_unref(&self->h);
}

static rtc_error candidate_list(rtcbox_ctx* ctx,
                                rtcbox_RTCIceCandidate** list,
                                size_t count,
                                rtcbox_seq_RTCIceCandidate* result) {
  result->items = NULL;
  result->length = 0;
  if (count == 0)
    return RTC_OK;
  rtcbox_RTCIceCandidate** items =
      rtcbox_ctx_alloc(ctx, count * sizeof(*items));
  if (!items)
    return RTC_ERR_NO_MEMORY;
  for (size_t i = 0; i < count; i++)
    items[i] = RTCBOX_OUT(list[i]);
  result->items = items;
  result->length = count;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceTransport_getLocalCandidates(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceTransport* self,
    rtcbox_seq_RTCIceCandidate* result) {
  ice_sync_selected(self);
  return candidate_list(ctx, self->local, self->local_count, result);
}

rtc_error rtcbox_RTCIceTransport_getRemoteCandidates(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceTransport* self,
    rtcbox_seq_RTCIceCandidate* result) {
  ice_sync_selected(self);
  return candidate_list(ctx, self->remote, self->remote_count, result);
}

rtc_error rtcbox_RTCIceTransport_getSelectedCandidatePair(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceTransport* self,
    rtcbox_RTCIceCandidatePair** result) {
  (void)ctx;
  *result = NULL;
  /* webrtc-pc §5.6 getSelectedCandidatePair(): "When
   * RTCIceTransport.state is "new" or "closed" getSelectedCandidatePair
   * returns null." */
  rtc_ice_transport_state state = rtc_pc_ice_transport_state(self->transport);
  if (state == RTC_ICE_TRANSPORT_NEW || state == RTC_ICE_TRANSPORT_CLOSED)
    return RTC_OK;
  if (!ice_sync_selected(self))
    return RTC_ERR_NO_MEMORY;
  *result = RTCBOX_OUT(self->selected);
  return RTC_OK;
}

static void ice_parameters(bool present,
                           const char* ufrag,
                           const char* pwd,
                           rtcbox_nullable_RTCIceParameters* result) {
  memset(result, 0, sizeof(*result));
  result->is_null = !present;
  if (!present)
    return;
  result->value.has_usernameFragment = true;
  result->value.usernameFragment = rtcbox_string_from_cstr(ufrag);
  result->value.has_password = true;
  result->value.password = rtcbox_string_from_cstr(pwd);
}

rtc_error rtcbox_RTCIceTransport_getLocalParameters(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceTransport* self,
    rtcbox_nullable_RTCIceParameters* result) {
  (void)ctx;
  const char* ufrag = NULL;
  const char* pwd = NULL;
  bool present =
      rtc_pc_ice_transport_local_parameters(self->transport, &ufrag, &pwd);
  ice_parameters(present, ufrag, pwd, result);
  return RTC_OK;
}

rtc_error rtcbox_RTCIceTransport_getRemoteParameters(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceTransport* self,
    rtcbox_nullable_RTCIceParameters* result) {
  (void)ctx;
  const char* ufrag = NULL;
  const char* pwd = NULL;
  bool present =
      rtc_pc_ice_transport_remote_parameters(self->transport, &ufrag, &pwd);
  ice_parameters(present, ufrag, pwd, result);
  return RTC_OK;
}

rtc_error rtcbox_RTCIceTransport_get_role(rtcbox_ctx* ctx,
                                          rtcbox_RTCIceTransport* self,
                                          rtcbox_RTCIceRole* result) {
  (void)ctx;
  switch (rtc_pc_ice_transport_role(self->transport)) {
    case RTC_ICE_TRANSPORT_ROLE_CONTROLLING:
      *result = RTCBOX_RTCIceRole_controlling;
      return RTC_OK;
    case RTC_ICE_TRANSPORT_ROLE_CONTROLLED:
      *result = RTCBOX_RTCIceRole_controlled;
      return RTC_OK;
    case RTC_ICE_TRANSPORT_ROLE_UNKNOWN:
      break;
  }
  *result = RTCBOX_RTCIceRole_unknown;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceTransport_get_component(rtcbox_ctx* ctx,
                                               rtcbox_RTCIceTransport* self,
                                               rtcbox_RTCIceComponent* result) {
  (void)ctx;
  const char* component = rtc_pc_ice_transport_component(self->transport);
  *result = component && strcmp(component, "rtcp") == 0
                ? RTCBOX_RTCIceComponent_rtcp
                : RTCBOX_RTCIceComponent_rtp;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceTransport_get_state(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceTransport* self,
    rtcbox_RTCIceTransportState* result) {
  (void)ctx;
  switch (rtc_pc_ice_transport_state(self->transport)) {
    case RTC_ICE_TRANSPORT_NEW:
      *result = RTCBOX_RTCIceTransportState_new;
      return RTC_OK;
    case RTC_ICE_TRANSPORT_CHECKING:
      *result = RTCBOX_RTCIceTransportState_checking;
      return RTC_OK;
    case RTC_ICE_TRANSPORT_CONNECTED:
      *result = RTCBOX_RTCIceTransportState_connected;
      return RTC_OK;
    case RTC_ICE_TRANSPORT_COMPLETED:
      *result = RTCBOX_RTCIceTransportState_completed;
      return RTC_OK;
    case RTC_ICE_TRANSPORT_DISCONNECTED:
      *result = RTCBOX_RTCIceTransportState_disconnected;
      return RTC_OK;
    case RTC_ICE_TRANSPORT_FAILED:
      *result = RTCBOX_RTCIceTransportState_failed;
      return RTC_OK;
    case RTC_ICE_TRANSPORT_CLOSED:
      break;
  }
  *result = RTCBOX_RTCIceTransportState_closed;
  return RTC_OK;
}

rtc_error rtcbox_RTCIceTransport_get_gatheringState(
    rtcbox_ctx* ctx,
    rtcbox_RTCIceTransport* self,
    rtcbox_RTCIceGathererState* result) {
  (void)ctx;
  switch (rtc_pc_ice_transport_gathering_state(self->transport)) {
    case RTC_ICE_GATHERING_GATHERING:
      *result = RTCBOX_RTCIceGathererState_gathering;
      return RTC_OK;
    case RTC_ICE_GATHERING_COMPLETE:
      *result = RTCBOX_RTCIceGathererState_complete;
      return RTC_OK;
    case RTC_ICE_GATHERING_NEW:
      break;
  }
  *result = RTCBOX_RTCIceGathererState_new;
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * RTCDtlsTransport
 * --------------------------------------------------------------------- */

static void dtls_on_state_change(void* user);
static void dtls_on_error(void* user, const rtc_error_info* error);

static const rtc_pc_dtls_transport_observer kDtlsObserver = {
    .on_state_change = dtls_on_state_change,
    .on_error = dtls_on_error,
};

static void dtls_free(rtcbox_impl_header* h) {
  rtcbox_RTCDtlsTransport* self = (rtcbox_RTCDtlsTransport*)h;
  rtcbox_dtls_transport_pc_closed(self);
  rtcbox_impl_unref(&self->ice->h);
  rtc_pc_dtls_transport_unref(self->transport);
  rtc_free(self);
}

rtcbox_RTCDtlsTransport* rtcbox_dtls_transport_new(rtc_pc_dtls_transport* t) {
  if (!t)
    return NULL;
  rtcbox_RTCDtlsTransport* self = rtc_calloc(1, sizeof(*self));
  if (!self)
    return NULL;
  self->ice = ice_new(rtc_pc_dtls_transport_ice_transport(t));
  if (!self->ice) {
    rtc_free(self);
    return NULL;
  }
  rtcbox_impl_init(&self->h, RTCBOX_CLASS_RTCDtlsTransport, dtls_free);
  rtc_pc_dtls_transport_ref(t);
  self->transport = t;
  self->observing = true;
  rtc_pc_dtls_transport_set_observer(t, &kDtlsObserver, self);
  rtcbox_wrapper_set_strong(&self->h.wrapper, true);
  return self;
}

void rtcbox_dtls_transport_pc_closed(rtcbox_RTCDtlsTransport* t) {
  if (!t)
    return;
  ice_detach(t->ice);
  if (!t->observing)
    return;
  t->observing = false;
  rtc_pc_dtls_transport_set_observer(t->transport, NULL, NULL);
  rtcbox_wrapper_set_strong(&t->h.wrapper, false);
}

static void dtls_on_state_change(void* user) {
  rtcbox_RTCDtlsTransport* self = user;
  if (!self->observing)
    return;
  rtcbox_impl_ref(&self->h); /* alive across JS */
  rtcbox_fire_event(&self->h.wrapper, "statechange", false, false);
  rtcbox_impl_unref(&self->h);
}

/* webrtc-pc §5.5.1: when the DTLS association fails (a fatal alert, or
 * the remote certificate does not match the fingerprint), fire an
 * RTCErrorEvent named "error" whose RTCError has errorDetail
 * "dtls-failure" (with receivedAlert / sentAlert) or
 * "fingerprint-failure"; the core fires statechange ("failed") next. */
static void dtls_on_error(void* user, const rtc_error_info* error) {
  rtcbox_RTCDtlsTransport* self = user;
  if (!self->observing)
    return;
  napi_env env = rtcbox_wrapper_env(&self->h.wrapper);
  if (!env)
    return; /* no JS object: nobody listens */
  rtcbox_scope scope;
  if (!rtcbox_scope_open(&scope, env))
    return;
  rtcbox_impl_ref(&self->h); /* alive across JS */
  rtc_error_info info = *error;
  if (info.code != RTC_ERR_DTLS_FAILURE &&
      info.code != RTC_ERR_FINGERPRINT_FAILURE)
    info.code = RTC_ERR_DTLS_FAILURE;
  napi_value error_value = rtcbox_error_create(env, &info);
  if (error_value) {
    rtcbox_RTCErrorEventInit init;
    rtcbox_RTCErrorEventInit_init(&init);
    init.error = error_value;
    rtcbox_fire_RTCErrorEvent(&self->h.wrapper, "error", &init);
  } else {
    rtcbox_clear_exception(env);
  }
  rtcbox_impl_unref(&self->h);
  rtcbox_scope_close(&scope);
}

void rtcbox_RTCDtlsTransport_finalize(rtcbox_RTCDtlsTransport* self) {
  rtcbox_impl_unref(&self->h);
}

/* webrtc-pc §5.5.1 getRemoteCertificates(): [[RemoteCertificates]], the
 * peer's certificate chain as DER, leaf first (empty until connected). */
rtc_error rtcbox_RTCDtlsTransport_getRemoteCertificates(
    rtcbox_ctx* ctx,
    rtcbox_RTCDtlsTransport* self,
    rtcbox_seq_bytes* result) {
  result->items = NULL;
  result->length = 0;
  size_t count =
      rtc_pc_dtls_transport_remote_certificates(self->transport, NULL, NULL, 0);
  if (count == 0)
    return RTC_OK;
  const uint8_t** der = rtcbox_ctx_alloc(ctx, count * sizeof(*der));
  size_t* der_len = rtcbox_ctx_alloc(ctx, count * sizeof(*der_len));
  rtcbox_bytes* items = rtcbox_ctx_alloc(ctx, count * sizeof(*items));
  if (!der || !der_len || !items)
    return RTC_ERR_NO_MEMORY;
  size_t n = rtc_pc_dtls_transport_remote_certificates(self->transport, der,
                                                       der_len, count);
  if (n > count)
    n = count;
  for (size_t i = 0; i < n; i++) {
    items[i].data = der[i];
    items[i].length = der_len[i];
  }
  result->items = items;
  result->length = n;
  return RTC_OK;
}

rtc_error rtcbox_RTCDtlsTransport_get_iceTransport(
    rtcbox_ctx* ctx,
    rtcbox_RTCDtlsTransport* self,
    rtcbox_RTCIceTransport** result) {
  (void)ctx;
  *result = RTCBOX_OUT(self->ice);
  return RTC_OK;
}

rtc_error rtcbox_RTCDtlsTransport_get_state(
    rtcbox_ctx* ctx,
    rtcbox_RTCDtlsTransport* self,
    rtcbox_RTCDtlsTransportState* result) {
  (void)ctx;
  switch (rtc_pc_dtls_transport_state(self->transport)) {
    case RTC_DTLS_NEW:
      *result = RTCBOX_RTCDtlsTransportState_new;
      return RTC_OK;
    case RTC_DTLS_CONNECTING:
      *result = RTCBOX_RTCDtlsTransportState_connecting;
      return RTC_OK;
    case RTC_DTLS_CONNECTED:
      *result = RTCBOX_RTCDtlsTransportState_connected;
      return RTC_OK;
    case RTC_DTLS_FAILED:
      *result = RTCBOX_RTCDtlsTransportState_failed;
      return RTC_OK;
    case RTC_DTLS_CLOSED:
      break;
  }
  *result = RTCBOX_RTCDtlsTransportState_closed;
  return RTC_OK;
}

/* ------------------------------------------------------------------------
 * RTCSctpTransport
 * --------------------------------------------------------------------- */

static void sctp_on_state_change(void* user);

static const rtc_pc_sctp_transport_observer kSctpObserver = {
    .on_state_change = sctp_on_state_change,
};

static void sctp_free(rtcbox_impl_header* h) {
  rtcbox_RTCSctpTransport* self = (rtcbox_RTCSctpTransport*)h;
  if (self->observing)
    rtc_pc_sctp_transport_set_observer(self->transport, NULL, NULL);
  rtc_pc_sctp_transport_unref(self->transport);
  rtcbox_impl_unref(&self->dtls->h);
  rtc_free(self);
}

rtcbox_RTCSctpTransport* rtcbox_sctp_transport_new(
    rtcbox_RTCDtlsTransport* dtls,
    rtc_pc_sctp_transport* t) {
  if (!dtls || !t)
    return NULL;
  rtcbox_RTCSctpTransport* self = rtc_calloc(1, sizeof(*self));
  if (!self)
    return NULL;
  rtcbox_impl_init(&self->h, RTCBOX_CLASS_RTCSctpTransport, sctp_free);
  rtc_pc_sctp_transport_ref(t);
  self->transport = t;
  rtcbox_impl_ref(&dtls->h);
  self->dtls = dtls;
  self->observing = true;
  rtc_pc_sctp_transport_set_observer(t, &kSctpObserver, self);
  rtcbox_wrapper_set_strong(&self->h.wrapper, true);
  return self;
}

void rtcbox_sctp_transport_pc_closed(rtcbox_RTCSctpTransport* t) {
  /* Not its DTLS transport: the peer connection closes the DTLS
   * transports of its registry itself, and a replaced association may
   * leave its DTLS transport carrying the next one. */
  if (!t || !t->observing)
    return;
  t->observing = false;
  rtc_pc_sctp_transport_set_observer(t->transport, NULL, NULL);
  rtcbox_wrapper_set_strong(&t->h.wrapper, false);
}

static void sctp_on_state_change(void* user) {
  rtcbox_RTCSctpTransport* self = user;
  if (!self->observing)
    return;
  rtcbox_impl_ref(&self->h); /* alive across JS */
  rtcbox_fire_event(&self->h.wrapper, "statechange", false, false);
  rtcbox_impl_unref(&self->h);
}

void rtcbox_RTCSctpTransport_finalize(rtcbox_RTCSctpTransport* self) {
  rtcbox_impl_unref(&self->h);
}

rtc_error rtcbox_RTCSctpTransport_get_transport(
    rtcbox_ctx* ctx,
    rtcbox_RTCSctpTransport* self,
    rtcbox_RTCDtlsTransport** result) {
  (void)ctx;
  *result = RTCBOX_OUT(self->dtls);
  return RTC_OK;
}

rtc_error rtcbox_RTCSctpTransport_get_state(
    rtcbox_ctx* ctx,
    rtcbox_RTCSctpTransport* self,
    rtcbox_RTCSctpTransportState* result) {
  (void)ctx;
  switch (rtc_pc_sctp_transport_state(self->transport)) {
    case RTC_PC_SCTP_CONNECTING:
      *result = RTCBOX_RTCSctpTransportState_connecting;
      return RTC_OK;
    case RTC_PC_SCTP_CONNECTED:
      *result = RTCBOX_RTCSctpTransportState_connected;
      return RTC_OK;
    case RTC_PC_SCTP_CLOSED:
      break;
  }
  *result = RTCBOX_RTCSctpTransportState_closed;
  return RTC_OK;
}

/* webrtc-pc §6.1.1.1 maxMessageSize: [[MaxMessageSize]] (always a number
 * here; INFINITY when neither side limits it). */
rtc_error rtcbox_RTCSctpTransport_get_maxMessageSize(
    rtcbox_ctx* ctx,
    rtcbox_RTCSctpTransport* self,
    rtcbox_nullable_double* result) {
  (void)ctx;
  result->is_null = false;
  result->value = rtc_pc_sctp_transport_max_message_size(self->transport);
  return RTC_OK;
}

/* maxChannels: null until the SCTP transport is connected. */
rtc_error rtcbox_RTCSctpTransport_get_maxChannels(
    rtcbox_ctx* ctx,
    rtcbox_RTCSctpTransport* self,
    rtcbox_nullable_uint16* result) {
  (void)ctx;
  int32_t n = rtc_pc_sctp_transport_max_channels(self->transport);
  result->is_null = n < 0;
  if (n < 0)
    result->value = 0;
  else
    result->value = n > UINT16_MAX ? UINT16_MAX : (uint16_t)n;
  return RTC_OK;
}
