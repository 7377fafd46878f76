#include "berth/io/json_lines.hpp"

#include <algorithm>
#include <cstring>

namespace berth::io {
namespace {

bool is_blank(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
  });
}

std::string_view strip_cr(std::string_view s) noexcept {
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

}  // namespace

json_lines::json_lines(std::size_t max_line) : max_line_(max_line) {}

bool json_lines::append(std::string_view bytes) {
  if (bytes.size() > max_line_ - size_) return false;
  const std::size_t need = size_ + bytes.size();
  if (need > capacity_) {
    // Grow geometrically, but never past max_line_.
    const std::size_t capacity = std::min(max_line_, std::max({need, 2 * capacity_, std::size_t{256}}));
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_ != 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    capacity_ = capacity;
  }
  if (!bytes.empty()) std::memcpy(data_.get() + size_, bytes.data(), bytes.size());
  size_ = need;
  return true;
}

// Buffers the tail of a line whose '\n' has not arrived. A final '\r' is held back: it is
// stripped if '\n' comes next.
bool json_lines::hold(std::string_view tail) {
  if (pending_cr_) {
    pending_cr_ = false;
    if (!append("\r")) return false;
  }
  if (!tail.empty() && tail.back() == '\r') {
    tail.remove_suffix(1);
    pending_cr_ = true;
  }
  return append(tail);
}

std::size_t json_lines::put(std::string_view data, std::string_view& line, std::error_code& ec) {
  ec.clear();
  line = {};
  if (handed_out_) {
    size_ = 0;
    handed_out_ = false;
  }
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t nl = data.find('\n', pos);
    if (discarding_) {
      if (nl == std::string_view::npos) return data.size();
      discarding_ = false;
      pos = nl + 1;
      continue;
    }
    const bool partial = size_ != 0 || pending_cr_;
    if (nl == std::string_view::npos) {
      if (!hold(data.substr(pos))) {
        size_ = 0;
        pending_cr_ = false;
        discarding_ = true;
        ec = error::line_too_long;
      }
      return data.size();
    }
    const std::string_view raw = data.substr(pos, nl - pos);
    const std::string_view piece = strip_cr(raw);
    pos = nl + 1;
    if (!partial) {
      if (piece.size() > max_line_) {
        ec = error::line_too_long;
        return pos;
      }
      if (is_blank(piece)) continue;
      line = piece;
      return pos;
    }
    bool fits = true;
    if (pending_cr_ && !raw.empty()) fits = append("\r");
    pending_cr_ = false;
    fits = fits && append(piece);
    if (!fits) {
      size_ = 0;
      ec = error::line_too_long;
      return pos;
    }
    if (is_blank(buffer())) {
      size_ = 0;
      continue;
    }
    line = buffer();
    handed_out_ = true;
    return pos;
  }
  return pos;
}

bool json_lines::put_eof(std::string_view& line, std::error_code& ec) {
  ec.clear();
  line = {};
  if (handed_out_) {
    size_ = 0;
    handed_out_ = false;
  }
  discarding_ = false;
  pending_cr_ = false;  // a final '\r' is stripped like one before '\n'
  if (size_ == 0 || is_blank(buffer())) {
    size_ = 0;
    return false;
  }
  line = buffer();
  handed_out_ = true;
  return true;
}

}  // namespace berth::io
