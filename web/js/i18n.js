// One translation table, shaped like the server's (app/i18n.py): the Dutch source text is the
// key, looked up in the table of the page's language (<html lang>), falling back to itself;
// {name} is filled from `params`. Dutch is the identity. No imports: logout.js loads it too.

const TABLES = { nl: {} };

export function _(text, params) {
  const table = TABLES[document.documentElement.lang.split("-")[0]] ?? TABLES.nl;
  const translated = Object.hasOwn(table, text) ? table[text] : text;
  if (!params) return translated;
  return translated.replace(/\{(\w+)\}/g,
                            (match, name) => (name in params ? String(params[name]) : match));
}

export function ngettext(singular, plural, n, params) {
  return _(n === 1 ? singular : plural, { n, ...params });
}
