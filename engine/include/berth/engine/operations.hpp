// The registry of implemented Docker Engine API operations, by their spec operationId.
//
// Built in one place (engine/src/operations.cpp) from every op struct's operation_id, so
// that an operation cannot be added to or dropped from berth without the list changing:
// the API coverage test compares it with the specs' operationIds.
#pragma once

#include <span>
#include <string_view>
#include "berth/core/export.hpp"

namespace berth::engine {

/// The operationIds berth implements, sorted, each once (some operations have several
/// structs, e.g. ContainerStats as one sample or a stream).
BERTH_API std::span<const std::string_view> implemented_operation_ids() noexcept;

}  // namespace berth::engine
