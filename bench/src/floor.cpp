// bench-floor: the floor of bench/run. A minimal blocking HTTP/1.1 client written straight
// on the unix socket: keep-alive, Content-Length or chunked bodies, nothing else (no
// parser limits, no deadlines, no retries, no JSON library). Same workloads and arguments
// as berth-bench.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string socket_path() {
  const char* h = std::getenv("DOCKER_HOST");
  std::string s = h && *h ? h : "unix:///var/run/docker.sock";
  if (s.rfind("unix://", 0) != 0) throw std::runtime_error("bench-floor speaks unix:// only");
  return s.substr(7);
}

class conn {
 public:
  conn() {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    auto p = socket_path();
    std::memcpy(a.sun_path, p.c_str(), p.size() + 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
  }
  ~conn() { ::close(fd_); }
  conn(const conn&) = delete;

  /// close: ask the daemon to close the connection after the answer (streams read to EOF).
  void send(const std::string& method, const std::string& target, const std::string& body = "",
            bool close = false) {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: docker\r\n";
    if (close) req += "Connection: close\r\n";
    if (!body.empty() || method == "POST")
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    for (std::size_t at = 0; at < req.size();) {
      ssize_t n = ::write(fd_, req.data() + at, req.size() - at);
      if (n <= 0) throw std::runtime_error("write");
      at += static_cast<std::size_t>(n);
    }
  }

  /// Reads one response; returns its status, the body in *body (when not null). With
  /// to_eof the body runs to the end of the connection (streams), only counted.
  int receive(std::string* body, bool to_eof = false, std::uint64_t* counted = nullptr) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) fill();
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    int status = std::atoi(head.c_str() + 9);
    auto header = [&](const char* name) -> std::string {
      auto p = strcasestr_(head, name);
      if (p == std::string::npos) return "";
      auto e = head.find("\r\n", p);
      return head.substr(p + std::strlen(name), e - p - std::strlen(name));
    };
    if (to_eof) {
      std::uint64_t n = buf_.size();
      buf_.clear();
      char tmp[65536];
      for (;;) {
        ssize_t r = ::read(fd_, tmp, sizeof tmp);
        if (r <= 0) break;
        n += static_cast<std::uint64_t>(r);
      }
      if (counted) *counted = n;
      return status;
    }
    std::string out;
    if (auto cl = header("content-length: "); !cl.empty()) {
      std::size_t len = std::stoul(cl);
      while (buf_.size() < len) fill();
      out = buf_.substr(0, len);
      buf_.erase(0, len);
    } else if (header("transfer-encoding: ") == "chunked") {
      for (;;) {
        std::size_t e;
        while ((e = buf_.find("\r\n")) == std::string::npos) fill();
        std::size_t len = std::stoul(buf_.substr(0, e), nullptr, 16);
        buf_.erase(0, e + 2);
        while (buf_.size() < len + 2) fill();
        out += buf_.substr(0, len);
        buf_.erase(0, len + 2);
        if (len == 0) break;
      }
    }
    if (body) *body = std::move(out);
    return status;
  }

  int request(const std::string& method, const std::string& target, const std::string& body = "",
              std::string* out = nullptr) {
    send(method, target, body);
    return receive(out);
  }

 private:
  static std::size_t strcasestr_(const std::string& h, const char* name) {
    std::string lower = h;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower.find(name);
  }
  void fill() {
    char tmp[65536];
    ssize_t n = ::read(fd_, tmp, sizeof tmp);
    if (n <= 0) throw std::runtime_error("connection closed");
    buf_.append(tmp, static_cast<std::size_t>(n));
  }
  int fd_;
  std::string buf_;
};

std::string json_id(const std::string& body) {
  auto p = body.find("\"Id\":\"");
  if (p == std::string::npos) throw std::runtime_error("no Id in " + body);
  p += 6;
  return body.substr(p, body.find('"', p) - p);
}

void lifecycle_once(conn& c, const std::string& image) {
  std::string body;
  if (c.request("POST", "/v1.41/containers/create",
                R"({"Image":")" + image +
                    R"(","Cmd":["true"],"Labels":{"berth.bench":"1"},"HostConfig":{"NetworkMode":"none"}})", &body) != 201)
    throw std::runtime_error("create: " + body);
  auto id = json_id(body);
  if (c.request("POST", "/v1.41/containers/" + id + "/start") != 204) throw std::runtime_error("start");
  if (c.request("POST", "/v1.41/containers/" + id + "/wait") != 200) throw std::runtime_error("wait");
  if (c.request("DELETE", "/v1.41/containers/" + id + "?force=1") != 204) throw std::runtime_error("delete");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench-floor WORKLOAD N [ARG]\n");
    return 2;
  }
  std::string w = argv[1];
  std::uint64_t n = std::strtoull(argv[2], nullptr, 10);
  std::string arg = argc > 3 ? argv[3] : "";
  try {
    if (w == "ping" || w == "list") {
      conn c;
      std::string body;
      for (std::uint64_t i = 0; i < n; ++i)
        if (c.request("GET", w == "ping" ? "/_ping" : "/v1.41/containers/json?all=1", "", &body) != 200)
          throw std::runtime_error("status");
    } else if (w == "concurrent") {
      std::atomic<std::uint64_t> next{0};
      std::atomic<bool> bad{false};
      std::vector<std::thread> ts;
      for (int t = 0; t < 64; ++t)
        ts.emplace_back([&] {
          try {
            conn c;
            while (next.fetch_add(1) < n)
              if (c.request("GET", "/_ping") != 200) bad = true;
          } catch (...) {
            bad = true;
          }
        });
      for (auto& t : ts) t.join();
      if (bad) return 1;
    } else if (w == "lifecycle") {
      conn c;
      for (std::uint64_t i = 0; i < n; ++i) lifecycle_once(c, arg);
    } else if (w == "lifecycle8") {
      std::atomic<std::uint64_t> next{0};
      std::atomic<bool> bad{false};
      std::vector<std::thread> ts;
      for (int t = 0; t < 8; ++t)
        ts.emplace_back([&] {
          try {
            conn c;
            while (next.fetch_add(1) < n) lifecycle_once(c, arg);
          } catch (...) {
            bad = true;
          }
        });
      for (auto& t : ts) t.join();
      if (bad) return 1;
    } else if (w == "exec") {
      conn c;
      for (std::uint64_t i = 0; i < n; ++i) {
        std::string body;
        if (c.request("POST", "/v1.41/containers/" + arg + "/exec",
                      R"({"Cmd":["true"],"AttachStdout":true,"AttachStderr":true})", &body) != 201)
          throw std::runtime_error("exec create: " + body);
        auto id = json_id(body);
        conn s;  // the output runs to the end of its connection
        s.send("POST", "/v1.41/exec/" + id + "/start", R"({"Detach":false,"Tty":false})", true);
        s.receive(nullptr, true);
        for (int k = 0; k < 1000; ++k) {
          c.request("GET", "/v1.41/exec/" + id + "/json", "", &body);
          if (body.find("\"Running\":false") != std::string::npos) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
    } else if (w == "attach" || w == "execout" || w == "logs") {
      conn c;
      conn s;
      std::string body, id = arg;
      std::string cmd = R"(["sh","-c","head -c )" + std::to_string(n) + R"( /dev/zero"])";
      if (w == "attach") {
        if (c.request("POST", "/v1.41/containers/create",
                      R"({"Image":")" + arg + R"(","Cmd":)" + cmd +
                          R"(,"AttachStdout":true,"AttachStderr":true,"Labels":{"berth.bench":"1"},)"
                          R"("HostConfig":{"NetworkMode":"none"}})",
                      &body) != 201)
          throw std::runtime_error("create: " + body);
        id = json_id(body);
        s.send("POST", "/v1.41/containers/" + id + "/attach?stream=1&stdout=1&stderr=1", "", true);
        c.request("POST", "/v1.41/containers/" + id + "/start");
      } else if (w == "execout") {
        if (c.request("POST", "/v1.41/containers/" + arg + "/exec",
                      R"({"Cmd":)" + cmd + R"(,"AttachStdout":true,"AttachStderr":true})", &body) != 201)
          throw std::runtime_error("exec create: " + body);
        s.send("POST", "/v1.41/exec/" + json_id(body) + "/start", R"({"Detach":false,"Tty":false})", true);
      } else {
        s.send("GET", "/v1.41/containers/" + arg + "/logs?stdout=1&stderr=1", "", true);
      }
      std::uint64_t got = 0;
      // attach answers before start; the body then runs to the end of the connection.
      s.receive(nullptr, true, &got);
      std::printf("%llu\n", static_cast<unsigned long long>(got));
      if (w == "attach") {
        c.request("POST", "/v1.41/containers/" + id + "/wait");
        c.request("DELETE", "/v1.41/containers/" + id + "?force=1");
      }
    } else {
      std::fprintf(stderr, "bench-floor: unknown workload %s\n", w.c_str());
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench-floor: %s\n", e.what());
    return 1;
  }
  return 0;
}
