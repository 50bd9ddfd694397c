// Where written bytes go: a file (buffered, for models larger than memory should hold twice)
// or a vector (tests, fuzz corpora). Writers stream into a sink front to back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace shoehorn {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(std::span<const std::byte> bytes) = 0;
  // Bytes written so far.
  virtual std::uint64_t size() const = 0;
};

class VectorSink final : public ByteSink {
 public:
  void write(std::span<const std::byte> bytes) override {
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
  }
  std::uint64_t size() const override { return bytes_.size(); }
  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
};

class FileSink final : public ByteSink {
 public:
  // Creates (truncates) path; throws Error naming it when that fails.
  explicit FileSink(std::string path);
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  void write(std::span<const std::byte> bytes) override;
  std::uint64_t size() const override { return written_ + buffer_.size(); }
  // Flushes and closes, reporting any error; the destructor only closes.
  void close();

 private:
  void flush();
  void write_all(std::span<const std::byte> bytes);

  std::string path_;
  int fd_ = -1;
  std::vector<std::byte> buffer_;
  std::uint64_t written_ = 0;
};

}  // namespace shoehorn
