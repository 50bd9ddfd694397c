// shoehorn-train: the command line of the trainer executable (see cli.hpp's train_main).
#include <CLI/CLI.hpp>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/train/trainer.hpp"

namespace shoehorn::cli {

int train_main(int argc, const char* const* argv, Io io) {
  CLI::App app{"A Llama-style model from a config file (docs/TRAINING.md), trained with LibTorch "
               "and exported as a llama2.c checkpoint",
               "shoehorn train"};
  std::string config;
  TrainOptions options;
  app.add_option("config", config, "Config file: model, data and optimization")->required();
  app.add_option("-o,--output", options.out_dir,
                 "Directory for tokens, checkpoint, model.gguf, model.bin, tokenizer.bin and loss.png")
      ->required();
  app.add_flag("--resume", options.resume,
               "Continue from the directory's checkpoint.bin (same settings)");
  app.add_option("--stop-after", options.stop_after,
                 "Stop with a checkpoint once this many steps are done")
      ->check(CLI::PositiveNumber);
  app.callback([&] { (void)train(read_train_config(config), options, io.err); });
  return run_app(app, argc, argv, io);
}

int train_main(const std::vector<std::string>& args, Io io) {
  const std::vector<const char*> argv = argv_pointers(args);
  return train_main(static_cast<int>(argv.size()), argv.data(), io);
}

}  // namespace shoehorn::cli
