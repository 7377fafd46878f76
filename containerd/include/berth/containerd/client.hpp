// The containerd client: containerd's gRPC API on its unix socket, with the same shape as
// the rest of berth.
//
//   containerd::client c;                                   // CONTAINERD_ADDRESS, CONTAINERD_NAMESPACE
//   auto v = c.run(containerd::op::version{});              // throws berth::error
//   auto list = c.run(containerd::op::container_list{}, ec);   // error_code
//   c.async_run(containerd::op::task_wait{.container_id = "x"}, token);  // callback,
//                                                           // use_future, use_awaitable
//
// Every call carries the `containerd-namespace` metadata of the client (with_namespace()
// gives a client of another namespace on the same connection) and, when set, the
// `containerd-lease` of with_lease(). Completions run on the caller's executor (the
// handler's associated executor), never inside the initiating call. Per-call deadlines
// (call_options::timeouts.total, else client_options::timeout) become the gRPC deadline
// and expire as berth::errc::timeout; terminal cancellation through the handler's slot
// cancels the gRPC call (ClientContext::TryCancel) and completes with
// berth::errc::cancelled. containerd's status codes arrive as berth::containerd::errc,
// its message in call_options::diag (in stdio_options::diag and run_options::diag for the
// task, exec and run compositions).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <asio/any_io_executor.hpp>

#include "berth/containerd/error.hpp"
#include "berth/containerd/import.hpp"
#include "berth/containerd/ops.hpp"
#include "berth/containerd/process.hpp"
#include "berth/containerd/pull.hpp"
#include "berth/containerd/spec.hpp"
#include "berth/containerd/streams.hpp"
#include "berth/containerd/types.hpp"
#include "berth/core/async.hpp"
#include "berth/core/call_options.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/core/sync.hpp"

namespace berth::containerd {

namespace detail {
struct state;
BERTH_API execution_host& host_of(const std::shared_ptr<state>& s) noexcept;

// One overload per operation, found by argument-dependent lookup from client::async_run.
#define BERTH_CONTAINERD_OPS(X)                                                                  \
  X(version) X(namespace_list) X(namespace_create) X(namespace_delete) X(plugin_list)            \
  X(container_create) X(container_get) X(container_list) X(container_update) X(container_delete) \
  X(image_get) X(image_list) X(image_create) X(image_update) X(image_delete)                     \
  X(content_info_get) X(content_list) X(content_update) X(content_delete) X(content_status)      \
  X(content_list_statuses) X(content_abort)                                                      \
  X(snapshot_prepare) X(snapshot_view) X(snapshot_mounts) X(snapshot_commit) X(snapshot_remove)  \
  X(snapshot_stat) X(snapshot_list) X(diff_apply) X(diff_compare) X(lease_create) X(lease_delete)  \
  X(lease_list)                                                                                  \
  X(task_create) X(task_start) X(task_delete) X(process_delete) X(task_get) X(task_list)         \
  X(task_kill) X(task_exec) X(task_pids) X(task_pause) X(task_resume) X(task_resize)             \
  X(task_close_io) X(task_metrics) X(task_wait)
#define BERTH_CONTAINERD_DECLARE(name)                                                     \
  BERTH_API asio::awaitable<result<op::name::result_type>> execute(std::shared_ptr<state> s, op::name o, \
                                                         call_options opts);
BERTH_CONTAINERD_OPS(BERTH_CONTAINERD_DECLARE)
#undef BERTH_CONTAINERD_DECLARE
}  // namespace detail

/// Settings of a client. Empty fields come from the environment.
struct BERTH_API client_options {
  /// containerd's socket: a path or unix://path. Empty: CONTAINERD_ADDRESS, else
  /// /run/containerd/containerd.sock.
  std::string address{};
  /// Empty: CONTAINERD_NAMESPACE, else "default".
  std::string namespace_{};
  /// Deadline of every unary call that sets none (task_wait and streams excepted).
  std::optional<std::chrono::milliseconds> timeout{};
  /// gRPC message size limit, both directions (the Go client uses 16 MiB).
  int max_message_size = 16 << 20;
  /// berth's logger program for tasks with log capture (logs.hpp). Empty:
  /// $BERTH_CONTAINERD_LOGGER, else beside libberth-containerd.
  std::string logger_path{};
  /// The init program of containers with container_options::init (a static tini). Empty:
  /// /usr/bin/docker-init, else a tini-static on the usual paths.
  std::string init_path{};
};

/// Output of a run or exec, delivered as it comes (on the client's executor).
using output_sink = std::function<void(output, std::string_view)>;

/// How client::async_run_container and async_exec_run run a process.
struct BERTH_API run_options {
  std::string stdin_data{};             ///< Written to stdin, then stdin is closed.
  bool with_stdin = false;              ///< Give the process a stdin even with no data.
  output_sink on_output{};              ///< Empty: the output is read and discarded.
  /// Also keep the output in run_result (stdout and stderr apart), at most this many bytes
  /// of each; what goes beyond is still given to on_output and sets run_result::truncated.
  std::optional<std::size_t> collect{};
  /// Kill the process after this long: every process of an exec's tree (its children
  /// too; the container's other processes live on), or the whole task of a run. The run
  /// completes normally, with run_result::timed_out and the output so far.
  std::optional<std::chrono::milliseconds> timeout{};
  bool remove = true;                   ///< Run: remove the container afterwards.
  /// When set, receives containerd's status and message when a call of the run fails
  /// (image, snapshot and container record, Tasks.Create, Start, Wait; e.g. Tasks.Create's
  /// "failed to start shim: ... binary not installed ..."), as call_options::diag; cleared
  /// on success, status 0 and no message when the failure is berth's own (a timeout, a
  /// FIFO). Cleanup calls after a failure leave it alone. Written before the completion
  /// handler runs; must outlive the operation.
  berth::diagnostics* diag = nullptr;
};

/// The end of a run or exec. A non-zero exit and a timeout are results, not errors.
struct BERTH_API run_result {
  std::uint32_t exit_code = 0;
  time_point exited_at{};
  bool timed_out = false;      ///< run_options::timeout ran out and the process was killed.
  std::string stdout_data{};   ///< With run_options::collect: the first bytes of stdout.
  std::string stderr_data{};   ///< ... and of stderr.
  bool truncated = false;      ///< More output came than run_options::collect kept.
};

/// A client of one containerd, in one namespace. Cheap to copy: copies share the
/// connection and the executor.
class BERTH_API client {
 public:
  using executor_type = asio::any_io_executor;

  /// A client owning a private io_context (for the sync forms).
  explicit client(client_options opts = {});
  /// A client running on ex.
  client(asio::any_io_executor ex, client_options opts = {});
  ~client();
  client(const client&) = default;
  client& operator=(const client&) = default;
  client(client&&) noexcept = default;
  client& operator=(client&&) noexcept = default;

  executor_type get_executor() const;
  const std::string& address() const noexcept;
  const std::string& namespace_name() const noexcept;
  /// The execution host of the blocking forms (for layers that offer blocking forms of
  /// their own operations over this client).
  execution_host& execution() const { return host(); }
  /// The same connection and executor, another namespace.
  client with_namespace(std::string ns) const;
  /// The same client, every call made under lease id (containerd-lease metadata).
  client with_lease(std::string id) const;

  /// Runs op. Completion: void(std::error_code, typename Op::result_type).
  template <class Op, class CompletionToken>
  auto async_run(Op o, call_options opts, CompletionToken&& token) {
    using R = typename Op::result_type;
    return berth::detail::initiate<R>(
        get_executor(),
        [s = state_, o = std::move(o), opts]() mutable { return execute(s, std::move(o), opts); },
        std::forward<CompletionToken>(token));
  }
  template <class Op, class CompletionToken>
  auto async_run(Op o, CompletionToken&& token) {
    return async_run(std::move(o), call_options{}, std::forward<CompletionToken>(token));
  }
  /// Runs op, blocking; on failure sets ec (and opts.diag) and returns a default value.
  template <class Op>
  typename Op::result_type run(Op o, std::error_code& ec, call_options opts = {}) {
    using R = typename Op::result_type;
    auto r = host().template run<R>([&](auto h) { async_run(std::move(o), opts, std::move(h)); });
    return value_or_set(std::move(r), ec);
  }
  /// Runs op, blocking; throws berth::error (with containerd's message) on failure.
  template <class Op>
  typename Op::result_type run(Op o, call_options opts = {}) {
    berth::diagnostics local;
    if (!opts.diag) opts.diag = &local;
    std::error_code ec;
    auto v = run(std::move(o), ec, opts);
    if (ec) throw berth::error(ec, *opts.diag);
    return v;
  }

  // ---- streams ----

  /// Subscribes to events matching any of filters; `namespace==<this namespace>` is
  /// added to each filter unless all_namespaces. Completion: void(std::error_code, event_stream).
  template <class CompletionToken>
  auto async_subscribe(std::vector<std::string> filters, bool all_namespaces, CompletionToken&& token) {
    return berth::detail::initiate<event_stream>(
        get_executor(),
        [s = state_, f = std::move(filters), all_namespaces]() mutable {
          return do_subscribe(s, std::move(f), all_namespaces);
        },
        std::forward<CompletionToken>(token));
  }
  event_stream subscribe(std::vector<std::string> filters, std::error_code& ec, bool all_namespaces = false);
  /// Blocking; throws berth::error on failure.
  event_stream subscribe(std::vector<std::string> filters, bool all_namespaces = false);

  /// Reads a blob (size 0: to the end). Completion: void(std::error_code, content_reader).
  template <class CompletionToken>
  auto async_read_content(std::string digest, std::int64_t offset, std::int64_t size, CompletionToken&& token) {
    return berth::detail::initiate<content_reader>(
        get_executor(),
        [s = state_, d = std::move(digest), offset, size]() mutable {
          return do_read_content(s, std::move(d), offset, size);
        },
        std::forward<CompletionToken>(token));
  }
  content_reader read_content(std::string digest, std::error_code& ec, std::int64_t offset = 0,
                              std::int64_t size = 0);
  /// Blocking; throws berth::error on failure.
  content_reader read_content(std::string digest, std::int64_t offset = 0, std::int64_t size = 0);

  /// Opens (or resumes) a write under ref; total and expected (digest) may be 0 and
  /// empty. Completion: void(std::error_code, content_writer), status() tells where to go on.
  template <class CompletionToken>
  auto async_open_writer(std::string ref, std::int64_t total, std::string expected, CompletionToken&& token) {
    return berth::detail::initiate<content_writer>(
        get_executor(),
        [s = state_, r = std::move(ref), total, e = std::move(expected)]() mutable {
          return do_open_writer(s, std::move(r), total, std::move(e));
        },
        std::forward<CompletionToken>(token));
  }
  content_writer open_writer(std::string ref, std::int64_t total, std::string expected, std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  content_writer open_writer(std::string ref, std::int64_t total, std::string expected);

  // ---- containers, tasks, exec ----

  /// Creates a container from an image in containerd: the OCI spec from the image config
  /// and opts, a snapshot (key = id) prepared on the image's chain id, the runtime of
  /// opts; an empty opts.id is generated (16 hex digits; the record holds it).
  /// Completion: void(std::error_code, container). On failure nothing is left.
  template <class CompletionToken>
  auto async_create_container(container_options opts, CompletionToken&& token) {
    return berth::detail::initiate<container>(
        get_executor(), [s = state_, o = std::move(opts)]() mutable { return do_create_container(s, std::move(o)); },
        std::forward<CompletionToken>(token));
  }
  container create_container(container_options opts, std::error_code& ec);
  /// Blocking; throws berth::error (with containerd's message) on failure.
  container create_container(container_options opts);

  /// Removes a container and what belongs to it: its task (killed with SIGKILL when
  /// running), the container record, its snapshot. Missing parts are skipped.
  /// Completion: void(std::error_code).
  template <class CompletionToken>
  auto async_remove_container(std::string id, CompletionToken&& token) {
    return berth::detail::initiate<void>(
        get_executor(), [s = state_, id = std::move(id)]() mutable { return do_remove_container(s, std::move(id)); },
        std::forward<CompletionToken>(token));
  }
  void remove_container(std::string id, std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  void remove_container(std::string id);

  /// Creates the task of a container with FIFOs for its stdio (not started).
  /// Completion: void(std::error_code, process); containerd's message in io.diag.
  template <class CompletionToken>
  auto async_create_task(std::string container_id, stdio_options io, CompletionToken&& token) {
    return berth::detail::initiate<process>(
        get_executor(),
        [s = state_, id = std::move(container_id), io]() mutable { return do_create_task(s, std::move(id), io); },
        std::forward<CompletionToken>(token));
  }
  process create_task(std::string container_id, stdio_options io, std::error_code& ec);
  /// Blocking; throws berth::error with containerd's message (in io.diag too, when set)
  /// on failure.
  process create_task(std::string container_id, stdio_options io);

  /// Adds an exec process to a running task (not started); the process spec starts from
  /// the container's. Completion: void(std::error_code, process); containerd's message
  /// in io.diag. With io.stdin_, the process's stdin is writable once it is started
  /// (the shim opens an exec's stdin at Start; see process).
  template <class CompletionToken>
  auto async_exec(std::string container_id, std::string exec_id, process_spec spec, stdio_options io,
                  CompletionToken&& token) {
    return berth::detail::initiate<process>(
        get_executor(),
        [s = state_, id = std::move(container_id), e = std::move(exec_id), p = std::move(spec), io]() mutable {
          return do_exec(s, std::move(id), std::move(e), std::move(p), io);
        },
        std::forward<CompletionToken>(token));
  }
  process exec(std::string container_id, std::string exec_id, process_spec spec, stdio_options io,
               std::error_code& ec);
  /// Blocking; throws berth::error with containerd's message (in io.diag too, when set)
  /// on failure.
  process exec(std::string container_id, std::string exec_id, process_spec spec, stdio_options io);

  /// Run to completion: create the container, its task, start it, stream its output to
  /// run.on_output, wait, delete the task and (run.remove) the container. Every path,
  /// errors and cancellation included, removes what was created.
  /// Completion: void(std::error_code, run_result); containerd's message in run.diag.
  template <class CompletionToken>
  auto async_run_container(container_options opts, run_options run, CompletionToken&& token) {
    return berth::detail::initiate<run_result>(
        get_executor(),
        [s = state_, o = std::move(opts), r = std::move(run)]() mutable {
          return do_run_container(s, std::move(o), std::move(r));
        },
        std::forward<CompletionToken>(token));
  }
  run_result run_container(container_options opts, run_options run, std::error_code& ec);
  /// Blocking; throws berth::error with containerd's message (in run.diag too, when set)
  /// on failure.
  run_result run_container(container_options opts, run_options run = {});

  /// Exec to completion in a running task; after run.timeout the exec and every process it
  /// started are killed (the container runs on) and the result says timed_out, with the
  /// output so far. Completion: void(std::error_code, run_result); containerd's message in
  /// run.diag.
  template <class CompletionToken>
  auto async_exec_run(std::string container_id, process_spec spec, run_options run, CompletionToken&& token) {
    return berth::detail::initiate<run_result>(
        get_executor(),
        [s = state_, id = std::move(container_id), p = std::move(spec), r = std::move(run)]() mutable {
          return do_exec_run(s, std::move(id), std::move(p), std::move(r));
        },
        std::forward<CompletionToken>(token));
  }
  run_result exec_run(std::string container_id, process_spec spec, run_options run, std::error_code& ec);
  /// Blocking; throws berth::error with containerd's message (in run.diag too, when set)
  /// on failure.
  run_result exec_run(std::string container_id, process_spec spec, run_options run);

  // ---- images ----

  /// Pulls ref from its registry into containerd (see pull.hpp).
  /// Completion: void(std::error_code, image); the registry's status and message in
  /// opts.diag. Cancellation: terminal, between requests and chunks; the pull's lease is
  /// dropped so nothing partial stays referenced.
  template <class CompletionToken>
  auto async_pull(std::string ref, pull_options opts, CompletionToken&& token) {
    return berth::detail::initiate<image>(
        get_executor(), [s = state_, r = std::move(ref), o = std::move(opts)]() mutable { return do_pull(s, std::move(r), std::move(o)); },
        std::forward<CompletionToken>(token));
  }
  image pull(std::string ref, pull_options opts, std::error_code& ec);
  /// Blocking; throws berth::error with the registry's status and message (in opts.diag
  /// too, when set) on failure.
  image pull(std::string ref, pull_options opts = {});

  /// Imports the image archive (OCI layout or docker save tar) at path (see import.hpp).
  /// Completion: void(std::error_code, std::vector<image>): the image records made, in the
  /// archive's order. Failures: pull_errc::bad_archive (malformed or truncated tar, no
  /// index.json or manifest.json), digest_mismatch / size_mismatch (a blob is not what its
  /// name or the image config says), missing_blob (a manifest, config or layer the archive
  /// and the store lack), unsupported_media_type, no_matching_platform; details in
  /// opts.diag. Cancellation: terminal, between chunks; the import's lease is dropped so
  /// nothing partial stays.
  ///
  ///   auto imgs = c.import_archive("busybox.tar", {});   // docker save busybox > busybox.tar
  template <class CompletionToken>
  auto async_import_archive(std::string path, import_options opts, CompletionToken&& token) {
    return berth::detail::initiate<std::vector<image>>(
        get_executor(),
        [s = state_, p = std::move(path), o = std::move(opts)]() mutable {
          return do_import(s, std::move(p), archive_source{}, std::move(o));
        },
        std::forward<CompletionToken>(token));
  }
  /// The same from any byte source (a pipe, a socket, a decompressor), read as a stream.
  template <class CompletionToken>
  auto async_import_archive(archive_source src, import_options opts, CompletionToken&& token) {
    return berth::detail::initiate<std::vector<image>>(
        get_executor(),
        [s = state_, src = std::move(src), o = std::move(opts)]() mutable {
          return do_import(s, std::string(), std::move(src), std::move(o));
        },
        std::forward<CompletionToken>(token));
  }
  std::vector<image> import_archive(std::string path, import_options opts, std::error_code& ec);
  std::vector<image> import_archive(archive_source src, import_options opts, std::error_code& ec);
  /// Throwing forms: berth::error with opts.diag's details.
  std::vector<image> import_archive(std::string path, import_options opts = {});
  std::vector<image> import_archive(archive_source src, import_options opts = {});

  friend struct client_access;

 private:
  /// On a state of berth's own (client_access): no new connection.
  explicit client(std::shared_ptr<detail::state> s) noexcept : state_(std::move(s)) {}
  execution_host& host() const { return detail::host_of(state_); }
  static asio::awaitable<result<event_stream>> do_subscribe(std::shared_ptr<detail::state> s,
                                                            std::vector<std::string> f, bool all);
  static asio::awaitable<result<content_reader>> do_read_content(std::shared_ptr<detail::state> s,
                                                                 std::string digest, std::int64_t offset,
                                                                 std::int64_t size);
  static asio::awaitable<result<content_writer>> do_open_writer(std::shared_ptr<detail::state> s,
                                                                std::string ref, std::int64_t total,
                                                                std::string expected);
  static asio::awaitable<result<container>> do_create_container(std::shared_ptr<detail::state> s,
                                                                container_options o,
                                                                berth::diagnostics* diag = nullptr);
  static asio::awaitable<result<void>> do_remove_container(std::shared_ptr<detail::state> s, std::string id);
  static asio::awaitable<result<process>> do_create_task(std::shared_ptr<detail::state> s, std::string id,
                                                         stdio_options io);
  static asio::awaitable<result<process>> do_exec(std::shared_ptr<detail::state> s, std::string id,
                                                  std::string exec_id, process_spec p, stdio_options io);
  static asio::awaitable<result<run_result>> do_run_container(std::shared_ptr<detail::state> s,
                                                              container_options o, run_options r);
  static asio::awaitable<result<run_result>> do_exec_run(std::shared_ptr<detail::state> s, std::string id,
                                                         process_spec p, run_options r);
  static asio::awaitable<result<image>> do_pull(std::shared_ptr<detail::state> s, std::string ref,
                                                pull_options o);
  static asio::awaitable<result<std::vector<image>>> do_import(std::shared_ptr<detail::state> s, std::string path,
                                                             archive_source src, import_options o);
  std::shared_ptr<detail::state> state_;
};

}  // namespace berth::containerd
