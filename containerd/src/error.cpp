#include "berth/containerd/error.hpp"

#include <string>

namespace berth::containerd {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.containerd"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::cancelled: return "cancelled";
      case errc::unknown: return "unknown error";
      case errc::invalid_argument: return "invalid argument";
      case errc::deadline_exceeded: return "deadline exceeded";
      case errc::not_found: return "not found";
      case errc::already_exists: return "already exists";
      case errc::permission_denied: return "permission denied";
      case errc::resource_exhausted: return "resource exhausted";
      case errc::failed_precondition: return "failed precondition";
      case errc::aborted: return "aborted";
      case errc::out_of_range: return "out of range";
      case errc::unimplemented: return "not implemented by the daemon";
      case errc::internal: return "daemon internal error";
      case errc::unavailable: return "containerd unavailable";
      case errc::data_loss: return "data loss";
      case errc::unauthenticated: return "unauthenticated";
    }
    return "unknown gRPC status " + std::to_string(ev);
  }
};

class pull_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.containerd.pull"; }
  std::string message(int ev) const override {
    switch (static_cast<pull_errc>(ev)) {
      case pull_errc::bad_reference: return "bad image reference";
      case pull_errc::manifest_unknown: return "manifest unknown";
      case pull_errc::unauthorized: return "registry refused the credentials";
      case pull_errc::registry_error: return "registry error";
      case pull_errc::transport_error: return "registry unreachable";
      case pull_errc::digest_mismatch: return "digest mismatch";
      case pull_errc::size_mismatch: return "size mismatch";
      case pull_errc::unsupported_media_type: return "unsupported media type";
      case pull_errc::no_matching_platform: return "no manifest for the host platform";
      case pull_errc::bad_manifest: return "malformed manifest, index or image config";
      case pull_errc::bad_archive: return "malformed image archive";
      case pull_errc::image_not_unpacked: return "image not unpacked";
      case pull_errc::bad_user: return "user cannot be resolved";
      case pull_errc::exec_timeout: return "process timed out and was killed";
      case pull_errc::missing_blob: return "image archive lacks a blob";
      case pull_errc::container_running: return "the container is running (stop it, or remove it with force)";
      case pull_errc::config_conflict: return "a container with this id exists with another configuration";
      case pull_errc::empty_selector: return "a sweep needs at least one label";
      case pull_errc::no_log_capture: return "the container was not started with log capture";
      case pull_errc::logger_not_found: return "berth's logger program (berth-containerd-log) was not found";
      case pull_errc::init_not_found: return "no init program (docker-init or tini-static) was found for --init";
    }
    return "unknown pull error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl cat;
  return cat;
}

const std::error_category& pull_category() noexcept {
  static const pull_category_impl cat;
  return cat;
}

bool is_not_found(const std::error_code& ec) noexcept {
  return ec == errc::not_found || ec == pull_errc::manifest_unknown;
}
bool is_already_exists(const std::error_code& ec) noexcept { return ec == errc::already_exists; }
bool is_failed_precondition(const std::error_code& ec) noexcept { return ec == errc::failed_precondition; }
bool is_unavailable(const std::error_code& ec) noexcept { return ec == errc::unavailable; }
bool is_unimplemented(const std::error_code& ec) noexcept { return ec == errc::unimplemented; }
bool is_invalid_argument(const std::error_code& ec) noexcept { return ec == errc::invalid_argument; }

}  // namespace berth::containerd
