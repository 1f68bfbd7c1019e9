// Certificates for TLS tests, made with BoringSSL: a CA, and a server
// certificate it signs for some names (IP literals become IP
// subjectAltNames, anything else DNS ones). ECDSA P-256, valid from an
// hour ago for a day.
#ifndef TEST_TLS_TLS_TEST_CERTS_H_
#define TEST_TLS_TLS_TEST_CERTS_H_

#include <string>
#include <vector>

namespace rtc_test {

struct TlsCerts {
  std::string ca_pem;    // the CA's certificate
  std::string cert_pem;  // the server's certificate
  std::string key_pem;   // the server's private key (PKCS#8)
};

// False when BoringSSL fails (out of memory).
bool MakeTlsCerts(const std::vector<std::string>& names, TlsCerts* out);

// Writes `text` to `path`; false on error.
bool WriteFile(const std::string& path, const std::string& text);

}  // namespace rtc_test

#endif  // TEST_TLS_TLS_TEST_CERTS_H_
