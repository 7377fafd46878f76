// Kubernetes nodes as containers, as KINA creates them (seed 002): a cluster network,
// privileged systemd-ready nodes with a hostname, labels and a bind, found again by the
// cluster label, a command in each, their addresses, and the cluster deleted by label.
// On containerd (no CNI here) the network, published ports and the systemd profile are
// refused by name, and the nodes run without them: the program reads capabilities()
// first, as a portable caller should.
//
//   berth-example-kina-cluster [--engine docker|containerd|auto] [--image REF] [--nodes N] [--privileged yes|no]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

#include "berth/runtime/runtime.hpp"

using namespace berth;
namespace rop = runtime::op;

int main(int argc, char** argv) {
  std::string engine = "auto", image = "127.0.0.1:5000/berth-test/busybox:latest";
  int nodes = 2;
  bool privileged = true;  // what Kubernetes nodes need; --privileged no where the engine cannot
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--engine")) engine = argv[i + 1];
    else if (!std::strcmp(argv[i], "--image")) image = argv[i + 1];
    else if (!std::strcmp(argv[i], "--nodes")) nodes = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--privileged")) privileged = std::strcmp(argv[i + 1], "no") != 0;
  }
  runtime::detect_options d;
  d.preference = runtime::parse_preference(engine).value_or(runtime::preference::auto_);
  d.options.owner = {.owner = "kina"};
  berth::diagnostics diag;
  auto found = runtime::detect(d, &diag);
  if (!found) {
    std::fprintf(stderr, "RuntimeNotFound: %s\n", diag.message.c_str());
    return 1;
  }
  auto& rt = found->client;
  const auto caps = rt.capabilities();
  const std::string cluster = "kina-" + std::to_string(::getpid());
  const runtime::labels selector{{"io.x-k8s.kind.cluster", cluster}};
  int status = 0;
  try {
    if (caps.networks) rt.run(rop::ensure_network{.name = cluster, .internal = true});
    for (int n = 0; n < nodes; ++n) {
      runtime::container_spec node;
      node.name = cluster + (n == 0 ? "-control-plane" : "-worker" + std::to_string(n));
      node.image = image;
      node.cmd = {"sleep", "infinity"};
      node.hostname = n == 0 ? "control-plane" : "worker" + std::to_string(n);
      node.privileged = privileged;
      node.labels = selector;
      node.labels["io.x-k8s.kind.role"] = n == 0 ? "control-plane" : "worker";
      node.systemd = caps.systemd;
      if (caps.networks) {
        node.network = runtime::network_mode::named;
        node.networks = {cluster};
      }
      auto made = rt.run(rop::ensure_container{.spec = node});
      std::printf("node %s: %s\n", node.name.c_str(), runtime::to_string(made.action));
    }
    for (const auto& n : rt.run(rop::list{.match = selector})) {
      auto hello = rt.run(rop::exec{.id = n.id, .argv = {"sh", "-c", "echo hello from $(hostname)"}});
      std::printf("%s [%s] ip %s: %s", n.name.c_str(), n.labels.at("io.x-k8s.kind.role").c_str(),
                  n.ips.empty() ? "(none)" : n.ips.front().c_str(), hello.stdout_data.c_str());
      if (hello.exit_code != 0) status = 1;
    }
  } catch (const berth::error& e) {
    std::fprintf(stderr, "CreationFailed: %s: %s\n", e.what(), e.details().message.c_str());
    status = 1;
  }
  // delete cluster: everything carrying its label, then the network.
  std::error_code ec;
  auto gone = rt.run(rop::sweep{.match = selector}, ec);
  if (caps.networks) rt.run(rop::remove_network{.name = cluster}, ec);
  std::printf("deleted %zu node(s)\n", gone.containers.size());
  if (gone.containers.size() != static_cast<std::size_t>(nodes)) status = 1;
  return status;
}
