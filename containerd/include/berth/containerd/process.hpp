// A task's process (the init process or an exec) with its stdio: FIFOs that berth
// creates in a private directory and reads through Asio descriptors. Reads are
// pull-driven: nothing is read from a FIFO until the caller asks, so a reader that does
// not keep up blocks the container's writes (the pipe fills) instead of growing memory.
// Read stdout and stderr concurrently (or the container may block on the other one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include <asio/any_io_executor.hpp>
#include <asio/buffer.hpp>

#include "berth/containerd/types.hpp"
#include "berth/core/async.hpp"
#include "berth/core/error.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth::containerd {

namespace detail {
struct process_state;
}

/// Which of a process's output streams.
enum class output { stdout_stream = 1, stderr_stream = 2 };

/// The stdio of a new process.
struct BERTH_API stdio_options {
  /// Give the process a stdin FIFO (write() and close_stdin()). A task's is usable once
  /// created; an exec's only once started (the shim opens an exec's stdin at Start).
  bool stdin_ = false;
  bool terminal = false;  ///< A TTY: stdout only (stderr is merged), resizable.
  bool capture = true;    ///< Create stdout/stderr FIFOs (false: output is discarded).
  /// When set, receives containerd's status and message when one of the create or exec
  /// calls fails (e.g. Tasks.Create's "failed to start shim: ..."), and is cleared on
  /// success, as call_options::diag. Written before the completion handler runs; must
  /// outlive the operation.
  berth::diagnostics* diag = nullptr;
};

/// A process created by client::async_create_task or client::async_exec, not started yet.
/// Destroying it closes its FIFOs and removes their directory (the process itself is
/// removed by async_delete, or with its container by client::async_remove_container).
///
/// Stdin (stdio_options::stdin_): berth opens its end of a task's stdin FIFO at create.
/// The shim opens an exec's only when the exec starts, so berth opens its end of an exec's
/// in async_start (which, should that fail, kills the exec and fails); async_write and
/// async_close_stdin before the exec is started fail with errc::failed_precondition (and
/// open it themselves when the exec was started otherwise, e.g. with op::task_start).
class BERTH_API process {
 public:
  using executor_type = asio::any_io_executor;
  process() = default;
  process(process&&) noexcept = default;
  process& operator=(process&&) noexcept = default;
  ~process();
  explicit process(std::shared_ptr<detail::process_state> s);

  executor_type get_executor() const;
  const std::string& container_id() const noexcept;
  /// Empty for a task's init process.
  const std::string& exec_id() const noexcept;
  std::uint32_t pid() const noexcept;
  bool terminal() const noexcept;
  /// The directory holding the FIFOs (removed with the process object).
  const std::string& fifo_dir() const noexcept;

  /// Starts the process (and, for an exec with stdin, opens berth's end of it).
  /// Completion: void(std::error_code, std::uint32_t pid).
  template <class CompletionToken>
  auto async_start(CompletionToken&& token) {
    return berth::detail::initiate<std::uint32_t>(
        get_executor(), [s = state_] { return do_start(s); }, std::forward<CompletionToken>(token));
  }
  std::uint32_t start(std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  std::uint32_t start();

  /// Reads output of one stream. Completion: void(std::error_code, std::size_t);
  /// asio::error::eof once the process and the shim have closed it.
  /// Cancellation: terminal; the stream is closed.
  template <class CompletionToken>
  auto async_read(output which, asio::mutable_buffer buf, CompletionToken&& token) {
    return berth::detail::initiate<std::size_t>(
        get_executor(), [s = state_, which, buf] { return do_read(s, which, buf); },
        std::forward<CompletionToken>(token));
  }
  std::size_t read(output which, asio::mutable_buffer buf, std::error_code& ec);
  /// Blocking; throws berth::error on failure (asio::error::eof at the end).
  std::size_t read(output which, asio::mutable_buffer buf);

  /// Writes all of buf to stdin. Completion: void(std::error_code, std::size_t);
  /// berth::errc::unsupported without a stdin, errc::failed_precondition on an exec not
  /// started yet, berth::errc::stream_closed after close_stdin or close.
  template <class CompletionToken>
  auto async_write(asio::const_buffer buf, CompletionToken&& token) {
    return berth::detail::initiate<std::size_t>(
        get_executor(), [s = state_, buf] { return do_write(s, buf); },
        std::forward<CompletionToken>(token));
  }
  std::size_t write(asio::const_buffer buf, std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  std::size_t write(asio::const_buffer buf);

  /// Closes stdin: berth's end of the FIFO and the shim's (Tasks.CloseIO), so the process
  /// sees end of input. Completion: void(std::error_code); errc::failed_precondition on
  /// an exec not started yet (the shim would not pass the end of input on).
  template <class CompletionToken>
  auto async_close_stdin(CompletionToken&& token) {
    return berth::detail::initiate<void>(
        get_executor(), [s = state_] { return do_close_stdin(s); }, std::forward<CompletionToken>(token));
  }
  void close_stdin(std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  void close_stdin();

  /// Waits for the process to exit. Completion: void(std::error_code, exit_status).
  /// Cancellation: terminal; the process keeps running.
  template <class CompletionToken>
  auto async_wait(CompletionToken&& token) {
    return berth::detail::initiate<exit_status>(
        get_executor(), [s = state_] { return do_wait(s); }, std::forward<CompletionToken>(token));
  }
  exit_status wait(std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  exit_status wait();

  /// Sends a signal (all: to every process of the task). Completion: void(std::error_code).
  template <class CompletionToken>
  auto async_kill(std::uint32_t signal, bool all, CompletionToken&& token) {
    return berth::detail::initiate<void>(
        get_executor(), [s = state_, signal, all] { return do_kill(s, signal, all); },
        std::forward<CompletionToken>(token));
  }
  void kill(std::uint32_t signal, std::error_code& ec, bool all = false);
  /// Blocking; throws berth::error on failure.
  void kill(std::uint32_t signal, bool all = false);

  /// Resizes the TTY. Completion: void(std::error_code).
  template <class CompletionToken>
  auto async_resize(std::uint32_t width, std::uint32_t height, CompletionToken&& token) {
    return berth::detail::initiate<void>(
        get_executor(), [s = state_, width, height] { return do_resize(s, width, height); },
        std::forward<CompletionToken>(token));
  }
  void resize(std::uint32_t width, std::uint32_t height, std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  void resize(std::uint32_t width, std::uint32_t height);

  /// Deletes the stopped process (Tasks.Delete, or DeleteProcess for an exec) and
  /// removes the FIFOs. Completion: void(std::error_code, exit_status).
  template <class CompletionToken>
  auto async_delete(CompletionToken&& token) {
    return berth::detail::initiate<exit_status>(
        get_executor(), [s = state_] { return do_delete(s); }, std::forward<CompletionToken>(token));
  }
  exit_status delete_(std::error_code& ec);
  /// Blocking; throws berth::error on failure.
  exit_status delete_();

  /// Closes the FIFOs and removes their directory (done by the destructor too).
  void close() noexcept;

  /// For berth's own compositions (run, exec_run).
  const std::shared_ptr<detail::process_state>& state() const noexcept { return state_; }

 private:
  static asio::awaitable<result<std::uint32_t>> do_start(std::shared_ptr<detail::process_state> s);
  static asio::awaitable<result<std::size_t>> do_read(std::shared_ptr<detail::process_state> s,
                                                      output which, asio::mutable_buffer buf);
  static asio::awaitable<result<std::size_t>> do_write(std::shared_ptr<detail::process_state> s,
                                                       asio::const_buffer buf);
  static asio::awaitable<result<void>> do_close_stdin(std::shared_ptr<detail::process_state> s);
  static asio::awaitable<result<exit_status>> do_wait(std::shared_ptr<detail::process_state> s);
  static asio::awaitable<result<void>> do_kill(std::shared_ptr<detail::process_state> s,
                                               std::uint32_t signal, bool all);
  static asio::awaitable<result<void>> do_resize(std::shared_ptr<detail::process_state> s,
                                                 std::uint32_t w, std::uint32_t h);
  static asio::awaitable<result<exit_status>> do_delete(std::shared_ptr<detail::process_state> s);
  std::shared_ptr<detail::process_state> state_;
};

}  // namespace berth::containerd
