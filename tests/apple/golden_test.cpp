// The payload golden files (tests/apple/golden, listed in MANIFEST). For an exact fixture
// the value is built here field by field, independently of the decoder: it must encode
// DOM-equal to the file, the file must decode equal to it, and re-encode DOM-equal (so a
// key misspelt in both directions cannot pass). Tolerant fixtures decode with the defaults
// APPLE.md states; reject fixtures fail with the listed error and path. Every file under
// golden/ (routes/ aside) must be listed.
#include <doctest/doctest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "berth/apple/json.hpp"
#include "support/golden.hpp"

using namespace berth::apple;
using berth::apple::test::fixture;
using berth::apple::test::golden_dir;
using berth::apple::test::json_equal;
using berth::apple::test::read_text;

namespace {

const std::string D = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// ---- builders (from APPLE.md's values, not from the files) ----

platform arm64() { return {"linux", "arm64", std::nullopt}; }
descriptor index_descriptor() { return {"application/vnd.oci.image.index.v1+json", D, 9218, {}, {}, {}, {}}; }
image_description alpine() { return {"docker.io/library/alpine:latest", index_descriptor()}; }
rlimit nofile() { return {"RLIMIT_NOFILE", 1024, 1024}; }
process_configuration sh_process() {
  process_configuration p;
  p.executable = "/bin/sh";
  p.arguments = {"-c", "echo hello"};
  p.environment = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  p.working_directory = "/";
  p.terminal = false;
  p.user = user_id{0, 0};
  p.rlimits = {nofile()};
  return p;
}
filesystem virtiofs_mount() { return {fs_virtiofs{}, "/Users/u/src", "/src", {"ro"}}; }
filesystem tmpfs_mount() { return {fs_tmpfs{}, "tmpfs", "/run", {}}; }
filesystem block_mount() {
  return {fs_block{"ext4", cache_mode::on, sync_mode::fsync}, "/Users/u/disk.img", "/data", {}};
}
publish_port kina_port() { return {"127.0.0.1", 6443, 6443, publish_protocol::tcp, 1}; }
attachment web_attachment() {
  attachment a;
  a.network = "default";
  a.hostname = "web.test.";
  a.ipv4_address = "192.168.64.2/24";
  a.ipv4_gateway = "192.168.64.1";
  a.mac_address = "f6:00:00:00:00:01";
  a.mtu = 1280;
  return a;
}
container_configuration web_config() {
  container_configuration c;
  c.id = "web";
  c.image = alpine();
  c.mounts = {virtiofs_mount(), tmpfs_mount()};
  c.published_ports = {kina_port()};
  c.labels = {{"io.kina.cluster", "kina"}};
  c.networks = {{"default", {"web.test.", std::nullopt, 1280}}};
  c.dns = dns_configuration{{"1.1.1.1"}, std::nullopt, {}, {}};
  c.init_process = sh_process();
  c.platform = arm64();
  c.resources = resources{4, 1073741824, std::nullopt, 1};
  c.runtime_handler = "container-runtime-linux";
  c.cap_add = {"ALL"};
  c.creation_date = reference_date{809330969.025174};
  return c;
}
container_snapshot running_snapshot() { return {web_config(), runtime_status::running, {web_attachment()}, reference_date{809330970.5}}; }
container_snapshot stopped_snapshot() { return {web_config(), runtime_status::stopped, {}, std::nullopt}; }
network_configuration default_network() {
  network_configuration n;
  n.name = "default";
  n.creation_date = reference_date{809330000.0};
  n.mode = network_mode::nat;
  n.ipv4_subnet = "192.168.64.0/24";
  n.plugin = "container-network-vmnet";
  return n;
}
network_resource default_resource() {
  return {"default", default_network(), network_status{"192.168.64.0/24", "192.168.64.1", std::nullopt}};
}
volume_configuration volume_v() {
  volume_configuration v;
  v.name = "v";
  v.driver = "local";
  v.format = "ext4";
  v.source = "/Users/u/volumes/v/volume.img";
  v.creation_date = reference_date{809330969.025174};
  v.size_in_bytes = 536870912;
  return v;
}

template <class T>
using builders_t = std::map<std::string, std::function<T()>>;

// Types with no exact fixture of their own get an empty table.
template <class T>
builders_t<T>& builders() {
  static builders_t<T> b;
  return b;
}

#define BUILDERS(T) \
  template <>       \
  builders_t<T>& builders<T>() { static builders_t<T> b = make_##T(); return b; }

builders_t<platform> make_platform() {
  return {{"platform.json", arm64}, {"platform.variant.json", [] { return platform{"linux", "arm64", "v8"}; }}};
}
builders_t<system_platform> make_system_platform() { return {{"system_platform.json", [] { return system_platform{"linux", "arm64"}; }}}; }
builders_t<descriptor> make_descriptor() {
  return {{"descriptor.json", index_descriptor}, {"descriptor.full.json", [] {
             descriptor d = index_descriptor();
             d.urls = std::vector<std::string>{"https://example.invalid/blob"};
             d.annotations = string_map{{"org.opencontainers.image.ref.name", "latest"}};
             d.platform = arm64();
             d.artifact_type = "application/vnd.example";
             return d;
           }}};
}
builders_t<image_description> make_image_description() { return {{"image_description.json", alpine}}; }
builders_t<user> make_user() {
  return {{"user.id.json", [] { return user{user_id{0, 0}}; }}, {"user.raw.json", [] { return user{user_raw{"1000:1000"}}; }}};
}
builders_t<rlimit> make_rlimit() { return {{"rlimit.json", nofile}}; }
builders_t<process_configuration> make_process_configuration() {
  return {{"process_configuration.json", sh_process}, {"process_configuration.raw_user.json", [] {
             process_configuration p = sh_process();
             p.terminal = true;
             p.user = user_raw{"1000:1000"};
             p.supplemental_groups = {10, 20};
             p.rlimits = {};
             return p;
           }}};
}
builders_t<filesystem> make_filesystem() {
  return {{"filesystem.virtiofs.json", virtiofs_mount},
          {"filesystem.tmpfs.json", tmpfs_mount},
          {"filesystem.block.json", block_mount},
          {"filesystem.volume.json",
           [] { return filesystem{fs_volume{"v", "ext4", cache_mode::on, sync_mode::fsync}, "/Users/u/volumes/v/volume.img", "/data", {}}; }},
          {"filesystem.modes.json",
           [] { return filesystem{fs_block{"ext4", cache_mode::off, sync_mode::nosync}, "/Users/u/disk.img", "/data", {}}; }},
          {"filesystem.modes2.json",
           [] { return filesystem{fs_block{"xfs", cache_mode::auto_, sync_mode::full}, "/Users/u/disk.img", "/data", {"ro"}}; }}};
}
builders_t<publish_port> make_publish_port() {
  return {{"publish_port.json", kina_port},
          {"publish_port.udp.json", [] { return publish_port{"0.0.0.0", 5353, 53, publish_protocol::udp, 2}; }}};
}
builders_t<publish_socket> make_publish_socket() {
  return {{"publish_socket.json", [] { return publish_socket{"/var/run/app.sock", "/Users/u/app.sock", 420u}; }}};
}
builders_t<attachment_configuration> make_attachment_configuration() {
  return {{"attachment_configuration.json",
           [] { return attachment_configuration{"default", {"web.test.", "f6:00:00:00:00:01", 1280u}}; }}};
}
builders_t<attachment> make_attachment() {
  return {{"attachment.json", web_attachment}, {"attachment.v6.json", [] {
             attachment a = web_attachment();
             a.ipv6_address = "fd00::2/64";
             return a;
           }}};
}
builders_t<dns_configuration> make_dns_configuration() {
  return {{"dns_configuration.json", [] { return dns_configuration{{"1.1.1.1"}, "test", {"test"}, {"ndots:1"}}; }}};
}
builders_t<resources> make_resources() {
  return {{"resources.json", [] { return resources{4, 1073741824, 10737418240ull, 1}; }}};
}
builders_t<container_configuration> make_container_configuration() {
  return {{"container_configuration.json", web_config}, {"container_configuration.v12.json", [] {
             container_configuration c = web_config();
             c.shm_size = 67108864;
             c.stop_signal = "SIGTERM";
             c.masked_paths = std::vector<std::string>{"/proc/kcore"};
             c.readonly_paths = std::vector<std::string>{"/proc/sys"};
             return c;
           }}};
}
builders_t<container_snapshot> make_container_snapshot() {
  return {{"container_snapshot.json", running_snapshot}, {"container_snapshot.stopped.json", stopped_snapshot}};
}
builders_t<container_create_options> make_container_create_options() {
  return {{"container_create_options.json", [] { return container_create_options{true, std::nullopt}; }},
          {"container_create_options.rootfs.json", [] { return container_create_options{false, block_mount()}; }}};
}
builders_t<container_list_filters> make_container_list_filters() {
  return {{"container_list_filters.all.json", [] { return container_list_filters{}; }},
          {"container_list_filters.running.json",
           [] { return container_list_filters{{"web"}, runtime_status::running, {{"io.kina.cluster", "^kina$"}}}; }}};
}
builders_t<container_stop_options> make_container_stop_options() {
  return {{"container_stop_options.json", [] { return container_stop_options{}; }},
          {"container_stop_options.signal.json", [] { return container_stop_options{30, "SIGINT"}; }}};
}
builders_t<container_stats> make_container_stats() {
  return {{"container_stats.json",
           [] {
             container_stats s;
             s.id = "web";
             s.memory_usage_bytes = 10485760;
             s.memory_limit_bytes = 1073741824;
             s.cpu_usage_usec = 1500000;
             s.network_rx_bytes = 2048;
             s.network_tx_bytes = 1024;
             s.block_read_bytes = 4096;
             s.block_write_bytes = 8192;
             s.num_processes = 3;
             return s;
           }},
          {"container_stats.minimal.json", [] { return container_stats{"web", {}, {}, {}, {}, {}, {}, {}, {}}; }}};
}
builders_t<kernel> make_kernel() {
  return {{"kernel.json", [] {
             return kernel{"file:///Users/u/Library/Application%20Support/com.apple.container/kernels/vmlinux",
                           {"linux", "arm64"},
                           {{"console=hvc0"}, {}}};
           }}};
}
builders_t<network_configuration> make_network_configuration() {
  return {{"network_configuration.json", default_network}, {"network_configuration.host_only.json", [] {
             network_configuration n;
             n.name = "isolated";
             n.creation_date = reference_date{809330001.5};
             n.mode = network_mode::host_only;
             n.labels = {{"a", "b"}};
             return n;
           }}};
}
builders_t<network_resource> make_network_resource() { return {{"network_resource.json", default_resource}}; }
builders_t<volume_configuration> make_volume_configuration() { return {{"volume_configuration.json", volume_v}}; }
builders_t<disk_usage_stats> make_disk_usage_stats() {
  return {{"disk_usage_stats.json", [] {
             return disk_usage_stats{{2, 1, 52428800, 10485760}, {1, 1, 1048576, 0}, {0, 0, 0, 0}};
           }}};
}
builders_t<string_map> make_string_map() { return {{"string_map.json", [] { return string_map{{"K", "V"}, {"PATH", "/bin"}}; }}}; }
builders_t<xpc_error_payload> make_xpc_error_payload() {
  return {{"error.not_found.json", [] { return xpc_error_payload{"notFound", "container web not found"}; }},
          {"error.fallback.json",
           [] { return xpc_error_payload{"internalError", "the daemon failed to encode the original error"}; }},
          {"error.cause.json", [] { return xpc_error_payload{"invalidState", "cannot stop (cause: \"busy\")"}; }}};
}

BUILDERS(platform)
BUILDERS(system_platform)
BUILDERS(descriptor)
BUILDERS(image_description)
BUILDERS(user)
BUILDERS(rlimit)
BUILDERS(process_configuration)
BUILDERS(filesystem)
BUILDERS(publish_port)
BUILDERS(publish_socket)
BUILDERS(attachment_configuration)
BUILDERS(attachment)
BUILDERS(dns_configuration)
BUILDERS(resources)
BUILDERS(container_configuration)
BUILDERS(container_snapshot)
BUILDERS(container_create_options)
BUILDERS(container_list_filters)
BUILDERS(container_stop_options)
BUILDERS(container_stats)
BUILDERS(kernel)
BUILDERS(network_configuration)
BUILDERS(network_resource)
BUILDERS(volume_configuration)
BUILDERS(disk_usage_stats)
BUILDERS(string_map)
BUILDERS(xpc_error_payload)

// Arrays: the list fixtures.
template <class T>
std::map<std::string, std::function<std::vector<T>()>>& list_builders() {
  static std::map<std::string, std::function<std::vector<T>()>> b;
  return b;
}
void register_lists() {
  list_builders<container_snapshot>()["container_snapshot.list.json"] = [] {
    return std::vector<container_snapshot>{running_snapshot(), stopped_snapshot()};
  };
  list_builders<image_description>()["image_description.list.json"] = [] { return std::vector<image_description>{alpine()}; };
  list_builders<network_resource>()["network_resource.list.json"] = [] {
    return std::vector<network_resource>{default_resource()};
  };
  list_builders<volume_configuration>()["volume_configuration.list.json"] = [] {
    return std::vector<volume_configuration>{volume_v()};
  };
}

// ---- tolerant expectations: the defaults APPLE.md states ----

void tolerant_checks(const std::string& file, const std::string& text) {
  if (file == "tolerant/container_configuration.minimal.json") {
    auto c = parse<container_configuration>(text).value();
    CHECK(c.mounts.empty());
    CHECK(c.published_ports.empty());
    CHECK(c.published_sockets.empty());
    CHECK(c.resources == resources{4, 1073741824, std::nullopt, 1});
    CHECK(c.runtime_handler == "container-runtime-linux");
  } else if (file == "tolerant/resources.empty.json") {
    CHECK(parse<resources>(text).value() == resources{4, 1073741824, std::nullopt, 1});
  } else if (file == "tolerant/publish_port.no_count.json") {
    CHECK(parse<publish_port>(text).value().count == 1);
  } else if (file == "tolerant/network_configuration.minimal.json") {
    CHECK(parse<network_configuration>(text).value().plugin == "container-network-vmnet");
  } else if (file == "tolerant/volume_configuration.minimal.json") {
    auto v = parse<volume_configuration>(text).value();
    CHECK(v.driver == "local");
    CHECK(v.format == "ext4");
  } else if (file == "tolerant/attachment.variant.json") {
    auto a = parse<attachment>(text).value();
    REQUIRE(a.variant);
    CHECK(json_equal(a.variant->text, R"({"anything":[1]})"));
    CHECK(json_equal(to_json(a).value(), text));
  } else if (file == "tolerant/publish_socket.file_url.json") {
    CHECK(parse<publish_socket>(text).value().host_path == "file:///Users/u/app.sock");
  } else if (file == "tolerant/unknown_keys.json") {
    CHECK(parse<image_description>(text).value() == alpine());
  } else if (file == "tolerant/optional_null.json") {
    CHECK(parse<platform>(text).value() == arm64());
  } else {
    FAIL("no expectations for " << file);
  }
}

std::error_code errc_named(const std::string& n) {
  static const std::map<std::string, json_errc> m = {
      {"bad_json", json_errc::bad_json},           {"not_an_object", json_errc::not_an_object},
      {"not_an_array", json_errc::not_an_array},   {"missing_field", json_errc::missing_field},
      {"type_mismatch", json_errc::type_mismatch}, {"unknown_case", json_errc::unknown_case},
      {"out_of_range", json_errc::out_of_range},   {"invalid_value", json_errc::invalid_value}};
  auto it = m.find(n);
  return it == m.end() ? std::error_code() : make_error_code(it->second);
}

struct entry {
  std::string file, type, mode, errc, path;
};

template <class T>
void run_single(const entry& e) {
  const std::string text = fixture(e.file);
  if (e.mode == "exact") {
    auto it = builders<T>().find(e.file);
    REQUIRE_MESSAGE(it != builders<T>().end(), "no builder for " << e.file);
    const T built = it->second();
    auto encoded = to_json(built);
    REQUIRE(encoded);
    CHECK_MESSAGE(json_equal(*encoded, text), e.file << ": encoded " << *encoded);
    std::string path;
    auto decoded = parse<T>(text, path);
    REQUIRE_MESSAGE(decoded, e.file << ": " << decoded.error().message() << " at " << path);
    CHECK_MESSAGE(*decoded == built, e.file << " decodes to another value");
    CHECK(json_equal(to_json(*decoded).value(), text));
  } else if (e.mode == "tolerant") {
    tolerant_checks(e.file, text);
  } else {
    std::string path = "(untouched)";
    auto r = parse<T>(text, path);
    REQUIRE_MESSAGE(!r, e.file << " decoded");
    CHECK_MESSAGE(r.error() == errc_named(e.errc), e.file << ": " << r.error().message());
    if (e.errc != "bad_json" && e.errc != "not_an_object") CHECK_MESSAGE(path == (e.path == "-" ? "" : e.path), e.file << ": path " << path);
  }
}

template <class T>
void run_list(const entry& e) {
  const std::string text = fixture(e.file);
  if (e.mode == "exact") {
    auto it = list_builders<T>().find(e.file);
    REQUIRE_MESSAGE(it != list_builders<T>().end(), "no builder for " << e.file);
    const std::vector<T> built = it->second();
    CHECK(json_equal(to_json(built).value(), text));
    auto decoded = parse_array<T>(text);
    REQUIRE(decoded);
    CHECK(*decoded == built);
  } else {
    std::string path;
    auto r = parse_array<T>(text, path);
    REQUIRE(!r);
    CHECK(r.error() == errc_named(e.errc));
    CHECK(path == e.path);
  }
}

std::map<std::string, std::function<void(const entry&)>> runners() {
  std::map<std::string, std::function<void(const entry&)>> m;
#define RUNNER(T)                      \
  m[#T] = [](const entry& e) { run_single<T>(e); }; \
  m["[" #T "]"] = [](const entry& e) { run_list<T>(e); };
  BERTH_APPLE_PAYLOADS(RUNNER)
#undef RUNNER
  return m;
}

std::vector<entry> manifest() {
  std::vector<entry> out;
  std::istringstream in(read_text(golden_dir() + "/MANIFEST"));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    entry e;
    ls >> e.file >> e.type >> e.mode >> e.errc >> e.path;
    out.push_back(e);
  }
  return out;
}

}  // namespace

TEST_CASE("every MANIFEST entry holds") {
  register_lists();
  auto r = runners();
  auto entries = manifest();
  REQUIRE(entries.size() > 50);
  for (const auto& e : entries) {
    CAPTURE(e.file);
    auto it = r.find(e.type);
    REQUIRE_MESSAGE(it != r.end(), "unknown type " << e.type);
    REQUIRE(std::filesystem::exists(golden_dir() + "/" + e.file));
    it->second(e);
  }
}

TEST_CASE("every fixture file is in the MANIFEST, and every exact builder is used") {
  std::set<std::string> listed;
  for (const auto& e : manifest()) listed.insert(e.file);
  namespace fs = std::filesystem;
  for (const auto& f : fs::recursive_directory_iterator(golden_dir())) {
    if (!f.is_regular_file() || f.path().extension() != ".json") continue;
    const std::string rel = fs::relative(f.path(), golden_dir()).string();
    if (rel.rfind("routes/", 0) == 0) continue;
    CHECK_MESSAGE(listed.count(rel) == 1, rel << " is not in MANIFEST");
  }
}
