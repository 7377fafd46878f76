// Registry credentials (berth/engine/auth.hpp), Docker contexts (berth/engine/context.hpp)
// and build contexts (.dockerignore matching, the directory tar of op/images.hpp), without
// a daemon: X-Registry-Auth encoding round trips, config.json lookups with a fake
// credential helper on a temporary PATH, contexts from a temporary DOCKER_CONFIG.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "berth/config/auth.hpp"
#include "berth/config/context.hpp"
#include "berth/engine/client.hpp"
#include "berth/engine/op/images.hpp"

namespace engine = berth::engine;
namespace config = berth::config;
namespace registry = berth::config;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("berth-auth-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
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

/// Sets (or unsets) an environment variable for the scope, restoring it afterwards.
struct scoped_env {
  std::string name;
  std::optional<std::string> old;
  scoped_env(std::string n, std::optional<std::string> value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    if (value) ::setenv(name.c_str(), value->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
  ~scoped_env() {
    if (old) ::setenv(name.c_str(), old->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
};

berth::net::env_lookup env_of(std::map<std::string, std::string> m) {
  return [m = std::move(m)](std::string_view k) -> std::optional<std::string> {
    auto it = m.find(std::string(k));
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("X-Registry-Auth: URL-safe base64 of the JSON, round trip with hostile passwords") {
  registry::auth_config a;
  a.username = "berth";
  a.password = "p+a/s=s?&%~_-\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac\"\\ \x7f";
  a.serveraddress = "127.0.0.1:5000";
  for (int i = 0; i < 64; ++i) {
    a.password += static_cast<char>('>' + i % 3);  // '>', '?', '@' give '+' and '/' in std base64
    std::string enc = registry::encode_registry_auth(a);
    CHECK(enc.find('+') == std::string::npos);
    CHECK(enc.find('/') == std::string::npos);
    auto back = registry::decode_registry_auth(enc);
    REQUIRE(back);
    CHECK(*back == a);
  }
  registry::auth_config token;
  token.identitytoken = "tok+/=";
  auto back = registry::decode_registry_auth(registry::encode_registry_auth(token));
  REQUIRE(back);
  CHECK(back->identitytoken == "tok+/=");
  CHECK(back->username.empty());
  CHECK(!registry::decode_registry_auth("!!!"));
  // Empty credentials encode as {}.
  CHECK(registry::encode_registry_auth({}) == "e30=");
}

TEST_CASE("registry host normalisation") {
  CHECK(registry::normalize_registry("docker.io") == registry::docker_hub_key);
  CHECK(registry::normalize_registry("index.docker.io") == registry::docker_hub_key);
  CHECK(registry::normalize_registry("https://index.docker.io/v1/") == registry::docker_hub_key);
  CHECK(registry::normalize_registry("registry-1.docker.io") == registry::docker_hub_key);
  CHECK(registry::normalize_registry("http://127.0.0.1:5000/v2/") == "127.0.0.1:5000");
  CHECK(registry::normalize_registry("Registry.Example.com") == "registry.example.com");
  CHECK(registry::registry_of("busybox") == "docker.io");
  CHECK(registry::registry_of("library/busybox:1") == "docker.io");
  CHECK(registry::registry_of("127.0.0.1:5000/a/b:c") == "127.0.0.1:5000");
  CHECK(registry::registry_of("localhost/x") == "localhost");
  CHECK(registry::registry_of("ghcr.io/x/y") == "ghcr.io");
}

TEST_CASE("credentials from config.json auths, DOCKER_AUTH_CONFIG, credsStore and credHelpers") {
  temp_dir dir;
  fs::path cfg = dir.path / "cfg";
  // user:pa:ss -> base64 dXNlcjpwYTpzcw==
  write(cfg / "config.json", R"({"auths": {"127.0.0.1:5000": {"auth": "dXNlcjpwYTpzcw=="},
                                           "https://index.docker.io/v1/": {"auth": "aHViOmh1YnB3"}}})");
  registry::lookup_options o;
  o.getenv = env_of({{"DOCKER_CONFIG", cfg.string()}});

  auto a = registry::resolve_credentials("127.0.0.1:5000", o);
  REQUIRE(a);
  CHECK(a->username == "user");
  CHECK(a->password == "pa:ss");
  CHECK(a->serveraddress == "127.0.0.1:5000");
  auto hub = registry::resolve_credentials("docker.io", o);
  REQUIRE(hub);
  CHECK(hub->username == "hub");
  CHECK(hub->password == "hubpw");
  auto none = registry::resolve_credentials("other.example:5000", o);
  CHECK(none.error() == config::error::credentials_not_found);

  SUBCASE("DOCKER_AUTH_CONFIG comes first") {
    o.getenv = env_of({{"DOCKER_CONFIG", cfg.string()},
                       {"DOCKER_AUTH_CONFIG", R"({"auths":{"http://127.0.0.1:5000":{"auth":"ZW52OmVudnB3"}}})"}});
    auto e = registry::resolve_credentials("127.0.0.1:5000", o);
    REQUIRE(e);
    CHECK(e->username == "env");
    CHECK(e->password == "envpw");
    o.getenv = env_of({{"DOCKER_CONFIG", cfg.string()}, {"DOCKER_AUTH_CONFIG", "not json"}});
    CHECK(registry::resolve_credentials("127.0.0.1:5000", o).error() == config::error::bad_config);
  }

  SUBCASE("a credential helper found on PATH") {
    fs::path bin = dir.path / "bin";
    write(bin / "docker-credential-fake",
          "#!/bin/sh\n"
          "[ \"$1\" = get ] || exit 3\n"
          "read server\n"
          "case \"$server\" in\n"
          "  127.0.0.1:5000) printf '{\"ServerURL\":\"%s\",\"Username\":\"helper\",\"Secret\":\"s3+/cr=t\"}' \"$server\" ;;\n"
          "  tok.example) printf '{\"ServerURL\":\"tok.example\",\"Username\":\"<token>\",\"Secret\":\"refresh\"}' ;;\n"
          "  slow.example) exec sleep 30 ;;\n"
          "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
          "esac\n");
    fs::permissions(bin / "docker-credential-fake", fs::perms::owner_all);
    const char* old_path = std::getenv("PATH");
    scoped_env path("PATH", bin.string() + ":" + (old_path ? old_path : "/usr/bin:/bin"));
    write(cfg / "config.json", R"({"auths": {"127.0.0.1:5000": {"auth": "dXNlcjpwYTpzcw=="}},
                                   "credsStore": "fake",
                                   "credHelpers": {"missing.example": "nosuchhelper"}})");
    auto h = registry::resolve_credentials("127.0.0.1:5000", o);
    REQUIRE(h);
    CHECK(h->username == "helper");
    CHECK(h->password == "s3+/cr=t");
    CHECK(h->serveraddress == "127.0.0.1:5000");
    auto t = registry::resolve_credentials("tok.example", o);
    REQUIRE(t);
    CHECK(t->identitytoken == "refresh");
    CHECK(t->username.empty());
    CHECK(registry::resolve_credentials("unknown.example", o).error() ==
          config::error::credentials_not_found);
    CHECK(registry::resolve_credentials("missing.example", o).error() ==
          config::error::helper_not_found);
    o.helper_timeout = std::chrono::milliseconds(300);
    auto start = std::chrono::steady_clock::now();
    CHECK(registry::resolve_credentials("slow.example", o).error() == config::error::helper_timeout);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  }
}

TEST_CASE("contexts: DOCKER_HOST, DOCKER_CONTEXT, currentContext, default") {
  temp_dir dir;
  fs::path cfg = dir.path / "cfg";
  CHECK(config::context_dir_name("default") ==
        "37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f");
  auto meta = [&](const std::string& name, const std::string& host, bool skip) {
    write(cfg / "contexts" / "meta" / config::context_dir_name(name) / "meta.json",
          R"({"Name":")" + name + R"(","Metadata":{},"Endpoints":{"docker":{"Host":")" + host +
              R"(","SkipTLSVerify":)" + (skip ? "true" : "false") + "}}}");
  };
  meta("plain", "tcp://127.0.0.1:23750", false);
  meta("secure", "tcp://example.test:2376", true);
  meta("sock", "unix:///run/other.sock", false);
  fs::path tls = cfg / "contexts" / "tls" / config::context_dir_name("secure") / "docker";
  write(tls / "ca.pem", "x");
  write(tls / "cert.pem", "x");
  write(tls / "key.pem", "x");
  write(cfg / "config.json", R"({"currentContext": "sock"})");

  scoped_env no_host("DOCKER_HOST", std::nullopt);
  scoped_env no_ctx("DOCKER_CONTEXT", std::nullopt);
  scoped_env config("DOCKER_CONFIG", cfg.string());
  scoped_env no_verify("DOCKER_TLS_VERIFY", std::nullopt);
  scoped_env no_certs("DOCKER_CERT_PATH", std::nullopt);

  auto ep = config::endpoint_from_context_env();
  REQUIRE(ep);
  CHECK(ep->kind == berth::net::endpoint::transport::unix_socket);
  CHECK(ep->path == "/run/other.sock");
  // engine::client::from_env resolves the same way.
  auto c = engine::client::from_env();
  REQUIRE(c);
  CHECK(c->endpoint().path == "/run/other.sock");

  {
    scoped_env ctx("DOCKER_CONTEXT", std::string("plain"));
    auto p = config::endpoint_from_context_env();
    REQUIRE(p);
    CHECK(p->kind == berth::net::endpoint::transport::tcp);
    CHECK(p->host == "127.0.0.1");
    CHECK(p->port == 23750);
  }
  {
    scoped_env ctx("DOCKER_CONTEXT", std::string("secure"));
    auto s = config::endpoint_from_context_env();
    REQUIRE(s);
    CHECK(s->kind == berth::net::endpoint::transport::tls);
    CHECK(s->host == "example.test");
    CHECK(!s->tls.verify);
    CHECK(s->tls.ca_file == (tls / "ca.pem").string());
    CHECK(s->tls.key_file == (tls / "key.pem").string());
  }
  {
    scoped_env ctx("DOCKER_CONTEXT", std::string("nosuch"));
    CHECK(config::endpoint_from_context_env().error() == config::error::context_not_found);
  }
  {
    scoped_env ctx("DOCKER_CONTEXT", std::string("default"));
    auto d = config::endpoint_from_context_env();
    REQUIRE(d);
    CHECK(d->path == "/var/run/docker.sock");
  }
  {
    // DOCKER_HOST wins over any context.
    scoped_env host("DOCKER_HOST", std::string("tcp://10.1.2.3:4567"));
    scoped_env ctx("DOCKER_CONTEXT", std::string("plain"));
    auto h = config::endpoint_from_context_env();
    REQUIRE(h);
    CHECK(h->host == "10.1.2.3");
    auto hc = engine::client::from_env();
    REQUIRE(hc);
    CHECK(hc->endpoint().port == 4567);
  }
  write(cfg / "config.json", "{}");
  auto d = config::endpoint_from_context_env();
  REQUIRE(d);
  CHECK(d->path == "/var/run/docker.sock");
  write(cfg / "config.json", "{not json");
  CHECK(config::endpoint_from_context_env().error() == config::error::bad_config);
}

TEST_CASE(".dockerignore matching as Docker's patternmatcher") {
  auto d = engine::dockerignore::parse(
      "# comment\n"
      "\n"
      "  secret.txt  \n"
      "*.log\n"
      "!keep.log\n"
      "build/\n"
      "docs/**/*.md\n"
      "!docs/README.md\n"
      "/root-only\n"
      "a?c\n"
      "**/tmp\n"
      "node_modules\n");
  CHECK(d.excluded("secret.txt"));
  CHECK(!d.excluded("dir/secret.txt"));
  CHECK(d.excluded("x.log"));
  CHECK(!d.excluded("keep.log"));
  CHECK(!d.excluded("sub/x.log"));  // * does not cross '/'
  CHECK(d.excluded("build"));
  CHECK(d.excluded("build/out/file.o"));  // a parent directory matches
  CHECK(d.excluded("docs/a.md"));
  CHECK(d.excluded("docs/x/y/z.md"));
  CHECK(!d.excluded("docs/README.md"));
  CHECK(!d.excluded("docs/a.txt"));
  CHECK(d.excluded("root-only"));
  CHECK(d.excluded("abc"));
  CHECK(!d.excluded("abbc"));
  CHECK(d.excluded("tmp"));
  CHECK(d.excluded("x/y/tmp/f"));
  CHECK(d.excluded("node_modules/pkg/index.js"));
  CHECK(!d.excluded("src/main.c"));
  CHECK(d.has_exceptions());

  auto all = engine::dockerignore::parse("*\n!Dockerfile\n");
  CHECK(all.excluded("anything"));
  CHECK(!all.excluded("Dockerfile"));
  auto esc = engine::dockerignore::parse("\\*star\nfile.txt\n");
  CHECK(esc.excluded("*star"));
  CHECK(!esc.excluded("xstar"));
  CHECK(!esc.excluded("fileXtxt"));  // '.' is literal
}

TEST_CASE("write_context_tar: a directory as tar, .dockerignore honoured, streamed in pieces") {
  temp_dir dir;
  write(dir.path / "Dockerfile", "FROM scratch\n");
  write(dir.path / ".dockerignore", "ignored.txt\nsub/*.tmp\nDockerfile\n");
  write(dir.path / "kept.txt", std::string(1000, 'k'));
  write(dir.path / "ignored.txt", "no");
  write(dir.path / "sub" / "a.tmp", "no");
  write(dir.path / "sub" / "b.dat", "yes");
  std::string long_name(150, 'n');
  write(dir.path / long_name, "long");
  fs::create_symlink("kept.txt", dir.path / "link");

  std::string tar;
  std::size_t pieces = 0, biggest = 0;
  auto r = engine::write_context_tar(dir.path, {.dockerfile = "Dockerfile", .chunk_bytes = 512},
                                     [&](std::string_view piece) {
                                       ++pieces;
                                       biggest = std::max(biggest, piece.size());
                                       tar.append(piece);
                                       return std::error_code{};
                                     });
  REQUIRE(r);
  CHECK(*r == tar.size());
  CHECK(tar.size() % 512 == 0);
  // File data comes in chunk_bytes pieces; the largest piece is the long name's headers
  // (PAX header block, PAX record block, ustar block), emitted together.
  CHECK(biggest <= 3 * 512);
  CHECK(pieces > 6);
  // Walk the headers.
  std::set<std::string> names;
  std::string pax_path;
  for (std::size_t off = 0; off + 512 <= tar.size();) {
    const char* h = tar.data() + off;
    if (h[0] == '\0') break;
    std::string name(h, strnlen(h, 100));
    std::size_t size = std::stoul(std::string(h + 124, 11), nullptr, 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    CHECK(sum == std::stoul(std::string(h + 148, 6), nullptr, 8));
    char type = h[156];
    std::string data = tar.substr(off + 512, size);
    off += 512 + (size + 511) / 512 * 512;
    if (type == 'x') {
      auto p = data.find(" path=");
      pax_path = data.substr(p + 6, data.find('\n', p) - p - 6);
      continue;
    }
    if (!pax_path.empty()) name = std::exchange(pax_path, {});
    names.insert(name);
    if (name == "kept.txt") CHECK(data == std::string(1000, 'k'));
    if (name == "link") CHECK(type == '2');
  }
  CHECK(names.count("Dockerfile"));  // always sent, even when ignored
  CHECK(names.count(".dockerignore"));
  CHECK(names.count("kept.txt"));
  CHECK(names.count("sub/"));
  CHECK(names.count("sub/b.dat"));
  CHECK(names.count(long_name));
  CHECK(names.count("link"));
  CHECK(!names.count("ignored.txt"));
  CHECK(!names.count("sub/a.tmp"));

  // A sink error stops the walk.
  auto failed = engine::write_context_tar(dir.path, {}, [](std::string_view) {
    return std::make_error_code(std::errc::broken_pipe);
  });
  CHECK(failed.error() == std::errc::broken_pipe);
}
