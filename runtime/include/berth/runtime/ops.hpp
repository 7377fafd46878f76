// The runtime layer's operations: aggregates with a result_type, run through
// runtime::client in the three forms (async_run with a completion token, run with an
// error_code, the throwing run). Each works on Docker and on containerd; what an engine
// cannot do fails with errc::unsupported before any daemon call, naming every field.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "berth/core/export.hpp"
#include "berth/io/demux.hpp"
#include "berth/runtime/streams.hpp"
#include "berth/runtime/types.hpp"

namespace berth::runtime {

/// The empty result.
struct BERTH_API done {};

/// Pull progress, as the engine reports it (per layer).
struct BERTH_API pull_progress {
  std::string layer{};      ///< The layer (or blob) id; empty for whole-image messages.
  std::string status{};     ///< "Downloading", "Pull complete", ...
  std::int64_t current = 0;
  std::int64_t total = 0;
  int attempt = 1;          ///< Which attempt of the retry policy this is.
};

/// An image build from a context directory (Docker only): content-addressed.
struct BERTH_API image_build {
  std::string context_dir{};
  std::string dockerfile = "Dockerfile";
  std::map<std::string, std::string> args{};
  std::string target{};
};

/// What ensure_image did.
struct BERTH_API ensured_image {
  image_info image{};
  image_origin origin = image_origin::present;
};

/// A network as ensure_network left it.
struct BERTH_API network_info {
  std::string id{};
  std::string name{};
  bool created = false;
};

/// A volume as ensure_volume left it.
struct BERTH_API volume_info {
  std::string name{};
  std::string mountpoint{};
  bool created = false;
};

/// When ensure_container replaces an existing container of ours.
enum class recreate {
  on_config_change,  ///< Replace when the configuration hash differs or it failed.
  on_failure,        ///< Replace only when it exited non-zero or is dead; keep a changed one running.
  never,             ///< Never replace: a difference or failure is errc::recreate_refused.
};

/// What ensure_container did.
enum class ensure_action { reused, started, created, recreated };
BERTH_API const char* to_string(ensure_action a) noexcept;

/// What ensure_container reports.
struct BERTH_API ensured_container {
  container_info info{};
  ensure_action action = ensure_action::created;
};

/// How a stop ended.
struct BERTH_API stop_result {
  bool was_running = false;
  bool killed = false;  ///< The grace ran out and SIGKILL ended it.
};

/// An exec's or one-shot run's end: a non-zero exit and a timeout are results.
struct BERTH_API exec_result {
  std::int64_t exit_code = 0;  ///< -1 when it timed out (killed).
  std::string stdout_data{};
  std::string stderr_data{};
  bool truncated = false;      ///< Output beyond collect_limit was read and dropped.
  bool timed_out = false;      ///< The timeout ran out; the output is what came until then.
  std::string container_id{};  ///< run_one_shot: the container (removed unless keep).
};

/// Output delivered as it comes (on the client's executor; must not block).
using output_callback = std::function<void(io::stream_id, std::string_view)>;

/// What a sweep removed.
struct BERTH_API sweep_report {
  std::vector<std::string> containers{};
  std::vector<std::string> networks{};
  std::vector<std::string> volumes{};
  std::vector<std::string> images{};
};

/// Which kinds a sweep covers.
struct BERTH_API sweep_kinds {
  bool containers = true;
  bool networks = true;
  bool volumes = true;
  bool images = true;
};

/// Readiness conditions for wait_ready.
struct BERTH_API until_healthy {};           ///< The spec's health probe passes (or the engine's).
struct BERTH_API until_log {                  ///< A line of output matches.
  std::string pattern{};                      ///< ECMAScript regex, searched in each line.
  int times = 1;
};
struct BERTH_API until_exec {                 ///< A command in the container exits 0.
  std::vector<std::string> argv{};
  std::chrono::milliseconds interval{200};
};
struct BERTH_API until_port {                 ///< A TCP port on 127.0.0.1 accepts (published ports).
  std::uint16_t container_port = 0;
  std::chrono::milliseconds interval{100};
};
using readiness = std::variant<until_healthy, until_log, until_exec, until_port>;

namespace op {

/// The engine answers; its version and runtimes.
struct BERTH_API ping {
  using result_type = ping_info;
};

/// The image `ref`, present afterwards: already there (origin present), else pulled with
/// the retry policy, built from `build` (tagged ref, the content key in a label: a second
/// call with the same content is present), or loaded from `archive`. With expected_digest,
/// an image whose id or repo digest differs fails with errc::digest_mismatch.
struct BERTH_API ensure_image {
  using result_type = ensured_image;
  std::string ref{};
  std::optional<image_build> build{};
  std::optional<std::string> archive{};
  std::string expected_digest{};
  std::optional<retry_policy> retry{};   ///< Unset: the client's.
  std::function<void(const pull_progress&)> on_progress{};
};

/// Pulls ref (always, even when present), retrying is_retryable() failures with backoff.
struct BERTH_API pull_image {
  using result_type = image_info;
  std::string ref{};
  std::optional<retry_policy> retry{};
  std::function<void(const pull_progress&)> on_progress{};
};

/// Whether the image exists (on containerd: its record and its unpacked layers).
struct BERTH_API image_exists {
  using result_type = bool;
  std::string ref{};
};

struct BERTH_API inspect_image {
  using result_type = image_info;
  std::string ref{};
};

/// Gives source the further name target.
struct BERTH_API tag_image {
  using result_type = done;
  std::string source{};
  std::string target{};
};

/// Removes an image name. A missing image is not an error: false.
struct BERTH_API remove_image {
  using result_type = bool;
  std::string ref{};
  bool force = false;
};

/// Loads an image archive (docker save or OCI layout tar). Result: the names it held.
struct BERTH_API load_images {
  using result_type = std::vector<std::string>;
  std::string path{};
};

/// Writes the images to an archive at path (docker save format on Docker, OCI + docker
/// manifest on containerd: both engines load either).
struct BERTH_API save_images {
  using result_type = done;
  std::vector<std::string> refs{};
  std::string path{};
};

/// A network of this name, ours: created (labelled) when absent. A same-name network
/// without our labels: errc::foreign_resource. containerd: errc::unsupported.
struct BERTH_API ensure_network {
  using result_type = network_info;
  std::string name{};
  bool internal = false;
  runtime::labels labels{};
};

/// Removes a network; missing is false.
struct BERTH_API remove_network {
  using result_type = bool;
  std::string name{};
};

/// A named volume, ours: created (labelled) when absent. containerd: errc::unsupported.
struct BERTH_API ensure_volume {
  using result_type = volume_info;
  std::string name{};
  runtime::labels labels{};
};

/// Removes a volume; missing is false.
struct BERTH_API remove_volume {
  using result_type = bool;
  std::string name{};
};

/// The container spec.name, as spec says, running (start): created when absent (the image
/// ensured first: pulled when missing), reused when its configuration hash matches,
/// replaced by the recreate policy when not (see recreate). A same-name container without
/// our ownership labels: errc::foreign_resource; with another owner: errc::name_collision;
/// both untouched. An empty name always creates (a generated name).
struct BERTH_API ensure_container {
  using result_type = ensured_container;
  container_spec spec{};
  runtime::recreate recreate = recreate::on_config_change;
  bool start = true;
  bool pull = true;  ///< Pull a missing image (else not_found).
};

/// Runs a container to completion and collects its output (removed afterwards unless
/// keep). A timeout kills it: timed_out, with the output so far.
struct BERTH_API run_one_shot {
  using result_type = exec_result;
  container_spec spec{};
  std::optional<std::string> stdin_data{};
  std::optional<std::chrono::milliseconds> timeout{};
  std::size_t collect_limit = 16u << 20;
  output_callback on_output{};  ///< Set: output goes here as it comes, nothing is collected.
  bool keep = false;
};

/// Runs a command in a running container. Non-zero exit and timeout are results; a timed
/// out process and its children are killed, the container runs on.
struct BERTH_API exec {
  using result_type = exec_result;
  std::string id{};
  std::vector<std::string> argv{};
  std::vector<std::string> env{};
  std::string cwd{};
  std::string user{};
  bool tty = false;
  std::optional<std::string> stdin_data{};
  std::optional<std::chrono::milliseconds> timeout{};
  std::size_t collect_limit = 16u << 20;
  output_callback on_output{};  ///< Set: output goes here as it comes, nothing is collected.
};

struct BERTH_API start {
  using result_type = done;
  std::string id{};
};

/// Stops with the stop signal, SIGKILL after grace (the spec's stop_grace when it was
/// created by the layer, else 10 s). Not running is a success (was_running false).
struct BERTH_API stop {
  using result_type = stop_result;
  std::string id{};
  std::optional<std::chrono::seconds> grace{};
};

struct BERTH_API kill {
  using result_type = done;
  std::string id{};
  std::string signal = "SIGKILL";
};

struct BERTH_API pause {
  using result_type = done;
  std::string id{};
};

struct BERTH_API unpause {
  using result_type = done;
  std::string id{};
};

/// Waits for the container to exit. Result: its exit code.
struct BERTH_API wait {
  using result_type = std::int64_t;
  std::string id{};
};

/// Removes a container; running refuses (reason::conflict) unless force (then killed).
/// Missing: false.
struct BERTH_API remove {
  using result_type = bool;
  std::string id{};
  bool force = false;
};

struct BERTH_API inspect {
  using result_type = container_info;
  std::string id{};
};

/// Containers carrying every label of match (stopped ones too unless running_only).
struct BERTH_API list {
  using result_type = std::vector<container_info>;
  runtime::labels match{};
  bool running_only = false;
};

/// The container's output. follow keeps reading as it comes; tail: the last n lines.
/// containerd: containers the layer started (their output is captured); others fail with
/// errc::unsupported.
struct BERTH_API follow_logs {
  using result_type = log_stream;
  std::string id{};
  bool follow = true;
  std::optional<std::size_t> tail{};
  bool timestamps = false;
};

/// A new image from the container's filesystem (paused meanwhile when pause).
struct BERTH_API commit {
  using result_type = image_info;
  std::string id{};
  std::string ref{};   ///< "repo:tag".
  bool pause = true;
  runtime::labels labels{};
};

/// Waits until the container is ready by condition, at most deadline. Failure:
/// errc::ready_probe_failed with the last output seen in the diagnostics; a container that
/// exits meanwhile fails at once.
struct BERTH_API wait_ready {
  using result_type = done;
  std::string id{};
  readiness condition{};
  std::chrono::milliseconds deadline{60'000};
};

/// Removes everything carrying every label of match (the client's ownership when empty
/// and the ownership set): containers (killed), networks, volumes, images. Resources
/// lacking any label are never touched; an empty match fails with errc::empty_selector.
struct BERTH_API sweep {
  using result_type = sweep_report;
  runtime::labels match{};
  sweep_kinds kinds{};
};

/// The container this process runs in (BERTH_CONTAINER_ID, else /proc/self/mountinfo or
/// cgroup, else the hostname). errc::not_in_container when it is in none of this engine.
struct BERTH_API inspect_self {
  using result_type = container_info;
};

}  // namespace op

/// Every operation, for the declarations below (X(name)).
#define BERTH_RUNTIME_OPS(X)                                                                        \
  X(ping) X(ensure_image) X(pull_image) X(image_exists) X(inspect_image) X(tag_image) X(remove_image) \
  X(load_images) X(save_images) X(ensure_network) X(remove_network) X(ensure_volume) X(remove_volume) \
  X(ensure_container) X(run_one_shot) X(exec) X(start) X(stop) X(kill) X(pause) X(unpause) X(wait)   \
  X(remove) X(inspect) X(list) X(follow_logs) X(commit) X(wait_ready) X(sweep) X(inspect_self)

}  // namespace berth::runtime
