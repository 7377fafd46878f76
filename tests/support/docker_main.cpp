// main() for tests against the real dockerd: checks the daemon answers first. When it
// does not, the run fails if daemons are required (CI), else exits 77 (meson: skipped).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "berth/http/client.hpp"
#include "support/daemons.hpp"

int main(int argc, char** argv) {
  using namespace berth;
  std::error_code ec;
  http::client c(test::docker_endpoint());
  http::request req;
  req.target = "/_ping";
  auto r = c.perform(req, {.connect = std::chrono::seconds(5), .total = std::chrono::seconds(10)}, ec);
  if (ec || r.status != 200) {
    std::fprintf(stderr, "dockerd at %s does not answer: %s\n",
                 c.endpoint().to_string().c_str(), ec ? ec.message().c_str() : "bad status");
    if (test::daemons_required()) return 1;
    std::fprintf(stderr, "skipping (set BERTH_REQUIRE_DAEMONS=1 to fail instead)\n");
    return 77;
  }
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
