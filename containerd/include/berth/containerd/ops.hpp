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
#include "berth/core/export.hpp"

namespace berth::containerd {

/// An operation whose result carries nothing.
struct BERTH_API empty {};

namespace op {

// ---- version, namespaces, introspection ------------------------------------------------

/// Version.Version.
struct BERTH_API version { using result_type = version_info; };

/// Namespaces.List.
struct BERTH_API namespace_list { using result_type = std::vector<namespace_info>; };
/// Namespaces.Create.
struct BERTH_API namespace_create {
  using result_type = namespace_info;
  std::string name{};
  containerd::labels labels{};
};
/// Namespaces.Delete (the namespace must be empty: failed_precondition otherwise).
struct BERTH_API namespace_delete {
  using result_type = empty;
  std::string name{};
};

/// Introspection.Plugins.
struct BERTH_API plugin_list {
  using result_type = std::vector<plugin_info>;
  std::vector<std::string> filters{};
};

// ---- containers -------------------------------------------------------------------------

/// Containers.Create.
struct BERTH_API container_create {
  using result_type = containerd::container;
  containerd::container container{};
};
/// Containers.Get.
struct BERTH_API container_get {
  using result_type = containerd::container;
  std::string id{};
};
/// Containers.List.
struct BERTH_API container_list {
  using result_type = std::vector<containerd::container>;
  std::vector<std::string> filters{};
};
/// Containers.Update: replaces the fields named in update_mask (e.g. "labels"), all
/// updatable fields when empty.
struct BERTH_API container_update {
  using result_type = containerd::container;
  containerd::container container{};
  std::vector<std::string> update_mask{};
};
/// Containers.Delete (the record only: not the task, not the snapshot).
struct BERTH_API container_delete {
  using result_type = empty;
  std::string id{};
};

// ---- images -----------------------------------------------------------------------------

struct BERTH_API image_get {
  using result_type = containerd::image;
  std::string name{};
};
struct BERTH_API image_list {
  using result_type = std::vector<containerd::image>;
  std::vector<std::string> filters{};
};
struct BERTH_API image_create {
  using result_type = containerd::image;
  containerd::image image{};
};
struct BERTH_API image_update {
  using result_type = containerd::image;
  containerd::image image{};
  std::vector<std::string> update_mask{};
};
/// Images.Delete; sync waits for the garbage collection to finish.
struct BERTH_API image_delete {
  using result_type = empty;
  std::string name{};
  bool sync = false;
};

// ---- content ----------------------------------------------------------------------------

struct BERTH_API content_info_get {
  using result_type = content_info;
  std::string digest{};
};
struct BERTH_API content_list {
  using result_type = std::vector<content_info>;
  std::vector<std::string> filters{};
};
/// Content.Update: the labels of a blob (update_mask such as "labels.containerd.io/gc.ref.content.l.0").
struct BERTH_API content_update {
  using result_type = content_info;
  content_info info{};
  std::vector<std::string> update_mask{};
};
struct BERTH_API content_delete {
  using result_type = empty;
  std::string digest{};
};
/// Content.Status of an ongoing write (not_found when there is none).
struct BERTH_API content_status {
  using result_type = write_status;
  std::string ref{};
};
struct BERTH_API content_list_statuses {
  using result_type = std::vector<write_status>;
  std::vector<std::string> filters{};
};
/// Content.Abort: drops an ongoing write.
struct BERTH_API content_abort {
  using result_type = empty;
  std::string ref{};
};

// ---- snapshots --------------------------------------------------------------------------

/// Snapshots.Prepare: an active snapshot on top of parent (a committed name or empty).
struct BERTH_API snapshot_prepare {
  using result_type = std::vector<mount>;
  std::string snapshotter = "overlayfs";
  std::string key{};
  std::string parent{};
  containerd::labels labels{};
};
/// Snapshots.View: a read-only view of parent.
struct BERTH_API snapshot_view {
  using result_type = std::vector<mount>;
  std::string snapshotter = "overlayfs";
  std::string key{};
  std::string parent{};
  containerd::labels labels{};
};
struct BERTH_API snapshot_mounts {
  using result_type = std::vector<mount>;
  std::string snapshotter = "overlayfs";
  std::string key{};
};
struct BERTH_API snapshot_commit {
  using result_type = empty;
  std::string snapshotter = "overlayfs";
  std::string name{};
  std::string key{};
  containerd::labels labels{};
};
struct BERTH_API snapshot_remove {
  using result_type = empty;
  std::string snapshotter = "overlayfs";
  std::string key{};
};
struct BERTH_API snapshot_stat {
  using result_type = snapshot_info;
  std::string snapshotter = "overlayfs";
  std::string key{};
};
struct BERTH_API snapshot_list {
  using result_type = std::vector<snapshot_info>;
  std::string snapshotter = "overlayfs";
  std::vector<std::string> filters{};
};

// ---- diff -------------------------------------------------------------------------------

/// Diff.Apply: unpacks a layer blob of the content store onto mounts; returns the
/// descriptor of the applied (uncompressed) diff.
struct BERTH_API diff_apply {
  using result_type = descriptor;
  descriptor diff{};
  std::vector<mount> mounts{};
};
/// Diff.Diff: the changes from left to right (two snapshots' mounts) as a new layer blob
/// in the content store, of media_type (empty: containerd's default, an OCI gzip layer);
/// its uncompressed digest is the blob's label containerd.io/uncompressed.
struct BERTH_API diff_compare {
  using result_type = descriptor;
  std::vector<mount> left{};
  std::vector<mount> right{};
  std::string media_type{};
  std::string ref{};                ///< The content write's ref (empty: containerd picks one).
  containerd::labels labels{};      ///< Labels of the new blob.
};

// ---- leases -----------------------------------------------------------------------------

struct BERTH_API lease_create {
  using result_type = containerd::lease;
  std::string id{};  ///< Empty: containerd picks one.
  containerd::labels labels{};
};
struct BERTH_API lease_delete {
  using result_type = empty;
  std::string id{};
  bool sync = false;
};
struct BERTH_API lease_list {
  using result_type = std::vector<containerd::lease>;
  std::vector<std::string> filters{};
};

// ---- tasks ------------------------------------------------------------------------------

/// Tasks.Create: the paths are FIFOs (or files) the shim opens; stdout and stderr must be
/// both set or both empty (runc shim). Lower-level than berth::containerd::process.
struct BERTH_API task_create {
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
struct BERTH_API task_start {
  using result_type = std::uint32_t;  ///< pid
  std::string container_id{};
  std::string exec_id{};
};
/// Tasks.Delete: removes a stopped task and returns its exit status.
struct BERTH_API task_delete {
  using result_type = exit_status;
  std::string container_id{};
};
/// Tasks.DeleteProcess: removes a stopped exec.
struct BERTH_API process_delete {
  using result_type = exit_status;
  std::string container_id{};
  std::string exec_id{};
};
struct BERTH_API task_get {
  using result_type = process_info;
  std::string container_id{};
  std::string exec_id{};
};
struct BERTH_API task_list {
  using result_type = std::vector<process_info>;
  std::vector<std::string> filters{};
};
struct BERTH_API task_kill {
  using result_type = empty;
  std::string container_id{};
  std::string exec_id{};
  std::uint32_t signal = 15;
  bool all = false;
};
/// Tasks.Exec: adds a process (not started) described by an OCI process spec.
struct BERTH_API task_exec {
  using result_type = empty;
  std::string container_id{};
  std::string exec_id{};
  std::string stdin_path{};
  std::string stdout_path{};
  std::string stderr_path{};
  bool terminal = false;
  any_value spec{};  ///< type oci_process_type_url, JSON value.
};
struct BERTH_API task_pids {
  using result_type = std::vector<pid_info>;
  std::string container_id{};
};
struct BERTH_API task_pause {
  using result_type = empty;
  std::string container_id{};
};
struct BERTH_API task_resume {
  using result_type = empty;
  std::string container_id{};
};
struct BERTH_API task_resize {
  using result_type = empty;
  std::string container_id{};
  std::string exec_id{};
  std::uint32_t width = 80;
  std::uint32_t height = 24;
};
struct BERTH_API task_close_io {
  using result_type = empty;
  std::string container_id{};
  std::string exec_id{};
  bool stdin_ = true;
};
/// Tasks.Metrics of the tasks matching filters (e.g. id==X).
struct BERTH_API task_metrics {
  using result_type = std::vector<metric>;
  std::vector<std::string> filters{};
};
/// Tasks.Wait: completes when the process exits (no deadline unless the call sets one).
struct BERTH_API task_wait {
  using result_type = exit_status;
  std::string container_id{};
  std::string exec_id{};
};

}  // namespace op
}  // namespace berth::containerd
