// placeholder: to be written
#include "log/kafka/server/handler.h"
namespace rivulet::log::kafka {
void HandleOffsetCommit(RequestContext&, Respond respond) { respond(std::string()); }
void HandleOffsetFetch(RequestContext&, Respond respond) { respond(std::string()); }
}  // namespace rivulet::log::kafka
