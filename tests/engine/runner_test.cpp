// The build-runner conveniences (berth/engine/runner.hpp) against the real dockerd.
// Everything created here carries berth.test=<case label>; each case sweeps its label on
// every path, with the plain container operations (not with the code under test).
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "berth/engine/engine.hpp"
#include "berth/engine/runner.hpp"
#include "support/daemons.hpp"

using namespace berth;
using namespace std::chrono_literals;
namespace op = berth::engine::op;
using clock_type = std::chrono::steady_clock;

namespace {

std::string label_for(const std::string& test) {
  return "runner-" + std::to_string(::getpid()) + "-" + test;
}

engine::container_create_body config_for(const std::string& label, std::vector<std::string> cmd) {
  engine::container_create_body b;
  b.image = test::test_image();
  b.cmd = std::move(cmd);
  b.labels = std::map<std::string, std::string>{{"berth.test", label}};
  b.host_config = engine::host_config{};
  b.host_config->network_mode = "none";
  return b;
}

/// Ids of the containers (any state) labelled berth.test=label.
std::vector<std::string> labelled(engine::client& c, const std::string& label) {
  auto list = c.run(op::container_list{.all = true, .filters = {{"label", {"berth.test=" + label}}}});
  std::vector<std::string> ids;
  for (auto& s : list)
    if (s.id) ids.push_back(*s.id);
  return ids;
}

/// Removes everything labelled berth.test=label when the case ends, however it ends.
struct label_guard {
  engine::client& c;
  std::string label;
  ~label_guard() {
    std::error_code ec;
    auto list = c.run(
        op::container_list{.all = true, .filters = {{"label", {"berth.test=" + label}}}}, ec);
    for (auto& s : list)
      if (s.id) c.run(op::container_delete{.id = *s.id, .volumes = true, .force = true}, ec);
  }
};

bool exists(engine::client& c, const std::string& id) {
  std::error_code ec;
  c.run(op::container_inspect{.id = id}, ec);
  if (ec && !engine::is_not_found(ec)) FAIL("inspect failed: " << ec.message());
  return !ec;
}

bool running(engine::client& c, const std::string& id) {
  auto info = c.run(op::container_inspect{.id = id});
  return info.state && info.state->running.value_or(false);
}

/// A started `sleep 3600` container for execs.
std::string start_sleeper(engine::client& c, const std::string& label) {
  auto created = c.run(op::container_create{.body = config_for(label, {"sleep", "3600"})});
  c.run(op::container_start{.id = created.id});
  return created.id;
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

}  // namespace

// ---- run to completion ------------------------------------------------------------------

TEST_CASE("run: a fast exit never hangs, returns 0 and removes the container") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("fast")};
  for (int i = 0; i < 3; ++i) {
    engine::run_options o;
    o.config = config_for(guard.label, {"true"});
    auto t0 = clock_type::now();
    auto r = engine::run_container(c, o);
    CHECK(seconds_since(t0) < 10);
    CHECK(r.exit_code == 0);
    CHECK(r.stdout_data.empty());
    CHECK(r.stderr_data.empty());
    REQUIRE_FALSE(r.id.empty());
    CHECK_FALSE(exists(c, r.id));
  }
  CHECK(labelled(c, guard.label).empty());
}

TEST_CASE("run: exit codes 0, 1 and 137 are results") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("codes")};
  const std::vector<std::pair<std::string, std::int64_t>> cases = {
      {"exit 0", 0},
      {"exit 1", 1},
      // The inner shell kills itself (PID 1 could not be SIGKILLed from inside).
      {"sh -c 'kill -KILL $$'; exit $?", 137},
  };
  for (const auto& [script, code] : cases) {
    CAPTURE(script);
    engine::run_options o;
    o.config = config_for(guard.label, {"sh", "-c", script});
    std::error_code ec;
    berth::diagnostics d;
    auto r = engine::run_container(c, o, ec, {.diag = &d});
    REQUIRE_MESSAGE(!ec, ec.message() << ": " << d.message);
    CHECK(r.exit_code == code);
  }
  CHECK(labelled(c, guard.label).empty());
}

TEST_CASE("run: the output callback receives stdout and stderr apart") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("callback")};
  engine::run_options o;
  o.config = config_for(guard.label,
                        {"sh", "-c", "echo out1; echo err1 >&2; sleep 0.1; echo out2; echo err2 >&2"});
  std::string out, err;
  int calls = 0;
  o.output.callback = [&](engine::stream_id id, std::string_view data) {
    ++calls;
    if (id == engine::stream_id::stdout_stream) out.append(data);
    else if (id == engine::stream_id::stderr_stream) err.append(data);
    else FAIL("unexpected stream");
  };
  auto r = engine::run_container(c, o);
  CHECK(r.exit_code == 0);
  CHECK(out == "out1\nout2\n");
  CHECK(err == "err1\nerr2\n");
  CHECK(calls >= 2);
  CHECK(r.stdout_data.empty());  // a callback sink collects nothing
  CHECK(r.stderr_data.empty());
}

TEST_CASE("run: MiBs of binary stdin come back byte-exact through cat") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("binary")};
  std::string data(3 * 1024 * 1024 + 12345, '\0');
  std::mt19937 rng(42);
  for (auto& ch : data) ch = static_cast<char>(rng() & 0xff);
  // Bytes that look like multiplexing headers and line ends, too.
  for (std::size_t i = 0; i < data.size(); i += 4099) data.replace(i, 8, "\x01\0\0\0\0\0\0\x10\r\n", 8);
  engine::run_options o;
  o.config = config_for(guard.label, {"cat"});
  o.stdin_data = data;
  auto r = engine::run_container(c, o);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(r.output_truncated);
  CHECK(r.stderr_data.empty());
  REQUIRE(r.stdout_data.size() == data.size());
  CHECK(r.stdout_data == data);
}

TEST_CASE("run: stdin data, then end of input") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("stdin")};
  engine::run_options o;
  o.config = config_for(guard.label, {"sh", "-c", "read l; echo \"got:$l\"; cat; echo end"});
  o.stdin_data = std::string("hello\nrest");
  auto r = engine::run_container(c, o);
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_data == "got:hello\nrestend\n");

  o.stdin_data = std::string();  // empty input: stdin is still closed
  auto r2 = engine::run_container(c, o);
  CHECK(r2.exit_code == 0);
  CHECK(r2.stdout_data == "got:\nend\n");
}

TEST_CASE("run: the collect limit truncates and still drains") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("truncate")};
  engine::run_options o;
  o.config = config_for(guard.label, {"sh", "-c", "head -c 1048576 /dev/zero; echo done >&2"});
  o.output.collect_limit = 1000;
  auto r = engine::run_container(c, o);
  CHECK(r.exit_code == 0);
  CHECK(r.output_truncated);
  CHECK(r.stdout_data == std::string(1000, '\0'));
  CHECK(r.stderr_data == "done\n");
}

TEST_CASE("run: a TTY run sends everything as stdout") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("tty")};
  engine::run_options o;
  o.config = config_for(guard.label, {"sh", "-c", "echo a; echo b >&2; exit 5"});
  o.config.tty = true;
  auto r = engine::run_container(c, o);
  CHECK(r.exit_code == 5);
  CHECK(r.stdout_data.find('a') != std::string::npos);
  CHECK(r.stdout_data.find('b') != std::string::npos);
  CHECK(r.stderr_data.empty());
}

TEST_CASE("run: a timeout kills, fails with exec_timeout and the container is gone") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("timeout")};
  engine::run_options o;
  o.config = config_for(guard.label, {"sh", "-c", "echo started; sleep 30"});
  o.timeout = 700ms;
  std::string out;
  o.output.callback = [&](engine::stream_id, std::string_view s) { out.append(s); };
  std::error_code ec;
  berth::diagnostics d;
  auto t0 = clock_type::now();
  auto r = engine::run_container(c, o, ec, {.diag = &d});
  CHECK(seconds_since(t0) < 10);
  CHECK(ec == engine::error::exec_timeout);
  CHECK(d.message.find("killed") != std::string::npos);
  CHECK(out == "started\n");
  CHECK(labelled(c, guard.label).empty());

  // The throwing form carries the same.
  CHECK_THROWS_AS(engine::run_container(c, o), berth::error);
  CHECK(labelled(c, guard.label).empty());
}

TEST_CASE("run: auto_remove=false keeps the stopped container; a failed start is cleaned up") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("keep")};
  engine::run_options o;
  o.config = config_for(guard.label, {"sh", "-c", "echo kept; exit 3"});
  o.auto_remove = false;
  o.name = "berth-" + guard.label;
  auto r = engine::run_container(c, o);
  CHECK(r.exit_code == 3);
  CHECK(r.stdout_data == "kept\n");
  REQUIRE(exists(c, r.id));
  CHECK_FALSE(running(c, r.id));

  // The same name again: the create fails, nothing else is touched.
  std::error_code ec;
  engine::run_container(c, o, ec);
  CHECK(ec == engine::error::name_in_use);
  CHECK(exists(c, r.id));
  c.run(op::container_delete{.id = r.id, .force = true});

  // A command that cannot start: the error comes back and the container is removed.
  engine::run_options bad;
  bad.config = config_for(guard.label, {"/no/such/binary"});
  engine::run_container(c, bad, ec);
  CHECK(ec);
  CHECK(labelled(c, guard.label).empty());
}

TEST_CASE("run: cancellation through the handler's slot removes the container") {
  asio::io_context ioc;
  engine::client ac(ioc.get_executor(), test::docker_endpoint());
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("cancel")};
  engine::run_options o;
  o.config = config_for(guard.label, {"sleep", "30"});
  asio::cancellation_signal sig;
  std::error_code got;
  bool done = false;
  engine::async_run_container(ac, o,
                              asio::bind_cancellation_slot(sig.slot(),
                                                           [&](std::error_code ec, engine::run_result) {
                                                             got = ec;
                                                             done = true;
                                                           }));
  asio::steady_timer t(ioc);
  t.expires_after(1500ms);
  t.async_wait([&](std::error_code) { sig.emit(asio::cancellation_type::terminal); });
  auto t0 = clock_type::now();
  ioc.run();
  CHECK(done);
  CHECK(seconds_since(t0) < 10);
  CHECK(berth::is_cancelled(got));
  CHECK(labelled(c, guard.label).empty());
}

// ---- exec ---------------------------------------------------------------------------------

TEST_CASE("exec: env, working dir, user, exit codes, stderr, stdin") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("exec")};
  auto id = start_sleeper(c, guard.label);

  engine::exec_options o;
  o.cmd = {"sh", "-c", "echo \"$FOO|$(pwd)|$(id -u):$(id -g)\"; echo warn >&2; exit 7"};
  o.env = {"FOO=bar baz"};
  o.working_dir = "/tmp";
  o.user = "1234:5678";
  auto r = engine::exec_run(c, id, o);
  CHECK(r.exit_code == 7);
  CHECK(r.stdout_data == "bar baz|/tmp|1234:5678\n");
  CHECK(r.stderr_data == "warn\n");

  engine::exec_options in;
  in.cmd = {"cat"};
  in.stdin_data = std::string("through\0cat", 11);
  auto r2 = engine::exec_run(c, id, in);
  CHECK(r2.exit_code == 0);
  CHECK(r2.stdout_data == std::string("through\0cat", 11));

  engine::exec_options quick;
  quick.cmd = {"true"};
  for (int i = 0; i < 3; ++i) CHECK(engine::exec_run(c, id, quick).exit_code == 0);

  engine::exec_options missing;
  missing.cmd = {"true"};
  std::error_code ec;
  engine::exec_run(c, "berth-no-such-container-" + guard.label, missing, ec);
  CHECK(ec == engine::error::not_found);
}

TEST_CASE("exec: a timeout kills the process and its children, not the container") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("exec-timeout")};
  auto id = start_sleeper(c, guard.label);

  engine::exec_options o;
  o.cmd = {"sh", "-c", "echo begun; sleep 1234 & sleep 1235"};
  o.timeout = 700ms;
  std::error_code ec;
  berth::diagnostics d;
  auto t0 = clock_type::now();
  auto r = engine::exec_run(c, id, o, ec, {.diag = &d});
  CHECK(seconds_since(t0) < 10);
  CHECK(!ec);  // a timeout is a result, not an error
  CHECK(r.timed_out);
  CHECK(r.exit_code == -1);
  CHECK(r.stdout_data == "begun\n");  // the output before the kill is kept
  CHECK(d.message.find("killed the processes") != std::string::npos);

  // No process of that exec is left (orphans the killed shell left to PID 1, which does
  // not reap, may linger as zombies), and the container runs on.
  engine::exec_options ps;
  ps.cmd = {"sh", "-c",
            "for d in /proc/[0-9]*; do p=${d#/proc/}; [ \"$p\" = \"$$\" ] && continue; "
            "read -r a b st rest < $d/stat; echo \"$p $st $(tr '\\000' ' ' < $d/cmdline)\"; done"};
  auto only_pid1_alive = [&] {
    auto procs = engine::exec_run(c, id, ps);
    CAPTURE(procs.stdout_data);
    CHECK(procs.exit_code == 0);
    bool pid1 = false, others = false;
    std::size_t at = 0;
    while (at < procs.stdout_data.size()) {
      auto nl = procs.stdout_data.find('\n', at);
      std::string line = procs.stdout_data.substr(at, nl - at);
      at = nl == std::string::npos ? procs.stdout_data.size() : nl + 1;
      if (line.rfind("1 ", 0) == 0) pid1 = line.find("sleep 3600") != std::string::npos;
      else if (line.find(" Z ") == std::string::npos && !line.empty()) others = true;
    }
    CHECK(pid1);
    CHECK_FALSE(others);
  };
  only_pid1_alive();
  CHECK(running(c, id));

  // The same as a non-root user.
  o.user = "1234";
  auto as_user = engine::exec_run(c, id, o, ec, {.diag = &d});
  CHECK(!ec);
  CHECK(as_user.timed_out);
  only_pid1_alive();
  CHECK(running(c, id));

  // A process that ends within its timeout is not a timeout.
  engine::exec_options fine;
  fine.cmd = {"sh", "-c", "sleep 0.2; echo ok"};
  fine.timeout = 5s;
  auto ok = engine::exec_run(c, id, fine);
  CHECK(ok.exit_code == 0);
  CHECK(ok.stdout_data == "ok\n");

  // And the container still stops at once.
  t0 = clock_type::now();
  engine::stop_container(c, id, 1s);
  CHECK(seconds_since(t0) < 8);
}

TEST_CASE("exec: cancellation through the handler's slot kills the process") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("exec-cancel")};
  auto id = start_sleeper(c, guard.label);

  asio::io_context ioc;
  engine::client ac(ioc.get_executor(), test::docker_endpoint());
  engine::exec_options o;
  o.cmd = {"sleep", "1236"};
  asio::cancellation_signal sig;
  std::error_code got;
  bool done = false;
  engine::async_exec_run(ac, id, o,
                         asio::bind_cancellation_slot(sig.slot(),
                                                      [&](std::error_code ec, engine::exec_result) {
                                                        got = ec;
                                                        done = true;
                                                      }));
  asio::steady_timer t(ioc);
  t.expires_after(1s);
  t.async_wait([&](std::error_code) { sig.emit(asio::cancellation_type::terminal); });
  ioc.run();
  CHECK(done);
  CHECK(berth::is_cancelled(got));

  engine::exec_options ps;
  ps.cmd = {"sh", "-c", "for d in /proc/[0-9]*; do tr '\\000' ' ' < $d/cmdline; echo; done"};
  auto procs = engine::exec_run(c, id, ps);
  CAPTURE(procs.stdout_data);
  CHECK(procs.stdout_data.find("sleep 1236") == std::string::npos);
  CHECK(running(c, id));
}

// ---- ensure_container ---------------------------------------------------------------------

TEST_CASE("ensure_container: the same id twice, name_in_use on a different config") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("ensure")};
  const std::string name = "berth-" + guard.label;
  auto cfg = config_for(guard.label, {"sleep", "3600"});
  cfg.env = std::vector<std::string>{"A=1"};
  cfg.working_dir = "/tmp";

  auto first = engine::ensure_container(c, name, cfg);
  CHECK(first.created);
  auto second = engine::ensure_container(c, name, cfg);
  CHECK_FALSE(second.created);
  CHECK(second.id == first.id);

  // Unset fields are not compared: the image alone matches too.
  engine::container_create_body image_only;
  image_only.image = test::test_image();
  CHECK(engine::ensure_container(c, name, image_only).id == first.id);

  auto expect_conflict = [&](engine::container_create_body other, const char* field) {
    CAPTURE(field);
    std::error_code ec;
    berth::diagnostics d;
    engine::ensure_container(c, name, other, ec, {.diag = &d});
    CHECK(ec == engine::error::name_in_use);
    CHECK(engine::is_conflict(ec));
    CHECK(d.message.find(field) != std::string::npos);
  };
  auto other = cfg;
  other.cmd = std::vector<std::string>{"sleep", "3601"};
  expect_conflict(other, "Cmd");
  other = cfg;
  other.env = std::vector<std::string>{"A=2"};
  expect_conflict(other, "Env");
  other = cfg;
  (*other.labels)["berth.extra"] = "1";
  expect_conflict(other, "Labels");
  other = cfg;
  other.user = "1234";
  expect_conflict(other, "User");
  other = cfg;
  other.working_dir = "/";
  expect_conflict(other, "WorkingDir");
  CHECK_THROWS_AS(engine::ensure_container(c, name, other), berth::error);
  CHECK(labelled(c, guard.label).size() == 1);
}

TEST_CASE("ensure_container: two callers creating at once get the same container") {
  asio::io_context ioc;
  engine::client ac(ioc.get_executor(), test::docker_endpoint());
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("ensure-race")};
  const std::string name = "berth-" + guard.label;
  auto cfg = config_for(guard.label, {"sleep", "3600"});
  std::vector<engine::ensured_container> got;
  std::vector<std::error_code> errs;
  for (int i = 0; i < 3; ++i)
    engine::async_ensure_container(ac, name, cfg, [&](std::error_code ec, engine::ensured_container e) {
      errs.push_back(ec);
      got.push_back(e);
    });
  ioc.run();
  REQUIRE(got.size() == 3);
  for (auto& ec : errs) CHECK_FALSE(ec);
  CHECK(got[0].id == got[1].id);
  CHECK(got[1].id == got[2].id);
  CHECK(std::count_if(got.begin(), got.end(), [](auto& e) { return e.created; }) == 1);
  CHECK(labelled(c, guard.label).size() == 1);
}

// ---- stop, cleanup, sweep -----------------------------------------------------------------

TEST_CASE("stop_container: a running container, then a stopped one") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("stop")};
  auto id = start_sleeper(c, guard.label);  // sleep as PID 1 ignores SIGTERM: the daemon kills
  auto t0 = clock_type::now();
  auto r = engine::stop_container(c, id, 1s);
  CHECK(seconds_since(t0) < 8);
  CHECK_FALSE(r.already_stopped);
  CHECK_FALSE(running(c, id));

  auto again = engine::stop_container(c, id, 1s);
  CHECK(again.already_stopped);

  // Never started counts as stopped as well.
  auto created = c.run(op::container_create{.body = config_for(guard.label, {"true"})});
  CHECK(engine::stop_container(c, created.id, 1s).already_stopped);

  std::error_code ec;
  engine::stop_container(c, "berth-no-such-container-" + guard.label, 1s, ec);
  CHECK(ec == engine::error::not_found);
}

TEST_CASE("force_cleanup: a missing id is a success, a running container goes") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("cleanup")};
  CHECK_FALSE(engine::force_cleanup(c, "berth-no-such-container-" + guard.label));
  std::error_code ec;
  CHECK_FALSE(engine::force_cleanup(c, "0123456789abcdef0123456789abcdef", ec));
  CHECK_FALSE(ec);

  auto id = start_sleeper(c, guard.label);
  CHECK(engine::force_cleanup(c, id));
  CHECK_FALSE(exists(c, id));
  CHECK_FALSE(engine::force_cleanup(c, id));
}

TEST_CASE("sweep: removes exactly the containers carrying every label") {
  auto c = engine::client(test::docker_endpoint());
  label_guard guard{c, label_for("sweep")};
  label_guard other_guard{c, label_for("sweep-other")};
  const std::map<std::string, std::string> labels{{"berth.test", guard.label},
                                                  {"berth.sweep", "yes"}};
  auto with = [&](std::map<std::string, std::string> l) {
    auto cfg = config_for(guard.label, {"sleep", "3600"});
    cfg.labels = std::move(l);
    return c.run(op::container_create{.body = cfg}).id;
  };
  std::set<std::string> doomed{with(labels), with(labels)};
  c.run(op::container_start{.id = *doomed.begin()});  // running ones go too
  // Only one of the labels, or the other one with another value: these stay.
  auto keep_one = with({{"berth.test", guard.label}});
  auto keep_value = with({{"berth.test", guard.label}, {"berth.sweep", "no"}});
  auto keep_other = with({{"berth.test", other_guard.label}, {"berth.sweep", "yes"}});

  auto removed = engine::sweep(c, labels);
  CHECK(std::set<std::string>(removed.begin(), removed.end()) == doomed);
  for (auto& id : doomed) CHECK_FALSE(exists(c, id));
  CHECK(exists(c, keep_one));
  CHECK(exists(c, keep_value));
  CHECK(exists(c, keep_other));

  CHECK(engine::sweep(c, labels).empty());  // idempotent

  std::error_code ec;
  engine::sweep(c, {}, ec);
  CHECK(ec == berth::errc::invalid_argument);

  for (auto& id : {keep_one, keep_value, keep_other})
    c.run(op::container_delete{.id = id, .force = true});
  CHECK(labelled(c, guard.label).empty());
  CHECK(labelled(c, other_guard.label).empty());
}
