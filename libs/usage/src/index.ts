// Usage: the token and cost ledger, rollups, budgets that stop spending, and estimates.
export * from './money';
export * from './prices/price-book';
