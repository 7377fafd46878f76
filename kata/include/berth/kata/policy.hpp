// The Kata policy: what a VM-isolated runtime cannot honour is refused before any daemon
// call, and what it honours differently is reported as a warning.
//
// The input is engine-neutral (container_settings): the Docker backend derives it from a
// container_create_body (berth/kata/docker.hpp), the containerd backend from the OCI spec
// it is about to send. The rules and the documents they come from are listed in
// policy.cpp; every finding names its source.
//
//   berth::kata::container_settings s;
//   s.network.mode = berth::kata::sharing::host;
//   std::error_code ec;
//   berth::diagnostics diag;
//   auto report = berth::kata::validate(s, berth::kata::runtime_choice::kata(), ec, &diag);
//   // ec == berth::kata::errc::unsupported_setting, diag.message starts with "network: "
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "berth/core/error.hpp"
#include "berth/core/export.hpp"
#include "berth/kata/runtime.hpp"

namespace berth::kata {

/// How a container's namespace relates to others.
enum class sharing {
  isolated,  ///< A namespace of its own (Docker: private, none, bridge, a user network...).
  host,      ///< The host's namespace (Docker: "host"; OCI: no namespace entry).
  joined,    ///< Another container's (Docker: "container:<id>"; OCI: a namespace path).
};

/// One namespace setting.
struct BERTH_API namespace_setting {
  sharing mode = sharing::isolated;
  std::string target{};  ///< The container or namespace path joined (sharing::joined).

  bool operator==(const namespace_setting&) const = default;
};

/// What a mount's host-side source is, when the caller knows (or classify_host_path()
/// found out on the engine's host).
enum class host_path_kind {
  unknown,       ///< Not known: the policy falls back on the path (/dev/..., *.sock, ...).
  directory,
  regular_file,
  socket,        ///< A unix domain socket.
  fifo,          ///< A named pipe.
  char_device,
  block_device,
};

/// One mount of the container.
struct BERTH_API mount_setting {
  std::string type = "bind";  ///< "bind" (a host path), "volume", "tmpfs", ...
  std::string source{};       ///< For a bind: the host path.
  std::string target{};       ///< The path in the container.
  host_path_kind source_kind = host_path_kind::unknown;

  bool operator==(const mount_setting&) const = default;
};

/// A host device made available to the container.
struct BERTH_API device_setting {
  std::string host_path{};
  std::string container_path{};

  bool operator==(const device_setting&) const = default;
};

/// The settings of a container that matter to the runtime policy, independent of the
/// engine that will create it.
struct BERTH_API container_settings {
  namespace_setting network{};
  namespace_setting pid{};
  namespace_setting ipc{};
  namespace_setting uts{};
  namespace_setting cgroupns{};
  std::vector<std::string> links{};            ///< Docker legacy links (name:alias).
  bool privileged = false;
  std::vector<device_setting> devices{};
  std::optional<std::int64_t> shm_size{};      ///< Size of /dev/shm in bytes.
  std::vector<mount_setting> mounts{};
  std::map<std::string, std::string> sysctls{};
  std::string cgroup_parent{};
  std::vector<std::string> security_opt{};     ///< Docker's form: "apparmor=...", "label=...".
  bool blkio_weight = false;                   ///< A block-I/O weight (or per-device weight).

  bool operator==(const container_settings&) const = default;
};

/// Options of the settings_of() functions of each engine (berth/kata/docker.hpp,
/// berth/kata/containerd.hpp).
struct BERTH_API settings_options {
  /// Classify bind sources with classify_host_path() (stat on this machine): only right
  /// when this process runs on the daemon's host. Otherwise the policy guesses from paths.
  bool stat_host_paths = false;
};

/// One rule's verdict on one setting.
struct BERTH_API finding {
  std::string setting{};  ///< The setting, e.g. "network", "mounts[1]", "sysctls[kernel.x]".
  std::string message{};  ///< What is wrong or different, with the offending value.
  std::string source{};   ///< The documented limitation the rule comes from.

  bool operator==(const finding&) const = default;
};

/// Everything the policy found: refusals (the container must not be created) and
/// warnings (it runs, but not as under runc).
struct BERTH_API policy_report {
  std::vector<finding> refusals{};
  std::vector<finding> warnings{};

  bool ok() const noexcept { return refusals.empty(); }
};

/// Applies the policy of choice's runtime to s. Runtimes with isolation::container get an
/// empty report (runc honours every setting); isolation::vm gets the Kata rules. Pure: no
/// I/O, unless classify is true (then bind sources of unknown kind are classified with
/// classify_host_path(), which is only meaningful on the engine's host).
BERTH_API policy_report evaluate(const container_settings& s, const runtime_choice& choice,
                       bool classify = false);

/// evaluate(), then: when something was refused, sets ec to errc::unsupported_setting and
/// diag->message to "<setting>: <message> [<source>]" for the first refusal (plus how
/// many more there are). Returns the report either way.
BERTH_API policy_report validate(const container_settings& s, const runtime_choice& choice,
                       std::error_code& ec, diagnostics* diag = nullptr);
/// validate(), throwing berth::error (with the diagnostics) on a refusal.
BERTH_API policy_report validate(const container_settings& s, const runtime_choice& choice);

/// The kind of a path on this machine (lstat is not used: a symlink is followed);
/// host_path_kind::unknown when it cannot be stat'ed.
BERTH_API host_path_kind classify_host_path(const std::string& path);

/// "<setting>: <message> [<source>]".
BERTH_API std::string to_string(const finding& f);

}  // namespace berth::kata
