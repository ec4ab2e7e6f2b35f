#include "tools/loadgen/requests.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <unordered_set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zhongcao::loadgen {

absl::StatusOr<std::vector<std::string>> ReadIdsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::vector<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view id = absl::StripAsciiWhitespace(line);
    if (id.empty() || id[0] == '#') continue;
    ids.emplace_back(id);
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  if (ids.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no ids"));
  return ids;
}

std::vector<std::string> NumberedIds(absl::string_view prefix, int64_t count, int width) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (int64_t i = 0; i < count; ++i) {
    ids.push_back(absl::StrFormat("%s%0*d", prefix, width, i));
  }
  return ids;
}

absl::StatusOr<RequestFactory> RequestFactory::Create(std::vector<std::string> users,
                                                      std::vector<std::string> items,
                                                      RequestShape shape,
                                                      const RequestMix& mix) {
  // The server's own limits (recommend.proto), checked here so that a bad
  // flag fails at once instead of as thousands of INVALID_ARGUMENT errors.
  if (shape.feed_count < 1 || shape.feed_count > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("feed_count: must be within 1..100, got ", shape.feed_count));
  }
  if (users.empty()) return absl::InvalidArgumentError("users: no user ids");
  const bool needs_items = mix.Uses(CallType::kGetRelated) ||
                           (mix.Uses(CallType::kRankProducts) && shape.rank_products > 0);
  if (needs_items && items.empty()) {
    return absl::InvalidArgumentError(
        "items: no item ids, and the mix has GetRelated or RankProducts");
  }
  if (mix.Uses(CallType::kRankProducts)) {
    if (shape.rank_products < 0 || shape.rank_products > 500) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rank_products: must be within 0..500, got ", shape.rank_products));
    }
    if (static_cast<size_t>(shape.rank_products) > items.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("rank_products: ", shape.rank_products,
                       " distinct ids wanted, only ", items.size(), " items"));
    }
  }
  if (mix.Uses(CallType::kFindLookalikes)) {
    if (shape.lookalike_seeds < 1 || shape.lookalike_seeds > 1000) {
      return absl::InvalidArgumentError(absl::StrCat(
          "lookalike_seeds: must be within 1..1000, got ", shape.lookalike_seeds));
    }
    if (static_cast<size_t>(shape.lookalike_seeds) > users.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("lookalike_seeds: ", shape.lookalike_seeds,
                       " distinct users wanted, only ", users.size(), " users"));
    }
  }
  if (mix.Uses(CallType::kUpsertItems)) {
    if (shape.upsert_batch < 1 || shape.upsert_batch > 1000) {
      return absl::InvalidArgumentError(
          absl::StrCat("upsert_batch: must be within 1..1000, got ", shape.upsert_batch));
    }
    if (shape.dim < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("dim: UpsertItems needs the server's dimension, got ", shape.dim));
    }
  }
  if (mix.Uses(CallType::kRecordEvents)) {
    if (shape.event_batch < 1 || shape.event_batch > 10000) {
      return absl::InvalidArgumentError(
          absl::StrCat("event_batch: must be within 1..10000, got ", shape.event_batch));
    }
    if (items.empty()) {
      return absl::InvalidArgumentError(
          "items: no item ids, and the mix has RecordEvents");
    }
  }
  RequestFactory factory;
  factory.users_ = std::move(users);
  factory.items_ = std::move(items);
  factory.shape_ = std::move(shape);
  return factory;
}

const std::string& RequestFactory::User(std::mt19937_64& rng) const {
  std::uniform_int_distribution<size_t> pick(0, users_.size() - 1);
  return users_[pick(rng)];
}

std::vector<size_t> RequestFactory::Distinct(size_t k, size_t n, std::mt19937_64& rng) {
  std::vector<size_t> out;
  out.reserve(k);
  std::unordered_set<size_t> taken;
  for (size_t j = n - k; j < n; ++j) {
    const size_t t = std::uniform_int_distribution<size_t>(0, j)(rng);
    const size_t chosen = taken.insert(t).second ? t : j;
    if (chosen == j) taken.insert(j);
    out.push_back(chosen);
  }
  return out;
}

v1::GetFeedRequest RequestFactory::Feed(std::mt19937_64& rng) const {
  // Always a first page: a page token would tie a request to the previous
  // response of the same user, and the point is many independent users.
  v1::GetFeedRequest request;
  request.set_user_id(User(rng));
  request.set_count(shape_.feed_count);
  if (!shape_.region.empty()) request.mutable_context()->set_region(shape_.region);
  return request;
}

v1::RankProductsRequest RequestFactory::Rank(std::mt19937_64& rng) const {
  v1::RankProductsRequest request;
  request.set_user_id(User(rng));
  if (!shape_.region.empty()) request.mutable_context()->set_region(shape_.region);
  if (shape_.rank_products == 0) {
    request.set_count(shape_.feed_count);
    return request;
  }
  for (size_t i :
       Distinct(static_cast<size_t>(shape_.rank_products), items_.size(), rng)) {
    request.add_product_ids(items_[i]);
  }
  return request;
}

v1::GetRelatedRequest RequestFactory::Related(std::mt19937_64& rng) const {
  v1::GetRelatedRequest request;
  std::uniform_int_distribution<size_t> pick(0, items_.size() - 1);
  request.set_item_id(items_[pick(rng)]);
  request.set_count(shape_.feed_count);
  if (!shape_.region.empty()) request.mutable_context()->set_region(shape_.region);
  return request;
}

v1::FindLookalikesRequest RequestFactory::Lookalikes(std::mt19937_64& rng) const {
  v1::FindLookalikesRequest request;
  for (size_t i :
       Distinct(static_cast<size_t>(shape_.lookalike_seeds), users_.size(), rng)) {
    request.add_seed_user_ids(users_[i]);
  }
  request.set_count(shape_.feed_count);
  if (!shape_.region.empty()) request.set_region(shape_.region);
  return request;
}

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

v1::UpsertItemsRequest RequestFactory::Upsert(std::mt19937_64& rng) const {
  v1::UpsertItemsRequest request;
  request.set_validate_only(shape_.validate_only);
  std::normal_distribution<float> normal;
  const int64_t now = NowMs();
  for (int i = 0; i < shape_.upsert_batch; ++i) {
    v1::Item& item = *request.add_items();
    // 64 random bits: new ids, not replacements, even across callers.
    item.set_id(absl::StrFormat("%s%016x", shape_.new_item_prefix, rng()));
    item.set_kind(v1::ITEM_KIND_NOTE);
    item.set_title("zhongcao_loadgen note");
    item.set_category("loadgen");
    item.set_created_at_ms(now);
    std::vector<float> v(static_cast<size_t>(shape_.dim));
    double norm = 0;
    for (float& x : v) {
      x = normal(rng);
      norm += static_cast<double>(x) * x;
    }
    const float scale = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 1.0f;
    for (float x : v) item.add_embedding(x * scale);
  }
  return request;
}

v1::RecordEventsRequest RequestFactory::Events(std::mt19937_64& rng) const {
  v1::RecordEventsRequest request;
  request.set_validate_only(shape_.validate_only);
  std::uniform_int_distribution<size_t> pick_item(0, items_.size() - 1);
  std::uniform_int_distribution<int> percent(0, 99);
  const int64_t now = NowMs();
  for (int i = 0; i < shape_.event_batch; ++i) {
    v1::Event& event = *request.add_events();
    event.set_user_id(User(rng));
    event.set_item_id(items_[pick_item(rng)]);
    const int p = percent(rng);
    v1::EventType type = v1::EVENT_TYPE_IMPRESSION;
    if (p >= 60) type = v1::EVENT_TYPE_CLICK;
    if (p >= 80) type = v1::EVENT_TYPE_DWELL;
    if (p >= 90) type = v1::EVENT_TYPE_LIKE;
    if (p >= 95) type = v1::EVENT_TYPE_SAVE;
    if (p >= 97) type = v1::EVENT_TYPE_ADD_TO_CART;
    if (p >= 99) type = v1::EVENT_TYPE_PURCHASE;
    event.set_type(type);
    if (type == v1::EVENT_TYPE_DWELL) event.set_dwell_ms(1000 + 100 * p);
    event.set_timestamp_ms(now);
  }
  return request;
}

int RequestFactory::RowsPerRequest(CallType type) const {
  switch (type) {
    case CallType::kUpsertItems:
      return shape_.upsert_batch;
    case CallType::kRecordEvents:
      return shape_.event_batch;
    default:
      return 1;
  }
}

}  // namespace zhongcao::loadgen
