// Client-side pull: blobs into the content store under a lease, the image record, and
// the layers unpacked into the snapshotter (image_store.hpp, shared with the import).
// The work is blocking (libcurl, and the sync forms of berth's own operations on a
// private io_context) and runs on a thread of its own; the result is posted to the
// caller's executor.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <thread>

#include "berth/containerd/error.hpp"
#include "image_store.hpp"
#include "berth_config.hpp"
#if BERTH_HAVE_CONTAINERD_PULL
#include "berth/config/auth.hpp"
#include "registry.hpp"
#endif

namespace berth::containerd {

std::string image_reference::name() const {
  std::string n = registry + "/" + repository;
  if (!tag.empty()) n += ":" + tag;
  if (!digest.empty()) n += "@" + digest;
  return n;
}

result<image_reference> parse_reference(std::string_view ref) {
  image_reference r;
  if (ref.empty() || ref.size() > 4096) return unexpected(pull_errc::bad_reference);
  std::string_view rest = ref;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    r.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    auto colon = r.digest.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == r.digest.size())
      return unexpected(pull_errc::bad_reference);
  }
  auto slash = rest.find('/');
  std::string_view first = rest.substr(0, slash);
  if (slash != std::string_view::npos &&
      (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos || first == "localhost")) {
    r.registry = std::string(first);
    rest = rest.substr(slash + 1);
    for (char c : r.registry)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
        return unexpected(pull_errc::bad_reference);
  } else {
    r.registry = "docker.io";
  }
  auto last_slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    r.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (r.tag.empty()) return unexpected(pull_errc::bad_reference);
  }
  if (rest.empty()) return unexpected(pull_errc::bad_reference);
  for (char c : rest)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '/' ||
          c == '.' || c == '_' || c == '-'))
      return unexpected(pull_errc::bad_reference);
  for (char c : r.tag)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return unexpected(pull_errc::bad_reference);
  r.repository = std::string(rest);
  if (r.registry == "docker.io" && r.repository.find('/') == std::string::npos) r.repository = "library/" + r.repository;
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

namespace detail {
namespace {

#if BERTH_HAVE_CONTAINERD_PULL

/// The pull; a registry answer it fails on (status and body, or curl's message) in diag.
result<image> pull_blocking(const std::shared_ptr<state>& s, const std::string& ref_text, const pull_options& o,
                            const std::atomic<bool>& cancel, berth::diagnostics& diag) {
  auto ref = parse_reference(ref_text);
  if (!ref) return unexpected(ref.error());
  blocking plain(s);
  auto lease = make_lease(plain, "berth-pull-");
  if (!lease) return unexpected(lease.error());
  blocking b(s, *lease);
  lease_holder dropper{plain, *lease};

  std::string user = o.username, pass = o.password;
  if (user.empty()) {
    auto creds = berth::config::resolve_credentials(ref->registry);
    if (creds && !creds->username.empty()) user = creds->username, pass = creds->password;
  }
  registry_session reg(ref->registry, ref->repository, user, pass, &cancel);
  auto top = reg.get_manifest(ref->digest.empty() ? ref->tag : ref->digest, &diag);
  if (!top) return unexpected(top.error());
  descriptor top_desc{top->content_type, sha256_digest(top->body), static_cast<std::int64_t>(top->body.size()), {}};
  if (!ref->digest.empty() && top_desc.digest != ref->digest) return unexpected(pull_errc::digest_mismatch);
  auto doc = parse_manifest(top->body, top->content_type);
  if (!doc) return unexpected(doc.error());
  if (top_desc.media_type.empty() || !(is_index(top_desc.media_type) || is_manifest(top_desc.media_type)))
    top_desc.media_type = doc->media_type.empty() ? std::string(doc->index ? media::oci_index : media::oci_manifest)
                                                  : doc->media_type;

  std::string index_body;
  descriptor manifest_desc = top_desc;
  std::string manifest_body = top->body;
  if (doc->index) {
    platform p = o.platform.os.empty() ? host_platform() : o.platform;
    auto chosen = select_platform(*doc, p);
    if (!chosen) return unexpected(chosen.error());
    index_body = std::move(manifest_body);
    manifest_desc = *chosen;
    auto m = reg.get_manifest(chosen->digest, &diag);
    if (!m) return unexpected(m.error());
    if (sha256_digest(m->body) != chosen->digest) return unexpected(pull_errc::digest_mismatch);
    manifest_body = std::move(m->body);
    doc = parse_manifest(manifest_body, chosen->media_type);
    if (!doc) return unexpected(doc.error());
    if (doc->index) return unexpected(pull_errc::unsupported_media_type);
  }

  // The config.
  auto cfg_body = std::make_shared<std::string>();
  auto got = reg.get_blob(doc->config.digest,
                          [&](std::string_view d) {
                            if (cfg_body->size() + d.size() > (8u << 20)) return false;
                            cfg_body->append(d);
                            return true;
                          },
                          &diag);
  if (!got) return unexpected(got.error());
  auto cfg = parse_image_config(*cfg_body);
  if (!cfg) return unexpected(cfg.error());
  if (cfg->diff_ids.size() != doc->layers.size()) return unexpected(pull_errc::bad_manifest);
  for (const auto& l : doc->layers)
    if (!is_layer(l.media_type)) return unexpected(pull_errc::unsupported_media_type);

  // The layers, in parallel, each verified by size and digest while it streams.
  std::vector<unpack_layer> layers;
  for (std::size_t i = 0; i < doc->layers.size(); ++i) layers.push_back({doc->layers[i], cfg->diff_ids[i]});
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::error_code first_error;
  berth::diagnostics first_diag;
  auto worker = [&] {
    blocking wb(s, *lease);
    registry_session wreg(ref->registry, ref->repository, user, pass, &cancel);
    for (;;) {
      std::size_t i = next++;
      if (i >= layers.size()) return;
      {
        std::lock_guard<std::mutex> l(mu);
        if (first_error) return;
      }
      const auto& d = layers[i].blob;
      labels l{{"containerd.io/uncompressed", layers[i].diff_id}};
      std::error_code ec;
      berth::diagnostics ldiag;
      if (wb.run(op::content_info_get{d.digest})) {
        // Already there (a second pull): refresh its labels only.
        auto u = wb.run(op::content_update{content_info{.digest = d.digest, .labels = l},
                                           {"labels.containerd.io/uncompressed"}});
        if (!u) ec = u.error();
      } else {
        for (int attempt = 0; attempt < 3; ++attempt) {
          ldiag.clear();  // only the last attempt's answer counts
          auto r = write_blob(wb, d.digest, d.size, l, [&](blob_sink& sink) {
            auto got = wreg.get_blob(d.digest, [&](std::string_view data) { return sink.put(data); }, &ldiag);
            return got ? std::error_code{} : (sink.error() ? sink.error() : got.error());
          });
          ec = r ? std::error_code{} : r.error();
          if (ec != pull_errc::transport_error || cancel) break;
        }
      }
      if (ec) {
        std::lock_guard<std::mutex> g(mu);
        if (!first_error) first_error = ec, first_diag = ldiag;
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  int n = std::max(1, std::min<int>(o.parallel, static_cast<int>(layers.size())));
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (cancel) return unexpected(berth::errc::cancelled);
  if (first_error) {
    diag = std::move(first_diag);
    return unexpected(first_error);
  }

  // Parents after children, each with the GC labels that keep its children alive.
  auto r = store_bytes(b, doc->config, *cfg_body, {});
  if (!r) return unexpected(r.error());
  labels ml = manifest_gc_labels(*doc);
  r = store_bytes(b, manifest_desc, manifest_body, ml);
  if (!r) return unexpected(r.error());
  if (!index_body.empty()) {
    labels il;
    auto idx = parse_manifest(index_body, top_desc.media_type);
    for (std::size_t i = 0; idx && i < idx->manifests.size(); ++i)
      if (idx->manifests[i].desc.digest == manifest_desc.digest)
        il["containerd.io/gc.ref.content.m." + std::to_string(i)] = manifest_desc.digest;
    r = store_bytes(b, top_desc, index_body, il);
    if (!r) return unexpected(r.error());
  }
  auto img = put_image(b, image{.name = ref->name(), .labels = {}, .target = top_desc});
  if (!img) return unexpected(img.error());
  if (o.unpack) {
    r = unpack_image(b, doc->config, *cfg_body, layers, o.snapshotter, cancel);
    if (!r) return unexpected(r.error());
  }
  return img;
}

#endif

}  // namespace
}  // namespace detail

asio::awaitable<result<image>> client::do_pull(std::shared_ptr<detail::state> s, std::string ref, pull_options o) {
#if BERTH_HAVE_CONTAINERD_PULL
  auto job = [s, ref = std::move(ref), o = std::move(o)](const std::atomic<bool>& cancel) {
    berth::diagnostics diag;
    auto r = detail::pull_blocking(s, ref, o, cancel, diag);
    // Written on the pull's thread, before the completion is posted.
    if (o.diag) *o.diag = r ? berth::diagnostics{} : std::move(diag);
    return r;
  };
  co_return co_await detail::run_on_thread<image>(job);
#else
  (void)s, (void)ref;
  if (o.diag) o.diag->clear();
  co_return unexpected(berth::errc::unsupported);
#endif
}

image client::pull(std::string ref, pull_options opts, std::error_code& ec) {
  auto r = host().run<image>([&](auto h) { async_pull(std::move(ref), std::move(opts), std::move(h)); });
  return value_or_set(std::move(r), ec);
}
image client::pull(std::string ref, pull_options opts) {
  berth::diagnostics local;
  if (!opts.diag) opts.diag = &local;
  auto* diag = opts.diag;
  return or_throw([&](std::error_code& ec) { return pull(std::move(ref), std::move(opts), ec); },
                  [&] { return *diag; });
}

}  // namespace berth::containerd
