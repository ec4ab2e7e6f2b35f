#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/validation.h"
#include "tools/demo/catalog_generator.h"

namespace zhongcao::demo {
namespace {

// Small enough to generate in well under a second.
CatalogSpec SmallSpec() {
  CatalogSpec spec;
  spec.creators = 100;
  spec.products = 600;
  spec.content = 2400;
  spec.users = 300;
  return spec;
}

template <typename Message>
std::string Serialized(const std::vector<Message>& messages) {
  std::string out;
  for (const Message& m : messages) {
    const std::string bytes = m.SerializeAsString();
    absl::StrAppend(&out, bytes.size(), ":", bytes);
  }
  return out;
}

bool SameCatalog(const Catalog& a, const Catalog& b) {
  return Serialized(a.creators) == Serialized(b.creators) &&
         Serialized(a.items) == Serialized(b.items) &&
         Serialized(a.users) == Serialized(b.users) &&
         Serialized(a.events) == Serialized(b.events) &&
         Serialized(a.held_out) == Serialized(b.held_out);
}

double Norm(const google::protobuf::RepeatedField<float>& v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  return std::sqrt(sum);
}

bool IsPositive(v1::EventType type) {
  return type != v1::EVENT_TYPE_UNSPECIFIED && type != v1::EVENT_TYPE_IMPRESSION;
}

class DemoCatalogTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { catalog_ = new Catalog(GenerateCatalog(SmallSpec())); }
  static void TearDownTestSuite() {
    delete catalog_;
    catalog_ = nullptr;
  }
  static const Catalog& catalog() { return *catalog_; }

 private:
  static Catalog* catalog_;
};

Catalog* DemoCatalogTest::catalog_ = nullptr;

TEST_F(DemoCatalogTest, GenerateCatalog_SameSeed_GivesIdenticalCatalog) {
  EXPECT_TRUE(SameCatalog(catalog(), GenerateCatalog(SmallSpec())));
}

TEST_F(DemoCatalogTest, GenerateCatalog_OtherSeed_GivesOtherCatalog) {
  CatalogSpec spec = SmallSpec();
  spec.seed = 43;
  const Catalog other = GenerateCatalog(spec);
  EXPECT_NE(Serialized(catalog().items), Serialized(other.items));
  EXPECT_NE(Serialized(catalog().users), Serialized(other.users));
  EXPECT_NE(Serialized(catalog().events), Serialized(other.events));
}

TEST_F(DemoCatalogTest, GenerateCatalog_MoreEvents_LeavesItemsAlone) {
  CatalogSpec spec = SmallSpec();
  spec.events_per_user = 50;
  const Catalog other = GenerateCatalog(spec);
  EXPECT_EQ(Serialized(catalog().items), Serialized(other.items));
  EXPECT_EQ(Serialized(catalog().users), Serialized(other.users));
}

TEST_F(DemoCatalogTest, GenerateCatalog_CountsAndKindsMatchSpec) {
  const CatalogSpec spec = SmallSpec();
  const Catalog& c = catalog();
  ASSERT_EQ(c.creators.size(), static_cast<size_t>(spec.creators));
  ASSERT_EQ(c.items.size(), static_cast<size_t>(spec.products + spec.content));
  ASSERT_EQ(c.users.size(), static_cast<size_t>(spec.users));
  EXPECT_EQ(c.events.size(), static_cast<size_t>(spec.users * spec.events_per_user));

  std::map<v1::ItemKind, int> kinds;
  for (const v1::Item& item : c.items) ++kinds[item.kind()];
  EXPECT_EQ(kinds[v1::ITEM_KIND_PRODUCT], spec.products);
  EXPECT_EQ(kinds[v1::ITEM_KIND_NOTE], 1440);  // 60% of content
  EXPECT_EQ(kinds[v1::ITEM_KIND_VIDEO], 840);  // 35%
  EXPECT_EQ(kinds[v1::ITEM_KIND_LIVE], 120);   // 5%
  EXPECT_EQ(kinds.size(), 4u);
  // Products come first.
  for (int i = 0; i < spec.products; ++i) {
    ASSERT_EQ(c.items[i].kind(), v1::ITEM_KIND_PRODUCT) << i;
  }

  std::map<v1::CreatorTier, int> tiers;
  for (const v1::Creator& creator : c.creators) ++tiers[creator.tier()];
  EXPECT_EQ(tiers[v1::CREATOR_TIER_KOL], 8);
  EXPECT_EQ(tiers[v1::CREATOR_TIER_KOC], 62);
  EXPECT_EQ(tiers[v1::CREATOR_TIER_BRAND], 20);
  EXPECT_EQ(tiers[v1::CREATOR_TIER_BRAND_STAFF], 10);
}

TEST_F(DemoCatalogTest, GenerateCatalog_IdsAreUniqueAndReferencesResolve) {
  const CatalogSpec spec = SmallSpec();
  const Catalog& c = catalog();
  absl::flat_hash_set<std::string> ids;
  absl::flat_hash_map<std::string, const v1::Creator*> creators;
  absl::flat_hash_map<std::string, const v1::Item*> items;
  for (const v1::Creator& creator : c.creators) {
    EXPECT_TRUE(ids.insert(creator.id()).second) << creator.id();
    creators[creator.id()] = &creator;
    EXPECT_EQ(creator.id()[0], 'c');
  }
  for (const v1::Item& item : c.items) {
    EXPECT_TRUE(ids.insert(item.id()).second) << item.id();
    items[item.id()] = &item;
    const char prefix = "?pnvl"[item.kind()];
    EXPECT_EQ(item.id()[0], prefix) << item.id();
  }
  for (const v1::User& user : c.users) {
    EXPECT_TRUE(ids.insert(user.id()).second) << user.id();
    EXPECT_EQ(user.id()[0], 'u');
  }

  const std::set<std::string> regions(spec.regions.begin(), spec.regions.end());
  int out_of_stock = 0;
  int linking = 0;
  for (const v1::Item& item : c.items) {
    ASSERT_TRUE(creators.contains(item.creator_id())) << item.id();
    const v1::Creator& creator = *creators[item.creator_id()];
    for (const std::string& r : item.regions())
      EXPECT_TRUE(regions.contains(r)) << item.id();
    EXPECT_GT(item.created_at_ms(), 0);
    EXPECT_LT(item.created_at_ms(), spec.now_ms);
    EXPECT_FALSE(item.category().empty());
    EXPECT_FALSE(item.title().empty());
    if (item.kind() == v1::ITEM_KIND_PRODUCT) {
      EXPECT_EQ(creator.tier(), v1::CREATOR_TIER_BRAND) << item.id();
      EXPECT_EQ(item.product().brand(), creator.name());
      EXPECT_GT(item.product().price_cents(), 0);
      EXPECT_FALSE(item.product().currency().empty());
      EXPECT_EQ(item.linked_product_ids_size(), 0);
      if (item.product().stock() == 0) ++out_of_stock;
    } else {
      EXPECT_FALSE(item.has_product());
      EXPECT_LE(item.linked_product_ids_size(), 3);
      EXPECT_GT(item.created_at_ms(), spec.now_ms - 31LL * 24 * 3600 * 1000);
      if (item.linked_product_ids_size() > 0) ++linking;
      std::set<std::string> distinct;
      for (const std::string& id : item.linked_product_ids()) {
        EXPECT_TRUE(distinct.insert(id).second)
            << item.id() << " links " << id << " twice";
        ASSERT_TRUE(items.contains(id)) << item.id() << " links " << id;
        EXPECT_EQ(items[id]->kind(), v1::ITEM_KIND_PRODUCT);
        EXPECT_EQ(items[id]->category(), item.category());
      }
    }
  }
  // About 5% out of stock, most content shoppable.
  EXPECT_GT(out_of_stock, spec.products * 2 / 100);
  EXPECT_LT(out_of_stock, spec.products * 9 / 100);
  EXPECT_GT(linking, spec.content / 2);

  for (const v1::User& user : c.users) {
    EXPECT_LE(user.following_creator_ids_size(), 20);
    for (const std::string& id : user.following_creator_ids()) {
      EXPECT_TRUE(creators.contains(id)) << user.id() << " follows " << id;
    }
    EXPECT_TRUE(regions.contains(user.region()));
    EXPECT_FALSE(user.locale().empty());
    EXPECT_FALSE(user.segments().empty());
  }
  for (const auto* events : {&c.events, &c.held_out}) {
    for (const v1::Event& e : *events) {
      ASSERT_TRUE(items.contains(e.item_id())) << e.item_id();
      ASSERT_TRUE(ids.contains(e.user_id())) << e.user_id();
      EXPECT_LE(items[e.item_id()]->created_at_ms(), e.timestamp_ms()) << e.item_id();
    }
  }
}

TEST_F(DemoCatalogTest, GenerateCatalog_EmbeddingsAreUnitVectorsOfSpecDim) {
  const int dim = SmallSpec().dim;
  for (const v1::Item& item : catalog().items) {
    ASSERT_EQ(item.embedding_size(), dim) << item.id();
    EXPECT_NEAR(Norm(item.embedding()), 1.0, 1e-5) << item.id();
  }
  for (const v1::User& user : catalog().users) {
    ASSERT_EQ(user.embedding_size(), dim) << user.id();
    EXPECT_NEAR(Norm(user.embedding()), 1.0, 1e-5) << user.id();
  }
}

TEST_F(DemoCatalogTest, GenerateCatalog_PassesServiceValidation) {
  service::Limits limits;
  limits.dim = SmallSpec().dim;
  const Catalog& c = catalog();
  for (const v1::Creator& m : c.creators) {
    EXPECT_TRUE(service::ValidateCreator(m, "creator", limits).ok()) << m.id();
  }
  for (const v1::Item& m : c.items) {
    const absl::Status s = service::ValidateItem(m, "item", limits);
    EXPECT_TRUE(s.ok()) << m.id() << ": " << s;
  }
  for (const v1::User& m : c.users) {
    const absl::Status s = service::ValidateUser(m, "user", limits);
    EXPECT_TRUE(s.ok()) << m.id() << ": " << s;
  }
  for (const auto* events : {&c.events, &c.held_out}) {
    for (const v1::Event& m : *events) {
      const absl::Status s = service::ValidateEvent(m, "event", limits);
      ASSERT_TRUE(s.ok()) << m.user_id() << ": " << s;
    }
  }
}

TEST_F(DemoCatalogTest, GenerateCatalog_EventsFollowEachUserInTime) {
  const CatalogSpec spec = SmallSpec();
  const Catalog& c = catalog();
  absl::flat_hash_map<std::string, int64_t> last;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> seen;
  std::map<v1::EventType, int> types;
  for (const v1::Event& e : c.events) {
    auto [it, inserted] = last.try_emplace(e.user_id(), e.timestamp_ms());
    if (!inserted) {
      EXPECT_GT(e.timestamp_ms(), it->second) << e.user_id();
      it->second = e.timestamp_ms();
    }
    EXPECT_GE(e.timestamp_ms(), spec.now_ms - 31LL * 24 * 3600 * 1000);
    EXPECT_LT(e.timestamp_ms(), spec.now_ms);
    seen[e.user_id()].insert(e.item_id());
    ++types[e.type()];
  }
  // Mostly impressions and clicks; some engagement; a few purchases.
  const double n = static_cast<double>(c.events.size());
  EXPECT_GT((types[v1::EVENT_TYPE_IMPRESSION] + types[v1::EVENT_TYPE_CLICK]) / n, 0.6);
  EXPECT_GT(types[v1::EVENT_TYPE_LIKE], 0);
  EXPECT_GT(types[v1::EVENT_TYPE_SAVE], 0);
  EXPECT_GT(types[v1::EVENT_TYPE_ADD_TO_CART], 0);
  EXPECT_GT(types[v1::EVENT_TYPE_PURCHASE], 0);
  EXPECT_LT(types[v1::EVENT_TYPE_PURCHASE] / n, 0.05);

  absl::flat_hash_map<std::string, int> held;
  for (const v1::Event& e : c.held_out) {
    ++held[e.user_id()];
    EXPECT_TRUE(IsPositive(e.type())) << e.user_id();
    EXPECT_GT(e.timestamp_ms(), last[e.user_id()]) << e.user_id();
    last[e.user_id()] = e.timestamp_ms();
    // On an item new to the user, once.
    EXPECT_TRUE(seen[e.user_id()].insert(e.item_id()).second)
        << e.user_id() << " " << e.item_id();
  }
  ASSERT_EQ(held.size(), c.users.size());
  for (const auto& [user, count] : held) {
    EXPECT_GE(count, 3) << user;
    EXPECT_LE(count, 5) << user;
  }
}

// recall@k over users: the share of a user's held-out items among the top k
// of `ranking`, averaged over users. `ranking` lists candidate item indices
// best first; items the user has events for are skipped.
double MeanRecallAtK(const Catalog& c, int k,
                     const std::function<std::vector<int>(int user)>& ranking) {
  absl::flat_hash_map<std::string, int> item_index;
  for (size_t i = 0; i < c.items.size(); ++i)
    item_index[c.items[i].id()] = static_cast<int>(i);
  absl::flat_hash_map<std::string, int> user_index;
  for (size_t u = 0; u < c.users.size(); ++u)
    user_index[c.users[u].id()] = static_cast<int>(u);
  std::vector<absl::flat_hash_set<int>> seen(c.users.size()), held(c.users.size());
  for (const v1::Event& e : c.events)
    seen[user_index[e.user_id()]].insert(item_index[e.item_id()]);
  for (const v1::Event& e : c.held_out)
    held[user_index[e.user_id()]].insert(item_index[e.item_id()]);

  double sum = 0;
  int users = 0;
  for (size_t u = 0; u < c.users.size(); ++u) {
    if (held[u].empty()) continue;
    int taken = 0, hits = 0;
    for (int i : ranking(static_cast<int>(u))) {
      if (seen[u].contains(i)) continue;
      hits += held[u].contains(i) ? 1 : 0;
      if (++taken == k) break;
    }
    sum += static_cast<double>(hits) / static_cast<double>(held[u].size());
    ++users;
  }
  return users > 0 ? sum / users : 0;
}

TEST_F(DemoCatalogTest, HeldOut_PersonalisedRankingBeatsPopularityTwofold) {
  const Catalog& c = catalog();
  constexpr int kK = 20;

  // Popularity: event counts over all users, ties by id.
  absl::flat_hash_map<std::string, int> counts;
  for (const v1::Event& e : c.events) ++counts[e.item_id()];
  std::vector<int> popular(c.items.size());
  for (size_t i = 0; i < popular.size(); ++i) popular[i] = static_cast<int>(i);
  std::stable_sort(popular.begin(), popular.end(), [&](int a, int b) {
    return counts[c.items[a].id()] > counts[c.items[b].id()];
  });
  const double popular_recall = MeanRecallAtK(c, kK, [&](int) { return popular; });

  // Personalised: inner product with the user's embedding, exact.
  const double personal_recall = MeanRecallAtK(c, kK, [&](int u) {
    const auto& q = c.users[u].embedding();
    std::vector<std::pair<float, int>> scored(c.items.size());
    for (size_t i = 0; i < c.items.size(); ++i) {
      const auto& v = c.items[i].embedding();
      float dot = 0;
      for (int d = 0; d < q.size(); ++d) dot += q[d] * v[d];
      scored[i] = {-dot, static_cast<int>(i)};
    }
    // The top 200 suffice: a user has at most 30 items to skip.
    std::partial_sort(scored.begin(), scored.begin() + 200, scored.end());
    std::vector<int> order;
    for (int i = 0; i < 200; ++i) order.push_back(scored[i].second);
    return order;
  });

  std::printf("held-out recall@%d: personalised %.3f, popular %.3f (%.1fx)\n", kK,
              personal_recall, popular_recall,
              personal_recall / std::max(popular_recall, 1e-9));
  RecordProperty("recall_at_20_personalised", absl::StrCat(personal_recall));
  RecordProperty("recall_at_20_popular", absl::StrCat(popular_recall));
  EXPECT_GT(popular_recall, 0.0);
  EXPECT_GE(personal_recall, 2 * popular_recall);
}

// The number of linearly independent vectors among `vectors` (rank, with
// a tolerance for float rounding), by Gram-Schmidt.
int Rank(const std::vector<std::vector<double>>& vectors) {
  std::vector<std::vector<double>> basis;
  for (std::vector<double> v : vectors) {
    for (const std::vector<double>& b : basis) {
      double dot = 0;
      for (size_t i = 0; i < v.size(); ++i) dot += v[i] * b[i];
      for (size_t i = 0; i < v.size(); ++i) v[i] -= dot * b[i];
    }
    double norm = 0;
    for (double x : v) norm += x * x;
    norm = std::sqrt(norm);
    if (norm < 1e-3) continue;
    for (double& x : v) x /= norm;
    basis.push_back(std::move(v));
  }
  return static_cast<int>(basis.size());
}

// The embeddings of one category's items.
std::vector<std::vector<double>> EmbeddingsOf(const Catalog& c,
                                              const std::string& topic) {
  std::vector<std::vector<double>> out;
  for (const v1::Item& item : c.items) {
    if (item.category() == topic) {
      out.emplace_back(item.embedding().begin(), item.embedding().end());
    }
  }
  return out;
}

TEST_F(DemoCatalogTest, LatentDim_ChangesOnlyEmbeddings_WhichSpanLatentPlusCentroid) {
  CatalogSpec spec = SmallSpec();
  spec.latent_dim = 4;
  ASSERT_TRUE(ValidateCatalogSpec(spec).ok());
  const Catalog latent = GenerateCatalog(spec);
  EXPECT_TRUE(SameCatalog(latent, GenerateCatalog(spec)));

  // Everything but the embeddings is the isotropic catalog's.
  auto without_embeddings = [](Catalog c) {
    for (v1::Item& item : c.items) item.clear_embedding();
    for (v1::User& user : c.users) user.clear_embedding();
    return c;
  };
  EXPECT_TRUE(SameCatalog(without_embeddings(latent), without_embeddings(catalog())));
  ASSERT_EQ(latent.items.size(), catalog().items.size());
  for (size_t i = 0; i < latent.items.size(); ++i) {
    const auto& v = latent.items[i].embedding();
    ASSERT_EQ(v.size(), spec.dim);
    EXPECT_NEAR(Norm(v), 1.0, 1e-5);
    EXPECT_FALSE(std::equal(v.begin(), v.end(), catalog().items[i].embedding().begin()))
        << latent.items[i].id();
  }
  for (const v1::User& user : latent.users)
    EXPECT_NEAR(Norm(user.embedding()), 1.0, 1e-5);

  // Normalising keeps a vector in the span of its centroid and its offset,
  // so one topic's items span latent_dim + 1 dimensions; the isotropic
  // catalog's span all of them.
  const std::vector<std::vector<double>> skincare = EmbeddingsOf(latent, "skincare");
  ASSERT_GT(skincare.size(), 100u);
  EXPECT_EQ(Rank(skincare), spec.latent_dim + 1);
  EXPECT_EQ(Rank(EmbeddingsOf(catalog(), "skincare")), spec.dim);

  // The topics still separate: an item is nearer its own centroid (the mean
  // of its topic) than another topic's, as in the isotropic catalog.
  const std::vector<std::vector<double>> coffee = EmbeddingsOf(latent, "coffee");
  ASSERT_GT(coffee.size(), 10u);
  auto mean_cosine = [](const std::vector<std::vector<double>>& a,
                        const std::vector<std::vector<double>>& b) {
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < std::min<size_t>(a.size(), 50); ++i) {
      for (size_t j = 0; j < std::min<size_t>(b.size(), 50); ++j) {
        if (&a == &b && i == j) continue;
        double dot = 0;
        for (size_t d = 0; d < a[i].size(); ++d) dot += a[i][d] * b[j][d];
        sum += dot;
        ++n;
      }
    }
    return sum / n;
  };
  EXPECT_GT(mean_cosine(skincare, skincare), mean_cosine(skincare, coffee) + 0.2);
}

TEST(DemoCatalogSpecTest, ValidateCatalogSpec_BadFields_NamesTheField) {
  EXPECT_TRUE(ValidateCatalogSpec(CatalogSpec{}).ok());
  CatalogSpec spec;
  spec.dim = 0;
  EXPECT_NE(ValidateCatalogSpec(spec).message().find("spec.dim"),
            absl::string_view::npos);
  spec = CatalogSpec{};
  spec.users = -1;
  EXPECT_NE(ValidateCatalogSpec(spec).message().find("spec.users"),
            absl::string_view::npos);
  spec = CatalogSpec{};
  spec.creators = 0;
  EXPECT_NE(ValidateCatalogSpec(spec).message().find("spec.creators"),
            absl::string_view::npos);
  spec = CatalogSpec{};
  spec.regions = {"shanghai", "new york"};
  EXPECT_NE(ValidateCatalogSpec(spec).message().find("spec.regions[1]"),
            absl::string_view::npos);
  spec = CatalogSpec{};
  spec.latent_dim = spec.dim + 1;
  EXPECT_NE(ValidateCatalogSpec(spec).message().find("spec.latent_dim"),
            absl::string_view::npos);
  spec.latent_dim = -1;
  EXPECT_NE(ValidateCatalogSpec(spec).message().find("spec.latent_dim"),
            absl::string_view::npos);
  spec.latent_dim = spec.dim;
  EXPECT_TRUE(ValidateCatalogSpec(spec).ok());
}

TEST(DemoCatalogSpecTest, GenerateCatalog_TinyAndOddSpecs_StayConsistent) {
  CatalogSpec tiny;
  tiny.creators = 1;
  tiny.products = 1;
  tiny.content = 2;
  tiny.users = 3;
  tiny.events_per_user = 4;
  tiny.topics = 30;  // more topics than items, and beyond the named ones
  tiny.regions = {"jakarta"};
  tiny.dim = 8;
  const Catalog c = GenerateCatalog(tiny);
  ASSERT_TRUE(ValidateCatalogSpec(tiny).ok());
  EXPECT_EQ(c.creators.size(), 1u);
  EXPECT_EQ(c.creators[0].tier(), v1::CREATOR_TIER_BRAND);
  EXPECT_EQ(c.items.size(), 3u);
  EXPECT_EQ(c.items[0].product().currency(), "IDR");
  EXPECT_EQ(c.events.size(), 12u);
  EXPECT_EQ(TopicName(0), "skincare");
  EXPECT_EQ(TopicName(29), "topic29");

  CatalogSpec empty;
  empty.products = 0;
  empty.content = 0;
  const Catalog e = GenerateCatalog(empty);
  EXPECT_TRUE(e.items.empty());
  EXPECT_EQ(e.users.size(), static_cast<size_t>(empty.users));
  EXPECT_TRUE(e.events.empty());
  EXPECT_TRUE(e.held_out.empty());
}

}  // namespace
}  // namespace zhongcao::demo
