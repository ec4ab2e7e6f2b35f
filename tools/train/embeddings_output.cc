#include "tools/train/embeddings_output.h"

#include <system_error>

#include "absl/strings/str_cat.h"
#include "tools/vectors/vector_file.h"

namespace zhongcao::train {
namespace {

tools::VectorSet NonZeroRows(const IdMap& ids, const FactorMatrix& factors) {
  tools::VectorSet set;
  set.dim = static_cast<int>(factors.cols());
  for (int32_t i = 0; i < ids.size(); ++i) {
    if (factors.row(i).isZero(0)) continue;
    set.ids.push_back(ids.Name(i));
    set.values.insert(set.values.end(), factors.row(i).data(),
                      factors.row(i).data() + factors.cols());
  }
  return set;
}

}  // namespace

absl::StatusOr<ExportCounts> WriteEmbeddings(const std::filesystem::path& dir,
                                             const InteractionLog& log,
                                             const AlsModel& model) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir.string(), ": cannot create: ", ec.message()));
  }
  const tools::VectorSet items = NonZeroRows(log.items, model.items);
  const tools::VectorSet users = NonZeroRows(log.users, model.users);
  if (absl::Status s = tools::WriteVectorSet(dir / "items.npy", dir / "items.ids", items);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = tools::WriteVectorSet(dir / "users.npy", dir / "users.ids", users);
      !s.ok()) {
    return s;
  }
  return ExportCounts{users.rows(), items.rows()};
}

}  // namespace zhongcao::train
