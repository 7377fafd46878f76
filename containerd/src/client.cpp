// The containerd client: connection, metadata, status mapping, conversions, and every
// unary operation of berth::containerd::op.
#include <cstdlib>

#include "berth/core/offload.hpp"
#include "berth/containerd/client.hpp"
#include "state.hpp"

namespace berth::containerd {
namespace detail {

execution_host& host_of(const std::shared_ptr<state>& s) noexcept { return *s->host; }

void prepare(const state& s, const call_options& opts, grpc::ClientContext& ctx, bool with_default_timeout) {
  ctx.AddMetadata("containerd-namespace", s.ns);
  if (!s.lease.empty()) ctx.AddMetadata("containerd-lease", s.lease);
  std::optional<std::chrono::milliseconds> t = opts.timeouts.total;
  if (!t && with_default_timeout) t = s.timeout;
  if (t && t->count() > 0) ctx.set_deadline(std::chrono::system_clock::now() + *t);
}

std::error_code map_status(const grpc::Status& st, berth::diagnostics* diag, bool cancelled, bool deadline_set) {
  if (diag) {
    diag->clear();
    diag->status = static_cast<int>(st.error_code());
    diag->set_message(st.error_message());
  }
  if (cancelled && st.error_code() == grpc::StatusCode::CANCELLED) return make_error_code(berth::errc::cancelled);
  if (deadline_set && st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
    return make_error_code(berth::errc::timeout);
  int code = static_cast<int>(st.error_code());
  if (code < 1 || code > 16) code = static_cast<int>(errc::unknown);
  return make_error_code(static_cast<errc>(code));
}

time_point from_proto(const google::protobuf::Timestamp& t) {
  return time_point(std::chrono::duration_cast<time_point::duration>(std::chrono::seconds(t.seconds()) +
                                                                     std::chrono::nanoseconds(t.nanos())));
}
void to_proto(time_point tp, google::protobuf::Timestamp* t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
  t->set_seconds(ns / 1'000'000'000);
  t->set_nanos(static_cast<std::int32_t>(ns % 1'000'000'000));
}
any_value from_proto(const google::protobuf::Any& a) { return {a.type_url(), a.value()}; }
void to_proto(const any_value& v, google::protobuf::Any* a) {
  // By hand: Any::PackFrom would prefix type.googleapis.com/, which containerd 1.6 rejects.
  a->set_type_url(v.type_url);
  a->set_value(v.value);
}
descriptor from_proto(const api::types::Descriptor& d) {
  return {d.media_type(), d.digest(), d.size(), to_labels(d.annotations())};
}
void to_proto(const descriptor& d, api::types::Descriptor* p) {
  p->set_media_type(d.media_type);
  p->set_digest(d.digest);
  p->set_size(d.size);
  put_labels(d.annotations, p->mutable_annotations());
}
mount from_proto(const api::types::Mount& m) {
  return {m.type(), m.source(), m.target(), {m.options().begin(), m.options().end()}};
}
void to_proto(const mount& m, api::types::Mount* p) {
  p->set_type(m.type);
  p->set_source(m.source);
  p->set_target(m.target);
  for (const auto& o : m.options) p->add_options(o);
}
container from_proto(const api::containers::Container& c) {
  container out;
  out.id = c.id();
  out.labels = to_labels(c.labels());
  out.image = c.image();
  out.runtime.name = c.runtime().name();
  if (c.runtime().has_options()) out.runtime.options = from_proto(c.runtime().options());
  if (c.has_spec()) out.spec = from_proto(c.spec());
  out.snapshotter = c.snapshotter();
  out.snapshot_key = c.snapshot_key();
  out.created_at = from_proto(c.created_at());
  out.updated_at = from_proto(c.updated_at());
  for (const auto& [k, v] : c.extensions()) out.extensions.emplace(k, from_proto(v));
  return out;
}
void to_proto(const container& c, api::containers::Container* p) {
  p->set_id(c.id);
  put_labels(c.labels, p->mutable_labels());
  p->set_image(c.image);
  p->mutable_runtime()->set_name(c.runtime.name);
  if (!c.runtime.options.empty()) to_proto(c.runtime.options, p->mutable_runtime()->mutable_options());
  if (!c.spec.empty()) to_proto(c.spec, p->mutable_spec());
  p->set_snapshotter(c.snapshotter);
  p->set_snapshot_key(c.snapshot_key);
  for (const auto& [k, v] : c.extensions) to_proto(v, &(*p->mutable_extensions())[k]);
}
image from_proto(const api::images::Image& i) {
  return {i.name(), to_labels(i.labels()), from_proto(i.target()), from_proto(i.created_at()),
          from_proto(i.updated_at())};
}
void to_proto(const image& i, api::images::Image* p) {
  p->set_name(i.name);
  put_labels(i.labels, p->mutable_labels());
  to_proto(i.target, p->mutable_target());
}
content_info from_proto(const api::content::Info& i) {
  return {i.digest(), i.size(), from_proto(i.created_at()), from_proto(i.updated_at()), to_labels(i.labels())};
}
write_status from_proto(const api::content::Status& st) {
  return {st.ref(), st.offset(), st.total(), st.expected(), from_proto(st.started_at()), from_proto(st.updated_at())};
}
snapshot_info from_proto(const api::snapshots::Info& i) {
  return {i.name(), i.parent(), static_cast<snapshot_kind>(i.kind()), to_labels(i.labels()),
          from_proto(i.created_at()), from_proto(i.updated_at())};
}
process_info from_proto(const api::task_types::Process& p) {
  process_info out;
  out.id = p.id();
  out.pid = p.pid();
  out.status = static_cast<process_status>(p.status());
  out.stdin_path = p.stdin();
  out.stdout_path = p.stdout();
  out.stderr_path = p.stderr();
  out.terminal = p.terminal();
  out.exit_status = p.exit_status();
  out.exited_at = from_proto(p.exited_at());
  return out;
}

namespace {

template <class Msg>
void set_mask(const std::vector<std::string>& paths, Msg* m) {
  for (const auto& p : paths) m->mutable_update_mask()->add_paths(p);
}

std::vector<mount> mounts_of(const google::protobuf::RepeatedPtrField<api::types::Mount>& ms) {
  std::vector<mount> out;
  for (const auto& m : ms) out.push_back(from_proto(m));
  return out;
}

}  // namespace

// The bodies below share one shape: build the request, make the call, convert the answer.
#define BERTH_CALL(svc, method) \
  [](connection& c, auto* ctx, auto* rq, auto* rs, auto done) { c.svc->async()->method(ctx, rq, rs, std::move(done)); }

asio::awaitable<result<version_info>> execute(std::shared_ptr<state> s, op::version, call_options opts) {
  auto r = co_await unary<api::version::VersionResponse>(s, opts, google::protobuf::Empty{}, BERTH_CALL(version, Version));
  if (!r) co_return unexpected(r.error());
  co_return version_info{r->version(), r->revision()};
}

asio::awaitable<result<std::vector<namespace_info>>> execute(std::shared_ptr<state> s, op::namespace_list,
                                                             call_options opts) {
  auto r = co_await unary<api::namespaces::ListNamespacesResponse>(s, opts, api::namespaces::ListNamespacesRequest{},
                                                                   BERTH_CALL(namespaces, List));
  if (!r) co_return unexpected(r.error());
  std::vector<namespace_info> out;
  for (const auto& n : r->namespaces()) out.push_back({n.name(), to_labels(n.labels())});
  co_return out;
}

asio::awaitable<result<namespace_info>> execute(std::shared_ptr<state> s, op::namespace_create o, call_options opts) {
  api::namespaces::CreateNamespaceRequest rq;
  rq.mutable_namespace_()->set_name(o.name);
  put_labels(o.labels, rq.mutable_namespace_()->mutable_labels());
  auto r = co_await unary<api::namespaces::CreateNamespaceResponse>(s, opts, std::move(rq), BERTH_CALL(namespaces, Create));
  if (!r) co_return unexpected(r.error());
  co_return namespace_info{r->namespace_().name(), to_labels(r->namespace_().labels())};
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::namespace_delete o, call_options opts) {
  api::namespaces::DeleteNamespaceRequest rq;
  rq.set_name(o.name);
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(namespaces, Delete));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

asio::awaitable<result<std::vector<plugin_info>>> execute(std::shared_ptr<state> s, op::plugin_list o,
                                                          call_options opts) {
  api::introspection::PluginsRequest rq;
  for (const auto& f : o.filters) rq.add_filters(f);
  auto r = co_await unary<api::introspection::PluginsResponse>(s, opts, std::move(rq), BERTH_CALL(introspection, Plugins));
  if (!r) co_return unexpected(r.error());
  std::vector<plugin_info> out;
  for (const auto& p : r->plugins()) {
    plugin_info i;
    i.type = p.type();
    i.id = p.id();
    i.requires_.assign(p.requires_().begin(), p.requires_().end());
    for (const auto& pl : p.platforms()) i.platforms.push_back({pl.os(), pl.architecture(), pl.variant()});
    i.exports = to_labels(p.exports());
    i.capabilities.assign(p.capabilities().begin(), p.capabilities().end());
    if (p.has_init_err()) i.init_error = p.init_err().message();
    out.push_back(std::move(i));
  }
  co_return out;
}

// ---- containers ----

asio::awaitable<result<container>> execute(std::shared_ptr<state> s, op::container_create o, call_options opts) {
  api::containers::CreateContainerRequest rq;
  to_proto(o.container, rq.mutable_container());
  auto r = co_await unary<api::containers::CreateContainerResponse>(s, opts, std::move(rq), BERTH_CALL(containers, Create));
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->container());
}

asio::awaitable<result<container>> execute(std::shared_ptr<state> s, op::container_get o, call_options opts) {
  api::containers::GetContainerRequest rq;
  rq.set_id(o.id);
  auto r = co_await unary<api::containers::GetContainerResponse>(s, opts, std::move(rq), BERTH_CALL(containers, Get));
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->container());
}

asio::awaitable<result<std::vector<container>>> execute(std::shared_ptr<state> s, op::container_list o,
                                                        call_options opts) {
  api::containers::ListContainersRequest rq;
  for (const auto& f : o.filters) rq.add_filters(f);
  auto r = co_await unary<api::containers::ListContainersResponse>(s, opts, std::move(rq), BERTH_CALL(containers, List));
  if (!r) co_return unexpected(r.error());
  std::vector<container> out;
  for (const auto& c : r->containers()) out.push_back(from_proto(c));
  co_return out;
}

asio::awaitable<result<container>> execute(std::shared_ptr<state> s, op::container_update o, call_options opts) {
  api::containers::UpdateContainerRequest rq;
  to_proto(o.container, rq.mutable_container());
  set_mask(o.update_mask, &rq);
  auto r = co_await unary<api::containers::UpdateContainerResponse>(s, opts, std::move(rq), BERTH_CALL(containers, Update));
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->container());
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::container_delete o, call_options opts) {
  api::containers::DeleteContainerRequest rq;
  rq.set_id(o.id);
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(containers, Delete));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

// ---- images ----

asio::awaitable<result<image>> execute(std::shared_ptr<state> s, op::image_get o, call_options opts) {
  api::images::GetImageRequest rq;
  rq.set_name(o.name);
  auto r = co_await unary<api::images::GetImageResponse>(s, opts, std::move(rq), BERTH_CALL(images, Get));
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->image());
}

asio::awaitable<result<std::vector<image>>> execute(std::shared_ptr<state> s, op::image_list o, call_options opts) {
  api::images::ListImagesRequest rq;
  for (const auto& f : o.filters) rq.add_filters(f);
  auto r = co_await unary<api::images::ListImagesResponse>(s, opts, std::move(rq), BERTH_CALL(images, List));
  if (!r) co_return unexpected(r.error());
  std::vector<image> out;
  for (const auto& i : r->images()) out.push_back(from_proto(i));
  co_return out;
}

asio::awaitable<result<image>> execute(std::shared_ptr<state> s, op::image_create o, call_options opts) {
  api::images::CreateImageRequest rq;
  to_proto(o.image, rq.mutable_image());
  auto r = co_await unary<api::images::CreateImageResponse>(s, opts, std::move(rq), BERTH_CALL(images, Create));
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->image());
}

asio::awaitable<result<image>> execute(std::shared_ptr<state> s, op::image_update o, call_options opts) {
  api::images::UpdateImageRequest rq;
  to_proto(o.image, rq.mutable_image());
  set_mask(o.update_mask, &rq);
  auto r = co_await unary<api::images::UpdateImageResponse>(s, opts, std::move(rq), BERTH_CALL(images, Update));
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->image());
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::image_delete o, call_options opts) {
  api::images::DeleteImageRequest rq;
  rq.set_name(o.name);
  rq.set_sync(o.sync);
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(images, Delete));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

// ---- content (List is a server stream: see streams.cpp) ----

asio::awaitable<result<content_info>> execute(std::shared_ptr<state> s, op::content_info_get o, call_options opts) {
  api::content::InfoRequest rq;
  rq.set_digest(o.digest);
  auto r = co_await unary<api::content::InfoResponse>(s, opts, std::move(rq), BERTH_CALL(content, Info));
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->info());
}

asio::awaitable<result<content_info>> execute(std::shared_ptr<state> s, op::content_update o, call_options opts) {
  api::content::UpdateRequest rq;
  rq.mutable_info()->set_digest(o.info.digest);
  put_labels(o.info.labels, rq.mutable_info()->mutable_labels());
  set_mask(o.update_mask, &rq);
  auto r = co_await unary<api::content::UpdateResponse>(s, opts, std::move(rq), BERTH_CALL(content, Update));
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->info());
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::content_delete o, call_options opts) {
  api::content::DeleteContentRequest rq;
  rq.set_digest(o.digest);
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(content, Delete));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

asio::awaitable<result<write_status>> execute(std::shared_ptr<state> s, op::content_status o, call_options opts) {
  api::content::StatusRequest rq;
  rq.set_ref(o.ref);
  auto r = co_await unary<api::content::StatusResponse>(s, opts, std::move(rq), BERTH_CALL(content, Status));
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->status());
}

asio::awaitable<result<std::vector<write_status>>> execute(std::shared_ptr<state> s, op::content_list_statuses o,
                                                           call_options opts) {
  api::content::ListStatusesRequest rq;
  for (const auto& f : o.filters) rq.add_filters(f);
  auto r = co_await unary<api::content::ListStatusesResponse>(s, opts, std::move(rq), BERTH_CALL(content, ListStatuses));
  if (!r) co_return unexpected(r.error());
  std::vector<write_status> out;
  for (const auto& st : r->statuses()) out.push_back(from_proto(st));
  co_return out;
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::content_abort o, call_options opts) {
  api::content::AbortRequest rq;
  rq.set_ref(o.ref);
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(content, Abort));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

// ---- snapshots (List is a server stream: see streams.cpp) ----

asio::awaitable<result<std::vector<mount>>> execute(std::shared_ptr<state> s, op::snapshot_prepare o, call_options opts) {
  api::snapshots::PrepareSnapshotRequest rq;
  rq.set_snapshotter(o.snapshotter);
  rq.set_key(o.key);
  rq.set_parent(o.parent);
  put_labels(o.labels, rq.mutable_labels());
  auto r = co_await unary<api::snapshots::PrepareSnapshotResponse>(s, opts, std::move(rq), BERTH_CALL(snapshots, Prepare));
  if (!r) co_return unexpected(r.error());
  co_return mounts_of(r->mounts());
}

asio::awaitable<result<std::vector<mount>>> execute(std::shared_ptr<state> s, op::snapshot_view o, call_options opts) {
  api::snapshots::ViewSnapshotRequest rq;
  rq.set_snapshotter(o.snapshotter);
  rq.set_key(o.key);
  rq.set_parent(o.parent);
  put_labels(o.labels, rq.mutable_labels());
  auto r = co_await unary<api::snapshots::ViewSnapshotResponse>(s, opts, std::move(rq), BERTH_CALL(snapshots, View));
  if (!r) co_return unexpected(r.error());
  co_return mounts_of(r->mounts());
}

asio::awaitable<result<std::vector<mount>>> execute(std::shared_ptr<state> s, op::snapshot_mounts o, call_options opts) {
  api::snapshots::MountsRequest rq;
  rq.set_snapshotter(o.snapshotter);
  rq.set_key(o.key);
  auto r = co_await unary<api::snapshots::MountsResponse>(s, opts, std::move(rq), BERTH_CALL(snapshots, Mounts));
  if (!r) co_return unexpected(r.error());
  co_return mounts_of(r->mounts());
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::snapshot_commit o, call_options opts) {
  api::snapshots::CommitSnapshotRequest rq;
  rq.set_snapshotter(o.snapshotter);
  rq.set_name(o.name);
  rq.set_key(o.key);
  put_labels(o.labels, rq.mutable_labels());
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(snapshots, Commit));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::snapshot_remove o, call_options opts) {
  api::snapshots::RemoveSnapshotRequest rq;
  rq.set_snapshotter(o.snapshotter);
  rq.set_key(o.key);
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(snapshots, Remove));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

asio::awaitable<result<snapshot_info>> execute(std::shared_ptr<state> s, op::snapshot_stat o, call_options opts) {
  api::snapshots::StatSnapshotRequest rq;
  rq.set_snapshotter(o.snapshotter);
  rq.set_key(o.key);
  auto r = co_await unary<api::snapshots::StatSnapshotResponse>(s, opts, std::move(rq), BERTH_CALL(snapshots, Stat));
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->info());
}

// ---- diff, leases ----

asio::awaitable<result<descriptor>> execute(std::shared_ptr<state> s, op::diff_apply o, call_options opts) {
  api::diff::ApplyRequest rq;
  to_proto(o.diff, rq.mutable_diff());
  for (const auto& m : o.mounts) to_proto(m, rq.add_mounts());
  auto r = co_await unary<api::diff::ApplyResponse>(s, opts, std::move(rq), BERTH_CALL(diff, Apply), false);
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->applied());
}

asio::awaitable<result<descriptor>> execute(std::shared_ptr<state> s, op::diff_compare o, call_options opts) {
  api::diff::DiffRequest rq;
  for (const auto& m : o.left) to_proto(m, rq.add_left());
  for (const auto& m : o.right) to_proto(m, rq.add_right());
  rq.set_media_type(o.media_type);
  rq.set_ref(o.ref);
  put_labels(o.labels, rq.mutable_labels());
  auto r = co_await unary<api::diff::DiffResponse>(s, opts, std::move(rq), BERTH_CALL(diff, Diff), false);
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->diff());
}

asio::awaitable<result<lease>> execute(std::shared_ptr<state> s, op::lease_create o, call_options opts) {
  api::leases::CreateRequest rq;
  rq.set_id(o.id);
  put_labels(o.labels, rq.mutable_labels());
  auto r = co_await unary<api::leases::CreateResponse>(s, opts, std::move(rq), BERTH_CALL(leases, Create));
  if (!r) co_return unexpected(r.error());
  co_return lease{r->lease().id(), from_proto(r->lease().created_at()), to_labels(r->lease().labels())};
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::lease_delete o, call_options opts) {
  api::leases::DeleteRequest rq;
  rq.set_id(o.id);
  rq.set_sync(o.sync);
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(leases, Delete));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

asio::awaitable<result<std::vector<lease>>> execute(std::shared_ptr<state> s, op::lease_list o, call_options opts) {
  api::leases::ListRequest rq;
  for (const auto& f : o.filters) rq.add_filters(f);
  auto r = co_await unary<api::leases::ListResponse>(s, opts, std::move(rq), BERTH_CALL(leases, List));
  if (!r) co_return unexpected(r.error());
  std::vector<lease> out;
  for (const auto& l : r->leases()) out.push_back({l.id(), from_proto(l.created_at()), to_labels(l.labels())});
  co_return out;
}

// ---- tasks ----

asio::awaitable<result<exit_status>> execute(std::shared_ptr<state> s, op::task_create o, call_options opts) {
  api::tasks::CreateTaskRequest rq;
  rq.set_container_id(o.container_id);
  for (const auto& m : o.rootfs) to_proto(m, rq.add_rootfs());
  rq.set_stdin(o.stdin_path);
  rq.set_stdout(o.stdout_path);
  rq.set_stderr(o.stderr_path);
  rq.set_terminal(o.terminal);
  if (!o.options.empty()) to_proto(o.options, rq.mutable_options());
  rq.set_runtime_path(o.runtime_path);
  auto r = co_await unary<api::tasks::CreateTaskResponse>(s, opts, std::move(rq), BERTH_CALL(tasks, Create));
  if (!r) co_return unexpected(r.error());
  co_return exit_status{r->pid(), 0, {}};
}

asio::awaitable<result<std::uint32_t>> execute(std::shared_ptr<state> s, op::task_start o, call_options opts) {
  api::tasks::StartRequest rq;
  rq.set_container_id(o.container_id);
  rq.set_exec_id(o.exec_id);
  auto r = co_await unary<api::tasks::StartResponse>(s, opts, std::move(rq), BERTH_CALL(tasks, Start));
  if (!r) co_return unexpected(r.error());
  co_return r->pid();
}

asio::awaitable<result<exit_status>> execute(std::shared_ptr<state> s, op::task_delete o, call_options opts) {
  api::tasks::DeleteTaskRequest rq;
  rq.set_container_id(o.container_id);
  auto r = co_await unary<api::tasks::DeleteResponse>(s, opts, std::move(rq), BERTH_CALL(tasks, Delete));
  if (!r) co_return unexpected(r.error());
  co_return exit_status{r->pid(), r->exit_status(), from_proto(r->exited_at())};
}

asio::awaitable<result<exit_status>> execute(std::shared_ptr<state> s, op::process_delete o, call_options opts) {
  api::tasks::DeleteProcessRequest rq;
  rq.set_container_id(o.container_id);
  rq.set_exec_id(o.exec_id);
  auto r = co_await unary<api::tasks::DeleteResponse>(s, opts, std::move(rq), BERTH_CALL(tasks, DeleteProcess));
  if (!r) co_return unexpected(r.error());
  co_return exit_status{r->pid(), r->exit_status(), from_proto(r->exited_at())};
}

asio::awaitable<result<process_info>> execute(std::shared_ptr<state> s, op::task_get o, call_options opts) {
  api::tasks::GetRequest rq;
  rq.set_container_id(o.container_id);
  rq.set_exec_id(o.exec_id);
  auto r = co_await unary<api::tasks::GetResponse>(s, opts, std::move(rq), BERTH_CALL(tasks, Get));
  if (!r) co_return unexpected(r.error());
  co_return from_proto(r->process());
}

asio::awaitable<result<std::vector<process_info>>> execute(std::shared_ptr<state> s, op::task_list o,
                                                           call_options opts) {
  api::tasks::ListTasksRequest rq;
  std::string f;
  for (const auto& x : o.filters) f += (f.empty() ? "" : ",") + x;
  rq.set_filter(f);
  auto r = co_await unary<api::tasks::ListTasksResponse>(s, opts, std::move(rq), BERTH_CALL(tasks, List));
  if (!r) co_return unexpected(r.error());
  std::vector<process_info> out;
  for (const auto& p : r->tasks()) out.push_back(from_proto(p));
  co_return out;
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::task_kill o, call_options opts) {
  api::tasks::KillRequest rq;
  rq.set_container_id(o.container_id);
  rq.set_exec_id(o.exec_id);
  rq.set_signal(o.signal);
  rq.set_all(o.all);
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(tasks, Kill));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::task_exec o, call_options opts) {
  api::tasks::ExecProcessRequest rq;
  rq.set_container_id(o.container_id);
  rq.set_exec_id(o.exec_id);
  rq.set_stdin(o.stdin_path);
  rq.set_stdout(o.stdout_path);
  rq.set_stderr(o.stderr_path);
  rq.set_terminal(o.terminal);
  to_proto(o.spec, rq.mutable_spec());
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(tasks, Exec));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

asio::awaitable<result<std::vector<pid_info>>> execute(std::shared_ptr<state> s, op::task_pids o, call_options opts) {
  api::tasks::ListPidsRequest rq;
  rq.set_container_id(o.container_id);
  auto r = co_await unary<api::tasks::ListPidsResponse>(s, opts, std::move(rq), BERTH_CALL(tasks, ListPids));
  if (!r) co_return unexpected(r.error());
  std::vector<pid_info> out;
  for (const auto& p : r->processes()) out.push_back({p.pid(), from_proto(p.info())});
  co_return out;
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::task_pause o, call_options opts) {
  api::tasks::PauseTaskRequest rq;
  rq.set_container_id(o.container_id);
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(tasks, Pause));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::task_resume o, call_options opts) {
  api::tasks::ResumeTaskRequest rq;
  rq.set_container_id(o.container_id);
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(tasks, Resume));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::task_resize o, call_options opts) {
  api::tasks::ResizePtyRequest rq;
  rq.set_container_id(o.container_id);
  rq.set_exec_id(o.exec_id);
  rq.set_width(o.width);
  rq.set_height(o.height);
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(tasks, ResizePty));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::task_close_io o, call_options opts) {
  api::tasks::CloseIORequest rq;
  rq.set_container_id(o.container_id);
  rq.set_exec_id(o.exec_id);
  rq.set_stdin(o.stdin_);
  auto r = co_await unary<google::protobuf::Empty>(s, opts, std::move(rq), BERTH_CALL(tasks, CloseIO));
  if (!r) co_return unexpected(r.error());
  co_return empty{};
}

asio::awaitable<result<std::vector<metric>>> execute(std::shared_ptr<state> s, op::task_metrics o, call_options opts) {
  api::tasks::MetricsRequest rq;
  for (const auto& f : o.filters) rq.add_filters(f);
  auto r = co_await unary<api::tasks::MetricsResponse>(s, opts, std::move(rq), BERTH_CALL(tasks, Metrics));
  if (!r) co_return unexpected(r.error());
  std::vector<metric> out;
  for (const auto& m : r->metrics()) out.push_back({m.id(), from_proto(m.timestamp()), from_proto(m.data())});
  co_return out;
}

asio::awaitable<result<exit_status>> execute(std::shared_ptr<state> s, op::task_wait o, call_options opts) {
  api::tasks::WaitRequest rq;
  rq.set_container_id(o.container_id);
  rq.set_exec_id(o.exec_id);
  auto r = co_await unary<api::tasks::WaitResponse>(s, opts, std::move(rq), BERTH_CALL(tasks, Wait), false);
  if (!r) co_return unexpected(r.error());
  co_return exit_status{0, r->exit_status(), from_proto(r->exited_at())};
}

#undef BERTH_CALL

}  // namespace detail

// ---- client ----

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::shared_ptr<detail::connection> connect(const std::string& address, int max_message) {
  // The last client copy lets go of the connection on whatever thread it runs, perhaps a
  // caller's event loop: the channel is released on a worker thread instead, once the
  // calls gRPC still holds are done (5 s at most). At exit the worker pool finishes that
  // before gRPC goes away.
  std::shared_ptr<detail::connection> c(new detail::connection, [](detail::connection* p) {
    berth::detail::run_on_workers([p] {
      p->inflight->wait_idle(std::chrono::seconds(5));
      delete p;
    });
  });
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(max_message);
  args.SetMaxSendMessageSize(max_message);
  std::string target = address.rfind("unix:", 0) == 0 ? address : "unix://" + address;
  c->channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  namespace api = detail::api;
  c->containers = api::containers::Containers::NewStub(c->channel);
  c->content = api::content::Content::NewStub(c->channel);
  c->diff = api::diff::Diff::NewStub(c->channel);
  c->events = api::events::Events::NewStub(c->channel);
  c->images = api::images::Images::NewStub(c->channel);
  c->introspection = api::introspection::Introspection::NewStub(c->channel);
  c->leases = api::leases::Leases::NewStub(c->channel);
  c->namespaces = api::namespaces::Namespaces::NewStub(c->channel);
  c->snapshots = api::snapshots::Snapshots::NewStub(c->channel);
  c->tasks = api::tasks::Tasks::NewStub(c->channel);
  c->version = api::version::Version::NewStub(c->channel);
  return c;
}

std::shared_ptr<detail::state> make_state(std::shared_ptr<execution_host> host, client_options o) {
  auto s = std::make_shared<detail::state>();
  s->host = std::move(host);
  s->address = o.address.empty() ? env_or("CONTAINERD_ADDRESS", "/run/containerd/containerd.sock") : o.address;
  s->ns = o.namespace_.empty() ? env_or("CONTAINERD_NAMESPACE", "default") : o.namespace_;
  s->timeout = o.timeout;
  s->logger_path = std::move(o.logger_path);
  s->init_path = std::move(o.init_path);
  s->conn = connect(s->address, o.max_message_size);
  return s;
}

}  // namespace

client::client(client_options opts) : state_(make_state(std::make_shared<execution_host>(), std::move(opts))) {}
client::client(asio::any_io_executor ex, client_options opts)
    : state_(make_state(std::make_shared<execution_host>(std::move(ex)), std::move(opts))) {}
client::~client() = default;

client::executor_type client::get_executor() const { return state_->executor(); }
const std::string& client::address() const noexcept { return state_->address; }
const std::string& client::namespace_name() const noexcept { return state_->ns; }

client client::with_namespace(std::string ns) const {
  client c(*this);
  c.state_ = std::make_shared<detail::state>(*state_);
  c.state_->ns = std::move(ns);
  return c;
}

client client::with_lease(std::string id) const {
  client c(*this);
  c.state_ = std::make_shared<detail::state>(*state_);
  c.state_->lease = std::move(id);
  return c;
}

}  // namespace berth::containerd
