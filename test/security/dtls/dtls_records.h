// DTLS 1.2 records and handshake messages as a hostile peer or an
// inspecting test sees them (RFC 6347 §4.1, §4.2.2; RFC 5246 §7.4): split a
// datagram into records, read and rewrite unencrypted handshake messages
// (ClientHello, ServerHello, their extensions), and seal a record with the
// AES-GCM keys of a connection (RFC 5288 §3, as DTLS uses it).
#ifndef TEST_SECURITY_DTLS_DTLS_RECORDS_H_
#define TEST_SECURITY_DTLS_DTLS_RECORDS_H_

#include <openssl/ssl.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rtc_test {
namespace dtls {

// RFC 5246 §6.2.1 content types, §7.4 handshake types.
constexpr uint8_t kChangeCipherSpec = 20;
constexpr uint8_t kAlert = 21;
constexpr uint8_t kHandshake = 22;
constexpr uint8_t kApplicationData = 23;
constexpr uint8_t kHelloRequest = 0;
constexpr uint8_t kClientHello = 1;
constexpr uint8_t kServerHello = 2;
constexpr uint8_t kCertificate = 11;
constexpr uint8_t kCertificateRequest = 13;
constexpr uint8_t kCertificateVerify = 15;
// RFC 5764 §4.1.1.
constexpr uint16_t kUseSrtpExtension = 14;

struct Record {
  uint8_t type = 0;
  uint16_t version = 0;
  uint16_t epoch = 0;
  uint64_t sequence = 0;
  std::string fragment;
};

// The records of a datagram; false if it is not a whole number of them.
bool ParseRecords(const std::string& datagram, std::vector<Record>* out);
std::string SerializeRecords(const std::vector<Record>& records);

// An unencrypted (epoch 0), unfragmented handshake message.
struct HandshakeMessage {
  uint8_t type = 0;
  uint16_t message_seq = 0;
  std::string body;
};
// The handshake message of a record; false if it is not one whole message.
bool ParseHandshake(const Record& record, HandshakeMessage* out);
std::string SerializeHandshake(const HandshakeMessage& message);

// The handshake types of the epoch-0 handshake records of a datagram, and
// whether any record of `type` is in it.
std::vector<uint8_t> HandshakeTypes(const std::string& datagram);
bool HasRecordType(const std::string& datagram, uint8_t type);

// A ClientHello or ServerHello body: what comes before the extensions, and
// the extensions in order.
struct Hello {
  std::string prefix;
  std::vector<std::pair<uint16_t, std::string>> extensions;
  // ClientHello only: the offered cipher suites.
  std::vector<uint16_t> cipher_suites;
  // ServerHello only: the selected one.
  uint16_t cipher_suite = 0;
  // ClientHello only: where the cipher suite list (its length) starts in
  // `prefix`.
  size_t suites_offset = 0;
};
bool ParseHello(uint8_t type, const std::string& body, Hello* out);
std::string SerializeHello(const Hello& hello);
const std::string* FindExtension(const Hello& hello, uint16_t type);
std::string* FindExtension(Hello* hello, uint16_t type);
// Replaces the cipher suites a ClientHello offers.
void SetCipherSuites(Hello* hello, const std::vector<uint16_t>& suites);

// The use_srtp extension (RFC 5764 §4.1.1): profiles and MKI.
struct UseSrtp {
  std::vector<uint16_t> profiles;
  std::string mki;
};
bool ParseUseSrtp(const std::string& data, UseSrtp* out);
std::string SerializeUseSrtp(const UseSrtp& use_srtp);

// Finds the first epoch-0 handshake message of `type` in `datagram`, lets
// `edit` change its body, and writes the datagram back with every length
// fixed. False if there is no such message.
template <typename Edit>
bool RewriteHandshake(std::string* datagram, uint8_t type, Edit edit) {
  std::vector<Record> records;
  if (!ParseRecords(*datagram, &records))
    return false;
  for (Record& r : records) {
    HandshakeMessage m;
    if (r.type != kHandshake || r.epoch != 0 || !ParseHandshake(r, &m) ||
        m.type != type)
      continue;
    edit(&m.body);
    r.fragment = SerializeHandshake(m);
    *datagram = SerializeRecords(records);
    return true;
  }
  return false;
}

// Seals `plaintext` as a record of `type` in `epoch` with number
// `sequence`, with the write key and IV of the client (or the server) of
// `ssl`'s connection, which must use an AES-128-GCM suite (RFC 5288 §3:
// nonce = salt || explicit 8 bytes; RFC 6347 §4.1.2.1: the additional data
// carries epoch and sequence number).
bool SealRecord(SSL* ssl,
                bool client_write,
                uint8_t type,
                uint16_t epoch,
                uint64_t sequence,
                const std::string& plaintext,
                std::string* out);

}  // namespace dtls
}  // namespace rtc_test

#endif  // TEST_SECURITY_DTLS_DTLS_RECORDS_H_
