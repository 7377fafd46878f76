// Scenario S5, devstack (../shared/seeds/004): a stack brought up and down by a plugin
// that owns its configuration hash. Content-addressed image builds with an expected
// digest, one network per stack, containers under each recreate policy, foreign and
// other owners' containers left alone, one-shot runs, logs and readiness, pause and
// commit, save/load/tag/remove, a port conflict, and a sweep of all four kinds.
#include <fstream>
#include <thread>

#include "runtime/support.hpp"

using namespace berth;
using namespace std::chrono_literals;
namespace rop = runtime::op;

namespace {

runtime::container_spec service(const test::engine_case& c, std::string name, std::string env) {
  runtime::container_spec s;
  s.name = std::move(name);
  s.image = c.image;
  s.cmd = {"sh", "-c", "echo starting; sleep 1; echo ready; exec sleep 3600"};
  s.env = {std::move(env)};
  return s;
}

}  // namespace

TEST_CASE("devstack: ensure_container under each recreate policy") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    const auto name = test::unique("db");
    auto s = service(c, name, "V=1");
    auto first = rt.run(rop::ensure_container{.spec = s});
    CHECK(first.action == runtime::ensure_action::created);
    // Same configuration: reused, whatever the policy.
    for (auto p : {runtime::recreate::on_config_change, runtime::recreate::on_failure, runtime::recreate::never}) {
      auto again = rt.run(rop::ensure_container{.spec = s, .recreate = p});
      CHECK(again.action == runtime::ensure_action::reused);
      CHECK(again.info.id == first.info.id);
    }
    // Changed: never refuses and leaves it; on_failure keeps the running one; on_config_change replaces it.
    auto changed = service(c, name, "V=2");
    std::error_code ec;
    rt.run(rop::ensure_container{.spec = changed, .recreate = runtime::recreate::never}, ec);
    CHECK(ec == runtime::reason::recreate_refused);
    auto kept = rt.run(rop::ensure_container{.spec = changed, .recreate = runtime::recreate::on_failure});
    CHECK(kept.action == runtime::ensure_action::reused);
    CHECK(kept.info.id == first.info.id);
    auto replaced = rt.run(rop::ensure_container{.spec = changed});
    CHECK(replaced.action == runtime::ensure_action::recreated);
    if (c.docker()) CHECK(replaced.info.id != first.info.id);  // containerd keeps the id (the name)
    auto env = rt.run(rop::exec{.id = replaced.info.id, .argv = {"sh", "-c", "echo $V"}});
    CHECK(env.stdout_data == "2\n");
    // The plugin's own hash decides when given.
    auto hashed = changed;
    hashed.config_hash = "plugin-v1";
    auto h1 = rt.run(rop::ensure_container{.spec = hashed});
    CHECK(h1.action == runtime::ensure_action::recreated);
    hashed.env = {"V=3"};  // the plugin says nothing changed
    CHECK(rt.run(rop::ensure_container{.spec = hashed}).action == runtime::ensure_action::reused);

    // A failed container: on_failure recreates, never refuses.
    auto crash = service(c, test::unique("crash"), "V=1");
    crash.cmd = {"sh", "-c", "exit 1"};
    auto cr = rt.run(rop::ensure_container{.spec = crash});
    CHECK(rt.run(rop::wait{.id = cr.info.id}) == 1);
    rt.run(rop::ensure_container{.spec = crash, .recreate = runtime::recreate::never}, ec);
    CHECK(ec == runtime::reason::recreate_refused);
    auto again = rt.run(rop::ensure_container{.spec = crash, .recreate = runtime::recreate::on_failure});
    CHECK(again.action == runtime::ensure_action::recreated);
    // A stopped container of the same configuration is started again.
    auto ok = service(c, test::unique("job"), "V=1");
    ok.cmd = {"sleep", "3600"};
    auto j = rt.run(rop::ensure_container{.spec = ok});
    rt.run(rop::stop{.id = j.info.id, .grace = 1s});
    auto restarted = rt.run(rop::ensure_container{.spec = ok});
    CHECK(restarted.action == runtime::ensure_action::started);
    CHECK(restarted.info.state == runtime::container_state::running);
  });
}

TEST_CASE("devstack: foreign and other owners' containers are never touched") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    const auto name = test::unique("shared");
    std::string foreign;
    if (c.docker()) {
      engine::container_create_body b;
      b.image = c.image;
      b.cmd = std::vector<std::string>{"sleep", "3600"};
      foreign = rt.docker()->run(engine::op::container_create{.name = name, .body = b}).id;
    } else {
      foreign = runtime::containerd_of(rt)->create_container({.id = name, .image = c.image, .args = {"sleep", "3600"}}).id;
    }
    berth::diagnostics d;
    std::error_code ec;
    rt.run(rop::ensure_container{.spec = service(c, name, "V=1")}, ec, test::with(d));
    CHECK(ec == runtime::reason::foreign_resource);
    CHECK_MESSAGE(d.message.find("not berth's") != std::string::npos, d.message);
    auto still = rt.run(rop::inspect{.id = foreign});
    CHECK(still.state == runtime::container_state::created);
    CHECK(rt.run(rop::remove{.id = foreign, .force = true}));

    // Another owner's container of the same name.
    auto other_opts = rt.options();
    other_opts.owner.owner = test::unique("other-stack");
    auto other = c.docker() ? runtime::client(*rt.docker(), other_opts)
                            : runtime::from_containerd(*runtime::containerd_of(rt), other_opts);
    auto theirs = other.run(rop::ensure_container{.spec = service(c, name, "V=1"), .start = false});
    ec.clear();
    rt.run(rop::ensure_container{.spec = service(c, name, "V=1")}, ec);
    CHECK(ec == runtime::reason::name_collision);
    CHECK(rt.run(rop::sweep{}).containers.empty());
    CHECK(other.run(rop::inspect{.id = theirs.info.id}).id == theirs.info.id);
    CHECK(other.run(rop::sweep{}).containers.size() == 1);
  });
}

TEST_CASE("devstack: one-shot runs, logs, readiness, pause") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    auto r = rt.run(rop::run_one_shot{.spec = {.image = c.image, .cmd = {"sh", "-c", "echo migrated; echo warn >&2; exit 4"}}});
    CHECK(r.exit_code == 4);
    CHECK(r.stdout_data == "migrated\n");
    CHECK(r.stderr_data == "warn\n");
    auto t = rt.run(rop::run_one_shot{.spec = {.image = c.image, .cmd = {"sh", "-c", "echo begin; sleep 30"}},
                                      .timeout = 1s});
    CHECK(t.timed_out);
    CHECK(rt.run(rop::list{.match = rt.options().owner.selector()}).empty());  // removed

    auto s = service(c, test::unique("api"), "V=1");
    s.health = runtime::health_probe{.argv = {"sh", "-c", "test -f /tmp/ready"}, .interval = 200ms};
    auto api = rt.run(rop::ensure_container{.spec = s});
    rt.run(rop::wait_ready{.id = api.info.id, .condition = runtime::until_log{.pattern = "^ready$"}, .deadline = 30s});
    rt.run(rop::wait_ready{.id = api.info.id, .condition = runtime::until_exec{.argv = {"true"}}, .deadline = 30s});
    // Not healthy until the file exists: the deadline passes with a typed error.
    berth::diagnostics d;
    std::error_code ec;
    rt.run(rop::wait_ready{.id = api.info.id, .condition = runtime::until_healthy{}, .deadline = 1500ms}, ec, test::with(d));
    CHECK(ec == runtime::reason::ready_probe_failed);
    CHECK_MESSAGE(d.message.find("not ready") != std::string::npos, d.message);
    rt.run(rop::exec{.id = api.info.id, .argv = {"touch", "/tmp/ready"}});
    rt.run(rop::wait_ready{.id = api.info.id, .condition = runtime::until_healthy{}, .deadline = 30s});
    // A log line that never comes.
    ec.clear();
    rt.run(rop::wait_ready{.id = api.info.id, .condition = runtime::until_log{.pattern = "never"}, .deadline = 500ms}, ec);
    CHECK(ec == runtime::errc::ready_probe_failed);

    // Logs: the lines so far, then follow.
    auto logs = rt.run(rop::follow_logs{.id = api.info.id, .follow = false});
    std::vector<std::string> lines;
    for (;;) {
      auto l = logs.next_line(ec);
      if (ec) break;
      lines.push_back(l.text);
    }
    CHECK(ec == asio::error::eof);
    CHECK(lines == std::vector<std::string>{"starting", "ready"});

    rt.run(rop::pause{.id = api.info.id});
    CHECK(rt.run(rop::inspect{.id = api.info.id}).state == runtime::container_state::paused);
    rt.run(rop::unpause{.id = api.info.id});
    CHECK(rt.run(rop::inspect{.id = api.info.id}).state == runtime::container_state::running);

    // A container that exits while awaited fails at once.
    auto dying = service(c, test::unique("dying"), "V=1");
    dying.cmd = {"sh", "-c", "echo bye; exit 2"};
    auto dy = rt.run(rop::ensure_container{.spec = dying});
    rt.run(rop::wait{.id = dy.info.id});
    ec.clear();
    d = {};
    rt.run(rop::wait_ready{.id = dy.info.id, .condition = runtime::until_exec{.argv = {"true"}}, .deadline = 30s}, ec,
           test::with(d));
    CHECK(ec == runtime::errc::ready_probe_failed);
    CHECK_MESSAGE(d.message.find("exited with code 2") != std::string::npos, d.message);
  });
}

TEST_CASE("devstack: images: content-addressed builds, commit, save and load, tag, remove") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    test::temp_dir ctx;
    std::ofstream(ctx.path / "Dockerfile") << "FROM " << c.image << "\nCOPY app.txt /app.txt\n";
    std::ofstream(ctx.path / "app.txt") << "v1\n";
    const auto repo = test::unique("devstack/app");
    berth::diagnostics d;
    std::error_code ec;
    auto b1 = rt.run(rop::ensure_image{.ref = repo, .build = runtime::image_build{.context_dir = ctx.path.string()}}, ec,
                     test::with(d));
    if (c.docker()) {
      REQUIRE_MESSAGE(!ec, d.message);
      CHECK(b1.origin == runtime::image_origin::built);
      auto b2 = rt.run(rop::ensure_image{.ref = repo, .build = runtime::image_build{.context_dir = ctx.path.string()}});
      CHECK(b2.origin == runtime::image_origin::present);
      CHECK(b2.image.id == b1.image.id);
      // A new mtime is no change.
      std::filesystem::last_write_time(ctx.path / "app.txt", std::filesystem::file_time_type::clock::now() + 1h);
      auto b3 = rt.run(rop::ensure_image{.ref = repo, .build = runtime::image_build{.context_dir = ctx.path.string()}});
      CHECK(b3.origin == runtime::image_origin::present);
      // New content is a new image.
      std::ofstream(ctx.path / "app.txt") << "v2\n";
      auto b4 = rt.run(rop::ensure_image{.ref = repo, .build = runtime::image_build{.context_dir = ctx.path.string()}});
      CHECK(b4.origin == runtime::image_origin::built);
      CHECK(b4.image.id != b1.image.id);
      // The expected digest is checked.
      ec.clear();
      rt.run(rop::ensure_image{.ref = b4.image.name, .expected_digest = b1.image.id}, ec, test::with(d));
      CHECK(ec == runtime::reason::digest_mismatch);
      CHECK(rt.run(rop::ensure_image{.ref = b4.image.name, .expected_digest = b4.image.id}).origin ==
            runtime::image_origin::present);
    } else {
      CHECK(ec == runtime::reason::unsupported);
    }

    // Commit a running container (paused meanwhile), run the result.
    auto s = service(c, test::unique("state"), "V=1");
    s.cmd = {"sh", "-c", "echo data > /state; exec sleep 3600"};
    auto st = rt.run(rop::ensure_container{.spec = s});
    rt.run(rop::wait_ready{.id = st.info.id, .condition = runtime::until_exec{.argv = {"test", "-f", "/state"}}, .deadline = 30s});
    const auto snap = test::registry() + "/" + test::unique("devstack/snap") + ":v1";
    auto img = rt.run(rop::commit{.id = st.info.id, .ref = snap});
    CHECK_FALSE(img.id.empty());
    CHECK(rt.run(rop::inspect{.id = st.info.id}).state == runtime::container_state::running);
    auto r = rt.run(rop::run_one_shot{.spec = {.image = snap, .cmd = {"cat", "/state"}}});
    CHECK(r.stdout_data == "data\n");

    // Tag, save, remove, load back.
    const auto tagged = test::registry() + "/" + test::unique("devstack/copy") + ":v1";
    rt.run(rop::tag_image{.source = snap, .target = tagged});
    CHECK(rt.run(rop::image_exists{.ref = tagged}));
    test::temp_dir out;
    const auto tar = (out.path / "snap.tar").string();
    rt.run(rop::save_images{.refs = {tagged}, .path = tar});
    CHECK(std::filesystem::file_size(tar) > 1000);
    CHECK(rt.run(rop::remove_image{.ref = tagged}));
    CHECK_FALSE(rt.run(rop::image_exists{.ref = tagged}));
    CHECK_FALSE(rt.run(rop::remove_image{.ref = tagged}));
    auto names = rt.run(rop::load_images{.path = tar});
    CHECK(std::find(names.begin(), names.end(), tagged) != names.end());
    CHECK(rt.run(rop::image_exists{.ref = tagged}));
    rt.run(rop::remove_image{.ref = tagged});
    rt.run(rop::remove{.id = st.info.id, .force = true});
    // The committed image carries the owner's labels: the sweep takes it.
    auto rep = rt.run(rop::sweep{});
    CHECK(std::find(rep.images.begin(), rep.images.end(), snap) != rep.images.end());
    CHECK_FALSE(rt.run(rop::image_exists{.ref = snap}));
  });
}

TEST_CASE("devstack: a stack's network, volume and a published-port conflict (Docker)") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    const auto stack = test::unique("stack");
    std::error_code ec;
    // Not internal: dockerd publishes no ports on an internal network. The containers run
    // `sleep` only and send nothing; ports are bound on 127.0.0.1.
    auto n1 = rt.run(rop::ensure_network{.name = stack}, ec);
    if (!c.docker()) {
      CHECK(ec == runtime::reason::unsupported);
      return;
    }
    auto n2 = rt.run(rop::ensure_network{.name = stack});
    CHECK(n1.created);
    CHECK_FALSE(n2.created);
    auto v = rt.run(rop::ensure_volume{.name = stack + "-data"});
    CHECK(v.created);
    // Two containers publishing one loopback port: the second start fails, typed.
    auto a = service(c, stack + "-a", "V=1");
    a.network = runtime::network_mode::named;
    a.networks = {stack};
    a.ports = {{.container = 8080, .host = 0}};
    auto ea = rt.run(rop::ensure_container{.spec = a});
    auto bound = rt.run(rop::inspect{.id = ea.info.id});
    REQUIRE(bound.ports.size() == 1);
    {
      auto b = a;
      b.name = stack + "-b";
      b.ports = {{.container = 8080, .host = bound.ports[0].host}};
      berth::diagnostics d;
      rt.run(rop::ensure_container{.spec = b}, ec, test::with(d));
      CHECK_MESSAGE(ec == runtime::reason::port_conflict, ec.message() << ": " << d.message);
    }
    auto rep = rt.run(rop::sweep{});
    CHECK(rep.networks == std::vector<std::string>{stack});
    CHECK(rep.volumes == std::vector<std::string>{stack + "-data"});
    CHECK(rep.containers.size() >= 1);
  });
}
