// An OAuth 2.0 client built on oauth4webapi (panva's low-level OAuth 2.0 / OIDC library, the
// one openid-client is built on, used here directly), one step per call, for
// tests/test_conformance_oauth4webapi.py: `node oauth4webapi.mjs '<json step>'` prints one JSON
// answer. It configures itself from the RFC 8414 document (/.well-known/oauth-authorization-server),
// not from openid-configuration, and oauth4webapi does the checking: the metadata's issuer
// (RFC 8414 §3.3), the authorization response's state and `iss` (RFC 9207 §2.4), the token,
// refresh, revocation (RFC 7009) and introspection (RFC 7662) responses. A failed check is
// printed as {"failed": "<its message>", "code": "<its error or code>", "status", "challenges"}.
import * as oauth from 'oauth4webapi';

const step = JSON.parse(process.argv[2]);

// oauth4webapi refuses plain-http endpoints (RFC 9700 §2.6, TLS everywhere); the live test
// server speaks plain HTTP on the loopback interface only, so only these tests allow it.
const insecure = { [oauth.allowInsecureRequests]: true };

const client = { client_id: step.client_id };
// RFC 6749 §2.3.1: HTTP Basic by default, the form body when a step asks for it.
const clientAuth = step.auth === 'post' ? oauth.ClientSecretPost(step.secret) : oauth.ClientSecretBasic(step.secret);

async function discover() {
  const response = await oauth.discoveryRequest(new URL(step.issuer), { algorithm: 'oauth2', ...insecure });
  // The document's issuer must be the URL it was fetched for (or the one a step expects).
  return oauth.processDiscoveryResponse(new URL(step.expected_issuer ?? step.issuer), response);
}

function hinted() {
  return { additionalParameters: step.hint ? { token_type_hint: step.hint } : {}, ...insecure };
}

const steps = {
  async discover(as) {
    return { metadata: as };
  },
  async authorize(as) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint);
    const parameters = {
      client_id: client.client_id,
      redirect_uri: step.redirect_uri,
      response_type: 'code',
      scope: step.scope,
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), // RFC 7636 §4.2, S256
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
    return { url: url.href, verifier, state };
  },
  async callback(as) {
    // RFC 9207 §2.4: the `iss` of the response must be the metadata's issuer (the metadata says
    // authorization_response_iss_parameter_supported, so a missing one fails too); then state.
    const parameters = oauth.validateAuthResponse(as, client, new URL(step.callback_url), step.state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      parameters,
      step.token_redirect_uri ?? step.redirect_uri,
      step.verifier,
      insecure,
    );
    return { tokens: await oauth.processAuthorizationCodeResponse(as, client, response) };
  },
  async refresh(as) {
    const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, step.refresh_token, insecure);
    return { tokens: await oauth.processRefreshTokenResponse(as, client, response) };
  },
  async introspect(as) {
    const response = await oauth.introspectionRequest(as, client, clientAuth, step.token, hinted());
    return { introspection: await oauth.processIntrospectionResponse(as, client, response) };
  },
  async revoke(as) {
    const response = await oauth.revocationRequest(as, client, clientAuth, step.token, hinted());
    await oauth.processRevocationResponse(response);
    return { revoked: true };
  },
};

function failure(error) {
  const answer = { failed: String(error && error.message), code: error && (error.error || error.code) };
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    // RFC 6749 §5.2 / RFC 7235 §4.1: the challenges of a 401, scheme and parameters.
    answer.challenges = error.cause;
  }
  if (error && error.status) answer.status = error.status;
  return answer;
}

try {
  const as = await discover();
  console.log(JSON.stringify(await steps[step.op](as)));
} catch (error) {
  console.log(JSON.stringify(failure(error)));
}
