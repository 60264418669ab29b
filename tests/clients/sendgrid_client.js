// @sendgrid/client (pinned in tools/npm), configured as the README says, against the mock.
// Usage: node sendgrid_client.js BASE_URL API_KEY STRICT_URL   (NODE_PATH=tools/npm/node_modules)
// STRICT_URL is a mock started with --strict-params. Prints one JSON object of what each call
// answered; tests/clients/test_node_client.py asserts on it.
'use strict';

const client = require('@sendgrid/client');
const { Client } = require('@sendgrid/client');
const axios = require('axios');

const [baseUrl, apiKey, strictUrl] = process.argv.slice(2);
const SEGMENTS = '/v3/marketing/segments';

// The README's working configuration: setApiKey first (it resets baseUrl to SendGrid's),
// then the base URL, then arrays sent as repeated names (ids=a&ids=b), not axios's ids[]=.
client.setApiKey(apiKey);
client.setDefaultRequest('baseUrl', baseUrl);
client.setDefaultRequest('paramsSerializer', { indexes: null });

async function answer(request, using = client) {
  try {
    const [response, body] = await using.request({ method: 'GET', ...request });
    return { status: response.statusCode, body, warning: response.headers['x-mockserver-warning'] };
  } catch (error) {
    if (!error.response) throw error;
    const warning = error.response.headers['x-mockserver-warning'];
    return { status: error.code, body: error.response.body, warning };
  }
}

// A client without the README's paramsSerializer: axios's default sends ids[]=a&ids[]=b.
function defaultSerializer(url) {
  const unset = new Client();
  unset.setApiKey(apiKey);
  unset.setDefaultRequest('baseUrl', url);
  return unset;
}

function ids(reply) {
  return reply.status === 200 ? reply.body.results.map((s) => s.id) : reply;
}

async function main() {
  const all = await answer({ url: SEGMENTS });
  const segments = all.body.results;
  const parents = [...new Set(segments.map((s) => s.parent_list_id).filter(Boolean))];
  const wanted = [segments[7].id, segments[2].id];

  // The traps the README warns about, shown without sending anything.
  const reversed = new Client();
  reversed.setDefaultRequest('baseUrl', baseUrl);
  reversed.setApiKey(apiKey);
  const unconfigured = new Client();
  unconfigured.setApiKey(apiKey);
  unconfigured.setDefaultRequest('baseUrl', baseUrl);
  const query = (c) => axios.getUri(c.createRequest({ url: SEGMENTS, qs: { ids: wanted } }));
  const defaultQuery = query(unconfigured);
  // What the package's USAGE.md still advises (an option of `request`, its pre-axios transport).
  unconfigured.setDefaultRequest('qsStringifyOptions', { arrayFormat: 'repeat' });
  const usageMdQuery = query(unconfigured);
  const wrongKey = new Client();
  wrongKey.setApiKey('SG.not-a-key');
  wrongKey.setDefaultRequest('baseUrl', baseUrl);

  // An array sends repeated names (parent_list_ids=a&parent_list_ids=b): SendGrid reads the first.
  const byParents = await answer({ url: SEGMENTS, qs: { parent_list_ids: parents.slice(0, 2) } });
  const result = {
    all: ids(all),
    parents,
    wanted,
    by_ids: ids(await answer({ url: SEGMENTS, qs: { ids: wanted } })),
    by_comma_ids: ids(await answer({ url: SEGMENTS, qs: { ids: wanted.join(',') } })),
    by_parents: ids(byParents),
    by_parents_warning: byParents.warning,
    by_comma_parents: ids(
      await answer({ url: SEGMENTS, qs: { parent_list_ids: parents.slice(0, 2).join(',') } }),
    ),
    by_parent_or_none: ids(
      await answer({ url: SEGMENTS, qs: { parent_list_ids: [parents[0]], no_parent_list_id: true } }),
    ),
    one: await answer({ url: `${SEGMENTS}/${wanted[0]}`, qs: { query_json: true } }),
    unknown: await answer({ url: `${SEGMENTS}/00000000-0000-4000-8000-000000000000` }),
    malformed: await answer({ url: SEGMENTS, qs: { ids: ['nope'] } }),
    wrong_key: await answer({ url: SEGMENTS }, wrongKey),
    reversed_base_url: reversed.defaultRequest.baseUrl,
    default_query: defaultQuery,
    usage_md_query: usageMdQuery,
    // The trap sprung: the mock answers as SendGrid would (ids[] filters nothing), but warns;
    // with --strict-params it refuses the request in SendGrid's error body.
    default_serializer: await answer({ url: SEGMENTS, qs: { ids: wanted } }, defaultSerializer(baseUrl)),
    strict_default_serializer: await answer(
      { url: SEGMENTS, qs: { ids: wanted } },
      defaultSerializer(strictUrl),
    ),
  };
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
