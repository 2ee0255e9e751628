// @ts-check
/**
 * The idea list of the organizer console, a little better with script: a "select all on this
 * page" box beside the bulk status form, and a line that says how many ideas are ticked
 * (announced politely). Without script the list is the same form with its checkboxes.
 * The texts come from the page (`data-none`, `data-some` with `{count}`; `data-all` for the box).
 */

/**
 * The line that says how many are ticked.
 *
 * @param {number} count
 * @param {{ none: string, some: string }} texts
 * @returns {string}
 */
export function chosenText(count, texts) {
  return count === 0 ? texts.none : texts.some.replace("{count}", String(count));
}

/** @param {HTMLFormElement} form */
export function enhance(form) {
  const line = form.querySelector("#bulk-count");
  const boxes = /** @type {HTMLInputElement[]} */ ([...form.querySelectorAll('input[type="checkbox"][name="idea"]')]);
  if (!(line instanceof HTMLElement) || boxes.length === 0) return;
  const texts = { none: line.dataset["none"] ?? "", some: line.dataset["some"] ?? "" };
  const all = document.createElement("input");
  all.type = "checkbox";
  all.id = "pick-all";
  const label = document.createElement("label");
  label.className = "check";
  label.append(all, ` ${line.dataset["all"] ?? ""}`);
  form.querySelector(".bulk-controls")?.prepend(label);

  const update = () => {
    const count = boxes.filter((box) => box.checked).length;
    line.textContent = chosenText(count, texts);
    all.checked = count === boxes.length;
    all.indeterminate = count > 0 && count < boxes.length;
  };
  all.addEventListener("change", () => {
    for (const box of boxes) box.checked = all.checked;
    update();
  });
  for (const box of boxes) box.addEventListener("change", update);
  update();
}

const bulk = document.getElementById("bulk");
if (bulk instanceof HTMLFormElement) enhance(bulk);
