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
 * The stage: the vote while a round is open, or closed in the vote phase waiting for its reveal;
 * the results of the latest round once it is revealed, in the vote phase (the reveal), the
 * discussion (what the room talks about) and at the close (the outcome); the board in the
 * collect and cluster phases, where the room works on the cards again, and before any round.
 *
 * @param {BoardState} state
 * @returns {Stage}
 */
export function stage(state) {
  if (openSession(state)) return "vote";
  const latest = rounds(state).at(-1);
  if (!latest) return "board";
  const phase = state.settings.phase;
  if (latest.status === "revealed" && RESULTS_PHASES.has(phase)) return "results";
  if (latest.status === "closed" && phase === "vote") return "vote";
  return "board";
}

/** The phases in which a revealed round's results are on the wall. */
const RESULTS_PHASES = new Set(["vote", "discuss", "closed"]);

/**
 * At most `limit` cards of a column, the newest (by the time they were posted): on a wall that
 * cannot scroll, what was just posted must show, so that the person who posted it sees it arrive.
 * They stay in board order and in their groups; `hidden` counts the rest.
 *
 * @param {ProjectedColumn} projected
 * @param {number} limit
 * @returns {{groups: CardGroup[], hidden: number}}
 */
export function newestCards(projected, limit) {
  const all = projected.groups.flatMap((g) => g.ideas);
  if (all.length <= limit) return { groups: projected.groups, hidden: 0 };
  const newest = [...all]
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
    .slice(0, Math.max(0, limit));
  const kept = new Set(newest.map((i) => i.id));
  const groups = projected.groups
    .map((g) => ({ ...g, ideas: g.ideas.filter((i) => kept.has(i.id)) }))
    .filter((g) => g.ideas.length > 0);
  return { groups, hidden: all.length - kept.size };
}

/**
 * The first `limit` rows of a ranking and how many are left out.
 *
 * @template T
 * @param {T[]} rows
 * @param {number} limit
 * @returns {{rows: T[], hidden: number}}
 */
export function topRows(rows, limit) {
  const shown = rows.slice(0, Math.max(0, limit));
  return { rows: shown, hidden: rows.length - shown.length };
}

/**
 * The largest count in `[least, most]` for which `fits(count)` holds, when fitting is monotone
 * (fewer items never take more room); `least` when none does. Binary search: a wall of 100
 * cards per field is laid out a handful of times, not a hundred.
 *
 * @param {number} least
 * @param {number} most
 * @param {(count: number) => boolean} fits
 * @returns {number}
 */
export function largestFitting(least, most, fits) {
  if (most <= least) return most;
  if (fits(most)) return most;
  let lo = least; // the answer when nothing fits
  let hi = most - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
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
