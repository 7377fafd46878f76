// The Docker Engine API client.
//
// Every operation of the API is a small aggregate in berth::engine::op (named after the
// spec's operationId: op::container_create for ContainerCreate) holding its parameters,
// with a result_type. A client runs any of them three ways:
//
//   engine::client c = engine::client::from_env().value();
//   auto info = c.run(engine::op::system_info{});                  // throws berth::error
//   auto list = c.run(engine::op::container_list{.all = true}, ec); // error_code
//   c.async_run(engine::op::container_inspect{.id = "web"}, token); // callback, use_future,
//                                                                   // use_awaitable, ...
//
// The API version is negotiated lazily and once (single-flight) on first use, from the
// daemon's ping, clamped to [min_api_version, max_api_version], unless pinned by
// client_options::version or DOCKER_API_VERSION.
#pragma once

#include <memory>
#include <optional>
#include <system_error>

#include <asio/any_io_executor.hpp>

#include "berth/core/async.hpp"
#include "berth/core/call_options.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/engine/api_version.hpp"
#include "berth/engine/error.hpp"
#include "berth/engine/types.hpp"
#include "berth/http/client.hpp"
#include "berth/net/endpoint.hpp"

namespace berth::engine {

namespace detail {
struct state;
/// Negotiates (once) and returns the API version in use.
BERTH_API asio::awaitable<result<api_version>> negotiate(std::shared_ptr<state> s, call_options opts);
/// The transport of a client's state.
BERTH_API http::client& transport_of(const std::shared_ptr<state>& s) noexcept;
}  // namespace detail

/// Settings of an engine client.
struct BERTH_API client_options {
  /// Transport settings (pool, limits, default deadlines).
  http::client_options http{};
  /// Pin the API version instead of negotiating (DOCKER_API_VERSION sets it in from_env).
  std::optional<api_version> version{};
};

/// A client of one Docker daemon. Cheap to share: operations may be started from any
/// thread; they run serialised on the client's strand.
class BERTH_API client {
 public:
  using executor_type = asio::any_io_executor;

  /// A client owning a private io_context (for the sync forms).
  explicit client(net::endpoint ep, client_options opts = {});
  /// A client running on ex.
  client(asio::any_io_executor ex, net::endpoint ep, client_options opts = {});
  ~client();
  /// A copy is another handle to the same client: the same connections, negotiated
  /// version and executor (as a shared pointer would be). Operations in flight hold one.
  client(const client&);
  client& operator=(const client&);
  client(client&&) noexcept;
  client& operator=(client&&) noexcept;

  /// The client the Docker CLI would build from the environment: DOCKER_HOST (else the
  /// current Docker context, else unix:///var/run/docker.sock), DOCKER_TLS_VERIFY,
  /// DOCKER_CERT_PATH, DOCKER_API_VERSION.
  static result<client> from_env(client_options opts = {});
  static result<client> from_env(asio::any_io_executor ex, client_options opts = {});

  executor_type get_executor() const;
  const net::endpoint& endpoint() const;
  /// The underlying HTTP client (for requests berth has no operation for).
  http::client& transport();

  /// Runs op. Completion: void(std::error_code, typename Op::result_type).
  /// Cancellation: terminal cancellation through the handler's slot stops the operation
  /// with berth::errc::cancelled; its connection is closed, the pool is untouched.
  /// opts.diag, when set, receives the daemon's status and message on failure.
  template <class Op, class CompletionToken>
  auto async_run(Op op, call_options opts, CompletionToken&& token) {
    using R = typename Op::result_type;
    return berth::detail::initiate<R>(
        get_executor(),
        [s = state_, op = std::move(op), opts]() mutable {
          // Found by argument-dependent lookup: each op header declares its overload
          // in berth::engine::detail.
          return execute(s, std::move(op), opts);
        },
        std::forward<CompletionToken>(token));
  }
  template <class Op, class CompletionToken>
  auto async_run(Op op, CompletionToken&& token) {
    return async_run(std::move(op), call_options{}, std::forward<CompletionToken>(token));
  }

  /// Runs op, blocking; on failure sets ec (and opts.diag) and returns a default value.
  template <class Op>
  typename Op::result_type run(Op op, std::error_code& ec, call_options opts = {}) {
    using R = typename Op::result_type;
    auto r = detail::transport_of(state_).run_sync<R>(
        [&](auto h) { async_run(std::move(op), opts, std::move(h)); });
    return value_or_set(std::move(r), ec);
  }

  /// Runs op, blocking; throws berth::error (with the daemon's diagnostics) on failure.
  template <class Op>
  typename Op::result_type run(Op op, call_options opts = {}) {
    berth::diagnostics local;
    if (!opts.diag) opts.diag = &local;
    std::error_code ec;
    auto v = run(std::move(op), ec, opts);
    if (ec) throw berth::error(ec, *opts.diag);
    return v;
  }

  /// The negotiated API version (negotiating now if needed).
  /// Completion: void(std::error_code, api_version).
  template <class CompletionToken>
  auto async_api_version(CompletionToken&& token) {
    return berth::detail::initiate<api_version>(
        get_executor(), [s = state_] { return detail::negotiate(s, {}); },
        std::forward<CompletionToken>(token));
  }
  /// Blocking; on failure sets ec (and opts.diag: the ping's failure, or the daemon's
  /// version when it is older than min_api_version).
  api_version negotiated_version(std::error_code& ec, call_options opts = {});
  /// Blocking; throws berth::error with the daemon's words on failure.
  api_version negotiated_version(call_options opts = {});

 private:
  std::shared_ptr<detail::state> state_;
};

}  // namespace berth::engine
