// The clients of Apple's `container` services: apiserver_client for
// com.apple.container.apiserver (containers, processes, kernel, networks, volumes, plugins)
// and images_client for com.apple.container.core.container-core-images (images,
// snapshots, content), each running the ops of berth/apple/ops.hpp over a transport.
//
//   auto t = berth::apple::make_xpc_transport().value();        // macOS; tests use the fake
//   berth::apple::apiserver_client api(t);
//   auto info = api.run(berth::apple::op::ping{});               // throws berth::error
//   auto list = api.run(berth::apple::op::container_list{}, ec); // error_code
//   api.async_run(berth::apple::op::container_wait{"web", "web"}, token);  // callback,
//                                                                // use_future, use_awaitable
//
// (With GCC 12, build an op as a named local before `co_await api.async_run(...)`: GCC 12
// destroys a braced temporary of a co_await expression twice.)
//
// Completions run on the handler's associated executor, never inside the initiating call,
// whatever thread the transport replied on. Deadlines: call_options timeouts.total, else
// client_options::route_timeouts, else the route table's (route_info::default_timeout;
// containerStop adds its timeoutInSeconds; containerWait and the long image routes have
// none); they expire as berth::errc::timeout. They matter: a route the daemon does not
// know gets no reply at all, and a call without a deadline holds its client and transport
// until it completes or is cancelled.
// Terminal cancellation through the handler's slot completes with berth::errc::cancelled and
// cancels the call in the transport (the daemon may still carry it out). The daemon's
// in-band errors arrive as berth::apple::errc with its message in call_options::diag;
// transport and protocol failures as xpc_errc (a reply that does not decode is
// xpc_errc::bad_reply, the key and JSON path in diag).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "berth/apple/error.hpp"
#include "berth/apple/message.hpp"
#include "berth/apple/ops.hpp"
#include "berth/apple/transport.hpp"
#include "berth/core/async.hpp"
#include "berth/core/call_options.hpp"
#include "berth/core/error.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/core/sync.hpp"

namespace berth::apple {

/// Settings of a client.
struct client_options {
  /// Route name to deadline, overriding the route table (zero: none).
  std::map<std::string, std::chrono::milliseconds, std::less<>> route_timeouts{};
  /// After xpc_errc::connection_interrupted from the apiserver, a ping with this deadline
  /// tells "the route is unknown to this apiserver" (xpc_errc::no_reply: it answers) from
  /// "the apiserver is gone" (connection_interrupted stays).
  std::chrono::milliseconds probe_timeout{2000};
};

namespace detail {
struct client_state;
BERTH_API std::shared_ptr<client_state> make_client_state(service svc, std::shared_ptr<execution_host> host,
                                                          std::shared_ptr<transport> t, client_options o);
BERTH_API execution_host& host_of(const std::shared_ptr<client_state>& s) noexcept;

// One compiled body per op, found by argument-dependent lookup from basic_client::async_run.
#define BERTH_APPLE_DECLARE_EXECUTE(name)                                                      \
  BERTH_API asio::awaitable<result<op::name::result_type>> execute(std::shared_ptr<client_state> s, \
                                                                   op::name o, call_options opts);
BERTH_APPLE_APISERVER_OPS(BERTH_APPLE_DECLARE_EXECUTE)
BERTH_APPLE_IMAGES_OPS(BERTH_APPLE_DECLARE_EXECUTE)
#undef BERTH_APPLE_DECLARE_EXECUTE

/// A route berth does not model (the request carries its route key).
BERTH_API asio::awaitable<result<message>> execute_raw(std::shared_ptr<client_state> s, message request,
                                                       call_options opts);
}  // namespace detail

/// A client of one Mach service (S). Cheap to copy: copies share the transport and the
/// executor. Use apiserver_client and images_client.
template <service S>
class basic_client {
 public:
  using executor_type = asio::any_io_executor;

  /// A client owning a private io_context, run by its sync callers (execution_host).
  explicit basic_client(std::shared_ptr<transport> t, client_options o = {})
      : state_(detail::make_client_state(S, std::make_shared<execution_host>(), std::move(t), std::move(o))) {}
  /// A client whose operations run on ex (through a strand).
  basic_client(asio::any_io_executor ex, std::shared_ptr<transport> t, client_options o = {})
      : state_(detail::make_client_state(S, std::make_shared<execution_host>(std::move(ex)), std::move(t),
                                         std::move(o))) {}

  executor_type get_executor() const { return host().operation_executor(); }

  /// Runs op. Completion: void(std::error_code, typename Op::result_type).
  template <class Op, class CompletionToken>
    requires(Op::service_id == S)
  auto async_run(Op o, call_options opts, CompletionToken&& token) {
    using R = typename Op::result_type;
    return berth::detail::initiate<R>(
        get_executor(), [s = state_, o = std::move(o), opts]() mutable { return execute(s, std::move(o), opts); },
        std::forward<CompletionToken>(token));
  }
  template <class Op, class CompletionToken>
    requires(Op::service_id == S)
  auto async_run(Op o, CompletionToken&& token) {
    return async_run(std::move(o), call_options{}, std::forward<CompletionToken>(token));
  }

  /// Runs op, blocking; on failure sets ec (and opts.diag) and returns a default value.
  template <class Op>
    requires(Op::service_id == S)
  typename Op::result_type run(Op o, std::error_code& ec, call_options opts = {}) {
    using R = typename Op::result_type;
    auto r = host().template run<R>([&](auto h) { async_run(std::move(o), opts, std::move(h)); });
    return value_or_set(std::move(r), ec);
  }
  /// Runs op, blocking; throws berth::error (with the daemon's message) on failure.
  template <class Op>
    requires(Op::service_id == S)
  typename Op::result_type run(Op o, call_options opts = {}) {
    berth::diagnostics local;
    if (!opts.diag) opts.diag = &local;
    return berth::or_throw([&](std::error_code& ec) { return run(std::move(o), ec, opts); },
                           [&] { return *opts.diag; });
  }

  /// A route berth does not model: request carries its route key; the deadline is the route
  /// table's when the route is known, else 60 s. Completion: void(std::error_code, message),
  /// the reply after the error-key check (an in-band error completes with its errc).
  template <class CompletionToken>
  auto async_call(message request, call_options opts, CompletionToken&& token) {
    return berth::detail::initiate<message>(
        get_executor(),
        [s = state_, m = std::move(request), opts]() mutable { return detail::execute_raw(s, std::move(m), opts); },
        std::forward<CompletionToken>(token));
  }
  message call(message request, std::error_code& ec, call_options opts = {}) {
    auto r = host().template run<message>([&](auto h) { async_call(std::move(request), opts, std::move(h)); });
    return value_or_set(std::move(r), ec);
  }
  /// Throws berth::error on failure.
  message call(message request, call_options opts = {}) {
    berth::diagnostics local;
    if (!opts.diag) opts.diag = &local;
    return berth::or_throw([&](std::error_code& ec) { return call(std::move(request), ec, opts); },
                           [&] { return *opts.diag; });
  }

 private:
  execution_host& host() const { return detail::host_of(state_); }
  std::shared_ptr<detail::client_state> state_;
};

/// The client of com.apple.container.apiserver.
using apiserver_client = basic_client<service::apiserver>;
/// The client of com.apple.container.core.container-core-images.
using images_client = basic_client<service::images>;

}  // namespace berth::apple
