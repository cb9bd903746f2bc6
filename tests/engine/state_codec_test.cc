// StateCodec: round trips of every supported type and of nested ones, the
// exact bytes of the format's building blocks, and every way bytes go bad
// (truncated at each length, huge counts and lengths, overlong varints,
// values out of range, duplicate keys, trailing bytes).
#include "engine/state_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>

#include "engine/time.h"
#include "rivulet_events.pb.h"

namespace rivulet::engine {
namespace {

struct Pane {
  int64_t start = 0;
  int64_t end = 0;
  std::map<std::string, int64_t> counts;
  std::optional<double> max;
  bool operator==(const Pane&) const = default;
};
RIVULET_STATE_FIELDS(Pane, start, end, counts, max)

struct Session {
  std::string key;
  Pane pane;  // a described struct inside another
  std::vector<Timestamp> seen;
  bool operator==(const Session&) const = default;
};
RIVULET_STATE_FIELDS(Session, key, pane, seen)

enum class Side : int8_t { kBuy = -1, kSell = 1 };
enum Color : uint16_t { kRed = 1, kBlue = 60000 };

// More fields than the macro is asked to take (16), of mixed types.
struct Wide {
  int8_t a = 0;
  uint8_t b = 0;
  int16_t c = 0;
  uint16_t d = 0;
  int32_t e = 0;
  uint32_t f = 0;
  int64_t g = 0;
  uint64_t h = 0;
  float i = 0;
  double j = 0;
  bool k = false;
  char l = 0;
  Side m = Side::kSell;
  Color n = kRed;
  std::string o;
  std::vector<int32_t> p;
  std::optional<std::string> q;
  std::array<int64_t, 2> r{};
  bool operator==(const Wide&) const = default;
};
RIVULET_STATE_FIELDS(Wide, a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r)

struct Empty {
  bool operator==(const Empty&) const = default;
};
RIVULET_STATE_FIELDS(Empty)

struct NoFields {
  int x = 0;
};
struct BadField {
  NoFields inner;
};
RIVULET_STATE_FIELDS(BadField, inner)
struct Derived : Pane {
  int extra = 0;
};
enum Plain { kPlainA, kPlainB };  // no fixed underlying type: not every value is valid

static_assert(HasStateCodec<Pane> && HasStateCodec<Session> && HasStateCodec<Wide> && HasStateCodec<Empty>);
static_assert(!HasStateCodec<NoFields>);
static_assert(!HasStateCodec<std::vector<NoFields>> && !HasStateCodec<std::optional<NoFields>>);
static_assert(!HasStateCodec<BadField>);  // a field without a codec
static_assert(!HasStateCodec<Derived>);   // a struct does not inherit its base's list
static_assert(!HasStateCodec<Plain>);
static_assert(!HasStateCodec<std::string_view> && !HasStateCodec<int*>);
// Elements that may take no bytes cannot be counted against the input.
static_assert(!HasStateCodec<std::vector<Empty>> && !HasStateCodec<std::set<std::tuple<>>>);
static_assert(HasStateCodec<std::vector<std::optional<Empty>>>);

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

// The value `bytes` decode to, having checked that they decode.
template <typename T>
T Decoded(const std::string& bytes) {
  auto r = DecodeState<T>(bytes);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : T{};
}

// Decodes to an equal value that encodes to the same bytes.
template <typename T>
void ExpectRoundTrip(const T& v) {
  const std::string bytes = EncodeState(v);
  const T back = Decoded<T>(bytes);
  EXPECT_EQ(back, v);
  EXPECT_EQ(EncodeState(back), bytes);
}

// Decodes `n` bytes held in a buffer of exactly that size, so that ASan
// reports any read past them.
template <typename T>
Result<T> DecodeExact(std::string_view bytes) {
  auto buf = std::make_unique<char[]>(bytes.size());
  if (!bytes.empty()) std::memcpy(buf.get(), bytes.data(), bytes.size());
  return DecodeState<T>(std::string_view(buf.get(), bytes.size()));
}

template <typename T>
void ExpectCorrupt(std::string_view bytes) {
  auto r = DecodeExact<T>(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Errc::kCorruption);
}

template <typename T>
void ExpectEveryPrefixCorrupt(const T& v) {
  const std::string bytes = EncodeState(v);
  for (size_t n = 0; n < bytes.size(); ++n) {
    SCOPED_TRACE(testing::Message() << n << " of " << bytes.size() << " bytes");
    ExpectCorrupt<T>(std::string_view(bytes).substr(0, n));
  }
  EXPECT_TRUE(DecodeExact<T>(bytes).ok());
}

template <typename T>
void ExpectIntegerExtremes() {
  using L = std::numeric_limits<T>;
  for (T v : {L::min(), L::max(), T(0), T(1), T(L::max() / 2), T(L::min() / 2)}) ExpectRoundTrip(v);
  if constexpr (L::is_signed) ExpectRoundTrip(T(-1));
}

Pane SomePane() { return Pane{-5000, 12345678901, {{"a", 1}, {"b", -2}, {"", INT64_MIN}}, 2.5}; }
Session SomeSession() { return Session{"user-7", SomePane(), {kMinTimestamp, 0, kMaxTimestamp}}; }

events::Transaction SomeTransaction() {
  events::Transaction t;
  t.set_card(4242);
  t.set_amount(-12.75);
  return t;
}

bool SameMessage(const google::protobuf::MessageLite& a, const google::protobuf::MessageLite& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

TEST(StateCodecTest, IntegersAreVarintsSignedOnesZigZagged) {
  EXPECT_EQ(EncodeState(int64_t{0}), Bytes({0x00}));
  EXPECT_EQ(EncodeState(int64_t{-1}), Bytes({0x01}));
  EXPECT_EQ(EncodeState(int64_t{1}), Bytes({0x02}));
  EXPECT_EQ(EncodeState(int64_t{-64}), Bytes({0x7f}));
  EXPECT_EQ(EncodeState(int64_t{64}), Bytes({0x80, 0x01}));
  EXPECT_EQ(EncodeState(uint32_t{300}), Bytes({0xac, 0x02}));
  EXPECT_EQ(EncodeState(INT64_MIN), Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  EXPECT_EQ(EncodeState(INT64_MAX), Bytes({0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  EXPECT_EQ(EncodeState(UINT64_MAX), Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  EXPECT_EQ(EncodeState(true), Bytes({0x01}));
  EXPECT_EQ(EncodeState(false), Bytes({0x00}));
}

TEST(StateCodecTest, EveryIntegerTypeKeepsItsExtremes) {
  ExpectIntegerExtremes<int8_t>();
  ExpectIntegerExtremes<uint8_t>();
  ExpectIntegerExtremes<int16_t>();
  ExpectIntegerExtremes<uint16_t>();
  ExpectIntegerExtremes<int32_t>();
  ExpectIntegerExtremes<uint32_t>();
  ExpectIntegerExtremes<int64_t>();
  ExpectIntegerExtremes<uint64_t>();
  ExpectIntegerExtremes<char>();
  ExpectIntegerExtremes<signed char>();
  ExpectIntegerExtremes<unsigned char>();
  ExpectIntegerExtremes<wchar_t>();
  ExpectIntegerExtremes<char8_t>();
  ExpectIntegerExtremes<char16_t>();
  ExpectIntegerExtremes<char32_t>();
  ExpectIntegerExtremes<long long>();
  ExpectIntegerExtremes<unsigned long long>();
  ExpectRoundTrip(true);
  ExpectRoundTrip(false);
  ExpectRoundTrip(Timestamp{kMinTimestamp});
  ExpectRoundTrip(Timestamp{kMaxTimestamp});
}

TEST(StateCodecTest, FloatsAreTheirLittleEndianBitPatterns) {
  EXPECT_EQ(EncodeState(1.0), Bytes({0, 0, 0, 0, 0, 0, 0xf0, 0x3f}));
  EXPECT_EQ(EncodeState(1.0f), Bytes({0, 0, 0x80, 0x3f}));
  for (uint64_t bits : {0x8000000000000000ull,     // -0.0
                        0x7ff8000000000abcull,     // a quiet NaN with a payload
                        0xfff0000000000001ull,     // a negative signaling NaN
                        0x7ff0000000000000ull,     // infinity
                        0x0000000000000001ull}) {  // the smallest subnormal
    const double back = Decoded<double>(EncodeState(std::bit_cast<double>(bits)));
    EXPECT_EQ(std::bit_cast<uint64_t>(back), bits);
  }
  EXPECT_TRUE(std::signbit(Decoded<double>(EncodeState(-0.0))));
  for (uint32_t bits : {0x80000000u, 0x7fc00123u, 0xff800000u, 0x00000001u}) {
    const float back = Decoded<float>(EncodeState(std::bit_cast<float>(bits)));
    EXPECT_EQ(std::bit_cast<uint32_t>(back), bits);
  }
  for (double v : {std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(), -1e-300, 0.1}) {
    ExpectRoundTrip(v);
  }
}

TEST(StateCodecTest, LongDoubleKeepsItsValue) {
  for (long double v : {1.0L / 3, -0.0L, std::numeric_limits<long double>::max(),
                        std::numeric_limits<long double>::denorm_min(), -std::numeric_limits<long double>::infinity()}) {
    ExpectRoundTrip(v);
  }
  EXPECT_TRUE(std::signbit(Decoded<long double>(EncodeState(-0.0L))));
  EXPECT_TRUE(std::isnan(Decoded<long double>(EncodeState(std::numeric_limits<long double>::quiet_NaN()))));
  ExpectEveryPrefixCorrupt(1.0L / 7);
}

TEST(StateCodecTest, EnumsAreTheirUnderlyingType) {
  EXPECT_EQ(EncodeState(Side::kBuy), EncodeState(int8_t{-1}));
  ExpectRoundTrip(Side::kBuy);
  ExpectRoundTrip(Side::kSell);
  ExpectRoundTrip(static_cast<Side>(INT8_MIN));  // any value of the underlying type
  ExpectRoundTrip(kBlue);
  ExpectCorrupt<Side>(EncodeState(int64_t{200}));  // past int8_t
  ExpectCorrupt<Color>(EncodeState(uint64_t{70000}));
}

TEST(StateCodecTest, StringsAreLengthPrefixed) {
  EXPECT_EQ(EncodeState(std::string("ab")), Bytes({0x02, 'a', 'b'}));
  EXPECT_EQ(EncodeState(std::string()), Bytes({0x00}));
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  ExpectRoundTrip(all);
  ExpectRoundTrip(std::string("a\0b", 3));
  ExpectRoundTrip(std::string(100000, 'x'));
  EXPECT_EQ(EncodeState(std::string(300, 'y')).substr(0, 2), Bytes({0xac, 0x02}));
}

TEST(StateCodecTest, TuplesPairsAndArraysAreTheirFieldsInOrder) {
  EXPECT_EQ(EncodeState(std::pair<int32_t, std::string>{-1, "k"}), Bytes({0x01, 0x01, 'k'}));
  EXPECT_EQ(EncodeState(std::tuple<>{}), "");
  EXPECT_EQ(EncodeState(std::array<uint8_t, 3>{1, 2, 3}), Bytes({1, 2, 3}));
  ExpectRoundTrip(std::pair<int64_t, double>{INT64_MIN, -0.5});
  ExpectRoundTrip(std::tuple<int8_t, double, std::string, bool>{-7, 3.25, "x", true});
  ExpectRoundTrip(std::tuple<>{});
  ExpectRoundTrip(std::array<std::string, 3>{"a", "", "ccc"});
  ExpectRoundTrip(std::array<int, 0>{});
}

TEST(StateCodecTest, Containers) {
  ExpectRoundTrip(std::vector<int64_t>{});
  ExpectRoundTrip(std::vector<int64_t>{1, -1, INT64_MIN, INT64_MAX});
  ExpectRoundTrip(std::vector<bool>{true, false, true});
  ExpectRoundTrip(std::vector<std::string>{"", "", "z"});
  ExpectRoundTrip(std::deque<double>{1.5, -2.5});
  ExpectRoundTrip(std::optional<int>{});
  ExpectRoundTrip(std::optional<int>{0});
  ExpectRoundTrip(std::map<std::string, int64_t>{{"a", 1}, {"b", 2}});
  ExpectRoundTrip(std::set<std::string>{"x", "y", ""});
  EXPECT_EQ(EncodeState(std::vector<uint8_t>{5, 6}), Bytes({0x02, 5, 6}));
  EXPECT_EQ(EncodeState(std::optional<uint8_t>{}), Bytes({0x00}));
  EXPECT_EQ(EncodeState(std::optional<uint8_t>{5}), Bytes({0x01, 5}));
  // A variant: the alternative's index, then its value.
  using V = std::variant<int64_t, std::string, std::vector<int>>;
  ExpectRoundTrip(V(int64_t{-7}));
  ExpectRoundTrip(V(std::string("two")));
  ExpectRoundTrip(V(std::vector<int>{1, 2}));
  EXPECT_EQ(EncodeState(std::variant<uint8_t, bool>(std::in_place_index<1>, true)), Bytes({0x01, 1}));
  EXPECT_EQ((DecodeExact<std::variant<uint8_t, bool>>(Bytes({0x02, 1})).status().code()), Errc::kCorruption)
      << "an index past the alternatives";
  EXPECT_FALSE((DecodeExact<std::variant<uint8_t, std::string>>(Bytes({0x01, 0x05, 'a'})).ok()))
      << "a value cut short";
  EXPECT_EQ(EncodeState(std::map<uint8_t, bool>{{1, true}}), Bytes({0x01, 1, 1}));

  // Hash containers: equal values, though the bytes follow iteration order.
  std::unordered_map<int64_t, std::string> um;
  absl::flat_hash_map<std::string, int64_t> fm;
  absl::flat_hash_set<int64_t> fs;
  std::unordered_set<std::string> us;
  for (int64_t i = -500; i < 500; ++i) {
    um[i * 7919] = std::to_string(i);
    fm[std::to_string(i)] = i * i;
    fs.insert(i * 104729);
    us.insert(std::string(static_cast<size_t>(i + 500) % 7, 'q') + std::to_string(i));
  }
  EXPECT_EQ(Decoded<decltype(um)>(EncodeState(um)), um);
  EXPECT_EQ(Decoded<decltype(fm)>(EncodeState(fm)), fm);
  EXPECT_EQ(Decoded<decltype(fs)>(EncodeState(fs)), fs);
  EXPECT_EQ(Decoded<decltype(us)>(EncodeState(us)), us);
  using IntMap = absl::flat_hash_map<int, int>;
  EXPECT_TRUE(Decoded<IntMap>(EncodeState(IntMap{})).empty());
}

TEST(StateCodecTest, DescribedStructsAreTheirFieldsInOrder) {
  EXPECT_EQ(EncodeState(Pane{1, 2, {}, std::nullopt}), Bytes({0x02, 0x04, 0x00, 0x00}));
  EXPECT_EQ(EncodeState(Empty{}), "");
  ExpectRoundTrip(Empty{});
  ExpectRoundTrip(SomePane());
  ExpectRoundTrip(SomeSession());
  Wide w{-128, 255, -32768, 65535, INT32_MIN, UINT32_MAX, INT64_MIN, UINT64_MAX, -0.0f, 1e308, true, 'z',
         Side::kBuy, kBlue, "wide", {1, -2, 3}, "q", {INT64_MAX, -1}};
  ExpectRoundTrip(w);
  ExpectRoundTrip(Wide{});
}

TEST(StateCodecTest, NestedValues) {
  std::map<std::string, std::vector<std::pair<int64_t, double>>> m{
      {"a", {{1, 0.5}, {INT64_MIN, -0.0}}}, {"", {}}, {"c", {{-3, 1e100}}}};
  ExpectRoundTrip(m);
  ExpectRoundTrip(std::optional<Pane>{SomePane()});
  ExpectRoundTrip(std::optional<Pane>{});
  ExpectRoundTrip(std::tuple<int, Session, std::string>{-9, SomeSession(), "tail"});
  ExpectRoundTrip(std::vector<std::optional<Session>>{SomeSession(), std::nullopt, Session{}});
  absl::flat_hash_map<std::string, Pane> panes{{"k1", SomePane()}, {"k2", Pane{}}};
  EXPECT_EQ(Decoded<decltype(panes)>(EncodeState(panes)), panes);
}

TEST(StateCodecTest, ProtobufMessagesAreLengthPrefixed) {
  const events::Transaction t = SomeTransaction();
  const std::string bytes = EncodeState(t);
  EXPECT_EQ(bytes, EncodeState(t.SerializeAsString()));
  EXPECT_TRUE(SameMessage(Decoded<events::Transaction>(bytes), t));
  EXPECT_EQ(EncodeState(events::Transaction{}), Bytes({0x00}));

  using Mixed = std::tuple<Pane, std::vector<events::Transaction>, std::optional<events::PageView>>;
  events::PageView view;
  view.set_user(1);
  view.set_page(99);
  const Mixed mixed{SomePane(), {t, events::Transaction{}, t}, view};
  const Mixed back = Decoded<Mixed>(EncodeState(mixed));
  EXPECT_EQ(std::get<0>(back), SomePane());
  ASSERT_EQ(std::get<1>(back).size(), 3u);
  EXPECT_TRUE(SameMessage(std::get<1>(back)[0], t));
  EXPECT_TRUE(SameMessage(std::get<1>(back)[1], events::Transaction{}));
  ASSERT_TRUE(std::get<2>(back).has_value());
  EXPECT_TRUE(SameMessage(*std::get<2>(back), view));
  EXPECT_EQ(EncodeState(back), EncodeState(mixed));

  ExpectCorrupt<events::Transaction>(Bytes({0x01, 0xff}));        // a tag cut short
  ExpectCorrupt<events::Transaction>(Bytes({0x02, 0x08, 0x80}));  // a field's varint cut short
  ExpectCorrupt<events::Transaction>(Bytes({0x80, 0x80, 0x80, 0x80, 0x08, 0x00}));  // 2 GiB
}

TEST(StateCodecTest, DecodeConsumesFromTheFrontAndEncodeAppends) {
  std::string bytes = "x";
  EncodeState(int64_t{-3}, &bytes);
  EncodeState(std::string("hi"), &bytes);
  EncodeState(SomePane(), &bytes);
  std::string_view in(bytes);
  in.remove_prefix(1);
  int64_t i = 0;
  std::string s;
  Pane p;
  ASSERT_TRUE(StateCodec<int64_t>::Decode(&in, &i));
  ASSERT_TRUE(StateCodec<std::string>::Decode(&in, &s));
  ASSERT_TRUE(StateCodec<Pane>::Decode(&in, &p));
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(i, -3);
  EXPECT_EQ(s, "hi");
  EXPECT_EQ(p, SomePane());

  // Decode replaces what *out held.
  using IntMap = std::map<int, int>;
  std::vector<int> v{9, 9, 9};
  IntMap m{{9, 9}};
  std::string vb = EncodeState(std::vector<int>{1});
  std::string mb = EncodeState(IntMap{{1, 2}});
  std::string_view vin(vb), mbin(mb);
  ASSERT_TRUE(StateCodec<std::vector<int>>::Decode(&vin, &v));
  ASSERT_TRUE(StateCodec<IntMap>::Decode(&mbin, &m));
  EXPECT_EQ(v, std::vector<int>{1});
  EXPECT_EQ(m, (IntMap{{1, 2}}));
}

TEST(StateCodecCorruptionTest, EveryTruncationIsAnError) {
  ExpectEveryPrefixCorrupt(std::map<std::string, std::vector<std::pair<int64_t, double>>>{
      {"alpha", {{1, 0.5}, {INT64_MIN, -0.0}}}, {"", {}}, {"c", {{-3, 1e100}}}});
  ExpectEveryPrefixCorrupt(std::tuple<int, Session, std::optional<Pane>, std::string>{
      INT32_MIN, SomeSession(), SomePane(), std::string(200, 'x')});
  ExpectEveryPrefixCorrupt(Wide{-1, 1, -1, 1, -1, 1, INT64_MIN, UINT64_MAX, 1.5f, -2.5, true, 'c', Side::kBuy,
                                kBlue, "s", {1}, "o", {1, 2}});
  ExpectEveryPrefixCorrupt(std::vector<events::Transaction>{SomeTransaction(), SomeTransaction()});
  ExpectEveryPrefixCorrupt(absl::flat_hash_map<std::string, std::set<int64_t>>{{"a", {1, 2}}, {"b", {}}});
}

TEST(StateCodecCorruptionTest, HugeCountsAndLengthsAreErrorsNotAllocations) {
  const std::string huge = Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});  // 2^64-1
  const std::string big = Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40});         // 2^62
  for (const std::string& count : {huge, big}) {
    ExpectCorrupt<std::string>(count + "abc");
    ExpectCorrupt<std::vector<int64_t>>(count + Bytes({1, 2, 3}));
    ExpectCorrupt<std::deque<std::string>>(count + Bytes({0, 0}));
    ExpectCorrupt<std::map<std::string, std::vector<std::pair<int64_t, double>>>>(count + Bytes({0, 0, 0}));
    ExpectCorrupt<absl::flat_hash_map<int64_t, int64_t>>(count + Bytes({0, 0}));
    ExpectCorrupt<absl::flat_hash_set<int64_t>>(count);
    ExpectCorrupt<std::unordered_map<int, int>>(count);
    ExpectCorrupt<std::set<int>>(count);
    ExpectCorrupt<events::Transaction>(count + "x");
    ExpectCorrupt<Session>(Bytes({0x01, 'k'}) + EncodeState(SomePane()) + count);
  }
  // Each double takes 8 bytes: 2 of them cannot fit in 15.
  ExpectCorrupt<std::vector<double>>(Bytes({0x02}) + std::string(15, '\0'));
  EXPECT_TRUE(DecodeExact<std::vector<double>>(Bytes({0x02}) + std::string(16, '\0')).ok());
  // Nor 3 pairs of (double, double) in 40.
  ExpectCorrupt<std::map<double, double>>(Bytes({0x03}) + std::string(40, '\0'));
}

TEST(StateCodecCorruptionTest, MalformedVarintsAndValues) {
  ExpectCorrupt<uint64_t>(Bytes({0x80, 0x00}));  // overlong 0
  ExpectCorrupt<uint64_t>(Bytes({0x81, 0x80, 0x00}));
  ExpectCorrupt<uint64_t>(Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}));  // 65 bits
  ExpectCorrupt<uint64_t>(Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x01}));
  ExpectCorrupt<uint64_t>(std::string(20, '\xff'));
  ExpectCorrupt<uint8_t>(EncodeState(uint64_t{256}));
  ExpectCorrupt<uint16_t>(EncodeState(uint64_t{65536}));
  ExpectCorrupt<int8_t>(EncodeState(int64_t{128}));
  ExpectCorrupt<int8_t>(EncodeState(int64_t{-129}));
  ExpectCorrupt<int32_t>(EncodeState(INT64_MIN));
  ExpectCorrupt<uint32_t>(EncodeState(UINT64_MAX));
  ExpectCorrupt<bool>(Bytes({0x02}));
  ExpectCorrupt<bool>(Bytes({0xff}));
  ExpectCorrupt<std::optional<int>>(Bytes({0x02, 0x00}));
  ExpectCorrupt<double>(Bytes({0, 0, 0, 0, 0, 0, 0}));
  // A key that decodes twice.
  ExpectCorrupt<std::map<std::string, int>>(Bytes({0x02, 0x01, 'a', 0x02, 0x01, 'a', 0x04}));
  ExpectCorrupt<absl::flat_hash_map<int, int>>(Bytes({0x02, 0x02, 0x00, 0x02, 0x02}));
  ExpectCorrupt<std::set<int>>(Bytes({0x02, 0x02, 0x02}));
  ExpectCorrupt<std::unordered_set<int>>(Bytes({0x02, 0x02, 0x02}));
}

TEST(StateCodecCorruptionTest, TrailingBytesAreAnError) {
  ExpectCorrupt<int64_t>(EncodeState(int64_t{5}) + Bytes({0x00}));
  ExpectCorrupt<Pane>(EncodeState(SomePane()) + "garbage");
  ExpectCorrupt<Empty>("x");
  ExpectCorrupt<std::tuple<>>(Bytes({0x00}));
  auto r = DecodeState<std::string>(EncodeState(std::string("ab")) + "cd");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Errc::kCorruption);
}

// Random bytes and single-byte damage to a valid encoding: each decodes or
// is refused, never crashes; whatever decodes re-encodes to bytes that
// decode to the same value (compared by their encoding: NaN != NaN).
template <typename T>
void ExpectDecodedIsStable(std::string_view bytes) {
  auto r = DecodeExact<T>(bytes);
  if (!r.ok()) return;
  const std::string again = EncodeState(*r);
  auto r2 = DecodeExact<T>(again);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(EncodeState(*r2), again);
}

TEST(StateCodecCorruptionTest, RandomAndDamagedBytes) {
  using Nested = std::tuple<Session, std::map<std::string, std::vector<std::pair<int64_t, double>>>,
                            std::optional<events::Transaction>, std::vector<bool>>;
  const Nested valid{SomeSession(), {{"a", {{1, 2.0}}}, {"b", {}}}, SomeTransaction(), {true, false}};
  const std::string bytes = EncodeState(valid);
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int b : {0x00, 0x01, 0x02, 0x7f, 0x80, 0xff}) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(b);
      ExpectDecodedIsStable<Nested>(damaged);
      ExpectDecodedIsStable<Session>(damaged);
    }
  }
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> byte(0, 255), length(0, 48), small(0, 3);
  for (int i = 0; i < 20000; ++i) {
    std::string random;
    const int n = length(rng);
    for (int j = 0; j < n; ++j) random.push_back(static_cast<char>(small(rng) == 0 ? byte(rng) : small(rng)));
    ExpectDecodedIsStable<Nested>(random);
    ExpectDecodedIsStable<Session>(random);
    ExpectDecodedIsStable<std::map<int8_t, std::optional<std::string>>>(random);
  }
}

}  // namespace
}  // namespace rivulet::engine
