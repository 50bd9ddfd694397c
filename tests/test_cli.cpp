// The in-process CLI runner (a library of its own: the trainer's tests must not link the CLI).
#include "shoehorn/cli/cli.hpp"
#include "test_util.hpp"

namespace shoehorn::test {

CliResult run_cli(const std::vector<std::string>& args, const std::string& in) {
  std::vector<std::string> argv = {"shoehorn"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_main(&cli::main, argv, in);
}

}  // namespace shoehorn::test
