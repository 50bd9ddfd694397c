#include "shoehorn/format/pack.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/io/crc32.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/model/tensor_rows.hpp"
#include "shoehorn/model/weight_source.hpp"

namespace shoehorn {

namespace {

constexpr std::size_t kChunkBytes = 64 << 10;  // verifying reads through this, not the tensor

const TensorInfo& find(const ModelFile& file, TensorRole role, int layer) {
  for (const TensorInfo& t : file.tensors) {
    if (t.role == role && t.layer == layer) return t;
  }
  fail(file.path, "no tensor " + tensor_name(role, layer));
}

std::string hex(std::uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08" PRIx32, v);
  return text;
}

}  // namespace

std::vector<TensorInfo> pack_order(const ModelFile& file) {
  const int layers = file.config.n_layers;
  std::vector<TensorInfo> order = {find(file, TensorRole::token_embedding, -1)};
  if (file.config.rope_freqs) order.push_back(find(file, TensorRole::rope_freqs, -1));
  std::vector<TensorRole> vectors = {TensorRole::attn_norm, TensorRole::ffn_norm};
  if (file.config.qkv_bias) {
    vectors.insert(vectors.end(), {TensorRole::q_bias, TensorRole::k_bias, TensorRole::v_bias});
  }
  for (const TensorRole vector : vectors) {
    for (int l = 0; l < layers; ++l) order.push_back(find(file, vector, l));
  }
  order.push_back(find(file, TensorRole::final_norm, -1));
  for (int l = 0; l < layers; ++l) {
    for (const TensorRole role : kLayerMatrixOrder) order.push_back(find(file, role, l));
  }
  if (!file.shared_classifier) order.push_back(find(file, TensorRole::classifier, -1));
  return order;
}

void write_pack(ByteSink& sink, const ModelFile& file, const ByteSource& source, const Vocab* vocab,
                const Target& target) {
  for (const TensorInfo& t : file.tensors) {
    if (t.type == WeightType::q8_group) {
      fail(file.path, "llama2.c int8 groups have no GGUF type: convert the model to GGUF "
                      "(shoehorn convert --quant q8_0) and pack that");
    }
  }
  const std::vector<TensorInfo> order = pack_order(file);
  std::vector<std::uint32_t> checksums;
  std::vector<GgufWriter::Tensor> table;
  for (const TensorInfo& t : order) {
    checksums.push_back(crc32(tensor_bytes(t, file, source, target.byte_order)));
    table.push_back({t.name, gguf_dims(t), static_cast<std::uint32_t>(traits(t.type).ggml_id)});
  }
  GgufWriteOptions options;
  options.file_type = file_type_of(find(file, TensorRole::wq, 0).type);
  options.byte_order = target.byte_order;
  options.alignment = target.alignment;
  std::vector<GgufKeyValue> metadata = llama_metadata(file.config, vocab, options);
  metadata.push_back(make_entry(kPackTargetKey, std::string(target.name)));
  metadata.push_back(make_entry(kPackChecksumsKey, make_array(std::move(checksums))));

  GgufWriter writer(sink, target.byte_order, metadata, std::move(table));
  for (const TensorInfo& t : order) writer.write_tensor(tensor_bytes(t, file, source, target.byte_order));
  writer.finish();
}

std::vector<std::uint32_t> tensor_checksums(const ModelFile& file, const ByteSource& source) {
  std::vector<std::byte> chunk(kChunkBytes);
  std::vector<std::uint32_t> sums;
  for (const TensorInfo& t : file.tensors) {
    std::uint32_t crc = 0;
    for (std::uint64_t done = 0; done < t.bytes;) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, t.bytes - done));
      source.read(t.offset + done, std::span(chunk).first(n));
      crc = crc32(std::span(chunk).first(n), crc);
      done += n;
    }
    sums.push_back(crc);
  }
  return sums;
}

void verify_checksums(const ModelFile& file, const ByteSource& source) {
  if (file.checksums.empty()) return;
  const std::vector<std::uint32_t> sums = tensor_checksums(file, source);
  for (std::size_t i = 0; i < sums.size(); ++i) {
    if (sums[i] != file.checksums[i]) {
      const TensorInfo& t = file.tensors[i];
      fail_at(file.path, "tensor '" + t.name + "'", t.offset,
              "its bytes have CRC-32 " + hex(sums[i]) + " but " + kPackChecksumsKey + " says " +
                  hex(file.checksums[i]) + " (the pack is damaged)");
    }
  }
}

}  // namespace shoehorn
