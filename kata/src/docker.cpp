#include "berth/kata/docker.hpp"

#include <algorithm>

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "berth/engine/op/system.hpp"
#include "diag.hpp"

namespace berth::kata {
namespace {

using detail::set_diag;

namespace_setting namespace_of(const std::optional<std::string>& mode) {
  namespace_setting ns;
  if (!mode) return ns;
  std::string_view m = *mode;
  if (m == "host") {
    ns.mode = sharing::host;
  } else if (m.substr(0, 10) == "container:") {
    ns.mode = sharing::joined;
    ns.target = std::string(m.substr(10));
  }
  return ns;
}

// A Binds entry: "source:target[:options]"; a source that is not an absolute path names a
// volume.
mount_setting mount_of_bind(std::string_view b) {
  mount_setting m;
  auto colon = b.find(':');
  std::string_view source = b.substr(0, colon);
  std::string_view rest = colon == std::string_view::npos ? std::string_view{} : b.substr(colon + 1);
  m.type = !source.empty() && source.front() == '/' ? "bind" : "volume";
  m.source = std::string(source);
  m.target = std::string(rest.substr(0, rest.find(':')));
  return m;
}

// Steps (1) and (2) of prepare_create: nothing here talks to the daemon.
prepared_create prepare_local(engine::container_create_body body, const runtime_choice& choice,
                              const docker_runtime_names& names, std::error_code& ec,
                              diagnostics* diag) {
  prepared_create p;
  p.report = validate(body, choice, ec, diag);
  if (ec) return p;
  apply_runtime(body, choice, names, ec, diag);
  if (ec) return p;
  p.body = std::move(body);
  return p;
}

// Step (3): the runtime the body names must be one the daemon has.
void finish(prepared_create& p, const engine::system_info& info, std::error_code& ec,
            diagnostics* diag) {
  check_runtime(docker_runtimes(info), p.body.host_config->runtime.value_or(""), ec, diag,
                &p.report);
}

}  // namespace

bool runtime_inventory::offers(std::string_view name) const {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string runtime_inventory::to_string() const {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  if (s.empty()) s = "none";
  if (!default_runtime.empty()) s += " (default: " + default_runtime + ")";
  return s;
}

result<std::string> docker_runtime_name(const runtime_choice& choice,
                                        const docker_runtime_names& names, diagnostics* diag) {
  std::string name;
  switch (choice.kind()) {
    case runtime_kind::runc:
      // BinaryName / SystemdCgroup / Root are dockerd settings (--add-runtime, daemon.json
      // runtimes.<name>, exec-opt native.cgroupdriver), not per-container ones.
      if (!choice.runc_opts().is_default()) {
        set_diag(diag, "runc options (binary name, systemd cgroups, root, no pivot root) are daemon "
                       "settings in Docker: register a runtime with them in daemon.json and choose "
                       "it by name");
        return unexpected(errc::unsupported_runtime_option);
      }
      name = names.runc;
      break;
    case runtime_kind::kata:
    case runtime_kind::other:
      // Docker 23+ takes runtime options (ConfigPath) only in daemon.json runtimes.<name>.
      if (!choice.config_path().empty()) {
        set_diag(diag, "config_path " + choice.config_path() +
                           ": Docker takes a runtime's configuration path only in daemon.json "
                           "(runtimes.<name>.options.ConfigPath); register it there and choose "
                           "that name");
        return unexpected(errc::unsupported_runtime_option);
      }
      name = choice.kind() == runtime_kind::kata ? names.kata : choice.name();
      break;
  }
  if (name.empty()) {
    set_diag(diag, "no Docker runtime name for " + choice.describe());
    return unexpected(errc::invalid_runtime);
  }
  return name;
}

void apply_runtime(engine::container_create_body& body, const runtime_choice& choice,
                   const docker_runtime_names& names, std::error_code& ec, diagnostics* diag) {
  auto name = docker_runtime_name(choice, names, diag);
  ec = name.error();
  if (ec) return;
  if (!body.host_config) body.host_config = engine::host_config{};
  body.host_config->runtime = std::move(*name);
}

container_settings settings_of(const engine::container_create_body& body,
                               const settings_options& opts) {
  container_settings s;
  if (!body.host_config) return s;
  const auto& h = *body.host_config;
  s.network = namespace_of(h.network_mode);
  s.pid = namespace_of(h.pid_mode);
  s.ipc = namespace_of(h.ipc_mode);
  s.uts = namespace_of(h.uts_mode);
  s.cgroupns = namespace_of(h.cgroupns_mode);
  if (h.links) s.links = *h.links;
  s.privileged = h.privileged.value_or(false);
  if (h.devices)
    for (const auto& d : *h.devices)
      s.devices.push_back({d.path_on_host.value_or(""), d.path_in_container.value_or("")});
  if (h.shm_size && *h.shm_size > 0) s.shm_size = h.shm_size;
  if (h.binds)
    for (const auto& b : *h.binds) s.mounts.push_back(mount_of_bind(b));
  if (h.mounts)
    for (const auto& m : *h.mounts)
      s.mounts.push_back({m.type.value_or("volume"), m.source.value_or(""), m.target.value_or("")});
  if (opts.stat_host_paths)
    for (auto& m : s.mounts)
      if (m.type == "bind") m.source_kind = classify_host_path(m.source);
  if (h.sysctls) s.sysctls = *h.sysctls;
  s.cgroup_parent = h.cgroup_parent.value_or("");
  if (h.security_opt) s.security_opt = *h.security_opt;
  s.blkio_weight = h.blkio_weight.value_or(0) != 0 ||
                   (h.blkio_weight_device && !h.blkio_weight_device->empty());
  return s;
}

policy_report validate(const engine::container_create_body& body, const runtime_choice& choice,
                       std::error_code& ec, diagnostics* diag, const settings_options& opts) {
  return validate(settings_of(body, opts), choice, ec, diag);
}

policy_report validate(const engine::container_create_body& body, const runtime_choice& choice,
                       const settings_options& opts) {
  return validate(settings_of(body, opts), choice);
}

runtime_inventory docker_runtimes(const engine::system_info& info) {
  runtime_inventory inv;
  if (info.runtimes)
    for (const auto& [name, rt] : *info.runtimes) inv.names.push_back(name);  // map: sorted
  inv.default_runtime = info.default_runtime.value_or("");
  return inv;
}

void check_runtime(const runtime_inventory& inventory, std::string_view name, std::error_code& ec,
                   diagnostics* diag, policy_report* report) {
  ec.clear();
  if (inventory.offers(name)) return;
  if (name.substr(0, 14) == "io.containerd.") {
    if (report)
      report->warnings.push_back(
          {"runtime", "shim name " + std::string(name) + " is not among the daemon's registered "
                      "runtimes (" + inventory.to_string() + "); Docker 23+ resolves shim names "
                      "itself at create", "Docker Engine: HostConfig.Runtime"});
    return;
  }
  ec = errc::runtime_unavailable;
  set_diag(diag, "the daemon has no runtime '" + std::string(name) + "'; it offers: " +
                     inventory.to_string());
}

runtime_inventory docker_runtimes(engine::client& c, std::error_code& ec, call_options opts) {
  auto info = c.run(engine::op::system_info{}, ec, opts);
  if (ec) return {};
  return docker_runtimes(info);
}

runtime_inventory docker_runtimes(engine::client& c, call_options opts) {
  return docker_runtimes(c.run(engine::op::system_info{}, opts));
}

prepared_create prepare_create(engine::client& c, engine::container_create_body body,
                               const runtime_choice& choice, const docker_runtime_names& names,
                               std::error_code& ec, call_options opts) {
  auto p = prepare_local(std::move(body), choice, names, ec, opts.diag);
  if (ec) return p;
  auto info = c.run(engine::op::system_info{}, ec, opts);
  if (ec) return p;
  finish(p, info, ec, opts.diag);
  return p;
}

prepared_create prepare_create(engine::client& c, engine::container_create_body body,
                               const runtime_choice& choice, const docker_runtime_names& names,
                               call_options opts) {
  diagnostics local;
  if (!opts.diag) opts.diag = &local;
  std::error_code ec;
  auto p = prepare_create(c, std::move(body), choice, names, ec, opts);
  throw_if(ec, *opts.diag);
  return p;
}

namespace detail {

asio::awaitable<result<runtime_inventory>> do_docker_runtimes(engine::client c, call_options opts) {
  std::error_code ec;
  auto info = co_await c.async_run(engine::op::system_info{}, opts,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return unexpected(ec);
  co_return docker_runtimes(info);
}

asio::awaitable<result<prepared_create>> do_prepare_create(engine::client c,
                                                           engine::container_create_body body,
                                                           runtime_choice choice,
                                                           docker_runtime_names names,
                                                           call_options opts) {
  std::error_code ec;
  auto p = prepare_local(std::move(body), choice, names, ec, opts.diag);
  if (ec) co_return unexpected(ec);
  auto info = co_await c.async_run(engine::op::system_info{}, opts,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return unexpected(ec);
  finish(p, info, ec, opts.diag);
  if (ec) co_return unexpected(ec);
  co_return p;
}

}  // namespace detail

}  // namespace berth::kata
