// Network operations.
#include "berth/engine/op/networks.hpp"

#include "op_helpers.hpp"

namespace berth::engine::detail {

namespace {
std::string network_path(const std::string& id, std::string_view tail = {}) {
  std::string p = "/networks/" + segment(id);
  p += tail;
  return p;
}
}  // namespace

asio::awaitable<result<std::vector<network_summary>>> execute(std::shared_ptr<state> s,
                                                              op::network_list op,
                                                              call_options opts) {
  auto spec = make_spec("GET", "/networks", query().add_filters("filters", op.filters).str());
  co_return co_await call_list<network_summary>(s, std::move(spec), opts);
}

asio::awaitable<result<network_inspect>> execute(std::shared_ptr<state> s, op::network_inspect op,
                                                 call_options opts) {
  query q;
  if (op.verbose) q.add("verbose", "1");
  q.add_opt("scope", op.scope);
  co_return co_await call_json<network_inspect>(s, make_spec("GET", network_path(op.id), q.str()),
                                                opts);
}

asio::awaitable<result<network_create_response>> execute(std::shared_ptr<state> s,
                                                         op::network_create op,
                                                         call_options opts) {
  auto body = co_await encode_body(s, op.body, opts);
  if (!body) co_return unexpected(body.error());
  auto spec = make_spec("POST", "/networks/create");
  spec.body = std::move(*body);
  co_return co_await call_json<network_create_response>(s, std::move(spec), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::network_connect op,
                                       call_options opts) {
  auto body = co_await encode_body(s, op.body, opts);
  if (!body) co_return unexpected(body.error());
  auto spec = make_spec("POST", network_path(op.id, "/connect"));
  spec.body = std::move(*body);
  co_return co_await call_empty(s, std::move(spec), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::network_disconnect op,
                                       call_options opts) {
  auto body = co_await encode_body(s, op.body, opts);
  if (!body) co_return unexpected(body.error());
  auto spec = make_spec("POST", network_path(op.id, "/disconnect"));
  spec.body = std::move(*body);
  co_return co_await call_empty(s, std::move(spec), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::network_delete op,
                                       call_options opts) {
  co_return co_await call_empty(s, make_spec("DELETE", network_path(op.id)), opts);
}

asio::awaitable<result<network_prune_response>> execute(std::shared_ptr<state> s,
                                                        op::network_prune op,
                                                        call_options opts) {
  auto spec = make_spec("POST", "/networks/prune", query().add_filters("filters", op.filters).str());
  co_return co_await call_json<network_prune_response>(s, std::move(spec), opts);
}

}  // namespace berth::engine::detail
