// Bad input: every truncation, every header field out of range, random bytes and lying token
// lengths end in an Error whose message is one line naming the file, the field and the offset,
// and the CLI turns it into exit status 1. Under ASan/UBSan this also proves no bad access.
#include <gtest/gtest.h>

#include <climits>

#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/model/random_model.hpp"
#include "shoehorn/sample/rng.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

// Loads bytes as a model; returns the error message, or "" when it loaded.
std::string model_error(const std::vector<std::byte>& bytes, std::size_t length) {
  const MemorySource source("bad.bin", std::span(bytes).first(length));
  try {
    (void)load_resident(read_model_file(source), source);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

std::string tokenizer_error(const std::vector<std::byte>& bytes, std::size_t length) {
  try {
    (void)read_tokenizer_bin(MemorySource("bad-tok.bin", std::span(bytes).first(length)));
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

std::vector<std::byte> small_model(Llama2cVersion version, ByteOrder order, bool shared) {
  const Model model = random_model(Config{16, 32, 2, 4, 2, 40, 8}, shared, 3);
  return write_llama2c(model, {version, order, 8});
}

TEST(Corrupt, ModelTruncatedAtEveryOffset) {
  for (const Llama2cVersion version : {Llama2cVersion::v0, Llama2cVersion::v1, Llama2cVersion::v2}) {
    for (const ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
      for (const bool shared : {true, false}) {
        const std::vector<std::byte> bytes = small_model(version, order, shared);
        ASSERT_EQ(model_error(bytes, bytes.size()), "");
        for (std::size_t length = 0; length < bytes.size(); ++length) {
          const std::string message = model_error(bytes, length);
          ASSERT_FALSE(message.empty()) << "length " << length;
          expect_located(message, "bad.bin");
        }
      }
    }
  }
}

TEST(Corrupt, SharedModelTruncatedOrExtended) {
  std::vector<std::byte> bytes = read_bytes(shared_path("models/stories260K.bin"));
  for (std::size_t length = 0; length < bytes.size(); length += length < 4096 ? 1 : 4093) {
    expect_located(model_error(bytes, length), "bad.bin");
  }
  bytes.push_back(std::byte{0});
  const std::string message = model_error(bytes, bytes.size());
  expect_located(message, "bad.bin");
  EXPECT_NE(message.find("file size"), std::string::npos) << message;
}

// Sets the int32 at offset (little-endian file) and returns the error.
std::string with_field(std::vector<std::byte> bytes, std::size_t offset, std::int32_t value) {
  store_u32(bytes.data() + offset, static_cast<std::uint32_t>(value), ByteOrder::little);
  return model_error(bytes, bytes.size());
}

TEST(Corrupt, EveryV0HeaderFieldOutOfRange) {
  const std::vector<std::byte> bytes = small_model(Llama2cVersion::v0, ByteOrder::little, true);
  const char* fields[] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
  for (int i = 0; i < 7; ++i) {
    for (const std::int32_t value : {0, -1, INT_MIN, INT_MAX, 1 << 30}) {
      if (i == 5 && value == -1) continue;  // a negative vocab_size is legal (separate classifier)
      const std::string message = with_field(bytes, 4 * static_cast<std::size_t>(i), value);
      expect_located(message, "bad.bin");
      // Either the field itself, or (for values a swapped header could explain) the size.
      EXPECT_TRUE(message.find(std::string("'") + fields[i] + "'") != std::string::npos ||
                  message.find("file size") != std::string::npos)
          << fields[i] << "=" << value << ": " << message;
    }
  }
}

TEST(Corrupt, InconsistentHeaderFieldsNameTheField) {
  const std::vector<std::byte> bytes = small_model(Llama2cVersion::v1, ByteOrder::little, true);
  // v1: magic 0, version 4, dim 8, hidden 12, layers 16, heads 20, kv heads 24, vocab 28, seq 32.
  struct Edit {
    std::size_t offset;
    std::int32_t value;
    const char* field;
  };
  for (const Edit& e : {Edit{20, 3, "'n_heads'"},       // 3 does not divide dim 16
                        Edit{24, 3, "'n_kv_heads'"},    // 3 does not divide 4 heads
                        Edit{24, 8, "'n_kv_heads'"},    // more kv heads than heads
                        Edit{20, 16, "'n_heads'"},      // head size 1 is odd
                        Edit{4, 3, "'version'"},
                        Edit{8, 17, "'n_heads'"},       // dim no longer divisible by heads
                        Edit{16, 3, "file size"}}) {    // one more layer than the file holds
    const std::string message = with_field(bytes, e.offset, e.value);
    expect_located(message, "bad.bin");
    EXPECT_NE(message.find(e.field), std::string::npos) << message;
  }
  std::vector<std::byte> flag = bytes;
  flag[36] = std::byte{7};
  EXPECT_NE(model_error(flag, flag.size()).find("'shared_classifier' at offset 36"), std::string::npos);
}

TEST(Corrupt, Version2GroupSize) {
  const std::vector<std::byte> bytes = small_model(Llama2cVersion::v2, ByteOrder::little, true);
  for (const std::int32_t value : {0, -8, 3, 1 << 20, INT_MAX}) {
    const std::string message = with_field(bytes, 37, value);
    expect_located(message, "bad.bin");
    EXPECT_NE(message.find("'group_size' at offset 37"), std::string::npos) << message;
  }
}

TEST(Corrupt, RandomBytes) {
  Xorshift64Star rng(2024);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<std::byte> bytes(rng.next_u32() % 2048);
    for (std::byte& b : bytes) b = static_cast<std::byte>(rng.next_u32() & 0xff);
    if (trial % 3 == 1 && bytes.size() >= 8) {  // a valid magic, random rest
      store_u32(bytes.data(), kLlama2cMagic, ByteOrder::little);
      store_u32(bytes.data() + 4, 1 + trial % 2, ByteOrder::little);
    }
    const std::string model = model_error(bytes, bytes.size());
    ASSERT_FALSE(model.empty()) << "trial " << trial;
    EXPECT_EQ(model.find('\n'), std::string::npos);
    const std::string tok = tokenizer_error(bytes, bytes.size());
    ASSERT_FALSE(tok.empty()) << "trial " << trial;
    expect_located(tok, "bad-tok.bin");
  }
}

// Where each token of a tokenizer.bin ends: after max_token_length, each token is a float
// score, an int32 length and that many bytes.
std::vector<std::size_t> token_ends(const std::vector<std::byte>& bytes) {
  std::vector<std::size_t> ends;
  for (std::size_t at = 4; at < bytes.size();) {
    at += 8 + load_u32(bytes.data() + at + 4, ByteOrder::little);
    ends.push_back(at);
  }
  return ends;
}

TEST(Corrupt, TokenizerTruncatedAtEveryOffset) {
  const std::vector<std::byte> bytes = read_bytes(shared_path("models/tok512.bin"));
  const std::vector<std::size_t> ends = token_ends(bytes);
  ASSERT_EQ(ends.size(), 512u);
  ASSERT_EQ(ends.back(), bytes.size());
  // A cut exactly between two tokens leaves a shorter, valid vocabulary when it keeps ids 0, 1
  // and 2 (unknown, BOS, EOS): of 3 to 511 tokens. Every other cut is a located error.
  std::vector<std::size_t> loaded;
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    const std::string message = tokenizer_error(bytes, length);
    if (message.empty()) {
      loaded.push_back(length);
    } else {
      expect_located(message, "bad-tok.bin");
    }
  }
  EXPECT_EQ(loaded, std::vector<std::size_t>(ends.begin() + 2, ends.end() - 1));
  EXPECT_NE(tokenizer_error(bytes, 14).find("token[0].bytes at offset 12"), std::string::npos)
      << tokenizer_error(bytes, 14);
}

TEST(Corrupt, TokenizerLengthsThatLie) {
  const std::vector<std::byte> good = read_bytes(shared_path("models/tok512.bin"));
  // tok512: max_token_length at 0, token[0] score at 4, length at 8, bytes at 12.
  for (const std::int32_t length : {0, -1, INT_MIN, 8, 1 << 20, INT_MAX}) {
    std::vector<std::byte> bytes = good;
    store_u32(bytes.data() + 8, static_cast<std::uint32_t>(length), ByteOrder::little);
    const std::string message = tokenizer_error(bytes, bytes.size());
    expect_located(message, "bad-tok.bin");
    EXPECT_TRUE(message.find("token[0].length at offset 8") != std::string::npos ||
                message.find("token[1]") != std::string::npos)
        << message;
  }
  for (const std::int32_t max_length : {0, -5, INT_MAX}) {
    std::vector<std::byte> bytes = good;
    store_u32(bytes.data(), static_cast<std::uint32_t>(max_length), ByteOrder::little);
    EXPECT_NE(tokenizer_error(bytes, bytes.size()).find("max_token_length at offset 0"),
              std::string::npos);
  }
  std::vector<std::byte> nan = good;
  store_u32(nan.data() + 4, 0x7fc00000u, ByteOrder::little);
  EXPECT_NE(tokenizer_error(nan, nan.size()).find("token[0].score at offset 4: NaN"), std::string::npos);
}

TEST(Corrupt, CliExitsWithOneLine) {
  const std::string path = scratch_path("truncated.bin");
  std::vector<std::byte> bytes = read_bytes(shared_path("models/stories260K.bin"));
  bytes.resize(1000);
  write_bytes(path, bytes);
  struct Invocation {
    std::vector<std::string> args;
    std::string mentions;  // the file the message must name
  };
  const std::string missing = scratch_path("does-not-exist.bin");
  const std::string model = shared_path("models/stories260K.bin");
  for (const Invocation& call :
       {Invocation{{"run", path, "-z", shared_path("models/tok512.bin")}, path},
        Invocation{{"inspect", path}, path},
        Invocation{{"run", model, "-z", path}, path},
        Invocation{{"run", missing}, missing},
        Invocation{{"tokenize", "-z", path, "hello"}, path}}) {
    const CliResult r = run_cli(call.args);
    EXPECT_EQ(r.status, 1) << call.args[0];
    EXPECT_TRUE(r.err.starts_with("shoehorn: error: ")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(call.mentions), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(Corrupt, TokenizerSmallerThanTheModel) {
  const CliResult r = run_cli({"run", shared_path("models/stories260K.bin"), "-z",
                               data_path("tokenizer/three-tokens.bin")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("three-tokens.bin"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace shoehorn::test
