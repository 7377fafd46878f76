#include "berth/http/client.hpp"

#include <asio/error.hpp>

#include "http/client_state.hpp"

namespace berth::http {

using detail::client_state;
using detail::deadlines;

client::client(net::endpoint ep, client_options opts)
    : host_(std::make_shared<execution_host>()),
      state_(std::make_shared<client_state>(host_, std::move(ep), std::move(opts))) {}

client::client(asio::any_io_executor ex, net::endpoint ep, client_options opts)
    : host_(std::make_shared<execution_host>(std::move(ex))),
      state_(std::make_shared<client_state>(host_, std::move(ep), std::move(opts))) {}

client::~client() {
  if (!state_) return;
  // Close idle connections where that cannot race with running operations.
  host_->execute([s = state_] {
    for (auto& e : s->idle) e.conn->close();
    s->idle.clear();
    s->publish_idle();
  });
}

client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;

client::executor_type client::get_executor() const { return state_->ex; }
const net::endpoint& client::endpoint() const { return state_->ep; }
const client_options& client::options() const { return state_->opts; }
std::size_t client::idle_connections() const {
  return state_->idle_count.load(std::memory_order_relaxed);
}

asio::awaitable<result<response>> client::do_perform(std::shared_ptr<client_state> s, request req,
                                                    timeouts t) {
  auto d = deadlines::from(s->opts.defaults.overridden_by(t));
  if (req.chunked_body) co_return unexpected(errc::invalid_argument);
  auto got = co_await s->send(req, d, true);
  if (!got) co_return unexpected(got.error());
  detail::exchange x = std::move(*got);
  response r;
  r.status = x.parser.head().status;
  if (auto cl = x.parser.content_length()) {
    if (*cl > s->opts.max_body_bytes) {
      x.conn->close();
      co_return unexpected(error::body_too_large);
    }
    r.body.reserve(static_cast<std::size_t>(*cl));
  }
  const auto length = x.parser.content_length();
  std::error_code ec;
  while (!x.parser.done() || !x.pending.empty()) {
    std::size_t old = r.body.size();
    // A known length is read into exactly that much room: resize() zero-fills, and a
    // 2-byte body must not pay for 16 KiB of it.
    std::size_t room = length && old < *length
                           ? static_cast<std::size_t>(*length - old)
                           : std::max<std::size_t>(r.body.capacity() - old, 16 * 1024);
    if (old + room > s->opts.max_body_bytes + 1) room = s->opts.max_body_bytes + 1 - old;
    r.body.resize(old + room);
    std::size_t n = co_await detail::read_body(x, asio::buffer(r.body.data() + old, room),
                                               d.at(d.idle), ec);
    r.body.resize(old + n);
    if (ec == asio::error::eof) break;
    if (ec) {
      x.conn->close();
      co_return unexpected(ec);
    }
    if (r.body.size() > s->opts.max_body_bytes) {
      x.conn->close();
      co_return unexpected(error::body_too_large);
    }
  }
  r.headers = std::move(x.parser.release_head().headers);
  s->release(std::move(x));
  co_return r;
}

asio::awaitable<result<body_stream>> client::do_open(std::shared_ptr<client_state> s, request req,
                                                    timeouts t) {
  auto d = deadlines::from(s->opts.defaults.overridden_by(t));
  if (req.chunked_body) co_return unexpected(errc::invalid_argument);
  // A dedicated connection: a long-lived stream must not start on a pooled connection
  // the daemon may be about to close. When the body ends it joins the pool.
  auto got = co_await s->send(req, d, false);
  if (!got) co_return unexpected(got.error());
  co_return s->make_body_stream(std::move(*got), d);
}

asio::awaitable<result<hijacked_stream>> client::do_upgrade(std::shared_ptr<client_state> s,
                                                           request req, timeouts t) {
  auto d = deadlines::from(s->opts.defaults.overridden_by(t));
  if (req.chunked_body) co_return unexpected(errc::invalid_argument);
  req.headers.set("Connection", "Upgrade");
  req.headers.set("Upgrade", "tcp");
  auto got = co_await s->send(req, d, false);
  if (!got) co_return unexpected(got.error());
  co_return s->make_hijacked_stream(std::move(*got), d);
}

asio::awaitable<result<request_writer>> client::do_begin(std::shared_ptr<client_state> s,
                                                        request req, timeouts t) {
  auto d = deadlines::from(s->opts.defaults.overridden_by(t));
  req.chunked_body = true;
  req.body.clear();
  auto got = co_await s->send(req, d, false);
  if (!got) co_return unexpected(got.error());
  co_return s->make_writer(std::move(*got), d);
}

request_writer client::begin(request req, timeouts t, std::error_code& ec) {
  auto r = host_->run<request_writer>(
      [&](auto h) { async_begin(std::move(req), t, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

response client::perform(request req, timeouts t, std::error_code& ec) {
  auto r = host_->run<response>(
      [&](auto h) { async_perform(std::move(req), t, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

response client::perform(request req, timeouts t) {
  return or_throw([&](std::error_code& ec) { return perform(std::move(req), t, ec); });
}

asio::awaitable<result<response>> client::co_perform(request req, timeouts t) {
  return do_perform(state_, std::move(req), t);
}

body_stream client::open(request req, timeouts t, std::error_code& ec) {
  auto r = host_->run<body_stream>([&](auto h) { async_open(std::move(req), t, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

body_stream client::open(request req, timeouts t) {
  return or_throw([&](std::error_code& ec) { return open(std::move(req), t, ec); });
}

hijacked_stream client::upgrade(request req, timeouts t) {
  return or_throw([&](std::error_code& ec) { return upgrade(std::move(req), t, ec); });
}

request_writer client::begin(request req, timeouts t) {
  return or_throw([&](std::error_code& ec) { return begin(std::move(req), t, ec); });
}

hijacked_stream client::upgrade(request req, timeouts t, std::error_code& ec) {
  auto r = host_->run<hijacked_stream>(
      [&](auto h) { async_upgrade(std::move(req), t, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

}  // namespace berth::http
