// Running a parsed command line: the exit-status contract shared by shoehorn and shoehorn-train.
#include <CLI/CLI.hpp>
#include <new>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/io/error.hpp"

namespace shoehorn::cli {

int run_app(CLI::App& app, int argc, const char* const* argv, Io io) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    io.out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    io.out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    io.err << "shoehorn: usage error: " << one_line(e.what()) << " (see shoehorn --help)\n";
    return 2;
  } catch (const Error& e) {
    io.out.flush();
    io.err << "shoehorn: error: " << e.what() << '\n';
    return 1;
  } catch (const std::bad_alloc&) {
    io.err << "shoehorn: error: out of memory\n";
    return 1;
  } catch (const ExitStatus& e) {
    return e.status;
  }
  return 0;
}

std::vector<const char*> argv_pointers(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const std::string& a : args) argv.push_back(a.c_str());
  return argv;
}

}  // namespace shoehorn::cli
