// The shoehorn command line: flag parsing only; every action is a library call.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace shoehorn::cli {

struct Io {
  std::istream& in;
  std::ostream& out;  // generated text and requested output only
  std::ostream& err;  // stats and errors
};

// Exit status: 0 success, 1 bad input or failure (one line on err), 2 bad usage.
int main(int argc, const char* const* argv, Io io);
int main(const std::vector<std::string>& args, Io io);  // args[0] is the program name

// Each subcommand registers itself; its callback runs the action and may throw Error.
void add_run(CLI::App& app, Io io);
void add_tokenize(CLI::App& app, Io io);
void add_inspect(CLI::App& app, Io io);
void add_init(CLI::App& app, Io io);
void add_convert(CLI::App& app, Io io);
void add_bake(CLI::App& app, Io io);

}  // namespace shoehorn::cli
