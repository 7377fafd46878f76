// Docker CLI configuration: the config directory and Docker contexts.
//
// The endpoint is resolved as the Docker CLI does: DOCKER_HOST, then DOCKER_CONTEXT, then
// currentContext of config.json, then the default context (unix:///var/run/docker.sock).
//
//   auto ep = berth::engine::endpoint_from_context_env();   // what `docker` would talk to
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "berth/core/result.hpp"
#include "berth/net/endpoint.hpp"

namespace berth::engine {

/// Errors of the Docker CLI configuration (config.json, contexts, credential helpers).
enum class config_error {
  bad_config = 1,         ///< config.json (or DOCKER_AUTH_CONFIG) is not the JSON expected.
  context_not_found,      ///< The named context has no metadata.
  bad_context,            ///< A context's meta.json is malformed or has no docker endpoint.
  helper_not_found,       ///< docker-credential-<name> is not on PATH.
  helper_failed,          ///< The credential helper exited with an error or wrote bad JSON.
  helper_timeout,         ///< The credential helper did not answer in time (it was killed).
  credentials_not_found,  ///< No credentials are stored for the registry.
};

/// The category of config_error, named "berth.engine.config".
const std::error_category& config_category() noexcept;
inline std::error_code make_error_code(config_error e) noexcept {
  return {static_cast<int>(e), config_category()};
}

/// The Docker CLI configuration directory: DOCKER_CONFIG, else $HOME/.docker.
std::string docker_config_dir(const net::env_lookup& getenv = {});

/// A Docker context as stored under <config>/contexts.
struct docker_context {
  std::string name{};             ///< "default" for the built-in context.
  std::string host{};             ///< Endpoints.docker.Host; empty for the default context.
  bool skip_tls_verify = false;   ///< Endpoints.docker.SkipTLSVerify.
  std::string ca_file{};          ///< contexts/tls/<sha256>/docker/ca.pem when present.
  std::string cert_file{};        ///< ... cert.pem when present.
  std::string key_file{};         ///< ... key.pem when present.
};

/// The lowercase hex SHA-256 of a context name (the directory name of its metadata).
std::string context_dir_name(std::string_view name);

/// The name of the context in use: DOCKER_CONTEXT, else currentContext of config.json,
/// else "default". Fails with config_error::bad_config for an unreadable config.json.
result<std::string> current_context_name(const net::env_lookup& getenv = {});

/// Loads a context's metadata and TLS material. "default" yields an empty host.
/// Fails with config_error::context_not_found or config_error::bad_context.
result<docker_context> load_context(std::string_view name, const net::env_lookup& getenv = {});

/// The endpoint a context points at. TLS is used when the context holds TLS material or
/// the host is https://; SkipTLSVerify turns verification off. The default context gives
/// net::endpoint_from_env(getenv) (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH apply).
result<net::endpoint> context_endpoint(const docker_context& ctx, const net::env_lookup& getenv = {});

/// The endpoint the Docker CLI would use: DOCKER_HOST when set (net::endpoint_from_env),
/// else the current context's endpoint.
result<net::endpoint> endpoint_from_context_env(const net::env_lookup& getenv = {});

}  // namespace berth::engine

template <>
struct std::is_error_code_enum<berth::engine::config_error> : std::true_type {};
