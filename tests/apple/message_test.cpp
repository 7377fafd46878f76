// berth::apple::message: the nine kinds, typed getters, fd sharing and closing, validation
// for libxpc, the dump form.
#include "berth/apple/message.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include "support/fds.hpp"

using namespace berth::apple;

namespace {
int open_null() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }
bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }
}  // namespace

TEST_CASE("every kind round-trips through set and get") {
  message m;
  m.set_string("s", "text");
  m.set_data("d", R"({"a":1})");
  m.set_bool("b", true);
  m.set_int64("i", -5);
  m.set_uint64("u", 7);
  m.set_date("t", xpc_date{1754042400000000000});
  m.set_fd("f", shared_fd::adopt(open_null()));
  m.set_array("a", {value(std::string("x")), value(std::int64_t{1})});
  message inner;
  inner.set_string("k", "v");
  m.set_dictionary("n", inner);

  CHECK(*m.get_string("s") == "text");
  CHECK(*m.get_data("d") == R"({"a":1})");
  CHECK(m.get_bool("b") == true);
  CHECK(m.get_int64("i") == -5);
  CHECK(m.get_uint64("u") == 7u);
  CHECK(m.get_date("t")->unix_ns == 1754042400000000000);
  CHECK(m.get_fd("f")->get() >= 0);
  CHECK(m.get_array("a")->size() == 2);
  CHECK(*m.get_dictionary("n")->get_string("k") == "v");
  CHECK(m.size() == 9);

  CHECK(m.find("s")->kind() == value_kind::string);
  CHECK(m.find("d")->kind() == value_kind::data);
  CHECK(m.find("n")->kind() == value_kind::dictionary);
  CHECK(kind_name(value_kind::boolean) == "bool");
}

TEST_CASE("typed getters return nothing for another kind: int64 and uint64 are distinct") {
  message m;
  m.set_int64("port", 80);
  m.set_data("raw", "x");
  CHECK_FALSE(m.get_uint64("port"));
  CHECK(m.get_int64("port") == 80);
  CHECK(m.get_string("raw") == nullptr);  // data is not a string
  CHECK(m.get_data("absent") == nullptr);
  CHECK_FALSE(m.get_bool("port"));
}

TEST_CASE("setters replace; erase removes") {
  message m;
  m.set_string("k", "a");
  m.set_uint64("k", 1);
  CHECK(m.size() == 1);
  CHECK(m.get_uint64("k") == 1u);
  CHECK(m.erase("k"));
  CHECK_FALSE(m.erase("k"));
  CHECK(m.empty());
}

TEST_CASE("route helpers") {
  message m = make_request("containerList");
  CHECK(route_of(m) == "containerList");
  CHECK(*m.get_string("com.apple.container.xpc.route") == "containerList");
  CHECK(route_of(message{}).empty());
}

TEST_CASE("fds: copies share the descriptor, the last copy closes it, equality is identity") {
  const auto before = berth::test::open_fds();
  int raw = -1;
  {
    shared_fd a = shared_fd::adopt(open_null());
    raw = a.get();
    REQUIRE(raw >= 0);
    message m1;
    m1.set_fd("f", a);
    message m2 = m1;
    CHECK(m1 == m2);
    CHECK(m2.get_fd("f")->get() == raw);
    shared_fd b = shared_fd::adopt(open_null());
    message m3;
    m3.set_fd("f", b);
    CHECK_FALSE(m1 == m3);  // another open of the same file: another fd
    a = {};
    m1 = {};
    CHECK(is_open(raw));  // m2 still holds it
  }
  CHECK_FALSE(is_open(raw));
  CHECK(berth::test::open_fds() == before);
}

TEST_CASE("shared_fd::dup and dup_raw give new descriptors") {
  const int fd = open_null();
  auto d = shared_fd::dup(fd);
  REQUIRE(d);
  CHECK(d->get() != fd);
  auto r = d->dup_raw();
  REQUIRE(r);
  CHECK(*r != d->get());
  ::close(*r);
  ::close(fd);
  CHECK_FALSE(shared_fd{}.dup_raw());
  CHECK(shared_fd::adopt(-1).get() == -1);
}

TEST_CASE("deep copies and equality of nested values") {
  message a;
  message inner;
  inner.set_array("x", {value(std::uint64_t{1}), value(bytes{"b"})});
  a.set_dictionary("n", inner);
  message b = a;
  CHECK(a == b);
  inner.set_bool("y", false);
  b.set_dictionary("n", inner);
  CHECK_FALSE(a == b);
  value v(std::string("s"));
  value w = v;
  CHECK(v == w);
  CHECK_FALSE(v == value(bytes{"s"}));  // a string is not data
}

TEST_CASE("validate_for_xpc refuses what libxpc cannot carry") {
  message ok = make_request("ping");
  CHECK_FALSE(validate_for_xpc(ok));
  message nul_key;
  nul_key.set_string(std::string("a\0b", 3), "v");
  CHECK(validate_for_xpc(nul_key) == berth::errc::invalid_argument);
  message nul_value;
  nul_value.set_string("k", std::string("a\0b", 3));
  CHECK(validate_for_xpc(nul_value) == berth::errc::invalid_argument);
  message empty_fd;
  empty_fd.set_fd("f", shared_fd{});
  CHECK(validate_for_xpc(empty_fd) == berth::errc::invalid_argument);
  message nested;
  message inner;
  inner.set_string("k", std::string("\0", 1));
  nested.set_array("a", {value(inner)});
  CHECK(validate_for_xpc(nested) == berth::errc::invalid_argument);
  message data_nul;
  data_nul.set_data("d", std::string("\0\1", 2));  // data is bytes: NUL is fine
  CHECK_FALSE(validate_for_xpc(data_nul));
}

TEST_CASE("dump: one line per key, byte order, quoted strings and data") {
  message m = make_request("containerKill");
  m.set_string("signal", "SIGTERM");
  m.set_string("id", "web");
  m.set_data("Z", std::string("a\"\n\x01", 4));
  m.set_fd("stdout", shared_fd::adopt(open_null()));
  m.set_array("logs", {value(shared_fd::adopt(open_null())), value(shared_fd::adopt(open_null()))});
  m.set_date("t", xpc_date{5});
  CHECK(dump(m) ==
        "Z data \"a\\\"\\n\\x01\"\n"
        "com.apple.container.xpc.route string \"containerKill\"\n"
        "id string \"web\"\n"
        "logs array [fd, fd]\n"
        "signal string \"SIGTERM\"\n"
        "stdout fd\n"
        "t date 5\n");
}
