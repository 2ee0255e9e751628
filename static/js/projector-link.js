// @ts-check
/**
 * The room page's link to the projector view: shown to the room's facilitators and organizers,
 * and to observers (a projector in the hall may be run with an observer's link); participants
 * do not need it. An organizer who came in with their login has it from the server already.
 * The projector view itself decides nothing: the server shows it only what everyone may see.
 */

import { browserStorage, loadMembership } from "./membership.js";

/** Roles whose room page offers the projector view. */
export const PROJECTOR_ROLES = Object.freeze(["organizer", "facilitator", "observer"]);

const link = document.getElementById("projector-link");
const room = document.getElementById("room");
if (link && room?.dataset.eventId) {
  const membership = loadMembership(browserStorage(), room.dataset.eventId);
  if (membership?.role && PROJECTOR_ROLES.includes(membership.role)) link.hidden = false;
}
