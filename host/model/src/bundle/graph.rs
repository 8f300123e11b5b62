//! The step graph of a bundle: order, cycles and ancestry.
//!
//! Works on indices into the bundle's step list so it can be tested on its
//! own. Not for anything about fields or departments.

/// A topological order of `n` nodes whose dependencies are `deps[i]`
/// (indices that must come before `i`), keeping file order among ready
/// nodes. On a cycle, returns one cycle, each node waiting for the next,
/// closed (the first node repeated at the end).
pub fn topological_order(deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    let n = deps.len();
    let mut indegree: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents = vec![Vec::new(); n];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(i);
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut done = vec![false; n];
    while order.len() < n {
        let Some(next) = (0..n).find(|&i| !done[i] && indegree[i] == 0) else {
            return Err(find_cycle(deps, &done));
        };
        done[next] = true;
        order.push(next);
        for &j in &dependents[next] {
            indegree[j] -= 1;
        }
    }
    Ok(order)
}

fn find_cycle(deps: &[Vec<usize>], done: &[bool]) -> Vec<usize> {
    // Every remaining node has a remaining dependency: walk them until a
    // node repeats.
    let Some(start) = (0..deps.len()).find(|&i| !done[i]) else {
        return Vec::new();
    };
    let mut path = vec![start];
    let mut current = start;
    loop {
        let Some(&next) = deps[current].iter().find(|&&d| !done[d]) else {
            return path;
        };
        if let Some(pos) = path.iter().position(|&p| p == next) {
            let mut cycle: Vec<usize> = path[pos..].to_vec();
            cycle.push(cycle[0]);
            return cycle;
        }
        path.push(next);
        current = next;
    }
}

/// For each node, every node it depends on directly or transitively.
pub fn ancestors(deps: &[Vec<usize>]) -> Vec<Vec<bool>> {
    let n = deps.len();
    let mut result = vec![vec![false; n]; n];
    for (i, row) in result.iter_mut().enumerate() {
        let mut stack: Vec<usize> = deps[i].clone();
        while let Some(d) = stack.pop() {
            if !row[d] {
                row[d] = true;
                stack.extend(deps[d].iter().copied());
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_a_dag_keeping_file_order() {
        // 0 <- 1 <- 3, 0 <- 2
        let deps = vec![vec![], vec![0], vec![0], vec![1]];
        assert_eq!(topological_order(&deps), Ok(vec![0, 1, 2, 3]));
        let deps = vec![vec![1], vec![]];
        assert_eq!(topological_order(&deps), Ok(vec![1, 0]));
    }

    #[test]
    fn names_a_cycle() {
        // 0 -> 1 -> 2 -> 0 (each depends on the previous), 3 free
        let deps = vec![vec![2], vec![0], vec![1], vec![]];
        let cycle = topological_order(&deps).expect_err("cycle");
        assert_eq!(cycle.first(), cycle.last());
        assert_eq!(cycle.len(), 4);
        let self_loop = vec![vec![0]];
        assert_eq!(topological_order(&self_loop), Err(vec![0, 0]));
    }

    #[test]
    fn ancestry_is_transitive() {
        let deps = vec![vec![], vec![0], vec![1], vec![]];
        let a = ancestors(&deps);
        assert!(a[2][0] && a[2][1] && !a[2][3] && !a[0][2]);
    }
}
