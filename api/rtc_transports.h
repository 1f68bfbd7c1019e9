/*
 * RTCIceTransport, RTCDtlsTransport and RTCSctpTransport (webrtc-pc §5.5,
 * §5.6, §6.1.1) as a C API: what a peer connection's transports look like
 * from JavaScript. They are views that the peer connection keeps up to
 * date on the signaling queue; the transports themselves run on the
 * network thread.
 *
 * Where they come from: rtc_rtp_transceiver_transport() (sender.transport
 * and receiver.transport, one DTLS transport per BUNDLE group),
 * rtc_peer_connection_sctp() (pc.sctp), rtc_pc_sctp_transport_transport()
 * and rtc_pc_dtls_transport_ice_transport().
 *
 * Ownership: each object is reference-counted. The getters return a
 * borrowed pointer (transfer none) that stays valid while the peer
 * connection uses the transport; take a reference (…_ref) to keep it
 * longer, for example for a JS wrapper. After the peer connection drops a
 * transport (it left the descriptions, or close()), the object stays
 * valid for those who hold a reference, in its last state ("closed" after
 * close()), and fires no more events.
 *
 * Threads: everything here, callbacks included, on the signaling queue of
 * the peer connection the transport belongs to. Callbacks must not destroy
 * that peer connection; they may close it (pc.close() from an event
 * handler), and then nothing fires after the callback.
 *
 * Event order (webrtc-pc): a transport's statechange fires before the peer
 * connection's iceconnectionstatechange / connectionstatechange that it
 * causes (an RTCIceTransport's statechange handler already reads the peer
 * connection's new states, §5.6); a DTLS failure fires `error` on the DTLS
 * transport, then its statechange.
 */
#ifndef API_RTC_TRANSPORTS_H_
#define API_RTC_TRANSPORTS_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/dtls_transport.h"
#include "p2p/ice_agent.h"
#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtc_pc_ice_transport rtc_pc_ice_transport;
typedef struct rtc_pc_dtls_transport rtc_pc_dtls_transport;
typedef struct rtc_pc_sctp_transport rtc_pc_sctp_transport;

/* --- RTCIceTransport --- */

/* RTCIceRole */
typedef enum rtc_ice_transport_role {
  RTC_ICE_TRANSPORT_ROLE_UNKNOWN = 0,
  RTC_ICE_TRANSPORT_ROLE_CONTROLLING,
  RTC_ICE_TRANSPORT_ROLE_CONTROLLED,
} rtc_ice_transport_role;

const char* rtc_ice_transport_role_name(rtc_ice_transport_role role);

typedef struct rtc_pc_ice_transport_observer {
  void (*on_state_change)(void* user);
  void (*on_gathering_state_change)(void* user);
  void (*on_selected_candidate_pair_change)(void* user);
} rtc_pc_ice_transport_observer;

void rtc_pc_ice_transport_ref(rtc_pc_ice_transport* t);
void rtc_pc_ice_transport_unref(rtc_pc_ice_transport* t); /* NULL ignored */
/* (observer: transfer none, NULL to clear) */
void rtc_pc_ice_transport_set_observer(
    rtc_pc_ice_transport* t,
    const rtc_pc_ice_transport_observer* observer,
    void* user);
rtc_ice_transport_role rtc_pc_ice_transport_role(const rtc_pc_ice_transport* t);
/* RTCIceComponent: always "rtp" (rtcp-mux is mandatory). */
const char* rtc_pc_ice_transport_component(const rtc_pc_ice_transport* t);
rtc_ice_transport_state rtc_pc_ice_transport_state(
    const rtc_pc_ice_transport* t);
rtc_ice_gathering_state rtc_pc_ice_transport_gathering_state(
    const rtc_pc_ice_transport* t);
/* getSelectedCandidatePair(): false when there is none (null). The
 * strings are "candidate:..." attributes as in icecandidate events.
 * (transfer none: valid until the next event or call on the signaling
 * queue) */
bool rtc_pc_ice_transport_selected_pair(const rtc_pc_ice_transport* t,
                                        const char** local,
                                        const char** remote);
/* getLocalParameters() / getRemoteParameters() (RTCIceParameters): false
 * when null. (transfer none, as above) */
bool rtc_pc_ice_transport_local_parameters(const rtc_pc_ice_transport* t,
                                           const char** ufrag,
                                           const char** pwd);
bool rtc_pc_ice_transport_remote_parameters(const rtc_pc_ice_transport* t,
                                            const char** ufrag,
                                            const char** pwd);

/* --- RTCDtlsTransport --- */

typedef struct rtc_pc_dtls_transport_observer {
  void (*on_state_change)(void* user);
  /* RTCErrorEvent: code RTC_ERR_DTLS_FAILURE ("dtls-failure", with the
   * alert in received_alert/sent_alert when there was one) or
   * RTC_ERR_FINGERPRINT_FAILURE ("fingerprint-failure"). */
  void (*on_error)(void* user, const rtc_error_info* error);
} rtc_pc_dtls_transport_observer;

void rtc_pc_dtls_transport_ref(rtc_pc_dtls_transport* t);
void rtc_pc_dtls_transport_unref(rtc_pc_dtls_transport* t); /* NULL ignored */
void rtc_pc_dtls_transport_set_observer(
    rtc_pc_dtls_transport* t,
    const rtc_pc_dtls_transport_observer* observer,
    void* user);
/* [SameObject] iceTransport. (transfer none: lives as long as t) */
rtc_pc_ice_transport* rtc_pc_dtls_transport_ice_transport(
    rtc_pc_dtls_transport* t);
/* RTCDtlsTransportState */
rtc_dtls_state rtc_pc_dtls_transport_state(const rtc_pc_dtls_transport* t);
/* getRemoteCertificates(): the peer's chain as DER, leaf first, at most
 * `capacity` entries; returns how many there are (0 until connected).
 * (transfer none: valid as long as t) */
size_t rtc_pc_dtls_transport_remote_certificates(const rtc_pc_dtls_transport* t,
                                                 const uint8_t** der,
                                                 size_t* der_len,
                                                 size_t capacity);

/* --- RTCSctpTransport --- */

/* RTCSctpTransportState */
typedef enum rtc_pc_sctp_state {
  RTC_PC_SCTP_CONNECTING = 0,
  RTC_PC_SCTP_CONNECTED,
  RTC_PC_SCTP_CLOSED,
} rtc_pc_sctp_state;

const char* rtc_pc_sctp_state_name(rtc_pc_sctp_state state);

typedef struct rtc_pc_sctp_transport_observer {
  void (*on_state_change)(void* user);
} rtc_pc_sctp_transport_observer;

void rtc_pc_sctp_transport_ref(rtc_pc_sctp_transport* t);
void rtc_pc_sctp_transport_unref(rtc_pc_sctp_transport* t); /* NULL ignored */
void rtc_pc_sctp_transport_set_observer(
    rtc_pc_sctp_transport* t,
    const rtc_pc_sctp_transport_observer* observer,
    void* user);
/* The DTLS transport it runs over. (transfer none: lives as long as t) */
rtc_pc_dtls_transport* rtc_pc_sctp_transport_transport(
    rtc_pc_sctp_transport* t);
rtc_pc_sctp_state rtc_pc_sctp_transport_state(const rtc_pc_sctp_transport* t);
/* maxMessageSize (unrestricted double: INFINITY when the peer set no
 * limit and neither do we; we always do). */
double rtc_pc_sctp_transport_max_message_size(const rtc_pc_sctp_transport* t);
/* maxChannels: -1 (null) until connected. */
int32_t rtc_pc_sctp_transport_max_channels(const rtc_pc_sctp_transport* t);

/* --- Where they are reached --- */

typedef struct rtc_peer_connection rtc_peer_connection;
typedef struct rtc_rtp_transceiver rtc_rtp_transceiver;

/* pc.sctp: NULL (null) until a description negotiates the data channels'
 * SCTP association. (transfer none) */
rtc_pc_sctp_transport* rtc_peer_connection_sctp(rtc_peer_connection* pc);
/* sender.transport and receiver.transport (the same object with rtcp-mux
 * and BUNDLE): NULL until a description gave the transceiver a transport.
 * (transfer none) */
rtc_pc_dtls_transport* rtc_rtp_transceiver_transport(rtc_rtp_transceiver* t);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // API_RTC_TRANSPORTS_H_
