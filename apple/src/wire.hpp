// Private: the request encoder and reply decoder of every route (APPLE.md §1.3, §1.4).
//
// encode(op) builds the request dictionary: the route key, then one key per set member
// (JSON payloads as data, fds as fds, integers with the xpc type the daemon reads). decode
// checks the reply's error key first (an in-band error wins over any success key), then
// reads the success keys; a missing or mis-typed success key, or a payload that does not
// decode, is xpc_errc::bad_reply with the key (and the JSON path) in diag's message.
#pragma once

#include "berth/apple/error.hpp"
#include "berth/apple/json.hpp"
#include "berth/apple/message.hpp"
#include "berth/apple/ops.hpp"
#include "berth/core/error.hpp"
#include "berth/core/result.hpp"

namespace berth::apple::wire {

#define BERTH_APPLE_WIRE_DECLARE(name)                                                           \
  result<message> encode(const op::name& o);                                                     \
  result<op::name::result_type> decode(const op::name& o, const message& reply, berth::diagnostics* diag);
BERTH_APPLE_APISERVER_OPS(BERTH_APPLE_WIRE_DECLARE)
BERTH_APPLE_IMAGES_OPS(BERTH_APPLE_WIRE_DECLARE)
#undef BERTH_APPLE_WIRE_DECLARE

/// The in-band error of reply, if it has one (mapped by map_inband_error, diag filled).
std::error_code inband_error(const message& reply, berth::diagnostics* diag);

}  // namespace berth::apple::wire
