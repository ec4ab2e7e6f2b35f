#include "tools/demo/catalog_generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <random>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/substitute.h"

namespace zhongcao::demo {
namespace {

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kMinuteMs = 60 * kSecondMs;
constexpr int64_t kDayMs = 24 * 60 * kMinuteMs;
// Products are up to this old; `now_ms` must be later than it.
constexpr int64_t kMaxAgeMs = 400 * kDayMs;
// Events happen over the 30 days before now - 1 day; held-out events after.
constexpr int64_t kHistoryMs = 30 * kDayMs;
constexpr int64_t kHeldOutMs = kDayMs;

// ---------------------------------------------------------------------------
// Randomness. std::mt19937_64 is specified bit for bit by the standard; the
// std::*_distribution classes are not, so the distributions are written here.

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Independent streams, so that one part's draws do not shift another's.
enum class Stream : uint64_t {
  kTopics = 1,
  kCreators,
  kProducts,
  kContent,
  kEmbeddings,
  kUsers,
  kEvents,
  kLatent,  // last, so that adding it moved no other stream's seed
};

uint64_t StreamSeed(uint64_t seed, Stream stream, uint64_t index = 0) {
  return SplitMix64(SplitMix64(seed ^ SplitMix64(static_cast<uint64_t>(stream))) +
                    index);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform in [lo, hi], unbiased (rejection).
  int64_t Int(int64_t lo, int64_t hi) {
    const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
    if (range == 0) return static_cast<int64_t>(engine_());
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    const uint64_t limit = kMax - kMax % range;
    uint64_t x = engine_();
    while (x >= limit) x = engine_();
    return lo + static_cast<int64_t>(x % range);
  }
  size_t Index(size_t n) { return static_cast<size_t>(Int(0, static_cast<int64_t>(n) - 1)); }
  bool Chance(double p) { return Uniform() < p; }
  // Standard normal (Box-Muller).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  double LogUniform(double lo, double hi) {
    return std::exp(Uniform(std::log(lo), std::log(hi)));
  }
  // Pareto with minimum `xm` and tail index `alpha`.
  double Pareto(double xm, double alpha) {
    return xm * std::pow(1.0 - Uniform(), -1.0 / alpha);
  }
  template <typename T>
  void Shuffle(std::vector<T>& v) {  // Fisher-Yates
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Index(i)]);
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Index(v.size())];
  }

 private:
  std::mt19937_64 engine_;
};

// Draws indices with probability proportional to non-negative weights.
class Discrete {
 public:
  Discrete() = default;
  explicit Discrete(const std::vector<double>& weights) {
    cdf_.reserve(weights.size());
    double total = 0;
    for (double w : weights) cdf_.push_back(total += std::max(w, 0.0));
  }
  bool empty() const { return cdf_.empty() || cdf_.back() <= 0; }
  size_t Sample(Rng& rng) const {
    const double u = rng.Uniform() * cdf_.back();
    const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
    return std::min(static_cast<size_t>(it - cdf_.begin()), cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
};

std::vector<float> Normalized(std::vector<double> v) {
  double norm = 0;
  for (double x : v) norm += x * x;
  norm = std::sqrt(norm);
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    out[i] = static_cast<float>(norm > 0 ? v[i] / norm : (i == 0 ? 1.0 : 0.0));
  }
  return out;
}

std::vector<float> RandomUnitVector(Rng& rng, int dim) {
  std::vector<double> v(dim);
  for (double& x : v) x = rng.Normal();
  return Normalized(std::move(v));
}

// `count` orthonormal vectors of `dim` (count <= dim): Gram-Schmidt over
// Gaussian draws, a uniformly random subspace.
std::vector<std::vector<double>> RandomOrthonormal(Rng& rng, int count, int dim) {
  std::vector<std::vector<double>> basis;
  while (static_cast<int>(basis.size()) < count) {
    std::vector<double> v(dim);
    for (double& x : v) x = rng.Normal();
    for (const std::vector<double>& b : basis) {
      double dot = 0;
      for (int i = 0; i < dim; ++i) dot += v[i] * b[i];
      for (int i = 0; i < dim; ++i) v[i] -= dot * b[i];
    }
    double norm = 0;
    for (double x : v) norm += x * x;
    norm = std::sqrt(norm);
    if (norm < 1e-6) continue;  // nearly inside the span already: draw again
    for (double& x : v) x /= norm;
    basis.push_back(std::move(v));
  }
  return basis;
}

// normalize(sum_i weights[i] * bases[i] + noise), where the noise has norm
// about `scale`: N(0, (scale^2/dim) I) when `subspace` is empty, else
// N(0, scale^2/L) along each of the L orthonormal vectors of `subspace`.
// Either way `dim` normals are drawn (the latter projects them onto the
// subspace, which leaves L independent standard normals), so a subspace
// changes the embeddings and nothing else drawn from `rng` afterwards.
std::vector<float> NoisyMix(Rng& rng, const std::vector<const std::vector<float>*>& bases,
                            const std::vector<double>& weights, double scale, int dim,
                            const std::vector<std::vector<double>>& subspace = {}) {
  std::vector<double> v(dim, 0.0);
  for (size_t b = 0; b < bases.size(); ++b) {
    for (int i = 0; i < dim; ++i) v[i] += weights[b] * (*bases[b])[i];
  }
  if (subspace.empty()) {
    const double sigma = scale / std::sqrt(static_cast<double>(dim));
    for (double& x : v) x += sigma * rng.Normal();
  } else {
    std::vector<double> g(dim);
    for (double& x : g) x = rng.Normal();
    const double sigma = scale / std::sqrt(static_cast<double>(subspace.size()));
    for (const std::vector<double>& direction : subspace) {
      double z = 0;
      for (int i = 0; i < dim; ++i) z += g[i] * direction[i];
      for (int i = 0; i < dim; ++i) v[i] += sigma * z * direction[i];
    }
  }
  return Normalized(std::move(v));
}

// ---------------------------------------------------------------------------
// The domain: topics (shopping categories), regions, names.

enum Family { kBeauty, kFashion, kFood, kHome, kTech, kLifestyle, kFamilies };

struct TopicDef {
  const char* name;
  Family family;
  double share;      // relative size of the topic in the catalog and audience
  double price_cny;  // typical product price
  std::array<const char*, 4> nouns;
};

constexpr TopicDef kTopicDefs[] = {
    {"skincare", kBeauty, 10, 180, {"serum", "toner", "sunscreen", "face cream"}},
    {"makeup", kBeauty, 8, 150, {"lipstick", "cushion foundation", "eyeshadow palette", "mascara"}},
    {"fragrance", kBeauty, 4, 450, {"eau de parfum", "body mist", "perfume oil", "scented hand cream"}},
    {"haircare", kBeauty, 4, 90, {"shampoo", "hair mask", "hair oil", "hair dryer"}},
    {"sneakers", kFashion, 6, 700, {"running shoe", "court sneaker", "trail shoe", "dad shoe"}},
    {"streetwear", kFashion, 5, 260, {"hoodie", "cargo pants", "graphic tee", "bucket hat"}},
    {"womenswear", kFashion, 7, 320, {"midi dress", "cardigan", "trench coat", "wide-leg jeans"}},
    {"bags", kFashion, 4, 600, {"tote bag", "crossbody bag", "backpack", "mini bag"}},
    {"jewelry", kFashion, 3, 400, {"necklace", "earrings", "ring", "bracelet"}},
    {"coffee", kFood, 4, 70, {"coffee beans", "drip bags", "cold brew", "pour-over kettle"}},
    {"tea", kFood, 3, 90, {"oolong tea", "matcha", "milk tea kit", "tea set"}},
    {"snacks", kFood, 5, 35, {"nut mix", "seaweed snack", "chili crisp", "spicy strips"}},
    {"home_decor", kHome, 5, 160, {"scented candle", "throw pillow", "floor lamp", "wall art"}},
    {"kitchen", kHome, 4, 400, {"air fryer", "rice cooker", "knife set", "cast-iron pan"}},
    {"pets", kHome, 4, 80, {"cat litter", "dog treats", "pet bed", "cat tree"}},
    {"baby", kHome, 4, 200, {"diapers", "baby bottle", "stroller", "baby carrier"}},
    {"phones", kTech, 4, 600, {"smartphone", "phone case", "power bank", "charger"}},
    {"audio", kTech, 3, 500, {"earbuds", "headphones", "bluetooth speaker", "turntable"}},
    {"gaming", kTech, 3, 400, {"controller", "mechanical keyboard", "gaming mouse", "handheld console"}},
    {"cameras", kTech, 2, 900, {"instant camera", "vlog camera", "tripod", "camera strap"}},
    {"fitness", kLifestyle, 4, 200, {"yoga mat", "dumbbells", "protein powder", "leggings"}},
    {"outdoor", kLifestyle, 3, 600, {"camping tent", "hiking jacket", "trekking poles", "camp chair"}},
    {"travel", kLifestyle, 4, 300, {"carry-on", "packing cubes", "neck pillow", "travel adapter"}},
    {"books", kLifestyle, 2, 60, {"novel", "planner", "photo book", "cookbook"}},
};
constexpr int kNamedTopics = static_cast<int>(std::size(kTopicDefs));

struct Topic {
  std::string name;
  std::string label;  // for titles: "home decor"
  Family family;
  double share;
  double price_cny;
  std::vector<std::string> nouns;
  std::vector<float> centroid;
  // With CatalogSpec::latent_dim: the subspace that offsets from the
  // centroid lie in, one per topic (trained embeddings curve differently
  // in different regions of the space). Empty: isotropic offsets.
  std::vector<std::vector<double>> subspace;
};

struct Currency {
  const char* code;
  double per_cny;     // units of this currency per CNY (rough, fixed)
  int exponent;       // ISO 4217 minor-unit digits
  int64_t round_to;   // prices round to this many minor units...
  int64_t charm;      // ...minus this many (199.90, 369 baht)
};

struct RegionDef {
  const char* name;
  const char* locale;
  Currency currency;
};

constexpr Currency kCny = {"CNY", 1.0, 2, 100, 10};
constexpr RegionDef kRegionDefs[] = {
    {"singapore", "en-SG", {"SGD", 0.19, 2, 100, 10}},
    {"jakarta", "id-ID", {"IDR", 2200, 2, 100000, 0}},
    {"bangkok", "th-TH", {"THB", 5.0, 2, 1000, 100}},
    {"kuala_lumpur", "ms-MY", {"MYR", 0.65, 2, 100, 10}},
    {"manila", "en-PH", {"PHP", 8.0, 2, 1000, 100}},
    {"ho_chi_minh", "vi-VN", {"VND", 3500, 0, 1000, 0}},
    {"hongkong", "zh-HK", {"HKD", 1.1, 2, 100, 10}},
    {"taipei", "zh-TW", {"TWD", 4.5, 2, 1000, 100}},
};

// Any region not listed (the Chinese cities, and unknown names) is treated
// as mainland China.
const RegionDef* FindRegion(const std::string& region) {
  for (const RegionDef& def : kRegionDefs) {
    if (region == def.name) return &def;
  }
  return nullptr;
}
const Currency& CurrencyOf(const std::string& region) {
  const RegionDef* def = FindRegion(region);
  return def != nullptr ? def->currency : kCny;
}
std::string LocaleOf(const std::string& region) {
  const RegionDef* def = FindRegion(region);
  return def != nullptr ? def->locale : "zh-CN";
}

// A price in `currency`'s minor units, rounded the way shops price.
int64_t LocalPrice(double price_cny, const Currency& currency) {
  const double minor = price_cny * currency.per_cny * std::pow(10.0, currency.exponent);
  const int64_t rounded =
      std::max<int64_t>(1, std::llround(minor / static_cast<double>(currency.round_to))) *
      currency.round_to;
  return rounded - currency.charm;
}

constexpr const char* kGivenNames[] = {
    "Mia",  "Leo",   "Xiaoyu", "Ayu",  "Nina", "Kai",     "Mei",   "Jun",
    "Putri", "Ploy", "Lin",    "Yan",  "Hao",  "Dewi",    "Wen",   "Zoe",
    "Tian", "Rina",  "Arif",   "Fern", "Qing", "Somchai", "Lulu",  "Bao"};
constexpr const char* kHandleSuffixes[] = {"diary", "picks", "notes", "lab",
                                           "corner", "club",  "daily", "edit"};
constexpr const char* kBrandPrefixes[] = {
    "Lumi", "Nova", "Mori", "Kaze", "Yun",  "Aster", "Bloom", "Terra",
    "Oku",  "Vela", "Hana", "Pico", "Rune", "Zen",   "Mika",  "Solen"};
constexpr const char* kBrandSuffixes[] = {"Lab",   "Studio", "Works",   "House",
                                          "& Co",  "Goods",  "Atelier", "Supply"};
constexpr const char* kVariants[] = {"", "", "", "Pro", "Lite", "Mini", "Max", "Classic",
                                     "Limited Edition", "2.0"};
constexpr const char* kNoteTitles[] = {
    "Honest review: $0",         "My $0 routine, 3 months in", "$0 picks under budget",
    "Is this $0 worth the hype?", "5 $1 finds I keep rebuying", "$0 dupes that actually work"};
constexpr const char* kVideoTitles[] = {"$0 in 60 seconds", "Unboxing the viral $0",
                                        "Testing every $0 so you don't have to",
                                        "A week with this $0"};
constexpr const char* kLiveTitles[] = {"Live: $1 deals tonight", "Live Q&A: choosing a $0",
                                       "Live try-on: new $1 drops"};
constexpr const char* kNoteTags[] = {"review", "haul",  "routine",  "dupe",
                                     "ootd",   "tips",  "unboxing", "comparison"};
constexpr const char* kVideoTags[] = {"tutorial", "haul", "unboxing", "vlog", "grwm", "review"};
constexpr const char* kLiveTags[] = {"live_deals", "flash_sale", "qna"};

template <typename T, size_t N>
const T& PickFrom(Rng& rng, const T (&values)[N]) {
  return values[rng.Index(N)];
}

// Campaign tags: Singles' Day, 618 and Double 12.
void AddCampaignTags(Rng& rng, v1::Item& item) {
  if (rng.Chance(0.06)) item.add_tags("1111");
  if (rng.Chance(0.03)) item.add_tags("618");
  if (rng.Chance(0.02)) item.add_tags("double12");
}

std::string Capitalized(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 'a' + 'A');
  return text;
}

std::string PaddedId(char prefix, int64_t n, int width) {
  return absl::StrFormat("%c%0*d", prefix, width, n);
}

// ---------------------------------------------------------------------------
// The generator.

struct CreatorInfo {
  std::vector<int> topics;  // 1-2 main topics
  int brand = -1;           // BRAND: itself; BRAND_STAFF: its brand
};

struct ItemInfo {
  int topic = 0;
  int rank = 0;  // popularity rank within the topic, 0 = most popular
  std::vector<int> linked;  // indices of linked products
  int brand = -1;           // products: the creator index of their brand
};

// A list whose elements each have a time, asked for "the k-th element, in
// list order, of those with time <= t" without a scan: a persistent segment
// tree over list positions with one version per element, added in time
// order. A content item picks linked products this way from its topic's
// products that exist by its creation; scanning the topic's products for
// each post made a million-item catalog take minutes.
class TimedList {
 public:
  TimedList() = default;
  explicit TimedList(const std::vector<int64_t>& times)
      : size_(static_cast<int>(times.size())) {
    std::vector<int> order(times.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return times[a] < times[b]; });
    nodes_.push_back({0, 0, 0});  // node 0: the empty tree
    roots_.push_back(0);
    for (int position : order) {
      sorted_times_.push_back(times[position]);
      roots_.push_back(Insert(roots_.back(), 0, size_, position));
    }
  }

  // How many elements have time <= t.
  int CountAtMost(int64_t t) const {
    return static_cast<int>(
        std::upper_bound(sorted_times_.begin(), sorted_times_.end(), t) -
        sorted_times_.begin());
  }
  // The list position of the k-th (from 0) of the CountAtMost(t) elements,
  // in list order; k must be below that count.
  int KthAtMost(int64_t t, int k) const {
    int node = roots_[CountAtMost(t)];
    int lo = 0, hi = size_;
    while (hi - lo > 1) {
      const int mid = lo + (hi - lo) / 2;
      const int left = nodes_[node].left;
      if (k < nodes_[left].count) {
        node = left;
        hi = mid;
      } else {
        k -= nodes_[left].count;
        node = nodes_[node].right;
        lo = mid;
      }
    }
    return lo;
  }

 private:
  struct Node {
    int left, right, count;
  };

  // A copy of `node`'s path to `position` (in [lo, hi)) with it added.
  int Insert(int node, int lo, int hi, int position) {
    const int copy = static_cast<int>(nodes_.size());
    nodes_.push_back({nodes_[node].left, nodes_[node].right, nodes_[node].count + 1});
    if (hi - lo > 1) {
      const int mid = lo + (hi - lo) / 2;
      if (position < mid) {
        const int child = Insert(nodes_[node].left, lo, mid, position);
        nodes_[copy].left = child;
      } else {
        const int child = Insert(nodes_[node].right, mid, hi, position);
        nodes_[copy].right = child;
      }
    }
    return copy;
  }

  int size_ = 0;
  std::vector<Node> nodes_;
  std::vector<int> roots_;  // roots_[c]: the c earliest elements
  std::vector<int64_t> sorted_times_;
};

// Products of one topic (or of one brand in one topic) in catalog order,
// searchable by creation time.
struct ProductPool {
  std::vector<int> products;
  TimedList by_time;

  explicit ProductPool(std::vector<int> list, const std::vector<v1::Item>& items)
      : products(std::move(list)) {
    std::vector<int64_t> times;
    times.reserve(products.size());
    for (int p : products) times.push_back(items[p].created_at_ms());
    by_time = TimedList(times);
  }
  int CountAtMost(int64_t t) const { return by_time.CountAtMost(t); }
  int Get(int64_t t, size_t k) const {
    return products[by_time.KthAtMost(t, static_cast<int>(k))];
  }
};

class Generator {
 public:
  explicit Generator(const CatalogSpec& spec) : spec_(spec) {}

  Catalog Run() {
    MakeTopics();
    MakeCreators();
    MakeProducts();
    MakeContent();
    RankAndEmbedItems();
    MakeUsersAndEvents();
    return std::move(catalog_);
  }

 private:
  // Topic weights restricted to topics with at least one item (all topics
  // when there are no items), for drawing interests.
  std::vector<double> InterestShares() const {
    std::vector<double> shares(topics_.size());
    bool any = false;
    for (size_t t = 0; t < topics_.size(); ++t) {
      shares[t] = items_by_topic_[t].empty() ? 0 : topics_[t].share;
      any = any || shares[t] > 0;
    }
    if (!any) {
      for (size_t t = 0; t < topics_.size(); ++t) shares[t] = topics_[t].share;
    }
    return shares;
  }

  void MakeTopics() {
    Rng rng(StreamSeed(spec_.seed, Stream::kTopics));
    std::vector<std::vector<float>> families;
    for (int f = 0; f < kFamilies; ++f) families.push_back(RandomUnitVector(rng, spec_.dim));
    std::vector<double> shares;
    for (int t = 0; t < spec_.topics; ++t) {
      Topic topic;
      if (t < kNamedTopics) {
        const TopicDef& def = kTopicDefs[t];
        topic.name = def.name;
        topic.family = def.family;
        topic.share = def.share;
        topic.price_cny = def.price_cny;
        topic.nouns.assign(def.nouns.begin(), def.nouns.end());
      } else {
        topic.name = TopicName(t);
        topic.family = static_cast<Family>(t % kFamilies);
        topic.share = 2;
        topic.price_cny = 100;
        topic.nouns = {"item", "set", "kit", "bundle"};
      }
      topic.label = absl::StrReplaceAll(topic.name, {{"_", " "}});
      // Topics of one family share a direction (cosine about 0.5), so
      // "skincare" and "makeup" overlap while "skincare" and "gaming" do not.
      const std::vector<float> own = RandomUnitVector(rng, spec_.dim);
      topic.centroid = NoisyMix(rng, {&families[topic.family], &own}, {0.7, 0.7}, 0.0,
                                spec_.dim);
      shares.push_back(topic.share);
      topics_.push_back(std::move(topic));
    }
    topic_draw_ = Discrete(shares);
    if (spec_.latent_dim > 0) {
      Rng latent(StreamSeed(spec_.seed, Stream::kLatent));
      for (Topic& topic : topics_) {
        topic.subspace = RandomOrthonormal(latent, spec_.latent_dim, spec_.dim);
      }
    }
    for (size_t t = 0; t < topics_.size(); ++t) {
      topics_by_family_[topics_[t].family].push_back(static_cast<int>(t));
    }
    items_by_topic_.resize(topics_.size());
    products_by_topic_.resize(topics_.size());
    brands_by_topic_.resize(topics_.size());
    creators_by_topic_.resize(topics_.size());
  }

  // A topic other than those in `taken`: from `family` with probability
  // `same_family` when it has one left, otherwise by share. -1 if none left.
  int OtherTopic(Rng& rng, const std::vector<int>& taken, int family, double same_family,
                 const Discrete& draw) {
    auto free = [&](int t) { return std::find(taken.begin(), taken.end(), t) == taken.end(); };
    if (family >= 0 && rng.Chance(same_family)) {
      std::vector<int> candidates;
      for (int t : topics_by_family_[family]) {
        if (free(t)) candidates.push_back(t);
      }
      if (!candidates.empty()) return rng.Pick(candidates);
    }
    for (int attempt = 0; attempt < 32; ++attempt) {
      const int t = static_cast<int>(draw.Sample(rng));
      if (free(t)) return t;
    }
    for (int t = 0; t < static_cast<int>(topics_.size()); ++t) {
      if (free(t)) return t;
    }
    return -1;
  }

  void MakeCreators() {
    Rng rng(StreamSeed(spec_.seed, Stream::kCreators));
    const int n = spec_.creators;
    int brands = static_cast<int>(std::lround(0.20 * n));
    int staff = static_cast<int>(std::lround(0.10 * n));
    int kols = static_cast<int>(std::lround(0.08 * n));
    if (spec_.products > 0 && brands == 0 && n > 0) brands = 1;
    if (brands == 0) staff = 0;
    staff = std::min(staff, n - brands);
    kols = std::min(kols, n - brands - staff);
    std::vector<v1::CreatorTier> tiers;
    tiers.insert(tiers.end(), brands, v1::CREATOR_TIER_BRAND);
    tiers.insert(tiers.end(), staff, v1::CREATOR_TIER_BRAND_STAFF);
    tiers.insert(tiers.end(), kols, v1::CREATOR_TIER_KOL);
    tiers.insert(tiers.end(), n - brands - staff - kols, v1::CREATOR_TIER_KOC);
    rng.Shuffle(tiers);

    // Brands first (staff need them): spread over the topics, so that each
    // topic has a brand when there are enough brands.
    std::vector<int> topic_order(topics_.size());
    for (size_t t = 0; t < topic_order.size(); ++t) topic_order[t] = static_cast<int>(t);
    rng.Shuffle(topic_order);
    creators_.resize(n);
    catalog_.creators.resize(n);
    absl::flat_hash_set<std::string> brand_names;
    int brand_count = 0;
    for (int c = 0; c < n; ++c) {
      if (tiers[c] != v1::CREATOR_TIER_BRAND) continue;
      CreatorInfo& info = creators_[c];
      info.brand = c;
      info.topics.push_back(topic_order[brand_count++ % topic_order.size()]);
      if (rng.Chance(0.25)) {
        const int t = OtherTopic(rng, info.topics, topics_[info.topics[0]].family, 1.0,
                                 topic_draw_);
        if (t >= 0) info.topics.push_back(t);
      }
      std::string name =
          absl::StrCat(PickFrom(rng, kBrandPrefixes), " ", PickFrom(rng, kBrandSuffixes));
      if (!brand_names.insert(name).second) absl::StrAppend(&name, " ", c);
      brand_names.insert(name);
      v1::Creator& creator = catalog_.creators[c];
      creator.set_name(name);
      creator.set_region(rng.Pick(spec_.regions));
      creator.set_followers(std::llround(rng.LogUniform(2e4, 3e6)));
      brand_ids_.push_back(c);
      for (int t : info.topics) brands_by_topic_[t].push_back(c);
    }
    for (int c = 0; c < n; ++c) {
      v1::Creator& creator = catalog_.creators[c];
      creator.set_id(PaddedId('c', c, 5));
      creator.set_tier(tiers[c]);
      CreatorInfo& info = creators_[c];
      switch (tiers[c]) {
        case v1::CREATOR_TIER_BRAND:
          break;
        case v1::CREATOR_TIER_BRAND_STAFF: {
          info.brand = rng.Pick(brand_ids_);
          info.topics = creators_[info.brand].topics;
          const v1::Creator& brand = catalog_.creators[info.brand];
          creator.set_name(absl::StrCat(PickFrom(rng, kGivenNames), " @ ", brand.name()));
          creator.set_region(rng.Chance(0.8) ? brand.region() : rng.Pick(spec_.regions));
          creator.set_followers(std::llround(rng.LogUniform(200, 2e4)));
          break;
        }
        default: {
          const bool kol = tiers[c] == v1::CREATOR_TIER_KOL;
          info.topics.push_back(static_cast<int>(topic_draw_.Sample(rng)));
          if (rng.Chance(0.5)) {
            const int t = OtherTopic(rng, info.topics, topics_[info.topics[0]].family, 0.7,
                                     topic_draw_);
            if (t >= 0) info.topics.push_back(t);
          }
          creator.set_name(absl::StrCat(PickFrom(rng, kGivenNames), "'s ",
                                        topics_[info.topics[0]].label, " ",
                                        PickFrom(rng, kHandleSuffixes)));
          creator.set_region(rng.Pick(spec_.regions));
          creator.set_followers(
              std::llround(kol ? rng.LogUniform(1e5, 5e6) : rng.LogUniform(300, 3e4)));
          break;
        }
      }
      for (int t : info.topics) creators_by_topic_[t].push_back(c);
    }
  }

  // Appeal of a creator to a follower, by tier.
  static double FollowAppeal(v1::CreatorTier tier) {
    switch (tier) {
      case v1::CREATOR_TIER_KOL: return 6;
      case v1::CREATOR_TIER_BRAND: return 2.5;
      case v1::CREATOR_TIER_BRAND_STAFF: return 0.4;
      default: return 1;
    }
  }

  void MakeProducts() {
    Rng rng(StreamSeed(spec_.seed, Stream::kProducts));
    catalog_.items.reserve(static_cast<size_t>(spec_.products) + spec_.content);
    for (int p = 0; p < spec_.products; ++p) {
      const int topic = static_cast<int>(topic_draw_.Sample(rng));
      const Topic& tp = topics_[topic];
      const int brand = brands_by_topic_[topic].empty() ? rng.Pick(brand_ids_)
                                                        : rng.Pick(brands_by_topic_[topic]);
      const v1::Creator& brand_creator = catalog_.creators[brand];
      v1::Item& item = catalog_.items.emplace_back();
      item.set_id(PaddedId('p', p, 6));
      item.set_kind(v1::ITEM_KIND_PRODUCT);
      item.set_creator_id(brand_creator.id());
      item.set_category(tp.name);
      const std::string& noun = rng.Pick(tp.nouns);
      const char* variant = PickFrom(rng, kVariants);
      item.set_title(*variant != '\0' ? absl::StrCat(brand_creator.name(), " ", noun, " ", variant)
                                      : absl::StrCat(brand_creator.name(), " ", noun));
      // Sold where the brand is based, in its currency; some products only
      // ship to a few regions.
      const Currency& currency = CurrencyOf(brand_creator.region());
      const bool local_brand = std::string_view(currency.code) != "CNY";
      if (rng.Chance(local_brand ? 0.6 : 0.2)) {
        std::vector<std::string> regions = {brand_creator.region()};
        const int extra = static_cast<int>(rng.Int(0, 2));
        for (int i = 0; i < extra; ++i) {
          const std::string& r = rng.Pick(spec_.regions);
          if (std::find(regions.begin(), regions.end(), r) == regions.end()) regions.push_back(r);
        }
        for (std::string& r : regions) item.add_regions(std::move(r));
      }
      const bool new_arrival = rng.Chance(0.1);
      const int64_t age = new_arrival ? rng.Int(kDayMs, 30 * kDayMs)
                                      : rng.Int(30 * kDayMs, kMaxAgeMs);
      item.set_created_at_ms(spec_.now_ms - age);
      item.add_tags(tp.name);
      if (new_arrival) item.add_tags("new_arrival");
      AddCampaignTags(rng, item);

      v1::ProductInfo& info = *item.mutable_product();
      info.set_brand(brand_creator.name());
      const double price_cny = std::max(1.0, tp.price_cny * std::exp(0.55 * rng.Normal()));
      info.set_price_cents(LocalPrice(price_cny, currency));
      info.set_currency(currency.code);
      info.set_stock(rng.Chance(0.05) ? 0 : std::llround(rng.LogUniform(1, 5000)));
      if (rng.Chance(0.08)) {
        info.set_rating(0);  // unrated
      } else {
        const double rating = std::clamp(5.0 - std::abs(0.45 * rng.Normal()), 1.0, 5.0);
        info.set_rating(static_cast<float>(std::round(rating * 10) / 10));
      }
      // Sales are set with popularity, in RankAndEmbedItems.
      item_info_.push_back({topic, 0, {}, brand});
      items_by_topic_[topic].push_back(p);
      products_by_topic_[topic].push_back(p);
    }
  }

  void MakeContent() {
    if (spec_.content == 0) return;
    Rng rng(StreamSeed(spec_.seed, Stream::kContent));
    // KOLs post most; livestreams come mostly from KOLs and brands.
    std::vector<double> post_weight, live_weight;
    for (const v1::Creator& c : catalog_.creators) {
      const auto [post, live] = [&]() -> std::pair<double, double> {
        switch (c.tier()) {
          case v1::CREATOR_TIER_KOL: return {8, 8};
          case v1::CREATOR_TIER_BRAND: return {2, 4};
          case v1::CREATOR_TIER_BRAND_STAFF: return {1.5, 3};
          default: return {1, 0.3};
        }
      }();
      post_weight.push_back(post);
      live_weight.push_back(live);
    }
    const Discrete post_draw(post_weight), live_draw(live_weight);
    const int lives = static_cast<int>(std::lround(0.05 * spec_.content));
    const int videos = static_cast<int>(std::lround(0.35 * spec_.content));
    const int notes = spec_.content - lives - videos;
    std::vector<ProductPool> topic_pools;
    for (const std::vector<int>& products : products_by_topic_) {
      topic_pools.emplace_back(products, catalog_.items);
    }
    std::unordered_map<int64_t, ProductPool> brand_pools;
    int counters[5] = {0, 0, 0, 0, 0};
    for (int i = 0; i < spec_.content; ++i) {
      const v1::ItemKind kind = i < notes            ? v1::ITEM_KIND_NOTE
                                : i < notes + videos ? v1::ITEM_KIND_VIDEO
                                                     : v1::ITEM_KIND_LIVE;
      const int c = static_cast<int>((kind == v1::ITEM_KIND_LIVE ? live_draw : post_draw).Sample(rng));
      const CreatorInfo& creator = creators_[c];
      const v1::Creator& creator_msg = catalog_.creators[c];
      int topic;
      if (rng.Chance(0.15)) {
        topic = static_cast<int>(topic_draw_.Sample(rng));
      } else {
        topic = creator.topics.size() > 1 && rng.Chance(0.3) ? creator.topics[1] : creator.topics[0];
      }
      const Topic& tp = topics_[topic];
      const int index = static_cast<int>(catalog_.items.size());
      v1::Item& item = catalog_.items.emplace_back();
      const char prefix = kind == v1::ITEM_KIND_NOTE ? 'n' : kind == v1::ITEM_KIND_VIDEO ? 'v' : 'l';
      item.set_id(PaddedId(prefix, counters[kind]++, 6));
      item.set_kind(kind);
      item.set_creator_id(creator_msg.id());
      item.set_category(tp.name);
      const std::string& noun = rng.Pick(tp.nouns);
      switch (kind) {
        case v1::ITEM_KIND_NOTE:
          item.set_title(Capitalized(absl::Substitute(PickFrom(rng, kNoteTitles), noun, tp.label)));
          item.add_tags(tp.name);
          item.add_tags(PickFrom(rng, kNoteTags));
          break;
        case v1::ITEM_KIND_VIDEO:
          item.set_title(Capitalized(absl::Substitute(PickFrom(rng, kVideoTitles), noun, tp.label)));
          item.add_tags(tp.name);
          item.add_tags(PickFrom(rng, kVideoTags));
          break;
        default:
          item.set_title(Capitalized(absl::Substitute(PickFrom(rng, kLiveTitles), noun, tp.label)));
          item.add_tags(tp.name);
          item.add_tags(PickFrom(rng, kLiveTags));
          break;
      }
      AddCampaignTags(rng, item);
      // Newer is more likely: the age is 30 days * u^1.4.
      const int64_t age = std::max<int64_t>(
          kMinuteMs, std::llround(static_cast<double>(kHistoryMs) * std::pow(rng.Uniform(), 1.4)));
      item.set_created_at_ms(spec_.now_ms - age);
      // Local content: some posts, and half the livestreams, only near home.
      if (rng.Chance(kind == v1::ITEM_KIND_LIVE ? 0.5 : 0.2)) {
        item.add_regions(creator_msg.region());
        if (rng.Chance(0.3)) {
          const std::string& r = rng.Pick(spec_.regions);
          if (r != creator_msg.region()) item.add_regions(r);
        }
      }
      if (rng.Chance(0.005)) item.set_unavailable(true);

      // Linked products of the same topic that exist by the time of the
      // post, the brand's own when it posts.
      const int64_t posted = item.created_at_ms();
      const ProductPool& pool = topic_pools[topic];
      const size_t pool_size = static_cast<size_t>(pool.CountAtMost(posted));
      if (pool_size > 0) {
        int links;
        if (kind == v1::ITEM_KIND_LIVE) {
          links = static_cast<int>(rng.Int(1, 3));
        } else {
          const double u = rng.Uniform();
          links = u < 0.30 ? 0 : u < 0.65 ? 1 : u < 0.85 ? 2 : 3;
        }
        const ProductPool* own = nullptr;
        size_t own_size = 0;
        if (creator.brand >= 0) {
          own = &BrandPool(brand_pools, topic, creator.brand);
          own_size = static_cast<size_t>(own->CountAtMost(posted));
        }
        std::vector<int> linked;
        for (int attempt = 0; attempt < 4 * links && static_cast<int>(linked.size()) < links;
             ++attempt) {
          const int p = own_size > 0 && rng.Chance(0.8)
                            ? own->Get(posted, rng.Index(own_size))
                            : pool.Get(posted, rng.Index(pool_size));
          if (std::find(linked.begin(), linked.end(), p) == linked.end()) linked.push_back(p);
        }
        for (int p : linked) item.add_linked_product_ids(catalog_.items[p].id());
        item_info_.push_back({topic, 0, std::move(linked)});
      } else {
        item_info_.push_back({topic, 0, {}});
      }
      items_by_topic_[topic].push_back(index);
    }
  }

  // The products of `brand` among those of `topic`, in the same order; made
  // on first use. (An unordered_map: references to its values stay valid.)
  const ProductPool& BrandPool(std::unordered_map<int64_t, ProductPool>& pools, int topic,
                               int brand) const {
    const int64_t key = static_cast<int64_t>(topic) << 32 | static_cast<uint32_t>(brand);
    auto it = pools.find(key);
    if (it == pools.end()) {
      std::vector<int> own;
      for (int p : products_by_topic_[topic]) {
        if (item_info_[p].brand == brand) own.push_back(p);
      }
      it = pools.emplace(key, ProductPool(std::move(own), catalog_.items)).first;
    }
    return it->second;
  }

  // Popularity ranks within each topic (a random order), item embeddings,
  // and product sales that follow popularity.
  void RankAndEmbedItems() {
    Rng rng(StreamSeed(spec_.seed, Stream::kEmbeddings));
    zipf_.resize(topics_.size());
    for (size_t t = 0; t < topics_.size(); ++t) {
      std::vector<int>& list = items_by_topic_[t];
      rng.Shuffle(list);
      std::vector<double> weights(list.size());
      for (size_t k = 0; k < list.size(); ++k) {
        item_info_[list[k]].rank = static_cast<int>(k);
        weights[k] = std::pow(static_cast<double>(k + 1), -kZipfExponent);
      }
      zipf_[t] = Discrete(weights);
    }
    for (size_t i = 0; i < catalog_.items.size(); ++i) {
      v1::Item& item = catalog_.items[i];
      const ItemInfo& info = item_info_[i];
      const size_t n = items_by_topic_[info.topic].size();
      const double f = n > 1 ? static_cast<double>(info.rank) / static_cast<double>(n - 1) : 0.0;
      // The noise norm grows from 0.7 (the most popular item: cosine 0.82
      // with its centroid) to 1.7 (the least: cosine 0.51). Two items of a
      // topic have cosine about 0.4 on average, of sister topics about 0.25,
      // of other families about 0: with dim 64, some 95% of an item's 10
      // nearest neighbours share its topic.
      const double scale = 0.7 + 1.0 * f;
      const std::vector<float> embedding =
          NoisyMix(rng, {&topics_[info.topic].centroid}, {1.0}, scale, spec_.dim,
                   topics_[info.topic].subspace);
      item.mutable_embedding()->Add(embedding.begin(), embedding.end());
      if (item.kind() == v1::ITEM_KIND_PRODUCT) {
        const double boost =
            1.0 + 100.0 * std::pow(static_cast<double>(info.rank + 1), -kZipfExponent);
        item.mutable_product()->set_sales(
            std::min<int64_t>(5'000'000, std::llround(rng.Pareto(10, 1.16) * boost) - 10));
      }
    }
  }

  // An item of `topic` created at or before `max_created_at_ms` and not in
  // `exclude`, by Zipf popularity; -1 if there is none.
  int DrawItem(Rng& rng, int topic, int64_t max_created_at_ms,
               const absl::flat_hash_set<int>* exclude) const {
    const std::vector<int>& list = items_by_topic_[topic];
    if (list.empty()) return -1;
    auto fits = [&](int i) {
      return catalog_.items[i].created_at_ms() <= max_created_at_ms &&
             (exclude == nullptr || !exclude->contains(i));
    };
    size_t k = 0;
    for (int attempt = 0; attempt < 16; ++attempt) {
      k = zipf_[topic].Sample(rng);
      if (fits(list[k])) return list[k];
    }
    // Rare: scan on from the last draw.
    for (size_t j = 1; j < list.size(); ++j) {
      const int i = list[(k + j) % list.size()];
      if (fits(i)) return i;
    }
    return -1;
  }

  void MakeUsersAndEvents() {
    Rng rng(StreamSeed(spec_.seed, Stream::kUsers));
    const Discrete interest_draw(InterestShares());
    std::vector<double> appeal;
    for (const v1::Creator& c : catalog_.creators) appeal.push_back(FollowAppeal(c.tier()));
    const Discrete any_creator(appeal);
    std::vector<Discrete> creator_by_topic(topics_.size());
    for (size_t t = 0; t < topics_.size(); ++t) {
      std::vector<double> w;
      for (int c : creators_by_topic_[t]) w.push_back(appeal[c]);
      creator_by_topic[t] = Discrete(w);
    }
    catalog_.users.reserve(spec_.users);
    catalog_.events.reserve(static_cast<size_t>(spec_.users) * spec_.events_per_user);
    for (int u = 0; u < spec_.users; ++u) {
      v1::User& user = catalog_.users.emplace_back();
      user.set_id(PaddedId('u', u, 6));
      user.set_region(rng.Pick(spec_.regions));
      user.set_locale(LocaleOf(user.region()));

      // 1-3 interests, the first the strongest; a second interest is often
      // of the same family (beauty with makeup).
      const double k_draw = rng.Uniform();
      const int k = k_draw < 0.3 ? 1 : k_draw < 0.75 ? 2 : 3;
      std::vector<int> interests = {static_cast<int>(interest_draw.Sample(rng))};
      while (static_cast<int>(interests.size()) < k) {
        const int t = OtherTopic(rng, interests, topics_[interests[0]].family, 0.5, interest_draw);
        if (t < 0 || interest_draw.empty()) break;
        interests.push_back(t);
      }
      std::vector<double> weights;
      for (size_t i = 0; i < interests.size(); ++i) weights.push_back(-std::log(1.0 - rng.Uniform()));
      std::sort(weights.rbegin(), weights.rend());
      double total = 0;
      for (double w : weights) total += w;
      for (double& w : weights) w /= total;
      // Topics without items (tiny catalogs) are no interest after all.
      for (size_t i = 0; i < interests.size(); ++i) {
        if (items_by_topic_[interests[i]].empty()) weights[i] = 0;
      }

      std::vector<const std::vector<float>*> bases;
      for (int t : interests) bases.push_back(&topics_[t].centroid);
      // The offset lies in the strongest interest's subspace, so a user
      // vector sits where that topic's items do.
      const std::vector<float> embedding =
          NoisyMix(rng, bases, weights, 0.35, spec_.dim, topics_[interests[0]].subspace);
      user.mutable_embedding()->Add(embedding.begin(), embedding.end());

      // Follows: mostly creators of the user's interests, KOLs above all.
      const int follows = static_cast<int>(
          std::min<int64_t>(catalog_.creators.size(), std::llround(20 * std::pow(rng.Uniform(), 1.3))));
      const Discrete interest_weight(weights);
      std::vector<int> followed;
      for (int attempt = 0; attempt < 4 * follows && static_cast<int>(followed.size()) < follows;
           ++attempt) {
        const int t = interests[interest_weight.empty() ? 0 : interest_weight.Sample(rng)];
        int c;
        if (!creator_by_topic[t].empty() && rng.Chance(0.8)) {
          c = creators_by_topic_[t][creator_by_topic[t].Sample(rng)];
        } else {
          c = static_cast<int>(any_creator.Sample(rng));
        }
        if (std::find(followed.begin(), followed.end(), c) == followed.end()) followed.push_back(c);
      }
      for (int c : followed) user.add_following_creator_ids(catalog_.creators[c].id());
      if (!catalog_.creators.empty() && rng.Chance(0.03)) {
        const int c = static_cast<int>(rng.Index(catalog_.creators.size()));
        if (std::find(followed.begin(), followed.end(), c) == followed.end()) {
          user.add_blocked_creator_ids(catalog_.creators[c].id());
        }
      }

      const double life = rng.Uniform();
      user.add_segments(life < 0.15 ? "new_user" : life < 0.85 ? "active" : "lapsed");
      const double spend = rng.Uniform();
      user.add_segments(spend < 0.35 ? "deal_seeker" : spend < 0.8 ? "mid_spender" : "premium");
      user.add_segments(absl::StrCat("interest_", topics_[interests[0]].name));

      if (!catalog_.items.empty()) MakeEvents(u, interests, weights);
    }
  }

  // The user's events, then the held-out ones. Each user draws from its own
  // stream.
  void MakeEvents(int u, const std::vector<int>& interests, const std::vector<double>& weights) {
    Rng rng(StreamSeed(spec_.seed, Stream::kEvents, static_cast<uint64_t>(u)));
    const std::string& user_id = catalog_.users[u].id();
    const Discrete interest(weights);
    auto draw_topic = [&] { return interests[interest.Sample(rng)]; };
    absl::flat_hash_set<int> interacted;
    int produced = 0;
    const int quota = spec_.events_per_user;
    int64_t t = 0;
    auto emit = [&](int item, v1::EventType type, int64_t dwell_ms = 0) {
      if (produced >= quota) return false;
      v1::Event& e = catalog_.events.emplace_back();
      e.set_user_id(user_id);
      e.set_item_id(catalog_.items[item].id());
      e.set_type(type);
      e.set_timestamp_ms(t);
      if (dwell_ms > 0) e.set_dwell_ms(dwell_ms);
      interacted.insert(item);
      ++produced;
      return true;
    };
    auto in_stock = [&](int item) {
      const v1::Item& it = catalog_.items[item];
      return it.kind() == v1::ITEM_KIND_PRODUCT && it.product().stock() > 0 && !it.unavailable();
    };

    // One time slot per event spread over the history window; a funnel
    // starts at its first event's slot and its steps follow seconds apart.
    const int64_t history_start = spec_.now_ms - kHeldOutMs - kHistoryMs;
    std::vector<int64_t> slots(quota);
    for (int64_t& s : slots) s = history_start + rng.Int(0, kHistoryMs - 1);
    std::sort(slots.begin(), slots.end());
    int64_t last = history_start - kSecondMs;
    while (produced < quota) {
      t = std::max(slots[produced], last + kSecondMs);
      const int topic = draw_topic();
      int item = DrawItem(rng, topic, t, nullptr);
      if (item < 0) item = DrawItem(rng, topic, std::numeric_limits<int64_t>::max(), nullptr);
      emit(item, v1::EVENT_TYPE_IMPRESSION);
      if (rng.Chance(0.4)) {
        t += rng.Int(2, 20) * kSecondMs;
        emit(item, v1::EVENT_TYPE_CLICK);
        if (rng.Chance(0.5)) {
          const int64_t dwell = std::llround(rng.LogUniform(3e3, 1.2e5));
          t += dwell;
          emit(item, v1::EVENT_TYPE_DWELL, dwell);
        }
        for (auto [type, p] : {std::pair{v1::EVENT_TYPE_LIKE, 0.25}, std::pair{v1::EVENT_TYPE_SAVE, 0.12},
                               std::pair{v1::EVENT_TYPE_COMMENT, 0.05}, std::pair{v1::EVENT_TYPE_SHARE, 0.04}}) {
          if (rng.Chance(p)) {
            t += rng.Int(1, 15) * kSecondMs;
            emit(item, type);
          }
        }
        // Buying: a product directly, or a product a post features.
        int product = -1;
        double cart_p = 0;
        if (in_stock(item)) {
          product = item;
          cart_p = 0.15;
        } else if (!item_info_[item].linked.empty() && rng.Chance(0.10)) {
          std::vector<int> linked;
          for (int p : item_info_[item].linked) {
            if (in_stock(p)) linked.push_back(p);
          }
          if (!linked.empty()) {
            product = rng.Pick(linked);
            cart_p = 0.3;
            t += rng.Int(2, 30) * kSecondMs;
            emit(product, v1::EVENT_TYPE_CLICK);
          }
        }
        if (product >= 0 && rng.Chance(cart_p)) {
          t += rng.Int(5, 60) * kSecondMs;
          emit(product, v1::EVENT_TYPE_ADD_TO_CART);
          if (rng.Chance(0.5)) {
            t += rng.Int(10, 300) * kSecondMs;
            emit(product, v1::EVENT_TYPE_PURCHASE);
          }
        }
      }
      last = t;
    }

    // Held out: the next 3-5 positive events, on items new to the user.
    const int count = static_cast<int>(rng.Int(3, 5));
    const int64_t start = std::max(last + kSecondMs, spec_.now_ms - kHeldOutMs);
    const int64_t end = std::max(start + count * kSecondMs, spec_.now_ms - kMinuteMs);
    std::vector<int64_t> times(count);
    for (int64_t& s : times) s = rng.Int(start, end);
    std::sort(times.begin(), times.end());
    int64_t prev = start - kSecondMs;
    for (int h = 0; h < count; ++h) {
      const int64_t when = std::max(times[h], prev + kSecondMs);
      prev = when;
      int item = DrawItem(rng, draw_topic(), when, &interacted);
      for (size_t i = 0; item < 0 && i < interests.size(); ++i) {
        if (weights[i] > 0) item = DrawItem(rng, interests[i], when, &interacted);
      }
      if (item < 0) continue;  // the user has seen everything it could like
      interacted.insert(item);
      v1::EventType type = v1::EVENT_TYPE_CLICK;
      const double r = rng.Uniform();
      if (in_stock(item)) {
        type = r < 0.15 ? v1::EVENT_TYPE_PURCHASE
               : r < 0.3 ? v1::EVENT_TYPE_ADD_TO_CART
                         : v1::EVENT_TYPE_CLICK;
      } else {
        type = r < 0.6    ? v1::EVENT_TYPE_CLICK
               : r < 0.8  ? v1::EVENT_TYPE_LIKE
               : r < 0.92 ? v1::EVENT_TYPE_SAVE
               : r < 0.96 ? v1::EVENT_TYPE_SHARE
                          : v1::EVENT_TYPE_COMMENT;
      }
      v1::Event& e = catalog_.held_out.emplace_back();
      e.set_user_id(user_id);
      e.set_item_id(catalog_.items[item].id());
      e.set_type(type);
      e.set_timestamp_ms(when);
    }
  }

  static constexpr double kZipfExponent = 1.1;

  const CatalogSpec& spec_;
  Catalog catalog_;
  std::vector<Topic> topics_;
  Discrete topic_draw_;
  std::vector<int> topics_by_family_[kFamilies];
  std::vector<CreatorInfo> creators_;
  std::vector<int> brand_ids_;
  std::vector<std::vector<int>> brands_by_topic_;
  std::vector<std::vector<int>> creators_by_topic_;
  std::vector<ItemInfo> item_info_;  // parallel to catalog_.items
  std::vector<std::vector<int>> items_by_topic_;     // by popularity once ranked
  std::vector<std::vector<int>> products_by_topic_;
  std::vector<Discrete> zipf_;  // per topic, over ranks
};

}  // namespace

std::string TopicName(int index) {
  if (index >= 0 && index < kNamedTopics) return kTopicDefs[index].name;
  return absl::StrCat("topic", index);
}

absl::Status ValidateCatalogSpec(const CatalogSpec& spec) {
  auto invalid = [](absl::string_view field, absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat("spec.", field, ": ", message));
  };
  if (spec.dim < 1) return invalid("dim", "must be positive");
  if (spec.topics < 1) return invalid("topics", "must be positive");
  if (spec.latent_dim < 0 || spec.latent_dim > spec.dim) {
    return invalid("latent_dim", absl::StrCat("must be within 0..dim (", spec.dim, ")"));
  }
  for (auto [value, name] : {std::pair{spec.creators, "creators"}, std::pair{spec.products, "products"},
                             std::pair{spec.content, "content"}, std::pair{spec.users, "users"},
                             std::pair{spec.events_per_user, "events_per_user"}}) {
    if (value < 0) return invalid(name, "must not be negative");
  }
  if (spec.creators == 0 && spec.products + spec.content > 0) {
    return invalid("creators", "must be positive when there are items");
  }
  if (spec.regions.empty()) return invalid("regions", "must not be empty");
  for (size_t i = 0; i < spec.regions.size(); ++i) {
    const std::string& r = spec.regions[i];
    if (r.empty() || std::any_of(r.begin(), r.end(), [](unsigned char c) {
          return c <= 0x20 || c == 0x7F;
        })) {
      return invalid(absl::StrCat("regions[", i, "]"),
                     "must be non-empty, without spaces or control characters");
    }
  }
  if (spec.now_ms < kMaxAgeMs) {
    return invalid("now_ms", absl::StrCat("must be at least ", kMaxAgeMs,
                                          " (items are up to 400 days old)"));
  }
  return absl::OkStatus();
}

Catalog GenerateCatalog(const CatalogSpec& spec) { return Generator(spec).Run(); }

}  // namespace zhongcao::demo
