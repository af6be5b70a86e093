import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommanderError } from 'commander';
import { runKith, stderrLines } from '../../test/harness/cli-process.ts';
import { AppError, errorCodes } from '../errors.ts';
import { exitCodeFor, exitCodeOf } from './exit-codes.ts';

describe('kith exit codes', () => {
  test('every error code has the exit code CONTRACT.md gives its kind', () => {
    assert.deepEqual(exitCodeOf, {
      invalid_input: 6,
      unauthenticated: 4,
      forbidden: 4,
      not_found: 3,
      conflict: 6,
      too_large: 6,
      throttled: 1,
      integrity_failure: 5,
      unavailable: 1,
      internal: 1,
    });
    assert.deepEqual(Object.keys(exitCodeOf).sort(), [...errorCodes].sort());
  });

  test('usage errors exit 2, help and version 0, anything unknown 1', () => {
    assert.equal(exitCodeFor(new CommanderError(1, 'commander.unknownOption', 'x')), 2);
    assert.equal(exitCodeFor(new CommanderError(1, 'commander.help', '(outputHelp)')), 2);
    assert.equal(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)')), 0);
    assert.equal(exitCodeFor(new CommanderError(0, 'commander.version', '0.1.0')), 0);
    assert.equal(exitCodeFor(new AppError('not_found', 'x')), 3);
    assert.equal(exitCodeFor(new Error('boom')), 1);
  });
});

// Usage errors are refused before any store opens: no data directory is touched.
describe('kith usage errors', () => {
  const env = { KITH_DATA: '/nonexistent/kith-usage-test' };

  const usageError = async (args: string[], mentions: RegExp) => {
    const run = await runKith(args, { env });
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stdout, '');
    const lines = stderrLines(run);
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, mentions);
    assert.match(lines[0]!, /--help/);
  };

  test('no command, an unknown command, a group without its command', async () => {
    await usageError([], /kith needs a command: init, serve, migrate, users, spaces/);
    await usageError(['frobnicate'], /unknown command 'frobnicate'/);
    await usageError(['users'], /kith users needs a command: create, disable/);
  });

  test('an unknown option, a missing required option, an invalid port', async () => {
    await usageError(['init', '--colour'], /unknown option '--colour'.*kith init --help/);
    await usageError(['users', 'create', '--email', 'a@example.org', '--password-stdin'], /--name/);
    await usageError(['spaces', 'create', '--name', 'X', '--country', 'FR'], /--owner/);
    await usageError(['serve', '--port', 'http'], /port/);
  });

  test('--help prints the command’s usage with the global options, exit 0', async () => {
    const run = await runKith(['users', 'create', '--help'], { env });
    assert.equal(run.code, 0);
    assert.match(run.stdout, /Usage: kith users create/);
    assert.match(run.stdout, /--password-stdin/);
    assert.match(run.stdout, /--data <dir>/);
    assert.match(run.stdout, /--json/);
  });
});
