#include "shoehorn/tokenizer/corpus.hpp"

#include <algorithm>

#include "shoehorn/io/error.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/tokenizer/utf8.hpp"

namespace shoehorn {

namespace {

constexpr std::string_view kEndOfText = "<|endoftext|>";

void check_text(const std::string& path, std::string_view text) {
  if (text.empty()) fail(path, "empty corpus");
  for (std::size_t at = 0; at < text.size();) {
    if (text[at] == '\0') fail_at(path, "text", at, "NUL byte: not a text file");
    const std::size_t length = utf8::valid_prefix_length(text.substr(at));
    if (length == 0) fail_at(path, "text", at, "not UTF-8");
    at += length;
  }
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const std::size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

// Splits at lines for which is_separator(line) holds; the separator lines belong to no document.
template <class IsSeparator>
std::vector<std::string_view> split_at_lines(std::string_view text, IsSeparator is_separator) {
  std::vector<std::string_view> documents;
  std::size_t doc_start = 0;
  auto close = [&](std::size_t end) {
    const std::string_view doc = trim(text.substr(doc_start, end - doc_start));
    if (!doc.empty()) documents.push_back(doc);
  };
  for (std::size_t line_start = 0; line_start < text.size();) {
    const std::size_t newline = std::min(text.find('\n', line_start), text.size());
    if (is_separator(text.substr(line_start, newline - line_start))) {
      close(line_start);
      doc_start = newline + 1;
    }
    line_start = newline + 1;
  }
  if (doc_start < text.size()) close(text.size());
  return documents;
}

}  // namespace

std::string read_corpus(const std::string& path) {
  const std::vector<std::byte> bytes = read_all(FileSource(path), kMaxCorpusBytes);
  std::string text(bytes.size(), '\0');
  std::transform(bytes.begin(), bytes.end(), text.begin(),
                 [](std::byte b) { return static_cast<char>(b); });
  check_text(path, text);
  return text;
}

std::vector<std::string_view> split_documents(std::string_view text) {
  if (text.find(kEndOfText) != std::string_view::npos) {
    return split_at_lines(text, [](std::string_view line) { return trim(line) == kEndOfText; });
  }
  return split_at_lines(text, [](std::string_view line) { return trim(line).empty(); });
}

std::string mark_single_breaks_as_documents(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 64);
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    const bool single_break = text[i] == '\n' && i > 0 && text[i - 1] != '\n' &&
                              i + 1 < text.size() && text[i + 1] != '\n';
    if (single_break) {
      out += kEndOfText;
      out += '\n';
    }
  }
  return out;
}

}  // namespace shoehorn
