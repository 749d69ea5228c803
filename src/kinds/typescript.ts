/**
 * TypeScript declarations for a machine's schemas (`berth types`): an `Inputs` interface with the
 * types values are read as, an `Outputs` interface with the types writes accept, for
 * `openMachine<Inputs, Outputs>()`. Each kind says how it is typed (`KindDefinition.typescript`);
 * this module only lays the declarations out.
 */
import type { Property, Side, TsType, TypeContext } from './property.js';
import { kindOf } from './registry.js';

/** The two schemas types are generated for (a `MachineDefinition` fits). */
export interface TypesSchemas {
  readonly inputs: readonly Property[];
  readonly outputs: readonly Property[];
}

/** What the header of a generated module names, and where berth's types come from. */
export interface GenerateTypesOptions {
  /** The manifest the types were generated from, as the user named it. */
  source?: string;
  /** The berth version that generated them. */
  version?: string;
  /** The module berth's types are imported from (default `berth`). */
  importFrom?: string;
}

/** Which form of a value a declaration describes: as read (inputs) or as written (outputs). */
type Form = 'read' | 'write';

/** The form each side's root interface uses. */
const FORM_OF: Record<Side, Form> = { in: 'read', out: 'write' };

const ROOT_NAME: Record<Side, string> = { in: 'Inputs', out: 'Outputs' };

/*
 * Kinds return both forms of every type, but only one form of each is ever written out. So that
 * the module imports and declares exactly what it uses, berth's types and named interfaces are
 * placeholders (`\0b:Name\0`, `\0i:id\0`) until the text they sit in is written out. NUL cannot
 * occur in anything else a kind returns: literals escape it, and names come from the kinds.
 */
const TOKEN = /\0([bi]):([^\0]*)\0/g;
const berthToken = (name: string) => `\0b:${name}\0`;
const interfaceToken = (id: number) => `\0i:${id}\0`;

/** A named interface some type refers to, declared when a written-out type mentions it. */
interface Declaration {
  readonly property: Property;
  readonly members: readonly Property[];
  readonly form: Form;
  name?: string;
}

/** A property name as an interface key: bare when it is an identifier, else a quoted literal. */
export function propertyKey(name: string): string {
  return /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u.test(name) ? name : stringLiteral(name);
}

/**
 * A TypeScript string literal, escaped as JSON.stringify escapes; single-quoted unless the text
 * has a `'` and no `"` (Prettier's choice).
 */
export function stringLiteral(text: string): string {
  const json = JSON.stringify(text);
  if (text.includes("'") && !text.includes('"')) return json;
  return `'${json.slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

/** True when a type needs parentheses before `[]`: a union, intersection or function at the top. */
function needsParens(type: string): boolean {
  let depth = 0;
  for (let i = 0; i < type.length; i++) {
    const c = type[i]!;
    if (c === "'" || c === '"') {
      for (i++; i < type.length && type[i] !== c; i++) if (type[i] === '\\') i++;
    } else if (c === '(' || c === '{' || c === '[' || c === '<') depth++;
    else if (c === ')' || c === '}' || c === ']' || (c === '>' && type[i - 1] !== '=')) depth--;
    else if (depth === 0 && (c === '|' || c === '&' || (c === '=' && type[i + 1] === '>'))) return true;
  }
  return false;
}

/** A property name as part of an interface name: `mask.npy` → `MaskNpy`, `[]` → `Item`. */
function pascal(segment: string): string {
  if (segment === '[]') return 'Item';
  const words = segment.match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** TSDoc lines for a declaration, or none. `*\/` and control characters are neutralised. */
function docLines(parts: readonly (string | undefined)[], indent: string): string[] {
  const paragraphs = [
    ...new Set(
      parts
        .filter((t): t is string => typeof t === 'string')
        .map((t) =>
          t
            .replace(/\r\n?/g, '\n')
            // eslint-disable-next-line no-control-regex
            .replace(/[\u0000-\u0009\u000b-\u001f\u007f\u2028\u2029]/g, ' ')
            .replace(/\*\//g, '*\\/')
            .split('\n')
            .map((l) => l.trimEnd())
            .join('\n')
            .trim(),
        )
        .filter((t) => t.length > 0),
    ),
  ];
  if (paragraphs.length === 0) return [];
  const only = paragraphs[0]!;
  if (paragraphs.length === 1 && !only.includes('\n') && indent.length + only.length + 7 <= 110) {
    return [`${indent}/** ${only} */`];
  }
  const body = paragraphs.join('\n\n').split('\n');
  return [`${indent}/**`, ...body.map((l) => (l ? `${indent} * ${l}` : `${indent} *`)), `${indent} */`];
}

/** One generation: the context kinds type themselves in, and what it has declared. */
class Generator implements TypeContext {
  private readonly declarations: Declaration[] = [];
  /** Interfaces named since the last one was written out, in the order they were mentioned. */
  private readonly queue: Declaration[] = [];
  private readonly names = new Set<string>(Object.values(ROOT_NAME));
  readonly imports = new Set<string>();

  typeOf(p: Property): TsType {
    return kindOf(p.kind).typescript(p, this);
  }

  objectType(p: Property, members: readonly Property[], style: 'named' | 'inline'): TsType {
    if (members.length === 0) return { read: 'Record<string, never>', write: 'Record<string, never>' };
    if (style === 'inline') {
      const inline = (form: Form) =>
        `{ ${members.map((m) => this.memberSignature(m, this.typeOf(m), form)).join('; ')} }`;
      return { read: inline('read'), write: inline('write') };
    }
    const declare = (form: Form): string => {
      this.declarations.push({ property: p, members, form });
      return interfaceToken(this.declarations.length - 1);
    };
    return { read: declare('read'), write: declare('write') };
  }

  berth(name: string): string {
    return berthToken(name);
  }

  literal(text: string): string {
    return stringLiteral(text);
  }

  arrayOf(item: string): string {
    return needsParens(item) ? `(${item})[]` : `${item}[]`;
  }

  /** `key?: type` of a member in one form, placeholders still in; nullable members are optional. */
  private memberSignature(m: Property, t: TsType, form: Form): string {
    const type = m.nullable && form === 'read' ? `${t.read} | undefined` : t[form];
    return `${propertyKey(m.name)}${m.nullable ? '?' : ''}: ${type}`;
  }

  /** Replaces placeholders: records imports, names and queues the interfaces mentioned. */
  private resolve(text: string): string {
    return text.replace(TOKEN, (_all, what: string, ref: string) => {
      if (what === 'b') {
        this.imports.add(ref);
        return ref;
      }
      const d = this.declarations[Number(ref)]!;
      if (d.name === undefined) {
        d.name = this.nameFor(d);
        this.queue.push(d);
      }
      return d.name;
    });
  }

  private nameFor(d: Declaration): string {
    const p = d.property;
    const segments = p.path.split('/').slice(1).map(pascal).join('');
    const suffix = d.form === FORM_OF[p.side] ? '' : d.form === 'read' ? 'Read' : 'Write';
    const base = `${ROOT_NAME[p.side]}${segments}${suffix}`;
    let name = base;
    for (let n = 2; this.names.has(name); n++) name = `${base}${n}`;
    this.names.add(name);
    return name;
  }

  /** An exported interface with one member per property, in schema order. */
  private interfaceText(name: string, doc: string[], members: readonly Property[], form: Form): string {
    if (members.length === 0) return [...doc, `export interface ${name} {}`].join('\n');
    const lines = [...doc, `export interface ${name} {`];
    for (const m of members) {
      const t = this.typeOf(m);
      lines.push(...docLines([m.title, m.description], '  '));
      const signature = this.resolve(this.memberSignature(m, t, form));
      lines.push(`  ${signature};${t.note === undefined ? '' : ` // ${t.note}`}`);
    }
    lines.push('}');
    return lines.join('\n');
  }

  /** The root interface of a side, each interface it mentions right after the one mentioning it. */
  side(side: Side, properties: readonly Property[]): string[] {
    const rootDoc =
      side === 'in'
        ? "The machine's inputs (`schema-in`) as `inputs.get()` reads them."
        : "The machine's outputs (`schema-out`) as `outputs.set()` writes them.";
    const blocks: string[] = [];
    const emit = (text: () => string) => {
      const from = this.queue.length;
      blocks.push(text());
      for (const d of this.queue.splice(from)) {
        const p = d.property;
        const doc = docLines([p.title, p.description, `At \`${p.path}\`.`], '');
        emit(() => this.interfaceText(d.name!, doc, d.members, d.form));
      }
    };
    emit(() => this.interfaceText(ROOT_NAME[side], docLines([rootDoc], ''), properties, FORM_OF[side]));
    return blocks;
  }
}

/**
 * Generates a TypeScript module declaring `Inputs` (values as read) and `Outputs` (values as
 * written) for a machine's schemas, plus a named interface for each object property. Keys are the
 * property names (quoted when not identifiers), nullable properties are optional, members carry
 * TSDoc from `title` and `description`, and everything is in schema order: the same schemas always
 * give the same text.
 */
export function generateTypes(schemas: TypesSchemas, options: GenerateTypesOptions = {}): string {
  const g = new Generator();
  const blocks = [...g.side('in', schemas.inputs), ...g.side('out', schemas.outputs)];
  const from = options.importFrom ?? 'berth';
  // eslint-disable-next-line no-control-regex
  const source = options.source?.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, '?');
  const by = options.version === undefined ? 'berth' : `berth ${options.version}`;
  const command = `berth types${source === undefined ? '' : ` ${source}`}`;
  const header = [
    `// Generated by ${by}${source === undefined ? '' : ` from ${source}`}. Do not edit:`,
    `// run \`${command}\` again when the manifest changes.`,
    '/* eslint-disable */',
  ];
  const imports = [...g.imports].sort();
  const importLine =
    imports.length === 0 ? [] : [`import type { ${imports.join(', ')} } from ${stringLiteral(from)};`, ''];
  return [...header, '', ...importLine, blocks.join('\n\n'), ''].join('\n');
}
