/**
 * A validated search, independent of any database: what the search service makes of a request
 * body and what each store turns into its own query. Every value in it is data (bound as a
 * parameter), never SQL text; property keys are those of the object's schema.
 */

/** How a property's values compare: decides which operators apply and how. */
export type ValueKind =
  /** TEXT, LARGE_TEXT, EMAIL, PHONE, SINGLE_OPTIONS, RADIO, DATE (YYYY-MM-DD), TEXTBOX_LIST entries */
  | 'text'
  /** NUMERICAL */
  | 'number'
  /** MONETORY: compared by its `value` */
  | 'money'
  /** CHECKBOX, MULTIPLE_OPTIONS: an array of option keys; a condition holds when it holds for some element */
  | 'list'
  /** FILE_UPLOAD: only exists / not_exists */
  | 'files';

/** What a condition or sort looks at: a property of the record, or one of its timestamps (ISO text). */
export type Target =
  | { type: 'property'; key: string; kind: ValueKind }
  | { type: 'timestamp'; column: 'createdAt' | 'updatedAt' };

export interface Range {
  gte?: string | number;
  gt?: string | number;
  lte?: string | number;
  lt?: string | number;
}

/**
 * A leaf condition. `negate` turns eq into not_eq, contains into not_contains, exists into
 * not_exists: a negated condition holds exactly when the plain one does not, records without the
 * property included.
 */
export type Leaf =
  | { op: 'eq'; target: Target; value: string | number; negate: boolean }
  | { op: 'contains'; target: Target; value: string; negate: boolean }
  | { op: 'exists'; target: Target; negate: boolean }
  | { op: 'range'; target: Target; range: Range; negate: false };

export type Condition = ({ kind: 'leaf' } & Leaf) | { kind: 'and' | 'or'; items: Condition[] };

export interface SortKey {
  target: Target;
  direction: 'asc' | 'desc';
}

export interface SearchPlan {
  objectId: string;
  /** null: every record of the object. */
  where: Condition | null;
  /**
   * Free text: a record matches when one of `targets` holds text containing `text`, compared
   * case-insensitively (ASCII letters).
   */
  query: { text: string; targets: Target[] } | null;
  /** Sort keys in order; records without a sorted property come after those with it, in either direction; ties broken by id ascending. */
  sort: SortKey[];
  /** The sort values (null for a missing property) and id of the last record of the previous page. */
  after: { values: Array<string | number | null>; id: string } | null;
  offset: number;
  limit: number;
}
