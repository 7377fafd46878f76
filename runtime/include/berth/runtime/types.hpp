// The runtime layer's plain values: what a container should be (container_spec), what one
// is (container_info), images, networks, volumes, ownership, retry policy and what an
// engine can do (capabilities). No engine types: the same values drive Docker and
// containerd.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/kata/runtime.hpp"

namespace berth::runtime {

using labels = std::map<std::string, std::string>;

/// Which engine a client drives.
enum class engine_kind { docker, containerd };
BERTH_API const char* to_string(engine_kind k) noexcept;

/// Who owns what the layer creates. Every container, network, volume and built image gets
/// the labels `<domain>.owner` = owner (and `<domain>.session` = session when set); a
/// sweep finds them by these labels, and ensure_* refuses a same-name resource that lacks
/// them (errc::foreign_resource) or names another owner (errc::name_collision).
struct BERTH_API ownership {
  std::string domain = "io.berth";
  std::string owner = "berth";
  std::string session{};

  std::string owner_key() const { return domain + ".owner"; }
  std::string session_key() const { return domain + ".session"; }
  std::string hash_key() const { return domain + ".config-hash"; }
  /// The labels stamped on what this ownership creates.
  runtime::labels stamp() const;
  /// The selector a sweep of this ownership uses (owner, and session when set).
  runtime::labels selector() const { return stamp(); }
  bool operator==(const ownership&) const = default;
};

/// A mount of a container.
struct BERTH_API mount {
  enum class kind { bind, volume, tmpfs };
  mount::kind type = kind::bind;
  std::string source{};   ///< Host path (bind) or volume name (volume); unused for tmpfs.
  std::string target{};   ///< Path in the container.
  bool read_only = false;
  std::vector<std::string> options{};  ///< tmpfs options ("size=64m", "mode=1777").
  bool operator==(const mount&) const = default;
};

/// Parses Docker's short form "SRC:DST[:ro|rw]": SRC starting with '/' or '.' is a bind,
/// else a named volume. Fails with errc::invalid_argument.
BERTH_API result<mount> parse_mount(std::string_view s);

/// An image reference split as Docker does: "repo[:tag]" into repository and tag ("latest"
/// when none; a ':' before the last '/' is a registry port); a digest reference
/// ("repo@sha256:...") stays whole with an empty tag.
BERTH_API std::pair<std::string, std::string> split_reference(std::string_view ref);

/// A published port: container port/proto to host_ip:host_port (0: any free port).
struct BERTH_API port {
  std::uint16_t container = 0;
  std::uint16_t host = 0;
  std::string proto = "tcp";
  std::string host_ip = "127.0.0.1";
  bool operator==(const port&) const = default;
};

/// A process resource limit (setrlimit) by `ulimit` name: "nofile", "nproc", ...
struct BERTH_API ulimit {
  std::string name{};
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
  bool operator==(const ulimit&) const = default;
};

/// Cgroup limits; unset is unlimited.
struct BERTH_API resources {
  std::optional<std::int64_t> memory_bytes{};
  std::optional<std::int64_t> cpu_shares{};
  std::optional<std::int64_t> cpu_quota{};    ///< With cpu_period: quota/period CPUs.
  std::optional<std::int64_t> cpu_period{};
  std::optional<std::int64_t> pids_limit{};
  std::vector<ulimit> ulimits{};
  bool operator==(const resources&) const = default;
};

/// How a container's network is set up. none: loopback only. default_: the engine's
/// default network (Docker's bridge). named: the networks listed in container_spec.
enum class network_mode { none, default_, host, named };

/// A health probe run inside the container.
struct BERTH_API health_probe {
  std::vector<std::string> argv{};   ///< Exit 0 is healthy.
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{5000};
  int retries = 3;
  bool operator==(const health_probe&) const = default;
};

/// What a container should be. Fields an engine cannot honour are refused, all at once,
/// before any daemon call (errc::unsupported; see capabilities).
struct BERTH_API container_spec {
  std::string name{};                   ///< Empty: the engine's (Docker) or a generated id.
  std::string image{};
  std::vector<std::string> cmd{};       ///< Empty: the image's.
  std::optional<std::vector<std::string>> entrypoint{};  ///< Unset: the image's.
  std::vector<std::string> env{};       ///< "K=V".
  std::string cwd{};
  std::string user{};                   ///< "name", "uid", "name:group", "uid:gid".
  std::string hostname{};
  bool tty = false;
  bool open_stdin = false;
  bool privileged = false;
  bool init = false;                    ///< An init as PID 1 that reaps orphans.
  bool read_only_rootfs = false;
  /// Runs systemd as PID 1: tmpfs /run and /tmp, the cgroup filesystem, stop signal
  /// SIGRTMIN+3 (KIND's node profile).
  bool systemd = false;
  bool pid_host = false;                ///< The host's PID namespace.
  std::vector<runtime::mount> mounts{};
  std::vector<runtime::port> ports{};
  network_mode network = network_mode::none;
  std::vector<std::string> networks{};  ///< With network_mode::named.
  runtime::resources resources{};
  std::string stop_signal{};            ///< "SIGTERM" when empty.
  std::optional<std::chrono::seconds> stop_grace{};  ///< Stop's grace; 10 s when unset.
  std::optional<health_probe> health{};
  std::map<std::string, std::string> sysctls{};
  kata::runtime_choice runtime{};       ///< runc, Kata or any OCI runtime.
  runtime::labels labels{};             ///< Extra labels (ownership labels are added).
  /// The configuration hash kept in the `<domain>.config-hash` label; empty: computed
  /// from every field but labels (devstack-style callers own theirs).
  std::string config_hash{};
  /// Hints one engine takes and the other ignores (reported as a warning, never an
  /// error): the containerd snapshotter.
  std::string snapshotter{};
  bool operator==(const container_spec&) const = default;
};

/// The configuration hash of a spec (lowercase hex SHA-256 of a canonical encoding of
/// every field but labels, name and config_hash).
BERTH_API std::string config_hash(const container_spec& s);

/// A container's state, in the engines' common words.
enum class container_state { created, running, paused, restarting, exited, dead, unknown };
BERTH_API const char* to_string(container_state s) noexcept;

/// Health as the layer sees it: none (no probe), starting, healthy, unhealthy.
enum class health_state { none, starting, healthy, unhealthy };

/// A container as it is.
struct BERTH_API container_info {
  std::string id{};
  std::string name{};
  std::string image{};                  ///< The reference it was created from.
  std::string image_id{};
  runtime::labels labels{};
  container_state state = container_state::unknown;
  std::optional<std::int64_t> exit_code{};  ///< Once exited.
  std::uint32_t pid = 0;                ///< Its init's host pid while running.
  std::vector<std::string> ips{};       ///< Empty on containerd (no networks).
  std::vector<runtime::port> ports{};   ///< Published ports as bound (host port filled).
  health_state health = health_state::none;
  std::string runtime{};                ///< The OCI runtime (Docker name or shim).
  std::vector<std::string> env{};
  std::vector<std::string> cmd{};
  std::vector<runtime::mount> mounts{};
  bool tty = false;
  bool privileged = false;
  bool pid_host = false;
  std::string hostname{};
  std::vector<std::string> warnings{};  ///< Hints the engine ignored, policy findings.
};

/// Where an image is.
struct BERTH_API image_info {
  std::string name{};                   ///< The reference asked for (or the first tag).
  std::string id{};                     ///< Docker: the image id; containerd: the manifest digest.
  std::string digest{};                 ///< The repo digest when known ("sha256:...").
  std::vector<std::string> tags{};
  runtime::labels labels{};
  std::int64_t size = 0;
};

/// How ensure_image obtained the image.
enum class image_origin { present, pulled, built, loaded };

/// Retries of a pull (or any retryable step): attempts in all, the first wait, its growth
/// and its ceiling. Only is_retryable() failures are retried.
struct BERTH_API retry_policy {
  int attempts = 3;
  std::chrono::milliseconds first{500};
  double factor = 2.0;
  std::chrono::milliseconds max{10'000};
  bool operator==(const retry_policy&) const = default;
};

/// What an engine can do. Docker: everything but secrets. containerd (no CNI, no builder
/// here): no networks, ports, named volumes or build.
struct BERTH_API capabilities {
  bool networks = false;         ///< Networks (ensure_network), IPs, network modes but none.
  bool publish_ports = false;
  bool named_volumes = false;
  bool build = false;            ///< Image builds from a context.
  bool save = false;             ///< Image archives out (save_images).
  bool commit = false;
  bool logs = false;             ///< follow_logs of containers the layer started.
  bool native_health = false;    ///< The engine runs health probes itself.
  bool host_pid = false;
  bool user_names = false;
  bool init = false;
  bool ulimits = false;
  bool systemd = false;
  bool secrets = false;
  std::vector<std::string> runtimes{};  ///< Runtimes the engine offers (after ping).
};

/// What ping learnt.
struct BERTH_API ping_info {
  engine_kind kind = engine_kind::docker;
  std::string endpoint{};    ///< The socket or URL.
  std::string version{};     ///< The engine's version.
  std::string api_version{}; ///< Docker: the negotiated API version.
  std::vector<std::string> runtimes{};
};

}  // namespace berth::runtime
