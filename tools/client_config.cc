// --command-config files; see client_config.h.
#include "tools/client_config.h"

#include <fstream>
#include <optional>

namespace rivulet::tools {

namespace {

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// KEY="value" inside a JAAS line, or nullopt.
std::optional<std::string> JaasOption(const std::string& jaas, const std::string& key) {
  size_t at = 0;
  while ((at = jaas.find(key, at)) != std::string::npos) {
    const bool starts_word = at == 0 || jaas[at - 1] == ' ' || jaas[at - 1] == '\t';
    size_t p = at + key.size();
    while (p < jaas.size() && jaas[p] == ' ') ++p;
    if (starts_word && p < jaas.size() && jaas[p] == '=') {
      ++p;
      while (p < jaas.size() && jaas[p] == ' ') ++p;
      if (p < jaas.size() && jaas[p] == '"') {
        std::string value;
        for (++p; p < jaas.size() && jaas[p] != '"'; ++p) {
          if (jaas[p] == '\\' && p + 1 < jaas.size()) ++p;
          value += jaas[p];
        }
        return value;
      }
    }
    at += key.size();
  }
  return std::nullopt;
}

}  // namespace

Status NormalizeClientProperty(const std::string& key, const std::string& value, ClientProperties* props) {
  auto bad = [](const std::string& why) { return Status(Errc::kInvalidArgument, why); };
  if (key == "sasl.jaas.config") {
    if (value.find("ScramLoginModule") == std::string::npos && value.find("PlainLoginModule") == std::string::npos) {
      return bad("sasl.jaas.config: only PlainLoginModule and ScramLoginModule are understood");
    }
    auto user = JaasOption(value, "username");
    auto password = JaasOption(value, "password");
    if (!user || !password) return bad("sasl.jaas.config needs username=\"...\" and password=\"...\"");
    (*props)["sasl.username"] = *user;
    (*props)["sasl.password"] = *password;
  } else if (key == "ssl.truststore.type" || key == "ssl.keystore.type") {
    if (value != "PEM") return bad(key + ": only PEM files are read, not " + value);
  } else if (key == "ssl.truststore.password" || key == "ssl.keystore.password" || key == "ssl.protocol" ||
             key == "ssl.enabled.protocols" || key.starts_with("sasl.login.") || key == "client.dns.lookup") {
    // Java's, for stores or clients librdkafka does not have: PEM files
    // need no store password. Read and set aside, as Kafka's tools would.
  } else if (key == "ssl.truststore.location") {
    (*props)["ssl.ca.location"] = value;
  } else if (key == "ssl.keystore.location") {
    // One PEM file with the private key and the certificate chain.
    (*props)["ssl.certificate.location"] = value;
    (*props)["ssl.key.location"] = value;
  } else if (key == "sasl.mechanisms") {
    (*props)["sasl.mechanism"] = value;
  } else if (key == "ssl.endpoint.identification.algorithm") {
    (*props)[key] = value.empty() ? "none" : value;  // Java's "" turns the check off
  } else {
    (*props)[key] = value;
  }
  return Status::Ok();
}

Result<ClientProperties> LoadClientProperties(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(Errc::kNotFound, "cannot read --command-config file " + path);
  ClientProperties props;
  std::string line, logical;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    line = Trim(line);
    // A trailing backslash continues the line (Java properties).
    if (!line.empty() && line.back() == '\\') {
      logical += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    line = logical + line;
    logical.clear();
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    const auto eq = line.find('=');
    auto bad = [&](const std::string& why) {
      return Status(Errc::kInvalidArgument, path + ":" + std::to_string(lineno) + ": " + why);
    };
    if (eq == std::string::npos) return bad("expected key=value");
    const std::string key = Trim(line.substr(0, eq));
    const std::string value = Trim(line.substr(eq + 1));
    if (Status st = NormalizeClientProperty(key, value, &props); !st.ok()) return bad(st.message());
  }
  return props;
}

}  // namespace rivulet::tools
