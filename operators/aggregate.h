// Aggregate functions for windows, in the shape of Flink's
// AggregateFunction: an accumulator created empty, records added, two
// accumulators merged (panes of sliding windows, merged sessions), and a
// result. Built in: count, sum, min, max and avg of a value extracted from
// each record.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace rivulet::operators {

// Any type with these members is an aggregate of T:
//   using Acc = ...; using Out = ...;
//   Acc Create() const; void Add(Acc&, const T&) const;
//   void Merge(Acc& into, const Acc& from) const; Out Result(const Acc&) const;

struct Count {
  using Acc = int64_t;
  using Out = int64_t;
  Acc Create() const { return 0; }
  template <typename T>
  void Add(Acc& a, const T&) const { ++a; }
  void Merge(Acc& a, const Acc& b) const { a += b; }
  Out Result(const Acc& a) const { return a; }
};

template <typename F>
struct Sum {
  F field;
  using Acc = double;
  using Out = double;
  Acc Create() const { return 0; }
  template <typename T>
  void Add(Acc& a, const T& v) const { a += static_cast<double>(field(v)); }
  void Merge(Acc& a, const Acc& b) const { a += b; }
  Out Result(const Acc& a) const { return a; }
};

template <typename F>
struct Min {
  F field;
  using Acc = double;
  using Out = double;
  Acc Create() const { return std::numeric_limits<double>::infinity(); }
  template <typename T>
  void Add(Acc& a, const T& v) const { a = std::min(a, static_cast<double>(field(v))); }
  void Merge(Acc& a, const Acc& b) const { a = std::min(a, b); }
  Out Result(const Acc& a) const { return a; }
};

template <typename F>
struct Max {
  F field;
  using Acc = double;
  using Out = double;
  Acc Create() const { return -std::numeric_limits<double>::infinity(); }
  template <typename T>
  void Add(Acc& a, const T& v) const { a = std::max(a, static_cast<double>(field(v))); }
  void Merge(Acc& a, const Acc& b) const { a = std::max(a, b); }
  Out Result(const Acc& a) const { return a; }
};

template <typename F>
struct Avg {
  F field;
  using Acc = std::pair<double, int64_t>;
  using Out = double;
  Acc Create() const { return {0, 0}; }
  template <typename T>
  void Add(Acc& a, const T& v) const {
    a.first += static_cast<double>(field(v));
    ++a.second;
  }
  void Merge(Acc& a, const Acc& b) const {
    a.first += b.first;
    a.second += b.second;
  }
  Out Result(const Acc& a) const { return a.second ? a.first / static_cast<double>(a.second) : 0; }
};

// Every record of the window, in arrival order (for window functions).
template <typename T>
struct CollectAll {
  // Not split into local and global phases (local_global.h): the partial
  // would be the records themselves.
  static constexpr bool kLocalPhase = false;
  using Acc = std::vector<T>;
  using Out = std::vector<T>;
  Acc Create() const { return {}; }
  void Add(Acc& a, const T& v) const { a.push_back(v); }
  void Merge(Acc& a, const Acc& b) const { a.insert(a.end(), b.begin(), b.end()); }
  Out Result(const Acc& a) const { return a; }
};

template <typename F>
Sum<F> SumOf(F f) { return Sum<F>{std::move(f)}; }
template <typename F>
Min<F> MinOf(F f) { return Min<F>{std::move(f)}; }
template <typename F>
Max<F> MaxOf(F f) { return Max<F>{std::move(f)}; }
template <typename F>
Avg<F> AvgOf(F f) { return Avg<F>{std::move(f)}; }

}  // namespace rivulet::operators
