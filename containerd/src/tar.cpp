#include "tar.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "berth/containerd/error.hpp"

namespace berth::containerd::detail {
namespace {

std::string_view field(const unsigned char* p, std::size_t n) {
  const char* c = reinterpret_cast<const char*>(p);
  std::size_t len = 0;
  while (len < n && c[len] != '\0') ++len;
  return {c, len};
}

/// An octal number (space or NUL padded), or GNU base-256 when the high bit is set.
bool parse_number(const unsigned char* p, std::size_t n, std::int64_t& out) {
  out = 0;
  if (n == 0) return true;
  if (p[0] & 0x80) {
    if (p[0] == 0xff) return false;  // negative
    std::uint64_t v = p[0] & 0x7f;
    for (std::size_t i = 1; i < n; ++i) {
      if (v >> 55) return false;
      v = (v << 8) | p[i];
    }
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return false;
    out = static_cast<std::int64_t>(v);
    return true;
  }
  std::size_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == '\0')) ++i;
  std::uint64_t v = 0;
  for (; i < n; ++i) {
    if (p[i] == ' ' || p[i] == '\0') break;
    if (p[i] < '0' || p[i] > '7') return false;
    if (v >> 60) return false;
    v = v * 8 + static_cast<unsigned>(p[i] - '0');
  }
  for (; i < n; ++i)
    if (p[i] != ' ' && p[i] != '\0') return false;
  out = static_cast<std::int64_t>(v);
  return true;
}

/// pax records "LEN key=value\n": the keys berth uses (path, linkpath, size).
bool parse_pax(std::string_view data, std::optional<std::string>& path, std::optional<std::string>& link,
               std::optional<std::int64_t>& size) {
  while (!data.empty()) {
    std::size_t sp = data.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp > 20) return false;
    std::uint64_t len = 0;
    for (std::size_t i = 0; i < sp; ++i) {
      if (data[i] < '0' || data[i] > '9') return false;
      len = len * 10 + static_cast<unsigned>(data[i] - '0');
    }
    if (len <= sp + 1 || len > data.size() || data[len - 1] != '\n') return false;
    std::string_view rec = data.substr(sp + 1, len - sp - 2);
    data.remove_prefix(len);
    std::size_t eq = rec.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view k = rec.substr(0, eq), v = rec.substr(eq + 1);
    if (k == "path") {
      path = std::string(v);
    } else if (k == "linkpath") {
      link = std::string(v);
    } else if (k == "size") {
      std::int64_t s = 0;
      if (v.empty() || v.size() > 18) return false;
      for (char c : v) {
        if (c < '0' || c > '9') return false;
        s = s * 10 + (c - '0');
      }
      size = s;
    }
  }
  return true;
}

}  // namespace

std::string normalize_tar_path(std::string_view p) {
  std::vector<std::string_view> parts;
  while (!p.empty()) {
    std::size_t slash = p.find('/');
    std::string_view part = p.substr(0, slash);
    p = slash == std::string_view::npos ? std::string_view() : p.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (auto part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

result<void> parse_tar_header(const unsigned char (&b)[512], tar_entry& e, char& typeflag) {
  std::int64_t sum = 0;
  if (!parse_number(b + 148, 8, sum)) return unexpected(pull_errc::bad_archive);
  std::int64_t usum = 0, ssum = 0;
  for (std::size_t i = 0; i < 512; ++i) {
    unsigned char c = (i >= 148 && i < 156) ? ' ' : b[i];
    usum += c;
    ssum += static_cast<signed char>(c);
  }
  if (sum != usum && sum != ssum) return unexpected(pull_errc::bad_archive);
  if (!parse_number(b + 124, 12, e.size) || e.size < 0) return unexpected(pull_errc::bad_archive);
  typeflag = static_cast<char>(b[156]);
  std::string name(field(b, 100));
  std::string_view magic(reinterpret_cast<const char*>(b + 257), 6);
  if (magic == std::string_view("ustar\0", 6)) {
    auto prefix = field(b + 345, 155);
    if (!prefix.empty()) name = std::string(prefix) + "/" + name;
  }
  e.path = std::move(name);
  e.link = std::string(field(b + 157, 100));
  switch (typeflag) {
    case '0': case '\0': case '7': e.kind = tar_entry::file; break;
    case '1': e.kind = tar_entry::hardlink; break;
    case '2': e.kind = tar_entry::symlink; break;
    case '5': e.kind = tar_entry::directory; break;
    default: e.kind = tar_entry::other; break;
  }
  return {};
}

result<bool> tar_reader::fill(char* buf, std::size_t n, bool eof_ok) {
  std::size_t got = 0;
  while (got < n) {
    std::error_code ec;
    std::size_t k = src_(buf + got, n - got, ec);
    if (ec) return unexpected(ec);
    if (k == 0) {
      if (eof_ok && got == 0) return false;
      return unexpected(pull_errc::bad_archive);  // truncated
    }
    got += k;
    offset_ += k;
  }
  return true;
}

result<void> tar_reader::skip(std::uint64_t n) {
  char buf[16 * 1024];
  while (n > 0) {
    std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, sizeof buf));
    auto r = fill(buf, k, false);
    if (!r) return unexpected(r.error());
    n -= k;
  }
  return {};
}

result<std::optional<tar_entry>> tar_reader::next() {
  if (done_) return std::optional<tar_entry>{};
  if (auto r = skip(static_cast<std::uint64_t>(left_ + padding_)); !r) return unexpected(r.error());
  left_ = padding_ = 0;
  std::optional<std::string> long_name, long_link, pax_path, pax_link;
  std::optional<std::int64_t> pax_size;
  for (;;) {
    unsigned char block[512];
    auto got = fill(reinterpret_cast<char*>(block), sizeof block, true);
    if (!got) return unexpected(got.error());
    if (!*got || std::all_of(block, block + 512, [](unsigned char c) { return c == 0; })) {
      // End of archive. Pending extensions without an entry mean a cut archive.
      done_ = true;
      if (long_name || long_link || pax_path || pax_link || pax_size) return unexpected(pull_errc::bad_archive);
      return std::optional<tar_entry>{};
    }
    tar_entry e;
    char type = 0;
    if (auto r = parse_tar_header(block, e, type); !r) return unexpected(r.error());
    std::int64_t pad = (512 - e.size % 512) % 512;
    if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
      if (e.size > static_cast<std::int64_t>(max_extension)) return unexpected(pull_errc::bad_archive);
      std::string data(static_cast<std::size_t>(e.size), '\0');
      if (auto r = fill(data.data(), data.size(), false); !r) return unexpected(r.error());
      if (auto r = skip(static_cast<std::uint64_t>(pad)); !r) return unexpected(r.error());
      if (type == 'L' || type == 'K') {
        if (auto z = data.find('\0'); z != std::string::npos) data.resize(z);
        (type == 'L' ? long_name : long_link) = std::move(data);
      } else if (type == 'x') {
        if (!parse_pax(data, pax_path, pax_link, pax_size)) return unexpected(pull_errc::bad_archive);
      }
      continue;
    }
    if (long_name) e.path = std::move(*long_name);
    if (long_link) e.link = std::move(*long_link);
    if (pax_path) e.path = std::move(*pax_path);
    if (pax_link) e.link = std::move(*pax_link);
    if (pax_size) {
      e.size = *pax_size;
      pad = (512 - e.size % 512) % 512;
    }
    e.path = normalize_tar_path(e.path);
    left_ = e.size;
    padding_ = pad;
    if (e.kind != tar_entry::file) {
      // Their data (normally none) is not handed out: next() skips it.
      padding_ += left_;
      left_ = 0;
      e.size = 0;
    }
    return std::optional<tar_entry>{std::move(e)};
  }
}

result<std::size_t> tar_reader::read(char* buf, std::size_t n) {
  if (left_ == 0 || n == 0) return std::size_t{0};
  n = static_cast<std::size_t>(std::min<std::int64_t>(left_, static_cast<std::int64_t>(n)));
  std::error_code ec;
  std::size_t k = src_(buf, n, ec);
  if (ec) return unexpected(ec);
  if (k == 0) return unexpected(pull_errc::bad_archive);  // truncated inside the entry
  offset_ += k;
  left_ -= static_cast<std::int64_t>(k);
  return k;
}

}  // namespace berth::containerd::detail
