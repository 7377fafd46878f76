// The clients' bodies: encode, deadline, send through the Asio bridge, tell an unknown
// route from a gone service, check the error key, decode.
#include "berth/apple/client.hpp"

#include "berth/apple/routes.hpp"
#include "call.hpp"
#include "wire.hpp"

namespace berth::apple::detail {

struct client_state {
  service svc;
  std::shared_ptr<execution_host> host;
  std::shared_ptr<transport> t;
  client_options opts;
};

std::shared_ptr<client_state> make_client_state(service svc, std::shared_ptr<execution_host> host,
                                                std::shared_ptr<transport> t, client_options o) {
  return std::make_shared<client_state>(client_state{svc, std::move(host), std::move(t), std::move(o)});
}

execution_host& host_of(const std::shared_ptr<client_state>& s) noexcept { return *s->host; }

namespace {

constexpr std::chrono::milliseconds unknown_route_timeout{60'000};

std::chrono::milliseconds deadline_of(const client_state& s, std::string_view route, const call_options& opts) {
  if (opts.timeouts.total) return *opts.timeouts.total;
  auto it = s.opts.route_timeouts.find(route);
  if (it != s.opts.route_timeouts.end()) return it->second;
  const route_info* ri = find_route(route);
  return ri ? ri->default_timeout : unknown_route_timeout;
}

void set_diag(berth::diagnostics* diag, std::string_view route, std::string_view msg) {
  if (!diag) return;
  diag->clear();
  diag->request_id.assign(route);
  diag->set_message(msg);
}

// connection_interrupted from the apiserver: a ping probe tells an unknown route (the
// apiserver answers: no_reply) from a gone service (APPLE.md §1.2 check 4, "treat
// interrupted on a healthy connection as route not supported"). The images service has no
// ping route: its interruptions stay connection_interrupted.
bool needs_probe(const client_state& s, std::string_view route, std::error_code ec) {
  return ec == xpc_errc::connection_interrupted && s.svc == service::apiserver && route != op::ping::route;
}

// The other transport failures need no co_await: after a cancellation, awaiting anything
// throws operation_aborted (Asio's throw_if_cancelled), and the caller must see
// berth::errc::cancelled.
std::error_code plain_failure(const std::string& route, std::error_code ec, berth::diagnostics* diag) {
  set_diag(diag, route, route + ": " + ec.message());
  return ec;
}

asio::awaitable<std::error_code> probe(std::shared_ptr<client_state> s, std::string route, std::error_code ec,
                                       berth::diagnostics* diag) {
  message ping_request = make_request(op::ping::route);
  call_settings cs{s->opts.probe_timeout, false};
  call_outcome out = co_await call(s->t, service::apiserver, std::move(ping_request), cs);
  if (!out.ec) {
    op::ping ping;
    auto info = wire::decode(ping, out.reply, nullptr);
    const std::string version = info ? info->api_server_version : std::string("version unknown");
    set_diag(diag, route,
             "no reply to " + route + "; the apiserver (" + version + ") is up: the route may be unknown to it");
    co_return make_error_code(xpc_errc::no_reply);
  }
  co_return plain_failure(route, ec, diag);
}

template <class Op>
asio::awaitable<result<typename Op::result_type>> run_op(std::shared_ptr<client_state> s, Op o, call_options opts) {
  auto req = wire::encode(o);
  if (!req) {
    set_diag(opts.diag, Op::route, std::string(Op::route) + ": request not encodable: " + req.error().message());
    co_return unexpected(req.error());
  }
  message request = std::move(*req);
  std::chrono::milliseconds deadline = deadline_of(*s, Op::route, opts);
  if constexpr (std::is_same_v<Op, op::container_stop>) {
    // The daemon waits up to timeoutInSeconds before it escalates (berth policy).
    if (deadline.count() > 0 && !opts.timeouts.total && o.options.timeout_in_seconds > 0)
      deadline += std::chrono::seconds(o.options.timeout_in_seconds);
  }
  const route_info* ri = find_route(Op::route);
  call_settings cs{deadline, ri && ri->dedicated_connection};
  call_outcome out = co_await call(s->t, Op::service_id, std::move(request), cs);
  if (out.ec) {
    // Named arguments only: GCC 12 may destroy class-type temporaries of a co_await twice.
    std::string route(Op::route);
    if (!needs_probe(*s, route, out.ec)) co_return unexpected(plain_failure(route, out.ec, opts.diag));
    std::error_code ec = co_await probe(s, route, out.ec, opts.diag);
    co_return unexpected(ec);
  }
  co_return wire::decode(o, out.reply, opts.diag);
}

}  // namespace

#define BERTH_APPLE_DEFINE_EXECUTE(name)                                                                 \
  asio::awaitable<result<op::name::result_type>> execute(std::shared_ptr<client_state> s, op::name o,    \
                                                         call_options opts) {                            \
    return run_op(std::move(s), std::move(o), opts);                                                     \
  }
BERTH_APPLE_APISERVER_OPS(BERTH_APPLE_DEFINE_EXECUTE)
BERTH_APPLE_IMAGES_OPS(BERTH_APPLE_DEFINE_EXECUTE)
#undef BERTH_APPLE_DEFINE_EXECUTE

asio::awaitable<result<message>> execute_raw(std::shared_ptr<client_state> s, message request, call_options opts) {
  const std::string route(route_of(request));
  if (route.empty()) {
    set_diag(opts.diag, route, "request has no route key");
    co_return unexpected(berth::errc::invalid_argument);
  }
  const route_info* ri = find_route(route);
  call_settings cs{deadline_of(*s, route, opts), ri && ri->dedicated_connection};
  call_outcome out = co_await call(s->t, s->svc, std::move(request), cs);
  if (out.ec) {
    if (!needs_probe(*s, route, out.ec)) co_return unexpected(plain_failure(route, out.ec, opts.diag));
    std::error_code ec = co_await probe(s, route, out.ec, opts.diag);
    co_return unexpected(ec);
  }
  if (auto ec = wire::inband_error(out.reply, opts.diag)) {
    if (opts.diag) opts.diag->request_id = route;
    co_return unexpected(ec);
  }
  if (opts.diag) opts.diag->clear();
  co_return std::move(out.reply);
}

}  // namespace berth::apple::detail
