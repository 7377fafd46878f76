// The consumer program of tests/consumer: GET /_ping on the dockerd of the environment
// (DOCKER_HOST, else /var/run/docker.sock) through berth, and print the body.
// Exit status: 0 for 200 "OK", 77 when the daemon cannot be reached, 1 otherwise.
#include <chrono>
#include <cstdio>
#include <system_error>

#include "berth/http/client.hpp"
#include "berth/net/endpoint.hpp"

int main() {
  auto ep = berth::net::endpoint_from_env();
  if (!ep) {
    std::fprintf(stderr, "berth-consumer: DOCKER_HOST: %s\n", ep.error().message().c_str());
    return 1;
  }
  berth::http::client c(ep.value());
  berth::http::request req;
  req.target = "/_ping";
  berth::timeouts t;
  t.connect = std::chrono::seconds(5);
  t.total = std::chrono::seconds(20);
  std::error_code ec;
  auto r = c.perform(req, t, ec);
  if (ec) {
    std::fprintf(stderr, "berth-consumer: %s does not answer: %s\n",
                 c.endpoint().to_string().c_str(), ec.message().c_str());
    return 77;
  }
  std::printf("%s\n", r.body.c_str());
  if (r.status != 200 || r.body != "OK") {
    std::fprintf(stderr, "berth-consumer: GET /_ping answered %u\n", r.status);
    return 1;
  }
  return 0;
}
