#include "berth/core/offload.hpp"

namespace berth::detail {

asio::thread_pool& worker_pool() {
  static asio::thread_pool pool(2);
  return pool;
}

}  // namespace berth::detail
