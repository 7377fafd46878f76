// The route table (APPLE.md §1.3, §1.4; deadlines per the design's route tables).
#include "berth/apple/routes.hpp"

#include <array>

namespace berth::apple {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds none{0};
constexpr milliseconds s10{10'000};     // Swift: containerList
constexpr milliseconds s60{60'000};     // Swift: the client's default
constexpr milliseconds s300{300'000};   // Swift: copies; berth policy elsewhere

constexpr auto api = service::apiserver;
constexpr auto img = service::images;

// name, service, deadline, dedicated connection, read-only
constexpr std::array<route_info, 45> table{{
    {"ping", api, s60, false, true},
    {"containerList", api, s10, false, true},
    {"containerCreate", api, s60, false, false},
    {"containerBootstrap", api, s300, false, false},      // policy (Swift: none)
    {"containerCreateProcess", api, s60, false, false},
    {"containerStartProcess", api, s60, false, false},    // policy (Swift: none)
    {"containerWait", api, none, true, true},             // blocks until the process exits
    {"containerKill", api, s60, false, false},            // policy (Swift: none)
    {"containerResize", api, s60, false, false},
    {"containerStop", api, s60, true, false},             // policy: + stopOptions.timeoutInSeconds
    {"containerDelete", api, s300, false, false},         // policy
    {"containerLogs", api, s60, false, true},
    {"containerDial", api, s60, false, false},
    {"containerStats", api, s60, false, true},
    {"containerDiskUsage", api, s60, false, true},
    {"containerCopyIn", api, s300, false, false},
    {"containerCopyOut", api, s300, false, false},
    {"containerExport", api, none, true, false},          // policy
    {"getDefaultKernel", api, s60, false, true},
    {"installKernel", api, none, true, false},            // policy
    {"networkCreate", api, s60, false, false},            // registered on macOS 26+ only
    {"networkList", api, s60, false, true},
    {"networkDelete", api, s60, false, false},
    {"volumeCreate", api, s60, false, false},
    {"volumeList", api, s60, false, true},
    {"volumeInspect", api, s60, false, true},
    {"volumeDelete", api, s60, false, false},
    {"volumeDiskUsage", api, s60, false, true},
    {"systemDiskUsage", api, s60, false, true},
    {"pluginList", api, s60, false, true},
    {"pluginGet", api, s60, false, true},
    {"pluginLoad", api, s60, false, false},
    {"pluginUnload", api, s60, false, false},
    {"pluginRestart", api, s60, false, false},
    {"imageList", img, s60, false, true},
    {"imagePull", img, none, true, false},
    {"imagePush", img, none, true, false},
    {"imageTag", img, s60, false, false},
    {"imageDelete", img, s60, false, false},
    {"imageSave", img, none, true, false},
    {"imageLoad", img, none, true, false},
    {"imageUnpack", img, none, true, false},
    {"snapshotGet", img, s60, false, true},
    {"snapshotDelete", img, s60, false, false},
    {"contentGet", img, s60, false, true},
}};

}  // namespace

std::string_view mach_service_name(service s) noexcept {
  return s == service::images ? std::string_view("com.apple.container.core.container-core-images")
                              : std::string_view("com.apple.container.apiserver");
}

const route_info* find_route(std::string_view name) noexcept {
  for (const auto& r : table)
    if (r.name == name) return &r;
  return nullptr;
}

std::span<const route_info> all_routes() noexcept { return table; }

}  // namespace berth::apple
