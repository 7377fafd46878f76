#include "manifest.hpp"

#include <cctype>
#include <cstdio>

#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <sys/utsname.h>

#include "berth/containerd/error.hpp"

namespace berth::containerd::detail {
namespace {

using value = rapidjson::Value;

std::string str(const value& o, const char* k) {
  if (!o.IsObject()) return {};
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : std::string();
}

std::vector<std::string> strs(const value& o, const char* k) {
  std::vector<std::string> out;
  if (!o.IsObject()) return out;
  auto it = o.FindMember(k);
  if (it == o.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& v : it->value.GetArray())
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  return out;
}

std::map<std::string, std::string> str_map(const value& o, const char* k) {
  std::map<std::string, std::string> out;
  if (!o.IsObject()) return out;
  auto it = o.FindMember(k);
  if (it == o.MemberEnd() || !it->value.IsObject()) return out;
  for (const auto& m : it->value.GetObject())
    if (m.value.IsString()) out.emplace(m.name.GetString(), m.value.GetString());
  return out;
}

bool valid_digest(std::string_view d) {
  auto colon = d.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == d.size()) return false;
  for (char c : d.substr(colon + 1))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '=' && c != '_' && c != '-') return false;
  return true;
}

result<descriptor> parse_descriptor(const value& v) {
  if (!v.IsObject()) return unexpected(pull_errc::bad_manifest);
  descriptor d;
  d.media_type = str(v, "mediaType");
  d.digest = str(v, "digest");
  auto it = v.FindMember("size");
  if (it == v.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() < 0 || !valid_digest(d.digest))
    return unexpected(pull_errc::bad_manifest);
  d.size = it->value.GetInt64();
  d.annotations = str_map(v, "annotations");
  return d;
}

bool parse(rapidjson::Document& doc, std::string_view json) {
  doc.Parse(json.data(), json.size());
  return !doc.HasParseError() && doc.IsObject();
}

}  // namespace

bool is_index(std::string_view t) { return t == media::docker_list || t == media::oci_index; }
bool is_manifest(std::string_view t) { return t == media::docker_manifest || t == media::oci_manifest; }
bool is_layer(std::string_view t) {
  return t == media::docker_layer_gzip || t == media::oci_layer || t == media::oci_layer_gzip ||
         t == "application/vnd.docker.image.rootfs.diff.tar";
}

result<manifest_doc> parse_manifest(std::string_view json, std::string_view content_type) {
  rapidjson::Document doc;
  if (!parse(doc, json)) return unexpected(pull_errc::bad_manifest);
  manifest_doc m;
  m.media_type = str(doc, "mediaType");
  std::string_view type = m.media_type.empty() ? content_type : std::string_view(m.media_type);
  auto manifests = doc.FindMember("manifests");
  bool has_manifests = manifests != doc.MemberEnd();
  if (is_index(type) || (type.empty() && has_manifests)) {
    if (!has_manifests || !manifests->value.IsArray()) return unexpected(pull_errc::bad_manifest);
    m.index = true;
    for (const auto& e : manifests->value.GetArray()) {
      auto d = parse_descriptor(e);
      if (!d) return unexpected(d.error());
      index_entry ie{std::move(*d), {}};
      auto p = e.FindMember("platform");
      if (p != e.MemberEnd() && p->value.IsObject())
        ie.plat = {str(p->value, "os"), str(p->value, "architecture"), str(p->value, "variant")};
      m.manifests.push_back(std::move(ie));
    }
    return m;
  }
  if (!is_manifest(type) && !type.empty()) return unexpected(pull_errc::unsupported_media_type);
  auto cfg = doc.FindMember("config");
  auto layers = doc.FindMember("layers");
  if (cfg == doc.MemberEnd() || layers == doc.MemberEnd() || !layers->value.IsArray())
    return unexpected(pull_errc::bad_manifest);
  auto c = parse_descriptor(cfg->value);
  if (!c) return unexpected(c.error());
  m.config = std::move(*c);
  for (const auto& l : layers->value.GetArray()) {
    auto d = parse_descriptor(l);
    if (!d) return unexpected(d.error());
    m.layers.push_back(std::move(*d));
  }
  return m;
}

result<image_config> parse_image_config(std::string_view json) {
  rapidjson::Document doc;
  if (!parse(doc, json)) return unexpected(pull_errc::bad_manifest);
  image_config c;
  c.os = str(doc, "os");
  c.architecture = str(doc, "architecture");
  c.variant = str(doc, "variant");
  auto cfg = doc.FindMember("config");
  if (cfg != doc.MemberEnd() && cfg->value.IsObject()) {
    const auto& v = cfg->value;
    c.env = strs(v, "Env");
    c.entrypoint = strs(v, "Entrypoint");
    c.cmd = strs(v, "Cmd");
    c.working_dir = str(v, "WorkingDir");
    c.user = str(v, "User");
    c.labels = str_map(v, "Labels");
  }
  auto rootfs = doc.FindMember("rootfs");
  if (rootfs != doc.MemberEnd()) c.diff_ids = strs(rootfs->value, "diff_ids");
  for (const auto& d : c.diff_ids)
    if (!valid_digest(d)) return unexpected(pull_errc::bad_manifest);
  return c;
}

platform host_platform() {
  utsname u{};
  ::uname(&u);
  std::string m = u.machine;
  if (m == "x86_64") return {"linux", "amd64", ""};
  if (m == "aarch64" || m == "arm64") return {"linux", "arm64", "v8"};
  if (m.rfind("armv7", 0) == 0) return {"linux", "arm", "v7"};
  if (m == "i686" || m == "i386") return {"linux", "386", ""};
  return {"linux", m, ""};
}

result<descriptor> select_platform(const manifest_doc& index, const platform& p) {
  const descriptor* fallback = nullptr;
  for (const auto& e : index.manifests) {
    if (e.plat.os != p.os || e.plat.architecture != p.architecture) continue;
    if (e.plat.variant == p.variant) return e.desc;
    // arm64 images often leave the variant out.
    if (!fallback && (e.plat.variant.empty() || p.variant.empty())) fallback = &e.desc;
  }
  if (fallback) return *fallback;
  return unexpected(pull_errc::no_matching_platform);
}

std::string sha256_digest(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  return sha256_digest_string(md, n);
}

std::string sha256_digest_string(const unsigned char* md, unsigned n) {
  std::string out = "sha256:";
  char hex[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", md[i]);
    out += hex;
  }
  return out;
}

std::string chain_id(const std::vector<std::string>& diff_ids, std::size_t n) {
  if (n == 0 || diff_ids.empty()) return {};
  std::string id = diff_ids[0];
  for (std::size_t i = 1; i < n && i < diff_ids.size(); ++i) id = sha256_digest(id + " " + diff_ids[i]);
  return id;
}

result<auth_challenge> parse_www_authenticate(std::string_view h) {
  auth_challenge c;
  std::size_t i = 0;
  auto skip_ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
  };
  skip_ws();
  std::size_t start = i;
  while (i < h.size() && h[i] != ' ' && h[i] != '\t' && h[i] != ',') ++i;
  if (i == start) return unexpected(pull_errc::registry_error);
  c.scheme = std::string(h.substr(start, i - start));
  for (;;) {
    skip_ws();
    while (i < h.size() && (h[i] == ',' || h[i] == ' ')) ++i;
    if (i >= h.size()) break;
    start = i;
    while (i < h.size() && h[i] != '=' && h[i] != ',' && h[i] != ' ') ++i;
    std::string key(h.substr(start, i - start));
    for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    skip_ws();
    if (i >= h.size() || h[i] != '=') {
      // A token68 or a second challenge: berth uses the first challenge's parameters only.
      if (key.empty()) return unexpected(pull_errc::registry_error);
      if (!c.params.empty()) break;
      continue;
    }
    ++i;
    skip_ws();
    std::string val;
    if (i < h.size() && h[i] == '"') {
      ++i;
      bool closed = false;
      while (i < h.size()) {
        char ch = h[i++];
        if (ch == '\\' && i < h.size()) {
          val += h[i++];
        } else if (ch == '"') {
          closed = true;
          break;
        } else {
          val += ch;
        }
      }
      if (!closed) return unexpected(pull_errc::registry_error);
    } else {
      start = i;
      while (i < h.size() && h[i] != ',' && h[i] != ' ') ++i;
      val = std::string(h.substr(start, i - start));
    }
    if (key.empty()) return unexpected(pull_errc::registry_error);
    c.params[key] = std::move(val);
  }
  return c;
}

result<std::vector<save_entry>> parse_save_manifest(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsArray()) return unexpected(pull_errc::bad_archive);
  std::vector<save_entry> out;
  for (const auto& e : doc.GetArray()) {
    if (!e.IsObject()) return unexpected(pull_errc::bad_archive);
    save_entry s{str(e, "Config"), strs(e, "RepoTags"), strs(e, "Layers")};
    if (s.config.empty()) return unexpected(pull_errc::bad_archive);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace berth::containerd::detail

namespace berth::containerd::detail {

result<std::string> parse_oci_layout(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return unexpected(pull_errc::bad_archive);
  auto it = doc.FindMember("imageLayoutVersion");
  if (it == doc.MemberEnd() || !it->value.IsString()) return unexpected(pull_errc::bad_archive);
  std::string v(it->value.GetString(), it->value.GetStringLength());
  if (v.empty() || v[0] != '1' || (v.size() > 1 && v[1] != '.')) return unexpected(pull_errc::bad_archive);
  return v;
}

std::string make_docker_manifest(const descriptor& config, const std::vector<descriptor>& layers) {
  return make_manifest(media::docker_manifest, config, layers);
}

std::string make_manifest(std::string_view media_type, const descriptor& config,
                          const std::vector<descriptor>& layers) {
  auto desc = [](const descriptor& d) {
    return "{\"mediaType\":\"" + d.media_type + "\",\"digest\":\"" + d.digest +
           "\",\"size\":" + std::to_string(d.size) + "}";
  };
  std::string out = "{\"schemaVersion\":2,\"mediaType\":\"";
  out += media_type;
  out += "\",\"config\":" + desc(config) + ",\"layers\":[";
  for (std::size_t i = 0; i < layers.size(); ++i) out += (i ? "," : "") + desc(layers[i]);
  out += "]}";
  return out;
}

}  // namespace berth::containerd::detail
