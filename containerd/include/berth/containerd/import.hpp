// Import of image archives into containerd, for machines with no registry.
//
// Two layouts, told apart by their files (the tar's entry order does not matter):
//   - OCI image layout (oci-layout, index.json, blobs/<alg>/<hex>), as `ctr images export`
//     and Docker 25+ `docker save` write it;
//   - docker save (manifest.json, repositories, <id>/layer.tar with <hex>.json configs),
//     whose config and layers berth turns into a Docker schema2 manifest (uncompressed
//     layers keep the ...rootfs.diff.tar media type; gzip ones are detected).
// The archive is read once, as a stream: every blob goes straight into the content store
// through Content.Write (1 MiB at a time, never a whole layer in memory), hashed on the
// way and checked against the digest its name or the image config gives, under a lease
// with the GC labels containerd's own client sets. Then the image records are created
// (names from RepoTags, or the io.containerd.image.name / org.opencontainers.image.ref.name
// annotations) and the layers are unpacked into the snapshotter as the pull does. On any
// failure the lease is dropped and nothing stays behind.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <system_error>

#include <asio/buffer.hpp>

#include "berth/containerd/types.hpp"
#include "berth/core/error.hpp"
#include "berth/core/export.hpp"

namespace berth::containerd {

/// The bytes of an archive, in order. read(buf, ec) blocks until it has put at least one
/// byte into buf and returns how many; at the end it returns 0 with ec unset; on failure it
/// sets ec (the import fails with it). Called on the import's own thread, one call at a time.
using archive_source = std::function<std::size_t(asio::mutable_buffer buf, std::error_code& ec)>;

struct BERTH_API import_options {
  /// For an image the archive does not name: name_prefix + "@" + its manifest digest.
  std::string name_prefix = "import";
  /// For an OCI entry named by a bare tag (org.opencontainers.image.ref.name = "1.0"):
  /// base_name + ":" + tag; empty: such entries get the name_prefix name.
  std::string base_name{};
  /// Maps each image name (normalised, e.g. docker.io/library/busybox:latest) to the name
  /// stored; empty: names are kept.
  std::function<std::string(const std::string& name)> rename{};
  /// Unpack the layers into the snapshotter (for the host's platform).
  bool unpack = true;
  std::string snapshotter = "overlayfs";
  /// Receives a failure's details (which entry, which digest), when set.
  berth::diagnostics* diag = nullptr;
};

}  // namespace berth::containerd
