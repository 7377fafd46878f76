// Errors of the containerd backend: gRPC status codes (errc), and the failures of the
// client-side pull and of the image/runtime conveniences (pull_errc).
#pragma once

#include <system_error>
#include "berth/core/export.hpp"

namespace berth::containerd {

/// A gRPC status code from containerd, values as in the gRPC spec. containerd's own words
/// travel in berth::diagnostics (status = the gRPC code, message = the status message).
/// A deadline set by the caller expires as berth::errc::timeout and a cancellation
/// through the handler's slot as berth::errc::cancelled, not as these codes.
enum class errc {
  cancelled = 1,
  unknown = 2,
  invalid_argument = 3,
  deadline_exceeded = 4,
  not_found = 5,
  already_exists = 6,
  permission_denied = 7,
  resource_exhausted = 8,
  failed_precondition = 9,
  aborted = 10,
  out_of_range = 11,
  unimplemented = 12,
  internal = 13,
  unavailable = 14,
  data_loss = 15,
  unauthenticated = 16,
};

/// The category of errc ("berth.containerd").
BERTH_API const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

/// Failures of the registry client, the image conveniences and process I/O.
enum class pull_errc {
  bad_reference = 1,      ///< The image reference cannot be parsed.
  manifest_unknown,       ///< The registry has no such repository, tag or digest.
  unauthorized,           ///< The registry refused the credentials (or anonymous access).
  registry_error,         ///< Any other registry answer (its status in diagnostics).
  transport_error,        ///< The registry could not be reached (curl's message in diagnostics).
  digest_mismatch,        ///< A blob or manifest does not match its digest.
  size_mismatch,          ///< A blob does not have the size its descriptor says.
  unsupported_media_type, ///< A manifest or layer type berth cannot handle.
  no_matching_platform,   ///< An index lists no manifest for the host platform.
  bad_manifest,           ///< A manifest, index or image config could not be decoded.
  bad_archive,            ///< An image tarball is malformed.
  image_not_unpacked,     ///< The image has no snapshot for its layers (pull or import it).
  bad_user,               ///< The user (or group) is not in the image's /etc/passwd (/etc/group).
  exec_timeout,           ///< An exec or run exceeded its timeout and was killed.
  missing_blob,           ///< An archive lacks a blob its manifest or index needs.
  container_running,      ///< remove_container without force: the task is running.
  config_conflict,        ///< ensure_container: the id exists with another configuration.
  empty_selector,         ///< A sweep needs at least one label: it never takes everything.
  no_log_capture,         ///< open_logs: the container was not started with log capture.
  logger_not_found,       ///< start_container with a log: berth's logger program is missing.
  init_not_found,         ///< container_options::init: no init program (docker-init, tini) here.
};

/// The category of pull_errc ("berth.containerd.pull").
BERTH_API const std::error_category& pull_category() noexcept;

inline std::error_code make_error_code(pull_errc e) noexcept {
  return {static_cast<int>(e), pull_category()};
}

/// errc::not_found, or pull_errc::manifest_unknown.
BERTH_API bool is_not_found(const std::error_code& ec) noexcept;
/// errc::already_exists.
BERTH_API bool is_already_exists(const std::error_code& ec) noexcept;
/// errc::failed_precondition.
BERTH_API bool is_failed_precondition(const std::error_code& ec) noexcept;
/// errc::unavailable: the daemon is not there (socket missing, refused).
BERTH_API bool is_unavailable(const std::error_code& ec) noexcept;
/// errc::unimplemented: the daemon lacks the service or method (feature detection).
BERTH_API bool is_unimplemented(const std::error_code& ec) noexcept;
/// errc::invalid_argument.
BERTH_API bool is_invalid_argument(const std::error_code& ec) noexcept;

}  // namespace berth::containerd

/// \cond
template <>
struct std::is_error_code_enum<berth::containerd::errc> : std::true_type {};
template <>
struct std::is_error_code_enum<berth::containerd::pull_errc> : std::true_type {};
/// \endcond
