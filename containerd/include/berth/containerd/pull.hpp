// Client-side image pull (containerd 1.6 has no server-side pull); the tarball import is
// in import.hpp.
//
// The pull speaks the OCI distribution API through libcurl: plain HTTP for loopback
// registries (127.0.0.0/8, ::1, localhost), HTTPS with verification otherwise; anonymous
// and basic Bearer token flows (WWW-Authenticate); credentials from pull_options or the
// Docker config.json (berth::config::resolve_credentials). Manifest lists and
// OCI indexes are resolved for the platform; every blob is checked against its digest
// and size, written into the content store under a lease with the garbage-collection
// labels containerd's own client sets, the image record is created, and the layers are
// unpacked into the snapshotter (Diff.Apply on prepared snapshots, committed by chain
// id), so `ctr run` can use the image.
#pragma once

#include <string>
#include <string_view>

#include "berth/core/result.hpp"

#include "berth/containerd/types.hpp"
#include "berth/core/error.hpp"
#include "berth/core/export.hpp"

namespace berth::containerd {

struct BERTH_API pull_options {
  /// Empty: the host's (linux/\<arch\>).
  containerd::platform platform{};
  /// Registry credentials; empty: looked up in the Docker config (else anonymous).
  std::string username{};
  std::string password{};
  bool unpack = true;
  std::string snapshotter = "overlayfs";
  /// Parallel blob downloads.
  int parallel = 3;
  /// When set, receives the registry's answer when the pull fails on it: the HTTP status
  /// and body for pull_errc::manifest_unknown, unauthorized and registry_error, curl's
  /// message for transport_error. Cleared on success; status 0 and no message when the
  /// failure is not the registry's. Written before the completion handler runs; must
  /// outlive the operation.
  berth::diagnostics* diag = nullptr;
};

/// A parsed image reference: [registry/]repository[:tag][\@digest], Docker Hub defaults.
struct BERTH_API image_reference {
  std::string registry{};    ///< "docker.io" for Docker Hub names.
  std::string repository{};  ///< "library/busybox" for "busybox" on Docker Hub.
  std::string tag{};         ///< "latest" when neither tag nor digest is given.
  std::string digest{};
  /// The normalised name, as containerd stores it: registry/repository[:tag][\@digest].
  std::string name() const;
};

/// Parses an image reference as the Docker CLI and containerd do ("busybox" is
/// docker.io/library/busybox:latest). Fails with pull_errc::bad_reference.
BERTH_API result<image_reference> parse_reference(std::string_view ref);

}  // namespace berth::containerd
