#include "berth/kata/containerd.hpp"

#include <algorithm>
#include <random>

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "diag.hpp"

namespace berth::kata {
namespace {

namespace ctrd = containerd;

constexpr std::string_view runtime_plugin_prefix = "io.containerd.runtime.";
constexpr std::string_view shim_v2_plugin = "io.containerd.runtime.v2.task";
constexpr std::string_view linux_v1_plugin = "io.containerd.runtime.v1.linux";

using detail::set_diag;

std::string random_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string id = "berth-kata-";
  for (int i = 0; i < 16; ++i) id += digits[rng() & 15];
  return id;
}

// Step (3) on an inventory already fetched.
void finish(const prepared_container& p, const containerd_runtime_inventory& inv,
            std::error_code& ec, diagnostics* diag) {
  check_runtime(inv, p.options.runtime.name, ec, diag);
}

// Steps (1) to (3): the policy, the runtime inventory, the choice checked against it.
struct checked_container {
  prepared_container p;
  containerd_runtime_inventory inv;
};
checked_container check_all(ctrd::client& c, ctrd::container_options o, const runtime_choice& choice,
                            policy_report& report, std::error_code& ec, call_options opts) {
  checked_container out{prepare_container(std::move(o), choice, ec, opts.diag), {}};
  report = out.p.report;  // the refusals too, when the policy refused
  if (ec) return out;
  out.inv = containerd_runtimes(c, ec, opts);
  if (ec) return out;
  finish(out.p, out.inv, ec, opts.diag);
  return out;
}

// A run failed with ec (a containerd status) and containerd's message: turns a shim
// containerd cannot find into errc::runtime_unavailable. Returns true when it did.
bool map_shim_failure(std::string_view runtime, std::string_view message,
                      const containerd_runtime_inventory& inv, std::error_code& ec,
                      diagnostics* diag) {
  if (!is_shim_unavailable(message)) return false;
  ec = errc::runtime_unavailable;
  auto binary = shim_binary_name(runtime);
  set_diag(diag, "containerd cannot start runtime '" + std::string(runtime) + "'" +
                     (binary.empty() ? std::string() : " (shim binary " + binary + ")") +
                     ": " + std::string(message) + "; containerd offers: " + inv.to_string());
  return true;
}

// A failed client::run_container: ec and containerd's diagnostics of the failing call
// (cdiag, from run_options::diag) into *diag. A shim start failure comes back as UNKNOWN
// with a message is_shim_unavailable() knows: errc::runtime_unavailable.
void explain_run_failure(const std::string& id, std::string_view runtime,
                         const containerd_runtime_inventory& inv, const diagnostics& cdiag,
                         std::error_code& ec, diagnostics* diag) {
  if (cdiag.message.empty()) {  // berth's own failure (a FIFO, a timeout): no peer message
    set_diag(diag, "run container " + id + ": " + ec.message());
    return;
  }
  if (ec == ctrd::errc::unknown && map_shim_failure(runtime, cdiag.message, inv, ec, diag)) {
    if (diag) diag->status = cdiag.status;
    return;
  }
  if (diag) {
    *diag = cdiag;
    diag->set_message("containerd: " + cdiag.message);
  }
}

}  // namespace

// ---- settings, policy, runtime ----------------------------------------------------------

container_settings settings_of(const ctrd::container_options& o, const settings_options& opts) {
  container_settings s;
  s.privileged = o.privileged;
  if (o.host_pid) s.pid.mode = sharing::host;
  s.sysctls = o.sysctls;
  s.shm_size = o.shm_size;
  for (const auto& m : o.mounts) {
    mount_setting ms{m.type, m.type == "bind" ? m.source : std::string(), m.target};
    if (opts.stat_host_paths && ms.type == "bind") ms.source_kind = classify_host_path(ms.source);
    s.mounts.push_back(std::move(ms));
  }
  return s;
}

policy_report validate(const ctrd::container_options& o, const runtime_choice& choice,
                       std::error_code& ec, diagnostics* diag, const settings_options& opts) {
  return validate(settings_of(o, opts), choice, ec, diag);
}

policy_report validate(const ctrd::container_options& o, const runtime_choice& choice,
                       const settings_options& opts) {
  return validate(settings_of(o, opts), choice);
}

void apply_runtime(ctrd::container_options& o, const runtime_choice& choice, std::error_code& ec,
                   diagnostics* diag) {
  auto rt = containerd_runtime_of(choice);
  if (!rt) {
    ec = rt.error();
    set_diag(diag, "no containerd runtime name for " + choice.describe());
    return;
  }
  ec.clear();
  o.runtime.name = std::move(rt->name);
  o.runtime.options = rt->options ? ctrd::any_value{std::move(rt->options->type_url),
                                                    std::move(rt->options->value)}
                                  : ctrd::any_value{};
}

prepared_container prepare_container(ctrd::container_options o, const runtime_choice& choice,
                                     std::error_code& ec, diagnostics* diag,
                                     const settings_options& opts) {
  prepared_container p;
  p.report = validate(o, choice, ec, diag, opts);
  if (ec) return p;
  apply_runtime(o, choice, ec, diag);
  if (ec) return p;
  p.options = std::move(o);
  return p;
}

prepared_container prepare_container(ctrd::container_options o, const runtime_choice& choice,
                                     const settings_options& opts) {
  std::error_code ec;
  diagnostics diag;
  auto p = prepare_container(std::move(o), choice, ec, &diag, opts);
  throw_if(ec, diag);
  return p;
}

// ---- detection --------------------------------------------------------------------------

std::string shim_binary_name(std::string_view runtime) {
  if (!runtime.empty() && runtime.front() == '/') return std::string(runtime);
  // containerd's shim.BinaryName: "$prefix.name.version" -> containerd-shim-name-version;
  // fewer than two dot-separated parts, or an empty first one, is refused.
  auto last = runtime.rfind('.');
  if (last == std::string_view::npos || runtime.front() == '.') return {};
  auto before = runtime.substr(0, last);
  auto prev = before.rfind('.');
  auto name = prev == std::string_view::npos ? before : before.substr(prev + 1);
  return "containerd-shim-" + std::string(name) + "-" + std::string(runtime.substr(last + 1));
}

bool containerd_runtime_inventory::shim_v2() const {
  return std::find(plugins.begin(), plugins.end(), shim_v2_plugin) != plugins.end();
}

bool containerd_runtime_inventory::linux_v1() const {
  return std::find(plugins.begin(), plugins.end(), linux_v1_plugin) != plugins.end();
}

bool containerd_runtime_inventory::accepts(std::string_view name) const {
  if (name == linux_v1_plugin) return linux_v1();
  // containerd routes every other name to the v2 manager (services/tasks getRuntime).
  return shim_v2() && !shim_binary_name(name).empty();
}

std::string containerd_runtime_inventory::to_string() const {
  std::string s = "runtime plugins ";
  std::string list;
  for (const auto& p : plugins) list += (list.empty() ? "" : ", ") + p;
  s += list.empty() ? std::string("none") : list;
  for (const auto& [p, err] : failed) s += "; " + p + " failed to load: " + err;
  if (shim_v2())
    s += "; v2 shims resolve to containerd-shim-<name>-<version> on containerd's PATH (not "
         "listed by containerd)";
  return s;
}

containerd_runtime_inventory containerd_runtimes(const std::vector<ctrd::plugin_info>& plugins) {
  containerd_runtime_inventory inv;
  for (const auto& p : plugins) {
    if (p.type.substr(0, runtime_plugin_prefix.size()) != runtime_plugin_prefix) continue;
    std::string name = p.type + "." + p.id;
    if (p.init_error)
      inv.failed[name] = *p.init_error;
    else
      inv.plugins.push_back(std::move(name));
  }
  std::sort(inv.plugins.begin(), inv.plugins.end());
  return inv;
}

containerd_runtime_inventory containerd_runtimes(ctrd::client& c, std::error_code& ec,
                                                 call_options opts) {
  auto plugins = c.run(ctrd::op::plugin_list{}, ec, opts);
  if (ec) return {};
  return containerd_runtimes(plugins);
}

containerd_runtime_inventory containerd_runtimes(ctrd::client& c, call_options opts) {
  return containerd_runtimes(c.run(ctrd::op::plugin_list{}, opts));
}

void check_runtime(const containerd_runtime_inventory& inventory, std::string_view name,
                   std::error_code& ec, diagnostics* diag) {
  ec.clear();
  if (inventory.accepts(name)) return;
  ec = errc::runtime_unavailable;
  std::string why = shim_binary_name(name).empty() && name != linux_v1_plugin
                        ? "containerd takes io.containerd.<name>.<version> or an absolute shim path"
                        : "containerd has not loaded the runtime plugin for it";
  set_diag(diag, "runtime '" + std::string(name) + "' is not available: " + why +
                     "; containerd offers: " + inventory.to_string());
}

bool is_shim_unavailable(std::string_view m) {
  return m.find("binary not installed") != std::string_view::npos ||
         m.find("invalid runtime name") != std::string_view::npos ||
         m.find("invalid custom binary path") != std::string_view::npos;
}

// ---- create and run: blocking -----------------------------------------------------------

created_container create_container(ctrd::client& c, ctrd::container_options o,
                                   const runtime_choice& choice, std::error_code& ec,
                                   call_options opts) {
  created_container out;
  auto [p, inv] = check_all(c, std::move(o), choice, out.report, ec, opts);
  if (ec) return out;
  out.container = c.create_container(std::move(p.options), ec);
  if (ec) set_diag(opts.diag, "create container: " + ec.message());
  return out;
}

created_container create_container(ctrd::client& c, ctrd::container_options o,
                                   const runtime_choice& choice, call_options opts) {
  diagnostics local;
  if (!opts.diag) opts.diag = &local;
  std::error_code ec;
  auto out = create_container(c, std::move(o), choice, ec, opts);
  throw_if(ec, *opts.diag);
  return out;
}

run_outcome run_container(ctrd::client& c, ctrd::container_options o, const runtime_choice& choice,
                          ctrd::run_options run, std::error_code& ec, call_options opts) {
  run_outcome out;
  auto [p, inv] = check_all(c, std::move(o), choice, out.report, ec, opts);
  if (ec) return out;
  if (p.options.id.empty()) p.options.id = random_id();
  std::string id = p.options.id, runtime = p.options.runtime.name;
  diagnostics cdiag;
  if (!run.diag) run.diag = &cdiag;  // the caller's, when set: it gets containerd's words too
  const diagnostics* from = run.diag;
  out.result = c.run_container(std::move(p.options), std::move(run), ec);
  if (ec)
    explain_run_failure(id, runtime, inv, *from, ec, opts.diag);
  else if (opts.diag)
    opts.diag->clear();
  return out;
}

run_outcome run_container(ctrd::client& c, ctrd::container_options o, const runtime_choice& choice,
                          ctrd::run_options run, call_options opts) {
  diagnostics local;
  if (!opts.diag) opts.diag = &local;
  std::error_code ec;
  auto out = run_container(c, std::move(o), choice, std::move(run), ec, opts);
  throw_if(ec, *opts.diag);
  return out;
}

// ---- create and run: asynchronous -------------------------------------------------------
// Every op object is named before it is co_awaited (GCC 12 destroys braced temporaries of
// a co_await full-expression twice).

namespace detail {

asio::awaitable<result<containerd_runtime_inventory>> do_containerd_runtimes(ctrd::client c,
                                                                             call_options opts) {
  std::error_code ec;
  ctrd::op::plugin_list list;
  auto plugins = co_await c.async_run(std::move(list), opts,
                                      asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return unexpected(ec);
  co_return containerd_runtimes(plugins);
}

// check_all, awaited.
asio::awaitable<result<checked_container>> co_check_all(ctrd::client c, ctrd::container_options o,
                                                        runtime_choice choice, call_options opts) {
  std::error_code ec;
  auto p = prepare_container(std::move(o), choice, ec, opts.diag);
  if (ec) co_return unexpected(ec);
  auto inv = co_await do_containerd_runtimes(c, opts);
  if (!inv) co_return unexpected(inv.error());
  finish(p, *inv, ec, opts.diag);
  if (ec) co_return unexpected(ec);
  co_return checked_container{std::move(p), std::move(*inv)};
}

asio::awaitable<result<created_container>> do_create_container(ctrd::client c,
                                                                ctrd::container_options o,
                                                                runtime_choice choice,
                                                                call_options opts) {
  auto checked = co_await co_check_all(c, std::move(o), std::move(choice), opts);
  if (!checked) co_return unexpected(checked.error());
  auto& p = checked->p;
  std::error_code ec;
  created_container out;
  out.container = co_await c.async_create_container(std::move(p.options),
                                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    set_diag(opts.diag, "create container: " + ec.message());
    co_return unexpected(ec);
  }
  out.report = std::move(p.report);
  co_return out;
}

asio::awaitable<result<run_outcome>> do_run_container(ctrd::client c, ctrd::container_options o,
                                                      runtime_choice choice, ctrd::run_options run,
                                                      call_options opts) {
  auto checked = co_await co_check_all(c, std::move(o), std::move(choice), opts);
  if (!checked) co_return unexpected(checked.error());
  auto& p = checked->p;
  const auto* inv = &checked->inv;
  std::error_code ec;
  if (p.options.id.empty()) p.options.id = random_id();
  std::string id = p.options.id, runtime = p.options.runtime.name;
  diagnostics cdiag;  // in this frame: outlives the run
  if (!run.diag) run.diag = &cdiag;
  const diagnostics* from = run.diag;
  run_outcome out;
  out.result = co_await c.async_run_container(std::move(p.options), std::move(run),
                                              asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    explain_run_failure(id, runtime, *inv, *from, ec, opts.diag);
    co_return unexpected(ec);
  }
  if (opts.diag) opts.diag->clear();
  out.report = std::move(p.report);
  co_return out;
}

}  // namespace detail

}  // namespace berth::kata
