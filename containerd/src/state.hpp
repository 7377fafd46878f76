// Private: the client's shared state, the bridge from gRPC's callback API to Asio, and the
// conversions between the generated messages and berth's plain models.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <grpcpp/grpcpp.h>

#include "berth/core/call_options.hpp"
#include "berth/core/sync.hpp"
#include "berth/containerd/client.hpp"
#include "containerd_api.hpp"

namespace berth::containerd::detail {

namespace api {
namespace containers = ::containerd::services::containers::v1;
namespace content = ::containerd::services::content::v1;
namespace diff = ::containerd::services::diff::v1;
namespace events = ::containerd::services::events::v1;
namespace images = ::containerd::services::images::v1;
namespace introspection = ::containerd::services::introspection::v1;
namespace leases = ::containerd::services::leases::v1;
namespace namespaces = ::containerd::services::namespaces::v1;
namespace snapshots = ::containerd::services::snapshots::v1;
namespace tasks = ::containerd::services::tasks::v1;
namespace version = ::containerd::services::version::v1;
namespace types = ::containerd::types;
namespace task_types = ::containerd::v1::types;
}  // namespace api

/// The channel and one stub per service; shared by every client copy.
/// The calls gRPC still holds objects of (a unary call's context and messages, a stream's
/// reactor): gRPC destroys them on its own threads, possibly after berth's completion has
/// run and the caller has moved on. The channel is let go only after them (on a worker
/// thread, see connect() in client.cpp), so that a program that ends right after its last
/// call (the berth command) does not tear gRPC down under a callback that is still
/// unwinding.
class inflight_calls {
 public:
  class guard {
   public:
    explicit guard(std::shared_ptr<inflight_calls> c) : c_(std::move(c)) {
      std::lock_guard<std::mutex> l(c_->mu_);
      ++c_->n_;
    }
    ~guard() {
      std::lock_guard<std::mutex> l(c_->mu_);
      if (--c_->n_ == 0) c_->idle_.notify_all();
    }
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;

   private:
    std::shared_ptr<inflight_calls> c_;
  };
  /// Waits until no call is in flight, or for limit at most. False on timeout.
  bool wait_idle(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> l(mu_);
    return idle_.wait_for(l, limit, [&] { return n_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable idle_;
  int n_ = 0;
};

/// Released through worker_pool() after inflight->wait_idle (bounded: a stream still open
/// elsewhere has been cancelled by its owner's destructor, and gRPC ends such a call within
/// milliseconds); its destructor never waits.
struct connection {
  std::shared_ptr<inflight_calls> inflight = std::make_shared<inflight_calls>();
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<api::containers::Containers::Stub> containers;
  std::unique_ptr<api::content::Content::Stub> content;
  std::unique_ptr<api::diff::Diff::Stub> diff;
  std::unique_ptr<api::events::Events::Stub> events;
  std::unique_ptr<api::images::Images::Stub> images;
  std::unique_ptr<api::introspection::Introspection::Stub> introspection;
  std::unique_ptr<api::leases::Leases::Stub> leases;
  std::unique_ptr<api::namespaces::Namespaces::Stub> namespaces;
  std::unique_ptr<api::snapshots::Snapshots::Stub> snapshots;
  std::unique_ptr<api::tasks::Tasks::Stub> tasks;
  std::unique_ptr<api::version::Version::Stub> version;
};

/// resolve_user on the image whose top snapshot is parent (a short-lived view of it).
asio::awaitable<result<std::string>> resolve_image_user(std::shared_ptr<state> s, std::string snapshotter,
                                                        std::string parent, std::string user,
                                                        std::vector<std::uint32_t>& groups);

/// The log files of a container with log capture (logs.cpp), and their removal (on
/// berth's worker threads); the names of those that were removed.
std::vector<std::string> log_files_of(const labels& l);
asio::awaitable<std::vector<std::string>> remove_log_files(labels l);

struct state {
  std::shared_ptr<connection> conn;
  std::shared_ptr<execution_host> host;
  std::string address;
  std::string ns;
  std::string lease;
  std::optional<std::chrono::milliseconds> timeout;
  std::string logger_path;  ///< client_options::logger_path (empty: found at use)
  std::string init_path;    ///< client_options::init_path (empty: found at use)

  asio::any_io_executor executor() const { return host->operation_executor(); }
};

/// Sets the namespace (and lease) metadata and the deadline of one call.
/// with_default_timeout: false for calls that may legitimately block (wait, streams).
void prepare(const state& s, const call_options& opts, grpc::ClientContext& ctx, bool with_default_timeout);

/// Maps a failed status to an error_code and fills diag. cancelled: the caller cancelled
/// (berth::errc::cancelled); deadline_set: a DEADLINE_EXCEEDED is berth::errc::timeout.
std::error_code map_status(const grpc::Status& st, berth::diagnostics* diag, bool cancelled, bool deadline_set);

/// A completion handler handed to code that runs on threads berth does not own (gRPC's
/// callback threads, a worker thread). complete(v), called once from any thread, posts the
/// handler with v to the handler's executor and clears its cancellation slot there.
///
/// Nothing tied to the caller's io_context may be destroyed on the foreign thread: the
/// caller may be gone by the time that thread lets go of its copy. So the executor and the
/// handler are held only through a shared box that the posted completion empties under
/// the lock, on the caller's side; a foreign copy that dies later holds an empty box.
template <class Handler>
class foreign_completion {
 public:
  explicit foreign_completion(Handler h)
      : slot_(asio::get_associated_cancellation_slot(h)), box_(std::make_shared<box>()) {
    box_->ex.emplace(asio::get_associated_executor(h));
    box_->h.emplace(std::move(h));
  }

  template <class V>
  void complete(V v) const {
    std::lock_guard<std::mutex> lock(box_->mu);
    if (!box_->ex) return;
    asio::post(*box_->ex, [b = box_, slot = slot_, v = std::move(v)]() mutable {
      std::optional<Handler> h;
      {
        std::lock_guard<std::mutex> l(b->mu);
        h.emplace(std::move(*b->h));
        b->h.reset();
        b->ex.reset();
      }
      if (slot.is_connected()) slot.clear();
      std::move (*h)(std::move(v));
    });
  }

 private:
  using slot_type = asio::associated_cancellation_slot_t<Handler>;
  using executor_type = asio::associated_executor_t<Handler>;
  struct box {
    std::mutex mu;
    std::optional<executor_type> ex;
    std::optional<Handler> h;
  };
  slot_type slot_;
  std::shared_ptr<box> box_;
};

/// Awaits a gRPC callback-API operation. start(done) starts it; done(grpc::Status) may be
/// called on any thread; the completion is posted to the coroutine's executor. Terminal
/// cancellation of the awaiting coroutine calls ctx.TryCancel() and sets *cancelled.
///
/// Arguments are taken by reference and copied inside: GCC 12 destroys some class-type
/// temporaries of a co_await full-expression twice, so callers pass named objects only.
template <class Start>
auto async_grpc(grpc::ClientContext& ctx, const std::shared_ptr<std::atomic<bool>>& cancelled,
                const std::shared_ptr<void>& keep, const Start& start) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(grpc::Status)>(
      [&ctx, cancelled, keep, start = Start(start)](auto handler) mutable {
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected()) {
          slot.assign([&ctx, cancelled, keep](asio::cancellation_type t) {
            if ((t & asio::cancellation_type::terminal) != asio::cancellation_type::none) {
              cancelled->store(true);
              ctx.TryCancel();
            }
          });
        }
        // done runs on a gRPC thread, and gRPC destroys it whenever it likes: possibly
        // after the completion has run and the caller has destroyed its io_context.
        foreign_completion<decltype(handler)> fc(std::move(handler));
        start([fc = std::move(fc), keep](grpc::Status st) mutable { fc.complete(std::move(st)); });
      },
      asio::use_awaitable);
}

/// One unary call. call(stub_async, ctx, req, resp, done) starts it, e.g.
///   [&](auto* ctx, auto* req, auto* resp, auto done) { s->conn->tasks->async()->Start(ctx, req, resp, done); }
template <class Resp, class Req, class Call>
asio::awaitable<result<Resp>> unary(const std::shared_ptr<state>& s, const call_options& opts, Req req,
                                    Call call, bool with_default_timeout = true) {
  struct box {
    explicit box(const connection& c) : tracked(c.inflight) {}
    inflight_calls::guard tracked;  // first: it goes last, after the context
    grpc::ClientContext ctx;
    Req req;
    Resp resp;
  };
  auto b = std::make_shared<box>(*s->conn);
  b->req = std::move(req);
  prepare(*s, opts, b->ctx, with_default_timeout);
  bool deadline_set = b->ctx.deadline() != std::chrono::system_clock::time_point::max();
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<void> keep = b;
  auto starter = [b, s, call](std::function<void(grpc::Status)> done) mutable {
    call(*s->conn, &b->ctx, &b->req, &b->resp, std::move(done));
  };
  auto st = co_await async_grpc(b->ctx, cancelled, keep, starter);
  if (!st.ok()) co_return unexpected(map_status(st, opts.diag, cancelled->load(), deadline_set));
  if (opts.diag) opts.diag->clear();
  co_return std::move(b->resp);
}

// ---- conversions ----

time_point from_proto(const google::protobuf::Timestamp& t);
void to_proto(time_point tp, google::protobuf::Timestamp* t);
any_value from_proto(const google::protobuf::Any& a);
void to_proto(const any_value& v, google::protobuf::Any* a);
descriptor from_proto(const api::types::Descriptor& d);
void to_proto(const descriptor& d, api::types::Descriptor* p);
mount from_proto(const api::types::Mount& m);
void to_proto(const mount& m, api::types::Mount* p);
container from_proto(const api::containers::Container& c);
void to_proto(const container& c, api::containers::Container* p);
image from_proto(const api::images::Image& i);
void to_proto(const image& i, api::images::Image* p);
content_info from_proto(const api::content::Info& i);
write_status from_proto(const api::content::Status& st);
snapshot_info from_proto(const api::snapshots::Info& i);
process_info from_proto(const api::task_types::Process& p);

template <class Map>
labels to_labels(const Map& m) {
  labels out;
  for (const auto& [k, v] : m) out.emplace(k, v);
  return out;
}
template <class Map>
void put_labels(const labels& l, Map* m) {
  for (const auto& [k, v] : l) (*m)[k] = v;
}

}  // namespace berth::containerd::detail

namespace berth::containerd::detail {
/// Reads a whole blob of the content store (at most max bytes: errc::resource_exhausted).
asio::awaitable<result<std::string>> read_blob(std::shared_ptr<state> s, std::string digest, std::size_t max);
}  // namespace berth::containerd::detail
