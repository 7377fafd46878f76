// macOS only, compiled and never linked: the SDK's <xpc/xpc.h>, then berth's own
// xpc_decls.h (its macro block skipped). extern "C" functions cannot be overloaded, so a
// declaration in xpc_decls.h that disagrees with the SDK (a parameter or return type) is a
// compile error, and the declarations cannot drift from the real API.
#include <xpc/xpc.h>

#define BERTH_XPC_DECLS_NO_MACROS 1
#include "xpc/xpc_decls.h"
