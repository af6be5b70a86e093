import type { BackupManifest } from './backup-manifest.ts';

/** What leaves the server about a backup: its manifest, no key material. */
export interface BackupView {
  id: string;
  spaceId: string;
  region: string;
  createdAt: string;
  size: number;
  sha256: string;
  rows: Record<string, number>;
}

export function toBackupView(manifest: BackupManifest): BackupView {
  return {
    id: manifest.backupId,
    spaceId: manifest.spaceId,
    region: manifest.region,
    createdAt: manifest.createdAt,
    size: manifest.size,
    sha256: manifest.sha256,
    rows: { ...manifest.rows },
  };
}
