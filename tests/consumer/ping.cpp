// The consumer program of tests/consumer: a program that uses only the Docker Engine API.
// It pings the dockerd of the environment (DOCKER_HOST, else the Docker context, else
// /var/run/docker.sock) through berth::engine::client and prints the API version.
// Exit status: 0 when the daemon answered, 77 when it cannot be reached, 1 otherwise.
#include <chrono>
#include <cstdio>
#include <system_error>

#include "berth/engine/client.hpp"
#include "berth/engine/op/system.hpp"

int main() {
  berth::engine::client_options opts;
  opts.http.defaults.connect = std::chrono::seconds(5);
  opts.http.defaults.total = std::chrono::seconds(20);
  auto c = berth::engine::client::from_env(opts);
  if (!c) {
    std::fprintf(stderr, "berth-consumer: %s\n", c.error().message().c_str());
    return 1;
  }
  std::error_code ec;
  auto ping = c->run(berth::engine::op::system_ping{}, ec);
  if (ec) {
    std::fprintf(stderr, "berth-consumer: %s does not answer: %s\n",
                 c->endpoint().to_string().c_str(), ec.message().c_str());
    return 77;
  }
  std::printf("OK %s\n", ping.api.to_string().c_str());
  return 0;
}
