// The pool transport over a scripted link driver: replies from a foreign thread, exactly
// once under cancel/reply races, shared and dedicated connections, reopening after an
// invalid connection, rotation after too many abandoned replies, completion at
// destruction, late replies' fds closed.
#include <doctest/doctest.h>
#include <fcntl.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "berth/apple/error.hpp"
#include "support/fds.hpp"
#include "support/scripted_link.hpp"
#include "xpc/pool_transport.hpp"

using namespace berth::apple;
using berth::apple::test::script;
using berth::apple::test::scripted_driver;

namespace {

struct outcome {
  std::atomic<int> calls{0};
  std::error_code ec;
  message reply;
  std::thread::id thread;
  std::promise<void> done;
  std::shared_future<void> fut = done.get_future().share();
};

reply_callback recorder(std::shared_ptr<outcome> o) {
  return [o](std::error_code ec, message m) {
    if (++o->calls == 1) {
      o->ec = ec;
      o->reply = std::move(m);
      o->thread = std::this_thread::get_id();
      o->done.set_value();
    }
  };
}

bool wait(const std::shared_ptr<outcome>& o, int ms = 5000) {
  return o->fut.wait_for(std::chrono::milliseconds(ms)) == std::future_status::ready;
}

std::shared_ptr<scripted_driver> driver() { return std::make_shared<scripted_driver>(); }
std::shared_ptr<transport> pool(const std::shared_ptr<scripted_driver>& d, std::size_t max_abandoned = 16) {
  xpc_transport_options o;
  o.max_abandoned_replies = max_abandoned;
  return detail::make_pool_transport(d, o);
}

}  // namespace

TEST_CASE("a reply arrives once, on the link's thread") {
  auto d = driver();
  d->reply_with = [](const message& req) {
    message r;
    r.set_string("echo", std::string(route_of(req)));
    return r;
  };
  auto t = pool(d);
  auto o = std::make_shared<outcome>();
  t->send(service::apiserver, make_request("ping"), {}, recorder(o));
  REQUIRE(wait(o));
  CHECK_FALSE(o->ec);
  CHECK(*o->reply.get_string("echo") == "ping");
  CHECK(o->thread != std::this_thread::get_id());
  CHECK(d->opened_names() == std::vector<std::string>{"com.apple.container.apiserver"});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(o->calls == 1);
}

TEST_CASE("link failures map to xpc_errc") {
  const std::pair<script, std::error_code> cases[] = {
      {script::interrupted, xpc_errc::connection_interrupted},
      {script::invalid, xpc_errc::connection_invalid},
      {script::not_a_dictionary, xpc_errc::bad_reply},
  };
  for (const auto& [s, want] : cases) {
    auto d = driver();
    d->mode = s;
    auto t = pool(d);
    auto o = std::make_shared<outcome>();
    t->send(service::images, make_request("imageList"), {}, recorder(o));
    REQUIRE(wait(o));
    CHECK(o->ec == want);
    CHECK(o->reply.empty());
  }
}

TEST_CASE("an invalid request is refused before anything is sent") {
  auto d = driver();
  auto t = pool(d);
  auto o = std::make_shared<outcome>();
  message m = make_request("ping");
  m.set_string("k", std::string("a\0b", 3));
  CHECK(t->send(service::apiserver, m, {}, recorder(o)) == 0);
  REQUIRE(wait(o, 0));
  CHECK(o->ec == berth::errc::invalid_argument);
  CHECK(d->opened == 0);
}

TEST_CASE("shared and dedicated connections") {
  auto d = driver();
  d->mode = script::reply_inline;
  auto t = pool(d);
  for (int i = 0; i < 3; ++i) {
    auto o = std::make_shared<outcome>();
    t->send(service::apiserver, make_request("ping"), {}, recorder(o));
    REQUIRE(wait(o));
  }
  CHECK(d->opened == 1);
  auto o = std::make_shared<outcome>();
  t->send(service::images, make_request("imageList"), {}, recorder(o));
  CHECK(d->opened == 2);  // one per service
  for (int i = 0; i < 2; ++i) {
    auto w = std::make_shared<outcome>();
    t->send(service::apiserver, make_request("containerWait"), send_options{true}, recorder(w));
    REQUIRE(wait(w));
  }
  CHECK(d->opened == 4);  // a connection per dedicated call
}

TEST_CASE("cancel: completes with cancelled once; a dedicated connection is cancelled") {
  auto d = driver();
  d->mode = script::never;
  auto t = pool(d);
  auto o = std::make_shared<outcome>();
  auto id = t->send(service::apiserver, make_request("containerWait"), send_options{true}, recorder(o));
  CHECK_FALSE(wait(o, 20));
  t->cancel(id);
  REQUIRE(wait(o, 0));
  CHECK(o->ec == berth::errc::cancelled);
  CHECK(d->links().back()->cancels >= 1);
  t->cancel(id);  // twice: nothing
  CHECK(o->calls == 1);

  auto shared = std::make_shared<outcome>();
  auto sid = t->send(service::apiserver, make_request("containerList"), {}, recorder(shared));
  t->cancel(sid);
  REQUIRE(wait(shared, 0));
  CHECK(shared->ec == berth::errc::cancelled);
  auto l = d->links().back();
  CHECK(l->cancels == 0);  // the shared connection stays
  CHECK(l->pending() == 1);  // its abandoned reply handler is still registered
}

TEST_CASE("a shared connection is reopened once it went invalid") {
  auto d = driver();
  d->mode = script::reply_inline;
  auto t = pool(d);
  auto o = std::make_shared<outcome>();
  t->send(service::apiserver, make_request("ping"), {}, recorder(o));
  d->links().back()->break_connection();
  auto o2 = std::make_shared<outcome>();
  t->send(service::apiserver, make_request("ping"), {}, recorder(o2));
  REQUIRE(wait(o2));
  CHECK(d->opened == 2);
}

TEST_CASE("too many abandoned replies retire a shared connection") {
  auto d = driver();
  d->mode = script::never;
  auto t = pool(d, 2);
  std::vector<std::shared_ptr<outcome>> os;
  for (int i = 0; i < 3; ++i) {
    auto o = std::make_shared<outcome>();
    t->cancel(t->send(service::apiserver, make_request("unknownRoute"), {}, recorder(o)));
    os.push_back(o);
  }
  auto first = d->links().front();
  CHECK(first->cancels.load() == 1);  // retired with only abandoned calls left: cancelled, handlers freed
  CHECK(first->pending() == 0);
  d->mode = script::reply;
  auto o = std::make_shared<outcome>();
  t->send(service::apiserver, make_request("ping"), {}, recorder(o));
  REQUIRE(wait(o));
  CHECK_FALSE(o->ec);
  CHECK(d->opened == 2);
  for (auto& x : os) CHECK(x->calls == 1);
}

TEST_CASE("destroying the transport completes outstanding calls with connection_invalid") {
  auto d = driver();
  d->mode = script::never;
  auto t = pool(d);
  auto a = std::make_shared<outcome>();
  auto b = std::make_shared<outcome>();
  t->send(service::apiserver, make_request("containerWait"), send_options{true}, recorder(a));
  t->send(service::apiserver, make_request("containerList"), {}, recorder(b));
  t.reset();
  REQUIRE(wait(a, 0));
  REQUIRE(wait(b, 0));
  CHECK(a->ec == xpc_errc::connection_invalid);
  CHECK(b->ec == xpc_errc::connection_invalid);
  for (auto& l : d->links()) CHECK(l->cancels >= 1);
}

TEST_CASE("a late reply is dropped and its fds closed") {
  const auto before = berth::test::open_fds();
  {
    auto d = driver();
    d->delay_ms = 30;
    d->reply_with = [](const message&) {
      message r;
      r.set_fd("fd", shared_fd::adopt(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
      return r;
    };
    auto t = pool(d);
    auto o = std::make_shared<outcome>();
    t->cancel(t->send(service::apiserver, make_request("containerDial"), {}, recorder(o)));
    REQUIRE(wait(o, 0));
    CHECK(o->ec == berth::errc::cancelled);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(o->calls == 1);
  }
  CHECK(berth::test::open_fds() == before);
}

TEST_CASE("exactly once under reply/cancel races") {
  auto d = driver();
  d->delay_ms = 0;
  auto t = pool(d);
  std::vector<std::shared_ptr<outcome>> os;
  for (int i = 0; i < 500; ++i) {
    auto o = std::make_shared<outcome>();
    auto id = t->send(service::apiserver, make_request("ping"), {}, recorder(o));
    if (i % 3 == 0) std::this_thread::yield();
    t->cancel(id);
    os.push_back(o);
  }
  for (auto& o : os) {
    REQUIRE(wait(o));
    CHECK((o->ec == berth::errc::cancelled || !o->ec));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (auto& o : os) CHECK(o->calls == 1);
}
