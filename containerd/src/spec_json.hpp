// Private: the OCI runtime spec of a container (and the process of an exec), as JSON.
#pragma once

#include <string>
#include <string_view>

#include "berth/containerd/spec.hpp"
#include "berth/core/result.hpp"
#include "manifest.hpp"

namespace berth::containerd::detail {

/// Parses "uid[:gid]" (numeric). Fails with pull_errc::bad_user.
result<std::pair<std::uint32_t, std::uint32_t>> parse_user(std::string_view user);

/// The spec of container o in namespace ns, from its image config.
result<std::string> make_spec(const container_options& o, const image_config& img, std::string_view ns);

/// The settings an OCI spec (as make_spec writes it) describes: process, mounts beyond the
/// defaults, capabilities relative to the default set, resources, namespaces. What lives
/// in the container record (id, image, labels, runtime, snapshotter) is not in it.
result<container_options> read_spec(std::string_view json);

/// Where an init process (container_options::init) is bound in the container.
inline constexpr const char* init_target = "/sbin/docker-init";
/// The host's init binary for containers with init: configured, else Docker's
/// docker-init or a static tini. Empty when there is none.
std::string find_init(const std::string& configured);

/// The folders a snapshot's mounts lay over each other, top first (overlay: upper, then
/// lowers; bind: its source).
std::vector<std::string> rootfs_dirs(const std::vector<mount>& mounts);
/// "name[:group]" (or a mix with numbers) as "uid:gid" from dirs' etc/passwd and
/// etc/group; a named user's supplementary groups are appended to groups. bad_user when a
/// name is not there.
result<std::string> resolve_user(const std::vector<std::string>& dirs, std::string_view user,
                                 std::vector<std::uint32_t>& groups);

/// The process of an exec: the container spec's process with p's fields set.
result<std::string> make_process(std::string_view container_spec, const process_spec& p);

}  // namespace berth::containerd::detail
