// Consumer protocol encoding and the range / roundrobin assignors.
#include "log/consumer_protocol.h"

#include <algorithm>
#include <set>

#include "log/varint.h"

namespace rivulet::log {
namespace {

class Writer {
 public:
  void I16(int16_t v) {
    char b[2];
    PutBigEndian16(b, static_cast<uint16_t>(v));
    out_.append(b, 2);
  }
  void I32(int32_t v) {
    char b[4];
    PutBigEndian32(b, static_cast<uint32_t>(v));
    out_.append(b, 4);
  }
  void Str(std::string_view s) {
    I16(static_cast<int16_t>(s.size()));
    out_.append(s);
  }
  void Bytes(std::string_view s) {
    I32(static_cast<int32_t>(s.size()));
    out_.append(s);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view b) : p_(b.data()), end_(b.data() + b.size()) {}
  bool I16(int16_t* v) {
    if (end_ - p_ < 2) return false;
    *v = static_cast<int16_t>(GetBigEndian16(p_));
    p_ += 2;
    return true;
  }
  bool I32(int32_t* v) {
    if (end_ - p_ < 4) return false;
    *v = static_cast<int32_t>(GetBigEndian32(p_));
    p_ += 4;
    return true;
  }
  bool Str(std::string* s) {
    int16_t n;
    if (!I16(&n) || n < 0 || end_ - p_ < n) return false;
    s->assign(p_, static_cast<size_t>(n));
    p_ += n;
    return true;
  }
  // Nullable bytes; a missing trailing field reads as empty.
  bool Bytes(std::string* s) {
    if (p_ == end_) return true;
    int32_t n;
    if (!I32(&n)) return false;
    if (n < 0) return true;
    if (end_ - p_ < n) return false;
    s->assign(p_, static_cast<size_t>(n));
    p_ += n;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

Status Bad(const char* what) {
  return Status(Errc::kCorruption, std::string("malformed consumer protocol ") + what);
}

}  // namespace

std::string EncodeSubscription(const Subscription& s) {
  Writer w;
  w.I16(0);
  w.I32(static_cast<int32_t>(s.topics.size()));
  for (const auto& t : s.topics) w.Str(t);
  w.Bytes(s.user_data);
  return w.take();
}

Result<Subscription> DecodeSubscription(std::string_view bytes) {
  Reader r(bytes);
  Subscription s;
  int16_t version;
  int32_t n;
  if (!r.I16(&version) || version < 0 || !r.I32(&n) || n < 0) return Bad("subscription");
  for (int32_t i = 0; i < n; ++i) {
    std::string t;
    if (!r.Str(&t)) return Bad("subscription topic");
    s.topics.push_back(std::move(t));
  }
  if (!r.Bytes(&s.user_data)) return Bad("subscription user data");
  return s;
}

std::string EncodeAssignment(const Assignment& a) {
  Writer w;
  w.I16(0);
  w.I32(static_cast<int32_t>(a.size()));
  for (const auto& [topic, parts] : a) {
    w.Str(topic);
    w.I32(static_cast<int32_t>(parts.size()));
    for (int32_t p : parts) w.I32(p);
  }
  w.Bytes("");
  return w.take();
}

Result<Assignment> DecodeAssignment(std::string_view bytes) {
  Assignment a;
  if (bytes.empty()) return a;  // no partitions
  Reader r(bytes);
  int16_t version;
  int32_t n;
  if (!r.I16(&version) || version < 0 || !r.I32(&n) || n < 0) return Bad("assignment");
  for (int32_t i = 0; i < n; ++i) {
    std::string topic;
    int32_t count;
    if (!r.Str(&topic) || !r.I32(&count) || count < 0) return Bad("assignment topic");
    auto& parts = a[topic];
    for (int32_t j = 0; j < count; ++j) {
      int32_t p;
      if (!r.I32(&p)) return Bad("assignment partition");
      parts.push_back(p);
    }
  }
  return a;
}

Result<std::map<std::string, Assignment>> Assign(
    const std::string& assignor, const std::map<std::string, Subscription>& members,
    const std::map<std::string, int32_t>& partitions_per_topic) {
  std::map<std::string, Assignment> out;
  for (const auto& [id, sub] : members) out[id];
  auto subscribed = [&](const std::string& id, const std::string& topic) {
    const auto& t = members.at(id).topics;
    return std::find(t.begin(), t.end(), topic) != t.end();
  };
  if (assignor == "range") {
    for (const auto& [topic, count] : partitions_per_topic) {
      std::vector<std::string> consumers;
      for (const auto& [id, sub] : members) {
        if (subscribed(id, topic)) consumers.push_back(id);
      }
      if (consumers.empty()) continue;
      const int32_t m = static_cast<int32_t>(consumers.size());
      const int32_t per = count / m;
      const int32_t extra = count % m;
      for (int32_t i = 0; i < m; ++i) {
        const int32_t start = per * i + std::min(i, extra);
        const int32_t len = per + (i < extra ? 1 : 0);
        auto& parts = out[consumers[static_cast<size_t>(i)]][topic];
        for (int32_t p = start; p < start + len; ++p) parts.push_back(p);
      }
    }
    return out;
  }
  if (assignor == "roundrobin") {
    std::vector<std::string> ids;
    for (const auto& [id, sub] : members) ids.push_back(id);
    size_t next = 0;
    for (const auto& [topic, count] : partitions_per_topic) {
      for (int32_t p = 0; p < count; ++p) {
        for (size_t tries = 0; tries < ids.size(); ++tries) {
          const std::string& id = ids[next % ids.size()];
          ++next;
          if (subscribed(id, topic)) {
            out[id][topic].push_back(p);
            break;
          }
        }
      }
    }
    return out;
  }
  return Status(Errc::kInvalidArgument, "unknown partition assignment strategy '" + assignor +
                                            "' (use range or roundrobin)");
}

}  // namespace rivulet::log
