// Build contexts: .dockerignore matching (as Docker's patternmatcher) and a directory
// streamed as a tar archive, file data read chunk by chunk.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>

#include "berth/core/asio_compat.hpp"
#include "berth/core/offload.hpp"
#include "berth/io/tar.hpp"
#include <asio/use_awaitable.hpp>

#include "berth/engine/op/images.hpp"

namespace berth::engine {

// ---- .dockerignore -------------------------------------------------------------------

struct dockerignore::pattern {
  bool exclusion = false;
  std::regex re;
};

namespace {

/// filepath.Clean for '/'-separated relative patterns and paths.
std::string clean_path(std::string_view p) {
  bool rooted = !p.empty() && p.front() == '/';
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i <= p.size()) {
    std::size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view part = p.substr(i, j - i);
    if (part.empty() || part == ".") {
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!rooted) parts.emplace_back("..");
    } else {
      parts.emplace_back(part);
    }
    i = j + 1;
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  if (out.empty()) out = ".";
  return out;
}

std::string to_regex(std::string_view pat) {
  std::string re = "^";
  for (std::size_t i = 0; i < pat.size(); ++i) {
    char ch = pat[i];
    if (ch == '*') {
      if (i + 1 < pat.size() && pat[i + 1] == '*') {
        ++i;
        if (i + 1 < pat.size() && pat[i + 1] == '/') ++i;
        if (i + 1 >= pat.size()) re += ".*";
        else re += "(.*/)?";
      } else {
        re += "[^/]*";
      }
    } else if (ch == '?') {
      re += "[^/]";
    } else if (ch == '\\') {
      if (i + 1 < pat.size()) {
        char n = pat[++i];
        if (std::isalnum(static_cast<unsigned char>(n))) re += n;
        else (re += '\\') += n;
      } else {
        re += "\\\\";
      }
    } else if (ch == '[' || ch == ']') {
      re += ch;
    } else if (std::strchr(".+()|{}^$/", ch)) {
      (re += '\\') += ch;
    } else {
      re += ch;
    }
  }
  re += '$';
  return re;
}

}  // namespace

void dockerignore::add(std::string_view text) {
  std::string p(text);
  auto pat = std::make_shared<pattern>();
  if (!p.empty() && p.front() == '!') {
    pat->exclusion = true;
    p.erase(0, 1);
  }
  p = clean_path(p);
  if (p.size() > 1 && p.front() == '/') p.erase(0, 1);
  try {
    pat->re = std::regex(to_regex(p), std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    return;  // Docker refuses the file; berth ignores the one bad pattern.
  }
  patterns_.push_back(std::move(pat));
}

dockerignore dockerignore::parse(std::string_view text) {
  dockerignore d;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view line = text.substr(i, j - i);
    i = j + 1;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line == "!") continue;
    d.add(line);
  }
  return d;
}

bool dockerignore::has_exceptions() const noexcept {
  for (const auto& p : patterns_)
    if (p->exclusion) return true;
  return false;
}

bool dockerignore::excluded(std::string_view path_in) const {
  std::string path = clean_path(path_in);
  std::vector<std::string> parents;  // "a", "a/b", ... (not the path itself)
  for (std::size_t k = path.find('/'); k != std::string::npos; k = path.find('/', k + 1))
    parents.push_back(path.substr(0, k));
  bool matched = false;
  for (const auto& p : patterns_) {
    if (p->exclusion != matched) continue;
    bool m = std::regex_match(path, p->re);
    for (std::size_t k = 0; !m && k < parents.size(); ++k) m = std::regex_match(parents[k], p->re);
    if (m) matched = !p->exclusion;
  }
  return matched;
}

// ---- tar -----------------------------------------------------------------------------

namespace {

constexpr std::size_t block = io::tar_block;

/// Walks a context directory entry by entry (depth first), skipping what .dockerignore
/// excludes; only the stack of open directories is held.
class context_walker {
 public:
  context_walker(std::filesystem::path dir, const build_context_options& opts) : root_(std::move(dir)) {
    std::ifstream in(root_ / ".dockerignore", std::ios::binary);
    if (in) {
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      ignore_ = dockerignore::parse(text);
    }
    ignore_.add("!" + opts.dockerfile);
    ignore_.add("!.dockerignore");
    std::error_code ec;
    it_ = std::filesystem::recursive_directory_iterator(root_, ec);
    if (ec) error_ = ec;
  }

  struct entry {
    std::string header;
    std::filesystem::path file;  ///< A regular file whose data follows; empty otherwise.
    std::uint64_t size = 0;
  };

  /// The next entry; nullopt at the end (or on error(), set then).
  std::optional<entry> next() {
    std::error_code ec;
    while (!error_ && it_ != std::filesystem::recursive_directory_iterator()) {
      const auto& path = it_->path();
      std::string rel = path.lexically_relative(root_).generic_string();
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) {
        error_ = std::error_code(errno, std::generic_category());
        return std::nullopt;
      }
      bool is_dir = S_ISDIR(st.st_mode);
      bool skip = ignore_.excluded(rel);
      if (is_dir && skip && !ignore_.has_exceptions()) it_.disable_recursion_pending();
      std::optional<entry> out;
      if (!skip) {
        entry e;
        if (is_dir) {
          e.header = io::tar_entry_header(rel + "/", '5', st.st_mode, 0, st.st_mtime, {});
        } else if (S_ISREG(st.st_mode)) {
          e.header = io::tar_entry_header(rel, '0', st.st_mode, static_cast<std::uint64_t>(st.st_size), st.st_mtime, {});
          e.file = path;
          e.size = static_cast<std::uint64_t>(st.st_size);
        } else if (S_ISLNK(st.st_mode)) {
          std::string target(4096, '\0');
          ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
          if (n < 0) {
            error_ = std::error_code(errno, std::generic_category());
            return std::nullopt;
          }
          target.resize(static_cast<std::size_t>(n));
          e.header = io::tar_entry_header(rel, '2', st.st_mode, 0, st.st_mtime, target);
        }
        if (!e.header.empty()) out = std::move(e);
      }
      it_.increment(ec);
      if (ec) error_ = ec;
      if (out) return out;
    }
    return std::nullopt;
  }

  std::error_code error() const { return error_; }

 private:
  std::filesystem::path root_;
  dockerignore ignore_;
  std::filesystem::recursive_directory_iterator it_;
  std::error_code error_;
};


}  // namespace

result<std::uint64_t> write_context_tar(const std::filesystem::path& dir, const build_context_options& opts,
                                        const std::function<std::error_code(std::string_view)>& sink) {
  context_walker walker(dir, opts);
  std::uint64_t total = 0;
  std::vector<char> buf(std::max<std::size_t>(opts.chunk_bytes, block));
  auto emit = [&](std::string_view piece) -> std::error_code {
    total += piece.size();
    return sink(piece);
  };
  while (auto e = walker.next()) {
    if (auto ec = emit(e->header)) return unexpected(ec);
    if (e->file.empty()) continue;
    std::ifstream in(e->file, std::ios::binary);
    if (!in) return unexpected(std::make_error_code(std::errc::permission_denied));
    std::uint64_t left = e->size;
    while (left > 0) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
      in.read(buf.data(), static_cast<std::streamsize>(want));
      auto got = static_cast<std::size_t>(in.gcount());
      if (got == 0) std::memset(buf.data(), 0, want), got = want;  // file shrank: pad with zeros
      left -= got;
      if (auto ec = emit(std::string_view(buf.data(), got))) return unexpected(ec);
    }
    std::size_t pad = io::tar_padding(e->size);
    if (pad) {
      static const char zeros[block] = {};
      if (auto ec = emit(std::string_view(zeros, pad))) return unexpected(ec);
    }
  }
  if (walker.error()) return unexpected(walker.error());
  static const char trailer[2 * block] = {};
  if (auto ec = emit(std::string_view(trailer, sizeof trailer))) return unexpected(ec);
  return total;
}

namespace detail {

asio::awaitable<result<std::uint64_t>> write_build_context_async(
    std::shared_ptr<http::request_writer> upload, std::filesystem::path dir, build_context_options opts) {
  if (!upload) co_return unexpected(errc::stream_closed);
  // Everything that touches the file system (the walk, .dockerignore, file reads) runs on
  // berth's worker threads (offload); this coroutine only sends, on the event loop. The
  // walker, file and buffer are shared with the worker, which may outlive this frame.
  struct source {
    source(std::filesystem::path d, const build_context_options& o) : walker(std::move(d), o) {}
    context_walker walker;
    std::ifstream in;
    std::vector<char> buf;
  };
  // (Each job is named before it is awaited: GCC 12 destroys a temporary with a
  // non-trivial destructor twice when it sits in a co_await full-expression.)
  auto open_walk = [dir = std::move(dir), opts] {
    auto p = std::make_shared<source>(dir, opts);
    p->buf.resize(std::max<std::size_t>(opts.chunk_bytes, block));
    return p;
  };
  auto src = co_await berth::detail::offload(std::move(open_walk));
  std::uint64_t total = 0;
  static const char zeros[2 * block] = {};
  for (;;) {
    auto next_entry = [src] { return src->walker.next(); };
    auto e = co_await berth::detail::offload(std::move(next_entry));
    if (!e) break;
    auto [ec, n] = co_await upload->async_write(asio::buffer(e->header), tuple_awaitable);
    if (ec) co_return unexpected(ec);
    total += e->header.size();
    if (e->file.empty()) continue;
    auto open_file = [src, file = e->file] {
      src->in = std::ifstream(file, std::ios::binary);
      return static_cast<bool>(src->in);
    };
    bool opened = co_await berth::detail::offload(std::move(open_file));
    if (!opened) co_return unexpected(std::make_error_code(std::errc::permission_denied));
    std::uint64_t left = e->size;
    while (left > 0) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, src->buf.size()));
      auto read_chunk = [src, want] {
        src->in.read(src->buf.data(), static_cast<std::streamsize>(want));
        auto n = static_cast<std::size_t>(src->in.gcount());
        if (n == 0) std::memset(src->buf.data(), 0, want), n = want;  // file shrank: zeros
        return n;
      };
      std::size_t got = co_await berth::detail::offload(std::move(read_chunk));
      left -= got;
      auto [ec2, n2] = co_await upload->async_write(asio::buffer(src->buf.data(), got), tuple_awaitable);
      if (ec2) co_return unexpected(ec2);
      total += got;
    }
    std::size_t pad = io::tar_padding(e->size);
    if (pad) {
      auto [ec3, n3] = co_await upload->async_write(asio::buffer(zeros, pad), tuple_awaitable);
      if (ec3) co_return unexpected(ec3);
      total += pad;
    }
  }
  if (src->walker.error()) co_return unexpected(src->walker.error());
  auto [ec4, n4] = co_await upload->async_write(asio::buffer(zeros, sizeof zeros), tuple_awaitable);
  if (ec4) co_return unexpected(ec4);
  co_return total + sizeof zeros;
}

}  // namespace detail

std::uint64_t write_build_context(build_upload& upload, const std::filesystem::path& dir,
                                  std::error_code& ec, build_context_options opts) {
  auto r = write_context_tar(dir, opts, [&](std::string_view piece) {
    std::error_code wec;
    upload.write(asio::buffer(piece.data(), piece.size()), wec);
    return wec;
  });
  return value_or_set(std::move(r), ec);
}

std::uint64_t write_build_context(build_upload& upload, const std::filesystem::path& dir,
                                  build_context_options opts) {
  return or_throw([&](std::error_code& ec) { return write_build_context(upload, dir, ec, opts); });
}

}  // namespace berth::engine
