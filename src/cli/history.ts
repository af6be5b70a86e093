import type { Command } from 'commander';
import { AppError } from '../errors.ts';
import { verifySpaceHistoryAsOperator } from '../modules/history/history.service.ts';
import { globalOptionsOf } from './global-options.ts';
import { withInstallation } from './installation.ts';
import { Output } from './output.ts';

/** How often progress is shown while a long history is verified. */
const progressIntervalMs = 1000;

/**
 * `kith history verify --space ID`: recomputes a Space's hash chain against its
 * signed checkpoints. Exit 0 when it verifies; exit 5 naming the first bad seq.
 */
export function registerHistoryCommands(program: Command): void {
  const history = program.command('history').description('check Spaces’ tamper-evident history');

  history
    .command('verify')
    .description('recompute a Space’s history chain and check it against its signed checkpoints')
    .requiredOption('--space <id>', 'the Space’s id')
    .action(async (options: { space: string }, command: Command) => {
      const output = new Output(globalOptionsOf(command).json);
      let shownAt = Date.now();
      const result = await withInstallation(command, ({ config, stores }) =>
        verifySpaceHistoryAsOperator({ config, stores }, options.space, (verified, total) => {
          if (Date.now() - shownAt >= progressIntervalMs) {
            shownAt = Date.now();
            output.note(`verified ${verified} of ${total} entries…`);
          }
        }),
      );
      output.result(result, [
        result.ok
          ? `History of Space ${result.spaceId} verifies: ${result.count} entries, chain, values and checkpoints intact.`
          : `History of Space ${result.spaceId} does NOT verify: first bad seq ${result.firstBadSeq}.`,
      ]);
      if (!result.ok) {
        throw new AppError(
          'integrity_failure',
          `history of Space ${result.spaceId} does not verify: first bad seq ${result.firstBadSeq} (${result.reason})`,
        );
      }
    });
}
