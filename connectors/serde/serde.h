// Serdes: how a connector turns bytes into records and back. Every serde
// has the same shape —
//
//   using Type = T;
//   Result<T> Decode(std::string_view bytes) const;   // an error says why
//   std::string Encode(const T& value) const;
//
// — so a source takes Decoder(serde) (the record's value, or a file's line,
// decoded) and a sink ValueEncoder(serde). A decode error reaches the
// source's bad-record policy (fail the job, skip with a log line, or a
// dead-letter topic) with its reason; nothing is dropped silently.
//
//   BytesSerde         std::string, the bytes as they are
//   Utf8Serde          std::string, rejected unless valid UTF-8
//   JsonSerde<T>       T through nlohmann::json (from_json/to_json), or the json value itself
//   CsvSerde<T>        one CSV line (RFC 4180 quoting) <-> fields; T via CsvRow<T>
//   ProtobufSerde<M>   any generated Protobuf message type
//   FixedSerde<T>      a trivially copyable struct as its bytes (same-endian hosts):
//                      the fastest, for benchmarks and internal topics
#pragma once

#include <google/protobuf/message.h>

#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/status.h"

namespace rivulet::connectors {

// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or code points
// past U+10FFFF).
bool IsValidUtf8(std::string_view s);

// One CSV line split into fields (RFC 4180: "a,b" quoted, "" for a quote).
// kInvalidArgument for an unterminated quote.
Result<std::vector<std::string>> SplitCsv(std::string_view line);
// Fields joined into one CSV line (quoted where needed), without newline.
std::string JoinCsv(const std::vector<std::string>& fields);

struct BytesSerde {
  using Type = std::string;
  Result<std::string> Decode(std::string_view b) const { return std::string(b); }
  std::string Encode(const std::string& v) const { return v; }
};

struct Utf8Serde {
  using Type = std::string;
  Result<std::string> Decode(std::string_view b) const {
    if (!IsValidUtf8(b)) return Status(Errc::kInvalidArgument, "not valid UTF-8");
    return std::string(b);
  }
  std::string Encode(const std::string& v) const { return v; }
};

// T = nlohmann::json for the parsed value; otherwise T needs from_json /
// to_json (e.g. NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE). A missing field or a
// wrong type is a decode error naming it.
template <typename T = nlohmann::json>
struct JsonSerde {
  using Type = T;
  Result<T> Decode(std::string_view b) const {
    nlohmann::json j = nlohmann::json::parse(b, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Status(Errc::kInvalidArgument, "not valid JSON");
    if constexpr (std::is_same_v<T, nlohmann::json>) {
      return j;
    } else {
      try {
        return j.get<T>();
      } catch (const nlohmann::json::exception& e) {
        return Status(Errc::kInvalidArgument, std::string("JSON does not match: ") + e.what());
      }
    }
  }
  std::string Encode(const T& v) const { return nlohmann::json(v).dump(); }
};

// How a T maps to CSV fields: specialize with
//   static Result<T> FromFields(const std::vector<std::string>&);
//   static std::vector<std::string> ToFields(const T&);
// (CsvField helps with typed fields). The fields themselves need none.
template <typename T>
struct CsvRow;
template <>
struct CsvRow<std::vector<std::string>> {
  static Result<std::vector<std::string>> FromFields(std::vector<std::string> f) { return f; }
  static std::vector<std::string> ToFields(const std::vector<std::string>& v) { return v; }
};

// Field i of a CSV row as V (an integer, a floating-point number or a
// string); the error names the field and the text.
template <typename V>
Result<V> CsvField(const std::vector<std::string>& fields, size_t i) {
  if (i >= fields.size()) {
    return Status(Errc::kInvalidArgument,
                  "expected at least " + std::to_string(i + 1) + " fields, got " + std::to_string(fields.size()));
  }
  const std::string& s = fields[i];
  if constexpr (std::is_same_v<V, std::string>) {
    return s;
  } else {
    V v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
      return Status(Errc::kInvalidArgument, "field " + std::to_string(i + 1) + ": '" + s + "' is not a number");
    }
    return v;
  }
}

template <typename T = std::vector<std::string>>
struct CsvSerde {
  using Type = T;
  Result<T> Decode(std::string_view b) const {
    while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.remove_suffix(1);
    RIVULET_ASSIGN_OR_RETURN(auto fields, SplitCsv(b));
    return CsvRow<T>::FromFields(std::move(fields));
  }
  std::string Encode(const T& v) const { return JoinCsv(CsvRow<T>::ToFields(v)); }
};

template <typename M>
struct ProtobufSerde {
  static_assert(std::is_base_of_v<google::protobuf::MessageLite, M>, "a generated Protobuf message type");
  using Type = M;
  Result<M> Decode(std::string_view b) const {
    M m;
    if (!m.ParseFromArray(b.data(), static_cast<int>(b.size()))) {
      return Status(Errc::kInvalidArgument, "not a valid " + m.GetTypeName());
    }
    return m;
  }
  std::string Encode(const M& v) const { return v.SerializeAsString(); }
};

template <typename T>
struct FixedSerde {
  static_assert(std::is_trivially_copyable_v<T>, "FixedSerde needs a trivially copyable type");
  using Type = T;
  Result<T> Decode(std::string_view b) const {
    T v;
    std::string why;
    if (!DecodeInto(b, &v, &why)) return Status(Errc::kInvalidArgument, std::move(why));
    return v;
  }
  // Decodes into *out (a source's batch slot: no copy through a Result).
  bool DecodeInto(std::string_view b, T* out, std::string* why) const {
    if (b.size() != sizeof(T)) [[unlikely]] {
      *why = "expected " + std::to_string(sizeof(T)) + " bytes, got " + std::to_string(b.size());
      return false;
    }
    std::memcpy(static_cast<void*>(out), b.data(), sizeof(T));
    return true;
  }
  std::string Encode(const T& v) const { return std::string(reinterpret_cast<const char*>(&v), sizeof(T)); }
};

// A source's decoder from a serde: for log and Kafka records, their value
// (a null value is an error); for a file's lines, the line. Called, it
// returns Result<T>; a source that can decode into its batch in place
// calls Into when the serde has DecodeInto.
template <typename Serde>
class SerdeDecoder {
 public:
  using Type = typename Serde::Type;
  explicit SerdeDecoder(Serde serde) : serde_(std::move(serde)) {}

  template <typename In>
  Result<Type> operator()(const In& in) const {
    if constexpr (std::is_convertible_v<In, std::string_view>) {
      return serde_.Decode(std::string_view(in));
    } else {
      if (!in.value) return Status(Errc::kInvalidArgument, "null value");
      return serde_.Decode(std::string_view(*in.value));
    }
  }

  // Decodes a record's value into *out; false with *why set when it cannot.
  template <typename In>
  bool Into(const In& in, Type* out, std::string* why) const
    requires requires(const Serde& s, std::string_view b, Type* o, std::string* w) { s.DecodeInto(b, o, w); }
  {
    if (!in.value) [[unlikely]] {
      *why = "null value";
      return false;
    }
    return serde_.DecodeInto(std::string_view(*in.value), out, why);
  }

 private:
  Serde serde_;
};

template <typename Serde>
SerdeDecoder<Serde> Decoder(Serde serde) {
  return SerdeDecoder<Serde>(std::move(serde));
}

// A log or Kafka sink's encoder from a serde: no key, the encoded value.
template <typename Serde>
auto ValueEncoder(Serde serde) {
  return [serde](const typename Serde::Type& v) {
    return std::pair<std::optional<std::string>, std::string>(std::nullopt, serde.Encode(v));
  };
}

// What a source does with a record it could not decode (after counting it).
enum class OnBadRecord {
  kFail,        // the job stops, naming the record and the reason
  kSkip,        // a warning names them; the record is passed over
  kDeadLetter,  // copied, unchanged, to a dead-letter topic (the log source)
};
// Applies `policy` to a bad record that `where` names (e.g. "record
// t/0@5", "in.csv:3: line"), `why` being DecodeError's text: kFail throws
// "<where> <why>", kSkip logs it; returns true when the caller is to copy
// the record to its dead-letter topic.
bool HandleBadRecord(OnBadRecord policy, const std::string& where, const std::string& why);

// A decoder's refusal, saying why: `return DecodeFailure("no key");` in a
// decoder returning Result<T>. The reason reaches the bad-record policy:
// the job's error, the skip warning, the dead letter's rivulet.error.
inline Status DecodeFailure(std::string why) { return Status(Errc::kInvalidArgument, std::move(why)); }

// What the sources do with a decoder's result, which is either a
// std::optional<T> (no reason given) or a Result<T> (its status says why).
template <typename T>
bool DecodedOk(const std::optional<T>& v) { return v.has_value(); }
template <typename T>
bool DecodedOk(const Result<T>& v) { return v.ok(); }
template <typename T>
std::string DecodeError(const std::optional<T>&) {
  return "could not be decoded (the job's decoder gives no reason: one returning Result<T> can)";
}
template <typename T>
std::string DecodeError(const Result<T>& v) { return "could not be decoded: " + v.status().message(); }
template <typename T>
T TakeDecoded(std::optional<T>& v) { return std::move(*v); }
template <typename T>
T TakeDecoded(Result<T>& v) { return std::move(v).value(); }

}  // namespace rivulet::connectors
