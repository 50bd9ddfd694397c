// Where bytes come from: a file read with pread, or memory (tests, fuzzing).
//
// Parsers see only this interface, so every read is bounds-checked against size() and the
// same parser runs on a file, a buffer, or (later) throttled slow media.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace shoehorn {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual const std::string& name() const = 0;
  virtual std::uint64_t size() const = 0;
  // Reads exactly dst.size() bytes at offset, or throws Error (never a short read).
  virtual void read(std::uint64_t offset, std::span<std::byte> dst) const = 0;
  // Throws Error when the bytes may no longer be those first read (a file truncated or written
  // to since it was opened). Sources that cannot change do nothing.
  virtual void check_unchanged() const {}
  // The caller will not read these bytes again soon: a file drops them from the page cache.
  virtual void drop_cached(std::uint64_t /*offset*/, std::uint64_t /*bytes*/) const {}
  // Whether two threads reading parts of one range at once finish sooner than one thread (a
  // page cache's copies do; one drive does not, and parts read out of order would seek).
  virtual bool parallel_reads_help() const { return true; }
};

class FileSource final : public ByteSource {
 public:
  // Throws Error naming the path when the file cannot be opened or is not a regular file.
  explicit FileSource(std::string path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  const std::string& name() const override { return path_; }
  std::uint64_t size() const override { return size_; }
  void read(std::uint64_t offset, std::span<std::byte> dst) const override;
  void check_unchanged() const override;
  void drop_cached(std::uint64_t offset, std::uint64_t bytes) const override;
  int fd() const { return fd_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::int64_t modified_ns_ = 0;  // when it was last written, as it was opened
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string name, std::span<const std::byte> bytes);
  const std::string& name() const override { return name_; }
  std::uint64_t size() const override { return bytes_.size(); }
  void read(std::uint64_t offset, std::span<std::byte> dst) const override;

 private:
  std::string name_;
  std::span<const std::byte> bytes_;
};

// Reads a whole source into memory, refusing sources larger than max_bytes (so a huge or
// wrong file never becomes a huge allocation).
std::vector<std::byte> read_all(const ByteSource& source, std::uint64_t max_bytes);

// Writes bytes to a file atomically enough for a CLI: write to PATH, fail with a clear error.
void write_file(const std::string& path, std::span<const std::byte> bytes);

}  // namespace shoehorn
