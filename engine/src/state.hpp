// Private state of an engine client, and the request helper every operation uses.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/steady_timer.hpp>

#include "berth/engine/client.hpp"
#include "berth/engine/json.hpp"

namespace berth::engine::detail {

struct state : std::enable_shared_from_this<state> {
  state(http::client c, client_options o);

  http::client http;
  client_options opts;
  std::optional<api_version> version;  ///< Negotiated or pinned.
  bool negotiating = false;
  asio::steady_timer negotiated;       ///< Woken (cancelled) when negotiation ends.
};

/// Builds a query string: k=v pairs, percent-encoded.
class query {
 public:
  query& add(std::string_view key, std::string_view value);
  query& add_opt(std::string_view key, const std::optional<std::string>& value) {
    return value ? add(key, std::string_view(*value)) : *this;
  }
  query& add_bool(std::string_view key, std::optional<bool> value);
  query& add_int(std::string_view key, std::optional<std::int64_t> value);
  /// Docker's filters parameter: {"key":["v1","v2"]} as JSON; nothing when empty.
  query& add_filters(std::string_view key, const std::map<std::string, std::vector<std::string>>& f);
  /// Adds a raw JSON value.
  query& add_json(std::string_view key, std::string_view json);
  const std::string& str() const noexcept { return q_; }
  bool empty() const noexcept { return q_.empty(); }

 private:
  std::string q_;
};

/// One request to the daemon.
struct call_spec {
  std::string method = "GET";
  std::string path;         ///< Without the version prefix, e.g. "/containers/json".
  std::string query;        ///< Without '?'.
  std::string body;         ///< Sent as is.
  std::string content_type; ///< Default application/json when body is non-empty.
  http::fields headers;     ///< Extra headers (X-Registry-Auth, ...).
  api_version since{1, 12}; ///< The operation's first API version.
  bool unversioned = false; ///< /_ping and the like: no /vX.Y prefix.
};

/// Builds the request for spec: negotiates the version, checks spec.since, prefixes the
/// path, sets the content type. Fills diag's status on failure.
asio::awaitable<result<http::request>> prepare(std::shared_ptr<state> s, call_spec spec,
                                                const call_options& opts);

/// Sends spec and reads the whole answer; a status >= 300 (other than a 304 the caller
/// accepts with accept_304) becomes the engine error that status means, with the daemon's
/// message in opts.diag.
asio::awaitable<result<http::response>> call(std::shared_ptr<state> s, call_spec spec,
                                             call_options opts, bool accept_304 = false);

/// Maps an error answer to its engine error and fills diag (status, message).
std::error_code error_from_response(unsigned status, std::string_view body,
                                    const http::fields& headers, diagnostics* diag);

/// Clears diag on success.
inline void clear(diagnostics* diag) {
  if (diag) diag->clear();
}

/// Percent-encodes a path segment (ids and names).
std::string segment(std::string_view s);

/// Serialises a request body for the negotiated version: a field newer than it fails
/// with engine::error::field_unsupported, its JSON path in diag.
template <class T>
result<std::string> body_for(const T& body, api_version v, diagnostics* diag) {
  auto j = to_json(body, v);
  if (j) return j;
  if (j.error() == json_error::field_unsupported) {
    if (diag) {
      diag->clear();
      diag->set_message("field " + first_unsupported_field(body, v) + " needs a newer API than " +
                        v.to_string());
    }
    return unexpected(error::field_unsupported);
  }
  return unexpected(j.error());
}

/// Decodes a daemon answer into T (bad_response on failure, message in diag; a required
/// field that is absent or mistyped is named there by its JSON path).
template <class T>
result<T> decode(std::string_view json, diagnostics* diag) {
  std::string missing;
  auto r = parse<T>(json, missing);
  if (r) return r;
  if (diag) {
    diag->set_message(r.error() == json_error::missing_field
                          ? "the daemon's answer lacks required field " + missing
                          : std::string("could not decode the daemon's answer as JSON"));
  }
  return unexpected(error::bad_response);
}
template <class T>
result<std::vector<T>> decode_array(std::string_view json, diagnostics* diag) {
  std::string missing;
  auto r = parse_array<T>(json, missing);
  if (r) return r;
  if (diag) {
    diag->set_message(r.error() == json_error::missing_field
                          ? "the daemon's answer lacks required field " + missing
                          : std::string("could not decode the daemon's answer as a JSON array"));
  }
  return unexpected(error::bad_response);
}

/// call() then decode<T>.
template <class T>
asio::awaitable<result<T>> call_json(std::shared_ptr<state> s, call_spec spec, call_options opts) {
  auto r = co_await call(std::move(s), std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  co_return decode<T>(r->body, opts.diag);
}

/// call() for operations whose answer carries nothing (204 or a body to ignore).
asio::awaitable<result<empty>> call_empty(std::shared_ptr<state> s, call_spec spec,
                                          call_options opts);

/// Sends spec and returns the answer as a stream once its head arrived (error statuses
/// are read, mapped and returned as errors).
asio::awaitable<result<http::body_stream>> open_stream(std::shared_ptr<state> s, call_spec spec,
                                                       call_options opts);

/// Sends spec with an upgrade request; the hijacked connection once 101 arrived.
asio::awaitable<result<http::hijacked_stream>> open_upgraded(std::shared_ptr<state> s,
                                                             call_spec spec, call_options opts);

}  // namespace berth::engine::detail
