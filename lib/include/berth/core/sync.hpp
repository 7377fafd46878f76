// How the sync forms of berth operations run the async ones.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>

#include <asio/any_io_executor.hpp>
#include <asio/dispatch.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>

#include "berth/core/result.hpp"

namespace berth {

/// Where a client and the streams it opens run.
///
/// Built without an executor, it owns a private io_context and the sync forms run it on
/// the calling thread until their operation completes (no extra thread, no hand-off).
/// Built on a caller's executor, async operations run there (serialised through a strand,
/// so one client may be shared by several threads) and the sync forms wait for them; a
/// sync call made on a thread that is running that strand fails with
/// berth::errc::would_deadlock instead of hanging.
class execution_host {
 public:
  using executor_type = asio::strand<asio::any_io_executor>;

  /// Owns a private io_context.
  execution_host();
  /// Runs on ex (through a strand).
  explicit execution_host(asio::any_io_executor ex);
  ~execution_host();

  execution_host(const execution_host&) = delete;
  execution_host& operator=(const execution_host&) = delete;

  executor_type get_executor() const noexcept { return strand_; }
  bool owns_context() const noexcept { return own_ != nullptr; }

  /// Runs an async operation to completion from a blocking caller.
  /// start(handler) must initiate the operation with handler as a plain callback taking
  /// (std::error_code, T) (or (std::error_code) for T = void).
  template <class T, class Start>
  result<T> run(Start&& start) {
    if (own_) {
      std::lock_guard<std::recursive_mutex> lock(sync_mu_);
      std::optional<result<T>> out;
      start(make_sink<T>(out));
      own_->restart();
      while (!out && own_->run_one() != 0) {
      }
      if (!out) return unexpected(errc::internal);
      return std::move(*out);
    }
    if (strand_.running_in_this_thread()) return unexpected(errc::would_deadlock);
    std::mutex m;
    std::condition_variable cv;
    std::optional<result<T>> out;
    start([&, sink = make_sink<T>(out)](auto&&... args) mutable {
      std::lock_guard<std::mutex> lock(m);
      sink(std::forward<decltype(args)>(args)...);
      cv.notify_one();
    });
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return out.has_value(); });
    return std::move(*out);
  }

  /// Runs f where it cannot race with the operations of this host: inline under the sync
  /// lock for an owned context, else dispatched to the strand.
  template <class F>
  void execute(F&& f) {
    if (own_) {
      std::lock_guard<std::recursive_mutex> lock(sync_mu_);
      std::forward<F>(f)();
    } else {
      asio::dispatch(strand_, std::forward<F>(f));
    }
  }

 private:
  template <class T>
  static auto make_sink(std::optional<result<T>>& out) {
    if constexpr (std::is_void_v<T>) {
      return [&out](std::error_code ec) {
        out.emplace(ec ? result<void>(unexpected(ec)) : result<void>());
      };
    } else {
      return [&out](std::error_code ec, T v) {
        if (ec)
          out.emplace(unexpected(ec));
        else
          out.emplace(std::move(v));
      };
    }
  }

  std::unique_ptr<asio::io_context> own_;
  executor_type strand_;
  std::recursive_mutex sync_mu_;
};

/// Returns the value of r, or sets ec and returns a default T.
template <class T>
T value_or_set(result<T>&& r, std::error_code& ec) {
  if (!r) {
    ec = r.error();
    if constexpr (!std::is_void_v<T>) return T{};
    else return;
  }
  ec.clear();
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

}  // namespace berth
