#include "index/inner_product.h"

namespace zhongcao::index {
namespace {

using Kernel = float (*)(const float*, const float*, size_t);

Kernel ChooseKernel() { return HaveAvx2Fma() ? InnerProductAvx2 : InnerProductPortable; }

}  // namespace

bool HaveAvx2Fma() {
  static const bool have = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return have;
}

float InnerProductPortable(const float* a, const float* b, size_t d) {
  // Independent partial sums let the compiler use SSE2 (the x86-64
  // baseline) without reassociating a single sum, which it may not do.
  float s[8] = {};
  size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    for (int j = 0; j < 8; ++j) s[j] += a[i + j] * b[i + j];
  }
  for (int j = 0; i < d; ++i, ++j) s[j] += a[i] * b[i];
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

float InnerProduct(const float* a, const float* b, size_t d) {
  static const Kernel kernel = ChooseKernel();
  return kernel(a, b, d);
}

}  // namespace zhongcao::index
