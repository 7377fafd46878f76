// Client-side pull and import: blobs into the content store under a lease, the image
// record, and the layers unpacked into the snapshotter. The work is blocking (libcurl,
// and the sync forms of berth's own operations on a private io_context) and runs on a
// thread of its own; the result is posted to the caller's executor.
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include <asio/post.hpp>

#include "berth/containerd/error.hpp"
#include "manifest.hpp"
#include "state.hpp"
#include "berth_config.hpp"
#if BERTH_HAVE_CONTAINERD_PULL
#include "berth/engine/auth.hpp"
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

/// Runs f(cancel) on a thread of its own; completes with its result on the awaiting
/// coroutine's executor. Terminal cancellation sets cancel.
template <class T, class F>
auto run_on_thread(const F& f) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(result<T>)>(
      [f = F(f)](auto handler) mutable {
        auto cancel = std::make_shared<std::atomic<bool>>(false);
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected())
          slot.assign([cancel](asio::cancellation_type t) {
            if ((t & asio::cancellation_type::terminal) != asio::cancellation_type::none) cancel->store(true);
          });
        // Nothing tied to the caller's io_context may be destroyed on this thread after
        // the completion is posted (the caller may be gone by then): f (which holds the
        // client state) dies before the post, and the executor and the handler are
        // released on the caller's side, once this thread has let go of the lock.
        using Handler = decltype(handler);
        using Ex = decltype(asio::get_associated_executor(handler));
        struct poster {
          std::mutex mu;
          std::optional<Ex> ex;
          std::optional<Handler> h;
        };
        auto pp = std::make_shared<poster>();
        pp->ex.emplace(asio::get_associated_executor(handler));
        pp->h.emplace(std::move(handler));
        auto fp = std::make_unique<F>(std::move(f));
        std::thread([fp = std::move(fp), cancel, pp, slot]() mutable {
          result<T> r = (*fp)(*cancel);
          fp.reset();
          std::lock_guard<std::mutex> lock(pp->mu);
          asio::post(*pp->ex, [pp, slot, r = std::move(r)]() mutable {
            std::optional<Handler> h;
            {
              std::lock_guard<std::mutex> l(pp->mu);
              h.emplace(std::move(*pp->h));
              pp->h.reset();
              pp->ex.reset();
            }
            if (slot.is_connected()) slot.clear();
            std::move (*h)(std::move(r));
          });
        }).detach();
      },
      asio::use_awaitable);
}

/// berth's own operations, blocking, on a private io_context (one per thread).
class blocking {
 public:
  explicit blocking(const std::shared_ptr<state>& s, std::string lease = {}) : s_(std::make_shared<state>(*s)) {
    s_->host = std::make_shared<execution_host>();
    if (!lease.empty()) s_->lease = std::move(lease);
  }
  template <class Op>
  result<typename Op::result_type> run(Op o) {
    using R = typename Op::result_type;
    return s_->host->run<R>([&](auto h) {
      berth::detail::initiate<R>(
          s_->executor(), [s = s_, o = std::move(o)]() mutable { return execute(s, std::move(o), {}); }, std::move(h));
    });
  }
  result<std::string> read_blob(const std::string& digest, std::size_t max) {
    return s_->host->run<std::string>([&](auto h) {
      berth::detail::initiate<std::string>(
          s_->executor(), [s = s_, digest, max] { return detail::read_blob(s, digest, max); }, std::move(h));
    });
  }
  result<content_writer> open_writer(const std::string& ref, std::int64_t total, const std::string& expected) {
    client c = make_client();
    std::error_code ec;
    auto w = c.open_writer(ref, total, expected, ec);
    if (ec) return unexpected(ec);
    return w;
  }
  const std::shared_ptr<state>& st() const { return s_; }

 private:
  client make_client();
  std::shared_ptr<state> s_;
};

}  // namespace
}  // namespace detail

/// Lets the pull build a client on a private state (client's constructor from a state is
/// private to berth).
struct client_access {
  static client make(std::shared_ptr<detail::state> s) {
    client c(client_options{.address = s->address, .namespace_ = s->ns});
    c.state_ = std::move(s);
    return c;
  }
};

namespace detail {
namespace {

client blocking::make_client() { return client_access::make(s_); }

std::string random_hex() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

/// Streams data into the content store, hashing it; commits with the expected digest.
class blob_sink {
 public:
  blob_sink(content_writer& w, std::int64_t expected_size) : w_(w), size_(expected_size) {
    md_ = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md_, EVP_sha256(), nullptr);
  }
  ~blob_sink() { EVP_MD_CTX_free(md_); }
  bool put(std::string_view data) {
    if (size_ >= 0 && seen_ + static_cast<std::int64_t>(data.size()) > size_) {
      err_ = make_error_code(pull_errc::size_mismatch);
      return false;
    }
    seen_ += static_cast<std::int64_t>(data.size());
    EVP_DigestUpdate(md_, data.data(), data.size());
    buf_.append(data);
    if (buf_.size() >= (1u << 20)) return flush();
    return true;
  }
  bool flush() {
    std::size_t off = 0;
    while (off < buf_.size()) {
      std::error_code ec;
      std::size_t chunk = std::min<std::size_t>(buf_.size() - off, 4u << 20);
      w_.write(asio::buffer(buf_.data() + off, chunk), ec);
      if (ec) {
        err_ = ec;
        return false;
      }
      off += chunk;
    }
    buf_.clear();
    return true;
  }
  std::string digest() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(md_, md, &n);
    std::string out = "sha256:";
    char hex[3];
    for (unsigned i = 0; i < n; ++i) {
      std::snprintf(hex, sizeof hex, "%02x", md[i]);
      out += hex;
    }
    return out;
  }
  std::int64_t seen() const { return seen_; }
  std::error_code error() const { return err_; }

 private:
  content_writer& w_;
  std::int64_t size_;
  std::int64_t seen_ = 0;
  EVP_MD_CTX* md_;
  std::string buf_;
  std::error_code err_;
};

/// Stores bytes already in memory (manifests, configs) under their digest.
result<void> store_bytes(blocking& b, const descriptor& d, std::string_view data, const labels& l) {
  if (sha256_digest(data) != d.digest) return unexpected(pull_errc::digest_mismatch);
  if (static_cast<std::int64_t>(data.size()) != d.size) return unexpected(pull_errc::size_mismatch);
  auto info = b.run(op::content_info_get{d.digest});
  if (info) {
    if (l.empty()) return {};
    std::vector<std::string> mask;
    for (const auto& [k, v] : l) mask.push_back("labels." + k);
    auto u = b.run(op::content_update{content_info{.digest = d.digest, .labels = l}, mask});
    if (!u) return unexpected(u.error());
    return {};
  }
  auto w = b.open_writer("berth-" + d.digest, d.size, d.digest);
  if (!w) return unexpected(w.error());
  std::error_code ec;
  if (w->status().offset == d.size) {
    // Stored already (in another namespace, or an earlier attempt wrote it all):
    // containerd checks size and digest on commit; a write now would append to it.
    w->commit(d.size, d.digest, l, ec);
    if (!ec || ec == errc::already_exists) return {};
    ec.clear();
  }
  if (w->status().offset != 0) {
    // A previous attempt left a partial write: start it over.
    w->close();
    (void)b.run(op::content_abort{"berth-" + d.digest});
    w = b.open_writer("berth-" + d.digest, d.size, d.digest);
    if (!w) return unexpected(w.error());
  }
  if (!data.empty()) w->write(asio::buffer(data.data(), data.size()), ec);
  if (!ec) w->commit(d.size, d.digest, l, ec);
  if (ec && ec != errc::already_exists) return unexpected(ec);
  return {};
}

struct unpack_layer {
  descriptor blob;
  std::string diff_id;
};

/// Applies layers onto snapshots committed by chain id; skips those already there.
result<std::string> unpack(blocking& b, const std::vector<unpack_layer>& layers, const std::string& snapshotter,
                           const std::atomic<bool>& cancel) {
  std::vector<std::string> diff_ids;
  for (const auto& l : layers) diff_ids.push_back(l.diff_id);
  std::string parent;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (cancel) return unexpected(berth::errc::cancelled);
    std::string chain = chain_id(diff_ids, i + 1);
    if (b.run(op::snapshot_stat{.snapshotter = snapshotter, .key = chain})) {
      parent = chain;
      continue;
    }
    std::string key = "extract-" + random_hex() + " " + chain;
    auto mounts = b.run(op::snapshot_prepare{.snapshotter = snapshotter, .key = key, .parent = parent,
                                             .labels = {{"containerd.io/snapshot.ref", chain}}});
    if (!mounts) return unexpected(mounts.error());
    auto applied = b.run(op::diff_apply{layers[i].blob, *mounts});
    if (!applied || applied->digest != layers[i].diff_id) {
      (void)b.run(op::snapshot_remove{.snapshotter = snapshotter, .key = key});
      return unexpected(applied ? make_error_code(pull_errc::digest_mismatch) : applied.error());
    }
    auto c = b.run(op::snapshot_commit{.snapshotter = snapshotter, .name = chain, .key = key,
                                       .labels = {{"containerd.io/snapshot.ref", chain}}});
    if (!c) {
      (void)b.run(op::snapshot_remove{.snapshotter = snapshotter, .key = key});
      if (c.error() != errc::already_exists) return unexpected(c.error());
    }
    parent = chain;
  }
  return parent;
}

/// Creates or updates the image record.
result<image> put_image(blocking& b, image img) {
  auto r = b.run(op::image_create{img});
  if (r) return r;
  if (r.error() != errc::already_exists) return unexpected(r.error());
  return b.run(op::image_update{std::move(img), {"target", "labels"}});
}

/// Lease for a pull or import: content written under it survives until the image record
/// references it.
result<std::string> make_lease(blocking& b) {
  auto expire = std::chrono::system_clock::now() + std::chrono::hours(1);
  auto t = std::chrono::system_clock::to_time_t(expire);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  auto l = b.run(op::lease_create{.id = "berth-pull-" + random_hex(), .labels = {{"containerd.io/gc.expire", buf}}});
  if (!l) return unexpected(l.error());
  return l->id;
}

/// Stores the config with its labels, unpacks, labels the config with the snapshot.
result<void> finish_image(blocking& b, const descriptor& config, const std::string& config_body,
                          const std::vector<unpack_layer>& layers, bool do_unpack, const std::string& snapshotter,
                          const std::atomic<bool>& cancel) {
  if (!do_unpack) return {};
  auto top = unpack(b, layers, snapshotter, cancel);
  if (!top) return unexpected(top.error());
  labels l{{"containerd.io/gc.ref.snapshot." + snapshotter, *top}};
  return store_bytes(b, config, config_body, l);
}

#if BERTH_HAVE_CONTAINERD_PULL

result<image> pull_blocking(const std::shared_ptr<state>& s, const std::string& ref_text, const pull_options& o,
                            const std::atomic<bool>& cancel) {
  auto ref = parse_reference(ref_text);
  if (!ref) return unexpected(ref.error());
  blocking plain(s);
  auto lease = make_lease(plain);
  if (!lease) return unexpected(lease.error());
  blocking b(s, *lease);
  struct drop_lease {
    blocking& b;
    std::string id;
    ~drop_lease() { (void)b.run(op::lease_delete{id, false}); }
  } dropper{plain, *lease};

  std::string user = o.username, pass = o.password;
  if (user.empty()) {
    auto creds = engine::registry::resolve_credentials(ref->registry);
    if (creds && !creds->username.empty()) user = creds->username, pass = creds->password;
  }
  registry_session reg(ref->registry, ref->repository, user, pass, &cancel);
  berth::diagnostics diag;
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
          std::string ref_name = "berth-" + d.digest;
          auto w = wb.open_writer(ref_name, d.size, d.digest);
          if (!w) {
            ec = w.error();
            break;
          }
          if (w->status().offset == d.size) {
            // Stored already (in another namespace, or an earlier attempt wrote it
            // all): containerd checks size and digest on commit; a write would append.
            w->commit(d.size, d.digest, l, ec);
            if (!ec || ec == errc::already_exists) {
              ec.clear();
              break;
            }
            ec.clear();
          }
          if (w->status().offset != 0) {
            w->close();
            (void)wb.run(op::content_abort{ref_name});
            w = wb.open_writer(ref_name, d.size, d.digest);
            if (!w) {
              ec = w.error();
              break;
            }
          }
          blob_sink sink(*w, d.size);
          auto r = wreg.get_blob(d.digest, [&](std::string_view data) { return sink.put(data); }, &ldiag);
          ec = r ? sink.error() : (sink.error() ? sink.error() : r.error());
          if (!ec && !sink.flush()) ec = sink.error();
          if (!ec && sink.seen() != d.size) ec = make_error_code(pull_errc::size_mismatch);
          if (!ec && sink.digest() != d.digest) ec = make_error_code(pull_errc::digest_mismatch);
          if (!ec) {
            w->commit(d.size, d.digest, l, ec);
            if (ec == errc::already_exists) ec.clear();
          }
          if (ec) {
            w->close();
            (void)wb.run(op::content_abort{ref_name});
          }
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
  if (first_error) return unexpected(first_error);

  // Parents after children, each with the GC labels that keep its children alive.
  auto r = store_bytes(b, doc->config, *cfg_body, {});
  if (!r) return unexpected(r.error());
  labels ml{{"containerd.io/gc.ref.content.config", doc->config.digest}};
  for (std::size_t i = 0; i < doc->layers.size(); ++i)
    ml["containerd.io/gc.ref.content.l." + std::to_string(i)] = doc->layers[i].digest;
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
  r = finish_image(b, doc->config, *cfg_body, layers, o.unpack, o.snapshotter, cancel);
  if (!r) return unexpected(r.error());
  return img;
}

#endif

}  // namespace
}  // namespace detail

asio::awaitable<result<image>> client::do_pull(std::shared_ptr<detail::state> s, std::string ref, pull_options o) {
#if BERTH_HAVE_CONTAINERD_PULL
  auto job = [s, ref = std::move(ref), o = std::move(o)](const std::atomic<bool>& cancel) {
    return detail::pull_blocking(s, ref, o, cancel);
  };
  co_return co_await detail::run_on_thread<image>(job);
#else
  (void)s, (void)ref, (void)o;
  co_return unexpected(berth::errc::unsupported);
#endif
}

image client::pull(std::string ref, pull_options opts, std::error_code& ec) {
  auto r = host().run<image>([&](auto h) { async_pull(std::move(ref), std::move(opts), std::move(h)); });
  return value_or_set(std::move(r), ec);
}

}  // namespace berth::containerd
