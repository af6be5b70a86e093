import { z } from 'zod';
import { staffRoles } from '../../context.ts';
import { plainText } from '../../http/common-schemas.ts';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date, YYYY-MM-DD' })
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), {
    message: 'must be a real date',
  });

export const staffEmail = z
  .string()
  .trim()
  .max(254)
  .check(z.email({ message: 'must be an email address' }));

/** A directory entry (`kith staff create`, `POST /hr/staff`). */
export const newStaffInput = z
  .object({
    /** Work email; also the login of the account. */
    email: staffEmail.describe('work email; also the login'),
    /** Full name. */
    name: plainText(1, 200).describe('full name'),
    /** The staff role: what the person may reach. */
    role: z.enum(staffRoles).describe('the staff role: what the person may reach'),
    /** Department, free text (defaults to the role). */
    department: plainText(1, 100).optional().describe('department (defaults to the role)'),
    /** Employee or contractor (default employee). */
    contractType: z
      .enum(['employee', 'contractor'])
      .default('employee')
      .describe('employee or contractor'),
    /** First day of the contract (default today, UTC). */
    startDate: isoDate.optional().describe('first day of the contract, YYYY-MM-DD (default today)'),
    /** Last day of the contract, inclusive; none for an open-ended contract. */
    endDate: isoDate.nullable().optional().describe('last day of the contract, inclusive'),
  })
  .strict();
export type NewStaffInput = z.input<typeof newStaffInput>;

/** `PATCH /hr/staff/:staffId`: any subset. An end date in the past ends the account's sessions. */
export const staffPatch = z
  .object({
    /** Department, free text. */
    department: plainText(1, 100).optional().describe('department'),
    /** Employee or contractor. */
    contractType: z.enum(['employee', 'contractor']).optional().describe('employee or contractor'),
    /** Last day of the contract, inclusive; null reopens it. */
    endDate: isoDate
      .nullable()
      .optional()
      .describe('last day of the contract, inclusive; null for none'),
  })
  .strict();

export const staffResponse = z.object({
  id: z.uuid().describe('the staff member’s id'),
  email: z.string().describe('work email'),
  name: z.string().describe('full name'),
  role: z.enum(staffRoles).describe('staff role'),
  department: z.string().describe('department'),
  contractType: z.enum(['employee', 'contractor']).describe('employee or contractor'),
  startDate: z.string().describe('first day of the contract'),
  endDate: z.string().nullable().describe('last day of the contract, inclusive'),
  hasAccount: z.boolean().describe('whether the person can log in'),
  active: z.boolean().describe('whether the account can log in today'),
});
export type StaffView = z.infer<typeof staffResponse>;
