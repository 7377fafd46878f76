// Registry credentials: X-Registry-Auth encoding, config.json lookup, credential helpers.
#include "berth/config/auth.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "berth/io/base64.hpp"
#include "berth/io/fd_write.hpp"
#include "config_file.hpp"

extern char** environ;

namespace berth::config {

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_auth(writer& w, const auth_config& a) {
  w.StartObject();
  auto field = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    w.Key(k);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  field("username", a.username);
  field("password", a.password);
  field("serveraddress", a.serveraddress);
  field("identitytoken", a.identitytoken);
  field("registrytoken", a.registrytoken);
  w.EndObject();
}

std::string str_member(const rapidjson::Value& o, const char* k) {
  if (!o.IsObject()) return {};
  auto m = o.FindMember(k);
  if (m == o.MemberEnd() || !m->value.IsString()) return {};
  return std::string(m->value.GetString(), m->value.GetStringLength());
}

/// The entry of an auths object for a registry key, matching keys by host.
const rapidjson::Value* find_auth(const rapidjson::Value& auths, const std::string& key) {
  if (!auths.IsObject()) return nullptr;
  for (auto it = auths.MemberBegin(); it != auths.MemberEnd(); ++it) {
    std::string k(it->name.GetString(), it->name.GetStringLength());
    if (k == key || normalize_registry(k) == key) return &it->value;
  }
  return nullptr;
}

result<auth_config> from_auth_entry(const rapidjson::Value& e, const std::string& key) {
  auth_config a;
  a.serveraddress = key;
  std::string b64 = str_member(e, "auth");
  if (!b64.empty()) {
    auto raw = io::base64_decode(b64);
    if (!raw) return unexpected(error::bad_config);
    auto colon = raw->find(':');
    if (colon == std::string::npos) return unexpected(error::bad_config);
    a.username = raw->substr(0, colon);
    a.password = raw->substr(colon + 1);
  } else {
    a.username = str_member(e, "username");
    a.password = str_member(e, "password");
  }
  a.identitytoken = str_member(e, "identitytoken");
  a.registrytoken = str_member(e, "registrytoken");
  if (a.empty()) return unexpected(error::credentials_not_found);
  return a;
}

}  // namespace

std::string encode_registry_auth(const auth_config& a) {
  rapidjson::StringBuffer sb;
  writer w(sb);
  write_auth(w, a);
  return io::base64url_encode(std::string_view(sb.GetString(), sb.GetSize()));
}

result<auth_config> decode_registry_auth(std::string_view header) {
  auto raw = io::base64_decode(header);
  if (!raw) return unexpected(error::bad_config);
  rapidjson::Document d;
  d.Parse(raw->data(), raw->size());
  if (d.HasParseError() || !d.IsObject()) return unexpected(error::bad_config);
  auth_config a;
  a.username = str_member(d, "username");
  a.password = str_member(d, "password");
  a.serveraddress = str_member(d, "serveraddress");
  a.identitytoken = str_member(d, "identitytoken");
  a.registrytoken = str_member(d, "registrytoken");
  return a;
}

std::string encode_registry_config(const std::map<std::string, auth_config>& configs) {
  rapidjson::StringBuffer sb;
  writer w(sb);
  w.StartObject();
  for (const auto& [k, a] : configs) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    write_auth(w, a);
  }
  w.EndObject();
  return io::base64url_encode(std::string_view(sb.GetString(), sb.GetSize()));
}

std::string normalize_registry(std::string_view r) {
  std::string_view h = r;
  if (auto p = h.find("://"); p != std::string_view::npos) h.remove_prefix(p + 3);
  if (auto p = h.find('/'); p != std::string_view::npos) h = h.substr(0, p);
  std::string host(h);
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io" ||
      host.empty())
    return std::string(docker_hub_key);
  return host;
}

std::string registry_of(std::string_view ref) {
  auto slash = ref.find('/');
  if (slash == std::string_view::npos) return "docker.io";
  std::string_view first = ref.substr(0, slash);
  if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
      first == "localhost")
    return std::string(first);
  return "docker.io";
}

result<auth_config> run_credential_helper(std::string_view helper, std::string_view server,
                                          std::chrono::milliseconds timeout,
                                          const net::env_lookup&) {
  std::string prog = "docker-credential-" + std::string(helper);
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return unexpected(std::error_code(errno, std::generic_category()));
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return unexpected(std::error_code(e, std::generic_category()));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  char* argv[] = {prog.data(), const_cast<char*>("get"), nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, prog.c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    if (rc == ENOENT || rc == EACCES) return unexpected(error::helper_not_found);
    return unexpected(std::error_code(rc, std::generic_category()));
  }
  // The request is one short line: it fits the pipe buffer, so this write cannot block.
  std::string request(server);
  // A helper that exits without reading gives EPIPE, never a SIGPIPE to the host program.
  [[maybe_unused]] auto w = io::write_no_sigpipe(in_pipe[1], request.data(), request.size());
  ::close(in_pipe[1]);

  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out_pipe[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = n == 0;
      break;
    }
    ssize_t r = ::read(out_pipe[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (out.size() < (1u << 20)) out.append(buf, static_cast<std::size_t>(r));
  }
  ::close(out_pipe[0]);
  int status = 0;
  for (;;) {
    pid_t w2 = ::waitpid(pid, &status, WNOHANG);
    if (w2 == pid) break;
    if (w2 < 0 && errno != EINTR) break;
    if (timed_out || std::chrono::steady_clock::now() > deadline) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (timed_out) return unexpected(error::helper_timeout);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (out.find("credentials not found") != std::string::npos)
      return unexpected(error::credentials_not_found);
    return unexpected(error::helper_failed);
  }
  rapidjson::Document d;
  d.Parse(out.data(), out.size());
  if (d.HasParseError() || !d.IsObject()) return unexpected(error::helper_failed);
  auth_config a;
  a.serveraddress = str_member(d, "ServerURL");
  if (a.serveraddress.empty()) a.serveraddress = std::string(server);
  std::string user = str_member(d, "Username"), secret = str_member(d, "Secret");
  if (user == "<token>") {
    a.identitytoken = secret;
  } else {
    a.username = user;
    a.password = secret;
  }
  if (a.empty()) return unexpected(error::credentials_not_found);
  return a;
}

result<auth_config> resolve_credentials(std::string_view registry, const lookup_options& opts) {
  std::string key = normalize_registry(registry);
  if (auto env = detail::env_get(opts.getenv, "DOCKER_AUTH_CONFIG"); env && !env->empty()) {
    rapidjson::Document d;
    d.Parse(env->data(), env->size());
    if (d.HasParseError() || !d.IsObject()) return unexpected(error::bad_config);
    const rapidjson::Value* auths = &d;
    if (auto m = d.FindMember("auths"); m != d.MemberEnd()) auths = &m->value;
    if (const auto* e = find_auth(*auths, key)) return from_auth_entry(*e, key);
  }
  auto text = detail::read_file(docker_config_dir(opts.getenv) + "/config.json");
  if (!text) return unexpected(text.error());
  if (!*text) return unexpected(error::credentials_not_found);
  rapidjson::Document d;
  d.Parse((*text)->data(), (*text)->size());
  if (d.HasParseError() || !d.IsObject()) return unexpected(error::bad_config);
  std::string helper;
  if (auto m = d.FindMember("credHelpers"); m != d.MemberEnd() && m->value.IsObject()) {
    for (auto it = m->value.MemberBegin(); it != m->value.MemberEnd(); ++it) {
      std::string k(it->name.GetString(), it->name.GetStringLength());
      if ((k == key || normalize_registry(k) == key) && it->value.IsString())
        helper.assign(it->value.GetString(), it->value.GetStringLength());
    }
  }
  if (helper.empty()) helper = str_member(d, "credsStore");
  if (!helper.empty()) return run_credential_helper(helper, key, opts.helper_timeout, opts.getenv);
  if (auto m = d.FindMember("auths"); m != d.MemberEnd()) {
    if (const auto* e = find_auth(m->value, key)) return from_auth_entry(*e, key);
  }
  return unexpected(error::credentials_not_found);
}

}  // namespace berth::config
