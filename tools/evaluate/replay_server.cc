#include "tools/evaluate/replay_server.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace zhongcao::evaluate {

absl::StatusOr<ReplayData> LoadReplayData(
    const std::filesystem::path& data_dir, int dim, const std::string& index_factory,
    const train::InteractionLog& log, std::span<const train::Interaction> train,
    const Timeline& timeline, const train::AlsModel& model, bool record_events) {
  ReplayData data;
  std::vector<int64_t> per_user(static_cast<size_t>(log.users.size()), 0);
  data.last_ms.assign(static_cast<size_t>(log.users.size()), 0);
  for (const train::Interaction& e : train) {
    ++per_user[static_cast<size_t>(e.user)];
    int64_t& last = data.last_ms[static_cast<size_t>(e.user)];
    last = std::max(last, timeline.ToMs(e.timestamp));
  }
  LoadOptions load;
  load.data_dir = data_dir;
  load.dim = dim;
  load.index_factory = index_factory;
  load.record_events = record_events;
  // Every training event stays in the history, so that all are masked.
  load.history_limit = static_cast<int>(std::max<int64_t>(
      1000,
      per_user.empty() ? 0 : *std::max_element(per_user.begin(), per_user.end()) + 1));
  data.history_limit = load.history_limit;
  absl::StatusOr<LoadCounts> counts = LoadDataDir(load, log, train, timeline, model);
  if (!counts.ok()) return counts.status();
  data.load = *counts;
  return data;
}

absl::StatusOr<std::unique_ptr<ServerProcess>> StartReplayServer(
    const ReplayServerOptions& o, const ReplayData& data) {
  const std::filesystem::path config_path = o.dir / "server.toml";
  {
    std::ofstream out(config_path);
    out << o.config;
    if (!out.flush()) {
      return absl::InternalError(absl::StrCat(config_path.string(), ": write failed"));
    }
  }
  ServerProcessOptions server;
  server.binary = o.binary;
  server.data_dir = o.dir / "data";
  server.config = config_path;
  server.log = o.dir / "server.log";
  server.dim = o.dim;
  server.index_factory = o.index_factory;
  server.history_limit = data.history_limit;
  server.extra_args = o.extra_args;
  return ServerProcess::Start(server);
}

std::vector<FeedRequestPlan> PlanFeeds(const train::InteractionLog& log,
                                       std::span<const train::UserTargets> targets,
                                       const ReplayData& data, bool at_user_time) {
  std::vector<FeedRequestPlan> plans;
  plans.reserve(targets.size());
  for (const train::UserTargets& t : targets) {
    plans.push_back(
        {log.users.Name(t.user),
         at_user_time ? data.last_ms[static_cast<size_t>(t.user)] + 60'000 : 0});
  }
  return plans;
}

}  // namespace zhongcao::evaluate
