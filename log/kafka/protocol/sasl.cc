// SASL and SCRAM credential API codecs. Each message is written once for
// both encodings through FieldReader / FieldWriter (flexible.h); the
// version decides which (SaslHandshake is never flexible, SaslAuthenticate
// from v2, the two SCRAM APIs always).
#include "log/kafka/protocol/sasl.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {

namespace {

// Bytes a bytes field's length takes at least (int32, or a varint).
size_t MinBytesLength(const FieldReader& f) { return f.flexible() ? 1 : 4; }

ErrorCode ReadError(Reader& r) { return static_cast<ErrorCode>(r.Int16()); }

}  // namespace

// ---- SaslHandshake (17) ----

Result<SaslHandshakeRequest> SaslHandshakeRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kSaslHandshake, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kSaslHandshake, version));
  SaslHandshakeRequest req;
  req.mechanism = f.String();
  f.EndStruct();
  if (!r.ok()) return BadRequest("SaslHandshake", r);
  return req;
}

std::string SaslHandshakeRequest::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kSaslHandshake, version));
  f.String(mechanism);
  f.EndStruct();
  return w.Take();
}

std::string SaslHandshakeResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kSaslHandshake, version));
  w.Int16(Code(error));
  f.ArrayCount(mechanisms.size());
  for (const auto& m : mechanisms) f.String(m);
  f.EndStruct();
  return w.Take();
}

Result<SaslHandshakeResponse> SaslHandshakeResponse::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kSaslHandshake, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kSaslHandshake, version));
  SaslHandshakeResponse resp;
  resp.error = ReadError(r);
  const int32_t n = f.ArrayCount(f.MinLength());
  for (int32_t i = 0; i < n && r.ok(); ++i) resp.mechanisms.push_back(f.String());
  f.EndStruct();
  if (!r.ok()) return BadResponse("SaslHandshake", r);
  return resp;
}

// ---- SaslAuthenticate (36) ----

Result<SaslAuthenticateRequest> SaslAuthenticateRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kSaslAuthenticate, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kSaslAuthenticate, version));
  SaslAuthenticateRequest req;
  req.auth_bytes = std::string(f.Bytes());
  f.EndStruct();
  if (!r.ok()) return BadRequest("SaslAuthenticate", r);
  return req;
}

std::string SaslAuthenticateRequest::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kSaslAuthenticate, version));
  f.Bytes(auth_bytes);
  f.EndStruct();
  return w.Take();
}

std::string SaslAuthenticateResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kSaslAuthenticate, version));
  w.Int16(Code(error));
  f.NullableString(error_message);
  f.Bytes(auth_bytes);
  if (version >= 1) w.Int64(session_lifetime_ms);
  f.EndStruct();
  return w.Take();
}

Result<SaslAuthenticateResponse> SaslAuthenticateResponse::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kSaslAuthenticate, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kSaslAuthenticate, version));
  SaslAuthenticateResponse resp;
  resp.error = ReadError(r);
  resp.error_message = f.NullableString();
  resp.auth_bytes = std::string(f.Bytes());
  if (version >= 1) resp.session_lifetime_ms = r.Int64();
  f.EndStruct();
  if (!r.ok()) return BadResponse("SaslAuthenticate", r);
  return resp;
}

// ---- DescribeUserScramCredentials (50) ----

Result<DescribeUserScramCredentialsRequest> DescribeUserScramCredentialsRequest::Decode(std::string_view body,
                                                                                      int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kDescribeUserScramCredentials, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDescribeUserScramCredentials, version));
  DescribeUserScramCredentialsRequest req;
  const std::optional<int32_t> n = f.NullableArrayCount(f.MinLength() + f.MinStructEnd());
  if (n) {
    req.users.emplace();
    for (int32_t i = 0; i < *n && r.ok(); ++i) {
      req.users->push_back(f.String());
      f.EndStruct();
    }
  }
  f.EndStruct();
  if (!r.ok()) return BadRequest("DescribeUserScramCredentials", r);
  return req;
}

std::string DescribeUserScramCredentialsRequest::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDescribeUserScramCredentials, version));
  if (!users) {
    f.NullArray();
  } else {
    f.ArrayCount(users->size());
    for (const auto& name : *users) {
      f.String(name);
      f.EndStruct();
    }
  }
  f.EndStruct();
  return w.Take();
}

std::string DescribeUserScramCredentialsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDescribeUserScramCredentials, version));
  w.Int32(throttle_time_ms);
  w.Int16(Code(error));
  f.NullableString(error_message);
  f.ArrayCount(results.size());
  for (const auto& u : results) {
    f.String(u.user);
    w.Int16(Code(u.error));
    f.NullableString(u.error_message);
    f.ArrayCount(u.credentials.size());
    for (const auto& c : u.credentials) {
      w.Int8(c.mechanism);
      w.Int32(c.iterations);
      f.EndStruct();
    }
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

Result<DescribeUserScramCredentialsResponse> DescribeUserScramCredentialsResponse::Decode(std::string_view body,
                                                                                        int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kDescribeUserScramCredentials, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDescribeUserScramCredentials, version));
  DescribeUserScramCredentialsResponse resp;
  resp.throttle_time_ms = r.Int32();
  resp.error = ReadError(r);
  resp.error_message = f.NullableString();
  const int32_t n = f.ArrayCount(2 * f.MinLength() + 2 + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    UserResult u;
    u.user = f.String();
    u.error = ReadError(r);
    u.error_message = f.NullableString();
    const int32_t nc = f.ArrayCount(1 + 4 + f.MinStructEnd());
    for (int32_t j = 0; j < nc && r.ok(); ++j) {
      CredentialInfo c;
      c.mechanism = r.Int8();
      c.iterations = r.Int32();
      f.EndStruct();
      u.credentials.push_back(c);
    }
    f.EndStruct();
    resp.results.push_back(std::move(u));
  }
  f.EndStruct();
  if (!r.ok()) return BadResponse("DescribeUserScramCredentials", r);
  return resp;
}

// ---- AlterUserScramCredentials (51) ----

Result<AlterUserScramCredentialsRequest> AlterUserScramCredentialsRequest::Decode(std::string_view body,
                                                                                int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kAlterUserScramCredentials, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kAlterUserScramCredentials, version));
  AlterUserScramCredentialsRequest req;
  const int32_t nd = f.ArrayCount(f.MinLength() + 1 + f.MinStructEnd());
  for (int32_t i = 0; i < nd && r.ok(); ++i) {
    Deletion d;
    d.name = f.String();
    d.mechanism = r.Int8();
    f.EndStruct();
    req.deletions.push_back(std::move(d));
  }
  const int32_t nu = f.ArrayCount(f.MinLength() + 1 + 4 + 2 * MinBytesLength(f) + f.MinStructEnd());
  for (int32_t i = 0; i < nu && r.ok(); ++i) {
    Upsertion u;
    u.name = f.String();
    u.mechanism = r.Int8();
    u.iterations = r.Int32();
    u.salt = std::string(f.Bytes());
    u.salted_password = std::string(f.Bytes());
    f.EndStruct();
    req.upsertions.push_back(std::move(u));
  }
  f.EndStruct();
  if (!r.ok()) return BadRequest("AlterUserScramCredentials", r);
  return req;
}

std::string AlterUserScramCredentialsRequest::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kAlterUserScramCredentials, version));
  f.ArrayCount(deletions.size());
  for (const auto& d : deletions) {
    f.String(d.name);
    w.Int8(d.mechanism);
    f.EndStruct();
  }
  f.ArrayCount(upsertions.size());
  for (const auto& u : upsertions) {
    f.String(u.name);
    w.Int8(u.mechanism);
    w.Int32(u.iterations);
    f.Bytes(u.salt);
    f.Bytes(u.salted_password);
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

std::string AlterUserScramCredentialsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kAlterUserScramCredentials, version));
  w.Int32(throttle_time_ms);
  f.ArrayCount(results.size());
  for (const auto& u : results) {
    f.String(u.user);
    w.Int16(Code(u.error));
    f.NullableString(u.error_message);
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

Result<AlterUserScramCredentialsResponse> AlterUserScramCredentialsResponse::Decode(std::string_view body,
                                                                                  int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kAlterUserScramCredentials, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kAlterUserScramCredentials, version));
  AlterUserScramCredentialsResponse resp;
  resp.throttle_time_ms = r.Int32();
  const int32_t n = f.ArrayCount(2 * f.MinLength() + 2 + f.MinStructEnd());
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    UserResult u;
    u.user = f.String();
    u.error = ReadError(r);
    u.error_message = f.NullableString();
    f.EndStruct();
    resp.results.push_back(std::move(u));
  }
  f.EndStruct();
  if (!r.ok()) return BadResponse("AlterUserScramCredentials", r);
  return resp;
}

}  // namespace rivulet::log::kafka
