// make_xpc_transport: the pool over the libxpc driver where libxpc exists (macOS builds
// with BERTH_HAVE_APPLE_XPC), berth::errc::unsupported elsewhere.
#include "berth_config.hpp"
#include "xpc/pool_transport.hpp"

namespace berth::apple {

result<std::shared_ptr<transport>> make_xpc_transport(xpc_transport_options opts) {
#if BERTH_HAVE_APPLE_XPC
  return detail::make_pool_transport(detail::make_libxpc_driver(), std::move(opts));
#else
  (void)opts;
  return unexpected(berth::errc::unsupported);
#endif
}

}  // namespace berth::apple
