/** Any-of filters shared by the search handlers; absent or empty filter values mean "no filter". */

export type Predicate<T> = (item: T) => boolean;

/** For single-valued fields; builds no per-item array, since a filter may scan a million users. */
export function oneOf<T>(values: string[] | undefined, read: (item: T) => string | undefined): Predicate<T> | undefined {
  if (!values) return undefined;
  const wanted = new Set(values);
  return (item) => {
    const value = read(item);
    return value !== undefined && wanted.has(value);
  };
}

/** For list fields: at least one element is wanted. */
export function anyOf<T>(values: string[] | undefined, read: (item: T) => readonly string[] | undefined): Predicate<T> | undefined {
  if (!values) return undefined;
  const wanted = new Set(values);
  return (item) => read(item)?.some((value) => wanted.has(value)) ?? false;
}

/** Every predicate holds; a plain loop because this runs once per scanned user. */
export function allOf<T>(predicates: readonly Predicate<T>[]): Predicate<T> {
  return (item) => {
    for (const predicate of predicates) if (!predicate(item)) return false;
    return true;
  };
}
