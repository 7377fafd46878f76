// API coverage as a number: the operationIds berth implements (engine/operations.hpp)
// against those of the specs. Prints "v1.41: N/M operations implemented" and the same for
// v1.56, with the missing ids; fails when any v1.41 operation is missing (the daemon
// berth targets), only reports v1.56 ones.
//
// Usage: test_engine_coverage <spec dir> <list dir>. The spec dir holds v1.41.yaml and
// v1.56.yaml (beside the repository, not shipped); the list dir holds vX.txt, the specs'
// operationIds one per line (tests/engine/operation_ids/, committed: ids are facts). When
// a spec is readable the list must equal it (regenerate the list otherwise); when it is
// not, the committed list is used, so the check runs on any clone.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "berth/engine/operations.hpp"

namespace {

/// The operationIds of a swagger file, by scanning for `operationId: X` lines (no YAML
/// library): nullopt-like empty vector with ok=false when the file cannot be read.
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

bool read_list(const std::string& path, std::vector<std::string>& ids) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) ids.push_back(line);
  return true;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <spec dir> <operation id list dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const std::string list_dir = argv[2];
  std::set<std::string, std::less<>> implemented;
  for (auto id : berth::engine::implemented_operation_ids()) implemented.emplace(id);
  std::printf("berth implements %zu operationIds\n", implemented.size());

  int rc = 0;
  for (const char* version : {"v1.41", "v1.56"}) {
    std::vector<std::string> listed;
    const std::string list_path = list_dir + "/" + version + ".txt";
    if (!read_list(list_path, listed) || listed.empty()) {
      std::fprintf(stderr, "%s: cannot read %s\n", version, list_path.c_str());
      return 1;
    }
    std::vector<std::string> ids;
    const std::string path = dir + "/" + version + ".yaml";
    if (read_operation_ids(path, ids)) {
      if (std::set<std::string>(ids.begin(), ids.end()) !=
          std::set<std::string>(listed.begin(), listed.end())) {
        std::fprintf(stderr, "%s: %s differs from the operationIds of %s: regenerate it\n",
                     version, list_path.c_str(), path.c_str());
        rc = 1;
      }
      std::printf("%s: operationIds read from %s\n", version, path.c_str());
    } else {
      ids = listed;
      std::printf("%s: %s not found, operationIds from %s\n", version, path.c_str(),
                  list_path.c_str());
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
