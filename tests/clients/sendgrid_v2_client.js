// @sendgrid/client (pinned in tools/npm), configured as the README says, drives a Segmentation v2
// lifecycle against the mock: create, list, get, update, refresh, delete, the v1 DELETE, and the
// documented failures. Usage: node sendgrid_v2_client.js BASE_URL API_KEY
// (NODE_PATH=tools/npm/node_modules). Prints one JSON object of what each call answered;
// tests/clients/test_node_v2_client.py asserts on it.
'use strict';

const client = require('@sendgrid/client');

const [baseUrl, apiKey] = process.argv.slice(2);
const SEGMENTS = '/v3/marketing/segments';
const V2 = `${SEGMENTS}/2.0`;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const QUERY = "SELECT contact_id, updated_at FROM contact_data WHERE state_province_region = 'CA'";

client.setApiKey(apiKey);
client.setDefaultRequest('baseUrl', baseUrl);
client.setDefaultRequest('paramsSerializer', { indexes: null });

async function answer(request) {
  try {
    const [response, body] = await client.request({ method: 'GET', ...request });
    return { status: response.statusCode, body };
  } catch (error) {
    if (!error.response) throw error;
    return { status: error.code, body: error.response.body };
  }
}

async function main() {
  const v1 = (await answer({ url: SEGMENTS })).body.results;
  const created = await answer({ method: 'POST', url: V2, body: { name: 'Node CA', query_dsl: QUERY } });
  const id = created.body.id;
  const tz = { user_time_zone: 'Europe/Berlin' };
  const result = {
    v1_ids: v1.map((s) => s.id),
    created,
    listed: await answer({ url: V2, qs: { ids: [id, v1[0].id] } }),
    fresh: await answer({ url: `${V2}/${id}` }),
    renamed: await answer({ method: 'PATCH', url: `${V2}/${id}`, body: { name: 'Node California' } }),
    refreshed: await answer({ method: 'POST', url: `${V2}/refresh/${id}`, body: tz }),
    evaluated: await answer({ url: `${V2}/${id}` }),
    without_sample: await answer({ url: `${V2}/${id}`, qs: { contacts_sample: false } }),
    refreshed_again: await answer({ method: 'POST', url: `${V2}/refresh/${id}`, body: tz }),
    duplicate: await answer({ method: 'POST', url: V2, body: { name: 'Node California', query_dsl: QUERY } }),
    missing_query: await answer({ method: 'POST', url: V2, body: { name: 'Nothing' } }),
    bad_zone: await answer({ method: 'POST', url: `${V2}/refresh/${id}`, body: { user_time_zone: 'CET+1' } }),
    refresh_unknown: await answer({ method: 'POST', url: `${V2}/refresh/${UNKNOWN_ID}`, body: tz }),
    deleted: await answer({ method: 'DELETE', url: `${V2}/${id}` }),
    gone: await answer({ url: `${V2}/${id}` }),
    v1_deleted: await answer({ method: 'DELETE', url: `${SEGMENTS}/${v1[1].id}` }),
    v1_gone: await answer({ url: `${SEGMENTS}/${v1[1].id}` }),
  };
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
