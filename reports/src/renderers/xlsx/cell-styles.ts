/** How a cell looks: a font weight and size, and a number format (none = General). */
export interface CellStyle {
  bold?: boolean;
  size?: number;
  numFmt?: string;
}

/**
 * The workbook's style table (xl/styles.xml): each distinct look gets an index, which cells and
 * columns refer to with `s="…"`. Built while the sheets are written, serialised at the end.
 */
export interface CellStyles {
  id(style: CellStyle): number;
  xml(): string;
}

/** Formats Excel knows by number; any other gets an id from 164 up, as the spec reserves. */
const builtInFormats: Record<string, number> = { General: 0, '0': 1, '0.00': 2, '0%': 9, '0.00%': 10 };
const FIRST_CUSTOM_FORMAT = 164;
const FONT_SIZE = 11;

export function createCellStyles(): CellStyles {
  const fonts = ['false|11'];
  const formats = new Map<string, number>();
  const xfs = new Map<string, { font: number; numFmt: number }>([['0|0', { font: 0, numFmt: 0 }]]);
  const ids = new Map<string, number>([['0|0', 0]]);

  const fontId = (bold: boolean, size: number) => {
    const key = `${bold}|${size}`;
    let index = fonts.indexOf(key);
    if (index === -1) index = fonts.push(key) - 1;
    return index;
  };
  const formatId = (code: string | undefined) => {
    if (!code) return 0;
    const known = builtInFormats[code] ?? formats.get(code);
    if (known !== undefined) return known;
    const next = FIRST_CUSTOM_FORMAT + formats.size;
    formats.set(code, next);
    return next;
  };

  return {
    id(style) {
      const font = fontId(style.bold ?? false, style.size ?? FONT_SIZE);
      const numFmt = formatId(style.numFmt);
      const key = `${font}|${numFmt}`;
      let index = ids.get(key);
      if (index === undefined) {
        index = ids.size;
        ids.set(key, index);
        xfs.set(key, { font, numFmt });
      }
      return index;
    },
    xml() {
      const numFmts = [...formats].map(
        ([code, id]) => `<numFmt numFmtId="${id}" formatCode="${escapeAttribute(code)}"/>`,
      );
      const fontXml = fonts.map((key) => {
        const [bold, size] = key.split('|');
        return `<font>${bold === 'true' ? '<b/>' : ''}<sz val="${size}"/><name val="Calibri"/><family val="2"/></font>`;
      });
      const xfXml = [...xfs.values()].map(
        ({ font, numFmt }) =>
          `<xf numFmtId="${numFmt}" fontId="${font}" fillId="0" borderId="0" xfId="0"${numFmt ? ' applyNumberFormat="1"' : ''}${font ? ' applyFont="1"' : ''}/>`,
      );
      return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
        (numFmts.length ? `<numFmts count="${numFmts.length}">${numFmts.join('')}</numFmts>` : '') +
        `<fonts count="${fontXml.length}">${fontXml.join('')}</fonts>` +
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
        `<cellXfs count="${xfXml.length}">${xfXml.join('')}</cellXfs>` +
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
        '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium2" defaultPivotStyle="PivotStyleLight16"/>' +
        '</styleSheet>'
      );
    },
  };
}

export function escapeAttribute(text: string): string {
  return escapeText(text).replaceAll('"', '&quot;');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds
const needsEscape = /[&<>\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** XML 1.0 refuses most control characters even escaped; they are dropped, as Excel would. */
export function escapeText(text: string): string {
  if (!needsEscape.test(text)) return text;
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replaceAll('&', '&amp;')
      .replaceAll('<', '&lt;')
      .replaceAll('>', '&gt;')
  );
}
