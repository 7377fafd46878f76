// Endpoints: where a daemon listens, parsed from DOCKER_HOST-style URLs (unix://,
// tcp://, TLS through DOCKER_TLS_VERIFY / DOCKER_CERT_PATH). Parsing only; no I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth::net {

/// Errors of endpoint parsing, connecting and TLS set-up.
enum class error {
  bad_url = 1,         ///< Not "scheme://address".
  unsupported_scheme,  ///< A scheme berth does not speak (npipe, ssh, fd, ...).
  missing_path,        ///< unix:// without a socket path.
  bad_host,            ///< tcp:// with an empty or malformed host.
  bad_port,            ///< Port not a number in 1..65535.
  tls_unavailable,     ///< TLS requested but berth was built without OpenSSL.
  tls_material,        ///< CA, certificate or key file missing or unreadable.
  tls_handshake,       ///< The TLS handshake failed (certificate refused, protocol error).
  path_too_long,       ///< A unix socket path longer than sun_path allows.
};

BERTH_API const std::error_category& category() noexcept;
inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), category()};
}

/// TLS settings of a tls endpoint. Verification is on unless the caller turns it off.
struct BERTH_API tls_options {
  bool verify = true;       ///< Verify the server's chain and host name.
  std::string ca_file;      ///< PEM CA bundle; empty: the system's default roots.
  std::string cert_file;    ///< PEM client certificate (with key_file), optional.
  std::string key_file;     ///< PEM client key.
  std::string server_name;  ///< Name to verify and send as SNI; empty: the host.

  friend bool operator==(const tls_options&, const tls_options&) = default;
};

/// Where a daemon listens.
struct BERTH_API endpoint {
  enum class transport { unix_socket, tcp, tls };

  transport kind = transport::unix_socket;
  std::string path;          ///< unix_socket: the socket's path.
  std::string host;          ///< tcp / tls: name or address (IPv6 without brackets).
  std::uint16_t port = 0;    ///< tcp / tls.
  std::string base_path;     ///< A path prefix from the URL ("tcp://h:1/prefix"), no trailing '/'.
  tls_options tls;           ///< tls only.

  /// The Host header value for requests to this endpoint.
  std::string authority() const;
  /// Back to URL form: unix:///p, tcp://h:p, or tcp://h:p with TLS noted as "tls://h:p".
  std::string to_string() const;

  friend bool operator==(const endpoint&, const endpoint&) = default;
};

/// The default Docker endpoint: unix:///var/run/docker.sock.
BERTH_API endpoint default_docker_endpoint();

/// Parses a DOCKER_HOST-style URL.
///
/// Accepted: unix:///abs/path (also unix://rel/path), tcp://host[:port][/prefix],
/// http://host[:port] (plain TCP), https://host[:port] (TLS, verified). A tcp URL with no
/// port gets 2375 (2376 when tls is true). IPv6 hosts go in brackets. Anything else yields
/// a typed berth::net::error naming what is wrong.
BERTH_API result<endpoint> parse_endpoint(std::string_view url, bool tls = false);

/// Environment lookup used by endpoint_from_env (injectable for tests).
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The endpoint the Docker client would use from the environment:
/// DOCKER_HOST (default unix:///var/run/docker.sock); TLS for tcp when DOCKER_TLS_VERIFY
/// is non-empty or DOCKER_CERT_PATH is set, with ca.pem, cert.pem and key.pem read from
/// DOCKER_CERT_PATH (default ~/.docker). Unlike the Go client, berth verifies the server
/// whenever TLS is in use; only code can turn verification off.
BERTH_API result<endpoint> endpoint_from_env(const env_lookup& getenv);
BERTH_API result<endpoint> endpoint_from_env();

}  // namespace berth::net

/// \cond
template <>
struct std::is_error_code_enum<berth::net::error> : std::true_type {};
/// \endcond
