// The runtime layer's values with no engine: the reason vocabulary every backend's codes
// compare equal to, retryability, the bind parser, the configuration hash, ownership.
#include <doctest/doctest.h>

#include "berth/containerd/error.hpp"
#include "berth/engine/error.hpp"
#include "berth/kata/error.hpp"
#include "berth/runtime/runtime.hpp"

using namespace berth;
using runtime::reason;

TEST_CASE("runtime: every backend's codes compare equal to one reason") {
  CHECK(make_error_code(engine::error::not_found) == reason::not_found);
  CHECK(make_error_code(containerd::errc::not_found) == reason::not_found);
  CHECK(make_error_code(containerd::pull_errc::manifest_unknown) == reason::not_found);
  CHECK(make_error_code(runtime::errc::not_found) == reason::not_found);
  CHECK(make_error_code(engine::error::name_in_use) == reason::conflict);
  CHECK(make_error_code(containerd::errc::already_exists) == reason::conflict);
  CHECK(make_error_code(containerd::pull_errc::container_running) == reason::conflict);
  CHECK(make_error_code(engine::error::unauthorized) == reason::unauthorized);
  CHECK(make_error_code(containerd::pull_errc::unauthorized) == reason::unauthorized);
  CHECK(make_error_code(kata::errc::unsupported_setting) == reason::policy_refused);
  CHECK(make_error_code(kata::errc::runtime_unavailable) == reason::runtime_unavailable);
  CHECK(make_error_code(engine::error::field_unsupported) == reason::unsupported);
  CHECK(make_error_code(containerd::errc::unimplemented) == reason::unsupported);
  CHECK(make_error_code(berth::errc::timeout) == reason::timeout);
  CHECK(make_error_code(berth::errc::cancelled) == reason::cancelled);
  CHECK(std::error_code(ECONNREFUSED, std::system_category()) == reason::unavailable);
  CHECK(make_error_code(engine::error::unavailable) == reason::unavailable);
  CHECK(make_error_code(runtime::errc::port_conflict) == reason::port_conflict);
  CHECK(make_error_code(runtime::errc::foreign_resource) == reason::foreign_resource);
  CHECK(make_error_code(engine::error::server_error) == reason::backend_failure);
  // A reason is not any other reason.
  CHECK(make_error_code(engine::error::not_found) != reason::conflict);
  CHECK(make_error_code(containerd::errc::not_found) != reason::unavailable);
  CHECK(std::string(runtime::to_string(reason::policy_refused)) == "policy_refused");
}

TEST_CASE("runtime: retryable means trying later may succeed") {
  CHECK(runtime::is_retryable(make_error_code(engine::error::unavailable)));
  CHECK(runtime::is_retryable(make_error_code(berth::errc::timeout)));
  CHECK(runtime::is_retryable(make_error_code(containerd::errc::unavailable)));
  CHECK(runtime::is_retryable(make_error_code(containerd::pull_errc::transport_error)));
  CHECK(runtime::is_retryable(std::error_code(ECONNREFUSED, std::system_category())));
  CHECK_FALSE(runtime::is_retryable(make_error_code(engine::error::not_found)));
  CHECK_FALSE(runtime::is_retryable(make_error_code(containerd::pull_errc::manifest_unknown)));
  CHECK_FALSE(runtime::is_retryable(make_error_code(engine::error::unauthorized)));
  CHECK_FALSE(runtime::is_retryable(make_error_code(runtime::errc::unsupported)));
  CHECK_FALSE(runtime::is_retryable(make_error_code(berth::errc::cancelled)));
  CHECK_FALSE(runtime::is_retryable(std::error_code()));
}

TEST_CASE("runtime: parse_mount reads Docker's short form") {
  auto b = runtime::parse_mount("/src/tree:/workspace:ro");
  REQUIRE(b);
  CHECK(b->type == runtime::mount::kind::bind);
  CHECK(b->source == "/src/tree");
  CHECK(b->target == "/workspace");
  CHECK(b->read_only);
  auto v = runtime::parse_mount("cache:/var/cache");
  REQUIRE(v);
  CHECK(v->type == runtime::mount::kind::volume);
  CHECK_FALSE(v->read_only);
  CHECK(runtime::parse_mount("./rel:/x:rw")->type == runtime::mount::kind::bind);
  for (const char* bad : {"", "/a", "/a:relative", "/a:/b:rx", ":/b", "/a:/b:ro:x"})
    CHECK_MESSAGE(runtime::parse_mount(bad).error() == runtime::errc::invalid_argument, bad);
}

TEST_CASE("runtime: the configuration hash sees every field but labels and name") {
  runtime::container_spec a;
  a.image = "busybox";
  a.cmd = {"sleep", "1"};
  a.env = {"A=1"};
  const auto h = runtime::config_hash(a);
  CHECK(h.size() == 64);
  auto same = a;
  same.labels["x"] = "y";
  same.name = "other";
  CHECK(runtime::config_hash(same) == h);
  auto env = a;
  env.env = {"A=2"};
  CHECK(runtime::config_hash(env) != h);
  auto mounts = a;
  mounts.mounts.push_back({.source = "/a", .target = "/b"});
  CHECK(runtime::config_hash(mounts) != h);
  auto ro = mounts;
  ro.mounts[0].read_only = true;
  CHECK(runtime::config_hash(ro) != runtime::config_hash(mounts));
  auto kata = a;
  kata.runtime = kata::runtime_choice::kata();
  CHECK(runtime::config_hash(kata) != h);
  // Fields are delimited: moving a boundary changes the hash.
  runtime::container_spec c1, c2;
  c1.cmd = {"ab", "c"};
  c2.cmd = {"a", "bc"};
  CHECK(runtime::config_hash(c1) != runtime::config_hash(c2));
}

TEST_CASE("runtime: ownership labels and engine names") {
  runtime::ownership o{.owner = "devstack", .session = "s1"};
  auto l = o.stamp();
  CHECK(l.at("io.berth.owner") == "devstack");
  CHECK(l.at("io.berth.session") == "s1");
  CHECK(o.hash_key() == "io.berth.config-hash");
  CHECK(runtime::ownership{.owner = "x"}.stamp().size() == 1);
  CHECK(runtime::parse_preference("docker").value() == runtime::preference::docker);
  CHECK(runtime::parse_preference("").value() == runtime::preference::auto_);
  CHECK(runtime::parse_preference("containerd").value() == runtime::preference::containerd);
  CHECK(runtime::parse_preference("podman").error() == runtime::errc::invalid_argument);
}
