// The NES cartridge: an iNES ROM (UNROM, mapper 2) with the model's tables in PRG banks from
// bank 0, and the 6502 runtime (ngram.s, nes.s) in the fixed last bank, assembled and linked
// by cc65's ca65 and ld65.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "shoehorn/ngram/model.hpp"

namespace shoehorn::nes {

inline constexpr std::uint32_t kMaxPrgBytes = 256 * 1024;  // UNROM's 16 banks
inline constexpr std::uint32_t kRamBytes = 2048;
inline constexpr std::uint32_t kStackBytes = 256;          // page 1, all of it reserved

struct RomOptions {
  std::uint32_t seed = 1;  // of the first story; each button press adds 1
};

struct RomReport {
  std::uint32_t prg_bytes = 0;
  std::uint32_t table_bytes = 0;
  std::uint32_t runtime_bytes = 0;  // code and data after the tables in the fixed bank
  std::uint32_t zeropage_bytes = 0;
  std::uint32_t bss_bytes = 0;
  std::string map;                  // ld65's map file
  std::uint32_t ram_bytes() const { return zeropage_bytes + kStackBytes + bss_bytes; }
};

// Throws Error when the model cannot be a cartridge (more PRG than UNROM holds) or when ca65
// or ld65 fail or are missing.
std::vector<std::byte> build_rom(const ngram::Model& model, const RomOptions& options, RomReport* report);

// Segment name -> size in bytes, from the "Segment list" of an ld65 map file.
std::map<std::string, std::uint32_t> segment_sizes(const std::string& map);

}  // namespace shoehorn::nes
