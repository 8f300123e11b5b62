// The error answers of a department's system as RFC 9457 problem details
// (`application/problem+json`): `type`, `title`, `status`, `detail`, and
// any further members (who holds a name, the number a subject already has).
//
// Not a schema: a member the step needs is read by name (`text(name)`),
// whatever else the body holds.

import { decode } from '../utf8.js';

/** One problem a system answered. */
export class ProblemDetails {
  /** @param {Record<string, unknown>} members */
  constructor(members) {
    /** Every member, as parsed. */
    this.members = members;
  }

  /**
   * The problem in `body` (bytes or text), if it is a JSON object.
   * @param {Uint8Array | string} body @returns {ProblemDetails | undefined}
   */
  static parse(body) {
    let v;
    try {
      v = JSON.parse(typeof body === 'string' ? body : decode(body));
    } catch {
      return undefined;
    }
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? new ProblemDetails(v) : undefined;
  }

  /**
   * Its short machine code: `title` when it is one word of kebab-case, else
   * the last `:` or `/` segment of `type`, else empty
   * (`urn:onething:systems:name-taken` gives `name-taken`).
   */
  get code() {
    const title = this.text('title');
    if (title !== undefined && /^[a-z0-9-]+$/.test(title)) return title;
    const type = this.text('type');
    if (type === undefined) return '';
    const parts = type.split(/[:/]/);
    return parts[parts.length - 1];
  }

  /** `detail`, if given. */
  get detail() {
    return this.text('detail');
  }

  /** The text member `name`, if it is text. @param {string} name @returns {string | undefined} */
  text(name) {
    const v = Object.hasOwn(this.members, name) ? this.members[name] : undefined;
    return typeof v === 'string' ? v : undefined;
  }

  /** Any member, as parsed JSON. @param {string} name */
  member(name) {
    return Object.hasOwn(this.members, name) ? this.members[name] : undefined;
  }

  /** `code: detail`, for error messages (operators read these). */
  summary() {
    const d = this.detail;
    return d === undefined ? this.code : `${this.code}: ${d}`;
  }
}
