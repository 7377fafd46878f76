#include "berth/net/endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace berth::net {
namespace {

class net_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.net"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::bad_url: return "endpoint is not a scheme://address URL";
      case error::unsupported_scheme: return "unsupported endpoint scheme";
      case error::missing_path: return "unix endpoint without a socket path";
      case error::bad_host: return "endpoint host is empty or malformed";
      case error::bad_port: return "endpoint port is not a number in 1..65535";
      case error::tls_unavailable: return "TLS requested but berth was built without OpenSSL";
      case error::tls_material: return "TLS CA, certificate or key file missing or unreadable";
      case error::tls_handshake: return "TLS handshake failed";
      case error::path_too_long: return "unix socket path longer than sun_path allows";
    }
    return "unknown berth.net error";
  }
};

constexpr std::string_view moby_host = "api.moby.localhost";
constexpr std::uint16_t docker_port = 2375;
constexpr std::uint16_t docker_tls_port = 2376;
// sun_path holds the path and its terminating NUL.
constexpr std::size_t sun_path_size = sizeof(sockaddr_un{}.sun_path);

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), lower-cased.
bool parse_scheme(std::string_view s, std::string& out) {
  if (s.empty() || !is_alpha(s[0])) return false;
  out.clear();
  for (char c : s) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
    out.push_back(to_lower(c));
  }
  return true;
}

bool is_reg_name(std::string_view h) noexcept {
  if (h.empty() || h.size() > 255) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_';
  });
}

bool is_ipv6(std::string_view h) {
  if (h.empty() || h.size() >= INET6_ADDRSTRLEN) return false;
  // Check the bytes first: inet_pton stops at an embedded NUL and would accept what follows.
  const bool text = std::all_of(h.begin(), h.end(), [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
  });
  if (!text) return false;
  const std::string z(h);
  in6_addr addr{};
  return ::inet_pton(AF_INET6, z.c_str(), &addr) == 1;
}

bool parse_port(std::string_view s, std::uint16_t& port) noexcept {
  if (s.empty()) return false;
  std::uint32_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
    if (v > 65535) return false;
  }
  if (v == 0) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

// host[:port] or [v6][:port]; the port stays 0 when absent.
std::error_code parse_authority(std::string_view a, endpoint& ep) {
  std::string_view host;
  std::string_view rest;  // ":port" or empty
  if (!a.empty() && a[0] == '[') {
    const auto close = a.find(']');
    if (close == std::string_view::npos) return error::bad_host;
    host = a.substr(1, close - 1);
    rest = a.substr(close + 1);
    if (!is_ipv6(host)) return error::bad_host;
    if (!rest.empty() && rest[0] != ':') return error::bad_host;
  } else {
    const auto colon = a.find(':');
    host = a.substr(0, colon);
    if (colon != std::string_view::npos) {
      rest = a.substr(colon);
      // An unbracketed IPv6 address, or a second port.
      if (rest.find(':', 1) != std::string_view::npos) return error::bad_host;
    }
    if (!is_reg_name(host)) return error::bad_host;
  }
  if (!rest.empty() && !parse_port(rest.substr(1), ep.port)) return error::bad_port;
  ep.host.assign(host);
  return {};
}

result<endpoint> parse_network(std::string_view rest, endpoint::transport kind,
                               std::uint16_t default_port) {
  if (rest.find_first_of("?#") != std::string_view::npos) return unexpected(error::bad_url);
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) return unexpected(error::bad_host);

  endpoint ep;
  ep.kind = kind;
  if (auto ec = parse_authority(authority, ep)) return unexpected(ec);
  if (ep.port == 0) ep.port = default_port;

  if (slash != std::string_view::npos) {
    std::string_view base = rest.substr(slash);
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    // The prefix goes into every request target: no spaces or control bytes.
    const bool clean = std::all_of(base.begin(), base.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u > 0x20 && u != 0x7f;
    });
    if (!clean) return unexpected(error::bad_url);
    ep.base_path.assign(base);
  }
  return ep;
}

bool readable_file(const std::filesystem::path& p) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return false;
  std::ifstream in(p, std::ios::binary);
  return in.is_open();
}

bool present(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec) || std::filesystem::is_symlink(p, ec);
}

std::optional<std::string> non_empty(const env_lookup& getenv, std::string_view name) {
  auto v = getenv(name);
  if (v && v->empty()) v.reset();
  return v;
}

}  // namespace

const std::error_category& category() noexcept {
  static const net_category_impl cat;
  return cat;
}

std::string endpoint::authority() const {
  if (kind == transport::unix_socket) return std::string(moby_host);
  std::string a;
  if (host.find(':') != std::string::npos) a.append("[").append(host).append("]");
  else a.append(host);
  a.append(":").append(std::to_string(port));
  return a;
}

std::string endpoint::to_string() const {
  if (kind == transport::unix_socket) return "unix://" + path;
  return (kind == transport::tls ? "tls://" : "tcp://") + authority() + base_path;
}

endpoint default_docker_endpoint() {
  endpoint ep;
  ep.kind = endpoint::transport::unix_socket;
  ep.path = "/var/run/docker.sock";
  return ep;
}

result<endpoint> parse_endpoint(std::string_view url, bool tls) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return unexpected(error::bad_url);
  std::string scheme;
  if (!parse_scheme(url.substr(0, sep), scheme)) return unexpected(error::bad_url);
  const std::string_view rest = url.substr(sep + 3);

  if (scheme == "unix") {
    if (rest.empty()) return unexpected(error::missing_path);
    if (rest.find('\0') != std::string_view::npos) return unexpected(error::bad_url);
    if (rest.size() >= sun_path_size) return unexpected(error::path_too_long);
    endpoint ep;
    ep.kind = endpoint::transport::unix_socket;
    ep.path.assign(rest);
    return ep;
  }
  // A TLS request applies to http:// as well, as in the Docker client: it is never dropped.
  if (scheme == "tcp" || scheme == "http") {
    const auto kind = tls ? endpoint::transport::tls : endpoint::transport::tcp;
    const std::uint16_t port = scheme == "http" ? 80 : (tls ? docker_tls_port : docker_port);
    return parse_network(rest, kind, port);
  }
  if (scheme == "https") return parse_network(rest, endpoint::transport::tls, 443);
  return unexpected(error::unsupported_scheme);
}

result<endpoint> endpoint_from_env(const env_lookup& getenv) {
  const auto host = non_empty(getenv, "DOCKER_HOST");
  const auto verify = non_empty(getenv, "DOCKER_TLS_VERIFY");
  const auto cert_path = non_empty(getenv, "DOCKER_CERT_PATH");
  const bool want_tls = verify.has_value() || cert_path.has_value();

  if (!host) return default_docker_endpoint();
  auto ep = parse_endpoint(*host, want_tls);
  if (!ep || ep->kind != endpoint::transport::tls || !want_tls) return ep;

  std::filesystem::path dir;
  if (cert_path) {
    dir = *cert_path;
  } else {
    const auto home = non_empty(getenv, "HOME");
    if (!home) return unexpected(error::tls_material);
    dir = std::filesystem::path(*home) / ".docker";
  }
  const auto ca = dir / "ca.pem";
  const auto cert = dir / "cert.pem";
  const auto key = dir / "key.pem";
  if (!readable_file(ca)) return unexpected(error::tls_material);
  ep->tls.verify = true;
  ep->tls.ca_file = ca.string();

  const bool have_cert = present(cert);
  const bool have_key = present(key);
  if (have_cert || have_key) {
    if (!readable_file(cert) || !readable_file(key)) return unexpected(error::tls_material);
    ep->tls.cert_file = cert.string();
    ep->tls.key_file = key.string();
  }
  return ep;
}

result<endpoint> endpoint_from_env() {
  return endpoint_from_env([](std::string_view name) -> std::optional<std::string> {
    const std::string n(name);
    if (const char* v = std::getenv(n.c_str())) return std::string(v);
    return std::nullopt;
  });
}

}  // namespace berth::net
