#include "berth/io/demux.hpp"

#include <algorithm>

namespace berth::io {
namespace {

constexpr std::size_t header_bytes = 8;

// Drops a UTF-8 sequence cut short at the end of s (after the cap truncated it).
void trim_cut_utf8(std::string& s) {
  std::size_t k = s.size();
  std::size_t continuation = 0;
  while (k > 0 && continuation < 4 && (static_cast<unsigned char>(s[k - 1]) & 0xC0) == 0x80) {
    --k;
    ++continuation;
  }
  if (k == 0) return;
  const auto lead = static_cast<unsigned char>(s[k - 1]);
  std::size_t length = 0;
  if ((lead & 0xE0) == 0xC0) length = 2;
  else if ((lead & 0xF0) == 0xE0) length = 3;
  else if ((lead & 0xF8) == 0xF0) length = 4;
  if (length != 0 && continuation + 1 < length) s.resize(k - 1);
}

}  // namespace

demuxer::demuxer(std::uint32_t max_frame) : max_frame_(max_frame) {}

std::size_t demuxer::put_header(std::string_view data, std::error_code& ec) {
  const std::size_t n = std::min(header_bytes - header_size_, data.size());
  std::copy_n(reinterpret_cast<const std::uint8_t*>(data.data()), n, header_ + header_size_);
  header_size_ = static_cast<std::uint8_t>(header_size_ + n);
  if (header_size_ < header_bytes) return n;
  header_size_ = 0;

  if (header_[0] > 3 || header_[1] != 0 || header_[2] != 0 || header_[3] != 0) {
    failed_ = error::bad_stream_id;
    ec = failed_;
    return n;
  }
  const std::uint32_t length = (std::uint32_t{header_[4]} << 24) | (std::uint32_t{header_[5]} << 16) |
                               (std::uint32_t{header_[6]} << 8) | std::uint32_t{header_[7]};
  if (length > max_frame_) {
    failed_ = error::frame_too_large;
    ec = failed_;
    return n;
  }
  stream_ = static_cast<stream_id>(header_[0]);
  remaining_ = length;
  if (stream_ == stream_id::system) {
    system_.clear();
    truncated_ = false;
    if (length == 0) ec = error::system_stream;
  }
  return n;
}

std::size_t demuxer::put(std::string_view data, stream_id& stream, std::string_view& payload,
                         std::error_code& ec) {
  ec.clear();
  payload = {};
  stream = stream_;
  if (failed_) {
    ec = failed_;
    return 0;
  }
  std::size_t used = 0;
  for (;;) {
    if (remaining_ == 0) {
      if (used == data.size()) break;
      used += put_header(data.substr(used), ec);
      if (ec) break;
      continue;
    }
    const std::size_t available = data.size() - used;
    if (available == 0) break;
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(remaining_, available));
    if (stream_ == stream_id::system) {
      const std::size_t keep = std::min<std::size_t>(n, system_message_cap - system_.size());
      system_.append(data.substr(used, keep));
      if (keep < n) truncated_ = true;
      remaining_ -= n;
      used += n;
      if (remaining_ == 0) {
        if (truncated_) trim_cut_utf8(system_);
        ec = error::system_stream;
        break;
      }
      continue;
    }
    payload = data.substr(used, n);
    remaining_ -= n;
    used += n;
    break;
  }
  stream = stream_;
  return used;
}

std::uint32_t demuxer::payload_direct() const noexcept {
  if (failed_ || stream_ == stream_id::system) return 0;
  return remaining_;
}

void demuxer::consume_payload(std::uint32_t n) noexcept {
  remaining_ -= std::min(n, payload_direct());
}

void demuxer::put_eof(std::error_code& ec) {
  if (failed_) ec = failed_;
  else if (header_size_ != 0 || remaining_ != 0) ec = error::truncated_frame;
  else ec.clear();
}

bool demuxer::next_frame_continues(std::string_view data, stream_id s) const noexcept {
  if (failed_ || remaining_ != 0 || header_size_ != 0 || data.size() < 8) return false;
  if (s != stream_id::stdout_stream && s != stream_id::stderr_stream) return false;
  const auto* h = reinterpret_cast<const unsigned char*>(data.data());
  if (h[0] != static_cast<unsigned char>(s) || h[1] != 0 || h[2] != 0 || h[3] != 0) return false;
  std::uint32_t len = std::uint32_t(h[4]) << 24 | std::uint32_t(h[5]) << 16 | std::uint32_t(h[6]) << 8 | h[7];
  return len != 0 && len <= max_frame_;
}

}  // namespace berth::io
