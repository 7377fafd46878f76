// BERTH_API: marks what a berth library exports. Every library is built with hidden
// symbol visibility (-fvisibility=hidden); only declarations carrying BERTH_API (classes
// with out-of-line members, functions defined in a .cpp, error categories, exceptions)
// are part of its ABI. Consumers include it through the public headers; it has no
// effect on them other than naming the same visibility.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define BERTH_API __attribute__((visibility("default")))
#else
#define BERTH_API
#endif
