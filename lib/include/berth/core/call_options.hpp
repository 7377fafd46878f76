// Options every operation accepts beside its own parameters: deadlines and where the
// daemon's diagnostics go. Plain values.
#pragma once

#include "berth/core/error.hpp"
#include "berth/core/timeouts.hpp"
#include "berth/core/export.hpp"

namespace berth {

/// Per-call settings: deadlines, and where to put the peer's diagnostics.
struct BERTH_API call_options {
  /// Deadlines for this call; unset fields take the client's defaults.
  berth::timeouts timeouts{};
  /// When set, receives the daemon's status, message and request id on failure (and is
  /// cleared on success). Written before the completion handler runs.
  berth::diagnostics* diag = nullptr;
};

}  // namespace berth
