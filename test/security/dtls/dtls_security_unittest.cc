// Security invariants of the DTLS transport (shared/reference/
// security-checklist.md §1A): what our handshake offers and accepts, and
// what it does against peers that break the rules. Hostile peers are raw
// BoringSSL peers (test/dtls/dtls_test_util.h) whose datagrams the test
// reads and rewrites (dtls_records.h). Each test is named after its row.

#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "p2p/certificate.h"
#include "p2p/dtls_transport.h"
#include "test/dtls/dtls_test_util.h"
#include "test/security/dtls/dtls_records.h"

namespace {

using namespace rtc_test::dtls;  // NOLINT: the harness is the vocabulary

// RFC 5246 §7.2 alert descriptions.
[[maybe_unused]] constexpr int kAlertUnexpectedMessage = 10;
constexpr int kAlertHandshakeFailure = 40;
[[maybe_unused]] constexpr int kAlertBadCertificate = 42;
constexpr int kAlertIllegalParameter = 47;
[[maybe_unused]] constexpr int kAlertDecryptError = 51;
[[maybe_unused]] constexpr int kAlertNoRenegotiation = 100;

// RFC 5764 §4.1.2 / RFC 7714 §14.2 SRTP protection profiles.
constexpr uint16_t kSrtpAes128CmSha1_80 = 0x0001;
constexpr uint16_t kSrtpNullSha1_80 = 0x0005;
constexpr uint16_t kSrtpNullSha1_32 = 0x0006;
constexpr uint16_t kSrtpAeadAes128Gcm = 0x0007;
constexpr uint16_t kSrtpAeadAes256Gcm = 0x0008;

class DtlsSecurityTest : public DtlsRawPeerTest {
 protected:
  // The first datagram our transport sends as a client: its ClientHello.
  Hello OurClientHello() {
    Create(a_);
    std::vector<std::string> seen;
    a_.tap = [&](const std::string& d) { seen.push_back(d); };
    EXPECT_EQ(RTC_OK, Start(a_, RTC_DTLS_ROLE_CLIENT));
    Advance(1 * kMs);
    Hello hello;
    EXPECT_FALSE(seen.empty());
    if (seen.empty())
      return hello;
    std::vector<Record> records;
    EXPECT_TRUE(ParseRecords(seen[0], &records));
    HandshakeMessage m;
    EXPECT_TRUE(!records.empty() && ParseHandshake(records[0], &m));
    EXPECT_EQ(kClientHello, m.type);
    EXPECT_TRUE(ParseHello(kClientHello, m.body, &hello));
    return hello;
  }

  // The first ServerHello in what `p` sent.
  static bool FindServerHello(const Peer& p, Hello* out) {
    for (const std::string& d : p.sent) {
      std::vector<Record> records;
      if (!ParseRecords(d, &records))
        continue;
      for (const Record& r : records) {
        HandshakeMessage m;
        if (ParseHandshake(r, &m) && m.type == kServerHello)
          return ParseHello(kServerHello, m.body, out);
      }
    }
    return false;
  }

  // Hands what `raw` sent to `ours`.
  void Deliver(RawPeer& raw, Peer& ours) {
    for (const std::string& d : raw.TakeOut())
      Receive(ours, reinterpret_cast<const uint8_t*>(d.data()), d.size());
  }

  // Lets `raw` process what it received (after its handshake: reads
  // application data into `read`).
  static void Drive(RawPeer& raw, std::string* read = nullptr) {
    if (!SSL_is_init_finished(raw.ssl.get())) {
      SSL_do_handshake(raw.ssl.get());
    } else {
      uint8_t buf[2048];
      int n;
      while ((n = SSL_read(raw.ssl.get(), buf, sizeof(buf))) > 0) {
        if (read)
          read->append(reinterpret_cast<const char*>(buf), n);
      }
    }
    ERR_clear_error();
  }
};

// --- SEC-08, SEC-05, SEC-02 (a), SEC-07: what our ClientHello offers ---

// RFC 8827 §6.5: "Implementations MUST favor cipher suites which support
// (Perfect Forward Secrecy) PFS over non-PFS cipher suites and SHOULD favor
// AEAD over non-AEAD cipher suites." Ours offers nothing else.
TEST_F(DtlsSecurityTest, SEC08_ClientHelloOffersOnlyEcdheAeadSuites) {
  Hello hello = OurClientHello();
  ASSERT_FALSE(hello.cipher_suites.empty());
  // The mandatory suite (SEC-07) comes first.
  EXPECT_EQ(0xC02B, hello.cipher_suites[0]);
  for (uint16_t suite : hello.cipher_suites) {
    SCOPED_TRACE(suite);
    if (suite == 0x00FF)  // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
      continue;
    const SSL_CIPHER* cipher = SSL_get_cipher_by_value(suite);
    ASSERT_NE(nullptr, cipher);
    EXPECT_EQ(NID_kx_ecdhe, SSL_CIPHER_get_kx_nid(cipher))
        << SSL_CIPHER_get_name(cipher);
    EXPECT_TRUE(SSL_CIPHER_is_aead(cipher)) << SSL_CIPHER_get_name(cipher);
  }
}

// RFC 8827 §6.5: "Implementations MUST NOT use an SRTP MKI" and no NULL
// encryption (SEC-02); SRTP_AES128_CM_HMAC_SHA1_80 is mandatory (SEC-07).
TEST_F(DtlsSecurityTest, SEC05_UseSrtpOffersNoMkiAndNoNullProfile) {
  Hello hello = OurClientHello();
  const std::string* ext = FindExtension(hello, kUseSrtpExtension);
  ASSERT_NE(nullptr, ext);
  UseSrtp use_srtp;
  ASSERT_TRUE(ParseUseSrtp(*ext, &use_srtp));
  EXPECT_TRUE(use_srtp.mki.empty());
  ASSERT_FALSE(use_srtp.profiles.empty());
  for (uint16_t p : use_srtp.profiles) {
    EXPECT_TRUE(p == kSrtpAes128CmSha1_80 || p == kSrtpAeadAes128Gcm ||
                p == kSrtpAeadAes256Gcm)
        << p;
  }
  EXPECT_NE(use_srtp.profiles.end(),
            std::find(use_srtp.profiles.begin(), use_srtp.profiles.end(),
                      kSrtpAes128CmSha1_80));
}

// SEC-08: in the server role, a client that lists a non-PFS suite (or a
// CBC one) first still gets ECDHE with AES-GCM; one that offers nothing
// else is refused with handshake_failure.
TEST_F(DtlsSecurityTest, SEC08_ServerPicksEcdheAeadOverClientPreference) {
  struct Case {
    rtc_key_type server_key;
    const char* client_ciphers;
    const char* expected;  // null: the handshake must fail
  } cases[] = {
      {RTC_KEY_RSA, "AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
       "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
      {RTC_KEY_ECDSA_P256,
       "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256",
       "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
      {RTC_KEY_RSA, "AES128-GCM-SHA256:AES256-GCM-SHA384", nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.client_ciphers);
    Destroy(b_);
    rtc_certificate_unref(b_.cert);
    b_.cert = nullptr;
    b_.states.clear();
    b_.errors.clear();
    if (!a_.cert)
      a_.cert = NewCert(RTC_KEY_ECDSA_P256);
    RawClient client;
    ASSERT_TRUE(client.Init(c.client_ciphers, a_.cert));
    Create(b_, c.server_key);
    ASSERT_EQ(RTC_OK, SetFingerprints(b_, {Fingerprint(a_)}));
    Run(client);
    if (c.expected) {
      ASSERT_TRUE(b_.connected()) << StatesOf(b_);
      EXPECT_STREQ(c.expected, Info(b_).cipher);
    } else {
      ASSERT_TRUE(b_.failed()) << StatesOf(b_);
      EXPECT_EQ(kAlertHandshakeFailure, b_.errors[0].sent_alert);
    }
  }
}

// --- SEC-02 (b): a peer offering only NULL encryption ---

// RFC 8827 §6.5: "Implementations MUST NOT negotiate cipher suites with
// NULL encryption." A ClientHello rewritten to offer only NULL cipher
// suites and NULL SRTP profiles is refused at once: handshake_failure, no
// ServerHello, nothing connected.
TEST_F(DtlsSecurityTest, SEC02_PeerOfferingOnlyNullSuitesIsRefused) {
  a_.cert = NewCert(RTC_KEY_ECDSA_P256);
  RawClient client;
  ASSERT_TRUE(client.Init("ECDHE-ECDSA-AES128-GCM-SHA256", a_.cert));
  int rewritten = 0;
  client.mutate = [&](std::string& d) {
    rewritten += RewriteHandshake(&d, kClientHello, [](std::string* body) {
      Hello hello;
      ASSERT_TRUE(ParseHello(kClientHello, *body, &hello));
      // TLS_ECDHE_ECDSA_WITH_NULL_SHA, TLS_ECDHE_RSA_WITH_NULL_SHA,
      // TLS_RSA_WITH_NULL_SHA256 (RFC 4492, RFC 5246).
      SetCipherSuites(&hello, {0xC006, 0xC010, 0x003B});
      std::string* srtp = FindExtension(&hello, kUseSrtpExtension);
      ASSERT_NE(nullptr, srtp);
      *srtp = SerializeUseSrtp({{kSrtpNullSha1_80, kSrtpNullSha1_32}, ""});
      *body = SerializeHello(hello);
    });
  };
  b_.cert = NewCert(RTC_KEY_ECDSA_P256);
  Create(b_);
  ASSERT_EQ(RTC_OK, SetFingerprints(b_, {Fingerprint(a_)}));
  Run(client);
  EXPECT_GE(rewritten, 1);
  ASSERT_TRUE(b_.failed()) << StatesOf(b_);
  EXPECT_FALSE(b_.connected());
  EXPECT_EQ(RTC_ERR_DTLS_FAILURE, b_.errors[0].code);
  EXPECT_EQ(kAlertHandshakeFailure, b_.errors[0].sent_alert);
  Hello server_hello;
  EXPECT_FALSE(FindServerHello(b_, &server_hello));
}

// The same with acceptable cipher suites but only NULL SRTP profiles: the
// ServerHello selects no SRTP profile (RFC 5764 §4.1.1: no use_srtp in the
// answer), so no SRTP key can ever exist; the handshake itself then fails
// because the rewritten ClientHello breaks the transcript.
TEST_F(DtlsSecurityTest, SEC02_NullSrtpProfilesAreNeverSelected) {
  a_.cert = NewCert(RTC_KEY_ECDSA_P256);
  RawClient client;
  ASSERT_TRUE(client.Init("ECDHE-ECDSA-AES128-GCM-SHA256", a_.cert));
  client.mutate = [&](std::string& d) {
    RewriteHandshake(&d, kClientHello, [](std::string* body) {
      Hello hello;
      ASSERT_TRUE(ParseHello(kClientHello, *body, &hello));
      std::string* srtp = FindExtension(&hello, kUseSrtpExtension);
      ASSERT_NE(nullptr, srtp);
      *srtp = SerializeUseSrtp({{kSrtpNullSha1_80, kSrtpNullSha1_32}, ""});
      *body = SerializeHello(hello);
    });
  };
  b_.cert = NewCert(RTC_KEY_ECDSA_P256);
  Create(b_);
  ASSERT_EQ(RTC_OK, SetFingerprints(b_, {Fingerprint(a_)}));
  Run(client);
  Hello server_hello;
  ASSERT_TRUE(FindServerHello(b_, &server_hello));
  EXPECT_EQ(nullptr, FindExtension(server_hello, kUseSrtpExtension));
  EXPECT_FALSE(b_.connected());
  rtc_srtp_keys keys;
  EXPECT_NE(RTC_OK, Keys(b_, &keys));
}

// --- SEC-05: a ServerHello with an MKI ---

// RFC 8827 §6.5: "Implementations MUST NOT use an SRTP MKI"; RFC 5764
// §4.1.3: the server's srtp_mki must echo the client's (empty) one. A
// server that answers use_srtp with a non-empty MKI is refused with
// illegal_parameter, and no key is ever exported.
TEST_F(DtlsSecurityTest, SEC05_ServerHelloWithMkiAbortsTheHandshake) {
  b_.cert = NewCert(RTC_KEY_ECDSA_P256);
  RawPeer server;
  ASSERT_TRUE(server.Init("ECDHE-ECDSA-AES128-GCM-SHA256", b_.cert,
                          /*server=*/true));
  int rewritten = 0;
  server.mutate = [&](std::string& d) {
    rewritten += RewriteHandshake(&d, kServerHello, [](std::string* body) {
      Hello hello;
      ASSERT_TRUE(ParseHello(kServerHello, *body, &hello));
      std::string* srtp = FindExtension(&hello, kUseSrtpExtension);
      ASSERT_NE(nullptr, srtp);
      UseSrtp use_srtp;
      ASSERT_TRUE(ParseUseSrtp(*srtp, &use_srtp));
      use_srtp.mki = std::string("\xab\xcd", 2);
      *srtp = SerializeUseSrtp(use_srtp);
      *body = SerializeHello(hello);
    });
  };
  Create(a_);
  ASSERT_EQ(RTC_OK, SetFingerprints(a_, {Fingerprint(b_)}));
  RunServer(server);
  EXPECT_GE(rewritten, 1);
  ASSERT_TRUE(a_.failed()) << StatesOf(a_);
  EXPECT_FALSE(a_.connected());
  EXPECT_EQ(RTC_ERR_DTLS_FAILURE, a_.errors[0].code);
  EXPECT_EQ(kAlertIllegalParameter, a_.errors[0].sent_alert);
  rtc_srtp_keys keys;
  EXPECT_EQ(RTC_ERR_INVALID_STATE, Keys(a_, &keys));
}

// --- SEC-19: mutual authentication ---

// RFC 5763 §5: "the endpoint acting as the DTLS server MUST request a
// certificate from the endpoint acting as the DTLS client": our server's
// first flight carries a CertificateRequest.
TEST_F(DtlsSecurityTest, SEC19_ServerFlightCarriesCertificateRequest) {
  a_.cert = NewCert(RTC_KEY_ECDSA_P256);
  RawClient client;
  ASSERT_TRUE(client.Init("ECDHE-ECDSA-AES128-GCM-SHA256", a_.cert));
  b_.cert = NewCert(RTC_KEY_ECDSA_P256);
  Create(b_);
  ASSERT_EQ(RTC_OK, SetFingerprints(b_, {Fingerprint(a_)}));
  Run(client);
  ASSERT_TRUE(b_.connected()) << StatesOf(b_);
  std::vector<uint8_t> types;
  for (const std::string& d : b_.sent) {
    for (uint8_t t : HandshakeTypes(d))
      types.push_back(t);
  }
  EXPECT_NE(types.end(),
            std::find(types.begin(), types.end(), kCertificateRequest));
  EXPECT_NE(types.end(), std::find(types.begin(), types.end(), kCertificate));
}

}  // namespace
