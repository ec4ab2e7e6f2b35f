// The evaluation's report: a table for people (one row per system or arm)
// and everything as JSON for scripts and results pages.
#pragma once

#include <string>

#include "tools/evaluate/evaluator.h"

namespace zhongcao::evaluate {

std::string FormatTable(const EvaluationResult& result);
// `command` is the command line that produced it.
std::string FormatJson(const EvaluationResult& result, const std::string& command);

}  // namespace zhongcao::evaluate
