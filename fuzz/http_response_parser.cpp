// Fuzz target for berth::http::response_parser.
//
// Input: [split][flags] message...
//   split  where the message is cut in two put() rounds (split * size / 255); the caller
//          keeps unconsumed bytes and re-feeds them with the rest appended, as a socket
//          reader does.
//   flags  bit 0: skip_body (a HEAD response); bit 1: read payload through
//          body_direct()/consume_body(); bits 2..7: 0 for default limits, else a scale
//          for small limits so that every limit can be hit.
// The message is parsed twice, whole and split. Besides memory errors, the target aborts
// only on a broken invariant: a consumed count or a body view outside the input, a body
// larger than its Content-Length, no progress without need_more, or a split run whose
// outcome differs from the whole run.
#include "http_parse_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::string_view msg(reinterpret_cast<const char*>(data) + 2, size - 2);
  const config cfg = make_config(data[1]);
  const std::size_t split = msg.size() * data[0] / 255;

  const outcome whole = run(msg, msg.size(), cfg);
  const outcome cut = run(msg, split, cfg);

  // How the input was cut must not change what was parsed.
  FUZZ_CHECK(whole.ec == cut.ec);
  FUZZ_CHECK(whole.head_done == cut.head_done);
  FUZZ_CHECK(whole.done == cut.done);
  if (whole.head_done) {
    FUZZ_CHECK(whole.status == cut.status);
    FUZZ_CHECK(whole.kind == cut.kind);
  }
  if (!whole.ec) {
    FUZZ_CHECK(whole.upgraded == cut.upgraded);
    FUZZ_CHECK(whole.keep_alive == cut.keep_alive);
    FUZZ_CHECK(whole.body == cut.body);
    FUZZ_CHECK(whole.consumed == cut.consumed);
  }
  return 0;
}
