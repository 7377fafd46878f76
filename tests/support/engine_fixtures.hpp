// Helpers for the engine integration tests: a client on the test daemon, containers that
// are labelled with the test that made them and always removed, SHA-256 through OpenSSL,
// running a command through exec, and reading a process's resident memory.
#pragma once

#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

#include <asio/error.hpp>

#include "berth/engine/client.hpp"
#include "berth/engine/op/containers.hpp"
#include "berth/engine/op/exec.hpp"
#include "support/daemons.hpp"

namespace berth::test {

/// The label every container a test creates carries: berth.test=<test name>.
inline constexpr const char* test_label = "berth.test";

/// A name no other run of the suite uses at the same time.
inline std::string unique_name(std::string_view stem) {
  static int counter = 0;
  return "berth-test-" + std::string(stem) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(++counter);
}

/// A client on the test daemon with a private io_context (for the sync forms).
inline engine::client docker() { return engine::client(docker_endpoint()); }

/// A create operation for the test image: labelled with the test's name, no network.
inline engine::op::container_create container_spec(std::string_view test_name,
                                                   std::vector<std::string> cmd) {
  engine::op::container_create op;
  op.body.image = test_image();
  op.body.cmd = std::move(cmd);
  op.body.labels = std::map<std::string, std::string>{{test_label, std::string(test_name)}};
  op.body.host_config = engine::host_config{};
  op.body.host_config->network_mode = "none";
  return op;
}

/// Owns a container: force-deletes it (with its anonymous volumes) when it goes away,
/// through a client of its own so that it works whatever state the test's client is in.
class scoped_container {
 public:
  scoped_container() = default;
  explicit scoped_container(std::string id) : id_(std::move(id)) {}
  scoped_container(scoped_container&& o) noexcept : id_(std::exchange(o.id_, {})) {}
  scoped_container& operator=(scoped_container&& o) noexcept {
    if (this != &o) {
      remove();
      id_ = std::exchange(o.id_, {});
    }
    return *this;
  }
  ~scoped_container() { remove(); }

  const std::string& id() const noexcept { return id_; }
  /// Forget the container (the test removed it itself).
  void release() noexcept { id_.clear(); }

  void remove() noexcept {
    if (id_.empty()) return;
    try {
      auto c = docker();
      std::error_code ec;
      c.run(engine::op::container_delete{.id = id_, .volumes = true, .force = true}, ec);
    } catch (...) {
    }
    id_.clear();
  }

 private:
  std::string id_;
};

/// Creates a container from op (which must carry the test label) and owns it.
inline scoped_container create(engine::client& c, engine::op::container_create op) {
  auto r = c.run(std::move(op));
  return scoped_container(r.id);
}

/// SHA-256 through OpenSSL's EVP interface.
class sha256 {
 public:
  sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  void update(const void* data, std::size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }
  void update(std::string_view s) { update(s.data(), s.size()); }
  /// The digest as 64 lowercase hex digits; the object is spent afterwards.
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
      out += digits[md[i] >> 4];
      out += digits[md[i] & 15];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

/// What a process run through exec printed, and how it ended.
struct exec_output {
  std::string out;
  std::string err;
  std::int64_t exit_code = -1;
};

/// Reads s to its end, stdout and stderr apart (exit_code stays -1).
inline exec_output drain(engine::output_stream& s, std::size_t buf_size = 64 * 1024) {
  exec_output r;
  std::unique_ptr<char[]> buf(new char[buf_size]);
  for (;;) {
    std::error_code ec;
    auto chunk = s.read(asio::buffer(buf.get(), buf_size), ec);
    if (ec == asio::error::eof) break;
    if (ec) throw berth::error(ec, s.diagnostics());
    (chunk.stream == engine::stream_id::stderr_stream ? r.err : r.out).append(buf.get(), chunk.size);
  }
  return r;
}

/// Runs cmd in a running container through exec (no TTY, no stdin) and collects its
/// output and exit code.
inline exec_output exec(engine::client& c, const std::string& container,
                        std::vector<std::string> cmd, std::optional<std::string> user = {}) {
  engine::op::container_exec create{.id = container};
  create.body.cmd = std::move(cmd);
  create.body.attach_stdout = true;
  create.body.attach_stderr = true;
  create.body.user = std::move(user);
  auto id = c.run(create).id;
  auto s = c.run(engine::op::exec_start{.id = id});
  exec_output r = drain(s);
  r.exit_code = c.run(engine::op::exec_inspect{.id = id}).exit_code.value_or(-1);
  return r;
}

/// The process's resident set size in KiB (VmRSS of /proc/self/status).
inline long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

/// Polls pred every 50 ms until it holds or timeout passes; returns its last value.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace berth::test
