// Linked viewports: views whose models share a non-empty `link_group` show the same plane
// window, live. The groups live on globalThis, so that copies of this bundle evaluated
// separately (one per widget class or notebook output) still find each other; members are
// plain objects, and what they pass each other is plain data.

const GROUPS = Symbol.for("splinecam-widget.link-groups.v1");

/**
 * @typedef {object} SharedCamera  the leader's camera after a user pan, zoom or reset
 * @property {number} cu      plane point at the centre
 * @property {number} cv
 * @property {number} scale   CSS pixels per plane unit
 * @property {unknown} source the leader's model: views of that same model get the view through the trait
 */

/** @typedef {{ follow: (camera: SharedCamera) => void }} Member */

/** @returns {Map<string, Set<Member>>} */
function groups() {
  const scope = /** @type {any} */ (globalThis);
  scope[GROUPS] ??= new Map();
  return scope[GROUPS];
}

/** One view's membership: at most one group at a time. */
export class Link {
  /** @param {(camera: SharedCamera) => void} follow  move to another member's camera (without broadcasting it) */
  constructor(follow) {
    /** @type {Member} */
    this.member = { follow };
    this.group = "";
  }

  /** @param {string} group  "" leaves every group */
  join(group) {
    if (group === this.group) return;
    this.leave();
    if (!group) return;
    const all = groups();
    const members = all.get(group) ?? new Set();
    members.add(this.member);
    all.set(group, members);
    this.group = group;
  }

  leave() {
    const all = groups();
    const members = all.get(this.group);
    members?.delete(this.member);
    if (members?.size === 0) all.delete(this.group);
    this.group = "";
  }

  /** @param {SharedCamera} camera  this view's camera, moved by its user */
  broadcast(camera) {
    if (!this.group) return;
    for (const member of [...(groups().get(this.group) ?? [])]) {
      if (member !== this.member) member.follow(camera);
    }
  }
}
