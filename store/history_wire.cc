#include "store/history_wire.h"

#include <cstdint>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "store/records.pb.h"
#include "store/wire_view.h"

namespace zhongcao::store {
namespace {

using google::protobuf::internal::WireFormatLite;

constexpr uint32_t kEventTag = WireFormatLite::MakeTag(
    UserHistory::kEventsFieldNumber, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);

}  // namespace

absl::Status HistoryEvents(absl::string_view history,
                           std::vector<absl::string_view>* events) {
  const absl::Status malformed = absl::DataLossError("unparseable history");
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(history.data()), static_cast<int>(history.size()));
  while (const uint32_t tag = in.ReadTag()) {
    if (tag != kEventTag) {
      if (!WireFormatLite::SkipField(&in, tag)) return malformed;
      continue;
    }
    absl::string_view event;
    if (!ReadLengthDelimitedView(&in, history, &event)) return malformed;
    events->push_back(event);
  }
  // A tag of 0 is the end of the bytes, or a tag that could not be read.
  if (!in.ConsumedEntireMessage()) return malformed;
  return absl::OkStatus();
}

void AppendHistoryEvents(std::span<const absl::string_view> events, std::string* out) {
  google::protobuf::io::StringOutputStream stream(out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  for (absl::string_view event : events) {
    coded.WriteTag(kEventTag);
    coded.WriteVarint32(static_cast<uint32_t>(event.size()));
    coded.WriteRaw(event.data(), static_cast<int>(event.size()));
  }
}

}  // namespace zhongcao::store
