// @ts-check
/**
 * The board as DOM: columns (one per field of action), clusters (nested lists under a
 * heading) and idea cards with everything one can do with them — edit, delete, move
 * (buttons, Alt+arrow keys, drag and drop), select for grouping, comments, report,
 * moderate, and dots while a vote is open.
 *
 * A card is a note: its text first, who wrote it and the counts small, its actions in a menu
 * behind one button (`card-menu.js`). The clusters are drawn by `cluster-view.js`, the
 * comments under a card by `idea-comments.js`.
 *
 * Elements are kept per idea and cluster and only updated and moved, so that focus and
 * open editors survive live changes. What the buttons do is the page's business
 * (`BoardActions`); this module only renders and forwards.
 */

import { mayChangeField, mayDelete, mayEdit } from "./abilities.js";
import {
  columnClusters,
  columnTree,
  commentsOf,
  moveDown,
  moveUp,
  neighbourColumn,
} from "./board-layout.js";
import { columnIdeas } from "./board-state.js";
import { CardMenu } from "./card-menu.js";
import { fillReview } from "./idea-review.js";
import { initial, swatchClass } from "./colours.js";
import * as clusterView from "./cluster-view.js";
import { clusterName, sameOptions } from "./cluster-view.js";
import { h, showError } from "./dom.js";
import * as ideaComments from "./idea-comments.js";
import { IDEA_COLOURS } from "./protocol.js";
import { dotsOn, myDots, openSession, tallyOf, votable } from "./voting.js";

/** @typedef {import("./board-state.js").BoardState} BoardState */
/** @typedef {import("./board-state.js").Idea} Idea */
/** @typedef {import("./board-state.js").Cluster} Cluster */
/** @typedef {import("./board-layout.js").Node} LayoutNode */
/** @typedef {import("./abilities.js").Abilities} Abilities */
/** @typedef {import("./i18n.js").Translate} Translate */

/**
 * What the page knows besides the board, for rendering.
 *
 * @typedef {object} ViewContext
 * @property {BoardState} state
 * @property {Abilities} can
 * @property {string | undefined} me  the member's id
 * @property {Map<string, string>} editors  idea id → who else edits it (a name, or "" when anonymous)
 * @property {Set<string>} selected  ideas selected for grouping or merging
 * @property {Set<string>} reported  ideas this member reported
 */

/**
 * What the buttons do. Each returns the error code (or "" when it worked), so the view can
 * show it at the right place; the page announces successes.
 *
 * @typedef {object} BoardActions
 * @property {(id: string, fields: {text?: string, title?: string, tags?: string[], colour?: string, field_id?: string}) => Promise<string>} edit
 * @property {(id: string) => Promise<string>} remove
 * @property {(id: string, target: {field_id: string, after_id: string | null}, how: string) => Promise<string>} move
 * @property {(id: string, clusterId: string | null) => Promise<string>} assign
 * @property {(ids: string[]) => Promise<string>} group
 * @property {(id: string, on: boolean) => void} select
 * @property {(id: string) => Promise<string>} report
 * @property {(id: string, action: "approve" | "hide" | "restore") => Promise<string>} moderate
 * @property {(id: string, text: string) => Promise<string>} comment
 * @property {(commentId: string) => Promise<string>} deleteComment
 * @property {(commentId: string, hidden: boolean) => Promise<string>} moderateComment
 * @property {(clusterId: string, heading: string) => Promise<string>} renameCluster
 * @property {(clusterId: string, parentId: string | null) => Promise<string>} nestCluster
 * @property {(clusterId: string) => Promise<string>} dissolveCluster
 * @property {(id: string, add: boolean) => Promise<string>} dot
 * @property {(ideaId: string | null) => void} editing
 * @property {(message: string) => void} say
 * @property {(code: string) => string} message  the text for an error code
 */

/**
 * @typedef {object} ColumnView
 * @property {HTMLElement} section
 * @property {HTMLSpanElement} name
 * @property {HTMLSpanElement} count
 * @property {HTMLUListElement} list
 * @property {HTMLParagraphElement} empty
 */

/**
 * @typedef {object} IdeaView
 * @property {string} id
 * @property {HTMLLIElement} li
 * @property {HTMLElement} selectBox
 * @property {HTMLInputElement} select
 * @property {HTMLParagraphElement} title
 * @property {HTMLParagraphElement} text
 * @property {HTMLParagraphElement} tags
 * @property {HTMLParagraphElement} badges
 * @property {HTMLDivElement} review  the organizers' status and feedback (idea-review.js)
 * @property {HTMLSpanElement} avatar
 * @property {HTMLSpanElement} author
 * @property {HTMLSpanElement} counts  small counts beside the author (comments)
 * @property {HTMLDivElement} vote
 * @property {HTMLSpanElement} dotMarks
 * @property {HTMLSpanElement} myDots
 * @property {HTMLButtonElement} dotAdd
 * @property {HTMLButtonElement} dotRemove
 * @property {HTMLSpanElement} tally
 * @property {CardMenu} menu  the card's actions
 * @property {Record<string, HTMLButtonElement>} buttons  the menu's items
 * @property {HTMLDivElement | null} movePanel  built when opened
 * @property {HTMLElement | null} moveFieldRow  the choice of another field: authors' and facilitators'
 * @property {HTMLSelectElement | null} moveColumn
 * @property {HTMLSelectElement | null} moveCluster
 * @property {HTMLDivElement} comments
 * @property {HTMLUListElement} commentList
 * @property {HTMLParagraphElement} commentsEmpty
 * @property {HTMLFormElement} commentForm
 * @property {HTMLTextAreaElement} commentText
 * @property {HTMLParagraphElement} commentError
 * @property {string} commentKey
 * @property {HTMLDivElement} confirm
 * @property {HTMLButtonElement} confirmButton
 * @property {HTMLParagraphElement} error
 * @property {HTMLFormElement | null} editForm
 */

/**
 * @typedef {object} ClusterView
 * @property {string} id
 * @property {HTMLLIElement} li
 * @property {HTMLHeadingElement} heading
 * @property {HTMLSpanElement} name
 * @property {HTMLSpanElement} count
 * @property {CardMenu} menu  the cluster's actions
 * @property {HTMLFormElement} renameForm
 * @property {HTMLInputElement} renameInput
 * @property {HTMLDivElement} nestPanel
 * @property {HTMLSelectElement} nestSelect
 * @property {HTMLUListElement} list
 * @property {HTMLParagraphElement} error
 */

const ARROWS = Object.freeze({ ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" });

export class BoardView {
  /**
   * @param {HTMLElement} root  the `#board` element
   * @param {Translate} t
   * @param {BoardActions} actions
   */
  constructor(root, t, actions) {
    this.root = root;
    this.t = t;
    this.actions = actions;
    /** @type {Map<string, ColumnView>} */
    this.columns = new Map();
    /** @type {Map<string, IdeaView>} */
    this.ideas = new Map();
    /** @type {Map<string, ClusterView>} */
    this.clusters = new Map();
    /** @type {ViewContext | null} */
    this.ctx = null;
    /** @type {string | null} the idea being dragged */
    this.dragging = null;
    /** @type {Set<string>} ideas whose deletion this page asked for */
    this.deleting = new Set();
    /** @type {CardMenu | null} the card menu that is open */
    this.openMenu = null;
    // On a phone the board scrolls sideways: then it takes the focus, for the arrow keys.
    const narrow = window.matchMedia("(max-width: 40rem)");
    const scrollable = () => {
      if (narrow.matches) root.setAttribute("tabindex", "0");
      else root.removeAttribute("tabindex");
    };
    narrow.addEventListener("change", scrollable);
    scrollable();
    document.addEventListener("click", (event) => {
      const target = /** @type {Node | null} */ (event.target);
      if (this.openMenu && target && !this.openMenu.contains(target)) this.openMenu.set(false);
    });
  }

  /**
   * One card menu is open at a time.
   *
   * @param {CardMenu} menu
   * @param {boolean} open
   */
  menuToggled(menu, open) {
    if (open && this.openMenu && this.openMenu !== menu) this.openMenu.set(false);
    if (open) this.openMenu = menu;
    else if (this.openMenu === menu) this.openMenu = null;
  }

  /** Forget everything (another board is shown). */
  clear() {
    this.root.replaceChildren();
    this.columns.clear();
    this.ideas.clear();
    this.clusters.clear();
    this.ctx = null;
  }

  // -- rendering ---------------------------------------------------------------------------

  /** @param {ViewContext} ctx */
  render(ctx) {
    this.ctx = ctx;
    const { state } = ctx;
    this.root.setAttribute("aria-busy", "false");
    const focused = document.activeElement;
    /** @type {HTMLElement | null} */
    let refocus = null;

    for (const [id, view] of this.ideas) {
      if (state.ideas.has(id)) continue;
      if (focused && view.li.contains(focused)) refocus = this.focusAfterRemoval(view.li);
      view.li.remove();
      this.ideas.delete(id);
      if (view.editForm) this.actions.editing(null);
    }
    for (const [id, view] of this.clusters) {
      if (state.clusters.has(id)) continue;
      if (focused && view.li.contains(focused) && !refocus) refocus = this.focusAfterRemoval(view.li);
      view.li.remove();
      this.clusters.delete(id);
    }

    const wanted = new Set(state.columns.map((c) => c.id));
    for (const [id, column] of this.columns) {
      if (!wanted.has(id)) {
        column.section.remove();
        this.columns.delete(id);
      }
    }
    state.columns.forEach((column, index) => {
      const view = this.columns.get(column.id) ?? this.createColumn(column.id);
      if (this.root.children[index] !== view.section) {
        this.root.insertBefore(view.section, this.root.children[index] ?? null);
      }
      view.name.textContent = column.name;
      const tree = columnTree(state, column.id);
      const count = columnIdeas(state, column.id).length;
      view.count.textContent = this.t("board.count", { count });
      view.empty.hidden = tree.length > 0;
      this.place(view.list, tree);
    });

    if (refocus && refocus.isConnected) refocus.focus();
    else if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) {
      focused.focus(); // moved to another place on the board
    }
  }

  /**
   * Put the nodes into a list in order, creating and updating their elements.
   *
   * @param {HTMLElement} list
   * @param {LayoutNode[]} nodes
   */
  place(list, nodes) {
    nodes.forEach((node, index) => {
      let li;
      if (node.kind === "idea") {
        const view = this.ideas.get(node.id) ?? this.createIdea(node.id);
        this.updateIdea(view, node.idea);
        li = view.li;
      } else {
        const view = this.clusters.get(node.id) ?? this.createCluster(node.id);
        this.updateCluster(view, node.cluster, node.count);
        this.place(view.list, node.children);
        li = view.li;
      }
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
    });
    while (list.children.length > nodes.length) list.lastElementChild?.remove();
  }

  /**
   * Where focus goes when the element holding it disappears: a button of the next or the
   * previous item, or the column's heading.
   *
   * @param {HTMLElement} li
   * @returns {HTMLElement | null}
   */
  focusAfterRemoval(li) {
    for (const sibling of [li.nextElementSibling, li.previousElementSibling]) {
      const control = sibling?.querySelector("button:not([hidden]), input:not([hidden])");
      if (control instanceof HTMLElement && control.offsetParent !== null) return control;
    }
    const section = li.closest("section");
    return section?.querySelector("h3") ?? null;
  }

  /** @param {string} id */
  createColumn(id) {
    const t = this.t;
    const headingId = `col-${id}-heading`;
    const name = h("span", { class: "column-name" });
    const count = h("span", { class: "column-count" });
    const heading = h("h3", { id: headingId, tabindex: "-1" }, name, " ", count);
    const list = h("ul", { class: "ideas", "aria-labelledby": headingId });
    const empty = h("p", { class: "empty", text: t("board.empty") });
    const section = h("section", { class: "column", "aria-labelledby": headingId }, heading, list, empty);
    section.dataset.columnId = id;
    // Dropping on the column (not on a card) moves the idea to its end.
    section.addEventListener("dragover", (event) => {
      if (!this.mayDropIn(id)) return;
      event.preventDefault();
      section.classList.add("drop-column");
    });
    section.addEventListener("dragleave", (event) => {
      if (!section.contains(/** @type {Node | null} */ (event.relatedTarget))) section.classList.remove("drop-column");
    });
    section.addEventListener("drop", (event) => {
      section.classList.remove("drop-column");
      const dragged = this.dragging;
      if (!dragged || !this.ctx || !this.mayDropIn(id)) return;
      event.preventDefault();
      this.dragging = null;
      const order = columnIdeas(this.ctx.state, id).filter((i) => i.id !== dragged);
      this.run(dragged, this.actions.move(dragged, { field_id: id, after_id: order.at(-1)?.id ?? null }, "drop"));
    });
    /** @type {ColumnView} */
    const view = { section, name, count, list, empty };
    this.columns.set(id, view);
    return view;
  }

  // -- ideas -----------------------------------------------------------------------------

  /** @param {string} id */
  createIdea(id) {
    const t = this.t;
    const base = `idea-${id}`;
    const textId = `${base}-text`;
    /** @param {string} key @param {string} [cls] */
    const button = (key, cls = "secondary") => {
      const b = h("button", { type: "button", class: cls, text: t(key) });
      b.setAttribute("aria-describedby", textId);
      return b;
    };
    const select = h("input", { type: "checkbox", id: `${base}-select`, "aria-describedby": textId });
    const selectBox = h(
      "p",
      { class: "idea-select" },
      select,
      " ",
      h("label", { for: select.id, text: t("select.idea") }),
    );
    const title = h("p", { class: "idea-title", hidden: true });
    const text = h("p", { class: "idea-text", id: textId });
    const tags = h("p", { class: "idea-tags", hidden: true });
    const badges = h("p", { class: "idea-badges", hidden: true });
    const review = h("div", { class: "idea-review", hidden: true });
    const avatar = h("span", { class: "avatar", "aria-hidden": "true" });
    const author = h("span", { class: "idea-author" });
    const counts = h("span", { class: "idea-counts", hidden: true });

    const dotMarks = h("span", { class: "dot-marks", "aria-hidden": "true" });
    const myDotsText = h("span", { class: "my-dots" });
    const dotAdd = button("vote.add", "dot-add");
    const dotRemove = button("vote.remove", "secondary dot-remove");
    const tally = h("span", { class: "tally", hidden: true });
    const vote = h("div", { class: "idea-vote", hidden: true }, dotMarks, myDotsText, dotAdd, dotRemove, tally);

    // The menu's items, in the order shown; deleting last, apart from the rest.
    const buttons = {
      edit: button("board.edit", "menu-item"),
      move: button("move.open", "menu-item"),
      comments: button("comments.show", "menu-item"),
      takeOut: button("cluster.take_out", "menu-item"),
      report: button("idea.report", "menu-item"),
      approve: button("moderate.approve", "menu-item"),
      hide: button("moderate.hide", "menu-item"),
      restore: button("moderate.restore", "menu-item"),
      delete: button("board.delete", "menu-item menu-danger"),
    };
    buttons.move.setAttribute("aria-keyshortcuts", "Alt+ArrowUp Alt+ArrowDown Alt+ArrowLeft Alt+ArrowRight");
    const menu = new CardMenu(`${base}-menu`, t("card.actions"), textId, (which, open) => this.menuToggled(which, open));

    // Comments.
    const commentList = h("ul", { class: "comments" });
    const commentsEmpty = h("p", { class: "empty", text: t("comments.none") });
    const commentText = h("textarea", { id: `${base}-comment-text`, rows: "2", maxlength: "1000" });
    const commentError = h("p", { class: "error", id: `${base}-comment-error`, role: "alert", hidden: true });
    const commentForm = h(
      "form",
      { class: "comment-form" },
      h("label", { for: commentText.id, text: t("comments.label") }),
      commentText,
      h("button", { type: "submit", class: "secondary", text: t("comments.post") }),
      commentError,
    );
    const comments = h(
      "div",
      { class: "idea-comments", id: `${base}-comments`, hidden: true },
      commentList,
      commentsEmpty,
      commentForm,
    );

    const commentsClose = h("button", { type: "button", class: "secondary", text: t("move.close") });
    comments.append(h("p", { class: "buttons" }, commentsClose));
    const confirmText = h("p", { id: `${base}-confirm`, text: t("board.delete_confirm") });
    const confirmButton = h("button", { type: "button", class: "danger", text: t("board.delete") });
    const cancelButton = h("button", { type: "button", class: "secondary", text: t("board.cancel") });
    const confirm = h(
      "div",
      { class: "idea-confirm", role: "group", "aria-labelledby": `${base}-confirm`, hidden: true },
      confirmText,
      confirmButton,
      cancelButton,
    );
    const error = h("p", { class: "error", id: `${base}-error`, role: "alert", hidden: true });
    const li = h(
      "li",
      { class: "idea", id: base },
      title,
      text,
      tags,
      badges,
      review,
      vote,
      h(
        "div",
        { class: "idea-foot" },
        selectBox,
        h("p", { class: "idea-meta" }, avatar, " ", author, counts),
        menu.button,
      ),
      menu.list,
      comments,
      confirm,
      error,
    );
    li.dataset.ideaId = id;

    /** @type {IdeaView} */
    const view = {
      id,
      li,
      selectBox,
      select,
      title,
      text,
      tags,
      badges,
      review,
      avatar,
      author,
      counts,
      vote,
      dotMarks,
      myDots: myDotsText,
      dotAdd,
      dotRemove,
      tally,
      menu,
      buttons,
      movePanel: null,
      moveFieldRow: null,
      moveColumn: null,
      moveCluster: null,
      comments,
      commentList,
      commentsEmpty,
      commentForm,
      commentText,
      commentError,
      commentKey: "",
      confirm,
      confirmButton,
      error,
      editForm: null,
    };

    select.addEventListener("change", () => this.actions.select(id, select.checked));
    /**
     * An action whose result shows on the card: the focus goes back to the menu's button.
     *
     * @param {() => Promise<string>} act
     */
    const runHere = (act) => {
      menu.focus();
      this.run(id, act());
    };
    menu.add(buttons.edit, () => this.startEdit(id));
    menu.add(buttons.move, () => this.toggleMove(id, true));
    menu.add(buttons.comments, () => this.toggleComments(id, true));
    menu.add(buttons.takeOut, () => runHere(() => this.actions.assign(id, null)));
    menu.add(buttons.report, () => runHere(() => this.actions.report(id)));
    menu.add(buttons.approve, () => runHere(() => this.actions.moderate(id, "approve")));
    menu.add(buttons.hide, () => runHere(() => this.actions.moderate(id, "hide")));
    menu.add(buttons.restore, () => runHere(() => this.actions.moderate(id, "restore")));
    menu.add(buttons.delete, () => this.askDelete(id));
    commentsClose.addEventListener("click", () => this.toggleComments(id, false));
    comments.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.toggleComments(id, false);
      }
    });
    confirmButton.addEventListener("click", () => this.confirmDelete(id));
    cancelButton.addEventListener("click", () => this.cancelDelete(id));
    confirm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.cancelDelete(id);
      }
    });
    dotAdd.addEventListener("click", () => this.dot(id, true));
    dotRemove.addEventListener("click", () => this.dot(id, false));
    commentForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      showError(commentError, commentText, "");
      const code = await this.actions.comment(id, commentText.value);
      if (code) showError(commentError, commentText, this.actions.message(code));
      else commentText.value = "";
    });
    li.addEventListener("keydown", (event) => this.onCardKey(id, event));
    this.wireDrag(view);
    this.ideas.set(id, view);
    return view;
  }

  /**
   * @param {IdeaView} view
   * @param {Idea} idea
   */
  updateIdea(view, idea) {
    const ctx = /** @type {ViewContext} */ (this.ctx);
    const { state, can, me } = ctx;
    const t = this.t;
    const mine = !!me && idea.author?.id === me;

    view.li.className = `idea${idea.colour ? ` card-${IDEA_COLOURS.includes(idea.colour) ? idea.colour : "yellow"}` : ""}`;
    view.li.classList.toggle("selected", ctx.selected.has(idea.id));
    view.li.classList.toggle("idea-muted", idea.status === "hidden" || idea.status === "pending");
    view.li.draggable = can.arrange && !view.editForm;

    view.selectBox.hidden = !can.select || idea.status !== "visible";
    view.select.checked = ctx.selected.has(idea.id);

    view.title.textContent = idea.title ?? "";
    view.title.hidden = !idea.title || !!view.editForm;
    view.text.textContent = idea.text;
    view.text.hidden = view.editForm !== null;
    const tags = idea.tags ?? [];
    view.tags.hidden = tags.length === 0 || !!view.editForm;
    view.tags.replaceChildren(
      h("span", { class: "visually-hidden", text: t("board.tags_label") }),
      ...tags.map((tag) => h("span", { class: "tag", text: tag })),
    );

    /** @type {HTMLElement[]} */
    const badges = [];
    if (idea.status && idea.status !== "visible") {
      badges.push(h("span", { class: `badge badge-${idea.status}`, text: t(`board.status.${idea.status}`) }));
    }
    if (can.moderator && (idea.reports ?? 0) > 0) {
      badges.push(
        h("span", { class: "badge badge-reported", text: t("board.reported", { count: idea.reports ?? 0 }) }),
      );
    }
    if ((idea.merged_from ?? []).length > 0) {
      badges.push(h("span", { class: "badge", text: t("board.merged", { count: (idea.merged_from ?? []).length }) }));
    }
    const editor = ctx.editors.get(idea.id);
    if (editor !== undefined) {
      badges.push(
        h("span", {
          class: "badge badge-editing",
          text: editor ? t("board.editing_by", { name: editor }) : t("board.editing_someone"),
        }),
      );
    }
    view.badges.replaceChildren(...badges.flatMap((b, i) => (i ? [" ", b] : [b])));
    view.badges.hidden = badges.length === 0;

    fillReview(t, view.review, idea);

    view.avatar.className = idea.author ? `avatar ${swatchClass(idea.author.colour)}` : "avatar avatar-anonymous";
    view.avatar.textContent = idea.author ? initial(idea.author.pseudonym) : "?";
    view.author.textContent = t("board.by", { name: idea.author?.pseudonym ?? t("board.anonymous") });

    this.updateVote(view, idea);

    const b = view.buttons;
    const visible = (idea.status ?? "visible") === "visible";
    b.edit.hidden = !mayEdit(can, idea, me);
    b.delete.hidden = !mayDelete(can, idea, me);
    b.move.hidden = !can.arrange;
    const comments = commentsOf(state, idea.id);
    view.counts.hidden = comments.length === 0;
    view.counts.textContent = t("card.comments", { count: comments.length });
    b.comments.textContent = t("comments.show", { count: comments.length });
    b.comments.hidden = comments.length === 0 && !(can.comment && (visible || can.moderator));
    b.report.hidden = !can.contributor || mine || can.moderator || ctx.reported.has(idea.id) || !visible;
    b.approve.hidden = !can.moderator || idea.status !== "pending";
    b.hide.hidden = !can.moderator || idea.status === "hidden";
    b.restore.hidden = !can.moderator || idea.status !== "hidden";
    b.takeOut.hidden = !can.arrange || !idea.cluster_id || !state.clusters.has(idea.cluster_id);
    view.menu.sync();
    if (!can.arrange && view.movePanel) this.toggleMove(idea.id, false);
    if (view.movePanel) this.fillMove(view, idea);
    if (!view.comments.hidden) this.fillComments(view, idea);
  }

  /**
   * @param {IdeaView} view
   * @param {Idea} idea
   */
  updateVote(view, idea) {
    const ctx = /** @type {ViewContext} */ (this.ctx);
    const { state, can } = ctx;
    const t = this.t;
    const session = openSession(state);
    const show = !!session && votable(state, session, idea);
    view.vote.hidden = !show;
    if (!show || !session) return;
    const mine = dotsOn(state, idea.id);
    const left = myDots(state)?.remaining ?? session.budget;
    view.dotMarks.textContent = "●".repeat(mine) + "○".repeat(Math.max(session.cap - mine, 0));
    view.myDots.textContent = t("vote.mine", { count: mine });
    const voter = can.vote;
    view.dotAdd.hidden = !voter;
    view.dotRemove.hidden = !voter;
    view.dotMarks.hidden = !voter;
    view.myDots.hidden = !voter;
    view.dotAdd.setAttribute("aria-disabled", String(left <= 0 || mine >= session.cap));
    view.dotRemove.setAttribute("aria-disabled", String(mine <= 0));
    const tally = tallyOf(state, idea.id);
    view.tally.hidden = tally === null;
    view.tally.textContent = tally === null ? "" : t("vote.tally", { count: tally });
  }

  /**
   * @param {string} id
   * @param {boolean} add
   */
  async dot(id, add) {
    const view = this.ideas.get(id);
    const state = this.ctx?.state;
    const session = state ? openSession(state) : null;
    if (!view || !state || !session) return;
    if (add) {
      const left = myDots(state)?.remaining ?? session.budget;
      if (left <= 0) return this.actions.say(this.t("error.budget_exhausted"));
      if (dotsOn(state, id) >= session.cap) return this.actions.say(this.t("error.cap_reached"));
    } else if (dotsOn(state, id) <= 0) {
      return this.actions.say(this.t("error.no_dot"));
    }
    await this.run(id, this.actions.dot(id, add));
  }

  /**
   * Run an action of a card; show its error on the card.
   *
   * @param {string} id
   * @param {Promise<string>} pending
   */
  async run(id, pending) {
    const code = await pending;
    const view = this.ideas.get(id);
    if (view) showError(view.error, null, code ? this.actions.message(code) : "");
  }

  // -- moving ------------------------------------------------------------------------------

  /**
   * Alt+arrow keys on a card move it: up and down among its neighbours, left and right
   * into the neighbouring column.
   *
   * @param {string} id
   * @param {KeyboardEvent} event
   */
  onCardKey(id, event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const direction = ARROWS[/** @type {keyof typeof ARROWS} */ (event.key)];
    if (!direction) return;
    const target = /** @type {HTMLElement} */ (event.target);
    if (target.closest("textarea, input:not([type=checkbox]), select, form")) return;
    if (!this.ctx?.can.arrange) return;
    event.preventDefault();
    this.moveBy(id, direction);
  }

  /**
   * @param {string} id
   * @param {string} direction  up, down, left or right
   */
  moveBy(id, direction) {
    const state = this.ctx?.state;
    const idea = state?.ideas.get(id);
    if (!state || !idea) return;
    let target = null;
    if (direction === "up") target = moveUp(state, id);
    else if (direction === "down") target = moveDown(state, id);
    else {
      if (this.ctx && !mayChangeField(this.ctx.can, idea, this.ctx.me)) {
        this.actions.say(this.t("move.field_forbidden"));
        return;
      }
      const column = neighbourColumn(state, idea.field_id, direction === "left" ? -1 : 1);
      if (column) {
        const order = columnIdeas(state, column).filter((i) => i.id !== id);
        target = { field_id: column, after_id: order.at(-1)?.id ?? null };
      }
    }
    if (!target) {
      this.actions.say(this.t(direction === "up" || direction === "left" ? "move.at_start" : "move.at_end"));
      return;
    }
    this.run(id, this.actions.move(id, target, direction));
  }

  /**
   * Open or close the move panel (built when opened: its choices follow the board).
   *
   * @param {string} id
   * @param {boolean} [open]
   */
  toggleMove(id, open) {
    const view = this.ideas.get(id);
    const idea = this.ctx?.state.ideas.get(id);
    if (!view || !idea) return;
    const show = open ?? !view.movePanel;
    if (show && !view.movePanel) {
      view.movePanel = this.createMovePanel(id);
      view.menu.list.after(view.movePanel);
    } else if (!show && view.movePanel) {
      const hadFocus = view.movePanel.contains(document.activeElement);
      view.movePanel.remove();
      view.movePanel = view.moveColumn = view.moveCluster = view.moveFieldRow = null;
      if (hadFocus) view.menu.focus();
    }
    if (show && view.movePanel) {
      this.fillMove(view, idea);
      const first = view.moveFieldRow?.hidden ? view.movePanel.querySelector("button") : view.moveColumn;
      first?.focus();
    }
  }

  /**
   * The move panel: buttons and choices instead of dragging.
   *
   * @param {string} id
   * @returns {HTMLDivElement}
   */
  createMovePanel(id) {
    const t = this.t;
    const view = /** @type {IdeaView} */ (this.ideas.get(id));
    const base = `idea-${id}`;
    /** @param {string} key */
    const button = (key) => {
      const b = h("button", { type: "button", class: "secondary", text: t(key) });
      b.setAttribute("aria-describedby", `${base}-text`);
      return b;
    };
    const up = button("move.up");
    const down = button("move.down");
    const moveColumn = h("select", { id: `${base}-move-column` });
    const toColumn = button("move.to_column");
    const moveCluster = h("select", { id: `${base}-move-cluster` });
    const toCluster = button("move.to_cluster");
    const close = button("move.close");
    const fieldRow = h(
      "p",
      { class: "field-row" },
      h("label", { for: moveColumn.id, text: t("board.field") }),
      moveColumn,
      toColumn,
    );
    const panel = h(
      "div",
      { class: "idea-move", id: `${base}-move`, role: "group", "aria-labelledby": `${base}-move-label` },
      h("p", { class: "panel-title", id: `${base}-move-label`, text: t("move.title") }),
      h("p", { class: "buttons" }, up, down),
      fieldRow,
      h(
        "p",
        { class: "field-row" },
        h("label", { for: moveCluster.id, text: t("move.cluster") }),
        moveCluster,
        toCluster,
      ),
      h("p", { class: "hint", text: t("move.keys") }),
      h("p", { class: "buttons" }, close),
    );
    view.moveColumn = moveColumn;
    view.moveCluster = moveCluster;
    view.moveFieldRow = fieldRow;
    up.addEventListener("click", () => this.moveBy(id, "up"));
    down.addEventListener("click", () => this.moveBy(id, "down"));
    toColumn.addEventListener("click", () => {
      const state = this.ctx?.state;
      const idea = state?.ideas.get(id);
      if (!state || !idea || moveColumn.value === idea.field_id) return;
      const order = columnIdeas(state, moveColumn.value).filter((i) => i.id !== id);
      this.run(id, this.actions.move(id, { field_id: moveColumn.value, after_id: order.at(-1)?.id ?? null }, "menu"));
    });
    toCluster.addEventListener("click", () => {
      const idea = this.ctx?.state.ideas.get(id);
      const target = moveCluster.value || null;
      if (!idea || target === (idea.cluster_id ?? null)) return;
      this.run(id, this.actions.assign(id, target));
    });
    close.addEventListener("click", () => this.toggleMove(id, false));
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.toggleMove(id, false);
      }
    });
    return panel;
  }

  /**
   * @param {IdeaView} view
   * @param {Idea} idea
   */
  fillMove(view, idea) {
    const { state, can, me } = /** @type {ViewContext} */ (this.ctx);
    const t = this.t;
    if (!view.moveColumn || !view.moveCluster) return;
    if (view.moveFieldRow) view.moveFieldRow.hidden = !mayChangeField(can, idea, me);
    const columns = state.columns.map((c) => h("option", { value: c.id, text: c.name }));
    if (!sameOptions(view.moveColumn, columns)) view.moveColumn.replaceChildren(...columns);
    if (document.activeElement !== view.moveColumn) view.moveColumn.value = idea.field_id;
    const clusters = [
      h("option", { value: "", text: t("move.no_cluster") }),
      ...columnClusters(state, idea.field_id).map(({ cluster, depth }) =>
        h("option", { value: cluster.id, text: `${"– ".repeat(depth)}${clusterName(t, cluster)}` }),
      ),
    ];
    if (!sameOptions(view.moveCluster, clusters)) view.moveCluster.replaceChildren(...clusters);
    if (document.activeElement !== view.moveCluster) view.moveCluster.value = idea.cluster_id ?? "";
  }

  /**
   * May the idea being dragged be dropped into this field of action? Within its own field
   * always; into another only for its author and facilitators (`mayChangeField`), so that
   * nobody is offered a drop the server refuses.
   *
   * @param {string | undefined} fieldId
   */
  mayDropIn(fieldId) {
    const idea = this.dragging ? this.ctx?.state.ideas.get(this.dragging) : undefined;
    if (!this.ctx || !idea || fieldId === undefined) return false;
    return idea.field_id === fieldId || mayChangeField(this.ctx.can, idea, this.ctx.me);
  }

  /** @param {IdeaView} view */
  wireDrag(view) {
    const id = view.id;
    const li = view.li;
    li.addEventListener("dragstart", (event) => {
      if (!li.draggable || event.target !== li) return;
      this.dragging = id;
      event.dataTransfer?.setData("text/plain", id);
      if (event.dataTransfer) event.dataTransfer.effectAllowed = "move";
      li.classList.add("dragging");
    });
    li.addEventListener("dragend", () => {
      this.dragging = null;
      li.classList.remove("dragging");
    });
    /** @param {DragEvent} event @returns {"before" | "after" | "into"} */
    const zone = (event) => {
      const box = li.getBoundingClientRect();
      const y = (event.clientY - box.top) / Math.max(box.height, 1);
      return y < 0.25 ? "before" : y > 0.75 ? "after" : "into";
    };
    li.addEventListener("dragover", (event) => {
      if (!this.dragging || this.dragging === id || !this.mayDropIn(this.ctx?.state.ideas.get(id)?.field_id)) return;
      event.preventDefault();
      event.stopPropagation();
      const where = zone(event);
      li.classList.toggle("drop-before", where === "before");
      li.classList.toggle("drop-after", where === "after");
      li.classList.toggle("drop-into", where === "into");
    });
    li.addEventListener("dragleave", () => li.classList.remove("drop-before", "drop-after", "drop-into"));
    li.addEventListener("drop", (event) => {
      li.classList.remove("drop-before", "drop-after", "drop-into");
      const dragged = this.dragging;
      if (!dragged || dragged === id || !this.ctx || !this.mayDropIn(this.ctx.state.ideas.get(id)?.field_id)) return;
      event.preventDefault();
      event.stopPropagation();
      this.dragging = null;
      this.dropOnIdea(dragged, id, zone(event));
    });
  }

  /**
   * One idea dropped on another: onto its middle groups them (or joins its cluster); onto
   * its top or bottom edge places it before or after.
   *
   * @param {string} dragged
   * @param {string} target
   * @param {"before" | "after" | "into"} where
   */
  async dropOnIdea(dragged, target, where) {
    const state = /** @type {ViewContext} */ (this.ctx).state;
    const on = state.ideas.get(target);
    const idea = state.ideas.get(dragged);
    if (!on || !idea) return;
    if (where === "into") {
      if (on.cluster_id && state.clusters.has(on.cluster_id)) {
        await this.run(dragged, this.actions.assign(dragged, on.cluster_id));
      } else {
        await this.run(dragged, this.actions.group([target, dragged]));
      }
      return;
    }
    const order = columnIdeas(state, on.field_id).filter((i) => i.id !== dragged);
    const at = order.findIndex((i) => i.id === target);
    const after = where === "after" ? target : at > 0 ? order[at - 1].id : null;
    const code = await this.actions.move(dragged, { field_id: on.field_id, after_id: after }, "drop");
    if (!code && (on.cluster_id ?? null) !== (idea.cluster_id ?? null) && on.cluster_id) {
      await this.run(dragged, this.actions.assign(dragged, on.cluster_id));
    } else {
      const view = this.ideas.get(dragged);
      if (view) showError(view.error, null, code ? this.actions.message(code) : "");
    }
  }

  // -- comments (idea-comments.js) -----------------------------------------------------------

  /**
   * @param {string} id
   * @param {boolean} [open]
   */
  toggleComments(id, open) {
    return ideaComments.toggleComments(this, id, open);
  }

  /**
   * @param {IdeaView} view
   * @param {Idea} idea
   */
  fillComments(view, idea) {
    return ideaComments.fillComments(this, view, idea);
  }

  /**
   * @param {string} id
   * @param {Promise<string>} pending
   */
  commentAction(id, pending) {
    return ideaComments.commentAction(this, id, pending);
  }

  // -- editing -------------------------------------------------------------------------------

  /** @param {string} id */
  startEdit(id) {
    const view = this.ideas.get(id);
    const idea = this.ctx?.state.ideas.get(id);
    if (!view || !idea || view.editForm) return;
    const t = this.t;
    const base = `idea-${id}`;
    const textarea = h("textarea", { id: `${base}-edit-text`, rows: "3", maxlength: "2000" });
    textarea.value = idea.text;
    const titleInput = h("input", { id: `${base}-edit-title`, maxlength: "120" });
    titleInput.value = idea.title ?? "";
    const tagsInput = h("input", { id: `${base}-edit-tags`, maxlength: "400" });
    tagsInput.value = (idea.tags ?? []).join(", ");
    const colour = h("select", { id: `${base}-edit-colour` });
    colour.append(h("option", { value: "", text: t("card.none") }));
    for (const c of IDEA_COLOURS) colour.append(h("option", { value: c, text: t(`card.${c}`) }));
    colour.value = idea.colour ?? "";
    const select = h("select", { id: `${base}-edit-field` });
    for (const column of this.ctx?.state.columns ?? []) {
      select.append(h("option", { value: column.id, text: column.name }));
    }
    select.value = idea.field_id;
    const error = h("p", { class: "error", id: `${base}-edit-error`, role: "alert", hidden: true });
    const form = h(
      "form",
      { class: "edit-form" },
      h("label", { for: titleInput.id, text: t("board.title") }),
      titleInput,
      h("label", { for: textarea.id, text: t("board.edit_label") }),
      textarea,
      h("label", { for: tagsInput.id, text: t("board.tags") }),
      tagsInput,
      h("label", { for: colour.id, text: t("board.colour") }),
      colour,
      h("label", { for: select.id, text: t("board.field") }),
      select,
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "submit", text: t("board.save") }),
        h("button", { type: "button", class: "secondary", "data-action": "cancel", text: t("board.cancel") }),
      ),
      error,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const current = this.ctx?.state.ideas.get(id);
      if (!current) return;
      /** @type {{text?: string, title?: string, tags?: string[], colour?: string, field_id?: string}} */
      const fields = {};
      if (textarea.value !== current.text) fields.text = textarea.value;
      if (titleInput.value !== (current.title ?? "")) fields.title = titleInput.value;
      const tags = tagsInput.value
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean);
      if (JSON.stringify(tags) !== JSON.stringify(current.tags ?? [])) fields.tags = tags;
      if (colour.value && colour.value !== (current.colour ?? "")) fields.colour = colour.value;
      if (select.value !== current.field_id) fields.field_id = select.value;
      if (Object.keys(fields).length === 0) {
        this.endEdit(id);
        return;
      }
      showError(error, textarea, "");
      const code = await this.actions.edit(id, fields);
      if (code) showError(error, textarea, this.actions.message(code));
      else this.endEdit(id);
    });
    form.querySelector('[data-action="cancel"]')?.addEventListener("click", () => this.endEdit(id));
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.endEdit(id);
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target === textarea) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    view.editForm = form;
    view.text.after(form);
    this.updateIdea(view, idea);
    textarea.focus();
    this.actions.editing(id);
  }

  /** @param {string} id */
  endEdit(id) {
    const view = this.ideas.get(id);
    if (!view?.editForm) return;
    view.editForm.remove();
    view.editForm = null;
    const idea = this.ctx?.state.ideas.get(id);
    if (idea) this.updateIdea(view, idea);
    view.menu.focus();
    this.actions.editing(null);
  }

  // -- deleting ------------------------------------------------------------------------------

  /** @param {string} id */
  askDelete(id) {
    const view = this.ideas.get(id);
    const idea = this.ctx?.state.ideas.get(id);
    if (!view || !idea) return;
    view.confirm.hidden = false;
    this.updateIdea(view, idea);
    view.confirmButton.focus();
  }

  /** @param {string} id */
  cancelDelete(id) {
    const view = this.ideas.get(id);
    const idea = this.ctx?.state.ideas.get(id);
    if (!view || !idea) return;
    view.confirm.hidden = true;
    this.updateIdea(view, idea);
    view.menu.focus();
  }

  /** @param {string} id */
  async confirmDelete(id) {
    const view = this.ideas.get(id);
    if (!view) return;
    showError(view.error, null, "");
    this.deleting.add(id);
    const code = await this.actions.remove(id);
    if (code) {
      this.deleting.delete(id);
      showError(view.error, null, this.actions.message(code));
    }
  }

  // -- clusters (cluster-view.js) ------------------------------------------------------------

  /** @param {string} id */
  createCluster(id) {
    return clusterView.createCluster(this, id);
  }

  /**
   * @param {ClusterView} view
   * @param {Cluster} cluster
   * @param {number} count
   */
  updateCluster(view, cluster, count) {
    return clusterView.updateCluster(this, view, cluster, count);
  }

  /** @param {ClusterView} view */
  fillNest(view) {
    return clusterView.fillNest(this, view);
  }

  /**
   * Focus a cluster's heading (after making it).
   *
   * @param {string} id
   */
  focusCluster(id) {
    this.clusters.get(id)?.heading.focus();
  }

  /**
   * Focus an idea's first control (e.g. from the moderation list).
   *
   * @param {string} id
   */
  focusIdea(id) {
    const view = this.ideas.get(id);
    if (!view) return;
    const control = view.li.querySelector("button:not([hidden]), input:not([hidden])");
    if (control instanceof HTMLElement && control.offsetParent !== null) control.focus();
    view.li.scrollIntoView({ block: "nearest" });
  }
}

export { clusterName } from "./cluster-view.js";
