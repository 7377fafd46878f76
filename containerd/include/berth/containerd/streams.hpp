// Pull-driven gRPC streams of the containerd client: events, content reads and content
// writes. Nothing is requested from containerd until the caller asks: each stream holds
// at most one message (events: one envelope; reads: one chunk of at most 1 MiB), so a slow
// reader slows the server stream (gRPC flow control) instead of growing memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include <asio/any_io_executor.hpp>
#include <asio/buffer.hpp>

#include "berth/containerd/types.hpp"
#include "berth/core/async.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth::containerd {

namespace detail {
struct state;
struct event_state;
struct reader_state;
struct writer_state;
}  // namespace detail

/// Events from Events.Subscribe. Subscriptions are not scoped by the client's namespace:
/// filter explicitly (client::async_subscribe adds `namespace==<ns>` unless told not to).
class BERTH_API event_stream {
 public:
  using executor_type = asio::any_io_executor;
  event_stream() = default;
  event_stream(event_stream&&) noexcept = default;
  event_stream& operator=(event_stream&&) noexcept = default;
  ~event_stream();
  explicit event_stream(std::shared_ptr<detail::event_state> s);

  bool is_open() const noexcept;
  executor_type get_executor() const;

  /// The next event. Completion: void(std::error_code, event). Cancellation: terminal;
  /// the subscription ends (berth::errc::cancelled).
  template <class CompletionToken>
  auto async_next(CompletionToken&& token) {
    return berth::detail::initiate<event>(
        get_executor(), [s = state_] { return do_next(s); }, std::forward<CompletionToken>(token));
  }
  event next(std::error_code& ec);
  event next();

  /// Ends the subscription (a pending next completes with berth::errc::cancelled).
  void close() noexcept;

 private:
  static asio::awaitable<result<event>> do_next(std::shared_ptr<detail::event_state> s);
  std::shared_ptr<detail::event_state> state_;
};

/// A blob of the content store being read (Content.Read).
class BERTH_API content_reader {
 public:
  using executor_type = asio::any_io_executor;
  content_reader() = default;
  content_reader(content_reader&&) noexcept = default;
  content_reader& operator=(content_reader&&) noexcept = default;
  ~content_reader();
  explicit content_reader(std::shared_ptr<detail::reader_state> s);

  executor_type get_executor() const;

  /// Reads up to buf.size() bytes. Completion: void(std::error_code, std::size_t);
  /// asio::error::eof at the end. Cancellation: terminal; the stream ends.
  template <class CompletionToken>
  auto async_read_some(asio::mutable_buffer buf, CompletionToken&& token) {
    return berth::detail::initiate<std::size_t>(
        get_executor(), [s = state_, buf] { return do_read(s, buf); },
        std::forward<CompletionToken>(token));
  }
  std::size_t read_some(asio::mutable_buffer buf, std::error_code& ec);
  /// Blocking; throws berth::error on failure (asio::error::eof at the end).
  std::size_t read_some(asio::mutable_buffer buf);

  /// Reads everything that is left, failing past max bytes (errc::resource_exhausted).
  /// Completion: void(std::error_code, std::string). Cancellation: terminal; the stream ends.
  template <class CompletionToken>
  auto async_read_all(std::size_t max, CompletionToken&& token) {
    return berth::detail::initiate<std::string>(
        get_executor(), [s = state_, max] { return do_read_all(s, max); },
        std::forward<CompletionToken>(token));
  }
  std::string read_all(std::size_t max, std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  std::string read_all(std::size_t max);
  void close() noexcept;

 private:
  static asio::awaitable<result<std::size_t>> do_read(std::shared_ptr<detail::reader_state> s,
                                                      asio::mutable_buffer buf);
  static asio::awaitable<result<std::string>> do_read_all(std::shared_ptr<detail::reader_state> s,
                                                          std::size_t max);
  std::shared_ptr<detail::reader_state> state_;
};

/// A write into the content store (Content.Write) under a ref. Writes are resumable: a
/// writer opened on a ref that has an ongoing write starts at status().offset, and the
/// caller goes on from there.
class BERTH_API content_writer {
 public:
  using executor_type = asio::any_io_executor;
  content_writer() = default;
  content_writer(content_writer&&) noexcept = default;
  content_writer& operator=(content_writer&&) noexcept = default;
  ~content_writer();
  explicit content_writer(std::shared_ptr<detail::writer_state> s);

  executor_type get_executor() const;
  /// The write's status as of the last exchange (offset: bytes stored so far).
  const write_status& status() const noexcept;

  /// Writes buf at the current offset. Completion: void(std::error_code, std::size_t).
  template <class CompletionToken>
  auto async_write(asio::const_buffer buf, CompletionToken&& token) {
    return berth::detail::initiate<std::size_t>(
        get_executor(), [s = state_, buf] { return do_write(s, buf); },
        std::forward<CompletionToken>(token));
  }
  std::size_t write(asio::const_buffer buf, std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  std::size_t write(asio::const_buffer buf);

  /// Commits the blob: size and digest are checked by containerd (failed_precondition on
  /// a mismatch); labels are set on the committed blob. An already stored blob completes
  /// with errc::already_exists. Completion: void(std::error_code, std::string digest).
  template <class CompletionToken>
  auto async_commit(std::int64_t size, std::string expected, labels l, CompletionToken&& token) {
    return berth::detail::initiate<std::string>(
        get_executor(),
        [s = state_, size, e = std::move(expected), l = std::move(l)]() mutable {
          return do_commit(s, size, std::move(e), std::move(l));
        },
        std::forward<CompletionToken>(token));
  }
  std::string commit(std::int64_t size, std::string expected, labels l, std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  std::string commit(std::int64_t size, std::string expected, labels l);

  /// Ends the stream without committing (the ongoing write stays resumable until aborted
  /// with op::content_abort).
  void close() noexcept;

 private:
  static asio::awaitable<result<std::size_t>> do_write(std::shared_ptr<detail::writer_state> s,
                                                       asio::const_buffer buf);
  static asio::awaitable<result<std::string>> do_commit(std::shared_ptr<detail::writer_state> s,
                                                        std::int64_t size, std::string expected,
                                                        labels l);
  std::shared_ptr<detail::writer_state> state_;
};

}  // namespace berth::containerd
