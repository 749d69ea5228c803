// @ts-check
/**
 * Kind knowledge lives in src/kinds/: outside it, code asks a kind's facets instead of testing its name.
 * Reported: a kind name compared with a `.kind` (`p.kind === 'enum'`) or with a variable named `kind` /
 * `…Kind` it was copied into, a `case '<kind>':` of a `switch` on either, and lists of kinds typed `KindName[]` / `Set<KindName>` / `ReadonlySet<KindName>`.
 *
 * Options: `{ names: string[], tagged?: string[] }`. `names` are the kind names (eslint-rules/kind-names.js).
 * `tagged` are kind names that other unions use as tags too (a tree entry's `kind: 'file'`): a
 * comparison with one of those is reported only when the object reads as a property (`p`, `prop`,
 * `property`, `…Property`, `x.property`), since the rule works on syntax, without type information.
 */

const PROPERTY_NAME = /^(p|prop|property|\w*Property)$/;

/** A variable holding a kind name copied out of a property: `const kind = p.kind`, `{ kind } = p`. */
const KIND_VARIABLE = /^(kind|\w*Kind)$/;

/** @param {any} node */
function isKindAccess(node) {
  if (node?.type === 'Identifier') return KIND_VARIABLE.test(node.name);
  return (
    node &&
    (node.type === 'MemberExpression' || node.type === 'ChainExpression') &&
    memberOf(node)?.property?.type === 'Identifier' &&
    memberOf(node).property.name === 'kind' &&
    !memberOf(node).computed
  );
}

/** @param {any} node */
function memberOf(node) {
  return node.type === 'ChainExpression' ? node.expression : node;
}

/** @param {any} node the `x.kind` expression */
function readsAsProperty(node) {
  if (node.type === 'Identifier') return false;
  const object = memberOf(node).object;
  if (object.type === 'Identifier') return PROPERTY_NAME.test(object.name);
  if (object.type === 'MemberExpression' && object.property.type === 'Identifier')
    return PROPERTY_NAME.test(object.property.name);
  return false;
}

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'forbid kind names tested outside src/kinds/ (ask the kind facets instead)' },
    schema: [
      {
        type: 'object',
        properties: {
          names: { type: 'array', items: { type: 'string' } },
          tagged: { type: 'array', items: { type: 'string' } },
        },
        required: ['names'],
        additionalProperties: false,
      },
    ],
    messages: {
      compare:
        "kind name '{{name}}' compared with .kind outside src/kinds/: give the kind a facet in its src/kinds/ file and call it",
      case: "case '{{name}}' in a switch on .kind outside src/kinds/: move the per-kind behaviour into the kind files",
      list: '{{type}} outside src/kinds/: a list of kinds belongs to the kinds (a facet or the registry)',
    },
  },
  create(context) {
    const options = context.options[0] ?? { names: [] };
    const names = new Set(options.names);
    const tagged = new Set(options.tagged ?? []);
    /** @param {any} literal @param {any} access */
    const isKindLiteral = (literal, access) =>
      literal?.type === 'Literal' &&
      typeof literal.value === 'string' &&
      names.has(literal.value) &&
      (!tagged.has(literal.value) || readsAsProperty(access));
    return {
      /** @param {any} node */
      BinaryExpression(node) {
        if (!['===', '!==', '==', '!='].includes(node.operator)) return;
        for (const [a, b] of [
          [node.left, node.right],
          [node.right, node.left],
        ]) {
          if (isKindAccess(a) && isKindLiteral(b, a)) {
            context.report({ node, messageId: 'compare', data: { name: b.value } });
            return;
          }
        }
      },
      /** @param {any} node */
      SwitchStatement(node) {
        if (!isKindAccess(node.discriminant)) return;
        for (const c of node.cases) {
          if (isKindLiteral(c.test, node.discriminant))
            context.report({ node: c, messageId: 'case', data: { name: c.test.value } });
        }
      },
      /** @param {any} node */
      TSArrayType(node) {
        const t = node.elementType;
        if (
          t.type === 'TSTypeReference' &&
          t.typeName.type === 'Identifier' &&
          t.typeName.name === 'KindName'
        )
          context.report({ node, messageId: 'list', data: { type: 'KindName[]' } });
      },
      /** @param {any} node */
      TSTypeReference(node) {
        if (node.typeName.type !== 'Identifier' || !['Set', 'ReadonlySet'].includes(node.typeName.name))
          return;
        const arg = (node.typeArguments ?? node.typeParameters)?.params?.[0];
        if (
          arg?.type === 'TSTypeReference' &&
          arg.typeName.type === 'Identifier' &&
          arg.typeName.name === 'KindName'
        )
          context.report({ node, messageId: 'list', data: { type: `${node.typeName.name}<KindName>` } });
      },
    };
  },
};
