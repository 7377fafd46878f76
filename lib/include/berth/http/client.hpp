// The HTTP/1.1 transport: a keep-alive pool for unary requests, dedicated connections
// for streamed bodies, and hijacked (upgraded) connections for attach and exec.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <system_error>

#include <asio/any_io_executor.hpp>
#include <asio/buffer.hpp>

#include "berth/core/async.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/core/sync.hpp"
#include "berth/core/timeouts.hpp"
#include "berth/http/request.hpp"
#include "berth/http/response_parser.hpp"
#include "berth/net/endpoint.hpp"

namespace berth::http {

namespace detail {
struct client_state;
struct stream_state;
struct hijack_state;
struct writer_state;
}  // namespace detail

/// A complete response to a unary request.
struct BERTH_API response {
  unsigned status = 0;
  http::fields headers;
  std::string body;
};

/// Settings of a client.
struct BERTH_API client_options {
  /// Defaults for every operation; per-call timeouts override them field by field.
  berth::timeouts defaults{std::chrono::seconds(10), std::chrono::minutes(5),
                           std::chrono::milliseconds(0), std::chrono::milliseconds(0)};
  std::size_t max_idle_connections = 8;                ///< Idle keep-alive connections kept.
  /// An idle connection older than this is not reused; it is closed the next time the
  /// pool is used (no timer keeps the caller's io_context busy) or with the client.
  std::chrono::milliseconds idle_timeout{30'000};
  parser_limits limits{};                              ///< Head limits for every response.
  std::uint64_t max_body_bytes = 64ull << 20;          ///< Ceiling on a unary response body.
  std::size_t stream_buffer_bytes = 64 * 1024;         ///< Read buffer of each stream.
  std::string user_agent = "berth/0.1";
};

/// A response whose body the caller pulls. Nothing is read from the socket until the
/// caller asks; memory is the fixed read buffer (client_options::stream_buffer_bytes).
/// Payload bytes are read straight into the caller's buffer whenever the framing allows.
/// When the body has been read to its end, the connection goes back to the pool.
class BERTH_API body_stream {
 public:
  using executor_type = asio::any_io_executor;

  body_stream() = default;
  body_stream(body_stream&&) noexcept = default;
  body_stream& operator=(body_stream&&) noexcept = default;
  /// Closes the stream (see close()).
  ~body_stream();

  /// The response head (status, fields).
  const response_head& head() const;
  unsigned status() const { return head().status; }
  bool is_open() const noexcept;
  executor_type get_executor() const;
  /// Where this stream runs; its run() drives async operations from blocking callers.
  execution_host& host() const;

  /// Reads body bytes into buf. Completion: void(std::error_code, std::size_t).
  /// The end of the body completes with asio::error::eof and 0 bytes. Bounded by the
  /// idle timeout of the call that opened the stream. Cancellation: terminal cancellation
  /// through the handler's slot completes with berth::errc::cancelled and closes the
  /// stream (its connection is discarded, never returned to the pool).
  template <class CompletionToken>
  auto async_read_some(asio::mutable_buffer buf, CompletionToken&& token) {
    return berth::detail::initiate<std::size_t>(
        get_executor(), [s = state_, buf] { return do_read_some(s, buf); },
        std::forward<CompletionToken>(token));
  }
  std::size_t read_some(asio::mutable_buffer buf, std::error_code& ec);
  std::size_t read_some(asio::mutable_buffer buf);
  /// The coroutine form of async_read_some, for layers built on this one: awaited from a
  /// coroutine already running on this stream's executor, it spares the co_spawn and
  /// completion hand-off of async_read_some(use_awaitable). Cancellation reaches it
  /// through the awaiting coroutine's cancellation state.
  asio::awaitable<result<std::size_t>> co_read_some(asio::mutable_buffer buf);

  /// For layers that frame the body themselves (the engine's demultiplexer and record
  /// streams), zero-copy: the next body bytes, in this stream's own buffer; the socket is
  /// read only when none are buffered. The view stays valid until consume() has taken all
  /// of it or the stream is closed. asio::error::eof at the end of the body. Awaited from
  /// a coroutine on this stream's executor.
  asio::awaitable<result<std::string_view>> co_peek();
  /// The body bytes already buffered: what co_peek() would return without reading; empty
  /// when a read is needed (or at the end, or after an error the next read reports).
  std::string_view buffered() noexcept;
  /// Marks the first n bytes of the last co_peek() or buffered() view as taken. When the
  /// body has been taken to its end, the connection goes back to the pool.
  void consume(std::size_t n) noexcept;

  /// Reads the rest of the body into a string, failing with http::error::body_too_large
  /// past max_bytes. Completion: void(std::error_code, std::string).
  template <class CompletionToken>
  auto async_read_all(std::uint64_t max_bytes, CompletionToken&& token) {
    return berth::detail::initiate<std::string>(
        get_executor(), [s = state_, max_bytes] { return do_read_all(s, max_bytes); },
        std::forward<CompletionToken>(token));
  }
  std::string read_all(std::uint64_t max_bytes, std::error_code& ec);
  std::string read_all(std::uint64_t max_bytes);

  /// Cancels a pending read and releases the connection: back to the pool when the body
  /// was read to its end, closed otherwise. Never throws.
  void close() noexcept;

 private:
  friend struct detail::client_state;
  explicit body_stream(std::shared_ptr<detail::stream_state> s) : state_(std::move(s)) {}
  static asio::awaitable<result<std::size_t>> do_read_some(std::shared_ptr<detail::stream_state> s,
                                                           asio::mutable_buffer buf);
  static asio::awaitable<result<std::string_view>> do_peek(std::shared_ptr<detail::stream_state> s);
  static asio::awaitable<result<std::string>> do_read_all(std::shared_ptr<detail::stream_state> s,
                                                          std::uint64_t max_bytes);
  std::shared_ptr<detail::stream_state> state_;
};

/// A connection taken over after "101 Switching Protocols" (Docker attach and exec with
/// stdin). Reads return the raw bytes the daemon sends, starting with any that arrived
/// with the response head; writes go to the container's stdin; shutdown_send()
/// half-closes so the process sees end of input while its output can still be read.
class BERTH_API hijacked_stream {
 public:
  using executor_type = asio::any_io_executor;

  hijacked_stream() = default;
  hijacked_stream(hijacked_stream&&) noexcept = default;
  hijacked_stream& operator=(hijacked_stream&&) noexcept = default;
  ~hijacked_stream();

  const response_head& head() const;
  bool is_open() const noexcept;
  executor_type get_executor() const;
  /// Where this stream runs; its run() drives async operations from blocking callers.
  execution_host& host() const;

  /// Completion: void(std::error_code, std::size_t); asio::error::eof at the end.
  /// Each read is bounded by the idle timeout; cancellation closes the stream.
  template <class CompletionToken>
  auto async_read_some(asio::mutable_buffer buf, CompletionToken&& token) {
    return berth::detail::initiate<std::size_t>(
        get_executor(), [s = state_, buf] { return do_read_some(s, buf); },
        std::forward<CompletionToken>(token));
  }
  std::size_t read_some(asio::mutable_buffer buf, std::error_code& ec);
  std::size_t read_some(asio::mutable_buffer buf);
  /// The coroutine form of async_read_some (see body_stream::co_read_some).
  asio::awaitable<result<std::size_t>> co_read_some(asio::mutable_buffer buf);
  /// Zero-copy reads for layers that frame the bytes themselves: as body_stream::co_peek,
  /// buffered and consume, over the raw bytes of the upgraded connection (or the body,
  /// when the server did not upgrade).
  asio::awaitable<result<std::string_view>> co_peek();
  std::string_view buffered() noexcept;
  void consume(std::size_t n) noexcept;

  /// Writes all of buf. Completion: void(std::error_code, std::size_t).
  /// The caller keeps buf alive until completion.
  template <class CompletionToken>
  auto async_write(asio::const_buffer buf, CompletionToken&& token) {
    return berth::detail::initiate<std::size_t>(
        get_executor(), [s = state_, buf] { return do_write(s, buf); },
        std::forward<CompletionToken>(token));
  }
  std::size_t write(asio::const_buffer buf, std::error_code& ec);
  std::size_t write(asio::const_buffer buf);

  /// Half-close: the peer reads end of input; reading goes on. Completion:
  /// void(std::error_code). On TLS the write side is
  /// shut at the TCP level (no close_notify), which a Go crypto/tls peer such as dockerd
  /// reads as a clean end of input.
  template <class CompletionToken>
  auto async_shutdown_send(CompletionToken&& token) {
    return berth::detail::initiate<void>(
        get_executor(), [s = state_] { return do_shutdown_send(s); },
        std::forward<CompletionToken>(token));
  }
  void shutdown_send(std::error_code& ec);
  void shutdown_send();

  /// Cancels pending operations and closes the connection.
  void close() noexcept;

 private:
  friend struct detail::client_state;
  explicit hijacked_stream(std::shared_ptr<detail::hijack_state> s) : state_(std::move(s)) {}
  static asio::awaitable<result<std::size_t>> do_read_some(std::shared_ptr<detail::hijack_state> s,
                                                           asio::mutable_buffer buf);
  static asio::awaitable<result<std::string_view>> do_peek(std::shared_ptr<detail::hijack_state> s);
  static asio::awaitable<result<std::size_t>> do_write(std::shared_ptr<detail::hijack_state> s,
                                                       asio::const_buffer buf);
  static asio::awaitable<result<void>> do_shutdown_send(std::shared_ptr<detail::hijack_state> s);
  std::shared_ptr<detail::hijack_state> state_;
};

/// A request whose body the caller streams (chunked transfer encoding): tar archives for
/// archive put, image load and import, build contexts. Memory is whatever the caller
/// writes at a time; nothing is buffered beyond one chunk header. finish() sends the last
/// chunk and completes when the response head has arrived.
class BERTH_API request_writer {
 public:
  using executor_type = asio::any_io_executor;

  request_writer() = default;
  request_writer(request_writer&&) noexcept = default;
  request_writer& operator=(request_writer&&) noexcept = default;
  /// Abandons the request (the connection is closed) unless finished.
  ~request_writer();

  bool is_open() const noexcept;
  executor_type get_executor() const;
  execution_host& host() const;

  /// Sends buf as one chunk (nothing for an empty buf). The caller keeps buf alive until
  /// completion. Completion: void(std::error_code, std::size_t).
  template <class CompletionToken>
  auto async_write(asio::const_buffer buf, CompletionToken&& token) {
    return berth::detail::initiate<std::size_t>(
        get_executor(), [s = state_, buf] { return do_write(s, buf); },
        std::forward<CompletionToken>(token));
  }
  std::size_t write(asio::const_buffer buf, std::error_code& ec);
  std::size_t write(asio::const_buffer buf);

  /// Ends the body and waits for the response head. Completion:
  /// void(std::error_code, body_stream).
  template <class CompletionToken>
  auto async_finish(CompletionToken&& token) {
    return berth::detail::initiate<body_stream>(
        get_executor(), [s = state_] { return do_finish(s); },
        std::forward<CompletionToken>(token));
  }
  body_stream finish(std::error_code& ec);
  body_stream finish();

  /// Abandons the request and closes the connection.
  void close() noexcept;

 private:
  friend struct detail::client_state;
  explicit request_writer(std::shared_ptr<detail::writer_state> s) : state_(std::move(s)) {}
  static asio::awaitable<result<std::size_t>> do_write(std::shared_ptr<detail::writer_state> s,
                                                       asio::const_buffer buf);
  static asio::awaitable<result<body_stream>> do_finish(std::shared_ptr<detail::writer_state> s);
  std::shared_ptr<detail::writer_state> state_;
};

/// An HTTP/1.1 client bound to one endpoint.
///
/// Unary requests (perform) run on pooled keep-alive connections: an idle connection is
/// checked before reuse and a request that fails on a reused connection before any byte
/// of the answer arrived is retried once on a fresh connection, for idempotent methods
/// only. Streams (open) and upgrades (upgrade) run on connections of their own; closing
/// or cancelling them never disturbs the pool.
///
/// Thread safety: operations may be started from any thread; they run serialised on the
/// client's strand. Streams are not thread-safe objects: one reader at a time.
class BERTH_API client {
 public:
  using executor_type = asio::any_io_executor;

  /// A client that owns a private io_context: its sync forms run it on the calling
  /// thread. Async operations need that context run: prefer the executor constructor.
  explicit client(net::endpoint ep, client_options opts = {});
  /// A client whose operations run on ex.
  client(asio::any_io_executor ex, net::endpoint ep, client_options opts = {});
  ~client();
  client(client&&) noexcept;
  client& operator=(client&&) noexcept;

  executor_type get_executor() const;
  const net::endpoint& endpoint() const;
  const client_options& options() const;
  /// Idle connections currently in the pool (for tests and metrics).
  std::size_t idle_connections() const;

  /// Sends req and reads the whole response (body bounded by max_body_bytes).
  /// Completion: void(std::error_code, http::response). Any HTTP status is a success
  /// here; the engine layers map statuses to errors. Cancellation: terminal; the
  /// connection in use is closed, the pool is untouched.
  template <class CompletionToken>
  auto async_perform(request req, timeouts t, CompletionToken&& token) {
    return berth::detail::initiate<response>(
        get_executor(),
        [s = state_, req = std::move(req), t]() mutable { return do_perform(s, std::move(req), t); },
        std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_perform(request req, CompletionToken&& token) {
    return async_perform(std::move(req), timeouts{}, std::forward<CompletionToken>(token));
  }
  response perform(request req, timeouts t, std::error_code& ec);
  response perform(request req, timeouts t = {});
  /// The coroutine form of async_perform, for layers built on this one (the engine
  /// client awaits it for every operation): awaited from a coroutine already running on
  /// this client's executor, it spares the co_spawn and completion hand-off of
  /// async_perform(use_awaitable).
  asio::awaitable<result<response>> co_perform(request req, timeouts t);

  /// Sends req and completes once the response head has arrived; the caller pulls the
  /// body through the returned stream. Completion: void(std::error_code, body_stream).
  template <class CompletionToken>
  auto async_open(request req, timeouts t, CompletionToken&& token) {
    return berth::detail::initiate<body_stream>(
        get_executor(),
        [s = state_, req = std::move(req), t]() mutable { return do_open(s, std::move(req), t); },
        std::forward<CompletionToken>(token));
  }
  body_stream open(request req, timeouts t, std::error_code& ec);
  body_stream open(request req, timeouts t = {});

  /// Sends req with "Connection: Upgrade" and "Upgrade: tcp" and completes with the
  /// hijacked connection once "101 Switching Protocols" has arrived. A server that
  /// answers without 101 (an error, or a daemon that streams without upgrading) still
  /// completes successfully: head().status tells, and reads return that response's body
  /// to its end. Completion: void(std::error_code, hijacked_stream).
  template <class CompletionToken>
  auto async_upgrade(request req, timeouts t, CompletionToken&& token) {
    return berth::detail::initiate<hijacked_stream>(
        get_executor(),
        [s = state_, req = std::move(req), t]() mutable { return do_upgrade(s, std::move(req), t); },
        std::forward<CompletionToken>(token));
  }
  hijacked_stream upgrade(request req, timeouts t, std::error_code& ec);
  hijacked_stream upgrade(request req, timeouts t = {});

  /// Sends req's head with "Transfer-Encoding: chunked" on a dedicated connection and
  /// completes with a writer for its body. Completion: void(std::error_code, request_writer).
  template <class CompletionToken>
  auto async_begin(request req, timeouts t, CompletionToken&& token) {
    return berth::detail::initiate<request_writer>(
        get_executor(),
        [s = state_, req = std::move(req), t]() mutable { return do_begin(s, std::move(req), t); },
        std::forward<CompletionToken>(token));
  }
  request_writer begin(request req, timeouts t, std::error_code& ec);
  request_writer begin(request req, timeouts t = {});

  /// Runs an async operation of this client (or of a stream it opened) from a blocking
  /// caller (see berth::execution_host::run).
  template <class T, class Start>
  result<T> run_sync(Start&& start) const {
    return host_->template run<T>(std::forward<Start>(start));
  }
  /// The execution host of the blocking forms (for layers that offer blocking forms of
  /// their own operations over this client).
  execution_host& execution() const noexcept { return *host_; }

 private:
  static asio::awaitable<result<response>> do_perform(std::shared_ptr<detail::client_state> s,
                                                      request req, timeouts t);
  static asio::awaitable<result<body_stream>> do_open(std::shared_ptr<detail::client_state> s,
                                                      request req, timeouts t);
  static asio::awaitable<result<hijacked_stream>> do_upgrade(
      std::shared_ptr<detail::client_state> s, request req, timeouts t);
  static asio::awaitable<result<request_writer>> do_begin(std::shared_ptr<detail::client_state> s,
                                                          request req, timeouts t);

  std::shared_ptr<execution_host> host_;
  std::shared_ptr<detail::client_state> state_;
};

}  // namespace berth::http
