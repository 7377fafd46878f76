// The keep-alive pool and the exchange primitives (send, read head, read body).
#include <algorithm>
#include <array>
#include <cstring>

#include <asio/error.hpp>

#include "http/client_state.hpp"

namespace berth::http::detail {

client_state::client_state(std::shared_ptr<execution_host> h, net::endpoint e, client_options o)
    : host(std::move(h)),
      ex(host->get_executor()),
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
  auto take = [&](std::string_view& from) {
    std::size_t n = std::min(from.size(), dst.size());
    std::memcpy(dst.data(), from.data(), n);
    from.remove_prefix(n);
    return n;
  };
  if (!x.pending.empty()) {
    std::size_t n = take(x.pending);
    if (x.pending.empty() && x.buf) x.buf->consume(0);
    co_return n;
  }
  for (;;) {
    if (x.parser.done()) {
      ec = asio::error::eof;
      co_return 0;
    }
    if (x.buf->size() > 0) {
      std::string_view body;
      std::size_t n = x.parser.put(x.buf->data(), body, ec);
      if (ec && ec != error::need_more) co_return 0;
      ec.clear();
      if (!body.empty()) {
        // body points into the buffer; copy what fits, keep the rest pending. The
        // buffer is not touched again until pending is drained.
        std::size_t m = take(body);
        x.pending = body;
        x.buf->consume(n);
        co_return m;
      }
      x.buf->consume(n);
      if (n > 0) continue;
    }
    if (x.parser.done()) continue;
    std::uint64_t direct = x.parser.body_direct();
    if (x.buf->size() == 0 && direct > 0) {
      // Zero-copy: payload goes straight from the socket into the caller's buffer.
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

asio::awaitable<result<exchange>> client_state::send(const request& req, const deadlines& d,
                                                    bool allow_reuse) {
  std::string head;
  head.reserve(256 + req.target.size());
  std::error_code ec;
  request with_agent = req;
  if (!with_agent.headers.find("User-Agent") && !opts.user_agent.empty())
    with_agent.headers.add("User-Agent", opts.user_agent);
  serialize_head(with_agent, host_header, head, ec);
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
    co_await x.conn->write(std::span<const asio::const_buffer>(bufs.data(), nbufs),
                           head_deadline, ec);
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
