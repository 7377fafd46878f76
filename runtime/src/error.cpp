// The runtime layer's error category and the reason vocabulary every backend maps into.
#include "berth/runtime/error.hpp"

#include <cerrno>
#include <string>

#include "berth/core/error.hpp"
#include "berth/engine/error.hpp"
#include "berth/kata/error.hpp"
#include "berth_config.hpp"
#if BERTH_HAVE_CONTAINERD
#include "berth/containerd/error.hpp"
#endif

namespace berth::runtime {
namespace {

class errc_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.runtime"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::unsupported: return "not supported by this engine";
      case errc::name_collision: return "the name belongs to another owner";
      case errc::foreign_resource: return "a resource of this name exists and is not berth's";
      case errc::recreate_refused: return "the container differs and the recreate policy is never";
      case errc::container_replace_failed: return "replacing the container failed";
      case errc::ready_probe_failed: return "the container did not become ready in time";
      case errc::build_failed: return "the image build failed";
      case errc::digest_mismatch: return "the image is not the expected digest";
      case errc::no_engine: return "no container engine answered";
      case errc::destroyed: return "the session was destroyed";
      case errc::port_conflict: return "the host port is already allocated";
      case errc::address_pool_exhausted: return "no free address pool for another network";
      case errc::not_in_container: return "this process is not in a container of this engine";
      case errc::empty_selector: return "a sweep needs at least one label";
      case errc::invalid_argument: return "invalid argument";
      case errc::not_found: return "not found";
    }
    return "unknown runtime error";
  }
};

reason from_runtime(errc e) {
  switch (e) {
    case errc::unsupported: return reason::unsupported;
    case errc::name_collision: return reason::name_collision;
    case errc::foreign_resource: return reason::foreign_resource;
    case errc::recreate_refused: return reason::recreate_refused;
    case errc::container_replace_failed: return reason::container_replace_failed;
    case errc::ready_probe_failed: return reason::ready_probe_failed;
    case errc::build_failed: return reason::build_failed;
    case errc::digest_mismatch: return reason::digest_mismatch;
    case errc::no_engine: return reason::unavailable;
    case errc::destroyed: return reason::invalid_argument;
    case errc::port_conflict: return reason::port_conflict;
    case errc::address_pool_exhausted: return reason::address_pool_exhausted;
    case errc::not_in_container: return reason::not_found;
    case errc::empty_selector: return reason::invalid_argument;
    case errc::invalid_argument: return reason::invalid_argument;
    case errc::not_found: return reason::not_found;
  }
  return reason::backend_failure;
}

reason from_engine(engine::error e) {
  using E = engine::error;
  switch (e) {
    case E::bad_parameter: return reason::invalid_argument;
    case E::unauthorized:
    case E::forbidden: return reason::unauthorized;
    case E::not_found: return reason::not_found;
    case E::not_acceptable:
    case E::conflict:
    case E::name_in_use: return reason::conflict;
    case E::not_modified: return reason::conflict;
    case E::unavailable: return reason::unavailable;
    case E::not_implemented:
    case E::not_swarm_manager:
    case E::api_version_unsupported:
    case E::operation_unsupported:
    case E::field_unsupported: return reason::unsupported;
    case E::exec_timeout: return reason::timeout;
    default: return reason::backend_failure;
  }
}

#if BERTH_HAVE_CONTAINERD
reason from_containerd(containerd::errc e) {
  using E = containerd::errc;
  switch (e) {
    case E::cancelled: return reason::cancelled;
    case E::invalid_argument:
    case E::out_of_range: return reason::invalid_argument;
    case E::deadline_exceeded: return reason::timeout;
    case E::not_found: return reason::not_found;
    case E::already_exists:
    case E::failed_precondition:
    case E::aborted: return reason::conflict;
    case E::permission_denied:
    case E::unauthenticated: return reason::unauthorized;
    case E::unimplemented: return reason::unsupported;
    case E::unavailable:
    case E::resource_exhausted: return reason::unavailable;
    default: return reason::backend_failure;
  }
}

reason from_pull(containerd::pull_errc e) {
  using E = containerd::pull_errc;
  switch (e) {
    case E::bad_reference:
    case E::bad_user:
    case E::empty_selector: return reason::invalid_argument;
    case E::manifest_unknown: return reason::not_found;
    case E::unauthorized: return reason::unauthorized;
    case E::transport_error: return reason::unavailable;
    case E::digest_mismatch: return reason::digest_mismatch;
    case E::image_not_unpacked: return reason::not_found;
    case E::exec_timeout: return reason::timeout;
    case E::container_running:
    case E::config_conflict: return reason::conflict;
    case E::no_log_capture:
    case E::no_matching_platform:
    case E::unsupported_media_type: return reason::unsupported;
    case E::logger_not_found:
    case E::init_not_found: return reason::runtime_unavailable;
    default: return reason::backend_failure;
  }
}
#endif

reason from_kata(kata::errc e) {
  switch (e) {
    case kata::errc::runtime_unavailable: return reason::runtime_unavailable;
    case kata::errc::unsupported_setting: return reason::policy_refused;
    case kata::errc::unsupported_runtime_option: return reason::unsupported;
    case kata::errc::invalid_runtime: return reason::invalid_argument;
  }
  return reason::backend_failure;
}

reason from_core(berth::errc e) {
  switch (e) {
    case berth::errc::timeout: return reason::timeout;
    case berth::errc::cancelled: return reason::cancelled;
    case berth::errc::connection_lost: return reason::unavailable;
    case berth::errc::invalid_argument: return reason::invalid_argument;
    case berth::errc::unsupported: return reason::unsupported;
    default: return reason::backend_failure;
  }
}

class reason_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.runtime.reason"; }
  std::string message(int v) const override { return to_string(static_cast<reason>(v)); }
  bool equivalent(const std::error_code& code, int condition) const noexcept override {
    return code && static_cast<int>(reason_of(code)) == condition;
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const errc_category c;
  return c;
}

const std::error_category& reason_category() noexcept {
  static const reason_category_impl c;
  return c;
}

reason reason_of(const std::error_code& ec) noexcept {
  const auto& cat = ec.category();
  if (cat == category()) return from_runtime(static_cast<errc>(ec.value()));
  if (cat == engine::category()) return from_engine(static_cast<engine::error>(ec.value()));
#if BERTH_HAVE_CONTAINERD
  if (cat == containerd::category()) return from_containerd(static_cast<containerd::errc>(ec.value()));
  if (cat == containerd::pull_category()) return from_pull(static_cast<containerd::pull_errc>(ec.value()));
#endif
  if (cat == kata::category()) return from_kata(static_cast<kata::errc>(ec.value()));
  if (cat == berth::core_category()) return from_core(static_cast<berth::errc>(ec.value()));
  if (berth::is_cancelled(ec)) return reason::cancelled;
  if (berth::is_timeout(ec)) return reason::timeout;
  if (engine::is_unreachable(ec)) return reason::unavailable;
  if (cat == std::system_category() || cat == std::generic_category()) {
    switch (ec.value()) {
      case ENOENT: return reason::not_found;
      case EACCES:
      case EPERM: return reason::unauthorized;
      case EINVAL: return reason::invalid_argument;
      case ECONNREFUSED:
      case ECONNRESET:
      case EPIPE: return reason::unavailable;
      case ETIMEDOUT: return reason::timeout;
      default: break;
    }
  }
  return reason::backend_failure;
}

bool is_retryable(const std::error_code& ec) noexcept {
  if (!ec || berth::is_cancelled(ec)) return false;
  if (ec.category() == engine::category()) return engine::is_retryable(ec);
#if BERTH_HAVE_CONTAINERD
  // A registry's 5xx and 429 arrive as registry_error with the status in diagnostics;
  // the pull itself retries those, so here only the transport counts.
  if (ec.category() == containerd::pull_category()) return ec == containerd::pull_errc::transport_error;
#endif
  auto r = reason_of(ec);
  return r == reason::unavailable || r == reason::timeout;
}

const char* to_string(reason r) noexcept {
  switch (r) {
    case reason::unavailable: return "unavailable";
    case reason::timeout: return "timeout";
    case reason::cancelled: return "cancelled";
    case reason::not_found: return "not_found";
    case reason::conflict: return "conflict";
    case reason::name_collision: return "name_collision";
    case reason::foreign_resource: return "foreign_resource";
    case reason::recreate_refused: return "recreate_refused";
    case reason::container_replace_failed: return "container_replace_failed";
    case reason::port_conflict: return "port_conflict";
    case reason::address_pool_exhausted: return "address_pool_exhausted";
    case reason::unauthorized: return "unauthorized";
    case reason::invalid_argument: return "invalid_argument";
    case reason::unsupported: return "unsupported";
    case reason::policy_refused: return "policy_refused";
    case reason::runtime_unavailable: return "runtime_unavailable";
    case reason::build_failed: return "build_failed";
    case reason::ready_probe_failed: return "ready_probe_failed";
    case reason::digest_mismatch: return "digest_mismatch";
    case reason::backend_failure: return "backend_failure";
  }
  return "unknown";
}

}  // namespace berth::runtime
