//! Import cycles between the files of one crate: groups of files that all
//! reach each other through their uses (strongly connected components), each
//! reported with one concrete cycle and the lines that make it.

use super::modgraph::{CrateGraph, Edge};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

/// Every cycle in `graph`, as a readable report (empty when there is none).
pub fn cycles(graph: &CrateGraph, root: &Path) -> Vec<String> {
    let n = graph.files.len();
    // The first edge between each ordered pair is the one we quote.
    let mut first: BTreeMap<(usize, usize), &Edge> = BTreeMap::new();
    for e in &graph.edges {
        first.entry((e.from, e.to)).or_insert(e);
    }
    let mut next: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for &(a, b) in first.keys() {
        next[a].insert(b);
    }
    let name = |i: usize| graph.files[i].strip_prefix(root).unwrap_or(&graph.files[i]).display().to_string();
    let mut out = Vec::new();
    for group in strongly_connected(&next).into_iter().filter(|g| g.len() > 1) {
        let start = *group.iter().min_by_key(|&&i| name(i)).unwrap_or(&group[0]);
        let path = shortest_cycle(&next, &group, start);
        let mut report = format!(
            "import cycle between {}:",
            group.iter().map(|&i| name(i)).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", ")
        );
        for w in path.windows(2) {
            let e = first[&(w[0], w[1])];
            report += &format!("\n    {} uses {} (line {}: `{}`)", name(w[0]), name(w[1]), e.line, e.text);
        }
        // A longer loop is untied at any of its uses: list them all.
        if group.len() > 2 {
            report += "\n  every use inside the group:";
            let inside: BTreeSet<usize> = group.iter().copied().collect();
            let mut uses: Vec<String> = first
                .iter()
                .filter(|((a, b), _)| inside.contains(a) && inside.contains(b))
                .map(|((a, b), e)| format!("\n    {} → {} (line {})", name(*a), name(*b), e.line))
                .collect();
            uses.sort();
            report += &uses.concat();
        }
        out.push(report);
    }
    out
}

/// Tarjan's algorithm, iteratively (a deep module tree must not overflow the stack).
fn strongly_connected(next: &[BTreeSet<usize>]) -> Vec<Vec<usize>> {
    let n = next.len();
    let (mut index, mut low, mut on_stack) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
    let (mut stack, mut groups, mut counter) = (Vec::new(), Vec::new(), 0);
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, Vec<usize>)> = vec![(root, next[root].iter().copied().collect())];
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some((v, pending)) = work.last_mut() {
            let v = *v;
            if let Some(w) = pending.pop() {
                if index[w] == usize::MAX {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, next[w].iter().copied().collect()));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some((parent, _)) = work.last() {
                low[*parent] = low[*parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut group = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    group.push(w);
                    if w == v {
                        break;
                    }
                }
                groups.push(group);
            }
        }
    }
    groups
}

/// The shortest way from `start` back to itself inside `group` (breadth first).
fn shortest_cycle(next: &[BTreeSet<usize>], group: &[usize], start: usize) -> Vec<usize> {
    let inside: BTreeSet<usize> = group.iter().copied().collect();
    let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &next[v] {
            if w == start {
                // Back from v to start, then turned around: start, …, v, start.
                let mut path = vec![v];
                let mut at = v;
                while let Some(&p) = came_from.get(&at) {
                    path.push(p);
                    at = p;
                }
                path.reverse();
                path.push(start);
                return path;
            }
            if inside.contains(&w) && w != start && !came_from.contains_key(&w) {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    vec![start, start]
}
