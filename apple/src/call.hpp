// Private: the bridge from the transport's any-thread callback to Asio. call() sends one
// message and completes on the awaiting coroutine's executor (never inside the initiating
// call, exactly once) with the reply or an error: the transport's, berth::errc::timeout
// when the deadline expires first, berth::errc::cancelled on terminal cancellation of the
// awaiting coroutine. A deadline or a cancellation also cancels the call in the transport
// (a dedicated connection is closed; a late reply is dropped on the transport's thread).
#pragma once

#include <chrono>
#include <memory>
#include <system_error>

#include <asio/awaitable.hpp>

#include "berth/apple/message.hpp"
#include "berth/apple/transport.hpp"

namespace berth::apple::detail {

struct call_settings {
  std::chrono::milliseconds deadline{0};  ///< zero: none
  bool dedicated = false;
};

struct call_outcome {
  std::error_code ec;
  message reply;
};

/// Sends request to svc over t. Arguments by value: the operation outlives the caller's
/// expression. A null transport completes with berth::errc::invalid_argument.
asio::awaitable<call_outcome> call(std::shared_ptr<transport> t, service svc, message request, call_settings cs);

}  // namespace berth::apple::detail
