// Item-to-item co-visitation ("viewed or bought together"): rows of
// time-decayed weights from a source item to the items users engaged with
// around it, built from events as they are recorded, so the next request
// sees them without a rebuild.
//
// For an event of weight w (store/trending.h's TrendWeight; impressions add
// nothing) by user u on item j, each of u's `window` most recent distinct
// other items i before it (d = 1 the newest) gets i -> j += w / d (forward:
// what comes next is what we want to predict) and j -> i += backward * w / d.
// A row decays with time constant tau: a weight added at t is worth
// w * exp(-(now - t) / tau) at `now`.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "store/covisit_wire.h"
#include "store/records.pb.h"
#include "zhongcao/v1/types.pb.h"

namespace zhongcao::store {

struct CovisitOptions {
  int window = 5;         // previous items paired with each event; 0: off
  double backward = 0.5;  // weight of j -> i relative to i -> j
  int64_t tau_ms = 30LL * 24 * 3600 * 1000;
  int row_limit = 200;  // neighbours kept per row, the heaviest
};

// One row as readers see it, decayed to the time asked for.
struct CovisitRow {
  std::vector<std::pair<std::string, double>> neighbors;  // best first
  // Every weight ever added to the row, decayed, including that of
  // neighbours truncated off it: what a neighbour's weight is a share of.
  double total = 0;
};

// exp(-(to_ms - from_ms) / tau_ms), and 1 when `to_ms` is not later.
double CovisitDecay(int64_t from_ms, int64_t to_ms, int64_t tau_ms);

// Adds `more` to `into`: both decayed to the newer time, weights summed by
// neighbour, then the best `row_limit` kept (ties by id). Commutative; the
// total is exact whatever truncation drops.
void MergeCovisitRecords(const CovisitRecord& more, int64_t tau_ms, int row_limit,
                         CovisitRecord* into);

// The sum of `rows` in one pass, as if merged pairwise but truncated only
// once: what the merge operator does with many operands at a time. The
// result's ids view into `rows`.
CovisitView SumCovisitViews(std::span<const CovisitView> rows, int64_t tau_ms,
                            int row_limit);

// The same over records.
CovisitRecord SumCovisitRecords(std::span<const CovisitRecord> records, int64_t tau_ms,
                                int row_limit);

// `row` decayed to `now_ms` (never grown when now is earlier), best first.
CovisitRow CovisitRowAt(const CovisitView& row, int64_t now_ms, int64_t tau_ms);

// Turns one batch of events into one merge operand per source item. Knows
// each user's items from before the batch (StartUser) and then the batch's
// own events, in order.
class CovisitPairer {
 public:
  explicit CovisitPairer(const CovisitOptions& options) : options_(options) {}

  bool enabled() const { return options_.window > 0; }
  // The user's stored history before this batch: a serialized UserHistory
  // (oldest first), empty for none. Only its newest events are parsed, as
  // many as the window needs: a history holds up to the store's
  // history_limit events, and parsing all of them for every batch made a
  // user's events cost in proportion to their history. DataLoss when the
  // bytes are not a history.
  absl::Status StartUser(const std::string& user_id, absl::string_view history);
  // The same from the user's list as a RecentItemsMemo held it.
  void StartUserFrom(const std::string& user_id, std::vector<std::string> recent);
  // Pairs the event with the user's previous items, then makes its item the
  // user's newest. Events that weigh nothing (impressions) are ignored.
  void Add(const v1::Event& event);
  // The operands, by source item id, each a serialized CovisitRecord with
  // its best row_limit neighbours first, written without messages (a
  // batch makes ~2,000); none are left behind (users() stay).
  absl::flat_hash_map<std::string, std::string> TakeOperands();

  // Per user of the batch: their distinct items with weight, newest first,
  // at most window + 1 (one more, so that `window` remain after skipping
  // the event's own item), and the batch's weighing items, oldest first.
  struct UserItems {
    std::vector<std::string> recent;
    std::vector<std::string> batch;
  };
  const absl::flat_hash_map<std::string, UserItems>& users() const { return users_; }

 private:
  // A source item's row in this batch. Its weights are kept divided by
  // `scale`, which takes the decay when the row's time moves on, so a later
  // event does not have to rescale every weight already added.
  struct PendingRow {
    bool used = false;
    int64_t updated_ms = 0;
    double total = 0;
    double scale = 1;
  };

  // The batch's items are stored once each and referred to by number: a
  // batch adds ~10 weights per event, and keying each by two strings cost
  // an eighth of RecordEvents' CPU.
  uint32_t Intern(const std::string& id);
  void AddWeight(uint32_t from, uint32_t to, double weight, int64_t at_ms);
  // Multiplies the row's weights by its scale, and sets the scale to 1.
  // Walks every weight of the batch, so only for a scale near underflow.
  void FoldScale(uint32_t from, PendingRow* row);

  CovisitOptions options_;
  absl::flat_hash_map<std::string, UserItems> users_;
  std::deque<std::string> names_;  // by number; a deque keeps the views valid
  absl::flat_hash_map<absl::string_view, uint32_t> numbers_;
  std::vector<PendingRow> rows_;  // by source item's number
  // (from << 32 | to) -> the weight of from -> to, divided by from's scale.
  absl::flat_hash_map<uint64_t, double> weights_;
};

}  // namespace zhongcao::store
