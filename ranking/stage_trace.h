// Timing a request's stages and adding them to its debug trace, shared by
// the pipeline's stages and the reads the recommender makes before them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "zhongcao/v1/recommend.pb.h"

namespace zhongcao::ranking {

// Microseconds since it was made.
class StageTimer {
 public:
  StageTimer() : start_(std::chrono::steady_clock::now()) {}
  int64_t micros() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now() - start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Appends a stage to `trace`; null (and nothing added) when the request
// asked for no trace.
inline v1::StageTrace* AddTrace(google::protobuf::RepeatedPtrField<v1::StageTrace>* trace,
                                std::string stage, size_t in, size_t out,
                                int64_t micros) {
  if (trace == nullptr) return nullptr;
  v1::StageTrace* t = trace->Add();
  t->set_stage(std::move(stage));
  t->set_candidates_in(static_cast<int32_t>(in));
  t->set_candidates_out(static_cast<int32_t>(out));
  t->set_micros(micros);
  return t;
}

}  // namespace zhongcao::ranking
