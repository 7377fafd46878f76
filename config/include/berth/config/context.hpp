// Docker CLI configuration: the config directory and Docker contexts, shared by every
// berth layer that reads what the Docker CLI reads (the Engine API client for its
// endpoint, the containerd pull for registry credentials). Plain blocking functions:
// they read small files under the config directory and nothing else.
//
// The endpoint is resolved as the Docker CLI does: DOCKER_HOST, then DOCKER_CONTEXT, then
// currentContext of config.json, then the default context (unix:///var/run/docker.sock).
//
//   auto ep = berth::config::endpoint_from_context_env();   // what `docker` would talk to
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "berth/config/error.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/net/endpoint.hpp"

namespace berth::config {

/// The Docker CLI configuration directory: DOCKER_CONFIG, else $HOME/.docker.
BERTH_API std::string docker_config_dir(const net::env_lookup& getenv = {});

/// A Docker context as stored under \<config\>/contexts.
struct BERTH_API docker_context {
  std::string name{};             ///< "default" for the built-in context.
  std::string host{};             ///< Endpoints.docker.Host; empty for the default context.
  bool skip_tls_verify = false;   ///< Endpoints.docker.SkipTLSVerify.
  std::string ca_file{};          ///< contexts/tls/\<sha256\>/docker/ca.pem when present.
  std::string cert_file{};        ///< ... cert.pem when present.
  std::string key_file{};         ///< ... key.pem when present.
};

/// The lowercase hex SHA-256 of a context name (the directory name of its metadata).
BERTH_API std::string context_dir_name(std::string_view name);

/// The name of the context in use: DOCKER_CONTEXT, else currentContext of config.json,
/// else "default". Fails with error::bad_config for an unreadable config.json.
BERTH_API result<std::string> current_context_name(const net::env_lookup& getenv = {});

/// Loads a context's metadata and TLS material. "default" yields an empty host.
/// Fails with error::context_not_found or error::bad_context.
BERTH_API result<docker_context> load_context(std::string_view name, const net::env_lookup& getenv = {});

/// The endpoint a context points at. TLS is used when the context holds TLS material or
/// the host is https://; SkipTLSVerify turns verification off. The default context gives
/// net::endpoint_from_env(getenv) (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH apply).
BERTH_API result<net::endpoint> context_endpoint(const docker_context& ctx, const net::env_lookup& getenv = {});

/// The endpoint the Docker CLI would use: DOCKER_HOST when set (net::endpoint_from_env),
/// else the current context's endpoint.
BERTH_API result<net::endpoint> endpoint_from_context_env(const net::env_lookup& getenv = {});

}  // namespace berth::config
