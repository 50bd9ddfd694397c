// Byte-exact agreement with llama2.c: the four shared reference generations, and the cases of
// tests/data/llama2c/cases.tsv (expected outputs produced by llama2.c's run.c and runq.c, see
// tests/data/llama2c/README.md), each run from every encoding of its model: llama2.c versions
// 0, 1 and 2 written by shoehorn, little- and big-endian.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/model/random_model.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

std::string tok512() { return shared_path("models/tok512.bin"); }

TEST(Reference, FourSharedGenerations) {
  struct Reference {
    const char* file;
    const char *t, *p, *n, *s, *i;
  };
  const Reference references[] = {
      {"greedy-lily.txt", "0.0", "0.9", "120", "1", "Lily and Ben went to the"},
      {"sample-t1-p09-s42.txt", "1.0", "0.9", "256", "42", "Once upon a time"},
      {"sample-t08-p1-s7.txt", "0.8", "1.0", "200", "7", "The dog"},
      {"greedy-unicode.txt", "0.0", "0.9", "64", "1", "Tom said: \"¡Hola! 🙂 ünïcödé\""},
  };
  for (const Reference& r : references) {
    const CliResult result =
        run_cli({"run", shared_path("models/stories260K.bin"), "-z", tok512(), "-t", r.t, "-p",
                 r.p, "-n", r.n, "-s", r.s, "-i", r.i});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_EQ(result.out, read_text(shared_path("testdata/llama2c-reference/") + r.file))
        << r.file;
    EXPECT_NE(result.err.find("achieved tok/s: "), std::string::npos);
  }
}

// One model file per (model, encoding), written once per test run.
std::string model_file(const std::string& model, const std::string& encoding) {
  static std::map<std::string, std::string> written;
  const std::string key = model + "." + encoding;
  if (const auto it = written.find(key); it != written.end()) return it->second;

  Model source = model == "tiny-gqa"
                     ? random_model(Config{48, 128, 2, 6, 3, 512, 64}, false, 5)
                     : load_model(shared_path("models/stories260K.bin"));
  Llama2cWriteOptions options;
  options.version = encoding.starts_with("v2")   ? Llama2cVersion::v2
                    : encoding.starts_with("v1") ? Llama2cVersion::v1
                                                 : Llama2cVersion::v0;
  options.byte_order = encoding.ends_with("-be") ? ByteOrder::big : ByteOrder::little;
  const std::string path = scratch_path(key + ".bin");
  write_bytes(path, write_llama2c(source, options));
  written[key] = path;
  return path;
}

struct Case {
  std::string name, model, mode, temperature, topp, steps, seed, prompt, system;
  std::string encoding;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name << " (" << c.encoding << ")"; }

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  std::ifstream in(data_path("llama2c/cases.tsv"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = split_tabs(line);
    if (f.size() != 9) throw std::runtime_error("cases.tsv: bad line: " + line);
    Case c{f[0], f[1], f[2], f[3], f[4], f[5], f[6], unescape(f[7]), unescape(f[8]), ""};
    // The v2 expectations come from runq.c, which reads only version 2.
    const bool quantized = c.model.ends_with("-v2");
    for (const char* encoding : quantized ? std::vector<const char*>{"v2", "v2-be"}
                                          : std::vector<const char*>{"v0", "v0-be", "v1", "v1-be"}) {
      c.encoding = encoding;
      cases.push_back(c);
    }
  }
  return cases;
}

class Llama2cCase : public testing::TestWithParam<Case> {};

TEST_P(Llama2cCase, MatchesLlama2cByteForByte) {
  const Case& c = GetParam();
  const std::string base_model = c.model.ends_with("-v2") ? "stories260K" : c.model;
  std::vector<std::string> args = {"run", model_file(base_model, c.encoding), "-z", tok512(),
                                   "-m", c.mode, "-t", c.temperature, "-p", c.topp,
                                   "-n", c.steps, "-s", c.seed};
  if (c.prompt != "-") args.insert(args.end(), {"-i", c.prompt});
  if (c.system != "-") args.insert(args.end(), {"-y", c.system});
  const CliResult result = run_cli(args);
  ASSERT_EQ(result.status, 0) << result.err;
  const std::string expected = read_text(data_path("llama2c/" + c.name + ".txt"));
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(result.out, expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, Llama2cCase, testing::ValuesIn(load_cases()),
                         [](const testing::TestParamInfo<Case>& param_info) {
                           std::string name = param_info.param.name + "_" + param_info.param.encoding;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace shoehorn::test
