// Registry credentials as the Docker CLI handles them: the X-Registry-Auth encoding, and
// credentials looked up in DOCKER_AUTH_CONFIG, config.json (auths, credHelpers,
// credsStore through the docker-credential-<name> helper protocol). Blocking functions:
// a lookup reads config.json and may run a credential helper (bounded by
// lookup_options::helper_timeout); call them off an event loop.
//
//   auto creds = berth::config::resolve_credentials("127.0.0.1:5000");
//   op.auth = creds.value_or(berth::config::auth_config{});
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "berth/config/context.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/net/endpoint.hpp"

namespace berth::config {

/// The credentials sent to the daemon for a registry (the X-Registry-Auth JSON).
struct BERTH_API auth_config {
  std::string username{};
  std::string password{};
  std::string serveraddress{};
  std::string identitytoken{};  ///< An OAuth refresh token (helpers answer Username "<token>").
  std::string registrytoken{};  ///< A bearer token sent to the registry as is.

  bool empty() const noexcept {
    return username.empty() && password.empty() && identitytoken.empty() && registrytoken.empty();
  }
  friend bool operator==(const auth_config&, const auth_config&) = default;
};

/// The X-Registry-Auth value: the JSON object, base64 with the URL-safe alphabet (the
/// daemon decodes with base64.URLEncoding; the standard alphabet breaks on '+' and '/').
BERTH_API std::string encode_registry_auth(const auth_config& a);
/// The inverse of encode_registry_auth (accepts either alphabet, padded or not).
BERTH_API result<auth_config> decode_registry_auth(std::string_view header);
/// The X-Registry-Config value of a build: {"host": {auth}, ...} encoded the same way.
BERTH_API std::string encode_registry_config(const std::map<std::string, auth_config>& configs);

/// Docker Hub's key in config.json and for credential helpers.
inline constexpr std::string_view docker_hub_key = "https://index.docker.io/v1/";

/// The key a registry is stored under: Docker Hub (docker.io, index.docker.io,
/// registry-1.docker.io, https://index.docker.io/v1/) gives docker_hub_key; anything else
/// its host[:port], without scheme or path.
BERTH_API std::string normalize_registry(std::string_view registry);

/// The registry of an image reference: its first component when that has a '.' or ':'
/// or is "localhost", else Docker Hub ("docker.io").
BERTH_API std::string registry_of(std::string_view image_ref);

/// Settings of a credentials lookup.
struct BERTH_API lookup_options {
  net::env_lookup getenv{};                          ///< Empty: the process environment.
  std::chrono::milliseconds helper_timeout{10'000};  ///< Bound on a credential helper run.
};

/// Runs docker-credential-\<helper\> get with server on stdin (searched on PATH).
/// Fails with error::helper_not_found, helper_failed, helper_timeout or
/// credentials_not_found.
BERTH_API result<auth_config> run_credential_helper(std::string_view helper, std::string_view server,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                          const net::env_lookup& getenv = {});

/// The credentials for registry, as the Docker CLI finds them: DOCKER_AUTH_CONFIG, then
/// credHelpers[registry], then credsStore, then the base64 "auth" (user:pass) of auths.
/// Fails with error::credentials_not_found when none are stored (callers usually
/// go on anonymously), or with the error of a failing helper or config.
BERTH_API result<auth_config> resolve_credentials(std::string_view registry, const lookup_options& opts = {});

}  // namespace berth::config
