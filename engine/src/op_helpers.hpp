// Small helpers shared by the network, volume, swarm and plugin operations. Private.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "state.hpp"

namespace berth::engine::detail {

/// A call_spec for method path?query.
inline call_spec make_spec(std::string method, std::string path, std::string q = {}) {
  call_spec spec;
  spec.method = std::move(method);
  spec.path = std::move(path);
  spec.query = std::move(q);
  return spec;
}

/// Sets X-Registry-Auth when the caller gave one (already base64url-encoded JSON).
inline void set_registry_auth(call_spec& spec, const std::string& auth) {
  if (!auth.empty()) spec.headers.set("X-Registry-Auth", auth);
}

/// Serialises body for the negotiated version.
template <class T>
asio::awaitable<result<std::string>> encode_body(std::shared_ptr<state> s, const T& body,
                                                 call_options opts) {
  auto v = co_await negotiate(s, opts);
  if (!v) co_return unexpected(v.error());
  co_return body_for(body, *v, opts.diag);
}

/// Serialises a JSON array of models for the negotiated version.
template <class T>
asio::awaitable<result<std::string>> encode_array(std::shared_ptr<state> s,
                                                  const std::vector<T>& items, call_options opts) {
  auto v = co_await negotiate(s, opts);
  if (!v) co_return unexpected(v.error());
  std::string out = "[";
  for (const auto& item : items) {
    auto j = body_for(item, *v, opts.diag);
    if (!j) co_return unexpected(j.error());
    if (out.size() > 1) out += ',';
    out += *j;
  }
  out += ']';
  co_return out;
}

/// decode_array, where a JSON null (some daemons answer an empty list so) is empty.
template <class T>
result<std::vector<T>> decode_list(std::string_view body, diagnostics* diag) {
  auto b = body;
  while (!b.empty() && (b.back() == '\n' || b.back() == '\r' || b.back() == ' ')) b.remove_suffix(1);
  if (b == "null") return std::vector<T>{};
  return decode_array<T>(body, diag);
}

/// call() then decode_list<T>.
template <class T>
asio::awaitable<result<std::vector<T>>> call_list(std::shared_ptr<state> s, call_spec spec,
                                                  call_options opts) {
  auto r = co_await call(std::move(s), std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  co_return decode_list<T>(r->body, opts.diag);
}

}  // namespace berth::engine::detail
