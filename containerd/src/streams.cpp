// Events, content reads and writes, and the listing calls that are server streams.
#include <algorithm>
#include <cstring>

#include <asio/error.hpp>

#include "reactor.hpp"

namespace berth::containerd {
namespace detail {

using envelope_reactor = read_reactor<api::events::Envelope>;
using content_reactor = read_reactor<api::content::ReadContentResponse>;
using write_reactor = bidi_reactor<api::content::WriteContentRequest, api::content::WriteContentResponse>;

struct event_state {
  std::shared_ptr<state> s;
  std::shared_ptr<envelope_reactor> r;
  ~event_state() { r->close(); }
};

struct reader_state {
  std::shared_ptr<state> s;
  std::shared_ptr<content_reactor> r;
  std::string chunk;
  std::size_t pos = 0;
  bool eof = false;
  ~reader_state() { r->close(); }
};

struct writer_state {
  std::shared_ptr<state> s;
  std::shared_ptr<write_reactor> r;
  write_status status;
  bool committed = false;
  ~writer_state() { r->close(); }
};

namespace {

event decode_event(const api::events::Envelope& e) {
  event ev;
  ev.timestamp = from_proto(e.timestamp());
  ev.namespace_ = e.namespace_();
  ev.topic = e.topic();
  ev.payload = from_proto(e.event());
  // Events carry bare type names ("containerd.events.TaskExit"): Any::UnpackTo refuses
  // them, so compare the name and parse the value.
  std::string_view t = ev.payload.type_url;
  if (auto slash = t.rfind('/'); slash != std::string_view::npos) t = t.substr(slash + 1);
  const std::string& v = ev.payload.value;
  namespace ce = ::containerd::events;
  if (t == "containerd.events.TaskExit") {
    ce::TaskExit m;
    if (m.ParseFromString(v)) {
      ev.container_id = m.container_id();
      ev.exec_id = m.id();
      ev.pid = m.pid();
      ev.exit_status = m.exit_status();
    }
  } else if (t == "containerd.events.TaskCreate") {
    ce::TaskCreate m;
    if (m.ParseFromString(v)) ev.container_id = m.container_id(), ev.pid = m.pid();
  } else if (t == "containerd.events.TaskStart") {
    ce::TaskStart m;
    if (m.ParseFromString(v)) ev.container_id = m.container_id(), ev.pid = m.pid();
  } else if (t == "containerd.events.TaskDelete") {
    ce::TaskDelete m;
    if (m.ParseFromString(v)) {
      ev.container_id = m.container_id();
      ev.exec_id = m.id();
      ev.pid = m.pid();
      ev.exit_status = m.exit_status();
    }
  } else if (t == "containerd.events.TaskOOM") {
    ce::TaskOOM m;
    if (m.ParseFromString(v)) ev.container_id = m.container_id();
  } else if (t == "containerd.events.TaskExecAdded") {
    ce::TaskExecAdded m;
    if (m.ParseFromString(v)) ev.container_id = m.container_id(), ev.exec_id = m.exec_id();
  } else if (t == "containerd.events.TaskExecStarted") {
    ce::TaskExecStarted m;
    if (m.ParseFromString(v)) ev.container_id = m.container_id(), ev.exec_id = m.exec_id(), ev.pid = m.pid();
  } else if (t == "containerd.events.TaskPaused") {
    ce::TaskPaused m;
    if (m.ParseFromString(v)) ev.container_id = m.container_id();
  } else if (t == "containerd.events.TaskResumed") {
    ce::TaskResumed m;
    if (m.ParseFromString(v)) ev.container_id = m.container_id();
  } else if (t == "containerd.events.ContainerCreate") {
    ce::ContainerCreate m;
    if (m.ParseFromString(v)) ev.container_id = m.id();
  } else if (t == "containerd.events.ContainerDelete") {
    ce::ContainerDelete m;
    if (m.ParseFromString(v)) ev.container_id = m.id();
  }
  return ev;
}

/// Collects every message of a server stream.
template <class Resp, class Req, class Starter, class Each>
asio::awaitable<result<void>> collect(std::shared_ptr<state> s, call_options opts, Req req, Starter starter,
                                      Each each) {
  auto r = open_read<Resp>(s, opts, req, true, starter);
  bool deadline_set = r->ctx.deadline() != std::chrono::system_clock::time_point::max();
  for (;;) {
    bool cancelled = false;
    auto st = co_await await_step(r, &read_reactor<Resp>::start_read, &cancelled);
    if (st == step::message) {
      each(r->msg);
      continue;
    }
    if (st == step::end) break;
    co_return unexpected(stream_error(r->status(), cancelled, deadline_set, opts.diag));
  }
  co_return result<void>{};
}

}  // namespace

asio::awaitable<result<std::vector<content_info>>> execute(std::shared_ptr<state> s, op::content_list o,
                                                           call_options opts) {
  api::content::ListContentRequest rq;
  for (const auto& f : o.filters) rq.add_filters(f);
  std::vector<content_info> out;
  auto r = co_await collect<api::content::ListContentResponse>(
      s, opts, rq,
      [](connection& c, auto* ctx, auto* req, auto* re) { c.content->async()->List(ctx, req, re); },
      [&](const api::content::ListContentResponse& m) {
        for (const auto& i : m.info()) out.push_back(from_proto(i));
      });
  if (!r) co_return unexpected(r.error());
  co_return out;
}

asio::awaitable<result<std::vector<snapshot_info>>> execute(std::shared_ptr<state> s, op::snapshot_list o,
                                                            call_options opts) {
  api::snapshots::ListSnapshotsRequest rq;
  rq.set_snapshotter(o.snapshotter);
  for (const auto& f : o.filters) rq.add_filters(f);
  std::vector<snapshot_info> out;
  auto r = co_await collect<api::snapshots::ListSnapshotsResponse>(
      s, opts, rq,
      [](connection& c, auto* ctx, auto* req, auto* re) { c.snapshots->async()->List(ctx, req, re); },
      [&](const api::snapshots::ListSnapshotsResponse& m) {
        for (const auto& i : m.info()) out.push_back(from_proto(i));
      });
  if (!r) co_return unexpected(r.error());
  co_return out;
}

}  // namespace detail

// ---- event_stream ----

event_stream::event_stream(std::shared_ptr<detail::event_state> s) : state_(std::move(s)) {}
event_stream::~event_stream() = default;
bool event_stream::is_open() const noexcept { return state_ && !state_->r->finished(); }
event_stream::executor_type event_stream::get_executor() const { return state_->s->executor(); }
void event_stream::close() noexcept {
  if (state_) state_->r->close();
}

asio::awaitable<result<event>> event_stream::do_next(std::shared_ptr<detail::event_state> s) {
  if (!s) co_return unexpected(berth::errc::stream_closed);
  bool cancelled = false;
  auto st = co_await detail::await_step(s->r, &detail::envelope_reactor::start_read, &cancelled);
  if (st == detail::step::message) co_return detail::decode_event(s->r->msg);
  if (st == detail::step::end) co_return unexpected(asio::error::eof);
  co_return unexpected(detail::stream_error(s->r->status(), cancelled, false));
}

event event_stream::next(std::error_code& ec) {
  auto r = state_->s->host->run<event>([&](auto h) { async_next(std::move(h)); });
  return value_or_set(std::move(r), ec);
}
event event_stream::next() {
  std::error_code ec;
  auto e = next(ec);
  throw_if(ec);
  return e;
}

asio::awaitable<result<event_stream>> client::do_subscribe(std::shared_ptr<detail::state> s,
                                                           std::vector<std::string> filters, bool all) {
  detail::api::events::SubscribeRequest rq;
  if (filters.empty() && !all) filters.push_back("");
  for (auto& f : filters) {
    if (!all) f = "namespace==" + s->ns + (f.empty() ? "" : "," + f);
    rq.add_filters(f);
  }
  auto es = std::make_shared<detail::event_state>();
  es->s = s;
  es->r = detail::open_read<detail::api::events::Envelope>(
      s, {}, rq, false,
      [](detail::connection& c, auto* ctx, auto* req, auto* re) { c.events->async()->Subscribe(ctx, req, re); });
  co_return event_stream(std::move(es));
}

event_stream client::subscribe(std::vector<std::string> filters, std::error_code& ec, bool all_namespaces) {
  auto r = host().run<event_stream>(
      [&](auto h) { async_subscribe(std::move(filters), all_namespaces, std::move(h)); });
  return value_or_set(std::move(r), ec);
}
event_stream client::subscribe(std::vector<std::string> filters, bool all_namespaces) {
  return or_throw([&](std::error_code& ec) { return subscribe(std::move(filters), ec, all_namespaces); });
}

// ---- content_reader ----

content_reader::content_reader(std::shared_ptr<detail::reader_state> s) : state_(std::move(s)) {}
content_reader::~content_reader() = default;
content_reader::executor_type content_reader::get_executor() const { return state_->s->executor(); }
void content_reader::close() noexcept {
  if (state_) state_->r->close();
}

asio::awaitable<result<std::size_t>> content_reader::do_read(std::shared_ptr<detail::reader_state> s,
                                                             asio::mutable_buffer buf) {
  if (!s) co_return unexpected(berth::errc::stream_closed);
  while (s->pos == s->chunk.size()) {
    if (s->eof) co_return unexpected(asio::error::eof);
    bool cancelled = false;
    auto st = co_await detail::await_step(s->r, &detail::content_reactor::start_read, &cancelled);
    if (st == detail::step::end) {
      s->eof = true;
      co_return unexpected(asio::error::eof);
    }
    if (st == detail::step::failed) co_return unexpected(detail::stream_error(s->r->status(), cancelled, false));
    s->chunk.swap(*s->r->msg.mutable_data());
    s->pos = 0;
  }
  std::size_t n = std::min(buf.size(), s->chunk.size() - s->pos);
  std::memcpy(buf.data(), s->chunk.data() + s->pos, n);
  s->pos += n;
  co_return n;
}

std::size_t content_reader::read_some(asio::mutable_buffer buf, std::error_code& ec) {
  auto r = state_->s->host->run<std::size_t>([&](auto h) { async_read_some(buf, std::move(h)); });
  return value_or_set(std::move(r), ec);
}

std::size_t content_reader::read_some(asio::mutable_buffer buf) {
  return or_throw([&](std::error_code& ec) { return read_some(buf, ec); });
}

asio::awaitable<result<std::string>> content_reader::do_read_all(std::shared_ptr<detail::reader_state> s,
                                                                 std::size_t max) {
  std::string out;
  std::string buf(64 * 1024, '\0');
  for (;;) {
    auto n = co_await do_read(s, asio::buffer(buf));
    if (!n && n.error() == asio::error::eof) co_return out;
    if (!n) co_return unexpected(n.error());
    if (out.size() + *n > max) co_return unexpected(errc::resource_exhausted);
    out.append(buf, 0, *n);
  }
}

std::string content_reader::read_all(std::size_t max, std::error_code& ec) {
  auto r = state_->s->host->run<std::string>([&](auto h) { async_read_all(max, std::move(h)); });
  return value_or_set(std::move(r), ec);
}
std::string content_reader::read_all(std::size_t max) {
  return or_throw([&](std::error_code& ec) { return read_all(max, ec); });
}

asio::awaitable<result<content_reader>> client::do_read_content(std::shared_ptr<detail::state> s, std::string digest,
                                                                std::int64_t offset, std::int64_t size) {
  detail::api::content::ReadContentRequest rq;
  rq.set_digest(digest);
  rq.set_offset(offset);
  rq.set_size(size);
  auto rs = std::make_shared<detail::reader_state>();
  rs->s = s;
  rs->r = detail::open_read<detail::api::content::ReadContentResponse>(
      s, {}, rq, false,
      [](detail::connection& c, auto* ctx, auto* req, auto* re) { c.content->async()->Read(ctx, req, re); });
  co_return content_reader(std::move(rs));
}

content_reader client::read_content(std::string digest, std::error_code& ec, std::int64_t offset, std::int64_t size) {
  auto r = host().run<content_reader>(
      [&](auto h) { async_read_content(std::move(digest), offset, size, std::move(h)); });
  return value_or_set(std::move(r), ec);
}
content_reader client::read_content(std::string digest, std::int64_t offset, std::int64_t size) {
  return or_throw([&](std::error_code& ec) { return read_content(std::move(digest), ec, offset, size); });
}

// ---- content_writer ----

content_writer::content_writer(std::shared_ptr<detail::writer_state> s) : state_(std::move(s)) {}
content_writer::~content_writer() = default;
content_writer::executor_type content_writer::get_executor() const { return state_->s->executor(); }
const write_status& content_writer::status() const noexcept { return state_->status; }
void content_writer::close() noexcept {
  if (state_) state_->r->close();
}

namespace {

asio::awaitable<result<void>> exchange(const std::shared_ptr<detail::writer_state>& w) {
  bool cancelled = false;
  auto st = co_await detail::await_step(w->r, &detail::write_reactor::start_exchange, &cancelled);
  if (st == detail::step::message) {
    const auto& m = w->r->msg;
    w->status.offset = m.offset();
    if (m.total()) w->status.total = m.total();
    if (m.has_started_at()) w->status.started_at = detail::from_proto(m.started_at());
    if (m.has_updated_at()) w->status.updated_at = detail::from_proto(m.updated_at());
    co_return result<void>{};
  }
  if (st == detail::step::end) co_return unexpected(berth::errc::connection_lost);
  co_return unexpected(detail::stream_error(w->r->status(), cancelled, false));
}

}  // namespace

asio::awaitable<result<std::size_t>> content_writer::do_write(std::shared_ptr<detail::writer_state> s,
                                                              asio::const_buffer buf) {
  if (!s || s->committed) co_return unexpected(berth::errc::stream_closed);
  auto& rq = s->r->req;
  rq.Clear();
  rq.set_action(detail::api::content::WRITE);
  rq.set_ref(s->status.ref);
  rq.set_offset(s->status.offset);
  rq.set_data(static_cast<const char*>(buf.data()), buf.size());
  if (s->status.total) rq.set_total(s->status.total);
  auto before = s->status.offset;
  auto r = co_await exchange(s);
  if (!r) co_return unexpected(r.error());
  co_return static_cast<std::size_t>(s->status.offset - before);
}

asio::awaitable<result<std::string>> content_writer::do_commit(std::shared_ptr<detail::writer_state> s,
                                                               std::int64_t size, std::string expected, labels l) {
  if (!s || s->committed) co_return unexpected(berth::errc::stream_closed);
  auto& rq = s->r->req;
  rq.Clear();
  rq.set_action(detail::api::content::COMMIT);
  rq.set_ref(s->status.ref);
  rq.set_offset(s->status.offset);
  rq.set_total(size);
  rq.set_expected(expected);
  detail::put_labels(l, rq.mutable_labels());
  auto r = co_await exchange(s);
  if (!r) co_return unexpected(r.error());
  s->committed = true;
  std::string digest = s->r->msg.digest();
  // After COMMIT containerd may send one more answer: read to the end of the stream.
  for (;;) {
    bool cancelled = false;
    auto st = co_await detail::await_step(s->r, &detail::write_reactor::start_finish, &cancelled);
    if (st == detail::step::message) continue;
    if (st == detail::step::end) break;
    co_return unexpected(detail::stream_error(s->r->status(), cancelled, false));
  }
  co_return digest.empty() ? expected : digest;
}

std::size_t content_writer::write(asio::const_buffer buf, std::error_code& ec) {
  auto r = state_->s->host->run<std::size_t>([&](auto h) { async_write(buf, std::move(h)); });
  return value_or_set(std::move(r), ec);
}
std::size_t content_writer::write(asio::const_buffer buf) {
  return or_throw([&](std::error_code& ec) { return write(buf, ec); });
}

std::string content_writer::commit(std::int64_t size, std::string expected, labels l, std::error_code& ec) {
  auto r = state_->s->host->run<std::string>(
      [&](auto h) { async_commit(size, std::move(expected), std::move(l), std::move(h)); });
  return value_or_set(std::move(r), ec);
}
std::string content_writer::commit(std::int64_t size, std::string expected, labels l) {
  return or_throw(
      [&](std::error_code& ec) { return commit(size, std::move(expected), std::move(l), ec); });
}

asio::awaitable<result<content_writer>> client::do_open_writer(std::shared_ptr<detail::state> s, std::string ref,
                                                               std::int64_t total, std::string expected) {
  auto w = std::make_shared<detail::writer_state>();
  w->s = s;
  w->r = std::make_shared<detail::write_reactor>();
  w->r->track(*s->conn);
  w->r->self = w->r;
  detail::prepare(*s, {}, w->r->ctx, false);
  s->conn->content->async()->Write(&w->r->ctx, w->r.get());
  w->r->AddHold();
  w->r->StartCall();
  w->status.ref = ref;
  w->status.total = total;
  w->status.expected = expected;
  auto& rq = w->r->req;
  rq.set_action(detail::api::content::STAT);
  rq.set_ref(ref);
  if (total) rq.set_total(total);
  rq.set_expected(expected);
  auto r = co_await exchange(w);
  if (!r) co_return unexpected(r.error());
  co_return content_writer(std::move(w));
}

content_writer client::open_writer(std::string ref, std::int64_t total, std::string expected, std::error_code& ec) {
  auto r = host().run<content_writer>(
      [&](auto h) { async_open_writer(std::move(ref), total, std::move(expected), std::move(h)); });
  return value_or_set(std::move(r), ec);
}
content_writer client::open_writer(std::string ref, std::int64_t total, std::string expected) {
  return or_throw(
      [&](std::error_code& ec) { return open_writer(std::move(ref), total, std::move(expected), ec); });
}

}  // namespace berth::containerd

namespace berth::containerd::detail {

asio::awaitable<result<std::string>> read_blob(std::shared_ptr<state> s, std::string digest, std::size_t max) {
  api::content::ReadContentRequest rq;
  rq.set_digest(digest);
  auto r = open_read<api::content::ReadContentResponse>(
      s, {}, rq, true, [](connection& c, auto* ctx, auto* req, auto* re) { c.content->async()->Read(ctx, req, re); });
  std::string out;
  for (;;) {
    bool cancelled = false;
    auto st = co_await await_step(r, &content_reactor::start_read, &cancelled);
    if (st == step::end) break;
    if (st == step::failed) co_return unexpected(stream_error(r->status(), cancelled, true));
    if (out.size() + r->msg.data().size() > max) {
      r->close();
      co_return unexpected(errc::resource_exhausted);
    }
    out += r->msg.data();
  }
  co_return out;
}

}  // namespace berth::containerd::detail
