/*
 * A test addon linked to BoringSSL (Debian's libssl.so.0/libcrypto.so.0),
 * for test/js/loader.test.js: proves that api/js/lib/index.js loads such an
 * addon so that BoringSSL binds to itself and not to the OpenSSL that the
 * node executable exports (ARCHITECTURE.md §4).
 *
 * Exports:
 *   sha256Hex(string)      SHA256() of the UTF-8 bytes, in hex
 *   dtlsContextWorks()     SSL_CTX_new(DTLS_method()), a DTLS 1.2
 *                          minimum, an SRTP profile and SSL_new() work
 *   sha256Library()        the file the addon's SHA256 symbol was bound to
 *                          (dladdr): BoringSSL's libcrypto.so.0 when the
 *                          loader did its job, node itself otherwise
 *
 * Measured once with a plain require() on Node 20 (see loader.test.js):
 * the process dies with SIGSEGV in dtlsContextWorks().
 */
#include <dlfcn.h>
#include <node_api.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define NAPI_OR_THROW(env, call)            \
  do {                                      \
    if ((call) != napi_ok) {                \
      napi_throw_error((env), NULL, #call); \
      return NULL;                          \
    }                                       \
  } while (0)

static napi_value Sha256Hex(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  NAPI_OR_THROW(env, napi_get_cb_info(env, info, &argc, &arg, NULL, NULL));
  char text[1024];
  size_t length = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, arg, text, sizeof(text),
                                             &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "sha256Hex(string)");
    return NULL;
  }
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256((const uint8_t*)text, length, digest);
  char hex[2 * SHA256_DIGEST_LENGTH + 1];
  for (size_t i = 0; i < sizeof(digest); i++)
    snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  napi_value result;
  NAPI_OR_THROW(env,
                napi_create_string_utf8(env, hex, 2 * sizeof(digest), &result));
  return result;
}

static napi_value DtlsContextWorks(napi_env env, napi_callback_info info) {
  bool ok = false;
  SSL_CTX* ctx = SSL_CTX_new(DTLS_method());
  if (ctx) {
    ok = SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1 &&
         SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AES128_CM_SHA1_80") == 0;
    SSL* ssl = ok ? SSL_new(ctx) : NULL;
    ok = ok && ssl != NULL;
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  napi_value result;
  NAPI_OR_THROW(env, napi_get_boolean(env, ok, &result));
  return result;
}

static napi_value Sha256Library(napi_env env, napi_callback_info info) {
  Dl_info where;
  const char* file = "unknown";
  if (dladdr((void*)&SHA256, &where) && where.dli_fname)
    file = where.dli_fname;
  napi_value result;
  NAPI_OR_THROW(env,
                napi_create_string_utf8(env, file, NAPI_AUTO_LENGTH, &result));
  return result;
}

NAPI_MODULE_EXPORT int32_t node_api_module_get_api_version_v1(void);

NAPI_MODULE_INIT() {
  static const struct {
    const char* name;
    napi_callback fn;
  } kFunctions[] = {
      {"sha256Hex", Sha256Hex},
      {"dtlsContextWorks", DtlsContextWorks},
      {"sha256Library", Sha256Library},
  };
  for (size_t i = 0; i < sizeof(kFunctions) / sizeof(kFunctions[0]); i++) {
    napi_value fn;
    NAPI_OR_THROW(
        env, napi_create_function(env, kFunctions[i].name, NAPI_AUTO_LENGTH,
                                  kFunctions[i].fn, NULL, &fn));
    NAPI_OR_THROW(
        env, napi_set_named_property(env, exports, kFunctions[i].name, fn));
  }
  return exports;
}
