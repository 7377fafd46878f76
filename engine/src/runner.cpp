// Build-runner conveniences: run to completion, exec with a timeout, idempotent create,
// stop, force cleanup, sweep.
#include "berth/engine/runner.hpp"

#include <algorithm>
#include <array>
#include <random>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/error.hpp>
#include "berth/core/asio_compat.hpp"
#include <asio/experimental/parallel_group.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "berth/engine/op/containers.hpp"
#include "berth/engine/op/exec.hpp"
#include "berth/io/error.hpp"
#include "state.hpp"

namespace berth::engine {
namespace detail {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t stdin_chunk = 64 * 1024;
/// After a kill, how long the output may take to end before berth abandons the streams.
constexpr milliseconds abandon_after = 10s;
/// Exit-code polls of exec inspect once the output ended (20 ms apart at most).
constexpr int exit_polls = 50;

// GCC 12 destroys a braced aggregate prvalue passed by value to a coroutine twice when the
// call is the operand of co_await: every operation object is built as a named local first.

bool is_cancelled_state(const asio::cancellation_state& cs) {
  return cs.cancelled() != asio::cancellation_type::none;
}

/// Awaits a with the caller's cancellation cut off: for steps whose effect must be known
/// (create) and for cleanup, which must run to its end even after a cancellation.
template <class T>
asio::awaitable<result<T>> shielded(asio::awaitable<result<T>> a) {
  auto ex = co_await asio::this_coro::executor;
  co_return co_await asio::co_spawn(
      ex, std::move(a), asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

asio::awaitable<void> sleep_for(milliseconds d, std::error_code& ec) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

std::string random_hex(std::size_t bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  out.reserve(bytes * 2);
  for (std::size_t i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rd()) & 0xffu;
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

void put_diag(berth::diagnostics* to, const berth::diagnostics& from) {
  if (to) *to = from;
}

void put_message(berth::diagnostics* to, std::string_view msg) {
  if (!to) return;
  to->clear();
  to->set_message(msg);
}

/// Output routed to the caller's sink.
struct sink_state {
  output_sink sink;
  std::string out, err;
  bool truncated = false;

  void put(stream_id id, std::string_view data) {
    if (id != stream_id::stdout_stream && id != stream_id::stderr_stream) return;
    if (sink.callback) {
      sink.callback(id, data);
      return;
    }
    std::string& dst = id == stream_id::stderr_stream ? err : out;
    std::size_t room = sink.collect_limit > dst.size() ? sink.collect_limit - dst.size() : 0;
    if (data.size() > room) {
      truncated = true;
      data = data.substr(0, room);
    }
    dst.append(data);
  }
};

/// What the concurrent parts of a run or exec share (all on the client's strand).
struct session {
  explicit session(asio::any_io_executor ex) : timer(std::move(ex)) {}

  asio::steady_timer timer;           ///< The watchdog's deadline.
  output_stream out;                  ///< Attach or exec output (writable with stdin).
  http::body_stream wait;             ///< run: the wait response.
  sink_state sink;
  std::optional<std::string> stdin_data;
  std::unique_ptr<char[]> buf{new char[read_chunk]};
  std::optional<std::int64_t> exit_code;
  bool output_done = false;  ///< The reader finished: the watchdog stands down.
  bool timed_out = false;    ///< The deadline passed while the process ran; it was killed.
  bool abandoned = false;    ///< The watchdog gave up on the streams after a kill.
  std::error_code error;     ///< The first failure of the reader.
  berth::diagnostics diag;   ///< Its diagnostics.
  berth::diagnostics kill_diag;  ///< How a timed-out process was killed.

  void fail(std::error_code ec, const berth::diagnostics* d = nullptr) {
    if (error) return;
    error = ec;
    if (d && (d->status != 0 || !d->message.empty())) {
      diag = *d;
    } else {
      diag.clear();
      diag.set_message(ec.message());
    }
  }
  void fail(std::error_code ec, std::string_view msg) {
    if (error) return;
    error = ec;
    diag.clear();
    diag.set_message(msg);
  }
};

/// Marks the reader done however it ends, so the watchdog stands down.
struct reader_done {
  session& x;
  ~reader_done() {
    x.output_done = true;
    x.timer.cancel();
  }
};

/// Reads the output to its end into the sink.
asio::awaitable<void> pump_output(std::shared_ptr<session> x) {
  for (;;) {
    if (x->abandoned || !x->out.is_open()) co_return;
    auto [ec, chunk] = co_await x->out.async_read(asio::buffer(x->buf.get(), read_chunk),
                                                  tuple_awaitable);
    if (ec == asio::error::eof) co_return;
    if (ec) {
      if (x->abandoned || is_cancelled(ec)) co_return;
      if (ec == io::error::system_stream) {
        x->fail(error::stream_error, &x->out.diagnostics());
      } else {
        x->fail(ec);
      }
      co_return;
    }
    try {
      x->sink.put(chunk.stream, std::string_view(x->buf.get(), chunk.size));
    } catch (...) {
      x->fail(berth::detail::error_from_exception(std::current_exception()),
              "the output callback threw");
      co_return;
    }
  }
}

/// Writes the stdin data in chunks (each chunk re-arms the write deadline), then half-closes.
asio::awaitable<void> write_stdin(std::shared_ptr<session> x) {
  co_await asio::this_coro::throw_if_cancelled(false);
  if (!x->stdin_data) co_return;
  std::string_view rest = *x->stdin_data;
  while (!rest.empty()) {
    if (!x->out.is_open()) co_return;
    std::size_t n = std::min(rest.size(), stdin_chunk);
    auto [ec, written] = co_await x->out.async_write(asio::buffer(rest.data(), n), tuple_awaitable);
    // A process that exits without reading all of its input is not an error of the run:
    // its exit code tells.
    if (ec) co_return;
    rest.remove_prefix(n);
  }
  if (!x->out.is_open()) co_return;
  auto [ec] = co_await x->out.async_close_stdin(tuple_awaitable);
  (void)ec;
}

/// Runs the three parts of a session side by side and waits for all of them.
asio::awaitable<void> run_parts(std::shared_ptr<session> x, asio::awaitable<void> reader,
                                asio::awaitable<void> watchdog) {
  auto ex = co_await asio::this_coro::executor;
  auto [order, e1, e2, e3] =
      co_await asio::experimental::make_parallel_group(
          asio::co_spawn(ex, std::move(reader), deferred_token),
          asio::co_spawn(ex, write_stdin(x), deferred_token),
          asio::co_spawn(ex, std::move(watchdog), deferred_token))
          .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  (void)order;
  for (const auto& e : {e1, e2, e3})
    if (e) x->fail(berth::detail::error_from_exception(e), "internal error in a runner task");
}

/// Waits for the session's deadline. True when it passed with the process still running
/// (the caller then kills); false when the reader finished first or on cancellation.
asio::awaitable<bool> deadline_passed(std::shared_ptr<session> x, milliseconds timeout) {
  if (x->output_done) co_return false;
  std::error_code ec;
  x->timer.expires_after(timeout);
  co_await x->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec && !x->output_done;
}

/// After a kill: give the output abandon_after to end, then close the streams so the
/// operation cannot hang on a daemon that does not end them.
asio::awaitable<void> abandon_later(std::shared_ptr<session> x) {
  if (x->output_done) co_return;
  std::error_code ec;
  x->timer.expires_after(abandon_after);
  co_await x->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (ec || x->output_done) co_return;
  x->abandoned = true;
  x->out.close();
  x->wait.close();
}

// ---- run_container ---------------------------------------------------------------------

asio::awaitable<void> run_reader(std::shared_ptr<session> x, std::shared_ptr<state> s,
                                 std::string id, call_options opts) {
  co_await asio::this_coro::throw_if_cancelled(false);
  reader_done done{*x};
  co_await pump_output(x);
  if (x->error || x->abandoned) co_return;
  auto cs = co_await asio::this_coro::cancellation_state;
  if (is_cancelled_state(cs)) co_return;
  // The output ended: the wait registered before start now answers with the exit code.
  std::error_code ec;
  std::string body;
  if (x->wait.is_open()) {
    auto [e, b] = co_await x->wait.async_read_all(64 * 1024, tuple_awaitable);
    ec = e;
    body = std::move(b);
  } else {
    ec = make_error_code(errc::stream_closed);
  }
  if (x->abandoned || is_cancelled_state(cs)) co_return;
  berth::diagnostics d;
  opts.diag = &d;
  if (!ec) {
    auto w = decode<container_wait_response>(body, &d);
    if (!w) {
      x->fail(w.error(), &d);
    } else if (w->error && w->error->message && !w->error->message->empty()) {
      x->fail(error::stream_error, "waiting for the container failed: " + *w->error->message);
    } else {
      x->exit_code = w->status_code;  // required: decode failed if it was missing
    }
    co_return;
  }
  // The wait connection failed after the output ended: the container state tells.
  op::container_inspect inspect{.id = id};
  auto info = co_await execute(s, std::move(inspect), opts);
  if (info && info->state && !info->state->running.value_or(true) && info->state->exit_code) {
    x->exit_code = *info->state->exit_code;
    co_return;
  }
  x->fail(ec, "reading the wait answer failed: " + ec.message());
}

asio::awaitable<void> run_watchdog(std::shared_ptr<session> x, std::shared_ptr<state> s,
                                   std::string id, std::optional<milliseconds> timeout,
                                   call_options opts) {
  co_await asio::this_coro::throw_if_cancelled(false);
  if (!timeout) co_return;
  if (!co_await deadline_passed(x, *timeout)) co_return;
  berth::diagnostics d;
  opts.diag = &d;
  op::container_kill kill_op{.id = id, .signal = "KILL"};
  auto k = co_await execute(s, std::move(kill_op), opts);
  if (!k) {
    if (is_cancelled(k.error())) co_return;
    // 409: no longer running, it exited on its own just now: not a timeout.
    if (is_conflict(k.error()) || is_not_found(k.error())) co_return;
  }
  x->timed_out = true;
  co_await abandon_later(x);
}

asio::awaitable<result<empty>> remove_container(std::shared_ptr<state> s, std::string id,
                                                call_options opts) {
  op::container_delete del{.id = id, .volumes = true, .force = true};
  auto r = co_await execute(s, std::move(del), opts);
  if (r || is_not_found(r.error())) co_return empty{};
  // HostConfig.AutoRemove, or another cleaner, got there first.
  if (r.error() == error::conflict && opts.diag &&
      opts.diag->message.find("already in progress") != std::string::npos)
    co_return empty{};
  co_return unexpected(r.error());
}

}  // namespace

asio::awaitable<result<run_result>> execute(std::shared_ptr<state> s, op::run_container op,
                                            call_options opts) {
  co_await asio::this_coro::throw_if_cancelled(false);
  auto cs = co_await asio::this_coro::cancellation_state;
  auto ex = co_await asio::this_coro::executor;
  run_options& ro = op.options;
  berth::diagnostics* user_diag = opts.diag;
  berth::diagnostics d;
  call_options step = opts;
  step.diag = &d;
  // The attach and wait streams last as long as the container runs: no idle deadline (the
  // run's own timeout governs). Their heads come at once, so the head deadline stays.
  call_options stream_opts = step;
  stream_opts.timeouts.idle = 0ms;

  const bool with_stdin = ro.stdin_data.has_value();
  const bool tty = ro.config.tty.value_or(false);
  container_create_body body = std::move(ro.config);
  body.attach_stdout = true;
  body.attach_stderr = true;
  if (with_stdin) {
    body.attach_stdin = true;
    body.open_stdin = true;
    body.stdin_once = true;
  }
  op::container_create create{.name = ro.name, .body = std::move(body)};
  auto created = co_await shielded(execute(s, std::move(create), step));
  if (!created) {
    put_diag(user_diag, d);
    co_return unexpected(created.error());
  }
  if (created->id.empty()) {  // "Id":null
    put_message(user_diag, "the create answer carries no Id");
    co_return unexpected(error::bad_response);
  }
  const std::string id = created->id;

  auto x = std::make_shared<session>(ex);
  x->sink.sink = std::move(ro.output);
  x->stdin_data = std::move(ro.stdin_data);
  std::error_code ec;      // failure of a setup step
  berth::diagnostics ed;   // its diagnostics
  bool started = false;

  if (!is_cancelled_state(cs)) {
    // Attach before start: nothing the container writes is missed.
    op::container_attach attach{.id = id, .stream = true, .stdin_ = with_stdin, .tty = tty};
    auto a = co_await execute(s, std::move(attach), stream_opts);
    if (a) {
      x->out = std::move(*a);
    } else {
      ec = a.error();
      ed = d;
    }
  }
  if (!ec && !is_cancelled_state(cs)) {
    // The daemon sends the head of a wait as soon as the wait is registered, before the
    // exit: registered before start, a fast exit cannot be missed.
    call_spec spec;
    spec.method = "POST";
    spec.path = "/containers/" + segment(id) + "/wait";
    spec.query = "condition=next-exit";
    auto w = co_await open_stream(s, std::move(spec), stream_opts);
    if (w) {
      x->wait = std::move(*w);
    } else {
      ec = w.error();
      ed = d;
    }
  }
  if (!ec && !is_cancelled_state(cs)) {
    op::container_start start{.id = id};
    auto st = co_await execute(s, std::move(start), step);
    if (st) {
      started = true;
    } else {
      ec = st.error();
      ed = d;
    }
  }
  if (started && !is_cancelled_state(cs)) {
    co_await run_parts(x, run_reader(x, s, id, step), run_watchdog(x, s, id, ro.timeout, step));
  }
  const bool cancelled = is_cancelled_state(cs);
  x->out.close();
  x->wait.close();

  const bool ok = started && !ec && !x->error && !x->timed_out && !cancelled && x->exit_code;
  std::error_code cleanup_ec;
  berth::diagnostics cd;
  call_options cleanup_opts = opts;
  cleanup_opts.diag = &cd;
  if (ro.auto_remove) {
    auto r = co_await shielded(remove_container(s, id, cleanup_opts));
    if (!r) cleanup_ec = r.error();
  } else if (!ok) {
    // Do not leave a failed or cancelled run running (a start cut short by a cancellation
    // may have started it).
    op::container_kill kill_op{.id = id, .signal = "KILL"};
    auto k = co_await shielded(execute(s, std::move(kill_op), cleanup_opts));
    (void)k;
  }

  const std::string removed = ro.auto_remove && !cleanup_ec ? " and removed" : "";
  if (x->timed_out) {
    put_message(user_diag, "container " + id + " ran longer than " +
                               std::to_string(ro.timeout ? ro.timeout->count() : 0) +
                               " ms and was killed" + removed);
    co_return unexpected(error::exec_timeout);
  }
  if (cancelled) {
    put_message(user_diag, "run of container " + id + " cancelled" +
                               (started ? "; container killed" : "") + removed);
    co_return unexpected(errc::cancelled);
  }
  if (ec) {
    put_diag(user_diag, ed);
    co_return unexpected(ec);
  }
  if (x->error) {
    put_diag(user_diag, x->diag);
    co_return unexpected(x->error);
  }
  if (cleanup_ec) {
    cd.set_message("container " + id + " exited with " + std::to_string(*x->exit_code) +
                   " but could not be removed: " + cd.message);
    put_diag(user_diag, cd);
    co_return unexpected(cleanup_ec);
  }
  clear(user_diag);
  run_result r;
  r.exit_code = *x->exit_code;
  r.id = id;
  r.stdout_data = std::move(x->sink.out);
  r.stderr_data = std::move(x->sink.err);
  r.output_truncated = x->sink.truncated;
  co_return r;
}

// ---- exec_run --------------------------------------------------------------------------

namespace {

/// SIGKILLs every process of the container whose environment holds the token ($1).
/// /proc/N/environ is NUL-separated: tr makes lines of it for grep -x.
constexpr const char* kill_script =
    "t=\"$1\"; n=0; "
    "for d in /proc/[0-9]*; do "
    "p=\"${d#/proc/}\"; [ \"$p\" = \"$$\" ] && continue; "
    "if { tr '\\000' '\\n' < \"$d/environ\"; } 2>/dev/null | grep -qxF \"$t\"; then "
    "kill -KILL \"$p\" 2>/dev/null && n=$((n+1)); "
    "fi; "
    "done; "
    "[ \"$n\" -gt 0 ]";

/// Polls exec inspect until Running is false: the exit code is final only then.
/// polls < 0: until cancelled. Fails with errc::timeout when polls run out.
asio::awaitable<result<std::int64_t>> exit_code_of(std::shared_ptr<state> s, std::string exec_id,
                                                   int polls, call_options opts,
                                                   const bool* stop = nullptr) {
  milliseconds pause = 2ms;
  for (int i = 0;; ++i) {
    op::exec_inspect inspect{.id = exec_id};
    auto r = co_await execute(s, std::move(inspect), opts);
    if (!r) co_return unexpected(r.error());
    if (!r->running.value_or(false)) {
      if (!r->exit_code) {
        put_message(opts.diag, "exec inspect reports no ExitCode for a finished process");
        co_return unexpected(error::bad_response);
      }
      co_return *r->exit_code;
    }
    if (polls >= 0 && i + 1 >= polls) {
      put_message(opts.diag, "the output of exec " + exec_id +
                                 " ended but the process still runs");
      co_return unexpected(errc::timeout);
    }
    std::error_code ec;
    co_await sleep_for(pause, ec);
    if (ec) co_return unexpected(errc::cancelled);
    if (stop && *stop) co_return unexpected(errc::stream_closed);
    // 2, 4, 8, 16, 20, 20 ... ms; past the bounded polls (a timeout governs) up to 200 ms.
    pause = std::min(pause * 2, polls >= 0 || i < exit_polls ? milliseconds(20) : milliseconds(200));
  }
}

/// Runs the kill script through a second exec. result: its exit code (0: killed some).
asio::awaitable<result<std::int64_t>> run_killer(std::shared_ptr<state> s, std::string container,
                                                 std::string token,
                                                 std::optional<std::string> user,
                                                 call_options opts) {
  container_exec_body body;
  body.cmd = std::vector<std::string>{"sh", "-c", kill_script, "berth-kill", token};
  body.user = std::move(user);
  body.attach_stdout = true;
  body.attach_stderr = true;
  op::container_exec create{.id = container, .body = std::move(body)};
  auto created = co_await execute(s, std::move(create), opts);
  if (!created) co_return unexpected(created.error());
  if (created->id.empty()) co_return unexpected(error::bad_response);
  call_options so = opts;
  so.timeouts.head = 10s;
  so.timeouts.idle = 10s;
  op::exec_start start{.id = created->id};
  auto out = co_await execute(s, std::move(start), so);
  if (!out) co_return unexpected(out.error());
  std::array<char, 4096> buf;
  for (;;) {
    auto [ec, chunk] = co_await out->async_read(asio::buffer(buf), tuple_awaitable);
    if (ec == asio::error::eof) break;
    if (ec) co_return unexpected(ec);
  }
  out->close();
  co_return co_await exit_code_of(s, created->id, exit_polls, opts);
}

struct exec_target {
  std::string container;
  std::string exec_id;
  std::string token;  ///< BERTH_EXEC_TOKEN=...
  std::optional<std::string> user;
  bool fallback = true;
};

/// Kills the exec's processes if it still runs. result: whether it was still running.
/// How it went is written to diag.
asio::awaitable<result<bool>> kill_exec(std::shared_ptr<state> s, exec_target t,
                                        call_options opts, berth::diagnostics& how) {
  op::exec_inspect inspect{.id = t.exec_id};
  auto insp = co_await execute(s, inspect, opts);
  if (insp && !insp->running.value_or(false)) co_return false;
  auto k = co_await run_killer(s, t.container, t.token, t.user, opts);
  if (k && *k == 0) {
    how.clear();
    how.set_message("killed the processes of exec " + t.exec_id + " in container " + t.container);
    co_return true;
  }
  std::string why = k ? "the kill exec found no process" : "the kill exec failed: " + k.error().message();
  auto again = co_await execute(s, inspect, opts);
  // It ended on its own meanwhile: not a timeout.
  if (again && !again->running.value_or(false)) co_return false;
  if (!t.fallback) {
    how.clear();
    how.set_message("could not kill exec " + t.exec_id + " (" + why + "); it may still run");
    co_return true;
  }
  op::container_kill kill_op{.id = t.container, .signal = "KILL"};
  auto ck = co_await execute(s, std::move(kill_op), opts);
  how.clear();
  how.set_message(ck ? "killed container " + t.container + " to end exec " + t.exec_id + " (" +
                           why + ")"
                     : "could not kill exec " + t.exec_id + " nor its container: " +
                           ck.error().message());
  co_return true;
}

asio::awaitable<void> exec_reader(std::shared_ptr<session> x, std::shared_ptr<state> s,
                                  std::string exec_id, bool has_timeout, call_options opts) {
  co_await asio::this_coro::throw_if_cancelled(false);
  reader_done done{*x};
  co_await pump_output(x);
  if (x->error || x->abandoned) co_return;
  auto cs = co_await asio::this_coro::cancellation_state;
  if (is_cancelled_state(cs)) co_return;
  berth::diagnostics d;
  opts.diag = &d;
  // With a timeout, a process that closed its output but runs on is the watchdog's.
  auto code = co_await exit_code_of(s, exec_id, has_timeout ? -1 : exit_polls, opts, &x->abandoned);
  if (code) {
    x->exit_code = *code;
  } else if (!x->abandoned && !is_cancelled_state(cs)) {
    x->fail(code.error(), &d);
  }
}

asio::awaitable<void> exec_watchdog(std::shared_ptr<session> x, std::shared_ptr<state> s,
                                    exec_target t, std::optional<milliseconds> timeout,
                                    call_options opts) {
  co_await asio::this_coro::throw_if_cancelled(false);
  if (!timeout) co_return;
  if (!co_await deadline_passed(x, *timeout)) co_return;
  berth::diagnostics d;
  opts.diag = &d;
  berth::diagnostics how;
  auto k = co_await kill_exec(s, t, opts, how);
  if (!k || !*k) co_return;
  x->timed_out = true;
  x->kill_diag = how;
  co_await abandon_later(x);
}

}  // namespace

asio::awaitable<result<exec_result>> execute(std::shared_ptr<state> s, op::exec_run op,
                                             call_options opts) {
  co_await asio::this_coro::throw_if_cancelled(false);
  auto cs = co_await asio::this_coro::cancellation_state;
  auto ex = co_await asio::this_coro::executor;
  exec_options& eo = op.options;
  berth::diagnostics* user_diag = opts.diag;
  berth::diagnostics d;
  call_options step = opts;
  step.diag = &d;

  if (eo.cmd.empty()) {
    put_message(user_diag, "exec_options::cmd is empty");
    co_return unexpected(errc::invalid_argument);
  }
  const bool with_stdin = eo.stdin_data.has_value();
  exec_target t;
  t.container = op.id;
  t.token = "BERTH_EXEC_TOKEN=" + random_hex(16);
  t.user = eo.user;
  t.fallback = eo.kill_container_fallback;

  container_exec_body body;
  body.cmd = eo.cmd;
  body.env = eo.env;
  body.env->push_back(t.token);
  body.working_dir = eo.working_dir;
  body.user = eo.user;
  body.tty = eo.tty;
  body.privileged = eo.privileged;
  body.attach_stdout = true;
  body.attach_stderr = true;
  if (with_stdin) body.attach_stdin = true;
  op::container_exec create{.id = op.id, .body = std::move(body)};
  auto created = co_await shielded(execute(s, std::move(create), step));
  if (!created) {
    put_diag(user_diag, d);
    co_return unexpected(created.error());
  }
  if (created->id.empty()) {  // "Id":null
    put_message(user_diag, "the exec create answer carries no Id");
    co_return unexpected(error::bad_response);
  }
  t.exec_id = created->id;

  auto x = std::make_shared<session>(ex);
  x->sink.sink = std::move(eo.output);
  x->stdin_data = std::move(eo.stdin_data);
  std::error_code ec;
  berth::diagnostics ed;
  bool started = false;
  if (!is_cancelled_state(cs)) {
    call_options so = step;
    so.timeouts.idle = 0ms;  // the exec's timeout governs
    op::exec_start start{.id = t.exec_id, .tty = eo.tty, .stdin_ = with_stdin};
    auto out = co_await execute(s, std::move(start), so);
    if (out) {
      x->out = std::move(*out);
      started = true;
    } else {
      ec = out.error();
      ed = d;
    }
  }
  if (started && !is_cancelled_state(cs)) {
    co_await run_parts(x, exec_reader(x, s, t.exec_id, eo.timeout.has_value(), step),
                       exec_watchdog(x, s, t, eo.timeout, step));
  }
  const bool cancelled = is_cancelled_state(cs);
  x->out.close();

  const bool ok = started && !ec && !x->error && !x->timed_out && !cancelled && x->exit_code;
  if (!ok && !x->timed_out) {
    // Do not leave a failed or cancelled exec running (a start cut short by a
    // cancellation may have started it): kill_exec looks first.
    berth::diagnostics cd, how;
    call_options cleanup_opts = opts;
    cleanup_opts.diag = &cd;
    auto k = co_await shielded(kill_exec(s, t, cleanup_opts, how));
    (void)k;
  }

  if (x->timed_out) {
    // A result: the output so far is kept; how the process was killed is in diag.
    berth::diagnostics out_diag = x->kill_diag;
    out_diag.set_message("exec ran longer than " +
                         std::to_string(eo.timeout ? eo.timeout->count() : 0) + " ms; " +
                         out_diag.message);
    put_diag(user_diag, out_diag);
    exec_result r;
    r.exit_code = -1;
    r.timed_out = true;
    r.stdout_data = std::move(x->sink.out);
    r.stderr_data = std::move(x->sink.err);
    r.output_truncated = x->sink.truncated;
    co_return r;
  }
  if (cancelled) {
    put_message(user_diag, "exec " + t.exec_id + " cancelled; its processes were killed if it ran");
    co_return unexpected(errc::cancelled);
  }
  if (ec) {
    put_diag(user_diag, ed);
    co_return unexpected(ec);
  }
  if (x->error) {
    put_diag(user_diag, x->diag);
    co_return unexpected(x->error);
  }
  clear(user_diag);
  exec_result r;
  r.exit_code = *x->exit_code;
  r.stdout_data = std::move(x->sink.out);
  r.stderr_data = std::move(x->sink.err);
  r.output_truncated = x->sink.truncated;
  co_return r;
}

// ---- ensure_container ------------------------------------------------------------------

namespace {

std::string show(const std::optional<std::vector<std::string>>& v) {
  if (!v) return "unset";
  std::string s = "[";
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (i) s += ", ";
    s += '"' + (*v)[i] + '"';
  }
  return s + "]";
}

std::string show(const std::optional<std::string>& v) { return v ? '"' + *v + '"' : "unset"; }

bool same_list(const std::optional<std::vector<std::string>>& want,
               const std::optional<std::vector<std::string>>& have) {
  // An empty list and none are the same to the daemon (e.g. Entrypoint [] clears it).
  bool want_empty = !want || want->empty();
  bool have_empty = !have || have->empty();
  if (want_empty || have_empty) return want_empty == have_empty;
  return *want == *have;
}

std::string strip_slash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

/// The first field the caller set that the existing container does not match, described.
std::optional<std::string> first_difference(const container_create_body& want,
                                            const container_inspect_response& have) {
  const container_config cfg = have.config.value_or(container_config{});
  if (want.image && cfg.image != want.image && have.image != want.image)
    return "Image: has " + show(cfg.image) + ", wanted " + show(want.image);
  if (want.cmd && !same_list(want.cmd, cfg.cmd))
    return "Cmd: has " + show(cfg.cmd) + ", wanted " + show(want.cmd);
  if (want.entrypoint && !same_list(want.entrypoint, cfg.entrypoint))
    return "Entrypoint: has " + show(cfg.entrypoint) + ", wanted " + show(want.entrypoint);
  if (want.env) {
    for (const auto& e : *want.env) {
      const auto& env = cfg.env.value_or(std::vector<std::string>{});
      if (std::find(env.begin(), env.end(), e) == env.end())
        return "Env: \"" + e + "\" is not in the container's environment";
    }
  }
  if (want.labels) {
    const auto& labels = cfg.labels.value_or(std::map<std::string, std::string>{});
    for (const auto& [k, v] : *want.labels) {
      auto it = labels.find(k);
      if (it == labels.end()) return "Labels: \"" + k + "\" is not set on the container";
      if (it->second != v)
        return "Labels: \"" + k + "\" is \"" + it->second + "\", wanted \"" + v + "\"";
    }
  }
  if (want.working_dir &&
      strip_slash(cfg.working_dir.value_or("")) != strip_slash(*want.working_dir))
    return "WorkingDir: has " + show(cfg.working_dir) + ", wanted " + show(want.working_dir);
  if (want.user && cfg.user.value_or("") != *want.user)
    return "User: has " + show(cfg.user) + ", wanted " + show(want.user);
  if (want.tty && cfg.tty.value_or(false) != *want.tty)
    return std::string("Tty: has ") + (cfg.tty.value_or(false) ? "true" : "false") + ", wanted " +
           (*want.tty ? "true" : "false");
  return std::nullopt;
}

}  // namespace

asio::awaitable<result<ensured_container>> execute(std::shared_ptr<state> s,
                                                   op::ensure_container op, call_options opts) {
  berth::diagnostics* user_diag = opts.diag;
  berth::diagnostics d;
  call_options step = opts;
  step.diag = &d;
  if (op.name.empty()) {
    put_message(user_diag, "ensure_container needs a name");
    co_return unexpected(errc::invalid_argument);
  }
  // A lost create race answers 409: look again. The daemon reserves the name before the
  // winner's container can be inspected, so a 409 is followed by a short pause (20 ms,
  // doubling, 640 ms at most: about 3 s in all) before looking again.
  milliseconds pause = 20ms;
  for (int round = 0; round < 8; ++round) {
    if (round > 0) {
      std::error_code ec;
      co_await sleep_for(pause, ec);
      if (ec) {
        put_message(user_diag, "cancelled");
        co_return unexpected(errc::cancelled);
      }
      pause = std::min(pause * 2, milliseconds(640));
    }
    op::container_inspect inspect{.id = op.name};
    auto info = co_await execute(s, std::move(inspect), step);
    // Inspect also resolves id prefixes: only a container of that very name counts.
    if (info && info->name && *info->name == "/" + op.name) {
      if (!info->id) {
        put_message(user_diag, "the inspect answer carries no Id");
        co_return unexpected(error::bad_response);
      }
      if (auto diff = first_difference(op.config, *info)) {
        if (user_diag) {
          user_diag->clear();
          user_diag->set_message("container \"" + op.name + "\" (" + *info->id +
                                 ") exists with a different " + *diff);
        }
        co_return unexpected(error::name_in_use);
      }
      clear(user_diag);
      co_return ensured_container{.id = *info->id, .created = false};
    }
    if (!info && !is_not_found(info.error())) {
      put_diag(user_diag, d);
      co_return unexpected(info.error());
    }
    op::container_create create{.name = op.name, .body = op.config};
    auto created = co_await execute(s, std::move(create), step);
    if (created) {
      if (created->id.empty()) {  // "Id":null
        put_message(user_diag, "the create answer carries no Id");
        co_return unexpected(error::bad_response);
      }
      clear(user_diag);
      co_return ensured_container{.id = created->id, .created = true};
    }
    if (!is_conflict(created.error())) {
      put_diag(user_diag, d);
      co_return unexpected(created.error());
    }
  }
  put_message(user_diag, "container \"" + op.name + "\" kept appearing and disappearing");
  co_return unexpected(error::conflict);
}

// ---- stop_container --------------------------------------------------------------------

asio::awaitable<result<stop_result>> execute(std::shared_ptr<state> s, op::stop_container op,
                                             call_options opts) {
  berth::diagnostics* user_diag = opts.diag;
  berth::diagnostics d;
  call_options step = opts;
  step.diag = &d;
  auto grace = std::max(op.grace, std::chrono::seconds(0));
  auto margin = std::max(op.margin, milliseconds(0));
  call_options stop_opts = step;
  // The daemon answers once the container stopped: after the grace period at most, plus
  // however long its own kill takes. Past grace + margin berth stops waiting and kills.
  stop_opts.timeouts.head = std::chrono::duration_cast<milliseconds>(grace) + margin;
  stop_opts.timeouts.total = stop_opts.timeouts.head;
  op::container_stop stop{.id = op.id, .timeout = grace.count()};
  auto r = co_await execute(s, std::move(stop), stop_opts);
  if (r) {
    clear(user_diag);
    co_return stop_result{};
  }
  if (is_not_modified(r.error())) {
    clear(user_diag);
    co_return stop_result{.already_stopped = true};
  }
  if (is_not_found(r.error()) || is_cancelled(r.error())) {
    put_diag(user_diag, d);
    co_return unexpected(r.error());
  }
  // The stop did not confirm in time, or failed: make sure.
  op::container_inspect inspect{.id = op.id};
  auto info = co_await execute(s, std::move(inspect), step);
  if (!info) {
    put_diag(user_diag, d);
    co_return unexpected(info.error());
  }
  if (info->state && !info->state->running.value_or(false)) {
    clear(user_diag);
    co_return stop_result{};
  }
  op::container_kill kill_op{.id = op.id, .signal = "KILL"};
  auto k = co_await execute(s, std::move(kill_op), step);
  if (!k && !is_conflict(k.error())) {
    put_diag(user_diag, d);
    co_return unexpected(k.error());
  }
  call_options wait_opts = step;
  wait_opts.timeouts.head = std::max(margin, milliseconds(1));
  op::container_wait wait_op{.id = op.id, .condition = "not-running"};
  auto w = co_await execute(s, std::move(wait_op), wait_opts);
  if (!w && !is_not_found(w.error())) {
    put_diag(user_diag, d);
    co_return unexpected(w.error());
  }
  clear(user_diag);
  co_return stop_result{.killed = true};
}

// ---- force_cleanup ---------------------------------------------------------------------

asio::awaitable<result<bool>> execute(std::shared_ptr<state> s, op::force_cleanup op,
                                      call_options opts) {
  berth::diagnostics* user_diag = opts.diag;
  berth::diagnostics d;
  opts.diag = &d;
  op::container_delete del{.id = op.id, .volumes = true, .force = true};
  auto r = co_await execute(s, std::move(del), opts);
  if (r) {
    clear(user_diag);
    co_return true;
  }
  if (is_not_found(r.error()) ||
      (r.error() == error::conflict && d.message.find("already in progress") != std::string::npos)) {
    clear(user_diag);
    co_return false;
  }
  put_diag(user_diag, d);
  co_return unexpected(r.error());
}

// ---- sweep -----------------------------------------------------------------------------

asio::awaitable<result<std::vector<std::string>>> execute(std::shared_ptr<state> s,
                                                          op::sweep_containers op,
                                                          call_options opts) {
  berth::diagnostics* user_diag = opts.diag;
  berth::diagnostics d;
  call_options step = opts;
  step.diag = &d;
  if (op.labels.empty()) {
    put_message(user_diag, "sweep needs at least one label: it would remove every container");
    co_return unexpected(errc::invalid_argument);
  }
  filters f;
  for (const auto& [k, v] : op.labels) f["label"].push_back(k + "=" + v);
  op::container_list list_op{.all = true, .filters = std::move(f)};
  auto list = co_await execute(s, std::move(list_op), step);
  if (!list) {
    put_diag(user_diag, d);
    co_return unexpected(list.error());
  }
  std::vector<std::string> removed;
  std::error_code first;
  berth::diagnostics first_diag;
  for (const auto& c : *list) {
    if (!c.id) continue;
    // The daemon filtered already; never trust a filter with a removal.
    const auto& labels = c.labels.value_or(std::map<std::string, std::string>{});
    bool all = std::all_of(op.labels.begin(), op.labels.end(), [&](const auto& kv) {
      auto it = labels.find(kv.first);
      return it != labels.end() && it->second == kv.second;
    });
    if (!all) continue;
    op::force_cleanup cleanup{.id = *c.id};
    auto r = co_await execute(s, std::move(cleanup), step);
    if (!r) {
      if (is_cancelled(r.error())) {
        put_diag(user_diag, d);
        co_return unexpected(r.error());
      }
      if (!first) {
        first = r.error();
        first_diag = d;
        first_diag.set_message("removing " + *c.id + ": " + d.message);
      }
      continue;
    }
    if (*r) removed.push_back(*c.id);
  }
  if (first) {
    put_diag(user_diag, first_diag);
    co_return unexpected(first);
  }
  clear(user_diag);
  co_return removed;
}

}  // namespace detail

// ---- sync forms ------------------------------------------------------------------------

run_result run_container(client& c, run_options options, std::error_code& ec, call_options opts) {
  return c.run(op::run_container{std::move(options)}, ec, opts);
}
run_result run_container(client& c, run_options options, call_options opts) {
  return c.run(op::run_container{std::move(options)}, opts);
}

exec_result exec_run(client& c, std::string id, exec_options options, std::error_code& ec,
                     call_options opts) {
  return c.run(op::exec_run{std::move(id), std::move(options)}, ec, opts);
}
exec_result exec_run(client& c, std::string id, exec_options options, call_options opts) {
  return c.run(op::exec_run{std::move(id), std::move(options)}, opts);
}

ensured_container ensure_container(client& c, std::string name, container_create_body config,
                                   std::error_code& ec, call_options opts) {
  return c.run(op::ensure_container{std::move(name), std::move(config)}, ec, opts);
}
ensured_container ensure_container(client& c, std::string name, container_create_body config,
                                   call_options opts) {
  return c.run(op::ensure_container{std::move(name), std::move(config)}, opts);
}

stop_result stop_container(client& c, std::string id, std::chrono::seconds grace,
                           std::error_code& ec, call_options opts) {
  return c.run(op::stop_container{.id = std::move(id), .grace = grace}, ec, opts);
}
stop_result stop_container(client& c, std::string id, std::chrono::seconds grace,
                           call_options opts) {
  return c.run(op::stop_container{.id = std::move(id), .grace = grace}, opts);
}

bool force_cleanup(client& c, std::string id, std::error_code& ec, call_options opts) {
  return c.run(op::force_cleanup{std::move(id)}, ec, opts);
}
bool force_cleanup(client& c, std::string id, call_options opts) {
  return c.run(op::force_cleanup{std::move(id)}, opts);
}

std::vector<std::string> sweep(client& c, std::map<std::string, std::string> labels,
                               std::error_code& ec, call_options opts) {
  return c.run(op::sweep_containers{std::move(labels)}, ec, opts);
}
std::vector<std::string> sweep(client& c, std::map<std::string, std::string> labels,
                               call_options opts) {
  return c.run(op::sweep_containers{std::move(labels)}, opts);
}

}  // namespace berth::engine
