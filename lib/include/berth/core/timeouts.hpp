// Per-operation deadlines (connect, response head, idle between reads, total), set per
// client and overridden per call field by field. Plain values.
#pragma once

#include <chrono>
#include <optional>
#include "berth/core/export.hpp"

namespace berth {

/// Deadlines of one operation. An unset field takes the client's default; a zero
/// duration means "no deadline" for that phase.
///
/// - connect: establishing a connection (and the TLS handshake).
/// - head: from sending the request until the response head has arrived.
/// - idle: the longest wait for any one read of a body or stream to produce bytes.
/// - total: the whole operation (for streams: opening them, up to the head).
///
/// An expired deadline completes the operation with berth::errc::timeout and closes
/// the connection it used; other operations and pooled connections are not affected.
struct BERTH_API timeouts {
  std::optional<std::chrono::milliseconds> connect{};
  std::optional<std::chrono::milliseconds> head{};
  std::optional<std::chrono::milliseconds> idle{};
  std::optional<std::chrono::milliseconds> total{};

  /// Fields set in over replace those of this.
  timeouts overridden_by(const timeouts& over) const {
    timeouts t = *this;
    if (over.connect) t.connect = over.connect;
    if (over.head) t.head = over.head;
    if (over.idle) t.idle = over.idle;
    if (over.total) t.total = over.total;
    return t;
  }
};

}  // namespace berth
