// Runtime selection through the Docker Engine API: the runtime's registered name goes into
// HostConfig.Runtime, the daemon's registered runtimes (GET /info → Runtimes) are checked
// before create, and the Kata policy runs first, before any daemon call.
//
//   auto docker = berth::engine::client::from_env().value();
//   berth::engine::container_create_body body{.cmd = ..., .image = "busybox"};
//   auto prepared = berth::kata::prepare_create(docker, std::move(body),
//                                               berth::kata::runtime_choice::kata());
//   // prepared.body.host_config->runtime == "kata"; prepared.report.warnings: differences
//   auto created = docker.run(berth::engine::op::container_create{.body = prepared.body});
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>

#include "berth/core/async.hpp"
#include "berth/core/call_options.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/engine/client.hpp"
#include "berth/engine/models.hpp"
#include "berth/kata/policy.hpp"
#include "berth/kata/runtime.hpp"

namespace berth::kata {

/// Which name the daemon registered each runtime under: the explicit mapping from a
/// runtime_choice to HostConfig.Runtime. A named runtime_choice is used as it is.
struct BERTH_API docker_runtime_names {
  /// The daemon's runc ("runc" unless daemon.json says otherwise).
  std::string runc = "runc";
  /// Kata: "kata" is what this project's dockerd registers (--add-runtime kata=...). A
  /// daemon configured from Kata's docs may use another name ("kata-qemu", ...), and
  /// Docker 23+ also accepts the shim name "io.containerd.kata.v2" directly.
  std::string kata = "kata";

  bool operator==(const docker_runtime_names&) const = default;
};

/// The runtimes an engine offers.
struct BERTH_API runtime_inventory {
  std::vector<std::string> names{};  ///< Sorted.
  std::string default_runtime{};     ///< The engine's default, when it says.

  bool offers(std::string_view name) const;
  /// "kata, runc (default: runc)".
  std::string to_string() const;
  bool operator==(const runtime_inventory&) const = default;
};

/// What prepare_create() hands back: the body to create and the policy's findings.
struct BERTH_API prepared_create {
  engine::container_create_body body{};
  policy_report report{};
};

/// The daemon name for choice under names. Fails with errc::unsupported_runtime_option
/// when choice carries options Docker only takes in the daemon's configuration (runc
/// options, a Kata configuration path: daemon.json runtimes.\<name\>.options), and with
/// errc::invalid_runtime for an empty name. diag, when set, says which option.
BERTH_API result<std::string> docker_runtime_name(const runtime_choice& choice,
                                        const docker_runtime_names& names = {},
                                        diagnostics* diag = nullptr);

/// Sets body.HostConfig.Runtime to the daemon name of choice (creating HostConfig when
/// absent). On failure (see docker_runtime_name) body is untouched and ec is set.
BERTH_API void apply_runtime(engine::container_create_body& body, const runtime_choice& choice,
                   const docker_runtime_names& names, std::error_code& ec,
                   diagnostics* diag = nullptr);

/// The engine-neutral settings of a create body: NetworkMode, PidMode, IpcMode, UTSMode,
/// CgroupnsMode ("host", "container:<id>"), Links, Privileged, Devices, ShmSize, Binds and
/// Mounts, Sysctls, CgroupParent, SecurityOpt, BlkioWeight(Device).
BERTH_API container_settings settings_of(const engine::container_create_body& body,
                               const settings_options& opts = {});

/// The Kata policy over a create body (settings_of, then validate): no daemon call.
BERTH_API policy_report validate(const engine::container_create_body& body, const runtime_choice& choice,
                       std::error_code& ec, diagnostics* diag = nullptr,
                       const settings_options& opts = {});
/// Same; throws berth::error on a refusal.
BERTH_API policy_report validate(const engine::container_create_body& body, const runtime_choice& choice,
                       const settings_options& opts = {});

/// The runtimes a daemon's /info lists (Runtimes, DefaultRuntime).
BERTH_API runtime_inventory docker_runtimes(const engine::system_info& info);

/// Fails with errc::runtime_unavailable when inventory lacks name; diag->message then
/// names the runtimes the daemon does have. A containerd shim name ("io.containerd.*")
/// that /info does not list passes with a warning in *report (Docker 23+ resolves shim
/// names itself, /info does not list them).
BERTH_API void check_runtime(const runtime_inventory& inventory, std::string_view name, std::error_code& ec,
                   diagnostics* diag = nullptr, policy_report* report = nullptr);

/// GET /info, reduced to the runtimes. Blocking; sets ec (and opts.diag) on failure.
BERTH_API runtime_inventory docker_runtimes(engine::client& c, std::error_code& ec, call_options opts = {});
/// Blocking; throws berth::error.
BERTH_API runtime_inventory docker_runtimes(engine::client& c, call_options opts = {});

/// Everything before a create, in this order: (1) the policy of choice over body (no
/// daemon call; refusal: errc::unsupported_setting), (2) HostConfig.Runtime from names
/// (errc::unsupported_runtime_option), (3) GET /info and the runtime's presence
/// (errc::runtime_unavailable listing the daemon's runtimes). Blocking; sets ec and
/// opts.diag on failure.
BERTH_API prepared_create prepare_create(engine::client& c, engine::container_create_body body,
                               const runtime_choice& choice, const docker_runtime_names& names,
                               std::error_code& ec, call_options opts = {});
/// Blocking; throws berth::error.
BERTH_API prepared_create prepare_create(engine::client& c, engine::container_create_body body,
                               const runtime_choice& choice, const docker_runtime_names& names = {},
                               call_options opts = {});

namespace detail {
BERTH_API asio::awaitable<result<runtime_inventory>> do_docker_runtimes(engine::client c, call_options opts);
BERTH_API asio::awaitable<result<prepared_create>> do_prepare_create(engine::client c,
                                                           engine::container_create_body body,
                                                           runtime_choice choice,
                                                           docker_runtime_names names,
                                                           call_options opts);
}  // namespace detail

/// GET /info, reduced to the runtimes. Completion: void(std::error_code, runtime_inventory).
/// The operation holds a copy of c (a handle to the same client). Cancellation: as
/// engine::client::async_run.
template <class CompletionToken>
auto async_docker_runtimes(engine::client& c, call_options opts, CompletionToken&& token) {
  return berth::detail::initiate<runtime_inventory>(
      c.get_executor(), [c, opts] { return detail::do_docker_runtimes(c, opts); },
      std::forward<CompletionToken>(token));
}

/// prepare_create, asynchronously. Completion: void(std::error_code, prepared_create).
/// The policy and name steps complete without touching the daemon. The operation
/// holds a copy of c (a handle to the same client). Cancellation: terminal, during the GET /info (as engine::client::async_run).
template <class CompletionToken>
auto async_prepare_create(engine::client& c, engine::container_create_body body,
                          runtime_choice choice, docker_runtime_names names, call_options opts,
                          CompletionToken&& token) {
  return berth::detail::initiate<prepared_create>(
      c.get_executor(),
      [c, body = std::move(body), choice = std::move(choice), names = std::move(names),
       opts]() mutable {
        return detail::do_prepare_create(c, std::move(body), std::move(choice), std::move(names),
                                         opts);
      },
      std::forward<CompletionToken>(token));
}

}  // namespace berth::kata
