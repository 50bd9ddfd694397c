// Sizes past what size_t holds: on a 32-bit target (the mipsel build) a model larger than the
// address space is refused with a located error, never wrapped, while its header, its plan and
// its rows at offsets past 4 GiB still read (64-bit offsets end to end). On 64-bit targets the
// same file reads, plans and streams too.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/io/size.hpp"
#include "shoehorn/memory/arena.hpp"
#include "shoehorn/model/memory_plan.hpp"
#include "shoehorn/model/tensor_rows.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

constexpr bool k32Bit = std::numeric_limits<std::size_t>::digits == 32;

TEST(Size, ConversionsRefuseWhatSizeTCannotHold) {
  const std::uint64_t four_gib = std::uint64_t{1} << 32;
  if (k32Bit) {
    EXPECT_THROW(to_size(four_gib, "x"), Error);
    try {
      to_size(four_gib, "token_embd.weight");
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "token_embd.weight: 4294967296 bytes do not fit this machine's 32-bit "
                             "address space");
    }
  } else {
    EXPECT_EQ(to_size(four_gib, "x"), four_gib);
  }
  constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
  EXPECT_EQ(to_size(kMax, "x"), kMax);
  EXPECT_THROW(size_product(kMax / 2 + 1, 2, "x"), Error);
  EXPECT_EQ(size_product(kMax / 2, 2, "x"), kMax - 1);
  EXPECT_THROW(size_sum(kMax, 1, "x"), Error);
  // An arena plan past the address space is an error, not a small arena.
  ArenaPlan plan;
  plan.add<float>(kMax / 8);  // half the address space
  EXPECT_THROW(plan.add<float>(kMax / 8 + 16), Error);
  EXPECT_THROW(ArenaPlan().add<double>(kMax / 4), Error);
}

// A llama GGUF of 5.1 GB (4.7 GiB) (five F32 layers of Llama 2 7B's width), written as a header and a
// sparse file: the last tensor's rows lie past 4 GiB.
std::string write_sparse_5gb_gguf() {
  // dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
  const Config c{4096, 11008, 5, 32, 32, 32000, 2048};
  const std::string path = scratch_path("sparse-5gb.gguf");
  FileSink sink(path);
  std::vector<GgufWriter::Tensor> tensors;
  for (const TensorInfo& t : execution_order(c, /*shared_classifier=*/false)) {
    tensors.push_back({t.name, gguf_dims(t), 0 /* F32 */});
  }
  const GgufWriter writer(sink, ByteOrder::little, llama_metadata(c, nullptr, {}), tensors);
  const std::uint64_t data_start = sink.size();
  const GgufTensorInfo& last = writer.tensors().back();
  sink.close();
  std::filesystem::resize_file(path, data_start + last.offset + last.bytes());
  return path;
}

TEST(Size, AFileLargerThan4GiBReadsPlansAndStreamsRowsPastIt) {
  const std::string path = write_sparse_5gb_gguf();
  const FileSource source(path);
  ASSERT_EQ(source.size(), 5'096'262'976u);
  const ModelFile file = read_model_file(source);
  const TensorInfo& last = file.tensors.back();
  ASSERT_GT(last.offset, std::uint64_t{1} << 32);

  // A 256 MiB budget streams nearly every matrix; the plan's sums are 64-bit.
  PlanRequest request;
  request.budget = std::uint64_t{256} << 20;
  request.positions = 16;
  request.process_bytes = 1 << 20;
  const MemoryPlan plan = plan_memory(file, request);
  EXPECT_TRUE(plan.streams());
  EXPECT_LE(plan.total_bytes(), request.budget);
  EXPECT_GT(plan.bytes_per_token(file), std::uint64_t{4} << 30);

  // The last row of the last tensor, read from past 4 GiB: zeros (the sparse file's).
  std::vector<std::byte> buffer(rows_buffer_bytes(last, 1) + kArenaAlignment);
  auto* aligned = reinterpret_cast<std::byte*>(
      align_up(reinterpret_cast<std::uintptr_t>(buffer.data()), kArenaAlignment));
  const Matrix row = read_rows(last, last.rows - 1, 1, source, file.byte_order,
                               {aligned, rows_buffer_bytes(last, 1)});
  const float* values = row.blocks<float>();
  for (int i = 0; i < last.cols; ++i) ASSERT_EQ(values[i], 0.0f) << i;

  // Everything resident: more than a 32-bit machine addresses, refused there by name.
  if (k32Bit) {
    try {
      load_resident(read_model_file(source), source);
      FAIL() << "a 5 GB model loaded on a 32-bit machine";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("do not fit this machine's 32-bit address space"),
                std::string::npos)
          << e.what();
    }
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace shoehorn::test
