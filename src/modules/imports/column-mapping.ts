import { AppError } from '../../errors.ts';
import { consentChannels, flagFields, textFields } from '../contacts/contact-model.ts';
import { normaliseText } from '../contacts/contact-search.ts';
import type { CustomFieldDefinition } from '../contacts/custom-field-values.ts';

/**
 * What a column fills: a contact text field, `tags`, `consents.<channel>`,
 * `doNotContact`, `doNotSell`, `customFields.<key>`, or `ignore`.
 */
export type ColumnTarget = string;

/** Column header → target, as the client sends it (`mapping`) or as guessed from the headers. */
export type ColumnMapping = Readonly<Record<string, ColumnTarget>>;

/** A resolved mapping: for each target, the index of the column that fills it. */
export type ResolvedColumns = ReadonlyMap<ColumnTarget, number>;

const forbiddenHeaders = new Set(['__proto__', 'constructor', 'prototype']);

// Headers as people write them, normalised (lower case, no accents, letters and digits only).
const synonyms: Readonly<Record<string, readonly string[]>> = {
  firstName: ['firstname', 'first', 'givenname', 'forename', 'prenom', 'vorname', 'nombre'],
  lastName: ['lastname', 'last', 'surname', 'familyname', 'nom', 'nomdefamille', 'nachname'],
  email: [
    'email',
    'emailaddress',
    'mail',
    'courriel',
    'adresseemail',
    'adressemail',
    'emailadresse',
  ],
  phone: ['phone', 'phonenumber', 'telephone', 'tel', 'mobile', 'mobilephone', 'cell', 'portable'],
  street: ['street', 'streetaddress', 'address', 'address1', 'adresse', 'rue', 'strasse'],
  postcode: ['postcode', 'postalcode', 'zip', 'zipcode', 'codepostal', 'cp', 'plz'],
  city: ['city', 'town', 'ville', 'stadt', 'ciudad', 'commune'],
  country: ['country', 'countrycode', 'pays', 'land'],
  tags: ['tags', 'tag', 'labels', 'groups', 'etiquettes'],
  'consents.email': ['consentemail', 'emailconsent', 'emailoptin', 'optinemail', 'newsletter'],
  'consents.sms': ['consentsms', 'smsconsent', 'smsoptin', 'optinsms'],
  'consents.phone': ['consentphone', 'phoneconsent', 'phoneoptin', 'optinphone'],
  doNotContact: ['donotcontact', 'dnc', 'objection'],
  doNotSell: ['donotsell'],
};

const headerKey = (header: string) => normaliseText(header).replace(/[^a-z0-9]/g, '');

/** Every target a column may name, given the Space's custom fields. */
function isTarget(
  target: string,
  definitions: ReadonlyMap<string, CustomFieldDefinition>,
): boolean {
  if (target === 'ignore' || target === 'tags') {
    return true;
  }
  if ((textFields as readonly string[]).includes(target)) {
    return true;
  }
  if ((flagFields as readonly string[]).includes(target)) {
    return true;
  }
  if (consentChannels.some((channel) => target === `consents.${channel}`)) {
    return true;
  }
  if (target.startsWith('customFields.')) {
    const definition = definitions.get(target.slice('customFields.'.length));
    return definition !== undefined && definition.deletedAt === null;
  }
  return false;
}

/** Refuses headers that could be mistaken for object internals, and repeated headers. */
export function checkHeaders(headers: readonly string[]): void {
  const seen = new Set<string>();
  for (const raw of headers) {
    const header = raw.trim();
    if (forbiddenHeaders.has(header)) {
      throw new AppError(
        'invalid_input',
        `column header "${header}" is not allowed: rename that column`,
      );
    }
    if (header !== '' && seen.has(header)) {
      throw new AppError(
        'invalid_input',
        `column header "${header}" appears twice: give each column its own name`,
      );
    }
    seen.add(header);
  }
}

/** A mapping guessed from the headers: known synonyms, then custom field keys and labels. */
export function guessMapping(
  headers: readonly string[],
  definitions: ReadonlyMap<string, CustomFieldDefinition>,
): Record<string, ColumnTarget> {
  const mapping: Record<string, ColumnTarget> = {};
  const used = new Set<string>();
  for (const raw of headers) {
    const header = raw.trim();
    const key = headerKey(header);
    if (header === '' || key === '') {
      continue;
    }
    let target = Object.keys(synonyms).find((field) => synonyms[field]?.includes(key));
    if (!target) {
      const definition = [...definitions.values()].find(
        (d) => d.deletedAt === null && (headerKey(d.key) === key || headerKey(d.label) === key),
      );
      target = definition ? `customFields.${definition.key}` : undefined;
    }
    if (target && !used.has(target)) {
      used.add(target);
      mapping[header] = target;
    }
  }
  return mapping;
}

/**
 * The column index of each target. Every header the mapping names must exist,
 * every target must be one a contact has, and no target may be filled twice.
 */
export function resolveMapping(
  headers: readonly string[],
  mapping: ColumnMapping,
  definitions: ReadonlyMap<string, CustomFieldDefinition>,
): ResolvedColumns {
  const indexOf = new Map(headers.map((header, index) => [header.trim(), index]));
  const resolved = new Map<ColumnTarget, number>();
  for (const [header, target] of Object.entries(mapping)) {
    const index = indexOf.get(header.trim());
    if (index === undefined) {
      throw new AppError(
        'invalid_input',
        `mapping: the file has no column "${header}" (its columns: ${headers.join(', ')})`,
      );
    }
    if (!isTarget(target, definitions)) {
      throw new AppError(
        'invalid_input',
        `mapping: "${target}" (column "${header}") is not a contact field: use firstName, lastName, email, phone, street, postcode, city, country, tags, consents.email|sms|phone, doNotContact, doNotSell, customFields.<key> or ignore`,
      );
    }
    if (target === 'ignore') {
      continue;
    }
    if (resolved.has(target)) {
      throw new AppError('invalid_input', `mapping: two columns fill "${target}": keep one`);
    }
    resolved.set(target, index);
  }
  if (resolved.size === 0) {
    throw new AppError(
      'invalid_input',
      'mapping: no column fills a contact field: send a mapping (column header → field)',
    );
  }
  return resolved;
}
