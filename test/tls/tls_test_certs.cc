#include "test/tls/tls_test_certs.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>

namespace rtc_test {
namespace {

bssl::UniquePtr<EVP_PKEY> NewKey() {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (!ec || !EC_KEY_generate_key(ec.get()))
    return nullptr;
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  if (!key || !EVP_PKEY_assign_EC_KEY(key.get(), ec.release()))
    return nullptr;
  return key;
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  bssl::UniquePtr<X509_EXTENSION> ext(
      X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1);
}

bssl::UniquePtr<X509> NewCert(const char* common_name,
                              EVP_PKEY* key,
                              X509* issuer,
                              EVP_PKEY* issuer_key,
                              long serial) {
  bssl::UniquePtr<X509> cert(X509_new());
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3) ||
      !ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) ||
      !X509_set_pubkey(cert.get(), key))
    return nullptr;
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0))
    return nullptr;
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (!X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)))
    return nullptr;
  return cert;
}

std::string Pem(X509* cert) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  const uint8_t* data = nullptr;
  size_t len = 0;
  BIO_mem_contents(bio.get(), &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

std::string Pem(EVP_PKEY* key) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                           nullptr);
  const uint8_t* data = nullptr;
  size_t len = 0;
  BIO_mem_contents(bio.get(), &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

bool IsIp(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

bool MakeTlsCerts(const std::vector<std::string>& names, TlsCerts* out) {
  bssl::UniquePtr<EVP_PKEY> ca_key = NewKey();
  bssl::UniquePtr<EVP_PKEY> key = NewKey();
  if (!ca_key || !key)
    return false;
  bssl::UniquePtr<X509> ca =
      NewCert("rtcbox test CA", ca_key.get(), nullptr, nullptr, 1);
  if (!ca ||
      !AddExtension(ca.get(), ca.get(), NID_basic_constraints,
                    "critical,CA:TRUE") ||
      !AddExtension(ca.get(), ca.get(), NID_key_usage,
                    "critical,keyCertSign,cRLSign") ||
      !X509_sign(ca.get(), ca_key.get(), EVP_sha256()))
    return false;
  const char* cn = names.empty() ? "server" : names[0].c_str();
  bssl::UniquePtr<X509> cert = NewCert(cn, key.get(), ca.get(), ca_key.get(),
                                       static_cast<long>(time(nullptr)));
  std::string san;
  for (const auto& n : names) {
    if (!san.empty())
      san += ",";
    san += (IsIp(n) ? "IP:" : "DNS:") + n;
  }
  if (!cert ||
      !AddExtension(cert.get(), ca.get(), NID_basic_constraints, "CA:FALSE") ||
      !AddExtension(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth") ||
      (!san.empty() && !AddExtension(cert.get(), ca.get(), NID_subject_alt_name,
                                     san.c_str())) ||
      !X509_sign(cert.get(), ca_key.get(), EVP_sha256()))
    return false;
  out->ca_pem = Pem(ca.get());
  out->cert_pem = Pem(cert.get());
  out->key_pem = Pem(key.get());
  return !out->ca_pem.empty() && !out->cert_pem.empty() &&
         !out->key_pem.empty();
}

bool WriteFile(const std::string& path, const std::string& text) {
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr)
    return false;
  bool ok = fwrite(text.data(), 1, text.size(), f) == text.size();
  return fclose(f) == 0 && ok;
}

}  // namespace rtc_test
