#include "bench/ann/dataset.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "index/attribute_bitmaps.h"
#include "index/vector_index.h"
#include "tools/vectors/vector_file.h"

namespace zhongcao::bench {
namespace {

// FNV-1a: stable across runs and libraries, unlike std::hash.
uint64_t Fnv1a(const std::string& bytes, uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", file.string()));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

Dataset GeneratedDataset(const EmbeddingSpec& spec) {
  ClusteredEmbeddings generator(spec);
  Dataset data;
  data.dim = spec.dim;
  data.n = spec.n;
  data.vectors = generator.Items();
  data.ids.reserve(spec.n);
  for (int64_t i = 0; i < spec.n; ++i) data.ids.push_back(absl::StrCat("i", i));
  data.key = SpecKey(spec);
  data.description = absl::StrFormat(
      "generated: %d x %d, latent %d, %d clusters (spread %.2f, skew %.2f), noise "
      "%.2f, seed %d",
      spec.n, spec.dim, spec.latent_dim, spec.clusters, spec.cluster_spread,
      spec.cluster_skew, spec.noise, spec.seed);
  return data;
}

absl::StatusOr<Dataset> SnapshotDataset(const std::filesystem::path& dir) {
  absl::StatusOr<index::SnapshotInfo> info = index::VectorIndex::ReadSnapshotInfo(dir);
  if (!info.ok()) return info.status();
  index::IndexOptions options;
  options.dim = info->dim;
  options.factory = info->factory;
  absl::StatusOr<std::unique_ptr<index::VectorIndex>> index =
      index::VectorIndex::LoadSnapshot(dir, options);
  if (!index.ok()) return index.status();
  // ids.bin lists every internal id, live or not, each a little-endian u32
  // length and the bytes (index/vector_index.cc); the index says which are
  // live and holds their current vectors.
  absl::StatusOr<std::string> bytes = ReadFile(dir / "ids.bin");
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<std::string> manifest = ReadFile(dir / "MANIFEST");
  if (!manifest.ok()) return manifest.status();
  // Which rows an available_only filter passes (stock, taken down): what
  // GetRelated may answer, so its recall is measured against those only.
  absl::StatusOr<std::string> attribute_bytes = ReadFile(dir / "attributes.bin");
  if (!attribute_bytes.ok()) return attribute_bytes.status();
  index::AttributeBitmaps attributes;
  if (!index::AttributeBitmaps::Deserialize(*attribute_bytes, &attributes)) {
    return absl::DataLossError(
        absl::StrCat(dir.string(), "/attributes.bin does not parse"));
  }
  Dataset data;
  data.dim = info->dim;
  data.vectors.reserve(static_cast<size_t>(info->live) * info->dim);
  absl::flat_hash_set<std::string> seen;
  size_t at = 0;
  std::vector<std::string> internal_ids;
  // A replaced item has a dead internal id and a live one; its attributes
  // are the live one's.
  absl::flat_hash_map<std::string, bool> available_of;
  for (uint32_t internal = 0; at + 4 <= bytes->size(); ++internal) {
    uint32_t size;
    std::memcpy(&size, bytes->data() + at, sizeof(size));
    at += sizeof(size);
    if (bytes->size() - at < size) break;
    internal_ids.push_back(bytes->substr(at, size));
    at += size;
    if (attributes.IsLive(internal)) {
      available_of[internal_ids.back()] = attributes.Get(internal).available;
    }
  }
  bool all_available = true;
  for (std::string& id : internal_ids) {
    if (!seen.insert(id).second) continue;
    std::optional<std::vector<float>> v = (*index)->Vector(id);
    if (!v.has_value()) continue;
    data.vectors.insert(data.vectors.end(), v->begin(), v->end());
    auto it = available_of.find(id);
    const bool available = it == available_of.end() || it->second;
    data.available.push_back(available ? 1 : 0);
    all_available = all_available && available;
    data.ids.push_back(std::move(id));
  }
  if (all_available) data.available.clear();
  if (at != bytes->size()) {
    return absl::DataLossError(absl::StrCat(dir.string(), "/ids.bin does not parse"));
  }
  data.n = static_cast<int64_t>(data.ids.size());
  data.key = absl::StrFormat("snap-%016x", Fnv1a(*manifest));
  data.description =
      absl::StrFormat("snapshot %s (version %s, %s): %d x %d", dir.string(),
                      info->version, info->factory, data.n, data.dim);
  return data;
}

absl::StatusOr<Dataset> MatrixDataset(const std::filesystem::path& matrix,
                                      const std::filesystem::path& ids_file) {
  Dataset data;
  if (!ids_file.empty()) {
    absl::StatusOr<tools::VectorSet> set = tools::ReadVectorSet(matrix, ids_file);
    if (!set.ok()) return set.status();
    data.dim = set->dim;
    data.n = set->rows();
    data.vectors = std::move(set->values);
    data.ids = std::move(set->ids);
  } else {
    int dim = 0;
    int64_t rows = 0;
    absl::StatusOr<std::vector<float>> values = tools::ReadMatrix(matrix, &dim, &rows);
    if (!values.ok()) return values.status();
    data.dim = dim;
    data.n = rows;
    data.vectors = *std::move(values);
    for (int64_t i = 0; i < rows; ++i) data.ids.push_back(absl::StrCat("i", i));
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(matrix, ec);
  const auto mtime =
      std::filesystem::last_write_time(matrix, ec).time_since_epoch().count();
  data.key = absl::StrFormat(
      "file-%016x", Fnv1a(absl::StrCat(std::filesystem::absolute(matrix).string(), "|",
                                       size, "|", mtime, "|", ids_file.string())));
  data.description =
      absl::StrFormat("matrix %s: %d x %d", matrix.string(), data.n, data.dim);
  return data;
}

}  // namespace zhongcao::bench
