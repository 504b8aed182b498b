// A real OpenID Connect provider for meja's single sign-on tests: oidc-provider (OpenID
// certified), on loopback only, with its own login page (the development interactions: any
// password is accepted, the login names the account) and consent granted to meja's client, so
// a browser goes from meja to this page and straight back. Started by the tests themselves.
//
//   OIDC_PORT (9400)  OIDC_REDIRECT_URIS (comma-separated)  OIDC_POST_LOGOUT_URIS (optional)
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || 9400);
const issuer = `http://127.0.0.1:${port}`;
const list = (name, fallback) => (process.env[name] || fallback).split(',').map((s) => s.trim()).filter(Boolean);

// The test accounts: groups decide role and unit in meja through its group mappings.
const people = {
  dewi: { name: 'Dewi Anggraini', email: 'dewi@kota.test', groups: ['sso-dinkes'] },
  agus: { name: 'Agus Salim', email: 'agus@kota.test', groups: ['sso-kominfo-t2'] },
  tamu: { name: 'Tamu', email: 'tamu@kota.test', groups: ['tidak-dipetakan'] },
  admin: { name: 'Nama Bentrok', email: 'bentrok@kota.test', groups: ['sso-dinkes'] },
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'meja',
    client_secret: 'meja-sso-rahasia-2026',
    redirect_uris: list('OIDC_REDIRECT_URIS', 'http://127.0.0.1:8080/masuk/sso/callback'),
    post_logout_redirect_uris: list('OIDC_POST_LOGOUT_URIS', 'http://127.0.0.1:8080/masuk'),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // The claims go into the ID token itself, as many Pemda providers (Keycloak) do.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['meja-test-cookie-key-2026'] },
  async findAccount(ctx, id) {
    const person = people[id] || { name: id, email: `${id}@kota.test`, groups: [] };
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, email_verified: true, ...person };
      },
    };
  },
  // meja's client is trusted by the Pemda: its scopes are granted without a consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email groups');
    grant.addOIDCClaims(['name', 'preferred_username', 'email', 'email_verified', 'groups']);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
