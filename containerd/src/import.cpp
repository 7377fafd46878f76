// Import of OCI-layout and docker-save archives (import.hpp). One pass over the tar:
// every blob streams into the content store under the import's lease (hashed and checked
// on the way); the small JSON documents are also kept in memory for the plan. Then the
// images are planned from index.json (OCI) or manifest.json (docker save), labelled for
// the GC, unpacked (image_store.hpp, shared with the pull), and their records created.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <optional>
#include <set>

#include "berth/containerd/error.hpp"
#include "image_store.hpp"
#include "tar.hpp"

namespace berth::containerd {
namespace detail {
namespace {

constexpr std::size_t chunk_size = 1u << 20;
constexpr std::int64_t max_doc = 8 << 20;           ///< a manifest, index, config, manifest.json
constexpr std::size_t max_cached = 64u << 20;       ///< JSON blobs kept in memory, in all

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string dirname_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? std::string() : p.substr(0, slash);
}

/// A file of the archive that went into the content store.
struct stored_file {
  std::string digest;
  std::int64_t size = 0;
  std::string head;                 ///< its first bytes (compression magic)
  std::optional<std::string> body;  ///< kept when a small JSON document
};

struct archive_scan {
  std::map<std::string, stored_file> files;     ///< by path
  std::map<std::string, std::string> links;     ///< path -> target path
  std::map<std::string, std::string> by_digest; ///< digest -> a path holding it
  std::optional<std::string> manifest_json, index_json, oci_layout;
  std::size_t cached = 0;
};

struct importer {
  blocking& b;
  const import_options& o;
  const std::atomic<bool>& cancel;
  archive_scan scan;

  unexpected fail(std::error_code ec, const std::string& what) {
    if (o.diag) o.diag->set_message(what + ": " + ec.message());
    return unexpected(ec);
  }

  // ---- the pass over the tar ----

  result<void> read_archive(tar_reader& tar) {
    std::vector<char> buf(chunk_size);
    for (;;) {
      if (cancel) return unexpected(berth::errc::cancelled);
      auto next = tar.next();
      if (!next) return fail(next.error(), "archive, at byte " + std::to_string(tar.offset()));
      if (!*next) return {};
      tar_entry& e = **next;
      if (e.kind == tar_entry::symlink || e.kind == tar_entry::hardlink) {
        // docker save links a layer shared by two images (symlinks are relative to their
        // directory, hard links to the archive's root).
        std::string target = e.kind == tar_entry::symlink && !e.link.empty() && e.link[0] != '/'
                                 ? dirname_of(e.path) + "/" + e.link
                                 : e.link;
        scan.links[e.path] = normalize_tar_path(target);
        continue;
      }
      if (e.kind != tar_entry::file) continue;
      std::string base = e.path.substr(e.path.rfind('/') == std::string::npos ? 0 : e.path.rfind('/') + 1);
      bool top = e.path.find('/') == std::string::npos;
      if (top && (e.path == "manifest.json" || e.path == "index.json" || e.path == "oci-layout")) {
        if (e.size > max_doc) return fail(make_error_code(pull_errc::bad_archive), e.path + " too large");
        std::string body(static_cast<std::size_t>(e.size), '\0');
        std::size_t got = 0;
        while (got < body.size()) {
          auto n = tar.read(body.data() + got, body.size() - got);
          if (!n) return fail(n.error(), e.path);
          got += *n;
        }
        (e.path == "manifest.json" ? scan.manifest_json : e.path == "index.json" ? scan.index_json : scan.oci_layout) =
            std::move(body);
        continue;
      }
      // docker save's legacy per-layer metadata and repositories: not needed.
      if (e.path == "repositories" || (!top && (base == "VERSION" || base == "json") &&
                                       e.path.find('/') == e.path.rfind('/')))
        continue;
      std::string expected;
      if (e.path.rfind("blobs/sha256/", 0) == 0 && is_hex64(e.path.substr(13))) {
        expected = "sha256:" + e.path.substr(13);
      } else if (top && base.size() == 69 && base.substr(64) == ".json" && is_hex64(base.substr(0, 64))) {
        expected = "sha256:" + base.substr(0, 64);  // a docker save config
      }
      auto r = store_file(tar, e, expected, buf);
      if (!r) return r;
    }
  }

  result<void> store_file(tar_reader& tar, const tar_entry& e, const std::string& expected, std::vector<char>& buf) {
    stored_file f;
    f.size = e.size;
    bool keep = e.size <= max_doc && scan.cached + static_cast<std::size_t>(e.size) <= max_cached;
    std::string body;
    auto feed = [&](blob_sink& sink) -> std::error_code {
      for (;;) {
        if (cancel) return make_error_code(berth::errc::cancelled);
        auto n = tar.read(buf.data(), buf.size());
        if (!n) return n.error();
        if (*n == 0) return {};
        std::string_view piece(buf.data(), *n);
        if (f.head.size() < 8) f.head.append(piece.substr(0, 8 - f.head.size()));
        if (keep && f.head[0] != '{') keep = false;
        if (keep) body.append(piece);
        if (!sink.put(piece)) return sink.error();
      }
    };
    // The archive's bytes are checked even when the store has the blob already (a second
    // import, or another namespace's copy): a damaged archive fails the same either way.
    result<std::string> d = unexpected(berth::errc::internal);
    if (!expected.empty() && b.run(op::content_info_get{expected})) {
      auto ec = verify_blob(expected, e.size, feed);
      d = ec ? result<std::string>(unexpected(ec)) : result<std::string>(expected);
    } else {
      d = write_blob(b, expected, e.size, {}, feed, true);
    }
    if (!d) return fail(d.error(), e.path + (expected.empty() ? "" : " (" + expected + ")"));
    f.digest = *d;
    if (keep && !body.empty()) {
      scan.cached += body.size();
      f.body = std::move(body);
    }
    scan.by_digest.emplace(f.digest, e.path);
    scan.files[e.path] = std::move(f);
    return {};
  }

  // ---- planning ----

  /// The file at path, following links (a few hops).
  const stored_file* file(std::string path) const {
    for (int hop = 0; hop < 8; ++hop) {
      path = normalize_tar_path(path);
      if (auto it = scan.files.find(path); it != scan.files.end()) return &it->second;
      auto l = scan.links.find(path);
      if (l == scan.links.end()) return nullptr;
      path = l->second;
    }
    return nullptr;
  }

  /// Whether the blob is in the archive or already in the store.
  bool present(const std::string& digest) {
    return scan.by_digest.count(digest) || b.run(op::content_info_get{digest});
  }

  /// A JSON document by digest: from memory, else from the content store.
  result<std::string> document(const descriptor& d) {
    if (d.size > max_doc) return fail(make_error_code(pull_errc::bad_manifest), d.digest + " too large");
    if (auto it = scan.by_digest.find(d.digest); it != scan.by_digest.end()) {
      const auto& f = scan.files.at(it->second);
      if (f.body) return *f.body;
    }
    auto body = b.read_blob(d.digest, static_cast<std::size_t>(max_doc));
    if (!body) {
      if (is_not_found(body.error())) return fail(make_error_code(pull_errc::missing_blob), d.digest);
      return fail(body.error(), d.digest);
    }
    if (sha256_digest(*body) != d.digest) return fail(make_error_code(pull_errc::digest_mismatch), d.digest);
    return body;
  }

  struct planned {
    std::vector<std::string> names;
    descriptor target;
    // The platform manifest (to unpack).
    descriptor config;
    std::string config_body;
    std::vector<unpack_layer> layers;
    bool unpackable = false;
  };

  /// Labels a manifest's blobs and reads what its unpack needs.
  result<void> plan_manifest(const descriptor& md, planned& p) {
    auto body = document(md);
    if (!body) return unexpected(body.error());
    auto doc = parse_manifest(*body, md.media_type);
    if (!doc) return fail(doc.error(), md.digest);
    if (doc->index) return fail(make_error_code(pull_errc::unsupported_media_type), md.digest + " (nested index)");
    for (const auto& l : doc->layers) {
      if (!is_layer(l.media_type)) return fail(make_error_code(pull_errc::unsupported_media_type), l.media_type);
      if (!present(l.digest)) return fail(make_error_code(pull_errc::missing_blob), "layer " + l.digest);
    }
    auto cfg_body = document(doc->config);
    if (!cfg_body) return unexpected(cfg_body.error());
    auto cfg = parse_image_config(*cfg_body);
    if (!cfg) return fail(cfg.error(), "config " + doc->config.digest);
    if (cfg->diff_ids.size() != doc->layers.size())
      return fail(make_error_code(pull_errc::bad_manifest), "config " + doc->config.digest + ": layer count");
    for (std::size_t i = 0; i < doc->layers.size(); ++i) {
      auto r = label_blob(b, doc->layers[i].digest, {{"containerd.io/uncompressed", cfg->diff_ids[i]}});
      if (!r) return fail(r.error(), doc->layers[i].digest);
      p.layers.push_back({doc->layers[i], cfg->diff_ids[i]});
    }
    auto r = store_bytes(b, md, *body, manifest_gc_labels(*doc));
    if (!r) return fail(r.error(), md.digest);
    p.config = doc->config;
    p.config_body = std::move(*cfg_body);
    p.unpackable = true;
    return {};
  }

  std::string normalized(const std::string& ref) {
    auto r = parse_reference(ref);
    return r ? r->name() : std::string();
  }

  result<std::vector<planned>> plan_oci() {
    if (scan.oci_layout) {
      auto v = parse_oci_layout(*scan.oci_layout);
      if (!v) return fail(v.error(), "oci-layout");
    }
    auto idx = parse_manifest(*scan.index_json, media::oci_index);
    if (!idx || !idx->index) return fail(idx ? make_error_code(pull_errc::bad_archive) : idx.error(), "index.json");
    std::vector<planned> out;
    for (const auto& e : idx->manifests) {
      planned p;
      p.target = e.desc;
      if (p.target.media_type.empty()) p.target.media_type = std::string(media::oci_manifest);
      const auto& a = e.desc.annotations;
      std::string name;
      if (auto it = a.find("io.containerd.image.name"); it != a.end()) name = normalized(it->second);
      if (auto it = a.find("org.opencontainers.image.ref.name"); name.empty() && it != a.end()) {
        const std::string& ref = it->second;
        if (ref.find_first_of("/:@") != std::string::npos)
          name = normalized(ref);
        else if (!o.base_name.empty())
          name = normalized(o.base_name + ":" + ref);
      }
      if (!name.empty()) p.names.push_back(name);
      if (!present(e.desc.digest)) return fail(make_error_code(pull_errc::missing_blob), "index.json: " + e.desc.digest);
      if (is_index(p.target.media_type)) {
        auto body = document(p.target);
        if (!body) return unexpected(body.error());
        auto child = parse_manifest(*body, p.target.media_type);
        if (!child) return fail(child.error(), p.target.digest);
        if (!child->index) return fail(make_error_code(pull_errc::bad_manifest), p.target.digest);
        labels il;
        for (std::size_t i = 0; i < child->manifests.size(); ++i)
          if (present(child->manifests[i].desc.digest))
            il["containerd.io/gc.ref.content.m." + std::to_string(i)] = child->manifests[i].desc.digest;
        auto r = label_blob(b, p.target.digest, il);
        if (!r) return fail(r.error(), p.target.digest);
        auto pick = select_platform(*child, host_platform());
        if (pick && present(pick->digest)) {
          auto m = plan_manifest(*pick, p);
          if (!m) return unexpected(m.error());
        } else if (o.unpack) {
          return fail(make_error_code(pick ? pull_errc::missing_blob : pull_errc::no_matching_platform),
                      p.target.digest + ": host platform");
        }
      } else if (is_manifest(p.target.media_type)) {
        auto m = plan_manifest(p.target, p);
        if (!m) return unexpected(m.error());
      } else {
        return fail(make_error_code(pull_errc::unsupported_media_type), "index.json: " + p.target.media_type);
      }
      out.push_back(std::move(p));
    }
    return out;
  }

  result<std::vector<planned>> plan_docker_save() {
    auto entries = parse_save_manifest(*scan.manifest_json);
    if (!entries) return fail(entries.error(), "manifest.json");
    std::vector<planned> out;
    for (const auto& e : *entries) {
      planned p;
      const stored_file* cf = file(e.config);
      if (!cf) return fail(make_error_code(pull_errc::missing_blob), "config " + e.config);
      descriptor config{std::string(media::docker_config), cf->digest, cf->size, {}};
      auto cfg_body = document(config);
      if (!cfg_body) return unexpected(cfg_body.error());
      auto cfg = parse_image_config(*cfg_body);
      if (!cfg) return fail(cfg.error(), "config " + e.config);
      if (cfg->diff_ids.size() != e.layers.size())
        return fail(make_error_code(pull_errc::bad_archive), "manifest.json: layer count of " + e.config);
      std::vector<descriptor> layers;
      for (std::size_t i = 0; i < e.layers.size(); ++i) {
        const stored_file* lf = file(e.layers[i]);
        if (!lf) return fail(make_error_code(pull_errc::missing_blob), "layer " + e.layers[i]);
        descriptor l{"application/vnd.docker.image.rootfs.diff.tar", lf->digest, lf->size, {}};
        bool gzip = lf->head.size() >= 2 && static_cast<unsigned char>(lf->head[0]) == 0x1f &&
                    static_cast<unsigned char>(lf->head[1]) == 0x8b;
        if (gzip) {
          l.media_type = std::string(media::docker_layer_gzip);
        } else if (lf->digest != cfg->diff_ids[i]) {
          // An uncompressed layer is its own diff: the config names its digest.
          return fail(make_error_code(pull_errc::digest_mismatch), "layer " + e.layers[i] + " (" + lf->digest +
                                                                       ", config says " + cfg->diff_ids[i] + ")");
        }
        auto r = label_blob(b, l.digest, {{"containerd.io/uncompressed", cfg->diff_ids[i]}});
        if (!r) return fail(r.error(), "layer " + e.layers[i]);
        layers.push_back(l);
        p.layers.push_back({l, cfg->diff_ids[i]});
      }
      std::string mbody = make_docker_manifest(config, layers);
      p.target = descriptor{std::string(media::docker_manifest), sha256_digest(mbody),
                            static_cast<std::int64_t>(mbody.size()), {}};
      manifest_doc doc;
      doc.config = config;
      doc.layers = layers;
      auto r = store_bytes(b, p.target, mbody, manifest_gc_labels(doc));
      if (!r) return fail(r.error(), "manifest of " + e.config);
      for (const auto& t : e.repo_tags) {
        auto ref = parse_reference(t);
        if (!ref) return fail(ref.error(), "manifest.json: RepoTags " + t);
        p.names.push_back(ref->name());
      }
      p.config = config;
      p.config_body = std::move(*cfg_body);
      p.unpackable = true;
      out.push_back(std::move(p));
    }
    return out;
  }

  result<std::vector<image>> finish(std::vector<planned>& plan) {
    if (o.unpack) {
      for (auto& p : plan) {
        if (!p.unpackable) continue;
        auto r = unpack_image(b, p.config, p.config_body, p.layers, o.snapshotter, cancel);
        if (!r) return fail(r.error(), "unpack " + p.target.digest);
      }
    }
    std::vector<image> out;
    std::set<std::string> seen;
    for (auto& p : plan) {
      if (p.names.empty()) p.names.push_back(o.name_prefix + "@" + p.target.digest);
      for (auto name : p.names) {
        if (o.rename) name = o.rename(name);
        if (name.empty() || !seen.insert(name).second) continue;
        auto img = put_image(b, image{.name = name, .labels = {}, .target = p.target});
        if (!img) return fail(img.error(), "image " + name);
        out.push_back(std::move(*img));
      }
    }
    return out;
  }
};

result<std::vector<image>> import_blocking(const std::shared_ptr<state>& s, const std::string& path,
                                           archive_source src, const import_options& o,
                                           const std::atomic<bool>& cancel) {
  if (o.diag) o.diag->clear();
  int fd = -1;
  struct closer {
    int& fd;
    ~closer() {
      if (fd >= 0) ::close(fd);
    }
  } close_fd{fd};
  if (!src) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::error_code ec(errno, std::system_category());
      if (o.diag) o.diag->set_message(path + ": " + ec.message());
      return unexpected(ec);
    }
    src = [fd](asio::mutable_buffer buf, std::error_code& ec) -> std::size_t {
      for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno == EINTR) continue;
        ec.assign(errno, std::system_category());
        return 0;
      }
    };
  }
  tar_reader tar([&src](char* p, std::size_t n, std::error_code& ec) { return src(asio::buffer(p, n), ec); });

  blocking plain(s);
  auto lease = make_lease(plain, "berth-import-");
  if (!lease) return unexpected(lease.error());
  blocking b(s, *lease);
  // On failure the lease goes synchronously: the GC has collected what it held by the
  // time the import completes.
  lease_holder holder{plain, *lease, true};
  importer imp{b, o, cancel, {}};
  auto r = imp.read_archive(tar);
  if (!r) return unexpected(r.error());
  result<std::vector<importer::planned>> plan = unexpected(pull_errc::bad_archive);
  if (imp.scan.index_json)
    plan = imp.plan_oci();
  else if (imp.scan.manifest_json)
    plan = imp.plan_docker_save();
  else
    return imp.fail(make_error_code(pull_errc::bad_archive), "neither index.json nor manifest.json in the archive");
  if (!plan) return unexpected(plan.error());
  if (cancel) return unexpected(berth::errc::cancelled);
  auto images = imp.finish(*plan);
  if (images) holder.sync = false;
  return images;
}

}  // namespace
}  // namespace detail

asio::awaitable<result<std::vector<image>>> client::do_import(std::shared_ptr<detail::state> s, std::string path,
                                                              archive_source src, import_options o) {
  auto job = [s, path = std::move(path), src = std::move(src), o = std::move(o)](const std::atomic<bool>& cancel) {
    return detail::import_blocking(s, path, src, o, cancel);
  };
  co_return co_await detail::run_on_thread<std::vector<image>>(job);
}

std::vector<image> client::import_archive(std::string path, import_options opts, std::error_code& ec) {
  auto r = host().run<std::vector<image>>(
      [&](auto h) { async_import_archive(std::move(path), std::move(opts), std::move(h)); });
  return value_or_set(std::move(r), ec);
}

std::vector<image> client::import_archive(archive_source src, import_options opts, std::error_code& ec) {
  auto r = host().run<std::vector<image>>(
      [&](auto h) { async_import_archive(std::move(src), std::move(opts), std::move(h)); });
  return value_or_set(std::move(r), ec);
}

namespace {
template <class Source>
std::vector<image> import_or_throw(client& c, Source src, import_options opts) {
  berth::diagnostics local;
  if (!opts.diag) opts.diag = &local;
  auto* diag = opts.diag;
  std::error_code ec;
  auto v = c.import_archive(std::move(src), std::move(opts), ec);
  if (ec) throw berth::error(ec, *diag);
  return v;
}
}  // namespace

std::vector<image> client::import_archive(std::string path, import_options opts) {
  return import_or_throw(*this, std::move(path), std::move(opts));
}
std::vector<image> client::import_archive(archive_source src, import_options opts) {
  return import_or_throw(*this, std::move(src), std::move(opts));
}

}  // namespace berth::containerd
