// Scenario S2, a Go runtime package (../shared/seeds/001): Detect(docker|containerd|auto)
// from the environment, ping within a bound, ImageExists, PullImage with progress,
// RunContainer from a container's information, InspectSelf.
#include "runtime/support.hpp"

using namespace berth;
using namespace std::chrono_literals;
namespace rop = runtime::op;

namespace {

/// The test engines' environment, as a user would have it.
runtime::detect_options env_of(std::map<std::string, std::string> env) {
  runtime::detect_options o;
  o.getenv = [env](std::string_view n) -> std::optional<std::string> {
    auto it = env.find(std::string(n));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return o;
}

}  // namespace

TEST_CASE("goruntime: detect finds each engine as the environment names it") {
  const auto docker_host = test::docker_endpoint().to_string();
  const auto ctrd = test::containerd_address();

  auto o = env_of({{"DOCKER_HOST", docker_host}});
  o.preference = runtime::parse_preference("docker").value();
  berth::diagnostics d;
  auto docker = runtime::detect(o, &d);
  REQUIRE_MESSAGE(docker, d.message);
  CHECK(docker->client.kind() == runtime::engine_kind::docker);
  CHECK(docker->ping.kind == runtime::engine_kind::docker);
  CHECK_FALSE(docker->ping.version.empty());
  CHECK(std::find(docker->ping.runtimes.begin(), docker->ping.runtimes.end(), "kata") != docker->ping.runtimes.end());

  // auto with only CONTAINERD_ADDRESS set: containerd, and it says why.
  auto a = env_of({{"CONTAINERD_ADDRESS", ctrd}, {"CONTAINERD_NAMESPACE", "berth-detect"}});
  auto c = runtime::detect(a, &d);
  REQUIRE_MESSAGE(c, d.message);
  CHECK(c->client.kind() == runtime::engine_kind::containerd);
  CHECK(c->why == "CONTAINERD_ADDRESS is set");
  CHECK(c->endpoint == ctrd);
  CHECK_FALSE(c->ping.version.empty());
  CHECK(runtime::containerd_of(c->client)->namespace_name() == "berth-detect");

  // auto with DOCKER_HOST set: Docker, even though containerd is there too.
  auto both = env_of({{"DOCKER_HOST", docker_host}, {"CONTAINERD_ADDRESS", ctrd}});
  auto b = runtime::detect(both, &d);
  REQUIRE_MESSAGE(b, d.message);
  CHECK(b->client.kind() == runtime::engine_kind::docker);
  CHECK(b->why == "DOCKER_HOST is set");

  // containerd asked for explicitly, with the address as an option.
  runtime::detect_options x;
  x.preference = runtime::preference::containerd;
  x.containerd_address = ctrd;
  x.containerd_namespace = "moby";
  auto moby = runtime::detect(x, &d);
  CHECK_FALSE(moby);
  CHECK_MESSAGE(d.message.find("moby is dockerd's own") != std::string::npos, d.message);
  x.containerd_namespace = "berth-detect";
  auto ok = runtime::detect(x, &d);
  REQUIRE_MESSAGE(ok, d.message);
  CHECK(ok->probes.size() == 1);

  // An unknown preference names the valid ones.
  CHECK(runtime::parse_preference("nerdctl").error() == runtime::reason::invalid_argument);
}

TEST_CASE("goruntime: ImageExists, PullImage with progress, RunContainer detached") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    // An image this engine does not have yet: the test image under a tag of its own.
    const auto ref = test::registry() + "/berth-test/busybox:latest";
    if (c.docker()) {
      // Docker has it already (the test main pushed it from there): remove a private tag.
      const auto mine = test::unique("127.0.0.1:5000/berth-test/goruntime");
      CHECK_FALSE(rt.run(rop::image_exists{.ref = mine + ":latest"}));
    } else {
      rt.run(rop::remove_image{.ref = ref});
      CHECK_FALSE(rt.run(rop::image_exists{.ref = ref}));
    }
    int events = 0;
    auto img = rt.run(rop::pull_image{.ref = ref, .on_progress = [&](const runtime::pull_progress&) { ++events; }});
    CHECK(events > 0);
    CHECK_FALSE(img.id.empty());
    CHECK(rt.run(rop::image_exists{.ref = ref}));
    auto again = rt.run(rop::inspect_image{.ref = ref});
    CHECK(again.id == img.id);

    // RunContainer: detached, unnamed, from an image and command.
    runtime::container_spec s;
    s.image = ref;
    s.cmd = {"sh", "-c", "echo $GREETING; sleep 3600"};
    s.env = {"GREETING=hi"};
    auto e = rt.run(rop::ensure_container{.spec = s});
    CHECK(e.action == runtime::ensure_action::created);
    CHECK_FALSE(e.info.id.empty());
    auto info = rt.run(rop::inspect{.id = e.info.id});
    CHECK(info.state == runtime::container_state::running);
    CHECK(std::find(info.env.begin(), info.env.end(), "GREETING=hi") != info.env.end());
    CHECK(info.labels.at("io.berth.owner") == rt.options().owner.owner);
    // Two unnamed creates make two containers.
    auto e2 = rt.run(rop::ensure_container{.spec = s, .start = false});
    CHECK(e2.info.id != e.info.id);
    CHECK(rt.run(rop::list{.match = rt.options().owner.selector()}).size() == 2);
    CHECK(rt.run(rop::list{.match = rt.options().owner.selector(), .running_only = true}).size() == 1);
  });
}

TEST_CASE("goruntime: InspectSelf finds a container by what its process sees") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    runtime::container_spec s;
    s.name = test::unique("self");
    s.image = c.image;
    s.cmd = {"sleep", "3600"};
    s.env = {"ROLE=agent"};
    auto e = rt.run(rop::ensure_container{.spec = s});
    // The layer stamps the name into the container's environment: a process inside sees
    // BERTH_CONTAINER_NAME, which inspect_self reads first.
    auto env = rt.run(rop::exec{.id = e.info.id, .argv = {"sh", "-c", "echo $BERTH_CONTAINER_NAME"}});
    CHECK(env.stdout_data == s.name + "\n");
    ::setenv("BERTH_CONTAINER_NAME", s.name.c_str(), 1);
    auto self = rt.run(rop::inspect_self{});
    ::unsetenv("BERTH_CONTAINER_NAME");
    CHECK(self.id == e.info.id);
    CHECK(std::find(self.env.begin(), self.env.end(), "ROLE=agent") != self.env.end());
    // Outside any container of this engine (this test runs on the host): not_in_container.
    std::error_code ec;
    berth::diagnostics d;
    rt.run(rop::inspect_self{}, ec, test::with(d));
    CHECK(ec == runtime::errc::not_in_container);
    CHECK(ec == runtime::reason::not_found);
  });
}
