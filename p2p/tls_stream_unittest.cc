// The sans-I/O TLS client (p2p/tls_stream.h) against a BoringSSL server in
// memory: the bytes each side writes are handed to the other by the test.

#include "p2p/tls_stream.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "test/tls/tls_test_certs.h"

namespace {

using rtc_test::TlsCerts;

class TlsStreamTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(rtc_test::MakeTlsCerts({"127.0.0.1", "turn.example"}, &certs_));
    ASSERT_TRUE(rtc_test::MakeTlsCerts({"127.0.0.1"}, &other_));
    char tmpl[] = "/tmp/rtcbox-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ca_file_ = dir_ + "/ca.pem";
    other_ca_file_ = dir_ + "/other-ca.pem";
    ASSERT_TRUE(rtc_test::WriteFile(ca_file_, certs_.ca_pem));
    ASSERT_TRUE(rtc_test::WriteFile(other_ca_file_, other_.ca_pem));
  }

  void TearDown() override {
    rtc_tls_stream_destroy(client_);
    StopServer();
    unlink(ca_file_.c_str());
    unlink(other_ca_file_.c_str());
    rmdir(dir_.c_str());
  }

  void StopServer() {
    SSL_free(server_);
    server_ = nullptr;
    BIO_free(server_net_);
    server_net_ = nullptr;
    SSL_CTX_free(server_ctx_);
    server_ctx_ = nullptr;
  }

  void StartServer(const TlsCerts& certs) {
    server_ctx_ = SSL_CTX_new(TLS_method());
    bssl::UniquePtr<BIO> cb(
        BIO_new_mem_buf(certs.cert_pem.data(), certs.cert_pem.size()));
    bssl::UniquePtr<X509> cert(
        PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    bssl::UniquePtr<BIO> kb(
        BIO_new_mem_buf(certs.key_pem.data(), certs.key_pem.size()));
    bssl::UniquePtr<EVP_PKEY> key(
        PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
    ASSERT_TRUE(cert && key);
    ASSERT_TRUE(SSL_CTX_use_certificate(server_ctx_, cert.get()));
    ASSERT_TRUE(SSL_CTX_use_PrivateKey(server_ctx_, key.get()));
    server_ = SSL_new(server_ctx_);
    BIO* internal = nullptr;
    ASSERT_TRUE(BIO_new_bio_pair(&internal, 65536, &server_net_, 65536));
    SSL_set_bio(server_, internal, internal);
    SSL_set_accept_state(server_);
  }

  rtc_error CreateClient(const char* name, const char* ca_file) {
    rtc_tls_stream_config config = {name, ca_file};
    static const rtc_tls_stream_observer kObserver = {&OnSend, &OnConnected,
                                                      &OnData, &OnFailed};
    return rtc_tls_stream_create(&config, &kObserver, this, &client_);
  }

  static rtc_error OnSend(void* user, const uint8_t* data, size_t size) {
    auto* self = static_cast<TlsStreamTest*>(user);
    self->to_server_.insert(self->to_server_.end(), data, data + size);
    return RTC_OK;
  }
  static void OnConnected(void* user) {
    static_cast<TlsStreamTest*>(user)->connected_++;
  }
  static void OnData(void* user, const uint8_t* data, size_t size) {
    static_cast<TlsStreamTest*>(user)->received_.append(
        reinterpret_cast<const char*>(data), size);
  }
  static void OnFailed(void* user, rtc_error error, const char* reason) {
    auto* self = static_cast<TlsStreamTest*>(user);
    self->failed_ = error;
    self->reason_ = reason;
  }

  // Moves bytes both ways until nothing moves; the client gets its bytes
  // in pieces of `piece` bytes.
  void Run(size_t piece = 1 << 20) {
    for (int round = 0; round < 500; round++) {
      bool moved = false;
      if (!to_server_.empty()) {
        int n = BIO_write(server_net_, to_server_.data(), to_server_.size());
        if (n > 0) {
          to_server_.erase(to_server_.begin(), to_server_.begin() + n);
          moved = true;
        }
      }
      if (!SSL_is_init_finished(server_)) {
        SSL_do_handshake(server_);
      } else {
        char buf[4096];
        int n;
        while ((n = SSL_read(server_, buf, sizeof(buf))) > 0)
          server_received_.append(buf, n);
      }
      ERR_clear_error();
      uint8_t buf[65536];
      int n = BIO_read(server_net_, buf, sizeof(buf));
      if (n > 0) {
        moved = true;
        for (int off = 0; off < n; off += static_cast<int>(piece)) {
          size_t len = std::min<size_t>(piece, n - off);
          rtc_tls_stream_receive(client_, buf + off, len);
        }
      }
      if (!moved)
        return;
    }
  }

  void ServerWrite(const std::string& text) {
    ASSERT_EQ(SSL_write(server_, text.data(), text.size()),
              static_cast<int>(text.size()));
  }

  TlsCerts certs_, other_;
  std::string dir_, ca_file_, other_ca_file_;
  SSL_CTX* server_ctx_ = nullptr;
  SSL* server_ = nullptr;
  BIO* server_net_ = nullptr;  // the pair's network end
  rtc_tls_stream* client_ = nullptr;
  std::vector<uint8_t> to_server_;
  int connected_ = 0;
  std::string received_, server_received_;
  rtc_error failed_ = RTC_OK;
  std::string reason_;
};

TEST_F(TlsStreamTest, ConnectsToAnIpAddressAndExchangesData) {
  StartServer(certs_);
  ASSERT_EQ(CreateClient("127.0.0.1", ca_file_.c_str()), RTC_OK);
  // Written before the handshake: kept, then sent.
  ASSERT_EQ(rtc_tls_stream_write(client_,
                                 reinterpret_cast<const uint8_t*>("early"), 5),
            RTC_OK);
  ASSERT_EQ(rtc_tls_stream_start(client_), RTC_OK);
  EXPECT_EQ(rtc_tls_stream_start(client_), RTC_ERR_INVALID_STATE);
  Run();
  EXPECT_EQ(failed_, RTC_OK) << reason_;
  EXPECT_EQ(connected_, 1);
  EXPECT_TRUE(rtc_tls_stream_is_connected(client_));
  EXPECT_EQ(server_received_, "early");
  ServerWrite("from the server");
  Run();
  EXPECT_EQ(received_, "from the server");
  std::string big(100000, 'b');
  ASSERT_EQ(
      rtc_tls_stream_write(
          client_, reinterpret_cast<const uint8_t*>(big.data()), big.size()),
      RTC_OK);
  Run();
  EXPECT_EQ(server_received_.size(), 5 + big.size());
}

TEST_F(TlsStreamTest, ConnectsToADnsNameByteByByte) {
  StartServer(certs_);
  ASSERT_EQ(CreateClient("turn.example", ca_file_.c_str()), RTC_OK);
  ASSERT_EQ(rtc_tls_stream_start(client_), RTC_OK);
  Run(/*piece=*/1);
  EXPECT_EQ(failed_, RTC_OK) << reason_;
  EXPECT_EQ(connected_, 1);
  // SNI went out.
  EXPECT_STREQ(SSL_get_servername(server_, TLSEXT_NAMETYPE_host_name),
               "turn.example");
  ServerWrite("x");
  Run(1);
  EXPECT_EQ(received_, "x");
}

TEST_F(TlsStreamTest, RejectsACertificateFromAnotherCa) {
  StartServer(other_);
  ASSERT_EQ(CreateClient("127.0.0.1", ca_file_.c_str()), RTC_OK);
  ASSERT_EQ(rtc_tls_stream_start(client_), RTC_OK);
  Run();
  EXPECT_EQ(failed_, RTC_ERR_SECURITY);
  EXPECT_NE(reason_.find("certificate verification failed"), std::string::npos)
      << reason_;
  EXPECT_EQ(connected_, 0);
  const uint8_t b[] = {1};
  EXPECT_EQ(rtc_tls_stream_write(client_, b, 1), RTC_ERR_CLOSED);
  EXPECT_EQ(rtc_tls_stream_receive(client_, b, 1), RTC_ERR_CLOSED);
}

TEST_F(TlsStreamTest, RejectsTheWrongName) {
  for (const char* name : {"127.0.0.2", "other.example", "::1"}) {
    StartServer(certs_);
    ASSERT_EQ(CreateClient(name, ca_file_.c_str()), RTC_OK);
    ASSERT_EQ(rtc_tls_stream_start(client_), RTC_OK);
    Run();
    EXPECT_EQ(failed_, RTC_ERR_SECURITY) << name;
    EXPECT_EQ(connected_, 0);
    rtc_tls_stream_destroy(client_);
    client_ = nullptr;
    StopServer();
    to_server_.clear();
    failed_ = RTC_OK;
  }
}

TEST_F(TlsStreamTest, FailsOnGarbageAndOnClose) {
  StartServer(certs_);
  ASSERT_EQ(CreateClient("127.0.0.1", ca_file_.c_str()), RTC_OK);
  ASSERT_EQ(rtc_tls_stream_start(client_), RTC_OK);
  const uint8_t garbage[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
  EXPECT_NE(rtc_tls_stream_receive(client_, garbage, sizeof(garbage)), RTC_OK);
  EXPECT_NE(failed_, RTC_OK);

  rtc_tls_stream_destroy(client_);
  client_ = nullptr;
  failed_ = RTC_OK;
  to_server_.clear();
  StopServer();
  StartServer(certs_);
  ASSERT_EQ(CreateClient("127.0.0.1", ca_file_.c_str()), RTC_OK);
  ASSERT_EQ(rtc_tls_stream_start(client_), RTC_OK);
  Run();
  ASSERT_EQ(connected_, 1);
  SSL_shutdown(server_);
  Run();
  EXPECT_EQ(failed_, RTC_ERR_CLOSED);
}

TEST_F(TlsStreamTest, CreateValidatesItsArguments) {
  rtc_tls_stream_observer observer = {&OnSend, &OnConnected, &OnData,
                                      &OnFailed};
  rtc_tls_stream_config config = {nullptr, ca_file_.c_str()};
  rtc_tls_stream* s = nullptr;
  EXPECT_EQ(rtc_tls_stream_create(&config, &observer, this, &s),
            RTC_ERR_INVALID_ARGUMENT);
  config.server_name = "127.0.0.1";
  config.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(rtc_tls_stream_create(&config, &observer, this, &s),
            RTC_ERR_NOT_FOUND);
  observer.on_failed = nullptr;
  config.ca_file = ca_file_.c_str();
  EXPECT_EQ(rtc_tls_stream_create(&config, &observer, this, &s),
            RTC_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(s, nullptr);
}

}  // namespace
