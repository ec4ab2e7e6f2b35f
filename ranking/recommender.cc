#include "ranking/recommender.h"

#include <chrono>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ranking/filter/filters.h"
#include "ranking/page/page_token.h"
#include "ranking/source/ann_user_source.h"
#include "ranking/source/recent_source.h"

namespace zhongcao::ranking {
namespace {

std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrFormat("%016x", rng());
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint32_t KindMask(const google::protobuf::RepeatedField<int>& kinds) {
  if (kinds.empty()) return 0xFF;
  uint32_t mask = 0;
  for (int kind : kinds) mask |= 1u << kind;
  return mask;
}

bool Has(const Candidate& c, absl::string_view source) {
  return std::find(c.sources.begin(), c.sources.end(), source) != c.sources.end();
}

std::string Reason(const Candidate& c, const FeedContext& context) {
  if (context.following.contains(c.item->creator_id())) {
    if (c.creator != nullptr && !c.creator->name().empty()) {
      return absl::StrCat("from ", c.creator->name(), ", whom you follow");
    }
    return "from a creator you follow";
  }
  if (Has(c, "ann:user")) return "matches your interests";
  const std::string where =
      context.region.empty() ? "" : absl::StrCat(" in ", context.region);
  if (EngagementFeature(c.counters, *c.item) >= 0.3f) {
    return absl::StrCat("popular", where);
  }
  return absl::StrCat("new", where);
}

void Fill(const Candidate& c, std::string reason, v1::ScoredItem* out) {
  out->set_item_id(c.item_id);
  out->set_kind(c.item->kind());
  out->set_score(c.score);
  out->set_creator_id(c.item->creator_id());
  v1::Explanation* e = out->mutable_explanation();
  for (const std::string& source : c.sources) e->add_sources(source);
  e->set_reason(std::move(reason));
  for (const auto& [name, part] : c.contributions) {
    (*e->mutable_contributions())[name] = part;
  }
}

}  // namespace

Recommender::Recommender(const store::FeatureStore& store,
                         const index::VectorIndex& index, RecommenderOptions options)
    : store_(store),
      index_(index),
      options_(options),
      hydrator_(store),
      scorer_(options.weights) {
  std::vector<SourceStage> sources;
  sources.push_back({std::make_unique<AnnUserSource>(index), options.ann_budget, 0});
  sources.push_back({std::make_unique<FollowingSource>(store, options.following),
                     options.following_budget, options.following_budget});
  sources.push_back({std::make_unique<RecentSource>(store), options.recent_budget,
                     options.cold_start_recent_budget});
  std::vector<std::unique_ptr<Filter>> filters;
  filters.push_back(std::make_unique<SeenFilter>());
  filters.push_back(std::make_unique<ServedFilter>());
  filters.push_back(std::make_unique<ExistsFilter>());
  filters.push_back(std::make_unique<KindFilter>());
  filters.push_back(std::make_unique<RegionFilter>());
  filters.push_back(std::make_unique<AvailabilityFilter>());
  filters.push_back(std::make_unique<BlockedCreatorFilter>());
  feed_ = std::make_unique<FeedPipeline>(
      std::move(sources), std::move(filters), FeatureHydrator(store),
      std::make_unique<WeightedScorer>(options.weights));
}

absl::StatusOr<FeedContext> Recommender::MakeContext(const std::string& user_id,
                                                     const v1::Context& request) const {
  FeedContext context;
  context.user_id = user_id;
  absl::StatusOr<store::UserRecord> user = store_.ReadUser(user_id);
  if (!user.ok()) return user.status();
  context.user = *std::move(user);
  context.now_ms = request.now_ms() > 0 ? request.now_ms() : NowMs();
  context.surface = request.surface();
  context.region = request.region();
  if (const auto& profile = context.user.user; profile.has_value()) {
    if (context.region.empty()) context.region = profile->region();
    context.user_vector.assign(profile->embedding().begin(), profile->embedding().end());
    context.following.insert(profile->following_creator_ids().begin(),
                             profile->following_creator_ids().end());
    context.blocked.insert(profile->blocked_creator_ids().begin(),
                           profile->blocked_creator_ids().end());
  }
  if (!context.user_vector.empty() &&
      static_cast<int>(context.user_vector.size()) != index_.dim()) {
    context.user_vector.clear();  // stale vector of another dimension: cold start
  }
  for (const store::RecentEvent& event : context.user.history.events()) {
    context.seen.insert(event.item_id());
  }
  return context;
}

absl::StatusOr<v1::GetFeedResponse> Recommender::GetFeed(
    const v1::GetFeedRequest& request) const {
  PageTokenState token;
  if (!request.page_token().empty()) {
    absl::StatusOr<PageTokenState> decoded =
        DecodePageToken(request.page_token(), request.user_id());
    if (!decoded.ok()) return decoded.status();
    token = *std::move(decoded);
  } else {
    token.set_user_hash(PageTokenUserHash(request.user_id()));
  }
  absl::StatusOr<FeedContext> context = MakeContext(request.user_id(), request.context());
  if (!context.ok()) return context.status();
  context->kind_mask = KindMask(request.kinds());
  context->served.insert(token.served().begin(), token.served().end());

  v1::GetFeedResponse response;
  response.set_request_id(NewRequestId());
  absl::StatusOr<std::vector<Candidate>> ranked =
      feed_->Run(&*context, request.debug() ? response.mutable_trace() : nullptr);
  if (!ranked.ok()) return ranked.status();

  const int take = std::min<int>(request.count(), ranked->size());
  for (int i = 0; i < take; ++i) {
    const Candidate& c = (*ranked)[i];
    Fill(c, Reason(c, *context), response.add_items());
    token.add_served(ServedHash(c.item_id));
  }
  // A token remembers at most kMaxServedInToken items; rather than forget
  // some and serve them again, the feed session ends there.
  if (take == request.count() && take > 0 && token.served_size() <= kMaxServedInToken) {
    token.set_page(token.page() + 1);
    response.set_next_page_token(EncodePageToken(token));
  }
  return response;
}

absl::StatusOr<v1::GetRelatedResponse> Recommender::GetRelated(
    const v1::GetRelatedRequest& request) const {
  const std::string ids[] = {request.item_id()};
  absl::StatusOr<std::vector<store::ItemRecord>> seed = store_.ReadItems(ids);
  if (!seed.ok()) return seed.status();
  const std::optional<v1::Item>& item = (*seed)[0].item;
  if (!item.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("item_id: item \"", request.item_id(), "\" does not exist"));
  }
  if (item->embedding().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("item_id: item \"", request.item_id(), "\" has no embedding yet"));
  }
  index::SearchFilter filter;
  filter.kind_mask = KindMask(request.kinds());
  filter.region = request.context().region();
  filter.available_only = true;
  filter.exclude_ids = {request.item_id()};
  const std::vector<float> query(item->embedding().begin(), item->embedding().end());
  absl::StatusOr<std::vector<index::Hit>> hits =
      index_.Search(query, request.count(), filter);
  if (!hits.ok()) return hits.status();

  std::vector<Candidate> candidates;
  for (index::Hit& hit : *hits) {
    Candidate c;
    c.item_id = std::move(hit.id);
    c.sources.emplace_back("ann:item");
    c.retrieval_similarity = hit.score;
    c.score = hit.score;
    c.contributions.emplace_back("similarity", hit.score);
    candidates.push_back(std::move(c));
  }
  FeedContext context;
  if (absl::Status s = hydrator_.Hydrate(&context, &candidates); !s.ok()) return s;
  v1::GetRelatedResponse response;
  response.set_request_id(NewRequestId());
  const std::string reason = absl::StrCat(
      "similar to ", item->title().empty() ? request.item_id() : item->title());
  for (const Candidate& c : candidates) {
    if (!c.item.has_value()) continue;  // deleted after the search
    Fill(c, reason, response.add_items());
  }
  return response;
}

absl::StatusOr<v1::RankProductsResponse> Recommender::RankProducts(
    const v1::RankProductsRequest& request) const {
  absl::StatusOr<FeedContext> context = MakeContext(request.user_id(), request.context());
  if (!context.ok()) return context.status();
  std::vector<Candidate> candidates;
  for (const std::string& id : request.product_ids()) {
    Candidate c;
    c.item_id = id;
    c.sources.emplace_back("request");
    candidates.push_back(std::move(c));
  }
  if (absl::Status s = hydrator_.Hydrate(&*context, &candidates); !s.ok()) return s;
  v1::RankProductsResponse response;
  response.set_request_id(NewRequestId());
  const RegionFilter region;
  const AvailabilityFilter available;
  std::vector<Candidate> rankable;
  for (Candidate& c : candidates) {
    const char* why = nullptr;
    if (!c.item.has_value()) {
      why = "not found";
    } else if (c.item->kind() != v1::ITEM_KIND_PRODUCT) {
      why = "not a product";
    } else if (!available.Keep(c, *context)) {
      why = "unavailable or out of stock";
    } else if (!region.Keep(c, *context)) {
      why = "not sold in this region";
    }
    if (why != nullptr) {
      (*response.mutable_excluded())[c.item_id] = why;
    } else {
      rankable.push_back(std::move(c));
    }
  }
  scorer_.Score(*context, &rankable);
  std::sort(rankable.begin(), rankable.end(), [](const Candidate& a, const Candidate& b) {
    return a.score != b.score ? a.score > b.score : a.item_id < b.item_id;
  });
  for (const Candidate& c : rankable) {
    Fill(c, Reason(c, *context), response.add_items());
  }
  return response;
}

}  // namespace zhongcao::ranking
