#include "test/security/dtls/dtls_records.h"

#include <openssl/aead.h>
#include <openssl/bytestring.h>

#include <cstring>

namespace rtc_test {
namespace dtls {
namespace {

std::string Bytes(const CBS& cbs) {
  return std::string(reinterpret_cast<const char*>(CBS_data(&cbs)),
                     CBS_len(&cbs));
}

bool ReadU48(CBS* cbs, uint64_t* out) {
  uint16_t high;
  uint32_t low;
  if (!CBS_get_u16(cbs, &high) || !CBS_get_u32(cbs, &low))
    return false;
  *out = (static_cast<uint64_t>(high) << 32) | low;
  return true;
}

void PutU16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v));
}

void PutU24(std::string* s, uint32_t v) {
  s->push_back(static_cast<char>(v >> 16));
  PutU16(s, static_cast<uint16_t>(v));
}

void PutU48(std::string* s, uint64_t v) {
  PutU16(s, static_cast<uint16_t>(v >> 32));
  PutU16(s, static_cast<uint16_t>(v >> 16));
  PutU16(s, static_cast<uint16_t>(v));
}

}  // namespace

bool ParseRecords(const std::string& datagram, std::vector<Record>* out) {
  out->clear();
  CBS cbs;
  CBS_init(&cbs, reinterpret_cast<const uint8_t*>(datagram.data()),
           datagram.size());
  while (CBS_len(&cbs) > 0) {
    Record r;
    CBS fragment;
    if (!CBS_get_u8(&cbs, &r.type) || !CBS_get_u16(&cbs, &r.version) ||
        !CBS_get_u16(&cbs, &r.epoch) || !ReadU48(&cbs, &r.sequence) ||
        !CBS_get_u16_length_prefixed(&cbs, &fragment))
      return false;
    r.fragment = Bytes(fragment);
    out->push_back(std::move(r));
  }
  return true;
}

std::string SerializeRecords(const std::vector<Record>& records) {
  std::string s;
  for (const Record& r : records) {
    s.push_back(static_cast<char>(r.type));
    PutU16(&s, r.version);
    PutU16(&s, r.epoch);
    PutU48(&s, r.sequence);
    PutU16(&s, static_cast<uint16_t>(r.fragment.size()));
    s += r.fragment;
  }
  return s;
}

bool ParseHandshake(const Record& record, HandshakeMessage* out) {
  if (record.type != kHandshake || record.epoch != 0)
    return false;
  CBS cbs;
  CBS_init(&cbs, reinterpret_cast<const uint8_t*>(record.fragment.data()),
           record.fragment.size());
  uint32_t length, offset, fragment_length;
  CBS body;
  if (!CBS_get_u8(&cbs, &out->type) || !CBS_get_u24(&cbs, &length) ||
      !CBS_get_u16(&cbs, &out->message_seq) || !CBS_get_u24(&cbs, &offset) ||
      !CBS_get_u24(&cbs, &fragment_length) ||
      !CBS_get_bytes(&cbs, &body, fragment_length) || CBS_len(&cbs) != 0)
    return false;
  if (offset != 0 || fragment_length != length)
    return false;  // a fragment: not handled here
  out->body = Bytes(body);
  return true;
}

std::string SerializeHandshake(const HandshakeMessage& message) {
  std::string s;
  s.push_back(static_cast<char>(message.type));
  PutU24(&s, static_cast<uint32_t>(message.body.size()));
  PutU16(&s, message.message_seq);
  PutU24(&s, 0);
  PutU24(&s, static_cast<uint32_t>(message.body.size()));
  return s + message.body;
}

std::vector<uint8_t> HandshakeTypes(const std::string& datagram) {
  std::vector<uint8_t> types;
  std::vector<Record> records;
  if (!ParseRecords(datagram, &records))
    return types;
  for (const Record& r : records) {
    if (r.type == kHandshake && r.epoch == 0 && r.fragment.size() >= 1)
      types.push_back(static_cast<uint8_t>(r.fragment[0]));
  }
  return types;
}

bool HasRecordType(const std::string& datagram, uint8_t type) {
  std::vector<Record> records;
  if (!ParseRecords(datagram, &records))
    return false;
  for (const Record& r : records) {
    if (r.type == type)
      return true;
  }
  return false;
}

bool ParseHello(uint8_t type, const std::string& body, Hello* out) {
  *out = Hello();
  CBS cbs;
  CBS_init(&cbs, reinterpret_cast<const uint8_t*>(body.data()), body.size());
  const uint8_t* start = CBS_data(&cbs);
  CBS random, session_id, cookie, suites, compression;
  uint16_t version;
  if (!CBS_get_u16(&cbs, &version) || !CBS_get_bytes(&cbs, &random, 32) ||
      !CBS_get_u8_length_prefixed(&cbs, &session_id))
    return false;
  if (type == kClientHello) {
    if (!CBS_get_u8_length_prefixed(&cbs, &cookie))
      return false;
    out->suites_offset = CBS_data(&cbs) - start;
    if (!CBS_get_u16_length_prefixed(&cbs, &suites) ||
        !CBS_get_u8_length_prefixed(&cbs, &compression))
      return false;
    while (CBS_len(&suites) > 0) {
      uint16_t suite;
      if (!CBS_get_u16(&suites, &suite))
        return false;
      out->cipher_suites.push_back(suite);
    }
  } else if (type == kServerHello) {
    uint8_t method;
    if (!CBS_get_u16(&cbs, &out->cipher_suite) || !CBS_get_u8(&cbs, &method))
      return false;
  } else {
    return false;
  }
  out->prefix.assign(reinterpret_cast<const char*>(start),
                     CBS_data(&cbs) - start);
  if (CBS_len(&cbs) == 0)
    return true;
  CBS extensions;
  if (!CBS_get_u16_length_prefixed(&cbs, &extensions) || CBS_len(&cbs) != 0)
    return false;
  while (CBS_len(&extensions) > 0) {
    uint16_t ext_type;
    CBS data;
    if (!CBS_get_u16(&extensions, &ext_type) ||
        !CBS_get_u16_length_prefixed(&extensions, &data))
      return false;
    out->extensions.emplace_back(ext_type, Bytes(data));
  }
  return true;
}

std::string SerializeHello(const Hello& hello) {
  std::string ext;
  for (const auto& e : hello.extensions) {
    PutU16(&ext, e.first);
    PutU16(&ext, static_cast<uint16_t>(e.second.size()));
    ext += e.second;
  }
  std::string s = hello.prefix;
  PutU16(&s, static_cast<uint16_t>(ext.size()));
  return s + ext;
}

const std::string* FindExtension(const Hello& hello, uint16_t type) {
  for (const auto& e : hello.extensions) {
    if (e.first == type)
      return &e.second;
  }
  return nullptr;
}

std::string* FindExtension(Hello* hello, uint16_t type) {
  for (auto& e : hello->extensions) {
    if (e.first == type)
      return &e.second;
  }
  return nullptr;
}

void SetCipherSuites(Hello* hello, const std::vector<uint16_t>& suites) {
  size_t old_len = 2 + 2 * hello->cipher_suites.size();
  std::string list;
  PutU16(&list, static_cast<uint16_t>(2 * suites.size()));
  for (uint16_t s : suites)
    PutU16(&list, s);
  hello->prefix.replace(hello->suites_offset, old_len, list);
  hello->cipher_suites = suites;
}

bool ParseUseSrtp(const std::string& data, UseSrtp* out) {
  *out = UseSrtp();
  CBS cbs, profiles, mki;
  CBS_init(&cbs, reinterpret_cast<const uint8_t*>(data.data()), data.size());
  if (!CBS_get_u16_length_prefixed(&cbs, &profiles) ||
      !CBS_get_u8_length_prefixed(&cbs, &mki) || CBS_len(&cbs) != 0)
    return false;
  while (CBS_len(&profiles) > 0) {
    uint16_t p;
    if (!CBS_get_u16(&profiles, &p))
      return false;
    out->profiles.push_back(p);
  }
  out->mki = Bytes(mki);
  return true;
}

std::string SerializeUseSrtp(const UseSrtp& use_srtp) {
  std::string s;
  PutU16(&s, static_cast<uint16_t>(2 * use_srtp.profiles.size()));
  for (uint16_t p : use_srtp.profiles)
    PutU16(&s, p);
  s.push_back(static_cast<char>(use_srtp.mki.size()));
  return s + use_srtp.mki;
}

bool SealRecord(SSL* ssl,
                bool client_write,
                uint8_t type,
                uint16_t epoch,
                uint64_t sequence,
                const std::string& plaintext,
                std::string* out) {
  // RFC 5246 §6.3: client_write_key, server_write_key, client_write_IV,
  // server_write_IV (no MAC keys with an AEAD); RFC 5288 §3: 4-byte IVs.
  constexpr size_t kKey = 16, kIv = 4;
  if (SSL_get_key_block_len(ssl) != 2 * (kKey + kIv))
    return false;
  uint8_t block[2 * (kKey + kIv)];
  if (!SSL_generate_key_block(ssl, block, sizeof(block)))
    return false;
  const uint8_t* key = block + (client_write ? 0 : kKey);
  const uint8_t* iv = block + 2 * kKey + (client_write ? 0 : kIv);
  std::string seq;  // epoch || sequence: the explicit nonce and the AAD's
  PutU16(&seq, epoch);
  PutU48(&seq, sequence);
  uint8_t nonce[12];
  std::memcpy(nonce, iv, kIv);
  std::memcpy(nonce + kIv, seq.data(), 8);
  std::string ad = seq;
  ad.push_back(static_cast<char>(type));
  PutU16(&ad, DTLS1_2_VERSION);
  PutU16(&ad, static_cast<uint16_t>(plaintext.size()));
  bssl::ScopedEVP_AEAD_CTX aead;
  if (!EVP_AEAD_CTX_init(aead.get(), EVP_aead_aes_128_gcm(), key, kKey,
                         EVP_AEAD_DEFAULT_TAG_LENGTH, nullptr))
    return false;
  std::vector<uint8_t> sealed(plaintext.size() +
                              EVP_AEAD_max_overhead(EVP_aead_aes_128_gcm()));
  size_t sealed_len = 0;
  if (!EVP_AEAD_CTX_seal(
          aead.get(), sealed.data(), &sealed_len, sealed.size(), nonce,
          sizeof(nonce), reinterpret_cast<const uint8_t*>(plaintext.data()),
          plaintext.size(), reinterpret_cast<const uint8_t*>(ad.data()),
          ad.size()))
    return false;
  Record r;
  r.type = type;
  r.version = DTLS1_2_VERSION;
  r.epoch = epoch;
  r.sequence = sequence;
  r.fragment = seq + std::string(reinterpret_cast<const char*>(sealed.data()),
                                 sealed_len);
  *out = SerializeRecords({r});
  return true;
}

}  // namespace dtls
}  // namespace rtc_test
