import { AutocoderError, ErrorCodes } from '@autocoder/contracts';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parsePriceTable } from './price-table';
import { TablePriceBook } from './table-price-book';

/** The price file shipped with the service. */
export const DEFAULT_PRICES_FILE = join(__dirname, 'prices.yaml');

/**
 * The price book from `file` (AUTOCODER_PRICES_FILE) or the shipped defaults. A file that is missing
 * or malformed throws PRICE_TABLE_INVALID naming it, the line and the field: the service must not
 * start and price calls with a table it could not read.
 */
export function loadPriceBook(file?: string | null): TablePriceBook {
  const path = file ? resolve(file) : DEFAULT_PRICES_FILE;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AutocoderError(ErrorCodes.PriceTableInvalid, `price file ${path} cannot be read (${(error as Error).message}): expected a YAML or JSON price table (AUTOCODER_PRICES_FILE)`);
  }
  return new TablePriceBook(parsePriceTable(text, path));
}
