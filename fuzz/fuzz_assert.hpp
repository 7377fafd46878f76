// The one assertion of the fuzz targets: an invariant the code under test must keep,
// whatever the input. Invalid input is never a failure; a broken invariant aborts, which
// libFuzzer reports as a crash and the replay main as a failed test.
#pragma once

#include <cstdio>
#include <cstdlib>

#define BERTH_FUZZ_ASSERT(cond)                                                   \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "invariant broken: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)
