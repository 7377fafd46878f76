// Containers and images through the fake, with real pipes: create, bootstrap with stdio
// fds, start, output on the pipes and in stdio.log, wait (exit code, exitedAt), exec with
// stdin, kill by name and number, stop with escalation, delete with and without force,
// autoRemove, logs fds, dial, copies, backpressure of an unread stdout, no leaked fds;
// images: pull, list, tag, unpack, snapshotGet, contentGet, save/load, delete.
#include "fake/fake_apiserver.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "berth/apple/client.hpp"
#include "berth/apple/json.hpp"
#include "support/apple_test.hpp"
#include "support/fds.hpp"

using namespace berth::apple;
using namespace berth::apple::test;
using namespace std::chrono_literals;

namespace {

op::container_create create_op(container_configuration c, std::optional<container_create_options> o = {}) {
  op::container_create op;
  op.config = std::move(c);
  op.kernel = test_kernel();
  op.options = o;
  return op;
}

// Runs a container whose stdout and stderr are pipes; returns the read ends.
struct running {
  shared_fd out, err;
};
running boot_and_start(apiserver_client& c, const std::string& id, std::vector<std::string> steps,
                       std::optional<container_create_options> o = {}) {
  c.run(create_op(test_config(id, std::move(steps)), o));
  auto [out_r, out_w] = make_pipe();
  auto [err_r, err_w] = make_pipe();
  c.run(op::container_bootstrap{id, {{}, std::move(out_w), std::move(err_w)}, {}});
  c.run(op::container_start_process{id, id});
  return {out_r, err_r};
}

}  // namespace

TEST_CASE("run: output on the pipes and in the log, exit code and date, no leaked fds") {
  const auto before = berth::test::open_fds();
  {
    fake_apiserver fake;
    apiserver_client c(fake.make_transport());
    const auto t0 = std::chrono::system_clock::now();
    auto r = boot_and_start(c, "web", {"out:hello", "err:oops", "exit:3"});
    CHECK(read_all(r.out.get()) == "hello\n");
    CHECK(read_all(r.err.get()) == "oops\n");
    auto w = c.run(op::container_wait{"web", "web"});
    CHECK(w.exit_code == 3);
    CHECK(w.exited_at.to_time_point() >= t0 - 1s);
    CHECK(w.exited_at.to_time_point() <= std::chrono::system_clock::now() + 1s);
    // Waiting again answers at once.
    CHECK(c.run(op::container_wait{"web", "web"}).exit_code == 3);
    auto list = c.run(op::container_list{});
    REQUIRE(list.size() == 1);
    CHECK(list[0].status == runtime_status::stopped);
    REQUIRE(list[0].networks.size() == 1);
    CHECK(list[0].networks[0].hostname == "web.test.");
    CHECK(list[0].networks[0].ipv4_gateway == "192.168.64.1");
    CHECK(list[0].started_date);

    auto logs = c.run(op::container_logs{"web"});
    const std::string tee = read_all(logs.stdio_log.get());
    CHECK(tee.find("hello\n") != std::string::npos);
    CHECK(tee.find("oops\n") != std::string::npos);
    CHECK(read_all(logs.boot_log.get()).find("booted web") != std::string::npos);
    c.run(op::container_delete{"web", false});
    CHECK(c.run(op::container_list{}).empty());
  }
  CHECK(berth::test::open_fds() == before);
}

TEST_CASE("exec with stdin: cat echoes what is written until EOF") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  boot_and_start(c, "web", {"sleep:10000"});
  auto [in_r, in_w] = make_pipe();
  auto [out_r, out_w] = make_pipe();
  process_configuration p;
  p.executable = guest_executable;
  p.arguments = {"cat", "out:done"};
  p.working_directory = "/";
  const std::string pid = "3f6c2a1e-8b1d-4c5e-9f0a-2b7d4e6f8a90";  // lowercase UUID, as the CLI
  c.run(op::container_create_process{"web", pid, p, {std::move(in_r), std::move(out_w), {}}});
  std::error_code ec;
  c.run(op::container_create_process{"web", pid, p, {}}, ec);
  CHECK(ec == errc::exists);
  c.run(op::container_start_process{"web", pid});
  REQUIRE(write_all(in_w.get(), "abc"));
  in_w = {};  // EOF for the guest
  CHECK(read_all(out_r.get()) == "abc" "done\n");
  CHECK(c.run(op::container_wait{"web", pid}).exit_code == 0);
  CHECK(c.run(op::container_stats{"web"}).num_processes == 1u);  // init still running
  c.run(op::container_delete{"web", false}, ec);
  CHECK(ec == errc::invalid_state);
  c.run(op::container_delete{"web", true});
  CHECK(c.run(op::container_list{}).empty());
}

TEST_CASE("kill: names and numbers, case-insensitive, SIG optional") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  const std::pair<const char*, std::int64_t> cases[] = {{"KILL", 137}, {"15", 143}, {"sigint", 130}, {"SIGUSR1", 0}};
  int n = 0;
  for (const auto& [sig, code] : cases) {
    CAPTURE(sig);
    const std::string id = "k" + std::to_string(n++);
    boot_and_start(c, id, {"trap:usr1", "sleep:10000"});
    c.run(op::container_kill{id, id, sig});
    CHECK(c.run(op::container_wait{id, id}).exit_code == code);  // 128 + n (fake, FLAG 23); trapped: 0
    std::error_code ec;
    c.run(op::container_kill{id, id, "KILL"}, ec);
    CHECK(ec == errc::invalid_state);  // not running any more
  }
}

TEST_CASE("stop: the signal, then SIGKILL after timeoutInSeconds; autoRemove") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  boot_and_start(c, "polite", {"trap:SIGTERM", "sleep:10000"});
  c.run(op::container_stop{"polite", container_stop_options{5, std::nullopt}});
  CHECK(c.run(op::container_wait{"polite", "polite"}).exit_code == 0);

  boot_and_start(c, "stubborn", {"ignore:SIGTERM", "sleep:10000"});
  const auto t0 = std::chrono::steady_clock::now();
  c.run(op::container_stop{"stubborn", container_stop_options{1, "SIGTERM"}});
  CHECK(std::chrono::steady_clock::now() - t0 >= 900ms);
  CHECK(c.run(op::container_wait{"stubborn", "stubborn"}).exit_code == 137);
  c.run(op::container_stop{"stubborn", container_stop_options{}});  // stopped already: nothing to do

  boot_and_start(c, "temp", {"sleep:100", "exit:0"}, container_create_options{true, std::nullopt});
  c.run(op::container_wait{"temp", "temp"});
  std::error_code ec;
  for (int i = 0; i < 50 && !ec; ++i) {
    c.run(op::container_stats{"temp"}, ec);
    if (!ec) std::this_thread::sleep_for(10ms);
  }
  CHECK(ec == errc::not_found);
}

TEST_CASE("a restart: bootstrap again after the init process exited") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  boot_and_start(c, "web", {"exit:1"});
  CHECK(c.run(op::container_wait{"web", "web"}).exit_code == 1);
  std::error_code ec;
  c.run(op::container_start_process{"web", "web"}, ec);
  CHECK(ec == errc::invalid_state);
  auto [out_r, out_w] = make_pipe();
  c.run(op::container_bootstrap{"web", {{}, std::move(out_w), {}}, string_map{{"X", "1"}}});
  c.run(op::container_bootstrap{"web"}, ec);
  CHECK(ec == errc::invalid_state);  // booted already
  c.run(op::container_start_process{"web", "web"});
  CHECK(c.run(op::container_wait{"web", "web"}).exit_code == 1);
  CHECK(read_all(out_r.get()).empty());
}

TEST_CASE("backpressure: an unread stdout stalls the guest, reading drains it") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  const std::size_t total = 4 * 1024 * 1024;
  auto r = boot_and_start(c, "flood", {"flood:" + std::to_string(total)});
  std::this_thread::sleep_for(200ms);
  const std::size_t stalled = fake.guest_bytes_written("flood", "flood");
  CHECK(stalled < total / 4);  // about a pipe's capacity, not the whole flood
  CHECK(read_all(r.out.get()).size() == total);
  CHECK(c.run(op::container_wait{"flood", "flood"}).exit_code == 0);
  CHECK(fake.guest_bytes_written("flood", "flood") == total);
}

TEST_CASE("dial, resize, disk usage, copies, export") {
  fake_apiserver fake;
  apiserver_client c(fake.make_transport());
  boot_and_start(c, "web", {"out:x", "sleep:10000"});
  shared_fd s = c.run(op::container_dial{"web", 5000});
  int type = 0;
  socklen_t len = sizeof type;
  CHECK(::getsockopt(s.get(), SOL_SOCKET, SO_TYPE, &type, &len) == 0);
  c.run(op::container_resize{"web", "web", 120, 40});
  const auto host = fake.root() / "host";
  std::filesystem::create_directories(host);
  {
    std::ofstream f(host / "in.txt");
    f << "payload";
  }
  c.run(op::container_copy_in{"web", (host / "in.txt").string(), "/etc/app/in.txt", 0600, true});
  std::error_code ec;
  c.run(op::container_copy_in{"web", (host / "in.txt").string(), "/nowhere/x", 0600, false}, ec);
  CHECK(ec == errc::not_found);
  c.run(op::container_copy_out{"web", "/etc/app/in.txt", (host / "out.txt").string(), false});
  shared_fd copied = shared_fd::adopt(::open((host / "out.txt").c_str(), O_RDONLY | O_CLOEXEC));
  CHECK(read_all(copied.get()) == "payload");
  c.run(op::container_export{"web", (host / "web.tar").string()});
  CHECK(std::filesystem::exists(host / "web.tar"));
  c.run(op::container_kill{"web", "web", "KILL"});
  c.run(op::container_wait{"web", "web"});
  CHECK(c.run(op::container_disk_usage{"web"}) >= 2u);
  c.run(op::container_dial{"web", 5000}, ec);
  CHECK(ec == errc::invalid_state);
}

TEST_CASE("images: pull, list, tag, unpack, snapshot, content, save and load, delete") {
  fake_apiserver fake;
  images_client ic(fake.make_transport());
  image_description alpine;
  alpine.reference = "docker.io/library/alpine:latest";
  alpine.descriptor = {"application/vnd.oci.image.index.v1+json",
                       "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 9218, {}, {}, {}, {}};
  fake.seed_remote_image(alpine);
  std::error_code ec;
  ic.run(op::image_pull{"docker.io/library/nothere:latest"}, ec);
  CHECK(ec == errc::not_found);
  CHECK(ic.run(op::image_pull{"docker.io/library/alpine:latest"}) == alpine);
  CHECK(ic.run(op::image_list{}) == std::vector<image_description>{alpine});
  auto tagged = ic.run(op::image_tag{alpine.reference, "docker.io/library/alpine:3"});
  CHECK(tagged.descriptor == alpine.descriptor);
  CHECK(ic.run(op::image_list{}).size() == 2);

  ic.run(op::snapshot_get{alpine, {"linux", "arm64", {}}}, ec);
  CHECK(ec == errc::not_found);  // not unpacked yet
  ic.run(op::image_unpack{alpine, std::nullopt});
  auto fs = ic.run(op::snapshot_get{alpine, {"linux", "arm64", {}}});
  CHECK(std::holds_alternative<fs_block>(fs.type));
  CHECK(fs.destination == "/");
  ic.run(op::snapshot_get{alpine, {"linux", "amd64", {}}}, ec);
  CHECK(ec == errc::not_found);  // unpacked for arm64 only
  message no_platform = make_request("snapshotGet");
  no_platform.set_data("imageDescription", to_json(alpine).value());
  ic.call(no_platform, ec);
  CHECK(ec == errc::invalid_argument);
  ic.run(op::snapshot_delete{alpine, {"linux", "arm64", {}}});
  ic.run(op::snapshot_get{alpine, {"linux", "arm64", {}}}, ec);
  CHECK(ec == errc::not_found);

  const std::string path = ic.run(op::content_get{alpine.descriptor.digest});
  CHECK(std::filesystem::exists(path));  // the client reads the blob itself

  const std::string archive = (fake.root() / "images.tar").string();
  ic.run(op::image_save{{alpine}, archive, std::nullopt});
  ic.run(op::image_delete{alpine.reference, true});
  CHECK(ic.run(op::image_list{}).size() == 1);
  auto loaded = ic.run(op::image_load{archive, false});
  CHECK(loaded.images == std::vector<image_description>{alpine});
  CHECK(loaded.rejected_members);
  ic.run(op::image_push{alpine.reference, std::nullopt, false});
  ic.run(op::image_delete{"docker.io/library/ghost:1", false}, ec);
  CHECK(ec == errc::not_found);
}
