// Files by path on a machine without an operating system: there are none. A bare-metal program
// opens its model through a reader of its own (shoehorn_reader: semihosting, flash, a drive), so
// these only say so, by path, if something asks for a file.
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/io/source.hpp"

namespace shoehorn {

namespace {

[[noreturn]] void no_files(const std::string& path) {
  fail(path, "this build has no files by path (no operating system): read it through a shoehorn_reader");
}

}  // namespace

FileSource::FileSource(std::string path) : path_(std::move(path)) { no_files(path_); }
FileSource::~FileSource() = default;
void FileSource::read(std::uint64_t, std::span<std::byte>) const { no_files(path_); }
void FileSource::check_unchanged() const {}
void FileSource::drop_cached(std::uint64_t, std::uint64_t) const {}

FileSink::FileSink(std::string path) : path_(std::move(path)) { no_files(path_); }
FileSink::~FileSink() = default;
void FileSink::write(std::span<const std::byte>) { no_files(path_); }
void FileSink::flush() {}
void FileSink::write_all(std::span<const std::byte>) { no_files(path_); }
void FileSink::close() {}

}  // namespace shoehorn
