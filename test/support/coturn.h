// A real coturn (/usr/bin/turnserver) for tests, on loopback: UDP and TCP
// on one free port, TLS on another with a certificate for 127.0.0.1 signed
// by a CA made with BoringSSL (and another CA that signed nothing the
// server has), long-term credentials (kTurnUser, kTurnPassword,
// kTurnRealm). Everything lives in a temporary folder that Stop() (or the
// destructor) removes after stopping the server, also when a test fails.

#ifndef TEST_SUPPORT_COTURN_H_
#define TEST_SUPPORT_COTURN_H_

#include <netinet/in.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace rtc_test {

extern const char kTurnUser[];
extern const char kTurnPassword[];
extern const char kTurnRealm[];

sockaddr_in Loopback(uint16_t port);
// A port free for both UDP and TCP on 127.0.0.1 (as far as one can tell),
// below coturn's relay range.
uint16_t FreePort();

class Coturn {
 public:
  ~Coturn();
  // Starts the server and waits (up to 10 s) until it answers. Returns
  // false with a reason when it cannot (not installed: skip the test).
  bool Start(std::string* why);
  void Stop();
  // Every log file's text.
  std::string Log() const;

  uint16_t port() const { return port_; }
  uint16_t tls_port() const { return tls_port_; }
  std::string ca_file() const { return dir_ + "/ca.pem"; }
  std::string other_ca_file() const { return dir_ + "/other-ca.pem"; }

  static bool AcceptsTcp(uint16_t port);
  bool AnswersBindingOverUdp() const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;
  std::string dir_;
};

}  // namespace rtc_test

#endif  // TEST_SUPPORT_COTURN_H_
