// The fake apiserver through berth's real client, pool and bridge: the envelope checks in
// the server's order (EUID, route key, unknown route => no reply, in both observed
// behaviours), faults, the server-side validations APPLE.md states (each with the code the
// fake chose where APPLE.md is silent), libxpc's typed getters (an int64 signal reads as
// absent), and the non-container routes.
#include "fake/fake_apiserver.hpp"

#include <doctest/doctest.h>

#include <future>

#include "berth/apple/client.hpp"
#include "berth/apple/json.hpp"
#include "berth/apple/version.hpp"

using namespace berth::apple;
using namespace berth::apple::test;
using namespace std::chrono_literals;

namespace {

berth::call_options quick(berth::diagnostics* d = nullptr) {
  berth::call_options o;
  o.timeouts.total = 100ms;
  o.diag = d;
  return o;
}

op::container_create create_op(container_configuration c) {
  op::container_create o;
  o.config = std::move(c);
  o.kernel = test_kernel();
  return o;
}

}  // namespace

TEST_CASE("ping and capabilities") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  auto info = c.run(op::ping{});
  CHECK(info.api_server_version == "container-apiserver version 1.2.2 (build: release, commit: 0190097)");
  CHECK(info.app_root == "file:///fake/appRoot/");
  CHECK_FALSE(info.log_root);
  auto caps = capabilities_of(info).value();
  CHECK(caps.version.minor == 2);
  CHECK(caps.kernel_digest);
  CHECK(caps.tested_range);
}

TEST_CASE("an unregistered route gets no reply: the deadline ends the call") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  std::error_code ec;
  c.call(make_request("containerState"), ec, quick());  // declared, never registered
  CHECK(ec == berth::errc::timeout);
  c.run(op::ping{}, ec);  // the connection is still fine
  CHECK_FALSE(ec);
}

TEST_CASE("an unregistered route answered by an interruption: the ping probe says no_reply") {
  fake_options o;
  o.unknown_route = unknown_route_mode::interrupted;
  fake_apiserver fake(o);
  apiserver_client c(fake.make_transport());
  std::error_code ec;
  berth::diagnostics d;
  c.call(make_request("containerEvent"), ec, quick(&d));
  CHECK(ec == xpc_errc::no_reply);
  CHECK(d.message.find("1.2.2") != std::string::npos);
}

TEST_CASE("networkCreate is not registered before macOS 26") {
  fake_options o;
  o.macos26 = false;
  fake_apiserver fake(o);
  apiserver_client c(fake.make_transport());
  std::error_code ec;
  op::network_create n{"isolated", {}};
  n.config.name = "isolated";
  c.run(n, ec, quick());
  CHECK(ec == berth::errc::timeout);
}

TEST_CASE("the EUID check refuses everything") {
  fake_options o;
  o.peer_euid_matches = false;
  fake_apiserver fake(o);
  apiserver_client c(fake.make_transport());
  std::error_code ec;
  berth::diagnostics d;
  c.run(op::ping{}, ec, {{}, &d});
  CHECK(ec == errc::invalid_state);
  CHECK(d.message == "unauthorized request");
}

TEST_CASE("a request without a route key gets invalidArgument") {
  fake_apiserver fake;
  auto t = fake.make_transport();
  std::promise<message> p;
  message m;
  m.set_string("id", "web");
  t->send(service::apiserver, m, {}, [&](std::error_code ec, message r) {
    CHECK_FALSE(ec);
    p.set_value(std::move(r));
  });
  message r = p.get_future().get();
  berth::diagnostics d;
  CHECK(map_inband_error(*r.get_data("com.apple.container.xpc.error"), &d) == errc::invalid_argument);
}

TEST_CASE("a service name outside the namespace: connection_invalid") {
  fake_apiserver fake;
  xpc_transport_options o;
  o.apiserver_service = "com.apple.container.nothere";
  apiserver_client c(fake.make_transport(o));
  std::error_code ec;
  c.run(op::ping{}, ec);
  CHECK(ec == xpc_errc::connection_invalid);
  CHECK(is_unavailable(ec));
}

TEST_CASE("faults: no reply, interruption, service exit and restart") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  std::error_code ec;
  fake.inject("containerList", fault::no_reply, 1);
  c.run(op::container_list{}, ec, quick());
  CHECK(ec == berth::errc::timeout);
  c.run(op::container_list{}, ec);
  CHECK_FALSE(ec);

  // An interruption on a healthy apiserver reads as "route unknown" (Cider's observation).
  fake.inject("containerList", fault::interrupt, 1);
  c.run(op::container_list{}, ec);
  CHECK(ec == xpc_errc::no_reply);

  fake.inject("containerList", fault::service_exit, 1);
  c.run(op::container_list{}, ec);
  CHECK(ec == xpc_errc::connection_interrupted);  // the probe fails too
  c.run(op::ping{}, ec);
  CHECK(ec == xpc_errc::connection_interrupted);
  fake.restart();
  c.run(op::ping{}, ec);
  CHECK_FALSE(ec);
}

TEST_CASE("containerCreate validations") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  std::error_code ec;
  for (const std::string& bad : std::vector<std::string>{"a", "-web", "we b", std::string(64, 'a')}) {
    CAPTURE(bad);
    c.run(create_op(test_config(bad)), ec);
    CHECK(ec == errc::invalid_argument);  // the code is the fake's choice (FLAG 4)
  }
  c.run(create_op(test_config(std::string(63, 'a'))), ec);
  CHECK_FALSE(ec);
  c.run(create_op(test_config("w.e_b-1")), ec);
  CHECK_FALSE(ec);

  auto small = test_config("small");
  small.resources.memory_in_bytes = 200ull * 1024 * 1024 - 1;
  c.run(create_op(small), ec);
  CHECK(ec == errc::invalid_argument);
  small.resources.memory_in_bytes = 200ull * 1024 * 1024;
  c.run(create_op(small), ec);
  CHECK_FALSE(ec);

  c.run(create_op(test_config("web")), ec);
  CHECK_FALSE(ec);
  c.run(create_op(test_config("web")), ec);
  CHECK(ec == errc::exists);
  auto same_host = test_config("web2");
  same_host.networks[0].options.hostname = "web.test.";
  c.run(create_op(same_host), ec);
  CHECK(ec == errc::exists);

  // Required request keys, and payloads Swift's decoder refuses (DecodingError: "unknown").
  message no_config = make_request("containerCreate");
  no_config.set_data("kernel", to_json(test_kernel()).value());
  c.call(no_config, ec);
  CHECK(ec == errc::invalid_argument);
  message cache_string = make_request("containerCreate");
  std::string cfg = to_json(test_config("web3")).value();
  cfg.replace(cfg.find("\"mounts\":[]"), 11,
              R"("mounts":[{"type":{"volume":{"name":"v","format":"ext4","cache":"auto","sync":{"fsync":{}}}},"source":"/x","destination":"/d","options":[]}])");
  cache_string.set_data("containerConfig", cfg);
  cache_string.set_data("kernel", to_json(test_kernel()).value());
  berth::diagnostics d;
  c.call(cache_string, ec, {{}, &d});
  CHECK(ec == errc::unknown);
  CHECK(d.message.find("mounts[0].type.volume.cache") != std::string::npos);
}

TEST_CASE("request keys read as libxpc's typed getters read them") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  std::error_code ec;
  c.run(create_op(test_config("web", {"sleep:5000"})), ec);
  REQUIRE_FALSE(ec);
  c.run(op::container_bootstrap{"web"}, ec);
  c.run(op::container_start_process{"web", "web"}, ec);
  REQUIRE_FALSE(ec);
  // ClientProcessImpl.kill's bug: signal as int64 reads as absent.
  message kill = make_request("containerKill");
  kill.set_string("id", "web");
  kill.set_string("processIdentifier", "web");
  kill.set_int64("signal", 9);
  c.call(kill, ec);
  CHECK(ec == errc::invalid_argument);
  c.run(op::container_kill{"web", "web", "NOSUCHSIG"}, ec);
  CHECK(ec == errc::invalid_argument);
  // stopOptions is required.
  message stop = make_request("containerStop");
  stop.set_string("id", "web");
  c.call(stop, ec);
  CHECK(ec == errc::invalid_argument);
  // listFilters needs ids and labels.
  message list = make_request("containerList");
  list.set_data("listFilters", R"({"ids":[]})");
  c.call(list, ec);
  CHECK(ec == errc::unknown);
  c.run(op::container_kill{"web", "web", "KILL"}, ec);
  CHECK_FALSE(ec);
  CHECK(c.run(op::container_wait{"web", "web"}).exit_code == 137);
}

TEST_CASE("unknown ids are notFound") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  images_client ic(fake.make_transport());
  std::error_code ec;
  c.run(op::container_bootstrap{"ghost"}, ec);
  CHECK(ec == errc::not_found);
  CHECK(is_not_found(ec));
  c.run(op::container_wait{"ghost", "ghost"}, ec);
  CHECK(ec == errc::not_found);
  c.run(op::volume_inspect{"ghost"}, ec);
  CHECK(ec == errc::not_found);
  c.run(op::network_delete{"ghost"}, ec);
  CHECK(ec == errc::not_found);
  ic.run(op::content_get{"sha256:00"}, ec);
  CHECK(ec == errc::not_found);
  ic.run(op::image_tag{"ghost", "ghost2"}, ec);
  CHECK(ec == errc::not_found);
}

TEST_CASE("containerList filters: ids, status, label regexes") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  auto a = test_config("alpha");
  a.labels = {{"io.kina.cluster", "kina"}};
  auto m = test_config("machine1");
  m.labels = {{"com.apple.container.plugin", "machine"}};
  c.run(create_op(a));
  c.run(create_op(m));
  c.run(create_op(test_config("plain")));
  CHECK(c.run(op::container_list{}).size() == 3);
  CHECK(c.run(op::container_list{container_list_filters{}}).size() == 3);  // ids [] means all
  auto by_id = c.run(op::container_list{container_list_filters{{"plain"}, {}, {}}});
  REQUIRE(by_id.size() == 1);
  CHECK(by_id[0].configuration.id == "plain");
  CHECK(by_id[0].status == runtime_status::stopped);  // created: reported stopped (fake, FLAG 7)
  CHECK(c.run(op::container_list{container_list_filters{{}, runtime_status::running, {}}}).empty());
  auto kina = c.run(op::container_list{container_list_filters{{}, {}, {{"io.kina.cluster", "^kina$"}}}});
  REQUIRE(kina.size() == 1);
  CHECK(kina[0].configuration.id == "alpha");
  // The CLI's machine exclusion: a missing label is matched as "" (fake, FLAG 8).
  auto not_machines = c.run(op::container_list{container_list_filters{{}, {}, {{"com.apple.container.plugin", "^(?!machine$)"}}}});
  CHECK(not_machines.size() == 2);
}

TEST_CASE("kernels, networks, volumes, disk usage, plugins") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  std::error_code ec;
  CHECK(c.run(op::get_default_kernel{}) == test_kernel());
  c.run(op::get_default_kernel{{"linux", "amd64"}}, ec);
  CHECK(ec == errc::not_found);
  c.run(op::install_kernel{"/k/vmlinux-amd64", {"linux", "amd64"}, false, {}, {}});
  CHECK(c.run(op::get_default_kernel{{"linux", "amd64"}}).path == "file:///k/vmlinux-amd64");
  c.run(op::install_kernel{"/k/other", {"linux", "amd64"}, false, {}, {}}, ec);
  CHECK(ec == errc::exists);

  auto nets = c.run(op::network_list{});
  REQUIRE(nets.size() == 1);
  CHECK(nets[0].status.ipv4_gateway == "192.168.64.1");
  op::network_create n{"isolated", {}};
  n.config.name = "isolated";
  n.config.mode = network_mode::host_only;
  n.config.ipv4_subnet = "10.0.9.0/24";
  auto res = c.run(n);
  CHECK(res.status.ipv4_gateway == "10.0.9.1");
  CHECK(c.run(op::network_list{}).size() == 2);
  c.run(op::network_delete{"isolated"});
  c.run(op::network_delete{"default"}, ec);
  CHECK(ec == errc::invalid_state);

  auto v = c.run(op::volume_create{"data", "local", {}, {{"k", "v"}}});
  CHECK(v.format == "ext4");
  CHECK(v.labels.at("k") == "v");
  c.run(op::volume_create{"data", "local", {}, {}}, ec);
  CHECK(ec == errc::exists);
  message bad_labels = make_request("volumeCreate");
  bad_labels.set_string("volumeName", "x");
  bad_labels.set_data("volumeLabels", "[1]");
  c.call(bad_labels, ec);
  CHECK(ec == errc::invalid_argument);  // a DecodingError mentioning Volume
  CHECK(c.run(op::volume_list{}).size() == 1);
  CHECK(c.run(op::volume_inspect{"data"}).name == "data");
  CHECK(c.run(op::volume_disk_usage{"data"}) == 0u);
  c.run(op::volume_delete{"data"});
  CHECK(c.run(op::volume_list{}).empty());

  CHECK(c.run(op::system_disk_usage{}).volumes.total == 0u);
  CHECK(c.run(op::plugin_list{}).text == "[]");
  c.run(op::plugin_get{"x"}, ec);
  CHECK(ec == errc::not_found);
}
