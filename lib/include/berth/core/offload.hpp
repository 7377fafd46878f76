// Blocking work off the event loop, for layers built on this one: a coroutine that must
// read a file, walk a directory or wait for a child process awaits offload(f), which runs
// f on one of berth's worker threads and resumes the coroutine on its own executor with
// f's result. The event loop (the caller's, or a client's own io_context) never blocks.
//
// The workers (four threads) start on the first use and live until the process exits
// (joined then, after the work they were given); they run nothing but what berth hands
// them (offload, a containerd pull or import, the release of a gRPC channel) and touch no
// process-wide state. More work waits for a free worker.
#pragma once

#include <exception>
#include <functional>
#include <type_traits>
#include <utility>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include "berth/core/export.hpp"

namespace berth::detail {

/// berth's worker threads for blocking work (started on first use).
BERTH_API asio::thread_pool& worker_pool();

/// Runs f on a worker thread when the workers are running, else right here (before the
/// first use, or during static destruction at exit): for releases that must not block
/// the caller but must still happen.
BERTH_API void run_on_workers(std::function<void()> f);

/// Runs f() on a worker thread; the awaiting coroutine resumes on its own executor with
/// f's result (f's exception is rethrown there). f must not capture references to objects
/// that may go away while it runs: it is not cancelled.
template <class F>
asio::awaitable<std::invoke_result_t<F&>> offload(F f) {
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
        [](auto handler, F fn) {
          auto work = asio::make_work_guard(asio::get_associated_executor(handler));
          asio::post(worker_pool(), [fn = std::move(fn), handler = std::move(handler),
                                     work = std::move(work)]() mutable {
            std::exception_ptr ep;
            try {
              fn();
            } catch (...) {
              ep = std::current_exception();
            }
            auto ex = work.get_executor();
            asio::dispatch(ex, [h = std::move(handler), ep]() mutable { std::move(h)(ep); });
            work.reset();
          });
        },
        asio::use_awaitable, std::move(f));
  } else {
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
        [](auto handler, F fn) {
          auto work = asio::make_work_guard(asio::get_associated_executor(handler));
          asio::post(worker_pool(), [fn = std::move(fn), handler = std::move(handler),
                                     work = std::move(work)]() mutable {
            std::exception_ptr ep;
            R r{};
            try {
              r = fn();
            } catch (...) {
              ep = std::current_exception();
            }
            auto ex = work.get_executor();
            asio::dispatch(ex, [h = std::move(handler), ep, r = std::move(r)]() mutable {
              std::move(h)(ep, std::move(r));
            });
            work.reset();
          });
        },
        asio::use_awaitable, std::move(f));
  }
}

}  // namespace berth::detail
