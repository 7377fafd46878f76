// Exec operations.
#include "berth/engine/op/exec.hpp"

#include "state.hpp"

namespace berth::engine::detail {

asio::awaitable<result<id_response>> execute(std::shared_ptr<state> s, op::container_exec op,
                                             call_options opts) {
  auto v = co_await negotiate(s, opts);
  if (!v) co_return unexpected(v.error());
  auto body = body_for(op.body, *v, opts.diag);
  if (!body) co_return unexpected(body.error());
  call_spec spec;
  spec.method = "POST";
  spec.path = "/containers/" + segment(op.id) + "/exec";
  spec.body = std::move(*body);
  co_return co_await call_json<id_response>(s, std::move(spec), opts);
}

namespace {
call_spec start_spec(const std::string& id, const exec_start_body& body, api_version v,
                     diagnostics* diag, std::error_code& ec) {
  call_spec spec;
  spec.method = "POST";
  spec.path = "/exec/" + segment(id) + "/start";
  auto json = body_for(body, v, diag);
  if (!json) ec = json.error();
  else spec.body = std::move(*json);
  return spec;
}
}  // namespace

asio::awaitable<result<output_stream>> execute(std::shared_ptr<state> s, op::exec_start op,
                                               call_options opts) {
  auto v = co_await negotiate(s, opts);
  if (!v) co_return unexpected(v.error());
  exec_start_body body;
  body.detach = false;
  body.tty = op.tty;
  body.console_size = op.console_size;
  std::error_code ec;
  auto spec = start_spec(op.id, body, *v, opts.diag, ec);
  if (ec) co_return unexpected(ec);
  // The output lasts as long as the process: no head deadline unless the caller sets one.
  if (!opts.timeouts.head) opts.timeouts.head = std::chrono::milliseconds(0);
  if (op.stdin_) {
    auto raw = co_await open_upgraded(s, std::move(spec), opts);
    if (!raw) co_return unexpected(raw.error());
    co_return output_stream(std::move(*raw), !op.tty);
  }
  auto stream = co_await open_stream(s, std::move(spec), opts);
  if (!stream) co_return unexpected(stream.error());
  co_return output_stream(std::move(*stream), !op.tty);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::exec_start_detached op,
                                       call_options opts) {
  auto v = co_await negotiate(s, opts);
  if (!v) co_return unexpected(v.error());
  exec_start_body body;
  body.detach = true;
  body.tty = op.tty;
  std::error_code ec;
  auto spec = start_spec(op.id, body, *v, opts.diag, ec);
  if (ec) co_return unexpected(ec);
  co_return co_await call_empty(s, std::move(spec), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::exec_resize op,
                                       call_options opts) {
  call_spec spec;
  spec.method = "POST";
  spec.path = "/exec/" + segment(op.id) + "/resize";
  spec.query = query().add_int("h", op.height).add_int("w", op.width).str();
  co_return co_await call_empty(s, std::move(spec), opts);
}

asio::awaitable<result<exec_inspect_response>> execute(std::shared_ptr<state> s,
                                                       op::exec_inspect op, call_options opts) {
  call_spec spec;
  spec.path = "/exec/" + segment(op.id) + "/json";
  co_return co_await call_json<exec_inspect_response>(s, std::move(spec), opts);
}

}  // namespace berth::engine::detail
