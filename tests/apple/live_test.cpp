// Against a live apiserver (macOS only: built when the libxpc transport is, -Dapple=enabled
// or auto on a Mac). Start one with `container system start`. When none answers within the
// deadline the test exits 77, which meson reports as skipped: this is the only apple test
// that can skip, and it is never built on Linux.
//
// It checks what a real apiserver must say to berth's codecs: ping (roots and version,
// decoded with every required key), containerList and imageList (each snapshot and image
// description decodes), and an unknown route (no reply: the client's deadline ends it).
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "berth/apple/client.hpp"
#include "berth/apple/error.hpp"
#include "berth/apple/transport.hpp"
#include "berth/apple/message.hpp"
#include "berth/core/error.hpp"

using namespace std::chrono_literals;
namespace apple = berth::apple;

namespace {
int failures = 0;
void check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAIL", what);
  if (!ok) ++failures;
}
}  // namespace

int main() {
  auto t = apple::make_xpc_transport();
  if (!t) {
    std::printf("FAIL: make_xpc_transport: %s\n", t.error().message().c_str());
    return 1;
  }
  apple::apiserver_client api(*t);
  berth::call_options quick;
  quick.timeouts.total = 5s;
  std::error_code ec;
  auto info = api.run(apple::op::ping{}, ec, quick);
  if (ec) {
    std::printf("SKIP: no apiserver answers (%s); run `container system start`\n", ec.message().c_str());
    return 77;
  }
  check(!info.api_server_version.empty(), "ping: apiServerVersion");
  check(info.app_root.rfind("file://", 0) == 0, "ping: appRoot is a file URL");
  std::printf("apiserver: %s\n", info.api_server_version.c_str());

  auto containers = api.run(apple::op::container_list{}, ec, quick);
  check(!ec, "containerList decodes");
  std::printf("containers: %zu\n", containers.size());

  apple::images_client images(*t);
  auto list = images.run(apple::op::image_list{}, ec, quick);
  check(!ec, "imageList decodes");
  std::printf("images: %zu\n", list.size());

  berth::call_options short_deadline;
  short_deadline.timeouts.total = 2s;
  api.call(apple::make_request("berthNoSuchRoute"), ec, short_deadline);
  check(ec == berth::errc::timeout || ec == apple::xpc_errc::no_reply, "an unknown route gets no reply");

  std::printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
