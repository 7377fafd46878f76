// Runtime choice and the containerd runtime options, byte for byte. The expected bytes
// were produced by `protoc --encode` with containerd 1.6's own protos (runc.v1 oci.proto,
// runtimeoptions v1 api.proto, containers.proto); the kata_protoc_crosscheck test checks
// the same inputs against protoc again on every run where protoc and the protos exist.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "berth/kata/kata.hpp"

using namespace berth::kata;
using berth::diagnostics;
namespace engine = berth::engine;
namespace net = berth::net;

namespace {

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace

TEST_CASE("the default choice is runc with its defaults") {
  runtime_choice c;
  CHECK(c.kind() == runtime_kind::runc);
  CHECK(c.isolation_level() == isolation::container);
  CHECK(c.shim_name() == "io.containerd.runc.v2");
  CHECK(c == runtime_choice::runc());
  auto rt = containerd_runtime_of(c);
  REQUIRE(rt);
  CHECK(rt->name == "io.containerd.runc.v2");
  CHECK_FALSE(rt->options.has_value());
}

TEST_CASE("kata is VM-isolated and names the v2 shim") {
  auto c = runtime_choice::kata();
  CHECK(c.kind() == runtime_kind::kata);
  CHECK(c.isolation_level() == isolation::vm);
  CHECK(c.shim_name() == "io.containerd.kata.v2");
  auto rt = containerd_runtime_of(c).value();
  CHECK(rt.name == "io.containerd.kata.v2");
  CHECK_FALSE(rt.options.has_value());  // the shim's own default configuration
}

TEST_CASE("runc options: containerd.runc.v1.Options fields 6, 7, 9") {
  runc_options o{.binary_name = "crun", .systemd_cgroup = true, .root = "/run/berth-runc"};
  // protoc --encode=containerd.runc.v1.Options runtime/v2/runc/options/oci.proto
  //   binary_name: "crun" root: "/run/berth-runc" systemd_cgroup: true
  CHECK(hex(encode_runc_options(o)) == "32046372756e3a0f2f72756e2f62657274682d72756e634801");
  CHECK(encode_runc_options({}).empty());
  CHECK(hex(encode_runc_options({.systemd_cgroup = true})) == "4801");
  // Every field, no_pivot_root (1) first: the bytes the containerd backend's own encoder
  // produced before this became berth's only one.
  CHECK(encode_runc_options({.binary_name = "b", .systemd_cgroup = true, .root = "/r",
                             .no_pivot_root = true}) ==
        std::string("\x08\x01\x32\x01" "b" "\x3a\x02/r\x48\x01", 11));
  CHECK(encode_runc_options({.binary_name = "runc", .systemd_cgroup = true}) ==
        std::string("\x32\x04runc\x48\x01", 8));
  CHECK(encode_runtime_options("/etc/kata.toml") == std::string("\x12\x0e/etc/kata.toml", 16));

  auto rt = containerd_runtime_of(runtime_choice::runc(o)).value();
  CHECK(rt.name == "io.containerd.runc.v2");
  REQUIRE(rt.options.has_value());
  CHECK(rt.options->type_url == "containerd.runc.v1.Options");  // bare, no type.googleapis.com/
  CHECK(rt.options->value == encode_runc_options(o));
}

TEST_CASE("kata config path: runtimeoptions.v1.Options field 2") {
  const std::string path = "/opt/kata/share/defaults/kata-containers/configuration.toml";
  // protoc --encode=runtimeoptions.v1.Options pkg/runtimeoptions/v1/api.proto
  //   config_path: "/opt/kata/share/defaults/kata-containers/configuration.toml"
  CHECK(hex(encode_runtime_options(path)) ==
        "123b2f6f70742f6b6174612f73686172652f64656661756c74732f6b6174612d636f6e7461696e657273"
        "2f636f6e66696775726174696f6e2e746f6d6c");
  auto rt = containerd_runtime_of(runtime_choice::kata({.config_path = path})).value();
  CHECK(rt.name == "io.containerd.kata.v2");
  REQUIRE(rt.options.has_value());
  CHECK(rt.options->type_url == "runtimeoptions.v1.Options");
  CHECK(rt.options->value == encode_runtime_options(path));
  // type_url (field 1) comes first when set
  CHECK(hex(encode_runtime_options("/k", "t")) == "0a01741202" "2f6b");
}

TEST_CASE("Any and Container.Runtime wrap the options") {
  packed_any any{"runtimeoptions.v1.Options", encode_runtime_options("/k.toml")};
  // Any{type_url = 1, value = 2}
  CHECK(hex(encode_any(any)) ==
        "0a1972756e74696d656f7074696f6e732e76312e4f7074696f6e73" "1209" "1207" "2f6b2e746f6d6c");
  // Container.Runtime{name = 1, options = 2}
  containerd_runtime rt{"io.containerd.kata.v2", any};
  CHECK(hex(encode_container_runtime(rt)) ==
        "0a15696f2e636f6e7461696e6572642e6b6174612e7632" "1226" + hex(encode_any(any)));
  // No options: the name alone. Options set but empty: an empty Any is still present.
  CHECK(hex(encode_container_runtime({"io.containerd.runc.v2", std::nullopt})) ==
        "0a15696f2e636f6e7461696e6572642e72756e632e7632");
  CHECK(hex(encode_container_runtime({"x", packed_any{}})) == "0a01781200");
}

TEST_CASE("long values get multi-byte varint lengths") {
  std::string path(200, 'a');
  auto bytes = encode_runtime_options(path);
  REQUIRE(bytes.size() == 3 + 200);
  CHECK(hex(bytes.substr(0, 3)) == "12c801");  // 200 = 0xc8 0x01
}

TEST_CASE("named runtimes: any shim, optional config path, declared isolation") {
  auto gvisor = runtime_choice::named("io.containerd.runsc.v1");
  CHECK(gvisor.kind() == runtime_kind::other);
  CHECK(gvisor.isolation_level() == isolation::container);
  auto rt = containerd_runtime_of(gvisor).value();
  CHECK(rt.name == "io.containerd.runsc.v1");
  CHECK_FALSE(rt.options.has_value());

  auto variant = runtime_choice::named("io.containerd.kata-qemu.v2", isolation::vm, "/etc/q.toml");
  CHECK(variant.isolation_level() == isolation::vm);
  auto rt2 = containerd_runtime_of(variant).value();
  CHECK(rt2.options->type_url == "runtimeoptions.v1.Options");
  CHECK(rt2.options->value == encode_runtime_options("/etc/q.toml"));

  auto empty = containerd_runtime_of(runtime_choice::named(""));
  CHECK(empty.error() == errc::invalid_runtime);
}

TEST_CASE("the error category names what went wrong") {
  std::error_code ec = errc::runtime_unavailable;
  CHECK(std::string(ec.category().name()) == "berth.kata");
  CHECK(ec.message() == "runtime not available on this engine");
  CHECK(std::error_code(errc::unsupported_setting).message() ==
        "container setting not supported by the runtime");
  CHECK(std::error_code(errc::unsupported_setting) != std::error_code(errc::runtime_unavailable));
}
