// Private state of berth::http::client and of the streams it opens.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include <asio/steady_timer.hpp>

#include "berth/http/client.hpp"
#include "net/connection.hpp"

namespace berth::http::detail {

using clock = std::chrono::steady_clock;

/// Where the operations of a client on host h and of its streams run: the host's strand,
/// or, when the host owns its io_context, that io_context's executor.
asio::any_io_executor operation_executor(const execution_host& h);

/// A fixed-capacity read buffer: unconsumed bytes live in [begin, end).
class read_buffer {
 public:
  explicit read_buffer(std::size_t cap) : data_(new char[cap]), cap_(cap) {}

  std::string_view data() const noexcept { return {data_.get() + begin_, end_ - begin_}; }
  std::size_t size() const noexcept { return end_ - begin_; }
  void consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  /// Free space at the tail, after moving unconsumed bytes to the front when that helps.
  asio::mutable_buffer prepare() noexcept {
    if (end_ == cap_ && begin_ > 0) {
      std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    return {data_.get() + end_, cap_ - end_};
  }
  void commit(std::size_t n) noexcept { end_ += n; }
  bool full() const noexcept { return begin_ == 0 && end_ == cap_; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t cap_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

/// Absolute deadlines of one operation.
struct deadlines {
  clock::time_point total = net::connection::no_deadline;
  std::chrono::milliseconds connect{0}, head{0}, idle{0};

  static deadlines from(const timeouts& t) {
    deadlines d;
    auto now = clock::now();
    if (t.total && t.total->count() > 0) d.total = now + *t.total;
    d.connect = t.connect.value_or(std::chrono::milliseconds(0));
    d.head = t.head.value_or(std::chrono::milliseconds(0));
    d.idle = t.idle.value_or(std::chrono::milliseconds(0));
    return d;
  }
  /// now + phase (none when zero), capped by the total deadline.
  clock::time_point at(std::chrono::milliseconds phase) const {
    if (phase.count() <= 0) return total;
    auto t = clock::now() + phase;
    return t < total ? t : total;
  }
};

/// One request/response exchange on a connection: the connection, its read buffer, the
/// parser. Moves from the client into streams.
struct exchange {
  std::shared_ptr<net::connection> conn;
  std::unique_ptr<read_buffer> buf;
  response_parser parser;
  /// A body slice the parser handed out that the caller has not taken yet.
  std::string_view pending;
};

struct client_state : std::enable_shared_from_this<client_state> {
  client_state(std::shared_ptr<execution_host> h, net::endpoint e, client_options o);

  struct idle_entry {
    std::shared_ptr<net::connection> conn;
    std::unique_ptr<read_buffer> buf;
    clock::time_point since;
  };

  std::shared_ptr<execution_host> host;
  asio::any_io_executor ex;
  net::endpoint ep;
  client_options opts;
  std::shared_ptr<net::tls_context> tls;
  std::error_code tls_error;
  std::string host_header;
  /// Idle connections, oldest first. Expired ones are closed lazily, whenever the pool is
  /// used: a timer would keep the caller's io_context busy for idle_timeout.
  std::deque<idle_entry> idle;
  /// idle.size(), published for client::idle_connections(), which may run on any thread
  /// while the strand changes idle.
  std::atomic<std::size_t> idle_count{0};
  void publish_idle() noexcept { idle_count.store(idle.size(), std::memory_order_relaxed); }

  /// A connection for a new exchange: the most recently used idle one that is still
  /// healthy (reused = true), or a fresh one.
  asio::awaitable<result<exchange>> acquire(const deadlines& d, bool allow_reuse, bool& reused);
  /// Returns a finished exchange's connection to the pool, or closes it.
  void release(exchange&& x);
  void purge_expired();

  /// Writes the request and reads the response head, retrying once on a fresh connection
  /// when a reused one fails before any byte of the answer (idempotent methods only).
  /// Adds the client's User-Agent to req when it has none.
  asio::awaitable<result<exchange>> send(request& req, const deadlines& d,
                                         bool allow_reuse);

  body_stream make_body_stream(exchange&& x, const deadlines& d);
  request_writer make_writer(exchange&& x, const deadlines& d);
  hijacked_stream make_hijacked_stream(exchange&& x, const deadlines& d);
};

/// Reads the response head of x. Errors are final for the exchange.
asio::awaitable<std::error_code> read_head(exchange& x, clock::time_point deadline);

/// Reads body bytes of x into dst (0 and asio::error::eof at the end of the body).
asio::awaitable<std::size_t> read_body(exchange& x, asio::mutable_buffer dst,
                                       clock::time_point deadline, std::error_code& ec);

/// The next body bytes of x already in its buffer, parsed without reading (x.pending
/// after the call); empty when the socket must be read or the body ended. A framing error
/// sets ec.
std::string_view buffered_body(exchange& x, std::error_code& ec);
/// The next body bytes of x (x.pending), reading the socket into x's buffer when none are
/// buffered; asio::error::eof at the end of the body. The view stays valid until
/// consume_body() drains it.
asio::awaitable<std::string_view> peek_body(exchange& x, clock::time_point deadline,
                                            std::error_code& ec);
/// Marks the first n bytes of x.pending as taken.
void consume_body(exchange& x, std::size_t n) noexcept;

struct stream_state {
  std::shared_ptr<execution_host> host;
  std::weak_ptr<client_state> owner;
  exchange x;
  std::chrono::milliseconds idle{0};
  bool released = false;

  void close_now() noexcept;
};

struct writer_state {
  std::shared_ptr<execution_host> host;
  std::weak_ptr<client_state> owner;
  exchange x;
  deadlines d;
  bool finished = false;
};

struct hijack_state {
  std::shared_ptr<execution_host> host;
  exchange x;            ///< After 101: x.buf holds bytes that came with the head.
  bool raw = true;       ///< false: the server did not upgrade; reads return its body.
  std::chrono::milliseconds idle{0};
  std::chrono::milliseconds write_timeout{0};

  void close_now() noexcept;
};

}  // namespace berth::http::detail
