// Admission control for the read calls: at most `limit` of them run at
// once, and one more is refused at once with RESOURCE_EXHAUSTED.
//
// Under overload a server that admits everything time-slices every call
// until each one misses its deadline: at twice its capacity it answers
// nothing. Refusing the excess early keeps the admitted calls at their
// normal latency and tells callers to back off or try another replica.
#pragma once

#include <atomic>
#include <optional>

namespace zhongcao::service {

class ConcurrencyLimit {
 public:
  // `limit` <= 0 admits everything.
  explicit ConcurrencyLimit(int limit) : limit_(limit) {}

  // Held while an admitted call runs.
  class Permit {
   public:
    explicit Permit(std::atomic<int>* in_flight) : in_flight_(in_flight) {}
    Permit(Permit&& other) noexcept : in_flight_(other.in_flight_) {
      other.in_flight_ = nullptr;
    }
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    Permit& operator=(Permit&&) = delete;
    ~Permit() {
      if (in_flight_ != nullptr) in_flight_->fetch_sub(1, std::memory_order_relaxed);
    }

   private:
    std::atomic<int>* in_flight_;
  };

  // A permit, or nothing when `limit` calls are running.
  std::optional<Permit> TryAcquire() {
    const int before = in_flight_.fetch_add(1, std::memory_order_relaxed);
    Permit permit(&in_flight_);
    if (limit_ > 0 && before >= limit_) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;  // the permit gives its count back
    }
    return permit;
  }

  int limit() const { return limit_; }
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  // Calls refused since start.
  int64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  const int limit_;
  std::atomic<int> in_flight_{0};
  std::atomic<int64_t> refused_{0};
};

}  // namespace zhongcao::service
