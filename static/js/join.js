// @ts-check
/**
 * The join page (`/j/<link token>`): choose a pseudonym and a colour, exchange the link
 * for a member token (`POST /api/join`), remember it, and go to the room.
 */

import { byId, showError } from "./dom.js";
import { errorMessage, pageTranslator } from "./i18n.js";
import { browserStorage, linkToken, loadMembership, saveMembership } from "./membership.js";

const t = pageTranslator(document);

/** Error codes that are about the pseudonym: the field gets the focus and the error. */
const PSEUDONYM_ERRORS = new Set([
  "pseudonym_taken",
  "text_too_short",
  "text_too_long",
  "control_characters",
  "invalid_input",
]);

/**
 * @param {HTMLFormElement} form
 */
function setUp(form) {
  const eventId = form.dataset.eventId ?? "";
  const pseudonym = /** @type {HTMLInputElement} */ (byId("pseudonym", HTMLInputElement));
  const error = byId("join-error");
  const link = linkToken(window.location.pathname);

  const known = loadMembership(browserStorage(), eventId);
  const rejoin = document.getElementById("rejoin");
  const rejoinText = document.getElementById("rejoin-text");
  if (known && rejoin && rejoinText) {
    rejoinText.textContent = t("join.already", { name: known.pseudonym ?? "" });
    rejoin.hidden = false;
  }

  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    showError(error, pseudonym, "");
    if (!link) {
      showError(error, null, t("join.failed", { message: errorMessage(t, { code: "invalid_link" }) }));
      return;
    }
    const colour = new FormData(form).get("colour");
    busy = true;
    form.setAttribute("aria-busy", "true");
    try {
      const response = await fetch("/api/join", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ link, pseudonym: pseudonym.value, colour: typeof colour === "string" ? colour : "" }),
      });
      /** @type {any} */
      let answer = null;
      try {
        answer = await response.json();
      } catch {
        answer = null;
      }
      if (!answer?.ok) {
        const err = answer?.error ?? { code: "internal", message: `HTTP ${response.status}` };
        const onPseudonym = PSEUDONYM_ERRORS.has(err.code);
        showError(error, onPseudonym ? pseudonym : null, t("join.failed", { message: errorMessage(t, err) }));
        if (onPseudonym) pseudonym.focus();
        return;
      }
      const store = browserStorage();
      if (!store) {
        showError(error, null, t("join.failed", { message: errorMessage(t, { code: "storage" }) }));
        return;
      }
      saveMembership(store, answer.event_id, {
        token: answer.token,
        member_id: answer.member_id,
        pseudonym: answer.pseudonym,
        role: answer.role,
      });
      window.location.assign(`/e/${encodeURIComponent(answer.event_id)}`);
    } catch {
      showError(error, null, t("join.failed", { message: errorMessage(t, { code: "offline" }) }));
    } finally {
      busy = false;
      form.removeAttribute("aria-busy");
    }
  });
}

const form = document.getElementById("join-form");
if (form instanceof HTMLFormElement) setUp(form);
