// Fuzz target for the chunked body decoding of berth::http::response_parser.
//
// Input: [split][flags] chunked body...
// The body follows a fixed head, "HTTP/1.1 200 OK" with "Transfer-Encoding: chunked";
// split and flags mean what they mean in http_response_parser.cpp (the cut falls inside
// the body). The body is parsed twice, whole and split; the target aborts only on a
// broken invariant or when the two runs disagree.
#include "http_parse_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr std::string_view head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  std::string msg(head);
  msg.append(reinterpret_cast<const char*>(data) + 2, size - 2);
  config cfg = make_config(data[1]);
  cfg.skip_body = false;  // the body is the point here
  // Small limits must still admit the fixed head.
  cfg.limits.header_bytes = std::max(cfg.limits.header_bytes, head.size());
  cfg.limits.line_bytes = std::max<std::size_t>(cfg.limits.line_bytes, 40);
  cfg.limits.header_count = std::max<std::size_t>(cfg.limits.header_count, 2);
  const std::size_t split = head.size() + (size - 2) * data[0] / 255;

  const outcome whole = run(msg, msg.size(), cfg);
  const outcome cut = run(msg, split, cfg);

  FUZZ_CHECK(whole.head_done && whole.kind == body_kind::chunked);
  FUZZ_CHECK(whole.ec == cut.ec);
  FUZZ_CHECK(whole.done == cut.done);
  if (!whole.ec) {
    FUZZ_CHECK(whole.keep_alive == cut.keep_alive);
    FUZZ_CHECK(whole.body == cut.body);
    FUZZ_CHECK(whole.consumed == cut.consumed);
  }
  return 0;
}
