/**
 * Every member of a string union, in a chosen order. The compiler refuses a
 * list that misses a member or has one the union lacks, so a variant added in
 * Rust (and so in ./generated/wire.ts) shows up here as a type error.
 *
 *   const ENVIRONMENTS = allOf<Environment>()(['sandbox', 'tt02', 'production']);
 */
export function allOf<T extends string>() {
  return <const L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : never)): L => list;
}
