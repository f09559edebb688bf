/** Number formatting for messages and tables, independent of the machine's locale. */

/** 308310 -> "308,310". Non-integers and absurd values print as JavaScript writes them. */
export function formatCount(value: number): string {
  if (!Number.isSafeInteger(value)) return String(value);
  const sign = value < 0 ? '-' : '';
  return sign + String(Math.abs(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const WORDS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
];

/** 3 -> "three"; numbers past ten stay digits. */
export function countWord(value: number): string {
  return WORDS[value] ?? formatCount(value);
}

/** Compact MACs for tables: 1234567 -> "1.23M". */
export function formatCompact(value: number): string {
  const units: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [scale, suffix] of units) {
    if (Math.abs(value) >= scale) return `${(value / scale).toFixed(2)}${suffix}`;
  }
  return String(value);
}
