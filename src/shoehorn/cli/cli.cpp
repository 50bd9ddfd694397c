#include "shoehorn/cli/cli.hpp"

#include <CLI/CLI.hpp>

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
  add_bench(app, io);
#ifdef SHOEHORN_HAVE_SENTENCEPIECE
  add_tokenizer(app, io);
#endif
  add_eval(app, io);
#ifdef SHOEHORN_HAVE_TORCH
  add_train(app, io);
#endif
  add_ngram(app, io);
  add_nes(app, io);
  add_bake(app, io);
  add_plan(app, io);
  add_pack(app, io);
  return run_app(app, argc, argv, io);
}

int main(const std::vector<std::string>& args, Io io) {
  const std::vector<const char*> argv = argv_pointers(args);
  return main(static_cast<int>(argv.size()), argv.data(), io);
}

}  // namespace shoehorn::cli
