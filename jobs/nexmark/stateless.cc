// The NEXMark queries that keep no state (queries.h).
#include "jobs/nexmark/queries.h"

namespace rivulet::jobs::nexmark {

std::vector<Query> StatelessQueries() { return {}; }

}  // namespace rivulet::jobs::nexmark
