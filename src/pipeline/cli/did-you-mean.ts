// Ranks known command names by closeness to a mistyped one (edit distance on the whole name, or on its start so
// that `trian` finds `train-srad`). Pure string work, no oclif.

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/** Up to `max` names within a third of the typed length (at least 2 edits), closest first, ties in name order. */
export function closestCommands(typed: string, names: string[], max = 3): string[] {
  const t = typed.toLowerCase();
  const limit = Math.max(2, Math.floor(t.length / 3));
  const scored = [...new Set(names)].map((name) => {
    const n = name.toLowerCase();
    // A match on the name's start counts one edit more than the same match on the whole name.
    const prefix = n.length > t.length ? editDistance(t, n.slice(0, t.length)) + 1 : Infinity;
    return { name, d: Math.min(editDistance(t, n), prefix) };
  });
  return scored
    .filter((s) => s.d <= limit)
    .sort((a, b) => a.d - b.d || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, max)
    .map((s) => s.name);
}
