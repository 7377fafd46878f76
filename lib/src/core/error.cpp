#include "berth/core/error.hpp"

#include <new>

#include <asio/error.hpp>

#include "berth/core/async.hpp"

namespace berth {
namespace {

class core_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::timeout: return "deadline expired";
      case errc::cancelled: return "operation cancelled";
      case errc::would_deadlock:
        return "sync call on the thread that runs the client's executor would deadlock";
      case errc::stream_closed: return "stream closed";
      case errc::connection_lost: return "connection lost before the exchange ended";
      case errc::invalid_argument: return "invalid argument";
      case errc::unsupported: return "not supported";
      case errc::internal: return "internal error";
    }
    return "unknown berth error";
  }
};

}  // namespace

const std::error_category& core_category() noexcept {
  static const core_category_impl cat;
  return cat;
}

bool is_timeout(const std::error_code& ec) noexcept {
  return ec == errc::timeout || ec == std::errc::timed_out;
}

bool is_cancelled(const std::error_code& ec) noexcept {
  return ec == errc::cancelled || ec == asio::error::operation_aborted;
}

void diagnostics::set_message(std::string_view msg) {
  if (msg.size() > message_cap) {
    std::size_t n = message_cap;
    // Do not cut a UTF-8 sequence in half: back up over continuation bytes.
    while (n > 0 && (static_cast<unsigned char>(msg[n]) & 0xC0) == 0x80) --n;
    msg = msg.substr(0, n);
  }
  message.assign(msg);
}

static std::string what_of(const std::error_code& ec, const diagnostics& diag) {
  std::string w = ec.message();
  if (diag.status != 0) w += " (status " + std::to_string(diag.status) + ")";
  if (!diag.message.empty()) w += ": " + diag.message;
  return w;
}

error::error(std::error_code ec, diagnostics diag)
    : std::system_error(ec, what_of(ec, diag)), diag_(std::move(diag)) {}

namespace detail {

std::error_code error_from_exception(std::exception_ptr ep) noexcept {
  try {
    std::rethrow_exception(ep);
  } catch (const std::system_error& e) {
    return e.code();
  } catch (const std::bad_alloc&) {
    return std::make_error_code(std::errc::not_enough_memory);
  } catch (...) {
    return make_error_code(errc::internal);
  }
}

}  // namespace detail


}  // namespace berth
