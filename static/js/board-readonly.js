// @ts-check
/**
 * A board shown to read only: its columns (fields of action) with their visible ideas, and
 * nothing to press. For the results of breakout rooms, read from the plenary with `board.sync`
 * (posting there is refused with `not_in_room`). All text goes in through `textContent`.
 */

import { columnIdeas, fromSnapshot } from "./board-state.js";
import { h } from "./dom.js";

/** @typedef {import("./board-state.js").Snapshot} Snapshot */
/** @typedef {import("./i18n.js").Translate} Translate */

/**
 * The ideas worth showing: visible ones, grouped by column, columns without ideas left out.
 *
 * @param {Snapshot} snapshot
 * @returns {{id: string, name: string, ideas: import("./board-state.js").Idea[]}[]}
 */
export function readableColumns(snapshot) {
  const state = fromSnapshot(snapshot);
  return state.columns
    .map((column) => ({
      id: column.id,
      name: column.name,
      ideas: columnIdeas(state, column.id).filter((idea) => idea.status === "visible"),
    }))
    .filter((column) => column.ideas.length > 0);
}

/**
 * The board's columns as DOM, headings at `level` (a number 2–6).
 *
 * @param {Translate} t
 * @param {Snapshot} snapshot
 * @param {number} level
 * @returns {HTMLElement}
 */
export function renderReadonly(t, snapshot, level) {
  const columns = readableColumns(snapshot);
  if (columns.length === 0) return h("p", { class: "hint", text: t("breakout.no_ideas") });
  const tag = /** @type {"h2" | "h3" | "h4" | "h5" | "h6"} */ (`h${Math.min(6, Math.max(2, level))}`);
  return h(
    "div",
    { class: "readonly-columns" },
    ...columns.map((column) => {
      const headingId = `ro-${snapshot.board_id}-${column.id}`;
      return h(
        "section",
        { class: "readonly-column", "aria-labelledby": headingId },
        h(tag, { id: headingId, text: t("breakout.column", { name: column.name, count: column.ideas.length }) }),
        h(
          "ul",
          { class: "readonly-ideas" },
          ...column.ideas.map((idea) =>
            h(
              "li",
              { class: `readonly-idea${idea.colour ? ` card-${idea.colour}` : ""}` },
              idea.title ? h("strong", { class: "readonly-title", text: idea.title }) : null,
              h("span", { class: "readonly-text", text: idea.text }),
              idea.author
                ? h("span", { class: "readonly-by", text: t("board.by", { name: idea.author.pseudonym }) })
                : null,
            ),
          ),
        ),
      );
    }),
  );
}
