// Request encoding of the network, volume, swarm and plugin operations: each runs against
// a scripted HTTP server on a unix socket that records the raw request and answers with a
// canned body; the method, the versioned path, the query, the headers and the JSON body
// are checked. The client is pinned to API 1.41 (no ping).
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <utility>

#include "berth/engine/engine.hpp"
#include "support/fake_server.hpp"

using namespace berth;
using test::fake_server;
using test::step;

namespace {

std::string answer(std::string_view body, int status = 200) {
  return "HTTP/1.1 " + std::to_string(status) + " OK\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         std::string(body);
}

/// Runs op against a server answering body; returns the raw request and op's result.
template <class Op>
auto run_against(Op op, std::string_view body, int status = 200) {
  fake_server server([a = answer(body, status)](std::size_t) {
    return test::script{step::read_request(), step::write(a), step::close()};
  });
  engine::client_options o;
  o.version = engine::api_version{1, 41};
  engine::client c(server.endpoint(), o);
  berth::diagnostics d;
  std::error_code ec;
  auto r = c.run(std::move(op), ec, {.diag = &d});
  CHECK_MESSAGE(!ec, ec.message(), ": ", d.message);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  return std::pair{reqs[0], std::move(r)};
}

/// Runs op against a server answering body; returns the raw request.
template <class Op>
std::string request_of(Op op, std::string_view body = "{}", int status = 200) {
  return run_against(std::move(op), body, status).first;
}

std::string request_line(const std::string& raw) { return raw.substr(0, raw.find("\r\n")); }

std::string body_of(const std::string& raw) {
  auto p = raw.find("\r\n\r\n");
  return p == std::string::npos ? std::string() : raw.substr(p + 4);
}

bool has_header(const std::string& raw, std::string_view line) {
  return raw.find("\r\n" + std::string(line) + "\r\n") != std::string::npos;
}

}  // namespace

TEST_CASE("SwarmInit: POST /v1.41/swarm/init, JSON body, the node id as a JSON string") {
  engine::op::swarm_init op;
  op.body.listen_addr = "0.0.0.0:2377";
  op.body.advertise_addr = "192.0.2.1";
  op.body.force_new_cluster = false;
  fake_server server([](std::size_t) {
    return test::script{step::read_request(), step::write(answer("\"node-1\"\n")), step::close()};
  });
  engine::client c(server.endpoint(), {.version = engine::api_version{1, 41}});
  auto id = c.run(op);
  CHECK(id == "node-1");
  auto raw = server.requests().at(0);
  CHECK(request_line(raw) == "POST /v1.41/swarm/init HTTP/1.1");
  CHECK(has_header(raw, "Content-Type: application/json"));
  CHECK(body_of(raw) ==
        R"({"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"192.0.2.1","ForceNewCluster":false})");
}

TEST_CASE("ServiceCreate: X-Registry-Auth and the spec") {
  engine::op::service_create op;
  op.body.name = "web";
  op.body.labels = std::map<std::string, std::string>{{"a", "b"}};
  op.body.task_template = engine::task_spec{};
  op.body.task_template->container_spec = engine::task_spec_container_spec{};
  op.body.task_template->container_spec->image = "busybox";
  op.registry_auth = "eyJ1c2VybmFtZSI6ImEifQ==";
  auto raw = request_of(op, R"({"ID":"svc1"})", 201);
  CHECK(request_line(raw) == "POST /v1.41/services/create HTTP/1.1");
  CHECK(has_header(raw, "X-Registry-Auth: eyJ1c2VybmFtZSI6ImEifQ=="));
  CHECK(body_of(raw) ==
        R"({"Name":"web","Labels":{"a":"b"},"TaskTemplate":{"ContainerSpec":{"Image":"busybox"}}})");
}

TEST_CASE("ServiceCreate without registry auth sends no X-Registry-Auth") {
  engine::op::service_create op;
  op.body.name = "web";
  auto raw = request_of(op, R"({"ID":"svc1"})", 201);
  CHECK(raw.find("X-Registry-Auth") == std::string::npos);
}

TEST_CASE("SecretCreate: name, labels, base64 data; the id back") {
  engine::op::secret_create op;
  op.body.name = "s1";
  op.body.data = "aGVsbG8=";
  op.body.labels = std::map<std::string, std::string>{{"berth.test", "x"}};
  // The spec says IdResponse ({"Id":...}); moby sends {"ID":...}: names match as in Go.
  auto [raw, created] = run_against(op, R"({"ID":"sec1"})", 201);
  CHECK(created.id == "sec1");
  CHECK(request_line(raw) == "POST /v1.41/secrets/create HTTP/1.1");
  CHECK(body_of(raw) == R"({"Name":"s1","Labels":{"berth.test":"x"},"Data":"aGVsbG8="})");
}

TEST_CASE("ConfigCreate: the id back from the daemon's \"ID\"") {
  engine::op::config_create op;
  op.body.name = "c1";
  op.body.data = "aGVsbG8=";
  auto [raw, created] = run_against(op, R"({"ID":"cfg1"})", 201);
  CHECK(created.id == "cfg1");
  CHECK(request_line(raw) == "POST /v1.41/configs/create HTTP/1.1");
  CHECK(body_of(raw) == R"({"Name":"c1","Data":"aGVsbG8="})");
}

TEST_CASE("ConfigUpdate: the version in the query, the spec in the body") {
  engine::op::config_update op{.id = "cfg/1", .version = 42};
  op.body.name = "c1";
  op.body.labels = std::map<std::string, std::string>{{"k", "v"}};
  auto raw = request_of(op, "");
  CHECK(request_line(raw) == "POST /v1.41/configs/cfg%2F1/update?version=42 HTTP/1.1");
  CHECK(body_of(raw) == R"({"Name":"c1","Labels":{"k":"v"}})");
}

TEST_CASE("NodeUpdate: version and node spec") {
  engine::op::node_update op{.id = "n1", .version = 7};
  op.body.role = "worker";
  op.body.availability = "drain";
  auto raw = request_of(op, "");
  CHECK(request_line(raw) == "POST /v1.41/nodes/n1/update?version=7 HTTP/1.1");
  CHECK(body_of(raw) == R"({"Role":"worker","Availability":"drain"})");
}

TEST_CASE("PluginSet: a JSON array of strings") {
  engine::op::plugin_set op{.name = "vieux/sshfs:latest", .settings = {"DEBUG=1", "say \"hi\""}};
  auto raw = request_of(op, "", 204);
  CHECK(request_line(raw) == "POST /v1.41/plugins/vieux%2Fsshfs%3Alatest/set HTTP/1.1");
  CHECK(body_of(raw) == R"(["DEBUG=1","say \"hi\""])");
}

TEST_CASE("NetworkCreate: name, internal, labels") {
  engine::op::network_create op;
  op.body.name = "n";
  op.body.internal = true;
  op.body.labels = std::map<std::string, std::string>{{"berth.test", "x"}};
  auto raw = request_of(op, R"({"Id":"abc","Warning":""})", 201);
  CHECK(request_line(raw) == "POST /v1.41/networks/create HTTP/1.1");
  CHECK(body_of(raw) == R"({"Name":"n","Internal":true,"Labels":{"berth.test":"x"}})");
}

TEST_CASE("NetworkCreate: a 1.42 field is refused on 1.41 before sending") {
  fake_server server(std::vector<test::script>{});
  engine::client c(server.endpoint(), {.version = engine::api_version{1, 41}});
  engine::op::network_create op;
  op.body.name = "n";
  op.body.enable_ipv4 = true;
  std::error_code ec;
  c.run(op, ec);
  CHECK(ec == engine::error::field_unsupported);
  CHECK(server.requests_seen() == 0);
}

TEST_CASE("VolumeCreate: name, labels, driver options") {
  engine::op::volume_create op;
  op.body.name = "v";
  op.body.driver = "local";
  op.body.labels = std::map<std::string, std::string>{{"berth.test", "x"}};
  auto [raw, vol] = run_against(op,
                                R"({"Name":"v","Driver":"local","Mountpoint":"/var/lib/docker/volumes/v/_data",)"
                                R"("Labels":null,"Scope":"local","Options":null})",
                                201);
  CHECK(request_line(raw) == "POST /v1.41/volumes/create HTTP/1.1");
  CHECK(body_of(raw) == R"({"Name":"v","Driver":"local","Labels":{"berth.test":"x"}})");
  CHECK(vol.mountpoint == "/var/lib/docker/volumes/v/_data");
  CHECK(vol.labels.empty());  // null: the default
}

TEST_CASE("an answer lacking a required field is bad_response, the field named in diag") {
  fake_server server([](std::size_t) {
    return test::script{step::read_request(),
                        step::write(answer(R"({"Name":"v","Driver":"local"})", 201)), step::close()};
  });
  engine::client c(server.endpoint(), {.version = engine::api_version{1, 41}});
  engine::op::volume_create op;
  op.body.name = "v";
  std::error_code ec;
  berth::diagnostics d;
  c.run(op, ec, {.diag = &d});
  CHECK(ec == engine::error::bad_response);
  CHECK(d.message == "the daemon's answer lacks required field Mountpoint");
}

TEST_CASE("a list answer with an element lacking a required field names its index") {
  fake_server server([](std::size_t) {
    return test::script{
        step::read_request(),
        step::write(answer(R"([{"Path":"/a","Kind":0},{"Path":"/b"}])")), step::close()};
  });
  engine::client c(server.endpoint(), {.version = engine::api_version{1, 41}});
  std::error_code ec;
  berth::diagnostics d;
  c.run(engine::op::container_changes{.id = "c1"}, ec, {.diag = &d});
  CHECK(ec == engine::error::bad_response);
  CHECK(d.message == "the daemon's answer lacks required field [1].Kind");
}

TEST_CASE("list filters and flags are encoded in the query") {
  auto raw = request_of(engine::op::network_prune{.filters = {{"label", {"a=b"}}}});
  CHECK(request_line(raw) ==
        "POST /v1.41/networks/prune?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D HTTP/1.1");
  raw = request_of(engine::op::volume_delete{.name = "v", .force = true}, "", 204);
  CHECK(request_line(raw) == "DELETE /v1.41/volumes/v?force=1 HTTP/1.1");
  raw = request_of(engine::op::service_list{.status = true}, "[]");
  CHECK(request_line(raw) == "GET /v1.41/services?status=1 HTTP/1.1");
}

TEST_CASE("VolumeUpdate on 1.41: operation_unsupported without a request") {
  fake_server server(std::vector<test::script>{});
  engine::client c(server.endpoint(), {.version = engine::api_version{1, 41}});
  std::error_code ec;
  c.run(engine::op::volume_update{.name = "v", .version = 1}, ec);
  CHECK(ec == engine::error::operation_unsupported);
  CHECK(server.requests_seen() == 0);
}

TEST_CASE("ImageAttestations (1.56): platform, repeated type, statement; typed statements back") {
  fake_server server([](std::size_t) {
    return test::script{
        step::read_request(),
        step::write(answer(
            R"([{"Descriptor":{"mediaType":"application/vnd.in-toto+json","digest":"sha256:ab","size":12},)"
            R"("PredicateType":"https://slsa.dev/provenance/v0.2","Statement":{"_type":"x"}}])")),
        step::close()};
  });
  engine::client c(server.endpoint(), {.version = engine::api_version{1, 56}});
  auto got = c.run(engine::op::image_attestations{
      .name = "reg.example/app:1",
      .platform = R"({"os":"linux","architecture":"amd64"})",
      .types = {"https://slsa.dev/provenance/v0.2", "https://spdx.dev/Document"},
      .statement = true});
  REQUIRE(got.size() == 1);
  CHECK(got[0].predicate_type == "https://slsa.dev/provenance/v0.2");
  REQUIRE(got[0].descriptor);
  CHECK(got[0].descriptor->digest == "sha256:ab");
  CHECK(got[0].descriptor->size == 12);
  REQUIRE(got[0].statement);
  CHECK(got[0].statement->json == R"({"_type":"x"})");
  auto line = request_line(server.requests().at(0));
  // The name is one path segment, escaped (the daemon's router decodes it).
  CHECK(line.rfind("GET /v1.56/images/reg.example%2Fapp%3A1/attestations?", 0) == 0);
  CHECK(line.find("platform=%7B%22os%22%3A%22linux%22%2C%22architecture%22%3A%22amd64%22%7D") !=
        std::string::npos);
  CHECK(line.find("type=https%3A%2F%2Fslsa.dev%2Fprovenance%2Fv0.2&type=https%3A%2F%2Fspdx.dev%2FDocument") !=
        std::string::npos);
  CHECK(line.find("statement=1") != std::string::npos);
}

TEST_CASE("ImageAttestations is refused below API 1.56, before anything is sent") {
  fake_server server([](std::size_t) { return test::script{step::read_request(), step::close()}; });
  engine::client c(server.endpoint(), {.version = engine::api_version{1, 41}});
  std::error_code ec;
  berth::diagnostics d;
  c.run(engine::op::image_attestations{.name = "x"}, ec, {.diag = &d});
  CHECK(ec == engine::error::operation_unsupported);
  CHECK(d.message.find("1.56") != std::string::npos);
  CHECK(server.requests().empty());
}
