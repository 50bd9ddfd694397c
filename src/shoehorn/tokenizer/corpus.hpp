// Training text: read whole, checked to be text, split into documents.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shoehorn {

inline constexpr std::uint64_t kMaxCorpusBytes = 4ull << 30;

// Reads a corpus and checks that it is non-empty UTF-8 without NUL bytes. Errors name the file
// and the offset of the first bad byte ("binary" files fail at their first NUL or invalid byte).
std::string read_corpus(const std::string& path);

// TinyStories separates stories with lines that read "<|endoftext|>"; a corpus without them is
// split at blank lines. Each document is trimmed of surrounding whitespace (as llama2.c's
// pretokenizer strips each story); empty documents are dropped. Views point into text.
std::vector<std::string_view> split_documents(std::string_view text);

// For text whose paragraphs are separated by blank lines and whose stories by single line
// breaks (train-lowercase-4M.txt's layout): an "<|endoftext|>" line at each single break, so
// that split_documents keeps each story whole, its blank lines inside.
std::string mark_single_breaks_as_documents(std::string_view text);

}  // namespace shoehorn
