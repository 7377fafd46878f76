// The JSON codecs of the apple payloads (berth/apple/models.hpp), reproducing what Swift's
// default JSONEncoder writes and JSONDecoder accepts (APPLE.md §1.7).
//
// Thin inline templates over a core compiled once in the library (explicitly instantiated
// for every payload type); they run synchronously and return a berth::result. The rules:
//
// - keys are the Swift property names, camelCase, matched exactly; unknown keys are ignored;
// - a Date is a JSON number of seconds since 2001-01-01T00:00:00Z (reference_date);
// - enums with associated values (User, FSType, CacheMode, SyncMode) are single-key objects
//   naming the case, payload-free cases written as {} (never as strings); string enums
//   (RuntimeStatus, NetworkMode, PublishProtocol) are strings;
// - optionals are omitted when unset, and every other key is always written;
// - decoding: the types Swift decodes with a synthesized decoder (and those APPLE.md does
//   not classify) require every non-optional key; ContainerConfiguration, Resources,
//   PublishPort, Attachment, NetworkConfiguration and VolumeConfiguration take the member
//   default for a missing key (ContainerConfiguration still requires id, image and
//   initProcess). A null counts as absent for optionals and defaulted keys.
//
//   auto filters = berth::apple::parse<berth::apple::container_list_filters>(R"({"ids":[],"labels":{}})");
//   auto text = berth::apple::to_json(*filters);   // {"ids":[],"labels":{}}
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "berth/apple/models.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth::apple {

/// Errors of the payload codecs.
enum class json_errc {
  bad_json = 1,    ///< Not JSON (or not UTF-8), or nested deeper than 256 levels.
  not_an_object,   ///< The top-level value is not an object where a payload was expected.
  not_an_array,    ///< The top-level value is not an array where a list was expected.
  missing_field,   ///< A required key is absent (or null).
  type_mismatch,   ///< A key holds another JSON type (e.g. "cache":"auto" where {"auto":{}} is due).
  unknown_case,    ///< An enum string or single-key case berth does not know.
  out_of_range,    ///< A number that is not an integer of the field's Swift type.
  invalid_value,   ///< Encoding: a non-finite date, invalid UTF-8, or a raw_json that is not JSON.
};

/// The category of json_errc ("berth.apple.json").
BERTH_API const std::error_category& json_category() noexcept;

inline std::error_code make_error_code(json_errc e) noexcept { return {static_cast<int>(e), json_category()}; }

/// Every payload type the codecs handle, X(type).
#define BERTH_APPLE_PAYLOADS(X)                                                                \
  X(platform) X(descriptor) X(image_description) X(filesystem) X(user) X(rlimit)               \
  X(process_configuration) X(publish_port) X(publish_socket) X(attachment_options)            \
  X(attachment_configuration) X(attachment) X(dns_configuration) X(resources)                 \
  X(container_configuration) X(container_snapshot) X(container_create_options)                \
  X(container_list_filters) X(container_stop_options) X(container_stats) X(system_platform)   \
  X(kernel_command_line) X(kernel) X(network_configuration) X(network_status)                 \
  X(network_resource) X(volume_configuration) X(disk_usage_entry) X(disk_usage_stats)         \
  X(xpc_error_payload) X(string_map) X(raw_json)

namespace detail {
template <class T>
inline constexpr bool is_payload = false;
#define BERTH_APPLE_IS_PAYLOAD(T) \
  template <>                     \
  inline constexpr bool is_payload<T> = true;
BERTH_APPLE_PAYLOADS(BERTH_APPLE_IS_PAYLOAD)
#undef BERTH_APPLE_IS_PAYLOAD
}  // namespace detail

/// A type of berth/apple/models.hpp the codecs handle.
template <class T>
concept payload = detail::is_payload<T>;

namespace json_detail {
// The compiled cores, instantiated in the library for every payload. error_path, when not
// null, receives the path of the failing key on missing_field, type_mismatch,
// unknown_case and out_of_range.
template <class T>
BERTH_API std::error_code parse_into(std::string_view json, T& out, std::string* error_path);
template <class T>
BERTH_API std::error_code parse_array_into(std::string_view json, std::vector<T>& out, std::string* error_path);
template <class T>
BERTH_API std::error_code to_json_into(const T& v, std::string& out);
template <class T>
BERTH_API std::error_code to_json_array_into(const std::vector<T>& v, std::string& out);
}  // namespace json_detail

/// Decodes one payload. Fails with a json_errc.
template <payload T>
result<T> parse(std::string_view json) {
  result<T> out;
  if (auto ec = json_detail::parse_into(json, *out, nullptr)) return unexpected(ec);
  return out;
}

/// parse(json), and the path of the failing key in error_path: dotted keys and [i]
/// indices as Swift's coding path, e.g. "mounts[0].type.volume.cache" (empty for the
/// top-level value). error_path is left alone on success and on bad_json.
template <payload T>
result<T> parse(std::string_view json, std::string& error_path) {
  result<T> out;
  if (auto ec = json_detail::parse_into(json, *out, &error_path)) return unexpected(ec);
  return out;
}

/// Decodes a JSON array of payloads (e.g. the containers key of containerList). Paths
/// start with the element index, e.g. "[3].status".
template <payload T>
result<std::vector<T>> parse_array(std::string_view json, std::string& error_path) {
  result<std::vector<T>> out;
  if (auto ec = json_detail::parse_array_into(json, *out, &error_path)) return unexpected(ec);
  return out;
}
template <payload T>
result<std::vector<T>> parse_array(std::string_view json) {
  std::string ignored;
  return parse_array<T>(json, ignored);
}

/// Encodes one payload as compact JSON. Fails with json_errc::invalid_value only.
template <payload T>
result<std::string> to_json(const T& v) {
  std::string out;
  if (auto ec = json_detail::to_json_into(v, out)) return unexpected(ec);
  return out;
}

/// Encodes a JSON array of payloads.
template <payload T>
result<std::string> to_json(const std::vector<T>& v) {
  std::string out;
  if (auto ec = json_detail::to_json_array_into(v, out)) return unexpected(ec);
  return out;
}

}  // namespace berth::apple

/// \cond
template <>
struct std::is_error_code_enum<berth::apple::json_errc> : std::true_type {};
/// \endcond
