// The pool transport: shared and dedicated links, exactly-once completion, abandoned-reply
// accounting and rotation of shared links.
#include "xpc/pool_transport.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "berth/apple/error.hpp"

namespace berth::apple {

transport::~transport() = default;

namespace detail {

link::~link() = default;
link_driver::~link_driver() = default;

namespace {

// One link and the calls it carries.
struct link_slot {
  std::shared_ptr<link> l;
  std::size_t live = 0;       // calls sent whose callback has not run
  std::size_t abandoned = 0;  // of those, the ones cancelled by the caller
  bool retired = false;       // no new calls (shared links only)
  bool dedicated = false;
  bool cancelled = false;     // the pool cancelled the link (once)
};

struct call_record {
  std::atomic<bool> completed{false};
  reply_callback done;
  std::shared_ptr<link_slot> slot;
  bool abandoned = false;  // guarded by the pool's mutex
};

std::error_code to_error(link_status s) {
  switch (s) {
    case link_status::reply: return {};
    case link_status::interrupted: return xpc_errc::connection_interrupted;
    case link_status::invalid: return xpc_errc::connection_invalid;
    case link_status::not_a_dictionary: return xpc_errc::bad_reply;
  }
  return xpc_errc::bad_reply;
}

class pool_transport final : public transport, public std::enable_shared_from_this<pool_transport> {
 public:
  pool_transport(std::shared_ptr<link_driver> d, xpc_transport_options o)
      : driver_(std::move(d)), opts_(std::move(o)) {}

  ~pool_transport() override {
    std::map<call_id, std::shared_ptr<call_record>> calls;
    std::vector<std::shared_ptr<link_slot>> slots;
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      calls.swap(calls_);
      for (auto& s : shared_)
        if (s) slots.push_back(std::move(s));
      for (auto& s : retired_) slots.push_back(std::move(s));
      retired_.clear();
    }
    for (auto& [id, rec] : calls) {
      if (!rec->completed.exchange(true)) complete(*rec, xpc_errc::connection_invalid, {});
      if (rec->slot && rec->slot->dedicated) rec->slot->l->cancel();
    }
    for (auto& s : slots) s->l->cancel();
  }

  call_id send(service svc, message request, send_options opts, reply_callback done) override {
    if (auto ec = validate_for_xpc(request)) {
      done(ec, {});
      return 0;
    }
    auto rec = std::make_shared<call_record>();
    rec->done = std::move(done);
    call_id id = 0;
    std::shared_ptr<link_slot> slot;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!closed_) slot = pick(svc, opts.dedicated_connection);
      if (!slot) {
        lock.unlock();
        rec->completed.store(true);
        rec->done(xpc_errc::connection_invalid, {});
        return 0;
      }
      id = next_id_++;
      rec->slot = slot;
      ++slot->live;
      calls_.emplace(id, rec);
    }
    std::weak_ptr<pool_transport> self = weak_from_this();
    slot->l->send(request, [self, id, rec](link_result r) {
      if (auto p = self.lock()) {
        p->on_result(id, *rec, std::move(r));
      } else if (!rec->completed.exchange(true)) {
        complete(*rec, xpc_errc::connection_invalid, {});
      }
    });
    return id;
  }

  void cancel(call_id id) noexcept override {
    std::shared_ptr<call_record> rec;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = calls_.find(id);
      if (it == calls_.end()) return;
      rec = it->second;
    }
    if (rec->completed.exchange(true)) return;
    complete(*rec, berth::errc::cancelled, {});
    const std::shared_ptr<link_slot>& slot = rec->slot;
    if (slot->dedicated) {
      slot->l->cancel();  // its callback then runs with `invalid` and is ignored
      return;
    }
    bool cancel_link = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (calls_.count(id) == 0) return;  // the reply came meanwhile
      rec->abandoned = true;
      ++slot->abandoned;
      if (!slot->retired && slot->abandoned > opts_.max_abandoned_replies) retire(slot);
      cancel_link = slot->retired && !slot->cancelled && slot->live == slot->abandoned;
      if (cancel_link) {
        slot->cancelled = true;
        forget_retired(slot);
      }
    }
    if (cancel_link) slot->l->cancel();
  }

 private:
  static void complete(call_record& rec, std::error_code ec, message m) noexcept {
    try {
      rec.done(ec, std::move(m));
    } catch (...) {
      // A callback must not throw; nothing sensible to do with it here.
    }
  }

  // Under mu_: the link for a new call (nullptr when the driver cannot open one).
  std::shared_ptr<link_slot> pick(service svc, bool dedicated) {
    const std::string& name = svc == service::images ? opts_.images_service : opts_.apiserver_service;
    if (dedicated) {
      auto l = driver_->open(name);
      if (!l) return nullptr;
      auto s = std::make_shared<link_slot>();
      s->l = std::move(l);
      s->dedicated = true;
      return s;
    }
    auto& cur = shared_[svc == service::images ? 1 : 0];
    if (cur && cur->l->invalid()) retire(cur);  // useless from now on
    if (!cur) {
      auto l = driver_->open(name);
      if (!l) return nullptr;
      cur = std::make_shared<link_slot>();
      cur->l = std::move(l);
    }
    return cur;
  }

  // Under mu_: no new calls on slot; kept until its live calls are only abandoned ones.
  void retire(std::shared_ptr<link_slot> slot) {
    slot->retired = true;
    for (auto& s : shared_) {
      if (s == slot) {
        s.reset();
        if (slot->live > slot->abandoned) retired_.push_back(slot);
      }
    }
  }

  void forget_retired(const std::shared_ptr<link_slot>& slot) {
    std::erase(retired_, slot);
  }

  void on_result(call_id id, call_record& rec, link_result r) {
    if (!rec.completed.exchange(true)) {
      std::error_code ec = to_error(r.status);
      complete(rec, ec, ec ? message{} : std::move(r.reply));
    }
    // r (and the fds of a late reply) is destroyed here, on the caller's thread of libxpc.
    std::shared_ptr<link_slot> slot = rec.slot;
    bool cancel_link = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (calls_.erase(id) == 0) return;
      --slot->live;
      if (rec.abandoned) --slot->abandoned;
      if (!slot->dedicated && slot->retired && !slot->cancelled && slot->live == slot->abandoned) {
        forget_retired(slot);
        cancel_link = slot->live > 0;  // abandoned replies still pending: free them
        slot->cancelled = cancel_link;
      }
    }
    if (cancel_link) slot->l->cancel();
  }

  std::mutex mu_;
  std::shared_ptr<link_driver> driver_;
  xpc_transport_options opts_;
  std::map<call_id, std::shared_ptr<call_record>> calls_;
  std::shared_ptr<link_slot> shared_[2];
  std::vector<std::shared_ptr<link_slot>> retired_;
  call_id next_id_ = 1;
  bool closed_ = false;
};

}  // namespace

std::shared_ptr<transport> make_pool_transport(std::shared_ptr<link_driver> driver, xpc_transport_options opts) {
  return std::make_shared<pool_transport>(std::move(driver), std::move(opts));
}

}  // namespace detail
}  // namespace berth::apple
