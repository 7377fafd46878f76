// The container operations against the real dockerd: every operation of
// berth/engine/op/containers.hpp, the fields the daemon must keep, output streams (attach,
// logs, TTY), archives streamed both ways, typed errors with the daemon's words,
// cancellation, and every completion-token flavour on a caller's io_context.
//
// Every container is labelled berth.test=<test> and force-deleted by a scoped_container,
// also when a check fails.
#include <doctest/doctest.h>

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include "berth/engine/client.hpp"
#include "berth/engine/json.hpp"
#include "berth/engine/op/containers.hpp"
#include "berth/engine/op/exec.hpp"
#include "support/daemons.hpp"
#include "support/engine_fixtures.hpp"
#include "support/fds.hpp"

using namespace berth;
using namespace std::chrono_literals;
namespace op = engine::op;
using test::scoped_container;

namespace {

constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

template <class T>
bool has(const std::optional<std::vector<T>>& v, const T& x) {
  return v && std::find(v->begin(), v->end(), x) != v->end();
}

/// A host directory removed with everything in it when the test ends.
struct temp_dir {
  std::filesystem::path path;
  explicit temp_dir(std::string_view stem)
      : path(std::filesystem::temp_directory_path() / test::unique_name(stem)) {
    std::filesystem::create_directories(path);
    std::filesystem::permissions(path, std::filesystem::perms::all);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// ---- tar, both ways ------------------------------------------------------------------

/// One 512-byte ustar header.
std::array<char, 512> tar_header(std::string_view name, std::uint64_t size, char type,
                                 unsigned mode) {
  std::array<char, 512> h{};
  REQUIRE(name.size() < 100);
  std::memcpy(h.data(), name.data(), name.size());
  auto octal = [&](std::size_t at, std::size_t len, unsigned long long v) {
    std::snprintf(h.data() + at, len, "%0*llo", static_cast<int>(len - 1), v);
  };
  octal(100, 8, mode);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, static_cast<unsigned long long>(std::time(nullptr)));
  h[156] = type;
  std::memcpy(h.data() + 257, "ustar", 6);
  std::memcpy(h.data() + 263, "00", 2);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (char ch : h) sum += static_cast<unsigned char>(ch);
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  h[155] = ' ';
  return h;
}

struct tar_entry {
  std::string name;
  std::uint64_t size = 0;
  char type = '0';
  unsigned mode = 0;
};

/// A streaming tar reader: fed any slices, it reports entries and their content as they
/// pass, holding nothing but one header (GNU long names and PAX paths understood).
class tar_reader {
 public:
  std::function<void(const tar_entry&)> on_entry = [](const tar_entry&) {};
  std::function<void(const tar_entry&, std::string_view)> on_data = [](const tar_entry&,
                                                                       std::string_view) {};

  void feed(std::string_view in) {
    while (!in.empty() && !ended_) {
      if (left_ > 0) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, in.size()));
        if (meta_) meta_text_.append(in.substr(0, n));
        else on_data(cur_, in.substr(0, n));
        left_ -= n;
        in.remove_prefix(n);
        if (left_ == 0 && meta_) end_meta();
        continue;
      }
      if (pad_ > 0) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(pad_, in.size()));
        pad_ -= n;
        in.remove_prefix(n);
        continue;
      }
      std::size_t n = std::min(in.size(), sizeof hdr_ - fill_);
      std::memcpy(hdr_ + fill_, in.data(), n);
      fill_ += n;
      in.remove_prefix(n);
      if (fill_ == sizeof hdr_) {
        fill_ = 0;
        header();
      }
    }
  }
  bool ended() const noexcept { return ended_; }
  std::size_t entries() const noexcept { return entries_; }

 private:
  static std::uint64_t octal(const char* p, std::size_t len) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < len && p[i]; ++i)
      if (p[i] >= '0' && p[i] <= '7') v = v * 8 + static_cast<std::uint64_t>(p[i] - '0');
    return v;
  }
  static std::string field(const char* p, std::size_t len) { return std::string(p, strnlen(p, len)); }

  void header() {
    if (std::all_of(hdr_, hdr_ + sizeof hdr_, [](char c) { return c == 0; })) {
      ended_ = true;
      return;
    }
    tar_entry e;
    e.name = field(hdr_, 100);
    if (std::memcmp(hdr_ + 257, "ustar", 5) == 0) {
      std::string prefix = field(hdr_ + 345, 155);
      if (!prefix.empty()) e.name = prefix + "/" + e.name;
    }
    e.mode = static_cast<unsigned>(octal(hdr_ + 100, 8));
    e.size = octal(hdr_ + 124, 12);
    e.type = hdr_[156] ? hdr_[156] : '0';
    left_ = e.size;
    pad_ = (512 - e.size % 512) % 512;
    meta_ = e.type == 'L' || e.type == 'x' || e.type == 'g';
    if (meta_) {
      meta_type_ = e.type;
      meta_text_.clear();
      if (left_ == 0) end_meta();
      return;
    }
    if (!next_name_.empty()) e.name = std::exchange(next_name_, {});
    cur_ = e;
    ++entries_;
    on_entry(cur_);
  }

  void end_meta() {
    meta_ = false;
    if (meta_type_ == 'L') {
      next_name_ = field(meta_text_.data(), meta_text_.size());
    } else if (meta_type_ == 'x') {
      // Records "<len> key=value\n".
      std::string_view t = meta_text_;
      while (!t.empty()) {
        auto sp = t.find(' ');
        if (sp == std::string_view::npos) break;
        std::size_t len = std::stoul(std::string(t.substr(0, sp)));
        if (len == 0 || len > t.size()) break;
        std::string_view rec = t.substr(sp + 1, len - sp - 2);
        if (rec.rfind("path=", 0) == 0) next_name_ = std::string(rec.substr(5));
        t.remove_prefix(len);
      }
    }
  }

  char hdr_[512];
  std::size_t fill_ = 0;
  std::uint64_t left_ = 0, pad_ = 0;
  bool meta_ = false;
  char meta_type_ = 0;
  std::string meta_text_, next_name_;
  tar_entry cur_;
  bool ended_ = false;
  std::size_t entries_ = 0;
};

/// Strips a leading "./" or "/".
std::string clean(std::string name) {
  if (name.rfind("./", 0) == 0) name.erase(0, 2);
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

/// Reads a body stream to its end through a tar_reader.
void read_tar(http::body_stream& body, tar_reader& tar) {
  std::vector<char> buf(64 * 1024);
  for (;;) {
    std::error_code ec;
    std::size_t n = body.read_some(asio::buffer(buf), ec);
    tar.feed(std::string_view(buf.data(), n));
    if (ec == asio::error::eof) break;
    REQUIRE_FALSE(ec);
  }
}

/// The output of a logs call, read to its end.
test::exec_output logs(engine::client& c, op::container_logs o) {
  auto s = c.run(std::move(o), call_options{.timeouts = {.idle = 20s}});
  return test::drain(s);
}

std::vector<std::string> lines(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto nl = s.find('\n');
    out.emplace_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Reads a TTY stream until `marker` has arrived; returns what came (bounded by the
/// stream's idle timeout).
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

TEST_CASE("create: the daemon keeps the Config and HostConfig it was given") {
  const char* test_name = "containers/create";
  auto c = test::docker();
  temp_dir host_dir("create-bind");
  {
    std::ofstream(host_dir.path / "hello") << "from the host\n";
  }
  std::string name = test::unique_name("create");
  char host_name_buf[256] = {};
  ::gethostname(host_name_buf, sizeof host_name_buf - 1);

  auto spec = test::container_spec(test_name, {"echo started; exec sleep 60"});
  spec.name = name;
  auto& b = spec.body;
  b.entrypoint = std::vector<std::string>{"sh", "-c"};
  b.env = std::vector<std::string>{"BERTH_A=1", "BERTH_B=two words"};
  b.working_dir = "/work/here";
  b.user = "1234:1234";
  (*b.labels)["berth.extra"] = "x";
  b.tty = true;
  b.open_stdin = true;
  b.stop_signal = "SIGUSR1";
  b.stop_timeout = 3;
  b.hostname = "berth-box";
  b.domainname = "example.test";
  b.healthcheck = engine::health_config{.test = std::vector<std::string>{"CMD", "true"},
                                        .interval = 300'000'000,
                                        .timeout = 2'000'000'000,
                                        .retries = 2,
                                        .start_period = 100'000'000};
  auto& h = *b.host_config;
  h.binds = std::vector<std::string>{host_dir.path.string() + ":/hostdir:ro"};
  engine::mount vol{.target = "/vol", .type = "volume"};
  vol.volume_options = engine::mount_volume_options{
      .no_copy = true, .labels = std::map<std::string, std::string>{{"berth.test", test_name}}};
  engine::mount tmp{.target = "/scratch", .type = "tmpfs"};
  tmp.tmpfs_options = engine::mount_tmpfs_options{.size_bytes = 8 << 20, .mode = 01777};
  engine::mount bind{.target = "/bindrw", .source = host_dir.path.string(), .type = "bind",
                     .read_only = false};
  bind.bind_options = engine::mount_bind_options{.propagation = "rprivate"};
  h.mounts = std::vector<engine::mount>{vol, tmp, bind};
  h.tmpfs = std::map<std::string, std::string>{{"/run/berth", "rw,size=1m"}};
  h.privileged = false;
  h.cap_add = std::vector<std::string>{"NET_ADMIN"};
  h.cap_drop = std::vector<std::string>{"MKNOD"};
  h.security_opt = std::vector<std::string>{"no-new-privileges"};
  h.ipc_mode = "private";
  h.restart_policy = engine::restart_policy{.name = "on-failure", .maximum_retry_count = 3};
  h.memory = 64 << 20;
  h.nano_cpus = 500'000'000;
  h.pids_limit = 64;
  h.ulimits = std::vector<engine::resources_ulimits_item>{{.name = "nofile", .soft = 1024, .hard = 2048}};
  h.init = true;
  h.runtime = "kata";
  h.extra_hosts = std::vector<std::string>{"berth.example:10.1.2.3"};
  h.dns = std::vector<std::string>{"10.0.0.53"};
  h.dns_search = std::vector<std::string>{"berth.test"};
  h.dns_options = std::vector<std::string>{"ndots:2"};

  auto created = c.run(spec);
  scoped_container ctr(created.id);
  CHECK(ctr.id().size() == 64);

  auto info = c.run(op::container_inspect{.id = ctr.id()});
  CHECK(info.id == ctr.id());
  CHECK(info.name == "/" + name);
  CHECK(info.path == "sh");
  CHECK(info.args == std::vector<std::string>{"-c", "echo started; exec sleep 60"});
  REQUIRE(info.state);
  CHECK(info.state->status == "created");
  REQUIRE(info.config);
  const auto& cfg = *info.config;
  CHECK(cfg.image == test::test_image());
  CHECK(cfg.entrypoint == std::vector<std::string>{"sh", "-c"});
  CHECK(cfg.cmd == std::vector<std::string>{"echo started; exec sleep 60"});
  CHECK(has(cfg.env, std::string("BERTH_A=1")));
  CHECK(has(cfg.env, std::string("BERTH_B=two words")));
  CHECK(cfg.working_dir == "/work/here");
  CHECK(cfg.user == "1234:1234");
  REQUIRE(cfg.labels);
  CHECK(cfg.labels->at("berth.test") == test_name);
  CHECK(cfg.labels->at("berth.extra") == "x");
  CHECK(cfg.tty == true);
  CHECK(cfg.open_stdin == true);
  CHECK(cfg.stop_signal == "SIGUSR1");
  CHECK(cfg.stop_timeout == 3);
  CHECK(cfg.hostname == "berth-box");
  CHECK(cfg.domainname == "example.test");
  REQUIRE(cfg.healthcheck);
  CHECK(cfg.healthcheck->test == std::vector<std::string>{"CMD", "true"});
  CHECK(cfg.healthcheck->interval == 300'000'000);
  CHECK(cfg.healthcheck->retries == 2);

  REQUIRE(info.host_config);
  const auto& hc = *info.host_config;
  CHECK(hc.binds == h.binds);
  REQUIRE(hc.mounts);
  REQUIRE(hc.mounts->size() == 3);
  CHECK((*hc.mounts)[0].type == "volume");
  REQUIRE((*hc.mounts)[0].volume_options);
  CHECK((*hc.mounts)[0].volume_options->no_copy == true);
  CHECK((*hc.mounts)[1].type == "tmpfs");
  REQUIRE((*hc.mounts)[1].tmpfs_options);
  CHECK((*hc.mounts)[1].tmpfs_options->size_bytes == 8 << 20);
  CHECK((*hc.mounts)[1].tmpfs_options->mode == 01777);
  CHECK((*hc.mounts)[2].type == "bind");
  CHECK((*hc.mounts)[2].source == host_dir.path.string());
  REQUIRE((*hc.mounts)[2].bind_options);
  CHECK((*hc.mounts)[2].bind_options->propagation == "rprivate");
  CHECK(hc.tmpfs == h.tmpfs);
  CHECK(hc.privileged == false);
  CHECK(hc.cap_add == h.cap_add);
  CHECK(hc.cap_drop == h.cap_drop);
  CHECK(hc.security_opt == h.security_opt);
  CHECK(hc.ipc_mode == "private");
  CHECK(hc.network_mode == "none");
  REQUIRE(hc.restart_policy);
  CHECK(hc.restart_policy->name == "on-failure");
  CHECK(hc.restart_policy->maximum_retry_count == 3);
  CHECK(hc.memory == 64 << 20);
  CHECK(hc.nano_cpus == 500'000'000);
  CHECK(hc.pids_limit == 64);
  REQUIRE(hc.ulimits);
  REQUIRE(hc.ulimits->size() == 1);
  CHECK((*hc.ulimits)[0].name == "nofile");
  CHECK((*hc.ulimits)[0].soft == 1024);
  CHECK((*hc.ulimits)[0].hard == 2048);
  CHECK(hc.init == true);
  CHECK(hc.runtime == "kata");
  CHECK(hc.extra_hosts == h.extra_hosts);
  CHECK(hc.dns == h.dns);
  CHECK(hc.dns_search == h.dns_search);
  CHECK(hc.dns_options == h.dns_options);

  // Started (on the "kata" runtime), the settings are in force inside.
  c.run(op::container_start{.id = ctr.id()});
  auto in = [&](std::string script) {
    auto r = test::exec(c, ctr.id(), {"sh", "-c", std::move(script)});
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    return r.out;
  };
  CHECK(in("id -u; id -g") == "1234\n1234\n");
  CHECK(in("pwd") == "/work/here\n");
  CHECK(contains(in("env"), "BERTH_B=two words\n"));
  CHECK(in("hostname") == "berth-box\n");
  CHECK(contains(in("cat /etc/hosts"), "10.1.2.3\tberth.example"));
  auto resolv = in("cat /etc/resolv.conf");
  CHECK(contains(resolv, "nameserver 10.0.0.53"));
  CHECK(contains(resolv, "search berth.test"));
  CHECK(contains(resolv, "ndots:2"));
  // The limits are the main process's (an exec'd process gets the hard limit as its soft one
  // on this daemon); busybox's ulimit ignores -S, /proc has both.
  CHECK(in("grep 'Max open files' /proc/1/limits | tr -s ' ' | cut -d' ' -f4,5") ==
        "1024 2048\n");
  CHECK(in("cat /hostdir/hello") == "from the host\n");
  CHECK(test::exec(c, ctr.id(), {"sh", "-c", "echo x > /hostdir/nope"}).exit_code != 0);
  CHECK(in("echo inside > /bindrw/from-container; echo ok") == "ok\n");
  {
    std::ifstream f(host_dir.path / "from-container");
    std::string got;
    std::getline(f, got);
    CHECK(got == "inside");
  }
  auto mounts = in("cat /proc/mounts");
  CHECK(contains(mounts, " /scratch tmpfs "));
  CHECK(contains(mounts, "size=8192k"));
  CHECK(contains(mounts, " /run/berth tmpfs "));
  CHECK(contains(mounts, " /vol "));
  CHECK(contains(mounts, " /hostdir "));
  auto status = in("cat /proc/self/status");
  CHECK(contains(status, "NoNewPrivs:\t1"));
  auto capbnd_at = status.find("CapBnd:\t");
  REQUIRE(capbnd_at != std::string::npos);
  auto capbnd = std::stoull(status.substr(capbnd_at + 8, 16), nullptr, 16);
  CHECK((capbnd >> 12 & 1) == 1);  // CAP_NET_ADMIN added
  CHECK((capbnd >> 27 & 1) == 0);  // CAP_MKNOD dropped
  CHECK(in("cat /sys/fs/cgroup/memory/memory.limit_in_bytes") == std::to_string(64 << 20) + "\n");
  CHECK(in("cat /sys/fs/cgroup/pids/pids.max") == "64\n");
  // docker-init is PID 1 and runs the entrypoint.
  CHECK(contains(in("cat /proc/1/cmdline"), "docker-init"));

  CHECK(test::eventually([&] {
    auto i = c.run(op::container_inspect{.id = ctr.id()});
    return i.state && i.state->health && i.state->health->status == "healthy";
  }));

  // Stop sends the configured SIGUSR1, which docker-init passes on: the process dies of
  // it at once (128 + 10) instead of being killed after the 3 s stop timeout.
  auto t0 = std::chrono::steady_clock::now();
  c.run(op::container_stop{.id = ctr.id()});
  CHECK(seconds_since(t0) < 2.5);
  auto stopped = c.run(op::container_inspect{.id = ctr.id()});
  CHECK(stopped.state->exit_code == 138);
  CHECK(stopped.state->running == false);
}

TEST_CASE("create: pid, ipc and uts namespace modes") {
  const char* test_name = "containers/namespaces";
  auto c = test::docker();
  auto a_spec = test::container_spec(test_name, {"sleep", "1001"});
  a_spec.body.host_config->ipc_mode = "shareable";
  auto a = test::create(c, a_spec);
  c.run(op::container_start{.id = a.id()});

  auto b_spec = test::container_spec(test_name, {"sleep", "1002"});
  b_spec.body.host_config->pid_mode = "container:" + a.id();
  b_spec.body.host_config->ipc_mode = "container:" + a.id();
  b_spec.body.host_config->uts_mode = "host";
  auto b = test::create(c, b_spec);
  c.run(op::container_start{.id = b.id()});

  auto info = c.run(op::container_inspect{.id = b.id()});
  REQUIRE(info.host_config);
  CHECK(info.host_config->pid_mode == "container:" + a.id());
  CHECK(info.host_config->ipc_mode == "container:" + a.id());
  CHECK(info.host_config->uts_mode == "host");

  // B sees A's process as its PID 1, shares its IPC namespace and has the host's name.
  auto pid1 = test::exec(c, b.id(), {"cat", "/proc/1/cmdline"});
  CHECK(pid1.out == std::string("sleep\0" "1001\0", 11));
  auto ipc_a = test::exec(c, a.id(), {"ls", "-l", "/proc/self/ns/ipc"}).out;
  auto ipc_b = test::exec(c, b.id(), {"ls", "-l", "/proc/self/ns/ipc"}).out;
  REQUIRE(ipc_a.find("ipc:[") != std::string::npos);
  CHECK(ipc_a.substr(ipc_a.find("ipc:[")) == ipc_b.substr(ipc_b.find("ipc:[")));
  char host_name[256] = {};
  ::gethostname(host_name, sizeof host_name - 1);
  CHECK(test::exec(c, b.id(), {"hostname"}).out == std::string(host_name) + "\n");
}

TEST_CASE("list: all, limit, size and filters by label, name and status") {
  const char* test_name = "containers/list";
  auto c = test::docker();
  std::string tag = test::unique_name("list");
  auto spec = [&](std::vector<std::string> cmd) {
    auto s = test::container_spec(test_name, std::move(cmd));
    (*s.body.labels)["berth.list"] = tag;
    return s;
  };
  auto exited = test::create(c, spec({"true"}));
  auto running_spec = spec({"sleep", "60"});
  running_spec.name = test::unique_name("list-running");
  auto running = test::create(c, running_spec);
  auto created = test::create(c, spec({"true"}));  // the most recent
  c.run(op::container_start{.id = exited.id()});
  c.run(op::container_wait{.id = exited.id()});
  c.run(op::container_start{.id = running.id()});

  engine::filters mine{{"label", {"berth.list=" + tag}}};
  auto ids = [](const std::vector<engine::container_summary>& v) {
    std::set<std::string> s;
    for (auto& x : v) s.insert(x.id.value_or(""));
    return s;
  };

  auto only_running = c.run(op::container_list{.filters = mine});
  REQUIRE(only_running.size() == 1);
  CHECK(only_running[0].id == running.id());
  CHECK(only_running[0].state == "running");
  CHECK(has(only_running[0].names, "/" + *running_spec.name));
  REQUIRE(only_running[0].labels);
  CHECK(only_running[0].labels->at("berth.test") == test_name);
  REQUIRE(only_running[0].host_config);
  CHECK(only_running[0].host_config->network_mode == "none");

  auto all = c.run(op::container_list{.all = true, .filters = mine});
  CHECK(ids(all) == std::set<std::string>{exited.id(), running.id(), created.id()});
  for (auto& x : all) {
    if (x.id == exited.id()) CHECK(x.state == "exited");
    if (x.id == created.id()) CHECK(x.state == "created");
    CHECK_FALSE(x.size_root_fs.has_value());
  }

  auto latest = c.run(op::container_list{.all = true, .limit = 1, .filters = mine});
  REQUIRE(latest.size() == 1);
  CHECK(latest[0].id == created.id());

  auto sized = c.run(op::container_list{.all = true, .size = true, .filters = mine});
  REQUIRE(sized.size() == 3);
  for (auto& x : sized) CHECK(x.size_root_fs.value_or(0) > 0);  // SizeRw is omitted when 0

  auto by_status = c.run(op::container_list{
      .all = true, .filters = {{"label", {"berth.list=" + tag}}, {"status", {"exited"}}}});
  REQUIRE(by_status.size() == 1);
  CHECK(by_status[0].id == exited.id());

  auto by_name = c.run(op::container_list{
      .all = true, .filters = {{"label", {"berth.list=" + tag}}, {"name", {*running_spec.name}}}});
  REQUIRE(by_name.size() == 1);
  CHECK(by_name[0].id == running.id());

  CHECK(c.run(op::container_list{.all = true, .filters = {{"label", {"berth.list=" + tag + "-none"}}}})
            .empty());
}

TEST_CASE("lifecycle: start, top, pause and unpause, restart and stop with grace, kill with a signal") {
  const char* test_name = "containers/lifecycle";
  auto c = test::docker();
  auto spec = test::container_spec(
      test_name, {"sh", "-c",
                  "trap 'echo got-usr1; exit 7' USR1; trap '' TERM; echo ready; "
                  "while :; do sleep 0.1; done"});
  spec.body.host_config->runtime = "runc";
  auto ctr = test::create(c, spec);
  auto ready_count = [&] {
    auto out = logs(c, op::container_logs{.id = ctr.id()}).out;
    std::size_t n = 0;
    for (auto& l : lines(out)) n += l == "ready";
    return n;
  };

  c.run(op::container_start{.id = ctr.id()});
  auto first = c.run(op::container_inspect{.id = ctr.id()});
  CHECK(first.state->running == true);
  CHECK(first.host_config->runtime == "runc");

  {
    // Starting a started container is not_modified.
    berth::diagnostics diag;
    std::error_code ec;
    c.run(op::container_start{.id = ctr.id()}, ec, {.diag = &diag});
    CHECK(ec == engine::error::not_modified);
    CHECK(engine::is_not_modified(ec));
    CHECK(diag.status == 304);
  }

  auto top = c.run(op::container_top{.id = ctr.id()});
  REQUIRE(top.titles);
  CHECK(has(top.titles, std::string("PID")));
  REQUIRE(top.processes);
  bool saw_loop = false;
  for (auto& p : *top.processes)
    for (auto& col : p) saw_loop = saw_loop || contains(col, "while :");
  CHECK(saw_loop);
  auto top_aux = c.run(op::container_top{.id = ctr.id(), .ps_args = "aux"});
  CHECK(has(top_aux.titles, std::string("%CPU")));

  c.run(op::container_pause{.id = ctr.id()});
  auto paused = c.run(op::container_inspect{.id = ctr.id()});
  CHECK(paused.state->paused == true);
  CHECK(paused.state->status == "paused");
  std::error_code ec;
  c.run(op::container_pause{.id = ctr.id()}, ec);
  CHECK(ec == engine::error::conflict);  // already paused
  c.run(op::container_unpause{.id = ctr.id()});
  auto unpaused = c.run(op::container_inspect{.id = ctr.id()});
  CHECK(unpaused.state->paused == false);
  CHECK(unpaused.state->status == "running");

  // TERM is ignored: restart and stop wait the grace period, then kill.
  REQUIRE(test::eventually([&] { return ready_count() == 1; }));
  auto t0 = std::chrono::steady_clock::now();
  c.run(op::container_restart{.id = ctr.id(), .timeout = 1});
  double restart_secs = seconds_since(t0);
  CHECK(restart_secs >= 0.9);
  CHECK(restart_secs < 10);
  auto restarted = c.run(op::container_inspect{.id = ctr.id()});
  CHECK(restarted.state->running == true);
  CHECK(restarted.state->started_at != first.state->started_at);
  REQUIRE(test::eventually([&] { return ready_count() == 2; }));

  t0 = std::chrono::steady_clock::now();
  c.run(op::container_stop{.id = ctr.id(), .timeout = 1});
  double stop_secs = seconds_since(t0);
  CHECK(stop_secs >= 0.9);
  CHECK(stop_secs < 10);
  auto stopped = c.run(op::container_inspect{.id = ctr.id()});
  CHECK(stopped.state->running == false);
  CHECK(stopped.state->exit_code == 137);

  c.run(op::container_stop{.id = ctr.id(), .timeout = 1}, ec);
  CHECK(ec == engine::error::not_modified);
  berth::diagnostics diag;
  c.run(op::container_kill{.id = ctr.id(), .signal = "SIGUSR1"}, ec, {.diag = &diag});
  CHECK(ec == engine::error::conflict);
  CHECK(diag.status == 409);
  CHECK(contains(diag.message, "is not running"));

  // The trapped USR1 ends the process with its own exit code.
  c.run(op::container_start{.id = ctr.id()});
  REQUIRE(test::eventually([&] { return ready_count() == 3; }));
  c.run(op::container_kill{.id = ctr.id(), .signal = "SIGUSR1"});
  auto waited = c.run(op::container_wait{.id = ctr.id()});
  CHECK(waited.status_code == 7);
  CHECK(contains(logs(c, op::container_logs{.id = ctr.id()}).out, "got-usr1\n"));
}

TEST_CASE("wait: not-running, next-exit and removed; exit codes 0, 1 and 137") {
  const char* test_name = "containers/wait";
  auto c = test::docker();

  SUBCASE("exit codes") {
    // A container's PID 1 cannot SIGKILL itself: with docker-init as PID 1 the shell can,
    // and init passes on 128 + 9.
    struct {
      std::vector<std::string> cmd;
      bool init;
      std::int64_t code;
    } cases[] = {{{"true"}, false, 0},
                 {{"false"}, false, 1},
                 {{"sh", "-c", "kill -9 $$; echo survived"}, true, 137}};
    for (auto& k : cases) {
      auto spec = test::container_spec(test_name, k.cmd);
      spec.body.host_config->init = k.init;
      auto ctr = test::create(c, spec);
      c.run(op::container_start{.id = ctr.id()});
      auto w = c.run(op::container_wait{.id = ctr.id(), .condition = "not-running"});
      CHECK(w.status_code == k.code);
      CHECK(c.run(op::container_inspect{.id = ctr.id()}).state->exit_code == k.code);
    }
    // A sleep killed from outside (SIGKILL by default).
    auto ctr = test::create(c, test::container_spec(test_name, {"sleep", "60"}));
    c.run(op::container_start{.id = ctr.id()});
    c.run(op::container_kill{.id = ctr.id()});
    CHECK(c.run(op::container_wait{.id = ctr.id()}).status_code == 137);
  }

  SUBCASE("not-running on a created container answers at once; next-exit waits for the exit") {
    auto ctr = test::create(c, test::container_spec(test_name, {"sh", "-c", "sleep 1; exit 3"}));
    auto t0 = std::chrono::steady_clock::now();
    auto now = c.run(op::container_wait{.id = ctr.id(), .condition = "not-running"});
    CHECK(now.status_code == 0);
    CHECK(seconds_since(t0) < 1.0);
    c.run(op::container_start{.id = ctr.id()});
    t0 = std::chrono::steady_clock::now();
    auto next = c.run(op::container_wait{.id = ctr.id(), .condition = "next-exit"});
    CHECK(next.status_code == 3);
    CHECK(seconds_since(t0) >= 0.5);
  }

  SUBCASE("removed: an auto-remove container") {
    auto spec = test::container_spec(test_name, {"sh", "-c", "sleep 0.5; exit 4"});
    spec.body.host_config->auto_remove = true;
    auto ctr = test::create(c, spec);
    CHECK(c.run(op::container_inspect{.id = ctr.id()}).host_config->auto_remove == true);
    c.run(op::container_start{.id = ctr.id()});
    auto w = c.run(op::container_wait{.id = ctr.id(), .condition = "removed"});
    CHECK(w.status_code == 4);
    std::error_code ec;
    c.run(op::container_inspect{.id = ctr.id()}, ec);
    CHECK(ec == engine::error::not_found);
    c.run(op::container_wait{.id = ctr.id()}, ec);
    CHECK(ec == engine::error::not_found);
    ctr.release();
  }
}

TEST_CASE("logs: follow to the end, since, until, tail, timestamps, stream selection") {
  const char* test_name = "containers/logs";
  auto c = test::docker();
  auto ctr = test::create(
      c, test::container_spec(test_name, {"sh", "-c",
                                          "echo early-err >&2; sleep 0.2; echo early; sleep 2; "
                                          "echo late; for i in 1 2 3; do echo tick $i; sleep 0.2; done"}));
  // The daemon runs on this host: its clock is ours.
  std::int64_t t0 = std::time(nullptr);
  c.run(op::container_start{.id = ctr.id()});

  // Follow from the start: the stream ends when the container exits.
  auto started = std::chrono::steady_clock::now();
  auto all = logs(c, op::container_logs{.id = ctr.id(), .follow = true});
  CHECK(seconds_since(started) >= 1.5);
  CHECK(all.out == "early\nlate\ntick 1\ntick 2\ntick 3\n");
  CHECK(all.err == "early-err\n");
  CHECK(c.run(op::container_inspect{.id = ctr.id()}).state->running == false);

  auto since = logs(c, op::container_logs{.id = ctr.id(), .since = t0 + 2});
  CHECK(since.out == "late\ntick 1\ntick 2\ntick 3\n");
  CHECK(since.err == "");
  auto until = logs(c, op::container_logs{.id = ctr.id(), .until = t0 + 2});
  CHECK(until.out == "early\n");
  CHECK(until.err == "early-err\n");
  CHECK(logs(c, op::container_logs{.id = ctr.id(), .tail = "2"}).out == "tick 2\ntick 3\n");
  auto stamped = logs(c, op::container_logs{.id = ctr.id(), .timestamps = true, .tail = "all"});
  auto stamped_lines = lines(stamped.out);
  REQUIRE(stamped_lines.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    const auto& l = stamped_lines[i];
    INFO(l);
    REQUIRE(l.size() > 31);
    CHECK(l[4] == '-');
    CHECK(l[10] == 'T');
    CHECK(contains(l, "Z "));
  }
  CHECK(contains(stamped_lines[0], "Z early"));
  auto only_out = logs(c, op::container_logs{.id = ctr.id(), .stderr_ = false});
  CHECK(only_out.out == all.out);
  CHECK(only_out.err.empty());
  auto only_err = logs(c, op::container_logs{.id = ctr.id(), .stdout_ = false});
  CHECK(only_err.out.empty());
  CHECK(only_err.err == "early-err\n");
}

TEST_CASE("logs: follow with tail and timestamps while the container runs") {
  const char* test_name = "containers/logs-follow";
  auto c = test::docker();
  auto ctr = test::create(
      c, test::container_spec(test_name, {"sh", "-c",
                                          "echo one; echo two; sleep 0.8; echo three; sleep 0.3"}));
  c.run(op::container_start{.id = ctr.id()});
  REQUIRE(test::eventually(
      [&] { return contains(logs(c, op::container_logs{.id = ctr.id()}).out, "two\n"); }));
  auto s = c.run(op::container_logs{.id = ctr.id(), .follow = true, .timestamps = true, .tail = "1"},
                 call_options{.timeouts = {.idle = 20s}});
  CHECK(s.multiplexed());
  auto got = test::drain(s);
  auto l = lines(got.out);
  REQUIRE(l.size() == 2);
  CHECK(contains(l[0], "Z two"));
  CHECK(contains(l[1], "Z three"));
}

TEST_CASE("changes and export") {
  const char* test_name = "containers/changes";
  auto c = test::docker();
  auto ctr = test::create(
      c, test::container_spec(test_name, {"sh", "-c",
                                          "touch /tmp/berth-new; rm /bin/yes; echo done; exec sleep 60"}));
  c.run(op::container_start{.id = ctr.id()});
  REQUIRE(test::eventually(
      [&] { return contains(logs(c, op::container_logs{.id = ctr.id()}).out, "done\n"); }));

  auto changes = c.run(op::container_changes{.id = ctr.id()});
  auto kind_of = [&](const std::string& path) -> std::int64_t {
    for (auto& ch : changes)
      if (ch.path == path) return ch.kind;
    return -2;
  };
  CHECK(kind_of("/tmp/berth-new") == 1);  // added
  CHECK(kind_of("/bin/yes") == 2);        // deleted
  CHECK(kind_of("/tmp") == 0);            // modified

  auto unchanged = test::create(c, test::container_spec(test_name, {"true"}));
  CHECK(c.run(op::container_changes{.id = unchanged.id()}).empty());

  auto body = c.run(op::container_export{.id = ctr.id()});
  CHECK(body.status() == 200);
  tar_reader tar;
  std::map<std::string, tar_entry> seen;
  std::uint64_t busybox_bytes = 0;
  bool busybox_elf = false;
  tar.on_entry = [&](const tar_entry& e) { seen[clean(e.name)] = e; };
  tar.on_data = [&](const tar_entry& e, std::string_view d) {
    if (clean(e.name) == "bin/busybox") {
      if (busybox_bytes == 0) busybox_elf = d.substr(0, 4) == "\x7f" "ELF";
      busybox_bytes += d.size();
    }
  };
  read_tar(body, tar);
  CHECK(tar.ended());
  REQUIRE(seen.count("bin/busybox") == 1);
  CHECK(seen["bin/busybox"].type == '0');
  CHECK(seen["bin/busybox"].size > 100'000);
  CHECK(busybox_bytes == seen["bin/busybox"].size);
  CHECK(busybox_elf);
  CHECK(seen.count("tmp/berth-new") == 1);
  CHECK(seen.count("bin/yes") == 0);
  CHECK(seen.count("bin/sh") == 1);
}

TEST_CASE("stats: one shot and streamed") {
  const char* test_name = "containers/stats";
  auto c = test::docker();
  auto ctr = test::create(c, test::container_spec(test_name, {"sleep", "60"}));
  c.run(op::container_start{.id = ctr.id()});

  auto one = c.run(op::container_stats{.id = ctr.id(), .one_shot = true});
  CHECK(one.id == ctr.id());
  REQUIRE(one.read);
  CHECK(one.read->size() > 10);
  REQUIRE(one.pids_stats);
  CHECK(one.pids_stats->current.value_or(0) >= 1);
  REQUIRE(one.memory_stats);
  CHECK(one.memory_stats->usage.value_or(0) > 0);
  REQUIRE(one.cpu_stats);
  CHECK(one.cpu_stats->cpu_usage.has_value());

  auto stream = c.run(op::container_stats_stream{.id = ctr.id()}, call_options{.timeouts = {.idle = 10s}});
  std::vector<engine::container_stats_response> samples;
  for (int i = 0; i < 2; ++i) {
    std::error_code ec;
    auto json = stream.next(ec);
    REQUIRE_FALSE(ec);
    auto s = engine::parse<engine::container_stats_response>(json);
    REQUIRE(s);
    samples.push_back(*s);
  }
  stream.close();
  CHECK(samples[0].id == ctr.id());
  CHECK(samples[1].id == ctr.id());
  CHECK(samples[0].read != samples[1].read);
  // The second sample's pre-CPU reading is the first sample's reading.
  CHECK(samples[1].preread == samples[0].read);
}

TEST_CASE("resize: the TTY of a running container takes the new size; TTY output is raw") {
  const char* test_name = "containers/resize";
  auto c = test::docker();
  auto spec = test::container_spec(
      test_name, {"sh", "-c",
                  "mkdir /tmp/w && cd /tmp/w && touch aaaa bbbb cccc dddd eeee ffff; "
                  "trap 'ls -C /tmp/w; echo END' WINCH; echo ready; while :; do sleep 0.1; done"});
  spec.body.tty = true;
  auto ctr = test::create(c, spec);

  std::error_code ec;
  berth::diagnostics diag;
  c.run(op::container_resize{.id = ctr.id(), .height = 30, .width = 100}, ec, {.diag = &diag});
  CHECK(ec == engine::error::conflict);
  CHECK(contains(diag.message, "is not running"));

  auto out = c.run(op::container_attach{.id = ctr.id()}, call_options{.timeouts = {.idle = 15s}});
  CHECK_FALSE(out.multiplexed());  // asked the daemon: the container has a TTY
  c.run(op::container_start{.id = ctr.id()});
  CHECK(read_until(out, "ready\r\n") == "ready\r\n");

  c.run(op::container_resize{.id = ctr.id(), .height = 24, .width = 12});
  auto narrow = read_until(out, "END\r\n");
  // One name a line, each line ended by \r\n (the TTY's translation).
  CHECK(narrow == "aaaa\r\nbbbb\r\ncccc\r\ndddd\r\neeee\r\nffff\r\nEND\r\n");

  c.run(op::container_resize{.id = ctr.id(), .height = 24, .width = 200});
  auto wide = read_until(out, "END\r\n");
  CHECK(contains(wide, "aaaa"));
  CHECK(contains(wide, "ffff\r\nEND\r\n"));
  CHECK(lines(wide).size() == 2);  // all names on one line, then END
}

TEST_CASE("attach: a TTY container's output is raw, without demultiplexing") {
  const char* test_name = "containers/attach-tty";
  auto c = test::docker();
  auto spec = test::container_spec(test_name, {"sh", "-c", "printf 'one\\ntwo\\n'; echo err >&2"});
  spec.body.tty = true;
  auto ctr = test::create(c, spec);
  auto out = c.run(op::container_attach{.id = ctr.id(), .tty = true});
  CHECK_FALSE(out.multiplexed());
  c.run(op::container_start{.id = ctr.id()});
  auto got = test::drain(out);
  CHECK(got.out == "one\r\ntwo\r\nerr\r\n");
  CHECK(got.err.empty());
  CHECK(c.run(op::container_wait{.id = ctr.id()}).status_code == 0);
}

TEST_CASE("attach: 100 MiB of binary output arrives byte-exact, stderr apart") {
  const char* test_name = "containers/attach-100m";
  auto c = test::docker();
  auto spec = test::container_spec(test_name, {"sh", "-c",
                                               "dd if=/dev/urandom of=/tmp/x bs=1048576 count=100 2>/dev/null && "
                                               "sha256sum /tmp/x >&2 && cat /tmp/x"});
  // Not logged: the json-file driver would bound the rate (about 17 MiB/s here), not berth.
  spec.body.host_config->log_config = engine::host_config_log_config{.type = "none"};
  auto ctr = test::create(c, spec);
  auto out = c.run(op::container_attach{.id = ctr.id()}, call_options{.timeouts = {.idle = 60s}});
  CHECK(out.multiplexed());
  CHECK_FALSE(out.writable());  // attached without stdin
  std::error_code write_ec;
  out.write(asio::buffer("x", 1), write_ec);
  CHECK(write_ec == berth::errc::unsupported);
  c.run(op::container_start{.id = ctr.id()});

  test::sha256 hash;
  std::uint64_t bytes = 0;
  std::string err;
  std::vector<char> buf(256 * 1024);
  std::chrono::steady_clock::time_point first_byte{};
  for (;;) {
    std::error_code ec;
    auto chunk = out.read(asio::buffer(buf), ec);
    if (ec == asio::error::eof) break;
    REQUIRE_FALSE(ec);
    if (chunk.stream == engine::stream_id::stderr_stream) {
      err.append(buf.data(), chunk.size);
    } else {
      if (bytes == 0) first_byte = std::chrono::steady_clock::now();
      hash.update(buf.data(), chunk.size);
      bytes += chunk.size;
    }
  }
  double secs = seconds_since(first_byte);
  CHECK(bytes == 100ull << 20);
  REQUIRE(err.size() == 64 + 9);
  CHECK(err.substr(64) == "  /tmp/x\n");
  CHECK(hash.hex() == err.substr(0, 64));
  CHECK(c.run(op::container_wait{.id = ctr.id()}).status_code == 0);
  std::fprintf(stderr, "[figures] attach: 100 MiB streamed in %.2f s (%.0f MiB/s)\n", secs,
               100 / secs);
}

TEST_CASE("attach: stdin round trip through cat, half-closed, with use_awaitable") {
  const char* test_name = "containers/attach-stdin";
  auto sync = test::docker();
  auto spec = test::container_spec(test_name, {"cat"});
  spec.body.open_stdin = true;
  spec.body.stdin_once = true;
  spec.body.attach_stdin = true;
  auto ctr = test::create(sync, spec);

  asio::io_context ioc;
  engine::client c(ioc.get_executor(), test::docker_endpoint());
  std::string data(4 << 20, '\0');
  REQUIRE(RAND_bytes(reinterpret_cast<unsigned char*>(data.data()), static_cast<int>(data.size())) == 1);
  std::string echoed;
  std::error_code end_ec;
  std::int64_t exit_code = -1;
  bool writable = false;
  engine::output_stream s;

  auto writer = [&]() -> asio::awaitable<void> {
    for (std::size_t at = 0; at < data.size(); at += 64 * 1024) {
      std::size_t n = std::min<std::size_t>(64 * 1024, data.size() - at);
      auto written = co_await s.async_write(asio::buffer(data.data() + at, n), asio::use_awaitable);
      CHECK(written == n);
    }
    co_await s.async_close_stdin(asio::use_awaitable);
  };
  std::exception_ptr failure;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        // Named operations: GCC 12 destroys an aggregate temporary inside a co_await
        // expression twice.
        op::container_attach attach{.id = ctr.id(), .stdin_ = true};
        s = co_await c.async_run(std::move(attach), asio::use_awaitable);
        writable = s.writable();
        op::container_start start{.id = ctr.id()};
        co_await c.async_run(std::move(start), asio::use_awaitable);
        asio::co_spawn(ioc, writer(), [&](std::exception_ptr e) {
          if (e) failure = e;
        });
        std::vector<char> buf(64 * 1024);
        for (;;) {
          auto [ec, chunk] = co_await s.async_read(asio::buffer(buf), tuple_awaitable);
          if (ec) {
            end_ec = ec;
            break;
          }
          CHECK(chunk.stream == engine::stream_id::stdout_stream);
          echoed.append(buf.data(), chunk.size);
        }
        op::container_wait wait{.id = ctr.id()};
        auto w = co_await c.async_run(std::move(wait), asio::use_awaitable);
        exit_code = w.status_code;
      },
      [&](std::exception_ptr e) {
        if (e) failure = e;
      });
  ioc.run();
  if (failure) std::rethrow_exception(failure);
  CHECK(writable);
  CHECK(end_ec == asio::error::eof);
  CHECK(echoed.size() == data.size());
  CHECK(echoed == data);
  CHECK(exit_code == 0);
}

TEST_CASE("archive: stat, get, and a streamed put of a 20 MiB tree, round trip") {
  const char* test_name = "containers/archive";
  auto c = test::docker();
  auto ctr = test::create(c, test::container_spec(test_name, {"sleep", "120"}));
  c.run(op::container_start{.id = ctr.id()});

  // Put: the tar is written as it is made, 64 KiB at a time; only the digest is kept.
  constexpr std::uint64_t big_size = 20ull << 20;
  const std::string small = "a small file\n";
  test::sha256 sent;
  auto t0 = std::chrono::steady_clock::now();
  {
    auto w = c.run(op::put_container_archive{.id = ctr.id(), .path = "/tmp"});
    CHECK(w.is_open());
    auto put = [&](const void* p, std::size_t n) {
      std::error_code ec;
      CHECK(w.write(asio::buffer(p, n), ec) == n);
      REQUIRE_FALSE(ec);
    };
    auto header = [&](std::string_view name, std::uint64_t size, char type, unsigned mode) {
      auto h = tar_header(name, size, type, mode);
      put(h.data(), h.size());
    };
    header("tree/", 0, '5', 0755);
    header("tree/small.txt", small.size(), '0', 0640);
    std::array<char, 512> pad{};
    put(small.data(), small.size());
    put(pad.data(), 512 - small.size());
    header("tree/sub/", 0, '5', 0750);
    header("tree/sub/big.bin", big_size, '0', 0600);
    std::vector<unsigned char> chunk(64 * 1024);
    for (std::uint64_t left = big_size; left > 0;) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), left));
      REQUIRE(RAND_bytes(chunk.data(), static_cast<int>(n)) == 1);
      sent.update(chunk.data(), n);
      put(chunk.data(), n);
      left -= n;
    }
    std::array<char, 1024> end{};
    put(end.data(), end.size());  // big_size is a multiple of 512: no padding
    berth::diagnostics diag;
    std::error_code fec;
    engine::finish_put_archive(w, fec, &diag);
    REQUIRE_MESSAGE(!fec, diag.message);
  }
  double put_secs = seconds_since(t0);
  std::string sent_hex = sent.hex();

  auto big = c.run(op::container_archive_info{.id = ctr.id(), .path = "/tmp/tree/sub/big.bin"});
  CHECK(big.name == "big.bin");
  CHECK(big.size == static_cast<std::int64_t>(big_size));
  CHECK((big.mode & 0777) == 0600);
  CHECK((big.mode & (1u << 31)) == 0);
  auto dir = c.run(op::container_archive_info{.id = ctr.id(), .path = "/tmp/tree"});
  CHECK(dir.name == "tree");
  CHECK((dir.mode & (1u << 31)) != 0);  // os.ModeDir
  CHECK((dir.mode & 0777) == 0755);

  auto sum = test::exec(c, ctr.id(), {"sha256sum", "/tmp/tree/sub/big.bin"});
  CHECK(sum.out.substr(0, 64) == sent_hex);
  CHECK(test::exec(c, ctr.id(), {"cat", "/tmp/tree/small.txt"}).out == small);

  // Get: the tree comes back as a tar, read as it streams.
  t0 = std::chrono::steady_clock::now();
  auto a = c.run(op::container_archive{.id = ctr.id(), .path = "/tmp/tree"});
  CHECK(a.stat.name == "tree");
  CHECK((a.stat.mode & (1u << 31)) != 0);
  tar_reader tar;
  std::map<std::string, tar_entry> seen;
  test::sha256 got;
  std::uint64_t got_bytes = 0;
  std::string got_small;
  tar.on_entry = [&](const tar_entry& e) { seen[clean(e.name)] = e; };
  tar.on_data = [&](const tar_entry& e, std::string_view d) {
    if (clean(e.name) == "tree/sub/big.bin") {
      got.update(d);
      got_bytes += d.size();
    } else if (clean(e.name) == "tree/small.txt") {
      got_small.append(d);
    }
  };
  read_tar(a.body, tar);
  double get_secs = seconds_since(t0);
  CHECK(tar.ended());
  CHECK(seen.count("tree/") + seen.count("tree") == 1);
  REQUIRE(seen.count("tree/sub/big.bin") == 1);
  CHECK(seen["tree/sub/big.bin"].size == big_size);
  CHECK((seen["tree/sub/big.bin"].mode & 0777) == 0600);
  CHECK(seen["tree/small.txt"].type == '0');
  CHECK(got_small == small);
  CHECK(got_bytes == big_size);
  CHECK(got.hex() == sent_hex);
  std::fprintf(stderr, "[figures] archive: 20 MiB put in %.2f s, got back in %.2f s\n", put_secs,
               get_secs);

  {
    // Missing paths are not_found, with the daemon's message for GET and PUT.
    std::error_code ec;
    c.run(op::container_archive_info{.id = ctr.id(), .path = "/no/such/path"}, ec);
    CHECK(ec == engine::error::not_found);
    berth::diagnostics diag;
    c.run(op::container_archive{.id = ctr.id(), .path = "/no/such/path"}, ec, {.diag = &diag});
    CHECK(ec == engine::error::not_found);
    CHECK(diag.status == 404);
    CHECK_FALSE(diag.message.empty());

    auto w = c.run(op::put_container_archive{.id = ctr.id(), .path = "/no/such/dir"});
    std::array<char, 1024> end{};
    w.write(asio::buffer(end), ec);
    engine::finish_put_archive(w, ec, &diag);
    CHECK(ec == engine::error::not_found);
    CHECK(diag.status == 404);
    CHECK_FALSE(diag.message.empty());
  }
}

TEST_CASE("delete: a running container needs force; volumes removes anonymous volumes") {
  const char* test_name = "containers/delete";
  auto c = test::docker();
  auto volume_status = [&](const std::string& name) {
    http::request r;
    r.target = "/v1.41/volumes/" + http::url_encode(name);
    return c.transport().perform(r).status;
  };
  auto spec = test::container_spec(test_name, {"sleep", "60"});
  spec.body.volumes = std::map<std::string, engine::empty_object>{{"/data", {}}};

  auto with_v = test::create(c, spec);
  auto keep_v = test::create(c, spec);
  c.run(op::container_start{.id = with_v.id()});
  auto volume_of = [&](const std::string& id) {
    auto info = c.run(op::container_inspect{.id = id});
    REQUIRE(info.mounts);
    REQUIRE(info.mounts->size() == 1);
    CHECK((*info.mounts)[0].destination == "/data");
    return (*info.mounts)[0].name.value_or("");
  };
  std::string v1 = volume_of(with_v.id()), v2 = volume_of(keep_v.id());
  REQUIRE(volume_status(v1) == 200);
  REQUIRE(volume_status(v2) == 200);
  struct volume_guard {
    engine::client& c;
    std::string name;
    ~volume_guard() {
      http::request r;
      r.method = "DELETE";
      r.target = "/v1.41/volumes/" + http::url_encode(name);
      std::error_code ec;
      c.transport().perform(r, {}, ec);
    }
  } g1{c, v1}, g2{c, v2};

  berth::diagnostics diag;
  std::error_code ec;
  c.run(op::container_delete{.id = with_v.id()}, ec, {.diag = &diag});
  CHECK(ec == engine::error::conflict);
  CHECK(engine::is_conflict(ec));
  CHECK(diag.status == 409);
  CHECK(contains(diag.message, "running"));

  c.run(op::container_delete{.id = with_v.id(), .volumes = true, .force = true});
  c.run(op::container_inspect{.id = with_v.id()}, ec);
  CHECK(ec == engine::error::not_found);
  CHECK(volume_status(v1) == 404);
  c.run(op::container_delete{.id = with_v.id(), .force = true}, ec, {.diag = &diag});
  CHECK(ec == engine::error::not_found);
  CHECK(contains(diag.message, "No such container"));
  with_v.release();

  c.run(op::container_delete{.id = keep_v.id()});
  keep_v.release();
  CHECK(volume_status(v2) == 200);  // not asked to go: stays
}

TEST_CASE("prune removes only the stopped containers the label filter selects") {
  const char* test_name = "containers/prune";
  auto c = test::docker();
  std::string tag = test::unique_name("prune");
  auto spec = [&](std::vector<std::string> cmd) {
    auto s = test::container_spec(test_name, std::move(cmd));
    (*s.body.labels)["berth.prune"] = tag;
    return s;
  };
  auto a = test::create(c, spec({"true"}));
  auto b = test::create(c, spec({"false"}));
  auto running = test::create(c, spec({"sleep", "60"}));
  auto other = test::create(c, test::container_spec(test_name, {"true"}));  // no berth.prune
  for (auto* x : {&a, &b, &other}) {
    c.run(op::container_start{.id = x->id()});
    c.run(op::container_wait{.id = x->id()});
  }
  c.run(op::container_start{.id = running.id()});

  auto pruned = c.run(op::container_prune{.filters = {{"label", {"berth.prune=" + tag}}}});
  REQUIRE(pruned.containers_deleted);
  CHECK(std::set<std::string>(pruned.containers_deleted->begin(), pruned.containers_deleted->end()) ==
        std::set<std::string>{a.id(), b.id()});
  CHECK(pruned.space_reclaimed.has_value());
  a.release();
  b.release();
  auto left = c.run(op::container_list{.all = true, .filters = {{"label", {"berth.prune=" + tag}}}});
  REQUIRE(left.size() == 1);
  CHECK(left[0].id == running.id());
  CHECK(c.run(op::container_inspect{.id = other.id()}).state->status == "exited");
}

TEST_CASE("update, rename, and typed errors carrying the daemon's message") {
  const char* test_name = "containers/update-rename";
  auto c = test::docker();
  auto spec = test::container_spec(test_name, {"sleep", "60"});
  std::string name = test::unique_name("rename-a"), renamed = test::unique_name("rename-b");
  spec.name = name;
  spec.body.host_config->memory = 64 << 20;
  spec.body.host_config->pids_limit = 64;
  auto ctr = test::create(c, spec);
  c.run(op::container_start{.id = ctr.id()});

  engine::container_update_body u;
  u.memory = 96 << 20;
  u.pids_limit = 100;
  u.restart_policy = engine::restart_policy{.name = "unless-stopped"};
  c.run(op::container_update{.id = ctr.id(), .body = u});
  auto info = c.run(op::container_inspect{.id = ctr.id()});
  CHECK(info.host_config->memory == 96 << 20);
  CHECK(info.host_config->pids_limit == 100);
  CHECK(info.host_config->restart_policy->name == "unless-stopped");
  auto limits = test::exec(c, ctr.id(), {"cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                         "/sys/fs/cgroup/pids/pids.max"});
  CHECK(limits.out == std::to_string(96 << 20) + "\n100\n");

  c.run(op::container_rename{.id = name, .name = renamed});
  CHECK(c.run(op::container_inspect{.id = renamed}).name == "/" + renamed);
  CHECK(c.run(op::container_inspect{.id = renamed}).id == ctr.id());

  // error_code form: the code, and the daemon's words in call_options.diag.
  berth::diagnostics diag;
  std::error_code ec;
  c.run(op::container_inspect{.id = name}, ec, {.diag = &diag});
  CHECK(ec == engine::error::not_found);
  CHECK(engine::is_not_found(ec));
  CHECK(diag.status == 404);
  CHECK(contains(diag.message, "No such container: " + name));

  auto dup = test::container_spec(test_name, {"true"});
  dup.name = renamed;
  c.run(dup, ec, {.diag = &diag});
  CHECK(ec == engine::error::name_in_use);
  CHECK(engine::is_conflict(ec));
  CHECK(diag.status == 409);
  CHECK(contains(diag.message, "is already in use"));

  auto other = test::create(c, test::container_spec(test_name, {"true"}));
  c.run(op::container_rename{.id = other.id(), .name = renamed}, ec, {.diag = &diag});
  CHECK(ec == engine::error::name_in_use);
  CHECK(contains(diag.message, "is already in use"));
  c.run(op::container_rename{.id = ctr.id(), .name = renamed}, ec, {.diag = &diag});
  CHECK(ec == engine::error::bad_parameter);  // its own name
  CHECK(diag.status == 400);

  // Throwing form: berth::error carries the same.
  try {
    c.run(dup);
    FAIL("a duplicate name was accepted");
  } catch (const berth::error& e) {
    CHECK(e.code() == engine::error::name_in_use);
    CHECK(e.details().status == 409);
    CHECK(contains(e.details().message, "is already in use"));
  }
  try {
    c.run(op::container_top{.id = name});
    FAIL("top of a missing container succeeded");
  } catch (const berth::error& e) {
    CHECK(e.code() == engine::error::not_found);
    CHECK(contains(e.details().message, "No such container"));
  }

  // Checked on this side, before anything is sent.
  c.run(op::container_stop{.id = ctr.id(), .signal = "SIGINT"}, ec, {.diag = &diag});
  CHECK(ec == engine::error::field_unsupported);
  CHECK(contains(diag.message, "1.42"));
  c.run(op::container_attach_websocket{.id = ctr.id()}, ec);
  CHECK(ec == berth::errc::unsupported);
  CHECK(c.run(op::container_inspect{.id = ctr.id()}).state->running == true);
}

TEST_CASE("cancelling a logs follow stream yields cancelled and returns the fds") {
  const char* test_name = "containers/cancel";
  auto sync = test::docker();
  auto ctr = test::create(sync, test::container_spec(test_name, {"sleep", "3600"}));
  sync.run(op::container_start{.id = ctr.id()});

  asio::io_context ioc;
  engine::client c(ioc.get_executor(), test::docker_endpoint());
  // Negotiate and leave one pooled connection (the logs op inspects the container).
  auto warm = c.async_run(op::container_inspect{.id = ctr.id()}, asio::use_future);
  ioc.run();
  REQUIRE(warm.get().id == ctr.id());
  auto before = test::open_fds();

  engine::output_stream logs_stream;
  std::error_code open_ec, read_ec;
  bool read_done = false;
  asio::cancellation_signal sig;
  asio::steady_timer timer(ioc);
  char buf[256];
  c.async_run(op::container_logs{.id = ctr.id(), .follow = true},
              [&](std::error_code ec, engine::output_stream s) {
                open_ec = ec;
                if (ec) return;
                logs_stream = std::move(s);
                logs_stream.async_read(
                    asio::buffer(buf),
                    asio::bind_cancellation_slot(sig.slot(), [&](std::error_code e, engine::output_chunk) {
                      read_ec = e;
                      read_done = true;
                    }));
                timer.expires_after(200ms);
                timer.async_wait([&](std::error_code) { sig.emit(asio::cancellation_type::terminal); });
              });
  auto t0 = std::chrono::steady_clock::now();
  ioc.restart();
  ioc.run();
  REQUIRE_FALSE(open_ec);
  CHECK(read_done);
  CHECK(read_ec == berth::errc::cancelled);
  CHECK(berth::is_cancelled(read_ec));
  CHECK(seconds_since(t0) < 5);
  CHECK_FALSE(logs_stream.is_open());
  logs_stream.close();
  ioc.restart();
  ioc.run();
  CHECK(test::open_fds() == before);
  // The client goes on working.
  auto after = c.async_run(op::container_inspect{.id = ctr.id()}, asio::use_future);
  ioc.restart();
  ioc.run();
  CHECK(after.get().state->running == true);
  CHECK(test::open_fds() == before);
}

TEST_CASE("async: callback, use_future and use_awaitable on a caller's io_context") {
  const char* test_name = "containers/async";
  asio::io_context ioc;
  engine::client c(ioc.get_executor(), test::docker_endpoint());
  scoped_container ctr;

  // Callback: completes on the io_context, never inside the initiating call.
  bool initiating = true, ran_inline = true;
  std::error_code create_ec;
  c.async_run(test::container_spec(test_name, {"sh", "-c", "echo out; echo err >&2; exit 5"}),
              [&](std::error_code ec, engine::container_create_response r) {
                create_ec = ec;
                ran_inline = initiating;
                if (!ec) ctr = scoped_container(r.id);
              });
  initiating = false;
  ioc.run();
  REQUIRE_FALSE(create_ec);
  CHECK_FALSE(ran_inline);
  REQUIRE_FALSE(ctr.id().empty());

  // A failing callback gets the code and, through call_options, the daemon's message.
  berth::diagnostics diag;
  std::error_code missing_ec;
  c.async_run(op::container_inspect{.id = "berth-no-such-container"}, call_options{.diag = &diag},
              [&](std::error_code ec, engine::container_inspect_response) { missing_ec = ec; });
  ioc.restart();
  ioc.run();
  CHECK(missing_ec == engine::error::not_found);
  CHECK(contains(diag.message, "No such container"));

  // use_awaitable: attach, start, stream, wait.
  test::exec_output got;
  std::int64_t code = -1;
  std::exception_ptr failure;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        // Named operations: GCC 12 destroys an aggregate temporary inside a co_await
        // expression twice.
        op::container_attach attach{.id = ctr.id()};
        auto s = co_await c.async_run(std::move(attach), asio::use_awaitable);
        op::container_start start{.id = ctr.id()};
        co_await c.async_run(std::move(start), asio::use_awaitable);
        char buf[1024];
        for (;;) {
          auto [ec, chunk] = co_await s.async_read(asio::buffer(buf), tuple_awaitable);
          if (ec) break;
          (chunk.stream == engine::stream_id::stderr_stream ? got.err : got.out).append(buf, chunk.size);
        }
        op::container_wait wait{.id = ctr.id()};
        auto w = co_await c.async_run(std::move(wait), asio::use_awaitable);
        code = w.status_code;
      },
      [&](std::exception_ptr e) { failure = e; });
  ioc.restart();
  ioc.run();
  if (failure) std::rethrow_exception(failure);
  CHECK(got.out == "out\n");
  CHECK(got.err == "err\n");
  CHECK(code == 5);

  // use_future, with the io_context run by another thread.
  ioc.restart();
  auto work = asio::make_work_guard(ioc);
  std::thread runner([&] { ioc.run(); });
  auto inspected = c.async_run(op::container_inspect{.id = ctr.id()}, asio::use_future);
  auto listed = c.async_run(
      op::container_list{.all = true, .filters = {{"id", {ctr.id()}}}}, asio::use_future);
  auto info = inspected.get();
  CHECK(info.state->exit_code == 5);
  auto list = listed.get();
  REQUIRE(list.size() == 1);
  CHECK(list[0].id == ctr.id());
  auto failed = c.async_run(op::container_start{.id = "berth-no-such-container"}, asio::use_future);
  CHECK_THROWS_AS(failed.get(), std::system_error);
  // The sync forms work from a thread that is not running the client's strand.
  c.run(op::container_delete{.id = ctr.id()});
  ctr.release();
  work.reset();
  runner.join();
}
