// The image, build and distribution operations against the real dockerd and the loopback
// registry ($BERTH_REGISTRY, plain HTTP): push and pull with progress records, typed pull
// failures, builds from a directory (.dockerignore honoured) and from a tarball, save and
// load, import, commit, history, search's error path, distribution inspect.
//
// Every image is tagged berth-test/<stem>-<pid>-<n> (or <registry>/...) and deleted at
// the end, also when a check fails; berth-test/busybox:latest is only read and tagged.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include "berth/engine/client.hpp"
#include "berth/engine/op/containers.hpp"
#include "berth/engine/op/images.hpp"
#include "support/daemons.hpp"
#include "support/engine_fixtures.hpp"

using namespace berth;
using namespace std::chrono_literals;
namespace op = engine::op;
namespace fs = std::filesystem;

namespace {

const std::string registry_host = test::engine_env("BERTH_REGISTRY", "127.0.0.1:5000");

/// A unique tag suffix for this run.
std::string unique_tag(std::string_view stem) { return test::unique_name(stem).substr(11); }

/// Deletes an image reference when the test ends (only references the test created).
struct scoped_image {
  std::string ref;
  explicit scoped_image(std::string r) : ref(std::move(r)) {}
  ~scoped_image() {
    try {
      auto c = test::docker();
      std::error_code ec;
      c.run(op::image_delete{.name = ref, .force = true}, ec);
    } catch (...) {
    }
  }
};

struct temp_dir {
  fs::path path;
  explicit temp_dir(std::string_view stem) : path(fs::temp_directory_path() / test::unique_name(stem)) {
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

bool image_exists(engine::client& c, const std::string& ref) {
  std::error_code ec;
  c.run(op::image_inspect{.name = ref}, ec);
  return !ec;
}

/// Whether path exists in a (created, not started) container of image.
bool path_in_image(engine::client& c, const std::string& image, const std::string& path) {
  auto create = test::container_spec("images", {"true"});
  create.body.image = image;
  auto ctr = test::create(c, create);
  std::error_code ec;
  c.run(op::container_archive_info{.id = ctr.id(), .path = path}, ec);
  if (ec && !engine::is_not_found(ec)) FAIL("archive info: " << ec.message());
  return !ec;
}

/// Streams a file through an upload.
template <class Upload>
void upload_file(Upload& up, const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  REQUIRE(in);
  std::vector<char> buf(64 * 1024);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() <= 0) break;
    std::error_code ec;
    up.write(asio::buffer(buf.data(), static_cast<std::size_t>(in.gcount())), ec);
    REQUIRE_MESSAGE(!ec, ec.message());
  }
}

}  // namespace

TEST_CASE("push to and pull from the loopback registry, with progress records") {
  auto c = test::docker();
  std::string repo = registry_host + "/berth-test/busybox";
  std::string tag = unique_tag("push");
  std::string ref = repo + ":" + tag;
  scoped_image cleanup(ref);
  c.run(op::image_tag{.name = test::test_image(), .repo = repo, .tag = tag});
  REQUIRE(image_exists(c, ref));

  // Push: typed records, read one by one.
  auto push = c.run(op::image_push{.name = repo, .tag = tag, .auth = berth::config::auth_config{}});
  std::size_t records = 0;
  bool saw_digest = false;
  for (;;) {
    std::error_code ec;
    auto rec = push.next(ec);
    if (ec == asio::error::eof) break;
    REQUIRE_MESSAGE(!ec, ec.message() << ": " << push.diagnostics().message);
    ++records;
    if (rec.status && rec.status->find("digest: sha256:") != std::string::npos) saw_digest = true;
  }
  CHECK(records > 0);
  CHECK(saw_digest);

  // The registry knows it now.
  auto dist = c.run(op::distribution_inspect{.name = ref});
  CHECK(dist.descriptor.digest.value_or("").rfind("sha256:", 0) == 0);

  // Remove the local tag (only the tag: the image stays as berth-test/busybox:latest).
  auto deleted = c.run(op::image_delete{.name = ref});
  REQUIRE(!deleted.empty());
  CHECK(deleted.front().untagged.has_value());
  CHECK(!image_exists(c, ref));
  CHECK(image_exists(c, test::test_image()));

  // Pull it back, asynchronously, draining the progress.
  asio::io_context io;
  engine::client ac(io.get_executor(), test::docker_endpoint());
  auto fut = asio::co_spawn(
      io,
      [&]() -> asio::awaitable<engine::progress_summary> {
        // A named op, not a braced temporary: GCC 12 destroys a braced aggregate temporary
        // in a co_await full-expression twice (a compiler bug; see README, "Compilers").
        op::image_create_pull pull{.from_image = repo, .tag = tag};
        auto s = co_await ac.async_run(std::move(pull), asio::use_awaitable);
        co_return co_await engine::async_drain(s, asio::use_awaitable);
      },
      asio::use_future);
  io.run();
  auto sum = fut.get();
  CHECK(sum.records > 0);
  CHECK(sum.status.find(ref) != std::string::npos);
  CHECK(image_exists(c, ref));
}

TEST_CASE("pulling a missing image fails typed, with the daemon's message") {
  auto c = test::docker();
  std::string repo = registry_host + "/berth-test/no-such-image-" + unique_tag("missing");
  berth::diagnostics diag;
  std::error_code ec;
  auto s = c.run(op::image_create_pull{.from_image = repo, .tag = "nope"}, ec, {.diag = &diag});
  if (!ec) {
    engine::drain(s, ec, &diag);
    CHECK(ec == engine::error::stream_error);
  } else {
    CHECK((ec == engine::error::not_found || ec == engine::error::stream_error));
  }
  CHECK(!diag.message.empty());
  MESSAGE("missing pull: " << ec.message() << ": " << diag.message);
  CHECK(!image_exists(c, repo + ":nope"));

  // A missing tag of an existing repository too.
  diag.clear();
  auto s2 = c.run(op::image_create_pull{.from_image = registry_host + "/berth-test/busybox",
                                        .tag = "no-such-tag-" + unique_tag("t")},
                  ec, {.diag = &diag});
  if (!ec) {
    engine::drain(s2, ec, &diag);
  }
  CHECK(ec);
  CHECK(!diag.message.empty());
}

TEST_CASE("build from a directory with a .dockerignore, and from a tarball") {
  auto c = test::docker();
  temp_dir dir("build");
  write(dir.path / "Dockerfile",
        "FROM " + test::test_image() +
            "\nARG GREETING=none\nCOPY . /ctx/\nRUN echo \"$GREETING\" > /built.txt\n");
  write(dir.path / ".dockerignore", "# no secrets\nsecret.txt\nlogs/**\n!logs/keep.log\n");
  write(dir.path / "keep.txt", "keep");
  write(dir.path / "secret.txt", "secret");
  write(dir.path / "logs" / "a.log", "a");
  write(dir.path / "logs" / "keep.log", "k");
  std::string ref = "berth-test/built:" + unique_tag("build");
  scoped_image cleanup(ref);

  op::image_build b;
  b.tags = {ref};
  b.labels = {{test::test_label, "images"}};
  b.buildargs = {{"GREETING", "hello"}};
  b.nocache = true;
  b.networkmode = "none";  // a RUN step with the default network leaves dockerd a stale sandbox
  auto up = c.run(b);
  berth::diagnostics diag;
  std::error_code ec;
  auto sent = engine::write_build_context(up, dir.path, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(sent > 0);
  auto out = up.finish(ec, &diag);
  REQUIRE_MESSAGE(!ec, ec.message() << ": " << diag.message);
  auto sum = engine::drain(out, ec, &diag);
  REQUIRE_MESSAGE(!ec, ec.message() << ": " << diag.message);
  CHECK(sum.image_id.rfind("sha256:", 0) == 0);
  auto info = c.run(op::image_inspect{.name = ref});
  CHECK(info.id == sum.image_id);
  REQUIRE(info.config);
  CHECK(info.config->labels.value_or(std::map<std::string, std::string>{})[test::test_label] == "images");

  CHECK(path_in_image(c, ref, "/ctx/keep.txt"));
  CHECK(path_in_image(c, ref, "/ctx/Dockerfile"));
  CHECK(path_in_image(c, ref, "/built.txt"));
  CHECK(path_in_image(c, ref, "/ctx/logs/keep.log"));
  CHECK(!path_in_image(c, ref, "/ctx/secret.txt"));
  CHECK(!path_in_image(c, ref, "/ctx/logs/a.log"));

  SUBCASE("from a tarball the caller writes, and a failing build") {
    temp_dir tdir("buildtar");
    write(tdir.path / "Dockerfile", "FROM " + test::test_image() + "\nRUN echo tar > /t\n");
    std::string tar;
    REQUIRE(engine::write_context_tar(tdir.path, {}, [&](std::string_view p) {
      tar.append(p);
      return std::error_code{};
    }));
    std::string ref2 = "berth-test/built-tar:" + unique_tag("buildtar");
    scoped_image cleanup2(ref2);
    auto up2 = c.run(op::image_build{.tags = {ref2}, .labels = {{test::test_label, "images"}}, .networkmode = "none"});
    up2.write(asio::buffer(tar), ec);
    REQUIRE(!ec);
    auto out2 = up2.finish(ec, &diag);
    REQUIRE(!ec);
    engine::drain(out2, ec, &diag);
    REQUIRE_MESSAGE(!ec, diag.message);
    CHECK(path_in_image(c, ref2, "/t"));

    // RUN fails: the stream ends with stream_error and the daemon's words.
    write(tdir.path / "Dockerfile", "FROM " + test::test_image() + "\nRUN exit 3\n");
    auto up3 = c.run(op::image_build{.forcerm = true, .labels = {{test::test_label, "images"}}, .networkmode = "none"});
    engine::write_build_context(up3, tdir.path);  // the throwing form
    auto out3 = up3.finish(ec, &diag);
    REQUIRE(!ec);
    try {
      engine::drain(out3);  // the throwing form carries the daemon's words
      FAIL("a failing build drained without an error");
    } catch (const berth::error& e) {
      CHECK(e.code() == engine::error::stream_error);
      diag = e.details();
    }
    CHECK(diag.message.find("non-zero code: 3") != std::string::npos);
    MESSAGE("failing build: " << diag.message);
  }
}

TEST_CASE("save then load round trip, get all, import, commit, history") {
  auto c = test::docker();
  temp_dir dir("save");
  std::string ref = "berth-test/saved:" + unique_tag("save");
  scoped_image cleanup(ref);
  c.run(op::image_tag{.name = test::test_image(), .repo = "berth-test/saved", .tag = ref.substr(ref.find(':') + 1)});
  std::string id = c.run(op::image_inspect{.name = ref}).id.value();

  // Save, streamed to a file.
  fs::path file = dir.path / "saved.tar";
  {
    auto body = c.run(op::image_get{.name = ref});
    std::ofstream out(file, std::ios::binary);
    std::vector<char> buf(64 * 1024);
    std::uint64_t total = 0;
    for (;;) {
      std::error_code ec;
      auto n = body.read_some(asio::buffer(buf), ec);
      out.write(buf.data(), static_cast<std::streamsize>(n));
      total += n;
      if (ec == asio::error::eof) break;
      REQUIRE_MESSAGE(!ec, ec.message());
    }
    CHECK(total > 1024);
  }
  // Save several at once.
  {
    auto body = c.run(op::image_get_all{.names = {ref, test::test_image()}});
    std::error_code ec;
    auto all = body.read_all(256ull << 20, ec);
    REQUIRE(!ec);
    CHECK(all.find("manifest.json") != std::string::npos);
  }

  // Remove the tag, load it back.
  c.run(op::image_delete{.name = ref});
  REQUIRE(!image_exists(c, ref));
  auto up = c.run(op::image_load{});
  upload_file(up, file);
  berth::diagnostics diag;
  std::error_code ec;
  auto out = up.finish(ec, &diag);
  REQUIRE_MESSAGE(!ec, diag.message);
  auto sum = engine::drain(out, ec, &diag);
  REQUIRE_MESSAGE(!ec, diag.message);
  CHECK(sum.status.find(ref) != std::string::npos);
  CHECK(c.run(op::image_inspect{.name = ref}).id == id);

  // Loading garbage fails with the daemon's words.
  auto bad = c.run(op::image_load{.quiet = true});
  std::string junk(2048, 'j');
  bad.write(asio::buffer(junk), ec);
  auto bad_out = bad.finish(ec, &diag);
  if (!ec) {
    engine::drain(bad_out, ec, &diag);
    CHECK(ec);
  }
  CHECK(!diag.message.empty());

  // Import a root filesystem tarball.
  std::string rootfs = test::engine_env("BERTH_TEST_ROOTFS", "/var/tmp/berth/busybox-rootfs.tar");
  std::string itag = unique_tag("import");
  scoped_image cleanup_import("berth-test/imported:" + itag);
  auto imp = c.run(op::image_create_import{.repo = "berth-test/imported",
                                           .tag = itag,
                                           .message = "imported by berth",
                                           .changes = {"LABEL berth.test=images", "CMD [\"/bin/sh\"]"}});
  upload_file(imp, rootfs);
  auto imp_out = imp.finish(ec, &diag);
  REQUIRE(!ec);
  auto isum = engine::drain(imp_out, ec, &diag);
  REQUIRE_MESSAGE(!ec, diag.message);
  CHECK(isum.status.rfind("sha256:", 0) == 0);
  auto imported = c.run(op::image_inspect{.name = "berth-test/imported:" + itag});
  CHECK(imported.id == isum.status);
  CHECK(imported.comment == "imported by berth");
  REQUIRE(imported.config);
  CHECK(imported.config->labels.value_or(std::map<std::string, std::string>{})["berth.test"] == "images");

  // Commit a changed container.
  auto ctr = test::create(c, test::container_spec("images", {"sh", "-c", "echo changed > /committed"}));
  c.run(op::container_start{.id = ctr.id()});
  c.run(op::container_wait{.id = ctr.id()});
  std::string ctag = unique_tag("commit");
  scoped_image cleanup_commit("berth-test/committed:" + ctag);
  auto committed = c.run(op::image_commit{.container = ctr.id(),
                                          .repo = "berth-test/committed",
                                          .tag = ctag,
                                          .comment = "berth commit",
                                          .author = "berth",
                                          .changes = "LABEL berth.committed=yes"});
  REQUIRE(!committed.id.empty());
  auto cinfo = c.run(op::image_inspect{.name = committed.id});
  CHECK(cinfo.author == "berth");
  CHECK(cinfo.config->labels.value_or(std::map<std::string, std::string>{})["berth.committed"] == "yes");
  CHECK(path_in_image(c, "berth-test/committed:" + ctag, "/committed"));

  // History: the commit on top of the test image's layers.
  auto hist = c.run(op::image_history{.name = "berth-test/committed:" + ctag});
  REQUIRE(hist.size() >= 2);
  CHECK(hist.front().comment == "berth commit");

  // List, filtered to the committed reference.
  auto list = c.run(op::image_list{.filters = {{"reference", {"berth-test/committed:" + ctag}}}});
  REQUIRE(list.size() == 1);
  CHECK(list.front().id == committed.id);

  // Prune with a label no image carries: nothing is removed.
  auto pruned = c.run(op::image_prune{.filters = {{"label", {"berth.test.none=" + ctag}}}});
  CHECK(pruned.images_deleted.value_or(std::vector<engine::image_delete_response_item>{}).empty());
  auto bp = c.run(op::build_prune{.filters = {{"id", {"berth-no-such-cache-" + ctag}}}});
  CHECK(bp.space_reclaimed.value_or(0) == 0);
  CHECK(image_exists(c, test::test_image()));

  // Missing images are not_found with the daemon's words.
  c.run(op::image_inspect{.name = "berth-test/never-was:" + ctag}, ec, {.diag = &diag});
  CHECK(ec == engine::error::not_found);
  CHECK(!diag.message.empty());
}

TEST_CASE("search has no internet here: a typed error within the deadline") {
  auto c = test::docker();
  berth::diagnostics diag;
  std::error_code ec;
  // The term names the loopback registry, so the daemon asks it (it has no v1 search)
  // rather than resolving index.docker.io through the host's resolver.
  auto r = c.run(op::image_search{.term = registry_host + "/busybox", .limit = 1}, ec,
                 {.timeouts = {.total = 30s}, .diag = &diag});
  CHECK(ec);
  CHECK(!berth::is_timeout(ec));
  CHECK(r.empty());
  CHECK(diag.status >= 400);
  CHECK(!diag.message.empty());
  MESSAGE("search: " << ec.message() << ": " << diag.message);
}
