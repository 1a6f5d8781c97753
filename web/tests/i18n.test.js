// The message catalogues (src/locales/*.js): every key of the English catalogue exists in
// every language, with every plural form that language's plural rules name (Intl.PluralRules:
// Arabic has six, Russian four), no key that English lacks, no empty message, and no
// {{placeholder}} the code does not fill.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import en from '../src/locales/en.js';
import ar from '../src/locales/ar.js';
import he from '../src/locales/he.js';
import ru from '../src/locales/ru.js';

const CATALOGUES = { en, ar, he, ru };
const FORMS = ['zero', 'one', 'two', 'few', 'many', 'other'];
const PLURAL = new RegExp(`_(${FORMS.join('|')})$`);

function flatten(o, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

/** { base key: { form or '': message } } */
function grouped(cat) {
  const out = {};
  for (const [k, v] of Object.entries(flatten(cat))) {
    const m = k.match(PLURAL);
    const base = m ? k.slice(0, -m[0].length) : k;
    (out[base] ||= {})[m ? m[1] : ''] = v;
  }
  return out;
}

const vars = (s) => new Set([...String(s).matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]));
const reference = grouped(en);

for (const [lang, cat] of Object.entries(CATALOGUES)) {
  test(`${lang}: the same keys as English, every plural form, no unknown placeholder`, () => {
    const g = grouped(cat);
    const needed = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    assert.deepEqual(Object.keys(g).filter((k) => !reference[k]), [], `${lang} has keys English lacks`);
    for (const [key, forms] of Object.entries(reference)) {
      assert.ok(g[key], `${lang} lacks ${key}`);
      const isPlural = !('' in forms);
      if (isPlural) {
        assert.ok(!('' in g[key]), `${lang}: ${key} should be plural`);
        for (const f of needed) assert.ok(f in g[key], `${lang} lacks ${key}_${f}`);
      } else {
        assert.deepEqual(Object.keys(g[key]), [''], `${lang}: ${key} should not be plural`);
      }
      const allowed = new Set(Object.values(forms).flatMap((m) => [...vars(m)]));
      if (isPlural) allowed.add('count');
      for (const [f, m] of Object.entries(g[key])) {
        assert.equal(typeof m, 'string', `${lang}: ${key} ${f}`);
        assert.ok(m.trim().length, `${lang}: ${key}${f ? `_${f}` : ''} is empty`);
        for (const v of vars(m)) assert.ok(allowed.has(v), `${lang}: ${key}${f ? `_${f}` : ''} uses {{${v}}}, which the code does not fill`);
        // A message that names a value English shows must show it too (plural forms
        // may spell the number out: "وحدتان", two units).
        if (!isPlural) for (const v of vars(forms[''])) assert.ok(vars(m).has(v), `${lang}: ${key} drops {{${v}}}`);
      }
    }
  });
}

test('the code asks only for keys the catalogue has', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join, dirname } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const src = join(dirname(fileURLToPath(import.meta.url)), '../src');
  const keys = new Set(Object.keys(reference));
  const missing = [];
  for (const f of readdirSync(src).filter((n) => n.endsWith('.js'))) {
    const text = readFileSync(join(src, f), 'utf8');
    for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z_]+\.[a-zA-Z_.]+)'/g)) if (!keys.has(m[1])) missing.push(`${f}: ${m[1]}`);
    for (const m of text.matchAll(/'([a-z]+\.[a-zA-Z]+)'\s*[:)]/g)) if (/^(signin|noticeForm|notices|feed|map|header|layout|app|incidents|replay)\./.test(m[1]) && !keys.has(m[1])) missing.push(`${f}: ${m[1]}`);
  }
  assert.deepEqual(missing, []);
});
