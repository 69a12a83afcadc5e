// The page passes its ?token= to a gateway whose $connect has the built-in JWT authorizer (docs/security.md,
// "$connect authorizers"): browsers cannot set headers on a WebSocket handshake, so the token travels as the
// handshake's query parameter. The keys are generated here and given to the gateway as static JWKs. The statuses of
// refused handshakes (401) are checked where they can be read, in JwtAuthorizerTests.
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { browserSuite, openClientPage, testIdText, useGatewayAndBrowser, waitForTestIdText } from './helpers/browser.js';

const ISSUER = 'https://issuer.test/';
const AUDIENCE = 'browser-tests';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = publicKey.export({ format: 'jwk' });

const base64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An RS256 token signed with the key above; `claims` override iss, aud, sub and exp (an hour from now). */
function token(claims = {}) {
  const now = Math.floor(Date.now() / 1000);
  const signingInput = `${base64url({ alg: 'RS256', typ: 'JWT', kid: 'browser-key' })}.${base64url({ iss: ISSUER, aud: AUDIENCE, sub: 'page-user', iat: now, exp: now + 3600, ...claims })}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

/** The demo API has no $connect route: add one (index 4) with the JWT authorizer reading ?token=. */
const authorizerArgs = [
  '--Switchboard:Routes:4:RouteKey=$connect',
  '--Switchboard:Routes:4:Integration:Type=inprocess',
  '--Switchboard:Routes:4:Integration:Handler=demo.echo',
  '--Switchboard:Routes:4:Authorizer:Type=jwt',
  `--Switchboard:Routes:4:Authorizer:Jwt:Issuer=${ISSUER}`,
  `--Switchboard:Routes:4:Authorizer:Jwt:Audiences:0=${AUDIENCE}`,
  '--Switchboard:Routes:4:Authorizer:Jwt:TokenQueryParameter=token',
  '--Switchboard:Routes:4:Authorizer:Jwt:Keys:0:Kty=RSA',
  '--Switchboard:Routes:4:Authorizer:Jwt:Keys:0:Kid=browser-key',
  `--Switchboard:Routes:4:Authorizer:Jwt:Keys:0:N=${jwk.n}`,
  `--Switchboard:Routes:4:Authorizer:Jwt:Keys:0:E=${jwk.e}`,
];

browserSuite('a gateway whose $connect has a JWT authorizer', () => {
  const env = useGatewayAndBrowser({ gateway: { args: authorizerArgs } });

  test('the page with ?token= connects, and the management API knows its id', async () => {
    const { id } = await openClientPage(env.context, env.gateway.baseUrl, `?reconnect=0&token=${encodeURIComponent(token())}`);
    const info = await fetch(`${env.gateway.endpoint}/@connections/${encodeURIComponent(id)}`);
    assert.equal(info.status, 200);
  });

  for (const [why, query] of [
    ['without a token', '?reconnect=0'],
    ['with an expired token', `?reconnect=0&token=${encodeURIComponent(token({ exp: Math.floor(Date.now() / 1000) - 600 }))}`],
    ['with a token for another audience', `?reconnect=0&token=${encodeURIComponent(token({ aud: 'someone-else' }))}`],
  ]) {
    test(`the page ${why} is refused and never connected`, async () => {
      const page = await env.context.newPage();
      await page.goto(`${env.gateway.baseUrl}/${query}`);
      await waitForTestIdText(page, 'connection-status', 'closed');
      assert.equal(await testIdText(page, 'connection-id'), '');
    });
  }
});
