// A development stack brought up and down, as devstack does it (seed 004): one network
// per stack, a database and an API container ensured with a recreate policy (replaced
// only when their configuration changed), readiness awaited on a log line and an exec
// probe, a one-shot migration, the API's logs, and `down`: a sweep of everything the
// stack owns, by its labels. Run it twice: the second `up` reuses what is there.
//
//   berth-example-stack [--engine docker|containerd|auto] [--image REF] [up|down|up-down]
#include <cstdio>
#include <cstring>
#include <string>

#include "berth/runtime/runtime.hpp"

using namespace berth;
namespace rop = runtime::op;
using namespace std::chrono_literals;

namespace {

int up(runtime::client& rt, const std::string& image, const std::string& stack) {
  const bool networks = rt.capabilities().networks;
  if (networks) {
    auto n = rt.run(rop::ensure_network{.name = stack, .internal = true});
    std::printf("network %s: %s\n", stack.c_str(), n.created ? "created" : "present");
  }
  auto spec = [&](std::string name, std::string script) {
    runtime::container_spec s;
    s.name = stack + "-" + name;
    s.image = image;
    s.cmd = {"sh", "-c", std::move(script)};
    s.labels = {{"devstack.stack", stack}, {"devstack.service", name}};
    if (networks) {
      s.network = runtime::network_mode::named;
      s.networks = {stack};
    }
    return s;
  };
  auto db = rt.run(rop::ensure_container{.spec = spec("db", "echo db booting; sleep 1; echo ready to accept connections; exec sleep infinity"),
                                         .recreate = runtime::recreate::on_config_change});
  std::printf("db: %s\n", runtime::to_string(db.action));
  rt.run(rop::wait_ready{.id = db.info.id, .condition = runtime::until_log{.pattern = "ready to accept"}, .deadline = 60s});
  auto mig = rt.run(rop::run_one_shot{.spec = {.image = image, .cmd = {"sh", "-c", "echo migrations applied: 3"}}});
  std::printf("migrate: exit %lld, %s", static_cast<long long>(mig.exit_code), mig.stdout_data.c_str());
  auto api_spec = spec("api", "echo api listening; touch /tmp/up; exec sleep infinity");
  api_spec.env = {"DATABASE=" + stack + "-db"};
  api_spec.health = runtime::health_probe{.argv = {"test", "-f", "/tmp/up"}, .interval = 200ms};
  auto api = rt.run(rop::ensure_container{.spec = api_spec, .recreate = runtime::recreate::on_config_change});
  std::printf("api: %s\n", runtime::to_string(api.action));
  rt.run(rop::wait_ready{.id = api.info.id, .condition = runtime::until_healthy{}, .deadline = 60s});
  auto logs = rt.run(rop::follow_logs{.id = api.info.id, .follow = false});
  for (std::error_code ec;;) {
    auto line = logs.next_line(ec);
    if (ec) break;
    std::printf("api | %s\n", line.text.c_str());
  }
  auto running = rt.run(rop::list{.match = {{"devstack.stack", stack}}, .running_only = true});
  std::printf("%zu service(s) up\n", running.size());
  return running.size() == 2 ? 0 : 1;
}

int down(runtime::client& rt) {
  auto r = rt.run(rop::sweep{});
  std::printf("down: %zu container(s), %zu network(s), %zu volume(s), %zu image(s)\n", r.containers.size(),
              r.networks.size(), r.volumes.size(), r.images.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string engine = "auto", image = "127.0.0.1:5000/berth-test/busybox:latest", what = "up-down";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--engine") && i + 1 < argc) engine = argv[++i];
    else if (!std::strcmp(argv[i], "--image") && i + 1 < argc) image = argv[++i];
    else what = argv[i];
  }
  const std::string stack = "devstack-example";
  runtime::detect_options d;
  d.preference = runtime::parse_preference(engine).value_or(runtime::preference::auto_);
  d.options.owner = {.owner = "devstack", .session = stack};
  berth::diagnostics diag;
  auto found = runtime::detect(d, &diag);
  if (!found) {
    std::fprintf(stderr, "daemon-unreachable: %s\n", diag.message.c_str());
    return 1;
  }
  try {
    int status = 0;
    if (what == "up" || what == "up-down") status = up(found->client, image, stack);
    if (what == "up-down") status |= up(found->client, image, stack);  // the second up reuses
    if (what == "down" || what == "up-down") status |= down(found->client);
    return status;
  } catch (const berth::error& e) {
    std::fprintf(stderr, "%s: %s: %s\n", runtime::to_string(runtime::reason_of(e.code())), e.what(),
                 e.details().message.c_str());
    down(found->client);
    return 1;
  }
}
