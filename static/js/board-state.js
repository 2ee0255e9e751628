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
 *            author: Author | null, position?: string, status?: "visible" | "pending" | "hidden",
 *            created_at: string, updated_at: string}} Idea
 *   `author` is null on anonymous boards (except for one's own ideas).
 * @typedef {{id: string, name: string}} Column
 * @typedef {{board_id: string, seq: number, type: string, idea?: Idea | null, idea_id?: string | null,
 *            ideas?: Idea[] | null}} Change
 *   Changes of type `idea.*` carry the idea as this client may see it, or `idea: null`
 *   (deleted, or no longer visible to this client): remove it. `ideas` (a reveal) lists
 *   ideas to show. Other types (clusters, comments, settings, votes) only move `seq` here.
 * @typedef {{board_id: string, title: string, seq: number, columns: Column[], ideas: Idea[]}} Snapshot
 * @typedef {{ok: true, board_id: string, seq: number, changes?: Change[] | null, snapshot?: Snapshot | null}} SyncAck
 * @typedef {{boardId: string, title: string, seq: number | null, columns: Column[], ideas: Map<string, Idea>}} BoardState
 * @typedef {"applied" | "duplicate" | "gap" | "other-board"} Outcome
 * @typedef {{change: Change, before: Idea | undefined}} Applied
 */

/**
 * A board we know only by id: no snapshot yet (`seq` is null).
 *
 * @param {string} boardId
 * @param {string} [title]
 * @returns {BoardState}
 */
export function emptyBoard(boardId, title = "") {
  return { boardId, title, seq: null, columns: [], ideas: new Map() };
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
    columns: snapshot.columns.map((c) => ({ id: c.id, name: c.name })),
    ideas: new Map(snapshot.ideas.map((idea) => [idea.id, idea])),
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
 * Apply one change if it is the next one. The state is not modified; a new one is returned.
 *
 * @param {BoardState} state
 * @param {Change} change
 * @returns {{state: BoardState, outcome: Outcome, before?: Idea}}
 */
export function applyChange(state, change) {
  const verdict = classify(state, change);
  if (verdict !== "apply") return { state, outcome: verdict };
  const ideas = new Map(state.ideas);
  const id = change.idea?.id ?? change.idea_id ?? undefined;
  const before = id === undefined ? undefined : ideas.get(id);
  if (change.idea) {
    ideas.set(change.idea.id, change.idea);
  } else if (id !== undefined && change.type.startsWith("idea.")) {
    ideas.delete(id);
  }
  for (const idea of change.ideas ?? []) ideas.set(idea.id, idea);
  return { state: { ...state, seq: change.seq, ideas }, outcome: "applied", before };
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
