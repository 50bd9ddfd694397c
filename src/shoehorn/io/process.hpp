// Running a tool (the cc65 assembler and linker, node) and collecting what it printed.
#pragma once

#include <string>
#include <vector>

namespace shoehorn {

struct ProcessResult {
  int status = -1;  // exit status; -1 when it did not exit normally
  std::string out;
  std::string err;
};

// Runs argv[0] (searched in PATH) with argv, standard input empty. Throws Error when the
// program cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv);

// A fresh directory under the system's temporary directory, removed when this goes.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace shoehorn
