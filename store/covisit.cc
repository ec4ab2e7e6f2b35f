#include "store/covisit.h"

#include <algorithm>
#include <cmath>

#include "store/history_wire.h"
#include "store/recent_items_memo.h"
#include "store/trending.h"

namespace zhongcao::store {
namespace {

template <typename Id>
bool BetterNeighbor(const std::pair<Id, double>& a, const std::pair<Id, double>& b) {
  return a.second != b.second ? a.second > b.second : a.first < b.first;
}

// Keeps the best `limit` of `weights`, best first.
template <typename Id>
void KeepBest(int limit, std::vector<std::pair<Id, double>>* weights) {
  const size_t keep = std::min(weights->size(), static_cast<size_t>(std::max(limit, 0)));
  std::partial_sort(weights->begin(), weights->begin() + keep, weights->end(),
                    BetterNeighbor<Id>);
  weights->resize(keep);
}

// Writes `weights` into `record` best first, at most `limit` of them.
template <typename Id>
void FillNeighbors(std::vector<std::pair<Id, double>> weights, int limit,
                   CovisitRecord* record) {
  KeepBest(limit, &weights);
  record->clear_neighbors();
  for (auto& [id, weight] : weights) {
    CovisitNeighbor* n = record->add_neighbors();
    n->set_item_id(std::string(id));
    n->set_weight(weight);
  }
}

}  // namespace

double CovisitDecay(int64_t from_ms, int64_t to_ms, int64_t tau_ms) {
  if (to_ms <= from_ms) return 1;
  return std::exp(-static_cast<double>(to_ms - from_ms) / static_cast<double>(tau_ms));
}

CovisitView SumCovisitViews(std::span<const CovisitView> rows, int64_t tau_ms,
                            int row_limit) {
  CovisitView out;
  if (rows.empty()) return out;
  // A stored row of up to row_limit neighbours plus a few small operands is
  // the common case: only the small ones go through a hash map, and the
  // big one is walked once against it.
  size_t big = 0;
  size_t others = 0;
  out.updated_ms = rows[0].updated_ms;
  for (size_t r = 0; r < rows.size(); ++r) {
    out.updated_ms = std::max(out.updated_ms, rows[r].updated_ms);
    if (rows[r].neighbors.size() > rows[big].neighbors.size()) big = r;
    others += rows[r].neighbors.size();
  }
  others -= rows[big].neighbors.size();
  absl::flat_hash_map<absl::string_view, double> added;
  added.reserve(others);
  for (size_t r = 0; r < rows.size(); ++r) {
    const double decay = CovisitDecay(rows[r].updated_ms, out.updated_ms, tau_ms);
    out.total += decay * rows[r].total;
    if (r == big) continue;
    for (const auto& [id, weight] : rows[r].neighbors) added[id] += decay * weight;
  }
  const double big_decay = CovisitDecay(rows[big].updated_ms, out.updated_ms, tau_ms);
  out.neighbors.reserve(rows[big].neighbors.size() + added.size());
  for (const auto& [id, weight] : rows[big].neighbors) {
    double sum = big_decay * weight;
    if (auto it = added.find(id); it != added.end()) {
      sum += it->second;
      added.erase(it);
    }
    out.neighbors.emplace_back(id, sum);
  }
  for (const auto& [id, weight] : added) out.neighbors.emplace_back(id, weight);
  KeepBest(row_limit, &out.neighbors);
  return out;
}

CovisitRecord SumCovisitRecords(std::span<const CovisitRecord> records, int64_t tau_ms,
                                int row_limit) {
  std::vector<CovisitView> rows(records.size());
  for (size_t r = 0; r < records.size(); ++r) {
    rows[r].updated_ms = records[r].updated_ms();
    rows[r].total = records[r].total();
    rows[r].neighbors.reserve(records[r].neighbors_size());
    for (const CovisitNeighbor& n : records[r].neighbors()) {
      rows[r].neighbors.emplace_back(n.item_id(), n.weight());
    }
  }
  CovisitView sum = SumCovisitViews(rows, tau_ms, row_limit);
  CovisitRecord out;
  out.set_updated_ms(sum.updated_ms);
  out.set_total(sum.total);
  FillNeighbors(std::move(sum.neighbors), row_limit, &out);
  return out;
}

void MergeCovisitRecords(const CovisitRecord& more, int64_t tau_ms, int row_limit,
                         CovisitRecord* into) {
  const CovisitRecord both[] = {*into, more};
  *into = SumCovisitRecords(both, tau_ms, row_limit);
}

CovisitRow CovisitRowAt(const CovisitView& view, int64_t now_ms, int64_t tau_ms) {
  const double decay = CovisitDecay(view.updated_ms, now_ms, tau_ms);
  CovisitRow row;
  row.total = decay * view.total;
  row.neighbors.reserve(view.neighbors.size());
  for (const auto& [id, weight] : view.neighbors) {
    row.neighbors.emplace_back(std::string(id), decay * weight);
  }
  // Stored best first already, so this only checks, unless a row written by
  // another version needs it (a feed reads ~20 rows of ~100 neighbours, and
  // sorting them again was 0.7% of the server's CPU at GetFeed saturation).
  if (!std::is_sorted(row.neighbors.begin(), row.neighbors.end(),
                      BetterNeighbor<std::string>)) {
    std::sort(row.neighbors.begin(), row.neighbors.end(), BetterNeighbor<std::string>);
  }
  return row;
}

absl::Status CovisitPairer::StartUser(const std::string& user_id,
                                      absl::string_view history) {
  std::vector<std::string>& recent = users_[user_id].recent;
  recent.clear();
  std::vector<absl::string_view> events;
  if (absl::Status s = HistoryEvents(history, &events); !s.ok()) return s;
  const size_t room = static_cast<size_t>(options_.window) + 1;
  RecentEvent event;
  for (auto it = events.rbegin(); it != events.rend() && recent.size() < room; ++it) {
    if (!event.ParseFromArray(it->data(), static_cast<int>(it->size()))) {
      return absl::DataLossError("unparseable history event");
    }
    if (TrendWeight(event.type()) <= 0) continue;
    if (std::find(recent.begin(), recent.end(), event.item_id()) == recent.end()) {
      recent.push_back(event.item_id());
    }
  }
  return absl::OkStatus();
}

void CovisitPairer::StartUserFrom(const std::string& user_id,
                                  std::vector<std::string> recent) {
  users_[user_id].recent = std::move(recent);
}

void CovisitPairer::Add(const v1::Event& event) {
  const double weight = TrendWeight(event.type());
  if (weight <= 0 || !enabled()) return;
  UserItems& user = users_[event.user_id()];
  const std::vector<std::string>& recent = user.recent;
  const std::string& item = event.item_id();
  const uint32_t to = Intern(item);
  int d = 0;
  for (const std::string& previous : recent) {
    if (previous == item) continue;
    if (++d > options_.window) break;
    const uint32_t from = Intern(previous);
    AddWeight(from, to, weight / d, event.timestamp_ms());
    if (options_.backward > 0) {
      AddWeight(to, from, options_.backward * weight / d, event.timestamp_ms());
    }
  }
  MakeNewest(item, static_cast<size_t>(options_.window) + 1, &user.recent);
  user.batch.push_back(item);
}

uint32_t CovisitPairer::Intern(const std::string& id) {
  if (auto it = numbers_.find(id); it != numbers_.end()) return it->second;
  const uint32_t number = static_cast<uint32_t>(names_.size());
  numbers_.emplace(names_.emplace_back(id), number);
  rows_.emplace_back();
  return number;
}

void CovisitPairer::AddWeight(uint32_t from, uint32_t to, double weight, int64_t at_ms) {
  PendingRow& row = rows_[from];
  if (!row.used) {
    row.used = true;
    row.updated_ms = at_ms;
  } else if (at_ms > row.updated_ms) {
    // Events of one batch may come out of time order; the row keeps the
    // newest time and everything else is decayed to it.
    const double decay = CovisitDecay(row.updated_ms, at_ms, options_.tau_ms);
    row.total *= decay;
    row.scale *= decay;
    row.updated_ms = at_ms;
    // A batch may span many taus (a replayed log, a short tau): the scale
    // must not reach zero, which the weights are divided by.
    if (row.scale < 1e-100) FoldScale(from, &row);
  }
  const double worth = weight * CovisitDecay(at_ms, row.updated_ms, options_.tau_ms);
  row.total += worth;
  weights_[static_cast<uint64_t>(from) << 32 | to] += worth / row.scale;
}

void CovisitPairer::FoldScale(uint32_t from, PendingRow* row) {
  for (auto& [key, weight] : weights_) {
    if (key >> 32 == from) weight *= row->scale;
  }
  row->scale = 1;
}

absl::flat_hash_map<std::string, std::string> CovisitPairer::TakeOperands() {
  // The weights grouped by row: counted, then placed.
  std::vector<uint32_t> begin(rows_.size() + 1, 0);
  for (const auto& [key, weight] : weights_) ++begin[(key >> 32) + 1];
  for (size_t r = 0; r < rows_.size(); ++r) begin[r + 1] += begin[r];
  std::vector<std::pair<uint32_t, double>> grouped(weights_.size());
  std::vector<uint32_t> next(begin.begin(), begin.end() - 1);
  for (const auto& [key, weight] : weights_) {
    grouped[next[key >> 32]++] = {static_cast<uint32_t>(key), weight};
  }
  absl::flat_hash_map<std::string, std::string> operands;
  CovisitView view;  // its neighbours view into names_
  for (size_t r = 0; r < rows_.size(); ++r) {
    const PendingRow& row = rows_[r];
    if (!row.used) continue;
    view.updated_ms = row.updated_ms;
    view.total = row.total;
    view.neighbors.clear();
    for (uint32_t w = begin[r]; w < begin[r + 1]; ++w) {
      view.neighbors.emplace_back(names_[grouped[w].first],
                                  grouped[w].second * row.scale);
    }
    KeepBest(options_.row_limit, &view.neighbors);
    AppendCovisitView(view, &operands[names_[r]]);
  }
  names_.clear();
  numbers_.clear();
  rows_.clear();
  weights_.clear();
  return operands;
}

}  // namespace zhongcao::store
