// Docker CLI configuration: config directory, contexts, and the config error category.
#include "berth/config/context.hpp"

#include "berth/io/sha256.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <memory>

#include <rapidjson/document.h>

#include "config_file.hpp"

namespace berth::config {

namespace {
class category_impl : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.config"; }
  std::string message(int c) const override {
    switch (static_cast<error>(c)) {
      case error::bad_config: return "malformed Docker CLI configuration";
      case error::context_not_found: return "Docker context not found";
      case error::bad_context: return "malformed Docker context metadata";
      case error::helper_not_found: return "credential helper not found";
      case error::helper_failed: return "credential helper failed";
      case error::helper_timeout: return "credential helper timed out";
      case error::credentials_not_found: return "no credentials stored for the registry";
    }
    return "unknown config error";
  }
};

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}
}  // namespace

const std::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

namespace detail {

std::optional<std::string> env_get(const net::env_lookup& getenv, std::string_view name) {
  if (getenv) return getenv(name);
  const char* v = std::getenv(std::string(name).c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

result<std::optional<std::string>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!exists(path)) return std::optional<std::string>{};
    return unexpected(error::bad_config);
  }
  return std::optional<std::string>(
      std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

}  // namespace detail

std::string docker_config_dir(const net::env_lookup& getenv) {
  if (auto d = detail::env_get(getenv, "DOCKER_CONFIG"); d && !d->empty()) return *d;
  auto home = detail::env_get(getenv, "HOME");
  return (home && !home->empty() ? *home : std::string("/root")) + "/.docker";
}

std::string context_dir_name(std::string_view name) { return io::sha256_hex(name); }

result<std::string> current_context_name(const net::env_lookup& getenv) {
  if (auto c = detail::env_get(getenv, "DOCKER_CONTEXT"); c && !c->empty()) return *c;
  auto text = detail::read_file(docker_config_dir(getenv) + "/config.json");
  if (!text) return unexpected(text.error());
  if (!*text) return std::string("default");
  rapidjson::Document d;
  d.Parse((*text)->data(), (*text)->size());
  if (d.HasParseError() || !d.IsObject()) return unexpected(error::bad_config);
  auto m = d.FindMember("currentContext");
  if (m != d.MemberEnd() && m->value.IsString() && m->value.GetStringLength() > 0)
    return std::string(m->value.GetString(), m->value.GetStringLength());
  return std::string("default");
}

result<docker_context> load_context(std::string_view name, const net::env_lookup& getenv) {
  docker_context ctx;
  ctx.name = std::string(name);
  if (name == "default") return ctx;
  std::string dir = docker_config_dir(getenv) + "/contexts";
  std::string hash = context_dir_name(name);
  auto text = detail::read_file(dir + "/meta/" + hash + "/meta.json");
  if (!text) return unexpected(text.error());
  if (!*text) return unexpected(error::context_not_found);
  rapidjson::Document d;
  d.Parse((*text)->data(), (*text)->size());
  if (d.HasParseError() || !d.IsObject()) return unexpected(error::bad_context);
  auto eps = d.FindMember("Endpoints");
  if (eps == d.MemberEnd() || !eps->value.IsObject()) return unexpected(error::bad_context);
  auto docker = eps->value.FindMember("docker");
  if (docker == eps->value.MemberEnd() || !docker->value.IsObject())
    return unexpected(error::bad_context);
  auto host = docker->value.FindMember("Host");
  if (host == docker->value.MemberEnd() || !host->value.IsString())
    return unexpected(error::bad_context);
  ctx.host.assign(host->value.GetString(), host->value.GetStringLength());
  auto skip = docker->value.FindMember("SkipTLSVerify");
  if (skip != docker->value.MemberEnd() && skip->value.IsBool()) ctx.skip_tls_verify = skip->value.GetBool();
  std::string tls = dir + "/tls/" + hash + "/docker/";
  if (exists(tls + "ca.pem")) ctx.ca_file = tls + "ca.pem";
  if (exists(tls + "cert.pem")) ctx.cert_file = tls + "cert.pem";
  if (exists(tls + "key.pem")) ctx.key_file = tls + "key.pem";
  return ctx;
}

result<net::endpoint> context_endpoint(const docker_context& ctx, const net::env_lookup& getenv) {
  if (ctx.host.empty()) {
    // The default context: what the environment (without DOCKER_HOST) says.
    if (getenv) return net::endpoint_from_env(getenv);
    return net::endpoint_from_env();
  }
  bool has_tls = !ctx.ca_file.empty() || !ctx.cert_file.empty();
  auto ep = net::parse_endpoint(ctx.host, has_tls);
  if (!ep) return ep;
  if (has_tls && ep->kind == net::endpoint::transport::tcp) ep->kind = net::endpoint::transport::tls;
  if (ep->kind == net::endpoint::transport::tls) {
    ep->tls.verify = !ctx.skip_tls_verify;
    ep->tls.ca_file = ctx.ca_file;
    ep->tls.cert_file = ctx.cert_file;
    ep->tls.key_file = ctx.key_file;
  }
  return ep;
}

result<net::endpoint> endpoint_from_context_env(const net::env_lookup& getenv) {
  if (auto h = detail::env_get(getenv, "DOCKER_HOST"); h && !h->empty())
    return getenv ? net::endpoint_from_env(getenv) : net::endpoint_from_env();
  auto name = current_context_name(getenv);
  if (!name) return unexpected(name.error());
  auto ctx = load_context(*name, getenv);
  if (!ctx) return unexpected(ctx.error());
  return context_endpoint(*ctx, getenv);
}

}  // namespace berth::config
