// A manifest checked against the data dictionary in unit tests, by the
// host's own words: a read, write or material the dictionary lacks fails
// `node --test`, not the first load, and names the nearest key (the host's
// "did you mean", optimal-string-alignment distance within a third of the
// name's length).
//
// Which dictionary: `dictionary()` reads the file $ONETHING_DICTIONARY names,
// else the first `examples/dictionary.toml` found walking up from the
// current directory; dictionaryFrom(path) and dictionaryFromToml(text) take
// one explicitly. The TOML parser is smol-toml, found from the project
// being tested (its devDependency) or else from the SDK's own.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The environment variable naming the dictionary file. */
export const DICTIONARY_ENV = 'ONETHING_DICTIONARY';

/** A dictionary as the test kit uses it: its field keys and material codes. */
export class Dictionary {
  /** @param {string[]} fields @param {string[]} materials @param {string} source */
  constructor(fields, materials, source) {
    this.fields = [...fields].sort();
    this.materials = [...materials].sort();
    this.source = source;
  }

  /** Whether `key` is a field of the dictionary. @param {string} key */
  hasField(key) {
    return this.fields.includes(key);
  }

  /** Whether `code` is a material of the dictionary. @param {string} code */
  hasMaterial(code) {
    return this.materials.includes(code);
  }
}

let parseToml;

async function loadParser() {
  const places = [join(process.cwd(), 'package.json'), import.meta.url];
  for (const from of places) {
    try {
      const url = pathToFileURL(createRequire(from).resolve('smol-toml')).href;
      const mod = await import(url);
      const parse = mod.parse ?? mod.default?.parse;
      if (typeof parse === 'function') return parse;
    } catch {
      // try the next place
    }
  }
  return undefined;
}

parseToml = await loadParser();

function parse(text, source) {
  if (!parseToml) {
    throw new Error(
      'testkit: checking a manifest against the dictionary needs the TOML parser smol-toml: add it to your ' +
        'project (npm install --save-dev --save-exact smol-toml@1.9.1)',
    );
  }
  let doc;
  try {
    doc = parseToml(text);
  } catch (e) {
    throw new Error(`testkit: the dictionary ${source} does not parse: ${/** @type {Error} */ (e).message}`);
  }
  const fields = doc.fields && typeof doc.fields === 'object' ? Object.keys(doc.fields) : [];
  const materials = doc.materials && typeof doc.materials === 'object' ? Object.keys(doc.materials) : [];
  if (fields.length === 0) throw new Error(`testkit: the dictionary ${source} has no [fields."<key>"] entries`);
  return new Dictionary(fields, materials, source);
}

/** A dictionary written inline. @param {string} text @returns {Dictionary} */
export function dictionaryFromToml(text) {
  return parse(text, 'inline dictionary');
}

/** The dictionary in the file at `path`; throws naming the file. @param {string} path @returns {Dictionary} */
export function dictionaryFrom(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`testkit: cannot read the dictionary ${path}: ${/** @type {Error} */ (e).message}`);
  }
  return parse(text, path);
}

function find() {
  const named = process.env[DICTIONARY_ENV];
  if (named) return named;
  let dir = resolve(process.cwd());
  for (;;) {
    const candidate = join(dir, 'examples', 'dictionary.toml');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(
    `testkit: no examples/dictionary.toml in ${process.cwd()} or any directory above it; set ${DICTIONARY_ENV} to the platform's dictionary file`,
  );
}

let cached;

/** The platform's data dictionary (see the module comment), read once. @returns {Dictionary} */
export function dictionary() {
  if (!cached) cached = dictionaryFrom(find());
  return cached;
}

/** Optimal string alignment distance (an adjacent swap counts one edit). */
function osa(a, b) {
  const s = Array.from(a);
  const t = Array.from(b);
  const d = Array.from({ length: s.length + 1 }, (_, i) => {
    const row = new Array(t.length + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= t.length; j++) d[0][j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[s.length][t.length];
}

/** ` (did you mean `x`?)`, or nothing. @param {string} unknown @param {string[]} candidates */
export function didYouMean(unknown, candidates) {
  const wanted = unknown.toLowerCase();
  const allowed = Math.max(Math.floor(Array.from(wanted).length / 3), 1);
  let best;
  for (const c of candidates) {
    if (c === unknown) continue;
    const d = osa(wanted, c.toLowerCase());
    if (d <= allowed && (best === undefined || d < best[0])) best = [d, c];
  }
  return best ? ` (did you mean \`${best[1]}\`?)` : '';
}

/**
 * Every read, write and material of `manifest` (a contract record) that
 * `dict` lacks, in the host's words.
 * @param {import('../manifest.js').ManifestRecord} manifest @param {Dictionary} dict @returns {string[]}
 */
export function dictionaryFaults(manifest, dict) {
  const faults = [];
  for (const step of manifest.steps) {
    for (const r of step.reads) {
      if (!dict.hasField(r.key)) {
        faults.push(`step ${step.id}: reads ${r.key}, which is not in the data dictionary${didYouMean(r.key, dict.fields)}`);
      }
    }
    for (const w of step.writes) {
      if (!dict.hasField(w)) {
        faults.push(`step ${step.id}: writes ${w}, which is not in the data dictionary${didYouMean(w, dict.fields)}`);
      }
    }
    for (const m of step.materials) {
      if (!dict.hasMaterial(m.code)) {
        faults.push(
          `step ${step.id}: needs material ${m.code}, which is not in the data dictionary${didYouMean(m.code, dict.materials)}`,
        );
      }
    }
  }
  return faults;
}
