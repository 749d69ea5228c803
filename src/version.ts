/**
 * berth's version. A constant rather than a read of package.json at start-up, so the bundled CLI
 * (`dist/cli/berth.js`) does not depend on where it sits; `test/version.test.ts` keeps it equal
 * to package.json's.
 */
export const VERSION = '0.1.0';
