// The agent side of the custody test: a separate process that holds only GATEWAY_URL and
// PROXY_TOKEN, calls the gateway with a real vendor SDK (argv[2]: openai | anthropic | stripe), and
// prints everything it saw (env, argv, every response body and header) as one JSON document.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import Stripe from 'stripe';

const { GATEWAY_URL, PROXY_TOKEN } = process.env;
const sdk = process.argv[2];
const seen = { env: { ...process.env }, argv: process.argv, responses: [], errors: [] };
const headersOf = (response) => Object.fromEntries(response.headers.entries());

async function openai() {
  const client = new OpenAI({ apiKey: PROXY_TOKEN, baseURL: `${GATEWAY_URL}/openai/v1`, maxRetries: 0 });
  const messages = [{ role: 'user', content: 'say hello' }];
  const { data, response } = await client.chat.completions
    .create({ model: 'gpt-test', messages })
    .withResponse();
  seen.responses.push({ status: response.status, headers: headersOf(response), body: data });
  const stream = await client.chat.completions.create({ model: 'gpt-test', messages, stream: true });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  seen.responses.push({
    stream: chunks,
    text: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''),
  });
  const models = await client.models.list();
  seen.responses.push({ body: models.data });
}

async function anthropic() {
  const client = new Anthropic({ apiKey: PROXY_TOKEN, baseURL: `${GATEWAY_URL}/anthropic`, maxRetries: 0 });
  const { data, response } = await client.messages
    .create({ model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'say hello' }] })
    .withResponse();
  seen.responses.push({ status: response.status, headers: headersOf(response), body: data });
  // the same call with the token in Anthropic's own slot, x-api-key
  const keyed = new Anthropic({
    apiKey: null,
    defaultHeaders: { 'X-Api-Key': PROXY_TOKEN },
    baseURL: `${GATEWAY_URL}/anthropic`,
    maxRetries: 0,
  });
  const again = await keyed.messages.create({
    model: 'claude-test',
    max_tokens: 16,
    messages: [{ role: 'user', content: 'again' }],
  });
  seen.responses.push({ body: again });
}

async function stripe() {
  // Stripe's SDK takes host, port and protocol but no base path: a fetch client adds the tool prefix.
  const gateway = new URL(GATEWAY_URL);
  const prefixed = (url, init) =>
    fetch(String(url).replace(gateway.origin, `${gateway.origin}/stripe`), init);
  const client = new Stripe(PROXY_TOKEN, {
    host: gateway.hostname,
    port: Number(gateway.port),
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
    httpClient: Stripe.createFetchHttpClient(prefixed),
  });
  const charge = await client.charges.create({ amount: 100, currency: 'usd', source: 'tok_visa' });
  seen.responses.push({ headers: charge.lastResponse?.headers ?? null, body: charge });
  const list = await client.charges.list({ limit: 1 });
  seen.responses.push({ body: list });
}

try {
  await { openai, anthropic, stripe }[sdk]();
} catch (e) {
  seen.errors.push({ message: String(e?.message ?? e), status: e?.status ?? null });
}
process.stdout.write(JSON.stringify(seen));
