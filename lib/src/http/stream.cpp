// body_stream and hijacked_stream.
#include <array>
#include <cstring>

#include <asio/error.hpp>

#include "http/client_state.hpp"

namespace berth::http {

namespace detail {

body_stream client_state::make_body_stream(exchange&& x, const deadlines& d) {
  auto s = std::make_shared<stream_state>();
  s->host = host;
  s->owner = weak_from_this();
  s->idle = d.idle;
  s->x = std::move(x);
  if (s->x.parser.done() && s->x.pending.empty()) {
    release(std::move(s->x));
    s->released = true;
  }
  return body_stream(std::move(s));
}

hijacked_stream client_state::make_hijacked_stream(exchange&& x, const deadlines& d) {
  auto s = std::make_shared<hijack_state>();
  s->host = host;
  s->idle = d.idle;
  s->write_timeout = d.head;
  s->raw = x.parser.upgraded();
  s->x = std::move(x);
  return hijacked_stream(std::move(s));
}

request_writer client_state::make_writer(exchange&& x, const deadlines& d) {
  auto s = std::make_shared<writer_state>();
  s->host = host;
  s->owner = weak_from_this();
  s->x = std::move(x);
  s->d = d;
  return request_writer(std::move(s));
}

void stream_state::close_now() noexcept {
  if (released) return;
  released = true;
  auto o = owner.lock();
  if (o && x.parser.done() && x.pending.empty()) {
    o->release(std::move(x));
  } else if (x.conn) {
    x.conn->close();
  }
}

void hijack_state::close_now() noexcept {
  if (x.conn) x.conn->close();
}

static clock::time_point after(std::chrono::milliseconds d) {
  return d.count() > 0 ? clock::now() + d : net::connection::no_deadline;
}

}  // namespace detail

// ---- body_stream ---------------------------------------------------------------------

body_stream::~body_stream() { close(); }

const response_head& body_stream::head() const {
  static const response_head empty;
  return state_ ? state_->x.parser.head() : empty;
}

bool body_stream::is_open() const noexcept { return state_ && !state_->released; }

body_stream::executor_type body_stream::get_executor() const {
  return state_ ? detail::operation_executor(*state_->host) : executor_type();
}

execution_host& body_stream::host() const { return *state_->host; }

void body_stream::close() noexcept {
  if (!state_) return;
  auto s = std::move(state_);
  try {
    s->host->execute([s] { s->close_now(); });
  } catch (...) {
  }
}

asio::awaitable<result<std::size_t>> body_stream::do_read_some(
    std::shared_ptr<detail::stream_state> s, asio::mutable_buffer buf) {
  if (s->released) {
    if (s->x.parser.done() || !s->x.conn) co_return unexpected(asio::error::eof);
    co_return unexpected(errc::stream_closed);
  }
  std::error_code ec;
  std::size_t n = co_await detail::read_body(s->x, buf, detail::after(s->idle), ec);
  if (ec == asio::error::eof) {
    s->close_now();  // body complete: the connection goes back to the pool
    co_return unexpected(ec);
  }
  if (ec) {
    s->released = true;
    s->x.conn->close();
    co_return unexpected(ec);
  }
  if (s->x.parser.done() && s->x.pending.empty()) s->close_now();
  co_return n;
}

asio::awaitable<result<std::string>> body_stream::do_read_all(
    std::shared_ptr<detail::stream_state> s, std::uint64_t max_bytes) {
  std::string out;
  for (;;) {
    std::size_t old = out.size();
    out.resize(old + 16 * 1024);
    auto r = co_await do_read_some(s, asio::buffer(out.data() + old, 16 * 1024));
    if (!r) {
      out.resize(old);
      if (r.error() == asio::error::eof) co_return out;
      co_return unexpected(r.error());
    }
    out.resize(old + *r);
    if (out.size() > max_bytes) {
      s->released = true;
      if (s->x.conn) s->x.conn->close();
      co_return unexpected(error::body_too_large);
    }
  }
}

std::size_t body_stream::read_some(asio::mutable_buffer buf, std::error_code& ec) {
  if (!state_) {
    ec = make_error_code(errc::stream_closed);
    return 0;
  }
  auto r = state_->host->run<std::size_t>([&](auto h) { async_read_some(buf, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

std::size_t body_stream::read_some(asio::mutable_buffer buf) {
  return or_throw([&](std::error_code& ec) { return read_some(buf, ec); });
}

asio::awaitable<result<std::size_t>> body_stream::co_read_some(asio::mutable_buffer buf) {
  return do_read_some(state_, buf);
}

asio::awaitable<result<std::string_view>> body_stream::co_peek() { return do_peek(state_); }

asio::awaitable<result<std::string_view>> body_stream::do_peek(std::shared_ptr<detail::stream_state> s) {
  if (!s) co_return unexpected(errc::stream_closed);
  if (s->released) {
    if (s->x.parser.done() || !s->x.conn) co_return unexpected(asio::error::eof);
    co_return unexpected(errc::stream_closed);
  }
  std::error_code ec;
  auto v = co_await detail::peek_body(s->x, detail::after(s->idle), ec);
  if (ec == asio::error::eof) {
    s->close_now();  // body complete: the connection goes back to the pool
    co_return unexpected(ec);
  }
  if (ec) {
    s->released = true;
    s->x.conn->close();
    co_return unexpected(ec);
  }
  co_return v;
}

std::string_view body_stream::buffered() noexcept {
  if (!state_ || state_->released) return {};
  std::error_code ec;
  return detail::buffered_body(state_->x, ec);
}

void body_stream::consume(std::size_t n) noexcept {
  if (!state_ || state_->released) return;
  detail::consume_body(state_->x, n);
  if (state_->x.parser.done() && state_->x.pending.empty()) state_->close_now();
}

std::string body_stream::read_all(std::uint64_t max_bytes) {
  return or_throw([&](std::error_code& ec) { return read_all(max_bytes, ec); });
}

std::string body_stream::read_all(std::uint64_t max_bytes, std::error_code& ec) {
  if (!state_) {
    ec = make_error_code(errc::stream_closed);
    return {};
  }
  auto r = state_->host->run<std::string>(
      [&](auto h) { async_read_all(max_bytes, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

// ---- hijacked_stream -----------------------------------------------------------------

hijacked_stream::~hijacked_stream() { close(); }

const response_head& hijacked_stream::head() const {
  static const response_head empty;
  return state_ ? state_->x.parser.head() : empty;
}

bool hijacked_stream::is_open() const noexcept {
  return state_ && state_->x.conn && state_->x.conn->is_open();
}

hijacked_stream::executor_type hijacked_stream::get_executor() const {
  return state_ ? detail::operation_executor(*state_->host) : executor_type();
}

execution_host& hijacked_stream::host() const { return *state_->host; }

void hijacked_stream::close() noexcept {
  if (!state_) return;
  auto s = std::move(state_);
  try {
    s->host->execute([s] { s->close_now(); });
  } catch (...) {
  }
}

// Any failure but the end of input is final for a hijacked connection: an expired
// deadline or a cancellation closes it (timeouts.hpp, client.hpp), so the peer sees the
// end too and is_open() tells. After eof (the peer's half-close) writing may go on.
static void close_on_failure(detail::hijack_state& s, const std::error_code& ec) noexcept {
  if (ec && ec != asio::error::eof && s.x.conn) s.x.conn->close();
}

asio::awaitable<result<std::size_t>> hijacked_stream::do_read_some(
    std::shared_ptr<detail::hijack_state> s, asio::mutable_buffer buf) {
  std::error_code ec;
  if (!s->raw) {
    std::size_t n = co_await detail::read_body(s->x, buf, detail::after(s->idle), ec);
    close_on_failure(*s, ec);
    if (ec) co_return unexpected(ec);
    co_return n;
  }
  if (s->x.buf->size() > 0) {
    // Bytes that arrived with the 101 head belong to the upgraded stream.
    auto d = s->x.buf->data();
    std::size_t n = std::min(d.size(), buf.size());
    std::memcpy(buf.data(), d.data(), n);
    s->x.buf->consume(n);
    co_return n;
  }
  std::size_t n = co_await s->x.conn->read_some(buf, detail::after(s->idle), ec);
  close_on_failure(*s, ec);
  if (ec) co_return unexpected(ec);
  co_return n;
}

asio::awaitable<result<std::size_t>> hijacked_stream::do_write(
    std::shared_ptr<detail::hijack_state> s, asio::const_buffer buf) {
  std::error_code ec;
  co_await s->x.conn->write(std::span<const asio::const_buffer>(&buf, 1),
                            detail::after(s->write_timeout), ec);
  close_on_failure(*s, ec);
  if (ec) co_return unexpected(ec);
  co_return buf.size();
}

std::size_t hijacked_stream::read_some(asio::mutable_buffer buf, std::error_code& ec) {
  if (!state_) {
    ec = make_error_code(errc::stream_closed);
    return 0;
  }
  auto r = state_->host->run<std::size_t>([&](auto h) { async_read_some(buf, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

std::size_t hijacked_stream::read_some(asio::mutable_buffer buf) {
  return or_throw([&](std::error_code& ec) { return read_some(buf, ec); });
}

std::size_t hijacked_stream::write(asio::const_buffer buf) {
  return or_throw([&](std::error_code& ec) { return write(buf, ec); });
}

void hijacked_stream::shutdown_send() {
  or_throw([&](std::error_code& ec) { shutdown_send(ec); });
}

asio::awaitable<result<std::size_t>> hijacked_stream::co_read_some(asio::mutable_buffer buf) {
  return do_read_some(state_, buf);
}

asio::awaitable<result<std::string_view>> hijacked_stream::co_peek() { return do_peek(state_); }

asio::awaitable<result<std::string_view>> hijacked_stream::do_peek(std::shared_ptr<detail::hijack_state> s) {
  if (!s) co_return unexpected(errc::stream_closed);
  std::error_code ec;
  if (!s->raw) {
    auto v = co_await detail::peek_body(s->x, detail::after(s->idle), ec);
    close_on_failure(*s, ec);
    if (ec) co_return unexpected(ec);
    co_return v;
  }
  if (s->x.buf->size() == 0) {
    auto space = s->x.buf->prepare();
    std::size_t n = co_await s->x.conn->read_some(space, detail::after(s->idle), ec);
    close_on_failure(*s, ec);
    if (ec) co_return unexpected(ec);
    s->x.buf->commit(n);
  }
  co_return s->x.buf->data();
}

std::string_view hijacked_stream::buffered() noexcept {
  if (!state_) return {};
  if (!state_->raw) {
    std::error_code ec;
    return detail::buffered_body(state_->x, ec);
  }
  return state_->x.buf ? state_->x.buf->data() : std::string_view{};
}

void hijacked_stream::consume(std::size_t n) noexcept {
  if (!state_ || !state_->x.buf) return;
  if (!state_->raw) {
    detail::consume_body(state_->x, n);
    return;
  }
  state_->x.buf->consume(std::min(n, state_->x.buf->size()));
}

std::size_t hijacked_stream::write(asio::const_buffer buf, std::error_code& ec) {
  if (!state_) {
    ec = make_error_code(errc::stream_closed);
    return 0;
  }
  auto r = state_->host->run<std::size_t>([&](auto h) { async_write(buf, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

asio::awaitable<result<void>> hijacked_stream::do_shutdown_send(
    std::shared_ptr<detail::hijack_state> s) {
  std::error_code ec;
  if (!s->x.conn) co_return unexpected(errc::stream_closed);
  s->x.conn->shutdown_send(ec);
  if (ec) co_return unexpected(ec);
  co_return result<void>{};
}

void hijacked_stream::shutdown_send(std::error_code& ec) {
  if (!state_) {
    ec = make_error_code(errc::stream_closed);
    return;
  }
  auto r = state_->host->run<void>([&](auto h) { async_shutdown_send(std::move(h)); });
  ec = r.error();
}

// ---- request_writer ------------------------------------------------------------------

request_writer::~request_writer() { close(); }

bool request_writer::is_open() const noexcept {
  return state_ && !state_->finished && state_->x.conn && state_->x.conn->is_open();
}
request_writer::executor_type request_writer::get_executor() const {
  return state_ ? detail::operation_executor(*state_->host) : executor_type();
}
execution_host& request_writer::host() const { return *state_->host; }

void request_writer::close() noexcept {
  if (!state_) return;
  auto s = std::move(state_);
  if (s->finished) return;
  try {
    s->host->execute([s] {
      if (s->x.conn) s->x.conn->close();
    });
  } catch (...) {
  }
}

asio::awaitable<result<std::size_t>> request_writer::do_write(
    std::shared_ptr<detail::writer_state> s, asio::const_buffer buf) {
  if (s->finished || !s->x.conn) co_return unexpected(errc::stream_closed);
  if (buf.size() == 0) co_return std::size_t{0};
  std::string head = chunk_header(buf.size());
  std::array<asio::const_buffer, 3> bufs{asio::buffer(head), buf, asio::buffer(chunk_crlf)};
  std::error_code ec;
  co_await s->x.conn->write(bufs, detail::after(s->d.idle), ec);
  if (ec) {
    s->x.conn->close();
    co_return unexpected(ec);
  }
  co_return buf.size();
}

asio::awaitable<result<body_stream>> request_writer::do_finish(
    std::shared_ptr<detail::writer_state> s) {
  if (s->finished || !s->x.conn) co_return unexpected(errc::stream_closed);
  s->finished = true;
  std::error_code ec;
  auto head_deadline = s->d.at(s->d.head);
  std::array<asio::const_buffer, 1> last{asio::buffer(last_chunk)};
  co_await s->x.conn->write(last, head_deadline, ec);
  if (!ec) ec = co_await detail::read_head(s->x, head_deadline);
  if (ec) {
    s->x.conn->close();
    co_return unexpected(ec);
  }
  auto owner = s->owner.lock();
  if (!owner) co_return unexpected(errc::stream_closed);
  co_return owner->make_body_stream(std::move(s->x), s->d);
}

std::size_t request_writer::write(asio::const_buffer buf, std::error_code& ec) {
  if (!state_) {
    ec = make_error_code(errc::stream_closed);
    return 0;
  }
  auto r = state_->host->run<std::size_t>([&](auto h) { async_write(buf, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

std::size_t request_writer::write(asio::const_buffer buf) {
  return or_throw([&](std::error_code& ec) { return write(buf, ec); });
}

body_stream request_writer::finish() {
  return or_throw([&](std::error_code& ec) { return finish(ec); });
}

body_stream request_writer::finish(std::error_code& ec) {
  if (!state_) {
    ec = make_error_code(errc::stream_closed);
    return {};
  }
  auto r = state_->host->run<body_stream>([&](auto h) { async_finish(std::move(h)); });
  return value_or_set(std::move(r), ec);
}

}  // namespace berth::http
