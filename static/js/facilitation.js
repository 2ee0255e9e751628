// @ts-check
/**
 * The facilitation features on the room page: timers, broadcasts, the spotlight, raised hands,
 * the room's chat, live questions, the agenda and removing a member. Keeps their state (the
 * pure `facilitation-model.js`), wires the views to the connection and announces what changed.
 * The room page (`room.js`) tells it when the page entered or moved to a room and asks it for
 * the presence list's "remove" buttons; the rest it listens for itself.
 */

import { AgendaEditor, AgendaLine, kindName } from "./agenda-panel.js";
import { ChatPanel } from "./chat-panel.js";
import { formatCountdown } from "./clock.js";
import { byId, h } from "./dom.js";
import { BroadcastBanner, HandToggle } from "./facilitation-bar.js";
import { FacilitationConsole } from "./facilitation-console.js";
import { ChatCues, ChatLog, currentStep, handUp, QuestionBoard, timerCue, timerRemaining } from "./facilitation-model.js";
import { errorMessage } from "./i18n.js";
import { CLIENT_EVENTS, CONTRIBUTOR_ROLES, MODERATOR_ROLES, SERVER_EVENTS } from "./protocol.js";
import { QuestionsPanel } from "./questions-panel.js";
import { TimerControls, TimerDisplay } from "./timer-view.js";

/** @typedef {import("./facilitation-model.js").Timer} Timer */
/** @typedef {import("./facilitation-model.js").Agenda} Agenda */
/** @typedef {import("./facilitation-model.js").Hands} Hands */
/** @typedef {import("./facilitation-model.js").Message} Message */
/** @typedef {import("./facilitation-model.js").Question} Question */
/** @typedef {import("./connection.js").Ack} Ack */
/** @typedef {import("./i18n.js").Translate} Translate */
/** @typedef {{id: string, name: string, kind: string}} Room */
/** @typedef {{id: string, pseudonym: string, role: string}} Member */
/** @typedef {{board_id: string | null, room_id: string | null, by: {id: string, pseudonym: string} | null}} Spotlight */

/**
 * @typedef {object} PageHooks
 * @property {(event: string, payload: Record<string, unknown>) => Promise<Ack>} request  never rejects
 * @property {(message: string) => void} say
 * @property {import("./clock.js").ClockOffset} clock  the server's clock
 * @property {(id: string) => string} roleOf  "" when unknown
 * @property {() => string | null} boardId  the board shown
 * @property {(boardId: string) => void} follow  show this board of the room (the spotlight)
 * @property {() => void} removed  a facilitator removed us: stop, and say so
 */

/** @type {Hands} */
const NO_HANDS = { room_id: "", queue: [] };

export class Facilitation {
  /**
   * @param {Translate} t
   * @param {PageHooks} page
   */
  constructor(t, page) {
    this.t = t;
    this.page = page;
    /** @type {Member | null} */
    this.me = null;
    /** @type {Room | null} */
    this.room = null;
    /** @type {Timer | null} */
    this.eventTimer = null;
    /** @type {Timer | null} */
    this.roomTimer = null;
    /** @type {Agenda | null} */
    this.agenda = null;
    /** @type {Spotlight | null} */
    this.spotlight = null;
    /** @type {Hands} */
    this.hands = NO_HANDS;
    this.chat = new ChatLog();
    this.cues = new ChatCues();
    /** @type {Set<string>} whom this page saw silenced (facilitators) */
    this.silencedMembers = new Set();
    this.questions = new QuestionBoard();
    const message = (/** @type {string} */ code) => errorMessage(t, { code });
    this.display = new TimerDisplay(t, page.clock);
    this.agendaLine = new AgendaLine(t);
    this.banner = new BroadcastBanner(t);
    this.hand = new HandToggle(t, (up) => this.toggleHand(up), message);
    this.chatPanel = new ChatPanel(t, {
      send: async (text) => {
        const ack = await page.request(CLIENT_EVENTS.chatSend, { text });
        if (!ack.ok) return ack.error?.code ?? "internal";
        if (this.chat.add(ack.message)) this.renderChat();
        return "";
      },
      hide: (messageId, hidden) => this.code(CLIENT_EVENTS.chatHide, { message_id: messageId, hidden }),
      silence: async (memberId, silenced) => {
        const ack = await page.request(CLIENT_EVENTS.chatSilence, { member_id: memberId, silenced });
        if (!ack.ok) return ack.error?.code ?? "internal";
        this.silenced(memberId, silenced);
        return "";
      },
      message,
    });
    this.questionsPanel = new QuestionsPanel(t, {
      ask: async (text, anonymous) => {
        const ack = await page.request(CLIENT_EVENTS.questionAsk, { text, anonymous });
        if (!ack.ok) return ack.error?.code ?? "internal";
        this.questions.put(ack.question);
        this.renderQuestions();
        page.say(t(anonymous ? "questions.asked_anonymously" : "questions.asked"));
        return "";
      },
      upvote: async (id, up) => {
        const ack = await page.request(CLIENT_EVENTS.questionUpvote, { question_id: id, up });
        if (!ack.ok) return ack.error?.code ?? "internal";
        this.questions.put(ack.question);
        this.renderQuestions();
        page.say(t(up ? "questions.upvoted" : "questions.withdrawn", { count: ack.question.votes }));
        return "";
      },
      answer: (id, answered) => this.questionCommand(CLIENT_EVENTS.questionAnswer, { question_id: id, answered }),
      hide: (id, hidden) => this.questionCommand(CLIENT_EVENTS.questionHide, { question_id: id, hidden }),
      pin: async (id) => {
        const ack = await page.request(CLIENT_EVENTS.questionPin, { question_id: id });
        if (!ack.ok) return ack.error?.code ?? "internal";
        this.questions.pinned = ack.pinned ?? null;
        this.renderQuestions();
        return "";
      },
      reorder: () => this.renderQuestions(),
      message,
    });
    this.console = new FacilitationConsole(t, {
      broadcast: async (text, scope) => {
        /** @type {Record<string, unknown>} */
        const payload = { text, scope };
        if (scope === "room") payload.room_id = this.room?.id ?? null;
        return this.code(CLIENT_EVENTS.broadcastSend, payload);
      },
      callNext: async (expected) => {
        const ack = await page.request(CLIENT_EVENTS.handNext, { room_id: this.room?.id ?? null, expected });
        if (!ack.ok) return ack.error?.code ?? "internal";
        this.handsChanged(ack.hands);
        page.say(t("hands.called", { name: ack.called.pseudonym }));
        return "";
      },
      lower: async (memberId) => {
        const ack = await page.request(CLIENT_EVENTS.handLower, { room_id: this.room?.id ?? null, member_id: memberId });
        if (!ack.ok) return ack.error?.code ?? "internal";
        this.handsChanged(ack.hands);
        return "";
      },
      spotlight: async (on) => {
        const ack = await page.request(CLIENT_EVENTS.boardSpotlight, { board_id: on ? page.boardId() : null });
        if (!ack.ok) return ack.error?.code ?? "internal";
        this.spotlight = ack.spotlight;
        this.renderSpotlight();
        page.say(t(on ? "spotlight.started" : "spotlight.ended"));
        return "";
      },
      message,
    });
    this.timerControls = new TimerControls(t, {
      start: (roomId, seconds) =>
        this.timerCommand(CLIENT_EVENTS.timerStart, { room_id: roomId, duration_s: seconds }),
      control: (roomId, action) =>
        this.timerCommand(
          action === "pause"
            ? CLIENT_EVENTS.timerPause
            : action === "resume"
              ? CLIENT_EVENTS.timerResume
              : CLIENT_EVENTS.timerReset,
          { room_id: roomId },
        ),
      extend: (roomId, seconds) => this.timerCommand(CLIENT_EVENTS.timerExtend, { room_id: roomId, seconds }),
      message,
    });
    this.agendaEditor = new AgendaEditor(t, {
      add: (payload) => this.agendaCommand(CLIENT_EVENTS.agendaAdd, payload),
      move: (stepId, position) => this.agendaCommand(CLIENT_EVENTS.agendaMove, { step_id: stepId, position }),
      remove: (stepId) => this.agendaCommand(CLIENT_EVENTS.agendaRemove, { step_id: stepId }),
      setCurrent: (stepId) => this.agendaCommand(CLIENT_EVENTS.agendaSetCurrent, { step_id: stepId }),
      step: async (forward) => {
        const ack = await page.request(forward ? CLIENT_EVENTS.agendaNext : CLIENT_EVENTS.agendaPrevious, {
          from_step: this.agenda?.current ?? null,
        });
        return this.agendaAnswered(ack);
      },
      message,
    });
  }

  get moderator() {
    return MODERATOR_ROLES.includes(this.me?.role ?? "");
  }

  /** @param {import("./connection.js").Connection} connection */
  listen(connection) {
    connection.on(SERVER_EVENTS.timerChanged, (data) => this.timerEvent(data?.kind, data?.timer));
    connection.on(SERVER_EVENTS.timerWarning, (data) => this.timerEvent("warning", data?.timer));
    connection.on(SERVER_EVENTS.timerFinished, (data) => this.timerEvent("finished", data?.timer));
    connection.on(SERVER_EVENTS.broadcast, (data) => {
      this.banner.show(data);
    });
    connection.on(SERVER_EVENTS.boardSpotlight, (data) => this.spotlightEvent(data));
    connection.on(SERVER_EVENTS.handsChanged, (data) => this.handsEvent(data));
    connection.on(SERVER_EVENTS.agendaChanged, (data) => this.agendaEvent(data));
    connection.on(SERVER_EVENTS.chatMessage, (data) => this.chatMessage(data));
    connection.on(SERVER_EVENTS.chatHidden, (data) => {
      if (this.chat.hide(data)) this.renderChat();
    });
    connection.on(SERVER_EVENTS.chatSilenced, (data) => {
      if (data && typeof data.member_id === "string") this.silenced(data.member_id, data.silenced === true, true);
    });
    connection.on(SERVER_EVENTS.questionChanged, (data) => this.questionEvent(data));
    connection.on(SERVER_EVENTS.memberRemoved, () => this.page.removed());
  }

  /**
   * After every `room.enter`: who we are and where; then the state of it all.
   *
   * @param {{me: Member, room: Room}} ack
   */
  async entered(ack) {
    this.me = ack.me;
    this.room = ack.room;
    if (!this.moderator) this.console.root.remove();
    else this.console.root.hidden = false;
    // Observers read the chat and the questions; writing is for contributors (as on the server).
    const contributor = CONTRIBUTOR_ROLES.includes(ack.me.role);
    this.chatPanel.form.hidden = !contributor;
    this.questionsPanel.form.hidden = !contributor;
    await Promise.all([this.loadState(), this.loadChat(), this.loadQuestions()]);
  }

  /**
   * The page moved to another room (`room.moved`): its timer, hands and chat.
   *
   * @param {Room} room
   */
  async moved(room) {
    this.room = room;
    this.roomTimer = null;
    this.hands = NO_HANDS;
    this.chat.reset(room.id, []);
    this.renderAll();
    await Promise.all([this.loadState(), this.loadChat()]);
  }

  /** The board in the spotlight when it is one of the page's room, else null. */
  spotlitHere() {
    const spotlight = this.spotlight;
    return spotlight?.board_id && spotlight.room_id === this.room?.id ? spotlight.board_id : null;
  }

  /** The server's clock was measured: the countdowns are right now. */
  clockSynced() {
    this.display.show(this.eventTimer, this.roomTimer);
    this.display.root.dataset.clock = "synced";
  }

  async loadState() {
    const ack = await this.page.request(CLIENT_EVENTS.facilitationState, {});
    if (!ack.ok) return;
    this.eventTimer = ack.event_timer ?? null;
    this.roomTimer = ack.room_timer ?? null;
    this.agenda = ack.agenda ?? null;
    this.spotlight = ack.spotlight ?? null;
    this.hands = ack.hands ?? NO_HANDS;
    this.chat.silenced = ack.silenced === true;
    this.renderAll();
  }

  async loadChat() {
    const ack = await this.page.request(CLIENT_EVENTS.chatHistory, {});
    if (!ack.ok) return;
    this.chat.reset(ack.room_id, Array.isArray(ack.messages) ? ack.messages : []);
    this.chat.silenced = ack.silenced === true;
    this.renderChat();
  }

  async loadQuestions() {
    const ack = await this.page.request(CLIENT_EVENTS.questionList, {});
    if (!ack.ok) return;
    this.questions.reset(Array.isArray(ack.questions) ? ack.questions : [], ack.pinned ?? null);
    this.renderQuestions();
  }

  // -- requests ------------------------------------------------------------------------------

  /**
   * @param {string} event
   * @param {Record<string, unknown>} payload
   * @returns {Promise<string>} "" when it worked, else the error code
   */
  async code(event, payload) {
    const ack = await this.page.request(event, payload);
    return ack.ok ? "" : (ack.error?.code ?? "internal");
  }

  /**
   * @param {string} event
   * @param {Record<string, unknown>} payload
   */
  async timerCommand(event, payload) {
    const ack = await this.page.request(event, payload);
    if (!ack.ok) return ack.error?.code ?? "internal";
    this.takeTimer(ack.timer);
    return "";
  }

  /**
   * @param {string} event
   * @param {Record<string, unknown>} payload
   */
  async agendaCommand(event, payload) {
    return this.agendaAnswered(
      await this.page.request(event, { ...payload, expected_version: this.agenda?.version ?? null }),
    );
  }

  /** @param {Ack} ack */
  agendaAnswered(ack) {
    if (!ack.ok) return ack.error?.code ?? "internal";
    this.agenda = ack.agenda;
    this.renderAgenda();
    return "";
  }

  /**
   * @param {string} event
   * @param {Record<string, unknown>} payload
   */
  async questionCommand(event, payload) {
    const ack = await this.page.request(event, payload);
    if (!ack.ok) return ack.error?.code ?? "internal";
    this.questions.put(ack.question);
    this.renderQuestions();
    return "";
  }

  /** @param {boolean} up */
  async toggleHand(up) {
    const ack = await this.page.request(up ? CLIENT_EVENTS.handRaise : CLIENT_EVENTS.handLower, {});
    if (!ack.ok) return ack.error?.code ?? "internal";
    this.handsChanged(ack.hands);
    this.page.say(this.t(up ? "hand.announce_raised" : "hand.announce_lowered"));
    return "";
  }

  // -- server events -------------------------------------------------------------------------

  /**
   * A timer from an answer or an event; true when it is one this page shows.
   *
   * @param {Timer} timer
   */
  takeTimer(timer) {
    if (!timer || typeof timer.status !== "string") return false;
    if (timer.scope === "event") this.eventTimer = timer;
    else if (timer.room_id === this.room?.id) this.roomTimer = timer;
    else return false;
    this.renderTimers();
    return true;
  }

  /**
   * @param {string} kind
   * @param {Timer} timer
   */
  timerEvent(kind, timer) {
    if (!this.takeTimer(timer)) return;
    const cue = timerCue(/** @type {any} */ (kind));
    if (!cue) return;
    const name = timer.scope === "event" ? this.t("timer.event") : this.t("timer.room");
    const time = formatCountdown(timerRemaining(timer, this.display.serverNow()));
    if (cue === "started") {
      this.page.say(this.t("timer.announce.started", { name, time: formatCountdown(timer.duration_ms) }));
    } else if (cue === "paused") this.page.say(this.t("timer.announce.paused", { name, time }));
    else if (cue === "resumed") this.page.say(this.t("timer.announce.resumed", { name, time }));
    else if (cue === "extended") this.page.say(this.t("timer.announce.extended", { name, time }));
    else if (cue === "warning") this.page.say(this.t("timer.announce.warning", { name, time }));
    else if (cue === "finished") this.page.say(this.t("timer.announce.finished", { name }));
  }

  /** @param {Spotlight} data */
  spotlightEvent(data) {
    if (!data || !("board_id" in data)) return;
    const before = this.spotlight?.board_id ?? null;
    this.spotlight = data;
    this.renderSpotlight();
    if (data.board_id && data.room_id === this.room?.id) {
      if (data.board_id !== this.page.boardId()) this.page.follow(data.board_id);
      if (data.by?.id !== this.me?.id) this.page.say(this.t("spotlight.announce", { name: data.by?.pseudonym ?? "" }));
    } else if (!data.board_id && before && data.by?.id !== this.me?.id) {
      this.page.say(this.t("spotlight.ended"));
    }
  }

  /** @param {Hands} data */
  handsEvent(data) {
    if (!data || data.room_id !== this.room?.id || !Array.isArray(data.queue)) return;
    const before = new Set(this.hands.queue.map((hand) => hand.member_id));
    this.handsChanged(data);
    const me = this.me?.id;
    if (data.called && data.called.member_id === me) this.page.say(this.t("hand.your_turn"));
    else if (this.moderator) {
      const raised = data.queue.filter((hand) => !before.has(hand.member_id) && hand.member_id !== me);
      for (const hand of raised.slice(0, 3)) this.page.say(this.t("hands.announce_raised", { name: hand.pseudonym }));
    }
  }

  /** @param {Hands} hands */
  handsChanged(hands) {
    if (!hands || hands.room_id !== this.room?.id) return;
    this.hands = hands;
    this.renderHands();
  }

  /** @param {{kind: string, agenda: Agenda, by: {id: string}}} data */
  agendaEvent(data) {
    if (!data?.agenda || !Array.isArray(data.agenda.steps)) return;
    if (this.agenda && data.agenda.version < this.agenda.version) return;
    const before = this.agenda?.current ?? null;
    this.agenda = data.agenda;
    this.renderAgenda();
    const step = currentStep(data.agenda);
    if (step && step.id !== before && data.by?.id !== this.me?.id) {
      this.page.say(this.t("agenda.announce_now", { title: step.title, kind: kindName(this.t, step.kind) }));
    } else if (data.kind === "finished") {
      this.page.say(this.t("agenda.announce_finished"));
    }
  }

  /** @param {Message} message */
  chatMessage(message) {
    if (!this.chat.add(message)) return;
    this.renderChat();
    if (message.author?.id === this.me?.id) return;
    const wait = this.cues.note(message.author?.pseudonym ?? "", Date.now(), this.chatPanel.reading);
    if (wait === null) return;
    setTimeout(() => {
      const cue = this.cues.take(Date.now());
      if (!cue) return;
      this.page.say(
        cue.count === 1 && cue.name
          ? this.t("chat.announce_one", { name: cue.name })
          : this.t("chat.announce_many", { count: cue.count }),
      );
    }, wait);
  }

  /**
   * Someone's chat was silenced or allowed again.
   *
   * @param {string} memberId
   * @param {boolean} on
   * @param {boolean} [told]  from `chat.silenced` (to the member too)
   */
  silenced(memberId, on, told = false) {
    if (on) this.silencedMembers.add(memberId);
    else this.silencedMembers.delete(memberId);
    if (memberId === this.me?.id) {
      this.chat.silenced = on;
      if (told) this.page.say(this.t(on ? "chat.you_silenced" : "chat.you_unsilenced"));
    }
    this.renderChat();
  }

  /** @param {{kind: string, question: Question | null, question_id: string | null, pinned: string | null}} data */
  questionEvent(data) {
    if (!data || typeof data.kind !== "string") return;
    const pinnedBefore = this.questions.pinned;
    this.questions.apply(data);
    this.renderQuestions();
    if (data.kind === "asked" && data.question && !data.question.mine) this.page.say(this.t("questions.announce_new"));
    if (data.kind === "pinned" && data.pinned && data.pinned !== pinnedBefore) {
      const q = this.questions.questions.get(data.pinned);
      if (q) this.page.say(this.t("questions.announce_pinned", { text: q.text }));
    }
    if (data.kind === "answered" && data.question?.mine) this.page.say(this.t("questions.announce_yours_answered"));
  }

  // -- the presence list ---------------------------------------------------------------------

  /**
   * A facilitator's "remove" button for a member of the presence list, or null.
   *
   * @param {Member} member
   * @returns {HTMLElement | null}
   */
  memberActions(member) {
    if (!this.moderator || member.id === this.me?.id) return null;
    const removable = ["participant", "observer"];
    if (this.me?.role === "organizer") removable.push("facilitator");
    if (!removable.includes(member.role)) return null;
    const button = h("button", {
      type: "button",
      class: "secondary small member-remove",
      "data-key": `remove-${member.id}`,
      "aria-label": this.t("remove.label", { name: member.pseudonym }),
      text: this.t("remove.button"),
    });
    button.addEventListener("click", async () => {
      if (!window.confirm(this.t("remove.confirm", { name: member.pseudonym }))) return;
      const code = await this.code(CLIENT_EVENTS.memberRemove, { member_id: member.id });
      this.page.say(code ? errorMessage(this.t, { code }) : this.t("remove.done", { name: member.pseudonym }));
    });
    return button;
  }

  // -- drawing ---------------------------------------------------------------------------------

  renderAll() {
    this.renderTimers();
    this.renderAgenda();
    this.renderHands();
    this.renderSpotlight();
    this.renderChat();
  }

  renderTimers() {
    const breakout = this.room?.kind === "breakout" ? this.room.id : null;
    this.display.show(this.eventTimer, breakout ? this.roomTimer : null);
    if (this.moderator) this.timerControls.render(breakout, this.eventTimer, this.roomTimer);
  }

  renderAgenda() {
    this.agendaLine.render(this.agenda);
    if (this.moderator) this.agendaEditor.render(this.agenda);
  }

  renderHands() {
    const me = this.me;
    const place = me ? this.hands.queue.findIndex((hand) => hand.member_id === me.id) + 1 : 0;
    this.hand.render(me?.role === "participant", handUp(this.hands, me?.id), place);
    if (this.moderator) this.console.renderHands(this.hands);
  }

  renderSpotlight() {
    if (!this.moderator) return;
    const shown = this.page.boardId();
    this.console.renderSpotlight(shown !== null, shown !== null && this.spotlight?.board_id === shown);
  }

  renderChat() {
    this.chatPanel.render({
      messages: this.chat.messages,
      me: this.me?.id ?? "",
      moderator: this.moderator,
      silenced: this.chat.silenced,
      silencedMembers: this.silencedMembers,
      roleOf: this.page.roleOf,
    });
  }

  renderQuestions() {
    this.questionsPanel.render({
      questions: this.questions.sorted(this.questionsPanel.chosenOrder),
      pinned: this.questions.pinned,
      moderator: this.moderator,
      canVote: this.me !== null && this.me.role !== "observer",
    });
  }
}

/** The page after a facilitator removed us: the message, and nothing to click in the room. */
export function showRemoved() {
  byId("removed").hidden = false;
  for (const id of ["facilitation-panels", "room-layout", "facilitation-bar", "facilitation-console"]) {
    const el = document.getElementById(id);
    if (el) el.hidden = true;
  }
  byId("removed").focus();
}
