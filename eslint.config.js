// Code-quality lint. Import cycles and layering are checked by dependency-cruiser
// (.dependency-cruiser.cjs), which sees the whole graph rather than one file at a time.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Never patch a dependency's internals (README, "Architecture": "Dependencies through their
 * extension points"): no module replaces another package's modules or methods. An approximation
 * a reviewer completes: `require.cache` and Node's Module internals anywhere, and assignments to
 * or through a `.prototype` (`X.prototype.y = ...`, `Object.defineProperty(X.prototype, ...)`, or
 * a prototype held in a variable), and imports or requires of a package's private folders; class
 * bodies, which define their own prototype, are not affected.
 */
const NO_PATCHING = "Never replace or reach into another package's internals (require.cache, Module internals, prototypes, private module paths): use its extension points. See README, Architecture, \"Dependencies through their extension points\".";
const PROTOTYPE = "MemberExpression[property.name='prototype']";
/** A path into a package's private modules: its `src/`, `lib/` or `internal/` folder, not an entry point it exports. */
const PRIVATE_PATH = '^(@[^/]+/)?[^@./][^/]*/(src|lib|internal)/';
/** A TypeScript cast around an expression (`x as T`, `x!`, `x satisfies T`). */
const CAST = ':matches(TSAsExpression, TSNonNullExpression, TSSatisfiesExpression)';
const noPatchingSyntax = [
  `AssignmentExpression > ${PROTOTYPE}.left`,
  `AssignmentExpression > MemberExpression.left ${PROTOTYPE}`,
  `UpdateExpression > MemberExpression.argument ${PROTOTYPE}`,
  `UnaryExpression[operator='delete'] > MemberExpression.argument ${PROTOTYPE}`,
  ...[
    `CallExpression[callee.property.name=/^(defineProperty|defineProperties|assign|setPrototypeOf|set|deleteProperty)$/][callee.object.name=/^(Object|Reflect)$/] > `,
    // A prototype held in a variable is a prototype about to be patched (`const proto = X.prototype as ...`).
    'VariableDeclarator > ',
  ].flatMap((parent) => {
    const field = parent.startsWith('Call') ? '.arguments:first-child' : '.init';
    // The prototype itself, or under one or two casts (`X.prototype as unknown as T`).
    return [`${PROTOTYPE}${field}`, `${CAST}${field} > ${PROTOTYPE}.expression`, `${CAST}${field} > ${CAST}.expression > ${PROTOTYPE}.expression`].map((held) => parent + held);
  }),
  // require.cache under another name: createRequire(...).cache (`require.cache` is a restricted property below).
  `MemberExpression[property.name='cache'][object.type='CallExpression'][object.callee.name='createRequire']`,
  // Node's module loader (Module._load, Module._resolveFilename, ...), whatever the import is called.
  `MemberExpression[property.name=/^(_load|_resolveFilename|_extensions|_cache|_pathCache|_compile|_findPath|_nodeModulePaths|_initPaths)$/]:matches([object.name=/module/i], [object.expression.name=/module/i], [object.expression.expression.name=/module/i])`,
  // A package's private module, by path (`kafkajs/src/...`), required or resolved.
  `CallExpression:matches([callee.name='require'], [callee.property.name='resolve'][callee.object.name='require']) > Literal.arguments[value=/${PRIVATE_PATH.replaceAll('/', String.raw`\x2F`)}/]`,
].map((selector) => ({ selector, message: NO_PATCHING }));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.stack/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Export names explicitly; `export *` hides the public API.' },
        ...noPatchingSyntax,
      ],
      'no-restricted-imports': ['error', { patterns: [{ regex: PRIVATE_PATH, message: NO_PATCHING }] }],
      'no-restricted-properties': [
        'error',
        { object: 'require', property: 'cache', message: NO_PATCHING },
        { object: 'module', property: 'constructor', message: NO_PATCHING },
        { object: 'Module', property: 'prototype', message: NO_PATCHING },
      ],
    },
  },
  {
    // Tests may assert freely and use non-null assertions on values they just checked.
    files: ['test/**/*.ts', 'integration-tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'describe', 'it'], package: 'node:test' }] }],
    },
  },
  { files: ['*.js', '*.cjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } } },
);
