// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs handlers.
//
// Topics: every setting of log/topic_config.h's table, with its source
// (DYNAMIC_TOPIC_CONFIG for an override, STATIC_BROKER_CONFIG when
// server.properties changed the default, DEFAULT_CONFIG otherwise), its
// synonyms, type and documentation when asked. Overrides are replaced
// (AlterConfigs) or changed one by one (IncrementalAlterConfigs: SET,
// DELETE; APPEND and SUBTRACT on list settings), validated whole, and
// written under the log's lock (LogManager::UpdateTopicConfig) to
// topic.meta. A malformed request (a key twice, AlterConfigs' null value)
// is INVALID_REQUEST, a change the topic cannot take INVALID_CONFIG.
// The broker (resource name: its node id, or "" for the cluster default):
// the server.properties settings the log uses, read-only: they are read
// once at start, and altering them is refused with INVALID_CONFIG.
// ACLs: DescribeConfigs / AlterConfigs on the topic, or on the cluster for
// the broker, as Kafka.
#include <algorithm>
#include <set>
#include <sstream>

#include "log/kafka/protocol/configs.h"
#include "log/kafka/server/handler.h"
#include "log/topic_config.h"

namespace rivulet::log::kafka {
namespace {

int8_t KafkaType(TopicConfigKey::Type t) {
  switch (t) {
    case TopicConfigKey::Type::kString: return kConfigTypeString;
    case TopicConfigKey::Type::kInt: return kConfigTypeInt;
    case TopicConfigKey::Type::kLong: return kConfigTypeLong;
    case TopicConfigKey::Type::kList: return kConfigTypeList;
  }
  return kConfigTypeUnknown;
}

// The value of `key` in `config`, or Kafka's default for a setting with no
// effect here.
std::optional<std::string> ValueOf(const TopicConfigKey& key, const std::map<std::string, std::string>& effective) {
  if (auto it = effective.find(key.name); it != effective.end()) return it->second;
  if (key.kafka_default != nullptr) return std::string(key.kafka_default);
  return std::nullopt;
}

bool Wanted(const DescribeConfigsRequest::Resource& r, const std::string& name) {
  if (!r.keys) return true;
  for (const auto& k : *r.keys) {
    if (k == name) return true;
  }
  return false;
}

void DescribeTopic(const RequestContext& ctx, const DescribeConfigsRequest& req,
                   const DescribeConfigsRequest::Resource& r, DescribeConfigsResponse::Resource* out) {
  auto overrides = ctx.log->TopicOverrides(r.name);
  if (!overrides.ok()) {
    out->error = ErrorCode::kUnknownTopicOrPartition;
    out->message = overrides.status().message();
    return;
  }
  const TopicConfig& defaults = ctx.log->options().default_topic_config;
  auto topic = TopicConfig::FromMap(*overrides, defaults);
  const auto effective = topic.ok() ? topic->ToMap() : defaults.ToMap();
  const auto broker = defaults.ToMap();
  const auto builtin = TopicConfig{}.ToMap();
  for (const auto& key : TopicConfigKeys()) {
    if (!Wanted(r, key.name)) continue;
    DescribeConfigsResponse::Entry e;
    e.name = key.name;
    const bool overridden = overrides->contains(key.name);
    e.value = overridden ? overrides->at(key.name) : ValueOf(key, effective);
    const auto broker_value = ValueOf(key, broker);
    const bool broker_set = key.effective && broker_value != ValueOf(key, builtin);
    e.source = overridden ? kConfigSourceTopic : broker_set ? kConfigSourceStaticBroker : kConfigSourceDefault;
    if (req.include_synonyms) {
      if (overridden) e.synonyms.push_back({key.name, e.value, kConfigSourceTopic});
      if (broker_set) e.synonyms.push_back({key.broker_name, broker_value, kConfigSourceStaticBroker});
      e.synonyms.push_back({key.broker_name, ValueOf(key, builtin), kConfigSourceDefault});
    }
    e.type = KafkaType(key.type);
    if (req.include_documentation) e.documentation = key.doc;
    out->entries.push_back(std::move(e));
  }
}

bool IsThisBroker(const RequestContext& ctx, const std::string& name) {
  return name.empty() || name == std::to_string(ctx.broker->node_id);
}

void DescribeBroker(const RequestContext& ctx, const DescribeConfigsRequest& req,
                    const DescribeConfigsRequest::Resource& r, DescribeConfigsResponse::Resource* out) {
  if (!IsThisBroker(ctx, r.name)) {
    out->error = ErrorCode::kInvalidRequest;
    out->message = "unknown broker '" + r.name + "': this broker is " + std::to_string(ctx.broker->node_id);
    return;
  }
  const LogOptions& o = ctx.log->options();
  const auto broker = o.default_topic_config.ToMap();
  const auto builtin = TopicConfig{}.ToMap();
  auto add = [&](const std::string& name, std::string value, bool changed, int8_t type, const char* doc) {
    if (!Wanted(r, name)) return;
    DescribeConfigsResponse::Entry e;
    e.name = name;
    e.value = std::move(value);
    e.read_only = true;
    e.source = changed ? kConfigSourceStaticBroker : kConfigSourceDefault;
    if (req.include_synonyms) e.synonyms.push_back({e.name, e.value, e.source});
    e.type = type;
    if (req.include_documentation) e.documentation = doc;
    out->entries.push_back(std::move(e));
  };
  const LogOptions builtin_options;
  add("auto.create.topics.enable", o.auto_create_topics ? "true" : "false",
      o.auto_create_topics != builtin_options.auto_create_topics, kConfigTypeBoolean,
      "Create a topic on a client's first Metadata or Produce request naming it.");
  add("num.partitions", std::to_string(o.default_partitions),
      o.default_partitions != builtin_options.default_partitions, kConfigTypeInt,
      "Partitions of an automatically created topic.");
  for (const auto& key : TopicConfigKeys()) {
    if (!key.effective) continue;
    add(key.broker_name, *ValueOf(key, broker), ValueOf(key, broker) != ValueOf(key, builtin), KafkaType(key.type),
        key.doc);
  }
}

const TopicConfigKey* FindKey(const std::string& name) {
  for (const auto& k : TopicConfigKeys()) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

// What makes the request itself wrong, whatever the topic holds
// (INVALID_REQUEST in Kafka): a config named twice, AlterConfigs' null
// value, an unknown operation.
Status CheckRequest(const AlterConfigsRequest::Resource& r, bool incremental) {
  std::set<std::string> seen;
  for (const auto& c : r.configs) {
    if (!seen.insert(c.name).second) return Status(Errc::kInvalidArgument, "config '" + c.name + "' is named twice");
    if (!incremental && !c.value) {
      return Status(Errc::kInvalidArgument, "a null value for '" + c.name + "': AlterConfigs takes values only");
    }
    if (c.op < kConfigOpSet || c.op > kConfigOpSubtract) {
      return Status(Errc::kInvalidArgument, "unknown config operation " + std::to_string(c.op));
    }
  }
  return Status::Ok();
}

std::vector<std::string> ListItems(const std::string& value) {
  std::vector<std::string> out;
  std::stringstream in(value);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// The topic's overrides after the request's changes (AlterConfigs replaces
// them; IncrementalAlterConfigs sets, deletes, or appends to and subtracts
// from a list setting), validated whole; kInvalidArgument (INVALID_CONFIG)
// otherwise.
Result<std::map<std::string, std::string>> Altered(std::map<std::string, std::string> overrides,
                                                   const AlterConfigsRequest::Resource& r, bool incremental,
                                                   const TopicConfig& defaults) {
  if (!incremental) overrides.clear();
  for (const auto& c : r.configs) {
    const TopicConfigKey* key = FindKey(c.name);
    if (key == nullptr) return Status(Errc::kInvalidArgument, "unknown topic config '" + c.name + "'");
    if (c.op == kConfigOpSet && !c.value) {
      return Status(Errc::kInvalidArgument, "SET of '" + c.name + "' without a value");
    }
    if (c.op == kConfigOpSet) {
      overrides[c.name] = *c.value;
    } else if (c.op == kConfigOpDelete) {
      overrides.erase(c.name);
    } else if (key->type != TopicConfigKey::Type::kList) {
      return Status(Errc::kInvalidArgument, std::string(c.op == kConfigOpAppend ? "APPEND" : "SUBTRACT") +
                                                " applies to list settings; '" + c.name + "' is not one");
    } else {
      auto it = overrides.find(c.name);
      std::vector<std::string> items =
          ListItems(it != overrides.end() ? it->second : key->kafka_default ? key->kafka_default : "");
      for (const auto& v : ListItems(c.value.value_or(""))) {
        auto found = std::find(items.begin(), items.end(), v);
        if (c.op == kConfigOpAppend && found == items.end()) items.push_back(v);
        if (c.op == kConfigOpSubtract && found != items.end()) items.erase(found);
      }
      std::string joined;
      for (const auto& v : items) joined += (joined.empty() ? "" : ",") + v;
      overrides[c.name] = joined;
    }
  }
  RIVULET_RETURN_IF_ERROR(TopicConfig::FromMap(overrides, defaults).status());
  return overrides;
}

void HandleAlter(RequestContext& ctx, Respond respond, bool incremental) {
  const int16_t version = ctx.header.api_version;
  auto req = AlterConfigsRequest::Decode(ctx.body, version, incremental);
  if (!req.ok()) return respond(std::string());
  AlterConfigsResponse resp;
  const TopicConfig& defaults = ctx.log->options().default_topic_config;
  for (const auto& r : req->resources) {
    AlterConfigsResponse::Resource out;
    out.type = r.type;
    out.name = r.name;
    auto fail = [&](ErrorCode e, std::string msg) {
      out.error = e;
      out.message = std::move(msg);
    };
    auto change = [&](std::map<std::string, std::string> current) {
      return Altered(std::move(current), r, incremental, defaults);
    };
    Status st;
    if (r.type == kConfigResourceBroker) {
      if (!Authorized(ctx, AclOperation::kAlterConfigs, ResourceType::kCluster, kClusterResourceName)) {
        fail(ErrorCode::kClusterAuthorizationFailed, "not authorized to alter the broker's configs");
      } else {
        fail(ErrorCode::kInvalidConfig,
             "broker settings are read from server.properties at start and cannot be altered at run time");
      }
    } else if (r.type != kConfigResourceTopic) {
      fail(ErrorCode::kInvalidRequest, "unsupported resource type " + std::to_string(r.type));
    } else if (!Authorized(ctx, AclOperation::kAlterConfigs, ResourceType::kTopic, r.name)) {
      fail(ErrorCode::kTopicAuthorizationFailed, "not authorized to alter the configs of topic " + r.name);
    } else if (Status malformed = CheckRequest(r, incremental); !malformed.ok()) {
      fail(ErrorCode::kInvalidRequest, malformed.message());
    } else if (req->validate_only) {
      auto current = ctx.log->TopicOverrides(r.name);
      st = current.ok() ? change(*current).status() : current.status();
    } else {
      // Read, change and write under the log's lock: two clients altering
      // different keys at once both get their change.
      st = ctx.log->UpdateTopicConfig(r.name, change);
    }
    if (!st.ok()) {
      fail(st.code() == Errc::kNotFound ? ErrorCode::kUnknownTopicOrPartition
           : st.code() == Errc::kInvalidArgument ? ErrorCode::kInvalidConfig
                                                  : ToKafkaError(st.code()),
           st.message());
    }
    resp.responses.push_back(std::move(out));
  }
  respond(resp.Encode(version, incremental));
}

}  // namespace

void HandleDescribeConfigs(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = DescribeConfigsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  DescribeConfigsResponse resp;
  for (const auto& r : req->resources) {
    DescribeConfigsResponse::Resource out;
    out.type = r.type;
    out.name = r.name;
    if (r.type == kConfigResourceTopic) {
      if (Authorized(ctx, AclOperation::kDescribeConfigs, ResourceType::kTopic, r.name)) {
        DescribeTopic(ctx, *req, r, &out);
      } else {
        out.error = ErrorCode::kTopicAuthorizationFailed;
        out.message = "not authorized to describe the configs of topic " + r.name;
      }
    } else if (r.type == kConfigResourceBroker) {
      if (Authorized(ctx, AclOperation::kDescribeConfigs, ResourceType::kCluster, kClusterResourceName)) {
        DescribeBroker(ctx, *req, r, &out);
      } else {
        out.error = ErrorCode::kClusterAuthorizationFailed;
        out.message = "not authorized to describe the broker's configs";
      }
    } else {
      out.error = ErrorCode::kInvalidRequest;
      out.message = "unsupported resource type " + std::to_string(r.type);
    }
    resp.results.push_back(std::move(out));
  }
  respond(resp.Encode(version));
}

void HandleAlterConfigs(RequestContext& ctx, Respond respond) { HandleAlter(ctx, std::move(respond), false); }

void HandleIncrementalAlterConfigs(RequestContext& ctx, Respond respond) {
  HandleAlter(ctx, std::move(respond), true);
}

}  // namespace rivulet::log::kafka
