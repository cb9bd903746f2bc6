// Kafka's binary encodings, shared by the broker's codecs (log/kafka/protocol)
// and the consumer protocol (consumer_protocol.cc): a bounds-checked Reader
// and a Writer. The classic encodings (big-endian integers, int16-length
// strings, int32-length bytes and arrays) and, for flexible versions
// (KIP-482), the compact ones: unsigned varints, lengths and counts stored
// as an unsigned varint of n + 1 (0 = null), and tagged-field sections.
// A Reader never reads past its end: a short or malformed field sets a
// sticky error, every later read returns a zero value, and the decoder
// checks ok() once at the end.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "log/varint.h"

namespace rivulet::log {

// Upper bound on any array count or byte length we accept, beyond the
// bytes actually present (protects against huge allocations).
inline constexpr int32_t kMaxArrayCount = 1 << 20;

class Reader {
 public:
  explicit Reader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  // The error (first failure) in words, for the log line.
  const char* error() const { return error_; }

  int8_t Int8() { return Fixed<int8_t, 1>(); }
  bool Bool() { return Int8() != 0; }
  int16_t Int16() { return Fixed<int16_t, 2>(); }
  int32_t Int32() { return Fixed<int32_t, 4>(); }
  int64_t Int64() { return Fixed<int64_t, 8>(); }

  // A non-null string (a null one reads as empty).
  std::string String() {
    auto s = NullableString();
    return s ? std::move(*s) : std::string();
  }
  std::optional<std::string> NullableString() {
    const int16_t n = Int16();
    if (!ok_ || n < 0) return std::nullopt;
    if (remaining() < static_cast<size_t>(n)) return Fail("string past end"), std::nullopt;
    std::string s(p_, static_cast<size_t>(n));
    p_ += n;
    return s;
  }
  // Bytes with an int32 length; null reads as empty. Views into the input.
  std::string_view Bytes() {
    auto b = NullableBytes();
    return b ? *b : std::string_view();
  }
  std::optional<std::string_view> NullableBytes() {
    const int32_t n = Int32();
    if (!ok_ || n < 0) return std::nullopt;
    if (remaining() < static_cast<size_t>(n)) return Fail("bytes past end"), std::nullopt;
    std::string_view s(p_, static_cast<size_t>(n));
    p_ += n;
    return s;
  }
  // An array count; -1 (null) reads as 0. Fails if the count is absurd for
  // the bytes left (each element takes at least `min_element_bytes`).
  int32_t ArrayCount(size_t min_element_bytes = 1) {
    const int32_t n = Int32();
    if (!ok_) return 0;
    if (n < 0) return 0;
    if (n > kMaxArrayCount || static_cast<size_t>(n) * min_element_bytes > remaining()) {
      Fail("array count past end");
      return 0;
    }
    return n;
  }

  // Flexible versions (KIP-482).

  // An unsigned LEB128 varint of at most 5 bytes whose value fits in 32 bits.
  uint32_t UnsignedVarint() {
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (p_ == end_) return Fail("truncated varint"), 0;
      const uint32_t byte = static_cast<unsigned char>(*p_++);
      if (shift == 28 && byte > 0x0f) return Fail("varint over 32 bits"), 0;
      v |= (byte & 0x7f) << shift;
      if (byte < 0x80) return v;
    }
    return v;  // not reached: the fifth byte is below 0x10
  }
  // A compact string (length + 1; 0 = null); a null one reads as empty.
  std::string CompactString() {
    auto s = CompactNullableString();
    return s ? std::move(*s) : std::string();
  }
  std::optional<std::string> CompactNullableString() {
    auto b = CompactNullableBytes();
    if (!b) return std::nullopt;
    return std::string(*b);
  }
  // Compact bytes (length + 1; 0 = null); null reads as empty. Views into
  // the input.
  std::string_view CompactBytes() {
    auto b = CompactNullableBytes();
    return b ? *b : std::string_view();
  }
  std::optional<std::string_view> CompactNullableBytes() {
    const uint32_t n = UnsignedVarint();
    if (!ok_ || n == 0) return std::nullopt;
    if (remaining() < n - 1) return Fail("compact length past end"), std::nullopt;
    std::string_view s(p_, n - 1);
    p_ += n - 1;
    return s;
  }
  // A compact array count (count + 1; 0 = null, read as 0). Fails as
  // ArrayCount does when the count is absurd for the bytes left.
  int32_t CompactArrayCount(size_t min_element_bytes = 1) {
    const uint32_t n = UnsignedVarint();
    if (!ok_ || n == 0) return 0;
    if (n - 1 > static_cast<uint32_t>(kMaxArrayCount) || (n - 1) * min_element_bytes > remaining()) {
      Fail("compact array count past end");
      return 0;
    }
    return static_cast<int32_t>(n - 1);
  }
  // Skips a tagged-field section: a count, then per field its tag, its size
  // and that many bytes. No tagged field is used by our codecs.
  void SkipTaggedFields() {
    const uint32_t n = UnsignedVarint();
    if (!ok_) return;
    if (n > remaining() / 2) return Fail("tagged field count past end");  // each takes >= 2 bytes
    for (uint32_t i = 0; i < n && ok_; ++i) {
      (void)UnsignedVarint();  // tag
      const uint32_t size = UnsignedVarint();
      if (!ok_) return;
      if (remaining() < size) return Fail("tagged field past end");
      p_ += size;
    }
  }

  // Skips the rest (e.g. fields of a newer version we do not use).
  std::string_view Rest() {
    std::string_view s(p_, remaining());
    p_ = end_;
    return s;
  }

  void Fail(const char* why) {
    if (ok_) error_ = why;
    ok_ = false;
    p_ = end_;
  }

 private:
  template <typename T, size_t N>
  T Fixed() {
    if (remaining() < N) {
      Fail("truncated field");
      return T{};
    }
    T v;
    if constexpr (N == 1) {
      v = static_cast<T>(*p_);
    } else if constexpr (N == 2) {
      v = static_cast<T>(GetBigEndian16(p_));
    } else if constexpr (N == 4) {
      v = static_cast<T>(GetBigEndian32(p_));
    } else {
      v = static_cast<T>(GetBigEndian64(p_));
    }
    p_ += N;
    return v;
  }

  const char* p_;
  const char* end_;
  bool ok_ = true;
  const char* error_ = "";
};

// Bytes that a Writer's output refers to instead of holding: sent in
// place (a gather write) at offset `at` of the output; `keep` holds them.
struct Splice {
  size_t at = 0;
  std::span<const char> data;
  std::shared_ptr<const void> keep;
};

class Writer {
 public:
  void Int8(int8_t v) { out_.push_back(static_cast<char>(v)); }
  void Bool(bool v) { Int8(v ? 1 : 0); }
  void Int16(int16_t v) {
    char b[2];
    PutBigEndian16(b, static_cast<uint16_t>(v));
    out_.append(b, 2);
  }
  void Int32(int32_t v) {
    char b[4];
    PutBigEndian32(b, static_cast<uint32_t>(v));
    out_.append(b, 4);
  }
  void Int64(int64_t v) {
    char b[8];
    PutBigEndian64(b, static_cast<uint64_t>(v));
    out_.append(b, 8);
  }
  void String(std::string_view s) {
    Int16(static_cast<int16_t>(s.size()));
    out_.append(s);
  }
  void NullableString(const std::optional<std::string>& s) {
    if (!s) return Int16(-1);
    String(*s);
  }
  void Bytes(std::string_view b) {
    Int32(static_cast<int32_t>(b.size()));
    out_.append(b);
  }
  void NullableBytes(const std::optional<std::string_view>& b) {
    if (!b) return Int32(-1);
    Bytes(*b);
  }
  void ArrayCount(size_t n) { Int32(static_cast<int32_t>(n)); }

  // Flexible versions (KIP-482); see Reader.
  void UnsignedVarint(uint32_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void CompactString(std::string_view s) { CompactBytes(s); }
  void CompactNullableString(const std::optional<std::string>& s) {
    if (!s) return UnsignedVarint(0);
    CompactString(*s);
  }
  void CompactBytes(std::string_view b) {
    UnsignedVarint(static_cast<uint32_t>(b.size()) + 1);
    out_.append(b);
  }
  void CompactNullableBytes(const std::optional<std::string_view>& b) {
    if (!b) return UnsignedVarint(0);
    CompactBytes(*b);
  }
  void CompactArrayCount(size_t n) { UnsignedVarint(static_cast<uint32_t>(n) + 1); }
  // An empty tagged-field section (we write no tagged fields).
  void EmptyTaggedFields() { UnsignedVarint(0); }

  void Raw(std::string_view b) { out_.append(b); }
  // Reserves an int32 to be filled in later with PatchInt32.
  size_t Placeholder32() {
    out_.append(4, '\0');
    return out_.size() - 4;
  }
  void PatchInt32(size_t at, int32_t v) { PutBigEndian32(out_.data() + at, static_cast<uint32_t>(v)); }

  // Bytes (int32 length, or compact when `compact`) whose content is not
  // copied: it is spliced in at this point when the output is sent.
  void SplicedBytes(std::span<const char> b, std::shared_ptr<const void> keep, bool compact) {
    if (compact) {
      UnsignedVarint(static_cast<uint32_t>(b.size()) + 1);
    } else {
      Int32(static_cast<int32_t>(b.size()));
    }
    if (!b.empty()) splices_.push_back(Splice{out_.size(), b, std::move(keep)});
  }

  size_t size() const { return out_.size(); }
  std::string& buffer() { return out_; }
  // The output without the spliced bytes (see TakeSplices).
  std::string Take() { return std::move(out_); }
  std::vector<Splice> TakeSplices() { return std::move(splices_); }

 private:
  std::string out_;
  std::vector<Splice> splices_;
};

}  // namespace rivulet::log
