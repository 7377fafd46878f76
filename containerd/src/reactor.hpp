// Private: gRPC callback-API streams bridged to Asio coroutines.
//
// A reactor holds at most one message. Each step (read, or write then read) is started
// from the coroutine's executor and completes there; a hold (AddHold) keeps gRPC from
// finishing the call while berth may still start operations, released when the stream
// ends (end of stream, error, or close()).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "state.hpp"

namespace berth::containerd::detail {

/// What a step of a stream produced.
enum class step { message, end, failed };

template <class Base>
class reactor_core : public Base {
 private:
  std::optional<inflight_calls::guard> tracked_;  // first: it goes last, after the context

 public:
  /// Counts the call as in flight on c until this reactor is destroyed.
  void track(const connection& c) { tracked_.emplace(c.inflight); }
  grpc::ClientContext ctx;
  std::shared_ptr<reactor_core> self;  ///< Set while gRPC may call back; cleared in OnDone.

  /// Ends the call (TryCancel) and lets gRPC finish it.
  void close() {
    ctx.TryCancel();
    release();
  }
  void release() {
    if (!released_.exchange(true)) this->RemoveHold();
  }
  bool finished() {
    std::lock_guard<std::mutex> l(mu_);
    return done_;
  }
  grpc::Status status() {
    std::lock_guard<std::mutex> l(mu_);
    return status_;
  }

  void OnDone(const grpc::Status& st) override {
    std::function<void(bool)> f;
    {
      std::lock_guard<std::mutex> l(mu_);
      status_ = st;
      done_ = true;
      f = std::move(on_done_);
    }
    if (f) f(false);
    auto keep = std::move(self);  // may destroy this on return
  }

 protected:
  /// Starts a step: arm(cb) stores cb, then start() starts the gRPC operation. cb(true)
  /// when the step produced a message, cb(false) once the call is over.
  void complete_step(bool ok) {
    std::function<void(bool)> f;
    {
      std::lock_guard<std::mutex> l(mu_);
      f = std::move(pending_);
      if (!ok) {
        if (!done_) {
          on_done_ = std::move(f);
          f = nullptr;
        }
      }
    }
    if (!ok) release();
    if (f) f(ok);
  }
  /// Returns false (and does not start) when the call is already over.
  bool arm(std::function<void(bool)> cb) {
    std::lock_guard<std::mutex> l(mu_);
    if (done_ || released_) return false;
    pending_ = std::move(cb);
    return true;
  }

  std::mutex mu_;
  std::function<void(bool)> pending_;
  std::function<void(bool)> on_done_;
  bool done_ = false;
  grpc::Status status_;
  std::atomic<bool> released_{false};
};

/// A server stream (Subscribe, Read, List).
template <class Resp>
class read_reactor : public reactor_core<grpc::ClientReadReactor<Resp>> {
 public:
  Resp msg;
  void OnReadDone(bool ok) override { this->complete_step(ok); }
  bool start_read(std::function<void(bool)> cb) {
    if (!this->arm(std::move(cb))) return false;
    this->StartRead(&msg);
    return true;
  }
};

/// A bidi stream (Content.Write): each step writes one request and reads its answer.
template <class Req, class Resp>
class bidi_reactor : public reactor_core<grpc::ClientBidiReactor<Req, Resp>> {
 public:
  Req req;
  Resp msg;
  void OnWriteDone(bool ok) override {
    if (ok)
      this->StartRead(&msg);
    else
      this->complete_step(false);
  }
  void OnReadDone(bool ok) override { this->complete_step(ok); }
  bool start_exchange(std::function<void(bool)> cb) {
    if (!this->arm(std::move(cb))) return false;
    this->StartWrite(&req);
    return true;
  }
  /// After the last exchange: half-close (once) and read; call again to read on until the end.
  bool start_finish(std::function<void(bool)> cb) {
    if (!this->arm(std::move(cb))) return false;
    if (!writes_done_) {
      writes_done_ = true;
      this->StartWritesDone();
    }
    this->StartRead(&msg);
    return true;
  }
  void OnWritesDoneDone(bool) override {}

 private:
  bool writes_done_ = false;
};

/// Awaits one step of r (start is a member starting it). Completes on the coroutine's
/// executor. Terminal cancellation cancels the call.
template <class Reactor, class Start>
asio::awaitable<step> await_step(std::shared_ptr<Reactor> r, Start start, bool* cancelled_out = nullptr) {
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  auto got = std::make_shared<bool>(false);
  std::shared_ptr<void> keep = r;
  auto starter = [r, start, got](std::function<void(grpc::Status)> done) mutable {
    auto cb = [got, done, r](bool ok) mutable {
      *got = ok;
      done(ok ? grpc::Status::OK : r->status());
    };
    if (!((*r).*start)(cb)) cb(false);
  };
  auto st = co_await async_grpc(r->ctx, cancelled, keep, starter);
  if (cancelled_out) *cancelled_out = cancelled->load();
  if (*got) co_return step::message;
  co_return st.ok() ? step::end : step::failed;
}

/// Error of a failed stream (cancelled by the caller, or the call's status).
inline std::error_code stream_error(const grpc::Status& st, bool cancelled, bool deadline_set,
                                    berth::diagnostics* diag = nullptr) {
  return map_status(st, diag, cancelled || st.error_code() == grpc::StatusCode::CANCELLED, deadline_set);
}

/// Opens a server stream: starts(conn, ctx, req, reactor) calls stub->async()->Method.
template <class Resp, class Req, class Starter>
std::shared_ptr<read_reactor<Resp>> open_read(const std::shared_ptr<state>& s, const call_options& opts,
                                               const Req& req, bool default_timeout, Starter starter) {
  auto r = std::make_shared<read_reactor<Resp>>();
  r->track(*s->conn);
  r->self = r;
  prepare(*s, opts, r->ctx, default_timeout);
  starter(*s->conn, &r->ctx, &req, r.get());
  r->AddHold();
  r->StartCall();
  return r;
}

}  // namespace berth::containerd::detail
