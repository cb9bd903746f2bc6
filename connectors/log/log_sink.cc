// The log sink's non-template part: what it asks the transaction
// coordinator, an internal part of the log that its header does not include.
#include "connectors/log/log_sink.h"

#include "log/txn_coordinator.h"

namespace rivulet::connectors::log_sink_internal {

std::vector<std::string> OpenTransactionalIds(log::LogManager& log, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& d : log.transactions().List()) {
    if (d.transactional_id.compare(0, prefix.size(), prefix) != 0) continue;
    if (d.state != log::TxnState::kOngoing && d.state != log::TxnState::kPrepareCommit &&
        d.state != log::TxnState::kPrepareAbort) {
      continue;
    }
    out.push_back(d.transactional_id);
  }
  return out;
}

}  // namespace rivulet::connectors::log_sink_internal
