// Scenario S4, Smidr, a Yocto build runner (../shared/seeds/003): idempotent create,
// bind mounts and named volumes, streamed exec output with a timeout, stop with a grace
// period (stopped vs killed), forced removal, a non-root build user, and a sweep of what
// the runner owns that leaves an unlabelled twin alone.
#include <fstream>

#include "runtime/support.hpp"

using namespace berth;
using namespace std::chrono_literals;
namespace rop = runtime::op;

TEST_CASE("smidr: a build container, created once, with a workspace and a cache") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    test::temp_dir src;
    std::ofstream(src.path / "local.conf") << "MACHINE = \"qemux86-64\"\n";
    std::filesystem::permissions(src.path, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                               std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                               std::filesystem::perms::others_exec);
    // The builder image: the test image plus a build user (bitbake refuses to run as
    // root), made by commit on both engines.
    runtime::container_spec prep;
    prep.image = c.image;
    prep.cmd = {"sh", "-c",
                "mkdir -p /etc && echo 'builder:x:1000:1000::/tmp:/bin/sh' > /etc/passwd && "
                "echo 'builder:x:1000:' > /etc/group; "
                "exec sleep 3600"};
    auto p = rt.run(rop::ensure_container{.spec = prep});
    rt.run(rop::wait_ready{.id = p.info.id, .condition = runtime::until_exec{.argv = {"test", "-s", "/etc/group"}},
                           .deadline = 30s});
    const auto builder = test::registry() + "/" + test::unique("smidr/builder") + ":1";
    rt.run(rop::commit{.id = p.info.id, .ref = builder});
    rt.run(rop::remove{.id = p.info.id, .force = true});

    runtime::container_spec s;
    s.name = test::unique("smidr-build");
    s.image = builder;
    s.cmd = {"sleep", "3600"};
    s.user = "builder";
    s.mounts = {{.type = runtime::mount::kind::bind, .source = src.path.string(), .target = "/src", .read_only = true}};
    const auto cache = test::unique("sstate");
    s.mounts.push_back({.type = runtime::mount::kind::volume, .source = cache, .target = "/cache"});

    berth::diagnostics d;
    std::error_code ec;
    auto first = rt.run(rop::ensure_container{.spec = s}, ec, test::with(d));
    if (!c.docker()) {
      CHECK(ec == runtime::reason::unsupported);
      CHECK_MESSAGE(d.message.find("volume " + cache) != std::string::npos, d.message);
      rt.run(rop::ensure_volume{.name = cache}, ec, test::with(d));
      CHECK(ec == runtime::reason::unsupported);
      s.mounts.pop_back();
      first = rt.run(rop::ensure_container{.spec = s});
    } else {
      REQUIRE_MESSAGE(!ec, d.message);
      auto v = rt.run(rop::ensure_volume{.name = cache});
      CHECK_FALSE(v.created);  // the layer made it (labelled) before the container
    }
    CHECK(first.action == runtime::ensure_action::created);
    auto second = rt.run(rop::ensure_container{.spec = s});
    CHECK(second.action == runtime::ensure_action::reused);
    CHECK(second.info.id == first.info.id);
    const auto id = first.info.id;

    // The build user: not root.
    auto who = rt.run(rop::exec{.id = id, .argv = {"id"}});
    CHECK(who.stdout_data == "uid=1000(builder) gid=1000(builder) groups=1000(builder)\n");
    auto conf = rt.run(rop::exec{.id = id, .argv = {"cat", "/src/local.conf"}});
    CHECK(conf.stdout_data == "MACHINE = \"qemux86-64\"\n");
    auto ro = rt.run(rop::exec{.id = id, .argv = {"sh", "-c", "touch /src/x 2>/dev/null || echo read-only"}});
    CHECK(ro.stdout_data == "read-only\n");

    // Streamed output: every byte reaches the callback, nothing is collected.
    std::size_t bytes = 0, chunks = 0;
    auto streamed = rt.run(rop::exec{.id = id,
                                     .argv = {"sh", "-c", "dd if=/dev/zero bs=65536 count=160 2>/dev/null; echo done >&2"},
                                     .on_output = [&](io::stream_id sid, std::string_view data) {
                                       if (sid == io::stream_id::stdout_stream) bytes += data.size();
                                       ++chunks;
                                     }});
    CHECK(streamed.exit_code == 0);
    CHECK(bytes == 160u * 65536u);
    CHECK(chunks > 1);
    CHECK(streamed.stdout_data.empty());

    // A numeric user too.
    auto num = rt.run(rop::exec{.id = id, .argv = {"id", "-u"}, .user = "1234"});
    CHECK(num.stdout_data == "1234\n");

    // Removing a running container needs force.
    ec.clear();
    rt.run(rop::remove{.id = id}, ec);
    CHECK(ec == runtime::reason::conflict);
    CHECK(rt.run(rop::remove{.id = id, .force = true}));
  });
}

TEST_CASE("smidr: stop with a grace period: a shell that exits on TERM, one that ignores it") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    runtime::container_spec polite;
    polite.name = test::unique("smidr-polite");
    polite.image = c.image;
    polite.cmd = {"sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"};
    auto p = rt.run(rop::ensure_container{.spec = polite});
    auto st = rt.run(rop::stop{.id = p.info.id, .grace = 5s});
    CHECK(st.was_running);
    CHECK_FALSE(st.killed);
    auto pi = rt.run(rop::inspect{.id = p.info.id});
    CHECK(pi.state == runtime::container_state::exited);
    CHECK(pi.exit_code == 0);
    // Stopping again: nothing to do.
    CHECK_FALSE(rt.run(rop::stop{.id = p.info.id, .grace = 1s}).was_running);

    runtime::container_spec stubborn = polite;
    stubborn.name = test::unique("smidr-stubborn");
    stubborn.cmd = {"sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"};
    stubborn.stop_grace = 1s;  // kept by the layer: stop{} without a grace uses it
    auto s = rt.run(rop::ensure_container{.spec = stubborn});
    auto st2 = rt.run(rop::stop{.id = s.info.id});
    CHECK(st2.was_running);
    CHECK(st2.killed);
    auto si = rt.run(rop::inspect{.id = s.info.id});
    CHECK(si.state == runtime::container_state::exited);
    CHECK(si.exit_code == 137);
  });
}

TEST_CASE("smidr: the sweep takes what the runner owns and leaves an unlabelled twin") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    runtime::container_spec s;
    s.name = test::unique("smidr-owned");
    s.image = c.image;
    s.cmd = {"sleep", "3600"};
    rt.run(rop::ensure_container{.spec = s});
    std::string cache;
    if (c.docker()) {
      cache = test::unique("smidr-cache");
      rt.run(rop::ensure_volume{.name = cache});
    }
    // The twin: same image and command, made straight through the engine, no labels.
    std::string twin;
    if (c.docker()) {
      auto docker = *rt.docker();
      engine::container_create_body b;
      b.image = c.image;
      b.cmd = std::vector<std::string>{"sleep", "3600"};
      twin = docker.run(engine::op::container_create{.name = s.name + "-twin", .body = b}).id;
    } else {
      auto ctrd = *runtime::containerd_of(rt);
      twin = ctrd.create_container({.id = s.name + "-twin", .image = c.image, .args = {"sleep", "3600"}}).id;
    }
    auto rep = rt.run(rop::sweep{});
    CHECK(rep.containers.size() == 1);
    if (c.docker()) {
      CHECK(rep.volumes == std::vector<std::string>{cache});
    }
    // The twin is untouched.
    auto t = rt.run(rop::inspect{.id = twin});
    CHECK(t.id == twin);
    CHECK(t.labels.count("io.berth.owner") == 0);
    CHECK(rt.run(rop::remove{.id = twin, .force = true}));
    // A client without an owner has nothing to select by: its sweep is refused.
    runtime::client_options none = rt.options();
    none.owner.owner.clear();
    auto anon = c.docker() ? runtime::client(*rt.docker(), none) : runtime::from_containerd(*runtime::containerd_of(rt), none);
    std::error_code ec;
    anon.run(rop::sweep{}, ec);
    CHECK(ec == runtime::errc::empty_selector);
  });
}
