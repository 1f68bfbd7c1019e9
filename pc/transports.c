/*
 * The transport objects a peer connection shows JavaScript: RTCIceTransport,
 * RTCDtlsTransport and RTCSctpTransport (webrtc-pc §5.5, §5.6, §6.1.1).
 * They hold the states the signaling thread learned from the network
 * thread; peer_connection.c updates them through the pc_*_update
 * functions below, which fire the objects' events.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/rtc_transports.h"
#include "pc/peer_connection_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"

/* --- Names --- */

const char* rtc_ice_transport_role_name(rtc_ice_transport_role role) {
  switch (role) {
    case RTC_ICE_TRANSPORT_ROLE_UNKNOWN:
      return "unknown";
    case RTC_ICE_TRANSPORT_ROLE_CONTROLLING:
      return "controlling";
    case RTC_ICE_TRANSPORT_ROLE_CONTROLLED:
      return "controlled";
  }
  return "unknown";
}

const char* rtc_pc_sctp_state_name(rtc_pc_sctp_state state) {
  switch (state) {
    case RTC_PC_SCTP_CONNECTING:
      return "connecting";
    case RTC_PC_SCTP_CONNECTED:
      return "connected";
    case RTC_PC_SCTP_CLOSED:
      return "closed";
  }
  return "closed";
}

/* --- RTCIceTransport --- */

static void free_string(char** s) {
  rtc_free(*s);
  *s = NULL;
}

static void ice_free(rtc_pc_ice_transport* t) {
  free_string(&t->selected_local);
  free_string(&t->selected_remote);
  rtc_free(t);
}

void rtc_pc_ice_transport_ref(rtc_pc_ice_transport* t) {
  rtc_refcount_inc(&t->refs);
}

void rtc_pc_ice_transport_unref(rtc_pc_ice_transport* t) {
  if (t && rtc_refcount_dec(&t->refs))
    ice_free(t);
}

void rtc_pc_ice_transport_set_observer(
    rtc_pc_ice_transport* t,
    const rtc_pc_ice_transport_observer* observer,
    void* user) {
  t->observer = observer;
  t->user = user;
}

rtc_ice_transport_role rtc_pc_ice_transport_role(
    const rtc_pc_ice_transport* t) {
  return t->role;
}

const char* rtc_pc_ice_transport_component(const rtc_pc_ice_transport* t) {
  (void)t;
  return "rtp";
}

rtc_ice_transport_state rtc_pc_ice_transport_state(
    const rtc_pc_ice_transport* t) {
  return t->state;
}

rtc_ice_gathering_state rtc_pc_ice_transport_gathering_state(
    const rtc_pc_ice_transport* t) {
  return t->gathering_state;
}

bool rtc_pc_ice_transport_selected_pair(const rtc_pc_ice_transport* t,
                                        const char** local,
                                        const char** remote) {
  if (!t->selected_local || !t->selected_remote)
    return false;
  *local = t->selected_local;
  *remote = t->selected_remote;
  return true;
}

bool rtc_pc_ice_transport_local_parameters(const rtc_pc_ice_transport* t,
                                           const char** ufrag,
                                           const char** pwd) {
  if (!t->local_ufrag[0])
    return false;
  *ufrag = t->local_ufrag;
  *pwd = t->local_pwd;
  return true;
}

bool rtc_pc_ice_transport_remote_parameters(const rtc_pc_ice_transport* t,
                                            const char** ufrag,
                                            const char** pwd) {
  if (!t->remote_ufrag[0])
    return false;
  *ufrag = t->remote_ufrag;
  *pwd = t->remote_pwd;
  return true;
}

/* --- RTCDtlsTransport --- */

static void dtls_clear_certificates(rtc_pc_dtls_transport* t) {
  for (size_t i = 0; i < t->certificate_count; i++)
    rtc_free(t->certificates[i]);
  t->certificate_count = 0;
}

rtc_pc_dtls_transport* pc_dtls_transport_new(void) {
  rtc_pc_dtls_transport* t = rtc_calloc(1, sizeof(*t));
  if (!t)
    return NULL;
  t->ice = rtc_calloc(1, sizeof(*t->ice));
  if (!t->ice) {
    rtc_free(t);
    return NULL;
  }
  rtc_refcount_init(&t->refs);
  rtc_refcount_init(&t->ice->refs);
  t->state = RTC_DTLS_NEW;
  t->ice->state = RTC_ICE_TRANSPORT_NEW;
  t->ice->gathering_state = RTC_ICE_GATHERING_NEW;
  t->ice->role = RTC_ICE_TRANSPORT_ROLE_UNKNOWN;
  return t;
}

void rtc_pc_dtls_transport_ref(rtc_pc_dtls_transport* t) {
  rtc_refcount_inc(&t->refs);
}

void rtc_pc_dtls_transport_unref(rtc_pc_dtls_transport* t) {
  if (!t || !rtc_refcount_dec(&t->refs))
    return;
  dtls_clear_certificates(t);
  rtc_pc_ice_transport_unref(t->ice);
  rtc_free(t);
}

void rtc_pc_dtls_transport_set_observer(
    rtc_pc_dtls_transport* t,
    const rtc_pc_dtls_transport_observer* observer,
    void* user) {
  t->observer = observer;
  t->user = user;
}

rtc_pc_ice_transport* rtc_pc_dtls_transport_ice_transport(
    rtc_pc_dtls_transport* t) {
  return t->ice;
}

rtc_dtls_state rtc_pc_dtls_transport_state(const rtc_pc_dtls_transport* t) {
  return t->state;
}

size_t rtc_pc_dtls_transport_remote_certificates(const rtc_pc_dtls_transport* t,
                                                 const uint8_t** der,
                                                 size_t* der_len,
                                                 size_t capacity) {
  for (size_t i = 0; i < t->certificate_count && i < capacity; i++) {
    der[i] = t->certificates[i];
    der_len[i] = t->certificate_sizes[i];
  }
  return t->certificate_count;
}

/* --- RTCSctpTransport --- */

rtc_pc_sctp_transport* pc_sctp_transport_new(rtc_pc_dtls_transport* dtls) {
  rtc_pc_sctp_transport* t = rtc_calloc(1, sizeof(*t));
  if (!t)
    return NULL;
  rtc_refcount_init(&t->refs);
  rtc_pc_dtls_transport_ref(dtls);
  t->dtls = dtls;
  t->state = RTC_PC_SCTP_CONNECTING;
  t->max_message_size = 65536;
  t->max_channels = -1;
  return t;
}

void rtc_pc_sctp_transport_ref(rtc_pc_sctp_transport* t) {
  rtc_refcount_inc(&t->refs);
}

void rtc_pc_sctp_transport_unref(rtc_pc_sctp_transport* t) {
  if (!t || !rtc_refcount_dec(&t->refs))
    return;
  rtc_pc_dtls_transport_unref(t->dtls);
  rtc_free(t);
}

void rtc_pc_sctp_transport_set_observer(
    rtc_pc_sctp_transport* t,
    const rtc_pc_sctp_transport_observer* observer,
    void* user) {
  t->observer = observer;
  t->user = user;
}

rtc_pc_dtls_transport* rtc_pc_sctp_transport_transport(
    rtc_pc_sctp_transport* t) {
  return t->dtls;
}

rtc_pc_sctp_state rtc_pc_sctp_transport_state(const rtc_pc_sctp_transport* t) {
  return t->state;
}

double rtc_pc_sctp_transport_max_message_size(const rtc_pc_sctp_transport* t) {
  return t->max_message_size;
}

int32_t rtc_pc_sctp_transport_max_channels(const rtc_pc_sctp_transport* t) {
  return t->max_channels;
}

/* --- Updates from the peer connection (signaling thread) --- */

void pc_ice_transport_update_state(rtc_pc_ice_transport* t,
                                   rtc_ice_transport_state state) {
  if (t->state == state)
    return;
  t->state = state;
  if (t->observer && t->observer->on_state_change)
    t->observer->on_state_change(t->user);
}

void pc_ice_transport_update_gathering(rtc_pc_ice_transport* t,
                                       rtc_ice_gathering_state state) {
  if (t->gathering_state == state)
    return;
  t->gathering_state = state;
  if (t->observer && t->observer->on_gathering_state_change)
    t->observer->on_gathering_state_change(t->user);
}

rtc_error pc_ice_transport_update_selected(rtc_pc_ice_transport* t,
                                           const char* local,
                                           const char* remote) {
  if (t->selected_local && t->selected_remote &&
      strcmp(t->selected_local, local) == 0 &&
      strcmp(t->selected_remote, remote) == 0)
    return RTC_OK;
  char* l = rtc_strdup(local);
  char* r = rtc_strdup(remote);
  if (!l || !r) {
    rtc_free(l);
    rtc_free(r);
    return RTC_ERR_NO_MEMORY;
  }
  free_string(&t->selected_local);
  free_string(&t->selected_remote);
  t->selected_local = l;
  t->selected_remote = r;
  if (t->observer && t->observer->on_selected_candidate_pair_change)
    t->observer->on_selected_candidate_pair_change(t->user);
  return RTC_OK;
}

void pc_ice_transport_set_parameters(rtc_pc_ice_transport* t,
                                     rtc_ice_role role,
                                     const char* local_ufrag,
                                     const char* local_pwd,
                                     const char* remote_ufrag,
                                     const char* remote_pwd) {
  t->role = role == RTC_ICE_ROLE_CONTROLLING
                ? RTC_ICE_TRANSPORT_ROLE_CONTROLLING
                : RTC_ICE_TRANSPORT_ROLE_CONTROLLED;
  if (local_ufrag && local_pwd) {
    snprintf(t->local_ufrag, sizeof(t->local_ufrag), "%s", local_ufrag);
    snprintf(t->local_pwd, sizeof(t->local_pwd), "%s", local_pwd);
  }
  if (remote_ufrag && remote_pwd) {
    snprintf(t->remote_ufrag, sizeof(t->remote_ufrag), "%s", remote_ufrag);
    snprintf(t->remote_pwd, sizeof(t->remote_pwd), "%s", remote_pwd);
  }
}

void pc_dtls_transport_update_state(rtc_pc_dtls_transport* t,
                                    rtc_dtls_state state,
                                    const rtc_error_info* error) {
  if (t->state == state)
    return;
  t->state = state;
  if (state == RTC_DTLS_NEW)
    dtls_clear_certificates(t); /* a new DTLS association is coming */
  /* webrtc-pc §5.5.1: on a failure, the error event, then statechange. */
  if (state == RTC_DTLS_FAILED && error && t->observer &&
      t->observer->on_error) {
    t->observer->on_error(t->user, error);
    /* The handler may close the peer connection (JS may call pc.close()
     * from any event handler): the transport is "closed" now, silently,
     * and fires nothing more. */
    if (t->state != state)
      return;
  }
  if (t->observer && t->observer->on_state_change)
    t->observer->on_state_change(t->user);
}

rtc_error pc_dtls_transport_set_remote_certificates(rtc_pc_dtls_transport* t,
                                                    const uint8_t* const* der,
                                                    const size_t* der_len,
                                                    size_t count) {
  dtls_clear_certificates(t);
  if (count > PC_MAX_REMOTE_CERTIFICATES)
    count = PC_MAX_REMOTE_CERTIFICATES;
  for (size_t i = 0; i < count; i++) {
    uint8_t* copy = rtc_memdup(der[i], der_len[i]);
    if (!copy) {
      dtls_clear_certificates(t);
      return RTC_ERR_NO_MEMORY;
    }
    t->certificates[i] = copy;
    t->certificate_sizes[i] = der_len[i];
    t->certificate_count = i + 1;
  }
  return RTC_OK;
}

void pc_sctp_transport_update(rtc_pc_sctp_transport* t,
                              rtc_pc_sctp_state state,
                              double max_message_size,
                              int32_t max_channels) {
  t->max_message_size = max_message_size;
  if (state == RTC_PC_SCTP_CONNECTED)
    t->max_channels = max_channels;
  if (t->state == state)
    return;
  t->state = state;
  if (t->observer && t->observer->on_state_change)
    t->observer->on_state_change(t->user);
}

/* webrtc-pc §4.4.1.3 close: every transport to closed, no events. */
void pc_dtls_transport_close_silently(rtc_pc_dtls_transport* t) {
  t->state = RTC_DTLS_CLOSED;
  t->ice->state = RTC_ICE_TRANSPORT_CLOSED;
}

void pc_sctp_transport_close_silently(rtc_pc_sctp_transport* t) {
  t->state = RTC_PC_SCTP_CLOSED;
}

double pc_max_message_size(uint64_t remote, uint64_t can_send) {
  /* webrtc-pc §6.1.1.1 "update the data max message size": 0 means no
   * limit on either side. */
  if (remote == 0 && can_send == 0)
    return INFINITY;
  if (remote == 0)
    return (double)can_send;
  if (can_send == 0)
    return (double)remote;
  return (double)(remote < can_send ? remote : can_send);
}

/* --- Where they are reached --- */

rtc_pc_sctp_transport* rtc_peer_connection_sctp(rtc_peer_connection* pc) {
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  return pc->sctp_object;
}

rtc_pc_dtls_transport* rtc_rtp_transceiver_transport(rtc_rtp_transceiver* t) {
  rtc_peer_connection* pc = t->pc;
  if (!pc || !t->mid[0])
    return NULL;
  RTC_DCHECK(rtc_task_queue_is_current(pc->signaling));
  if (!pc_local_description(pc) && !pc_remote_description(pc))
    return NULL;
  const char* name = pc_jsep_transport_for_mid(pc, t->mid);
  for (size_t i = 0; name && i < pc->transport_count; i++) {
    if (strcmp(pc->transports[i].name, name) == 0)
      return pc->transports[i].object;
  }
  return NULL;
}
