// berth-containerd-log: the logging program berth gives containerd's runc shim for the
// tasks whose output it captures (binary:// stdio). containerd keeps no logs of its own.
//
//   berth-containerd-log FILE [MAX_SIZE [MAX_FILES]]
//   berth-containerd-log log MAX_SIZE:MAX_FILES:FILE     (as the shim runs it: berth's
//                                                         binary:// URI has one query key)
//
// The shim starts it with the container's stdout on fd 3, its stderr on fd 4, and fd 5 to
// close once it is ready. Each read becomes one record of FILE:
//   [stream: 1 byte, 1 stdout / 2 stderr][time: 8 bytes, nanoseconds since the epoch,
//    little-endian][size: 4 bytes, little-endian][data]
// written with one write(2) on an O_APPEND file, so that a reader never sees half a record.
// With MAX_SIZE (bytes, > 0) the file is rotated before it would grow past it: FILE
// becomes FILE.1, FILE.1 becomes FILE.2, ..., keeping MAX_FILES files in all (FILE
// included; at least 1, default 1: the oldest records are dropped). It ends when both
// streams have ended. The container is never blocked by the log: when FILE cannot be
// written, the output is read and dropped.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

std::uint64_t parse_u64(const char* s) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(s, &end, 10);
  return end && *end == '\0' ? v : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string path = argv[1];
  std::uint64_t max_size = argc > 2 ? parse_u64(argv[2]) : 0;
  unsigned max_files = argc > 3 ? static_cast<unsigned>(parse_u64(argv[3])) : 1;
  if (path == "log" && argc == 3) {
    std::string spec = argv[2];
    auto a = spec.find(':');
    auto b = a == std::string::npos ? a : spec.find(':', a + 1);
    if (b == std::string::npos) return 2;
    max_size = parse_u64(spec.substr(0, a).c_str());
    max_files = static_cast<unsigned>(parse_u64(spec.substr(a + 1, b - a - 1).c_str()));
    path = spec.substr(b + 1);
  }
  if (max_files < 1) max_files = 1;
  // The shim's own signals are not ours to end on: the streams' ends are.
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  std::uint64_t size = 0;
  struct stat st {};
  if (out >= 0 && ::fstat(out, &st) == 0) size = static_cast<std::uint64_t>(st.st_size);
  ::close(5);  // ready
  pollfd fds[2] = {{3, POLLIN, 0}, {4, POLLIN, 0}};
  std::vector<char> buf(64 * 1024);
  int open_fds = 2;
  while (open_fds > 0) {
    int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      if (out < 0) continue;  // nowhere to log: drain, so that the container never blocks
      // With rotation a record never makes a file grow past max_size: a long read is
      // split into records that fit.
      std::size_t room = max_size > 13 ? static_cast<std::size_t>(max_size - 13) : static_cast<std::size_t>(got);
      std::string_view data(buf.data(), static_cast<std::size_t>(got));
      for (std::size_t at = 0; at < data.size();) {
        std::size_t piece = std::min(room, data.size() - at);
        const std::size_t total = 13 + piece;
        if (max_size > 0 && size > 0 && size + total > max_size) {
          ::close(out);
          if (max_files > 1) {
            for (unsigned k = max_files - 1; k >= 1; --k) {
              std::string from = k == 1 ? path : path + "." + std::to_string(k - 1);
              ::rename(from.c_str(), (path + "." + std::to_string(k)).c_str());
            }
          } else {
            ::unlink(path.c_str());
          }
          out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0640);
          size = 0;
          if (out < 0) break;
        }
        char head[13];
        head[0] = static_cast<char>(i + 1);
        std::int64_t nanos =
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        auto n32 = static_cast<std::uint32_t>(piece);
        std::memcpy(head + 1, &nanos, 8);
        std::memcpy(head + 9, &n32, 4);
        std::string record(head, 13);
        record.append(data.substr(at, piece));
        if (write_all(out, record.data(), record.size())) size += record.size();
        at += piece;
      }
    }
  }
  if (out >= 0) ::close(out);
  return 0;
}
