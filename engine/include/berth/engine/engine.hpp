// Everything of the Docker Engine backend: the client and every operation, the models,
// streams and the Docker CLI configuration it reads. Every operation completes in three
// forms through engine::client: async with a completion token, error_code, throwing.
#pragma once

#include "berth/config/auth.hpp"
#include "berth/config/context.hpp"
#include "berth/engine/client.hpp"
#include "berth/engine/json.hpp"
#include "berth/engine/models.hpp"
#include "berth/engine/op/containers.hpp"
#include "berth/engine/op/exec.hpp"
#include "berth/engine/op/images.hpp"
#include "berth/engine/op/networks.hpp"
#include "berth/engine/op/plugins.hpp"
#include "berth/engine/op/swarm.hpp"
#include "berth/engine/op/system.hpp"
#include "berth/engine/op/volumes.hpp"
#include "berth/engine/operations.hpp"
#include "berth/engine/streams.hpp"
