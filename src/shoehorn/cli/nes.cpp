// shoehorn nes build|emulate: an n-gram model as a NES cartridge, and that cartridge run in a
// real NES emulator (jsnes, under Node).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <span>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/process.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/ngram/model_file.hpp"
#include "shoehorn/targets/nes/rom.hpp"

#ifndef SHOEHORN_NES_TOOLS_DIR
#define SHOEHORN_NES_TOOLS_DIR "tools/nes"
#endif

namespace shoehorn::cli {

namespace {

struct RomFlags {
  std::string model;
  std::string output;
  std::uint32_t seed = 1;
  std::optional<std::string> map;
};

struct EmulateFlags {
  std::string rom;
  std::optional<std::uint32_t> seed;
  int steps = 256;
  int stories = 1;
  std::optional<std::string> screenshot;
  std::optional<std::string> screen;
  std::optional<std::string> stats;
};

void write_rom(const RomFlags& f, Io io) {
  const ngram::Model model = ngram::read_model(FileSource(f.model));
  nes::RomReport r;
  const std::vector<std::byte> rom = nes::build_rom(model, {f.seed}, &r);
  write_file(f.output, rom);
  if (f.map) write_file(*f.map, std::as_bytes(std::span(r.map)));
  io.out << "PRG ROM: " << r.prg_bytes << " bytes (" << r.prg_bytes / ngram::kBankBytes << " banks): "
         << r.table_bytes << " of tables, " << r.runtime_bytes << " of runtime\n"
         << "RAM: " << r.ram_bytes() << " of " << nes::kRamBytes << " bytes (zero page " << r.zeropage_bytes
         << ", stack " << nes::kStackBytes << ", BSS " << r.bss_bytes << ")\n";
}

// The harness beside the sources (tools/nes), or where SHOEHORN_NES_TOOLS says.
std::string tools_dir() {
  const char* env = std::getenv("SHOEHORN_NES_TOOLS");
  const std::string dir = env != nullptr ? env : SHOEHORN_NES_TOOLS_DIR;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir + "/node_modules/jsnes", ec)) {
    throw Error(dir + ": jsnes is not installed (run npm ci there)");
  }
  return dir;
}

void emulate(const EmulateFlags& f, Io io) {
  std::vector<std::string> argv = {"node", tools_dir() + "/emulate.mjs", f.rom, "-n", std::to_string(f.steps),
                                   "--stories", std::to_string(f.stories)};
  if (f.seed) argv.insert(argv.end(), {"--seed", std::to_string(*f.seed)});
  if (f.screenshot) argv.insert(argv.end(), {"--screenshot", *f.screenshot});
  if (f.screen) argv.insert(argv.end(), {"--screen", *f.screen});
  if (f.stats) argv.insert(argv.end(), {"--stats", *f.stats});
  const ProcessResult r = run_process(argv);
  io.out << r.out;
  std::string message = r.err;
  while (!message.empty() && message.back() == '\n') message.pop_back();
  if (r.status != 0) throw Error(f.rom + ": emulation failed: " + message);
  io.err << r.err;
}

}  // namespace

void add_nes(CLI::App& app, Io io) {
  CLI::App* nes = app.add_subcommand("nes", "The n-gram model as a NES cartridge");
  nes->require_subcommand(1);

  auto b = std::make_shared<RomFlags>();
  CLI::App* cmd = nes->add_subcommand("build", "Assemble an iNES ROM (UNROM) with ca65 and ld65");
  cmd->add_option("model", b->model, "n-gram model file")->required();
  cmd->add_option("-o", b->output, "ROM to write (.nes)")->required();
  cmd->add_option("-s,--seed", b->seed, "Seed of the first story (default 1); A or Start adds 1");
  cmd->add_option("--map", b->map, "Also write ld65's map file here");
  cmd->callback([b, io] { write_rom(*b, io); });

  auto e = std::make_shared<EmulateFlags>();
  cmd = nes->add_subcommand("emulate", "Run a ROM headless in jsnes and print the text it wrote");
  cmd->add_option("rom", e->rom, "ROM file")->required();
  cmd->add_option("-s,--seed", e->seed, "Seed of the first story (default: the ROM's)");
  cmd->add_option("-n", e->steps, "Bytes per story (default 256)")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--stories", e->stories, "Stories, pressing Start between them (default 1)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--screenshot", e->screenshot, "Write the last frame as a PNG");
  cmd->add_option("--screen", e->screen, "Write the visible name table rows as text");
  cmd->add_option("--stats", e->stats, "Write cycle counts as JSON");
  cmd->callback([e, io] { emulate(*e, io); });
}

}  // namespace shoehorn::cli
