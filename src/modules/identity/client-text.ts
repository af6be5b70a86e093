/**
 * What a client tells about itself (user agent, address) is stored with its
 * session and shown in mails and the support card: it must be storable text
 * (PostgreSQL refuses NUL, UTF-8 has no lone surrogates) and bounded.
 */
const unsafeCharacters =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `value` without control characters, at most `maxLength` code points; null when empty. */
export function clientText(value: string | undefined, maxLength: number): string | null {
  const cleaned = Array.from((value ?? '').replace(unsafeCharacters, ''))
    .slice(0, maxLength)
    .join('')
    .trim();
  return cleaned.length > 0 ? cleaned : null;
}
