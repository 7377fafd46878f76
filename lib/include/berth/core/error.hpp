// berth core errors: the generic error enum shared by every layer, the diagnostics
// object that carries a daemon's words beside an error_code, and the exception type
// thrown by the throwing forms of every operation.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "berth/core/export.hpp"

namespace berth {

/// Errors that belong to no single protocol layer: deadlines, cancellation, misuse.
enum class errc {
  timeout = 1,        ///< A deadline (connect, response head, idle, total) expired.
  cancelled,          ///< The caller cancelled the operation (cancellation slot or close()).
  would_deadlock,     ///< A sync call was made on the thread that runs the client's executor.
  stream_closed,      ///< Read or write on a stream that was closed by the caller.
  connection_lost,    ///< The peer closed or reset the connection before the exchange ended.
  invalid_argument,   ///< A caller-supplied argument is malformed.
  unsupported,        ///< The operation or option is not supported by this build or peer.
  internal,           ///< An unexpected exception escaped an operation (a berth bug).
};

/// The category of berth::errc.
BERTH_API const std::error_category& core_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), core_category()};
}

/// True for the codes that mean "a deadline expired", whatever layer produced them.
BERTH_API bool is_timeout(const std::error_code& ec) noexcept;

/// True for the codes that mean "the caller cancelled" (berth::errc::cancelled and
/// asio's operation_aborted).
BERTH_API bool is_cancelled(const std::error_code& ec) noexcept;

/// What a peer said about an error, beside the error_code.
///
/// The engine backends fill it from the daemon's answer: the HTTP status (or the gRPC
/// status code), the daemon's message (capped at message_cap bytes), and a request id
/// when the peer sent one. Every operation accepts a pointer to one through its
/// call options; the throwing forms carry it inside berth::error.
struct BERTH_API diagnostics {
  static constexpr std::size_t message_cap = 4096;

  int status = 0;          ///< HTTP status or gRPC status code; 0 when no answer came.
  std::string message;     ///< The peer's message, truncated to message_cap bytes.
  std::string request_id;  ///< Request id from the peer, if any.

  /// Store msg, truncated to message_cap bytes (on a UTF-8 boundary).
  void set_message(std::string_view msg);
  void clear() {
    status = 0;
    message.clear();
    request_id.clear();
  }
};

/// Exception thrown by the throwing forms: the error_code plus the peer's diagnostics.
class BERTH_API error : public std::system_error {
 public:
  error(std::error_code ec, diagnostics diag = {});
  const berth::diagnostics& details() const noexcept { return diag_; }

 private:
  berth::diagnostics diag_;
};

/// Throw berth::error when ec is set.
inline void throw_if(const std::error_code& ec, const diagnostics& diag = {}) {
  if (ec) throw error(ec, diag);
}

/// The throwing form of an error_code form: calls f(ec) and, when it failed, throws
/// berth::error with ec and the diagnostics diag() returns (none without diag).
template <class F>
decltype(auto) or_throw(F&& f) {
  std::error_code ec;
  if constexpr (std::is_void_v<decltype(f(ec))>) {
    f(ec);
    throw_if(ec);
  } else {
    auto v = f(ec);
    throw_if(ec);
    return v;
  }
}
template <class F, class Diag>
decltype(auto) or_throw(F&& f, Diag&& diag) {
  std::error_code ec;
  if constexpr (std::is_void_v<decltype(f(ec))>) {
    f(ec);
    throw_if(ec, diag());
  } else {
    auto v = f(ec);
    throw_if(ec, diag());
    return v;
  }
}

}  // namespace berth

/// \cond
template <>
struct std::is_error_code_enum<berth::errc> : std::true_type {};
/// \endcond
