#include "type_test_util.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <span>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/kernels/kernel_path.hpp"
#include "shoehorn/model/transformer.hpp"
#include "shoehorn/io/size.hpp"
#include "test_util.hpp"

namespace shoehorn::test {

namespace {

// Runs `outputs` on every supported path and compares each with the scalar path's, restoring
// the path in use.
template <class Outputs>
void expect_scalar_bits(Outputs outputs, const std::string& label) {
  const kernels::KernelPath before = kernels::kernel_path();
  std::vector<float> scalar;
  for (const kernels::KernelPath path : kernels::supported_kernel_paths()) {
    kernels::set_kernel_path(path);
    const std::vector<float> out = outputs();
    if (path == kernels::KernelPath::scalar) {
      scalar = out;
      continue;
    }
    ASSERT_EQ(out.size(), scalar.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      ASSERT_EQ(std::bit_cast<std::uint32_t>(out[i]), std::bit_cast<std::uint32_t>(scalar[i]))
          << label << " " << kernels::to_string(path) << ", output " << i;
    }
  }
  kernels::set_kernel_path(before);
}

}  // namespace

std::vector<TensorBytes> tensors_of(const std::string& path) {
  const FileSource source(path);
  const GgufFile file = read_gguf(source);
  EXPECT_EQ(file.byte_order, ByteOrder::little) << path;
  std::vector<TensorBytes> out;
  for (const GgufTensorInfo& t : file.tensors) {
    TensorBytes tensor{t.name, t.type, std::vector<std::byte>(to_size(t.bytes(), t.name))};
    source.read(file.data_offset + t.offset, tensor.bytes);
    out.push_back(std::move(tensor));
  }
  return out;
}

std::string gguf_types(const std::string& name) { return shared_path("testdata/gguf-types/" + name); }

void expect_every_path_gives_scalar_bits(const Matrix& m, const kernels::MatvecInput& in,
                                         const std::string& label) {
  expect_scalar_bits(
      [&] {
        std::vector<float> out(static_cast<std::size_t>(in.positions) * m.rows, -1.0f);
        kernels::matvec_rows(out, m, in, 0, 6);
        kernels::matvec_rows(out, m, in, 6, m.rows);
        return out;
      },
      label + " " + std::to_string(in.positions) + " positions");
}

void expect_same_logits_on_every_path(const Model& model, const std::vector<int>& tokens,
                                      const std::string& label) {
  expect_scalar_bits(
      [&] {
        Transformer t(model, static_cast<int>(tokens.size()));
        std::vector<float> logits;
        for (std::size_t i = 0; i < tokens.size(); ++i) {
          const std::span<float> l = t.forward(tokens[i], static_cast<int>(i));
          logits.insert(logits.end(), l.begin(), l.end());
        }
        return logits;
      },
      label);
}

}  // namespace shoehorn::test
