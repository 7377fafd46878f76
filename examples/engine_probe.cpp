// What a Go runtime package's Detect / ImageExists / PullImage / RunContainer /
// InspectSelf do (seed 001), through berth: the engine is found from the environment
// (DOCKER_HOST, DOCKER_CONTEXT, CONTAINERD_ADDRESS, CONTAINERD_NAMESPACE, the well-known
// sockets) with every probe bounded, and the choice explained; the image is pulled with
// progress when missing; a detached sibling is run from an image and command; and the
// process asks which container it is in.
//
//   berth-example-engine-probe [--engine docker|containerd|auto] [--image REF]
#include <cstdio>
#include <cstring>
#include <string>

#include "berth/runtime/runtime.hpp"

using namespace berth;
namespace rop = runtime::op;

int main(int argc, char** argv) {
  std::string engine = "auto", image = "127.0.0.1:5000/berth-test/busybox:latest";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--engine")) engine = argv[i + 1];
    else if (!std::strcmp(argv[i], "--image")) image = argv[i + 1];
  }
  auto pref = runtime::parse_preference(engine);
  if (!pref) {
    std::fprintf(stderr, "unknown engine %s: docker, containerd or auto\n", engine.c_str());
    return 2;
  }
  runtime::detect_options d;
  d.preference = *pref;
  d.probe_timeout = std::chrono::seconds(5);
  d.options.owner = {.owner = "engine-probe"};
  berth::diagnostics diag;
  auto found = runtime::detect(d, &diag);
  if (!found) {
    std::fprintf(stderr, "no engine: %s\n", diag.message.c_str());
    return 1;
  }
  std::printf("engine %s %s at %s: %s\n", runtime::to_string(found->ping.kind), found->ping.version.c_str(),
              found->endpoint.c_str(), found->why.c_str());
  for (const auto& p : found->probes) std::printf("  probe: %s\n", p.c_str());
  auto& rt = found->client;
  int status = 0;
  try {
    if (!rt.run(rop::image_exists{.ref = image})) {
      std::printf("pulling %s\n", image.c_str());
      rt.run(rop::pull_image{.ref = image, .on_progress = [](const runtime::pull_progress& p) {
        if (p.total) std::printf("  %s %s %lld/%lld\n", p.layer.c_str(), p.status.c_str(), static_cast<long long>(p.current),
                                 static_cast<long long>(p.total));
      }});
    }
    std::printf("image %s present\n", image.c_str());
    auto sib = rt.run(rop::ensure_container{.spec = {.image = image, .cmd = {"sleep", "30"}}});
    auto info = rt.run(rop::inspect{.id = sib.info.id});
    std::printf("sibling %s %s, runtime %s\n", info.id.substr(0, 12).c_str(), runtime::to_string(info.state),
                info.runtime.c_str());
    std::error_code ec;
    auto self = rt.run(rop::inspect_self{}, ec);
    if (ec == runtime::errc::not_in_container) std::printf("this process runs on the host, in no container\n");
    else if (!ec) std::printf("this process runs in %s (%s)\n", self.name.c_str(), self.image.c_str());
    else status = 1;
    rt.run(rop::remove{.id = sib.info.id, .force = true});
  } catch (const berth::error& e) {
    std::fprintf(stderr, "failed: %s: %s\n", e.what(), e.details().message.c_str());
    status = 1;
  }
  return status;
}
