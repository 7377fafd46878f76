// The runtime layer's values: ownership labels, the bind parser, the configuration hash,
// names of enums, and the log stream's blocking forms.
#include <asio/error.hpp>

#include "berth/core/sync.hpp"
#include "berth/io/sha256.hpp"
#include "berth/runtime/error.hpp"
#include "berth/runtime/ops.hpp"
#include "berth/runtime/streams.hpp"
#include "berth/runtime/types.hpp"

namespace berth::runtime {

const char* to_string(engine_kind k) noexcept { return k == engine_kind::docker ? "docker" : "containerd"; }

const char* to_string(container_state s) noexcept {
  switch (s) {
    case container_state::created: return "created";
    case container_state::running: return "running";
    case container_state::paused: return "paused";
    case container_state::restarting: return "restarting";
    case container_state::exited: return "exited";
    case container_state::dead: return "dead";
    case container_state::unknown: break;
  }
  return "unknown";
}

const char* to_string(ensure_action a) noexcept {
  switch (a) {
    case ensure_action::reused: return "reused";
    case ensure_action::started: return "started";
    case ensure_action::created: return "created";
    case ensure_action::recreated: return "recreated";
  }
  return "unknown";
}

labels ownership::stamp() const {
  labels l;
  if (owner.empty()) return l;
  l.emplace(owner_key(), owner);
  if (!session.empty()) l.emplace(session_key(), session);
  return l;
}

result<mount> parse_mount(std::string_view s) {
  std::vector<std::string_view> parts;
  for (std::size_t at = 0;;) {
    auto colon = s.find(':', at);
    parts.push_back(s.substr(at, colon == std::string_view::npos ? std::string_view::npos : colon - at));
    if (colon == std::string_view::npos) break;
    at = colon + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty() || parts[1][0] != '/')
    return unexpected(errc::invalid_argument);
  mount m;
  m.source = std::string(parts[0]);
  m.target = std::string(parts[1]);
  m.type = (parts[0][0] == '/' || parts[0][0] == '.') ? mount::kind::bind : mount::kind::volume;
  if (parts.size() == 3) {
    if (parts[2] == "ro")
      m.read_only = true;
    else if (parts[2] != "rw")
      return unexpected(errc::invalid_argument);
  }
  return m;
}

std::pair<std::string, std::string> split_reference(std::string_view ref) {
  if (ref.find('@') != std::string_view::npos) return {std::string(ref), {}};
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash))
    return {std::string(ref.substr(0, colon)), std::string(ref.substr(colon + 1))};
  return {std::string(ref), "latest"};
}

namespace {

/// A canonical encoding: every field tagged and length-prefixed, so no two specs share one.
class encoder {
 public:
  void field(std::string_view tag, std::string_view v) {
    h_.update(tag);
    auto n = std::to_string(v.size());
    h_.update(":");
    h_.update(n);
    h_.update(":");
    h_.update(v);
    h_.update(";");
  }
  void field(std::string_view tag, bool v) { field(tag, v ? std::string_view("1") : std::string_view("0")); }
  template <class N>
    requires std::is_integral_v<N>
  void field(std::string_view tag, N v) { field(tag, std::string_view(std::to_string(v))); }
  template <class N>
  void field(std::string_view tag, const std::optional<N>& v) {
    if (v) field(tag, *v);
    else field(tag, std::string_view("-"));
  }
  void field(std::string_view tag, const std::vector<std::string>& v) {
    field(tag, v.size());
    for (const auto& s : v) field(tag, std::string_view(s));
  }
  std::string hex() { return h_.hex(); }

 private:
  io::sha256 h_;
};

}  // namespace

std::string config_hash(const container_spec& s) {
  encoder e;
  e.field("v", std::string_view("berth-runtime-1"));
  e.field("image", std::string_view(s.image));
  e.field("cmd", s.cmd);
  e.field("has_entrypoint", s.entrypoint.has_value());
  if (s.entrypoint) e.field("entrypoint", *s.entrypoint);
  e.field("env", s.env);
  e.field("cwd", std::string_view(s.cwd));
  e.field("user", std::string_view(s.user));
  e.field("hostname", std::string_view(s.hostname));
  e.field("tty", s.tty);
  e.field("open_stdin", s.open_stdin);
  e.field("privileged", s.privileged);
  e.field("init", s.init);
  e.field("ro", s.read_only_rootfs);
  e.field("systemd", s.systemd);
  e.field("pid_host", s.pid_host);
  e.field("mounts", s.mounts.size());
  for (const auto& m : s.mounts) {
    e.field("m.type", static_cast<int>(m.type));
    e.field("m.source", std::string_view(m.source));
    e.field("m.target", std::string_view(m.target));
    e.field("m.ro", m.read_only);
    e.field("m.options", m.options);
  }
  e.field("ports", s.ports.size());
  for (const auto& p : s.ports) {
    e.field("p.container", p.container);
    e.field("p.host", p.host);
    e.field("p.proto", std::string_view(p.proto));
    e.field("p.ip", std::string_view(p.host_ip));
  }
  e.field("network", static_cast<int>(s.network));
  e.field("networks", s.networks);
  const auto& r = s.resources;
  e.field("memory", r.memory_bytes);
  e.field("cpu_shares", r.cpu_shares);
  e.field("cpu_quota", r.cpu_quota);
  e.field("cpu_period", r.cpu_period);
  e.field("pids", r.pids_limit);
  e.field("ulimits", r.ulimits.size());
  for (const auto& u : r.ulimits) {
    e.field("u.name", std::string_view(u.name));
    e.field("u.soft", u.soft);
    e.field("u.hard", u.hard);
  }
  e.field("stop_signal", std::string_view(s.stop_signal));
  e.field("stop_grace", s.stop_grace ? s.stop_grace->count() : -1);
  e.field("health", s.health.has_value());
  if (s.health) {
    e.field("h.argv", s.health->argv);
    e.field("h.interval", s.health->interval.count());
    e.field("h.timeout", s.health->timeout.count());
    e.field("h.retries", s.health->retries);
  }
  e.field("sysctls", s.sysctls.size());
  for (const auto& [k, v] : s.sysctls) {
    e.field("s.k", std::string_view(k));
    e.field("s.v", std::string_view(v));
  }
  e.field("runtime", std::string_view(s.runtime.describe()));
  e.field("runtime.config", std::string_view(s.runtime.config_path()));
  e.field("snapshotter", std::string_view(s.snapshotter));
  return e.hex();
}

// ---- log_stream ----

namespace detail {
stream_source::~stream_source() = default;

struct line_state {
  std::string pending[3];  ///< Per stream id (stdout 1, stderr 2).
  bool ended = false;
};
}  // namespace detail

log_stream::log_stream(std::shared_ptr<detail::stream_source> s) : src_(std::move(s)) {}

log_stream::~log_stream() { close(); }

log_stream::executor_type log_stream::get_executor() const {
  return src_ ? src_->executor() : executor_type();
}

output_chunk log_stream::next(std::error_code& ec) {
  if (!src_) {
    ec = make_error_code(berth::errc::stream_closed);
    return {};
  }
  auto r = src_->host().run<output_chunk>([&](auto h) { async_next(std::move(h)); });
  return value_or_set(std::move(r), ec);
}

output_chunk log_stream::next() {
  std::error_code ec;
  auto c = next(ec);
  if (ec) throw berth::error(ec);
  return c;
}

output_line log_stream::next_line(std::error_code& ec) {
  constexpr std::size_t cap = 1u << 20;
  if (!lines_) lines_ = std::make_shared<detail::line_state>();
  auto take = [&](int id) -> std::optional<output_line> {
    auto& p = lines_->pending[id];
    auto nl = p.find('\n');
    if (nl == std::string::npos && p.size() < cap) return std::nullopt;
    std::size_t n = nl == std::string::npos ? cap : nl;
    output_line l{static_cast<io::stream_id>(id), p.substr(0, n)};
    p.erase(0, nl == std::string::npos ? n : n + 1);
    return l;
  };
  for (;;) {
    for (int id : {1, 2})
      if (auto l = take(id)) {
        ec.clear();
        return *l;
      }
    if (lines_->ended) {
      for (int id : {1, 2})
        if (!lines_->pending[id].empty()) {
          output_line l{static_cast<io::stream_id>(id), std::move(lines_->pending[id])};
          lines_->pending[id].clear();
          ec.clear();
          return l;
        }
      ec = asio::error::eof;
      return {};
    }
    auto c = next(ec);
    if (ec == asio::error::eof) {
      lines_->ended = true;
      continue;
    }
    if (ec) return {};
    int id = c.stream == io::stream_id::stderr_stream ? 2 : 1;
    lines_->pending[id] += c.data;
  }
}

void log_stream::close() noexcept {
  if (src_) src_->close();
  src_.reset();
}

}  // namespace berth::runtime
