// API coverage as a number: the operationIds berth implements (engine/operations.hpp)
// against those of the specs. Prints "v1.41: N/M operations implemented" and the same for
// v1.56, with the missing ids; fails when any v1.41 operation is missing (the daemon
// berth targets), only reports v1.56 ones, and fails on an id no spec has (a typo).
//
// Usage: test_engine_coverage <spec dir>: the folder holding v1.41.yaml and v1.56.yaml
// (engine/spec/, committed). An unreadable spec fails the test.
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "berth/engine/operations.hpp"

namespace {

/// The operationIds of a swagger file, by scanning for `operationId: X` lines (no YAML
/// library); false when the file cannot be read.
bool read_operation_ids(const std::string& path, std::vector<std::string>& ids) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  constexpr std::string_view key = "operationId:";
  while (std::getline(in, line)) {
    auto pos = line.find(key);
    if (pos == std::string::npos) continue;
    if (line.find_first_not_of(" \t") != pos) continue;  // the key must start the line
    std::string v = line.substr(pos + key.size());
    auto b = v.find_first_not_of(" \t\"'");
    auto e = v.find_last_not_of(" \t\r\"'");
    if (b == std::string::npos) continue;
    ids.push_back(v.substr(b, e - b + 1));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <spec dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::set<std::string, std::less<>> implemented;
  for (auto id : berth::engine::implemented_operation_ids()) implemented.emplace(id);
  std::printf("berth implements %zu operationIds\n", implemented.size());

  int rc = 0;
  for (const char* version : {"v1.41", "v1.56"}) {
    std::vector<std::string> ids;
    const std::string path = dir + "/" + version + ".yaml";
    if (!read_operation_ids(path, ids) || ids.empty()) {
      std::fprintf(stderr, "%s: cannot read the operationIds of %s\n", version, path.c_str());
      return 1;
    }
    std::set<std::string> spec(ids.begin(), ids.end());
    std::vector<std::string> missing;
    for (const auto& id : spec)
      if (!implemented.count(id)) missing.push_back(id);
    std::printf("%s: %zu/%zu operations implemented\n", version, spec.size() - missing.size(),
                spec.size());
    for (const auto& id : missing) std::printf("  missing in %s: %s\n", version, id.c_str());
    if (std::string_view(version) == "v1.41" && !missing.empty()) rc = 1;
    // Ids berth has that the newest spec does not: a typo in an op's operation_id.
    if (std::string_view(version) == "v1.56")
      for (const auto& id : implemented)
        if (!spec.count(id)) {
          std::printf("  not an operationId of %s: %s\n", version, id.c_str());
          rc = 1;
        }
  }
  return rc;
}
