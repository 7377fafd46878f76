// What berth needs to generate an OCI runtime spec: a container's options (merged with
// the image's config) and an exec's process.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "berth/containerd/types.hpp"
#include "berth/core/export.hpp"

namespace berth::containerd {

/// A mount of the container. type "bind" (source: a host path) or "tmpfs".
struct BERTH_API mount_spec {
  std::string type = "bind";
  std::string source{};
  std::string target{};
  bool read_only = false;
  std::vector<std::string> options{};  ///< Extra mount options (e.g. "size=64m" for tmpfs).
};

/// Resource limits (cgroups); unset fields are not limited.
struct BERTH_API resource_limits {
  std::optional<std::int64_t> memory_bytes{};
  std::optional<std::uint64_t> cpu_shares{};
  std::optional<std::int64_t> cpu_quota{};    ///< With cpu_period: quota/period CPUs.
  std::optional<std::uint64_t> cpu_period{};
  std::optional<std::int64_t> pids_limit{};
};

/// A resource limit of the process (setrlimit): name as in `ulimit` ("nofile", "nproc",
/// "core", ...) or RLIMIT_NAME.
struct BERTH_API ulimit_spec {
  std::string name{};
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
  friend bool operator==(const ulimit_spec&, const ulimit_spec&) = default;
};

/// runc is the default runtime. Runtime options (runc's, Kata's configuration path) are an
/// opaque Any here: berth::kata::containerd_runtime_of() (berth/kata/runtime.hpp) encodes
/// them, and berth/kata/containerd.hpp applies a runtime choice to container_options.
inline constexpr const char* default_runtime = "io.containerd.runc.v2";

/// How to create a container from an image that is in containerd (pulled or imported).
struct BERTH_API container_options {
  std::string id{};
  std::string image{};                  ///< The image record's name, e.g. "127.0.0.1:5000/x:latest".
  std::vector<std::string> args{};      ///< Empty: the image's entrypoint + cmd.
  /// With args empty: the image's entrypoint followed by this instead of the image's cmd
  /// (Docker's `run IMAGE CMD...`). Ignored when args is set.
  std::vector<std::string> cmd{};
  std::vector<std::string> env{};       ///< "K=V", added to (and overriding) the image's.
  std::string cwd{};                    ///< Empty: the image's, else "/".
  /// "user[:group]", by name (looked up in the image's /etc/passwd and /etc/group, as
  /// Docker does; a named user also gets the groups that list it) or number. Empty: the
  /// image's, else 0:0.
  std::string user{};
  std::vector<std::uint32_t> additional_gids{};  ///< Supplementary groups (numeric).
  std::vector<mount_spec> mounts{};
  std::string hostname{};
  bool terminal = false;
  std::vector<std::string> cap_add{};   ///< e.g. "CAP_SYS_ADMIN" (the CAP_ prefix is optional).
  std::vector<std::string> cap_drop{};
  bool privileged = false;              ///< Every capability, no masked paths, host devices.
  /// An init process (the host's docker-init / tini, bound in at /sbin/docker-init) runs
  /// as PID 1 and reaps orphans, as Docker's --init.
  bool init = false;
  bool read_only_rootfs = false;
  bool host_pid = false;                ///< Share the host's PID namespace.
  /// Process resource limits; empty: RLIMIT_NOFILE 1024 (containerd's default).
  std::vector<ulimit_spec> ulimits{};
  std::map<std::string, std::string> sysctls{};  ///< Namespaced kernel parameters (net.*, ...).
  std::optional<std::int64_t> shm_size{};        ///< /dev/shm size in bytes (64 MiB by default).
  resource_limits resources{};
  containerd::labels labels{};          ///< Labels of the container record.
  runtime_info runtime{default_runtime, {}};
  std::string snapshotter = "overlayfs";
};

/// An exec's process; unset fields are taken from the container's spec.
struct BERTH_API process_spec {
  std::vector<std::string> args{};
  std::vector<std::string> env{};       ///< Added to the container's.
  std::string cwd{};
  std::string user{};                   ///< "user[:group]", by name (the container's /etc/passwd) or number.
  bool terminal = false;
};

}  // namespace berth::containerd
