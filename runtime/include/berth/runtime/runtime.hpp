// berth's runtime layer: one client above Docker and containerd (see client.hpp).
#pragma once

#include "berth/runtime/client.hpp"
#include "berth/runtime/error.hpp"
#include "berth/runtime/ops.hpp"
#include "berth/runtime/streams.hpp"
#include "berth/runtime/types.hpp"
