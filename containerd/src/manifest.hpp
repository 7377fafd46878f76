// Private: decoders of the OCI / Docker image JSON documents (index or manifest list,
// manifest, image config) and of the registry's WWW-Authenticate challenge. Every one is
// total: malformed input gives an error, never a crash (fuzz/containerd_*).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "berth/containerd/types.hpp"
#include "berth/core/result.hpp"

namespace berth::containerd::detail {

namespace media {
inline constexpr std::string_view docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_list = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view docker_layer_gzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view oci_layer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
}  // namespace media

bool is_index(std::string_view media_type);
bool is_manifest(std::string_view media_type);
bool is_layer(std::string_view media_type);

struct index_entry {
  descriptor desc;
  platform plat;
};

/// A manifest, or an index (manifest list): which one is in `index`.
struct manifest_doc {
  std::string media_type;  ///< As declared in the document (may be empty for OCI).
  bool index = false;
  std::vector<index_entry> manifests;  ///< index only
  descriptor config;                   ///< manifest only
  std::vector<descriptor> layers;      ///< manifest only
};

/// Decodes a manifest or index. content_type: the registry's Content-Type or the
/// descriptor's media type (used when the document has no mediaType).
result<manifest_doc> parse_manifest(std::string_view json, std::string_view content_type = {});

/// The parts of an image config berth uses.
struct image_config {
  std::string os, architecture, variant;
  std::vector<std::string> env, entrypoint, cmd;
  std::string working_dir, user;
  std::map<std::string, std::string> labels;
  std::vector<std::string> diff_ids;
};
result<image_config> parse_image_config(std::string_view json);

/// The host's platform (linux/amd64, linux/arm64/v8, ...).
platform host_platform();
/// Picks the entry of an index that runs on p (os and architecture, then variant).
result<descriptor> select_platform(const manifest_doc& index, const platform& p);

/// chain id of layers with these diff ids (OCI image spec: sha256 of "parent diff").
std::string chain_id(const std::vector<std::string>& diff_ids, std::size_t n);
/// "sha256:" + hex sha256 of data.
std::string sha256_digest(std::string_view data);
/// "sha256:" + hex of a finished sha256 (n bytes at md).
std::string sha256_digest_string(const unsigned char* md, unsigned n);

/// A WWW-Authenticate challenge: scheme ("Bearer", "Basic") and its parameters.
struct auth_challenge {
  std::string scheme;
  std::map<std::string, std::string> params;  ///< keys lower-cased
};
/// Parses a WWW-Authenticate header value (the first challenge).
result<auth_challenge> parse_www_authenticate(std::string_view header);

/// docker-save manifest.json: for each image, its config path, repo tags and layer paths.
struct save_entry {
  std::string config;
  std::vector<std::string> repo_tags;
  std::vector<std::string> layers;
};
result<std::vector<save_entry>> parse_save_manifest(std::string_view json);

}  // namespace berth::containerd::detail

namespace berth::containerd::detail {

/// oci-layout: {"imageLayoutVersion": "1.0.0"}; returns the version (bad_archive when the
/// file is not that, or names a major version other than 1).
result<std::string> parse_oci_layout(std::string_view json);

/// A Docker schema2 manifest of config and layers (the bytes berth stores for a docker
/// save image; the same input gives the same bytes, hence the same digest).
std::string make_docker_manifest(const descriptor& config, const std::vector<descriptor>& layers);
/// The same with another manifest media type (an OCI manifest).
std::string make_manifest(std::string_view media_type, const descriptor& config,
                          const std::vector<descriptor>& layers);

}  // namespace berth::containerd::detail
