// Exec operations of the Docker Engine API (spec tag "Exec"): one op struct per
// operationId, run through engine::client (async with a token, error_code, throwing).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <asio/awaitable.hpp>

#include "berth/core/call_options.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/engine/models.hpp"
#include "berth/engine/streams.hpp"
#include "berth/engine/types.hpp"

namespace berth::engine {

namespace detail {
struct state;
}

namespace op {

/// POST /containers/{id}/exec: create an exec instance. result: its id.
struct BERTH_API container_exec {
  using result_type = id_response;
  static constexpr std::string_view operation_id = "ContainerExec";
  std::string id{};                          ///< The container.
  container_exec_body body{};                ///< Cmd, Env, WorkingDir, User, Tty, attach flags...
};

/// POST /exec/{id}/start attached: the process's output as a pull-driven stream; with
/// stdin (the exec was created with AttachStdin) the stream is writable and
/// close_stdin() half-closes it.
struct BERTH_API exec_start {
  using result_type = output_stream;
  static constexpr std::string_view operation_id = "ExecStart";
  std::string id{};                          ///< The exec instance.
  bool tty = false;                        ///< Must match the exec's Tty.
  bool stdin_ = false;                     ///< Hijack the connection to write stdin.
  std::optional<std::vector<std::int64_t>> console_size{}; ///< [height, width], API 1.42+.
};

/// POST /exec/{id}/start with Detach: the process runs on its own.
struct BERTH_API exec_start_detached {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ExecStart";
  std::string id{};
  bool tty = false;
};

/// POST /exec/{id}/resize.
struct BERTH_API exec_resize {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ExecResize";
  std::string id{};
  int height = 24;
  int width = 80;
};

/// GET /exec/{id}/json.
struct BERTH_API exec_inspect {
  using result_type = exec_inspect_response;
  static constexpr std::string_view operation_id = "ExecInspect";
  std::string id{};
};

}  // namespace op

namespace detail {
BERTH_API asio::awaitable<result<id_response>> execute(std::shared_ptr<state> s, op::container_exec op, call_options opts);
BERTH_API asio::awaitable<result<output_stream>> execute(std::shared_ptr<state> s, op::exec_start op, call_options opts);
BERTH_API asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::exec_start_detached op, call_options opts);
BERTH_API asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::exec_resize op, call_options opts);
BERTH_API asio::awaitable<result<exec_inspect_response>> execute(std::shared_ptr<state> s, op::exec_inspect op, call_options opts);
}  // namespace detail

}  // namespace berth::engine
