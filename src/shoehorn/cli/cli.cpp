#include "shoehorn/cli/cli.hpp"

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <new>

#include "shoehorn/io/error.hpp"

namespace shoehorn::cli {

int main(int argc, const char* const* argv, Io io) {
  CLI::App app{"shoehorn: fit small Llama-style language models where they should not fit"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  add_run(app, io);
  add_tokenize(app, io);
  add_inspect(app, io);
  add_init(app, io);
  add_convert(app, io);
  add_bake(app, io);
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
  }
  return 0;
}

int main(const std::vector<std::string>& args, Io io) {
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const std::string& a : args) argv.push_back(a.c_str());
  return main(static_cast<int>(argv.size()), argv.data(), io);
}

}  // namespace shoehorn::cli
