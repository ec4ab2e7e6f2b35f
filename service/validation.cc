#include "service/validation.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace zhongcao::service {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

absl::Status ValidateIdList(const google::protobuf::RepeatedPtrField<std::string>& ids,
                            absl::string_view field, const Limits& limits) {
  if (ids.size() > limits.max_list) {
    return Invalid(field, absl::StrCat("has ", ids.size(), " entries, at most ",
                                       limits.max_list, " allowed"));
  }
  for (int i = 0; i < ids.size(); ++i) {
    if (absl::Status s = ValidateId(ids[i], absl::StrCat(field, "[", i, "]"), limits);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateText(const std::string& text, absl::string_view field,
                          const Limits& limits) {
  if (static_cast<int>(text.size()) > limits.max_text_bytes) {
    return Invalid(field, absl::StrCat("is ", text.size(), " bytes, at most ",
                                       limits.max_text_bytes, " allowed"));
  }
  return absl::OkStatus();
}

absl::Status ValidateTimestamp(int64_t ms, absl::string_view field) {
  if (ms < 0) return Invalid(field, "must not be negative");
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateId(absl::string_view id, absl::string_view field,
                        const Limits& limits) {
  if (id.empty()) return Invalid(field, "must not be empty");
  if (static_cast<int>(id.size()) > limits.max_id_bytes) {
    return Invalid(field, absl::StrCat("is ", id.size(), " bytes, at most ",
                                       limits.max_id_bytes, " allowed"));
  }
  for (unsigned char c : id) {
    // Control characters and spaces are refused; the store uses '\0' as a
    // separator in its secondary keys.
    if (c <= 0x20 || c == 0x7F) {
      return Invalid(field, "must not contain spaces or control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEmbedding(std::span<const float> embedding, absl::string_view field,
                               const Limits& limits, bool required) {
  if (embedding.empty() && !required) return absl::OkStatus();
  if (static_cast<int>(embedding.size()) != limits.dim) {
    return Invalid(field,
                   absl::StrCat("has ", embedding.size(),
                                " values, the service's dimension is ", limits.dim));
  }
  for (size_t i = 0; i < embedding.size(); ++i) {
    if (!std::isfinite(embedding[i])) {
      return Invalid(absl::StrCat(field, "[", i, "]"), "is not a finite number");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateKind(int kind, absl::string_view field) {
  if (kind == v1::ITEM_KIND_UNSPECIFIED) return Invalid(field, "must be set");
  if (!v1::ItemKind_IsValid(kind)) {
    return Invalid(field, absl::StrCat("unknown item kind ", kind));
  }
  return absl::OkStatus();
}

absl::Status ValidateBatchSize(size_t size, size_t max, absl::string_view field) {
  if (size == 0) return Invalid(field, "must not be empty");
  if (size > max) {
    return Invalid(field,
                   absl::StrCat("has ", size, " entries, at most ", max, " per call"));
  }
  return absl::OkStatus();
}

absl::Status ValidateItem(const v1::Item& item, absl::string_view field,
                          const Limits& limits) {
  auto at = [&](absl::string_view name) { return absl::StrCat(field, ".", name); };
  if (absl::Status s = ValidateId(item.id(), at("id"), limits); !s.ok()) return s;
  if (absl::Status s = ValidateKind(item.kind(), at("kind")); !s.ok()) return s;
  if (!item.creator_id().empty()) {
    if (absl::Status s = ValidateId(item.creator_id(), at("creator_id"), limits);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ValidateIdList(item.regions(), at("regions"), limits); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateEmbedding(
          {item.embedding().data(), static_cast<size_t>(item.embedding().size())},
          at("embedding"), limits,
          /*required=*/false);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateTimestamp(item.created_at_ms(), at("created_at_ms"));
      !s.ok()) {
    return s;
  }
  for (const auto* text : {&item.title(), &item.category()}) {
    const char* name = text == &item.title() ? "title" : "category";
    if (absl::Status s = ValidateText(*text, at(name), limits); !s.ok()) return s;
  }
  if (absl::Status s = ValidateIdList(item.tags(), at("tags"), limits); !s.ok()) return s;
  if (item.kind() == v1::ITEM_KIND_PRODUCT) {
    if (!item.has_product()) return Invalid(at("product"), "is required for a PRODUCT");
    const v1::ProductInfo& p = item.product();
    if (p.price_cents() < 0)
      return Invalid(at("product.price_cents"), "must not be negative");
    if (p.stock() < 0) return Invalid(at("product.stock"), "must not be negative");
    if (p.sales() < 0) return Invalid(at("product.sales"), "must not be negative");
    if (!std::isfinite(p.rating()) || p.rating() < 0 || p.rating() > 5) {
      return Invalid(at("product.rating"), "must be 0 (unrated) or within 1..5");
    }
    if (!item.linked_product_ids().empty()) {
      return Invalid(at("linked_product_ids"), "only content items link products");
    }
  } else {
    if (item.has_product()) {
      return Invalid(at("product"), "is only for items of kind ITEM_KIND_PRODUCT");
    }
    if (absl::Status s =
            ValidateIdList(item.linked_product_ids(), at("linked_product_ids"), limits);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateUser(const v1::User& user, absl::string_view field,
                          const Limits& limits) {
  auto at = [&](absl::string_view name) { return absl::StrCat(field, ".", name); };
  if (absl::Status s = ValidateId(user.id(), at("id"), limits); !s.ok()) return s;
  if (absl::Status s = ValidateEmbedding(
          {user.embedding().data(), static_cast<size_t>(user.embedding().size())},
          at("embedding"), limits,
          /*required=*/false);
      !s.ok()) {
    return s;
  }
  for (const auto& [list, name] :
       {std::pair{&user.following_creator_ids(), "following_creator_ids"},
        std::pair{&user.blocked_creator_ids(), "blocked_creator_ids"},
        std::pair{&user.segments(), "segments"}}) {
    if (absl::Status s = ValidateIdList(*list, at(name), limits); !s.ok()) return s;
  }
  if (!user.region().empty()) {
    if (absl::Status s = ValidateId(user.region(), at("region"), limits); !s.ok())
      return s;
  }
  return ValidateText(user.locale(), at("locale"), limits);
}

absl::Status ValidateCreator(const v1::Creator& creator, absl::string_view field,
                             const Limits& limits) {
  auto at = [&](absl::string_view name) { return absl::StrCat(field, ".", name); };
  if (absl::Status s = ValidateId(creator.id(), at("id"), limits); !s.ok()) return s;
  if (!v1::CreatorTier_IsValid(creator.tier())) {
    return Invalid(at("tier"), absl::StrCat("unknown creator tier ", creator.tier()));
  }
  if (creator.followers() < 0) return Invalid(at("followers"), "must not be negative");
  if (!creator.region().empty()) {
    if (absl::Status s = ValidateId(creator.region(), at("region"), limits); !s.ok()) {
      return s;
    }
  }
  return ValidateText(creator.name(), at("name"), limits);
}

absl::Status ValidateEvent(const v1::Event& event, absl::string_view field,
                           const Limits& limits) {
  auto at = [&](absl::string_view name) { return absl::StrCat(field, ".", name); };
  if (absl::Status s = ValidateId(event.user_id(), at("user_id"), limits); !s.ok())
    return s;
  if (absl::Status s = ValidateId(event.item_id(), at("item_id"), limits); !s.ok())
    return s;
  if (event.type() == v1::EVENT_TYPE_UNSPECIFIED)
    return Invalid(at("type"), "must be set");
  if (!v1::EventType_IsValid(event.type())) {
    return Invalid(at("type"), absl::StrCat("unknown event type ", event.type()));
  }
  if (absl::Status s = ValidateTimestamp(event.timestamp_ms(), at("timestamp_ms"));
      !s.ok()) {
    return s;
  }
  if (event.dwell_ms() < 0) return Invalid(at("dwell_ms"), "must not be negative");
  if (!event.region().empty()) {
    if (absl::Status s = ValidateId(event.region(), at("region"), limits); !s.ok())
      return s;
  }
  return ValidateText(event.request_id(), at("request_id"), limits);
}

absl::Status ValidateContext(const v1::Context& context, absl::string_view field,
                             const Limits& limits) {
  auto at = [&](absl::string_view name) { return absl::StrCat(field, ".", name); };
  if (!context.region().empty()) {
    if (absl::Status s = ValidateId(context.region(), at("region"), limits); !s.ok()) {
      return s;
    }
  }
  if (!v1::Surface_IsValid(context.surface())) {
    return Invalid(at("surface"), absl::StrCat("unknown surface ", context.surface()));
  }
  if (absl::Status s = ValidateTimestamp(context.now_ms(), at("now_ms")); !s.ok())
    return s;
  return ValidateText(context.locale(), at("locale"), limits);
}

}  // namespace zhongcao::service
