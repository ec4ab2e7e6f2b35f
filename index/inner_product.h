// Float inner-product kernels for every distance the index computes: an
// AVX2/FMA one chosen at run time where the CPU has it, and a portable one.
// The build stays generic (users' machines differ); only these functions
// carry the AVX2 target.
#pragma once

#include <immintrin.h>

#include <cstddef>

namespace zhongcao::index {

// True when the CPU runs AVX2 and FMA, decided once.
bool HaveAvx2Fma();

// sum a[i] * b[i] for i < d, by the fastest kernel this CPU runs. Neither
// pointer needs any alignment beyond float's.
float InnerProduct(const float* a, const float* b, size_t d);

// The portable kernel, also the reference for tests.
float InnerProductPortable(const float* a, const float* b, size_t d);

// Only call when HaveAvx2Fma(). Inline so that code compiled for AVX2 (the
// graph search) gets it without a call; elsewhere it is an ordinary call.
__attribute__((target("avx2,fma"))) inline float InnerProductAvx2(const float* a,
                                                                  const float* b,
                                                                  size_t d) {
  // Four accumulators hide the FMA latency; 64 floats (the usual dimension)
  // are two rounds of the main loop and no tail.
  __m256 s0 = _mm256_setzero_ps();
  __m256 s1 = _mm256_setzero_ps();
  __m256 s2 = _mm256_setzero_ps();
  __m256 s3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= d; i += 8) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  }
  const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  if (i + 4 <= d) {
    h = _mm_fmadd_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i), h);
    i += 4;
  }
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float sum = _mm_cvtss_f32(h);
  for (; i < d; ++i) sum += a[i] * b[i];
  return sum;
}

}  // namespace zhongcao::index
