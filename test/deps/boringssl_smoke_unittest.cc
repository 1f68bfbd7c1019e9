// Smoke test of //third_party/boringssl: a DTLS 1.2 handshake between two
// in-memory peers, configured as WebRTC configures DTLS-SRTP (RFC 5764):
// self-signed ECDSA P-256 certificates, ECDHE-ECDSA-AES128-GCM-SHA256,
// SRTP_AEAD_AES_128_GCM (RFC 7714), peer certificates accepted by the verify
// callback and checked against the fingerprint separately.

#include <openssl/bio.h>
#include <openssl/digest.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr unsigned kMtu = 1200;
constexpr char kSrtpLabel[] = "EXTRACTOR-dtls_srtp";
// RFC 7714 section 12: SRTP_AEAD_AES_128_GCM keys are 16 bytes, salts 12.
constexpr size_t kSrtpKeyingMaterialLength = 2 * (16 + 12);

std::string OpenSslErrors() {
  std::string out;
  uint32_t err;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    out += buf;
    out += '\n';
  }
  return out;
}

// One direction of the in-memory link: whole datagrams, in order, no loss.
using DatagramQueue = std::deque<std::vector<uint8_t>>;

// The state behind one peer's BIO: what it reads and where it writes.
struct DatagramEndpoint {
  DatagramQueue* incoming = nullptr;
  DatagramQueue* outgoing = nullptr;
  size_t largest_datagram = 0;
};

// A BIO with datagram semantics (one BIO_write is one datagram, one BIO_read
// returns at most one datagram), as DTLS expects from its transport. Memory
// BIOs and BIO pairs are byte streams and would merge datagrams.
int DatagramWrite(BIO* bio, const char* data, int len) {
  BIO_clear_retry_flags(bio);
  auto* endpoint = static_cast<DatagramEndpoint*>(BIO_get_data(bio));
  if (len < 0) {
    return -1;
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(data);
  endpoint->outgoing->emplace_back(bytes, bytes + len);
  endpoint->largest_datagram =
      std::max(endpoint->largest_datagram, static_cast<size_t>(len));
  return len;
}

int DatagramRead(BIO* bio, char* data, int len) {
  BIO_clear_retry_flags(bio);
  auto* endpoint = static_cast<DatagramEndpoint*>(BIO_get_data(bio));
  if (endpoint->incoming->empty()) {
    BIO_set_retry_read(bio);
    return -1;
  }
  std::vector<uint8_t> datagram = std::move(endpoint->incoming->front());
  endpoint->incoming->pop_front();
  // Like a UDP socket, a datagram longer than the buffer is truncated.
  size_t n = std::min(datagram.size(), static_cast<size_t>(std::max(len, 0)));
  std::memcpy(data, datagram.data(), n);
  return static_cast<int>(n);
}

long DatagramCtrl(BIO* bio, int cmd, long num, void* ptr) {
  auto* endpoint = static_cast<DatagramEndpoint*>(BIO_get_data(bio));
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return endpoint->incoming->empty()
                 ? 0
                 : static_cast<long>(endpoint->incoming->front().size());
    case BIO_CTRL_WPENDING:
      return 0;
    default:
      return 0;
  }
}

bssl::UniquePtr<BIO_METHOD> NewDatagramMethod() {
  bssl::UniquePtr<BIO_METHOD> method(
      BIO_meth_new(BIO_get_new_index(), "rtcbox test datagram"));
  if (!method || !BIO_meth_set_write(method.get(), DatagramWrite) ||
      !BIO_meth_set_read(method.get(), DatagramRead) ||
      !BIO_meth_set_ctrl(method.get(), DatagramCtrl)) {
    return nullptr;
  }
  return method;
}

// A fresh ECDSA P-256 key and a self-signed certificate for it, as
// RTCPeerConnection.generateCertificate() makes them.
struct Identity {
  bssl::UniquePtr<EVP_PKEY> key;
  bssl::UniquePtr<X509> cert;
};

bool MakeIdentity(const char* common_name, Identity* out) {
  bssl::UniquePtr<EC_KEY> ec_key(
      EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (!ec_key || !EC_KEY_generate_key(ec_key.get())) {
    return false;
  }
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  if (!key || !EVP_PKEY_assign_EC_KEY(key.get(), ec_key.get())) {
    return false;
  }
  ec_key.release();  // Owned by |key| now.

  bssl::UniquePtr<X509> cert(X509_new());
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3) ||
      !ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60 * 60) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30 * 24 * 60 * 60)) {
    return false;
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                  reinterpret_cast<const uint8_t*>(common_name),
                                  -1, -1, 0) ||
      !X509_set_issuer_name(cert.get(), name) ||
      !X509_set_pubkey(cert.get(), key.get()) ||
      !X509_sign(cert.get(), key.get(), EVP_sha256())) {
    return false;
  }
  out->key = std::move(key);
  out->cert = std::move(cert);
  return true;
}

std::vector<uint8_t> Sha256Fingerprint(const X509* cert) {
  std::vector<uint8_t> digest(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  if (!X509_digest(cert, EVP_sha256(), digest.data(), &len)) {
    return {};
  }
  digest.resize(len);
  return digest;
}

// One side of the association.
struct Peer {
  Identity identity;
  bssl::UniquePtr<SSL_CTX> ctx;
  bssl::UniquePtr<SSL> ssl;
  DatagramEndpoint endpoint;
  int verify_calls = 0;
};

// WebRTC accepts any certificate here and compares the peer's fingerprint
// with the one from the SDP once the handshake is done (RFC 8122).
int AcceptAnyCertificate(int preverify_ok, X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl != nullptr) {
    static_cast<Peer*>(SSL_get_app_data(ssl))->verify_calls++;
  }
  return 1;
}

bool SetUpPeer(Peer* peer,
               const char* common_name,
               const BIO_METHOD* method,
               bool is_server) {
  if (!MakeIdentity(common_name, &peer->identity)) {
    return false;
  }
  peer->ctx.reset(SSL_CTX_new(DTLS_method()));
  if (!peer->ctx ||
      !SSL_CTX_use_certificate(peer->ctx.get(), peer->identity.cert.get()) ||
      !SSL_CTX_use_PrivateKey(peer->ctx.get(), peer->identity.key.get()) ||
      !SSL_CTX_set_cipher_list(peer->ctx.get(),
                               "ECDHE-ECDSA-AES128-GCM-SHA256")) {
    return false;
  }
  peer->ssl.reset(SSL_new(peer->ctx.get()));
  if (!peer->ssl) {
    return false;
  }
  SSL* ssl = peer->ssl.get();
  SSL_set_app_data(ssl, peer);
  // Returns 0 on success (OpenSSL's convention for this function).
  if (SSL_set_tlsext_use_srtp(ssl, "SRTP_AEAD_AES_128_GCM") != 0) {
    return false;
  }
  SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                 AcceptAnyCertificate);
  SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
  if (!SSL_set_mtu(ssl, kMtu)) {
    return false;
  }
  BIO* bio = BIO_new(method);
  if (bio == nullptr) {
    return false;
  }
  BIO_set_data(bio, &peer->endpoint);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // |ssl| takes the one reference.
  if (is_server) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  return true;
}

// Runs one handshake step. Returns true once the handshake is complete, and
// fails the test if the step ended with anything but "waiting for input".
bool HandshakeStep(SSL* ssl) {
  int ret = SSL_do_handshake(ssl);
  if (ret == 1) {
    return true;
  }
  EXPECT_EQ(SSL_ERROR_WANT_READ, SSL_get_error(ssl, ret)) << OpenSslErrors();
  return false;
}

std::vector<uint8_t> ExportSrtpKeyingMaterial(SSL* ssl) {
  std::vector<uint8_t> out(kSrtpKeyingMaterialLength);
  // RFC 5764 section 4.2: the exporter label, no context.
  if (!SSL_export_keying_material(ssl, out.data(), out.size(), kSrtpLabel,
                                  std::strlen(kSrtpLabel), nullptr, 0, 0)) {
    return {};
  }
  return out;
}

TEST(BoringSslSmoke, DtlsHandshakeNegotiatesEcdsaGcmAndSrtpGcm) {
  bssl::UniquePtr<BIO_METHOD> method = NewDatagramMethod();
  ASSERT_TRUE(method);
  DatagramQueue client_to_server;
  DatagramQueue server_to_client;
  Peer client;
  Peer server;
  client.endpoint.incoming = &server_to_client;
  client.endpoint.outgoing = &client_to_server;
  server.endpoint.incoming = &client_to_server;
  server.endpoint.outgoing = &server_to_client;
  ASSERT_TRUE(SetUpPeer(&client, "client", method.get(), false))
      << OpenSslErrors();
  ASSERT_TRUE(SetUpPeer(&server, "server", method.get(), true))
      << OpenSslErrors();

  // No loss and no reordering, so no retransmission timer is needed: each
  // step consumes the other side's last flight. DTLS 1.2 with a certificate
  // request takes two round trips; allow a few more steps than that.
  bool client_done = false;
  bool server_done = false;
  for (int step = 0; step < 10 && !(client_done && server_done); ++step) {
    if (!client_done) {
      client_done = HandshakeStep(client.ssl.get());
    }
    if (!server_done) {
      server_done = HandshakeStep(server.ssl.get());
    }
    ASSERT_FALSE(testing::Test::HasFailure());
  }
  ASSERT_TRUE(client_done);
  ASSERT_TRUE(server_done);
  EXPECT_TRUE(client_to_server.empty());
  EXPECT_TRUE(server_to_client.empty());
  EXPECT_LE(client.endpoint.largest_datagram, kMtu);
  EXPECT_LE(server.endpoint.largest_datagram, kMtu);

  for (Peer* peer : {&client, &server}) {
    SCOPED_TRACE(peer == &client ? "client" : "server");
    SSL* ssl = peer->ssl.get();
    EXPECT_EQ(DTLS1_2_VERSION, SSL_version(ssl));
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
    ASSERT_NE(nullptr, cipher);
    EXPECT_EQ(
        static_cast<uint32_t>(TLS1_CK_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        SSL_CIPHER_get_id(cipher));
    EXPECT_STREQ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                 SSL_CIPHER_standard_name(cipher));
    const SRTP_PROTECTION_PROFILE* profile = SSL_get_selected_srtp_profile(ssl);
    ASSERT_NE(nullptr, profile);
    EXPECT_EQ(static_cast<unsigned long>(SRTP_AEAD_AES_128_GCM), profile->id);
    // Both sides asked for and verified (accepted) a certificate.
    EXPECT_GE(peer->verify_calls, 1);
  }

  // Both sides derive the same SRTP keys.
  std::vector<uint8_t> client_keys = ExportSrtpKeyingMaterial(client.ssl.get());
  std::vector<uint8_t> server_keys = ExportSrtpKeyingMaterial(server.ssl.get());
  ASSERT_EQ(kSrtpKeyingMaterialLength, client_keys.size()) << OpenSslErrors();
  EXPECT_EQ(client_keys, server_keys);
  EXPECT_TRUE(std::any_of(client_keys.begin(), client_keys.end(),
                          [](uint8_t b) { return b != 0; }));

  // Each side sees the other's certificate, with the fingerprint it would
  // have put in its SDP.
  bssl::UniquePtr<X509> client_seen_by_server(
      SSL_get_peer_certificate(server.ssl.get()));
  bssl::UniquePtr<X509> server_seen_by_client(
      SSL_get_peer_certificate(client.ssl.get()));
  ASSERT_TRUE(client_seen_by_server);
  ASSERT_TRUE(server_seen_by_client);
  std::vector<uint8_t> client_fingerprint =
      Sha256Fingerprint(client.identity.cert.get());
  std::vector<uint8_t> server_fingerprint =
      Sha256Fingerprint(server.identity.cert.get());
  ASSERT_EQ(32u, client_fingerprint.size());
  ASSERT_EQ(32u, server_fingerprint.size());
  EXPECT_NE(client_fingerprint, server_fingerprint);
  EXPECT_EQ(client_fingerprint, Sha256Fingerprint(client_seen_by_server.get()));
  EXPECT_EQ(server_fingerprint, Sha256Fingerprint(server_seen_by_client.get()));

  // Application data flows both ways, one record per datagram.
  const std::string ping = "ping over DTLS";
  ASSERT_EQ(static_cast<int>(ping.size()),
            SSL_write(client.ssl.get(), ping.data(), ping.size()));
  ASSERT_EQ(1u, client_to_server.size());
  char buf[256];
  int n = SSL_read(server.ssl.get(), buf, sizeof(buf));
  ASSERT_GT(n, 0) << OpenSslErrors();
  EXPECT_EQ(ping, std::string(buf, n));

  const std::string pong = "pong over DTLS";
  ASSERT_EQ(static_cast<int>(pong.size()),
            SSL_write(server.ssl.get(), pong.data(), pong.size()));
  n = SSL_read(client.ssl.get(), buf, sizeof(buf));
  ASSERT_GT(n, 0) << OpenSslErrors();
  EXPECT_EQ(pong, std::string(buf, n));

  // Nothing more to read: the read reports "try again", not an error.
  n = SSL_read(client.ssl.get(), buf, sizeof(buf));
  EXPECT_EQ(SSL_ERROR_WANT_READ, SSL_get_error(client.ssl.get(), n));
}

}  // namespace
