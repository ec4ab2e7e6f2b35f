// zhongcao_demo_catalog: generates the deterministic demo catalog (see
// tools/demo/catalog_generator.h) and loads it into a data directory through
// the node's write path, then builds and snapshots the index, so that a
// server started on the directory serves it at once.
//
//   zhongcao_demo_catalog --data_dir=/var/lib/zhongcao --items=20000 --users=2000
//
// Writes are upserts: on a directory that already holds data, creators,
// items and users with the same ids are replaced, others are kept, and the
// events are recorded again (counters add up). Start from an empty directory
// for a clean demo. Writes skip fsync (an offline bulk load: re-run it from
// scratch if it fails).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/node.h"
#include "tools/demo/catalog_generator.h"

ABSL_FLAG(std::string, data_dir, "", "Data directory to load into (required).");
ABSL_FLAG(uint64_t, seed, 42, "Random seed; the same seed gives the same catalog.");
ABSL_FLAG(int, dim, 64, "Embedding dimension (the service's dimension).");
ABSL_FLAG(int, items, 10000, "Items in total: 20% products, 80% content.");
ABSL_FLAG(int, users, 1000, "Users.");
ABSL_FLAG(int, creators, 200, "Creators (KOLs, KOCs, brands, brand staff).");
ABSL_FLAG(int, events_per_user, 30, "Events recorded per user.");
ABSL_FLAG(int, topics, 24, "Topics (product categories).");
ABSL_FLAG(int, latent_dim, 0,
          "0: embeddings scatter isotropically around their topic's centroid "
          "(the demo). 1..dim: the scatter lies in a subspace of this many "
          "dimensions per topic, a low intrinsic dimension like trained "
          "embeddings have (the benchmarks use 16).");
ABSL_FLAG(std::string, index_factory, "HNSW32,Flat",
          "FAISS index_factory string of the main index segment.");
ABSL_FLAG(int64_t, now_ms, 0,
          "The catalog's 'now' in Unix ms: items are created and events happen "
          "before it. 0 takes the wall clock, so that a server's fresh and "
          "trending sources find recent items; pass a fixed value (e.g. "
          "1763856000000) for a byte-identical catalog.");
ABSL_FLAG(std::string, held_out_file, "",
          "If set, write the held-out events (each user's next positive "
          "events, not loaded) to this TSV file for offline evaluation.");

namespace {

using zhongcao::demo::Catalog;
using zhongcao::demo::CatalogSpec;
namespace v1 = zhongcao::v1;

class Stopwatch {
 public:
  double Lap() {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "zhongcao_demo_catalog: %s\n", message.c_str());
  return 1;
}

// Calls `write` on consecutive slices of at most `batch` elements.
template <typename T>
absl::Status WriteInBatches(std::vector<T>& all, size_t batch, const char* what,
                            const std::function<absl::Status(std::span<T>)>& write) {
  for (size_t begin = 0; begin < all.size(); begin += batch) {
    const size_t end = std::min(all.size(), begin + batch);
    if (absl::Status s = write(std::span<T>(all.data() + begin, end - begin)); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("writing ", what, " [", begin, ", ", end,
                                                 "): ", s.message()));
    }
  }
  return absl::OkStatus();
}

template <typename Enum, typename Message>
std::string CountBy(const std::vector<Message>& messages, Enum (Message::*field)() const,
                    const std::string& (*name)(Enum), const char* strip) {
  std::map<int, int64_t> counts;
  for (const Message& m : messages) ++counts[(m.*field)()];
  std::vector<std::string> parts;
  for (const auto& [value, count] : counts) {
    std::string label = name(static_cast<Enum>(value));
    if (label.rfind(strip, 0) == 0) label = label.substr(std::string(strip).size());
    parts.push_back(absl::StrCat(label, " ", count));
  }
  return absl::StrJoin(parts, ", ");
}

absl::Status WriteHeldOut(const std::string& path, const std::vector<v1::Event>& events) {
  std::ofstream out(path, std::ios::trunc);
  out << "user_id\titem_id\ttype\ttimestamp_ms\n";
  for (const v1::Event& e : events) {
    out << e.user_id() << '\t' << e.item_id() << '\t'
        << v1::EventType_Name(e.type()).substr(std::string("EVENT_TYPE_").size()) << '\t'
        << e.timestamp_ms() << '\n';
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Generates the deterministic demo catalog and loads it into a zhongcao "
      "data directory.\n  zhongcao_demo_catalog --data_dir=DIR [--items=N "
      "--users=N --seed=S ...]");
  absl::ParseCommandLine(argc, argv);

  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (data_dir.empty()) return Fail("--data_dir is required");
  const int items = absl::GetFlag(FLAGS_items);
  if (items < 0) return Fail("--items must not be negative");

  CatalogSpec spec;
  spec.seed = absl::GetFlag(FLAGS_seed);
  spec.dim = absl::GetFlag(FLAGS_dim);
  spec.products = static_cast<int>(std::lround(0.2 * items));
  spec.content = items - spec.products;
  spec.users = absl::GetFlag(FLAGS_users);
  spec.creators = absl::GetFlag(FLAGS_creators);
  spec.events_per_user = absl::GetFlag(FLAGS_events_per_user);
  spec.topics = absl::GetFlag(FLAGS_topics);
  spec.latent_dim = absl::GetFlag(FLAGS_latent_dim);
  const int64_t now_flag = absl::GetFlag(FLAGS_now_ms);
  spec.now_ms = now_flag != 0 ? now_flag : absl::ToUnixMillis(absl::Now());
  if (absl::Status s = zhongcao::demo::ValidateCatalogSpec(spec); !s.ok()) {
    return Fail(std::string(s.message()));
  }

  Stopwatch lap;
  Stopwatch total;
  Catalog catalog = zhongcao::demo::GenerateCatalog(spec);
  std::vector<std::pair<std::string, double>> timings = {{"generate", lap.Lap()}};
  const std::string creator_tiers = CountBy(catalog.creators, &v1::Creator::tier,
                                            &v1::CreatorTier_Name, "CREATOR_TIER_");
  const std::string item_kinds =
      CountBy(catalog.items, &v1::Item::kind, &v1::ItemKind_Name, "ITEM_KIND_");
  const size_t n_creators = catalog.creators.size(), n_items = catalog.items.size(),
               n_users = catalog.users.size(), n_events = catalog.events.size();

  if (const std::string path = absl::GetFlag(FLAGS_held_out_file); !path.empty()) {
    if (absl::Status s = WriteHeldOut(path, catalog.held_out); !s.ok()) {
      return Fail(std::string(s.message()));
    }
  }

  zhongcao::service::NodeOptions options;
  options.data_dir = data_dir;
  options.index.dim = spec.dim;
  options.index.factory = absl::GetFlag(FLAGS_index_factory);
  options.sync_writes = false;  // an offline bulk load
  // One index build at the end, on every core, rather than a background
  // compaction every 20,000 items competing with the load.
  options.compact_growing_at = 0;
  options.compaction_threads = 0;
  auto node = zhongcao::service::Node::Open(options);
  if (!node.ok())
    return Fail(absl::StrCat("opening ", data_dir, ": ", node.status().message()));
  zhongcao::service::Node& n = **node;
  timings.emplace_back("open", lap.Lap());

  const size_t batch = static_cast<size_t>(n.limits().max_batch);
  const size_t event_batch = static_cast<size_t>(n.limits().max_events);
  absl::Status s = WriteInBatches<v1::Creator>(
      catalog.creators, batch, "creators",
      [&](std::span<v1::Creator> b) { return n.UpsertCreators(b); });
  timings.emplace_back("creators", lap.Lap());
  if (s.ok()) {
    s = WriteInBatches<v1::Item>(
        catalog.items, batch, "items", [&](std::span<v1::Item> b) {
          return n.UpsertItems(std::vector<v1::Item>(std::make_move_iterator(b.begin()),
                                                     std::make_move_iterator(b.end())));
        });
    timings.emplace_back("items", lap.Lap());
  }
  if (s.ok()) {
    s = WriteInBatches<v1::User>(catalog.users, batch, "users",
                                 [&](std::span<v1::User> b) { return n.UpsertUsers(b); });
    timings.emplace_back("users", lap.Lap());
  }
  if (s.ok()) {
    s = WriteInBatches<v1::Event>(
        catalog.events, event_batch, "events", [&](std::span<v1::Event> b) {
          return n.RecordEvents(std::vector<v1::Event>(std::make_move_iterator(b.begin()),
                                                       std::make_move_iterator(b.end())));
        });
    timings.emplace_back("events", lap.Lap());
  }
  if (s.ok()) {
    // A bulk load leaves its rows in the write-ahead log and its counters,
    // histories and co-occurrence rows as merge operands, which every read
    // would fold again: served that way, a 1M catalog cost a feed ~10% more
    // CPU and its server started by replaying ~600 MB of log.
    s = n.CompactStore();
    if (!s.ok()) s = absl::Status(s.code(), absl::StrCat("compacting: ", s.message()));
    timings.emplace_back("compact store", lap.Lap());
  }
  if (s.ok()) {
    s = n.BuildIndex();
    if (!s.ok())
      s = absl::Status(s.code(), absl::StrCat("building the index: ", s.message()));
    timings.emplace_back("build index", lap.Lap());
  }
  if (s.ok()) {
    s = n.SaveSnapshot();
    if (!s.ok())
      s = absl::Status(s.code(), absl::StrCat("saving a snapshot: ", s.message()));
    timings.emplace_back("snapshot", lap.Lap());
  }
  if (!s.ok()) return Fail(std::string(s.message()));

  const zhongcao::index::IndexStats stats = n.index()->Stats();
  const double seconds = total.Lap();
  std::printf("zhongcao demo catalog -> %s\n", data_dir.c_str());
  std::printf("  seed %llu, dim %d (%s), now %s (%lld)\n",
              static_cast<unsigned long long>(spec.seed), spec.dim,
              spec.latent_dim == 0 ? "isotropic"
                                   : absl::StrCat("latent ", spec.latent_dim).c_str(),
              absl::FormatTime(absl::RFC3339_sec, absl::FromUnixMillis(spec.now_ms),
                               absl::UTCTimeZone())
                  .c_str(),
              static_cast<long long>(spec.now_ms));
  std::printf("  creators %8zu  (%s)\n", n_creators, creator_tiers.c_str());
  std::printf("  items    %8zu  (%s)\n", n_items, item_kinds.c_str());
  std::printf("  users    %8zu\n", n_users);
  std::printf(
      "  events   %8zu  (%zu held out%s)\n", n_events, catalog.held_out.size(),
      absl::GetFlag(FLAGS_held_out_file).empty()
          ? ", not written"
          : absl::StrCat(", written to ", absl::GetFlag(FLAGS_held_out_file)).c_str());
  std::printf("  index    %s, %lld live vectors (%lld main, %lld growing), version %s\n",
              stats.factory.c_str(), static_cast<long long>(stats.live),
              static_cast<long long>(stats.main), static_cast<long long>(stats.growing),
              stats.version.c_str());
  std::vector<std::string> parts;
  for (const auto& [stage, secs] : timings)
    parts.push_back(absl::StrFormat("%s %.2fs", stage, secs));
  std::printf("  time     %.2fs: %s\n", seconds, absl::StrJoin(parts, ", ").c_str());
  auto rate = [&](size_t count, const std::string& stage) {
    for (const auto& [name, secs] : timings) {
      if (name == stage && secs > 0) return static_cast<double>(count) / secs;
    }
    return 0.0;
  };
  std::printf("  rate     %.0f items/s, %.0f events/s\n", rate(n_items, "items"),
              rate(n_events, "events"));
  return 0;
}
