// @ts-check
/**
 * The space as lists: a full alternative to the map, and what a screen reader uses. The zones
 * (stage, tables, private zones, quiet zones, board walls) are regions with a heading each,
 * listing who is in them, with a button to go there (`space.goto {zone_id}`: the server finds
 * the way); everyone else is listed with a button to go to them (`space.goto {member_id}`:
 * next to them, so one joins their bubble), to follow them (`space.follow`) and to show where
 * they are (`space.locate`: said in the live region, pointed out on the map). Keyboard only:
 * buttons and headings, nothing else.
 *
 * The conversation panel (members, microphone, camera, lock, status, bubble chat) is
 * `SpaceConversation`; both views show it.
 */

import { initial, swatchClass } from "./colours.js";
import { h, replaceKeepingFocus } from "./dom.js";
import { zoneName } from "./space-model.js";

/** @typedef {import("./space-model.js").SpaceModel} SpaceModel */
/** @typedef {import("./space-model.js").Person} Person */
/** @typedef {import("./i18n.js").Translate} Translate */
/** @typedef {{member_id: string} | {zone_id: string}} Target */

/** Zones one can join (their own conversation); others one only goes to. */
const JOINABLE = new Set(["table", "private", "stage"]);

export class SpaceList {
  /**
   * @param {HTMLElement} root
   * @param {Translate} t
   * @param {{goto: (target: Target, label: string) => void, follow: (memberId: string | null) => void,
   *   locate: (memberId: string) => void}} actions
   */
  constructor(root, t, actions) {
    this.root = root;
    this.t = t;
    this.actions = actions;
  }

  /**
   * @param {Person} person
   * @param {SpaceModel} model
   * @returns {HTMLElement}
   */
  personItem(person, model) {
    const t = this.t;
    const self = person.id === model.selfId;
    const partner = model.partners().includes(person.id);
    const name = self ? t("space.you", { name: person.pseudonym }) : person.pseudonym;
    const li = h(
      "li",
      { class: "space-person", "data-member": person.id },
      h("span", { class: `avatar ${swatchClass(person.colour)}`, "aria-hidden": "true", text: initial(person.pseudonym) }),
      h("span", { class: "member-name", text: name }),
    );
    if (person.status !== "available") li.append(" ", h("span", { class: "hint", text: `(${t(`space.status.${person.status}`)})` }));
    if (partner) li.append(" ", h("span", { class: "space-partner", text: t("space.in_your_conversation") }));
    if (!self) {
      const button = h("button", {
        type: "button",
        class: "secondary small",
        "data-key": `goto-${person.id}`,
        text: t("space.goto_person", { name: person.pseudonym }),
      });
      button.addEventListener("click", () => this.actions.goto({ member_id: person.id }, person.pseudonym));
      const following = model.following === person.id;
      const follow = h("button", {
        type: "button",
        class: "secondary small",
        "data-key": `follow-${person.id}`,
        "aria-pressed": String(following),
        text: t("space.follow", { name: person.pseudonym }),
      });
      follow.addEventListener("click", () => this.actions.follow(following ? null : person.id));
      const locate = h("button", {
        type: "button",
        class: "secondary small",
        "data-key": `locate-${person.id}`,
        text: t("space.locate.button", { name: person.pseudonym }),
      });
      locate.addEventListener("click", () => this.actions.locate(person.id));
      li.append(" ", button, " ", follow, " ", locate);
    }
    return li;
  }

  /** @param {SpaceModel} model */
  render(model) {
    const t = this.t;
    const { zones, elsewhere } = model.regions();
    /** @type {HTMLElement[]} */
    const children = [];
    for (const { zone, people } of zones) {
      const name = zoneName(zone, model.zones, t);
      const headingId = `space-zone-${zone.id}`;
      const here = people.some((p) => p.id === model.selfId);
      // who is in a zone is known for those with a conversation (tables, private zones, stages)
      const counted = JOINABLE.has(zone.kind);
      let count = "";
      if (counted && zone.capacity !== null) count = t("space.count_of", { count: people.length, max: zone.capacity });
      else if (counted) count = t("space.count", { count: people.length });
      const section = h(
        "section",
        { class: `space-zone space-zone-${zone.kind}`, "aria-labelledby": headingId, "data-zone": zone.id },
        h("h4", { id: headingId, text: name }),
        h("p", { class: "hint", text: count ? `${t(`space.kind.${zone.kind}`)} · ${count}` : t(`space.kind.${zone.kind}`) }),
      );
      if (here) {
        section.append(h("p", { class: "space-here", text: t("space.you_are_here") }));
      } else {
        const button = h("button", {
          type: "button",
          class: "secondary small",
          "data-key": `zone-${zone.id}`,
          text: JOINABLE.has(zone.kind) ? t("space.join_zone", { name }) : t("space.goto_zone", { name }),
        });
        button.addEventListener("click", () => this.actions.goto({ zone_id: zone.id }, name));
        section.append(button);
      }
      if (people.length > 0) {
        section.append(h("ul", { class: "space-people", "aria-labelledby": headingId }, ...people.map((p) => this.personItem(p, model))));
      }
      children.push(section);
    }
    const elsewhereId = "space-zone-elsewhere";
    children.push(
      h(
        "section",
        { class: "space-zone space-zone-elsewhere", "aria-labelledby": elsewhereId },
        h("h4", { id: elsewhereId, text: t("space.elsewhere") }),
        elsewhere.length > 0
          ? h("ul", { class: "space-people", "aria-labelledby": elsewhereId }, ...elsewhere.map((p) => this.personItem(p, model)))
          : h("p", { class: "hint", text: t("space.nobody") }),
      ),
    );
    if (replaceKeepingFocus(this.root, children)) {
      // the focused button went away (one went there): the list's heading takes it
      document.getElementById("space-list-heading")?.focus();
    }
  }
}
