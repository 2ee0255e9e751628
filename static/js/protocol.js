// @ts-check
/**
 * Socket.IO event names, as defined in `server/protocol/` and `server/live/handlers/`.
 * `tests/js/test_client_contract.py` fails when these drift from the server's.
 */

/** Client→server events (each answered with an acknowledgement). */
export const CLIENT_EVENTS = Object.freeze({
  roomEnter: "room.enter",
  boardSync: "board.sync",
  ideaCreate: "board.idea.create",
  ideaEdit: "board.idea.edit",
  ideaDelete: "board.idea.delete",
  boardCreate: "board.create",
  boardView: "board.view",
  boardPresent: "board.present",
  ideaMove: "board.idea.move",
  ideaReport: "board.idea.report",
  ideaModerate: "board.idea.moderate",
  ideaMerge: "board.idea.merge",
  clusterCreate: "board.cluster.create",
  clusterAssign: "board.cluster.assign",
  clusterRename: "board.cluster.rename",
  clusterNest: "board.cluster.nest",
  clusterDissolve: "board.cluster.dissolve",
  commentCreate: "board.comment.create",
  commentDelete: "board.comment.delete",
  commentModerate: "board.comment.moderate",
  boardPhase: "board.phase",
  boardReveal: "board.reveal",
  boardLock: "board.lock",
  boardPremoderation: "board.premoderation",
  voteOpen: "vote.open",
  voteExtend: "vote.extend",
  voteClose: "vote.close",
  voteReveal: "vote.reveal",
  voteCast: "vote.cast",
  voteRemove: "vote.remove",
  voteState: "vote.state",
  breakoutCreate: "breakout.create",
  breakoutAssign: "breakout.assign",
  breakoutMove: "breakout.move",
  breakoutChoose: "breakout.choose",
  breakoutPrefer: "breakout.prefer",
  breakoutOpen: "breakout.open",
  breakoutClose: "breakout.close",
  breakoutExtend: "breakout.extend",
  breakoutHelp: "breakout.help",
  breakoutHelpWithdraw: "breakout.help.withdraw",
  breakoutHelpAnswer: "breakout.help.answer",
  breakoutVisit: "breakout.visit",
  breakoutState: "breakout.state",
  breakoutRotate: "breakout.rotate",
  breakoutResults: "breakout.results",
  clockSync: "clock.sync",
  facilitationState: "facilitation.state",
  broadcastSend: "broadcast.send",
  boardSpotlight: "board.spotlight",
  memberRemove: "member.remove",
  timerStart: "timer.start",
  timerPause: "timer.pause",
  timerResume: "timer.resume",
  timerExtend: "timer.extend",
  timerReset: "timer.reset",
  agendaAdd: "agenda.add",
  agendaRemove: "agenda.remove",
  agendaMove: "agenda.move",
  agendaSetCurrent: "agenda.set_current",
  agendaNext: "agenda.next",
  agendaPrevious: "agenda.previous",
  handRaise: "hand.raise",
  handLower: "hand.lower",
  handNext: "hand.next",
  chatSend: "chat.send",
  chatHistory: "chat.history",
  chatHide: "chat.hide",
  chatSilence: "chat.silence",
  questionAsk: "question.ask",
  questionUpvote: "question.upvote",
  questionAnswer: "question.answer",
  questionHide: "question.hide",
  questionPin: "question.pin",
  questionList: "question.list",
});

/** Server→client events. */
export const SERVER_EVENTS = Object.freeze({
  boardChanged: "board.changed",
  presenceChanged: "presence.changed",
  roomBoard: "room.board",
  boardPresence: "board.presence",
  boardPresented: "board.presented",
  voteDots: "vote.dots",
  voteProgress: "vote.progress",
  roomMoved: "room.moved",
  breakoutChanged: "breakout.changed",
  timerChanged: "timer.changed",
  timerWarning: "timer.warning",
  timerFinished: "timer.finished",
  broadcast: "broadcast",
  boardSpotlight: "board.spotlight",
  handsChanged: "hands.changed",
  agendaChanged: "agenda.changed",
  chatMessage: "chat.message",
  chatHidden: "chat.hidden",
  chatSilenced: "chat.silenced",
  questionChanged: "question.changed",
  memberRemoved: "member.removed",
});

/** The phases of a board, in their usual order. */
export const PHASES = Object.freeze(["collect", "cluster", "vote", "discuss", "closed"]);

/** Card colours an idea may have (`boards/model.py` `IDEA_COLOURS`). */
export const IDEA_COLOURS = Object.freeze(["yellow", "green", "blue", "pink", "orange", "purple"]);

/** Roles that may post, edit and delete (their own) ideas; observers only read. */
export const CONTRIBUTOR_ROLES = Object.freeze(["organizer", "facilitator", "participant"]);

/** Roles that moderate: delete anyone's idea, set phases, run votes. */
export const MODERATOR_ROLES = Object.freeze(["organizer", "facilitator"]);
