// Everything of the containerd backend: the client, its operations and compositions
// (pull, import, containers, tasks, exec, run to completion), streams and errors. Each
// operation completes in three forms: async with a completion token, error_code, throwing.
#pragma once

#include "berth/containerd/client.hpp"
#include "berth/containerd/error.hpp"
#include "berth/containerd/images.hpp"
#include "berth/containerd/import.hpp"
#include "berth/containerd/logs.hpp"
#include "berth/containerd/manage.hpp"
#include "berth/containerd/ops.hpp"
#include "berth/containerd/process.hpp"
#include "berth/containerd/pull.hpp"
#include "berth/containerd/pull_stream.hpp"
#include "berth/containerd/spec.hpp"
#include "berth/containerd/streams.hpp"
#include "berth/containerd/types.hpp"
