// The in-process CLI runner (a library of its own: the trainer's tests must not link the CLI).
#include "shoehorn/cli/cli.hpp"
#include "test_util.hpp"

#include <gtest/gtest.h>

namespace shoehorn::test {

CliResult run_cli(const std::vector<std::string>& args, const std::string& in) {
  std::vector<std::string> argv = {"shoehorn"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_main(&cli::main, argv, in);
}

std::string stories260k_gguf(const std::string& quant) {
  const std::string path = scratch_path("stories260K-" + quant + ".gguf");
  const CliResult r = run_cli({"convert", shared_path("models/stories260K.bin"), path, "--quant",
                               quant, "-z", shared_path("models/tok512.bin")});
  EXPECT_EQ(r.status, 0) << r.err;
  return path;
}

}  // namespace shoehorn::test
