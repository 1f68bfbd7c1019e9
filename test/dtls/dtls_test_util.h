// A harness for tests of p2p/dtls_transport.h, shared by
// p2p/dtls_transport_unittest.cc and the DTLS security tests
// (test/security/dtls): two transports on simulated task queues, wired by
// an in-test pipe that delivers each datagram to the other side after a
// delay (and drops some, deterministically), so that handshakes,
// retransmissions and failures run on simulated time; and a raw BoringSSL
// peer (client or server) standing in for peers our transport would never
// be.
#ifndef TEST_DTLS_DTLS_TEST_UTIL_H_
#define TEST_DTLS_DTLS_TEST_UTIL_H_

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "p2p/certificate.h"
#include "p2p/dtls_transport.h"
#include "rtc_base/alloc.h"
#include "rtc_base/random.h"
#include "rtc_base/sim_time.h"
#include "rtc_base/task_queue.h"

namespace rtc_test {
namespace dtls {

constexpr int64_t kMs = 1000;
constexpr int64_t kSec = 1000 * kMs;
// Certificates are dated from a fixed time: no real time in unit tests.
constexpr int64_t kCertNowMs = INT64_C(1700000000000);

inline rtc_error PostTo(rtc_task_queue* q,
                        std::function<void()> fn,
                        int64_t delay_us = 0) {
  auto* f = new std::function<void()>(std::move(fn));
  rtc_task task = {
      [](void* arg) { (*static_cast<std::function<void()>*>(arg))(); },
      [](void* arg) { delete static_cast<std::function<void()>*>(arg); }, f};
  return rtc_task_queue_post_delayed(q, delay_us, task);
}

inline std::string Str(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// One side: a transport, its link to the other side and what it reported.
struct Peer {
  std::string name;
  rtc_sim_time* time = nullptr;
  rtc_task_queue* queue = nullptr;
  rtc_certificate* cert = nullptr;
  rtc_dtls_transport* transport = nullptr;
  Peer* other = nullptr;

  // The link from this side to `other`.
  int64_t delay_us = 1 * kMs;
  double loss = 0;  // drawn from `prng`: repeatable
  rtc_prng prng;
  // Drops the index-th datagram when it returns true.
  std::function<bool(size_t index, const std::string& datagram)> drop;
  int would_block_count = 0;  // the next sends fail with WOULD_BLOCK
  // Receives what this side sends instead of `other` (raw peers).
  std::function<void(const std::string&)> tap;
  std::vector<std::string> sent;
  std::vector<int64_t> sent_at_us;

  // What the observer saw.
  std::vector<rtc_dtls_state> states;
  std::vector<rtc_error_info> errors;
  std::vector<std::string> data;
  std::vector<std::string> rtp;
  int64_t connected_at_us = -1;
  std::function<void(rtc_dtls_state)> on_state;
  std::function<void(const std::string&)> on_data;

  bool Saw(rtc_dtls_state s) const {
    return std::find(states.begin(), states.end(), s) != states.end();
  }
  bool connected() const { return Saw(RTC_DTLS_CONNECTED); }
  bool failed() const { return Saw(RTC_DTLS_FAILED); }
};

inline void OnState(void* user,
                    rtc_dtls_state state,
                    const rtc_error_info* error) {
  auto* p = static_cast<Peer*>(user);
  p->states.push_back(state);
  if (error)
    p->errors.push_back(*error);
  if (state == RTC_DTLS_CONNECTED)
    p->connected_at_us = rtc_sim_time_now_us(p->time);
  if (p->on_state)
    p->on_state(state);
}

inline void OnData(void* user, const uint8_t* data, size_t size) {
  auto* p = static_cast<Peer*>(user);
  p->data.push_back(Str(data, size));
  if (p->on_data)
    p->on_data(p->data.back());
}

inline void OnRtp(void* user, const uint8_t* data, size_t size) {
  static_cast<Peer*>(user)->rtp.push_back(Str(data, size));
}

const rtc_dtls_transport_observer kObserver = {OnState, OnData, OnRtp};

inline rtc_error SendDatagram(void* user, const uint8_t* data, size_t size) {
  auto* p = static_cast<Peer*>(user);
  if (p->would_block_count > 0) {
    p->would_block_count--;
    return RTC_ERR_WOULD_BLOCK;
  }
  std::string datagram = Str(data, size);
  p->sent.push_back(datagram);
  p->sent_at_us.push_back(rtc_sim_time_now_us(p->time));
  size_t index = p->sent.size() - 1;
  if (p->tap) {
    p->tap(datagram);
    return RTC_OK;
  }
  if (p->loss > 0 && rtc_prng_uniform(&p->prng) < p->loss)
    return RTC_OK;
  if (p->drop && p->drop(index, datagram))
    return RTC_OK;
  Peer* to = p->other;
  if (!to)
    return RTC_OK;
  PostTo(
      to->queue,
      [to, datagram] {
        if (to->transport) {
          rtc_dtls_transport_receive(
              to->transport, reinterpret_cast<const uint8_t*>(datagram.data()),
              datagram.size());
        }
      },
      p->delay_us);
  return RTC_OK;
}

const uint8_t kRtp[] = {0x80, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10,
                        0x12, 0x34, 0x56, 0x78, 0xde, 0xad, 0xbe, 0xef};

class DtlsTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RTC_OK, rtc_sim_time_create(0, &time_));
    uint64_t seed = 1;
    for (Peer* p : {&a_, &b_}) {
      p->time = time_;
      ASSERT_EQ(RTC_OK, rtc_sim_time_create_queue(time_, "net", &p->queue));
      rtc_prng_seed(&p->prng, seed++);
    }
    a_.name = "a";
    b_.name = "b";
    a_.other = &b_;
    b_.other = &a_;
  }

  void TearDown() override {
    for (Peer* p : {&a_, &b_})
      Destroy(*p);
    // Whatever was still in flight is delivered to nobody; then nothing may
    // be left pending (no timer, no task of a destroyed transport).
    rtc_sim_time_advance_us(time_, 600 * kSec);
    EXPECT_EQ(INT64_MAX, rtc_sim_time_next_deadline_us(time_));
    for (Peer* p : {&a_, &b_}) {
      rtc_certificate_unref(p->cert);
      rtc_task_queue_destroy(p->queue);
    }
    rtc_sim_time_destroy(time_);
    ERR_clear_error();
  }

  // Runs fn on p's queue, now.
  void RunOn(Peer& p, std::function<void()> fn) {
    ASSERT_EQ(RTC_OK, PostTo(p.queue, std::move(fn)));
    rtc_sim_time_run_until_idle(time_);
  }

  bool RunUntil(std::function<bool()> done, int64_t timeout_us) {
    return rtc_sim_time_run_until(
        time_,
        [](void* arg) { return (*static_cast<std::function<bool()>*>(arg))(); },
        &done, timeout_us);
  }

  void Advance(int64_t us) { rtc_sim_time_advance_us(time_, us); }
  int64_t Now() { return rtc_sim_time_now_us(time_); }

  static rtc_certificate* NewCert(rtc_key_type type) {
    rtc_certificate_params params;
    rtc_certificate_params_init(&params);
    params.type = type;
    rtc_certificate* cert = nullptr;
    EXPECT_EQ(RTC_OK, rtc_certificate_generate(&params, kCertNowMs, &cert));
    return cert;
  }

  void Create(Peer& p,
              rtc_key_type type = RTC_KEY_ECDSA_P256,
              std::function<void(rtc_dtls_transport_config&)> adjust = {}) {
    if (!p.cert)
      p.cert = NewCert(type);
    ASSERT_TRUE(p.cert);
    rtc_dtls_transport_config config;
    rtc_dtls_transport_config_init(&config);
    config.certificate = p.cert;
    config.send = SendDatagram;
    config.send_user = &p;
    if (adjust)
      adjust(config);
    RunOn(p, [&] {
      ASSERT_EQ(RTC_OK, rtc_dtls_transport_create(p.queue, &config, &kObserver,
                                                  &p, &p.transport));
    });
    ASSERT_TRUE(p.transport);
  }

  void Destroy(Peer& p) {
    if (!p.transport)
      return;
    RunOn(p, [&] {
      rtc_dtls_transport_destroy(p.transport);
      p.transport = nullptr;
    });
  }

  static rtc_fingerprint Fingerprint(const Peer& p,
                                     rtc_hash_algorithm h = RTC_HASH_SHA256) {
    rtc_fingerprint fp;
    EXPECT_EQ(RTC_OK, rtc_certificate_fingerprint(p.cert, h, &fp));
    return fp;
  }

  static rtc_fingerprint WrongFingerprint(const Peer& p) {
    rtc_fingerprint fp = Fingerprint(p);
    fp.digest[0] ^= 0x01;
    return fp;
  }

  rtc_error SetFingerprints(Peer& p, std::vector<rtc_fingerprint> fps) {
    rtc_error err = RTC_ERR_INTERNAL;
    RunOn(p, [&] {
      err = rtc_dtls_transport_set_remote_fingerprints(p.transport, fps.data(),
                                                       fps.size());
    });
    return err;
  }

  void ExchangeFingerprints() {
    ASSERT_EQ(RTC_OK, SetFingerprints(a_, {Fingerprint(b_)}));
    ASSERT_EQ(RTC_OK, SetFingerprints(b_, {Fingerprint(a_)}));
  }

  rtc_error Start(Peer& p, rtc_dtls_role role) {
    rtc_error err = RTC_ERR_INTERNAL;
    RunOn(p, [&] { err = rtc_dtls_transport_start(p.transport, role); });
    return err;
  }

  bool BothConnected() const { return a_.connected() && b_.connected(); }

  // Creates both (unless created), exchanges fingerprints, starts a in
  // a_role and b in the other, and runs until both are connected.
  void Connect(rtc_dtls_role a_role = RTC_DTLS_ROLE_CLIENT,
               rtc_key_type a_type = RTC_KEY_ECDSA_P256,
               rtc_key_type b_type = RTC_KEY_ECDSA_P256) {
    if (!a_.transport)
      Create(a_, a_type);
    if (!b_.transport)
      Create(b_, b_type);
    ExchangeFingerprints();
    ASSERT_EQ(RTC_OK, Start(a_, a_role));
    ASSERT_EQ(RTC_OK,
              Start(b_, a_role == RTC_DTLS_ROLE_CLIENT ? RTC_DTLS_ROLE_SERVER
                                                       : RTC_DTLS_ROLE_CLIENT));
    ASSERT_TRUE(RunUntil([&] { return BothConnected(); }, 10 * kSec))
        << "a: " << StatesOf(a_) << " b: " << StatesOf(b_);
  }

  rtc_error SendData(Peer& p, const std::string& s) {
    rtc_error err = RTC_ERR_INTERNAL;
    RunOn(p, [&] {
      err = rtc_dtls_transport_send(
          p.transport, reinterpret_cast<const uint8_t*>(s.data()), s.size());
    });
    return err;
  }

  rtc_error SendRtp(Peer& p, const uint8_t* data, size_t size) {
    rtc_error err = RTC_ERR_INTERNAL;
    RunOn(p,
          [&] { err = rtc_dtls_transport_send_rtp(p.transport, data, size); });
    return err;
  }

  void Receive(Peer& p, const uint8_t* data, size_t size) {
    RunOn(p, [&] { rtc_dtls_transport_receive(p.transport, data, size); });
  }

  rtc_error Keys(Peer& p, rtc_srtp_keys* keys) {
    rtc_error err = RTC_ERR_INTERNAL;
    RunOn(p, [&] { err = rtc_dtls_transport_srtp_keys(p.transport, keys); });
    return err;
  }

  rtc_dtls_info Info(Peer& p) {
    rtc_dtls_info info;
    RunOn(p, [&] { rtc_dtls_transport_info(p.transport, &info); });
    return info;
  }

  static std::string StatesOf(const Peer& p) {
    std::string s;
    for (rtc_dtls_state st : p.states)
      s += std::string(rtc_dtls_state_name(st)) + " ";
    for (const rtc_error_info& e : p.errors)
      s += std::string("[") + e.message + "]";
    return s;
  }

  rtc_sim_time* time_ = nullptr;
  Peer a_;
  Peer b_;
};

// --- Peers our transport would never be (raw BoringSSL) ---

// A DTLS peer made directly with BoringSSL (a client by default, or a
// server), exchanging datagrams through deques. `mutate`, when set, may
// rewrite (or empty, to drop) each datagram it sends.
struct RawPeer {
  std::deque<std::string> in;
  std::vector<std::string> out;
  std::function<void(std::string&)> mutate;
  bssl::UniquePtr<BIO_METHOD> method;
  bssl::UniquePtr<SSL_CTX> ctx;
  bssl::UniquePtr<SSL> ssl;

  static int Write(BIO* bio, const char* data, int len) {
    BIO_clear_retry_flags(bio);
    auto* p = static_cast<RawPeer*>(BIO_get_data(bio));
    std::string d(data, len);
    if (p->mutate)
      p->mutate(d);
    if (!d.empty())
      p->out.push_back(std::move(d));
    return len;
  }
  static int Read(BIO* bio, char* data, int len) {
    BIO_clear_retry_flags(bio);
    auto* c = static_cast<RawPeer*>(BIO_get_data(bio));
    if (c->in.empty()) {
      BIO_set_retry_read(bio);
      return -1;
    }
    std::string d = std::move(c->in.front());
    c->in.pop_front();
    size_t n = std::min(d.size(), static_cast<size_t>(len));
    std::memcpy(data, d.data(), n);
    return static_cast<int>(n);
  }
  static long Ctrl(BIO*, int cmd, long, void*) {
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
  }
  static int AcceptAny(int, X509_STORE_CTX*) { return 1; }

  // Loads `cert` (its certificate and key) into the context.
  bool UseCertificate(rtc_certificate* cert) {
    char* cert_pem = nullptr;
    char* key_pem = nullptr;
    if (rtc_certificate_to_pem(cert, &cert_pem, &key_pem) != RTC_OK)
      return false;
    bssl::UniquePtr<BIO> cb(BIO_new_mem_buf(cert_pem, -1));
    bssl::UniquePtr<BIO> kb(BIO_new_mem_buf(key_pem, -1));
    bssl::UniquePtr<X509> x509(
        PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    bssl::UniquePtr<EVP_PKEY> key(
        PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
    rtc_free(cert_pem);
    rtc_free(key_pem);
    return x509 && key && SSL_CTX_use_certificate(ctx.get(), x509.get()) &&
           SSL_CTX_use_PrivateKey(ctx.get(), key.get());
  }

  // `cert` may be null: then the peer has no certificate (a server needs
  // one). `srtp` is the use_srtp profile list, or null for none.
  bool Init(const char* ciphers,
            rtc_certificate* cert,
            bool server = false,
            const char* srtp = "SRTP_AES128_CM_SHA1_80") {
    method.reset(BIO_meth_new(BIO_get_new_index(), "raw"));
    if (!method || !BIO_meth_set_write(method.get(), Write) ||
        !BIO_meth_set_read(method.get(), Read) ||
        !BIO_meth_set_ctrl(method.get(), Ctrl))
      return false;
    ctx.reset(SSL_CTX_new(DTLS_method()));
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx.get(), DTLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx.get(), DTLS1_2_VERSION) ||
        !SSL_CTX_set_strict_cipher_list(ctx.get(), ciphers) ||
        (srtp && SSL_CTX_set_tlsext_use_srtp(ctx.get(), srtp) != 0))
      return false;
    if (cert && !UseCertificate(cert))
      return false;
    ssl.reset(SSL_new(ctx.get()));
    if (!ssl)
      return false;
    SSL_set_verify(ssl.get(), SSL_VERIFY_PEER, AcceptAny);
    SSL_set_options(ssl.get(), SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(ssl.get(), 1200);
    BIO* bio = BIO_new(method.get());
    if (!bio)
      return false;
    BIO_set_data(bio, this);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl.get(), bio, bio);
    if (server)
      SSL_set_accept_state(ssl.get());
    else
      SSL_set_connect_state(ssl.get());
    return true;
  }

  // Takes what it sent since the last call.
  std::vector<std::string> TakeOut() {
    std::vector<std::string> o = std::move(out);
    out.clear();
    return o;
  }
};
using RawClient = RawPeer;

class DtlsRawPeerTest : public DtlsTransportTest {
 protected:
  // Runs a raw client against b (the server) until b fails or connects.
  void Run(RawClient& client) {
    b_.tap = [&](const std::string& d) { client.in.push_back(d); };
    ASSERT_EQ(RTC_OK, Start(b_, RTC_DTLS_ROLE_SERVER));
    for (int step = 0; step < 10 && !b_.failed() && !b_.connected(); ++step) {
      SSL_do_handshake(client.ssl.get());
      std::vector<std::string> out = std::move(client.out);
      client.out.clear();
      for (const std::string& d : out) {
        Receive(b_, reinterpret_cast<const uint8_t*>(d.data()), d.size());
      }
      Advance(1 * kMs);
    }
    ERR_clear_error();
  }

  // Runs a (client) against a raw server until a fails or connects; then
  // `steps` more rounds (for what follows the handshake).
  void RunServer(RawPeer& server, int steps = 10) {
    a_.tap = [&](const std::string& d) { server.in.push_back(d); };
    ASSERT_EQ(RTC_OK, Start(a_, RTC_DTLS_ROLE_CLIENT));
    for (int step = 0; step < steps && !a_.failed() && !a_.connected();
         ++step) {
      Advance(1 * kMs);  // a's ClientHello comes from its pump task
      SSL_do_handshake(server.ssl.get());
      for (const std::string& d : server.TakeOut())
        Receive(a_, reinterpret_cast<const uint8_t*>(d.data()), d.size());
    }
    ERR_clear_error();
  }
};

}  // namespace dtls
}  // namespace rtc_test

#endif  // TEST_DTLS_DTLS_TEST_UTIL_H_
