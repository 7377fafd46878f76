// The keep-alive pool and the exchange primitives (send, read head, read body).
#include <algorithm>
#include <array>
#include <cstring>

#include <asio/error.hpp>

#include "http/client_state.hpp"

namespace berth::http::detail {

asio::any_io_executor operation_executor(const execution_host& h) {
  // A private io_context is run by one thread at a time (the host's runner), which
  // serialises everything on it already: a strand on top would only add a hand-off, a
  // lock and an executor allocation to every completion.
  return h.operation_executor();
}

client_state::client_state(std::shared_ptr<execution_host> h, net::endpoint e, client_options o)
    : host(std::move(h)),
      ex(operation_executor(*host)),
      ep(std::move(e)),
      opts(std::move(o)),
      host_header(ep.authority()) {
  if (ep.kind == net::endpoint::transport::tls) {
    auto ctx = net::make_tls_context(ep.tls);
    if (ctx)
      tls = std::move(*ctx);
    else
      tls_error = ctx.error();
  }
}

/// The least body bytes read straight into a caller's buffer (unless the caller asks for
/// fewer): below that, one buffered read takes them with what follows.
constexpr std::uint64_t direct_min_bytes = 16 * 1024;

static std::size_t buffer_bytes(const client_options& o) {
  return std::max(o.stream_buffer_bytes, o.limits.header_bytes + 1024);
}

asio::awaitable<result<exchange>> client_state::acquire(const deadlines& d, bool allow_reuse,
                                                       bool& reused) {
  reused = false;
  purge_expired();
  if (allow_reuse) {
    auto now = clock::now();
    while (!idle.empty()) {
      idle_entry e = std::move(idle.back());
      idle.pop_back();
      publish_idle();
      if (now - e.since < opts.idle_timeout && !e.conn->is_stale()) {
        reused = true;
        exchange x;
        x.conn = std::move(e.conn);
        x.buf = std::move(e.buf);
        x.parser = response_parser(opts.limits);
        co_return x;
      }
      e.conn->close();
    }
  }
  if (tls_error) co_return unexpected(tls_error);
  auto c = co_await net::connection::open(ex, ep, tls, d.at(d.connect));
  if (!c) co_return unexpected(c.error());
  exchange x;
  x.conn = std::move(*c);
  x.buf = std::make_unique<read_buffer>(buffer_bytes(opts));
  x.parser = response_parser(opts.limits);
  co_return x;
}

void client_state::release(exchange&& x) {
  bool reusable = x.conn && x.conn->is_open() && x.parser.done() && x.parser.keep_alive() &&
                  !x.parser.upgraded() && x.buf && x.buf->size() == 0 && x.pending.empty() &&
                  opts.max_idle_connections > 0;
  if (!reusable) {
    if (x.conn) x.conn->close();
    return;
  }
  while (idle.size() >= opts.max_idle_connections) {
    idle.front().conn->close();
    idle.pop_front();
  }
  idle.push_back({std::move(x.conn), std::move(x.buf), clock::now()});
  purge_expired();
  publish_idle();
}

void client_state::purge_expired() {
  auto now = clock::now();
  while (!idle.empty() && now - idle.front().since >= opts.idle_timeout) {
    idle.front().conn->close();
    idle.pop_front();
  }
  publish_idle();
}

asio::awaitable<std::error_code> read_head(exchange& x, clock::time_point deadline) {
  std::error_code ec;
  for (;;) {
    if (x.buf->size() > 0) {
      std::string_view body;
      std::size_t n = x.parser.put(x.buf->data(), body, ec);
      x.buf->consume(n);
      if (!body.empty()) x.pending = body;  // stays valid: nothing is read before it is taken
      if (ec == error::need_more) {
        ec.clear();
      } else if (ec) {
        co_return ec;
      } else if (x.parser.head_done()) {
        co_return std::error_code{};
      } else if (n > 0) {
        continue;
      }
    }
    auto space = x.buf->prepare();
    if (space.size() == 0) co_return make_error_code(error::header_too_large);
    std::size_t n = co_await x.conn->read_some(space, deadline, ec);
    if (ec == asio::error::eof) {
      x.parser.put_eof(ec);
      if (!ec) ec = make_error_code(error::partial_message);
      co_return ec;
    }
    if (ec) co_return ec;
    x.buf->commit(n);
  }
}

asio::awaitable<std::size_t> read_body(exchange& x, asio::mutable_buffer dst,
                                       clock::time_point deadline, std::error_code& ec) {
  ec.clear();
  if (dst.size() == 0) co_return 0;
  auto* out = static_cast<char*>(dst.data());
  std::size_t got = 0;  // bytes of dst filled so far
  auto take = [&](std::string_view& from) {
    std::size_t n = std::min(from.size(), dst.size() - got);
    std::memcpy(out + got, from.data(), n);
    from.remove_prefix(n);
    got += n;
  };
  if (!x.pending.empty()) {
    take(x.pending);
    if (!x.pending.empty()) co_return got;
    if (x.buf) x.buf->consume(0);
  }
  for (;;) {
    if (x.parser.done()) {
      if (got > 0) co_return got;  // the end is reported by the next call
      ec = asio::error::eof;
      co_return 0;
    }
    // Every body slice already buffered goes out in this call (many small chunks per
    // read), until dst is full; the socket is read only when nothing was taken yet.
    if (x.buf->size() > 0) {
      std::string_view body;
      std::size_t n = x.parser.put(x.buf->data(), body, ec);
      if (ec && ec != error::need_more) {
        // The parser keeps its error: bytes taken so far go out first, the next call
        // reports it.
        if (got > 0) ec.clear();
        co_return got;
      }
      ec.clear();
      if (!body.empty()) {
        // body points into the buffer; copy what fits, keep the rest pending. The
        // buffer is not touched again until pending is drained.
        take(body);
        x.pending = body;
        x.buf->consume(n);
        if (!x.pending.empty() || got == dst.size()) co_return got;
        x.buf->consume(0);
        continue;
      }
      x.buf->consume(n);
      if (n > 0) continue;
    }
    if (x.parser.done()) continue;
    if (got > 0) co_return got;
    std::uint64_t direct = x.parser.body_direct();
    // Zero-copy, payload straight from the socket into the caller's buffer, when the
    // framing has enough of it to make that read worth a system call of its own; the
    // tail of a small chunk is read with the chunks that follow it instead.
    if (x.buf->size() == 0 && direct >= std::min<std::uint64_t>(dst.size(), direct_min_bytes)) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(direct, dst.size()));
      std::size_t n = co_await x.conn->read_some(asio::buffer(dst.data(), want), deadline, ec);
      if (ec == asio::error::eof) {
        x.parser.put_eof(ec);
        if (!ec) ec = asio::error::eof;
        co_return 0;
      }
      if (ec) co_return 0;
      x.parser.consume_body(n);
      co_return n;
    }
    auto space = x.buf->prepare();
    if (space.size() == 0) {
      ec = make_error_code(error::line_too_long);
      co_return 0;
    }
    std::size_t n = co_await x.conn->read_some(space, deadline, ec);
    if (ec == asio::error::eof) {
      x.parser.put_eof(ec);
      if (!ec) ec = asio::error::eof;
      co_return 0;
    }
    if (ec) co_return 0;
    x.buf->commit(n);
  }
}

std::string_view buffered_body(exchange& x, std::error_code& ec) {
  ec.clear();
  while (x.pending.empty() && !x.parser.done() && x.buf->size() > 0) {
    std::string_view body;
    std::size_t n = x.parser.put(x.buf->data(), body, ec);
    if (ec && ec != error::need_more) return {};
    ec.clear();
    // body points into the buffer, which is not touched again until pending is drained.
    x.pending = body;
    x.buf->consume(n);
    if (n == 0) break;
  }
  return x.pending;
}

asio::awaitable<std::string_view> peek_body(exchange& x, clock::time_point deadline,
                                            std::error_code& ec) {
  for (;;) {
    auto v = buffered_body(x, ec);
    if (ec) co_return std::string_view{};
    if (!v.empty()) co_return v;
    if (x.parser.done()) {
      ec = asio::error::eof;
      co_return std::string_view{};
    }
    auto space = x.buf->prepare();
    if (space.size() == 0) {
      ec = make_error_code(error::line_too_long);
      co_return std::string_view{};
    }
    std::size_t n = co_await x.conn->read_some(space, deadline, ec);
    if (ec == asio::error::eof) {
      x.parser.put_eof(ec);
      if (!ec) ec = asio::error::eof;
      co_return std::string_view{};
    }
    if (ec) co_return std::string_view{};
    x.buf->commit(n);
  }
}

void consume_body(exchange& x, std::size_t n) noexcept {
  x.pending.remove_prefix(std::min(n, x.pending.size()));
  if (x.pending.empty() && x.buf) x.buf->consume(0);
}

asio::awaitable<result<exchange>> client_state::send(request& req, const deadlines& d,
                                                    bool allow_reuse) {
  std::string head;
  head.reserve(256 + req.target.size());
  std::error_code ec;
  if (!opts.user_agent.empty() && !req.headers.find("User-Agent"))
    req.headers.add("User-Agent", opts.user_agent);
  serialize_head(req, host_header, head, ec);
  if (ec) co_return unexpected(ec);
  const bool may_retry = is_idempotent(req.method);
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    auto got = co_await acquire(d, allow_reuse && attempt == 0, reused);
    if (!got) co_return unexpected(got.error());
    exchange x = std::move(*got);
    if (req.method == "HEAD") x.parser.skip_body(true);
    std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(req.body)};
    std::size_t nbufs = req.chunked_body || req.body.empty() ? 1 : 2;
    auto head_deadline = d.at(d.head);
    // Without a chunked body the head is read next, under the same deadline.
    co_await x.conn->write(std::span<const asio::const_buffer>(bufs.data(), nbufs),
                           head_deadline, ec, !req.chunked_body);
    if (!ec && req.chunked_body) co_return x;  // the caller streams the body, then reads
    if (!ec) ec = co_await read_head(x, head_deadline);
    if (!ec) co_return x;
    x.conn->close();
    bool before_answer = ec == errc::connection_lost || ec == error::no_response ||
                         ec == asio::error::eof;
    if (reused && may_retry && attempt == 0 && before_answer) continue;
    co_return unexpected(ec);
  }
}

}  // namespace berth::http::detail
