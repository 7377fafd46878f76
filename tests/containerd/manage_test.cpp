// Container management on the real containerd (berth/containerd/manage.hpp): stop with a
// grace period (a process that exits on SIGTERM, and one that ignores it and is killed),
// restart,
// remove that refuses a running container unless forced, ensure (same configuration, a
// different one, a container berth did not make), generated ids, read back of the
// settings from the stored spec, list by labels with task state, and a sweep that takes
// exactly what carries the labels. Process settings (host PID namespace, ulimits, sysctls,
// /dev/shm size, supplementary groups, host devices of a privileged container) are
// checked from inside the container.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>

#include <asio/error.hpp>

#include "containerd/support.hpp"

using namespace berth;
using namespace std::chrono_literals;
using test::sh;
namespace ctrd = berth::containerd;
namespace op = berth::containerd::op;

namespace {

ctrd::container_options busybox(std::string id, std::vector<std::string> args) {
  ctrd::container_options o;
  o.id = std::move(id);
  o.image = test::registry_image();
  o.args = std::move(args);
  return o;
}

/// Creates and starts the container's task with no stdio.
void start(ctrd::client& c, const std::string& id) {
  auto p = c.create_task(id, {});
  p.start();
}

/// Runs cmd in the container and returns its stdout.
std::string exec_out(ctrd::client& c, const std::string& id, std::vector<std::string> cmd) {
  ctrd::run_options ro;
  ro.collect = 1 << 20;
  auto r = c.exec_run(id, {.args = std::move(cmd)}, ro);
  CHECK(r.exit_code == 0);
  return r.stdout_data;
}

}  // namespace

TEST_CASE("stop: SIGTERM within the grace period, or SIGKILL after it; no task is no error") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);

  c.create_container(busybox("polite", {"sh", "-c", "trap 'exit 7' TERM; while true; do sleep 0.1; done"}));
  start(c, "polite");
  std::this_thread::sleep_for(300ms);  // the trap is set
  auto r = c.run(op::stop_container{.id = "polite", .grace = 10s});
  CHECK(r.was_running);
  CHECK_FALSE(r.killed);
  CHECK(r.exit_code == 7);

  c.create_container(busybox("stubborn", {"sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"}));
  start(c, "stubborn");
  std::this_thread::sleep_for(300ms);
  auto k = c.run(op::stop_container{.id = "stubborn", .grace = 500ms});
  CHECK(k.was_running);
  CHECK(k.killed);
  CHECK(k.exit_code == 137);

  // Stopped already: nothing is signalled.
  auto again = c.run(op::stop_container{.id = "stubborn"});
  CHECK_FALSE(again.was_running);
  CHECK(again.exit_code == 137);

  std::error_code ec;
  c.run(op::stop_container{.id = "no-such-container"}, ec);
  CHECK(ctrd::is_not_found(ec));

  // Restart of a running container: stopped (killed after the grace period), then a new
  // task with a new pid that runs.
  c.run(op::start_container{.id = "stubborn"});  // replaces the stopped task
  auto before = c.run(op::inspect_container{.id = "stubborn"}).task;
  REQUIRE(before);
  std::this_thread::sleep_for(300ms);
  auto rs = c.run(op::restart_container{.id = "stubborn", .grace = 300ms});
  CHECK(rs.stopped.was_running);
  CHECK(rs.stopped.killed);
  CHECK(rs.pid > 0);
  CHECK(rs.pid != before->pid);
  auto after = c.run(op::inspect_container{.id = "stubborn"}).task;
  REQUIRE(after);
  CHECK(after->status == ctrd::process_status::running);
  CHECK(c.run(op::stop_container{.id = "stubborn", .grace = 300ms}).killed);

  c.run(op::remove_container{.id = "polite"});
  c.run(op::remove_container{.id = "stubborn"});
}

TEST_CASE("remove refuses a running container unless forced; a missing one is not_found") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  c.create_container(busybox("runner", {"sleep", "60"}));
  start(c, "runner");
  std::error_code ec;
  c.run(op::remove_container{.id = "runner"}, ec);
  CHECK(ec == ctrd::pull_errc::container_running);
  CHECK(c.run(op::task_get{.container_id = "runner"}).status == ctrd::process_status::running);
  c.run(op::remove_container{.id = "runner", .force = true});
  c.run(op::container_get{.id = "runner"}, ec);
  CHECK(ctrd::is_not_found(ec));
  for (const auto& snap : c.run(op::snapshot_list{})) CHECK(snap.name != "runner");
  c.run(op::remove_container{.id = "runner"}, ec);
  CHECK(ctrd::is_not_found(ec));
}

TEST_CASE("ensure: the same configuration is the same container; another one is a conflict") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  auto o = busybox("svc", {"sleep", "60"});
  o.env = {"A=1"};
  auto first = c.run(op::ensure_container{.options = o});
  CHECK(first.created);
  CHECK(first.record.labels.at(ctrd::config_hash_label) == ctrd::config_hash(o));
  auto second = c.run(op::ensure_container{.options = o});
  CHECK_FALSE(second.created);
  CHECK(second.record.id == "svc");

  auto changed = o;
  changed.env = {"A=2"};
  std::error_code ec;
  c.run(op::ensure_container{.options = changed}, ec);
  CHECK(ec == ctrd::pull_errc::config_conflict);
  // Untouched: still the first configuration.
  auto env = c.run(op::inspect_container{.id = "svc"}).settings.env;
  CHECK(std::find(env.begin(), env.end(), "A=1") != env.end());
  CHECK(std::find(env.begin(), env.end(), "A=2") == env.end());
  CHECK(c.run(op::container_get{.id = "svc"}).labels.at(ctrd::config_hash_label) == ctrd::config_hash(o));

  // A container berth did not make through ensure (no hash label) is never taken over.
  c.create_container(busybox("foreign", {"true"}));
  c.run(op::ensure_container{.options = busybox("foreign", {"true"})}, ec);
  CHECK(ec == ctrd::pull_errc::config_conflict);

  // No id: one is generated, by ensure and by a plain create alike.
  auto gen = c.run(op::ensure_container{.options = busybox("", {"true"})});
  CHECK(gen.created);
  CHECK(gen.record.id.size() == 16);
  auto plain = c.create_container(busybox("", {"true"}));
  CHECK(plain.id.size() == 16);
  CHECK(plain.id != gen.record.id);
  CHECK(c.run(op::container_get{.id = plain.id}).image == test::registry_image());

  for (const auto& id : {std::string("svc"), std::string("foreign"), gen.record.id, plain.id})
    c.run(op::remove_container{.id = id});
}

TEST_CASE("inspect reads the settings back from the stored spec, with the task's state") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  auto o = busybox("probe", {"sleep", "60"});
  o.env = {"FOO=bar"};
  o.cwd = "/tmp";
  o.user = "1234:5678";
  o.additional_gids = {42, 43};
  o.mounts = {{.type = "tmpfs", .target = "/scratch", .options = {"size=1m"}}};
  o.hostname = "probe-host";
  o.cap_add = {"CAP_SYS_TIME"};
  o.cap_drop = {"CAP_MKNOD"};
  o.read_only_rootfs = true;
  o.host_pid = true;
  o.ulimits = {{"nofile", 2048, 4096}};
  o.sysctls = {{"net.ipv4.ip_forward", "1"}};
  o.shm_size = 8 << 20;
  o.resources.pids_limit = 64;
  o.labels = {{"berth.test", "inspect"}};
  c.create_container(o);

  auto v = c.run(op::inspect_container{.id = "probe"});
  CHECK_FALSE(v.task);
  const auto& s = v.settings;
  CHECK(s.id == "probe");
  CHECK(s.image == o.image);
  CHECK(s.args == o.args);
  CHECK(std::find(s.env.begin(), s.env.end(), "FOO=bar") != s.env.end());
  CHECK(s.cwd == "/tmp");
  CHECK(s.user == "1234:5678");
  CHECK(s.additional_gids == o.additional_gids);
  REQUIRE(s.mounts.size() == 1);
  CHECK(s.mounts[0].type == "tmpfs");
  CHECK(s.mounts[0].target == "/scratch");
  CHECK(s.hostname == "probe-host");
  CHECK(s.cap_add == o.cap_add);
  CHECK(s.cap_drop == o.cap_drop);
  CHECK_FALSE(s.privileged);
  CHECK(s.read_only_rootfs);
  CHECK(s.host_pid);
  REQUIRE(s.ulimits.size() == 1);
  CHECK(s.ulimits[0].name == "RLIMIT_NOFILE");
  CHECK(s.ulimits[0].soft == 2048);
  CHECK(s.ulimits[0].hard == 4096);
  CHECK(s.sysctls == o.sysctls);
  CHECK(s.shm_size == o.shm_size);
  CHECK(s.resources.pids_limit == 64);
  CHECK(s.labels.at("berth.test") == "inspect");
  CHECK(s.runtime.name == ctrd::default_runtime);
  CHECK(s.snapshotter == "overlayfs");

  start(c, "probe");
  auto running = c.run(op::inspect_container{.id = "probe"});
  REQUIRE(running.task);
  CHECK(running.task->status == ctrd::process_status::running);
  CHECK(running.task->pid > 0);
  c.run(op::remove_container{.id = "probe", .force = true});
}

TEST_CASE("process settings take effect inside the container") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  auto o = busybox("settings", {"sleep", "60"});
  o.host_pid = true;
  o.ulimits = {{"nofile", 2048, 4096}};
  o.shm_size = 8 << 20;
  o.additional_gids = {42};
  c.create_container(o);
  start(c, "settings");
  // The host's PID namespace (the namespace berth runs in).
  auto host_ns = sh("stat -L -c %i /proc/self/ns/pid");
  CHECK(exec_out(c, "settings", {"stat", "-L", "-c", "%i", "/proc/self/ns/pid"}) == host_ns);
  // The limits of the container's own process, read from the host: runc 1.1 gives an exec'd
  // process the hard open-file limit as its soft one (`docker exec` shows the same), so an
  // exec cannot show the task's limits.
  auto task = c.run(op::inspect_container{.id = "settings"}).task;
  REQUIRE(task);
  auto limits = sh("grep 'open files' /proc/" + std::to_string(task->pid) + "/limits | tr -s ' '");
  CHECK(limits == "Max open files 2048 4096 files \n");
  CHECK(exec_out(c, "settings", {"sh", "-c", "cat /proc/self/mounts | grep ' /dev/shm ' | grep -o 'size=[0-9]*k'"}) ==
        "size=8192k\n");
  CHECK(exec_out(c, "settings", {"sh", "-c", "grep Groups /proc/self/status | tr -s '\\t ' ' '"}) == "Groups: 42 \n");
  c.run(op::remove_container{.id = "settings", .force = true});

  // Privileged: every capability and the host's devices (a block or character device the
  // host has beyond the default set, e.g. /dev/loop-control or /dev/kmsg).
  auto p = busybox("priv", {"sleep", "60"});
  p.privileged = true;
  c.create_container(p);
  start(c, "priv");
  auto inside = exec_out(c, "priv", {"ls", "/dev"});
  CHECK(inside.find("null") != std::string::npos);
  struct stat st {};
  for (const char* dev : {"/dev/kmsg", "/dev/loop-control", "/dev/mem"}) {
    if (::stat(dev, &st) == 0) {
      std::string name = std::string(dev).substr(5);
      CHECK_MESSAGE(inside.find(name) != std::string::npos, dev << " is on the host but not in the container");
    }
  }
  CHECK(c.run(op::inspect_container{.id = "priv"}).settings.privileged);
  c.run(op::remove_container{.id = "priv", .force = true});
}

TEST_CASE("list by labels with the task's state; sweep takes exactly what carries the labels") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  auto mine = busybox("mine-1", {"sleep", "60"});
  mine.labels = {{"owner", "berth-test"}, {"run", "42"}};
  c.create_container(mine);
  start(c, "mine-1");
  auto mine2 = busybox("mine-2", {"true"});
  mine2.labels = {{"owner", "berth-test"}, {"run", "42"}};
  c.create_container(mine2);
  auto other = busybox("other", {"true"});
  other.labels = {{"owner", "berth-test"}, {"run", "43"}};
  c.create_container(other);
  c.run(op::lease_create{.id = "mine-lease", .labels = {{"owner", "berth-test"}, {"run", "42"}}});

  auto listed = c.run(op::list_containers{.selector = {{"run", "42"}}});
  REQUIRE(listed.size() == 2);
  for (const auto& v : listed) {
    if (v.record.id == "mine-1") {
      REQUIRE(v.task);
      CHECK(v.task->status == ctrd::process_status::running);
    } else {
      CHECK(v.record.id == "mine-2");
      CHECK_FALSE(v.task);
    }
  }
  CHECK(c.run(op::list_containers{}).size() == 3);

  std::error_code ec;
  c.run(op::sweep{}, ec);
  CHECK(ec == ctrd::pull_errc::empty_selector);
  CHECK(c.run(op::list_containers{}).size() == 3);  // an empty sweep took nothing

  auto swept = c.run(op::sweep{.selector = {{"owner", "berth-test"}, {"run", "42"}}});
  CHECK(swept.containers.size() == 2);
  REQUIRE(swept.leases.size() == 1);
  CHECK(swept.leases[0] == "mine-lease");
  auto left = c.run(op::list_containers{});
  REQUIRE(left.size() == 1);
  CHECK(left[0].record.id == "other");
  c.run(op::remove_container{.id = "other"});
}

TEST_CASE("tag and label images") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  auto img = test::pull_test_image(c);
  auto tagged = c.run(op::tag_image{.source = img.name, .target = "example.test/tagged:1"});
  CHECK(tagged.name == "example.test/tagged:1");
  CHECK(tagged.target.digest == img.target.digest);
  // Tagging again onto an existing name repoints it (here: to the same manifest).
  CHECK(c.run(op::tag_image{.source = img.name, .target = "example.test/tagged:1"}).target.digest ==
        img.target.digest);
  std::error_code ec;
  c.run(op::tag_image{.source = "example.test/no-such:image", .target = "x.test/y:1"}, ec);
  CHECK(ctrd::is_not_found(ec));

  auto labelled = c.run(op::label_image{.name = "example.test/tagged:1", .labels = {{"team", "build"}}});
  CHECK(labelled.labels.at("team") == "build");
  auto unlabelled = c.run(op::label_image{.name = "example.test/tagged:1", .labels = {{"team", ""}}});
  CHECK(unlabelled.labels.count("team") == 0);
  c.run(op::image_delete{.name = "example.test/tagged:1"});
}

namespace {

/// Reads a whole log: each stream's bytes apart.
std::pair<std::string, std::string> read_log(ctrd::log_reader& r) {
  std::string out, err;
  for (std::error_code ec;;) {
    auto e = r.next(ec);
    if (ec == asio::error::eof) break;
    REQUIRE_MESSAGE(!ec, ec.message());
    (e.stream == ctrd::output::stderr_stream ? err : out) += e.data;
  }
  return {out, err};
}

}  // namespace

TEST_CASE("logs: captured by berth's logger, read back with follow, tail and since; removed with the container") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  auto dir = std::filesystem::temp_directory_path() / ("berth-logs-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string log = (dir / "app.log").string();

  // Not started with capture: typed.
  c.create_container(busybox("quiet", {"true"}));
  std::error_code ec;
  c.run(op::open_logs{.id = "quiet"}, ec);
  CHECK(ec == ctrd::pull_errc::no_log_capture);

  auto o = busybox("talker", {"sh", "-c",
                              "for i in 1 2 3 4 5; do echo out-$i; echo err-$i >&2; sleep 0.2; done; echo done"});
  o.labels = {{"owner", "logs-test"}};
  c.create_container(o);
  auto pid = c.run(op::start_container{.id = "talker", .log = ctrd::log_options{.path = log}});
  CHECK(pid > 0);

  // Follow from the start: everything, stdout and stderr apart, ending with the task.
  auto follow = c.run(op::open_logs{.id = "talker", .options = {.follow = true}});
  auto [out, err] = read_log(follow);
  CHECK(out == "out-1\nout-2\nout-3\nout-4\nout-5\ndone\n");
  CHECK(err == "err-1\nerr-2\nerr-3\nerr-4\nerr-5\n");

  // Tail: the last three lines of both streams together, in the order written.
  auto tail = c.run(op::open_logs{.id = "talker", .options = {.tail = 3}});
  auto [tout, terr] = read_log(tail);
  CHECK(tout + terr == "out-5\ndone\nerr-5\n");
  auto none = c.run(op::open_logs{.id = "talker", .options = {.tail = 0}});
  auto [nout, nerr] = read_log(none);
  CHECK(nout.empty());
  CHECK(nerr.empty());

  // Since: nothing written after now.
  auto later = c.run(op::open_logs{.id = "talker", .options = {.since = std::chrono::system_clock::now()}});
  auto [lout, lerr] = read_log(later);
  CHECK(lout.empty());
  CHECK(lerr.empty());

  // A start of the stopped container keeps the capture: the log grows.
  c.run(op::start_container{.id = "talker"});
  c.run(op::task_wait{.container_id = "talker"});
  auto again = c.run(op::open_logs{.id = "talker"});
  auto [aout, aerr] = read_log(again);
  CHECK(aout == out + out);

  // So does a restart (stop, then a new task): the third run's output follows.
  auto rs = c.run(op::restart_container{.id = "talker", .grace = 2s});
  CHECK_FALSE(rs.stopped.was_running);  // the second run had ended
  CHECK(rs.pid > 0);
  c.run(op::task_wait{.container_id = "talker"});
  auto third = c.run(op::open_logs{.id = "talker"});
  auto [rout, rerr] = read_log(third);
  CHECK(rout == out + out + out);
  CHECK(rerr == err + err + err);

  // A sweep takes the container and its log file.
  auto swept = c.run(op::sweep{.selector = {{"owner", "logs-test"}}});
  CHECK(swept.containers == std::vector<std::string>{"talker"});
  CHECK(swept.log_files == std::vector<std::string>{log});
  CHECK_FALSE(std::filesystem::exists(log));
  c.run(op::remove_container{.id = "quiet"});
  std::filesystem::remove_all(dir);
}

TEST_CASE("logs: rotation keeps at most max_files files of at most max_size bytes") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  auto dir = std::filesystem::temp_directory_path() / ("berth-rot-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string log = (dir / "r.log").string();
  c.create_container(busybox("rot", {"sh", "-c", "for i in $(seq 1 200); do echo line-$i; done"}));
  c.run(op::start_container{.id = "rot", .log = ctrd::log_options{.path = log, .max_size = 512, .max_files = 3}});
  c.run(op::task_wait{.container_id = "rot"});
  std::this_thread::sleep_for(300ms);  // the logger ends after the task
  CHECK(std::filesystem::exists(log));
  CHECK(std::filesystem::exists(log + ".1"));
  CHECK(std::filesystem::exists(log + ".2"));
  CHECK_FALSE(std::filesystem::exists(log + ".3"));
  for (const auto& f : {log, log + ".1", log + ".2"}) CHECK(std::filesystem::file_size(f) <= 512);
  // What is kept reads back in order and ends with the last line.
  auto r = c.run(op::open_logs{.id = "rot"});
  auto [out, err] = read_log(r);
  CHECK(err.empty());
  CHECK(out.size() > 0);
  CHECK(out.substr(out.size() - 9) == "line-200\n");
  c.run(op::remove_container{.id = "rot"});
  CHECK_FALSE(std::filesystem::exists(log));
  CHECK_FALSE(std::filesystem::exists(log + ".1"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("users by name: the container's /etc/passwd and /etc/group; an unknown name is typed") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  // The test image has no /etc/passwd: a name cannot be resolved at create.
  auto o = busybox("named", {"sleep", "60"});
  o.user = "builder";
  std::error_code ec;
  c.create_container(o, ec);
  CHECK(ec == ctrd::pull_errc::bad_user);
  c.run(op::container_get{.id = "named"}, ec);
  CHECK(ctrd::is_not_found(ec));  // nothing was left

  // Written into the running container, the files serve an exec's user by name.
  c.create_container(busybox("named", {"sleep", "60"}));
  start(c, "named");
  exec_out(c, "named", {"sh", "-c",
                         "mkdir -p /etc; echo 'builder:x:1234:2345::/:/bin/sh' > /etc/passwd; "
                         "echo 'builders:x:2345:' > /etc/group; echo 'extra:x:777:builder' >> /etc/group"});
  ctrd::run_options ro;
  ro.collect = 1024;
  auto r = c.exec_run("named", {.args = {"sh", "-c", "echo $(id -u):$(id -g)"}, .user = "builder"}, ro);
  CHECK(r.stdout_data == "1234:2345\n");
  auto g = c.exec_run("named", {.args = {"sh", "-c", "echo $(id -u):$(id -g)"}, .user = "builder:extra"}, ro);
  CHECK(g.stdout_data == "1234:777\n");
  c.exec_run("named", {.args = {"true"}, .user = "nobody-here"}, ro, ec);
  CHECK(ec == ctrd::pull_errc::bad_user);
  c.run(op::remove_container{.id = "named", .force = true});
}

TEST_CASE("init: the host's tini runs as PID 1 in front of the command") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  auto o = busybox("with-init", {"sleep", "60"});
  o.init = true;
  c.create_container(o);
  start(c, "with-init");
  auto cmdline = exec_out(c, "with-init", {"sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline"});
  CHECK(cmdline == "/sbin/docker-init -- sleep 60 ");
  auto v = c.run(op::inspect_container{.id = "with-init"});
  CHECK(v.settings.init);
  CHECK(v.settings.args == std::vector<std::string>{"sleep", "60"});
  CHECK(v.settings.mounts.empty());
  c.run(op::remove_container{.id = "with-init", .force = true});
}
