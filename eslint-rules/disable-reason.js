// @ts-check
/**
 * An exception to a house guard says why: an `eslint-disable` / `eslint-disable-next-line` /
 * `eslint-disable-line` comment that turns off one of the guarded rules must carry a description
 * after ` -- ` (`// eslint-disable-next-line max-lines-per-function -- one table, read top to bottom`),
 * and no comment may turn off every rule at once (a blanket disable hides the guards).
 *
 * Options: `{ rules: string[] }`, the guarded rule ids.
 */

const DIRECTIVE = /^\s*eslint-disable(?:-next-line|-line)?(?=\s|$)([\s\S]*)$/;

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: {
      description: 'require a reason (` -- why`) on every disable of a house guard, and no blanket disable',
    },
    schema: [
      {
        type: 'object',
        properties: { rules: { type: 'array', items: { type: 'string' } } },
        required: ['rules'],
        additionalProperties: false,
      },
    ],
    messages: {
      reason:
        "'{{rules}}' disabled without a reason: add ' -- <why this file or function is an exception>' to the comment",
      blanket: 'a blanket eslint-disable turns off the house guards too: name the rules and give a reason',
    },
  },
  create(context) {
    const guarded = new Set(context.options[0]?.rules ?? []);
    return {
      Program() {
        for (const comment of context.sourceCode.getAllComments()) {
          const match = DIRECTIVE.exec(comment.value);
          if (!match) continue;
          const [list = '', description] = (match[1] ?? '').split(/\s--\s|\s--$/);
          const rules = list
            .split(',')
            .map((r) => r.trim())
            .filter((r) => r !== '');
          if (rules.length === 0) {
            context.report({ loc: comment.loc ?? { line: 1, column: 0 }, messageId: 'blanket' });
            continue;
          }
          const hit = rules.filter((r) => guarded.has(r));
          if (hit.length > 0 && !(description ?? '').trim()) {
            context.report({
              loc: comment.loc ?? { line: 1, column: 0 },
              messageId: 'reason',
              data: { rules: hit.join(', ') },
            });
          }
        }
      },
    };
  },
};
