// Plugin operations.
#include "berth/engine/op/plugins.hpp"

#include "berth/core/asio_compat.hpp"
#include <asio/use_awaitable.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "op_helpers.hpp"

namespace berth::engine::detail {

namespace {

std::string plugin_path(const std::string& name, std::string_view tail = {}) {
  std::string p = "/plugins/" + segment(name);
  p += tail;
  return p;
}

/// Opens a progress stream (pull, upgrade, push): it lasts as long as the transfer.
asio::awaitable<result<record_stream>> progress(std::shared_ptr<state> s, call_spec spec,
                                                call_options opts) {
  if (!opts.timeouts.head) opts.timeouts.head = std::chrono::milliseconds(0);
  auto body = co_await open_stream(s, std::move(spec), opts);
  if (!body) co_return unexpected(body.error());
  co_return record_stream(std::move(*body));
}

}  // namespace

asio::awaitable<result<std::vector<plugin>>> execute(std::shared_ptr<state> s, op::plugin_list op,
                                                     call_options opts) {
  co_return co_await call_list<plugin>(
      s, make_spec("GET", "/plugins", query().add_filters("filters", op.filters).str()), opts);
}

asio::awaitable<result<std::vector<plugin_privilege>>> execute(std::shared_ptr<state> s,
                                                               op::get_plugin_privileges op,
                                                               call_options opts) {
  co_return co_await call_list<plugin_privilege>(
      s, make_spec("GET", "/plugins/privileges", query().add("remote", op.remote).str()), opts);
}

asio::awaitable<result<record_stream>> execute(std::shared_ptr<state> s, op::plugin_pull op,
                                               call_options opts) {
  auto body = co_await encode_array(s, op.privileges, opts);
  if (!body) co_return unexpected(body.error());
  query q;
  q.add("remote", op.remote);
  q.add_opt("name", op.name);
  auto spec = make_spec("POST", "/plugins/pull", q.str());
  spec.body = std::move(*body);
  set_registry_auth(spec, op.registry_auth);
  co_return co_await progress(s, std::move(spec), opts);
}

asio::awaitable<result<plugin>> execute(std::shared_ptr<state> s, op::plugin_inspect op,
                                        call_options opts) {
  co_return co_await call_json<plugin>(s, make_spec("GET", plugin_path(op.name, "/json")), opts);
}

asio::awaitable<result<plugin>> execute(std::shared_ptr<state> s, op::plugin_delete op,
                                        call_options opts) {
  query q;
  if (op.force) q.add("force", "1");
  co_return co_await call_json<plugin>(s, make_spec("DELETE", plugin_path(op.name), q.str()), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::plugin_enable op,
                                       call_options opts) {
  co_return co_await call_empty(
      s, make_spec("POST", plugin_path(op.name, "/enable"), query().add_int("timeout", op.timeout).str()),
      opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::plugin_disable op,
                                       call_options opts) {
  query q;
  if (op.force) q.add("force", "1");
  co_return co_await call_empty(s, make_spec("POST", plugin_path(op.name, "/disable"), q.str()),
                                opts);
}

asio::awaitable<result<record_stream>> execute(std::shared_ptr<state> s, op::plugin_upgrade op,
                                               call_options opts) {
  auto body = co_await encode_array(s, op.privileges, opts);
  if (!body) co_return unexpected(body.error());
  auto spec = make_spec("POST", plugin_path(op.name, "/upgrade"),
                        query().add("remote", op.remote).str());
  spec.body = std::move(*body);
  set_registry_auth(spec, op.registry_auth);
  co_return co_await progress(s, std::move(spec), opts);
}

asio::awaitable<result<http::request_writer>> execute(std::shared_ptr<state> s,
                                                      op::plugin_create op, call_options opts) {
  auto spec = make_spec("POST", "/plugins/create", query().add("name", op.name).str());
  spec.content_type = "application/x-tar";
  auto req = co_await prepare(s, std::move(spec), opts);
  if (!req) co_return unexpected(req.error());
  auto [ec, w] = co_await s->http.async_begin(std::move(*req), opts.timeouts,
                                              tuple_awaitable);
  if (ec) co_return unexpected(ec);
  co_return std::move(w);
}

asio::awaitable<result<record_stream>> execute(std::shared_ptr<state> s, op::plugin_push op,
                                               call_options opts) {
  auto spec = make_spec("POST", plugin_path(op.name, "/push"));
  set_registry_auth(spec, op.registry_auth);
  co_return co_await progress(s, std::move(spec), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::plugin_set op,
                                       call_options opts) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartArray();
  for (const auto& kv : op.settings) w.String(kv.data(), static_cast<rapidjson::SizeType>(kv.size()));
  w.EndArray();
  auto spec = make_spec("POST", plugin_path(op.name, "/set"));
  spec.body.assign(sb.GetString(), sb.GetSize());
  co_return co_await call_empty(s, std::move(spec), opts);
}

}  // namespace berth::engine::detail
