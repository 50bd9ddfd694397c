#include "shoehorn/io/throttled_source.hpp"

#if SHOEHORN_THREADS
#include <thread>
#endif

namespace shoehorn {

ThrottledSource::ThrottledSource(const ByteSource& inner, double read_speed, double seek_seconds)
    : inner_(inner), read_speed_(read_speed), seek_seconds_(seek_seconds) {}

void ThrottledSource::read(std::uint64_t offset, std::span<std::byte> dst) const {
  Clock::time_point ready;
  {
    const std::lock_guard lock(mutex_);
    double seconds = static_cast<double>(dst.size()) / read_speed_;
    if (offset != head_) seconds += seek_seconds_;
    head_ = offset + dst.size();
    // The drive starts when it is free, or now if it has been idle.
    busy_until_ = std::max(busy_until_, Clock::now()) +
                  std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    ready = busy_until_;
  }
  inner_.read(offset, dst);
#if SHOEHORN_THREADS
  std::this_thread::sleep_until(ready);
#else
  while (Clock::now() < ready) {
  }  // nothing else to run: the one thread waits for the drive
#endif
}

}  // namespace shoehorn
