import { open, rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode, errorCodes } from '../../errors.ts';
import type { ImportLimits } from './import-limits.ts';

/** Whether the file starts like a zip archive (an XLSX is one). */
export async function isZipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head.readUInt32LE(0) === 0x04034b50;
  } finally {
    await handle.close();
  }
}

/**
 * The worker's first lines: Kith runs its TypeScript through tsx, whose loader a
 * worker thread does not inherit on Node 20, so the worker registers it itself.
 */
function workerBootstrap(): string {
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const worker = JSON.stringify(new URL('./xlsx-worker.ts', import.meta.url).href);
  return `import(${tsx}).then(({ register }) => { register(); return import(${worker}); })`;
}

/** How long reading one XLSX may take before the worker is stopped. */
const workerTimeoutMs = 10 * 60 * 1000;

/**
 * Reads the first sheet of an XLSX into `outPath`, one JSON array `[row, ...cells]`
 * per line, in a worker thread whose heap is capped (`workerMemoryMb`): a file
 * built to exhaust memory ends that worker with a 413, never the server.
 */
export async function extractXlsxRows(
  path: string,
  outPath: string,
  limits: ImportLimits,
): Promise<void> {
  const worker = new Worker(workerBootstrap(), {
    eval: true,
    workerData: { path, outPath, limits },
    resourceLimits: {
      maxOldGenerationSizeMb: limits.workerMemoryMb,
      maxYoungGenerationSizeMb: Math.min(64, Math.max(8, Math.floor(limits.workerMemoryMb / 8))),
      stackSizeMb: 4,
    },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new AppError('too_large', 'import limit exceeded: the XLSX took too long to read'));
      }, workerTimeoutMs);
      worker.once('message', (message: { ok: boolean; code?: string; message?: string }) => {
        clearTimeout(timer);
        if (message.ok) {
          resolve();
          return;
        }
        const code = (errorCodes as readonly string[]).includes(message.code ?? '')
          ? (message.code as ErrorCode)
          : 'invalid_input';
        reject(new AppError(code, message.message ?? 'the XLSX could not be read'));
      });
      worker.once('error', (error: Error & { code?: string }) => {
        clearTimeout(timer);
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new AppError(
                'too_large',
                `import limit exceeded: reading this XLSX needs more than ${limits.workerMemoryMb} MB (KITH_IMPORT_WORKER_MEMORY_MB sets the limit)`,
              )
            : new AppError('invalid_input', 'the XLSX could not be read'),
        );
      });
      worker.once('exit', (code) => {
        clearTimeout(timer);
        reject(new AppError('invalid_input', `the XLSX reader stopped (exit ${code})`));
      });
    });
  } catch (error) {
    await rm(outPath, { force: true });
    throw error;
  } finally {
    await worker.terminate();
  }
}
