/*
 * What pc/sdp.c, pc/sdp_parse.c and pc/sdp_write.c share: the order the
 * serializer writes things in, which the parser also uses to leave parsed
 * descriptions in canonical order.
 */
#ifndef PC_SDP_INTERNAL_H_
#define PC_SDP_INTERNAL_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc/sdp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 8866 §9: token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39
 * / %x41-5A / %x5E-7E. */
bool rtc_sdp_is_token_char(unsigned char c);
/* Non-empty and only token characters. */
bool rtc_sdp_is_token(const char* s);

/* An empty session allocated in a new arena with chunks of chunk_size
 * bytes (0: the arena default); NULL on failure. */
rtc_sdp_session* rtc_sdp_session_new(size_t chunk_size);

/* The write order of the known attributes of a level (rtc_sdp_slot),
 * without END; returns its length. */
size_t rtc_sdp_slot_order(bool media_level, const rtc_sdp_slot** order);

/* Position of `slot` in the write order of its level (rtc_sdp_slot):
 * START is 0, END (and any slot the level does not have) is the largest. */
int rtc_sdp_slot_rank(bool media_level, rtc_sdp_slot slot);
#define RTC_SDP_SLOT_RANKS RTC_SDP_SLOT_COUNT

/* The CODECS block is written in buckets: bucket 0 holds rtcp-fb:*, then
 * one bucket per distinct payload type of the m= line in m= line order,
 * then payload types that are not on the m= line, by value. */
#define RTC_SDP_CODEC_BUCKETS (1 + 128 + 128)
typedef struct rtc_sdp_codec_order {
  uint16_t bucket_of_pt[128];
} rtc_sdp_codec_order;
void rtc_sdp_codec_order_init(const rtc_sdp_media* media,
                              rtc_sdp_codec_order* order);
/* Bucket of a payload type (0..127) or RTC_SDP_PT_ANY; out-of-range values
 * (only a hand-built model has them) go last. */
size_t rtc_sdp_codec_bucket(const rtc_sdp_codec_order* order, int pt);

/* Parses a decimal payload type "0".."127" (digits only). */
bool rtc_sdp_parse_pt(const char* s, uint8_t* pt);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // PC_SDP_INTERNAL_H_
