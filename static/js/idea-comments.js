// @ts-check
/**
 * The comments under an idea card as DOM: opened from the card's menu, a list with delete
 * and hide for those who may, and a form to comment. Part of the board view
 * (`board-view.js`), which keeps the elements and calls these.
 */

import { commentsOf } from "./board-layout.js";
import { h, showError } from "./dom.js";

/** @typedef {import("./board-view.js").BoardView} BoardView */
/** @typedef {import("./board-view.js").ViewContext} ViewContext */
/** @typedef {import("./board-view.js").IdeaView} IdeaView */
/** @typedef {import("./board-state.js").Idea} Idea */

/**
 * @param {BoardView} board  the view this belongs to
 * @param {string} id
 * @param {boolean} [open]
 */
export function toggleComments(board, id, open) {
  const view = board.ideas.get(id);
  const idea = board.ctx?.state.ideas.get(id);
  if (!view || !idea) return;
  const show = open ?? view.comments.hidden;
  const hadFocus = view.comments.contains(document.activeElement);
  view.comments.hidden = !show;
  if (show) {
    view.commentKey = "";
    board.fillComments(view, idea);
    if (!view.commentForm.hidden) view.commentText.focus();
    else view.comments.querySelector("button")?.focus();
  } else if (hadFocus) view.menu.focus();
}

/**
 * @param {BoardView} board  the view this belongs to
 * @param {IdeaView} view
 * @param {Idea} idea
 */
export function fillComments(board, view, idea) {
  const ctx = /** @type {ViewContext} */ (board.ctx);
  const { state, can, me } = ctx;
  const t = board.t;
  const comments = commentsOf(state, idea.id);
  view.commentForm.hidden = !(can.comment && ((idea.status ?? "visible") === "visible" || can.moderator));
  view.commentsEmpty.hidden = comments.length > 0;
  const key = JSON.stringify([comments, can.moderator, can.comment]);
  if (key === view.commentKey) return;
  view.commentKey = key;
  const focusedComment = document.activeElement?.closest?.(".comment")?.getAttribute("data-comment-id");
  const focusedAction = document.activeElement?.getAttribute("data-action");
  view.commentList.replaceChildren(
    ...comments.map((comment) => {
      const textId = `comment-${comment.id}-text`;
      const li = h(
        "li",
        { class: `comment${comment.hidden ? " comment-hidden" : ""}` },
        h("p", { class: "comment-text", id: textId, text: comment.text }),
        h(
          "p",
          { class: "comment-meta" },
          t("board.by", { name: comment.author?.pseudonym ?? t("board.anonymous") }),
          comment.hidden ? h("span", { class: "badge badge-hidden", text: t("board.status.hidden") }) : null,
        ),
      );
      li.dataset.commentId = comment.id;
      const buttons = [];
      if (can.comment && (can.moderator || (me && comment.author?.id === me))) {
        const del = h("button", {
          type: "button",
          class: "secondary",
          "data-action": "delete",
          text: t("comments.delete"),
        });
        del.setAttribute("aria-describedby", textId);
        del.addEventListener("click", () => board.commentAction(view.id, board.actions.deleteComment(comment.id)));
        buttons.push(del);
      }
      if (can.moderator) {
        const hidden = !!comment.hidden;
        const mod = h("button", {
          type: "button",
          class: "secondary",
          "data-action": "moderate",
          text: t(hidden ? "comments.restore" : "comments.hide"),
        });
        mod.setAttribute("aria-describedby", textId);
        mod.addEventListener("click", () =>
          board.commentAction(view.id, board.actions.moderateComment(comment.id, !hidden)),
        );
        buttons.push(mod);
      }
      if (buttons.length) li.append(h("p", { class: "buttons" }, ...buttons));
      return li;
    }),
  );
  if (focusedComment && focusedAction) {
    const again = view.commentList.querySelector(
      `[data-comment-id="${CSS.escape(focusedComment)}"] [data-action="${CSS.escape(focusedAction)}"]`,
    );
    if (again instanceof HTMLElement) again.focus();
    else view.menu.focus();
  }
}

/**
 * @param {BoardView} board  the view this belongs to
 * @param {string} id
 * @param {Promise<string>} pending
 */
export async function commentAction(board, id, pending) {
  const code = await pending;
  const view = board.ideas.get(id);
  if (view) showError(view.commentError, null, code ? board.actions.message(code) : "");
}
