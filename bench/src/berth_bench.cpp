// berth-bench: one benchmark workload through the berth library, for bench/run.
//
//   berth-bench WORKLOAD N [ARG]
//
//   ping N            GET /_ping, N times in sequence (one keep-alive connection)
//   list N            GET /containers/json?all=1, N times in sequence
//   concurrent N      N pings, 64 in flight (async on one thread)
//   lifecycle N IMG   create / start / wait / remove of `true`, N in sequence
//   lifecycle8 N IMG  the same, 8 in flight
//   exec N ID         exec `true` in running container ID, N times
//   attach BYTES IMG  a container writing BYTES to stdout, read through attach
//   execout BYTES ID  an exec writing BYTES to stdout
//   logs BYTES ID     the logs of container ID (which wrote BYTES)
//
// containerd (when built with it; CONTAINERD_ADDRESS or BERTH_CONTAINERD_ADDRESS, namespace
// BERTH_BENCH_NAMESPACE, default berth-bench):
//   ctrd-stdout BYTES IMG  run a task writing BYTES to stdout (run to completion, as ctr run)
//   ctrd-pull 1 REF        pull REF (plain HTTP on loopback) and unpack it
//   ctrd-check 0           exits 0: the containerd workloads are there
//
// Stream workloads take BERTH_BENCH_RATE (bytes/s): the consumer then reads no faster.
// Prints the bytes or operations done on stdout; the harness measures time and rusage.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>

#include "berth/engine/engine.hpp"
#if BERTH_BENCH_CONTAINERD
#include "berth/containerd/containerd.hpp"
#endif

namespace {

using namespace berth;
namespace op = engine::op;

engine::client make_client() { return engine::client::from_env().value(); }

void lifecycle_once(engine::client& c, const std::string& image) {
  op::container_create cr;
  cr.body.image = image;
  cr.body.cmd = std::vector<std::string>{"true"};
  cr.body.labels = std::map<std::string, std::string>{{"berth.bench", "1"}};
  cr.body.host_config.emplace().network_mode = "none";
  auto id = c.run(cr).id;
  c.run(op::container_start{.id = id});
  c.run(op::container_wait{.id = id});
  c.run(op::container_delete{.id = id, .force = true});
}

/// Reads s to its end, no faster than rate bytes/s when rate > 0.
std::uint64_t drain(engine::output_stream& s, double rate) {
  std::vector<char> buf(64 * 1024);
  std::uint64_t total = 0;
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    std::error_code ec;
    auto chunk = s.read(asio::buffer(buf), ec);
    if (ec) break;
    total += chunk.size;
    if (rate > 0) {
      auto due = start + std::chrono::duration<double>(static_cast<double>(total) / rate);
      std::this_thread::sleep_until(std::chrono::time_point_cast<std::chrono::steady_clock::duration>(due));
    }
  }
  return total;
}

std::string head_cmd(std::uint64_t bytes) {
  return "head -c " + std::to_string(bytes) + " /dev/zero";
}

#if BERTH_BENCH_CONTAINERD
std::string env_or(const char* a, const char* b, const char* dflt) {
  if (const char* v = std::getenv(a); v && *v) return v;
  if (const char* v = std::getenv(b); v && *v) return v;
  return dflt;
}

containerd::client make_ctrd_client() {
  containerd::client_options o;
  o.address = env_or("BERTH_CONTAINERD_ADDRESS", "CONTAINERD_ADDRESS", "/run/containerd/containerd.sock");
  o.namespace_ = env_or("BERTH_BENCH_NAMESPACE", "BERTH_BENCH_NAMESPACE", "berth-bench");
  return containerd::client(o);
}

/// The containerd workloads; returns the exit code, or -1 for an unknown workload.
int run_containerd(const std::string& w, std::uint64_t n, const std::string& arg, double rate) {
  if (w == "ctrd-check") return 0;
  if (w == "ctrd-stdout") {
    auto c = make_ctrd_client();
    containerd::container_options o;
    o.id = "berth-bench-" + std::to_string(::getpid());
    o.image = arg;
    o.args = {"sh", "-c", head_cmd(n)};
    containerd::run_options ro;
    std::uint64_t got = 0;
    auto start = std::chrono::steady_clock::now();
    // The sink runs on the client's thread: while it sleeps nothing more is read, so a
    // slow consumer throttles the container through the pipe (memory stays flat).
    ro.on_output = [&](containerd::output, std::string_view d) {
      got += d.size();
      if (rate > 0) {
        auto due = start + std::chrono::duration<double>(static_cast<double>(got) / rate);
        std::this_thread::sleep_until(std::chrono::time_point_cast<std::chrono::steady_clock::duration>(due));
      }
    };
    std::error_code ec;
    auto r = c.run_container(o, ro, ec);
    if (ec) {
      std::fprintf(stderr, "berth-bench: run: %s\n", ec.message().c_str());
      return 1;
    }
    std::printf("%llu\n", static_cast<unsigned long long>(got));
    return got == n && r.exit_code == 0 ? 0 : 1;
  }
  if (w == "ctrd-pull") {
    auto c = make_ctrd_client();
    std::error_code ec;
    for (std::uint64_t i = 0; i < n; ++i) {
      auto img = c.pull(arg, {}, ec);
      if (ec) {
        std::fprintf(stderr, "berth-bench: pull %s: %s\n", arg.c_str(), ec.message().c_str());
        return 1;
      }
    }
    return 0;
  }
  return -1;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: berth-bench WORKLOAD N [ARG]\n");
    return 2;
  }
  std::string w = argv[1];
  std::uint64_t n = std::strtoull(argv[2], nullptr, 10);
  std::string arg = argc > 3 ? argv[3] : "";
  const char* rate_env = std::getenv("BERTH_BENCH_RATE");
  double rate = rate_env ? std::strtod(rate_env, nullptr) : 0;
  try {
#if BERTH_BENCH_CONTAINERD
    if (w.rfind("ctrd-", 0) == 0) {
      int code = run_containerd(w, n, arg, rate);
      if (code >= 0) return code;
    }
#endif
    if (w == "ping" || w == "list") {
      auto c = make_client();
      for (std::uint64_t i = 0; i < n; ++i) {
        if (w == "ping")
          c.run(op::system_ping{});
        else
          c.run(op::container_list{.all = true});
      }
    } else if (w == "concurrent") {
      asio::io_context ioc;
      engine::client c(ioc.get_executor(), net::endpoint_from_env().value(),
                       engine::client_options{.http = {.max_idle_connections = 64}});
      std::atomic<std::uint64_t> started{0}, failed{0};
      std::function<void()> next = [&] {
        if (started.fetch_add(1) >= n) return;
        c.async_run(op::system_ping{}, [&](std::error_code ec, engine::ping_result) {
          if (ec) ++failed;
          next();
        });
      };
      for (int i = 0; i < 64; ++i) next();
      ioc.run();
      if (failed) {
        std::fprintf(stderr, "berth-bench: %llu pings failed\n", static_cast<unsigned long long>(failed.load()));
        return 1;
      }
    } else if (w == "lifecycle") {
      auto c = make_client();
      for (std::uint64_t i = 0; i < n; ++i) lifecycle_once(c, arg);
    } else if (w == "lifecycle8") {
      // One client shared by 8 threads on one io_context thread (the client is thread-safe).
      asio::io_context ioc;
      auto guard = asio::make_work_guard(ioc);
      std::thread runner([&] { ioc.run(); });
      engine::client c(ioc.get_executor(), net::endpoint_from_env().value());
      std::atomic<std::uint64_t> next{0};
      std::atomic<bool> bad{false};
      std::vector<std::thread> workers;
      for (int t = 0; t < 8; ++t)
        workers.emplace_back([&] {
          try {
            while (next.fetch_add(1) < n) lifecycle_once(c, arg);
          } catch (const std::exception& e) {
            std::fprintf(stderr, "berth-bench: %s\n", e.what());
            bad = true;
          }
        });
      for (auto& t : workers) t.join();
      guard.reset();
      runner.join();
      if (bad) return 1;
    } else if (w == "exec") {
      auto c = make_client();
      for (std::uint64_t i = 0; i < n; ++i) {
        op::container_exec e{.id = arg};
        e.body.cmd = std::vector<std::string>{"true"};
        e.body.attach_stdout = true;
        e.body.attach_stderr = true;
        auto id = c.run(e).id;
        auto s = c.run(op::exec_start{.id = id});
        drain(s, 0);
        if (c.run(op::exec_inspect{.id = id}).exit_code.value_or(-1) != 0) {
          // The exit code is not always in yet right after the output ended.
          for (int k = 0; k < 100 && c.run(op::exec_inspect{.id = id}).running.value_or(false); ++k)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
    } else if (w == "attach") {
      auto c = make_client();
      op::container_create cr;
      cr.body.image = arg;
      cr.body.cmd = std::vector<std::string>{"sh", "-c", head_cmd(n)};
      cr.body.attach_stdout = true;
      cr.body.attach_stderr = true;
      cr.body.labels = std::map<std::string, std::string>{{"berth.bench", "1"}};
      cr.body.host_config.emplace().network_mode = "none";
      auto id = c.run(cr).id;
      auto s = c.run(op::container_attach{.id = id, .tty = false});
      c.run(op::container_start{.id = id});
      auto got = drain(s, rate);
      c.run(op::container_wait{.id = id});
      c.run(op::container_delete{.id = id, .force = true});
      std::printf("%llu\n", static_cast<unsigned long long>(got));
      if (got != n) return 1;
    } else if (w == "execout") {
      auto c = make_client();
      op::container_exec e{.id = arg};
      e.body.cmd = std::vector<std::string>{"sh", "-c", head_cmd(n)};
      e.body.attach_stdout = true;
      e.body.attach_stderr = true;
      auto id = c.run(e).id;
      auto s = c.run(op::exec_start{.id = id});
      auto got = drain(s, rate);
      std::printf("%llu\n", static_cast<unsigned long long>(got));
      if (got != n) return 1;
    } else if (w == "logs") {
      auto c = make_client();
      auto s = c.run(op::container_logs{.id = arg, .tty = false});
      auto got = drain(s, rate);
      std::printf("%llu\n", static_cast<unsigned long long>(got));
      if (got != n) return 1;
    } else {
      std::fprintf(stderr, "berth-bench: unknown workload %s\n", w.c_str());
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "berth-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
