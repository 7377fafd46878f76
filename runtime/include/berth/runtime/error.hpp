// Errors of the runtime layer: the codes the layer raises itself (errc), and one
// vocabulary of reasons (reason) that every backend's codes compare equal to.
//
//   if (ec == runtime::reason::not_found) ...      // engine::error::not_found,
//                                                 // containerd::errc::not_found, ...
//   if (runtime::is_retryable(ec)) ...             // try again later may succeed
//
// Backend codes travel unchanged (an engine::error stays one); the daemon's words travel
// in berth::diagnostics.
#pragma once

#include <system_error>

#include "berth/core/export.hpp"

namespace berth::runtime {

/// Failures the runtime layer raises itself (category "berth.runtime").
enum class errc {
  /// A setting or operation the engine cannot honour; refused before any daemon call.
  /// The diagnostics list every such field at once.
  unsupported = 1,
  /// A resource of this name exists and carries another owner's labels.
  name_collision,
  /// A resource of this name exists without berth's ownership labels: never touched.
  foreign_resource,
  /// ensure_container with recreate::never found the container differs or has failed.
  recreate_refused,
  /// Removing or recreating a container that had to be replaced failed.
  container_replace_failed,
  /// A wait strategy did not see its condition before its deadline; the diagnostics
  /// carry the last output seen.
  ready_probe_failed,
  /// An image build failed (the builder's message in the diagnostics).
  build_failed,
  /// An image's digest is not the expected one.
  digest_mismatch,
  /// No engine answered (detect): the diagnostics list every probe and its error.
  no_engine,
  /// The call was made through a session that was destroyed.
  destroyed,
  /// A host port is already taken by another container or process.
  port_conflict,
  /// The engine has no free address range for another network.
  address_pool_exhausted,
  /// The process is not in a container of this engine (inspect_self).
  not_in_container,
  /// A sweep with an empty label selector: a sweep never takes everything.
  empty_selector,
  /// A bad argument (a malformed bind string, an unknown engine name, ...).
  invalid_argument,
  /// No such container or image (the layer's own lookups).
  not_found,
};

/// The category of errc ("berth.runtime").
BERTH_API const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

/// What a failure means, whatever engine raised it: an error condition that the runtime
/// layer's codes and the backends' codes (engine::error, containerd::errc and pull_errc,
/// kata::errc, berth::errc, system errors) compare equal to.
enum class reason {
  unavailable = 1,       ///< The daemon (or a registry) cannot be reached now.
  timeout,               ///< A deadline expired.
  cancelled,             ///< The caller cancelled.
  not_found,             ///< No such container, image, network, volume, tag...
  conflict,              ///< The object is in a state that forbids the operation.
  name_collision,        ///< The name is another owner's.
  foreign_resource,      ///< The name is taken by a resource berth does not own.
  recreate_refused,
  container_replace_failed,
  port_conflict,
  address_pool_exhausted,
  unauthorized,          ///< Credentials refused (registry or daemon).
  invalid_argument,      ///< The request is malformed.
  unsupported,           ///< The engine (or this build) cannot do it.
  policy_refused,        ///< The runtime's policy (Kata) refuses a setting.
  runtime_unavailable,   ///< The chosen OCI runtime is not installed in the engine.
  build_failed,
  ready_probe_failed,
  digest_mismatch,
  backend_failure,       ///< The engine failed in a way none of the above names.
};

/// The category of reason ("berth.runtime.reason").
BERTH_API const std::error_category& reason_category() noexcept;

inline std::error_condition make_error_condition(reason r) noexcept {
  return {static_cast<int>(r), reason_category()};
}

/// The reason of ec (reason::backend_failure for a code no other reason claims; ec must
/// be set).
BERTH_API reason reason_of(const std::error_code& ec) noexcept;

/// Trying again later may succeed: unavailable (daemon or registry), timeout, a 5xx the
/// registry sent. Never for not found, conflicts, refusals or bad arguments.
BERTH_API bool is_retryable(const std::error_code& ec) noexcept;

/// The reason's short name ("not_found", ...).
BERTH_API const char* to_string(reason r) noexcept;

}  // namespace berth::runtime

/// \cond
template <>
struct std::is_error_code_enum<berth::runtime::errc> : std::true_type {};
template <>
struct std::is_error_condition_enum<berth::runtime::reason> : std::true_type {};
/// \endcond
