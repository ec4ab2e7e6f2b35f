// How the columns of a CSV file fill the fields of a protobuf message
// (zhongcao.v1 Item, User, Creator, Event), by the names in the header row.
//
// A column names a field (`title`), a field of a nested message
// (`product.price_cents`, or just `price_cents` when only one nested message
// has it), or, for an integer field `X_ms`, the same time in seconds as `X`
// (`timestamp` for `timestamp_ms`; decimals allowed). Cells are read by the
// field's type:
//   strings as they are; repeated strings `|`-separated (`a|b|c`);
//   integers and decimals in C notation; repeated floats space-separated;
//   booleans true/false, 1/0 or yes/no;
//   enums by value name (`ITEM_KIND_NOTE`) or its short lower-case form
//   without the type's prefix (`note`, `add_to_cart` or `add-to-cart`).
// An empty cell leaves its field unset. Unknown or repeated column names
// are refused at the header, since a misspelt column would otherwise drop
// its data silently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace zhongcao::tools {

class CsvMapping {
 public:
  // Maps `header` onto fields of `type`; errors name the column.
  static absl::StatusOr<CsvMapping> FromHeader(const google::protobuf::Descriptor& type,
                                               std::span<const std::string> header);

  // Fills `row` (of the header's type) from one record's cells. Errors are
  // INVALID_ARGUMENT "column: message".
  absl::Status Fill(std::span<const std::string> cells,
                    google::protobuf::Message& row) const;

  size_t columns() const { return columns_.size(); }

 private:
  struct Column {
    std::string name;
    // From the row's message down to the scalar field the column fills.
    std::vector<const google::protobuf::FieldDescriptor*> path;
    int64_t scale = 1;  // 1000: the cell holds seconds, the field milliseconds
  };

  absl::Status FillCell(const Column& column, const std::string& cell,
                        google::protobuf::Message& row) const;

  std::vector<Column> columns_;
};

}  // namespace zhongcao::tools
