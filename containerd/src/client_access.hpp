// Private: a client on a given state (the constructor from a state is private to berth;
// it opens no connection), for compositions written as free coroutines (pull, import, the
// manage operations) that call the client's own compositions.
#pragma once

#include <memory>

#include "berth/containerd/client.hpp"
#include "state.hpp"

namespace berth::containerd {

struct client_access {
  static client make(std::shared_ptr<detail::state> s) { return client(std::move(s)); }
};

}  // namespace berth::containerd
