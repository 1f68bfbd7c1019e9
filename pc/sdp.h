/*
 * SDP (RFC 8866) as JSEP (RFC 9429) uses it: a data model, a parser and a
 * serializer.
 *
 * The model is a tree of plain structs. A whole description lives in one
 * arena (rtc_base/arena.h) owned by its rtc_sdp_session: every struct,
 * array and string below is arena memory and rtc_sdp_session_destroy()
 * frees all of it at once. Arrays are a pointer, a count (`num_x`) and a
 * capacity (`cap_x`, for rtc_sdp_push; do not touch it). Optional strings
 * are NULL when absent ("" is a present, empty value).
 *
 * Parsing (rtc_sdp_parse) faces hostile input: every line is checked
 * against the grammar of the attribute it carries (RFC 9429 §5.8: "If any
 * line is not well-formed, or cannot be parsed as described, the parser
 * MUST stop with an error and reject the session description"); unknown
 * attributes, and known ones at a level where they mean nothing, are kept
 * verbatim in `attributes` (RFC 8866 §5.13: unknown attributes are
 * ignored) so that re-serializing keeps them.
 *
 * Serializing (rtc_sdp_serialize) writes the lines in the RFC 8866 §5
 * order and the attributes in libwebrtc's (Chrome's) order, see
 * rtc_sdp_slot, with CRLF line ends. A parsed description is canonical:
 * its arrays are in the order the serializer writes them, so
 *   parse(serialize(parse(x))) equals parse(x) (rtc_sdp_session_equal), and
 *   serialize(parse(serialize(parse(x)))) == serialize(parse(x)) byte for
 *   byte.
 * The captured Chromium and libwebrtc (wrtc) descriptions come out byte for
 * byte as they were written.
 *
 * What the parser does not check (JSEP's job, RFC 9429 §5.8-5.10): that
 * BUNDLE mids exist, that each payload type has an rtpmap, that a c= line
 * exists, that ICE credentials or fingerprints are present, that mids are
 * unique, that fmtp parameters are valid for their codec.
 *
 * Threads: a session belongs to one thread at a time; the functions are
 * pure (no globals, no I/O) and may run on any thread.
 */
#ifndef PC_SDP_H_
#define PC_SDP_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p/candidate.h"
#include "p2p/certificate.h"
#include "rtc_base/arena.h"
#include "rtc_base/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- Limits on parsed input (each exceeded one is RTC_ERR_SDP_SYNTAX) --- */

/* Size of the description counting every line end as two bytes (CRLF) and
 * each a=candidate line at the length the serializer will write it, so that
 * whatever parses still parses once re-serialized. */
#define RTC_SDP_MAX_SIZE (4u * 1024 * 1024)
/* Bytes in one line, line end excluded. */
#define RTC_SDP_MAX_LINE_LENGTH (64u * 1024)
#define RTC_SDP_MAX_LINES 65536u
#define RTC_SDP_MAX_MEDIA 1024u
/* a=candidate lines in the whole description (an rtc_candidate is ~1.4 KiB;
 * this bounds the memory a description can make us allocate). */
#define RTC_SDP_MAX_CANDIDATES 4096u

/* --- Enumerations --- */

/* RFC 8866 §6.7 (media direction). RTC_SDP_DIRECTION_NONE: no attribute
 * (the level's default applies: sendrecv, or the session's). */
typedef enum rtc_sdp_direction {
  RTC_SDP_DIRECTION_NONE = 0,
  RTC_SDP_DIRECTION_SENDRECV,
  RTC_SDP_DIRECTION_SENDONLY,
  RTC_SDP_DIRECTION_RECVONLY,
  RTC_SDP_DIRECTION_INACTIVE,
} rtc_sdp_direction;
/* "sendrecv", "sendonly", "recvonly", "inactive"; "" for NONE. */
const char* rtc_sdp_direction_name(rtc_sdp_direction direction);

/* RFC 4145 §4 a=setup (RFC 8842 §5.1 for DTLS). NONE: absent. */
typedef enum rtc_sdp_setup {
  RTC_SDP_SETUP_NONE = 0,
  RTC_SDP_SETUP_ACTPASS,
  RTC_SDP_SETUP_ACTIVE,
  RTC_SDP_SETUP_PASSIVE,
  RTC_SDP_SETUP_HOLDCONN,
} rtc_sdp_setup;
/* "actpass", "active", "passive", "holdconn"; "" for NONE. */
const char* rtc_sdp_setup_name(rtc_sdp_setup setup);

/* Where an attribute kept verbatim (rtc_sdp_attribute) is written: right
 * after the lines of the known attribute `after` in its section. The
 * serializer writes a section's known attributes in this order (the order
 * of libwebrtc's SdpSerialize / BuildMediaDescription):
 *
 *   session: START, group, extmap-allow-mixed, msid-semantic, ice-lite,
 *            ice-ufrag, ice-pwd, ice-options, fingerprint, setup, tls-id,
 *            extmap, direction, end-of-candidates, END
 *   media:   START, bundle-only, rtcp, candidate, end-of-candidates,
 *            ice-ufrag, ice-pwd, ice-options, fingerprint, setup, tls-id,
 *            mid, sctp-port, sctpmap, max-message-size, extmap-allow-mixed,
 *            extmap, direction, msid, rtcp-mux, rtcp-mux-only, rtcp-rsize,
 *            crypto, CODECS, ssrc-group, ssrc, rid, simulcast, END
 *
 * CODECS: for each payload type in m= line order, its rtpmap, its rtcp-fb
 * lines and its fmtp lines (Chrome's grouping); rtcp-fb:* lines come first,
 * lines of payload types not in the m= line last (by payload type).
 *
 * The parser records in `after` the last known attribute seen before the
 * unknown one, so unknown attributes come back where they were whenever the
 * input was in this order (Chrome's a=rtcp-xr after a=rtcp-rsize). A zeroed
 * rtc_sdp_attribute has RTC_SDP_SLOT_END: written last. A slot that does not
 * exist at the attribute's level counts as END. */
typedef enum rtc_sdp_slot {
  RTC_SDP_SLOT_END = 0,
  RTC_SDP_SLOT_START,
  RTC_SDP_SLOT_GROUP,
  RTC_SDP_SLOT_MSID_SEMANTIC,
  RTC_SDP_SLOT_ICE_LITE,
  RTC_SDP_SLOT_BUNDLE_ONLY,
  RTC_SDP_SLOT_RTCP,
  RTC_SDP_SLOT_CANDIDATE,
  RTC_SDP_SLOT_END_OF_CANDIDATES,
  RTC_SDP_SLOT_ICE_UFRAG,
  RTC_SDP_SLOT_ICE_PWD,
  RTC_SDP_SLOT_ICE_OPTIONS,
  RTC_SDP_SLOT_FINGERPRINT,
  RTC_SDP_SLOT_SETUP,
  RTC_SDP_SLOT_TLS_ID,
  RTC_SDP_SLOT_MID,
  RTC_SDP_SLOT_SCTP_PORT,
  RTC_SDP_SLOT_SCTPMAP,
  RTC_SDP_SLOT_MAX_MESSAGE_SIZE,
  RTC_SDP_SLOT_EXTMAP_ALLOW_MIXED,
  RTC_SDP_SLOT_EXTMAP,
  RTC_SDP_SLOT_DIRECTION,
  RTC_SDP_SLOT_MSID,
  RTC_SDP_SLOT_RTCP_MUX,
  RTC_SDP_SLOT_RTCP_MUX_ONLY,
  RTC_SDP_SLOT_RTCP_RSIZE,
  RTC_SDP_SLOT_CRYPTO,
  RTC_SDP_SLOT_CODECS,
  RTC_SDP_SLOT_SSRC_GROUP,
  RTC_SDP_SLOT_SSRC,
  RTC_SDP_SLOT_RID,
  RTC_SDP_SLOT_SIMULCAST,
  RTC_SDP_SLOT_COUNT, /* not a slot */
} rtc_sdp_slot;
/* The attribute name ("ice-ufrag", "rtpmap" for CODECS, "sendrecv" for
 * DIRECTION); "(start)" / "(end)" for START and END. */
const char* rtc_sdp_slot_name(rtc_sdp_slot slot);

/* --- Fields shared by several lines --- */

/* c= (RFC 8866 §5.7): absent when nettype is NULL. The address is kept as
 * written (a multicast "/ttl/n" suffix included). */
typedef struct rtc_sdp_connection {
  const char* nettype;  /* "IN" */
  const char* addrtype; /* "IP4", "IP6" */
  const char* address;
} rtc_sdp_connection;

/* b=<bwtype>:<bandwidth> (RFC 8866 §5.8). */
typedef struct rtc_sdp_bandwidth {
  const char* type; /* "AS", "TIAS", "CT", ... */
  uint64_t value;
} rtc_sdp_bandwidth;

/* An attribute kept verbatim: a=<name>[:<value>]. */
typedef struct rtc_sdp_attribute {
  const char* name;
  const char* value; /* NULL: a property attribute (no colon) */
  rtc_sdp_slot after;
} rtc_sdp_attribute;

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285 §8). */
typedef struct rtc_sdp_extmap {
  uint16_t id;                 /* 1..255 */
  rtc_sdp_direction direction; /* NONE: no "/direction" */
  const char* uri;
  const char* attributes; /* NULL when absent; verbatim */
} rtc_sdp_extmap;

/* --- Session level --- */

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>
 * (RFC 8866 §5.2). */
typedef struct rtc_sdp_origin {
  const char* username; /* "-" */
  /* The decimal string as written (1..20 digits: what serializes), and its
   * value when it fits in 64 bits. */
  const char* session_id;
  bool session_id_fits;
  uint64_t session_id_value;
  uint64_t session_version;
  const char* nettype;
  const char* addrtype;
  const char* address;
} rtc_sdp_origin;

/* t=<start> <stop> with its r= lines and z= line (RFC 8866 §5.9-5.11,
 * kept verbatim). */
typedef struct rtc_sdp_time {
  uint64_t start;
  uint64_t stop;
  const char** repeats; /* r= values */
  size_t num_repeats, cap_repeats;
  const char* zone; /* z= value or NULL */
} rtc_sdp_time;

/* a=group:<semantics> *(SP <mid>) (RFC 5888 §5). */
typedef struct rtc_sdp_group {
  const char* semantics; /* "BUNDLE", "LS", ... */
  const char** mids;
  size_t num_mids, cap_mids;
} rtc_sdp_group;

/* a=msid-semantic:<semantic> *(SP <id>) (the legacy WMS line). Chrome
 * writes "a=msid-semantic: WMS <ids>" (a space after the colon: kept in
 * `space_before` so that the line comes back as written), Firefox
 * "a=msid-semantic:WMS *". */
typedef struct rtc_sdp_msid_semantic {
  const char* semantic;
  const char** ids;
  size_t num_ids, cap_ids;
  bool space_before;
} rtc_sdp_msid_semantic;

/* --- Media level --- */

/* a=msid:<stream id> [<track id>] (RFC 8830 §2); stream id "-": no
 * stream. */
typedef struct rtc_sdp_msid {
  const char* stream_id;
  const char* track_id; /* NULL when absent */
} rtc_sdp_msid;

/* a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605 §2.1). */
typedef struct rtc_sdp_rtcp {
  uint16_t port;
  rtc_sdp_connection connection; /* nettype NULL: port only */
} rtc_sdp_rtcp;

/* a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>] (RFC 8866 §6.6). */
typedef struct rtc_sdp_rtpmap {
  uint8_t pt; /* 0..127 */
  const char* encoding;
  uint32_t clock_rate;
  uint32_t channels; /* 0 when absent */
} rtc_sdp_rtpmap;

/* a=fmtp:<pt> <parameters> (RFC 8866 §6.15); parameters verbatim (see
 * rtc_sdp_fmtp_param). */
typedef struct rtc_sdp_fmtp {
  uint8_t pt;
  const char* params; /* "" when the line has none */
} rtc_sdp_fmtp;

#define RTC_SDP_PT_ANY (-1) /* a=rtcp-fb:* */

/* a=rtcp-fb:<pt or *> <value> (RFC 4585 §4.2): "nack", "nack pli",
 * "ccm fir", "transport-cc", "trr-int 100", ... kept verbatim. */
typedef struct rtc_sdp_rtcp_fb {
  int16_t pt; /* 0..127 or RTC_SDP_PT_ANY */
  const char* value;
} rtc_sdp_rtcp_fb;

/* a=ssrc:<ssrc> <attribute>[:<value>] (RFC 5576 §4.1). */
typedef struct rtc_sdp_ssrc {
  uint32_t ssrc;
  const char* attribute; /* "cname", "msid", ... */
  const char* value;     /* NULL when there is no colon */
} rtc_sdp_ssrc;

/* a=ssrc-group:<semantics> *(SP <ssrc>) (RFC 5576 §4.2). */
typedef struct rtc_sdp_ssrc_group {
  const char* semantics; /* "FID", "FEC-FR", "SIM", ... */
  uint32_t* ssrcs;
  size_t num_ssrcs, cap_ssrcs;
} rtc_sdp_ssrc_group;

/* a=rid:<id> send|recv [<params>] (RFC 8851 §10). */
typedef struct rtc_sdp_rid {
  const char* id;
  bool send;          /* false: recv */
  const char* params; /* "pt=96,97;max-width=1280" verbatim, or NULL */
} rtc_sdp_rid;

/* a=simulcast (RFC 8853 §5.1): the send and recv stream lists verbatim
 * ("q;h;f", "~1;2"); NULL when that direction is absent; both NULL: no
 * attribute. Written as "send <list> recv <list>". */
typedef struct rtc_sdp_simulcast {
  const char* send;
  const char* recv;
} rtc_sdp_simulcast;

/* The legacy a=sctpmap:<port> <app> [<streams>]
 * (draft-ietf-mmusic-sctp-sdp-05 §4.1; aiortc still writes it with
 * "m=application <port> DTLS/SCTP 5000"). */
typedef struct rtc_sdp_sctpmap {
  uint16_t port;
  const char* app;  /* "webrtc-datachannel" */
  uint32_t streams; /* 0 when absent */
} rtc_sdp_sctpmap;

/* One m= section (RFC 8866 §5.14) with what follows it. */
typedef struct rtc_sdp_media {
  /* m=<type> <port>[/<num_ports>] <proto> <fmt> ... */
  const char* type; /* "audio", "video", "application", ... */
  uint16_t port;
  uint32_t num_ports; /* 0 when absent */
  const char* proto;  /* "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ... */
  const char** fmts;  /* at least one when serialized */
  size_t num_fmts, cap_fmts;

  const char* information;       /* i= */
  rtc_sdp_connection connection; /* c= */
  rtc_sdp_bandwidth* bandwidths; /* b= */
  size_t num_bandwidths, cap_bandwidths;

  const char* mid;
  bool bundle_only; /* RFC 8843 §6 */
  /* RFC 8839 §5.4, §5.6: ice-ufrag, ice-pwd, and ice-options verbatim
   * ("trickle", libdatachannel's "ice2,trickle"; see
   * rtc_sdp_ice_options_has). */
  const char* ice_ufrag;
  const char* ice_pwd;
  const char* ice_options;
  rtc_fingerprint* fingerprints; /* RFC 8122 §5 */
  size_t num_fingerprints, cap_fingerprints;
  rtc_sdp_setup setup;
  const char* tls_id; /* RFC 8842 §4 */

  rtc_candidate* candidates; /* RFC 8839 §5.1, in order */
  size_t num_candidates, cap_candidates;
  bool end_of_candidates; /* RFC 8838 §8.2 */

  bool has_rtcp;
  rtc_sdp_rtcp rtcp;
  bool rtcp_mux;      /* RFC 5761 §5.1.1 */
  bool rtcp_mux_only; /* RFC 8858 §3 */
  bool rtcp_rsize;    /* RFC 5506 §5 */

  rtc_sdp_direction direction;
  rtc_sdp_msid* msids;
  size_t num_msids, cap_msids;
  bool extmap_allow_mixed; /* RFC 8285 §6 */
  rtc_sdp_extmap* extmaps;
  size_t num_extmaps, cap_extmaps;

  rtc_sdp_rtpmap* rtpmaps;
  size_t num_rtpmaps, cap_rtpmaps;
  rtc_sdp_fmtp* fmtps;
  size_t num_fmtps, cap_fmtps;
  rtc_sdp_rtcp_fb* rtcp_fbs;
  size_t num_rtcp_fbs, cap_rtcp_fbs;

  rtc_sdp_ssrc* ssrcs;
  size_t num_ssrcs, cap_ssrcs;
  rtc_sdp_ssrc_group* ssrc_groups;
  size_t num_ssrc_groups, cap_ssrc_groups;
  rtc_sdp_rid* rids;
  size_t num_rids, cap_rids;
  rtc_sdp_simulcast simulcast;

  /* RFC 8841 §5.1 a=sctp-port, §6.1 a=max-message-size. */
  bool has_sctp_port;
  uint16_t sctp_port;
  bool has_sctpmap;
  rtc_sdp_sctpmap sctpmap;
  bool has_max_message_size;
  uint64_t max_message_size;

  /* a=crypto values (RFC 4568 §9.1), verbatim: SDES keys. JSEP rejects
   * descriptions that rely on them (RFC 8827 §6.5). */
  const char** cryptos;
  size_t num_cryptos, cap_cryptos;

  rtc_sdp_attribute* attributes; /* everything else, verbatim */
  size_t num_attributes, cap_attributes;
} rtc_sdp_media;

/* A session description. */
typedef struct rtc_sdp_session {
  rtc_arena arena; /* (private) owns this struct and everything below */

  /* v=0 is implied (RFC 8866 §5.1: the only version). */
  rtc_sdp_origin origin;
  const char* name;        /* s= */
  const char* information; /* i= */
  const char* uri;         /* u= */
  const char** emails;     /* e= */
  size_t num_emails, cap_emails;
  const char** phones; /* p= */
  size_t num_phones, cap_phones;
  rtc_sdp_connection connection; /* c= */
  rtc_sdp_bandwidth* bandwidths; /* b= */
  size_t num_bandwidths, cap_bandwidths;
  rtc_sdp_time* times; /* t= (at least one when serialized) */
  size_t num_times, cap_times;
  /* k= lines are parsed and dropped (RFC 8866 §5.12: obsolete, "MUST
   * discard it if it is received"). */

  rtc_sdp_group* groups;
  size_t num_groups, cap_groups;
  rtc_sdp_msid_semantic* msid_semantics;
  size_t num_msid_semantics, cap_msid_semantics;
  bool ice_lite; /* RFC 8839 §5.3 */
  const char* ice_ufrag;
  const char* ice_pwd;
  const char* ice_options;
  rtc_fingerprint* fingerprints;
  size_t num_fingerprints, cap_fingerprints;
  rtc_sdp_setup setup;
  const char* tls_id;
  bool extmap_allow_mixed;
  rtc_sdp_extmap* extmaps;
  size_t num_extmaps, cap_extmaps;
  rtc_sdp_direction direction;
  bool end_of_candidates;
  rtc_sdp_attribute* attributes; /* everything else, verbatim */
  size_t num_attributes, cap_attributes;

  /* Pointers, so that an rtc_sdp_media* stays valid when media are added. */
  rtc_sdp_media** media;
  size_t num_media, cap_media;
} rtc_sdp_session;

/* --- Parse and serialize --- */

/* Parses `len` bytes of SDP (need not be NUL-terminated). Lines end with
 * CRLF or LF; the last line end may be missing.
 * Errors:
 *   RTC_ERR_SDP_SYNTAX: the description is malformed; info->sdp_line_number
 *     (1-based) names the line and info->message says what is wrong. Among
 *     others: a line not of the form <letter>=<value>, an unknown line type,
 *     lines out of the RFC 8866 §5 order or missing (v=, o=, s=, t=), v=
 *     other than 0, an empty line, a NUL byte or a control character other
 *     than tab, a line or description over the limits above, an m= line with
 *     a bad port/proto/fmt, a known attribute whose value does not follow
 *     its grammar (numbers out of range: payload types 0..127, extmap ids
 *     1..255, ssrc 32 bits, ports 16 bits), a candidate rtc_candidate_parse
 *     rejects, a fingerprint that does not parse ("unsupported fingerprint
 *     hash" for md5 and unknown hashes), conflicting duplicates of a
 *     single-valued attribute (a=mid, a=ice-ufrag, a direction, ...; an
 *     identical repeat is accepted), a second a=rtpmap for a payload type,
 *     more than one c= line in a media section (multicast layering is not
 *     supported).
 *   RTC_ERR_NO_MEMORY (nothing is leaked).
 * `info` may be NULL. (out: transfer full; rtc_sdp_session_destroy it) */
rtc_error rtc_sdp_parse(const char* text,
                        size_t len,
                        rtc_sdp_session** out,
                        rtc_error_info* info);

/* Writes the description (RFC 8866 §5 line order, the attribute order of
 * rtc_sdp_slot, CRLF line ends) into a NUL-terminated rtc_malloc'ed string;
 * `out_len` (may be NULL) gets its length.
 * Errors: RTC_ERR_INVALID_ARGUMENT when the model cannot be written as a
 * valid description (info->message names the field): a missing required
 * field (origin, session name, t=, m= type/proto/fmt, the name or value of
 * an element), a string with a control character other than tab (CR and LF
 * would inject lines), a space in a field that is one token (mid, ufrag,
 * ids, ...), a payload type over 127, an extmap id outside 1..255;
 * RTC_ERR_NO_MEMORY. (out: transfer full; rtc_free it) */
rtc_error rtc_sdp_serialize(const rtc_sdp_session* session,
                            char** out,
                            size_t* out_len,
                            rtc_error_info* info);

/* --- Building descriptions --- */

/* An empty session in its own arena, with the fields JSEP (RFC 9429
 * §5.2.1) fixes: o=- 0 0 IN IP4 127.0.0.1, s=-, t=0 0. Set the session id
 * with rtc_sdp_session_set_id.
 * Errors: RTC_ERR_NO_MEMORY. (out: transfer full) */
rtc_error rtc_sdp_session_create(rtc_sdp_session** out);
/* Frees the session and everything in its arena. NULL is ignored. */
void rtc_sdp_session_destroy(rtc_sdp_session* session);
/* A deep copy in a new arena: equal (rtc_sdp_session_equal) and sharing
 * no memory with the original. Errors: RTC_ERR_NO_MEMORY. */
rtc_error rtc_sdp_session_clone(const rtc_sdp_session* session,
                                rtc_sdp_session** out);
/* Deep equality of every field, array order included (strings by content,
 * absent != empty, candidates field by field). */
bool rtc_sdp_session_equal(const rtc_sdp_session* a, const rtc_sdp_session* b);

/* Sets origin.session_id (decimal string and value). Errors: NO_MEMORY. */
rtc_error rtc_sdp_session_set_id(rtc_sdp_session* session, uint64_t id);

/* A copy of `str` in the session's arena (NULL in: NULL out; NULL on
 * failure). (transfer none: lives as long as the session) */
char* rtc_sdp_strdup(rtc_sdp_session* session, const char* str);
/* *field = a copy of value (NULL clears). Errors: RTC_ERR_NO_MEMORY (the
 * field is then unchanged). */
rtc_error rtc_sdp_set_string(rtc_sdp_session* session,
                             const char** field,
                             const char* value);

/* Appends a zeroed element to an array of `session` (items, count and
 * capacity as in the structs above) and returns it, or NULL on failure
 * (the array is then unchanged). Element pointers into the array stay
 * valid until the next push onto the same array. Use RTC_SDP_PUSH. */
void* rtc_sdp_push(rtc_sdp_session* session,
                   void* items, /* T** */
                   size_t* count,
                   size_t* capacity,
                   size_t size);
/* RTC_SDP_PUSH(session, media, rtpmaps) -> rtc_sdp_rtpmap* (or NULL). */
#define RTC_SDP_PUSH(session, owner, list)                                   \
  ((__typeof__((owner)->list))rtc_sdp_push(                                  \
      (session), &(owner)->list, &(owner)->num_##list, &(owner)->cap_##list, \
      sizeof(*(owner)->list)))

/* A new media section at the end: type, port and proto copied (port 9 and
 * "UDP/TLS/RTP/SAVPF" / "UDP/DTLS/SCTP" are what JSEP writes, RFC 9429
 * §5.2.1). NULL on failure. (transfer none) */
rtc_sdp_media* rtc_sdp_session_add_media(rtc_sdp_session* session,
                                         const char* type,
                                         uint16_t port,
                                         const char* proto);

/* Convenience appenders; strings are copied. `media` NULL means the
 * session level where the attribute exists at both. All return RTC_OK or
 * RTC_ERR_NO_MEMORY (nothing is appended then). */
rtc_error rtc_sdp_media_add_fmt(rtc_sdp_session* session,
                                rtc_sdp_media* media,
                                const char* fmt);
/* Adds "<pt>" to the m= line and its a=rtpmap (channels 0: none). */
rtc_error rtc_sdp_media_add_codec(rtc_sdp_session* session,
                                  rtc_sdp_media* media,
                                  uint8_t pt,
                                  const char* encoding,
                                  uint32_t clock_rate,
                                  uint32_t channels);
rtc_error rtc_sdp_media_add_fmtp(rtc_sdp_session* session,
                                 rtc_sdp_media* media,
                                 uint8_t pt,
                                 const char* params);
/* pt: 0..127 or RTC_SDP_PT_ANY. */
rtc_error rtc_sdp_media_add_rtcp_fb(rtc_sdp_session* session,
                                    rtc_sdp_media* media,
                                    int pt,
                                    const char* value);
rtc_error rtc_sdp_media_add_ssrc(rtc_sdp_session* session,
                                 rtc_sdp_media* media,
                                 uint32_t ssrc,
                                 const char* attribute,
                                 const char* value);
rtc_error rtc_sdp_media_add_msid(rtc_sdp_session* session,
                                 rtc_sdp_media* media,
                                 const char* stream_id,
                                 const char* track_id);
rtc_error rtc_sdp_media_add_candidate(rtc_sdp_session* session,
                                      rtc_sdp_media* media,
                                      const rtc_candidate* candidate);
rtc_error rtc_sdp_add_fingerprint(rtc_sdp_session* session,
                                  rtc_sdp_media* media,
                                  const rtc_fingerprint* fingerprint);
rtc_error rtc_sdp_add_extmap(rtc_sdp_session* session,
                             rtc_sdp_media* media,
                             uint16_t id,
                             rtc_sdp_direction direction,
                             const char* uri,
                             const char* attributes);
/* An attribute kept verbatim, written at the end of its section. `name`
 * must not be one this parser knows at that level (it would be read back
 * as that attribute). */
rtc_error rtc_sdp_add_attribute(rtc_sdp_session* session,
                                rtc_sdp_media* media,
                                const char* name,
                                const char* value);
/* A group with its mids ("BUNDLE" and the mids of the bundled sections). */
rtc_error rtc_sdp_session_add_group(rtc_sdp_session* session,
                                    const char* semantics,
                                    const char* const* mids,
                                    size_t num_mids);

/* --- Lookups --- */

/* The first a=rtpmap / a=fmtp for `pt`, or NULL. (transfer none) */
const rtc_sdp_rtpmap* rtc_sdp_media_find_rtpmap(const rtc_sdp_media* media,
                                                uint8_t pt);
const rtc_sdp_fmtp* rtc_sdp_media_find_fmtp(const rtc_sdp_media* media,
                                            uint8_t pt);
/* The media section with a=mid:`mid`, or NULL. */
rtc_sdp_media* rtc_sdp_session_find_media(const rtc_sdp_session* session,
                                          const char* mid);
/* The first verbatim attribute called `name` at the media level (`media`
 * non-NULL) or the session level, or NULL. */
const rtc_sdp_attribute* rtc_sdp_find_attribute(const rtc_sdp_session* session,
                                                const rtc_sdp_media* media,
                                                const char* name);

/* Looks `key` up in fmtp parameters "k1=v1;k2=v2" (the RFC 4855 §3
 * convention every WebRTC codec uses; keys are case-insensitive, blanks
 * around ';' and '=' are skipped; entries without '=', like telephone-event's
 * "0-15", never match). Sets *value / *value_len (not NUL-terminated,
 * pointing into params) and returns true when found. */
bool rtc_sdp_fmtp_param(const char* params,
                        const char* key,
                        const char** value,
                        size_t* value_len);

/* True when ice-options (verbatim, may be NULL) lists `option` ("trickle",
 * "ice2"); options are split on spaces, and on commas as libdatachannel
 * writes them. */
bool rtc_sdp_ice_options_has(const char* ice_options, const char* option);

/* True when proto is an RTP profile ("RTP/AVP", "UDP/TLS/RTP/SAVPF", ...:
 * an "RTP" component); its fmts are then payload types (RFC 8866 §5.14). */
bool rtc_sdp_proto_is_rtp(const char* proto);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // PC_SDP_H_
