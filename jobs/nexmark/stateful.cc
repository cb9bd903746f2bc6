// The NEXMark queries that keep state: joins, windows, top-N and
// updating aggregates (queries.h).
#include "jobs/nexmark/queries.h"

namespace rivulet::jobs::nexmark {

std::vector<Query> StatefulQueries() { return {}; }

}  // namespace rivulet::jobs::nexmark
