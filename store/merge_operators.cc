#include "store/merge_operators.h"

#include <algorithm>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "store/covisit.h"
#include "store/history_wire.h"
#include "store/records.pb.h"
#include "store/trending.h"

namespace zhongcao::store {
namespace {

class CountersMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    ItemCounters sum;
    ItemCounters delta;
    if (existing != nullptr &&
        !sum.ParseFromArray(existing->data(), static_cast<int>(existing->size()))) {
      return false;
    }
    if (!delta.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return false;
    }
    // Every uint64 field is a count; reflection keeps this correct when a
    // counter is added to the message.
    const auto* descriptor = ItemCounters::descriptor();
    const auto* reflection = ItemCounters::GetReflection();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const auto* field = descriptor->field(i);
      if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_UINT64) {
        reflection->SetUInt64(
            &sum, field,
            reflection->GetUInt64(sum, field) + reflection->GetUInt64(delta, field));
      }
    }
    sum.set_last_event_ms(std::max(sum.last_event_ms(), delta.last_event_ms()));
    return sum.SerializeToString(new_value);
  }
  const char* Name() const override { return "zhongcao.ItemCounters.sum"; }
};

// Appends the operands' events to the existing value's and keeps the newest
// `limit`, moving the events' bytes without parsing them: parsing and
// writing back every event of the history (up to `limit`) on each read and
// compaction made a user's writes cost in proportion to their history.
class HistoryMergeOperator : public rocksdb::MergeOperator {
 public:
  explicit HistoryMergeOperator(int limit) : limit_(limit) {}

  bool FullMergeV2(const MergeOperationInput& in,
                   MergeOperationOutput* out) const override {
    std::vector<absl::string_view> events;
    if (in.existing_value != nullptr && !Append(*in.existing_value, &events)) {
      return false;
    }
    return AppendAll(in.operand_list, &events, &out->new_value);
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/,
                         const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value,
                         rocksdb::Logger* /*logger*/) const override {
    std::vector<absl::string_view> events;
    return AppendAll(operands, &events, new_value);
  }

  const char* Name() const override { return "zhongcao.UserHistory.append"; }

 private:
  static bool Append(const rocksdb::Slice& bytes,
                     std::vector<absl::string_view>* events) {
    return HistoryEvents(absl::string_view(bytes.data(), bytes.size()), events).ok();
  }

  template <typename Operands>
  bool AppendAll(const Operands& operands, std::vector<absl::string_view>* events,
                 std::string* out) const {
    for (const rocksdb::Slice& operand : operands) {
      if (!Append(operand, events)) return false;
    }
    const size_t keep = std::min(events->size(), static_cast<size_t>(limit_));
    out->clear();
    AppendHistoryEvents(std::span(*events).last(keep), out);
    return true;
  }

  int limit_;
};

class TrendMergeOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    double sum = 0;
    double delta = 0;
    if (!DecodeTrendValue(absl::string_view(value.data(), value.size()), &delta)) {
      return false;
    }
    if (existing == nullptr) {
      sum = delta;
    } else {
      if (!DecodeTrendValue(absl::string_view(existing->data(), existing->size()),
                            &sum)) {
        return false;
      }
      sum = LogAddExp(sum, delta);
    }
    *new_value = EncodeTrendValue(sum);
    return true;
  }
  const char* Name() const override { return "zhongcao.Trend.logsumexp"; }
};

// Sums all pending operands of a row at once: a popular item collects many
// operands between compactions, and merging them pairwise would parse and
// sort the whole row once per operand on every read.
class CovisitMergeOperator : public rocksdb::MergeOperator {
 public:
  CovisitMergeOperator(int64_t tau_ms, int row_limit)
      : tau_ms_(tau_ms), row_limit_(row_limit) {}

  bool FullMergeV2(const MergeOperationInput& in,
                   MergeOperationOutput* out) const override {
    std::vector<CovisitView> rows(in.operand_list.size() +
                                  (in.existing_value != nullptr ? 1 : 0));
    size_t i = 0;
    if (in.existing_value != nullptr && !Parse(*in.existing_value, &rows[i++])) {
      return false;
    }
    for (const rocksdb::Slice& operand : in.operand_list) {
      if (!Parse(operand, &rows[i++])) return false;
    }
    return Write(rows, &out->new_value);
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/,
                         const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value,
                         rocksdb::Logger* /*logger*/) const override {
    std::vector<CovisitView> rows(operands.size());
    for (size_t i = 0; i < operands.size(); ++i) {
      if (!Parse(operands[i], &rows[i])) return false;
    }
    return Write(rows, new_value);
  }

  // Rows merged under another tau or limit stay valid rows, so the name
  // does not carry them.
  const char* Name() const override { return "zhongcao.Covisit.decayed_sum"; }

 private:
  static bool Parse(const rocksdb::Slice& bytes, CovisitView* row) {
    return ParseCovisitView(absl::string_view(bytes.data(), bytes.size()), row).ok();
  }

  // The sum views into `rows`, so `out` is cleared only once it is taken.
  bool Write(std::span<const CovisitView> rows, std::string* out) const {
    const CovisitView sum = SumCovisitViews(rows, tau_ms_, row_limit_);
    out->clear();
    AppendCovisitView(sum, out);
    return true;
  }

  int64_t tau_ms_;
  int row_limit_;
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewCountersMergeOperator() {
  return std::make_shared<CountersMergeOperator>();
}

std::shared_ptr<rocksdb::MergeOperator> NewHistoryMergeOperator(int limit) {
  return std::make_shared<HistoryMergeOperator>(limit);
}

std::shared_ptr<rocksdb::MergeOperator> NewTrendMergeOperator() {
  return std::make_shared<TrendMergeOperator>();
}

std::shared_ptr<rocksdb::MergeOperator> NewCovisitMergeOperator(int64_t tau_ms,
                                                                int row_limit) {
  return std::make_shared<CovisitMergeOperator>(tau_ms, row_limit);
}

}  // namespace zhongcao::store
