// berth's runtime layer, all of it: one client above Docker and containerd that ensures
// images, networks, volumes and containers, runs and execs, follows logs, waits for
// readiness and sweeps what it owns (client.hpp), with its values (types.hpp), operations
// (ops.hpp), streams (streams.hpp) and error vocabulary (error.hpp). The containerd side
// is in runtime/containerd.hpp (built with the containerd backend).
#pragma once

#include "berth/runtime/client.hpp"
#include "berth/runtime/error.hpp"
#include "berth/runtime/ops.hpp"
#include "berth/runtime/streams.hpp"
#include "berth/runtime/types.hpp"
