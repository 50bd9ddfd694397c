// The cartridge: assembled by ca65/ld65 from a model, checked from its bytes and ld65's map,
// and run in a real NES emulator (jsnes under Node), whose text must equal the reference
// runtime's for every seed, across button presses, and whose screen must show that text.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/ngram/build.hpp"
#include "shoehorn/ngram/model_file.hpp"
#include "shoehorn/ngram/runtime.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

constexpr std::size_t kHeader = 16;
constexpr std::size_t kBank = 16384;

std::string tiny_path() { return data_path("ngram/tiny16k.bin"); }

ngram::Model load(const std::string& path) { return ngram::read_model(FileSource(path)); }

// Builds a ROM through the CLI; returns its path (the map beside it, as .map).
std::string build_rom(const std::string& model, const std::string& name, const std::string& seed = "1") {
  const std::string rom = scratch_path(name + ".nes");
  const CliResult r = run_cli({"nes", "build", model, "-o", rom, "--map", scratch_path(name + ".map"), "-s", seed});
  EXPECT_EQ(r.status, 0) << r.err;
  return rom;
}

// What `shoehorn ngram run` prints for `stories` consecutive seeds, one after another.
std::string reference(const ngram::Model& model, std::uint32_t seed, int stories, int bytes) {
  std::string text;
  for (int i = 0; i < stories; ++i) text += ngram::generate(model, seed + static_cast<std::uint32_t>(i), "", bytes);
  return text;
}

CliResult emulate(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"nes", "emulate"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_cli(argv);
}

// ZEROPAGE and BSS sizes from the "Segment list" of ld65's map, read here independently of the
// ROM builder's own reading.
std::uint32_t ram_from_map(const std::string& map) {
  std::uint32_t zeropage = 0, bss = 0;
  const std::regex row(R"(^(ZEROPAGE|BSS)\s+[0-9A-F]+\s+[0-9A-F]+\s+([0-9A-F]+)\s)");
  std::istringstream in(map);
  std::string line;
  int found = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    (m[1] == "ZEROPAGE" ? zeropage : bss) = static_cast<std::uint32_t>(std::stoul(m[2], nullptr, 16));
    ++found;
  }
  EXPECT_EQ(found, 2) << map;
  return zeropage + 256 + bss;  // the stack: all of page 1
}

// The text as the screen shows it: control bytes and UTF-8 lead bytes as the box (0x7F),
// continuation bytes not at all, runs of spaces and line ends as one space.
std::string as_shown(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto b = static_cast<std::uint8_t>(c);
    if (b == ' ' || b == '\n') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (b >= 0x80 && b < 0xC0) {
    } else {
      out += (b < 0x20 || b >= 0x80) ? '\x7f' : c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

TEST(NesRom, HeaderTablesAndInfoBlock) {
  const std::string rom_path = build_rom(tiny_path(), "tiny", "4242");
  const std::vector<std::byte> rom = read_bytes(rom_path);
  ASSERT_EQ(rom.size(), kHeader + 2 * kBank);
  auto byte = [&](std::size_t i) { return std::to_integer<int>(rom[i]); };
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(rom.data()), 4), "NES\x1a");
  EXPECT_EQ(byte(4), 2);     // 16 KiB PRG banks
  EXPECT_EQ(byte(5), 0);     // CHR RAM
  EXPECT_EQ(byte(6), 0x21);  // mapper 2 (UNROM), vertical mirroring
  EXPECT_EQ(byte(7), 0);
  // The model's image is PRG from bank 0 on, byte for byte.
  const ngram::Model model = load(tiny_path());
  EXPECT_TRUE(std::equal(model.image.begin(), model.image.end(), rom.begin() + kHeader));
  // The info block at $FFE0 of the fixed bank: magic, then the seed.
  const std::size_t info = kHeader + kBank + 0x3FE0;
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(rom.data() + info), 8), "SHOEHORN");
  EXPECT_EQ(load_u32(rom.data() + info + 8, ByteOrder::little), 4242u);
  // The reset vector points into the fixed bank.
  EXPECT_GE(load_u16(rom.data() + kHeader + 2 * kBank - 4, ByteOrder::little), 0xC000);
}

TEST(NesRom, RamFitsTwoKilobytes) {
  build_rom(tiny_path(), "tiny-ram");
  const std::uint32_t ram = ram_from_map(read_text(scratch_path("tiny-ram.map")));
  EXPECT_LE(ram, 2048u);
  EXPECT_GE(ram, 256u + 32);  // at least the stack and the exclusion bitmap
  const CliResult r = run_cli({"nes", "build", tiny_path(), "-o", scratch_path("tiny-ram2.nes")});
  EXPECT_NE(r.out.find("RAM: " + std::to_string(ram) + " of 2048 bytes"), std::string::npos) << r.out;
}

TEST(NesRom, ModelsTooBigForUnromAreRefused) {
  ngram::BuildOptions o;
  o.order = 5;  // not pruned: about 380 KB of tables
  const ngram::Model big = ngram::build_model({read_text(shared_path("data/tinystories/train-lowercase-4M.txt"))}, o, nullptr);
  const std::string path = scratch_path("unpruned.bin");
  write_bytes(path, ngram::write_model(big));
  const CliResult r = run_cli({"nes", "build", path, "-o", scratch_path("unpruned.nes")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("more than UNROM's 256 KiB (build it with --rom-budget 256K)"), std::string::npos) << r.err;
}

TEST(NesEmulator, TextEqualsTheReferenceForEverySeed) {
  const ngram::Model model = load(tiny_path());
  const std::string rom = build_rom(tiny_path(), "tiny-emu");
  // The ROM's own seed, then seeds given on the command line, several stories each.
  CliResult r = emulate({rom, "-n", "120"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, reference(model, 1, 1, 120));
  for (const std::uint32_t seed : {0u, 2u, 977u, 4294967294u}) {
    r = emulate({rom, "--seed", std::to_string(seed), "-n", "150", "--stories", "3"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, reference(model, seed, 3, 150)) << "seed " << seed;
  }
}

// The issue's cartridge: the 4 MB lowercase corpus, order 7, pruned to 256 KiB of PRG. One
// test, so that the model is built once.
TEST(Nes256K, FitsAndWritesTheReferenceTextOnScreen) {
  ngram::BuildOptions o;
  o.order = 7;
  o.rom_budget = 256 * 1024;
  const ngram::Model model =
      ngram::build_model({read_text(shared_path("data/tinystories/train-lowercase-4M.txt"))}, o, nullptr);
  const std::string model_path = scratch_path("stories256k.bin");
  write_bytes(model_path, ngram::write_model(model));
  const std::string rom = build_rom(model_path, "stories256k");
  EXPECT_EQ(read_bytes(rom).size(), kHeader + 256 * 1024);
  EXPECT_LE(model.image.size() + ngram::kRuntimeReserveBytes, 256u * 1024);
  EXPECT_LE(ram_from_map(read_text(scratch_path("stories256k.map"))), 2048u);

  // Twelve seeds, Start pressed between them.
  CliResult r = emulate({rom, "--seed", "100", "-n", "400", "--stories", "12"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, reference(model, 100, 12, 400));

  // A story longer than the 28 rows: the screen has scrolled.
  const std::string png = scratch_path("stories256k-seed1.png"), screen = scratch_path("stories256k-seed1.txt");
  const int bytes = 1500;
  r = emulate({rom, "-n", std::to_string(bytes), "--screenshot", png, "--screen", screen});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string text = ngram::generate(model, 1, "", bytes + 200);
  ASSERT_EQ(r.out, text.substr(0, static_cast<std::size_t>(bytes)));
  // The visible rows, top to bottom, are one piece of the text, ending where the ROM was.
  const std::string shown = as_shown(read_text(screen));
  const std::string all = as_shown(text), written = as_shown(text.substr(0, static_cast<std::size_t>(bytes)));
  const std::size_t at = all.find(shown);
  ASSERT_NE(at, std::string::npos) << shown;
  EXPECT_GT(at, 0u) << "the first line should have scrolled away";
  EXPECT_GE(at + shown.size() + 1, written.size());
  EXPECT_LE(at + shown.size(), written.size() + 60);
  EXPECT_GE(shown.size(), 500u);
  // The screenshot is a 256x240 RGB PNG.
  const std::vector<std::byte> image = read_bytes(png);
  ASSERT_GT(image.size(), 33u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(image.data()) + 1, 3), "PNG");
  EXPECT_EQ(load_u32(image.data() + 16, ByteOrder::big), 256u);
  EXPECT_EQ(load_u32(image.data() + 20, ByteOrder::big), 240u);
}

TEST(NesCli, EmulatorErrors) {
  CliResult r = emulate({data_path("ngram/expected.tsv")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("not an iNES ROM"), std::string::npos) << r.err;
  // A missing ROM, as the emulator reports it (a missing jsnes is status 1 too, with another
  // message: "jsnes is not installed").
  const std::string missing = scratch_path("no-such.nes");
  r = emulate({missing});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "shoehorn: error: " + missing + ": emulation failed: " + missing +
                       ": ENOENT: no such file or directory, open '" + missing + "'\n");
  r = run_cli({"nes", "build", data_path("ngram/expected.tsv"), "-o", scratch_path("x.nes")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("not an n-gram model"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace shoehorn::test
