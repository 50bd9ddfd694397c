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

// Parses argv into app and runs the chosen callback: 0 on success, 1 with one line on io.err for
// an Error, 2 for bad usage, or the status a callback threw as ExitStatus.
int run_app(CLI::App& app, int argc, const char* const* argv, Io io);
std::vector<const char*> argv_pointers(const std::vector<std::string>& args);

// Thrown by a subcommand that ran another program: run_app returns that program's status.
struct ExitStatus {
  int status;
};

// The trainer executable, shoehorn-train (LibTorch's bundled protobuf and libsentencepiece's
// cannot share one process, so the trainer never links libsentencepiece).
int train_main(int argc, const char* const* argv, Io io);
int train_main(const std::vector<std::string>& args, Io io);

// Each subcommand registers itself; its callback runs the action and may throw Error.
void add_run(CLI::App& app, Io io);
void add_tokenize(CLI::App& app, Io io);
void add_inspect(CLI::App& app, Io io);
void add_init(CLI::App& app, Io io);
void add_convert(CLI::App& app, Io io);
void add_bench(CLI::App& app, Io io);
void add_tokenizer(CLI::App& app, Io io);  // only where libsentencepiece was found
void add_eval(CLI::App& app, Io io);
void add_train(CLI::App& app, Io io);      // runs shoehorn-train, where LibTorch was found
void add_ngram(CLI::App& app, Io io);
void add_nes(CLI::App& app, Io io);
void add_bake(CLI::App& app, Io io);
void add_plan(CLI::App& app, Io io);
void add_pack(CLI::App& app, Io io);

}  // namespace shoehorn::cli
