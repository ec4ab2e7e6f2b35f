#include "store/user_wire.h"

#include <cstdint>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "store/wire_view.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::store {
namespace {

using google::protobuf::internal::WireFormatLite;

constexpr uint32_t kRegionTag = WireFormatLite::MakeTag(
    v1::User::kRegionFieldNumber, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);

}  // namespace

absl::StatusOr<absl::string_view> UserRegion(absl::string_view user) {
  const absl::Status malformed = absl::DataLossError("unparseable user");
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(user.data()),
                                            static_cast<int>(user.size()));
  absl::string_view region;
  while (const uint32_t tag = in.ReadTag()) {
    const bool ok = tag == kRegionTag ? ReadLengthDelimitedView(&in, user, &region)
                                      : WireFormatLite::SkipField(&in, tag);
    if (!ok) return malformed;
  }
  // A tag of 0 is the end of the bytes, or a tag that could not be read.
  if (!in.ConsumedEntireMessage()) return malformed;
  return region;
}

}  // namespace zhongcao::store
