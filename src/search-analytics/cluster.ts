import { type Corpus, similarity } from "./similarity";

/** Union-find over indices, with path halving and union by size. */
class DisjointSets {
  private readonly parent: number[];
  private readonly size: number[];

  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
    this.size = new Array<number>(n).fill(1);
  }

  find(i: number): number {
    let at = i;
    while (this.parent[at] !== at) {
      this.parent[at] = this.parent[this.parent[at]!]!;
      at = this.parent[at]!;
    }
    return at;
  }

  union(a: number, b: number): void {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return;
    if (this.size[ra]! < this.size[rb]!) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra]! += this.size[rb]!;
  }
}

export interface Cluster {
  /** The member most similar to the others (the highest sum of combined similarity), the first on ties. */
  representative: number;
  /** Indices into the input, in input order. */
  members: number[];
}

/**
 * Groups queries (normalized) whose combined similarity reaches `threshold`, transitively: two
 * queries share a cluster when a chain of such pairs joins them. Clusters come largest first, then
 * by their first member's place in the input.
 */
export function cluster(corpus: Corpus, normalized: readonly string[], threshold: number): Cluster[] {
  const n = normalized.length;
  const sets = new DisjointSets(n);
  const score = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const combined = similarity(corpus, normalized[i]!, normalized[j]!).combined;
      score[i]![j] = score[j]![i] = combined;
      if (combined >= threshold) sets.union(i, j);
    }
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = sets.find(i);
    groups.set(root, [...(groups.get(root) ?? []), i]);
  }
  const clusters = [...groups.values()].map((members) => ({ members, representative: central(members, score) }));
  return clusters.sort((a, b) => b.members.length - a.members.length || a.members[0]! - b.members[0]!);
}

function central(members: number[], score: number[][]): number {
  let best = members[0]!;
  let bestSum = -1;
  for (const i of members) {
    const sum = members.reduce((total, j) => total + (i === j ? 0 : score[i]![j]!), 0);
    if (sum > bestSum) [best, bestSum] = [i, sum];
  }
  return best;
}
