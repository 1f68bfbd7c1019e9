// Security invariants of the DTLS transport (shared/reference/
// security-checklist.md §1A): what our handshake offers and accepts, and
// what it does against peers that break the rules. Hostile peers are raw
// BoringSSL peers (test/dtls/dtls_test_util.h) whose datagrams the test
// reads and rewrites (dtls_records.h). Each test is named after its row.

#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/pool.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "p2p/certificate.h"
#include "p2p/dtls_transport.h"
#include "rtc_base/alloc.h"
#include "test/dtls/dtls_test_util.h"
#include "test/security/dtls/dtls_records.h"

namespace {

using namespace rtc_test::dtls;  // NOLINT: the harness is the vocabulary

// RFC 5246 §7.2 alert descriptions.
constexpr int kAlertUnexpectedMessage = 10;
constexpr int kAlertHandshakeFailure = 40;
constexpr int kAlertBadCertificate = 42;
constexpr int kAlertIllegalParameter = 47;
constexpr int kAlertDecodeError = 50;
constexpr int kAlertDecryptError = 51;
constexpr int kAlertNoRenegotiation = 100;

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

// --- SEC-07: the mandatory suite, curve and profile ---

// RFC 8827 §6.5: "All implementations MUST support DTLS 1.2 with the
// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 cipher suite and the P-256 curve"
// and the SRTP_AES128_CM_HMAC_SHA1_80 protection profile. A peer pinned to
// exactly those connects with us in both roles, and that is what we
// report.
TEST_F(DtlsSecurityTest, SEC07_PeerPinnedToTheMandatorySuiteCurveAndProfile) {
  for (bool we_are_server : {true, false}) {
    SCOPED_TRACE(we_are_server ? "we are server" : "we are client");
    Peer& ours = we_are_server ? b_ : a_;
    Peer& theirs = we_are_server ? a_ : b_;
    Destroy(ours);
    ours.states.clear();
    if (!theirs.cert)
      theirs.cert = NewCert(RTC_KEY_ECDSA_P256);
    RawPeer peer;
    ASSERT_TRUE(peer.Init("ECDHE-ECDSA-AES128-GCM-SHA256", theirs.cert,
                          /*server=*/!we_are_server, "SRTP_AES128_CM_SHA1_80"));
    ASSERT_TRUE(SSL_set1_curves_list(peer.ssl.get(), "P-256"));
    Create(ours);
    ASSERT_EQ(RTC_OK, SetFingerprints(ours, {Fingerprint(theirs)}));
    if (we_are_server)
      Run(peer);
    else
      RunServer(peer);
    ASSERT_TRUE(ours.connected()) << StatesOf(ours);
    rtc_dtls_info info = Info(ours);
    EXPECT_STREQ("DTLSv1.2", info.tls_version);
    EXPECT_STREQ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", info.cipher);
    EXPECT_STREQ("P-256", info.group);
    EXPECT_STREQ("SRTP_AES128_CM_SHA1_80", info.srtp_cipher);
    rtc_srtp_keys keys;
    ASSERT_EQ(RTC_OK, Keys(ours, &keys));
    EXPECT_EQ(RTC_SRTP_AES128_CM_SHA1_80, keys.profile);
    EXPECT_EQ(16u, keys.key_length);
    EXPECT_EQ(14u, keys.salt_length);
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

// --- SEC-09: renegotiation ---

// A handshake between our transport `ours` and a raw peer, finished on both
// sides, with one application record each way so that both are past the
// handshake for sure.
class DtlsRenegotiationTest : public DtlsSecurityTest {
 protected:
  void ConnectRawClient(RawClient& client) {
    a_.cert = NewCert(RTC_KEY_ECDSA_P256);
    ASSERT_TRUE(client.Init("ECDHE-ECDSA-AES128-GCM-SHA256", a_.cert));
    client.mutate = [&](std::string& d) {
      if (first_flight_.empty())
        first_flight_ = d;
    };
    b_.cert = NewCert(RTC_KEY_ECDSA_P256);
    Create(b_);
    ASSERT_EQ(RTC_OK, SetFingerprints(b_, {Fingerprint(a_)}));
    Run(client);
    ASSERT_TRUE(b_.connected()) << StatesOf(b_);
    Drive(client);  // b's last flight
    ASSERT_TRUE(SSL_is_init_finished(client.ssl.get()));
  }

  void ConnectRawServer(RawPeer& server) {
    b_.cert = NewCert(RTC_KEY_ECDSA_P256);
    ASSERT_TRUE(server.Init("ECDHE-ECDSA-AES128-GCM-SHA256", b_.cert,
                            /*server=*/true));
    Create(a_);
    ASSERT_EQ(RTC_OK, SetFingerprints(a_, {Fingerprint(b_)}));
    RunServer(server);
    ASSERT_TRUE(a_.connected()) << StatesOf(a_);
    Drive(server);  // a's Finished was already handled; nothing pending
    ASSERT_TRUE(SSL_is_init_finished(server.ssl.get()));
  }

  // Application data from the raw peer reaches `ours`, and back.
  void ExpectDataFlows(RawPeer& raw, Peer& ours, const std::string& text) {
    size_t before = ours.data.size();
    ASSERT_EQ(static_cast<int>(text.size()),
              SSL_write(raw.ssl.get(), text.data(), text.size()));
    Deliver(raw, ours);
    ASSERT_EQ(before + 1, ours.data.size());
    EXPECT_EQ(text, ours.data.back());
    ASSERT_EQ(RTC_OK, SendData(ours, text + " back"));
  }

  // Datagrams `ours` sent from index `from` on, and the record types in
  // them.
  static std::vector<uint8_t> RecordTypesSince(const Peer& ours, size_t from) {
    std::vector<uint8_t> types;
    for (size_t i = from; i < ours.sent.size(); ++i) {
      std::vector<Record> records;
      if (ParseRecords(ours.sent[i], &records)) {
        for (const Record& r : records)
          types.push_back(r.type);
      }
    }
    return types;
  }

  // `ours` refused a renegotiation that came after its datagram `sent`.
  void ExpectRefused(Peer& ours, size_t sent) {
    std::vector<uint8_t> types = RecordTypesSince(ours, sent);
    ASSERT_FALSE(types.empty());
    for (uint8_t type : types)
      EXPECT_EQ(kAlert, type);
    ASSERT_TRUE(ours.failed()) << StatesOf(ours);
    ASSERT_EQ(1u, ours.errors.size());
    EXPECT_EQ(RTC_ERR_DTLS_FAILURE, ours.errors[0].code);
    EXPECT_TRUE(ours.errors[0].sent_alert == kAlertNoRenegotiation ||
                ours.errors[0].sent_alert == kAlertUnexpectedMessage)
        << ours.errors[0].sent_alert;
    rtc_srtp_keys keys;
    EXPECT_EQ(RTC_ERR_INVALID_STATE, Keys(ours, &keys));
    EXPECT_EQ(RTC_ERR_INVALID_STATE, SendData(ours, "after"));
  }

  std::string first_flight_;
};

// RFC 8827 §6.5: "Implementations MUST NOT implement DTLS renegotiation and
// MUST reject it with a "no_renegotiation" alert if offered." We are the
// server; after the handshake the client sends a new ClientHello, first in
// the clear (epoch 0, as an attacker could), then encrypted and
// authenticated in the connection's epoch, as a real renegotiating client
// would.
TEST_F(DtlsRenegotiationTest, SEC09_ClientHelloAfterTheHandshakeIsRefused) {
  RawClient client;
  ConnectRawClient(client);
  ExpectDataFlows(client, b_, "before");
  rtc_srtp_keys keys_before;
  ASSERT_EQ(RTC_OK, Keys(b_, &keys_before));

  // (1) The first ClientHello again, unencrypted: a record of an old epoch,
  // dropped (RFC 6347 §4.1); nothing is answered, nothing changes.
  size_t sent = b_.sent.size();
  Receive(b_, reinterpret_cast<const uint8_t*>(first_flight_.data()),
          first_flight_.size());
  Advance(1 * kSec);
  EXPECT_EQ(sent, b_.sent.size());
  EXPECT_EQ(RTC_DTLS_CONNECTED, rtc_dtls_transport_state(b_.transport));
  Drive(client);
  ExpectDataFlows(client, b_, "after a replayed ClientHello");
  rtc_srtp_keys keys_after;
  ASSERT_EQ(RTC_OK, Keys(b_, &keys_after));
  EXPECT_EQ(0, std::memcmp(&keys_before, &keys_after, sizeof(keys_after)));

  // (2) A ClientHello in epoch 1, sealed with the client's keys.
  std::vector<Record> records;
  ASSERT_TRUE(ParseRecords(first_flight_, &records));
  HandshakeMessage hello;
  ASSERT_TRUE(ParseHandshake(records[0], &hello));
  ASSERT_EQ(kClientHello, hello.type);
  hello.message_seq = 0;  // a new handshake starts at 0 (RFC 6347 §4.2.2)
  std::string sealed;
  ASSERT_TRUE(SealRecord(client.ssl.get(), /*client_write=*/true, kHandshake,
                         /*epoch=*/1, /*sequence=*/1000,
                         SerializeHandshake(hello), &sealed));
  sent = b_.sent.size();
  Receive(b_, reinterpret_cast<const uint8_t*>(sealed.data()), sealed.size());
  Advance(1 * kSec);
  // No new handshake: nothing but an (encrypted) alert went out, and the
  // connection is over without new keys. BoringSSL's DTLS record layer
  // answers an authenticated handshake record after the handshake with a
  // fatal unexpected_message, not no_renegotiation (see the report of
  // SEC-09): either refuses the renegotiation.
  ExpectRefused(b_, sent);
}

// The same in the client role: a HelloRequest (RFC 5246 §7.4.1.1) from the
// server after the handshake.
TEST_F(DtlsRenegotiationTest, SEC09_HelloRequestAfterTheHandshakeIsRefused) {
  RawPeer server;
  ConnectRawServer(server);
  ExpectDataFlows(server, a_, "before");
  HandshakeMessage hello_request;
  hello_request.type = kHelloRequest;
  std::string sealed;
  ASSERT_TRUE(SealRecord(server.ssl.get(), /*client_write=*/false, kHandshake,
                         /*epoch=*/1, /*sequence=*/1000,
                         SerializeHandshake(hello_request), &sealed));
  size_t sent = a_.sent.size();
  Receive(a_, reinterpret_cast<const uint8_t*>(sealed.data()), sealed.size());
  Advance(1 * kSec);
  ExpectRefused(a_, sent);
}

// --- SEC-10: no False Start ---

// RFC 8827 §6.5: "Implementations MUST NOT implement TLS False Start". The
// server's last flight (ChangeCipherSpec, Finished) is held back: our
// client, which has sent its own Finished, is not connected, sends no
// application data and no SRTP, and has no keys, until that Finished has
// arrived and been verified.
TEST_F(DtlsSecurityTest, SEC10_NoApplicationDataBeforeTheServerFinished) {
  b_.cert = NewCert(RTC_KEY_ECDSA_P256);
  RawPeer server;
  ASSERT_TRUE(server.Init("ECDHE-ECDSA-AES128-GCM-SHA256", b_.cert,
                          /*server=*/true));
  std::vector<std::string> held;
  server.mutate = [&](std::string& d) {
    if (HasRecordType(d, kChangeCipherSpec)) {
      held.push_back(d);
      d.clear();
    }
  };
  Create(a_);
  ASSERT_EQ(RTC_OK, SetFingerprints(a_, {Fingerprint(b_)}));
  RunServer(server);
  ASSERT_TRUE(SSL_is_init_finished(server.ssl.get()));  // a's Finished came
  ASSERT_FALSE(held.empty());
  EXPECT_FALSE(a_.connected()) << StatesOf(a_);
  EXPECT_EQ(RTC_DTLS_CONNECTING, rtc_dtls_transport_state(a_.transport));
  EXPECT_EQ(RTC_ERR_INVALID_STATE, SendData(a_, "too early"));
  EXPECT_EQ(RTC_ERR_INVALID_STATE, SendRtp(a_, kRtp, sizeof(kRtp)));
  rtc_srtp_keys keys;
  EXPECT_EQ(RTC_ERR_INVALID_STATE, Keys(a_, &keys));
  for (const std::string& d : a_.sent)
    EXPECT_FALSE(HasRecordType(d, kApplicationData));

  // The Finished arrives: now, and only now.
  server.mutate = nullptr;
  for (const std::string& d : held)
    Receive(a_, reinterpret_cast<const uint8_t*>(d.data()), d.size());
  ASSERT_TRUE(a_.connected()) << StatesOf(a_);
  EXPECT_EQ(RTC_OK, SendData(a_, "after Finished"));
  EXPECT_TRUE(HasRecordType(a_.sent.back(), kApplicationData));
  EXPECT_EQ(RTC_OK, Keys(a_, &keys));
}

// --- SEC-18: proof of possession ---

// The key the raw peer signs with (ProofOfPossession tests only).
EVP_PKEY* g_signing_key = nullptr;

// A private key method that signs with g_signing_key, whatever the
// certificate says.
ssl_private_key_result_t SignWithOtherKey(SSL* ssl,
                                          uint8_t* out,
                                          size_t* out_len,
                                          size_t max_out,
                                          uint16_t sigalg,
                                          const uint8_t* in,
                                          size_t in_len) {
  bssl::ScopedEVP_MD_CTX ctx;
  EVP_PKEY_CTX* pctx = nullptr;
  if (!EVP_DigestSignInit(ctx.get(), &pctx,
                          SSL_get_signature_algorithm_digest(sigalg), nullptr,
                          g_signing_key))
    return ssl_private_key_failure;
  *out_len = max_out;
  if (!EVP_DigestSign(ctx.get(), out, out_len, in, in_len))
    return ssl_private_key_failure;
  return ssl_private_key_success;
}

ssl_private_key_result_t NoDecrypt(SSL*,
                                   uint8_t*,
                                   size_t*,
                                   size_t,
                                   const uint8_t*,
                                   size_t) {
  return ssl_private_key_failure;
}

ssl_private_key_result_t NoComplete(SSL*, uint8_t*, size_t*, size_t) {
  return ssl_private_key_failure;
}

const SSL_PRIVATE_KEY_METHOD kOtherKeyMethod = {SignWithOtherKey, NoDecrypt,
                                                NoComplete};

bssl::UniquePtr<EVP_PKEY> PrivateKeyOf(rtc_certificate* cert) {
  char* cert_pem = nullptr;
  char* key_pem = nullptr;
  if (rtc_certificate_to_pem(cert, &cert_pem, &key_pem) != RTC_OK)
    return nullptr;
  bssl::UniquePtr<BIO> kb(BIO_new_mem_buf(key_pem, -1));
  bssl::UniquePtr<EVP_PKEY> key(
      PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  rtc_free(cert_pem);
  rtc_free(key_pem);
  return key;
}

// TLS 1.2 (RFC 5246 §7.4.8): the client proves it holds the certificate's
// key with CertificateVerify. A client that presents the right certificate
// (its fingerprint is the SDP's) but signs with another key is refused with
// decrypt_error.
TEST_F(DtlsSecurityTest, SEC18_ClientSigningWithAnotherKeyIsRefused) {
  a_.cert = NewCert(RTC_KEY_ECDSA_P256);
  rtc_certificate* other = NewCert(RTC_KEY_ECDSA_P256);
  bssl::UniquePtr<EVP_PKEY> other_key = PrivateKeyOf(other);
  rtc_certificate_unref(other);
  ASSERT_TRUE(other_key);
  g_signing_key = other_key.get();
  RawClient client;
  ASSERT_TRUE(client.Init("ECDHE-ECDSA-AES128-GCM-SHA256", nullptr));
  {
    char* cert_pem = nullptr;
    char* key_pem = nullptr;
    ASSERT_EQ(RTC_OK, rtc_certificate_to_pem(a_.cert, &cert_pem, &key_pem));
    bssl::UniquePtr<BIO> cb(BIO_new_mem_buf(cert_pem, -1));
    bssl::UniquePtr<X509> x509(
        PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    rtc_free(cert_pem);
    rtc_free(key_pem);
    ASSERT_TRUE(x509);
    ASSERT_TRUE(SSL_use_certificate(client.ssl.get(), x509.get()));
    SSL_set_private_key_method(client.ssl.get(), &kOtherKeyMethod);
  }
  b_.cert = NewCert(RTC_KEY_ECDSA_P256);
  Create(b_);
  ASSERT_EQ(RTC_OK, SetFingerprints(b_, {Fingerprint(a_)}));
  Run(client);
  g_signing_key = nullptr;
  ASSERT_TRUE(b_.failed()) << StatesOf(b_);
  EXPECT_FALSE(b_.connected());
  EXPECT_EQ(RTC_ERR_DTLS_FAILURE, b_.errors[0].code);
  EXPECT_EQ(kAlertDecryptError, b_.errors[0].sent_alert);
  EXPECT_TRUE(b_.data.empty());
}

// The same client sending its certificate but no CertificateVerify at all
// (the record is cut out of its flight): the handshake cannot complete; our
// server never connects and gives up when its retransmissions run out.
TEST_F(DtlsSecurityTest, SEC18_ClientOmittingCertificateVerifyNeverConnects) {
  a_.cert = NewCert(RTC_KEY_ECDSA_P256);
  RawClient client;
  ASSERT_TRUE(client.Init("ECDHE-ECDSA-AES128-GCM-SHA256", a_.cert));
  int cut = 0;
  client.mutate = [&](std::string& d) {
    std::vector<Record> records, kept;
    ASSERT_TRUE(ParseRecords(d, &records));
    for (const Record& r : records) {
      HandshakeMessage m;
      if (ParseHandshake(r, &m) && m.type == kCertificateVerify) {
        cut++;
        continue;
      }
      kept.push_back(r);
    }
    d = SerializeRecords(kept);
  };
  b_.cert = NewCert(RTC_KEY_ECDSA_P256);
  Create(b_);
  ASSERT_EQ(RTC_OK, SetFingerprints(b_, {Fingerprint(a_)}));
  Run(client);
  EXPECT_GE(cut, 1);
  EXPECT_FALSE(b_.connected());
  // Both sides retransmit (the client's flight still without it).
  b_.tap = [&](const std::string& d) { client.in.push_back(d); };
  for (int i = 0; i < 400 && !b_.failed(); ++i) {
    Advance(1 * kSec);
    Drive(client);
    Deliver(client, b_);
  }
  ASSERT_TRUE(b_.failed()) << StatesOf(b_);
  EXPECT_FALSE(b_.connected());
  EXPECT_TRUE(b_.data.empty());
  rtc_srtp_keys keys;
  EXPECT_EQ(RTC_ERR_INVALID_STATE, Keys(b_, &keys));
}

// --- SEC-28: certificates with explicit curve parameters ---

// `der` with its SubjectPublicKeyInfo's namedCurve replaced by the explicit
// ECParameters of the same curve (RFC 3279 §2.3.5: ECParameters may be
// "specifiedCurve"; RFC 5480 §2.1.1 forbids it in PKIX). The signature of
// the certificate no longer matches; WebRTC never checks it anyway.
bool WithExplicitCurve(const uint8_t* der, size_t der_len, std::string* out) {
  static const uint8_t kEcPublicKey[] = {0x2a, 0x86, 0x48, 0xce,
                                         0x3d, 0x02, 0x01};
  static const uint8_t kPrimeField[] = {0x2a, 0x86, 0x48, 0xce,
                                        0x3d, 0x01, 0x01};
  bssl::UniquePtr<EC_GROUP> group(
      EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  bssl::UniquePtr<BIGNUM> p(BN_new()), a(BN_new()), b(BN_new());
  uint8_t a_bytes[32], b_bytes[32], generator[65];
  if (!group || !p || !a || !b ||
      !EC_GROUP_get_curve_GFp(group.get(), p.get(), a.get(), b.get(),
                              nullptr) ||
      !BN_bn2bin_padded(a_bytes, sizeof(a_bytes), a.get()) ||
      !BN_bn2bin_padded(b_bytes, sizeof(b_bytes), b.get()) ||
      EC_POINT_point2oct(group.get(), EC_GROUP_get0_generator(group.get()),
                         POINT_CONVERSION_UNCOMPRESSED, generator,
                         sizeof(generator), nullptr) != sizeof(generator))
    return false;
  CBS cert, cert_seq, tbs, elem, spki, alg, key;
  CBS_init(&cert, der, der_len);
  if (!CBS_get_asn1(&cert, &cert_seq, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&cert_seq, &tbs, CBS_ASN1_SEQUENCE))
    return false;
  bssl::ScopedCBB cbb;
  CBB c, t, s, al, params, field, curve, v;
  if (!CBB_init(cbb.get(), der_len + 256) ||
      !CBB_add_asn1(cbb.get(), &c, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1(&c, &t, CBS_ASN1_SEQUENCE))
    return false;
  // version, serialNumber, signature, issuer, validity, subject: as they are.
  bool has_version = CBS_peek_asn1_tag(
      &tbs, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0);
  for (int i = 0; i < (has_version ? 6 : 5); ++i) {
    if (!CBS_get_any_asn1_element(&tbs, &elem, nullptr, nullptr) ||
        !CBB_add_bytes(&t, CBS_data(&elem), CBS_len(&elem)))
      return false;
  }
  if (!CBS_get_asn1(&tbs, &spki, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&spki, &alg, CBS_ASN1_SEQUENCE) ||
      !CBS_get_any_asn1_element(&spki, &key, nullptr, nullptr))
    return false;
  if (!CBB_add_asn1(&t, &s, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1(&s, &al, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1(&al, &v, CBS_ASN1_OBJECT) ||
      !CBB_add_bytes(&v, kEcPublicKey, sizeof(kEcPublicKey)) ||
      !CBB_add_asn1(&al, &params, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1_uint64(&params, 1) ||  // ecpVer1
      !CBB_add_asn1(&params, &field, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1(&field, &v, CBS_ASN1_OBJECT) ||
      !CBB_add_bytes(&v, kPrimeField, sizeof(kPrimeField)) ||
      !BN_marshal_asn1(&field, p.get()) ||
      !CBB_add_asn1(&params, &curve, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1(&curve, &v, CBS_ASN1_OCTETSTRING) ||
      !CBB_add_bytes(&v, a_bytes, sizeof(a_bytes)) ||
      !CBB_add_asn1(&curve, &v, CBS_ASN1_OCTETSTRING) ||
      !CBB_add_bytes(&v, b_bytes, sizeof(b_bytes)) ||
      !CBB_add_asn1(&params, &v, CBS_ASN1_OCTETSTRING) ||
      !CBB_add_bytes(&v, generator, sizeof(generator)) ||
      !BN_marshal_asn1(&params, EC_GROUP_get0_order(group.get())) ||
      !CBB_add_asn1_uint64(&params, 1) ||  // cofactor
      !CBB_add_bytes(&s, CBS_data(&key), CBS_len(&key)) ||
      // extensions; then signatureAlgorithm and signature.
      !CBB_add_bytes(&t, CBS_data(&tbs), CBS_len(&tbs)) || !CBB_flush(&c) ||
      !CBB_add_bytes(&c, CBS_data(&cert_seq), CBS_len(&cert_seq)))
    return false;
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!CBB_finish(cbb.get(), &data, &len))
    return false;
  out->assign(reinterpret_cast<const char*>(data), len);
  OPENSSL_free(data);
  return true;
}

// The explicit-parameter certificate is self-consistent: the SPKI is a
// P-256 key with explicit parameters, and nothing else changed.
TEST(DtlsSecurityCertTest, SEC28_ExplicitCurveCertificateIsWellFormed) {
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  rtc_certificate* cert = nullptr;
  ASSERT_EQ(RTC_OK, rtc_certificate_generate(&params, kCertNowMs, &cert));
  size_t der_len = 0;
  const uint8_t* der = rtc_certificate_der(cert, &der_len);
  std::string explicit_der;
  ASSERT_TRUE(WithExplicitCurve(der, der_len, &explicit_der));
  EXPECT_GT(explicit_der.size(), der_len + 150);
  const uint8_t* p = reinterpret_cast<const uint8_t*>(explicit_der.data());
  bssl::UniquePtr<X509> x509(d2i_X509(nullptr, &p, explicit_der.size()));
  ASSERT_TRUE(x509);
  rtc_certificate_unref(cert);
}

// "Cut certificate-parsing attack surface": the peer presents a
// certificate whose key has explicit curve parameters (the CVE-2022-0778
// kind of input), and the SDP carries its exact fingerprint. The handshake
// is refused cleanly (bad_certificate), before any key of it is used.
TEST_F(DtlsSecurityTest, SEC28_CertificateWithExplicitCurveIsRefused) {
  a_.cert = NewCert(RTC_KEY_ECDSA_P256);
  size_t der_len = 0;
  const uint8_t* der = rtc_certificate_der(a_.cert, &der_len);
  std::string explicit_der;
  ASSERT_TRUE(WithExplicitCurve(der, der_len, &explicit_der));
  rtc_fingerprint fp;
  ASSERT_EQ(RTC_OK, rtc_fingerprint_of_der(
                        reinterpret_cast<const uint8_t*>(explicit_der.data()),
                        explicit_der.size(), RTC_HASH_SHA256, &fp));
  // This BoringSSL will not even load such a certificate: the client loads
  // the original and its Certificate message is rewritten to carry the
  // explicit one (which breaks its CertificateVerify: a server that
  // accepted the certificate would fail later, with decrypt_error).
  RawClient client;
  ASSERT_TRUE(client.Init("ECDHE-ECDSA-AES128-GCM-SHA256", a_.cert));
  int rewritten = 0;
  client.mutate = [&](std::string& d) {
    rewritten += RewriteHandshake(&d, kCertificate, [&](std::string* body) {
      // RFC 5246 §7.4.2: certificate_list<0..2^24-1>, each <1..2^24-1>.
      std::string list;
      uint32_t n = static_cast<uint32_t>(explicit_der.size());
      list += static_cast<char>(n >> 16);
      list += static_cast<char>(n >> 8);
      list += static_cast<char>(n);
      list += explicit_der;
      uint32_t total = static_cast<uint32_t>(list.size());
      body->clear();
      *body += static_cast<char>(total >> 16);
      *body += static_cast<char>(total >> 8);
      *body += static_cast<char>(total);
      *body += list;
    });
  };
  b_.cert = NewCert(RTC_KEY_ECDSA_P256);
  Create(b_);
  ASSERT_EQ(RTC_OK, SetFingerprints(b_, {fp}));
  Run(client);
  EXPECT_GE(rewritten, 1);
  ASSERT_TRUE(b_.failed()) << StatesOf(b_);
  EXPECT_FALSE(b_.connected());
  EXPECT_TRUE(b_.data.empty());
  // Refused when the key was parsed (decode_error), not later when its
  // broken CertificateVerify would have been checked (decrypt_error).
  EXPECT_EQ(kAlertDecodeError, b_.errors[0].sent_alert) << b_.errors[0].message;
}

// A self-signed certificate for a key on `nid` (ECDSA, SHA-256), named
// curve: what a peer with another curve than P-256 would present.
bool MakeEcCertificate(int nid,
                       bssl::UniquePtr<X509>* cert,
                       bssl::UniquePtr<EVP_PKEY>* key) {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(nid));
  key->reset(EVP_PKEY_new());
  cert->reset(X509_new());
  if (!ec || !EC_KEY_generate_key(ec.get()) || !*key ||
      !EVP_PKEY_set1_EC_KEY(key->get(), ec.get()) || !*cert)
    return false;
  X509* x = cert->get();
  X509_NAME* name = X509_get_subject_name(x);
  return X509_set_version(x, X509_VERSION_3) &&
         ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    reinterpret_cast<const uint8_t*>("peer"),
                                    -1, -1, 0) &&
         X509_set_issuer_name(x, name) &&
         X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
         X509_gmtime_adj(X509_getm_notAfter(x), 86400) &&
         X509_set_pubkey(x, key->get()) &&
         X509_sign(x, key->get(), EVP_sha256());
}

// "Accept only named P-256 curves": a peer whose certificate key is on
// another named curve (here P-384), with its exact fingerprint in the SDP,
// is refused with bad_certificate; no data flows.
TEST_F(DtlsSecurityTest, SEC28_CertificateOnAnotherCurveIsRefused) {
  bssl::UniquePtr<X509> x509;
  bssl::UniquePtr<EVP_PKEY> key;
  ASSERT_TRUE(MakeEcCertificate(NID_secp384r1, &x509, &key));
  uint8_t* der = nullptr;
  int der_len = i2d_X509(x509.get(), &der);
  ASSERT_GT(der_len, 0);
  rtc_fingerprint fp;
  ASSERT_EQ(RTC_OK, rtc_fingerprint_of_der(der, static_cast<size_t>(der_len),
                                           RTC_HASH_SHA256, &fp));
  OPENSSL_free(der);
  RawClient client;
  ASSERT_TRUE(client.Init("ECDHE-ECDSA-AES128-GCM-SHA256", nullptr));
  ASSERT_TRUE(SSL_use_certificate(client.ssl.get(), x509.get()));
  ASSERT_TRUE(SSL_use_PrivateKey(client.ssl.get(), key.get()));
  b_.cert = NewCert(RTC_KEY_ECDSA_P256);
  Create(b_);
  ASSERT_EQ(RTC_OK, SetFingerprints(b_, {fp}));
  Run(client);
  ASSERT_TRUE(b_.failed()) << StatesOf(b_);
  EXPECT_FALSE(b_.connected());
  EXPECT_EQ(RTC_ERR_DTLS_FAILURE, b_.errors[0].code);
  EXPECT_EQ(kAlertBadCertificate, b_.errors[0].sent_alert);
  EXPECT_TRUE(b_.data.empty());
}

}  // namespace
