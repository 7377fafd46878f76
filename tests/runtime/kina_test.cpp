// Scenario S3, KINA (../shared/seeds/002): Kubernetes nodes as containers. A bridge
// network, a privileged systemd-ready node with hostname, env, a bind and a port, listed
// by its cluster label, exec, its IP, an image archive loaded, a node image built; on
// containerd the network, ports, systemd profile and build are refused by name and the
// node runs without them.
#include <fstream>

#include "runtime/support.hpp"

using namespace berth;
using namespace std::chrono_literals;
namespace rop = runtime::op;

TEST_CASE("kina: a cluster's nodes on each engine") {
  test::on_each_engine([](test::engine_case& c) {
    auto& rt = *c.rt;
    const auto cluster = test::unique("c");
    const auto net = "kina-" + cluster;
    berth::diagnostics d;
    std::error_code ec;

    // Not internal: dockerd publishes no ports on an internal network. The node runs
    // `sleep` only and sends nothing; the port is bound on 127.0.0.1.
    auto n = rt.run(rop::ensure_network{.name = net}, ec, test::with(d));
    if (c.docker()) {
      REQUIRE_MESSAGE(!ec, d.message);
      CHECK(n.created);
      auto again = rt.run(rop::ensure_network{.name = net});
      CHECK_FALSE(again.created);
      CHECK(again.id == n.id);
    } else {
      CHECK(ec == runtime::reason::unsupported);
      CHECK_MESSAGE(d.message.find("networks") != std::string::npos, d.message);
    }

    test::temp_dir manifests;
    std::ofstream(manifests.path / "kubeadm.yaml") << "kind: InitConfiguration\n";
    runtime::container_spec node;
    node.name = cluster + "-control-plane";
    node.image = c.image;
    node.cmd = {"sleep", "3600"};
    node.hostname = "control-plane";
    // Privileged on containerd. dockerd cannot start a privileged container on this
    // machine (it asks for every capability and this machine's bounding set lacks some:
    // "unable to apply caps"), so the Docker node runs unprivileged here.
    node.privileged = !c.docker();
    node.systemd = true;
    node.env = {"KUBECONFIG=/etc/kubernetes/admin.conf"};
    node.mounts = {{.type = runtime::mount::kind::bind, .source = manifests.path.string(), .target = "/kind", .read_only = true}};
    node.ports = {{.container = 6443, .host = 0}};
    node.network = runtime::network_mode::named;
    node.networks = {net};
    node.labels = {{"io.x-k8s.kind.cluster", cluster}, {"io.x-k8s.kind.role", "control-plane"}};

    d = {};
    ec.clear();
    auto made = rt.run(rop::ensure_container{.spec = node}, ec, test::with(d));
    if (!c.docker()) {
      // Refused before any call, every field named; then created without them.
      CHECK(ec == runtime::reason::unsupported);
      for (const char* what : {"network named", "ports", "systemd"})
        CHECK_MESSAGE(d.message.find(what) != std::string::npos, what << " in " << d.message);
      node.systemd = false;
      node.ports.clear();
      node.network = runtime::network_mode::none;
      node.networks.clear();
      made = rt.run(rop::ensure_container{.spec = node});
    } else {
      REQUIRE_MESSAGE(!ec, d.message);
    }
    CHECK(made.info.state == runtime::container_state::running);

    auto listed = rt.run(rop::list{.match = {{"io.x-k8s.kind.cluster", cluster}}});
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].id == made.info.id);
    CHECK(rt.run(rop::list{.match = {{"io.x-k8s.kind.cluster", cluster + "-other"}}}).empty());

    auto hello = rt.run(rop::exec{.id = made.info.id, .argv = {"echo", "hello"}});
    CHECK(hello.stdout_data == "hello\n");
    auto host = rt.run(rop::exec{.id = made.info.id, .argv = {"hostname"}});
    CHECK(host.stdout_data == "control-plane\n");
    auto cfg = rt.run(rop::exec{.id = made.info.id, .argv = {"cat", "/kind/kubeadm.yaml"}});
    CHECK(cfg.stdout_data == "kind: InitConfiguration\n");
    auto info = rt.run(rop::inspect{.id = made.info.id});
    CHECK(info.privileged == !c.docker());
    if (!c.docker()) {
      // Privileged: the host's devices are there.
      auto dev = rt.run(rop::exec{.id = made.info.id, .argv = {"sh", "-c", "test -e /dev/kmsg && echo yes"}});
      CHECK(dev.stdout_data == "yes\n");
    }
    if (c.docker()) {
      CHECK_FALSE(info.ips.empty());  // on the cluster network
      REQUIRE(info.ports.size() == 1);
      CHECK(info.ports[0].container == 6443);
      CHECK(info.ports[0].host != 0);
      // systemd's profile: its own /run and /tmp.
      auto mounts = rt.run(rop::exec{.id = made.info.id, .argv = {"sh", "-c", "grep -E ' /(run|tmp) ' /proc/mounts | sed 's/^[^ ]* [^ ]* \\([^ ]*\\).*/\\1/'"}});
      CHECK(mounts.stdout_data == "tmpfs\ntmpfs\n");
    } else {
      CHECK(info.ips.empty());
    }
    CHECK(rt.run(rop::remove{.id = made.info.id, .force = true}));
    if (c.docker()) CHECK(rt.run(rop::remove_network{.name = net}));
  });
}

TEST_CASE("kina: node images: an archive loads on both engines, a build only on Docker") {
  test::temp_dir dir;
  const auto archive = (dir.path / "node.tar").string();
  {
    // The archive, written through the runtime layer from Docker.
    runtime::client docker(engine::client(test::docker_endpoint()), test::test_options(test::unique("kina-save")));
    docker.run(rop::save_images{.refs = {test::registry_image()}, .path = archive});
  }
  REQUIRE(std::filesystem::file_size(archive) > 1000);
  test::on_each_engine([&](test::engine_case& c) {
    auto& rt = *c.rt;
    auto names = rt.run(rop::load_images{.path = archive});
    CHECK_MESSAGE(std::find(names.begin(), names.end(), test::registry_image()) != names.end(),
                  "loaded: " << names.size());
    auto e = rt.run(rop::ensure_image{.ref = test::registry_image(), .archive = archive});
    CHECK(e.origin == runtime::image_origin::present);

    test::temp_dir ctx;
    std::ofstream(ctx.path / "Dockerfile") << "FROM " << test::registry_image() << "\nRUN echo node > /node\n";
    berth::diagnostics d;
    std::error_code ec;
    auto built = rt.run(rop::ensure_image{.ref = test::unique("kina/node"), .build = runtime::image_build{.context_dir = ctx.path.string()}},
                        ec, test::with(d));
    if (c.docker()) {
      REQUIRE_MESSAGE(!ec, d.message);
      CHECK(built.origin == runtime::image_origin::built);
      auto r = rt.run(rop::run_one_shot{.spec = {.image = built.image.name, .cmd = {"cat", "/node"}}});
      CHECK(r.stdout_data == "node\n");
      CHECK(r.exit_code == 0);
    } else {
      CHECK(ec == runtime::reason::unsupported);
      CHECK_MESSAGE(d.message.find("image build") != std::string::npos, d.message);
      CHECK_FALSE(rt.capabilities().build);
    }
  });
}
