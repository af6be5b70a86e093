import { z } from 'zod';

/**
 * A Space's settings (region store, `spaces.settings`). Add a setting here with
 * its default; stored documents without it read as the default.
 */
export const spaceSettingsSchema = z.object({
  /** Operator staff need a superadmin's approval before a grant to this Space opens. */
  requireStaffApproval: z
    .boolean()
    .describe('staff access to this Space needs a superadmin’s approval first'),
});
export type SpaceSettings = z.infer<typeof spaceSettingsSchema>;

export const defaultSpaceSettings: SpaceSettings = { requireStaffApproval: false };

/** `PATCH /spaces/:spaceId/settings`: any subset. */
export const spaceSettingsPatch = spaceSettingsSchema.partial().strict();
