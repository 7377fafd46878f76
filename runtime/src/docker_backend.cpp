// The runtime layer on the Docker Engine API.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "backend.hpp"
#include "berth/core/offload.hpp"
#include "berth/engine/engine.hpp"
#include "berth/engine/runner.hpp"
#include "berth/kata/docker.hpp"

namespace berth::runtime::detail {
namespace {

namespace eop = engine::op;


std::string strip_slash(std::string n) {
  if (!n.empty() && n[0] == '/') n.erase(0, 1);
  return n;
}

container_state state_of(const std::string& s) {
  if (s == "created") return container_state::created;
  if (s == "running") return container_state::running;
  if (s == "paused") return container_state::paused;
  if (s == "restarting") return container_state::restarting;
  if (s == "exited") return container_state::exited;
  if (s == "dead") return container_state::dead;
  if (s == "removing") return container_state::dead;
  return container_state::unknown;
}

health_state health_of(const std::string& s) {
  if (s == "starting") return health_state::starting;
  if (s == "healthy") return health_state::healthy;
  if (s == "unhealthy") return health_state::unhealthy;
  return health_state::none;
}

std::vector<port> ports_of(const engine::port_map& m) {
  std::vector<port> out;
  for (const auto& [key, binds] : m) {
    auto slash = key.find('/');
    port p;
    p.container = static_cast<std::uint16_t>(std::atoi(key.substr(0, slash).c_str()));
    p.proto = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    if (!binds || binds->empty()) continue;
    for (const auto& b : *binds) {
      p.host_ip = b.host_ip.value_or("");
      p.host = static_cast<std::uint16_t>(std::atoi(b.host_port.value_or("0").c_str()));
      out.push_back(p);
    }
  }
  return out;
}

container_info info_of(const engine::container_inspect_response& r) {
  container_info i;
  i.id = r.id.value_or("");
  i.name = strip_slash(r.name.value_or(""));
  i.image_id = r.image.value_or("");
  if (r.config) {
    const auto& c = *r.config;
    i.image = c.image.value_or("");
    i.labels = c.labels.value_or(labels{});
    i.env = c.env.value_or(std::vector<std::string>{});
    i.cmd = c.cmd.value_or(std::vector<std::string>{});
    i.tty = c.tty.value_or(false);
    i.hostname = c.hostname.value_or("");
  }
  if (r.state) {
    const auto& s = *r.state;
    i.state = state_of(s.status.value_or(""));
    if (i.state == container_state::exited || i.state == container_state::dead) i.exit_code = s.exit_code;
    i.pid = static_cast<std::uint32_t>(s.pid.value_or(0));
    if (s.health) i.health = health_of(s.health->status.value_or(""));
  }
  if (r.host_config) {
    i.privileged = r.host_config->privileged.value_or(false);
    i.pid_host = r.host_config->pid_mode.value_or("") == "host";
    i.runtime = r.host_config->runtime.value_or("");
  }
  if (r.mounts)
    for (const auto& m : *r.mounts) {
      mount x;
      auto t = m.type.value_or("bind");
      x.type = t == "volume" ? mount::kind::volume : t == "tmpfs" ? mount::kind::tmpfs : mount::kind::bind;
      x.source = t == "volume" ? m.name.value_or("") : m.source.value_or("");
      x.target = m.destination.value_or("");
      x.read_only = !m.rw.value_or(true);
      i.mounts.push_back(std::move(x));
    }
  if (r.network_settings) {
    if (r.network_settings->networks)
      for (const auto& [name, ep] : *r.network_settings->networks)
        if (ep.ip_address && !ep.ip_address->empty()) i.ips.push_back(*ep.ip_address);
    if (r.network_settings->ports) i.ports = ports_of(*r.network_settings->ports);
  }
  return i;
}

container_info info_of(const engine::container_summary& s) {
  container_info i;
  i.id = s.id.value_or("");
  if (s.names && !s.names->empty()) i.name = strip_slash(s.names->front());
  i.image = s.image.value_or("");
  i.image_id = s.image_id.value_or("");
  i.labels = s.labels.value_or(labels{});
  i.state = state_of(s.state.value_or(""));
  if (s.health) i.health = health_of(s.health->status.value_or(""));
  if (s.network_settings && s.network_settings->networks)
    for (const auto& [name, ep] : *s.network_settings->networks)
      if (ep.ip_address && !ep.ip_address->empty()) i.ips.push_back(*ep.ip_address);
  if (s.ports)
    for (const auto& p : *s.ports)
      if (p.public_port)
        i.ports.push_back({static_cast<std::uint16_t>(p.private_port), static_cast<std::uint16_t>(*p.public_port),
                           p.type, p.ip.value_or("")});
  return i;
}

image_info image_of(const engine::image_inspect& r, std::string ref) {
  image_info i;
  i.name = std::move(ref);
  i.id = r.id.value_or("");
  i.tags = r.repo_tags.value_or(std::vector<std::string>{});
  if (r.repo_digests && !r.repo_digests->empty()) {
    const auto& d = r.repo_digests->front();
    auto at = d.find('@');
    i.digest = at == std::string::npos ? d : d.substr(at + 1);
  }
  if (r.config && r.config->labels) i.labels = *r.config->labels;
  i.size = r.size.value_or(0);
  if (i.name.empty() && !i.tags.empty()) i.name = i.tags.front();
  return i;
}

std::int64_t ns(std::chrono::milliseconds m) { return static_cast<std::int64_t>(m.count()) * 1'000'000; }

engine::container_create_body body_of(const container_spec& s) {
  engine::container_create_body b;
  b.image = s.image;
  if (!s.cmd.empty()) b.cmd = s.cmd;
  if (s.entrypoint) b.entrypoint = *s.entrypoint;
  if (!s.env.empty()) b.env = s.env;
  if (!s.cwd.empty()) b.working_dir = s.cwd;
  if (!s.user.empty()) b.user = s.user;
  if (!s.hostname.empty()) b.hostname = s.hostname;
  if (s.tty) b.tty = true;
  if (s.open_stdin) b.open_stdin = true;
  b.labels = s.labels;
  if (!s.stop_signal.empty()) b.stop_signal = s.stop_signal;
  if (s.stop_grace) b.stop_timeout = s.stop_grace->count();
  if (s.health) {
    engine::health_config h;
    std::vector<std::string> test{"CMD"};
    test.insert(test.end(), s.health->argv.begin(), s.health->argv.end());
    h.test = test;
    h.interval = ns(s.health->interval);
    h.timeout = ns(s.health->timeout);
    h.retries = s.health->retries;
    b.healthcheck = h;
  }
  engine::host_config hc;
  if (s.privileged) hc.privileged = true;
  if (s.init) hc.init = true;
  if (s.read_only_rootfs) hc.readonly_rootfs = true;
  if (s.pid_host) hc.pid_mode = "host";
  std::map<std::string, std::string> tmpfs;
  std::vector<engine::mount> mounts;
  for (const auto& m : s.mounts) {
    if (m.type == mount::kind::tmpfs) {
      std::string opts;
      for (const auto& o : m.options) opts += (opts.empty() ? "" : ",") + o;
      tmpfs[m.target] = opts;
      continue;
    }
    engine::mount x;
    x.type = m.type == mount::kind::volume ? "volume" : "bind";
    x.source = m.source;
    x.target = m.target;
    if (m.read_only) x.read_only = true;
    mounts.push_back(std::move(x));
  }
  if (s.systemd) {
    // KIND's node profile: systemd wants its own /run and /tmp, a private cgroup
    // namespace with the cgroup filesystem, and SIGRTMIN+3 to shut down.
    tmpfs.emplace("/run", "rw,nosuid,nodev,exec");
    tmpfs.emplace("/tmp", "rw,nosuid,nodev,exec");
    hc.cgroupns_mode = "private";
    if (s.stop_signal.empty()) b.stop_signal = "SIGRTMIN+3";
    auto env = b.env.value_or(std::vector<std::string>{});
    env.push_back("container=docker");
    b.env = env;
  }
  if (!tmpfs.empty()) hc.tmpfs = tmpfs;
  if (!mounts.empty()) hc.mounts = mounts;
  switch (s.network) {
    case network_mode::none: hc.network_mode = "none"; break;
    case network_mode::host: hc.network_mode = "host"; break;
    case network_mode::default_: break;
    case network_mode::named:
      if (!s.networks.empty()) {
        hc.network_mode = s.networks.front();
        engine::networking_config nc;
        nc.endpoints_config = std::map<std::string, engine::endpoint_settings>{{s.networks.front(), {}}};
        b.networking_config = nc;
      }
      break;
  }
  if (!s.ports.empty()) {
    engine::port_map pm;
    std::map<std::string, engine::empty_object> exposed;
    for (const auto& p : s.ports) {
      auto key = std::to_string(p.container) + "/" + p.proto;
      exposed[key] = {};
      auto& v = pm[key];
      if (!v) v = std::vector<engine::port_binding>{};
      v->push_back({p.host_ip, p.host ? std::to_string(p.host) : std::string()});
    }
    hc.port_bindings = pm;
    b.exposed_ports = exposed;
  }
  const auto& r = s.resources;
  if (r.memory_bytes) hc.memory = *r.memory_bytes;
  if (r.cpu_shares) hc.cpu_shares = *r.cpu_shares;
  if (r.cpu_quota) hc.cpu_quota = *r.cpu_quota;
  if (r.cpu_period) hc.cpu_period = *r.cpu_period;
  if (r.pids_limit) hc.pids_limit = *r.pids_limit;
  if (!r.ulimits.empty()) {
    std::vector<engine::resources_ulimits_item> u;
    for (const auto& l : r.ulimits)
      u.push_back({l.name, static_cast<std::int64_t>(l.soft), static_cast<std::int64_t>(l.hard)});
    hc.ulimits = u;
  }
  if (!s.sysctls.empty()) hc.sysctls = s.sysctls;
  b.host_config = hc;
  return b;
}

/// A log stream over Docker's demultiplexed output.
class docker_logs final : public stream_source {
 public:
  docker_logs(engine::output_stream s, engine::client c) : s_(std::move(s)), c_(std::move(c)), buf_(64 * 1024) {}
  task<output_chunk> next() override {
    std::error_code ec;
    auto ch = co_await s_.async_read(asio::buffer(buf_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return unexpected(ec);
    co_return output_chunk{ch.stream, std::string(buf_.data(), ch.size)};
  }
  void close() noexcept override { s_.close(); }
  asio::any_io_executor executor() const override { return c_.get_executor(); }
  berth::execution_host& host() const override { return c_.transport().execution(); }

 private:
  engine::output_stream s_;
  mutable engine::client c_;
  std::vector<char> buf_;
};

class docker_backend final : public backend {
 public:
  docker_backend(engine::client c, client_options o) : backend(std::move(o)), c_(std::move(c)) {}

  engine_kind kind() const noexcept override { return engine_kind::docker; }
  runtime::capabilities caps() const override {
    runtime::capabilities k;
    k.networks = k.publish_ports = k.named_volumes = k.build = k.save = k.commit = k.logs = true;
    k.native_health = k.host_pid = k.user_names = k.init = k.ulimits = k.systemd = true;
    k.runtimes = runtimes_;
    return k;
  }
  berth::execution_host& host() const noexcept override { return c_.transport().execution(); }
  asio::any_io_executor executor() const override { return c_.get_executor(); }
  std::string endpoint() const override { return c_.endpoint().to_string(); }
  engine::client* docker() { return &c_; }

  task<ping_info> ping(call_options o) override {
    auto req1 = eop::system_version{};
    auto v = co_await call(c_, std::move(req1), o);
    if (!v) co_return unexpected(v.error());
    auto req2 = eop::system_info{};
    auto info = co_await call(c_, std::move(req2), o);
    if (!info) co_return unexpected(info.error());
    ping_info p;
    p.kind = engine_kind::docker;
    p.endpoint = endpoint();
    p.version = v->version.value_or("");
    p.api_version = v->api_version.value_or("");
    p.runtimes = kata::docker_runtimes(*info).names;
    runtimes_ = p.runtimes;
    co_return p;
  }

  std::error_code check(const container_spec& s, call_options o, std::vector<std::string>* warnings) const override {
    std::error_code ec;
    auto report = kata::validate(body_of(s), s.runtime, ec, o.diag);
    if (!ec && warnings)
      for (const auto& f : report.warnings) warnings->push_back(f.setting + ": " + f.message);
    return ec;
  }

  task<std::optional<container_info>> find(std::string id, call_options o) override {
    auto req3 = eop::container_inspect{.id = id};
    auto r = co_await probe(c_, std::move(req3), o, engine::is_not_found);
    if (!r) co_return unexpected(r.error());
    if (!*r) co_return std::optional<container_info>{};
    co_return std::optional<container_info>(info_of(**r));
  }

  task<container_info> create(container_spec s, call_options o) override {
    std::error_code ec;
    auto body = body_of(s);
    auto prepared = co_await kata::async_prepare_create(c_, std::move(body), s.runtime, opts.runtime_names, o,
                                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return unexpected(ec);
    eop::container_create cc;
    if (!s.name.empty()) cc.name = s.name;
    cc.body = std::move(prepared.body);
    auto created = co_await call(c_, std::move(cc), o);
    if (!created) co_return unexpected(created.error());
    // Further networks are joined before start.
    if (s.network == network_mode::named)
      for (std::size_t i = 1; i < s.networks.size(); ++i) {
        eop::network_connect nc;
        nc.id = s.networks[i];
        nc.body.container = created->id;
        auto j = co_await call(c_, std::move(nc), o);
        if (!j) {
          auto undo = eop::container_delete{.id = created->id, .volumes = true, .force = true};
          (void)co_await call(c_, std::move(undo), {});
          co_return unexpected(j.error());
        }
      }
    container_info i;
    i.id = created->id;
    i.name = s.name;
    i.image = s.image;
    i.labels = s.labels;
    i.state = container_state::created;
    for (const auto& w : created->warnings) i.warnings.push_back(w);
    co_return i;
  }

  task<void> start(std::string id, call_options o) override {
    auto req4 = eop::container_start{.id = id};
    auto r = co_await call(c_, std::move(req4), o);
    if (!r && !engine::is_not_modified(r.error())) co_return unexpected(r.error());
    co_return result<void>{};
  }

  task<stop_result> stop(std::string id, std::chrono::seconds grace, call_options o) override {
    auto req5 = eop::stop_container{.id = id, .grace = grace};
    auto r = co_await call(c_, std::move(req5), o);
    if (!r) co_return unexpected(r.error());
    stop_result out{!r->already_stopped, r->killed};
    if (out.was_running && !out.killed) {
      // dockerd sends SIGKILL itself when the grace runs out and does not say so: the
      // exit code does (128 + 9).
      auto now = co_await find(id, o);
      if (now && *now && (*now)->exit_code == 137) out.killed = true;
    }
    co_return out;
  }

  task<void> kill(std::string id, std::string signal, call_options o) override {
    auto req6 = eop::container_kill{.id = id, .signal = signal};
    auto r = co_await call(c_, std::move(req6), o);
    if (!r) co_return unexpected(r.error());
    co_return result<void>{};
  }
  task<void> pause(std::string id, call_options o) override {
    auto req7 = eop::container_pause{.id = id};
    auto r = co_await call(c_, std::move(req7), o);
    if (!r) co_return unexpected(r.error());
    co_return result<void>{};
  }
  task<void> unpause(std::string id, call_options o) override {
    auto req8 = eop::container_unpause{.id = id};
    auto r = co_await call(c_, std::move(req8), o);
    if (!r) co_return unexpected(r.error());
    co_return result<void>{};
  }

  task<std::int64_t> wait(std::string id, call_options o) override {
    auto req9 = eop::container_wait{.id = id};
    auto r = co_await call(c_, std::move(req9), o);
    if (!r) co_return unexpected(r.error());
    co_return r->status_code;
  }

  task<bool> remove(std::string id, bool force, call_options o) override {
    auto req10 = eop::container_delete{.id = id, .volumes = true, .force = force};
    auto r = co_await probe(c_, std::move(req10), o, engine::is_not_found);
    if (!r) co_return unexpected(r.error());
    co_return r->has_value();
  }

  task<std::vector<container_info>> list(labels match, bool running_only, call_options o) override {
    eop::container_list l;
    l.all = !running_only;
    for (const auto& [k, v] : match) l.filters["label"].push_back(k + "=" + v);
    auto r = co_await call(c_, std::move(l), o);
    if (!r) co_return unexpected(r.error());
    std::vector<container_info> out;
    for (const auto& s : *r) {
      auto i = info_of(s);
      // The daemon's filter, checked again here: a sweep must never take what lacks a label.
      if (has_all(i.labels, match)) out.push_back(std::move(i));
    }
    co_return out;
  }

  static engine::output_sink sink_of(const output_callback& cb, std::size_t limit) {
    engine::output_sink s;
    s.collect_limit = limit;
    if (cb) s.callback = [cb](engine::stream_id id, std::string_view d) { cb(id, d); };
    return s;
  }

  task<exec_result> exec(op::exec e, call_options o) override {
    engine::exec_options x;
    x.cmd = e.argv;
    x.env = e.env;
    if (!e.cwd.empty()) x.working_dir = e.cwd;
    if (!e.user.empty()) x.user = e.user;
    x.tty = e.tty;
    x.stdin_data = e.stdin_data;
    x.timeout = e.timeout;
    x.output = sink_of(e.on_output, e.collect_limit);
    auto req11 = eop::exec_run{.id = e.id, .options = std::move(x)};
    auto r = co_await call(c_, std::move(req11), o);
    if (!r) co_return unexpected(r.error());
    co_return exec_result{r->exit_code, std::move(r->stdout_data), std::move(r->stderr_data),
                          r->output_truncated, r->timed_out, e.id};
  }

  task<exec_result> run(op::run_one_shot r, call_options o) override {
    std::error_code ec;
    auto body = body_of(r.spec);
    auto prepared = co_await kata::async_prepare_create(c_, std::move(body), r.spec.runtime, opts.runtime_names, o,
                                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return unexpected(ec);
    engine::run_options x;
    x.config = std::move(prepared.body);
    if (!r.spec.name.empty()) x.name = r.spec.name;
    x.auto_remove = !r.keep;
    x.timeout = r.timeout;
    x.output = sink_of(r.on_output, r.collect_limit);
    x.stdin_data = r.stdin_data;
    auto req12 = eop::run_container{std::move(x)};
    auto res = co_await call(c_, std::move(req12), o);
    if (!res) {
      if (res.error() == engine::error::exec_timeout) {
        exec_result t;
        t.timed_out = true;
        t.exit_code = -1;
        co_return t;
      }
      co_return unexpected(res.error());
    }
    co_return exec_result{res->exit_code, std::move(res->stdout_data), std::move(res->stderr_data),
                          res->output_truncated, false, res->id};
  }

  task<log_stream> logs(op::follow_logs l, call_options o) override {
    eop::container_logs x;
    x.id = l.id;
    x.follow = l.follow;
    x.timestamps = l.timestamps;
    if (l.tail) x.tail = std::to_string(*l.tail);
    auto s = co_await call(c_, std::move(x), o);
    if (!s) co_return unexpected(s.error());
    co_return log_stream(std::make_shared<docker_logs>(std::move(*s), c_));
  }

  task<std::optional<container_info>> find_self(std::string hint, call_options o) override {
    co_return co_await find(std::move(hint), o);
  }

  task<std::optional<image_info>> find_image(std::string ref, call_options o) override {
    auto req13 = eop::image_inspect{.name = ref};
    auto r = co_await probe(c_, std::move(req13), o, engine::is_not_found);
    if (!r) co_return unexpected(r.error());
    if (!*r) co_return std::optional<image_info>{};
    co_return std::optional<image_info>(image_of(**r, ref));
  }

  task<image_info> pull(std::string ref, const std::function<void(const pull_progress&)>& cb, int attempt,
                        call_options o) override {
    auto [name, tag] = split_reference(ref);
    eop::image_create_pull p;
    p.from_image = name;
    if (!tag.empty()) p.tag = tag;
    auto s = co_await call(c_, std::move(p), o);
    if (!s) co_return unexpected(s.error());
    for (;;) {
      std::error_code ec;
      auto rec = co_await s->async_next(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::eof) break;
      if (ec) {
        if (o.diag && !s->diagnostics().message.empty()) *o.diag = s->diagnostics();
        co_return unexpected(ec);
      }
      if (cb) {
        pull_progress pp;
        pp.layer = rec.id.value_or("");
        pp.status = rec.status.value_or("");
        if (rec.progress_detail) {
          pp.current = rec.progress_detail->current.value_or(0);
          pp.total = rec.progress_detail->total.value_or(0);
        }
        pp.attempt = attempt;
        cb(pp);
      }
    }
    auto i = co_await find_image(ref, o);
    if (!i) co_return unexpected(i.error());
    if (!*i) co_return unexpected(make_error_code(engine::error::not_found));
    co_return std::move(**i);
  }

  task<image_info> build(image_build b, std::string ref, labels l, call_options o) override {
    eop::image_build x;
    x.tags = std::vector<std::string>{ref};
    x.dockerfile = b.dockerfile;
    x.buildargs = b.args;
    if (!b.target.empty()) x.target = b.target;
    x.labels = std::move(l);
    auto up = co_await call(c_, std::move(x), o);
    if (!up) co_return unexpected(up.error());
    std::error_code ec;
    std::filesystem::path dir = b.context_dir;
    engine::build_context_options bco{.dockerfile = b.dockerfile};
    co_await engine::async_write_build_context(*up, std::move(dir), bco, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return unexpected(ec);
    berth::diagnostics d;
    auto out = co_await up->async_finish(&d, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (o.diag) *o.diag = d;
      co_return unexpected(ec);
    }
    std::string last;
    for (;;) {
      auto rec = co_await out.async_next(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::eof) break;
      if (ec) {
        auto m = out.diagnostics().message;
        say(o, "build failed: " + (m.empty() ? last : m));
        co_return unexpected(make_error_code(errc::build_failed));
      }
      if (rec.stream) last = *rec.stream;
    }
    auto i = co_await find_image(ref, o);
    if (!i) co_return unexpected(i.error());
    if (!*i) {
      say(o, "build ended without an image: " + last);
      co_return unexpected(make_error_code(errc::build_failed));
    }
    co_return std::move(**i);
  }

  task<std::vector<std::string>> load(std::string path, call_options o) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) co_return unexpected(std::error_code(errno, std::system_category()));
    struct closer {
      int fd;
      ~closer() { ::close(fd); }
    } guard{fd};
    auto req14 = eop::image_load{.quiet = true};
    auto up = co_await call(c_, std::move(req14), o);
    if (!up) co_return unexpected(up.error());
    std::vector<char> buf(256 * 1024);
    std::error_code ec;
    for (;;) {
      auto n = co_await berth::detail::offload([&] { return ::read(fd, buf.data(), buf.size()); });
      if (n < 0) co_return unexpected(std::error_code(errno, std::system_category()));
      if (n == 0) break;
      co_await up->async_write(asio::buffer(buf.data(), static_cast<std::size_t>(n)),
                               asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return unexpected(ec);
    }
    berth::diagnostics d;
    auto out = co_await up->async_finish(&d, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (o.diag) *o.diag = d;
      co_return unexpected(ec);
    }
    std::vector<std::string> names;
    for (;;) {
      auto rec = co_await out.async_next(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::eof) break;
      if (ec) {
        if (o.diag) *o.diag = out.diagnostics();
        co_return unexpected(ec);
      }
      // "Loaded image: busybox:latest\n" or "Loaded image ID: sha256:...\n".
      std::string text = rec.stream.value_or(rec.status.value_or(""));
      for (std::string prefix : {"Loaded image: ", "Loaded image ID: "}) {
        auto at = text.find(prefix);
        if (at == std::string::npos) continue;
        auto name = text.substr(at + prefix.size());
        while (!name.empty() && (name.back() == '\n' || name.back() == '\r' || name.back() == ' ')) name.pop_back();
        names.push_back(name);
        break;
      }
    }
    co_return names;
  }

  task<void> save(std::vector<std::string> refs, std::string path, call_options o) override {
    auto req15 = eop::image_get_all{.names = refs};
    auto body = co_await call(c_, std::move(req15), o);
    if (!body) co_return unexpected(body.error());
    auto tmp = path + ".partial";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) co_return unexpected(std::error_code(errno, std::system_category()));
    std::vector<char> buf(256 * 1024);
    std::error_code failed;
    for (;;) {
      auto n = co_await body->co_read_some(asio::buffer(buf));
      if (!n) {
        if (n.error() != asio::error::eof) failed = n.error();
        break;
      }
      auto w = co_await berth::detail::offload([&]() -> std::error_code {
        std::size_t off = 0;
        while (off < *n) {
          auto k = ::write(fd, buf.data() + off, *n - off);
          if (k < 0) {
            if (errno == EINTR) continue;
            return {errno, std::system_category()};
          }
          off += static_cast<std::size_t>(k);
        }
        return {};
      });
      if (w) {
        failed = w;
        break;
      }
    }
    ::close(fd);
    if (failed) {
      ::unlink(tmp.c_str());
      co_return unexpected(failed);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      auto e = std::error_code(errno, std::system_category());
      ::unlink(tmp.c_str());
      co_return unexpected(e);
    }
    co_return result<void>{};
  }

  task<void> tag(std::string source, std::string target, call_options o) override {
    auto [repo, tag] = split_reference(target);
    eop::image_tag t;
    t.name = source;
    t.repo = repo;
    if (!tag.empty()) t.tag = tag;
    auto r = co_await call(c_, std::move(t), o);
    if (!r) co_return unexpected(r.error());
    co_return result<void>{};
  }

  task<bool> remove_image(std::string ref, bool force, call_options o) override {
    auto req16 = eop::image_delete{.name = ref, .force = force};
    auto r = co_await probe(c_, std::move(req16), o, engine::is_not_found);
    if (!r) co_return unexpected(r.error());
    co_return r->has_value();
  }

  task<image_info> commit(op::commit c, call_options o) override {
    auto [repo, tag] = split_reference(c.ref);
    eop::image_commit x;
    x.container = c.id;
    x.repo = repo;
    if (!tag.empty()) x.tag = tag;
    x.pause = c.pause;
    if (!c.labels.empty()) {
      engine::container_config cfg;
      cfg.labels = c.labels;
      x.config = cfg;
    }
    auto r = co_await call(c_, std::move(x), o);
    if (!r) co_return unexpected(r.error());
    auto i = co_await find_image(c.ref, o);
    if (!i) co_return unexpected(i.error());
    if (!*i) co_return unexpected(make_error_code(engine::error::not_found));
    co_return std::move(**i);
  }

  task<std::vector<image_info>> list_images(labels match, call_options o) override {
    eop::image_list l;
    for (const auto& [k, v] : match) l.filters["label"].push_back(k + "=" + v);
    auto r = co_await call(c_, std::move(l), o);
    if (!r) co_return unexpected(r.error());
    std::vector<image_info> out;
    for (const auto& s : *r) {
      if (!has_all(s.labels, match)) continue;
      image_info i;
      i.id = s.id;
      i.tags = s.repo_tags;
      i.name = i.tags.empty() ? s.id : i.tags.front();
      i.labels = s.labels;
      i.size = s.size;
      out.push_back(std::move(i));
    }
    co_return out;
  }

  task<std::vector<named_resource>> list_networks(labels match, std::string name, call_options o) override {
    eop::network_list l;
    for (const auto& [k, v] : match) l.filters["label"].push_back(k + "=" + v);
    if (!name.empty()) l.filters["name"].push_back(name);
    auto r = co_await call(c_, std::move(l), o);
    if (!r) co_return unexpected(r.error());
    std::vector<named_resource> out;
    for (const auto& n : *r) {
      named_resource x{n.id.value_or(""), n.name.value_or(""), n.labels.value_or(labels{}), {}};
      if (!name.empty() && x.name != name) continue;  // the daemon's name filter is a substring match
      if (!has_all(x.labels, match)) continue;
      out.push_back(std::move(x));
    }
    co_return out;
  }

  task<std::string> create_network(std::string name, bool internal, labels l, call_options o) override {
    engine::network_create_body body;
    body.name = name;
    body.driver = "bridge";
    if (internal) body.internal = true;
    body.labels = std::move(l);
    body.check_duplicate = true;
    auto first = eop::network_create{.body = body};
    auto r = co_await call(c_, std::move(first), o);
    if (!r && r.error() == engine::error::field_unsupported) {
      // API >= 1.44 refuses duplicates itself and dropped CheckDuplicate. (The same body,
      // labels included: the first request was moved away.)
      body.check_duplicate.reset();
      auto again = eop::network_create{.body = body};
      r = co_await call(c_, std::move(again), o);
    }
    if (!r) co_return unexpected(r.error());
    co_return r->id;
  }

  task<bool> remove_network(std::string id, call_options o) override {
    auto req17 = eop::network_delete{.id = id};
    auto r = co_await probe(c_, std::move(req17), o, engine::is_not_found);
    if (!r) co_return unexpected(r.error());
    co_return r->has_value();
  }

  task<std::vector<named_resource>> list_volumes(labels match, std::string name, call_options o) override {
    eop::volume_list l;
    for (const auto& [k, v] : match) l.filters["label"].push_back(k + "=" + v);
    if (!name.empty()) l.filters["name"].push_back(name);
    auto r = co_await call(c_, std::move(l), o);
    if (!r) co_return unexpected(r.error());
    std::vector<named_resource> out;
    for (const auto& v : r->volumes.value_or(std::vector<engine::volume>{})) {
      if (!name.empty() && v.name != name) continue;
      if (!has_all(v.labels, match)) continue;
      out.push_back({v.name, v.name, v.labels, v.mountpoint});
    }
    co_return out;
  }

  task<named_resource> create_volume(std::string name, labels l, call_options o) override {
    eop::volume_create c;
    c.body.name = name;
    c.body.labels = l;
    auto r = co_await call(c_, std::move(c), o);
    if (!r) co_return unexpected(r.error());
    co_return named_resource{r->name, r->name, r->labels, r->mountpoint};
  }

  task<bool> remove_volume(std::string name, call_options o) override {
    auto req18 = eop::volume_delete{.name = name, .force = false};
    auto r = co_await probe(c_, std::move(req18), o, engine::is_not_found);
    if (!r) co_return unexpected(r.error());
    co_return r->has_value();
  }

 private:
  mutable engine::client c_;
  std::vector<std::string> runtimes_;
};

}  // namespace

std::shared_ptr<backend> make_docker(engine::client c, client_options o) {
  return std::make_shared<docker_backend>(std::move(c), std::move(o));
}

engine::client* docker_of(backend& b) {
  auto* d = dynamic_cast<docker_backend*>(&b);
  return d ? d->docker() : nullptr;
}

}  // namespace berth::runtime::detail
