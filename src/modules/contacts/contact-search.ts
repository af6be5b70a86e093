/**
 * How contacts are found: every searchable value is stored beside its
 * normalised form, and a query is normalised the same way, so that a prefix
 * search is one index range scan, case- and accent-insensitive on every engine.
 */

// Letters NFKD leaves whole but a person typing on a plain keyboard writes otherwise.
const foldings: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ł: 'l',
  ı: 'i',
};
// biome-ignore lint/suspicious/noControlCharactersInRegex: every ASCII character, controls included
const ascii = /^[\u0000-\u007f]*$/;
const foldable = new RegExp(`[${Object.keys(foldings).join('')}]`, 'gu');

/** Lower case, compatibility-decomposed, diacritics removed, whitespace collapsed: `Éloïse` → `eloise`. */
export function normaliseText(value: string | null | undefined): string {
  if (!value) {
    return '';
  }
  if (ascii.test(value)) {
    // NFKD, marks and foldings change nothing in ASCII: the common case, several times per imported row.
    return value.toLowerCase().replace(/\s+/g, ' ').trim();
  }
  return value
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(foldable, (letter) => foldings[letter] ?? letter)
    .replace(/\s+/gu, ' ')
    .trim();
}

/** The digits of a phone number, so `+33 (0)6 12` and `33 06 12` meet as `330612`. */
export function phoneDigits(value: string | null | undefined): string {
  return (value ?? '').replace(/\D/g, '');
}

/** The normalised search columns of a contact. */
export interface SearchColumns {
  firstName: string;
  lastName: string;
  /** "first last": its prefixes are the first name and the full name. */
  fullName: string;
  email: string;
  phone: string;
}

/** What a contact's search columns hold. */
export function searchColumnsOf(contact: {
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
}): SearchColumns {
  const firstName = normaliseText(contact.firstName);
  const lastName = normaliseText(contact.lastName);
  return {
    firstName,
    lastName,
    fullName: [firstName, lastName].filter((part) => part.length > 0).join(' '),
    email: normaliseText(contact.email),
    phone: phoneDigits(contact.phone),
  };
}

/** What a `?q=` searches for: a text prefix, and a digits prefix when `q` looks like a phone number. */
export interface SearchPrefixes {
  text: string;
  digits: string | null;
}

/** The prefixes `?q=` searches for. */
export function searchPrefixesOf(q: string): SearchPrefixes {
  const digits = phoneDigits(q);
  const looksLikePhone = /^\+?[0-9 ()\-.]+$/.test(q.trim()) && digits.length > 0;
  return { text: normaliseText(q), digits: looksLikePhone ? digits : null };
}

/** `value` as a LIKE pattern matching what starts with it (wildcards in it are literal). */
export function likePrefix(value: string): string {
  return `${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
