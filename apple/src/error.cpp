// The categories of the apple layer and the mapping of the daemon's in-band errors.
#include "berth/apple/error.hpp"

#include <string>

#include "json_detail.hpp"

namespace berth::apple {
namespace {

struct code_name {
  errc e;
  std::string_view code;
};
// ContainerizationError.Code (APPLE.md §1.2 "Errors").
constexpr code_name code_names[] = {
    {errc::cancelled, "cancelled"},       {errc::unknown, "unknown"},
    {errc::invalid_argument, "invalidArgument"}, {errc::timeout, "timeout"},
    {errc::not_found, "notFound"},        {errc::exists, "exists"},
    {errc::unsupported, "unsupported"},   {errc::internal_error, "internalError"},
    {errc::invalid_state, "invalidState"}, {errc::interrupted, "interrupted"},
    {errc::empty, "empty"},
};

class apple_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.apple"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::cancelled: return "the daemon cancelled the operation";
      case errc::unknown: return "the daemon failed (unknown error)";
      case errc::invalid_argument: return "the daemon rejected an argument";
      case errc::timeout: return "the daemon timed out";
      case errc::not_found: return "not found";
      case errc::exists: return "already exists";
      case errc::unsupported: return "not supported by the daemon";
      case errc::internal_error: return "internal error of the daemon";
      case errc::invalid_state: return "invalid state for this operation";
      case errc::interrupted: return "interrupted";
      case errc::empty: return "empty";
    }
    return "unknown berth.apple error";
  }
  std::error_condition default_error_condition(int ev) const noexcept override {
    switch (static_cast<errc>(ev)) {
      case errc::timeout: return std::errc::timed_out;
      case errc::cancelled: return std::errc::operation_canceled;
      default: return {ev, *this};
    }
  }
};

class xpc_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.apple.xpc"; }
  std::string message(int ev) const override {
    switch (static_cast<xpc_errc>(ev)) {
      case xpc_errc::connection_invalid:
        return "XPC connection invalid (is `container system start` running in this session?)";
      case xpc_errc::connection_interrupted: return "XPC connection interrupted";
      case xpc_errc::no_reply: return "no reply: the service does not know this route";
      case xpc_errc::bad_reply: return "malformed reply";
      case xpc_errc::unsupported_version: return "unsupported apiserver version";
    }
    return "unknown berth.apple.xpc error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const apple_category_impl cat;
  return cat;
}

const std::error_category& xpc_category() noexcept {
  static const xpc_category_impl cat;
  return cat;
}

errc errc_from_code(std::string_view code) noexcept {
  for (const auto& c : code_names)
    if (c.code == code) return c.e;
  return errc::unknown;
}

std::string_view code_string(errc e) noexcept {
  for (const auto& c : code_names)
    if (c.e == e) return c.code;
  return {};
}

bool is_not_found(const std::error_code& ec) noexcept { return ec == errc::not_found; }
bool is_exists(const std::error_code& ec) noexcept { return ec == errc::exists; }
bool is_unsupported(const std::error_code& ec) noexcept {
  return ec == errc::unsupported || ec == xpc_errc::no_reply || ec == xpc_errc::unsupported_version ||
         ec == berth::errc::unsupported;
}
bool is_unavailable(const std::error_code& ec) noexcept {
  return ec == xpc_errc::connection_invalid || ec == xpc_errc::connection_interrupted;
}

std::error_code map_inband_error(std::string_view json, berth::diagnostics* diag) noexcept {
  try {
    if (diag) diag->clear();
    rapidjson::Document doc;
    if (json_detail::parse_document(json, doc) && doc.IsObject()) {
      auto code = doc.FindMember("code");
      if (code != doc.MemberEnd() && code->value.IsString()) {
        const std::string_view c(code->value.GetString(), code->value.GetStringLength());
        std::string_view m;
        auto msg = doc.FindMember("message");
        if (msg != doc.MemberEnd() && msg->value.IsString())
          m = std::string_view(msg->value.GetString(), msg->value.GetStringLength());
        const errc e = errc_from_code(c);
        if (diag) {
          if (e == errc::unknown && c != "unknown") diag->set_message(std::string(c) + ": " + std::string(m));
          else diag->set_message(m);
        }
        return e;
      }
    }
    if (diag) diag->set_message(json);
  } catch (...) {
    // Out of memory while copying the message: the code alone.
  }
  return errc::unknown;
}

}  // namespace berth::apple
