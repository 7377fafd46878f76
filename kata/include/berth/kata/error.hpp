// Errors of runtime selection and of the Kata policy. What exactly was refused (the
// setting, the runtimes a daemon does have) travels in berth::diagnostics::message.
#pragma once

#include <system_error>
#include "berth/core/export.hpp"

namespace berth::kata {

/// Why a runtime choice or a container's settings were refused before (or at) create.
enum class errc {
  /// The engine does not offer the chosen runtime; the diagnostics list those it offers.
  runtime_unavailable = 1,
  /// A container setting the chosen runtime cannot honour (Kata: host network, joining
  /// another container's namespaces, host sockets ...); the diagnostics name the setting.
  unsupported_setting,
  /// A runtime option the engine cannot apply per container (e.g. a Kata configuration
  /// path or runc options through the Docker Engine API, where they are daemon settings).
  unsupported_runtime_option,
  /// The runtime choice itself is malformed (e.g. an empty runtime name).
  invalid_runtime,
};

/// The category of berth::kata::errc ("berth.kata").
BERTH_API const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace berth::kata

/// \cond
template <>
struct std::is_error_code_enum<berth::kata::errc> : std::true_type {};
/// \endcond
