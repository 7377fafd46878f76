// Plain models of containerd's API objects (no protobuf types): what the operations of
// berth::containerd::op take and return.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>
#include "berth/core/export.hpp"

namespace berth::containerd {

using time_point = std::chrono::system_clock::time_point;
using labels = std::map<std::string, std::string>;

/// A protobuf Any: a type URL and the serialised message (or JSON, for OCI specs).
/// containerd 1.6 expects bare type URLs (no "type.googleapis.com/" prefix).
struct BERTH_API any_value {
  std::string type_url{};
  std::string value{};
  bool empty() const noexcept { return type_url.empty() && value.empty(); }
  friend bool operator==(const any_value&, const any_value&) = default;
};

/// Type URL of an OCI runtime spec (JSON value) in a container record.
inline constexpr const char* oci_spec_type_url = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
/// Type URL of an OCI process spec (JSON value) in an exec.
inline constexpr const char* oci_process_type_url = "types.containerd.io/opencontainers/runtime-spec/1/Process";

/// An OCI content descriptor.
struct BERTH_API descriptor {
  std::string media_type{};
  std::string digest{};
  std::int64_t size = 0;
  labels annotations{};
};

/// A mount as containerd hands it out (snapshots) and takes it (diff apply, task rootfs).
struct BERTH_API mount {
  std::string type{};
  std::string source{};
  std::string target{};
  std::vector<std::string> options{};
};

struct BERTH_API version_info {
  std::string version{};
  std::string revision{};
};

struct BERTH_API namespace_info {
  std::string name{};
  containerd::labels labels{};
};

struct BERTH_API platform {
  std::string os{};
  std::string architecture{};
  std::string variant{};
};

/// One plugin of containerd's introspection service.
struct BERTH_API plugin_info {
  std::string type{};
  std::string id{};
  std::vector<std::string> requires_{};
  std::vector<platform> platforms{};
  std::map<std::string, std::string> exports{};
  std::vector<std::string> capabilities{};
  /// Set when the plugin failed to initialise (its message), or was skipped.
  std::optional<std::string> init_error{};
};

/// The runtime of a container: its name (io.containerd.runc.v2 by default) and options
/// (an Any with a bare type URL; berth::kata::containerd_runtime_of() makes runc's and
/// Kata's).
struct BERTH_API runtime_info {
  std::string name{};
  any_value options{};
};

/// A container record (metadata only; the running part is a task).
struct BERTH_API container {
  std::string id{};
  containerd::labels labels{};
  std::string image{};
  runtime_info runtime{};
  any_value spec{};
  std::string snapshotter{};
  std::string snapshot_key{};
  time_point created_at{};
  time_point updated_at{};
  std::map<std::string, any_value> extensions{};
};

/// An image record: a name pointing at a manifest or index in the content store.
struct BERTH_API image {
  std::string name{};
  containerd::labels labels{};
  descriptor target{};
  time_point created_at{};
  time_point updated_at{};
};

/// A blob of the content store.
struct BERTH_API content_info {
  std::string digest{};
  std::int64_t size = 0;
  time_point created_at{};
  time_point updated_at{};
  containerd::labels labels{};
};

/// An ongoing (resumable) write of the content store.
struct BERTH_API write_status {
  std::string ref{};
  std::int64_t offset = 0;  ///< Bytes already written: resume from here.
  std::int64_t total = 0;
  std::string expected{};
  time_point started_at{};
  time_point updated_at{};
};

enum class snapshot_kind { unknown = 0, view = 1, active = 2, committed = 3 };

struct BERTH_API snapshot_info {
  std::string name{};
  std::string parent{};
  snapshot_kind kind = snapshot_kind::unknown;
  containerd::labels labels{};
  time_point created_at{};
  time_point updated_at{};
};

struct BERTH_API lease {
  std::string id{};
  time_point created_at{};
  containerd::labels labels{};
};

enum class process_status { unknown = 0, created = 1, running = 2, stopped = 3, paused = 4, pausing = 5 };

/// A task or exec process as Tasks.Get reports it.
struct BERTH_API process_info {
  std::string id{};
  std::uint32_t pid = 0;
  process_status status = process_status::unknown;
  std::string stdin_path{};
  std::string stdout_path{};
  std::string stderr_path{};
  bool terminal = false;
  std::uint32_t exit_status = 0;
  time_point exited_at{};
};

/// How a process ended.
struct BERTH_API exit_status {
  std::uint32_t pid = 0;
  std::uint32_t status = 0;
  time_point exited_at{};
};

/// A process of a task (Tasks.ListPids).
struct BERTH_API pid_info {
  std::uint32_t pid = 0;
  any_value info{};
};

/// Raw metrics of a task (a cgroups v1 or v2 Metrics message, by type URL).
struct BERTH_API metric {
  std::string id{};
  time_point timestamp{};
  any_value data{};
};

/// One event from containerd's event service. Task events are decoded into the fields
/// below them; every event keeps its raw payload.
struct BERTH_API event {
  time_point timestamp{};
  std::string namespace_{};
  std::string topic{};      ///< e.g. "/tasks/exit".
  any_value payload{};      ///< type_url is the bare name, e.g. "containerd.events.TaskExit".
  std::string container_id{};
  std::string exec_id{};    ///< TaskExit, TaskExecAdded, TaskExecStarted (exec or init id).
  std::uint32_t pid = 0;
  std::uint32_t exit_status = 0;
};

}  // namespace berth::containerd
