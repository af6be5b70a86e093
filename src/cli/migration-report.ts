/** Human lines for `{store: migrations applied}`, as `kith init` and `kith migrate` print them. */
export function migrationReport(applied: Readonly<Record<string, readonly string[]>>): string[] {
  const width = Math.max(...Object.keys(applied).map((name) => name.length));
  return Object.entries(applied).map(([store, names]) => {
    const what =
      names.length === 0
        ? 'up to date'
        : `${names.length} migration${names.length === 1 ? '' : 's'} applied: ${names.join(', ')}`;
    return `  ${store.padEnd(width)}  ${what}`;
  });
}
