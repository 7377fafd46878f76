// Everything of berth's apple layer: Apple's `container` runtime over XPC. The protocol
// (messages, payload codecs, errors, routes, ops), the clients and the transport seam.
//
// The protocol and the clients are portable; the libxpc transport (make_xpc_transport)
// exists only in macOS builds. Operations complete as described in berth/apple/client.hpp.
#pragma once

#include "berth/apple/client.hpp"
#include "berth/apple/error.hpp"
#include "berth/apple/json.hpp"
#include "berth/apple/message.hpp"
#include "berth/apple/models.hpp"
#include "berth/apple/ops.hpp"
#include "berth/apple/routes.hpp"
#include "berth/apple/signal.hpp"
#include "berth/apple/transport.hpp"
#include "berth/apple/version.hpp"
