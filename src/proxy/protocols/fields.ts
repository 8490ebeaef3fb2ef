// Reading untrusted JSON request bodies. Every failure is an invalid_request whose message
// starts with the field's path (`messages.2.content.0.type: …`), so a client can find it.
import { invalidRequest } from '../errors';

/** A JSON value together with where it sits in the request body. */
export interface Located {
  value: unknown;
  path: string;
}

/** A JSON object of the request body, read field by field. */
export class Fields {
  private constructor(
    readonly value: Record<string, unknown>,
    readonly path: string,
  ) {}

  static of({ value, path }: Located): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalidRequest(`${path || 'body'}: must be a JSON object`);
    }
    return new Fields(value as Record<string, unknown>, path);
  }

  /** The path of one of this object's fields. */
  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  field(key: string): Located {
    return { value: this.value[key], path: this.at(key) };
  }

  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  string(key: string): string {
    const value = this.value[key];
    if (typeof value !== 'string') throw this.wrongType(key, 'a string');
    return value;
  }

  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  optionalNumber(key: string): number | undefined {
    if (!this.has(key)) return undefined;
    const value = this.value[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.wrongType(key, 'a number');
    return value;
  }

  optionalBoolean(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const value = this.value[key];
    if (typeof value !== 'boolean') throw this.wrongType(key, 'a boolean');
    return value;
  }

  /** A string or an array of strings (stop sequences), as an array. */
  optionalStrings(key: string): string[] | undefined {
    if (!this.has(key)) return undefined;
    const value = this.value[key];
    if (typeof value === 'string') return [value];
    return this.list(key).map(({ value: item, path }) => {
      if (typeof item !== 'string') throw invalidRequest(`${path}: must be a string`);
      return item;
    });
  }

  object(key: string): Fields {
    if (!this.has(key)) throw invalidRequest(`${this.at(key)}: is required`);
    return Fields.of(this.field(key));
  }

  optionalObject(key: string): Fields | undefined {
    return this.has(key) ? this.object(key) : undefined;
  }

  /** The elements of an array field, each with its own path. */
  list(key: string): Located[] {
    if (!Array.isArray(this.value[key])) throw this.wrongType(key, 'an array');
    return elements(this.field(key));
  }

  optionalList(key: string): Located[] {
    return this.has(key) ? this.list(key) : [];
  }

  private wrongType(key: string, expected: string) {
    const value = this.value[key];
    return invalidRequest(`${this.at(key)}: ${value === undefined ? 'is required' : `must be ${expected}`}`);
  }
}

/** The elements of an array value, each with its own path. */
export function elements({ value, path }: Located): Located[] {
  if (!Array.isArray(value)) throw invalidRequest(`${path}: must be an array`);
  return value.map((element, index) => ({ value: element, path: `${path}.${index}` }));
}
