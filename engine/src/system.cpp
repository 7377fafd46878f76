#include "berth/engine/op/system.hpp"

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

}  // namespace berth::engine::detail
