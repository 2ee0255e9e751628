// @ts-check
/**
 * The organizer's event page: a copy button beside each invitation link.
 *
 * The buttons are in the page but hidden: without JavaScript the links stay readonly text
 * fields to select and copy by hand. Here each button is shown and copies its link with the
 * Clipboard API; its status line (`role="status"`, so screen readers announce it) then says
 * "copied". Where the clipboard cannot be used (a page over plain HTTP on another host than
 * localhost, a browser that refuses), the link is selected in its field instead and the
 * status line says how to copy it. The texts come from the page (`data-copied`,
 * `data-selected`), so no UI string lives here.
 */

/** @typedef {{ writeText(text: string): Promise<void> }} ClipboardLike */

/**
 * Copy the link of `button` (the field named by its `data-copy`) and say so in its status
 * line (named by `data-status`). Resolves to whether the clipboard took it.
 *
 * @param {HTMLButtonElement} button
 * @param {ClipboardLike | undefined} clipboard
 * @returns {Promise<boolean>}
 */
export async function copyLink(button, clipboard) {
  const field = document.getElementById(button.dataset["copy"] ?? "");
  const status = document.getElementById(button.dataset["status"] ?? "");
  if (!(field instanceof HTMLInputElement) || status === null) return false;
  let copied = false;
  if (clipboard !== undefined && window.isSecureContext) {
    try {
      await clipboard.writeText(field.value);
      copied = true;
    } catch {
      copied = false; // refused (permission, focus): fall back to selecting the text
    }
  }
  for (const other of document.querySelectorAll(".copy-status")) {
    if (other !== status) other.textContent = ""; // one "copied" at a time
  }
  if (copied) {
    status.textContent = button.dataset["copied"] ?? "";
  } else {
    field.focus();
    field.select();
    status.textContent = button.dataset["selected"] ?? "";
  }
  return copied;
}

/**
 * Show the copy buttons under `root` and make them work.
 *
 * @param {ParentNode} root
 */
export function setUpCopyButtons(root) {
  for (const button of root.querySelectorAll("button.copy-link")) {
    if (!(button instanceof HTMLButtonElement)) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      void copyLink(button, navigator.clipboard);
    });
  }
}

setUpCopyButtons(document);
