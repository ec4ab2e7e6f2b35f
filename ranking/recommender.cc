#include "ranking/recommender.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "index/inner_product.h"
#include "ranking/exposure_record.h"
#include "ranking/filter/filters.h"
#include "ranking/id_hash.h"
#include "ranking/page/page_token.h"
#include "ranking/reranker/campaign_boost_reranker.h"
#include "ranking/reranker/creator_cap_reranker.h"
#include "ranking/reranker/kind_mix_reranker.h"
#include "ranking/reranker/mmr_reranker.h"
#include "ranking/scorer/score_contributions.h"
#include "ranking/session_vector.h"
#include "ranking/source/ann_source.h"
#include "ranking/source/campaign_source.h"
#include "ranking/source/covisit_source.h"
#include "ranking/source/fresh_source.h"
#include "ranking/source/recent_source.h"
#include "ranking/source/trending_source.h"
#include "ranking/stage_trace.h"

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

// The trend feature's board, shared with the store until it changes, so
// every request reads it whatever the weights (a learned model may use it).
// Shares of the best keep the feature in [0, 1] whatever the traffic, and
// finite at any request time. The request's region first; the board of all
// regions when it has none.
void ReadTrend(const store::FeatureStore& store, FeedContext* context) {
  if (!context->region.empty()) context->trend = store.TrendBoard(context->region);
  if (context->trend == nullptr || context->trend->top.empty()) {
    context->trend = store.TrendBoard("");
  }
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

float Dot(std::span<const float> a, std::span<const float> b) {
  if (a.empty() || b.size() != a.size()) return -2;
  return index::InnerProduct(a.data(), b.data(), a.size());
}

const char* PastTense(v1::EventType type) {
  switch (type) {
    case v1::EVENT_TYPE_PURCHASE:
      return "bought";
    case v1::EVENT_TYPE_ADD_TO_CART:
      return "added to your cart";
    case v1::EVENT_TYPE_SAVE:
      return "saved";
    case v1::EVENT_TYPE_LIKE:
      return "liked";
    case v1::EVENT_TYPE_SHARE:
      return "shared";
    case v1::EVENT_TYPE_COMMENT:
      return "commented on";
    default:
      return "viewed";
  }
}

// The reason shown with an item: the strongest story its sources and
// features tell, most personal first.
std::string Reason(const Candidate& c, const FeedContext& context) {
  const std::string in_region =
      context.region.empty() ? "" : absl::StrCat(" in ", context.region);
  if (context.following.contains(c.item->creator_id())) {
    if (c.creator != nullptr && !c.creator->name().empty()) {
      return absl::StrCat("from ", c.creator->name(), ", whom you follow");
    }
    return "from a creator you follow";
  }
  for (const auto& [name, part] : c.added_contributions) {
    if (absl::StartsWith(name, "campaign:")) {
      return absl::StrCat("part of ", absl::string_view(name).substr(9));
    }
  }
  if (Has(c, "covisit")) return "often chosen together with your latest items";
  if (Has(c, "ann:session") && !context.session_items.empty()) {
    size_t best = 0;
    float best_sim = -2;
    for (size_t i = 0; i < context.session_item_embeddings.size(); ++i) {
      const float sim = Dot(context.session_item_embeddings[i], c.embedding);
      if (sim > best_sim) best_sim = sim, best = i;
    }
    return absl::StrCat("similar to an item you ",
                        PastTense(context.session_items[best].second));
  }
  if (Has(c, "trending")) return absl::StrCat("trending", in_region);
  if (Has(c, "ann:user")) return "matches your interests";
  if (EngagementFeature(c.Counters()) >= 0.3f) return absl::StrCat("popular", in_region);
  return absl::StrCat("new", in_region);
}

// `weights`: those the candidate was scored with (its arm's).
void Fill(const Candidate& c, std::string reason, const ScoringWeights& weights,
          v1::ScoredItem* out) {
  out->set_item_id(c.item_id);
  out->set_kind(c.item->kind());
  out->set_score(c.score);
  out->set_creator_id(c.item->creator_id());
  v1::Explanation* e = out->mutable_explanation();
  for (const std::string& source : c.sources) e->add_sources(source);
  e->set_reason(std::move(reason));
  for (auto& [name, part] : ScoreContributions(c, weights)) {
    (*e->mutable_contributions())[std::move(name)] = part;
  }
}

void AddArms(const std::vector<ArmChoice>& choices,
             google::protobuf::RepeatedPtrField<v1::ArmAssignment>* out) {
  for (const ArmChoice& choice : choices) {
    v1::ArmAssignment* arm = out->Add();
    arm->set_experiment(choice.experiment);
    arm->set_arm(choice.arm);
    arm->set_forced(choice.forced);
    arm->set_interleaved(choice.interleaved);
  }
}

// Two arms can share one retrieval (sources, filters, hydration) when
// nothing that retrieval or the request context depends on differs.
bool SameRetrieval(const FeedSettings& a, const FeedSettings& b) {
  return a.budgets == b.budgets && a.session_events == b.session_events &&
         a.session_half_life_minutes == b.session_half_life_minutes &&
         a.rerank.campaign_boost == b.rerank.campaign_boost;
}

FeedPipelineStages FeedStages(const store::FeatureStore& store,
                              const RecommenderOptions& options,
                              const RankerModelSlot& ranker) {
  FeedPipelineStages stages;
  auto add = [&](std::unique_ptr<CandidateSource> source,
                 std::function<int(const SourceBudgets&, bool)> budget) {
    stages.sources.push_back({std::move(source), std::move(budget)});
  };
  add(std::make_unique<AnnUserSource>(),
      [](const SourceBudgets& b, bool cold) { return cold ? 0 : b.ann_user; });
  add(std::make_unique<AnnSessionSource>(),
      [](const SourceBudgets& b, bool) { return b.ann_session; });
  add(std::make_unique<FollowingSource>(store, options.following),
      [](const SourceBudgets& b, bool) { return b.following; });
  add(std::make_unique<TrendingSource>(store), [](const SourceBudgets& b, bool cold) {
    return cold ? b.cold_start_trending : b.trending;
  });
  add(std::make_unique<FreshSource>(store),
      [](const SourceBudgets& b, bool) { return b.fresh; });
  add(std::make_unique<CampaignSource>(store),
      [](const SourceBudgets& b, bool) { return b.campaign; });
  add(std::make_unique<RecentSource>(store), [](const SourceBudgets& b, bool cold) {
    return cold ? b.cold_start_recent : b.recent;
  });
  add(std::make_unique<CovisitSource>(),
      [](const SourceBudgets& b, bool) { return b.covisit; });
  if (options.extra_sources) {
    for (SourceStage& stage : options.extra_sources())
      stages.sources.push_back(std::move(stage));
  }
  stages.filters.push_back(std::make_unique<SeenFilter>());
  stages.filters.push_back(std::make_unique<ServedFilter>());
  stages.filters.push_back(std::make_unique<ExistsFilter>());
  stages.filters.push_back(std::make_unique<KindFilter>());
  stages.filters.push_back(std::make_unique<RegionFilter>());
  stages.filters.push_back(std::make_unique<AvailabilityFilter>());
  stages.filters.push_back(std::make_unique<ShoppableFilter>());
  stages.filters.push_back(std::make_unique<BlockedCreatorFilter>());
  stages.scorer = std::make_unique<ModelOrWeightedScorer>(ranker);
  stages.rerankers.push_back(std::make_unique<CampaignBoostReRanker>());
  stages.rerankers.push_back(std::make_unique<MmrReRanker>());
  stages.rerankers.push_back(std::make_unique<CreatorCapReRanker>());
  stages.rerankers.push_back(std::make_unique<KindMixReRanker>());
  return stages;
}

}  // namespace

Recommender::Recommender(const store::FeatureStore& store,
                         const index::ServingIndex& items,
                         const index::VectorIndex& users, RecommenderOptions options)
    : store_(store),
      items_(items),
      users_(users),
      options_(std::move(options)),
      hydrator_(store),
      feed_(std::make_unique<FeedPipeline>(FeedStages(store, options_, *ranker_),
                                           FeatureHydrator(store),
                                           options_.source_threads)) {}

absl::StatusOr<RankerModelInfo> Recommender::LoadRankerModel(
    const std::string& path) const {
  absl::StatusOr<std::shared_ptr<const RankerModel>> model = ranker_->Load(path);
  if (!model.ok()) return model.status();
  return (*model)->info();
}

absl::StatusOr<FeedSettings> Recommender::SettingsFor(
    const std::string& user_id, v1::Surface surface,
    const google::protobuf::Map<std::string, std::string>& force_arms,
    std::vector<ArmChoice>* arms) const {
  FeedSettings settings = options_.settings;
  if (auto it = options_.surface_settings.find(surface);
      it != options_.surface_settings.end()) {
    for (const auto& [name, value] : it->second) {
      // Checked when the configuration was read.
      (void)SetFeedSetting(name, value, &settings);
    }
  }
  absl::StatusOr<std::vector<ArmChoice>> chosen =
      options_.experiments.Assign(user_id, force_arms, &settings);
  if (!chosen.ok()) return chosen.status();
  *arms = *std::move(chosen);
  return settings;
}

absl::StatusOr<std::shared_ptr<FeedContext>> Recommender::MakeContext(
    const std::string& user_id, const v1::Context& request,
    const FeedSettings& settings) const {
  auto context = std::make_shared<FeedContext>();
  context->item_index = items_.Current();
  const int dim = context->item_index->index->dim();
  context->user_id = user_id;
  absl::StatusOr<store::UserRecord> user = store_.ReadUser(user_id);
  if (!user.ok()) return user.status();
  context->user = *std::move(user);
  context->now_ms = request.now_ms() > 0 ? request.now_ms() : NowMs();
  context->surface = request.surface();
  context->region = request.region();
  if (const auto& profile = context->user.user; profile.has_value()) {
    if (context->region.empty()) context->region = profile->region();
    context->user_vector.assign(profile->embedding().begin(), profile->embedding().end());
    context->following.insert(profile->following_creator_ids().begin(),
                              profile->following_creator_ids().end());
    context->blocked.insert(profile->blocked_creator_ids().begin(),
                            profile->blocked_creator_ids().end());
  }
  if (!context->user_vector.empty() &&
      static_cast<int>(context->user_vector.size()) != dim) {
    context->user_vector.clear();  // a vector of another dimension: cold start
  }
  for (const store::RecentEvent& event : context->user.history.events()) {
    context->seen.insert(event.item_id());
  }
  if (!context->seen.empty() &&
      (settings.budgets.ann_user > 0 || settings.budgets.ann_session > 0)) {
    const std::vector<absl::string_view> seen(context->seen.begin(), context->seen.end());
    context->seen_in_index = context->item_index->index->Resolve(seen);
  }
  // Co-occurrence with the latest items: one read of their rows, shared by
  // the covisit source and the scorer.
  if (settings.budgets.covisit > 0 || settings.weights.covisit != 0) {
    absl::StatusOr<CovisitAffinity> covisit = ComputeCovisitAffinity(
        store_, context->user.history, settings.covisit, context->now_ms, context->seen);
    if (!covisit.ok()) return covisit.status();
    context->covisit = *std::move(covisit);
  }

  ReadTrend(store_, context.get());

  // The session: one read of the items behind the user's latest events.
  const std::vector<std::string> session_ids =
      SessionItemIds(context->user.history, settings.session_events);
  if (!session_ids.empty()) {
    absl::StatusOr<std::vector<store::ItemRecord>> records =
        store_.ReadItems(session_ids);
    if (!records.ok()) return records.status();
    const std::vector<std::vector<float>> vectors =
        context->item_index->index->Vectors(session_ids);
    SessionVector session =
        BuildSessionVector(context->user.history, session_ids, vectors, context->now_ms,
                           settings.session_half_life_minutes, settings.session_events,
                           settings.session_position_decay);
    if (static_cast<int>(session.vector.size()) == dim) {
      context->session_vector = std::move(session.vector);
    }
    absl::flat_hash_map<std::string, size_t> position;
    std::vector<double> prices;
    for (size_t i = 0; i < records->size(); ++i) {
      const store::ItemRecord& record = (*records)[i];
      if (record.item == nullptr) continue;
      position[record.item->id()] = i;
      if (record.item->kind() == v1::ITEM_KIND_PRODUCT &&
          record.item->product().price_cents() > 0) {
        prices.push_back(static_cast<double>(record.item->product().price_cents()));
      }
    }
    for (auto& [id, type] : session.items) {
      auto at = position.find(id);
      if (at == position.end()) continue;
      context->session_items.emplace_back(id, type);
      context->session_item_embeddings.push_back(vectors[at->second]);
    }
    if (!prices.empty()) {
      std::nth_element(prices.begin(), prices.begin() + prices.size() / 2, prices.end());
      context->typical_price_cents = prices[prices.size() / 2];
    }
  }
  for (const Campaign& campaign : options_.campaigns) {
    if (!campaign.OpenAt(context->now_ms)) continue;
    context->open_campaigns.push_back(campaign);
    if (campaign.boost_from_settings) {
      context->open_campaigns.back().boost = settings.rerank.campaign_boost;
    }
  }
  return context;
}

absl::Status Recommender::GetFeed(const v1::GetFeedRequest& request,
                                  std::chrono::steady_clock::time_point deadline,
                                  v1::GetFeedResponse* answer) const {
  PageTokenState token;
  if (!request.page_token().empty()) {
    absl::StatusOr<PageTokenState> decoded =
        DecodePageToken(request.page_token(), request.user_id());
    if (!decoded.ok()) return decoded.status();
    token = *std::move(decoded);
  } else {
    token.set_user_hash(PageTokenUserHash(request.user_id()));
  }
  std::vector<ArmChoice> arms;
  absl::StatusOr<FeedSettings> settings_or = SettingsFor(
      request.user_id(), request.context().surface(), request.force_arms(), &arms);
  if (!settings_or.ok()) return settings_or.status();
  // Under interleaving, the request's context is made with the first arm's
  // settings; the second arm shares it or makes its own.
  const Experiment* interleaving = options_.experiments.Interleaving(arms);
  FeedSettings settings = *settings_or;
  if (interleaving != nullptr) Experiments::Apply(interleaving->arms[0], &settings);
  const StageTimer context_timer;
  absl::StatusOr<std::shared_ptr<FeedContext>> context =
      MakeContext(request.user_id(), request.context(), settings);
  if (!context.ok()) return context.status();
  const int64_t context_micros = context_timer.micros();
  FeedContext& ctx = **context;
  const int window = settings.rerank.creator_cap_session_items;
  auto prepare = [&](FeedContext& c) {
    c.kind_mask = KindMask(request.kinds());
    c.served.insert(token.served().begin(), token.served().end());
    for (int i = std::max(0, token.recent_creators_size() - window);
         i < token.recent_creators_size(); ++i) {
      if (token.recent_creators(i) != 0)
        ++c.session_creator_counts[token.recent_creators(i)];
    }
  };
  prepare(ctx);

  v1::GetFeedResponse& response = *answer;
  response.set_request_id(NewRequestId());
  response.set_index_version(ctx.item_index->name);
  AddArms(arms, response.mutable_arms());
  FeedRunReport report;
  auto* trace = request.debug() ? response.mutable_trace() : nullptr;
  AddTrace(trace, "context", 0, 0, context_micros);
  std::vector<Candidate> page;
  std::vector<std::string> item_arms;  // under interleaving, each item's arm
  std::vector<int> item_teams;         // and the arm's index
  FeedSettings arm_settings[2];        // under interleaving, each arm's
  bool more = false;
  std::shared_ptr<FeedContext> context_b;  // holds the creators B's items point to
  if (interleaving == nullptr) {
    absl::StatusOr<std::vector<Candidate>> ranked =
        feed_->Run(*context, settings, request.count(), deadline, trace, &report);
    if (!ranked.ok()) return ranked.status();
    const size_t take = std::min<size_t>(request.count(), ranked->size());
    more = ranked->size() > take;
    ranked->resize(take);
    page = *std::move(ranked);
  } else {
    absl::StatusOr<InterleavedPage> merged =
        InterleavedFeed(*interleaving, request, *settings_or, *context, prepare,
                        token.page(), deadline, trace, &report, &context_b);
    if (!merged.ok()) return merged.status();
    page = std::move(merged->items);
    more = merged->more;
    for (int team : merged->teams) item_arms.push_back(interleaving->arms[team].name);
    item_teams = merged->teams;
    for (int team : {0, 1}) {
      arm_settings[team] = *settings_or;
      Experiments::Apply(interleaving->arms[team], &arm_settings[team]);
    }
  }
  for (std::string& name : report.degraded_sources) {
    response.add_degraded_sources(std::move(name));
  }

  for (size_t i = 0; i < page.size(); ++i) {
    const Candidate& c = page[i];
    v1::ScoredItem* out = response.add_items();
    const ScoringWeights& weights =
        item_teams.empty() ? settings.weights : arm_settings[item_teams[i]].weights;
    Fill(c, Reason(c, ctx), weights, out);
    if (!item_arms.empty()) out->set_arm(item_arms[i]);
    token.add_served(ServedHash(c.item_id));
    token.add_recent_creators(
        c.item->creator_id().empty() ? 0 : CreatorHash(c.item->creator_id()));
  }
  const int excess = token.recent_creators_size() - window;
  if (excess > 0) {
    token.mutable_recent_creators()->erase(
        token.mutable_recent_creators()->begin(),
        token.mutable_recent_creators()->begin() + excess);
  }
  // A token remembers at most kMaxServedInToken items; rather than forget
  // some and serve them again, the feed session ends there.
  // Caps may shorten a page; the feed goes on while items within the caps
  // remain (re-rankers drop the ones over them).
  const int served_page = token.page();
  if (!page.empty() && more && token.served_size() <= kMaxServedInToken) {
    token.set_page(token.page() + 1);
    response.set_next_page_token(EncodePageToken(token));
  }
  if (options_.exposure_sink) {
    ServedResponse served{"GetFeed",
                          response.request_id(),
                          request.user_id(),
                          ctx.now_ms,
                          served_page,
                          request.context().surface(),
                          response.index_version(),
                          &arms,
                          interleaving == nullptr ? "" : interleaving->name};
    options_.exposure_sink(MakeExposure(served, page, item_arms));
  }
  return absl::OkStatus();
}

absl::StatusOr<InterleavedPage> Recommender::InterleavedFeed(
    const Experiment& experiment, const v1::GetFeedRequest& request,
    const FeedSettings& base, const std::shared_ptr<FeedContext>& context_a,
    const std::function<void(FeedContext&)>& prepare, int page,
    std::chrono::steady_clock::time_point deadline,
    google::protobuf::RepeatedPtrField<v1::StageTrace>* trace, FeedRunReport* report,
    std::shared_ptr<FeedContext>* context_b) const {
  FeedSettings settings[2] = {base, base};
  for (int team : {0, 1}) Experiments::Apply(experiment.arms[team], &settings[team]);
  std::shared_ptr<FeedContext> contexts[2] = {context_a, context_a};
  std::vector<Candidate> ranked[2];
  auto mark = [&](int team, const char* what) {
    if (trace == nullptr) return;
    trace->Add()->set_stage(absl::StrCat(what, ":", experiment.arms[team].name));
  };
  if (SameRetrieval(settings[0], settings[1])) {
    // One retrieval for both arms: sources and hydration are most of a
    // request's work, and two runs racing source deadlines could even find
    // different candidates.
    absl::StatusOr<std::vector<Candidate>> found =
        feed_->Retrieve(context_a, settings[0], deadline, trace, report);
    if (!found.ok()) return found.status();
    ranked[1] = *found;
    ranked[0] = *std::move(found);
  } else {
    absl::StatusOr<std::shared_ptr<FeedContext>> made =
        MakeContext(request.user_id(), request.context(), settings[1]);
    if (!made.ok()) return made.status();
    contexts[1] = *std::move(made);
    prepare(*contexts[1]);
    *context_b = contexts[1];
    for (int team : {0, 1}) {
      mark(team, "retrieve");
      absl::StatusOr<std::vector<Candidate>> found =
          feed_->Retrieve(contexts[team], settings[team], deadline, trace, report);
      if (!found.ok()) return found.status();
      ranked[team] = *std::move(found);
    }
    // A source left out of both runs is named once.
    std::vector<std::string>& degraded = report->degraded_sources;
    std::sort(degraded.begin(), degraded.end());
    degraded.erase(std::unique(degraded.begin(), degraded.end()), degraded.end());
  }
  for (int team : {0, 1}) {
    mark(team, "rank");
    feed_->Rank(contexts[team], settings[team], request.count(), trace, &ranked[team]);
  }
  return InterleaveCandidates(*context_a, settings[0].rerank, settings[1].rerank,
                              std::move(ranked[0]), std::move(ranked[1]), request.count(),
                              InterleavingSeed(experiment.salt, request.user_id(), page));
}

absl::StatusOr<v1::GetRelatedResponse> Recommender::GetRelated(
    const v1::GetRelatedRequest& request) const {
  const std::string ids[] = {request.item_id()};
  absl::StatusOr<std::vector<store::ItemRecord>> seed = store_.ReadItems(ids);
  if (!seed.ok()) return seed.status();
  const std::shared_ptr<const v1::Item>& item = (*seed)[0].item;
  if (item == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("item_id: item \"", request.item_id(), "\" does not exist"));
  }
  const v1::RelatedSignal signal = request.signal() == v1::RELATED_SIGNAL_UNSPECIFIED
                                       ? v1::RELATED_SIGNAL_BLEND
                                       : request.signal();
  const std::shared_ptr<const index::IndexVersion> version = items_.Current();
  const std::optional<std::vector<float>> query =
      version->index->Vector(request.item_id());
  if (signal == v1::RELATED_SIGNAL_EMBEDDING && !query.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("item_id: item \"", request.item_id(), "\" has no embedding yet"));
  }
  std::vector<Candidate> candidates;
  if (signal != v1::RELATED_SIGNAL_COVISIT && query.has_value()) {
    index::SearchFilter filter;
    filter.kind_mask = KindMask(request.kinds());
    filter.region = request.context().region();
    filter.available_only = true;
    filter.exclude_ids = {request.item_id()};
    absl::StatusOr<std::vector<index::Hit>> hits =
        version->index->Search(*query, request.count(), filter);
    if (!hits.ok()) return hits.status();
    for (index::Hit& hit : *hits) {
      Candidate c;
      c.item_id = std::move(hit.id);
      c.sources.emplace_back("ann:item");
      c.retrieval_similarity = hit.score;
      candidates.push_back(std::move(c));
    }
  }
  // Co-occurrence weights by item, for those the item's row names.
  absl::flat_hash_map<std::string, double> together;
  if (signal != v1::RELATED_SIGNAL_EMBEDDING) {
    const int64_t now_ms =
        request.context().now_ms() > 0 ? request.context().now_ms() : NowMs();
    absl::StatusOr<std::vector<store::CovisitRow>> rows = store_.ReadCovisit(ids, now_ms);
    if (!rows.ok()) return rows.status();
    absl::flat_hash_map<std::string, size_t> position;
    for (size_t i = 0; i < candidates.size(); ++i) position[candidates[i].item_id] = i;
    // Neighbours come best first. Without a kind or region filter, the
    // best 5 x count leave ample room for unavailable ones, and the rest
    // (up to 200) could only rank by also being embedding neighbours;
    // with a filter, any of them may be the first to pass it.
    const bool filtered = !request.kinds().empty() || !request.context().region().empty();
    const size_t new_candidates_wanted =
        filtered ? std::numeric_limits<size_t>::max()
                 : static_cast<size_t>(std::max(50, 5 * request.count()));
    size_t added = 0;
    for (const auto& [id, weight] : (*rows)[0].neighbors) {
      if (id == request.item_id() || weight <= 0) continue;
      if (auto it = position.find(id); it != position.end()) {
        together[id] = weight;
        candidates[it->second].sources.emplace_back("covisit");
        continue;
      }
      if (added == new_candidates_wanted) continue;
      ++added;
      together[id] = weight;
      Candidate c;
      c.item_id = id;
      c.sources.emplace_back("covisit");
      candidates.push_back(std::move(c));
    }
  }
  FeedContext context;
  context.kind_mask = KindMask(request.kinds());
  context.region = request.context().region();
  {
    // Items alone: related items are ordered by similarity and
    // co-occurrence, so their creators and linked products (most of what
    // the feed's hydration reads) would go unused.
    std::vector<std::string> item_ids;
    item_ids.reserve(candidates.size());
    for (const Candidate& c : candidates) item_ids.push_back(c.item_id);
    absl::StatusOr<std::vector<store::ItemRecord>> records = store_.ReadItems(item_ids);
    if (!records.ok()) return records.status();
    for (size_t i = 0; i < candidates.size(); ++i) {
      candidates[i].item = std::move((*records)[i].item);
    }
  }
  // The index searched with these filters already; items only the
  // co-occurrence row names need them here. Deleted items drop out too.
  const KindFilter kind;
  const RegionFilter region;
  const AvailabilityFilter available;
  std::erase_if(candidates, [&](const Candidate& c) {
    if (c.item == nullptr) return true;
    return !c.retrieval_similarity &&
           !(kind.Keep(c, context) && region.Keep(c, context) &&
             available.Keep(c, context));
  });
  bool any_similar = false;
  float best_similarity = 0;
  double best_together = 0;
  for (const Candidate& c : candidates) {
    if (c.retrieval_similarity) {
      any_similar = true;
      best_similarity = std::max(best_similarity, *c.retrieval_similarity);
    }
    if (auto it = together.find(c.item_id); it != together.end()) {
      best_together = std::max(best_together, it->second);
    }
  }
  // One signal alone keeps its own scores (EMBEDDING: the inner product, as
  // ever); with both, each is a share of its best, then mixed.
  const bool any_together = best_together > 0;
  const float blend = !any_together ? 0.0f
                      : !any_similar
                          ? 1.0f
                          : static_cast<float>(options_.settings.covisit.related_blend);
  for (Candidate& c : candidates) {
    c.score = 0;
    if (c.retrieval_similarity && blend < 1) {
      float similarity = *c.retrieval_similarity;
      if (any_together) {
        similarity =
            best_similarity > 0 ? std::max(0.0f, similarity) / best_similarity : 0;
      }
      c.added_contributions.emplace_back("similarity", (1 - blend) * similarity);
      c.score += (1 - blend) * similarity;
    }
    if (auto it = together.find(c.item_id); it != together.end() && blend > 0) {
      const float share = static_cast<float>(it->second / best_together);
      c.added_contributions.emplace_back("covisit", blend * share);
      c.score += blend * share;
    }
  }
  std::stable_sort(
      candidates.begin(), candidates.end(),
      [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  if (static_cast<int>(candidates.size()) > request.count()) {
    candidates.resize(request.count());
  }
  v1::GetRelatedResponse response;
  response.set_request_id(NewRequestId());
  response.set_index_version(version->name);
  const std::string& title = item->title().empty() ? request.item_id() : item->title();
  for (const Candidate& c : candidates) {
    Fill(c,
         Has(c, "ann:item") ? absl::StrCat("similar to ", title)
                            : absl::StrCat("often chosen together with ", title),
         options_.settings.weights, response.add_items());
  }
  return response;
}

absl::StatusOr<std::vector<Candidate>> Recommender::FindProducts(
    const v1::RankProductsRequest& request, const FeedContext& context) const {
  std::vector<Candidate> found;
  std::vector<std::string> exclude;
  std::vector<float> query;
  auto add = [&](const std::string& id, const char* source) {
    if (std::find(exclude.begin(), exclude.end(), id) != exclude.end()) return;
    Candidate c;
    c.item_id = id;
    c.sources.emplace_back(source);
    found.push_back(std::move(c));
    exclude.push_back(id);
  };
  if (!request.content_item_id().empty()) {
    const std::string ids[] = {request.content_item_id()};
    absl::StatusOr<std::vector<store::ItemRecord>> content = store_.ReadItems(ids);
    if (!content.ok()) return content.status();
    const std::shared_ptr<const v1::Item>& item = (*content)[0].item;
    if (item == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          "content_item_id: item \"", request.content_item_id(), "\" does not exist"));
    }
    if (item->kind() == v1::ITEM_KIND_PRODUCT) {
      return absl::InvalidArgumentError(
          absl::StrCat("content_item_id: \"", item->id(),
                       "\" is a product; GetRelated finds products like it"));
    }
    exclude.push_back(item->id());
    for (const std::string& id : item->linked_product_ids()) add(id, "linked");
    // Without an embedding the post's own products are all there is.
    std::optional<std::vector<float>> vector =
        context.item_index->index->Vector(item->id());
    if (!vector.has_value()) return found;
    query = *std::move(vector);
  } else if (!context.user_vector.empty()) {
    query = context.user_vector;
  } else {
    query = context.session_vector;
  }
  if (!query.empty()) {
    index::SearchFilter filter;
    filter.kind_mask = 1u << v1::ITEM_KIND_PRODUCT;
    filter.region = context.region;
    filter.available_only = true;
    filter.exclude_ids = exclude;
    absl::StatusOr<std::vector<index::Hit>> hits =
        context.item_index->index->Search(query, request.count(), filter);
    if (!hits.ok()) return hits.status();
    for (const index::Hit& hit : *hits) add(hit.id, "ann:product");
  } else {
    // A cold-start user: the newest products.
    absl::StatusOr<std::vector<store::TimedItemId>> newest = store_.NewestItems(1000);
    if (!newest.ok()) return newest.status();
    for (const store::TimedItemId& id : *newest) add(id.item_id, "recent");
  }
  return found;
}

absl::StatusOr<v1::RankProductsResponse> Recommender::RankProducts(
    const v1::RankProductsRequest& request) const {
  std::vector<ArmChoice> arms;
  absl::StatusOr<FeedSettings> settings_or = SettingsFor(
      request.user_id(), request.context().surface(), request.force_arms(), &arms);
  if (!settings_or.ok()) return settings_or.status();
  const FeedSettings& settings = *settings_or;
  absl::StatusOr<std::shared_ptr<FeedContext>> context =
      MakeContext(request.user_id(), request.context(), settings);
  if (!context.ok()) return context.status();
  FeedContext& ctx = **context;
  const bool given = request.product_ids_size() > 0;
  std::vector<Candidate> candidates;
  if (given) {
    for (const std::string& id : request.product_ids()) {
      Candidate c;
      c.item_id = id;
      c.sources.emplace_back("request");
      candidates.push_back(std::move(c));
    }
  } else {
    absl::StatusOr<std::vector<Candidate>> found = FindProducts(request, ctx);
    if (!found.ok()) return found.status();
    candidates = *std::move(found);
  }
  if (absl::Status s = hydrator_.Hydrate(&ctx, &candidates); !s.ok()) return s;
  v1::RankProductsResponse response;
  response.set_request_id(NewRequestId());
  response.set_index_version(ctx.item_index->name);
  AddArms(arms, response.mutable_arms());
  const RegionFilter region;
  const AvailabilityFilter available;
  std::vector<Candidate> rankable;
  for (Candidate& c : candidates) {
    const char* why = nullptr;
    if (c.item == nullptr) {
      why = "not found";
    } else if (c.item->kind() != v1::ITEM_KIND_PRODUCT) {
      why = "not a product";
    } else if (!available.Keep(c, ctx)) {
      why = "unavailable or out of stock";
    } else if (!region.Keep(c, ctx)) {
      why = "not sold in this region";
    }
    if (why == nullptr) {
      rankable.push_back(std::move(c));
    } else if (given || Has(c, "linked")) {
      (*response.mutable_excluded())[c.item_id] = why;
    }
  }
  // The products a post features come first ("shop this look"), then the
  // others, each group best first.
  auto rank = [&](const FeedSettings& with, std::vector<Candidate>* list) {
    scorer_.Score(ctx, with.weights, list);
    std::sort(list->begin(), list->end(), [](const Candidate& a, const Candidate& b) {
      const bool a_linked = Has(a, "linked");
      if (a_linked != Has(b, "linked")) return a_linked;
      return BetterScore(a, b);
    });
    if (!given && static_cast<int>(list->size()) > request.count()) {
      list->resize(request.count());
    }
  };
  const Experiment* interleaving = options_.experiments.Interleaving(arms);
  std::vector<std::string> item_arms;  // under interleaving, each item's arm
  std::vector<int> item_teams;         // and the arm's index
  FeedSettings arm_settings[2];        // under interleaving, each arm's
  if (interleaving == nullptr) {
    rank(settings, &rankable);
  } else {
    std::vector<Candidate> lists[2] = {rankable, std::move(rankable)};
    std::vector<std::string> ids[2];
    absl::flat_hash_set<std::string> linked;
    for (int team : {0, 1}) {
      arm_settings[team] = settings;
      Experiments::Apply(interleaving->arms[team], &arm_settings[team]);
      rank(arm_settings[team], &lists[team]);
      for (const Candidate& c : lists[team]) {
        ids[team].push_back(c.item_id);
        if (Has(c, "linked")) linked.insert(c.item_id);
      }
    }
    // Featured products stay first: the others wait until they are taken.
    auto allowed = [&](const std::vector<DraftPick>& so_far, const DraftPick& next) {
      if (linked.empty() || linked.contains(ids[next.team][next.index])) return true;
      size_t linked_taken = 0;
      for (const DraftPick& p : so_far)
        linked_taken += linked.contains(ids[p.team][p.index]);
      return linked_taken == linked.size();
    };
    const std::vector<DraftPick> picks =
        TeamDraft(ids[0], ids[1], std::max(lists[0].size(), lists[1].size()),
                  InterleavingSeed(interleaving->salt, request.user_id(), 0), allowed);
    rankable.clear();
    for (const DraftPick& pick : picks) {
      rankable.push_back(std::move(lists[pick.team][pick.index]));
      item_arms.push_back(interleaving->arms[pick.team].name);
      item_teams.push_back(pick.team);
    }
  }
  for (size_t i = 0; i < rankable.size(); ++i) {
    const Candidate& c = rankable[i];
    v1::ScoredItem* out = response.add_items();
    const ScoringWeights& weights =
        item_teams.empty() ? settings.weights : arm_settings[item_teams[i]].weights;
    Fill(c, Has(c, "linked") ? "featured in this post" : Reason(c, ctx), weights, out);
    if (!item_arms.empty()) out->set_arm(item_arms[i]);
  }
  if (options_.exposure_sink) {
    ServedResponse served{"RankProducts",
                          response.request_id(),
                          request.user_id(),
                          ctx.now_ms,
                          0,
                          request.context().surface(),
                          response.index_version(),
                          &arms,
                          interleaving == nullptr ? "" : interleaving->name};
    options_.exposure_sink(MakeExposure(served, rankable, item_arms));
  }
  return response;
}

absl::StatusOr<v1::FindLookalikesResponse> Recommender::FindLookalikes(
    const v1::FindLookalikesRequest& request) const {
  v1::FindLookalikesResponse response;
  std::vector<float> mean(users_.dim(), 0.0f);
  int with_vector = 0;
  for (const std::string& seed : request.seed_user_ids()) {
    std::optional<std::vector<float>> v = users_.Vector(seed);
    if (!v.has_value()) {
      response.add_seeds_without_vector(seed);
      continue;
    }
    for (size_t i = 0; i < mean.size(); ++i) mean[i] += (*v)[i];
    ++with_vector;
  }
  if (with_vector == 0) {
    return absl::FailedPreconditionError(
        "seed_user_ids: no seed user has a long-term vector");
  }
  float norm = 0;
  for (float x : mean) norm += x * x;
  norm = std::sqrt(norm);
  if (norm > 0) {
    for (float& x : mean) x /= norm;
  }
  index::SearchFilter filter;
  filter.region = request.region();
  filter.exclude_ids.assign(request.seed_user_ids().begin(),
                            request.seed_user_ids().end());
  absl::StatusOr<std::vector<index::Hit>> hits =
      users_.Search(mean, request.count(), filter);
  if (!hits.ok()) return hits.status();
  for (const index::Hit& hit : *hits) {
    v1::LookalikeUser* user = response.add_users();
    user->set_user_id(hit.id);
    user->set_score(hit.score);
  }
  return response;
}

}  // namespace zhongcao::ranking
