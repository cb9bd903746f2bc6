// placeholder: to be written
#include "log/kafka/server/handler.h"
namespace rivulet::log::kafka {
void HandleFindCoordinator(RequestContext&, Respond respond) { respond(std::string()); }
void HandleJoinGroup(RequestContext&, Respond respond) { respond(std::string()); }
void HandleSyncGroup(RequestContext&, Respond respond) { respond(std::string()); }
void HandleHeartbeat(RequestContext&, Respond respond) { respond(std::string()); }
void HandleLeaveGroup(RequestContext&, Respond respond) { respond(std::string()); }
void HandleListGroups(RequestContext&, Respond respond) { respond(std::string()); }
void HandleDescribeGroups(RequestContext&, Respond respond) { respond(std::string()); }
}  // namespace rivulet::log::kafka
