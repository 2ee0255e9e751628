// @ts-check
/**
 * Who is present in the event: one entry per member, sorted like the server sorts.
 */

/** @typedef {{id: string, pseudonym: string, colour: string, role: string}} Member */

export class PresenceList {
  constructor() {
    /** @type {Map<string, Member>} */
    this.members = new Map();
  }

  /**
   * Replace everyone (the answer of `room.enter`).
   *
   * @param {Member[]} members
   */
  reset(members) {
    this.members = new Map(members.map((m) => [m.id, m]));
  }

  /**
   * `presence.joined`: true when the member was not listed yet.
   *
   * @param {Member} member
   * @returns {boolean}
   */
  add(member) {
    const known = this.members.has(member.id);
    this.members.set(member.id, member);
    return !known;
  }

  /**
   * `presence.left`: the member who left, if they were listed.
   *
   * @param {string} memberId
   * @returns {Member | undefined}
   */
  remove(memberId) {
    const member = this.members.get(memberId);
    this.members.delete(memberId);
    return member;
  }

  get size() {
    return this.members.size;
  }

  /** @returns {Member[]} by pseudonym (case-insensitive), then id */
  sorted() {
    return [...this.members.values()].sort((a, b) => {
      const x = a.pseudonym.toLocaleLowerCase();
      const y = b.pseudonym.toLocaleLowerCase();
      if (x !== y) return x < y ? -1 : 1;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
  }
}
