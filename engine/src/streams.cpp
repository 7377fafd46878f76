#include "berth/engine/streams.hpp"

#include <cstring>
#include <variant>

#include <asio/error.hpp>
#include "core/asio_compat.hpp"
#include <asio/use_awaitable.hpp>

#include "berth/io/error.hpp"
#include "berth/io/json_lines.hpp"

namespace berth::engine {
namespace detail {

namespace {
constexpr std::size_t staging_bytes = 64 * 1024;
}  // namespace

/// Reads raw bytes from either kind of source.
struct byte_source {
  std::variant<http::body_stream, http::hijacked_stream> src;

  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buf, std::error_code& ec) {
    auto [e, n] = co_await std::visit(
        [&](auto& s) { return s.async_read_some(buf, tuple_awaitable); }, src);
    ec = e;
    co_return n;
  }
  asio::any_io_executor executor() const {
    return std::visit([](auto& s) { return s.get_executor(); }, src);
  }
  bool is_open() const {
    return std::visit([](auto& s) { return s.is_open(); }, src);
  }
  void close() {
    std::visit([](auto& s) { s.close(); }, src);
  }
};

struct output_state {
  byte_source source;
  bool multiplexed = true;
  io::demuxer demux;
  std::unique_ptr<char[]> staging;
  std::size_t begin = 0, end = 0;
  std::string_view pending;  ///< Payload of the current frame not yet handed out.
  stream_id pending_stream = stream_id::stdout_stream;
  berth::diagnostics diag;
  bool finished = false;
  bool writable = false;  ///< stdin attached (hijacked connections only)
};

struct record_state {
  http::body_stream body;
  io::json_lines lines;
  std::unique_ptr<char[]> staging;
  std::size_t begin = 0, end = 0;
  bool eof = false;

  explicit record_state(http::body_stream b, std::size_t max_record)
      : body(std::move(b)), lines(max_record), staging(new char[staging_bytes]) {}
};

}  // namespace detail

// ---- output_stream -------------------------------------------------------------------

output_stream::output_stream(http::body_stream body, bool multiplexed)
    : state_(std::make_shared<detail::output_state>()) {
  state_->source.src.emplace<http::body_stream>(std::move(body));
  state_->multiplexed = multiplexed;
  state_->staging.reset(new char[detail::staging_bytes]);
}

output_stream::output_stream(http::hijacked_stream raw, bool multiplexed, bool writable)
    : state_(std::make_shared<detail::output_state>()) {
  state_->source.src.emplace<http::hijacked_stream>(std::move(raw));
  state_->multiplexed = multiplexed;
  state_->writable = writable;
  state_->staging.reset(new char[detail::staging_bytes]);
}

output_stream::~output_stream() { close(); }

bool output_stream::multiplexed() const noexcept { return state_ && state_->multiplexed; }
bool output_stream::writable() const noexcept { return state_ && state_->writable; }
bool output_stream::is_open() const noexcept { return state_ && state_->source.is_open(); }
output_stream::executor_type output_stream::get_executor() const {
  return state_ ? state_->source.executor() : executor_type();
}
const berth::diagnostics& output_stream::diagnostics() const noexcept {
  static const berth::diagnostics none;
  return state_ ? state_->diag : none;
}

void output_stream::close() noexcept {
  if (!state_) return;
  auto s = std::move(state_);
  s->source.close();
}

asio::awaitable<result<output_chunk>> output_stream::do_read(
    std::shared_ptr<detail::output_state> s, asio::mutable_buffer buf) {
  std::error_code ec;
  if (buf.size() == 0) co_return output_chunk{};
  if (!s->multiplexed) {
    // TTY: raw bytes, straight into the caller's buffer.
    std::size_t n = co_await s->source.read_some(buf, ec);
    if (ec) co_return unexpected(ec);
    co_return output_chunk{stream_id::stdout_stream, n};
  }
  auto hand_out = [&](stream_id id, std::string_view& from) {
    std::size_t n = std::min(from.size(), buf.size());
    std::memcpy(buf.data(), from.data(), n);
    from.remove_prefix(n);
    return output_chunk{id, n};
  };
  if (!s->pending.empty()) co_return hand_out(s->pending_stream, s->pending);
  for (;;) {
    if (s->finished) co_return unexpected(asio::error::eof);
    if (s->begin < s->end) {
      stream_id id{};
      std::string_view payload;
      std::string_view data(s->staging.get() + s->begin, s->end - s->begin);
      std::size_t used = s->demux.put(data, id, payload, ec);
      s->begin += used;
      if (ec == io::error::system_stream) {
        s->diag.set_message(s->demux.system_message());
        co_return unexpected(ec);
      }
      if (ec) co_return unexpected(ec);
      if (!payload.empty()) {
        s->pending_stream = id;
        s->pending = payload;  // stays valid: staging is not refilled before it drains
        co_return hand_out(id, s->pending);
      }
      if (used > 0) continue;
    }
    s->begin = s->end = 0;
    std::uint32_t direct = s->demux.payload_direct();
    if (direct > 0) {
      // The rest of a frame's payload goes straight into the caller's buffer.
      std::size_t want = std::min<std::size_t>(direct, buf.size());
      std::size_t n = co_await s->source.read_some(asio::buffer(buf.data(), want), ec);
      if (ec == asio::error::eof) {
        s->demux.put_eof(ec);
        co_return unexpected(ec ? ec : std::error_code(asio::error::eof));
      }
      if (ec) co_return unexpected(ec);
      auto id = s->demux.current_stream();
      s->demux.consume_payload(static_cast<std::uint32_t>(n));
      co_return output_chunk{id, n};
    }
    std::size_t n = co_await s->source.read_some(
        asio::buffer(s->staging.get(), detail::staging_bytes), ec);
    if (ec == asio::error::eof) {
      s->demux.put_eof(ec);
      if (ec) co_return unexpected(ec);  // truncated frame
      s->finished = true;
      co_return unexpected(asio::error::eof);
    }
    if (ec) co_return unexpected(ec);
    s->end = n;
  }
}

asio::awaitable<result<std::size_t>> output_stream::do_write(
    std::shared_ptr<detail::output_state> s, asio::const_buffer buf) {
  auto* raw = std::get_if<http::hijacked_stream>(&s->source.src);
  if (!raw || !s->writable) co_return unexpected(errc::unsupported);
  auto [ec, n] = co_await raw->async_write(buf, tuple_awaitable);
  if (ec) co_return unexpected(ec);
  co_return n;
}

asio::awaitable<result<void>> output_stream::do_close_stdin(
    std::shared_ptr<detail::output_state> s) {
  auto* raw = std::get_if<http::hijacked_stream>(&s->source.src);
  if (!raw || !s->writable) co_return unexpected(errc::unsupported);
  auto [ec] = co_await raw->async_shutdown_send(tuple_awaitable);
  if (ec) co_return unexpected(ec);
  co_return result<void>{};
}

static execution_host& detail_host(detail::output_state& s) {
  return std::visit([](auto& src) -> execution_host& { return src.host(); }, s.source.src);
}

output_chunk output_stream::read(asio::mutable_buffer buf, std::error_code& ec) {
  if (!state_) {
    ec = make_error_code(errc::stream_closed);
    return {};
  }
  auto r = detail_host(*state_).run<output_chunk>([&](auto h) { async_read(buf, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

output_chunk output_stream::read(asio::mutable_buffer buf) {
  std::error_code ec;
  auto c = read(buf, ec);
  throw_if(ec, diagnostics());
  return c;
}

std::size_t output_stream::write(asio::const_buffer buf, std::error_code& ec) {
  if (!state_) {
    ec = make_error_code(errc::stream_closed);
    return 0;
  }
  auto r = detail_host(*state_).run<std::size_t>([&](auto h) { async_write(buf, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

void output_stream::close_stdin(std::error_code& ec) {
  if (!state_) {
    ec = make_error_code(errc::stream_closed);
    return;
  }
  auto r = detail_host(*state_).run<void>([&](auto h) { async_close_stdin(std::move(h)); });
  ec = r.error();
}

// ---- record_stream -------------------------------------------------------------------

record_stream::record_stream(http::body_stream body, std::size_t max_record)
    : state_(std::make_shared<detail::record_state>(std::move(body), max_record)) {}

record_stream::~record_stream() { close(); }

bool record_stream::is_open() const noexcept { return state_ && state_->body.is_open(); }
record_stream::executor_type record_stream::get_executor() const {
  return state_ ? state_->body.get_executor() : executor_type();
}

void record_stream::close() noexcept {
  if (!state_) return;
  auto s = std::move(state_);
  s->body.close();
}

asio::awaitable<result<std::string>> record_stream::do_next(
    std::shared_ptr<detail::record_state> s) {
  std::error_code ec;
  for (;;) {
    if (s->begin < s->end) {
      std::string_view line;
      std::string_view data(s->staging.get() + s->begin, s->end - s->begin);
      std::size_t used = s->lines.put(data, line, ec);
      s->begin += used;
      if (ec) co_return unexpected(ec);
      if (!line.empty()) co_return std::string(line);
      if (used > 0) continue;
    }
    if (s->eof) co_return unexpected(asio::error::eof);
    s->begin = s->end = 0;
    auto [e, n] = co_await s->body.async_read_some(
        asio::buffer(s->staging.get(), detail::staging_bytes), tuple_awaitable);
    if (e == asio::error::eof) {
      s->eof = true;
      std::string_view last;
      if (s->lines.put_eof(last, ec) && !last.empty()) co_return std::string(last);
      if (ec) co_return unexpected(ec);
      co_return unexpected(asio::error::eof);
    }
    if (e) co_return unexpected(e);
    s->end = n;
  }
}

std::string record_stream::next(std::error_code& ec) {
  if (!state_) {
    ec = make_error_code(errc::stream_closed);
    return {};
  }
  auto r = state_->body.host().run<std::string>([&](auto h) { async_next(std::move(h)); });
  return value_or_set(std::move(r), ec);
}

}  // namespace berth::engine
