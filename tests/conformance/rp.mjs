// A relying party built on openid-client (certified by the OpenID Foundation), one step per
// call, for tests/test_conformance.py: `node rp.mjs '<json step>'` prints one JSON answer.
// openid-client does the checking (discovery, PKCE, state, nonce, ID-token signature and claims,
// at_hash, auth_time against max_age, userinfo subject, the introspection response's shape,
// the revocation response's status); a failed check is printed as
// {"failed": "<its message>", "code": "<its code>"} and the test fails on it.
import * as client from 'openid-client';

const step = JSON.parse(process.argv[2]);

async function configuration() {
  const execute = [client.allowInsecureRequests]; // a loopback test server speaks plain HTTP
  if (step.response_type === 'id_token') execute.push(client.useIdTokenResponseType);
  return client.discovery(new URL(step.issuer), step.client_id, { client_secret: step.secret }, undefined, {
    execute,
  });
}

function claimsOf(tokens) {
  return typeof tokens.claims === 'function' ? tokens.claims() : undefined;
}

const steps = {
  async discover(config) {
    return { metadata: config.serverMetadata() };
  },
  async authorize(config) {
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = client.randomState();
    const parameters = {
      redirect_uri: step.redirect_uri,
      scope: step.scope,
      nonce,
      state,
      ...(step.response_type === 'id_token'
        ? {}
        : {
            response_type: 'code',
            code_challenge: await client.calculatePKCECodeChallenge(verifier),
            code_challenge_method: 'S256',
          }),
      ...(step.extra || {}),
    };
    return { url: client.buildAuthorizationUrl(config, parameters).href, verifier, nonce, state };
  },
  async callback(config) {
    const tokens = await client.authorizationCodeGrant(config, new URL(step.callback_url), {
      pkceCodeVerifier: step.verifier,
      expectedNonce: step.nonce,
      expectedState: step.state,
      maxAge: step.max_age ?? undefined,
      idTokenExpected: true,
    });
    return { tokens, claims: claimsOf(tokens) };
  },
  async implicit(config) {
    const claims = await client.implicitAuthentication(config, new URL(step.callback_url), step.nonce, {
      expectedState: step.state,
      maxAge: step.max_age ?? undefined,
    });
    return { claims };
  },
  async userinfo(config) {
    return { userinfo: await client.fetchUserInfo(config, step.access_token, step.sub) };
  },
  async refresh(config) {
    const tokens = await client.refreshTokenGrant(config, step.refresh_token);
    return { tokens, claims: claimsOf(tokens) };
  },
  // RFC 7662 and RFC 7009 at the endpoints openid-configuration names, the client
  // authenticating as at the token endpoint; token_type_hint as RFC 7009 §2.1 defines it.
  async introspect(config) {
    const introspection = await client.tokenIntrospection(config, step.token, { token_type_hint: step.hint });
    return { introspection };
  },
  async revoke(config) {
    await client.tokenRevocation(config, step.token, { token_type_hint: step.hint });
    return { revoked: true };
  },
  async logout(config) {
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: step.id_token,
      post_logout_redirect_uri: step.post_logout_redirect_uri,
      state: 'bye',
    });
    return { url: url.href };
  },
};

try {
  const config = await configuration();
  console.log(JSON.stringify(await steps[step.op](config)));
} catch (error) {
  console.log(JSON.stringify({ failed: String(error && error.message), code: error && (error.error || error.code) }));
}
