// @ts-check
/**
 * The avatar colours, by name, in the order of `rooms/members.py` `AVATAR_COLOURS`
 * (`tests/js/test_protocol_names.py` checks both lists and the CSS swatches agree).
 */

export const AVATAR_COLOURS = Object.freeze(["blue", "green", "red", "purple", "teal", "orange", "magenta", "slate"]);

/**
 * The CSS class showing a colour; an unknown name falls back to the neutral slate.
 *
 * @param {string} colour
 * @returns {string}
 */
export function swatchClass(colour) {
  return `swatch-${AVATAR_COLOURS.includes(colour) ? colour : "slate"}`;
}

/**
 * The letter shown on an avatar: the first character of the pseudonym, upper-cased.
 *
 * @param {string} pseudonym
 * @returns {string}
 */
export function initial(pseudonym) {
  const first = [...pseudonym.trim()][0] ?? "?";
  return first.toLocaleUpperCase();
}
