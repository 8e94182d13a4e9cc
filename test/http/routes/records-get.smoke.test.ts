import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { auth, call, startTestServer, type TestServer } from '../../helpers/test-server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('the demo PIT reads Rex over real HTTP', async () => {
  const pit = server.tokens[0]!.token;
  const res = await call(`${server.url}/objects/custom_objects.pet/records/661c06b4ffde146bdb469442`, { headers: auth(pit) });
  assert.equal(res.status, 200);
  assert.equal((res.body as { record: { properties: { name: string } } }).record.properties.name, 'Rex');
});
