/**
 * TypeScript's convention that an import of "./x.js" means the file x.ts (and .mjs means .mts,
 * .cjs .cts, .jsx .tsx): the files a missing JavaScript module may have been written as. Used where
 * skein resolves a program's specifiers itself (evaluate.ts, locate-by-source.ts).
 */

const TS_TWINS: Array<[RegExp, string[]]> = [
  [/\.js$/, [".ts", ".tsx"]],
  [/\.jsx$/, [".tsx"]],
  [/\.mjs$/, [".mts"]],
  [/\.cjs$/, [".cts"]],
];

/** The TypeScript files a missing `.js` (or .jsx, .mjs, .cjs) module may have been written as. */
export function tsTwins(spec: string): string[] {
  const out: string[] = [];
  for (const [re, alts] of TS_TWINS) if (re.test(spec)) for (const alt of alts) out.push(spec.replace(re, alt));
  return out;
}
