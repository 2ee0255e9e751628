// @ts-check
/**
 * What the projector view shows, as plain data: which board, which stage (the board, the
 * vote under way, or the results), the columns with their groups of cards, and the vote's
 * figures. Pure functions over a `BoardState`; `projector.js` turns them into DOM.
 */

import { columnTree, shownIdeas } from "./board-layout.js";
import { openSession, revealedSessions, rounds } from "./voting.js";

/** @typedef {import("./board-state.js").BoardState} BoardState */
/** @typedef {import("./board-state.js").Idea} Idea */
/** @typedef {import("./board-state.js").Column} Column */
/** @typedef {import("./board-state.js").Session} Session */
/** @typedef {{id: string, title: string, seq: number}} BoardSummary */
/**
 * @typedef {{heading: string | null, clusterId: string | null, ideas: Idea[]}} CardGroup
 *   `heading` null: ideas in no cluster; "" a cluster without a heading.
 * @typedef {{column: Column, groups: CardGroup[], count: number}} ProjectedColumn
 * @typedef {"board" | "vote" | "results"} Stage
 */

/**
 * The board to show: the presented one when the room has it, else the room's first.
 *
 * @param {BoardSummary[]} boards
 * @param {string | null | undefined} presented
 * @returns {string | null}
 */
export function shownBoard(boards, presented) {
  if (presented && boards.some((b) => b.id === presented)) return presented;
  return boards[0]?.id ?? null;
}

/**
 * The stage: results once the latest round is revealed (and no other is open), the vote
 * while a round is open or closed but not yet revealed, else the board.
 *
 * @param {BoardState} state
 * @returns {Stage}
 */
export function stage(state) {
  if (openSession(state)) return "vote";
  const latest = rounds(state).at(-1);
  if (!latest) return "board";
  if (latest.status === "revealed" && state.settings.phase !== "collect") return "results";
  if (latest.status === "closed" && state.settings.phase === "vote") return "vote";
  return "board";
}

/**
 * The round the vote stage is about: the open one, else the latest (closed, waiting for its reveal).
 *
 * @param {BoardState} state
 * @returns {Session | null}
 */
export function voteSession(state) {
  return openSession(state) ?? rounds(state).at(-1) ?? null;
}

/**
 * The round whose results are shown: the latest revealed.
 *
 * @param {BoardState} state
 * @returns {Session | null}
 */
export function resultsSession(state) {
  return revealedSessions(state).at(-1) ?? null;
}

/**
 * The vote's figures for the wall: how many voted and how many dots are placed.
 *
 * @param {BoardState} state
 * @param {Session} session
 * @returns {{voters: number, cast: number}}
 */
export function voteFigures(state, session) {
  const progress = state.progress && state.progress.session_id === session.id ? state.progress : null;
  if (progress) return { voters: progress.voters, cast: progress.cast };
  // a closed round without progress: the figures are its results' (voters counted per idea)
  return { voters: 0, cast: (session.results ?? []).reduce((sum, r) => sum + r.dots, 0) };
}

/**
 * The columns of the board with their cards: clusters as groups under their heading
 * (nested clusters within their top-level one), ideas in no cluster in groups of their own,
 * all in board order.
 *
 * @param {BoardState} state
 * @returns {ProjectedColumn[]}
 */
export function projectedColumns(state) {
  return state.columns.map((column) => {
    /** @type {CardGroup[]} */
    const groups = [];
    let count = 0;
    for (const node of columnTree(state, column.id)) {
      if (node.kind === "idea") {
        const last = groups.at(-1);
        if (last && last.clusterId === null) last.ideas.push(node.idea);
        else groups.push({ heading: null, clusterId: null, ideas: [node.idea] });
        count += 1;
      } else {
        const ideas = shownIdeas(node.children);
        if (ideas.length === 0) continue;
        groups.push({ heading: node.cluster.heading, clusterId: node.id, ideas });
        count += ideas.length;
      }
    }
    return { column, groups, count };
  });
}
