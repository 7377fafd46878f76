// A pull with its progress as a pull-driven stream, as the Docker side's image pull: one
// record per change of a layer (bytes downloaded of each, found in the store already,
// unpacking), read when the caller asks.
//
//   auto s = c.run(containerd::op::pull_image{.reference = "127.0.0.1:5000/app:1"});
//   for (std::error_code ec;;) {
//     auto p = s.next(ec);             // asio::error::eof once the image is there
//     if (ec) break;
//     show(p.id, p.phase, p.current, p.total);
//   }
//   containerd::image img = s.image();
//
// The pull never waits for its reader: the stream keeps the latest state of each layer
// (memory bounded by the number of layers), so a slow reader sees fewer, larger steps. A
// stream dropped or closed before the end cancels the pull, which then leaves nothing
// behind (its lease goes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "berth/containerd/pull.hpp"
#include "berth/containerd/types.hpp"
#include "berth/core/async.hpp"
#include "berth/core/call_options.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth::containerd {

/// Where a pull is, per item.
enum class pull_phase {
  resolving,    ///< id: the reference; the manifest is being fetched.
  waiting,      ///< id: a layer's digest; listed in the manifest, not started.
  downloading,  ///< current of total bytes downloaded.
  exists,       ///< In the content store already: not downloaded again.
  downloaded,   ///< Complete, its digest and size verified.
  unpacking,    ///< id: the reference; the layers are applied to snapshots.
  done,         ///< id: the reference; the image record is in place.
};

/// One change of one item of a pull.
struct BERTH_API pull_progress {
  std::string id{};           ///< A layer's digest, or the reference (resolving, unpacking, done).
  pull_phase phase = pull_phase::resolving;
  std::int64_t current = 0;   ///< Bytes so far (downloading, downloaded).
  std::int64_t total = 0;     ///< The layer's size from the manifest.
};

namespace detail {
struct state;
struct pull_tracker;
}  // namespace detail

/// The progress of one pull, read pull-driven.
class BERTH_API pull_stream {
 public:
  using executor_type = asio::any_io_executor;
  pull_stream() = default;
  pull_stream(pull_stream&&) noexcept = default;
  pull_stream& operator=(pull_stream&&) noexcept;
  ~pull_stream();

  bool is_open() const noexcept { return tracker_ != nullptr; }
  executor_type get_executor() const;

  /// The next change. Completion: void(std::error_code, pull_progress); asio::error::eof
  /// after the last (the pull succeeded: image() holds the record); the pull's own error
  /// (pull_errc, errc, ...) when it failed, with the registry's answer in diag().
  /// Cancellation: terminal; the pull is cancelled too (berth::errc::cancelled).
  template <class CompletionToken>
  auto async_next(CompletionToken&& token) {
    return berth::detail::initiate<pull_progress>(
        get_executor(), [t = tracker_] { return do_next(t); }, std::forward<CompletionToken>(token));
  }
  pull_progress next(std::error_code& ec);
  /// Throws berth::error on failure, and at the end (asio::error::eof).
  pull_progress next();

  /// The image record, once next() has reported the end.
  const containerd::image& image() const;
  /// The registry's answer when the pull failed on it.
  const berth::diagnostics& diag() const;

  /// Cancels the pull (if it still runs) and closes the stream.
  void close() noexcept;

  /// For the operation that opens it.
  explicit pull_stream(std::shared_ptr<detail::pull_tracker> t) : tracker_(std::move(t)) {}

 private:
  static asio::awaitable<result<pull_progress>> do_next(std::shared_ptr<detail::pull_tracker> t);
  std::shared_ptr<detail::pull_tracker> tracker_;
};

namespace op {

/// Starts a pull (as client::pull, pull.hpp) and returns its progress stream at once.
struct BERTH_API pull_image {
  using result_type = pull_stream;
  std::string reference{};
  pull_options options{};  ///< Its diag is not used: see pull_stream::diag().
};

}  // namespace op

namespace detail {
BERTH_API asio::awaitable<result<pull_stream>> execute(std::shared_ptr<state> s, op::pull_image o,
                                                       call_options opts);
}  // namespace detail

}  // namespace berth::containerd
