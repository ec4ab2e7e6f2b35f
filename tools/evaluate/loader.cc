#include "tools/evaluate/loader.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/import/node_sink.h"

namespace zhongcao::evaluate {

using train::EventType;

v1::EventType ServiceEventType(EventType type) {
  switch (type) {
    case EventType::kImpression:
      return v1::EVENT_TYPE_IMPRESSION;
    case EventType::kClick:
      return v1::EVENT_TYPE_CLICK;
    case EventType::kDwell:
      return v1::EVENT_TYPE_DWELL;
    case EventType::kLike:
      return v1::EVENT_TYPE_LIKE;
    case EventType::kSave:
      return v1::EVENT_TYPE_SAVE;
    case EventType::kShare:
      return v1::EVENT_TYPE_SHARE;
    case EventType::kComment:
      return v1::EVENT_TYPE_COMMENT;
    case EventType::kFollow:
      return v1::EVENT_TYPE_FOLLOW;
    case EventType::kAddToCart:
      return v1::EVENT_TYPE_ADD_TO_CART;
    case EventType::kPurchase:
    case EventType::kRating:
    case EventType::kInteraction:
      return v1::EVENT_TYPE_PURCHASE;
  }
  return v1::EVENT_TYPE_PURCHASE;
}

namespace {

// Non-zero rows as embeddings; `ids` names the rows.
std::vector<v1::Embedding> Embeddings(const train::FactorMatrix& rows,
                                      const std::vector<std::string>& ids) {
  std::vector<v1::Embedding> out;
  for (Eigen::Index r = 0; r < rows.rows(); ++r) {
    if (rows.row(r).squaredNorm() == 0) continue;
    v1::Embedding e;
    e.set_id(ids[static_cast<size_t>(r)]);
    e.mutable_values()->Assign(rows.row(r).data(), rows.row(r).data() + rows.cols());
    out.push_back(std::move(e));
  }
  return out;
}

template <typename T, typename Write>
absl::Status InBatches(const std::vector<T>& rows, size_t batch, Write write) {
  for (size_t start = 0; start < rows.size(); start += batch) {
    const size_t end = std::min(rows.size(), start + batch);
    if (absl::Status s = write(std::span<const T>(rows.data() + start, end - start));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<v1::Event> ServiceEvents(const train::InteractionLog& log,
                                     std::span<const train::Interaction> train,
                                     const Timeline& timeline) {
  std::vector<size_t> order(train.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return train[a].timestamp < train[b].timestamp;
  });
  std::vector<v1::Event> events;
  events.reserve(order.size());
  for (size_t i : order) {
    const train::Interaction& e = train[i];
    v1::Event event;
    event.set_user_id(log.users.Name(e.user));
    event.set_item_id(log.items.Name(e.item));
    event.set_type(ServiceEventType(e.type));
    event.set_timestamp_ms(std::max<int64_t>(1, timeline.ToMs(e.timestamp)));
    events.push_back(std::move(event));
  }
  return events;
}

absl::StatusOr<LoadCounts> LoadDataDir(const LoadOptions& options,
                                       const train::InteractionLog& log,
                                       std::span<const train::Interaction> train,
                                       const Timeline& timeline,
                                       const train::AlsModel& model) {
  if (model.items.rows() != log.items.size() || model.users.rows() != log.users.size()) {
    return absl::InternalError("the model does not match the log");
  }
  if (model.items.cols() != options.dim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the model has dimension ", model.items.cols(), ", the server ", options.dim));
  }
  service::NodeOptions node_options;
  node_options.data_dir = options.data_dir;
  node_options.index.dim = options.dim;
  node_options.index.factory = options.index_factory;
  node_options.history_limit = options.history_limit;
  absl::StatusOr<std::unique_ptr<tools::NodeSink>> sink =
      tools::NodeSink::Open(node_options);
  if (!sink.ok()) return sink.status();
  const size_t batch = static_cast<size_t>((*sink)->limits().max_batch);
  LoadCounts counts;

  std::vector<int64_t> created(static_cast<size_t>(log.items.size()),
                               std::numeric_limits<int64_t>::max());
  for (const train::Interaction& e : train) {
    int64_t& c = created[static_cast<size_t>(e.item)];
    c = std::min(c, timeline.ToMs(e.timestamp));
  }
  std::vector<v1::Item> items;
  items.reserve(created.size());
  for (int32_t i = 0; i < log.items.size(); ++i) {
    v1::Item item;
    item.set_id(log.items.Name(i));
    item.set_kind(v1::ITEM_KIND_PRODUCT);
    const int32_t category = log.item_category[static_cast<size_t>(i)];
    if (category != train::InteractionLog::kNoCategory) {
      item.set_category(log.categories.Name(category));
    }
    const int64_t first =
        options.record_events ? created[static_cast<size_t>(i)] : timeline.start_ms();
    // 0 would mean "now" to the service.
    item.set_created_at_ms(std::max<int64_t>(
        1, first == std::numeric_limits<int64_t>::max() ? timeline.start_ms() : first));
    item.mutable_product()->set_stock(1);
    if (model.items.row(i).squaredNorm() > 0) {
      item.mutable_embedding()->Assign(model.items.row(i).data(),
                                       model.items.row(i).data() + model.items.cols());
      ++counts.item_vectors;
    }
    items.push_back(std::move(item));
  }
  if (absl::Status s = InBatches(items, batch,
                                 [&](std::span<const v1::Item> rows) {
                                   return (*sink)->UpsertItems(rows, false);
                                 });
      !s.ok()) {
    return s;
  }
  counts.items = static_cast<int64_t>(items.size());
  items.clear();

  std::vector<v1::User> users(static_cast<size_t>(log.users.size()));
  for (int32_t u = 0; u < log.users.size(); ++u) {
    users[static_cast<size_t>(u)].set_id(log.users.Name(u));
  }
  if (absl::Status s = InBatches(users, batch,
                                 [&](std::span<const v1::User> rows) {
                                   return (*sink)->UpsertUsers(rows, false);
                                 });
      !s.ok()) {
    return s;
  }
  counts.users = static_cast<int64_t>(users.size());
  const std::vector<v1::Embedding> user_vectors =
      Embeddings(model.users, log.users.names());
  if (absl::Status s = InBatches(user_vectors, batch,
                                 [&](std::span<const v1::Embedding> rows) {
                                   return (*sink)->SetEmbeddings(
                                       v1::EMBEDDING_TARGET_USERS, rows, false);
                                 });
      !s.ok()) {
    return s;
  }
  counts.user_vectors = static_cast<int64_t>(user_vectors.size());

  if (options.record_events) {
    // Oldest first, as they happened: histories, counters and trends are
    // built in the order a live service would have seen the events.
    const std::vector<v1::Event> events = ServiceEvents(log, train, timeline);
    if (absl::Status s =
            InBatches(events, static_cast<size_t>((*sink)->limits().max_events),
                      [&](std::span<const v1::Event> rows) {
                        return (*sink)->RecordEvents(rows, false);
                      });
        !s.ok()) {
      return s;
    }
    counts.events = static_cast<int64_t>(events.size());
  }
  if (absl::Status s = (*sink)->Finish(); !s.ok()) return s;
  return counts;
}

}  // namespace zhongcao::evaluate
