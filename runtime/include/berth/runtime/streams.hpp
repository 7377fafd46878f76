// A container's output as one pull-driven stream over either engine: Docker's logs
// (demultiplexed) or containerd's captured log files. Nothing is read from the engine
// until the caller asks; memory per stream is one fixed buffer (64 KiB), so a slow reader
// slows the reading, never grows it.
//
//   auto logs = rt.run(runtime::op::follow_logs{.id = id, .follow = true});
//   for (std::error_code ec;;) {
//     auto c = logs.next(ec);           // a chunk: stream and bytes
//     if (ec) break;                    // asio::error::eof at the end
//     std::cout << c.data;
//   }
#pragma once

#include <memory>
#include <string>
#include <system_error>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "berth/core/async.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/io/demux.hpp"

namespace berth {
class execution_host;
}

namespace berth::runtime {

/// One piece of output: its stream and its bytes (at most 64 KiB).
struct BERTH_API output_chunk {
  io::stream_id stream = io::stream_id::stdout_stream;
  std::string data{};
};

/// One line of output without its newline (next_line).
struct BERTH_API output_line {
  io::stream_id stream = io::stream_id::stdout_stream;
  std::string text{};
};

namespace detail {
/// What an engine's stream provides (implemented in src/ per engine).
struct BERTH_API stream_source {
  virtual ~stream_source();
  virtual asio::awaitable<result<output_chunk>> next() = 0;
  virtual void close() noexcept = 0;
  virtual asio::any_io_executor executor() const = 0;
  virtual berth::execution_host& host() const = 0;
};
struct line_state;
}  // namespace detail

/// A container's output, pull-driven. Move-only; close() (or the destructor) stops it.
class BERTH_API log_stream {
 public:
  using executor_type = asio::any_io_executor;

  log_stream() = default;
  explicit log_stream(std::shared_ptr<detail::stream_source> s);
  log_stream(log_stream&&) noexcept = default;
  log_stream& operator=(log_stream&&) noexcept = default;
  ~log_stream();

  bool is_open() const noexcept { return src_ != nullptr; }
  executor_type get_executor() const;

  /// The next chunk. Completion: void(std::error_code, output_chunk); asio::error::eof at
  /// the end. Cancellation: terminal; the stream is closed.
  template <class CompletionToken>
  auto async_next(CompletionToken&& token) {
    return berth::detail::initiate<output_chunk>(
        get_executor(), [s = src_] { return s->next(); }, std::forward<CompletionToken>(token));
  }
  output_chunk next(std::error_code& ec);
  /// Blocking; throws berth::error on failure and at the end (asio::error::eof).
  output_chunk next();

  /// The next whole line of either stream (a last line without a newline included). A
  /// line longer than 1 MiB is cut there and returned in pieces. Blocking; eof at the end.
  output_line next_line(std::error_code& ec);

  void close() noexcept;

 private:
  std::shared_ptr<detail::stream_source> src_;
  std::shared_ptr<detail::line_state> lines_;
};

}  // namespace berth::runtime
