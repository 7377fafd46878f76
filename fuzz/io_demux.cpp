#include <cstdint>
#include <cstddef>
// placeholder: being written
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }
