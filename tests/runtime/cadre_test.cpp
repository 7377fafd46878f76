// Scenario S1, a coding-agent platform's container provider (../shared/seeds/000): one
// provider over Docker and containerd; sessions with a bind-mounted worktree, limits and
// no network; exec with cwd/env/timeout returning exit code, output and timed_out; a
// destroyed session refuses work; the Kata policy and the engine's capabilities refuse,
// all fields at once, before any daemon call.
#include <fstream>

#include "runtime/support.hpp"

using namespace berth;
using namespace std::chrono_literals;
namespace rop = runtime::op;

namespace {

runtime::container_spec session(const test::engine_case& c, const std::string& worktree) {
  runtime::container_spec s;
  s.name = test::unique("cadre");
  s.image = c.image;
  s.cmd = {"sleep", "3600"};
  s.init = true;
  s.mounts = {{.type = runtime::mount::kind::bind, .source = worktree, .target = "/workspace"}};
  s.resources.memory_bytes = 128 << 20;
  s.resources.pids_limit = 128;
  s.network = runtime::network_mode::none;
  return s;
}

}  // namespace

TEST_CASE("cadre: a session runs commands with cwd, env and a timeout, then is destroyed") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    test::temp_dir work;
    std::ofstream(work.path / "README") << "hello from the worktree\n";
    auto s = session(c, work.path.string());
    berth::diagnostics d;
    auto ensured = rt.run(rop::ensure_container{.spec = s}, test::with(d));
    CHECK(ensured.action == runtime::ensure_action::created);
    CHECK(ensured.info.state == runtime::container_state::running);
    const auto id = ensured.info.id;

    auto r = rt.run(rop::exec{.id = id, .argv = {"sh", "-c", "pwd; echo $AGENT; cat README"}, .env = {"AGENT=cadre"},
                              .cwd = "/workspace"});
    CHECK(r.exit_code == 0);
    CHECK(r.stdout_data == "/workspace\ncadre\nhello from the worktree\n");
    CHECK_FALSE(r.timed_out);

    // A non-zero exit is a result.
    auto bad = rt.run(rop::exec{.id = id, .argv = {"sh", "-c", "echo oops >&2; exit 3"}});
    CHECK(bad.exit_code == 3);
    CHECK(bad.stderr_data == "oops\n");

    // A timeout is a result with the output so far, and the process and its children die.
    auto slow = rt.run(rop::exec{.id = id, .argv = {"sh", "-c", "echo started; sleep 30; echo never"}, .timeout = 500ms});
    CHECK(slow.timed_out);
    CHECK(slow.stdout_data == "started\n");
    // (The test image has no ps: the command lines straight from /proc.)
    auto ps = rt.run(rop::exec{.id = id, .argv = {"sh", "-c", "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done"}});
    CHECK_MESSAGE(ps.stdout_data.find("sleep 3600 ") != std::string::npos, ps.stdout_data);
    CHECK_MESSAGE(ps.stdout_data.find("sleep 30 ") == std::string::npos, ps.stdout_data);
    // A program the image lacks: a result (126), as dockerd reports it, on both engines.
    auto missing = rt.run(rop::exec{.id = id, .argv = {"no-such-program"}});
    CHECK(missing.exit_code == 126);
    CHECK_MESSAGE((missing.stdout_data + missing.stderr_data).find("no-such-program") != std::string::npos,
                  missing.stdout_data << missing.stderr_data);

    // The worktree is writable through the bind.
    rt.run(rop::exec{.id = id, .argv = {"sh", "-c", "echo done > /workspace/result"}});
    std::string got;
    std::getline(std::ifstream(work.path / "result"), got);
    CHECK(got == "done");

    // The limits are in force inside.
    auto mem = rt.run(rop::exec{.id = id, .argv = {"sh", "-c",
                                                   "cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                                                   "cat /sys/fs/cgroup/memory/memory.limit_in_bytes"}});
    CHECK(mem.stdout_data == std::to_string(128 << 20) + "\n");

    // destroy(): stop, then remove; twice is fine.
    auto stopped = rt.run(rop::stop{.id = id, .grace = 2s});
    CHECK(stopped.was_running);
    CHECK(rt.run(rop::remove{.id = id, .force = true}));
    CHECK_FALSE(rt.run(rop::remove{.id = id, .force = true}));

    // Work for a destroyed session is a typed error.
    std::error_code ec;
    rt.run(rop::exec{.id = id, .argv = {"true"}}, ec);
    CHECK(ec == runtime::reason::not_found);
  });
}

TEST_CASE("cadre: refusals come before any daemon call, every field at once") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    test::temp_dir work;
    // Kata refuses the host PID namespace: the policy, on both engines.
    auto s = session(c, work.path.string());
    s.runtime = kata::runtime_choice::kata();
    s.pid_host = true;
    berth::diagnostics d;
    std::error_code ec;
    rt.run(rop::ensure_container{.spec = s}, ec, test::with(d));
    CHECK(ec == runtime::reason::policy_refused);
    CHECK_MESSAGE(d.message.find("pid") != std::string::npos, d.message);
    // Nothing was created.
    CHECK(rt.run(rop::list{.match = rt.options().owner.selector()}).empty());

    // What the engine cannot do: containerd has no networks and publishes no ports.
    auto n = session(c, work.path.string());
    n.network = runtime::network_mode::default_;
    n.ports = {{.container = 80}};
    d = {};
    ec.clear();
    auto made = rt.run(rop::ensure_container{.spec = n, .start = false}, ec, test::with(d));
    if (c.docker()) {
      // Docker can; this dockerd has no default bridge (--bridge=none), which it says.
      if (!ec) CHECK(rt.run(rop::remove{.id = made.info.id, .force = true}));
      CHECK(rt.capabilities().networks);
    } else {
      CHECK(ec == runtime::reason::unsupported);
      CHECK(ec == runtime::errc::unsupported);
      CHECK_MESSAGE(d.message.find("network default") != std::string::npos, d.message);
      CHECK_MESSAGE(d.message.find("ports") != std::string::npos, d.message);
      CHECK_FALSE(rt.capabilities().networks);
      CHECK_FALSE(rt.capabilities().publish_ports);
    }
    CHECK_FALSE(rt.capabilities().secrets);
  });
}

TEST_CASE("cadre: the session runs under Kata (the stand-in shim) through kata/ on both engines") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    test::temp_dir work;
    auto s = session(c, work.path.string());
    s.runtime = kata::runtime_choice::kata();
    s.init = false;
    auto e = rt.run(rop::ensure_container{.spec = s});
    auto info = rt.run(rop::inspect{.id = e.info.id});
    CHECK_MESSAGE(info.runtime.find("kata") != std::string::npos, info.runtime);
    auto r = rt.run(rop::exec{.id = e.info.id, .argv = {"echo", "in kata"}});
    CHECK(r.stdout_data == "in kata\n");
    rt.run(rop::remove{.id = e.info.id, .force = true});
  });
}
