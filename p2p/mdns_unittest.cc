// Tests of the mDNS codec (p2p/mdns_message.h) and of rtc_mdns
// (p2p/mdns.h) on simulated time, over an in-process LAN.

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "p2p/mdns.h"
#include "p2p/mdns_message.h"
#include "p2p/udp_socket.h"
#include "rtc_base/alloc.h"
#include "rtc_base/event_loop.h"
#include "rtc_base/safety_flag.h"
#include "rtc_base/sim_time.h"
#include "rtc_base/socket_address.h"
#include "rtc_base/task_queue.h"
#include "test/network/sim_network.h"

namespace {

// --- Helpers for raw messages ---

using Bytes = std::vector<uint8_t>;

void Put16(Bytes* b, uint16_t v) {
  b->push_back(static_cast<uint8_t>(v >> 8));
  b->push_back(static_cast<uint8_t>(v));
}

void Put32(Bytes* b, uint32_t v) {
  Put16(b, static_cast<uint16_t>(v >> 16));
  Put16(b, static_cast<uint16_t>(v));
}

// Uncompressed wire form of a dotted name ("" is the root).
void PutName(Bytes* b, const std::string& name) {
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos)
      dot = name.size();
    b->push_back(static_cast<uint8_t>(dot - start));
    b->insert(b->end(), name.begin() + start, name.begin() + dot);
    start = dot + 1;
  }
  b->push_back(0);
}

Bytes Header(uint16_t id,
             uint16_t flags,
             uint16_t qd,
             uint16_t an,
             uint16_t ns,
             uint16_t ar) {
  Bytes b;
  Put16(&b, id);
  Put16(&b, flags);
  Put16(&b, qd);
  Put16(&b, an);
  Put16(&b, ns);
  Put16(&b, ar);
  return b;
}

rtc_mdns_name Name(const std::string& text) {
  rtc_mdns_name name;
  EXPECT_EQ(RTC_OK, rtc_mdns_name_from_text(text.data(), text.size(), &name))
      << text;
  return name;
}

std::string Text(const rtc_mdns_name& name) {
  char buf[4 * RTC_MDNS_MAX_NAME_LENGTH + 1];
  rtc_mdns_name_to_text(&name, buf, sizeof(buf));
  return buf;
}

rtc_socket_address Ip(const std::string& text, uint16_t port = 0) {
  rtc_socket_address a;
  EXPECT_EQ(RTC_OK, rtc_ip_address_parse(text.data(), text.size(), &a)) << text;
  a.port = port;
  return a;
}

std::string IpText(const rtc_socket_address& a) {
  char buf[RTC_SOCKET_ADDRESS_STRLEN];
  rtc_ip_address_format(&a, buf, sizeof(buf));
  return buf;
}

struct Parsed {
  rtc_error error = RTC_OK;
  rtc_mdns_header header{};
  std::vector<rtc_mdns_question> questions;
  std::vector<rtc_mdns_record> records;
};

Parsed Parse(const Bytes& b) {
  Parsed p;
  rtc_mdns_reader reader;
  p.error = rtc_mdns_reader_init(&reader, b.data(), b.size());
  if (p.error != RTC_OK)
    return p;
  p.header = reader.header;
  rtc_mdns_question q;
  while ((p.error = rtc_mdns_reader_next_question(&reader, &q)) == RTC_OK)
    p.questions.push_back(q);
  if (p.error != RTC_ERR_NOT_FOUND)
    return p;
  rtc_mdns_record r;
  while ((p.error = rtc_mdns_reader_next_record(&reader, &r)) == RTC_OK)
    p.records.push_back(r);
  if (p.error == RTC_ERR_NOT_FOUND)
    p.error = RTC_OK;
  return p;
}

Bytes Query(const std::string& name, bool qu) {
  Bytes b(512);
  size_t len = 0;
  rtc_mdns_name n = Name(name);
  EXPECT_EQ(RTC_OK, rtc_mdns_build_query(&n, qu, b.data(), b.size(), &len));
  b.resize(len);
  return b;
}

// A response with one record per address, all for `name`.
Bytes Response(const std::string& name,
               const std::vector<std::string>& ips,
               uint32_t ttl) {
  rtc_mdns_name n = Name(name);
  std::vector<rtc_mdns_answer> answers;
  for (const auto& ip : ips)
    answers.push_back({&n, Ip(ip)});
  Bytes b(1500);
  size_t len = 0;
  EXPECT_EQ(RTC_OK, rtc_mdns_build_response(answers.data(), answers.size(), ttl,
                                            b.data(), b.size(), &len));
  b.resize(len);
  return b;
}

// ============================ Codec ============================

TEST(MdnsMessageTest, BuildsQueryWithAAndAaaaQuestionsAndQuBit) {
  const std::string name = "4f2a9c3e-1b7d-4e8a-9c0f-2d3e4f5a6b7c.local";
  Bytes q = Query(name, true);
  // The second question's name is a pointer to the first.
  EXPECT_EQ(12u + (name.size() + 2) + 4 + 2 + 4, q.size());
  Parsed p = Parse(q);
  ASSERT_EQ(RTC_OK, p.error);
  EXPECT_EQ(0, p.header.id);
  EXPECT_EQ(0, p.header.flags);
  ASSERT_EQ(2u, p.questions.size());
  EXPECT_EQ(RTC_MDNS_TYPE_A, p.questions[0].type);
  EXPECT_EQ(RTC_MDNS_TYPE_AAAA, p.questions[1].type);
  for (const auto& question : p.questions) {
    EXPECT_EQ(name, Text(question.name));
    EXPECT_EQ(RTC_MDNS_CLASS_IN, question.qclass);
    EXPECT_TRUE(question.unicast_response);
  }
  EXPECT_TRUE(p.records.empty());
}

TEST(MdnsMessageTest, QueryWithoutQuBitHasPlainClassIn) {
  Bytes q = Query("abc.local", false);
  Parsed p = Parse(q);
  ASSERT_EQ(RTC_OK, p.error);
  ASSERT_EQ(2u, p.questions.size());
  EXPECT_FALSE(p.questions[0].unicast_response);
  // QCLASS bytes on the wire: 0x0001.
  EXPECT_EQ(0x00, q[12 + 11 + 2]);
  EXPECT_EQ(0x01, q[12 + 11 + 3]);
}

TEST(MdnsMessageTest, ResponseRoundTripsWithCacheFlushTtlAndNsec) {
  rtc_mdns_name a = Name("aaaa.local");
  rtc_mdns_name b = Name("bbbb.local");
  rtc_mdns_answer answers[] = {
      {&a, Ip("192.168.1.10")},
      {&b, Ip("2001:db8::7")},
  };
  Bytes buf(1500);
  size_t len = 0;
  ASSERT_EQ(RTC_OK, rtc_mdns_build_response(answers, 2, 120, buf.data(),
                                            buf.size(), &len));
  buf.resize(len);
  Parsed p = Parse(buf);
  ASSERT_EQ(RTC_OK, p.error);
  EXPECT_EQ(RTC_MDNS_FLAG_RESPONSE | RTC_MDNS_FLAG_AUTHORITATIVE,
            p.header.flags);
  EXPECT_EQ(0u, p.questions.size());
  EXPECT_EQ(2, p.header.answer_count);
  EXPECT_EQ(2, p.header.additional_count);
  ASSERT_EQ(4u, p.records.size());
  EXPECT_EQ("aaaa.local", Text(p.records[0].name));
  EXPECT_EQ(RTC_MDNS_TYPE_A, p.records[0].type);
  EXPECT_EQ("192.168.1.10", IpText(p.records[0].address));
  EXPECT_EQ("bbbb.local", Text(p.records[1].name));
  EXPECT_EQ(RTC_MDNS_TYPE_AAAA, p.records[1].type);
  EXPECT_EQ("2001:db8::7", IpText(p.records[1].address));
  for (int i = 0; i < 2; i++) {
    EXPECT_EQ(RTC_MDNS_SECTION_ANSWER, p.records[i].section);
    EXPECT_TRUE(p.records[i].cache_flush);
    EXPECT_EQ(120u, p.records[i].ttl);
    EXPECT_EQ(RTC_MDNS_CLASS_IN, p.records[i].rrclass);
  }
  // NSEC for aaaa.local: next name (uncompressed), window 0, 1 byte, A.
  const rtc_mdns_record& nsec = p.records[2];
  EXPECT_EQ(RTC_MDNS_SECTION_ADDITIONAL, nsec.section);
  EXPECT_EQ(RTC_MDNS_TYPE_NSEC, nsec.type);
  EXPECT_EQ(RTC_AF_UNSPEC, nsec.address.family);
  Bytes expected;
  PutName(&expected, "aaaa.local");
  expected.insert(expected.end(), {0, 1, 0x40});
  EXPECT_EQ(expected, Bytes(nsec.rdata, nsec.rdata + nsec.rdlength));
  // NSEC for bbbb.local: AAAA (type 28) is bit 0x08 of the fourth byte.
  const rtc_mdns_record& nsec6 = p.records[3];
  expected.clear();
  PutName(&expected, "bbbb.local");
  expected.insert(expected.end(), {0, 4, 0, 0, 0, 0x08});
  EXPECT_EQ(expected, Bytes(nsec6.rdata, nsec6.rdata + nsec6.rdlength));
}

TEST(MdnsMessageTest, GoodbyeHasTtlZero) {
  Bytes b = Response("abc.local", {"10.0.0.1"}, 0);
  Parsed p = Parse(b);
  ASSERT_EQ(RTC_OK, p.error);
  ASSERT_GE(p.records.size(), 1u);
  EXPECT_EQ(0u, p.records[0].ttl);
  EXPECT_EQ("10.0.0.1", IpText(p.records[0].address));
}

TEST(MdnsMessageTest, CompressesSharedSuffixes) {
  rtc_mdns_name a = Name("aaaa.local");
  rtc_mdns_name b = Name("bbbb.local");
  rtc_mdns_writer w;
  Bytes buf(512);
  rtc_mdns_writer_init(&w, buf.data(), buf.size(), 0, 0);
  rtc_mdns_writer_add_question(&w, &a, RTC_MDNS_TYPE_A, false);
  rtc_mdns_writer_add_question(&w, &b, RTC_MDNS_TYPE_A, false);
  rtc_mdns_writer_add_question(&w, &b, RTC_MDNS_TYPE_AAAA, false);
  size_t len = 0;
  ASSERT_EQ(RTC_OK, rtc_mdns_writer_finish(&w, &len));
  // aaaa.local (12) + 4, bbbb + pointer to "local" (5 + 2) + 4, pointer 2
  // + 4.
  EXPECT_EQ(12u + 16 + 11 + 6, len);
  buf.resize(len);
  Parsed p = Parse(buf);
  ASSERT_EQ(RTC_OK, p.error);
  ASSERT_EQ(3u, p.questions.size());
  EXPECT_EQ("aaaa.local", Text(p.questions[0].name));
  EXPECT_EQ("bbbb.local", Text(p.questions[1].name));
  EXPECT_EQ("bbbb.local", Text(p.questions[2].name));
}

TEST(MdnsMessageTest, WriterReportsBufferTooSmallAtEverySize) {
  Bytes full = Response("0123456789.local", {"10.0.0.1"}, 120);
  for (size_t cap = 0; cap < full.size(); cap++) {
    Bytes buf(cap + 1, 0xee);  // one guard byte
    rtc_mdns_name n = Name("0123456789.local");
    rtc_mdns_answer answer = {&n, Ip("10.0.0.1")};
    size_t len = 99;
    EXPECT_EQ(RTC_ERR_BUFFER_TOO_SMALL,
              rtc_mdns_build_response(&answer, 1, 120,
                                      cap ? buf.data() : nullptr, cap, &len))
        << cap;
    EXPECT_EQ(0u, len);
    EXPECT_EQ(0xee, buf[cap]) << "wrote past the buffer at capacity " << cap;
  }
}

TEST(MdnsMessageTest, WriterRejectsSectionsOutOfOrder) {
  Bytes buf(512);
  rtc_mdns_name n = Name("abc.local");
  rtc_socket_address ip = Ip("10.0.0.1");
  rtc_mdns_writer w;
  rtc_mdns_writer_init(&w, buf.data(), buf.size(), 0, 0);
  rtc_mdns_writer_add_address(&w, RTC_MDNS_SECTION_ADDITIONAL, &n, &ip, 1,
                              false);
  rtc_mdns_writer_add_address(&w, RTC_MDNS_SECTION_ANSWER, &n, &ip, 1, false);
  size_t len;
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT, rtc_mdns_writer_finish(&w, &len));

  rtc_mdns_writer_init(&w, buf.data(), buf.size(), 0, 0);
  rtc_mdns_writer_add_address(&w, RTC_MDNS_SECTION_ANSWER, &n, &ip, 1, false);
  rtc_mdns_writer_add_question(&w, &n, RTC_MDNS_TYPE_A, false);
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT, rtc_mdns_writer_finish(&w, &len));

  rtc_socket_address none;
  rtc_socket_address_clear(&none);
  rtc_mdns_writer_init(&w, buf.data(), buf.size(), 0, 0);
  rtc_mdns_writer_add_address(&w, RTC_MDNS_SECTION_ANSWER, &n, &none, 1, false);
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT, rtc_mdns_writer_finish(&w, &len));
}

TEST(MdnsMessageTest, NameFromTextRejectsBadNames) {
  rtc_mdns_name n;
  const std::string label63(63, 'a');
  const std::string label64(64, 'a');
  EXPECT_EQ(RTC_OK, rtc_mdns_name_from_text(label63.data(), 63, &n));
  EXPECT_EQ(65u, n.length);
  for (const std::string& bad :
       {std::string(""), std::string("."), std::string(".local"),
        std::string("a..local"), std::string("a.local."), label64 + ".local"}) {
    EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
              rtc_mdns_name_from_text(bad.data(), bad.size(), &n))
        << bad;
  }
  // 255 bytes in wire form is the most: 3 labels of 63 + one of 61.
  std::string longest =
      label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  EXPECT_EQ(RTC_OK,
            rtc_mdns_name_from_text(longest.data(), longest.size(), &n));
  EXPECT_EQ(255u, n.length);
  std::string too_long = longest + "b";
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
            rtc_mdns_name_from_text(too_long.data(), too_long.size(), &n));
}

TEST(MdnsMessageTest, NamesCompareCaseInsensitively) {
  rtc_mdns_name a = Name("AbC-1.LOCAL");
  rtc_mdns_name b = Name("abc-1.local");
  rtc_mdns_name c = Name("abc-2.local");
  rtc_mdns_name d = Name("abc-1.local.x");
  EXPECT_TRUE(rtc_mdns_name_equal(&a, &b));
  EXPECT_FALSE(rtc_mdns_name_equal(&a, &c));
  EXPECT_FALSE(rtc_mdns_name_equal(&a, &d));
}

TEST(MdnsMessageTest, NameToTextEscapesDotsAndControlBytes) {
  Bytes msg = Header(0, 0, 1, 0, 0, 0);
  msg.insert(msg.end(), {4, 'a', '.', 'b', 1, 5, 'l', 'o', 'c', 'a', 'l', 0});
  Put16(&msg, 1);
  Put16(&msg, 1);
  Parsed p = Parse(msg);
  ASSERT_EQ(RTC_OK, p.error);
  ASSERT_EQ(1u, p.questions.size());
  EXPECT_EQ("a\\.b\\001.local", Text(p.questions[0].name));
  rtc_mdns_name root;
  root.length = 1;
  root.wire[0] = 0;
  EXPECT_EQ(".", Text(root));
  char small[4];
  EXPECT_EQ(14u, rtc_mdns_name_to_text(&p.questions[0].name, small, 4));
  EXPECT_STREQ("a\\.", small);
}

TEST(MdnsMessageTest, ParsesResponseFromAnotherImplementation) {
  // Shaped like Chrome's answer: compressed names, an unknown record type
  // in between, a TTL with its top bit set (RFC 2181 §8: zero) and bytes
  // after the last record.
  Bytes m = Header(0, 0x8400, 0, 3, 0, 1);
  size_t first = m.size();
  PutName(&m, "e4b5c1a0-8f3e-4d2c-9b1a-0c2d3e4f5a6b.local");
  Put16(&m, RTC_MDNS_TYPE_A);
  Put16(&m, 0x8001);
  Put32(&m, 120);
  Put16(&m, 4);
  m.insert(m.end(), {192, 168, 1, 20});
  // TXT record for the same name (pointer), skipped with its RDATA.
  m.push_back(static_cast<uint8_t>(0xc0 | (first >> 8)));
  m.push_back(static_cast<uint8_t>(first));
  Put16(&m, 16);
  Put16(&m, 1);
  Put32(&m, 0x80000001u);
  Put16(&m, 3);
  m.insert(m.end(), {2, 'h', 'i'});
  // AAAA for "x.<pointer to local>".
  size_t local = first + 37;
  m.insert(m.end(), {1, 'x'});
  m.push_back(static_cast<uint8_t>(0xc0 | (local >> 8)));
  m.push_back(static_cast<uint8_t>(local));
  Put16(&m, RTC_MDNS_TYPE_AAAA);
  Put16(&m, 1);
  Put32(&m, 10);
  Put16(&m, 16);
  Bytes v6 = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  m.insert(m.end(), v6.begin(), v6.end());
  // Additional: root name, OPT-like type 41.
  m.push_back(0);
  Put16(&m, 41);
  Put16(&m, 1232);
  Put32(&m, 0);
  Put16(&m, 0);
  m.insert(m.end(), {0xde, 0xad});  // trailing garbage is ignored

  rtc_mdns_header header;
  EXPECT_EQ(RTC_OK, rtc_mdns_message_validate(m.data(), m.size(), &header));
  EXPECT_EQ(3, header.answer_count);
  Parsed p = Parse(m);
  ASSERT_EQ(RTC_OK, p.error);
  ASSERT_EQ(4u, p.records.size());
  EXPECT_EQ("192.168.1.20", IpText(p.records[0].address));
  EXPECT_TRUE(p.records[0].cache_flush);
  EXPECT_EQ(16, p.records[1].type);
  EXPECT_EQ(0u, p.records[1].ttl);
  EXPECT_EQ(3, p.records[1].rdlength);
  EXPECT_EQ(Text(p.records[0].name), Text(p.records[1].name));
  EXPECT_EQ("x.local", Text(p.records[2].name));
  EXPECT_EQ("fe80::1", IpText(p.records[2].address));
  EXPECT_EQ(RTC_MDNS_SECTION_ADDITIONAL, p.records[3].section);
  EXPECT_EQ(".", Text(p.records[3].name));
}

TEST(MdnsMessageTest, ReaderSkipsQuestionsNotRead) {
  Bytes m = Query("abc.local", true);
  m[7] = 1;  // ANCOUNT 1
  PutName(&m, "abc.local");
  Put16(&m, RTC_MDNS_TYPE_A);
  Put16(&m, 1);
  Put32(&m, 5);
  Put16(&m, 4);
  m.insert(m.end(), {10, 0, 0, 1});
  rtc_mdns_reader reader;
  ASSERT_EQ(RTC_OK, rtc_mdns_reader_init(&reader, m.data(), m.size()));
  rtc_mdns_record r;
  ASSERT_EQ(RTC_OK, rtc_mdns_reader_next_record(&reader, &r));
  EXPECT_EQ("10.0.0.1", IpText(r.address));
  EXPECT_EQ(RTC_ERR_NOT_FOUND, rtc_mdns_reader_next_record(&reader, &r));
  rtc_mdns_question q;
  EXPECT_EQ(RTC_ERR_NOT_FOUND, rtc_mdns_reader_next_question(&reader, &q));
}

TEST(MdnsMessageTest, AcceptsLongestNameAndBackwardPointerChains) {
  // A name of exactly 255 bytes, then one that points into it twice over.
  Bytes m = Header(0, 0, 3, 0, 0, 0);
  std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') +
                        "." + std::string(63, 'c') + "." + std::string(61, 'd');
  size_t first = m.size();
  PutName(&m, longest);
  Put16(&m, 1);
  Put16(&m, 1);
  // "c...c.d...d" through a pointer to the third label.
  size_t second = m.size();
  m.push_back(static_cast<uint8_t>(0xc0 | ((first + 128) >> 8)));
  m.push_back(static_cast<uint8_t>(first + 128));
  Put16(&m, 1);
  Put16(&m, 1);
  // "x" + pointer to the second name (which is itself a pointer).
  m.insert(m.end(), {1, 'x'});
  m.push_back(static_cast<uint8_t>(0xc0 | (second >> 8)));
  m.push_back(static_cast<uint8_t>(second));
  Put16(&m, 1);
  Put16(&m, 1);
  Parsed p = Parse(m);
  ASSERT_EQ(RTC_OK, p.error);
  ASSERT_EQ(3u, p.questions.size());
  EXPECT_EQ(255u, p.questions[0].name.length);
  EXPECT_EQ(longest, Text(p.questions[0].name));
  EXPECT_EQ(std::string(63, 'c') + "." + std::string(61, 'd'),
            Text(p.questions[1].name));
  EXPECT_EQ("x." + std::string(63, 'c') + "." + std::string(61, 'd'),
            Text(p.questions[2].name));
}

struct MalformedCase {
  const char* what;
  Bytes bytes;
};

std::vector<MalformedCase> MalformedCases() {
  std::vector<MalformedCase> cases;
  cases.push_back({"empty", {}});
  cases.push_back({"truncated header", Bytes(11, 0)});
  {
    Bytes m = Header(0, 0, 1, 0, 0, 0);
    cases.push_back({"question count without a question", m});
  }
  {
    Bytes m = Header(0, 0, 1, 0, 0, 0);
    m.push_back(3);
    m.push_back('a');
    cases.push_back({"label past the end", m});
  }
  for (uint8_t len :
       {uint8_t{64}, uint8_t{0x7f}, uint8_t{0x80}, uint8_t{0xbf}}) {
    Bytes m = Header(0, 0, 1, 0, 0, 0);
    m.push_back(len);
    m.insert(m.end(), 200, 'a');
    m.push_back(0);
    Put16(&m, 1);
    Put16(&m, 1);
    cases.push_back({"label longer than 63 / reserved label type", m});
  }
  {
    Bytes m = Header(0, 0, 1, 0, 0, 0);
    PutName(&m, std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                    std::string(63, 'c') + "." + std::string(62, 'd'));
    Put16(&m, 1);
    Put16(&m, 1);
    cases.push_back({"name of 256 bytes", m});
  }
  {
    // 255 bytes reached only through a pointer.
    Bytes m = Header(0, 0, 2, 0, 0, 0);
    PutName(&m, std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                    std::string(63, 'c') + "." + std::string(61, 'd'));
    Put16(&m, 1);
    Put16(&m, 1);
    m.insert(m.end(), {1, 'x', 0xc0, 12});
    Put16(&m, 1);
    Put16(&m, 1);
    cases.push_back({"name over 255 bytes through a pointer", m});
  }
  {
    Bytes m = Header(0, 0, 1, 0, 0, 0);
    m.insert(m.end(), {0xc0, 12});  // points at itself
    Put16(&m, 1);
    Put16(&m, 1);
    cases.push_back({"pointer to itself", m});
  }
  {
    // A label then a pointer back to that label: each pointer goes
    // backwards, yet it loops.
    Bytes m = Header(0, 0, 1, 0, 0, 0);
    m.insert(m.end(), {1, 'a', 0xc0, 12});
    Put16(&m, 1);
    Put16(&m, 1);
    cases.push_back({"compression loop through a label", m});
  }
  {
    // Two names pointing at each other.
    Bytes m = Header(0, 0, 2, 0, 0, 0);
    m.insert(m.end(), {1, 'a', 0xc0, 22});  // 12: a -> 22
    Put16(&m, 1);
    Put16(&m, 1);
    m.insert(m.end(), {1, 'b', 0xc0, 12});  // 22: b -> 12
    Put16(&m, 1);
    Put16(&m, 1);
    cases.push_back({"compression loop between two names", m});
  }
  {
    Bytes m = Header(0, 0, 1, 0, 0, 0);
    m.insert(m.end(), {0xc0, 20});  // forward
    Put16(&m, 1);
    Put16(&m, 1);
    m.insert(m.end(), {1, 'a', 0});
    cases.push_back({"forward pointer", m});
  }
  {
    Bytes m = Header(0, 0, 1, 0, 0, 0);
    m.insert(m.end(), {1, 'a', 0xc0, 4});  // into the header
    Put16(&m, 1);
    Put16(&m, 1);
    cases.push_back({"pointer into the header", m});
  }
  {
    Bytes m = Header(0, 0, 1, 0, 0, 0);
    m.insert(m.end(), {1, 'a', 0xc0});
    cases.push_back({"truncated pointer", m});
  }
  {
    Bytes m = Header(0, 0, 1, 0, 0, 0);
    PutName(&m, "abc.local");
    Put16(&m, 1);
    cases.push_back({"question without QCLASS", m});
  }
  {
    Bytes m = Header(0, 0x8400, 0, 1, 0, 0);
    PutName(&m, "abc.local");
    Put16(&m, 1);
    Put16(&m, 1);
    Put32(&m, 120);
    cases.push_back({"record without RDLENGTH", m});
  }
  {
    Bytes m = Header(0, 0x8400, 0, 1, 0, 0);
    PutName(&m, "abc.local");
    Put16(&m, 16);
    Put16(&m, 1);
    Put32(&m, 120);
    Put16(&m, 10);
    m.insert(m.end(), 9, 'x');
    cases.push_back({"RDLENGTH past the end", m});
  }
  {
    Bytes m = Header(0, 0x8400, 0, 1, 0, 0);
    PutName(&m, "abc.local");
    Put16(&m, RTC_MDNS_TYPE_A);
    Put16(&m, 1);
    Put32(&m, 120);
    Put16(&m, 5);
    m.insert(m.end(), {10, 0, 0, 1, 0});
    cases.push_back({"A with RDLENGTH 5", m});
  }
  {
    Bytes m = Header(0, 0x8400, 0, 1, 0, 0);
    PutName(&m, "abc.local");
    Put16(&m, RTC_MDNS_TYPE_AAAA);
    Put16(&m, 0x8001);
    Put32(&m, 120);
    Put16(&m, 4);
    m.insert(m.end(), {10, 0, 0, 1});
    cases.push_back({"AAAA with RDLENGTH 4", m});
  }
  {
    Bytes m = Response("abc.local", {"10.0.0.1"}, 120);
    m[11] = 9;  // ARCOUNT claims more records than there are
    cases.push_back({"more records counted than present", m});
  }
  {
    Bytes m = Response("abc.local", {"10.0.0.1"}, 120);
    m.resize(m.size() - 1);
    cases.push_back({"last record truncated", m});
  }
  return cases;
}

TEST(MdnsMessageTest, RejectsMalformedMessages) {
  for (const MalformedCase& c : MalformedCases()) {
    // Exact-size heap copies so that ASan catches reads past the end.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[c.bytes.size() + 1]);
    if (!c.bytes.empty())
      memcpy(copy.get(), c.bytes.data(), c.bytes.size());
    EXPECT_EQ(RTC_ERR_MALFORMED,
              rtc_mdns_message_validate(c.bytes.empty() ? nullptr : copy.get(),
                                        c.bytes.size(), nullptr))
        << c.what;
    Parsed p = Parse(c.bytes);
    EXPECT_EQ(RTC_ERR_MALFORMED, p.error) << c.what;
  }
}

TEST(MdnsMessageTest, ReaderStaysFailedAfterMalformedInput) {
  Bytes m = Header(0, 0, 2, 0, 0, 0);
  m.insert(m.end(), {0xc0, 12});
  rtc_mdns_reader reader;
  ASSERT_EQ(RTC_OK, rtc_mdns_reader_init(&reader, m.data(), m.size()));
  rtc_mdns_question q;
  EXPECT_EQ(RTC_ERR_MALFORMED, rtc_mdns_reader_next_question(&reader, &q));
  EXPECT_EQ(RTC_ERR_MALFORMED, rtc_mdns_reader_next_question(&reader, &q));
  rtc_mdns_record r;
  EXPECT_EQ(RTC_ERR_MALFORMED, rtc_mdns_reader_next_record(&reader, &r));
}

TEST(MdnsMessageTest, ResolvableNames) {
  for (const char* good :
       {"printer.local", "4f2a9c3e-1b7d-4e8a-9c0f-2d3e4f5a6b7c.local",
        "A.LOCAL", "x.Local", "-.local"}) {
    EXPECT_TRUE(rtc_mdns_is_resolvable_name(good, strlen(good))) << good;
  }
  std::string label63 = std::string(63, 'a') + ".local";
  std::string label64 = std::string(64, 'a') + ".local";
  EXPECT_TRUE(rtc_mdns_is_resolvable_name(label63.data(), label63.size()));
  EXPECT_FALSE(rtc_mdns_is_resolvable_name(label64.data(), label64.size()));
  for (const char* bad : {"", ".local", "local", "a.b.local", "example.com",
                          "x.local.", "x.localx", "x_y.local", "x y.local",
                          "x.locale", "xlocal", "192.168.1.1", "x..local"}) {
    EXPECT_FALSE(rtc_mdns_is_resolvable_name(bad, strlen(bad))) << bad;
  }
  EXPECT_FALSE(rtc_mdns_is_resolvable_name(nullptr, 0));
  const char with_nul[] = "a\0b.local";
  EXPECT_FALSE(rtc_mdns_is_resolvable_name(with_nul, sizeof(with_nul) - 1));
  // Only `len` bytes count.
  EXPECT_TRUE(rtc_mdns_is_resolvable_name("abc.localhost", 9));
}

// ======================= A LAN for the tests =======================
//
// An rtc_socket_factory per host and multicast delivery among the sockets
// of one process, on tasks of the receiving socket's queue (so on
// simulated time). Unicast goes to the one socket bound to the
// destination's port on the host that has the destination address, as the
// kernel does with SO_REUSEADDR.

struct FakeLan;
struct FakeHost;

struct FakeSocket {
  rtc_packet_socket base;  // first: the vtable functions cast back
  FakeHost* host;
  rtc_socket_address local;  // wildcard or an address of the host, port
  bool multicast;
  rtc_socket_address group;
  uint32_t if_index;
  rtc_safety_flag* flag;
};

struct FakeHost {
  rtc_socket_factory base;  // first
  FakeLan* lan;
  std::vector<rtc_network_interface> interfaces;
  uint64_t packets_sent = 0;
  bool multicast_works = true;
};

struct SentPacket {
  rtc_socket_address source;
  rtc_socket_address destination;
  Bytes data;
  int64_t time_us;
};

struct FakeLan {
  std::vector<std::unique_ptr<FakeHost>> hosts;
  std::vector<FakeSocket*> sockets;
  std::vector<SentPacket> sent;  // everything, in order
  uint16_t next_port = 40000;
};

struct Delivery {
  FakeSocket* to;
  Bytes data;
  rtc_received_packet packet;
};

void DeliveryRun(void* arg) {
  Delivery* d = static_cast<Delivery*>(arg);
  d->packet.data = d->data.data();
  d->packet.size = d->data.size();
  d->packet.arrival_us = rtc_task_queue_now_us(d->to->base.queue);
  d->to->base.observer->on_packets(d->to->base.observer_user, &d->to->base,
                                   &d->packet, 1);
}

void DeliveryDestroy(void* arg) {
  delete static_cast<Delivery*>(arg);
}

bool HostHas(const FakeHost* host, const rtc_socket_address& ip) {
  for (const auto& i : host->interfaces) {
    rtc_socket_address a = i.address;
    rtc_socket_address b = ip;
    a.scope_id = b.scope_id = 0;
    if (rtc_ip_address_equal(&a, &b))
      return true;
  }
  return false;
}

void Deliver(FakeSocket* to,
             const uint8_t* data,
             size_t size,
             const rtc_socket_address& source,
             const rtc_socket_address& destination) {
  Delivery* d = new Delivery;
  d->to = to;
  d->data.assign(data, data + size);
  d->packet = {};
  d->packet.source = source;
  d->packet.destination = destination;
  rtc_task task = {DeliveryRun, DeliveryDestroy, d};
  rtc_task_queue_post_guarded(to->base.queue, to->flag, 0, task);
}

rtc_error FakeSend(rtc_packet_socket* socket,
                   const rtc_outgoing_packet* packets,
                   size_t count,
                   size_t* sent) {
  FakeSocket* s = reinterpret_cast<FakeSocket*>(socket);
  FakeLan* lan = s->host->lan;
  for (size_t i = 0; i < count; i++) {
    const rtc_outgoing_packet& p = packets[i];
    if (p.destination.family != s->local.family) {
      *sent = i;
      return RTC_ERR_INVALID_ARGUMENT;
    }
    // The source: the bound address, or the host's first address of the
    // family (on the socket's interface for multicast sockets).
    rtc_socket_address source = s->local;
    if (rtc_socket_address_is_any(&source)) {
      for (const auto& iface : s->host->interfaces) {
        if (iface.address.family == source.family &&
            (!s->multicast || iface.index == s->if_index)) {
          source = iface.address;
          break;
        }
      }
    }
    source.port = s->local.port;
    s->host->packets_sent++;
    lan->sent.push_back({source, p.destination, Bytes(p.data, p.data + p.size),
                         rtc_task_queue_now_us(socket->queue)});
    if (rtc_socket_address_is_multicast(&p.destination)) {
      for (FakeSocket* to : lan->sockets) {
        rtc_socket_address g = to->group;
        rtc_socket_address d = p.destination;
        g.scope_id = d.scope_id = 0;
        if (to->multicast && rtc_socket_address_equal(&g, &d))
          Deliver(to, p.data, p.size, source, p.destination);
      }
    } else {
      for (FakeSocket* to : lan->sockets) {
        if (to->local.family == p.destination.family &&
            to->local.port == p.destination.port &&
            HostHas(to->host, p.destination) &&
            (rtc_socket_address_is_any(&to->local) ||
             rtc_ip_address_equal(&to->local, &p.destination))) {
          Deliver(to, p.data, p.size, source, p.destination);
          break;
        }
      }
    }
  }
  *sent = count;
  return RTC_OK;
}

rtc_error FakeLocalAddress(rtc_packet_socket* socket, rtc_socket_address* out) {
  *out = reinterpret_cast<FakeSocket*>(socket)->local;
  return RTC_OK;
}

void FakeDestroy(rtc_packet_socket* socket) {
  FakeSocket* s = reinterpret_cast<FakeSocket*>(socket);
  auto& all = s->host->lan->sockets;
  for (size_t i = 0; i < all.size(); i++) {
    if (all[i] == s) {
      all.erase(all.begin() + static_cast<long>(i));
      break;
    }
  }
  rtc_safety_flag_set_not_alive(s->flag);
  rtc_safety_flag_unref(s->flag);
  delete s;
}

const rtc_packet_socket_vtable kFakeSocketVtable = {
    FakeSend,
    FakeLocalAddress,
    FakeDestroy,
};

rtc_error FakeListInterfaces(rtc_socket_factory* factory,
                             rtc_network_interface* out,
                             size_t capacity,
                             size_t* count) {
  FakeHost* h = reinterpret_cast<FakeHost*>(factory);
  for (size_t i = 0; i < h->interfaces.size() && i < capacity; i++)
    out[i] = h->interfaces[i];
  *count = h->interfaces.size();
  return RTC_OK;
}

rtc_error FakeDefaultRoute(rtc_socket_factory* factory,
                           rtc_address_family family,
                           rtc_socket_address* out) {
  FakeHost* h = reinterpret_cast<FakeHost*>(factory);
  for (const auto& i : h->interfaces) {
    if (i.address.family == family) {
      *out = i.address;
      return RTC_OK;
    }
  }
  return RTC_ERR_NOT_FOUND;
}

rtc_error NewSocket(FakeHost* h,
                    rtc_task_queue* queue,
                    const rtc_packet_socket_observer* observer,
                    void* user,
                    FakeSocket** out) {
  rtc_safety_flag* flag;
  rtc_error err = rtc_safety_flag_create(&flag);
  if (err != RTC_OK)
    return err;
  FakeSocket* s = new FakeSocket{};
  s->base.vtable = &kFakeSocketVtable;
  s->base.queue = queue;
  s->base.observer = observer;
  s->base.observer_user = user;
  s->host = h;
  s->flag = flag;
  h->lan->sockets.push_back(s);
  *out = s;
  return RTC_OK;
}

rtc_error FakeCreateUdp(rtc_socket_factory* factory,
                        rtc_task_queue* queue,
                        const rtc_socket_address* local,
                        const rtc_udp_options* options,
                        const rtc_packet_socket_observer* observer,
                        void* user,
                        rtc_packet_socket** out) {
  FakeHost* h = reinterpret_cast<FakeHost*>(factory);
  if (!HostHas(h, *local))
    return RTC_ERR_INVALID_ARGUMENT;
  FakeSocket* s;
  rtc_error err = NewSocket(h, queue, observer, user, &s);
  if (err != RTC_OK)
    return err;
  s->local = *local;
  if (s->local.port == 0)
    s->local.port = h->lan->next_port++;
  *out = &s->base;
  return RTC_OK;
}

rtc_error FakeCreateMulticastUdp(rtc_socket_factory* factory,
                                 rtc_task_queue* queue,
                                 const rtc_socket_address* group,
                                 uint32_t if_index,
                                 const rtc_packet_socket_observer* observer,
                                 void* user,
                                 rtc_packet_socket** out) {
  FakeHost* h = reinterpret_cast<FakeHost*>(factory);
  if (!h->multicast_works)
    return RTC_ERR_IO;
  FakeSocket* s;
  rtc_error err = NewSocket(h, queue, observer, user, &s);
  if (err != RTC_OK)
    return err;
  rtc_socket_address_clear(&s->local);
  if (group->family == RTC_AF_INET) {
    rtc_socket_address_set_ipv4(&s->local, 0, group->port);
  } else {
    uint8_t any[16] = {};
    rtc_socket_address_set_ipv6(&s->local, any, group->port, 0);
  }
  s->multicast = true;
  s->group = *group;
  s->if_index = if_index;
  *out = &s->base;
  return RTC_OK;
}

const rtc_socket_factory_vtable kFakeFactoryVtable = {
    FakeListInterfaces,
    FakeDefaultRoute,
    FakeCreateUdp,
    FakeCreateMulticastUdp,
    nullptr,  // no TCP
    nullptr,
};

// "192.168.1.10/24" or "fe80::1/64".
rtc_network_interface Interface(const std::string& cidr) {
  rtc_network_interface i = {};
  size_t slash = cidr.find('/');
  std::string ip = cidr.substr(0, slash);
  i.address = Ip(ip);
  i.prefix_length = static_cast<uint8_t>(std::stoi(cidr.substr(slash + 1)));
  snprintf(i.name, sizeof(i.name), "eth0");
  i.index = 2;
  i.type = RTC_ADAPTER_ETHERNET;
  i.multicast = true;
  if (rtc_socket_address_is_link_local(&i.address) &&
      i.address.family == RTC_AF_INET6)
    i.address.scope_id = 2;
  return i;
}

FakeHost* AddHost(FakeLan* lan, const std::vector<std::string>& cidrs) {
  auto h = std::make_unique<FakeHost>();
  h->base.vtable = &kFakeFactoryVtable;
  h->lan = lan;
  for (const auto& c : cidrs)
    h->interfaces.push_back(Interface(c));
  lan->hosts.push_back(std::move(h));
  return lan->hosts.back().get();
}

// --- Results ---

struct Resolved {
  rtc_sim_time* time = nullptr;
  int calls = 0;
  rtc_error error = RTC_OK;
  rtc_socket_address address{};
  int64_t at_us = -1;
};

void OnResolved(void* user, rtc_error error, const rtc_socket_address* a) {
  Resolved* r = static_cast<Resolved*>(user);
  r->calls++;
  r->error = error;
  if (a)
    r->address = *a;
  else
    rtc_socket_address_clear(&r->address);
  r->at_us = r->time ? rtc_sim_time_now_us(r->time) : 0;
}

// A socket that sends and collects raw messages on the LAN.
struct RawSocket {
  rtc_packet_socket* socket = nullptr;
  std::vector<SentPacket> received;

  static void OnPackets(void* user,
                        rtc_packet_socket*,
                        const rtc_received_packet* packets,
                        size_t count) {
    RawSocket* self = static_cast<RawSocket*>(user);
    for (size_t i = 0; i < count; i++) {
      self->received.push_back(
          {packets[i].source, packets[i].destination,
           Bytes(packets[i].data, packets[i].data + packets[i].size),
           packets[i].arrival_us});
    }
  }
  static const rtc_packet_socket_observer kObserver;

  void Send(const Bytes& b, const rtc_socket_address& to) {
    ASSERT_EQ(RTC_OK,
              rtc_packet_socket_send_to(socket, b.data(), b.size(), &to));
  }
  ~RawSocket() { rtc_packet_socket_destroy(socket); }
};

const rtc_packet_socket_observer RawSocket::kObserver = {RawSocket::OnPackets,
                                                         nullptr, nullptr};

const rtc_socket_address kGroup4 = [] {
  rtc_socket_address a;
  rtc_socket_address_set_ipv4(&a, 0xe00000fb, 5353);
  return a;
}();

const std::regex kUuidName(
    "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    "\\.local$");

// ============================ rtc_mdns ============================

class MdnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RTC_OK, rtc_sim_time_create(0, &time_));
    ASSERT_EQ(RTC_OK, rtc_sim_time_create_queue(time_, "network", &queue_));
    // The test body plays the network thread.
    previous_ = rtc_task_queue_set_current(queue_);
    rtc_mdns_options_init(&options_);
  }

  void TearDown() override {
    for (rtc_mdns* m : mdns_)
      rtc_mdns_destroy(m);
    raw_.clear();
    rtc_sim_time_run_until_idle(time_);
    if (net_)
      rtc_sim_network_destroy(net_);
    rtc_task_queue_set_current(previous_);
    rtc_task_queue_destroy(queue_);
    rtc_sim_time_destroy(time_);
  }

  FakeHost* Host(const std::vector<std::string>& cidrs) {
    return AddHost(&lan_, cidrs);
  }

  rtc_mdns* Create(rtc_socket_factory* factory) {
    rtc_mdns* m = nullptr;
    EXPECT_EQ(RTC_OK, rtc_mdns_create(factory, queue_, &options_, &m));
    if (m)
      mdns_.push_back(m);
    return m;
  }
  rtc_mdns* Create(FakeHost* host) { return Create(&host->base); }

  void Destroy(rtc_mdns* m) {
    for (size_t i = 0; i < mdns_.size(); i++) {
      if (mdns_[i] == m)
        mdns_.erase(mdns_.begin() + static_cast<long>(i));
    }
    rtc_mdns_destroy(m);
  }

  std::string Register(rtc_mdns* m, const std::string& ip) {
    char name[RTC_MDNS_NAME_SIZE];
    rtc_socket_address a = Ip(ip, 9);
    EXPECT_EQ(RTC_OK, rtc_mdns_register(m, &a, name));
    return name;
  }

  rtc_mdns_query* Resolve(rtc_mdns* m,
                          const std::string& name,
                          Resolved* r,
                          int64_t timeout_us = 0) {
    r->time = time_;
    rtc_mdns_query* q = nullptr;
    EXPECT_EQ(RTC_OK, rtc_mdns_resolve(m, name.data(), name.size(), timeout_us,
                                       OnResolved, r, &q));
    return q;
  }

  // A socket on `host` in the mDNS group (port 5353) or a plain UDP socket
  // on `ip` (any port).
  RawSocket* Raw(FakeHost* host, const std::string& ip = "") {
    return Raw(&host->base, 2, ip);
  }
  // On interface `if_index` (an IPv4 one) of the host of `factory`.
  RawSocket* Raw(rtc_socket_factory* factory,
                 uint32_t if_index,
                 const std::string& ip = "") {
    raw_.push_back(std::make_unique<RawSocket>());
    RawSocket* r = raw_.back().get();
    if (ip.empty()) {
      rtc_socket_address group = kGroup4;
      group.port = options_.port;
      EXPECT_EQ(RTC_OK, rtc_socket_factory_create_multicast_udp(
                            factory, queue_, &group, if_index,
                            &RawSocket::kObserver, r, &r->socket));
    } else {
      rtc_socket_address a = Ip(ip);
      EXPECT_EQ(RTC_OK, rtc_socket_factory_create_udp(
                            factory, queue_, &a, nullptr, &RawSocket::kObserver,
                            r, &r->socket));
    }
    return r;
  }

  void Run(int64_t us) { rtc_sim_time_advance_us(time_, us); }
  int64_t Now() { return rtc_sim_time_now_us(time_); }

  // Messages seen on the LAN that `pred` accepts.
  template <typename Pred>
  size_t CountSent(Pred pred) {
    size_t n = 0;
    for (const auto& p : lan_.sent)
      n += pred(p) ? 1 : 0;
    return n;
  }

  rtc_sim_time* time_ = nullptr;
  rtc_task_queue* queue_ = nullptr;
  rtc_task_queue* previous_ = nullptr;
  rtc_mdns_options options_;
  FakeLan lan_;
  rtc_sim_network* net_ = nullptr;  // MdnsNetworkTest on the sim network
  std::vector<rtc_mdns*> mdns_;
  std::vector<std::unique_ptr<RawSocket>> raw_;
};

bool IsQueryFor(const SentPacket& p, const std::string& name) {
  Parsed m = Parse(p.data);
  if (m.error != RTC_OK || (m.header.flags & RTC_MDNS_FLAG_RESPONSE))
    return false;
  for (const auto& q : m.questions) {
    rtc_mdns_name n = Name(name);
    if (rtc_mdns_name_equal(&q.name, &n))
      return true;
  }
  return false;
}

bool IsResponse(const SentPacket& p) {
  Parsed m = Parse(p.data);
  return m.error == RTC_OK && (m.header.flags & RTC_MDNS_FLAG_RESPONSE);
}

TEST_F(MdnsTest, OptionsHaveDocumentedDefaults) {
  rtc_mdns_options o;
  rtc_mdns_options_init(&o);
  EXPECT_EQ(5 * RTC_US_PER_SEC, o.resolve_timeout_us);
  EXPECT_EQ(20u, o.max_messages_per_second);
  EXPECT_EQ(120u, o.ttl_seconds);
  EXPECT_EQ(5353, o.port);
  EXPECT_TRUE(o.interfaces.include_ipv6);
  EXPECT_FALSE(o.interfaces.include_loopback);
}

TEST_F(MdnsTest, OpensOneSocketPerInterfaceAndFamily) {
  FakeHost* h = Host(
      {"192.168.1.10/24", "192.168.1.11/24", "fe80::10/64", "2001:db8::10/64"});
  rtc_mdns* m = Create(h);
  ASSERT_NE(nullptr, m);
  ASSERT_EQ(2u, lan_.sockets.size());
  std::set<int> families;
  for (FakeSocket* s : lan_.sockets) {
    families.insert(s->group.family);
    EXPECT_EQ(5353, s->group.port);
    EXPECT_EQ(2u, s->if_index);
  }
  EXPECT_EQ((std::set<int>{RTC_AF_INET, RTC_AF_INET6}), families);
  Destroy(m);
  EXPECT_TRUE(lan_.sockets.empty());
}

TEST_F(MdnsTest, CreateFailsWithNotFoundWithoutMulticastInterface) {
  FakeHost* h = Host({"192.168.1.10/24"});
  h->interfaces[0].multicast = false;
  rtc_mdns* m = reinterpret_cast<rtc_mdns*>(1);
  EXPECT_EQ(RTC_ERR_NOT_FOUND,
            rtc_mdns_create(&h->base, queue_, &options_, &m));
  EXPECT_EQ(nullptr, m);

  FakeHost* loopback_only = Host({"127.0.0.1/8"});
  EXPECT_EQ(RTC_ERR_NOT_FOUND,
            rtc_mdns_create(&loopback_only->base, queue_, &options_, &m));

  FakeHost* broken = Host({"192.168.1.12/24"});
  broken->multicast_works = false;
  EXPECT_EQ(RTC_ERR_NOT_FOUND,
            rtc_mdns_create(&broken->base, queue_, &options_, &m));
  EXPECT_TRUE(lan_.sockets.empty());
}

TEST_F(MdnsTest, IP02_RegisterGivesUuidV4LocalName) {
  rtc_mdns* m = Create(Host({"192.168.1.10/24"}));
  std::string name = Register(m, "192.168.1.10");
  EXPECT_TRUE(std::regex_match(name, kUuidName)) << name;
  EXPECT_EQ(RTC_MDNS_NAME_SIZE - 1, name.size());
}

TEST_F(MdnsTest, IP02_SameAddressGetsSameNameAndFamiliesGetDifferentNames) {
  rtc_mdns* m = Create(Host({"192.168.1.10/24", "2001:db8::10/64"}));
  std::string v4 = Register(m, "192.168.1.10");
  std::string v6 = Register(m, "2001:db8::10");
  std::string other = Register(m, "192.168.1.11");
  EXPECT_NE(v4, v6);
  EXPECT_NE(v4, other);
  EXPECT_TRUE(std::regex_match(v6, kUuidName)) << v6;
  // The port does not matter, nor the IPv4-mapped form.
  EXPECT_EQ(v4, Register(m, "192.168.1.10"));
  EXPECT_EQ(v4, Register(m, "::ffff:192.168.1.10"));
  EXPECT_EQ(v6, Register(m, "2001:db8::10"));
}

TEST_F(MdnsTest, RegisterRejectsNonHostAddresses) {
  rtc_mdns* m = Create(Host({"192.168.1.10/24"}));
  char name[RTC_MDNS_NAME_SIZE] = "x";
  rtc_socket_address none;
  rtc_socket_address_clear(&none);
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT, rtc_mdns_register(m, &none, name));
  EXPECT_STREQ("", name);
  for (const char* bad : {"0.0.0.0", "::", "224.0.0.251", "ff02::fb"}) {
    rtc_socket_address a = Ip(bad);
    EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT, rtc_mdns_register(m, &a, name)) << bad;
  }
}

TEST_F(MdnsTest, RegisterAnnouncesTheName) {
  rtc_mdns* m = Create(Host({"192.168.1.10/24"}));
  std::string name = Register(m, "192.168.1.10");
  // Sent before register returned, without a probing delay.
  ASSERT_EQ(1u, lan_.sent.size());
  Parsed p = Parse(lan_.sent[0].data);
  ASSERT_EQ(RTC_OK, p.error);
  EXPECT_TRUE(p.header.flags & RTC_MDNS_FLAG_RESPONSE);
  ASSERT_GE(p.records.size(), 1u);
  EXPECT_EQ(name, Text(p.records[0].name));
  EXPECT_EQ("192.168.1.10", IpText(p.records[0].address));
  EXPECT_EQ(120u, p.records[0].ttl);
  EXPECT_TRUE(p.records[0].cache_flush);
  EXPECT_TRUE(rtc_socket_address_equal(&kGroup4, &lan_.sent[0].destination));
}

TEST_F(MdnsTest, PeerResolvesLinkLocalIpv6NameWithScope) {
  rtc_mdns* a = Create(Host({"fe80::10/64"}));
  rtc_mdns* b = Create(Host({"fe80::20/64"}));
  std::string name = Register(a, "fe80::10");
  Resolved r;
  Resolve(b, name, &r);
  Run(10 * RTC_US_PER_MS);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_OK, r.error);
  EXPECT_EQ("fe80::10%2", IpText(r.address));
}

TEST_F(MdnsTest, ResolveIgnoresCaseOfName) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  std::string name = Register(a, "192.168.1.10");
  std::string upper = name;
  for (char& c : upper)
    c = static_cast<char>(toupper(c));
  Resolved r;
  Resolve(b, upper, &r);
  Run(10 * RTC_US_PER_MS);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_OK, r.error);
}

// RFC 6762 §15.1: a unicast answer to port 5353 reaches only one of the
// sockets that share that port on the querier's host, not necessarily the
// querier's: queries ask for multicast answers (QM), which all get.
TEST_F(MdnsTest, QueriesAskForMulticastAnswers) {
  FakeHost* ha = Host({"192.168.1.10/24"});
  rtc_mdns* a = Create(ha);
  std::string name = Register(a, "192.168.1.10");
  Run(10 * RTC_US_PER_MS);
  // Created after the announcement, which it would keep and answer from.
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  Resolved r;
  Resolve(b, name, &r);
  Run(10 * RTC_US_PER_MS);
  ASSERT_EQ(RTC_OK, r.error);
  // Announcement, query (QM), multicast answer.
  ASSERT_EQ(3u, lan_.sent.size());
  Parsed query = Parse(lan_.sent[1].data);
  ASSERT_EQ(2u, query.questions.size());
  EXPECT_FALSE(query.questions[0].unicast_response);
  EXPECT_FALSE(query.questions[1].unicast_response);
  const SentPacket& answer = lan_.sent[2];
  EXPECT_TRUE(rtc_socket_address_equal(&kGroup4, &answer.destination));
  EXPECT_EQ(5353, answer.source.port);
  Parsed p = Parse(answer.data);
  ASSERT_EQ(RTC_OK, p.error);
  EXPECT_EQ(0u, p.questions.size());
  ASSERT_EQ(2u, p.records.size());
  EXPECT_EQ(RTC_MDNS_TYPE_A, p.records[0].type);
  EXPECT_EQ(RTC_MDNS_SECTION_ANSWER, p.records[0].section);
  // RFC 6762 §6.1: NSEC saying there is no AAAA.
  EXPECT_EQ(RTC_MDNS_TYPE_NSEC, p.records[1].type);
  EXPECT_EQ(RTC_MDNS_SECTION_ADDITIONAL, p.records[1].section);
}

// RFC 6762 §5.4: a QU question from another host is answered by unicast.
TEST_F(MdnsTest, AnswersQuestionAskingForUnicastFromAnotherHostByUnicast) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  std::string name = Register(a, "192.168.1.10");
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}));
  raw->Send(Query(name, true), kGroup4);
  Run(10 * RTC_US_PER_MS);
  std::vector<SentPacket> responses;
  for (const auto& p : raw->received) {
    if (IsResponse(p))
      responses.push_back(p);
  }
  ASSERT_EQ(1u, responses.size());
  EXPECT_EQ("192.168.1.30", IpText(responses[0].destination));
  EXPECT_EQ(5353, responses[0].destination.port);
  Parsed p = Parse(responses[0].data);
  ASSERT_EQ(RTC_OK, p.error);
  ASSERT_GE(p.records.size(), 1u);
  EXPECT_EQ("192.168.1.10", IpText(p.records[0].address));
}

// RFC 6762 §15.1: on the querier's own host, a unicast answer to port 5353
// would reach the first socket bound to it (here: our own), not the
// querier; §5.4 lets a QU question be answered by multicast.
TEST_F(MdnsTest, AnswersQuestionAskingForUnicastFromThisHostByMulticast) {
  FakeHost* ha = Host({"192.168.1.10/24"});
  rtc_mdns* a = Create(ha);
  std::string name = Register(a, "192.168.1.10");
  RawSocket* raw = Raw(ha);  // another mDNS stack on the same host
  raw->Send(Query(name, true), kGroup4);
  Run(10 * RTC_US_PER_MS);
  std::vector<SentPacket> responses;
  for (const auto& p : raw->received) {
    if (IsResponse(p))
      responses.push_back(p);
  }
  ASSERT_EQ(1u, responses.size());
  EXPECT_TRUE(rtc_socket_address_equal(&kGroup4, &responses[0].destination));
  Parsed p = Parse(responses[0].data);
  ASSERT_EQ(RTC_OK, p.error);
  ASSERT_GE(p.records.size(), 1u);
  EXPECT_EQ("192.168.1.10", IpText(p.records[0].address));
}

TEST_F(MdnsTest, AnswersMulticastQueryByMulticast) {
  FakeHost* ha = Host({"192.168.1.10/24"});
  rtc_mdns* a = Create(ha);
  std::string name = Register(a, "192.168.1.10");
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}));
  raw->Send(Query(name, false), kGroup4);
  Run(10 * RTC_US_PER_MS);
  size_t responses = 0;
  for (const auto& p : raw->received) {
    if (IsResponse(p)) {
      responses++;
      EXPECT_TRUE(rtc_socket_address_is_multicast(&p.destination));
    }
  }
  EXPECT_EQ(1u, responses);
}

TEST_F(MdnsTest, AnswersLegacyUnicastQueryWithIdAndQuestion) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  std::string name = Register(a, "192.168.1.10");
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}), "192.168.1.30");
  Bytes q = Query(name, false);
  q[0] = 0x12;
  q[1] = 0x34;
  raw->Send(q, kGroup4);
  Run(10 * RTC_US_PER_MS);
  ASSERT_EQ(1u, raw->received.size());
  Parsed p = Parse(raw->received[0].data);
  ASSERT_EQ(RTC_OK, p.error);
  EXPECT_EQ(0x1234, p.header.id);
  ASSERT_EQ(2u, p.questions.size());
  EXPECT_EQ(name, Text(p.questions[0].name));
  ASSERT_GE(p.records.size(), 1u);
  EXPECT_EQ("192.168.1.10", IpText(p.records[0].address));
  EXPECT_EQ(10u, p.records[0].ttl);
  EXPECT_FALSE(p.records[0].cache_flush);
}

TEST_F(MdnsTest, AnswersQuestionForMissingTypeWithNsec) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  std::string name = Register(a, "192.168.1.10");
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}));
  rtc_mdns_name n = Name(name);
  Bytes q(512);
  rtc_mdns_writer w;
  rtc_mdns_writer_init(&w, q.data(), q.size(), 0, 0);
  rtc_mdns_writer_add_question(&w, &n, RTC_MDNS_TYPE_AAAA, false);
  size_t len;
  ASSERT_EQ(RTC_OK, rtc_mdns_writer_finish(&w, &len));
  q.resize(len);
  raw->Send(q, kGroup4);
  Run(10 * RTC_US_PER_MS);
  std::vector<Parsed> responses;
  for (const auto& p : raw->received) {
    if (IsResponse(p))
      responses.push_back(Parse(p.data));
  }
  ASSERT_EQ(1u, responses.size());
  ASSERT_EQ(1u, responses[0].records.size());
  EXPECT_EQ(RTC_MDNS_TYPE_NSEC, responses[0].records[0].type);
  EXPECT_EQ(RTC_MDNS_SECTION_ANSWER, responses[0].records[0].section);
}

TEST_F(MdnsTest, KnownAnswerSuppressesResponse) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  std::string name = Register(a, "192.168.1.10");
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}));
  rtc_mdns_name n = Name(name);
  rtc_socket_address ip = Ip("192.168.1.10");
  Bytes q(512);
  rtc_mdns_writer w;
  rtc_mdns_writer_init(&w, q.data(), q.size(), 0, 0);
  rtc_mdns_writer_add_question(&w, &n, RTC_MDNS_TYPE_A, false);
  rtc_mdns_writer_add_address(&w, RTC_MDNS_SECTION_ANSWER, &n, &ip, 100, false);
  size_t len;
  ASSERT_EQ(RTC_OK, rtc_mdns_writer_finish(&w, &len));
  q.resize(len);
  size_t before = lan_.sent.size();
  raw->Send(q, kGroup4);
  Run(10 * RTC_US_PER_MS);
  EXPECT_EQ(before + 1, lan_.sent.size());  // only the query itself
}

TEST_F(MdnsTest, DefaultTimeoutComesFromOptions) {
  options_.resolve_timeout_us = 2 * RTC_US_PER_SEC;
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  Resolved r;
  Resolve(b, "printer.local", &r);
  Run(10 * RTC_US_PER_SEC);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_ERR_TIMEOUT, r.error);
  EXPECT_EQ(2 * RTC_US_PER_SEC, r.at_us);
}

TEST_F(MdnsTest, RetransmitsAfterOneSecondThenDoubling) {
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  Resolved r;
  Resolve(b, "printer.local", &r, 10 * RTC_US_PER_SEC);
  Run(20 * RTC_US_PER_SEC);
  std::vector<int64_t> times;
  std::vector<bool> qu;
  for (const auto& p : lan_.sent) {
    if (IsQueryFor(p, "printer.local")) {
      times.push_back(p.time_us);
      qu.push_back(Parse(p.data).questions[0].unicast_response);
    }
  }
  EXPECT_EQ((std::vector<int64_t>{0, 1 * RTC_US_PER_SEC, 3 * RTC_US_PER_SEC,
                                  7 * RTC_US_PER_SEC}),
            times);
  // All QM (RFC 6762 §5.4, §15.1).
  EXPECT_EQ((std::vector<bool>{false, false, false, false}), qu);
}

TEST_F(MdnsTest, QueriesForOneNameShareOneNetworkQuery) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  std::string name = Register(a, "192.168.1.10");
  Run(10 * RTC_US_PER_MS);
  // Created after the announcement, which it would keep and answer from.
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  Resolved r1, r2;
  Resolve(b, name, &r1);
  Resolve(b, name, &r2);
  Run(10 * RTC_US_PER_MS);
  EXPECT_EQ(
      1u, CountSent([&](const SentPacket& p) { return IsQueryFor(p, name); }));
  ASSERT_EQ(1, r1.calls);
  ASSERT_EQ(1, r2.calls);
  EXPECT_EQ(RTC_OK, r1.error);
  EXPECT_EQ(RTC_OK, r2.error);
  EXPECT_EQ("192.168.1.10", IpText(r2.address));
}

struct CancelOther {
  rtc_mdns* mdns;
  rtc_mdns_query* other;
  int calls = 0;
};

void CancellingCallback(void* user, rtc_error, const rtc_socket_address*) {
  CancelOther* c = static_cast<CancelOther*>(user);
  c->calls++;
  rtc_mdns_cancel(c->mdns, c->other);
}

TEST_F(MdnsTest, CallbackMayCancelAnotherAnsweredQuery) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  std::string name = Register(a, "192.168.1.10");
  // Both are answered by the same response; the first callback cancels
  // the second before it is delivered.
  CancelOther first{b, nullptr};
  ASSERT_EQ(RTC_OK, rtc_mdns_resolve(b, name.data(), name.size(), 0,
                                     CancellingCallback, &first, nullptr));
  Resolved second;
  first.other = Resolve(b, name, &second);
  Run(RTC_US_PER_SEC);
  EXPECT_EQ(1, first.calls);
  EXPECT_EQ(0, second.calls);
}

TEST_F(MdnsTest, SameAddressTwiceInOneAnswerIsOneAddress) {
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}));
  const std::string name = "0b8e2a9c-3f1d-4c5e-8a7b-6d5c4b3a2f1e.local";
  Resolved r;
  Resolve(b, name, &r);
  rtc_sim_time_run_until_idle(time_);
  raw->Send(Response(name, {"192.168.1.30", "192.168.1.30"}, 120), kGroup4);
  Run(10 * RTC_US_PER_MS);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_OK, r.error);
  EXPECT_EQ("192.168.1.30", IpText(r.address));
}

TEST_F(MdnsTest, IgnoresAnswersForOtherNamesAndFromOtherPorts) {
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  FakeHost* other = Host({"192.168.1.30/24"});
  RawSocket* group = Raw(other);
  RawSocket* plain = Raw(other, "192.168.1.30");
  Resolved r;
  Resolve(b, "printer.local", &r, 2 * RTC_US_PER_SEC);
  rtc_sim_time_run_until_idle(time_);
  group->Send(Response("scanner.local", {"192.168.1.30"}, 120), kGroup4);
  // RFC 6762 §6: a response not from port 5353 is ignored.
  plain->Send(Response("printer.local", {"192.168.1.30"}, 120), kGroup4);
  // A goodbye is not an answer.
  group->Send(Response("printer.local", {"192.168.1.30"}, 0), kGroup4);
  Run(10 * RTC_US_PER_SEC);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_ERR_TIMEOUT, r.error);
}

TEST_F(MdnsTest, IgnoresUnicastResponseFromOffLink) {
  FakeHost* hb = Host({"192.168.1.20/24"});
  rtc_mdns* b = Create(hb);
  // A host on another subnet (the fake LAN routes it anyway).
  RawSocket* raw = Raw(Host({"10.9.9.9/24"}));
  Resolved r;
  Resolve(b, "printer.local", &r, 2 * RTC_US_PER_SEC);
  rtc_sim_time_run_until_idle(time_);
  raw->Send(Response("printer.local", {"10.9.9.9"}, 120),
            Ip("192.168.1.20", 5353));
  Run(10 * RTC_US_PER_SEC);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_ERR_TIMEOUT, r.error);
}

TEST_F(MdnsTest, DoesNotAnswerUnicastQueryFromOffLink) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  std::string name = Register(a, "192.168.1.10");
  RawSocket* far = Raw(Host({"10.9.9.9/24"}), "10.9.9.9");
  far->Send(Query(name, true), Ip("192.168.1.10", 5353));
  Run(RTC_US_PER_SEC);
  EXPECT_TRUE(far->received.empty());
}

TEST_F(MdnsTest, CachesAnswersForTheirTtl) {
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}));
  const std::string name = "0b8e2a9c-3f1d-4c5e-8a7b-6d5c4b3a2f1e.local";
  Resolved first;
  Resolve(b, name, &first);
  rtc_sim_time_run_until_idle(time_);
  raw->Send(Response(name, {"192.168.1.30"}, 60), kGroup4);
  Run(10 * RTC_US_PER_MS);
  ASSERT_EQ(RTC_OK, first.error);
  auto queries = [&] {
    return CountSent([&](const SentPacket& p) { return IsQueryFor(p, name); });
  };
  EXPECT_EQ(1u, queries());

  Resolved cached;
  Resolve(b, name, &cached);
  EXPECT_EQ(0, cached.calls);
  Run(10 * RTC_US_PER_MS);
  ASSERT_EQ(1, cached.calls);
  EXPECT_EQ("192.168.1.30", IpText(cached.address));
  EXPECT_EQ(1u, queries());

  // After the TTL, the network is asked again.
  Run(60 * RTC_US_PER_SEC);
  Resolved expired;
  Resolve(b, name, &expired, RTC_US_PER_SEC);
  Run(2 * RTC_US_PER_SEC);
  EXPECT_EQ(RTC_ERR_TIMEOUT, expired.error);
  EXPECT_EQ(2u, queries());
}

// A peer announces its name when it registers it (RFC 6762 §8.3), before
// the candidate that names it reaches us over signaling; it must then not
// multicast the record again for a second (§6), so a query sent at once
// would wait that long. The announcement is kept: the lookup that follows
// is answered from the cache, with no query.
TEST_F(MdnsTest, AnnouncementHeardBeforeTheLookupAnswersIt) {
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}));
  const std::string name = "0b8e2a9c-3f1d-4c5e-8a7b-6d5c4b3a2f1e.local";
  raw->Send(Response(name, {"192.168.1.30"}, 120), kGroup4);
  // Names that ICE would never resolve are not kept.
  raw->Send(Response("printer.local", {"192.168.1.30"}, 120), kGroup4);
  Run(10 * RTC_US_PER_MS);
  Resolved r;
  Resolve(b, name, &r);
  Run(10 * RTC_US_PER_MS);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_OK, r.error);
  EXPECT_EQ("192.168.1.30", IpText(r.address));
  EXPECT_EQ(
      0u, CountSent([&](const SentPacket& p) { return IsQueryFor(p, name); }));
  Resolved printer;
  Resolve(b, "printer.local", &printer, RTC_US_PER_SEC);
  Run(2 * RTC_US_PER_SEC);
  EXPECT_EQ(RTC_ERR_TIMEOUT, printer.error);
}

// Chromium 156, once it has gathered on an IPv6 socket with no IPv6
// address, announces its candidate names with AAAA "::" as well (seen in
// the interop tests, after an ICE restart). No host is at the unspecified
// address, nor at a multicast or broadcast one: such records are ignored,
// and above all they do not replace the address the name has (before,
// the cached A record was replaced by "::", and the restarted candidate
// that named it again was checked at [::]: ICE restarts failed).
TEST_F(MdnsTest, AddressesNoHostHasAreIgnored) {
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}));
  const std::string name = "0b8e2a9c-3f1d-4c5e-8a7b-6d5c4b3a2f1e.local";
  raw->Send(Response(name, {"192.168.1.30"}, 120), kGroup4);
  Run(10 * RTC_US_PER_MS);
  for (const char* bogus :
       {"::", "0.0.0.0", "224.0.0.251", "ff02::fb", "255.255.255.255"}) {
    raw->Send(Response(name, {bogus}, 120), kGroup4);
    Run(10 * RTC_US_PER_MS);
    Resolved r;
    Resolve(b, name, &r);
    Run(10 * RTC_US_PER_MS);
    ASSERT_EQ(1, r.calls) << bogus;
    EXPECT_EQ(RTC_OK, r.error) << bogus;
    EXPECT_EQ("192.168.1.30", IpText(r.address)) << bogus;
  }
  // A lookup answered only with such an address is not answered.
  const std::string other = "1c9f3b0d-4a2e-4d6f-9b8c-7e6d5c4b3a20.local";
  Resolved none;
  Resolve(b, other, &none, RTC_US_PER_SEC);
  rtc_sim_time_run_until_idle(time_);
  raw->Send(Response(other, {"::"}, 120), kGroup4);
  Run(2 * RTC_US_PER_SEC);
  ASSERT_EQ(1, none.calls);
  EXPECT_EQ(RTC_ERR_TIMEOUT, none.error);
  // Nor is one answered with it beside a real address: "::" is not a
  // second address of the name.
  const std::string both = "2d0a4c1e-5b3f-4e70-8c9d-8f7e6d5c4b31.local";
  Resolved one;
  Resolve(b, both, &one);
  rtc_sim_time_run_until_idle(time_);
  raw->Send(Response(both, {"::", "192.168.1.30"}, 120), kGroup4);
  Run(10 * RTC_US_PER_MS);
  ASSERT_EQ(1, one.calls);
  EXPECT_EQ(RTC_OK, one.error);
  EXPECT_EQ("192.168.1.30", IpText(one.address));
}

TEST_F(MdnsTest, GoodbyeRemovesCachedAnswer) {
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}));
  const std::string name = "0b8e2a9c-3f1d-4c5e-8a7b-6d5c4b3a2f1e.local";
  Resolved first;
  Resolve(b, name, &first);
  rtc_sim_time_run_until_idle(time_);
  raw->Send(Response(name, {"192.168.1.30"}, 120), kGroup4);
  Run(10 * RTC_US_PER_MS);
  ASSERT_EQ(RTC_OK, first.error);
  raw->Send(Response(name, {"192.168.1.30"}, 0), kGroup4);
  Run(10 * RTC_US_PER_MS);
  Resolved again;
  Resolve(b, name, &again, RTC_US_PER_SEC);
  Run(2 * RTC_US_PER_SEC);
  EXPECT_EQ(RTC_ERR_TIMEOUT, again.error);
}

TEST_F(MdnsTest, RejectsInvalidNames) {
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  Resolved r;
  for (const char* bad :
       {"a.b.local", "example.com", "x.local.", ".local", "", "x_y.local"}) {
    rtc_mdns_query* q = reinterpret_cast<rtc_mdns_query*>(1);
    EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
              rtc_mdns_resolve(b, bad, strlen(bad), 0, OnResolved, &r, &q))
        << bad;
    EXPECT_EQ(nullptr, q);
  }
  EXPECT_EQ(
      RTC_ERR_INVALID_ARGUMENT,
      rtc_mdns_resolve(b, "printer.local", 13, -1, OnResolved, &r, nullptr));
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
            rtc_mdns_resolve(b, "printer.local", 13, 0, nullptr, &r, nullptr));
  Run(10 * RTC_US_PER_SEC);
  EXPECT_EQ(0, r.calls);
  EXPECT_TRUE(lan_.sent.empty());
}

TEST_F(MdnsTest, RateLimitDropsResponsesUnderQueryFlood) {
  options_.max_messages_per_second = 5;
  FakeHost* ha = Host({"192.168.1.10/24"});
  rtc_mdns* a = Create(ha);
  std::string name = Register(a, "192.168.1.10");  // one token
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}));
  for (int i = 0; i < 100; i++)
    raw->Send(Query(name, false), kGroup4);
  Run(10 * RTC_US_PER_MS);
  EXPECT_EQ(5u, ha->packets_sent);  // announcement + 4 answers
  // A second later the bucket has refilled.
  Run(RTC_US_PER_SEC);
  raw->Send(Query(name, false), kGroup4);
  Run(10 * RTC_US_PER_MS);
  EXPECT_EQ(6u, ha->packets_sent);
}

TEST_F(MdnsTest, DestroyBeforeAnyTaskRanNeverCallsBack) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  std::string name = Register(a, "192.168.1.10");
  Resolved local, unknown;
  Resolve(a, name, &local);
  Resolve(a, "printer.local", &unknown);
  Destroy(a);
  Run(10 * RTC_US_PER_SEC);
  EXPECT_EQ(0, local.calls);
  EXPECT_EQ(0, unknown.calls);
}

TEST_F(MdnsTest, DestroySendsGoodbyesForRegisteredNames) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24", "2001:db8::10/64"}));
  std::set<std::string> names;
  for (int i = 0; i < 10; i++)
    names.insert(Register(a, "192.168.1." + std::to_string(100 + i)));
  Run(RTC_US_PER_SEC);  // refill the bucket
  size_t before = lan_.sent.size();
  Destroy(a);
  std::set<std::string> goodbyes;
  std::set<int> families;
  for (size_t i = before; i < lan_.sent.size(); i++) {
    Parsed p = Parse(lan_.sent[i].data);
    families.insert(lan_.sent[i].destination.family);
    for (const auto& r : p.records) {
      if (r.section == RTC_MDNS_SECTION_ANSWER) {
        EXPECT_EQ(0u, r.ttl);
        goodbyes.insert(Text(r.name));
      }
    }
  }
  EXPECT_EQ(names, goodbyes);
  // Two messages (8 + 2 names) on each of the two sockets.
  EXPECT_EQ(4u, lan_.sent.size() - before);
  EXPECT_EQ((std::set<int>{RTC_AF_INET, RTC_AF_INET6}), families);
}

struct DestroyFromCallback {
  rtc_mdns* mdns;
  int calls = 0;
};

void DestroyingCallback(void* user, rtc_error, const rtc_socket_address*) {
  DestroyFromCallback* d = static_cast<DestroyFromCallback*>(user);
  d->calls++;
  rtc_mdns_destroy(d->mdns);
}

TEST_F(MdnsTest, CallbackMayDestroyTheMdns) {
  FakeHost* h = Host({"192.168.1.10/24"});
  rtc_mdns* a = nullptr;
  ASSERT_EQ(RTC_OK, rtc_mdns_create(&h->base, queue_, &options_, &a));
  std::string name = Register(a, "192.168.1.10");
  DestroyFromCallback d1{a}, d2{a};
  ASSERT_EQ(RTC_OK, rtc_mdns_resolve(a, name.data(), name.size(), 0,
                                     DestroyingCallback, &d1, nullptr));
  ASSERT_EQ(RTC_OK, rtc_mdns_resolve(a, name.data(), name.size(), 0,
                                     DestroyingCallback, &d2, nullptr));
  Run(RTC_US_PER_SEC);
  EXPECT_EQ(1, d1.calls);
  EXPECT_EQ(0, d2.calls);
  EXPECT_TRUE(lan_.sockets.empty());
}

struct ResolveAgain {
  rtc_mdns* mdns;
  std::string name;
  Resolved* second;
};

void ResolveAgainCallback(void* user, rtc_error, const rtc_socket_address*) {
  ResolveAgain* r = static_cast<ResolveAgain*>(user);
  EXPECT_EQ(RTC_OK, rtc_mdns_resolve(r->mdns, r->name.data(), r->name.size(), 0,
                                     OnResolved, r->second, nullptr));
}

TEST_F(MdnsTest, CallbackMayResolveAgain) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  std::string name = Register(a, "192.168.1.10");
  Resolved second;
  second.time = time_;
  ResolveAgain again{a, name, &second};
  ASSERT_EQ(RTC_OK, rtc_mdns_resolve(a, name.data(), name.size(), 0,
                                     ResolveAgainCallback, &again, nullptr));
  Run(RTC_US_PER_SEC);
  ASSERT_EQ(1, second.calls);
  EXPECT_EQ(RTC_OK, second.error);
}

TEST_F(MdnsTest, ResolveReportsOutOfMemoryWithoutCallback) {
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  Resolved r;
  int failures = 0;
  for (uint64_t n = 1;; n++) {
    rtc_mdns_query* q = nullptr;
    rtc_alloc_fail_nth(n, 0);
    rtc_error err = rtc_mdns_resolve(b, "printer.local", 13, RTC_US_PER_SEC,
                                     OnResolved, &r, &q);
    rtc_alloc_clear_failure();
    if (err == RTC_OK) {
      rtc_mdns_cancel(b, q);
      break;
    }
    EXPECT_EQ(RTC_ERR_NO_MEMORY, err);
    EXPECT_EQ(nullptr, q);
    failures++;
    ASSERT_LT(n, 20u);
  }
  EXPECT_GE(failures, 2);  // the query, the lookup (and the timer task)
  Run(10 * RTC_US_PER_SEC);
  EXPECT_EQ(0, r.calls);
}

TEST_F(MdnsTest, RegisterReportsOutOfMemory) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  char name[RTC_MDNS_NAME_SIZE];
  rtc_socket_address ip = Ip("192.168.1.10");
  rtc_alloc_fail_nth(1, 0);
  EXPECT_EQ(RTC_ERR_NO_MEMORY, rtc_mdns_register(a, &ip, name));
  rtc_alloc_clear_failure();
  EXPECT_EQ(RTC_OK, rtc_mdns_register(a, &ip, name));
}

TEST_F(MdnsTest, SurvivesMalformedAndHostileMessages) {
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  std::string name = Register(a, "192.168.1.10");
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}));
  for (const MalformedCase& c : MalformedCases())
    raw->Send(c.bytes, kGroup4);
  // A valid query with a non-zero opcode is ignored (RFC 6762 §18.3).
  Bytes q = Query(name, false);
  q[2] = 0x10;
  raw->Send(q, kGroup4);
  Run(RTC_US_PER_SEC);
  EXPECT_EQ(1u, CountSent(IsResponse));  // only the announcement
  // Still working.
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  Resolved r;
  Resolve(b, name, &r);
  Run(10 * RTC_US_PER_MS);
  EXPECT_EQ(RTC_OK, r.error);
}

TEST_F(MdnsTest, NonStandardPortIsUsedForGroupAndAnswers) {
  options_.port = 15353;
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  std::string name = Register(a, "192.168.1.10");
  Resolved r;
  Resolve(b, name, &r);
  Run(10 * RTC_US_PER_MS);
  EXPECT_EQ(RTC_OK, r.error);
  for (const auto& p : lan_.sent)
    EXPECT_EQ(15353, p.destination.port);
}

// ============ The same behaviour on the simulated network ============
//
// Parameterised: "sim" runs on test/network/sim_network.h (hosts on one
// LAN behind a NAT, 5 ms links each way), "fake" on the in-test LAN above
// (no delay). A third host's socket in the group sniffs multicast.

struct NetHost {
  rtc_socket_factory* factory = nullptr;
  FakeHost* fake = nullptr;
  rtc_sim_host* sim = nullptr;
  uint32_t if_index4 = 0;  // an IPv4 interface, for raw sockets
};

constexpr int64_t kLinkDelayUs = 5 * RTC_US_PER_MS;

class MdnsNetworkTest : public MdnsTest,
                        public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    MdnsTest::SetUp();
    if (!Sim())
      return;
    ASSERT_EQ(RTC_OK, rtc_sim_network_create(time_, 42, &net_));
    lan_nat_ = AddNat("203.0.113.1");
  }

  bool Sim() const { return GetParam(); }

  rtc_sim_nat* AddNat(const std::string& public_ip) {
    rtc_sim_nat* nat = nullptr;
    rtc_socket_address ip = Ip(public_ip);
    EXPECT_EQ(RTC_OK, rtc_sim_network_add_nat(
                          net_, &ip, RTC_SIM_NAT_PORT_RESTRICTED, &nat));
    return nat;
  }

  // A host with these addresses (IPv4 first) on the test LAN, or behind
  // `nat` (sim only).
  NetHost AddNetHost(const std::vector<std::string>& ips,
                     rtc_sim_nat* nat = nullptr) {
    NetHost h;
    if (!Sim()) {
      std::vector<std::string> cidrs;
      for (const auto& ip : ips)
        cidrs.push_back(ip +
                        (ip.find(':') == std::string::npos ? "/24" : "/64"));
      h.fake = Host(cidrs);
      h.factory = &h.fake->base;
      h.if_index4 = 2;
      return h;
    }
    rtc_socket_address first = Ip(ips[0]);
    EXPECT_EQ(RTC_OK, rtc_sim_network_add_host(net_, nat ? nat : lan_nat_,
                                               &first, &h.sim));
    for (size_t i = 1; i < ips.size(); i++) {
      rtc_socket_address a = Ip(ips[i]);
      EXPECT_EQ(RTC_OK, rtc_sim_host_add_address(h.sim, &a));
    }
    rtc_sim_link link;
    rtc_sim_link_init(&link);
    link.delay_us = kLinkDelayUs;
    rtc_sim_host_set_link(h.sim, &link, &link);
    h.factory = rtc_sim_host_socket_factory(h.sim);
    h.if_index4 = 1;  // eth0: the first address
    return h;
  }

  uint64_t Sent(const NetHost& h) {
    if (h.fake)
      return h.fake->packets_sent;
    rtc_sim_stats stats;
    rtc_sim_host_get_stats(h.sim, &stats);
    return stats.packets_sent;
  }

  // One-way delay between two hosts of the LAN.
  int64_t OneWay() const { return Sim() ? 2 * kLinkDelayUs : 0; }

  RawSocket* Sniffer() {
    NetHost h = AddNetHost({"192.168.1.99"});
    return Raw(h.factory, h.if_index4);
  }

  rtc_sim_nat* lan_nat_ = nullptr;
};

// What only the sim network has: several LANs, lossy links.
class MdnsSimTest : public MdnsNetworkTest {};

// The most packets the sniffer saw within one second.
size_t MostInOneSecond(const RawSocket* raw) {
  size_t most = 0;
  for (const auto& first : raw->received) {
    size_t n = 0;
    for (const auto& p : raw->received) {
      n += p.time_us >= first.time_us &&
           p.time_us < first.time_us + RTC_US_PER_SEC;
    }
    if (n > most)
      most = n;
  }
  return most;
}

size_t CountQueriesFor(const RawSocket* raw, const std::string& name) {
  size_t n = 0;
  for (const auto& p : raw->received)
    n += IsQueryFor(p, name) ? 1 : 0;
  return n;
}

TEST_P(MdnsNetworkTest, PeerResolvesIpv4Name) {
  rtc_mdns* a = Create(AddNetHost({"192.168.1.10"}).factory);
  ASSERT_TRUE(a);
  std::string name = Register(a, "192.168.1.10");
  Run(RTC_US_PER_SEC);
  // Created after the announcement, which it would keep and answer from.
  rtc_mdns* b = Create(AddNetHost({"192.168.1.20"}).factory);
  ASSERT_TRUE(b);
  int64_t start = Now();
  Resolved r;
  Resolve(b, name, &r);
  EXPECT_EQ(0, r.calls);  // never from within rtc_mdns_resolve
  Run(RTC_US_PER_SEC);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_OK, r.error);
  EXPECT_EQ("192.168.1.10", IpText(r.address));
  EXPECT_EQ(0, r.address.port);
  // Query there, answer back.
  EXPECT_EQ(start + 2 * OneWay(), r.at_us);
}

// Another mDNS stack on the querier's host bound port 5353 first (another
// peer connection of the process, avahi, a browser): the unicast answer to
// a QU question would reach that stack, not the querier, which would
// resolve only with its retransmission a second later (RFC 6762 §5.2,
// §15.1).
TEST_P(MdnsNetworkTest, ResolvesAtOnceWhenAnotherStackBoundThePortFirst) {
  rtc_mdns* a = Create(AddNetHost({"192.168.1.10"}).factory);
  ASSERT_TRUE(a);
  std::string name = Register(a, "192.168.1.10");
  Run(RTC_US_PER_SEC);
  // Created after the announcement, which it would keep and answer from.
  NetHost hb = AddNetHost({"192.168.1.20"});
  rtc_mdns* first = Create(hb.factory);
  rtc_mdns* b = Create(hb.factory);
  ASSERT_TRUE(first && b);
  int64_t start = Now();
  Resolved r;
  Resolve(b, name, &r);
  Run(2 * RTC_US_PER_SEC);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_OK, r.error);
  EXPECT_EQ(start + 2 * OneWay(), r.at_us);
}

TEST_P(MdnsNetworkTest, PeerResolvesIpv6Name) {
  rtc_mdns* a = Create(AddNetHost({"192.168.1.10", "fd00::10"}).factory);
  rtc_mdns* b = Create(AddNetHost({"192.168.1.20", "fd00::20"}).factory);
  ASSERT_TRUE(a && b);
  std::string v4 = Register(a, "192.168.1.10");
  std::string v6 = Register(a, "fd00::10");
  EXPECT_NE(v4, v6);
  Run(RTC_US_PER_SEC);
  Resolved r4, r6;
  Resolve(b, v6, &r6);
  Resolve(b, v4, &r4);
  Run(RTC_US_PER_SEC);
  ASSERT_EQ(1, r6.calls);
  EXPECT_EQ(RTC_OK, r6.error);
  EXPECT_EQ("fd00::10", IpText(r6.address));
  // Both sockets got the query and answered; one address all the same.
  ASSERT_EQ(1, r4.calls);
  EXPECT_EQ(RTC_OK, r4.error);
  EXPECT_EQ("192.168.1.10", IpText(r4.address));
}

TEST_P(MdnsNetworkTest, UnknownNameTimesOutAtTheTimeout) {
  rtc_mdns* b = Create(AddNetHost({"192.168.1.20"}).factory);
  ASSERT_NE(nullptr, b);
  Resolved r;
  Resolve(b, "printer.local", &r, 3 * RTC_US_PER_SEC);
  Run(3 * RTC_US_PER_SEC - 1);
  EXPECT_EQ(0, r.calls);
  Run(1);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_ERR_TIMEOUT, r.error);
  EXPECT_EQ(3 * RTC_US_PER_SEC, r.at_us);
  Run(10 * RTC_US_PER_SEC);
  EXPECT_EQ(1, r.calls);
}

TEST_P(MdnsSimTest, HostOnAnotherLanCannotResolve) {
  rtc_mdns* a = Create(AddNetHost({"192.168.1.10"}).factory);
  rtc_sim_nat* other = AddNat("198.51.100.1");
  rtc_mdns* c = Create(AddNetHost({"192.168.1.20"}, other).factory);
  ASSERT_TRUE(a && c);
  std::string name = Register(a, "192.168.1.10");
  Resolved r;
  Resolve(c, name, &r, 2 * RTC_US_PER_SEC);
  Run(3 * RTC_US_PER_SEC);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_ERR_TIMEOUT, r.error);
}

TEST_P(MdnsSimTest, RetransmissionRecoversFromLostAnswer) {
  NetHost ha = AddNetHost({"192.168.1.10"});
  rtc_mdns* a = Create(ha.factory);
  ASSERT_TRUE(a);
  std::string name = Register(a, "192.168.1.10");
  Run(RTC_US_PER_SEC);
  // Created after the announcement, which it would keep and answer from.
  rtc_mdns* b = Create(AddNetHost({"192.168.1.20"}).factory);
  ASSERT_TRUE(b);
  rtc_sim_link lossy;
  rtc_sim_link_init(&lossy);
  lossy.delay_us = kLinkDelayUs;
  lossy.loss = 1.0;
  rtc_sim_host_set_link(ha.sim, &lossy, nullptr);  // A's answers vanish
  int64_t start = Now();
  Resolved r;
  Resolve(b, name, &r);
  Run(RTC_US_PER_SEC / 2);
  EXPECT_EQ(0, r.calls);
  lossy.loss = 0;
  rtc_sim_host_set_link(ha.sim, &lossy, nullptr);
  Run(RTC_US_PER_SEC);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_OK, r.error);
  // The retransmission one second later (QM: multicast answer).
  EXPECT_EQ(start + RTC_US_PER_SEC + 2 * OneWay(), r.at_us);
}

TEST_P(MdnsNetworkTest, IP07_MultiAddressAnswerIsNotFound) {
  rtc_mdns* b = Create(AddNetHost({"192.168.1.20"}).factory);
  ASSERT_NE(nullptr, b);
  RawSocket* raw = Sniffer();
  const std::string name = "0b8e2a9c-3f1d-4c5e-8a7b-6d5c4b3a2f1e.local";
  Resolved r;
  Resolve(b, name, &r);
  Run(RTC_US_PER_SEC / 2);
  ASSERT_EQ(1u, CountQueriesFor(raw, name));
  raw->Send(Response(name, {"192.168.1.30", "192.168.1.31"}, 120), kGroup4);
  Run(RTC_US_PER_SEC / 4);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_ERR_NOT_FOUND, r.error);
}

TEST_P(MdnsNetworkTest, CancelledQueryNeverCallsBack) {
  rtc_mdns* a = Create(AddNetHost({"192.168.1.10"}).factory);
  rtc_mdns* b = Create(AddNetHost({"192.168.1.20"}).factory);
  ASSERT_TRUE(a && b);
  RawSocket* sniffer = Sniffer();
  std::string name = Register(a, "192.168.1.10");
  Run(RTC_US_PER_SEC);
  Resolved cancelled, kept, unknown;
  rtc_mdns_query* q1 = Resolve(b, name, &cancelled);
  Resolve(b, name, &kept);
  rtc_mdns_query* q3 = Resolve(b, "printer.local", &unknown);
  rtc_mdns_cancel(b, q1);
  Run(RTC_US_PER_SEC / 2);
  rtc_mdns_cancel(b, q3);  // in flight
  Run(10 * RTC_US_PER_SEC);
  EXPECT_EQ(0, cancelled.calls);
  EXPECT_EQ(0, unknown.calls);
  ASSERT_EQ(1, kept.calls);
  EXPECT_EQ(RTC_OK, kept.error);
  // The cancelled lookup stopped: no retransmission at 1 s.
  EXPECT_EQ(1u, CountQueriesFor(sniffer, "printer.local"));
}

TEST_P(MdnsNetworkTest, OwnNameResolvesWithoutNetworkTraffic) {
  NetHost ha = AddNetHost({"192.168.1.10"});
  rtc_mdns* a = Create(ha.factory);
  ASSERT_NE(nullptr, a);
  std::string name = Register(a, "192.168.1.10");
  Run(RTC_US_PER_SEC);
  uint64_t before = Sent(ha);
  EXPECT_EQ(1u, before);  // the announcement
  Resolved r;
  Resolve(a, name, &r);
  EXPECT_EQ(0, r.calls);  // posted, not inline
  rtc_sim_time_run_until_idle(time_);
  ASSERT_EQ(1, r.calls);
  EXPECT_EQ(RTC_OK, r.error);
  EXPECT_EQ("192.168.1.10", IpText(r.address));
  EXPECT_EQ(before, Sent(ha));
}

TEST_P(MdnsNetworkTest, IP08_RateLimitCapsMessagesUnderResolveFlood) {
  options_.max_messages_per_second = 20;
  NetHost hb = AddNetHost({"192.168.1.20"});
  rtc_mdns* b = Create(hb.factory);
  ASSERT_NE(nullptr, b);
  RawSocket* sniffer = Sniffer();
  std::vector<Resolved> results(300);
  for (size_t i = 0; i < results.size(); i++) {
    Resolve(b, "host" + std::to_string(i) + ".local", &results[i],
            60 * RTC_US_PER_SEC);
  }
  Run(10 * RTC_US_PER_SEC);
  // 20 at once (the bucket's depth), then 20 per second.
  uint64_t sent = Sent(hb);
  EXPECT_LE(sent, 20u + 10 * 20u);
  EXPECT_GE(sent, 10 * 20u);
  // The sniffer saw them (but those still on the wire).
  EXPECT_LE(sniffer->received.size(), sent);
  EXPECT_GE(sniffer->received.size(), sent - 1);
  // No second sees more than the depth plus a second's refill.
  EXPECT_LE(MostInOneSecond(sniffer), 40u);
  // From the second second on, 20 per second at most.
  size_t late = 0;
  for (const auto& p : sniffer->received) {
    late += p.time_us >= 5 * RTC_US_PER_SEC + OneWay() &&
            p.time_us < 6 * RTC_US_PER_SEC + OneWay();
  }
  EXPECT_LE(late, 20u);
  // Queries over the rate were delayed, not dropped: oldest first.
  for (size_t i = 0; i < 200; i++) {
    std::string name = "host" + std::to_string(i) + ".local";
    EXPECT_EQ(1u, CountQueriesFor(sniffer, name)) << name;
  }
  for (const auto& r : results)
    EXPECT_EQ(0, r.calls);
  Run(60 * RTC_US_PER_SEC);
  for (const auto& r : results) {
    EXPECT_EQ(1, r.calls);
    EXPECT_EQ(RTC_ERR_TIMEOUT, r.error);
  }
}

// The draft's browser-wide limit: responders sharing a group send at most
// its rate together, each staying under its own limit as well.
TEST_P(MdnsNetworkTest, IP08_GroupLimitCapsEveryResponderTogether) {
  rtc_mdns_group* group = nullptr;
  ASSERT_EQ(RTC_OK, rtc_mdns_group_create(30, &group));
  options_.max_messages_per_second = 20;
  options_.group = group;
  const size_t kResponders = 10;
  std::vector<NetHost> hosts;
  std::vector<rtc_mdns*> responders;
  for (size_t i = 0; i < kResponders; i++) {
    hosts.push_back(AddNetHost({"192.168.1." + std::to_string(20 + i)}));
    responders.push_back(Create(hosts.back().factory));
    ASSERT_NE(nullptr, responders.back());
  }
  // The responders hold their references: the group outlives our own.
  options_.group = nullptr;
  rtc_mdns_group_unref(group);
  RawSocket* sniffer = Sniffer();
  std::vector<Resolved> results(kResponders * 40);
  for (size_t i = 0; i < results.size(); i++) {
    Resolve(responders[i % kResponders], "flood" + std::to_string(i) + ".local",
            &results[i], 60 * RTC_US_PER_SEC);
  }
  Run(10 * RTC_US_PER_SEC);
  uint64_t sent = 0;
  for (const auto& h : hosts)
    sent += Sent(h);
  // Alone, each could send 20 + 10 * 20 in these 10 s: 2,200 in all.
  EXPECT_LE(sent, 30u + 10 * 30u);
  EXPECT_GE(sent, 10 * 30u);
  EXPECT_LE(MostInOneSecond(sniffer), 60u);
  // Delayed, not dropped: every responder had its first query out.
  for (size_t i = 0; i < kResponders; i++) {
    std::string name = "flood" + std::to_string(i) + ".local";
    EXPECT_LE(1u, CountQueriesFor(sniffer, name)) << name;
  }
  for (rtc_mdns* m : responders)
    Destroy(m);
}

// A name one rtc_mdns of a group registered resolves at once in another,
// without a query on the link; once unregistered, it is asked for. Outside
// the group, the same name takes a query. (B and the outsider come after
// A's announcement, which would fill their caches.)
TEST_P(MdnsNetworkTest, GroupResolvesItsOwnNamesWithoutAQuery) {
  rtc_mdns_group* group = nullptr;
  ASSERT_EQ(RTC_OK, rtc_mdns_group_create(100, &group));
  options_.group = group;
  rtc_mdns* a = Create(AddNetHost({"192.168.1.10"}).factory);
  ASSERT_NE(nullptr, a);
  std::string name = Register(a, "192.168.1.10");
  Run(RTC_US_PER_SEC);
  rtc_mdns* b = Create(AddNetHost({"192.168.1.20"}).factory);
  options_.group = nullptr;
  rtc_mdns_group_unref(group);
  rtc_mdns* outsider = Create(AddNetHost({"192.168.1.30"}).factory);
  ASSERT_TRUE(b && outsider);
  RawSocket* sniffer = Sniffer();

  Resolved in_group;
  Resolve(b, name, &in_group, 5 * RTC_US_PER_SEC);
  Run(10 * RTC_US_PER_MS);
  EXPECT_EQ(1, in_group.calls);
  EXPECT_EQ(RTC_OK, in_group.error);
  rtc_socket_address a_ip = Ip("192.168.1.10");
  EXPECT_TRUE(rtc_ip_address_equal(&in_group.address, &a_ip));
  EXPECT_EQ(0u, CountQueriesFor(sniffer, name));

  Resolved outside;
  Resolve(outsider, name, &outside, 5 * RTC_US_PER_SEC);
  Run(RTC_US_PER_SEC);
  EXPECT_EQ(1, outside.calls);
  EXPECT_EQ(1u, CountQueriesFor(sniffer, name));

  rtc_mdns_unregister(a, name.c_str());
  Run(RTC_US_PER_SEC);
  Resolved gone;
  Resolve(b, name, &gone, 2 * RTC_US_PER_SEC);
  Run(3 * RTC_US_PER_SEC);
  EXPECT_EQ(1, gone.calls);
  EXPECT_EQ(RTC_ERR_TIMEOUT, gone.error);
  EXPECT_GE(CountQueriesFor(sniffer, name), 2u);
}

// Announcements of names another rtc_mdns of the group registered are not
// cached: they resolve from the group (with 100 peer connections in a
// process, each cached all the others' names: 20 KiB each). Here another
// host claims a's name for its own address; once a unregisters it, b has
// nothing cached and asks the link (before, it answered from the cache).
// An rtc_mdns outside the group keeps the claim.
TEST_F(MdnsTest, AnnouncementsOfTheGroupsNamesAreNotCached) {
  rtc_mdns_group* group = nullptr;
  ASSERT_EQ(RTC_OK, rtc_mdns_group_create(100, &group));
  options_.group = group;
  rtc_mdns* a = Create(Host({"192.168.1.10/24"}));
  rtc_mdns* b = Create(Host({"192.168.1.20/24"}));
  options_.group = nullptr;
  rtc_mdns_group_unref(group);
  rtc_mdns* outsider = Create(Host({"192.168.1.40/24"}));
  ASSERT_TRUE(a && b && outsider);
  RawSocket* raw = Raw(Host({"192.168.1.30/24"}));
  std::string name = Register(a, "192.168.1.10");
  Run(10 * RTC_US_PER_MS);
  raw->Send(Response(name, {"192.168.1.30"}, 120), kGroup4);
  Run(10 * RTC_US_PER_MS);
  rtc_mdns_unregister(a, name.c_str());
  Run(10 * RTC_US_PER_MS);
  size_t queries =
      CountSent([&](const SentPacket& p) { return IsQueryFor(p, name); });
  Resolved cached;
  Resolve(outsider, name, &cached, RTC_US_PER_SEC);
  Run(10 * RTC_US_PER_MS);
  ASSERT_EQ(1, cached.calls);
  EXPECT_EQ("192.168.1.30", IpText(cached.address));
  Resolved asked;
  Resolve(b, name, &asked, RTC_US_PER_SEC);
  Run(2 * RTC_US_PER_SEC);
  ASSERT_EQ(1, asked.calls);
  EXPECT_EQ(RTC_ERR_TIMEOUT, asked.error);
  EXPECT_LT(queries, CountSent([&](const SentPacket& p) {
              return IsQueryFor(p, name);
            }));
}

TEST(MdnsNameTest, UuidNamesAreRecognised) {
  auto is = [](const char* name) {
    return rtc_mdns_is_uuid_name(name, name ? strlen(name) : 0);
  };
  EXPECT_TRUE(is("1f6e2b3c-4d5a-4b6c-8d7e-9f0a1b2c3d4e.local"));
  EXPECT_TRUE(is("1F6E2B3C-4D5A-4B6C-8D7E-9F0A1B2C3D4E.LOCAL"));
  EXPECT_FALSE(is(nullptr));
  EXPECT_FALSE(is("printer.local"));
  EXPECT_FALSE(is("1f6e2b3c-4d5a-4b6c-8d7e-9f0a1b2c3d4e.locals"));
  EXPECT_FALSE(is("1f6e2b3c-4d5a-4b6c-8d7e-9f0a1b2c3d4e.lokal"));
  EXPECT_FALSE(is("1f6e2b3c4-d5a-4b6c-8d7e-9f0a1b2c3d4e.local"));
  EXPECT_FALSE(is("1f6e2b3c-4d5a-4b6c-8d7e-9f0a1b2c3d4g.local"));
  EXPECT_FALSE(is("1f6e2b3c-4d5a-4b6c-8d7e-9f0a1b2c3d4.local"));
}

TEST(MdnsGroupTest, ZeroRateIsRefused) {
  rtc_mdns_group* group = nullptr;
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT, rtc_mdns_group_create(0, &group));
  EXPECT_EQ(nullptr, group);
  rtc_mdns_group_unref(nullptr);
}

TEST(MdnsGroupTest, CreateFailsCleanlyWithoutMemory) {
  rtc_mdns_group* group = nullptr;
  rtc_alloc_fail_nth(1, 0);
  EXPECT_EQ(RTC_ERR_NO_MEMORY, rtc_mdns_group_create(5, &group));
  rtc_alloc_clear_failure();
  EXPECT_EQ(nullptr, group);
}

TEST_P(MdnsNetworkTest, UnregisterSendsGoodbyeAndStopsAnswering) {
  NetHost ha = AddNetHost({"192.168.1.10"});
  rtc_mdns* a = Create(ha.factory);
  rtc_mdns* b = Create(AddNetHost({"192.168.1.20"}).factory);
  ASSERT_TRUE(a && b);
  RawSocket* sniffer = Sniffer();
  std::string name = Register(a, "192.168.1.10");
  EXPECT_EQ(name, Register(a, "192.168.1.10"));
  rtc_mdns_unregister(a, name.c_str());
  Run(RTC_US_PER_SEC);
  // Still registered once: still answered (and B caches it).
  Resolved r1;
  Resolve(b, name, &r1);
  Run(RTC_US_PER_SEC);
  EXPECT_EQ(RTC_OK, r1.error);

  sniffer->received.clear();
  rtc_mdns_unregister(a, name.c_str());
  Run(RTC_US_PER_SEC);
  ASSERT_EQ(1u, sniffer->received.size());
  Parsed bye = Parse(sniffer->received[0].data);
  ASSERT_EQ(RTC_OK, bye.error);
  ASSERT_GE(bye.records.size(), 1u);
  EXPECT_EQ(name, Text(bye.records[0].name));
  EXPECT_EQ(0u, bye.records[0].ttl);

  // The goodbye emptied B's cache and A no longer answers.
  uint64_t a_sent = Sent(ha);
  Resolved r2;
  Resolve(b, name, &r2, 2 * RTC_US_PER_SEC);
  Run(3 * RTC_US_PER_SEC);
  EXPECT_EQ(RTC_ERR_TIMEOUT, r2.error);
  EXPECT_EQ(a_sent, Sent(ha));
  EXPECT_EQ(2u, CountQueriesFor(sniffer, name));
}

TEST_P(MdnsNetworkTest, DestroyWithPendingQueriesNeverCallsBack) {
  rtc_mdns* a = Create(AddNetHost({"192.168.1.10"}).factory);
  ASSERT_TRUE(a);
  std::string name = Register(a, "192.168.1.10");
  Run(RTC_US_PER_SEC);
  // Created after the announcement, which it would keep and answer from.
  rtc_mdns* b = Create(AddNetHost({"192.168.1.20"}).factory);
  ASSERT_TRUE(b);
  Resolved in_flight, unknown, local;
  Resolve(b, name, &in_flight);
  Resolve(b, "printer.local", &unknown);
  Run(OneWay() / 2);         // the query is on its way (sim)
  Resolve(a, name, &local);  // its result is posted, not delivered yet
  Destroy(b);
  Destroy(a);
  Run(10 * RTC_US_PER_SEC);
  EXPECT_EQ(0, unknown.calls);
  EXPECT_EQ(0, local.calls);
  // On the fake LAN (no delay) the answer came at once.
  EXPECT_EQ(Sim() ? 0 : 1, in_flight.calls);
}

TEST_P(MdnsNetworkTest, CreateCleansUpWhenAllocationsFail) {
  NetHost h = AddNetHost({"192.168.1.10", "fd00::10"});
  int failures = 0;
  for (uint64_t n = 1;; n++) {
    rtc_mdns* m = nullptr;
    rtc_alloc_fail_nth(n, 0);
    rtc_error err = rtc_mdns_create(h.factory, queue_, &options_, &m);
    rtc_alloc_clear_failure();
    if (err == RTC_OK) {
      ASSERT_NE(nullptr, m);
      rtc_mdns_destroy(m);
      break;
    }
    EXPECT_EQ(RTC_ERR_NO_MEMORY, err) << n;
    EXPECT_EQ(nullptr, m);
    failures++;
    ASSERT_LT(n, 100u);
  }
  // The mdns, its flag, the socket array, two sockets.
  EXPECT_GE(failures, 5);
  // Nothing left bound: a new one opens the same sockets.
  rtc_mdns* again = Create(h.factory);
  EXPECT_NE(nullptr, again);
  if (!Sim()) {
    EXPECT_EQ(2u, lan_.sockets.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Networks,
                         MdnsNetworkTest,
                         ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return std::string(param.param ? "Sim" : "Fake");
                         });
INSTANTIATE_TEST_SUITE_P(Networks,
                         MdnsSimTest,
                         ::testing::Values(true),
                         [](const ::testing::TestParamInfo<bool>&) {
                           return std::string("Sim");
                         });

// ================= Real sockets on the loopback interface =================

struct LoopbackEnv {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  rtc_error error = RTC_ERR_INTERNAL;
  rtc_socket_address address{};
  std::string name;
  rtc_socket_factory* factory = nullptr;
  rtc_task_queue* queue = nullptr;
  rtc_mdns* a = nullptr;
  rtc_mdns* b = nullptr;
  rtc_error create_error = RTC_OK;
};

void LoopbackResolved(void* user, rtc_error err, const rtc_socket_address* a) {
  LoopbackEnv* env = static_cast<LoopbackEnv*>(user);
  std::lock_guard<std::mutex> lock(env->mu);
  env->error = err;
  if (a)
    env->address = *a;
  env->done = true;
  env->cv.notify_all();
}

void LoopbackStart(void* arg) {
  LoopbackEnv* env = static_cast<LoopbackEnv*>(arg);
  rtc_mdns_options o;
  rtc_mdns_options_init(&o);
  o.interfaces.include_loopback = true;
  o.port = 15353;
  o.resolve_timeout_us = 5 * RTC_US_PER_SEC;
  rtc_error err = rtc_mdns_create(env->factory, env->queue, &o, &env->a);
  if (err == RTC_OK)
    err = rtc_mdns_create(env->factory, env->queue, &o, &env->b);
  if (err == RTC_OK) {
    char name[RTC_MDNS_NAME_SIZE];
    rtc_socket_address ip;
    rtc_socket_address_set_ipv4(&ip, 0x7f000001, 0);
    err = rtc_mdns_register(env->a, &ip, name);
    env->name = name;
  }
  if (err == RTC_OK) {
    err = rtc_mdns_resolve(env->b, env->name.data(), env->name.size(), 0,
                           LoopbackResolved, env, nullptr);
  }
  if (err != RTC_OK) {
    std::lock_guard<std::mutex> lock(env->mu);
    env->create_error = err;
    env->done = true;
    env->cv.notify_all();
  }
}

void LoopbackStop(void* arg) {
  LoopbackEnv* env = static_cast<LoopbackEnv*>(arg);
  rtc_mdns_destroy(env->a);
  rtc_mdns_destroy(env->b);
  std::lock_guard<std::mutex> lock(env->mu);
  env->a = env->b = nullptr;
  env->done = true;
  env->cv.notify_all();
}

TEST(MdnsLoopbackTest, ResolvesOverRealLoopbackSockets) {
  LoopbackEnv env;
  if (rtc_system_socket_factory_create(&env.factory) != RTC_OK)
    GTEST_SKIP() << "system socket factory unavailable";
  rtc_interface_filter filter;
  rtc_interface_filter_init(&filter);
  filter.include_loopback = true;
  filter.include_ipv6 = false;
  rtc_network_interface ifaces[64];
  size_t count = 0;
  bool lo_multicast = false;
  if (rtc_socket_factory_list_interfaces(env.factory, &filter, ifaces, 64,
                                         &count) == RTC_OK) {
    for (size_t i = 0; i < count && i < 64; i++) {
      if (ifaces[i].type == RTC_ADAPTER_LOOPBACK ||
          rtc_socket_address_is_loopback(&ifaces[i].address))
        lo_multicast |= ifaces[i].multicast;
    }
  }
  if (!lo_multicast) {
    rtc_system_socket_factory_destroy(env.factory);
    GTEST_SKIP() << "the loopback interface is not multicast-capable";
  }
  ASSERT_EQ(RTC_OK, rtc_event_loop_create("mdns-test", &env.queue));
  ASSERT_EQ(RTC_OK, rtc_task_queue_post(
                        env.queue, rtc_task{LoopbackStart, nullptr, &env}));
  {
    std::unique_lock<std::mutex> lock(env.mu);
    env.cv.wait_for(lock, std::chrono::seconds(10), [&] { return env.done; });
  }
  bool skipped = env.create_error != RTC_OK;
  rtc_error create_error = env.create_error;
  rtc_error error = env.error;
  rtc_socket_address address = env.address;
  {
    std::lock_guard<std::mutex> lock(env.mu);
    env.done = false;
  }
  ASSERT_EQ(RTC_OK, rtc_task_queue_post(env.queue,
                                        rtc_task{LoopbackStop, nullptr, &env}));
  {
    std::unique_lock<std::mutex> lock(env.mu);
    env.cv.wait(lock, [&] { return env.done; });
  }
  rtc_task_queue_destroy(env.queue);
  rtc_system_socket_factory_destroy(env.factory);
  if (skipped) {
    GTEST_SKIP() << "no multicast socket on loopback: "
                 << rtc_error_name(create_error);
  }
  EXPECT_EQ(RTC_OK, error) << rtc_error_name(error);
  EXPECT_EQ("127.0.0.1", IpText(address));
}

}  // namespace
