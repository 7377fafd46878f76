// Completion tokens whose home moved in Asio 1.24: as_tuple and deferred left
// asio::experimental (and ASIO_NO_DEPRECATED hides the old names). Debian 12 has Asio 1.22,
// the asio wrap 1.28: both are handled here.
//   tuple_awaitable: await (error_code, value...) as a tuple instead of an exception.
//   deferred_token:  the token make_parallel_group takes its operations with.
#pragma once

#include <asio/use_awaitable.hpp>
#include <asio/version.hpp>

#if ASIO_VERSION >= 102400
#include <asio/as_tuple.hpp>
#include <asio/deferred.hpp>
#else
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/deferred.hpp>
#endif

namespace berth {

#if ASIO_VERSION >= 102400
inline constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
inline constexpr auto deferred_token = asio::deferred;
#else
inline constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);
inline constexpr auto deferred_token = asio::experimental::deferred;
#endif

}  // namespace berth
