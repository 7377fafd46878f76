#include "berth/engine/streams.hpp"

#include <cstring>
#include <variant>

#include <asio/error.hpp>
#include "core/asio_compat.hpp"
#include <asio/use_awaitable.hpp>

#include "berth/io/error.hpp"
#include "berth/io/json_lines.hpp"
#include "http/client_access.hpp"

namespace berth::engine {
namespace detail {

namespace {
constexpr std::size_t staging_bytes = 64 * 1024;
/// The least frame payload read straight into a caller's buffer (unless the caller asks
/// for fewer bytes): a smaller tail is read into staging with the frames after it.
constexpr std::size_t direct_min_bytes = 16 * 1024;
}  // namespace

/// Reads raw bytes from either kind of source.
struct byte_source {
  std::variant<http::body_stream, http::hijacked_stream> src;

  /// The stream's read body, awaited in place: this runs on the stream's executor already.
  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buf, std::error_code& ec) {
    result<std::size_t> r = unexpected(errc::internal);
    try {
      r = co_await std::visit(
          [&](auto& s) { return http::detail::client_access::read_some(s, buf); }, src);
    } catch (...) {
      r = unexpected(berth::detail::error_from_exception(std::current_exception()));
    }
    ec = r ? std::error_code{} : r.error();
    co_return r ? *r : 0;
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
    if (!s->pending.empty() || got == buf.size()) co_return output_chunk{got_id, got};
  }
  for (;;) {
    if (got > 0) {
      // One read hands out the payload of every following frame of the same stream that
      // is already staged, until buf is full; it never waits for more bytes. It stops
      // before a frame of another stream, a stream-3 frame or an empty frame (put() must
      // see those on their own) and before an incomplete header.
      if (s->end - s->begin < 8 || s->demux.payload_direct() != 0) break;
      const auto* h = reinterpret_cast<const unsigned char*>(s->staging.get() + s->begin);
      const bool same = h[0] == static_cast<unsigned char>(got_id) && h[1] == 0 && h[2] == 0 &&
                        h[3] == 0 && (h[4] | h[5] | h[6] | h[7]) != 0;
      if (!same) break;
    }
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
      if (ec) {
        if (got > 0) break;  // final and repeated: the next read reports it
        co_return unexpected(ec);
      }
      if (!payload.empty()) {
        // Whatever does not fit stays pending: staging is not refilled before it drains.
        take(id, payload);
        if (!payload.empty()) {
          s->pending_stream = id;
          s->pending = payload;
          break;
        }
        if (got == buf.size()) break;
        continue;
      }
      if (used > 0) continue;
    }
    s->begin = s->end = 0;
    std::uint32_t direct = s->demux.payload_direct();
    // The rest of a frame's payload goes straight into the caller's buffer when there is
    // enough of it to be worth a read of its own; the tail of a small frame is read into
    // staging with the frames that follow it.
    if (direct > 0 && direct >= std::min<std::size_t>(buf.size(), detail::direct_min_bytes)) {
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
    // The body's read, awaited in place (this runs on the stream's executor already).
    std::error_code e;
    std::size_t n = 0;
    try {
      auto r = co_await http::detail::client_access::read_some(
          s->body, asio::buffer(s->staging.get(), detail::staging_bytes));
      if (r) n = *r;
      else e = r.error();
    } catch (...) {
      e = berth::detail::error_from_exception(std::current_exception());
    }
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
