// Image, build and distribution operations, and the typed progress streams.
#include "berth/engine/op/images.hpp"

#include <asio/error.hpp>
#include "berth/core/asio_compat.hpp"
#include <asio/use_awaitable.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "state.hpp"

namespace berth::engine {
namespace detail {

template <class Record>
struct progress_state {
  record_stream records;
  berth::diagnostics diag;
  bool failed = false;
};

namespace {


/// Parses one progress record; an in-band failure marks the stream failed.
template <class Record>
result<Record> classify(progress_state<Record>& s, const std::string& text) {
  auto rec = parse<Record>(text);
  if (!rec) {
    s.diag.set_message("could not decode a progress record: " + text.substr(0, 256));
    return unexpected(error::bad_response);
  }
  std::string message;
  if (rec->error_detail && rec->error_detail->message) message = *rec->error_detail->message;
  else if (rec->error) message = *rec->error;
  else if (rec->error_detail) message = "the daemon reported an error";
  if (!message.empty()) {
    s.failed = true;
    s.diag.set_message(message);
    if (rec->error_detail && rec->error_detail->code) s.diag.status = static_cast<int>(*rec->error_detail->code);
    return unexpected(error::stream_error);
  }
  return rec;
}

std::string trimmed(std::string_view v) {
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) v.remove_suffix(1);
  while (!v.empty() && (v.front() == '\n' || v.front() == ' ')) v.remove_prefix(1);
  return std::string(v);
}

void absorb(progress_summary& sum, const create_image_info& r) {
  if (r.status) sum.status = *r.status;
}
void absorb(progress_summary& sum, const push_image_info& r) {
  if (r.status) sum.status = *r.status;
}
void absorb(progress_summary& sum, const build_info& r) {
  if (r.aux && r.aux->id) sum.image_id = *r.aux->id;
  if (r.status) sum.status = *r.status;
  if (r.stream) {
    auto t = trimmed(*r.stream);
    if (!t.empty()) sum.status = t;
    constexpr std::string_view loaded_id = "Loaded image ID: ";
    if (t.rfind(loaded_id, 0) == 0) sum.image_id = t.substr(loaded_id.size());
  }
}

call_spec post(std::string path, std::string q = {}) {
  call_spec spec;
  spec.method = "POST";
  spec.path = std::move(path);
  spec.query = std::move(q);
  return spec;
}

std::string image_path(const std::string& name, std::string_view tail = {}) {
  std::string p = "/images/" + segment(name);
  p += tail;
  return p;
}

void set_auth(call_spec& spec, const std::optional<berth::config::auth_config>& a, bool always) {
  if (a) spec.headers.set("X-Registry-Auth", berth::config::encode_registry_auth(*a));
  else if (always) spec.headers.set("X-Registry-Auth", berth::config::encode_registry_auth({}));
}

std::string json_array(const std::vector<std::string>& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartArray();
  for (const auto& s : v) w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string json_object(const std::map<std::string, std::string>& m) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  for (const auto& [k, v] : m) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

/// Sends spec's head and returns a writer for its chunked body.
asio::awaitable<result<http::request_writer>> begin_upload(std::shared_ptr<state> s, call_spec spec,
                                                          call_options opts) {
  spec.content_type = "application/x-tar";
  auto req = co_await prepare(s, std::move(spec), opts);
  if (!req) co_return unexpected(req.error());
  auto [ec, w] = co_await s->http.async_begin(std::move(*req), opts.timeouts, tuple_awaitable);
  if (ec) {
    if (opts.diag) {
      opts.diag->clear();
      opts.diag->set_message(ec.message());
    }
    co_return unexpected(ec);
  }
  clear(opts.diag);
  co_return std::move(w);
}

asio::awaitable<result<record_stream>> open_records(std::shared_ptr<state> s, call_spec spec,
                                                    call_options opts) {
  auto body = co_await open_stream(std::move(s), std::move(spec), opts);
  if (!body) co_return unexpected(body.error());
  co_return record_stream(std::move(*body));
}

}  // namespace

// ---- operations ----------------------------------------------------------------------

asio::awaitable<result<std::vector<image_summary>>> execute(std::shared_ptr<state> s,
                                                            op::image_list op, call_options opts) {
  call_spec spec;
  spec.path = "/images/json";
  query q;
  if (op.all) q.add("all", "1");
  q.add_filters("filters", op.filters);
  if (op.digests) q.add("digests", "1");
  spec.query = q.str();
  auto r = co_await call(s, std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  co_return decode_array<image_summary>(r->body, opts.diag);
}

asio::awaitable<result<pull_stream>> execute(std::shared_ptr<state> s, op::image_create_pull op,
                                             call_options opts) {
  query q;
  q.add("fromImage", op.from_image);
  q.add_opt("tag", op.tag);
  q.add_opt("platform", op.platform);
  auto spec = post("/images/create", q.str());
  set_auth(spec, op.auth, false);
  auto r = co_await open_records(s, std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  co_return pull_stream(std::move(*r));
}

asio::awaitable<result<import_upload>> execute(std::shared_ptr<state> s, op::image_create_import op,
                                               call_options opts) {
  query q;
  q.add("fromSrc", "-");
  q.add_opt("repo", op.repo);
  q.add_opt("tag", op.tag);
  q.add_opt("message", op.message);
  for (const auto& c : op.changes) q.add("changes", c);
  q.add_opt("platform", op.platform);
  auto w = co_await begin_upload(s, post("/images/create", q.str()), opts);
  if (!w) co_return unexpected(w.error());
  co_return import_upload(std::move(*w));
}

asio::awaitable<result<engine::image_inspect>> execute(std::shared_ptr<state> s, op::image_inspect op,
                                                       call_options opts) {
  call_spec spec;
  spec.path = image_path(op.name, "/json");
  co_return co_await call_json<engine::image_inspect>(s, std::move(spec), opts);
}

asio::awaitable<result<std::vector<image_history_response_item>>> execute(std::shared_ptr<state> s,
                                                                          op::image_history op,
                                                                          call_options opts) {
  call_spec spec;
  spec.path = image_path(op.name, "/history");
  auto r = co_await call(s, std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  co_return decode_array<image_history_response_item>(r->body, opts.diag);
}

asio::awaitable<result<push_stream>> execute(std::shared_ptr<state> s, op::image_push op,
                                             call_options opts) {
  auto spec = post(image_path(op.name, "/push"), query().add_opt("tag", op.tag).str());
  set_auth(spec, op.auth, true);
  auto r = co_await open_records(s, std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  co_return push_stream(std::move(*r));
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::image_tag op, call_options opts) {
  query q;
  q.add("repo", op.repo);
  q.add_opt("tag", op.tag);
  co_return co_await call_empty(s, post(image_path(op.name, "/tag"), q.str()), opts);
}

asio::awaitable<result<std::vector<image_delete_response_item>>> execute(std::shared_ptr<state> s,
                                                                         op::image_delete op,
                                                                         call_options opts) {
  call_spec spec;
  spec.method = "DELETE";
  spec.path = image_path(op.name);
  query q;
  if (op.force) q.add("force", "1");
  if (op.noprune) q.add("noprune", "1");
  spec.query = q.str();
  auto r = co_await call(s, std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  co_return decode_array<image_delete_response_item>(r->body, opts.diag);
}

asio::awaitable<result<std::vector<image_search_response_item>>> execute(std::shared_ptr<state> s,
                                                                         op::image_search op,
                                                                         call_options opts) {
  call_spec spec;
  spec.path = "/images/search";
  query q;
  q.add("term", op.term);
  q.add_int("limit", op.limit);
  q.add_filters("filters", op.filters);
  spec.query = q.str();
  auto r = co_await call(s, std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  co_return decode_array<image_search_response_item>(r->body, opts.diag);
}

asio::awaitable<result<image_prune_response>> execute(std::shared_ptr<state> s, op::image_prune op,
                                                      call_options opts) {
  auto spec = post("/images/prune", query().add_filters("filters", op.filters).str());
  co_return co_await call_json<image_prune_response>(s, std::move(spec), opts);
}

asio::awaitable<result<id_response>> execute(std::shared_ptr<state> s, op::image_commit op,
                                             call_options opts) {
  std::string body = "{}";
  if (op.config) {
    auto v = co_await negotiate(s, opts);
    if (!v) co_return unexpected(v.error());
    auto b = body_for(*op.config, *v, opts.diag);
    if (!b) co_return unexpected(b.error());
    body = std::move(*b);
  }
  query q;
  q.add("container", op.container);
  q.add_opt("repo", op.repo);
  q.add_opt("tag", op.tag);
  q.add_opt("comment", op.comment);
  q.add_opt("author", op.author);
  q.add("pause", op.pause ? "1" : "0");
  q.add_opt("changes", op.changes);
  auto spec = post("/commit", q.str());
  spec.body = std::move(body);
  co_return co_await call_json<id_response>(s, std::move(spec), opts);
}

asio::awaitable<result<http::body_stream>> execute(std::shared_ptr<state> s, op::image_get op,
                                                   call_options opts) {
  call_spec spec;
  spec.path = image_path(op.name, "/get");
  co_return co_await open_stream(s, std::move(spec), opts);
}

asio::awaitable<result<http::body_stream>> execute(std::shared_ptr<state> s, op::image_get_all op,
                                                   call_options opts) {
  call_spec spec;
  spec.path = "/images/get";
  query q;
  for (const auto& n : op.names) q.add("names", n);
  spec.query = q.str();
  co_return co_await open_stream(s, std::move(spec), opts);
}

asio::awaitable<result<load_upload>> execute(std::shared_ptr<state> s, op::image_load op,
                                             call_options opts) {
  auto w = co_await begin_upload(s, post("/images/load", op.quiet ? "quiet=1" : "quiet=0"), opts);
  if (!w) co_return unexpected(w.error());
  co_return load_upload(std::move(*w));
}

asio::awaitable<result<std::vector<attestation_statement>>> execute(std::shared_ptr<state> s,
                                                                    op::image_attestations op,
                                                                    call_options opts) {
  query q;
  q.add_opt("platform", op.platform);
  for (const auto& t : op.types) q.add("type", t);
  if (op.statement) q.add("statement", "1");
  call_spec spec;
  spec.path = image_path(op.name, "/attestations");
  spec.query = q.str();
  spec.since = op::image_attestations::since;
  auto r = co_await call(s, std::move(spec), opts);
  if (!r) co_return unexpected(r.error());
  co_return decode_array<attestation_statement>(r->body, opts.diag);
}

asio::awaitable<result<engine::distribution_inspect>> execute(std::shared_ptr<state> s,
                                                              op::distribution_inspect op,
                                                              call_options opts) {
  call_spec spec;
  spec.path = "/distribution/" + segment(op.name) + "/json";
  set_auth(spec, op.auth, false);
  co_return co_await call_json<engine::distribution_inspect>(s, std::move(spec), opts);
}

asio::awaitable<result<build_upload>> execute(std::shared_ptr<state> s, op::image_build op,
                                              call_options opts) {
  query q;
  q.add_opt("dockerfile", op.dockerfile);
  for (const auto& t : op.tags) q.add("t", t);
  q.add_opt("extrahosts", op.extrahosts);
  q.add_opt("remote", op.remote);
  if (op.quiet) q.add("q", "1");
  if (op.nocache) q.add("nocache", "1");
  if (!op.cachefrom.empty()) q.add("cachefrom", json_array(op.cachefrom));
  if (op.pull) q.add("pull", "1");
  q.add("rm", op.rm ? "1" : "0");
  if (op.forcerm) q.add("forcerm", "1");
  q.add_int("memory", op.memory);
  q.add_int("memswap", op.memswap);
  q.add_int("cpushares", op.cpushares);
  q.add_opt("cpusetcpus", op.cpusetcpus);
  q.add_int("cpuperiod", op.cpuperiod);
  q.add_int("cpuquota", op.cpuquota);
  if (!op.buildargs.empty()) q.add("buildargs", json_object(op.buildargs));
  q.add_int("shmsize", op.shmsize);
  if (op.squash) q.add("squash", "1");
  if (!op.labels.empty()) q.add("labels", json_object(op.labels));
  q.add_opt("networkmode", op.networkmode);
  q.add_opt("platform", op.platform);
  q.add_opt("target", op.target);
  q.add_opt("outputs", op.outputs);
  q.add_opt("version", op.version);
  auto spec = post("/build", q.str());
  if (!op.registry_config.empty())
    spec.headers.set("X-Registry-Config", berth::config::encode_registry_config(op.registry_config));
  // The daemon answers once it has the whole context and starts building.
  if (!opts.timeouts.head) opts.timeouts.head = std::chrono::milliseconds(0);
  auto w = co_await begin_upload(s, std::move(spec), opts);
  if (!w) co_return unexpected(w.error());
  co_return build_upload(std::move(*w));
}

asio::awaitable<result<build_prune_response>> execute(std::shared_ptr<state> s, op::build_prune op,
                                                      call_options opts) {
  query q;
  q.add_int("keep-storage", op.keep_storage);
  if (op.all) q.add("all", "1");
  q.add_filters("filters", op.filters);
  auto spec = post("/build/prune", q.str());
  if (!opts.timeouts.head) opts.timeouts.head = std::chrono::milliseconds(0);
  co_return co_await call_json<build_prune_response>(s, std::move(spec), opts);
}

template <class Record>
asio::awaitable<result<progress_summary>> drain_progress(std::shared_ptr<progress_state<Record>> s) {
  progress_summary sum;
  for (;;) {
    // The stream's body, awaited in place (this runs on the stream's executor already).
    auto rec = co_await progress_stream<Record>::do_next(s);
    if (!rec && rec.error() == asio::error::eof) co_return sum;
    if (!rec) co_return unexpected(rec.error());
    ++sum.records;
    absorb(sum, *rec);
  }
}

template asio::awaitable<result<progress_summary>> drain_progress(
    std::shared_ptr<progress_state<create_image_info>>);
template asio::awaitable<result<progress_summary>> drain_progress(
    std::shared_ptr<progress_state<push_image_info>>);
template asio::awaitable<result<progress_summary>> drain_progress(
    std::shared_ptr<progress_state<build_info>>);

}  // namespace detail

// ---- progress_stream -----------------------------------------------------------------

template <class Record>
progress_stream<Record>::progress_stream(record_stream records)
    : state_(std::make_shared<detail::progress_state<Record>>()) {
  state_->records = std::move(records);
}

template <class Record>
progress_stream<Record>::~progress_stream() {
  close();
}

template <class Record>
bool progress_stream<Record>::is_open() const noexcept {
  return state_ && state_->records.is_open();
}

template <class Record>
typename progress_stream<Record>::executor_type progress_stream<Record>::get_executor() const {
  return state_ ? state_->records.get_executor() : executor_type();
}

template <class Record>
const berth::diagnostics& progress_stream<Record>::diagnostics() const noexcept {
  static const berth::diagnostics none;
  return state_ ? state_->diag : none;
}

template <class Record>
void progress_stream<Record>::close() noexcept {
  if (state_) state_->records.close();
}

template <class Record>
asio::awaitable<result<Record>> progress_stream<Record>::do_next(
    std::shared_ptr<detail::progress_state<Record>> s) {
  if (!s || !s->records.state()) co_return unexpected(errc::stream_closed);
  if (s->failed) co_return unexpected(error::stream_error);
  auto text = co_await record_stream::do_next(s->records.state());
  if (!text) co_return unexpected(text.error());
  co_return detail::classify(*s, *text);
}

template <class Record>
Record progress_stream<Record>::next(std::error_code& ec) {
  ec.clear();
  if (!state_ || !state_->records.state()) {
    ec = make_error_code(errc::stream_closed);
    return {};
  }
  if (state_->failed) {
    ec = make_error_code(error::stream_error);
    return {};
  }
  std::string text = state_->records.next(ec);
  if (ec) return {};
  auto r = detail::classify(*state_, text);
  if (!r) {
    ec = r.error();
    return {};
  }
  return std::move(*r);
}

template <class Record>
Record progress_stream<Record>::next() {
  return or_throw([&](std::error_code& ec) { return next(ec); }, [&] { return diagnostics(); });
}

template <class Record>
progress_summary drain(progress_stream<Record>& s, std::error_code& ec, berth::diagnostics* diag) {
  ec.clear();
  progress_summary sum;
  for (;;) {
    Record rec = s.next(ec);
    if (ec == asio::error::eof) break;
    if (ec) {
      if (diag) *diag = s.diagnostics();
      return {};
    }
    ++sum.records;
    detail::absorb(sum, rec);
  }
  ec.clear();
  if (diag) diag->clear();
  return sum;
}

template <class Record>
progress_summary drain(progress_stream<Record>& s) {
  return or_throw([&](std::error_code& ec) { return drain(s, ec); }, [&] { return s.diagnostics(); });
}

// ---- progress_upload -----------------------------------------------------------------

template <class Record>
asio::awaitable<result<progress_stream<Record>>> progress_upload<Record>::do_finish(
    std::shared_ptr<http::request_writer> w, berth::diagnostics* diag) {
  if (!w) co_return unexpected(errc::stream_closed);
  auto [ec, body] = co_await w->async_finish(tuple_awaitable);
  if (ec) {
    if (diag) {
      diag->clear();
      diag->set_message(ec.message());
    }
    co_return unexpected(ec);
  }
  if (body.status() >= 300) {
    auto [ec2, text] = co_await body.async_read_all(64 * 1024, tuple_awaitable);
    co_return unexpected(detail::error_from_response(body.status(), text, body.head().headers, diag));
  }
  if (diag) diag->clear();
  co_return progress_stream<Record>(record_stream(std::move(body)));
}

template <class Record>
progress_stream<Record> progress_upload<Record>::finish(std::error_code& ec, berth::diagnostics* diag) {
  if (!is_open()) {
    ec = make_error_code(errc::stream_closed);
    return {};
  }
  auto r = writer_->host().template run<progress_stream<Record>>(
      [&](auto h) { async_finish(diag, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

template <class Record>
progress_stream<Record> progress_upload<Record>::finish() {
  berth::diagnostics diag;
  return or_throw([&](std::error_code& ec) { return finish(ec, &diag); }, [&] { return diag; });
}

template class progress_stream<create_image_info>;
template class progress_stream<push_image_info>;
template class progress_stream<build_info>;
template class progress_upload<create_image_info>;
template class progress_upload<build_info>;
template progress_summary drain(progress_stream<create_image_info>&, std::error_code&, berth::diagnostics*);
template progress_summary drain(progress_stream<push_image_info>&, std::error_code&, berth::diagnostics*);
template progress_summary drain(progress_stream<build_info>&, std::error_code&, berth::diagnostics*);
template progress_summary drain(progress_stream<create_image_info>&);
template progress_summary drain(progress_stream<push_image_info>&);
template progress_summary drain(progress_stream<build_info>&);

}  // namespace berth::engine
