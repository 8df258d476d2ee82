//! Graph order for import: the nodes the graph output depends on, in a
//! topological order (stable: file order where the file allows it), and how
//! often each tensor is consumed.

use crate::proto::GraphProto;
use std::collections::{BTreeSet, HashMap};

/// The live nodes in execution order and the consumer counts.
#[derive(Debug)]
pub(crate) struct Order {
    /// Indices into `graph.node`, producers before consumers.
    pub nodes: Vec<usize>,
    /// For each tensor name: node inputs (of live nodes) reading it, plus one
    /// if it is the graph output.
    pub consumers: HashMap<String, usize>,
}

/// Order the nodes that `output` depends on. Errors are plain sentences
/// (the caller adds the file).
pub(crate) fn order(graph: &GraphProto, output: &str) -> Result<Order, String> {
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in graph.node.iter().enumerate() {
        for o in n.output.iter().filter(|o| !o.is_empty()) {
            if let Some(j) = producer.insert(o.as_str(), i) {
                return Err(format!(
                    "tensor `{o}` is an output of node {j} and of node {i} (each tensor has one producer)"
                ));
            }
        }
    }
    // backwards from the output
    let mut live = vec![false; graph.node.len()];
    let mut stack = vec![output];
    while let Some(t) = stack.pop() {
        if let Some(&i) = producer.get(t) {
            if !live[i] {
                live[i] = true;
                stack.extend(
                    graph.node[i]
                        .input
                        .iter()
                        .filter(|s| !s.is_empty())
                        .map(|s| s.as_str()),
                );
            }
        }
    }
    // Kahn's algorithm, the lowest file index first
    let mut waiting: Vec<usize> = vec![0; graph.node.len()];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); graph.node.len()];
    for (i, n) in graph.node.iter().enumerate().filter(|(i, _)| live[*i]) {
        let mut deps: Vec<usize> = n
            .input
            .iter()
            .filter_map(|s| producer.get(s.as_str()).copied())
            .collect();
        deps.sort_unstable();
        deps.dedup();
        waiting[i] = deps.len();
        for d in deps {
            users[d].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..graph.node.len())
        .filter(|&i| live[i] && waiting[i] == 0)
        .collect();
    let mut nodes = Vec::new();
    while let Some(i) = ready.pop_first() {
        nodes.push(i);
        for &u in &users[i] {
            waiting[u] -= 1;
            if waiting[u] == 0 {
                ready.insert(u);
            }
        }
    }
    let n_live = live.iter().filter(|&&l| l).count();
    if nodes.len() != n_live {
        let stuck = (0..graph.node.len())
            .find(|&i| live[i] && waiting[i] > 0)
            .expect("a node is left");
        return Err(format!("the graph has a cycle through node {stuck}"));
    }
    let mut consumers: HashMap<String, usize> = HashMap::new();
    for &i in &nodes {
        for s in graph.node[i].input.iter().filter(|s| !s.is_empty()) {
            *consumers.entry(s.clone()).or_default() += 1;
        }
    }
    *consumers.entry(output.to_string()).or_default() += 1;
    Ok(Order { nodes, consumers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::NodeProto;

    fn node(ins: &[&str], outs: &[&str]) -> NodeProto {
        NodeProto {
            input: ins.iter().map(|s| s.to_string()).collect(),
            output: outs.iter().map(|s| s.to_string()).collect(),
            op_type: "Relu".into(),
            ..Default::default()
        }
    }

    #[test]
    fn sorts_prunes_and_counts() {
        let g = GraphProto {
            node: vec![
                node(&["b"], &["c"]),
                node(&["x"], &["dead"]),
                node(&["x"], &["a"]),
                node(&["a"], &["b"]),
                node(&["a", "c"], &["y"]),
            ],
            ..Default::default()
        };
        let o = order(&g, "y").unwrap();
        assert_eq!(o.nodes, vec![2, 3, 0, 4]);
        assert_eq!(o.consumers["a"], 2);
        assert_eq!(o.consumers["x"], 1);
        assert_eq!(o.consumers["y"], 1);
    }

    #[test]
    fn cycles_and_double_producers_are_errors() {
        let g = GraphProto {
            node: vec![node(&["b"], &["a"]), node(&["a"], &["b"])],
            ..Default::default()
        };
        assert!(order(&g, "a").unwrap_err().contains("cycle"));
        let g = GraphProto {
            node: vec![node(&["x"], &["a"]), node(&["x"], &["a"])],
            ..Default::default()
        };
        assert!(order(&g, "a").unwrap_err().contains("`a`"));
    }
}
