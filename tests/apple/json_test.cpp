// The payload codecs, rule by rule (APPLE.md §1.7): camelCase keys, reference dates,
// single-key enum objects with {} for payload-free cases, strings rejected where objects
// are due (with the coding path), optionals omitted, every other key written, strict and
// tolerant decoders, integer ranges, the depth limit, unknown keys.
#include "berth/apple/json.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "support/golden.hpp"

using namespace berth::apple;
using berth::apple::test::json_equal;

namespace {
const char* minimal_process =
    R"({"executable":"/e","arguments":[],"environment":[],"workingDirectory":"/","terminal":false,)"
    R"("user":{"id":{"uid":0,"gid":0}},"supplementalGroups":[],"rlimits":[]})";
}

TEST_CASE("rule 1: keys are the Swift property names") {
  process_configuration p;
  p.executable = "/bin/true";
  p.working_directory = "/";
  p.supplemental_groups = {1};
  auto j = to_json(p);
  REQUIRE(j);
  CHECK(j->find("\"workingDirectory\":\"/\"") != std::string::npos);
  CHECK(j->find("\"supplementalGroups\":[1]") != std::string::npos);
  CHECK(j->find("working_directory") == std::string::npos);
}

TEST_CASE("rule 2: dates are seconds since 2001-01-01, exact round trip") {
  reference_date zero{0};
  const auto tp = zero.to_time_point();
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(tp.time_since_epoch()).count() == 978307200);
  CHECK(reference_date::from(tp).seconds == 0.0);

  volume_configuration v;
  v.name = "v";
  v.creation_date.seconds = 809330969.025174;  // a live sample (Cider)
  auto j = to_json(v);
  REQUIRE(j);
  CHECK(j->find("\"creationDate\":809330969.025174") != std::string::npos);
  auto back = parse<volume_configuration>(*j);
  REQUIRE(back);
  CHECK(back->creation_date.seconds == 809330969.025174);

  auto n = parse<network_configuration>(R"({"name":"n","creationDate":0,"mode":"nat"})");
  REQUIRE(n);
  CHECK(n->creation_date.seconds == 0.0);
  v.creation_date.seconds = std::numeric_limits<double>::infinity();
  CHECK(to_json(v).error() == json_errc::invalid_value);
}

TEST_CASE("rule 3: single-key enum objects, payload-free cases as {}") {
  filesystem f;
  f.type = fs_volume{"v", "ext4", cache_mode::on, sync_mode::fsync};
  f.source = "/img";
  f.destination = "/data";
  auto j = to_json(f);
  REQUIRE(j);
  CHECK(json_equal(*j, R"({"type":{"volume":{"name":"v","format":"ext4","cache":{"on":{}},"sync":{"fsync":{}}}},
                           "source":"/img","destination":"/data","options":[]})"));
  f.type = fs_virtiofs{};
  CHECK(to_json(f)->find(R"("type":{"virtiofs":{}})") != std::string::npos);
  f.type = fs_tmpfs{};
  CHECK(to_json(f)->find(R"("type":{"tmpfs":{}})") != std::string::npos);

  process_configuration p;
  p.user = user_raw{"1000:1000"};
  CHECK(to_json(p)->find(R"("user":{"raw":{"userString":"1000:1000"}})") != std::string::npos);
  p.user = user_id{1, 2};
  CHECK(to_json(p)->find(R"("user":{"id":{"uid":1,"gid":2}})") != std::string::npos);
}

TEST_CASE("rule 3: a string where an enum object is due fails with its coding path") {
  // The "cache":"auto" that apple/container 1.2.0 rejected.
  std::string bad =
      R"({"mounts":[{"type":{"volume":{"name":"v","format":"ext4","cache":"auto","sync":{"fsync":{}}}},)"
      R"("source":"/x","destination":"/d","options":[]}],)"
      R"("id":"web","image":{"reference":"r","descriptor":{"mediaType":"m","digest":"d","size":1}},)"
      R"("initProcess":)" + std::string(minimal_process) + "}";
  std::string path;
  auto r = parse<container_configuration>(bad, path);
  CHECK(r.error() == json_errc::type_mismatch);
  CHECK(path == "mounts[0].type.volume.cache");

  path.clear();
  CHECK(parse<filesystem>(R"({"type":{"nfs":{}},"source":"s","destination":"d","options":[]})", path).error() ==
        json_errc::unknown_case);
  CHECK(path == "type");
  CHECK(parse<user>(R"({})").error() == json_errc::type_mismatch);  // zero keys (berth policy)
  CHECK(parse<user>(R"({"id":{"uid":0,"gid":0},"raw":{"userString":""}})").error() == json_errc::type_mismatch);
  // A payload-free case's payload must be an object.
  path.clear();
  CHECK(parse<filesystem>(R"({"type":{"tmpfs":true},"source":"s","destination":"d","options":[]})", path).error() ==
        json_errc::type_mismatch);
  CHECK(path == "type.tmpfs");
}

TEST_CASE("rule 4: string enums") {
  auto s = parse<container_list_filters>(R"({"ids":[],"labels":{},"status":"stopping"})");
  REQUIRE(s);
  CHECK(s->status == runtime_status::stopping);
  std::string path;
  CHECK(parse<container_list_filters>(R"({"ids":[],"labels":{},"status":"paused"})", path).error() ==
        json_errc::unknown_case);
  CHECK(path == "status");
  network_configuration n;
  n.name = "n";
  n.mode = network_mode::host_only;
  CHECK(to_json(n)->find(R"("mode":"hostOnly")") != std::string::npos);
  publish_port p;
  p.proto = publish_protocol::udp;
  CHECK(to_json(p)->find(R"("proto":"udp")") != std::string::npos);
}

TEST_CASE("rule 8: optionals omitted when unset, every other key written") {
  container_stop_options o;
  CHECK(*to_json(o) == R"({"timeoutInSeconds":5})");
  o.signal = "SIGKILL";
  CHECK(*to_json(o) == R"({"timeoutInSeconds":5,"signal":"SIGKILL"})");
  container_list_filters f;
  CHECK(*to_json(f) == R"({"ids":[],"labels":{}})");  // the §1.9 sketch's "every container"
  container_create_options c;
  CHECK(*to_json(c) == R"({"autoRemove":false})");
  // A tolerant type still writes every key.
  resources r;
  CHECK(*to_json(r) == R"({"cpus":4,"memoryInBytes":1073741824,"cpuOverhead":1})");
}

TEST_CASE("rule 8: strict decoders require every non-optional key, tolerant ones default") {
  std::string path;
  CHECK(parse<container_list_filters>(R"({"ids":[]})", path).error() == json_errc::missing_field);
  CHECK(path == "labels");
  CHECK(parse<container_stop_options>(R"({"timeoutInSeconds":null})", path).error() == json_errc::missing_field);
  auto r = parse<resources>("{}");
  REQUIRE(r);
  CHECK(r->cpus == 4);
  CHECK(r->memory_in_bytes == 1073741824u);
  CHECK(r->cpu_overhead == 1);
  CHECK_FALSE(r->storage);
  auto p = parse<publish_port>(R"({"hostAddress":"0.0.0.0","hostPort":1,"containerPort":2,"proto":"tcp"})");
  REQUIRE(p);
  CHECK(p->count == 1);
  // A defaulted key that is present must still have the right type.
  CHECK(parse<resources>(R"({"cpus":"4"})", path).error() == json_errc::type_mismatch);
  CHECK(path == "cpus");
  // Null counts as absent for optionals.
  auto pl = parse<platform>(R"({"os":"linux","architecture":"arm64","variant":null})");
  REQUIRE(pl);
  CHECK_FALSE(pl->variant);
}

TEST_CASE("integers: only JSON integers in the Swift type's range") {
  std::string path;
  CHECK(parse<publish_port>(R"({"hostPort":65535})"));
  CHECK(parse<publish_port>(R"({"hostPort":65536})", path).error() == json_errc::out_of_range);
  CHECK(path == "hostPort");
  CHECK(parse<rlimit>(R"({"limit":"l","soft":-1,"hard":0})").error() == json_errc::out_of_range);
  CHECK(parse<container_stop_options>(R"({"timeoutInSeconds":1.5})").error() == json_errc::out_of_range);
  CHECK(parse<container_stop_options>(R"({"timeoutInSeconds":2147483648})").error() == json_errc::out_of_range);
  CHECK(parse<container_stop_options>(R"({"timeoutInSeconds":-2147483648})"));
  auto big = parse<rlimit>(R"({"limit":"l","soft":18446744073709551615,"hard":0})");
  REQUIRE(big);
  CHECK(big->soft == 18446744073709551615ull);
  CHECK(parse<container_stop_options>(R"({"timeoutInSeconds":"5"})").error() == json_errc::type_mismatch);
}

TEST_CASE("top level, malformed input, depth limit, UTF-8") {
  CHECK(parse<platform>("[]").error() == json_errc::not_an_object);
  CHECK(parse<platform>("{").error() == json_errc::bad_json);
  CHECK(parse<platform>(R"({"os":"a","architecture":"b"} x)").error() == json_errc::bad_json);
  CHECK(parse_array<platform>("{}").error() == json_errc::not_an_array);
  std::string deep(300, '[');
  deep += std::string(300, ']');
  CHECK(parse<raw_json>(deep).error() == json_errc::bad_json);
  CHECK(parse<platform>("{\"os\":\"\xff\",\"architecture\":\"b\"}").error() == json_errc::bad_json);
  platform p{"\xff", "arm64", {}};
  CHECK(to_json(p).error() == json_errc::invalid_value);
  // A lone low surrogate escape is not UTF-8 (a fuzz finding: it decoded, then could not
  // be written back).
  CHECK(parse<raw_json>(R"({"a":"\udc00"})").error() == json_errc::bad_json);
  CHECK(parse<raw_json>(R"({"\udc00":1})").error() == json_errc::bad_json);
  CHECK(parse<raw_json>(R"({"a":"\ud83d\ude00"})"));  // a pair is fine
}

TEST_CASE("numbers keep their kind through a raw_json round trip") {
  // A fuzz finding: -3e-7444 underflows to -0.0, which must stay a double.
  auto r = parse<raw_json>(R"({"a":[2,2.5,-3e-7444,1e300]})");
  REQUIRE(r);
  CHECK(r->text == R"({"a":[2,2.5,-0.0,1e300]})");
  auto again = parse<raw_json>(to_json(*r).value());
  REQUIRE(again);
  CHECK(again->text == r->text);
}

TEST_CASE("unknown keys are ignored; arrays carry their index in the path") {
  auto d = parse<image_description>(
      R"({"reference":"r","descriptor":{"mediaType":"m","digest":"d","size":1,"extra":[1]},"future":1})");
  REQUIRE(d);
  CHECK(d->descriptor.size == 1);
  std::string path;
  auto l = parse_array<platform>(R"([{"os":"a","architecture":"b"},{"os":"a"}])", path);
  CHECK(l.error() == json_errc::missing_field);
  CHECK(path == "[1].architecture");
}

TEST_CASE("string maps, raw JSON and system platforms") {
  std::string path;
  CHECK(parse<string_map>(R"({"a":"1","b":2})", path).error() == json_errc::type_mismatch);
  CHECK(path == "b");
  auto raw = parse<raw_json>(R"( {"x" : [1, 2.5, "s"]} )");
  REQUIRE(raw);
  CHECK(raw->text == R"({"x":[1,2.5,"s"]})");
  CHECK(*to_json(*raw) == raw->text);
  CHECK(to_json(raw_json{"{"}).error() == json_errc::invalid_value);
  CHECK(parse<system_platform>(R"({"os":"darwin","architecture":"amd64"})"));
  CHECK(parse<system_platform>(R"({"os":"linux","architecture":"riscv64"})", path).error() == json_errc::unknown_case);
  CHECK(path == "architecture");
}

TEST_CASE("arrays of payloads encode and decode") {
  std::vector<platform> v{{"linux", "arm64", {}}, {"linux", "amd64", "v2"}};
  auto j = to_json(v);
  REQUIRE(j);
  CHECK(*j == R"([{"os":"linux","architecture":"arm64"},{"os":"linux","architecture":"amd64","variant":"v2"}])");
  auto back = parse_array<platform>(*j);
  REQUIRE(back);
  CHECK(*back == v);
}

TEST_CASE("the category") {
  std::error_code ec = json_errc::missing_field;
  CHECK(std::string(ec.category().name()) == "berth.apple.json");
  CHECK_FALSE(ec.message().empty());
}
