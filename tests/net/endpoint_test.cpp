#include "berth/net/endpoint.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>

namespace net = berth::net;
using transport = net::endpoint::transport;

namespace {

net::endpoint parsed(std::string_view url, bool tls = false) {
  auto r = net::parse_endpoint(url, tls);
  INFO("url: " << url << " error: " << r.error().message());
  REQUIRE(r.has_value());
  return *r;
}

std::error_code failure(std::string_view url, bool tls = false) {
  auto r = net::parse_endpoint(url, tls);
  INFO("url: " << url);
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

// A temporary directory removed at scope end.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "berth-endpoint-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text = "-----BEGIN FAKE-----\n") const {
    std::ofstream(path / name) << text;
  }
};

net::env_lookup env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// endpoint's defaulted operator== is deleted while tls_options has no operator==.
bool same(const net::tls_options& a, const net::tls_options& b) {
  return a.verify == b.verify && a.ca_file == b.ca_file && a.cert_file == b.cert_file &&
         a.key_file == b.key_file && a.server_name == b.server_name;
}
bool same(const net::endpoint& a, const net::endpoint& b) {
  return a.kind == b.kind && a.path == b.path && a.host == b.host && a.port == b.port &&
         a.base_path == b.base_path && same(a.tls, b.tls);
}

}  // namespace

TEST_SUITE("unit") {

TEST_CASE("net error category names every enumerator") {
  const auto& cat = net::category();
  CHECK(std::string(cat.name()) == "berth.net");
  for (int e = static_cast<int>(net::error::bad_url); e <= static_cast<int>(net::error::path_too_long); ++e) {
    std::error_code ec = static_cast<net::error>(e);
    CHECK(&ec.category() == &cat);
    CHECK(ec.message().find("unknown") == std::string::npos);
    CHECK_FALSE(ec.message().empty());
  }
  CHECK(std::error_code(99, cat).message().find("unknown") != std::string::npos);
  std::error_code ec = net::error::bad_port;
  CHECK(ec == net::error::bad_port);
  CHECK(ec != net::error::bad_host);
}

TEST_CASE("unix endpoints") {
  auto ep = parsed("unix:///var/run/docker.sock");
  CHECK(ep.kind == transport::unix_socket);
  CHECK(ep.path == "/var/run/docker.sock");
  CHECK(ep.host.empty());
  CHECK(ep.port == 0);
  CHECK(ep.base_path.empty());
  CHECK(ep.authority() == "api.moby.localhost");
  CHECK(ep.to_string() == "unix:///var/run/docker.sock");
  CHECK(same(ep, net::default_docker_endpoint()));

  SUBCASE("relative path") {
    auto rel = parsed("unix://run/docker.sock");
    CHECK(rel.path == "run/docker.sock");
    CHECK(rel.to_string() == "unix://run/docker.sock");
  }
  SUBCASE("tls flag is ignored for unix sockets") {
    auto t = parsed("unix:///run/user/1000/docker.sock", true);
    CHECK(t.kind == transport::unix_socket);
    CHECK(same(t.tls, net::tls_options{}));
  }
  SUBCASE("scheme is case-insensitive") {
    CHECK(parsed("UNIX:///x.sock").path == "/x.sock");
  }
  SUBCASE("sun_path limit: 107 bytes plus NUL fit, 108 do not") {
    const std::string fits = "/" + std::string(106, 'a');
    REQUIRE(fits.size() == 107);
    CHECK(parsed("unix://" + fits).path == fits);
    CHECK(failure("unix://" + fits + "b") == net::error::path_too_long);
    CHECK(failure("unix://" + std::string(4096, '/')) == net::error::path_too_long);
  }
  SUBCASE("errors") {
    CHECK(failure("unix://") == net::error::missing_path);
    CHECK(failure("unix://", true) == net::error::missing_path);
    CHECK(failure(std::string_view("unix:///a\0b", 11)) == net::error::bad_url);
    CHECK(failure("unix:/var/run/docker.sock") == net::error::bad_url);
  }
}

TEST_CASE("tcp endpoints") {
  auto ep = parsed("tcp://127.0.0.1:2375");
  CHECK(ep.kind == transport::tcp);
  CHECK(ep.host == "127.0.0.1");
  CHECK(ep.port == 2375);
  CHECK(ep.base_path.empty());
  CHECK(ep.path.empty());
  CHECK(ep.authority() == "127.0.0.1:2375");
  CHECK(ep.to_string() == "tcp://127.0.0.1:2375");

  SUBCASE("default ports") {
    CHECK(parsed("tcp://docker.example.com").port == 2375);
    auto t = parsed("tcp://docker.example.com", true);
    CHECK(t.kind == transport::tls);
    CHECK(t.port == 2376);
    CHECK(t.tls.verify);
    CHECK(t.to_string() == "tls://docker.example.com:2376");
    CHECK(parsed("tcp://h:1234", true).port == 1234);
  }
  SUBCASE("port range") {
    CHECK(parsed("tcp://h:1").port == 1);
    CHECK(parsed("tcp://h:65535").port == 65535);
    CHECK(parsed("tcp://h:00080").port == 80);
    CHECK(failure("tcp://h:0") == net::error::bad_port);
    CHECK(failure("tcp://h:65536") == net::error::bad_port);
    CHECK(failure("tcp://h:99999999999999999999") == net::error::bad_port);
    CHECK(failure("tcp://h:") == net::error::bad_port);
    CHECK(failure("tcp://h:-1") == net::error::bad_port);
    CHECK(failure("tcp://h:12ab") == net::error::bad_port);
    CHECK(failure("tcp://h: 80") == net::error::bad_port);
    CHECK(failure("tcp://[::1]:") == net::error::bad_port);
    CHECK(failure("tcp://[::1]:x") == net::error::bad_port);
  }
  SUBCASE("IPv6 in brackets") {
    auto v6 = parsed("tcp://[::1]:2375");
    CHECK(v6.host == "::1");
    CHECK(v6.port == 2375);
    CHECK(v6.authority() == "[::1]:2375");
    CHECK(v6.to_string() == "tcp://[::1]:2375");
    auto full = parsed("tcp://[2001:db8::8a2e:370:7334]");
    CHECK(full.host == "2001:db8::8a2e:370:7334");
    CHECK(full.port == 2375);
    CHECK(parsed("tcp://[::ffff:10.0.0.1]:1").host == "::ffff:10.0.0.1");
  }
  SUBCASE("base path prefix, trailing slashes dropped") {
    auto p = parsed("tcp://h:1/prefix");
    CHECK(p.base_path == "/prefix");
    CHECK(p.to_string() == "tcp://h:1/prefix");
    CHECK(parsed("tcp://h:1/a/b/").base_path == "/a/b");
    CHECK(parsed("tcp://h:1/").base_path.empty());
    CHECK(parsed("tcp://h:1///").base_path.empty());
    CHECK(parsed("tcp://h/prefix").port == 2375);
    CHECK(parsed("tcp://[::1]/v").base_path == "/v");
    CHECK(failure("tcp://h:1/a b") == net::error::bad_url);
    CHECK(failure("tcp://h:1/a\r\nX: y") == net::error::bad_url);
    CHECK(failure("tcp://h:1/a?x=1") == net::error::bad_url);
    CHECK(failure("tcp://h:1/a#frag") == net::error::bad_url);
  }
  SUBCASE("host errors") {
    CHECK(failure("tcp://") == net::error::bad_host);
    CHECK(failure("tcp://:2375") == net::error::bad_host);
    CHECK(failure("tcp:///prefix") == net::error::bad_host);
    CHECK(failure("tcp://::1:2375") == net::error::bad_host);
    CHECK(failure("tcp://h:1:2") == net::error::bad_host);
    CHECK(failure("tcp://[::1") == net::error::bad_host);
    CHECK(failure("tcp://[]:1") == net::error::bad_host);
    CHECK(failure("tcp://[zz::1]:1") == net::error::bad_host);
    CHECK(failure("tcp://[1.2.3.4]:1") == net::error::bad_host);
    CHECK(failure("tcp://[::1]x") == net::error::bad_host);
    // inet_pton stops at NUL: what follows must not slip into the Host header.
    CHECK(failure(std::string_view("https://[2006:db8::\0\n]", 22)) == net::error::bad_host);
    CHECK(failure("tcp://[fe80::1%25eth0]:1") == net::error::bad_host);  // zones: unsupported
    CHECK(failure("tcp://user@h:1") == net::error::bad_host);
    CHECK(failure("tcp://ho st:1") == net::error::bad_host);
    CHECK(failure("tcp://h\x01:1") == net::error::bad_host);
    CHECK(failure("tcp://" + std::string(256, 'a')) == net::error::bad_host);
    CHECK(parsed("tcp://" + std::string(255, 'a')).host.size() == 255);
  }
}

TEST_CASE("http and https endpoints") {
  auto h = parsed("http://localhost:8080/docker");
  CHECK(h.kind == transport::tcp);
  CHECK(h.host == "localhost");
  CHECK(h.port == 8080);
  CHECK(h.base_path == "/docker");
  CHECK(parsed("http://localhost").port == 80);
  CHECK(parsed("http://localhost", true).kind == transport::tls);

  auto s = parsed("https://docker.example.com");
  CHECK(s.kind == transport::tls);
  CHECK(s.port == 443);
  CHECK(s.tls.verify);
  CHECK(s.tls.ca_file.empty());
  CHECK(s.authority() == "docker.example.com:443");
  CHECK(s.to_string() == "tls://docker.example.com:443");
  CHECK(parsed("HTTPS://[fe80::1]:9443").authority() == "[fe80::1]:9443");
  CHECK(failure("https://") == net::error::bad_host);
  CHECK(failure("http://h:70000") == net::error::bad_port);
}

TEST_CASE("bad URLs and unsupported schemes") {
  CHECK(failure("") == net::error::bad_url);
  CHECK(failure("localhost:2375") == net::error::bad_url);
  CHECK(failure("/var/run/docker.sock") == net::error::bad_url);
  CHECK(failure("://h:1") == net::error::bad_url);
  CHECK(failure("1tcp://h:1") == net::error::bad_url);
  CHECK(failure("tc p://h:1") == net::error::bad_url);
  CHECK(failure("tcp:/h:1") == net::error::bad_url);

  CHECK(failure("npipe:////./pipe/docker_engine") == net::error::unsupported_scheme);
  CHECK(failure("ssh://me@host") == net::error::unsupported_scheme);
  CHECK(failure("fd://") == net::error::unsupported_scheme);
  CHECK(failure("tls://h:2376") == net::error::unsupported_scheme);
  CHECK(failure("ftp://h") == net::error::unsupported_scheme);
}

TEST_CASE("to_string round-trips through parse_endpoint") {
  for (const char* url : {"unix:///var/run/docker.sock", "unix://rel.sock", "tcp://h:1",
                          "tcp://[::1]:2375/v1.43", "tcp://10.0.0.1:2375/a/b"}) {
    auto ep = parsed(url);
    CHECK(same(parsed(ep.to_string()), ep));
  }
}

TEST_CASE("endpoint_from_env without TLS") {
  SUBCASE("nothing set: the default socket") {
    auto r = net::endpoint_from_env(env({}));
    REQUIRE(r);
    CHECK(same(*r, net::default_docker_endpoint()));
  }
  SUBCASE("empty DOCKER_HOST counts as unset") {
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", ""}}));
    REQUIRE(r);
    CHECK(same(*r, net::default_docker_endpoint()));
  }
  SUBCASE("DOCKER_HOST") {
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d:2375"}, {"DOCKER_TLS_VERIFY", ""}}));
    REQUIRE(r);
    CHECK(r->kind == transport::tcp);
    CHECK(r->host == "d");
  }
  SUBCASE("parse errors pass through") {
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "ssh://me@d"}}));
    CHECK(r.error() == net::error::unsupported_scheme);
  }
  SUBCASE("DOCKER_TLS_VERIFY with a unix host: just unix") {
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "unix:///run/d.sock"},
                                         {"DOCKER_TLS_VERIFY", "1"},
                                         {"DOCKER_CERT_PATH", "/nonexistent"}}));
    REQUIRE(r);
    CHECK(r->kind == transport::unix_socket);
    CHECK(r->path == "/run/d.sock");
    CHECK(r->tls.ca_file.empty());
  }
  SUBCASE("https without TLS variables: system roots, no files read") {
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "https://d"}, {"HOME", "/nonexistent"}}));
    REQUIRE(r);
    CHECK(r->kind == transport::tls);
    CHECK(r->tls.ca_file.empty());
  }
}

TEST_CASE("endpoint_from_env with TLS material") {
  temp_dir dir;
  const std::string p = dir.path.string();

  SUBCASE("DOCKER_TLS_VERIFY and DOCKER_CERT_PATH with all three files") {
    dir.write("ca.pem");
    dir.write("cert.pem");
    dir.write("key.pem");
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d"}, {"DOCKER_TLS_VERIFY", "1"},
                                         {"DOCKER_CERT_PATH", p}}));
    REQUIRE(r);
    CHECK(r->kind == transport::tls);
    CHECK(r->port == 2376);
    CHECK(r->tls.verify);
    CHECK(r->tls.ca_file == (dir.path / "ca.pem").string());
    CHECK(r->tls.cert_file == (dir.path / "cert.pem").string());
    CHECK(r->tls.key_file == (dir.path / "key.pem").string());
    CHECK(r->tls.server_name.empty());
  }
  SUBCASE("DOCKER_CERT_PATH alone turns TLS on, still verified") {
    dir.write("ca.pem");
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d:1"}, {"DOCKER_CERT_PATH", p}}));
    REQUIRE(r);
    CHECK(r->kind == transport::tls);
    CHECK(r->tls.verify);
    CHECK(r->port == 1);
  }
  SUBCASE("no client certificate and no key is fine") {
    dir.write("ca.pem");
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d"}, {"DOCKER_TLS_VERIFY", "1"},
                                         {"DOCKER_CERT_PATH", p}}));
    REQUIRE(r);
    CHECK(r->tls.ca_file == (dir.path / "ca.pem").string());
    CHECK(r->tls.cert_file.empty());
    CHECK(r->tls.key_file.empty());
  }
  SUBCASE("certificate without key") {
    dir.write("ca.pem");
    dir.write("cert.pem");
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d"}, {"DOCKER_TLS_VERIFY", "1"},
                                         {"DOCKER_CERT_PATH", p}}));
    CHECK(r.error() == net::error::tls_material);
  }
  SUBCASE("key without certificate") {
    dir.write("ca.pem");
    dir.write("key.pem");
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d"}, {"DOCKER_TLS_VERIFY", "1"},
                                         {"DOCKER_CERT_PATH", p}}));
    CHECK(r.error() == net::error::tls_material);
  }
  SUBCASE("missing CA") {
    dir.write("cert.pem");
    dir.write("key.pem");
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d"}, {"DOCKER_TLS_VERIFY", "1"},
                                         {"DOCKER_CERT_PATH", p}}));
    CHECK(r.error() == net::error::tls_material);
  }
  SUBCASE("a directory where a file should be") {
    std::filesystem::create_directory(dir.path / "ca.pem");
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d"}, {"DOCKER_TLS_VERIFY", "1"},
                                         {"DOCKER_CERT_PATH", p}}));
    CHECK(r.error() == net::error::tls_material);
  }
  SUBCASE("certificate path is a directory, key a file") {
    dir.write("ca.pem");
    dir.write("key.pem");
    std::filesystem::create_directory(dir.path / "cert.pem");
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d"}, {"DOCKER_TLS_VERIFY", "1"},
                                         {"DOCKER_CERT_PATH", p}}));
    CHECK(r.error() == net::error::tls_material);
  }
  SUBCASE("default certificate directory: $HOME/.docker") {
    std::filesystem::create_directory(dir.path / ".docker");
    std::ofstream(dir.path / ".docker" / "ca.pem") << "x";
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d"}, {"DOCKER_TLS_VERIFY", "1"},
                                         {"HOME", p}}));
    REQUIRE(r);
    CHECK(r->tls.ca_file == (dir.path / ".docker" / "ca.pem").string());
    CHECK(r->tls.cert_file.empty());
  }
  SUBCASE("empty DOCKER_CERT_PATH falls back to $HOME/.docker") {
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d"}, {"DOCKER_TLS_VERIFY", "1"},
                                         {"DOCKER_CERT_PATH", ""}, {"HOME", p}}));
    CHECK(r.error() == net::error::tls_material);  // no $HOME/.docker/ca.pem
  }
  SUBCASE("no HOME and no DOCKER_CERT_PATH") {
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d"}, {"DOCKER_TLS_VERIFY", "1"}}));
    CHECK(r.error() == net::error::tls_material);
  }
  SUBCASE("https with DOCKER_TLS_VERIFY reads the files too") {
    dir.write("ca.pem");
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "https://d"}, {"DOCKER_TLS_VERIFY", "1"},
                                         {"DOCKER_CERT_PATH", p}}));
    REQUIRE(r);
    CHECK(r->port == 443);
    CHECK(r->tls.ca_file == (dir.path / "ca.pem").string());
  }
  SUBCASE("unreadable CA") {
    dir.write("ca.pem");
    std::filesystem::permissions(dir.path / "ca.pem", std::filesystem::perms::none);
    const bool root = ::geteuid() == 0;  // root reads it anyway
    auto r = net::endpoint_from_env(env({{"DOCKER_HOST", "tcp://d"}, {"DOCKER_TLS_VERIFY", "1"},
                                         {"DOCKER_CERT_PATH", p}}));
    if (root) CHECK(r.has_value());
    else CHECK(r.error() == net::error::tls_material);
  }
}

TEST_CASE("endpoint_from_env() reads the process environment") {
  ::setenv("DOCKER_HOST", "tcp://from-env:1234", 1);
  ::unsetenv("DOCKER_TLS_VERIFY");
  ::unsetenv("DOCKER_CERT_PATH");
  auto r = net::endpoint_from_env();
  ::unsetenv("DOCKER_HOST");
  REQUIRE(r);
  CHECK(r->host == "from-env");
  CHECK(r->port == 1234);
}

}  // TEST_SUITE
