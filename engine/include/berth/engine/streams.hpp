// Pull-driven streams of the Docker Engine API: container output (logs, attach, exec)
// and JSON record streams (events, progress, stats).
//
// Nothing is read from the daemon until the caller reads; each stream holds one fixed
// buffer (64 KiB by default) however slowly the caller reads, so a slow consumer slows
// the container (the daemon stops reading its pipe) instead of growing memory.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <system_error>

#include <asio/any_io_executor.hpp>
#include <asio/buffer.hpp>

#include "berth/core/async.hpp"
#include "berth/core/error.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/http/client.hpp"
#include "berth/io/demux.hpp"

namespace berth::engine {

namespace detail {
struct output_state;
struct record_state;
}  // namespace detail

/// Which of the container's streams a piece of output came from.
using io::stream_id;

/// One read of container output: n bytes of stream `stream` are at the start of the
/// caller's buffer.
struct BERTH_API output_chunk {
  stream_id stream = stream_id::stdout_stream;
  std::size_t size = 0;
};

/// Container output: logs, attach, or an exec's output. Multiplexed streams (no TTY) are
/// demultiplexed; with a TTY everything is stdout. The end of the output completes a read
/// with asio::error::eof. A daemon error sent in-band (stream id 3) completes a read with
/// io::error::system_stream and the message in diagnostics().
///
/// Streams opened with stdin (attach or exec with stdin) are also writable: write()
/// sends to the process's stdin and close_stdin() half-closes it so the process sees end
/// of input while its output can still be read.
class BERTH_API output_stream {
 public:
  using executor_type = asio::any_io_executor;

  output_stream() = default;
  output_stream(output_stream&&) noexcept = default;
  output_stream& operator=(output_stream&&) noexcept = default;
  ~output_stream();

  /// Wraps a response body (logs, attach without stdin).
  output_stream(http::body_stream body, bool multiplexed);
  /// Wraps a hijacked connection (attach, or exec with stdin). writable: whether the
  /// process's stdin was attached; when not, write() and close_stdin() fail with
  /// berth::errc::unsupported.
  output_stream(http::hijacked_stream raw, bool multiplexed, bool writable = true);

  bool multiplexed() const noexcept;
  bool writable() const noexcept;
  bool is_open() const noexcept;
  executor_type get_executor() const;
  /// The daemon's in-band error message, if one came.
  const berth::diagnostics& diagnostics() const noexcept;

  /// Reads output into buf. Completion: void(std::error_code, output_chunk).
  /// Cancellation: terminal; the stream is closed.
  template <class CompletionToken>
  auto async_read(asio::mutable_buffer buf, CompletionToken&& token) {
    return berth::detail::initiate<output_chunk>(
        get_executor(), [s = state_, buf] { return do_read(s, buf); },
        std::forward<CompletionToken>(token));
  }
  output_chunk read(asio::mutable_buffer buf, std::error_code& ec);
  output_chunk read(asio::mutable_buffer buf);

  /// Writes all of buf to the process's stdin. Completion: void(std::error_code, std::size_t).
  template <class CompletionToken>
  auto async_write(asio::const_buffer buf, CompletionToken&& token) {
    return berth::detail::initiate<std::size_t>(
        get_executor(), [s = state_, buf] { return do_write(s, buf); },
        std::forward<CompletionToken>(token));
  }
  std::size_t write(asio::const_buffer buf, std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  std::size_t write(asio::const_buffer buf);

  /// Half-closes stdin. Completion: void(std::error_code).
  template <class CompletionToken>
  auto async_close_stdin(CompletionToken&& token) {
    return berth::detail::initiate<void>(
        get_executor(), [s = state_] { return do_close_stdin(s); },
        std::forward<CompletionToken>(token));
  }
  void close_stdin(std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  void close_stdin();

  /// Cancels a pending read and closes the connection.
  void close() noexcept;

 private:
  static asio::awaitable<result<output_chunk>> do_read(std::shared_ptr<detail::output_state> s,
                                                       asio::mutable_buffer buf);
  static asio::awaitable<result<std::size_t>> do_write(std::shared_ptr<detail::output_state> s,
                                                       asio::const_buffer buf);
  static asio::awaitable<result<void>> do_close_stdin(std::shared_ptr<detail::output_state> s);
  std::shared_ptr<detail::output_state> state_;
};

/// A stream of newline-delimited JSON records (events, pull/push/build/load progress,
/// stats). next() yields each record's JSON text; typed wrappers parse them. Lines longer
/// than the record limit (1 MiB) fail with io::error::line_too_long; memory is bounded
/// by that limit plus the read buffer.
class BERTH_API record_stream {
 public:
  using executor_type = asio::any_io_executor;

  record_stream() = default;
  record_stream(record_stream&&) noexcept = default;
  record_stream& operator=(record_stream&&) noexcept = default;
  ~record_stream();
  explicit record_stream(http::body_stream body, std::size_t max_record = 1u << 20);

  bool is_open() const noexcept;
  executor_type get_executor() const;

  /// The next record's JSON text. Completion: void(std::error_code, std::string);
  /// asio::error::eof after the last record.
  template <class CompletionToken>
  auto async_next(CompletionToken&& token) {
    return berth::detail::initiate<std::string>(
        get_executor(), [s = state_] { return do_next(s); },
        std::forward<CompletionToken>(token));
  }
  std::string next(std::error_code& ec);
  /// Blocking; throws berth::error on failure, and at the end (asio::error::eof).
  std::string next();

  void close() noexcept;

  /// For typed wrappers: the next record, awaited from a coroutine on this stream's executor.
  static asio::awaitable<result<std::string>> do_next(std::shared_ptr<detail::record_state> s);
  const std::shared_ptr<detail::record_state>& state() const noexcept { return state_; }

 private:
  std::shared_ptr<detail::record_state> state_;
};

}  // namespace berth::engine
