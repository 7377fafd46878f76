#include "output.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <algorithm>

#include <sys/ioctl.h>
#include <unistd.h>

namespace berth::cli {

bool write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_json_array(int fd, const std::vector<std::string>& items) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ",\n" : "\n") + items[i];
  s += items.empty() ? "]\n" : "\n]\n";
  return write_all(fd, s);
}

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

void progress_view::update(const std::string& id, const std::string& status,
                           std::optional<std::int64_t> current, std::optional<std::int64_t> total) {
  if (!terminal_) {
    // Plain: a line per status change, none for intermediate progress.
    for (auto& l : lines_)
      if (!id.empty() && l.id == id) {
        if (l.status == status) return;
        l.status = status;
        write_all(fd_, id + ": " + status + "\n");
        return;
      }
    if (!id.empty()) lines_.push_back({id, status, current, total});
    write_all(fd_, (id.empty() ? status : id + ": " + status) + "\n");
    return;
  }
  if (id.empty()) {
    write_all(fd_, status + "\n");
    lines_.clear();  // lines above a general status are not redrawn any more
    return;
  }
  for (std::size_t i = 0; i < lines_.size(); ++i)
    if (lines_[i].id == id) {
      lines_[i].status = status;
      lines_[i].current = current;
      lines_[i].total = total;
      redraw(i);
      return;
    }
  lines_.push_back({id, status, current, total});
  write_all(fd_, "\n");
  redraw(lines_.size() - 1);
}

void progress_view::redraw(std::size_t index) {
  const line& l = lines_[index];
  std::string s = l.id + ": " + l.status;
  if (l.current && l.total && *l.total > 0) {
    constexpr int width = 40;
    auto done = static_cast<int>(std::min<std::int64_t>(*l.current, *l.total) * width / *l.total);
    s += " [" + std::string(static_cast<std::size_t>(done), '=') + (done < width ? ">" : "") +
         std::string(static_cast<std::size_t>(width - done - (done < width ? 1 : 0)), ' ') + "] " +
         human_size(*l.current) + "/" + human_size(*l.total);
  }
  std::size_t up = lines_.size() - index;  // the cursor sits below the last line
  std::string out = "\x1b[" + std::to_string(up) + "A\r\x1b[2K" + s + "\r\x1b[" + std::to_string(up) + "B";
  write_all(fd_, out);
}

void progress_view::text(std::string_view s) {
  lines_.clear();
  write_all(fd_, s);
}

namespace {
termios* saved_for_exit = nullptr;
int saved_fd = -1;
void restore_at_exit() {
  if (saved_for_exit) ::tcsetattr(saved_fd, TCSANOW, saved_for_exit);
}
}  // namespace

raw_terminal::raw_terminal(int fd) : fd_(fd) {
  if (!is_terminal(fd) || ::tcgetattr(fd, &saved_) != 0) return;
  termios raw = saved_;
  ::cfmakeraw(&raw);
  if (::tcsetattr(fd, TCSANOW, &raw) != 0) return;
  active_ = true;
  static termios keep;
  keep = saved_;
  saved_for_exit = &keep;
  saved_fd = fd;
  static bool registered = false;
  if (!registered) {
    std::atexit(restore_at_exit);
    registered = true;
  }
}

raw_terminal::~raw_terminal() {
  if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  saved_for_exit = nullptr;
}

std::optional<std::pair<int, int>> terminal_size(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0) return std::nullopt;
  return std::pair<int, int>{ws.ws_row, ws.ws_col};
}

std::string human_size(std::int64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%lldB", static_cast<long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.3g%s", v, units[u]);
  return buf;
}

std::string human_age(std::int64_t unix_seconds) {
  std::int64_t d = static_cast<std::int64_t>(std::time(nullptr)) - unix_seconds;
  if (d < 0) d = 0;
  auto plural = [](std::int64_t n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s") + " ago";
  };
  if (d < 60) return plural(d, "second");
  if (d < 3600) return plural(d / 60, "minute");
  if (d < 86400) return plural(d / 3600, "hour");
  return plural(d / 86400, "day");
}

std::string column(std::string_view s, std::size_t width) {
  std::string out(s);
  out.resize(std::max(width, out.size() + 2), ' ');
  return out;
}

}  // namespace berth::cli
