#include "berth/http/request.hpp"

#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <string_view>

#include "berth/http/error.hpp"

using namespace berth::http;
using namespace std::string_view_literals;

namespace doctest {
template <>
struct StringMaker<std::error_code> {
  static String convert(const std::error_code& ec) {
    return (std::string(ec.category().name()) + ": " + ec.message()).c_str();
  }
};
}  // namespace doctest

namespace {

std::string head_of(const request& req, std::string_view host = "docker") {
  std::string out;
  std::error_code ec;
  serialize_head(req, host, out, ec);
  REQUIRE(!ec);
  return out;
}

std::error_code refusal_of(const request& req, std::string_view host = "docker") {
  std::string out = "previous bytes";
  std::error_code ec;
  serialize_head(req, host, out, ec);
  CHECK(out == "previous bytes");  // nothing appended on failure
  return ec;
}

}  // namespace

TEST_CASE("GET without a body: no Content-Length") {
  request req;
  req.target = "/v1.43/containers/json?all=1";
  req.headers.add("Accept", "application/json");
  CHECK(head_of(req) ==
        "GET /v1.43/containers/json?all=1 HTTP/1.1\r\n"
        "Host: docker\r\n"
        "Accept: application/json\r\n"
        "\r\n");
}

TEST_CASE("serialize_head appends to what is already in out") {
  request req;
  std::string out = "X";
  std::error_code ec = error::bad_chunk;
  serialize_head(req, "h", out, ec);
  CHECK(!ec);
  CHECK(out == "XGET / HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST_CASE("a body gets its Content-Length after the caller's fields") {
  request req;
  req.method = "POST";
  req.target = "/v1.43/containers/create?name=web";
  req.headers.add("Content-Type", "application/json");
  req.body = R"({"Image":"alpine"})";
  CHECK(head_of(req) ==
        "POST /v1.43/containers/create?name=web HTTP/1.1\r\n"
        "Host: docker\r\n"
        "Content-Type: application/json\r\n"
        "Content-Length: 18\r\n"
        "\r\n");
}

TEST_CASE("POST, PUT and PATCH send Content-Length: 0 without a body") {
  for (auto m : {"POST", "PUT", "PATCH"}) {
    request req;
    req.method = m;
    req.target = "/v1.43/containers/abc/start";
    CHECK(head_of(req) == std::string(m) + " /v1.43/containers/abc/start HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n");
  }
  request del;
  del.method = "DELETE";
  del.target = "/v1.43/containers/abc";
  CHECK(head_of(del) == "DELETE /v1.43/containers/abc HTTP/1.1\r\nHost: docker\r\n\r\n");
  // A body on any method is framed.
  del.body = "x";
  CHECK(head_of(del) == "DELETE /v1.43/containers/abc HTTP/1.1\r\nHost: docker\r\nContent-Length: 1\r\n\r\n");
}

TEST_CASE("chunked_body: Transfer-Encoding: chunked, the body string is ignored") {
  request req;
  req.method = "POST";
  req.target = "/v1.43/build";
  req.chunked_body = true;
  req.body = "ignored";
  req.headers.add("Content-Length", "7");
  req.headers.add("Content-Type", "application/x-tar");
  CHECK(head_of(req) ==
        "POST /v1.43/build HTTP/1.1\r\n"
        "Host: docker\r\n"
        "Content-Type: application/x-tar\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n");
}

TEST_CASE("the caller's Host wins, the caller's Content-Length is replaced") {
  request req;
  req.method = "PUT";
  req.target = "/v1.43/containers/abc/archive?path=%2Ftmp";
  req.headers.add("X-Registry-Auth", "e30=");
  req.headers.add("host", "custom.example:2375");
  req.headers.add("content-length", "999");
  req.headers.add("Transfer-Encoding", "chunked");
  req.body = "tarball";
  CHECK(head_of(req) ==
        "PUT /v1.43/containers/abc/archive?path=%2Ftmp HTTP/1.1\r\n"
        "Host: custom.example:2375\r\n"
        "X-Registry-Auth: e30=\r\n"
        "Content-Length: 7\r\n"
        "\r\n");
  // A caller Content-Length on a GET still ends up as the real length.
  request get;
  get.headers.add("Content-Length", "12");
  CHECK(head_of(get) == "GET / HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n");
}

TEST_CASE("duplicate caller fields other than the framing ones are kept in order") {
  request req;
  req.headers.add("X-A", "1");
  req.headers.add("X-B", "2");
  req.headers.add("X-A", "3");
  CHECK(head_of(req, "") == "GET / HTTP/1.1\r\nHost: \r\nX-A: 1\r\nX-B: 2\r\nX-A: 3\r\n\r\n");
}

TEST_CASE("bytes that would break the framing are refused") {
  SUBCASE("method") {
    for (auto m : {""sv, "GET "sv, "G ET"sv, "GET\r\n"sv, "GE\0T"sv, "GET\t"sv, "G(T"sv}) {
      request req;
      req.method = std::string(m);
      CHECK(refusal_of(req) == error::bad_request_field);
    }
  }
  SUBCASE("target") {
    for (auto t : {""sv, "/a b"sv, "/a\r\nX: y"sv, "/a\nb"sv, "/a\0b"sv, "/a\tb"sv, "/a\x7f"sv}) {
      request req;
      req.target = std::string(t);
      CHECK(refusal_of(req) == error::bad_request_field);
    }
  }
  SUBCASE("header names") {
    for (auto n : {""sv, "X A"sv, "X:A"sv, "X\r\nY"sv, "X\0"sv, "X(A)"sv, "X\x80"sv}) {
      request req;
      req.headers.add(std::string(n), "v");
      CHECK(refusal_of(req) == error::bad_request_field);
    }
  }
  SUBCASE("header values") {
    for (auto v : {"a\r\nX-Injected: 1"sv, "a\rb"sv, "a\nb"sv, "a\0b"sv}) {
      request req;
      req.headers.add("X-A", std::string(v));
      CHECK(refusal_of(req) == error::bad_request_field);
    }
  }
  SUBCASE("host") {
    request req;
    CHECK(refusal_of(req, "docker\r\nX: y") == error::bad_request_field);
    CHECK(refusal_of(req, "dock\0er"sv) == error::bad_request_field);
  }
  SUBCASE("allowed: tabs, quotes, non-ASCII bytes in values") {
    request req;
    req.headers.add("X-Json", "{\"a\":\t\"\xc3\xa9\"}");
    CHECK(head_of(req) == "GET / HTTP/1.1\r\nHost: docker\r\nX-Json: {\"a\":\t\"\xc3\xa9\"}\r\n\r\n");
  }
  SUBCASE("ec is cleared on success after a failure") {
    request req;
    std::string out;
    std::error_code ec = error::bad_request_field;
    serialize_head(req, "h", out, ec);
    CHECK(!ec);
  }
}

TEST_CASE("url_encode keeps only the unreserved set") {
  CHECK(url_encode("") == "");
  CHECK(url_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(url_encode("a b") == "a%20b");
  CHECK(url_encode("/tmp/my file") == "%2Ftmp%2Fmy%20file");
  CHECK(url_encode(R"({"label":["a=b"]})") == "%7B%22label%22%3A%5B%22a%3Db%22%5D%7D");
  CHECK(url_encode("?&=+%#") == "%3F%26%3D%2B%25%23");
  CHECK(url_encode("\xc3\xa9") == "%C3%A9");
  CHECK(url_encode("\0\x7f\xff"sv) == "%00%7F%FF");
}

TEST_CASE("is_idempotent") {
  for (auto m : {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"}) CHECK(is_idempotent(m));
  for (auto m : {"POST", "PATCH", "CONNECT", "get", "", "GETX"}) CHECK_FALSE(is_idempotent(m));
}

TEST_CASE("chunk framing") {
  CHECK(chunk_header(1) == "1\r\n");
  CHECK(chunk_header(10) == "a\r\n");
  CHECK(chunk_header(0x1000) == "1000\r\n");
  CHECK(chunk_header(0xdeadbeef) == "deadbeef\r\n");
  CHECK(chunk_header(~std::uint64_t{0}) == "ffffffffffffffff\r\n");
  CHECK(chunk_crlf == "\r\n");
  CHECK(last_chunk == "0\r\n\r\n");
}
