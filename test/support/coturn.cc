#include "test/support/coturn.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "p2p/stun.h"
#include "rtc_base/clock.h"
#include "test/tls/tls_test_certs.h"

namespace rtc_test {

namespace {
constexpr int64_t kSec = RTC_US_PER_SEC;
}  // namespace

const char kTurnUser[] = "rtcbox";
const char kTurnPassword[] = "s3cret-pass";
const char kTurnRealm[] = "rtcbox.test";

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(port);
  return sin;
}

// A port free for both UDP and TCP on 127.0.0.1 (as far as one can tell).
uint16_t FreePort() {
  for (int attempt = 0; attempt < 50; attempt++) {
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sin = Loopback(0);
    socklen_t len = sizeof(sin);
    bind(u, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
    getsockname(u, reinterpret_cast<sockaddr*>(&sin), &len);
    int t = socket(AF_INET, SOCK_STREAM, 0);
    int ok = bind(t, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
    close(t);
    close(u);
    // Stay below coturn's relay range (49152-65535).
    if (ok == 0 && ntohs(sin.sin_port) < 49152)
      return ntohs(sin.sin_port);
  }
  return 0;
}

Coturn::~Coturn() {
  Stop();
}

bool Coturn::Start(std::string* why) {
  const char* binary = "/usr/bin/turnserver";
  if (access(binary, X_OK) != 0) {
    *why = "coturn is not installed (/usr/bin/turnserver)";
    return false;
  }
  char tmpl[] = "/tmp/rtcbox-turn-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    *why = "mkdtemp failed";
    return false;
  }
  dir_ = tmpl;
  port_ = FreePort();
  do {
    tls_port_ = FreePort();
  } while (tls_port_ == port_);
  if (port_ == 0 || tls_port_ == 0) {
    *why = "no free port";
    return false;
  }
  // TLS: a CA and a certificate for 127.0.0.1 it signs; another CA that
  // signed nothing the server has.
  rtc_test::TlsCerts certs, other;
  if (!rtc_test::MakeTlsCerts({"127.0.0.1"}, &certs) ||
      !rtc_test::MakeTlsCerts({"127.0.0.1"}, &other) ||
      !rtc_test::WriteFile(dir_ + "/ca.pem", certs.ca_pem) ||
      !rtc_test::WriteFile(dir_ + "/other-ca.pem", other.ca_pem) ||
      !rtc_test::WriteFile(dir_ + "/cert.pem", certs.cert_pem) ||
      !rtc_test::WriteFile(dir_ + "/key.pem", certs.key_pem)) {
    *why = "cannot make TLS certificates";
    return false;
  }
  std::ofstream conf(dir_ + "/turnserver.conf");
  conf << "listening-ip=127.0.0.1\n"
       << "relay-ip=127.0.0.1\n"
       << "listening-port=" << port_ << "\n"
       << "lt-cred-mech\n"
       << "user=" << kTurnUser << ":" << kTurnPassword << "\n"
       << "realm=" << kTurnRealm << "\n"
       << "userdb=" << dir_ << "/turndb\n"
       << "tls-listening-port=" << tls_port_ << "\n"
       << "cert=" << dir_ << "/cert.pem\n"
       << "pkey=" << dir_ << "/key.pem\n"
       << "no-dtls\nno-cli\n"
       << "allow-loopback-peers\n"
       << "no-rfc5780\nno-stun-backward-compatibility\n"
       << "fingerprint\n"
       << "log-file=" << dir_ << "/turn.log\nsimple-log\nverbose\n"
       << "pidfile=" << dir_ << "/turnserver.pid\n";
  conf.close();
  pid_ = fork();
  if (pid_ == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(binary, binary, "-c", (dir_ + "/turnserver.conf").c_str(), nullptr);
    _exit(127);
  }
  if (pid_ < 0) {
    *why = "fork failed";
    return false;
  }
  // Ready when it answers a STUN Binding request over UDP (it accepts
  // TCP connections earlier: a first UDP Allocate sent as soon as TCP
  // connects is often lost and retransmitted 500 ms later) and accepts
  // a TCP connection.
  int64_t deadline = rtc_time_monotonic_us() + 10 * kSec;
  while (rtc_time_monotonic_us() < deadline) {
    if (AnswersBindingOverUdp() && AcceptsTcp(port_) && AcceptsTcp(tls_port_))
      return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *why = "turnserver exited: " + Log();
      return false;
    }
    usleep(20000);  // waiting for a process to start: real time
  }
  *why = "turnserver did not listen within 10 s";
  return false;
}

bool Coturn::AcceptsTcp(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin = Loopback(port);
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
  close(fd);
  return rc == 0;
}

bool Coturn::AnswersBindingOverUdp() const {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sin = Loopback(port_);
  uint8_t req[RTC_STUN_HEADER_SIZE];
  uint8_t id[RTC_STUN_TRANSACTION_ID_SIZE];
  rtc_stun_new_transaction_id(id);
  rtc_stun_builder b;
  rtc_stun_builder_init(&b, req, sizeof(req), RTC_STUN_BINDING_REQUEST, id);
  size_t len = 0;
  bool ok = rtc_stun_builder_finish(&b, &len) == RTC_OK &&
            sendto(fd, req, len, 0, reinterpret_cast<sockaddr*>(&sin),
                   sizeof(sin)) == static_cast<ssize_t>(len);
  pollfd p = {fd, POLLIN, 0};
  ok = ok && poll(&p, 1, 100) == 1;
  uint8_t resp[512];
  ok = ok && recv(fd, resp, sizeof(resp), 0) > 0;
  close(fd);
  return ok;
}

void Coturn::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200 && waitpid(pid_, &status, WNOHANG) == 0; i++)
      usleep(10000);
    if (waitpid(pid_, &status, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    // coturn names its log after the date: remove whatever is there.
    DIR* d = opendir(dir_.c_str());
    if (d != nullptr) {
      while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..")
          unlink((dir_ + "/" + name).c_str());
      }
      closedir(d);
    }
    rmdir(dir_.c_str());
    dir_.clear();
  }
}

std::string Coturn::Log() const {
  std::string text;
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr)
    return text;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.find("turn") == 0 && name.find(".log") != std::string::npos) {
      std::ifstream f(dir_ + "/" + name);
      std::stringstream ss;
      ss << f.rdbuf();
      text += ss.str();
    }
  }
  closedir(d);
  return text;
}

}  // namespace rtc_test
