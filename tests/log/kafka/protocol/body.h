// Test helpers for the Kafka codecs: a request or response body spelled out
// field by field as Kafka's message definitions list them, with the
// Writer's primitives (not the FieldWriter the codecs use), in either
// encoding; and a check that every truncation of a body fails to decode.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "log/wire.h"

namespace rivulet::log::kafka {

class Body {
 public:
  explicit Body(bool flexible) : flex_(flexible) {}
  Body& I8(int8_t v) { return w_.Int8(v), *this; }
  Body& I16(int16_t v) { return w_.Int16(v), *this; }
  Body& I32(int32_t v) { return w_.Int32(v), *this; }
  Body& I64(int64_t v) { return w_.Int64(v), *this; }
  Body& Uuid() { return w_.Int64(0), w_.Int64(0), *this; }  // the zero UUID
  Body& Str(const std::string& s) { return flex_ ? w_.CompactString(s) : w_.String(s), *this; }
  Body& NStr(const std::optional<std::string>& s) {
    return flex_ ? w_.CompactNullableString(s) : w_.NullableString(s), *this;
  }
  Body& Bytes(const std::string& b) { return flex_ ? w_.CompactBytes(b) : w_.Bytes(b), *this; }
  Body& Count(size_t n) { return flex_ ? w_.CompactArrayCount(n) : w_.ArrayCount(n), *this; }
  Body& NullCount() { return flex_ ? w_.UnsignedVarint(0) : w_.Int32(-1), *this; }
  // The end of a struct: an empty tag section when flexible.
  Body& Tags() {
    if (flex_) w_.EmptyTaggedFields();
    return *this;
  }
  // A tag section with one field a newer client might send (tag 3, "xy").
  Body& UnknownTag() {
    if (flex_) w_.Raw(std::string("\x01\x03\x02xy", 5));
    return *this;
  }
  std::string bytes() { return w_.Take(); }

 private:
  bool flex_;
  Writer w_;
};

// Every strict prefix of `body` fails to decode at `version`.
template <typename Request>
void ExpectTruncationsFail(const std::string& body, int16_t version) {
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(Request::Decode(std::string_view(body).substr(0, n), version).ok())
        << "v" << version << " cut at " << n << " of " << body.size();
  }
}

}  // namespace rivulet::log::kafka
