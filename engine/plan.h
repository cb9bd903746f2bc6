// The physical plan: the logical graph with parallelism resolved and
// operators chained into tasks. A node is chained to its only input when
// that input is a forward edge from a node of equal parallelism whose only
// consumer it is (any edge between two single instances counts as
// forward); records then pass by a direct call, with no channel and no
// copy. Every other edge is an exchange between tasks. An aggregation that
// can run in two phases (Node::two_phase) does where its input crosses an
// exchange: its local phase joins the input's task, and the exchange
// carries partials.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "engine/graph.h"

namespace rivulet::engine {

struct Exchange {
  int from_chain = -1;
  int to_chain = -1;
  int from_node = -1;
  int to_node = -1;
  int port = 0;
  Partitioning partitioning = Partitioning::kForward;
};

struct Chain {
  std::vector<int> nodes;  // head first
  int parallelism = 1;
};

struct PhysicalPlan {
  std::vector<Chain> chains;  // in topological order
  std::vector<Exchange> exchanges;
  std::vector<int> chain_of;     // node id -> chain index
  std::vector<int> parallelism;  // node id -> resolved parallelism
  // node id -> the partitioning of each of its inputs (in Node::inputs
  // order), as planned: a forward edge between different parallelisms
  // becomes rebalance.
  std::vector<std::vector<Partitioning>> input_partitioning;
  // node id -> runs as local and global phases (Node::two_phase): the
  // local instances at the end of its input's chain, the global ones as
  // the node's own task.
  std::vector<bool> two_phase;
};

struct PlanOptions {
  // Split aggregations that can be split (off: every aggregation in one
  // phase after the exchange, as a baseline to measure against).
  bool local_global = true;
};

// Resolves parallelism (0 -> `default_parallelism`), turns forward edges
// between different parallelisms into rebalance, and chains; the resolved
// values are in the plan, and the graph is left as it was, so that it can
// be planned again at another parallelism. Fails on a graph without
// sources, a cycle, or a node without inputs that is not a source.
Result<PhysicalPlan> Plan(const Graph& graph, int default_parallelism, const PlanOptions& options = {});

// The plan as `rivulet run JOB --explain` prints it: tasks with their
// operators and parallelism, then the exchanges between them.
std::string Explain(const Graph& graph, const PhysicalPlan& plan);

}  // namespace rivulet::engine
