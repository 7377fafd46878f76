// Container operations.
#include "berth/engine/op/containers.hpp"

#include "berth/core/asio_compat.hpp"
#include <asio/use_awaitable.hpp>
#include <rapidjson/document.h>

#include "berth/io/base64.hpp"
#include "state.hpp"

namespace berth::engine {
namespace detail {

namespace {

std::string container_path(const std::string& id, std::string_view tail = {}) {
  std::string p = "/containers/" + segment(id);
  p += tail;
  return p;
}

call_spec post(std::string path, std::string query = {}) {
  call_spec spec;
  spec.method = "POST";
  spec.path = std::move(path);
  spec.query = std::move(query);
  return spec;
}

/// Whether a container output stream is multiplexed: the Content-Type says so on
/// API 1.42+; older daemons send raw-stream either way and only the TTY setting tells.
asio::awaitable<result<bool>> is_multiplexed(std::shared_ptr<state> s, const http::fields& headers,
                                             const std::string& id, std::optional<bool> tty_hint,
                                             call_options opts) {
  auto ct = headers.find("Content-Type");
  if (ct && *ct == "application/vnd.docker.multiplexed-stream") co_return true;
  if (ct && *ct == "application/vnd.docker.raw-stream" && s->version &&
      *s->version >= api_version{1, 42})
    co_return false;
  if (tty_hint) co_return !*tty_hint;
  call_options quiet = opts;
  // A named op: GCC 12 destroys a braced prvalue argument of a coroutine call under
  // co_await twice (double free of the id).
  op::container_inspect inspect{.id = id, .size = false};
  auto info = co_await execute(s, std::move(inspect), quiet);
  if (!info) co_return unexpected(info.error());
  bool tty = info->config && info->config->tty.value_or(false);
  co_return !tty;
}

result<path_stat> stat_from(const http::fields& headers) {
  auto h = headers.find("X-Docker-Container-Path-Stat");
  if (!h) return unexpected(error::bad_response);
  auto json = io::base64_decode(*h);
  if (!json) return unexpected(error::bad_response);
  rapidjson::Document d;
  d.Parse(json->data(), json->size());
  if (d.HasParseError() || !d.IsObject()) return unexpected(error::bad_response);
  path_stat st;
  auto str = [&](const char* k, std::string& out) {
    auto m = d.FindMember(k);
    if (m != d.MemberEnd() && m->value.IsString()) out.assign(m->value.GetString(), m->value.GetStringLength());
  };
  str("name", st.name);
  str("mtime", st.mtime);
  str("linkTarget", st.link_target);
  if (auto m = d.FindMember("size"); m != d.MemberEnd() && m->value.IsInt64()) st.size = m->value.GetInt64();
  if (auto m = d.FindMember("mode"); m != d.MemberEnd() && m->value.IsUint()) st.mode = m->value.GetUint();
  return st;
}

}  // namespace

asio::awaitable<result<std::vector<container_summary>>> execute(std::shared_ptr<state> s,
                                                                op::container_list op,
                                                                call_options opts) {
  call_spec spec;
  spec.path = "/containers/json";
  query q;
  if (op.all) q.add("all", "1");
  q.add_int("limit", op.limit);
  if (op.size) q.add("size", "1");
  q.add_filters("filters", op.filters);
  spec.query = q.str();
  auto r = co_await call(s, std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  co_return decode_array<container_summary>(r->body, opts.diag);
}

asio::awaitable<result<container_create_response>> execute(std::shared_ptr<state> s,
                                                            op::container_create op,
                                                            call_options opts) {
  auto v = co_await negotiate(s, opts);
  if (!v) co_return unexpected(v.error());
  auto body = body_for(op.body, *v, opts.diag);
  if (!body) co_return unexpected(body.error());
  query q;
  q.add_opt("name", op.name);
  q.add_opt("platform", op.platform);
  auto spec = post("/containers/create", q.str());
  spec.body = std::move(*body);
  co_return co_await call_json<container_create_response>(s, std::move(spec), opts);
}

asio::awaitable<result<container_inspect_response>> execute(std::shared_ptr<state> s,
                                                            op::container_inspect op,
                                                            call_options opts) {
  call_spec spec;
  spec.path = container_path(op.id, "/json");
  if (op.size) spec.query = "size=1";
  co_return co_await call_json<container_inspect_response>(s, std::move(spec), opts);
}

asio::awaitable<result<container_top_response>> execute(std::shared_ptr<state> s,
                                                        op::container_top op, call_options opts) {
  call_spec spec;
  spec.path = container_path(op.id, "/top");
  spec.query = query().add_opt("ps_args", op.ps_args).str();
  co_return co_await call_json<container_top_response>(s, std::move(spec), opts);
}

asio::awaitable<result<output_stream>> execute(std::shared_ptr<state> s, op::container_logs op,
                                               call_options opts) {
  call_spec spec;
  spec.path = container_path(op.id, "/logs");
  query q;
  if (op.follow) q.add("follow", "1");
  q.add("stdout", op.stdout_ ? "1" : "0");
  q.add("stderr", op.stderr_ ? "1" : "0");
  q.add_int("since", op.since);
  q.add_int("until", op.until);
  if (op.timestamps) q.add("timestamps", "1");
  q.add_opt("tail", op.tail);
  spec.query = q.str();
  if (op.follow && !opts.timeouts.head) opts.timeouts.head = std::chrono::milliseconds(0);
  auto body = co_await open_stream(s, std::move(spec), opts);
  if (!body) co_return unexpected(body.error());
  auto mux = co_await is_multiplexed(s, body->head().headers, op.id, op.tty, opts);
  if (!mux) co_return unexpected(mux.error());
  co_return output_stream(std::move(*body), *mux);
}

asio::awaitable<result<std::vector<filesystem_change>>> execute(std::shared_ptr<state> s,
                                                                op::container_changes op,
                                                                call_options opts) {
  call_spec spec;
  spec.path = container_path(op.id, "/changes");
  auto r = co_await call(s, std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  if (r->body == "null\n" || r->body == "null") co_return std::vector<filesystem_change>{};
  co_return decode_array<filesystem_change>(r->body, opts.diag);
}

asio::awaitable<result<http::body_stream>> execute(std::shared_ptr<state> s,
                                                   op::container_export op, call_options opts) {
  call_spec spec;
  spec.path = container_path(op.id, "/export");
  co_return co_await open_stream(s, std::move(spec), opts);
}

asio::awaitable<result<container_stats_response>> execute(std::shared_ptr<state> s,
                                                          op::container_stats op,
                                                          call_options opts) {
  call_spec spec;
  spec.path = container_path(op.id, "/stats");
  query q;
  q.add("stream", "0");
  if (op.one_shot) q.add("one-shot", "1");
  spec.query = q.str();
  co_return co_await call_json<container_stats_response>(s, std::move(spec), opts);
}

asio::awaitable<result<record_stream>> execute(std::shared_ptr<state> s,
                                               op::container_stats_stream op, call_options opts) {
  call_spec spec;
  spec.path = container_path(op.id, "/stats");
  spec.query = "stream=1";
  auto body = co_await open_stream(s, std::move(spec), opts);
  if (!body) co_return unexpected(body.error());
  co_return record_stream(std::move(*body));
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::container_resize op,
                                       call_options opts) {
  query q;
  q.add_int("h", op.height).add_int("w", op.width);
  co_return co_await call_empty(s, post(container_path(op.id, "/resize"), q.str()), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::container_start op,
                                       call_options opts) {
  co_return co_await call_empty(
      s, post(container_path(op.id, "/start"), query().add_opt("detachKeys", op.detach_keys).str()),
      opts);
}

namespace {
asio::awaitable<result<empty>> stop_like(std::shared_ptr<state> s, const char* what, std::string id,
                                         std::optional<std::int64_t> timeout,
                                         std::optional<std::string> signal, call_options opts) {
  query q;
  q.add_int("t", timeout);
  if (signal) {
    auto v = co_await negotiate(s, opts);
    if (!v) co_return unexpected(v.error());
    if (*v < api_version{1, 42}) {
      if (opts.diag) opts.diag->set_message("signal needs API 1.42");
      co_return unexpected(error::field_unsupported);
    }
    q.add("signal", *signal);
  }
  // The daemon answers after the grace period: let the head wait for it.
  if (!opts.timeouts.head && timeout)
    opts.timeouts.head = std::chrono::seconds(*timeout + 60);
  co_return co_await call_empty(s, post(container_path(id, what), q.str()), opts);
}
}  // namespace

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::container_stop op,
                                       call_options opts) {
  return stop_like(std::move(s), "/stop", std::move(op.id), op.timeout, std::move(op.signal), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::container_restart op,
                                       call_options opts) {
  return stop_like(std::move(s), "/restart", std::move(op.id), op.timeout, std::move(op.signal),
                   opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::container_kill op,
                                       call_options opts) {
  co_return co_await call_empty(
      s, post(container_path(op.id, "/kill"), query().add_opt("signal", op.signal).str()), opts);
}

asio::awaitable<result<container_update_response>> execute(std::shared_ptr<state> s,
                                                            op::container_update op,
                                                            call_options opts) {
  auto v = co_await negotiate(s, opts);
  if (!v) co_return unexpected(v.error());
  auto body = body_for(op.body, *v, opts.diag);
  if (!body) co_return unexpected(body.error());
  auto spec = post(container_path(op.id, "/update"));
  spec.body = std::move(*body);
  co_return co_await call_json<container_update_response>(s, std::move(spec), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::container_rename op,
                                       call_options opts) {
  co_return co_await call_empty(
      s, post(container_path(op.id, "/rename"), query().add("name", op.name).str()), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::container_pause op,
                                       call_options opts) {
  co_return co_await call_empty(s, post(container_path(op.id, "/pause")), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::container_unpause op,
                                       call_options opts) {
  co_return co_await call_empty(s, post(container_path(op.id, "/unpause")), opts);
}

asio::awaitable<result<output_stream>> execute(std::shared_ptr<state> s, op::container_attach op,
                                               call_options opts) {
  query q;
  if (op.stream) q.add("stream", "1");
  if (op.logs) q.add("logs", "1");
  if (op.stdin_) q.add("stdin", "1");
  q.add("stdout", op.stdout_ ? "1" : "0");
  q.add("stderr", op.stderr_ ? "1" : "0");
  q.add_opt("detachKeys", op.detach_keys);
  auto raw = co_await open_upgraded(s, post(container_path(op.id, "/attach"), q.str()), opts);
  if (!raw) co_return unexpected(raw.error());
  auto mux = co_await is_multiplexed(s, raw->head().headers, op.id, op.tty, opts);
  if (!mux) co_return unexpected(mux.error());
  co_return output_stream(std::move(*raw), *mux, op.stdin_);
}

asio::awaitable<result<output_stream>> execute(std::shared_ptr<state>, op::container_attach_websocket,
                                               call_options opts) {
  if (opts.diag) opts.diag->set_message("attach over WebSocket is not supported; use container_attach");
  co_return unexpected(errc::unsupported);
}

asio::awaitable<result<container_wait_response>> execute(std::shared_ptr<state> s,
                                                          op::container_wait op,
                                                          call_options opts) {
  auto spec = post(container_path(op.id, "/wait"), query().add_opt("condition", op.condition).str());
  if (!opts.timeouts.head) opts.timeouts.head = std::chrono::milliseconds(0);
  co_return co_await call_json<container_wait_response>(s, std::move(spec), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::container_delete op,
                                       call_options opts) {
  call_spec spec;
  spec.method = "DELETE";
  spec.path = container_path(op.id);
  query q;
  if (op.volumes) q.add("v", "1");
  if (op.force) q.add("force", "1");
  if (op.link) q.add("link", "1");
  spec.query = q.str();
  co_return co_await call_empty(s, std::move(spec), opts);
}

asio::awaitable<result<path_stat>> execute(std::shared_ptr<state> s,
                                           op::container_archive_info op, call_options opts) {
  call_spec spec;
  spec.method = "HEAD";
  spec.path = container_path(op.id, "/archive");
  spec.query = query().add("path", op.path).str();
  auto r = co_await call(s, std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  co_return stat_from(r->headers);
}

asio::awaitable<result<engine::archive>> execute(std::shared_ptr<state> s,
                                                 op::container_archive op, call_options opts) {
  call_spec spec;
  spec.path = container_path(op.id, "/archive");
  spec.query = query().add("path", op.path).str();
  auto body = co_await open_stream(s, std::move(spec), opts);
  if (!body) co_return unexpected(body.error());
  auto st = stat_from(body->head().headers);
  engine::archive a;
  if (st) a.stat = std::move(*st);
  a.body = std::move(*body);
  co_return a;
}

asio::awaitable<result<http::request_writer>> execute(std::shared_ptr<state> s,
                                                      op::put_container_archive op,
                                                      call_options opts) {
  query q;
  q.add("path", op.path);
  if (op.no_overwrite_dir_non_dir) q.add("noOverwriteDirNonDir", "1");
  if (op.copy_uid_gid) q.add("copyUIDGID", "1");
  call_spec spec;
  spec.method = "PUT";
  spec.path = container_path(op.id, "/archive");
  spec.query = q.str();
  spec.content_type = "application/x-tar";
  auto req = co_await prepare(s, std::move(spec), opts);
  if (!req) co_return unexpected(req.error());
  auto [ec, w] = co_await s->http.async_begin(std::move(*req), opts.timeouts,
                                              tuple_awaitable);
  if (ec) co_return unexpected(ec);
  co_return std::move(w);
}

asio::awaitable<result<container_prune_response>> execute(std::shared_ptr<state> s,
                                                          op::container_prune op,
                                                          call_options opts) {
  auto spec = post("/containers/prune", query().add_filters("filters", op.filters).str());
  co_return co_await call_json<container_prune_response>(s, std::move(spec), opts);
}

}  // namespace detail

namespace detail {

asio::awaitable<result<void>> check_answer(http::body_stream answer, berth::diagnostics* diag) {
  auto [ec, body] = co_await answer.async_read_all(64 * 1024, tuple_awaitable);
  if (ec) co_return unexpected(ec);
  if (answer.status() >= 300)
    co_return unexpected(error_from_response(answer.status(), body, answer.head().headers, diag));
  if (diag) diag->clear();
  co_return result<void>{};
}

asio::awaitable<result<void>> finish_upload(http::request_writer w, berth::diagnostics* diag) {
  auto [ec, answer] = co_await w.async_finish(tuple_awaitable);
  if (ec) co_return unexpected(ec);
  co_return co_await check_answer(std::move(answer), diag);
}

}  // namespace detail

void check_answer(http::body_stream& answer, std::error_code& ec, berth::diagnostics* diag) {
  if (!answer.is_open() && answer.status() == 0) {
    ec = make_error_code(errc::stream_closed);
    return;
  }
  ec = answer.host().run<void>([&](auto h) { async_check_answer(std::move(answer), diag, std::move(h)); }).error();
}

void check_answer(http::body_stream& answer) {
  berth::diagnostics diag;
  or_throw([&](std::error_code& ec) { check_answer(answer, ec, &diag); }, [&] { return diag; });
}

void finish_put_archive(http::request_writer& w, std::error_code& ec, berth::diagnostics* diag) {
  if (!w.is_open()) {
    ec = make_error_code(errc::stream_closed);
    return;
  }
  ec = w.host().run<void>([&](auto h) { async_finish_put_archive(std::move(w), diag, std::move(h)); }).error();
}

void finish_put_archive(http::request_writer& w) {
  berth::diagnostics diag;
  or_throw([&](std::error_code& ec) { finish_put_archive(w, ec, &diag); }, [&] { return diag; });
}

}  // namespace berth::engine
