// Everything of the containerd backend.
#pragma once

#include "berth/containerd/client.hpp"
#include "berth/containerd/error.hpp"
#include "berth/containerd/import.hpp"
#include "berth/containerd/ops.hpp"
#include "berth/containerd/process.hpp"
#include "berth/containerd/pull.hpp"
#include "berth/containerd/spec.hpp"
#include "berth/containerd/streams.hpp"
#include "berth/containerd/types.hpp"
