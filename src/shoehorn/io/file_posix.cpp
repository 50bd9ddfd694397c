// Files by path through POSIX: FileSource reads with pread, FileSink writes with write.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "shoehorn/io/error.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/io/source.hpp"

namespace shoehorn {

namespace {

std::int64_t modified_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace

FileSource::FileSource(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(path_, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    fail(path_, "not a regular file");
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
  modified_ns_ = modified_ns(st);
}

void FileSource::check_unchanged() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail(path_, std::string("cannot stat: ") + std::strerror(errno));
  if (static_cast<std::uint64_t>(st.st_size) != size_) {
    fail(path_, "the file changed size from " + std::to_string(size_) + " to " +
                    std::to_string(st.st_size) + " bytes while it was being read");
  }
  if (modified_ns(st) != modified_ns_) fail(path_, "the file was written to while it was being read");
}

void FileSource::drop_cached(std::uint64_t offset, std::uint64_t bytes) const {
  ::posix_fadvise(fd_, static_cast<off_t>(offset), static_cast<off_t>(bytes), POSIX_FADV_DONTNEED);
}

FileSource::~FileSource() {
  if (fd_ >= 0) ::close(fd_);
}

void FileSource::read(std::uint64_t offset, std::span<std::byte> dst) const {
  if (offset > size_ || dst.size() > size_ - offset) {
    fail_at(path_, "read", offset,
            "needs " + std::to_string(dst.size()) + " bytes but the file has " +
                std::to_string(size_));
  }
  std::size_t done = 0;
  while (done < dst.size()) {
    const ssize_t n = ::pread(fd_, dst.data() + done, dst.size() - done,
                              static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_at(path_, "read", offset + done, std::strerror(errno));
    if (n == 0) fail_at(path_, "read", offset + done, "file ended early (was it truncated?)");
    done += static_cast<std::size_t>(n);
  }
}

namespace {

constexpr std::size_t kSinkBufferBytes = 1 << 20;

}  // namespace

FileSink::FileSink(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(path_, std::string("cannot create: ") + std::strerror(errno));
  buffer_.reserve(kSinkBufferBytes);
}

FileSink::~FileSink() {
  if (fd_ >= 0) ::close(fd_);
}

void FileSink::write(std::span<const std::byte> bytes) {
  if (buffer_.size() + bytes.size() > kSinkBufferBytes) flush();
  if (bytes.size() >= kSinkBufferBytes) {
    write_all(bytes);  // large pieces go straight to the file
    return;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

void FileSink::flush() {
  write_all(buffer_);
  buffer_.clear();
}

void FileSink::write_all(std::span<const std::byte> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(path_, std::string("write failed: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  written_ += bytes.size();
}

void FileSink::close() {
  flush();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail(path_, std::string("close failed: ") + std::strerror(errno));
}

}  // namespace shoehorn
