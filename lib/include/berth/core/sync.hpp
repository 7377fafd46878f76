// How the sync forms of berth operations run the async ones, safely from any number of
// threads.
//
// Every client (and every stream it opens) has one execution_host. A sync call starts the
// async operation and waits for its completion:
//
// - A client that owns its io_context (built without an executor) runs it on the calling
//   threads themselves, leader/follower: one sync caller at a time runs the io_context
//   (the "runner") and dispatches every completion, its own and those of the other
//   callers; the others sleep until their result arrives or the runner role is free. A
//   single caller never hands off to another thread; several callers (a wait in one
//   thread, a read of the same container's output in a second, a stdin write in a third)
//   all progress, because whoever runs the io_context completes everyone's operations.
// - A client built on a caller's executor runs its operations there, serialised through a
//   strand (one client may be shared by several threads); sync calls wait for the
//   caller's threads to run them.
//
// A sync call made on a thread that is running the client's own operations (inside a
// completion handler on the owned io_context, on the strand, or on a thread of the
// io_context or thread pool behind the caller's executor) fails at once with
// berth::errc::would_deadlock instead of hanging.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

#include <asio/any_io_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>

#include "berth/core/error.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth {

/// Where a client and the streams it opens run (see the top of this header).
class BERTH_API execution_host {
 public:
  using executor_type = asio::strand<asio::any_io_executor>;

  /// Owns a private io_context, run by the sync callers themselves.
  execution_host();
  /// Runs on ex (through a strand).
  explicit execution_host(asio::any_io_executor ex);
  ~execution_host();

  execution_host(const execution_host&) = delete;
  execution_host& operator=(const execution_host&) = delete;

  /// The strand operations run on when the host was built on a caller's executor; for an
  /// owned io_context, a strand of it (operation_executor() is what operations use).
  executor_type get_executor() const noexcept { return strand_; }
  /// Where operations run: the owned io_context's executor (only one thread runs it at a
  /// time, so no strand is needed), or the strand on the caller's executor.
  asio::any_io_executor operation_executor() const noexcept;
  bool owns_context() const noexcept { return own_ != nullptr; }

  /// True when a sync call on this thread could never complete (see the top of this
  /// header); run() then fails with errc::would_deadlock.
  bool would_deadlock() const noexcept;

  /// Runs an async operation to completion from a blocking caller. start(handler) must
  /// initiate the operation with handler as a plain callback taking (std::error_code, T)
  /// (or (std::error_code) for T = void). Safe from any number of threads at once.
  template <class T, class Start>
  result<T> run(Start&& start) {
    if (would_deadlock()) return unexpected(errc::would_deadlock);
    completion<T> c;
    std::forward<Start>(start)(sink<T>{this, &c});
    if (!wait(c)) return unexpected(errc::internal);
    return std::move(*c.out);
  }

  /// Runs f where it cannot race with the operations of this host, without waiting for
  /// them: inline when no thread is running the owned io_context (or on the thread that
  /// is), else posted to it; dispatched to the strand on a caller's executor.
  template <class F>
  void execute(F&& f) {
    if (own_) {
      if (!try_run_inline(f)) asio::post(*own_, std::forward<F>(f));
    } else {
      asio::dispatch(strand_, std::forward<F>(f));
    }
  }

 private:
  struct BERTH_API waiter {
    std::atomic<bool> done{false};
  };
  template <class T>
  struct BERTH_API completion : waiter {
    std::optional<result<T>> out;
  };
  template <class T>
  struct BERTH_API sink {
    execution_host* host;
    completion<T>* c;
    template <class... V>
    void operator()(std::error_code ec, V&&... v) {
      if constexpr (std::is_void_v<T>) {
        c->out.emplace(ec ? result<void>(unexpected(ec)) : result<void>());
      } else if (ec) {
        c->out.emplace(unexpected(ec));
      } else {
        c->out.emplace(std::forward<V>(v)...);
      }
      host->finish(*c);
    }
  };

  /// Marks w done and wakes its waiter.
  void finish(waiter& w) noexcept;
  /// Blocks until w is done, running the owned io_context while no other thread does.
  /// False when the io_context ran out of work before w completed (a lost completion).
  bool wait(waiter& w);
  /// Takes the runner role if it is free (or already held by this thread) and runs f.
  template <class F>
  bool try_run_inline(F& f) {
    if (!acquire_runner_if_free()) return false;
    struct BERTH_API release {
      execution_host* h;
      bool owned;
      ~release() {
        if (owned) h->release_runner();
      }
    } r{this, !own_->get_executor().running_in_this_thread()};
    f();
    return true;
  }
  bool acquire_runner_if_free() noexcept;
  void release_runner() noexcept;

  std::unique_ptr<asio::io_context> own_;
  executor_type strand_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;  ///< A thread runs own_ (guarded by mu_).
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
