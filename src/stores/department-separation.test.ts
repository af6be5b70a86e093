import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Department, departments } from './store-names.ts';

/**
 * SPEC 2 and 4.7, proven on the source: a department's module holds its own
 * store and no other. In `src/modules/<department>/` (tests aside):
 * - the only store handle asked for is `stores.department('<department>')`:
 *   never another department, a region, or the platform store;
 * - nothing is imported from another department's module, from a region or
 *   platform repository, or from the catalogue of region tables;
 * - SQL names only tables of the department's own store (read from its migrations).
 * Reading users' data for the support card goes through identity's service.
 */
const root = fileURLToPath(new URL('../', import.meta.url));

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) {
      return sourceFiles(path);
    }
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

function tablesOf(store: string): Set<string> {
  const directory = join(root, 'stores', 'migrations', store);
  const tables = new Set<string>();
  for (const file of readdirSync(directory).filter((f) => f.endsWith('.sql'))) {
    for (const match of readFileSync(join(directory, file), 'utf8').matchAll(
      /CREATE TABLE (\w+)/g,
    )) {
      tables.add(match[1] as string);
    }
  }
  return tables;
}

const allTables = ['platform', 'region', ...departments].map((store) => ({
  store,
  tables: tablesOf(store),
}));

/** Every breach of the rules in one file of `department`'s module. */
export function separationViolations(department: Department, file: string, text: string): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(/\.department\(\s*['"](\w+)['"]\s*\)/g)) {
    if (match[1] !== department) {
      problems.push(`${file}: opens the ${match[1]} store`);
    }
  }
  for (const handle of ['region', 'platform']) {
    if (new RegExp(`\\.${handle}\\(`).test(text)) {
      problems.push(`${file}: opens a ${handle} store`);
    }
  }
  for (const match of text.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
    const specifier = match[1] as string;
    const other = departments.find((d) => d !== department && specifier.includes(`/${d}/`));
    if (other) {
      problems.push(`${file}: imports the ${other} module (${specifier})`);
    }
    const ownModule = specifier.startsWith('./');
    if (!ownModule && /\.repository\.ts$/.test(specifier)) {
      problems.push(`${file}: imports another module's repository (${specifier})`);
    }
    if (/space-tables|history-writer/.test(specifier)) {
      problems.push(`${file}: imports region-store code (${specifier})`);
    }
  }
  const own = tablesOf(department);
  for (const match of text.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]+)\b/g)) {
    const table = match[1] as string;
    if (own.has(table)) {
      continue;
    }
    const elsewhere = allTables.find((s) => s.store !== department && s.tables.has(table));
    if (elsewhere) {
      problems.push(`${file}: SQL names ${table} of the ${elsewhere.store} store`);
    }
  }
  return problems;
}

test('each department module holds its own store only', () => {
  const problems: string[] = [];
  let files = 0;
  for (const department of departments) {
    for (const path of sourceFiles(join(root, 'modules', department))) {
      files += 1;
      problems.push(
        ...separationViolations(department, relative(root, path), readFileSync(path, 'utf8')),
      );
    }
  }
  assert.ok(files >= 10, `scanned ${files} files`);
  assert.deepEqual(problems, []);
});

test('the scan catches each kind of breach', () => {
  const cases: [Department, string][] = [
    ['sales', "await this.deps.stores.department('support')"],
    ['support', 'await this.deps.stores.region(space.region)'],
    ['hr', 'await this.deps.stores.platform()'],
    ['sales', "import { TicketsService } from '../support/tickets.service.ts';"],
    ['support', "import { listContacts } from '../contacts/contact.repository.ts';"],
    ['hr', "import { readSpaceTables } from '../../stores/space-tables.ts';"],
    ['sales', 'SELECT * FROM tickets'],
    ['support', 'SELECT name FROM users JOIN memberships ON true'],
  ];
  for (const [department, text] of cases) {
    assert.notDeepEqual(separationViolations(department, 'probe.ts', text), [], text);
  }
  assert.deepEqual(
    separationViolations('sales', 'probe.ts', "stores.department('sales'); SELECT * FROM deals"),
    [],
  );
});
