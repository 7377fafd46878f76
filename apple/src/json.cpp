// The payload codecs: one fields() description per Swift type, read and written by the
// same visitors, with the decode rules of berth/apple/json.hpp (strict vs. tolerant keys,
// single-key enum objects, reference dates, integer ranges) and the error paths.
#include "berth/apple/json.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include <rapidjson/encodings.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "berth/io/json_depth.hpp"
#include "berth/io/json_number.hpp"
#include "json_detail.hpp"

namespace berth::apple {

// ---- reference_date (models.hpp) ----

std::chrono::system_clock::time_point reference_date::to_time_point() const noexcept {
  const double unix_seconds = seconds + unix_offset;
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::duration<double>(unix_seconds)));
}

reference_date reference_date::from(std::chrono::system_clock::time_point tp) noexcept {
  const double unix_seconds = std::chrono::duration<double>(tp.time_since_epoch()).count();
  return {unix_seconds - unix_offset};
}

namespace {

class json_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.apple.json"; }
  std::string message(int ev) const override {
    switch (static_cast<json_errc>(ev)) {
      case json_errc::bad_json: return "not valid JSON (or nested too deep)";
      case json_errc::not_an_object: return "the JSON value is not an object";
      case json_errc::not_an_array: return "the JSON value is not an array";
      case json_errc::missing_field: return "a required key is missing";
      case json_errc::type_mismatch: return "a key holds a value of another JSON type";
      case json_errc::unknown_case: return "unknown enum case";
      case json_errc::out_of_range: return "number outside the range of its type";
      case json_errc::invalid_value: return "value cannot be encoded as JSON";
    }
    return "unknown berth.apple.json error";
  }
};


// Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). RapidJSON 1.1.0
// turns a lone \uDC00-\uDFFF escape into bytes that are not UTF-8; Swift's decoder refuses
// such strings, and berth's writer could not write them back.
bool valid_utf8(const char* s, std::size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned cp = 0;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
    else return false;
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static constexpr unsigned min_of[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_of[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// Forwards SAX events to a document, converting numbers with std::from_chars and refusing
// strings that are not UTF-8.
template <class Handler>
class number_converter {
 public:
  explicit number_converter(Handler& h) : h_(h) {}
  bool Null() { return h_.Null(); }
  bool Bool(bool b) { return h_.Bool(b); }
  bool Int(int i) { return h_.Int(i); }
  bool Uint(unsigned u) { return h_.Uint(u); }
  bool Int64(std::int64_t i) { return h_.Int64(i); }
  bool Uint64(std::uint64_t u) { return h_.Uint64(u); }
  bool Double(double d) { return h_.Double(d); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return valid_utf8(s, n) && h_.String(s, n, copy); }
  bool StartObject() { return h_.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return valid_utf8(s, n) && h_.Key(s, n, copy); }
  bool EndObject(rapidjson::SizeType n) { return h_.EndObject(n); }
  bool StartArray() { return h_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return h_.EndArray(n); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return io::deliver_json_number(std::string_view(s, n), h_);
  }

 private:
  Handler& h_;
};

constexpr unsigned parse_flags = rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseValidateEncodingFlag;

struct document_generator {
  std::string_view json;
  bool ok = false;
  template <class Handler>
  bool operator()(Handler& h) {
    number_converter<Handler> conv(h);
    rapidjson::MemoryStream ms(json.data(), json.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
    rapidjson::Reader reader;
    ok = !reader.Parse<parse_flags>(in, conv).IsError();
    return ok;
  }
};

}  // namespace

const std::error_category& json_category() noexcept {
  static const json_category_impl cat;
  return cat;
}

namespace json_detail {

bool parse_document(std::string_view json, rapidjson::Document& doc) {
  if (io::json_depth(json, max_depth) > max_depth) return false;
  document_generator g{json};
  doc.Populate(g);
  return g.ok && !doc.HasParseError();
}

namespace {

// Writes doubles as the shortest text that reads back to the same value (std::to_chars),
// and refuses invalid UTF-8 in strings.
class json_writer
    : public rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                               rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag> {
 public:
  using base = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                 rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;
  using base::base;
  bool Double(double d) {
    if (!std::isfinite(d)) return false;
    char text[32];
    const auto r = std::to_chars(text, text + sizeof text, d);
    if (r.ec != std::errc{}) return false;
    // 1e+23 is written 1e23; a whole number keeps a ".0" so that it reads back as a double
    // (-0.0 stays -0.0, and a re-encoded raw_json is byte-identical).
    std::string out;
    bool fraction_or_exponent = false;
    for (const char* p = text; p != r.ptr; ++p) {
      if (*p == '.' || *p == 'e') fraction_or_exponent = true;
      if (*p != '+') out.push_back(*p);
    }
    if (!fraction_or_exponent) out += ".0";
    return RawValue(out.data(), out.size(), rapidjson::kNumberType);
  }
};

using value_t = rapidjson::Value;

// ---- reading ----

struct read_ctx {
  std::vector<std::string> path;  // innermost segment first
};

std::error_code fail(json_errc e) { return make_error_code(e); }

std::string join_path(const read_ctx& cx) {
  std::string out;
  for (auto it = cx.path.rbegin(); it != cx.path.rend(); ++it) {
    if (!it->empty() && it->front() == '[') {
      out += *it;
    } else {
      if (!out.empty()) out += '.';
      out += *it;
    }
  }
  return out;
}

// Prototypes: every reader and writer, so that the templates below find them all.
std::error_code rd(const value_t& v, std::string& out, read_ctx& cx);
std::error_code rd(const value_t& v, bool& out, read_ctx& cx);
std::error_code rd(const value_t& v, reference_date& out, read_ctx& cx);
std::error_code rd(const value_t& v, raw_json& out, read_ctx& cx);
std::error_code rd(const value_t& v, string_map& out, read_ctx& cx);
std::error_code rd(const value_t& v, user& out, read_ctx& cx);
std::error_code rd(const value_t& v, fs_type& out, read_ctx& cx);
std::error_code rd(const value_t& v, cache_mode& out, read_ctx& cx);
std::error_code rd(const value_t& v, sync_mode& out, read_ctx& cx);
std::error_code rd(const value_t& v, runtime_status& out, read_ctx& cx);
std::error_code rd(const value_t& v, network_mode& out, read_ctx& cx);
std::error_code rd(const value_t& v, publish_protocol& out, read_ctx& cx);
std::error_code rd(const value_t& v, system_platform& out, read_ctx& cx);
template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
std::error_code rd(const value_t& v, I& out, read_ctx& cx);
template <class T>
std::error_code rd(const value_t& v, std::vector<T>& out, read_ctx& cx);

bool wr(json_writer& w, const std::string& v);
bool wr(json_writer& w, bool v);
bool wr(json_writer& w, const reference_date& v);
bool wr(json_writer& w, const raw_json& v);
bool wr(json_writer& w, const string_map& v);
bool wr(json_writer& w, const user& v);
bool wr(json_writer& w, const fs_type& v);
bool wr(json_writer& w, cache_mode v);
bool wr(json_writer& w, sync_mode v);
bool wr(json_writer& w, runtime_status v);
bool wr(json_writer& w, network_mode v);
bool wr(json_writer& w, publish_protocol v);
template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
bool wr(json_writer& w, I v);
template <class T>
bool wr(json_writer& w, const std::vector<T>& v);

// The visitor that reads an object's keys into a struct.
struct obj_reader {
  const value_t& obj;
  read_ctx& cx;
  std::error_code ec{};

  const value_t* member(const char* key) const {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
  }
  template <class T>
  void read_at(const char* key, const value_t& v, T& out) {
    ec = rd(v, out, cx);
    if (ec) cx.path.emplace_back(key);
  }
  /// Required: absent or null fails with missing_field.
  template <class T>
  void req(const char* key, T& out) {
    if (ec) return;
    const value_t* v = member(key);
    if (!v) {
      ec = fail(json_errc::missing_field);
      cx.path.emplace_back(key);
      return;
    }
    read_at(key, *v, out);
  }
  /// Tolerant: absent or null keeps the member's default.
  template <class T>
  void def(const char* key, T& out) {
    if (ec) return;
    if (const value_t* v = member(key)) read_at(key, *v, out);
  }
  /// Optional: absent or null leaves it unset.
  template <class T>
  void opt(const char* key, std::optional<T>& out) {
    if (ec) return;
    const value_t* v = member(key);
    if (!v) {
      out.reset();
      return;
    }
    out.emplace();
    read_at(key, *v, *out);
  }
};

// The visitor that writes a struct's keys.
struct obj_writer {
  json_writer& w;
  bool ok = true;

  template <class T>
  void req(const char* key, const T& v) {
    if (!ok) return;
    ok = w.Key(key) && wr(w, v);
  }
  template <class T>
  void def(const char* key, const T& v) {
    req(key, v);
  }
  template <class T>
  void opt(const char* key, const std::optional<T>& v) {
    if (v) req(key, *v);
  }
};

// ---- the field lists (the Swift property names, in declaration order) ----

template <class V> void fields(V& v, platform& p) {
  v.req("os", p.os);
  v.req("architecture", p.architecture);
  v.opt("variant", p.variant);
}
template <class V> void fields(V& v, descriptor& d) {
  v.req("mediaType", d.media_type);
  v.req("digest", d.digest);
  v.req("size", d.size);
  v.opt("urls", d.urls);
  v.opt("annotations", d.annotations);
  v.opt("platform", d.platform);
  v.opt("artifactType", d.artifact_type);
}
template <class V> void fields(V& v, image_description& d) {
  v.req("reference", d.reference);
  v.req("descriptor", d.descriptor);
}
template <class V> void fields(V& v, fs_block& b) {
  v.req("format", b.format);
  v.req("cache", b.cache);
  v.req("sync", b.sync);
}
template <class V> void fields(V& v, fs_volume& b) {
  v.req("name", b.name);
  v.req("format", b.format);
  v.req("cache", b.cache);
  v.req("sync", b.sync);
}
template <class V> void fields(V& v, filesystem& f) {
  v.req("type", f.type);
  v.req("source", f.source);
  v.req("destination", f.destination);
  v.req("options", f.options);
}
template <class V> void fields(V& v, user_id& u) {
  v.req("uid", u.uid);
  v.req("gid", u.gid);
}
template <class V> void fields(V& v, user_raw& u) { v.req("userString", u.user_string); }
template <class V> void fields(V& v, rlimit& r) {
  v.req("limit", r.limit);
  v.req("soft", r.soft);
  v.req("hard", r.hard);
}
template <class V> void fields(V& v, process_configuration& p) {
  v.req("executable", p.executable);
  v.req("arguments", p.arguments);
  v.req("environment", p.environment);
  v.req("workingDirectory", p.working_directory);
  v.req("terminal", p.terminal);
  v.req("user", p.user);
  v.req("supplementalGroups", p.supplemental_groups);
  v.req("rlimits", p.rlimits);
}
// Tolerant (custom init(from:)); APPLE.md states only count's default, the other keys keep
// the member defaults when missing (berth policy).
template <class V> void fields(V& v, publish_port& p) {
  v.def("hostAddress", p.host_address);
  v.def("hostPort", p.host_port);
  v.def("containerPort", p.container_port);
  v.def("proto", p.proto);
  v.def("count", p.count);
}
// Not classified by APPLE.md: strict.
template <class V> void fields(V& v, publish_socket& p) {
  v.req("containerPath", p.container_path);
  v.req("hostPath", p.host_path);
  v.opt("permissions", p.permissions);
}
template <class V> void fields(V& v, attachment_options& o) {
  v.req("hostname", o.hostname);
  v.opt("macAddress", o.mac_address);
  v.opt("mtu", o.mtu);
}
template <class V> void fields(V& v, attachment_configuration& a) {
  v.req("network", a.network);
  v.req("options", a.options);
}
// Tolerant.
template <class V> void fields(V& v, attachment& a) {
  v.def("network", a.network);
  v.def("hostname", a.hostname);
  v.def("ipv4Address", a.ipv4_address);
  v.def("ipv4Gateway", a.ipv4_gateway);
  v.opt("ipv6Address", a.ipv6_address);
  v.opt("macAddress", a.mac_address);
  v.opt("mtu", a.mtu);
  v.opt("variant", a.variant);
}
template <class V> void fields(V& v, dns_configuration& d) {
  v.req("nameservers", d.nameservers);
  v.opt("domain", d.domain);
  v.req("searchDomains", d.search_domains);
  v.req("options", d.options);
}
// Tolerant.
template <class V> void fields(V& v, resources& r) {
  v.def("cpus", r.cpus);
  v.def("memoryInBytes", r.memory_in_bytes);
  v.opt("storage", r.storage);
  v.def("cpuOverhead", r.cpu_overhead);
}
// Tolerant; id, image and initProcess required.
template <class V> void fields(V& v, container_configuration& c) {
  v.req("id", c.id);
  v.req("image", c.image);
  v.def("mounts", c.mounts);
  v.def("publishedPorts", c.published_ports);
  v.def("publishedSockets", c.published_sockets);
  v.def("labels", c.labels);
  v.def("sysctls", c.sysctls);
  v.def("networks", c.networks);
  v.opt("dns", c.dns);
  v.def("rosetta", c.rosetta);
  v.req("initProcess", c.init_process);
  v.def("platform", c.platform);
  v.def("resources", c.resources);
  v.def("runtimeHandler", c.runtime_handler);
  v.def("virtualization", c.virtualization);
  v.def("ssh", c.ssh);
  v.def("readOnly", c.read_only);
  v.def("useInit", c.use_init);
  v.def("capAdd", c.cap_add);
  v.def("capDrop", c.cap_drop);
  v.opt("shmSize", c.shm_size);
  v.opt("stopSignal", c.stop_signal);
  v.opt("maskedPaths", c.masked_paths);
  v.opt("readonlyPaths", c.readonly_paths);
  v.def("creationDate", c.creation_date);
}
template <class V> void fields(V& v, container_snapshot& s) {
  v.req("configuration", s.configuration);
  v.req("status", s.status);
  v.req("networks", s.networks);
  v.opt("startedDate", s.started_date);
}
template <class V> void fields(V& v, container_create_options& o) {
  v.req("autoRemove", o.auto_remove);
  v.opt("rootFsOverride", o.root_fs_override);
}
template <class V> void fields(V& v, container_list_filters& f) {
  v.req("ids", f.ids);
  v.opt("status", f.status);
  v.req("labels", f.labels);
}
template <class V> void fields(V& v, container_stop_options& o) {
  v.req("timeoutInSeconds", o.timeout_in_seconds);
  v.opt("signal", o.signal);
}
template <class V> void fields(V& v, container_stats& s) {
  v.req("id", s.id);
  v.opt("memoryUsageBytes", s.memory_usage_bytes);
  v.opt("memoryLimitBytes", s.memory_limit_bytes);
  v.opt("cpuUsageUsec", s.cpu_usage_usec);
  v.opt("networkRxBytes", s.network_rx_bytes);
  v.opt("networkTxBytes", s.network_tx_bytes);
  v.opt("blockReadBytes", s.block_read_bytes);
  v.opt("blockWriteBytes", s.block_write_bytes);
  v.opt("numProcesses", s.num_processes);
}
template <class V> void fields(V& v, kernel_command_line& c) {
  v.req("kernelArgs", c.kernel_args);
  v.req("initArgs", c.init_args);
}
template <class V> void fields(V& v, kernel& k) {
  v.req("path", k.path);
  v.req("platform", k.platform);
  v.req("commandLine", k.command_line);
}
// Tolerant.
template <class V> void fields(V& v, network_configuration& n) {
  v.def("name", n.name);
  v.def("creationDate", n.creation_date);
  v.def("mode", n.mode);
  v.opt("ipv4Subnet", n.ipv4_subnet);
  v.opt("ipv6Subnet", n.ipv6_subnet);
  v.def("labels", n.labels);
  v.def("plugin", n.plugin);
  v.opt("options", n.options);
}
template <class V> void fields(V& v, network_status& s) {
  v.req("ipv4Subnet", s.ipv4_subnet);
  v.req("ipv4Gateway", s.ipv4_gateway);
  v.opt("ipv6Subnet", s.ipv6_subnet);
}
template <class V> void fields(V& v, network_resource& r) {
  v.req("id", r.id);
  v.req("configuration", r.configuration);
  v.req("status", r.status);
}
// Tolerant.
template <class V> void fields(V& v, volume_configuration& c) {
  v.def("name", c.name);
  v.def("driver", c.driver);
  v.def("format", c.format);
  v.def("source", c.source);
  v.def("creationDate", c.creation_date);
  v.def("labels", c.labels);
  v.def("options", c.options);
  v.opt("sizeInBytes", c.size_in_bytes);
}
template <class V> void fields(V& v, disk_usage_entry& e) {
  v.req("total", e.total);
  v.req("active", e.active);
  v.req("sizeInBytes", e.size_in_bytes);
  v.req("reclaimable", e.reclaimable);
}
template <class V> void fields(V& v, disk_usage_stats& s) {
  v.req("images", s.images);
  v.req("containers", s.containers);
  v.req("volumes", s.volumes);
}
template <class V> void fields(V& v, xpc_error_payload& e) {
  v.req("code", e.code);
  v.req("message", e.message);
}

template <class T>
concept described = requires(obj_reader& r, T& t) { fields(r, t); };

template <described T>
std::error_code rd(const value_t& v, T& out, read_ctx& cx) {
  if (!v.IsObject()) return fail(json_errc::type_mismatch);
  obj_reader r{v, cx};
  fields(r, out);
  return r.ec;
}

template <described T>
bool wr(json_writer& w, const T& v) {
  if (!w.StartObject()) return false;
  obj_writer ow{w};
  fields(ow, const_cast<T&>(v));  // obj_writer only reads
  return ow.ok && w.EndObject();
}

// ---- scalars ----

std::error_code rd(const value_t& v, std::string& out, read_ctx&) {
  if (!v.IsString()) return fail(json_errc::type_mismatch);
  out.assign(v.GetString(), v.GetStringLength());
  return {};
}
std::error_code rd(const value_t& v, bool& out, read_ctx&) {
  if (!v.IsBool()) return fail(json_errc::type_mismatch);
  out = v.GetBool();
  return {};
}
template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
std::error_code rd(const value_t& v, I& out, read_ctx&) {
  if (!v.IsNumber()) return fail(json_errc::type_mismatch);
  if (v.IsInt64()) {
    const std::int64_t x = v.GetInt64();
    if (!std::in_range<I>(x)) return fail(json_errc::out_of_range);
    out = static_cast<I>(x);
    return {};
  }
  if (v.IsUint64()) {
    const std::uint64_t x = v.GetUint64();
    if (!std::in_range<I>(x)) return fail(json_errc::out_of_range);
    out = static_cast<I>(x);
    return {};
  }
  return fail(json_errc::out_of_range);  // a fraction or an exponent: not an integer (berth policy)
}
std::error_code rd(const value_t& v, reference_date& out, read_ctx&) {
  if (!v.IsNumber()) return fail(json_errc::type_mismatch);
  out.seconds = v.GetDouble();
  if (!std::isfinite(out.seconds)) return fail(json_errc::invalid_value);
  return {};
}
std::error_code rd(const value_t& v, raw_json& out, read_ctx&) {
  out.text = serialise(v);
  return {};
}
std::error_code rd(const value_t& v, string_map& out, read_ctx& cx) {
  if (!v.IsObject()) return fail(json_errc::type_mismatch);
  out.clear();
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    if (!it->value.IsString()) {
      cx.path.push_back(std::move(key));
      return fail(json_errc::type_mismatch);
    }
    out.insert_or_assign(std::move(key), std::string(it->value.GetString(), it->value.GetStringLength()));
  }
  return {};
}
template <class T>
std::error_code rd(const value_t& v, std::vector<T>& out, read_ctx& cx) {
  if (!v.IsArray()) return fail(json_errc::type_mismatch);
  // Elements are decoded in place (no local moved in: GCC 12 reports the std::optional
  // members of a moved local as maybe-uninitialized).
  out.clear();
  out.resize(v.Size());
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    if (auto ec = rd(v[i], out[i], cx)) {
      cx.path.push_back("[" + std::to_string(i) + "]");
      return ec;
    }
  }
  return {};
}

bool wr(json_writer& w, const std::string& v) {
  return w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
bool wr(json_writer& w, bool v) { return w.Bool(v); }
template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
bool wr(json_writer& w, I v) {
  if constexpr (std::is_signed_v<I>) return w.Int64(static_cast<std::int64_t>(v));
  else return w.Uint64(static_cast<std::uint64_t>(v));
}
bool wr(json_writer& w, const reference_date& v) { return w.Double(v.seconds); }
bool wr(json_writer& w, const raw_json& v) {
  rapidjson::Document doc;
  if (!parse_document(v.text, doc)) return false;
  return doc.Accept(w);
}
bool wr(json_writer& w, const string_map& v) {
  if (!w.StartObject()) return false;
  for (const auto& [k, s] : v)
    if (!w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())) || !wr(w, s)) return false;
  return w.EndObject();
}
template <class T>
bool wr(json_writer& w, const std::vector<T>& v) {
  if (!w.StartArray()) return false;
  for (const auto& e : v)
    if (!wr(w, e)) return false;
  return w.EndArray();
}

// ---- enums ----

// A single-key object {"case": payload}: calls on_case(name, payload), which returns
// nullopt for a case it does not know. Zero or several keys: type_mismatch (berth policy).
template <class F>
std::error_code single_key(const value_t& v, read_ctx& cx, F&& on_case) {
  if (!v.IsObject() || v.MemberCount() != 1) return fail(json_errc::type_mismatch);
  const auto& m = *v.MemberBegin();
  const std::string name(m.name.GetString(), m.name.GetStringLength());
  std::optional<std::error_code> r = on_case(std::string_view(name), m.value);
  if (!r) return fail(json_errc::unknown_case);
  if (*r) cx.path.push_back(name);
  return *r;
}

// A payload-free case: {} (an object; its keys are ignored).
std::error_code empty_payload(const value_t& v) {
  return v.IsObject() ? std::error_code{} : fail(json_errc::type_mismatch);
}

bool write_case(json_writer& w, const char* name) {
  return w.StartObject() && w.Key(name) && w.StartObject() && w.EndObject(0) && w.EndObject();
}
template <class T>
bool write_case(json_writer& w, const char* name, const T& payload) {
  return w.StartObject() && w.Key(name) && wr(w, payload) && w.EndObject();
}

template <class E, std::size_t N>
std::error_code rd_payload_free(const value_t& v, E& out, read_ctx& cx, const std::pair<const char*, E> (&names)[N]) {
  return single_key(v, cx, [&](std::string_view name, const value_t& p) -> std::optional<std::error_code> {
    for (const auto& [n, e] : names) {
      if (name == n) {
        out = e;
        return empty_payload(p);
      }
    }
    return std::nullopt;
  });
}
template <class E, std::size_t N>
std::error_code rd_string_enum(const value_t& v, E& out, const std::pair<const char*, E> (&names)[N]) {
  if (!v.IsString()) return fail(json_errc::type_mismatch);
  const std::string_view s(v.GetString(), v.GetStringLength());
  for (const auto& [n, e] : names) {
    if (s == n) {
      out = e;
      return {};
    }
  }
  return fail(json_errc::unknown_case);
}
template <class E, std::size_t N>
const char* name_of(E e, const std::pair<const char*, E> (&names)[N]) {
  for (const auto& [n, x] : names)
    if (x == e) return n;
  return nullptr;
}

constexpr std::pair<const char*, cache_mode> cache_names[] = {
    {"on", cache_mode::on}, {"off", cache_mode::off}, {"auto", cache_mode::auto_}};
constexpr std::pair<const char*, sync_mode> sync_names[] = {
    {"full", sync_mode::full}, {"fsync", sync_mode::fsync}, {"nosync", sync_mode::nosync}};
constexpr std::pair<const char*, runtime_status> status_names[] = {{"unknown", runtime_status::unknown},
                                                                   {"stopped", runtime_status::stopped},
                                                                   {"running", runtime_status::running},
                                                                   {"stopping", runtime_status::stopping}};
constexpr std::pair<const char*, network_mode> mode_names[] = {{"nat", network_mode::nat},
                                                               {"hostOnly", network_mode::host_only}};
constexpr std::pair<const char*, publish_protocol> proto_names[] = {{"tcp", publish_protocol::tcp},
                                                                    {"udp", publish_protocol::udp}};

std::error_code rd(const value_t& v, cache_mode& out, read_ctx& cx) { return rd_payload_free(v, out, cx, cache_names); }
std::error_code rd(const value_t& v, sync_mode& out, read_ctx& cx) { return rd_payload_free(v, out, cx, sync_names); }
std::error_code rd(const value_t& v, runtime_status& out, read_ctx&) { return rd_string_enum(v, out, status_names); }
std::error_code rd(const value_t& v, network_mode& out, read_ctx&) { return rd_string_enum(v, out, mode_names); }
std::error_code rd(const value_t& v, publish_protocol& out, read_ctx&) { return rd_string_enum(v, out, proto_names); }

bool wr(json_writer& w, cache_mode v) {
  const char* n = name_of(v, cache_names);
  return n && write_case(w, n);
}
bool wr(json_writer& w, sync_mode v) {
  const char* n = name_of(v, sync_names);
  return n && write_case(w, n);
}
bool wr(json_writer& w, runtime_status v) {
  const char* n = name_of(v, status_names);
  return n && w.String(n);
}
bool wr(json_writer& w, network_mode v) {
  const char* n = name_of(v, mode_names);
  return n && w.String(n);
}
bool wr(json_writer& w, publish_protocol v) {
  const char* n = name_of(v, proto_names);
  return n && w.String(n);
}

std::error_code rd(const value_t& v, user& out, read_ctx& cx) {
  return single_key(v, cx, [&](std::string_view name, const value_t& p) -> std::optional<std::error_code> {
    if (name == "id") {
      user_id u;
      auto ec = rd(p, u, cx);
      out = u;
      return ec;
    }
    if (name == "raw") {
      user_raw u;
      auto ec = rd(p, u, cx);
      out = std::move(u);
      return ec;
    }
    return std::nullopt;
  });
}
bool wr(json_writer& w, const user& v) {
  if (auto* id = std::get_if<user_id>(&v)) return write_case(w, "id", *id);
  return write_case(w, "raw", std::get<user_raw>(v));
}

std::error_code rd(const value_t& v, fs_type& out, read_ctx& cx) {
  return single_key(v, cx, [&](std::string_view name, const value_t& p) -> std::optional<std::error_code> {
    if (name == "virtiofs") {
      out = fs_virtiofs{};
      return empty_payload(p);
    }
    if (name == "tmpfs") {
      out = fs_tmpfs{};
      return empty_payload(p);
    }
    if (name == "block") {
      fs_block b;
      auto ec = rd(p, b, cx);
      out = std::move(b);
      return ec;
    }
    if (name == "volume") {
      fs_volume b;
      auto ec = rd(p, b, cx);
      out = std::move(b);
      return ec;
    }
    return std::nullopt;
  });
}
bool wr(json_writer& w, const fs_type& v) {
  if (std::holds_alternative<fs_virtiofs>(v)) return write_case(w, "virtiofs");
  if (std::holds_alternative<fs_tmpfs>(v)) return write_case(w, "tmpfs");
  if (auto* b = std::get_if<fs_block>(&v)) return write_case(w, "block", *b);
  return write_case(w, "volume", std::get<fs_volume>(v));
}

// SystemPlatform: os linux|darwin, architecture arm64|amd64 (an enum on the Swift side).
std::error_code rd(const value_t& v, system_platform& out, read_ctx& cx) {
  if (!v.IsObject()) return fail(json_errc::type_mismatch);
  obj_reader r{v, cx};
  r.req("os", out.os);
  r.req("architecture", out.architecture);
  if (r.ec) return r.ec;
  if (out.os != "linux" && out.os != "darwin") {
    cx.path.emplace_back("os");
    return fail(json_errc::unknown_case);
  }
  if (out.architecture != "arm64" && out.architecture != "amd64") {
    cx.path.emplace_back("architecture");
    return fail(json_errc::unknown_case);
  }
  return {};
}
bool wr(json_writer& w, const system_platform& v) {
  return w.StartObject() && w.Key("os") && wr(w, v.os) && w.Key("architecture") && wr(w, v.architecture) &&
         w.EndObject();
}

// ---- top level ----

template <class T>
constexpr bool top_level_object = !std::is_same_v<T, raw_json>;

template <class T>
std::error_code finish_read(std::error_code ec, read_ctx& cx, std::string* error_path) {
  if (ec && error_path) *error_path = join_path(cx);
  return ec;
}

}  // namespace

std::string serialise(const value_t& v) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);  // the writer of to_json: one spelling of every number
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

template <class T>
std::error_code parse_into(std::string_view json, T& out, std::string* error_path) {
  rapidjson::Document doc;
  if (!parse_document(json, doc)) return fail(json_errc::bad_json);
  if constexpr (top_level_object<T>) {
    if (!doc.IsObject()) return fail(json_errc::not_an_object);
  }
  read_ctx cx;
  return finish_read<T>(rd(doc, out, cx), cx, error_path);
}

template <class T>
std::error_code parse_array_into(std::string_view json, std::vector<T>& out, std::string* error_path) {
  rapidjson::Document doc;
  if (!parse_document(json, doc)) return fail(json_errc::bad_json);
  if (!doc.IsArray()) return fail(json_errc::not_an_array);
  read_ctx cx;
  return finish_read<T>(rd(doc, out, cx), cx, error_path);
}

template <class T>
std::error_code to_json_into(const T& v, std::string& out) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  if (!wr(w, v) || !w.IsComplete()) return fail(json_errc::invalid_value);
  out.assign(sb.GetString(), sb.GetSize());
  return {};
}

template <class T>
std::error_code to_json_array_into(const std::vector<T>& v, std::string& out) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  if (!wr(w, v) || !w.IsComplete()) return fail(json_errc::invalid_value);
  out.assign(sb.GetString(), sb.GetSize());
  return {};
}

#define BERTH_APPLE_INSTANTIATE(T)                                                            \
  template BERTH_API std::error_code parse_into<T>(std::string_view, T&, std::string*);       \
  template BERTH_API std::error_code parse_array_into<T>(std::string_view, std::vector<T>&,   \
                                                         std::string*);                       \
  template BERTH_API std::error_code to_json_into<T>(const T&, std::string&);                 \
  template BERTH_API std::error_code to_json_array_into<T>(const std::vector<T>&, std::string&);
BERTH_APPLE_PAYLOADS(BERTH_APPLE_INSTANTIATE)
#undef BERTH_APPLE_INSTANTIATE

}  // namespace json_detail
}  // namespace berth::apple
