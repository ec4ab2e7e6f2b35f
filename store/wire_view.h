// Reads a length-delimited protobuf field as a view into the bytes being parsed, for the
// row readers that look at ids and events without copying them out.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"
#include "google/protobuf/io/coded_stream.h"

namespace zhongcao::store {

// `in` must be reading `bytes`, positioned just after the field's tag. False when the
// length is unreadable or runs past the end.
inline bool ReadLengthDelimitedView(google::protobuf::io::CodedInputStream* in,
                                    absl::string_view bytes, absl::string_view* view) {
  uint32_t length = 0;
  if (!in->ReadVarint32(&length)) return false;
  const int begin = in->CurrentPosition();
  if (!in->Skip(static_cast<int>(length))) return false;
  *view = bytes.substr(static_cast<size_t>(begin), length);
  return true;
}

}  // namespace zhongcao::store
