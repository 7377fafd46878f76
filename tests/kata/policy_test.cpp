// Every Kata policy rule, refused and passed, on engine-neutral settings and through the
// Docker create body; runtime names for the Docker Engine API. No daemon.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "berth/kata/kata.hpp"

using namespace berth::kata;
using berth::diagnostics;
namespace engine = berth::engine;
namespace net = berth::net;

namespace {

const runtime_choice kata_rt = runtime_choice::kata();

bool has(const std::vector<finding>& v, std::string_view setting) {
  return std::any_of(v.begin(), v.end(), [&](const finding& f) { return f.setting == setting; });
}

/// Expects exactly one refusal, of setting, with a source; returns it.
finding refused(const container_settings& s, std::string_view setting) {
  auto r = evaluate(s, kata_rt);
  REQUIRE(r.refusals.size() == 1);
  CHECK(r.refusals[0].setting == setting);
  CHECK_FALSE(r.refusals[0].source.empty());
  // The same settings pass under runc: only VM isolation brings the rules.
  CHECK(evaluate(s, runtime_choice::runc()).refusals.empty());
  return r.refusals[0];
}

/// Expects no refusal and a warning on setting.
finding warned(const container_settings& s, std::string_view setting) {
  auto r = evaluate(s, kata_rt);
  CHECK(r.ok());
  REQUIRE(has(r.warnings, setting));
  auto it = std::find_if(r.warnings.begin(), r.warnings.end(),
                         [&](const finding& f) { return f.setting == setting; });
  CHECK_FALSE(it->source.empty());
  CHECK(evaluate(s, runtime_choice::runc()).warnings.empty());
  return *it;
}

void passes(const container_settings& s) {
  auto r = evaluate(s, kata_rt);
  CHECK(r.refusals.empty());
  CHECK(r.warnings.empty());
}

}  // namespace

TEST_CASE("default settings pass cleanly") { passes(container_settings{}); }

TEST_CASE("network: host refused, joined refused, own namespace passes") {
  container_settings s;
  s.network.mode = sharing::host;
  auto f = refused(s, "network");
  CHECK(f.source.find("Host network") != std::string::npos);

  s.network = {sharing::joined, "web"};
  f = refused(s, "network");
  CHECK(f.message.find("web") != std::string::npos);
  CHECK(f.source.find("joining an existing VM network") != std::string::npos);

  s.network = {};
  passes(s);
}

TEST_CASE("links refused") {
  container_settings s;
  s.links = {"db:database"};
  auto f = refused(s, "links");
  CHECK(f.message.find("db:database") != std::string::npos);
  CHECK(f.source.find("--link") != std::string::npos);
}

TEST_CASE("pid and ipc: host or joined refused") {
  for (auto mode : {sharing::host, sharing::joined}) {
    container_settings s;
    s.pid = {mode, "other"};
    refused(s, "pid");
    container_settings t;
    t.ipc = {mode, "other"};
    refused(t, "ipc");
  }
  container_settings ok;
  ok.pid.mode = sharing::isolated;
  ok.ipc.mode = sharing::isolated;
  passes(ok);
}

TEST_CASE("uts: host warns (the guest's hostname), joined refused") {
  container_settings s;
  s.uts.mode = sharing::host;
  auto f = warned(s, "uts");
  CHECK(f.message.find("guest") != std::string::npos);
  s.uts = {sharing::joined, "x"};
  refused(s, "uts");
}

TEST_CASE("cgroupns host warns") {
  container_settings s;
  s.cgroupns.mode = sharing::host;
  warned(s, "cgroupns");
}

TEST_CASE("privileged warns: guest access, host block devices") {
  container_settings s;
  s.privileged = true;
  auto f = warned(s, "privileged");
  CHECK(f.message.find("privileged_without_host_devices") != std::string::npos);
  CHECK(f.source.find("privileged.md") != std::string::npos);
}

TEST_CASE("devices warn, one finding each") {
  container_settings s;
  s.devices = {{"/dev/fuse", "/dev/fuse"}, {"/dev/sdb", "/dev/xvdb"}};
  auto r = evaluate(s, kata_rt);
  CHECK(r.ok());
  CHECK(has(r.warnings, "devices[0]"));
  CHECK(has(r.warnings, "devices[1]"));
  CHECK(r.warnings.size() == 2);
}

TEST_CASE("shm size warns") {
  container_settings s;
  s.shm_size = 256 << 20;
  auto f = warned(s, "shm_size");
  CHECK(f.message.find("268435456") != std::string::npos);
}

TEST_CASE("sysctls: namespaced pass, others refused") {
  container_settings s;
  s.sysctls = {{"net.ipv4.ip_forward", "1"},     {"kernel.shmmax", "1000"},
               {"kernel.msgmax", "8192"},        {"kernel.sem", "250 32000 100 128"},
               {"fs.mqueue.msg_max", "10"},      {"kernel.shm_rmid_forced", "1"}};
  passes(s);
  s.sysctls["vm.max_map_count"] = "262144";
  auto f = refused(s, "sysctls[vm.max_map_count]");
  CHECK(f.message.find("262144") != std::string::npos);
  CHECK(f.source.find("how-to-use-sysctls-with-kata") != std::string::npos);
  container_settings t;
  t.sysctls = {{"kernel.domainname", "x"}};
  refused(t, "sysctls[kernel.domainname]");
}

TEST_CASE("cgroup parent warns") {
  container_settings s;
  s.cgroup_parent = "/berth.slice";
  auto f = warned(s, "cgroup_parent");
  CHECK(f.message.find("sandbox") != std::string::npos);
}

TEST_CASE("security options: apparmor profiles and SELinux labels warn, the rest pass") {
  container_settings s;
  s.security_opt = {"no-new-privileges", "seccomp=unconfined", "apparmor=unconfined"};
  passes(s);
  s.security_opt.push_back("apparmor=docker-default");
  s.security_opt.push_back("label=type:svirt_t");
  auto r = evaluate(s, kata_rt);
  CHECK(r.ok());
  CHECK(has(r.warnings, "security_opt[3]"));
  CHECK(has(r.warnings, "security_opt[4]"));
  CHECK(r.warnings.size() == 2);
}

TEST_CASE("block I/O weight warns") {
  container_settings s;
  s.blkio_weight = true;
  warned(s, "blkio_weight");
}

TEST_CASE("mounts: sockets and pipes refused, /proc and /sys refused, devices warn") {
  container_settings s;
  s.mounts = {{"bind", "/var/run/docker.sock", "/var/run/docker.sock"}};
  auto f = refused(s, "mounts[0]");  // guessed from the name
  CHECK(f.message.find("/var/run/docker.sock") != std::string::npos);

  s.mounts = {{"bind", "/run/agent/api", "/api", host_path_kind::socket}};
  refused(s, "mounts[0]");
  s.mounts = {{"bind", "/run/agent/pipe", "/pipe", host_path_kind::fifo}};
  refused(s, "mounts[0]");
  s.mounts = {{"bind", "/proc/sys/kernel", "/host-kernel"}};
  refused(s, "mounts[0]");
  s.mounts = {{"bind", "/sys/fs/cgroup", "/sys/fs/cgroup"}};
  refused(s, "mounts[0]");

  s.mounts = {{"bind", "/dev/sdb", "/disk", host_path_kind::block_device}};
  CHECK(warned(s, "mounts[0]").message.find("block device") != std::string::npos);
  s.mounts = {{"bind", "/dev/ttyS0", "/dev/ttyS0", host_path_kind::char_device}};
  warned(s, "mounts[0]");
  s.mounts = {{"bind", "/dev/net/tun", "/dev/net/tun"}};  // unknown kind under /dev
  warned(s, "mounts[0]");

  // Directories, files, volumes, tmpfs and /dev/shm are shared as usual.
  s.mounts = {{"bind", "/srv/data", "/data", host_path_kind::directory},
              {"bind", "/etc/app.conf", "/etc/app.conf"},
              {"bind", "/procfiles", "/x"},      // not under /proc
              {"bind", "/dev/shm", "/dev/shm"},
              {"volume", "cache.sock", "/cache"}, // a volume, whatever its name
              {"tmpfs", "", "/tmp"}};
  passes(s);
}

TEST_CASE("classify_host_path finds sockets, fifos, devices, files and directories") {
  char dir[] = "/tmp/berth-kata-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  std::string d = dir;
  std::string sock = d + "/s", fifo = d + "/f", file = d + "/r";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::FILE* f = std::fopen(file.c_str(), "w");
  REQUIRE(f != nullptr);
  std::fclose(f);

  CHECK(classify_host_path(sock) == host_path_kind::socket);
  CHECK(classify_host_path(fifo) == host_path_kind::fifo);
  CHECK(classify_host_path(file) == host_path_kind::regular_file);
  CHECK(classify_host_path(d) == host_path_kind::directory);
  CHECK(classify_host_path("/dev/null") == host_path_kind::char_device);
  CHECK(classify_host_path(d + "/missing") == host_path_kind::unknown);

  // evaluate(classify = true) stats a socket whose name says nothing.
  container_settings s;
  s.mounts = {{"bind", sock, "/api"}};
  CHECK(evaluate(s, kata_rt).ok());
  CHECK_FALSE(evaluate(s, kata_rt, true).ok());

  ::close(fd);
  ::unlink(sock.c_str());
  ::unlink(fifo.c_str());
  ::unlink(file.c_str());
  ::rmdir(dir);
}

TEST_CASE("validate: typed error naming the first refused setting, and how many more") {
  container_settings s;
  s.network.mode = sharing::host;
  s.pid.mode = sharing::host;
  s.privileged = true;
  std::error_code ec;
  diagnostics diag;
  auto r = validate(s, kata_rt, ec, &diag);
  CHECK(ec == errc::unsupported_setting);
  CHECK(diag.message.rfind("network: ", 0) == 0);
  CHECK(diag.message.find("(and 1 more refused settings)") != std::string::npos);
  CHECK(r.refusals.size() == 2);
  CHECK(r.warnings.size() == 1);

  // Throwing form.
  try {
    (void)validate(s, kata_rt);
    FAIL("no exception");
  } catch (const berth::error& e) {
    CHECK(e.code() == errc::unsupported_setting);
    CHECK(e.details().message.rfind("network: ", 0) == 0);
  }

  // Passing settings clear ec and diag.
  container_settings ok;
  ok.privileged = true;
  r = validate(ok, kata_rt, ec, &diag);
  CHECK_FALSE(ec);
  CHECK(diag.message.empty());
  CHECK(r.warnings.size() == 1);
}

TEST_CASE("a named runtime declared VM-isolated gets the Kata rules") {
  container_settings s;
  s.network.mode = sharing::host;
  CHECK_FALSE(evaluate(s, runtime_choice::named("kata-qemu", isolation::vm)).ok());
  CHECK(evaluate(s, runtime_choice::named("io.containerd.runsc.v1")).ok());
}

// ---- the Docker create body ----

TEST_CASE("settings_of reads the HostConfig") {
  engine::container_create_body b;
  CHECK(settings_of(b) == container_settings{});
  b.host_config = engine::host_config{};
  auto& h = *b.host_config;
  h.network_mode = "container:abc";
  h.pid_mode = "host";
  h.ipc_mode = "shareable";
  h.uts_mode = "host";
  h.cgroupns_mode = "private";
  h.links = std::vector<std::string>{"db:db"};
  h.privileged = true;
  h.devices = std::vector<engine::device_mapping>{{"/dev/fuse", "/dev/fuse", "rwm"}};
  h.shm_size = 1024;
  h.binds = std::vector<std::string>{"/run/x.sock:/x.sock:ro", "named:/data"};
  h.mounts = std::vector<engine::mount>{{.target = "/m", .source = "/srv", .type = "bind"}};
  h.sysctls = std::map<std::string, std::string>{{"net.core.somaxconn", "1024"}};
  h.cgroup_parent = "/p";
  h.security_opt = std::vector<std::string>{"label=disable"};
  h.blkio_weight = 300;

  auto s = settings_of(b);
  CHECK(s.network == namespace_setting{sharing::joined, "abc"});
  CHECK(s.pid.mode == sharing::host);
  CHECK(s.ipc.mode == sharing::isolated);
  CHECK(s.uts.mode == sharing::host);
  CHECK(s.cgroupns.mode == sharing::isolated);
  CHECK(s.links == std::vector<std::string>{"db:db"});
  CHECK(s.privileged);
  REQUIRE(s.devices.size() == 1);
  CHECK(s.devices[0].host_path == "/dev/fuse");
  CHECK(s.shm_size == 1024);
  REQUIRE(s.mounts.size() == 3);
  CHECK(s.mounts[0] == mount_setting{"bind", "/run/x.sock", "/x.sock"});
  CHECK(s.mounts[1] == mount_setting{"volume", "named", "/data"});
  CHECK(s.mounts[2] == mount_setting{"bind", "/srv", "/m"});
  CHECK(s.sysctls.at("net.core.somaxconn") == "1024");
  CHECK(s.cgroup_parent == "/p");
  CHECK(s.security_opt == std::vector<std::string>{"label=disable"});
  CHECK(s.blkio_weight);

  h.shm_size = 0;  // Docker's "default"
  h.blkio_weight = 0;
  CHECK_FALSE(settings_of(b).shm_size.has_value());
  CHECK_FALSE(settings_of(b).blkio_weight);
}

TEST_CASE("validate over a create body") {
  engine::container_create_body b;
  b.host_config = engine::host_config{};
  b.host_config->network_mode = "host";
  std::error_code ec;
  diagnostics diag;
  (void)validate(b, kata_rt, ec, &diag);
  CHECK(ec == errc::unsupported_setting);
  CHECK(diag.message.find("network") != std::string::npos);
  (void)validate(b, runtime_choice::runc(), ec, &diag);
  CHECK_FALSE(ec);
  b.host_config->network_mode = "none";
  (void)validate(b, kata_rt, ec, &diag);
  CHECK_FALSE(ec);
}

TEST_CASE("docker runtime names: the explicit mapping") {
  CHECK(docker_runtime_name(runtime_choice::runc()).value() == "runc");
  CHECK(docker_runtime_name(runtime_choice::kata()).value() == "kata");
  docker_runtime_names names{.runc = "runc", .kata = "kata-qemu"};
  CHECK(docker_runtime_name(runtime_choice::kata(), names).value() == "kata-qemu");
  CHECK(docker_runtime_name(runtime_choice::named("crun"), names).value() == "crun");

  diagnostics diag;
  auto r = docker_runtime_name(runtime_choice::kata({.config_path = "/k.toml"}), names, &diag);
  CHECK(r.error() == errc::unsupported_runtime_option);
  CHECK(diag.message.find("/k.toml") != std::string::npos);
  r = docker_runtime_name(runtime_choice::runc({.systemd_cgroup = true}), names, &diag);
  CHECK(r.error() == errc::unsupported_runtime_option);
  CHECK(docker_runtime_name(runtime_choice::named("")).error() == errc::invalid_runtime);
  CHECK(docker_runtime_name(runtime_choice::kata(), {.runc = "runc", .kata = ""}).error() ==
        errc::invalid_runtime);
}

TEST_CASE("apply_runtime sets HostConfig.Runtime, or leaves the body alone") {
  engine::container_create_body b;
  std::error_code ec;
  apply_runtime(b, runtime_choice::kata(), {}, ec);
  CHECK_FALSE(ec);
  REQUIRE(b.host_config.has_value());
  CHECK(b.host_config->runtime == "kata");
  engine::container_create_body c;
  apply_runtime(c, runtime_choice::runc({.root = "/r"}), {}, ec);
  CHECK(ec == errc::unsupported_runtime_option);
  CHECK_FALSE(c.host_config.has_value());
}

TEST_CASE("runtime inventory from /info, and the check naming what the daemon has") {
  engine::system_info info;
  info.runtimes = std::map<std::string, engine::runtime>{{"runc", {}}, {"kata", {}}};
  info.default_runtime = "runc";
  auto inv = docker_runtimes(info);
  CHECK(inv.names == std::vector<std::string>{"kata", "runc"});
  CHECK(inv.default_runtime == "runc");
  CHECK(inv.offers("kata"));
  CHECK_FALSE(inv.offers("gvisor"));
  CHECK(inv.to_string() == "kata, runc (default: runc)");

  std::error_code ec;
  diagnostics diag;
  check_runtime(inv, "kata", ec, &diag);
  CHECK_FALSE(ec);
  check_runtime(inv, "gvisor", ec, &diag);
  CHECK(ec == errc::runtime_unavailable);
  CHECK(diag.message == "the daemon has no runtime 'gvisor'; it offers: kata, runc (default: runc)");

  // Shim names are resolved by Docker 23+ itself: a warning, not an error.
  policy_report report;
  check_runtime(inv, "io.containerd.kata.v2", ec, &diag, &report);
  CHECK_FALSE(ec);
  CHECK(has(report.warnings, "runtime"));
  CHECK(docker_runtimes(engine::system_info{}).to_string() == "none");
}
