// The route table and the request encoders / reply decoders of every route, against the
// hand-written route goldens (tests/apple/golden/routes): exact keys and xpc kinds per
// request, decoding of each reply, the error key winning over success keys, bad replies
// naming the key, containers absent meaning none.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

#include "berth/apple/json.hpp"
#include "berth/apple/routes.hpp"
#include "support/golden.hpp"
#include "wire.hpp"

using namespace berth::apple;
using berth::apple::test::compare_route_golden;
using berth::apple::test::dev_null;
using berth::apple::test::fixture;
using berth::apple::test::golden_dir;
using berth::apple::test::json_equal;
using berth::apple::test::message_from_golden;

namespace {

const std::string D = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

template <class T>
T fx(const char* name) {
  return parse<T>(fixture(name)).value();
}
template <class T>
std::vector<T> fx_list(const char* name) {
  return parse_array<T>(fixture(name)).value();
}

template <class Op>
void check_request(const Op& o) {
  auto m = wire::encode(o);
  REQUIRE(m);
  const std::string name = std::string(Op::route) + ".request.txt";
  const std::string diff = compare_route_golden(*m, name);
  CHECK_MESSAGE(diff.empty(), name << ":\n" << diff << dump(*m));
}

template <class Op>
typename Op::result_type decode_golden(const Op& o) {
  const message m = message_from_golden(std::string(Op::route) + ".reply.txt");
  berth::diagnostics d;
  auto r = wire::decode(o, m, &d);
  REQUIRE_MESSAGE(r, Op::route << ": " << r.error().message() << ": " << d.message);
  return *r;
}

template <class Op>
void check_empty_reply(const Op& o) {
  berth::diagnostics d;
  d.message = "stale";
  auto r = wire::decode(o, message{}, &d);
  CHECK_MESSAGE(r, Op::route);
  CHECK(d.message.empty());
}

}  // namespace

TEST_CASE("the route table") {
  CHECK(mach_service_name(service::apiserver) == "com.apple.container.apiserver");
  CHECK(mach_service_name(service::images) == "com.apple.container.core.container-core-images");
  CHECK(all_routes().size() == 45);
  CHECK(find_route("containerState") == nullptr);  // declared but never registered
  CHECK(find_route("containerEvent") == nullptr);
  CHECK(find_route("containerList")->default_timeout == std::chrono::seconds(10));
  CHECK(find_route("containerCopyIn")->default_timeout == std::chrono::seconds(300));
  CHECK(find_route("ping")->default_timeout == std::chrono::seconds(60));
  CHECK(find_route("containerWait")->default_timeout.count() == 0);
  CHECK(find_route("containerWait")->dedicated_connection);
  CHECK(find_route("imagePull")->service_id == service::images);
  CHECK_FALSE(find_route("containerCreate")->read_only);
  // Every op names a route of the table, on its service; every route has one op.
  std::set<std::string> ops;
#define CHECK_OP(name)                                                   \
  {                                                                      \
    const route_info* r = find_route(op::name::route);                   \
    REQUIRE_MESSAGE(r, #name);                                           \
    CHECK(r->service_id == op::name::service_id);                        \
    ops.insert(std::string(op::name::route));                            \
  }
  BERTH_APPLE_APISERVER_OPS(CHECK_OP)
  BERTH_APPLE_IMAGES_OPS(CHECK_OP)
#undef CHECK_OP
  for (const auto& r : all_routes()) CHECK_MESSAGE(ops.count(std::string(r.name)) == 1, r.name);
  // ... and a request golden.
  for (const auto& r : all_routes())
    CHECK_MESSAGE(std::filesystem::exists(golden_dir() + "/routes/" + std::string(r.name) + ".request.txt"), r.name);
}

TEST_CASE("apiserver requests and replies") {
  auto ping = decode_golden(op::ping{});
  check_request(op::ping{});
  CHECK(ping.api_server_version == "container-apiserver version 1.3.0 (build: release, commit: d6de569)");
  CHECK(ping.log_root == "/Users/u/Library/Logs/container");
  CHECK(ping.api_server_app_name == "container-apiserver");

  check_request(op::container_list{container_list_filters{}});
  CHECK(decode_golden(op::container_list{}) == fx_list<container_snapshot>("container_snapshot.list.json"));

  op::container_create create;
  create.config = fx<container_configuration>("container_configuration.json");
  create.kernel = fx<kernel>("kernel.json");
  create.options = container_create_options{true, std::nullopt};
  create.init_image = "ghcr.io/apple/containerization/vminit:test";
  check_request(create);
  check_empty_reply(create);

  op::container_bootstrap boot{"web", {{}, dev_null(), dev_null()}, string_map{{"K", "V"}, {"PATH", "/bin"}}};
  check_request(boot);
  check_empty_reply(boot);

  op::container_create_process exec{"web", "3f6c2a1e-8b1d-4c5e-9f0a-2b7d4e6f8a90",
                                    fx<process_configuration>("process_configuration.json"),
                                    {dev_null(), dev_null(), {}}};
  check_request(exec);
  check_request(op::container_start_process{"web", "web"});
  check_request(op::container_wait{"web", "web"});
  auto w = decode_golden(op::container_wait{"web", "web"});
  CHECK(w.exit_code == 0);
  CHECK(w.exited_at.unix_ns == 1754042400000000000);
  check_request(op::container_kill{"web", "web", "SIGTERM"});
  check_request(op::container_resize{"web", "web", 80, 24});
  check_request(op::container_stop{"web", container_stop_options{30, "SIGINT"}});
  check_request(op::container_delete{"web", true});
  check_request(op::container_logs{"web"});
  auto logs = decode_golden(op::container_logs{"web"});
  CHECK(logs.stdio_log.get() >= 0);
  CHECK(logs.boot_log.get() >= 0);
  check_request(op::container_dial{"web", 5000});
  CHECK(decode_golden(op::container_dial{"web", 5000}).get() >= 0);
  check_request(op::container_stats{"web"});
  CHECK(decode_golden(op::container_stats{"web"}) == fx<container_stats>("container_stats.json"));
  check_request(op::container_disk_usage{"web"});
  CHECK(decode_golden(op::container_disk_usage{"web"}) == 1048576u);
  check_request(op::container_copy_in{"web", "/Users/u/file.txt", "/tmp/file.txt", 0644, true});
  check_request(op::container_copy_out{"web", "/tmp/file.txt", "/Users/u/file.txt", false});
  check_request(op::container_export{"web", "/Users/u/web.tar"});
  check_request(op::get_default_kernel{});
  CHECK(decode_golden(op::get_default_kernel{}) == fx<kernel>("kernel.json"));
  check_request(op::install_kernel{"/Users/u/vmlinux", {}, false, "https://example.invalid/kernel.tar", D});
  check_request(op::network_create{"isolated", fx<network_configuration>("network_configuration.host_only.json")});
  CHECK(decode_golden(op::network_create{}) == fx<network_resource>("network_resource.json"));
  check_request(op::network_list{});
  CHECK(decode_golden(op::network_list{}) == fx_list<network_resource>("network_resource.list.json"));
  check_request(op::network_delete{"isolated"});
  check_request(op::volume_create{"v", "local", string_map{{"K", "V"}, {"PATH", "/bin"}}, {}});
  CHECK(decode_golden(op::volume_create{}) == fx<volume_configuration>("volume_configuration.json"));
  check_request(op::volume_list{});
  CHECK(decode_golden(op::volume_list{}) == fx_list<volume_configuration>("volume_configuration.list.json"));
  check_request(op::volume_inspect{"v"});
  CHECK(decode_golden(op::volume_inspect{"v"}) == fx<volume_configuration>("volume_configuration.json"));
  check_request(op::volume_delete{"v"});
  check_request(op::volume_disk_usage{"v"});
  CHECK(decode_golden(op::volume_disk_usage{"v"}) == 536870912u);
  check_request(op::system_disk_usage{});
  CHECK(decode_golden(op::system_disk_usage{}) == fx<disk_usage_stats>("disk_usage_stats.json"));
  check_request(op::plugin_list{});
  CHECK(json_equal(decode_golden(op::plugin_list{}).text, R"([{"name":"container-network-vmnet"}])"));
  check_request(op::plugin_get{"container-network-vmnet"});
  CHECK(json_equal(decode_golden(op::plugin_get{}).text, R"({"name":"container-network-vmnet"})"));
  check_request(op::plugin_load{"container-network-vmnet"});
  check_request(op::plugin_unload{"container-network-vmnet"});
  check_request(op::plugin_restart{"container-network-vmnet"});
}

TEST_CASE("images requests and replies") {
  const auto alpine = fx<image_description>("image_description.json");
  const platform arm64{"linux", "arm64", std::nullopt};
  check_request(op::image_list{});
  CHECK(decode_golden(op::image_list{}) == fx_list<image_description>("image_description.list.json"));
  check_request(op::image_pull{"docker.io/library/alpine:latest", arm64, false, 3});
  CHECK(decode_golden(op::image_pull{}) == alpine);
  check_request(op::image_push{"docker.io/library/alpine:latest", std::nullopt, false});
  check_request(op::image_tag{"docker.io/library/alpine:latest", "docker.io/library/alpine:3"});
  CHECK(decode_golden(op::image_tag{}) == alpine);
  check_request(op::image_delete{"docker.io/library/alpine:latest", true});
  check_request(op::image_save{{alpine}, "/Users/u/alpine.tar", arm64});
  check_request(op::image_load{"/Users/u/alpine.tar", false});
  auto loaded = decode_golden(op::image_load{});
  CHECK(loaded.images == std::vector<image_description>{alpine});
  REQUIRE(loaded.rejected_members);
  CHECK(loaded.rejected_members->text == "[]");
  check_request(op::image_unpack{alpine, arm64});
  check_request(op::snapshot_get{alpine, arm64});
  CHECK(decode_golden(op::snapshot_get{}) == fx<filesystem>("filesystem.block.json"));
  check_request(op::snapshot_delete{alpine, arm64});
  check_request(op::content_get{D});
  CHECK(decode_golden(op::content_get{}).find("/content/blobs/sha256/e3b0") != std::string::npos);
}

TEST_CASE("wire rules: signal is a string, integer kinds, optional keys omitted") {
  auto kill = wire::encode(op::container_kill{"web", "web", "15"}).value();
  CHECK(kill.get_string("signal"));
  CHECK_FALSE(kill.get_int64("signal"));
  auto pull = wire::encode(op::image_pull{"r"}).value();
  CHECK(pull.get_int64("maxConcurrentDownloads") == 3);
  CHECK_FALSE(pull.contains("ociPlatform"));
  CHECK_FALSE(pull.contains("progressUpdateEndpoint"));
  auto dial = wire::encode(op::container_dial{"web", 22}).value();
  CHECK(dial.get_uint64("port") == 22u);
  auto list = wire::encode(op::container_list{}).value();
  CHECK(list.size() == 1);  // no listFilters: every container
  auto boot = wire::encode(op::container_bootstrap{"web"}).value();
  CHECK(boot.size() == 2);  // detached: no stdio keys
  op::container_create c;
  c.runtime_data = std::string("\x00\x01", 2);
  auto cm = wire::encode(c).value();
  CHECK(*cm.get_data("runtimeData") == std::string("\x00\x01", 2));
  // A payload that cannot be encoded fails the request.
  op::network_create n;
  n.config.creation_date.seconds = std::numeric_limits<double>::quiet_NaN();
  CHECK(wire::encode(n).error() == json_errc::invalid_value);
}

TEST_CASE("the error key wins over success keys, for every route") {
  message reply = message_from_golden("error.reply.txt");
  reply.set_int64("exitCode", 0);
  reply.set_data("containers", "[]");
#define CHECK_ERROR(name)                                                          \
  {                                                                                \
    berth::diagnostics d;                                                          \
    auto r = wire::decode(op::name{}, reply, &d);                                  \
    REQUIRE_FALSE_MESSAGE(r, #name);                                               \
    CHECK(r.error() == errc::not_found);                                           \
    CHECK(d.message == "container web not found");                                 \
    CHECK(d.request_id == op::name::route);                                        \
  }
  BERTH_APPLE_APISERVER_OPS(CHECK_ERROR)
  BERTH_APPLE_IMAGES_OPS(CHECK_ERROR)
#undef CHECK_ERROR
}

TEST_CASE("bad replies name the key") {
  berth::diagnostics d;
  auto r = wire::decode(op::container_wait{}, message{}, &d);
  CHECK(r.error() == xpc_errc::bad_reply);
  CHECK(d.message == "containerWait: reply key exitCode missing");
  message m;
  m.set_uint64("exitCode", 1);  // the daemon sends int64
  m.set_date("exitedAt", xpc_date{1});
  r = wire::decode(op::container_wait{}, m, &d);
  CHECK(r.error() == xpc_errc::bad_reply);
  CHECK(d.message == "containerWait: reply key exitCode is uint64, expected int64");
  message bad_json;
  bad_json.set_data("statistics", R"({"memoryUsageBytes":1})");
  auto s = wire::decode(op::container_stats{}, bad_json, &d);
  CHECK(s.error() == xpc_errc::bad_reply);
  CHECK(d.message.find("statistics JSON: id:") != std::string::npos);
  message logs;
  logs.set_array("logs", {value(dev_null())});
  CHECK(wire::decode(op::container_logs{}, logs, &d).error() == xpc_errc::bad_reply);
  message wrong_error;
  wrong_error.set_string("com.apple.container.xpc.error", "text");
  CHECK(wire::decode(op::ping{}, wrong_error, &d).error() == errc::unknown);
}

TEST_CASE("containerList: an absent containers key means none") {
  auto r = wire::decode(op::container_list{}, message{}, nullptr);
  REQUIRE(r);
  CHECK(r->empty());
  message m;
  m.set_data("containers", "[]");
  CHECK(wire::decode(op::container_list{}, m, nullptr)->empty());
}
