#include "shoehorn/ngram/model_file.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <string>

#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/cursor.hpp"
#include "shoehorn/io/error.hpp"

namespace shoehorn::ngram {

namespace {

constexpr char kMagic[4] = {'S', 'H', 'N', 'G'};
constexpr std::uint16_t kVersion = 1;
constexpr std::uint64_t kLevelTableOffset = 32 + 2 * kCodes;
constexpr std::uint64_t kMaxFileBytes = 1ull << 30;

void put(std::vector<std::byte>& out, std::uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xFF));
}

std::string level_name(int k) { return "level " + std::to_string(k); }

// The structure checks, over a model whose header and level table are already in range.
class Validator {
 public:
  Validator(const Model& model, std::string_view file, std::uint64_t image_base)
      : t_(model.tables()), file_(file), base_(image_base) {}

  void run() {
    check_root();
    for (int k = 1; k < t_.order; ++k) check_first_children(k);
    check_children(0, 0);
    for (int k = 1; k < t_.order; ++k) {
      for (std::uint32_t i = 0; i < t_.level(k).count; ++i) check_children(k, i);
    }
    check_suffix_closure();
  }

 private:
  [[noreturn]] void fail_record(int k, std::uint32_t i, const std::string& what) const {
    fail_at(file_, level_name(k) + " node " + std::to_string(i), base_ + t_.record_offset(k, i), what);
  }

  void check_root() const {
    const std::uint32_t n = t_.level(1).count;
    if (n == 0 || n > 256) {
      fail_at(file_, "level 1 count", kLevelTableOffset + 4,
              std::to_string(n) + " symbols (the alphabet needs 1 to 256)");
    }
  }

  void check_first_children(int k) const {
    const std::uint32_t n = t_.level(k).count;
    std::uint32_t previous = 0;
    for (std::uint32_t i = 0; i <= n; ++i) {
      const std::uint32_t first = t_.first_child(k, i);
      if (i == 0 && first != 0) fail_record(k, i, "first child " + std::to_string(first) + ", expected 0");
      if (first < previous) {
        fail_record(k, i, "first child " + std::to_string(first) + " goes back from " +
                              std::to_string(previous));
      }
      previous = first;
    }
    const std::uint32_t next_count = t_.level(k + 1).count;
    if (previous != next_count) {
      fail_record(k, n, "sentinel says level " + std::to_string(k + 1) + " has " +
                            std::to_string(previous) + " nodes, it has " + std::to_string(next_count));
    }
  }

  // Children sorted by symbol, and their probabilities leave room for the escape.
  void check_children(int k, std::uint32_t i) const {
    const ChildRange range = t_.children(k, i);
    std::uint32_t mass = 0;
    for (std::uint32_t c = 0; c < range.count; ++c) {
      const std::uint32_t child = range.start + c;
      if (c > 0 && t_.symbol(k + 1, child) <= t_.symbol(k + 1, child - 1)) {
        fail_record(k + 1, child, "symbols of a context are not strictly increasing");
      }
      mass += t_.q(k + 1, child);
    }
    if (mass > kMaxContextMass) {
      const std::string what = "children's probabilities sum to " + std::to_string(mass) +
                               "/65536, more than " + std::to_string(kMaxContextMass);
      if (k == 0) fail_at(file_, "root context", base_, what);
      fail_record(k, i, what);
    }
  }

  // Whether `symbol` is among the children of node (k, i).
  bool has_child(int k, std::uint32_t i, std::uint8_t symbol, std::uint32_t* found) const {
    const ChildRange range = t_.children(k, i);
    std::uint32_t lo = range.start, hi = range.start + range.count;
    while (lo < hi) {
      const std::uint32_t mid = lo + (hi - lo) / 2;
      if (t_.symbol(k + 1, mid) < symbol) lo = mid + 1;
      else hi = mid;
    }
    if (lo < range.start + range.count && t_.symbol(k + 1, lo) == symbol) {
      *found = lo;
      return true;
    }
    return false;
  }

  // Every context's children are children of its suffix (the context one byte shorter), so
  // the bytes a context excludes when it escapes are all present below it.
  void check_suffix_closure() const {
    constexpr std::uint32_t kRoot = 0xFFFFFFFF;
    std::vector<std::uint32_t> suffix(t_.level(1).count, kRoot);
    for (int k = 1; k < t_.order; ++k) {
      std::vector<std::uint32_t> next_suffix(t_.level(k + 1).count, kRoot);
      for (std::uint32_t i = 0; i < t_.level(k).count; ++i) {
        const int sk = k - 1;
        const std::uint32_t si = suffix[i] == kRoot ? 0 : suffix[i];
        const ChildRange range = t_.children(k, i);
        for (std::uint32_t c = range.start; c < range.start + range.count; ++c) {
          std::uint32_t at = 0;
          if (!has_child(sk, si, t_.symbol(k + 1, c), &at)) {
            fail_record(k + 1, c, "this n-gram's suffix is missing from the shorter context");
          }
          next_suffix[c] = at;
        }
      }
      suffix = std::move(next_suffix);
    }
  }

  const Tables<std::byte> t_;  // of the model being read
  std::string_view file_;
  std::uint64_t base_;
};

}  // namespace

bool is_model_file(const ByteSource& source) {
  std::byte magic[4]{};
  if (source.size() < sizeof magic) return false;
  source.read(0, magic);
  return std::equal(std::begin(magic), std::end(magic), std::as_bytes(std::span(kMagic)).begin());
}

std::uint32_t crc32(std::span<const std::byte> bytes) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const std::byte b : bytes) crc = table[(crc ^ std::to_integer<std::uint32_t>(b)) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::vector<std::byte> write_model(const Model& model) {
  std::vector<std::byte> out;
  for (const char c : kMagic) out.push_back(static_cast<std::byte>(c));
  put(out, kVersion, 2);
  put(out, static_cast<std::uint32_t>(model.order), 1);
  put(out, static_cast<std::uint32_t>(model.start.size()), 1);
  put(out, model.rom_budget, 4);
  put(out, static_cast<std::uint32_t>(model.image.size()), 4);
  for (std::size_t i = 0; i < kMaxStartBytes; ++i) {
    put(out, i < model.start.size() ? static_cast<std::uint8_t>(model.start[i]) : 0, 1);
  }
  for (const std::uint16_t q : model.qvalue) put(out, q, 2);
  for (const Level& level : model.levels) {
    put(out, level.offset, 4);
    put(out, level.count, 4);
    put(out, static_cast<std::uint32_t>(level.wraps.size()), 4);
    for (const std::uint32_t w : level.wraps) put(out, w, 4);
  }
  out.insert(out.end(), model.image.begin(), model.image.end());
  put(out, crc32(out), 4);
  return out;
}

Model read_model(const ByteSource& source, bool check_crc) {
  const std::string& file = source.name();
  const std::vector<std::byte> bytes = read_all(source, kMaxFileBytes);
  if (bytes.size() < kLevelTableOffset + 4) {
    fail_at(file, "header", 0, "file is " + std::to_string(bytes.size()) + " bytes, too short for an n-gram model");
  }
  ByteCursor in(file, std::span(bytes).first(bytes.size() - 4), ByteOrder::little);
  const auto magic = in.bytes(4, "magic");
  if (!std::equal(magic.begin(), magic.end(), std::as_bytes(std::span(kMagic)).begin())) {
    fail_at(file, "magic", 0, "not an n-gram model (expected \"SHNG\")");
  }
  if (check_crc) {
    const std::uint32_t stored = load_u32(bytes.data() + bytes.size() - 4, ByteOrder::little);
    const std::uint32_t actual = crc32(std::span(bytes).first(bytes.size() - 4));
    if (stored != actual) fail_at(file, "crc32", bytes.size() - 4, "checksum mismatch: the file is corrupt");
  }
  if (const std::uint16_t v = in.u16("version"); v != kVersion) {
    fail_at(file, "version", 4, "version " + std::to_string(v) + " (this reader knows 1)");
  }
  Model model;
  model.order = in.u8("order");
  if (model.order < 1 || model.order > kMaxOrder) {
    fail_at(file, "order", 6, std::to_string(model.order) + " is outside 1..8");
  }
  const std::uint8_t start_length = in.u8("start length");
  if (start_length > kMaxStartBytes) {
    fail_at(file, "start length", 7, std::to_string(start_length) + " is more than 16");
  }
  model.rom_budget = in.u32("rom budget");
  const std::uint32_t image_size = in.u32("image size");
  const auto start = in.bytes(kMaxStartBytes, "start");
  for (std::size_t i = 0; i < kMaxStartBytes; ++i) {
    const auto b = std::to_integer<char>(start[i]);
    if (i < start_length) model.start += b;
    else if (b != 0) fail_at(file, "start", 16 + i, "padding after the start bytes is not zero");
  }
  for (std::size_t c = 0; c < kCodes; ++c) {
    const std::uint64_t at = in.offset();
    model.qvalue[c] = in.u16("qvalue");
    if (model.qvalue[c] == 0) fail_at(file, "qvalue " + std::to_string(c), at, "a probability of 0");
  }
  std::uint64_t expected_offset = 0;
  for (int k = 1; k <= model.order; ++k) {
    Level level;
    const std::uint64_t at = in.offset();
    const std::string name = level_name(k);
    level.offset = in.u32(name + " offset");
    level.count = in.u32(name + " count");
    const std::uint32_t wraps = in.u32(name + " wrap count");
    if (level.offset != expected_offset) {
      fail_at(file, name + " offset", at, std::to_string(level.offset) + ", expected " +
                                              std::to_string(expected_offset) + " (levels follow each other)");
    }
    const std::uint64_t records = std::uint64_t{level.count} + (k < model.order ? 1 : 0);
    expected_offset += records * Model::record_size(k, model.order);
    if (expected_offset > image_size) {
      fail_at(file, name + " count", at + 4, std::to_string(level.count) + " nodes do not fit the " +
                                                 std::to_string(image_size) + "-byte image");
    }
    if (k == model.order ? wraps != 0 : wraps > records) {
      fail_at(file, name + " wrap count", at + 8, std::to_string(wraps) + " is out of range");
    }
    for (std::uint32_t w = 0; w < wraps; ++w) {
      const std::uint64_t wat = in.offset();
      const std::uint32_t value = in.u32(name + " wrap");
      if (value == 0 || value >= records || (!level.wraps.empty() && value < level.wraps.back())) {
        fail_at(file, name + " wrap", wat, std::to_string(value) + " is out of order or range");
      }
      level.wraps.push_back(value);
    }
    model.levels.push_back(std::move(level));
  }
  if (expected_offset != image_size) {
    fail_at(file, "image size", 12, std::to_string(image_size) + " bytes, the levels fill " +
                                        std::to_string(expected_offset));
  }
  const std::uint64_t image_base = in.offset();
  if (in.remaining() != image_size) {
    fail_at(file, "image", image_base, "file holds " + std::to_string(in.remaining()) +
                                           " image bytes, the header says " + std::to_string(image_size));
  }
  const auto image = in.bytes(image_size, "image");
  model.image.assign(image.begin(), image.end());
  Validator(model, file, image_base).run();
  return model;
}

}  // namespace shoehorn::ngram
