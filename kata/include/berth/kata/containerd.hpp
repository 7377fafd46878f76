// Runtime selection through containerd: the runtime's shim name and options go into
// Container.Runtime {name, options} at create (copied from containerd_runtime_of()), and
// the Kata policy runs first, before any gRPC call. Built only with the containerd
// backend (BERTH_HAVE_CONTAINERD).
//
//   berth::containerd::client c;                       // CONTAINERD_ADDRESS, ...
//   berth::containerd::container_options o{.id = "k1", .image = "127.0.0.1:5000/busybox:latest",
//                                          .args = {"echo", "hi"}};
//   auto out = berth::kata::run_container(c, o, berth::kata::runtime_choice::kata(), {});
//   // ran under io.containerd.kata.v2; out.report.warnings: what Kata does differently
//
// What containerd can and cannot tell about runtimes (checked against containerd 1.6.20):
// - Introspection.Plugins lists the runtime *plugins*: io.containerd.runtime.v2 "task"
//   (the shim v2 manager, which accepts any shim name) and io.containerd.runtime.v1
//   "linux" (the legacy runtime), each with its init error when it failed to load.
// - Shims are not plugins: containerd resolves a shim name io.containerd.<name>.<version>
//   to the binary containerd-shim-<name>-<version> on its own PATH (or beside its own
//   executable) only inside Tasks.Create, just before it starts the shim. No 1.6 API lists
//   shims or resolves a name without starting the shim (containerd 2.x adds
//   Introspection.PluginInfo, which runs the shim with -info; 1.6 lacks it), so a
//   runtime_choice cannot be proven present before a task is created. berth does not
//   probe by starting a throwaway task: for Kata that boots a VM.
// - A missing shim therefore surfaces at task create, as gRPC UNKNOWN with containerd's
//   message, e.g. `failed to start shim: failed to resolve runtime path: runtime
//   "io.containerd.nosuch.v1" binary not installed "containerd-shim-nosuch-v1": file does
//   not exist: unknown`. run_container() maps that (and containerd's "invalid runtime name",
//   "invalid custom binary path") to errc::runtime_unavailable, with containerd's words and
//   what containerd offers in the diagnostics (containerd's message comes from the failed
//   Tasks.Create itself, through containerd::run_options::diag).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>

#include "berth/containerd/client.hpp"
#include "berth/core/async.hpp"
#include "berth/core/call_options.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/kata/policy.hpp"
#include "berth/kata/runtime.hpp"

namespace berth::kata {

// ---- settings, policy, runtime: no daemon call ------------------------------------------

/// The engine-neutral settings of container_options: mounts (bind sources classified when
/// opts.stat_host_paths), privileged, the host PID namespace (host_pid), sysctls and the
/// /dev/shm size. The ipc, uts, mount and network namespaces are always the container's
/// own in berth's spec.
BERTH_API container_settings settings_of(const containerd::container_options& o,
                               const settings_options& opts = {});

/// The Kata policy over container_options (settings_of, then validate): no daemon call.
BERTH_API policy_report validate(const containerd::container_options& o, const runtime_choice& choice,
                       std::error_code& ec, diagnostics* diag = nullptr,
                       const settings_options& opts = {});
/// Same; throws berth::error on a refusal.
BERTH_API policy_report validate(const containerd::container_options& o, const runtime_choice& choice,
                       const settings_options& opts = {});

/// Sets o.runtime to containerd_runtime_of(choice): the shim name, and the options Any
/// (bare type URL) or none. On failure (errc::invalid_runtime) o is untouched.
BERTH_API void apply_runtime(containerd::container_options& o, const runtime_choice& choice,
                   std::error_code& ec, diagnostics* diag = nullptr);

/// What prepare_container() hands back: the options to create and the policy's findings.
struct BERTH_API prepared_container {
  containerd::container_options options{};
  policy_report report{};
};

/// The policy of choice over o (refusal: errc::unsupported_setting), then apply_runtime.
/// No daemon call.
BERTH_API prepared_container prepare_container(containerd::container_options o, const runtime_choice& choice,
                                     std::error_code& ec, diagnostics* diag = nullptr,
                                     const settings_options& opts = {});
/// Same; throws berth::error.
BERTH_API prepared_container prepare_container(containerd::container_options o, const runtime_choice& choice,
                                     const settings_options& opts = {});

// ---- detection --------------------------------------------------------------------------

/// The binary containerd looks for to run runtime name (shim.BinaryName in containerd's
/// runtime/v2/shim): "io.containerd.kata.v2" -> "containerd-shim-kata-v2"; an absolute
/// path is returned as it is; empty when containerd would refuse the name ("kata").
BERTH_API std::string shim_binary_name(std::string_view runtime);

/// What a containerd says about its runtimes (see the top of this header for what it
/// cannot say).
struct BERTH_API containerd_runtime_inventory {
  /// Loaded runtime plugins as "<type>.<id>" ("io.containerd.runtime.v2.task"), sorted.
  std::vector<std::string> plugins{};
  /// Runtime plugins that failed to load: "<type>.<id>" -> containerd's init error.
  std::map<std::string, std::string> failed{};

  /// The shim v2 manager is loaded: shim names and absolute shim paths are accepted.
  bool shim_v2() const;
  /// The legacy runtime is loaded: "io.containerd.runtime.v1.linux" is accepted.
  bool linux_v1() const;
  /// containerd would try name at task create (a v2 shim name or path with shim_v2(), or
  /// the v1 runtime with linux_v1()). Does not mean the shim binary is installed.
  bool accepts(std::string_view name) const;
  /// "runtime plugins io.containerd.runtime.v1.linux, io.containerd.runtime.v2.task; v2
  /// shims resolve to containerd-shim-<name>-<version> on containerd's PATH (not listed)".
  std::string to_string() const;
  bool operator==(const containerd_runtime_inventory&) const = default;
};

/// The runtime plugins among an Introspection.Plugins answer.
BERTH_API containerd_runtime_inventory containerd_runtimes(const std::vector<containerd::plugin_info>& plugins);
/// Introspection.Plugins (type io.containerd.runtime.*). Blocking; sets ec (and opts.diag).
BERTH_API containerd_runtime_inventory containerd_runtimes(containerd::client& c, std::error_code& ec,
                                                 call_options opts = {});
/// Blocking; throws berth::error.
BERTH_API containerd_runtime_inventory containerd_runtimes(containerd::client& c, call_options opts = {});

/// Fails with errc::runtime_unavailable when inventory does not accept name (diag names
/// what containerd offers). Passing says nothing about the shim binary (see above).
BERTH_API void check_runtime(const containerd_runtime_inventory& inventory, std::string_view name,
                   std::error_code& ec, diagnostics* diag = nullptr);

/// True when message is containerd's answer to a Tasks.Create whose shim it cannot find or
/// start by that name: "binary not installed", "invalid runtime name", "invalid custom
/// binary path".
BERTH_API bool is_shim_unavailable(std::string_view containerd_message);

// ---- create and run ---------------------------------------------------------------------

/// What create_container() hands back.
struct BERTH_API created_container {
  containerd::container container{};
  policy_report report{};
};

/// What run_container() hands back.
struct BERTH_API run_outcome {
  containerd::run_result result{};
  policy_report report{};
};

/// Everything up to a container record, in this order: (1) the policy of choice over o (no
/// daemon call; errc::unsupported_setting), (2) the runtime from containerd_runtime_of
/// (errc::invalid_runtime), (3) Introspection.Plugins and check_runtime
/// (errc::runtime_unavailable), (4) client::create_container. The shim is not started
/// (containerd resolves it at task create). Blocking; sets ec and opts.diag on failure.
BERTH_API created_container create_container(containerd::client& c, containerd::container_options o,
                                   const runtime_choice& choice, std::error_code& ec,
                                   call_options opts = {});
/// Blocking; throws berth::error.
BERTH_API created_container create_container(containerd::client& c, containerd::container_options o,
                                   const runtime_choice& choice, call_options opts = {});

/// Steps (1) to (3) of create_container, then client::run_container (create, task, start,
/// output to run.on_output, wait, remove when run.remove). A shim containerd cannot find
/// fails with errc::runtime_unavailable; opts.diag then holds containerd's message and what
/// it offers. containerd's message is the failing call's, read through run.diag (a
/// diagnostics of its own when run.diag is unset; when set, run.diag gets containerd's
/// message as it came): a Tasks.Create answered UNKNOWN whose message is_shim_unavailable()
/// knows is the missing shim; any other containerd failure keeps its code, with "containerd:
/// <message>" in opts.diag. Nothing is sent to find out. An id is generated when o.id is
/// empty. Blocking; sets ec and opts.diag on failure.
BERTH_API run_outcome run_container(containerd::client& c, containerd::container_options o,
                          const runtime_choice& choice, containerd::run_options run,
                          std::error_code& ec, call_options opts = {});
/// Blocking; throws berth::error.
BERTH_API run_outcome run_container(containerd::client& c, containerd::container_options o,
                          const runtime_choice& choice, containerd::run_options run = {},
                          call_options opts = {});

namespace detail {
BERTH_API asio::awaitable<result<containerd_runtime_inventory>> do_containerd_runtimes(containerd::client c,
                                                                             call_options opts);
BERTH_API asio::awaitable<result<created_container>> do_create_container(containerd::client c,
                                                                containerd::container_options o,
                                                                runtime_choice choice,
                                                                call_options opts);
BERTH_API asio::awaitable<result<run_outcome>> do_run_container(containerd::client c,
                                                      containerd::container_options o,
                                                      runtime_choice choice,
                                                      containerd::run_options run,
                                                      call_options opts);
}  // namespace detail

/// containerd_runtimes, asynchronously. Completion: void(std::error_code,
/// containerd_runtime_inventory). Cancellation: as containerd::client::async_run.
template <class CompletionToken>
auto async_containerd_runtimes(containerd::client& c, call_options opts, CompletionToken&& token) {
  return berth::detail::initiate<containerd_runtime_inventory>(
      c.get_executor(), [c, opts] { return detail::do_containerd_runtimes(c, opts); },
      std::forward<CompletionToken>(token));
}

/// create_container, asynchronously. Completion: void(std::error_code, created_container).
/// A refusal by the policy completes without any gRPC call. opts.diag, when set, must
/// outlive the operation. Cancellation: as containerd::client::async_run, per call.
template <class CompletionToken>
auto async_create_container(containerd::client& c, containerd::container_options o,
                            runtime_choice choice, call_options opts, CompletionToken&& token) {
  return berth::detail::initiate<created_container>(
      c.get_executor(),
      [c, o = std::move(o), choice = std::move(choice), opts]() mutable {
        return detail::do_create_container(c, std::move(o), std::move(choice), opts);
      },
      std::forward<CompletionToken>(token));
}

/// run_container, asynchronously. Completion: void(std::error_code, run_outcome). A
/// refusal by the policy completes without any gRPC call. opts.diag, when set, must
/// outlive the operation. Cancellation: as containerd::client::async_run_container.
template <class CompletionToken>
auto async_run_container(containerd::client& c, containerd::container_options o,
                         runtime_choice choice, containerd::run_options run, call_options opts,
                         CompletionToken&& token) {
  return berth::detail::initiate<run_outcome>(
      c.get_executor(),
      [c, o = std::move(o), choice = std::move(choice), run = std::move(run), opts]() mutable {
        return detail::do_run_container(c, std::move(o), std::move(choice), std::move(run), opts);
      },
      std::forward<CompletionToken>(token));
}

}  // namespace berth::kata
