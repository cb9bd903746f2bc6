// Reading and writing one message in either encoding: a codec names its
// fields once, and the version picks classic (int16/int32 lengths) or
// flexible (compact lengths, a tagged-field section closing each struct).
// Thin adaptors over log/wire.h's Reader and Writer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "log/kafka/protocol/api.h"
#include "log/wire.h"

namespace rivulet::log::kafka {

// What every codec file asks: is (key, version) flexible; is `version` one
// the codec of `key` implements (kNotSupported naming it, else ok); and the
// kCorruption of a malformed request or response, naming the API.
inline bool Flexible(ApiKey key, int16_t version) { return FlexibleVersion(static_cast<int16_t>(key), version); }
inline Status CheckVersion(ApiKey key, int16_t version) {
  const ApiVersionRange* api = FindApi(static_cast<int16_t>(key));
  if (api != nullptr && version >= api->min && version <= api->max) return Status::Ok();
  return Status(Errc::kNotSupported, std::string(api ? api->name : "API " + std::to_string(static_cast<int16_t>(key))) +
                                         " v" + std::to_string(version));
}
inline Status BadRequest(const char* api, const Reader& r) {
  return Status(Errc::kCorruption, std::string(api) + " request: " + r.error());
}
inline Status BadResponse(const char* api, const Reader& r) {
  return Status(Errc::kCorruption, std::string(api) + " response: " + r.error());
}

// Borrows `r`, which must outlive it.
class FieldReader {
 public:
  FieldReader(Reader& r, bool flexible) : r_(r), flexible_(flexible) {}

  bool flexible() const { return flexible_; }
  Reader& reader() { return r_; }

  std::string String() { return flexible_ ? r_.CompactString() : r_.String(); }
  std::optional<std::string> NullableString() {
    return flexible_ ? r_.CompactNullableString() : r_.NullableString();
  }
  // Bytes (null reads as empty); a view into the input.
  std::string_view Bytes() { return flexible_ ? r_.CompactBytes() : r_.Bytes(); }
  std::optional<std::string_view> NullableBytes() {
    return flexible_ ? r_.CompactNullableBytes() : r_.NullableBytes();
  }
  // An array count (null reads as 0), checked against the bytes left.
  int32_t ArrayCount(size_t min_element_bytes) {
    return flexible_ ? r_.CompactArrayCount(min_element_bytes) : r_.ArrayCount(min_element_bytes);
  }
  // An array count, or nullopt for a null array; checked as ArrayCount.
  std::optional<int32_t> NullableArrayCount(size_t min_element_bytes) {
    Reader peek = r_;
    const bool null = flexible_ ? peek.UnsignedVarint() == 0 : peek.Int32() < 0;
    if (peek.ok() && null) {
      r_ = peek;
      return std::nullopt;
    }
    return ArrayCount(min_element_bytes);
  }
  // The end of a struct: skips its tagged fields when flexible.
  void EndStruct() {
    if (flexible_) r_.SkipTaggedFields();
  }
  // Bytes a string or array length takes at least: lets a codec bound
  // element counts (ArrayCount's min_element_bytes).
  size_t MinLength() const { return flexible_ ? 1 : 2; }
  size_t MinCount() const { return flexible_ ? 1 : 4; }
  size_t MinStructEnd() const { return flexible_ ? 1 : 0; }

 private:
  Reader& r_;
  const bool flexible_;
};

// Borrows `w`, which must outlive it.
class FieldWriter {
 public:
  FieldWriter(Writer& w, bool flexible) : w_(w), flexible_(flexible) {}

  Writer& writer() { return w_; }

  void String(std::string_view s) { flexible_ ? w_.CompactString(s) : w_.String(s); }
  void NullableString(const std::optional<std::string>& s) {
    flexible_ ? w_.CompactNullableString(s) : w_.NullableString(s);
  }
  void Bytes(std::string_view b) { flexible_ ? w_.CompactBytes(b) : w_.Bytes(b); }
  void ArrayCount(size_t n) { flexible_ ? w_.CompactArrayCount(n) : w_.ArrayCount(n); }
  // A null array (nullable array fields).
  void NullArray() { flexible_ ? w_.UnsignedVarint(0) : w_.Int32(-1); }
  // The end of a struct: an empty tagged-field section when flexible.
  void EndStruct() {
    if (flexible_) w_.EmptyTaggedFields();
  }

 private:
  Writer& w_;
  const bool flexible_;
};

}  // namespace rivulet::log::kafka
