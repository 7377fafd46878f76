// Private: the diagnostics of a refusal made by kata itself (no peer status).
#pragma once

#include <string_view>

#include "berth/core/error.hpp"

namespace berth::kata::detail {

/// Replaces *diag (when set) with msg.
inline void set_diag(diagnostics* diag, std::string_view msg) {
  if (diag) {
    diag->clear();
    diag->set_message(msg);
  }
}

}  // namespace berth::kata::detail
