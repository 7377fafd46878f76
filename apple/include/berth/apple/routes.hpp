// The route table of Apple's `container` XPC services: route names, the request and reply
// key names (the raw enum-case names of XPCKeys and ImagesServiceXPCKeys, APPLE.md §1.3
// and §1.4), the service each route lives on, and berth's per-route deadlines.
//
// Constants and a lookup; nothing here performs I/O. Deadlines marked "Swift" are the Swift
// client's own (60 s default, containerList 10 s, copies 300 s); the others are berth
// policy, overridable per client (client_options::route_timeouts) and per call.
#pragma once

#include <chrono>
#include <span>
#include <string_view>

#include "berth/apple/transport.hpp"
#include "berth/core/export.hpp"

namespace berth::apple {

/// Key names. Request keys and reply keys share one namespace, as in the Swift enums.
namespace keys {
// envelope (§1.2)
inline constexpr std::string_view route = "com.apple.container.xpc.route";
inline constexpr std::string_view error = "com.apple.container.xpc.error";
// ping
inline constexpr std::string_view app_root = "appRoot";
inline constexpr std::string_view install_root = "installRoot";
inline constexpr std::string_view log_root = "logRoot";
inline constexpr std::string_view api_server_version = "apiServerVersion";
inline constexpr std::string_view api_server_commit = "apiServerCommit";
inline constexpr std::string_view api_server_build = "apiServerBuild";
inline constexpr std::string_view api_server_app_name = "apiServerAppName";
// containers
inline constexpr std::string_view list_filters = "listFilters";
inline constexpr std::string_view containers = "containers";
inline constexpr std::string_view container_config = "containerConfig";
inline constexpr std::string_view kernel = "kernel";
inline constexpr std::string_view container_options = "containerOptions";
inline constexpr std::string_view init_image = "initImage";
inline constexpr std::string_view runtime_data = "runtimeData";
inline constexpr std::string_view id = "id";
inline constexpr std::string_view stdin_ = "stdin";
inline constexpr std::string_view stdout_ = "stdout";
inline constexpr std::string_view stderr_ = "stderr";
inline constexpr std::string_view dynamic_env = "dynamicEnv";
inline constexpr std::string_view process_identifier = "processIdentifier";
inline constexpr std::string_view process_config = "processConfig";
inline constexpr std::string_view exit_code = "exitCode";
inline constexpr std::string_view exited_at = "exitedAt";
inline constexpr std::string_view signal = "signal";
inline constexpr std::string_view width = "width";
inline constexpr std::string_view height = "height";
inline constexpr std::string_view stop_options = "stopOptions";
inline constexpr std::string_view force_delete = "forceDelete";
inline constexpr std::string_view logs = "logs";
inline constexpr std::string_view port = "port";
inline constexpr std::string_view fd = "fd";
inline constexpr std::string_view statistics = "statistics";
inline constexpr std::string_view container_size = "containerSize";
inline constexpr std::string_view source_path = "sourcePath";
inline constexpr std::string_view destination_path = "destinationPath";
inline constexpr std::string_view file_mode = "fileMode";
inline constexpr std::string_view create_parents = "createParents";
inline constexpr std::string_view archive = "archive";
// kernel
inline constexpr std::string_view system_platform = "systemPlatform";
inline constexpr std::string_view kernel_file_path = "kernelFilePath";
inline constexpr std::string_view kernel_force = "kernelForce";
inline constexpr std::string_view kernel_tar_url = "kernelTarURL";
inline constexpr std::string_view kernel_digest = "kernelDigest";
inline constexpr std::string_view progress_update_endpoint = "progressUpdateEndpoint";
// networks
inline constexpr std::string_view network_id = "networkId";
inline constexpr std::string_view network_config = "networkConfig";
inline constexpr std::string_view network_resource = "networkResource";
inline constexpr std::string_view network_resources = "networkResources";
// volumes, disk usage, plugins
inline constexpr std::string_view volume_name = "volumeName";
inline constexpr std::string_view volume_driver = "volumeDriver";
inline constexpr std::string_view volume_driver_opts = "volumeDriverOpts";
inline constexpr std::string_view volume_labels = "volumeLabels";
inline constexpr std::string_view volume = "volume";
inline constexpr std::string_view volumes = "volumes";
inline constexpr std::string_view volume_size = "volumeSize";
inline constexpr std::string_view disk_usage_stats = "diskUsageStats";
inline constexpr std::string_view plugin_name = "pluginName";
inline constexpr std::string_view plugins = "plugins";
inline constexpr std::string_view plugin = "plugin";
// images service (§1.4)
inline constexpr std::string_view image_descriptions = "imageDescriptions";
inline constexpr std::string_view image_description = "imageDescription";
inline constexpr std::string_view image_reference = "imageReference";
inline constexpr std::string_view image_new_reference = "imageNewReference";
inline constexpr std::string_view oci_platform = "ociPlatform";
inline constexpr std::string_view insecure_flag = "insecureFlag";
inline constexpr std::string_view max_concurrent_downloads = "maxConcurrentDownloads";
inline constexpr std::string_view garbage_collect = "garbageCollect";
inline constexpr std::string_view file_path = "filePath";
inline constexpr std::string_view force_load = "forceLoad";
inline constexpr std::string_view rejected_members = "rejectedMembers";
inline constexpr std::string_view filesystem = "filesystem";
inline constexpr std::string_view digest = "digest";
inline constexpr std::string_view content_path = "contentPath";
}  // namespace keys

/// One route of the table.
struct route_info {
  std::string_view name;                        ///< e.g. "containerCreate"
  apple::service service_id;                    ///< the Mach service it lives on
  std::chrono::milliseconds default_timeout;    ///< berth's deadline; zero: none
  bool dedicated_connection;                    ///< sent on a connection of its own
  bool read_only;                               ///< safe to repeat after connection_interrupted
};

/// The route named name, or nullptr when berth does not model it.
BERTH_API const route_info* find_route(std::string_view name) noexcept;

/// Every route berth models, apiserver routes first. containerState and containerEvent
/// ("declared but never registered") are not among them.
BERTH_API std::span<const route_info> all_routes() noexcept;

}  // namespace berth::apple
