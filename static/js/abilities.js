// @ts-check
/**
 * What the page offers a member on a board, mirroring the server's rules
 * (`boards/rules.py`): the server checks everything again; this only decides which
 * controls to show, so nobody is offered what would be refused.
 */

import { windowShut } from "./board-window.js";
import { CONTRIBUTOR_ROLES, MODERATOR_ROLES } from "./protocol.js";

/** @typedef {import("./board-state.js").Settings} Settings */
/** @typedef {import("./board-state.js").Idea} Idea */

/**
 * @typedef {object} Abilities
 * @property {boolean} contributor  may post, change and vote at all (not an observer)
 * @property {boolean} moderator  facilitator or organizer
 * @property {boolean} writable  the board is neither locked nor closed, and (for participants) its
 *   window of asynchronous participation, if it has one, is open
 * @property {boolean} post  may post a new idea now: in the collect phase (the server lets
 *   facilitators post in any phase; the page offers it while collecting, where it belongs)
 * @property {boolean} arrange  may move, group, edit and delete (own) ideas now
 * @property {boolean} select  may select ideas to group (or, facilitators, merge) them: in the cluster
 *   phase, where grouping belongs (dragging one idea onto another groups in the collect phase too);
 *   facilitators and organizers in any open phase
 * @property {boolean} comment  may comment now
 * @property {boolean} voter  is a voter of the open round: participants are; facilitators and
 *   organizers only when it was opened with `moderators_vote`
 * @property {boolean} vote  may place dots now (a round is open and this member is its voter)
 */

/**
 * @param {string} role
 * @param {Settings} settings
 * @param {{moderators_vote?: boolean} | null} openRound  the open round (its time not up), or null
 * @param {"not_open_yet" | "open" | "closed" | null} [windowState]  where the board's window stands
 * @returns {Abilities}
 */
export function abilities(role, settings, openRound, windowState = null) {
  const contributor = CONTRIBUTOR_ROLES.includes(role);
  const moderator = MODERATOR_ROLES.includes(role);
  const writable = !settings.locked && settings.phase !== "closed" && !windowShut(windowState, moderator);
  /** @param {...string} phases */
  const inPhase = (...phases) => contributor && writable && (moderator || phases.includes(settings.phase));
  const voter = contributor && (!moderator || !!openRound?.moderators_vote);
  return {
    contributor,
    moderator,
    writable,
    post: contributor && writable && settings.phase === "collect",
    arrange: inPhase("collect", "cluster"),
    select: inPhase("cluster"),
    comment: contributor && writable,
    voter,
    vote: voter && writable && !!openRound,
  };
}

/**
 * May this member edit the idea (only authors, in the collect and cluster phases)?
 *
 * @param {Abilities} can
 * @param {Idea} idea
 * @param {string | undefined} memberId
 */
export function mayEdit(can, idea, memberId) {
  return can.arrange && !!memberId && idea.author?.id === memberId;
}

/**
 * May this member delete the idea (authors, and facilitators any)?
 *
 * @param {Abilities} can
 * @param {Idea} idea
 * @param {string | undefined} memberId
 */
export function mayDelete(can, idea, memberId) {
  return can.arrange && (can.moderator || (!!memberId && idea.author?.id === memberId));
}

/**
 * May this member put the idea into another field of action (authors, and facilitators and
 * organizers any)? Reordering and grouping within its field stays open to everyone who may
 * arrange (`arrange`); the server refuses the rest with `forbidden` (`boards/rules.py`).
 *
 * @param {Abilities} can
 * @param {Idea} idea
 * @param {string | undefined} memberId
 */
export function mayChangeField(can, idea, memberId) {
  return can.arrange && (can.moderator || (!!memberId && idea.author?.id === memberId));
}
