// The Asio bridge over transport::send.
#include "call.hpp"

#include <atomic>
#include <optional>
#include <utility>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "berth/core/error.hpp"

namespace berth::apple::detail {
namespace {

// One call in flight. The transport's callback holds it (shared); the timer and the
// cancellation slot hold it weakly. complete() may run on any thread; the handler, the
// timer and the transport reference are let go on the handler's executor only.
template <class Handler>
struct call_state : std::enable_shared_from_this<call_state<Handler>> {
  using executor_type = asio::associated_executor_t<Handler>;
  using slot_type = asio::associated_cancellation_slot_t<Handler>;

  call_state(Handler h, std::shared_ptr<transport> tr)
      : ex(asio::get_associated_executor(h)),
        slot(asio::get_associated_cancellation_slot(h)),
        handler(std::move(h)),
        t(std::move(tr)) {}

  executor_type ex;
  slot_type slot;
  std::optional<Handler> handler;
  std::optional<asio::steady_timer> timer;
  std::shared_ptr<transport> t;
  transport::call_id id = 0;
  std::atomic<bool> done{false};

  void complete(std::error_code ec, message m) {
    if (done.exchange(true)) return;  // a late reply: m (and its fds) dies here
    asio::post(ex, [self = this->shared_from_this(), ec, m = std::move(m)]() mutable {
      if (self->slot.is_connected()) self->slot.clear();
      self->timer.reset();  // cancels a pending wait
      std::shared_ptr<transport> keep = std::move(self->t);
      Handler h = std::move(*self->handler);
      self->handler.reset();
      std::move(h)(call_outcome{ec, std::move(m)});
    });
  }

  // Deadline or cancellation, on the executor: complete first, then tell the transport.
  void give_up(std::error_code ec) {
    std::shared_ptr<transport> tr = t;
    const transport::call_id i = id;
    complete(ec, {});
    if (tr && i != 0) tr->cancel(i);
  }
};

struct initiate_call {
  template <class Handler>
  void operator()(Handler handler, std::shared_ptr<transport> t, service svc, message request,
                  call_settings cs) const {
    using state = call_state<Handler>;
    auto st = std::make_shared<state>(std::move(handler), t);
    if (!t) {
      st->complete(make_error_code(berth::errc::invalid_argument), {});
      return;
    }
    st->id = t->send(svc, std::move(request), send_options{cs.dedicated},
                     [st](std::error_code ec, message m) { st->complete(ec, std::move(m)); });
    if (st->done.load()) return;  // completed inside send (e.g. an invalid request)
    std::weak_ptr<state> w = st;
    if (cs.deadline.count() > 0) {
      st->timer.emplace(st->ex);
      st->timer->expires_after(cs.deadline);
      st->timer->async_wait([w](std::error_code e) {
        if (e) return;
        if (auto s = w.lock()) s->give_up(make_error_code(berth::errc::timeout));
      });
    }
    if (st->slot.is_connected()) {
      st->slot.assign([w](asio::cancellation_type type) {
        if (type == asio::cancellation_type::none) return;
        if (auto s = w.lock()) s->give_up(make_error_code(berth::errc::cancelled));
      });
    }
  }
};

}  // namespace

asio::awaitable<call_outcome> call(std::shared_ptr<transport> t, service svc, message request, call_settings cs) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(call_outcome)>(
      initiate_call{}, asio::use_awaitable, std::move(t), svc, std::move(request), cs);
}

}  // namespace berth::apple::detail
