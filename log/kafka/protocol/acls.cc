// ACL API codecs. Each message is written once for both encodings through
// FieldReader / FieldWriter (flexible.h); the version decides which
// (flexible from v2) and whether pattern types are on the wire (from v1).
#include "log/kafka/protocol/acls.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {

namespace {

// The pattern type of everything at v0, which has no field for it.
constexpr int8_t kLiteral = 3;

// Whether `version` carries pattern types (the same for all three APIs).
bool HasPatternType(int16_t version) { return version >= 1; }

ErrorCode ReadError(Reader& r) { return static_cast<ErrorCode>(r.Int16()); }

int8_t ReadPatternType(Reader& r, int16_t version) { return HasPatternType(version) ? r.Int8() : kLiteral; }

void WritePatternType(Writer& w, int16_t version, int8_t pattern_type) {
  if (HasPatternType(version)) w.Int8(pattern_type);
}

// Bytes a binding's or a filter's fields take at least (three strings,
// four int8s from v1, three at v0); without the struct's end.
size_t MinAclBytes(const FieldReader& f, int16_t version) {
  return 3 * f.MinLength() + (HasPatternType(version) ? 4 : 3);
}

// A binding's fields, as CreateAcls creations and DeleteAcls matches carry
// them; the caller closes the struct.
AclBindingWire ReadBinding(FieldReader& f, int16_t version) {
  Reader& r = f.reader();
  AclBindingWire acl;
  acl.resource_type = r.Int8();
  acl.resource_name = f.String();
  acl.pattern_type = ReadPatternType(r, version);
  acl.principal = f.String();
  acl.host = f.String();
  acl.operation = r.Int8();
  acl.permission = r.Int8();
  return acl;
}

void WriteBinding(FieldWriter& f, int16_t version, const AclBindingWire& acl) {
  Writer& w = f.writer();
  w.Int8(acl.resource_type);
  f.String(acl.resource_name);
  WritePatternType(w, version, acl.pattern_type);
  f.String(acl.principal);
  f.String(acl.host);
  w.Int8(acl.operation);
  w.Int8(acl.permission);
}

// A filter's fields, as DescribeAcls and DeleteAcls requests carry them;
// the caller closes the struct.
AclFilterWire ReadFilter(FieldReader& f, int16_t version) {
  Reader& r = f.reader();
  AclFilterWire filter;
  filter.resource_type = r.Int8();
  filter.resource_name = f.NullableString();
  filter.pattern_type = ReadPatternType(r, version);
  filter.principal = f.NullableString();
  filter.host = f.NullableString();
  filter.operation = r.Int8();
  filter.permission = r.Int8();
  return filter;
}

void WriteFilter(FieldWriter& f, int16_t version, const AclFilterWire& filter) {
  Writer& w = f.writer();
  w.Int8(filter.resource_type);
  f.NullableString(filter.resource_name);
  WritePatternType(w, version, filter.pattern_type);
  f.NullableString(filter.principal);
  f.NullableString(filter.host);
  w.Int8(filter.operation);
  w.Int8(filter.permission);
}

}  // namespace

// ---- DescribeAcls (29) ----

Result<DescribeAclsRequest> DescribeAclsRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kDescribeAcls, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDescribeAcls, version));
  DescribeAclsRequest req;
  req.filter = ReadFilter(f, version);
  f.EndStruct();
  if (!r.ok()) return BadRequest("DescribeAcls", r);
  return req;
}

std::string DescribeAclsRequest::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDescribeAcls, version));
  WriteFilter(f, version, filter);
  f.EndStruct();
  return w.Take();
}

std::string DescribeAclsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDescribeAcls, version));
  w.Int32(throttle_time_ms);
  w.Int16(Code(error));
  f.NullableString(error_message);
  f.ArrayCount(resources.size());
  for (const auto& res : resources) {
    w.Int8(res.resource_type);
    f.String(res.resource_name);
    WritePatternType(w, version, res.pattern_type);
    f.ArrayCount(res.acls.size());
    for (const auto& acl : res.acls) {
      f.String(acl.principal);
      f.String(acl.host);
      w.Int8(acl.operation);
      w.Int8(acl.permission);
      f.EndStruct();
    }
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

Result<DescribeAclsResponse> DescribeAclsResponse::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kDescribeAcls, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDescribeAcls, version));
  DescribeAclsResponse resp;
  resp.throttle_time_ms = r.Int32();
  resp.error = ReadError(r);
  resp.error_message = f.NullableString();
  const size_t resource_bytes =
      1 + f.MinLength() + (HasPatternType(version) ? 1 : 0) + f.MinCount() + f.MinStructEnd();
  const int32_t n = f.ArrayCount(resource_bytes);
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    Resource res;
    res.resource_type = r.Int8();
    res.resource_name = f.String();
    res.pattern_type = ReadPatternType(r, version);
    const int32_t na = f.ArrayCount(2 * f.MinLength() + 2 + f.MinStructEnd());
    for (int32_t j = 0; j < na && r.ok(); ++j) {
      Acl acl;
      acl.principal = f.String();
      acl.host = f.String();
      acl.operation = r.Int8();
      acl.permission = r.Int8();
      f.EndStruct();
      res.acls.push_back(std::move(acl));
    }
    f.EndStruct();
    resp.resources.push_back(std::move(res));
  }
  f.EndStruct();
  if (!r.ok()) return BadResponse("DescribeAcls", r);
  return resp;
}

// ---- CreateAcls (30) ----

Result<CreateAclsRequest> CreateAclsRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kCreateAcls, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kCreateAcls, version));
  CreateAclsRequest req;
  const int32_t n = f.ArrayCount(MinAclBytes(f, version) + f.MinStructEnd());
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    req.creations.push_back(ReadBinding(f, version));
    f.EndStruct();
  }
  f.EndStruct();
  if (!r.ok()) return BadRequest("CreateAcls", r);
  return req;
}

std::string CreateAclsRequest::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kCreateAcls, version));
  f.ArrayCount(creations.size());
  for (const auto& acl : creations) {
    WriteBinding(f, version, acl);
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

std::string CreateAclsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kCreateAcls, version));
  w.Int32(throttle_time_ms);
  f.ArrayCount(results.size());
  for (const auto& res : results) {
    w.Int16(Code(res.error));
    f.NullableString(res.error_message);
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

Result<CreateAclsResponse> CreateAclsResponse::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kCreateAcls, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kCreateAcls, version));
  CreateAclsResponse resp;
  resp.throttle_time_ms = r.Int32();
  const int32_t n = f.ArrayCount(2 + f.MinLength() + f.MinStructEnd());
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    CreationResult res;
    res.error = ReadError(r);
    res.error_message = f.NullableString();
    f.EndStruct();
    resp.results.push_back(std::move(res));
  }
  f.EndStruct();
  if (!r.ok()) return BadResponse("CreateAcls", r);
  return resp;
}

// ---- DeleteAcls (31) ----

Result<DeleteAclsRequest> DeleteAclsRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kDeleteAcls, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDeleteAcls, version));
  DeleteAclsRequest req;
  const int32_t n = f.ArrayCount(MinAclBytes(f, version) + f.MinStructEnd());
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    req.filters.push_back(ReadFilter(f, version));
    f.EndStruct();
  }
  f.EndStruct();
  if (!r.ok()) return BadRequest("DeleteAcls", r);
  return req;
}

std::string DeleteAclsRequest::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDeleteAcls, version));
  f.ArrayCount(filters.size());
  for (const auto& filter : filters) {
    WriteFilter(f, version, filter);
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

std::string DeleteAclsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDeleteAcls, version));
  w.Int32(throttle_time_ms);
  f.ArrayCount(results.size());
  for (const auto& res : results) {
    w.Int16(Code(res.error));
    f.NullableString(res.error_message);
    f.ArrayCount(res.matching.size());
    for (const auto& m : res.matching) {
      w.Int16(Code(m.error));
      f.NullableString(m.error_message);
      WriteBinding(f, version, m.acl);
      f.EndStruct();
    }
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

Result<DeleteAclsResponse> DeleteAclsResponse::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kDeleteAcls, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDeleteAcls, version));
  DeleteAclsResponse resp;
  resp.throttle_time_ms = r.Int32();
  const int32_t n = f.ArrayCount(2 + f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    FilterResult res;
    res.error = ReadError(r);
    res.error_message = f.NullableString();
    const int32_t nm = f.ArrayCount(2 + f.MinLength() + MinAclBytes(f, version) + f.MinStructEnd());
    for (int32_t j = 0; j < nm && r.ok(); ++j) {
      Matching m;
      m.error = ReadError(r);
      m.error_message = f.NullableString();
      m.acl = ReadBinding(f, version);
      f.EndStruct();
      res.matching.push_back(std::move(m));
    }
    f.EndStruct();
    resp.results.push_back(std::move(res));
  }
  f.EndStruct();
  if (!r.ok()) return BadResponse("DeleteAcls", r);
  return resp;
}

namespace {

Status CheckRange(int8_t v, int8_t lo, int8_t hi, const char* what) {
  if (v < lo || v > hi) return Status(Errc::kInvalidArgument, std::string("unknown ") + what + " " + std::to_string(v));
  return Status::Ok();
}

}  // namespace

AclBindingWire ToWire(const log::AclBinding& b) {
  return AclBindingWire{static_cast<int8_t>(b.resource_type), b.resource_name, static_cast<int8_t>(b.pattern_type),
                        b.principal, b.host, static_cast<int8_t>(b.operation), static_cast<int8_t>(b.permission)};
}

Result<log::AclBinding> FromWire(const AclBindingWire& w) {
  RIVULET_RETURN_IF_ERROR(CheckRange(w.resource_type, 1, 5, "resource type"));
  RIVULET_RETURN_IF_ERROR(CheckRange(w.pattern_type, 1, 4, "pattern type"));
  RIVULET_RETURN_IF_ERROR(CheckRange(w.operation, 1, 12, "operation"));
  RIVULET_RETURN_IF_ERROR(CheckRange(w.permission, 1, 3, "permission"));
  log::AclBinding b;
  b.resource_type = static_cast<log::ResourceType>(w.resource_type);
  b.resource_name = w.resource_name;
  b.pattern_type = static_cast<log::PatternType>(w.pattern_type);
  b.principal = w.principal;
  b.host = w.host;
  b.operation = static_cast<log::AclOperation>(w.operation);
  b.permission = static_cast<log::AclPermission>(w.permission);
  return b;
}

AclFilterWire ToWire(const log::AclFilter& f) {
  return AclFilterWire{static_cast<int8_t>(f.resource_type), f.resource_name, static_cast<int8_t>(f.pattern_type),
                       f.principal, f.host, static_cast<int8_t>(f.operation), static_cast<int8_t>(f.permission)};
}

Result<log::AclFilter> FromWire(const AclFilterWire& w) {
  RIVULET_RETURN_IF_ERROR(CheckRange(w.resource_type, 1, 5, "resource type"));
  RIVULET_RETURN_IF_ERROR(CheckRange(w.pattern_type, 1, 4, "pattern type"));
  RIVULET_RETURN_IF_ERROR(CheckRange(w.operation, 1, 12, "operation"));
  RIVULET_RETURN_IF_ERROR(CheckRange(w.permission, 1, 3, "permission"));
  log::AclFilter f;
  f.resource_type = static_cast<log::ResourceType>(w.resource_type);
  f.resource_name = w.resource_name;
  f.pattern_type = static_cast<log::PatternType>(w.pattern_type);
  f.principal = w.principal;
  f.host = w.host;
  f.operation = static_cast<log::AclOperation>(w.operation);
  f.permission = static_cast<log::AclPermission>(w.permission);
  return f;
}

}  // namespace rivulet::log::kafka
