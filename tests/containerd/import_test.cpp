// Image archive import against the real containerd: an OCI layout exported by
// `ctr images export`, a docker save archive streamed from dockerd through berth's own
// ImageGet (and one from a file written by `docker save`), each imported into a fresh
// namespace and run; ctr sees the images; a second import reuses the content; a truncated
// archive, a blob that does not match its digest and a missing blob fail typed and leave
// nothing behind.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "berth/engine/engine.hpp"
#include "containerd/support.hpp"

using namespace berth;
using test::ctr;
using test::sh;
namespace ctrd = berth::containerd;
namespace op = berth::containerd::op;
namespace fs = std::filesystem;

namespace {

/// A scratch directory, removed at the end.
struct scratch {
  fs::path dir;
  scratch() {
    std::string t = (fs::temp_directory_path() / "berth-import-XXXXXX").string();
    dir = ::mkdtemp(t.data());
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_file(const std::string& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

/// The test image exported from containerd as an OCI layout (ctr images export).
std::string export_oci(const scratch& tmp) {
  test::scoped_namespace src;
  test::pull_test_image(src.client());
  std::string file = tmp.path("oci.tar");
  int st = -1;
  auto out = ctr(src.name(), "images export " + file + " " + test::registry_image(), &st);
  REQUIRE_MESSAGE(st == 0, "ctr images export: " << out);
  return file;
}

/// Runs `echo <word>` in a container of image; returns its stdout.
std::string run_echo(ctrd::client& c, const std::string& image, const std::string& word) {
  ctrd::container_options o;
  o.id = "import-run";
  o.image = image;
  o.args = {"echo", word};
  std::string out;
  ctrd::run_options ro;
  ro.on_output = [&](ctrd::output w, std::string_view d) {
    if (w == ctrd::output::stdout_stream) out += d;
  };
  std::error_code ec;
  auto r = c.run_container(o, ro, ec);
  REQUIRE_MESSAGE(!ec, "run " << image << ": " << ec.message());
  CHECK(r.exit_code == 0);
  return out;
}

/// After a failed import: no image, no snapshot, no blob, no lease, no ongoing write.
void check_nothing_left(ctrd::client& c) {
  CHECK(c.run(op::image_list{}).empty());
  CHECK(c.run(op::snapshot_list{}).empty());
  CHECK(c.run(op::content_list{}).empty());
  CHECK(c.run(op::lease_list{}).empty());
  CHECK(c.run(op::content_list_statuses{}).empty());
}

/// Offset and size of the data of the first tar entry whose path satisfies pred.
template <class Pred>
std::pair<std::size_t, std::size_t> find_entry(const std::string& tar, Pred pred) {
  std::size_t off = 0;
  while (off + 512 <= tar.size() && tar[off] != '\0') {
    std::string name(tar.data() + off, strnlen(tar.data() + off, 100));
    std::size_t size = std::strtoull(std::string(tar.data() + off + 124, 12).c_str(), nullptr, 8);
    if (pred(name, size)) return {off + 512, size};
    off += 512 + (size + 511) / 512 * 512;
  }
  return {0, 0};
}

}  // namespace

TEST_CASE("an OCI layout from ctr images export imports, runs, and is seen by ctr") {
  scratch tmp;
  std::string file = export_oci(tmp);
  test::scoped_namespace ns;
  auto& c = ns.client();
  berth::diagnostics diag;
  std::error_code ec;
  auto imgs = c.import_archive(file, {.diag = &diag}, ec);
  REQUIRE_MESSAGE(!ec, ec.message() << " (" << diag.message << ")");
  REQUIRE(imgs.size() == 1);
  CHECK(imgs[0].name == test::registry_image());
  CHECK(run_echo(c, test::registry_image(), "imported-oci") == "imported-oci\n");
  auto listed = ctr(ns.name(), "images ls -q");
  CHECK(listed.find(test::registry_image()) != std::string::npos);
  // Manifest, config and layer are held by the image (GC labels), with no lease left.
  CHECK(c.run(op::content_list{}).size() >= 3);
  CHECK(c.run(op::lease_list{}).empty());
  bool config_labelled = false;
  for (const auto& b : c.run(op::content_list{}))
    if (b.labels.count("containerd.io/gc.ref.snapshot.overlayfs")) config_labelled = true;
  CHECK(config_labelled);

  SUBCASE("importing twice reuses the content and the snapshots") {
    auto blobs = c.run(op::content_list{});
    auto snaps = c.run(op::snapshot_list{});
    auto again = c.import_archive(file, {}, ec);
    REQUIRE_MESSAGE(!ec, ec.message());
    REQUIRE(again.size() == 1);
    CHECK(again[0].target.digest == imgs[0].target.digest);
    CHECK(c.run(op::content_list{}).size() == blobs.size());
    CHECK(c.run(op::snapshot_list{}).size() == snaps.size());
    CHECK(c.run(op::lease_list{}).empty());
  }
  SUBCASE("the caller renames, and the import runs without unpacking") {
    test::scoped_namespace other;
    ctrd::import_options o;
    o.rename = [](const std::string&) { return std::string("example.com/renamed:v1"); };
    o.unpack = false;
    auto r = other.client().import_archive(file, o, ec);
    REQUIRE_MESSAGE(!ec, ec.message());
    REQUIRE(r.size() == 1);
    CHECK(r[0].name == "example.com/renamed:v1");
    CHECK(other.client().run(op::snapshot_list{}).empty());
  }
}

TEST_CASE("a docker save archive streamed from dockerd (ImageGet) imports and runs") {
  auto docker = engine::client(test::docker_endpoint());
  auto body = docker.run(engine::op::image_get{.name = test::test_image()});
  test::scoped_namespace ns;
  auto& c = ns.client();
  std::uint64_t streamed = 0;
  ctrd::archive_source src = [&](asio::mutable_buffer buf, std::error_code& ec) -> std::size_t {
    std::size_t n = body.read_some(buf, ec);
    if (ec == asio::error::eof) ec.clear();
    streamed += n;
    return n;
  };
  berth::diagnostics diag;
  std::error_code ec;
  auto imgs = c.import_archive(src, {.diag = &diag}, ec);
  REQUIRE_MESSAGE(!ec, ec.message() << " (" << diag.message << ")");
  CHECK(streamed > 1000000);
  REQUIRE(imgs.size() == 1);
  auto ref = ctrd::parse_reference(test::test_image());
  REQUIRE(ref);
  CHECK(imgs[0].name == ref->name());
  CHECK(imgs[0].target.media_type == "application/vnd.docker.distribution.manifest.v2+json");
  CHECK(run_echo(c, ref->name(), "imported-docker") == "imported-docker\n");
  CHECK(ctr(ns.name(), "images ls -q").find(ref->name()) != std::string::npos);
  // ctr can run it too (the manifest berth made is one containerd accepts).
  int st = -1;
  auto out = ctr(ns.name(), "run --rm " + ref->name() + " import-ctr-run echo via-ctr", &st);
  CHECK_MESSAGE(st == 0, out);
  CHECK(out.find("via-ctr") != std::string::npos);
}

TEST_CASE("a docker save file (docker save) imports; an untagged image gets the prefix name") {
  scratch tmp;
  std::string file = tmp.path("save.tar");
  int st = -1;
  auto out = sh("docker save -o " + file + " " + test::test_image() + " 2>&1", &st);
  REQUIRE_MESSAGE(st == 0, out);
  test::scoped_namespace ns;
  auto& c = ns.client();
  std::error_code ec;
  auto imgs = c.import_archive(file, {}, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  REQUIRE(imgs.size() == 1);
  CHECK(run_echo(c, imgs[0].name, "from-file") == "from-file\n");

  // The same archive without RepoTags: named name_prefix@<manifest digest>.
  std::string tar = read_file(file);
  auto [off, size] = find_entry(tar, [](const std::string& n, std::size_t) { return n == "manifest.json"; });
  REQUIRE(off != 0);
  std::string m = tar.substr(off, size);
  auto tags = m.find("\"RepoTags\":[");
  REQUIRE(tags != std::string::npos);
  auto end = m.find(']', tags);
  std::string blanked = m.substr(0, tags) + "\"RepoTags\":[" + std::string(end - tags - 12, ' ') + m.substr(end);
  REQUIRE(blanked.size() == m.size());
  tar.replace(off, size, blanked);
  // The header checksum does not cover the data: the archive stays valid.
  write_file(tmp.path("untagged.tar"), tar);
  test::scoped_namespace other;
  auto un = other.client().import_archive(tmp.path("untagged.tar"), {.name_prefix = "berth-import"}, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  REQUIRE(un.size() == 1);
  CHECK(un[0].name == "berth-import@" + imgs[0].target.digest);
}

TEST_CASE("broken archives fail typed and leave nothing behind") {
  scratch tmp;
  std::string file = export_oci(tmp);
  std::string tar = read_file(file);
  // The layer: the largest blob.
  auto [loff, lsize] = find_entry(tar, [](const std::string& n, std::size_t s) {
    return n.rfind("blobs/sha256/", 0) == 0 && s > 100000;
  });
  REQUIRE(loff != 0);

  SUBCASE("truncated inside a blob") {
    write_file(tmp.path("cut.tar"), std::string_view(tar).substr(0, loff + lsize / 2));
    test::scoped_namespace ns;
    berth::diagnostics diag;
    std::error_code ec;
    ns.client().import_archive(tmp.path("cut.tar"), {.diag = &diag}, ec);
    CHECK(ec == ctrd::pull_errc::bad_archive);
    CHECK(!diag.message.empty());
    check_nothing_left(ns.client());
  }
  SUBCASE("a blob that does not match its digest") {
    std::string bad = tar;
    bad[loff + lsize / 2] ^= 0x5a;
    write_file(tmp.path("bad.tar"), bad);
    test::scoped_namespace ns;
    std::error_code ec;
    ns.client().import_archive(tmp.path("bad.tar"), {}, ec);
    CHECK(ec == ctrd::pull_errc::digest_mismatch);
    check_nothing_left(ns.client());
    // The throwing form carries the same code.
    CHECK_THROWS_AS(ns.client().import_archive(tmp.path("bad.tar")), berth::error);
    check_nothing_left(ns.client());
  }
  SUBCASE("a missing blob") {
    int st = -1;
    std::string name = tar.substr(loff - 512, strnlen(tar.data() + loff - 512, 100));
    auto out = sh("cp " + file + " " + tmp.path("missing.tar") + " && tar --delete -f " + tmp.path("missing.tar") +
                      " " + name + " 2>&1",
                  &st);
    REQUIRE_MESSAGE(st == 0, out);
    test::scoped_namespace ns;
    std::error_code ec;
    ns.client().import_archive(tmp.path("missing.tar"), {}, ec);
    CHECK(ec == ctrd::pull_errc::missing_blob);
    check_nothing_left(ns.client());
  }
  SUBCASE("not an archive at all, and a missing file") {
    write_file(tmp.path("junk.tar"), std::string(4096, 'x'));
    test::scoped_namespace ns;
    std::error_code ec;
    ns.client().import_archive(tmp.path("junk.tar"), {}, ec);
    CHECK(ec == ctrd::pull_errc::bad_archive);
    ns.client().import_archive(tmp.path("no-such.tar"), {}, ec);
    CHECK(ec == std::errc::no_such_file_or_directory);
    check_nothing_left(ns.client());
  }
}
