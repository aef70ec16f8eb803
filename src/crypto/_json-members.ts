/**
 * Duplicate member names in JSON text (RFC 7515 §5.2, RFC 8259 §4: names "SHOULD be unique"; a JOSE header
 * with a duplicate must be rejected, or two parsers may act on two different values of `alg` or `crit`).
 *
 * JSON.parse keeps the last duplicate silently and Node 20 offers no hook that sees the source, so this walks
 * the text. It runs only on text JSON.parse has already accepted, which keeps it small: the grammar is V8's
 * job; this only tracks nesting and decodes each member name with JSON.parse, so `"\u0061lg"` and `"alg"`
 * are the same name. Linear time, no recursion.
 */

/** True when no object in `text` (already valid JSON) repeats a member name. */
export function hasNoDuplicateMembers(text: string): boolean {
  // One entry per open container: the names seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const names = open[open.length - 1];
      if (expectName && names) {
        const name = JSON.parse(text.slice(i, j + 1)) as string;
        if (names.has(name)) return false;
        names.add(name);
      }
      expectName = false;
      i = j;
    } else if (c === 0x7b /* { */) {
      open.push(new Set());
      expectName = true;
    } else if (c === 0x5b /* [ */) {
      open.push(null);
      expectName = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      open.pop();
      expectName = false;
    } else if (c === 0x2c /* , */) {
      expectName = open[open.length - 1] != null;
    }
  }
  return true;
}
