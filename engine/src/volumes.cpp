// Volume operations.
#include "berth/engine/op/volumes.hpp"

#include "op_helpers.hpp"

namespace berth::engine::detail {

namespace {
std::string volume_path(const std::string& name) { return "/volumes/" + segment(name); }
}  // namespace

asio::awaitable<result<volume_list_response>> execute(std::shared_ptr<state> s,
                                                      op::volume_list op, call_options opts) {
  auto spec = make_spec("GET", "/volumes", query().add_filters("filters", op.filters).str());
  co_return co_await call_json<volume_list_response>(s, std::move(spec), opts);
}

asio::awaitable<result<volume>> execute(std::shared_ptr<state> s, op::volume_create op,
                                        call_options opts) {
  auto body = co_await encode_body(s, op.body, opts);
  if (!body) co_return unexpected(body.error());
  auto spec = make_spec("POST", "/volumes/create");
  spec.body = std::move(*body);
  co_return co_await call_json<volume>(s, std::move(spec), opts);
}

asio::awaitable<result<volume>> execute(std::shared_ptr<state> s, op::volume_inspect op,
                                        call_options opts) {
  co_return co_await call_json<volume>(s, make_spec("GET", volume_path(op.name)), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::volume_update op,
                                       call_options opts) {
  auto spec = make_spec("PUT", volume_path(op.name), query().add_int("version", op.version).str());
  spec.since = op::volume_update::since;
  // Check the version before serialising: the body's fields are all 1.42+ as well.
  auto v = co_await negotiate(s, opts);
  if (!v) co_return unexpected(v.error());
  if (*v < spec.since) {
    if (opts.diag) {
      opts.diag->clear();
      opts.diag->set_message("VolumeUpdate needs API " + spec.since.to_string() + ", negotiated " +
                             v->to_string());
    }
    co_return unexpected(error::operation_unsupported);
  }
  auto body = body_for(op.body, *v, opts.diag);
  if (!body) co_return unexpected(body.error());
  spec.body = std::move(*body);
  co_return co_await call_empty(s, std::move(spec), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::volume_delete op,
                                       call_options opts) {
  query q;
  if (op.force) q.add("force", "1");
  co_return co_await call_empty(s, make_spec("DELETE", volume_path(op.name), q.str()), opts);
}

asio::awaitable<result<volume_prune_response>> execute(std::shared_ptr<state> s,
                                                       op::volume_prune op, call_options opts) {
  auto spec = make_spec("POST", "/volumes/prune", query().add_filters("filters", op.filters).str());
  co_return co_await call_json<volume_prune_response>(s, std::move(spec), opts);
}

}  // namespace berth::engine::detail
