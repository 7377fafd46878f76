// Image export (an OCI layout with Docker's manifest.json) and container commit (the
// Diff service); see berth/containerd/images.hpp. Both run on a worker thread with
// berth's operations made blocking (image_store.hpp), under a lease.
#include "berth/containerd/images.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <set>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "berth/containerd/client.hpp"
#include "berth/containerd/error.hpp"
#include "berth/io/tar.hpp"
#include "client_access.hpp"
#include "image_store.hpp"
#include "manifest.hpp"
#include "state.hpp"

namespace berth::containerd {

namespace detail {

namespace {

constexpr std::size_t max_doc = 8 << 20;  // manifests, indexes and configs

/// The manifest of img for the host platform, its bytes, and its decoded form.
struct resolved_image {
  descriptor manifest;
  std::string manifest_body;
  manifest_doc doc;
  std::string config_body;
};

result<resolved_image> resolve(blocking& b, const image& img) {
  resolved_image r;
  r.manifest = img.target;
  auto body = b.read_blob(img.target.digest, max_doc);
  if (!body) return unexpected(body.error());
  auto doc = parse_manifest(*body, img.target.media_type);
  if (!doc) return unexpected(doc.error());
  if (doc->index) {
    auto pick = select_platform(*doc, host_platform());
    if (!pick) return unexpected(pick.error());
    r.manifest = *pick;
    body = b.read_blob(pick->digest, max_doc);
    if (!body) return unexpected(body.error());
    doc = parse_manifest(*body, pick->media_type);
    if (!doc) return unexpected(doc.error());
    if (doc->index) return unexpected(pull_errc::bad_manifest);
  }
  r.manifest_body = std::move(*body);
  r.doc = std::move(*doc);
  if (r.manifest.media_type.empty()) r.manifest.media_type = r.doc.media_type;
  auto cfg = b.read_blob(r.doc.config.digest, max_doc);
  if (!cfg) return unexpected(cfg.error());
  r.config_body = std::move(*cfg);
  return r;
}

std::string hex_of(const std::string& digest) {
  auto colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(colon + 1);
}

/// The name Docker's manifest.json gives an image: without docker.io/library/ or docker.io/.
std::string docker_tag(std::string name) {
  if (name.rfind("docker.io/library/", 0) == 0) return name.substr(18);
  if (name.rfind("docker.io/", 0) == 0) return name.substr(10);
  return name;
}

/// The tag part of a reference ("latest" for "x:latest", "" for a digest reference).
std::string tag_of(const std::string& name) {
  if (name.find('@') != std::string::npos) return {};
  auto slash = name.rfind('/');
  auto colon = name.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "latest";
  return name.substr(colon + 1);
}

using writer_t = rapidjson::Writer<rapidjson::StringBuffer>;

void str(writer_t& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

/// Streams the archive: tar entries to the sink, counting bytes.
class archive {
 public:
  explicit archive(archive_sink& sink) : sink_(sink) {}
  std::error_code put(std::string_view piece) {
    bytes_ += piece.size();
    return sink_(piece);
  }
  std::error_code file(const std::string& name, std::string_view data) {
    if (auto ec = put(io::tar_entry_header(name, '0', 0644, data.size(), 0))) return ec;
    if (auto ec = put(data)) return ec;
    return put(std::string(io::tar_padding(data.size()), '\0'));
  }
  std::error_code directory(const std::string& name) { return put(io::tar_entry_header(name, '5', 0755, 0, 0)); }
  std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  archive_sink& sink_;
  std::uint64_t bytes_ = 0;
};

result<export_result> export_blocking(blocking& b, const std::vector<std::string>& names, archive_sink& sink,
                                      const std::atomic<bool>& cancel) {
  if (names.empty()) return unexpected(errc::invalid_argument);
  std::vector<std::pair<image, resolved_image>> images;
  for (const auto& n : names) {
    auto img = b.run(op::image_get{n});
    if (!img) return unexpected(img.error());
    auto r = resolve(b, *img);
    if (!r) return unexpected(r.error());
    images.emplace_back(std::move(*img), std::move(*r));
  }
  archive out(sink);
  std::set<std::string> written;
  if (auto ec = out.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")) return unexpected(ec);
  if (auto ec = out.directory("blobs/")) return unexpected(ec);
  if (auto ec = out.directory("blobs/sha256/")) return unexpected(ec);
  client c = client_access::make(b.st());
  std::vector<char> buf(1 << 20);
  for (const auto& [img, r] : images) {
    if (written.insert(r.manifest.digest).second)
      if (auto ec = out.file("blobs/sha256/" + hex_of(r.manifest.digest), r.manifest_body)) return unexpected(ec);
    if (written.insert(r.doc.config.digest).second)
      if (auto ec = out.file("blobs/sha256/" + hex_of(r.doc.config.digest), r.config_body)) return unexpected(ec);
    for (const auto& layer : r.doc.layers) {
      if (!written.insert(layer.digest).second) continue;
      // Streamed from the content store, a MiB at a time.
      std::error_code ec;
      auto reader = c.read_content(layer.digest, ec);
      if (ec) return unexpected(ec);
      if (auto e = out.put(io::tar_entry_header("blobs/sha256/" + hex_of(layer.digest), '0', 0644,
                                                static_cast<std::uint64_t>(layer.size), 0)))
        return unexpected(e);
      std::int64_t left = layer.size;
      while (left > 0) {
        if (cancel) return unexpected(berth::errc::cancelled);
        auto n = reader.read_some(asio::buffer(buf.data(), static_cast<std::size_t>(std::min<std::int64_t>(
                                                                 left, static_cast<std::int64_t>(buf.size())))),
                                  ec);
        if (ec || n == 0) return unexpected(ec ? ec : make_error_code(pull_errc::size_mismatch));
        if (auto e = out.put(std::string_view(buf.data(), n))) return unexpected(e);
        left -= static_cast<std::int64_t>(n);
      }
      if (auto e = out.put(std::string(io::tar_padding(static_cast<std::uint64_t>(layer.size)), '\0')))
        return unexpected(e);
    }
  }
  // index.json (OCI) and manifest.json (Docker): one entry per image name.
  rapidjson::StringBuffer ib;
  writer_t iw(ib);
  iw.StartObject();
  iw.Key("schemaVersion");
  iw.Int(2);
  iw.Key("mediaType");
  str(iw, media::oci_index);
  iw.Key("manifests");
  iw.StartArray();
  for (const auto& [img, r] : images) {
    iw.StartObject();
    iw.Key("mediaType");
    str(iw, r.manifest.media_type);
    iw.Key("digest");
    str(iw, r.manifest.digest);
    iw.Key("size");
    iw.Int64(r.manifest.size);
    iw.Key("annotations");
    iw.StartObject();
    iw.Key("io.containerd.image.name");
    str(iw, img.name);
    if (auto t = tag_of(img.name); !t.empty()) {
      iw.Key("org.opencontainers.image.ref.name");
      str(iw, t);
    }
    iw.EndObject();
    iw.EndObject();
  }
  iw.EndArray();
  iw.EndObject();
  if (auto ec = out.file("index.json", std::string_view(ib.GetString(), ib.GetSize()))) return unexpected(ec);
  rapidjson::StringBuffer mb;
  writer_t mw(mb);
  mw.StartArray();
  for (const auto& [img, r] : images) {
    mw.StartObject();
    mw.Key("Config");
    str(mw, "blobs/sha256/" + hex_of(r.doc.config.digest));
    mw.Key("RepoTags");
    mw.StartArray();
    if (img.name.find('@') == std::string::npos) str(mw, docker_tag(img.name));
    mw.EndArray();
    mw.Key("Layers");
    mw.StartArray();
    for (const auto& l : r.doc.layers) str(mw, "blobs/sha256/" + hex_of(l.digest));
    mw.EndArray();
    mw.EndObject();
  }
  mw.EndArray();
  if (auto ec = out.file("manifest.json", std::string_view(mb.GetString(), mb.GetSize()))) return unexpected(ec);
  if (auto ec = out.put(io::tar_trailer())) return unexpected(ec);
  export_result res;
  res.images = names;
  res.bytes = out.bytes();
  return res;
}

std::string rfc3339_now() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// The image config with one more layer (diff_id) and a history entry.
result<std::string> extend_config(std::string_view body, const std::string& diff_id, const std::string& comment) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) return unexpected(pull_errc::bad_manifest);
  auto& a = d.GetAllocator();
  auto sv = [&](std::string_view s) { return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a); };
  if (!d.HasMember("rootfs") || !d["rootfs"].IsObject()) {
    rapidjson::Value rootfs(rapidjson::kObjectType);
    rootfs.AddMember("type", "layers", a);
    d.AddMember("rootfs", rootfs, a);
  }
  auto& rootfs = d["rootfs"];
  if (!rootfs.HasMember("diff_ids") || !rootfs["diff_ids"].IsArray())
    rootfs.AddMember("diff_ids", rapidjson::Value(rapidjson::kArrayType), a);
  rootfs["diff_ids"].PushBack(sv(diff_id), a);
  std::string now = rfc3339_now();
  rapidjson::Value entry(rapidjson::kObjectType);
  entry.AddMember("created", sv(now), a);
  entry.AddMember("created_by", "berth commit", a);
  if (!comment.empty()) entry.AddMember("comment", sv(comment), a);
  if (!d.HasMember("history") || !d["history"].IsArray())
    d.AddMember("history", rapidjson::Value(rapidjson::kArrayType), a);
  d["history"].PushBack(entry, a);
  d.RemoveMember("created");
  d.AddMember("created", sv(now), a);
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  d.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

result<image> commit_blocking(blocking& b, const op::commit_container& o, const std::atomic<bool>& cancel) {
  if (o.id.empty() || o.reference.empty()) return unexpected(errc::invalid_argument);
  auto c = b.run(op::container_get{o.id});
  if (!c) return unexpected(c.error());
  auto img = b.run(op::image_get{c->image});
  if (!img) return unexpected(img.error());
  auto r = resolve(b, *img);
  if (!r) return unexpected(r.error());
  auto cfg = parse_image_config(r->config_body);
  if (!cfg) return unexpected(cfg.error());
  if (cfg->diff_ids.size() != r->doc.layers.size()) return unexpected(pull_errc::bad_manifest);
  const std::string snapshotter = c->snapshotter.empty() ? std::string("overlayfs") : c->snapshotter;
  // The changes: the image's top snapshot (a view) against the container's.
  const std::string view_key = "berth-commit-" + random_hex();
  auto left = b.run(op::snapshot_view{.snapshotter = snapshotter, .key = view_key,
                                      .parent = chain_id(cfg->diff_ids, cfg->diff_ids.size())});
  if (!left) return unexpected(is_not_found(left.error()) ? make_error_code(pull_errc::image_not_unpacked) : left.error());
  auto right = b.run(op::snapshot_mounts{.snapshotter = snapshotter, .key = c->snapshot_key});
  const bool docker = r->manifest.media_type == media::docker_manifest;
  result<descriptor> layer = unexpected(berth::errc::internal);
  // containerd's differ writes only the OCI media types; a gzip layer is the same bytes
  // under Docker's name, which a Docker manifest must list.
  if (right) {
    layer = b.run(op::diff_compare{.left = *left, .right = *right, .media_type = std::string(media::oci_layer_gzip),
                                   .ref = "berth-commit-" + random_hex()});
    if (layer && docker) layer->media_type = media::docker_layer_gzip;
  }
  (void)b.run(op::snapshot_remove{.snapshotter = snapshotter, .key = view_key});
  if (!right) return unexpected(right.error());
  if (!layer) return unexpected(layer.error());
  if (cancel) return unexpected(berth::errc::cancelled);
  auto info = b.run(op::content_info_get{layer->digest});
  if (!info) return unexpected(info.error());
  auto uncompressed = info->labels.find("containerd.io/uncompressed");
  if (uncompressed == info->labels.end()) return unexpected(pull_errc::bad_manifest);
  // The new config and manifest.
  auto config_body = extend_config(r->config_body, uncompressed->second, o.comment);
  if (!config_body) return unexpected(config_body.error());
  descriptor config{r->doc.config.media_type.empty() ? std::string(docker ? media::docker_config : media::oci_config)
                                                     : r->doc.config.media_type,
                    sha256_digest(*config_body), static_cast<std::int64_t>(config_body->size()), {}};
  std::vector<descriptor> layers = r->doc.layers;
  layers.push_back(*layer);
  std::string manifest_body =
      make_manifest(docker ? media::docker_manifest : media::oci_manifest, config, layers);
  descriptor manifest{std::string(docker ? media::docker_manifest : media::oci_manifest),
                      sha256_digest(manifest_body), static_cast<std::int64_t>(manifest_body.size()), {}};
  manifest_doc doc;
  doc.config = config;
  doc.layers = layers;
  std::vector<unpack_layer> unpack;
  for (std::size_t i = 0; i < layers.size(); ++i)
    unpack.push_back({layers[i], i < cfg->diff_ids.size() ? cfg->diff_ids[i] : uncompressed->second});
  // The config is stored by the unpack (with its snapshot's GC label), then the manifest
  // that references config and layers, then the record that references the manifest.
  if (auto u = unpack_image(b, config, *config_body, unpack, snapshotter, cancel); !u) return unexpected(u.error());
  if (auto m = store_bytes(b, manifest, manifest_body, manifest_gc_labels(doc)); !m) return unexpected(m.error());
  return put_image(b, image{.name = o.reference, .labels = o.labels, .target = manifest});
}

/// The chain ids of img's layers, bottom first (empty when its content cannot be read).
std::vector<std::string> chains_of(blocking& b, const image& img) {
  std::vector<std::string> out;
  auto r = resolve(b, img);
  if (!r) return out;
  auto cfg = parse_image_config(r->config_body);
  if (!cfg) return out;
  for (std::size_t k = 1; k <= cfg->diff_ids.size(); ++k) out.push_back(chain_id(cfg->diff_ids, k));
  return out;
}

result<empty> remove_image_blocking(blocking& b, const op::remove_image& o) {
  auto img = b.run(op::image_get{o.name});
  if (!img) return unexpected(img.error());
  const auto mine = chains_of(b, *img);
  std::set<std::string> shared;
  if (!mine.empty()) {
    auto all = b.run(op::image_list{});
    if (!all) return unexpected(all.error());
    for (const auto& other : *all) {
      if (other.name == o.name) continue;
      if (other.target.digest == img->target.digest) return b.run(op::image_delete{.name = o.name, .sync = true});
      for (auto& c : chains_of(b, other)) shared.insert(std::move(c));
    }
  }
  for (auto it = mine.rbegin(); it != mine.rend(); ++it) {
    if (shared.count(*it)) break;
    auto rm = b.run(op::snapshot_remove{.snapshotter = o.snapshotter, .key = *it});
    if (!rm && !is_not_found(rm.error())) break;  // children: a container's or a commit's
  }
  return b.run(op::image_delete{.name = o.name, .sync = true});
}

}  // namespace

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::remove_image o, call_options) {
  auto job = [s, o = std::move(o)](const std::atomic<bool>&) -> result<empty> {
    blocking b(s);
    return remove_image_blocking(b, o);
  };
  co_return co_await run_on_thread<empty>(job);
}

asio::awaitable<result<export_result>> execute(std::shared_ptr<state> s, op::export_images o, call_options) {
  auto job = [s, o = std::move(o)](const std::atomic<bool>& cancel) mutable -> result<export_result> {
    blocking b(s);
    archive_sink sink = o.sink;
    int fd = -1;
    if (!o.path.empty()) {
      fd = ::open(o.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) return unexpected(std::error_code(errno, std::generic_category()));
      sink = [fd](std::string_view piece) -> std::error_code {
        while (!piece.empty()) {
          ssize_t w = ::write(fd, piece.data(), piece.size());
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) return std::error_code(errno, std::generic_category());
          piece.remove_prefix(static_cast<std::size_t>(w));
        }
        return {};
      };
    }
    if (!sink) return unexpected(errc::invalid_argument);
    auto r = export_blocking(b, o.names, sink, cancel);
    if (fd >= 0) {
      if (::close(fd) != 0 && r) r = unexpected(std::error_code(errno, std::generic_category()));
      if (!r) ::unlink(o.path.c_str());  // no half archive left behind
    }
    return r;
  };
  co_return co_await run_on_thread<export_result>(job);
}

asio::awaitable<result<containerd::image>> execute(std::shared_ptr<state> s, op::commit_container o,
                                                   call_options) {
  auto job = [s, o = std::move(o)](const std::atomic<bool>& cancel) -> result<image> {
    blocking plain(s);
    auto lease = make_lease(plain, "berth-commit-");
    if (!lease) return unexpected(lease.error());
    blocking b(s, *lease);
    lease_holder dropper{plain, *lease};
    return commit_blocking(b, o, cancel);
  };
  co_return co_await run_on_thread<image>(job);
}

}  // namespace detail
}  // namespace berth::containerd
