// Consumer protocol encoding and the range / roundrobin assignors.
#include "log/consumer_protocol.h"

#include <algorithm>
#include <set>

#include "log/wire.h"

namespace rivulet::log {
namespace {

Status Bad(const char* what) {
  return Status(Errc::kCorruption, std::string("malformed consumer protocol ") + what);
}

}  // namespace

std::string EncodeSubscription(const Subscription& s) {
  Writer w;
  w.Int16(0);
  w.ArrayCount(s.topics.size());
  for (const auto& t : s.topics) w.String(t);
  w.Bytes(s.user_data);
  return w.Take();
}

Result<Subscription> DecodeSubscription(std::string_view bytes) {
  Reader r(bytes);
  Subscription s;
  const int16_t version = r.Int16();
  const int32_t n = r.ArrayCount(2);
  for (int32_t i = 0; i < n && r.ok(); ++i) s.topics.push_back(r.String());
  // User data is optional at the end (and nullable).
  if (r.ok() && r.remaining() > 0) s.user_data = std::string(r.Bytes());
  if (!r.ok() || version < 0) return Bad("subscription");
  return s;
}

std::string EncodeAssignment(const Assignment& a) {
  Writer w;
  w.Int16(0);
  w.ArrayCount(a.size());
  for (const auto& [topic, parts] : a) {
    w.String(topic);
    w.ArrayCount(parts.size());
    for (int32_t p : parts) w.Int32(p);
  }
  w.Bytes("");
  return w.Take();
}

Result<Assignment> DecodeAssignment(std::string_view bytes) {
  Assignment a;
  if (bytes.empty()) return a;  // no partitions
  Reader r(bytes);
  const int16_t version = r.Int16();
  const int32_t n = r.ArrayCount(6);
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    std::string topic = r.String();
    const int32_t count = r.ArrayCount(4);
    auto& parts = a[topic];
    for (int32_t j = 0; j < count && r.ok(); ++j) parts.push_back(r.Int32());
  }
  if (!r.ok() || version < 0) return Bad("assignment");
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
