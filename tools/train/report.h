// The evaluation report of the trainer: a text table for people and the same
// figures as JSON for scripts and the results page.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/train/evaluation.h"

namespace zhongcao::train {

struct MethodReport {
  std::string name;  // "als", "popularity"
  Evaluation evaluation;
  double train_seconds = 0;
};

struct EvaluationReport {
  std::string command;
  std::string dataset;
  std::string input;
  std::string protocol;
  std::string held_out;  // "test" or "validation"
  int64_t users = 0, items = 0, events = 0;
  int64_t train_events = 0, train_pairs = 0;
  std::string settings;  // the ALS options and event weights
  std::vector<MethodReport> methods;
};

std::string FormatTable(const EvaluationReport& report);
std::string FormatJson(const EvaluationReport& report);

}  // namespace zhongcao::train
