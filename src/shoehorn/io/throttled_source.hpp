// Slow media on a fast machine: a source whose reads take as long as they would on a drive
// that moves read_speed bytes per second and needs seek_seconds to start a read that does not
// continue the previous one (a CD-ROM at 24x: about 3.6 MB/s). The drive serves one read at a
// time, whichever thread asks.
#pragma once

#include <chrono>
#include "shoehorn/io/source.hpp"
#include "shoehorn/io/threads.hpp"

namespace shoehorn {

class ThrottledSource final : public ByteSource {
 public:
  ThrottledSource(const ByteSource& inner, double read_speed, double seek_seconds);

  const std::string& name() const override { return inner_.name(); }
  std::uint64_t size() const override { return inner_.size(); }
  void read(std::uint64_t offset, std::span<std::byte> dst) const override;
  void check_unchanged() const override { inner_.check_unchanged(); }
  void drop_cached(std::uint64_t offset, std::uint64_t bytes) const override {
    inner_.drop_cached(offset, bytes);
  }
  bool parallel_reads_help() const override { return false; }

 private:
  using Clock = std::chrono::steady_clock;
  const ByteSource& inner_;
  double read_speed_;
  double seek_seconds_;
  mutable Mutex mutex_;
  mutable Clock::time_point busy_until_{};
  mutable std::uint64_t head_ = ~0ull;  // where the previous read ended
};

}  // namespace shoehorn
