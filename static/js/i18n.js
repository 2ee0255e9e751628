// @ts-check
/**
 * Messages for the browser: the server renders the `client.*` messages of the page's
 * language from its gettext catalog (server/i18n/locales/<lang>/LC_MESSAGES/messages.po) into
 * `<script type="application/json" id="werkstatt-i18n">`, with the `client.` prefix removed.
 * No UI string lives in the JavaScript.
 *
 * A message shown with a number is a plural message: the server sends its forms keyed by
 * CLDR plural category (`{"one": "{count} Idee", "other": "{count} Ideen"}`), and `t(key,
 * {count})` picks one with `Intl.PluralRules` for the page's language.
 */

/** @typedef {Record<string, string>} PluralForms */
/** @typedef {Record<string, string | PluralForms>} Messages */
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
 * The form of a plural message for `count`: its CLDR category in `language`
 * (`Intl.PluralRules`), else `other`.
 *
 * @param {PluralForms} forms
 * @param {Intl.PluralRules} rules
 * @param {unknown} count
 * @returns {string}
 */
export function pluralForm(forms, rules, count) {
  const category = typeof count === "number" && Number.isFinite(count) ? rules.select(count) : "other";
  const own = (/** @type {string} */ name) => Object.prototype.hasOwnProperty.call(forms, name);
  if (own(category)) return forms[category];
  if (own("other")) return forms.other;
  return Object.values(forms)[0] ?? "";
}

/**
 * A translate function over `messages` in `language`; a missing key returns the key itself.
 * A plural message takes its form from `values.count`.
 *
 * @param {Messages} messages
 * @param {string} [language]
 * @returns {Translate}
 */
export function translator(messages, language = "de") {
  let rules;
  try {
    rules = new Intl.PluralRules(language);
  } catch {
    rules = new Intl.PluralRules("de"); // not a language tag: the source language's rules
  }
  return (key, values) => {
    const message = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    const template = typeof message === "string" ? message : pluralForm(message, rules, values?.count);
    return format(template, values);
  };
}

/**
 * Parse the JSON text of the page's message block: strings, and plural forms as objects of
 * strings; anything malformed is left out.
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
      else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        /** @type {PluralForms} */
        const forms = {};
        for (const [category, text] of Object.entries(value)) if (typeof text === "string") forms[category] = text;
        if (Object.keys(forms).length > 0) out[key] = forms;
      }
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * The translate function for this page, in the page's language (`<html lang>`).
 *
 * @param {Document} doc
 * @returns {Translate}
 */
export function pageTranslator(doc) {
  const language = doc.documentElement.lang || "de";
  return translator(parseMessages(doc.getElementById("werkstatt-i18n")?.textContent), language);
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
