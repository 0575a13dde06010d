import { AutocoderError, ErrorCodes } from '@autocoder/contracts';

/** Picodollars (1e-12 USD) per dollar: every price per million tokens is a whole number of picodollars per token. */
export const PICO_PER_USD = 1_000_000_000_000n;

/** An exact decimal dollar string ("3", "0.30", "18.75") as picodollars. */
export function usdToPico(usd: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,12}))?$/.exec(usd.trim());
  if (!match) throw new AutocoderError(ErrorCodes.ValidationFailed, `"${usd}" is not a dollar amount: expected digits with at most 12 decimals`);
  return BigInt(match[1]) * PICO_PER_USD + BigInt((match[2] ?? '').padEnd(12, '0'));
}

/** Picodollars as an exact dollar string, without trailing zeros ("0.000003", "12.5", "0"). */
export function picoToUsd(pico: bigint): string {
  const negative = pico < 0n;
  const abs = negative ? -pico : pico;
  const whole = abs / PICO_PER_USD;
  const fraction = (abs % PICO_PER_USD).toString().padStart(12, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Sum of decimal picodollar strings, exactly. */
export const sumPico = (values: Iterable<string | bigint>): bigint => {
  let total = 0n;
  for (const v of values) total += typeof v === 'bigint' ? v : BigInt(v);
  return total;
};
