/*
 * The bound on deferred stream reset requests (see sctp_reset_guard.h).
 */
#include "pc/sctp_reset_guard.h"

#include <string.h>

/* RFC 9260 §3: the common header; §3.2: chunk types. */
#define COMMON_HEADER_SIZE 12
#define CHUNK_INIT 1
#define CHUNK_INIT_ACK 2
#define CHUNK_SACK 3
#define CHUNK_NR_SACK 16 /* draft-tuexen-tsvwg-sctp-multipath, usrsctp */
#define CHUNK_RECONFIG 130
/* RFC 6525 §4.1: Outgoing SSN Reset Request Parameter. */
#define PARAM_OUTGOING_RESET 13
#define OUTGOING_RESET_FIXED_SIZE 16

static uint32_t read_u32(const uint8_t* p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | p[3];
}

static size_t read_u16(const uint8_t* p) {
  return ((size_t)p[0] << 8) | p[1];
}

/* RFC 9260 §1.6: TSNs compare by serial number arithmetic (RFC 1982). */
static bool tsn_after(uint32_t a, uint32_t b) {
  return (int32_t)(a - b) > 0;
}

void rtc_sctp_reset_guard_init(rtc_sctp_reset_guard* guard) {
  memset(guard, 0, sizeof(*guard));
}

/* Requests whose TSN has arrived are performed: they wait no more. */
static void expire(rtc_sctp_reset_guard* g) {
  size_t kept = 0;
  for (size_t i = 0; i < g->count; i++) {
    if (tsn_after(g->last_tsn[i], g->cum_tsn)) {
      g->seq[kept] = g->seq[i];
      g->last_tsn[kept] = g->last_tsn[i];
      kept++;
    }
  }
  g->count = kept;
}

void rtc_sctp_reset_guard_outgoing(rtc_sctp_reset_guard* guard,
                                   const uint8_t* data,
                                   size_t size) {
  size_t off = COMMON_HEADER_SIZE;
  while (size >= 4 && off <= size - 4) {
    uint8_t type = data[off];
    size_t len = read_u16(data + off + 2);
    if (len < 4 || len > size - off)
      return;
    /* RFC 9260 §3.3.4: "Cumulative TSN Ack: ... the TSN of the last
     * chunk received in sequence before any gaps." */
    if ((type == CHUNK_SACK || type == CHUNK_NR_SACK) && len >= 8) {
      /* usrsctp's own account: taken as it is, also when it goes back
       * (an association restarted with a new initial TSN). */
      guard->cum_tsn = read_u32(data + off + 4);
      guard->cum_known = true;
      expire(guard);
    }
    off += (len + 3) & ~(size_t)3;
  }
}

/* The Outgoing SSN Reset Requests of the RE-CONFIG chunk value at
 * [off, end): false when one more would be deferred than allowed. */
static bool take_requests(rtc_sctp_reset_guard* g,
                          const uint8_t* data,
                          size_t off,
                          size_t end) {
  while (end >= 4 && off <= end - 4) {
    size_t type = read_u16(data + off);
    size_t len = read_u16(data + off + 2);
    if (len < 4 || len > end - off)
      return true; /* malformed: usrsctp's to refuse */
    if (type == PARAM_OUTGOING_RESET && len >= OUTGOING_RESET_FIXED_SIZE) {
      uint32_t seq = read_u32(data + off + 4);
      uint32_t last_tsn = read_u32(data + off + 12);
      /* RFC 6525 §5.2.2: "If the Sender's Last Assigned TSN is greater
       * than the cumulative acknowledgment point, then the endpoint MUST
       * enter 'deferred reset processing'." Before any SACK we cannot
       * tell: count it. */
      if (!g->cum_known || tsn_after(last_tsn, g->cum_tsn)) {
        bool known = false;
        for (size_t i = 0; i < g->count; i++)
          known |= g->seq[i] == seq;
        if (!known) {
          if (g->count == RTC_SCTP_MAX_DEFERRED_RESETS)
            return false;
          g->seq[g->count] = seq;
          g->last_tsn[g->count] = last_tsn;
          g->count++;
        }
      }
    }
    off += (len + 3) & ~(size_t)3;
  }
  return true;
}

bool rtc_sctp_reset_guard_incoming(rtc_sctp_reset_guard* guard,
                                   const uint8_t* data,
                                   size_t size) {
  /* Counted on a copy, kept only when the whole packet goes through. */
  rtc_sctp_reset_guard g = *guard;
  size_t off = COMMON_HEADER_SIZE;
  while (size >= 4 && off <= size - 4) {
    uint8_t type = data[off];
    size_t len = read_u16(data + off + 2);
    if (len < 4 || len > size - off)
      break;
    /* RFC 9260 §3.3.2/§3.3.3: the peer's Initial TSN, before any SACK
     * of ours. A later INIT (a restart, or a forged one) may only move
     * the point back: counting more requests as deferred is the safe
     * error; our next SACK says where usrsctp really is. */
    if ((type == CHUNK_INIT || type == CHUNK_INIT_ACK) && len >= 20) {
      uint32_t before_first = read_u32(data + off + 16) - 1;
      if (!g.cum_known || tsn_after(g.cum_tsn, before_first)) {
        g.cum_tsn = before_first;
        g.cum_known = true;
      }
    }
    if (type == CHUNK_RECONFIG && !take_requests(&g, data, off + 4, off + len))
      return false;
    off += (len + 3) & ~(size_t)3;
  }
  *guard = g;
  return true;
}
