// Errors of the Docker CLI configuration layer (config.json, contexts, credential
// helpers): one enum and its category, "berth.config".
#pragma once

#include <system_error>

#include "berth/core/export.hpp"

namespace berth::config {

/// Errors of the Docker CLI configuration (config.json, contexts, credential helpers).
enum class error {
  bad_config = 1,         ///< config.json (or DOCKER_AUTH_CONFIG) is not the JSON expected.
  context_not_found,      ///< The named context has no metadata.
  bad_context,            ///< A context's meta.json is malformed or has no docker endpoint.
  helper_not_found,       ///< docker-credential-\<name\> is not on PATH.
  helper_failed,          ///< The credential helper exited with an error or wrote bad JSON.
  helper_timeout,         ///< The credential helper did not answer in time (it was killed).
  credentials_not_found,  ///< No credentials are stored for the registry.
};

/// The category of config::error, named "berth.config".
BERTH_API const std::error_category& category() noexcept;
inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace berth::config

/// \cond
template <>
struct std::is_error_code_enum<berth::config::error> : std::true_type {};
/// \endcond
