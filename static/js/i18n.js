// @ts-check
/**
 * Messages for the browser: the server renders the `client.*` catalog of the page's
 * language into `<script type="application/json" id="werkstatt-i18n">`, with the
 * `client.` prefix removed. No UI string lives in the JavaScript.
 */

/** @typedef {Record<string, string>} Messages */
/** @typedef {(key: string, values?: Record<string, string | number>) => string} Translate */

/**
 * Fill `{name}` placeholders; unknown placeholders stay as they are, so a missing value
 * shows up instead of silently vanishing. `{{` and `}}` are literal braces.
 *
 * @param {string} template
 * @param {Record<string, string | number>} [values]
 * @returns {string}
 */
export function format(template, values = {}) {
  return template.replace(/\{\{|\}\}|\{([A-Za-z0-9_]+)\}/g, (match, name) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
  });
}

/**
 * A translate function over `messages`; a missing key returns the key itself.
 *
 * @param {Messages} messages
 * @returns {Translate}
 */
export function translator(messages) {
  return (key, values) => {
    const template = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    return format(template, values);
  };
}

/**
 * Parse the JSON text of the page's message block; anything malformed gives no messages.
 *
 * @param {string | null | undefined} text
 * @returns {Messages}
 */
export function parseMessages(text) {
  if (!text) return {};
  try {
    const data = JSON.parse(text);
    if (data === null || typeof data !== "object" || Array.isArray(data)) return {};
    /** @type {Messages} */
    const out = {};
    for (const [key, value] of Object.entries(data)) {
      if (typeof value === "string") out[key] = value;
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * The translate function for this page.
 *
 * @param {Document} doc
 * @returns {Translate}
 */
export function pageTranslator(doc) {
  return translator(parseMessages(doc.getElementById("werkstatt-i18n")?.textContent));
}

/**
 * A person-readable message for an `{ok:false, error:{code,message}}` answer: the
 * translated text for the code when there is one, else the server's (English) message.
 *
 * @param {Translate} t
 * @param {{code?: string, message?: string} | undefined | null} error
 * @returns {string}
 */
export function errorMessage(t, error) {
  const code = error?.code ?? "internal";
  const key = `error.${code}`;
  const known = t(key);
  if (known !== key) return known;
  return t("error", { message: error?.message || code });
}
