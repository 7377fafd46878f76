// Private: what the pull and the tarball import share. Both run blocking on one of berth's
// worker threads (run_on_thread) and use berth's operations through `blocking`; blobs go into
// the content store through a Content.Write stream (write_blob, store_bytes), under a
// lease (make_lease / lease_holder) until the image record references them; layers are
// unpacked into the snapshotter by chain id (unpack_image).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <asio/post.hpp>

#include "berth/containerd/error.hpp"
#include "berth/core/offload.hpp"
#include "manifest.hpp"
#include "state.hpp"

namespace berth::containerd::detail {

/// Runs f(cancel) on one of berth's worker threads (a pull or import is blocking work:
/// registry downloads, reading an archive); completes with its result on the awaiting
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
        // f holds the client state: it dies on this thread before the completion is posted.
        auto fp = std::make_unique<F>(std::move(f));
        foreign_completion<decltype(handler)> fc(std::move(handler));
        asio::post(berth::detail::worker_pool(), [fp = std::move(fp), cancel, fc = std::move(fc)]() mutable {
          result<T> r = (*fp)(*cancel);
          fp.reset();
          fc.complete(std::move(r));
        });
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
  result<std::string> read_blob(const std::string& digest, std::size_t max);
  result<content_writer> open_writer(const std::string& ref, std::int64_t total, const std::string& expected);
  const std::shared_ptr<state>& st() const { return s_; }

 private:
  std::shared_ptr<state> s_;
};

std::string random_hex();

/// Hashes the bytes it is given and writes them into a content write (1 MiB at a time);
/// with no writer it only hashes (to verify bytes the store holds already).
class blob_sink {
 public:
  blob_sink(content_writer* w, std::int64_t expected_size);
  ~blob_sink();
  blob_sink(const blob_sink&) = delete;
  blob_sink& operator=(const blob_sink&) = delete;
  /// false once an error is recorded (size exceeded, write failed).
  bool put(std::string_view data);
  bool flush();
  /// "sha256:<hex>" of everything put; call once, at the end.
  std::string digest();
  std::int64_t seen() const { return seen_; }
  std::error_code error() const { return err_; }

 private:
  content_writer* w_;
  std::int64_t size_;
  std::int64_t seen_ = 0;
  void* md_;
  std::string buf_;
  std::error_code err_;
};

/// Streams one blob of size bytes into the content store and commits it with labels l.
/// feed(sink) pushes the bytes (its error, else the sink's, fails the write). expected:
/// the digest, checked before the commit, or empty: the digest is computed. A blob the
/// store holds already (expected known) is committed without feed. On failure the write
/// is aborted. Returns the committed digest. verify_existing: feed runs (and is checked)
/// even when the store holds the blob already, and is only hashed then.
result<std::string> write_blob(blocking& b, const std::string& expected, std::int64_t size, const labels& l,
                               const std::function<std::error_code(blob_sink&)>& feed,
                               bool verify_existing = false);

/// Runs feed into a hashing-only sink: digest_mismatch / size_mismatch unless the bytes
/// are the blob expected.
std::error_code verify_blob(const std::string& expected, std::int64_t size,
                            const std::function<std::error_code(blob_sink&)>& feed);

/// Stores bytes already in memory (manifests, configs) under d.digest (checked), or sets
/// the labels l of the blob when it is there already.
result<void> store_bytes(blocking& b, const descriptor& d, std::string_view data, const labels& l);

/// Sets labels on a stored blob.
result<void> label_blob(blocking& b, const std::string& digest, const labels& l);

struct unpack_layer {
  descriptor blob;
  std::string diff_id;
};

/// Applies the layers onto snapshots committed by chain id (skipping those there
/// already), then labels the config with the top snapshot
/// (containerd.io/gc.ref.snapshot.<snapshotter>) so the GC keeps it. config_body: the
/// config's bytes (stored with the label when absent).
result<void> unpack_image(blocking& b, const descriptor& config, std::string_view config_body,
                          const std::vector<unpack_layer>& layers, const std::string& snapshotter,
                          const std::atomic<bool>& cancel);

/// Creates or updates the image record.
result<image> put_image(blocking& b, image img);

/// Lease for a pull or import: content written under it survives until the image record
/// references it. The holder deletes it when it goes (sync: waits for the GC).
result<std::string> make_lease(blocking& b, const std::string& prefix);
struct lease_holder {
  blocking& b;
  std::string id;
  bool sync = false;
  ~lease_holder() { (void)b.run(op::lease_delete{id, sync}); }
};

/// The GC labels of a manifest (config and layers) and of an index (the children listed
/// in present, by their position in the index).
labels manifest_gc_labels(const manifest_doc& m);

}  // namespace berth::containerd::detail
