#include "berth/kata/error.hpp"

#include <string>

namespace berth::kata {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.kata"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::runtime_unavailable: return "runtime not available on this engine";
      case errc::unsupported_setting: return "container setting not supported by the runtime";
      case errc::unsupported_runtime_option:
        return "runtime option cannot be applied through this engine";
      case errc::invalid_runtime: return "invalid runtime choice";
    }
    return "unknown berth.kata error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl cat;
  return cat;
}

}  // namespace berth::kata
