// One client, many threads, against the real dockerd: the sync forms of one client are
// called concurrently (a wait in one thread, a read of the container's output in a second,
// a stdin write in a third) and all progress; a sync call from a thread that runs the
// client's own operations fails at once with would_deadlock.
//
// Every blocking part runs under a watchdog: a hang fails the test with a message and
// ends the process (a deadlock cannot be unwound from inside), instead of waiting for
// meson's timeout.
#include <doctest/doctest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "berth/engine/engine.hpp"
#include "support/engine_fixtures.hpp"

using namespace berth;
namespace op = engine::op;

namespace {

/// Ends the process with a message when the scope is not left within limit.
class watchdog {
 public:
  watchdog(const char* what, std::chrono::seconds limit) : what_(what) {
    thread_ = std::thread([this, limit] {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
        std::fprintf(stderr, "FAIL: %s did not finish within %llds: a deadlock\n", what_,
                     static_cast<long long>(limit.count()));
        std::fflush(stderr);
        std::_Exit(1);
      }
    });
  }
  ~watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  const char* what_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

constexpr std::size_t ten_mib = 10u << 20;

}  // namespace

TEST_CASE("a wait in one thread and a read of 10 MiB of output in another both finish") {
  auto c = engine::client::from_env().value();  // owns its io_context
  auto create = test::container_spec("threads-wait-read",
                                     {"sh", "-c", "head -c 10485760 /dev/zero; echo done >&2"});
  create.body.attach_stdout = true;
  create.body.attach_stderr = true;
  auto created = c.run(create);
  test::scoped_container guard(created.id);
  auto out = c.run(op::container_attach{.id = guard.id(), .tty = false});
  c.run(op::container_start{.id = guard.id()});

  watchdog dog("container_wait beside a 10 MiB read", std::chrono::seconds(120));
  // The wait starts first and blocks while the container cannot exit: its stdout pipe
  // fills unless the reader progresses.
  std::promise<std::int64_t> waited;
  std::thread waiter([&] {
    try {
      waited.set_value(c.run(op::container_wait{.id = guard.id()}).status_code);
    } catch (...) {
      waited.set_exception(std::current_exception());
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::size_t stdout_bytes = 0;
  std::string err;
  std::vector<char> buf(64 * 1024);
  std::error_code ec;
  for (;;) {
    auto chunk = out.read(asio::buffer(buf), ec);
    if (ec) break;
    if (chunk.stream == engine::stream_id::stdout_stream)
      stdout_bytes += chunk.size;
    else
      err.append(buf.data(), chunk.size);
  }
  waiter.join();
  CHECK(ec == asio::error::eof);
  CHECK(stdout_bytes == ten_mib);
  CHECK(err == "done\n");
  CHECK(waited.get_future().get() == 0);
}

TEST_CASE("stdin written in a third thread while one thread reads and another waits") {
  auto c = test::docker();
  auto create = test::container_spec("threads-stdin", {"sh", "-c", "cat; echo eof >&2"});
  create.body.attach_stdin = true;
  create.body.open_stdin = true;
  create.body.stdin_once = true;
  create.body.attach_stdout = true;
  create.body.attach_stderr = true;
  auto created = c.run(create);
  test::scoped_container guard(created.id);
  auto io = c.run(op::container_attach{.id = guard.id(), .stdin_ = true, .tty = false});
  c.run(op::container_start{.id = guard.id()});

  watchdog dog("stdin writer, output reader and waiter on one client", std::chrono::seconds(120));
  constexpr std::size_t total = 4u << 20;
  std::promise<std::int64_t> waited;
  std::thread waiter([&] {
    try {
      waited.set_value(c.run(op::container_wait{.id = guard.id()}).status_code);
    } catch (...) {
      waited.set_exception(std::current_exception());
    }
  });
  std::error_code write_ec;
  std::thread writer([&] {
    std::vector<char> block(32 * 1024);
    for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>('a' + i % 26);
    for (std::size_t sent = 0; sent < total && !write_ec; sent += block.size())
      io.write(asio::buffer(block), write_ec);
    if (!write_ec) io.close_stdin(write_ec);
  });
  std::size_t echoed = 0;
  std::string err;
  std::vector<char> buf(64 * 1024);
  std::error_code ec;
  bool pattern_ok = true;
  for (;;) {
    auto chunk = io.read(asio::buffer(buf), ec);
    if (ec) break;
    if (chunk.stream == engine::stream_id::stdout_stream) {
      for (std::size_t i = 0; i < chunk.size; ++i)
        pattern_ok &= buf[i] == static_cast<char>('a' + (echoed + i) % (32 * 1024) % 26);
      echoed += chunk.size;
    } else {
      err.append(buf.data(), chunk.size);
    }
  }
  writer.join();
  waiter.join();
  CHECK(!write_ec);
  CHECK(ec == asio::error::eof);
  CHECK(echoed == total);
  CHECK(pattern_ok);
  CHECK(err == "eof\n");
  CHECK(waited.get_future().get() == 0);
}

TEST_CASE("many threads share one client's sync forms") {
  auto c = test::docker();
  watchdog dog("8 threads x 50 sync requests on one client", std::chrono::seconds(120));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  std::mutex errors_mu;
  std::vector<std::string> errors;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::error_code ec;
        if (t % 2 == 0) {
          auto p = c.run(op::system_ping{}, ec);
          if (!ec && p.api.major == 1) ++ok;
        } else {
          auto v = c.run(op::system_version{}, ec);
          if (!ec && v.api_version) ++ok;
        }
        if (ec) {
          std::lock_guard<std::mutex> lock(errors_mu);
          errors.push_back(ec.message());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(errors.empty());
  CHECK(ok == 400);
}

TEST_CASE("a sync call inside a completion handler of the client's own io_context is would_deadlock") {
  auto c = test::docker();  // owns its io_context; completions run inside a sync caller
  std::error_code inner = make_error_code(errc::internal);
  bool handler_ran = false;
  c.async_run(op::system_ping{}, [&](std::error_code ec, engine::ping_result) {
    handler_ran = !ec;
    c.run(op::system_ping{}, inner);  // on the thread running the io_context
  });
  // Sync calls run the io_context, which completes the async ping above along the way.
  for (int i = 0; i < 50 && !handler_ran; ++i) c.run(op::system_version{});
  CHECK(handler_ran);
  CHECK(inner == errc::would_deadlock);
  // The client still works afterwards.
  CHECK(c.run(op::system_ping{}).api.major == 1);
}

TEST_CASE("on a caller's io_context: sync calls from other threads work, from its thread they are would_deadlock") {
  asio::io_context ioc;
  auto work = asio::make_work_guard(ioc);
  std::thread runner([&] { ioc.run(); });
  {
    engine::client c(ioc.get_executor(), test::docker_endpoint());
    watchdog dog("sync calls on a caller's io_context", std::chrono::seconds(60));
    // From this thread (not running ioc): the sync form waits for ioc's thread.
    CHECK(c.run(op::system_ping{}).api.major == 1);
    // From ioc's own thread, outside any of the client's operations: refused at once.
    std::promise<std::error_code> from_runner;
    asio::post(ioc, [&] {
      std::error_code ec;
      c.run(op::system_ping{}, ec);
      from_runner.set_value(ec);
    });
    CHECK(from_runner.get_future().get() == errc::would_deadlock);
  }
  work.reset();
  runner.join();
}
