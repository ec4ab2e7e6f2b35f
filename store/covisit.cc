#include "store/covisit.h"

#include <algorithm>
#include <cmath>

#include "store/history_wire.h"
#include "store/recent_items_memo.h"
#include "store/trending.h"

namespace zhongcao::store {
namespace {

bool BetterNeighbor(const std::pair<std::string, double>& a,
                    const std::pair<std::string, double>& b) {
  return a.second != b.second ? a.second > b.second : a.first < b.first;
}

// Writes `weights` into `record` best first, at most `limit` of them.
void FillNeighbors(std::vector<std::pair<std::string, double>> weights, int limit,
                   CovisitRecord* record) {
  const size_t keep = std::min(weights.size(), static_cast<size_t>(std::max(limit, 0)));
  std::partial_sort(weights.begin(), weights.begin() + keep, weights.end(),
                    BetterNeighbor);
  record->clear_neighbors();
  for (size_t i = 0; i < keep; ++i) {
    CovisitNeighbor* n = record->add_neighbors();
    n->set_item_id(std::move(weights[i].first));
    n->set_weight(weights[i].second);
  }
}

}  // namespace

double CovisitDecay(int64_t from_ms, int64_t to_ms, int64_t tau_ms) {
  if (to_ms <= from_ms) return 1;
  return std::exp(-static_cast<double>(to_ms - from_ms) / static_cast<double>(tau_ms));
}

CovisitRecord SumCovisitRecords(std::span<const CovisitRecord> records, int64_t tau_ms,
                                int row_limit) {
  CovisitRecord out;
  if (records.empty()) return out;
  int64_t at = records[0].updated_ms();
  size_t neighbors = 0;
  for (const CovisitRecord& r : records) {
    at = std::max(at, r.updated_ms());
    neighbors += r.neighbors_size();
  }
  absl::flat_hash_map<std::string, double> sum;
  sum.reserve(neighbors);
  double total = 0;
  for (const CovisitRecord& r : records) {
    const double decay = CovisitDecay(r.updated_ms(), at, tau_ms);
    total += decay * r.total();
    for (const CovisitNeighbor& n : r.neighbors()) sum[n.item_id()] += decay * n.weight();
  }
  out.set_updated_ms(at);
  out.set_total(total);
  FillNeighbors({sum.begin(), sum.end()}, row_limit, &out);
  return out;
}

void MergeCovisitRecords(const CovisitRecord& more, int64_t tau_ms, int row_limit,
                         CovisitRecord* into) {
  const CovisitRecord both[] = {*into, more};
  *into = SumCovisitRecords(both, tau_ms, row_limit);
}

CovisitRow CovisitRowAt(const CovisitRecord& record, int64_t now_ms, int64_t tau_ms) {
  const double decay = CovisitDecay(record.updated_ms(), now_ms, tau_ms);
  CovisitRow row;
  row.total = decay * record.total();
  row.neighbors.reserve(record.neighbors_size());
  for (const CovisitNeighbor& n : record.neighbors()) {
    row.neighbors.emplace_back(n.item_id(), decay * n.weight());
  }
  // Stored best first already; sorting again costs little and keeps readers
  // safe from rows written by another version.
  std::sort(row.neighbors.begin(), row.neighbors.end(), BetterNeighbor);
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
  int d = 0;
  for (const std::string& previous : recent) {
    if (previous == item) continue;
    if (++d > options_.window) break;
    AddWeight(previous, item, weight / d, event.timestamp_ms());
    if (options_.backward > 0) {
      AddWeight(item, previous, options_.backward * weight / d, event.timestamp_ms());
    }
  }
  MakeNewest(item, static_cast<size_t>(options_.window) + 1, &user.recent);
  user.batch.push_back(item);
}

void CovisitPairer::AddWeight(const std::string& from, const std::string& to,
                              double weight, int64_t at_ms) {
  auto [it, inserted] = rows_.try_emplace(from);
  PendingRow& row = it->second;
  if (inserted) {
    row.updated_ms = at_ms;
  } else if (at_ms > row.updated_ms) {
    // Events of one batch may come out of time order; the row keeps the
    // newest time and everything else is decayed to it.
    const double decay = CovisitDecay(row.updated_ms, at_ms, options_.tau_ms);
    row.total *= decay;
    for (auto& [id, w] : row.weights) w *= decay;
    row.updated_ms = at_ms;
  }
  const double worth = weight * CovisitDecay(at_ms, row.updated_ms, options_.tau_ms);
  row.total += worth;
  row.weights[to] += worth;
}

absl::flat_hash_map<std::string, CovisitRecord> CovisitPairer::TakeOperands() {
  absl::flat_hash_map<std::string, CovisitRecord> operands;
  operands.reserve(rows_.size());
  for (auto& [id, row] : rows_) {
    CovisitRecord& record = operands[id];
    record.set_updated_ms(row.updated_ms);
    record.set_total(row.total);
    FillNeighbors({row.weights.begin(), row.weights.end()}, options_.row_limit, &record);
  }
  rows_.clear();
  return operands;
}

}  // namespace zhongcao::store
