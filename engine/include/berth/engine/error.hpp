// Errors of the Docker Engine backend: daemon answers mapped to what they mean (one enum
// and its category), with is_retryable / is_unreachable. Plain values; no I/O.
#pragma once

#include <system_error>
#include "berth/core/export.hpp"

namespace berth::engine {

/// What a daemon's answer means. The daemon's own words travel in berth::diagnostics.
enum class error {
  bad_parameter = 1,        ///< 400: the daemon refused an argument.
  unauthorized,             ///< 401: registry or daemon credentials refused.
  forbidden,                ///< 403.
  not_found,                ///< 404: no such container, image, network, volume, exec...
  not_acceptable,           ///< 406: e.g. attach to a container that is not running.
  conflict,                 ///< 409: the object is in a state that forbids the operation.
  name_in_use,              ///< 409: the name is taken (a kind of conflict).
  not_modified,             ///< 304: already started / already stopped.
  server_error,             ///< 500.
  not_implemented,          ///< 501.
  unavailable,              ///< 503.
  not_swarm_manager,        ///< 503: the daemon is not a swarm manager (or not in a swarm).
  unexpected_status,        ///< Any other status.
  api_version_unsupported,  ///< The daemon's API is older than berth supports.
  operation_unsupported,    ///< The operation is newer than the negotiated API version.
  field_unsupported,        ///< A field set by the caller is newer than the negotiated version.
  bad_response,             ///< The daemon's answer could not be decoded.
  stream_error,             ///< A stream reported failure in-band (errorDetail, error record).
  exec_timeout,             ///< An exec or run exceeded the caller's timeout and was killed.
};

BERTH_API const std::error_category& category() noexcept;

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), category()};
}

/// Maps an HTTP status of an error answer (and its message) to an engine error.
BERTH_API error error_from_status(unsigned status, std::string_view message) noexcept;

/// not_found.
BERTH_API bool is_not_found(const std::error_code& ec) noexcept;
/// conflict or name_in_use.
BERTH_API bool is_conflict(const std::error_code& ec) noexcept;
/// not_modified.
BERTH_API bool is_not_modified(const std::error_code& ec) noexcept;
/// The daemon could not be reached at all: socket missing, connection refused or reset
/// before an answer, permission denied on the socket.
BERTH_API bool is_unreachable(const std::error_code& ec) noexcept;
/// Trying again later may succeed: unreachable, timeouts, 503, connection lost, 500s that
/// the daemon marks transient are NOT included (a 500 is fatal unless the caller knows).
BERTH_API bool is_retryable(const std::error_code& ec) noexcept;

}  // namespace berth::engine

/// \cond
template <>
struct std::is_error_code_enum<berth::engine::error> : std::true_type {};
/// \endcond
