// The runtime layer on containerd, through berth's containerd client; containers are
// created and run through berth/kata/containerd.hpp, so the runtime choice and the Kata
// policy apply.
//
// How Docker's model maps here:
// - A container's id is its name (spec.name, else 16 generated hex digits).
// - containerd keeps no logs: start() starts the task with berth's log capture
//   (containerd/logs.hpp) into <log_dir>/<namespace>/<id>.log, as the berth command does.
// - The stop signal lives in a label of the record (stop_signal_label).
// - Image names are normalised as containerd stores them (busybox ->
//   docker.io/library/busybox:latest); an image id is its manifest digest.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <random>

#include <asio/cancellation_state.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "backend.hpp"
#include "berth/containerd/client.hpp"
#include "berth/containerd/error.hpp"
#include "berth/containerd/images.hpp"
#include "berth/containerd/import.hpp"
#include "berth/containerd/logs.hpp"
#include "berth/containerd/manage.hpp"
#include "berth/containerd/ops.hpp"
#include "berth/containerd/process.hpp"
#include "berth/containerd/pull.hpp"
#include "berth/containerd/pull_stream.hpp"
#include "berth/containerd/spec.hpp"
#include "berth/containerd/types.hpp"
#include "berth/kata/containerd.hpp"
#include "berth/runtime/containerd.hpp"

namespace berth::runtime::detail {
namespace {

namespace ctrd = berth::containerd;
namespace cop = berth::containerd::op;

/// Where create() keeps what stop() needs (the grace label is the layer's own key).
constexpr const char* stop_signal_label = "io.berth.runtime.stop-signal";
constexpr const char* stop_grace_label = "io.berth.runtime.stop-grace";

/// containerd's not found; with a bad id: its invalid_argument for an id it cannot hold too.
bool missing(const std::error_code& ec) { return ctrd::is_not_found(ec); }
bool missing_or_bad_id(const std::error_code& ec) { return ctrd::is_not_found(ec) || ctrd::is_invalid_argument(ec); }

// ---- signals --------------------------------------------------------------------------

struct signal_name {
  const char* name;
  int number;
};

constexpr signal_name signal_names[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT},   {"IOT", SIGIOT},       {"BUS", SIGBUS},   {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM},   {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},  {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"POLL", SIGIO},     {"SYS", SIGSYS},
#ifdef SIGSTKFLT
    {"STKFLT", SIGSTKFLT},
#endif
#ifdef SIGPWR
    {"PWR", SIGPWR},
#endif
};

/// The real-time range as the container's C library numbers it (glibc reserves 32 and 33),
/// the numbering Docker uses for SIGRTMIN+n.
constexpr int rt_min = 34;
constexpr int rt_max = 64;

std::optional<int> small_number(std::string_view s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

/// "SIGKILL", "kill", "9", "SIGRTMIN+3", "RTMAX-1": the signal's number on Linux.
std::optional<std::uint32_t> signal_number(std::string_view s) {
  if (auto n = small_number(s)) {
    if (*n >= 1 && *n <= rt_max) return static_cast<std::uint32_t>(*n);
    return std::nullopt;
  }
  std::string u;
  for (char ch : s) u += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  std::string_view n = u;
  if (n.substr(0, 3) == "SIG") n.remove_prefix(3);
  for (const auto& e : signal_names)
    if (n == e.name) return static_cast<std::uint32_t>(e.number);
  auto offset = [](std::string_view rest, char sign) -> std::optional<int> {
    if (rest.empty()) return 0;
    if (rest[0] != sign) return std::nullopt;
    return small_number(rest.substr(1));
  };
  if (n.substr(0, 5) == "RTMIN")
    if (auto k = offset(n.substr(5), '+'); k && *k >= 0 && rt_min + *k <= rt_max)
      return static_cast<std::uint32_t>(rt_min + *k);
  if (n.substr(0, 5) == "RTMAX")
    if (auto k = offset(n.substr(5), '-'); k && *k >= 0 && rt_max - *k >= rt_min)
      return static_cast<std::uint32_t>(rt_max - *k);
  return std::nullopt;
}

// ---- names, labels, filters -----------------------------------------------------------

/// A value quoted for containerd's filter syntax.
std::string filter_value(std::string_view s) {
  std::string q = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') q += '\\';
    q += ch;
  }
  return q + "\"";
}

/// One filter matching every label of match (AND within a filter).
std::string label_filter(const labels& match) {
  std::string f;
  for (const auto& [k, v] : match) f += (f.empty() ? "" : ",") + ("labels." + filter_value(k)) + "==" + filter_value(v);
  return f;
}

/// "sha256:<64 hex>" or the bare 64 hex digits: an image id (a manifest digest here).
std::optional<std::string> as_digest(std::string_view ref) {
  auto hex = ref.substr(0, 7) == "sha256:" ? ref.substr(7) : ref;
  if (hex.size() != 64 || !std::all_of(hex.begin(), hex.end(), [](char ch) {
        return std::isdigit(static_cast<unsigned char>(ch)) || (ch >= 'a' && ch <= 'f');
      }))
    return std::nullopt;
  return "sha256:" + std::string(hex);
}

/// The name containerd stores ref under; pull_errc::bad_reference when it cannot be parsed.
result<std::string> image_name(const std::string& ref, const call_options& o) {
  auto r = ctrd::parse_reference(ref);
  if (!r) {
    say(o, "invalid image reference '" + ref + "'");
    return unexpected(r.error());
  }
  return r->name();
}

image_info image_of(const ctrd::image& i, std::string asked) {
  image_info out;
  out.name = asked.empty() ? i.name : std::move(asked);
  out.id = i.target.digest;
  out.digest = i.target.digest;
  out.tags = {i.name};
  out.labels = i.labels;
  // size stays 0: the record knows only its manifest's size, not its layers'.
  return out;
}

// ---- containers -----------------------------------------------------------------------

container_state state_of(const std::optional<ctrd::process_info>& t) {
  if (!t) return container_state::created;
  switch (t->status) {
    case ctrd::process_status::created: return container_state::created;
    case ctrd::process_status::running: return container_state::running;
    case ctrd::process_status::paused:
    case ctrd::process_status::pausing: return container_state::paused;
    case ctrd::process_status::stopped: return container_state::exited;
    default: return container_state::unknown;
  }
}

container_info info_of(const ctrd::container_view& v) {
  container_info i;
  i.id = v.record.id;
  i.name = v.record.id;
  i.image = v.record.image;
  i.labels = v.record.labels;
  i.runtime = v.record.runtime.name;
  const auto& s = v.settings;
  i.env = s.env;
  i.cmd = s.args;
  i.tty = s.terminal;
  i.privileged = s.privileged;
  i.pid_host = s.host_pid;
  i.hostname = s.hostname;
  for (const auto& m : s.mounts) {
    mount x;
    x.type = m.type == "tmpfs" ? mount::kind::tmpfs : mount::kind::bind;
    if (m.type == "bind") x.source = m.source;
    x.target = m.target;
    x.read_only = m.read_only;
    x.options = m.options;
    i.mounts.push_back(std::move(x));
  }
  i.state = state_of(v.task);
  if (i.state == container_state::exited) i.exit_code = v.task->exit_status;
  if (i.state == container_state::running || i.state == container_state::paused) i.pid = v.task->pid;
  return i;
}

/// The container options of s, its image already resolved to a record name.
result<ctrd::container_options> options_of(const container_spec& s, std::string image, const call_options& o) {
  ctrd::container_options c;
  c.id = s.name;
  c.image = std::move(image);
  // Docker's rules: an entrypoint replaces the image's entrypoint and cmd; a cmd alone
  // follows the image's entrypoint.
  if (s.entrypoint) {
    c.args = *s.entrypoint;
    c.args.insert(c.args.end(), s.cmd.begin(), s.cmd.end());
  } else {
    c.cmd = s.cmd;
  }
  c.env = s.env;
  c.cwd = s.cwd;
  c.user = s.user;
  c.hostname = s.hostname;
  c.terminal = s.tty;
  c.privileged = s.privileged;
  c.init = s.init;
  c.read_only_rootfs = s.read_only_rootfs;
  c.host_pid = s.pid_host;
  for (const auto& m : s.mounts) {
    if (m.type == mount::kind::volume) return unexpected(unsupported(o, engine_kind::containerd, "named volumes"));
    ctrd::mount_spec x;
    x.type = m.type == mount::kind::tmpfs ? "tmpfs" : "bind";
    if (m.type == mount::kind::bind) x.source = m.source;
    x.target = m.target;
    x.read_only = m.read_only;
    x.options = m.options;
    c.mounts.push_back(std::move(x));
  }
  const auto& r = s.resources;
  c.resources.memory_bytes = r.memory_bytes;
  if (r.cpu_shares) c.resources.cpu_shares = static_cast<std::uint64_t>(*r.cpu_shares);
  c.resources.cpu_quota = r.cpu_quota;
  if (r.cpu_period) c.resources.cpu_period = static_cast<std::uint64_t>(*r.cpu_period);
  c.resources.pids_limit = r.pids_limit;
  for (const auto& u : r.ulimits) c.ulimits.push_back({u.name, u.soft, u.hard});
  c.sysctls = s.sysctls;
  c.labels = s.labels;
  // Only start() says where a container's output is captured.
  for (const char* k : {ctrd::log_path_label, ctrd::log_max_size_label, ctrd::log_max_files_label}) c.labels.erase(k);
  if (!s.stop_signal.empty()) {
    if (!signal_number(s.stop_signal)) {
      say(o, "stop_signal: unknown signal " + s.stop_signal);
      return unexpected(make_error_code(errc::invalid_argument));
    }
    c.labels[stop_signal_label] = s.stop_signal;
  }
  if (s.stop_grace) c.labels.emplace(stop_grace_label, std::to_string(s.stop_grace->count()));
  if (!s.snapshotter.empty()) c.snapshotter = s.snapshotter;
  return c;
}

std::string random_id() {
  std::random_device rd;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string id;
  for (int i = 0; i < 16; ++i) id += "0123456789abcdef"[digit(rd)];
  return id;
}

/// The folder of captured logs: the client's, else the berth command's.
std::filesystem::path log_root(const client_options& o) {
  if (!o.log_dir.empty()) return o.log_dir;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x == '/') return std::filesystem::path(x) / "berth/containerd";
  if (const char* h = std::getenv("HOME"); h && *h == '/') return std::filesystem::path(h) / ".local/state/berth/containerd";
  return "/tmp/berth-" + std::to_string(::getuid()) + "/containerd";
}

io::stream_id stream_of(ctrd::output w) {
  return w == ctrd::output::stderr_stream ? io::stream_id::stderr_stream : io::stream_id::stdout_stream;
}

ctrd::output_sink sink_of(const output_callback& cb) {
  if (!cb) return {};
  return [cb](ctrd::output w, std::string_view d) { cb(stream_of(w), d); };
}

/// Docker's log timestamp: RFC 3339, UTC, nanoseconds always written.
std::string rfc3339_nano(ctrd::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ns / 1'000'000'000);
  auto frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char head[32];
  std::strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
  char tail[16];
  std::snprintf(tail, sizeof tail, ".%09lldZ", static_cast<long long>(frac));
  return std::string(head) + tail;
}

pull_progress progress_of(const ctrd::pull_progress& p, const std::string& name, int attempt) {
  pull_progress out;
  switch (p.phase) {
    case ctrd::pull_phase::resolving: out.status = "Resolving"; break;
    case ctrd::pull_phase::waiting: out.status = "Waiting"; break;
    case ctrd::pull_phase::downloading: out.status = "Downloading"; break;
    case ctrd::pull_phase::exists: out.status = "Already exists"; break;
    case ctrd::pull_phase::downloaded: out.status = "Download complete"; break;
    case ctrd::pull_phase::unpacking: out.status = "Extracting"; break;
    case ctrd::pull_phase::done: out.status = "Pull complete"; break;
  }
  // Whole-image phases name the reference: no layer.
  if (p.id != name) out.layer = p.id;
  out.current = p.current;
  out.total = p.total;
  out.attempt = attempt;
  return out;
}

/// A container's captured log as output chunks; with timestamps, each line starts with
/// the time its chunk was written, as Docker's logs --timestamps.
class containerd_logs final : public stream_source, public std::enable_shared_from_this<containerd_logs> {
 public:
  containerd_logs(ctrd::log_reader r, ctrd::client c, bool timestamps)
      : r_(std::move(r)), c_(std::move(c)), timestamps_(timestamps) {}

  // The coroutine holds the source, which may be dropped while a read is in flight.
  task<output_chunk> next() override { return read(shared_from_this()); }
  void close() noexcept override { r_.close(); }
  asio::any_io_executor executor() const override { return c_.get_executor(); }
  berth::execution_host& host() const override { return c_.execution(); }

 private:
  // Room for one timestamp beyond it: a chunk stays within 64 KiB.
  static constexpr std::size_t chunk_cap = 64 * 1024 - 64;

  static task<output_chunk> read(std::shared_ptr<containerd_logs> self) {
    for (;;) {
      if (self->off_ >= self->entry_.data.size()) {
        std::error_code ec;
        auto e = co_await self->r_.async_next(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return unexpected(ec);
        self->entry_ = std::move(e);
        self->off_ = 0;
        if (self->timestamps_) self->stamp_ = rfc3339_nano(self->entry_.time) + " ";
        if (self->entry_.data.empty()) continue;
      }
      auto out = self->take();
      if (!out.data.empty()) co_return out;
    }
  }

  /// The next piece of the current entry, at most chunk_cap bytes (plus a timestamp).
  output_chunk take() {
    output_chunk out;
    out.stream = stream_of(entry_.stream);
    const auto& d = entry_.data;
    if (!timestamps_) {
      out.data = std::move(entry_.data);
      entry_.data.clear();
      off_ = 0;
      return out;
    }
    bool& at_start = at_start_[entry_.stream == ctrd::output::stderr_stream ? 1 : 0];
    while (off_ < d.size() && out.data.size() < chunk_cap) {
      if (at_start) {
        out.data += stamp_;
        at_start = false;
      }
      auto nl = d.find('\n', off_);
      auto end = nl == std::string::npos ? d.size() : nl + 1;
      auto room = out.data.size() < chunk_cap ? chunk_cap - out.data.size() : 0;
      auto n = std::min(end - off_, room);
      if (n == 0) break;
      out.data.append(d, off_, n);
      off_ += n;
      if (off_ == end && nl != std::string::npos) at_start = true;
    }
    return out;
  }

  ctrd::log_reader r_;
  mutable ctrd::client c_;
  bool timestamps_;
  ctrd::log_entry entry_{};
  std::size_t off_ = 0;
  std::string stamp_{};
  bool at_start_[2] = {true, true};
};

class containerd_backend final : public backend {
 public:
  containerd_backend(ctrd::client c, client_options o) : backend(std::move(o)), c_(std::move(c)) {}

  engine_kind kind() const noexcept override { return engine_kind::containerd; }
  runtime::capabilities caps() const override {
    runtime::capabilities k;
    k.save = k.commit = k.logs = true;
    k.host_pid = k.user_names = k.init = k.ulimits = true;
    std::lock_guard<std::mutex> lock(m_);
    k.runtimes = runtimes_;
    return k;
  }
  berth::execution_host& host() const noexcept override { return c_.execution(); }
  asio::any_io_executor executor() const override { return c_.get_executor(); }
  std::string endpoint() const override { return c_.address(); }
  ctrd::client* containerd() { return &c_; }

  task<ping_info> ping(call_options o) override {
    auto req1 = cop::version{};
    auto v = co_await call(c_, std::move(req1), o);
    if (!v) co_return unexpected(v.error());
    std::error_code ec;
    auto inv = co_await kata::async_containerd_runtimes(c_, o, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return unexpected(ec);
    ping_info p;
    p.kind = engine_kind::containerd;
    p.endpoint = endpoint();
    p.version = v->version;
    // What containerd can vouch for: the shims it ships or the legacy runtime. Other v2
    // shims (Kata's) are accepted by name but never listed; create checks them.
    if (inv.shim_v2()) p.runtimes.emplace_back(kata::runc_v2_shim);
    if (inv.linux_v1()) p.runtimes.emplace_back("io.containerd.runtime.v1.linux");
    {
      std::lock_guard<std::mutex> lock(m_);
      runtimes_ = p.runtimes;
    }
    co_return p;
  }

  std::error_code check(const container_spec& s, call_options o, std::vector<std::string>* warnings) const override {
    auto x = options_of(s, s.image, o);
    if (!x) return x.error();
    std::error_code ec;
    auto report = kata::validate(*x, s.runtime, ec, o.diag);
    if (!ec && warnings)
      for (const auto& f : report.warnings) warnings->push_back(f.setting + ": " + f.message);
    return ec;
  }

  // ---- containers ----

  task<std::optional<container_info>> find(std::string id, call_options o) override {
    auto req2 = cop::inspect_container{.id = id};
    auto v = co_await probe(c_, std::move(req2), o, missing_or_bad_id);
    if (!v) co_return unexpected(v.error());
    if (!*v) co_return std::optional<container_info>{};
    co_return std::optional<container_info>(info_of(**v));
  }

  task<container_info> create(container_spec s, call_options o) override {
    auto image = co_await resolve_name(s.image, o);
    if (!image) co_return unexpected(image.error());
    auto x = options_of(s, std::move(*image), o);
    if (!x) co_return unexpected(x.error());
    std::error_code ec;
    auto made = co_await kata::async_create_container(c_, std::move(*x), s.runtime, o,
                                                      asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return unexpected(ec);
    container_info i;
    i.id = made.container.id;
    i.name = made.container.id;
    i.image = made.container.image;
    i.labels = made.container.labels;
    i.runtime = made.container.runtime.name;
    i.state = container_state::created;
    // The policy's warnings are check()'s: the layer reports them once.
    co_return i;
  }

  task<void> start(std::string id, call_options o) override {
    auto req3 = cop::container_get{.id = id};
    auto rec = co_await call(c_, std::move(req3), o);
    if (!rec) co_return unexpected(rec.error());
    cop::start_container sc{.id = id};
    // A container started before keeps its log (start_container reads it from the labels).
    if (!rec->labels.count(ctrd::log_path_label)) {
      auto dir = log_root(opts) / c_.namespace_name();
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) {
        say(o, "cannot create " + dir.string() + ": " + ec.message());
        co_return unexpected(ec);
      }
      sc.log = ctrd::log_options{.path = (dir / (id + ".log")).string()};
    }
    auto r = co_await call(c_, std::move(sc), o);
    if (!r) co_return unexpected(r.error());
    co_return result<void>{};
  }

  task<stop_result> stop(std::string id, std::chrono::seconds grace, call_options o) override {
    auto req4 = cop::container_get{.id = id};
    auto rec = co_await call(c_, std::move(req4), o);
    if (!rec) co_return unexpected(rec.error());
    std::uint32_t sig = SIGTERM;
    if (auto it = rec->labels.find(stop_signal_label); it != rec->labels.end())
      if (auto n = signal_number(it->second)) sig = *n;
    auto req = cop::stop_container{.id = id, .signal = sig, .grace = std::chrono::duration_cast<std::chrono::milliseconds>(grace)};
    auto r = co_await call(c_, std::move(req), o);
    if (!r) co_return unexpected(r.error());
    co_return stop_result{r->was_running, r->killed};
  }

  task<void> kill(std::string id, std::string signal, call_options o) override {
    auto sig = signal_number(signal);
    if (!sig) {
      say(o, "unknown signal " + signal);
      co_return unexpected(make_error_code(errc::invalid_argument));
    }
    auto req5 = cop::task_kill{.container_id = id, .signal = *sig, .all = true};
    auto r = co_await call(c_, std::move(req5), o);
    if (!r) co_return co_await task_failure(id, r.error(), o);
    co_return result<void>{};
  }

  task<void> pause(std::string id, call_options o) override {
    auto req6 = cop::task_pause{.container_id = id};
    auto r = co_await call(c_, std::move(req6), o);
    if (!r) co_return co_await task_failure(id, r.error(), o);
    co_return result<void>{};
  }

  task<void> unpause(std::string id, call_options o) override {
    auto req7 = cop::task_resume{.container_id = id};
    auto r = co_await call(c_, std::move(req7), o);
    if (!r) co_return co_await task_failure(id, r.error(), o);
    co_return result<void>{};
  }

  task<std::int64_t> wait(std::string id, call_options o) override {
    auto req8 = cop::task_wait{.container_id = id};
    auto r = co_await call(c_, std::move(req8), o);
    if (!r) {
      auto f = co_await task_failure(id, r.error(), o);
      co_return unexpected(f.error());
    }
    co_return static_cast<std::int64_t>(r->status);
  }

  task<bool> remove(std::string id, bool force, call_options o) override {
    auto req9 = cop::remove_container{.id = id, .force = force};
    auto r = co_await probe(c_, std::move(req9), o, missing);
    if (!r) co_return unexpected(r.error());
    co_return r->has_value();
  }

  task<std::vector<container_info>> list(labels match, bool running_only, call_options o) override {
    auto req10 = cop::list_containers{.selector = match};
    auto r = co_await call(c_, std::move(req10), o);
    if (!r) co_return unexpected(r.error());
    std::vector<container_info> out;
    for (const auto& v : *r) {
      // The daemon's filter, checked again here: a sweep must never take what lacks a label.
      if (!has_all(v.record.labels, match)) continue;
      auto i = info_of(v);
      if (running_only && i.state != container_state::running && i.state != container_state::paused) continue;
      out.push_back(std::move(i));
    }
    co_return out;
  }

  task<exec_result> exec(op::exec e, call_options o) override {
    ctrd::process_spec p;
    p.args = e.argv;
    p.env = e.env;
    p.cwd = e.cwd;
    p.user = e.user;
    p.terminal = e.tty;
    ctrd::run_options ro;
    if (e.stdin_data) ro.stdin_data = *e.stdin_data;
    ro.with_stdin = e.stdin_data.has_value();
    ro.on_output = sink_of(e.on_output);
    if (!e.on_output) ro.collect = e.collect_limit;
    ro.timeout = e.timeout;
    berth::diagnostics local;
    ro.diag = &local;
    std::error_code ec;
    auto r = co_await c_.async_exec_run(e.id, std::move(p), std::move(ro), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      // A process that cannot start (no such program, not executable) is a result, as
      // dockerd reports it: exit code 126 and the runtime's words.
      const auto& m = local.message;
      if (m.find("OCI runtime exec failed") != std::string::npos || m.find("executable file not found") != std::string::npos)
        co_return exec_result{126, {}, m + "\n", false, false, e.id};
      if (o.diag) *o.diag = local;
      co_return unexpected(ec);
    }
    co_return exec_result{r.timed_out ? -1 : static_cast<std::int64_t>(r.exit_code), std::move(r.stdout_data),
                          std::move(r.stderr_data), r.truncated, r.timed_out, e.id};
  }

  task<exec_result> run(op::run_one_shot r, call_options o) override {
    auto image = co_await resolve_name(r.spec.image, o);
    if (!image) co_return unexpected(image.error());
    auto x = options_of(r.spec, std::move(*image), o);
    if (!x) co_return unexpected(x.error());
    if (x->id.empty()) x->id = random_id();  // named here: the result names it
    const std::string id = x->id;
    ctrd::run_options ro;
    if (r.stdin_data) ro.stdin_data = *r.stdin_data;
    ro.with_stdin = r.stdin_data.has_value() || r.spec.open_stdin;
    ro.on_output = sink_of(r.on_output);
    if (!r.on_output) ro.collect = r.collect_limit;
    ro.timeout = r.timeout;
    ro.remove = !r.keep;
    std::error_code ec;
    auto out = co_await kata::async_run_container(c_, std::move(*x), r.spec.runtime, std::move(ro), o,
                                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return unexpected(ec);
    auto& res = out.result;
    co_return exec_result{res.timed_out ? -1 : static_cast<std::int64_t>(res.exit_code), std::move(res.stdout_data),
                          std::move(res.stderr_data), res.truncated, res.timed_out, id};
  }

  task<log_stream> logs(op::follow_logs l, call_options o) override {
    ctrd::log_read_options ro;
    ro.follow = l.follow;
    ro.tail = l.tail;
    // A container started without capture: pull_errc::no_log_capture, relayed as it is.
    auto req11 = cop::open_logs{.id = l.id, .options = ro};
    auto r = co_await call(c_, std::move(req11), o);
    if (!r) co_return unexpected(r.error());
    co_return log_stream(std::make_shared<containerd_logs>(std::move(*r), c_, l.timestamps));
  }

  task<std::optional<container_info>> find_self(std::string hint, call_options o) override {
    if (hint.empty()) co_return std::optional<container_info>{};
    auto f = co_await find(hint, o);
    if (!f || *f) co_return f;
    auto req12 = cop::list_containers{};
    auto all = co_await call(c_, std::move(req12), o);
    if (!all) co_return unexpected(all.error());
    const ctrd::container_view* hit = nullptr;
    for (const auto& v : *all) {
      if (v.record.id.rfind(hint, 0) != 0 && v.settings.hostname != hint) continue;
      if (hit) co_return std::optional<container_info>{};  // ambiguous
      hit = &v;
    }
    if (!hit) co_return std::optional<container_info>{};
    co_return std::optional<container_info>(info_of(*hit));
  }

  // ---- images ----

  task<std::optional<image_info>> find_image(std::string ref, call_options o) override {
    if (auto d = as_digest(ref)) {
      auto l = co_await images_with_digest(*d, o);
      if (!l) co_return unexpected(l.error());
      if (l->empty()) co_return std::optional<image_info>{};
      co_return std::optional<image_info>(image_of(l->front(), ref));
    }
    auto name = image_name(ref, o);
    if (!name) co_return unexpected(name.error());
    auto req13 = cop::image_get{.name = *name};
    auto r = co_await probe(c_, std::move(req13), o, missing);
    if (!r) co_return unexpected(r.error());
    if (!*r) co_return std::optional<image_info>{};
    co_return std::optional<image_info>(image_of(**r, ref));
  }

  task<image_info> pull(std::string ref, const std::function<void(const pull_progress&)>& cb, int attempt,
                        call_options o) override {
    auto name = image_name(ref, o);
    if (!name) co_return unexpected(name.error());
    auto req14 = cop::pull_image{.reference = *name};
    auto s = co_await call(c_, std::move(req14), o);
    if (!s) co_return unexpected(s.error());
    for (;;) {
      std::error_code ec;
      auto p = co_await s->async_next(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::eof) break;
      if (ec) {
        if (o.diag && !s->diag().message.empty()) *o.diag = s->diag();
        co_return unexpected(ec);
      }
      if (cb) cb(progress_of(p, *name, attempt));
    }
    co_return image_of(s->image(), ref);
  }

  task<std::vector<std::string>> load(std::string path, call_options o) override {
    ctrd::import_options io;
    io.diag = o.diag;
    std::error_code ec;
    auto imgs = co_await c_.async_import_archive(std::move(path), std::move(io),
                                                 asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return unexpected(ec);
    std::vector<std::string> names;
    for (const auto& i : imgs) names.push_back(i.name);
    co_return names;
  }

  task<void> save(std::vector<std::string> refs, std::string path, call_options o) override {
    cop::export_images x;
    for (const auto& ref : refs) {
      auto n = co_await resolve_name(ref, o);
      if (!n) co_return unexpected(n.error());
      x.names.push_back(std::move(*n));
    }
    // Written beside, then renamed: a failed save leaves no partial archive at path.
    const std::string tmp = path + ".partial";
    x.path = tmp;
    auto r = co_await call(c_, std::move(x), o);
    std::error_code ec;
    if (!r) {
      std::filesystem::remove(tmp, ec);
      co_return unexpected(r.error());
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      co_return unexpected(ec);
    }
    co_return result<void>{};
  }

  task<void> tag(std::string source, std::string target, call_options o) override {
    auto from = co_await resolve_name(source, o);
    if (!from) co_return unexpected(from.error());
    auto to = image_name(target, o);
    if (!to) co_return unexpected(to.error());
    auto req15 = cop::tag_image{.source = *from, .target = *to};
    auto r = co_await call(c_, std::move(req15), o);
    if (!r) co_return unexpected(r.error());
    co_return result<void>{};
  }

  task<bool> remove_image(std::string ref, bool force, call_options o) override {
    std::vector<std::string> names;
    if (auto d = as_digest(ref)) {
      auto l = co_await images_with_digest(*d, o);
      if (!l) co_return unexpected(l.error());
      for (const auto& i : *l) names.push_back(i.name);
    } else {
      auto n = image_name(ref, o);
      if (!n) co_return unexpected(n.error());
      names.push_back(std::move(*n));
    }
    // containerd deletes a record whatever uses it; Docker refuses without force.
    if (!force)
      for (const auto& n : names) {
        // (GCC 12 rejects a braced list inside a co_await expression.)
        cop::container_list q;
        q.filters.push_back("image==" + filter_value(n));
        auto users = co_await call(c_, std::move(q), o);
        if (!users) co_return unexpected(users.error());
        for (const auto& c : *users)
          if (c.image == n) {
            say(o, "image " + n + " is used by container " + c.id);
            co_return unexpected(make_error_code(ctrd::errc::failed_precondition));
          }
      }
    bool removed = false;
    for (const auto& n : names) {
      // The library's removal: the unshared snapshots first, each unlinked from its parent.
      auto req16 = cop::remove_image{.name = n};
      auto r = co_await probe(c_, std::move(req16), o, missing);
      if (!r) co_return unexpected(r.error());
      removed = removed || r->has_value();
    }
    co_return removed;
  }

  task<image_info> commit(op::commit c, call_options o) override {
    auto name = image_name(c.ref, o);
    if (!name) co_return unexpected(name.error());
    bool paused = false;
    if (c.pause) {
      auto req17 = cop::task_get{.container_id = c.id};
      auto t = co_await probe(c_, std::move(req17), o, missing);
      if (!t) co_return unexpected(t.error());
      if (*t && (*t)->status == ctrd::process_status::running) {
        auto req18 = cop::task_pause{.container_id = c.id};
        auto p = co_await call(c_, std::move(req18), o);
        if (!p) co_return unexpected(p.error());
        paused = true;
        // Resumed on every path. Once cancelled, the next co_await would throw (Asio's
        // throw_if_cancelled): the resume then runs on its own.
        if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
          resume_detached(c.id);
          co_return unexpected(make_error_code(berth::errc::cancelled));
        }
      }
    }
    auto req19 = cop::commit_container{.id = c.id, .reference = *name, .labels = c.labels};
    auto img = co_await call(c_, std::move(req19), o);
    if (paused) {
      if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
        resume_detached(c.id);
      else {
        auto req20 = cop::task_resume{.container_id = c.id};
        (void)co_await call(c_, std::move(req20), {});
      }
    }
    if (!img) co_return unexpected(img.error());
    co_return image_of(*img, c.ref);
  }

  task<std::vector<image_info>> list_images(labels match, call_options o) override {
    cop::image_list l;
    if (!match.empty()) l.filters = {label_filter(match)};
    auto r = co_await call(c_, std::move(l), o);
    if (!r) co_return unexpected(r.error());
    std::vector<image_info> out;
    for (const auto& i : *r)
      if (has_all(i.labels, match)) out.push_back(image_of(i, i.name));
    co_return out;
  }

 private:
  /// Resumes the task without awaiting it (for paths where a co_await would throw).
  void resume_detached(const std::string& id) {
    c_.async_run(cop::task_resume{.container_id = id}, [](std::error_code, ctrd::empty) {});
  }

  /// A task call failed with ec. A missing task of a container that exists means it is not
  /// running (Docker's conflict), not that the container is missing.
  task<void> task_failure(std::string id, std::error_code ec, call_options o) {
    if (!ctrd::is_not_found(ec)) co_return unexpected(ec);
    auto req21 = cop::container_get{.id = id};
    auto c = co_await probe(c_, std::move(req21), {}, missing);
    if (!c || !*c) co_return unexpected(ec);
    say(o, "container " + id + " is not running");
    co_return unexpected(make_error_code(ctrd::errc::failed_precondition));
  }

  /// The image records whose target is digest.
  task<std::vector<ctrd::image>> images_with_digest(std::string digest, call_options o) {
    cop::image_list q;
    q.filters.push_back("target.digest==" + filter_value(digest));
    auto r = co_await call(c_, std::move(q), o);
    if (!r) co_return unexpected(r.error());
    std::vector<ctrd::image> out;
    for (auto& i : *r)
      if (i.target.digest == digest) out.push_back(std::move(i));
    co_return out;
  }

  /// The record name of ref: an image id resolves to its first record.
  task<std::string> resolve_name(std::string ref, call_options o) {
    auto d = as_digest(ref);
    if (!d) co_return image_name(ref, o);
    auto l = co_await images_with_digest(*d, o);
    if (!l) co_return unexpected(l.error());
    if (l->empty()) {
      say(o, "no such image: " + ref);
      co_return unexpected(make_error_code(ctrd::errc::not_found));
    }
    co_return l->front().name;
  }

  mutable ctrd::client c_;
  mutable std::mutex m_;
  std::vector<std::string> runtimes_;
};

}  // namespace

std::shared_ptr<backend> make_containerd(containerd::client c, client_options o) {
  return std::make_shared<containerd_backend>(std::move(c), std::move(o));
}

containerd::client* containerd_of_backend(backend& b) {
  auto* d = dynamic_cast<containerd_backend*>(&b);
  return d ? d->containerd() : nullptr;
}

}  // namespace berth::runtime::detail

namespace berth::runtime {

client from_containerd(containerd::client c, client_options opts) {
  return client(detail::make_containerd(std::move(c), std::move(opts)));
}

containerd::client* containerd_of(client& rt) noexcept {
  auto b = detail::backend_of(rt);
  return b ? detail::containerd_of_backend(*b) : nullptr;
}

}  // namespace berth::runtime
