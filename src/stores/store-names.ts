/**
 * The stores of SPEC 2: `platform` (users' data), one `region_<r>` per region
 * (customers' data), and one store per department (internal data). Each is its
 * own database; nothing joins across them.
 */
export const departments = ['hr', 'sales', 'support'] as const;
export type Department = (typeof departments)[number];

export type StoreKind = 'platform' | 'region' | Department;
export type StoreName = 'platform' | Department | `region_${string}`;

export function regionStoreName(region: string): StoreName {
  return `region_${region}`;
}

export function storeKind(name: StoreName): StoreKind {
  return name.startsWith('region_') ? 'region' : (name as 'platform' | Department);
}

/** Every store of an installation with these regions. */
export function allStoreNames(regions: readonly string[]): StoreName[] {
  return ['platform', ...regions.map(regionStoreName), ...departments];
}
