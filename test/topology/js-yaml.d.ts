// js-yaml ships no types; the topology tests use only load(). It is installed through eslint
// (@eslint/eslintrc), a pinned devDependency.
declare module 'js-yaml' {
  export function load(text: string): unknown;
}
