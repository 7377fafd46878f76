// Log capture (start_container with berth's logger) and log reading (log_reader) on
// containerd; see berth/containerd/logs.hpp. The file format is the logger's
// (containerd/tools/logger.cpp): records of [stream:1][nanos:8][size:4][data].
#include "berth/containerd/logs.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>

#include <asio/steady_timer.hpp>

#include "berth/containerd/error.hpp"
#include "berth/containerd/manage.hpp"
#include "berth/core/asio_compat.hpp"
#include "berth/core/offload.hpp"
#include "berth/http/request.hpp"
#include "berth_config.hpp"
#include "state.hpp"

namespace berth::containerd {

namespace {

constexpr std::size_t header_size = 13;
constexpr std::uint32_t max_record = 1u << 20;  // the logger writes at most 64 KiB a record

bool executable(const std::filesystem::path& p) { return ::access(p.c_str(), X_OK) == 0; }

/// Percent-encoding for the binary:// URI (containerd parses it with Go's url package).
std::string url_escape(std::string_view s, bool path) { return http::url_encode(s, path ? "/" : ""); }

std::uint64_t label_u64(const labels& l, const char* key, std::uint64_t fallback) {
  auto it = l.find(key);
  if (it == l.end()) return fallback;
  char* end = nullptr;
  unsigned long long v = std::strtoull(it->second.c_str(), &end, 10);
  return end && *end == '\0' ? v : fallback;
}

}  // namespace

std::string find_logger(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* e = std::getenv("BERTH_CONTAINERD_LOGGER"); e && *e) return e;
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&find_logger), &info) != 0 && info.dli_fname) {
    std::error_code ec;
    auto lib = std::filesystem::canonical(info.dli_fname, ec);
    if (!ec) {
      auto dir = lib.parent_path();
      for (const auto& candidate :
           {dir / "berth-containerd-log", dir / "containerd" / "berth-containerd-log",
            dir / BERTH_LIBEXEC_FROM_LIBDIR / "berth-containerd-log"})
        if (executable(candidate)) return candidate.lexically_normal().string();
    }
  }
  std::filesystem::path installed = BERTH_LOGGER_INSTALL_PATH;
  if (executable(installed)) return installed.string();
  return {};
}

// ---- log_reader ------------------------------------------------------------------------

namespace detail {

struct log_state {
  std::shared_ptr<state> s;
  std::string id;
  std::string path;
  unsigned max_files = 1;
  log_read_options opts;
  asio::any_io_executor ex;
  // The files still to read, oldest first, and the one being read.
  std::deque<std::string> files;
  int fd = -1;
  ino_t ino = 0;
  std::uint64_t offset = 0;
  // tail: where output starts (the file, the record, the byte within it).
  bool started = false;
  std::size_t skip_files = 0;
  std::uint64_t skip_offset = 0;
  std::uint32_t skip_bytes = 0;
  bool finished = false;

  ~log_state() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

struct raw_record {
  bool complete = false;
  output stream = output::stdout_stream;
  std::int64_t nanos = 0;
  std::string data;
  std::uint64_t next = 0;
};

bool pread_all(int fd, char* p, std::size_t n, std::uint64_t at) {
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(at));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
    at += static_cast<std::uint64_t>(r);
  }
  return true;
}

/// The record of fd at offset, when it is all there.
raw_record read_record(int fd, std::uint64_t offset) {
  raw_record r;
  char head[header_size];
  if (!pread_all(fd, head, header_size, offset)) return r;
  std::uint32_t size;
  std::memcpy(&r.nanos, head + 1, 8);
  std::memcpy(&size, head + 9, 4);
  if (size > max_record) return r;  // not a record: treat as the end
  r.stream = head[0] == 2 ? output::stderr_stream : output::stdout_stream;
  r.data.resize(size);
  if (size && !pread_all(fd, r.data.data(), size, offset + header_size)) return r;
  r.complete = true;
  r.next = offset + header_size + size;
  return r;
}

std::deque<std::string> log_files(const std::string& path, unsigned max_files) {
  std::deque<std::string> files;
  for (unsigned k = max_files; k-- > 1;) {
    std::string p = path + "." + std::to_string(k);
    if (::access(p.c_str(), R_OK) == 0) files.push_back(p);
  }
  files.push_back(path);
  return files;
}

/// Finds where the last n lines start: counts newlines from the end, file by file.
void find_tail(log_state& st, std::size_t n) {
  struct place {
    std::size_t file;
    std::uint64_t offset;
    std::uint32_t size;
    std::size_t newlines;
  };
  std::vector<place> index;  // every record: where it is and how many newlines it holds
  for (std::size_t f = 0; f < st.files.size(); ++f) {
    int fd = ::open(st.files[f].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    for (std::uint64_t off = 0;;) {
      auto r = read_record(fd, off);
      if (!r.complete) break;
      std::size_t nl = static_cast<std::size_t>(std::count(r.data.begin(), r.data.end(), '\n'));
      index.push_back({f, off, static_cast<std::uint32_t>(r.data.size()), nl});
      off = r.next;
    }
    ::close(fd);
  }
  if (n == 0) {  // nothing of the past: start at the end
    st.skip_files = st.files.size() - 1;
    int fd = ::open(st.files.back().c_str(), O_RDONLY | O_CLOEXEC);
    st.skip_offset = 0;
    if (fd >= 0) {
      for (std::uint64_t off = 0;;) {
        auto r = read_record(fd, off);
        if (!r.complete) break;
        off = st.skip_offset = r.next;
      }
      ::close(fd);
    }
    return;
  }
  // Walk back: the n-th newline from the end ends the line before the tail (a final line
  // without a newline counts as a line).
  std::size_t seen = 0;
  bool trailing_partial = !index.empty();
  if (!index.empty()) {
    // Whether the very last byte is a newline decides if the last line is partial.
    int fd = ::open(st.files[index.back().file].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      auto r = read_record(fd, index.back().offset);
      trailing_partial = r.complete && !r.data.empty() && r.data.back() != '\n';
      ::close(fd);
    }
  }
  std::size_t want = trailing_partial ? n - 1 : n;  // newlines to pass, from the end
  for (std::size_t i = index.size(); i-- > 0;) {
    const auto& p = index[i];
    if (seen + p.newlines > want) {
      // The start is inside this record: after its (newlines - (want - seen))-th newline.
      int fd = ::open(st.files[p.file].c_str(), O_RDONLY | O_CLOEXEC);
      std::uint32_t cut = 0;
      if (fd >= 0) {
        auto r = read_record(fd, p.offset);
        ::close(fd);
        std::size_t pass = p.newlines - (want - seen);
        for (std::uint32_t b = 0; b < r.data.size() && pass > 0; ++b)
          if (r.data[b] == '\n' && --pass == 0) cut = b + 1;
      }
      st.skip_files = p.file;
      st.skip_offset = p.offset;
      st.skip_bytes = cut;
      return;
    }
    seen += p.newlines;
  }
  st.skip_files = 0;  // fewer lines than asked: all of it
}

/// The next complete record the reader should hand out, or none (at the current end).
/// Runs on a worker thread.
std::optional<log_entry> next_record(log_state& st) {
  if (!st.started) {
    st.started = true;
    st.files = log_files(st.path, st.max_files);
    if (st.opts.tail) {
      find_tail(st, *st.opts.tail);
      for (std::size_t k = 0; k < st.skip_files && st.files.size() > 1; ++k) st.files.pop_front();
      st.offset = st.skip_offset;
    }
  }
  for (;;) {
    if (st.fd < 0) {
      if (st.files.empty()) return std::nullopt;
      st.fd = ::open(st.files.front().c_str(), O_RDONLY | O_CLOEXEC);
      if (st.fd < 0) {
        if (st.files.size() == 1) return std::nullopt;  // not created yet: later
        st.files.pop_front();
        st.offset = 0;
        continue;
      }
      struct stat sb {};
      ::fstat(st.fd, &sb);
      st.ino = sb.st_ino;
    }
    auto r = read_record(st.fd, st.offset);
    if (r.complete) {
      st.offset = r.next;
      if (st.skip_bytes) {
        r.data.erase(0, st.skip_bytes);
        st.skip_bytes = 0;
        if (r.data.empty()) continue;
      }
      auto time = time_point(std::chrono::duration_cast<time_point::duration>(std::chrono::nanoseconds(r.nanos)));
      if (st.opts.since && time < *st.opts.since) continue;
      return log_entry{r.stream, time, std::move(r.data)};
    }
    // The end of this file for now. An older file is done; the newest may have been
    // rotated (its name now points at a new file) or may grow.
    if (st.files.size() > 1) {
      ::close(st.fd);
      st.fd = -1;
      st.files.pop_front();
      st.offset = 0;
      continue;
    }
    struct stat sb {};
    if (::stat(st.files.front().c_str(), &sb) == 0 && sb.st_ino != st.ino) {
      ::close(st.fd);  // rotated away, and read to its end
      st.fd = -1;
      st.offset = 0;
      continue;
    }
    return std::nullopt;
  }
}

}  // namespace
}  // namespace detail

log_reader::~log_reader() = default;

log_reader::executor_type log_reader::get_executor() const {
  return state_ ? state_->ex : executor_type();
}

asio::awaitable<result<log_entry>> log_reader::do_next(std::shared_ptr<detail::log_state> s) {
  if (!s) co_return unexpected(berth::errc::stream_closed);
  for (;;) {
    if (s->finished) co_return unexpected(asio::error::eof);
    auto read = [s] { return detail::next_record(*s); };
    auto e = co_await berth::detail::offload(std::move(read));
    if (e) co_return std::move(*e);
    if (!s->opts.follow) {
      s->finished = true;
      co_return unexpected(asio::error::eof);
    }
    // Following: the end comes when the task has ended and everything it wrote is read
    // (checked again after the task is seen stopped: the logger may still be writing).
    op::task_get get{s->id, {}};
    auto t = co_await detail::execute(s->s, std::move(get), call_options{});
    bool ended = !t || t->status == process_status::stopped;
    if (ended) {
      auto last = [s] { return detail::next_record(*s); };
      auto tail = co_await berth::detail::offload(std::move(last));
      if (tail) co_return std::move(*tail);
      s->finished = true;
      co_return unexpected(asio::error::eof);
    }
    asio::steady_timer timer(s->ex, s->opts.poll);
    auto [ec] = co_await timer.async_wait(berth::tuple_awaitable);
    if (ec) co_return unexpected(berth::errc::cancelled);
  }
}

log_entry log_reader::next(std::error_code& ec) {
  if (!state_) {
    ec = make_error_code(berth::errc::stream_closed);
    return {};
  }
  auto r = state_->s->host->run<log_entry>([&](auto h) { async_next(std::move(h)); });
  return value_or_set(std::move(r), ec);
}

log_entry log_reader::next() {
  return or_throw([&](std::error_code& ec) { return next(ec); });
}

// ---- the operations ------------------------------------------------------------------------

namespace detail {

std::vector<std::string> log_files_of(const labels& l) {
  std::vector<std::string> out;
  auto it = l.find(log_path_label);
  if (it == l.end() || it->second.empty()) return out;
  out.push_back(it->second);
  auto n = static_cast<unsigned>(label_u64(l, log_max_files_label, 1));
  for (unsigned k = 1; k < n; ++k) out.push_back(it->second + "." + std::to_string(k));
  return out;
}

asio::awaitable<std::vector<std::string>> remove_log_files(labels l) {
  auto files = log_files_of(l);
  if (files.empty()) co_return files;
  auto remove = [files] {
    std::vector<std::string> gone;
    for (const auto& f : files)
      if (::unlink(f.c_str()) == 0) gone.push_back(f);
    return gone;
  };
  co_return co_await berth::detail::offload(std::move(remove));
}

asio::awaitable<result<std::uint32_t>> execute(std::shared_ptr<state> s, op::start_container o,
                                               call_options opts) {
  op::inspect_container ic{o.id};
  auto v = co_await execute(s, std::move(ic), opts);
  if (!v) co_return unexpected(v.error());
  container* c = &v->record;
  const auto& t = v->task;
  if (t && t->status != process_status::stopped) {
    if (t->status == process_status::created) {
      op::task_start start{o.id, {}};
      co_return co_await execute(s, std::move(start), opts);
    }
    co_return t->pid;  // running or paused: left as it is
  }
  if (t) {
    op::task_delete del{o.id};
    auto d = co_await execute(s, std::move(del), opts);
    if (!d && !is_not_found(d.error())) co_return unexpected(d.error());
  }
  // The log settings: given now (and remembered in the labels), or remembered.
  std::optional<log_options> log = o.log;
  if (log) {
    c->labels[log_path_label] = log->path;
    c->labels[log_max_size_label] = std::to_string(log->max_size);
    c->labels[log_max_files_label] = std::to_string(log->max_files);
    op::container_update upd{*c, {"labels"}};
    auto u = co_await execute(s, std::move(upd), opts);
    if (!u) co_return unexpected(u.error());
  } else if (auto it = c->labels.find(log_path_label); it != c->labels.end()) {
    log = log_options{it->second, label_u64(c->labels, log_max_size_label, 0),
                      static_cast<unsigned>(label_u64(c->labels, log_max_files_label, 1))};
  }
  std::string stdio;
  if (log) {
    std::string logger = find_logger(s->logger_path);
    if (logger.empty()) co_return unexpected(pull_errc::logger_not_found);
    // Go's url.Query() gives the shim one key and its value as the logger's two arguments.
    std::string spec = std::to_string(log->max_size) + ":" + std::to_string(log->max_files) + ":" + log->path;
    stdio = "binary://" + url_escape(logger, true) + "?log=" + url_escape(spec, false);
  }
  const bool terminal = v->settings.terminal;
  op::snapshot_mounts sm{c->snapshotter.empty() ? std::string("overlayfs") : c->snapshotter, c->snapshot_key};
  auto rootfs = co_await execute(s, std::move(sm), opts);
  if (!rootfs) co_return unexpected(rootfs.error());
  op::task_create create{.container_id = o.id, .rootfs = std::move(*rootfs), .stdout_path = stdio,
                         .stderr_path = stdio, .terminal = terminal};
  auto made = co_await execute(s, std::move(create), opts);
  if (!made) co_return unexpected(made.error());
  op::task_start start{o.id, {}};
  auto pid = co_await execute(s, std::move(start), opts);
  if (!pid) {
    op::task_delete del{o.id};
    (void)co_await execute(s, std::move(del), call_options{});
  }
  co_return pid;
}

asio::awaitable<result<log_reader>> execute(std::shared_ptr<state> s, op::open_logs o, call_options opts) {
  op::container_get cget{o.id};
  auto c = co_await execute(s, std::move(cget), opts);
  if (!c) co_return unexpected(c.error());
  auto it = c->labels.find(log_path_label);
  if (it == c->labels.end()) co_return unexpected(pull_errc::no_log_capture);
  auto st = std::make_shared<log_state>();
  st->s = s;
  st->id = o.id;
  st->path = it->second;
  st->max_files = static_cast<unsigned>(label_u64(c->labels, log_max_files_label, 1));
  if (st->max_files < 1) st->max_files = 1;
  st->opts = o.options;
  st->ex = s->executor();
  co_return log_reader(std::move(st));
}

}  // namespace detail
}  // namespace berth::containerd
