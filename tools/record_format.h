// `rivulet consume --format FMT`: what to print per record, in kcat's -f
// language (%t topic, %p partition, %o offset, %k key, %s value, %K and %S
// their lengths, %R the value's length as 4 bytes, %T timestamp, %h
// headers, %%; \n \r \t \\ \xHH escapes). See docs/guide/consume.md.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace rivulet::tools {

// One record as the formats see it, from the embedded log or a broker.
// The views are borrowed for the call to Print.
struct PrintedRecord {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = -1;
  std::optional<std::string_view> key;    // nullopt: null
  std::optional<std::string_view> value;  // nullopt: null
  // Filled only when the format prints them (needs_headers).
  std::vector<std::pair<std::string_view, std::optional<std::string_view>>> headers;
};

class RecordFormat {
 public:
  // Parses FMT; kInvalidArgument naming an unknown %-token or a lone %.
  static Result<RecordFormat> Parse(std::string_view fmt);
  // Whether %h occurs (decoding headers costs; skip it otherwise).
  bool needs_headers() const { return needs_headers_; }
  // Writes `r` as the format says, with no newline of its own. A null key
  // or value prints "null" (kcat: nothing, or -Z's "NULL"), as does a null
  // header value.
  void Print(std::FILE* out, const PrintedRecord& r) const;

 private:
  // A literal (kind 0) or a token's letter.
  struct Piece {
    char kind = 0;
    std::string text;
  };
  std::vector<Piece> pieces_;
  bool needs_headers_ = false;
};

}  // namespace rivulet::tools
