// @ts-check
/**
 * How a board is laid out: each column holds clusters (a forest, by `parent_id`) and
 * ideas, in the order of their `position` keys; and where an idea goes when it is moved
 * one place up or down, into another column, or dropped before or after another idea.
 *
 * Pure functions over a `BoardState`; the server decides the new ordering keys, these only
 * choose the `after_id` it needs (see `board.idea.move`).
 */

import { columnIdeas, compareIdeas } from "./board-state.js";

/** @typedef {import("./board-state.js").BoardState} BoardState */
/** @typedef {import("./board-state.js").Idea} Idea */
/** @typedef {import("./board-state.js").Cluster} Cluster */

/**
 * @typedef {{kind: "idea", id: string, idea: Idea}} IdeaNode
 * @typedef {{kind: "cluster", id: string, cluster: Cluster, children: Node[], count: number, depth: number}} ClusterNode
 * @typedef {IdeaNode | ClusterNode} Node
 * @typedef {{field_id: string, after_id: string | null}} MoveTarget
 */

/**
 * @param {string} a
 * @param {string} b
 */
function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Order of the items in one container: by position; a cluster comes before the idea it
 * was made from (same position); then by id.
 *
 * @param {Node} a
 * @param {Node} b
 */
function compareNodes(a, b) {
  const pa = a.kind === "idea" ? (a.idea.position ?? "") : a.cluster.position;
  const pb = b.kind === "idea" ? (b.idea.position ?? "") : b.cluster.position;
  if (pa !== pb) return cmp(pa, pb);
  if (a.kind !== b.kind) return a.kind === "cluster" ? -1 : 1;
  if (a.kind === "idea" && b.kind === "idea") return compareIdeas(a.idea, b.idea);
  return cmp(a.id, b.id);
}

/**
 * The chain of clusters from `clusterId` up to the top (itself first); stops at a cycle
 * or a cluster the board does not know.
 *
 * @param {BoardState} state
 * @param {string | null | undefined} clusterId
 * @returns {string[]}
 */
export function clusterAncestors(state, clusterId) {
  /** @type {string[]} */
  const chain = [];
  let current = clusterId ?? null;
  while (current !== null && state.clusters.has(current) && !chain.includes(current)) {
    chain.push(current);
    current = state.clusters.get(current)?.parent_id ?? null;
  }
  return chain;
}

/**
 * The cluster an idea is shown in: its own, if the board knows it and it is in the idea's column.
 *
 * @param {BoardState} state
 * @param {Idea} idea
 * @returns {string | null}
 */
export function shownCluster(state, idea) {
  const cluster = idea.cluster_id ? state.clusters.get(idea.cluster_id) : undefined;
  return cluster && cluster.field_id === idea.field_id ? cluster.id : null;
}

/**
 * The parent a cluster is shown under: its own, if known, in the same column and not a cycle.
 *
 * @param {BoardState} state
 * @param {Cluster} cluster
 * @returns {string | null}
 */
function shownParent(state, cluster) {
  const parent = cluster.parent_id ? state.clusters.get(cluster.parent_id) : undefined;
  if (!parent || parent.field_id !== cluster.field_id) return null;
  return clusterAncestors(state, parent.id).includes(cluster.id) ? null : parent.id;
}

/**
 * One column as a tree: its top-level clusters and unclustered ideas, in board order.
 *
 * @param {BoardState} state
 * @param {string} columnId
 * @returns {Node[]}
 */
export function columnTree(state, columnId) {
  /** @type {Map<string | null, Node[]>} */
  const children = new Map();
  /** @param {string | null} parent @param {Node} node */
  const add = (parent, node) => {
    const list = children.get(parent);
    if (list) list.push(node);
    else children.set(parent, [node]);
  };
  /** @type {ClusterNode[]} */
  const clusterNodes = [];
  for (const cluster of state.clusters.values()) {
    if (cluster.field_id !== columnId) continue;
    /** @type {ClusterNode} */
    const node = { kind: "cluster", id: cluster.id, cluster, children: [], count: 0, depth: 0 };
    clusterNodes.push(node);
    add(shownParent(state, cluster), node);
  }
  for (const idea of state.ideas.values()) {
    if (idea.field_id === columnId) add(shownCluster(state, idea), { kind: "idea", id: idea.id, idea });
  }
  /**
   * @param {Node[]} nodes
   * @param {number} depth
   * @returns {number} the ideas below
   */
  const finish = (nodes, depth) => {
    nodes.sort(compareNodes);
    let count = 0;
    for (const node of nodes) {
      if (node.kind === "idea") {
        count += 1;
      } else {
        node.depth = depth;
        node.children = children.get(node.id) ?? [];
        node.count = finish(node.children, depth + 1);
        count += node.count;
      }
    }
    return count;
  };
  const top = children.get(null) ?? [];
  finish(top, 0);
  return top;
}

/**
 * The ideas of a tree in the order they are shown (depth first).
 *
 * @param {Node[]} nodes
 * @returns {Idea[]}
 */
export function shownIdeas(nodes) {
  /** @type {Idea[]} */
  const out = [];
  for (const node of nodes) {
    if (node.kind === "idea") out.push(node.idea);
    else out.push(...shownIdeas(node.children));
  }
  return out;
}

/**
 * The clusters of a column, depth first, with their depth (for a choice of clusters).
 *
 * @param {BoardState} state
 * @param {string} columnId
 * @returns {{cluster: Cluster, depth: number}[]}
 */
export function columnClusters(state, columnId) {
  /** @type {{cluster: Cluster, depth: number}[]} */
  const out = [];
  /** @param {Node[]} nodes */
  const walk = (nodes) => {
    for (const node of nodes) {
      if (node.kind === "cluster") {
        out.push({ cluster: node.cluster, depth: node.depth });
        walk(node.children);
      }
    }
  };
  walk(columnTree(state, columnId));
  return out;
}

/**
 * The items next to an idea in its container (the column's top level or its cluster).
 *
 * @param {BoardState} state
 * @param {string} ideaId
 * @returns {{siblings: Node[], index: number} | null}
 */
function siblingsOf(state, ideaId) {
  const idea = state.ideas.get(ideaId);
  if (!idea) return null;
  const tree = columnTree(state, idea.field_id);
  const clusterId = shownCluster(state, idea);
  /** @param {Node[]} nodes @returns {Node[] | null} */
  const find = (nodes) => {
    for (const node of nodes) {
      if (node.kind === "cluster") {
        if (node.id === clusterId) return node.children;
        const inner = find(node.children);
        if (inner) return inner;
      }
    }
    return null;
  };
  const siblings = clusterId === null ? tree : find(tree);
  if (!siblings) return null;
  const index = siblings.findIndex((n) => n.kind === "idea" && n.id === ideaId);
  return index < 0 ? null : { siblings, index };
}

/**
 * The column's ideas in key order without `ideaId` (the server places relative to these).
 *
 * @param {BoardState} state
 * @param {string} columnId
 * @param {string} [without]
 */
function keyOrder(state, columnId, without) {
  return columnIdeas(state, columnId).filter((i) => i.id !== without);
}

/**
 * The `after_id` that puts an idea right before `position` in a column (null: at the top).
 *
 * @param {Idea[]} order
 * @param {string} position
 * @returns {string | null}
 */
function afterBefore(order, position) {
  let after = null;
  for (const other of order) {
    if ((other.position ?? "") < position) after = other.id;
    else break;
  }
  return after;
}

/**
 * Where an idea goes when it moves one place up among the items next to it; null when it
 * is first already.
 *
 * @param {BoardState} state
 * @param {string} ideaId
 * @returns {MoveTarget | null}
 */
export function moveUp(state, ideaId) {
  const found = siblingsOf(state, ideaId);
  if (!found || found.index === 0) return null;
  const idea = /** @type {Idea} */ (state.ideas.get(ideaId));
  const previous = found.siblings[found.index - 1];
  const order = keyOrder(state, idea.field_id, ideaId);
  const position = previous.kind === "idea" ? (previous.idea.position ?? "") : previous.cluster.position;
  if (previous.kind === "idea") {
    const at = order.findIndex((i) => i.id === previous.id);
    return { field_id: idea.field_id, after_id: at > 0 ? order[at - 1].id : null };
  }
  return { field_id: idea.field_id, after_id: afterBefore(order, position) };
}

/**
 * Where an idea goes when it moves one place down; null when it is last already.
 *
 * @param {BoardState} state
 * @param {string} ideaId
 * @returns {MoveTarget | null}
 */
export function moveDown(state, ideaId) {
  const found = siblingsOf(state, ideaId);
  if (!found || found.index >= found.siblings.length - 1) return null;
  const idea = /** @type {Idea} */ (state.ideas.get(ideaId));
  const next = found.siblings[found.index + 1];
  if (next.kind === "idea") return { field_id: idea.field_id, after_id: next.id };
  // Past a cluster: after the last idea whose key is not above the cluster's.
  const order = keyOrder(state, idea.field_id, ideaId);
  let after = null;
  for (const other of order) {
    if ((other.position ?? "") <= next.cluster.position) after = other.id;
    else break;
  }
  if (after === null) return { field_id: idea.field_id, after_id: order[0]?.id ?? null };
  return { field_id: idea.field_id, after_id: after };
}

/**
 * Into another column, at its end.
 *
 * @param {BoardState} state
 * @param {string} ideaId
 * @param {string} columnId
 * @returns {MoveTarget}
 */
export function moveToColumn(state, ideaId, columnId) {
  const order = keyOrder(state, columnId, ideaId);
  return { field_id: columnId, after_id: order.at(-1)?.id ?? null };
}

/**
 * The neighbouring column (`step` -1 or +1), or null at the edge.
 *
 * @param {BoardState} state
 * @param {string} columnId
 * @param {number} step
 * @returns {string | null}
 */
export function neighbourColumn(state, columnId, step) {
  const index = state.columns.findIndex((c) => c.id === columnId);
  if (index < 0) return null;
  return state.columns[index + step]?.id ?? null;
}

/**
 * Dropped before or after another idea: same column as that idea.
 *
 * @param {BoardState} state
 * @param {string} ideaId  the idea that moves
 * @param {string} targetId  the idea it is dropped at
 * @param {"before" | "after"} where
 * @returns {MoveTarget | null}
 */
export function dropNextTo(state, ideaId, targetId, where) {
  const target = state.ideas.get(targetId);
  if (!target || ideaId === targetId) return null;
  if (where === "after") return { field_id: target.field_id, after_id: targetId };
  const order = keyOrder(state, target.field_id, ideaId);
  const at = order.findIndex((i) => i.id === targetId);
  return { field_id: target.field_id, after_id: at > 0 ? order[at - 1].id : null };
}

/**
 * Where an idea is shown: its place (1-based) among the column's shown ideas, and how many.
 *
 * @param {BoardState} state
 * @param {string} ideaId
 * @returns {{index: number, count: number, columnId: string, clusterId: string | null} | null}
 */
export function placeOf(state, ideaId) {
  const idea = state.ideas.get(ideaId);
  if (!idea) return null;
  const shown = shownIdeas(columnTree(state, idea.field_id));
  const index = shown.findIndex((i) => i.id === ideaId);
  return { index: index + 1, count: shown.length, columnId: idea.field_id, clusterId: shownCluster(state, idea) };
}

/**
 * The ideas that need a facilitator: waiting for approval, reported, hidden.
 *
 * @param {BoardState} state
 * @returns {{pending: Idea[], reported: Idea[], hidden: Idea[]}}
 */
export function moderationQueues(state) {
  const ideas = [...state.ideas.values()].sort(compareIdeas);
  return {
    pending: ideas.filter((i) => i.status === "pending"),
    reported: ideas.filter((i) => (i.reports ?? 0) > 0 && i.status !== "hidden"),
    hidden: ideas.filter((i) => i.status === "hidden"),
  };
}

/**
 * The comments on an idea, oldest first.
 *
 * @param {BoardState} state
 * @param {string} ideaId
 */
export function commentsOf(state, ideaId) {
  return [...state.comments.values()]
    .filter((c) => c.idea_id === ideaId)
    .sort((a, b) => cmp(a.created_at ?? "", b.created_at ?? "") || cmp(a.id, b.id));
}

/**
 * Tags typed as one text: split at commas, trimmed, empty ones and repeats (ignoring case) dropped.
 *
 * @param {string} text
 * @returns {string[]}
 */
export function parseTags(text) {
  /** @type {string[]} */
  const out = [];
  for (const part of text.split(",")) {
    const tag = part.trim().replace(/^#/, "").trim();
    if (tag && !out.some((t) => t.toLocaleLowerCase() === tag.toLocaleLowerCase())) out.push(tag);
  }
  return out;
}
