// Where `rivulet acls` reads and changes ACLs: the data directory's store
// (log/acls.h) or a running broker (CreateAcls, DescribeAcls, DeleteAcls).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "log/acls.h"
#include "log/log_manager.h"
#include "tools/command.h"
#include "tools/kafka_request.h"

namespace rivulet::tools {

class AclClient {
 public:
  virtual ~AclClient() = default;
  // All or nothing on a data directory; a broker answers per binding and
  // the first refusal is returned.
  virtual Status Create(const std::vector<log::AclBinding>& bindings) = 0;
  virtual Result<std::vector<log::AclBinding>> Describe(const log::AclFilter& filter) = 0;
  // What the filters matched, now removed.
  virtual Result<std::vector<log::AclBinding>> Delete(const std::vector<log::AclFilter>& filters) = 0;

  // The data directory of `target` (its lock taken).
  static Result<std::unique_ptr<AclClient>> Local(const Target& target);
  static Result<std::unique_ptr<AclClient>> Connect(const std::string& bootstrap, const ClientProperties& props);
};

}  // namespace rivulet::tools
