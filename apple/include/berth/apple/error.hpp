// Errors of the apple layer: the daemon's in-band error codes (errc, "berth.apple") and the
// failures of the XPC transport and of the protocol around the payloads (xpc_errc,
// "berth.apple.xpc"); the payload codecs have their own (json_errc, berth/apple/json.hpp).
//
// The daemon reports failures inside a normal reply: key "com.apple.container.xpc.error"
// holding JSON {"code","message"} (APPLE.md §1.2). map_inband_error turns that into an errc
// and the daemon's message into berth::diagnostics. Everything here is synchronous.
#pragma once

#include <string_view>
#include <system_error>
#include <type_traits>

#include "berth/core/error.hpp"
#include "berth/core/export.hpp"

namespace berth::apple {

/// ContainerizationError.Code as the daemon sends it in-band (the list per a symbol dump of
/// the 1.3.0 daemon). The daemon's message travels in berth::diagnostics::message. A
/// deadline set by berth expires as berth::errc::timeout, not as errc::timeout.
enum class errc {
  cancelled = 1,     ///< "cancelled"
  unknown,           ///< "unknown"; also any code berth does not know, and unparsable error data
  invalid_argument,  ///< "invalidArgument"
  timeout,           ///< "timeout": the daemon's own timeout
  not_found,         ///< "notFound"
  exists,            ///< "exists"
  unsupported,       ///< "unsupported"
  internal_error,    ///< "internalError"
  invalid_state,     ///< "invalidState"
  interrupted,       ///< "interrupted"
  empty,             ///< "empty"
};

/// The category of errc ("berth.apple"). errc::timeout is equivalent to
/// std::errc::timed_out (berth::is_timeout is true for it), errc::cancelled to
/// std::errc::operation_canceled.
BERTH_API const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

/// Failures of the transport and of the protocol around the payloads.
enum class xpc_errc {
  /// XPC_ERROR_CONNECTION_INVALID: the service is not in the caller's launchd domain
  /// (`container system start` not run, or a headless session), or the connection was
  /// cancelled.
  connection_invalid = 1,
  /// XPC_ERROR_CONNECTION_INTERRUPTED, and the service does not answer a probe.
  connection_interrupted,
  /// No reply although the apiserver is up: the route is unknown to this apiserver (an
  /// unknown route gets no reply at all), or the request was dropped.
  no_reply,
  /// The reply is not a dictionary, or a success key is missing, of another xpc type, or
  /// holds a payload that does not decode (details in diagnostics).
  bad_reply,
  /// ping's apiServerVersion is unparsable or older than 1.0.
  unsupported_version,
};

/// The category of xpc_errc ("berth.apple.xpc").
BERTH_API const std::error_category& xpc_category() noexcept;

inline std::error_code make_error_code(xpc_errc e) noexcept { return {static_cast<int>(e), xpc_category()}; }

/// The errc of a code string ("notFound" gives errc::not_found); errc::unknown for any other.
BERTH_API errc errc_from_code(std::string_view code) noexcept;
/// The code string of e ("notFound"); empty for values outside the enum.
BERTH_API std::string_view code_string(errc e) noexcept;

/// errc::not_found.
BERTH_API bool is_not_found(const std::error_code& ec) noexcept;
/// errc::exists.
BERTH_API bool is_exists(const std::error_code& ec) noexcept;
/// errc::unsupported, xpc_errc::no_reply, xpc_errc::unsupported_version or
/// berth::errc::unsupported: the daemon (or this build) cannot do it.
BERTH_API bool is_unsupported(const std::error_code& ec) noexcept;
/// xpc_errc::connection_invalid or xpc_errc::connection_interrupted: the service is not there.
BERTH_API bool is_unavailable(const std::error_code& ec) noexcept;

/// Maps the data of a reply's error key to an errc and fills diag (when not null): the
/// daemon's message verbatim (capped as diagnostics::set_message does, including any
/// " (cause: ...)" suffix); for a code berth does not know, errc::unknown with the message
/// "code: message"; for data that is not a {"code","message"} object, errc::unknown with
/// the raw bytes as the message. diag->status stays 0. Never throws.
BERTH_API std::error_code map_inband_error(std::string_view json, berth::diagnostics* diag) noexcept;

}  // namespace berth::apple

/// \cond
template <>
struct std::is_error_code_enum<berth::apple::errc> : std::true_type {};
template <>
struct std::is_error_code_enum<berth::apple::xpc_errc> : std::true_type {};
/// \endcond
