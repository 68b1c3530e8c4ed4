const MAX_LENGTH = 31;

/**
 * Names Excel accepts: at most 31 characters, none of []:*?/\, not starting or ending with an
 * apostrophe, unique without regard to case (Excel compares them case-insensitively).
 */
export function safeSheetNames(titles: string[]): string[] {
  const used = new Set<string>();
  return titles.map((title) => {
    const base =
      title
        .replace(/[[\]:*?/\\]/g, ' ')
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
        .replace(/[\u0000-\u001f]/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .replace(/^'+|'+$/g, '')
        .trim() || 'Sheet';
    let name = base.slice(0, MAX_LENGTH).trim();
    for (let n = 2; used.has(name.toLowerCase()); n++) {
      const suffix = ` (${n})`;
      name = `${base.slice(0, MAX_LENGTH - suffix.length).trim()}${suffix}`;
    }
    used.add(name.toLowerCase());
    return name;
  });
}
