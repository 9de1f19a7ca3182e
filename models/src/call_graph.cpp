// Call-cycle detection on the service graph with Boost.Graph's depth-first search.
#include "call_graph.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>

namespace meshtwin::models::detail {
namespace {

struct CallEdge {
  const Call* call = nullptr;
  WorkloadId caller = 0;
};
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property, CallEdge>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

struct CycleVisitor : boost::default_dfs_visitor {
  std::vector<Edge>* back_edges;
  std::vector<Vertex>* parent;
  explicit CycleVisitor(std::vector<Edge>* b, std::vector<Vertex>* p) : back_edges(b), parent(p) {}
  void back_edge(Edge e, const Graph&) const { back_edges->push_back(e); }
  void tree_edge(Edge e, const Graph& g) const { (*parent)[boost::target(e, g)] = boost::source(e, g); }
};

}  // namespace

void checkCallCycles(const Scenario& s, Diagnostics& diags) {
  Graph g(s.services.size());
  for (ServiceId sv = 0; sv < s.services.size(); ++sv) {
    for (const auto w : s.services[sv].backends) {
      for (const auto& step : s.workloads[w].script) {
        for (const auto& c : step.calls) boost::add_edge(sv, c.service, CallEdge{&c, w}, g);
      }
    }
  }
  std::vector<Edge> back_edges;
  std::vector<Vertex> parent(s.services.size());
  for (Vertex v = 0; v < parent.size(); ++v) parent[v] = v;
  std::vector<boost::default_color_type> colors(s.services.size());
  boost::depth_first_search(g, CycleVisitor(&back_edges, &parent),
                            boost::make_iterator_property_map(colors.begin(), boost::get(boost::vertex_index, g)));
  for (const auto& e : back_edges) {
    const auto from = boost::source(e, g);
    const auto to = boost::target(e, g);
    // Walk the DFS tree back from `from` to `to` to name the whole cycle.
    std::vector<Vertex> chain{from};
    for (Vertex v = from; v != to && parent[v] != v; v = parent[v]) chain.push_back(parent[v]);
    std::string path;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) path += s.services[*it].key() + " -> ";
    path += s.services[to].key();
    const auto& edge = g[e];
    diags.add(edge.call->loc, "workload " + s.workloads[edge.caller].key(), "call cycle: " + path,
              "a request would call itself forever; remove one of these calls");
  }
}

}  // namespace meshtwin::models::detail
