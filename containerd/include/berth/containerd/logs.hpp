// Container logs on containerd, which keeps none of its own: a task started with log
// capture has its stdout and stderr written, apart and with a timestamp per chunk, by
// berth's logger program (berth-containerd-log, run by the runc shim through binary://
// stdio) into a file with size-based rotation; a log_reader reads it back, pull-driven,
// with follow, since, tail and per-chunk timestamps, as Docker's logs do.
//
//   c.run(containerd::op::start_container{.id = "web", .log = {{.path = "/var/log/web"}}});
//   auto logs = c.run(containerd::op::open_logs{.id = "web", .options = {.follow = true}});
//   for (std::error_code ec;;) {
//     auto e = logs.next(ec);              // one chunk: stream, time, bytes
//     if (ec) break;                       // asio::error::eof at the end
//   }
//
// The logger is found through client_options::logger_path, else the environment variable
// BERTH_CONTAINERD_LOGGER, else beside libberth-containerd (its own folder, then the
// libexec folder of its installation).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "berth/containerd/ops.hpp"
#include "berth/containerd/process.hpp"
#include "berth/containerd/types.hpp"
#include "berth/core/async.hpp"
#include "berth/core/call_options.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth::containerd {

/// The labels a container with log capture carries (set by start_container).
inline constexpr const char* log_path_label = "io.berth.log";
inline constexpr const char* log_max_size_label = "io.berth.log.max-size";
inline constexpr const char* log_max_files_label = "io.berth.log.max-files";

/// Where and how a task's output is logged.
struct BERTH_API log_options {
  std::string path{};               ///< The log file (its folder must exist).
  std::uint64_t max_size = 0;       ///< Rotate before the file grows past this; 0: never.
  unsigned max_files = 1;           ///< Files kept with rotation (path, path.1, ...).
};

/// How a log is read.
struct BERTH_API log_read_options {
  /// Keep reading as the container writes, until its task has ended and all is read.
  bool follow = false;
  /// Only chunks written at or after this time.
  std::optional<time_point> since{};
  /// Only the last this many lines (of stdout and stderr together), then what follows.
  std::optional<std::size_t> tail{};
  /// How often a follow looks for new output.
  std::chrono::milliseconds poll{100};
};

/// One chunk of output as the logger recorded it.
struct BERTH_API log_entry {
  output stream = output::stdout_stream;
  time_point time{};
  std::string data{};
};

namespace detail {
struct state;
struct log_state;
}  // namespace detail

/// A container's log, read pull-driven: nothing is read until next() is asked; memory is
/// one chunk (at most 64 KiB of output) at a time, plus the tail's lines when tail is set.
class BERTH_API log_reader {
 public:
  using executor_type = asio::any_io_executor;

  log_reader() = default;
  log_reader(log_reader&&) noexcept = default;
  log_reader& operator=(log_reader&&) noexcept = default;
  ~log_reader();

  bool is_open() const noexcept { return state_ != nullptr; }
  executor_type get_executor() const;

  /// The next chunk. Completion: void(std::error_code, log_entry); asio::error::eof at
  /// the end (without follow: the end of the file; with follow: the task has ended and
  /// its output is all read). Cancellation: terminal; the reader is closed. File reads
  /// run on berth's worker threads, never on the event loop.
  template <class CompletionToken>
  auto async_next(CompletionToken&& token) {
    return berth::detail::initiate<log_entry>(
        get_executor(), [s = state_] { return do_next(s); }, std::forward<CompletionToken>(token));
  }
  log_entry next(std::error_code& ec);
  /// Blocking; throws berth::error on failure, and at the end (asio::error::eof).
  log_entry next();

  void close() noexcept { state_.reset(); }

  /// For the operation that opens it.
  explicit log_reader(std::shared_ptr<detail::log_state> s) : state_(std::move(s)) {}

 private:
  static asio::awaitable<result<log_entry>> do_next(std::shared_ptr<detail::log_state> s);
  std::shared_ptr<detail::log_state> state_;
};

namespace op {

/// Starts a container's task (replacing a stopped one) with its stdio going to berth's
/// logger (log set) or nowhere (log unset; with neither, a container started earlier with
/// capture keeps its log settings from its labels). A running task is left as it is.
/// Completion value: the task's pid.
struct BERTH_API start_container {
  using result_type = std::uint32_t;
  std::string id{};
  std::optional<log_options> log{};
};

/// Opens a container's log. A container started without capture fails with
/// pull_errc::no_log_capture.
struct BERTH_API open_logs {
  using result_type = log_reader;
  std::string id{};
  log_read_options options{};
};

}  // namespace op

/// The logger program berth gives the shim: explicit (client_options::logger_path), else
/// $BERTH_CONTAINERD_LOGGER, else beside libberth-containerd. Empty when none is found.
BERTH_API std::string find_logger(const std::string& configured = {});

namespace detail {
BERTH_API asio::awaitable<result<std::uint32_t>> execute(std::shared_ptr<state> s, op::start_container o,
                                                         call_options opts);
BERTH_API asio::awaitable<result<log_reader>> execute(std::shared_ptr<state> s, op::open_logs o,
                                                      call_options opts);
}  // namespace detail

}  // namespace berth::containerd
