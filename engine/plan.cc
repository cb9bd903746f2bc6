#include "engine/plan.h"

#include <sstream>

#include "engine/state.h"

namespace rivulet::engine {

const char* PartitioningName(Partitioning p) {
  switch (p) {
    case Partitioning::kForward: return "forward";
    case Partitioning::kHash: return "hash";
    case Partitioning::kRebalance: return "rebalance";
    case Partitioning::kBroadcast: return "broadcast";
  }
  return "?";
}

int Graph::Add(Node node) {
  node.id = static_cast<int>(nodes_.size());
  nodes_.push_back(std::move(node));
  return nodes_.back().id;
}

std::vector<int> Graph::Consumers(int id) const {
  std::vector<int> out;
  for (const auto& n : nodes_) {
    for (const auto& e : n.inputs) {
      if (e.from == id) {
        out.push_back(n.id);
        break;
      }
    }
  }
  return out;
}

Result<PhysicalPlan> Plan(const Graph& graph, int default_parallelism, const PlanOptions& options) {
  if (default_parallelism < 1) return Status(Errc::kInvalidArgument, "parallelism must be at least 1");
  const size_t n = graph.nodes().size();
  if (n == 0) return Status(Errc::kInvalidArgument, "the job has no operators");
  PhysicalPlan plan;
  plan.parallelism.resize(n);
  plan.input_partitioning.resize(n);
  bool has_source = false;
  for (size_t i = 0; i < n; ++i) {
    const Node& node = graph.node(static_cast<int>(i));
    plan.parallelism[i] = node.parallelism > 0 ? node.parallelism : default_parallelism;
    has_source = has_source || node.is_source;
    if (!node.is_source && node.inputs.empty()) {
      return Status(Errc::kInvalidArgument, "operator '" + node.name + "' has no input");
    }
    for (const auto& e : node.inputs) {
      // The builder adds nodes after their inputs, so ids give a topological order.
      if (e.from < 0 || static_cast<size_t>(e.from) >= i) {
        return Status(Errc::kInvalidArgument, "operator '" + node.name + "' reads an unknown or later operator");
      }
    }
  }
  if (!has_source) return Status(Errc::kInvalidArgument, "the job has no source");
  for (size_t i = 0; i < n; ++i) {
    const Node& node = graph.node(static_cast<int>(i));
    for (const auto& e : node.inputs) {
      // Keyed state lives in key groups: one instance holds at least one.
      if (e.partitioning == Partitioning::kHash && plan.parallelism[i] > kDefaultMaxParallelism) {
        return Status(Errc::kInvalidArgument, "operator '" + node.name + "' is keyed: its parallelism " +
                                                  std::to_string(plan.parallelism[i]) + " is above the max " +
                                                  std::to_string(kDefaultMaxParallelism));
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const Node& node = graph.node(static_cast<int>(i));
    if (node.output && graph.Consumers(node.id).empty()) {
      return Status(Errc::kInvalidArgument, "the output of operator '" + node.name + "' goes nowhere (add a sink)");
    }
  }
  // Forward needs equal parallelism; otherwise records are spread evenly.
  auto par = [&](int id) { return plan.parallelism[static_cast<size_t>(id)]; };
  for (size_t i = 0; i < n; ++i) {
    for (const auto& e : graph.node(static_cast<int>(i)).inputs) {
      const bool spread = e.partitioning == Partitioning::kForward && par(e.from) != plan.parallelism[i];
      plan.input_partitioning[i].push_back(spread ? Partitioning::kRebalance : e.partitioning);
    }
  }
  // Two phases where records would cross an exchange by key, and the
  // input feeds nothing else (its task ends in the local phase).
  plan.two_phase.assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    const Node& node = graph.node(static_cast<int>(i));
    if (!options.local_global || !node.two_phase || node.inputs.size() != 1) continue;
    const int from = node.inputs[0].from;
    const bool exchange = par(from) > 1 || plan.parallelism[i] > 1;
    plan.two_phase[i] = plan.input_partitioning[i][0] == Partitioning::kHash && exchange &&
                        graph.Consumers(from).size() == 1;
  }
  plan.chain_of.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const Node& node = graph.node(static_cast<int>(i));
    bool chained = false;
    if (node.inputs.size() == 1) {
      const Edge& e = node.inputs[0];
      const Partitioning p = plan.input_partitioning[i][0];
      // One instance on each side: every partitioning is forward.
      const bool forward = p == Partitioning::kForward || (par(e.from) == 1 && plan.parallelism[i] == 1);
      if (forward && par(e.from) == plan.parallelism[i] && graph.Consumers(e.from).size() == 1) {
        const int c = plan.chain_of[static_cast<size_t>(e.from)];
        // Chain only onto the tail of the upstream chain.
        if (plan.chains[static_cast<size_t>(c)].nodes.back() == e.from) {
          plan.chains[static_cast<size_t>(c)].nodes.push_back(node.id);
          plan.chain_of[i] = c;
          chained = true;
        }
      }
    }
    if (!chained) {
      plan.chain_of[i] = static_cast<int>(plan.chains.size());
      plan.chains.push_back(Chain{{node.id}, plan.parallelism[i]});
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        const Edge& e = node.inputs[k];
        plan.exchanges.push_back(Exchange{plan.chain_of[static_cast<size_t>(e.from)], plan.chain_of[i], e.from,
                                          node.id, e.port, plan.input_partitioning[i][k]});
      }
    }
  }
  return plan;
}

std::string Explain(const Graph& graph, const PhysicalPlan& plan) {
  std::ostringstream out;
  out << "physical plan: " << plan.chains.size() << " tasks, " << plan.exchanges.size() << " exchanges\n";
  for (size_t c = 0; c < plan.chains.size(); ++c) {
    const Chain& chain = plan.chains[c];
    out << "task " << c << " x" << chain.parallelism << ": ";
    for (size_t k = 0; k < chain.nodes.size(); ++k) {
      const Node& node = graph.node(chain.nodes[k]);
      out << (k ? " -> " : "") << node.name << " [" << node.kind << (plan.two_phase[chain.nodes[k]] ? ", global" : "")
          << "]";
    }
    for (const auto& x : plan.exchanges) {
      if (x.from_chain == static_cast<int>(c) && plan.two_phase[static_cast<size_t>(x.to_node)]) {
        out << " -> " << graph.node(x.to_node).name << " [local pre-aggregation]";
      }
    }
    out << "\n";
  }
  for (const auto& x : plan.exchanges) {
    const size_t from_p = static_cast<size_t>(plan.chains[static_cast<size_t>(x.from_chain)].parallelism);
    const size_t to_p = static_cast<size_t>(plan.chains[static_cast<size_t>(x.to_chain)].parallelism);
    const size_t channels = x.partitioning == Partitioning::kForward ? from_p : from_p * to_p;
    out << "exchange task " << x.from_chain << " -> task " << x.to_chain << ": " << PartitioningName(x.partitioning)
        << (plan.two_phase[static_cast<size_t>(x.to_node)] ? " of partials" : "") << " ("
        << graph.node(x.from_node).name << " -> " << graph.node(x.to_node).name << ", " << channels
        << " channels)\n";
  }
  return out.str();
}

}  // namespace rivulet::engine
