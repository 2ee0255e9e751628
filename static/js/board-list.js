// @ts-check
/**
 * The boards of the room, in the order the server lists them, and which one is shown.
 */

/** @typedef {{id: string, title: string, seq: number}} BoardSummary */

export class BoardList {
  constructor() {
    /** @type {BoardSummary[]} */
    this.boards = [];
    /** @type {string | null} */
    this.active = null;
  }

  /**
   * The list from `room.enter`; the shown board stays if it still exists, else the first.
   *
   * @param {BoardSummary[]} boards
   * @returns {string | null} the board to show
   */
  reset(boards) {
    this.boards = boards.map((b) => ({ id: b.id, title: b.title, seq: b.seq }));
    if (!this.active || !this.has(this.active)) this.active = this.boards[0]?.id ?? null;
    return this.active;
  }

  /**
   * `room.board` (or our own `board.create`): true when it is new.
   *
   * @param {BoardSummary} board
   */
  add(board) {
    if (!board || typeof board.id !== "string" || this.has(board.id)) return false;
    this.boards.push({ id: board.id, title: board.title, seq: board.seq });
    if (!this.active) this.active = board.id;
    return true;
  }

  /** @param {string} id */
  has(id) {
    return this.boards.some((b) => b.id === id);
  }

  /** @param {string} id */
  title(id) {
    return this.boards.find((b) => b.id === id)?.title ?? "";
  }

  /**
   * The board `step` places from `id` (wrapping), for arrow keys on the tabs.
   *
   * @param {string} id
   * @param {number} step
   */
  neighbour(id, step) {
    const n = this.boards.length;
    if (n === 0) return null;
    const index = this.boards.findIndex((b) => b.id === id);
    return this.boards[((((index < 0 ? 0 : index) + step) % n) + n) % n].id;
  }
}
