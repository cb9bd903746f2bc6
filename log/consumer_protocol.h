// Kafka's consumer embedded protocol: the Subscription and Assignment bytes
// that consumers exchange through JoinGroup / SyncGroup (protocol type
// "consumer"), and the "range" and "roundrobin" assignors the group leader
// runs. The byte format is Kafka's (version 0 fields), so assignments are
// readable by and from Kafka clients.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "log/types.h"

namespace rivulet::log {

struct Subscription {
  std::vector<std::string> topics;
  std::string user_data;
};

// topic -> partitions
using Assignment = std::map<std::string, std::vector<int32_t>>;

std::string EncodeSubscription(const Subscription& s);
Result<Subscription> DecodeSubscription(std::string_view bytes);
std::string EncodeAssignment(const Assignment& a);
Result<Assignment> DecodeAssignment(std::string_view bytes);

// Computes assignments for `members` (member id -> subscription) given the
// partition count of every subscribed topic. Members are taken in member-id
// order, as Kafka's assignors do.
//   range:      per topic, consecutive ranges; the first (n % m) get one more.
//   roundrobin: all partitions sorted by (topic, partition) dealt in turn to
//               the members subscribed to each topic.
// kInvalidArgument for an unknown assignor name.
Result<std::map<std::string, Assignment>> Assign(
    const std::string& assignor, const std::map<std::string, Subscription>& members,
    const std::map<std::string, int32_t>& partitions_per_topic);

}  // namespace rivulet::log
