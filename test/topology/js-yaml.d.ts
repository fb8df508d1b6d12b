// js-yaml ships no types; the topology tests use only load(). It is a devDependency.
declare module 'js-yaml' {
  export function load(text: string): unknown;
}
