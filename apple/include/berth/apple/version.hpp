// The apiserver's version and what it implies: there is no protocol version field, so a
// client detects the daemon through ping's apiServerVersion string (APPLE.md §5), e.g.
// "container-apiserver version 1.3.0 (build: release, commit: d6de569)".
//
// Pure functions; nothing completes later. berth requires 1.0 or newer and has been
// written against 1.0 to 1.3 (the tested range).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "berth/apple/ops.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth::apple {

/// A parsed apiServerVersion.
struct apiserver_version {
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  std::uint32_t patch = 0;
  std::string build;   ///< "release" (empty when absent)
  std::string commit;  ///< "d6de569" (empty when absent)
  friend bool operator==(const apiserver_version&, const apiserver_version&) = default;
};

/// Parses "\<name\> version X.Y.Z" optionally followed by " (build: B, commit: C)".
/// berth::errc::invalid_argument when there is no "version X.Y.Z" in s.
BERTH_API result<apiserver_version> parse_apiserver_version(std::string_view s);

/// What a daemon of that version offers, as far as the wire history says.
struct capabilities {
  apiserver_version version{};
  bool tested_range = false;           ///< 1.0 to 1.3: the range berth is written against
  bool copy_routes = false;            ///< containerCopyIn/Out (1.0+)
  bool kernel_digest = false;          ///< installKernel's kernelDigest (1.2+)
  bool masked_readonly_paths = false;  ///< ContainerConfiguration maskedPaths/readonlyPaths (1.2+)
  /// networkCreate is registered on macOS 26+ only: unknown until the host's OS is read.
  std::optional<bool> network_create{};
};

/// The capabilities of a ping reply: xpc_errc::unsupported_version when its
/// apiServerVersion is unparsable or older than 1.0.
BERTH_API result<capabilities> capabilities_of(const system_info& info);

}  // namespace berth::apple
