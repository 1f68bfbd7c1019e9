/*
 * A bound on the stream reset requests usrsctp defers (security checklist
 * DC-07, "outstanding stream resets").
 *
 * RFC 6525 §5.2.2: a receiver performs an Outgoing SSN Reset Request only
 * once it has every TSN up to the request's "Sender's Last Assigned TSN";
 * until then it answers "In progress" and keeps the request. usrsctp 0.9.5
 * keeps each such request in a list of its own, without a limit: a peer
 * that names a TSN it never sends grows it by about 370 bytes a request,
 * for as long as the association lives. A peer that follows the RFC has
 * at most one request in flight (§5.1.1) and a deferral lasts until its
 * data in flight arrives.
 *
 * The guard watches the packets both ways, on the transport's queue: our
 * SACKs tell the cumulative TSN usrsctp has (RFC 9260 §3.3.4), the peer's
 * INIT or INIT ACK its initial TSN (which may only move the point back:
 * erring towards counting more). A request naming a later TSN is
 * deferred: at most RTC_SCTP_MAX_DEFERRED_RESETS of them (by request
 * sequence number, so retransmissions count once) may wait at a time;
 * a packet carrying one more is dropped, as if lost. A request leaves the
 * count when a SACK acknowledges its TSN.
 *
 * Sans-I/O; Threads: the owner's.
 */
#ifndef PC_SCTP_RESET_GUARD_H_
#define PC_SCTP_RESET_GUARD_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RTC_SCTP_MAX_DEFERRED_RESETS 8

typedef struct rtc_sctp_reset_guard {
  bool cum_known;
  uint32_t cum_tsn; /* the peer's TSNs we have, all up to this one */
  size_t count;
  uint32_t seq[RTC_SCTP_MAX_DEFERRED_RESETS];      /* request numbers */
  uint32_t last_tsn[RTC_SCTP_MAX_DEFERRED_RESETS]; /* what each waits for */
} rtc_sctp_reset_guard;

void rtc_sctp_reset_guard_init(rtc_sctp_reset_guard* guard);

/* A packet usrsctp sends to the peer (SCTP common header included). */
void rtc_sctp_reset_guard_outgoing(rtc_sctp_reset_guard* guard,
                                   const uint8_t* data,
                                   size_t size);

/* A packet from the peer: false when it must be dropped (one deferred
 * request too many). Malformed chunks are left to usrsctp. */
bool rtc_sctp_reset_guard_incoming(rtc_sctp_reset_guard* guard,
                                   const uint8_t* data,
                                   size_t size);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // PC_SCTP_RESET_GUARD_H_
