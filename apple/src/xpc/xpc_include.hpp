// Private: where libxpc's declarations come from. On macOS the SDK's <xpc/xpc.h>; elsewhere
// (and on macOS with -DBERTH_XPC_USE_DECLARATIONS) berth's own xpc_decls.h, so that
// libxpc_link.cpp can be compile-checked with clang -fblocks on any host.
#pragma once

#if defined(__APPLE__) && !defined(BERTH_XPC_USE_DECLARATIONS)
#include <xpc/xpc.h>
#else
#include "xpc/xpc_decls.h"
#endif
