// io::sha256 against the FIPS 180-4 examples and split feeding.
#include <doctest/doctest.h>

#include <string>

#include "berth/config/context.hpp"
#include "berth/io/sha256.hpp"

using berth::io::sha256;
using berth::io::sha256_hex;

TEST_CASE("sha256: the standard's examples") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string million(1'000'000, 'a');
  CHECK(sha256_hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: fed in pieces of every size gives the same digest") {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += static_cast<char>(i * 7 + 3);
  const std::string whole = sha256_hex(data);
  for (std::size_t step : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 127u, 999u}) {
    sha256 h;
    for (std::size_t at = 0; at < data.size(); at += step) h.update(std::string_view(data).substr(at, step));
    CHECK_MESSAGE(h.hex() == whole, "step " << step);
  }
  sha256 h;
  h.update("abc");
  (void)h.digest();
  h.reset();
  h.update("abc");
  CHECK(h.hex() == sha256_hex("abc"));
}

TEST_CASE("config: a context's folder is the SHA-256 of its name, with or without OpenSSL") {
  // docker context inspect's "Storage" paths: contexts/meta/<sha256(name)>.
  CHECK(berth::config::context_dir_name("default") ==
        "37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f");
}
