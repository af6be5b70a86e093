import { AppError } from '../../errors.ts';

/** Country (ISO 3166-1 alpha-2, upper case) → region. */
export type ResidencyPolicy = ReadonlyMap<string, string>;

/** EU member states and the other EEA states (Iceland, Liechtenstein, Norway). */
const euEea = [
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
  'IS',
  'LI',
  'NO',
];

/** SPEC 4.1: EU/EEA → eu, GB → uk, US → us, CA → ca, AU and NZ → au. */
export const defaultResidencyPolicy: ResidencyPolicy = new Map<string, string>([
  ...euEea.map((c) => [c, 'eu'] as [string, string]),
  ['GB', 'uk'],
  ['US', 'us'],
  ['CA', 'ca'],
  ['AU', 'au'],
  ['NZ', 'au'],
]);

/** The region a Space of this country must live in, or a 400 naming the country. */
export function regionForCountry(policy: ResidencyPolicy, country: string): string {
  const code = country.toUpperCase();
  const region = policy.get(code);
  if (!region) {
    throw new AppError(
      'invalid_input',
      `no region is configured for country ${code}: the residency policy has no entry for it`,
      { path: ['body', 'country'] },
    );
  }
  return region;
}
