/**
 * Regenerates `src/modules/identity/common-passwords.txt`, the list of passwords
 * refused as too common (ASVS 5.0 V6.2.4).
 *
 * Source: the `passwords-common` word list of the npm package
 * `@zxcvbn-ts/language-common` (MIT). It is not a dependency of Kith: install it
 * outside the checkout and point this script at it, e.g.
 *
 *     mkdir -p /tmp/zxcvbn && cd /tmp/zxcvbn && npm init -y \
 *       && npm install --no-save @zxcvbn-ts/language-common@4
 *     cd /work/main && node --import tsx scripts/build-common-passwords.ts /tmp/zxcvbn
 *
 * Only passwords of 8 code points or more are kept (shorter ones are refused by
 * length already), lower-cased, deduplicated, in the list's order (most common
 * first). The first line is a `#` comment naming the source and its licence; the
 * loader skips lines starting with `#`, so a password starting with `#` would be
 * lost: the script fails if the list ever holds one.
 */

import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const minimumLength = 8;
const target = fileURLToPath(
  new URL('../src/modules/identity/common-passwords.txt', import.meta.url),
);

async function main(): Promise<void> {
  const installedIn = resolve(process.argv[2] ?? '.');
  const require = createRequire(join(installedIn, 'package.json'));
  const manifest = require('@zxcvbn-ts/language-common/package.json') as {
    version: string;
    license: string;
  };
  const module = require('@zxcvbn-ts/language-common') as {
    dictionary: Record<string, string[] | undefined>;
  };
  const words = module.dictionary['passwords-common'];
  if (!words || words.length === 0) {
    throw new Error('@zxcvbn-ts/language-common has no dictionary["passwords-common"]');
  }
  const kept = new Set<string>();
  for (const word of words) {
    const lower = word.trim().toLowerCase();
    if ([...lower].length < minimumLength) {
      continue;
    }
    if (lower.startsWith('#') || /[\r\n]/.test(lower)) {
      throw new Error(
        `cannot keep ${JSON.stringify(lower)}: the loader would read it as a comment`,
      );
    }
    kept.add(lower);
  }
  const header =
    `# source: @zxcvbn-ts/language-common@${manifest.version} dictionary "passwords-common" ` +
    `(license: ${manifest.license}, Copyright (c) 2012-2016 Dan Wheeler and Dropbox, Inc., ` +
    `Copyright (c) 2021 @zxcvbn-ts); lower-cased, ${minimumLength}+ code points only; ` +
    'regenerate with scripts/build-common-passwords.ts';
  await writeFile(target, `${header}\n${[...kept].join('\n')}\n`);
  console.log(`wrote ${kept.size} passwords to ${target}`);
}

await main();
