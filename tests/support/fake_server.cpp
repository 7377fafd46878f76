#include "support/fake_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace berth::test {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---- steps ---------------------------------------------------------------------------

step step::read_head(milliseconds timeout) {
  step s;
  s.what = op::read_head;
  s.time = timeout;
  return s;
}

step step::read_request(milliseconds timeout) {
  step s;
  s.what = op::read_request;
  s.time = timeout;
  return s;
}

step step::read_body(std::size_t n, milliseconds timeout) {
  step s;
  s.what = op::read_body;
  s.count = n;
  s.time = timeout;
  return s;
}

step step::read_bytes(std::size_t n, milliseconds timeout) {
  step s;
  s.what = op::read_bytes;
  s.count = n;
  s.time = timeout;
  return s;
}

step step::write(std::string bytes) {
  step s;
  s.what = op::write;
  s.bytes = std::move(bytes);
  return s;
}

step step::write_slowly(std::string bytes, std::size_t piece, milliseconds gap) {
  step s;
  s.what = op::write_slowly;
  s.bytes = std::move(bytes);
  s.count = std::max<std::size_t>(piece, 1);
  s.time = gap;
  return s;
}

step step::sleep(milliseconds d) {
  step s;
  s.what = op::sleep;
  s.time = d;
  return s;
}

step step::shutdown_write() {
  step s;
  s.what = op::shutdown_write;
  return s;
}

step step::close() {
  step s;
  s.what = op::close;
  return s;
}

step step::expect_eof(milliseconds timeout) {
  step s;
  s.what = op::expect_eof;
  s.time = timeout;
  return s;
}

// ---- server --------------------------------------------------------------------------

namespace {

[[noreturn]] void fail_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

bool iequal_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i], b = prefix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

// The Content-Length of a request head (0 when absent).
std::size_t content_length(std::string_view head) {
  std::size_t pos = 0;
  while (pos < head.size()) {
    std::size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) break;
    std::string_view line = head.substr(pos, eol - pos);
    if (iequal_prefix(line, "content-length:"))
      return static_cast<std::size_t>(std::strtoull(std::string(line.substr(15)).c_str(), nullptr, 10));
    pos = eol + 2;
  }
  return 0;
}

}  // namespace

// Per-connection state, owned by the server thread.
struct fake_server::conn {
  std::size_t index = 0;
  int fd = -1;
  script steps;
  std::size_t pc = 0;              // current step
  bool started = false;            // the current step's clock is running
  clock::time_point deadline{};    // current step's timeout / sleep end / next piece
  std::size_t offset = 0;          // bytes of the current write already sent
  std::size_t body_left = 0;       // read_request: body bytes still to read
  bool in_body = false;            // read_request: head done, reading the body
  std::string in;                  // bytes read and not yet consumed by a step
  bool eof = false;                // the client's EOF (or reset) was seen
};

fake_server::fake_server(std::vector<script> scripts)
    : fake_server(std::function<script(std::size_t)>(
          [s = std::move(scripts)](std::size_t i) { return i < s.size() ? s[i] : script{step::close()}; })) {}

fake_server::fake_server(std::function<script(std::size_t)> script_for)
    : script_for_(std::move(script_for)) {
  char tmpl[] = "/tmp/berth-fake-XXXXXX";
  if (!::mkdtemp(tmpl)) fail_errno("mkdtemp");
  dir_ = tmpl;
  ep_.kind = net::endpoint::transport::unix_socket;
  ep_.path = dir_ + "/http.sock";

  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) {
    ::rmdir(dir_.c_str());
    fail_errno("socket");
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, ep_.path.c_str(), ep_.path.size() + 1);
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    int e = errno;
    ::close(listen_fd_);
    ::unlink(ep_.path.c_str());
    ::rmdir(dir_.c_str());
    errno = e;
    fail_errno("bind/listen");
  }
  thread_ = std::thread([this] { run(); });
}

fake_server::~fake_server() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  for (auto& c : conns_) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : records_) r.closed = true;
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  ::unlink(ep_.path.c_str());
  ::rmdir(dir_.c_str());
}

std::size_t fake_server::connections_accepted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return records_.size();
}

std::size_t fake_server::requests_seen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

std::vector<std::string> fake_server::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

connection_record fake_server::connection(std::size_t i) const {
  std::lock_guard<std::mutex> lock(mu_);
  return i < records_.size() ? records_[i] : connection_record{};
}

bool fake_server::eventually(const std::function<bool()>& pred, milliseconds timeout) {
  auto until = clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool fake_server::wait_all_closed(milliseconds timeout) const {
  return eventually(
      [this] {
        std::lock_guard<std::mutex> lock(mu_);
        return std::all_of(records_.begin(), records_.end(),
                           [](const connection_record& r) { return r.closed; });
      },
      timeout);
}

bool fake_server::wait_closed(std::size_t i, milliseconds timeout) const {
  return eventually(
      [this, i] {
        std::lock_guard<std::mutex> lock(mu_);
        return i < records_.size() && records_[i].closed;
      },
      timeout);
}

bool fake_server::wait_steps(std::size_t i, std::size_t n, milliseconds timeout) const {
  return eventually(
      [this, i, n] {
        std::lock_guard<std::mutex> lock(mu_);
        return i < records_.size() && records_[i].steps_done >= n;
      },
      timeout);
}

void fake_server::run() {
  std::vector<pollfd> fds;
  while (!stop_) {
    fds.clear();
    fds.push_back({listen_fd_, POLLIN, 0});
    auto now = clock::now();
    for (auto& c : conns_) {
      if (c.fd < 0) continue;
      short events = POLLIN;
      if (c.pc < c.steps.size()) {
        auto what = c.steps[c.pc].what;
        if (what == step::op::write || what == step::op::write_slowly) events = POLLOUT;
        if (what == step::op::sleep) events = 0;
        if (what == step::op::write_slowly && c.started && c.offset > 0 && now < c.deadline)
          events = 0;  // the gap between two pieces
      }
      if (c.eof && events == POLLIN) events = 0;  // nothing more will come
      // An fd with nothing to wait for is left out: a hung-up socket would report POLLHUP
      // whatever the events, and the loop would spin.
      fds.push_back({events ? c.fd : -1, events, 0});
    }
    // Short timeouts: sleeps, piece gaps and step timeouts are checked on every turn.
    ::poll(fds.data(), fds.size(), 2);
    if (stop_) break;
    accept_new();
    for (auto& c : conns_) advance(c);
  }
}

void fake_server::accept_new() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;  // EAGAIN, or nothing we can act on
    conn c;
    c.fd = fd;
    {
      std::lock_guard<std::mutex> lock(mu_);
      c.index = records_.size();
      records_.emplace_back();
    }
    c.steps = script_for_(c.index);
    conns_.push_back(std::move(c));
  }
}

void fake_server::finish(conn& c, std::string error) {
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  c.pc = c.steps.size();
  std::lock_guard<std::mutex> lock(mu_);
  auto& r = records_[c.index];
  r.closed = true;
  if (r.error.empty()) r.error = std::move(error);
}

// Runs c's script as far as it can go without blocking.
void fake_server::advance(conn& c) {
  // Reads whatever is available into c.in: >0 bytes read, 0 EOF/reset, -1 nothing now.
  auto fill = [&c, this]() -> long {
    if (c.eof) return 0;
    char buf[16 * 1024];
    ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      c.in.append(buf, static_cast<std::size_t>(n));
      return n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return -1;
    c.eof = true;
    std::lock_guard<std::mutex> lock(mu_);
    records_[c.index].saw_eof = true;
    if (n < 0) records_[c.index].reset = true;
    return 0;
  };
  // Moves everything in c.in to the record's `received`.
  auto keep_received = [&c, this] {
    if (c.in.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    records_[c.index].received += c.in;
    c.in.clear();
  };
  auto next = [&c, this] {
    ++c.pc;
    c.started = false;
    c.offset = 0;
    c.in_body = false;
    std::lock_guard<std::mutex> lock(mu_);
    ++records_[c.index].steps_done;
  };
  // Sends bytes [c.offset, end) of s without blocking; false when the peer is gone.
  auto send_some = [&c](std::string_view s, std::size_t end) -> bool {
    while (c.offset < end) {
      ssize_t n = ::send(c.fd, s.data() + c.offset, end - c.offset, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        c.offset += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
      return false;
    }
    return true;
  };

  while (c.fd >= 0) {
    auto now = clock::now();
    if (c.pc >= c.steps.size()) {
      // Script done: linger until the client closes, keeping whatever it sends.
      while (fill() > 0) {
      }
      keep_received();
      if (c.eof) finish(c, {});
      return;
    }
    const step& st = c.steps[c.pc];
    if (!c.started) {
      c.started = true;
      c.deadline = now + st.time;
    }
    switch (st.what) {
      case step::op::read_head:
      case step::op::read_request: {
        if (!c.in_body) {
          auto pos = c.in.find("\r\n\r\n");
          if (pos == std::string::npos) {
            long r = fill();
            if (r > 0) continue;
            if (r == 0) return finish(c, "EOF before a request head");
            if (now >= c.deadline) return finish(c, "timeout waiting for a request head");
            return;
          }
          std::string head = c.in.substr(0, pos + 4);
          c.in.erase(0, pos + 4);
          c.body_left = st.what == step::op::read_request ? content_length(head) : 0;
          {
            std::lock_guard<std::mutex> lock(mu_);
            records_[c.index].requests.push_back(head);
            requests_.push_back(std::move(head));
          }
          c.in_body = true;
        }
        if (c.body_left > 0) {
          if (c.in.empty()) {
            long r = fill();
            if (r > 0) continue;
            if (r == 0) return finish(c, "EOF in a request body");
            if (now >= c.deadline) return finish(c, "timeout reading a request body");
            return;
          }
          std::size_t n = std::min(c.body_left, c.in.size());
          {
            std::lock_guard<std::mutex> lock(mu_);
            records_[c.index].requests.back().append(c.in, 0, n);
            requests_.back().append(c.in, 0, n);
          }
          c.in.erase(0, n);
          c.body_left -= n;
          continue;
        }
        next();
        continue;
      }
      case step::op::read_body:
      case step::op::read_bytes: {
        std::size_t want = st.count - c.offset;
        if (want > 0 && c.in.empty()) {
          long r = fill();
          if (r > 0) continue;
          if (r == 0) return finish(c, "EOF before the expected bytes");
          if (now >= c.deadline) return finish(c, "timeout waiting for bytes");
          return;
        }
        std::size_t n = std::min(want, c.in.size());
        {
          std::lock_guard<std::mutex> lock(mu_);
          auto& r = records_[c.index];
          if (st.what == step::op::read_bytes) {
            r.received.append(c.in, 0, n);
          } else {
            if (r.requests.empty()) r.requests.emplace_back();
            r.requests.back().append(c.in, 0, n);
            if (!requests_.empty()) requests_.back().append(c.in, 0, n);
          }
        }
        c.in.erase(0, n);
        c.offset += n;
        if (c.offset < st.count) continue;
        next();
        continue;
      }
      case step::op::write:
        if (!send_some(st.bytes, st.bytes.size()))
          return finish(c, std::string("write failed: ") + std::strerror(errno));
        if (c.offset < st.bytes.size()) return;  // socket full: wait for POLLOUT
        next();
        continue;
      case step::op::write_slowly: {
        if (c.offset >= st.bytes.size()) {
          next();
          continue;
        }
        if (now < c.deadline && c.offset > 0) return;  // the gap between two pieces
        std::size_t piece_end = std::min(st.bytes.size(), (c.offset / st.count + 1) * st.count);
        if (!send_some(st.bytes, piece_end))
          return finish(c, std::string("write failed: ") + std::strerror(errno));
        if (c.offset < piece_end) return;
        c.deadline = now + st.time;
        if (c.offset < st.bytes.size()) return;
        next();
        continue;
      }
      case step::op::sleep:
        if (now < c.deadline) return;
        next();
        continue;
      case step::op::shutdown_write:
        ::shutdown(c.fd, SHUT_WR);
        next();
        continue;
      case step::op::close:
        next();
        keep_received();
        return finish(c, {});
      case step::op::expect_eof: {
        long r;
        while ((r = fill()) > 0) {
        }
        keep_received();
        if (c.eof || now >= c.deadline) {
          next();
          continue;
        }
        return;
      }
    }
  }
}

}  // namespace berth::test
