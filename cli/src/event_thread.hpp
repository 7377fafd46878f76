// What both backends run their client on: an io_context on a thread of its own (so that
// sync calls from main() and the callbacks of streams progress together), and the relay
// of the signals berth receives while a container runs in the foreground: SIGINT and
// SIGTERM go on to the container, SIGWINCH resizes its terminal.
#pragma once

#include <csignal>
#include <functional>
#include <memory>
#include <thread>

#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

namespace berth::cli {

class event_thread {
 public:
  event_thread() : work_(asio::make_work_guard(ioc_)) {}
  event_thread(const event_thread&) = delete;
  event_thread& operator=(const event_thread&) = delete;
  /// Stops relaying; the thread must have been stopped (stop()) by the owner first.
  ~event_thread() { stop(); }

  asio::io_context& context() noexcept { return ioc_; }
  asio::io_context::executor_type executor() noexcept { return ioc_.get_executor(); }
  /// Starts the thread (once the client that lives on the context exists).
  void start() {
    runner_ = std::thread([this] { ioc_.run(); });
  }
  /// Ends the relays, lets the context run out and joins the thread. Destroy the client
  /// that uses the context before.
  void stop() {
    signals_.reset();
    winch_.reset();
    work_.reset();
    ioc_.stop();
    if (runner_.joinable()) runner_.join();
  }
  /// Ends the relays only (before the client goes).
  void stop_relays() {
    signals_.reset();
    winch_.reset();
  }

  /// Calls on_signal(sig) for every SIGINT and SIGTERM berth receives from now on.
  void forward_signals(std::function<void(int)> on_signal) {
    signals_ = std::make_unique<asio::signal_set>(ioc_, SIGINT, SIGTERM);
    arm_signals(std::move(on_signal));
  }

  /// Calls on_resize() now and on every SIGWINCH from now on.
  void watch_size(std::function<void()> on_resize) {
    asio::dispatch(ioc_, on_resize);
    winch_ = std::make_unique<asio::signal_set>(ioc_, SIGWINCH);
    arm_winch(std::move(on_resize));
  }

 private:
  void arm_signals(std::function<void(int)> f) {
    signals_->async_wait([this, f = std::move(f)](std::error_code ec, int sig) mutable {
      if (ec) return;
      f(sig);
      arm_signals(std::move(f));
    });
  }
  void arm_winch(std::function<void()> f) {
    winch_->async_wait([this, f = std::move(f)](std::error_code ec, int) mutable {
      if (ec) return;
      f();
      arm_winch(std::move(f));
    });
  }

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread runner_;
  std::unique_ptr<asio::signal_set> signals_, winch_;
};

}  // namespace berth::cli
