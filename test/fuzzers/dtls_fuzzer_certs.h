/*
 * Fixed certificates for dtls_fuzzer.c: the seeds (corpus/dtls) were
 * captured from a handshake between transports with these certificates, so
 * the fuzzed transport knows the peer's fingerprint and the certificate
 * path of a captured flight gets past the fingerprint check (RFC 8827 §6.5)
 * to what comes after. ECDSA P-256, self-signed, valid for 100 years; made
 * with
 *   openssl ecparam -name prime256v1 -genkey -noout -out K.key
 *   openssl req -new -x509 -key K.key -sha256 -days 36500 \
 *     -subj /CN=rtcbox-fuzz-client -out K.crt
 *   openssl pkcs8 -topk8 -nocrypt -in K.key
 * TEST KEYS ONLY: they are public.
 */
#ifndef TEST_FUZZERS_DTLS_FUZZER_CERTS_H_
#define TEST_FUZZERS_DTLS_FUZZER_CERTS_H_

static const char kClientCertPem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBkDCCATegAwIBAgIUFFi1OzFrm5N4s3EfBoYDYpfsqykwCgYIKoZIzj0EAwIw\n"
    "HTEbMBkGA1UEAwwScnRjYm94LWZ1enotY2xpZW50MCAXDTI2MTEyNzIzMzY0NloY\n"
    "DzIxMjYxMTAzMjMzNjQ2WjAdMRswGQYDVQQDDBJydGNib3gtZnV6ei1jbGllbnQw\n"
    "WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATRwwFDFTgPb8bAmkq+fhouWRmGahGy\n"
    "H42enT/PFTZGjOza60HA9rwGKOijjbnJL0paBnjoImv72einZT/wpv9Fo1MwUTAd\n"
    "BgNVHQ4EFgQUFDM8Avggwd9H2AuVic51qWcd8i0wHwYDVR0jBBgwFoAUFDM8Avgg\n"
    "wd9H2AuVic51qWcd8i0wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBE\n"
    "AiBVjsJDeRv4msLVFQ7TZNx0wU4y+FABGMolypuoUE/LLgIgHz8ARg/2VC+6kGV4\n"
    "o6kfaTm+Ny8vCynOL0xUuiYQNjY=\n"
    "-----END CERTIFICATE-----\n";

static const char kClientKeyPem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgik0Bg2t2kDTs7fqo\n"
    "h/TRtLB/682q/hGSleNHn1w733ahRANCAATRwwFDFTgPb8bAmkq+fhouWRmGahGy\n"
    "H42enT/PFTZGjOza60HA9rwGKOijjbnJL0paBnjoImv72einZT/wpv9F\n"
    "-----END PRIVATE KEY-----\n";

static const char kServerCertPem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBkTCCATegAwIBAgIUEBr5IrJkDiRrx9wtrRwfzi8TF3QwCgYIKoZIzj0EAwIw\n"
    "HTEbMBkGA1UEAwwScnRjYm94LWZ1enotc2VydmVyMCAXDTI2MTEyNzIzMzY0NloY\n"
    "DzIxMjYxMTAzMjMzNjQ2WjAdMRswGQYDVQQDDBJydGNib3gtZnV6ei1zZXJ2ZXIw\n"
    "WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQqvVvthOkUssdRh07Lpe5f2gVLR7F1\n"
    "zdBFLs0d86EOmdxft8e7q3lsYQ9byVBFQrc+2JFBHNJAWGEln2qkb4Xno1MwUTAd\n"
    "BgNVHQ4EFgQUvPIWykVo3Q++9UZJ/hcXyGOfF+gwHwYDVR0jBBgwFoAUvPIWykVo\n"
    "3Q++9UZJ/hcXyGOfF+gwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF\n"
    "AiBRZRJOKPapP72FOse31CpSen43C6CEWvfSOjq19otmnAIhAM9CE0mVhBcWf+SJ\n"
    "jOgQkMNDxxw1tJf/cIyJmn8rS274\n"
    "-----END CERTIFICATE-----\n";

static const char kServerKeyPem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgTktnCu7aodVmRQv9\n"
    "ljVTKqVP+vOEZNPenTG+SpnXOUChRANCAAQqvVvthOkUssdRh07Lpe5f2gVLR7F1\n"
    "zdBFLs0d86EOmdxft8e7q3lsYQ9byVBFQrc+2JFBHNJAWGEln2qkb4Xn\n"
    "-----END PRIVATE KEY-----\n";

#endif  // TEST_FUZZERS_DTLS_FUZZER_CERTS_H_
