#include "berth/io/error.hpp"

#include <string>

namespace berth::io {
namespace {

class io_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.io"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::frame_too_large: return "multiplexed frame larger than the limit";
      case error::truncated_frame: return "stream ended inside a multiplexed frame";
      case error::bad_stream_id: return "multiplexed frame with a bad stream id or header";
      case error::system_stream: return "the daemon reported an error on the system stream";
      case error::line_too_long: return "line longer than the limit";
      case error::truncated_line: return "stream ended inside a line";
    }
    return "unknown berth.io error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const io_category_impl cat;
  return cat;
}

}  // namespace berth::io
