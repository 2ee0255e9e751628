// @ts-check
/**
 * The client's copy of one idea board, kept in step with the server by sequence numbers.
 *
 * Rules (see `board.changed` in docs/protocol.md): a change whose `seq` is one more than
 * ours is applied; one we already have (`seq` <= ours) is ignored; a gap means we missed
 * something, so we ask `board.sync` for what came after our `seq` (or a snapshot).
 *
 * Pure functions over plain data, plus `LiveBoard`, which drives syncing through an
 * injected request function so that it can be tested without a network.
 */

/**
 * @typedef {{id: string, pseudonym: string, colour: string}} Author
 * @typedef {{id: string, board_id: string, field_id: string, text: string, title?: string,
 *            tags?: string[], colour?: string | null, author: Author | null, position?: string,
 *            cluster_id?: string | null, status?: "visible" | "pending" | "hidden", phase?: string,
 *            merged_from?: string[], reports?: number, review?: Review | null, created_at: string,
 *            updated_at: string}} Idea
 * @typedef {{status: string, feedback: string}} Review
 *   The organizers' answer from the idea store: a status other than "new", and official feedback.
 *   `author` is null on anonymous boards (except for one's own ideas).
 * @typedef {{id: string, name: string}} Column
 * @typedef {{id: string, field_id: string, heading: string, position: string, parent_id: string | null}} Cluster
 * @typedef {{id: string, idea_id: string, text: string, author?: Author | null, hidden?: boolean,
 *            created_at?: string}} Comment
 * @typedef {"collect" | "cluster" | "vote" | "discuss" | "closed"} Phase
 * @typedef {{phase: Phase, silent: boolean, revealed: boolean, locked: boolean, premoderation: boolean,
 *            anonymous: boolean, opens_at?: string | null, closes_at?: string | null}} Settings
 *   `opens_at` … `closes_at`: the window of asynchronous participation (see board-window.js).
 * @typedef {{idea_id: string, field_id: string, dots: number, voters: number, rank: number, tie: boolean,
 *            field_rank: number, field_tie: boolean, merged_from?: string[]}} Result
 * @typedef {{kind: "board" | "columns" | "clusters" | "ideas", ids: string[]}} Scope
 * @typedef {{id: string, round: number, budget: number, cap: number, blind: boolean, scope: Scope,
 *            opened_at?: string, ends_at: string | null, status: "open" | "closed" | "revealed",
 *            results: Result[] | null, moderators_vote?: boolean}} Session
 * @typedef {{session_id: string, dots: Record<string, number>, used: number, remaining: number}} MyDots
 * @typedef {{board_id?: string, session_id: string, voters: number, cast: number, left: number | null,
 *            tallies: Record<string, number> | null}} Progress
 * @typedef {{board_id: string, seq: number, type: string, idea?: Idea | null, idea_id?: string | null,
 *            ideas?: Idea[] | null, cluster_id?: string | null, cluster?: Cluster | null,
 *            comment_id?: string | null, comment?: Comment | null, comments?: Comment[] | null,
 *            settings?: Settings | null, session?: Session | null}} Change
 *   A change carries the new state of what it touched, as this client may see it:
 *   `idea: null` (deleted, or no longer visible to this client), `cluster: null`
 *   (dissolved) and `comment: null` remove it; `ideas` (a reveal) lists ideas to show,
 *   `comments` the comments of ideas that come (back) into view.
 * @typedef {{board_id: string, title: string, seq: number, columns: Column[], ideas: Idea[],
 *            settings?: Settings, clusters?: Cluster[], comments?: Comment[], sessions?: Session[],
 *            my_dots?: MyDots | null, progress?: Progress | null,
 *            window_state?: "not_open_yet" | "open" | "closed" | null}} Snapshot
 * @typedef {{ok: true, board_id: string, seq: number, changes?: Change[] | null, snapshot?: Snapshot | null}} SyncAck
 * @typedef {{boardId: string, title: string, seq: number | null, settings: Settings, columns: Column[],
 *            ideas: Map<string, Idea>, clusters: Map<string, Cluster>, comments: Map<string, Comment>,
 *            sessions: Map<string, Session>, myDots: MyDots | null, progress: Progress | null,
 *            windowState: "not_open_yet" | "open" | "closed" | null}} BoardState
 *   `myDots` and `progress` belong to the open vote; they come with the snapshot and then
 *   from `vote.dots` / `vote.progress` (and `vote.state`), not from changes.
 * @typedef {"applied" | "duplicate" | "gap" | "other-board"} Outcome
 * @typedef {{change: Change, before: Idea | undefined}} Applied
 */

/** @type {Readonly<Settings>} */
export const DEFAULT_SETTINGS = Object.freeze({
  phase: "collect",
  silent: false,
  revealed: false,
  locked: false,
  premoderation: false,
  anonymous: false,
});

/**
 * A board we know only by id: no snapshot yet (`seq` is null).
 *
 * @param {string} boardId
 * @param {string} [title]
 * @returns {BoardState}
 */
export function emptyBoard(boardId, title = "") {
  return {
    boardId,
    title,
    seq: null,
    settings: { ...DEFAULT_SETTINGS },
    columns: [],
    ideas: new Map(),
    clusters: new Map(),
    comments: new Map(),
    sessions: new Map(),
    myDots: null,
    progress: null,
    windowState: null,
  };
}

/**
 * @param {Snapshot} snapshot
 * @returns {BoardState}
 */
export function fromSnapshot(snapshot) {
  return {
    boardId: snapshot.board_id,
    title: snapshot.title,
    seq: snapshot.seq,
    settings: { ...DEFAULT_SETTINGS, ...(snapshot.settings ?? {}) },
    columns: snapshot.columns.map((c) => ({ id: c.id, name: c.name })),
    ideas: new Map(snapshot.ideas.map((idea) => [idea.id, idea])),
    clusters: new Map((snapshot.clusters ?? []).map((cluster) => [cluster.id, cluster])),
    comments: new Map((snapshot.comments ?? []).map((comment) => [comment.id, comment])),
    sessions: new Map((snapshot.sessions ?? []).map((session) => [session.id, session])),
    myDots: snapshot.my_dots ?? null,
    progress: snapshot.progress ?? null,
    windowState: snapshot.window_state ?? null,
  };
}

/**
 * What to do with `change` given our state.
 *
 * @param {BoardState} state
 * @param {Change} change
 * @returns {Outcome | "apply"}
 */
export function classify(state, change) {
  if (change.board_id !== state.boardId) return "other-board";
  if (state.seq === null) return "gap";
  if (change.seq <= state.seq) return "duplicate";
  if (change.seq > state.seq + 1) return "gap";
  return "apply";
}

/**
 * Apply one change if it is the next one. The state is not modified; a new one is returned
 * (sharing the maps the change did not touch).
 *
 * @param {BoardState} state
 * @param {Change} change
 * @returns {{state: BoardState, outcome: Outcome, before?: Idea | undefined}}
 */
export function applyChange(state, change) {
  const verdict = classify(state, change);
  if (verdict !== "apply") return { state, outcome: verdict };
  const area = change.type.split(".")[0];
  /** @type {BoardState} */
  const next = { ...state, seq: change.seq };
  const id = change.idea?.id ?? change.idea_id ?? undefined;
  const before = id === undefined ? undefined : state.ideas.get(id);
  if (change.idea !== undefined || change.ideas || (area === "idea" && id !== undefined)) {
    const ideas = new Map(state.ideas);
    if (change.idea) {
      ideas.set(change.idea.id, change.idea);
    } else if (id !== undefined && area === "idea") {
      ideas.delete(id);
    }
    for (const idea of change.ideas ?? []) ideas.set(idea.id, idea);
    next.ideas = ideas;
  }
  if (area === "cluster") {
    const clusters = new Map(state.clusters);
    if (change.cluster) clusters.set(change.cluster.id, change.cluster);
    else if (change.cluster_id) clusters.delete(change.cluster_id);
    next.clusters = clusters;
  }
  if (area === "comment" || change.comments || next.ideas !== state.ideas) {
    const comments = new Map(state.comments);
    if (area === "comment") {
      if (change.comment) comments.set(change.comment.id, change.comment);
      else if (change.comment_id) comments.delete(change.comment_id);
    }
    // ideas that come (back) into view bring their comments; comments of ideas one does not have go
    for (const comment of change.comments ?? []) comments.set(comment.id, comment);
    for (const [key, comment] of comments) if (!next.ideas.has(comment.idea_id)) comments.delete(key);
    next.comments = comments;
  }
  if (change.settings) next.settings = { ...DEFAULT_SETTINGS, ...change.settings };
  if (change.session) {
    const session = change.session;
    const sessions = new Map(state.sessions);
    sessions.set(session.id, session);
    next.sessions = sessions;
    if (change.type === "vote.opened") {
      next.myDots = { session_id: session.id, dots: {}, used: 0, remaining: session.budget };
      next.progress = {
        board_id: state.boardId,
        session_id: session.id,
        voters: 0,
        cast: 0,
        left: null,
        tallies: session.blind ? null : {},
      };
    } else if (state.myDots?.session_id === session.id) {
      next.myDots = { ...state.myDots, remaining: Math.max(session.budget - state.myDots.used, 0) };
    }
  }
  return { state: next, outcome: "applied", before };
}

/**
 * Apply a `board.sync` answer: a snapshot replaces everything; changes are applied in
 * order. `complete` is false when the changes did not bring us to the answer's `seq`
 * (they had a gap), so the caller should ask for a snapshot.
 *
 * @param {BoardState} state
 * @param {SyncAck} ack
 * @returns {{state: BoardState, complete: boolean, applied: Applied[], snapshot: boolean}}
 */
export function applySync(state, ack) {
  if (ack.snapshot) {
    return { state: fromSnapshot(ack.snapshot), complete: true, applied: [], snapshot: true };
  }
  /** @type {Applied[]} */
  const applied = [];
  let current = state;
  for (const change of ack.changes ?? []) {
    const result = applyChange(current, change);
    if (result.outcome === "gap") return { state: current, complete: false, applied, snapshot: false };
    if (result.outcome === "applied") applied.push({ change, before: result.before });
    current = result.state;
  }
  const complete = current.seq !== null && current.seq >= ack.seq;
  return { state: current, complete, applied, snapshot: false };
}

/**
 * Order of ideas in a column: by their ordering key (`position`, compared as strings)
 * where the server sends one, else oldest first; ties broken by id, so every client agrees.
 *
 * @param {Idea} a
 * @param {Idea} b
 * @returns {number}
 */
export function compareIdeas(a, b) {
  for (const key of /** @type {const} */ (["position", "created_at", "id"])) {
    const x = a[key] ?? "";
    const y = b[key] ?? "";
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * The ideas of one column, in board order.
 *
 * @param {BoardState} state
 * @param {string} columnId
 * @returns {Idea[]}
 */
export function columnIdeas(state, columnId) {
  return [...state.ideas.values()].filter((idea) => idea.field_id === columnId).sort(compareIdeas);
}

/**
 * The name of a column, or its id when the board does not know it.
 *
 * @param {BoardState} state
 * @param {string} columnId
 */
export function columnName(state, columnId) {
  return state.columns.find((c) => c.id === columnId)?.name ?? columnId;
}

/**
 * Keeps a `BoardState` in step: applies pushed changes in order, syncs on gaps and on
 * (re)connect, and queues changes that arrive while a sync is running.
 */
export class LiveBoard {
  /**
   * @param {string} boardId
   * @param {(since: number | null) => Promise<SyncAck>} requestSync  answers `board.sync`; rejects on failure
   * @param {(state: BoardState, applied: Applied[], snapshot: boolean) => void} onUpdate
   */
  constructor(boardId, requestSync, onUpdate) {
    /** @type {BoardState} */
    this.state = emptyBoard(boardId);
    this.requestSync = requestSync;
    this.onUpdate = onUpdate;
    /** @type {Change[]} */
    this.queue = [];
    /** @type {Promise<void> | null} */
    this.running = null;
    this.again = false;
  }

  /**
   * Bring the board up to date (since our `seq`, or a snapshot when we have none).
   * Concurrent calls share one run; a call during a run causes one more round after it.
   *
   * @returns {Promise<void>}
   */
  sync() {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this._run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** @returns {Promise<void>} */
  async _run() {
    let since = this.state.seq;
    for (let round = 0; round < 10; round += 1) {
      this.again = false;
      const ack = await this.requestSync(since);
      const result = applySync(this.state, ack);
      this.state = result.state;
      const applied = [...result.applied];
      let gap = !result.complete;
      if (!gap) {
        const queued = this.queue;
        this.queue = [];
        for (const change of queued) {
          const step = applyChange(this.state, change);
          if (step.outcome === "gap") {
            gap = true;
            this.queue.push(change);
            continue;
          }
          if (step.outcome === "applied") applied.push({ change, before: step.before });
          this.state = step.state;
        }
      }
      if (result.snapshot || applied.length > 0) this.onUpdate(this.state, applied, result.snapshot);
      if (!gap && !this.again) {
        this.queue = [];
        return;
      }
      // An incomplete answer asks for a snapshot; otherwise continue from where we are.
      since = result.complete ? this.state.seq : null;
    }
    throw new Error("board.sync did not converge");
  }

  /**
   * Load the board whole again (a snapshot): for what changes without a change, such as whether
   * its window is open now.
   *
   * @returns {Promise<void>}
   */
  resnapshot() {
    this.state = { ...this.state, seq: null };
    return this.sync();
  }

  /**
   * A pushed `board.changed`.
   *
   * @param {Change} change
   * @returns {Outcome | "queued"}
   */
  receive(change) {
    if (change.board_id !== this.state.boardId) return "other-board";
    if (this.running) {
      this.queue.push(change);
      return "queued";
    }
    const step = applyChange(this.state, change);
    if (step.outcome === "applied") {
      this.state = step.state;
      this.onUpdate(this.state, [{ change, before: step.before }], false);
    } else if (step.outcome === "gap") {
      this.queue.push(change);
      this.sync().catch(() => {
        // The connection layer resyncs on the next (re)connect.
      });
    }
    return step.outcome;
  }

  /**
   * Change what is not sequenced (your dots, the vote's progress) and show it.
   *
   * @param {(state: BoardState) => BoardState} change
   */
  update(change) {
    const next = change(this.state);
    if (next === this.state) return;
    this.state = next;
    this.onUpdate(this.state, [], false);
  }

  /**
   * Our own mutation was acknowledged at `seq`. Its `board.changed` travels on the same
   * connection ahead of the acknowledgement, so being behind means we missed something.
   *
   * @param {number} seq
   */
  acknowledged(seq) {
    if (this.state.seq === null || seq > this.state.seq) {
      this.sync().catch(() => {});
    }
  }
}
