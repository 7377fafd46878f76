// A Yocto build step, as a build runner like Smidr runs one (seed 003): the builder image
// pulled with retries, a build container created idempotently with the source tree bound
// read-only and a writable output folder, each step run as a non-root user with its
// output streamed as it comes and a timeout, then a graceful stop and a forced cleanup.
//
//   berth-example-yocto-step [--engine docker|containerd|auto] [--image REF] [--user USER]
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "berth/runtime/runtime.hpp"

using namespace berth;
namespace rop = runtime::op;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  // bitbake refuses to run as root: the steps run as this user (a name needs the image's
  // /etc/passwd; the test image has none, hence a number).
  std::string engine = "auto", image = "127.0.0.1:5000/berth-test/busybox:latest", user = "1000:1000";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--engine")) engine = argv[i + 1];
    else if (!std::strcmp(argv[i], "--image")) image = argv[i + 1];
    else if (!std::strcmp(argv[i], "--user")) user = argv[i + 1];
  }
  runtime::detect_options d;
  d.preference = runtime::parse_preference(engine).value_or(runtime::preference::auto_);
  d.options.owner = {.owner = "yocto-runner", .session = "job-" + std::to_string(::getpid())};
  d.options.pull_retry = {.attempts = 4, .first = 250ms};
  berth::diagnostics diag;
  auto found = runtime::detect(d, &diag);
  if (!found) {
    std::fprintf(stderr, "no engine: %s\n", diag.message.c_str());
    return 1;
  }
  auto& rt = found->client;

  char tmpl[] = "/tmp/yocto-src-XXXXXX";
  std::filesystem::path src = ::mkdtemp(tmpl);
  std::filesystem::permissions(src, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                        std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                        std::filesystem::perms::others_exec);
  std::ofstream(src / "local.conf") << "MACHINE = \"qemux86-64\"\n";
  std::filesystem::create_directories(src / "deploy");
  std::filesystem::permissions(src / "deploy", std::filesystem::perms::all);

  int status = 0;
  try {
    auto img = rt.run(rop::ensure_image{.ref = image, .on_progress = [](const runtime::pull_progress& p) {
      if (p.status == "Pull complete" || p.attempt > 1) std::printf("  pull: %s %s (attempt %d)\n", p.layer.c_str(), p.status.c_str(), p.attempt);
    }});
    std::printf("builder image %s (%s)\n", img.image.name.c_str(), img.origin == runtime::image_origin::present ? "present" : "pulled");

    runtime::container_spec builder;
    builder.name = "yocto-builder-" + std::to_string(::getpid());
    builder.image = image;
    builder.cmd = {"sleep", "infinity"};
    builder.mounts = {{.type = runtime::mount::kind::bind, .source = src.string(), .target = "/src", .read_only = true},
                      {.type = runtime::mount::kind::bind, .source = (src / "deploy").string(), .target = "/deploy"}};
    builder.stop_grace = 5s;
    auto c = rt.run(rop::ensure_container{.spec = builder});
    auto again = rt.run(rop::ensure_container{.spec = builder});  // idempotent: the same one
    std::printf("build container %s, then %s\n", runtime::to_string(c.action), runtime::to_string(again.action));

    for (const char* step : {"cat /src/local.conf", "for i in 1 2 3; do echo compile $i; done; echo image > /deploy/core-image.ext4",
                             "id -u"}) {
      std::printf("$ %s\n", step);
      auto r = rt.run(rop::exec{.id = c.info.id, .argv = {"sh", "-c", step}, .user = user, .timeout = 10min,
                                .on_output = [](io::stream_id, std::string_view data) { std::fwrite(data.data(), 1, data.size(), stdout); }});
      if (r.exit_code != 0 || r.timed_out) {
        std::printf("step failed: exit %lld%s\n", static_cast<long long>(r.exit_code), r.timed_out ? " (timed out)" : "");
        status = 1;
        break;
      }
    }
    std::printf("deployed: %s\n", std::filesystem::exists(src / "deploy/core-image.ext4") ? "core-image.ext4" : "nothing");
    if (!std::filesystem::exists(src / "deploy/core-image.ext4")) status = 1;
    auto st = rt.run(rop::stop{.id = c.info.id});
    std::printf("stopped (%s)\n", st.killed ? "killed after the grace period" : "on its own");
  } catch (const berth::error& e) {
    std::fprintf(stderr, "failed: %s: %s (%s)\n", e.what(), e.details().message.c_str(),
                 runtime::is_retryable(e.code()) ? "retryable" : "fatal");
    status = 1;
  }
  // Forced cleanup of everything this job made.
  std::error_code ec;
  auto swept = rt.run(rop::sweep{}, ec);
  std::printf("cleanup: %zu container(s)\n", swept.containers.size());
  std::filesystem::remove_all(src, ec);
  return status;
}
