// runtime::client and detect.
#include "berth/runtime/client.hpp"

#include <sys/stat.h>

#include <cstdlib>

#include "backend.hpp"
#include "berth/config/context.hpp"
#include "berth_config.hpp"
#if BERTH_HAVE_CONTAINERD
#include "berth/runtime/containerd.hpp"
#endif

namespace berth::runtime {

namespace detail {
std::shared_ptr<backend> backend_of(client& c) { return c.backend_handle(); }
}  // namespace detail

client::client(engine::client docker, client_options opts) : b_(detail::make_docker(std::move(docker), std::move(opts))) {}

engine_kind client::kind() const noexcept { return b_->kind(); }
runtime::capabilities client::capabilities() const { return b_->caps(); }
const client_options& client::options() const noexcept { return b_->opts; }
engine::client* client::docker() noexcept { return detail::docker_of(*b_); }

result<preference> parse_preference(std::string_view s) {
  if (s.empty() || s == "auto") return preference::auto_;
  if (s == "docker") return preference::docker;
  if (s == "containerd") return preference::containerd;
  return unexpected(errc::invalid_argument);
}

namespace {

std::optional<std::string> env_of(const detect_options& o, std::string_view name) {
  if (o.getenv) return o.getenv(name);
  if (const char* v = std::getenv(std::string(name).c_str())) return std::string(v);
  return std::nullopt;
}

bool is_socket(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

std::string strip_unix(std::string a) {
  if (a.rfind("unix://", 0) == 0) a.erase(0, 7);
  return a;
}

/// One probe: a client for the engine, pinged within the probe timeout.
struct probe_result {
  std::optional<client> c;
  ping_info ping;
  std::string line;
};

/// Pings c within the probe timeout: r gets the client and what it said, and its line.
void ping_into(probe_result& r, client c, const detect_options& o, const std::string& head) {
  std::error_code ec;
  berth::diagnostics d;
  call_options co;
  co.diag = &d;
  co.timeouts.total = o.probe_timeout;
  auto p = c.run(op::ping{}, ec, co);
  r.line = head + ": " + (ec ? ec.message() + (d.message.empty() ? "" : " (" + d.message + ")") : "ok");
  if (!ec) {
    r.c = std::move(c);
    r.ping = std::move(p);
  }
}

probe_result probe_docker(const detect_options& o, std::optional<net::endpoint> ep) {
  probe_result r;
  if (!ep) {
    auto e = config::endpoint_from_context_env(o.getenv);
    if (!e) {
      r.line = "docker: " + e.error().message();
      return r;
    }
    ep = *e;
  }
  engine::client_options eo;
  if (auto v = env_of(o, "DOCKER_API_VERSION"); v && !v->empty()) {
    if (auto av = engine::api_version::parse(*v)) eo.version = *av;
  }
  ping_into(r, client(engine::client(*ep, eo), o.options), o, "docker at " + ep->to_string());
  return r;
}

#if BERTH_HAVE_CONTAINERD
probe_result probe_containerd(const detect_options& o, std::string address, std::string ns) {
  probe_result r;
  if (ns == "moby") {
    r.line = "containerd: namespace moby is dockerd's own; use Docker for its containers";
    return r;
  }
  containerd::client_options co;
  co.address = strip_unix(address);
  co.namespace_ = ns;
  if (!is_socket(co.address)) {
    r.line = "containerd at " + co.address + ": no socket there";
    return r;
  }
  ping_into(r, from_containerd(containerd::client(co), o.options), o,
            "containerd at " + co.address + " (namespace " + ns + ")");
  return r;
}
#endif

}  // namespace

result<detection> detect(detect_options o, berth::diagnostics* diag) {
  std::vector<std::string> probes;
  auto fail = [&](std::error_code ec, std::string head) -> result<detection> {
    if (diag) {
      std::string m = head;
      for (const auto& p : probes) m += "; " + p;
      diag->status = 0;
      diag->set_message(m);
    }
    return unexpected(ec);
  };
  auto ok = [&](probe_result& r, std::string why) -> result<detection> {
    detection d{std::move(*r.c), r.ping.endpoint, std::move(why), probes, std::move(r.ping)};
    return d;
  };
  const auto docker_host = env_of(o, "DOCKER_HOST");
  const auto docker_context = env_of(o, "DOCKER_CONTEXT");
  auto ctrd_address = !o.containerd_address.empty() ? std::optional<std::string>(o.containerd_address)
                                                    : env_of(o, "CONTAINERD_ADDRESS");
  if (ctrd_address && ctrd_address->empty()) ctrd_address.reset();
  auto ns = !o.containerd_namespace.empty() ? o.containerd_namespace
                                            : env_of(o, "CONTAINERD_NAMESPACE").value_or("default");
  if (ns.empty()) ns = "default";

  auto try_docker = [&](std::optional<net::endpoint> ep) {
    auto r = probe_docker(o, std::move(ep));
    probes.push_back(r.line);
    return r;
  };
#if BERTH_HAVE_CONTAINERD
  auto try_containerd = [&](std::string address) {
    auto r = probe_containerd(o, std::move(address), ns);
    probes.push_back(r.line);
    return r;
  };
  std::vector<std::string> ctrd_defaults{"/run/containerd/containerd.sock"};
  if (auto x = env_of(o, "XDG_RUNTIME_DIR"); x && !x->empty())
    ctrd_defaults.push_back(*x + "/containerd/containerd.sock");
#endif

  switch (o.preference) {
    case preference::docker: {
      auto r = try_docker(std::nullopt);
      if (r.c) return ok(r, "docker was asked for");
      return fail(errc::no_engine, "docker was asked for and does not answer");
    }
    case preference::containerd: {
#if BERTH_HAVE_CONTAINERD
      auto list = ctrd_address ? std::vector<std::string>{*ctrd_address} : ctrd_defaults;
      for (const auto& a : list) {
        auto r = try_containerd(a);
        if (r.c) return ok(r, ctrd_address ? "containerd was asked for (CONTAINERD_ADDRESS)" : "containerd was asked for");
      }
      return fail(errc::no_engine, "containerd was asked for and does not answer");
#else
      probes.push_back("containerd: this build of berth has no containerd backend");
      return fail(errc::unsupported, "containerd was asked for");
#endif
    }
    case preference::auto_: break;
  }
  // auto: what the user set says which engine they mean.
  if ((docker_host && !docker_host->empty()) || (docker_context && !docker_context->empty())) {
    auto r = try_docker(std::nullopt);
    auto why = docker_host && !docker_host->empty() ? "DOCKER_HOST is set" : "DOCKER_CONTEXT is set";
    if (r.c) return ok(r, why);
    return fail(errc::no_engine, std::string(why) + " and that engine does not answer (no other engine is tried)");
  }
#if BERTH_HAVE_CONTAINERD
  if (ctrd_address) {
    auto r = try_containerd(*ctrd_address);
    if (r.c) return ok(r, "CONTAINERD_ADDRESS is set");
    return fail(errc::no_engine, "CONTAINERD_ADDRESS is set and that engine does not answer (no other engine is tried)");
  }
#endif
  // Nothing set: the well-known sockets, Docker's first (the current context's, then the
  // rootless one), then containerd's.
  {
    auto r = try_docker(std::nullopt);
    if (r.c) return ok(r, "the first engine that answered (Docker's socket)");
    if (auto x = env_of(o, "XDG_RUNTIME_DIR"); x && !x->empty() && is_socket(*x + "/docker.sock")) {
      auto ep = net::parse_endpoint("unix://" + *x + "/docker.sock");
      if (ep) {
        auto r2 = try_docker(*ep);
        if (r2.c) return ok(r2, "the first engine that answered (rootless Docker)");
      }
    }
  }
#if BERTH_HAVE_CONTAINERD
  for (const auto& a : ctrd_defaults) {
    auto r = try_containerd(a);
    if (r.c) return ok(r, "the first engine that answered (containerd's socket)");
  }
#endif
  return fail(errc::no_engine, "no container engine answered");
}

}  // namespace berth::runtime
