// Fuzz target for berth::net::parse_endpoint and endpoint_from_env.
//
// Input: [flags byte][URL]. Invariants: a parsed endpoint is well-formed (non-empty unix
// path that fits sun_path, non-empty host, port in 1..65535, base path without a trailing
// '/'), its to_string() parses back to the same endpoint, errors are berth.net codes, and
// endpoint_from_env agrees with parse_endpoint. No file is read: the certificate
// directory does not exist.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "berth/net/endpoint.hpp"
#include "fuzz_assert.hpp"

namespace net = berth::net;
using transport = net::endpoint::transport;

namespace {

bool same(const net::endpoint& a, const net::endpoint& b) {
  return a.kind == b.kind && a.path == b.path && a.host == b.host && a.port == b.port &&
         a.base_path == b.base_path && a.tls.verify == b.tls.verify &&
         a.tls.ca_file == b.tls.ca_file && a.tls.cert_file == b.tls.cert_file &&
         a.tls.key_file == b.tls.key_file && a.tls.server_name == b.tls.server_name;
}

bool same(const berth::result<net::endpoint>& a, const berth::result<net::endpoint>& b) {
  if (a.has_value() != b.has_value()) return false;
  return a.has_value() ? same(*a, *b) : a.error() == b.error();
}

net::env_lookup env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool tls = (data[0] & 1) != 0;
  const std::string_view url(reinterpret_cast<const char*>(data) + 1, size - 1);

  const auto r = net::parse_endpoint(url, tls);
  if (!r) {
    BERTH_FUZZ_ASSERT(&r.error().category() == &net::category());
    BERTH_FUZZ_ASSERT(!r.error().message().empty());
  } else {
    const net::endpoint& ep = *r;
    BERTH_FUZZ_ASSERT(!ep.authority().empty());
    if (ep.kind == transport::unix_socket) {
      BERTH_FUZZ_ASSERT(!ep.path.empty() && ep.path.size() < 108);
      BERTH_FUZZ_ASSERT(ep.path.find('\0') == std::string::npos);
      BERTH_FUZZ_ASSERT(ep.host.empty() && ep.port == 0 && ep.base_path.empty());
      BERTH_FUZZ_ASSERT(ep.authority() == "api.moby.localhost");
    } else {
      BERTH_FUZZ_ASSERT(ep.path.empty());
      BERTH_FUZZ_ASSERT(!ep.host.empty() && ep.port != 0);
      BERTH_FUZZ_ASSERT(ep.base_path.empty() || (ep.base_path.front() == '/' && ep.base_path.back() != '/'));
      BERTH_FUZZ_ASSERT(ep.tls.verify);
      BERTH_FUZZ_ASSERT(ep.authority().find_first_of(" \r\n/@") == std::string::npos);
      if (tls) BERTH_FUZZ_ASSERT(ep.kind == transport::tls);
    }
    // to_string() parses back ("tls://" is display only: it is tcp:// with TLS on).
    std::string s = ep.to_string();
    const bool is_tls = s.rfind("tls://", 0) == 0;
    if (is_tls) s.replace(0, 3, "tcp");
    const auto back = net::parse_endpoint(s, is_tls);
    BERTH_FUZZ_ASSERT(back.has_value());
    BERTH_FUZZ_ASSERT(same(*back, ep));
  }

  // endpoint_from_env agrees with parse_endpoint, and asks for files only with TLS on.
  const std::string host(url);
  const auto plain = net::endpoint_from_env(env({{"DOCKER_HOST", host}}));
  if (host.empty()) {
    BERTH_FUZZ_ASSERT(plain && same(*plain, net::default_docker_endpoint()));
    return 0;
  }
  BERTH_FUZZ_ASSERT(same(plain, net::parse_endpoint(url, false)));

  const auto with_tls = net::endpoint_from_env(env({{"DOCKER_HOST", host},
                                                    {"DOCKER_TLS_VERIFY", "1"},
                                                    {"DOCKER_CERT_PATH", "/nonexistent/berth-fuzz"}}));
  const auto parsed_tls = net::parse_endpoint(url, true);
  if (!parsed_tls) BERTH_FUZZ_ASSERT(same(with_tls, parsed_tls));
  else if (parsed_tls->kind == transport::unix_socket) BERTH_FUZZ_ASSERT(same(with_tls, parsed_tls));
  else BERTH_FUZZ_ASSERT(!with_tls && with_tls.error() == net::error::tls_material);
  return 0;
}
