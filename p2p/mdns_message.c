#include "p2p/mdns_message.h"

#include <string.h>

#include "rtc_base/checks.h"

#define TOP_BIT 0x8000u

static uint16_t get16(const uint8_t* p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t* p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void put16(uint8_t* p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void put32(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint8_t ascii_lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

/* --- Names --- */

rtc_error rtc_mdns_name_from_text(const char* text,
                                  size_t len,
                                  rtc_mdns_name* out) {
  memset(out, 0, sizeof(*out));
  if (!text || len == 0)
    return RTC_ERR_INVALID_ARGUMENT;
  size_t n = 0;
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && text[i] != '.')
      continue;
    size_t label = i - start;
    /* RFC 1035 §2.3.4: labels 1..63 octets, names 255 octets or less
     * (counting the length octets and the root label). */
    if (label == 0 || label > RTC_MDNS_MAX_LABEL_LENGTH ||
        n + 1 + label + 1 > RTC_MDNS_MAX_NAME_LENGTH) {
      memset(out, 0, sizeof(*out));
      return RTC_ERR_INVALID_ARGUMENT;
    }
    out->wire[n++] = (uint8_t)label;
    memcpy(&out->wire[n], text + start, label);
    n += label;
    start = i + 1;
  }
  out->wire[n++] = 0;
  out->length = n;
  return RTC_OK;
}

static void append(char* out, size_t size, size_t* n, char c) {
  if (size > 0 && *n < size - 1)
    out[*n] = c;
  (*n)++;
}

size_t rtc_mdns_name_to_text(const rtc_mdns_name* name,
                             char* out,
                             size_t size) {
  size_t n = 0;
  size_t pos = 0;
  bool first = true;
  while (pos < name->length && name->wire[pos] != 0) {
    size_t label = name->wire[pos++];
    if (!first)
      append(out, size, &n, '.');
    first = false;
    for (size_t i = 0; i < label && pos < name->length; i++, pos++) {
      uint8_t c = name->wire[pos];
      if (c == '.' || c == '\\') {
        append(out, size, &n, '\\');
        append(out, size, &n, (char)c);
      } else if (c > 0x20 && c < 0x7f) {
        append(out, size, &n, (char)c);
      } else {
        append(out, size, &n, '\\');
        append(out, size, &n, (char)('0' + c / 100));
        append(out, size, &n, (char)('0' + (c / 10) % 10));
        append(out, size, &n, (char)('0' + c % 10));
      }
    }
  }
  if (first)
    append(out, size, &n, '.');
  if (size > 0)
    out[n < size ? n : size - 1] = '\0';
  return n;
}

bool rtc_mdns_name_equal(const rtc_mdns_name* a, const rtc_mdns_name* b) {
  if (a->length != b->length)
    return false;
  /* Length octets are at most 63, so lowering every byte leaves them
   * alone and compares the label bytes case-insensitively. */
  for (size_t i = 0; i < a->length; i++) {
    if (ascii_lower(a->wire[i]) != ascii_lower(b->wire[i]))
      return false;
  }
  return true;
}

rtc_error rtc_mdns_read_name(const uint8_t* data,
                             size_t size,
                             size_t* offset,
                             rtc_mdns_name* out) {
  size_t pos = *offset;
  size_t end = 0; /* where the name ends in the message, once known */
  /* Each pointer must go before the previous one (the first before the
   * name itself): pointers then only ever move backwards, so they cannot
   * loop, and they point at names written earlier, as a compressor does. */
  size_t limit = *offset;
  int jumps = 0;
  size_t n = 0;
  out->length = 0;
  for (;;) {
    if (pos >= size)
      return RTC_ERR_MALFORMED;
    uint8_t b = data[pos];
    if (b == 0) {
      /* The root label; n + 1 <= 255 holds by the label check below. */
      out->wire[n++] = 0;
      if (!end)
        end = pos + 1;
      break;
    }
    switch (b & 0xc0) {
      case 0x00: {
        /* RFC 1035 §4.1.4: a label, its length in the low six bits (at
         * most 63). The name with the root label must fit in 255. */
        size_t label = b;
        if (label >= size - pos || n + 1 + label + 1 > RTC_MDNS_MAX_NAME_LENGTH)
          return RTC_ERR_MALFORMED;
        memcpy(&out->wire[n], &data[pos], 1 + label);
        n += 1 + label;
        pos += 1 + label;
        break;
      }
      case 0xc0: {
        /* RFC 1035 §4.1.4: a pointer, a 14-bit offset from the start of
         * the message; it ends the name at this position. */
        if (pos + 1 >= size)
          return RTC_ERR_MALFORMED;
        size_t target = ((size_t)(b & 0x3f) << 8) | data[pos + 1];
        if (!end)
          end = pos + 2;
        if (target >= limit || target < RTC_MDNS_HEADER_SIZE ||
            ++jumps > RTC_MDNS_MAX_POINTER_JUMPS)
          return RTC_ERR_MALFORMED;
        limit = target;
        pos = target;
        break;
      }
      default:
        /* 0x40 (RFC 6891 extended labels, obsolete) and 0x80 (reserved)
         * are not used by mDNS. */
        return RTC_ERR_MALFORMED;
    }
  }
  out->length = n;
  *offset = end;
  return RTC_OK;
}

/* --- Reading --- */

rtc_error rtc_mdns_reader_init(rtc_mdns_reader* reader,
                               const uint8_t* data,
                               size_t size) {
  memset(reader, 0, sizeof(*reader));
  if (!data || size < RTC_MDNS_HEADER_SIZE) {
    reader->malformed = true;
    return RTC_ERR_MALFORMED;
  }
  reader->data = data;
  reader->size = size;
  reader->offset = RTC_MDNS_HEADER_SIZE;
  /* RFC 1035 §4.1.1. */
  reader->header.id = get16(data);
  reader->header.flags = get16(data + 2);
  reader->header.question_count = get16(data + 4);
  reader->header.answer_count = get16(data + 6);
  reader->header.authority_count = get16(data + 8);
  reader->header.additional_count = get16(data + 10);
  return RTC_OK;
}

static rtc_error reader_fail(rtc_mdns_reader* reader) {
  reader->malformed = true;
  return RTC_ERR_MALFORMED;
}

rtc_error rtc_mdns_reader_next_question(rtc_mdns_reader* reader,
                                        rtc_mdns_question* out) {
  if (reader->malformed)
    return RTC_ERR_MALFORMED;
  if (reader->questions_read >= reader->header.question_count)
    return RTC_ERR_NOT_FOUND;
  /* RFC 1035 §4.1.2: QNAME, QTYPE, QCLASS. */
  if (rtc_mdns_read_name(reader->data, reader->size, &reader->offset,
                         &out->name) != RTC_OK ||
      reader->size - reader->offset < 4)
    return reader_fail(reader);
  const uint8_t* p = reader->data + reader->offset;
  out->type = get16(p);
  uint16_t qclass = get16(p + 2);
  /* RFC 6762 §5.4: the top bit of qclass asks for a unicast response. */
  out->unicast_response = (qclass & TOP_BIT) != 0;
  out->qclass = (uint16_t)(qclass & ~TOP_BIT);
  reader->offset += 4;
  reader->questions_read++;
  return RTC_OK;
}

rtc_error rtc_mdns_reader_next_record(rtc_mdns_reader* reader,
                                      rtc_mdns_record* out) {
  if (reader->malformed)
    return RTC_ERR_MALFORMED;
  while (reader->questions_read < reader->header.question_count) {
    rtc_mdns_question skipped;
    rtc_error err = rtc_mdns_reader_next_question(reader, &skipped);
    if (err != RTC_OK)
      return err;
  }
  const rtc_mdns_header* h = &reader->header;
  uint32_t answers = h->answer_count;
  uint32_t authority = answers + h->authority_count;
  uint32_t total = authority + h->additional_count;
  uint32_t i = reader->records_read;
  if (i >= total)
    return RTC_ERR_NOT_FOUND;
  out->section = i < answers     ? RTC_MDNS_SECTION_ANSWER
                 : i < authority ? RTC_MDNS_SECTION_AUTHORITY
                                 : RTC_MDNS_SECTION_ADDITIONAL;
  /* RFC 1035 §4.1.3: NAME, TYPE, CLASS, TTL, RDLENGTH, RDATA. */
  if (rtc_mdns_read_name(reader->data, reader->size, &reader->offset,
                         &out->name) != RTC_OK ||
      reader->size - reader->offset < 10)
    return reader_fail(reader);
  const uint8_t* p = reader->data + reader->offset;
  out->type = get16(p);
  uint16_t rrclass = get16(p + 2);
  /* RFC 6762 §10.2: the top bit of rrclass is the cache-flush bit. */
  out->cache_flush = (rrclass & TOP_BIT) != 0;
  out->rrclass = (uint16_t)(rrclass & ~TOP_BIT);
  out->ttl = get32(p + 4);
  /* RFC 2181 §8: a TTL with the top bit set is treated as zero. */
  if (out->ttl > 0x7fffffffu)
    out->ttl = 0;
  out->rdlength = get16(p + 8);
  reader->offset += 10;
  if (out->rdlength > reader->size - reader->offset)
    return reader_fail(reader);
  out->rdata = reader->data + reader->offset;
  rtc_socket_address_clear(&out->address);
  if (out->type == RTC_MDNS_TYPE_A && out->rrclass == RTC_MDNS_CLASS_IN) {
    /* RFC 1035 §3.4.1: a 32-bit address. */
    if (out->rdlength != 4)
      return reader_fail(reader);
    rtc_socket_address_set_ipv4(&out->address, get32(out->rdata), 0);
  } else if (out->type == RTC_MDNS_TYPE_AAAA &&
             out->rrclass == RTC_MDNS_CLASS_IN) {
    /* RFC 3596 §2.2: a 128-bit address. */
    if (out->rdlength != 16)
      return reader_fail(reader);
    rtc_socket_address_set_ipv6(&out->address, out->rdata, 0, 0);
  }
  reader->offset += out->rdlength;
  reader->records_read++;
  return RTC_OK;
}

rtc_error rtc_mdns_message_validate(const uint8_t* data,
                                    size_t size,
                                    rtc_mdns_header* header) {
  rtc_mdns_reader reader;
  rtc_error err = rtc_mdns_reader_init(&reader, data, size);
  if (err != RTC_OK)
    return err;
  if (header)
    *header = reader.header;
  rtc_mdns_question question;
  while ((err = rtc_mdns_reader_next_question(&reader, &question)) == RTC_OK) {
  }
  if (err != RTC_ERR_NOT_FOUND)
    return RTC_ERR_MALFORMED;
  rtc_mdns_record record;
  while ((err = rtc_mdns_reader_next_record(&reader, &record)) == RTC_OK) {
  }
  return err == RTC_ERR_NOT_FOUND ? RTC_OK : RTC_ERR_MALFORMED;
}

/* --- Writing --- */

void rtc_mdns_writer_init(rtc_mdns_writer* writer,
                          uint8_t* buf,
                          size_t capacity,
                          uint16_t id,
                          uint16_t flags) {
  memset(writer, 0, sizeof(*writer));
  writer->buf = buf;
  writer->capacity = capacity;
  writer->header.id = id;
  writer->header.flags = flags;
  writer->section = RTC_MDNS_SECTION_QUESTION;
  if (!buf || capacity < RTC_MDNS_HEADER_SIZE) {
    writer->error = RTC_ERR_BUFFER_TOO_SMALL;
    return;
  }
  memset(buf, 0, RTC_MDNS_HEADER_SIZE);
  writer->size = RTC_MDNS_HEADER_SIZE;
}

static uint8_t* writer_reserve(rtc_mdns_writer* w, size_t n) {
  if (w->error != RTC_OK)
    return NULL;
  if (n > w->capacity - w->size) {
    w->error = RTC_ERR_BUFFER_TOO_SMALL;
    return NULL;
  }
  uint8_t* p = w->buf + w->size;
  w->size += n;
  return p;
}

static bool name_valid(const rtc_mdns_name* name) {
  if (name->length == 0 || name->length > RTC_MDNS_MAX_NAME_LENGTH)
    return false;
  size_t pos = 0;
  while (pos < name->length) {
    uint8_t label = name->wire[pos];
    if (label == 0)
      return pos + 1 == name->length;
    if (label > RTC_MDNS_MAX_LABEL_LENGTH)
      return false;
    pos += 1u + label;
  }
  return false;
}

/* The suffix of `name` starting at wire offset `from`, as a name. */
static void name_suffix(const rtc_mdns_name* name,
                        size_t from,
                        rtc_mdns_name* out) {
  out->length = name->length - from;
  memcpy(out->wire, name->wire + from, out->length);
}

/* RFC 1035 §4.1.4: writes `name`, replacing its longest suffix already in
 * the message with a pointer to it. */
static void writer_put_name(rtc_mdns_writer* w,
                            const rtc_mdns_name* name,
                            bool compress) {
  if (w->error != RTC_OK)
    return;
  if (!name_valid(name)) {
    w->error = RTC_ERR_INVALID_ARGUMENT;
    return;
  }
  size_t from = 0;
  int pointer = -1;
  while (compress && name->wire[from] != 0) {
    rtc_mdns_name suffix;
    name_suffix(name, from, &suffix);
    for (size_t i = 0; i < w->target_count && pointer < 0; i++) {
      size_t offset = w->targets[i];
      rtc_mdns_name written;
      /* Byte for byte, so that a name keeps its case on the wire (RFC
       * 6762 §16). */
      if (rtc_mdns_read_name(w->buf, w->size, &offset, &written) == RTC_OK &&
          written.length == suffix.length &&
          memcmp(written.wire, suffix.wire, suffix.length) == 0)
        pointer = w->targets[i];
    }
    if (pointer >= 0)
      break;
    from += 1u + name->wire[from];
  }
  /* The labels before the suffix go uncompressed, each a future target. */
  size_t labels_end = pointer >= 0 ? from : name->length - 1;
  size_t pos = 0;
  while (pos < labels_end) {
    size_t label = name->wire[pos];
    size_t here = w->size;
    uint8_t* p = writer_reserve(w, 1 + label);
    if (!p)
      return;
    memcpy(p, name->wire + pos, 1 + label);
    if (compress && here < 0x4000 &&
        w->target_count < RTC_MDNS_MAX_COMPRESSION_ENTRIES)
      w->targets[w->target_count++] = (uint16_t)here;
    pos += 1 + label;
  }
  if (pointer >= 0) {
    uint8_t* p = writer_reserve(w, 2);
    if (p)
      put16(p, (uint16_t)(0xc000u | (unsigned)pointer));
  } else {
    uint8_t* p = writer_reserve(w, 1);
    if (p)
      *p = 0;
  }
}

static bool count_one_more(rtc_mdns_writer* w, uint16_t* count) {
  if (*count == UINT16_MAX) {
    w->error = RTC_ERR_INVALID_ARGUMENT;
    return false;
  }
  (*count)++;
  return true;
}

void rtc_mdns_writer_add_question(rtc_mdns_writer* writer,
                                  const rtc_mdns_name* name,
                                  uint16_t type,
                                  bool unicast_response) {
  if (writer->error != RTC_OK)
    return;
  if (writer->section != RTC_MDNS_SECTION_QUESTION) {
    writer->error = RTC_ERR_INVALID_ARGUMENT;
    return;
  }
  size_t start = writer->size;
  size_t targets = writer->target_count;
  writer_put_name(writer, name, true);
  uint8_t* p = writer_reserve(writer, 4);
  if (!p || !count_one_more(writer, &writer->header.question_count)) {
    writer->size = start;
    writer->target_count = targets;
    return;
  }
  put16(p, type);
  put16(p + 2,
        (uint16_t)(RTC_MDNS_CLASS_IN | (unicast_response ? TOP_BIT : 0u)));
}

/* Starts a record: name, type, class, TTL; returns where RDLENGTH goes. */
static uint8_t* writer_begin_record(rtc_mdns_writer* w,
                                    rtc_mdns_section section,
                                    const rtc_mdns_name* name,
                                    uint16_t type,
                                    uint32_t ttl,
                                    bool cache_flush) {
  if (w->error != RTC_OK)
    return NULL;
  if (section == RTC_MDNS_SECTION_QUESTION || section < w->section ||
      section > RTC_MDNS_SECTION_ADDITIONAL) {
    w->error = RTC_ERR_INVALID_ARGUMENT;
    return NULL;
  }
  w->section = section;
  writer_put_name(w, name, true);
  uint8_t* p = writer_reserve(w, 10);
  if (!p)
    return NULL;
  put16(p, type);
  put16(p + 2, (uint16_t)(RTC_MDNS_CLASS_IN | (cache_flush ? TOP_BIT : 0u)));
  put32(p + 4, ttl);
  return p + 8;
}

static void writer_end_record(rtc_mdns_writer* w,
                              rtc_mdns_section section,
                              uint8_t* rdlength,
                              size_t rdata_start) {
  if (w->error != RTC_OK)
    return;
  size_t n = w->size - rdata_start;
  if (n > UINT16_MAX) {
    w->error = RTC_ERR_INVALID_ARGUMENT;
    return;
  }
  put16(rdlength, (uint16_t)n);
  uint16_t* count = section == RTC_MDNS_SECTION_ANSWER ? &w->header.answer_count
                    : section == RTC_MDNS_SECTION_AUTHORITY
                        ? &w->header.authority_count
                        : &w->header.additional_count;
  count_one_more(w, count);
}

void rtc_mdns_writer_add_address(rtc_mdns_writer* writer,
                                 rtc_mdns_section section,
                                 const rtc_mdns_name* name,
                                 const rtc_socket_address* address,
                                 uint32_t ttl,
                                 bool cache_flush) {
  if (writer->error != RTC_OK)
    return;
  size_t n;
  uint16_t type;
  if (address->family == RTC_AF_INET) {
    n = 4;
    type = RTC_MDNS_TYPE_A;
  } else if (address->family == RTC_AF_INET6) {
    n = 16;
    type = RTC_MDNS_TYPE_AAAA;
  } else {
    writer->error = RTC_ERR_INVALID_ARGUMENT;
    return;
  }
  uint8_t* rdlength =
      writer_begin_record(writer, section, name, type, ttl, cache_flush);
  size_t start = writer->size;
  uint8_t* p = writer_reserve(writer, n);
  if (!rdlength || !p)
    return;
  memcpy(p, address->addr, n);
  writer_end_record(writer, section, rdlength, start);
}

void rtc_mdns_writer_add_nsec(rtc_mdns_writer* writer,
                              rtc_mdns_section section,
                              const rtc_mdns_name* name,
                              uint32_t ttl,
                              bool has_a,
                              bool has_aaaa,
                              bool cache_flush) {
  uint8_t* rdlength = writer_begin_record(writer, section, name,
                                          RTC_MDNS_TYPE_NSEC, ttl, cache_flush);
  size_t start = writer->size;
  /* RFC 4034 §4.1: Next Domain Name (uncompressed, §4.1.1), then the type
   * bit maps: window 0, the bitmap length, the bits (type 1 is 0x40 of the
   * first byte, type 28 is 0x08 of the fourth); trailing zero bytes are
   * left out. */
  writer_put_name(writer, name, false);
  uint8_t bitmap[4] = {has_a ? 0x40 : 0, 0, 0, has_aaaa ? 0x08 : 0};
  size_t bitmap_len = has_aaaa ? 4 : has_a ? 1 : 0;
  if (bitmap_len > 0) {
    uint8_t* p = writer_reserve(writer, 2 + bitmap_len);
    if (!p)
      return;
    p[0] = 0;
    p[1] = (uint8_t)bitmap_len;
    memcpy(p + 2, bitmap, bitmap_len);
  }
  if (rdlength)
    writer_end_record(writer, section, rdlength, start);
}

rtc_error rtc_mdns_writer_finish(rtc_mdns_writer* writer, size_t* length) {
  *length = 0;
  if (writer->error != RTC_OK)
    return writer->error;
  const rtc_mdns_header* h = &writer->header;
  put16(writer->buf, h->id);
  put16(writer->buf + 2, h->flags);
  put16(writer->buf + 4, h->question_count);
  put16(writer->buf + 6, h->answer_count);
  put16(writer->buf + 8, h->authority_count);
  put16(writer->buf + 10, h->additional_count);
  *length = writer->size;
  return RTC_OK;
}

rtc_error rtc_mdns_build_query(const rtc_mdns_name* name,
                               bool unicast_response,
                               uint8_t* buf,
                               size_t capacity,
                               size_t* length) {
  rtc_mdns_writer w;
  /* RFC 6762 §18.1: multicast queries have ID zero; §18.2-18.11: all
   * flags zero in a query. */
  rtc_mdns_writer_init(&w, buf, capacity, 0, 0);
  rtc_mdns_writer_add_question(&w, name, RTC_MDNS_TYPE_A, unicast_response);
  rtc_mdns_writer_add_question(&w, name, RTC_MDNS_TYPE_AAAA, unicast_response);
  return rtc_mdns_writer_finish(&w, length);
}

rtc_error rtc_mdns_build_response(const rtc_mdns_answer* answers,
                                  size_t count,
                                  uint32_t ttl,
                                  uint8_t* buf,
                                  size_t capacity,
                                  size_t* length) {
  rtc_mdns_writer w;
  /* RFC 6762 §18.1: ID zero in multicast responses; §18.2 QR, §18.4 AA
   * set. */
  rtc_mdns_writer_init(&w, buf, capacity, 0,
                       RTC_MDNS_FLAG_RESPONSE | RTC_MDNS_FLAG_AUTHORITATIVE);
  for (size_t i = 0; i < count; i++) {
    /* RFC 6762 §10.2: our names are unique records: cache-flush set. */
    rtc_mdns_writer_add_address(&w, RTC_MDNS_SECTION_ANSWER, answers[i].name,
                                &answers[i].address, ttl, true);
  }
  for (size_t i = 0; i < count; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = rtc_mdns_name_equal(answers[j].name, answers[i].name);
    if (seen)
      continue;
    bool has_a = false, has_aaaa = false;
    for (size_t j = i; j < count; j++) {
      if (!rtc_mdns_name_equal(answers[j].name, answers[i].name))
        continue;
      has_a |= answers[j].address.family == RTC_AF_INET;
      has_aaaa |= answers[j].address.family == RTC_AF_INET6;
    }
    /* RFC 6762 §6.1: the responder includes, in the additional section,
     * an NSEC record saying which address types the name has. */
    rtc_mdns_writer_add_nsec(&w, RTC_MDNS_SECTION_ADDITIONAL, answers[i].name,
                             ttl, has_a, has_aaaa, true);
  }
  return rtc_mdns_writer_finish(&w, length);
}
