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

/// The process of an exec: the container spec's process with p's fields set.
result<std::string> make_process(std::string_view container_spec, const process_spec& p);

}  // namespace berth::containerd::detail
