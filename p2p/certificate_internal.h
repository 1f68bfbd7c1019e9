/*
 * BoringSSL objects of a certificate, for the DTLS transport only.
 */
#ifndef P2P_CERTIFICATE_INTERNAL_H_
#define P2P_CERTIFICATE_INTERNAL_H_

#include <openssl/base.h>

#include "p2p/certificate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* (transfer none) */
X509* rtc_certificate_x509(const rtc_certificate* certificate);
EVP_PKEY* rtc_certificate_private_key(const rtc_certificate* certificate);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // P2P_CERTIFICATE_INTERNAL_H_
