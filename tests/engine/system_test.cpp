// System, network, volume, swarm and plugin operations against the real dockerd (API
// 1.41, runtimes kata and runc, --bridge=none, not in a swarm, a loopback registry
// without auth at $BERTH_REGISTRY). Everything created is labelled berth.test=<name> and
// removed; nothing else is touched. The daemon must never join a swarm: no SwarmInit or
// SwarmJoin here.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include <asio/error.hpp>

#include "berth/engine/engine.hpp"
#include "support/engine_fixtures.hpp"

using namespace berth;
using namespace std::chrono_literals;

namespace {

/// Deletes a network (by id) when it goes away, unless released.
struct scoped_network {
  std::string id;
  ~scoped_network() {
    if (id.empty()) return;
    auto c = test::docker();
    std::error_code ec;
    c.run(engine::op::network_delete{.id = id}, ec);
  }
};

/// Deletes a volume (by name) when it goes away.
struct scoped_volume {
  std::string name;
  ~scoped_volume() {
    if (name.empty()) return;
    auto c = test::docker();
    std::error_code ec;
    c.run(engine::op::volume_delete{.name = name, .force = true}, ec);
  }
};

std::map<std::string, std::string> label_of(const std::string& name) {
  return {{test::test_label, name}};
}

engine::filters label_filter(const std::string& name) {
  return {{"label", {std::string(test::test_label) + "=" + name}}};
}

/// Runs op, expecting it to fail with want; returns the diagnostics.
template <class Op>
berth::diagnostics expect_error(engine::client& c, Op op, engine::error want) {
  berth::diagnostics d;
  std::error_code ec;
  c.run(std::move(op), ec, {.diag = &d});
  CHECK_MESSAGE(ec == want, Op::operation_id, ": ", ec.message(), " (", d.message, ")");
  return d;
}

}  // namespace

TEST_CASE("ping and ping head") {
  auto c = test::docker();
  auto p = c.run(engine::op::system_ping{});
  CHECK(p.api >= engine::api_version{1, 41});
  CHECK(p.os_type == "linux");
  auto h = c.run(engine::op::system_ping_head{});
  CHECK(h.api == p.api);
  CHECK(h.os_type == "linux");
}

TEST_CASE("version: API 1.41") {
  auto c = test::docker();
  auto v = c.run(engine::op::system_version{});
  REQUIRE(v.api_version);
  CHECK(*v.api_version == "1.41");
  CHECK(v.version.has_value());
  CHECK(v.os.value_or("") == "linux");
  std::error_code ec;
  CHECK(c.negotiated_version(ec) == engine::api_version{1, 41});
  CHECK(!ec);
}

TEST_CASE("info: runtimes kata and runc registered") {
  auto c = test::docker();
  auto info = c.run(engine::op::system_info{});
  REQUIRE(info.runtimes);
  CHECK(info.runtimes->count("kata") == 1);
  CHECK(info.runtimes->count("runc") == 1);
  CHECK(info.id.has_value());
}

TEST_CASE("data usage") {
  auto c = test::docker();
  auto df = c.run(engine::op::system_data_usage{});
  CHECK(df.layers_size.has_value());
  CHECK(df.images.has_value());
  CHECK(df.containers.has_value());
  CHECK(df.volumes.has_value());
  // type= is API 1.42: refused before sending on 1.41.
  std::error_code ec;
  c.run(engine::op::system_data_usage{.types = {"volume"}}, ec);
  CHECK(ec == engine::error::field_unsupported);
}

TEST_CASE("events: create, start, die, destroy of a labelled container") {
  const std::string name = test::unique_name("events");
  auto c = test::docker();
  call_options opts;
  opts.timeouts.idle = 30s;  // no event for that long: the test fails instead of hanging
  auto f = label_filter(name);
  f["type"] = {"container"};
  auto events = c.run(engine::op::system_events{.filters = f}, opts);

  auto ctr = test::create(c, test::container_spec(name, {"true"}));
  c.run(engine::op::container_start{.id = ctr.id()});
  c.run(engine::op::container_wait{.id = ctr.id()});
  const std::string id = ctr.id();
  c.run(engine::op::container_delete{.id = id, .force = true});
  ctr.release();

  std::vector<std::string> actions;
  for (;;) {
    std::error_code ec;
    auto ev = events.next(ec);
    REQUIRE_MESSAGE(!ec, ec.message());
    CHECK(ev.type.value_or("") == "container");
    REQUIRE(ev.actor);
    CHECK(ev.actor->id.value_or("") == id);
    actions.push_back(ev.action.value_or(""));
    if (actions.back() == "destroy") break;
  }
  events.close();
  auto has = [&](std::string_view a) {
    return std::find(actions.begin(), actions.end(), a) != actions.end();
  };
  CHECK(has("create"));
  CHECK(has("start"));
  CHECK(has("die"));
  CHECK(has("destroy"));
}

TEST_CASE("events with since and until: a finite stream") {
  auto c = test::docker();
  auto now = std::time(nullptr);
  call_options opts;
  opts.timeouts.idle = 30s;
  opts.timeouts.total = 60s;
  auto events = c.run(engine::op::system_events{.since = std::to_string(now - 120),
                                                .until = std::to_string(now)},
                      opts);
  std::size_t n = 0;
  for (;;) {
    std::error_code ec;
    auto ev = events.next(ec);
    if (ec == asio::error::eof) break;
    REQUIRE_MESSAGE(!ec, ec.message());
    CHECK(ev.time.value_or(0) <= now);
    ++n;
    REQUIRE(n < 1000000);
  }
  MESSAGE("events in the last two minutes: ", n);
}

TEST_CASE("auth against the loopback registry") {
  // The loopback registry ($BERTH_REGISTRY) has no auth: the daemon pings /v2/, gets 200
  // without a challenge, and reports the login as succeeded (loopback is an insecure
  // registry, so plain HTTP is allowed).
  auto c = test::docker();
  engine::op::system_auth op;
  op.body.username = "berth";
  op.body.password = "berth";
  op.body.serveraddress = test::engine_env("BERTH_REGISTRY", "127.0.0.1:5000");
  berth::diagnostics d;
  std::error_code ec;
  auto r = c.run(op, ec, {.diag = &d});
  REQUIRE_MESSAGE(!ec, ec.message(), ": ", d.message);
  CHECK(r.status == "Login Succeeded");
}

TEST_CASE("network lifecycle: create, inspect, list, connect, disconnect, delete, prune") {
  const std::string name = test::unique_name("net");
  auto c = test::docker();

  engine::op::network_create create_a;
  create_a.body.name = name + "-a";
  create_a.body.internal = true;
  create_a.body.labels = label_of(name);
  auto a = c.run(create_a);
  REQUIRE(!a.id.empty());
  scoped_network guard_a{a.id};
  auto create_b = create_a;
  create_b.body.name = name + "-b";
  auto b = c.run(create_b);
  REQUIRE(!b.id.empty());
  scoped_network guard_b{b.id};

  auto ins = c.run(engine::op::network_inspect{.id = a.id});
  CHECK(ins.name == name + "-a");
  CHECK(ins.internal == true);
  REQUIRE(ins.labels);
  CHECK(ins.labels->at(test::test_label) == name);

  auto list = c.run(engine::op::network_list{.filters = label_filter(name)});
  CHECK(list.size() == 2);

  // A created (not started) container on network a, connected to b and disconnected again.
  auto spec = test::container_spec(name, {"true"});
  spec.body.host_config->network_mode = name + "-a";
  auto ctr = test::create(c, spec);
  engine::op::network_connect connect{.id = b.id};
  connect.body.container = ctr.id();
  c.run(connect);
  auto ci = c.run(engine::op::container_inspect{.id = ctr.id()});
  REQUIRE(ci.network_settings);
  REQUIRE(ci.network_settings->networks);
  CHECK(ci.network_settings->networks->count(name + "-b") == 1);
  engine::op::network_disconnect disconnect{.id = b.id};
  disconnect.body.container = ctr.id();
  c.run(disconnect);
  ci = c.run(engine::op::container_inspect{.id = ctr.id()});
  CHECK(ci.network_settings->networks->count(name + "-b") == 0);
  ctr.remove();

  c.run(engine::op::network_delete{.id = a.id});
  guard_a.id.clear();
  expect_error(c, engine::op::network_inspect{.id = a.id}, engine::error::not_found);

  auto pruned = c.run(engine::op::network_prune{.filters = label_filter(name)});
  REQUIRE(pruned.networks_deleted);
  CHECK(*pruned.networks_deleted == std::vector<std::string>{name + "-b"});
  guard_b.id.clear();
  CHECK(c.run(engine::op::network_list{.filters = label_filter(name)}).empty());
}

TEST_CASE("volume lifecycle: create, inspect, list, delete, prune") {
  const std::string name = test::unique_name("vol");
  auto c = test::docker();
  engine::op::volume_create create;
  create.body.name = name + "-a";
  create.body.labels = label_of(name);
  auto a = c.run(create);
  scoped_volume guard_a{name + "-a"};
  CHECK(a.name == name + "-a");
  CHECK(a.driver == "local");
  create.body.name = name + "-b";
  c.run(create);
  scoped_volume guard_b{name + "-b"};

  auto ins = c.run(engine::op::volume_inspect{.name = name + "-a"});
  REQUIRE(ins.labels.count(test::test_label) == 1);
  CHECK(ins.labels.at(test::test_label) == name);

  auto list = c.run(engine::op::volume_list{.filters = label_filter(name)});
  REQUIRE(list.volumes);
  CHECK(list.volumes->size() == 2);

  c.run(engine::op::volume_delete{.name = name + "-a"});
  guard_a.name.clear();
  expect_error(c, engine::op::volume_inspect{.name = name + "-a"}, engine::error::not_found);

  // On 1.41 prune removes every unused volume that matches (named ones too).
  auto pruned = c.run(engine::op::volume_prune{.filters = label_filter(name)});
  REQUIRE(pruned.volumes_deleted);
  CHECK(*pruned.volumes_deleted == std::vector<std::string>{name + "-b"});
  guard_b.name.clear();
  list = c.run(engine::op::volume_list{.filters = label_filter(name)});
  CHECK(list.volumes.value_or(std::vector<engine::volume>{}).empty());
}

TEST_CASE("VolumeUpdate is API 1.42: operation_unsupported on 1.41") {
  auto c = test::docker();
  berth::diagnostics d;
  std::error_code ec;
  c.run(engine::op::volume_update{.name = "berth-test-none", .version = 1}, ec, {.diag = &d});
  CHECK(ec == engine::error::operation_unsupported);
  CHECK(d.message.find("1.42") != std::string::npos);
}

TEST_CASE("swarm operations on a daemon outside a swarm: not_swarm_manager") {
  auto c = test::docker();
  auto check = [](const berth::diagnostics& d) {
    CHECK(d.status == 503);
    CHECK(!d.message.empty());
    MESSAGE(d.message);
  };
  check(expect_error(c, engine::op::swarm_inspect{}, engine::error::not_swarm_manager));
  check(expect_error(c, engine::op::node_list{}, engine::error::not_swarm_manager));
  check(expect_error(c, engine::op::service_list{}, engine::error::not_swarm_manager));
  check(expect_error(c, engine::op::task_list{}, engine::error::not_swarm_manager));
  check(expect_error(c, engine::op::secret_list{}, engine::error::not_swarm_manager));
  check(expect_error(c, engine::op::config_list{}, engine::error::not_swarm_manager));
}

TEST_CASE("session is unsupported by design") {
  auto c = test::docker();
  std::error_code ec;
  c.run(engine::op::session{}, ec);
  CHECK(ec == berth::errc::unsupported);
}

TEST_CASE("plugin list: none installed") {
  auto c = test::docker();
  CHECK(c.run(engine::op::plugin_list{}).empty());
}
