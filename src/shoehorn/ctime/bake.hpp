// The baker: a model and its vocabulary as a C++ header of constexpr arrays (ctime/model.hpp
// says what the header holds), which the header-only engine (ctime/engine.hpp) runs in
// constant evaluation or at run time; or a byte n-gram model, for ctime/ngram.hpp.
#pragma once

#include <string>

#include "shoehorn/model/model.hpp"
#include "shoehorn/ngram/model.hpp"
#include "shoehorn/tokenizer/vocab.hpp"

namespace shoehorn {

struct BakeOptions {
  std::string name;         // the struct's name: a C++ identifier
  std::string model_path;   // for the header's opening comment
  std::string vocab_path;
};

// Throws Error when a value has no exact constexpr spelling (a weight or a score that is not
// finite) or the vocabulary lacks the ids the engine needs.
std::string bake_header(const Model& model, const Vocab& vocab, const BakeOptions& options);
// The vocabulary alone: enough for ctime::encode and ctime::decode.
std::string bake_vocab_header(const Vocab& vocab, const BakeOptions& options);

// A byte n-gram model (read and validated by ngram::read_model): its tables as constexpr
// arrays, which ctime/ngram.hpp runs with the n-gram reference runtime's own code.
std::string bake_ngram_header(const ngram::Model& model, const BakeOptions& options);

// name as a C++ identifier: other characters become '_', and a leading digit gets one first.
std::string identifier_from(const std::string& name);

}  // namespace shoehorn
