// Private: a small OCI distribution client on libcurl (blocking; the pull runs it on its
// own thread). Plain HTTP for loopback registries, HTTPS with verification otherwise;
// Bearer token (anonymous or basic) and Basic challenges answered once per scope.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "berth/containerd/pull.hpp"
#include "berth/core/error.hpp"
#include "berth/core/result.hpp"

namespace berth::containerd::detail {

/// True for 127.0.0.0/8, ::1 and localhost (with or without a port).
bool is_loopback_registry(std::string_view host);

class registry_session {
 public:
  registry_session(std::string registry, std::string repository, std::string username, std::string password,
                   const std::atomic<bool>* cancel);
  ~registry_session();
  registry_session(const registry_session&) = delete;
  registry_session& operator=(const registry_session&) = delete;

  struct answer {
    long status = 0;
    std::string content_type;
    std::string docker_digest;
    std::string body;
  };

  /// GETs a manifest (or index) by tag or digest, with the Accept list of every type
  /// berth understands. At most max bytes.
  result<answer> get_manifest(const std::string& reference, berth::diagnostics* diag);
  /// GETs a blob, handing each piece of the body to sink (which returns false to stop).
  result<void> get_blob(const std::string& digest, const std::function<bool(std::string_view)>& sink,
                        berth::diagnostics* diag);

 private:
  result<answer> get(const std::string& path, const std::string& accept, std::size_t max,
                     const std::function<bool(std::string_view)>* sink, berth::diagnostics* diag);
  result<void> authenticate(const std::string& challenge, berth::diagnostics* diag);

  std::string base_;
  std::string repository_;
  std::string username_, password_;
  std::string authorization_;  ///< The Authorization header value in use.
  const std::atomic<bool>* cancel_;
  void* curl_ = nullptr;
};

}  // namespace berth::containerd::detail
