// Tests of p2p/certificate.h: generation parameters (read back with
// BoringSSL), randomness of the name and serial, expiry, PEM import and
// export, fingerprints (RFC 8122) and reference counting.

#include "p2p/certificate.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rtc_base/alloc.h"

namespace {

// A fixed "now" (2023-11-14T22:13:20Z): no real time in unit tests.
constexpr int64_t kNowMs = INT64_C(1700000000000);
constexpr int64_t kDayMs = INT64_C(24) * 3600 * 1000;

struct CertDeleter {
  void operator()(rtc_certificate* c) const { rtc_certificate_unref(c); }
};
using CertPtr = std::unique_ptr<rtc_certificate, CertDeleter>;

CertPtr Generate(rtc_key_type type,
                 int64_t expires_ms = RTC_CERTIFICATE_DEFAULT_EXPIRES_MS) {
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  params.type = type;
  params.expires_ms = expires_ms;
  rtc_certificate* cert = nullptr;
  EXPECT_EQ(RTC_OK, rtc_certificate_generate(&params, kNowMs, &cert));
  return CertPtr(cert);
}

bssl::UniquePtr<X509> Parse(const rtc_certificate* cert) {
  size_t len = 0;
  const uint8_t* der = rtc_certificate_der(cert, &len);
  const uint8_t* p = der;
  bssl::UniquePtr<X509> x509(d2i_X509(nullptr, &p, static_cast<long>(len)));
  EXPECT_EQ(der + len, p);
  return x509;
}

std::string CommonName(X509* x509) {
  char buf[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x509), NID_commonName, buf,
                            sizeof(buf));
  return buf;
}

uint64_t Serial(X509* x509) {
  uint64_t serial = 0;
  EXPECT_TRUE(ASN1_INTEGER_get_uint64(&serial, X509_get0_serialNumber(x509)));
  return serial;
}

// Seconds from the Unix epoch to `t`.
int64_t PosixSeconds(const ASN1_TIME* t) {
  bssl::UniquePtr<ASN1_TIME> epoch(ASN1_TIME_set(nullptr, 0));
  int days = 0;
  int seconds = 0;
  EXPECT_TRUE(ASN1_TIME_diff(&days, &seconds, epoch.get(), t));
  return static_cast<int64_t>(days) * 24 * 3600 + seconds;
}

std::string ToPem(bssl::UniquePtr<BIO>& bio) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  EXPECT_TRUE(BIO_mem_contents(bio.get(), &data, &len));
  return std::string(reinterpret_cast<const char*>(data), len);
}

// A key and self-signed certificate made here, with BoringSSL, to feed the
// importer what our generator never makes.
struct ForeignIdentity {
  std::string cert_pem;
  std::string key_pem;
};

bssl::UniquePtr<EVP_PKEY> EcKey(int nid) {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(nid));
  EXPECT_TRUE(ec && EC_KEY_generate_key(ec.get()));
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  EXPECT_TRUE(EVP_PKEY_assign_EC_KEY(key.get(), ec.release()));
  return key;
}

bssl::UniquePtr<EVP_PKEY> RsaKey(int bits) {
  bssl::UniquePtr<RSA> rsa(RSA_new());
  bssl::UniquePtr<BIGNUM> e(BN_new());
  EXPECT_TRUE(BN_set_word(e.get(), RSA_F4));
  EXPECT_TRUE(RSA_generate_key_ex(rsa.get(), bits, e.get(), nullptr));
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  EXPECT_TRUE(EVP_PKEY_assign_RSA(key.get(), rsa.release()));
  return key;
}

ForeignIdentity SelfSigned(EVP_PKEY* key, const EVP_MD* md) {
  bssl::UniquePtr<X509> cert(X509_new());
  EXPECT_TRUE(X509_set_version(cert.get(), X509_VERSION_3));
  EXPECT_TRUE(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7));
  EXPECT_TRUE(ASN1_TIME_set(X509_getm_notBefore(cert.get()), kNowMs / 1000));
  EXPECT_TRUE(
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), kNowMs / 1000 + 86400));
  X509_NAME* name = X509_get_subject_name(cert.get());
  EXPECT_TRUE(X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_UTF8, reinterpret_cast<const uint8_t*>("test"), -1,
      -1, 0));
  EXPECT_TRUE(X509_set_issuer_name(cert.get(), name));
  EXPECT_TRUE(X509_set_pubkey(cert.get(), key));
  EXPECT_TRUE(X509_sign(cert.get(), key, md));
  bssl::UniquePtr<BIO> cert_bio(BIO_new(BIO_s_mem()));
  bssl::UniquePtr<BIO> key_bio(BIO_new(BIO_s_mem()));
  EXPECT_TRUE(PEM_write_bio_X509(cert_bio.get(), cert.get()));
  EXPECT_TRUE(PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0,
                                       nullptr, nullptr));
  return {ToPem(cert_bio), ToPem(key_bio)};
}

// --- Generation ---

TEST(CertificateTest, SEC11_GeneratesEcdsaP256SignedWithSha256ByDefault) {
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  EXPECT_EQ(RTC_KEY_ECDSA_P256, params.type);
  rtc_certificate* raw = nullptr;
  ASSERT_EQ(RTC_OK, rtc_certificate_generate(&params, kNowMs, &raw));
  CertPtr cert(raw);
  EXPECT_EQ(RTC_KEY_ECDSA_P256, rtc_certificate_key_type(cert.get()));

  bssl::UniquePtr<X509> x509 = Parse(cert.get());
  ASSERT_TRUE(x509);
  EXPECT_EQ(X509_VERSION_3, X509_get_version(x509.get()));
  EXPECT_EQ(NID_ecdsa_with_SHA256, X509_get_signature_nid(x509.get()));
  bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(x509.get()));
  ASSERT_TRUE(key);
  ASSERT_EQ(EVP_PKEY_EC, EVP_PKEY_id(key.get()));
  EXPECT_EQ(NID_X9_62_prime256v1, EC_GROUP_get_curve_name(EC_KEY_get0_group(
                                      EVP_PKEY_get0_EC_KEY(key.get()))));
  // Self-signed: issuer is subject and the signature verifies.
  EXPECT_EQ(0, X509_NAME_cmp(X509_get_subject_name(x509.get()),
                             X509_get_issuer_name(x509.get())));
  EXPECT_EQ(1, X509_verify(x509.get(), key.get()));
}

TEST(CertificateTest, GeneratesRsa2048WithExponent65537AndSha256) {
  CertPtr cert = Generate(RTC_KEY_RSA);
  ASSERT_TRUE(cert);
  EXPECT_EQ(RTC_KEY_RSA, rtc_certificate_key_type(cert.get()));
  bssl::UniquePtr<X509> x509 = Parse(cert.get());
  ASSERT_TRUE(x509);
  EXPECT_EQ(X509_VERSION_3, X509_get_version(x509.get()));
  EXPECT_EQ(NID_sha256WithRSAEncryption, X509_get_signature_nid(x509.get()));
  bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(x509.get()));
  ASSERT_TRUE(key);
  ASSERT_EQ(EVP_PKEY_RSA, EVP_PKEY_id(key.get()));
  const RSA* rsa = EVP_PKEY_get0_RSA(key.get());
  EXPECT_EQ(2048u, RSA_bits(rsa));
  EXPECT_TRUE(BN_is_word(RSA_get0_e(rsa), 65537));
  EXPECT_EQ(1, X509_verify(x509.get(), key.get()));
}

TEST(CertificateTest, RejectsRsaSizesAndExponentsOutsideTheAllowedSet) {
  struct Case {
    uint32_t bits;
    uint32_t exponent;
  } cases[] = {
      {1024, 65537}, {2047, 65537},  {2050, 65537},
      {8320, 65537}, {16384, 65537}, {0, 65537},
      {2048, 3},     {2048, 65539},  {2048, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.bits) + "/" + std::to_string(c.exponent));
    rtc_certificate_params params;
    rtc_certificate_params_init(&params);
    params.type = RTC_KEY_RSA;
    params.rsa_modulus_bits = c.bits;
    params.rsa_public_exponent = c.exponent;
    rtc_certificate* cert = reinterpret_cast<rtc_certificate*>(0x1);
    EXPECT_EQ(RTC_ERR_NOT_SUPPORTED,
              rtc_certificate_generate(&params, kNowMs, &cert));
    EXPECT_EQ(nullptr, cert);
  }
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  // An out-of-range value, as C code could pass (stored without a C++
  // enum conversion).
  static_assert(sizeof(params.type) == sizeof(int), "enum is int-sized");
  int unknown_type = 42;
  std::memcpy(&params.type, &unknown_type, sizeof(unknown_type));
  rtc_certificate* cert = nullptr;
  EXPECT_EQ(RTC_ERR_NOT_SUPPORTED,
            rtc_certificate_generate(&params, kNowMs, &cert));
  EXPECT_EQ(nullptr, cert);
}

TEST(CertificateTest, GeneratesRsa3072) {
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  params.type = RTC_KEY_RSA;
  params.rsa_modulus_bits = 3072;
  rtc_certificate* raw = nullptr;
  ASSERT_EQ(RTC_OK, rtc_certificate_generate(&params, kNowMs, &raw));
  CertPtr cert(raw);
  bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(Parse(cert.get()).get()));
  EXPECT_EQ(3072u, RSA_bits(EVP_PKEY_get0_RSA(key.get())));
}

TEST(CertificateTest, SEC16_NamesAndSerialsAreRandomAndIdentifyNothing) {
  std::set<std::string> names;
  std::set<uint64_t> serials;
  std::set<std::vector<uint8_t>> fingerprints;
  for (int i = 0; i < 100; ++i) {
    CertPtr cert = Generate(RTC_KEY_ECDSA_P256);
    ASSERT_TRUE(cert);
    bssl::UniquePtr<X509> x509 = Parse(cert.get());
    std::string cn = CommonName(x509.get());
    // 16 lowercase hex characters: 64 random bits, nothing else.
    ASSERT_EQ(16u, cn.size()) << cn;
    EXPECT_EQ(std::string::npos, cn.find_first_not_of("0123456789abcdef"))
        << cn;
    // The subject holds the common name only.
    EXPECT_EQ(1, X509_NAME_entry_count(X509_get_subject_name(x509.get())));
    uint64_t serial = Serial(x509.get());
    EXPECT_NE(0u, serial);
    EXPECT_EQ(0u, serial >> 63);  // positive in 63 bits
    names.insert(cn);
    serials.insert(serial);
    rtc_fingerprint fp;
    ASSERT_EQ(RTC_OK,
              rtc_certificate_fingerprint(cert.get(), RTC_HASH_SHA256, &fp));
    fingerprints.insert(std::vector<uint8_t>(fp.digest, fp.digest + 32));
  }
  EXPECT_EQ(100u, names.size());
  EXPECT_EQ(100u, serials.size());
  EXPECT_EQ(100u, fingerprints.size());  // a new key pair each time
}

TEST(CertificateTest, SEC16_ExpiresAfterThirtyDaysByDefault) {
  CertPtr cert = Generate(RTC_KEY_ECDSA_P256);
  ASSERT_TRUE(cert);
  EXPECT_EQ(kNowMs + RTC_CERTIFICATE_DEFAULT_EXPIRES_MS,
            rtc_certificate_expires_ms(cert.get()));
  EXPECT_EQ(kNowMs + 30 * kDayMs, rtc_certificate_expires_ms(cert.get()));
  bssl::UniquePtr<X509> x509 = Parse(cert.get());
  // Valid from one day before now (clock skew), until the expiry.
  EXPECT_EQ(kNowMs / 1000 - 24 * 3600,
            PosixSeconds(X509_get0_notBefore(x509.get())));
  EXPECT_EQ((kNowMs + 30 * kDayMs) / 1000,
            PosixSeconds(X509_get0_notAfter(x509.get())));
}

TEST(CertificateTest, SEC16_ExpiryIsCappedAtOneYear) {
  CertPtr cert = Generate(RTC_KEY_ECDSA_P256, 10 * 365 * kDayMs);
  ASSERT_TRUE(cert);
  EXPECT_EQ(kNowMs + RTC_CERTIFICATE_MAX_EXPIRES_MS,
            rtc_certificate_expires_ms(cert.get()));
  EXPECT_EQ((kNowMs + 365 * kDayMs) / 1000,
            PosixSeconds(X509_get0_notAfter(Parse(cert.get()).get())));
}

TEST(CertificateTest, HonoursAShortExpiry) {
  CertPtr cert = Generate(RTC_KEY_ECDSA_P256, 3600 * 1000);
  ASSERT_TRUE(cert);
  EXPECT_EQ(kNowMs + 3600 * 1000, rtc_certificate_expires_ms(cert.get()));
}

// webrtc-pc generateCertificate with { expires: 0 }: a certificate that
// expires at once (WPT: cert.expires <= Date.now() right after). Its expiry
// is exactly the `now` it was generated at.
TEST(CertificateTest, AZeroLifetimeExpiresAtCreation) {
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  EXPECT_EQ(params.expires_ms, RTC_CERTIFICATE_DEFAULT_EXPIRES_MS);
  CertPtr cert = Generate(RTC_KEY_ECDSA_P256, 0);
  ASSERT_TRUE(cert);
  EXPECT_EQ(kNowMs, rtc_certificate_expires_ms(cert.get()));
}

TEST(CertificateTest, RejectsNegativeExpiryAndMissingArguments) {
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  params.expires_ms = -1;
  rtc_certificate* cert = nullptr;
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
            rtc_certificate_generate(&params, kNowMs, &cert));
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
            rtc_certificate_generate(nullptr, kNowMs, &cert));
  EXPECT_EQ(nullptr, cert);
}

TEST(CertificateTest, OutOfMemoryDuringGenerationFailsCleanly) {
  rtc_certificate_params params;
  rtc_certificate_params_init(&params);
  bool succeeded = false;
  int failures = 0;
  for (uint64_t n = 1; n < 20 && !succeeded; ++n) {
    rtc_alloc_fail_nth(n, 0);
    rtc_certificate* cert = nullptr;
    rtc_error err = rtc_certificate_generate(&params, kNowMs, &cert);
    rtc_alloc_clear_failure();
    if (err == RTC_OK) {
      succeeded = true;
      rtc_certificate_unref(cert);
    } else {
      EXPECT_EQ(RTC_ERR_NO_MEMORY, err) << "n=" << n;
      EXPECT_EQ(nullptr, cert);
      ++failures;
    }
  }
  EXPECT_TRUE(succeeded);
  EXPECT_GE(failures, 2);  // the object and its DER
}

TEST(CertificateTest, ReferenceCountKeepsTheCertificateAlive) {
  CertPtr cert = Generate(RTC_KEY_ECDSA_P256);
  ASSERT_TRUE(cert);
  int64_t live = rtc_alloc_live_count();
  size_t len = 0;
  const uint8_t* der = rtc_certificate_der(cert.get(), &len);
  std::vector<uint8_t> copy(der, der + len);
  rtc_certificate* extra = cert.get();
  rtc_certificate_ref(extra);
  cert.reset();  // one reference left
  EXPECT_EQ(live, rtc_alloc_live_count());
  size_t len2 = 0;
  const uint8_t* der2 = rtc_certificate_der(extra, &len2);
  EXPECT_EQ(copy, std::vector<uint8_t>(der2, der2 + len2));
  rtc_certificate_unref(extra);
  EXPECT_LT(rtc_alloc_live_count(), live);
}

TEST(CertificateTest, ReferencesMayBeTakenAndDroppedOnManyThreads) {
  CertPtr cert = Generate(RTC_KEY_ECDSA_P256);
  ASSERT_TRUE(cert);
  std::vector<std::thread> threads;
  std::atomic<int> matches{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 1000; ++j) {
        rtc_certificate_ref(cert.get());
        rtc_fingerprint fp;
        if (j % 100 == 0 && rtc_certificate_fingerprint(
                                cert.get(), RTC_HASH_SHA256, &fp) == RTC_OK) {
          size_t len = 0;
          const uint8_t* der = rtc_certificate_der(cert.get(), &len);
          if (rtc_fingerprint_matches(&fp, der, len))
            ++matches;
        }
        rtc_certificate_unref(cert.get());
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(40, matches.load());
}

// --- PEM ---

TEST(CertificateTest, PemRoundTripKeepsCertificateKeyAndExpiry) {
  for (rtc_key_type type : {RTC_KEY_ECDSA_P256, RTC_KEY_RSA}) {
    SCOPED_TRACE(type);
    CertPtr cert = Generate(type);
    ASSERT_TRUE(cert);
    char* cert_pem = nullptr;
    char* key_pem = nullptr;
    ASSERT_EQ(RTC_OK, rtc_certificate_to_pem(cert.get(), &cert_pem, &key_pem));
    EXPECT_EQ(0, std::strncmp(cert_pem, "-----BEGIN CERTIFICATE-----", 27));
    EXPECT_EQ(0, std::strncmp(key_pem, "-----BEGIN PRIVATE KEY-----", 27));
    rtc_certificate* raw = nullptr;
    ASSERT_EQ(RTC_OK, rtc_certificate_from_pem(cert_pem, key_pem, &raw));
    CertPtr copy(raw);
    rtc_free(cert_pem);
    rtc_free(key_pem);

    size_t a_len = 0;
    size_t b_len = 0;
    const uint8_t* a = rtc_certificate_der(cert.get(), &a_len);
    const uint8_t* b = rtc_certificate_der(copy.get(), &b_len);
    ASSERT_EQ(a_len, b_len);
    EXPECT_EQ(0, std::memcmp(a, b, a_len));
    EXPECT_EQ(type, rtc_certificate_key_type(copy.get()));
    // The certificate says when it expires, to the second.
    EXPECT_EQ(rtc_certificate_expires_ms(cert.get()) / 1000 * 1000,
              rtc_certificate_expires_ms(copy.get()));

    // The imported key is the same key: exporting it again gives the same
    // PEM.
    char* cert_pem2 = nullptr;
    char* key_pem2 = nullptr;
    char* key_pem3 = nullptr;
    char* cert_pem3 = nullptr;
    ASSERT_EQ(RTC_OK,
              rtc_certificate_to_pem(copy.get(), &cert_pem2, &key_pem2));
    ASSERT_EQ(RTC_OK,
              rtc_certificate_to_pem(cert.get(), &cert_pem3, &key_pem3));
    EXPECT_STREQ(key_pem3, key_pem2);
    EXPECT_STREQ(cert_pem3, cert_pem2);
    rtc_free(cert_pem2);
    rtc_free(key_pem2);
    rtc_free(cert_pem3);
    rtc_free(key_pem3);
  }
}

TEST(CertificateTest, PemImportAcceptsAForeignP256Certificate) {
  bssl::UniquePtr<EVP_PKEY> key = EcKey(NID_X9_62_prime256v1);
  ForeignIdentity id = SelfSigned(key.get(), EVP_sha384());
  rtc_certificate* cert = nullptr;
  ASSERT_EQ(RTC_OK, rtc_certificate_from_pem(id.cert_pem.c_str(),
                                             id.key_pem.c_str(), &cert));
  EXPECT_EQ(RTC_KEY_ECDSA_P256, rtc_certificate_key_type(cert));
  EXPECT_EQ((kNowMs / 1000 + 86400) * 1000, rtc_certificate_expires_ms(cert));
  rtc_certificate_unref(cert);
}

TEST(CertificateTest, PemImportRejectsP384Keys) {
  bssl::UniquePtr<EVP_PKEY> key = EcKey(NID_secp384r1);
  ForeignIdentity id = SelfSigned(key.get(), EVP_sha256());
  rtc_certificate* cert = nullptr;
  EXPECT_EQ(
      RTC_ERR_NOT_SUPPORTED,
      rtc_certificate_from_pem(id.cert_pem.c_str(), id.key_pem.c_str(), &cert));
  EXPECT_EQ(nullptr, cert);
}

TEST(CertificateTest, PemImportRejectsRsa1024) {
  bssl::UniquePtr<EVP_PKEY> key = RsaKey(1024);
  ForeignIdentity id = SelfSigned(key.get(), EVP_sha256());
  rtc_certificate* cert = nullptr;
  EXPECT_EQ(
      RTC_ERR_NOT_SUPPORTED,
      rtc_certificate_from_pem(id.cert_pem.c_str(), id.key_pem.c_str(), &cert));
  EXPECT_EQ(nullptr, cert);
}

TEST(CertificateTest, PemImportRejectsSha1Signatures) {
  bssl::UniquePtr<EVP_PKEY> key = EcKey(NID_X9_62_prime256v1);
  ForeignIdentity id = SelfSigned(key.get(), EVP_sha1());
  rtc_certificate* cert = nullptr;
  EXPECT_EQ(
      RTC_ERR_NOT_SUPPORTED,
      rtc_certificate_from_pem(id.cert_pem.c_str(), id.key_pem.c_str(), &cert));
}

TEST(CertificateTest, PemImportRejectsAKeyThatDoesNotMatch) {
  CertPtr a = Generate(RTC_KEY_ECDSA_P256);
  CertPtr b = Generate(RTC_KEY_ECDSA_P256);
  CertPtr rsa = Generate(RTC_KEY_RSA);
  char* a_cert = nullptr;
  char* a_key = nullptr;
  char* b_cert = nullptr;
  char* b_key = nullptr;
  char* rsa_cert = nullptr;
  char* rsa_key = nullptr;
  ASSERT_EQ(RTC_OK, rtc_certificate_to_pem(a.get(), &a_cert, &a_key));
  ASSERT_EQ(RTC_OK, rtc_certificate_to_pem(b.get(), &b_cert, &b_key));
  ASSERT_EQ(RTC_OK, rtc_certificate_to_pem(rsa.get(), &rsa_cert, &rsa_key));
  rtc_certificate* cert = nullptr;
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
            rtc_certificate_from_pem(a_cert, b_key, &cert));
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
            rtc_certificate_from_pem(a_cert, rsa_key, &cert));
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
            rtc_certificate_from_pem(rsa_cert, a_key, &cert));
  EXPECT_EQ(nullptr, cert);
  rtc_free(a_cert);
  rtc_free(a_key);
  rtc_free(b_cert);
  rtc_free(b_key);
  rtc_free(rsa_cert);
  rtc_free(rsa_key);
}

TEST(CertificateTest, PemImportRejectsGarbage) {
  CertPtr a = Generate(RTC_KEY_ECDSA_P256);
  char* cert_pem = nullptr;
  char* key_pem = nullptr;
  ASSERT_EQ(RTC_OK, rtc_certificate_to_pem(a.get(), &cert_pem, &key_pem));
  rtc_certificate* cert = nullptr;
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
            rtc_certificate_from_pem("", key_pem, &cert));
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
            rtc_certificate_from_pem(cert_pem, "not a key", &cert));
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
            rtc_certificate_from_pem(key_pem, cert_pem, &cert));
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
            rtc_certificate_from_pem(nullptr, key_pem, &cert));
  // A truncated certificate.
  std::string truncated(cert_pem, std::strlen(cert_pem) / 2);
  truncated += "\n-----END CERTIFICATE-----\n";
  EXPECT_EQ(RTC_ERR_INVALID_ARGUMENT,
            rtc_certificate_from_pem(truncated.c_str(), key_pem, &cert));
  EXPECT_EQ(nullptr, cert);
  rtc_free(cert_pem);
  rtc_free(key_pem);
}

TEST(CertificateTest, OutOfMemoryDuringPemImportAndExportFailsCleanly) {
  CertPtr a = Generate(RTC_KEY_ECDSA_P256);
  char* cert_pem = nullptr;
  char* key_pem = nullptr;
  ASSERT_EQ(RTC_OK, rtc_certificate_to_pem(a.get(), &cert_pem, &key_pem));
  for (uint64_t n = 1; n < 4; ++n) {
    char* c = nullptr;
    char* k = nullptr;
    rtc_alloc_fail_nth(n, 0);
    rtc_error err = rtc_certificate_to_pem(a.get(), &c, &k);
    rtc_alloc_clear_failure();
    if (n <= 2) {
      EXPECT_EQ(RTC_ERR_NO_MEMORY, err) << n;
      EXPECT_EQ(nullptr, c);
      EXPECT_EQ(nullptr, k);
    } else {
      EXPECT_EQ(RTC_OK, err);
      rtc_free(c);
      rtc_free(k);
    }
    rtc_certificate* cert = nullptr;
    rtc_alloc_fail_nth(n, 0);
    err = rtc_certificate_from_pem(cert_pem, key_pem, &cert);
    rtc_alloc_clear_failure();
    if (n <= 2) {
      EXPECT_EQ(RTC_ERR_NO_MEMORY, err) << n;
      EXPECT_EQ(nullptr, cert);
    } else {
      EXPECT_EQ(RTC_OK, err);
      rtc_certificate_unref(cert);
    }
  }
  rtc_free(cert_pem);
  rtc_free(key_pem);
}

// --- Fingerprints ---

TEST(FingerprintTest, HashNamesAreTheSdpNames) {
  EXPECT_STREQ("sha-1", rtc_hash_algorithm_name(RTC_HASH_SHA1));
  EXPECT_STREQ("sha-224", rtc_hash_algorithm_name(RTC_HASH_SHA224));
  EXPECT_STREQ("sha-256", rtc_hash_algorithm_name(RTC_HASH_SHA256));
  EXPECT_STREQ("sha-384", rtc_hash_algorithm_name(RTC_HASH_SHA384));
  EXPECT_STREQ("sha-512", rtc_hash_algorithm_name(RTC_HASH_SHA512));
  EXPECT_EQ(nullptr,
            rtc_hash_algorithm_name(static_cast<rtc_hash_algorithm>(7)));

  struct Case {
    const char* name;
    rtc_error err;
    rtc_hash_algorithm algorithm;
  } cases[] = {
      {"sha-256", RTC_OK, RTC_HASH_SHA256},
      {"SHA-256", RTC_OK, RTC_HASH_SHA256},
      {"Sha-1", RTC_OK, RTC_HASH_SHA1},
      {"sha-512", RTC_OK, RTC_HASH_SHA512},
      {"md5", RTC_ERR_NOT_SUPPORTED, RTC_HASH_SHA1},
      {"MD2", RTC_ERR_NOT_SUPPORTED, RTC_HASH_SHA1},
      {"sha256", RTC_ERR_NOT_SUPPORTED, RTC_HASH_SHA1},
      {"sha-2566", RTC_ERR_NOT_SUPPORTED, RTC_HASH_SHA1},
      {"sha-25", RTC_ERR_NOT_SUPPORTED, RTC_HASH_SHA1},
      {"", RTC_ERR_NOT_SUPPORTED, RTC_HASH_SHA1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    rtc_hash_algorithm algorithm = RTC_HASH_SHA1;
    EXPECT_EQ(c.err, rtc_hash_algorithm_from_name(c.name, std::strlen(c.name),
                                                  &algorithm));
    if (c.err == RTC_OK) {
      EXPECT_EQ(c.algorithm, algorithm);
    }
  }
}

TEST(FingerprintTest, CertificateFingerprintIsTheDigestOfTheDer) {
  CertPtr cert = Generate(RTC_KEY_ECDSA_P256);
  size_t len = 0;
  const uint8_t* der = rtc_certificate_der(cert.get(), &len);
  struct Case {
    rtc_hash_algorithm algorithm;
    const EVP_MD* md;
    size_t size;
  } cases[] = {
      {RTC_HASH_SHA1, EVP_sha1(), 20},     {RTC_HASH_SHA224, EVP_sha224(), 28},
      {RTC_HASH_SHA256, EVP_sha256(), 32}, {RTC_HASH_SHA384, EVP_sha384(), 48},
      {RTC_HASH_SHA512, EVP_sha512(), 64},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(rtc_hash_algorithm_name(c.algorithm));
    rtc_fingerprint fp;
    ASSERT_EQ(RTC_OK,
              rtc_certificate_fingerprint(cert.get(), c.algorithm, &fp));
    EXPECT_EQ(c.algorithm, fp.algorithm);
    ASSERT_EQ(c.size, fp.digest_len);
    uint8_t expected[EVP_MAX_MD_SIZE];
    unsigned expected_len = 0;
    ASSERT_TRUE(EVP_Digest(der, len, expected, &expected_len, c.md, nullptr));
    ASSERT_EQ(c.size, expected_len);
    EXPECT_EQ(0, std::memcmp(expected, fp.digest, c.size));
    EXPECT_TRUE(rtc_fingerprint_matches(&fp, der, len));

    rtc_fingerprint of_der;
    ASSERT_EQ(RTC_OK, rtc_fingerprint_of_der(der, len, c.algorithm, &of_der));
    EXPECT_TRUE(rtc_fingerprint_equal(&fp, &of_der));
  }
}

TEST(FingerprintTest, MatchesOnlyTheExactCertificate) {
  CertPtr cert = Generate(RTC_KEY_ECDSA_P256);
  CertPtr other = Generate(RTC_KEY_ECDSA_P256);
  size_t len = 0;
  const uint8_t* der = rtc_certificate_der(cert.get(), &len);
  size_t other_len = 0;
  const uint8_t* other_der = rtc_certificate_der(other.get(), &other_len);
  rtc_fingerprint fp;
  ASSERT_EQ(RTC_OK,
            rtc_certificate_fingerprint(cert.get(), RTC_HASH_SHA256, &fp));
  EXPECT_TRUE(rtc_fingerprint_matches(&fp, der, len));
  EXPECT_FALSE(rtc_fingerprint_matches(&fp, other_der, other_len));
  EXPECT_FALSE(rtc_fingerprint_matches(&fp, der, len - 1));
  std::vector<uint8_t> flipped(der, der + len);
  flipped[len / 2] ^= 0x01;
  EXPECT_FALSE(rtc_fingerprint_matches(&fp, flipped.data(), flipped.size()));
  rtc_fingerprint changed = fp;
  changed.digest[31] ^= 0x80;
  EXPECT_FALSE(rtc_fingerprint_matches(&changed, der, len));
  EXPECT_FALSE(rtc_fingerprint_equal(&fp, &changed));
  // A digest whose length does not fit its algorithm never matches.
  rtc_fingerprint short_fp = fp;
  short_fp.digest_len = 20;
  EXPECT_FALSE(rtc_fingerprint_matches(&short_fp, der, len));
  EXPECT_FALSE(rtc_fingerprint_matches(&fp, nullptr, 0));
}

std::string Pairs(size_t n, const char* pair = "AB") {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i)
      s += ':';
    s += pair;
  }
  return s;
}

TEST(FingerprintTest, ParsesValidFingerprintsOfEveryAcceptedHash) {
  struct Case {
    std::string text;
    rtc_hash_algorithm algorithm;
    size_t len;
  } cases[] = {
      {"sha-1 " + Pairs(20), RTC_HASH_SHA1, 20},
      {"sha-224 " + Pairs(28), RTC_HASH_SHA224, 28},
      {"sha-256 " + Pairs(32), RTC_HASH_SHA256, 32},
      {"sha-384 " + Pairs(48), RTC_HASH_SHA384, 48},
      {"sha-512 " + Pairs(64), RTC_HASH_SHA512, 64},
      {"SHA-256 " + Pairs(32, "ab"), RTC_HASH_SHA256, 32},
      {"sha-256 " + Pairs(32, "aB"), RTC_HASH_SHA256, 32},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    rtc_fingerprint fp;
    ASSERT_EQ(RTC_OK, rtc_fingerprint_parse(c.text.data(), c.text.size(), &fp));
    EXPECT_EQ(c.algorithm, fp.algorithm);
    ASSERT_EQ(c.len, fp.digest_len);
    for (size_t i = 0; i < c.len; ++i)
      EXPECT_EQ(0xab, fp.digest[i]);
  }
}

TEST(FingerprintTest, SEC20_RejectsMalformedOrWeakFingerprints) {
  std::string ok = Pairs(32);
  struct Case {
    std::string text;
    rtc_error err;
  } cases[] = {
      {"md5 " + Pairs(16), RTC_ERR_NOT_SUPPORTED},
      {"md2 " + Pairs(16), RTC_ERR_NOT_SUPPORTED},
      {"MD5 " + Pairs(16), RTC_ERR_NOT_SUPPORTED},
      {"foo " + ok, RTC_ERR_NOT_SUPPORTED},
      {"sha256 " + ok, RTC_ERR_NOT_SUPPORTED},
      {"sha-256" + ok, RTC_ERR_SYNTAX},  // no space
      {"sha-256", RTC_ERR_SYNTAX},
      {"", RTC_ERR_SYNTAX},
      {" sha-256 " + ok, RTC_ERR_SYNTAX},
      {"sha-256  " + ok, RTC_ERR_SYNTAX},  // two spaces
      {"sha-256 " + ok + " ", RTC_ERR_SYNTAX},
      {"sha-256 " + ok + ":", RTC_ERR_SYNTAX},
      {"sha-256 " + Pairs(31), RTC_ERR_SYNTAX},  // too short
      {"sha-256 " + Pairs(33), RTC_ERR_SYNTAX},  // too long
      {"sha-1 " + Pairs(32), RTC_ERR_SYNTAX},    // sha-256 length
      {"sha-256 " + Pairs(31) + ":GG", RTC_ERR_SYNTAX},
      {"sha-256 " + Pairs(31) + ":A", RTC_ERR_SYNTAX},
      {"sha-256 " + Pairs(31) + ":ABC", RTC_ERR_SYNTAX},
      {"sha-256 " + Pairs(31) + ":-A", RTC_ERR_SYNTAX},
      {"sha-256 " + Pairs(31) + ": A", RTC_ERR_SYNTAX},
      {"sha-256 AB-" + Pairs(31), RTC_ERR_SYNTAX},
      {"sha-256 " + std::string(95, 'A'), RTC_ERR_SYNTAX},  // no colons
      {"sha-256 " + Pairs(31) + "::A", RTC_ERR_SYNTAX},
      {"sha\t256 " + ok, RTC_ERR_SYNTAX},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    rtc_fingerprint fp;
    EXPECT_EQ(c.err, rtc_fingerprint_parse(c.text.data(), c.text.size(), &fp));
  }
  // A NUL inside the value.
  std::string with_nul = "sha-256 " + ok;
  with_nul[10] = '\0';
  rtc_fingerprint fp;
  EXPECT_EQ(RTC_ERR_SYNTAX,
            rtc_fingerprint_parse(with_nul.data(), with_nul.size(), &fp));
  // The length given is respected: the text may go on after it.
  std::string longer = "sha-256 " + ok + ":CD";
  EXPECT_EQ(RTC_OK,
            rtc_fingerprint_parse(longer.data(), longer.size() - 3, &fp));
}

TEST(FingerprintTest, FormatsUppercaseForSdpAndLowercaseValue) {
  rtc_fingerprint fp;
  std::memset(&fp, 0, sizeof(fp));
  fp.algorithm = RTC_HASH_SHA256;
  fp.digest_len = 32;
  for (size_t i = 0; i < 32; ++i)
    fp.digest[i] = static_cast<uint8_t>(0xa0 + i);
  char buf[RTC_FINGERPRINT_TEXT_SIZE];
  size_t n = rtc_fingerprint_format(&fp, buf, sizeof(buf));
  std::string expected = "sha-256 ";
  std::string value;
  for (size_t i = 0; i < 32; ++i) {
    char pair[4];
    std::snprintf(pair, sizeof(pair), "%02X", 0xa0 + static_cast<int>(i));
    if (i)
      value += ':';
    value += pair;
  }
  expected += value;
  EXPECT_EQ(expected, buf);
  EXPECT_EQ(expected.size(), n);

  n = rtc_fingerprint_format_value(&fp, buf, sizeof(buf));
  std::string lower = value;
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(lower, buf);
  EXPECT_EQ(lower.size(), n);

  // Round trip.
  n = rtc_fingerprint_format(&fp, buf, sizeof(buf));
  rtc_fingerprint parsed;
  ASSERT_EQ(RTC_OK, rtc_fingerprint_parse(buf, n, &parsed));
  EXPECT_TRUE(rtc_fingerprint_equal(&fp, &parsed));

  // Too small a buffer: nothing (never a truncated fingerprint).
  EXPECT_EQ(0u, rtc_fingerprint_format(&fp, buf, expected.size()));
  EXPECT_STREQ("", buf);
  EXPECT_EQ(expected.size(),
            rtc_fingerprint_format(&fp, buf, expected.size() + 1));
  EXPECT_EQ(0u, rtc_fingerprint_format_value(&fp, buf, lower.size()));
}

TEST(FingerprintTest, LongestFingerprintFitsTheTextSize) {
  rtc_fingerprint fp;
  std::memset(&fp, 0xff, sizeof(fp.digest));
  fp.algorithm = RTC_HASH_SHA512;
  fp.digest_len = 64;
  char buf[RTC_FINGERPRINT_TEXT_SIZE];
  size_t n = rtc_fingerprint_format(&fp, buf, sizeof(buf));
  EXPECT_EQ(RTC_FINGERPRINT_TEXT_SIZE - 1u, n);
  rtc_fingerprint parsed;
  ASSERT_EQ(RTC_OK, rtc_fingerprint_parse(buf, n, &parsed));
  EXPECT_TRUE(rtc_fingerprint_equal(&fp, &parsed));
}

}  // namespace
