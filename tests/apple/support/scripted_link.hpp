// A link_driver test double: each send is answered as scripted, from a foreign thread (a
// one-thread pool standing in for libdispatch), after a delay; or never (until cancel); or
// with interrupted / invalid / not a dictionary. Links count what happened to them.
//
// The driver must outlive every transport built on it (links keep a plain pointer to its
// thread pool): declare it first in a test.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>

#include "xpc/link.hpp"

namespace berth::apple::test {

enum class script { reply, never, interrupted, invalid, not_a_dictionary, reply_inline };

class scripted_link;

class scripted_driver final : public detail::link_driver {
 public:
  scripted_driver() = default;
  ~scripted_driver() override {
    pool_.stop();
    pool_.join();
  }

  /// What the next sends get (all of them until changed).
  std::atomic<script> mode{script::reply};
  /// When set, decides per request instead of mode.
  std::function<script(const message&)> mode_for{};
  std::atomic<int> delay_ms{1};
  /// The reply to a request (default: an empty dictionary).
  std::function<message(const message&)> reply_with = [](const message&) { return message{}; };

  std::atomic<int> opened{0};
  std::vector<std::shared_ptr<scripted_link>> links() {
    std::lock_guard<std::mutex> l(mu_);
    return links_;
  }
  std::vector<std::string> opened_names() {
    std::lock_guard<std::mutex> l(mu_);
    return names_;
  }

  std::shared_ptr<detail::link> open(std::string_view name) override;
  asio::thread_pool& pool() { return pool_; }

 private:
  asio::thread_pool pool_{1};
  std::mutex mu_;
  std::vector<std::shared_ptr<scripted_link>> links_;
  std::vector<std::string> names_;
};

class scripted_link final : public detail::link, public std::enable_shared_from_this<scripted_link> {
 public:
  explicit scripted_link(scripted_driver* d) : d_(d) {}
  ~scripted_link() override { cancel(); }

  std::atomic<int> sent{0};
  std::atomic<int> cancels{0};

  void send(const message& m, std::function<void(detail::link_result)> cb) override {
    ++sent;
    const script s = d_->mode_for ? d_->mode_for(m) : d_->mode.load();
    std::uint64_t id = 0;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (cancelled_) {
        id = 0;
      } else {
        id = next_++;
        pending_.emplace(id, std::move(cb));
      }
    }
    if (id == 0) {
      cb(detail::link_result{detail::link_status::invalid, {}, "cancelled"});
      return;
    }
    if (s == script::never) return;
    detail::link_result r;
    switch (s) {
      case script::interrupted: r.status = detail::link_status::interrupted; break;
      case script::invalid: r.status = detail::link_status::invalid; break;
      case script::not_a_dictionary: r.status = detail::link_status::not_a_dictionary; break;
      default: r.reply = d_->reply_with(m); break;
    }
    if (s == script::reply_inline) {
      finish(id, std::move(r));
      return;
    }
    auto self = shared_from_this();
    auto t = std::make_shared<asio::steady_timer>(d_->pool(), std::chrono::milliseconds(d_->delay_ms.load()));
    t->async_wait([self, t, id, r = std::move(r)](std::error_code) mutable { self->finish(id, std::move(r)); });
  }

  void cancel() noexcept override {
    std::map<std::uint64_t, std::function<void(detail::link_result)>> p;
    {
      std::lock_guard<std::mutex> l(mu_);
      ++cancels;
      cancelled_ = true;
      p.swap(pending_);
    }
    for (auto& [id, cb] : p) cb(detail::link_result{detail::link_status::invalid, {}, "cancelled"});
  }

  bool invalid() const noexcept override {
    std::lock_guard<std::mutex> l(mu_);
    return cancelled_ || broken_;
  }
  /// As if the event handler saw CONNECTION_INVALID.
  void break_connection() {
    std::lock_guard<std::mutex> l(mu_);
    broken_ = true;
  }
  std::size_t pending() const {
    std::lock_guard<std::mutex> l(mu_);
    return pending_.size();
  }

 private:
  void finish(std::uint64_t id, detail::link_result r) {
    std::function<void(detail::link_result)> cb;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = pending_.find(id);
      if (it == pending_.end()) return;
      cb = std::move(it->second);
      pending_.erase(it);
    }
    auto keep = shared_from_this();
    cb(std::move(r));
  }

  scripted_driver* d_;
  mutable std::mutex mu_;
  bool cancelled_ = false;
  bool broken_ = false;
  std::uint64_t next_ = 1;
  std::map<std::uint64_t, std::function<void(detail::link_result)>> pending_;
};

inline std::shared_ptr<detail::link> scripted_driver::open(std::string_view name) {
  auto l = std::make_shared<scripted_link>(this);
  ++opened;
  std::lock_guard<std::mutex> lock(mu_);
  links_.push_back(l);
  names_.emplace_back(name);
  return l;
}

}  // namespace berth::apple::test
