// Writing to pipes and FIFOs without touching the host program's signal handling.
//
// A write to a pipe or FIFO whose reader is gone raises SIGPIPE, which kills a program
// that did not ignore it. A library may not change process-wide signal dispositions, so
// berth blocks SIGPIPE on the writing thread only, for the duration of one write, and
// consumes the signal that write raised (sockets use MSG_NOSIGNAL instead).
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "berth/core/export.hpp"

namespace berth::io {

/// write(2) on fd that never delivers SIGPIPE: a vanished reader gives -1 with
/// errno == EPIPE. A SIGPIPE already pending for the thread before the call is left
/// pending. Blocking or not as fd is; EINTR is returned as it is.
BERTH_API ssize_t write_no_sigpipe(int fd, const void* data, std::size_t size) noexcept;

}  // namespace berth::io
