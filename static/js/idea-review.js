// @ts-check
/**
 * The organizers' answer on an idea card: where the idea stands with the town (its review status,
 * once it is not "new") and the official feedback ("Rückmeldung der Stadt: …"), as the idea store
 * has them (`idea.review`). Its author sees it when they come back to the board, as everyone does
 * who sees the idea. All text goes in through `textContent`.
 */

import { h } from "./dom.js";

/** @typedef {import("./board-state.js").Idea} Idea */
/** @typedef {import("./i18n.js").Translate} Translate */

/**
 * Fill the card's review area (`box`) for `idea`, or hide it when there is nothing to say.
 *
 * @param {Translate} t
 * @param {HTMLElement} box
 * @param {Idea} idea
 */
export function fillReview(t, box, idea) {
  const review = idea.review;
  const status = review && review.status !== "new" ? review.status : "";
  const feedback = review?.feedback ?? "";
  box.hidden = !status && !feedback;
  box.dataset.status = status;
  box.replaceChildren(
    ...(status
      ? [h("p", { class: "review-status", text: t("review.status", { status: t(`review.status.${status}`) }) })]
      : []),
    ...(feedback
      ? [
          h(
            "p",
            { class: "review-feedback" },
            h("strong", { text: t("review.feedback") }),
            " ",
            h("span", { class: "keep-lines", text: feedback }),
          ),
        ]
      : []),
  );
}
