// Managing containers on containerd as a build runner or an orchestrator does on Docker:
// stop with a grace period, remove (refusing a running container unless forced),
// idempotent create, read back (settings parsed from the stored OCI spec, task state),
// list by labels with task state, and a sweep of everything carrying ownership labels;
// and tagging and labelling images.
//
// Each is an operation struct of berth::containerd::op, run through containerd::client
// like the service calls: async_run(op, token), run(op, ec) and the throwing run(op).
//
//   auto r = c.run(containerd::op::stop_container{.id = "job-1", .grace = 10s});
//   if (r.killed) ...                                 // the grace period ran out
//   auto v = c.run(containerd::op::inspect_container{.id = "job-1"});
//   // v.settings.args, v.settings.env, v.task->status ...
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/awaitable.hpp>

#include "berth/containerd/ops.hpp"
#include "berth/containerd/spec.hpp"
#include "berth/containerd/types.hpp"
#include "berth/core/call_options.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth::containerd {

/// The label berth puts on a container it creates through ensure_container: the SHA-256
/// of its configuration (every field of container_options but id and labels).
inline constexpr const char* config_hash_label = "io.berth.config-hash";

/// How a stop ended.
struct BERTH_API stop_result {
  bool was_running = false;  ///< false: there was no running task (nothing was signalled).
  bool killed = false;       ///< The grace period ran out: SIGKILL ended it.
  std::uint32_t exit_code = 0;
  time_point exited_at{};
};

/// A container as inspect_container and list_containers read it back.
struct BERTH_API container_view {
  containerd::container record{};       ///< The container record as containerd keeps it.
  /// Its settings, parsed from the stored OCI spec and the record: image, args, env, cwd,
  /// user (numeric), mounts, hostname, terminal, capabilities relative to the defaults,
  /// privileged, read-only rootfs, resources, host PID namespace, labels, runtime,
  /// snapshotter.
  container_options settings{};
  /// Its task (absent when it has none): status, pid, and exit status once stopped.
  std::optional<process_info> task{};
};

/// How a restart ended: the stop, then the new task's pid.
struct BERTH_API restart_result {
  stop_result stopped{};
  std::uint32_t pid = 0;
};

/// What ensure_container did.
struct BERTH_API ensure_result {
  containerd::container record{};
  bool created = false;  ///< false: an existing container with the same configuration.
};

/// What a sweep removed (ids and keys).
struct BERTH_API sweep_report {
  std::vector<std::string> containers{};  ///< With their tasks and snapshots.
  std::vector<std::string> leases{};
  std::vector<std::string> log_files{};   ///< The captured logs of those containers.
};

namespace op {

/// Stops a container's task: signal (SIGTERM by default), up to grace for it to exit,
/// then SIGKILL to every process of the task. A paused task is resumed first. A container
/// with no running task is not an error: was_running is false.
struct BERTH_API stop_container {
  using result_type = stop_result;
  std::string id{};
  std::uint32_t signal = 15;
  std::chrono::milliseconds grace{10'000};
};

/// Stops the container's task as stop_container does (a container with no running task is
/// not an error) and starts a new one with the same log settings (start_container without
/// log: those of its labels). Completion value: how the stop ended and the new pid.
struct BERTH_API restart_container {
  using result_type = restart_result;
  std::string id{};
  std::uint32_t signal = 15;
  std::chrono::milliseconds grace{10'000};
};

/// Removes a container, its task, its snapshot and its captured log files (logs.hpp). A
/// running (or paused) task is an error,
/// pull_errc::container_running, unless force (then it is killed first). A missing
/// container is errc::not_found.
struct BERTH_API remove_container {
  using result_type = empty;
  std::string id{};
  bool force = false;
};

/// Creates the container unless one with options.id exists: with the same configuration
/// (its config_hash_label) it is returned as it is (created = false); with another, or
/// without berth's label (not made by ensure_container), the operation fails with
/// pull_errc::config_conflict and leaves it untouched. An empty id is generated.
struct BERTH_API ensure_container {
  using result_type = ensure_result;
  container_options options{};
};

/// The container record, its settings parsed from the stored spec, and its task.
struct BERTH_API inspect_container {
  using result_type = container_view;
  std::string id{};
};

/// The containers carrying every label of selector (all containers when it is empty),
/// each with its settings and task state (two calls to containerd in all).
struct BERTH_API list_containers {
  using result_type = std::vector<container_view>;
  containerd::labels selector{};
};

/// Removes every container (with its task, killed, its snapshot and its log files) and
/// every lease that carries all the labels of selector, and nothing else. An empty selector is refused
/// with pull_errc::empty_selector: a sweep never takes everything.
struct BERTH_API sweep {
  using result_type = sweep_report;
  containerd::labels selector{};
};

/// Gives image source (an image record's name) the further name target: the same
/// manifest, the same labels. An existing target is pointed at source's manifest.
/// Completion value: the target record.
struct BERTH_API tag_image {
  using result_type = containerd::image;
  std::string source{};
  std::string target{};
};

/// Sets labels on an image record (an empty value removes that label); the others stay.
struct BERTH_API label_image {
  using result_type = containerd::image;
  std::string name{};
  containerd::labels labels{};
};

}  // namespace op

/// The configuration hash ensure_container labels containers with (lowercase hex).
BERTH_API std::string config_hash(const container_options& o);

namespace detail {
struct state;
#define BERTH_CONTAINERD_MANAGE_OPS(X) \
  X(stop_container) X(restart_container) X(remove_container) X(ensure_container) X(inspect_container) X(list_containers) X(sweep) \
  X(tag_image) X(label_image)
#define BERTH_CONTAINERD_DECLARE(name)                                                                 \
  BERTH_API asio::awaitable<result<op::name::result_type>> execute(std::shared_ptr<state> s, op::name o, \
                                                                   call_options opts);
BERTH_CONTAINERD_MANAGE_OPS(BERTH_CONTAINERD_DECLARE)
#undef BERTH_CONTAINERD_DECLARE
}  // namespace detail

}  // namespace berth::containerd
