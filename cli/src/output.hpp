// Output helpers of the berth command: byte-exact writes to file descriptors, progress
// display (bars on a terminal, plain lines otherwise), the terminal's raw mode and size,
// and the little formatting the listings need.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <termios.h>

namespace berth::cli {

/// Writes all of data to fd (retrying short writes and EINTR). false when the fd is gone
/// (EPIPE, ...).
bool write_all(int fd, const void* data, std::size_t size);
inline bool write_all(int fd, std::string_view s) { return write_all(fd, s.data(), s.size()); }
/// Writes JSON documents as one array, one element a line, as docker inspect prints them.
bool write_json_array(int fd, const std::vector<std::string>& items);

/// Whether fd is a terminal.
bool is_terminal(int fd);

/// Progress of pull, push, load and build. On a terminal, one line per layer id redrawn in
/// place with a bar; otherwise one plain line per status change (intermediate progress
/// updates are not printed).
class progress_view {
 public:
  progress_view(int fd, bool terminal) : fd_(fd), terminal_(terminal) {}
  /// A record about layer `id` (empty: a general status line).
  void update(const std::string& id, const std::string& status, std::optional<std::int64_t> current,
              std::optional<std::int64_t> total);
  /// Free text (build output): written as is.
  void text(std::string_view s);

 private:
  void redraw(std::size_t index);
  int fd_;
  bool terminal_;
  struct line {
    std::string id, status;
    std::optional<std::int64_t> current, total;
  };
  std::vector<line> lines_;
};

/// Puts a terminal into raw mode for the object's lifetime (and restores it at exit and on
/// fatal signals).
class raw_terminal {
 public:
  explicit raw_terminal(int fd);
  ~raw_terminal();
  raw_terminal(const raw_terminal&) = delete;
  raw_terminal& operator=(const raw_terminal&) = delete;
  bool active() const noexcept { return active_; }

 private:
  int fd_;
  bool active_ = false;
  termios saved_{};
};

/// The terminal's size as (rows, columns), when fd is a terminal.
std::optional<std::pair<int, int>> terminal_size(int fd);

/// 1.98MB, 512kB, 10B (decimal units, as docker prints).
std::string human_size(std::int64_t bytes);
/// "3 seconds ago", "2 hours ago" from a UNIX time.
std::string human_age(std::int64_t unix_seconds);
/// Pads s to width, keeping at least two spaces after it (for table columns).
std::string column(std::string_view s, std::size_t width);

}  // namespace berth::cli
