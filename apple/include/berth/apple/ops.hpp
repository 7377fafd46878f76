// The routes of Apple's `container` services as operations: one aggregate per route, its
// members the request keys, its result_type the decoded reply. Run them with
// apiserver_client or images_client (berth/apple/client.hpp), which complete them
// asynchronously, with an error_code, or by throwing.
//
// Each op names its route (route) and its Mach service (service_id). Optional members are
// sent only when set; bools are always sent. Plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/apple/message.hpp"
#include "berth/apple/models.hpp"
#include "berth/apple/transport.hpp"
#include "berth/core/export.hpp"

namespace berth::apple {

/// The result of a route whose reply carries nothing.
struct empty {
  friend bool operator==(const empty&, const empty&) = default;
};

/// The ping reply.
struct system_info {
  std::string app_root;                  ///< appRoot (a file URL)
  std::string install_root;              ///< installRoot (a file URL)
  std::optional<std::string> log_root{};  ///< logRoot
  std::string api_server_version;        ///< apiServerVersion, e.g. "container-apiserver version 1.3.0 (build: release, commit: d6de569)"
  std::string api_server_commit;         ///< apiServerCommit
  std::string api_server_build;          ///< apiServerBuild
  std::string api_server_app_name;       ///< apiServerAppName
  friend bool operator==(const system_info&, const system_info&) = default;
};

/// The end of a process (containerWait).
struct exit_info {
  std::int64_t exit_code = 0;  ///< exitCode (int64)
  xpc_date exited_at{};        ///< exitedAt (xpc date)
  friend bool operator==(const exit_info&, const exit_info&) = default;
};

/// The two read-only log files of a container (containerLogs): plain, unframed text.
struct log_fds {
  shared_fd stdio_log;  ///< [0]: stdio.log, the tee of the processes' stdout and stderr
  shared_fd boot_log;   ///< [1]: vminitd.log, the boot log
  friend bool operator==(const log_fds&, const log_fds&) = default;
};

/// The imageLoad reply.
struct image_load_result {
  std::vector<image_description> images{};      ///< imageDescriptions
  std::optional<raw_json> rejected_members{};   ///< rejectedMembers (type not stated: verbatim)
  friend bool operator==(const image_load_result&, const image_load_result&) = default;
};

/// The stdio of a process as request fds: the read end of a stdin pipe, the write ends of
/// stdout and stderr pipes. Empty members are not sent (a detached process passes none;
/// with a terminal, stderr is merged into stdout and not passed).
struct stdio_fds {
  shared_fd in;
  shared_fd out;
  shared_fd err;
  friend bool operator==(const stdio_fds&, const stdio_fds&) = default;
};

namespace op {

#define BERTH_APPLE_ROUTE(name_, svc_)                         \
  static constexpr std::string_view route = name_;             \
  static constexpr apple::service service_id = service::svc_;

// ---- com.apple.container.apiserver ----------------------------------------------------

/// ping: the apiserver's roots and version.
struct ping {
  BERTH_APPLE_ROUTE("ping", apiserver)
  using result_type = system_info;
};

/// containerList: listFilters (none: every container); an absent reply key means none.
struct container_list {
  BERTH_APPLE_ROUTE("containerList", apiserver)
  using result_type = std::vector<container_snapshot>;
  std::optional<container_list_filters> filters{};  ///< listFilters
};

/// containerCreate: registers a container (no pull, no unpack: the client does those).
struct container_create {
  BERTH_APPLE_ROUTE("containerCreate", apiserver)
  using result_type = empty;
  container_configuration config{};                       ///< containerConfig
  apple::kernel kernel{};                                 ///< kernel
  std::optional<container_create_options> options{};      ///< containerOptions
  std::optional<std::string> init_image{};                ///< initImage
  std::optional<std::string> runtime_data{};              ///< runtimeData (raw bytes)
};

/// containerBootstrap: boots the VM and creates the init process (not started), with its stdio.
struct container_bootstrap {
  BERTH_APPLE_ROUTE("containerBootstrap", apiserver)
  using result_type = empty;
  std::string id;                               ///< id
  stdio_fds stdio{};                            ///< stdin, stdout, stderr
  std::optional<string_map> dynamic_env{};      ///< dynamicEnv
};

/// containerCreateProcess: an exec process (not started), with its stdio.
struct container_create_process {
  BERTH_APPLE_ROUTE("containerCreateProcess", apiserver)
  using result_type = empty;
  std::string id;                     ///< id
  std::string process_id;             ///< processIdentifier (a new lowercase UUID for an exec)
  process_configuration config{};     ///< processConfig
  stdio_fds stdio{};                  ///< stdin, stdout, stderr
};

/// containerStartProcess: starts a created process (process_id = id for the init process).
struct container_start_process {
  BERTH_APPLE_ROUTE("containerStartProcess", apiserver)
  using result_type = empty;
  std::string id;          ///< id
  std::string process_id;  ///< processIdentifier
};

/// containerWait: blocks until the process exits (no deadline by default).
struct container_wait {
  BERTH_APPLE_ROUTE("containerWait", apiserver)
  using result_type = exit_info;
  std::string id;          ///< id
  std::string process_id;  ///< processIdentifier
};

/// containerKill: signal as a string ("KILL", "SIGTERM", "15"); never as an integer.
struct container_kill {
  BERTH_APPLE_ROUTE("containerKill", apiserver)
  using result_type = empty;
  std::string id;          ///< id
  std::string process_id;  ///< processIdentifier
  std::string signal;      ///< signal
};

/// containerResize: the terminal size of a process.
struct container_resize {
  BERTH_APPLE_ROUTE("containerResize", apiserver)
  using result_type = empty;
  std::string id;            ///< id
  std::string process_id;    ///< processIdentifier
  std::uint64_t width = 0;   ///< width (uint64)
  std::uint64_t height = 0;  ///< height (uint64)
};

/// containerStop: stopOptions is required. The deadline grows by timeoutInSeconds.
struct container_stop {
  BERTH_APPLE_ROUTE("containerStop", apiserver)
  using result_type = empty;
  std::string id;                       ///< id
  container_stop_options options{};     ///< stopOptions
};

/// containerDelete: forceDelete is always sent.
struct container_delete {
  BERTH_APPLE_ROUTE("containerDelete", apiserver)
  using result_type = empty;
  std::string id;      ///< id
  bool force = false;  ///< forceDelete
};

/// containerLogs: two read-only fds, stdio.log and vminitd.log.
struct container_logs {
  BERTH_APPLE_ROUTE("containerLogs", apiserver)
  using result_type = log_fds;
  std::string id;  ///< id
};

/// containerDial: an fd connected to a vsock port of the guest.
struct container_dial {
  BERTH_APPLE_ROUTE("containerDial", apiserver)
  using result_type = shared_fd;
  std::string id;          ///< id
  std::uint64_t port = 0;  ///< port (uint64)
};

/// containerStats.
struct container_stats {
  BERTH_APPLE_ROUTE("containerStats", apiserver)
  using result_type = apple::container_stats;
  std::string id;  ///< id
};

/// containerDiskUsage: the container's size in bytes.
struct container_disk_usage {
  BERTH_APPLE_ROUTE("containerDiskUsage", apiserver)
  using result_type = std::uint64_t;
  std::string id;  ///< id
};

/// containerCopyIn: a host file into the guest.
struct container_copy_in {
  BERTH_APPLE_ROUTE("containerCopyIn", apiserver)
  using result_type = empty;
  std::string id;                ///< id
  std::string source_path;       ///< sourcePath (host)
  std::string destination_path;  ///< destinationPath (guest)
  std::uint64_t file_mode = 0644;  ///< fileMode (uint64)
  bool create_parents = false;   ///< createParents
};

/// containerCopyOut: a guest file to the host.
struct container_copy_out {
  BERTH_APPLE_ROUTE("containerCopyOut", apiserver)
  using result_type = empty;
  std::string id;                ///< id
  std::string source_path;       ///< sourcePath (guest)
  std::string destination_path;  ///< destinationPath (host)
  bool create_parents = false;   ///< createParents
};

/// containerExport: the daemon writes a tar of the container at archive (a host path).
struct container_export {
  BERTH_APPLE_ROUTE("containerExport", apiserver)
  using result_type = empty;
  std::string id;       ///< id
  std::string archive;  ///< archive
};

/// getDefaultKernel.
struct get_default_kernel {
  BERTH_APPLE_ROUTE("getDefaultKernel", apiserver)
  using result_type = apple::kernel;
  system_platform platform{};  ///< systemPlatform
};

/// installKernel (no progress endpoint is sent).
struct install_kernel {
  BERTH_APPLE_ROUTE("installKernel", apiserver)
  using result_type = empty;
  std::string kernel_file_path;              ///< kernelFilePath
  system_platform platform{};                ///< systemPlatform
  bool force = false;                        ///< kernelForce
  std::optional<std::string> tar_url{};      ///< kernelTarURL
  std::optional<std::string> digest{};       ///< kernelDigest (1.2+)
};

/// networkCreate (registered on macOS 26+ only: elsewhere it gets no reply).
struct network_create {
  BERTH_APPLE_ROUTE("networkCreate", apiserver)
  using result_type = network_resource;
  std::string network_id;             ///< networkId
  network_configuration config{};     ///< networkConfig
};

/// networkList.
struct network_list {
  BERTH_APPLE_ROUTE("networkList", apiserver)
  using result_type = std::vector<network_resource>;
};

/// networkDelete.
struct network_delete {
  BERTH_APPLE_ROUTE("networkDelete", apiserver)
  using result_type = empty;
  std::string network_id;  ///< networkId
};

/// volumeCreate.
struct volume_create {
  BERTH_APPLE_ROUTE("volumeCreate", apiserver)
  using result_type = volume_configuration;
  std::string name;                  ///< volumeName
  std::string driver = "local";      ///< volumeDriver
  string_map driver_opts{};          ///< volumeDriverOpts
  string_map labels{};               ///< volumeLabels
};

/// volumeList.
struct volume_list {
  BERTH_APPLE_ROUTE("volumeList", apiserver)
  using result_type = std::vector<volume_configuration>;
};

/// volumeInspect.
struct volume_inspect {
  BERTH_APPLE_ROUTE("volumeInspect", apiserver)
  using result_type = volume_configuration;
  std::string name;  ///< volumeName
};

/// volumeDelete.
struct volume_delete {
  BERTH_APPLE_ROUTE("volumeDelete", apiserver)
  using result_type = empty;
  std::string name;  ///< volumeName
};

/// volumeDiskUsage: the volume's size in bytes.
struct volume_disk_usage {
  BERTH_APPLE_ROUTE("volumeDiskUsage", apiserver)
  using result_type = std::uint64_t;
  std::string name;  ///< volumeName
};

/// systemDiskUsage.
struct system_disk_usage {
  BERTH_APPLE_ROUTE("systemDiskUsage", apiserver)
  using result_type = disk_usage_stats;
};

/// pluginList (payload kept verbatim).
struct plugin_list {
  BERTH_APPLE_ROUTE("pluginList", apiserver)
  using result_type = raw_json;
};

/// pluginGet (payload kept verbatim).
struct plugin_get {
  BERTH_APPLE_ROUTE("pluginGet", apiserver)
  using result_type = raw_json;
  std::string name;  ///< pluginName
};

/// pluginLoad.
struct plugin_load {
  BERTH_APPLE_ROUTE("pluginLoad", apiserver)
  using result_type = empty;
  std::string name;  ///< pluginName
};

/// pluginUnload.
struct plugin_unload {
  BERTH_APPLE_ROUTE("pluginUnload", apiserver)
  using result_type = empty;
  std::string name;  ///< pluginName
};

/// pluginRestart.
struct plugin_restart {
  BERTH_APPLE_ROUTE("pluginRestart", apiserver)
  using result_type = empty;
  std::string name;  ///< pluginName
};

// ---- com.apple.container.core.container-core-images ----------------------------------

/// imageList.
struct image_list {
  BERTH_APPLE_ROUTE("imageList", images)
  using result_type = std::vector<image_description>;
};

/// imagePull: reference already normalised (docker.io/library/alpine:latest).
/// maxConcurrentDownloads is always sent (its usual value is not documented: 3 is berth's).
struct image_pull {
  BERTH_APPLE_ROUTE("imagePull", images)
  using result_type = image_description;
  std::string reference;                          ///< imageReference
  std::optional<apple::platform> platform{};      ///< ociPlatform
  bool insecure = false;                          ///< insecureFlag
  std::int64_t max_concurrent_downloads = 3;      ///< maxConcurrentDownloads (int64)
};

/// imagePush.
struct image_push {
  BERTH_APPLE_ROUTE("imagePush", images)
  using result_type = empty;
  std::string reference;                      ///< imageReference
  std::optional<apple::platform> platform{};  ///< ociPlatform
  bool insecure = false;                      ///< insecureFlag
};

/// imageTag.
struct image_tag {
  BERTH_APPLE_ROUTE("imageTag", images)
  using result_type = image_description;
  std::string reference;      ///< imageReference
  std::string new_reference;  ///< imageNewReference
};

/// imageDelete.
struct image_delete {
  BERTH_APPLE_ROUTE("imageDelete", images)
  using result_type = empty;
  std::string reference;         ///< imageReference
  bool garbage_collect = false;  ///< garbageCollect
};

/// imageSave: the images into an archive at file_path.
struct image_save {
  BERTH_APPLE_ROUTE("imageSave", images)
  using result_type = empty;
  std::vector<image_description> images{};    ///< imageDescriptions
  std::string file_path;                      ///< filePath
  std::optional<apple::platform> platform{};  ///< ociPlatform
};

/// imageLoad: the images of an archive.
struct image_load {
  BERTH_APPLE_ROUTE("imageLoad", images)
  using result_type = image_load_result;
  std::string file_path;  ///< filePath
  bool force = false;     ///< forceLoad
};

/// imageUnpack: makes the image's snapshot.
struct image_unpack {
  BERTH_APPLE_ROUTE("imageUnpack", images)
  using result_type = empty;
  image_description image{};                  ///< imageDescription
  std::optional<apple::platform> platform{};  ///< ociPlatform
};

/// snapshotGet: errc::not_found while the image is not unpacked for the platform.
struct snapshot_get {
  BERTH_APPLE_ROUTE("snapshotGet", images)
  using result_type = filesystem;
  image_description image{};                      ///< imageDescription
  apple::platform platform{"linux", "arm64", {}};  ///< ociPlatform (required)
};

/// snapshotDelete.
struct snapshot_delete {
  BERTH_APPLE_ROUTE("snapshotDelete", images)
  using result_type = empty;
  image_description image{};                      ///< imageDescription
  apple::platform platform{"linux", "arm64", {}};  ///< ociPlatform (always sent)
};

/// contentGet: the host path of a blob; the client reads the file itself.
struct content_get {
  BERTH_APPLE_ROUTE("contentGet", images)
  using result_type = std::string;
  std::string digest;  ///< digest
};

#undef BERTH_APPLE_ROUTE

}  // namespace op

/// The apiserver operations, X(name).
#define BERTH_APPLE_APISERVER_OPS(X)                                                             \
  X(ping) X(container_list) X(container_create) X(container_bootstrap) X(container_create_process) \
  X(container_start_process) X(container_wait) X(container_kill) X(container_resize)            \
  X(container_stop) X(container_delete) X(container_logs) X(container_dial) X(container_stats)  \
  X(container_disk_usage) X(container_copy_in) X(container_copy_out) X(container_export)        \
  X(get_default_kernel) X(install_kernel) X(network_create) X(network_list) X(network_delete)   \
  X(volume_create) X(volume_list) X(volume_inspect) X(volume_delete) X(volume_disk_usage)       \
  X(system_disk_usage) X(plugin_list) X(plugin_get) X(plugin_load) X(plugin_unload)             \
  X(plugin_restart)

/// The images service operations, X(name).
#define BERTH_APPLE_IMAGES_OPS(X)                                                            \
  X(image_list) X(image_pull) X(image_push) X(image_tag) X(image_delete) X(image_save)        \
  X(image_load) X(image_unpack) X(snapshot_get) X(snapshot_delete) X(content_get)

}  // namespace berth::apple
