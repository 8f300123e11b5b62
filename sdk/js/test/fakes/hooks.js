// Node module hooks for component.test.js: resolve the WIT specifiers the
// component side imports (`onething:matter/store@0.2.0`,
// `wasi:http/types@0.2.12`, ...) to the fakes in this directory, so
// `@onething/sdk/component` and its wasi:http transport run under Node
// against bindings shaped like jco's.

export async function resolve(specifier, context, next) {
  const m = /^(onething|wasi):([a-z-]+)\/([a-z-]+)@[0-9.]+$/.exec(specifier);
  if (m) {
    return { url: new URL(`./${m[1]}-${m[2]}-${m[3]}.js`, import.meta.url).href, shortCircuit: true };
  }
  return next(specifier, context);
}
