#include "registry.hpp"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <cctype>
#include <cstring>

#include "berth/containerd/error.hpp"
#include "berth/http/request.hpp"
#include "berth/io/base64.hpp"
#include "manifest.hpp"

namespace berth::containerd::detail {
namespace {

struct curl_init {
  curl_init() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

std::string url_escape(std::string_view s) { return http::url_encode(s, ":/"); }

struct transfer {
  registry_session::answer* a;
  std::size_t max;
  const std::function<bool(std::string_view)>* sink;
  const std::atomic<bool>* cancel;
  std::string www_authenticate;
  bool stopped = false;
  bool too_big = false;
};

size_t on_body(char* p, size_t sz, size_t n, void* ud) {
  auto* t = static_cast<transfer*>(ud);
  std::size_t len = sz * n;
  if (t->cancel && t->cancel->load()) return 0;
  // Error bodies are kept (small) for the diagnostics; only 200 bodies go to the sink.
  if (t->sink && (t->a->status == 200 || t->a->status == 206)) {
    if (!(*t->sink)(std::string_view(p, len))) {
      t->stopped = true;
      return 0;
    }
    return len;
  }
  if (t->a->body.size() + len > t->max) {
    t->too_big = true;
    return 0;
  }
  t->a->body.append(p, len);
  return len;
}

size_t on_header(char* p, size_t sz, size_t n, void* ud) {
  auto* t = static_cast<transfer*>(ud);
  std::string_view h(p, sz * n);
  if (h.rfind("HTTP/", 0) == 0) {
    auto sp = h.find(' ');
    if (sp != std::string_view::npos) t->a->status = std::strtol(std::string(h.substr(sp + 1, 3)).c_str(), nullptr, 10);
    t->www_authenticate.clear();
    return sz * n;
  }
  auto colon = h.find(':');
  if (colon == std::string_view::npos) return sz * n;
  std::string name(h.substr(0, colon));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view v = h.substr(colon + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
  if (name == "content-type") t->a->content_type = std::string(v.substr(0, v.find(';')));
  if (name == "docker-content-digest") t->a->docker_digest = std::string(v);
  if (name == "www-authenticate") t->www_authenticate = std::string(v);
  return sz * n;
}

}  // namespace

bool is_loopback_registry(std::string_view host) {
  std::string_view h = host;
  if (!h.empty() && h.front() == '[') {
    auto end = h.find(']');
    return end != std::string_view::npos && h.substr(1, end - 1) == "::1";
  }
  h = h.substr(0, h.find(':'));
  return h == "localhost" || h.rfind("127.", 0) == 0;
}

registry_session::registry_session(std::string registry, std::string repository, std::string username,
                                   std::string password, const std::atomic<bool>* cancel)
    : repository_(std::move(repository)), username_(std::move(username)), password_(std::move(password)),
      cancel_(cancel) {
  static curl_init once;
  std::string host = registry == "docker.io" ? "registry-1.docker.io" : registry;
  base_ = (is_loopback_registry(host) ? "http://" : "https://") + host;
  curl_ = curl_easy_init();
}

registry_session::~registry_session() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

result<registry_session::answer> registry_session::get(const std::string& path, const std::string& accept,
                                                       std::size_t max,
                                                       const std::function<bool(std::string_view)>* sink,
                                                       berth::diagnostics* diag) {
  for (int attempt = 0;; ++attempt) {
    if (cancel_ && cancel_->load()) return unexpected(berth::errc::cancelled);
    CURL* c = static_cast<CURL*>(curl_);
    curl_easy_reset(c);
    answer a;
    transfer t{&a, max, sink, cancel_, {}, false, false};
    std::string url = path.rfind("http", 0) == 0 ? path : base_ + path;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    // Blob redirects go to storage that must not receive the registry's token.
    curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "berth/0.1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_slist* headers = nullptr;
    if (!accept.empty()) headers = curl_slist_append(headers, ("Accept: " + accept).c_str());
    if (!authorization_.empty()) headers = curl_slist_append(headers, ("Authorization: " + authorization_).c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (cancel_ && cancel_->load()) return unexpected(berth::errc::cancelled);
    if (t.stopped) return unexpected(pull_errc::size_mismatch);
    if (t.too_big) return unexpected(pull_errc::bad_manifest);
    if (rc != CURLE_OK) {
      if (attempt < 2 && (rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
                          rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_PARTIAL_FILE || rc == CURLE_GOT_NOTHING)) {
        if (sink) return unexpected(pull_errc::transport_error);  // the sink saw part of it: the caller retries
        continue;
      }
      if (diag) diag->set_message(curl_easy_strerror(rc));
      return unexpected(pull_errc::transport_error);
    }
    if (a.status == 401 && attempt == 0 && !t.www_authenticate.empty()) {
      auto r = authenticate(t.www_authenticate, diag);
      if (!r) return unexpected(r.error());
      continue;
    }
    if ((a.status == 502 || a.status == 503 || a.status == 504 || a.status == 429) && attempt < 2 && !sink) continue;
    if (a.status == 200 || a.status == 206) return a;
    if (diag) {
      diag->status = static_cast<int>(a.status);
      diag->set_message(a.body);
    }
    if (a.status == 404) return unexpected(pull_errc::manifest_unknown);
    if (a.status == 401 || a.status == 403) return unexpected(pull_errc::unauthorized);
    return unexpected(pull_errc::registry_error);
  }
}

result<void> registry_session::authenticate(const std::string& header, berth::diagnostics* diag) {
  auto ch = parse_www_authenticate(header);
  if (!ch) return unexpected(ch.error());
  std::string scheme = ch->scheme;
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "basic") {
    if (username_.empty()) return unexpected(pull_errc::unauthorized);
    authorization_ = "Basic " + io::base64_encode(username_ + ":" + password_);
    return {};
  }
  if (scheme != "bearer") return unexpected(pull_errc::unauthorized);
  auto realm = ch->params.find("realm");
  if (realm == ch->params.end() || realm->second.empty()) return unexpected(pull_errc::unauthorized);
  std::string url = realm->second;
  // Token servers must be HTTPS, except on loopback.
  if (url.rfind("https://", 0) != 0) {
    std::string host = url.rfind("http://", 0) == 0 ? url.substr(7, url.find('/', 7) - 7) : std::string();
    if (host.empty() || !is_loopback_registry(host)) return unexpected(pull_errc::unauthorized);
  }
  url += url.find('?') == std::string::npos ? "?" : "&";
  if (auto svc = ch->params.find("service"); svc != ch->params.end()) url += "service=" + url_escape(svc->second) + "&";
  url += "scope=" + url_escape(ch->params.count("scope") ? ch->params["scope"] : "repository:" + repository_ + ":pull");
  authorization_ = username_.empty() ? std::string() : "Basic " + io::base64_encode(username_ + ":" + password_);
  auto a = get(url, "application/json", 1 << 20, nullptr, diag);
  authorization_.clear();
  if (!a) return unexpected(a.error() == pull_errc::manifest_unknown ? make_error_code(pull_errc::unauthorized) : a.error());
  rapidjson::Document doc;
  doc.Parse(a->body.data(), a->body.size());
  if (doc.HasParseError() || !doc.IsObject()) return unexpected(pull_errc::unauthorized);
  for (const char* k : {"token", "access_token"}) {
    auto it = doc.FindMember(k);
    if (it != doc.MemberEnd() && it->value.IsString() && it->value.GetStringLength() > 0) {
      authorization_ = std::string("Bearer ") + it->value.GetString();
      return {};
    }
  }
  return unexpected(pull_errc::unauthorized);
}

result<registry_session::answer> registry_session::get_manifest(const std::string& reference, berth::diagnostics* diag) {
  std::string accept = std::string(media::oci_index) + ", " + std::string(media::docker_list) + ", " +
                       std::string(media::oci_manifest) + ", " + std::string(media::docker_manifest);
  return get("/v2/" + repository_ + "/manifests/" + reference, accept, 8 << 20, nullptr, diag);
}

result<void> registry_session::get_blob(const std::string& digest, const std::function<bool(std::string_view)>& sink,
                                        berth::diagnostics* diag) {
  auto a = get("/v2/" + repository_ + "/blobs/" + digest, {}, 1 << 20, &sink, diag);
  if (!a) return unexpected(a.error());
  return {};
}

}  // namespace berth::containerd::detail
