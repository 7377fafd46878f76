// Volume operations of the Docker Engine API (spec tag "Volume").
//
// Each struct is one operation, named after its operationId; fields are its parameters.
// Run them with engine::client::run / async_run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <asio/awaitable.hpp>

#include "berth/core/call_options.hpp"
#include "berth/core/result.hpp"
#include "berth/engine/api_version.hpp"
#include "berth/engine/models.hpp"
#include "berth/engine/types.hpp"
#include "berth/core/export.hpp"

namespace berth::engine {

namespace detail {
struct state;
}

namespace op {

/// GET /volumes.
struct BERTH_API volume_list {
  using result_type = volume_list_response;
  static constexpr std::string_view operation_id = "VolumeList";
  engine::filters filters{};  ///< dangling, driver, label, name.
};

/// POST /volumes/create. ClusterVolumeSpec needs API 1.42 (field_unsupported before).
struct BERTH_API volume_create {
  using result_type = volume;
  static constexpr std::string_view operation_id = "VolumeCreate";
  volume_create_request body{};  ///< Name, Driver, DriverOpts, Labels.
};

/// GET /volumes/{name}.
struct BERTH_API volume_inspect {
  using result_type = volume;
  static constexpr std::string_view operation_id = "VolumeInspect";
  std::string name{};
};

/// PUT /volumes/{name}: update a cluster volume. API 1.42+: on an older negotiated version
/// it fails with engine::error::operation_unsupported without a request.
struct BERTH_API volume_update {
  using result_type = empty;
  static constexpr std::string_view operation_id = "VolumeUpdate";
  static constexpr api_version since{1, 42};
  std::string name{};
  std::int64_t version = 0;       ///< The volume's object version (Version.Index).
  volume_update_body body{};
};

/// DELETE /volumes/{name}.
struct BERTH_API volume_delete {
  using result_type = empty;
  static constexpr std::string_view operation_id = "VolumeDelete";
  std::string name{};
  bool force = false;
};

/// POST /volumes/prune: delete unused volumes.
struct BERTH_API volume_prune {
  using result_type = volume_prune_response;
  static constexpr std::string_view operation_id = "VolumePrune";
  engine::filters filters{};  ///< label, label!, all (API 1.42+).
};

}  // namespace op

namespace detail {
#define BERTH_ENGINE_OP(OP) \
  BERTH_API asio::awaitable<result<op::OP::result_type>> execute(std::shared_ptr<state> s, op::OP op, call_options opts);
BERTH_ENGINE_OP(volume_list)
BERTH_ENGINE_OP(volume_create)
BERTH_ENGINE_OP(volume_inspect)
BERTH_ENGINE_OP(volume_update)
BERTH_ENGINE_OP(volume_delete)
BERTH_ENGINE_OP(volume_prune)
#undef BERTH_ENGINE_OP
}  // namespace detail

}  // namespace berth::engine
