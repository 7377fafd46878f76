#include "berth/core/offload.hpp"

#include <atomic>

namespace berth::detail {

namespace {

std::atomic<bool> pool_alive{false};

struct pool_holder {
  asio::thread_pool pool{4};
  pool_holder() { pool_alive.store(true); }
  ~pool_holder() {
    pool_alive.store(false);
    pool.join();  // at exit: the work already given finishes first
  }
};

}  // namespace

asio::thread_pool& worker_pool() {
  static pool_holder holder;
  return holder.pool;
}

void run_on_workers(std::function<void()> f) {
  if (pool_alive.load()) {
    asio::post(worker_pool(), std::move(f));
  } else {
    f();  // no pool (not started, or gone at exit): here and now
  }
}

}  // namespace berth::detail
