// The bodies of berth::http::client and stream operations as plain awaitables. Private
// to berth.
#pragma once

#include <cstddef>
#include <utility>

#include "berth/http/client.hpp"

namespace berth::http::detail {

/// For coroutines that already run on the client's executor (the engine's operations
/// and streams): awaiting a body directly spares the co_spawn, strand hand-off and
/// completion that async_x(use_awaitable) costs per call. Cancellation reaches it through
/// the awaiting coroutine's cancellation state, as it reaches that coroutine's own
/// operations.
struct client_access {
  static asio::awaitable<result<response>> perform(client& c, request req, timeouts t) {
    return client::do_perform(c.state_, std::move(req), t);
  }
  static asio::awaitable<result<std::size_t>> read_some(body_stream& b, asio::mutable_buffer buf) {
    if (!b.state_) return closed();
    return body_stream::do_read_some(b.state_, buf);
  }
  static asio::awaitable<result<std::size_t>> read_some(hijacked_stream& h,
                                                        asio::mutable_buffer buf) {
    if (!h.state_) return closed();
    return hijacked_stream::do_read_some(h.state_, buf);
  }

 private:
  static asio::awaitable<result<std::size_t>> closed() {
    co_return unexpected(errc::stream_closed);
  }
};

}  // namespace berth::http::detail
