// An offline check on the demo catalog: the personalised feed, asked for over
// gRPC, finds more of each user's held-out interactions than a feed of the
// most popular items does.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "gtest/gtest.h"
#include "tests/integration/test_server.h"
#include "tools/demo/catalog_generator.h"

namespace zhongcao {
namespace {

template <typename T>
void InBatches(const std::vector<T>& all, size_t size,
               const std::function<absl::Status(std::vector<T>)>& write) {
  for (size_t start = 0; start < all.size(); start += size) {
    std::vector<T> batch(all.begin() + start,
                         all.begin() + std::min(all.size(), start + size));
    ASSERT_TRUE(write(std::move(batch)).ok());
  }
}

TEST(FeedQuality, PersonalisedFeedBeatsPopularOnHeldOutInteractions) {
  demo::CatalogSpec spec;
  spec.users = 300;
  spec.products = 600;
  spec.content = 2400;
  spec.creators = 100;
  const demo::Catalog catalog = demo::GenerateCatalog(spec);
  testing::TestServer server(spec.dim);
  service::Node& node = server.node();
  InBatches<v1::Creator>(catalog.creators, 1000,
                         [&](auto b) { return node.UpsertCreators(b); });
  InBatches<v1::Item>(catalog.items, 1000, [&](auto b) { return node.UpsertItems(b); });
  InBatches<v1::User>(catalog.users, 1000, [&](auto b) { return node.UpsertUsers(b); });
  InBatches<v1::Event>(catalog.events, 10000,
                       [&](auto b) { return node.RecordEvents(b); });

  // Popularity: events per item in the training log.
  std::map<std::string, int> popularity;
  for (const v1::Event& e : catalog.events) ++popularity[e.item_id()];
  std::vector<std::pair<int, std::string>> by_popularity;
  for (const auto& [id, n] : popularity) by_popularity.emplace_back(-n, id);
  std::sort(by_popularity.begin(), by_popularity.end());
  std::map<std::string, std::set<std::string>> seen, held_out;
  for (const v1::Event& e : catalog.events) seen[e.user_id()].insert(e.item_id());
  for (const v1::Event& e : catalog.held_out) held_out[e.user_id()].insert(e.item_id());

  constexpr int kK = 20;
  double personalised = 0, popular = 0;
  for (const auto& [user, future] : held_out) {
    v1::GetFeedRequest request;
    request.set_user_id(user);
    request.set_count(kK);
    request.mutable_context()->set_now_ms(spec.now_ms);
    v1::GetFeedResponse feed;
    ASSERT_TRUE(server.Feed(request, &feed).ok());
    int hits = 0;
    for (const auto& item : feed.items()) hits += future.contains(item.item_id());
    personalised += hits / static_cast<double>(future.size());
    hits = 0;
    int taken = 0;
    for (const auto& [count, id] : by_popularity) {
      if (taken == kK) break;
      if (seen[user].contains(id)) continue;  // the feed drops seen items too
      hits += future.contains(id);
      ++taken;
    }
    popular += hits / static_cast<double>(future.size());
  }
  personalised /= held_out.size();
  popular /= held_out.size();
  std::printf("held-out recall@%d over %zu users: personalised feed %.3f, popular %.3f\n",
              kK, held_out.size(), personalised, popular);
  EXPECT_GT(personalised, 2 * popular);
  EXPECT_GT(personalised, 0.05);
}

}  // namespace
}  // namespace zhongcao
