// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs codecs, each
// message written once for both encodings through FieldReader /
// FieldWriter (flexible.h). The two alter APIs share their layouts but for
// IncrementalAlterConfigs' op byte after each config name.
#include "log/kafka/protocol/configs.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {

namespace {

// An API of this file: its key and its name for errors.
struct Api {
  ApiKey key;
  const char* name;
};
constexpr Api kDescribe{ApiKey::kDescribeConfigs, "DescribeConfigs"};
constexpr Api kAlter{ApiKey::kAlterConfigs, "AlterConfigs"};
constexpr Api kIncrementalAlter{ApiKey::kIncrementalAlterConfigs, "IncrementalAlterConfigs"};

const Api& AlterApi(bool incremental) { return incremental ? kIncrementalAlter : kAlter; }

}  // namespace

// ---- DescribeConfigs (32) ----

Result<DescribeConfigsRequest> DescribeConfigsRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(kDescribe.key, version));
  Reader r(body);
  FieldReader f(r, Flexible(kDescribe.key, version));
  DescribeConfigsRequest req;
  // type, name, keys (a null array takes a count's bytes), struct end.
  const int32_t n = f.ArrayCount(1 + f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    Resource res;
    res.type = r.Int8();
    res.name = f.String();
    if (const auto nk = f.NullableArrayCount(f.MinLength())) {
      res.keys.emplace();
      for (int32_t j = 0; j < *nk && r.ok(); ++j) res.keys->push_back(f.String());
    }
    f.EndStruct();
    req.resources.push_back(std::move(res));
  }
  if (version >= 1) req.include_synonyms = r.Bool();
  if (version >= 3) req.include_documentation = r.Bool();
  f.EndStruct();
  if (!r.ok()) return BadRequest(kDescribe.name, r);
  return req;
}

std::string DescribeConfigsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(kDescribe.key, version));
  w.Int32(throttle_time_ms);
  f.ArrayCount(results.size());
  for (const auto& res : results) {
    w.Int16(Code(res.error));
    f.NullableString(res.message);
    w.Int8(res.type);
    f.String(res.name);
    f.ArrayCount(res.entries.size());
    for (const auto& e : res.entries) {
      f.String(e.name);
      f.NullableString(e.value);
      w.Bool(e.read_only);
      if (version == 0) {
        w.Bool(e.source == kConfigSourceDefault);  // is_default
      } else {
        w.Int8(e.source);
      }
      w.Bool(e.is_sensitive);
      if (version >= 1) {
        f.ArrayCount(e.synonyms.size());
        for (const auto& s : e.synonyms) {
          f.String(s.name);
          f.NullableString(s.value);
          w.Int8(s.source);
          f.EndStruct();
        }
      }
      if (version >= 3) {
        w.Int8(e.type);
        f.NullableString(e.documentation);
      }
      f.EndStruct();
    }
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

// ---- AlterConfigs (33) and IncrementalAlterConfigs (44) ----

Result<AlterConfigsRequest> AlterConfigsRequest::Decode(std::string_view body, int16_t version, bool incremental) {
  const Api& api = AlterApi(incremental);
  RIVULET_RETURN_IF_ERROR(CheckVersion(api.key, version));
  Reader r(body);
  FieldReader f(r, Flexible(api.key, version));
  AlterConfigsRequest req;
  const int32_t n = f.ArrayCount(1 + f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    Resource res;
    res.type = r.Int8();
    res.name = f.String();
    // name, op (incremental only), value (a null one takes a length's bytes).
    const int32_t nc = f.ArrayCount(2 * f.MinLength() + (incremental ? 1 : 0) + f.MinStructEnd());
    for (int32_t j = 0; j < nc && r.ok(); ++j) {
      Config c;
      c.name = f.String();
      if (incremental) c.op = r.Int8();
      c.value = f.NullableString();
      f.EndStruct();
      res.configs.push_back(std::move(c));
    }
    f.EndStruct();
    req.resources.push_back(std::move(res));
  }
  req.validate_only = r.Bool();
  f.EndStruct();
  if (!r.ok()) return BadRequest(api.name, r);
  return req;
}

std::string AlterConfigsResponse::Encode(int16_t version, bool incremental) const {
  Writer w;
  FieldWriter f(w, Flexible(AlterApi(incremental).key, version));
  w.Int32(throttle_time_ms);
  f.ArrayCount(responses.size());
  for (const auto& res : responses) {
    w.Int16(Code(res.error));
    f.NullableString(res.message);
    w.Int8(res.type);
    f.String(res.name);
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

}  // namespace rivulet::log::kafka
