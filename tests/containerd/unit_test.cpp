// Unit tests of the containerd backend's decoders and generators: error categories,
// image references, manifests and indexes, image configs, WWW-Authenticate challenges,
// chain ids, the OCI spec and exec process, the runtime option encodings, the tar reader
// and the documents of image archives.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "berth/containerd/containerd.hpp"
#include "manifest.hpp"
#include "spec_json.hpp"
#include "tar.hpp"

using namespace berth::containerd;
namespace d = berth::containerd::detail;

TEST_CASE("errc: category, names and helpers") {
  std::error_code nf = errc::not_found;
  CHECK(nf.category().name() == std::string("berth.containerd"));
  CHECK(is_not_found(nf));
  CHECK(!is_already_exists(nf));
  CHECK(is_already_exists(make_error_code(errc::already_exists)));
  CHECK(is_not_found(make_error_code(pull_errc::manifest_unknown)));
  CHECK(is_unimplemented(make_error_code(errc::unimplemented)));
  CHECK(nf.message() == "not found");
  CHECK(std::error_code(pull_errc::digest_mismatch).category().name() == std::string("berth.containerd.pull"));
}

TEST_CASE("parse_reference: Docker defaults and explicit parts") {
  auto r = parse_reference("busybox");
  REQUIRE(r);
  CHECK(r->registry == "docker.io");
  CHECK(r->repository == "library/busybox");
  CHECK(r->tag == "latest");
  CHECK(r->name() == "docker.io/library/busybox:latest");

  r = parse_reference("127.0.0.1:5000/berth-test/busybox:v1");
  REQUIRE(r);
  CHECK(r->registry == "127.0.0.1:5000");
  CHECK(r->repository == "berth-test/busybox");
  CHECK(r->tag == "v1");

  r = parse_reference("localhost/x@sha256:abcd");
  REQUIRE(r);
  CHECK(r->registry == "localhost");
  CHECK(r->tag.empty());
  CHECK(r->digest == "sha256:abcd");
  CHECK(r->name() == "localhost/x@sha256:abcd");

  CHECK(parse_reference("").error() == pull_errc::bad_reference);
  CHECK(parse_reference("UPPER/case").error() == pull_errc::bad_reference);
  CHECK(parse_reference("x:").error() == pull_errc::bad_reference);
  CHECK(parse_reference("x@nodigest").error() == pull_errc::bad_reference);
}

TEST_CASE("parse_manifest: a Docker manifest") {
  const char* m = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7,"digest":"sha256:aa"},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":5,"digest":"sha256:bb"}]})";
  auto doc = d::parse_manifest(m);
  REQUIRE(doc);
  CHECK(!doc->index);
  CHECK(doc->config.digest == "sha256:aa");
  CHECK(doc->config.size == 7);
  REQUIRE(doc->layers.size() == 1);
  CHECK(doc->layers[0].size == 5);
  CHECK(d::is_layer(doc->layers[0].media_type));
}

TEST_CASE("parse_manifest: an OCI index resolved for a platform") {
  const char* m = R"({"schemaVersion":2,"manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"sha256:arm","platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":2,"digest":"sha256:amd","platform":{"os":"linux","architecture":"amd64"}}]})";
  auto doc = d::parse_manifest(m, "application/vnd.oci.image.index.v1+json");
  REQUIRE(doc);
  CHECK(doc->index);
  REQUIRE(doc->manifests.size() == 2);
  auto amd = d::select_platform(*doc, {"linux", "amd64", ""});
  REQUIRE(amd);
  CHECK(amd->digest == "sha256:amd");
  auto arm = d::select_platform(*doc, {"linux", "arm64", "v8"});
  REQUIRE(arm);
  CHECK(arm->digest == "sha256:arm");
  CHECK(d::select_platform(*doc, {"linux", "s390x", ""}).error() == pull_errc::no_matching_platform);
}

TEST_CASE("parse_manifest: malformed documents fail typed") {
  CHECK(d::parse_manifest("").error() == pull_errc::bad_manifest);
  CHECK(d::parse_manifest("[]").error() == pull_errc::bad_manifest);
  CHECK(d::parse_manifest(R"({"config":{"size":-1,"digest":"sha256:a"},"layers":[]})").error() == pull_errc::bad_manifest);
  CHECK(d::parse_manifest(R"({"config":{"size":1,"digest":"nocolon"},"layers":[]})").error() == pull_errc::bad_manifest);
  CHECK(d::parse_manifest(R"({"mediaType":"text/plain"})").error() == pull_errc::unsupported_media_type);
}

TEST_CASE("parse_image_config and chain ids") {
  const char* c = R"({"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","A=1"],"Cmd":["sh"],
    "WorkingDir":"/w","User":"1000:1000","Labels":{"k":"v"}},"rootfs":{"type":"layers","diff_ids":["sha256:a","sha256:b"]}})";
  auto cfg = d::parse_image_config(c);
  REQUIRE(cfg);
  CHECK(cfg->env.size() == 2);
  CHECK(cfg->cmd == std::vector<std::string>{"sh"});
  CHECK(cfg->working_dir == "/w");
  CHECK(cfg->user == "1000:1000");
  CHECK(cfg->labels.at("k") == "v");
  REQUIRE(cfg->diff_ids.size() == 2);
  CHECK(d::chain_id(cfg->diff_ids, 1) == "sha256:a");
  // chain(2) = sha256("sha256:a sha256:b")
  CHECK(d::chain_id(cfg->diff_ids, 2) == d::sha256_digest("sha256:a sha256:b"));
  CHECK(d::sha256_digest("") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("parse_www_authenticate") {
  auto c = d::parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  REQUIRE(c);
  CHECK(c->scheme == "Bearer");
  CHECK(c->params.at("realm") == "https://auth.docker.io/token");
  CHECK(c->params.at("service") == "registry.docker.io");
  CHECK(c->params.at("scope") == "repository:library/busybox:pull");
  c = d::parse_www_authenticate(R"(Basic realm="x \"q\"")");
  REQUIRE(c);
  CHECK(c->scheme == "Basic");
  CHECK(c->params.at("realm") == "x \"q\"");
  CHECK(!d::parse_www_authenticate(""));
  CHECK(!d::parse_www_authenticate(R"(Bearer realm="unterminated)"));
}

TEST_CASE("make_spec: image config and options") {
  d::image_config img;
  img.env = {"PATH=/bin", "FROM_IMAGE=1"};
  img.cmd = {"sh"};
  img.working_dir = "/srv";
  container_options o;
  o.id = "c1";
  o.env = {"FROM_IMAGE=2", "X=y"};
  o.user = "1000:100";
  o.read_only_rootfs = true;
  o.cap_add = {"sys_admin"};
  o.cap_drop = {"CAP_KILL"};
  o.mounts = {{.type = "bind", .source = "/tmp", .target = "/host", .read_only = true},
              {.type = "tmpfs", .target = "/scratch", .options = {"size=1m"}}};
  o.resources.memory_bytes = 64 << 20;
  o.resources.pids_limit = 50;
  o.labels = {{"a", "b"}};
  auto spec = d::make_spec(o, img, "ns1");
  REQUIRE(spec);
  rapidjson::Document doc;
  doc.Parse(spec->c_str());
  REQUIRE(!doc.HasParseError());
  const auto& p = doc["process"];
  CHECK(std::string(p["args"][0].GetString()) == "sh");
  CHECK(p["user"]["uid"].GetUint() == 1000);
  CHECK(p["user"]["gid"].GetUint() == 100);
  CHECK(std::string(p["cwd"].GetString()) == "/srv");
  std::vector<std::string> env;
  for (const auto& e : p["env"].GetArray()) env.emplace_back(e.GetString());
  CHECK(std::count(env.begin(), env.end(), "FROM_IMAGE=2") == 1);
  CHECK(std::count(env.begin(), env.end(), "FROM_IMAGE=1") == 0);
  CHECK(std::count(env.begin(), env.end(), "PATH=/bin") == 1);
  std::vector<std::string> caps;
  for (const auto& e : p["capabilities"]["bounding"].GetArray()) caps.emplace_back(e.GetString());
  CHECK(std::count(caps.begin(), caps.end(), "CAP_SYS_ADMIN") == 1);
  CHECK(std::count(caps.begin(), caps.end(), "CAP_KILL") == 0);
  CHECK(doc["root"]["readonly"].GetBool());
  CHECK(std::string(doc["linux"]["cgroupsPath"].GetString()) == "/ns1/c1");
  CHECK(doc["linux"]["resources"]["memory"]["limit"].GetInt64() == (64 << 20));
  CHECK(doc["linux"]["resources"]["pids"]["limit"].GetInt64() == 50);
  CHECK(std::string(doc["annotations"]["a"].GetString()) == "b");
  bool bind = false, tmpfs = false;
  for (const auto& m : doc["mounts"].GetArray()) {
    std::string dest = m["destination"].GetString();
    if (dest == "/host") bind = std::string(m["type"].GetString()) == "bind" && std::string(m["options"][1].GetString()) == "ro";
    if (dest == "/scratch") tmpfs = std::string(m["type"].GetString()) == "tmpfs";
  }
  CHECK(bind);
  CHECK(tmpfs);

  container_options bad = o;
  bad.user = "root";
  CHECK(d::make_spec(bad, img, "ns1").error() == pull_errc::bad_user);
  bad = o;
  bad.mounts = {{.type = "nfs", .target = "/x"}};
  CHECK(d::make_spec(bad, img, "ns1").error() == errc::invalid_argument);
  d::image_config no_cmd;
  CHECK(d::make_spec(container_options{.id = "x"}, no_cmd, "n").error() == errc::invalid_argument);
}

TEST_CASE("make_spec: privileged, and the exec process") {
  d::image_config img;
  img.cmd = {"sh"};
  container_options o{.id = "p"};
  o.privileged = true;
  auto spec = d::make_spec(o, img, "n");
  REQUIRE(spec);
  rapidjson::Document doc;
  doc.Parse(spec->c_str());
  CHECK(doc["process"]["capabilities"]["bounding"].Size() > 30);
  CHECK(!doc["linux"].HasMember("maskedPaths"));
  auto proc = d::make_process(*spec, {.args = {"echo", "hi"}, .env = {"E=1"}, .cwd = "/tmp", .user = "5:6"});
  REQUIRE(proc);
  rapidjson::Document pd;
  pd.Parse(proc->c_str());
  CHECK(std::string(pd["args"][1].GetString()) == "hi");
  CHECK(std::string(pd["cwd"].GetString()) == "/tmp");
  CHECK(pd["user"]["uid"].GetUint() == 5);
  CHECK(d::make_process("{}", {.args = {"x"}}).error() == errc::invalid_argument);
  CHECK(d::make_process(*spec, {}).error() == errc::invalid_argument);
}


namespace {

/// One ustar header block (+ data, padded) for the tar reader tests.
std::string tar_member(const std::string& name, const std::string& data, char type = '0',
                       const std::string& link = "") {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  std::snprintf(h.data() + 100, 8, "%07o", 0644);
  std::snprintf(h.data() + 124, 12, "%011o", static_cast<unsigned>(data.size()));
  h[156] = type;
  h.replace(157, link.size(), link);
  h.replace(257, 6, std::string("ustar\0", 6));
  h.replace(263, 2, "00");
  h.replace(148, 8, "        ");
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  std::string out = h + data;
  out.resize((out.size() + 511) / 512 * 512, '\0');
  return out;
}

struct tar_in_memory {
  std::string bytes;
  std::size_t pos = 0, step;
  explicit tar_in_memory(std::string b, std::size_t s = 7) : bytes(std::move(b)), step(s) {}
  d::tar_reader reader() {
    return d::tar_reader([this](char* buf, std::size_t n, std::error_code&) {
      std::size_t k = std::min({n, step, bytes.size() - pos});
      std::memcpy(buf, bytes.data() + pos, k);
      pos += k;
      return k;
    });
  }
};

}  // namespace

TEST_CASE("read_spec: the settings of a spec come back from it") {
  d::image_config img;
  img.cmd = {"/bin/sh"};
  img.env = {"PATH=/bin"};
  container_options o;
  o.id = "rt";
  o.args = {"sleep", "1"};
  o.env = {"A=1"};
  o.cwd = "/w";
  o.user = "7:8";
  o.additional_gids = {9};
  o.mounts = {{.type = "bind", .source = "/srv", .target = "/data", .read_only = true},
              {.type = "tmpfs", .target = "/t", .options = {"size=1m"}}};
  o.hostname = "h";
  o.terminal = true;
  o.cap_add = {"CAP_NET_ADMIN"};
  o.cap_drop = {"CAP_KILL"};
  o.read_only_rootfs = true;
  o.host_pid = true;
  o.ulimits = {{"nproc", 10, 20}};
  o.sysctls = {{"net.core.somaxconn", "1024"}};
  o.shm_size = 1 << 20;
  o.resources.memory_bytes = 64 << 20;
  o.resources.cpu_quota = 50000;
  o.resources.cpu_period = 100000;
  auto spec = d::make_spec(o, img, "ns");
  REQUIRE(spec);
  auto back = d::read_spec(*spec);
  REQUIRE(back);
  CHECK(back->args == o.args);
  CHECK(back->env == std::vector<std::string>{"PATH=/bin", "A=1", "TERM=xterm"});
  CHECK(back->cwd == "/w");
  CHECK(back->user == "7:8");
  CHECK(back->additional_gids == o.additional_gids);
  REQUIRE(back->mounts.size() == 2);
  CHECK(back->mounts[0].type == "bind");
  CHECK(back->mounts[0].source == "/srv");
  CHECK(back->mounts[0].target == "/data");
  CHECK(back->mounts[0].read_only);
  CHECK(back->mounts[1].type == "tmpfs");
  CHECK(back->mounts[1].options == std::vector<std::string>{"size=1m"});
  CHECK(back->hostname == "h");
  CHECK(back->terminal);
  CHECK(back->cap_add == o.cap_add);
  CHECK(back->cap_drop == std::vector<std::string>{"CAP_KILL"});
  CHECK_FALSE(back->privileged);
  CHECK(back->read_only_rootfs);
  CHECK(back->host_pid);
  REQUIRE(back->ulimits.size() == 1);
  CHECK(back->ulimits[0] == berth::containerd::ulimit_spec{"RLIMIT_NPROC", 10, 20});
  CHECK(back->sysctls == o.sysctls);
  CHECK(back->shm_size == o.shm_size);
  CHECK(back->resources.memory_bytes == o.resources.memory_bytes);
  CHECK(back->resources.cpu_quota == o.resources.cpu_quota);
  CHECK(back->resources.cpu_period == o.resources.cpu_period);

  // Privileged reads back as privileged (every capability, no masked paths).
  container_options p;
  p.id = "p";
  p.privileged = true;
  auto pspec = d::make_spec(p, img, "ns");
  REQUIRE(pspec);
  CHECK(d::read_spec(*pspec)->privileged);
  CHECK_FALSE(d::read_spec(*pspec)->host_pid);
  // Not a spec: typed.
  CHECK(d::read_spec("{nope").error() == pull_errc::bad_manifest);
  // A bad ulimit name and soft > hard are refused when the spec is made.
  container_options bad;
  bad.id = "b";
  bad.ulimits = {{"nosuchlimit", 1, 1}};
  CHECK(d::make_spec(bad, img, "ns").error() == errc::invalid_argument);
  bad.ulimits = {{"nofile", 2, 1}};
  CHECK(d::make_spec(bad, img, "ns").error() == errc::invalid_argument);
}

TEST_CASE("config_hash: every setting counts, id and labels do not") {
  container_options a;
  a.image = "img";
  a.args = {"x"};
  auto h = berth::containerd::config_hash(a);
  CHECK(h.size() == 64);
  auto b = a;
  b.id = "other";
  b.labels = {{"k", "v"}};
  CHECK(berth::containerd::config_hash(b) == h);
  b.env = {"A=1"};
  CHECK(berth::containerd::config_hash(b) != h);
  auto c = a;
  c.args = {"x", ""};  // not the same as {"x"}: lengths are part of the text
  CHECK(berth::containerd::config_hash(c) != h);
  auto e = a;
  e.ulimits = {{"nofile", 1, 2}};
  CHECK(berth::containerd::config_hash(e) != h);
}

TEST_CASE("tar_reader: entries, data in pieces, links, pax paths, the end") {
  std::string pax_rec = "30 path=./deep/dir/index.json\n";
  std::string archive = tar_member("./blobs/", "", '5') + tar_member("blobs/sha256/aa", std::string(1000, 'x')) +
                        tar_member("b/layer.tar", "", '2', "../a/layer.tar") + tar_member("PaxHeaders/x", pax_rec, 'x') +
                        tar_member("short", "{}") + std::string(1024, '\0');
  tar_in_memory mem(archive);
  auto t = mem.reader();
  auto e = t.next();
  REQUIRE(e);
  REQUIRE(*e);
  CHECK((*e)->kind == d::tar_entry::directory);
  CHECK((*e)->path == "blobs");
  e = t.next();
  REQUIRE((e && *e));
  CHECK((*e)->path == "blobs/sha256/aa");
  CHECK((*e)->size == 1000);
  char buf[300];
  std::size_t total = 0;
  for (;;) {
    auto n = t.read(buf, sizeof buf);
    REQUIRE(n);
    if (!*n) break;
    total += *n;
  }
  CHECK(total == 1000);
  e = t.next();
  REQUIRE((e && *e));
  CHECK((*e)->kind == d::tar_entry::symlink);
  CHECK((*e)->link == "../a/layer.tar");
  CHECK(d::normalize_tar_path("b/../a/layer.tar") == "a/layer.tar");
  e = t.next();
  REQUIRE((e && *e));
  CHECK((*e)->path == "deep/dir/index.json");  // the pax path wins, normalised
  CHECK((*e)->size == 2);
  e = t.next();
  REQUIRE(e);
  CHECK(!*e);

  // Cut inside the data: bad_archive, at whatever point the source ends.
  for (std::size_t cut : {600u, 1100u, 1536u + 10u}) {
    tar_in_memory part(archive.substr(0, cut), 64);
    auto r = part.reader();
    std::error_code ec;
    for (int i = 0; i < 10 && !ec; ++i) {
      auto x = r.next();
      if (!x) {
        ec = x.error();
        break;
      }
      if (!*x) break;
      for (;;) {
        auto n = r.read(buf, sizeof buf);
        if (!n) {
          ec = n.error();
          break;
        }
        if (!*n) break;
      }
    }
    CHECK(ec == pull_errc::bad_archive);
  }
  // A bad checksum.
  std::string bad = tar_member("x", "y");
  bad[0] = 'z';
  tar_in_memory junk(bad);
  auto jr = junk.reader();
  auto je = jr.next();
  REQUIRE(!je);
  CHECK(je.error() == pull_errc::bad_archive);
}

TEST_CASE("archive documents: oci-layout, docker save manifest.json, the manifest berth makes") {
  CHECK(d::parse_oci_layout(R"({"imageLayoutVersion":"1.0.0"})").value() == "1.0.0");
  CHECK(!d::parse_oci_layout(R"({"imageLayoutVersion":"2.0.0"})"));
  CHECK(!d::parse_oci_layout("[]"));
  auto s = d::parse_save_manifest(R"([{"Config":"c.json","RepoTags":["a:1","b:2"],"Layers":["l/layer.tar"]}])");
  REQUIRE(s);
  REQUIRE(s->size() == 1);
  CHECK((*s)[0].repo_tags.size() == 2);
  descriptor cfg{"application/vnd.docker.container.image.v1+json", "sha256:" + std::string(64, 'a'), 10, {}};
  descriptor layer{"application/vnd.docker.image.rootfs.diff.tar", "sha256:" + std::string(64, 'b'), 20, {}};
  auto m = d::make_docker_manifest(cfg, {layer});
  CHECK(m == d::make_docker_manifest(cfg, {layer}));
  auto back = d::parse_manifest(m);
  REQUIRE(back);
  CHECK(back->media_type == "application/vnd.docker.distribution.manifest.v2+json");
  CHECK(back->config.digest == cfg.digest);
  REQUIRE(back->layers.size() == 1);
  CHECK(back->layers[0].size == 20);
  CHECK(d::is_layer(back->layers[0].media_type));
}
