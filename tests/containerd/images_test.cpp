// Images on the real containerd beyond pull and import (berth/containerd/images.hpp):
// export to an archive that `ctr import` and `docker load` both read (the same config and
// layer digests come back out), export to a sink (the same bytes as to a file), commit
// of a container's changes to a new image that runs at once, and the pull progress stream.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>
#include <sstream>
#include <string>
#include <vector>

#include <asio/error.hpp>

#include "containerd/support.hpp"

using namespace berth;
using namespace std::chrono_literals;
using test::sh;
namespace ctrd = berth::containerd;
namespace op = berth::containerd::op;

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// The config digest of the image name in namespace ns, as ctr reads it (the manifest's
/// "config" object), or empty.
std::string config_digest(const std::string& ns, const std::string& name) {
  auto manifest = test::ctr(ns, "images ls name==" + name + " -q");
  if (manifest.empty()) return {};
  auto line = test::ctr(ns, "images ls name==" + name);
  // The manifest digest is the third column of the second line.
  std::istringstream in(line);
  std::string header, ref, type, digest;
  std::getline(in, header);
  in >> ref >> type >> digest;
  auto json = test::ctr(ns, "content get " + digest);
  auto at = json.find("\"config\"");
  if (at == std::string::npos) return {};
  auto d = json.find("sha256:", at);
  return d == std::string::npos ? std::string() : json.substr(d, 71);
}

}  // namespace

TEST_CASE("export: ctr import and docker load read the archive; a sink gets the same bytes") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  // A name of this test's own, so that docker load adds (and the test removes) only it.
  const std::string name = "berth-export-test/busybox:" + std::to_string(::getpid());
  c.run(op::tag_image{.source = test::registry_image(), .target = name});
  const std::string config = config_digest(ns.name(), name);
  REQUIRE(config.size() == 71);

  auto dir = std::filesystem::temp_directory_path() / ("berth-export-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "image.tar";
  auto r = c.run(op::export_images{.names = {name}, .path = file.string()});
  CHECK(r.images == std::vector<std::string>{name});
  CHECK(r.bytes == std::filesystem::file_size(file));

  // The same archive through a sink: byte for byte.
  std::string streamed;
  auto rs = c.run(op::export_images{.names = {name}, .sink = [&](std::string_view piece) {
                                      streamed.append(piece);
                                      return std::error_code{};
                                    }});
  CHECK(rs.bytes == streamed.size());
  CHECK(streamed == read_file(file));

  // A sink's error stops the export with that error.
  std::error_code ec;
  c.run(op::export_images{.names = {name},
                          .sink = [](std::string_view) { return std::make_error_code(std::errc::no_space_on_device); }},
        ec);
  CHECK(ec == std::errc::no_space_on_device);
  // An unknown image is not_found, and no file is left half-written.
  c.run(op::export_images{.names = {"berth-export-test/none:1"}, .path = (dir / "none.tar").string()}, ec);
  CHECK(ctrd::is_not_found(ec));

  // ctr import into another namespace: the same config digest.
  const std::string other = ns.name() + "-import";
  int status = -1;
  auto out = test::ctr(other, "images import " + file.string(), &status);
  CHECK_MESSAGE(status == 0, out);
  CHECK(config_digest(other, name) == config);
  test::ctr(other, "images rm " + name);
  test::ctr(other, "content ls -q | xargs -r ctr --address " + test::containerd_address() + " -n " + other +
                       " content rm");
  test::ctr(other, "snapshots ls | awk 'NR>1{print $1}' | tac | xargs -r -n1 ctr --address " +
                       test::containerd_address() + " -n " + other + " snapshots rm");
  out = test::ctr("default", "namespaces remove " + other, &status);
  CHECK_MESSAGE(status == 0, out);

  // docker load: the image ID is the config digest, and it runs.
  const std::string docker = "docker -H " + test::engine_env("DOCKER_HOST", "unix:///var/run/docker.sock");
  out = sh(docker + " load -i " + file.string() + " 2>&1", &status);
  CHECK_MESSAGE(status == 0, out);
  CHECK(out.find("Loaded image: " + name) != std::string::npos);
  CHECK(sh(docker + " image inspect -f '{{.Id}}' " + name) == config + "\n");
  CHECK(sh(docker + " run --rm --network none " + name + " echo loaded") == "loaded\n");
  sh(docker + " rmi " + name + " >/dev/null 2>&1");

  c.run(op::image_delete{.name = name});
  std::filesystem::remove_all(dir);
}

TEST_CASE("commit: a container's changes become a new image that runs at once") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  ctrd::container_options o;
  o.id = "changer";
  o.image = test::registry_image();
  o.args = {"sh", "-c", "echo committed > /greeting; rm /bin/yes"};
  auto done = c.run_container(o, {.remove = false});
  REQUIRE(done.exit_code == 0);

  const std::string ref = "example.test/berth-commit:1";
  auto img = c.run(op::commit_container{
      .id = "changer", .reference = ref, .comment = "berth test", .labels = {{"berth.test", "commit"}}});
  CHECK(img.name == ref);
  CHECK(img.labels.at("berth.test") == "commit");
  // The new image has one more layer than busybox, and its history says so.
  auto json = test::ctr(ns, "content get " + config_digest(ns.name(), ref));
  CHECK(json.find("berth test") != std::string::npos);
  CHECK(json.find("\"diff_ids\"") != std::string::npos);

  // It runs at once (unpacked): the file added is there, the file removed is gone.
  ctrd::container_options again;
  again.id = "reader";
  again.image = ref;
  again.args = {"sh", "-c", "cat /greeting; test -e /bin/yes && echo yes-present || echo yes-gone"};
  auto r = c.run_container(again, {.collect = 4096});
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_data == "committed\nyes-gone\n");

  // A missing container is not_found.
  std::error_code ec;
  c.run(op::commit_container{.id = "no-such", .reference = "example.test/x:1"}, ec);
  CHECK(ctrd::is_not_found(ec));

  c.run(op::remove_container{.id = "changer"});
  c.run(op::image_delete{.name = ref});
}

TEST_CASE("pull_image: a pull-driven progress stream, coalesced for a slow reader, typed errors") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  const std::string ref = test::registry_image();

  auto s = c.run(op::pull_image{.reference = ref});
  std::vector<ctrd::pull_progress> seen;
  std::error_code ec;
  for (;;) {
    auto p = s.next(ec);
    if (ec) break;
    seen.push_back(p);
  }
  REQUIRE(ec == asio::error::eof);
  CHECK(s.image().name == ref);
  CHECK(c.run(op::image_get{.name = ref}).target.digest == s.image().target.digest);
  REQUIRE(seen.size() >= 4);
  CHECK(seen.front().phase == ctrd::pull_phase::resolving);
  CHECK(seen.front().id == ref);
  CHECK(seen.back().phase == ctrd::pull_phase::done);
  // Every layer ends downloaded, its bytes equal to its size; bytes never go back.
  std::map<std::string, std::int64_t> last;
  for (const auto& p : seen) {
    if (p.id == ref) continue;
    CHECK(p.id.rfind("sha256:", 0) == 0);
    if (p.phase == ctrd::pull_phase::downloading || p.phase == ctrd::pull_phase::downloaded) {
      CHECK(p.current >= last[p.id]);
      CHECK(p.current <= p.total);
      last[p.id] = p.current;
    }
  }
  REQUIRE_FALSE(last.empty());
  for (const auto& p : seen)
    if (p.phase == ctrd::pull_phase::downloaded) CHECK(p.current == p.total);
  // The image runs.
  ctrd::container_options o;
  o.id = "pulled";
  o.image = ref;
  o.args = {"echo", "ok"};
  CHECK(c.run_container(o, {.collect = 64}).stdout_data == "ok\n");

  // Again, read only once it is over: the layers are there already (exists), and the
  // reader gets each item's latest state once, not every step.
  auto again = c.run(op::pull_image{.reference = ref});
  for (int i = 0; i < 200; ++i) {
    std::this_thread::sleep_for(50ms);
    if (!again.image().name.empty()) break;
  }
  std::vector<ctrd::pull_progress> late;
  for (;;) {
    auto p = again.next(ec);
    if (ec) break;
    late.push_back(p);
  }
  CHECK(ec == asio::error::eof);
  CHECK(late.size() == last.size() + 1);  // each layer once, and the reference once
  for (const auto& p : late)
    CHECK((p.phase == ctrd::pull_phase::exists || p.phase == ctrd::pull_phase::done));

  // A manifest the registry does not have: the pull's error, and the registry's answer.
  auto missing = c.run(op::pull_image{.reference = test::registry() + "/berth-test/none:nope"});
  for (;;) {
    missing.next(ec);
    if (ec) break;
  }
  CHECK(ec == ctrd::pull_errc::manifest_unknown);
  CHECK(missing.diag().status == 404);
  // A closed stream is closed.
  missing.close();
  missing.next(ec);
  CHECK(ec == berth::errc::stream_closed);
  c.run(op::image_delete{.name = ref});
}
