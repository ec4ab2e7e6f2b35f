#include "store/covisit_wire.h"

#include <bit>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "store/records.pb.h"
#include "store/wire_view.h"

namespace zhongcao::store {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;

constexpr uint32_t kUpdatedTag = WireFormatLite::MakeTag(
    CovisitRecord::kUpdatedMsFieldNumber, WireFormatLite::WIRETYPE_VARINT);
constexpr uint32_t kTotalTag = WireFormatLite::MakeTag(CovisitRecord::kTotalFieldNumber,
                                                       WireFormatLite::WIRETYPE_FIXED64);
constexpr uint32_t kNeighborTag = WireFormatLite::MakeTag(
    CovisitRecord::kNeighborsFieldNumber, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
constexpr uint32_t kItemIdTag = WireFormatLite::MakeTag(
    CovisitNeighbor::kItemIdFieldNumber, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
constexpr uint32_t kWeightTag = WireFormatLite::MakeTag(
    CovisitNeighbor::kWeightFieldNumber, WireFormatLite::WIRETYPE_FIXED64);

bool ReadDouble(CodedInputStream* in, double* value) {
  uint64_t bits = 0;
  if (!in->ReadLittleEndian64(&bits)) return false;
  *value = std::bit_cast<double>(bits);
  return true;
}

bool ParseNeighbor(absl::string_view bytes,
                   std::pair<absl::string_view, double>* neighbor) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  while (const uint32_t tag = in.ReadTag()) {
    bool ok = true;
    if (tag == kItemIdTag) {
      ok = ReadLengthDelimitedView(&in, bytes, &neighbor->first);
    } else if (tag == kWeightTag) {
      ok = ReadDouble(&in, &neighbor->second);
    } else {
      ok = WireFormatLite::SkipField(&in, tag);
    }
    if (!ok) return false;
  }
  return in.ConsumedEntireMessage();
}

// Proto3 leaves out fields at their default; -0.0 is not one.
bool IsDefault(double value) { return std::bit_cast<uint64_t>(value) == 0; }

}  // namespace

absl::Status ParseCovisitView(absl::string_view bytes, CovisitView* view) {
  const absl::Status malformed = absl::DataLossError("unparseable co-visitation row");
  // Cleared, not replaced: a reader parsing row after row keeps the capacity.
  view->updated_ms = 0;
  view->total = 0;
  view->neighbors.clear();
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  while (const uint32_t tag = in.ReadTag()) {
    bool ok = true;
    if (tag == kUpdatedTag) {
      uint64_t value = 0;
      ok = in.ReadVarint64(&value);
      view->updated_ms = static_cast<int64_t>(value);
    } else if (tag == kTotalTag) {
      ok = ReadDouble(&in, &view->total);
    } else if (tag == kNeighborTag) {
      absl::string_view neighbor;
      ok = ReadLengthDelimitedView(&in, bytes, &neighbor) &&
           ParseNeighbor(neighbor, &view->neighbors.emplace_back(absl::string_view(), 0));
    } else {
      ok = WireFormatLite::SkipField(&in, tag);
    }
    if (!ok) return malformed;
  }
  if (!in.ConsumedEntireMessage()) return malformed;
  return absl::OkStatus();
}

void AppendCovisitView(const CovisitView& view, std::string* out) {
  auto neighbor_bytes = [](absl::string_view id, double weight) {
    const size_t id_bytes =
        id.empty() ? 0 : 1 + CodedOutputStream::VarintSize32(id.size()) + id.size();
    return id_bytes + (IsDefault(weight) ? 0 : 1 + 8);
  };
  // Sized first, so that the string grows once: growing it as the stream
  // asked cost 2% of RecordEvents' CPU in reallocations.
  size_t size = 0;
  if (view.updated_ms != 0) {
    size += 1 + CodedOutputStream::VarintSize64(static_cast<uint64_t>(view.updated_ms));
  }
  if (!IsDefault(view.total)) size += 1 + 8;
  for (const auto& [id, weight] : view.neighbors) {
    const size_t bytes = neighbor_bytes(id, weight);
    size += 1 + CodedOutputStream::VarintSize32(static_cast<uint32_t>(bytes)) + bytes;
  }
  const size_t start = out->size();
  out->resize(start + size);
  google::protobuf::io::ArrayOutputStream stream(out->data() + start,
                                                 static_cast<int>(size));
  CodedOutputStream coded(&stream);
  if (view.updated_ms != 0) {
    coded.WriteTag(kUpdatedTag);
    coded.WriteVarint64(static_cast<uint64_t>(view.updated_ms));
  }
  if (!IsDefault(view.total)) {
    coded.WriteTag(kTotalTag);
    coded.WriteLittleEndian64(std::bit_cast<uint64_t>(view.total));
  }
  for (const auto& [id, weight] : view.neighbors) {
    coded.WriteTag(kNeighborTag);
    coded.WriteVarint32(static_cast<uint32_t>(neighbor_bytes(id, weight)));
    if (!id.empty()) {
      coded.WriteTag(kItemIdTag);
      coded.WriteVarint32(static_cast<uint32_t>(id.size()));
      coded.WriteRaw(id.data(), static_cast<int>(id.size()));
    }
    if (!IsDefault(weight)) {
      coded.WriteTag(kWeightTag);
      coded.WriteLittleEndian64(std::bit_cast<uint64_t>(weight));
    }
  }
}

}  // namespace zhongcao::store
