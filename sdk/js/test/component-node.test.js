// `@onething/sdk/component` under Node resolves to its stand-in (the
// package's `node` condition): a department's module ending in
// `export const handler = department(Dept)` loads in unit tests, its
// handler answering as the component's would, on the test kit's host; jco's
// bundler gets the real module (the `default` condition).

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { department } from '@onething/sdk/component';
import * as testkit from '@onething/sdk/testkit';
import { Manifest, StepError, StepSpec, approve, store } from '@onething/sdk';

beforeEach(() => testkit.reset());

const Dept = {
  describe: () => new Manifest('demo', '示例', 'Demo', '0.1.0').step(new StepSpec('s', '事', 'S').writes('x.y')),
  check: () => [],
  prefill: () => [],
  handle: () => {
    store.set('seen', 'yes');
    return approve().field('x.y', 1);
  },
};

test('department() under Node gives the handler on the test kit\'s host', () => {
  const handler = department(Dept);
  assert.equal(handler.describe().department, 'demo');
  const o = handler.handle(testkit.request('s').build());
  assert.deepEqual(o.val.fields, [{ key: 'x.y', value: { tag: 'integer', val: 1n } }]);
  assert.equal(testkit.storedText('seen'), 'yes');
  testkit.failStore('unavailable', 'down');
  assert.throws(() => handler.handle(testkit.request('s').build()), (e) => e instanceof StepError && e.payload.tag === 'transient');
  assert.throws(() => department({ describe() {} }), /lacks check, prefill, handle/);
});

test('the package sends Node to the stand-in and bundlers to the component', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.deepEqual(Object.keys(pkg.exports['./component']), ['node', 'default'], 'node first: the first matching condition wins');
  assert.equal(pkg.exports['./component'].node, './src/component-node.js');
  assert.equal(pkg.exports['./component'].default, './src/component.js');
  assert.deepEqual(pkg.dependencies ?? {}, {}, 'no runtime dependencies');
});
