// @ts-check
/**
 * The clusters (groups) of a board as DOM: a heading with its count, its actions (rename,
 * nest into another group, dissolve) in a menu behind one button like a card's
 * (`card-menu.js`), and dropping an idea on the heading to put it in. Part of
 * the board view (`board-view.js`), which keeps the elements and calls these.
 */

import { clusterAncestors, columnClusters } from "./board-layout.js";
import { CardMenu } from "./card-menu.js";
import { h, showError } from "./dom.js";

/** @typedef {import("./board-view.js").BoardView} BoardView */
/** @typedef {import("./board-view.js").ViewContext} ViewContext */
/** @typedef {import("./board-view.js").ClusterView} ClusterView */
/** @typedef {import("./board-state.js").Cluster} Cluster */
/** @typedef {import("./i18n.js").Translate} Translate */

/**
 * @param {BoardView} board  the view this belongs to
 * @param {string} id
 */
export function createCluster(board, id) {
  const t = board.t;
  const base = `cluster-${id}`;
  const headingId = `${base}-heading`;
  const name = h("span", { class: "cluster-name" });
  const count = h("span", { class: "cluster-count" });
  const heading = h("h4", { id: headingId, tabindex: "-1" }, name, " ", count);
  /** @param {string} key */
  const button = (key) => {
    const b = h("button", { type: "button", class: "menu-item", text: t(key) });
    b.setAttribute("aria-describedby", headingId);
    return b;
  };
  const rename = button("cluster.rename");
  const nest = button("cluster.nest");
  const dissolve = button("cluster.dissolve");
  const menu = new CardMenu(`${base}-menu`, t("card.actions"), headingId, (which, open) =>
    board.menuToggled(which, open),
  );
  const renameInput = h("input", { id: `${base}-rename`, maxlength: "80" });
  const renameForm = h(
    "form",
    { class: "cluster-rename", hidden: true },
    h("label", { for: renameInput.id, text: t("cluster.heading") }),
    renameInput,
    h(
      "span",
      { class: "buttons" },
      h("button", { type: "submit", text: t("board.save") }),
      h("button", { type: "button", class: "secondary", "data-action": "cancel", text: t("board.cancel") }),
    ),
  );
  const nestSelect = h("select", { id: `${base}-nest` });
  const nestGo = h("button", { type: "button", text: t("cluster.nest_do") });
  const nestCancel = h("button", { type: "button", class: "secondary", text: t("board.cancel") });
  const nestPanel = h(
    "div",
    { class: "cluster-nest", hidden: true },
    h("label", { for: nestSelect.id, text: t("cluster.parent") }),
    nestSelect,
    h("span", { class: "buttons" }, nestGo, nestCancel),
  );
  const list = h("ul", { class: "cluster-items", "aria-labelledby": headingId });
  const error = h("p", { class: "error", id: `${base}-error`, role: "alert", hidden: true });
  const li = h(
    "li",
    { class: "cluster", id: base },
    h("div", { class: "cluster-head" }, heading, menu.button),
    menu.list,
    renameForm,
    nestPanel,
    error,
    list,
  );
  li.dataset.clusterId = id;

  /** @type {ClusterView} */
  const view = { id, li, heading, name, count, menu, renameForm, renameInput, nestPanel, nestSelect, list, error };
  /** @param {Promise<string>} pending */
  const run = async (pending) => {
    const code = await pending;
    showError(error, null, code ? board.actions.message(code) : "");
    return code;
  };
  const closeRename = () => {
    renameForm.hidden = true;
    menu.focus();
  };
  menu.add(rename, () => {
    const cluster = board.ctx?.state.clusters.get(id);
    renameInput.value = cluster?.heading ?? "";
    renameForm.hidden = false;
    renameInput.focus();
  });
  renameForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!(await run(board.actions.renameCluster(id, renameInput.value)))) closeRename();
  });
  renameForm.querySelector('[data-action="cancel"]')?.addEventListener("click", closeRename);
  renameForm.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closeRename();
    }
  });
  const closeNest = () => {
    nestPanel.hidden = true;
    menu.focus();
  };
  menu.add(nest, () => {
    nestPanel.hidden = false;
    board.fillNest(view);
    nestSelect.focus();
  });
  nestGo.addEventListener("click", async () => {
    if (!(await run(board.actions.nestCluster(id, nestSelect.value || null)))) closeNest();
  });
  nestCancel.addEventListener("click", closeNest);
  nestPanel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closeNest();
    }
  });
  menu.add(dissolve, () => {
    menu.focus();
    run(board.actions.dissolveCluster(id));
  });

  // Dropping an idea on the cluster's heading puts it into the cluster.
  const head = /** @type {HTMLElement} */ (heading.parentElement);
  /** @returns {boolean} */
  const mayDrop = () => board.mayDropIn(board.ctx?.state.clusters.get(id)?.field_id);
  head.addEventListener("dragover", (event) => {
    if (!mayDrop()) return;
    event.preventDefault();
    event.stopPropagation();
    head.classList.add("drop-into");
  });
  head.addEventListener("dragleave", () => head.classList.remove("drop-into"));
  head.addEventListener("drop", (event) => {
    head.classList.remove("drop-into");
    const dragged = board.dragging;
    if (!dragged || !mayDrop()) return;
    event.preventDefault();
    event.stopPropagation();
    board.dragging = null;
    run(board.actions.assign(dragged, id));
  });
  board.clusters.set(id, view);
  return view;
}

/**
 * @param {BoardView} board  the view this belongs to
 * @param {ClusterView} view
 * @param {Cluster} cluster
 * @param {number} count
 */
export function updateCluster(board, view, cluster, count) {
  const ctx = /** @type {ViewContext} */ (board.ctx);
  view.name.textContent = clusterName(board.t, cluster);
  view.count.textContent = board.t("board.count", { count });
  for (const button of view.menu.items.keys()) button.hidden = !ctx.can.arrange;
  view.menu.sync();
  if (!ctx.can.arrange) {
    view.renameForm.hidden = true;
    view.nestPanel.hidden = true;
  }
  if (!view.nestPanel.hidden) board.fillNest(view);
}

/**
 * @param {BoardView} board  the view this belongs to
 * @param {ClusterView} view
 */
export function fillNest(board, view) {
  const state = /** @type {ViewContext} */ (board.ctx).state;
  const cluster = state.clusters.get(view.id);
  if (!cluster) return;
  const options = [h("option", { value: "", text: board.t("cluster.top_level") })];
  for (const { cluster: other, depth } of columnClusters(state, cluster.field_id)) {
    if (other.id === cluster.id) continue;
    // Not into itself or a cluster inside it.
    const inside = clusterAncestors(state, other.id).includes(cluster.id);
    if (!inside) {
      options.push(h("option", { value: other.id, text: `${"– ".repeat(depth)}${clusterName(board.t, other)}` }));
    }
  }
  if (!sameOptions(view.nestSelect, options)) view.nestSelect.replaceChildren(...options);
  if (document.activeElement !== view.nestSelect) view.nestSelect.value = cluster.parent_id ?? "";
}

/**
 * A cluster's heading, or a stand-in when it has none.
 *
 * @param {Translate} t
 * @param {Cluster} cluster
 */
export function clusterName(t, cluster) {
  return cluster.heading || t("cluster.untitled");
}

/**
 * Whether a select holds these options already (so it need not be rebuilt).
 *
 * @param {HTMLSelectElement} select
 * @param {HTMLOptionElement[]} options
 */
export function sameOptions(select, options) {
  if (select.options.length !== options.length) return false;
  return options.every((o, i) => select.options[i].value === o.value && select.options[i].text === o.text);
}
