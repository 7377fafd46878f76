#include "berth/engine/error.hpp"

#include <asio/error.hpp>

#include "berth/core/error.hpp"
#include "berth/http/error.hpp"
#include "berth/net/endpoint.hpp"

namespace berth::engine {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.engine"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::bad_parameter: return "bad parameter";
      case error::unauthorized: return "unauthorized";
      case error::forbidden: return "forbidden";
      case error::not_found: return "not found";
      case error::not_acceptable: return "not acceptable";
      case error::conflict: return "conflict";
      case error::name_in_use: return "name already in use";
      case error::not_modified: return "not modified";
      case error::server_error: return "daemon error";
      case error::not_implemented: return "not implemented by the daemon";
      case error::unavailable: return "service unavailable";
      case error::not_swarm_manager: return "the daemon is not a swarm manager";
      case error::unexpected_status: return "unexpected status";
      case error::api_version_unsupported: return "daemon API version older than berth supports";
      case error::operation_unsupported: return "operation newer than the negotiated API version";
      case error::field_unsupported: return "field newer than the negotiated API version";
      case error::bad_response: return "daemon answer could not be decoded";
      case error::stream_error: return "the stream reported an error";
      case error::exec_timeout: return "process timed out and was killed";
    }
    return "unknown engine error";
  }
};

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl cat;
  return cat;
}

error error_from_status(unsigned status, std::string_view message) noexcept {
  switch (status) {
    case 304: return error::not_modified;
    case 400: return error::bad_parameter;
    case 401: return error::unauthorized;
    case 403: return error::forbidden;
    case 404: return error::not_found;
    case 406: return error::not_acceptable;
    case 409:
      return contains(message, "is already in use") ? error::name_in_use : error::conflict;
    case 500: return error::server_error;
    case 501: return error::not_implemented;
    case 503:
      return contains(message, "not a swarm manager") || contains(message, "not part of a swarm")
                 ? error::not_swarm_manager
                 : error::unavailable;
    default: return error::unexpected_status;
  }
}

bool is_not_found(const std::error_code& ec) noexcept { return ec == error::not_found; }
bool is_conflict(const std::error_code& ec) noexcept {
  return ec == error::conflict || ec == error::name_in_use;
}
bool is_not_modified(const std::error_code& ec) noexcept { return ec == error::not_modified; }

bool is_unreachable(const std::error_code& ec) noexcept {
  return ec == std::errc::no_such_file_or_directory || ec == std::errc::connection_refused ||
         ec == std::errc::permission_denied || ec == std::errc::host_unreachable ||
         ec == std::errc::network_unreachable || ec == berth::errc::connection_lost ||
         ec == http::error::no_response || ec == net::error::tls_handshake;
}

bool is_retryable(const std::error_code& ec) noexcept {
  return is_unreachable(ec) || berth::is_timeout(ec) || ec == error::unavailable;
}

}  // namespace berth::engine
