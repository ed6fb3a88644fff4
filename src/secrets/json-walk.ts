/**
 * Walks JSON values (as JSON.parse gives them) with a stack of its own rather than recursion: a
 * tenant's input may nest deeper than the call stack goes.
 */
export type JsonKey = string | number;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A property set on a fresh object as data, even one named `__proto__`. */
function define(target: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

export interface JsonMapper {
  /** The new value of a string, number, boolean or null, given its key and its parent's key. */
  leaf?(value: unknown, key: JsonKey | undefined, parentKey: JsonKey | undefined): unknown;
  /** The new name of an object's key. */
  key?(key: string): string;
}

/** A copy of `value` with `mapper` applied to every leaf and key; keys keep their order. */
export function mapJson(value: unknown, mapper: JsonMapper): unknown {
  const root: Record<string, unknown> = {};
  const stack: { value: unknown; holder: Record<string | number, unknown>; at: JsonKey; key?: JsonKey; parentKey?: JsonKey }[] = [
    { value, holder: root, at: "value" },
  ];
  while (stack.length > 0) {
    const { value: item, holder, at, key, parentKey } = stack.pop()!;
    if (Array.isArray(item)) {
      const copy: unknown[] = new Array(item.length);
      holder[at] = copy;
      item.forEach((child, i) => stack.push({ value: child, holder: copy as never, at: i, key: i, parentKey: key }));
    } else if (isObject(item)) {
      const copy: Record<string, unknown> = {};
      holder[at] = copy;
      for (const [name, child] of Object.entries(item)) {
        const renamed = mapper.key ? mapper.key(name) : name;
        define(copy, renamed, undefined);
        stack.push({ value: child, holder: copy, at: renamed, key: name, parentKey: key });
      }
    } else {
      holder[at] = mapper.leaf ? mapper.leaf(item, key, parentKey) : item;
    }
  }
  return root.value;
}
