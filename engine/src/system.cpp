#include "berth/engine/op/system.hpp"

#include "op_helpers.hpp"
#include "state.hpp"

namespace berth::engine::detail {
namespace {

ping_result ping_from(const http::response& r) {
  ping_result p;
  if (auto v = r.headers.find("Api-Version"))
    if (auto parsed = api_version::parse(*v)) p.api = *parsed;
  if (auto v = r.headers.find("Ostype")) p.os_type.assign(*v);
  if (auto v = r.headers.find("Docker-Experimental")) p.experimental = *v == "true";
  if (auto v = r.headers.find("Builder-Version")) p.builder_version.assign(*v);
  if (auto v = r.headers.find("Swarm")) p.swarm.emplace(*v);
  if (auto v = r.headers.find("Cache-Control")) p.cache_control.assign(*v);
  return p;
}

asio::awaitable<result<ping_result>> ping(std::shared_ptr<state> s, std::string method,
                                         call_options opts) {
  call_spec spec;
  spec.method = std::move(method);
  spec.path = "/_ping";
  spec.unversioned = true;
  auto r = co_await call(s, spec, opts);
  if (!r && spec.method == "HEAD" && r.error() == error::unexpected_status && opts.diag &&
      opts.diag->status == 405) {
    spec.method = "GET";
    r = co_await call(s, spec, opts);
  }
  if (!r) co_return unexpected(r.error());
  co_return ping_from(*r);
}

}  // namespace

asio::awaitable<result<ping_result>> execute(std::shared_ptr<state> s, op::system_ping,
                                             call_options opts) {
  return ping(std::move(s), "GET", opts);
}

asio::awaitable<result<ping_result>> execute(std::shared_ptr<state> s, op::system_ping_head,
                                             call_options opts) {
  return ping(std::move(s), "HEAD", opts);
}

asio::awaitable<result<engine::system_version>> execute(std::shared_ptr<state> s,
                                                        op::system_version, call_options opts) {
  co_return co_await call_json<engine::system_version>(s, make_spec("GET", "/version"), opts);
}

asio::awaitable<result<engine::system_info>> execute(std::shared_ptr<state> s, op::system_info,
                                                     call_options opts) {
  co_return co_await call_json<engine::system_info>(s, make_spec("GET", "/info"), opts);
}

asio::awaitable<result<system_data_usage_response>> execute(std::shared_ptr<state> s,
                                                            op::system_data_usage op,
                                                            call_options opts) {
  query q;
  if (!op.types.empty()) {
    auto v = co_await negotiate(s, opts);
    if (!v) co_return unexpected(v.error());
    if (*v < api_version{1, 42}) {
      if (opts.diag) {
        opts.diag->clear();
        opts.diag->set_message("type needs API 1.42, negotiated " + v->to_string());
      }
      co_return unexpected(error::field_unsupported);
    }
    for (const auto& t : op.types) q.add("type", t);
  }
  if (!opts.timeouts.head) opts.timeouts.head = std::chrono::milliseconds(0);
  co_return co_await call_json<system_data_usage_response>(
      s, make_spec("GET", "/system/df", q.str()), opts);
}

asio::awaitable<result<event_stream>> execute(std::shared_ptr<state> s, op::system_events op,
                                              call_options opts) {
  query q;
  q.add_opt("since", op.since);
  q.add_opt("until", op.until);
  q.add_filters("filters", op.filters);
  // The head comes at once, the events whenever something happens.
  if (!opts.timeouts.idle) opts.timeouts.idle = std::chrono::milliseconds(0);
  auto body = co_await open_stream(s, make_spec("GET", "/events", q.str()), opts);
  if (!body) co_return unexpected(body.error());
  co_return event_stream(record_stream(std::move(*body)));
}

asio::awaitable<result<auth_response>> execute(std::shared_ptr<state> s, op::system_auth op,
                                               call_options opts) {
  auto body = co_await encode_body(s, op.body, opts);
  if (!body) co_return unexpected(body.error());
  auto spec = make_spec("POST", "/auth");
  spec.body = std::move(*body);
  auto r = co_await call(s, std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  if (r->status == 204 || r->body.empty()) co_return auth_response{};
  co_return decode<auth_response>(r->body, opts.diag);
}

}  // namespace berth::engine::detail

namespace berth::engine {

asio::awaitable<result<event_message>> event_stream::do_next(
    std::shared_ptr<detail::record_state> s) {
  if (!s) co_return unexpected(make_error_code(errc::stream_closed));
  auto rec = co_await record_stream::do_next(std::move(s));
  if (!rec) co_return unexpected(rec.error());
  co_return detail::decode<event_message>(*rec, nullptr);
}

event_message event_stream::next(std::error_code& ec) {
  ec.clear();
  auto rec = records_.next(ec);
  if (ec) return {};
  auto ev = detail::decode<event_message>(rec, nullptr);
  if (!ev) {
    ec = ev.error();
    return {};
  }
  return std::move(*ev);
}

event_message event_stream::next() {
  return or_throw([&](std::error_code& ec) { return next(ec); });
}

}  // namespace berth::engine
