// OneThing's own identifiers, as the host checks them: kebab-case ids
// (departments, steps, material codes; at most 64 bytes), data dictionary
// keys (dot-separated segments of [a-z0-9_], at most 128 bytes) and
// Semantic Versioning 2.0.0 versions.
//
// Not for coded identifiers of people or organisations: see `ids` in the SDK.

const utf8Length = (s) => new TextEncoder().encode(s).length;

/** Whether `s` is a kebab-case id: 1-64 bytes of [a-z0-9-], no leading, trailing or double hyphen. @param {string} s */
export function isKebab(s) {
  return (
    typeof s === 'string' &&
    s.length > 0 &&
    utf8Length(s) <= 64 &&
    /^[a-z0-9-]+$/.test(s) &&
    !s.startsWith('-') &&
    !s.endsWith('-') &&
    !s.includes('--')
  );
}

/** Whether `s` is a dictionary key: two or more dot-separated segments of [a-z0-9_], at most 128 bytes. @param {string} s */
export function isKey(s) {
  return (
    typeof s === 'string' &&
    utf8Length(s) <= 128 &&
    s.includes('.') &&
    s.split('.').every((seg) => /^[a-z0-9_]+$/.test(seg))
  );
}

const isDigits = (s) => /^[0-9]+$/.test(s);
const isNumber = (s) => isDigits(s) && (s === '0' || !s.startsWith('0'));
const isIdent = (s) => /^[0-9A-Za-z-]+$/.test(s);

/** Whether `s` is a Semantic Versioning 2.0.0 version. @param {string} s */
export function isSemver(s) {
  if (typeof s !== 'string') return false;
  const plus = s.indexOf('+');
  const rest = plus < 0 ? s : s.slice(0, plus);
  const build = plus < 0 ? undefined : s.slice(plus + 1);
  const dash = rest.indexOf('-');
  const core = dash < 0 ? rest : rest.slice(0, dash);
  const pre = dash < 0 ? undefined : rest.slice(dash + 1);
  const numbers = core.split('.');
  return (
    numbers.length === 3 &&
    numbers.every(isNumber) &&
    (pre === undefined || pre.split('.').every((i) => isIdent(i) && (!isDigits(i) || isNumber(i)))) &&
    (build === undefined || build.split('.').every(isIdent))
  );
}
