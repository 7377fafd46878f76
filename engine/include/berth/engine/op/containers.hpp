// Container operations of the Docker Engine API (spec tag "Container").
//
// Each struct is one operation, named after its operationId; fields are its parameters.
// Run them with engine::client::run / async_run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>

#include "berth/core/call_options.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/engine/api_version.hpp"
#include "berth/engine/models.hpp"
#include "berth/engine/streams.hpp"
#include "berth/engine/types.hpp"
#include "berth/http/client.hpp"

namespace berth::engine {

namespace detail {
struct state;
}

/// The stat of a path inside a container (X-Docker-Container-Path-Stat).
struct BERTH_API path_stat {
  std::string name{};
  std::int64_t size = 0;
  std::uint32_t mode = 0;     ///< Go os.FileMode bits (type bits above the permission bits).
  std::string mtime{};          ///< RFC 3339.
  std::string link_target{};
};

/// A tar archive of a path in a container, streamed.
struct BERTH_API archive {
  path_stat stat{};
  http::body_stream body{};     ///< The tar bytes; read to eof.
};

namespace op {

/// GET /containers/json.
struct BERTH_API container_list {
  using result_type = std::vector<container_summary>;
  static constexpr std::string_view operation_id = "ContainerList";
  bool all = false;                       ///< Include stopped containers.
  std::optional<std::int64_t> limit{};    ///< The n most recently created.
  bool size = false;                      ///< Report SizeRw and SizeRootFs.
  engine::filters filters{};                ///< ancestor, before, expose, exited, health, id,
                                          ///< isolation, is-task, label, name, network,
                                          ///< publish, since, status, volume.
};

/// POST /containers/create. result: the new container's id and warnings.
struct BERTH_API container_create {
  using result_type = container_create_response;
  static constexpr std::string_view operation_id = "ContainerCreate";
  std::optional<std::string> name{};        ///< /?[a-zA-Z0-9][a-zA-Z0-9_.-]+
  std::optional<std::string> platform{};    ///< os[/arch[/variant]] (API 1.41+).
  container_create_body body{};             ///< Config, HostConfig and NetworkingConfig.
};

/// GET /containers/{id}/json.
struct BERTH_API container_inspect {
  using result_type = container_inspect_response;
  static constexpr std::string_view operation_id = "ContainerInspect";
  std::string id{};
  bool size = false;
};

/// GET /containers/{id}/top.
struct BERTH_API container_top {
  using result_type = container_top_response;
  static constexpr std::string_view operation_id = "ContainerTop";
  std::string id{};
  std::optional<std::string> ps_args{};     ///< Default "-ef".
};

/// GET /containers/{id}/logs as a pull-driven output stream (demultiplexed unless the
/// container has a TTY). With follow, the stream ends when the container stops.
struct BERTH_API container_logs {
  using result_type = output_stream;
  static constexpr std::string_view operation_id = "ContainerLogs";
  std::string id{};
  bool follow = false;
  bool stdout_ = true;
  bool stderr_ = true;
  std::optional<std::int64_t> since{};    ///< UNIX seconds.
  std::optional<std::int64_t> until{};    ///< UNIX seconds.
  bool timestamps = false;
  std::optional<std::string> tail{};        ///< A number of lines, or "all".
  /// Whether the container has a TTY; when unset berth asks the daemon (API < 1.42 does
  /// not say in the Content-Type).
  std::optional<bool> tty{};
};

/// GET /containers/{id}/changes.
struct BERTH_API container_changes {
  using result_type = std::vector<filesystem_change>;
  static constexpr std::string_view operation_id = "ContainerChanges";
  std::string id{};
};

/// GET /containers/{id}/export: the container's filesystem as a streamed tar.
struct BERTH_API container_export {
  using result_type = http::body_stream;
  static constexpr std::string_view operation_id = "ContainerExport";
  std::string id{};
};

/// GET /containers/{id}/stats?stream=false: one sample.
struct BERTH_API container_stats {
  using result_type = container_stats_response;
  static constexpr std::string_view operation_id = "ContainerStats";
  std::string id{};
  bool one_shot = false;                  ///< Skip the pre-CPU sample (API 1.41+).
};

/// GET /containers/{id}/stats?stream=true: samples as they come (about one a second).
struct BERTH_API container_stats_stream {
  using result_type = record_stream;
  static constexpr std::string_view operation_id = "ContainerStats";
  std::string id{};
};

/// POST /containers/{id}/resize (TTY size).
struct BERTH_API container_resize {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ContainerResize";
  std::string id{};
  int height = 24;
  int width = 80;
};

/// POST /containers/{id}/start. Starting a running container fails with
/// engine::error::not_modified.
struct BERTH_API container_start {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ContainerStart";
  std::string id{};
  std::optional<std::string> detach_keys{};
};

/// POST /containers/{id}/stop: the stop signal, then SIGKILL after the grace period.
/// Stopping a stopped container fails with engine::error::not_modified.
struct BERTH_API container_stop {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ContainerStop";
  std::string id{};
  std::optional<std::int64_t> timeout{};  ///< Grace period in seconds (t).
  std::optional<std::string> signal{};      ///< API 1.42+.
};

/// POST /containers/{id}/restart.
struct BERTH_API container_restart {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ContainerRestart";
  std::string id{};
  std::optional<std::int64_t> timeout{};
  std::optional<std::string> signal{};      ///< API 1.42+.
};

/// POST /containers/{id}/kill.
struct BERTH_API container_kill {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ContainerKill";
  std::string id{};
  std::optional<std::string> signal{};      ///< Default SIGKILL.
};

/// POST /containers/{id}/update (resources, restart policy).
struct BERTH_API container_update {
  using result_type = container_update_response;
  static constexpr std::string_view operation_id = "ContainerUpdate";
  std::string id{};
  container_update_body body{};
};

/// POST /containers/{id}/rename.
struct BERTH_API container_rename {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ContainerRename";
  std::string id{};
  std::string name{};
};

/// POST /containers/{id}/pause.
struct BERTH_API container_pause {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ContainerPause";
  std::string id{};
};

/// POST /containers/{id}/unpause.
struct BERTH_API container_unpause {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ContainerUnpause";
  std::string id{};
};

/// POST /containers/{id}/attach over a hijacked connection: the container's output as a
/// pull-driven stream, writable (stdin, with half-close) when stdin is set.
struct BERTH_API container_attach {
  using result_type = output_stream;
  static constexpr std::string_view operation_id = "ContainerAttach";
  std::string id{};
  bool stream = true;
  bool logs = false;                      ///< Replay the output so far first.
  bool stdin_ = false;
  bool stdout_ = true;
  bool stderr_ = true;
  std::optional<std::string> detach_keys{};
  std::optional<bool> tty{};                ///< As for container_logs.
};

/// GET /containers/{id}/attach/ws: the same over a WebSocket. Unsupported by berth (it
/// offers the hijacked attach instead); running it fails with berth::errc::unsupported.
struct BERTH_API container_attach_websocket {
  using result_type = output_stream;
  static constexpr std::string_view operation_id = "ContainerAttachWebsocket";
  std::string id{};
};

/// POST /containers/{id}/wait. Completes when the condition is met; no head deadline
/// applies by default (a wait may last as long as the container runs).
struct BERTH_API container_wait {
  using result_type = container_wait_response;
  static constexpr std::string_view operation_id = "ContainerWait";
  std::string id{};
  std::optional<std::string> condition{};   ///< "not-running" (default), "next-exit", "removed".
};

/// DELETE /containers/{id}.
struct BERTH_API container_delete {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ContainerDelete";
  std::string id{};
  bool volumes = false;                   ///< Remove anonymous volumes too (v).
  bool force = false;                     ///< Kill a running container first.
  bool link = false;                      ///< Remove the link, not the container.
};

/// HEAD /containers/{id}/archive: the stat of a path.
struct BERTH_API container_archive_info {
  using result_type = path_stat;
  static constexpr std::string_view operation_id = "ContainerArchiveInfo";
  std::string id{};
  std::string path{};
};

/// GET /containers/{id}/archive: a path as a streamed tar.
struct BERTH_API container_archive {
  using result_type = engine::archive;
  static constexpr std::string_view operation_id = "ContainerArchive";
  std::string id{};
  std::string path{};
};

/// PUT /containers/{id}/archive: extract a tar into a directory of the container. The tar
/// is streamed by the caller through the returned writer; finish it with
/// finish_put_archive (or request_writer::finish and check_answer).
struct BERTH_API put_container_archive {
  using result_type = http::request_writer;
  static constexpr std::string_view operation_id = "PutContainerArchive";
  std::string id{};
  std::string path{};                        ///< An existing directory in the container.
  bool no_overwrite_dir_non_dir = false;
  bool copy_uid_gid = false;
};

/// POST /containers/prune.
struct BERTH_API container_prune {
  using result_type = container_prune_response;
  static constexpr std::string_view operation_id = "ContainerPrune";
  engine::filters filters{};                 ///< until, label, label!.
};

}  // namespace op

namespace detail {
BERTH_API asio::awaitable<result<void>> finish_upload(http::request_writer w, berth::diagnostics* diag);
BERTH_API asio::awaitable<result<void>> check_answer(http::body_stream answer, berth::diagnostics* diag);
}  // namespace detail

/// Ends an upload whose answer carries no body worth keeping (put_container_archive,
/// plugin_create) and maps the daemon's answer to an error (engine::error::not_found for
/// a missing path, ...), the daemon's words in diag (which must outlive the operation).
/// The writer is taken over. Completion: void(std::error_code).
template <class CompletionToken>
auto async_finish_put_archive(http::request_writer w, berth::diagnostics* diag,
                              CompletionToken&& token) {
  auto ex = w.get_executor();
  return berth::detail::initiate<void>(
      std::move(ex), [w = std::move(w), diag]() mutable { return detail::finish_upload(std::move(w), diag); },
      std::forward<CompletionToken>(token));
}
template <class CompletionToken>
auto async_finish_put_archive(http::request_writer w, CompletionToken&& token) {
  return async_finish_put_archive(std::move(w), nullptr, std::forward<CompletionToken>(token));
}
/// Blocking; on failure sets ec (and diag). w is finished (closed) afterwards.
BERTH_API void finish_put_archive(http::request_writer& w, std::error_code& ec,
                                  berth::diagnostics* diag = nullptr);
/// Blocking; throws berth::error with the daemon's words on failure.
BERTH_API void finish_put_archive(http::request_writer& w);

/// Reads a (small) answer to its end and maps an error status to an engine error, the
/// daemon's words in diag (which must outlive the operation). The stream is taken over.
/// Completion: void(std::error_code).
template <class CompletionToken>
auto async_check_answer(http::body_stream answer, berth::diagnostics* diag, CompletionToken&& token) {
  auto ex = answer.get_executor();
  return berth::detail::initiate<void>(
      std::move(ex),
      [a = std::move(answer), diag]() mutable { return detail::check_answer(std::move(a), diag); },
      std::forward<CompletionToken>(token));
}
template <class CompletionToken>
auto async_check_answer(http::body_stream answer, CompletionToken&& token) {
  return async_check_answer(std::move(answer), nullptr, std::forward<CompletionToken>(token));
}
/// Blocking; on failure sets ec (and diag).
BERTH_API void check_answer(http::body_stream& answer, std::error_code& ec,
                            berth::diagnostics* diag = nullptr);
/// Blocking; throws berth::error with the daemon's words on failure.
BERTH_API void check_answer(http::body_stream& answer);

namespace detail {
#define BERTH_ENGINE_OP(OP) \
  BERTH_API asio::awaitable<result<op::OP::result_type>> execute(std::shared_ptr<state> s, op::OP op, call_options opts);
BERTH_ENGINE_OP(container_list)
BERTH_ENGINE_OP(container_create)
BERTH_ENGINE_OP(container_inspect)
BERTH_ENGINE_OP(container_top)
BERTH_ENGINE_OP(container_logs)
BERTH_ENGINE_OP(container_changes)
BERTH_ENGINE_OP(container_export)
BERTH_ENGINE_OP(container_stats)
BERTH_ENGINE_OP(container_stats_stream)
BERTH_ENGINE_OP(container_resize)
BERTH_ENGINE_OP(container_start)
BERTH_ENGINE_OP(container_stop)
BERTH_ENGINE_OP(container_restart)
BERTH_ENGINE_OP(container_kill)
BERTH_ENGINE_OP(container_update)
BERTH_ENGINE_OP(container_rename)
BERTH_ENGINE_OP(container_pause)
BERTH_ENGINE_OP(container_unpause)
BERTH_ENGINE_OP(container_attach)
BERTH_ENGINE_OP(container_attach_websocket)
BERTH_ENGINE_OP(container_wait)
BERTH_ENGINE_OP(container_delete)
BERTH_ENGINE_OP(container_archive_info)
BERTH_ENGINE_OP(container_archive)
BERTH_ENGINE_OP(put_container_archive)
BERTH_ENGINE_OP(container_prune)
#undef BERTH_ENGINE_OP
}  // namespace detail

}  // namespace berth::engine
