#include "shoehorn/io/source.hpp"

#include <cstring>
#include <string>

#include "shoehorn/io/error.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/io/size.hpp"

namespace shoehorn {

MemorySource::MemorySource(std::string name, std::span<const std::byte> bytes)
    : name_(std::move(name)), bytes_(bytes) {}

void MemorySource::read(std::uint64_t offset, std::span<std::byte> dst) const {
  if (offset > bytes_.size() || dst.size() > bytes_.size() - offset) {
    fail_at(name_, "read", offset,
            "needs " + std::to_string(dst.size()) + " bytes but the data has " +
                std::to_string(bytes_.size()));
  }
  if (!dst.empty()) std::memcpy(dst.data(), bytes_.data() + offset, dst.size());
}

std::vector<std::byte> read_all(const ByteSource& source, std::uint64_t max_bytes) {
  if (source.size() > max_bytes) {
    fail(source.name(), "file is " + std::to_string(source.size()) +
                            " bytes, more than the " + std::to_string(max_bytes) +
                            " bytes this reader accepts");
  }
  std::vector<std::byte> bytes(to_size(source.size(), source.name()));
  source.read(0, bytes);
  return bytes;
}

void write_file(const std::string& path, std::span<const std::byte> bytes) {
  FileSink sink(path);
  sink.write(bytes);
  sink.close();
}

}  // namespace shoehorn
