// Build-runner conveniences over the Docker Engine API: run a container to completion,
// run a command in a container with a timeout, create a container idempotently by name,
// stop, clean up and sweep containers.
//
// Each is an operation in berth::engine::op, run like any other through engine::client,
// and offered three ways as free functions:
//
//   engine::run_options o;
//   o.config.image = "alpine:3.20";
//   o.config.cmd = std::vector<std::string>{"sh", "-c", "make -j8"};
//   o.timeout = std::chrono::minutes(30);
//   auto r = engine::run_container(docker, o);                 // throws berth::error
//   auto r2 = engine::run_container(docker, o, ec);            // error_code
//   engine::async_run_container(docker, o, token);             // completion token
//
// Cancellation (every async form): terminal cancellation through the handler's slot stops
// the operation with berth::errc::cancelled after the cleanup it owes has been done: a
// cancelled run's container is killed (and removed with auto_remove), a cancelled exec's
// processes are killed. Cleanup requests themselves are not cancellable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <asio/awaitable.hpp>

#include "berth/core/call_options.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/engine/client.hpp"
#include "berth/engine/models.hpp"
#include "berth/engine/streams.hpp"

namespace berth::engine {

namespace detail {
struct state;
}

/// Where a process's output goes.
///
/// With `callback` set, every piece of output is passed to it as it arrives, tagged with
/// its stream (with a TTY everything is stdout), and nothing is collected. The callback
/// runs on the client's executor: it must not block and must not call the client's sync
/// forms. An exception it throws stops the operation (the cleanup still runs).
///
/// Without a callback, output is collected into the result's stdout_data and stderr_data,
/// at most `collect_limit` bytes per stream; output beyond it is read and discarded (so
/// the process never blocks on a full pipe) and the result's output_truncated is set.
struct BERTH_API output_sink {
  std::function<void(stream_id, std::string_view)> callback{};
  std::size_t collect_limit = 16u << 20;
};

/// What run_container runs.
struct BERTH_API run_options {
  /// Image, Cmd, Env, labels, HostConfig... as for ContainerCreate. The Attach* flags
  /// (and OpenStdin/StdinOnce when stdin_data is set) are set by berth.
  container_create_body config{};
  /// The container's name; a random one when unset.
  std::optional<std::string> name{};
  /// Remove the container (force, with its anonymous volumes) once its exit code has been
  /// collected, and on every failure, cancellation and timeout path. When false the
  /// container is left stopped (a failed or cancelled run kills it first).
  bool auto_remove = true;
  /// Kill the container when it runs longer than this, measured from its start, and fail
  /// with engine::error::exec_timeout.
  std::optional<std::chrono::milliseconds> timeout{};
  /// Where the output goes.
  output_sink output{};
  /// Bytes sent to the container's stdin, which is then half-closed (end of input).
  std::optional<std::string> stdin_data{};
};

/// What run_container reports. A non-zero exit code is a result, not an error.
struct BERTH_API run_result {
  std::int64_t exit_code = 0;
  std::string id{};            ///< The container (already removed when auto_remove).
  std::string stdout_data{};   ///< Collected output (empty with a callback sink).
  std::string stderr_data{};
  bool output_truncated = false;  ///< Collected output hit output_sink::collect_limit.
};

/// What exec_run runs in a running container.
struct BERTH_API exec_options {
  std::vector<std::string> cmd{};
  std::vector<std::string> env{};           ///< "KEY=value" entries added to the container's.
  std::optional<std::string> working_dir{};
  std::optional<std::string> user{};         ///< "user", "uid", "user:group" or "uid:gid".
  bool tty = false;
  bool privileged = false;
  /// Bytes sent to the process's stdin, which is then half-closed.
  std::optional<std::string> stdin_data{};
  /// Kill the process when it runs longer than this; the result then says timed_out and
  /// keeps the output so far (it is not an error). Docker has no exec kill, so berth marks every exec
  /// with an environment variable BERTH_EXEC_TOKEN=\<random\> and, to kill it, runs a
  /// second exec in the container (as the same user; it needs sh, tr, grep and kill in the
  /// image) that SIGKILLs every process carrying that token: the process and the children
  /// that kept its environment. (The Pid of exec inspect is a host pid, meaningless inside
  /// the container's pid namespace.) When that fails while the process still runs, the
  /// whole container is killed if kill_container_fallback is set. The same kill ends the
  /// process of a cancelled or failed exec_run.
  std::optional<std::chrono::milliseconds> timeout{};
  /// Kill the container when the process cannot be killed on its own (off by default: a
  /// timed-out exec leaves the container running).
  bool kill_container_fallback = false;
  /// Where the output goes.
  output_sink output{};
};

/// What exec_run reports. A non-zero exit code and a timeout are results, not errors.
struct BERTH_API exec_result {
  std::int64_t exit_code = 0;   ///< -1 when the process timed out (it was killed).
  std::string stdout_data{};
  std::string stderr_data{};
  bool output_truncated = false;
  bool timed_out = false;       ///< exec_options::timeout ran out; the output is what came.
};

/// What ensure_container reports.
struct BERTH_API ensured_container {
  std::string id{};
  bool created = false;  ///< This call created it (false: it existed and matched).
};

/// What stop_container reports.
struct BERTH_API stop_result {
  bool already_stopped = false;  ///< The container was not running (304).
  bool killed = false;           ///< berth had to SIGKILL it after grace + margin.
};

namespace op {

/// Runs a container to completion: create (attached streams as needed), attach before
/// start so no output is missed, register a wait for the next exit before start so a
/// fast exit cannot race, start, stream the output to the sink (stdin written and
/// half-closed alongside), read the exit code, remove. The attach and wait streams have
/// no head or idle deadline (run_options::timeout bounds the run); call_options'
/// timeouts apply to the other requests.
struct BERTH_API run_container {
  using result_type = run_result;
  static constexpr std::string_view operation_id = "berth.RunContainer";
  run_options options{};
};

/// Runs a command in a running container: create the exec, start it attached, drain its
/// output, then read its exit code from exec inspect once Running is false (polled after
/// the output ended, up to 50 times 20 ms apart at most; a process that closed its
/// output but still runs then fails the call with berth::errc::timeout and is killed,
/// unless exec_options::timeout is set, which then governs). The exec stream has no idle
/// deadline; call_options' timeouts apply to the other requests.
struct BERTH_API exec_run {
  using result_type = exec_result;
  static constexpr std::string_view operation_id = "berth.ExecRun";
  std::string id{};  ///< The container.
  exec_options options{};
};

/// Returns the container named `name` when it exists and matches `config`, creates it
/// when absent. Compared are only the fields the caller set: Image (the reference as
/// given, or the image id), Cmd and Entrypoint (exactly), Env (each entry the caller set
/// must be present verbatim: the image adds its own), Labels (each key the caller set
/// with the same value: the image adds its own), WorkingDir, User and Tty (exactly).
/// HostConfig, NetworkingConfig and every other field are not compared. A mismatch fails
/// with engine::error::name_in_use and the differing field named in the diagnostics. Two
/// callers creating at once: the loser's 409 is answered by inspecting and comparing again.
struct BERTH_API ensure_container {
  using result_type = ensured_container;
  static constexpr std::string_view operation_id = "berth.EnsureContainer";
  std::string name{};
  container_create_body config{};
};

/// Stops a container: the stop signal, SIGKILL by the daemon after `grace`; if the
/// container still runs after grace + margin (or the stop request failed), berth kills it
/// and waits for it to stop. A container that was not running is a success.
struct BERTH_API stop_container {
  using result_type = stop_result;
  static constexpr std::string_view operation_id = "berth.StopContainer";
  std::string id{};
  std::chrono::seconds grace{10};
  std::chrono::milliseconds margin{10'000};
};

/// Removes a container, force, with its anonymous volumes. A container that does not
/// exist (or whose removal is already in progress) is a success. result: whether this
/// call removed it.
struct BERTH_API force_cleanup {
  using result_type = bool;
  static constexpr std::string_view operation_id = "berth.ForceCleanup";
  std::string id{};
};

/// Removes (force, with anonymous volumes) every container, running or not, carrying all
/// of `labels` (key=value, exactly); containers lacking any of them are never touched.
/// Empty labels fail with berth::errc::invalid_argument. Every match is attempted; when
/// one removal fails the operation fails with the first error (run it again: it is
/// idempotent). result: the ids removed.
struct BERTH_API sweep_containers {
  using result_type = std::vector<std::string>;
  static constexpr std::string_view operation_id = "berth.SweepContainers";
  std::map<std::string, std::string> labels{};
};

}  // namespace op

namespace detail {
BERTH_API asio::awaitable<result<run_result>> execute(std::shared_ptr<state> s, op::run_container op,
                                            call_options opts);
BERTH_API asio::awaitable<result<exec_result>> execute(std::shared_ptr<state> s, op::exec_run op,
                                             call_options opts);
BERTH_API asio::awaitable<result<ensured_container>> execute(std::shared_ptr<state> s,
                                                   op::ensure_container op, call_options opts);
BERTH_API asio::awaitable<result<stop_result>> execute(std::shared_ptr<state> s, op::stop_container op,
                                             call_options opts);
BERTH_API asio::awaitable<result<bool>> execute(std::shared_ptr<state> s, op::force_cleanup op,
                                      call_options opts);
BERTH_API asio::awaitable<result<std::vector<std::string>>> execute(std::shared_ptr<state> s,
                                                          op::sweep_containers op,
                                                          call_options opts);
}  // namespace detail

// ---- run to completion ----------------------------------------------------------------

/// Runs a container to completion (see op::run_container).
/// Completion: void(std::error_code, run_result). engine::error::exec_timeout when
/// options.timeout expired (the container was killed, and removed with auto_remove).
///
/// \code
///   engine::run_options o;
///   o.config.image = "busybox";
///   o.config.cmd = std::vector<std::string>{"sh", "-c", "echo hi; exit 3"};
///   o.output.callback = [](engine::stream_id, std::string_view s) { std::cout << s; };
///   engine::async_run_container(docker, o, [](std::error_code ec, engine::run_result r) {
///     if (!ec) std::printf("exit %lld\n", (long long)r.exit_code);  // exit 3
///   });
/// \endcode
template <class CompletionToken>
auto async_run_container(client& c, run_options options, call_options opts,
                         CompletionToken&& token) {
  return c.async_run(op::run_container{std::move(options)}, opts,
                     std::forward<CompletionToken>(token));
}
template <class CompletionToken>
auto async_run_container(client& c, run_options options, CompletionToken&& token) {
  return async_run_container(c, std::move(options), call_options{},
                             std::forward<CompletionToken>(token));
}
/// Blocking; on failure sets ec (and opts.diag) and returns an empty result.
BERTH_API run_result run_container(client& c, run_options options, std::error_code& ec,
                         call_options opts = {});
/// Blocking; throws berth::error on failure.
BERTH_API run_result run_container(client& c, run_options options, call_options opts = {});

// ---- exec with options ----------------------------------------------------------------

/// Runs a command in the running container `id` (see op::exec_run).
/// Completion: void(std::error_code, exec_result). engine::error::exec_timeout when
/// options.timeout expired (the process was killed).
template <class CompletionToken>
auto async_exec_run(client& c, std::string id, exec_options options, call_options opts,
                    CompletionToken&& token) {
  return c.async_run(op::exec_run{std::move(id), std::move(options)}, opts,
                     std::forward<CompletionToken>(token));
}
template <class CompletionToken>
auto async_exec_run(client& c, std::string id, exec_options options, CompletionToken&& token) {
  return async_exec_run(c, std::move(id), std::move(options), call_options{},
                        std::forward<CompletionToken>(token));
}
/// Blocking; on failure sets ec (and opts.diag) and returns an empty result.
BERTH_API exec_result exec_run(client& c, std::string id, exec_options options, std::error_code& ec,
                     call_options opts = {});
/// Blocking; throws berth::error on failure.
BERTH_API exec_result exec_run(client& c, std::string id, exec_options options, call_options opts = {});

// ---- idempotent create ----------------------------------------------------------------

/// The container named `name`, created from config unless it exists with a matching
/// config (see op::ensure_container). Completion: void(std::error_code, ensured_container);
/// engine::error::name_in_use when it exists with a different config.
template <class CompletionToken>
auto async_ensure_container(client& c, std::string name, container_create_body config,
                            call_options opts, CompletionToken&& token) {
  return c.async_run(op::ensure_container{std::move(name), std::move(config)}, opts,
                     std::forward<CompletionToken>(token));
}
template <class CompletionToken>
auto async_ensure_container(client& c, std::string name, container_create_body config,
                            CompletionToken&& token) {
  return async_ensure_container(c, std::move(name), std::move(config), call_options{},
                                std::forward<CompletionToken>(token));
}
/// Blocking; on failure sets ec (and opts.diag: the differing field for name_in_use).
BERTH_API ensured_container ensure_container(client& c, std::string name, container_create_body config,
                                   std::error_code& ec, call_options opts = {});
/// Blocking; throws berth::error on failure.
BERTH_API ensured_container ensure_container(client& c, std::string name, container_create_body config,
                                   call_options opts = {});

// ---- stop -----------------------------------------------------------------------------

/// Stops container `id` with a grace period, killing it if it still runs after grace
/// plus 10 s (see op::stop_container; run that op for another margin).
/// Completion: void(std::error_code, stop_result).
template <class CompletionToken>
auto async_stop_container(client& c, std::string id, std::chrono::seconds grace,
                          call_options opts, CompletionToken&& token) {
  return c.async_run(op::stop_container{.id = std::move(id), .grace = grace}, opts,
                     std::forward<CompletionToken>(token));
}
template <class CompletionToken>
auto async_stop_container(client& c, std::string id, std::chrono::seconds grace,
                          CompletionToken&& token) {
  return async_stop_container(c, std::move(id), grace, call_options{},
                              std::forward<CompletionToken>(token));
}
/// Blocking; on failure sets ec (engine::error::not_found for a missing container).
BERTH_API stop_result stop_container(client& c, std::string id, std::chrono::seconds grace,
                           std::error_code& ec, call_options opts = {});
/// Blocking; throws berth::error on failure.
BERTH_API stop_result stop_container(client& c, std::string id, std::chrono::seconds grace,
                           call_options opts = {});

// ---- force cleanup --------------------------------------------------------------------

/// Removes container `id` (force, volumes); a missing container is a success.
/// Completion: void(std::error_code, bool removed).
template <class CompletionToken>
auto async_force_cleanup(client& c, std::string id, call_options opts, CompletionToken&& token) {
  return c.async_run(op::force_cleanup{std::move(id)}, opts, std::forward<CompletionToken>(token));
}
template <class CompletionToken>
auto async_force_cleanup(client& c, std::string id, CompletionToken&& token) {
  return async_force_cleanup(c, std::move(id), call_options{},
                             std::forward<CompletionToken>(token));
}
/// Blocking; on failure sets ec. Returns whether this call removed the container.
BERTH_API bool force_cleanup(client& c, std::string id, std::error_code& ec, call_options opts = {});
/// Blocking; throws berth::error on failure.
BERTH_API bool force_cleanup(client& c, std::string id, call_options opts = {});

// ---- sweep ----------------------------------------------------------------------------

/// Removes every container carrying all of `labels` (see op::sweep_containers).
/// Completion: void(std::error_code, std::vector<std::string> removed_ids).
///
/// \code
///   auto gone = engine::sweep(docker, {{"ci.job", job_id}});
/// \endcode
template <class CompletionToken>
auto async_sweep(client& c, std::map<std::string, std::string> labels, call_options opts,
                 CompletionToken&& token) {
  return c.async_run(op::sweep_containers{std::move(labels)}, opts,
                     std::forward<CompletionToken>(token));
}
template <class CompletionToken>
auto async_sweep(client& c, std::map<std::string, std::string> labels, CompletionToken&& token) {
  return async_sweep(c, std::move(labels), call_options{}, std::forward<CompletionToken>(token));
}
/// Blocking; on failure sets ec. Returns the ids removed.
BERTH_API std::vector<std::string> sweep(client& c, std::map<std::string, std::string> labels,
                               std::error_code& ec, call_options opts = {});
/// Blocking; throws berth::error on failure.
BERTH_API std::vector<std::string> sweep(client& c, std::map<std::string, std::string> labels,
                               call_options opts = {});

}  // namespace berth::engine
