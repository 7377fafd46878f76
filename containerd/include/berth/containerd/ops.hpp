// The operations of containerd's gRPC services, one aggregate each, run by
// berth::containerd::client (async_run / run). Each names its service and method and
// declares its result_type. Filters use containerd's filter syntax
// (e.g. `labels."berth.test"==1`, `topic=="/tasks/exit"`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "berth/containerd/types.hpp"

namespace berth::containerd {

/// An operation whose result carries nothing.
struct empty {};

namespace op {

// ---- version, namespaces, introspection ------------------------------------------------

/// Version.Version.
struct version { using result_type = version_info; };

/// Namespaces.List.
struct namespace_list { using result_type = std::vector<namespace_info>; };
/// Namespaces.Create.
struct namespace_create {
  using result_type = namespace_info;
  std::string name{};
  containerd::labels labels{};
};
/// Namespaces.Delete (the namespace must be empty: failed_precondition otherwise).
struct namespace_delete {
  using result_type = empty;
  std::string name{};
};

/// Introspection.Plugins.
struct plugin_list {
  using result_type = std::vector<plugin_info>;
  std::vector<std::string> filters{};
};

// ---- containers -------------------------------------------------------------------------

/// Containers.Create.
struct container_create {
  using result_type = containerd::container;
  containerd::container container{};
};
/// Containers.Get.
struct container_get {
  using result_type = containerd::container;
  std::string id{};
};
/// Containers.List.
struct container_list {
  using result_type = std::vector<containerd::container>;
  std::vector<std::string> filters{};
};
/// Containers.Update: replaces the fields named in update_mask (e.g. "labels"), all
/// updatable fields when empty.
struct container_update {
  using result_type = containerd::container;
  containerd::container container{};
  std::vector<std::string> update_mask{};
};
/// Containers.Delete (the record only: not the task, not the snapshot).
struct container_delete {
  using result_type = empty;
  std::string id{};
};

// ---- images -----------------------------------------------------------------------------

struct image_get {
  using result_type = containerd::image;
  std::string name{};
};
struct image_list {
  using result_type = std::vector<containerd::image>;
  std::vector<std::string> filters{};
};
struct image_create {
  using result_type = containerd::image;
  containerd::image image{};
};
struct image_update {
  using result_type = containerd::image;
  containerd::image image{};
  std::vector<std::string> update_mask{};
};
/// Images.Delete; sync waits for the garbage collection to finish.
struct image_delete {
  using result_type = empty;
  std::string name{};
  bool sync = false;
};

// ---- content ----------------------------------------------------------------------------

struct content_info_get {
  using result_type = content_info;
  std::string digest{};
};
struct content_list {
  using result_type = std::vector<content_info>;
  std::vector<std::string> filters{};
};
/// Content.Update: the labels of a blob (update_mask such as "labels.containerd.io/gc.ref.content.l.0").
struct content_update {
  using result_type = content_info;
  content_info info{};
  std::vector<std::string> update_mask{};
};
struct content_delete {
  using result_type = empty;
  std::string digest{};
};
/// Content.Status of an ongoing write (not_found when there is none).
struct content_status {
  using result_type = write_status;
  std::string ref{};
};
struct content_list_statuses {
  using result_type = std::vector<write_status>;
  std::vector<std::string> filters{};
};
/// Content.Abort: drops an ongoing write.
struct content_abort {
  using result_type = empty;
  std::string ref{};
};

// ---- snapshots --------------------------------------------------------------------------

/// Snapshots.Prepare: an active snapshot on top of parent (a committed name or empty).
struct snapshot_prepare {
  using result_type = std::vector<mount>;
  std::string snapshotter = "overlayfs";
  std::string key{};
  std::string parent{};
  containerd::labels labels{};
};
/// Snapshots.View: a read-only view of parent.
struct snapshot_view {
  using result_type = std::vector<mount>;
  std::string snapshotter = "overlayfs";
  std::string key{};
  std::string parent{};
  containerd::labels labels{};
};
struct snapshot_mounts {
  using result_type = std::vector<mount>;
  std::string snapshotter = "overlayfs";
  std::string key{};
};
struct snapshot_commit {
  using result_type = empty;
  std::string snapshotter = "overlayfs";
  std::string name{};
  std::string key{};
  containerd::labels labels{};
};
struct snapshot_remove {
  using result_type = empty;
  std::string snapshotter = "overlayfs";
  std::string key{};
};
struct snapshot_stat {
  using result_type = snapshot_info;
  std::string snapshotter = "overlayfs";
  std::string key{};
};
struct snapshot_list {
  using result_type = std::vector<snapshot_info>;
  std::string snapshotter = "overlayfs";
  std::vector<std::string> filters{};
};

// ---- diff -------------------------------------------------------------------------------

/// Diff.Apply: unpacks a layer blob of the content store onto mounts; returns the
/// descriptor of the applied (uncompressed) diff.
struct diff_apply {
  using result_type = descriptor;
  descriptor diff{};
  std::vector<mount> mounts{};
};

// ---- leases -----------------------------------------------------------------------------

struct lease_create {
  using result_type = containerd::lease;
  std::string id{};  ///< Empty: containerd picks one.
  containerd::labels labels{};
};
struct lease_delete {
  using result_type = empty;
  std::string id{};
  bool sync = false;
};
struct lease_list {
  using result_type = std::vector<containerd::lease>;
  std::vector<std::string> filters{};
};

// ---- tasks ------------------------------------------------------------------------------

/// Tasks.Create: the paths are FIFOs (or files) the shim opens; stdout and stderr must be
/// both set or both empty (runc shim). Lower-level than berth::containerd::process.
struct task_create {
  using result_type = exit_status;  ///< Only pid is set.
  std::string container_id{};
  std::vector<mount> rootfs{};
  std::string stdin_path{};
  std::string stdout_path{};
  std::string stderr_path{};
  bool terminal = false;
  any_value options{};
  std::string runtime_path{};
};
/// Tasks.Start of the init process (exec_id empty) or of an exec.
struct task_start {
  using result_type = std::uint32_t;  ///< pid
  std::string container_id{};
  std::string exec_id{};
};
/// Tasks.Delete: removes a stopped task and returns its exit status.
struct task_delete {
  using result_type = exit_status;
  std::string container_id{};
};
/// Tasks.DeleteProcess: removes a stopped exec.
struct process_delete {
  using result_type = exit_status;
  std::string container_id{};
  std::string exec_id{};
};
struct task_get {
  using result_type = process_info;
  std::string container_id{};
  std::string exec_id{};
};
struct task_list {
  using result_type = std::vector<process_info>;
  std::vector<std::string> filters{};
};
struct task_kill {
  using result_type = empty;
  std::string container_id{};
  std::string exec_id{};
  std::uint32_t signal = 15;
  bool all = false;
};
/// Tasks.Exec: adds a process (not started) described by an OCI process spec.
struct task_exec {
  using result_type = empty;
  std::string container_id{};
  std::string exec_id{};
  std::string stdin_path{};
  std::string stdout_path{};
  std::string stderr_path{};
  bool terminal = false;
  any_value spec{};  ///< type oci_process_type_url, JSON value.
};
struct task_pids {
  using result_type = std::vector<pid_info>;
  std::string container_id{};
};
struct task_pause {
  using result_type = empty;
  std::string container_id{};
};
struct task_resume {
  using result_type = empty;
  std::string container_id{};
};
struct task_resize {
  using result_type = empty;
  std::string container_id{};
  std::string exec_id{};
  std::uint32_t width = 80;
  std::uint32_t height = 24;
};
struct task_close_io {
  using result_type = empty;
  std::string container_id{};
  std::string exec_id{};
  bool stdin_ = true;
};
/// Tasks.Metrics of the tasks matching filters (e.g. id==X).
struct task_metrics {
  using result_type = std::vector<metric>;
  std::vector<std::string> filters{};
};
/// Tasks.Wait: completes when the process exits (no deadline unless the call sets one).
struct task_wait {
  using result_type = exit_status;
  std::string container_id{};
  std::string exec_id{};
};

}  // namespace op
}  // namespace berth::containerd
