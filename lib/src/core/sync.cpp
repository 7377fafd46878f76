#include "berth/core/sync.hpp"

#include <asio/thread_pool.hpp>

namespace berth {

execution_host::execution_host()
    : own_(std::make_unique<asio::io_context>()),
      strand_(asio::make_strand(asio::any_io_executor(own_->get_executor()))) {}

execution_host::execution_host(asio::any_io_executor ex)
    : strand_(asio::make_strand(std::move(ex))) {}

execution_host::~execution_host() = default;

asio::any_io_executor execution_host::operation_executor() const noexcept {
  if (own_) return own_->get_executor();
  return strand_;
}

bool execution_host::would_deadlock() const noexcept {
  if (own_) return own_->get_executor().running_in_this_thread();
  if (strand_.running_in_this_thread()) return true;
  // A thread of the io_context or thread pool behind the caller's executor: waiting there
  // starves what would complete the call (with one thread, certainly).
  const auto& inner = strand_.get_inner_executor();
  if (auto* io = inner.target<asio::io_context::executor_type>()) return io->running_in_this_thread();
  if (auto* tp = inner.target<asio::thread_pool::executor_type>()) return tp->running_in_this_thread();
  return false;
}

void execution_host::finish(waiter& w) noexcept {
  {
    std::lock_guard<std::mutex> lock(mu_);
    w.done.store(true, std::memory_order_release);
  }
  cv_.notify_all();
}

bool execution_host::wait(waiter& w) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!own_) {
    cv_.wait(lock, [&] { return w.done.load(std::memory_order_acquire); });
    return true;
  }
  while (!w.done.load(std::memory_order_acquire)) {
    if (running_) {
      // Another caller runs the io_context: it completes this operation too, or hands the
      // runner role over when its own operation is done.
      cv_.wait(lock);
      continue;
    }
    running_ = true;
    lock.unlock();
    bool out_of_work = false;
    {
      struct release {
        execution_host* h;
        ~release() { h->release_runner(); }
      } r{this};
      own_->restart();
      while (!w.done.load(std::memory_order_acquire)) {
        if (own_->run_one() == 0) {
          out_of_work = true;
          break;
        }
      }
    }
    if (out_of_work && !w.done.load(std::memory_order_acquire)) return false;
    lock.lock();
  }
  return true;
}

bool execution_host::acquire_runner_if_free() noexcept {
  if (own_->get_executor().running_in_this_thread()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return false;
  running_ = true;
  return true;
}

void execution_host::release_runner() noexcept {
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
  }
  cv_.notify_all();
}

}  // namespace berth
