// StateCodec<T>: how operator state (panes, sessions, source positions)
// becomes checkpoint bytes and back, exactly. Format, with no type tags:
// unsigned integers as varints (7 bits a byte, low first), signed ones
// zig-zagged then varint, bool and optional's presence as one byte 0/1,
// float/double as their bit patterns in little-endian, enums as their
// underlying type, strings and Protobuf messages as a varint length then the
// bytes, containers as a varint count then the elements (hash containers in
// iteration order), pairs, tuples, arrays and described structs as their
// fields in order. Describe a struct
// beside it, in its namespace:  RIVULET_STATE_FIELDS(Pane, start, end, counts)
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <variant>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <google/protobuf/message_lite.h>

#include "base/status.h"

namespace rivulet::engine {

// Each specialization has
//   static void Encode(const T& v, std::string* out);  // appends
//   static bool Decode(std::string_view* in, T* out);  // consumes from the front
// Decode overwrites *out and returns false on malformed or truncated input,
// leaving *in and *out valid but unspecified. Optionally
//   static constexpr size_t kMinBytes;  // fewest bytes any value takes (default 1)
// which containers use to reject counts the remaining bytes cannot hold.
template <typename T, typename Enable = void>
struct StateCodec;

template <typename T>
concept HasStateCodec = requires(const T& v, std::string* out, std::string_view* in, T* p) {
  StateCodec<T>::Encode(v, out);
  { StateCodec<T>::Decode(in, p) } -> std::same_as<bool>;
};

namespace detail {

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Rejects more than 64 bits and overlong forms (a last byte of 0 after the
// first), so that every value has one encoding.
inline bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (size_t i = 0; i < 10 && i < in->size(); ++i) {
    const uint64_t byte = static_cast<uint8_t>((*in)[i]);
    if (i == 9 && byte > 1) return false;
    result |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      if (byte == 0 && i > 0) return false;
      in->remove_prefix(i + 1);
      *v = result;
      return true;
    }
  }
  return false;
}

inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t UnZigZag(uint64_t u) { return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1)); }

template <typename U>
void PutFixed(std::string* out, U bits) {
  for (size_t i = 0; i < sizeof(U); ++i) out->push_back(static_cast<char>(bits >> (8 * i)));
}
template <typename U>
bool GetFixed(std::string_view* in, U* bits) {
  if (in->size() < sizeof(U)) return false;
  U v = 0;
  for (size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(static_cast<uint8_t>((*in)[i])) << (8 * i);
  in->remove_prefix(sizeof(U));
  *bits = v;
  return true;
}

// A varint count of elements each at least `min_bytes` long; false when the
// rest of the input cannot hold them.
inline bool GetCount(std::string_view* in, size_t min_bytes, uint64_t* count) {
  return GetVarint(in, count) && *count <= in->size() / min_bytes;
}
// Reserved up front at most, so that a lying count costs no more than this.
inline constexpr uint64_t kMaxReserve = 1 << 16;

template <typename T>
consteval size_t MinBytes() {
  if constexpr (requires { StateCodec<T>::kMinBytes; }) {
    return StateCodec<T>::kMinBytes;
  } else {
    return 1;
  }
}

// x87 extended precision keeps 80 of its 128 bits; other formats all of them.
inline constexpr size_t kLongDoubleBytes =
    std::numeric_limits<long double>::digits == 64 && std::endian::native == std::endian::little
        ? 10
        : sizeof(long double);

// What RIVULET_STATE_FIELDS returns: the struct and its fields, in order.
template <typename C, typename... P>
struct FieldList {
  using Class = C;
  std::tuple<P...> members;
};
template <typename C>
struct Fields {
  template <typename... P>
  static constexpr FieldList<C, P...> Of(P... members) {
    static_assert((std::is_member_object_pointer_v<P> && ...), "RIVULET_STATE_FIELDS lists data members");
    return FieldList<C, P...>{{members...}};
  }
};

// Found by ADL; a struct does not inherit its base's list.
template <typename T>
concept HasFieldList = std::is_class_v<T> && requires(const T* p) {
  { RivuletStateFields(p).members };
  requires std::same_as<typename decltype(RivuletStateFields(p))::Class, T>;
};
template <typename T>
constexpr auto FieldsOf() { return RivuletStateFields(static_cast<const T*>(nullptr)).members; }
template <typename T, typename P>
using FieldType = std::remove_cvref_t<decltype(std::declval<T&>().*std::declval<P>())>;

template <typename T>
consteval bool AllFieldsHaveCodec() {
  return std::apply([](auto... m) { return (HasStateCodec<FieldType<T, decltype(m)>> && ...); }, FieldsOf<T>());
}
template <typename T>
consteval size_t FieldsMinBytes() {
  return std::apply([](auto... m) { return (size_t{0} + ... + MinBytes<FieldType<T, decltype(m)>>()); },
                    FieldsOf<T>());
}

// An enum that takes every value of its underlying type (scoped, or with
// `: type`); others may not hold an arbitrary decoded value.
template <typename T>
concept FixedEnum = std::is_enum_v<T> && requires(std::underlying_type_t<T> u) { T{u}; };

// Elements of a container must take at least one byte each, so that a
// count is bounded by the input.
template <typename... T>
concept Countable = (HasStateCodec<T> && ...) && (size_t{0} + ... + MinBytes<T>()) > 0;

template <typename C, typename E>
struct SequenceCodec {
  static void Encode(const C& v, std::string* out) {
    PutVarint(out, v.size());
    for (const auto& e : v) StateCodec<E>::Encode(e, out);  // vector<bool> gives bools
  }
  static bool Decode(std::string_view* in, C* out) {
    uint64_t n = 0;
    if (!GetCount(in, MinBytes<E>(), &n)) return false;
    out->clear();
    if constexpr (requires { out->reserve(n); }) out->reserve(std::min(n, kMaxReserve));
    for (uint64_t i = 0; i < n; ++i) {
      E e{};
      if (!StateCodec<E>::Decode(in, &e)) return false;
      out->push_back(std::move(e));
    }
    return true;
  }
};

// A key that decodes twice is malformed: the encoder never writes one.
template <typename C, typename K, typename V>
struct MapCodec {
  static void Encode(const C& v, std::string* out) {
    PutVarint(out, v.size());
    for (const auto& [k, e] : v) {
      StateCodec<K>::Encode(k, out);
      StateCodec<V>::Encode(e, out);
    }
  }
  static bool Decode(std::string_view* in, C* out) {
    uint64_t n = 0;
    if (!GetCount(in, MinBytes<K>() + MinBytes<V>(), &n)) return false;
    out->clear();
    if constexpr (requires { out->reserve(n); }) out->reserve(std::min(n, kMaxReserve));
    for (uint64_t i = 0; i < n; ++i) {
      K k{};
      V e{};
      if (!StateCodec<K>::Decode(in, &k) || !StateCodec<V>::Decode(in, &e)) return false;
      if (!out->emplace(std::move(k), std::move(e)).second) return false;
    }
    return true;
  }
};

template <typename C, typename K>
struct SetCodec {
  static void Encode(const C& v, std::string* out) {
    PutVarint(out, v.size());
    for (const auto& k : v) StateCodec<K>::Encode(k, out);
  }
  static bool Decode(std::string_view* in, C* out) {
    uint64_t n = 0;
    if (!GetCount(in, MinBytes<K>(), &n)) return false;
    out->clear();
    if constexpr (requires { out->reserve(n); }) out->reserve(std::min(n, kMaxReserve));
    for (uint64_t i = 0; i < n; ++i) {
      K k{};
      if (!StateCodec<K>::Decode(in, &k) || !out->insert(std::move(k)).second) return false;
    }
    return true;
  }
};

template <typename Tuple, typename... E>
struct TupleCodec {
  static constexpr size_t kMinBytes = (size_t{0} + ... + MinBytes<E>());
  static void Encode(const Tuple& v, std::string* out) {
    std::apply([out](const E&... e) { (StateCodec<E>::Encode(e, out), ...); }, v);
  }
  static bool Decode(std::string_view* in, Tuple* out) {
    return std::apply([in](E&... e) { return (StateCodec<E>::Decode(in, &e) && ...); }, *out);
  }
};

}  // namespace detail

template <typename T>
  requires std::is_integral_v<T> && (!std::same_as<T, bool>)
struct StateCodec<T> {
  static void Encode(T v, std::string* out) {
    if constexpr (std::is_signed_v<T>) {
      detail::PutVarint(out, detail::ZigZag(v));
    } else {
      detail::PutVarint(out, v);
    }
  }
  static bool Decode(std::string_view* in, T* out) {
    uint64_t u = 0;
    if (!detail::GetVarint(in, &u)) return false;
    if constexpr (std::is_signed_v<T>) {
      const int64_t s = detail::UnZigZag(u);
      if constexpr (sizeof(T) < sizeof(int64_t)) {
        if (s < std::numeric_limits<T>::min() || s > std::numeric_limits<T>::max()) return false;
      }
      *out = static_cast<T>(s);
    } else {
      if constexpr (sizeof(T) < sizeof(uint64_t)) {
        if (u > std::numeric_limits<T>::max()) return false;
      }
      *out = static_cast<T>(u);
    }
    return true;
  }
};

template <>
struct StateCodec<bool> {
  static void Encode(bool v, std::string* out) { out->push_back(v ? 1 : 0); }
  static bool Decode(std::string_view* in, bool* out) {
    if (in->empty() || static_cast<uint8_t>(in->front()) > 1) return false;
    *out = in->front() == 1;
    in->remove_prefix(1);
    return true;
  }
};

template <typename T>
  requires std::same_as<T, float> || std::same_as<T, double>
struct StateCodec<T> {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  static_assert(sizeof(T) == sizeof(Bits));
  static constexpr size_t kMinBytes = sizeof(T);
  static void Encode(T v, std::string* out) { detail::PutFixed(out, std::bit_cast<Bits>(v)); }
  static bool Decode(std::string_view* in, T* out) {
    Bits bits = 0;
    if (!detail::GetFixed(in, &bits)) return false;
    *out = std::bit_cast<T>(bits);
    return true;
  }
};

// In the host's byte order (little-endian on every machine we run on).
template <>
struct StateCodec<long double> {
  static constexpr size_t kMinBytes = detail::kLongDoubleBytes;
  static void Encode(long double v, std::string* out) {
    char bytes[sizeof(long double)];
    std::memcpy(bytes, &v, sizeof v);
    out->append(bytes, kMinBytes);
  }
  static bool Decode(std::string_view* in, long double* out) {
    if (in->size() < kMinBytes) return false;
    char bytes[sizeof(long double)] = {};
    std::memcpy(bytes, in->data(), kMinBytes);
    std::memcpy(out, bytes, sizeof *out);
    in->remove_prefix(kMinBytes);
    return true;
  }
};

template <typename T>
  requires detail::FixedEnum<T>
struct StateCodec<T> {
  using U = std::underlying_type_t<T>;
  static constexpr size_t kMinBytes = detail::MinBytes<U>();
  static void Encode(T v, std::string* out) { StateCodec<U>::Encode(static_cast<U>(v), out); }
  static bool Decode(std::string_view* in, T* out) {
    U u{};
    if (!StateCodec<U>::Decode(in, &u)) return false;
    *out = static_cast<T>(u);
    return true;
  }
};

template <>
struct StateCodec<std::string> {
  static void Encode(const std::string& v, std::string* out) {
    detail::PutVarint(out, v.size());
    out->append(v);
  }
  static bool Decode(std::string_view* in, std::string* out) {
    uint64_t n = 0;
    if (!detail::GetCount(in, 1, &n)) return false;
    out->assign(in->data(), n);
    in->remove_prefix(n);
    return true;
  }
};

template <typename A, typename B>
  requires HasStateCodec<A> && HasStateCodec<B>
struct StateCodec<std::pair<A, B>> : detail::TupleCodec<std::pair<A, B>, A, B> {};

template <typename... E>
  requires(HasStateCodec<E> && ...)
struct StateCodec<std::tuple<E...>> : detail::TupleCodec<std::tuple<E...>, E...> {};

template <typename E, size_t N>
  requires HasStateCodec<E>
struct StateCodec<std::array<E, N>> {
  static constexpr size_t kMinBytes = N * detail::MinBytes<E>();
  static void Encode(const std::array<E, N>& v, std::string* out) {
    for (const E& e : v) StateCodec<E>::Encode(e, out);
  }
  static bool Decode(std::string_view* in, std::array<E, N>* out) {
    for (E& e : *out) {
      if (!StateCodec<E>::Decode(in, &e)) return false;
    }
    return true;
  }
};

template <typename E>
  requires HasStateCodec<E>
struct StateCodec<std::optional<E>> {
  static void Encode(const std::optional<E>& v, std::string* out) {
    StateCodec<bool>::Encode(v.has_value(), out);
    if (v) StateCodec<E>::Encode(*v, out);
  }
  static bool Decode(std::string_view* in, std::optional<E>* out) {
    bool present = false;
    if (!StateCodec<bool>::Decode(in, &present)) return false;
    if (!present) {
      out->reset();
      return true;
    }
    return StateCodec<E>::Decode(in, &out->emplace());
  }
};

// The alternative's index as a varint, then its value.
template <typename... E>
  requires(HasStateCodec<E> && ...)
struct StateCodec<std::variant<E...>> {
  static void Encode(const std::variant<E...>& v, std::string* out) {
    detail::PutVarint(out, v.index());
    std::visit([out](const auto& x) { StateCodec<std::decay_t<decltype(x)>>::Encode(x, out); }, v);
  }
  static bool Decode(std::string_view* in, std::variant<E...>* out) {
    uint64_t index = 0;
    if (!detail::GetVarint(in, &index) || index >= sizeof...(E)) return false;
    return DecodeAt(in, out, index, std::index_sequence_for<E...>{});
  }

 private:
  template <size_t... I>
  static bool DecodeAt(std::string_view* in, std::variant<E...>* out, uint64_t index, std::index_sequence<I...>) {
    bool ok = false;
    ((index == I ? (ok = StateCodec<std::variant_alternative_t<I, std::variant<E...>>>::Decode(
                        in, &out->template emplace<I>()),
                    true)
                 : false) ||
     ...);
    return ok;
  }
};

template <typename E, typename A>
  requires detail::Countable<E>
struct StateCodec<std::vector<E, A>> : detail::SequenceCodec<std::vector<E, A>, E> {};
template <typename E, typename A>
  requires detail::Countable<E>
struct StateCodec<std::deque<E, A>> : detail::SequenceCodec<std::deque<E, A>, E> {};

template <typename K, typename V, typename C, typename A>
  requires detail::Countable<K, V>
struct StateCodec<std::map<K, V, C, A>> : detail::MapCodec<std::map<K, V, C, A>, K, V> {};
template <typename K, typename V, typename H, typename E, typename A>
  requires detail::Countable<K, V>
struct StateCodec<std::unordered_map<K, V, H, E, A>> : detail::MapCodec<std::unordered_map<K, V, H, E, A>, K, V> {};
template <typename K, typename V, typename H, typename E, typename A>
  requires detail::Countable<K, V>
struct StateCodec<absl::flat_hash_map<K, V, H, E, A>> : detail::MapCodec<absl::flat_hash_map<K, V, H, E, A>, K, V> {
};

template <typename K, typename C, typename A>
  requires detail::Countable<K>
struct StateCodec<std::set<K, C, A>> : detail::SetCodec<std::set<K, C, A>, K> {};
template <typename K, typename H, typename E, typename A>
  requires detail::Countable<K>
struct StateCodec<std::unordered_set<K, H, E, A>> : detail::SetCodec<std::unordered_set<K, H, E, A>, K> {};
template <typename K, typename H, typename E, typename A>
  requires detail::Countable<K>
struct StateCodec<absl::flat_hash_set<K, H, E, A>> : detail::SetCodec<absl::flat_hash_set<K, H, E, A>, K> {};

// Partial serialization both ways, so that a proto2 message missing a
// required field still comes back as it was.
template <typename T>
  requires std::derived_from<T, google::protobuf::MessageLite>
struct StateCodec<T> {
  static constexpr uint64_t kTooLarge = uint64_t{1} << 31;  // protobuf's limit
  static void Encode(const T& v, std::string* out) {
    std::string bytes;
    if (v.SerializePartialToString(&bytes)) {
      StateCodec<std::string>::Encode(bytes, out);
    } else {
      detail::PutVarint(out, kTooLarge);  // past 2 GiB: a length Decode refuses
    }
  }
  static bool Decode(std::string_view* in, T* out) {
    uint64_t n = 0;
    if (!detail::GetCount(in, 1, &n) || n >= kTooLarge) return false;
    if (!out->ParsePartialFromArray(in->data(), static_cast<int>(n))) return false;
    in->remove_prefix(n);
    return true;
  }
};

// A struct described by RIVULET_STATE_FIELDS: its fields in the listed order.
template <typename T>
  requires detail::HasFieldList<T> && (detail::AllFieldsHaveCodec<T>())
struct StateCodec<T> {
  static constexpr size_t kMinBytes = detail::FieldsMinBytes<T>();
  static void Encode(const T& v, std::string* out) {
    std::apply([&](auto... m) { (StateCodec<detail::FieldType<T, decltype(m)>>::Encode(v.*m, out), ...); },
               detail::FieldsOf<T>());
  }
  static bool Decode(std::string_view* in, T* out) {
    return std::apply(
        [&](auto... m) { return (StateCodec<detail::FieldType<T, decltype(m)>>::Decode(in, &(out->*m)) && ...); },
        detail::FieldsOf<T>());
  }
};

// Appends v's encoding to *out.
template <HasStateCodec T>
void EncodeState(const T& v, std::string* out) {
  StateCodec<T>::Encode(v, out);
}

template <HasStateCodec T>
std::string EncodeState(const T& v) {
  std::string out;
  StateCodec<T>::Encode(v, &out);
  return out;
}

// The value `bytes` encode, all of them; kCorruption when they are
// malformed, truncated or followed by more.
template <HasStateCodec T>
  requires std::default_initializable<T>
Result<T> DecodeState(std::string_view bytes) {
  std::string_view in = bytes;
  T value{};
  if (!StateCodec<T>::Decode(&in, &value)) {
    return Status(Errc::kCorruption, "state: malformed or truncated value in " + std::to_string(bytes.size()) +
                                         " bytes");
  }
  if (!in.empty()) {
    return Status(Errc::kCorruption, "state: " + std::to_string(in.size()) + " bytes after a value of " +
                                         std::to_string(bytes.size() - in.size()));
  }
  return value;
}

}  // namespace rivulet::engine

// Lists a struct's state fields, in encoding order. Write it beside the
// struct, in the struct's namespace (it defines a function found by ADL):
//   struct Pane { int64_t start; std::map<std::string, int64_t> counts; };
//   RIVULET_STATE_FIELDS(Pane, start, counts)
// Every field needs a StateCodec; the struct needs a default constructor.
// Up to 64 fields.
#define RIVULET_STATE_FIELDS(Type, ...)                             \
  constexpr auto RivuletStateFields(const Type*) {                  \
    return ::rivulet::engine::detail::Fields<Type>::Of(             \
        __VA_OPT__(RIVULET_STATE_FIELDS_EACH(Type, __VA_ARGS__)));  \
  }

// &Type::f for each field f, comma-separated: each rescan turns one more
// name, and RIVULET_STATE_FIELDS_EXPAND rescans at least 64 times.
#define RIVULET_STATE_FIELDS_EACH(Type, ...) RIVULET_STATE_FIELDS_EXPAND(RIVULET_STATE_FIELDS_ONE(Type, __VA_ARGS__))
#define RIVULET_STATE_FIELDS_ONE(Type, f, ...) \
  &Type::f __VA_OPT__(, RIVULET_STATE_FIELDS_AGAIN RIVULET_STATE_FIELDS_PARENS(Type, __VA_ARGS__))
#define RIVULET_STATE_FIELDS_PARENS ()
#define RIVULET_STATE_FIELDS_AGAIN() RIVULET_STATE_FIELDS_ONE
#define RIVULET_STATE_FIELDS_EXPAND(...) RIVULET_STATE_FIELDS_X16(RIVULET_STATE_FIELDS_X16(RIVULET_STATE_FIELDS_X16(RIVULET_STATE_FIELDS_X16(__VA_ARGS__))))
#define RIVULET_STATE_FIELDS_X16(...) RIVULET_STATE_FIELDS_X4(RIVULET_STATE_FIELDS_X4(RIVULET_STATE_FIELDS_X4(RIVULET_STATE_FIELDS_X4(__VA_ARGS__))))
#define RIVULET_STATE_FIELDS_X4(...) RIVULET_STATE_FIELDS_X1(RIVULET_STATE_FIELDS_X1(RIVULET_STATE_FIELDS_X1(RIVULET_STATE_FIELDS_X1(__VA_ARGS__))))
#define RIVULET_STATE_FIELDS_X1(...) __VA_ARGS__
