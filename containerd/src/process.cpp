// Tasks and execs with FIFO stdio, containers from images, and the run-to-completion
// conveniences.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <random>
#include <vector>

#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include "berth/core/offload.hpp"
#include "berth/io/fd_write.hpp"
#include "image_store.hpp"
#include "manifest.hpp"
#include "spec_json.hpp"
#include "state.hpp"

namespace berth::containerd {
namespace detail {

struct process_state {
  std::shared_ptr<state> s;
  std::string container_id;
  std::string exec_id;
  std::uint32_t pid = 0;
  bool terminal = false;
  std::string dir;
  std::string stdin_path, stdout_path, stderr_path;
  std::unique_ptr<asio::posix::stream_descriptor> in, out, err;
  bool big_pipe_out = false, big_pipe_err = false;  ///< the FIFO got a 1 MiB pipe
  /// An exec's stdin FIFO whose write end berth has not opened yet: the shim opens an
  /// exec's stdin only at Start (before that, opening it fails with ENXIO).
  bool stdin_pending = false;

  void close() noexcept {
    stdin_pending = false;
    for (auto* d : {&in, &out, &err}) {
      if (*d) {
        std::error_code ec;
        (*d)->close(ec);
        d->reset();
      }
    }
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      dir.clear();
    }
  }
  ~process_state() { close(); }
};

namespace {

const auto as_tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

/// Writes all of buf to a FIFO: write_no_sigpipe while it takes bytes, a wait for
/// writability when it is full. A reader that went away gives broken_pipe, never a
/// SIGPIPE in the host program (asio's own descriptor writes would raise one).
asio::awaitable<std::pair<std::error_code, std::size_t>> write_fifo(asio::posix::stream_descriptor& d,
                                                                     asio::const_buffer buf) {
  std::error_code ec;
  d.native_non_blocking(true, ec);
  if (ec) co_return std::pair{ec, std::size_t{0}};
  std::size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = io::write_no_sigpipe(d.native_handle(), static_cast<const char*>(buf.data()) + done,
                                     buf.size() - done);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    int e = errno;
    if (e == EINTR) continue;
    if (e != EAGAIN && e != EWOULDBLOCK) co_return std::pair{std::error_code(e, asio::error::get_system_category()), done};
    auto [wec] = co_await d.async_wait(asio::posix::stream_descriptor::wait_write, as_tuple_awaitable);
    if (wec) co_return std::pair{wec, done};
  }
  co_return std::pair{std::error_code{}, done};
}

constexpr int fifo_pipe_size = 1 << 20;
/// The read buffer of run / exec_run output: one per stream, for the stream's life.
constexpr std::size_t pump_buffer = 256 * 1024;
constexpr std::uint64_t bulk_threshold = 1u << 20;
constexpr auto bulk_pause = std::chrono::milliseconds(2);
constexpr int idle_polls = 8;

std::string random_id(std::string_view prefix) { return std::string(prefix) + random_hex(); }

/// Creates the FIFO directory and the FIFOs, and opens the read ends (before the task is
/// created: Tasks.Create blocks until they are open).
result<std::shared_ptr<process_state>> make_fifos(const std::shared_ptr<state>& s, const std::string& id,
                                                  const std::string& exec_id, const stdio_options& io) {
  auto p = std::make_shared<process_state>();
  p->s = s;
  p->container_id = id;
  p->exec_id = exec_id;
  p->terminal = io.terminal;
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/berth-fifo-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return unexpected(std::error_code(errno, std::system_category()));
  p->dir = tmpl;
  std::string base = p->dir + "/" + (exec_id.empty() ? std::string("init") : exec_id);
  auto mk = [&](const std::string& path) -> std::error_code {
    if (::mkfifo(path.c_str(), 0600) != 0) return {errno, std::system_category()};
    return {};
  };
  auto open_read = [&](const std::string& path, std::unique_ptr<asio::posix::stream_descriptor>& d,
                       bool& big_pipe) -> std::error_code {
    if (auto ec = mk(path)) return ec;
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return {errno, std::system_category()};
    // A 1 MiB pipe instead of 64 KiB: the shim's writes (32 KiB each) rarely find it full,
    // and each read takes up to pump_buffer bytes, so both sides wake up far less often.
    // Best effort (the system's pipe-max-size or the user's pipe quota may refuse it).
    big_pipe = ::fcntl(fd, F_SETPIPE_SZ, fifo_pipe_size) >= fifo_pipe_size;
    d = std::make_unique<asio::posix::stream_descriptor>(s->executor(), fd);
    return {};
  };
  if (io.capture) {
    p->stdout_path = base + "-stdout";
    if (auto ec = open_read(p->stdout_path, p->out, p->big_pipe_out)) return unexpected(ec);
    if (!io.terminal) {
      p->stderr_path = base + "-stderr";
      if (auto ec = open_read(p->stderr_path, p->err, p->big_pipe_err)) return unexpected(ec);
    }
  }
  if (io.stdin_) {
    p->stdin_path = base + "-stdin";
    if (auto ec = mk(p->stdin_path)) return unexpected(ec);
  }
  return p;
}

/// Opens the write end of stdin (after the task or exec exists: the shim holds the read
/// end; opening earlier fails with ENXIO).
std::error_code open_stdin(process_state& p) {
  if (p.stdin_path.empty()) return {};
  int fd = ::open(p.stdin_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return {errno, std::system_category()};
  p.in = std::make_unique<asio::posix::stream_descriptor>(p.s->executor(), fd);
  return {};
}

/// Opens an exec's pending stdin (see process.hpp): once started, through process::start
/// or otherwise. Not started yet (no reader: ENXIO): errc::failed_precondition.
std::error_code ensure_stdin(process_state& p) {
  if (!p.stdin_pending) return {};
  if (auto ec = open_stdin(p)) {
    if (ec == std::errc::no_such_device_or_address) return make_error_code(errc::failed_precondition);
    return ec;
  }
  p.stdin_pending = false;
  return {};
}

asio::awaitable<result<image_config>> image_config_of(std::shared_ptr<state> s, const image& img,
                                                      std::string& manifest_digest) {
  descriptor target = img.target;
  for (int depth = 0; depth < 2; ++depth) {
    auto body = co_await read_blob(s, target.digest, 8 << 20);
    if (!body) co_return unexpected(body.error());
    auto doc = parse_manifest(*body, target.media_type);
    if (!doc) co_return unexpected(doc.error());
    if (doc->index) {
      auto d = select_platform(*doc, host_platform());
      if (!d) co_return unexpected(d.error());
      target = *d;
      continue;
    }
    manifest_digest = target.digest;
    auto cfg = co_await read_blob(s, doc->config.digest, 8 << 20);
    if (!cfg) co_return unexpected(cfg.error());
    co_return parse_image_config(*cfg);
  }
  co_return unexpected(pull_errc::bad_manifest);
}

}  // namespace
}  // namespace detail

// ---- process ----

process::process(std::shared_ptr<detail::process_state> s) : state_(std::move(s)) {}
process::~process() = default;
process::executor_type process::get_executor() const { return state_->s->executor(); }
const std::string& process::container_id() const noexcept { return state_->container_id; }
const std::string& process::exec_id() const noexcept { return state_->exec_id; }
std::uint32_t process::pid() const noexcept { return state_->pid; }
bool process::terminal() const noexcept { return state_->terminal; }
const std::string& process::fifo_dir() const noexcept { return state_->dir; }
void process::close() noexcept {
  if (state_) state_->close();
}

asio::awaitable<result<std::uint32_t>> process::do_start(std::shared_ptr<detail::process_state> s) {
  op::task_start o{s->container_id, s->exec_id};
  call_options opts;
  auto r = co_await detail::execute(s->s, std::move(o), std::move(opts));
  if (!r) co_return r;
  s->pid = *r;
  if (s->stdin_pending) {
    // An exec's stdin exists only now (the shim opens it at Start).
    s->stdin_pending = false;
    if (auto ec = detail::open_stdin(*s)) {
      // Do not leave it running, waiting for input that cannot come.
      op::task_kill kill{s->container_id, s->exec_id, 9, false};
      call_options cleanup;
      (void)co_await detail::execute(s->s, std::move(kill), cleanup);
      co_return unexpected(ec);
    }
  }
  co_return r;
}

asio::awaitable<result<std::size_t>> process::do_read(std::shared_ptr<detail::process_state> s, output which,
                                                      asio::mutable_buffer buf) {
  auto& d = which == output::stdout_stream ? s->out : s->err;
  if (!d) co_return unexpected(which == output::stderr_stream && s->terminal ? berth::errc::unsupported
                                                                              : berth::errc::stream_closed);
  auto [ec, n] = co_await d->async_read_some(buf, detail::as_tuple_awaitable);
  if (ec == asio::error::operation_aborted) co_return unexpected(berth::errc::cancelled);
  if (ec) co_return unexpected(ec);
  co_return n;
}

asio::awaitable<result<std::size_t>> process::do_write(std::shared_ptr<detail::process_state> s,
                                                       asio::const_buffer buf) {
  if (auto ec = detail::ensure_stdin(*s)) co_return unexpected(ec);
  if (!s->in) co_return unexpected(s->stdin_path.empty() ? berth::errc::unsupported : berth::errc::stream_closed);
  auto [ec, n] = co_await detail::write_fifo(*s->in, buf);
  if (ec == asio::error::operation_aborted) co_return unexpected(berth::errc::cancelled);
  if (ec) co_return unexpected(ec);
  co_return n;
}

asio::awaitable<result<void>> process::do_close_stdin(std::shared_ptr<detail::process_state> s) {
  if (s->stdin_path.empty()) co_return unexpected(berth::errc::unsupported);
  // Not started yet: CloseIO would be lost (the shim opens the exec's stdin at Start).
  if (auto ec = detail::ensure_stdin(*s)) co_return unexpected(ec);
  if (s->in) {
    std::error_code ec;
    s->in->close(ec);
    s->in.reset();
  }
  // The shim keeps its own writer open: only CloseIO makes the process see end of input.
  op::task_close_io o{s->container_id, s->exec_id, true};
  call_options opts;
  auto r = co_await detail::execute(s->s, std::move(o), std::move(opts));
  if (!r) co_return unexpected(r.error());
  co_return result<void>{};
}

asio::awaitable<result<exit_status>> process::do_wait(std::shared_ptr<detail::process_state> s) {
  op::task_wait o{s->container_id, s->exec_id};
  call_options opts;
  auto r = co_await detail::execute(s->s, std::move(o), std::move(opts));
  if (r) r->pid = s->pid;
  co_return r;
}

asio::awaitable<result<void>> process::do_kill(std::shared_ptr<detail::process_state> s, std::uint32_t signal,
                                               bool all) {
  op::task_kill o{s->container_id, s->exec_id, signal, all};
  call_options opts;
  auto r = co_await detail::execute(s->s, std::move(o), std::move(opts));
  if (!r) co_return unexpected(r.error());
  co_return result<void>{};
}

asio::awaitable<result<void>> process::do_resize(std::shared_ptr<detail::process_state> s, std::uint32_t w,
                                                 std::uint32_t h) {
  op::task_resize o{s->container_id, s->exec_id, w, h};
  call_options opts;
  auto r = co_await detail::execute(s->s, std::move(o), std::move(opts));
  if (!r) co_return unexpected(r.error());
  co_return result<void>{};
}

asio::awaitable<result<exit_status>> process::do_delete(std::shared_ptr<detail::process_state> s) {
  result<exit_status> r = unexpected(berth::errc::internal);
  call_options opts;
  if (s->exec_id.empty()) {
    op::task_delete o{s->container_id};
    r = co_await detail::execute(s->s, std::move(o), std::move(opts));
  } else {
    op::process_delete o{s->container_id, s->exec_id};
    r = co_await detail::execute(s->s, std::move(o), std::move(opts));
  }
  s->close();
  co_return r;
}

#define BERTH_SYNC(T, expr)                                                     \
  auto r = state_->s->host->run<T>([&](auto h) { expr; });                      \
  return value_or_set(std::move(r), ec)

std::uint32_t process::start(std::error_code& ec) { BERTH_SYNC(std::uint32_t, async_start(std::move(h))); }
std::size_t process::read(output which, asio::mutable_buffer buf, std::error_code& ec) {
  BERTH_SYNC(std::size_t, async_read(which, buf, std::move(h)));
}
std::size_t process::write(asio::const_buffer buf, std::error_code& ec) {
  BERTH_SYNC(std::size_t, async_write(buf, std::move(h)));
}
void process::close_stdin(std::error_code& ec) { BERTH_SYNC(void, async_close_stdin(std::move(h))); }
exit_status process::wait(std::error_code& ec) { BERTH_SYNC(exit_status, async_wait(std::move(h))); }
void process::kill(std::uint32_t signal, std::error_code& ec, bool all) {
  BERTH_SYNC(void, async_kill(signal, all, std::move(h)));
}
void process::resize(std::uint32_t w, std::uint32_t hh, std::error_code& ec) {
  BERTH_SYNC(void, async_resize(w, hh, std::move(h)));
}
exit_status process::delete_(std::error_code& ec) { BERTH_SYNC(exit_status, async_delete(std::move(h))); }
#undef BERTH_SYNC

std::uint32_t process::start() { return or_throw([&](std::error_code& ec) { return start(ec); }); }
std::size_t process::read(output which, asio::mutable_buffer buf) {
  return or_throw([&](std::error_code& ec) { return read(which, buf, ec); });
}
std::size_t process::write(asio::const_buffer buf) {
  return or_throw([&](std::error_code& ec) { return write(buf, ec); });
}
void process::close_stdin() { or_throw([&](std::error_code& ec) { close_stdin(ec); }); }
exit_status process::wait() { return or_throw([&](std::error_code& ec) { return wait(ec); }); }
void process::kill(std::uint32_t signal, bool all) {
  or_throw([&](std::error_code& ec) { kill(signal, ec, all); });
}
void process::resize(std::uint32_t w, std::uint32_t h) {
  or_throw([&](std::error_code& ec) { resize(w, h, ec); });
}
exit_status process::delete_() { return or_throw([&](std::error_code& ec) { return delete_(ec); }); }

// ---- client: tasks and execs ----

asio::awaitable<result<process>> client::do_create_task(std::shared_ptr<detail::state> s, std::string id,
                                                        stdio_options io) {
  // Every argument of a co_await call below is a named object (see state.hpp: GCC 12
  // destroys some class-type temporaries of co_await full-expressions twice).
  call_options opts;
  opts.diag = io.diag;  // each call clears it or fills it: it ends up with the failing one's
  // Tasks.Create does not look the rootfs up itself (the Go client passes it too): the
  // mounts of the container's snapshot.
  op::container_get get{id};
  auto c = co_await detail::execute(s, std::move(get), opts);
  if (!c) co_return unexpected(c.error());
  std::vector<mount> rootfs;
  if (!c->snapshot_key.empty()) {
    op::snapshot_mounts sm{.snapshotter = c->snapshotter.empty() ? std::string("overlayfs") : c->snapshotter,
                           .key = c->snapshot_key};
    auto m = co_await detail::execute(s, std::move(sm), opts);
    if (!m) co_return unexpected(m.error());
    rootfs = std::move(*m);
  }
  auto p = detail::make_fifos(s, id, {}, io);
  if (!p) co_return unexpected(p.error());
  auto& ps = **p;
  op::task_create create{.container_id = id, .rootfs = std::move(rootfs), .stdin_path = ps.stdin_path,
                         .stdout_path = ps.stdout_path, .stderr_path = ps.stderr_path, .terminal = io.terminal};
  auto r = co_await detail::execute(s, std::move(create), opts);
  if (!r) co_return unexpected(r.error());  // ps's destructor removes the FIFOs
  ps.pid = r->pid;
  if (auto ec = detail::open_stdin(ps)) {
    call_options cleanup;  // io.diag keeps what it has
    op::task_delete del{id};
    (void)co_await detail::execute(s, std::move(del), cleanup);
    co_return unexpected(ec);
  }
  co_return process(std::move(*p));
}

asio::awaitable<result<process>> client::do_exec(std::shared_ptr<detail::state> s, std::string id, std::string exec_id,
                                                 process_spec spec, stdio_options io) {
  call_options opts;
  opts.diag = io.diag;
  op::container_get get{id};
  auto c = co_await detail::execute(s, std::move(get), opts);
  if (!c) co_return unexpected(c.error());
  spec.terminal = io.terminal;
  if (!spec.user.empty() && !detail::parse_user(spec.user)) {
    // A user by name: the container's own /etc/passwd (its active snapshot's folders).
    op::snapshot_mounts sm{c->snapshotter.empty() ? std::string("overlayfs") : c->snapshotter, c->snapshot_key};
    auto mounts = co_await detail::execute(s, std::move(sm), opts);
    if (!mounts) co_return unexpected(mounts.error());
    auto lookup = [dirs = detail::rootfs_dirs(*mounts), user = spec.user] {
      std::vector<std::uint32_t> groups;  // an exec keeps the container's groups
      return detail::resolve_user(dirs, user, groups);
    };
    auto resolved = co_await berth::detail::offload(std::move(lookup));
    if (!resolved) co_return unexpected(resolved.error());
    spec.user = *resolved;
  }
  auto pj = detail::make_process(c->spec.value, spec);
  if (!pj) co_return unexpected(pj.error());
  auto p = detail::make_fifos(s, id, exec_id, io);
  if (!p) co_return unexpected(p.error());
  auto& ps = **p;
  op::task_exec ex{.container_id = id, .exec_id = exec_id, .stdin_path = ps.stdin_path,
                   .stdout_path = ps.stdout_path, .stderr_path = ps.stderr_path, .terminal = io.terminal,
                   .spec = {oci_process_type_url, std::move(*pj)}};
  auto r = co_await detail::execute(s, std::move(ex), opts);
  if (!r) co_return unexpected(r.error());  // ps's destructor removes the FIFOs
  // The shim opens an exec's stdin only at Start: berth's end is opened then (do_start,
  // drive), or on first use by write/close_stdin.
  ps.stdin_pending = !ps.stdin_path.empty();
  co_return process(std::move(*p));
}

// ---- client: containers ----

namespace {
/// Snapshot and container record of do_create_container, on a state carrying a lease.
/// containerd's message of a failure in diag (when set).
asio::awaitable<result<container>> create_under_lease(std::shared_ptr<detail::state> s, const container_options& o,
                                                      any_value spec, std::string parent, berth::diagnostics* diag) {
  call_options opts;
  opts.diag = diag;
  op::snapshot_prepare prep{.snapshotter = o.snapshotter, .key = o.id, .parent = parent};
  auto mounts = co_await detail::execute(s, std::move(prep), opts);
  if (!mounts) {
    if (is_not_found(mounts.error())) co_return unexpected(pull_errc::image_not_unpacked);
    co_return unexpected(mounts.error());
  }
  container c;
  c.id = o.id;
  c.labels = o.labels;
  c.image = o.image;
  c.runtime = o.runtime;
  c.spec = std::move(spec);
  c.snapshotter = o.snapshotter;
  c.snapshot_key = o.id;
  op::container_create create{std::move(c)};
  auto r = co_await detail::execute(s, std::move(create), opts);
  if (!r) {
    call_options cleanup;  // diag keeps Containers.Create's message
    op::snapshot_remove rm{.snapshotter = o.snapshotter, .key = o.id};
    (void)co_await detail::execute(s, std::move(rm), cleanup);
  }
  co_return r;
}
}  // namespace

asio::awaitable<result<container>> client::do_create_container(std::shared_ptr<detail::state> s,
                                                               container_options o, berth::diagnostics* diag) {
  if (diag) diag->clear();
  if (o.image.empty()) co_return unexpected(errc::invalid_argument);
  if (o.id.empty()) o.id = detail::random_hex();
  call_options opts;
  opts.diag = diag;
  op::image_get get{o.image};
  auto img = co_await detail::execute(s, std::move(get), opts);
  if (!img) co_return unexpected(img.error());
  std::string manifest_digest;
  auto cfg = co_await detail::image_config_of(s, *img, manifest_digest);
  if (!cfg) co_return unexpected(cfg.error());
  std::string parent = detail::chain_id(cfg->diff_ids, cfg->diff_ids.size());
  if (o.init) {
    // An init process (tini) as PID 1, as Docker's --init: the host's binary, bound in.
    std::string init = detail::find_init(s->init_path);
    if (init.empty()) co_return unexpected(pull_errc::init_not_found);
    if (o.args.empty()) {
      const auto& cmd = o.cmd.empty() ? cfg->cmd : o.cmd;
      o.args = cfg->entrypoint;
      o.args.insert(o.args.end(), cmd.begin(), cmd.end());
      o.cmd.clear();
    }
    o.args.insert(o.args.begin(), {detail::init_target, "--"});
    o.mounts.push_back({.type = "bind", .source = init, .target = detail::init_target, .read_only = true});
  }
  // Until the container record references it, the new active snapshot is garbage to
  // containerd's GC (which any deletion in the namespace may start): prepare and create
  // under a lease (expiring by itself should this client die), deleted afterwards.
  auto expire = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + std::chrono::hours(1));
  char expire_buf[32];
  std::tm expire_tm{};
  ::gmtime_r(&expire, &expire_tm);
  std::strftime(expire_buf, sizeof expire_buf, "%Y-%m-%dT%H:%M:%SZ", &expire_tm);
  op::lease_create lc{.id = detail::random_id("berth-create-"), .labels = {{"containerd.io/gc.expire", expire_buf}}};
  auto ls = co_await detail::execute(s, std::move(lc), opts);
  if (!ls) co_return unexpected(ls.error());
  auto leased = std::make_shared<detail::state>(*s);
  leased->lease = ls->id;
  result<container> r = unexpected(berth::errc::internal);
  // A user (or group) by name: looked up in the image's /etc/passwd and /etc/group.
  std::string user = o.user.empty() ? cfg->user : o.user;
  std::error_code uec;
  if (!user.empty() && !detail::parse_user(user)) {
    auto resolved = co_await detail::resolve_image_user(leased, o.snapshotter, parent, user, o.additional_gids);
    if (resolved)
      o.user = *resolved;
    else
      uec = resolved.error();
  }
  if (uec) {
    r = unexpected(uec);
  } else if (auto spec = detail::make_spec(o, *cfg, s->ns); !spec) {
    r = unexpected(spec.error());
  } else {
    any_value spec_value{oci_spec_type_url, std::move(*spec)};
    r = co_await create_under_lease(leased, o, std::move(spec_value), parent, diag);
  }
  call_options cleanup;
  op::lease_delete ld{.id = ls->id};
  (void)co_await detail::execute(s, std::move(ld), cleanup);
  co_return r;
}

asio::awaitable<result<void>> client::do_remove_container(std::shared_ptr<detail::state> s, std::string id) {
  call_options opts;
  op::task_get tget{id, {}};
  auto t = co_await detail::execute(s, std::move(tget), opts);
  if (t) {
    if (t->status != process_status::stopped) {
      op::task_kill kill{id, {}, 9, true};
      (void)co_await detail::execute(s, std::move(kill), opts);
      call_options wait_opts;
      wait_opts.timeouts.total = std::chrono::seconds(10);
      op::task_wait wait{id, {}};
      (void)co_await detail::execute(s, std::move(wait), wait_opts);
    }
    op::task_delete tdel{id};
    auto d = co_await detail::execute(s, std::move(tdel), opts);
    if (!d && !is_not_found(d.error())) co_return unexpected(d.error());
  } else if (!is_not_found(t.error())) {
    co_return unexpected(t.error());
  }
  op::container_get cget{id};
  auto c = co_await detail::execute(s, std::move(cget), opts);
  if (!c) {
    if (is_not_found(c.error())) co_return result<void>{};
    co_return unexpected(c.error());
  }
  // The snapshot first, then the record (as containerd's Go client does). The other way
  // round, deleting the record may start containerd's GC, which collects the snapshot
  // without unlinking it from its parent (containerd #11908): the image's snapshot can then
  // never be removed, and the namespace never deleted.
  if (!c->snapshot_key.empty()) {
    std::string snapshotter = c->snapshotter.empty() ? std::string("overlayfs") : c->snapshotter;
    op::snapshot_remove rm{.snapshotter = std::move(snapshotter), .key = c->snapshot_key};
    auto r = co_await detail::execute(s, std::move(rm), opts);
    if (!r && !is_not_found(r.error())) co_return unexpected(r.error());
  }
  op::container_delete cdel{id};
  auto d = co_await detail::execute(s, std::move(cdel), opts);
  if (!d && !is_not_found(d.error())) co_return unexpected(d.error());
  co_return result<void>{};
}

namespace {

using namespace asio::experimental::awaitable_operators;

asio::awaitable<void> pump(std::shared_ptr<detail::process_state> p, output which, const output_sink& sink,
                           std::error_code& err) {
  auto& d = which == output::stdout_stream ? p->out : p->err;
  if (!d) co_return;
  std::vector<char> buf(detail::pump_buffer);
  // Bulk output arrives in the shim's 32 KiB writes, and a reader that is faster than the
  // writer wakes up for each one (the descriptor is edge-triggered in epoll whether a read
  // is pending or not): most of its CPU goes into those wake-ups. So once a stream has
  // proved to be bulk (1 MiB so far, then a short read), the FIFO leaves the reactor and is
  // read every bulk_pause instead, while the 1 MiB pipe collects the writes (room for
  // 500 MB/s; a full read goes on at once). When a few polls in a row find nothing, the
  // descriptor goes back to the reactor. Short outputs and the first MiB are not delayed;
  // without the big pipe (F_SETPIPE_SZ refused) nothing changes.
  const bool can_poll = which == output::stdout_stream ? p->big_pipe_out : p->big_pipe_err;
  std::optional<asio::steady_timer> timer;
  std::uint64_t total = 0;
  int raw = -1;  // the FIFO while it is polled (released from d)
  int idle = 0;
  for (;;) {
    if (raw < 0) {
      auto mb = asio::buffer(buf);
      auto [ec, n] = co_await d->async_read_some(mb, detail::as_tuple_awaitable);
      if (n && sink) sink(which, std::string_view(buf.data(), n));
      if (ec == asio::error::eof) co_return;
      if (ec) {
        err = ec;
        co_return;
      }
      total += n;
      if (can_poll && n < buf.size() && total >= detail::bulk_threshold) {
        raw = d->release();
        idle = 0;
      }
      continue;
    }
    if (!timer) timer.emplace(p->s->executor());
    timer->expires_after(detail::bulk_pause);
    auto [tec] = co_await timer->async_wait(detail::as_tuple_awaitable);
    for (;;) {
      ssize_t n = ::read(raw, buf.data(), buf.size());
      if (n > 0) {
        idle = 0;
        if (sink) sink(which, std::string_view(buf.data(), static_cast<std::size_t>(n)));
        if (static_cast<std::size_t>(n) == buf.size()) continue;  // more may be there
        break;
      }
      if (n < 0 && errno == EINTR) continue;
      std::error_code rec;
      if (n < 0 && errno != EAGAIN) rec.assign(errno, std::system_category());
      bool at_end = n == 0 || rec || tec;
      if (at_end || ++idle >= detail::idle_polls) {
        // Back to the reactor (the process state closes it from there).
        std::error_code aec;
        d->assign(raw, aec);
        if (aec) ::close(raw);
        raw = -1;
        total = 0;  // polled again only after another MiB
        if (n == 0) co_return;  // end of output
        if (rec || tec) {
          err = rec ? rec : tec;
          co_return;
        }
      }
      break;
    }
  }
}

asio::awaitable<void> feed(std::shared_ptr<detail::process_state> p, const std::string& data, std::error_code& err) {
  if (p->stdin_path.empty()) co_return;
  if (!data.empty() && p->in) {
    auto cb = asio::buffer(data);
    auto [ec, n] = co_await detail::write_fifo(*p->in, cb);
    (void)n;
    if (ec && ec != asio::error::broken_pipe) err = ec;
  }
  if (p->in) {
    std::error_code ec;
    p->in->close(ec);
    p->in.reset();
  }
  op::task_close_io o{p->container_id, p->exec_id, true};
  call_options opts;
  auto r = co_await detail::execute(p->s, std::move(o), std::move(opts));
  if (!r && !err) err = r.error();
}

/// The host pids of root's process tree among the task's processes (containerd is local:
/// Tasks.ListPids gives host pids), root first; children found through /proc/<pid>/stat.
std::vector<std::uint32_t> process_tree(std::uint32_t root, const std::vector<pid_info>& pids) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> parent_of;  // (pid, ppid)
  for (const auto& p : pids) {
    std::FILE* f = std::fopen(("/proc/" + std::to_string(p.pid) + "/stat").c_str(), "r");
    if (!f) continue;
    char buf[512];
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so from the last ')'.
    const char* close = std::strrchr(buf, ')');
    unsigned ppid = 0;
    char state = 0;
    if (close && std::sscanf(close + 1, " %c %u", &state, &ppid) == 2) parent_of.emplace_back(p.pid, ppid);
  }
  std::vector<std::uint32_t> tree{root};
  for (std::size_t i = 0; i < tree.size(); ++i)
    for (const auto& [pid, ppid] : parent_of)
      if (ppid == tree[i] && std::find(tree.begin(), tree.end(), pid) == tree.end()) tree.push_back(pid);
  return tree;
}

asio::awaitable<void> kill_after(std::shared_ptr<asio::steady_timer> timer, std::shared_ptr<bool> timed_out,
                                 std::shared_ptr<detail::process_state> p) {
  auto [ec] = co_await timer->async_wait(detail::as_tuple_awaitable);
  if (ec) co_return;
  *timed_out = true;
  call_options opts;
  if (!p->exec_id.empty() && p->pid != 0) {
    // An exec: its children too (a shell's pipeline, a daemonised child), not the rest of
    // the container. Snapshot the tree first, then kill it all at once.
    op::task_pids list{p->container_id};
    auto pids = co_await detail::execute(p->s, std::move(list), opts);
    if (pids)
      for (auto pid : process_tree(p->pid, *pids)) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
  op::task_kill o{p->container_id, p->exec_id, 9, p->exec_id.empty()};
  (void)co_await detail::execute(p->s, std::move(o), std::move(opts));
}

/// Starts p, streams its output, feeds its stdin, waits; kills it after r.timeout.
/// Start's or Wait's failure in r.diag.
asio::awaitable<result<run_result>> drive(std::shared_ptr<detail::process_state> p, const run_options& r) {
  call_options opts;
  opts.diag = r.diag;
  op::task_start start{p->container_id, p->exec_id};
  auto started = co_await detail::execute(p->s, std::move(start), opts);
  if (!started) co_return unexpected(started.error());
  p->pid = *started;
  // An exec's stdin: the shim has opened it now. (On failure the caller kills the exec.)
  if (auto ec = detail::ensure_stdin(*p)) co_return unexpected(ec);
  auto timed_out = std::make_shared<bool>(false);
  std::shared_ptr<asio::steady_timer> timer;
  if (r.timeout) {
    timer = std::make_shared<asio::steady_timer>(p->s->executor(), *r.timeout);
    asio::co_spawn(p->s->executor(), kill_after(timer, timed_out, p), asio::detached);
  }
  run_result result;
  output_sink sink = r.on_output;
  if (r.collect) {
    // Keep the first r.collect bytes of each stream, give everything to the caller's sink.
    sink = [&result, cap = *r.collect, user = r.on_output](output which, std::string_view data) {
      auto& kept = which == output::stdout_stream ? result.stdout_data : result.stderr_data;
      std::size_t room = cap > kept.size() ? cap - kept.size() : 0;
      kept.append(data.substr(0, room));
      if (data.size() > room) result.truncated = true;
      if (user) user(which, data);
    };
  }
  std::error_code out_err, err_err, in_err;
  {
    auto out_pump = pump(p, output::stdout_stream, sink, out_err);
    auto err_pump = pump(p, output::stderr_stream, sink, err_err);
    auto in_feed = feed(p, r.stdin_data, in_err);
    auto all = std::move(out_pump) && std::move(err_pump) && std::move(in_feed);
    co_await std::move(all);
  }
  op::task_wait wait{p->container_id, p->exec_id};
  auto w = co_await detail::execute(p->s, std::move(wait), opts);
  if (timer) timer->cancel();
  if (!w) co_return unexpected(w.error());
  result.exit_code = w->status;
  result.exited_at = w->exited_at;
  result.timed_out = *timed_out;
  // A killed process breaks its pipes: what the streams say then is not the run's failure.
  if (!result.timed_out) {
    if (out_err) co_return unexpected(out_err);
    if (err_err) co_return unexpected(err_err);
    if (in_err && in_err != asio::error::broken_pipe) co_return unexpected(in_err);
  }
  co_return result;
}

}  // namespace

asio::awaitable<result<run_result>> client::do_run_container(std::shared_ptr<detail::state> s, container_options o,
                                                             run_options r) {
  if (o.id.empty()) o.id = detail::random_id("berth-");
  std::string id = o.id;
  bool remove = r.remove;
  stdio_options io{.stdin_ = r.with_stdin || !r.stdin_data.empty(), .terminal = o.terminal, .diag = r.diag};
  auto c = co_await do_create_container(s, std::move(o), r.diag);
  if (!c) co_return unexpected(c.error());
  result<run_result> out = unexpected(berth::errc::internal);
  auto p = co_await do_create_task(s, id, io);
  if (!p) {
    out = unexpected(p.error());
  } else {
    auto ps = p->state();
    out = co_await drive(ps, r);
    ps->close();
  }
  // Cleanup on every path: the task (and its FIFOs), then the container and its snapshot
  // (without r.diag, which keeps the failing call's message).
  if (remove) {
    auto rm = co_await do_remove_container(s, id);
    if (!rm && out) out = unexpected(rm.error());
  } else {
    call_options opts;
    op::task_get tget{id, {}};
    auto t = co_await detail::execute(s, std::move(tget), opts);
    if (t && t->status != process_status::stopped) {
      op::task_kill kill{id, {}, 9, true};
      (void)co_await detail::execute(s, std::move(kill), opts);
      op::task_wait wait{id, {}};
      (void)co_await detail::execute(s, std::move(wait), opts);
    }
    if (t) {
      op::task_delete tdel{id};
      (void)co_await detail::execute(s, std::move(tdel), opts);
    }
  }
  co_return out;
}

asio::awaitable<result<run_result>> client::do_exec_run(std::shared_ptr<detail::state> s, std::string id,
                                                        process_spec spec, run_options r) {
  std::string exec_id = detail::random_id("exec-");
  stdio_options io{.stdin_ = r.with_stdin || !r.stdin_data.empty(), .terminal = spec.terminal, .diag = r.diag};
  auto p = co_await do_exec(s, id, exec_id, std::move(spec), io);
  if (!p) co_return unexpected(p.error());
  auto ps = p->state();
  auto out = co_await drive(ps, r);
  call_options opts;
  if (!out) {
    // Not started, failed, or timed out: make sure it is gone before deleting it.
    op::task_kill kill{id, exec_id, 9, false};
    (void)co_await detail::execute(s, std::move(kill), opts);
    call_options wait_opts;
    wait_opts.timeouts.total = std::chrono::seconds(10);
    op::task_wait wait{id, exec_id};
    (void)co_await detail::execute(s, std::move(wait), wait_opts);
  }
  op::process_delete del{id, exec_id};
  auto d = co_await detail::execute(s, std::move(del), opts);
  ps->close();
  if (!d && out && !is_not_found(d.error())) co_return unexpected(d.error());
  co_return out;
}

#define BERTH_SYNC(T, expr)                                \
  auto r = host().run<T>([&](auto h) { expr; });           \
  return value_or_set(std::move(r), ec)

container client::create_container(container_options opts, std::error_code& ec) {
  BERTH_SYNC(container, async_create_container(std::move(opts), std::move(h)));
}
void client::remove_container(std::string id, std::error_code& ec) {
  BERTH_SYNC(void, async_remove_container(std::move(id), std::move(h)));
}
process client::create_task(std::string id, stdio_options io, std::error_code& ec) {
  BERTH_SYNC(process, async_create_task(std::move(id), io, std::move(h)));
}
process client::exec(std::string id, std::string exec_id, process_spec spec, stdio_options io, std::error_code& ec) {
  BERTH_SYNC(process, async_exec(std::move(id), std::move(exec_id), std::move(spec), io, std::move(h)));
}
run_result client::run_container(container_options opts, run_options run, std::error_code& ec) {
  BERTH_SYNC(run_result, async_run_container(std::move(opts), std::move(run), std::move(h)));
}
run_result client::exec_run(std::string id, process_spec spec, run_options run, std::error_code& ec) {
  BERTH_SYNC(run_result, async_exec_run(std::move(id), std::move(spec), std::move(run), std::move(h)));
}
#undef BERTH_SYNC

// The throwing forms: containerd's message in the caller's diagnostics when it gave
// some, else in a local one, and in the berth::error.

container client::create_container(container_options opts) {
  // async_create_container passes no diagnostics: run its body with a local one.
  berth::diagnostics diag;
  auto body = [s = state_, o = std::move(opts), d = &diag]() mutable {
    return do_create_container(s, std::move(o), d);
  };
  auto start = [&](auto h) {
    berth::detail::initiate<container>(get_executor(), std::move(body), std::move(h));
  };
  return or_throw([&](std::error_code& ec) { return value_or_set(host().run<container>(start), ec); },
                  [&] { return diag; });
}
void client::remove_container(std::string id) {
  or_throw([&](std::error_code& ec) { remove_container(std::move(id), ec); });
}
process client::create_task(std::string id, stdio_options io) {
  berth::diagnostics local;
  if (!io.diag) io.diag = &local;
  return or_throw([&](std::error_code& ec) { return create_task(std::move(id), io, ec); },
                  [&] { return *io.diag; });
}
process client::exec(std::string id, std::string exec_id, process_spec spec, stdio_options io) {
  berth::diagnostics local;
  if (!io.diag) io.diag = &local;
  return or_throw(
      [&](std::error_code& ec) { return exec(std::move(id), std::move(exec_id), std::move(spec), io, ec); },
      [&] { return *io.diag; });
}
run_result client::run_container(container_options opts, run_options run) {
  berth::diagnostics local;
  if (!run.diag) run.diag = &local;
  auto* diag = run.diag;
  return or_throw([&](std::error_code& ec) { return run_container(std::move(opts), std::move(run), ec); },
                  [&] { return *diag; });
}
run_result client::exec_run(std::string id, process_spec spec, run_options run) {
  berth::diagnostics local;
  if (!run.diag) run.diag = &local;
  auto* diag = run.diag;
  return or_throw(
      [&](std::error_code& ec) { return exec_run(std::move(id), std::move(spec), std::move(run), ec); },
      [&] { return *diag; });
}

}  // namespace berth::containerd
