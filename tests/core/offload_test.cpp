// detail::offload: blocking work runs on a worker thread, never on the event loop, and the
// coroutine resumes on its own executor with the result (or the exception).
#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <stdexcept>
#include <string>
#include <thread>

#include "berth/core/offload.hpp"

TEST_CASE("offload runs off the event loop and resumes on it") {
  asio::io_context ioc;
  std::thread::id loop_thread, work_thread, resumed_thread;
  std::string value;
  auto body = [&]() -> asio::awaitable<void> {
    loop_thread = std::this_thread::get_id();
    auto job = [&] {
      work_thread = std::this_thread::get_id();
      return std::string("read from a file");
    };
    value = co_await berth::detail::offload(job);
    resumed_thread = std::this_thread::get_id();
  };
  auto done = asio::co_spawn(ioc, body(), asio::use_future);
  ioc.run();
  done.get();
  CHECK(value == "read from a file");
  CHECK(work_thread != loop_thread);
  CHECK(resumed_thread == loop_thread);
}

TEST_CASE("an exception in the offloaded work is rethrown in the coroutine") {
  asio::io_context ioc;
  bool caught = false;
  auto body = [&]() -> asio::awaitable<void> {
    auto job = []() -> int { throw std::runtime_error("disk on fire"); };
    try {
      co_await berth::detail::offload(job);
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "disk on fire";
    }
  };
  asio::co_spawn(ioc, body(), asio::detached);
  ioc.run();
  CHECK(caught);
}

TEST_CASE("void work") {
  asio::io_context ioc;
  int ran = 0;
  auto body = [&]() -> asio::awaitable<void> {
    auto job = [&] { ++ran; };
    co_await berth::detail::offload(job);
    co_await berth::detail::offload(job);
  };
  asio::co_spawn(ioc, body(), asio::detached);
  ioc.run();
  CHECK(ran == 2);
}
