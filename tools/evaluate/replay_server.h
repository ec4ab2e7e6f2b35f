// One replay server: a training part of the log loaded into a fresh data
// directory through the service's write path, the real zhongcao_server
// started over it on loopback, and the feed requests that ask it for the
// held-out users, each at that user's time. The evaluation runs one for the
// test and, to train a ranker, one for the validation items.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/evaluate/feed_client.h"
#include "tools/evaluate/loader.h"
#include "tools/evaluate/server_process.h"
#include "tools/evaluate/timeline.h"
#include "tools/train/als.h"
#include "tools/train/evaluation.h"
#include "tools/train/interaction_log.h"

namespace zhongcao::evaluate {

struct ReplayData {
  LoadCounts load;
  int history_limit = 0;  // the server must keep as many events per user
  // Per log user: the server time of their last training event (0: none).
  std::vector<int64_t> last_ms;
};

// Loads `train` into `data_dir`, which must not exist yet; with
// `record_events` false, all but its events (see LoadOptions).
absl::StatusOr<ReplayData> LoadReplayData(
    const std::filesystem::path& data_dir, int dim, const std::string& index_factory,
    const train::InteractionLog& log, std::span<const train::Interaction> train,
    const Timeline& timeline, const train::AlsModel& model, bool record_events = true);

struct ReplayServerOptions {
  std::filesystem::path dir;  // holds data/; server.toml and server.log go here
  std::filesystem::path binary;
  std::string config;  // TOML text
  int dim = 64;
  std::string index_factory;
  std::vector<std::string> extra_args;
};

absl::StatusOr<std::unique_ptr<ServerProcess>> StartReplayServer(
    const ReplayServerOptions& options, const ReplayData& data);

// One GetFeed per target user, at a minute after their last training
// event (or at the server's clock).
std::vector<FeedRequestPlan> PlanFeeds(const train::InteractionLog& log,
                                       std::span<const train::UserTargets> targets,
                                       const ReplayData& data, bool at_user_time);

}  // namespace zhongcao::evaluate
