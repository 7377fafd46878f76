// What the pull and the import share: blobs into the content store, image records,
// leases, and the unpack of layers into the snapshotter.
#include "image_store.hpp"

#include "client_access.hpp"

#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

namespace berth::containerd {

namespace detail {

result<std::string> blocking::read_blob(const std::string& digest, std::size_t max) {
  return s_->host->run<std::string>([&](auto h) {
    berth::detail::initiate<std::string>(
        s_->executor(), [s = s_, digest, max] { return detail::read_blob(s, digest, max); }, std::move(h));
  });
}

result<content_writer> blocking::open_writer(const std::string& ref, std::int64_t total, const std::string& expected) {
  client c = client_access::make(s_);
  std::error_code ec;
  auto w = c.open_writer(ref, total, expected, ec);
  if (ec) return unexpected(ec);
  return w;
}

std::string random_hex() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// ---- blob_sink ----

blob_sink::blob_sink(content_writer* w, std::int64_t expected_size) : w_(w), size_(expected_size) {
  auto* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  md_ = md;
}
blob_sink::~blob_sink() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(md_)); }

bool blob_sink::put(std::string_view data) {
  if (err_) return false;
  if (size_ >= 0 && seen_ + static_cast<std::int64_t>(data.size()) > size_) {
    err_ = make_error_code(pull_errc::size_mismatch);
    return false;
  }
  seen_ += static_cast<std::int64_t>(data.size());
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(md_), data.data(), data.size());
  if (!w_) return true;
  buf_.append(data);
  if (buf_.size() >= (1u << 20)) return flush();
  return true;
}

bool blob_sink::flush() {
  if (err_) return false;
  std::size_t off = 0;
  while (off < buf_.size()) {
    std::error_code ec;
    std::size_t chunk = std::min<std::size_t>(buf_.size() - off, 4u << 20);
    w_->write(asio::buffer(buf_.data() + off, chunk), ec);
    if (ec) {
      err_ = ec;
      return false;
    }
    off += chunk;
  }
  buf_.clear();
  return true;
}

std::string blob_sink::digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(md_), md, &n);
  return sha256_digest_string(md, n);
}

// ---- content ----

std::error_code verify_blob(const std::string& expected, std::int64_t size,
                            const std::function<std::error_code(blob_sink&)>& feed) {
  blob_sink sink(nullptr, size);
  std::error_code ec = feed(sink);
  if (!ec) ec = sink.error();
  if (!ec && sink.seen() != size) ec = make_error_code(pull_errc::size_mismatch);
  if (!ec && sink.digest() != expected) ec = make_error_code(pull_errc::digest_mismatch);
  return ec;
}

result<std::string> write_blob(blocking& b, const std::string& expected, std::int64_t size, const labels& l,
                               const std::function<std::error_code(blob_sink&)>& feed, bool verify_existing) {
  std::string ref = expected.empty() ? "berth-import-" + random_hex() : "berth-" + expected;
  auto w = b.open_writer(ref, size, expected);
  if (!w && !expected.empty() && w.error() == errc::already_exists) {
    // In this namespace already (containerd refuses the write): only the labels.
    if (verify_existing)
      if (auto ec = verify_blob(expected, size, feed)) return unexpected(ec);
    auto r = label_blob(b, expected, l);
    if (!r) return unexpected(r.error());
    return expected;
  }
  if (!w) return unexpected(w.error());
  std::error_code ec;
  if (!expected.empty() && w->status().offset == size) {
    // Stored already (in another namespace, or an earlier attempt wrote it all):
    // containerd checks size and digest on commit; a write now would append to it.
    if (verify_existing) {
      if (auto bad = verify_blob(expected, size, feed)) {
        w->close();
        (void)b.run(op::content_abort{ref});
        return unexpected(bad);
      }
    }
    w->commit(size, expected, l, ec);
    if (!ec || ec == errc::already_exists) return expected;
    if (verify_existing) {
      // feed has been consumed: no second chance.
      w->close();
      (void)b.run(op::content_abort{ref});
      return unexpected(ec);
    }
    ec.clear();
  }
  if (w->status().offset != 0) {
    // A previous attempt left a partial write: start it over.
    w->close();
    (void)b.run(op::content_abort{ref});
    w = b.open_writer(ref, size, expected);
    if (!w) return unexpected(w.error());
  }
  std::string digest;
  {
    blob_sink sink(&*w, size);
    ec = feed(sink);
    if (!ec) ec = sink.error();
    if (!ec && !sink.flush()) ec = sink.error();
    if (!ec && sink.seen() != size) ec = make_error_code(pull_errc::size_mismatch);
    digest = sink.digest();
  }
  if (!ec && !expected.empty() && digest != expected) ec = make_error_code(pull_errc::digest_mismatch);
  if (!ec) {
    w->commit(size, digest, l, ec);
    if (ec == errc::already_exists) {
      ec.clear();
      if (!l.empty()) {
        auto r = label_blob(b, digest, l);
        if (!r) ec = r.error();
      }
    }
  }
  if (ec) {
    w->close();
    (void)b.run(op::content_abort{ref});
    return unexpected(ec);
  }
  return digest;
}

result<void> label_blob(blocking& b, const std::string& digest, const labels& l) {
  if (l.empty()) return {};
  std::vector<std::string> mask;
  for (const auto& [k, v] : l) mask.push_back("labels." + k);
  auto u = b.run(op::content_update{content_info{.digest = digest, .labels = l}, mask});
  if (!u) return unexpected(u.error());
  return {};
}

result<void> store_bytes(blocking& b, const descriptor& d, std::string_view data, const labels& l) {
  if (sha256_digest(data) != d.digest) return unexpected(pull_errc::digest_mismatch);
  if (static_cast<std::int64_t>(data.size()) != d.size) return unexpected(pull_errc::size_mismatch);
  if (b.run(op::content_info_get{d.digest})) return label_blob(b, d.digest, l);
  auto r = write_blob(b, d.digest, d.size, l, [&](blob_sink& sink) {
    sink.put(data);
    return std::error_code{};
  });
  if (!r) return unexpected(r.error());
  return {};
}

// ---- snapshots, images, leases ----

namespace {

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

}  // namespace

result<void> unpack_image(blocking& b, const descriptor& config, std::string_view config_body,
                          const std::vector<unpack_layer>& layers, const std::string& snapshotter,
                          const std::atomic<bool>& cancel) {
  auto top = unpack(b, layers, snapshotter, cancel);
  if (!top) return unexpected(top.error());
  labels l{{"containerd.io/gc.ref.snapshot." + snapshotter, *top}};
  return store_bytes(b, config, config_body, l);
}

result<image> put_image(blocking& b, image img) {
  auto r = b.run(op::image_create{img});
  if (r) return r;
  if (r.error() != errc::already_exists) return unexpected(r.error());
  return b.run(op::image_update{std::move(img), {"target", "labels"}});
}

result<std::string> make_lease(blocking& b, const std::string& prefix) {
  auto expire = std::chrono::system_clock::now() + std::chrono::hours(1);
  auto t = std::chrono::system_clock::to_time_t(expire);
  char buf[32];
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  auto l = b.run(op::lease_create{.id = prefix + random_hex(), .labels = {{"containerd.io/gc.expire", buf}}});
  if (!l) return unexpected(l.error());
  return l->id;
}

labels manifest_gc_labels(const manifest_doc& m) {
  labels out;
  if (m.index) return out;
  out["containerd.io/gc.ref.content.config"] = m.config.digest;
  for (std::size_t i = 0; i < m.layers.size(); ++i)
    out["containerd.io/gc.ref.content.l." + std::to_string(i)] = m.layers[i].digest;
  return out;
}

}  // namespace detail
}  // namespace berth::containerd
