// A connected byte stream to a daemon: unix socket, TCP, or TLS over TCP, with a
// re-armable deadline in the manner of Beast's basic_stream. Private to berth.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <system_error>
#include <variant>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include "berth_config.hpp"
#include "berth/core/result.hpp"
#include "berth/net/endpoint.hpp"

#if BERTH_HAVE_TLS
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#endif

namespace berth::net {

#if BERTH_HAVE_TLS
using tls_context = asio::ssl::context;
#else
struct tls_context {};
#endif

/// Builds the TLS context for a tls endpoint (CA, client cert, verification mode).
result<std::shared_ptr<tls_context>> make_tls_context(const tls_options& opts);

class connection : public std::enable_shared_from_this<connection> {
 public:
  using clock = std::chrono::steady_clock;
  using executor_type = asio::any_io_executor;
  static constexpr clock::time_point no_deadline = clock::time_point::max();

  /// Connects to ep (and completes the TLS handshake) before deadline.
  static asio::awaitable<result<std::shared_ptr<connection>>> open(
      executor_type ex, endpoint ep, std::shared_ptr<tls_context> tls,
      clock::time_point deadline);

  ~connection();

  /// Reads at least one byte. Errors: errc::timeout, errc::cancelled, asio::error::eof,
  /// errc::connection_lost (reset), or the system error.
  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buf, clock::time_point deadline,
                                         std::error_code& ec);

  /// Writes all of bufs. keep_armed: after a success the deadline stays armed for the
  /// read the caller starts next with the same deadline (it disarms it when it ends), which
  /// spares a timer cancel and re-arm per request.
  asio::awaitable<void> write(std::span<const asio::const_buffer> bufs,
                              clock::time_point deadline, std::error_code& ec,
                              bool keep_armed = false);

  /// Half-close: no more bytes will be written (TLS: TCP-level, see client docs).
  void shutdown_send(std::error_code& ec);

  /// Cancels pending operations (they complete with errc::cancelled) and closes.
  void close() noexcept;
  /// Cancels pending operations without closing.
  void cancel() noexcept;

  bool is_open() const noexcept;
  /// True when the peer closed, reset, or sent bytes nobody asked for: an idle pooled
  /// connection in that state must not carry another request.
  bool is_stale() const noexcept;

  executor_type get_executor() const noexcept { return ex_; }

 private:
  connection(executor_type ex, const endpoint& ep, std::shared_ptr<tls_context> tls);

  void arm(clock::time_point deadline);
  void disarm() noexcept;
  std::error_code map_error(std::error_code ec) noexcept;
  /// After an operation: clears a timeout that fired too late to matter, maps ec, disarms.
  void settle(std::error_code& ec) noexcept;
  int native_handle() const noexcept;

  using unix_socket = asio::local::stream_protocol::socket;
  using tcp_socket = asio::ip::tcp::socket;
#if BERTH_HAVE_TLS
  using tls_socket = asio::ssl::stream<tcp_socket>;
  std::variant<unix_socket, tcp_socket, tls_socket> sock_;
#else
  std::variant<unix_socket, tcp_socket> sock_;
#endif

  executor_type ex_;
  std::shared_ptr<tls_context> tls_;
  asio::steady_timer timer_;
  std::uint64_t gen_ = 0;
  bool armed_ = false;
  bool timed_out_ = false;
  bool closed_ = false;
  asio::ip::tcp::resolver* resolving_ = nullptr;
};

}  // namespace berth::net
