/**
 * The rows one batch touches, keyed by id: loaded from the table in `begin`, changed by the handlers
 * (each a pure step from the row's record), written and reported in `finish`.
 */
export class RowBatch<Record> {
  private readonly records = new Map<string, Record>();
  private readonly changedIds = new Set<string>();

  load(id: string, record: Record) {
    this.records.set(id, record);
  }

  get(id: string): Record | undefined {
    return this.records.get(id);
  }

  set(id: string, record: Record) {
    this.records.set(id, record);
    this.changedIds.add(id);
  }

  /** Changes a row that exists; an event about a row never created changes nothing. */
  update(id: string, change: (record: Record) => Record) {
    const record = this.records.get(id);
    if (record !== undefined) this.set(id, change(record));
  }

  /** The changed rows, in the order they were first changed. */
  get changed(): Record[] {
    return [...this.changedIds].map((id) => this.records.get(id)!);
  }
}

export const uniqueIds = (ids: (string | null | undefined)[]): string[] => [...new Set(ids.filter((id): id is string => typeof id === 'string'))];
