// @ts-check
/**
 * Dot-voting in the client: which round is current, which ideas can get dots, your dots
 * and what is left, the timer, and the ranking after the reveal (overall and per field
 * of action, with the bar lengths of the chart).
 *
 * Pure functions over a `BoardState`; the server decides everything (budget, cap, blind).
 */

import { clusterAncestors } from "./board-layout.js";

/** @typedef {import("./board-state.js").BoardState} BoardState */
/** @typedef {import("./board-state.js").Session} Session */
/** @typedef {import("./board-state.js").Scope} Scope */
/** @typedef {import("./board-state.js").Idea} Idea */
/** @typedef {import("./board-state.js").MyDots} MyDots */
/** @typedef {import("./board-state.js").Progress} Progress */
/** @typedef {import("./board-state.js").Result} Result */

/**
 * @typedef {{ideaId: string, idea: Idea | null, fieldId: string, dots: number, voters: number,
 *            rank: number, tie: boolean, share: number}} ResultRow
 *   `share` is the dots as a fraction of the most dots any idea got (the bar's length, 0–1).
 * @typedef {{fieldId: string, name: string, rows: ResultRow[]}} FieldResults
 */

/** The vote settings offered when opening a round (the server's defaults). */
export const VOTE_DEFAULTS = Object.freeze({ budget: 5, cap: 3, blind: true, budgetMax: 99 });

/** Timer choices, in seconds (0: no timer). */
export const TIMER_CHOICES = Object.freeze([0, 60, 120, 180, 300, 600, 900, 1800]);

/**
 * Every round of the board, by round number.
 *
 * @param {BoardState} state
 * @returns {Session[]}
 */
export function rounds(state) {
  return [...state.sessions.values()].sort((a, b) => a.round - b.round);
}

/**
 * The open round, if any.
 *
 * @param {BoardState} state
 * @returns {Session | null}
 */
export function openSession(state) {
  return rounds(state).find((s) => s.status === "open") ?? null;
}

/**
 * The round to show: the open one, else the latest.
 *
 * @param {BoardState} state
 * @returns {Session | null}
 */
export function currentSession(state) {
  return openSession(state) ?? rounds(state).at(-1) ?? null;
}

/**
 * The rounds whose results are revealed, latest last.
 *
 * @param {BoardState} state
 */
export function revealedSessions(state) {
  return rounds(state).filter((s) => s.status === "revealed" && s.results);
}

/**
 * Whether an idea is in a round's scope (the board, columns, clusters with the clusters
 * nested in them, or chosen ideas).
 *
 * @param {BoardState} state
 * @param {Scope} scope
 * @param {Idea} idea
 */
export function inScope(state, scope, idea) {
  switch (scope.kind) {
    case "board":
      return true;
    case "columns":
      return scope.ids.includes(idea.field_id);
    case "clusters":
      return clusterAncestors(state, idea.cluster_id).some((id) => scope.ids.includes(id));
    case "ideas":
      return scope.ids.includes(idea.id);
    default:
      return false;
  }
}

/**
 * Whether an idea can get dots in the round: visible and in scope.
 *
 * @param {BoardState} state
 * @param {Session} session
 * @param {Idea} idea
 */
export function votable(state, session, idea) {
  return (idea.status ?? "visible") === "visible" && inScope(state, session.scope, idea);
}

/**
 * Your dots in the open round, or null when there is no open round.
 *
 * @param {BoardState} state
 * @returns {MyDots | null}
 */
export function myDots(state) {
  const session = openSession(state);
  if (!session) return null;
  if (state.myDots && state.myDots.session_id === session.id) return state.myDots;
  return { session_id: session.id, dots: {}, used: 0, remaining: session.budget };
}

/**
 * Your dots on one idea in the open round.
 *
 * @param {BoardState} state
 * @param {string} ideaId
 */
export function dotsOn(state, ideaId) {
  return myDots(state)?.dots[ideaId] ?? 0;
}

/**
 * All dots on an idea so far, when the open round is not blind (else null).
 *
 * @param {BoardState} state
 * @param {string} ideaId
 * @returns {number | null}
 */
export function tallyOf(state, ideaId) {
  const session = openSession(state);
  if (!session || session.blind) return null;
  const progress = state.progress;
  if (!progress || progress.session_id !== session.id || !progress.tallies) return 0;
  return progress.tallies[ideaId] ?? 0;
}

/**
 * Take your dots from `vote.dots` (or an acknowledgement) if they belong to a round of this board.
 *
 * @param {BoardState} state
 * @param {MyDots} dots
 * @returns {BoardState}
 */
export function withDots(state, dots) {
  if (!dots || !state.sessions.has(dots.session_id)) return state;
  return { ...state, myDots: dots };
}

/**
 * Take `vote.progress` if it is this board's.
 *
 * @param {BoardState} state
 * @param {Progress} progress
 * @returns {BoardState}
 */
export function withProgress(state, progress) {
  if (!progress || (progress.board_id && progress.board_id !== state.boardId)) return state;
  return { ...state, progress };
}

/**
 * Take a `vote.state` answer: every round, your dots, the progress.
 *
 * @param {BoardState} state
 * @param {{sessions: Session[], my_dots: MyDots | null, progress: Progress | null}} answer
 * @returns {BoardState}
 */
export function withVoteState(state, answer) {
  const sessions = new Map(state.sessions);
  for (const session of answer.sessions ?? []) sessions.set(session.id, session);
  return { ...state, sessions, myDots: answer.my_dots ?? null, progress: answer.progress ?? null };
}

/**
 * The seconds left until `endsAt` (never below 0), or null without a timer.
 *
 * @param {string | null | undefined} endsAt
 * @param {number} nowMs
 * @returns {number | null}
 */
export function secondsLeft(endsAt, nowMs) {
  if (!endsAt) return null;
  const end = Date.parse(endsAt);
  if (Number.isNaN(end)) return null;
  return Math.max(0, Math.ceil((end - nowMs) / 1000));
}

/**
 * A countdown as m:ss (or h:mm:ss).
 *
 * @param {number} seconds
 */
export function formatClock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/**
 * A round's results for showing: overall and per field of action (in the board's column
 * order), each row with the share of the most dots for its bar.
 *
 * @param {BoardState} state
 * @param {Session} session
 * @returns {{overall: ResultRow[], fields: FieldResults[], maxDots: number}}
 */
export function resultsView(state, session) {
  const results = session.results ?? [];
  const maxDots = Math.max(0, ...results.map((r) => r.dots));
  /** @type {(r: Result, rank: number, tie: boolean) => ResultRow} */
  const row = (r, rank, tie) => ({
    ideaId: r.idea_id,
    idea: state.ideas.get(r.idea_id) ?? null,
    fieldId: r.field_id,
    dots: r.dots,
    voters: r.voters,
    rank,
    tie,
    share: maxDots > 0 ? r.dots / maxDots : 0,
  });
  const overall = [...results].sort((a, b) => a.rank - b.rank).map((r) => row(r, r.rank, r.tie));
  const names = new Map(state.columns.map((c) => [c.id, c.name]));
  const order = [...state.columns.map((c) => c.id)];
  for (const r of results) if (!order.includes(r.field_id)) order.push(r.field_id);
  /** @type {FieldResults[]} */
  const fields = [];
  for (const fieldId of order) {
    const rows = results
      .filter((r) => r.field_id === fieldId)
      .sort((a, b) => a.field_rank - b.field_rank)
      .map((r) => row(r, r.field_rank, r.field_tie));
    if (rows.length) fields.push({ fieldId, name: names.get(fieldId) ?? fieldId, rows });
  }
  return { overall, fields, maxDots };
}

/**
 * The ideas ranked `n` or better in a revealed round (ties at the edge included), for a
 * next round on the top ideas.
 *
 * @param {Session} session
 * @param {number} n
 * @returns {string[]}
 */
export function topIdeaIds(session, n) {
  return (session.results ?? []).filter((r) => r.rank <= n).map((r) => r.idea_id);
}
