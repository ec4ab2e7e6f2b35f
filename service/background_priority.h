// Lowers the CPU priority of the calling thread, for work that must not
// take cores from requests: index loads and builds on a 2-core machine
// otherwise push GetFeed past its deadline while they run.
#pragma once

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace zhongcao::service {

// Linux keeps a nice value per thread; threads started from this one
// (e.g. FAISS's OpenMP team) inherit it. Failure only leaves the priority
// as it was, so it is not reported.
inline void LowerThisThreadsPriority() {
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
}

}  // namespace zhongcao::service
