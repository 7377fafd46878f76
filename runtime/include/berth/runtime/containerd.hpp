// The runtime layer over containerd (built with the containerd backend).
//
//   containerd::client ctrd({.address = "/run/containerd/containerd.sock", .namespace_ = "ci"});
//   auto rt = runtime::from_containerd(ctrd);
//   rt.run(runtime::op::ensure_container{.spec = s});
//
// What containerd cannot do here (no CNI networks, published ports, named volumes or
// builds) fails with errc::unsupported before any call; see capabilities().
#pragma once

#include "berth/containerd/client.hpp"
#include "berth/core/export.hpp"
#include "berth/runtime/client.hpp"

namespace berth::runtime {

/// A runtime over a containerd client (its namespace and connection).
BERTH_API client from_containerd(containerd::client c, client_options opts = {});

/// The containerd client underneath rt; nullptr on Docker.
BERTH_API containerd::client* containerd_of(client& rt) noexcept;

}  // namespace berth::runtime
