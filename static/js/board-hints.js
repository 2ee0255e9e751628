// @ts-check
/**
 * What the line under the board's phase says: what happens now and what this member can do,
 * by phase and, in the vote phase, by the state of the latest round (none yet, open, closed,
 * revealed) and whether this member votes in it.
 */

import { openSession, rounds } from "./voting.js";

/** @typedef {import("./board-state.js").BoardState} BoardState */
/** @typedef {import("./abilities.js").Abilities} Abilities */
/** @typedef {import("./i18n.js").Translate} Translate */

/**
 * @param {Translate} t
 * @param {BoardState} state
 * @param {Abilities} can
 * @returns {string}
 */
export function phaseHint(t, state, can) {
  const phase = state.settings.phase;
  if (phase === "cluster" && can.select) return t("phase_hint.cluster_select");
  if (phase !== "vote") return t(`phase_hint.${phase}`);
  const open = openSession(state);
  if (open) return can.voter ? t("phase_hint.voting") : t("phase_hint.vote_running");
  const latest = rounds(state).at(-1);
  if (latest?.status === "revealed") return t("phase_hint.vote_revealed");
  if (latest?.status === "closed") return t("phase_hint.vote_closed");
  return can.moderator ? t("phase_hint.vote_open_it") : t("phase_hint.vote");
}
