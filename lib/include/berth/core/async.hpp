// The bridge every berth async operation goes through.
//
// An operation's body is a coroutine compiled in a .cpp file that returns
// asio::awaitable<berth::result<T>>. The public template async_x(args..., token) calls
// berth::detail::initiate<T>(executor, make_body, token): the body is co_spawned on the
// object's executor, its result is delivered as handler(error_code, T) on the handler's
// associated executor (never inside the initiating call), and the handler's cancellation
// slot is connected to the body, so per-operation cancellation reaches every socket and
// timer operation the body awaits.
//
// Rule for bodies: take every argument by value; the coroutine outlives the call.
#pragma once

#include <exception>
#include <system_error>
#include <utility>

#include <asio/any_io_executor.hpp>
#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>

#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth {

namespace detail {

/// Maps an exception that escaped an operation body to an error_code.
BERTH_API std::error_code error_from_exception(std::exception_ptr ep) noexcept;

template <class T>
struct BERTH_API completion_signature {
  using type = void(std::error_code, T);
};
template <>
struct completion_signature<void> {
  using type = void(std::error_code);
};
template <class T>
using completion_signature_t = typename completion_signature<T>::type;

/// Adapts co_spawn's void(exception_ptr, result<T>) to void(error_code, T).
template <class T, class Handler>
struct BERTH_API result_bridge {
  Handler handler_;

  void operator()(std::exception_ptr ep, result<T> r) {
    if (ep) {
      std::move(handler_)(error_from_exception(ep), T{});
    } else if (!r) {
      std::move(handler_)(r.error(), T{});
    } else {
      std::move(handler_)(std::error_code{}, std::move(*r));
    }
  }
};

template <class Handler>
struct result_bridge<void, Handler> {
  Handler handler_;

  void operator()(std::exception_ptr ep, result<void> r) {
    if (ep) {
      std::move(handler_)(error_from_exception(ep));
    } else {
      std::move(handler_)(r.error());
    }
  }
};

/// Starts body() on ex and completes token with completion_signature_t<T>.
/// body is a nullary callable returning asio::awaitable<result<T>>; it is invoked only
/// when the operation is initiated (so deferred tokens stay lazy).
template <class T, class Body, class CompletionToken>
auto initiate(asio::any_io_executor ex, Body body, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, completion_signature_t<T>>(
      [ex = std::move(ex)](auto handler, Body b) mutable {
        using handler_t = decltype(handler);
        asio::co_spawn(ex, b(), result_bridge<T, handler_t>{std::move(handler)});
      },
      token, std::move(body));
}

}  // namespace detail
}  // namespace berth

/// \cond
// The bridge forwards the wrapped handler's associated executor, allocator and
// cancellation slot, so co_spawn completes on the caller's executor and cancellation
// reaches the body.
template <class T, class Handler, class Executor>
struct asio::associated_executor<berth::detail::result_bridge<T, Handler>, Executor> {
  using type = asio::associated_executor_t<Handler, Executor>;
  static type get(const berth::detail::result_bridge<T, Handler>& b,
                  const Executor& ex = Executor()) noexcept {
    return asio::get_associated_executor(b.handler_, ex);
  }
};

template <class T, class Handler, class Alloc>
struct asio::associated_allocator<berth::detail::result_bridge<T, Handler>, Alloc> {
  using type = asio::associated_allocator_t<Handler, Alloc>;
  static type get(const berth::detail::result_bridge<T, Handler>& b,
                  const Alloc& a = Alloc()) noexcept {
    return asio::get_associated_allocator(b.handler_, a);
  }
};

template <class T, class Handler, class Slot>
struct asio::associated_cancellation_slot<berth::detail::result_bridge<T, Handler>, Slot> {
  using type = asio::associated_cancellation_slot_t<Handler, Slot>;
  static type get(const berth::detail::result_bridge<T, Handler>& b,
                  const Slot& s = Slot()) noexcept {
    return asio::get_associated_cancellation_slot(b.handler_, s);
  }
};
/// \endcond
