// @ts-check
/**
 * Building DOM without HTML strings: every text goes in through `textContent`, so
 * nothing a person typed can ever become markup.
 */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | boolean | undefined>} [attrs]  `class`, `id`, `text` or any attribute;
 *   `true` sets a boolean attribute, `false`/`undefined` leaves it out
 * @param {...(Node | string | null | undefined | false)} children  strings become text nodes
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === "text") el.textContent = String(value);
    else if (name === "class") el.className = String(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

/**
 * The element with `id`, which the page must have.
 *
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} [type]
 * @returns {T}
 */
export function byId(id, type) {
  const el = document.getElementById(id);
  if (!el || (type && !(el instanceof type))) throw new Error(`the page lacks #${id}`);
  return /** @type {T} */ (el);
}

/**
 * Show an error next to a control: text in the (role=alert) element, the control marked
 * invalid and described by it. An empty message clears it.
 *
 * @param {HTMLElement} errorEl
 * @param {HTMLElement | null} control
 * @param {string} message
 */
export function showError(errorEl, control, message) {
  errorEl.textContent = message;
  errorEl.hidden = !message;
  if (!control) return;
  const described = new Set((control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
  if (message) {
    control.setAttribute("aria-invalid", "true");
    described.add(errorEl.id);
  } else {
    control.removeAttribute("aria-invalid");
    described.delete(errorEl.id);
  }
  if (described.size) control.setAttribute("aria-describedby", [...described].join(" "));
  else control.removeAttribute("aria-describedby");
}

/**
 * Replace what a container holds, and give the focus back: when it was on an element of the
 * container with a `data-key`, it goes to the new element with the same key. Returns true when
 * the focus was in the container and found no place (the caller puts it somewhere sensible).
 *
 * @param {HTMLElement} container
 * @param {(Node | string)[]} children
 * @returns {boolean}
 */
export function replaceKeepingFocus(container, children) {
  const active = document.activeElement;
  const inside = active instanceof HTMLElement && container.contains(active);
  const key = inside ? active.dataset.key : undefined;
  container.replaceChildren(...children);
  if (!inside) return false;
  const again = key ? container.querySelector(`[data-key="${CSS.escape(key)}"]`) : null;
  if (again instanceof HTMLElement) {
    again.focus();
    return false;
  }
  return true;
}
