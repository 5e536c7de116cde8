// Lint: TypeScript-aware, plus the walls of the house: modules/ runs on XS and may use nothing
// of Node, the DOM, the hosts or the simulator.
import tsParser from '@typescript-eslint/parser';
import tsPlugin from '@typescript-eslint/eslint-plugin';

const xsMissing = ['setTimeout', 'setInterval', 'clearTimeout', 'queueMicrotask', 'console', 'process', 'Buffer', 'URL', 'structuredClone', 'TextEncoder', 'TextDecoder', 'crypto', 'fetch'];

export default [
	{ ignores: ['node_modules/**', 'dist/**', '**/*.d.ts'] },
	{
		files: ['**/*.ts'],
		languageOptions: { parser: tsParser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
		plugins: { '@typescript-eslint': tsPlugin },
		rules: {
			...tsPlugin.configs.recommended.rules,
			'@typescript-eslint/no-explicit-any': 'off',
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
			'@typescript-eslint/no-floating-promises': 'error',
			'no-var': 'error',
			'prefer-const': 'error',
			eqeqeq: ['error', 'always', { null: 'ignore' }],
		},
	},
	{
		files: ['modules/**/*.ts'],
		rules: {
			'no-restricted-globals': ['error', ...xsMissing.map((name) => ({ name, message: `${name} does not exist on XS devices; use a port` }))],
			'no-restricted-imports': ['error', {
				paths: ['fs', 'path', 'crypto', 'http', 'https', 'net', 'tls', 'os', 'child_process', 'buffer', 'stream'].map((name) => ({ name, message: 'modules/ runs on XS: no Node modules' })),
				patterns: [
				{ group: ['node:*'], message: 'modules/ runs on XS: no Node modules' },
				{ group: ['**/hosts/**', '**/simulator/**'], message: 'modules/ may not import hosts or the simulator' },
			] }],
		},
	},
	{
		files: ['hosts/**/*.ts'],
		rules: {
			'no-restricted-imports': ['error', { patterns: [{ group: ['**/simulator/**'], message: 'hosts may not import the simulator' }] }],
		},
	},
];
