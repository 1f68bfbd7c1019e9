/*
 * Between jsep.c and transceiver.c (signaling thread): what applying a
 * description does to receivers (webrtc-pc §4.4.1.6 "process remote
 * tracks"). Not an API.
 *
 * The state "process remote tracks" keeps per transceiver
 * ([[FiredDirection]], [[AssociatedRemoteMediaStreams]]) is a function of
 * the descriptions in effect, so it is not stored: it is computed before
 * and after a description is applied, and the differences are what the
 * observer's on_remote_tracks reports.
 */
#ifndef PC_TRANSCEIVER_INTERNAL_H_
#define PC_TRANSCEIVER_INTERNAL_H_

#include "api/rtc_peer_connection.h"
#include "pc/sdp.h"
#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pc_remote_tracks pc_remote_tracks;

/* The receivers' state before a description is applied (each transceiver
 * referenced until pc_remote_tracks_finish). Errors: RTC_ERR_NO_MEMORY.
 * (out: transfer full) */
rtc_error pc_remote_tracks_begin(rtc_peer_connection* pc,
                                 pc_remote_tracks** out);
/* After the description was applied (`applied`) or refused: records which
 * senders have now been used to send (addTrack's reuse rule), reports the
 * changes to the observer (on_remote_tracks) when applied, and frees
 * `before`. NULL `before` only records. */
void pc_remote_tracks_finish(rtc_peer_connection* pc,
                             pc_remote_tracks* before,
                             bool applied);

/* m has a=msid lines and their stream ids are those t's sender announces
 * ([[AssociatedMediaStreamIds]]), as sets; "-" is no stream (RFC 8830
 * §2). */
bool pc_transceiver_msids_match(const rtc_rtp_transceiver* t,
                                const rtc_sdp_media* m);

/* setRemoteDescription: what an RTP media section `m` of a remote
 * description may not carry (RFC 5761 §4: payload types 64-95 with
 * rtcp-mux; RFC 8285 §6: header extension ids remapped from what the
 * current descriptions negotiated for its mid). Errors:
 * RTC_ERR_INVALID_ACCESS. */
rtc_error pc_transceiver_check_remote_rtp(const rtc_peer_connection* pc,
                                          const rtc_sdp_media* m,
                                          rtc_error_info* info);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // PC_TRANSCEIVER_INTERNAL_H_
