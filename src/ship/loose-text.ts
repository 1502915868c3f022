/**
 * Code compared without its whitespace. Bun prints a function's text as it compiled the file,
 * which may be indented differently from what Bun.Transpiler gives for the same file (a CommonJS
 * module's body, which Bun wraps in a function): found by its text on Bun, a function is matched
 * with whitespace left out.
 */

/** A text without whitespace, and where each of its characters stood in the original. */
export interface Squeezed {
  text: string;
  at: Int32Array;
}

export function squeeze(text: string): Squeezed {
  const at = new Int32Array(text.length);
  let out = "";
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // space, tab, line breaks, vertical tab, form feed
    if (c === 32 || (c >= 9 && c <= 13)) continue;
    out += text[i];
    at[n++] = i;
  }
  return { text: out, at: at.subarray(0, n) };
}

/** True when a and b are the same but for whitespace. */
export function sameButSpace(a: string, b: string): boolean {
  return a === b || squeeze(a).text === squeeze(b).text;
}
