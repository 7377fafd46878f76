// The exec operations against the real dockerd: output byte-exact at volume, stdout and
// stderr apart, TTY mode, stdin with half-close, exit codes, detached execs, resize,
// typed errors, a slow consumer's memory, and the completion-token flavours.
//
// Every container is labelled berth.test=<test> and force-deleted by a scoped_container.
#include <doctest/doctest.h>

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include "berth/engine/client.hpp"
#include "berth/engine/op/containers.hpp"
#include "berth/engine/op/exec.hpp"
#include "support/daemons.hpp"
#include "support/engine_fixtures.hpp"

using namespace berth;
using namespace std::chrono_literals;
namespace op = engine::op;
using test::scoped_container;

namespace {

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// A running container to exec in.
scoped_container running(engine::client& c, const char* test_name) {
  auto ctr = test::create(c, test::container_spec(test_name, {"sleep", "600"}));
  c.run(op::container_start{.id = ctr.id()});
  return ctr;
}

/// Creates an exec with stdout and stderr attached.
std::string make_exec(engine::client& c, const std::string& container, std::vector<std::string> cmd,
                      bool tty = false, bool stdin_ = false) {
  op::container_exec e{.id = container};
  e.body.cmd = std::move(cmd);
  e.body.attach_stdout = true;
  e.body.attach_stderr = true;
  e.body.tty = tty;
  if (stdin_) e.body.attach_stdin = true;
  return c.run(e).id;
}

std::string read_until(engine::output_stream& s, std::string_view marker) {
  std::string got;
  char buf[4096];
  while (!contains(got, marker)) {
    std::error_code ec;
    auto chunk = s.read(asio::buffer(buf), ec);
    REQUIRE_MESSAGE(!ec, "waiting for '" << marker << "', got '" << got << "': " << ec.message());
    got.append(buf, chunk.size);
  }
  return got;
}

}  // namespace

TEST_CASE("exec: 100 MiB of binary output arrives byte-exact, stderr apart") {
  auto c = test::docker();
  auto ctr = running(c, "exec/100m");
  auto id = make_exec(c, ctr.id(),
                      {"sh", "-c",
                       "dd if=/dev/urandom of=/tmp/x bs=1048576 count=100 2>/dev/null && "
                       "sha256sum /tmp/x >&2 && cat /tmp/x"});
  auto t0 = std::chrono::steady_clock::now();
  auto s = c.run(op::exec_start{.id = id}, call_options{.timeouts = {.idle = 60s}});
  CHECK(s.multiplexed());
  CHECK_FALSE(s.writable());

  test::sha256 hash;
  std::uint64_t bytes = 0;
  std::string err;
  std::vector<char> buf(256 * 1024);
  std::chrono::steady_clock::time_point first_byte{};
  std::size_t reads = 0;
  for (;;) {
    std::error_code ec;
    auto chunk = s.read(asio::buffer(buf), ec);
    if (ec == asio::error::eof) break;
    REQUIRE_FALSE(ec);
    ++reads;
    if (chunk.stream == engine::stream_id::stderr_stream) {
      err.append(buf.data(), chunk.size);
    } else {
      REQUIRE(chunk.stream == engine::stream_id::stdout_stream);
      if (bytes == 0) first_byte = std::chrono::steady_clock::now();
      hash.update(buf.data(), chunk.size);
      bytes += chunk.size;
    }
  }
  double total = seconds_since(t0), streaming = seconds_since(first_byte);
  CHECK(bytes == 100ull << 20);
  REQUIRE(err.size() == 64 + 9);
  CHECK(err.substr(64) == "  /tmp/x\n");
  CHECK(hash.hex() == err.substr(0, 64));
  auto info = c.run(op::exec_inspect{.id = id});
  CHECK(info.running == false);
  CHECK(info.exit_code == 0);
  CHECK(info.container_id == ctr.id());
  std::fprintf(stderr,
               "[figures] exec: 100 MiB streamed in %.2f s (%.0f MiB/s, %zu reads); %.2f s with dd\n",
               streaming, 100 / streaming, reads, total);
}

TEST_CASE("exec: TTY output is raw, without demultiplexing; exec_resize reaches the process") {
  auto c = test::docker();
  auto ctr = running(c, "exec/tty");

  auto id = make_exec(c, ctr.id(), {"sh", "-c", "printf 'a\\nb\\n'; echo e >&2"}, true);
  auto s = c.run(op::exec_start{.id = id, .tty = true});
  CHECK_FALSE(s.multiplexed());
  auto got = test::drain(s);
  CHECK(got.out == "a\r\nb\r\ne\r\n");
  CHECK(got.err.empty());
  auto info = c.run(op::exec_inspect{.id = id});
  CHECK(info.exit_code == 0);
  REQUIRE(info.process_config);
  CHECK(info.process_config->tty == true);

  // The process's terminal takes the new width (ls -C lays out its columns by it).
  auto loop = make_exec(c, ctr.id(),
                        {"sh", "-c",
                         "mkdir -p /tmp/w && cd /tmp/w && touch aaaa bbbb cccc dddd; "
                         "trap 'ls -C /tmp/w; echo END' WINCH; echo ready; while :; do sleep 0.1; done"},
                        true);
  auto tty = c.run(op::exec_start{.id = loop, .tty = true}, call_options{.timeouts = {.idle = 15s}});
  CHECK(read_until(tty, "ready\r\n") == "ready\r\n");
  c.run(op::exec_resize{.id = loop, .height = 20, .width = 10});
  CHECK(read_until(tty, "END\r\n") == "aaaa\r\nbbbb\r\ncccc\r\ndddd\r\nEND\r\n");
  c.run(op::exec_resize{.id = loop, .height = 20, .width = 120});
  auto wide = read_until(tty, "END\r\n");
  CHECK(contains(wide, "aaaa"));
  CHECK(contains(wide, "dddd\r\nEND\r\n"));
  CHECK(std::count(wide.begin(), wide.end(), '\n') == 2);
  CHECK(c.run(op::exec_inspect{.id = loop}).running == true);
  tty.close();
}

TEST_CASE("exec: stdin round trip through cat with close_stdin, use_future on a runner thread") {
  auto sync = test::docker();
  auto ctr = running(sync, "exec/stdin");

  asio::io_context ioc;
  auto work = asio::make_work_guard(ioc);
  std::thread runner([&] { ioc.run(); });
  engine::client c(ioc.get_executor(), test::docker_endpoint());

  std::string data(4 << 20, '\0');
  REQUIRE(RAND_bytes(reinterpret_cast<unsigned char*>(data.data()), static_cast<int>(data.size())) == 1);

  op::container_exec create{.id = ctr.id()};
  create.body.cmd = std::vector<std::string>{"sh", "-c", "cat; echo stdin-closed >&2; exit 5"};
  create.body.attach_stdin = true;
  create.body.attach_stdout = true;
  create.body.attach_stderr = true;
  auto id = c.async_run(create, asio::use_future).get().id;
  auto s = c.async_run(op::exec_start{.id = id, .stdin_ = true}, asio::use_future).get();
  CHECK(s.writable());
  CHECK(s.multiplexed());

  // One thread writes (use_future), this one reads (sync form): cat's output must be
  // drained while its input is still being written.
  std::exception_ptr writer_failure;
  std::thread writer([&] {
    try {
      for (std::size_t at = 0; at < data.size(); at += 64 * 1024) {
        std::size_t n = std::min<std::size_t>(64 * 1024, data.size() - at);
        s.async_write(asio::buffer(data.data() + at, n), asio::use_future).get();
      }
      s.async_close_stdin(asio::use_future).get();
    } catch (...) {
      writer_failure = std::current_exception();
    }
  });
  auto got = test::drain(s);
  writer.join();
  if (writer_failure) std::rethrow_exception(writer_failure);
  CHECK(got.out.size() == data.size());
  CHECK(got.out == data);
  CHECK(got.err == "stdin-closed\n");
  auto info = c.async_run(op::exec_inspect{.id = id}, asio::use_future).get();
  CHECK(info.exit_code == 5);
  CHECK(info.open_stdin == true);

  // The sync form too, with a small payload.
  auto small = make_exec(sync, ctr.id(), {"cat"}, false, true);
  auto t = sync.run(op::exec_start{.id = small, .stdin_ = true});
  std::error_code ec;
  CHECK(t.write(asio::buffer(std::string_view("hello\n")), ec) == 6);
  REQUIRE_FALSE(ec);
  t.close_stdin(ec);
  REQUIRE_FALSE(ec);
  CHECK(test::drain(t).out == "hello\n");
  CHECK(sync.run(op::exec_inspect{.id = small}).exit_code == 0);

  work.reset();
  runner.join();
}

TEST_CASE("exec: exit codes 0, 1 and 137; detached execs") {
  auto c = test::docker();
  auto ctr = running(c, "exec/exit");
  CHECK(test::exec(c, ctr.id(), {"true"}).exit_code == 0);
  CHECK(test::exec(c, ctr.id(), {"false"}).exit_code == 1);
  CHECK(test::exec(c, ctr.id(), {"sh", "-c", "kill -9 $$"}).exit_code == 137);
  CHECK(test::exec(c, ctr.id(), {"sh", "-c", "exit 42"}).exit_code == 42);

  // Detached: the process runs on its own; inspect follows it.
  op::container_exec e{.id = ctr.id()};
  e.body.cmd = std::vector<std::string>{"sleep", "31"};
  auto sleeper = c.run(e).id;
  auto before = c.run(op::exec_inspect{.id = sleeper});
  CHECK(before.running == false);
  CHECK_FALSE(before.exit_code.has_value());
  c.run(op::exec_start_detached{.id = sleeper});
  REQUIRE(test::eventually([&] { return c.run(op::exec_inspect{.id = sleeper}).running == true; }));
  auto during = c.run(op::exec_inspect{.id = sleeper});
  CHECK(during.pid.value_or(0) > 0);
  REQUIRE(during.process_config);
  CHECK(during.process_config->entrypoint == "sleep");
  CHECK(during.process_config->arguments == std::vector<std::string>{"31"});
  auto container = c.run(op::container_inspect{.id = ctr.id()});
  CHECK(std::find(container.exec_ids->begin(), container.exec_ids->end(), sleeper) !=
        container.exec_ids->end());

  // Kill the sleeper from another exec: it ends with 128 + 9.
  CHECK(test::exec(c, ctr.id(), {"kill", "-9", "-1"}).exit_code == 0);
  REQUIRE(test::eventually([&] { return c.run(op::exec_inspect{.id = sleeper}).running == false; }));
  CHECK(c.run(op::exec_inspect{.id = sleeper}).exit_code == 137);
  // The container's own process (PID 1) is untouched.
  CHECK(c.run(op::container_inspect{.id = ctr.id()}).state->running == true);
}

TEST_CASE("exec: env, working dir and user") {
  auto c = test::docker();
  auto ctr = running(c, "exec/config");
  op::container_exec e{.id = ctr.id()};
  e.body.cmd = std::vector<std::string>{"sh", "-c", "echo $BERTH_X; pwd; id -u; id -g"};
  e.body.env = std::vector<std::string>{"BERTH_X=forty two"};
  e.body.working_dir = "/tmp";
  e.body.user = "1234:5678";
  e.body.attach_stdout = true;
  e.body.attach_stderr = true;
  auto id = c.run(e).id;
  auto s = c.run(op::exec_start{.id = id});
  auto got = test::drain(s);
  CHECK(got.out == "forty two\n/tmp\n1234\n5678\n");
  CHECK(got.err.empty());
  auto info = c.run(op::exec_inspect{.id = id});
  REQUIRE(info.process_config);
  CHECK(info.process_config->user == "1234:5678");
  CHECK(info.exit_code == 0);
}

TEST_CASE("exec: errors are typed and carry the daemon's message") {
  auto c = test::docker();
  berth::diagnostics diag;
  std::error_code ec;

  auto stopped = test::create(c, test::container_spec("exec/errors", {"sleep", "60"}));
  op::container_exec e{.id = stopped.id()};
  e.body.cmd = std::vector<std::string>{"true"};
  c.run(e, ec, {.diag = &diag});
  CHECK(ec == engine::error::conflict);
  CHECK(diag.status == 409);
  CHECK(contains(diag.message, "is not running"));

  e.id = "berth-no-such-container";
  c.run(e, ec, {.diag = &diag});
  CHECK(ec == engine::error::not_found);
  CHECK(contains(diag.message, "No such container"));

  c.run(op::exec_inspect{.id = "berth-no-such-exec"}, ec, {.diag = &diag});
  CHECK(ec == engine::error::not_found);
  CHECK(diag.status == 404);
  CHECK(contains(diag.message, "No such exec instance"));
  c.run(op::exec_start{.id = "berth-no-such-exec"}, ec, {.diag = &diag});
  CHECK(ec == engine::error::not_found);
  CHECK(contains(diag.message, "No such exec instance"));
  c.run(op::exec_start{.id = "berth-no-such-exec", .stdin_ = true}, ec, {.diag = &diag});
  CHECK(ec == engine::error::not_found);
  CHECK(contains(diag.message, "No such exec instance"));
  c.run(op::exec_start_detached{.id = "berth-no-such-exec"}, ec);
  CHECK(ec == engine::error::not_found);
  c.run(op::exec_resize{.id = "berth-no-such-exec"}, ec);
  CHECK(ec == engine::error::not_found);

  try {
    c.run(op::exec_inspect{.id = "berth-no-such-exec"});
    FAIL("inspecting a missing exec succeeded");
  } catch (const berth::error& err) {
    CHECK(err.code() == engine::error::not_found);
    CHECK(err.details().status == 404);
    CHECK(contains(err.details().message, "No such exec instance"));
  }
}

TEST_CASE("exec: a consumer that reads slowly holds memory flat") {
  auto c = test::docker();
  auto ctr = running(c, "exec/slow-reader");
  constexpr std::uint64_t total = 50ull << 20;
  auto id = make_exec(c, ctr.id(), {"sh", "-c", "dd if=/dev/zero bs=1048576 count=50 2>/dev/null"});
  auto s = c.run(op::exec_start{.id = id}, call_options{.timeouts = {.idle = 30s}});
  long base = test::rss_kib();
  REQUIRE(base > 0);
  long peak = base;
  std::uint64_t bytes = 0, next_pause = 1 << 20;
  char buf[16 * 1024];
  auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    std::error_code ec;
    auto chunk = s.read(asio::buffer(buf), ec);
    if (ec == asio::error::eof) break;
    REQUIRE_FALSE(ec);
    CHECK(chunk.size <= sizeof buf);
    bytes += chunk.size;
    if (bytes >= next_pause) {
      next_pause += 1 << 20;
      peak = std::max(peak, test::rss_kib());
      std::this_thread::sleep_for(10ms);
    }
  }
  double secs = seconds_since(t0);
  CHECK(bytes == total);
  CHECK(peak - base < 16 * 1024);
  std::fprintf(stderr, "[figures] slow reader: 50 MiB in %.2f s, VmRSS %ld KiB -> peak %ld KiB (+%ld KiB)\n",
               secs, base, peak, peak - base);
}

TEST_CASE("exec: callback and use_awaitable on a caller's io_context") {
  auto sync = test::docker();
  auto ctr = running(sync, "exec/async");
  asio::io_context ioc;
  engine::client c(ioc.get_executor(), test::docker_endpoint());

  std::string exec_id;
  bool initiating = true, ran_inline = true;
  op::container_exec e{.id = ctr.id()};
  e.body.cmd = std::vector<std::string>{"sh", "-c", "echo to-out; echo to-err >&2; exit 3"};
  e.body.attach_stdout = true;
  e.body.attach_stderr = true;
  c.async_run(e, [&](std::error_code ec, engine::id_response r) {
    REQUIRE_FALSE(ec);
    ran_inline = initiating;
    exec_id = r.id;
  });
  initiating = false;
  ioc.run();
  CHECK_FALSE(ran_inline);
  REQUIRE_FALSE(exec_id.empty());

  test::exec_output got;
  std::exception_ptr failure;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        // Named operations: GCC 12 destroys an aggregate temporary inside a co_await
        // expression twice.
        op::exec_start start{.id = exec_id};
        auto s = co_await c.async_run(std::move(start), asio::use_awaitable);
        char buf[1024];
        for (;;) {
          auto [ec, chunk] = co_await s.async_read(
              asio::buffer(buf), asio::experimental::as_tuple(asio::use_awaitable));
          if (ec) {
            CHECK(ec == asio::error::eof);
            break;
          }
          (chunk.stream == engine::stream_id::stderr_stream ? got.err : got.out).append(buf, chunk.size);
        }
        op::exec_inspect inspect{.id = exec_id};
        auto info = co_await c.async_run(std::move(inspect), asio::use_awaitable);
        got.exit_code = info.exit_code.value_or(-1);
      },
      [&](std::exception_ptr ep) { failure = ep; });
  ioc.restart();
  ioc.run();
  if (failure) std::rethrow_exception(failure);
  CHECK(got.out == "to-out\n");
  CHECK(got.err == "to-err\n");
  CHECK(got.exit_code == 3);
}
