#include "berth/engine/streams.hpp"

#include <cstring>
#include <utility>
#include <variant>

#include <asio/error.hpp>
#include "berth/core/asio_compat.hpp"
#include <asio/use_awaitable.hpp>

#include "berth/io/error.hpp"
#include "berth/io/json_lines.hpp"

namespace berth::engine {
namespace detail {

namespace {
/// The least frame payload read straight into a caller's buffer (unless the caller asks
/// for fewer bytes): a smaller tail is read into the source's buffer with the frames
/// after it.
constexpr std::size_t direct_min_bytes = 16 * 1024;
}  // namespace

/// Reads raw bytes from either kind of source. The stream's only buffer is the source's
/// own: the demultiplexer and the record splitter work on views into it (peek, consume).
struct byte_source {
  std::variant<http::body_stream, http::hijacked_stream> src;

  /// Awaited in place: this runs on the stream's executor already.
  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buf, std::error_code& ec) {
    result<std::size_t> r = unexpected(errc::internal);
    try {
      r = co_await std::visit([&](auto& s) { return s.co_read_some(buf); }, src);
    } catch (...) {
      r = unexpected(berth::detail::error_from_exception(std::current_exception()));
    }
    ec = r ? std::error_code{} : r.error();
    co_return r ? *r : 0;
  }
  asio::awaitable<std::string_view> peek(std::error_code& ec) {
    result<std::string_view> r = unexpected(errc::internal);
    try {
      r = co_await std::visit([](auto& s) { return s.co_peek(); }, src);
    } catch (...) {
      r = unexpected(berth::detail::error_from_exception(std::current_exception()));
    }
    ec = r ? std::error_code{} : r.error();
    co_return r ? *r : std::string_view{};
  }
  std::string_view buffered() {
    return std::visit([](auto& s) { return s.buffered(); }, src);
  }
  void consume(std::size_t n) {
    std::visit([n](auto& s) { s.consume(n); }, src);
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
  /// Payload of the current frame not yet handed out: a view into the source's buffer,
  /// whose first `held` bytes the demuxer has taken but the source has not released.
  std::string_view pending;
  std::size_t held = 0;
  stream_id pending_stream = stream_id::stdout_stream;
  berth::diagnostics diag;
  bool finished = false;
  bool writable = false;  ///< stdin attached (hijacked connections only)
};

struct record_state {
  http::body_stream body;
  io::json_lines lines;
  bool eof = false;

  explicit record_state(http::body_stream b, std::size_t max_record)
      : body(std::move(b)), lines(max_record) {}
};

}  // namespace detail

// ---- output_stream -------------------------------------------------------------------

output_stream::output_stream(http::body_stream body, bool multiplexed)
    : state_(std::make_shared<detail::output_state>()) {
  state_->source.src.emplace<http::body_stream>(std::move(body));
  state_->multiplexed = multiplexed;
}

output_stream::output_stream(http::hijacked_stream raw, bool multiplexed, bool writable)
    : state_(std::make_shared<detail::output_state>()) {
  state_->source.src.emplace<http::hijacked_stream>(std::move(raw));
  state_->multiplexed = multiplexed;
  state_->writable = writable;
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
  auto* out = static_cast<char*>(buf.data());
  std::size_t got = 0;  // bytes of buf filled so far, all of stream got_id
  stream_id got_id = stream_id::stdout_stream;
  auto take = [&](stream_id id, std::string_view& from) {
    std::size_t n = std::min(from.size(), buf.size() - got);
    std::memcpy(out + got, from.data(), n);
    from.remove_prefix(n);
    got += n;
    got_id = id;
  };
  if (!s->pending.empty()) {
    take(s->pending_stream, s->pending);
    if (!s->pending.empty()) co_return output_chunk{got_id, got};
    s->source.consume(std::exchange(s->held, 0));
    if (got == buf.size()) co_return output_chunk{got_id, got};
  }
  for (;;) {
    std::string_view data;
    if (got > 0) {
      // One read hands out the payload of every following frame of the same stream that
      // is already buffered, until buf is full; it never waits for more bytes and stops
      // before a frame of another stream, a stream-3 frame, an empty frame or a header
      // not wholly buffered (put() sees those in a read of their own).
      data = s->source.buffered();
      if (!s->demux.next_frame_continues(data, got_id)) break;
    } else {
      if (s->finished) co_return unexpected(asio::error::eof);
      std::uint32_t direct = s->demux.payload_direct();
      // The rest of a frame's payload goes straight into the caller's buffer when there
      // is enough of it to be worth a read of its own and nothing is buffered; the tail
      // of a small frame is read with the frames that follow it.
      if (direct > 0 && direct >= std::min<std::size_t>(buf.size(), detail::direct_min_bytes) &&
          s->source.buffered().empty()) {
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
      data = co_await s->source.peek(ec);
      if (ec == asio::error::eof) {
        s->demux.put_eof(ec);
        if (ec) co_return unexpected(ec);  // truncated frame
        s->finished = true;
        co_return unexpected(asio::error::eof);
      }
      if (ec) co_return unexpected(ec);
    }
    stream_id id{};
    std::string_view payload;
    std::size_t used = s->demux.put(data, id, payload, ec);
    if (!payload.empty()) {
      // Whatever does not fit stays pending, still in the source's buffer.
      take(id, payload);
      if (!payload.empty()) {
        s->pending_stream = id;
        s->pending = payload;
        s->held = used;
        break;
      }
    }
    s->source.consume(used);
    if (ec == io::error::system_stream) {
      s->diag.set_message(s->demux.system_message());
      if (got > 0) break;
      co_return unexpected(ec);
    }
    if (ec) {
      if (got > 0) break;  // final and repeated: the next read reports it
      co_return unexpected(ec);
    }
    if (got == buf.size()) break;
  }
  co_return output_chunk{got_id, got};
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
  return or_throw([&](std::error_code& ec) { return read(buf, ec); }, [&] { return diagnostics(); });
}

std::size_t output_stream::write(asio::const_buffer buf) {
  return or_throw([&](std::error_code& ec) { return write(buf, ec); }, [&] { return diagnostics(); });
}

void output_stream::close_stdin() {
  or_throw([&](std::error_code& ec) { close_stdin(ec); }, [&] { return diagnostics(); });
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
    if (s->eof) co_return unexpected(asio::error::eof);
    // The body's own buffer, awaited in place (this runs on the stream's executor).
    result<std::string_view> r = unexpected(errc::internal);
    try {
      r = co_await s->body.co_peek();
    } catch (...) {
      r = unexpected(berth::detail::error_from_exception(std::current_exception()));
    }
    if (!r && r.error() == asio::error::eof) {
      s->eof = true;
      std::string_view last;
      if (s->lines.put_eof(last, ec) && !last.empty()) co_return std::string(last);
      if (ec) co_return unexpected(ec);
      co_return unexpected(asio::error::eof);
    }
    if (!r) co_return unexpected(r.error());
    std::string_view line;
    std::size_t used = s->lines.put(*r, line, ec);
    std::string record(line);  // line may point into the body's buffer: copy it first
    s->body.consume(used);
    if (ec) co_return unexpected(ec);
    if (!record.empty()) co_return record;
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

std::string record_stream::next() {
  return or_throw([&](std::error_code& ec) { return next(ec); });
}

}  // namespace berth::engine
