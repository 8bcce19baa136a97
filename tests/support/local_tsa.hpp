// A local RFC 3161 time-stamp authority for tests: `openssl ts -reply` behind a tiny HTTP
// server on 127.0.0.1, with a TSA certificate issued by a test root.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/cose_test_helpers.hpp"
#include "support/test_support.hpp"

namespace vt_test {

namespace fs = std::filesystem;
namespace th = vt_test::cose;

inline void write_text_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

inline bool have_openssl_cli() { return std::system("openssl version >/dev/null 2>&1") == 0; }

// A tiny HTTP/1.1 server on 127.0.0.1: each request's body goes to `handler`, whose result is
// sent back (nullopt: `failure_status`). With `only_path`, other paths get `failure_status` too.
class TinyPostServer {
 public:
  using Handler = std::function<std::optional<std::vector<uint8_t>>(const std::vector<uint8_t>&)>;
  TinyPostServer(std::string content_type, Handler handler, std::string only_path = "", int failure_status = 500)
      : content_type_(std::move(content_type)),
        handler_(std::move(handler)),
        only_path_(std::move(only_path)),
        failure_status_(failure_status) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyPostServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/tsa"; }
  int port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      size_t header_end = std::string::npos, body_len = 0;
      while (true) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
        if (header_end == std::string::npos && (header_end = req.find("\r\n\r\n")) != std::string::npos) {
          std::string lower_head = req.substr(0, header_end);
          for (auto& ch : lower_head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          auto cl = lower_head.find("content-length:");
          if (cl != std::string::npos) body_len = std::stoul(lower_head.substr(cl + 15));
        }
        if (header_end != std::string::npos && req.size() >= header_end + 4 + body_len) break;
      }
      ++requests_;
      std::vector<uint8_t> body;
      if (header_end != std::string::npos) body.assign(req.begin() + static_cast<long>(header_end + 4), req.end());
      const std::string line = req.substr(0, req.find("\r\n"));
      const bool path_ok = only_path_.empty() || line.find(" " + only_path_ + " ") != std::string::npos;
      auto reply = path_ok ? handler_(body) : std::nullopt;
      std::string head = reply ? "HTTP/1.1 200 OK\r\nContent-Type: " + content_type_ +
                                     "\r\nContent-Length: " + std::to_string(reply->size()) +
                                     "\r\nConnection: close\r\n\r\n"
                               : "HTTP/1.1 " + std::to_string(failure_status_) +
                                     " Failed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!::write(c, head.data(), head.size());
      if (reply) (void)!::write(c, reply->data(), reply->size());
      ::close(c);
    }
  }
  std::string content_type_;
  Handler handler_;
  std::string only_path_;
  int failure_status_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// A time-stamp authority: `openssl ts -reply` with a TSA certificate (EKU timeStamping,
// critical) issued by the test root.
struct LocalTsa {
  vt_test::TempDir dir;
  th::Key tsa_key = th::ec_key();
  th::Cert tsa_cert;
  std::unique_ptr<TinyPostServer> server;

  explicit LocalTsa(const th::TestCa& ca) {
    th::CertSpec spec{"Veritrace Test TSA", "Veritrace Test", false, "critical,digitalSignature",
                      "critical,timeStamping", -7200, 3600L * 24 * 30, 200};
    tsa_cert = th::make_cert(spec, tsa_key.get(), ca.root.get(), ca.root_key.get());
    const fs::path d = dir.path();
    write_text_file(d / "tsa.pem", th::pem_of(tsa_cert.get()));
    write_text_file(d / "tsa.key", th::key_pem_of(tsa_key.get()));
    write_text_file(d / "tsaserial", "01\n");
    write_text_file(d / "ts.cnf", "[ tsa ]\ndefault_tsa = tsa_config1\n[ tsa_config1 ]\n"
                             "serial = " + (d / "tsaserial").string() + "\n"
                             "crypto_device = builtin\n"
                             "signer_digest = sha256\n"
                             "default_policy = 1.3.6.1.4.1.4146.2.3\n"
                             "digests = sha256, sha384, sha512\n"
                             "accuracy = secs:1\n"
                             "ordering = yes\n"
                             "tsa_name = no\n"
                             "ess_cert_id_chain = no\n"
                             "ess_cert_id_alg = sha256\n");
    server = std::make_unique<TinyPostServer>("application/timestamp-reply", [d](const std::vector<uint8_t>& q) {
      static std::atomic<int> counter{0};
      const int n = counter++;
      const fs::path query = d / ("q" + std::to_string(n) + ".tsq");
      const fs::path reply = d / ("r" + std::to_string(n) + ".tsr");
      vt_test::write_file(query, q);
      const std::string cmd = "openssl ts -reply -config " + vt_test::shell_quote((d / "ts.cnf").string()) +
                              " -queryfile " + vt_test::shell_quote(query.string()) + " -signer " +
                              vt_test::shell_quote((d / "tsa.pem").string()) + " -inkey " +
                              vt_test::shell_quote((d / "tsa.key").string()) + " -out " +
                              vt_test::shell_quote(reply.string()) + " 2>/dev/null";
      if (std::system(cmd.c_str()) != 0) return std::optional<std::vector<uint8_t>>();
      return std::optional<std::vector<uint8_t>>(vt_test::read_file(reply));
    });
  }
};


}  // namespace vt_test
