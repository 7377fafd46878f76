// The payloads of Apple's `container` XPC routes: plain aggregates mirroring the Swift
// Codable types that travel, JSON-encoded, as xpc data (APPLE.md §3.2 and §1.7).
//
// Member names are snake_case; their JSON keys are the Swift property names (camelCase),
// listed beside each member. Construction defaults are the Swift defaults APPLE.md states
// (Resources, PublishPort.count, runtimeHandler, ...); what a decoder does with a missing
// key is documented in berth/apple/json.hpp. Plain values: nothing here completes later.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "berth/core/export.hpp"

namespace berth::apple {

/// A Swift [String: String] (labels, sysctls, dynamicEnv, volume options).
using string_map = std::map<std::string, std::string>;

/// A Swift Date inside a payload: a JSON number, seconds since 2001-01-01T00:00:00Z
/// (JSONEncoder's default). Kept as a double so that a decoded value re-encodes exactly.
struct BERTH_API reference_date {
  /// Seconds between the Unix epoch and the reference date.
  static constexpr double unix_offset = 978307200.0;
  double seconds = 0;
  std::chrono::system_clock::time_point to_time_point() const noexcept;
  static reference_date from(std::chrono::system_clock::time_point tp) noexcept;
  friend bool operator==(const reference_date&, const reference_date&) = default;
};

/// JSON kept verbatim (re-serialised compactly) where APPLE.md gives no type: plugin
/// payloads, Attachment.variant, NetworkConfiguration.options, imageLoad's rejectedMembers.
struct raw_json {
  std::string text;
  friend bool operator==(const raw_json&, const raw_json&) = default;
};

// ---- OCI ------------------------------------------------------------------------------

/// An OCI platform: {"os","architecture","variant"?}.
struct platform {
  std::string os;            ///< os
  std::string architecture;  ///< architecture
  std::optional<std::string> variant{};  ///< variant, omitted when unset
  friend bool operator==(const platform&, const platform&) = default;
};

/// An OCI descriptor: {mediaType, digest, size, urls?, annotations?, platform?, artifactType?}.
struct descriptor {
  std::string media_type;     ///< mediaType
  std::string digest;         ///< digest
  std::int64_t size = 0;      ///< size
  std::optional<std::vector<std::string>> urls{};  ///< urls
  std::optional<string_map> annotations{};         ///< annotations
  std::optional<apple::platform> platform{};       ///< platform
  std::optional<std::string> artifact_type{};      ///< artifactType
  friend bool operator==(const descriptor&, const descriptor&) = default;
};

/// ImageDescription: {reference, descriptor}; both required.
struct image_description {
  std::string reference;          ///< reference, e.g. docker.io/library/alpine:latest
  apple::descriptor descriptor;   ///< descriptor
  friend bool operator==(const image_description&, const image_description&) = default;
};

// ---- Filesystem (= Mount) --------------------------------------------------------------

/// Filesystem.CacheMode: JSON {"on":{}}, {"off":{}}, {"auto":{}} (objects, never strings).
enum class cache_mode { on, off, auto_ };
/// Filesystem.SyncMode: JSON {"full":{}}, {"fsync":{}}, {"nosync":{}}.
enum class sync_mode { full, fsync, nosync };

/// FSType.block: {"block":{"format","cache","sync"}}.
struct fs_block {
  std::string format;
  cache_mode cache = cache_mode::auto_;
  sync_mode sync = sync_mode::full;
  friend bool operator==(const fs_block&, const fs_block&) = default;
};
/// FSType.volume: {"volume":{"name","format","cache","sync"}}.
struct fs_volume {
  std::string name;
  std::string format;
  cache_mode cache = cache_mode::auto_;
  sync_mode sync = sync_mode::full;
  friend bool operator==(const fs_volume&, const fs_volume&) = default;
};
/// FSType.virtiofs: {"virtiofs":{}} (bind mounts).
struct fs_virtiofs {
  friend bool operator==(const fs_virtiofs&, const fs_virtiofs&) = default;
};
/// FSType.tmpfs: {"tmpfs":{}}.
struct fs_tmpfs {
  friend bool operator==(const fs_tmpfs&, const fs_tmpfs&) = default;
};
/// Filesystem.FSType: a single-key object naming the case.
using fs_type = std::variant<fs_virtiofs, fs_tmpfs, fs_block, fs_volume>;

/// Filesystem: every key required.
struct filesystem {
  fs_type type{};               ///< type
  std::string source;           ///< source: an absolute host path; "tmpfs" for tmpfs
  std::string destination;      ///< destination
  std::vector<std::string> options{};  ///< options ("ro": read-only)
  friend bool operator==(const filesystem&, const filesystem&) = default;
};

// ---- ProcessConfiguration --------------------------------------------------------------

/// User.id: {"id":{"uid":0,"gid":0}}.
struct user_id {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  friend bool operator==(const user_id&, const user_id&) = default;
};
/// User.raw: {"raw":{"userString":"1000:1000"}}.
struct user_raw {
  std::string user_string;  ///< userString
  friend bool operator==(const user_raw&, const user_raw&) = default;
};
/// ProcessConfiguration.User.
using user = std::variant<user_id, user_raw>;

/// An rlimit: {limit (e.g. "RLIMIT_NOFILE"), soft, hard}; all required.
struct rlimit {
  std::string limit;
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
  friend bool operator==(const rlimit&, const rlimit&) = default;
};

/// ProcessConfiguration: every key required.
struct process_configuration {
  std::string executable;                       ///< executable
  std::vector<std::string> arguments{};         ///< arguments
  std::vector<std::string> environment{};       ///< environment, "K=V"
  std::string working_directory;                ///< workingDirectory
  bool terminal = false;                        ///< terminal
  apple::user user = user_id{};                 ///< user
  std::vector<std::uint32_t> supplemental_groups{};  ///< supplementalGroups
  std::vector<apple::rlimit> rlimits{};         ///< rlimits
  friend bool operator==(const process_configuration&, const process_configuration&) = default;
};

// ---- ports, sockets, networks ----------------------------------------------------------

/// PublishProtocol: "tcp" or "udp".
enum class publish_protocol { tcp, udp };

/// PublishPort (decoded tolerantly; count defaults to 1).
struct publish_port {
  std::string host_address;          ///< hostAddress
  std::uint16_t host_port = 0;       ///< hostPort
  std::uint16_t container_port = 0;  ///< containerPort
  publish_protocol proto = publish_protocol::tcp;  ///< proto
  std::uint16_t count = 1;           ///< count
  friend bool operator==(const publish_port&, const publish_port&) = default;
};

/// PublishSocket: plain absolute paths.
struct publish_socket {
  std::string container_path;                ///< containerPath
  std::string host_path;                     ///< hostPath
  std::optional<std::uint32_t> permissions{};  ///< permissions (file mode bits)
  friend bool operator==(const publish_socket&, const publish_socket&) = default;
};

/// The options of an AttachmentConfiguration.
struct attachment_options {
  std::string hostname;                     ///< hostname
  std::optional<std::string> mac_address{};  ///< macAddress
  std::optional<std::uint32_t> mtu{};        ///< mtu
  friend bool operator==(const attachment_options&, const attachment_options&) = default;
};

/// AttachmentConfiguration: {network, options}; both required.
struct attachment_configuration {
  std::string network;
  attachment_options options{};
  friend bool operator==(const attachment_configuration&, const attachment_configuration&) = default;
};

/// Attachment: a container's address on a network (decoded tolerantly).
struct attachment {
  std::string network;                        ///< network
  std::string hostname;                       ///< hostname
  std::string ipv4_address;                   ///< ipv4Address (CIDR)
  std::string ipv4_gateway;                   ///< ipv4Gateway
  std::optional<std::string> ipv6_address{};  ///< ipv6Address
  std::optional<std::string> mac_address{};   ///< macAddress
  std::optional<std::uint32_t> mtu{};         ///< mtu
  std::optional<raw_json> variant{};          ///< variant (type not stated: verbatim)
  friend bool operator==(const attachment&, const attachment&) = default;
};

/// DNSConfiguration: nameservers, searchDomains and options required, domain optional.
struct dns_configuration {
  std::vector<std::string> nameservers{"1.1.1.1"};  ///< nameservers
  std::optional<std::string> domain{};              ///< domain
  std::vector<std::string> search_domains{};        ///< searchDomains
  std::vector<std::string> options{};               ///< options
  friend bool operator==(const dns_configuration&, const dns_configuration&) = default;
};

/// Resources (decoded tolerantly: cpus 4, memoryInBytes 1 GiB, cpuOverhead 1).
struct resources {
  std::int64_t cpus = 4;                        ///< cpus
  std::uint64_t memory_in_bytes = 1073741824;   ///< memoryInBytes
  std::optional<std::uint64_t> storage{};       ///< storage
  std::int64_t cpu_overhead = 1;                ///< cpuOverhead
  friend bool operator==(const resources&, const resources&) = default;
};

/// ContainerConfiguration (decoded tolerantly; id, image and initProcess required).
struct container_configuration {
  std::string id;                                        ///< id
  image_description image{};                             ///< image
  std::vector<filesystem> mounts{};                      ///< mounts
  std::vector<publish_port> published_ports{};           ///< publishedPorts
  std::vector<publish_socket> published_sockets{};       ///< publishedSockets
  string_map labels{};                                   ///< labels
  string_map sysctls{};                                  ///< sysctls
  std::vector<attachment_configuration> networks{};      ///< networks
  std::optional<dns_configuration> dns{};                ///< dns
  bool rosetta = false;                                  ///< rosetta
  process_configuration init_process{};                  ///< initProcess
  apple::platform platform{"linux", "arm64", {}};        ///< platform
  apple::resources resources{};                          ///< resources
  std::string runtime_handler = "container-runtime-linux";  ///< runtimeHandler
  bool virtualization = false;                           ///< virtualization
  bool ssh = false;                                      ///< ssh
  bool read_only = false;                                ///< readOnly
  bool use_init = false;                                 ///< useInit
  std::vector<std::string> cap_add{};                    ///< capAdd
  std::vector<std::string> cap_drop{};                   ///< capDrop
  std::optional<std::uint64_t> shm_size{};               ///< shmSize
  std::optional<std::string> stop_signal{};              ///< stopSignal
  std::optional<std::vector<std::string>> masked_paths{};    ///< maskedPaths (1.2)
  std::optional<std::vector<std::string>> readonly_paths{};  ///< readonlyPaths (1.2)
  reference_date creation_date{};                        ///< creationDate
  friend bool operator==(const container_configuration&, const container_configuration&) = default;
};

/// RuntimeStatus: "unknown", "stopped", "running", "stopping".
enum class runtime_status { unknown, stopped, running, stopping };

/// ContainerSnapshot, the wire form of a listed container.
struct container_snapshot {
  container_configuration configuration{};        ///< configuration
  runtime_status status = runtime_status::unknown;  ///< status
  std::vector<attachment> networks{};             ///< networks
  std::optional<reference_date> started_date{};   ///< startedDate
  friend bool operator==(const container_snapshot&, const container_snapshot&) = default;
};

/// ContainerCreateOptions: autoRemove required.
struct container_create_options {
  bool auto_remove = false;                        ///< autoRemove
  std::optional<filesystem> root_fs_override{};    ///< rootFsOverride
  friend bool operator==(const container_create_options&, const container_create_options&) = default;
};

/// ContainerListFilters: ids and labels required (label values are regexes).
struct container_list_filters {
  std::vector<std::string> ids{};           ///< ids (empty: every container)
  std::optional<runtime_status> status{};   ///< status
  string_map labels{};                      ///< labels
  friend bool operator==(const container_list_filters&, const container_list_filters&) = default;
};

/// ContainerStopOptions: timeoutInSeconds required.
struct container_stop_options {
  std::int32_t timeout_in_seconds = 5;    ///< timeoutInSeconds
  std::optional<std::string> signal{};    ///< signal
  friend bool operator==(const container_stop_options&, const container_stop_options&) = default;
};

/// ContainerStats: id and optional counters.
struct container_stats {
  std::string id;
  std::optional<std::uint64_t> memory_usage_bytes{};  ///< memoryUsageBytes
  std::optional<std::uint64_t> memory_limit_bytes{};  ///< memoryLimitBytes
  std::optional<std::uint64_t> cpu_usage_usec{};      ///< cpuUsageUsec
  std::optional<std::uint64_t> network_rx_bytes{};    ///< networkRxBytes
  std::optional<std::uint64_t> network_tx_bytes{};    ///< networkTxBytes
  std::optional<std::uint64_t> block_read_bytes{};    ///< blockReadBytes
  std::optional<std::uint64_t> block_write_bytes{};   ///< blockWriteBytes
  std::optional<std::uint64_t> num_processes{};       ///< numProcesses
  friend bool operator==(const container_stats&, const container_stats&) = default;
};

// ---- kernel -----------------------------------------------------------------------------

/// SystemPlatform: os "linux" or "darwin", architecture "arm64" or "amd64" (strings: `linux`
/// is a predefined macro under GNU dialects).
struct system_platform {
  std::string os = "linux";
  std::string architecture = "arm64";
  friend bool operator==(const system_platform&, const system_platform&) = default;
};

/// Kernel.commandLine.
struct kernel_command_line {
  std::vector<std::string> kernel_args{};  ///< kernelArgs
  std::vector<std::string> init_args{};    ///< initArgs
  friend bool operator==(const kernel_command_line&, const kernel_command_line&) = default;
};

/// Kernel: obtained from getDefaultKernel and passed through to containerCreate.
struct kernel {
  std::string path;                     ///< path: a URL's absoluteString (file:///...)
  system_platform platform{};           ///< platform
  kernel_command_line command_line{};   ///< commandLine
  friend bool operator==(const kernel&, const kernel&) = default;
};

// ---- networks, volumes, disk usage ------------------------------------------------------

/// NetworkMode: "nat" or "hostOnly".
enum class network_mode { nat, host_only };

/// NetworkConfiguration (decoded tolerantly).
struct network_configuration {
  std::string name;                          ///< name
  reference_date creation_date{};            ///< creationDate
  network_mode mode = network_mode::nat;     ///< mode
  std::optional<std::string> ipv4_subnet{};  ///< ipv4Subnet
  std::optional<std::string> ipv6_subnet{};  ///< ipv6Subnet
  string_map labels{};                       ///< labels
  std::string plugin = "container-network-vmnet";  ///< plugin
  std::optional<raw_json> options{};         ///< options (type not stated: verbatim)
  friend bool operator==(const network_configuration&, const network_configuration&) = default;
};

/// NetworkStatus.
struct network_status {
  std::string ipv4_subnet;                   ///< ipv4Subnet
  std::string ipv4_gateway;                  ///< ipv4Gateway
  std::optional<std::string> ipv6_subnet{};  ///< ipv6Subnet
  friend bool operator==(const network_status&, const network_status&) = default;
};

/// NetworkResource: {id, configuration, status}.
struct network_resource {
  std::string id;
  network_configuration configuration{};
  network_status status{};
  friend bool operator==(const network_resource&, const network_resource&) = default;
};

/// VolumeConfiguration (decoded tolerantly).
struct volume_configuration {
  std::string name;                           ///< name
  std::string driver = "local";               ///< driver
  std::string format = "ext4";                ///< format
  std::string source;                         ///< source: host path of the volume image
  reference_date creation_date{};             ///< creationDate
  string_map labels{};                        ///< labels
  string_map options{};                       ///< options
  std::optional<std::uint64_t> size_in_bytes{};  ///< sizeInBytes
  friend bool operator==(const volume_configuration&, const volume_configuration&) = default;
};

/// One row of DiskUsageStats.
struct disk_usage_entry {
  std::uint64_t total = 0;          ///< total
  std::uint64_t active = 0;         ///< active
  std::uint64_t size_in_bytes = 0;  ///< sizeInBytes
  std::uint64_t reclaimable = 0;    ///< reclaimable
  friend bool operator==(const disk_usage_entry&, const disk_usage_entry&) = default;
};

/// DiskUsageStats: {images, containers, volumes}.
struct disk_usage_stats {
  disk_usage_entry images{};
  disk_usage_entry containers{};
  disk_usage_entry volumes{};
  friend bool operator==(const disk_usage_stats&, const disk_usage_stats&) = default;
};

/// The in-band error of a reply (ContainerXPCError): {"code","message"}.
struct xpc_error_payload {
  std::string code;
  std::string message;
  friend bool operator==(const xpc_error_payload&, const xpc_error_payload&) = default;
};

}  // namespace berth::apple
