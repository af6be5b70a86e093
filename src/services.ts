import { join } from 'node:path';
import type { Config } from './config.ts';
import { type Clock, systemClock } from './context.ts';
import { BackupsService } from './modules/backups/backups.service.ts';
import { ContactsService } from './modules/contacts/contacts.service.ts';
import { CustomFieldsService } from './modules/contacts/custom-fields.service.ts';
import { SpaceSettingsService } from './modules/contacts/space-settings.service.ts';
import { ExportsService } from './modules/exports/exports.service.ts';
import { HistoryService } from './modules/history/history.service.ts';
import { DirectoryService } from './modules/hr/directory.service.ts';
import { StaffAccountsService } from './modules/hr/staff-accounts.service.ts';
import { IdentityService } from './modules/identity/identity.service.ts';
import { ImportsService } from './modules/imports/imports.service.ts';
import { type Mailer, OutboxMailer } from './modules/mail/mailer.ts';
import { SalesService } from './modules/sales/sales.service.ts';
import { MembersService } from './modules/spaces/members.service.ts';
import { SpacesService } from './modules/spaces/spaces.service.ts';
import { type DenialLog, StderrDenialLog } from './modules/staff/staff-denials.ts';
import { StaffGrantsService } from './modules/staff/staff-grants.service.ts';
import { SupportCardService } from './modules/support/support-card.service.ts';
import { TicketsService } from './modules/support/tickets.service.ts';
import { hrChangesChannel, PlatformChanges } from './stores/platform-changes.ts';
import type { Stores } from './stores/stores.ts';

/** What every service is built from. */
export interface ServiceDeps {
  readonly config: Config;
  readonly stores: Stores;
  readonly clock: Clock;
  readonly mailer: Mailer;
  /**
   * Benchmarks only (`bench/history-writes.ts`): false skips the contact history
   * entries, to measure what they cost. Never set by configuration.
   */
  readonly recordContactHistory?: boolean;
  /** Where denied staff attempts are logged for the operator (ids and codes only). */
  readonly denials?: DenialLog;
  /**
   * The platform store's change feed: with it, sessions and a user's Spaces are
   * served from memory and dropped on every change; without it, read each time.
   */
  readonly platformChanges?: PlatformChanges;
  /** The hr store's change feed: with it, staff sessions are served from memory too. */
  readonly hrChanges?: PlatformChanges;
}

export interface Services {
  readonly identity: IdentityService;
  readonly spaces: SpacesService;
  readonly members: MembersService;
  readonly contacts: ContactsService;
  readonly customFields: CustomFieldsService;
  readonly spaceSettings: SpaceSettingsService;
  readonly history: HistoryService;
  readonly exports: ExportsService;
  readonly imports: ImportsService;
  readonly backups: BackupsService;
  readonly staffAccounts: StaffAccountsService;
  readonly staffGrants: StaffGrantsService;
  readonly supportCard: SupportCardService;
  readonly sales: SalesService;
  readonly tickets: TicketsService;
  readonly directory: DirectoryService;
}

export function createServices(
  config: Config,
  stores: Stores,
  options: {
    clock?: Clock;
    mailer?: Mailer;
    denials?: DenialLog;
    benchmarkWithoutContactHistory?: true;
  } = {},
): Services {
  const deps: ServiceDeps = {
    config,
    stores,
    clock: options.clock ?? systemClock,
    mailer: options.mailer ?? new OutboxMailer(join(config.dataDir, 'outbox')),
    recordContactHistory: options.benchmarkWithoutContactHistory !== true,
    denials: options.denials ?? new StderrDenialLog(),
    platformChanges: new PlatformChanges(() => stores.platform()),
    hrChanges: new PlatformChanges(() => stores.department('hr'), hrChangesChannel),
  };
  const staffAccounts = new StaffAccountsService(deps);
  const identity = new IdentityService(deps, staffAccounts);
  const spaces = new SpacesService(deps);
  const members = new MembersService(deps, identity);
  return {
    identity,
    spaces,
    members,
    contacts: new ContactsService(deps),
    customFields: new CustomFieldsService(deps),
    spaceSettings: new SpaceSettingsService(deps),
    history: new HistoryService(deps),
    exports: new ExportsService(deps),
    imports: new ImportsService(deps),
    backups: new BackupsService(deps),
    staffAccounts,
    staffGrants: new StaffGrantsService(deps, staffAccounts),
    supportCard: new SupportCardService(deps, identity),
    sales: new SalesService(deps),
    tickets: new TicketsService(deps),
    directory: new DirectoryService(deps),
  };
}
