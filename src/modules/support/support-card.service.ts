import type { Caller } from '../../context.ts';
import { notFound } from '../../errors.ts';
import type { ServiceDeps } from '../../services.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import { requireStaffRole } from '../staff/department-guard.ts';

/** Exactly the three fields of SPEC 4.7; `support-card.test.ts` fails on any other. */
export interface SupportCard {
  name: string;
  organization: string;
  device: string | null;
}

/**
 * The support card (SPEC 4.7): what a support agent may know of a user who
 * contacts support — their name, their organisation (Space names) and the
 * device of their latest session. Support staff only.
 */
export class SupportCardService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly identity: IdentityService,
  ) {}

  async card(caller: Caller, email: string): Promise<SupportCard> {
    requireStaffRole(this.deps, caller, 'support', 'support.card');
    const row = await this.identity.supportCardOf(email);
    if (!row) {
      throw notFound('user');
    }
    // Built field by field: whatever the row carries, only these three leave.
    return { name: row.name, organization: row.organization ?? '', device: row.device };
  }
}
