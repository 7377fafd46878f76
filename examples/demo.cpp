// berth-demo: runs a container through the Docker Engine API and streams its output as
// it comes, stdout to stdout and stderr to stderr, waits for it and removes it.
//
//   berth-demo                 berth-test/busybox:latest and a short script; exits 0 when
//                              all of that worked, whatever the container's exit code (it
//                              is printed)
//   berth-demo IMAGE [CMD...]  that image and command; exits with the container's code
//
// Exit 125 when berth or the engine failed (the error is printed).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

#include "berth/engine/engine.hpp"

int main(int argc, char** argv) {
  using namespace berth;
  namespace op = engine::op;
  std::string image = argc > 1 ? argv[1] : "berth-test/busybox:latest";
  std::vector<std::string> cmd;
  for (int i = 2; i < argc; ++i) cmd.emplace_back(argv[i]);
  if (cmd.empty())
    cmd = {"sh", "-c",
           "echo \"hello from $(hostname), a container berth started\"; "
           "for i in 1 2 3 4 5; do echo \"tick $i\"; sleep 0.3; done; "
           "echo 'this line goes to stderr' >&2"};
  const bool pass_code_through = argc > 1;

  try {
    auto docker = engine::client::from_env().value();
    auto ping = docker.run(op::system_ping{});
    std::fprintf(stderr, "berth-demo: dockerd at %s, API %s, %s\n",
                 docker.endpoint().to_string().c_str(), ping.api.to_string().c_str(),
                 ping.os_type.c_str());

    op::container_create create;
    create.body.image = image;
    create.body.cmd = cmd;
    create.body.attach_stdout = true;
    create.body.attach_stderr = true;
    create.body.labels = std::map<std::string, std::string>{{"berth.demo", "1"}};
    create.body.host_config = engine::host_config{};
    create.body.host_config->network_mode = "none";
    auto created = docker.run(create);
    std::string id = created.id;
    std::fprintf(stderr, "berth-demo: created %.12s from %s\n", id.c_str(), image.c_str());

    // Attach before start so no output is missed, then start and stream.
    auto out = docker.run(op::container_attach{.id = id, .tty = false});
    docker.run(op::container_start{.id = id});
    char buf[64 * 1024];
    for (;;) {
      std::error_code ec;
      auto chunk = out.read(asio::buffer(buf), ec);
      if (ec) break;
      int fd = chunk.stream == engine::stream_id::stderr_stream ? 2 : 1;
      if (::write(fd, buf, chunk.size) < 0) break;
    }
    auto waited = docker.run(op::container_wait{.id = id});
    docker.run(op::container_delete{.id = id, .force = true});
    int code = static_cast<int>(waited.status_code);
    std::fprintf(stderr, "berth-demo: container exited with %d; removed\n", code);
    return pass_code_through ? code : 0;
  } catch (const berth::error& e) {
    std::fprintf(stderr, "berth-demo: %s\n", e.what());
    return 125;
  }
}
