#include <algorithm>
#include <cstdlib>

#include "berth/core/asio_compat.hpp"

#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "berth/config/context.hpp"
#include "state.hpp"

namespace berth::engine {
namespace detail {

state::state(http::client c, client_options o)
    : http(std::move(c)), opts(std::move(o)), negotiated(http.get_executor()) {
  negotiated.expires_at(asio::steady_timer::time_point::max());
  if (opts.version) version = std::clamp(*opts.version, min_api_version, max_api_version);
}

http::client& transport_of(const std::shared_ptr<state>& s) noexcept { return s->http; }

asio::awaitable<result<api_version>> negotiate(std::shared_ptr<state> s, call_options opts) {
  for (;;) {
    if (s->version) co_return *s->version;
    if (!s->negotiating) break;
    // Another operation is negotiating: wait for it (single flight).
    std::error_code ec;
    co_await s->negotiated.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none) co_return unexpected(errc::cancelled);
  }
  s->negotiating = true;
  http::request req;
  req.target = s->http.endpoint().base_path + "/_ping";
  auto r = co_await s->http.async_perform(
      std::move(req), opts.timeouts,
      tuple_awaitable);
  s->negotiating = false;
  s->negotiated.cancel();  // wake the waiters; they re-check s->version
  auto& [ec, resp] = r;
  if (ec) co_return unexpected(ec);
  if (resp.status != 200) {
    auto e = error_from_response(resp.status, resp.body, resp.headers, opts.diag);
    co_return unexpected(e);
  }
  auto header = resp.headers.find("Api-Version");
  std::optional<api_version> daemon = header ? api_version::parse(*header) : std::nullopt;
  // A daemon that does not say is older than 1.25; berth needs 1.41.
  if (!daemon || *daemon < min_api_version) {
    if (opts.diag) {
      opts.diag->status = 200;
      opts.diag->set_message("daemon API version " + (daemon ? daemon->to_string() : "unknown") +
                             ", berth needs " + min_api_version.to_string() + " or newer");
    }
    co_return unexpected(error::api_version_unsupported);
  }
  s->version = std::min(*daemon, max_api_version);
  co_return *s->version;
}

std::string segment(std::string_view s) { return http::url_encode(s); }

query& query::add(std::string_view key, std::string_view value) {
  if (!q_.empty()) q_ += '&';
  q_ += http::url_encode(key);
  q_ += '=';
  q_ += http::url_encode(value);
  return *this;
}

query& query::add_bool(std::string_view key, std::optional<bool> value) {
  return value ? add(key, *value ? "1" : "0") : *this;
}

query& query::add_int(std::string_view key, std::optional<std::int64_t> value) {
  return value ? add(key, std::to_string(*value)) : *this;
}

query& query::add_json(std::string_view key, std::string_view json) { return add(key, json); }

query& query::add_filters(std::string_view key,
                          const std::map<std::string, std::vector<std::string>>& f) {
  if (f.empty()) return *this;
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  for (const auto& [k, vs] : f) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.StartArray();
    for (const auto& v : vs) w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    w.EndArray();
  }
  w.EndObject();
  return add(key, std::string_view(sb.GetString(), sb.GetSize()));
}

std::error_code error_from_response(unsigned status, std::string_view body,
                                    const http::fields& headers, diagnostics* diag) {
  std::string message;
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (!d.HasParseError() && d.IsObject()) {
    auto m = d.FindMember("message");
    if (m != d.MemberEnd() && m->value.IsString())
      message.assign(m->value.GetString(), m->value.GetStringLength());
  } else {
    message.assign(body.substr(0, diagnostics::message_cap));
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  }
  if (diag) {
    diag->status = static_cast<int>(status);
    diag->set_message(message);
    if (auto id = headers.find("X-Request-Id")) diag->request_id.assign(*id);
    else if (auto id2 = headers.find("Docker-Request-Id")) diag->request_id.assign(*id2);
    else diag->request_id.clear();
  }
  return make_error_code(error_from_status(status, message));
}

asio::awaitable<result<http::request>> prepare(std::shared_ptr<state> s, call_spec spec,
                                                const call_options& opts) {
  http::request req;
  req.method = std::move(spec.method);
  const std::string& base = s->http.endpoint().base_path;
  if (spec.unversioned) {
    req.target = base + spec.path;
  } else {
    auto v = co_await negotiate(s, opts);
    if (!v) co_return unexpected(v.error());
    if (*v < spec.since) {
      if (opts.diag) {
        opts.diag->status = 0;
        opts.diag->set_message("operation needs API " + spec.since.to_string() + ", negotiated " +
                               v->to_string());
      }
      co_return unexpected(error::operation_unsupported);
    }
    req.target = base + "/v" + v->to_string() + spec.path;
  }
  if (!spec.query.empty()) {
    req.target += '?';
    req.target += spec.query;
  }
  req.headers = std::move(spec.headers);
  if (!spec.body.empty() || !spec.content_type.empty())
    req.headers.set("Content-Type", spec.content_type.empty() ? "application/json" : spec.content_type);
  req.body = std::move(spec.body);
  co_return req;
}

asio::awaitable<result<http::response>> call(std::shared_ptr<state> s, call_spec spec,
                                             call_options opts, bool accept_304) {
  auto req = co_await prepare(s, std::move(spec), opts);
  if (!req) co_return unexpected(req.error());
  // This coroutine runs on the transport's executor: its body is awaited in place, as
  // async_perform would have run it, without a co_spawn of its own.
  result<http::response> r = unexpected(errc::internal);
  try {
    r = co_await s->http.co_perform(std::move(*req), opts.timeouts);
  } catch (...) {
    r = unexpected(berth::detail::error_from_exception(std::current_exception()));
  }
  std::error_code ec = r ? std::error_code{} : r.error();
  if (ec) {
    if (opts.diag) {
      opts.diag->clear();
      opts.diag->set_message(ec.message());
    }
    co_return unexpected(ec);
  }
  http::response& resp = *r;
  if (resp.status >= 300 && !(accept_304 && resp.status == 304)) {
    co_return unexpected(error_from_response(resp.status, resp.body, resp.headers, opts.diag));
  }
  clear(opts.diag);
  co_return std::move(resp);
}

asio::awaitable<result<empty>> call_empty(std::shared_ptr<state> s, call_spec spec,
                                          call_options opts) {
  auto r = co_await call(std::move(s), std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

namespace {
constexpr std::uint64_t error_body_cap = 64 * 1024;

void fail_diag(diagnostics* diag, const std::error_code& ec) {
  if (diag) {
    diag->clear();
    diag->set_message(ec.message());
  }
}
}  // namespace

asio::awaitable<result<http::body_stream>> open_stream(std::shared_ptr<state> s, call_spec spec,
                                                       call_options opts) {
  auto req = co_await prepare(s, std::move(spec), opts);
  if (!req) co_return unexpected(req.error());
  auto [ec, stream] = co_await s->http.async_open(
      std::move(*req), opts.timeouts, tuple_awaitable);
  if (ec) {
    fail_diag(opts.diag, ec);
    co_return unexpected(ec);
  }
  if (stream.status() >= 300) {
    auto [ec2, body] = co_await stream.async_read_all(
        error_body_cap, tuple_awaitable);
    co_return unexpected(error_from_response(stream.status(), body, stream.head().headers, opts.diag));
  }
  clear(opts.diag);
  co_return std::move(stream);
}

asio::awaitable<result<http::hijacked_stream>> open_upgraded(std::shared_ptr<state> s,
                                                             call_spec spec, call_options opts) {
  auto req = co_await prepare(s, std::move(spec), opts);
  if (!req) co_return unexpected(req.error());
  auto [ec, stream] = co_await s->http.async_upgrade(
      std::move(*req), opts.timeouts, tuple_awaitable);
  if (ec) {
    fail_diag(opts.diag, ec);
    co_return unexpected(ec);
  }
  unsigned status = stream.head().status;
  if (status >= 300) {
    std::string body;
    char buf[4096];
    while (body.size() < error_body_cap) {
      auto [e, n] = co_await stream.async_read_some(asio::buffer(buf),
                                                    tuple_awaitable);
      body.append(buf, n);
      if (e) break;
    }
    co_return unexpected(error_from_response(status, body, stream.head().headers, opts.diag));
  }
  clear(opts.diag);
  co_return std::move(stream);
}

}  // namespace detail

client::client(net::endpoint ep, client_options opts)
    : state_(std::make_shared<detail::state>(http::client(std::move(ep), opts.http), opts)) {}

client::client(asio::any_io_executor ex, net::endpoint ep, client_options opts)
    : state_(std::make_shared<detail::state>(http::client(std::move(ex), std::move(ep), opts.http),
                                             opts)) {}

client::~client() = default;
client::client(const client&) = default;
client& client::operator=(const client&) = default;
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;

// DOCKER_API_VERSION pins the version; a malformed value is an error, not ignored.
static std::error_code env_version(client_options& opts) {
  const char* v = std::getenv("DOCKER_API_VERSION");
  if (!v || !*v) return {};
  auto parsed = api_version::parse(v);
  if (!parsed) return make_error_code(errc::invalid_argument);
  opts.version = parsed;
  return {};
}

result<client> client::from_env(client_options opts) {
  auto ep = berth::config::endpoint_from_context_env();  // DOCKER_HOST first, then the Docker context
  if (!ep) return unexpected(ep.error());
  if (auto ec = env_version(opts)) return unexpected(ec);
  return client(std::move(*ep), std::move(opts));
}

result<client> client::from_env(asio::any_io_executor ex, client_options opts) {
  auto ep = berth::config::endpoint_from_context_env();  // DOCKER_HOST first, then the Docker context
  if (!ep) return unexpected(ep.error());
  if (auto ec = env_version(opts)) return unexpected(ec);
  return client(std::move(ex), std::move(*ep), std::move(opts));
}

client::executor_type client::get_executor() const { return state_->http.get_executor(); }
const net::endpoint& client::endpoint() const { return state_->http.endpoint(); }
http::client& client::transport() { return state_->http; }

api_version client::negotiated_version(std::error_code& ec, call_options opts) {
  auto r = state_->http.run_sync<api_version>([&](auto h) {
    berth::detail::initiate<api_version>(
        get_executor(), [s = state_, opts] { return detail::negotiate(s, opts); }, std::move(h));
  });
  return value_or_set(std::move(r), ec);
}

api_version client::negotiated_version(call_options opts) {
  berth::diagnostics local;
  if (!opts.diag) opts.diag = &local;
  return or_throw([&](std::error_code& ec) { return negotiated_version(ec, opts); },
                  [&] { return *opts.diag; });
}

}  // namespace berth::engine
