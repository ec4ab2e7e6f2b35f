// Loads the training part of a split into a fresh data directory through
// the service's own write path (tools/import's NodeSink over service::Node):
// the catalog, the users with their trained vectors, and the training
// events through RecordEvents, so that every signal the service keeps from
// events (history, counters, trending, co-occurrence) sees them.
//
// How a log becomes a catalog: every item of the log (test-only items too,
// so that they can be recommended) is an ITEM_KIND_PRODUCT in stock, with
// its category when the log has one, no creator (none of the datasets says
// who sells or wrote what, so creator caps never apply) and created at its
// first training event (items seen only in the test are as old as the log,
// so that no source learns from when the test happened). Ratings and
// untyped interactions (Ciao ratings, Beauty reviews) are recorded as
// purchases: a review is written after buying.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/evaluate/timeline.h"
#include "tools/train/als.h"
#include "tools/train/interaction_log.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::evaluate {

struct LoadOptions {
  std::filesystem::path data_dir;  // must not exist yet, or be empty
  int dim = 64;
  std::string index_factory = "HNSW32,Flat";
  int history_limit = 1000;  // events kept per user; the server must use the same
  // false: no events are loaded (the evaluation replays them to the running
  // server in time order), and every item is listed from the log's start,
  // as products are listed before anyone reviews them: a first review is
  // not a listing date, and an item dated by it would look brand new to
  // requests made before it.
  bool record_events = true;
};

struct LoadCounts {
  int64_t items = 0;
  int64_t users = 0;
  int64_t events = 0;
  int64_t item_vectors = 0;  // items with a trained (non-zero) vector
  int64_t user_vectors = 0;
};

// The service's event type a log's event is recorded as (above).
v1::EventType ServiceEventType(train::EventType type);

// The training events as the service records them, oldest first (ties in
// log order), at their times on `timeline`.
std::vector<v1::Event> ServiceEvents(const train::InteractionLog& log,
                                     std::span<const train::Interaction> train,
                                     const Timeline& timeline);

// `train` indexes `log`; `model` has a row per user and item of `log`.
absl::StatusOr<LoadCounts> LoadDataDir(const LoadOptions& options,
                                       const train::InteractionLog& log,
                                       std::span<const train::Interaction> train,
                                       const Timeline& timeline,
                                       const train::AlsModel& model);

}  // namespace zhongcao::evaluate
