// Images on containerd beyond pull and import: export to an archive that both `docker
// load` and `ctr import` read, and commit of a container's changes to a new image (the
// Diff service). Operation structs of berth::containerd::op, run through
// containerd::client in the three forms (async_run with a token, run with an error_code,
// the throwing run). Both run their blocking work (content reads, file writes, the diff)
// on berth's worker threads, under a lease so that nothing half-made stays referenced.
//
//   c.run(containerd::op::export_images{.names = {"127.0.0.1:5000/app:1"}, .path = "app.tar"});
//   c.run(containerd::op::commit_container{.id = "job-1", .reference = "example.test/job:1"});
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <asio/awaitable.hpp>

#include "berth/containerd/ops.hpp"
#include "berth/containerd/types.hpp"
#include "berth/core/call_options.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth::containerd {

/// Where an export writes: called with consecutive pieces of the archive, in order, on one
/// of berth's worker threads; an error it returns stops the export.
using archive_sink = std::function<std::error_code(std::string_view piece)>;

/// What an export wrote.
struct BERTH_API export_result {
  std::vector<std::string> images{};  ///< The names exported, in order.
  std::uint64_t bytes = 0;            ///< The archive's size.
};

namespace op {

/// Writes the images (records in containerd, by name) as one tar archive: an OCI image
/// layout (oci-layout, index.json naming each image, blobs/sha256/...) with Docker's
/// manifest.json beside it, so that `docker load` and `ctr import` both read it. The
/// manifest for the host platform of each image is exported, with its config and layers
/// streamed from the content store (never held in memory). The archive goes to path
/// (created or truncated) or, when path is empty, to sink.
struct BERTH_API export_images {
  using result_type = export_result;
  std::vector<std::string> names{};
  std::string path{};
  archive_sink sink{};
};

/// Commits a container's changes (its snapshot against its image's) to a new image named
/// reference: the diff is a new gzip layer (containerd's Diff service), the image config
/// gets its diff id and a history entry (comment), the manifest lists the layer; the image
/// is unpacked, so that it runs at once. The container keeps running (pause it first for a
/// consistent file system).
struct BERTH_API commit_container {
  using result_type = containerd::image;
  std::string id{};
  std::string reference{};
  std::string comment{};
  containerd::labels labels{};  ///< Labels of the new image record.
};

/// Removes an image record and the unpacked snapshots of its layers that no other image
/// of the namespace uses, top first, each removed explicitly before the record is deleted
/// (sync: containerd's garbage collector then takes the unreferenced content at once).
/// Explicitly, because the collector removes a snapshot without unlinking it from its
/// parent (containerd #11908): the parent, another image's layer, could then never be
/// removed. A snapshot that still has children (a container's, a commit's) stays, and so
/// do the layers below it. A missing image: errc::not_found.
struct BERTH_API remove_image {
  using result_type = empty;
  std::string name{};
  std::string snapshotter = "overlayfs";
};

}  // namespace op

namespace detail {
struct state;
BERTH_API asio::awaitable<result<export_result>> execute(std::shared_ptr<state> s, op::export_images o,
                                                         call_options opts);
BERTH_API asio::awaitable<result<containerd::image>> execute(std::shared_ptr<state> s, op::commit_container o,
                                                             call_options opts);
BERTH_API asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::remove_image o, call_options opts);
}  // namespace detail

}  // namespace berth::containerd
