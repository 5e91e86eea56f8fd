/**
 * A zod schema's {@link ShapeNode}: read from the schema's definition, exactly, or refused. Used
 * to generate ./answer-shapes.ts (`npm run gen:shapes`) and by its test, never at run time (it
 * would need the schema, and so zod, loaded). Anything a shape cannot say with the same verdict
 * (refinements, transforms, defaults, regex flags) throws, naming where it is, so that answer keeps
 * its zod schema instead.
 */
import type { ShapeNode } from './shape.ts';

/** The part of a zod 4 schema's definition read here (`schema._zod.def`). */
interface Def {
  type: string;
  checks?: { _zod: { def: CheckDef } }[];
  [key: string]: unknown;
}
interface CheckDef {
  check: string;
  format?: string;
  value?: number;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
  pattern?: RegExp;
}
interface ZodLike {
  _zod: { def: Def };
}

const defOf = (schema: unknown): Def => (schema as ZodLike)._zod.def;

/**
 * `schema` as a shape; `where` names it in the error for a part a shape cannot express. `memo` maps
 * schemas already seen to their shapes, so one schema used twice gives one shape object twice (the
 * generator writes it once).
 */
export function shapeOf(schema: unknown, where = '(root)', memo = new Map<unknown, ShapeNode>()): ShapeNode {
  const known = memo.get(schema);
  if (known) return known;
  const made = build(schema, where, memo);
  memo.set(schema, made);
  return made;
}

function build(schema: unknown, where: string, memo: Map<unknown, ShapeNode>): ShapeNode {
  const def = defOf(schema);
  const unsupported = (what: string): never => {
    throw new Error(`${where}: ${what} has no shape (the answer keeps its zod schema)`);
  };
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  switch (def.type) {
    case 'string': {
      const out: Extract<ShapeNode, { t: 'string' }> = { t: 'string' };
      for (const c of checks) {
        if (c.check === 'min_length') out.min = c.minimum;
        else if (c.check === 'max_length') out.max = c.maximum;
        else if (c.check === 'string_format' && c.format === 'regex' && c.pattern && !c.pattern.flags && out.pattern === undefined) out.pattern = c.pattern.source;
        else unsupported(`the string check ${c.check}${c.format ? ` (${c.format})` : ''}`);
      }
      return out;
    }
    case 'number': {
      const out: Extract<ShapeNode, { t: 'number' }> = { t: 'number' };
      for (const c of checks) {
        if (c.check === 'number_format' && c.format === 'safeint') out.int = true;
        else if (c.check === 'greater_than' && out.min === undefined) Object.assign(out, { min: c.value }, c.inclusive ? {} : { minExclusive: true });
        else if (c.check === 'less_than' && out.max === undefined) Object.assign(out, { max: c.value }, c.inclusive ? {} : { maxExclusive: true });
        else unsupported(`the number check ${c.check}${c.format ? ` (${c.format})` : ''}`);
      }
      return out;
    }
    case 'boolean':
    case 'null':
    case 'unknown':
      if (checks.length) unsupported(`a check on ${def.type}`);
      return { t: def.type };
    case 'literal':
      return { t: 'literal', values: [...(def.values as (string | number | boolean | null)[])] };
    case 'enum':
      return { t: 'enum', values: Object.values(def.entries as Record<string, string | number>) };
    case 'optional':
    case 'nullable':
      return { t: def.type, of: shapeOf(def.innerType, where, memo) };
    case 'array': {
      const out: Extract<ShapeNode, { t: 'array' }> = { t: 'array', of: shapeOf(def.element, `${where}[]`, memo) };
      for (const c of checks) {
        if (c.check === 'min_length') out.min = c.minimum;
        else if (c.check === 'max_length') out.max = c.maximum;
        else unsupported(`the array check ${c.check}`);
      }
      return out;
    }
    case 'record':
      if (checks.length) unsupported('a check on a record');
      return { t: 'record', key: shapeOf(def.keyType, `${where} key`, memo), value: shapeOf(def.valueType, `${where}{}`, memo) };
    case 'object': {
      if (checks.length) unsupported('a check on an object');
      const catchall = def.catchall === undefined ? null : defOf(def.catchall).type;
      if (catchall !== null && catchall !== 'never') unsupported('an object with a catchall');
      const props: Record<string, ShapeNode> = {};
      for (const [key, prop] of Object.entries(def.shape as Record<string, unknown>)) props[key] = shapeOf(prop, where === '(root)' ? key : `${where}.${key}`, memo);
      return { t: 'object', props, rest: catchall === 'never' ? 'strict' : 'strip' };
    }
    case 'union': {
      if (checks.length) unsupported('a check on a union');
      if (def.inclusive === false && def.discriminator === undefined) unsupported('an exclusive union (xor)');
      const of = (def.options as unknown[]).map((o, i) => shapeOf(o, `${where}|${i}`, memo));
      const disc = def.discriminator as string | undefined;
      if (disc === undefined) return { t: 'union', of };
      for (const o of of) {
        const tag = o.t === 'object' ? o.props[disc] : undefined;
        if (!tag || (tag.t !== 'literal' && tag.t !== 'enum')) unsupported(`a discriminated union whose option has no literal '${disc}'`);
      }
      return { t: 'union', of, disc };
    }
    case 'intersection':
      if (checks.length) unsupported('a check on an intersection');
      return { t: 'and', left: shapeOf(def.left, where, memo), right: shapeOf(def.right, where, memo) };
    default:
      return unsupported(`a ${def.type}`);
  }
}
