/*
 * DTLS certificates and fingerprints. BoringSSL does every cryptographic
 * operation (key generation, signing, digests); this file picks the
 * parameters WebRTC asks for and validates what it is given.
 *
 * webrtc-pc §4.9 generateCertificate: "the certificate ... MUST NOT
 * include information that can be linked to a user or user agent";
 * random DN and serial; expires defaults to 30 days and the UA may cap it
 * (we cap at 365 days).
 */
#include "p2p/certificate.h"

#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/crypto.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "p2p/certificate_internal.h"
#include "rtc_base/alloc.h"
#include "rtc_base/checks.h"
#include "rtc_base/refcount.h"

#define RSA_MIN_BITS 2048u
#define RSA_MAX_BITS 8192u
#define RSA_EXPONENT 65537u
/* Bytes of randomness in the subject common name (twice as many hex
 * characters). */
#define CN_RANDOM_BYTES 8

struct rtc_certificate {
  rtc_refcount refs;
  rtc_key_type type;
  X509* x509;
  EVP_PKEY* key;
  uint8_t* der; /* rtc_malloc'd DER of x509 */
  size_t der_len;
  int64_t expires_ms;
};

static const char kHexUpper[] = "0123456789ABCDEF";
static const char kHexLower[] = "0123456789abcdef";

void rtc_certificate_params_init(rtc_certificate_params* params) {
  memset(params, 0, sizeof(*params));
  params->type = RTC_KEY_ECDSA_P256;
  params->rsa_modulus_bits = RSA_MIN_BITS;
  params->rsa_public_exponent = RSA_EXPONENT;
  params->expires_ms = RTC_CERTIFICATE_DEFAULT_EXPIRES_MS;
}

/* --- Creation --- */

/* Wraps x509/key (taking them over, also on failure) in a certificate. */
static rtc_error certificate_wrap(X509* x509,
                                  EVP_PKEY* key,
                                  rtc_key_type type,
                                  int64_t expires_ms,
                                  rtc_certificate** out) {
  rtc_error err = RTC_ERR_NO_MEMORY;
  rtc_certificate* cert = NULL;
  int len = i2d_X509(x509, NULL);
  if (len <= 0) {
    err = RTC_ERR_OPERATION;
    goto free_objects;
  }
  cert = rtc_calloc(1, sizeof(*cert));
  if (!cert)
    goto free_objects;
  cert->der = rtc_malloc((size_t)len);
  if (!cert->der)
    goto free_cert;
  uint8_t* p = cert->der;
  if (i2d_X509(x509, &p) != len) {
    err = RTC_ERR_OPERATION;
    goto free_der;
  }
  cert->der_len = (size_t)len;
  rtc_refcount_init(&cert->refs);
  cert->type = type;
  cert->x509 = x509;
  cert->key = key;
  cert->expires_ms = expires_ms;
  *out = cert;
  return RTC_OK;

free_der:
  rtc_free(cert->der);
free_cert:
  rtc_free(cert);
free_objects:
  X509_free(x509);
  EVP_PKEY_free(key);
  ERR_clear_error();
  return err;
}

static EVP_PKEY* generate_ecdsa_key(void) {
  EC_KEY* ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
  if (!ec)
    return NULL;
  EVP_PKEY* key = NULL;
  if (!EC_KEY_generate_key(ec))
    goto free_ec;
  key = EVP_PKEY_new();
  if (!key)
    goto free_ec;
  if (!EVP_PKEY_assign_EC_KEY(key, ec)) {
    EVP_PKEY_free(key);
    key = NULL;
    goto free_ec;
  }
  return key; /* owns ec */

free_ec:
  EC_KEY_free(ec);
  return NULL;
}

static EVP_PKEY* generate_rsa_key(unsigned bits) {
  EVP_PKEY* key = NULL;
  RSA* rsa = RSA_new();
  BIGNUM* e = BN_new();
  if (!rsa || !e || !BN_set_word(e, RSA_EXPONENT) ||
      !RSA_generate_key_ex(rsa, (int)bits, e, NULL))
    goto free_rsa;
  key = EVP_PKEY_new();
  if (!key)
    goto free_rsa;
  if (!EVP_PKEY_assign_RSA(key, rsa)) {
    EVP_PKEY_free(key);
    key = NULL;
    goto free_rsa;
  }
  BN_free(e);
  return key; /* owns rsa */

free_rsa:
  RSA_free(rsa);
  BN_free(e);
  return NULL;
}

/* A random, non-identifying subject (and issuer) common name: 16 hex
 * characters. */
static bool set_random_name(X509* x509) {
  uint8_t random[CN_RANDOM_BYTES];
  char cn[2 * CN_RANDOM_BYTES + 1];
  if (!RAND_bytes(random, sizeof(random)))
    return false;
  for (size_t i = 0; i < sizeof(random); i++) {
    cn[2 * i] = kHexLower[random[i] >> 4];
    cn[2 * i + 1] = kHexLower[random[i] & 0xf];
  }
  cn[sizeof(cn) - 1] = '\0';
  X509_NAME* name = X509_NAME_new();
  if (!name)
    return false;
  bool ok = X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                       (const uint8_t*)cn, -1, -1, 0) &&
            X509_set_subject_name(x509, name) &&
            X509_set_issuer_name(x509, name);
  X509_NAME_free(name);
  return ok;
}

/* A random positive 64-bit serial number: top bit clear (so that the DER
 * INTEGER stays 8 bytes and positive), never zero. */
static bool set_random_serial(X509* x509) {
  uint64_t serial = 0;
  while (serial == 0) {
    uint8_t random[8];
    if (!RAND_bytes(random, sizeof(random)))
      return false;
    random[0] &= 0x7f;
    for (size_t i = 0; i < sizeof(random); i++)
      serial = (serial << 8) | random[i];
  }
  return ASN1_INTEGER_set_uint64(X509_get_serialNumber(x509), serial);
}

rtc_error rtc_certificate_generate(const rtc_certificate_params* params,
                                   int64_t now_utc_ms,
                                   rtc_certificate** out) {
  if (!out)
    return RTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!params)
    return RTC_ERR_INVALID_ARGUMENT;
  int64_t lifetime_ms = params->expires_ms;
  if (lifetime_ms < 0)
    return RTC_ERR_INVALID_ARGUMENT;
  /* webrtc-pc generateCertificate: the UA may cap the expiry. */
  if (lifetime_ms > RTC_CERTIFICATE_MAX_EXPIRES_MS)
    lifetime_ms = RTC_CERTIFICATE_MAX_EXPIRES_MS;
  if (now_utc_ms < 0 || now_utc_ms > INT64_MAX - lifetime_ms)
    return RTC_ERR_INVALID_ARGUMENT;
  int64_t expires_ms = now_utc_ms + lifetime_ms;

  EVP_PKEY* key = NULL;
  switch (params->type) {
    case RTC_KEY_ECDSA_P256:
      key = generate_ecdsa_key();
      break;
    case RTC_KEY_RSA:
      /* BoringSSL generates moduli that are multiples of 128 bits. */
      if (params->rsa_modulus_bits < RSA_MIN_BITS ||
          params->rsa_modulus_bits > RSA_MAX_BITS ||
          params->rsa_modulus_bits % 128 != 0 ||
          params->rsa_public_exponent != RSA_EXPONENT)
        return RTC_ERR_NOT_SUPPORTED;
      key = generate_rsa_key(params->rsa_modulus_bits);
      break;
    default:
      return RTC_ERR_NOT_SUPPORTED;
  }
  if (!key) {
    ERR_clear_error();
    return RTC_ERR_OPERATION;
  }

  X509* x509 = X509_new();
  if (!x509 || !X509_set_version(x509, X509_VERSION_3) ||
      !set_random_serial(x509) || !set_random_name(x509) ||
      !ASN1_TIME_set(X509_getm_notBefore(x509),
                     (time_t)(now_utc_ms / 1000 - 24 * 3600)) ||
      !ASN1_TIME_set(X509_getm_notAfter(x509), (time_t)(expires_ms / 1000)) ||
      !X509_set_pubkey(x509, key) || !X509_sign(x509, key, EVP_sha256())) {
    X509_free(x509);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return RTC_ERR_OPERATION;
  }
  return certificate_wrap(x509, key, params->type, expires_ms, out);
}

/* --- PEM --- */

/* Never asks for a passphrase: encrypted keys are rejected. */
static int no_password(char* buf, int size, int rwflag, void* userdata) {
  (void)buf;
  (void)size;
  (void)rwflag;
  (void)userdata;
  return 0;
}

/* The key's type if it is at least as strong as WebRTC requires (P-256
 * with a named curve, RSA >= 2048 bits). */
static rtc_error check_key(EVP_PKEY* key, rtc_key_type* type) {
  switch (EVP_PKEY_id(key)) {
    case EVP_PKEY_EC: {
      const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key);
      const EC_GROUP* group = ec ? EC_KEY_get0_group(ec) : NULL;
      if (!group || EC_GROUP_get_curve_name(group) != NID_X9_62_prime256v1)
        return RTC_ERR_NOT_SUPPORTED;
      *type = RTC_KEY_ECDSA_P256;
      return RTC_OK;
    }
    case EVP_PKEY_RSA: {
      const RSA* rsa = EVP_PKEY_get0_RSA(key);
      if (!rsa || RSA_bits(rsa) < RSA_MIN_BITS || RSA_bits(rsa) > RSA_MAX_BITS)
        return RTC_ERR_NOT_SUPPORTED;
      *type = RTC_KEY_RSA;
      return RTC_OK;
    }
    default:
      return RTC_ERR_NOT_SUPPORTED;
  }
}

static bool signature_allowed(int nid) {
  switch (nid) {
    case NID_sha256WithRSAEncryption:
    case NID_sha384WithRSAEncryption:
    case NID_sha512WithRSAEncryption:
    case NID_ecdsa_with_SHA256:
    case NID_ecdsa_with_SHA384:
    case NID_ecdsa_with_SHA512:
      return true;
    default:
      return false;
  }
}

/* notAfter as ms since the Unix epoch. */
static bool not_after_ms(X509* x509, int64_t* out) {
  ASN1_TIME* epoch = ASN1_TIME_set(NULL, 0);
  if (!epoch)
    return false;
  int days = 0;
  int seconds = 0;
  bool ok = ASN1_TIME_diff(&days, &seconds, epoch, X509_get0_notAfter(x509));
  ASN1_TIME_free(epoch);
  if (!ok)
    return false;
  *out = ((int64_t)days * 24 * 3600 + seconds) * 1000;
  return true;
}

rtc_error rtc_certificate_from_pem(const char* certificate_pem,
                                   const char* private_key_pem,
                                   rtc_certificate** out) {
  if (!out)
    return RTC_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!certificate_pem || !private_key_pem)
    return RTC_ERR_INVALID_ARGUMENT;

  rtc_error err = RTC_ERR_INVALID_ARGUMENT;
  X509* x509 = NULL;
  EVP_PKEY* key = NULL;
  EVP_PKEY* cert_key = NULL;
  BIO* bio = BIO_new_mem_buf(certificate_pem, -1);
  if (!bio) {
    err = RTC_ERR_NO_MEMORY;
    goto fail;
  }
  x509 = PEM_read_bio_X509(bio, NULL, no_password, NULL);
  BIO_free(bio);
  if (!x509)
    goto fail;
  bio = BIO_new_mem_buf(private_key_pem, -1);
  if (!bio) {
    err = RTC_ERR_NO_MEMORY;
    goto fail;
  }
  key = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
  BIO_free(bio);
  if (!key)
    goto fail;

  rtc_key_type type;
  rtc_key_type cert_type;
  err = check_key(key, &type);
  if (err != RTC_OK)
    goto fail;
  cert_key = X509_get_pubkey(x509);
  if (!cert_key) {
    err = RTC_ERR_INVALID_ARGUMENT;
    goto fail;
  }
  err = check_key(cert_key, &cert_type);
  if (err != RTC_OK)
    goto fail;
  if (!signature_allowed(X509_get_signature_nid(x509))) {
    err = RTC_ERR_NOT_SUPPORTED;
    goto fail;
  }
  if (cert_type != type || !X509_check_private_key(x509, key)) {
    err = RTC_ERR_INVALID_ARGUMENT;
    goto fail;
  }
  int64_t expires_ms;
  if (!not_after_ms(x509, &expires_ms)) {
    err = RTC_ERR_INVALID_ARGUMENT;
    goto fail;
  }
  EVP_PKEY_free(cert_key);
  return certificate_wrap(x509, key, type, expires_ms, out);

fail:
  EVP_PKEY_free(cert_key);
  EVP_PKEY_free(key);
  X509_free(x509);
  ERR_clear_error();
  return err;
}

/* The contents of a memory BIO as a NUL-terminated rtc_malloc'd string. */
static char* bio_to_string(BIO* bio) {
  const uint8_t* data = NULL;
  size_t len = 0;
  if (!BIO_mem_contents(bio, &data, &len))
    return NULL;
  char* s = rtc_malloc(len + 1);
  if (!s)
    return NULL;
  memcpy(s, data, len);
  s[len] = '\0';
  return s;
}

rtc_error rtc_certificate_to_pem(const rtc_certificate* certificate,
                                 char** certificate_pem,
                                 char** private_key_pem) {
  if (!certificate || !certificate_pem || !private_key_pem)
    return RTC_ERR_INVALID_ARGUMENT;
  *certificate_pem = NULL;
  *private_key_pem = NULL;
  rtc_error err = RTC_ERR_NO_MEMORY;
  char* cert_text = NULL;
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio)
    goto fail;
  if (!PEM_write_bio_X509(bio, certificate->x509))
    goto free_bio;
  cert_text = bio_to_string(bio);
  if (!cert_text)
    goto free_bio;
  BIO_free(bio);
  bio = BIO_new(BIO_s_mem());
  if (!bio)
    goto free_cert_text;
  /* PKCS #8, unencrypted: the embedder protects what it persists. */
  if (!PEM_write_bio_PrivateKey(bio, certificate->key, NULL, NULL, 0, NULL,
                                NULL))
    goto free_bio;
  char* key_text = bio_to_string(bio);
  if (!key_text)
    goto free_bio;
  /* The key text is secret: wipe BoringSSL's copy before freeing it. */
  const uint8_t* contents = NULL;
  size_t contents_len = 0;
  if (BIO_mem_contents(bio, &contents, &contents_len))
    OPENSSL_cleanse((void*)contents, contents_len);
  BIO_free(bio);
  *certificate_pem = cert_text;
  *private_key_pem = key_text;
  return RTC_OK;

free_bio:
  BIO_free(bio);
free_cert_text:
  rtc_free(cert_text);
fail:
  ERR_clear_error();
  return err;
}

/* --- Accessors --- */

void rtc_certificate_ref(rtc_certificate* certificate) {
  rtc_refcount_inc(&certificate->refs);
}

void rtc_certificate_unref(rtc_certificate* certificate) {
  if (!certificate || !rtc_refcount_dec(&certificate->refs))
    return;
  X509_free(certificate->x509);
  EVP_PKEY_free(certificate->key);
  rtc_free(certificate->der);
  rtc_free(certificate);
}

int64_t rtc_certificate_expires_ms(const rtc_certificate* certificate) {
  return certificate->expires_ms;
}

rtc_key_type rtc_certificate_key_type(const rtc_certificate* certificate) {
  return certificate->type;
}

const uint8_t* rtc_certificate_der(const rtc_certificate* certificate,
                                   size_t* len) {
  *len = certificate->der_len;
  return certificate->der;
}

X509* rtc_certificate_x509(const rtc_certificate* certificate) {
  return certificate->x509;
}

EVP_PKEY* rtc_certificate_private_key(const rtc_certificate* certificate) {
  return certificate->key;
}

/* --- Fingerprints --- */

typedef struct hash_entry {
  rtc_hash_algorithm algorithm;
  const char* name;
  size_t digest_len;
} hash_entry;

/* RFC 8122 §5 (the IANA "Hash Function Textual Names" registry). md2 and
 * md5 are deliberately absent (SEC-20). */
static const hash_entry kHashes[] = {
    {RTC_HASH_SHA1, "sha-1", 20},     {RTC_HASH_SHA224, "sha-224", 28},
    {RTC_HASH_SHA256, "sha-256", 32}, {RTC_HASH_SHA384, "sha-384", 48},
    {RTC_HASH_SHA512, "sha-512", 64},
};

static const hash_entry* find_hash(rtc_hash_algorithm algorithm) {
  for (size_t i = 0; i < sizeof(kHashes) / sizeof(kHashes[0]); i++) {
    if (kHashes[i].algorithm == algorithm)
      return &kHashes[i];
  }
  return NULL;
}

static const EVP_MD* hash_md(rtc_hash_algorithm algorithm) {
  switch (algorithm) {
    case RTC_HASH_SHA1:
      return EVP_sha1();
    case RTC_HASH_SHA224:
      return EVP_sha224();
    case RTC_HASH_SHA256:
      return EVP_sha256();
    case RTC_HASH_SHA384:
      return EVP_sha384();
    case RTC_HASH_SHA512:
      return EVP_sha512();
  }
  return NULL;
}

const char* rtc_hash_algorithm_name(rtc_hash_algorithm algorithm) {
  const hash_entry* h = find_hash(algorithm);
  return h ? h->name : NULL;
}

static char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

rtc_error rtc_hash_algorithm_from_name(const char* name,
                                       size_t len,
                                       rtc_hash_algorithm* out) {
  if (!name || !out)
    return RTC_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < sizeof(kHashes) / sizeof(kHashes[0]); i++) {
    const char* candidate = kHashes[i].name;
    if (strlen(candidate) != len)
      continue;
    size_t j = 0;
    while (j < len && ascii_lower(name[j]) == candidate[j])
      j++;
    if (j == len) {
      *out = kHashes[i].algorithm;
      return RTC_OK;
    }
  }
  return RTC_ERR_NOT_SUPPORTED;
}

/* A fingerprint whose digest length fits its algorithm. */
static bool fingerprint_valid(const rtc_fingerprint* fingerprint) {
  const hash_entry* h = find_hash(fingerprint->algorithm);
  return h && fingerprint->digest_len == h->digest_len;
}

rtc_error rtc_fingerprint_of_der(const uint8_t* der,
                                 size_t len,
                                 rtc_hash_algorithm algorithm,
                                 rtc_fingerprint* out) {
  if (!der || len == 0 || !out)
    return RTC_ERR_INVALID_ARGUMENT;
  const hash_entry* h = find_hash(algorithm);
  if (!h)
    return RTC_ERR_NOT_SUPPORTED;
  memset(out, 0, sizeof(*out));
  unsigned digest_len = 0;
  if (!EVP_Digest(der, len, out->digest, &digest_len, hash_md(algorithm),
                  NULL) ||
      digest_len != h->digest_len) {
    ERR_clear_error();
    return RTC_ERR_OPERATION;
  }
  out->algorithm = algorithm;
  out->digest_len = digest_len;
  return RTC_OK;
}

rtc_error rtc_certificate_fingerprint(const rtc_certificate* certificate,
                                      rtc_hash_algorithm algorithm,
                                      rtc_fingerprint* out) {
  if (!certificate)
    return RTC_ERR_INVALID_ARGUMENT;
  return rtc_fingerprint_of_der(certificate->der, certificate->der_len,
                                algorithm, out);
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

rtc_error rtc_fingerprint_parse(const char* text,
                                size_t len,
                                rtc_fingerprint* out) {
  if (!text || !out)
    return RTC_ERR_INVALID_ARGUMENT;
  /* RFC 8122 §5:
   *   fingerprint-attribute = "fingerprint" ":" hash-func SP fingerprint
   *   hash-func = "sha-1" / "sha-224" / "sha-256" / "sha-384" / "sha-512" /
   *               "md5" / "md2" / token
   *   fingerprint = 2UHEX *(":" 2UHEX)
   * with "UHEX" uppercase, lowercase accepted ("to be liberal"). */
  size_t space = 0;
  while (space < len && text[space] != ' ')
    space++;
  if (space == 0 || space == len)
    return RTC_ERR_SYNTAX;
  for (size_t i = 0; i < space; i++) {
    /* token characters (RFC 4566 §9) only in the hash name. */
    unsigned char c = (unsigned char)text[i];
    if (c <= 0x20 || c >= 0x7f)
      return RTC_ERR_SYNTAX;
  }
  rtc_hash_algorithm algorithm;
  rtc_error err = rtc_hash_algorithm_from_name(text, space, &algorithm);
  if (err != RTC_OK)
    return err;
  const hash_entry* h = find_hash(algorithm);
  const char* value = text + space + 1;
  size_t value_len = len - space - 1;
  /* Exactly digest_len pairs: 3 * n - 1 characters. */
  if (value_len != 3 * h->digest_len - 1)
    return RTC_ERR_SYNTAX;
  rtc_fingerprint fp;
  memset(&fp, 0, sizeof(fp));
  for (size_t i = 0; i < h->digest_len; i++) {
    const char* pair = value + 3 * i;
    int hi = hex_value(pair[0]);
    int lo = hex_value(pair[1]);
    if (hi < 0 || lo < 0)
      return RTC_ERR_SYNTAX;
    if (i + 1 < h->digest_len && pair[2] != ':')
      return RTC_ERR_SYNTAX;
    fp.digest[i] = (uint8_t)(hi << 4 | lo);
  }
  fp.algorithm = algorithm;
  fp.digest_len = h->digest_len;
  *out = fp;
  return RTC_OK;
}

/* Writes the hex pairs; `buf` has room for 3 * digest_len bytes. */
static void format_digest(const rtc_fingerprint* fingerprint,
                          const char* hex,
                          char* buf) {
  for (size_t i = 0; i < fingerprint->digest_len; i++) {
    uint8_t b = fingerprint->digest[i];
    buf[3 * i] = hex[b >> 4];
    buf[3 * i + 1] = hex[b & 0xf];
    buf[3 * i + 2] = ':';
  }
  buf[3 * fingerprint->digest_len - 1] = '\0';
}

size_t rtc_fingerprint_format(const rtc_fingerprint* fingerprint,
                              char* buf,
                              size_t size) {
  if (!buf || size == 0)
    return 0;
  buf[0] = '\0';
  if (!fingerprint || !fingerprint_valid(fingerprint))
    return 0;
  const char* name = rtc_hash_algorithm_name(fingerprint->algorithm);
  size_t name_len = strlen(name);
  size_t total = name_len + 1 + 3 * fingerprint->digest_len - 1;
  if (total + 1 > size)
    return 0;
  memcpy(buf, name, name_len);
  buf[name_len] = ' ';
  format_digest(fingerprint, kHexUpper, buf + name_len + 1);
  return total;
}

size_t rtc_fingerprint_format_value(const rtc_fingerprint* fingerprint,
                                    char* buf,
                                    size_t size) {
  if (!buf || size == 0)
    return 0;
  buf[0] = '\0';
  if (!fingerprint || !fingerprint_valid(fingerprint))
    return 0;
  size_t total = 3 * fingerprint->digest_len - 1;
  if (total + 1 > size)
    return 0;
  /* webrtc-pc RTCDtlsFingerprint.value: lowercase hex. */
  format_digest(fingerprint, kHexLower, buf);
  return total;
}

bool rtc_fingerprint_equal(const rtc_fingerprint* a, const rtc_fingerprint* b) {
  if (!a || !b || a->algorithm != b->algorithm ||
      a->digest_len != b->digest_len || a->digest_len > sizeof(a->digest))
    return false;
  return CRYPTO_memcmp(a->digest, b->digest, a->digest_len) == 0;
}

bool rtc_fingerprint_matches(const rtc_fingerprint* fingerprint,
                             const uint8_t* der,
                             size_t len) {
  if (!fingerprint || !fingerprint_valid(fingerprint))
    return false;
  rtc_fingerprint actual;
  if (rtc_fingerprint_of_der(der, len, fingerprint->algorithm, &actual) !=
      RTC_OK)
    return false;
  return CRYPTO_memcmp(actual.digest, fingerprint->digest,
                       fingerprint->digest_len) == 0;
}
