// Faults a real engine will not produce on cue, on a scripted fake daemon: a registry
// answering 503 twice (retried with backoff, then success), a missing tag (never
// retried), a daemon that accepts and never answers (detect gives up within its probe
// timeout, naming it), a dead DOCKER_HOST (an error, never a switch to another engine).
#include <doctest/doctest.h>

#include "berth/runtime/runtime.hpp"
#include "support/fake_server.hpp"

using namespace berth;
using namespace std::chrono_literals;
using test::fake_server;
using test::step;

namespace {

std::string answer(int status, const std::string& reason, const std::string& type, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

runtime::client client_of(const fake_server& s) {
  engine::client_options o;
  o.version = engine::api_version{1, 41};
  runtime::client_options ro;
  ro.pull_retry = {.attempts = 3, .first = 10ms, .factor = 2, .max = 100ms};
  return runtime::client(engine::client(s.endpoint(), o), ro);
}

}  // namespace

TEST_CASE("runtime fault: a pull answered 503 twice succeeds on the third attempt") {
  fake_server server([](std::size_t i) {
    if (i < 2)
      return test::script{step::read_head(),
                          step::write(answer(503, "Service Unavailable", "application/json",
                                             R"({"message":"registry busy"})")),
                          step::close()};
    if (i == 2)
      return test::script{step::read_head(),
                          step::write(answer(200, "OK", "application/json",
                                             "{\"status\":\"Pulling from x\",\"id\":\"latest\"}\n"
                                             "{\"status\":\"Pull complete\",\"id\":\"abc\"}\n")),
                          step::close()};
    return test::script{step::read_head(),
                        step::write(answer(200, "OK", "application/json",
                                           R"({"Id":"sha256:abc","RepoTags":["x:latest"],"Size":5})")),
                        step::close()};
  });
  auto rt = client_of(server);
  std::vector<runtime::pull_progress> seen;
  auto img = rt.run(runtime::op::pull_image{.ref = "x:latest", .on_progress = [&](const runtime::pull_progress& p) {
                                              seen.push_back(p);
                                            }});
  CHECK(img.id == "sha256:abc");
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 4);
  for (int i = 0; i < 3; ++i) CHECK(reqs[i].find("POST /v1.41/images/create?fromImage=x&tag=latest") == 0);
  CHECK_MESSAGE(reqs[3].find("GET /v1.41/images/x%3Alatest/json") == 0, reqs[3]);
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].status == "Pull complete");
  CHECK(seen[1].attempt == 3);
}

TEST_CASE("runtime fault: a missing tag is not retried") {
  fake_server server([](std::size_t) {
    return test::script{step::read_head(),
                        step::write(answer(404, "Not Found", "application/json",
                                           R"({"message":"manifest for x:nope not found"})")),
                        step::close()};
  });
  auto rt = client_of(server);
  std::error_code ec;
  berth::diagnostics d;
  call_options o;
  o.diag = &d;
  rt.run(runtime::op::pull_image{.ref = "x:nope"}, ec, o);
  CHECK(ec == runtime::reason::not_found);
  CHECK(d.message == "manifest for x:nope not found");
  CHECK(server.requests_seen() == 1);
}

TEST_CASE("runtime fault: the retries stop at the policy's attempts") {
  fake_server server([](std::size_t) {
    return test::script{step::read_head(),
                        step::write(answer(503, "Service Unavailable", "application/json", R"({"message":"down"})")),
                        step::close()};
  });
  auto rt = client_of(server);
  std::error_code ec;
  rt.run(runtime::op::pull_image{.ref = "x:1", .retry = runtime::retry_policy{.attempts = 2, .first = 1ms}}, ec);
  CHECK(ec == runtime::reason::unavailable);
  CHECK(server.requests_seen() == 2);
}

TEST_CASE("runtime fault: detect gives up on a daemon that never answers, naming it") {
  fake_server server([](std::size_t) { return test::script{step::read_head(), step::sleep(30s)}; });
  const auto host = server.endpoint().to_string();
  runtime::detect_options o;
  o.probe_timeout = 300ms;
  o.getenv = [&](std::string_view n) -> std::optional<std::string> {
    if (n == "DOCKER_HOST") return host;
    if (n == "CONTAINERD_ADDRESS") return std::string("/nonexistent/containerd.sock");
    return std::nullopt;
  };
  berth::diagnostics d;
  auto r = runtime::detect(o, &d);
  REQUIRE_FALSE(r);
  CHECK(r.error() == runtime::errc::no_engine);
  CHECK(r.error() == runtime::reason::unavailable);
  CHECK_MESSAGE(d.message.find("DOCKER_HOST is set") != std::string::npos, d.message);
  CHECK_MESSAGE(d.message.find("docker at " + host) != std::string::npos, d.message);
  // DOCKER_HOST names the engine: containerd was never tried.
  CHECK_MESSAGE(d.message.find("containerd") == std::string::npos, d.message);
}

TEST_CASE("runtime fault: a dead DOCKER_HOST is an error, not a switch") {
  runtime::detect_options o;
  o.getenv = [](std::string_view n) -> std::optional<std::string> {
    if (n == "DOCKER_HOST") return std::string("unix:///nonexistent/docker.sock");
    return std::nullopt;
  };
  berth::diagnostics d;
  auto r = runtime::detect(o, &d);
  REQUIRE_FALSE(r);
  CHECK(r.error() == runtime::errc::no_engine);
  CHECK_MESSAGE(d.message.find("unix:///nonexistent/docker.sock") != std::string::npos, d.message);
  o.preference = runtime::preference::containerd;
  o.containerd_address = "/nonexistent/containerd.sock";
  d = {};
  r = runtime::detect(o, &d);
  REQUIRE_FALSE(r);
  CHECK_MESSAGE(d.message.find("containerd at /nonexistent/containerd.sock: no socket there") != std::string::npos,
                d.message);
}
