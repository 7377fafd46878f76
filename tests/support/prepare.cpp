// berth-prepare: makes the test image exist in the real dockerd, through the library.
// Imports $BERTH_TEST_ROOTFS (a busybox rootfs tar built by scripts/engines) as
// $BERTH_TEST_IMAGE (default berth-test/busybox:latest) with POST /images/create?fromSrc=-,
// streaming the tar as a chunked request body. Does nothing when the image is there.
#include <cstdio>
#include <fstream>
#include <string>

#include "berth/engine/client.hpp"
#include "berth/engine/error.hpp"
#include "berth/http/client.hpp"
#include "berth/io/json_lines.hpp"
#include "support/daemons.hpp"

int main() {
  using namespace berth;
  std::string image = test::test_image();
  std::string rootfs = test::engine_env("BERTH_TEST_ROOTFS", "/var/tmp/berth/busybox-rootfs.tar");
  auto colon = image.rfind(':');
  std::string repo = image.substr(0, colon), tag = colon == std::string::npos ? "latest" : image.substr(colon + 1);

  http::client c(test::docker_endpoint());
  std::error_code ec;
  http::request probe;
  probe.target = "/v1.41/images/" + http::url_encode(image) + "/json";
  auto r = c.perform(probe, {}, ec);
  if (ec) {
    std::fprintf(stderr, "berth-prepare: dockerd: %s\n", ec.message().c_str());
    return 1;
  }
  if (r.status == 200) {
    std::printf("berth-prepare: %s present\n", image.c_str());
    return 0;
  }
  std::ifstream in(rootfs, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "berth-prepare: cannot read %s\n", rootfs.c_str());
    return 1;
  }
  http::request req;
  req.method = "POST";
  req.target = "/v1.41/images/create?fromSrc=-&repo=" + http::url_encode(repo) + "&tag=" + http::url_encode(tag);
  req.headers.set("Content-Type", "application/x-tar");
  auto w = c.begin(req, {}, ec);
  char buf[64 * 1024];
  while (!ec && in) {
    in.read(buf, sizeof buf);
    if (in.gcount() > 0) w.write(asio::buffer(buf, static_cast<std::size_t>(in.gcount())), ec);
  }
  if (ec) {
    std::fprintf(stderr, "berth-prepare: upload: %s\n", ec.message().c_str());
    return 1;
  }
  auto answer = w.finish(ec);
  std::string body = ec ? std::string() : answer.read_all(1 << 20, ec);
  if (ec || answer.status() != 200 || body.find("\"error") != std::string::npos) {
    std::fprintf(stderr, "berth-prepare: import failed (%s, status %u): %s\n",
                 ec ? ec.message().c_str() : "ok", answer.status(), body.c_str());
    return 1;
  }
  std::printf("berth-prepare: imported %s from %s\n", image.c_str(), rootfs.c_str());
  return 0;
}
