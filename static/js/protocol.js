// @ts-check
/**
 * Socket.IO event names, as defined in `server/protocol.py` and `server/events.py`.
 * `tests/js/test_protocol_names.py` fails when these drift from the server's.
 */

/** Client→server events (each answered with an acknowledgement). */
export const CLIENT_EVENTS = Object.freeze({
  roomEnter: "room.enter",
  boardSync: "board.sync",
  ideaCreate: "board.idea.create",
  ideaEdit: "board.idea.edit",
  ideaDelete: "board.idea.delete",
});

/** Server→client events. */
export const SERVER_EVENTS = Object.freeze({
  boardChanged: "board.changed",
  presenceJoined: "presence.joined",
  presenceLeft: "presence.left",
});

/** Roles that may post, edit and delete (their own) ideas; observers only read. */
export const CONTRIBUTOR_ROLES = Object.freeze(["organizer", "facilitator", "participant"]);

/** Roles that may delete anyone's idea. */
export const MODERATOR_ROLES = Object.freeze(["organizer", "facilitator"]);
