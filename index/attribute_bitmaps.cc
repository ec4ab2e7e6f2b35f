#include "index/attribute_bitmaps.h"

#include <cstring>
#include <stdexcept>

namespace zhongcao::index {
namespace {

void AppendBitmap(const Roaring& bitmap, std::string* out) {
  const uint64_t size = bitmap.getSizeInBytes(/*portable=*/true);
  out->append(reinterpret_cast<const char*>(&size), sizeof(size));
  const size_t at = out->size();
  out->resize(at + size);
  bitmap.write(out->data() + at, /*portable=*/true);
}

void AppendString(const std::string& s, std::string* out) {
  const uint64_t size = s.size();
  out->append(reinterpret_cast<const char*>(&size), sizeof(size));
  out->append(s);
}

// Reads what AppendBitmap/AppendString wrote, refusing to read past the end.
class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}

  bool Size(uint64_t* size) {
    if (bytes_.size() - at_ < sizeof(*size)) return false;
    std::memcpy(size, bytes_.data() + at_, sizeof(*size));
    at_ += sizeof(*size);
    return *size <= bytes_.size() - at_;
  }
  bool Bitmap(Roaring* bitmap) {
    uint64_t size;
    if (!Size(&size)) return false;
    try {
      *bitmap = Roaring::readSafe(bytes_.data() + at_, size);
    } catch (const std::exception&) {
      return false;
    }
    at_ += size;
    return true;
  }
  bool String(std::string* s) {
    uint64_t size;
    if (!Size(&size)) return false;
    s->assign(bytes_.data() + at_, size);
    at_ += size;
    return true;
  }
  bool AtEnd() const { return at_ == bytes_.size(); }

 private:
  const std::string& bytes_;
  size_t at_ = 0;
};

}  // namespace

std::shared_ptr<const Roaring> AttributeBitmaps::AllowedMemo::Find(const Key& key) const {
  absl::MutexLock lock(&mu_);
  auto it = answers_.find(key);
  return it == answers_.end() ? nullptr : it->second;
}

void AttributeBitmaps::AllowedMemo::Put(const Key& key,
                                        std::shared_ptr<const Roaring> answer) const {
  absl::MutexLock lock(&mu_);
  if (answers_.size() >= kMaxAnswers) answers_.clear();
  answers_.emplace(key, std::move(answer));
}

void AttributeBitmaps::AllowedMemo::Clear() const {
  absl::MutexLock lock(&mu_);
  answers_.clear();
}

void AttributeBitmaps::ClearAttributes(uint32_t id) {
  allowed_.Clear();
  available_.remove(id);
  everywhere_.remove(id);
  for (Roaring& kind : kinds_) kind.remove(id);
  for (Roaring& region : regions_) region.remove(id);
}

void AttributeBitmaps::Set(uint32_t id, const ItemAttributes& attributes) {
  ClearAttributes(id);
  live_.add(id);
  if (attributes.available) available_.add(id);
  kinds_[attributes.kind].add(id);  // VectorIndex::Apply checks the range
  if (attributes.regions.empty()) everywhere_.add(id);
  for (const std::string& name : attributes.regions) {
    auto [it, inserted] = region_index_.try_emplace(name, regions_.size());
    if (inserted) {
      region_names_.push_back(name);
      regions_.emplace_back();
    }
    regions_[it->second].add(id);
  }
}

void AttributeBitmaps::Kill(uint32_t id) {
  ClearAttributes(id);
  live_.remove(id);
}

std::shared_ptr<const Roaring> AttributeBitmaps::Allowed(
    const SearchFilter& filter) const {
  int64_t region = kAnyRegion;
  if (!filter.region.empty()) {
    auto it = region_index_.find(filter.region);
    region =
        it == region_index_.end() ? kUnknownRegion : static_cast<int64_t>(it->second);
  }
  const AllowedMemo::Key key{filter.kind_mask & 0xFF, region, filter.available_only};
  if (std::shared_ptr<const Roaring> known = allowed_.Find(key)) return known;
  auto answer = std::make_shared<const Roaring>(ComputeAllowed(filter, region));
  allowed_.Put(key, answer);
  return answer;
}

Roaring AttributeBitmaps::ComputeAllowed(const SearchFilter& filter,
                                         int64_t region) const {
  Roaring allowed;
  if ((filter.kind_mask & 0xFF) != 0xFF) {
    // One lazy union, then one intersection: OR-ing kinds one by one into
    // a copy of `live_` cost ~300 us per search at 1M items.
    const Roaring* kinds[kMaxKinds];
    size_t n = 0;
    for (int k = 0; k < kMaxKinds; ++k) {
      if (filter.kind_mask & (1u << k)) kinds[n++] = &kinds_[k];
    }
    if (n > 3) {
      allowed = Roaring::fastunion(n, kinds);
    } else if (n > 0) {
      allowed = *kinds[0];
      for (size_t i = 1; i < n; ++i) allowed |= *kinds[i];
    }
    allowed &= live_;
  } else {
    allowed = live_;
  }
  if (region == kUnknownRegion) {
    allowed &= everywhere_;
  } else if (region != kAnyRegion) {
    allowed &= (regions_[region] | everywhere_);
  }
  if (filter.available_only) allowed &= available_;
  return allowed;
}

uint64_t AttributeBitmaps::LiveCountIn(uint32_t begin, uint32_t end) const {
  if (begin >= end) return 0;
  const uint64_t upto_end = live_.rank(end - 1);
  const uint64_t before = begin == 0 ? 0 : live_.rank(begin - 1);
  return upto_end - before;
}

ItemAttributes AttributeBitmaps::Get(uint32_t id) const {
  ItemAttributes attributes;
  attributes.available = available_.contains(id);
  for (int k = 0; k < kMaxKinds; ++k) {
    if (kinds_[k].contains(id)) attributes.kind = k;
  }
  for (size_t r = 0; r < regions_.size(); ++r) {
    if (regions_[r].contains(id)) attributes.regions.push_back(region_names_[r]);
  }
  return attributes;
}

std::string AttributeBitmaps::Serialize() const {
  std::string out;
  AppendBitmap(live_, &out);
  AppendBitmap(available_, &out);
  AppendBitmap(everywhere_, &out);
  for (const Roaring& kind : kinds_) AppendBitmap(kind, &out);
  for (size_t r = 0; r < regions_.size(); ++r) {
    AppendString(region_names_[r], &out);
    AppendBitmap(regions_[r], &out);
  }
  return out;
}

bool AttributeBitmaps::Deserialize(const std::string& bytes, AttributeBitmaps* out) {
  AttributeBitmaps result;
  Reader reader(bytes);
  if (!reader.Bitmap(&result.live_) || !reader.Bitmap(&result.available_) ||
      !reader.Bitmap(&result.everywhere_)) {
    return false;
  }
  for (Roaring& kind : result.kinds_) {
    if (!reader.Bitmap(&kind)) return false;
  }
  while (!reader.AtEnd()) {
    std::string name;
    Roaring region;
    if (!reader.String(&name) || !reader.Bitmap(&region)) return false;
    result.region_index_[name] = result.regions_.size();
    result.region_names_.push_back(std::move(name));
    result.regions_.push_back(std::move(region));
  }
  *out = std::move(result);
  return true;
}

}  // namespace zhongcao::index
