/*
 * The DNS message format as Multicast DNS uses it (RFC 1035 §4, RFC 6762
 * §18): a reader that walks the questions and resource records of a
 * received message, and a writer that builds queries and responses with
 * name compression. Internal to p2p/mdns.c (and its tests and fuzzer).
 *
 * Names are kept in their uncompressed wire form (length-prefixed labels
 * ending with the zero-length root label, at most 255 bytes: RFC 1035
 * §3.1), and compared ASCII case-insensitively (RFC 1035 §2.3.3).
 *
 * Hostile input: the reader checks every length against the bytes left,
 * follows at most RTC_MDNS_MAX_POINTER_JUMPS compression pointers and
 * only pointers that go strictly backwards (each one before the previous
 * one), so a message can neither make it read out of bounds nor loop.
 *
 * Threads: any (pure functions on caller-owned memory).
 */
#ifndef P2P_MDNS_MESSAGE_H_
#define P2P_MDNS_MESSAGE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc_base/error.h"
#include "rtc_base/socket_address.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RTC_MDNS_HEADER_SIZE 12
/* RFC 1035 §2.3.4: labels 63 octets or less, names 255 octets or less. */
#define RTC_MDNS_MAX_LABEL_LENGTH 63
#define RTC_MDNS_MAX_NAME_LENGTH 255
/* More jumps than a 255-byte name could need (it has at most 127
 * labels). */
#define RTC_MDNS_MAX_POINTER_JUMPS 128

/* RFC 1035 §3.2.2, RFC 3596 §2.1, RFC 4034 §4. */
#define RTC_MDNS_TYPE_A 1
#define RTC_MDNS_TYPE_AAAA 28
#define RTC_MDNS_TYPE_NSEC 47
#define RTC_MDNS_TYPE_ANY 255
#define RTC_MDNS_CLASS_IN 1

/* Header flags (RFC 1035 §4.1.1). */
#define RTC_MDNS_FLAG_RESPONSE 0x8000u      /* QR */
#define RTC_MDNS_FLAG_AUTHORITATIVE 0x0400u /* AA */
#define RTC_MDNS_FLAG_TRUNCATED 0x0200u     /* TC */
#define RTC_MDNS_OPCODE(flags) (((flags) >> 11) & 0xfu)
#define RTC_MDNS_RCODE(flags) ((flags)&0xfu)

/* A name in uncompressed wire form: `length` bytes of `wire`, the last
 * being the root label's zero. A zero-initialized struct is not a valid
 * name; rtc_mdns_name_from_text() or the reader make them. */
typedef struct rtc_mdns_name {
  uint8_t wire[RTC_MDNS_MAX_NAME_LENGTH];
  size_t length;
} rtc_mdns_name;

/* From dotted text of `len` bytes ("1f0e....local"): labels of 1..63
 * bytes separated by single dots, no leading or trailing dot, at most 255
 * bytes in wire form. Errors: RTC_ERR_INVALID_ARGUMENT. */
rtc_error rtc_mdns_name_from_text(const char* text,
                                  size_t len,
                                  rtc_mdns_name* out);
/* Dotted text, NUL-terminated, for logs and tests: printable ASCII as is,
 * '.' and '\' inside labels escaped with '\', other bytes as "\DDD"
 * (RFC 1035 §5.1). The root name is ".". Truncated to `size` - 1 bytes;
 * returns the full length. 4 * 255 bytes always suffice. */
size_t rtc_mdns_name_to_text(const rtc_mdns_name* name, char* out, size_t size);
/* Same labels, ASCII letters compared case-insensitively. */
bool rtc_mdns_name_equal(const rtc_mdns_name* a, const rtc_mdns_name* b);

typedef struct rtc_mdns_header {
  uint16_t id;
  uint16_t flags;
  uint16_t question_count;   /* QDCOUNT */
  uint16_t answer_count;     /* ANCOUNT */
  uint16_t authority_count;  /* NSCOUNT */
  uint16_t additional_count; /* ARCOUNT */
} rtc_mdns_header;

typedef struct rtc_mdns_question {
  rtc_mdns_name name;
  uint16_t type;
  uint16_t qclass; /* without the top bit */
  /* RFC 6762 §5.4: the top bit of QCLASS, "QU" (unicast response). */
  bool unicast_response;
} rtc_mdns_question;

typedef enum rtc_mdns_section {
  RTC_MDNS_SECTION_QUESTION = 0,
  RTC_MDNS_SECTION_ANSWER,
  RTC_MDNS_SECTION_AUTHORITY,
  RTC_MDNS_SECTION_ADDITIONAL,
} rtc_mdns_section;

typedef struct rtc_mdns_record {
  rtc_mdns_section section;
  rtc_mdns_name name;
  uint16_t type;
  uint16_t rrclass; /* without the top bit */
  /* RFC 6762 §10.2: the top bit of the rrclass, "cache-flush". */
  bool cache_flush;
  uint32_t ttl; /* seconds */
  /* For A (RDLENGTH 4) and AAAA (RDLENGTH 16) records: the address, port 0
   * and no scope. Family RTC_AF_UNSPEC for other types. */
  rtc_socket_address address;
  /* The raw RDATA (pointing into the message). */
  const uint8_t* rdata;
  uint16_t rdlength;
} rtc_mdns_record;

/* Walks a message: questions first, then answer, authority and additional
 * records. The message must outlive the reader. */
typedef struct rtc_mdns_reader {
  const uint8_t* data;
  size_t size;
  size_t offset;
  rtc_mdns_header header;
  uint32_t questions_read;
  uint32_t records_read;
  bool malformed; /* a read failed: every later read fails too */
} rtc_mdns_reader;

/* Reads the 12-byte header. Errors: RTC_ERR_MALFORMED (shorter than a
 * header). */
rtc_error rtc_mdns_reader_init(rtc_mdns_reader* reader,
                               const uint8_t* data,
                               size_t size);
/* The next question. RTC_ERR_NOT_FOUND when every question has been read;
 * RTC_ERR_MALFORMED (and the reader is spent) when the message is. */
rtc_error rtc_mdns_reader_next_question(rtc_mdns_reader* reader,
                                        rtc_mdns_question* out);
/* The next resource record, skipping the questions not read yet.
 * RTC_ERR_NOT_FOUND after the last record; RTC_ERR_MALFORMED as above: a
 * name that does not decode, RDLENGTH past the end of the message, an A
 * record whose RDLENGTH is not 4, an AAAA record whose RDLENGTH is not 16.
 * Records of other types are returned with their raw RDATA. */
rtc_error rtc_mdns_reader_next_record(rtc_mdns_reader* reader,
                                      rtc_mdns_record* out);

/* Reads the whole message and returns its header: RTC_OK when every
 * question and record decodes, else RTC_ERR_MALFORMED. Bytes after the last
 * record are ignored. */
rtc_error rtc_mdns_message_validate(const uint8_t* data,
                                    size_t size,
                                    rtc_mdns_header* header);

/* Decodes the (possibly compressed) name at `*offset` of the message
 * (RFC 1035 §4.1.4) and moves *offset past it. Errors: RTC_ERR_MALFORMED.
 */
rtc_error rtc_mdns_read_name(const uint8_t* data,
                             size_t size,
                             size_t* offset,
                             rtc_mdns_name* out);

/* --- Building messages --- */

#define RTC_MDNS_MAX_COMPRESSION_ENTRIES 32

/* Builds a message into a caller-provided buffer. Add the questions first,
 * then the records section by section (answer, authority, additional);
 * then rtc_mdns_writer_finish(). Names are compressed against the names
 * written before them. The first failure sticks: later adds do nothing and
 * finish returns it. */
typedef struct rtc_mdns_writer {
  uint8_t* buf;
  size_t capacity;
  size_t size;
  rtc_error error;
  rtc_mdns_section section;
  rtc_mdns_header header;
  /* Offsets of labels written uncompressed, usable as pointer targets. */
  uint16_t targets[RTC_MDNS_MAX_COMPRESSION_ENTRIES];
  size_t target_count;
} rtc_mdns_writer;

void rtc_mdns_writer_init(rtc_mdns_writer* writer,
                          uint8_t* buf,
                          size_t capacity,
                          uint16_t id,
                          uint16_t flags);
void rtc_mdns_writer_add_question(rtc_mdns_writer* writer,
                                  const rtc_mdns_name* name,
                                  uint16_t type,
                                  bool unicast_response);
/* An A or AAAA record (by the address's family), class IN. */
void rtc_mdns_writer_add_address(rtc_mdns_writer* writer,
                                 rtc_mdns_section section,
                                 const rtc_mdns_name* name,
                                 const rtc_socket_address* address,
                                 uint32_t ttl,
                                 bool cache_flush);
/* An NSEC record asserting that `name` has only the types A and/or AAAA
 * given (RFC 6762 §6.1: negative responses); class IN. The next domain
 * name is `name` itself, written uncompressed (RFC 4034 §4.1.1). */
void rtc_mdns_writer_add_nsec(rtc_mdns_writer* writer,
                              rtc_mdns_section section,
                              const rtc_mdns_name* name,
                              uint32_t ttl,
                              bool has_a,
                              bool has_aaaa,
                              bool cache_flush);
/* Writes the header counts. Errors: RTC_ERR_BUFFER_TOO_SMALL,
 * RTC_ERR_INVALID_ARGUMENT (sections out of order, an address of no
 * family, more than 65535 entries in a section). */
rtc_error rtc_mdns_writer_finish(rtc_mdns_writer* writer, size_t* length);

/* One query for `name` with an A and an AAAA question (the second name
 * compressed), ID 0, the QU bit as given (RFC 6762 §5.4). */
rtc_error rtc_mdns_build_query(const rtc_mdns_name* name,
                               bool unicast_response,
                               uint8_t* buf,
                               size_t capacity,
                               size_t* length);

typedef struct rtc_mdns_answer {
  const rtc_mdns_name* name;
  rtc_socket_address address; /* IPv4: an A record, IPv6: AAAA */
} rtc_mdns_answer;

/* A response (QR and AA set, ID 0) with an answer record for each entry,
 * all with `ttl` (0: goodbye, RFC 6762 §10.1) and the cache-flush bit, and
 * in the additional section an NSEC record for each name saying which of
 * A/AAAA it has (RFC 6762 §6.1). */
rtc_error rtc_mdns_build_response(const rtc_mdns_answer* answers,
                                  size_t count,
                                  uint32_t ttl,
                                  uint8_t* buf,
                                  size_t capacity,
                                  size_t* length);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_MDNS_MESSAGE_H_
